#!/usr/bin/env bash
# Writes a starter model's card (Markdown, to stdout) from what its recipe left behind: the data
# summary, the n-gram baseline (JSON), the training log (MODEL.csv) and the model file itself.
#   tools/recipes/model-card.sh CONFIG DATASET MODEL SECONDS "RECIPE OPTIONS"
# BUILD (default build/release) is the build folder with nn-info; THREADS (default 2) the training
# threads the card reports.
set -euo pipefail
cd "$(dirname "$0")/../.."
config=$1 dataset=$2 model=$3 seconds=$4 options=$5
build=${BUILD:-build/release}
threads=${THREADS:-2}
info=$("$build/tools/nn-info" "$model")
data=$(cat "data/datasets/$config.data.txt")
baseline=data/datasets/$config.baseline.json
hp() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ +/, ""); gsub(/"/, ""); print; exit }' <<< "$info"; }
# The best baseline order by eval NLL.
read -r b_order b_nll b_acc b_ppl < <(tr '{' '\n' < "$baseline" | awk -F'[:,]' '/"order"/ {
    for (i = 1; i <= NF; i++) { gsub(/[ "}\]]/, "", $i) }
    for (i = 1; i < NF; i++) { v[$i] = $(i + 1) }
    if (best == "" || v["nll"] + 0 < best) { best = v["nll"] + 0; line = v["order"] " " v["nll"] " " v["accuracy"] " " v["perplexity"] } }
    END { print line }')
# The best eval row of the log: epoch, step, loss, accuracy.
read -r m_epoch m_step m_nll m_acc < <(awk -F, 'NR > 1 && $7 != "" { if (best == "" || $7 + 0 < best) { best = $7 + 0; line = $2 " " $1 " " $7 " " $8 } } END { print line }' "$model.csv")
epochs=$(awk -F, 'NR > 1 && $7 != "" { n++ } END { print n }' "$model.csv")
m_ppl=$(awk -v x="$m_nll" 'BEGIN { printf "%.3f", exp(x) }')
gain=$(awk -v a="$b_nll" -v b="$m_nll" 'BEGIN { printf "%.3f nats per step (%.1f %%); perplexity %.2f against %.2f", a - b, 100 * (a - b) / a, exp(b), exp(a) }')
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
cat <<CARD
# Starter model: $config

\`presets/$config.nnm\`, trained on this project's machine by \`tools/recipes/train-starter.sh $config\`
with \`nn-train\`. A starter: Debian's packages hold little symbolic music, so the model is small-data;
train your own on your library with the same commands (README, "Training").

## Model

| | |
|---|---|
| kind | event_rnn (Magenta's events RNN: $(hp num_layers) LSTM layers$( [ -n "$(hp attn_length)" ] && echo ", attention over the last $(hp attn_length) steps on the first"), dense output) |
| encoding | $config (input $(hp input_size), classes $(hp num_classes)) |
| parameters | $(awk '$1 == "parameters" { print $2 }' <<< "$info") |
| weights | $(grep -q ' f16 ' <<< "$info" && echo "f16 kernels, f32 biases (rounding to f16 changed the eval loss by less than 0.1 %)" || echo "f32 (f16 cost measurable eval loss)") |
| file | $(stat -c %s "$model") bytes |

## Data

Debian packages only, fetched by \`tools/fetch-corpora.sh\` (mma grooves, freedoom, openttd-openmsx,
planetblupi, pianobooster, hydrogen, abcmidi and abcm2ps tunes, musescore demos), then
\`nn-train data --encoding $config\` (Magenta's pipeline for this configuration; files go to
evaluation by a hash of their path, 10 %, so no piece is in both splits):

\`\`\`
$data
\`\`\`

## Training

Magenta's \`$config\` configuration (layer sizes, dropout, clipping, learning rate, batch) with the
recipe's options \`$options\`; $epochs evaluations; the model kept is the one of the best
evaluation (epoch $m_epoch, step $m_step). Time on this machine ($cpu, $(nproc) cores, $threads thread(s)):
$seconds s. Log: \`presets/$config.nnm.csv\`; curve: \`presets/$config.nnm.svg\`.

## Evaluation (the evaluation split, nats per predicted step)

| model | eval NLL | accuracy | perplexity |
|---|---:|---:|---:|
| this model | $m_nll | $m_acc | $m_ppl |
| n-gram baseline (interpolated Kneser-Ney, order $b_order, the best of the orders tried) | $b_nll | $b_acc | $b_ppl |

The model beats the baseline by $gain.
CARD
