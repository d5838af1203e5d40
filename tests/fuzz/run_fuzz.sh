#!/bin/sh
# run_fuzz.sh — the fuzz suite's test: write the seed corpus, then run the fuzzer on it.
# Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
# Usage: run_fuzz.sh GENERATOR FUZZER CORPUS-DIR ARTIFACT-DIR [libFuzzer flags...]
set -eu
generator=$1 fuzzer=$2 corpus=$3 artifacts=$4
shift 4
"$generator" "$corpus"
mkdir -p "$artifacts"
# A crash leaves its input in ARTIFACT-DIR (crash-*, leak-*, timeout-*, oom-*) for replay:
#   FUZZER ARTIFACT-DIR/crash-...
exec "$fuzzer" -artifact_prefix="$artifacts/" "$@" "$corpus"
