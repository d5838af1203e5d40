/* kernels_simd.c — the SIMD kernels, written once with SIMDe's 256-bit intrinsics.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * The build compiles this file once per instruction set and names the result by NN_SIMD_NAME:
 * with -mavx2 -mfma -mf16c it is real AVX2 code (nn_kernels_avx2); with the x86-64 baseline
 * SIMDe lowers the same intrinsics to SSE2 pairs (nn_kernels_sse2); on aarch64 to NEON
 * (nn_kernels_neon). cpu.c picks one at start-up.
 */
#include "nn_private.h"

#include <math.h>
#include <string.h>
#include <simde/x86/avx2.h>
#include <simde/x86/f16c.h>
#include <simde/x86/fma.h>

#ifndef NN_SIMD_NAME
#error "NN_SIMD_NAME must name the instruction set"
#endif
#define NN_CAT2(a, b) a##b
#define NN_CAT(a, b) NN_CAT2(a, b)
#define NN_STR2(a) #a
#define NN_STR(a) NN_STR2(a)

typedef simde__m256 v8;

#define V_SET1 simde_mm256_set1_ps
#define V_LOAD simde_mm256_loadu_ps
#define V_STORE simde_mm256_storeu_ps
#define V_ADD simde_mm256_add_ps
#define V_SUB simde_mm256_sub_ps
#define V_MUL simde_mm256_mul_ps
#define V_FMA simde_mm256_fmadd_ps
#define V_ZERO simde_mm256_setzero_ps

static inline v8 load_f16(const uint16_t *p)
{
    return simde_mm256_cvtph_ps(simde_mm_loadu_si128((const simde__m128i *)(const void *)p));
}

static inline float hsum(v8 v)
{
    simde__m128 s = simde_mm_add_ps(simde_mm256_castps256_ps128(v), simde_mm256_extractf128_ps(v, 1));
    s = simde_mm_add_ps(s, simde_mm_movehl_ps(s, s));
    s = simde_mm_add_ss(s, simde_mm_shuffle_ps(s, s, 1));
    return simde_mm_cvtss_f32(s);
}

static inline float hmax(v8 v)
{
    simde__m128 s = simde_mm_max_ps(simde_mm256_castps256_ps128(v), simde_mm256_extractf128_ps(v, 1));
    s = simde_mm_max_ps(s, simde_mm_movehl_ps(s, s));
    s = simde_mm_max_ss(s, simde_mm_shuffle_ps(s, s, 1));
    return simde_mm_cvtss_f32(s);
}

/* ---- Vector exp, log and the activations built on them ----------------------------------
 * Cephes' single-precision range reductions and polynomials: about 2 ulp in float. */

static inline v8 v_exp(v8 x)
{
    /* Clamp with x as the second operand: max/min return it when it is NaN, so NaN propagates
     * as in the scalar reference instead of becoming a finite value. */
    x = simde_mm256_min_ps(V_SET1(88.3762626647949f), simde_mm256_max_ps(V_SET1(-87.3f), x));
    v8 fx = simde_mm256_round_ps(V_MUL(x, V_SET1(1.44269504088896341f)), SIMDE_MM_FROUND_TO_NEAREST_INT);
    x = V_SUB(x, V_MUL(fx, V_SET1(0.693359375f)));
    x = V_SUB(x, V_MUL(fx, V_SET1(-2.12194440e-4f)));
    v8 y = V_SET1(1.9875691500e-4f);
    y = V_FMA(y, x, V_SET1(1.3981999507e-3f));
    y = V_FMA(y, x, V_SET1(8.3334519073e-3f));
    y = V_FMA(y, x, V_SET1(4.1665795894e-2f));
    y = V_FMA(y, x, V_SET1(1.6666665459e-1f));
    y = V_FMA(y, x, V_SET1(5.0000001201e-1f));
    y = V_FMA(y, V_MUL(x, x), V_ADD(x, V_SET1(1.0f)));
    simde__m256i e = simde_mm256_slli_epi32(simde_mm256_add_epi32(simde_mm256_cvtps_epi32(fx), simde_mm256_set1_epi32(127)), 23);
    return V_MUL(y, simde_mm256_castsi256_ps(e));
}

static inline v8 v_log(v8 x) /* for x > 0 */
{
    x = simde_mm256_max_ps(x, simde_mm256_castsi256_ps(simde_mm256_set1_epi32(0x00800000)));
    simde__m256i bits = simde_mm256_castps_si256(x);
    v8 e = simde_mm256_cvtepi32_ps(simde_mm256_sub_epi32(simde_mm256_srli_epi32(bits, 23), simde_mm256_set1_epi32(126)));
    x = simde_mm256_or_ps(simde_mm256_and_ps(x, simde_mm256_castsi256_ps(simde_mm256_set1_epi32(~0x7f800000))), V_SET1(0.5f));
    /* Mantissa in [0.5, 1): below sqrt(1/2) use 2m - 1 with one less in the exponent. */
    v8 small = simde_mm256_cmp_ps(x, V_SET1(0.707106781186547524f), SIMDE_CMP_LT_OQ);
    e = V_SUB(e, simde_mm256_and_ps(V_SET1(1.0f), small));
    x = V_ADD(V_SUB(x, V_SET1(1.0f)), simde_mm256_and_ps(x, small));
    v8 z = V_MUL(x, x);
    v8 y = V_SET1(7.0376836292e-2f);
    y = V_FMA(y, x, V_SET1(-1.1514610310e-1f));
    y = V_FMA(y, x, V_SET1(1.1676998740e-1f));
    y = V_FMA(y, x, V_SET1(-1.2420140846e-1f));
    y = V_FMA(y, x, V_SET1(1.4249322787e-1f));
    y = V_FMA(y, x, V_SET1(-1.6668057665e-1f));
    y = V_FMA(y, x, V_SET1(2.0000714765e-1f));
    y = V_FMA(y, x, V_SET1(-2.4999993993e-1f));
    y = V_FMA(y, x, V_SET1(3.3333331174e-1f));
    y = V_MUL(V_MUL(y, x), z);
    y = V_FMA(e, V_SET1(-2.12194440e-4f), y);
    y = V_SUB(y, V_MUL(z, V_SET1(0.5f)));
    return V_FMA(e, V_SET1(0.693359375f), V_ADD(x, y));
}

static inline v8 v_sigmoid(v8 x)
{
    return simde_mm256_div_ps(V_SET1(1.0f), V_ADD(V_SET1(1.0f), v_exp(V_SUB(V_ZERO(), x))));
}

static inline v8 v_tanh(v8 x)
{
    /* 1 - 2 / (e^2x + 1): exact at the saturated ends, absolute error ~1e-7 near zero. */
    v8 e = v_exp(V_ADD(x, x));
    return V_SUB(V_SET1(1.0f), simde_mm256_div_ps(V_SET1(2.0f), V_ADD(e, V_SET1(1.0f))));
}

static inline v8 v_softplus(v8 x)
{
    v8 abs = simde_mm256_andnot_ps(V_SET1(-0.0f), x);
    v8 t = v_exp(V_SUB(V_ZERO(), abs));
    return V_ADD(simde_mm256_max_ps(V_ZERO(), x), v_log(V_ADD(V_SET1(1.0f), t)));
}

/* Apply a vector function over n values; the tail goes through a padded copy so every value
 * takes the same arithmetic path. */
#define MAP(fn_body)                                      \
    int i = 0;                                            \
    for (; i + 8 <= n; i += 8) {                          \
        v8 v = V_LOAD(x + i);                             \
        V_STORE(y + i, fn_body);                          \
    }                                                     \
    if (i < n) {                                          \
        float t[8] = {0};                                 \
        for (int k = 0; i + k < n; k++) t[k] = x[i + k];  \
        v8 v = V_LOAD(t);                                 \
        V_STORE(t, fn_body);                              \
        for (int k = 0; i + k < n; k++) y[i + k] = t[k];  \
    }

static void simd_tanh(const float *x, float *y, int n) { MAP(v_tanh(v)) }
static void simd_sigmoid(const float *x, float *y, int n) { MAP(v_sigmoid(v)) }
static void simd_relu(const float *x, float *y, int n) { MAP(simde_mm256_max_ps(v, V_ZERO())) }
static void simd_softplus(const float *x, float *y, int n) { MAP(v_softplus(v)) }
static void simd_leaky_relu(const float *x, float *y, int n, float alpha)
{
    v8 a = V_SET1(alpha);
    /* max(x, 0) + alpha * min(x, 0), x second so that NaN passes through as in the reference */
    MAP(V_FMA(a, simde_mm256_min_ps(V_ZERO(), v), simde_mm256_max_ps(V_ZERO(), v)))
}

static float simd_max(const float *x, int n)
{
    v8 m = V_SET1(-INFINITY);
    int i = 0;
    for (; i + 8 <= n; i += 8)
        m = simde_mm256_max_ps(m, V_LOAD(x + i));
    float r = hmax(m);
    for (; i < n; i++)
        r = x[i] > r ? x[i] : r;
    return r;
}

/* y = exp((x - m) * scale); returns the sum of y. */
static float exp_shifted(const float *x, float *y, int n, float m, float scale)
{
    v8 vm = V_SET1(m), vs = V_SET1(scale), sum = V_ZERO();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        v8 e = v_exp(V_MUL(V_SUB(V_LOAD(x + i), vm), vs));
        sum = V_ADD(sum, e);
        if (y)
            V_STORE(y + i, e);
    }
    float total = hsum(sum);
    if (i < n) {
        float t[8];
        for (int k = 0; k < 8; k++)
            t[k] = i + k < n ? x[i + k] : m;
        V_STORE(t, v_exp(V_MUL(V_SUB(V_LOAD(t), vm), vs)));
        for (int k = 0; i + k < n; k++) {
            total += t[k];
            if (y)
                y[i + k] = t[k];
        }
    }
    return total;
}

static void simd_softmax(const float *x, float *y, int n, float inv_temperature)
{
    float m = simd_max(x, n);
    v8 inv = V_SET1(1.0f / exp_shifted(x, y, n, m, inv_temperature));
    int i = 0;
    for (; i + 8 <= n; i += 8)
        V_STORE(y + i, V_MUL(V_LOAD(y + i), inv));
    float s = simde_mm256_cvtss_f32(inv);
    for (; i < n; i++)
        y[i] *= s;
}

static void simd_log_softmax(const float *x, float *y, int n)
{
    float m = simd_max(x, n);
    float log_sum = m + logf(exp_shifted(x, NULL, n, m, 1.0f));
    v8 l = V_SET1(log_sum);
    MAP(V_SUB(v, l))
}

static void simd_lstm_gates(const float *g, float *h, float *c, int units, float forget_bias)
{
    v8 fb = V_SET1(forget_bias);
    int k = 0;
    for (; k + 8 <= units; k += 8) {
        v8 i = v_sigmoid(V_LOAD(g + k));
        v8 j = v_tanh(V_LOAD(g + units + k));
        v8 f = v_sigmoid(V_ADD(V_LOAD(g + 2 * units + k), fb));
        v8 o = v_sigmoid(V_LOAD(g + 3 * units + k));
        v8 cn = V_FMA(V_LOAD(c + k), f, V_MUL(i, j));
        V_STORE(c + k, cn);
        V_STORE(h + k, V_MUL(v_tanh(cn), o));
    }
    if (k < units) {
        float t[4][8] = {{0}}, tc[8] = {0}, th[8];
        for (int q = 0; k + q < units; q++) {
            for (int gate = 0; gate < 4; gate++)
                t[gate][q] = g[gate * units + k + q];
            tc[q] = c[k + q];
        }
        v8 i = v_sigmoid(V_LOAD(t[0])), j = v_tanh(V_LOAD(t[1]));
        v8 f = v_sigmoid(V_ADD(V_LOAD(t[2]), fb)), o = v_sigmoid(V_LOAD(t[3]));
        v8 cn = V_FMA(V_LOAD(tc), f, V_MUL(i, j));
        V_STORE(tc, cn);
        V_STORE(th, V_MUL(v_tanh(cn), o));
        for (int q = 0; k + q < units; q++) {
            c[k + q] = tc[q];
            h[k + q] = th[q];
        }
    }
}

static void simd_f16_to_f32(const uint16_t *x, float *y, int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8)
        V_STORE(y + i, load_f16(x + i));
    if (i < n) {
        uint16_t t[8] = {0};
        float o[8];
        for (int k = 0; i + k < n; k++)
            t[k] = x[i + k];
        V_STORE(o, load_f16(t));
        for (int k = 0; i + k < n; k++)
            y[i + k] = o[k];
    }
}

/* ---- Matrix kernels over the panel layout ------------------------------------------------- */

/* Add a panel's two 8-wide halves into y, of which `width` (<= NN_PANEL) columns are real. */
static inline void panel_store(float *y, int width, v8 lo, v8 hi)
{
    if (width == NN_PANEL) {
        V_STORE(y, V_ADD(V_LOAD(y), lo));
        V_STORE(y + 8, V_ADD(V_LOAD(y + 8), hi));
        return;
    }
    float t[NN_PANEL];
    V_STORE(t, lo);
    V_STORE(t + 8, hi);
    for (int k = 0; k < width; k++)
        y[k] += t[k];
}

/* One panel times x over nrows rows, as f32 or f16 (LOADW); four rows per iteration into
 * eight independent accumulators so the FMA units never wait on one another. */
#define PANEL_GEMV(T, LOADW)                                                       \
    static inline void panel_gemv_##T(const T *col, int nrows, const float *x, v8 *lo_out, v8 *hi_out) \
    {                                                                              \
        v8 a0 = V_ZERO(), a1 = V_ZERO(), a2 = V_ZERO(), a3 = V_ZERO();             \
        v8 b0 = V_ZERO(), b1 = V_ZERO(), b2 = V_ZERO(), b3 = V_ZERO();             \
        int r = 0;                                                                 \
        for (; r + 4 <= nrows; r += 4, col += 4 * NN_PANEL) {                      \
            v8 x0 = V_SET1(x[r]), x1 = V_SET1(x[r + 1]);                           \
            v8 x2 = V_SET1(x[r + 2]), x3 = V_SET1(x[r + 3]);                       \
            a0 = V_FMA(x0, LOADW(col), a0);                                        \
            b0 = V_FMA(x0, LOADW(col + 8), b0);                                    \
            a1 = V_FMA(x1, LOADW(col + 16), a1);                                   \
            b1 = V_FMA(x1, LOADW(col + 24), b1);                                   \
            a2 = V_FMA(x2, LOADW(col + 32), a2);                                   \
            b2 = V_FMA(x2, LOADW(col + 40), b2);                                   \
            a3 = V_FMA(x3, LOADW(col + 48), a3);                                   \
            b3 = V_FMA(x3, LOADW(col + 56), b3);                                   \
        }                                                                          \
        for (; r < nrows; r++, col += NN_PANEL) {                                  \
            v8 xr = V_SET1(x[r]);                                                  \
            a0 = V_FMA(xr, LOADW(col), a0);                                        \
            b0 = V_FMA(xr, LOADW(col + 8), b0);                                    \
        }                                                                          \
        *lo_out = V_ADD(V_ADD(a0, a1), V_ADD(a2, a3));                             \
        *hi_out = V_ADD(V_ADD(b0, b1), V_ADD(b2, b3));                             \
    }

#define LOAD_F32(p) V_LOAD(p)
#define LOAD_F16(p) load_f16(p)
PANEL_GEMV(float, LOAD_F32)
PANEL_GEMV(uint16_t, LOAD_F16)

/* Four rows of X against one panel: each weight load serves four FMAs. */
#define PANEL_GEMM4(T, LOADW)                                                                   \
    static inline void panel_gemm4_##T(const T *col, int rows, const float *x, int ldx, float *y, \
                                       int ldy, int width)                                      \
    {                                                                                           \
        v8 a[4] = {V_ZERO(), V_ZERO(), V_ZERO(), V_ZERO()};                                     \
        v8 b[4] = {V_ZERO(), V_ZERO(), V_ZERO(), V_ZERO()};                                     \
        for (int r = 0; r < rows; r++, col += NN_PANEL) {                                       \
            v8 w0 = LOADW(col), w1 = LOADW(col + 8);                                            \
            for (int k = 0; k < 4; k++) {                                                       \
                v8 xk = V_SET1(x[(size_t)k * ldx + r]);                                         \
                a[k] = V_FMA(xk, w0, a[k]);                                                     \
                b[k] = V_FMA(xk, w1, b[k]);                                                     \
            }                                                                                   \
        }                                                                                       \
        for (int k = 0; k < 4; k++)                                                             \
            panel_store(y + (size_t)k * ldy, width, a[k], b[k]);                                \
    }

PANEL_GEMM4(float, LOAD_F32)
PANEL_GEMM4(uint16_t, LOAD_F16)

static inline int panel_width(const nn_matrix *w, int p)
{
    int left = w->cols - p * NN_PANEL;
    return left < NN_PANEL ? left : NN_PANEL;
}

static void simd_gemv(const nn_matrix *w, int row0, int nrows, const float *x, float *y)
{
    size_t stride = (size_t)w->rows * NN_PANEL, start = (size_t)row0 * NN_PANEL;
    for (int p = 0; p < w->panels; p++) {
        v8 lo, hi;
        if (w->dtype == NN_F16)
            panel_gemv_uint16_t((const uint16_t *)w->data + p * stride + start, nrows, x, &lo, &hi);
        else
            panel_gemv_float((const float *)w->data + p * stride + start, nrows, x, &lo, &hi);
        panel_store(y + p * NN_PANEL, panel_width(w, p), lo, hi);
    }
}

static void simd_gemm(const nn_matrix *w, int batch, const float *x, int ldx, float *y, int ldy)
{
    size_t stride = (size_t)w->rows * NN_PANEL;
    for (int p = 0; p < w->panels; p++) {
        int width = panel_width(w, p), b = 0;
        const float *wf = (const float *)w->data + p * stride;
        const uint16_t *wh = (const uint16_t *)w->data + p * stride;
        for (; b + 4 <= batch; b += 4) {
            const float *xb = x + (size_t)b * ldx;
            float *yb = y + (size_t)b * ldy + p * NN_PANEL;
            if (w->dtype == NN_F16)
                panel_gemm4_uint16_t(wh, w->rows, xb, ldx, yb, ldy, width);
            else
                panel_gemm4_float(wf, w->rows, xb, ldx, yb, ldy, width);
        }
        for (; b < batch; b++) {
            v8 lo, hi;
            if (w->dtype == NN_F16)
                panel_gemv_uint16_t(wh, w->rows, x + (size_t)b * ldx, &lo, &hi);
            else
                panel_gemv_float(wf, w->rows, x + (size_t)b * ldx, &lo, &hi);
            panel_store(y + (size_t)b * ldy + p * NN_PANEL, width, lo, hi);
        }
    }
}

static void simd_add_row(const nn_matrix *w, int row, float *y)
{
    size_t stride = (size_t)w->rows * NN_PANEL, at = (size_t)row * NN_PANEL;
    for (int p = 0; p < w->panels; p++) {
        v8 lo, hi;
        if (w->dtype == NN_F16) {
            const uint16_t *q = (const uint16_t *)w->data + p * stride + at;
            lo = load_f16(q);
            hi = load_f16(q + 8);
        } else {
            const float *q = (const float *)w->data + p * stride + at;
            lo = V_LOAD(q);
            hi = V_LOAD(q + 8);
        }
        panel_store(y + p * NN_PANEL, panel_width(w, p), lo, hi);
    }
}

/* ---- Training: the LSTM's element-wise steps ------------------------------------------------ */

/* tanh to a few ulp relative everywhere. Near zero 1 - 2 / (e^2x + 1) is only ~1e-7 absolute,
 * steps of float's spacing at 1, which the finite-difference checks of the gradients see as
 * noise; below |x| = 0.625 Cephes' odd polynomial x + x^3 P(x^2) is used instead. */
static inline v8 v_tanh_precise(v8 x)
{
    v8 z = V_MUL(x, x);
    v8 p = V_SET1(-5.70498872745e-3f);
    p = V_FMA(p, z, V_SET1(2.06390887954e-2f));
    p = V_FMA(p, z, V_SET1(-5.37397155531e-2f));
    p = V_FMA(p, z, V_SET1(1.33314422036e-1f));
    p = V_FMA(p, z, V_SET1(-3.33332819422e-1f));
    v8 small = V_FMA(V_MUL(p, z), x, x);
    v8 is_small = simde_mm256_cmp_ps(simde_mm256_andnot_ps(V_SET1(-0.0f), x), V_SET1(0.625f), SIMDE_CMP_LT_OQ);
    return simde_mm256_blendv_ps(v_tanh(x), small, is_small);
}

/* The first n (<= 8) values of p, zero-padded; and back: for the units' tail. */
static inline v8 load_part(const float *p, int n)
{
    if (n == 8)
        return V_LOAD(p);
    float t[8] = {0};
    memcpy(t, p, (size_t)n * sizeof *t);
    return V_LOAD(t);
}

static inline void store_part(float *p, v8 v, int n)
{
    if (n == 8) {
        V_STORE(p, v);
        return;
    }
    float t[8];
    V_STORE(t, v);
    memcpy(p, t, (size_t)n * sizeof *t);
}

static void simd_train_lstm_forward(int rows, int units, float forget_bias, const float *bias, const float *mask,
                                    const float *c_prev, const float *h_prev, float *gates, float *c, float *h,
                                    float *out)
{
    const int U = units;
    const v8 fb = V_SET1(forget_bias);
    for (int r = 0; r < rows; r++) {
        size_t ru = (size_t)r * U;
        float *g = gates + 4 * ru;
        if (mask && mask[r] == 0.0f) { /* padding: carry the state, output zeros */
            memset(g, 0, 4 * (size_t)U * sizeof *g);
            memset(out + ru, 0, (size_t)U * sizeof *out);
            if (c_prev) {
                memcpy(c + ru, c_prev + ru, (size_t)U * sizeof *c);
                memcpy(h + ru, h_prev + ru, (size_t)U * sizeof *h);
            } else {
                memset(c + ru, 0, (size_t)U * sizeof *c);
                memset(h + ru, 0, (size_t)U * sizeof *h);
            }
            continue;
        }
        for (int k = 0; k < U; k += 8) {
            int w = U - k < 8 ? U - k : 8;
            v8 i = v_sigmoid(V_ADD(load_part(g + k, w), load_part(bias + k, w)));
            v8 j = v_tanh_precise(V_ADD(load_part(g + U + k, w), load_part(bias + U + k, w)));
            v8 f = v_sigmoid(V_ADD(V_ADD(load_part(g + 2 * U + k, w), load_part(bias + 2 * U + k, w)), fb));
            v8 o = v_sigmoid(V_ADD(load_part(g + 3 * U + k, w), load_part(bias + 3 * U + k, w)));
            v8 cn = c_prev ? V_FMA(load_part(c_prev + ru + k, w), f, V_MUL(i, j)) : V_MUL(i, j);
            v8 hn = V_MUL(v_tanh_precise(cn), o);
            store_part(g + k, i, w), store_part(g + U + k, j, w);
            store_part(g + 2 * U + k, f, w), store_part(g + 3 * U + k, o, w);
            store_part(c + ru + k, cn, w), store_part(h + ru + k, hn, w), store_part(out + ru + k, hn, w);
        }
    }
}

static void simd_train_lstm_backward(int rows, int units, const float *mask, const float *gates,
                                     const float *c_prev, const float *c, const float *dh, float *dh_state,
                                     float *dc_state, float *dgates, float *dbias)
{
    const int U = units;
    const v8 one = V_SET1(1.0f);
    for (int r = 0; r < rows; r++) {
        size_t ru = (size_t)r * U;
        const float *g = gates + 4 * ru;
        float *dg = dgates + 4 * ru;
        if (mask && mask[r] == 0.0f) { /* a padded step copied the state: its gradient passes through */
            memset(dg, 0, 4 * (size_t)U * sizeof *dg);
            continue;
        }
        for (int k = 0; k < U; k += 8) {
            int w = U - k < 8 ? U - k : 8;
            v8 i = load_part(g + k, w), j = load_part(g + U + k, w);
            v8 f = load_part(g + 2 * U + k, w), o = load_part(g + 3 * U + k, w);
            v8 tc = v_tanh_precise(load_part(c + ru + k, w));
            v8 dhk = V_ADD(load_part(dh_state + ru + k, w), load_part(dh + ru + k, w));
            v8 dc = V_FMA(V_MUL(dhk, o), V_SUB(one, V_MUL(tc, tc)), load_part(dc_state + ru + k, w));
            v8 di = V_MUL(V_MUL(dc, j), V_MUL(i, V_SUB(one, i)));
            v8 dj = V_MUL(V_MUL(dc, i), V_SUB(one, V_MUL(j, j)));
            v8 df = c_prev ? V_MUL(V_MUL(dc, load_part(c_prev + ru + k, w)), V_MUL(f, V_SUB(one, f))) : V_ZERO();
            v8 dout = V_MUL(V_MUL(dhk, tc), V_MUL(o, V_SUB(one, o)));
            store_part(dg + k, di, w), store_part(dg + U + k, dj, w);
            store_part(dg + 2 * U + k, df, w), store_part(dg + 3 * U + k, dout, w);
            store_part(dbias + k, V_ADD(load_part(dbias + k, w), di), w);
            store_part(dbias + U + k, V_ADD(load_part(dbias + U + k, w), dj), w);
            store_part(dbias + 2 * U + k, V_ADD(load_part(dbias + 2 * U + k, w), df), w);
            store_part(dbias + 3 * U + k, V_ADD(load_part(dbias + 3 * U + k, w), dout), w);
            store_part(dc_state + ru + k, V_MUL(dc, f), w);
            store_part(dh_state + ru + k, V_ZERO(), w);
        }
    }
}

const nn_kernels NN_CAT(nn_kernels_, NN_SIMD_NAME) = {
    .name = NN_STR(NN_SIMD_NAME),
    .gemv = simd_gemv,
    .gemm = simd_gemm,
    .add_row = simd_add_row,
    .tanh = simd_tanh,
    .sigmoid = simd_sigmoid,
    .relu = simd_relu,
    .leaky_relu = simd_leaky_relu,
    .softplus = simd_softplus,
    .softmax = simd_softmax,
    .log_softmax = simd_log_softmax,
    .lstm_gates = simd_lstm_gates,
    .f16_to_f32 = simd_f16_to_f32,
    .train_gemm = NN_CAT(nn_train_gemm_, NN_SIMD_NAME),
    .train_lstm_forward = simd_train_lstm_forward,
    .train_lstm_backward = simd_train_lstm_backward,
};
