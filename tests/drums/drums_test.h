/* drums_test.h — the sequence builders shared by the drum tests (checks: music_check.h).
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#ifndef DRUMS_TEST_H
#define DRUMS_TEST_H

#include "music.h"

#include <stdio.h>
#include <string.h>

#include "../music_check.h"

/* An event from a list of pitches ending with -1. */
static inline music_drum_event drums_of(const int *pitches)
{
    music_drum_event event;
    music_drum_event_clear(&event);
    for (; *pitches >= 0; pitches++)
        music_drum_event_add(&event, *pitches);
    return event;
}
#define DRUMS(...) drums_of((const int[]){__VA_ARGS__, -1})
#define NO_DRUMS drums_of((const int[]){-1})

/* A quantized sequence as Magenta's tests build it: 4/4, 60 qpm, `spq` steps per quarter. */
static inline void test_seq_init(music_seq *seq, int spq, int numerator, int denominator)
{
    music_seq_init(seq);
    music_seq_add_tempo(seq, 0.0, 60.0);
    music_seq_add_time_signature(seq, 0.0, numerator, denominator);
    seq->steps_per_quarter = spq;
}

/* testing_lib.add_track_to_sequence's (pitch, velocity, start, end) in seconds; at 60 qpm a
 * second is one quarter, so the steps are the seconds times steps per quarter (every time in the
 * ported tests falls on a step, so Magenta's rounding does not matter). */
static inline void test_add(music_seq *seq, int instrument, int pitch, int velocity, double start,
                            double end, bool is_drum)
{
    music_note note;
    memset(&note, 0, sizeof note);
    note.start = start;
    note.end = end;
    note.start_step = (int32_t)(start * seq->steps_per_quarter + 0.5);
    note.end_step = (int32_t)(end * seq->steps_per_quarter + 0.5);
    note.pitch = (uint8_t)pitch;
    note.velocity = (uint8_t)velocity;
    note.is_drum = is_drum;
    note.instrument = instrument;
    music_seq_add_note(seq, &note);
}

static inline bool same_event(const music_drum_event *a, music_drum_event b)
{
    return music_drum_event_equal(a, &b);
}

static inline bool track_equals(const music_drum_track *track, const music_drum_event *want, int length)
{
    if (track->length != length)
        return false;
    for (int i = 0; i < length; i++)
        if (!music_drum_event_equal(&track->events[i], &want[i]))
            return false;
    return true;
}

#endif
