/* kernels_reference.c — the plain scalar kernels: the definition the SIMD versions are tested
 * against, and the fallback on any CPU.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn_private.h"

#include <math.h>

static float weight(const nn_matrix *w, int row, int col)
{
    size_t i = ((size_t)(col / NN_PANEL) * (size_t)w->rows + (size_t)row) * NN_PANEL + col % NN_PANEL;
    return w->dtype == NN_F16 ? nn_f16_to_f32(((const uint16_t *)w->data)[i]) : ((const float *)w->data)[i];
}

static void ref_gemv(const nn_matrix *w, int row0, int nrows, const float *x, float *y)
{
    for (int c = 0; c < w->cols; c++) {
        float sum = 0.0f;
        for (int r = 0; r < nrows; r++)
            sum += x[r] * weight(w, row0 + r, c);
        y[c] += sum;
    }
}

static void ref_gemm(const nn_matrix *w, int batch, const float *x, int ldx, float *y, int ldy)
{
    for (int b = 0; b < batch; b++)
        ref_gemv(w, 0, w->rows, x + (size_t)b * ldx, y + (size_t)b * ldy);
}

static void ref_add_row(const nn_matrix *w, int row, float *y)
{
    for (int c = 0; c < w->cols; c++)
        y[c] += weight(w, row, c);
}

static float sigmoid1(float x) { return 1.0f / (1.0f + expf(-x)); }

static void ref_tanh(const float *x, float *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = tanhf(x[i]);
}

static void ref_sigmoid(const float *x, float *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = sigmoid1(x[i]);
}

static void ref_relu(const float *x, float *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

static void ref_leaky_relu(const float *x, float *y, int n, float alpha)
{
    for (int i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : alpha * x[i];
}

static void ref_softplus(const float *x, float *y, int n)
{
    /* log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|). */
    for (int i = 0; i < n; i++)
        y[i] = fmaxf(x[i], 0.0f) + log1pf(expf(-fabsf(x[i])));
}

static float max_of(const float *x, int n)
{
    float m = -INFINITY;
    for (int i = 0; i < n; i++)
        m = x[i] > m ? x[i] : m;
    return m;
}

static void ref_softmax(const float *x, float *y, int n, float inv_temperature)
{
    float m = max_of(x, n), sum = 0.0f;
    for (int i = 0; i < n; i++) {
        y[i] = expf((x[i] - m) * inv_temperature);
        sum += y[i];
    }
    for (int i = 0; i < n; i++)
        y[i] /= sum;
}

static void ref_log_softmax(const float *x, float *y, int n)
{
    float m = max_of(x, n), sum = 0.0f;
    for (int i = 0; i < n; i++)
        sum += expf(x[i] - m);
    float log_sum = m + logf(sum);
    for (int i = 0; i < n; i++)
        y[i] = x[i] - log_sum;
}

static void ref_lstm_gates(const float *g, float *h, float *c, int units, float forget_bias)
{
    for (int k = 0; k < units; k++) {
        float i = sigmoid1(g[k]), j = tanhf(g[units + k]);
        float f = sigmoid1(g[2 * units + k] + forget_bias), o = sigmoid1(g[3 * units + k]);
        c[k] = c[k] * f + i * j;
        h[k] = tanhf(c[k]) * o;
    }
}

static void ref_f16_to_f32(const uint16_t *x, float *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = nn_f16_to_f32(x[i]);
}

/* ---- Training ------------------------------------------------------------------------------ */

static void ref_train_gemm(int flags, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                           float *c, int ldc)
{
    for (int i = 0; i < m; i++) {
        float *ci = c + (size_t)i * ldc;
        if (!(flags & NN_GEMM_ACCUMULATE))
            for (int j = 0; j < n; j++)
                ci[j] = 0.0f;
        for (int p = 0; p < k; p++) {
            float aip = flags & NN_GEMM_TRANS_A ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
            for (int j = 0; j < n; j++)
                ci[j] += aip * (flags & NN_GEMM_TRANS_B ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j]);
        }
    }
}


static void ref_train_lstm_forward(int rows, int units, float forget_bias, const float *bias, const float *mask,
                                   const float *c_prev, const float *h_prev, float *gates, float *c, float *h,
                                   float *out)
{
    const int U = units;
    for (int r = 0; r < rows; r++) {
        size_t ru = (size_t)r * U;
        float *g = gates + 4 * ru;
        if (!nn_train_is_real(mask, (size_t)r)) { /* padding: carry the state, output zeros */
            for (int k = 0; k < 4 * U; k++)
                g[k] = 0.0f;
            for (int k = 0; k < U; k++) {
                c[ru + k] = c_prev ? c_prev[ru + k] : 0.0f;
                h[ru + k] = h_prev ? h_prev[ru + k] : 0.0f;
                out[ru + k] = 0.0f;
            }
            continue;
        }
        for (int k = 0; k < U; k++) {
            float i = sigmoid1(g[k] + bias[k]), j = tanhf(g[U + k] + bias[U + k]);
            float f = sigmoid1(g[2 * U + k] + bias[2 * U + k] + forget_bias);
            float o = sigmoid1(g[3 * U + k] + bias[3 * U + k]);
            g[k] = i, g[U + k] = j, g[2 * U + k] = f, g[3 * U + k] = o;
            c[ru + k] = (c_prev ? c_prev[ru + k] * f : 0.0f) + i * j;
            h[ru + k] = out[ru + k] = tanhf(c[ru + k]) * o;
        }
    }
}

static void ref_train_lstm_backward(int rows, int units, const float *mask, const float *gates, const float *c_prev,
                                    const float *c, const float *dh, float *dh_state, float *dc_state,
                                    float *dgates, float *dbias)
{
    const int U = units;
    for (int r = 0; r < rows; r++) {
        size_t ru = (size_t)r * U;
        const float *g = gates + 4 * ru;
        float *dg = dgates + 4 * ru;
        if (!nn_train_is_real(mask, (size_t)r)) { /* a padded step copied the state: its gradient passes through */
            for (int k = 0; k < 4 * U; k++)
                dg[k] = 0.0f;
            continue;
        }
        for (int k = 0; k < U; k++) {
            float i = g[k], j = g[U + k], f = g[2 * U + k], o = g[3 * U + k];
            float tc = tanhf(c[ru + k]);
            float dhk = dh_state[ru + k] + dh[ru + k];
            float dc = dc_state[ru + k] + dhk * o * (1.0f - tc * tc);
            dg[k] = dc * j * i * (1.0f - i);
            dg[U + k] = dc * i * (1.0f - j * j);
            dg[2 * U + k] = (c_prev ? dc * c_prev[ru + k] : 0.0f) * f * (1.0f - f);
            dg[3 * U + k] = dhk * tc * o * (1.0f - o);
            dc_state[ru + k] = dc * f;
            dh_state[ru + k] = 0.0f;
        }
        for (int k = 0; k < 4 * U; k++)
            dbias[k] += dg[k];
    }
}

const nn_kernels nn_kernels_reference = {
    .name = "reference",
    .gemv = ref_gemv,
    .gemm = ref_gemm,
    .add_row = ref_add_row,
    .tanh = ref_tanh,
    .sigmoid = ref_sigmoid,
    .relu = ref_relu,
    .leaky_relu = ref_leaky_relu,
    .softplus = ref_softplus,
    .softmax = ref_softmax,
    .log_softmax = ref_log_softmax,
    .lstm_gates = ref_lstm_gates,
    .f16_to_f32 = ref_f16_to_f32,
    .train_gemm = ref_train_gemm,
    .train_lstm_forward = ref_train_lstm_forward,
    .train_lstm_backward = ref_train_lstm_backward,
};
