/* music_check.h — the symbolic-music tests' CHECK macros: print file:line and the values, count
 * failures.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#ifndef MUSIC_CHECK_H
#define MUSIC_CHECK_H

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

#endif
