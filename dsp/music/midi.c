/* midi.c — Standard MIDI Files to and from note sequences, as note_seq's midi_io does through
 * pretty_midi and mido; and note_seq's apply_sustain_control_changes.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * The reader follows the path note_seq.midi_io.midi_to_note_sequence takes: mido parses the
 * bytes, pretty_midi turns ticks into seconds and notes into instruments, note_seq flattens the
 * instruments. Where mido or pretty_midi raise (note_seq then raises MIDIConversionError) the
 * reader refuses; where they are lenient in a way that cannot be made safe it refuses too, and
 * the comments say so. Every allocation is bounded by a multiple of the input size: each stored
 * event, note or control comes from at least two bytes of input.
 */
#include "music_private.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* pretty_midi refuses files whose largest tick + 1 exceeds MAX_TICK, which note_seq raises to
 * 1e10 (midi_io.py); so a tick of 1e10 or more is refused. */
#define MIDI_MAX_TICK 10000000000LL
/* mido's MAX_MESSAGE_LENGTH: longer meta and sysex payloads are an error. */
#define MIDI_MAX_MESSAGE_LENGTH 1000000u
/* Files larger than this are not read (a guard for the file reader only). */
#define MIDI_MAX_FILE_SIZE (256u << 20)

/* ---- Small growable arrays (private) --------------------------------------------------------- */

typedef struct vec {
    void *items;
    size_t count, capacity, size;
} vec;

static void *vec_push(vec *v)
{
    if (v->count == v->capacity) {
        size_t next = v->capacity ? v->capacity * 2 : 64;
        void *p = realloc(v->items, next * v->size);
        if (!p)
            return NULL;
        v->items = p;
        v->capacity = next;
    }
    return (unsigned char *)v->items + v->size * v->count++;
}

static void vec_free(vec *v)
{
    free(v->items);
    v->items = NULL;
    v->count = v->capacity = 0;
}


/* ---- Tempo map: pretty_midi's _tick_scales and its tick_to_time array, without the array ------ */

/* Segment k starts at ticks[k] with seconds-per-tick scales[k]; bases[k] is the time at ticks[k],
 * accumulated exactly as pretty_midi's _update_tick_to_time does (last end time plus scale times
 * the tick count), so times come out bit-identical to its array. */
typedef struct tempo_map {
    int64_t *ticks;
    double *scales, *bases;
    int count, capacity;
} tempo_map;

static void tempo_map_free(tempo_map *m)
{
    free(m->ticks);
    free(m->scales);
    free(m->bases);
    memset(m, 0, sizeof *m);
}

static music_status tempo_map_append(tempo_map *m, int64_t tick, double scale)
{
    if (m->count == m->capacity) {
        int next = m->capacity ? m->capacity * 2 : 16;
        int64_t *t = realloc(m->ticks, (size_t)next * sizeof *t);
        if (t)
            m->ticks = t;
        double *s = realloc(m->scales, (size_t)next * sizeof *s);
        if (s)
            m->scales = s;
        double *b = realloc(m->bases, (size_t)next * sizeof *b);
        if (b)
            m->bases = b;
        if (!t || !s || !b)
            return MUSIC_ERR_MEMORY;
        m->capacity = next;
    }
    m->ticks[m->count] = tick;
    m->scales[m->count] = scale;
    m->bases[m->count] = m->count ? m->bases[m->count - 1] +
                                        m->scales[m->count - 1] * (double)(tick - m->ticks[m->count - 1])
                                  : 0.0;
    m->count++;
    return MUSIC_OK;
}

/* The time of a tick: the last segment starting at or before it (where segments share a tick,
 * pretty_midi's later one overwrites the earlier, with the same value). */
static double tempo_map_time(const tempo_map *m, int64_t tick)
{
    int lo = 0, hi = m->count - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (m->ticks[mid] <= tick)
            lo = mid;
        else
            hi = mid - 1;
    }
    return m->bases[lo] + m->scales[lo] * (double)(tick - m->ticks[lo]);
}

/* pretty_midi's time_to_tick: the nearest entry of the tick_to_time array (which runs from tick 0
 * to the last tempo change's tick), ties to the later tick; past its end, extrapolate with the
 * last scale and round half to even (Python's round). */
static int64_t tempo_map_tick(const tempo_map *m, double time)
{
    int64_t last = m->ticks[m->count - 1]; /* the ticks never decrease */
    /* first tick whose time is >= `time` (numpy searchsorted, side left) */
    int64_t lo = 0, hi = last + 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (tempo_map_time(m, mid) < time)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == last + 1) {
        double tick = (double)last + (time - tempo_map_time(m, last)) / m->scales[m->count - 1];
        /* far past any writable delta time (the writer then refuses); keeps the cast defined */
        return tick < 1e15 ? (int64_t)nearbyint(tick) : (int64_t)1e15;
    }
    if (lo > 0 && fabs(time - tempo_map_time(m, lo - 1)) < fabs(time - tempo_map_time(m, lo)))
        return lo - 1;
    return lo;
}

/* ---- Reader --------------------------------------------------------------------------------- */

typedef struct raw_note {
    int64_t start, end;
    int instrument;
    uint8_t pitch, velocity;
} raw_note;

typedef struct raw_control {
    int64_t tick;
    int list; /* the control-change list it went to (an instrument's, or a straggler's) */
    uint8_t number, value;
} raw_control;

typedef struct raw_instrument {
    int program, channel, list;
} raw_instrument;

typedef struct raw_signature {
    int64_t tick;
    int a, b; /* numerator and log2 denominator, or key and mode */
} raw_signature;

typedef struct open_note {
    int64_t tick;
    int next;
    uint8_t velocity;
} open_note;

typedef struct reader {
    const uint8_t *data;
    size_t size;
    const char *name;
    char *message;
    int resolution;
    tempo_map tempo;
    vec notes, controls, instruments, time_signatures, key_signatures, open;
    int lists; /* control-change lists handed out */
    /* pretty_midi's per-track state, valid where the stamp equals the current track + 1 */
    int32_t key_stamp[16 * 128], head[16 * 128], tail[16 * 128];
    int32_t instrument_stamp[16 * 128], instrument_of[16 * 128]; /* [program * 16 + channel] */
    int32_t straggler[16];
    int program[16];
} reader;

static music_status fail(reader *r, music_status status, size_t offset, const char *fmt, ...)
{
    if (r->message) {
        char text[MUSIC_MESSAGE_SIZE];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        music_message(r->message, "%s: byte %zu: %s", r->name, offset, text);
    }
    return status;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A variable-length quantity of at most 4 bytes, inside [*pos, end). */
static music_status read_vlq(reader *r, size_t *pos, size_t end, uint32_t *value, const char *what)
{
    uint32_t v = 0;
    size_t start = *pos;
    for (int i = 0; i < 4; i++) {
        if (*pos >= end)
            return fail(r, MUSIC_ERR_MALFORMED, start, "%s runs past the end of the track chunk", what);
        uint8_t byte = r->data[(*pos)++];
        v = v << 7 | (byte & 0x7fu);
        if (byte < 0x80) {
            *value = v;
            return MUSIC_OK;
        }
    }
    return fail(r, MUSIC_ERR_MALFORMED, start, "%s is a variable-length quantity longer than 4 bytes", what);
}

static int new_list(reader *r) { return r->lists++; }

/* pretty_midi's __get_instrument with create_new: the instrument of (program, channel, track),
 * made on first use; it takes over the control changes of the channel's straggler, if any. */
static music_status instrument_for(reader *r, int track, int channel, int *index)
{
    int slot = r->program[channel] * 16 + channel;
    if (r->instrument_stamp[slot] == track + 1) {
        *index = r->instrument_of[slot];
        return MUSIC_OK;
    }
    raw_instrument *in = vec_push(&r->instruments);
    if (!in)
        return MUSIC_ERR_MEMORY;
    in->program = r->program[channel];
    in->channel = channel;
    in->list = r->straggler[channel] >= 0 ? r->straggler[channel] : new_list(r);
    r->instrument_stamp[slot] = track + 1;
    r->instrument_of[slot] = *index = (int)(r->instruments.count - 1);
    return MUSIC_OK;
}

static music_status note_on(reader *r, int track, int channel, int pitch, int velocity, int64_t tick)
{
    int key = channel * 128 + pitch;
    open_note *o = vec_push(&r->open);
    if (!o)
        return MUSIC_ERR_MEMORY;
    int index = (int)(r->open.count - 1);
    o->tick = tick;
    o->velocity = (uint8_t)velocity;
    o->next = -1;
    if (r->key_stamp[key] != track + 1 || r->head[key] < 0) {
        r->key_stamp[key] = track + 1;
        r->head[key] = r->tail[key] = index;
    } else {
        ((open_note *)r->open.items)[r->tail[key]].next = index;
        r->tail[key] = index;
    }
    return MUSIC_OK;
}

/* pretty_midi: a note-off closes every open note of its channel and pitch that started at an
 * earlier tick, oldest first; notes that started at this very tick stay open if some note was
 * closed, and are dropped otherwise (so a note on and off at one tick makes no note). A note-off
 * with nothing open is ignored. The program is the channel's at the note-off. */
static music_status note_off(reader *r, int track, int channel, int pitch, int64_t tick)
{
    int key = channel * 128 + pitch;
    if (r->key_stamp[key] != track + 1 || r->head[key] < 0)
        return MUSIC_OK;
    int keep_head = -1, keep_tail = -1, closed = 0;
    for (int i = r->head[key]; i >= 0;) {
        open_note *o = &((open_note *)r->open.items)[i];
        int next = o->next;
        if (o->tick != tick) {
            int instrument;
            music_status st = instrument_for(r, track, channel, &instrument);
            if (st != MUSIC_OK)
                return st;
            raw_note *n = vec_push(&r->notes);
            if (!n)
                return MUSIC_ERR_MEMORY;
            o = &((open_note *)r->open.items)[i];
            *n = (raw_note){o->tick, tick, instrument, (uint8_t)pitch, o->velocity};
            closed++;
        } else {
            o->next = -1;
            if (keep_tail >= 0)
                ((open_note *)r->open.items)[keep_tail].next = i;
            else
                keep_head = i;
            keep_tail = i;
        }
        i = next;
    }
    if (closed > 0 && keep_head >= 0) {
        r->head[key] = keep_head;
        r->tail[key] = keep_tail;
    } else {
        r->head[key] = r->tail[key] = -1;
    }
    return MUSIC_OK;
}

/* pretty_midi's __get_instrument without create_new: a control change goes to the instrument of
 * (program, channel, track) if there is one, else to the channel's straggler list, which the
 * instruments later made on that channel and track share (the same Python list). */
static music_status control_change(reader *r, int track, int channel, int number, int value, int64_t tick)
{
    int slot = r->program[channel] * 16 + channel, list;
    if (r->instrument_stamp[slot] == track + 1)
        list = ((raw_instrument *)r->instruments.items)[r->instrument_of[slot]].list;
    else {
        if (r->straggler[channel] < 0)
            r->straggler[channel] = new_list(r);
        list = r->straggler[channel];
    }
    raw_control *c = vec_push(&r->controls);
    if (!c)
        return MUSIC_ERR_MEMORY;
    *c = (raw_control){tick, list, (uint8_t)number, (uint8_t)value};
    return MUSIC_OK;
}

/* mido's decoders index their data: too short a payload raises there, so it is refused here. */
static music_status meta_event(reader *r, int track, int type, const uint8_t *d, uint32_t length, int64_t tick,
                               size_t at)
{
    static const struct {
        int type;
        uint32_t minimum;
        const char *name;
    } needs[] = {{0x20, 1, "channel prefix"}, {0x51, 3, "set tempo"}, {0x54, 5, "SMPTE offset"},
                 {0x58, 4, "time signature"}, {0x59, 2, "key signature"}};
    for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++)
        if (needs[i].type == type && length < needs[i].minimum)
            return fail(r, MUSIC_ERR_MALFORMED, at, "%s meta event of %" PRIu32 " bytes (needs %" PRIu32 ")",
                        needs[i].name, length, needs[i].minimum);
    if (type == 0x00 && length == 1) /* mido reads 0 or 2 bytes */
        return fail(r, MUSIC_ERR_MALFORMED, at, "sequence number meta event of 1 byte");
    if (type == 0x54 && (d[0] >> 5) > 3)
        return fail(r, MUSIC_ERR_MALFORMED, at, "SMPTE offset meta event with frame rate code %d", d[0] >> 5);
    if (type == 0x59) {
        int sharps = (int8_t)d[0], mode = d[1];
        if (sharps < -7 || sharps > 7 || mode > 1)
            return fail(r, MUSIC_ERR_MALFORMED, at, "key signature with %d sharps and mode %d", sharps, mode);
    }
    /* pretty_midi reads tempo, time and key signatures from the first track only. */
    if (track != 0)
        return MUSIC_OK;
    if (type == 0x51) {
        uint32_t usec = (uint32_t)d[0] << 16 | (uint32_t)d[1] << 8 | d[2];
        if (usec == 0)
            return fail(r, MUSIC_ERR_MALFORMED, at, "set tempo of 0 microseconds per quarter note");
        double bpm = 6e7 / usec, scale = 60.0 / (bpm * r->resolution);
        if (60.0 / (scale * r->resolution) > 1e6) /* the container's limit; Magenta has none */
            return fail(r, MUSIC_ERR_UNSUPPORTED, at, "set tempo of %" PRIu32 " microseconds per quarter note (over 1e6 qpm)",
                        usec);
        if (tick == 0)
            r->tempo.count = 0; /* a tempo at tick 0 replaces the map */
        else if (scale == r->tempo.scales[r->tempo.count - 1])
            return MUSIC_OK; /* pretty_midi skips repeats of the current tempo */
        return tempo_map_append(&r->tempo, tick, scale);
    }
    if (type == 0x58 || type == 0x59) {
        raw_signature *s = vec_push(type == 0x58 ? &r->time_signatures : &r->key_signatures);
        if (!s)
            return MUSIC_ERR_MEMORY;
        if (type == 0x58) {
            if (d[0] == 0)
                return fail(r, MUSIC_ERR_MALFORMED, at, "time signature with numerator 0");
            if (d[1] > 30) /* note_seq: the denominator 2^d must fit an int32 */
                return fail(r, MUSIC_ERR_MALFORMED, at, "time signature denominator 2^%d", d[1]);
            if (d[1] > 20)
                return fail(r, MUSIC_ERR_UNSUPPORTED, at, "time signature denominator 2^%d (at most 2^20)", d[1]);
            *s = (raw_signature){tick, d[0], d[1]};
        } else {
            /* mido names the key, pretty_midi numbers it: the major tonic is 7 semitones per
             * sharp from C, the minor tonic a major sixth above that. */
            int sharps = (int8_t)d[0], mode = d[1];
            *s = (raw_signature){tick, ((7 * sharps + (mode ? 9 : 0)) % 12 + 12) % 12, mode};
        }
    }
    return MUSIC_OK;
}

static music_status read_track(reader *r, int track, size_t start, size_t end)
{
    for (int c = 0; c < 16; c++) {
        r->program[c] = 0;
        r->straggler[c] = -1;
    }
    r->open.count = 0;
    int64_t tick = 0;
    int running = -1;
    size_t pos = start;
    int events = 0;
    music_status st;
    while (pos < end) {
        size_t at = pos;
        uint32_t delta = 0, length = 0;
        if ((st = read_vlq(r, &pos, end, &delta, "delta time")) != MUSIC_OK)
            return st;
        tick += delta;
        if (tick >= MIDI_MAX_TICK)
            return fail(r, MUSIC_ERR_MALFORMED, at, "tick %" PRId64 " is past note_seq's limit of 1e10", tick);
        events++;
        if (pos >= end)
            return fail(r, MUSIC_ERR_MALFORMED, pos, "track chunk ends after a delta time, before its event");
        int status = r->data[pos];
        at = pos;
        if (status < 0x80) {
            /* Running status repeats the last channel status. mido also lets a data byte follow
             * a system message; that misreads the bytes, so it is refused here. */
            if (running < 0)
                return fail(r, MUSIC_ERR_MALFORMED, pos,
                            "data byte 0x%02x where a status byte is needed (no running status)", status);
            status = running;
        } else {
            pos++;
            if (status < 0xf0)
                running = status;
            else if (status != 0xff)
                running = -1;
        }
        if (status < 0xf0) {
            int count = (status & 0xe0) == 0xc0 ? 1 : 2;
            if (end - pos < (size_t)count)
                return fail(r, MUSIC_ERR_MALFORMED, at, "channel event 0x%02x truncated by the end of the track chunk",
                            status);
            const uint8_t *d = r->data + pos;
            for (int i = 0; i < count; i++)
                if (d[i] > 0x7f)
                    return fail(r, MUSIC_ERR_MALFORMED, pos + (size_t)i, "data byte 0x%02x above 127 in channel event 0x%02x",
                                d[i], status);
            pos += (size_t)count;
            int channel = status & 0x0f;
            switch (status & 0xf0) {
            case 0x90:
                st = d[1] > 0 ? note_on(r, track, channel, d[0], d[1], tick) : note_off(r, track, channel, d[0], tick);
                break;
            case 0x80: st = note_off(r, track, channel, d[0], tick); break;
            case 0xb0: st = control_change(r, track, channel, d[0], d[1], tick); break;
            case 0xc0: r->program[channel] = d[0]; st = MUSIC_OK; break;
            default: st = MUSIC_OK; break; /* aftertouch, pitch bend: not in the note sequence */
            }
            if (st != MUSIC_OK)
                return st;
        } else if (status == 0xff) {
            if (pos >= end)
                return fail(r, MUSIC_ERR_MALFORMED, at, "meta event truncated by the end of the track chunk");
            int type = r->data[pos++];
            if ((st = read_vlq(r, &pos, end, &length, "meta event length")) != MUSIC_OK)
                return st;
            if (length > MIDI_MAX_MESSAGE_LENGTH || length > end - pos)
                return fail(r, MUSIC_ERR_MALFORMED, at, "meta event 0x%02x of %" PRIu32 " bytes runs past the end of the track chunk",
                            type, length);
            if ((st = meta_event(r, track, type, r->data + pos, length, tick, at)) != MUSIC_OK)
                return st;
            pos += length; /* mido reads on after an end-of-track event, up to the chunk's end */
        } else if (status == 0xf0 || status == 0xf7) {
            if ((st = read_vlq(r, &pos, end, &length, "sysex length")) != MUSIC_OK)
                return st;
            if (length > MIDI_MAX_MESSAGE_LENGTH || length > end - pos)
                return fail(r, MUSIC_ERR_MALFORMED, at, "sysex of %" PRIu32 " bytes runs past the end of the track chunk",
                            length);
            /* mido strips a leading 0xf0 and a trailing 0xf7 and refuses any other byte > 127 */
            size_t first = pos, last = pos + length;
            if (first < last && r->data[first] == 0xf0)
                first++;
            if (first < last && r->data[last - 1] == 0xf7)
                last--;
            for (size_t i = first; i < last; i++)
                if (r->data[i] > 0x7f)
                    return fail(r, MUSIC_ERR_MALFORMED, i, "sysex data byte 0x%02x above 127", r->data[i]);
            pos += length;
        } else {
            /* system common and real-time messages: mido knows their lengths, pretty_midi ignores them */
            int count;
            switch (status) {
            case 0xf1: case 0xf3: count = 1; break;
            case 0xf2: count = 2; break;
            case 0xf6: case 0xf8: case 0xfa: case 0xfb: case 0xfc: case 0xfe: count = 0; break;
            default: return fail(r, MUSIC_ERR_MALFORMED, at, "undefined status byte 0x%02x", status);
            }
            if (end - pos < (size_t)count)
                return fail(r, MUSIC_ERR_MALFORMED, at, "system event 0x%02x truncated by the end of the track chunk",
                            status);
            for (int i = 0; i < count; i++)
                if (r->data[pos + (size_t)i] > 0x7f)
                    return fail(r, MUSIC_ERR_MALFORMED, pos + (size_t)i, "data byte 0x%02x above 127 in system event 0x%02x",
                                r->data[pos + (size_t)i], status);
            pos += (size_t)count;
        }
    }
    /* pretty_midi takes the largest tick of every track, which fails on a track without events */
    if (events == 0)
        return fail(r, MUSIC_ERR_MALFORMED, start, "track %d has no events", track);
    return MUSIC_OK; /* notes still open at the end of the track are dropped, as pretty_midi does */
}

/* Counting sort of `count` keys in [0, buckets): firsts[b] .. firsts[b + 1] index `order`. */
static music_status bucket(const int *keys, size_t count, int buckets, size_t **order_out, size_t **firsts_out)
{
    size_t *firsts = calloc((size_t)buckets + 1, sizeof *firsts);
    size_t *order = malloc((count ? count : 1) * sizeof *order);
    if (!firsts || !order) {
        free(firsts);
        free(order);
        return MUSIC_ERR_MEMORY;
    }
    for (size_t i = 0; i < count; i++)
        firsts[keys[i] + 1]++;
    for (int b = 0; b < buckets; b++)
        firsts[b + 1] += firsts[b];
    size_t *fill = malloc(((size_t)buckets + 1) * sizeof *fill);
    if (!fill) {
        free(firsts);
        free(order);
        return MUSIC_ERR_MEMORY;
    }
    memcpy(fill, firsts, ((size_t)buckets + 1) * sizeof *fill);
    for (size_t i = 0; i < count; i++)
        order[fill[keys[i]]++] = i;
    free(fill);
    *order_out = order;
    *firsts_out = firsts;
    return MUSIC_OK;
}

/* note_seq's flattening: notes of every instrument in instrument order, then the control changes
 * of every instrument; `instrument` is the index of pretty_midi's instrument. */
static music_status emit(reader *r, music_seq *seq)
{
    music_status st = MUSIC_OK;
    const raw_instrument *ins = r->instruments.items;
    int instruments = (int)r->instruments.count;
    seq->ticks_per_quarter = r->resolution;

    for (int k = 0; k < r->tempo.count && st == MUSIC_OK; k++)
        st = music_seq_add_tempo(seq, tempo_map_time(&r->tempo, r->tempo.ticks[k]),
                                 60.0 / (r->tempo.scales[k] * r->resolution));
    const raw_signature *ts = r->time_signatures.items;
    for (size_t i = 0; i < r->time_signatures.count && st == MUSIC_OK; i++)
        st = music_seq_add_time_signature(seq, tempo_map_time(&r->tempo, ts[i].tick), ts[i].a, 1 << ts[i].b);
    const raw_signature *ks = r->key_signatures.items;
    for (size_t i = 0; i < r->key_signatures.count && st == MUSIC_OK; i++)
        st = music_seq_add_key_signature(seq, tempo_map_time(&r->tempo, ks[i].tick), ks[i].a, ks[i].b);
    if (st != MUSIC_OK)
        return st;

    size_t count = r->notes.count, *order = NULL, *firsts = NULL;
    int *keys = calloc(count ? count : 1, sizeof *keys);
    if (!keys)
        return MUSIC_ERR_MEMORY;
    const raw_note *notes = r->notes.items;
    for (size_t i = 0; i < count; i++)
        keys[i] = notes[i].instrument;
    st = bucket(keys, count, instruments, &order, &firsts);
    free(keys);
    if (st != MUSIC_OK)
        return st;
    for (size_t j = 0; j < count && st == MUSIC_OK; j++) {
        const raw_note *n = &notes[order[j]];
        const raw_instrument *in = &ins[n->instrument];
        music_note note = {0};
        note.start = tempo_map_time(&r->tempo, n->start);
        note.end = tempo_map_time(&r->tempo, n->end);
        note.pitch = n->pitch;
        note.velocity = n->velocity;
        note.program = (uint8_t)in->program;
        note.is_drum = in->channel == 9;
        note.instrument = n->instrument;
        st = music_seq_add_note(seq, &note);
    }
    free(order);
    free(firsts);
    if (st != MUSIC_OK)
        return st;

    count = r->controls.count;
    keys = calloc(count ? count : 1, sizeof *keys);
    if (!keys)
        return MUSIC_ERR_MEMORY;
    const raw_control *controls = r->controls.items;
    for (size_t i = 0; i < count; i++)
        keys[i] = controls[i].list;
    st = bucket(keys, count, r->lists, &order, &firsts);
    free(keys);
    if (st != MUSIC_OK)
        return st;
    /* Instruments sharing a straggler list each get all of it; bound the copies by the input. */
    size_t total = 0;
    for (int i = 0; i < instruments; i++)
        total += firsts[ins[i].list + 1] - firsts[ins[i].list];
    if (total > 16 * r->size + 1024) {
        st = fail(r, MUSIC_ERR_UNSUPPORTED, 0, "%zu control changes shared by many instruments (more than 16 per input byte)",
                  total);
    }
    for (int i = 0; i < instruments && st == MUSIC_OK; i++)
        for (size_t j = firsts[ins[i].list]; j < firsts[ins[i].list + 1] && st == MUSIC_OK; j++) {
            const raw_control *c = &controls[order[j]];
            music_control control = {0};
            control.time = tempo_map_time(&r->tempo, c->tick);
            control.number = c->number;
            control.value = c->value;
            control.program = (uint8_t)ins[i].program;
            control.is_drum = ins[i].channel == 9;
            control.instrument = i;
            st = music_seq_add_control(seq, &control);
        }
    free(order);
    free(firsts);
    return st;
}

static music_status read_all(reader *r, music_seq *seq)
{
    const uint8_t *d = r->data;
    if (r->size < 8 || memcmp(d, "MThd", 4) != 0)
        return fail(r, MUSIC_ERR_MALFORMED, 0, "not a MIDI file (no MThd chunk)");
    uint32_t header = be32(d + 4);
    if (header < 6)
        return fail(r, MUSIC_ERR_MALFORMED, 4, "header chunk of %" PRIu32 " bytes (needs 6)", header);
    if (header > r->size - 8)
        return fail(r, MUSIC_ERR_MALFORMED, 4, "header chunk of %" PRIu32 " bytes runs past the end of the file", header);
    int format = d[8] << 8 | d[9], tracks = d[10] << 8 | d[11], division = d[12] << 8 | d[13];
    if (format == 2)
        return fail(r, MUSIC_ERR_UNSUPPORTED, 8, "MIDI format 2 (independent tracks) is not supported");
    if (format > 2)
        return fail(r, MUSIC_ERR_MALFORMED, 8, "unknown MIDI format %d", format);
    if (division & 0x8000)
        return fail(r, MUSIC_ERR_UNSUPPORTED, 12, "SMPTE time division (0x%04x) is not supported", division);
    if (division == 0)
        return fail(r, MUSIC_ERR_MALFORMED, 12, "time division of 0 ticks per quarter note");
    if (tracks == 0)
        return fail(r, MUSIC_ERR_MALFORMED, 10, "the file has no tracks");
    r->resolution = division;
    music_status st = tempo_map_append(&r->tempo, 0, 60.0 / (120.0 * division)); /* pretty_midi's default */
    if (st != MUSIC_OK)
        return st;

    /* mido reads exactly the declared number of chunks, each of which must be MTrk; whatever
     * follows the last is never looked at. */
    size_t pos = 8 + (size_t)header;
    for (int t = 0; t < tracks; t++) {
        if (r->size - pos < 8)
            return fail(r, MUSIC_ERR_MALFORMED, pos, "file ends before track %d of %d", t, tracks);
        if (memcmp(d + pos, "MTrk", 4) != 0) {
            char id[5];
            for (int i = 0; i < 4; i++)
                id[i] = d[pos + (size_t)i] >= 0x20 && d[pos + (size_t)i] < 0x7f ? (char)d[pos + (size_t)i] : '?';
            id[4] = '\0';
            return fail(r, MUSIC_ERR_MALFORMED, pos, "expected an MTrk chunk for track %d, found \"%s\"", t, id);
        }
        uint32_t length = be32(d + pos + 4);
        if (length > r->size - pos - 8)
            return fail(r, MUSIC_ERR_MALFORMED, pos + 4, "track chunk of %" PRIu32 " bytes runs past the end of the file",
                        length);
        if ((st = read_track(r, t, pos + 8, pos + 8 + length)) != MUSIC_OK)
            return st;
        pos += 8 + (size_t)length;
    }
    return emit(r, seq);
}

music_status music_midi_read_memory(const void *data, size_t size, const char *name, music_seq *seq, char *message)
{
    if (message)
        message[0] = '\0';
    if (!seq || (!data && size)) {
        music_message(message, "%s: invalid argument", name ? name : "(memory)");
        return MUSIC_ERR_ARGUMENT;
    }
    music_seq_clear(seq);
    reader *r = calloc(1, sizeof *r);
    if (!r) {
        music_message(message, "%s: out of memory", name ? name : "(memory)");
        return MUSIC_ERR_MEMORY;
    }
    r->data = data;
    r->size = size;
    r->name = name ? name : "(memory)";
    r->message = message;
    r->notes.size = sizeof(raw_note);
    r->controls.size = sizeof(raw_control);
    r->instruments.size = sizeof(raw_instrument);
    r->time_signatures.size = r->key_signatures.size = sizeof(raw_signature);
    r->open.size = sizeof(open_note);
    music_status st = read_all(r, seq);
    if (st == MUSIC_ERR_MEMORY || st == MUSIC_ERR_FULL || st == MUSIC_ERR_ARGUMENT)
        if (message && !message[0])
            music_message(message, "%s: %s while building the note sequence", r->name, music_status_text(st));
    if (st != MUSIC_OK)
        music_seq_clear(seq);
    tempo_map_free(&r->tempo);
    vec_free(&r->notes);
    vec_free(&r->controls);
    vec_free(&r->instruments);
    vec_free(&r->time_signatures);
    vec_free(&r->key_signatures);
    vec_free(&r->open);
    free(r);
    return st;
}

music_status music_midi_read_file(const char *path, music_seq *seq, char *message)
{
    if (message)
        message[0] = '\0';
    if (!path || !seq) {
        music_message(message, "%s: invalid argument", path ? path : "(null)");
        return MUSIC_ERR_ARGUMENT;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        music_message(message, "%s: cannot open: %s", path, strerror(errno));
        return MUSIC_ERR_IO;
    }
    size_t size = 0, capacity = 0;
    uint8_t *data = NULL;
    for (;;) {
        if (size == capacity) {
            if (capacity >= MIDI_MAX_FILE_SIZE) {
                free(data);
                fclose(f);
                music_message(message, "%s: larger than %u bytes", path, MIDI_MAX_FILE_SIZE);
                return MUSIC_ERR_UNSUPPORTED;
            }
            capacity = capacity ? capacity * 2 : 65536;
            uint8_t *p = realloc(data, capacity);
            if (!p) {
                free(data);
                fclose(f);
                music_message(message, "%s: out of memory", path);
                return MUSIC_ERR_MEMORY;
            }
            data = p;
        }
        size_t got = fread(data + size, 1, capacity - size, f);
        size += got;
        if (got == 0)
            break;
    }
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        free(data);
        music_message(message, "%s: read error", path);
        return MUSIC_ERR_IO;
    }
    music_status st = music_midi_read_memory(data, size, path, seq, message);
    free(data);
    return st;
}

/* ---- Writer --------------------------------------------------------------------------------- */

/* An event of a track being written, in absolute ticks. `rank` is pretty_midi's secondary sort
 * key at equal ticks (write()'s event_compare); `order` keeps the sort stable. */
typedef struct out_event {
    int64_t tick;
    int32_t rank;
    int32_t order;
    uint8_t bytes[7];
    uint8_t length;
} out_event;

static int out_event_compare(const void *pa, const void *pb)
{
    const out_event *a = pa, *b = pb;
    if (a->tick != b->tick)
        return a->tick < b->tick ? -1 : 1;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

static music_status out_add(vec *events, int64_t tick, int32_t rank, const uint8_t *bytes, int length)
{
    out_event *e = vec_push(events);
    if (!e)
        return MUSIC_ERR_MEMORY;
    memset(e, 0, sizeof *e);
    e->tick = tick;
    e->rank = rank;
    e->order = (int32_t)(events->count - 1);
    memcpy(e->bytes, bytes, (size_t)length);
    e->length = (uint8_t)length;
    return MUSIC_OK;
}

typedef struct bytes {
    uint8_t *data;
    size_t size, capacity;
} bytes;

static bool put(bytes *b, const void *data, size_t size)
{
    if (b->capacity - b->size < size) {
        size_t next = b->capacity ? b->capacity : 4096;
        while (next - b->size < size)
            next *= 2;
        uint8_t *p = realloc(b->data, next);
        if (!p)
            return false;
        b->data = p;
        b->capacity = next;
    }
    memcpy(b->data + b->size, data, size);
    b->size += size;
    return true;
}

static bool put_vlq(bytes *b, uint32_t value)
{
    uint8_t tmp[5];
    int n = 0;
    tmp[4 - n++] = value & 0x7f;
    while (value >>= 7)
        tmp[4 - n++] = (uint8_t)(0x80 | (value & 0x7f));
    return put(b, tmp + 5 - n, (size_t)n);
}

/* Sort, then write an MTrk chunk as mido does: delta times, running status for channel events,
 * meta events resetting it, end of track one tick after the last event. */
static music_status put_track(bytes *b, vec *events, char *message, const char *path)
{
    qsort(events->items, events->count, sizeof(out_event), out_event_compare);
    const out_event *e = events->items;
    int64_t last = events->count ? e[events->count - 1].tick : 0;
    static const uint8_t end_of_track[3] = {0xff, 0x2f, 0x00};
    size_t start = b->size;
    uint8_t header[8] = {'M', 'T', 'r', 'k', 0, 0, 0, 0};
    if (!put(b, header, 8))
        return MUSIC_ERR_MEMORY;
    int64_t tick = 0;
    int running = -1;
    for (size_t i = 0; i <= events->count; i++) {
        int64_t at = i < events->count ? e[i].tick : last + 1;
        const uint8_t *data = i < events->count ? e[i].bytes : end_of_track;
        size_t length = i < events->count ? e[i].length : 3;
        if (at - tick > 0x0fffffff) {
            music_message(message, "%s: a delta time of %" PRId64 " ticks does not fit 4 bytes", path, at - tick);
            return MUSIC_ERR_RANGE;
        }
        if (!put_vlq(b, (uint32_t)(at - tick)))
            return MUSIC_ERR_MEMORY;
        tick = at;
        if (data[0] == running) {
            data++;
            length--;
        }
        running = data[0] >= 0x80 && data[0] < 0xf0 ? data[0] : data[0] == 0xff ? -1 : running;
        if (!put(b, data, length))
            return MUSIC_ERR_MEMORY;
    }
    size_t size = b->size - start - 8;
    if (size > 0xffffffffu) {
        music_message(message, "%s: track too long", path);
        return MUSIC_ERR_RANGE;
    }
    uint8_t *len = b->data + start + 4;
    len[0] = (uint8_t)(size >> 24), len[1] = (uint8_t)(size >> 16), len[2] = (uint8_t)(size >> 8), len[3] = (uint8_t)size;
    return MUSIC_OK;
}

typedef struct group {
    int32_t instrument;
    uint8_t program;
    bool is_drum;
} group;

static int group_compare(const void *pa, const void *pb)
{
    const group *a = pa, *b = pb;
    if (a->instrument != b->instrument)
        return a->instrument < b->instrument ? -1 : 1;
    if (a->program != b->program)
        return a->program < b->program ? -1 : 1;
    return (int)a->is_drum - (int)b->is_drum;
}

/* The bytes of the file note_seq's note_sequence_to_pretty_midi and pretty_midi's write() make. */
static music_status build_file(const music_seq *seq, bytes *out, const char *path, char *message)
{
    int resolution = seq->ticks_per_quarter > 0 ? seq->ticks_per_quarter : 220; /* STANDARD_PPQ */
    if (resolution > 0x7fff) {
        music_message(message, "%s: %d ticks per quarter note do not fit a MIDI header", path, resolution);
        return MUSIC_ERR_RANGE;
    }
    music_status st = MUSIC_OK;
    tempo_map map = {0};
    vec events = {.size = sizeof(out_event)};
    group *groups = NULL;
    int group_count = 0;
    int *tempo_order = NULL;

    /* The tempo at time zero (the first in the list) is the initial one, else 120 qpm. */
    int initial = -1;
    for (int i = 0; i < seq->tempos.count && initial < 0; i++)
        if (seq->tempos.items[i].time == 0.0)
            initial = i;
    double initial_qpm = initial >= 0 ? seq->tempos.items[initial].qpm : 120.0;
    if ((st = tempo_map_append(&map, 0, 60.0 / (initial_qpm * resolution))) != MUSIC_OK)
        goto done;
    /* Each other tempo goes at the tick of its time under the tempos before it. note_seq takes
     * them in list order; they are taken in time order here (a stable sort), which is the same
     * for a sorted sequence and keeps the tempo map increasing otherwise. */
    tempo_order = malloc(((size_t)seq->tempos.count + 1) * sizeof *tempo_order);
    if (!tempo_order) {
        st = MUSIC_ERR_MEMORY;
        goto done;
    }
    for (int i = 0; i < seq->tempos.count; i++) {
        int j = i;
        while (j > 0 && seq->tempos.items[tempo_order[j - 1]].time > seq->tempos.items[i].time) {
            tempo_order[j] = tempo_order[j - 1];
            j--;
        }
        tempo_order[j] = i;
    }
    for (int k = 0; k < seq->tempos.count; k++) {
        const music_tempo *t = &seq->tempos.items[tempo_order[k]];
        /* note_seq skips tempos equal to the initial one (protobuf equality) */
        if (initial >= 0 && t->time == 0.0 && t->qpm == initial_qpm)
            continue;
        int64_t tick = tempo_map_tick(&map, t->time);
        if ((st = tempo_map_append(&map, tick, 60.0 / (resolution * t->qpm))) != MUSIC_OK)
            goto done;
    }

    /* Track 0: tempos, time signatures (4/4 first unless one is at time 0), key signatures. */
    bool default_ts = true;
    for (int i = 0; i < seq->time_signatures.count; i++)
        if (seq->time_signatures.items[i].time <= 0.0)
            default_ts = false;
    if (default_ts) {
        const uint8_t ts[7] = {0xff, 0x58, 0x04, 4, 2, 24, 8};
        if ((st = out_add(&events, 0, 2 << 16, ts, 7)) != MUSIC_OK)
            goto done;
    }
    for (int k = 0; k < map.count; k++) {
        /* mido's set_tempo: int(6e7 / bpm), truncated */
        double usec = 6e7 / (60. / (map.scales[k] * resolution));
        if (!(usec >= 1.0 && usec <= 0xffffff)) {
            music_message(message, "%s: a tempo of %g microseconds per quarter does not fit 3 bytes", path, usec);
            st = MUSIC_ERR_RANGE;
            goto done;
        }
        uint32_t u = (uint32_t)usec;
        const uint8_t tempo[6] = {0xff, 0x51, 0x03, (uint8_t)(u >> 16), (uint8_t)(u >> 8), (uint8_t)u};
        if ((st = out_add(&events, map.ticks[k], 1 << 16, tempo, 6)) != MUSIC_OK)
            goto done;
    }
    for (int i = 0; i < seq->time_signatures.count; i++) {
        const music_time_signature *t = &seq->time_signatures.items[i];
        int log2 = 0;
        while ((1 << log2) < t->denominator)
            log2++;
        if ((1 << log2) != t->denominator || t->numerator > 255) {
            music_message(message, "%s: time signature %d/%d cannot be written (mido needs a power-of-2 denominator)",
                        path, t->numerator, t->denominator);
            st = MUSIC_ERR_RANGE;
            goto done;
        }
        const uint8_t ts[7] = {0xff, 0x58, 0x04, (uint8_t)t->numerator, (uint8_t)log2, 24, 8};
        if ((st = out_add(&events, tempo_map_tick(&map, t->time), 2 << 16, ts, 7)) != MUSIC_OK)
            goto done;
    }
    /* pretty_midi's key names for mido, as sharps (negative: flats): C Db D Eb E F F# G Ab A Bb B,
     * then Cm C#m Dm D#m Em Fm F#m Gm G#m Am Bbm Bm. */
    static const int8_t sharps[24] = {0, -5, 2, -3, 4, -1, 6, 1, -4, 3, -2, 5,
                                      -3, 4, -1, 6, 1, -4, 3, -2, 5, 0, -5, 2};
    for (int i = 0; i < seq->key_signatures.count; i++) {
        const music_key_signature *k = &seq->key_signatures.items[i];
        const uint8_t ks[5] = {0xff, 0x59, 0x02, (uint8_t)sharps[k->key + 12 * k->mode], (uint8_t)k->mode};
        if ((st = out_add(&events, tempo_map_tick(&map, k->time), 3 << 16, ks, 5)) != MUSIC_OK)
            goto done;
    }
    bytes *b = out;
    const uint8_t header[14] = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1, 0, 0,
                                (uint8_t)(resolution >> 8), (uint8_t)resolution};
    if (!put(b, header, sizeof header)) {
        st = MUSIC_ERR_MEMORY;
        goto done;
    }
    if ((st = put_track(b, &events, message, path)) != MUSIC_OK)
        goto done;
    int tracks = 1;

    /* The (instrument, program, is_drum) groups of notes and control changes, sorted. */
    groups = malloc(((size_t)seq->notes.count + (size_t)seq->controls.count + 1) * sizeof *groups);
    if (!groups) {
        st = MUSIC_ERR_MEMORY;
        goto done;
    }
    for (int i = 0; i < seq->notes.count; i++)
        groups[group_count++] = (group){seq->notes.items[i].instrument, seq->notes.items[i].program,
                                        seq->notes.items[i].is_drum};
    for (int i = 0; i < seq->controls.count; i++)
        groups[group_count++] = (group){seq->controls.items[i].instrument, seq->controls.items[i].program,
                                        seq->controls.items[i].is_drum};
    qsort(groups, (size_t)group_count, sizeof *groups, group_compare);
    int unique = 0;
    for (int i = 0; i < group_count; i++)
        if (unique == 0 || group_compare(&groups[unique - 1], &groups[i]) != 0)
            groups[unique++] = groups[i];
    group_count = unique;

    /* note_seq always makes pretty_midi instrument 0 and gives it the groups of instrument <= 0;
     * with no such group it stays empty (a track with only a program change). Each group then
     * has its track; channels are assigned by track index, skipping 9, drums on 9. */
    int leading = 0;
    while (leading < group_count && groups[leading].instrument <= 0)
        leading++;
    int instrument_tracks = group_count + (leading == 0);
    for (int n = 0; n < instrument_tracks; n++) {
        bool empty = leading == 0 && n == 0;
        int g = leading == 0 ? n - 1 : n;
        group key = empty ? (group){0, 0, false} : groups[g];
        static const uint8_t channels[15] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15};
        uint8_t channel = key.is_drum ? 9 : channels[n % 15];
        events.count = 0;
        const uint8_t program[2] = {(uint8_t)(0xc0 | channel), key.program};
        if ((st = out_add(&events, 0, 6 << 16, program, 2)) != MUSIC_OK)
            goto done;
        for (int i = 0; i < seq->notes.count && !empty; i++) {
            const music_note *note = &seq->notes.items[i];
            if (group_compare(&key, &(group){note->instrument, note->program, note->is_drum}) != 0)
                continue;
            const uint8_t on[3] = {(uint8_t)(0x90 | channel), note->pitch, note->velocity};
            const uint8_t off[3] = {(uint8_t)(0x90 | channel), note->pitch, 0};
            if ((st = out_add(&events, tempo_map_tick(&map, note->start), (10 << 16) + note->pitch * 256 + note->velocity,
                              on, 3)) != MUSIC_OK ||
                (st = out_add(&events, tempo_map_tick(&map, note->end), (10 << 16) + note->pitch * 256, off, 3)) !=
                    MUSIC_OK)
                goto done;
        }
        for (int i = 0; i < seq->controls.count && !empty; i++) {
            const music_control *c = &seq->controls.items[i];
            if (group_compare(&key, &(group){c->instrument, c->program, c->is_drum}) != 0)
                continue;
            const uint8_t cc[3] = {(uint8_t)(0xb0 | channel), c->number, c->value};
            if ((st = out_add(&events, tempo_map_tick(&map, c->time), (8 << 16) + c->number * 256 + c->value, cc, 3)) !=
                MUSIC_OK)
                goto done;
        }
        if ((st = put_track(b, &events, message, path)) != MUSIC_OK)
            goto done;
        tracks++;
    }
    if (tracks > 0xffff) {
        music_message(message, "%s: %d tracks do not fit a MIDI header", path, tracks);
        st = MUSIC_ERR_RANGE;
        goto done;
    }
    b->data[10] = (uint8_t)(tracks >> 8);
    b->data[11] = (uint8_t)tracks;
done:
    tempo_map_free(&map);
    vec_free(&events);
    free(groups);
    free(tempo_order);
    return st;
}

music_status music_midi_write_file(const music_seq *seq, const char *path, char *message)
{
    if (message)
        message[0] = '\0';
    if (!seq || !path || !*path) {
        music_message(message, "%s: invalid argument", path ? path : "(null)");
        return MUSIC_ERR_ARGUMENT;
    }
    bytes out = {0};
    music_status st = build_file(seq, &out, path, message);
    if (st != MUSIC_OK) {
        if (message && !message[0])
            music_message(message, "%s: %s", path, music_status_text(st));
        free(out.data);
        return st;
    }
    /* Atomic replace: a temporary file beside the target, synced, then renamed over it. */
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp) {
        free(out.data);
        music_message(message, "%s: out of memory", path);
        return MUSIC_ERR_MEMORY;
    }
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp-XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        music_message(message, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
        free(tmp);
        free(out.data);
        return MUSIC_ERR_IO;
    }
    const char *failed = NULL;
    int error = 0;
    for (size_t done = 0; done < out.size && !failed;) {
        ssize_t w = write(fd, out.data + done, out.size - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            failed = "write", error = errno;
        else
            done += (size_t)w;
    }
    if (!failed && fchmod(fd, 0644) != 0)
        failed = "chmod", error = errno;
    if (!failed && fsync(fd) != 0)
        failed = "fsync", error = errno;
    if (close(fd) != 0 && !failed)
        failed = "close", error = errno;
    if (!failed && rename(tmp, path) != 0)
        failed = "rename", error = errno;
    if (failed) {
        unlink(tmp);
        music_message(message, "%s: %s failed: %s", path, failed, strerror(error));
        st = MUSIC_ERR_IO;
    }
    free(tmp);
    free(out.data);
    return st;
}

/* ---- Sustain -------------------------------------------------------------------------------- */

/* note_seq's event kinds, in the order they are processed at equal times. */
enum { SUSTAIN_ON = 0, SUSTAIN_OFF = 1, NOTE_ON = 2, NOTE_OFF = 3 };

typedef struct sustain_event {
    double time;
    int kind;
    int index; /* a note or a control */
    int order; /* position in note_seq's list before its stable sort */
} sustain_event;

static int sustain_event_compare(const void *pa, const void *pb)
{
    const sustain_event *a = pa, *b = pb;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind - b->kind;
    return (a->order > b->order) - (a->order < b->order);
}

/* Protobuf equality of two notes, which note_seq's list.remove and `in` use. */
static bool note_equal(const music_note *a, const music_note *b)
{
    return a->start == b->start && a->end == b->end && a->pitch == b->pitch && a->velocity == b->velocity &&
           a->program == b->program && a->is_drum == b->is_drum && a->instrument == b->instrument &&
           a->start_step == b->start_step && a->end_step == b->end_step;
}

music_status music_seq_apply_sustain(music_seq *seq)
{
    if (!seq)
        return MUSIC_ERR_ARGUMENT;
    if (seq->steps_per_quarter > 0 || seq->steps_per_second > 0)
        return MUSIC_ERR_QUANTIZE; /* note_seq: only unquantized sequences */
    int notes = seq->notes.count;
    size_t capacity = 2 * (size_t)notes + (size_t)seq->controls.count + 1;
    sustain_event *events = malloc(capacity * sizeof *events);
    int *active = malloc(((size_t)notes + 1) * sizeof *active); /* note indices, in list order */
    bool *removed = calloc((size_t)notes + 1, sizeof *removed);
    if (!events || !active || !removed) {
        free(events);
        free(active);
        free(removed);
        return MUSIC_ERR_MEMORY;
    }
    music_note *note = seq->notes.items;
    int count = 0;
    for (int i = 0; i < notes; i++)
        if (!note[i].is_drum)
            events[count] = (sustain_event){note[i].start, NOTE_ON, i, count}, count++;
    for (int i = 0; i < notes; i++)
        if (!note[i].is_drum)
            events[count] = (sustain_event){note[i].end, NOTE_OFF, i, count}, count++;
    for (int i = 0; i < seq->controls.count; i++) {
        const music_control *c = &seq->controls.items[i];
        if (c->number == 64) /* sustain_control_number */
            events[count] = (sustain_event){c->time, c->value >= 64 ? SUSTAIN_ON : SUSTAIN_OFF, i, count}, count++;
    }
    qsort(events, (size_t)count, sizeof *events, sustain_event_compare);

    /* Sustain state per instrument: a small sorted table of the instruments that have pedalled. */
    int32_t *pedal_instrument = malloc(((size_t)seq->controls.count + 1) * sizeof *pedal_instrument);
    bool *pedal_down = calloc((size_t)seq->controls.count + 1, sizeof *pedal_down);
    int pedals = 0, actives = 0;
    if (!pedal_instrument || !pedal_down) {
        free(pedal_instrument);
        free(pedal_down);
        free(events);
        free(active);
        free(removed);
        return MUSIC_ERR_MEMORY;
    }
    double time = 0.0;
    for (int e = 0; e < count; e++) {
        const sustain_event *ev = &events[e];
        time = ev->time;
        int32_t instrument = ev->kind <= SUSTAIN_OFF ? seq->controls.items[ev->index].instrument : note[ev->index].instrument;
        int p = 0;
        while (p < pedals && pedal_instrument[p] != instrument)
            p++;
        bool down = p < pedals && pedal_down[p];
        if (ev->kind == SUSTAIN_ON || ev->kind == SUSTAIN_OFF) {
            if (p == pedals)
                pedal_instrument[pedals++] = instrument;
            pedal_down[p] = ev->kind == SUSTAIN_ON;
            if (ev->kind == SUSTAIN_OFF) {
                /* end the notes the pedal was holding (released before now); keep those still held */
                int kept = 0;
                for (int a = 0; a < actives; a++) {
                    music_note *n = &note[active[a]];
                    if (n->instrument == instrument && n->end < time) {
                        n->end = time;
                        if (time > seq->total_time)
                            seq->total_time = time;
                    } else
                        active[kept++] = active[a];
                }
                actives = kept;
            }
        } else if (ev->kind == NOTE_ON) {
            if (down) {
                /* a re-struck pitch under the pedal ends the earlier notes of that pitch */
                const music_note *struck = &note[ev->index];
                int kept = 0;
                for (int a = 0; a < actives; a++) {
                    music_note *n = &note[active[a]];
                    if (n->instrument == instrument && n->pitch == struck->pitch) {
                        n->end = time;
                        if (n->start == n->end) {
                            /* note_seq removes the first note equal to it from the sequence */
                            for (int j = 0; j < notes; j++)
                                if (!removed[j] && note_equal(&note[j], n)) {
                                    removed[j] = true;
                                    break;
                                }
                        }
                    } else
                        active[kept++] = active[a];
                }
                actives = kept;
            }
            active[actives++] = ev->index;
        } else if (!down) {
            /* NOTE_OFF outside the pedal: drop the first active note of the instrument equal to it */
            for (int a = 0; a < actives; a++) {
                const music_note *n = &note[active[a]];
                if (n->instrument == instrument && note_equal(n, &note[ev->index])) {
                    memmove(&active[a], &active[a + 1], (size_t)(actives - a - 1) * sizeof *active);
                    actives--;
                    break;
                }
            }
        }
    }
    /* notes still held when the events run out end at the last event's time */
    for (int a = 0; a < actives; a++) {
        note[active[a]].end = time;
        seq->total_time = time;
    }
    int kept = 0;
    for (int i = 0; i < notes; i++)
        if (!removed[i])
            note[kept++] = note[i];
    seq->notes.count = kept;
    free(pedal_instrument);
    free(pedal_down);
    free(events);
    free(active);
    free(removed);
    return MUSIC_OK;
}
