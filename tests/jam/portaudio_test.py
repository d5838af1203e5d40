#!/usr/bin/python3
"""nn-jam without a JACK server: PortAudio + PortMidi (tools/nn-jam/backend_portaudio.c), on a
machine with no sound hardware.

Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.

Usage: portaudio_test.py NN_JAM

ALSA's null PCM stands in for a sound card: HOME is a temporary folder whose .asoundrc makes it
the default PCM, so PortAudio lists one output device, "default", that opens and runs. It runs
unpaced (audio time races ahead of wall time), which is fine: every check below is in audio time.
No JACK server may answer: JACK_NO_START_SERVER=1 and a JACK_DEFAULT_SERVER name nothing uses.
PortMidi finds no device here (no /dev/snd/seq), which nn-jam must take calmly.

  1. `nn-jam --no-ui --duration 4 --record OUT.mid -m drums,loop_bars=2,seed=3
     -m melody,mode=free,seed=4` exits 0, says that PortAudio + PortMidi is used because no JACK
     server runs and that there is no MIDI input and no MIDI output device; OUT.mid (read with
     smf.py) has notes in both models' tracks, every note starts on the 16th-note grid of
     120 bpm (0.125 s) to 1 ms (the grid is exact in frames; the file's 960 ticks per quarter
     round to 0.26 ms at 120 bpm) and every note has its end, within the 4 s (+ 1 ms);
  2. `--audio-device nosuchdevice` exits 1 with a message naming nosuchdevice;
  3. `-m melody,in=nosuchmidi` exits 1 with a message naming nosuchmidi;
  4. `--list` exits 0 and names the "default" output device;
  5. `--audio-device default --rate 48000 --period 64 --click --duration 1` exits 0 and runs at
     48000 Hz, 64 frames per buffer (the options reach the stream; the click and the
     pieces-of-a-buffer path run).
Each run has a time-out of 120 s (a guard, not a measure). Exit status: 0 pass, 1 fail, 77
skipped (nn-jam built without PortAudio and PortMidi: `nn-jam --list` says so).
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import smf  # noqa: E402

SKIP = 77
GRID = 0.125        # s: a 16th note at 120 bpm
GRID_TOLERANCE = 1e-3
DURATION = 4.0


class Failure(Exception):
    pass


def run(nn_jam, args, env, cwd):
    r = subprocess.run([nn_jam] + args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout, r.stderr


def expect(condition, what, problems):
    if not condition:
        problems.append(what)
    return condition


def model_tracks(song, names):
    """{name: track} of the models' output tracks: by track name when the file has them, else
    the tracks with notes in slot order (record.c writes each slot's output, then the inputs
    that carried notes; here no input carries any)."""
    named = {t.name: t for t in song.tracks if t.name}
    if all(n in named for n in names):
        return {n: named[n] for n in names}
    with_notes = [t for t in song.tracks if t.notes]
    return {n: with_notes[i] for i, n in enumerate(names) if i < len(with_notes)}


def check_recording(path, problems):
    song = smf.read(path)
    tracks = model_tracks(song, ['drums', 'melody'])
    for name in ['drums', 'melody']:
        track = tracks.get(name)
        if not expect(track is not None and len(track.notes) >= 2, '%s: fewer than 2 notes in its track' % name,
                      problems):
            continue
        print('%s: %d notes, the first at %.4f s, the last ending at %.4f s' %
              (name, len(track.notes), track.notes[0].start_s, max(n.end_s for n in track.notes)))
        off_grid = [n for n in track.notes if abs(n.start_s - round(n.start_s / GRID) * GRID) > GRID_TOLERANCE]
        for n in off_grid[:5]:
            problems.append('%s: a note (pitch %d) starts at %.5f s, off the 16th grid of 120 bpm' %
                            (name, n.pitch, n.start_s))
        expect(track.unended == 0, '%s: %d notes have no note-off in the file' % (name, track.unended), problems)
        late = [n for n in track.notes if n.end_s > DURATION + GRID_TOLERANCE or n.start_s >= n.end_s]
        for n in late[:5]:
            problems.append('%s: a note (pitch %d) from %.4f s to %.4f s: not ended within the %g s' %
                            (name, n.pitch, n.start_s, n.end_s, DURATION))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    nn_jam = os.path.abspath(sys.argv[1])
    problems = []
    with tempfile.TemporaryDirectory(prefix='nn-jam-portaudio-') as tmp:
        with open(os.path.join(tmp, '.asoundrc'), 'w') as f:
            f.write('pcm.!default { type null }\nctl.!default { type hw card 0 }\n')
        env = dict(os.environ, HOME=tmp, JACK_NO_START_SERVER='1',
                   JACK_DEFAULT_SERVER='nn-jam-portaudio-test-%d' % os.getpid())
        env.pop('NN_JAM_DEBUG', None)
        # PortMidi 217's Pm_Initialize leaks its default-device lookup (find_default_device, about
        # 200 bytes, once): not nn-jam's to free; an ASan build's leak check must not count it.
        suppressions = os.path.join(tmp, 'lsan.supp')
        with open(suppressions, 'w') as f:
            f.write('leak:find_default_device\n')
        env['LSAN_OPTIONS'] = ':'.join(filter(None, [env.get('LSAN_OPTIONS', ''), 'suppressions=' + suppressions]))

        # 4 first: it tells whether there is anything to test.
        rc, out, err = run(nn_jam, ['--list'], env, tmp)
        if re.search(r'without PortAudio', out + err, re.I):
            print('skipped: ' + (out + err).strip())
            return SKIP
        print('--list:\n' + out.rstrip())
        expect(rc == 0, '--list: exit status %d, not 0' % rc, problems)
        expect(re.search(r'^\s*\d+\s+default\b', out, re.M), '--list does not name the "default" device', problems)

        # 1. the session
        record = os.path.join(tmp, 'OUT.mid')
        rc, out, err = run(nn_jam, ['--no-ui', '--duration', str(DURATION), '--record', record,
                                    '-m', 'drums,loop_bars=2,seed=3', '-m', 'melody,mode=free,seed=4'], env, tmp)
        print('session: exit status %d; stderr:\n%s' % (rc, err.rstrip()))
        expect(rc == 0, 'session: exit status %d, not 0' % rc, problems)
        expect(re.search(r'no JACK server.*PortAudio \+ PortMidi', err), 'session: stderr does not say that '
               'PortAudio + PortMidi is used because no JACK server runs', problems)
        for kind in ['input', 'output']:
            expect(re.search(r'no MIDI %s device' % kind, err), 'session: no "no MIDI %s device" message' % kind,
                   problems)
        if expect(os.path.exists(record), 'session: no recording at %s' % record, problems):
            try:
                check_recording(record, problems)
            except ValueError as e:
                problems.append('session: the recording is not a MIDI file smf.py reads: %s' % e)

        # 2. an audio device that is not there
        rc, out, err = run(nn_jam, ['--no-ui', '--no-record', '--backend', 'portaudio', '--audio-device',
                                    'nosuchdevice', '-m', 'drums'], env, tmp)
        print('--audio-device nosuchdevice: exit status %d: %s' % (rc, err.strip()))
        expect(rc == 1, '--audio-device nosuchdevice: exit status %d, not 1' % rc, problems)
        expect('nosuchdevice' in err, '--audio-device nosuchdevice: the message does not name it', problems)

        # 3. a MIDI device that is not there
        rc, out, err = run(nn_jam, ['--no-ui', '--no-record', '--backend', 'portaudio', '-m', 'melody,in=nosuchmidi'],
                           env, tmp)
        print('in=nosuchmidi: exit status %d: %s' % (rc, err.strip()))
        expect(rc == 1, 'in=nosuchmidi: exit status %d, not 1' % rc, problems)
        expect('nosuchmidi' in err, 'in=nosuchmidi: the message does not name it', problems)

        # 5. rate, period and click
        rc, out, err = run(nn_jam, ['--no-ui', '--no-record', '--backend', 'portaudio', '--audio-device', 'default',
                                    '--rate', '48000', '--period', '64', '--click', '--duration', '1',
                                    '-m', 'drums,seed=3'], env, tmp)
        print('--rate 48000 --period 64 --click: exit status %d' % rc)
        expect(rc == 0, '--rate 48000 --period 64 --click: exit status %d, not 0: %s' % (rc, err.strip()), problems)
        expect(re.search(r'48000 Hz, 64 frames per buffer', err), '--rate 48000 --period 64: the stream does '
               'not say it runs at 48000 Hz, 64 frames per buffer', problems)

    for p in problems:
        print('FAIL: ' + p)
    print('%s: %d problems' % ('FAIL' if problems else 'PASS', len(problems)))
    return 1 if problems else 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except (Failure, subprocess.TimeoutExpired) as e:
        print('FAIL: %s' % e)
        sys.exit(1)
