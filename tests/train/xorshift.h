/* xorshift.h — the seeded inputs of the training tests and the oracle drivers: xorshift64 from
 * the file's own XORSHIFT_SEED, so every run checks the same values (each test's tolerances were
 * measured on its draws).
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#ifndef TRAIN_XORSHIFT_H
#define TRAIN_XORSHIFT_H

#include <stddef.h>
#include <stdint.h>

#ifndef XORSHIFT_SEED
#error "define XORSHIFT_SEED before including xorshift.h"
#endif

static uint64_t xorshift_state = XORSHIFT_SEED;

/* A uniform in [lo, hi), on a 2^-24 grid. */
static inline float uniform(float lo, float hi)
{
    uint64_t x = xorshift_state;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    xorshift_state = x;
    return lo + (hi - lo) * (float)((x >> 40) * (1.0 / 16777216.0));
}

/* x[k] uniform in [-scale, scale). */
static inline void fill(float *x, size_t n, float scale)
{
    for (size_t k = 0; k < n; k++)
        x[k] = uniform(-scale, scale);
}

#endif /* TRAIN_XORSHIFT_H */
