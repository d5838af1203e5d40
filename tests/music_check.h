/* music_check.h — the symbolic-music tests' CHECK macros: print file:line and the values, count
 * failures.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#ifndef MUSIC_CHECK_H
#define MUSIC_CHECK_H

#include "music.h"

#include <stdbool.h>
#include <stdio.h>

static int checks_run, checks_failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        checks_run++;                                                                              \
        if (!(cond)) {                                                                             \
            checks_failed++;                                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_INT(got, want)                                                                       \
    do {                                                                                           \
        long long got_ = (long long)(got), want_ = (long long)(want);                              \
        checks_run++;                                                                              \
        if (got_ != want_) {                                                                       \
            checks_failed++;                                                                       \
            fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__, #got, got_,  \
                    want_);                                                                        \
        }                                                                                          \
    } while (0)

/* Compare int arrays element by element; print the first difference. */
#define CHECK_EVENTS(got, got_len, want, want_len)                                                 \
    do {                                                                                           \
        checks_run++;                                                                              \
        int gl_ = (got_len), wl_ = (want_len), bad_ = gl_ != wl_ ? 0 : -1;                         \
        for (int i_ = 0; bad_ < 0 && i_ < wl_; i_++)                                               \
            if ((got)[i_] != (want)[i_])                                                           \
                bad_ = i_;                                                                         \
        if (bad_ >= 0) {                                                                           \
            checks_failed++;                                                                       \
            fprintf(stderr, "%s:%d: %s differs (length %d, expected %d)", __FILE__, __LINE__,      \
                    #got, gl_, wl_);                                                               \
            if (gl_ == wl_)                                                                        \
                fprintf(stderr, " at %d: %d, expected %d", bad_, (got)[bad_], (want)[bad_]);       \
            fprintf(stderr, "\n  got:");                                                           \
            for (int i_ = 0; i_ < gl_; i_++)                                                       \
                fprintf(stderr, " %d", (got)[i_]);                                                 \
            fprintf(stderr, "\n");                                                                 \
        }                                                                                          \
    } while (0)

static inline int check_summary(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, checks_run, checks_failed);
    return checks_failed ? 1 : 0;
}
#define CHECK_SUMMARY(name) check_summary(name)

/* ---- Magenta's testing_lib, as the melody tests use it ---------------------------------------- */

/* testing_lib.ProtoTestCase.setUp: a 4/4 time signature and 60 qpm, both at time 0. */
static inline void setup(music_seq *seq)
{
    music_seq_init(seq);
    music_seq_add_time_signature(seq, 0.0, 4, 4);
    music_seq_add_tempo(seq, 0.0, 60.0);
}

/* testing_lib.add_track_to_sequence: (pitch, velocity, start, end) on one instrument. */
static inline void add_track(music_seq *seq, int instrument, const double (*notes)[4], int count, bool is_drum)
{
    for (int i = 0; i < count; i++) {
        music_note n = {0};
        n.pitch = (uint8_t)notes[i][0];
        n.velocity = (uint8_t)notes[i][1];
        n.start = notes[i][2];
        n.end = notes[i][3];
        n.instrument = instrument;
        n.is_drum = is_drum;
        music_seq_add_note(seq, &n);
    }
}

/* The five notes most of sequences_lib_test's quantization tests use. */
static const double five_notes[][4] __attribute__((unused)) = {
    {12, 100, 0.01, 10.0}, {11, 55, 0.22, 0.50}, {40, 45, 2.50, 3.50}, {55, 120, 4.0, 4.01}, {52, 99, 4.75, 5.0}};

#endif
