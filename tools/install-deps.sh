#!/usr/bin/env bash
# Installs what building and testing the suite needs on Debian 12, from Debian's own packages.
# Usage: tools/install-deps.sh [demo|test]   (demo: build tools and the demo's synthesizer; test: everything CI uses)
set -euo pipefail

build_packages=(
  gcc libc6-dev meson ninja-build pkg-config libsimde-dev
  lv2-dev liblilv-dev                    # the LV2 plugins, and nn-render, which hosts them
  fluidsynth fluid-soundfont-gm          # the demo plays the music it generates into WAV files
  libjack-jackd2-dev jackd2              # nn-jam's JACK client; the demo jams under jackd -d dummy
  portaudio19-dev libportmidi-dev        # nn-jam without a JACK server: PortAudio and PortMidi
)
test_packages=(
  g++                                    # libstdc++, which the RealtimeSanitizer runtime needs
  clang libclang-rt-14-dev               # clang builds, its sanitizers and libFuzzer
  clang-19 libclang-rt-19-dev            # the RealtimeSanitizer runtime
  llvm-19                                # llvm-symbolizer: RTSan's reports in symbols (plugin self-test)
  python3 python3-torch python3-numpy    # oracle suite (run with /usr/bin/python3)
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user   # aarch64 cross build, tests under qemu
  libopenmpi-dev openmpi-bin             # nn-train over MPI: mpirun -np 2 against 2 threads
  sordi lilv-utils lv2-examples          # sord_validate for lv2_validate; lv2info; eg-fifths checks the JACK harness
  jalv                                   # hosts suite: jalv under jackd -d dummy
  ardour                                 # hosts suite: ardour7-lua, headless sessions
)

packages=("${build_packages[@]}")
[ "${1:-test}" = test ] && packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
