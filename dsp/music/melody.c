/* melody.c — monophonic melodies: extraction from quantized sequences, transposition, and the
 * melody models' encodings, bit-exact with note_seq (melodies_lib, encoder_decoder,
 * melody_encoder_decoder) and magenta (melody_pipelines, melody_rnn_model, music_vae/data.py).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "music_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_EVENT MUSIC_MELODY_NO_EVENT
#define NOTE_OFF MUSIC_MELODY_NOTE_OFF
#define SPECIAL_EVENTS 2   /* note_seq's NUM_SPECIAL_MELODY_EVENTS: no event and note off */
#define DEFAULT_STEPS_PER_BAR 16



/* ---- Options ----------------------------------------------------------------------------- */

void music_melody_options_default(music_melody_options *o)
{
    memset(o, 0, sizeof *o);
    o->gap_bars = 1.0;
    o->min_bars = 7;
    o->max_steps_truncate = -1;
    o->max_steps_discard = -1;
    o->min_unique_pitches = 5;
    o->ignore_polyphonic_notes = true;
    o->filter_drums = true;
    o->min_pitch = 0;
    o->max_pitch = 127;
}

void music_melody_options_melody_rnn(music_melody_options *o)
{
    music_melody_options_default(o);
    o->max_steps_truncate = 512;
    o->ignore_polyphonic_notes = false;
}

void music_melody_options_music_vae(music_melody_options *o, int max_bars, double gap_bars, bool skip_polyphony)
{
    music_melody_options_default(o);
    o->min_bars = 1;
    o->gap_bars = gap_bars > 0.0 ? gap_bars : HUGE_VAL; /* Python: gap_bars or float('inf') */
    o->max_steps_truncate = max_bars > 0 ? DEFAULT_STEPS_PER_BAR * max_bars : -1;
    o->min_unique_pitches = 1;
    o->ignore_polyphonic_notes = !skip_polyphony;
    o->pad_end = true;
    o->min_pitch = 21;  /* PIANO_MIN_MIDI_PITCH */
    o->max_pitch = 108; /* PIANO_MAX_MIDI_PITCH, inclusive */
}

/* ---- Lengths ----------------------------------------------------------------------------- */

/* Make room for `want` events: grow with realloc when `grow` (tools' scratch), else fail. */
static music_status reserve(music_melody *m, int want, bool grow)
{
    if (want <= m->capacity)
        return MUSIC_OK;
    if (!grow)
        return MUSIC_ERR_FULL;
    if (want > (1 << 28))
        return MUSIC_ERR_MEMORY;
    int next = m->capacity > 64 ? m->capacity : 64;
    while (next < want)
        next *= 2;
    int *p = realloc(m->events, (size_t)next * sizeof *p);
    if (!p)
        return MUSIC_ERR_MEMORY;
    m->events = p;
    m->capacity = next;
    return MUSIC_OK;
}

static music_status set_length(music_melody *m, int steps, bool from_left, bool grow)
{
    if (steps < 0)
        return MUSIC_ERR_ARGUMENT;
    int old = m->length;
    if (steps > old) {
        music_status st = reserve(m, steps, grow);
        if (st != MUSIC_OK)
            return st;
        if (from_left) {
            memmove(m->events + (steps - old), m->events, (size_t)old * sizeof *m->events);
            for (int i = 0; i < steps - old; i++)
                m->events[i] = NO_EVENT;
        } else {
            for (int i = old; i < steps; i++)
                m->events[i] = NO_EVENT;
        }
        m->length = steps;
    } else if (from_left) {
        /* Python's `del events[0:-steps]` deletes nothing when steps is 0. */
        if (steps > 0) {
            memmove(m->events, m->events + (old - steps), (size_t)steps * sizeof *m->events);
            m->length = steps;
        }
    } else {
        m->length = steps;
    }
    if (from_left)
        m->start_step = m->end_step - steps;
    else
        m->end_step = m->start_step + steps;
    /* Melody.set_length: extending on the right turns off a note sounding at the old end. */
    if (steps > old && !from_left) {
        for (int i = old - 1; i >= 0; i--) {
            if (m->events[i] == NOTE_OFF)
                break;
            if (m->events[i] != NO_EVENT) {
                m->events[old] = NOTE_OFF;
                break;
            }
        }
    }
    return MUSIC_OK;
}

music_status music_melody_set_length(music_melody *melody, int steps, bool from_left)
{
    if (!melody || (melody->capacity > 0 && !melody->events))
        return MUSIC_ERR_ARGUMENT;
    return set_length(melody, steps, from_left, false);
}

music_status music_melody_slice(const music_melody *melody, int begin, int end, music_melody *slice)
{
    if (!melody || !slice || begin < 0 || end < begin || end > melody->length)
        return MUSIC_ERR_ARGUMENT;
    int n = end - begin;
    if (n > slice->capacity)
        return MUSIC_ERR_FULL;
    memmove(slice->events, melody->events + begin, (size_t)n * sizeof *slice->events);
    /* Melody(events) cleans the events before the first note: a NOTE_OFF there is NO_EVENT. */
    for (int i = 0; i < n && slice->events[i] < 0; i++)
        slice->events[i] = NO_EVENT;
    slice->length = n;
    slice->start_step = melody->start_step + begin;
    slice->end_step = slice->start_step + n;
    slice->steps_per_bar = melody->steps_per_bar;
    slice->steps_per_quarter = melody->steps_per_quarter;
    return MUSIC_OK;
}

/* ---- Extraction -------------------------------------------------------------------------- */

/* Steps per bar from the first time signature, as steps_per_bar_in_quantized_sequence
 * computes it (4/4 when there is none, the signature quantization would have added). */
static double steps_per_bar_float(const music_seq *seq, int *numerator, int *denominator)
{
    *numerator = 4;
    *denominator = 4;
    if (seq->time_signatures.count) {
        *numerator = seq->time_signatures.items[0].numerator;
        *denominator = seq->time_signatures.items[0].denominator;
    }
    double quarters_per_beat = 4.0 / *denominator;
    double quarters_per_bar = quarters_per_beat * *numerator;
    return seq->steps_per_quarter * quarters_per_bar;
}

/* The notes of one instrument, in the order from_quantized_sequence reads them: by start step,
 * then highest pitch first; Python's sort is stable, so the index breaks remaining ties. */
typedef struct note_key {
    int32_t start_step;
    int pitch, index;
} note_key;

static int note_order(const void *pa, const void *pb)
{
    const note_key *a = pa, *b = pb;
    if (a->start_step != b->start_step)
        return a->start_step < b->start_step ? -1 : 1;
    if (a->pitch != b->pitch)
        return a->pitch > b->pitch ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

static bool note_selected(const music_note *n, const music_melody_options *o)
{
    return n->pitch >= o->min_pitch && n->pitch <= o->max_pitch;
}

static int collect_notes(const music_seq *seq, const music_melody_options *o, int instrument, note_key *order)
{
    int n = 0;
    for (int i = 0; i < seq->notes.count; i++) {
        const music_note *note = &seq->notes.items[i];
        if (note->instrument == instrument && note_selected(note, o))
            order[n++] = (note_key){note->start_step, note->pitch, i};
    }
    qsort(order, (size_t)n, sizeof *order, note_order);
    return n;
}

/* Melody._add_note: the note's pitch at `start`, NOTE_OFF at `end`, held between; everything
 * after `end` is dropped (a later note cuts an earlier longer one). */
static music_status add_note(music_melody *m, int pitch, int32_t start, int32_t end, bool grow, char *message)
{
    if (start >= end) {
        char text[MUSIC_MESSAGE_SIZE];
        snprintf(text, sizeof text, "melody note (pitch %d) does not end after it starts: steps %d..%d", pitch,
                 (int)start, (int)end);
        music_message(message, "%s", text);
        return MUSIC_ERR_ARGUMENT;
    }
    if (end >= (1 << 28))
        return MUSIC_ERR_RANGE;
    music_status st = set_length(m, (int)end + 1, false, grow);
    if (st != MUSIC_OK) {
        music_message(message, "%s", st == MUSIC_ERR_FULL ? "melody buffer too small" : "melody: out of memory");
        return st;
    }
    m->events[start] = pitch;
    m->events[end] = NOTE_OFF;
    for (int32_t i = start + 1; i < end; i++)
        m->events[i] = NO_EVENT;
    return MUSIC_OK;
}

/* Melody.from_quantized_sequence over pre-sorted notes (`order`, `count`). */
static music_status extract_one(const music_seq *seq, const music_melody_options *o, const note_key *order, int count,
                                int steps_per_bar, music_melody *m, bool grow, bool *polyphonic, char *message)
{
    const music_note *notes = seq->notes.items;
    m->length = 0;
    m->start_step = m->end_step = 0;
    m->steps_per_bar = steps_per_bar;
    m->steps_per_quarter = seq->steps_per_quarter;
    *polyphonic = false;

    int first = 0;
    while (first < count && notes[order[first].index].start_step < o->search_start_step)
        first++;
    if (first == count)
        return MUSIC_OK;

    /* The melody starts on the bar line (counted from search_start_step) before the first note,
     * which may be a drum or silent note: Magenta takes it before filtering those. */
    int32_t s0 = notes[order[first].index].start_step;
    int32_t melody_start = s0 - (int32_t)music_floor_mod((int64_t)s0 - o->search_start_step, steps_per_bar);

    for (int k = first; k < count; k++) {
        const music_note *n = &notes[order[k].index];
        if (n->start_step < o->search_start_step)
            continue;
        if ((o->filter_drums && n->is_drum) || n->velocity == 0)
            continue;
        int32_t start = n->start_step - melody_start, end = n->end_step - melody_start;
        if (m->length) {
            /* _get_last_on_off_events: the last note-on and the first NOTE_OFF after it. */
            int last_on = -1, last_off = m->length;
            for (int i = m->length - 1; i >= 0; i--) {
                if (m->events[i] == NOTE_OFF)
                    last_off = i;
                if (m->events[i] >= 0) {
                    last_on = i;
                    break;
                }
            }
            int64_t on_distance = (int64_t)start - last_on, off_distance = (int64_t)start - last_off;
            if (on_distance <= 0) {
                if (on_distance == 0 && o->ignore_polyphonic_notes)
                    continue; /* notes come highest first: the one already placed is kept */
                char text[MUSIC_MESSAGE_SIZE];
                snprintf(text, sizeof text, "instrument %d is polyphonic: two notes start at step %d",
                         (int)n->instrument, (int)n->start_step);
                music_message(message, "%s", text);
                m->length = 0;
                *polyphonic = true;
                return MUSIC_OK;
            }
            if ((double)off_distance >= o->gap_bars * steps_per_bar)
                break;
        }
        music_status st = add_note(m, n->pitch, start, end, grow, message);
        if (st != MUSIC_OK)
            return st;
    }
    if (!m->length)
        return MUSIC_OK;

    m->start_step = melody_start;
    if (m->events[m->length - 1] == NOTE_OFF) /* the end of the melody turns notes off anyway */
        m->length--;
    int length = m->length;
    if (o->pad_end)
        length += (int32_t)music_floor_mod(-(int64_t)m->length, steps_per_bar);
    music_status st = set_length(m, length, false, grow);
    if (st != MUSIC_OK)
        music_message(message, "melody buffer too small for the end padding");
    return st;
}

static music_status check_quantized(const music_seq *seq, const music_melody_options *o, double *spb_float,
                                    char *message)
{
    if (!seq || !o || (seq->notes.count && !seq->notes.items)) {
        music_message(message, "melody extraction: missing sequence or options");
        return MUSIC_ERR_ARGUMENT;
    }
    if (seq->steps_per_quarter <= 0) {
        music_message(message, "melody extraction: the sequence is not quantized relative to the tempo");
        return MUSIC_ERR_ARGUMENT;
    }
    int num, den;
    *spb_float = steps_per_bar_float(seq, &num, &den);
    if (!(*spb_float >= 1.0) || fmod(*spb_float, 1.0) != 0.0 || *spb_float > 1e6) {
        char text[MUSIC_MESSAGE_SIZE];
        snprintf(text, sizeof text, "there are %g steps per bar (time signature %d/%d, %d steps per quarter), "
                 "not a whole number", *spb_float, num, den, seq->steps_per_quarter);
        music_message(message, "%s", text);
        return MUSIC_ERR_UNSUPPORTED;
    }
    return MUSIC_OK;
}

music_status music_melody_from_quantized(const music_seq *seq, const music_melody_options *options,
                                         music_melody *melody, bool *polyphonic, char *message)
{
    double spb;
    bool poly = false;
    if (!melody || (melody->capacity > 0 && !melody->events)) {
        music_message(message, "melody extraction: missing melody buffer");
        return MUSIC_ERR_ARGUMENT;
    }
    music_status st = check_quantized(seq, options, &spb, message);
    if (st != MUSIC_OK)
        return st;
    note_key *order = malloc((size_t)(seq->notes.count ? seq->notes.count : 1) * sizeof *order);
    if (!order)
        return MUSIC_ERR_MEMORY;
    int count = collect_notes(seq, options, options->instrument, order);
    st = extract_one(seq, options, order, count, (int)spb, melody, false, &poly, message);
    free(order);
    if (polyphonic)
        *polyphonic = poly;
    return st;
}

static int unique_pitch_classes(const music_melody *m)
{
    bool seen[12] = {false};
    int n = 0;
    for (int i = 0; i < m->length; i++)
        if (m->events[i] >= 0 && !seen[m->events[i] % 12]) {
            seen[m->events[i] % 12] = true;
            n++;
        }
    return n;
}

static int int_less(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

music_status music_melody_extract(const music_seq *seq, const music_melody_options *options, int *events,
                                  int events_capacity, music_melody *melodies, int max_melodies, int *count,
                                  music_melody_stats *stats, char *message)
{
    music_melody_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (count)
        *count = 0;
    if (!count || (events_capacity > 0 && !events) || (max_melodies > 0 && !melodies) || events_capacity < 0 ||
        max_melodies < 0) {
        music_message(message, "melody extraction: missing output buffers");
        return MUSIC_ERR_ARGUMENT;
    }
    if (!seq || !options || seq->steps_per_quarter <= 0) {
        double unused;
        return check_quantized(seq, options, &unused, message);
    }

    int n = seq->notes.count;
    note_key *order = malloc((size_t)(n ? n : 1) * sizeof *order);
    int *instruments = malloc((size_t)(n ? n : 1) * sizeof *instruments);
    music_melody scratch = {0};
    music_status st = MUSIC_OK;
    if (!order || !instruments) {
        st = MUSIC_ERR_MEMORY;
        goto done;
    }
    /* Magenta walks a Python set of instrument numbers; for small non-negative numbers that is
     * ascending order, which we use for all. */
    int ninstr = 0;
    for (int i = 0; i < n; i++)
        if (note_selected(&seq->notes.items[i], options))
            instruments[ninstr++] = seq->notes.items[i].instrument;
    qsort(instruments, (size_t)ninstr, sizeof *instruments, int_less);
    int unique = 0;
    for (int i = 0; i < ninstr; i++)
        if (i == 0 || instruments[i] != instruments[unique - 1])
            instruments[unique++] = instruments[i];
    if (unique == 0)
        goto done; /* no instrument: Magenta never looks at the time signature */

    double spb_float;
    st = check_quantized(seq, options, &spb_float, message);
    if (st != MUSIC_OK) {
        stats->non_integer_steps_per_bar = st == MUSIC_ERR_UNSUPPORTED;
        goto done;
    }
    int steps_per_bar = (int)spb_float;
    int used = 0;
    bool full = false;

    for (int k = 0; k < unique; k++) {
        int nnotes = collect_notes(seq, options, instruments[k], order);
        music_melody_options o = *options;
        for (;;) {
            bool polyphonic;
            st = extract_one(seq, &o, order, nnotes, steps_per_bar, &scratch, true, &polyphonic, message);
            if (st != MUSIC_OK)
                goto done;
            if (polyphonic) {
                stats->polyphonic_tracks_discarded++;
                break; /* the rest of this instrument is skipped, as Magenta does */
            }
            /* The next search starts on the next bar line, counted from search_start_step. */
            o.search_start_step =
                scratch.end_step + (int32_t)music_floor_mod((int64_t)options->search_start_step - scratch.end_step, steps_per_bar);
            if (!scratch.length)
                break;
            if ((int64_t)scratch.length < (int64_t)scratch.steps_per_bar * options->min_bars) {
                stats->melodies_discarded_too_short++;
                continue;
            }
            if (options->max_steps_discard >= 0 && scratch.length > options->max_steps_discard) {
                stats->melodies_discarded_too_long++;
                continue;
            }
            if (options->max_steps_truncate >= 0 && scratch.length > options->max_steps_truncate) {
                int truncated = options->max_steps_truncate;
                if (options->pad_end)
                    truncated -= options->max_steps_truncate % scratch.steps_per_bar;
                set_length(&scratch, truncated, false, true); /* shrinking cannot fail */
                stats->melodies_truncated++;
            }
            if (unique_pitch_classes(&scratch) < options->min_unique_pitches) {
                stats->melodies_discarded_too_few_pitches++;
                continue;
            }
            if (*count < max_melodies && scratch.length <= events_capacity - used) {
                music_melody *out = &melodies[*count];
                *out = scratch;
                out->events = events + used;
                out->capacity = scratch.length;
                memcpy(out->events, scratch.events, (size_t)scratch.length * sizeof *scratch.events);
                used += scratch.length;
            } else {
                full = true;
            }
            ++*count;
        }
    }
    if (full) {
        char text[MUSIC_MESSAGE_SIZE];
        snprintf(text, sizeof text, "melody extraction found %d melodies; the output holds fewer "
                 "(%d melodies, %d events)", *count, max_melodies, events_capacity);
        music_message(message, "%s", text);
        st = MUSIC_ERR_FULL;
    }
done:
    free(order);
    free(instruments);
    free(scratch.events);
    return st;
}

/* ---- Keys and transposition -------------------------------------------------------------- */

/* A pitch class is in the major key k when its distance above k is a major-scale degree
 * (note_seq's NOTE_KEYS table, built from MAJOR_SCALE). */
static bool in_major_key(int pitch_class, int key)
{
    static const bool major_scale[12] = {1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1};
    return major_scale[(pitch_class - key + 12) % 12];
}

void music_melody_major_key_histogram(const int *events, int length, int histogram[12])
{
    int notes[12] = {0};
    for (int i = 0; i < length; i++)
        if (events[i] >= 0)
            notes[events[i] % 12]++;
    for (int key = 0; key < 12; key++) {
        histogram[key] = 0;
        for (int pc = 0; pc < 12; pc++)
            if (in_major_key(pc, key))
                histogram[key] += notes[pc];
    }
}

int music_melody_major_key(const int *events, int length)
{
    int histogram[12], best = 0;
    music_melody_major_key_histogram(events, length, histogram);
    for (int key = 1; key < 12; key++)
        if (histogram[key] > histogram[best])
            best = key;
    return best;
}

void music_melody_transpose(music_melody *melody, int amount, int min_note, int max_note)
{
    for (int i = 0; i < melody->length; i++) {
        int e = melody->events[i];
        if (e < 0)
            continue;
        e += amount;
        if (e < min_note)
            e = min_note + (int32_t)music_floor_mod(e - min_note, 12);
        else if (e >= max_note)
            e = max_note - 12 + (int32_t)music_floor_mod(e - max_note, 12);
        melody->events[i] = e;
    }
}

int music_melody_squash(music_melody *melody, int min_note, int max_note, int transpose_to_key)
{
    int amount = 0;
    if (transpose_to_key >= 0) {
        int key_diff = transpose_to_key - music_melody_major_key(melody->events, melody->length);
        int lo = 128, hi = -1;
        for (int i = 0; i < melody->length; i++) {
            int e = melody->events[i];
            if (e >= 0 && e <= 127) {
                lo = e < lo ? e : lo;
                hi = e > hi ? e : hi;
            }
        }
        if (hi < 0)
            return 0; /* no notes: Magenta returns before transposing */
        double melody_center = (lo + hi) / 2.0;
        double target_center = (min_note + max_note - 1) / 2.0;
        double center_diff = target_center - (melody_center + key_diff);
        /* Python 3's round() goes to the even neighbour on halves, as rint does by default. */
        amount = key_diff + 12 * (int)rint(center_diff / 12.0);
    }
    music_melody_transpose(melody, amount, min_note, max_note);
    return amount;
}

/* ---- Encodings --------------------------------------------------------------------------- */

static bool valid_range(int min_note, int max_note)
{
    return min_note >= 0 && max_note <= 128 && max_note > min_note;
}

music_status music_melody_onehot_encode(int min_note, int max_note, int event, int *class_index)
{
    if (!class_index || !valid_range(min_note, max_note))
        return MUSIC_ERR_ARGUMENT;
    if (event < -SPECIAL_EVENTS || (event >= 0 && event < min_note) || event >= max_note)
        return MUSIC_ERR_RANGE;
    *class_index = event < 0 ? event + SPECIAL_EVENTS : event - min_note + SPECIAL_EVENTS;
    return MUSIC_OK;
}

music_status music_melody_onehot_decode(int min_note, int max_note, int class_index, int *event)
{
    if (!event || !valid_range(min_note, max_note))
        return MUSIC_ERR_ARGUMENT;
    if (class_index < 0 || class_index >= max_note - min_note + SPECIAL_EVENTS)
        return MUSIC_ERR_RANGE;
    *event = class_index < SPECIAL_EVENTS ? class_index - SPECIAL_EVENTS
                                          : class_index - SPECIAL_EVENTS + min_note;
    return MUSIC_OK;
}

music_status music_melody_encoder_init(music_melody_encoder *e, music_melody_encoding encoding, int min_note,
                                       int max_note)
{
    if (!e || !valid_range(min_note, max_note) || encoding < MUSIC_MELODY_ENCODING_ONEHOT ||
        encoding > MUSIC_MELODY_ENCODING_KEY)
        return MUSIC_ERR_ARGUMENT;
    memset(e, 0, sizeof *e);
    e->encoding = encoding;
    e->min_note = min_note;
    e->max_note = max_note;
    e->transpose_to_key = -1;
    if (encoding != MUSIC_MELODY_ENCODING_ONEHOT) {
        /* DEFAULT_LOOKBACK_DISTANCES: one and two bars of 16 steps. */
        e->lookback_count = 2;
        e->lookbacks[0] = DEFAULT_STEPS_PER_BAR;
        e->lookbacks[1] = 2 * DEFAULT_STEPS_PER_BAR;
        e->counter_bits = encoding == MUSIC_MELODY_ENCODING_LOOKBACK ? 5 : 7;
    }
    return MUSIC_OK;
}

music_status music_melody_encoder_for_config(music_melody_encoder *e, const char *config)
{
    static const struct {
        const char *name;
        music_melody_encoding encoding;
        int min_note, max_note, key;
    } configs[] = {
        {"basic_rnn", MUSIC_MELODY_ENCODING_ONEHOT, 48, 84, 0},
        {"mono_rnn", MUSIC_MELODY_ENCODING_ONEHOT, 0, 128, -1},
        {"lookback_rnn", MUSIC_MELODY_ENCODING_LOOKBACK, 48, 84, 0},
        {"attention_rnn", MUSIC_MELODY_ENCODING_KEY, 48, 84, 0},
        {"music_vae", MUSIC_MELODY_ENCODING_ONEHOT, 21, 109, -1},
    };
    if (!e || !config)
        return MUSIC_ERR_ARGUMENT;
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++)
        if (!strcmp(config, configs[i].name)) {
            music_status st = music_melody_encoder_init(e, configs[i].encoding, configs[i].min_note,
                                                        configs[i].max_note);
            e->transpose_to_key = configs[i].key;
            return st;
        }
    return MUSIC_ERR_ARGUMENT;
}

static bool valid_encoder(const music_melody_encoder *e)
{
    if (!e || !valid_range(e->min_note, e->max_note) || e->lookback_count < 0 ||
        e->lookback_count > MUSIC_MELODY_MAX_LOOKBACKS || e->counter_bits < 0 || e->counter_bits > 30)
        return false;
    if (e->encoding == MUSIC_MELODY_ENCODING_KEY && e->lookback_count < 1)
        return false; /* its label rule reads the last lookback */
    for (int i = 0; i < e->lookback_count; i++)
        if (e->lookbacks[i] < 1)
            return false;
    return true;
}

int music_melody_encoder_num_classes(const music_melody_encoder *e)
{
    if (!valid_encoder(e))
        return 0;
    int range = e->max_note - e->min_note;
    switch (e->encoding) {
    case MUSIC_MELODY_ENCODING_ONEHOT: return range + SPECIAL_EVENTS;
    case MUSIC_MELODY_ENCODING_LOOKBACK: return range + SPECIAL_EVENTS + e->lookback_count;
    case MUSIC_MELODY_ENCODING_KEY: return range + SPECIAL_EVENTS + e->lookback_count;
    }
    return 0;
}

int music_melody_encoder_input_size(const music_melody_encoder *e)
{
    if (!valid_encoder(e))
        return 0;
    int range = e->max_note - e->min_note, onehot = range + SPECIAL_EVENTS;
    switch (e->encoding) {
    case MUSIC_MELODY_ENCODING_ONEHOT: return onehot;
    case MUSIC_MELODY_ENCODING_LOOKBACK:
        /* this event, the event after each lookback, the counter, a repeat flag per lookback */
        return onehot + e->lookback_count * onehot + e->counter_bits + e->lookback_count;
    case MUSIC_MELODY_ENCODING_KEY:
        /* pitch, note/silence, attack, direction, repeat flags, counter, bar start, two key
         * estimates of 12 */
        return range + 2 + 1 + 1 + e->lookback_count + e->counter_bits + 1 + 12 + 12;
    }
    return 0;
}

static music_status encode_onehot(const music_melody_encoder *e, int event, int *index)
{
    return music_melody_onehot_encode(e->min_note, e->max_note, event, index);
}

/* 1 when bit `i` of n is set, else -1: Magenta's binary step counter. */
static float counter_bit(int n, int i) { return (n >> i) & 1 ? 1.0f : -1.0f; }

static music_status lookback_input(const music_melody_encoder *e, const int *events, int position, float *input)
{
    int classes = e->max_note - e->min_note + SPECIAL_EVENTS, index, offset = 0;
    music_status st = encode_onehot(e, events[position], &index);
    if (st != MUSIC_OK)
        return st;
    input[index] = 1.0f;
    offset += classes;
    /* The event that followed each lookback (one step after it), NO_EVENT before the start. */
    for (int i = 0; i < e->lookback_count; i++) {
        int p = position - e->lookbacks[i] + 1;
        st = encode_onehot(e, p < 0 ? NO_EVENT : events[p], &index);
        if (st != MUSIC_OK)
            return st;
        input[offset + index] = 1.0f;
        offset += classes;
    }
    for (int i = 0; i < e->counter_bits; i++)
        input[offset++] = counter_bit(position + 1, i);
    for (int i = 0; i < e->lookback_count; i++) {
        int p = position - e->lookbacks[i];
        if (p >= 0 && events[position] == events[p])
            input[offset] = 1.0f;
        offset++;
    }
    return MUSIC_OK;
}

/* Set 1 on every key whose count equals the histogram's maximum. */
static void key_estimate(const int *notes, int count, float *out)
{
    int histogram[12], max = 0;
    music_melody_major_key_histogram(notes, count, histogram);
    for (int k = 0; k < 12; k++)
        max = histogram[k] > max ? histogram[k] : max;
    for (int k = 0; k < 12; k++)
        if (histogram[k] == max)
            out[k] = 1.0f;
}

static music_status key_input(const music_melody_encoder *e, const int *events, int position, float *input)
{
    int range = e->max_note - e->min_note;
    int current = -1, last3[3], nlast = 0, ascending = 0; /* ascending: 0 unknown, 1 up, -1 down */
    bool attack = false, seen_note = false;
    for (int i = 0; i <= position; i++) {
        int note = events[i];
        if (note < -SPECIAL_EVENTS || note > 127)
            return MUSIC_ERR_RANGE; /* Melody() refuses such events */
        if (note == NOTE_OFF && !seen_note)
            note = NO_EVENT; /* Melody() cleans note-offs before the first note */
        if (note == NO_EVENT) {
            attack = false;
        } else if (note == NOTE_OFF) {
            current = -1; /* the attack flag is left as it was, as in Magenta */
        } else {
            seen_note = true;
            attack = true;
            current = note;
            if (nlast) {
                if (note > last3[nlast - 1])
                    ascending = 1;
                if (note < last3[nlast - 1])
                    ascending = -1;
            }
            /* A deque of the last 3 distinct pitches: a repeated pitch moves to the back. */
            int j = 0;
            while (j < nlast && last3[j] != note)
                j++;
            if (j < nlast) {
                memmove(&last3[j], &last3[j + 1], (size_t)(nlast - j - 1) * sizeof *last3);
                nlast--;
            } else if (nlast == 3) {
                memmove(&last3[0], &last3[1], 2 * sizeof *last3);
                nlast--;
            }
            last3[nlast++] = note;
        }
    }
    int offset = 0;
    /* Python tests `if current_note:`, so pitch 0 reads as silence. */
    if (current > 0) {
        if (current < e->min_note || current >= e->max_note)
            return MUSIC_ERR_RANGE;
        input[current - e->min_note] = 1.0f;
        input[range] = 1.0f;
    } else {
        input[range + 1] = 1.0f;
    }
    offset += range + 2;
    if (attack)
        input[offset] = 1.0f;
    offset++;
    if (ascending)
        input[offset] = (float)ascending;
    offset++;
    for (int i = 0; i < e->lookback_count; i++) {
        int p = position - e->lookbacks[i];
        if (p >= 0 && events[position] == events[p])
            input[offset] = 1.0f;
        offset++;
    }
    int n = position + 1; /* length of the melody so far: the counter marks the *next* step */
    for (int i = 0; i < e->counter_bits; i++)
        input[offset++] = counter_bit(n, i);
    if (n % DEFAULT_STEPS_PER_BAR == 0)
        input[offset] = 1.0f;
    offset++;
    key_estimate(events, position + 1, input + offset);
    offset += 12;
    key_estimate(last3, nlast, input + offset);
    return MUSIC_OK;
}

music_status music_melody_encoder_input(const music_melody_encoder *e, const int *events, int length, int position,
                                        float *input)
{
    if (!valid_encoder(e) || !events || !input || position < 0 || position >= length)
        return MUSIC_ERR_ARGUMENT;
    int size = music_melody_encoder_input_size(e), index;
    memset(input, 0, (size_t)size * sizeof *input);
    music_status st = MUSIC_OK;
    switch (e->encoding) {
    case MUSIC_MELODY_ENCODING_ONEHOT:
        st = encode_onehot(e, events[position], &index);
        if (st == MUSIC_OK)
            input[index] = 1.0f;
        break;
    case MUSIC_MELODY_ENCODING_LOOKBACK: st = lookback_input(e, events, position, input); break;
    case MUSIC_MELODY_ENCODING_KEY: st = key_input(e, events, position, input); break;
    }
    if (st != MUSIC_OK)
        memset(input, 0, (size_t)size * sizeof *input);
    return st;
}

music_status music_melody_encoder_label(const music_melody_encoder *e, const int *events, int length, int position,
                                        int *label)
{
    if (!valid_encoder(e) || !events || !label || position < 0 || position >= length)
        return MUSIC_ERR_ARGUMENT;
    int range = e->max_note - e->min_note, event = events[position], last = e->lookback_count - 1;
    if (e->encoding == MUSIC_MELODY_ENCODING_ONEHOT)
        return encode_onehot(e, event, label);
    /* Lookback classes follow the event classes: range + 2 + i for lookback i. */
    int first_lookback_class = range + SPECIAL_EVENTS;
    /* Early silence (before the longest lookback) is labelled as a repeat of it. */
    if (last >= 0 && position < e->lookbacks[last] && event == NO_EVENT) {
        *label = first_lookback_class + last;
        return MUSIC_OK;
    }
    for (int i = last; i >= 0; i--) { /* the most distant repeat wins */
        int p = position - e->lookbacks[i];
        if (p >= 0 && event == events[p]) {
            *label = first_lookback_class + i;
            return MUSIC_OK;
        }
    }
    if (e->encoding == MUSIC_MELODY_ENCODING_LOOKBACK)
        return encode_onehot(e, event, label);
    /* KeyMelodyEncoderDecoder puts the pitches first: pitch - min, then no event, note off. */
    if (event == NOTE_OFF)
        *label = range + 1;
    else if (event == NO_EVENT)
        *label = range;
    else if (event >= e->min_note && event < e->max_note)
        *label = event - e->min_note;
    else
        return MUSIC_ERR_RANGE;
    return MUSIC_OK;
}

music_status music_melody_encoder_decode(const music_melody_encoder *e, int class_index, const int *events,
                                         int length, int *event)
{
    if (!valid_encoder(e) || !event || length < 0 || (length > 0 && !events))
        return MUSIC_ERR_ARGUMENT;
    int range = e->max_note - e->min_note;
    if (class_index < 0 || class_index >= music_melody_encoder_num_classes(e))
        return MUSIC_ERR_RANGE;
    if (e->encoding != MUSIC_MELODY_ENCODING_ONEHOT) {
        for (int i = e->lookback_count - 1; i >= 0; i--)
            if (class_index == range + SPECIAL_EVENTS + i) {
                *event = length < e->lookbacks[i] ? NO_EVENT : events[length - e->lookbacks[i]];
                return MUSIC_OK;
            }
    }
    if (e->encoding != MUSIC_MELODY_ENCODING_KEY)
        return music_melody_onehot_decode(e->min_note, e->max_note, class_index, event);
    if (class_index == range + 1)
        *event = NOTE_OFF;
    else if (class_index == range)
        *event = NO_EVENT;
    else
        *event = e->min_note + class_index;
    return MUSIC_OK;
}
