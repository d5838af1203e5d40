/* test_layers.c — dense, embedding, LSTM and GRU layers against naive maths; f16; FP mode; SIMD selection.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#include "nn.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_SEED 0x6a09e667f3bcc909ull /* fixed: every run tests the same values */
#include "../check.h"

enum { RATIO_DENSE, RATIO_BATCH, RATIO_STEP, RATIO_TRAJECTORY, RATIO_COUNT };
static double worst_ratio[RATIO_COUNT]; /* largest error / tolerance per kind, for NN_TEST_VERBOSE */
static const char *const ratio_names[RATIO_COUNT] = {"dense", "dense_batch vs dense", "recurrent step",
                                                     "20-step trajectory"};

static void check_close_at(const char *file, int line, int kind, const char *what, int index, double got,
                           double want, double tol)
{
    checks++;
    double diff = fabs(got - want);
    if (tol > 0.0 && diff / tol > worst_ratio[kind])
        worst_ratio[kind] = diff / tol;
    if (got == want || diff <= tol) /* == first: equal infinities have a NaN difference */
        return;
    failures++;
    if (should_report())
        fprintf(stderr, "%s:%d: [%s] %s[%d] = %.9g, want %.9g (difference %.3g, tolerance %.3g)\n", file, line,
                context, what, index, got, want, diff, tol);
}
#define CHECK_CLOSE(kind, what, index, got, want, tol) \
    check_close_at(__FILE__, __LINE__, kind, what, index, got, want, tol)

/* ---- Tolerances, and why -------------------------------------------------------------------
 * The naive maths below runs in double on the matrices' stored (for f16, rounded) weights, so
 * what remains is the engine's f32 arithmetic.
 * A dot product of n terms in f32 is within n·2^-24 of exact relative to the sum of |terms| in
 * the worst case (1.5e-5 for n = 257), typically sqrt(n)·2^-24: 1e-5 of the sum of |terms|. */
#define DOT_RTOL 1e-5
/* One recurrent step: gate pre-activations carry the dot-product error (sum of |terms| kept
 * below ~4 by the weight scale), sigmoid and tanh have slopes <= 1 and the SIMD ones add 2e-6:
 * 5e-5 on h, and on c relative to 1 + |c| since c = c·f + i·j carries its own magnitude. */
#define STEP_ATOL 5e-5
/* 20 steps with the naive state carried on its own in double: the per-step errors add up (the
 * cells are contractive at this weight scale, so they do not grow): 20 times one step's. */
#define TRAJECTORY_ATOL 1e-3

/* ---- Inputs ----------------------------------------------------------------------------------- */

static void *alloc_zeroed(size_t size)
{
    void *p = calloc(1, size ? size : 1); /* zeroed, so GCC need not prove each buffer is filled */
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* A [rows, cols] matrix of values in ±scale; `stored` receives what the matrix holds (for f16
 * the rounded values), read back through nn_matrix_unpack. */
static nn_matrix *random_matrix(int rows, int cols, nn_dtype dtype, float scale, float *stored)
{
    float *data = alloc_zeroed((size_t)rows * cols * sizeof *data);
    fill_uniform(data, rows * cols, -scale, scale);
    nn_matrix *w = NULL;
    nn_status st = nn_matrix_new(rows, cols, dtype, data, &w);
    free(data);
    if (st != NN_OK) {
        fprintf(stderr, "nn_matrix_new(%d, %d, %s): %s\n", rows, cols, nn_dtype_name(dtype), nn_status_text(st));
        exit(2);
    }
    nn_matrix_unpack(w, stored);
    return w;
}

static uint32_t float_bits(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

static const int sizes[] = {1, 7, 16, 33, 257};
#define SIZE_COUNT ((int)(sizeof sizes / sizeof sizes[0]))
static const nn_dtype dtypes[] = {NN_F32, NN_F16};

/* ---- Naive maths, in double --------------------------------------------------------------------- */

/* y[c] += Σ x[r] · W[row0 + r][c] over nrows rows of a row-major [*, cols] matrix; scale[c] (if
 * not NULL) accumulates Σ |terms|, the yardstick of the f32 rounding error. */
static void naive_matvec(const float *w, int cols, int row0, int nrows, const double *x, double *y, double *scale)
{
    for (int c = 0; c < cols; c++)
        for (int r = 0; r < nrows; r++) {
            double term = x[r] * w[(size_t)(row0 + r) * cols + c];
            y[c] += term;
            if (scale)
                scale[c] += fabs(term);
        }
}

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* nn.h's LSTM: gates = [x, h] · kernel + bias in the order i, j, f, o;
 * c' = c·sigmoid(f + forget_bias) + sigmoid(i)·tanh(j); h' = tanh(c')·sigmoid(o). */
static void naive_lstm_step(const float *kernel, const float *bias, int input, int units, float forget_bias,
                            const double *x, double *h, double *c)
{
    double *g = alloc_zeroed(4 * (size_t)units * sizeof *g);
    for (int k = 0; k < 4 * units; k++)
        g[k] = bias[k];
    naive_matvec(kernel, 4 * units, 0, input, x, g, NULL);
    naive_matvec(kernel, 4 * units, input, units, h, g, NULL);
    for (int k = 0; k < units; k++) {
        double i = sigmoid(g[k]), j = tanh(g[units + k]);
        double f = sigmoid(g[2 * units + k] + forget_bias), o = sigmoid(g[3 * units + k]);
        c[k] = c[k] * f + i * j;
        h[k] = tanh(c[k]) * o;
    }
    free(g);
}

/* nn.h's GRU: r, u = sigmoid([x, h] · gate_kernel + gate_bias);
 * reset_after 0: n = tanh(x·Wx + (r·h)·Wh + b + bh); 1: n = tanh(x·Wx + b + r·(h·Wh + bh));
 * h' = u·h + (1 - u)·n. bh may be NULL. */
static void naive_gru_step(const float *gate_kernel, const float *gate_bias, const float *cand_kernel,
                           const float *cand_bias, const float *cand_hidden_bias, int input, int units,
                           int reset_after, const double *x, double *h)
{
    double *g = alloc_zeroed(2 * (size_t)units * sizeof *g);
    double *n = alloc_zeroed((size_t)units * sizeof *n);
    double *hidden = alloc_zeroed((size_t)units * sizeof *hidden);
    double *rh = alloc_zeroed((size_t)units * sizeof *rh);
    for (int k = 0; k < 2 * units; k++)
        g[k] = gate_bias[k];
    naive_matvec(gate_kernel, 2 * units, 0, input, x, g, NULL);
    naive_matvec(gate_kernel, 2 * units, input, units, h, g, NULL);
    for (int k = 0; k < 2 * units; k++)
        g[k] = sigmoid(g[k]);
    const double *r = g, *u = g + units;
    for (int k = 0; k < units; k++) {
        n[k] = cand_bias[k];
        hidden[k] = cand_hidden_bias ? cand_hidden_bias[k] : 0.0;
        rh[k] = r[k] * h[k];
    }
    naive_matvec(cand_kernel, units, 0, input, x, n, NULL);
    naive_matvec(cand_kernel, units, input, units, reset_after ? h : rh, hidden, NULL);
    for (int k = 0; k < units; k++) {
        n[k] = tanh(n[k] + (reset_after ? r[k] * hidden[k] : hidden[k]));
        h[k] = u[k] * h[k] + (1.0 - u[k]) * n[k];
    }
    free(rh);
    free(hidden);
    free(n);
    free(g);
}

static void to_double(const float *x, double *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = x[i];
}

/* ---- Matrices ----------------------------------------------------------------------------------- */

/* unpack(new(data)) gives data back for f32, and data rounded to f16 (round to nearest even)
 * for f16, including values that overflow f16 to infinity. */
static void test_matrix_round_trip(void)
{
    for (int d = 0; d < 2; d++)
        for (int r = 0; r < SIZE_COUNT; r++)
            for (int c = 0; c < SIZE_COUNT; c++) {
                int rows = sizes[r], cols = sizes[c];
                snprintf(context, sizeof context, "matrix %s rows %d cols %d", nn_dtype_name(dtypes[d]), rows, cols);
                size_t count = (size_t)rows * cols;
                float *data = alloc_zeroed(count * sizeof *data), *back = alloc_zeroed(count * sizeof *back);
                fill_uniform(data, (int)count, -4.0f, 4.0f);
                data[count / 2] = 1e5f;     /* beyond f16's range */
                data[count - 1] = 3e-7f;    /* an f16 subnormal */
                nn_matrix *m = NULL;
                nn_status st = nn_matrix_new(rows, cols, dtypes[d], data, &m);
                CHECK(st == NN_OK && m, "nn_matrix_new: %s", nn_status_text(st));
                if (!m) {
                    free(back);
                    free(data);
                    continue;
                }
                CHECK(nn_matrix_rows(m) == rows && nn_matrix_cols(m) == cols && nn_matrix_dtype(m) == dtypes[d],
                      "shape %d x %d %s", nn_matrix_rows(m), nn_matrix_cols(m), nn_dtype_name(nn_matrix_dtype(m)));
                CHECK(nn_matrix_bytes(m) >= count * nn_dtype_size(dtypes[d]), "%zu bytes", nn_matrix_bytes(m));
                nn_matrix_unpack(m, back);
                for (size_t i = 0; i < count; i++) {
                    float want = dtypes[d] == NN_F16 ? nn_f16_to_f32(nn_f32_to_f16(data[i])) : data[i];
                    CHECK(memcmp(&back[i], &want, sizeof want) == 0, "[%zu] = %.9g, want %.9g", i,
                          (double)back[i], (double)want);
                }
                nn_matrix_free(m);
                free(back);
                free(data);
            }

    snprintf(context, sizeof context, "nn_matrix_new arguments");
    float one = 1.0f;
    nn_matrix *m = (nn_matrix *)(void *)&one; /* must be reset to NULL on failure */
    CHECK(nn_matrix_new(0, 1, NN_F32, &one, &m) == NN_ERR_ARGUMENT && !m, "rows 0");
    CHECK(nn_matrix_new(1, -1, NN_F32, &one, &m) == NN_ERR_ARGUMENT && !m, "cols -1");
    CHECK(nn_matrix_new(1, 1, NN_F32, NULL, &m) == NN_ERR_ARGUMENT && !m, "NULL data");
    CHECK(nn_matrix_new(1, 1, (nn_dtype)7, &one, &m) == NN_ERR_ARGUMENT && !m, "dtype 7");
    CHECK(nn_matrix_new(1, 1, NN_F32, &one, NULL) == NN_ERR_ARGUMENT, "NULL out");
}

/* ---- Layers ------------------------------------------------------------------------------------- */

/* nn_dense and nn_dense_batch against Σ x·W + bias, with and without a bias; every row of a
 * batch equals nn_dense on that row. */
static void test_dense(const char *set, nn_dtype dtype, int rows, int cols)
{
    float *w_stored = alloc_zeroed((size_t)rows * cols * sizeof *w_stored);
    nn_matrix *w = random_matrix(rows, cols, dtype, 1.0f, w_stored);
    const int max_batch = 9;
    float *bias = alloc_zeroed((size_t)cols * sizeof *bias);
    float *x = alloc_zeroed((size_t)max_batch * rows * sizeof *x);
    float *y = alloc_zeroed((size_t)cols * sizeof *y);
    float *y_batch = alloc_zeroed((size_t)max_batch * cols * sizeof *y_batch);
    double *xd = alloc_zeroed((size_t)rows * sizeof *xd);
    double *want = alloc_zeroed((size_t)cols * sizeof *want), *scale = alloc_zeroed((size_t)cols * sizeof *scale);
    fill_uniform(bias, cols, -1.0f, 1.0f);
    fill_uniform(x, max_batch * rows, -1.0f, 1.0f);

    for (int with_bias = 0; with_bias < 2; with_bias++) {
        const float *b = with_bias ? bias : NULL;
        for (int batch = 1; batch <= max_batch; batch++) {
            snprintf(context, sizeof context, "%s dense %s rows %d cols %d batch %d%s", set, nn_dtype_name(dtype),
                     rows, cols, batch, with_bias ? "" : " no bias");
            for (int i = 0; i < batch * cols; i++)
                y_batch[i] = NAN; /* must be overwritten, not accumulated into */
            nn_dense_batch(w, b, batch, x, y_batch);
            for (int row = 0; row < batch; row++) {
                for (int c = 0; c < cols; c++)
                    y[c] = NAN;
                nn_dense(w, b, x + (size_t)row * rows, y);
                to_double(x + (size_t)row * rows, xd, rows);
                for (int c = 0; c < cols; c++) {
                    want[c] = b ? b[c] : 0.0;
                    scale[c] = fabs(want[c]);
                }
                naive_matvec(w_stored, cols, 0, rows, xd, want, scale);
                for (int c = 0; c < cols; c++) {
                    CHECK_CLOSE(RATIO_DENSE, "nn_dense", c, y[c], want[c], DOT_RTOL * scale[c]);
                    CHECK_CLOSE(RATIO_DENSE, "nn_dense_batch", row * cols + c, y_batch[(size_t)row * cols + c],
                                want[c], DOT_RTOL * scale[c]);
                    /* Batch and single sum in different orders: each within the bound of exact. */
                    CHECK_CLOSE(RATIO_BATCH, "nn_dense_batch vs nn_dense", row * cols + c,
                                y_batch[(size_t)row * cols + c], y[c], 2 * DOT_RTOL * scale[c]);
                }
            }
        }
    }
    free(scale);
    free(want);
    free(xd);
    free(y_batch);
    free(y);
    free(x);
    free(bias);
    free(w_stored);
    nn_matrix_free(w);
}

/* A row in range is copied exactly; an index out of range gives zeros. */
static void test_embedding(const char *set, nn_dtype dtype, int rows, int cols)
{
    snprintf(context, sizeof context, "%s embedding %s rows %d cols %d", set, nn_dtype_name(dtype), rows, cols);
    float *table = alloc_zeroed((size_t)rows * cols * sizeof *table);
    nn_matrix *w = random_matrix(rows, cols, dtype, 3.0f, table);
    float *out = alloc_zeroed((size_t)cols * sizeof *out);
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++)
            out[c] = NAN;
        nn_embedding(w, r, out);
        CHECK(memcmp(out, table + (size_t)r * cols, (size_t)cols * sizeof *out) == 0, "row %d differs", r);
    }
    const int outside[] = {-1, rows, rows + 1000, INT_MIN, INT_MAX};
    for (size_t q = 0; q < sizeof outside / sizeof outside[0]; q++) {
        for (int c = 0; c < cols; c++)
            out[c] = NAN;
        nn_embedding(w, outside[q], out);
        for (int c = 0; c < cols; c++)
            CHECK(out[c] == 0.0f, "index %d: [%d] = %.9g, want 0", outside[q], c, (double)out[c]);
    }
    free(out);
    free(table);
    nn_matrix_free(w);
}

static const int cell_shapes[][2] = {{1, 1}, {5, 7}, {16, 8}, {33, 37}, {20, 64}}; /* input, units */
#define CELL_SHAPE_COUNT ((int)(sizeof cell_shapes / sizeof cell_shapes[0]))
#define STEPS 20

/* 20 steps of nn_lstm_step on random inputs, h and c carried: each step against the naive step
 * from the engine's own previous state (tight), and the whole run against a naive run that
 * carries its own state (looser). */
static void test_lstm(const char *set, nn_dtype dtype, int input, int units, float forget_bias)
{
    snprintf(context, sizeof context, "%s lstm %s input %d units %d forget_bias %g", set, nn_dtype_name(dtype),
             input, units, (double)forget_bias);
    int rows = input + units, cols = 4 * units;
    float *kernel = alloc_zeroed((size_t)rows * cols * sizeof *kernel);
    nn_matrix *w = random_matrix(rows, cols, dtype, 1.5f / sqrtf((float)rows), kernel);
    float *bias = alloc_zeroed((size_t)cols * sizeof *bias);
    fill_uniform(bias, cols, -0.5f, 0.5f);
    nn_lstm_cell cell = {.kernel = w, .bias = bias, .input = input, .units = units, .forget_bias = forget_bias};
    CHECK(nn_lstm_work_size(&cell) >= 4 * (size_t)units, "work size %zu", nn_lstm_work_size(&cell));
    float *work = alloc_zeroed(nn_lstm_work_size(&cell) * sizeof *work);
    float *x = alloc_zeroed((size_t)input * sizeof *x), *h = alloc_zeroed((size_t)units * sizeof *h);
    float *c = alloc_zeroed((size_t)units * sizeof *c);
    double *xd = alloc_zeroed((size_t)input * sizeof *xd);
    double *h_step = alloc_zeroed((size_t)units * sizeof *h_step);
    double *c_step = alloc_zeroed((size_t)units * sizeof *c_step);
    double *h_run = alloc_zeroed((size_t)units * sizeof *h_run), *c_run = alloc_zeroed((size_t)units * sizeof *c_run);
    for (int k = 0; k < units; k++) {
        h[k] = rng_uniform(-0.5f, 0.5f);
        c[k] = rng_uniform(-2.0f, 2.0f);
        h_run[k] = h[k];
        c_run[k] = c[k];
    }
    for (int step = 0; step < STEPS; step++) {
        fill_uniform(x, input, -1.0f, 1.0f);
        to_double(x, xd, input);
        to_double(h, h_step, units);
        to_double(c, c_step, units);
        naive_lstm_step(kernel, bias, input, units, forget_bias, xd, h_step, c_step);
        naive_lstm_step(kernel, bias, input, units, forget_bias, xd, h_run, c_run);
        nn_lstm_step(&cell, x, h, c, work);
        for (int k = 0; k < units; k++) {
            CHECK_CLOSE(RATIO_STEP, "lstm h", step * units + k, h[k], h_step[k], STEP_ATOL);
            CHECK_CLOSE(RATIO_STEP, "lstm c", step * units + k, c[k], c_step[k], STEP_ATOL * (1 + fabs(c_step[k])));
            CHECK_CLOSE(RATIO_TRAJECTORY, "lstm run h", step * units + k, h[k], h_run[k], TRAJECTORY_ATOL);
            CHECK_CLOSE(RATIO_TRAJECTORY, "lstm run c", step * units + k, c[k], c_run[k],
                        TRAJECTORY_ATOL * (1 + fabs(c_run[k])));
        }
    }
    free(c_run);
    free(h_run);
    free(c_step);
    free(h_step);
    free(xd);
    free(c);
    free(h);
    free(x);
    free(work);
    free(bias);
    free(kernel);
    nn_matrix_free(w);
}

/* nn_lstm_step_onehot(index) against nn_lstm_step on the one-hot vector, 20 steps, states
 * carried separately: bit for bit, since x·W over a one-hot x adds the single term 1·W[index]
 * (the zero products add nothing) and add_row adds that same row. Out of range = all zeros. */
static void test_lstm_onehot(const char *set, nn_dtype dtype, int input, int units, float forget_bias)
{
    snprintf(context, sizeof context, "%s lstm one-hot %s input %d units %d forget_bias %g", set,
             nn_dtype_name(dtype), input, units, (double)forget_bias);
    int rows = input + units, cols = 4 * units;
    float *kernel = alloc_zeroed((size_t)rows * cols * sizeof *kernel);
    nn_matrix *w = random_matrix(rows, cols, dtype, 1.5f / sqrtf((float)rows), kernel);
    float *bias = alloc_zeroed((size_t)cols * sizeof *bias);
    fill_uniform(bias, cols, -0.5f, 0.5f);
    nn_lstm_cell cell = {.kernel = w, .bias = bias, .input = input, .units = units, .forget_bias = forget_bias};
    float *work = alloc_zeroed(nn_lstm_work_size(&cell) * sizeof *work);
    float *onehot = alloc_zeroed((size_t)input * sizeof *onehot);
    float *h_vec = alloc_zeroed((size_t)units * sizeof *h_vec), *c_vec = alloc_zeroed((size_t)units * sizeof *c_vec);
    float *h_hot = alloc_zeroed((size_t)units * sizeof *h_hot), *c_hot = alloc_zeroed((size_t)units * sizeof *c_hot);
    for (int k = 0; k < units; k++) {
        h_vec[k] = h_hot[k] = rng_uniform(-0.5f, 0.5f);
        c_vec[k] = c_hot[k] = rng_uniform(-2.0f, 2.0f);
    }
    for (int step = 0; step < STEPS; step++) {
        /* Mostly in range; steps 5 and 13 use -1 and `input`, which act as an all-zero input. */
        int index = step == 5 ? -1 : step == 13 ? input : (int)(rng_next() % (uint64_t)input);
        for (int i = 0; i < input; i++)
            onehot[i] = i == index ? 1.0f : 0.0f;
        nn_lstm_step(&cell, onehot, h_vec, c_vec, work);
        nn_lstm_step_onehot(&cell, index, h_hot, c_hot, work);
        for (int k = 0; k < units; k++)
            CHECK(h_hot[k] == h_vec[k] && c_hot[k] == c_vec[k],
                  "step %d index %d unit %d: one-hot h %.9g c %.9g, vector h %.9g c %.9g", step, index, k,
                  (double)h_hot[k], (double)c_hot[k], (double)h_vec[k], (double)c_vec[k]);
    }
    free(c_hot);
    free(h_hot);
    free(c_vec);
    free(h_vec);
    free(onehot);
    free(work);
    free(bias);
    free(kernel);
    nn_matrix_free(w);
}

/* 20 steps of nn_gru_step, as test_lstm does it. */
static void test_gru(const char *set, nn_dtype dtype, int input, int units, int reset_after, int hidden_bias)
{
    snprintf(context, sizeof context, "%s gru %s input %d units %d reset_after %d%s", set, nn_dtype_name(dtype),
             input, units, reset_after, hidden_bias ? " with candidate_hidden_bias" : "");
    int rows = input + units;
    float scale = 1.5f / sqrtf((float)rows);
    float *gate_kernel = alloc_zeroed((size_t)rows * 2 * units * sizeof *gate_kernel);
    float *cand_kernel = alloc_zeroed((size_t)rows * units * sizeof *cand_kernel);
    nn_matrix *gw = random_matrix(rows, 2 * units, dtype, scale, gate_kernel);
    nn_matrix *cw = random_matrix(rows, units, dtype, scale, cand_kernel);
    float *gate_bias = alloc_zeroed(2 * (size_t)units * sizeof *gate_bias);
    float *cand_bias = alloc_zeroed((size_t)units * sizeof *cand_bias);
    float *cand_hidden_bias = alloc_zeroed((size_t)units * sizeof *cand_hidden_bias);
    fill_uniform(gate_bias, 2 * units, -0.5f, 0.5f);
    fill_uniform(cand_bias, units, -0.5f, 0.5f);
    fill_uniform(cand_hidden_bias, units, -0.5f, 0.5f);
    const float *bh = hidden_bias ? cand_hidden_bias : NULL;
    nn_gru_cell cell = {.gate_kernel = gw, .gate_bias = gate_bias, .candidate_kernel = cw,
                        .candidate_bias = cand_bias, .candidate_hidden_bias = bh, .input = input,
                        .units = units, .reset_after = reset_after};
    float *work = alloc_zeroed(nn_gru_work_size(&cell) * sizeof *work);
    float *x = alloc_zeroed((size_t)input * sizeof *x), *h = alloc_zeroed((size_t)units * sizeof *h);
    double *xd = alloc_zeroed((size_t)input * sizeof *xd);
    double *h_step = alloc_zeroed((size_t)units * sizeof *h_step);
    double *h_run = alloc_zeroed((size_t)units * sizeof *h_run);
    for (int k = 0; k < units; k++)
        h_run[k] = h[k] = rng_uniform(-0.8f, 0.8f);
    for (int step = 0; step < STEPS; step++) {
        fill_uniform(x, input, -1.0f, 1.0f);
        to_double(x, xd, input);
        to_double(h, h_step, units);
        naive_gru_step(gate_kernel, gate_bias, cand_kernel, cand_bias, bh, input, units, reset_after, xd, h_step);
        naive_gru_step(gate_kernel, gate_bias, cand_kernel, cand_bias, bh, input, units, reset_after, xd, h_run);
        nn_gru_step(&cell, x, h, work);
        for (int k = 0; k < units; k++) {
            CHECK_CLOSE(RATIO_STEP, "gru h", step * units + k, h[k], h_step[k], STEP_ATOL);
            CHECK_CLOSE(RATIO_TRAJECTORY, "gru run h", step * units + k, h[k], h_run[k], TRAJECTORY_ATOL);
        }
    }
    free(h_run);
    free(h_step);
    free(xd);
    free(h);
    free(x);
    free(work);
    free(cand_hidden_bias);
    free(cand_bias);
    free(gate_bias);
    nn_matrix_free(cw);
    nn_matrix_free(gw);
    free(cand_kernel);
    free(gate_kernel);
}

static void test_layers_on(const char *set)
{
    for (int d = 0; d < 2; d++) {
        for (int r = 0; r < SIZE_COUNT; r++)
            for (int c = 0; c < SIZE_COUNT; c++) {
                test_dense(set, dtypes[d], sizes[r], sizes[c]);
                test_embedding(set, dtypes[d], sizes[r], sizes[c]);
            }
        for (int s = 0; s < CELL_SHAPE_COUNT; s++) {
            int input = cell_shapes[s][0], units = cell_shapes[s][1];
            for (int fb = 0; fb < 2; fb++) {
                test_lstm(set, dtypes[d], input, units, fb ? 1.0f : 0.0f);
                test_lstm_onehot(set, dtypes[d], input, units, fb ? 1.0f : 0.0f);
            }
            for (int reset_after = 0; reset_after < 2; reset_after++)
                for (int hidden_bias = 0; hidden_bias < 2; hidden_bias++)
                    test_gru(set, dtypes[d], input, units, reset_after, hidden_bias);
        }
    }
}

/* ---- f16 ------------------------------------------------------------------------------------------ */

/* A half's value by definition: 2^(e-15)·(1 + m/1024), or 2^-14·m/1024 when e = 0. */
static double half_value(uint16_t h)
{
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double sign = (h & 0x8000) ? -1.0 : 1.0;
    if (e == 0x1f)
        return m ? NAN : sign * INFINITY;
    return sign * (e ? ldexp(1024 + m, e - 25) : ldexp(m, -24));
}

static int half_is_nan(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0; }

/* The nearest half to a non-NaN float, ties to the even bit pattern, by search over the
 * positive halves (whose values grow with their bits). 0x7c00 stands for 2^16, where the
 * exponent would go on: a value that rounds to it overflows to infinity, as IEEE 754 says. */
static uint16_t nearest_half(float f)
{
    uint16_t sign = signbit(f) ? 0x8000 : 0;
    double a = fabs((double)f);
    if (a >= 65536.0)
        return sign | 0x7c00;
    int lo = 0, hi = 0x7c00; /* value(lo) <= a < value(hi), with value(0x7c00) = 65536 */
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (half_value((uint16_t)mid) <= a)
            lo = mid;
        else
            hi = mid;
    }
    double below = a - half_value((uint16_t)lo), above = (hi == 0x7c00 ? 65536.0 : half_value((uint16_t)hi)) - a;
    int pick = below < above ? lo : above < below ? hi : (lo % 2 == 0 ? lo : hi);
    return (uint16_t)(sign | pick);
}

static void check_to_half(float f, uint16_t want)
{
    uint16_t got = nn_f32_to_f16(f);
    CHECK(got == want, "nn_f32_to_f16(%.9g = 0x%08x) = 0x%04x, want 0x%04x", (double)f, float_bits(f), got, want);
}

static void test_f16(void)
{
    snprintf(context, sizeof context, "f16 every half");
    for (int i = 0; i < 65536; i++) {
        uint16_t h = (uint16_t)i;
        float f = nn_f16_to_f32(h);
        double want = half_value(h);
        if (half_is_nan(h)) {
            CHECK(isnan(f), "nn_f16_to_f32(0x%04x) = %.9g, want NaN", h, (double)f);
            CHECK(half_is_nan(nn_f32_to_f16(f)), "0x%04x -> %.9g -> 0x%04x, want a NaN", h, (double)f,
                  nn_f32_to_f16(f));
            continue;
        }
        CHECK(f == want && !signbit(f) == !(h & 0x8000), "nn_f16_to_f32(0x%04x) = %.9g, want %.9g", h, (double)f,
              want);
        CHECK(nn_f32_to_f16(f) == h, "0x%04x -> %.9g -> 0x%04x", h, (double)f, nn_f32_to_f16(f));
    }

    /* Hand-worked cases: ties go to the even pattern; 65504 is the largest finite half and
     * 65520, halfway to the next step, rounds (to even) to infinity; 2^-24 is the smallest
     * subnormal and 2^-25, halfway to zero, rounds (to even) to zero. */
    snprintf(context, sizeof context, "f32 -> f16 hand-worked");
    const struct {
        float f;
        uint16_t half;
    } cases[] = {
        {0.0f, 0x0000}, {-0.0f, 0x8000}, {1.0f, 0x3c00}, {-2.0f, 0xc000}, {0.5f, 0x3800},
        {1.0f + 0x1p-11f, 0x3c00},        /* tie between 0x3c00 and 0x3c01: even */
        {1.0f + 3 * 0x1p-11f, 0x3c02},    /* tie between 0x3c01 and 0x3c02: even */
        {1.0f + 0x1p-11f + 0x1p-23f, 0x3c01}, /* just above the tie */
        {65504.0f, 0x7bff}, {-65504.0f, 0xfbff}, {65519.996f, 0x7bff}, {65520.0f, 0x7c00}, {-65520.0f, 0xfc00},
        {65536.0f, 0x7c00}, {1e10f, 0x7c00}, {FLT_MAX, 0x7c00}, {-FLT_MAX, 0xfc00}, {INFINITY, 0x7c00},
        {-INFINITY, 0xfc00},
        {0x1p-14f, 0x0400},               /* smallest normal */
        {0x1p-24f, 0x0001}, {-0x1p-24f, 0x8001}, /* smallest subnormal */
        {0x1p-25f, 0x0000}, {-0x1p-25f, 0x8000}, /* tie with zero: even */
        {0x1p-25f + 0x1p-48f, 0x0001},    /* just above it */
        {3 * 0x1p-25f, 0x0002},           /* tie between 1 and 2: even */
        {5 * 0x1p-25f, 0x0002},           /* tie between 2 and 3: even */
        {1023 * 0x1p-24f, 0x03ff},        /* largest subnormal */
        {1023.5f * 0x1p-24f, 0x0400},     /* tie between it and the smallest normal: even */
        {1e-30f, 0x0000}, {-1e-30f, 0x8000}, {FLT_MIN, 0x0000}, {1e-40f, 0x0000}, /* underflow */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_to_half(cases[i].f, cases[i].half);
    CHECK(half_is_nan(nn_f32_to_f16(NAN)) && half_is_nan(nn_f32_to_f16(-NAN)), "NaN gives 0x%04x",
          nn_f32_to_f16(NAN));

    /* Every tie between neighbouring halves (the midpoints are exact floats), a float either side
     * of it, both signs; then random floats across and beyond f16's range. */
    snprintf(context, sizeof context, "f32 -> f16 against nearest_half");
    for (int k = 0; k < 0x7c00; k++) {
        double next = k + 1 == 0x7c00 ? 65536.0 : half_value((uint16_t)(k + 1));
        float mid = (float)((half_value((uint16_t)k) + next) / 2);
        const float probes[] = {mid, nextafterf(mid, 0.0f), nextafterf(mid, INFINITY)};
        for (int p = 0; p < 3; p++) {
            check_to_half(probes[p], nearest_half(probes[p]));
            check_to_half(-probes[p], nearest_half(-probes[p]));
        }
    }
    for (int i = 0; i < 1000000; i++) {
        uint32_t bits = (uint32_t)rng_next();
        if (i % 2) /* half the probes with exponents 2^-27 .. 2^17, where halves live */
            bits = (bits & 0x807fffffu) | ((uint32_t)(100 + (rng_next() % 45)) << 23);
        float f;
        memcpy(&f, &bits, sizeof f);
        if (!isnan(f))
            check_to_half(f, nearest_half(f));
    }
}

/* ---- Floating-point mode and kernel selection --------------------------------------------------- */

static void test_fp_mode(void)
{
    snprintf(context, sizeof context, "nn_fp_enter / nn_fp_leave");
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
    /* volatile: the products must be computed at run time, under the mode of the moment. The
     * results are compared by their bits: under denormals-are-zero, 0 == 1e-40f holds. */
    volatile float denormal = 1e-40f, one = 1.0f;
    volatile float before = denormal * one;
    nn_fp_state outer = nn_fp_enter();
    volatile float inside = denormal * one;
    nn_fp_state inner = nn_fp_enter(); /* nested: leaving the inner one keeps the outer mode */
    nn_fp_leave(inner);
    volatile float still_inside = denormal * one;
    nn_fp_leave(outer);
    volatile float after = denormal * one;
    const uint32_t denormal_bits = float_bits(1e-40f);
    CHECK(float_bits(before) == denormal_bits, "before: %g", (double)before);
    CHECK(float_bits(inside) == 0, "inside: %g, want 0", (double)inside);
    CHECK(float_bits(still_inside) == 0, "after leaving a nested enter: %g, want 0", (double)still_inside);
    CHECK(float_bits(after) == denormal_bits, "after leave: %g, want 1e-40", (double)after);
#else
    printf("test_layers: no flush-to-zero on this architecture; nn_fp_enter not tested\n");
#endif
}

/* The kernel sets this build has: every name nn_simd_select may accept here. */
#if defined(__x86_64__) || defined(__i386__)
static const char *const set_names[] = {"reference", "sse2", "avx2"};
#else
static const char *const set_names[] = {"reference", "neon"};
#endif
#define SET_NAME_COUNT ((int)(sizeof set_names / sizeof set_names[0]))

static void test_simd_select(void)
{
    snprintf(context, sizeof context, "nn_simd_select");
    CHECK(nn_simd_select("reference") == NN_OK, "reference refused");
    CHECK(!strcmp(nn_simd_active(), "reference"), "active %s after selecting reference", nn_simd_active());
    CHECK(nn_simd_select("bogus") == NN_ERR_ARGUMENT, "bogus accepted");
    CHECK(nn_simd_select(NULL) == NN_ERR_ARGUMENT, "NULL accepted");
    CHECK(!strcmp(nn_simd_active(), "reference"), "a refused name changed the set to %s", nn_simd_active());
    CHECK(nn_simd_select("auto") == NN_OK, "auto refused");
    const char *best = nn_simd_active();
#if defined(__x86_64__) || defined(__i386__)
    int avx2 = cpu_has_avx2_fma_f16c();
    CHECK(!strcmp(best, avx2 ? "avx2" : "sse2"), "auto chose %s", best);
    CHECK(nn_simd_select("avx2") == (avx2 ? NN_OK : NN_ERR_ARGUMENT), "avx2 on a CPU %s it",
          avx2 ? "with" : "without");
    CHECK(nn_simd_select("neon") == NN_ERR_ARGUMENT, "neon accepted on x86");
#else
    CHECK(!strcmp(best, "neon"), "auto chose %s", best);
#endif
}

int main(void)
{
    test_simd_select();
    test_fp_mode();
    test_f16();
    test_matrix_round_trip();
    char sets_run[64] = "";
    for (int s = 0; s < SET_NAME_COUNT; s++) {
        if (nn_simd_select(set_names[s]) != NN_OK) {
            printf("test_layers: kernel set %s not available here\n", set_names[s]);
            continue;
        }
        test_layers_on(set_names[s]);
        size_t used = strlen(sets_run);
        snprintf(sets_run + used, sizeof sets_run - used, "%s%s", used ? ", " : "", set_names[s]);
    }
    nn_simd_select("auto");

    if (getenv("NN_TEST_VERBOSE"))
        for (int k = 0; k < RATIO_COUNT; k++)
            printf("  worst error / tolerance, %-22s %.3g\n", ratio_names[k], worst_ratio[k]);
    printf("test_layers: layers on %s, %d checks, %d failed: %s\n", sets_run, checks, failures,
           failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}
