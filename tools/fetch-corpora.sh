#!/usr/bin/env bash
# Build the MIDI training corpora from Debian packages only (DESIGN §6).
#
#   tools/fetch-corpora.sh [--force] [--only SRC,SRC] [--jobs N] [DIR]
#
# DIR defaults to $CORPORA_DIR, else data/corpora/ at the repository root (ignored by git).
# Layout: DIR/debs (the .deb files), DIR/pkgs/<package> (dpkg-deb -x, never installed),
# DIR/midi/<source>/ (the corpus), DIR/work (scratch), DIR/logs/<source>.log.
# Only the converters (mma, abc2midi, mscore3) are installed, and only when missing.
# Each source is independent: one that fails is reported and the rest go on. A source that
# finished before is skipped on the next run unless --force is given.
set -euo pipefail

SOURCES=(mma freedoom openttd-openmsx planetblupi pianobooster hydrogen abcmidi abcm2ps musescore)
PY=/usr/bin/python3   # Debian's own Python: the converters below use only its standard library

usage() {
    sed -n '2,11s/^# \{0,1\}//p' "$0"
    echo "Sources: ${SOURCES[*]}"
}

FORCE=0
ONLY=""
JOBS=$(nproc 2>/dev/null || echo 2)
ROOT=""
while [ $# -gt 0 ]; do
    case "$1" in
        --force) FORCE=1 ;;
        --only) ONLY="${2:?--only needs a list}"; shift ;;
        --jobs|-j) JOBS="${2:?--jobs needs a number}"; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
        *) ROOT="$1" ;;
    esac
    shift
done
REPO=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${ROOT:-${CORPORA_DIR:-$REPO/data/corpora}}
mkdir -p "$ROOT"
ROOT=$(cd "$ROOT" && pwd)
DEBS=$ROOT/debs PKGS=$ROOT/pkgs MIDI=$ROOT/midi WORK=$ROOT/work LOGS=$ROOT/logs
mkdir -p "$DEBS" "$PKGS" "$MIDI" "$WORK" "$LOGS"
LOG=$LOGS/main.log   # each source step points LOG at its own file

export DEBIAN_FRONTEND=noninteractive
T0=$(date +%s)

# Inside a step all output already goes to the step's log (run_source), so only print there.
log() {
    if [ -n "${IN_STEP:-}" ]; then printf '[%s] %s\n' "$(date +%T)" "$*" >&2
    else printf '[%s] %s\n' "$(date +%T)" "$*" | tee -a "$LOG" >&2; fi
}
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- apt helpers

APT_UPDATED=0
apt_update_once() {
    [ "$APT_UPDATED" = 1 ] && return 0
    log "apt-get update (package lists look empty or stale)"
    apt-get update >>"$LOGS/apt.log" 2>&1 || die "apt-get update failed (see $LOGS/apt.log)"
    APT_UPDATED=1
}

candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'; }

# A fresh machine has no package lists: apt-cache then knows nothing, so update once.
ensure_candidate() {
    local c
    c=$(candidate "$1")
    if [ -z "$c" ] || [ "$c" = "(none)" ]; then
        apt_update_once
        c=$(candidate "$1")
    fi
    if [ -z "$c" ] || [ "$c" = "(none)" ]; then die "package $1 is not in the apt sources"; fi
    echo "$c"
}

# Install a converter only if its command is missing (the data packages are never installed).
ensure_tool() {
    local cmd=$1 pkg=$2
    command -v "$cmd" >/dev/null 2>&1 && return 0
    ensure_candidate "$pkg" >/dev/null
    log "installing $pkg for $cmd"
    apt-get install -y -q --no-install-recommends "$pkg" >>"$LOG" 2>&1 || die "apt-get install $pkg failed"
    command -v "$cmd" >/dev/null 2>&1 || die "$pkg installed but $cmd is still missing"
}

# deb_of NAME VERSION: the downloaded .deb of that version, or nothing. File names drop the
# epoch and escape ':' as %3a.
deb_of() {
    local f
    for f in "$DEBS/${1}_${2#*:}_"*.deb; do [ -e "$f" ] && echo "$f" && return 0; done
    return 0
}

# fetch_pkg NAME: download the candidate .deb (once) and unpack it into $PKGS/NAME.
fetch_pkg() {
    local name=$1 ver deb
    ver=$(ensure_candidate "$name")
    deb=$(deb_of "$name" "$ver")
    if [ -z "$deb" ]; then
        log "downloading $name $ver"
        # -o Sandbox: root downloads into a folder _apt may not be able to write
        (cd "$DEBS" && apt-get download -o APT::Sandbox::User=root "$name" >>"$LOG" 2>&1) \
            || die "apt-get download $name failed"
        deb=$(deb_of "$name" "$ver")
        [ -n "$deb" ] || die "downloaded $name but found no .deb for $ver"
    fi
    if [ "$FORCE" = 1 ] || [ "$(cat "$PKGS/$name/.unpacked" 2>/dev/null)" != "$(basename "$deb")" ]; then
        rm -rf "${PKGS:?}/${name:?}"
        mkdir -p "$PKGS/$name"
        dpkg-deb -x "$deb" "$PKGS/$name" || die "dpkg-deb -x $deb failed"
        dpkg-deb -f "$deb" Version >"$PKGS/$name/.version"
        basename "$deb" >"$PKGS/$name/.unpacked"
    fi
}

# ---------------------------------------------------------------- sources
# Each src_* function fills $OUT (= $MIDI/<source>, emptied first) and may write a
# one-line note to $OUT/.note for the summary.

# mma: one short song per groove definition of every library, with its chords kept beside it.
src_mma() {
    fetch_pkg mma
    ensure_tool mma mma
    local lib=$PKGS/mma/usr/share/mma/lib jobs=$WORK/mma/jobs failed=$LOGS/mma-failed.txt
    [ -d "$lib/stdlib" ] || die "no groove library at $lib"
    mkdir -p "$WORK/mma"
    # Writes one .mma and one .chords per groove (skipping those already rendered) and
    # the list of jobs "in.mma out.mid in.chords", NUL-separated, for xargs.
    "$PY" - "$lib" "$WORK/mma" "$OUT" "$jobs" <<'PY'
import os, re, sys, zlib
lib, work, out, jobs = sys.argv[1:]
# 8-bar progressions in several keys and modes; the tempo goes with the progression.
PROGS = [
    (112, "C Am F G7 C Am F G7"),
    (96,  "G D Em C G D Em C"),
    (132, "Gm7 C7 Fmaj7 Fmaj7 Gm7 C7 Fmaj7 D7"),
    (88,  "Am Dm E7 Am Am Dm E7 Am"),
    (104, "Bb7 Eb7 Bb7 G7 Cm7 F7 Bb7 F7"),
    (120, "D G D A7 D G A7 D"),
    (100, "Em C G D Em C B7 Em"),
    (126, "Ebmaj7 Cm7 Fm7 Bb7 Ebmaj7 Cm7 Fm7 Bb7"),
]
defgroove = re.compile(r'^\s*DefGroove\s+(\S+)', re.I)
n = skipped = 0
with open(jobs, 'wb') as jf:
    for libname in sorted(os.listdir(lib)):
        d = os.path.join(lib, libname)
        # mma -g ignores folders holding MMAIGNORE; so do we
        if not os.path.isdir(d) or os.path.exists(os.path.join(d, 'MMAIGNORE')):
            continue
        for fn in sorted(f for f in os.listdir(d) if f.endswith('.mma')):
            stem = fn[:-4]
            seen = set()
            with open(os.path.join(d, fn), encoding='latin-1') as f:
                grooves = [m.group(1) for m in map(defgroove.match, f) if m]
            for g in grooves:
                # a groove redefined in the same file: keep the first; "None" is silent by design
                if g.lower() in seen or g.lower() == 'none':
                    continue
                seen.add(g.lower())
                gid = f"{libname}/{stem}:{g}"
                base = re.sub(r'[^A-Za-z0-9_+-]', '_', f"{stem}-{g}")
                odir = os.path.join(out, libname)
                mid = os.path.join(odir, base + '.mid')
                n += 1
                if os.path.exists(mid):
                    skipped += 1
                    continue
                os.makedirs(odir, exist_ok=True)
                wdir = os.path.join(work, libname)
                os.makedirs(wdir, exist_ok=True)
                seed = zlib.crc32(gid.encode()) % 100000
                tempo, prog = PROGS[zlib.crc32(gid.encode() + b'p') % len(PROGS)]
                chords = prog.split()
                src = os.path.join(wdir, base + '.mma')
                with open(src, 'w') as f:
                    f.write(f"// {gid}, rendered for the training corpus\n"
                            f"RndSeed {seed}\nSetLibPath {lib}\nTempo {tempo}\n"
                            f"Use {libname}/{stem}\nGroove {g}\n")
                    f.writelines(f"{i} {c}\n" for i, c in enumerate(chords, 1))
                ch = os.path.join(wdir, base + '.chords')
                with open(ch, 'w') as f:
                    f.write(f"# groove {gid}  tempo {tempo}  seed {seed}\n"
                            "# bar<TAB>chord, one chord for the whole bar (time signature from the MIDI)\n")
                    f.writelines(f"{i}\t{c}\n" for i, c in enumerate(chords, 1))
                jf.write(b'\0'.join(x.encode() for x in (src, mid, ch)) + b'\0')
print(f"{n} groove definitions, {skipped} already rendered", file=sys.stderr)
PY
    : >"$failed"
    # Render in parallel into the work folder, then move: an interrupted run leaves no half file.
    # shellcheck disable=SC2016  # the $1..$3 belong to the inner bash
    xargs -0 -r -n 3 -P "$JOBS" bash -c '
        if mma -f "$1.mid" "$1" >"$1.log" 2>&1 && [ -s "$1.mid" ]; then
            cp "$3" "${2%.mid}.chords"; mv "$1.mid" "$2"
        else
            rm -f "$1.mid"; echo "$1: $(grep -m1 -i error "$1.log")"
        fi' _ <"$jobs" >>"$failed"
    local nf
    nf=$(wc -l <"$failed")
    if [ "$nf" -gt 0 ]; then
        log "mma: $nf grooves did not render (list in $failed); first ones:"
        head -n 3 "$failed" | sed 's/^/    /' >&2
    fi
    echo "$(find "$OUT" -name '*.chords' | wc -l) with .chords; $nf grooves failed" >"$OUT/.note"
}

# freedoom: the music lumps (D_*) of the IWADs, MIDI already in 0.12 (MUS is detected, not used).
src_freedoom() {
    fetch_pkg freedoom
    "$PY" - "$OUT" "$PKGS"/freedoom/usr/share/games/doom/*.wad <<'PY'
import hashlib, os, struct, sys
out, wads = sys.argv[1], sys.argv[2:]
if not wads:
    sys.exit("no .wad file in the package")
lumps = written = dups = mus = 0
seen = {}
for w in wads:
    stem = os.path.splitext(os.path.basename(w))[0]
    with open(w, 'rb') as f:
        data = f.read()
    magic, count, diroff = struct.unpack_from('<4sii', data, 0)
    if magic not in (b'IWAD', b'PWAD'):
        sys.exit(f"{w}: not a WAD ({magic!r})")
    for i in range(count):
        pos, size, name = struct.unpack_from('<ii8s', data, diroff + 16 * i)
        name = name.split(b'\0')[0].decode('latin-1')
        body = data[pos:pos + size]
        if not name.startswith('D_'):
            continue
        lumps += 1
        if body[:4] == b'MUS\x1a':
            mus += 1            # would need a MUS->MIDI converter; none in freedoom 0.12
            continue
        if body[:4] != b'MThd':
            continue
        h = hashlib.sha1(body).hexdigest()
        if h in seen:           # the same song reused for another level
            dups += 1
            print(f"{stem}:{name} duplicates {seen[h]}", file=sys.stderr)
            continue
        seen[h] = f"{stem}:{name}"
        with open(os.path.join(out, f"{stem}-{name}.mid"), 'wb') as f:
            f.write(body)
        written += 1
note = f"{lumps} music lumps, {written} unique MIDI, {dups} duplicate, {mus} MUS"
print(note, file=sys.stderr)
open(os.path.join(out, '.note'), 'w').write(note + '\n')
PY
}

src_openttd-openmsx() {
    fetch_pkg openttd-openmsx
    local n
    n=$(find "$PKGS/openttd-openmsx" -name '*.mid' | wc -l)
    [ "$n" -gt 0 ] || die "no .mid in openttd-openmsx"
    find "$PKGS/openttd-openmsx" -name '*.mid' -exec cp -t "$OUT" {} +
}

src_planetblupi() {
    fetch_pkg planetblupi-music-midi
    find "$PKGS/planetblupi-music-midi" -name '*.mid' -exec cp -t "$OUT" {} +
}

# pianobooster: the lesson books ship in a zip (the newer edition, 15 pieces) and partly again,
# older and some gzipped, under doc/; keep one piece per book and number, the zip's first.
src_pianobooster() {
    fetch_pkg pianobooster
    "$PY" - "$PKGS/pianobooster" "$OUT" <<'PY'
import gzip, os, re, sys, zipfile
root, out = sys.argv[1:]
zipped, loose = [], []
for dp, _, fns in os.walk(root):
    for fn in sorted(fns):
        p = os.path.join(dp, fn)
        if fn.endswith('.zip'):
            with zipfile.ZipFile(p) as z:
                zipped += [(m, z.read(m)) for m in sorted(z.namelist()) if m.lower().endswith('.mid')]
        elif fn.endswith('.mid'):
            loose.append((p, open(p, 'rb').read()))
        elif fn.endswith('.mid.gz'):
            loose.append((p[:-3], gzip.open(p).read()))
kept = {}
for path, body in zipped + loose:
    book, fn = path.split('/')[-2:]
    book = re.sub(r'[^A-Za-z0-9]', '', book)
    key = (book, fn.split('-')[0])          # "Beginner Course" and "BeginnerCourse", "01"
    if key in kept or body[:4] != b'MThd':
        continue
    kept[key] = fn
    with open(os.path.join(out, f"{book}-{re.sub(r'[^A-Za-z0-9._-]', '', fn)}"), 'wb') as f:
        f.write(body)
note = f"{len(zipped)} pieces in the zip, {len(loose)} under doc/, {len(kept)} kept"
print(note, file=sys.stderr)
open(os.path.join(out, '.note'), 'w').write(note + '\n')
PY
}

# hydrogen-data ships no MIDI, only drum kits and 7 demo songs (.h2song, XML): convert the
# songs' pattern sequence to a General MIDI drum track on channel 10.
src_hydrogen() {
    fetch_pkg hydrogen-data
    "$PY" - "$OUT" "$PKGS"/hydrogen-data/usr/share/hydrogen/data/demo_songs/*.h2song <<'PY'
import os, re, struct, sys
import xml.etree.ElementTree as ET
out, songs = sys.argv[1], sys.argv[2:]
PPQ = 48            # Hydrogen's ticks per quarter note
# Kits without a GM mapping leave midiOutNote at Hydrogen's default 36+id: map them by name.
BY_NAME = [(r'kick.*short', 35), (r'kick', 36), (r'stick|rim', 37), (r'snare.*2', 40),
           (r'snare', 38), (r'clap', 39), (r'tom.*(low|floor)', 45), (r'tom.*mid', 47),
           (r'tom', 50), (r'(closed|hat.*closed)', 42), (r'pedal', 44), (r'open', 46),
           (r'hat', 42), (r'crash|cymbal', 49), (r'ride', 51), (r'shaker|maraca', 70),
           (r'conga', 63), (r'clave', 75), (r'cowbell', 56), (r'splash', 55)]
def gm_by_name(name):
    for rx, note in BY_NAME:
        if re.search(rx, name, re.I):
            return note
    return None
def vlq(n):
    b = [n & 0x7f]
    while n > 127:
        n >>= 7
        b.insert(0, 0x80 | (n & 0x7f))
    return bytes(b)
made = 0
for path in songs:
    root = ET.parse(path).getroot()
    insts = [(int(i.findtext('id')), i.findtext('name') or '', int(i.findtext('midiOutNote') or -1))
             for i in root.find('instrumentList')]
    default_map = all(n == 36 + i for i, _, n in insts)
    notemap = {}
    for i, name, n in insts:
        notemap[i] = (gm_by_name(name) or n) if default_map else n
    pats = {}
    for p in root.find('patternList'):
        notes = []
        for n in p.find('noteList') or []:
            if (n.findtext('note_off') or 'false') == 'true':
                continue
            notes.append((int(n.findtext('position')), int(n.findtext('instrument')),
                          float(n.findtext('velocity') or 0.8)))
        pats[p.findtext('name')] = (int(p.findtext('size')), notes)
    events, t = [], 0
    for group in root.find('patternSequence'):
        ids = [x.text for x in group if x.text in pats]
        if not ids:
            continue
        for pid in ids:
            for pos, inst, vel in pats[pid][1]:
                key = notemap.get(inst)
                if key is None or not 0 <= key < 128:
                    continue
                v = max(1, min(127, round(vel * 127)))
                events.append((t + pos, 1, key, v))
                events.append((t + pos + PPQ // 4, 0, key, 0))   # drums: a 16th-note gate
        t += max(pats[pid][0] for pid in ids)   # a column lasts as long as its longest pattern
    if not events:
        print(f"{path}: no notes", file=sys.stderr)
        continue
    bpm = float(root.findtext('bpm') or 120)
    trk = bytearray(b'\x00\xff\x51\x03' + struct.pack('>I', round(60e6 / bpm))[1:])
    trk += b'\x00\xff\x58\x04\x04\x02\x18\x08'
    last = 0
    for tick, on, key, vel in sorted(events, key=lambda e: (e[0], e[1])):
        trk += vlq(tick - last) + bytes([0x99 if on else 0x89, key, vel if on else 64])
        last = tick
    trk += b'\x00\xff\x2f\x00'
    name = os.path.splitext(os.path.basename(path))[0]
    with open(os.path.join(out, name + '.mid'), 'wb') as f:
        f.write(b'MThd' + struct.pack('>IHHH', 6, 0, 1, PPQ))
        f.write(b'MTrk' + struct.pack('>I', len(trk)) + trk)
    made += 1
note = f"{made} of {len(songs)} demo songs converted (no MIDI or patterns shipped otherwise)"
print(note, file=sys.stderr)
open(os.path.join(out, '.note'), 'w').write(note + '\n')
PY
}

# abc_convert PKG: split each example .abc into single tunes (kept beside the MIDI as the
# chord-symbol annotation) and run abc2midi on each.
abc_convert() {
    local pkg=$1
    fetch_pkg "$pkg"
    ensure_tool abc2midi abcmidi
    "$PY" - "$PKGS/$pkg/usr/share/doc/$pkg/examples" "$OUT" <<'PY'
import os, re, subprocess, sys
src, out = sys.argv[1:]
# A chord symbol is a quoted string starting with a note name; "^text" etc. are annotations.
CHORD = re.compile(r'"[A-G][b#]?(?:m|min|maj|dim|aug|sus|add|[0-9()+/ob#-])*"')
tunes = with_chords = made = 0
for fn in sorted(f for f in os.listdir(src) if f.endswith('.abc')):
    text = open(os.path.join(src, fn), encoding='utf-8', errors='replace').read()
    # split() always yields the text before the first X: (the file header) first
    header, *bodies = re.split(r'(?m)^(?=X:)', text)
    for body in bodies:
        tunes += 1
        x = re.match(r'X:\s*(\S*)', body).group(1) or str(tunes)
        base = os.path.join(out, f"{fn[:-4]}-X{re.sub(r'[^0-9A-Za-z]', '', x)}")
        # the file header holds global settings (%%MIDI, defaults) that apply to every tune
        with open(base + '.abc', 'w') as f:
            f.write(header + body)
        music = '\n'.join(l for l in body.splitlines() if not re.match(r'[A-Za-z]:|%', l))
        if CHORD.search(music):
            with_chords += 1
        r = subprocess.run(['abc2midi', base + '.abc', '-o', base + '.mid', '-silent'],
                           capture_output=True, text=True)
        if os.path.exists(base + '.mid') and os.path.getsize(base + '.mid') > 14:
            made += 1
        else:
            os.remove(base + '.abc')
            print(f"{fn} X:{x}: abc2midi made no MIDI (rc {r.returncode})", file=sys.stderr)
note = f"{tunes} tunes, {made} converted, {with_chords} with chord symbols"
print(note, file=sys.stderr)
open(os.path.join(out, '.note'), 'w').write(note + '\n')
PY
}
src_abcmidi() { abc_convert abcmidi; }
src_abcm2ps() { abc_convert abcm2ps; }

# musescore3-common demos: MuseScore renders them to MIDI headless (Qt's offscreen platform).
src_musescore() {
    fetch_pkg musescore3-common
    ensure_tool mscore3 musescore3
    local f base n=0 fail=0
    mkdir -p "$WORK/musescore"
    for f in "$PKGS"/musescore3-common/usr/share/mscore3-*/demos/*.msc[xz]; do
        [ -e "$f" ] || die "no demos in musescore3-common"
        base=$(basename "${f%.*}")
        # timeout: a score that makes mscore3 hang must not block the run
        if XDG_RUNTIME_DIR=$WORK/musescore QT_QPA_PLATFORM=offscreen \
            timeout 300 mscore3 -o "$OUT/$base.mid" "$f" >>"$LOG" 2>&1 && [ -s "$OUT/$base.mid" ]; then
            n=$((n + 1))
            cp "$f" "$OUT/"   # the score keeps what MIDI loses, e.g. chord symbols
        else
            fail=$((fail + 1)); rm -f "$OUT/$base.mid"
            log "musescore: $base did not convert"
        fi
    done
    echo "$n demos converted, $fail failed" >"$OUT/.note"
    [ "$n" -gt 0 ] || die "no demo converted"
}

# ---------------------------------------------------------------- driver and summary

declare -A PKG_OF=([mma]=mma [freedoom]=freedoom [openttd-openmsx]=openttd-openmsx
    [planetblupi]=planetblupi-music-midi [pianobooster]=pianobooster [hydrogen]=hydrogen-data
    [abcmidi]=abcmidi [abcm2ps]=abcm2ps [musescore]=musescore3-common)
# copyright stanzas that cover the files used, when they differ from "Files: *"
declare -A LIC_HINT=([pianobooster]=music/ [musescore]=demos/)
declare -A STATUS SECS

run_source() {
    local src=$1 t rc
    OUT=$MIDI/$src
    if [ -n "$ONLY" ] && [[ ",$ONLY," != *",$src,"* ]]; then
        return 0
    fi
    if [ "$FORCE" = 0 ] && [ -e "$OUT/.done" ]; then
        STATUS[$src]=cached
        log "$src: already built ($(find "$OUT" -name '*.mid' | wc -l) MIDI files), skipped (--force redoes it)"
        return 0
    fi
    log "$src: start"
    t=$(date +%s)
    rm -rf "${OUT:?}"
    mkdir -p "$OUT"
    LOG=$LOGS/$src.log
    : >"$LOG"
    # errexit must stay on inside the step, so the subshell is not run under if/||;
    # its messages go to the terminal and to the step's log.
    set +e
    ( set -e; IN_STEP=1; "src_$src" ) 2>&1 | tee -a "$LOG" >&2
    rc=${PIPESTATUS[0]}
    set -e
    LOG=$LOGS/main.log
    SECS[$src]=$(( $(date +%s) - t ))
    if [ "$rc" = 0 ]; then
        touch "$OUT/.done"
        STATUS[$src]=ok
        log "$src: done in ${SECS[$src]} s, $(find "$OUT" -name '*.mid' | wc -l) MIDI files"
    else
        STATUS[$src]="FAILED"
        log "$src: FAILED (exit $rc) after ${SECS[$src]} s, see $LOGS/$src.log; going on"
    fi
}

# licence COPYRIGHT [HINT]: the License of the stanzas naming HINT, else of "Files: *".
licence() {
    [ -f "$1" ] || { echo "?"; return; }
    "$PY" - "$@" <<'PY'
import re, sys
text = open(sys.argv[1], encoding='utf-8', errors='replace').read()
hint = sys.argv[2] if len(sys.argv) > 2 else None
star, hinted = [], []
for para in re.split(r'\n\s*\n', text):
    fm = re.search(r'^Files:(.*(?:\n[ \t].*)*)', para, re.M)
    lm = re.search(r'^License:\s*(.+)', para, re.M)
    if not fm or not lm:
        continue
    files, lic = fm.group(1).split(), lm.group(1).strip()
    if files == ['*']:
        star.append(lic)
    if hint and any(f.startswith(hint) for f in files) and lic not in hinted:
        hinted.append(lic)
print(', '.join(hinted or star or ['?']))
PY
}

# Checks that every output parses as a Standard MIDI File and counts what it holds.
midi_stats() {
    "$PY" - "$1" <<'PY'
import os, struct, sys
def scan(data):
    if data[:4] != b'MThd':
        raise ValueError('no MThd')
    hl, = struct.unpack('>I', data[4:8])
    pos, drums, pitched = 8 + hl, 0, 0
    while pos + 8 <= len(data):
        tag, ln = data[pos:pos + 4], struct.unpack('>I', data[pos + 4:pos + 8])[0]
        pos += 8
        if tag == b'MTrk':
            t, i, run = data[pos:pos + ln], 0, 0
            while i < len(t):
                while t[i] & 0x80: i += 1       # delta time
                i += 1
                s = t[i]
                if s == 0xff:
                    i += 2; n = 0
                    while True:
                        n = (n << 7) | (t[i] & 0x7f); i += 1
                        if not t[i - 1] & 0x80: break
                    i += n; continue
                if s in (0xf0, 0xf7):
                    i += 1; n = 0
                    while True:
                        n = (n << 7) | (t[i] & 0x7f); i += 1
                        if not t[i - 1] & 0x80: break
                    i += n; continue
                if s & 0x80: run = s; i += 1
                nd = 1 if run & 0xf0 in (0xc0, 0xd0) else 2
                if run & 0xf0 == 0x90 and t[i + 1] > 0:
                    if run & 0x0f == 9: drums += 1
                    else: pitched += 1
                i += nd
        pos += ln
    return drums, pitched
n = bad = wd = wp = 0
for dp, _, fns in os.walk(sys.argv[1]):
    for fn in fns:
        if not fn.endswith('.mid'):
            continue
        n += 1
        try:
            d, p = scan(open(os.path.join(dp, fn), 'rb').read())
            wd += d > 0; wp += p > 0
        except Exception:
            bad += 1
print(f"{n}\t{wp}\t{wd}\t{bad}")
PY
}

declare -A YIELDS=(
    [mma]="drums+bass+chords, chord-annotated"
    [freedoom]="multi-track songs: melodies, drums"
    [openttd-openmsx]="multi-track songs: melodies, drums"
    [planetblupi]="multi-track songs: melodies, drums"
    [pianobooster]="piano pieces (hands on ch 3/4) + backing"
    [hydrogen]="drum tracks (GM, channel 10)"
    [abcmidi]="folk melodies, some with chords"
    [abcm2ps]="melodies, some with chord symbols"
    [musescore]="multi-instrument scores (+ source)")

summary() {
    local src pkg ver lic st nums n wp wd bad note
    printf '\nCorpus in %s\n\n' "$MIDI"
    {
        printf 'source\tpackage version\tlicence\tMIDI\tpitched/drums/bad\tyields\tstatus\tnotes\n'
        for src in "${SOURCES[@]}"; do
            if [ -n "$ONLY" ] && [[ ",$ONLY," != *",$src,"* ]] && [ ! -e "$MIDI/$src/.done" ]; then
                continue
            fi
            pkg=${PKG_OF[$src]}
            ver=$(cat "$PKGS/$pkg/.version" 2>/dev/null || echo "?")
            lic=$(licence "$PKGS/$pkg/usr/share/doc/$pkg/copyright" ${LIC_HINT[$src]:+"${LIC_HINT[$src]}"})
            st=${STATUS[$src]:-}
            [ -z "$st" ] && { [ -e "$MIDI/$src/.done" ] && st=cached || st="not run"; }
            [ -n "${SECS[$src]:-}" ] && st="$st ${SECS[$src]}s"
            nums=$(midi_stats "$MIDI/$src" 2>/dev/null || printf '0\t0\t0\t0')
            IFS=$'\t' read -r n wp wd bad <<<"$nums"
            note=$(cat "$MIDI/$src/.note" 2>/dev/null || true)
            printf '%s\t%s %s\t%s\t%s\t%s/%s/%s\t%s\t%s\t%s\n' \
                "$src" "$pkg" "$ver" "$lic" "$n" "$wp" "$wd" "$bad" "${YIELDS[$src]}" "$st" "$note"
        done
    } | column -t -s $'\t'
    local total
    total=$(find "$MIDI" -name '*.mid' | wc -l)
    local dt=$(( $(date +%s) - T0 ))
    printf '\n%s MIDI files in all; this run took %dm%02ds.\n' "$total" $((dt / 60)) $((dt % 60))
    printf '(pitched/drums: files with notes off/on channel 10; bad: files that do not parse)\n'
}

log "corpora in $ROOT (jobs: $JOBS${ONLY:+, only: $ONLY}$([ "$FORCE" = 1 ] && echo ", --force"))"
if [ -n "$ONLY" ]; then
    for s in ${ONLY//,/ }; do
        [[ " ${SOURCES[*]} " == *" $s "* ]] || die "unknown source '$s' (sources: ${SOURCES[*]})"
    done
fi
# Steps run in subshells, so update the lists here, once, if apt knows none of the packages.
c=$(candidate mma)
if [ -z "$c" ] || [ "$c" = "(none)" ]; then apt_update_once; fi
for s in "${SOURCES[@]}"; do
    run_source "$s"
done
rm -rf "$WORK"   # scratch only; the .mma sources of the grooves are rebuilt when needed
summary | tee "$LOGS/summary.txt"
failed=0
for s in "${SOURCES[@]}"; do [ "${STATUS[$s]:-}" = FAILED ] && failed=$((failed + 1)); done
[ "$failed" = 0 ] || { echo "$failed source(s) failed: see $LOGS/" >&2; exit 1; }
