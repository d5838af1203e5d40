#!/bin/sh
# validate.sh BUNDLE: lv2_validate (sord_validate against the installed LV2 specs) on every
# Turtle file of a bundle. Fails on an error (exit status 1) and on any other line it prints
# (serd's parse warnings, for example), except the two it always prints: the summary and the
# note about a spec file Debian does not ship (lv2core.doap.ttl). Exit 77 (skipped) without it.
# Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
bundle=$1
if ! command -v lv2_validate >/dev/null || ! command -v sord_validate >/dev/null; then
  echo "lv2_validate or sord_validate missing (packages lv2-dev, sordi): skipped"
  exit 77
fi
set -- "$bundle"/*.ttl
if [ ! -f "$1" ]; then
  echo "no Turtle files in $bundle"
  exit 1
fi
out=$(lv2_validate "$@" 2>&1)
status=$?
printf '%s\n' "$out"
if [ $status -ne 0 ]; then
  echo "lv2_validate: exit status $status"
  exit 1
fi
extra=$(printf '%s\n' "$out" | grep -v -e '^Found 0 errors among [0-9]* files (checked [0-9]* restrictions)$' \
  -e '^Skipping file .*/lv2core\.doap\.ttl$' -e '^$')
if [ -n "$extra" ]; then
  echo "lv2_validate printed more than its summary (warnings count as failures):"
  printf '%s\n' "$extra"
  exit 1
fi
printf '%s\n' "$out" | grep -q '^Found 0 errors' || { echo "no summary line"; exit 1; }
echo "$# files of $bundle valid"
