/* quantize.c — snap note, chord and control times to steps, as note_seq's sequences_lib does.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "music_private.h"

#include <stdio.h>

/* Magenta's QUANTIZE_CUTOFF: a time is rounded up once it is past half a step. */
#define QUANTIZE_CUTOFF 0.5
/* Magenta's DEFAULT_QUARTERS_PER_MINUTE: the tempo a sequence without one is taken to have. */
#define DEFAULT_QPM 120.0


/* quantize_to_step: int(seconds * steps_per_second + (1 - cutoff)). Python's int() truncates
 * toward zero, so a time a little below zero still lands on step 0; the C cast does the same.
 * Values past int32 are refused rather than left to undefined behaviour. */
static bool to_step(double seconds, double steps_per_second, int32_t *step)
{
    double steps = seconds * steps_per_second + (1.0 - QUANTIZE_CUTOFF);
    if (!(steps > -2147483649.0 && steps < 2147483648.0))
        return false;
    *step = (int32_t)steps;
    return true;
}

/* Python's sorted(key=time) is stable: its first item is the lowest index with the lowest time. */
#define EARLIEST(array, out)                                                                   \
    do {                                                                                       \
        (out) = 0;                                                                             \
        for (int i_ = 1; i_ < (array).count; i_++)                                              \
            if ((array).items[i_].time < (array).items[(out)].time)                            \
                (out) = i_;                                                                    \
    } while (0)

/* The item that sorts first, by (time, index), among those other than `skip` that `differs`
 * from the stored first item; -1 when none does. Python compares sorted[1:] with the *stored*
 * first item (time_signatures[0], tempos[0]), not with the earliest one; we keep that. */
static int first_time_signature_change(const music_seq *seq, int skip)
{
    const music_time_signature *ts = seq->time_signatures.items, *ref = &ts[0];
    int found = -1;
    for (int i = 0; i < seq->time_signatures.count; i++) {
        if (i == skip || (ts[i].numerator == ref->numerator && ts[i].denominator == ref->denominator))
            continue;
        if (found < 0 || ts[i].time < ts[found].time)
            found = i;
    }
    return found;
}

static int first_tempo_change(const music_seq *seq, int skip)
{
    const music_tempo *t = seq->tempos.items;
    int found = -1;
    for (int i = 0; i < seq->tempos.count; i++) {
        if (i == skip || t[i].qpm == t[0].qpm)
            continue;
        if (found < 0 || t[i].time < t[found].time)
            found = i;
    }
    return found;
}

/* Check every step first (pass 0) and write only when all are valid (pass 1, when `apply`), so
 * that a refused sequence is left as it was: Magenta quantizes a copy and raises
 * NegativeTimeError, leaving its input untouched. */
static music_status quantize_times(music_seq *seq, double steps_per_second, char *message, bool apply)
{
    int32_t total, start, end, step = 0;
    char text[MUSIC_MESSAGE_SIZE];
    if (!to_step(seq->total_time, steps_per_second, &total)) {
        snprintf(text, sizeof text, "total time %g s is too long to quantize at %g steps per second",
                 seq->total_time, steps_per_second);
        music_message(message, "%s", text);
        return MUSIC_ERR_RANGE;
    }
    for (int pass = 0; pass < (apply ? 2 : 1); pass++) {
        for (int i = 0; i < seq->notes.count; i++) {
            music_note *n = &seq->notes.items[i];
            if (!to_step(n->start, steps_per_second, &start) || !to_step(n->end, steps_per_second, &end) ||
                end == INT32_MAX) {
                snprintf(text, sizeof text, "note %d (%g..%g s) is too long to quantize", i, n->start, n->end);
                music_message(message, "%s", text);
                return MUSIC_ERR_RANGE;
            }
            if (end == start) /* a note never vanishes: it keeps at least one step */
                end++;
            if (start < 0 || end < 0) {
                snprintf(text, sizeof text, "note %d has a negative time: start step %d, end step %d", i,
                         (int)start, (int)end);
                music_message(message, "%s", text);
                return MUSIC_ERR_QUANTIZE;
            }
            if (pass == 1) {
                n->start_step = start;
                n->end_step = end;
                if (end > total)
                    total = end;
            }
        }
        for (int i = 0; i < seq->controls.count; i++) {
            if (!to_step(seq->controls.items[i].time, steps_per_second, &step) || step < 0) {
                snprintf(text, sizeof text, "control change %d at %g s cannot be quantized (negative or too late)",
                         i, seq->controls.items[i].time);
                music_message(message, "%s", text);
                return step < 0 ? MUSIC_ERR_QUANTIZE : MUSIC_ERR_RANGE;
            }
            if (pass == 1)
                seq->controls.items[i].step = step;
        }
        for (int i = 0; i < seq->chords.count; i++) {
            if (!to_step(seq->chords.items[i].time, steps_per_second, &step) || step < 0) {
                snprintf(text, sizeof text, "chord symbol %d (\"%s\") at %g s cannot be quantized", i,
                         seq->chords.items[i].name, seq->chords.items[i].time);
                music_message(message, "%s", text);
                return step < 0 ? MUSIC_ERR_QUANTIZE : MUSIC_ERR_RANGE;
            }
            if (pass == 1)
                seq->chords.items[i].step = step;
        }
    }
    seq->total_steps = total;
    return MUSIC_OK;
}

music_status music_seq_quantize_relative(music_seq *seq, int steps_per_quarter, char *message)
{
    char text[MUSIC_MESSAGE_SIZE];
    if (!seq || steps_per_quarter <= 0) {
        music_message(message, "quantize: no sequence, or steps per quarter is not positive");
        return MUSIC_ERR_ARGUMENT;
    }

    /* One time signature: an implicit 4/4 at 0, so a first signature after 0 must be 4/4. */
    int first_ts = 0, first_tempo = 0;
    if (seq->time_signatures.count) {
        EARLIEST(seq->time_signatures, first_ts);
        const music_time_signature *f = &seq->time_signatures.items[first_ts];
        if (f->time != 0.0 && !(f->numerator == 4 && f->denominator == 4)) {
            snprintf(text, sizeof text, "time signature changes at %g s from the implicit 4/4 to %d/%d",
                     f->time, f->numerator, f->denominator);
            music_message(message, "%s", text);
            return MUSIC_ERR_QUANTIZE;
        }
        int c = first_time_signature_change(seq, first_ts);
        if (c >= 0) {
            const music_time_signature *t = &seq->time_signatures.items[c];
            snprintf(text, sizeof text, "time signature changes at %g s from %d/%d to %d/%d", t->time,
                     f->numerator, f->denominator, t->numerator, t->denominator);
            music_message(message, "%s", text);
            return MUSIC_ERR_QUANTIZE;
        }
        const music_time_signature *kept = &seq->time_signatures.items[0];
        int den = kept->denominator;
        if (den <= 0 || (den & (den - 1)) != 0 || kept->numerator == 0) {
            snprintf(text, sizeof text, "bad time signature %d/%d: %s", kept->numerator, den,
                     kept->numerator == 0 ? "numerator is 0" : "denominator is not a power of 2");
            music_message(message, "%s", text);
            return MUSIC_ERR_QUANTIZE;
        }
    }

    /* One tempo: an implicit 120 qpm at 0, so a first tempo after 0 must be 120. */
    if (seq->tempos.count) {
        EARLIEST(seq->tempos, first_tempo);
        const music_tempo *f = &seq->tempos.items[first_tempo];
        if (f->time != 0.0 && f->qpm != DEFAULT_QPM) {
            snprintf(text, sizeof text, "tempo changes at %g s from the implicit %g to %g qpm", f->time,
                     DEFAULT_QPM, f->qpm);
            music_message(message, "%s", text);
            return MUSIC_ERR_QUANTIZE;
        }
        int c = first_tempo_change(seq, first_tempo);
        if (c >= 0) {
            snprintf(text, sizeof text, "tempo changes at %g s from %g to %g qpm", seq->tempos.items[c].time,
                     f->qpm, seq->tempos.items[c].qpm);
            music_message(message, "%s", text);
            return MUSIC_ERR_QUANTIZE;
        }
    }
    double qpm = seq->tempos.count ? seq->tempos.items[0].qpm : DEFAULT_QPM;
    double steps_per_second = (double)steps_per_quarter * qpm / 60.0;

    /* Check the times before touching anything. */
    music_status st = quantize_times(seq, steps_per_second, message, false);
    if (st != MUSIC_OK)
        return st;

    /* Leave exactly one time signature and one tempo, at time 0 (the stored first ones, as
     * Magenta keeps), adding the implicit defaults when there are none. */
    bool added_ts = false;
    if (!seq->time_signatures.count) {
        st = music_seq_add_time_signature(seq, 0.0, 4, 4);
        if (st != MUSIC_OK) {
            music_message(message, "quantize: no room to add the implicit 4/4 time signature");
            return st;
        }
        added_ts = true;
    }
    if (!seq->tempos.count) {
        st = music_seq_add_tempo(seq, 0.0, DEFAULT_QPM);
        if (st != MUSIC_OK) {
            if (added_ts)
                seq->time_signatures.count = 0;
            music_message(message, "quantize: no room to add the implicit 120 qpm tempo");
            return st;
        }
    }
    seq->time_signatures.items[0].time = 0.0;
    seq->time_signatures.count = 1;
    seq->tempos.items[0].time = 0.0;
    seq->tempos.count = 1;

    st = quantize_times(seq, steps_per_second, message, true);
    if (st == MUSIC_OK) {
        seq->steps_per_quarter = steps_per_quarter;
        seq->steps_per_second = 0; /* Magenta's quantization_info holds one or the other */
    }
    return st;
}

music_status music_seq_quantize_absolute(music_seq *seq, int steps_per_second, char *message)
{
    if (!seq || steps_per_second <= 0) {
        music_message(message, "quantize: no sequence, or steps per second is not positive");
        return MUSIC_ERR_ARGUMENT;
    }
    /* Tempos and time signatures are kept and ignored. */
    music_status st = quantize_times(seq, (double)steps_per_second, message, true);
    if (st == MUSIC_OK) {
        seq->steps_per_second = steps_per_second;
        seq->steps_per_quarter = 0;
    }
    return st;
}
