#!/usr/bin/env bash
# Every test of the suite: install, build each configuration, run its suites, print a summary.
#   gcc      -Werror; suites unit, oracle (PyTorch), rt (RealtimeSanitizer), lv2 (lv2_validate,
#            lint, lilv), hosts (jackd -d dummy + jalv, Ardour headless)
#   clang    -Werror; suites unit, rt
#   asan     AddressSanitizer + UndefinedBehaviorSanitizer; suites unit, restore (plugin state
#            restored while run runs)
#   nonative SIMDe's portable fallbacks instead of x86 intrinsics; suite unit
#   aarch64  cross-compiled (NEON), suite unit under qemu-user
#   fuzz     clang libFuzzer on the parsers, bounded time; suite fuzz
# Usage: tools/test.sh [CONFIG...]   (default: all of them)
set -uo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh test || exit 1

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(gcc clang asan nonative aarch64 fuzz)
failed=()
ran=()

# setup DIR [meson options...]: configure a build directory afresh or in place.
setup() {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null
  else meson setup "$dir" "$@" >/dev/null; fi
}

# run CONFIG DIR SUITES [meson options...]: configure, build and test one configuration.
run() {
  local name=$1 dir=$2 suites=$3; shift 3
  echo "=== $name: configure, build"
  if ! setup "$dir" "$@" || ! ninja -C "$dir" >"$dir.ninja.log" 2>&1; then
    tail -n 40 "$dir.ninja.log" 2>/dev/null
    failed+=("$name (build)")
    return
  fi
  local args=()
  for s in $suites; do args+=(--suite "$s"); done
  echo "=== $name: meson test ${args[*]}"
  meson test -C "$dir" --print-errorlogs --num-processes "$(nproc)" "${args[@]}" || failed+=("$name (tests)")
  ran+=("$dir")
}

for c in "${configs[@]}"; do
  case $c in
    gcc) CC=gcc run gcc build/gcc "unit oracle rt lv2 hosts" -Dwerror=true -Doracle=enabled -Drtsan=enabled ;;
    clang) CC=clang run clang build/clang "unit rt" -Dwerror=true -Doracle=disabled ;;
    asan) CC=gcc run asan build/asan "unit restore" -Db_sanitize=address,undefined -Dbuildtype=debugoptimized \
            -Doracle=disabled -Drtsan=disabled ;;
    nonative) CC=gcc run nonative build/nonative "unit" -Dwerror=true -Dsimde_no_native=true \
            -Doracle=disabled -Drtsan=disabled ;;
    aarch64) run aarch64 build/aarch64 "unit" --cross-file tools/cross/aarch64-linux-gnu.ini -Dwerror=true \
            -Doracle=disabled -Drtsan=disabled ;;
    fuzz) CC=clang run fuzz build/fuzz "fuzz" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
            -Dbuildtype=debugoptimized -Doracle=disabled -Drtsan=disabled ;;
    *) echo "unknown configuration: $c"; failed+=("$c") ;;
  esac
done

# The benchmark is not a test; this only proves it still runs (figures are in README.md).
if [ -x build/gcc/tools/nn-bench ]; then
  echo "=== nn-bench --quick"
  build/gcc/tools/nn-bench --quick || failed+=("nn-bench")
fi

/usr/bin/python3 - "${ran[@]}" <<'PY'
import json, sys
passed = failed = skipped = 0
for d in sys.argv[1:]:
    try:
        lines = open(f"{d}/meson-logs/testlog.json").read().splitlines()
    except OSError:
        continue
    for line in lines:
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"): passed += 1
        elif r == "SKIP": skipped += 1
        else: failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "All configurations passed: ${configs[*]}"
