#!/usr/bin/env bash
# The main job: install, build, and run the suite's demo on a fresh Debian 12 machine.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh demo
[ -d build/release ] || meson setup build/release --buildtype=release >/dev/null
ninja -C build/release
echo
build/release/tools/nn-demo --out out/demo "$@"
echo
build/release/tools/nn-info out/demo/demo-basic_rnn.nnm
echo
echo "The demo's model file is out/demo/demo-basic_rnn.nnm; the damaged copies beside it are the refused ones."

# Music from the starter models in presets/, from Magenta's default primers (nn-train --help,
# "generate"), then heard through FluidSynth's General MIDI font when it is installed.
echo
mkdir -p out/demo
generated=()
for config in basic_rnn attention_rnn drum_kit chord_pitches_improv; do
  model=presets/$config.nnm
  if [ ! -f "$model" ]; then
    echo "$model is not here yet (the starter models are still training): skipped"
  elif build/release/tools/nn-train generate --model "$model" --out "out/demo/$config.mid"; then
    generated+=("out/demo/$config.mid")
  else
    echo "$model: not generated (the message above says why)"
  fi
done
if [ ${#generated[@]} -eq 0 ]; then
  echo "No starter model in presets/ yet, so no music: the demo is done."
  exit 0
fi

font=/usr/share/sounds/sf2/FluidR3_GM.sf2
heard=()
if command -v fluidsynth >/dev/null && [ -f "$font" ]; then
  for mid in "${generated[@]}"; do
    wav=${mid%.mid}.wav
    if fluidsynth -ni -g 0.8 -F "$wav" -r 44100 "$font" "$mid" >out/demo/fluidsynth.log 2>&1; then
      heard+=("$wav")
    else
      echo "fluidsynth could not render $mid:"
      cat out/demo/fluidsynth.log
    fi
  done
  rm -f out/demo/fluidsynth.log
else
  echo "(no WAV files: fluidsynth and fluid-soundfont-gm, which tools/install-deps.sh demo installs, are missing)"
fi
echo
echo "Generated MIDI files: ${generated[*]}"
[ ${#heard[@]} -eq 0 ] || echo "Rendered to audio:    ${heard[*]}"
