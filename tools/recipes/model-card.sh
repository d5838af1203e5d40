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
if [ "$config" = piano_genie ]; then
  # nn-train genie's own log: the row of the best eval NLL, and its key n-gram baselines.
  log=$model.genie.csv
  read -r g_step g_nll g_acc g_viol g_agree g_dev g_range g_ppl < <(awk -F, 'NR > 1 { if (best == "" || $7 + 0 < best) {
      best = $7 + 0; line = $1 " " $7 " " $8 " " $12 " " $13 " " $14 " " $15 " " $16 } } END { print line }' "$log")
  read -r b_order b_nll < <(awk -F, 'NR == 2 { for (i = 17; i <= NF; i++) if (best == "" || $i + 0 < best) { best = $i + 0; o = i - 16 }
      print o " " best }' "$log")
  baselines=$(awk -F, 'NR == 2 { for (i = 17; i <= NF; i++) printf "%s%d: %.4f", (i > 17 ? ", " : ""), i - 16, $i }' "$log")
  evals=$(awk 'END { print NR - 1 }' "$log")
  crops=$(grep -o '[0-9]* evaluation crops' "data/datasets/$config.train.txt" | head -1 | cut -d' ' -f1)
  gain=$(awk -v a="$b_nll" -v b="$g_nll" 'BEGIN { printf "%.3f nats per note (%.1f %%)", a - b, 100 * (a - b) / a }')
  cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
  cat <<CARD
# Starter model: piano_genie

\`presets/piano_genie.nnm\`, Piano Genie's decoder, trained on this project's machine by
\`tools/recipes/train-starter.sh piano_genie\` with \`nn-train genie\`. A starter: Debian's packages hold
little piano music, so it learnt from every pitched note of the corpora; train your own on a
piano library with the same commands. The Piano Genie plugin plays it (eight buttons to 88 keys).

## Model

| | |
|---|---|
| kind | event_rnn with input projection: Piano Genie's decoder, $(hp num_layers) LSTM layers of 128, 88 keys |
| encoding | piano_genie (input $(hp input_size): button value, last key of 89, delta-time bin of 33) |
| parameters | $(awk '$1 == "parameters" { print $2 }' <<< "$info") (the decoder; the encoder and quantiser stay in \`$model.ckpt\`) |
| file | $(stat -c %s "$model") bytes, f32 |

Trained as Magenta's PianoGeniePaper configuration (configs.py): a bidirectional 2 x LSTM 128 encoder
over one-hot keys and delta-time bins (forward and backward share their weights, as model.py's one
cell object does), a dense layer to one value per note, the integer quantiser into 8 buttons with a
straight-through gradient, and the autoregressive decoder; loss = reconstruction cross-entropy +
range penalty + contour penalty (margin 1, squared), weights 1, 1; the deviation penalty has weight 0
there and is only measured. Adam 3e-4, batches of 32 random 128-note crops of performances of at
least 128 notes, transposed by a random -6..5 semitones that keep the crop on the keyboard. Not done:
loader.py's 0.95..1.05 tempo stretch (the dataset stores delta bins, not times).

## Data

Debian packages only, fetched by \`tools/fetch-corpora.sh\` (mma grooves, freedoom, openttd-openmsx,
planetblupi, pianobooster, hydrogen, abcmidi and abcm2ps tunes, musescore demos), then
\`nn-train data --encoding piano_genie\`: every non-drum note of each file sorted by onset and pitch
(loader.py), pitches 21..108, one record per file; files go to evaluation by a hash of their path
(10 %). Piano-only material is scarce (15 pianobooster pieces), so all instruments count.

\`\`\`
$data
\`\`\`

## Training

Options \`$options\`; $evals evaluations; the decoder kept is that of the best evaluation (step
$g_step). Time on this machine ($cpu, $(nproc) cores shared, $threads thread): $seconds s.
Logs: \`presets/piano_genie.nnm.csv\` (the usual columns), \`presets/piano_genie.nnm.genie.csv\`
(every loss, button figures, baselines); curve: \`presets/piano_genie.nnm.svg\`.

## Evaluation ($crops consecutive 128-note crops of the evaluation files, nats per note)

| model | eval NLL | accuracy |
|---|---:|---:|
| this decoder, given the encoder's buttons and the delta times | $g_nll | $g_acc |
| key n-gram (interpolated Kneser-Ney, keys alone, order $b_order, the best of $baselines) | $b_nll | |

The decoder beats the key n-gram by $gain; it also sees the buttons, which is the point of Piano Genie.

Buttons (model.py's statistics on the same crops): contour violations $g_viol (note pairs whose key
and button move in opposite directions; agreement $g_agree), repeated keys given a different button
$g_dev, values inside [-1, 1] $g_range, button perplexity $g_ppl of 8.
CARD
  exit 0
fi
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
