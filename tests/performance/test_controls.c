/* test_controls.c — Performance RNN's control signals and its conditioned input vectors.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */

#include "check.h"
#include "music.h"

#include <string.h>

#define ON MUSIC_PERF_NOTE_ON
#define OFF MUSIC_PERF_NOTE_OFF
#define SHIFT MUSIC_PERF_TIME_SHIFT
#define EV(t, v) ((music_perf_event){(t), (v)})

static music_perf_event storage[256];

static music_performance make(const music_perf_event *events, int n)
{
    music_performance perf;
    music_performance_init(&perf, storage, 256, 100, 32, 100);
    for (int i = 0; i < n; i++)
        music_performance_append(&perf, events[i]);
    return perf;
}
#define PERF(...)                                                                                \
    make((const music_perf_event[]){__VA_ARGS__},                                                 \
         (int)(sizeof((const music_perf_event[]){__VA_ARGS__}) / sizeof(music_perf_event)))

/* The performance of performance_controls_test.py's testExtract cases. */
static music_performance controls_test_performance(void)
{
    return PERF(EV(ON, 60), EV(ON, 64), EV(ON, 67), EV(SHIFT, 50), EV(OFF, 60), EV(OFF, 64), EV(SHIFT, 25),
                EV(OFF, 67), EV(ON, 64), EV(SHIFT, 25), EV(OFF, 64));
}

static void test_note_density(void)
{
    /* NoteDensityPerformanceControlSignalTest.testExtract (window 1 s). */
    music_performance perf = controls_test_performance();
    double density[16];
    static const double want[] = {4.0, 4.0, 4.0, 4.0, 2.0, 2.0, 2.0, 4.0, 4.0, 4.0, 0.0};
    CHECK_INT(music_perf_note_density(&perf, 1.0, density), MUSIC_OK);
    for (int i = 0; i < 11; i++)
        CHECK_DOUBLE(density[i], want[i]);

    /* NoteDensityPerformanceControlSignalTest.testEncoder: bin edges [1, 5]; a density equal
     * to an edge falls in the bin above (encode_event tests density < edge). */
    static const double ranges[] = {1.0, 5.0};
    static const double densities[] = {0.0, 0.5, 1.0, 2.0, 5.0, 10.0};
    static const int bins[] = {0, 0, 1, 1, 2, 2};
    for (int i = 0; i < 6; i++)
        CHECK_INT(music_perf_density_bin(densities[i], ranges, 2), bins[i]);
    /* The configs' edges 1, 2, 4, ..., 64: 8 bins. */
    CHECK_INT(music_perf_density_bin(0.99, music_perf_density_bin_ranges, MUSIC_PERF_DENSITY_NUM_RANGES), 0);
    CHECK_INT(music_perf_density_bin(64.0, music_perf_density_bin_ranges, MUSIC_PERF_DENSITY_NUM_RANGES), 7);
    CHECK_INT(music_perf_density_bin(63.9, music_perf_density_bin_ranges, MUSIC_PERF_DENSITY_NUM_RANGES), 6);

    /* Window edges (NoteDensityPerformanceControlSignal.extract): the scan stops once the shifts
     * reach the window, so a note-on exactly at the window's end is not counted; a shift that runs
     * past the window counts whole but the divisor is capped at the window; the final events,
     * with no time after them, have density 0. Window 1 s = 100 steps.
     *   i=0: on(1) shift 60, on(2) shift 60 -> 120 >= 100: 2 notes / 1 s = 2.0
     *   i=1 (after an on): repeats 2.0
     *   i=2 (after a shift): on(1) shift 60, on(2) -> end of events, 60 steps: 2 * 100 / 60
     *   i=3 (after an on): repeats
     *   i=4 (after a shift): on(1) then nothing, 0 steps -> 0.0 */
    perf = PERF(EV(ON, 60), EV(SHIFT, 60), EV(ON, 62), EV(SHIFT, 60), EV(ON, 64));
    CHECK_INT(music_perf_note_density(&perf, 1.0, density), MUSIC_OK);
    CHECK_DOUBLE(density[0], 2.0);
    CHECK_DOUBLE(density[1], 2.0);
    CHECK_DOUBLE(density[2], 2.0 * 100.0 / 60.0);
    CHECK_DOUBLE(density[3], 2.0 * 100.0 / 60.0);
    CHECK_DOUBLE(density[4], 0.0);
    perf = PERF(EV(ON, 60), EV(SHIFT, 100), EV(ON, 62), EV(SHIFT, 100));
    CHECK_INT(music_perf_note_density(&perf, 1.0, density), MUSIC_OK);
    CHECK_DOUBLE(density[0], 1.0); /* 62's note-on at exactly 1 s is outside */
    /* The window in steps is int(round(seconds * 100)), half to even: 0.125 s * 100 = 12.5 -> 12. */
    perf = PERF(EV(ON, 60), EV(SHIFT, 12), EV(ON, 62), EV(SHIFT, 1));
    CHECK_INT(music_perf_note_density(&perf, 0.125, density), MUSIC_OK);
    CHECK_DOUBLE(density[0], 1.0 * 100.0 / 12.0);
}

static void test_pitch_histogram(void)
{
    /* PitchHistogramPerformanceControlSignalTest.testExtract (window 1 s, prior 0). */
    music_performance perf = controls_test_performance();
    double histogram[16][12];
    static const double want[11][12] = {
        {0.5, 0, 0, 0, 0.75, 0, 0, 0.75, 0, 0, 0, 0}, {0.5, 0, 0, 0, 0.75, 0, 0, 0.75, 0, 0, 0, 0},
        {0.5, 0, 0, 0, 0.75, 0, 0, 0.75, 0, 0, 0, 0}, {0.5, 0, 0, 0, 0.75, 0, 0, 0.75, 0, 0, 0, 0},
        {0, 0, 0, 0, 0.25, 0, 0, 0.25, 0, 0, 0, 0},   {0, 0, 0, 0, 0.25, 0, 0, 0.25, 0, 0, 0, 0},
        {0, 0, 0, 0, 0.25, 0, 0, 0.25, 0, 0, 0, 0},   {0, 0, 0, 0, 0.25, 0, 0, 0.0, 0, 0, 0, 0},
        {0, 0, 0, 0, 0.25, 0, 0, 0.0, 0, 0, 0, 0},    {0, 0, 0, 0, 0.25, 0, 0, 0.0, 0, 0, 0, 0},
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    };
    CHECK_INT(music_perf_pitch_histogram(&perf, 1.0, 0.0, histogram), MUSIC_OK);
    for (int i = 0; i < 11; i++)
        for (int c = 0; c < 12; c++)
            CHECK(histogram[i][c] == want[i][c], "event %d class %d: %.17g, want %.17g", i, c, histogram[i][c],
                  want[i][c]);

    /* PitchHistogramPerformanceControlSignalTest.testEncoder. */
    static const double in[4][12] = {
        {0.5, 0, 0, 0, 0.75, 0, 0, 0.75, 0, 0, 0, 0},
        {0, 0, 0, 0, 0.25, 0, 0, 0.25, 0, 0, 0, 0},
        {0, 0, 0, 0, 0.25, 0, 0, 0.0, 0, 0, 0, 0},
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    };
    static const float out[3][12] = {
        {0.25f, 0, 0, 0, 0.375f, 0, 0, 0.375f, 0, 0, 0, 0},
        {0.0f, 0, 0, 0, 0.5f, 0, 0, 0.5f, 0, 0, 0, 0},
        {0.0f, 0, 0, 0, 1.0f, 0, 0, 0.0f, 0, 0, 0, 0},
    };
    float encoded[12];
    for (int i = 0; i < 3; i++) {
        music_perf_histogram_encode(in[i], encoded);
        CHECK(memcmp(encoded, out[i], sizeof encoded) == 0, "histogram %d encodes differently", i);
    }
    music_perf_histogram_encode(in[3], encoded);
    for (int c = 0; c < 12; c++)
        CHECK(encoded[c] == (float)(1.0 / 12.0), "empty histogram class %d: %g", c, encoded[c]);

    /* Window edge: the shift that crosses the window's end counts whole (50 + 75 = 1.25 s of
     * pitch class 0 in a 1 s window); the note-off after it is outside. The prior adds to every
     * class, here the configs' 0.01. */
    perf = PERF(EV(ON, 60), EV(ON, 72), EV(SHIFT, 50), EV(SHIFT, 75), EV(OFF, 60));
    CHECK_INT(music_perf_pitch_histogram(&perf, 1.0, 0.01, histogram), MUSIC_OK);
    /* 60 and 72 are both class 0: each adds 0.5, then 0.75, to 0.01. */
    CHECK_DOUBLE(histogram[0][0], ((((0.01 + 0.5) + 0.5) + 0.75) + 0.75));
    CHECK_DOUBLE(histogram[0][1], 0.01);
    /* Event 2 (after an on) repeats; event 3 (after a shift) starts at 0.5 s: 0.75 each. */
    CHECK_DOUBLE(histogram[2][0], histogram[0][0]);
    CHECK_DOUBLE(histogram[3][0], (0.01 + 0.75) + 0.75);
    /* Event 4 (after a shift) has no time after it: only the prior. */
    CHECK_DOUBLE(histogram[4][0], 0.01);
}

static void test_conditioned_input(void)
{
    /* performance_model.py: the density config adds 8, the pitch config 12, both 20, the optional
     * config a flag more, all before the 388 event classes. */
    CHECK_INT(music_perf_input_size(0, 32, 100), 388);
    CHECK_INT(music_perf_input_size(MUSIC_PERF_CONTROL_DENSITY, 32, 100), 396);
    CHECK_INT(music_perf_input_size(MUSIC_PERF_CONTROL_HISTOGRAM, 32, 100), 400);
    CHECK_INT(music_perf_input_size(MUSIC_PERF_CONTROL_DENSITY | MUSIC_PERF_CONTROL_HISTOGRAM, 32, 100), 408);
    unsigned all = MUSIC_PERF_CONTROL_DENSITY | MUSIC_PERF_CONTROL_HISTOGRAM | MUSIC_PERF_CONTROL_OPTIONAL;
    CHECK_INT(music_perf_input_size(all, 32, 100), 409);

    /* Multiconditioned, optional, enabled: [0][density one-hot][histogram][event one-hot].
     * Density 4.5 notes/s: first edge above is 8 (index 3). Histogram: class 0 weight 3, class 7
     * weight 1 -> 0.75, 0.25. Event NOTE_OFF 62 -> class 190. */
    double histogram[12] = {3, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
    float input[409];
    CHECK_INT(music_perf_encode_input(EV(OFF, 62), all, false, 4.5, histogram, 32, 100, input, 409), MUSIC_OK);
    float want[409] = {0};
    want[1 + 3] = 1.0f;
    want[1 + 8 + 0] = 0.75f;
    want[1 + 8 + 7] = 0.25f;
    want[1 + 8 + 12 + 190] = 1.0f;
    CHECK(memcmp(input, want, sizeof want) == 0, "optional multiconditioned input differs");
    /* Disabled: the flag, then zeros where the controls were (OptionalEventSequenceEncoder). */
    CHECK_INT(music_perf_encode_input(EV(OFF, 62), all, true, 4.5, histogram, 32, 100, input, 409), MUSIC_OK);
    memset(want, 0, sizeof want);
    want[0] = 1.0f;
    want[1 + 8 + 12 + 190] = 1.0f;
    CHECK(memcmp(input, want, sizeof want) == 0, "disabled conditioning input differs");
    /* Density only, unconditioned: sizes must match. */
    CHECK_INT(music_perf_encode_input(EV(SHIFT, 100), MUSIC_PERF_CONTROL_DENSITY, false, 64.0, NULL, 32, 100, input,
                                      396),
              MUSIC_OK);
    CHECK(input[7] == 1.0f && input[8 + 355] == 1.0f, "density input: %g %g", input[7], input[8 + 355]);
    CHECK_INT(music_perf_encode_input(EV(SHIFT, 100), 0, false, 0.0, NULL, 32, 100, input, 396), MUSIC_ERR_ARGUMENT);
    CHECK_INT(music_perf_encode_input(EV(SHIFT, 0), 0, false, 0.0, NULL, 32, 100, input, 388), MUSIC_ERR_RANGE);
}

int main(void)
{
    test_note_density();
    test_pitch_histogram();
    test_conditioned_input();
    return check_summary("performance controls");
}
