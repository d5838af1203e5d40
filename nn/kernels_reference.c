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
};
