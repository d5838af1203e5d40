#!/usr/bin/python3
"""nn-jam's live view and keys (tools/nn-jam/ui.c), through a pseudo-terminal, under JACK.

Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.

Usage: ui_test.py NN_JAM

Starts `jackd --no-realtime -d dummy -r 48000 -p 256` under a server name of its own
(JACK_DEFAULT_SERVER), then `nn-jam --backend jack -m drums,loop_bars=2 -m melody,mode=free
--record OUT.mid` on a pseudo-terminal of 40 x 200 (pty.fork: the terminal is nn-jam's
controlling terminal, so the view is interactive). Everything nn-jam writes is fed to a small
terminal emulator (cursor positioning, erase in line / display, text) and the checks read its
screen, as a player would:

  the header names JACK; a line per slot (drums, melody); the bar number advances;
  `2` then `m`: the melody line shows "muted" and the drums line does not;
  `+` twice (sent together, before the status shows the first): the melody temperature shows
  0.10 more (to 0.005: it is printed with two decimals);
  `q`: nn-jam exits with status 0; its last view bytes are followed by the sequence that gives
  the terminal back (main screen, attributes reset, cursor shown) and nothing is drawn after it;
  the pty is back in canonical mode with echo; OUT.mid exists and is a MIDI file.

Each wait has a deadline (the JACK dummy backend runs in real time; a loaded machine is slow),
but no check measures time. Exit status: 0 pass, 1 fail, 77 skipped (jackd or jack_wait missing;
tools/install-deps.sh test installs them).
"""
import codecs
import errno
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

SKIP = 77
ROWS, COLS = 40, 200
RESTORE = b'\x1b[?1049l\x1b[0m\x1b[?25h'  # ui.c's ui_leave_sequence


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'hosts'))
from jalv_test import Failure, die_with_parent  # noqa: E402  (the hosts suite's)


class Screen:
    """Just enough of a VT100 for nn-jam's view: text, CR/LF, CSI H f A B C D K J m h l."""

    def __init__(self, rows, cols):
        self.rows, self.cols = rows, cols
        self.decoder = codecs.getincrementaldecoder('utf-8')(errors='replace')
        self.pending = ''  # an escape sequence split between two reads
        self.clear()

    def clear(self):
        self.cells = [[' '] * self.cols for _ in range(self.rows)]
        self.row = self.col = 0

    def put(self, ch):
        if self.col >= self.cols:
            self.col = 0
            self.linefeed()
        self.cells[self.row][self.col] = ch
        self.col += 1

    def linefeed(self):
        if self.row + 1 < self.rows:
            self.row += 1
        else:
            self.cells = self.cells[1:] + [[' '] * self.cols]

    def csi(self, params, final):
        private = params.startswith('?')
        nums = [int(p) if p.isdigit() else 0 for p in params.lstrip('?').split(';')] if params.lstrip('?') else []
        n = nums[0] if nums else 0
        if private:
            if final == 'h' and 1049 in nums:
                self.clear()  # the alternate screen starts blank
            return
        if final in 'Hf':
            self.row = min(max((nums[0] if nums and nums[0] else 1) - 1, 0), self.rows - 1)
            self.col = min(max((nums[1] if len(nums) > 1 and nums[1] else 1) - 1, 0), self.cols - 1)
        elif final == 'A':
            self.row = max(self.row - max(n, 1), 0)
        elif final == 'B':
            self.row = min(self.row + max(n, 1), self.rows - 1)
        elif final == 'C':
            self.col = min(self.col + max(n, 1), self.cols - 1)
        elif final == 'D':
            self.col = max(self.col - max(n, 1), 0)
        elif final == 'K':
            line = self.cells[self.row]
            span = {0: range(self.col, self.cols), 1: range(0, self.col + 1), 2: range(self.cols)}.get(n, [])
            for c in span:
                line[c] = ' '
        elif final == 'J':
            if n == 2 or n == 3:
                self.cells = [[' '] * self.cols for _ in range(self.rows)]
            elif n == 0:
                self.csi('', 'K')
                for r in range(self.row + 1, self.rows):
                    self.cells[r] = [' '] * self.cols

    def feed(self, data):
        text = self.pending + self.decoder.decode(data)
        self.pending = ''
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == '\x1b':
                if i + 1 >= len(text):
                    self.pending = text[i:]
                    return
                if text[i + 1] == '[':
                    m = re.compile(r'\[([0-9;?]*)([@-~])').match(text, i + 1)
                    if not m:
                        if re.compile(r'\[[0-9;?]*$').match(text, i + 1):
                            self.pending = text[i:]  # the rest comes with the next read
                            return
                        i += 2
                        continue
                    self.csi(m.group(1), m.group(2))
                    i = m.end()
                    continue
                i += 2  # ESC and one character (ESC 7, ESC 8, ...): nothing to draw
                continue
            if ch == '\r':
                self.col = 0
            elif ch == '\n':
                self.linefeed()
            elif ch == '\b':
                self.col = max(self.col - 1, 0)
            elif ch >= ' ':
                self.put(ch)
            i += 1

    def lines(self):
        return [''.join(r).rstrip() for r in self.cells]

    def text(self):
        return '\n'.join(line for line in self.lines() if line)


class Jam:
    """nn-jam on a pseudo-terminal: its output goes to a Screen, keys go to its input."""

    def __init__(self, argv, env, cwd):
        self.raw = bytearray()
        self.screen = Screen(ROWS, COLS)
        pid, fd = pty.fork()
        if pid == 0:  # the child: the pty is its controlling terminal, in the foreground
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', ROWS, COLS, 0, 0))
                die_with_parent()
                os.chdir(cwd)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd, self.status = pid, fd, None

    def pump(self, seconds):
        """Read what nn-jam writes for up to `seconds`; False once it closed the terminal."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return True
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                return True
            try:
                data = os.read(self.fd, 65536)
            except OSError as e:
                if e.errno == errno.EIO:  # every slave closed: nn-jam is gone
                    return False
                raise
            if not data:
                return False
            self.raw += data
            self.screen.feed(data)

    def wait_for(self, what, check, seconds):
        """Pump until check(screen lines) gives a true value; that value, else Failure."""
        end = time.monotonic() + seconds
        while True:
            value = check(self.screen.lines())
            if value:
                return value
            if time.monotonic() > end:
                raise Failure(f'{what}: not seen within {seconds} s; the screen:\n{self.screen.text()}')
            if not self.pump(0.1):
                value = check(self.screen.lines())
                if value:
                    return value
                raise Failure(f'{what}: nn-jam closed its terminal first; the screen:\n{self.screen.text()}')

    def keys(self, data):
        os.write(self.fd, data)

    def exited(self, seconds):
        """Pump until nn-jam exits; its exit status, or None if it is still running."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
                self.pump(0.2)  # what is left in the pty
                return self.status
            self.pump(0.05)
        return None

    def kill(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        os.close(self.fd)


def slot_line(lines, name):
    """The view's line of the slot named `name` (' 2 melody ...' or '>2 melody ...')."""
    for line in lines:
        if re.match(r'^[ >]\d \S', line) and line[3:].split()[0] == name:
            return line
    return None


def bar_number(lines):
    for line in lines:
        m = re.match(r'^bar (\d+) beat ', line)
        if m:
            return int(m.group(1))
    return None


def temperature(line):
    m = re.search(r'temp (\d+\.\d+)', line or '')
    return float(m.group(1)) if m else None


def run(nn_jam, tools):
    server = f'nnjam-ui-{os.getpid()}'
    env = dict(os.environ, JACK_DEFAULT_SERVER=server, JACK_NO_START_SERVER='1', JACK_NO_AUDIO_RESERVATION='1',
               TERM='xterm')
    with tempfile.TemporaryDirectory(prefix='jam-ui-') as tmp:
        log = open(os.path.join(tmp, 'jackd.log'), 'wb')
        jackd = subprocess.Popen([tools['jackd'], '-n', server, '--no-realtime', '-d', 'dummy', '-r', '48000', '-p', '256'],
                                 stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                                 preexec_fn=die_with_parent)
        jam = None
        try:
            r = subprocess.run([tools['jack_wait'], '-s', server, '-w', '-t', '5'], env=env, capture_output=True,
                               text=True, preexec_fn=die_with_parent)
            if r.returncode != 0 or jackd.poll() is not None:
                raise Failure('jackd did not start: ' + r.stdout + r.stderr)
            out_mid = os.path.join(tmp, 'OUT.mid')
            jam = Jam([nn_jam, '--backend', 'jack', '-m', 'drums,loop_bars=2', '-m', 'melody,mode=free',
                       '--record', out_mid], env, tmp)

            jam.wait_for('the header naming JACK',
                         lambda ls: any(l.startswith('nn-jam · JACK') for l in ls), 30)
            jam.wait_for('the drums and melody lines',
                         lambda ls: slot_line(ls, 'drums') and slot_line(ls, 'melody'), 10)
            first = jam.wait_for('the bar number', bar_number, 10)
            # a bar is 2 s at the own clock's 120 bpm
            later = jam.wait_for(f'a bar after bar {first}', lambda ls: (bar_number(ls) or 0) > first and bar_number(ls), 10)
            print(f'header and slot lines seen; bar {first} -> {later}')

            jam.keys(b'2')
            jam.wait_for('the melody slot selected', lambda ls: (slot_line(ls, 'melody') or '').startswith('>2'), 5)
            jam.keys(b'm')
            melody = jam.wait_for('"muted" on the melody line',
                                  lambda ls: 'muted' in (slot_line(ls, 'melody') or '') and slot_line(ls, 'melody'), 5)
            drums = slot_line(jam.screen.lines(), 'drums')
            if 'muted' in drums:
                raise Failure(f'`m` on slot 2 muted drums too: {drums!r}')
            print(f'muted: {melody!r}')

            t0 = temperature(melody)
            if t0 is None:
                raise Failure(f'no temperature on the melody line: {melody!r}')
            jam.keys(b'++')
            target = round(t0 + 0.10, 2)
            line = jam.wait_for(f'the melody temperature {target:.2f} (was {t0:.2f})',
                                lambda ls: abs((temperature(slot_line(ls, 'melody')) or -9) - target) < 0.005
                                and slot_line(ls, 'melody'), 5)
            jam.pump(0.5)  # nothing more may come of the two keys
            now = temperature(slot_line(jam.screen.lines(), 'melody'))
            if now is None or abs(now - target) >= 0.005:
                raise Failure(f'the melody temperature moved on to {now} after {target:.2f}')
            print(f'temperature {t0:.2f} -> {now:.2f}: {line!r}')

            mark = len(jam.raw)
            jam.keys(b'q')
            status = jam.exited(15)
            if status is None:
                raise Failure('nn-jam still runs 15 s after q')
            if status != 0:
                raise Failure(f'nn-jam exited with status {status} after q; its last output:\n'
                              + jam.raw[-2000:].decode(errors='replace'))
            raw = bytes(jam.raw)
            end = raw.rfind(RESTORE)
            if end < mark:
                raise Failure(f'the terminal was not given back after q (no {RESTORE!r}); the last bytes: {raw[-300:]!r}')
            tail = raw[end + len(RESTORE):]
            if re.search(rb'\x1b\[[0-9;]*[HJ]|\x1b\[\?25l|\x1b\[\?1049h', tail):
                raise Failure(f'the view drew after giving the terminal back: {tail[:300]!r}')
            lflag = termios.tcgetattr(jam.fd)[3]
            if not (lflag & termios.ICANON and lflag & termios.ECHO):
                raise Failure('the terminal was left without canonical mode or echo')
            print(f'q: exit status 0, terminal given back; after it: {tail[:200]!r}')

            with open(out_mid, 'rb') as f:
                head = f.read(4)
            if head != b'MThd':
                raise Failure(f'{out_mid} is not a MIDI file (starts {head!r})')
            print(f'recorded {os.path.getsize(out_mid)} bytes')
        finally:
            if jam:
                jam.kill()
            jackd.terminate()
            try:
                jackd.wait(timeout=5)
            except subprocess.TimeoutExpired:
                jackd.kill()
                jackd.wait()
            log.close()


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    tools = {t: shutil.which(t) for t in ('jackd', 'jack_wait')}
    missing = [t for t, p in tools.items() if not p]
    if missing:
        print('skipped: not installed: ' + ', '.join(missing) + ' (tools/install-deps.sh test installs them)')
        return SKIP
    try:
        run(os.path.abspath(sys.argv[1]), tools)
    except Failure as e:
        print(f'FAIL: {e}')
        return 1
    print('ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
