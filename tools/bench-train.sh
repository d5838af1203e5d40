#!/bin/sh
# bench-train.sh — the training benchmark of the README: one training step of a 2 x 256 LSTM on
# 38-class one-hot sequences (batch 64, 128 steps, Adam, clipping) with nn-train on 1 and 2
# threads, next to PyTorch (Debian's python3-torch) with the same sizes on the same cores.
# Debian's torch calls whichever BLAS update-alternatives selects: the reference BLAS unless
# OpenBLAS (libopenblas0-pthread) is installed; the BLAS's own threads count as threads here.
# Usage: tools/bench-train.sh [BUILD_DIR]   (default build/release; run tools/demo.sh first)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/release}
[ -x "$build/tools/nn-train" ] || { echo "bench-train: $build/tools/nn-train is missing: build first (tools/demo.sh)" >&2; exit 1; }
grep -m1 'model name' /proc/cpuinfo | sed 's/.*: /CPU: /'
echo "cores: $(nproc)"
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo unknown)
echo "BLAS behind torch: $blas"
torch() { /usr/bin/python3 tools/bench/train_torch.py --iterations 5 "$@" 2>/dev/null || echo "torch: not available (install python3-torch)"; }
"$build/tools/nn-train" bench --threads 1 --iterations 5
printf 'torch, BLAS 1 thread:            '; OPENBLAS_NUM_THREADS=1 torch --threads 1
"$build/tools/nn-train" bench --threads 2 --iterations 5
printf 'torch 2 threads, BLAS 1 thread:  '; OPENBLAS_NUM_THREADS=1 torch --threads 2
printf 'torch 1 thread, BLAS 2 threads:  '; OPENBLAS_NUM_THREADS=2 torch --threads 1
printf 'torch 2 threads, BLAS 2 threads: '; OPENBLAS_NUM_THREADS=2 torch --threads 2
