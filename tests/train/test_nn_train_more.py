#!/usr/bin/python3
"""test_nn_train_more.py — `nn-train genie` and `nn-train performance` end to end on a small piano
corpus written here (test_nn_train.py does melody and drums the same way).

What users rely on: the model file loads (nn-info) with the shape its plugin expects; the eval
loss falls; Performance RNN gives the same model bit for bit on 1 or 2 threads, and after Ctrl-C
its --resume ends with exactly the model of an uninterrupted run (performance_with_dynamics, whose
configuration name is stored cut to 23 characters); Piano Genie's Ctrl-C leaves a checkpoint from
which --resume continues at its step and ends with the parameters and Adam moments of an
uninterrupted run; bad input gets a message naming the file or option and writes no model.

Run: python3 test_nn_train_more.py --tool PATH/nn-train --info PATH/nn-info --workdir DIR
"""
import argparse
import math
import os
import random
import shutil
import signal
import struct
import subprocess
import sys

from test_nn_train import check, read, run, vlq, write_midi
import test_nn_train


def make_piano_corpus(folder, files=12):
    """Eighth-note motifs with accented downbeats over a held bass note, 8 bars (16 s) each:
    72 notes per file, enough for 16-note Piano Genie crops and 32..512-event performances."""
    rng = random.Random(11)
    motifs = [[60, 62, 64, 65, 67, 65, 64, 62], [67, 69, 71, 72, 71, 69, 67, 64], [72, 67, 64, 67, 72, 76, 74, 71]]
    os.makedirs(folder, exist_ok=True)
    for i in range(files):
        notes, tick = [], 0
        shift = rng.choice([-5, 0, 2, 7])
        for bar in range(8):
            motif = list(rng.choice(motifs))
            motif[rng.randrange(8)] += rng.choice([-2, 2])
            for k in range(8):
                t = tick + k * 240
                notes.append((t, t + 200, motif[k] + shift, 0, 40 + 20 * (k % 4 == 0) + rng.randrange(30)))
            notes.append((tick, tick + 1800, motif[0] + shift - 12, 0, 70))
            tick += 1920
        write_midi(os.path.join(folder, 'piece%02d.mid' % i), notes, time_signature=False)


def model_file(path):
    """(hyperparameters, tensors) of a model file, read as nn/FORMAT.md lays it out; tensors map a
    name to its raw bytes."""
    blob = read(path)
    hcount, tcount = struct.unpack_from('<II', blob, 16)
    data_offset = struct.unpack_from('<Q', blob, 32)[0]
    hparams, tensors = {}, {}
    for i in range(hcount):
        at = 64 + 64 * i
        name = blob[at:at + 32].split(b'\0')[0].decode()
        kind = struct.unpack_from('<I', blob, at + 32)[0]
        value = blob[at + 40:at + 64]
        hparams[name] = (struct.unpack_from('<q', value)[0] if kind == 1 else
                         struct.unpack_from('<d', value)[0] if kind == 2 else value.split(b'\0')[0].decode())
    for i in range(tcount):
        at = 64 + 64 * hcount + 128 * i
        name = blob[at:at + 96].split(b'\0')[0].decode()
        dtype, ndim = struct.unpack_from('<II', blob, at + 96)
        dims = struct.unpack_from('<4I', blob, at + 104)[:ndim]
        offset = struct.unpack_from('<Q', blob, at + 120)[0]
        size = math.prod(dims) * (4 if dtype == 0 else 2)
        tensors[name] = blob[data_offset + offset:data_offset + offset + size]
    return hparams, tensors


def interrupt(cmd, stream, marker):
    """Start cmd, send SIGINT once a line of `stream` (stdout or stderr) starts with marker, and
    return (exit status, everything printed)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE if stream == 'stdout' else subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    pipe = proc.stdout if stream == 'stdout' else proc.stderr
    seen = ''
    for line in pipe:
        seen += line
        if line.startswith(marker):
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate()
    return proc.returncode, seen + (out or '') + (err or '')


def no_model(path):
    return not os.path.exists(path) and not os.path.exists(path + '.ckpt')


def test_genie(a, work, midi, other_data):
    tool = a.tool
    data = os.path.join(work, 'genie.nnd')
    p = run(['data', '--encoding', 'piano_genie', '--eval-percent', '25', '--out', data, midi], tool)
    check(p.returncode == 0 and os.path.exists(data), 'nn-train data piano_genie')
    tiny = ['--data', data, '--units', '16', '--seq-len', '16', '--batch', '8', '--eval-crops', '16',
            '--learning-rate', '0.01', '--order', '2', '--seed', '3']

    # Learns, and exports the decoder the Piano Genie plugin loads.
    g1 = os.path.join(work, 'g1.nnm')
    p = run(['genie', '--out', g1, '--steps', '300', '--eval-every', '50'] + tiny, tool)
    check(p.returncode == 0, 'genie training runs')
    for suffix in ['', '.ckpt', '.csv', '.genie.csv', '.svg']:
        check(os.path.exists(g1 + suffix), 'genie training writes ' + g1 + suffix)
    rows = [r.split(',') for r in open(g1 + '.genie.csv').read().splitlines()] if os.path.exists(g1 + '.genie.csv') else [[]]
    column = rows[0].index('eval_nll') if 'eval_nll' in rows[0] else None
    evals = [float(r[column]) for r in rows[1:]] if column is not None else []
    check(len(evals) == 6, 'genie logs an evaluation every 50 steps (%d)' % len(evals))
    if evals:
        # Tolerance: 0.85 log(88) = 3.81 nats; the run reaches about 2.7, the first evaluation about 3.4.
        check(min(evals) < 0.85 * math.log(88), 'genie eval NLL %.3f is below 0.85 log(88)' % min(evals))
        check(evals[-1] < evals[0], 'genie eval NLL falls: %.3f then %.3f' % (evals[0], evals[-1]))
    info = run([g1], a.info)
    shape = ['encoding             "piano_genie"', 'input_size           123', 'num_classes          88',
             'num_layers           2', 'train_steps          ']
    check(info.returncode == 0 and 'event_rnn' in info.stdout and all(s in info.stdout for s in shape),
          'nn-info loads the genie decoder with the Piano Genie shape')
    if info.returncode == 0:
        _, tensors = model_file(g1)
        sizes = {name: len(t) // 4 for name, t in tensors.items()}
        check(sizes.get('input/kernel') == 123 * 16 and sizes.get('rnn/cell_0/kernel') == 32 * 64 and
              sizes.get('rnn/cell_1/kernel') == 32 * 64 and sizes.get('output/kernel') == 16 * 88 and
              not [n for n in tensors if n.startswith('encoder')],
              'the exported decoder has --units 16 and no encoder tensors: %s' % sorted(sizes))

    # Ctrl-C, then --resume. genie.c evaluates and checkpoints at the stop, an evaluation an
    # uninterrupted run does not make, so the exported model (the best evaluation's) may differ;
    # the training state must not: the final checkpoints hold the same parameters and Adam moments.
    long = ['--steps', '2000', '--eval-every', '100'] + tiny
    whole = os.path.join(work, 'gwhole.nnm')
    check(run(['genie', '--out', whole] + long, tool).returncode == 0, 'uninterrupted genie run')
    cut = os.path.join(work, 'gcut.nnm')
    rc, seen = interrupt([tool, 'genie', '--out', cut] + long, 'stdout', 'step 200 ')
    check(rc in (0, 130), 'Ctrl-C stops genie (status %s): %s' % (rc, seen[-300:]))
    stopped = model_file(cut + '.ckpt')[0].get('step', 0) if os.path.exists(cut + '.ckpt') else 0
    check(200 <= stopped < 2000, 'Ctrl-C leaves a genie checkpoint mid-run (step %d)' % stopped)
    p = run(['genie', '--out', cut, '--resume', cut + '.ckpt'] + long, tool)
    check(p.returncode == 0 and 'resumed at step %d\n' % stopped in p.stdout,
          'genie --resume continues from the checkpoint\'s step %d' % stopped)
    if p.returncode == 0 and os.path.exists(whole + '.ckpt'):
        (hw, tw), (hc, tc) = model_file(whole + '.ckpt'), model_file(cut + '.ckpt')
        check(hc.get('step') == 2000 and hw.get('step') == 2000, 'both genie runs end at step 2000')
        check(len(tw) > 0 and tw == tc, 'resumed genie: the parameters and Adam moments of the uninterrupted run')
        info = run([cut], a.info)
        check(info.returncode == 0 and 'piano_genie' in info.stdout, 'the resumed genie model loads')

    # Bad input.
    bad = os.path.join(work, 'gbad.nnm')
    p = run(['genie', '--out', bad, '--steps', '5', '--data', os.path.join(work, 'none.nnd')] + tiny[2:], tool, expect=None)
    check(p.returncode != 0 and 'none.nnd' in p.stderr and no_model(bad),
          'genie names a missing dataset: ' + p.stderr.strip()[:200])
    p = run(['genie', '--out', bad, '--steps', '5', '--data', other_data] + tiny[2:], tool, expect=None)
    check(p.returncode != 0 and os.path.basename(other_data) in p.stderr and 'piano_genie' in p.stderr and no_model(bad),
          'genie refuses a dataset of another encoding: ' + p.stderr.strip()[:200])
    p = run(['genie', '--out', bad, '--steps', '5', '--resume', g1] + tiny, tool, expect=None)
    check(p.returncode != 0 and 'g1.nnm' in p.stderr and 'checkpoint' in p.stderr and no_model(bad),
          'genie refuses to resume from a model file: ' + p.stderr.strip()[:200])
    p = run(['genie', '--out', bad, '--steps', '5', '--resume', g1 + '.ckpt'] + tiny[:2] + ['--units', '32'] + tiny[4:],
            tool, expect=None)
    check(p.returncode != 0 and 'g1.nnm.ckpt' in p.stderr and no_model(bad),
          'genie refuses a checkpoint of other sizes: ' + p.stderr.strip()[:200])
    for option, value in [('--units', '0'), ('--seq-len', '1'), ('--learning-rate', '-1'), ('--order', '99')]:
        p = run(['genie', '--out', bad, '--steps', '5', option, value, '--data', data], tool, expect=None)
        check(p.returncode == 2 and option in p.stderr and no_model(bad),
              'genie refuses %s %s, naming it: %s' % (option, value, p.stderr.strip()[:120]))
    p = run(['genie', '--out', bad, '--steps', '5', '--seq-len', '4000', '--data', data], tool, expect=None)
    check(p.returncode != 0 and 'genie.nnd' in p.stderr and no_model(bad),
          'genie explains a dataset with no performance as long as --seq-len: ' + p.stderr.strip()[:200])


def test_performance(a, work, midi, other_data):
    tool = a.tool
    data = os.path.join(work, 'perf.nnd')
    p = run(['data', '--encoding', 'performance_with_dynamics', '--eval-percent', '25', '--out', data, midi], tool)
    check(p.returncode == 0 and os.path.exists(data), 'nn-train data performance_with_dynamics')
    small = ['--data', data, '--layers', '16,16', '--batch', '8', '--shard', '2', '--learning-rate', '0.01',
             '--seed', '5', '--quiet', '--checkpoint-minutes', '0', '--patience', '0']

    # Learns; the model has Performance RNN's shape with dynamics (388 events in and out).
    p1 = os.path.join(work, 'p1.nnm')
    p = run(['performance', '--out', p1, '--epochs', '4', '--threads', '1'] + small, tool)
    check(p.returncode == 0, 'performance training runs')
    rows = [r.split(',') for r in open(p1 + '.csv').read().splitlines()[1:]] if os.path.exists(p1 + '.csv') else []
    evals = [float(r[6]) for r in rows if len(r) > 6 and r[6]]
    check(len(evals) == 4, 'the log has an eval loss per epoch (%d)' % len(evals))
    if evals:
        # The first evaluation (after 7 steps) is about 5.2 nats, log(388) = 5.96; the fourth about 3.7.
        check(evals[-1] < 0.9 * evals[0] and evals[-1] < 0.8 * math.log(388),
              'performance eval loss falls: %.3f then %.3f' % (evals[0], evals[-1]))
    info = run([p1], a.info)
    shape = ['encoding             "performance_with_dynami"', 'input_size           388', 'num_classes          388',
             'num_layers           2']
    check(info.returncode == 0 and 'event_rnn' in info.stdout and all(s in info.stdout for s in shape),
          'nn-info loads the model with the performance_with_dynamics shape (name cut to 23 characters)')

    # Same model on 2 threads.
    p2 = os.path.join(work, 'p2.nnm')
    p = run(['performance', '--out', p2, '--epochs', '4', '--threads', '2'] + small, tool)
    check(p.returncode == 0 and os.path.exists(p2) and read(p1) == read(p2),
          'performance: 2 threads give the same model bit for bit')

    # Ctrl-C, then --resume (the checkpoint's config is cut to 23 characters): the same model.
    long = ['--epochs', '20', '--threads', '2'] + small
    whole = os.path.join(work, 'pwhole.nnm')
    check(run(['performance', '--out', whole] + long, tool).returncode == 0, 'uninterrupted performance run')
    cut = os.path.join(work, 'pcut.nnm')
    rc, seen = interrupt([tool, 'performance', '--out', cut] + [x for x in long if x != '--quiet'], 'stderr', 'epoch 1:')
    check(rc == 130 and 'interrupted at step' in seen and os.path.exists(cut + '.ckpt'),
          'Ctrl-C stops performance training with a checkpoint (status %s): %s' % (rc, seen[-300:]))
    if os.path.exists(cut + '.ckpt'):
        h, _ = model_file(cut + '.ckpt')
        check(h.get('config') == 'performance_with_dynami', 'the checkpoint stores the config cut: %r' % h.get('config'))
    p = run(['performance', '--data', data, '--out', cut, '--resume', cut + '.ckpt', '--epochs', '20', '--threads', '1',
             '--patience', '0', '--quiet'], tool)
    check(p.returncode == 0 and os.path.exists(cut) and os.path.exists(whole) and read(cut) == read(whole),
          'performance_with_dynamics resumed after Ctrl-C: the same model as the uninterrupted run')
    # Resuming a finished run adds no epoch and no better evaluation: the best model on disk stays
    # as it is (the trainer once wrote the checkpoint's last weights over it, as f32, unscored).
    if os.path.exists(whole):
        before = read(whole)
        p = run(['performance', '--data', data, '--out', whole, '--resume', whole + '.ckpt', '--epochs', '20',
                 '--threads', '1', '--patience', '0', '--quiet'], tool, expect=None)
        check(p.returncode == 0 and read(whole) == before,
              'resuming a finished run leaves its best model untouched (status %d)' % p.returncode)

    # Plain `performance` (no velocity events): 356 events in and out (128 on, 128 off, 100 shifts).
    plain = os.path.join(work, 'perf_plain.nnd')
    p = run(['data', '--encoding', 'performance', '--eval-percent', '25', '--out', plain, midi], tool)
    pp = os.path.join(work, 'pplain.nnm')
    p = run(['performance', '--out', pp, '--epochs', '1', '--data', plain] + small[2:], tool)
    info = run([pp], a.info)
    check(p.returncode == 0 and 'encoding             "performance"' in info.stdout and
          'num_classes          356' in info.stdout, 'plain performance trains and loads with 356 classes')

    # Bad input: named, and no model written.
    bad = os.path.join(work, 'pbad.nnm')
    p = run(['performance', '--out', bad, '--data', os.path.join(work, 'none.nnd')] + small[2:], tool, expect=None)
    check(p.returncode != 0 and 'none.nnd' in p.stderr and no_model(bad),
          'performance names a missing dataset: ' + p.stderr.strip()[:200])
    p = run(['performance', '--out', bad, '--data', other_data] + small[2:], tool, expect=None)
    check(p.returncode != 0 and 'basic_rnn' in p.stderr and no_model(bad),
          'performance refuses a dataset of another encoding: ' + p.stderr.strip()[:200])
    p = run(['performance', '--out', bad, '--data', data, '--config', 'performance'] + small[2:], tool, expect=None)
    check(p.returncode != 0 and 'perf.nnd' in p.stderr and 'performance_with_dynamics' in p.stderr and no_model(bad),
          'the plain performance config is refused on dynamics data: ' + p.stderr.strip()[:200])
    p = run(['performance', '--out', bad, '--data', plain, '--resume', cut + '.ckpt'], tool, expect=None)
    check(p.returncode != 0 and 'pcut.nnm.ckpt' in p.stderr and no_model(bad),
          'a dynamics checkpoint is refused on plain performance data: ' + p.stderr.strip()[:200])
    p = run(['performance', '--out', bad, '--data', data, '--resume', p1], tool, expect=None)
    check(p.returncode != 0 and 'checkpoint' in p.stderr and 'p1.nnm' in p.stderr and no_model(bad),
          'resuming performance from a model file is refused: ' + p.stderr.strip()[:200])
    p = run(['performance', '--out', bad, '--data', data, '--layers', '16,0'], tool, expect=None)
    check(p.returncode == 2 and '--layers' in p.stderr and no_model(bad),
          'an absurd --layers is refused, naming it: ' + p.stderr.strip()[:200])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--tool', required=True)
    ap.add_argument('--info', required=True)
    ap.add_argument('--workdir', required=True)
    a = ap.parse_args()
    work = os.path.join(a.workdir, 'nn-train-more-test')
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    midi = os.path.join(work, 'midi')
    make_piano_corpus(midi)
    melody = os.path.join(work, 'melody.nnd')  # the dataset of another encoding
    p = run(['data', '--encoding', 'basic_rnn', '--eval-percent', '25', '--out', melody, midi], a.tool)
    check(p.returncode == 0, 'nn-train data basic_rnn')

    test_genie(a, work, midi, melody)
    test_performance(a, work, midi, melody)
    check(not [f for f in os.listdir(work) if '.tmp-' in f], 'no temporary files are left behind')

    print('%d checks, %d failures' % (test_nn_train.checks, test_nn_train.failures))
    return 1 if test_nn_train.failures else 0


if __name__ == '__main__':
    sys.exit(main())
