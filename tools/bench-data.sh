#!/bin/sh
# bench-data.sh — a benchmark (not a test) of `nn-train data`: writes N small random MIDI files
# (melody and drums, 10 bars each) into a temporary folder, runs the tool on them under
# /usr/bin/time -v and prints files per second and the maximum resident set size.
#
# usage: tools/bench-data.sh [N (100000)] [ENCODING (basic_rnn)] [NN_TRAIN (build/tools/nn-train)]
#
# Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
set -eu

count=${1:-100000}
encoding=${2:-basic_rnn}
tool=${3:-build/tools/nn-train}
[ -x "$tool" ] || { echo "bench-data: no nn-train at $tool (pass its path as the third argument)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench-data: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
python=/usr/bin/python3

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-data.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# The generator: the Python 3 standard library only, raw Standard MIDI File bytes.
cat > "$work/generate.py" <<'PY'
import os, random, struct, sys

def vlq(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))

def track(events):
    # events: (tick, bytes); sorted by tick, note-offs before note-ons at one tick
    events.sort(key=lambda e: (e[0], e[1][0] & 0xF0 == 0x90))
    data, last = bytearray(), 0
    for tick, message in events:
        data += vlq(tick - last) + message
        last = tick
    data += b"\x00\xff\x2f\x00"
    return b"MTrk" + struct.pack(">I", len(data)) + bytes(data)

def song(rng):
    tpq, bars = 220, 10
    scale = [0, 2, 4, 5, 7, 9, 11]
    root = rng.randrange(48, 66)
    events = [(0, b"\xff\x51\x03" + (500000 + rng.randrange(-100000, 100000)).to_bytes(3, "big"))]
    tick = 0
    while tick < bars * 4 * tpq:
        length = rng.choice((tpq // 2, tpq, tpq, 2 * tpq))
        pitch = root + rng.choice(scale) + 12 * rng.randrange(0, 2)
        events.append((tick, bytes((0x90, pitch, 80))))
        events.append((tick + length, bytes((0x80, pitch, 0))))
        tick += length
    for step in range(bars * 16):
        t = step * tpq // 4
        for pitch, chance in ((36, 0.25 if step % 4 else 0.9), (38, 0.6 if step % 8 == 4 else 0.05), (42, 0.7)):
            if rng.random() < chance:
                events.append((t, bytes((0x99, pitch, 100))))
                events.append((t + tpq // 8, bytes((0x89, pitch, 0))))
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, tpq) + track(events)

root, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(1234)
for i in range(count):
    folder = os.path.join(root, "%03d" % (i // 1000))
    if i % 1000 == 0:
        os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "song%06d.mid" % i), "wb") as f:
        f.write(song(rng))
PY

start=$(date +%s)
"$python" "$work/generate.py" "$work/midi" "$count"
echo "bench-data: generated $count MIDI files in $(( $(date +%s) - start )) s ($(du -sh "$work/midi" | cut -f1))"

/usr/bin/time -v -o "$work/time.txt" "$tool" data --encoding "$encoding" --out "$work/out.nnd" "$work/midi" 2> "$work/log.txt" || {
    cat "$work/log.txt" >&2; exit 1; }
grep -v '^nn-train: skipped' "$work/log.txt" | sed 's/^/  /'
elapsed=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt")
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
seconds=$(echo "$elapsed" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
echo "bench-data: $count files, $encoding, $elapsed wall: $(awk -v n="$count" -v s="$seconds" 'BEGIN { printf "%.0f", n / (s > 0 ? s : 1e-9) }') files/s, max RSS $rss kB, output $(du -h "$work/out.nnd" | cut -f1)"
