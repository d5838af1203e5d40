/* performance.c — Performance RNN's events, classes and control signals, and Piano Genie's features.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */

#include "music_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Magenta computes in Python doubles and TensorFlow float32 without fused multiply-adds; keep the
 * compiler from contracting a*b+c on targets that have FMA (aarch64), so times match bit for bit. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#define MIDI_PITCHES 128
#define PITCH_CLASSES 12
#define MAX_VELOCITY_BINS 127 /* performance_lib.MAX_NUM_VELOCITY_BINS */
#define STANDARD_PPQ 220


/* ---- Performances ---------------------------------------------------------------------------- */

music_status music_performance_init(music_performance *perf, music_perf_event *storage, int capacity,
                                    int steps_per_second, int num_velocity_bins, int max_shift_steps)
{
    if (!perf || capacity < 0 || (capacity > 0 && !storage) || steps_per_second < 0 || num_velocity_bins < 0 ||
        num_velocity_bins > MAX_VELOCITY_BINS || max_shift_steps < 1)
        return MUSIC_ERR_ARGUMENT;
    *perf = (music_performance){
        .events = storage,
        .capacity = capacity,
        .steps_per_second = steps_per_second,
        .num_velocity_bins = num_velocity_bins,
        .max_shift_steps = max_shift_steps,
        .program = -1,
        .is_drum = -1,
    };
    return MUSIC_OK;
}

void music_performance_free(music_performance *perf)
{
    if (!perf)
        return;
    if (perf->owned)
        free(perf->events);
    perf->events = NULL;
    perf->count = perf->capacity = 0;
    perf->owned = false;
}

/* ceil(127 / bins), as Python 3's true division then math.ceil. */
static int velocity_bin_size(int num_velocity_bins)
{
    return (MAX_VELOCITY_BINS + num_velocity_bins - 1) / num_velocity_bins;
}

int music_velocity_to_bin(int velocity, int num_velocity_bins)
{
    if (num_velocity_bins < 1 || num_velocity_bins > MAX_VELOCITY_BINS)
        return 0;
    int size = velocity_bin_size(num_velocity_bins);
    int offset = velocity - 1;
    /* Python's // floors: velocity 0 lands in bin 0, which the extractor then never announces. */
    int floored = offset >= 0 ? offset / size : -((-offset + size - 1) / size);
    return floored + 1;
}

int music_velocity_bin_to_velocity(int bin, int num_velocity_bins)
{
    if (num_velocity_bins < 1 || num_velocity_bins > MAX_VELOCITY_BINS)
        return 0;
    return 1 + (bin - 1) * velocity_bin_size(num_velocity_bins);
}

/* PerformanceEvent's validator. */
static bool event_is_valid(music_perf_event event)
{
    switch (event.type) {
    case MUSIC_PERF_NOTE_ON:
    case MUSIC_PERF_NOTE_OFF:
        return event.value >= 0 && event.value < MIDI_PITCHES;
    case MUSIC_PERF_TIME_SHIFT:
        return event.value >= 0;
    case MUSIC_PERF_VELOCITY:
        return event.value >= 1 && event.value <= MAX_VELOCITY_BINS;
    default:
        return false;
    }
}

music_status music_performance_append(music_performance *perf, music_perf_event event)
{
    if (!perf)
        return MUSIC_ERR_ARGUMENT;
    if (!event_is_valid(event))
        return MUSIC_ERR_RANGE;
    if (perf->count >= perf->capacity)
        return MUSIC_ERR_FULL;
    perf->events[perf->count++] = event;
    return MUSIC_OK;
}

int music_performance_num_steps(const music_performance *perf)
{
    int steps = 0;
    for (int i = 0; perf && i < perf->count; i++)
        if (perf->events[i].type == MUSIC_PERF_TIME_SHIFT)
            steps += perf->events[i].value;
    return steps;
}

void music_performance_truncate(music_performance *perf, int num_events)
{
    if (perf && num_events >= 0 && num_events < perf->count)
        perf->count = num_events;
}

/* BasePerformance._append_steps: top up a final non-maximal shift, then whole and partial shifts. */
static music_status append_steps(music_performance *perf, int steps)
{
    if (perf->count > 0) {
        music_perf_event *last = &perf->events[perf->count - 1];
        if (last->type == MUSIC_PERF_TIME_SHIFT && last->value < perf->max_shift_steps) {
            int added = steps < perf->max_shift_steps - last->value ? steps : perf->max_shift_steps - last->value;
            last->value += added;
            steps -= added;
        }
    }
    for (; steps >= perf->max_shift_steps; steps -= perf->max_shift_steps) {
        music_status st = music_performance_append(perf, (music_perf_event){MUSIC_PERF_TIME_SHIFT, perf->max_shift_steps});
        if (st != MUSIC_OK)
            return st;
    }
    if (steps > 0)
        return music_performance_append(perf, (music_perf_event){MUSIC_PERF_TIME_SHIFT, steps});
    return MUSIC_OK;
}

/* BasePerformance._trim_steps: drop events from the end (any type) until enough time is gone,
 * shortening the last shift when it straddles the cut. */
static void trim_steps(music_performance *perf, int steps)
{
    int trimmed = 0;
    while (perf->count > 0 && trimmed < steps) {
        music_perf_event *last = &perf->events[perf->count - 1];
        if (last->type == MUSIC_PERF_TIME_SHIFT) {
            if (trimmed + last->value > steps) {
                last->value -= steps - trimmed;
                trimmed = steps;
            } else {
                trimmed += last->value;
                perf->count--;
            }
        } else {
            perf->count--;
        }
    }
}

music_status music_performance_set_length(music_performance *perf, int steps)
{
    if (!perf || steps < 0)
        return MUSIC_ERR_ARGUMENT;
    int now = music_performance_num_steps(perf);
    if (now < steps)
        return append_steps(perf, steps - now);
    if (now > steps)
        trim_steps(perf, now - steps);
    return MUSIC_OK;
}

/* Sorting notes by (start_time, pitch), stable as Python's sorted: ties fall back to the index. */
static const music_note *sort_notes_base;

static int compare_notes_by_start_pitch(const void *a, const void *b)
{
    int ia = *(const int *)a, ib = *(const int *)b;
    const music_note *na = &sort_notes_base[ia], *nb = &sort_notes_base[ib];
    if (na->start != nb->start)
        return na->start < nb->start ? -1 : 1;
    if (na->pitch != nb->pitch)
        return na->pitch < nb->pitch ? -1 : 1;
    return (ia > ib) - (ia < ib);
}

/* Sorts `index` (positions in seq->notes). Not re-entrant: the comparator reads a file static,
 * and the callers are whole-sequence tools, not real-time code. */
static void sort_note_indices(const music_seq *seq, int *index, int n)
{
    sort_notes_base = seq->notes.items;
    qsort(index, (size_t)n, sizeof *index, compare_notes_by_start_pitch);
    sort_notes_base = NULL;
}

/* One note boundary, sorted as Magenta's tuples (step, index in sorted notes, is_offset). */
typedef struct boundary {
    int32_t step;
    int note;
    int is_offset;
} boundary;

static int compare_boundaries(const void *a, const void *b)
{
    const boundary *x = a, *y = b;
    if (x->step != y->step)
        return x->step < y->step ? -1 : 1;
    if (x->note != y->note)
        return x->note < y->note ? -1 : 1;
    return (x->is_offset > y->is_offset) - (x->is_offset < y->is_offset);
}

/* _program_and_is_drum_from_sequence: over the instrument's notes (all of them, whatever the
 * start step); no notes at all counts as drums, as Python's all() of nothing is true. */
static void program_and_is_drum(const music_seq *seq, int instrument, int *program, int *is_drum)
{
    bool all_drum = true, no_drum = true, one_program = true;
    int first_program = -1;
    for (int i = 0; i < seq->notes.count; i++) {
        const music_note *note = &seq->notes.items[i];
        if (instrument >= 0 && note->instrument != instrument)
            continue;
        all_drum = all_drum && note->is_drum;
        no_drum = no_drum && !note->is_drum;
        if (first_program < 0)
            first_program = note->program;
        else if (note->program != first_program)
            one_program = false;
    }
    if (all_drum) {
        *is_drum = 1;
        *program = -1;
    } else if (no_drum) {
        *is_drum = 0;
        *program = one_program ? first_program : -1;
    } else {
        *is_drum = -1;
        *program = -1;
    }
}

int music_performance_max_events(const music_seq *seq, int max_shift_steps)
{
    if (!seq || max_shift_steps < 1)
        return 0;
    /* Per note: a velocity, a note-on, a note-off and the (partial) shift before each boundary;
     * plus the whole shifts to cover the longest span. */
    int64_t last = 0;
    for (int i = 0; i < seq->notes.count; i++)
        if (seq->notes.items[i].end_step > last)
            last = seq->notes.items[i].end_step;
    int64_t bound = 5 * (int64_t)seq->notes.count + last / max_shift_steps + 1;
    return bound > INT32_MAX ? INT32_MAX : (int)bound;
}

music_status music_performance_from_seq(music_performance *perf, const music_seq *seq, int start_step,
                                        int instrument, char *message)
{
    if (!perf || !seq || start_step < 0) {
        music_message(message, "performance: a NULL performance or sequence, or start step %d < 0", start_step);
        return MUSIC_ERR_ARGUMENT;
    }
    if (seq->steps_per_second <= 0) {
        music_message(message, "performance: the sequence is not quantized in absolute time (steps_per_second %d)",
                    seq->steps_per_second);
        return MUSIC_ERR_ARGUMENT;
    }
    int n = 0;
    int *order = malloc(sizeof *order * (size_t)(seq->notes.count ? seq->notes.count : 1));
    boundary *bounds = malloc(sizeof *bounds * (size_t)(seq->notes.count ? 2 * seq->notes.count : 1));
    if (!order || !bounds) {
        free(order);
        free(bounds);
        return MUSIC_ERR_MEMORY;
    }
    for (int i = 0; i < seq->notes.count; i++) {
        const music_note *note = &seq->notes.items[i];
        if (note->start_step >= start_step && (instrument < 0 || note->instrument == instrument))
            order[n++] = i;
    }
    sort_note_indices(seq, order, n);
    for (int k = 0; k < n; k++) {
        bounds[2 * k] = (boundary){seq->notes.items[order[k]].start_step, k, 0};
        bounds[2 * k + 1] = (boundary){seq->notes.items[order[k]].end_step, k, 1};
    }
    qsort(bounds, (size_t)(2 * n), sizeof *bounds, compare_boundaries);

    perf->count = 0;
    perf->start_step = start_step;
    perf->steps_per_second = seq->steps_per_second;
    program_and_is_drum(seq, instrument, &perf->program, &perf->is_drum);

    /* Events past the capacity are counted, not written, so the message can say how many. */
    long needed = 0;
#define EMIT(t, v)                                                                                         \
    do {                                                                                                   \
        if (perf->count < perf->capacity)                                                                  \
            perf->events[perf->count++] = (music_perf_event){(t), (v)};                                    \
        needed++;                                                                                          \
    } while (0)

    int64_t current_step = start_step;
    int current_velocity_bin = 0;
    for (int b = 0; b < 2 * n; b++) {
        const music_note *note = &seq->notes.items[order[bounds[b].note]];
        int64_t step = bounds[b].step;
        if (step > current_step) {
            while (step > current_step + perf->max_shift_steps) {
                EMIT(MUSIC_PERF_TIME_SHIFT, perf->max_shift_steps);
                current_step += perf->max_shift_steps;
            }
            EMIT(MUSIC_PERF_TIME_SHIFT, (int)(step - current_step));
            current_step = step;
        }
        if (perf->num_velocity_bins > 0 && !bounds[b].is_offset) {
            int velocity_bin = music_velocity_to_bin(note->velocity, perf->num_velocity_bins);
            if (velocity_bin != current_velocity_bin) {
                if (velocity_bin < 1) {
                    /* Magenta raises here (PerformanceEvent refuses VELOCITY 0); a first note of
                     * velocity 0 passes silently there, since the current bin starts at 0. */
                    music_message(message, "performance: note %d (pitch %d) has velocity %d", order[bounds[b].note],
                                note->pitch, note->velocity);
                    free(order);
                    free(bounds);
                    return MUSIC_ERR_RANGE;
                }
                current_velocity_bin = velocity_bin;
                EMIT(MUSIC_PERF_VELOCITY, velocity_bin);
            }
        }
        EMIT(bounds[b].is_offset ? MUSIC_PERF_NOTE_OFF : MUSIC_PERF_NOTE_ON, note->pitch);
    }
#undef EMIT
    free(order);
    free(bounds);
    if (needed > perf->count) {
        music_message(message, "performance: %ld events do not fit the storage of %d", needed, perf->capacity);
        return MUSIC_ERR_FULL;
    }
    return MUSIC_OK;
}

/* A note-on waiting for its note-off in to_sequence. */
typedef struct pending_note {
    int64_t step;
    int velocity;
    int pitch;
    bool open;
} pending_note;

static music_status add_decoded_note(music_seq *out, const pending_note *on,
                                     int64_t end_step, double seconds_per_step, double start_time,
                                     double max_note_duration, int instrument, int program, bool is_drum)
{
    music_note note = {0};
    note.start = (double)on->step * seconds_per_step + start_time;
    note.end = (double)end_step * seconds_per_step + start_time;
    if (max_note_duration > 0.0 && note.end - note.start > max_note_duration)
        note.end = note.start + max_note_duration;
    note.pitch = (uint8_t)on->pitch;
    note.velocity = (uint8_t)on->velocity;
    note.instrument = instrument;
    note.program = (uint8_t)program;
    note.is_drum = is_drum;
    return music_seq_add_note(out, &note);
}

music_status music_performance_to_seq(const music_performance *perf, int velocity, int instrument,
                                      int program, double max_note_duration, music_seq *out, char *message)
{
    if (!perf || !out || perf->steps_per_second <= 0 || velocity < 1 || velocity > 127 || program > 127) {
        music_message(message, "performance to sequence: NULL, no steps per second, or velocity %d or program %d out of range",
                    velocity, program);
        return MUSIC_ERR_ARGUMENT;
    }
    double seconds_per_step = 1.0 / perf->steps_per_second;
    double start_time = perf->start_step * seconds_per_step;
    if (program < 0)
        program = perf->program >= 0 ? perf->program : 0;
    bool is_drum = perf->is_drum == 1;

    music_seq_clear(out);
    out->ticks_per_quarter = STANDARD_PPQ;

    int ons = 0;
    for (int i = 0; i < perf->count; i++)
        ons += perf->events[i].type == MUSIC_PERF_NOTE_ON;
    pending_note *pending = malloc(sizeof *pending * (size_t)(ons ? ons : 1));
    if (!pending)
        return MUSIC_ERR_MEMORY;
    int npending = 0;
    /* The leftover notes come out grouped by pitch in the order the pitches were first touched
     * (by a note-on or a note-off: Magenta's defaultdict creates the key on either). */
    int pitch_order[MIDI_PITCHES], npitches = 0;
    bool touched[MIDI_PITCHES] = {false};

    music_status st = MUSIC_OK;
    int64_t step = 0;
    for (int i = 0; i < perf->count && st == MUSIC_OK; i++) {
        music_perf_event e = perf->events[i];
        if (!event_is_valid(e)) {
            music_message(message, "performance to sequence: event %d (type %d) has an invalid value %d", i, e.type,
                        e.value);
            st = MUSIC_ERR_RANGE;
            break;
        }
        if ((e.type == MUSIC_PERF_NOTE_ON || e.type == MUSIC_PERF_NOTE_OFF) && !touched[e.value]) {
            touched[e.value] = true;
            pitch_order[npitches++] = e.value;
        }
        if (e.type == MUSIC_PERF_NOTE_ON) {
            pending[npending++] = (pending_note){step, velocity, e.value, true};
        } else if (e.type == MUSIC_PERF_NOTE_OFF) {
            /* The earliest open note of this pitch ends; a lone note-off is ignored. */
            for (int k = 0; k < npending; k++) {
                if (pending[k].open && pending[k].pitch == e.value) {
                    pending[k].open = false;
                    if (pending[k].step != step)
                        st = add_decoded_note(out, &pending[k], step, seconds_per_step, start_time,
                                              max_note_duration, instrument, program, is_drum);
                    break;
                }
            }
        } else if (e.type == MUSIC_PERF_TIME_SHIFT) {
            step += e.value;
        } else {
            if (perf->num_velocity_bins <= 0) {
                music_message(message, "performance to sequence: VELOCITY event %d in a performance without velocity bins", i);
                st = MUSIC_ERR_ARGUMENT;
                break;
            }
            velocity = music_velocity_bin_to_velocity(e.value, perf->num_velocity_bins);
            if (velocity > 127)
                velocity = 127; /* only for bins the encoding never produces */
        }
    }
    for (int p = 0; p < npitches && st == MUSIC_OK; p++)
        for (int k = 0; k < npending && st == MUSIC_OK; k++)
            if (pending[k].open && pending[k].pitch == pitch_order[p] && pending[k].step != step)
                st = add_decoded_note(out, &pending[k], step, seconds_per_step, start_time, max_note_duration,
                                      instrument, program, is_drum);
    free(pending);
    if (st == MUSIC_ERR_FULL || st == MUSIC_ERR_MEMORY)
        music_message(message, "performance to sequence: the output sequence cannot take more notes (%s)",
                    music_status_text(st));
    return st;
}

/* ---- extract_performances -------------------------------------------------------------------- */

static int compare_ints(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

music_status music_performance_extract(const music_seq *seq, const music_performance_options *options,
                                       music_performance **perfs, int *count,
                                       music_performance_stats *stats, char *message)
{
    if (!seq || !options || !perfs || !count || options->num_velocity_bins < 0 ||
        options->num_velocity_bins > MAX_VELOCITY_BINS || options->start_step < 0) {
        music_message(message, "extract performances: NULL argument, or velocity bins %d or start step %d out of range",
                    options ? options->num_velocity_bins : 0, options ? options->start_step : 0);
        return MUSIC_ERR_ARGUMENT;
    }
    *perfs = NULL;
    *count = 0;
    music_performance_stats local = {0};
    if (seq->steps_per_second <= 0) {
        /* MetricPerformance (steps per quarter) is not what Performance RNN trains on. */
        music_message(message, "extract performances: the sequence is not quantized in absolute time (steps_per_second %d)",
                    seq->steps_per_second);
        return seq->steps_per_quarter > 0 ? MUSIC_ERR_UNSUPPORTED : MUSIC_ERR_ARGUMENT;
    }

    int ninstruments = 1;
    int *instruments = malloc(sizeof *instruments * (size_t)(seq->notes.count ? seq->notes.count : 1));
    if (!instruments)
        return MUSIC_ERR_MEMORY;
    instruments[0] = -1;
    if (options->split_instruments) {
        /* Magenta iterates a Python set of ints: ascending for the small instrument numbers
         * MIDI files give. */
        for (int i = 0; i < seq->notes.count; i++)
            instruments[i] = seq->notes.items[i].instrument;
        qsort(instruments, (size_t)seq->notes.count, sizeof *instruments, compare_ints);
        ninstruments = 0;
        for (int i = 0; i < seq->notes.count; i++)
            if (ninstruments == 0 || instruments[ninstruments - 1] != instruments[i])
                instruments[ninstruments++] = instruments[i];
    } else {
        for (int i = 1; i < seq->notes.count; i++) {
            if (seq->notes.items[i].program != seq->notes.items[0].program) {
                local.discarded_more_than_1_program++;
                free(instruments);
                if (stats)
                    *stats = local;
                return MUSIC_OK;
            }
        }
    }

    music_performance *out = calloc((size_t)(ninstruments ? ninstruments : 1), sizeof *out);
    if (!out) {
        free(instruments);
        return MUSIC_ERR_MEMORY;
    }
    int nout = 0;
    music_status st = MUSIC_OK;
    int capacity = music_performance_max_events(seq, MUSIC_PERF_MAX_SHIFT_STEPS);
    for (int k = 0; k < ninstruments && st == MUSIC_OK; k++) {
        music_perf_event *storage = malloc(sizeof *storage * (size_t)(capacity ? capacity : 1));
        if (!storage) {
            st = MUSIC_ERR_MEMORY;
            break;
        }
        music_performance perf;
        music_performance_init(&perf, storage, capacity, seq->steps_per_second, options->num_velocity_bins,
                               MUSIC_PERF_MAX_SHIFT_STEPS);
        perf.owned = true;
        st = music_performance_from_seq(&perf, seq, options->start_step, instruments[k], message);
        if (st != MUSIC_OK) {
            music_performance_free(&perf);
            break;
        }
        if (options->max_steps_truncate > 0 && music_performance_num_steps(&perf) > options->max_steps_truncate) {
            music_performance_set_length(&perf, options->max_steps_truncate);
            local.truncated_timewise++;
        }
        if (options->max_events_truncate > 0 && perf.count > options->max_events_truncate) {
            music_performance_truncate(&perf, options->max_events_truncate);
            local.truncated++;
        }
        if (options->min_events_discard > 0 && perf.count < options->min_events_discard) {
            local.discarded_too_short++;
            music_performance_free(&perf);
        } else {
            out[nout++] = perf;
        }
    }
    free(instruments);
    if (st != MUSIC_OK) {
        for (int k = 0; k < nout; k++)
            music_performance_free(&out[k]);
        free(out);
        return st;
    }
    if (nout == 0) {
        free(out);
        out = NULL;
    }
    *perfs = out;
    *count = nout;
    if (stats)
        *stats = local;
    return MUSIC_OK;
}

/* ---- One-hot classes ------------------------------------------------------------------------- */

static bool encoding_is_valid(int num_velocity_bins, int max_shift_steps)
{
    return num_velocity_bins >= 0 && num_velocity_bins <= MAX_VELOCITY_BINS && max_shift_steps >= 1;
}

int music_perf_num_classes(int num_velocity_bins, int max_shift_steps)
{
    if (!encoding_is_valid(num_velocity_bins, max_shift_steps))
        return 0;
    return 2 * MIDI_PITCHES + max_shift_steps + num_velocity_bins;
}

music_status music_perf_encode_event(music_perf_event event, int num_velocity_bins, int max_shift_steps,
                                     int *class_index)
{
    if (!class_index || !encoding_is_valid(num_velocity_bins, max_shift_steps))
        return MUSIC_ERR_ARGUMENT;
    /* The ranges in Magenta's order: note-on, note-off, time shift, then velocity if binned. */
    switch (event.type) {
    case MUSIC_PERF_NOTE_ON:
        if (event.value < 0 || event.value >= MIDI_PITCHES)
            return MUSIC_ERR_RANGE;
        *class_index = event.value;
        return MUSIC_OK;
    case MUSIC_PERF_NOTE_OFF:
        if (event.value < 0 || event.value >= MIDI_PITCHES)
            return MUSIC_ERR_RANGE;
        *class_index = MIDI_PITCHES + event.value;
        return MUSIC_OK;
    case MUSIC_PERF_TIME_SHIFT:
        /* Magenta would map a shift of 0 onto note-off 127; refuse it instead. */
        if (event.value < 1 || event.value > max_shift_steps)
            return MUSIC_ERR_RANGE;
        *class_index = 2 * MIDI_PITCHES + event.value - 1;
        return MUSIC_OK;
    case MUSIC_PERF_VELOCITY:
        if (event.value < 1 || event.value > num_velocity_bins)
            return MUSIC_ERR_RANGE;
        *class_index = 2 * MIDI_PITCHES + max_shift_steps + event.value - 1;
        return MUSIC_OK;
    default:
        return MUSIC_ERR_ARGUMENT;
    }
}

music_status music_perf_decode_event(int class_index, int num_velocity_bins, int max_shift_steps,
                                     music_perf_event *event)
{
    if (!event || !encoding_is_valid(num_velocity_bins, max_shift_steps))
        return MUSIC_ERR_ARGUMENT;
    if (class_index < 0 || class_index >= music_perf_num_classes(num_velocity_bins, max_shift_steps))
        return MUSIC_ERR_RANGE;
    if (class_index < MIDI_PITCHES)
        *event = (music_perf_event){MUSIC_PERF_NOTE_ON, class_index};
    else if (class_index < 2 * MIDI_PITCHES)
        *event = (music_perf_event){MUSIC_PERF_NOTE_OFF, class_index - MIDI_PITCHES};
    else if (class_index < 2 * MIDI_PITCHES + max_shift_steps)
        *event = (music_perf_event){MUSIC_PERF_TIME_SHIFT, class_index - 2 * MIDI_PITCHES + 1};
    else
        *event = (music_perf_event){MUSIC_PERF_VELOCITY, class_index - 2 * MIDI_PITCHES - max_shift_steps + 1};
    return MUSIC_OK;
}

/* ---- Control signals ------------------------------------------------------------------------- */

const double music_perf_density_bin_ranges[MUSIC_PERF_DENSITY_NUM_RANGES] = {1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0};

/* int(round(seconds * steps_per_second)): Python rounds half to even, as rint does. */
static int window_steps(double window_size_seconds, int steps_per_second)
{
    return (int)rint(window_size_seconds * steps_per_second);
}

music_status music_perf_note_density(const music_performance *perf, double window_size_seconds, double *density)
{
    if (!perf || (perf->count > 0 && !density) || perf->steps_per_second <= 0 || !(window_size_seconds >= 0.0) ||
        window_size_seconds > 1e6)
        return MUSIC_ERR_ARGUMENT;
    int window = window_steps(window_size_seconds, perf->steps_per_second);
    int prev_type = 0;
    double prev_density = 0.0;
    for (int i = 0; i < perf->count; i++) {
        /* Only a time shift moves the window; after any other event the value repeats. */
        if (prev_type != 0 && prev_type != MUSIC_PERF_TIME_SHIFT) {
            density[i] = prev_density;
            prev_type = perf->events[i].type;
            continue;
        }
        int64_t offset = 0;
        int64_t notes = 0;
        for (int j = i; offset < window && j < perf->count; j++) {
            if (perf->events[j].type == MUSIC_PERF_NOTE_ON)
                notes++;
            else if (perf->events[j].type == MUSIC_PERF_TIME_SHIFT)
                offset += perf->events[j].value;
        }
        /* Near the end the window is cut to the time that is left. */
        int64_t actual = offset < window ? offset : window;
        double d = actual > 0 ? (double)(notes * perf->steps_per_second) / (double)actual : 0.0;
        density[i] = d;
        prev_type = perf->events[i].type;
        prev_density = d;
    }
    return MUSIC_OK;
}

int music_perf_density_bin(double density, const double *ranges, int num_ranges)
{
    for (int k = 0; k < num_ranges; k++)
        if (density < ranges[k])
            return k;
    return num_ranges;
}

music_status music_perf_pitch_histogram(const music_performance *perf, double window_size_seconds,
                                        double prior_count, double (*histogram)[12])
{
    if (!perf || (perf->count > 0 && !histogram) || perf->steps_per_second <= 0 ||
        !(window_size_seconds >= 0.0) || window_size_seconds > 1e6)
        return MUSIC_ERR_ARGUMENT;
    int window = window_steps(window_size_seconds, perf->steps_per_second);
    bool base_active[MIDI_PITCHES] = {false};
    int prev_type = 0;
    for (int i = 0; i < perf->count; i++) {
        music_perf_event e = perf->events[i];
        if (e.type == MUSIC_PERF_NOTE_ON)
            base_active[e.value] = true;
        else if (e.type == MUSIC_PERF_NOTE_OFF)
            base_active[e.value] = false;

        if (prev_type != 0 && prev_type != MUSIC_PERF_TIME_SHIFT) {
            memcpy(histogram[i], histogram[i - 1], sizeof histogram[i]);
            prev_type = e.type;
            continue;
        }
        /* Seconds each pitch class sounds in the window; the last shift counts whole even when
         * it runs past the window, as in Magenta. */
        bool active[MIDI_PITCHES];
        memcpy(active, base_active, sizeof active);
        for (int c = 0; c < PITCH_CLASSES; c++)
            histogram[i][c] = prior_count;
        int64_t offset = 0;
        for (int j = i; offset < window && j < perf->count; j++) {
            music_perf_event f = perf->events[j];
            if (f.type == MUSIC_PERF_NOTE_ON) {
                active[f.value] = true;
            } else if (f.type == MUSIC_PERF_NOTE_OFF) {
                active[f.value] = false;
            } else if (f.type == MUSIC_PERF_TIME_SHIFT) {
                double seconds = (double)f.value / (double)perf->steps_per_second;
                for (int p = 0; p < MIDI_PITCHES; p++)
                    if (active[p])
                        histogram[i][p % PITCH_CLASSES] += seconds;
                offset += f.value;
            }
        }
        prev_type = e.type;
    }
    return MUSIC_OK;
}

void music_perf_histogram_encode(const double histogram[12], float input[12])
{
    /* Python's sum(), left to right from 0 (before Python 3.12, which compensates). */
    double total = 0.0;
    for (int c = 0; c < PITCH_CLASSES; c++)
        total += histogram[c];
    for (int c = 0; c < PITCH_CLASSES; c++)
        input[c] = total > 0.0 ? (float)(histogram[c] / total) : (float)(1.0 / PITCH_CLASSES);
}

int music_perf_input_size(unsigned controls, int num_velocity_bins, int max_shift_steps)
{
    int classes = music_perf_num_classes(num_velocity_bins, max_shift_steps);
    if (classes == 0 || controls > 7u)
        return 0;
    int size = classes;
    if (controls & MUSIC_PERF_CONTROL_DENSITY)
        size += MUSIC_PERF_DENSITY_NUM_BINS;
    if (controls & MUSIC_PERF_CONTROL_HISTOGRAM)
        size += PITCH_CLASSES;
    if (controls & MUSIC_PERF_CONTROL_OPTIONAL)
        size += 1;
    return size;
}

music_status music_perf_encode_input(music_perf_event event, unsigned controls, bool disable, double density,
                                     const double histogram[12], int num_velocity_bins, int max_shift_steps,
                                     float *input, int size)
{
    int want = music_perf_input_size(controls, num_velocity_bins, max_shift_steps);
    if (!input || want == 0 || size != want || ((controls & MUSIC_PERF_CONTROL_HISTOGRAM) && !histogram))
        return MUSIC_ERR_ARGUMENT;
    int class_index;
    music_status st = music_perf_encode_event(event, num_velocity_bins, max_shift_steps, &class_index);
    if (st != MUSIC_OK)
        return st;
    memset(input, 0, sizeof *input * (size_t)size);
    int at = 0;
    bool zeroed = false;
    if (controls & MUSIC_PERF_CONTROL_OPTIONAL) {
        /* OptionalEventSequenceEncoder: the flag, then zeros in place of the controls. */
        zeroed = disable;
        input[at++] = disable ? 1.0f : 0.0f;
    }
    if (controls & MUSIC_PERF_CONTROL_DENSITY) {
        if (!zeroed)
            input[at + music_perf_density_bin(density, music_perf_density_bin_ranges,
                                              MUSIC_PERF_DENSITY_NUM_RANGES)] = 1.0f;
        at += MUSIC_PERF_DENSITY_NUM_BINS;
    }
    if (controls & MUSIC_PERF_CONTROL_HISTOGRAM) {
        if (!zeroed)
            music_perf_histogram_encode(histogram, input + at);
        at += PITCH_CLASSES;
    }
    input[at + class_index] = 1.0f;
    return MUSIC_OK;
}

/* ---- Piano Genie ----------------------------------------------------------------------------- */

int music_genie_delta_bin(double delta_seconds)
{
    /* loader.py: the delta, a float64 difference, is stored as float32; tf.round(dt * 31.25)
     * works in float32 and rounds half to even; + 1e-4 then the cast to int32 truncates. */
    float dt = (float)delta_seconds;
    float frames = dt * 31.25f;
    if (isnan(frames))
        return -1;
    if (frames > (float)MUSIC_GENIE_MAX_DELTA_BIN)
        return MUSIC_GENIE_MAX_DELTA_BIN;
    if (frames < -1e6f)
        return -1;
    float rounded = nearbyintf(frames);
    int bin = (int)(rounded + 1e-4f);
    return bin < MUSIC_GENIE_MAX_DELTA_BIN ? bin : MUSIC_GENIE_MAX_DELTA_BIN;
}

float music_genie_button_value(int button)
{
    /* model.py's stp_emb_iq_quantized_lookup: 2 * (b / (nbins - 1)) - 1, all float32. */
    float b = (float)button;
    float scaled = b / (float)(MUSIC_GENIE_NUM_BUTTONS - 1);
    scaled = 2.0f * scaled;
    return scaled - 1.0f;
}

music_status music_genie_decoder_input(int button, int last_key, int delta_bin, float *input, int size)
{
    if (!input || size != MUSIC_GENIE_DECODER_INPUT_SIZE)
        return MUSIC_ERR_ARGUMENT;
    if (button < 0 || button >= MUSIC_GENIE_NUM_BUTTONS || last_key < -1 || last_key >= MUSIC_GENIE_NUM_KEYS ||
        delta_bin < 0 || delta_bin > MUSIC_GENIE_MAX_DELTA_BIN)
        return MUSIC_ERR_RANGE;
    memset(input, 0, sizeof *input * (size_t)size);
    input[0] = music_genie_button_value(button);
    input[1 + last_key + 1] = 1.0f; /* the start token (-1) is class 0 */
    input[1 + MUSIC_GENIE_NUM_KEYS + 1 + delta_bin] = 1.0f;
    return MUSIC_OK;
}

music_status music_genie_extract(const music_seq *seq, int *keys, int *delta_bins, int capacity, int *count,
                                 char *message)
{
    if (!seq || !count || capacity < 0 || (capacity > 0 && (!keys || !delta_bins))) {
        music_message(message, "piano genie: NULL argument or negative capacity %d", capacity);
        return MUSIC_ERR_ARGUMENT;
    }
    *count = 0;
    int n = seq->notes.count;
    int *order = malloc(sizeof *order * (size_t)(n ? n : 1));
    if (!order)
        return MUSIC_ERR_MEMORY;
    for (int i = 0; i < n; i++)
        order[i] = i;
    /* Sorted first, then filtered to the piano: a delta spans the dropped notes' absence. */
    sort_note_indices(seq, order, n);
    int kept = 0;
    double previous_start = 0.0;
    for (int k = 0; k < n; k++) {
        const music_note *note = &seq->notes.items[order[k]];
        if (note->pitch < MUSIC_GENIE_LOWEST_PITCH || note->pitch >= MUSIC_GENIE_LOWEST_PITCH + MUSIC_GENIE_NUM_KEYS)
            continue;
        double delta = kept == 0 ? MUSIC_GENIE_FIRST_DELTA_SECONDS : note->start - previous_start;
        previous_start = note->start;
        if (kept < capacity) {
            keys[kept] = note->pitch - MUSIC_GENIE_LOWEST_PITCH;
            delta_bins[kept] = music_genie_delta_bin(delta);
        }
        kept++;
    }
    free(order);
    if (kept > capacity) {
        music_message(message, "piano genie: %d notes do not fit the capacity of %d", kept, capacity);
        *count = capacity;
        return MUSIC_ERR_FULL;
    }
    *count = kept;
    return MUSIC_OK;
}
