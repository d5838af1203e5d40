/* test_train_gemm.c — the training kernels of every kernel set this CPU runs against the scalar
 * reference: nn_train_gemm over shapes, flags and leading dimensions, its independence from how
 * the work is split, and the LSTM's element-wise forward and backward steps.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#include "nn_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_SEED 0x6a09e667f3bcc909ull /* fixed: every run tests the same values */
#include "../check.h"

/* ---- Tolerances, and why -------------------------------------------------------------------
 * GEMM: relative to the sum of |terms| of each element, S = |c0| + Σ_p |a_ip b_pj|. A sum of k
 * products in float, in any order and grouping, with or without fused multiply-adds, is within
 * (k + 1)·2^-24·S of the exact value (one rounding per product and per addition); two such sums
 * differ by at most twice that. The test uses that worst-case bound, (2k + 4)·2^-24·S: it is
 * what any correct order may reach, and far below what a lost or doubled term costs (about
 * S / k). Against the exact product (in double), half of it. */
#define GEMM_ULPS_PER_TERM 2.0
#define ULP_HALF 5.9604644775390625e-08 /* 2^-24 */
/* LSTM steps: the SIMD sigmoid and tanh are built on Cephes' exp (about 2 ulp) and a division,
 * against glibc's expf and tanhf: gates in [-1, 1] agree within a few times float's spacing at
 * 1 (1.2e-7; 2e-7 seen). c = c_prev·f + i·j and the gradients are products of up to five such
 * values with |c_prev|, |dh|, |dh_state|, |dc_state| <= 2, so the error grows with them: 4e-6
 * absolute plus 4e-6 relative. */
#define GATE_ATOL 1e-6
#define STEP_ATOL 4e-6
#define STEP_RTOL 4e-6

static const float sentinel = 12345.0f; /* in C's gaps: a kernel writing there is caught */

static void *alloc_zeroed(size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "test_train_gemm: out of memory\n");
        exit(2);
    }
    return p;
}

static void check_close_at(const char *file, int line, const char *what, long index, double got, double want,
                           double tol)
{
    checks++;
    double diff = fabs(got - want);
    if (got == want || diff <= tol)
        return;
    failures++;
    if (should_report())
        fprintf(stderr, "%s:%d: [%s] %s[%ld] = %.9g, want %.9g (difference %.3g, tolerance %.3g)\n", file, line,
                context, what, index, got, want, diff, tol);
}
#define CHECK_CLOSE(what, index, got, want, tol) check_close_at(__FILE__, __LINE__, what, index, got, want, tol)

/* ---- GEMM ------------------------------------------------------------------------------------ */

/* The operands of one product as stored: A is [m, k] or, transposed, [k, m]; B is [k, n] or
 * [n, k]; each row `extra` values wider than it is, the gaps holding NaN (a kernel reading them
 * poisons its output). C is [m, n] in rows of n + extra, its gaps holding the sentinel. */
typedef struct gemm_case {
    int flags, m, n, k, lda, ldb, ldc;
    float *a, *b, *c0;
} gemm_case;

static float *random_rows(int rows, int cols, int ld)
{
    float *x = alloc_zeroed((size_t)rows * ld * sizeof *x);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < ld; c++)
            x[(size_t)r * ld + c] = c < cols ? rng_uniform(-1.0f, 1.0f) : NAN;
    return x;
}

static gemm_case make_case(int flags, int m, int n, int k, int extra)
{
    gemm_case g = {.flags = flags, .m = m, .n = n, .k = k};
    int a_rows = flags & NN_GEMM_TRANS_A ? k : m, a_cols = flags & NN_GEMM_TRANS_A ? m : k;
    int b_rows = flags & NN_GEMM_TRANS_B ? n : k, b_cols = flags & NN_GEMM_TRANS_B ? k : n;
    g.lda = a_cols + extra, g.ldb = b_cols + extra, g.ldc = n + extra;
    g.a = random_rows(a_rows, a_cols, g.lda);
    g.b = random_rows(b_rows, b_cols, g.ldb);
    g.c0 = alloc_zeroed((size_t)m * g.ldc * sizeof *g.c0 + sizeof *g.c0);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < g.ldc; j++) /* without ACCUMULATE, C's old values must not matter */
            g.c0[(size_t)i * g.ldc + j] = j >= n ? sentinel : flags & NN_GEMM_ACCUMULATE ? rng_uniform(-2.0f, 2.0f) : NAN;
    return g;
}

static void free_case(gemm_case *g) { free(g->a), free(g->b), free(g->c0); }

static double op_a(const gemm_case *g, int i, int p)
{
    return g->flags & NN_GEMM_TRANS_A ? g->a[(size_t)p * g->lda + i] : g->a[(size_t)i * g->lda + p];
}

static double op_b(const gemm_case *g, int p, int j)
{
    return g->flags & NN_GEMM_TRANS_B ? g->b[(size_t)j * g->ldb + p] : g->b[(size_t)p * g->ldb + j];
}

static float *run(const nn_kernels *set, const gemm_case *g)
{
    float *c = alloc_zeroed((size_t)g->m * g->ldc * sizeof *c + sizeof *c);
    memcpy(c, g->c0, (size_t)g->m * g->ldc * sizeof *c);
    set->train_gemm(g->flags, g->m, g->n, g->k, g->a, g->lda, g->b, g->ldb, c, g->ldc);
    return c;
}

/* The set's product against the reference kernel and against the exact product in double. */
static void compare_gemm(const nn_kernels *set, int flags, int m, int n, int k, int extra)
{
    snprintf(context, sizeof context, "%s train_gemm flags %d m %d n %d k %d extra %d", set->name, flags, m, n, k,
             extra);
    gemm_case g = make_case(flags, m, n, k, extra);
    float *c_ref = run(&nn_kernels_reference, &g), *c_set = run(set, &g);
    int accumulate = flags & NN_GEMM_ACCUMULATE;
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            size_t at = (size_t)i * g.ldc + j;
            double exact = accumulate ? g.c0[at] : 0.0, scale = accumulate ? fabs(g.c0[at]) : 0.0;
            for (int p = 0; p < k; p++) {
                double t = op_a(&g, i, p) * op_b(&g, p, j);
                exact += t, scale += fabs(t);
            }
            double bound = ((double)k + 2.0) * ULP_HALF * scale;
            CHECK_CLOSE("C", (long)at, c_set[at], c_ref[at], GEMM_ULPS_PER_TERM * bound);
            CHECK_CLOSE("C vs exact", (long)at, c_set[at], exact, bound);
            CHECK_CLOSE("reference C vs exact", (long)at, c_ref[at], exact, bound);
        }
        for (int j = n; j < g.ldc; j++)
            CHECK(c_set[(size_t)i * g.ldc + j] == sentinel, "C's gap [%d][%d] written", i, j);
    }
    free(c_ref), free(c_set);
    free_case(&g);
}

/* The register tile is 6 × 16, the blocks 144 rows × 256 of k × 1024 columns: sizes on both sides
 * of each, and the small ones (0, 1, 2). */
static const int ms[] = {0, 1, 2, 5, 6, 7, 12, 13, 31, 32, 33, 143, 144, 145, 150};
static const int ns[] = {0, 1, 3, 8, 15, 16, 17, 31, 33, 100};
static const int ks[] = {0, 1, 2, 7, 64, 255, 256, 257, 513};
#define COUNT(x) ((int)(sizeof x / sizeof x[0]))

static void test_gemm_shapes(const nn_kernels *set)
{
    /* Every m against every n, k cycling through its list, every flag combination, with
     * leading dimensions equal to or wider than the rows. */
    for (int im = 0; im < COUNT(ms); im++)
        for (int in = 0; in < COUNT(ns); in++)
            for (int flags = 0; flags < 8; flags++) {
                int k = ks[(im + in + flags) % COUNT(ks)];
                compare_gemm(set, flags, ms[im], ns[in], k, (im + in + flags) % 2 ? 5 : 0);
            }
    /* Past the column block (n > 1024) and several row blocks; the recurrent shape. */
    compare_gemm(set, 0, 150, 1025, 3, 1);
    compare_gemm(set, NN_GEMM_TRANS_A | NN_GEMM_TRANS_B | NN_GEMM_ACCUMULATE, 300, 1040, 5, 2);
    compare_gemm(set, NN_GEMM_TRANS_B, 290, 20, 600, 0);
    compare_gemm(set, NN_GEMM_ACCUMULATE, 32, 1024, 256, 0);
}

/* A row range and a column range of a product, computed alone, give the same bits as in the
 * whole product: the order of each element's sum depends on k and the flags only. */
static void test_gemm_split(const nn_kernels *set)
{
    const int shapes[][3] = {{300, 70, 600}, {40, 1100, 300}, {7, 33, 257}};
    for (int s = 0; s < 3; s++)
        for (int flags = 0; flags < 8; flags++) {
            int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
            snprintf(context, sizeof context, "%s train_gemm split flags %d m %d n %d k %d", set->name, flags, m, n, k);
            gemm_case g = make_case(flags, m, n, k, 1);
            float *whole = run(set, &g), *parts = alloc_zeroed((size_t)m * g.ldc * sizeof *parts + sizeof *parts);
            memcpy(parts, g.c0, (size_t)m * g.ldc * sizeof *parts);
            int ta = flags & NN_GEMM_TRANS_A, tb = flags & NN_GEMM_TRANS_B;
            /* rows [0, r) and [r, m) in columns [0, q), then rows [0, m) in columns [q, n) */
            int r = m / 3 + 1, q = n / 2 + 3;
            const float *a_r = ta ? g.a + r : g.a + (size_t)r * g.lda, *b_q = tb ? g.b + (size_t)q * g.ldb : g.b + q;
            set->train_gemm(flags, r, q, k, g.a, g.lda, g.b, g.ldb, parts, g.ldc);
            set->train_gemm(flags, m - r, q, k, a_r, g.lda, g.b, g.ldb, parts + (size_t)r * g.ldc, g.ldc);
            set->train_gemm(flags, m, n - q, k, g.a, g.lda, b_q, g.ldb, parts + q, g.ldc);
            int same = !memcmp(whole, parts, (size_t)m * g.ldc * sizeof *parts);
            CHECK(same, "the parts differ from the whole product");
            float *again = run(set, &g);
            CHECK(!memcmp(whole, again, (size_t)m * g.ldc * sizeof *again), "a second call differs");
            free(whole), free(parts), free(again);
            free_case(&g);
        }
}

/* ---- LSTM element-wise steps ------------------------------------------------------------------- */

/* A batch of rows of which the second and the last are padding (when rows allow). */
static void fill_mask(float *mask, int rows)
{
    for (int r = 0; r < rows; r++)
        mask[r] = r == 1 || (rows > 2 && r == rows - 1) ? 0.0f : 1.0f;
}

static void compare_lstm_steps(const nn_kernels *set, int rows, int units, int first_step, int masked)
{
    snprintf(context, sizeof context, "%s train_lstm rows %d units %d%s%s", set->name, rows, units,
             first_step ? " first step" : "", masked ? " masked" : "");
    const int U = units, G = 4 * U;
    const size_t ru = (size_t)rows * U, rg = (size_t)rows * G;
    const float forget_bias = 1.0f;
    float *pre = alloc_zeroed(rg * sizeof *pre), *bias = alloc_zeroed((size_t)G * sizeof *bias);
    float *c_prev = alloc_zeroed(ru * sizeof *c_prev), *h_prev = alloc_zeroed(ru * sizeof *h_prev);
    float *mask = alloc_zeroed((size_t)rows * sizeof *mask);
    fill_uniform(pre, (int)rg, -4.0f, 4.0f), fill_uniform(bias, G, -1.0f, 1.0f);
    fill_uniform(c_prev, (int)ru, -2.0f, 2.0f), fill_uniform(h_prev, (int)ru, -1.0f, 1.0f);
    fill_mask(mask, rows);
    const float *cp = first_step ? NULL : c_prev, *hp = first_step ? NULL : h_prev, *mk = masked ? mask : NULL;

    /* Forward: activated gates, state and output. */
    float *g[2], *c[2], *h[2], *out[2];
    const nn_kernels *sets[2] = {&nn_kernels_reference, set};
    for (int s = 0; s < 2; s++) {
        g[s] = alloc_zeroed(rg * sizeof *g[s]), c[s] = alloc_zeroed(ru * sizeof *c[s]);
        h[s] = alloc_zeroed(ru * sizeof *h[s]), out[s] = alloc_zeroed(ru * sizeof *out[s]);
        memcpy(g[s], pre, rg * sizeof *pre);
        sets[s]->train_lstm_forward(rows, U, forget_bias, bias, mk, cp, hp, g[s], c[s], h[s], out[s]);
    }
    for (int r = 0; r < rows; r++) {
        int real = !mk || mk[r] != 0.0f;
        for (int k = 0; k < G; k++) {
            size_t at = (size_t)r * G + k;
            if (real)
                CHECK_CLOSE("gates", (long)at, g[1][at], g[0][at], GATE_ATOL);
            else
                CHECK(g[1][at] == 0.0f, "padded row %d: gate %d is %g", r, k, (double)g[1][at]);
        }
        for (int k = 0; k < U; k++) {
            size_t at = (size_t)r * U + k;
            if (real) {
                CHECK_CLOSE("c", (long)at, c[1][at], c[0][at], STEP_ATOL);
                CHECK_CLOSE("h", (long)at, h[1][at], h[0][at], STEP_ATOL);
                CHECK(out[1][at] == h[1][at], "row %d unit %d: out %g, h %g", r, k, (double)out[1][at],
                      (double)h[1][at]);
            } else {
                CHECK(c[1][at] == (cp ? cp[at] : 0.0f) && h[1][at] == (hp ? hp[at] : 0.0f) && out[1][at] == 0.0f,
                      "padded row %d unit %d: state not carried or output not zero", r, k);
            }
        }
    }

    /* Backward from the reference's forward values. */
    float *dh = alloc_zeroed(ru * sizeof *dh), *dh_state0 = alloc_zeroed(ru * sizeof *dh_state0);
    float *dc_state0 = alloc_zeroed(ru * sizeof *dc_state0), *dbias0 = alloc_zeroed((size_t)G * sizeof *dbias0);
    fill_uniform(dh, (int)ru, -2.0f, 2.0f), fill_uniform(dh_state0, (int)ru, -2.0f, 2.0f);
    fill_uniform(dc_state0, (int)ru, -2.0f, 2.0f), fill_uniform(dbias0, G, -1.0f, 1.0f);
    float *dg[2], *dhs[2], *dcs[2], *db[2];
    for (int s = 0; s < 2; s++) {
        dg[s] = alloc_zeroed(rg * sizeof *dg[s]), dhs[s] = alloc_zeroed(ru * sizeof *dhs[s]);
        dcs[s] = alloc_zeroed(ru * sizeof *dcs[s]), db[s] = alloc_zeroed((size_t)G * sizeof *db[s]);
        for (size_t k = 0; k < rg; k++)
            dg[s][k] = NAN; /* every value must be written */
        memcpy(dhs[s], dh_state0, ru * sizeof *dh_state0), memcpy(dcs[s], dc_state0, ru * sizeof *dc_state0);
        memcpy(db[s], dbias0, (size_t)G * sizeof *dbias0);
        sets[s]->train_lstm_backward(rows, U, mk, g[0], cp, c[0], dh, dhs[s], dcs[s], dg[s], db[s]);
    }
    for (int r = 0; r < rows; r++) {
        int real = !mk || mk[r] != 0.0f;
        for (int k = 0; k < G; k++) {
            size_t at = (size_t)r * G + k;
            if (real)
                CHECK_CLOSE("dgates", (long)at, dg[1][at], dg[0][at], STEP_ATOL + STEP_RTOL * fabs(dg[0][at]));
            else
                CHECK(dg[1][at] == 0.0f, "padded row %d: dgate %d is %g", r, k, (double)dg[1][at]);
        }
        for (int k = 0; k < U; k++) {
            size_t at = (size_t)r * U + k;
            if (real) {
                CHECK(dhs[1][at] == 0.0f, "row %d unit %d: dh_state %g, want 0", r, k, (double)dhs[1][at]);
                CHECK_CLOSE("dc_state", (long)at, dcs[1][at], dcs[0][at], STEP_ATOL + STEP_RTOL * fabs(dcs[0][at]));
            } else {
                CHECK(dhs[1][at] == dh_state0[at] && dcs[1][at] == dc_state0[at],
                      "padded row %d unit %d: state gradient not passed through", r, k);
            }
        }
    }
    for (int k = 0; k < G; k++) /* a sum over rows of the dgates */
        CHECK_CLOSE("dbias", k, db[1][k], db[0][k], rows * (STEP_ATOL + STEP_RTOL * fabs(db[0][k])));

    for (int s = 0; s < 2; s++)
        free(g[s]), free(c[s]), free(h[s]), free(out[s]), free(dg[s]), free(dhs[s]), free(dcs[s]), free(db[s]);
    free(dh), free(dh_state0), free(dc_state0), free(dbias0);
    free(pre), free(bias), free(c_prev), free(h_prev), free(mask);
}

static void test_lstm_steps(const nn_kernels *set)
{
    const int units[] = {1, 3, 8, 13, 32, 67};
    for (int u = 0; u < COUNT(units); u++)
        for (int variant = 0; variant < 4; variant++)
            compare_lstm_steps(set, 5, units[u], variant & 1, variant & 2);
    compare_lstm_steps(set, 1, 16, 0, 0);
}

/* ---- Driver ----------------------------------------------------------------------------------- */

int main(void)
{
    const nn_kernels *sets[2];
    int set_count = simd_kernel_sets(sets, "test_train_gemm");
    snprintf(context, sizeof context, "tables");
    for (int s = 0; s < set_count; s++)
        CHECK(sets[s]->train_gemm && sets[s]->train_lstm_forward && sets[s]->train_lstm_backward,
              "%s: a training entry is NULL", sets[s]->name);
    for (int s = 0; s < set_count; s++) {
        test_gemm_shapes(sets[s]);
        test_gemm_split(sets[s]);
        test_lstm_steps(sets[s]);
    }
    /* The public entry runs the active set. */
    snprintf(context, sizeof context, "nn_train_gemm");
    float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, -1, 2, 0.5f, 0}, c[4];
    nn_train_gemm(0, 2, 2, 3, a, 3, b, 2, c, 2); /* [1 2 3; 4 5 6] · [1 0; -1 2; .5 0] */
    CHECK(c[0] == 0.5f && c[1] == 4.0f && c[2] == 2.0f && c[3] == 10.0f, "got %g %g %g %g", (double)c[0],
          (double)c[1], (double)c[2], (double)c[3]);

    return kernel_sets_summary("test_train_gemm", sets, set_count);
}
