"""smf.py: a small Standard MIDI File reader for nn-jam's tests.

Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.

    import smf
    song = smf.read('session.mid')        # ValueError naming the file and the problem if malformed
    song.format, song.division            # 0 or 1 (2 read like 1); ticks per quarter (or SMPTE)
    song.tempos                           # [(tick, microseconds per quarter)] from every track
    song.seconds(tick)                    # the tempo map: tick -> seconds
    for track in song.tracks:
        track.name                        # its track-name meta event ('' if none)
        track.notes                       # [Note(start_s, end_s, pitch, velocity, channel)] by start
        track.unended                     # how many of them had no note-off (ended at the track's end)
        track.events                      # [Event(tick, time_s, data)], every event in file order

Event.data is the event's bytes with its status byte (running status filled in): a channel
message as sent (b'\\x90\\x3c\\x64'); a meta event b'\\xff' + type + payload; a sysex event
b'\\xf0' (or b'\\xf7') + payload. Channels are 0..15. A note-on with velocity 0 is a note-off; a
note-off ends the earliest sounding note of its channel and pitch.
"""
import collections
import struct

Note = collections.namedtuple('Note', 'start_s end_s pitch velocity channel')
Event = collections.namedtuple('Event', 'tick time_s data')

DEFAULT_TEMPO = 500000  # microseconds per quarter: 120 bpm
_DATA_BYTES = {0x80: 2, 0x90: 2, 0xA0: 2, 0xB0: 2, 0xC0: 1, 0xD0: 1, 0xE0: 2}


class Track:
    def __init__(self):
        self.name = ''
        self.notes = []
        self.unended = 0
        self.events = []


class Song:
    def __init__(self, fmt, division, tracks, tempos):
        self.format = fmt
        self.division = division
        self.tracks = tracks
        self.tempos = tempos

    def seconds(self, tick):
        if self.division & 0x8000:  # SMPTE: frames per second and ticks per frame
            fps = 256 - (self.division >> 8)
            fps = 29.97 if fps == 29 else fps
            return tick / (fps * (self.division & 0xFF))
        time, last_tick, tempo = 0.0, 0, DEFAULT_TEMPO
        for at, value in self.tempos:
            if at >= tick:
                break
            time += (at - last_tick) * tempo / 1e6 / self.division
            last_tick, tempo = at, value
        return time + (tick - last_tick) * tempo / 1e6 / self.division


def _varlen(data, pos, where):
    value = 0
    for _ in range(4):
        if pos >= len(data):
            raise ValueError('%s: a variable-length number runs past the end' % where)
        byte = data[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos
    raise ValueError('%s: a variable-length number longer than 4 bytes' % where)


def _events(data, where):
    """[(tick, bytes)] of one track's chunk."""
    events, pos, tick, running = [], 0, 0, None
    while pos < len(data):
        delta, pos = _varlen(data, pos, where)
        tick += delta
        if pos >= len(data):
            raise ValueError('%s: an event is cut off at byte %d' % (where, pos))
        status = data[pos]
        if status == 0xFF:  # meta
            if pos + 1 >= len(data):
                raise ValueError('%s: a meta event is cut off at byte %d' % (where, pos))
            length, end = _varlen(data, pos + 2, where)
            event = bytes([0xFF, data[pos + 1]]) + data[end:end + length]
            pos = end + length
            running = None
        elif status in (0xF0, 0xF7):  # sysex (or its continuation / an escape)
            length, end = _varlen(data, pos + 1, where)
            event = bytes([status]) + data[end:end + length]
            pos = end + length
            running = None
        elif status >= 0xF0:
            raise ValueError('%s: status byte 0x%02X at byte %d has no place in a MIDI file' % (where, status, pos))
        else:
            if status & 0x80:
                running = status
                pos += 1
            elif running is None:
                raise ValueError('%s: a data byte at byte %d with no running status' % (where, pos))
            size = _DATA_BYTES[running & 0xF0]
            event = bytes([running]) + data[pos:pos + size]
            pos += size
        if pos > len(data):
            raise ValueError('%s: the last event runs past the end of the track' % where)
        events.append((tick, event))
    return events


def read(path):
    with open(path, 'rb') as f:
        data = f.read()
    if data[:4] != b'MThd' or len(data) < 14:
        raise ValueError('%s: not a Standard MIDI File (no MThd header)' % path)
    length, fmt, count, division = struct.unpack('>IHHH', data[4:14])
    if fmt > 2 or length < 6 or division == 0:
        raise ValueError('%s: header says format %d, division %d' % (path, fmt, division))
    pos, raw = 8 + length, []
    while pos + 8 <= len(data) and len(raw) < count:
        kind, size = struct.unpack('>4sI', data[pos:pos + 8])
        if pos + 8 + size > len(data):
            raise ValueError('%s: chunk %d runs past the end of the file' % (path, len(raw) + 1))
        if kind == b'MTrk':
            raw.append(_events(data[pos + 8:pos + 8 + size], '%s track %d' % (path, len(raw) + 1)))
        pos += 8 + size
    if len(raw) != count:
        raise ValueError('%s: the header promises %d tracks, the file has %d' % (path, count, len(raw)))

    tempos = sorted((tick, int.from_bytes(e[2:5], 'big')) for events in raw for tick, e in events
                    if e[0] == 0xFF and e[1] == 0x51 and len(e) == 5)
    song = Song(fmt, division, [], tempos)
    for events in raw:
        track, sounding, last = Track(), {}, 0.0
        for tick, e in events:
            time = song.seconds(tick)
            last = time
            track.events.append(Event(tick, time, e))
            kind = e[0] & 0xF0
            if e[0] == 0xFF and e[1] == 0x03 and not track.name:
                track.name = e[2:].decode('latin-1')
            elif kind == 0x90 and e[2] > 0:
                sounding.setdefault((e[0] & 15, e[1]), []).append((time, e[2]))
            elif kind == 0x80 or kind == 0x90:
                starts = sounding.get((e[0] & 15, e[1]))
                if starts:
                    start, velocity = starts.pop(0)
                    track.notes.append(Note(start, time, e[1], velocity, e[0] & 15))
        for (channel, pitch), starts in sounding.items():
            for start, velocity in starts:
                track.notes.append(Note(start, last, pitch, velocity, channel))
                track.unended += 1
        track.notes.sort()
        song.tracks.append(track)
    return song


if __name__ == '__main__':  # python3 smf.py FILE: a summary, for looking at a recording
    import sys
    song = read(sys.argv[1])
    print('format %d, division %d, tempos %s' % (song.format, song.division, song.tempos))
    for i, track in enumerate(song.tracks):
        print('track %d %r: %d events, %d notes (%d unended)' % (i, track.name, len(track.events), len(track.notes),
                                                                 track.unended))
        for note in track.notes[:8]:
            print('   %.4f..%.4f pitch %d velocity %d channel %d' % note)
