#!/usr/bin/python3
"""test_attention_oracle.py — nn/train_attention.c against PyTorch.
Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.

oracle_attention.c writes random weights, a right-padded batch and the wrapper's outputs and
gradients (of Σ out · dout). This script rebuilds Magenta's AttentionCellWrapper(BasicLSTMCell)
step by step in float64 the way magenta/contrib/rnn.py writes it: the state tuple ((c, h),
attns, attn_states [B, L, U]), the 1x1 conv2d over attn_states (run as torch's conv2d with the
TF filter [1, 1, U, U] transposed to torch's [out, in, 1, 1]), the query from the flattened
(c, h), attn_states shifted by one and the output appended; and tf.nn.dynamic_rnn's lengths: a
finished row keeps its state and outputs zeros. Autograd gives the reference gradients.

Run: /usr/bin/python3 test_attention_oracle.py --driver PATH/oracle_attention --workdir DIR
"""
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # oracle_io sits in the source tree: leave no __pycache__ there
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle_io import Record, Report, run_driver, split  # noqa: E402

# Tolerances. The reference is float64, so what is measured is the float32 error of the C side.
OUT_ATOL = 1e-5    # outputs, absolute (they are O(1))
GRAD_RTOL = 2e-5   # each gradient tensor: max |diff| / max |reference|


def read(path):
    r = Record(path, b'OATN')
    take = r.take
    inp, units, length, steps, batch = (int(v) for v in take('<i4', 5))
    forget_bias = float(take('<f4', 1)[0])
    i, u = inp, units
    shapes = [('input_kernel', (i + u, i)), ('input_bias', (i,)), ('kernel', (i + u, 4 * u)),
              ('bias', (4 * u,)), ('attn_w', (u, u)), ('attn_v', (u,)), ('query_kernel', (2 * u, u)),
              ('query_bias', (u,)), ('output_kernel', (2 * u, u)), ('output_bias', (u,))]
    n = sum(int(np.prod(s)) for _, s in shapes)
    d = dict(inp=inp, units=units, length=length, steps=steps, batch=batch, forget_bias=forget_bias,
             shapes=shapes)
    d['x'] = take('<f4', steps * batch * inp).reshape(steps, batch, inp).astype(np.float64)
    d['mask'] = take('<f4', steps * batch).reshape(steps, batch).astype(np.float64)
    d['dout'] = take('<f4', steps * batch * units).reshape(steps, batch, units).astype(np.float64)
    d['params'] = take('<f4', n).astype(np.float64)
    d['out'] = take('<f4', steps * batch * units).reshape(steps, batch, units).astype(np.float64)
    d['grads'] = take('<f4', n).astype(np.float64)
    d['dx'] = take('<f4', steps * batch * inp).reshape(steps, batch, inp).astype(np.float64)
    r.end()
    return d


def linear(args, kernel, bias):
    """contrib/rnn.py's _Linear: concat along axis 1, matmul, bias_add."""
    return torch.cat(args, 1) @ kernel + bias


def wrapper_step(p, forget_bias, x, state):
    """One call of AttentionCellWrapper(BasicLSTMCell, state_is_tuple=True)."""
    (c, h), attns, attn_states = state
    batch, length, size = attn_states.shape
    inputs = linear([x, attns], p['input_kernel'], p['input_bias'])
    # BasicLSTMCell: gates [inputs, h] · kernel + bias split i, j, f, o
    i, j, f, o = torch.split(linear([inputs, h], p['kernel'], p['bias']), size, dim=1)
    new_c = c * torch.sigmoid(f + forget_bias) + torch.sigmoid(i) * torch.tanh(j)
    new_h = torch.tanh(new_c) * torch.sigmoid(o)
    query = torch.cat([new_c, new_h], 1)  # tf.nest.flatten(LSTMStateTuple(c, h))
    # _attention: hidden [B, L, 1, U] (NHWC), a 1x1 conv with the filter [1, 1, U, U]
    hidden = attn_states.reshape(batch, length, 1, size)
    k = p['attn_w'].reshape(1, 1, size, size)
    features = torch.nn.functional.conv2d(hidden.permute(0, 3, 1, 2), k.permute(3, 2, 0, 1)).permute(0, 2, 3, 1)
    y = linear([query], p['query_kernel'], p['query_bias']).reshape(batch, 1, 1, size)
    s = (p['attn_v'] * torch.tanh(features + y)).sum(dim=(2, 3))
    a = torch.softmax(s, dim=1)
    new_attns = (a.reshape(batch, length, 1, 1) * hidden).sum(dim=(1, 2))
    output = linear([new_h, new_attns], p['output_kernel'], p['output_bias'])
    new_attn_states = torch.cat([attn_states[:, 1:, :], output.unsqueeze(1)], 1)
    return output, ((new_c, new_h), new_attns, new_attn_states)


def reference(d):
    """Outputs, parameter gradients and dx of Σ out · dout, through dynamic_rnn with lengths."""
    params = split(d['shapes'], d['params'])
    p = {name: torch.from_numpy(v.copy()).requires_grad_() for name, v in params.items()}
    x = torch.from_numpy(d['x']).requires_grad_()
    steps, batch, units, length = d['steps'], d['batch'], d['units'], d['length']
    zeros = torch.zeros(batch, units, dtype=torch.float64)
    state = ((zeros, zeros), zeros, torch.zeros(batch, length, units, dtype=torch.float64))
    outputs = []
    for t in range(steps):
        out, new = wrapper_step(p, d['forget_bias'], x[t], state)
        live = torch.from_numpy(d['mask'][t])

        def pick(n, o):
            """dynamic_rnn past a row's length: the old state is copied through."""
            m = live.reshape([batch] + [1] * (n.dim() - 1))
            return m * n + (1 - m) * o

        state = ((pick(new[0][0], state[0][0]), pick(new[0][1], state[0][1])), pick(new[1], state[1]),
                 pick(new[2], state[2]))
        outputs.append(pick(out, torch.zeros_like(out)))  # and the output is zero
    out = torch.stack(outputs)
    (out * torch.from_numpy(d['dout'])).sum().backward()
    grads = np.concatenate([p[name].grad.numpy().reshape(-1) for name, _ in d['shapes']])
    return out.detach().numpy(), grads, x.grad.numpy()


def main():
    d = read(run_driver('attention_oracle.bin'))
    report = Report()
    out, grads, dx = reference(d)
    err = np.abs(d['out'] - out).max()
    report(err <= OUT_ATOL, 'outputs [%d, %d, %d]: max |diff| %.2e (tolerance %.0e)'
           % (d['steps'], d['batch'], d['units'], err, OUT_ATOL))
    ours, ref = split(d['shapes'], d['grads']), split(d['shapes'], grads)
    for name, _ in d['shapes']:
        err = np.abs(ours[name] - ref[name]).max() / np.abs(ref[name]).max()
        report(err <= GRAD_RTOL, 'd%-14s max |diff| / max |grad| %.2e (tolerance %.0e)' % (name, err, GRAD_RTOL))
    err = np.abs(d['dx'] - dx).max() / np.abs(dx).max()
    report(err <= GRAD_RTOL, 'd%-14s max |diff| / max |grad| %.2e (tolerance %.0e)' % ('x', err, GRAD_RTOL))
    return report.summary()


if __name__ == '__main__':
    sys.exit(main())
