#!/usr/bin/python3
"""train_torch.py — PyTorch's side of the training benchmark (tools/bench-train.sh): the step
`nn-train bench` times, in torch: a 2-layer LSTM over one-hot inputs, a dense layer, mean
cross-entropy over batch x steps, back-propagation, per-variable gradient clipping and Adam.

Run: /usr/bin/python3 train_torch.py --threads N [--batch 64] [--steps 128] [--units 256]
"""
import argparse
import statistics
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--steps', type=int, default=128)
    ap.add_argument('--units', type=int, default=256)
    ap.add_argument('--classes', type=int, default=38)
    ap.add_argument('--iterations', type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)  # as nn-train's kernels: denormals would only slow it down
    torch.manual_seed(1)
    lstm = torch.nn.LSTM(a.classes, a.units, num_layers=2)
    dense = torch.nn.Linear(a.units, a.classes)
    params = list(lstm.parameters()) + list(dense.parameters())
    adam = torch.optim.Adam(params, lr=0.001)
    times = []
    for it in range(a.iterations + 1):
        classes = torch.randint(0, a.classes, (a.steps + 1, a.batch))
        x = torch.nn.functional.one_hot(classes[:-1], a.classes).float()
        start = time.perf_counter()
        adam.zero_grad()
        out, _ = lstm(x)
        logits = dense(out.reshape(-1, a.units))
        loss = torch.nn.functional.cross_entropy(logits, classes[1:].reshape(-1))
        loss.backward()
        for p in params:
            torch.nn.utils.clip_grad_norm_([p], 5.0)
        adam.step()
        if it:
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print('torch %s threads %d: %.3f s per step (min %.3f), %.0f sequence-steps/s' %
          (torch.__version__, a.threads, median, min(times), a.batch * a.steps / median))


if __name__ == '__main__':
    main()
