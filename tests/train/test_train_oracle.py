#!/usr/bin/python3
"""test_train_oracle.py — nn/train.c's two-layer LSTM model against PyTorch.
Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.

oracle_train.c writes random weights and a right-padded batch, the model's loss and every
gradient, then the loss, gradient norm and parameters of 10 Adam steps with global-norm
clipping. This script redoes all of it in float64 with torch.nn.LSTM on packed sequences,
mapping TensorFlow's gate order (i, j, f, o) onto torch's (i, f, g=j, o) and folding the
forget bias into torch's f bias, and applies TensorFlow's Adam and tf.clip_by_global_norm by
hand (torch.optim.Adam puts epsilon after the bias correction; clip_grad_norm_ adds 1e-6).

Run: /usr/bin/python3 test_train_oracle.py --driver PATH/oracle_train --workdir DIR
"""
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # oracle_io sits in the source tree: leave no __pycache__ there
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle_io import Record, Report, run_driver, split  # noqa: E402

# Tolerances. The reference is float64, so what is measured is train.c's float32 error.
LOSS_RTOL = 1e-6   # loss, relative
GRAD_RTOL = 1e-5   # each gradient tensor: max |diff| / max |reference|
NORM_RTOL = 1e-5   # per-step gradient norm before clipping, relative
PARAM_ATOL = 1e-6  # parameters after 10 steps of lr 0.01, absolute


def read(path):
    r = Record(path, b'OTRN')
    take = r.take
    inp, u0, u1, classes, steps, batch, adam_steps = (int(v) for v in take('<i4', 7))
    forget_bias, lr, clip = (float(v) for v in take('<f4', 3))
    shapes = [('kernel0', (inp + u0, 4 * u0)), ('bias0', (4 * u0,)),
              ('kernel1', (u0 + u1, 4 * u1)), ('bias1', (4 * u1,)),
              ('out_kernel', (u1, classes)), ('out_bias', (classes,))]
    n = sum(int(np.prod(s)) for _, s in shapes)
    d = dict(inp=inp, units=(u0, u1), classes=classes, steps=steps, batch=batch,
             adam_steps=adam_steps, forget_bias=forget_bias, lr=lr, clip=clip, shapes=shapes)
    d['inputs'] = take('<i4', steps * batch).reshape(steps, batch)
    d['labels'] = take('<i4', steps * batch).reshape(steps, batch)
    d['mask'] = take('<f4', steps * batch).reshape(steps, batch)
    d['params'] = take('<f4', n).astype(np.float64)
    d['loss'] = float(take('<f4', 1)[0])
    d['grads'] = take('<f4', n).astype(np.float64)
    trace = take('<f4', 2 * adam_steps).reshape(adam_steps, 2)
    d['step_loss'], d['step_norm'] = trace[:, 0].astype(np.float64), trace[:, 1].astype(np.float64)
    d['final'] = take('<f4', n).astype(np.float64)
    r.end()
    return d


def torch_order(units):
    """Columns of TF's [i, j, f, o] in torch's [i, f, g, o] order."""
    u = units
    return np.concatenate([np.arange(0, u), np.arange(2 * u, 3 * u), np.arange(u, 2 * u), np.arange(3 * u, 4 * u)])


def loss_and_grads(d, flat):
    """The model in torch (float64): mean masked cross-entropy and its gradient in TF layout."""
    p = split(d['shapes'], flat)
    steps, batch = d['steps'], d['batch']
    lengths = d['mask'].sum(axis=0).astype(np.int64)
    x = torch.nn.functional.one_hot(torch.from_numpy(d['inputs'].astype(np.int64)), d['inp']).double()
    lstms, size = [], d['inp']
    for layer, units in enumerate(d['units']):
        order = torch_order(units)
        kernel, bias = p['kernel%d' % layer][:, order], p['bias%d' % layer][order].copy()
        bias[units:2 * units] += d['forget_bias']  # torch's f bias holds TF's forget_bias too
        lstm = torch.nn.LSTM(size, units).double()
        with torch.no_grad():
            lstm.weight_ih_l0.copy_(torch.from_numpy(kernel[:size].T.copy()))
            lstm.weight_hh_l0.copy_(torch.from_numpy(kernel[size:].T.copy()))
            lstm.bias_ih_l0.copy_(torch.from_numpy(bias))
            lstm.bias_hh_l0.zero_()
        lstm.bias_hh_l0.requires_grad_(False)
        lstms.append(lstm)
        size = units
    out_kernel = torch.from_numpy(p['out_kernel'].copy()).requires_grad_()
    out_bias = torch.from_numpy(p['out_bias'].copy()).requires_grad_()

    h = x
    for lstm in lstms:
        packed = torch.nn.utils.rnn.pack_padded_sequence(h, torch.from_numpy(lengths), enforce_sorted=False)
        h, _ = lstm(packed)
        h, _ = torch.nn.utils.rnn.pad_packed_sequence(h, total_length=steps)  # zeros past the end
    logits = h.reshape(steps * batch, -1) @ out_kernel + out_bias
    ce = torch.nn.functional.cross_entropy(logits, torch.from_numpy(d['labels'].astype(np.int64)).reshape(-1),
                                           reduction='none')
    mask = torch.from_numpy(d['mask'].astype(np.float64)).reshape(-1)
    loss = (ce * mask).sum() / mask.sum()
    loss.backward()

    grads = {}
    for layer, (lstm, units) in enumerate(zip(lstms, d['units'])):
        order = torch_order(units)
        k = np.zeros_like(p['kernel%d' % layer])
        k[:, order] = np.concatenate([lstm.weight_ih_l0.grad.numpy().T, lstm.weight_hh_l0.grad.numpy().T])
        b = np.zeros_like(p['bias%d' % layer])
        b[order] = lstm.bias_ih_l0.grad.numpy()
        grads['kernel%d' % layer], grads['bias%d' % layer] = k, b
    grads['out_kernel'], grads['out_bias'] = out_kernel.grad.numpy(), out_bias.grad.numpy()
    flat_grads = np.concatenate([grads[name].reshape(-1) for name, _ in d['shapes']])
    return float(loss), flat_grads


def main():
    d = read(run_driver('train_oracle.bin'))
    report = Report()
    loss, grads = loss_and_grads(d, d['params'])
    err = abs(d['loss'] - loss) / abs(loss)
    report(err <= LOSS_RTOL, 'loss %.7f vs torch %.7f: relative error %.2e (tolerance %.0e)' % (d['loss'], loss, err, LOSS_RTOL))
    ours, ref = split(d['shapes'], d['grads']), split(d['shapes'], grads)
    for name, _ in d['shapes']:
        err = np.abs(ours[name] - ref[name]).max() / np.abs(ref[name]).max()
        report(err <= GRAD_RTOL, 'd%-10s max |diff| / max |grad| %.2e (tolerance %.0e)' % (name, err, GRAD_RTOL))

    # 10 steps of tf.clip_by_global_norm then tf.train.AdamOptimizer, by hand in float64.
    params, m, v = d['params'].copy(), np.zeros_like(d['params']), np.zeros_like(d['params'])
    b1, b2, eps = 0.9, 0.999, 1e-8
    worst_loss = worst_norm = 0.0
    clipped = 0
    for t in range(1, d['adam_steps'] + 1):
        loss, g = loss_and_grads(d, params)
        norm = float(np.sqrt((g * g).sum()))
        worst_loss = max(worst_loss, abs(d['step_loss'][t - 1] - loss) / abs(loss))
        worst_norm = max(worst_norm, abs(d['step_norm'][t - 1] - norm) / norm)
        clipped += norm > d['clip']
        g = g * (d['clip'] / max(norm, d['clip']))
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        lr_t = d['lr'] * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        params = params - lr_t * m / (np.sqrt(v) + eps)
    report(worst_loss <= LOSS_RTOL, 'adam steps: loss relative error max %.2e (tolerance %.0e)' % (worst_loss, LOSS_RTOL))
    report(worst_norm <= NORM_RTOL, 'adam steps: gradient norm relative error max %.2e (tolerance %.0e)' % (worst_norm, NORM_RTOL))
    report(0 < clipped < d['adam_steps'], 'adam steps: %d of %d clipped (clip_norm %g)' % (clipped, d['adam_steps'], d['clip']))
    err = np.abs(d['final'] - params).max()
    moved = np.abs(params - d['params']).max()
    report(err <= PARAM_ATOL, 'params after %d steps: max |diff| %.2e (tolerance %.0e; they moved up to %.3f)'
           % (d['adam_steps'], err, PARAM_ATOL, moved))
    return report.summary()


if __name__ == '__main__':
    sys.exit(main())
