#!/usr/bin/python3
"""test_rnn_oracle.py — the engine's LSTM, GRU and event RNN against PyTorch.

Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.

Each case makes random weights in the engine's (TensorFlow's) layout from a fixed seed, maps
them onto the PyTorch module that computes the same cell, writes them with an input sequence
for oracle_rnn.c, runs the driver once per kernel set (NN_SIMD=reference, the default SIMD
set, and sse2 on x86) and compares every step's outputs with the reference. The reference is
computed in float64, so the measured error is the engine's own float32 error.

Run: /usr/bin/python3 test_rnn_oracle.py --driver PATH/oracle_rnn --workdir DIR
(Debian's python3-torch; numpy and torch only.)
"""
import argparse
import os
import platform
import struct
import subprocess
import sys
import zlib

import numpy as np
import torch

STEPS = 50
BATCH = 2  # two independent sequences per case, each from a zero state

CELL_LSTM, CELL_GRU, CELL_EVENT_RNN = 1, 2, 3
FLAG_RESET_AFTER, FLAG_HIDDEN_BIAS, FLAG_ONEHOT = 1, 2, 4

# Tolerances, absolute, on every value of every step of both sequences. The reference runs in
# float64, so what is measured is the engine's own float32 error.
#  - f32 weights: the engine sums in float32 in an order of its own (16-column panels, four FMA
#    chains) and its SIMD exp is Cephes' polynomial (~2 ulp; tanh as 1 - 2/(e^2x + 1) loses
#    ~1e-7 absolute near 0). With torch's initialisation scale the error stays below 5e-7 on h,
#    c and the logits over 50 steps for hidden sizes up to 257 (the cells contract, so it does
#    not grow); the saturated cases, whose pre-activations reach +-100 and lose ~1e-5 in their
#    float32 sums, reach ~7e-6. h and the logits get 2e-5; c, not squashed (|c| up to ~5
#    here), gets 5e-5.
#  - f16 weights against torch on the same f16-rounded weights: the engine widens f16 exactly
#    and sums in f32, so the same tolerances hold, and any rounding other than numpy's
#    round-to-nearest-even shows (rounding toward zero instead fails every f16 case by >= 5e-5).
#  - f16 weights against the unrounded weights: the rounding itself (relative <= 2^-11 per
#    weight) moves h and c by up to ~5e-4 over 50 steps; 5e-3 leaves room and still fails on
#    any mistake of mapping (a swapped gate moves h by 0.1 to 1).
TOL_H = 2e-5
TOL_C = 5e-5
TOL_LOGITS = 2e-5
TOL_F16_UNROUNDED = 5e-3


class Case:
    def __init__(self, name, cell, n_in, units, *, layers=1, classes=0, f16=False, flags=0,
                 forget_bias=0.0, input_gain=1.0):
        self.name, self.cell, self.n_in, self.units = name, cell, n_in, units
        self.layers, self.classes, self.f16, self.flags = layers, classes, f16, flags
        self.forget_bias, self.input_gain = forget_bias, input_gain
        # A seed from the name: adding a case leaves the others' weights as they were.
        self.rng = np.random.default_rng(zlib.crc32(name.encode()))


def make_cases():
    sizes = [(5, 1), (3, 7), (20, 33), (64, 64), (38, 128), (100, 257)]
    cases = []
    for f16 in (False, True):
        dt = 'f16' if f16 else 'f32'
        for n_in, units in sizes:
            for fb in (1.0, 0.0):
                cases.append(Case(f'lstm-in{n_in}-h{units}-fb{fb:g}-{dt}', CELL_LSTM, n_in, units,
                                  f16=f16, forget_bias=fb))
        cases.append(Case(f'lstm-onehot-in38-h128-{dt}', CELL_LSTM, 38, 128, f16=f16,
                          flags=FLAG_ONEHOT, forget_bias=1.0))
        for n_in, units in sizes:
            cases.append(Case(f'gru-after-in{n_in}-h{units}-{dt}', CELL_GRU, n_in, units, f16=f16,
                              flags=FLAG_RESET_AFTER | FLAG_HIDDEN_BIAS))
            cases.append(Case(f'gru-tf-in{n_in}-h{units}-{dt}', CELL_GRU, n_in, units, f16=f16))
        for fb, flags in ((1.0, FLAG_ONEHOT), (1.0, 0), (0.0, 0)):
            kind = 'onehot' if flags else 'dense'
            cases.append(Case(f'event-rnn-2x128-in38-{kind}-fb{fb:g}-{dt}', CELL_EVENT_RNN, 38, 128,
                              layers=2, classes=38, f16=f16, flags=flags, forget_bias=fb))
    # reset_after = 1 without a candidate hidden bias (NULL), reset_after = 0 with one.
    cases.append(Case('gru-after-nobh-in20-h33-f32', CELL_GRU, 20, 33, flags=FLAG_RESET_AFTER))
    cases.append(Case('gru-tf-bh-in20-h33-f32', CELL_GRU, 20, 33, flags=FLAG_HIDDEN_BIAS))
    # Input rows 64x larger: pre-activations up to +-100 saturate the gates and reach the clamps
    # of the SIMD exp. Only the input rows: large recurrent weights make the recurrence chaotic,
    # and then float32 (torch's own too) leaves the float64 reference exponentially fast.
    cases.append(Case('lstm-saturated-in38-h128-fb1-f32', CELL_LSTM, 38, 128, forget_bias=1.0, input_gain=64))
    cases.append(Case('gru-after-saturated-in38-h128-f32', CELL_GRU, 38, 128, input_gain=64,
                      flags=FLAG_RESET_AFTER | FLAG_HIDDEN_BIAS))
    cases.append(Case('gru-tf-saturated-in38-h128-f32', CELL_GRU, 38, 128, input_gain=64))
    # Three layers of an odd size, fewer classes than inputs.
    cases.append(Case('event-rnn-3x33-in10-dense-fb1-f32', CELL_EVENT_RNN, 10, 33, layers=3,
                      classes=7, forget_bias=1.0))
    return cases


# ---- Weights in the engine's layout -------------------------------------------------------

def uniform(case, *shape):
    """torch's own initialisation range, U(-1/sqrt(units), 1/sqrt(units))."""
    k = 1 / np.sqrt(case.units)
    return case.rng.uniform(-k, k, shape).astype(np.float32)


def make_kernel(case, n_in, cols):
    """A kernel [n_in + units, cols]; its input rows times the case's input gain."""
    w = uniform(case, n_in + case.units, cols)
    w[:n_in] *= case.input_gain
    return w


def make_weights(case):
    """The arrays in the driver's file order (see oracle_rnn.c), as float32."""
    n_in, units = case.n_in, case.units
    if case.cell == CELL_LSTM:
        return {'kernel': make_kernel(case, n_in, 4 * units), 'bias': uniform(case, 4 * units)}
    if case.cell == CELL_GRU:
        w = {'gate_kernel': make_kernel(case, n_in, 2 * units), 'gate_bias': uniform(case, 2 * units),
             'candidate_kernel': make_kernel(case, n_in, units), 'candidate_bias': uniform(case, units)}
        if case.flags & FLAG_HIDDEN_BIAS:
            w['candidate_hidden_bias'] = uniform(case, units)
        return w
    w = {}
    for k in range(case.layers):
        w[f'kernel{k}'] = make_kernel(case, n_in if k == 0 else units, 4 * units)
        w[f'bias{k}'] = uniform(case, 4 * units)
    w['output_kernel'] = uniform(case, units, case.classes)
    w['output_bias'] = uniform(case, case.classes)
    return w


def make_inputs(case):
    if case.flags & FLAG_ONEHOT:
        # One-hot rows, and one in ten all zero (the one-hot step's "no event", index -1).
        index = case.rng.integers(0, case.n_in, (BATCH, STEPS))
        index[case.rng.random((BATCH, STEPS)) < 0.1] = -1
        x = np.zeros((BATCH, STEPS, case.n_in), np.float32)
        for b in range(BATCH):
            for t in range(STEPS):
                if index[b, t] >= 0:
                    x[b, t, index[b, t]] = 1.0
        return x
    return case.rng.standard_normal((BATCH, STEPS, case.n_in)).astype(np.float32)


def round_kernels_f16(weights):
    """The weights as the engine holds them with f16 storage: matrices rounded to nearest even
    (numpy's float16 cast), biases kept in f32 as the cells take them."""
    return {name: w.astype(np.float16).astype(np.float32) if w.ndim == 2 else w for name, w in weights.items()}


# ---- The gate mapping: engine (TensorFlow) layout -> PyTorch ------------------------------

def t64(a):
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))


def split_bias(rng, bias):
    """torch adds bias_ih and bias_hh before any activation, so any split of the engine's one
    bias is the same cell; a random split shows the engine's bias is their sum."""
    part = rng.uniform(-0.5, 0.5, bias.shape)
    return bias.astype(np.float64) - part, part


def lstm_to_torch(rng, kernel, bias, n_in, units, forget_bias):
    """TF's LSTM kernel is [in + H, 4H] with column blocks i, j, f, o; torch's weight_ih [4H, in]
    and weight_hh [4H, H] have row blocks i, f, g, o, where g is TF's j (the cell input). TF adds
    forget_bias to f at run time, so torch's f bias is TF's f bias + forget_bias."""
    block = {gate: slice(k * units, (k + 1) * units) for k, gate in enumerate('ijfo')}
    torch_order = [block['i'], block['f'], block['j'], block['o']]
    w = np.concatenate([kernel[:, s] for s in torch_order], axis=1).astype(np.float64)
    b = np.concatenate([bias[s] for s in torch_order]).astype(np.float64)
    b[units:2 * units] += forget_bias  # torch's second block is f
    bias_ih, bias_hh = split_bias(rng, b)
    return {'weight_ih': w[:n_in].T, 'weight_hh': w[n_in:].T, 'bias_ih': bias_ih, 'bias_hh': bias_hh}


def gru_to_torch(rng, w, n_in, units):
    """torch.nn.GRU: weight_ih [3H, in], weight_hh [3H, H], row blocks r, z, n;
        r = s(W_ir x + b_ir + W_hr h + b_hr), z = s(W_iz x + b_iz + W_hz h + b_hz),
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h.
    The engine's gate kernel holds r then u (= torch's z) over [x, h] rows, so its gate bias is
    b_ir + b_hr, b_iz + b_hz; its candidate kernel's first `in` rows are W_in^T, the last H rows
    W_hn^T; candidate_bias is b_in and candidate_hidden_bias b_hn (zero when absent)."""
    g, c = w['gate_kernel'], w['candidate_kernel']
    hidden_bias = w.get('candidate_hidden_bias', np.zeros(units, np.float32))
    gate_ih, gate_hh = split_bias(rng, w['gate_bias'])
    return {'weight_ih': np.concatenate([g[:n_in], c[:n_in]], axis=1).astype(np.float64).T,
            'weight_hh': np.concatenate([g[n_in:], c[n_in:]], axis=1).astype(np.float64).T,
            'bias_ih': np.concatenate([gate_ih, w['candidate_bias']]),
            'bias_hh': np.concatenate([gate_hh, hidden_bias])}


def load_rnn(module, layer, params):
    with torch.no_grad():
        for name, value in params.items():
            getattr(module, f'{name}_l{layer}').copy_(t64(value))


# ---- References, float64 --------------------------------------------------------------------

def reference(case, weights, x):
    """Outputs [BATCH, STEPS, width] as the driver writes them, in float64."""
    rng = np.random.default_rng(1)  # only for the bias splits
    n_in, units = case.n_in, case.units
    xt = t64(x)
    with torch.no_grad():
        if case.cell == CELL_LSTM:
            lstm = torch.nn.LSTM(n_in, units, batch_first=True).double()
            load_rnn(lstm, 0, lstm_to_torch(rng, weights['kernel'], weights['bias'], n_in, units,
                                            case.forget_bias))
            # torch returns only the last c: step one at a time to see c at every step.
            h = torch.zeros(1, BATCH, units, dtype=torch.float64)
            c = torch.zeros_like(h)
            out = []
            for t in range(STEPS):
                _, (h, c) = lstm(xt[:, t:t + 1], (h, c))
                out.append(torch.cat([h[0], c[0]], dim=1))
            return torch.stack(out, dim=1).numpy()
        if case.cell == CELL_GRU and case.flags & FLAG_RESET_AFTER:
            gru = torch.nn.GRU(n_in, units, batch_first=True).double()
            load_rnn(gru, 0, gru_to_torch(rng, weights, n_in, units))
            return gru(xt)[0].numpy()
        if case.cell == CELL_GRU:
            return tf_gru_reference(weights, xt, units)
        lstm = torch.nn.LSTM(n_in, units, num_layers=case.layers, batch_first=True).double()
        for k in range(case.layers):
            load_rnn(lstm, k, lstm_to_torch(rng, weights[f'kernel{k}'], weights[f'bias{k}'],
                                            n_in if k == 0 else units, units, case.forget_bias))
        dense = torch.nn.Linear(units, case.classes).double()
        dense.weight.copy_(t64(weights['output_kernel']).T)  # torch's Linear is [out, in]
        dense.bias.copy_(t64(weights['output_bias']))
        return dense(lstm(xt)[0]).numpy()


def tf_gru_reference(w, x, units):
    """TensorFlow's GRUCell (reset_after = 0), which torch has no module for:
        r, u = sigmoid([x, h] . Wg + bg);  n = tanh([x, r * h] . Wc + bc (+ bh));  h' = u h + (1 - u) n."""
    gate_kernel, gate_bias = t64(w['gate_kernel']), t64(w['gate_bias'])
    cand_kernel, cand_bias = t64(w['candidate_kernel']), t64(w['candidate_bias'])
    if 'candidate_hidden_bias' in w:
        cand_bias = cand_bias + t64(w['candidate_hidden_bias'])
    h = torch.zeros(x.shape[0], units, dtype=torch.float64)
    out = []
    for t in range(x.shape[1]):
        gates = torch.sigmoid(torch.cat([x[:, t], h], dim=1) @ gate_kernel + gate_bias)
        r, u = gates[:, :units], gates[:, units:]
        n = torch.tanh(torch.cat([x[:, t], r * h], dim=1) @ cand_kernel + cand_bias)
        h = u * h + (1 - u) * n
        out.append(h)
    return torch.stack(out, dim=1).numpy()


# ---- The driver -----------------------------------------------------------------------------

def write_case_file(path, case, weights, x):
    header = struct.pack('<4s9If', b'ORNN', case.cell, case.n_in, case.units, case.layers, case.classes,
                         STEPS, BATCH, 1 if case.f16 else 0, case.flags, case.forget_bias)
    with open(path, 'wb') as f:
        f.write(header)
        for w in weights.values():  # insertion order is the file order
            f.write(w.astype('<f4').tobytes())
        f.write(x.astype('<f4').tobytes())


def run_driver(driver, in_path, out_path, kernels, width):
    """Returns (name of the kernel set that ran, outputs [BATCH, STEPS, width])."""
    env = dict(os.environ)
    env.pop('NN_SIMD', None)
    if kernels != 'default':
        env['NN_SIMD'] = kernels
    if os.path.exists(out_path):
        os.remove(out_path)
    run = subprocess.run([driver, in_path, out_path], env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f'driver failed ({run.returncode}): {run.stderr.strip()}')
    ran = run.stdout.split('kernels:')[1].split()[0]
    return ran, np.fromfile(out_path, dtype='<f4').reshape(BATCH, STEPS, width)


CELL_NAMES = {(CELL_LSTM, 0): 'lstm', (CELL_GRU, FLAG_RESET_AFTER): 'gru reset_after=1',
              (CELL_GRU, 0): 'gru reset_after=0', (CELL_EVENT_RNN, 0): 'event rnn'}


def weights_kind(case):
    return ('f16' if case.f16 else 'f32') + (' saturated' if case.input_gain != 1 else '')


def output_parts(case):
    """Named slices of a step's output, each with its tolerance against the matching reference."""
    if case.cell == CELL_LSTM:
        return [('h', slice(0, case.units), TOL_H), ('c', slice(case.units, 2 * case.units), TOL_C)]
    if case.cell == CELL_GRU:
        return [('h', slice(0, case.units), TOL_H)]
    return [('logits', slice(0, case.classes), TOL_LOGITS)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--driver', required=True, help='the oracle_rnn executable')
    parser.add_argument('--workdir', required=True, help='where the case files go')
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.workdir, exist_ok=True)
    x86 = platform.machine().lower() in ('x86_64', 'amd64', 'i386', 'i686')

    failures = checks = 0
    worst = {}
    for case in make_cases():
        weights = make_weights(case)
        x = make_inputs(case)
        # The engine rounds f16 itself (from the f32 file); the tight reference uses numpy's
        # rounding of the same values, the loose one the unrounded weights.
        references = [('', reference(case, round_kernels_f16(weights) if case.f16 else weights, x), True)]
        if case.f16:
            references.append((' vs unrounded', reference(case, weights, x), False))
        width = references[0][1].shape[2]
        in_path = os.path.join(args.workdir, f'oracle-{case.name}.in')
        out_path = os.path.join(args.workdir, f'oracle-{case.name}.out')
        write_case_file(in_path, case, weights, x)

        seen = []
        for kernels in ['default', 'reference'] + (['sse2'] if x86 else []):
            try:
                ran, got = run_driver(args.driver, in_path, out_path, kernels, width)
            except (RuntimeError, OSError, ValueError, IndexError) as e:
                print(f'FAIL {case.name} [{kernels}]: {e}')
                failures += 1
                continue
            if ran in seen:  # the default set is sse2 on a CPU without AVX2
                continue
            seen.append(ran)
            for label, want, tight in references:
                for part, cols, tol in output_parts(case):
                    tol = tol if tight else TOL_F16_UNROUNDED
                    err = float(np.max(np.abs(got[:, :, cols].astype(np.float64) - want[:, :, cols])))
                    ok = err <= tol  # a NaN error fails too
                    checks += 1
                    failures += not ok
                    row = (CELL_NAMES[case.cell, case.flags & FLAG_RESET_AFTER], part, weights_kind(case) + label)
                    worst.setdefault(row, {})[ran] = max(worst.get(row, {}).get(ran, 0.0), err)
                    print(f'{"PASS" if ok else "FAIL"} {case.name} [{ran}]{label}: {part} max abs error '
                          f'{err:.3g} (tolerance {tol:g})')
    kernel_sets = sorted({ran for by_set in worst.values() for ran in by_set})
    print(f'\n{checks} checks, {failures} failed. Largest absolute error per kind of case:')
    print(f'  {"":44}' + ''.join(f'{ran:>11}' for ran in kernel_sets))
    for row, by_set in worst.items():
        print(f'  {" ".join(row):44}' + ''.join(f'{by_set.get(ran, float("nan")):11.2g}' for ran in kernel_sets))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
