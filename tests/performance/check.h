/* check.h — the performance tests' typed checks, on the shared CHECK of tests/check.h.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#ifndef PERFORMANCE_CHECK_H
#define PERFORMANCE_CHECK_H

#include "../check.h"

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

#endif
