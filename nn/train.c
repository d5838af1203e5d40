/* train.c — forward and backward passes, cross-entropy, gradient clipping and Adam for nn-train.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * The layers are written as matrix products over whole batches and sequences (nn_train_gemm,
 * the kernel table's train_gemm) plus element-wise kernels; only what must run step by step
 * (the recurrence) does.
 */
#include "nn_private.h"

#include <math.h>
#include <string.h>

/* ---- Matrix product ------------------------------------------------------------------------ */

void nn_train_gemm(int flags, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                   float *c, int ldc)
{
    nn_active->train_gemm(flags, m, n, k, a, lda, b, ldb, c, ldc);
}

/* ---- Dense ------------------------------------------------------------------------------- */

void nn_train_dense_forward(int n, int in, int out, const float *x, const float *w,
                            const float *b, float *y)
{
    for (int r = 0; b && r < n; r++)
        memcpy(y + (size_t)r * out, b, (size_t)out * sizeof *y);
    nn_train_gemm(b ? NN_GEMM_ACCUMULATE : 0, n, out, in, x, in, w, out, y, out);
}

/* db[cols] += Σ rows of x[rows, cols], row by row. */
static void add_column_sums(int rows, int cols, const float *x, float *db)
{
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < cols; k++)
            db[k] += x[(size_t)r * cols + k];
}

void nn_train_dense_backward(int n, int in, int out, const float *x, const float *w,
                             const float *dy, float *dx, float *dw, float *db)
{
    add_column_sums(n, out, dy, db);
    nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, in, out, n, x, in, dy, out, dw, out);
    if (dx)
        nn_train_gemm(NN_GEMM_TRANS_B | NN_GEMM_ACCUMULATE, n, in, out, dy, out, w, out, dx, in);
}

/* ---- LSTM over sequences ------------------------------------------------------------------ */

/* The workspace: per step and row the activated gates i, j, f, o and the state (h, c) after
 * the step, which the backward pass reads back; then the backward pass's own: the gate
 * gradients of every step (for the weight gradients, taken in one product after the
 * recurrence) and the running dh, dc of one step. */
typedef struct lstm_work {
    float *gates, *c, *h;     /* [T, B, 4U], [T, B, U], [T, B, U] */
    float *dgates;            /* [T, B, 4U]: pre-activation gate gradients */
    float *dh_next, *dc_next; /* [B, U]: gradient flowing into the state of step t - 1 */
} lstm_work;

static lstm_work lstm_work_of(int steps, int batch, int units, float *work)
{
    size_t tbu = (size_t)steps * batch * units, bu = (size_t)batch * units;
    lstm_work w = {.gates = work};
    w.c = w.gates + 4 * tbu;
    w.h = w.c + tbu;
    w.dgates = w.h + tbu;
    w.dh_next = w.dgates + 4 * tbu;
    w.dc_next = w.dh_next + bu;
    return w;
}

size_t nn_train_lstm_workspace_size(const nn_train_lstm *layer, int steps, int batch)
{
    size_t u = (size_t)layer->units;
    return 10 * (size_t)steps * batch * u + 2 * (size_t)batch * u;
}

void nn_train_lstm_forward(const nn_train_lstm *layer, int steps, int batch, const float *x,
                           const float *mask, const float *kernel, const float *bias, float *h,
                           float *work)
{
    const int in = layer->input, U = layer->units, G = 4 * U;
    const size_t bu = (size_t)batch * U, bg = (size_t)batch * G;
    const float *w_h = kernel + (size_t)in * G; /* the kernel's last U rows act on h */
    lstm_work w = lstm_work_of(steps, batch, U, work);
    /* The input's share of every step's gates in one product: gates[T·B, 4U] = x · W_x. */
    nn_train_gemm(0, steps * batch, G, in, x, in, kernel, G, w.gates, G);
    for (int t = 0; t < steps; t++) {
        float *g = w.gates + t * bg;
        const float *h_prev = t ? w.h + (t - 1) * bu : NULL, *c_prev = t ? w.c + (t - 1) * bu : NULL;
        if (t) /* gates[t] += h[t-1] · W_h (the zero state adds nothing) */
            nn_train_gemm(NN_GEMM_ACCUMULATE, batch, G, U, h_prev, U, w_h, G, g, G);
        nn_active->train_lstm_forward(batch, U, layer->forget_bias, bias, mask ? mask + (size_t)t * batch : NULL,
                                      c_prev, h_prev, g, w.c + t * bu, w.h + t * bu, h + t * bu);
    }
}

void nn_train_lstm_backward(const nn_train_lstm *layer, int steps, int batch, const float *x,
                            const float *mask, const float *kernel, const float *dh, float *dx,
                            float *dkernel, float *dbias, float *work)
{
    const int in = layer->input, U = layer->units, G = 4 * U, rows = steps * batch;
    const size_t bu = (size_t)batch * U, bg = (size_t)batch * G;
    const float *w_h = kernel + (size_t)in * G;
    lstm_work w = lstm_work_of(steps, batch, U, work);
    memset(w.dh_next, 0, bu * sizeof *w.dh_next);
    memset(w.dc_next, 0, bu * sizeof *w.dc_next);
    /* The recurrence, backwards: each step's gate gradients (and dbias), then the gradient
     * into h[t-1], dh_next += dgates[t] · W_hᵀ (the kernel zeroed it for real rows; padded
     * rows add zeros and so pass their gradient through). */
    for (int t = steps - 1; t >= 0; t--) {
        const float *c_prev = t ? w.c + (t - 1) * bu : NULL;
        float *dg = w.dgates + t * bg;
        nn_active->train_lstm_backward(batch, U, mask ? mask + (size_t)t * batch : NULL, w.gates + t * bg, c_prev,
                                       w.c + t * bu, dh + t * bu, w.dh_next, w.dc_next, dg, dbias);
        if (t)
            nn_train_gemm(NN_GEMM_TRANS_B | NN_GEMM_ACCUMULATE, batch, U, G, dg, G, w_h, G, w.dh_next, U);
    }
    /* The weights' gradients over all steps at once: dW_x += xᵀ · dG, and dW_h += h[t-1]ᵀ ·
     * dG[t] summed over t >= 1 (step 0 saw the zero state). */
    nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, in, G, rows, x, in, w.dgates, G, dkernel, G);
    nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, U, G, rows - batch, w.h, U, w.dgates + bg, G,
                  dkernel + (size_t)in * G, G);
    if (dx) /* dx += dG · W_xᵀ */
        nn_train_gemm(NN_GEMM_TRANS_B | NN_GEMM_ACCUMULATE, rows, in, G, w.dgates, G, kernel, G, dx, in);
}

/* ---- Loss --------------------------------------------------------------------------------- */

nn_train_metrics nn_train_cross_entropy_rows(size_t rows, int classes, const float *logits, const int *labels,
                                             const float *mask, double grad_scale, float *dlogits)
{
    nn_train_metrics s = {0};
    for (size_t r = 0; r < rows; r++) {
        const float *z = logits + r * classes;
        float *dz = dlogits ? dlogits + r * classes : NULL;
        if (!nn_train_is_real(mask, r) || labels[r] < 0 || labels[r] >= classes) {
            if (dz)
                memset(dz, 0, (size_t)classes * sizeof *dz);
            continue;
        }
        int best = nn_argmax(z, classes);
        double sum = 0.0;
        for (int k = 0; k < classes; k++)
            sum += exp((double)z[k] - z[best]);
        double log_sum = z[best] + log(sum);
        s.loss_sum += log_sum - z[labels[r]];
        s.steps++;
        s.correct += best == labels[r];
        for (int k = 0; dz && k < classes; k++)
            dz[k] = (float)((exp(z[k] - log_sum) - (k == labels[r])) * grad_scale);
    }
    return s;
}

float nn_train_softmax_cross_entropy(int n, int classes, const float *logits, const int *labels,
                                     const float *mask, float *dlogits)
{
    int count = 0;
    for (int r = 0; r < n; r++)
        count += nn_train_is_real(mask, (size_t)r);
    /* d mean / d z = (softmax(z) - onehot(label)) / count */
    nn_train_metrics s = nn_train_cross_entropy_rows((size_t)n, classes, logits, labels, mask,
                                                     count ? 1.0 / count : 0.0, dlogits);
    return count ? (float)(s.loss_sum / count) : 0.0f;
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
