/* train.c — forward and backward passes, cross-entropy, gradient clipping and Adam for nn-train.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn.h"

#include <math.h>
#include <string.h>

/* ---- Matrix product ------------------------------------------------------------------------ */

void nn_train_gemm(int flags, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                   float *c, int ldc)
{
    for (int i = 0; i < m; i++) {
        float *ci = c + (size_t)i * ldc;
        if (!(flags & NN_GEMM_ACCUMULATE))
            memset(ci, 0, (size_t)n * sizeof *ci);
        for (int p = 0; p < k; p++) {
            float aip = flags & NN_GEMM_TRANS_A ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
            for (int j = 0; j < n; j++)
                ci[j] += aip * (flags & NN_GEMM_TRANS_B ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j]);
        }
    }
}

/* ---- Dense ------------------------------------------------------------------------------- */

void nn_train_dense_forward(int n, int in, int out, const float *x, const float *w,
                            const float *b, float *y)
{
    for (int r = 0; r < n; r++) {
        const float *xr = x + (size_t)r * in;
        float *yr = y + (size_t)r * out;
        for (int o = 0; o < out; o++)
            yr[o] = b ? b[o] : 0.0f;
        for (int i = 0; i < in; i++) {
            const float *wi = w + (size_t)i * out;
            for (int o = 0; o < out; o++)
                yr[o] += xr[i] * wi[o];
        }
    }
}

void nn_train_dense_backward(int n, int in, int out, const float *x, const float *w,
                             const float *dy, float *dx, float *dw, float *db)
{
    for (int r = 0; r < n; r++) {
        const float *xr = x + (size_t)r * in, *dyr = dy + (size_t)r * out;
        for (int o = 0; o < out; o++)
            db[o] += dyr[o];
        for (int i = 0; i < in; i++) {
            const float *wi = w + (size_t)i * out;
            float *dwi = dw + (size_t)i * out;
            float dxi = 0.0f;
            for (int o = 0; o < out; o++) {
                dwi[o] += xr[i] * dyr[o];
                dxi += wi[o] * dyr[o];
            }
            if (dx)
                dx[(size_t)r * in + i] += dxi;
        }
    }
}

/* ---- LSTM over sequences ------------------------------------------------------------------ */

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/* The workspace: per step and row the activated gates i, j, f, o and the state (h, c) after
 * the step, which the backward pass reads back; then the backward pass's own running dh, dc
 * and gate gradients for one step. */
typedef struct lstm_work {
    float *gates, *c, *h;     /* [T, B, 4U], [T, B, U], [T, B, U] */
    float *dh_next, *dc_next; /* [B, U]: gradient flowing into the state of step t - 1 */
    float *dgates;            /* [4U]: pre-activation gate gradients of one row */
} lstm_work;

static lstm_work lstm_work_of(int steps, int batch, int units, float *work)
{
    size_t tbu = (size_t)steps * batch * units, bu = (size_t)batch * units;
    lstm_work w = {.gates = work};
    w.c = w.gates + 4 * tbu;
    w.h = w.c + tbu;
    w.dh_next = w.h + tbu;
    w.dc_next = w.dh_next + bu;
    w.dgates = w.dc_next + bu;
    return w;
}

size_t nn_train_lstm_workspace_size(const nn_train_lstm *layer, int steps, int batch)
{
    size_t u = (size_t)layer->units;
    return 6 * (size_t)steps * batch * u + 2 * (size_t)batch * u + 4 * u;
}

static int is_real(const float *mask, size_t index) { return !mask || mask[index] != 0.0f; }

void nn_train_lstm_forward(const nn_train_lstm *layer, int steps, int batch, const float *x,
                           const float *mask, const float *kernel, const float *bias, float *h,
                           float *work)
{
    const int in = layer->input, U = layer->units, G = 4 * U;
    lstm_work w = lstm_work_of(steps, batch, U, work);
    for (int t = 0; t < steps; t++) {
        for (int b = 0; b < batch; b++) {
            size_t tb = (size_t)t * batch + b;
            const float *xt = x + tb * in;
            const float *h_prev = t ? w.h + (tb - batch) * U : NULL;
            const float *c_prev = t ? w.c + (tb - batch) * U : NULL;
            float *g = w.gates + tb * G, *c = w.c + tb * U, *hs = w.h + tb * U, *out = h + tb * U;
            if (!is_real(mask, tb)) { /* padding: carry the state, output zeros */
                memset(g, 0, (size_t)G * sizeof *g);
                for (int k = 0; k < U; k++) {
                    c[k] = c_prev ? c_prev[k] : 0.0f;
                    hs[k] = h_prev ? h_prev[k] : 0.0f;
                    out[k] = 0.0f;
                }
                continue;
            }
            /* gates = [x, h_prev] · kernel + bias */
            memcpy(g, bias, (size_t)G * sizeof *g);
            for (int r = 0; r < in; r++)
                for (int k = 0; k < G; k++)
                    g[k] += xt[r] * kernel[(size_t)r * G + k];
            for (int r = 0; h_prev && r < U; r++)
                for (int k = 0; k < G; k++)
                    g[k] += h_prev[r] * kernel[(size_t)(in + r) * G + k];
            for (int k = 0; k < U; k++) {
                float i = sigmoid(g[k]), j = tanhf(g[U + k]);
                float f = sigmoid(g[2 * U + k] + layer->forget_bias), o = sigmoid(g[3 * U + k]);
                g[k] = i, g[U + k] = j, g[2 * U + k] = f, g[3 * U + k] = o;
                c[k] = (c_prev ? c_prev[k] * f : 0.0f) + i * j;
                hs[k] = out[k] = tanhf(c[k]) * o;
            }
        }
    }
}

void nn_train_lstm_backward(const nn_train_lstm *layer, int steps, int batch, const float *x,
                            const float *mask, const float *kernel, const float *dh, float *dx,
                            float *dkernel, float *dbias, float *work)
{
    const int in = layer->input, U = layer->units, G = 4 * U;
    lstm_work w = lstm_work_of(steps, batch, U, work);
    memset(w.dh_next, 0, (size_t)batch * U * sizeof *w.dh_next);
    memset(w.dc_next, 0, (size_t)batch * U * sizeof *w.dc_next);
    float *dg = w.dgates;
    for (int t = steps - 1; t >= 0; t--) {
        for (int b = 0; b < batch; b++) {
            size_t tb = (size_t)t * batch + b;
            /* A padded step copied the state: its gradient passes through untouched. */
            if (!is_real(mask, tb))
                continue;
            const float *xt = x + tb * in, *g = w.gates + tb * G, *c = w.c + tb * U;
            const float *h_prev = t ? w.h + (tb - batch) * U : NULL;
            const float *c_prev = t ? w.c + (tb - batch) * U : NULL;
            float *dh_state = w.dh_next + (size_t)b * U, *dc_state = w.dc_next + (size_t)b * U;
            for (int k = 0; k < U; k++) {
                float i = g[k], j = g[U + k], f = g[2 * U + k], o = g[3 * U + k];
                float tc = tanhf(c[k]);
                float dhk = dh_state[k] + dh[tb * U + k];
                float dc = dc_state[k] + dhk * o * (1.0f - tc * tc);
                dg[k] = dc * j * i * (1.0f - i);                               /* i */
                dg[U + k] = dc * i * (1.0f - j * j);                           /* j */
                dg[2 * U + k] = (c_prev ? dc * c_prev[k] : 0.0f) * f * (1.0f - f); /* f */
                dg[3 * U + k] = dhk * tc * o * (1.0f - o);                     /* o */
                dc_state[k] = dc * f; /* into c_prev */
            }
            for (int k = 0; k < G; k++)
                dbias[k] += dg[k];
            for (int r = 0; r < in; r++) {
                const float *kr = kernel + (size_t)r * G;
                float *dkr = dkernel + (size_t)r * G, dxr = 0.0f;
                for (int k = 0; k < G; k++) {
                    dkr[k] += xt[r] * dg[k];
                    dxr += kr[k] * dg[k];
                }
                if (dx)
                    dx[tb * in + r] += dxr;
            }
            for (int r = 0; r < U; r++) {
                const float *kr = kernel + (size_t)(in + r) * G;
                float *dkr = dkernel + (size_t)(in + r) * G, dhr = 0.0f;
                for (int k = 0; k < G; k++) {
                    if (h_prev)
                        dkr[k] += h_prev[r] * dg[k];
                    dhr += kr[k] * dg[k];
                }
                dh_state[r] = dhr; /* into h_prev */
            }
        }
    }
}

/* ---- Loss --------------------------------------------------------------------------------- */

float nn_train_softmax_cross_entropy(int n, int classes, const float *logits, const int *labels,
                                     const float *mask, float *dlogits)
{
    int count = 0;
    for (int r = 0; r < n; r++)
        count += is_real(mask, (size_t)r);
    double total = 0.0;
    for (int r = 0; r < n; r++) {
        const float *z = logits + (size_t)r * classes;
        float *dz = dlogits ? dlogits + (size_t)r * classes : NULL;
        if (!is_real(mask, (size_t)r) || labels[r] < 0 || labels[r] >= classes) {
            if (dz)
                memset(dz, 0, (size_t)classes * sizeof *dz);
            continue;
        }
        float m = z[0];
        for (int k = 1; k < classes; k++)
            m = z[k] > m ? z[k] : m;
        double sum = 0.0;
        for (int k = 0; k < classes; k++)
            sum += exp((double)z[k] - m);
        double log_sum = m + log(sum);
        total += log_sum - z[labels[r]];
        /* d mean / d z = (softmax(z) - onehot(label)) / count */
        for (int k = 0; dz && k < classes; k++)
            dz[k] = (float)((exp(z[k] - log_sum) - (k == labels[r])) / count);
    }
    return count ? (float)(total / count) : 0.0f;
}

/* ---- Clipping and Adam ---------------------------------------------------------------------- */

float nn_train_global_norm(size_t n, const float *grads)
{
    double sum = 0.0;
    for (size_t k = 0; k < n; k++)
        sum += (double)grads[k] * grads[k];
    return (float)sqrt(sum);
}

float nn_train_clip_by_global_norm(size_t n, float *grads, float clip_norm)
{
    float norm = nn_train_global_norm(n, grads);
    float scale = clip_norm / fmaxf(norm, clip_norm);
    if (scale < 1.0f)
        for (size_t k = 0; k < n; k++)
            grads[k] *= scale;
    return norm;
}

nn_train_adam nn_train_adam_defaults(float learning_rate)
{
    return (nn_train_adam){.learning_rate = learning_rate, .beta1 = 0.9f, .beta2 = 0.999f, .epsilon = 1e-8f};
}

void nn_train_adam_update(const nn_train_adam *adam, int64_t t, size_t n, float *params,
                          const float *grads, float *m, float *v)
{
    float b1 = adam->beta1, b2 = adam->beta2;
    /* TensorFlow folds the bias corrections into the step size; epsilon is not corrected. */
    float lr_t = (float)(adam->learning_rate * sqrt(1.0 - pow(b2, (double)t)) / (1.0 - pow(b1, (double)t)));
    for (size_t k = 0; k < n; k++) {
        m[k] = b1 * m[k] + (1.0f - b1) * grads[k];
        v[k] = b2 * v[k] + (1.0f - b2) * grads[k] * grads[k];
        params[k] -= lr_t * m[k] / (sqrtf(v[k]) + adam->epsilon);
    }
}

/* ---- The reference model ------------------------------------------------------------------- */

static size_t lstm_params(int in, int units) { return (size_t)(in + units) * 4 * units + 4 * (size_t)units; }

size_t nn_train_rnn_param_count(const nn_train_rnn *model)
{
    return lstm_params(model->input, model->units[0]) + lstm_params(model->units[0], model->units[1]) +
           (size_t)model->units[1] * model->classes + (size_t)model->classes;
}

void nn_train_rnn_tensors_of(const nn_train_rnn *model, float *params, nn_train_rnn_tensors *out)
{
    int in = model->input;
    for (int l = 0; l < 2; l++) {
        int u = model->units[l];
        out->kernel[l] = params;
        out->bias[l] = params + (size_t)(in + u) * 4 * u;
        params = out->bias[l] + 4 * u;
        in = u;
    }
    out->out_kernel = params;
    out->out_bias = params + (size_t)model->units[1] * model->classes;
}

/* The model's workspace: activations kept for backward, then their gradients. */
typedef struct rnn_work {
    float *x, *h0, *h1, *logits, *lstm0, *lstm1, *dlogits, *dh1, *dh0;
} rnn_work;

static rnn_work rnn_work_of(const nn_train_rnn *model, int steps, int batch, float *work)
{
    size_t tb = (size_t)steps * batch;
    nn_train_lstm l0 = {model->input, model->units[0], model->forget_bias};
    nn_train_lstm l1 = {model->units[0], model->units[1], model->forget_bias};
    rnn_work w = {.x = work};
    w.h0 = w.x + tb * model->input;
    w.h1 = w.h0 + tb * model->units[0];
    w.logits = w.h1 + tb * model->units[1];
    w.lstm0 = w.logits + tb * model->classes;
    w.lstm1 = w.lstm0 + nn_train_lstm_workspace_size(&l0, steps, batch);
    w.dlogits = w.lstm1 + nn_train_lstm_workspace_size(&l1, steps, batch);
    w.dh1 = w.dlogits + tb * model->classes;
    w.dh0 = w.dh1 + tb * model->units[1];
    return w;
}

size_t nn_train_rnn_workspace_size(const nn_train_rnn *model, int steps, int batch)
{
    size_t tb = (size_t)steps * batch;
    nn_train_lstm l0 = {model->input, model->units[0], model->forget_bias};
    nn_train_lstm l1 = {model->units[0], model->units[1], model->forget_bias};
    return tb * (model->input + 2 * (size_t)model->units[0] + 2 * (size_t)model->units[1] + 2 * (size_t)model->classes) +
           nn_train_lstm_workspace_size(&l0, steps, batch) + nn_train_lstm_workspace_size(&l1, steps, batch);
}

float nn_train_rnn_loss(const nn_train_rnn *model, int steps, int batch, const int *inputs,
                        const int *labels, const float *mask, const float *params, float *grads,
                        float *work)
{
    size_t tb = (size_t)steps * batch;
    int in = model->input, u0 = model->units[0], u1 = model->units[1], C = model->classes;
    nn_train_lstm l0 = {in, u0, model->forget_bias}, l1 = {u0, u1, model->forget_bias};
    nn_train_rnn_tensors p, g;
    /* Views only: the parameters are read, never written. */
    nn_train_rnn_tensors_of(model, (float *)params, &p);
    rnn_work w = rnn_work_of(model, steps, batch, work);

    memset(w.x, 0, tb * in * sizeof *w.x);
    for (size_t r = 0; r < tb; r++)
        if (inputs[r] >= 0 && inputs[r] < in)
            w.x[r * in + inputs[r]] = 1.0f;
    nn_train_lstm_forward(&l0, steps, batch, w.x, mask, p.kernel[0], p.bias[0], w.h0, w.lstm0);
    nn_train_lstm_forward(&l1, steps, batch, w.h0, mask, p.kernel[1], p.bias[1], w.h1, w.lstm1);
    nn_train_dense_forward((int)tb, u1, C, w.h1, p.out_kernel, p.out_bias, w.logits);
    float loss = nn_train_softmax_cross_entropy((int)tb, C, w.logits, labels, mask, grads ? w.dlogits : NULL);
    if (!grads)
        return loss;

    nn_train_rnn_tensors_of(model, grads, &g);
    memset(w.dh1, 0, tb * u1 * sizeof *w.dh1);
    memset(w.dh0, 0, tb * u0 * sizeof *w.dh0);
    nn_train_dense_backward((int)tb, u1, C, w.h1, p.out_kernel, w.dlogits, w.dh1, g.out_kernel, g.out_bias);
    nn_train_lstm_backward(&l1, steps, batch, w.h0, mask, p.kernel[1], w.dh1, w.dh0, g.kernel[1], g.bias[1], w.lstm1);
    /* The one-hot input has no gradient to give. */
    nn_train_lstm_backward(&l0, steps, batch, w.x, mask, p.kernel[0], w.dh0, NULL, g.kernel[0], g.bias[0], w.lstm0);
    return loss;
}
