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
