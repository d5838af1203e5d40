#!/usr/bin/python3
"""Plugins in a headless Ardour session: made, rolled and recorded, saved, closed, reopened; the
state comes back and the plugins play in time.

Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.

Runs ardour_session.lua in `ardour7-lua` (Dummy backend) twice on one session folder:
  create  one MIDI track per --track, an LV2 preset loaded (it carries the model file and, for
          Improv RNN, the chord progression: Ardour 7's Lua has no way to send a patch:Set),
          controls set by port index, and beside it a capture track recording its MIDI output;
          the transport rolled from sample 0 while the session records (a --play phrase played
          into the track as from a keyboard), session saved and closed;
  reopen  the session loaded, every control printed, rolled and recorded again, saved again, closed.
In each run it checks what each plugin played, read from the take Ardour recorded (the notes of
the new MIDI region, in ticks of the quarter and in session samples):
  - notes present (--min-notes), all on the plugin's `channel`, inside the take;
  - every note starts on the grid: a step is a quarter / steps_per_quarter of the session tempo
    (120 bpm at 48 kHz: 6000 samples, 480 ticks); see on_grid for the tolerance;
  - every note has its end: it ends on the grid (the plugin's note-off) or at the end of the take
    (still sounding when recording stopped; Ardour closes such notes there and logs "resolved
    note-on with no note-off"); a note-off that never came would show as a note running past its
    successor, so a melody's notes never overlap (Melody and Improv RNN play one note at a time)
    and a drum hit lasts at most one step (Drums RNN ends each step's hits at the next step);
  - Drums RNN: only its nine drum notes (the *_note controls, General MIDI by default) on its
    channel (10); Melody and Improv RNN: pitches within pitch_low..pitch_high;
  - a track in Answer mode with a --play phrase: nothing starts while the phrase is played, the
    reply starts in the bar after a beat of silence and lasts at most length_bars bars;
  - --same-notes NAME: the reopened session plays the notes of the first one (free run: the notes
    follow the seed and the transport only, so the restored model, progression and controls must
    give the same music).
Then it checks, per track:
  - every control set in the first run reads back with the same value in the second (Ardour
    restores port values itself), and the session file stores them under their LV2 symbols;
  - the plugin's own state (LV2 state, saved by Ardour under plugins/<id>/stateN/state.ttl):
    after the first save it names the model file of the preset (state:mapPath made it a link in
    the session; it must resolve to the same file) and the progression; after the reopened
    session is saved, the plugin, asked again, still names the same model and progression —
    which it can only do if its state:restore took them.
Port indexes, the bundle and the presets come from the plugin's own Turtle (lv2info, sordi).
Each run takes the roll time plus about 3 s: 15 s for the test with --roll 4.5.

Exit status: 0 pass, 1 fail, 77 skipped (ardour7-lua, lv2info or sordi missing).
HOSTS_KEEP=DIR in the environment keeps a copy of the session folder there.
"""
import argparse
import math
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
LV2 = 'http://lv2plug.in/ns/lv2core#'
PSET = 'http://lv2plug.in/ns/ext/presets#'
STATE = 'http://lv2plug.in/ns/ext/state#'
RDFS_LABEL = 'http://www.w3.org/2000/01/rdf-schema#label'
RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type'


class Failure(Exception):
    pass


def run(argv, env=None, timeout=60):
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def plugin_info(uri):
    """Bundle folder and {symbol: (index, is_input_control)} from lv2info."""
    rc, out, err = run(['lv2info', uri])
    if rc != 0 or 'Plugin not found' in out + err:
        raise Failure(f'lv2info does not find {uri} (LV2_PATH={os.environ.get("LV2_PATH", "")})')
    bundle = re.search(r'Bundle:\s+(\S+)', out).group(1)
    ports = {}
    for block in re.split(r'\n\tPort (?=\d+:)', out)[1:]:
        index = int(block.split(':', 1)[0])
        symbol = re.search(r'Symbol:\s+(\S+)', block).group(1)
        control_in = 'lv2core#ControlPort' in block and 'lv2core#InputPort' in block
        ports[symbol] = (index, control_in)
    return file_path(bundle), ports


def file_path(uri):
    assert uri.startswith('file://'), uri
    return urllib.parse.unquote(uri[len('file://'):])


NT = re.compile(r'(<[^>]*>|_:\S+)\s+<([^>]*)>\s+(<[^>]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:\^\^<[^>]*>|@\S+)?)\s*\.\s*$')


def triples(ttl_file):
    """The file's statements as (subject, predicate, object) strings: IRIs without <>, blank
    nodes as _:name, literals as ('lit', text)."""
    rc, out, err = run(['sordi', '-o', 'ntriples', ttl_file])
    if rc != 0:
        raise Failure(f'sordi cannot read {ttl_file}: {err}')
    result = []
    for line in out.splitlines():
        m = NT.match(line)
        if not m:
            continue
        s, p, o = m.groups()
        # Blank node names are only unique within one file: qualify them with the file.
        s = s[1:-1] if s.startswith('<') else s + '@' + ttl_file
        if o.startswith('<'):
            o = o[1:-1]
        elif o.startswith('_:'):
            o = o + '@' + ttl_file
        elif o.startswith('"'):
            text = o[1:o.rindex('"')]
            o = ('lit', bytes(text, 'utf-8').decode('unicode_escape'))
        result.append((s, p, o))
    return result


def state_properties(stmts, subject):
    """The state:state properties of `subject` (a preset or a saved state): {predicate: object}."""
    props = {}
    for s, p, o in stmts:
        if s == subject and p == STATE + 'state':
            for s2, p2, o2 in stmts:
                if s2 == o:
                    props[p2] = o2
    return props


def preset_bundles(bundle, uri):
    """The plugin's bundle and every other bundle on LV2_PATH whose manifest names the plugin."""
    found = [bundle]
    for d in os.environ.get('LV2_PATH', '').split(':'):
        if not os.path.isdir(d):
            continue
        for b in sorted(os.listdir(d)):
            path = os.path.join(d, b)
            manifest = os.path.join(path, 'manifest.ttl')
            if os.path.realpath(path) != os.path.realpath(bundle) and os.path.isfile(manifest):
                with open(manifest, errors='replace') as f:
                    if uri in f.read():
                        found.append(path)
    return found


def find_preset(bundle, uri, label):
    """URI, state properties and port values of the preset of plugin `uri` labelled `label`."""
    stmts = []
    for b in preset_bundles(bundle, uri):
        for f in sorted(os.listdir(b)):
            if f.endswith('.ttl'):
                stmts += triples(os.path.join(b, f))
    for s, p, o in stmts:
        if p == RDFS_LABEL and o == ('lit', label) and (s, LV2 + 'appliesTo', uri) in stmts:
            ports = {}
            for s2, p2, o2 in stmts:
                if s2 == s and p2 == LV2 + 'port':
                    sym = [x[2][1] for x in stmts if x[0] == o2 and x[1] == LV2 + 'symbol']
                    val = [x[2][1] for x in stmts if x[0] == o2 and x[1] == PSET + 'value']
                    if sym and val:
                        ports[sym[0]] = float(val[0])
            return s, state_properties(stmts, s), ports
    raise Failure(f'no preset labelled "{label}" for {uri} in {bundle}')


def value_path(value, base):
    """A state value that names a file, as a real path (links followed)."""
    if isinstance(value, tuple):
        path = value[1]
    elif value.startswith('file://'):
        path = file_path(value)
    else:
        path = value
    return os.path.realpath(os.path.join(base, path))


class Track:
    def __init__(self, spec):
        # NAME=URI[,preset=LABEL][,SYMBOL=VALUE]...
        name, rest = spec.split('=', 1)
        fields = rest.split(',')
        self.name, self.uri, self.preset_label, self.controls = name, fields[0], None, {}
        for f in fields[1:]:
            k, v = f.split('=', 1)
            if k == 'preset':
                self.preset_label = v
            else:
                self.controls[k] = float(v)


def session_plugin(root, track):
    """The <Processor> of the track's plugin and its <lv2> node in a session file."""
    for route in root.iter('Route'):
        if route.get('name') == track.name:
            for proc in route.iter('Processor'):
                if proc.get('type') == 'lv2' and proc.get('unique-id') == track.uri:
                    return proc, proc.find('lv2')
    raise Failure(f'the session file has no LV2 plugin {track.uri} on a track {track.name}')


def check_saved(session_dir, session_name, track, want_controls, want_state, problems, when):
    """The session file's port values and the plugin's saved LV2 state."""
    root = ET.parse(os.path.join(session_dir, session_name + '.ardour')).getroot()
    proc, lv2 = session_plugin(root, track)
    stored = {p.get('symbol'): float(p.get('value')) for p in lv2.iter('Port')}
    for sym, want in want_controls.items():
        if sym not in stored:
            problems.append(f'{when}: {track.name}: the session stores no port {sym}')
        elif f32(stored[sym]) != f32(want):
            problems.append(f'{when}: {track.name}: the session stores {sym} = {stored[sym]}, set {want}')
    state_dir = os.path.join(session_dir, 'plugins', proc.get('id'), lv2.get('state-dir', ''))
    state_file = os.path.join(state_dir, 'state.ttl')
    if not os.path.isfile(state_file):
        problems.append(f'{when}: {track.name}: no plugin state at {state_file}')
        return None, {}
    stmts = triples(state_file)
    subject = next((s for s, p, o in stmts if p == STATE + 'state'), None)
    props = state_properties(stmts, subject)
    for prop, (kind, want) in want_state.items():
        got = props.get(prop)
        if got is None:
            problems.append(f'{when}: {track.name}: the saved state has no {prop}')
        elif kind == 'path' and value_path(got, state_dir) != want:
            problems.append(f'{when}: {track.name}: the saved {prop} is {got} -> '
                            f'{value_path(got, state_dir)}, expected {want}')
        elif kind == 'text' and got != ('lit', want):
            problems.append(f'{when}: {track.name}: the saved {prop} is {got}, expected "{want}"')
    print(f'{when}: {track.name}: state {os.path.relpath(state_file, session_dir)}: ' +
          ', '.join(f'{k.rsplit("#", 1)[-1]} = {v[1] if isinstance(v, tuple) else v}' for k, v in props.items()))
    return lv2.get('state-dir'), stored


def lua_lines(out, what):
    return [line.split()[2:] for line in out.splitlines() if line.startswith('mlv2 ' + what + ' ')]


def f32(x):
    """A control value as the plugin sees it: LV2 control ports are 32-bit floats, so a value set
    as 0.7 reads back as 0.699999988; values are compared after rounding both to float32."""
    return struct.unpack('f', struct.pack('f', float(x)))[0]


DRUM_NOTES = ('kick_note', 'snare_note', 'closed_hihat_note', 'open_hihat_note', 'low_tom_note',
              'mid_tom_note', 'high_tom_note', 'crash_note', 'ride_note')


class Take:
    """What a capture track recorded in one run: the take's span and its notes, each as
    (on_tick, off_tick, on_sample, off_sample, channel 0-15, pitch, velocity), ticks from the
    session start."""

    def __init__(self, fields):
        self.start_tick, self.end_tick, self.start_sample, self.end_sample = map(int, fields[:4])
        self.path = ' '.join(fields[4:])
        self.notes = []


def read_run(out):
    """The tempo line and the takes and phrase events a run printed."""
    tempo = lua_lines(out, 'tempo')
    if not tempo:
        raise Failure('the run printed no tempo')
    bpm, beats_per_bar, beat_unit, rate, ticks, block = (float(x) for x in tempo[0][:6])
    t = {'bpm': bpm, 'beats_per_bar': beats_per_bar, 'beat_unit': beat_unit, 'rate': rate,
         'ticks': ticks, 'block': block}
    takes = {}
    for f in lua_lines(out, 'take'):
        takes[f[0]] = Take(f[1:])
    for f in lua_lines(out, 'note'):
        takes[f[0]].notes.append(tuple(int(x) for x in f[1:8]))
    sent = {}
    for f in lua_lines(out, 'sent'):
        sent.setdefault(f[0], []).append((int(f[1]), int(f[2], 16), int(f[3]), int(f[4])))
    return t, takes, sent


def on_grid(tick, step_ticks):
    """Ardour keeps a recorded event in musical time only: its sample, counted from the take's
    start, is converted to beats and rounded to the nearest tick (Temporal: 1920 ticks to the
    quarter; TempoPoint::quarters_at_superclock rounds). At 120 bpm and 48 kHz a tick is 12.5
    samples and a step (4 per quarter) 480 ticks, so a note read back on a grid tick was recorded
    within 6 samples of the grid frame (grid - 6 .. grid + 6 read back as the grid tick, 7 off as
    the next), and that is the tolerance: Ardour's capture resolves no finer (the jalv tests check
    the exact frame). Ardour's own transport is no finer either: it sends time:Position at every
    cycle with barBeat made of whole ticks, and the plugin follows it, so in Ardour its notes
    land up to 6 samples either side of the grid frame. The Dummy backend adds no latency (the
    take starts at sample 0, where the tempo map starts). A step of whole ticks must be hit
    exactly; other steps (3 or 7 per quarter) within half a tick."""
    k = round(tick / step_ticks)
    return abs(tick - k * step_ticks) <= 0.5


def check_take(name, take, controls, tempo, phrase, problems, when, min_notes):
    """The checks of the docstring on one track's take; `controls` by symbol."""
    label = f'{when}: {name}'
    notes = sorted(take.notes)
    spq = int(controls['steps_per_quarter'])
    step_ticks = tempo['ticks'] / spq
    step_samples = tempo['rate'] * 60 / tempo['bpm'] / spq
    channel = int(controls['channel'])
    drums = 'kick_note' in controls
    ended_by_take = [n for n in notes if n[1] == take.end_tick]
    print(f'{label}: take {os.path.basename(take.path)}: {len(notes)} notes in ticks '
          f'{take.start_tick}..{take.end_tick} (samples {take.start_sample}..{take.end_sample}); step '
          f'{step_ticks:g} ticks = {step_samples:g} samples; {len(ended_by_take)} still sounding at the end')
    for n in notes[:4]:
        print(f'  tick {n[0]}..{n[1]} sample {n[2]}..{n[3]} channel {n[4] + 1} note {n[5]} velocity {n[6]}')
    if len(notes) < min_notes:
        problems.append(f'{label}: {len(notes)} notes recorded, expected at least {min_notes}')
    bad = []
    for on, off, on_s, off_s, ch, pitch, vel in notes:
        where = f'note {pitch} at tick {on} (sample {on_s}, step {on / step_ticks:.3f})'
        if ch + 1 != channel:
            bad.append(f'{where} on channel {ch + 1}, expected {channel}')
        if on < take.start_tick or off > take.end_tick or off <= on:
            bad.append(f'{where} ends at tick {off}: outside the take {take.start_tick}..{take.end_tick}')
        if not on_grid(on, step_ticks):
            bad.append(f'{where} starts off the grid ({on_s / step_samples:.4f} steps of '
                       f'{step_samples:g} samples)')
        if off != take.end_tick and not on_grid(off, step_ticks):
            bad.append(f'{where} ends off the grid at tick {off} (sample {off_s})')
        if drums:
            if off - on > step_ticks + 0.5:
                bad.append(f'{where} sounds {(off - on) / step_ticks:.2f} steps: a hit lasts one step (hung?)')
            if pitch not in [int(controls[s]) for s in DRUM_NOTES]:
                bad.append(f'{where} is none of the drum notes ' +
                           ' '.join(f'{s}={int(controls[s])}' for s in DRUM_NOTES))
        elif not int(controls['pitch_low']) <= pitch <= int(controls['pitch_high']):
            low, high = int(controls['pitch_low']), int(controls['pitch_high'])
            bad.append(f'{where} outside pitch_low..pitch_high {low}..{high}')
    if not drums:
        for a, b in zip(notes, notes[1:]):
            if b[0] < a[1]:
                bad.append(f'note {a[5]} at tick {a[0]} still sounds when note {b[5]} starts at tick {b[0]} '
                           f'(ends at {a[1]}): two notes at once from a one-voice melody (a lost note-off?)')
    problems += [f'{label}: {b}' for b in bad[:10]]
    if len(bad) > 10:
        problems.append(f'{label}: ... {len(bad) - 10} more')
    if phrase and int(controls['mode']) == 1:
        check_answer(label, notes, controls, tempo, phrase, problems)


def check_answer(label, notes, controls, tempo, phrase, problems):
    """Call and response, as the jalv test checks it, with the phrase's frames known less well:
    a note sent while the transport was at sample s reaches the plugin in the next cycle, within
    two periods after s."""
    quarter = tempo['rate'] * 60 / tempo['bpm']
    beat = quarter * 4 / tempo['beat_unit']
    bar = beat * tempo['beats_per_bar']
    late = 2 * tempo['block']
    phrase_start = min(e[0] for e in phrase)
    phrase_end = max(e[0] for e in phrase if e[1] & 0xF0 == 0x80)
    during = [n for n in notes if phrase_start <= n[2] < phrase_end + late]
    if during:
        problems.append(f'{label}: {len(during)} notes started while the phrase was played '
                        f'(samples {phrase_start}..{phrase_end + late:g}), first at sample {during[0][2]}')
    reply = [n for n in notes if n[2] >= phrase_end]
    if not reply:
        problems.append(f'{label}: no reply after the phrase (it ended at sample {phrase_end})')
        return
    # The player has stopped after a beat without a note and the reply starts at the next bar
    # line (generator.h); the phrase's last note-off is known to within `late` samples.
    want = {math.ceil((phrase_end + beat) / bar), math.ceil((phrase_end + late + beat) / bar)}
    reply_bar = math.floor(reply[0][2] / bar)
    length = int(controls['length_bars'])
    print(f'{label}: phrase sent at samples {phrase_start}..{phrase_end}; reply of {len(reply)} notes '
          f'from sample {reply[0][2]} (bar {reply[0][2] / bar:.3f}); expected from bar '
          f'{" or ".join(str(b) for b in sorted(want))}, for at most {length} bars')
    if reply_bar not in want:
        problems.append(f'{label}: the reply starts in bar {reply_bar}, expected bar {min(want)}')
    after = [n for n in reply if n[2] >= (reply_bar + length) * bar]
    if after:
        problems.append(f'{label}: {len(after)} reply notes after {length} bars from bar {reply_bar} '
                        f'(first at sample {after[0][2]})')


def same_notes(name, first, second, problems):
    """The notes two takes share: those starting before the shorter take ends, with their ends
    where both takes saw them."""
    end = min(first.end_tick, second.end_tick)

    def key(take):
        return [(n[0], n[1] if n[1] < end else None, n[4], n[5], n[6])
                for n in sorted(take.notes) if n[0] < end]
    a, b = key(first), key(second)
    if a != b:
        diff = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        problems.append(f'{name}: the reopened session plays other notes: {len(b)} notes against {len(a)}; '
                        f'first difference at note {diff}: {b[diff] if diff < len(b) else None} '
                        f'instead of {a[diff] if diff < len(a) else None} (on, off, channel, pitch, velocity)')
    else:
        print(f'{name}: the reopened session played the same {len(a)} notes')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--track', action='append', required=True,
                    help='NAME=URI[,preset=LABEL][,SYMBOL=VALUE]...: a MIDI track with that plugin')
    ap.add_argument('--default-model', action='append', default=[],
                    help='NAME=FILE: without a preset, the model file (in the bundle) the state must name')
    ap.add_argument('--model-property', default='http://magenta-lv2.org/plugins#model')
    ap.add_argument('--progression-property', default='http://magenta-lv2.org/plugins#progression')
    ap.add_argument('--roll', type=float, default=3, help='seconds the transport rolls in each run')
    ap.add_argument('--same-state-dir', action='store_true',
                    help='fail when the reopened session saves the plugin state into a new folder')
    ap.add_argument('--play', action='append', default=[],
                    help='NAME=BEAT:BEATS:NOTE:VELOCITY: a note played into track NAME while it rolls')
    ap.add_argument('--same-notes', action='append', default=[],
                    help='NAME: the reopened session must record the notes of the first on track NAME')
    ap.add_argument('--min-notes', type=int, default=1, help='notes each track must record in each run')
    a = ap.parse_args()

    missing = [t for t in ('ardour7-lua', 'lv2info', 'sordi') if not shutil.which(t)]
    if missing:
        print('skipped: not installed: ' + ', '.join(missing) + ' (tools/install-deps.sh test installs them)')
        return SKIP

    t0 = time.monotonic()
    tracks = [Track(s) for s in a.track]
    default_models = dict(s.split('=', 1) for s in a.default_model)
    phrases = {}
    for p in a.play:
        n, note = p.split('=', 1)
        phrases.setdefault(n, []).append(note)
    problems = []
    try:
        # What each track is given, from the plugins' own Turtle.
        lua_tracks, want_controls, want_state, symbols = [], {}, {}, {}
        for t in tracks:
            bundle, ports = plugin_info(t.uri)
            symbols[t.name] = {i: sym for sym, (i, _) in ports.items()}
            preset_uri, preset_state, preset_ports = '', {}, {}
            if t.preset_label:
                preset_uri, preset_state, preset_ports = find_preset(bundle, t.uri, t.preset_label)
            controls = dict(preset_ports)
            controls.update(t.controls)
            for sym in controls:
                if sym not in ports or not ports[sym][1]:
                    raise Failure(f'{t.name}: {t.uri} has no control input port "{sym}"')
            want_controls[t.name] = controls
            want = {}
            if a.model_property in preset_state:
                want[a.model_property] = ('path', value_path(preset_state[a.model_property], bundle))
            elif t.name in default_models:
                want[a.model_property] = ('path', os.path.realpath(os.path.join(bundle, default_models[t.name])))
            if a.progression_property in preset_state:
                want[a.progression_property] = ('text', preset_state[a.progression_property][1])
            want_state[t.name] = want
            print(f'{t.name}: {t.uri} from {bundle}; preset {preset_uri or "none"}; controls ' +
                  ' '.join(f'{k}={v:g}' for k, v in controls.items()) + '; state ' +
                  ', '.join(f'{k.rsplit("#", 1)[-1]} = {v[1]}' for k, v in want.items()))
            lua_tracks.append('|'.join([t.name, t.uri, preset_uri,
                                        ' '.join(f'{ports[k][0]}={v!r}' for k, v in t.controls.items()),
                                        ' '.join(phrases.get(t.name, []))]))
        unknown = [n for n in list(phrases) + a.same_notes if n not in [t.name for t in tracks]]
        if unknown:
            raise Failure('--play / --same-notes name no track: ' + ', '.join(unknown))

        with tempfile.TemporaryDirectory(prefix='hosts-ardour-') as tmp:
            session_name = 'magenta'
            session_dir = os.path.join(tmp, session_name)
            env = dict(os.environ,
                       XDG_CONFIG_HOME=os.path.join(tmp, 'config'), XDG_CACHE_HOME=os.path.join(tmp, 'cache'),
                       XDG_DATA_HOME=os.path.join(tmp, 'data'),
                       MLV2_SESSION_DIR=session_dir, MLV2_SESSION_NAME=session_name,
                       MLV2_ROLL_SECONDS=str(a.roll), MLV2_TRACKS='\n'.join(lua_tracks))
            outputs, takes = {}, {}
            for mode in ('create', 'reopen'):
                env['MLV2_MODE'] = mode
                t1 = time.monotonic()
                try:
                    r = subprocess.run(['ardour7-lua', os.path.join(HERE, 'ardour_session.lua')], env=env,
                                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)
                except subprocess.TimeoutExpired:
                    raise Failure(f'ardour7-lua ({mode}) did not finish within 180 s')
                out = r.stdout + r.stderr
                outputs[mode] = out
                print(f'--- ardour7-lua {mode}: status {r.returncode}, {time.monotonic() - t1:.1f} s')
                print('\n'.join(line for line in out.splitlines()
                                if (line.startswith('mlv2 ') and not line.startswith('mlv2 note '))
                                or 'rror' in line or 'resolved note-on' in line))
                if r.returncode != 0 or 'mlv2 closed' not in out:
                    raise Failure(f'ardour7-lua ({mode}) failed:\n' + out[-4000:])
                errors = [line for line in out.splitlines() if line.startswith('[ERROR]')]
                if errors:
                    problems.append(f'{mode}: Ardour reported errors: ' + '; '.join(errors))
                saved = {}
                for t in tracks:
                    saved[t.name] = check_saved(session_dir, session_name, t, want_controls[t.name],
                                                want_state[t.name], problems, mode)
                # What the plugins played, from the takes of this run.
                tempo, takes[mode], sent = read_run(out)
                for t in tracks:
                    if t.name not in takes[mode]:
                        problems.append(f'{mode}: {t.name}: no take recorded')
                        continue
                    controls = {symbols[t.name][int(i)]: float(v)
                                for n, i, v in lua_lines(out, 'value') if n == t.name}
                    check_take(t.name, takes[mode][t.name], controls, tempo, sent.get(t.name, []),
                               problems, mode, a.min_notes)
                if mode == 'create':
                    first_saved = saved
                else:
                    # Ardour writes a new stateN folder only when lilv_state_equals finds the
                    # plugin's state changed since it was restored.
                    for t in tracks:
                        if saved[t.name][0] != first_saved[t.name][0]:
                            msg = (f'{t.name}: Ardour saved a new state folder {saved[t.name][0]} (after '
                                   f'{first_saved[t.name][0]}): lilv_state_equals finds the restored plugin\'s '
                                   f'state different from the one it restored')
                            if a.same_state_dir:
                                problems.append(msg)
                            else:
                                print('note: ' + msg)
            for n in a.same_notes:
                if n in takes['create'] and n in takes['reopen']:
                    same_notes(n, takes['create'][n], takes['reopen'][n], problems)
            # Every control value the first run read after setting comes back in the second.
            before = {(n, i): f32(v) for n, i, v in lua_lines(outputs['create'], 'value')}
            after = {(n, i): f32(v) for n, i, v in lua_lines(outputs['reopen'], 'value')}
            if not before:
                problems.append('the first run printed no control values')
            for key, v in before.items():
                if after.get(key) != v:
                    problems.append(f'{key[0]}: port {key[1]} was {v}, reads {after.get(key)} after reopening')
            for n, i, v in lua_lines(outputs['create'], 'set'):
                if before.get((n, i)) != f32(v):
                    problems.append(f'{n}: port {i} set to {v} reads {before.get((n, i))}')
            if os.environ.get('HOSTS_KEEP'):
                shutil.copytree(tmp, os.environ['HOSTS_KEEP'], symlinks=True, dirs_exist_ok=True)
                print('session kept in ' + os.environ['HOSTS_KEEP'])
    except Failure as f:
        problems.append(str(f))
    if problems:
        print('FAIL:\n  ' + '\n  '.join(problems))
        return 1
    print(f'PASS: {len(tracks)} tracks; state and controls came back, the takes have their notes on the grid '
          f'({time.monotonic() - t0:.1f} s)')
    return 0


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
