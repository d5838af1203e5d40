#!/usr/bin/python3
"""A plugin in jalv under a JACK server of its own (dummy backend), driven by jack_client.

Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.

Starts `jackd --no-realtime -S -d dummy -r 48000 -p 256` under a server name unique to this run
(JACK_DEFAULT_SERVER, so tests run in parallel), the plugin in `jalv -x -n NAME -c SYM=VAL... URI`
with its stdin held open (jalv quits at EOF), and jack_client, which plays the --note phrase into
the plugin's MIDI input, rolls the JACK transport from frame 0 at --bpm as timebase master (jalv
forwards it as time:Position: frame, speed, bar, barBeat, beatUnit, beatsPerBar,
beatsPerMinute, at the first frame of every cycle where the transport changed) and captures the
plugin's MIDI output with the transport frame of every event. Then jalv is quit by closing its
stdin and must exit with status 0, and the server is stopped.

A plugin whose bundle lacks a model (--model PLUGIN, unless the bundle in LV2_PATH has
--bundle-model FILE) gets one: write_model (--writer) writes a random-weight model of the
plugin's largest Magenta shape into the run's folder with a state.ttl naming it, and jalv loads
that state folder (`jalv -l DIR`; the plugin URI then comes from the state's lv2:appliesTo, and
the -c controls are set after it).

Checks (--check):
  grid    notes present; every note-on and note-off while rolling lies exactly on a grid step;
          every note released by the first frame of the first stopped cycle, none started
          after; the output channel
  answer  grid, and call and response: nothing starts while the phrase is played, the reply
          starts in the bar after a beat of silence and lasts at most length_bars bars
  fifths  the harness itself, with eg-fifths: every note played comes back at the same frame
          with its fifth above
  genie   Piano Genie: every press of a button (--note on 60..67; without --note a built-in
          phrase of 24 presses, two held at a time now and then) gives one note-on at the same
          frame (decoded in the callback of the press), a key 21..108 on --channel at the press's
          velocity; every release a note-off of the key its press started at the same frame
          (unless a later press struck that key again: then that press's note-on came with the
          note-off); as many note-ons as presses; nothing left sounding

--step-frames sets the grid step in frames (Performance RNN: 480, 10 ms at 48 kHz, from the
transport start) instead of a quarter / --steps-per-quarter at --bpm.

Exit status: 0 pass, 1 fail, 77 skipped (jackd, jalv, the client or --require-bundle missing;
CI installs them). HOSTS_DUMP=1 in the environment prints every event jack_client saw.
"""
import argparse
import ctypes
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
RATE = 48000
PERIOD = 256


class Failure(Exception):
    pass


def die_with_parent():
    """Children get SIGKILL if this script dies (meson's time-out, ^C): nothing survives it."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_PDEATHSIG = 1
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Procs:
    """The processes of one run, stopped in reverse order of start however the run ends."""

    def __init__(self, logdir, env):
        self.logdir, self.env, self.procs = logdir, env, []

    def start(self, name, argv, stdin=subprocess.DEVNULL):
        out = open(os.path.join(self.logdir, name + '.log'), 'wb')
        p = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=subprocess.STDOUT,
                             env=self.env, preexec_fn=die_with_parent)
        self.procs.append((name, p))
        return p

    def log(self, name):
        try:
            with open(os.path.join(self.logdir, name + '.log'), 'rb') as f:
                return f.read().decode(errors='replace')
        except OSError:
            return ''

    def stop_all(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def parse_capture(text):
    """jack_client's output: header values, start/stop frames, played and captured events."""
    info = {'out': [], 'in': []}
    for line in text.splitlines():
        w = line.split()
        if not w:
            continue
        if w[0] in ('rate', 'period', 'xruns', 'dropped'):
            info[w[0]] = int(w[1])
        elif w[0] in ('bpm', 'beats_per_bar'):
            info[w[0]] = float(w[1])
        elif w[0] == 'start':
            info['start'] = (int(w[1]), int(w[2]))
        elif w[0] == 'stop':
            info['stop'] = int(w[1])
        elif w[0] == 'out':
            info['out'].append((int(w[1]), int(w[2]), True, bytes(int(b, 16) for b in w[3:])))
        elif w[0] == 'in':
            info['in'].append((int(w[1]), int(w[2]), w[3] == '1', bytes(int(b, 16) for b in w[4:])))
    return info


def kind(msg):
    """'on', 'off' or None for a MIDI message."""
    if len(msg) == 3 and msg[0] & 0xF0 == 0x90 and msg[2] > 0:
        return 'on'
    if len(msg) == 3 and (msg[0] & 0xF0 == 0x80 or (msg[0] & 0xF0 == 0x90 and msg[2] == 0)):
        return 'off'
    return None


def on_grid(transport_frame, step):
    """A grid step k plays at the first frame at or after k * step (the core's rule); `step` is
    the step length in frames. The captured frame must equal that frame exactly: jalv hands the
    plugin the transport at frame 0 of the first rolling cycle (bar 0, beat 0: transport frame 0,
    no rounding of the position), every event keeps its frame within the cycle from plugin to
    capture, and both read the same cycle's transport frame. So the tolerance is 0 frames."""
    k = round(transport_frame / step)
    return transport_frame == math.ceil(k * step - 1e-6)


def check_grid(a, cap, problems):
    rate, bpm = cap['rate'], cap['bpm']
    step = a.step_frames if a.step_frames else 60.0 * rate / bpm / a.steps_per_quarter
    if 'start' not in cap or 'stop' not in cap:
        raise Failure('the transport never started or never stopped')
    start_jack, start_transport = cap['start']
    if start_transport != 0:
        problems.append(f'the transport started at frame {start_transport}, not 0')
    stop_jack = cap['stop']
    notes = [e for e in cap['in'] if kind(e[3])]
    ons = [e for e in notes if kind(e[3]) == 'on']
    rolling_ons = [e for e in ons if e[2]]
    print(f'captured {len(notes)} note events, {len(rolling_ons)} note-ons while rolling; '
          f'step {step:g} frames at {bpm:g} bpm')
    if len(rolling_ons) < a.min_notes:
        problems.append(f'{len(rolling_ons)} note-ons while rolling, expected at least {a.min_notes}')
    off_grid = [e for e in notes if e[2] and not on_grid(e[1], step)]
    for e in off_grid[:10]:
        problems.append(f'{kind(e[3])} {e[3].hex(" ")} at transport frame {e[1]} is off the grid '
                        f'(step {e[1] / step:.4f})')
    if len(off_grid) > 10:
        problems.append(f'... {len(off_grid) - 10} more off the grid')
    for e in notes:
        if e[0] < start_jack and kind(e[3]) == 'on':
            problems.append(f'note-on {e[3].hex(" ")} at jack frame {e[0]}, before the transport started')
    if a.channel:
        for e in notes:
            if (e[3][0] & 0x0F) + 1 != a.channel:
                problems.append(f'{e[3].hex(" ")} on channel {(e[3][0] & 0x0F) + 1}, expected {a.channel}')
                break
    # No hung notes: every note-on has its note-off; what sounds at the stop is released at the
    # first frame of the first stopped cycle (jalv sends speed 0 at that frame).
    sounding = {}
    for e in notes:
        key = (e[3][0] & 0x0F, e[3][1])
        if kind(e[3]) == 'on':
            if e[0] >= stop_jack:
                problems.append(f'note-on {e[3].hex(" ")} at jack frame {e[0]}, after the stop at {stop_jack}')
            sounding[key] = sounding.get(key, 0) + 1
        elif sounding.get(key, 0) > 0:
            sounding[key] -= 1
            if e[0] >= stop_jack and e[0] != stop_jack:
                problems.append(f'note-off {e[3].hex(" ")} at jack frame {e[0]}, {e[0] - stop_jack} frames '
                                f'after the stop (expected at the stop frame {stop_jack})')
    hung = [k for k, n in sounding.items() if n > 0]
    if hung:
        problems.append('hung notes (channel, note): ' + ', '.join(f'({c + 1}, {n})' for c, n in hung))
    return step, rolling_ons


def check_answer(a, cap, problems, step, rolling_ons):
    bar = step * a.steps_per_quarter * cap['beats_per_bar']
    played = [e for e in cap['out'] if kind(e[3])]
    if not played:
        raise Failure('no phrase was played')
    phrase_start = min(e[1] for e in played)
    phrase_end = max(e[1] for e in played if kind(e[3]) == 'off')
    during = [e for e in rolling_ons if phrase_start <= e[1] < phrase_end]
    if during:
        problems.append(f'{len(during)} notes started while the player played '
                        f'(first at transport frame {during[0][1]})')
    if not rolling_ons:
        return
    first = min(e[1] for e in rolling_ons if e[1] >= phrase_end) if any(
        e[1] >= phrase_end for e in rolling_ons) else None
    if first is None:
        problems.append('no reply after the phrase')
        return
    # The player has stopped after a beat without a note (generator.h), and the reply starts at
    # the next bar line: the first bar line at or after the phrase's last note-off plus a beat.
    # The first reply note lies in that bar (the reply lasts length_bars bars from it).
    beat = step * a.steps_per_quarter
    want_bar = math.ceil((phrase_end + beat) / bar)
    reply_bar = math.floor(first / bar)
    print(f'phrase frames {phrase_start}..{phrase_end}; first reply note at frame {first} '
          f'(bar {first / bar:.4f}); reply expected from bar {want_bar}')
    if reply_bar != want_bar:
        problems.append(f'the reply starts in bar {reply_bar}, expected bar {want_bar}')
    late = [e for e in rolling_ons if e[1] >= (reply_bar + a.length_bars) * bar]
    if late:
        problems.append(f'{len(late)} reply notes after {a.length_bars} bars from bar {reply_bar} '
                        f'(first at frame {late[0][1]})')


def check_fifths(cap, problems):
    played = [e for e in cap['out'] if kind(e[3])]
    got = {(e[0], e[3]) for e in cap['in']}
    if not played:
        problems.append('nothing was played')
    for e in played:
        fifth = bytes([e[3][0], e[3][1] + 7, e[3][2]])
        for want in (e[3], fifth):
            if (e[0], want) not in got:
                problems.append(f'{want.hex(" ")} not captured at jack frame {e[0]}')
    print(f'played {len(played)} note events, captured {len(cap["in"])}')


GENIE_BUTTONS = range(60, 68)


def genie_phrase():
    """24 presses from beat 0.5, 0.4 beat apart, held 0.3 or 0.7 beats (so two buttons are held at
    a time now and then), the buttons in a scrambled order: no button is pressed while held."""
    order = [0, 3, 1, 6, 2, 7, 4, 5]
    return [f'{0.5 + 0.4 * i:g}:{0.7 if i % 3 == 1 else 0.3:g}:{60 + order[i % 8]}:{40 + (i * 37) % 80}'
            for i in range(24)]


def check_genie(a, cap, problems):
    played = [e for e in cap['out'] if kind(e[3]) and e[3][1] in GENIE_BUTTONS]
    captured = [e for e in cap['in'] if kind(e[3])]
    # Jalv 1.6 mallocs its atom buffers and never writes the input sequence's body.unit (newer
    # Jalv zeroes it): a plugin must take the stamps as frames whatever that field holds, or
    # every press lands on frame 0 of its cycle (meson's MALLOC_PERTURB_ shows it).
    at = {}
    for e in captured:
        at.setdefault(e[0], []).append(e[3])
    presses = [e for e in played if kind(e[3]) == 'on']
    if not presses:
        raise Failure('no button was pressed')
    key_of = {}
    for e in played:
        frame, button = e[0], e[3][1]
        here = at.get(frame, [])
        if kind(e[3]) == 'on':
            ons = [m for m in here if kind(m) == 'on']
            if len(ons) != 1:
                problems.append(f'press of {button} at jack frame {frame}: {len(ons)} note-ons at that frame')
                continue
            m = ons[0]
            if not 21 <= m[1] <= 108:
                problems.append(f'press of {button} gave note {m[1]}, outside the piano 21..108')
            if a.channel and (m[0] & 0x0F) + 1 != a.channel:
                problems.append(f'press of {button} gave {m.hex(" ")} on channel {(m[0] & 0x0F) + 1}')
            if m[2] != e[3][2]:
                problems.append(f'press of {button} at velocity {e[3][2]} gave velocity {m[2]}')
            for b, k in list(key_of.items()):
                if k == m[1]:
                    del key_of[b]  # struck again by this press: its note-off came with this note-on
            key_of[button] = m[1]
        else:
            key = key_of.pop(button, None)
            if key is not None and not any(kind(m) == 'off' and m[1] == key for m in here):
                problems.append(f'release of {button} at jack frame {frame}: no note-off of its key {key} '
                                f'at that frame')
    ons = [e for e in captured if kind(e[3]) == 'on']
    if len(ons) != len(presses):
        problems.append(f'{len(presses)} presses, {len(ons)} note-ons')
    sounding = {}
    for e in captured:
        k = (e[3][0] & 0x0F, e[3][1])
        sounding[k] = sounding.get(k, 0) + (1 if kind(e[3]) == 'on' else -1)
        if sounding[k] < 0 or sounding[k] > 1:
            problems.append(f'{e[3].hex(" ")} at jack frame {e[0]}: a stray note-off or a second note-on')
            sounding[k] = max(0, min(1, sounding[k]))
    hung = [k for k, n in sounding.items() if n > 0]
    if hung:
        problems.append('hung notes (channel, note): ' + ', '.join(f'({c + 1}, {n})' for c, n in hung))
    print(f'{len(presses)} presses, {len(ons)} note-ons captured, keys '
          f'{sorted(set(e[3][1] for e in ons))}')


def find_bundle(uri):
    """The plugin's bundle folder in LV2_PATH (named after the URI's last part), or None."""
    name = uri.rstrip('/').rsplit('/', 1)[-1] + '.lv2'
    for d in os.environ.get('LV2_PATH', '').split(':'):
        if d and os.path.isdir(os.path.join(d, name)):
            return os.path.join(d, name)
    return None


def write_state(a, logdir):
    """A random-weight model and a state folder naming it; the folder for jalv -l."""
    state_dir = os.path.join(logdir, 'state')
    os.makedirs(state_dir)
    model = os.path.join(state_dir, a.model + '-random.nnm')
    r = subprocess.run([a.writer, a.model, model, '7'], capture_output=True, text=True)
    if r.returncode != 0:
        raise Failure('write_model failed: ' + r.stdout + r.stderr)
    with open(os.path.join(state_dir, 'state.ttl'), 'w') as f:
        f.write('@prefix lv2: <http://lv2plug.in/ns/lv2core#> .\n'
                '@prefix pset: <http://lv2plug.in/ns/ext/presets#> .\n'
                '@prefix state: <http://lv2plug.in/ns/ext/state#> .\n\n'
                f'<> a pset:Preset ;\n\tlv2:appliesTo <{a.uri}> ;\n'
                f'\tstate:state [ <http://magenta-lv2.org/plugins#model> <file://{model}> ] .\n')
    print(f'model: random weights in {model}, loaded through jalv -l {state_dir}')
    return state_dir


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--client', required=True, help='the jack_client program')
    ap.add_argument('--uri', required=True)
    ap.add_argument('--name', required=True, help="jalv's JACK client name")
    ap.add_argument('--in-port', default='control', help='symbol of the MIDI input port')
    ap.add_argument('--out-port', default='midi_out', help='symbol of the MIDI output port')
    ap.add_argument('--bpm', type=float, default=120)
    ap.add_argument('--seconds', type=float, default=6, help='how long the transport rolls')
    ap.add_argument('--control', '-c', action='append', default=[], help='SYMBOL=VALUE for jalv -c')
    ap.add_argument('--note', action='append', default=[], help='BEAT:LENGTH:NOTE:VELOCITY to play')
    ap.add_argument('--check', choices=['grid', 'answer', 'fifths', 'genie'], default='grid')
    ap.add_argument('--step-frames', type=float, default=0, help='grid step in frames (0: from --bpm)')
    ap.add_argument('--model', help='write a random model of this plugin\'s shape and load it as state')
    ap.add_argument('--bundle-model', help='... unless the bundle has this file (then the plugin loads it)')
    ap.add_argument('--writer', help='the write_model program')
    ap.add_argument('--channel', type=int, default=0, help='expected output channel (1..16)')
    ap.add_argument('--min-notes', type=int, default=3)
    ap.add_argument('--steps-per-quarter', type=int, default=4)
    ap.add_argument('--length-bars', type=int, default=2)
    ap.add_argument('--require-bundle', help='skip unless this LV2 bundle folder exists')
    a = ap.parse_args()

    tools = {t: shutil.which(t) for t in ('jackd', 'jalv', 'jack_wait')}
    missing = [t for t, p in tools.items() if not p]
    if missing:
        print('skipped: not installed: ' + ', '.join(missing) + ' (tools/install-deps.sh test installs them)')
        return SKIP
    if not a.client or not os.access(a.client, os.X_OK):
        print('skipped: jack_client was not built (libjack-jackd2-dev missing when configuring)')
        return SKIP
    if a.require_bundle and not os.path.isdir(a.require_bundle):
        print(f'skipped: no {a.require_bundle} (package lv2-examples)')
        return SKIP
    if a.check == 'genie' and not a.note:
        a.note = genie_phrase()
    if a.model:
        bundle = find_bundle(a.uri)
        if bundle and a.bundle_model and os.path.isfile(os.path.join(bundle, a.bundle_model)):
            print(f'model: the bundle\'s {a.bundle_model}')
            a.model = None
        elif not a.writer or not os.access(a.writer, os.X_OK):
            print('skipped: write_model was not built (no lilv when configuring)')
            return SKIP

    server = f'magenta-{a.name}-{os.getpid()}'
    env = dict(os.environ, JACK_DEFAULT_SERVER=server, JACK_NO_START_SERVER='1',
               JACK_NO_AUDIO_RESERVATION='1')
    print(f'LV2_PATH={env.get("LV2_PATH", "")} server {server}')
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix='hosts-jalv-') as logdir:
        procs = Procs(logdir, env)
        names = ['jackd', 'jalv', 'jack_client']
        try:
            # -S: the server waits for the whole graph every cycle (with a 10 s client time-out),
            # so a busy machine delays cycles but never drops a client's output.
            jackd = procs.start('jackd', [tools['jackd'], '-n', server, '--no-realtime', '-S', '-t', '10000',
                                          '-d', 'dummy', '-r', str(RATE), '-p', str(PERIOD)])
            r = subprocess.run([tools['jack_wait'], '-s', server, '-w', '-t', '15'], env=env,
                               capture_output=True, text=True, preexec_fn=die_with_parent)
            if r.returncode != 0 or jackd.poll() is not None:
                raise Failure('jackd did not start: ' + r.stdout + r.stderr)
            argv = [tools['jalv'], '-x', '-n', a.name]
            if a.model:
                argv += ['-l', write_state(a, logdir)]
            for c in a.control:
                argv += ['-c', c]
            jalv = procs.start('jalv', argv + [a.uri], stdin=subprocess.PIPE)
            client_argv = [a.client, '--to', f'{a.name}:{a.in_port}', '--from', f'{a.name}:{a.out_port}',
                           '--bpm', str(a.bpm), '--seconds', str(a.seconds), '--tail', '0.5']
            for n in a.note:
                client_argv += ['--note', n]
            client = procs.start('jack_client', client_argv)
            try:
                client.wait(timeout=a.seconds * 3 + 60)
            except subprocess.TimeoutExpired:
                raise Failure('jack_client did not finish')
            if jalv.poll() is not None:
                raise Failure(f'jalv exited early with status {jalv.returncode}')
            if client.returncode != 0:
                raise Failure(f'jack_client failed with status {client.returncode}')
            # Quit jalv the way a user at its console does: end of input.
            jalv.stdin.close()
            try:
                jalv.wait(timeout=15)
            except subprocess.TimeoutExpired:
                raise Failure('jalv did not quit within 15 s of the end of its input')
            if jalv.returncode != 0:
                raise Failure(f'jalv quit with status {jalv.returncode}')

            cap = parse_capture(procs.log('jack_client'))
            problems = []
            if cap.get('rate') != RATE or cap.get('period') != PERIOD:
                problems.append(f'server runs at {cap.get("rate")} Hz / {cap.get("period")} frames')
            if cap.get('dropped'):
                problems.append(f'{cap["dropped"]} events did not fit the capture log')
            if a.check == 'fifths':
                check_fifths(cap, problems)
            elif a.check == 'genie':
                check_genie(a, cap, problems)
            else:
                step, rolling_ons = check_grid(a, cap, problems)
                if a.check == 'answer':
                    check_answer(a, cap, problems, step, rolling_ons)
            jalv_log = procs.log('jalv')
            for line in jalv_log.splitlines():
                if a.model and a.bundle_model and a.bundle_model in line:
                    continue  # the bundle has no model: said at instantiation, before the state's is restored
                if 'error' in line.lower() or 'unknown control' in line.lower():
                    problems.append('jalv: ' + line.strip())
            print(f'xruns {cap.get("xruns", 0)} (not a failure: the dummy backend keeps frame time)')
            if os.environ.get('HOSTS_DUMP'):
                print(procs.log('jack_client'))
            if problems:
                raise Failure('\n  '.join([''] + problems))
        except Failure as f:
            print(f'FAIL {a.name}: {f}')
            for n in names:
                print(f'--- {n} log (tail) ---')
                print('\n'.join(procs.log(n).splitlines()[-40:]))
            return 1
        finally:
            procs.stop_all()
    print(f'PASS {a.name} in {time.monotonic() - t0:.1f} s')
    return 0


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
