/* test_performance.c — Performance RNN's events, note sequences from events, extraction, classes.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */

#include "check.h"
#include "music.h"

#include <stdlib.h>
#include <string.h>

#define ON MUSIC_PERF_NOTE_ON
#define OFF MUSIC_PERF_NOTE_OFF
#define SHIFT MUSIC_PERF_TIME_SHIFT
#define VEL MUSIC_PERF_VELOCITY
#define EV(t, v) ((music_perf_event){(t), (v)})

/* A note quantized at 100 steps per second, with its times in seconds as quantization leaves them. */
static void add(music_seq *seq, int pitch, int velocity, int start_step, int end_step, int instrument, int program,
                bool is_drum)
{
    music_note note = {.start = start_step / 100.0,
                       .end = end_step / 100.0,
                       .start_step = start_step,
                       .end_step = end_step,
                       .pitch = (uint8_t)pitch,
                       .velocity = (uint8_t)velocity,
                       .program = (uint8_t)program,
                       .is_drum = is_drum,
                       .instrument = instrument};
    if (music_seq_add_note(seq, &note) != MUSIC_OK)
        abort();
}

static void absolute(music_seq *seq)
{
    seq->steps_per_second = 100;
}

static void check_events_at(int line, const music_performance *perf, const music_perf_event *want, int n)
{
    checks++;
    bool same = perf->count == n;
    for (int i = 0; same && i < n; i++)
        same = perf->events[i].type == want[i].type && perf->events[i].value == want[i].value;
    if (same)
        return;
    failures++;
    fprintf(stderr, "%s:%d: events differ\n  got :", __FILE__, line);
    for (int i = 0; i < perf->count; i++)
        fprintf(stderr, " (%d,%d)", perf->events[i].type, perf->events[i].value);
    fprintf(stderr, "\n  want:");
    for (int i = 0; i < n; i++)
        fprintf(stderr, " (%d,%d)", want[i].type, want[i].value);
    fputc('\n', stderr);
}
#define CHECK_EVENTS(perf, ...)                                                                  \
    do {                                                                                         \
        const music_perf_event want_[] = {__VA_ARGS__};                                          \
        check_events_at(__LINE__, (perf), want_, (int)(sizeof want_ / sizeof want_[0]));         \
    } while (0)

static music_perf_event storage[4096];

static music_performance extract(const music_seq *seq, int velocity_bins, int start_step, int instrument)
{
    music_performance perf;
    char why[MUSIC_MESSAGE_SIZE];
    music_performance_init(&perf, storage, 4096, 100, velocity_bins, MUSIC_PERF_MAX_SHIFT_STEPS);
    music_status st = music_performance_from_seq(&perf, seq, start_step, instrument, why);
    CHECK(st == MUSIC_OK, "from_seq: %s", why);
    return perf;
}

/* The three-note chord of performance_lib_test.py: (60, 0-4 s), (64, 0-3 s), (67, 1-2 s). */
static void three_notes(music_seq *seq, int v60, int v64, int v67)
{
    music_seq_clear(seq);
    add(seq, 60, v60, 0, 400, 0, 0, false);
    add(seq, 64, v64, 0, 300, 0, 0, false);
    add(seq, 67, v67, 100, 200, 0, 0, false);
    absolute(seq);
}

static void test_from_seq(void)
{
    music_seq seq;
    music_seq_init(&seq);

    /* performance_lib_test.py testFromQuantizedNoteSequence. */
    three_notes(&seq, 100, 100, 100);
    music_performance perf = extract(&seq, 0, 0, -1);
    CHECK_INT(perf.steps_per_second, 100);
    CHECK_EVENTS(&perf, EV(ON, 60), EV(ON, 64), EV(SHIFT, 100), EV(ON, 67), EV(SHIFT, 100), EV(OFF, 67),
                 EV(SHIFT, 100), EV(OFF, 64), EV(SHIFT, 100), EV(OFF, 60));

    /* testFromQuantizedNoteSequenceWithVelocity: 127 bins of one velocity each. */
    three_notes(&seq, 100, 100, 127);
    perf = extract(&seq, 127, 0, -1);
    CHECK_EVENTS(&perf, EV(VEL, 100), EV(ON, 60), EV(ON, 64), EV(SHIFT, 100), EV(VEL, 127), EV(ON, 67),
                 EV(SHIFT, 100), EV(OFF, 67), EV(SHIFT, 100), EV(OFF, 64), EV(SHIFT, 100), EV(OFF, 60));

    /* testFromQuantizedNoteSequenceWithQuantizedVelocity: 16 bins of 8. */
    perf = extract(&seq, 16, 0, -1);
    CHECK_EVENTS(&perf, EV(VEL, 13), EV(ON, 60), EV(ON, 64), EV(SHIFT, 100), EV(VEL, 16), EV(ON, 67),
                 EV(SHIFT, 100), EV(OFF, 67), EV(SHIFT, 100), EV(OFF, 64), EV(SHIFT, 100), EV(OFF, 60));

    /* Simultaneous notes (Performance._from_quantized_sequence): notes sorted by (start time,
     * pitch) give each an index; boundaries sort by (step, index, is_offset). So at step 100 the
     * note-offs come in note order 60, 64, 62 (62 started later), not by pitch, and all before
     * 67's note-on (the highest index). Velocities with 32 bins of 4: 100 -> 25, 20 -> 5,
     * 127 -> 32; a repeated bin is not announced again. */
    music_seq_clear(&seq);
    add(&seq, 64, 100, 0, 100, 0, 0, false);
    add(&seq, 67, 127, 100, 200, 0, 0, false);
    add(&seq, 60, 100, 0, 100, 0, 0, false);
    add(&seq, 62, 20, 50, 100, 0, 0, false);
    absolute(&seq);
    perf = extract(&seq, 32, 0, -1);
    CHECK_EVENTS(&perf, EV(VEL, 25), EV(ON, 60), EV(ON, 64), EV(SHIFT, 50), EV(VEL, 5), EV(ON, 62), EV(SHIFT, 50),
                 EV(OFF, 60), EV(OFF, 64), EV(OFF, 62), EV(VEL, 32), EV(ON, 67), EV(SHIFT, 100), EV(OFF, 67));

    /* A note-off of one note and a note-on of a later one at the same step, and a zero-length
     * note (its on sorts before its off: is_offset False < True). */
    music_seq_clear(&seq);
    add(&seq, 72, 100, 0, 30, 0, 0, false);
    add(&seq, 70, 100, 30, 30, 0, 0, false);
    add(&seq, 74, 100, 30, 40, 0, 0, false);
    absolute(&seq);
    perf = extract(&seq, 0, 0, -1);
    CHECK_EVENTS(&perf, EV(ON, 72), EV(SHIFT, 30), EV(OFF, 72), EV(ON, 70), EV(OFF, 70), EV(ON, 74), EV(SHIFT, 10),
                 EV(OFF, 74));

    /* Velocity 0 (Performance._from_quantized_sequence with velocity_to_bin's floor division):
     * its bin is 0, the extractor's starting bin, so a first such note gets no VELOCITY event;
     * after another bin Magenta raises (PerformanceEvent refuses VELOCITY 0): MUSIC_ERR_RANGE. */
    music_seq_clear(&seq);
    add(&seq, 60, 0, 0, 10, 0, 0, false);
    add(&seq, 62, 100, 10, 20, 0, 0, false);
    absolute(&seq);
    perf = extract(&seq, 32, 0, -1);
    CHECK_EVENTS(&perf, EV(ON, 60), EV(SHIFT, 10), EV(OFF, 60), EV(VEL, 25), EV(ON, 62), EV(SHIFT, 10), EV(OFF, 62));
    add(&seq, 64, 0, 20, 30, 0, 0, false);
    {
        char why[MUSIC_MESSAGE_SIZE] = "";
        music_performance_init(&perf, storage, 4096, 100, 32, 100);
        CHECK_INT(music_performance_from_seq(&perf, &seq, 0, -1, why), MUSIC_ERR_RANGE);
        CHECK(strstr(why, "velocity 0") != NULL, "message: %s", why);
    }

    /* Time shifts longer than a second: while the gap exceeds max_shift_steps (100), whole
     * shifts of 100, then the rest; a gap of exactly 100 is one shift (the loop test is >). */
    music_seq_clear(&seq);
    add(&seq, 60, 100, 0, 10, 0, 0, false);
    add(&seq, 62, 100, 355, 360, 0, 0, false);
    add(&seq, 64, 100, 460, 660, 0, 0, false);
    absolute(&seq);
    perf = extract(&seq, 0, 0, -1);
    CHECK_EVENTS(&perf, EV(ON, 60), EV(SHIFT, 10), EV(OFF, 60), EV(SHIFT, 100), EV(SHIFT, 100), EV(SHIFT, 100),
                 EV(SHIFT, 45), EV(ON, 62), EV(SHIFT, 5), EV(OFF, 62), EV(SHIFT, 100), EV(ON, 64), EV(SHIFT, 100),
                 EV(SHIFT, 100), EV(OFF, 64));
    CHECK_INT(music_performance_num_steps(&perf), 660);

    /* start_step: notes starting before it are left out, and time counts from it. */
    perf = extract(&seq, 0, 300, -1);
    CHECK_INT(perf.start_step, 300);
    CHECK_EVENTS(&perf, EV(SHIFT, 55), EV(ON, 62), EV(SHIFT, 5), EV(OFF, 62), EV(SHIFT, 100), EV(ON, 64),
                 EV(SHIFT, 100), EV(SHIFT, 100), EV(OFF, 64));

    /* Too little storage: MUSIC_ERR_FULL, and the message says how many were needed. */
    {
        music_perf_event small[4];
        music_performance tiny;
        char why[MUSIC_MESSAGE_SIZE] = "";
        music_performance_init(&tiny, small, 4, 100, 0, 100);
        CHECK_INT(music_performance_from_seq(&tiny, &seq, 0, -1, why), MUSIC_ERR_FULL);
        CHECK(strstr(why, "15 events") != NULL, "message: %s", why);
        CHECK(music_performance_max_events(&seq, 100) >= 15, "bound %d", music_performance_max_events(&seq, 100));
    }
    /* Not quantized in absolute time. */
    {
        char why[MUSIC_MESSAGE_SIZE] = "";
        seq.steps_per_second = 0;
        music_performance_init(&perf, storage, 4096, 100, 0, 100);
        CHECK_INT(music_performance_from_seq(&perf, &seq, 0, -1, why), MUSIC_ERR_ARGUMENT);
        CHECK(strstr(why, "absolute") != NULL, "message: %s", why);
    }
    music_seq_free(&seq);
}

static void test_program_and_is_drum(void)
{
    /* performance_lib_test.py testProgramAndIsDrumFromQuantizedNoteSequence. */
    music_seq seq;
    music_seq_init(&seq);
    add(&seq, 60, 100, 0, 400, 0, 1, false);
    add(&seq, 64, 100, 0, 300, 0, 1, false);
    add(&seq, 67, 100, 100, 200, 0, 1, false);
    add(&seq, 36, 100, 0, 400, 1, 2, false);
    add(&seq, 48, 100, 0, 400, 1, 2, false);
    add(&seq, 57, 100, 0, 10, 2, 0, true);
    absolute(&seq);
    music_performance perf = extract(&seq, 0, 0, 0);
    CHECK_INT(perf.program, 1);
    CHECK_INT(perf.is_drum, 0);
    perf = extract(&seq, 0, 0, 1);
    CHECK_INT(perf.program, 2);
    CHECK_INT(perf.is_drum, 0);
    perf = extract(&seq, 0, 0, 2);
    CHECK_INT(perf.program, -1);
    CHECK_INT(perf.is_drum, 1);
    perf = extract(&seq, 0, 0, -1);
    CHECK_INT(perf.program, -1);
    CHECK_INT(perf.is_drum, -1);
    music_seq_free(&seq);
}

static void check_note_at(int line, const music_seq *seq, int i, int pitch, int velocity, double start, double end)
{
    checks++;
    if (i < seq->notes.count && seq->notes.items[i].pitch == pitch && seq->notes.items[i].velocity == velocity &&
        seq->notes.items[i].start == start && seq->notes.items[i].end == end)
        return;
    failures++;
    if (i >= seq->notes.count)
        fprintf(stderr, "%s:%d: note %d missing (%d notes)\n", __FILE__, line, i, seq->notes.count);
    else
        fprintf(stderr, "%s:%d: note %d is (%d, %d, %.17g, %.17g), want (%d, %d, %.17g, %.17g)\n", __FILE__, line,
                i, seq->notes.items[i].pitch, seq->notes.items[i].velocity, seq->notes.items[i].start,
                seq->notes.items[i].end, pitch, velocity, start, end);
}
#define CHECK_NOTE(seq, i, pitch, velocity, start, end) check_note_at(__LINE__, seq, i, pitch, velocity, start, end)

static music_performance from_events(const music_perf_event *events, int n, int velocity_bins)
{
    music_performance perf;
    music_performance_init(&perf, storage, 4096, 100, velocity_bins, 100);
    for (int i = 0; i < n; i++)
        CHECK_INT(music_performance_append(&perf, events[i]), MUSIC_OK);
    return perf;
}
#define PERF(bins, ...)                                                                          \
    from_events((const music_perf_event[]){__VA_ARGS__},                                          \
                (int)(sizeof((const music_perf_event[]){__VA_ARGS__}) / sizeof(music_perf_event)), bins)

static void test_to_seq(void)
{
    music_seq seq, out;
    music_seq_init(&seq);
    music_seq_init(&out);
    char why[MUSIC_MESSAGE_SIZE];

    /* testToSequence: the round trip gives back the notes, ended in the order of their note-offs
     * (67, 64, 60); Magenta's test sorts before comparing, the order here is _to_sequence's. */
    three_notes(&seq, 100, 100, 100);
    music_performance perf = extract(&seq, 0, 0, -1);
    CHECK_INT(music_performance_to_seq(&perf, 100, 0, -1, 0.0, &out, why), MUSIC_OK);
    CHECK_INT(out.notes.count, 3);
    CHECK_NOTE(&out, 0, 67, 100, 1.0, 2.0);
    CHECK_NOTE(&out, 1, 64, 100, 0.0, 3.0);
    CHECK_NOTE(&out, 2, 60, 100, 0.0, 4.0);
    CHECK_DOUBLE(out.total_time, 4.0);
    CHECK_INT(out.ticks_per_quarter, 220);

    /* testToSequenceWithVelocity: 127 bins keep every velocity. */
    three_notes(&seq, 100, 115, 127);
    perf = extract(&seq, 127, 0, -1);
    CHECK_INT(music_performance_to_seq(&perf, 100, 0, -1, 0.0, &out, why), MUSIC_OK);
    CHECK_NOTE(&out, 0, 67, 127, 1.0, 2.0);
    CHECK_NOTE(&out, 1, 64, 115, 0.0, 3.0);
    CHECK_NOTE(&out, 2, 60, 100, 0.0, 4.0);
    /* With 32 bins a velocity comes back as its bin's lowest: 115 -> bin 29 -> 113. */
    perf = extract(&seq, 32, 0, -1);
    CHECK_INT(music_performance_to_seq(&perf, 100, 0, -1, 0.0, &out, why), MUSIC_OK);
    CHECK_NOTE(&out, 0, 67, 125, 1.0, 2.0);
    CHECK_NOTE(&out, 1, 64, 113, 0.0, 3.0);
    CHECK_NOTE(&out, 2, 60, 97, 0.0, 4.0);

    /* testToSequenceWithUnmatchedNoteOffs: the note-off of 67 that never started is ignored. */
    perf = PERF(0, EV(ON, 60), EV(ON, 64), EV(SHIFT, 50), EV(OFF, 60), EV(OFF, 64), EV(OFF, 67));
    CHECK_INT(music_performance_to_seq(&perf, 100, 0, -1, 0.0, &out, why), MUSIC_OK);
    CHECK_INT(out.notes.count, 2);
    CHECK_NOTE(&out, 0, 60, 100, 0.0, 0.5);
    CHECK_NOTE(&out, 1, 64, 100, 0.0, 0.5);

    /* testToSequenceWithUnmatchedNoteOns: notes still on end with the performance. */
    perf = PERF(0, EV(ON, 60), EV(ON, 64), EV(SHIFT, 100));
    CHECK_INT(music_performance_to_seq(&perf, 100, 0, -1, 0.0, &out, why), MUSIC_OK);
    CHECK_INT(out.notes.count, 2);
    CHECK_NOTE(&out, 0, 60, 100, 0.0, 1.0);
    CHECK_NOTE(&out, 1, 64, 100, 0.0, 1.0);

    /* testToSequenceWithRepeatedNotes: both 60s stay open (a pitch holds a list) and end at 2 s;
     * leftovers come per pitch, in the order pitches were first seen. */
    perf = PERF(0, EV(ON, 60), EV(ON, 64), EV(SHIFT, 100), EV(ON, 60), EV(SHIFT, 100));
    CHECK_INT(music_performance_to_seq(&perf, 100, 0, -1, 0.0, &out, why), MUSIC_OK);
    CHECK_INT(out.notes.count, 3);
    CHECK_NOTE(&out, 0, 60, 100, 0.0, 2.0);
    CHECK_NOTE(&out, 1, 60, 100, 1.0, 2.0);
    CHECK_NOTE(&out, 2, 64, 100, 0.0, 2.0);

    /* A lone note-off still registers its pitch first in _to_sequence's defaultdict, so the
     * leftover 64 comes out before the leftover 60. A note-off at its note-on's step consumes
     * the note-on and drops the zero-length note. */
    perf = PERF(0, EV(OFF, 64), EV(ON, 60), EV(ON, 64), EV(ON, 62), EV(OFF, 62), EV(SHIFT, 100));
    CHECK_INT(music_performance_to_seq(&perf, 100, 0, -1, 0.0, &out, why), MUSIC_OK);
    CHECK_INT(out.notes.count, 2);
    CHECK_NOTE(&out, 0, 64, 100, 0.0, 1.0);
    CHECK_NOTE(&out, 1, 60, 100, 0.0, 1.0);

    /* max_note_duration cuts, start_step offsets the times, program/is_drum/instrument are set. */
    perf = PERF(32, EV(VEL, 1), EV(ON, 60), EV(SHIFT, 100), EV(OFF, 60));
    perf.start_step = 50;
    perf.program = 5;
    CHECK_INT(music_performance_to_seq(&perf, 100, 3, -1, 0.25, &out, why), MUSIC_OK);
    CHECK_INT(out.notes.count, 1);
    CHECK_NOTE(&out, 0, 60, 1, 0.5, 0.75);
    CHECK_INT(out.notes.items[0].program, 5);
    CHECK_INT(out.notes.items[0].instrument, 3);
    CHECK_INT(out.notes.items[0].is_drum, 0);
    /* A VELOCITY event in a performance without bins is refused (Magenta asserts). */
    perf = PERF(0, EV(VEL, 3), EV(ON, 60));
    CHECK_INT(music_performance_to_seq(&perf, 100, 0, -1, 0.0, &out, why), MUSIC_ERR_ARGUMENT);

    music_seq_free(&seq);
    music_seq_free(&out);
}

static void test_set_length(void)
{
    /* testSetLengthAddSteps. */
    music_performance perf = PERF(0, EV(ON, 60));
    perf.count = 0;
    CHECK_INT(music_performance_set_length(&perf, 50), MUSIC_OK);
    CHECK_EVENTS(&perf, EV(SHIFT, 50));
    CHECK_INT(music_performance_set_length(&perf, 150), MUSIC_OK);
    CHECK_EVENTS(&perf, EV(SHIFT, 100), EV(SHIFT, 50));
    CHECK_INT(music_performance_set_length(&perf, 200), MUSIC_OK);
    CHECK_EVENTS(&perf, EV(SHIFT, 100), EV(SHIFT, 100));

    /* testSetLengthRemoveSteps. */
    perf = PERF(0, EV(ON, 60), EV(SHIFT, 100), EV(OFF, 60), EV(ON, 64), EV(SHIFT, 100), EV(OFF, 64), EV(ON, 67),
                EV(SHIFT, 100), EV(OFF, 67));
    CHECK_INT(music_performance_set_length(&perf, 200), MUSIC_OK);
    CHECK_EVENTS(&perf, EV(ON, 60), EV(SHIFT, 100), EV(OFF, 60), EV(ON, 64), EV(SHIFT, 100), EV(OFF, 64),
                 EV(ON, 67));
    CHECK_INT(music_performance_set_length(&perf, 50), MUSIC_OK);
    CHECK_EVENTS(&perf, EV(ON, 60), EV(SHIFT, 50));

    /* testNumSteps. */
    perf = PERF(0, EV(ON, 60), EV(ON, 64), EV(SHIFT, 100), EV(OFF, 60), EV(OFF, 64));
    CHECK_INT(music_performance_num_steps(&perf), 100);

    /* append refuses what PerformanceEvent's validator refuses, and a full storage. */
    CHECK_INT(music_performance_append(&perf, EV(ON, 128)), MUSIC_ERR_RANGE);
    CHECK_INT(music_performance_append(&perf, EV(VEL, 0)), MUSIC_ERR_RANGE);
    CHECK_INT(music_performance_append(&perf, EV(9, 1)), MUSIC_ERR_RANGE);
    music_perf_event one[1];
    music_performance_init(&perf, one, 1, 100, 0, 100);
    CHECK_INT(music_performance_append(&perf, EV(ON, 1)), MUSIC_OK);
    CHECK_INT(music_performance_append(&perf, EV(ON, 2)), MUSIC_ERR_FULL);
}

static void test_extract(void)
{
    music_seq seq;
    music_seq_init(&seq);
    music_performance *perfs = NULL;
    int count = 0;
    music_performance_stats stats;
    char why[MUSIC_MESSAGE_SIZE];
    music_performance_options opt;

    /* performance_pipeline_test.py testExtractPerformances: one note of 4 s gives 6 events
     * (on, 4 shifts of 100, off). */
    add(&seq, 60, 100, 0, 400, 0, 0, false);
    absolute(&seq);
#define RUN(...)                                                                                         \
    do {                                                                                                 \
        for (int k_ = 0; k_ < count; k_++)                                                               \
            music_performance_free(&perfs[k_]);                                                          \
        free(perfs);                                                                                     \
        opt = (music_performance_options){__VA_ARGS__};                                                  \
        CHECK_INT(music_performance_extract(&seq, &opt, &perfs, &count, &stats, why), MUSIC_OK);         \
    } while (0)
    RUN(0);
    CHECK_INT(count, 1);
    CHECK_INT(perfs[0].count, 6);
    RUN(.min_events_discard = 1, .max_events_truncate = 10);
    CHECK_INT(count, 1);
    RUN(.min_events_discard = 8, .max_events_truncate = 10);
    CHECK_INT(count, 0);
    CHECK_INT(stats.discarded_too_short, 1);
    RUN(.min_events_discard = 1, .max_events_truncate = 3);
    CHECK_INT(count, 1);
    CHECK_INT(perfs[0].count, 3);
    CHECK_INT(stats.truncated, 1);
    RUN(.max_steps_truncate = 100);
    CHECK_INT(count, 1);
    CHECK_INT(music_performance_num_steps(&perfs[0]), 100);
    CHECK_INT(stats.truncated_timewise, 1);

    /* testExtractPerformancesNonZeroStart. */
    RUN(.start_step = 400, .min_events_discard = 1);
    CHECK_INT(count, 0);
    RUN(.start_step = 0, .min_events_discard = 1);
    CHECK_INT(count, 1);

    /* testExtractPerformancesMultiProgram: several programs, nothing extracted. */
    music_seq_clear(&seq);
    add(&seq, 60, 100, 0, 400, 0, 2, false);
    add(&seq, 64, 100, 0, 300, 0, 0, false);
    add(&seq, 67, 100, 100, 200, 0, 0, false);
    absolute(&seq);
    RUN(0);
    CHECK_INT(count, 0);
    CHECK_INT(stats.discarded_more_than_1_program, 1);

    /* testExtractPerformancesSplitInstruments: 6 and 8 events. Drums are not filtered here. */
    music_seq_clear(&seq);
    add(&seq, 60, 100, 0, 400, 0, 0, false);
    add(&seq, 62, 100, 0, 200, 1, 0, false);
    add(&seq, 64, 100, 200, 400, 1, 0, false);
    absolute(&seq);
    RUN(.split_instruments = true);
    CHECK_INT(count, 2);
    CHECK_INT(perfs[0].count, 6);
    CHECK_INT(perfs[1].count, 8);
    RUN(.min_events_discard = 8, .split_instruments = true);
    CHECK_INT(count, 1);
    RUN(.min_events_discard = 16, .split_instruments = true);
    CHECK_INT(count, 0);
    RUN(.num_velocity_bins = 32);
    CHECK_INT(count, 1);
    CHECK_EVENTS(&perfs[0], EV(VEL, 25), EV(ON, 60), EV(ON, 62), EV(SHIFT, 100), EV(SHIFT, 100), EV(OFF, 62),
                 EV(ON, 64), EV(SHIFT, 100), EV(SHIFT, 100), EV(OFF, 60), EV(OFF, 64));
#undef RUN
    for (int k = 0; k < count; k++)
        music_performance_free(&perfs[k]);
    free(perfs);
    music_seq_free(&seq);
}

static void test_velocity_bins(void)
{
    /* performance_lib.velocity_to_bin: bins of ceil(127 / n); 32 bins -> 4 velocities each. */
    CHECK_INT(music_velocity_to_bin(1, 32), 1);
    CHECK_INT(music_velocity_to_bin(4, 32), 1);
    CHECK_INT(music_velocity_to_bin(5, 32), 2);
    CHECK_INT(music_velocity_to_bin(124, 32), 31);
    CHECK_INT(music_velocity_to_bin(125, 32), 32);
    CHECK_INT(music_velocity_to_bin(127, 32), 32);
    CHECK_INT(music_velocity_bin_to_velocity(1, 32), 1);
    CHECK_INT(music_velocity_bin_to_velocity(2, 32), 5);
    CHECK_INT(music_velocity_bin_to_velocity(32, 32), 125);
    /* 16 bins of 8 (performance_lib_test's quantized velocity case): 100 -> 13, 127 -> 16. */
    CHECK_INT(music_velocity_to_bin(100, 16), 13);
    CHECK_INT(music_velocity_to_bin(127, 16), 16);
    CHECK_INT(music_velocity_bin_to_velocity(13, 16), 97);
    /* 127 bins of one. */
    for (int v = 1; v <= 127; v++) {
        CHECK_INT(music_velocity_to_bin(v, 127), v);
        CHECK_INT(music_velocity_bin_to_velocity(v, 127), v);
    }
    /* Python's floor division: velocity 0 is bin 0. */
    CHECK_INT(music_velocity_to_bin(0, 32), 0);
    /* Every velocity's bin decodes to a velocity in the same bin. */
    for (int v = 1; v <= 127; v++)
        CHECK_INT(music_velocity_to_bin(music_velocity_bin_to_velocity(music_velocity_to_bin(v, 32), 32), 32),
                  music_velocity_to_bin(v, 32));
}

static void test_classes(void)
{
    /* performance_encoder_decoder_test.py PerformanceOneHotEncodingTest.testEncodeDecode
     * (16 velocity bins, 100 shifts). */
    static const struct {
        int type, value, index;
    } pairs[] = {
        {ON, 60, 60},      {ON, 0, 0},        {ON, 127, 127},    {OFF, 72, 200}, {OFF, 0, 128}, {OFF, 127, 255},
        {SHIFT, 10, 265}, {SHIFT, 1, 256},   {SHIFT, 100, 355}, {VEL, 5, 360},  {VEL, 1, 356}, {VEL, 16, 371},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        int index = -1;
        music_perf_event e = {0, 0};
        CHECK_INT(music_perf_encode_event(EV(pairs[i].type, pairs[i].value), 16, 100, &index), MUSIC_OK);
        CHECK_INT(index, pairs[i].index);
        CHECK_INT(music_perf_decode_event(pairs[i].index, 16, 100, &e), MUSIC_OK);
        CHECK_INT(e.type, pairs[i].type);
        CHECK_INT(e.value, pairs[i].value);
    }
    CHECK_INT(music_perf_num_classes(16, 100), 372);

    /* The Performance RNN with dynamics: 388 classes, velocity 1..32 at 356..387. */
    CHECK_INT(music_perf_num_classes(32, 100), MUSIC_PERF_NUM_CLASSES);
    CHECK_INT(music_perf_num_classes(0, 100), 356);
    int index = -1;
    CHECK_INT(music_perf_encode_event(EV(VEL, 32), 32, 100, &index), MUSIC_OK);
    CHECK_INT(index, 387);
    int decoded = 0, counts[5] = {0};
    for (int c = 0; c < MUSIC_PERF_NUM_CLASSES; c++) {
        music_perf_event e;
        if (music_perf_decode_event(c, 32, 100, &e) != MUSIC_OK || music_perf_encode_event(e, 32, 100, &index) != MUSIC_OK)
            continue;
        decoded += index == c;
        counts[e.type]++;
    }
    CHECK_INT(decoded, 388);
    CHECK_INT(counts[ON], 128);
    CHECK_INT(counts[OFF], 128);
    CHECK_INT(counts[SHIFT], 100);
    CHECK_INT(counts[VEL], 32);
    /* Out of range: Magenta would encode a shift of 0 as class 255 (note-off 127); refused here. */
    music_perf_event e;
    CHECK_INT(music_perf_encode_event(EV(SHIFT, 0), 32, 100, &index), MUSIC_ERR_RANGE);
    CHECK_INT(music_perf_encode_event(EV(SHIFT, 101), 32, 100, &index), MUSIC_ERR_RANGE);
    CHECK_INT(music_perf_encode_event(EV(VEL, 33), 32, 100, &index), MUSIC_ERR_RANGE);
    CHECK_INT(music_perf_encode_event(EV(VEL, 1), 0, 100, &index), MUSIC_ERR_RANGE);
    CHECK_INT(music_perf_decode_event(388, 32, 100, &e), MUSIC_ERR_RANGE);
    CHECK_INT(music_perf_decode_event(-1, 32, 100, &e), MUSIC_ERR_RANGE);
}

int main(void)
{
    test_from_seq();
    test_program_and_is_drum();
    test_to_seq();
    test_set_length();
    test_extract();
    test_velocity_bins();
    test_classes();
    return check_summary("performance");
}
