/* check.h — the performance tests' CHECK macros: file:line and the values on failure, a count.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#ifndef PERFORMANCE_CHECK_H
#define PERFORMANCE_CHECK_H

#include <stdio.h>

static int checks, failures;

#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        checks++;                                                                         \
        if (!(cond)) {                                                                    \
            failures++;                                                                   \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                          \
        }                                                                                 \
    } while (0)

#define CHECK_INT(got, want)                                                              \
    do {                                                                                  \
        long got_ = (long)(got), want_ = (long)(want);                                    \
        CHECK(got_ == want_, "%s = %ld, want %ld", #got, got_, want_);                    \
    } while (0)

/* Exact: the encodings are meant to be bit-for-bit Magenta's. */
#define CHECK_DOUBLE(got, want)                                                           \
    do {                                                                                  \
        double got_ = (double)(got), want_ = (double)(want);                              \
        CHECK(got_ == want_, "%s = %.17g, want %.17g", #got, got_, want_);                \
    } while (0)

static int check_summary(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, checks, failures);
    return failures ? 1 : 0;
}

#endif
