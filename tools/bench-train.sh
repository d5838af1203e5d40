#!/bin/sh
# bench-train.sh — the training benchmark of the README: one training step of a 2 x 256 LSTM on
# 38-class one-hot sequences (batch 64, 128 steps, Adam, clipping) with nn-train on 1 and 2
# threads, next to PyTorch (Debian's python3-torch) with the same sizes and thread counts.
# Usage: tools/bench-train.sh [BUILD_DIR]   (default build/release; run tools/demo.sh first)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/release}
[ -x "$build/tools/nn-train" ] || { echo "bench-train: $build/tools/nn-train is missing: build first (tools/demo.sh)" >&2; exit 1; }
grep -m1 'model name' /proc/cpuinfo | sed 's/.*: /CPU: /'
echo "cores: $(nproc)"
for threads in 1 2; do
    "$build/tools/nn-train" bench --threads "$threads" --iterations 5
    /usr/bin/python3 tools/bench/train_torch.py --threads "$threads" --iterations 5 2>/dev/null ||
        echo "torch: not available (install python3-torch)"
done
