#!/usr/bin/python3
"""test_nn_train.py — `nn-train melody|drums` end to end on a small corpus written here.

What users rely on: the model file loads (nn-info) and learned something; a fixed seed gives
the same model bit for bit with 1 or 2 threads and with 2 MPI processes; Ctrl-C leaves a
checkpoint from which --resume ends with exactly the model of an uninterrupted run; the CSV log
and SVG curve exist; bad input (missing dataset, a dataset of another encoding, a model that is
not a checkpoint, a full disk) gets a message naming the file and never harms an existing model.

Run: python3 test_nn_train.py --tool PATH/nn-train --info PATH/nn-info [--mpirun PATH] --workdir DIR
"""
import argparse
import math
import os
import random
import resource
import shutil
import signal
import struct
import subprocess
import sys
import time

checks = failures = 0


def check(cond, what):
    global checks, failures
    checks += 1
    if not cond:
        failures += 1
        print('FAIL:', what, flush=True)


def vlq(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def write_midi(path, notes, tpq=480, time_signature=True):
    """A format-0 file at 120 qpm (in 4/4 unless time_signature is False); notes are
    (start_tick, end_tick, pitch, channel) at velocity 90, or (..., channel, velocity)."""
    events = []
    for start, end, pitch, channel, *velocity in notes:
        events.append((start, 1, bytes([0x90 | channel, pitch, velocity[0] if velocity else 90])))
        events.append((end, 0, bytes([0x80 | channel, pitch, 0])))
    events.sort(key=lambda e: (e[0], e[1]))
    track = vlq(0) + b'\xff\x51\x03' + (500000).to_bytes(3, 'big')
    if time_signature:
        track += vlq(0) + b'\xff\x58\x04\x04\x02\x18\x08'
    now = 0
    for tick, _, data in events:
        track += vlq(tick - now) + data
        now = tick
    track += vlq(0) + b'\xff\x2f\x00'
    with open(path, 'wb') as f:
        f.write(b'MThd' + struct.pack('>IHHH', 6, 0, 1, tpq) + b'MTrk' + struct.pack('>I', len(track)) + track)


def make_corpus(folder, files=24):
    """Melodies varied from a few motifs (learnable, but no two files alike) over drum grooves
    with random fills, 16 bars each."""
    rng = random.Random(7)
    motifs = [[60, 62, 64, 65, 67, 65, 64, 62], [67, 69, 71, 72, 71, 69, 67, 64], [72, 67, 64, 67, 72, 76, 74, 71]]
    scale = [60, 62, 64, 65, 67, 69, 71, 72, 74, 76]
    grooves = [[36, 42, 38, 42], [36, 42, 36, 38], [36, 46, 38, 46]]
    os.makedirs(folder, exist_ok=True)
    for i in range(files):
        notes, tick, eighth = [], 0, 240
        shift = rng.choice([-2, 0, 3])
        for bar in range(16):
            motif = list(rng.choice(motifs))
            for _ in range(2):
                motif[rng.randrange(8)] = rng.choice(scale)
            for k in range(8):
                if k % 4 == 3 and k < 7:
                    continue
                length = eighth * (2 if k % 4 == 2 else 1)
                notes.append((tick + k * eighth, tick + k * eighth + length, motif[k] + shift, 0))
            groove = rng.choice(grooves)
            for beat in range(4):
                t = tick + beat * 480
                notes.append((t, t + 120, groove[beat], 9))
                notes.append((t + 240, t + 360, rng.choice([42, 42, 46, 38]), 9))
            tick += 8 * eighth
        write_midi(os.path.join(folder, 'song%02d.mid' % i), notes)


def run(args, tool, expect=0, env_limit=None, capture=True):
    def limit():
        if env_limit:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (env_limit, env_limit))
    p = subprocess.run([tool] + args, capture_output=capture, text=True, preexec_fn=limit)
    if expect is not None and p.returncode != expect:
        print('command:', ' '.join([tool] + args), '\nexit', p.returncode, '\n', p.stderr[-2000:], flush=True)
    return p


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--tool', required=True)
    ap.add_argument('--info', required=True)
    ap.add_argument('--mpirun', default='')
    ap.add_argument('--workdir', required=True)
    a = ap.parse_args()
    work = os.path.join(a.workdir, 'nn-train-test')
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    midi = os.path.join(work, 'midi')
    make_corpus(midi)
    tool = a.tool

    # Datasets.
    melody, drums = os.path.join(work, 'melody.nnd'), os.path.join(work, 'drums.nnd')
    p = run(['data', '--encoding', 'basic_rnn', '--eval-percent', '25', '--out', melody, midi], tool)
    check(p.returncode == 0 and os.path.exists(melody), 'nn-train data basic_rnn')
    p = run(['data', '--encoding', 'drum_kit', '--eval-percent', '25', '--out', drums, midi], tool)
    check(p.returncode == 0 and os.path.exists(drums), 'nn-train data drum_kit')

    small = ['--layers', '16,16', '--batch', '8', '--shard', '2', '--learning-rate', '0.01', '--seed', '5',
             '--quiet', '--checkpoint-minutes', '0']

    # Training learns: eval loss well below the uniform guess, log(38).
    m1 = os.path.join(work, 'm1.nnm')
    p = run(['melody', '--data', melody, '--out', m1, '--epochs', '12', '--threads', '1'] + small, tool)
    check(p.returncode == 0, 'melody training runs')
    for suffix in ['', '.ckpt', '.csv', '.svg']:
        check(os.path.exists(m1 + suffix), 'melody training writes ' + m1 + suffix)
    rows = [line.split(',') for line in open(m1 + '.csv').read().splitlines()[1:]] if os.path.exists(m1 + '.csv') else []
    evals = [float(r[6]) for r in rows if len(r) > 6 and r[6]]
    check(len(evals) >= 2, 'the log has an eval loss per epoch (%d)' % len(evals))
    if evals:
        check(min(evals) < 0.6 * math.log(38), 'eval loss %.3f is well below log(38) = %.3f' % (min(evals), math.log(38)))
        check(evals[-1] < evals[0], 'eval loss falls: %.3f then %.3f' % (evals[0], evals[-1]))
    info = run([m1], a.info)
    check(info.returncode == 0 and 'event_rnn' in info.stdout, 'nn-info loads the trained model')
    svg = read(m1 + '.svg') if os.path.exists(m1 + '.svg') else b''
    check(svg.startswith(b'<svg') and b'polyline' in svg, 'the loss curve is an SVG with lines')

    # Same model whatever the thread count.
    m2 = os.path.join(work, 'm2.nnm')
    p = run(['melody', '--data', melody, '--out', m2, '--epochs', '12', '--threads', '2'] + small, tool)
    check(p.returncode == 0 and os.path.exists(m2) and read(m1) == read(m2), '2 threads give the same model bit for bit')

    # The same over MPI: two processes of one thread each.
    if a.mpirun:
        m3 = os.path.join(work, 'm3.nnm')
        p = subprocess.run([a.mpirun, '--allow-run-as-root', '--oversubscribe', '--mca', 'btl', 'self,vader', '--mca',
                            'btl_vader_single_copy_mechanism', 'none', '-np', '2', tool, 'melody', '--data',
                            melody, '--out', m3, '--epochs', '12', '--threads', '1'] + small,
                           capture_output=True, text=True,
                           env=dict(os.environ, ASAN_OPTIONS='detect_leaks=0'))  # Open MPI's own, not ours
        if p.returncode:
            print(p.stdout[-2000:], p.stderr[-2000:])
        check(p.returncode == 0 and os.path.exists(m3) and read(m1) == read(m3),
              'mpirun -np 2 gives the same model as one process')

    # Learning-rate schedules as the log records them: exponential decay after a linear warm-up.
    sched = os.path.join(work, 'sched.nnm')
    p = run(['melody', '--data', melody, '--out', sched, '--epochs', '3', '--log-every', '1', '--schedule',
             'exponential:4:0.5', '--warmup', '2'] + small, tool)
    rows = [r.split(',') for r in open(sched + '.csv').read().splitlines()[1:]] if p.returncode == 0 else []
    lrs = [(int(r[0]), float(r[3])) for r in rows if r[4]]
    want = lambda step: 0.01 * 0.5 ** ((step - 1) / 4) * (step / 2 if step <= 2 else 1)  # step counted from 1
    check(len(lrs) >= 4 and all(abs(lr - want(st)) <= 1e-6 * want(st) + 1e-9 for st, lr in lrs),
          'the log shows warm-up then exponential decay: %s' % lrs[:5])

    # Early stopping: with an absurd learning rate the eval loss stops improving, and the run
    # ends after --patience epochs without improvement, keeping the best model.
    early = os.path.join(work, 'early.nnm')
    p = run(['melody', '--data', melody, '--out', early, '--epochs', '30', '--patience', '1', '--layers', '16,16',
             '--batch', '8', '--shard', '2', '--learning-rate', '5', '--clip-norm', '0'], tool)
    evals = [r for r in open(early + '.csv').read().splitlines()[1:] if r.split(',')[6]] if p.returncode == 0 else []
    check(p.returncode == 0 and 'early stop' in p.stderr and 2 <= len(evals) < 30,
          'early stopping ends the run (%d evaluations): %s' % (len(evals), p.stderr.strip()[-200:]))

    # Drums with attention (drum_kit's preset has attn_length 32), tiny.
    d1 = os.path.join(work, 'd1.nnm')
    p = run(['drums', '--data', drums, '--out', d1, '--epochs', '2', '--layers', '8,8', '--attn-length', '4',
             '--batch', '4', '--shard', '2', '--quiet'], tool)
    check(p.returncode == 0 and 'event_rnn' in run([d1], a.info).stdout, 'drum_kit with attention trains and loads')

    # Ctrl-C, then --resume: the same model as the run that was never interrupted. The signal is
    # sent once the first epoch is reported, so it lands mid-run.
    long = ['--epochs', '40', '--threads', '2', '--patience', '0'] + small
    whole = os.path.join(work, 'whole.nnm')
    check(run(['melody', '--data', melody, '--out', whole] + long, tool).returncode == 0, 'uninterrupted run')
    cut = os.path.join(work, 'cut.nnm')
    loud = [x for x in long if x != '--quiet']
    proc = subprocess.Popen([tool, 'melody', '--data', melody, '--out', cut] + loud, stderr=subprocess.PIPE, text=True)
    seen = ''
    for line in proc.stderr:
        seen += line
        if line.startswith('epoch 1:'):
            proc.send_signal(signal.SIGINT)
            break
    seen += proc.stderr.read()
    proc.wait()
    check(proc.returncode == 130, 'Ctrl-C stops the run with status 130 (got %s: %s)' % (proc.returncode, seen[-300:]))
    check(os.path.exists(cut + '.ckpt') and 'interrupted at step' in seen, 'Ctrl-C leaves a checkpoint')
    p = run(['melody', '--data', melody, '--out', cut, '--resume', cut + '.ckpt', '--epochs', '40', '--threads', '1',
             '--patience', '0', '--quiet'], tool)
    check(p.returncode == 0 and os.path.exists(cut) and read(cut) == read(whole),
          'resumed after Ctrl-C (on 1 thread): the same model as the uninterrupted run')

    # Bad input: clear messages, nothing harmed.
    p = run(['melody', '--data', os.path.join(work, 'none.nnd'), '--out', m1] + small, tool, expect=None)
    check(p.returncode != 0 and 'none.nnd' in p.stderr, 'a missing dataset is named: ' + p.stderr.strip()[:200])
    p = run(['drums', '--data', melody, '--out', os.path.join(work, 'x.nnm')] + small, tool, expect=None)
    check(p.returncode != 0 and 'basic_rnn' in p.stderr and not os.path.exists(os.path.join(work, 'x.nnm')),
          'a dataset of another encoding is refused: ' + p.stderr.strip()[:200])
    p = run(['melody', '--data', melody, '--out', m1, '--resume', m2], tool, expect=None)
    check(p.returncode != 0 and 'checkpoint' in p.stderr and m2 in p.stderr,
          'resuming from a model file that is not a checkpoint is refused: ' + p.stderr.strip()[:200])
    broken = os.path.join(work, 'broken.ckpt')
    with open(broken, 'wb') as f:
        f.write(read(cut + '.ckpt')[:5000])
    p = run(['melody', '--data', melody, '--out', m1, '--resume', broken], tool, expect=None)
    check(p.returncode != 0 and 'broken.ckpt' in p.stderr, 'a truncated checkpoint is refused: ' + p.stderr.strip()[:200])
    p = run(['melody', '--data', melody, '--out', m1, '--config', 'mono_rnn'], tool, expect=None)
    check(p.returncode != 0 and 'mono_rnn' in p.stderr, 'a configuration of another encoding is refused')
    p = run(['melody', '--data', melody, '--out', m1, '--keep-prob', '7'], tool, expect=None)
    check(p.returncode == 2 and '--keep-prob' in p.stderr, 'an absurd value is refused with the option named')
    before = read(m1)
    p = run(['melody', '--data', melody, '--out', m1, '--epochs', '1', '--layers', '64,64', '--quiet'], tool,
            expect=None, env_limit=8192)
    check(p.returncode != 0 and 'm1.nnm' in p.stderr, 'a full disk is reported with the file: ' + p.stderr.strip()[:200])
    check(read(m1) == before, 'a full disk leaves the existing model as it was')
    check(not [f for f in os.listdir(work) if '.tmp-' in f], 'no temporary files are left behind')

    print('%d checks, %d failures' % (checks, failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
