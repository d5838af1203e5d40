"""oracle_io.py — what the training oracle scripts share: running the C driver, reading what it
wrote (oracle_io.h: a 4-byte magic, then little-endian int32 and f32 values), cutting a flat
parameter array into named tensors, and counting failures.
Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
"""
import argparse
import os
import subprocess

import numpy as np


def run_driver(file_name):
    """Parse --driver and --workdir, run the driver writing WORKDIR/file_name; that path."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--driver', required=True)
    parser.add_argument('--workdir', required=True)
    args = parser.parse_args()
    path = os.path.join(args.workdir, file_name)
    subprocess.run([args.driver, path], check=True)
    return path


class Record:
    """A driver's file, read front to back: take() the values in the order they were written."""

    def __init__(self, path, magic):
        with open(path, 'rb') as f:
            self.raw = f.read()
        assert self.raw[:4] == magic, 'bad magic'
        self.pos = 4

    def take(self, dtype, count):
        """The next `count` values of dtype '<i4' or '<f4'."""
        out = np.frombuffer(self.raw, dtype=dtype, count=count, offset=self.pos)
        self.pos += 4 * count
        return out

    def end(self):
        assert self.pos == len(self.raw), 'trailing bytes'


def split(shapes, flat):
    """Name -> view of flat for each (name, shape) of shapes, in order."""
    out, pos = {}, 0
    for name, shape in shapes:
        size = int(np.prod(shape))
        out[name] = flat[pos:pos + size].reshape(shape)
        pos += size
    return out


class Report:
    """Prints one line a check and counts the failures."""

    def __init__(self):
        self.failures = 0

    def __call__(self, ok, text):
        print('%-4s %s' % ('ok' if ok else 'FAIL', text))
        self.failures += not ok

    def summary(self):
        """Prints the verdict; the script's exit status."""
        print('%s: %d failure(s)' % ('FAIL' if self.failures else 'PASS', self.failures))
        return 1 if self.failures else 0
