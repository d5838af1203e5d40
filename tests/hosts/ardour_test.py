#!/usr/bin/python3
"""Plugins in a headless Ardour session: made, rolled, saved, closed, reopened; the state comes back.

Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.

Runs ardour_session.lua in `ardour7-lua` (Dummy backend) twice on one session folder:
  create  one MIDI track per --track, an LV2 preset loaded (it carries the model file and, for
          Improv RNN, the chord progression: Ardour 7's Lua has no way to send a patch:Set),
          controls set by port index, transport rolled, session saved and closed;
  reopen  the session loaded, every control printed, rolled, saved again, closed.
Then it checks, per track:
  - every control set in the first run reads back with the same value in the second (Ardour
    restores port values itself), and the session file stores them under their LV2 symbols;
  - the plugin's own state (LV2 state, saved by Ardour under plugins/<id>/stateN/state.ttl):
    after the first save it names the model file of the preset (state:mapPath made it a link in
    the session; it must resolve to the same file) and the progression; after the reopened
    session is saved, the plugin, asked again, still names the same model and progression —
    which it can only do if its state:restore took them.
Port indexes, the bundle and the presets come from the plugin's own Turtle (lv2info, sordi).

Exit status: 0 pass, 1 fail, 77 skipped (ardour7-lua, lv2info or sordi missing).
HOSTS_KEEP=DIR in the environment keeps a copy of the session folder there.
"""
import argparse
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
    a = ap.parse_args()

    missing = [t for t in ('ardour7-lua', 'lv2info', 'sordi') if not shutil.which(t)]
    if missing:
        print('skipped: not installed: ' + ', '.join(missing) + ' (tools/install-deps.sh test installs them)')
        return SKIP

    t0 = time.monotonic()
    tracks = [Track(s) for s in a.track]
    default_models = dict(s.split('=', 1) for s in a.default_model)
    problems = []
    try:
        # What each track is given, from the plugins' own Turtle.
        lua_tracks, want_controls, want_state = [], {}, {}
        for t in tracks:
            bundle, ports = plugin_info(t.uri)
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
                                        ' '.join(f'{ports[k][0]}={v!r}' for k, v in t.controls.items())]))

        with tempfile.TemporaryDirectory(prefix='hosts-ardour-') as tmp:
            session_name = 'magenta'
            session_dir = os.path.join(tmp, session_name)
            env = dict(os.environ,
                       XDG_CONFIG_HOME=os.path.join(tmp, 'config'), XDG_CACHE_HOME=os.path.join(tmp, 'cache'),
                       XDG_DATA_HOME=os.path.join(tmp, 'data'),
                       MLV2_SESSION_DIR=session_dir, MLV2_SESSION_NAME=session_name,
                       MLV2_ROLL_SECONDS=str(a.roll), MLV2_TRACKS='\n'.join(lua_tracks))
            outputs = {}
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
                                if line.startswith('mlv2 ') or 'ERROR' in line or 'rror' in line))
                if r.returncode != 0 or 'mlv2 closed' not in out:
                    raise Failure(f'ardour7-lua ({mode}) failed:\n' + out[-4000:])
                errors = [line for line in out.splitlines() if line.startswith('[ERROR]')]
                if errors:
                    problems.append(f'{mode}: Ardour reported errors: ' + '; '.join(errors))
                saved = {}
                for t in tracks:
                    saved[t.name] = check_saved(session_dir, session_name, t, want_controls[t.name],
                                                want_state[t.name], problems, mode)
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
    print(f'PASS: {len(tracks)} tracks; state and controls came back ({time.monotonic() - t0:.1f} s)')
    return 0


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
