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

# 2. nn-jam, the live host, under a JACK server of its own (dummy backend: no sound card needed;
# it runs in real time, 16 s): Drums RNN on a two-bar loop, Melody RNN free on channel 2 and
# Piano Genie on channel 3, played by jack_midiseq looping eight button presses into genie_in.
# nn-jam records the session to out/demo/jam.mid and prints each model's time per callback.
echo
echo "=== nn-jam live under JACK (16 s): drums, melody, and Piano Genie played by jack_midiseq"
jam_wav=
if command -v jackd >/dev/null && command -v jack_midiseq >/dev/null && [ -x build/release/tools/nn-jam/nn-jam ]; then
  export JACK_DEFAULT_SERVER=nn-jam-demo-$$ JACK_NO_START_SERVER=1
  jackd --no-realtime -n "$JACK_DEFAULT_SERVER" -d dummy -r 48000 -p 256 >out/demo/jackd.log 2>&1 &
  jackd_pid=$!
  if jack_wait -w -t 10 >/dev/null 2>&1; then
    build/release/tools/nn-jam/nn-jam --no-ui --log-seconds 4 --duration 16 --bpm 100 --record out/demo/jam.mid --report \
      -m drums,loop_bars=2,seed=3 -m melody,mode=free,seed=5,channel=2 -m genie,channel=3,temperature=0.5 &
    jam_pid=$!
    for _ in $(seq 100); do jack_lsp 2>/dev/null | grep -q nn-jam:genie_in && break; sleep 0.1; done
    # A two-second loop of eight presses (frames at 48 kHz): start, button note, length.
    jack_midiseq presses 96000 0 60 9000 12000 62 9000 24000 64 9000 36000 63 9000 48000 65 9000 60000 67 9000 \
      72000 66 9000 84000 61 9000 >/dev/null 2>&1 &
    seq_pid=$!
    sleep 0.5
    jack_connect presses:out nn-jam:genie_in || echo "(could not connect jack_midiseq to nn-jam)"
    wait "$jam_pid" || echo "nn-jam ended with an error (above)"
    # The client must be gone before the server stops: jackd stopped while a client is still
    # dying leaves its entry in JACK's shared registry, and after eight no jackd starts.
    kill "$seq_pid" 2>/dev/null || true
    wait "$seq_pid" 2>/dev/null || true
  else
    echo "(jackd did not start: see out/demo/jackd.log)"
  fi
  kill "$jackd_pid" 2>/dev/null || true
  wait "$jackd_pid" 2>/dev/null || true
  unset JACK_DEFAULT_SERVER JACK_NO_START_SERVER
  [ ! -f out/demo/jam.mid ] || jam_wav=$(render out/demo/jam.mid || true)
else
  echo "(no jackd, jack_midiseq or nn-jam: tools/install-deps.sh demo installs them)"
fi

# 3. The engine on its own: a model file in basic_rnn's shape played block by block as a
# plugin would, replayed identically, and damaged files refused while it keeps playing.
echo
echo "=== The engine"
build/release/tools/nn-demo --out out/demo
echo
build/release/tools/nn-info out/demo/demo-basic_rnn.nnm

# 4. The starter models through nn-train generate, from Magenta's default primers.
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
if [ -f out/demo/jam.mid ]; then
  echo "The nn-jam session:   out/demo/jam.mid${jam_wav:+ and $jam_wav}"
fi
echo "The engine demo's model file: out/demo/demo-basic_rnn.nnm (the damaged copies beside it are the refused ones)"
echo "nn-train generate: ${generated[*]}"
[ ${#heard[@]} -eq 0 ] || echo "  rendered:        ${heard[*]}"
