/* gradcheck.h — what the training tests share: seeded inputs (xorshift.h), the loss L = Σ y · r
 * through which a layer is checked, the check of a backward pass against finite differences, and
 * that of padded steps.
 * Each check counts in tests/check.h's counters and prints its worst error.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * The differences are taken in double on the float passes. Error = |analytic - numeric| /
 * max(|analytic|, |numeric|, floor): relative for real gradients, absolute below the floor, where
 * the float loss's rounding dominates. Each test states its step, floor and tolerance, and why.
 */
#ifndef TRAIN_GRADCHECK_H
#define TRAIN_GRADCHECK_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../check.h"
#include "xorshift.h"

/* L = Σ y · r summed in double, for a fixed random r: then dL/dy = r. */
static inline double dot(const float *y, const float *r, size_t n)
{
    double s = 0.0;
    for (size_t k = 0; k < n; k++)
        s += (double)y[k] * r[k];
    return s;
}

/* Whether the padded steps (mask 0) of a [steps, batch] sequence batch output zeros, out[steps,
 * batch, out_width], and take no gradient, dx[steps, batch, in_width]. */
static inline int padded_steps_zero(int steps, int batch, const float *mask, const float *out, int out_width,
                                    const float *dx, int in_width)
{
    int zero = 1;
    for (size_t r = 0; r < (size_t)steps * batch; r++) {
        if (mask[r] != 0.0f)
            continue;
        for (int k = 0; k < out_width; k++)
            zero &= out[r * out_width + k] == 0.0f;
        for (int k = 0; k < in_width; k++)
            zero &= dx[r * in_width + k] == 0.0f;
    }
    return zero;
}

/* How analytic derivatives are compared with numeric ones. */
typedef struct gradcheck {
    double eps;       /* the step ε */
    int points;       /* 2: (L(p + ε) - L(p - ε)) / 2ε, over the step as float rounds it;
                       * 4: (8 (L(p + ε) - L(p - ε)) - (L(p + 2ε) - L(p - 2ε))) / 12ε, truncation O(ε⁴) */
    double floor;     /* the error is relative above it, absolute below */
    double tolerance; /* the largest error that passes */
} gradcheck;

/* The loss as a function of whatever the test perturbs. */
typedef double (*gradcheck_loss)(void *ctx);

/* dL/d*value by finite differences; *value is left as it was. */
static inline double gradcheck_numeric(const gradcheck *gc, gradcheck_loss loss, void *ctx, float *value)
{
    float saved = *value;
    double numeric;
    if (gc->points == 4) {
        static const float steps[4] = {1, -1, 2, -2};
        double l[4];
        for (int i = 0; i < 4; i++) {
            *value = saved + steps[i] * (float)gc->eps;
            l[i] = loss(ctx);
        }
        numeric = (8.0 * (l[0] - l[1]) - (l[2] - l[3])) / (12.0 * gc->eps);
    } else {
        float plus = saved + (float)gc->eps, minus = saved - (float)gc->eps;
        *value = plus;
        double lp = loss(ctx);
        *value = minus;
        double lm = loss(ctx);
        numeric = (lp - lm) / ((double)plus - (double)minus);
    }
    *value = saved;
    return numeric;
}

/* Compare analytic[k] with the numeric derivative of loss in values[k]: for every k when
 * sample >= n, else for `sample` k drawn with uniform(). One check; a NaN on either side is an
 * infinite error. */
static inline void gradcheck_sample(const gradcheck *gc, const char *name, gradcheck_loss loss, void *ctx,
                                    float *values, const float *analytic, size_t n, size_t sample)
{
    double worst = 0.0;
    size_t worst_k = 0, count = sample >= n ? n : sample;
    for (size_t s = 0; s < count; s++) {
        size_t k = sample >= n ? s : (size_t)(uniform(0.0f, 1.0f) * (float)n) % n;
        double numeric = gradcheck_numeric(gc, loss, ctx, values + k);
        double a = analytic[k], scale = fmax(fmax(fabs(a), fabs(numeric)), gc->floor);
        double err = fabs(a - numeric) / scale;
        if (err != err)
            err = INFINITY;
        if (err > worst)
            worst = err, worst_k = k;
    }
    int ok = worst <= gc->tolerance;
    checks++;
    failures += !ok;
    printf("%-4s %-40s %4zu of %4zu checked, max error %.2e (tolerance %.0e) at %zu: analytic %.6g\n",
           ok ? "ok" : "FAIL", name, count, n, worst, gc->tolerance, worst_k, (double)analytic[worst_k]);
}

/* The same for every k. */
static inline void gradcheck_all(const gradcheck *gc, const char *name, gradcheck_loss loss, void *ctx,
                                 float *values, const float *analytic, size_t n)
{
    gradcheck_sample(gc, name, loss, ctx, values, analytic, n, SIZE_MAX);
}

#endif /* TRAIN_GRADCHECK_H */
