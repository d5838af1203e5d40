/* test_kernels.c — every SIMD kernel set this CPU runs, entry by entry, against the scalar reference.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#include "nn_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_SEED 0x2545f4914f6cdd1dull /* fixed: every run tests the same values */
#include "../check.h"

/* The largest error seen as a share of its tolerance, per kernel: NN_TEST_VERBOSE prints it,
 * to show how much margin each tolerance leaves. */
static struct {
    const char *what;
    double ratio;
} worst[32];

static void note_ratio(const char *what, double ratio)
{
    for (size_t i = 0; i < sizeof worst / sizeof worst[0]; i++) {
        if (!worst[i].what || !strcmp(worst[i].what, what)) {
            worst[i].what = what;
            worst[i].ratio = ratio > worst[i].ratio ? ratio : worst[i].ratio;
            return;
        }
    }
}

static void check_close_at(const char *file, int line, const char *what, int index, double got, double want,
                           double tol)
{
    checks++;
    double diff = fabs(got - want);
    if (tol > 0.0 && diff == diff)
        note_ratio(what, diff / tol);
    if (got == want || diff <= tol) /* == first: equal infinities have a NaN difference */
        return;
    failures++;
    if (should_report())
        fprintf(stderr, "%s:%d: [%s] %s[%d] = %.9g, want %.9g (difference %.3g, tolerance %.3g)\n", file, line,
                context, what, index, got, want, diff, tol);
}
#define CHECK_CLOSE(what, index, got, want, tol) check_close_at(__FILE__, __LINE__, what, index, got, want, tol)

/* ---- Tolerances, and why -------------------------------------------------------------------
 * GEMV/GEMM: relative to the sum of |terms| (|y0| + Σ|x·w|). The SIMD code sums in eight
 * interleaved accumulators with fused multiply-adds, the reference left to right with separate
 * roundings; each is within about n·2^-24 of the exact sum in the worst case (n <= 257 here:
 * 1.5e-5), typically within sqrt(n)·2^-24 (1e-6). */
#define GEMV_RTOL 1e-5
/* add_row and f16 widening are exact in both (one f32 add; f16 -> f32 is lossless). */
#define EXACT 0.0
/* Activations: the SIMD exp and log are Cephes polynomials (about 2 ulp) against glibc's
 * expf/tanhf/log1pf (within 1 ulp). Absolute 2e-6 because 1 - 2/(e^2x + 1) and
 * log(1 + e^-|x|) lose relative accuracy near zero (values ~1e-7 or smaller come out as 0),
 * plus a relative 2e-6 for outputs far from 1 in magnitude (softplus(1e4), log-softmax). */
#define ACT_ATOL 2e-6
#define ACT_RTOL 2e-6
/* relu and leaky relu are one comparison or one multiply by alpha: exact. */

/* ---- Inputs ----------------------------------------------------------------------------------- */

/* The values where approximations break: signed zeros, denormal-adjacent, saturation, overflow. */
static const float extremes[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 20.0f, -20.0f,
                                 90.0f, -90.0f, 1e4f, -1e4f, 1.0f, -1.0f};
#define EXTREME_COUNT ((int)(sizeof extremes / sizeof extremes[0]))

/* Random values with the extremes spread through them, so they land in full vectors and tails. */
static void fill_with_extremes(float *x, int n, float lo, float hi)
{
    fill_uniform(x, n, lo, hi);
    for (int i = 0; i < n; i += 3)
        x[i] = extremes[(i / 3) % EXTREME_COUNT];
}

/* Random values with NaN, +inf and -inf among them; NaN in the last place (a tail, when n is
 * not a multiple of 8). */
static void fill_with_non_finite(float *x, int n)
{
    const float non_finite[] = {NAN, INFINITY, -INFINITY};
    fill_uniform(x, n, -5.0f, 5.0f);
    for (int i = 0; i < n; i += 5)
        x[i] = non_finite[(i / 5) % 3];
    x[n - 1] = NAN;
}

static void *alloc_zeroed(size_t size)
{
    void *p = calloc(1, size ? size : 1); /* zeroed, so GCC need not prove each buffer is filled */
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static const int sizes[] = {1, 7, 16, 33, 257};
#define SIZE_COUNT ((int)(sizeof sizes / sizeof sizes[0]))
static const int vector_sizes[] = {1, 7, 33, 257};
#define VECTOR_SIZE_COUNT ((int)(sizeof vector_sizes / sizeof vector_sizes[0]))

/* A rows x cols matrix of values in [-1, 1]; every seventh value is tiny (1e-6 .. 1e-5) so f16
 * matrices hold subnormal halves too. `unpacked` receives the stored values (f16-rounded). */
static nn_matrix *random_matrix(int rows, int cols, nn_dtype dtype, float *unpacked)
{
    float *data = alloc_zeroed((size_t)rows * cols * sizeof *data);
    for (size_t i = 0; i < (size_t)rows * cols; i++)
        data[i] = i % 7 == 3 ? rng_uniform(-1e-5f, 1e-5f) : rng_uniform(-1.0f, 1.0f);
    nn_matrix *w = NULL;
    nn_status st = nn_matrix_new(rows, cols, dtype, data, &w);
    free(data);
    if (st != NN_OK) {
        fprintf(stderr, "nn_matrix_new(%d, %d): %s\n", rows, cols, nn_status_text(st));
        exit(2);
    }
    nn_matrix_unpack(w, unpacked);
    return w;
}

/* Values past the end of an output that a kernel must leave alone. The sentinel is -0, compared
 * by its bits: even a write that adds a zero-padded column's +0 turns it into +0. */
#define GUARD 16
static const float sentinel = -0.0f;

static void check_untouched(const float *y, int n, const char *what)
{
    for (int i = 0; i < n; i++)
        CHECK(memcmp(&y[i], &sentinel, sizeof sentinel) == 0, "%s: guard value %d overwritten with %.9g", what,
              i, (double)y[i]);
}

/* ---- Matrix kernels --------------------------------------------------------------------------- */

/* y += x · W[row0 .. row0+nrows), from a random y, for several row ranges. */
static void test_gemv(const nn_kernels *k, nn_dtype dtype, int rows, int cols)
{
    float *wf = alloc_zeroed((size_t)rows * cols * sizeof *wf);
    nn_matrix *w = random_matrix(rows, cols, dtype, wf);
    float *x = alloc_zeroed((size_t)rows * sizeof *x);
    float *y0 = alloc_zeroed((size_t)cols * sizeof *y0);
    float *y_ref = alloc_zeroed((size_t)(cols + GUARD) * sizeof *y_ref);
    float *y_simd = alloc_zeroed((size_t)(cols + GUARD) * sizeof *y_simd);
    /* Whole range, all but the first row, the second half, the last row, a middle third. */
    const int ranges[][2] = {
        {0, rows}, {1, rows - 1}, {rows / 2, rows - rows / 2}, {rows - 1, 1}, {rows / 3, (rows + 2) / 3}};
    for (size_t q = 0; q < sizeof ranges / sizeof ranges[0]; q++) {
        int row0 = ranges[q][0], nrows = ranges[q][1];
        if (nrows < 1)
            continue;
        snprintf(context, sizeof context, "%s gemv %s rows %d cols %d row0 %d nrows %d", k->name,
                 nn_dtype_name(dtype), rows, cols, row0, nrows);
        fill_uniform(x, nrows, -1.0f, 1.0f);
        fill_uniform(y0, cols, -2.0f, 2.0f);
        for (int c = 0; c < cols + GUARD; c++)
            y_ref[c] = y_simd[c] = c < cols ? y0[c] : sentinel;
        nn_kernels_reference.gemv(w, row0, nrows, x, y_ref);
        k->gemv(w, row0, nrows, x, y_simd);
        for (int c = 0; c < cols; c++) {
            double scale = fabs(y0[c]);
            for (int r = 0; r < nrows; r++)
                scale += fabs((double)x[r] * wf[(size_t)(row0 + r) * cols + c]);
            CHECK_CLOSE("gemv", c, y_simd[c], y_ref[c], GEMV_RTOL * scale);
        }
        check_untouched(y_ref + cols, GUARD, "reference gemv");
        check_untouched(y_simd + cols, GUARD, "simd gemv");
    }
    free(y_simd);
    free(y_ref);
    free(y0);
    free(x);
    free(wf);
    nn_matrix_free(w);
}

/* Y += X · W for batch 1..9 (both the 4-row blocks and the remainder), with X and Y rows spaced
 * wider than they are: the gaps of X hold NaN (a kernel reading them poisons its output) and
 * the gaps of Y hold the sentinel (a kernel writing them is caught). */
static void test_gemm(const nn_kernels *k, nn_dtype dtype, int rows, int cols)
{
    float *wf = alloc_zeroed((size_t)rows * cols * sizeof *wf);
    nn_matrix *w = random_matrix(rows, cols, dtype, wf);
    const int max_batch = 9, ldx = rows + 3, ldy = cols + 5;
    float *x = alloc_zeroed((size_t)max_batch * ldx * sizeof *x);
    float *y0 = alloc_zeroed((size_t)max_batch * ldy * sizeof *y0);
    float *y_ref = alloc_zeroed((size_t)max_batch * ldy * sizeof *y_ref);
    float *y_simd = alloc_zeroed((size_t)max_batch * ldy * sizeof *y_simd);
    for (int batch = 1; batch <= max_batch; batch++) {
        snprintf(context, sizeof context, "%s gemm %s rows %d cols %d batch %d", k->name, nn_dtype_name(dtype),
                 rows, cols, batch);
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < ldx; i++)
                x[(size_t)b * ldx + i] = i < rows ? rng_uniform(-1.0f, 1.0f) : NAN;
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < ldy; i++)
                y0[(size_t)b * ldy + i] = i < cols ? rng_uniform(-2.0f, 2.0f) : sentinel;
        memcpy(y_ref, y0, (size_t)batch * ldy * sizeof *y0);
        memcpy(y_simd, y0, (size_t)batch * ldy * sizeof *y0);
        nn_kernels_reference.gemm(w, batch, x, ldx, y_ref, ldy);
        k->gemm(w, batch, x, ldx, y_simd, ldy);
        for (int b = 0; b < batch; b++) {
            const float *xb = x + (size_t)b * ldx;
            for (int c = 0; c < cols; c++) {
                double scale = fabs(y0[(size_t)b * ldy + c]);
                for (int r = 0; r < rows; r++)
                    scale += fabs((double)xb[r] * wf[(size_t)r * cols + c]);
                CHECK_CLOSE("gemm", b * ldy + c, y_simd[(size_t)b * ldy + c], y_ref[(size_t)b * ldy + c],
                            GEMV_RTOL * scale);
            }
            check_untouched(y_ref + (size_t)b * ldy + cols, ldy - cols, "reference gemm");
            check_untouched(y_simd + (size_t)b * ldy + cols, ldy - cols, "simd gemm");
        }
    }
    free(y_simd);
    free(y_ref);
    free(y0);
    free(x);
    free(wf);
    nn_matrix_free(w);
}

/* y += row r of W, for every row: exact. */
static void test_add_row(const nn_kernels *k, nn_dtype dtype, int rows, int cols)
{
    float *wf = alloc_zeroed((size_t)rows * cols * sizeof *wf);
    nn_matrix *w = random_matrix(rows, cols, dtype, wf);
    float *y0 = alloc_zeroed((size_t)cols * sizeof *y0);
    float *y_ref = alloc_zeroed((size_t)(cols + GUARD) * sizeof *y_ref);
    float *y_simd = alloc_zeroed((size_t)(cols + GUARD) * sizeof *y_simd);
    snprintf(context, sizeof context, "%s add_row %s rows %d cols %d", k->name, nn_dtype_name(dtype), rows, cols);
    for (int r = 0; r < rows; r++) {
        fill_uniform(y0, cols, -2.0f, 2.0f);
        for (int c = 0; c < cols + GUARD; c++)
            y_ref[c] = y_simd[c] = c < cols ? y0[c] : sentinel;
        nn_kernels_reference.add_row(w, r, y_ref);
        k->add_row(w, r, y_simd);
        for (int c = 0; c < cols; c++) {
            CHECK_CLOSE("add_row", r * cols + c, y_simd[c], y_ref[c], EXACT);
            /* The reference against the unpacked row: one rounding of y0 + w. */
            CHECK_CLOSE("add_row reference", r * cols + c, y_ref[c], y0[c] + wf[(size_t)r * cols + c], EXACT);
        }
        check_untouched(y_ref + cols, GUARD, "reference add_row");
        check_untouched(y_simd + cols, GUARD, "simd add_row");
    }
    free(y_simd);
    free(y_ref);
    free(y0);
    free(wf);
    nn_matrix_free(w);
}

/* ---- Element-wise kernels --------------------------------------------------------------------- */

typedef enum activation {
    ACT_TANH,
    ACT_SIGMOID,
    ACT_RELU,
    ACT_LEAKY_RELU,
    ACT_SOFTPLUS,
    ACT_SOFTMAX,
    ACT_LOG_SOFTMAX,
    ACT_COUNT
} activation;

static const struct {
    const char *name;
    double atol, rtol;
    float params[3]; /* leaky relu's alpha, softmax's 1 / temperature; 0 ends the list */
} activations[ACT_COUNT] = {
    [ACT_TANH] = {"tanh", ACT_ATOL, ACT_RTOL, {1}},
    [ACT_SIGMOID] = {"sigmoid", ACT_ATOL, ACT_RTOL, {1}},
    [ACT_RELU] = {"relu", EXACT, EXACT, {1}},
    [ACT_LEAKY_RELU] = {"leaky_relu", EXACT, EXACT, {0.01f, 0.3f}},
    [ACT_SOFTPLUS] = {"softplus", ACT_ATOL, ACT_RTOL, {1}},
    /* Temperatures 0.5, 1 and 2. */
    [ACT_SOFTMAX] = {"softmax", ACT_ATOL, ACT_RTOL, {2.0f, 1.0f, 0.5f}},
    [ACT_LOG_SOFTMAX] = {"log_softmax", ACT_ATOL, ACT_RTOL, {1}},
};

static void apply(const nn_kernels *k, activation act, float param, const float *x, float *y, int n)
{
    switch (act) {
    case ACT_TANH: k->tanh(x, y, n); break;
    case ACT_SIGMOID: k->sigmoid(x, y, n); break;
    case ACT_RELU: k->relu(x, y, n); break;
    case ACT_LEAKY_RELU: k->leaky_relu(x, y, n, param); break;
    case ACT_SOFTPLUS: k->softplus(x, y, n); break;
    case ACT_SOFTMAX: k->softmax(x, y, n, param); break;
    case ACT_LOG_SOFTMAX: k->log_softmax(x, y, n); break;
    case ACT_COUNT: break;
    }
}

/* Equal, or both NaN. */
static int same_value(float a, float b) { return a == b || (isnan(a) && isnan(b)); }

/* One activation on x[n]: the SIMD output is within tolerance of the reference (and finite, for
 * finite inputs), NaN exactly where the reference gives NaN, and computing in place (y == x,
 * which nn.h allows) gives the same values. */
static void compare_activation(const nn_kernels *k, activation act, float param, const float *x, int n,
                               int finite_inputs)
{
    float *y_ref = alloc_zeroed((size_t)(n + GUARD) * sizeof *y_ref);
    float *y_simd = alloc_zeroed((size_t)(n + GUARD) * sizeof *y_simd);
    float *in_place = alloc_zeroed((size_t)n * sizeof *in_place);
    for (int i = 0; i < n + GUARD; i++)
        y_ref[i] = y_simd[i] = sentinel;
    memcpy(in_place, x, (size_t)n * sizeof *x);
    apply(&nn_kernels_reference, act, param, x, y_ref, n);
    apply(k, act, param, x, y_simd, n);
    apply(k, act, param, in_place, in_place, n);
    const char *name = activations[act].name;
    for (int i = 0; i < n; i++) {
        if (finite_inputs) {
            CHECK(isfinite(y_ref[i]), "reference %s(%.9g) = %.9g", name, (double)x[i], (double)y_ref[i]);
            CHECK(isfinite(y_simd[i]), "%s(%.9g) = %.9g", name, (double)x[i], (double)y_simd[i]);
        }
        if (isnan(y_ref[i]) || isnan(y_simd[i]))
            CHECK(isnan(y_ref[i]) && isnan(y_simd[i]), "%s[%d] of %.9g = %.9g, reference %.9g: NaN only with NaN",
                  name, i, (double)x[i], (double)y_simd[i], (double)y_ref[i]);
        else
            CHECK_CLOSE(name, i, y_simd[i], y_ref[i], activations[act].atol + activations[act].rtol * fabs(y_ref[i]));
        CHECK(same_value(in_place[i], y_simd[i]), "%s in place [%d] = %.9g, out of place %.9g", name, i,
              (double)in_place[i], (double)y_simd[i]);
    }
    check_untouched(y_ref + n, GUARD, "reference activation");
    check_untouched(y_simd + n, GUARD, "simd activation");
    free(in_place);
    free(y_simd);
    free(y_ref);
}

static void test_activations(const nn_kernels *k)
{
    float x[257];
    for (int a = 0; a < ACT_COUNT; a++)
        for (int p = 0; p < 3 && activations[a].params[p] != 0.0f; p++) {
            float param = activations[a].params[p];
            for (int s = 0; s < VECTOR_SIZE_COUNT; s++) {
                int n = vector_sizes[s];
                snprintf(context, sizeof context, "%s %s param %g n %d random", k->name, activations[a].name,
                         (double)param, n);
                fill_uniform(x, n, -10.0f, 10.0f);
                compare_activation(k, (activation)a, param, x, n, 1);
                snprintf(context, sizeof context, "%s %s param %g n %d with extremes", k->name,
                         activations[a].name, (double)param, n);
                fill_with_extremes(x, n, -10.0f, 10.0f);
                compare_activation(k, (activation)a, param, x, n, 1);
            }
            /* The extremes alone, one by one: no neighbour decides a softmax's maximum. */
            for (int e = 0; e < EXTREME_COUNT; e++) {
                snprintf(context, sizeof context, "%s %s param %g of %g", k->name, activations[a].name,
                         (double)param, (double)extremes[e]);
                compare_activation(k, (activation)a, param, &extremes[e], 1, 1);
            }
            snprintf(context, sizeof context, "%s %s param %g all extremes", k->name, activations[a].name,
                     (double)param);
            compare_activation(k, (activation)a, param, extremes, EXTREME_COUNT, 1);
            /* NaN and infinities, in full vectors and in the tail: NaN in, NaN out, as the
             * reference does it (a SIMD min/max can silently turn NaN into a number). */
            for (int s = 0; s < VECTOR_SIZE_COUNT; s++) {
                int n = vector_sizes[s];
                snprintf(context, sizeof context, "%s %s param %g n %d with NaN and infinities", k->name,
                         activations[a].name, (double)param, n);
                fill_with_non_finite(x, n);
                compare_activation(k, (activation)a, param, x, n, 0);
            }
        }
}

/* The LSTM's element-wise part: h and c from gates i, j, f, o and the old c. */
static void compare_lstm_gates(const nn_kernels *k, const float *gates, const float *c0, int units,
                               float forget_bias, int finite_inputs)
{
    float *h_ref = alloc_zeroed((size_t)(units + GUARD) * sizeof *h_ref);
    float *h_simd = alloc_zeroed((size_t)(units + GUARD) * sizeof *h_simd);
    float *c_ref = alloc_zeroed((size_t)(units + GUARD) * sizeof *c_ref);
    float *c_simd = alloc_zeroed((size_t)(units + GUARD) * sizeof *c_simd);
    for (int u = 0; u < units + GUARD; u++) {
        h_ref[u] = h_simd[u] = u < units ? 0.5f : sentinel; /* the old h must not matter */
        c_ref[u] = c_simd[u] = u < units ? c0[u] : sentinel;
    }
    h_simd[0] = -0.25f;
    nn_kernels_reference.lstm_gates(gates, h_ref, c_ref, units, forget_bias);
    k->lstm_gates(gates, h_simd, c_simd, units, forget_bias);
    for (int u = 0; u < units; u++) {
        if (finite_inputs)
            CHECK(isfinite(h_simd[u]) && isfinite(c_simd[u]), "h %.9g c %.9g", (double)h_simd[u], (double)c_simd[u]);
        CHECK(!isnan(h_ref[u]) == !isnan(h_simd[u]) && !isnan(c_ref[u]) == !isnan(c_simd[u]),
              "unit %d: h %.9g c %.9g, reference h %.9g c %.9g: NaN only with NaN", u, (double)h_simd[u],
              (double)c_simd[u], (double)h_ref[u], (double)c_ref[u]);
        /* |h| <= 1; c is c0 * f + i * j with |c0| up to 1e4: absolute plus relative. */
        if (!isnan(h_ref[u]) && !isnan(h_simd[u]))
            CHECK_CLOSE("lstm_gates h", u, h_simd[u], h_ref[u], ACT_ATOL);
        if (!isnan(c_ref[u]) && !isnan(c_simd[u]))
            CHECK_CLOSE("lstm_gates c", u, c_simd[u], c_ref[u], ACT_ATOL + ACT_RTOL * fabs(c_ref[u]));
    }
    check_untouched(h_simd + units, GUARD, "simd lstm_gates h");
    check_untouched(c_simd + units, GUARD, "simd lstm_gates c");
    free(c_simd);
    free(c_ref);
    free(h_simd);
    free(h_ref);
}

static void test_lstm_gates(const nn_kernels *k)
{
    float gates[4 * 257], c0[257];
    const float forget_biases[] = {0.0f, 1.0f};
    for (int b = 0; b < 2; b++)
        for (int s = 0; s < VECTOR_SIZE_COUNT; s++) {
            int units = vector_sizes[s];
            snprintf(context, sizeof context, "%s lstm_gates units %d forget_bias %g random", k->name, units,
                     (double)forget_biases[b]);
            fill_uniform(gates, 4 * units, -6.0f, 6.0f);
            fill_uniform(c0, units, -3.0f, 3.0f);
            compare_lstm_gates(k, gates, c0, units, forget_biases[b], 1);
            snprintf(context, sizeof context, "%s lstm_gates units %d forget_bias %g extremes", k->name, units,
                     (double)forget_biases[b]);
            fill_with_extremes(gates, 4 * units, -6.0f, 6.0f);
            fill_with_extremes(c0, units, -3.0f, 3.0f);
            compare_lstm_gates(k, gates, c0, units, forget_biases[b], 1);
            snprintf(context, sizeof context, "%s lstm_gates units %d forget_bias %g NaN and infinities", k->name,
                     units, (double)forget_biases[b]);
            fill_with_non_finite(gates, 4 * units);
            fill_uniform(c0, units, -3.0f, 3.0f);
            compare_lstm_gates(k, gates, c0, units, forget_biases[b], 0);
        }
}

/* f16 -> f32 is exact: the same bits from both, except that a NaN need only stay a NaN (F16C
 * quiets signalling NaNs; the reference keeps the payload as it is). */
static void compare_f16_to_f32(const nn_kernels *k, const uint16_t *x, int n)
{
    float *y_ref = alloc_zeroed((size_t)(n + GUARD) * sizeof *y_ref);
    float *y_simd = alloc_zeroed((size_t)(n + GUARD) * sizeof *y_simd);
    for (int i = 0; i < n + GUARD; i++)
        y_ref[i] = y_simd[i] = sentinel;
    nn_kernels_reference.f16_to_f32(x, y_ref, n);
    k->f16_to_f32(x, y_simd, n);
    for (int i = 0; i < n; i++) {
        uint32_t bits_ref, bits_simd;
        memcpy(&bits_ref, &y_ref[i], 4);
        memcpy(&bits_simd, &y_simd[i], 4);
        if (isnan(y_ref[i]))
            CHECK(isnan(y_simd[i]), "f16 0x%04x: got %.9g (0x%08x), want NaN", x[i], (double)y_simd[i], bits_simd);
        else
            CHECK(bits_simd == bits_ref, "f16 0x%04x: got %.9g (0x%08x), want %.9g (0x%08x)", x[i],
                  (double)y_simd[i], bits_simd, (double)y_ref[i], bits_ref);
    }
    check_untouched(y_simd + n, GUARD, "simd f16_to_f32");
    free(y_simd);
    free(y_ref);
}

static void test_f16_to_f32(const nn_kernels *k)
{
    uint16_t x[257];
    for (int s = 0; s < VECTOR_SIZE_COUNT; s++) {
        int n = vector_sizes[s];
        snprintf(context, sizeof context, "%s f16_to_f32 n %d", k->name, n);
        for (int i = 0; i < n; i++) /* any bits: zeros, subnormals, normals, infinities, NaNs */
            x[i] = (uint16_t)rng_next();
        compare_f16_to_f32(k, x, n);
    }
    snprintf(context, sizeof context, "%s f16_to_f32 every half", k->name);
    uint16_t *all = alloc_zeroed(65536 * sizeof *all);
    for (int i = 0; i < 65536; i++)
        all[i] = (uint16_t)i;
    compare_f16_to_f32(k, all, 65536);
    free(all);
}

/* ---- Driver ----------------------------------------------------------------------------------- */

static void test_kernel_set(const nn_kernels *k)
{
    snprintf(context, sizeof context, "%s table", k->name);
    int complete = k->gemv && k->gemm && k->add_row && k->tanh && k->sigmoid && k->relu && k->leaky_relu &&
                   k->softplus && k->softmax && k->log_softmax && k->lstm_gates && k->f16_to_f32;
    CHECK(complete, "an entry of the kernel table is NULL");
    if (!complete)
        return;
    const nn_dtype dtypes[] = {NN_F32, NN_F16};
    for (int d = 0; d < 2; d++)
        for (int r = 0; r < SIZE_COUNT; r++)
            for (int c = 0; c < SIZE_COUNT; c++) {
                test_gemv(k, dtypes[d], sizes[r], sizes[c]);
                test_gemm(k, dtypes[d], sizes[r], sizes[c]);
                test_add_row(k, dtypes[d], sizes[r], sizes[c]);
            }
    test_activations(k);
    test_lstm_gates(k);
    test_f16_to_f32(k);
}

int main(void)
{
    const nn_kernels *sets[2];
    int set_count = simd_kernel_sets(sets, "test_kernels");
    for (int s = 0; s < set_count; s++)
        test_kernel_set(sets[s]);

    if (getenv("NN_TEST_VERBOSE"))
        for (size_t i = 0; i < sizeof worst / sizeof worst[0] && worst[i].what; i++)
            printf("  worst error / tolerance, %-18s %.3g\n", worst[i].what, worst[i].ratio);
    return kernel_sets_summary("test_kernels", sets, set_count);
}
