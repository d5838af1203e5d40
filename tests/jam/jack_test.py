#!/usr/bin/python3
"""nn-jam under a JACK server of its own (dummy backend), driven by the hosts suite's jack_client.

Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.

Usage: jack_test.py --jam NN_JAM --client JACK_CLIENT CASE
  session   two models: Drums RNN (free, two-bar loop) and Melody RNN answering the player.
            jack_client rolls the transport as timebase master at 100 bpm (nn-jam's own clock
            says 120: the grid must follow JACK), plays a one-bar phrase into melody_in and
            captures drums_out and melody_out. Checks (the hosts suite's own, from jalv_test.py):
            notes present, every note-on/off while rolling exactly on the 16th grid at 100 bpm,
            all released at the first frame after the stop, the reply in the bar after the
            phrase. Then nn-jam gets Ctrl-C (SIGINT): exit 0, and its recording holds the
            captured notes: same pitches, channels' kinds and durations, starts at one fixed
            offset (nn-jam counts from its first callback) within one tick of the file.
  genie     Piano Genie: every press into genie_in comes out of genie_out as a key at the same
            frame of the same cycle (nn-jam adds no latency), every release ends its key.
  server-gone  the JACK server is stopped (SIGTERM) under a running nn-jam: it must say so,
            exit 1 and still write its recording, with notes in it.
  bad-input an unknown model, an absurd control value, a port that does not exist: each exit 1
            with a message naming it, within seconds.
Exit status 0 pass, 1 fail, 77 skipped (jackd, jack_wait or the client missing).
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'hosts'))
sys.path.insert(0, HERE)
import jalv_test  # noqa: E402  (the hosts suite's checks and process handling)
import smf  # noqa: E402

SKIP = 77
RATE = 48000
PERIOD = 256


class Args:
    """The fields jalv_test's checks read."""

    def __init__(self, **kw):
        self.step_frames = None
        self.steps_per_quarter = 4
        self.min_notes = 1
        self.channel = None
        self.length_bars = 1
        self.__dict__.update(kw)


def start_server(procs, tools, server, env):
    jackd = procs.start('jackd', [tools['jackd'], '-n', server, '--no-realtime', '-S', '-t', '10000',
                                  '-d', 'dummy', '-r', str(RATE), '-p', str(PERIOD)])
    r = subprocess.run([tools['jack_wait'], '-s', server, '-w', '-t', '15'], env=env, capture_output=True,
                       text=True, preexec_fn=jalv_test.die_with_parent)
    if r.returncode != 0 or jackd.poll() is not None:
        raise jalv_test.Failure('jackd did not start: ' + r.stdout + r.stderr)
    return jackd


def wait_exit(p, seconds, what):
    try:
        return p.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        raise jalv_test.Failure(f'nn-jam did not exit within {seconds} s after {what}')


def wait_ports(env, tools, ports, seconds=20):
    """Until jack_lsp lists every port (nn-jam has loaded its models and activated)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        r = subprocess.run([tools['jack_lsp']], env=env, capture_output=True, text=True)
        if all(p in r.stdout.split('\n') for p in ports):
            return
        time.sleep(0.1)
    raise jalv_test.Failure('nn-jam ports did not appear: ' + ', '.join(ports))


def play(a, procs, to, sources, bpm, seconds, notes):
    """jack_client plays `notes` into `to` as timebase master at `bpm` and captures `sources`."""
    argv = [a.client, '--to', to, '--bpm', str(bpm), '--seconds', str(seconds), '--tail', '0.5']
    for port in sources:
        argv += ['--from', port]
    for n in notes:
        argv += ['--note', n]
    client = procs.start('jack_client', argv)
    if client.wait(timeout=60) != 0:
        raise jalv_test.Failure('jack_client failed:\n' + procs.log('jack_client'))
    return jalv_test.parse_capture(procs.log('jack_client'))


def compare_recording(path, captured, problems):
    """Every captured note (channel kind, pitch, duration) is in the recording at one common
    offset (within a tick); the recording holds no other note inside the captured span."""
    song = smf.read(path)
    recorded = [n for t in song.tracks for n in t.notes]
    notes = []  # (start jack frame, end jack frame, channel, pitch)
    open_ = {}
    for frame, _t, _r, msg in captured:
        k = jalv_test.kind(msg)
        key = (msg[0] & 15, msg[1])
        if k == 'on':
            open_[key] = frame
        elif k == 'off' and key in open_:
            notes.append((open_.pop(key), frame, key[0], key[1]))
    if not notes or not recorded:
        problems.append(f'{len(notes)} notes captured, {len(recorded)} recorded')
        return
    tick = 60.0 / 100 / song.division  # the finest tick of the file (tempo 100 or 120)
    first = min(notes)
    # nn-jam's recording rewrites channels by track (note_seq's writer); drums stay on 10.
    candidates = [n for n in recorded if n.pitch == first[3] and (n.channel == 9) == (first[2] == 9)]
    offset = None
    for c in candidates:
        o = c.start_s - first[0] / RATE
        if all(any(abs(r.start_s - (s / RATE + o)) <= tick and r.pitch == p and (r.channel == 9) == (ch == 9)
                   and abs((r.end_s - r.start_s) - (e - s) / RATE) <= 2 * tick for r in recorded)
               for s, e, ch, p in notes):
            offset = o
            break
    if offset is None and candidates:
        print('recorded', sorted((round(r.start_s, 4), r.pitch, r.channel) for r in recorded))
        print('tempos', song.tempos)
        o = candidates[-1].start_s - first[0] / RATE
        for s, e, ch, p in notes:
            near = [r for r in recorded if abs(r.start_s - (s / RATE + o)) <= 0.01 and r.pitch == p]
            print(f'captured ch {ch + 1} pitch {p} {s / RATE + o:.5f}..{e / RATE + o:.5f}: recorded {near}')
    if offset is None:
        problems.append(f'the recording does not hold the {len(notes)} captured notes at one offset '
                        f'({len(recorded)} recorded)')
        return
    lo = min(s for s, _e, _c, _p in notes) / RATE + offset - tick
    hi = max(s for s, _e, _c, _p in notes) / RATE + offset + tick

    def captured_note(r):
        return any(abs(r.start_s - (s / RATE + offset)) <= tick and r.pitch == p for s, _e, _c, p in notes)

    # Tracks of what the models played hold captured notes; the player's phrase has a track of
    # its own (the melody's input), which the capture does not see.
    extra = [r for t in song.tracks if any(captured_note(r) for r in t.notes)
             for r in t.notes if lo <= r.start_s <= hi and not captured_note(r)]
    if extra:
        problems.append(f'{len(extra)} recorded notes inside the captured span were not captured '
                        f'(first {extra[0]})')
    print(f'recording: {len(recorded)} notes in {len(song.tracks)} tracks; the {len(notes)} captured notes '
          f'found at offset {offset:.4f} s')


def case_session(a, tools, env, logdir, procs):
    start_server(procs, tools, env['JACK_DEFAULT_SERVER'], env)
    rec = os.path.join(logdir, 'session.mid')
    jam = procs.start('nn-jam', [a.jam, '--no-ui', '--name', 'jam', '--record', rec,
                                 '-m', 'drums,loop_bars=2,seed=3',
                                 '-m', 'melody,mode=answer,length_bars=1,seed=7,channel=1'])
    wait_ports(env, tools, ['jam:drums_out', 'jam:melody_in', 'jam:melody_out'])
    phrase = ['0:0.5:60:100', '1:0.5:62:100', '2:0.5:64:100', '3:0.5:67:100']
    cap = play(a, procs, 'jam:melody_in', ['jam:drums_out', 'jam:melody_out'], 100, 8, phrase)
    problems = []
    step, _ = jalv_test.check_grid(Args(min_notes=8), cap, problems)
    drums = [e for e in cap['in'] if jalv_test.kind(e[3]) and e[3][0] & 15 == 9]
    melody = dict(cap, **{'in': [e for e in cap['in'] if e[3][0] & 15 == 0]})
    melody_ons = [e for e in melody['in'] if jalv_test.kind(e[3]) == 'on' and e[2]]
    if len([e for e in drums if jalv_test.kind(e[3]) == 'on']) < 8:
        problems.append('fewer than 8 drum notes')
    jalv_test.check_answer(Args(length_bars=1), melody, problems, step, melody_ons)
    jam.send_signal(signal.SIGINT)
    status = wait_exit(jam, 20, 'Ctrl-C')
    log = procs.log('nn-jam')
    if status != 0:
        problems.append(f'nn-jam exited {status} after Ctrl-C:\n{log}')
    if 'recording saved' not in log or not os.path.exists(rec):
        problems.append('no recording after Ctrl-C:\n' + log)
    else:
        compare_recording(rec, [e for e in cap['in'] if e[2] or jalv_test.kind(e[3]) == 'off'], problems)
    return problems


def case_genie(a, tools, env, logdir, procs):
    start_server(procs, tools, env['JACK_DEFAULT_SERVER'], env)
    jam = procs.start('nn-jam', [a.jam, '--no-ui', '--name', 'jam', '--no-record',
                                 '-m', 'genie,channel=3,seed=11,temperature=1'])
    wait_ports(env, tools, ['jam:genie_in', 'jam:genie_out'])
    cap = play(a, procs, 'jam:genie_in', ['jam:genie_out'], 120, 6, jalv_test.genie_phrase())
    problems = []
    jalv_test.check_genie(Args(channel=3), cap, problems)
    jam.send_signal(signal.SIGTERM)
    if wait_exit(jam, 20, 'SIGTERM') != 0:
        problems.append('nn-jam exited non-zero after SIGTERM:\n' + procs.log('nn-jam'))
    return problems


def case_server_gone(a, tools, env, logdir, procs):
    jackd = start_server(procs, tools, env['JACK_DEFAULT_SERVER'], env)
    rec = os.path.join(logdir, 'gone.mid')
    jam = procs.start('nn-jam', [a.jam, '--no-ui', '--name', 'jam', '--record', rec, '-m', 'drums,seed=2'])
    wait_ports(env, tools, ['jam:drums_out'])
    time.sleep(3)
    # SIGTERM: the server shuts down and tells its clients. (A SIGKILLed jackd leaves its entry
    # in JACK's shared registry, which allows 8: enough of them and no server starts until the
    # machine is cleaned up.)
    jackd.terminate()
    jackd.wait()
    status = wait_exit(jam, 20, 'the server went away')
    log = procs.log('nn-jam')
    problems = []
    if status != 1:
        problems.append(f'nn-jam exited {status}, expected 1:\n{log}')
    if 'JACK server went away' not in log:
        problems.append('no message about the server:\n' + log)
    if not os.path.exists(rec):
        problems.append('no recording:\n' + log)
    else:
        notes = sum(len(t.notes) for t in smf.read(rec).tracks)
        if notes < 4:
            problems.append(f'the recording has {notes} notes')
        print(f'server gone: exit {status}, recording with {notes} notes')
    return problems


def case_bad_input(a, tools, env, logdir, procs):
    start_server(procs, tools, env['JACK_DEFAULT_SERVER'], env)
    problems = []
    cases = [
        (['-m', 'kazoo'], 'kazoo'),
        (['-m', 'melody,temperature=nan'], 'temperature'),
        (['-m', 'drums,in=nosuch:port'], 'nosuch:port'),
        (['-m', 'melody,out=system:capture_1'], 'system:capture_1'),
        (['-m', 'drums', '--control-in', 'ghost:midi'], 'ghost:midi'),
        (['-m', 'drums,model=/no/such/model.nnm'], '/no/such/model.nnm'),
        ([], 'no model'),
    ]
    for argv, names in cases:
        r = subprocess.run([a.jam, '--no-ui', '--no-record', '--name', 'jam'] + argv, env=env, capture_output=True,
                           text=True, timeout=30, stdin=subprocess.DEVNULL)
        if r.returncode != 1 or names not in r.stderr:
            problems.append(f'{" ".join(argv)}: exit {r.returncode}, stderr {r.stderr.strip()!r} '
                            f'(expected 1 and a message naming {names})')
        else:
            print(f'{" ".join(argv) or "(no model)"}: {r.stderr.strip().splitlines()[-1]}')
    return problems


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--jam', required=True)
    p.add_argument('--client', default='')
    p.add_argument('case', choices=['session', 'genie', 'server-gone', 'bad-input'])
    a = p.parse_args()
    tools = {t: shutil.which(t) for t in ('jackd', 'jack_wait', 'jack_lsp')}
    missing = [t for t, path in tools.items() if not path]
    if missing:
        print('skipped: not installed: ' + ', '.join(missing))
        return SKIP
    if not a.client or not os.access(a.client, os.X_OK):
        print('skipped: jack_client was not built (libjack-jackd2-dev missing when configuring)')
        return SKIP
    server = f'magenta-jam-{a.case}-{os.getpid()}'
    env = dict(os.environ, JACK_DEFAULT_SERVER=server, JACK_NO_START_SERVER='1', JACK_NO_AUDIO_RESERVATION='1',
               NN_JAM_MODELS=os.path.join(HERE, '..', '..', 'presets'))
    with tempfile.TemporaryDirectory(prefix='jam-jack-') as logdir:
        procs = jalv_test.Procs(logdir, env)
        try:
            problems = globals()['case_' + a.case.replace('-', '_')](a, tools, env, logdir, procs)
        except jalv_test.Failure as e:
            problems = [str(e)]
        finally:
            procs.stop_all()
        if problems:
            for name in ('nn-jam', 'jack_client'):
                print(f'--- {name} log ---\n{procs.log(name)[-3000:]}')
            print('FAILED:\n  ' + '\n  '.join(problems))
            return 1
    print('passed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
