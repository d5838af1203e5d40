#!/usr/bin/env bash
# The main job: install, build, and run the suite's demo on a fresh Debian 12 machine.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh demo
[ -d build/release ] || meson setup build/release --buildtype=release >/dev/null
ninja -C build/release
mkdir -p out/demo
font=/usr/share/sounds/sf2/FluidR3_GM.sf2

# render MID: MID -> WAV through FluidSynth's General MIDI font; prints the WAV's name.
render() {
  local mid=$1 wav=${1%.mid}.wav
  if ! command -v fluidsynth >/dev/null || [ ! -f "$font" ]; then
    echo "(no WAV: fluidsynth and fluid-soundfont-gm, which tools/install-deps.sh demo installs, are missing)" >&2
    return 1
  fi
  if fluidsynth -ni -g 0.8 -F "$wav" -r 44100 "$font" "$mid" >out/demo/fluidsynth.log 2>&1; then
    rm -f out/demo/fluidsynth.log
    echo "$wav"
  else
    echo "fluidsynth could not render $mid:" >&2
    cat out/demo/fluidsynth.log >&2
    return 1
  fi
}

# 1. The plugins: Drums, Improv and Melody RNN, the LV2 plugins as built (bundles in
# build/release/lv2), hosted together by nn-render on one transport over a chord progression,
# offline and deterministic (same seed, same file). After the session (--piano), the piano
# plugins in out/demo/piano.mid: Performance RNN free running for the same 16 bars, then Piano
# Genie played by nn-render (a fixed phrase on its eight buttons) for four. A piano plugin whose
# bundle has no starter model is skipped (nn-render says so); with neither there is no piano.mid.
echo
echo "=== The LV2 plugins in one session: Drums RNN, Improv RNN over the chords, Melody RNN answering;"
echo "    then the piano plugins: Performance RNN free running, Piano Genie played by nn-render"
LV2_PATH=$PWD/build/release/lv2 build/release/tools/lv2host/nn-render --out out/demo --bpm 112 --bars 16 \
  --progression "C Am F G7" --seed 7 --piano "$@"
session_wav=$(render out/demo/session.mid || true)
piano_wav=
[ ! -f out/demo/piano.mid ] || piano_wav=$(render out/demo/piano.mid || true)

# 2. The engine on its own: a model file in basic_rnn's shape played block by block as a
# plugin would, replayed identically, and damaged files refused while it keeps playing.
echo
echo "=== The engine"
build/release/tools/nn-demo --out out/demo
echo
build/release/tools/nn-info out/demo/demo-basic_rnn.nnm

# 3. The starter models through nn-train generate, from Magenta's default primers.
echo
echo "=== nn-train generate with each starter model in presets/"
generated=() heard=()
for config in basic_rnn attention_rnn drum_kit chord_pitches_improv; do
  model=presets/$config.nnm
  if build/release/tools/nn-train generate --model "$model" --out "out/demo/$config.mid"; then
    generated+=("out/demo/$config.mid")
    wav=$(render "out/demo/$config.mid") && heard+=("$wav")
  else
    echo "$model: not generated (the message above says why)"
  fi
done

echo
echo "The plugins' session: out/demo/session.mid${session_wav:+ and $session_wav}"
if [ -f out/demo/piano.mid ]; then
  echo "The piano plugins:    out/demo/piano.mid${piano_wav:+ and $piano_wav}"
else
  echo "The piano plugins:    no piano.mid (neither piano bundle has its starter model)"
fi
echo "The engine demo's model file: out/demo/demo-basic_rnn.nnm (the damaged copies beside it are the refused ones)"
echo "nn-train generate: ${generated[*]}"
[ ${#heard[@]} -eq 0 ] || echo "  rendered:        ${heard[*]}"
