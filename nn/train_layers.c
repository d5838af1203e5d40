/* train_layers.c — forward and backward passes of dropout, embeddings and GRU layers for
 * nn-train, in train.c's manner: row-major f32, explicit shapes, no allocation, backward ADDS.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn_private.h"

#include <math.h>
#include <string.h>

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/* ---- Dropout -------------------------------------------------------------------------------- */

void nn_train_dropout_forward(size_t n, float keep, uint64_t seed, uint64_t stream, float *x, float *mask)
{
    if (keep >= 1.0f || keep <= 0.0f) {
        float m = keep >= 1.0f ? 1.0f : 0.0f;
        for (size_t k = 0; k < n; k++)
            mask[k] = m, x[k] *= m;
        return;
    }
    /* PCG32, the sampler's generator, seeded as the PCG paper's pcg32_srandom_r(seed, stream);
     * a value is kept when its uniform (on nn_sampler_uniform's 2^-24 grid) is below keep. */
    nn_pcg32 g;
    nn_pcg32_seed(&g, seed, stream);
    float scale = 1.0f / keep;
    for (size_t k = 0; k < n; k++) {
        mask[k] = nn_pcg32_uniform(&g) < keep ? scale : 0.0f;
        x[k] *= mask[k];
    }
}

void nn_train_dropout_backward(size_t n, const float *mask, float *dy)
{
    for (size_t k = 0; k < n; k++)
        dy[k] *= mask[k];
}

/* ---- Embedding ------------------------------------------------------------------------------ */

void nn_train_embedding_forward(int n, int vocabulary, int dim, const int *ids, const float *table, float *out)
{
    for (int r = 0; r < n; r++) {
        float *o = out + (size_t)r * dim;
        if (ids[r] >= 0 && ids[r] < vocabulary)
            memcpy(o, table + (size_t)ids[r] * dim, (size_t)dim * sizeof *o);
        else
            memset(o, 0, (size_t)dim * sizeof *o);
    }
}

void nn_train_embedding_backward(int n, int vocabulary, int dim, const int *ids, const float *dout, float *dtable)
{
    for (int r = 0; r < n; r++) {
        if (ids[r] < 0 || ids[r] >= vocabulary)
            continue;
        float *d = dtable + (size_t)ids[r] * dim;
        for (int k = 0; k < dim; k++)
            d[k] += dout[(size_t)r * dim + k];
    }
}

/* ---- GRU over sequences ----------------------------------------------------------------------- */

/* The workspace. Kept by forward, per step and row: the gates r, u after the sigmoid [2U], the
 * candidate n after tanh [U], the state h after the step [U] and, for reset_after, h_prev ·
 * Wh + bh [U]. Then backward's own: the carried dh [B, U] and per-step gradients. */
typedef struct gru_work {
    float *gates, *n, *h, *hh;
    float *dh_next, *dgates, *dn, *tmp, *rh;
} gru_work;

static size_t gru_plan(const nn_train_gru *layer, int steps, int batch, float *work, gru_work *w)
{
    size_t tb = (size_t)steps * batch, b = (size_t)batch, U = (size_t)layer->units, used = 0;
#define TAKE(field, count)              \
    do {                                \
        if (w)                          \
            w->field = work + used;     \
        used += (count);                \
    } while (0)
    TAKE(gates, tb * 2 * U);
    TAKE(n, tb * U);
    TAKE(h, tb * U);
    TAKE(hh, tb * U);
    TAKE(dh_next, b * U);
    TAKE(dgates, b * 2 * U);
    TAKE(dn, b * U);
    TAKE(tmp, b * U);
    TAKE(rh, b * U);
#undef TAKE
    return used;
}

size_t nn_train_gru_workspace_size(const nn_train_gru *layer, int steps, int batch)
{
    return gru_plan(layer, steps, batch, NULL, NULL);
}

void nn_train_gru_forward(const nn_train_gru *layer, int steps, int batch, const float *x, const float *mask,
                          const nn_train_gru_params *p, float *h_out, float *work)
{
    const int in = layer->input, U = layer->units, B = batch;
    const float *Wx = p->candidate_kernel, *Wh = p->candidate_kernel + (size_t)in * U;
    gru_work w;
    gru_plan(layer, steps, batch, work, &w);
    for (int t = 0; t < steps; t++) {
        size_t bu = (size_t)t * B * U;
        const float *xt = x + (size_t)t * B * in, *h_prev = t ? w.h + bu - (size_t)B * U : NULL;
        float *g = w.gates + 2 * bu, *n = w.n + bu, *h = w.h + bu, *hh = w.hh + bu;

        /* [r, u] = sigmoid([x, h_prev] · gate_kernel + gate_bias) */
        nn_fill_rows(B, 2 * U, p->gate_bias, g);
        nn_train_gemm(NN_GEMM_ACCUMULATE, B, 2 * U, in, xt, in, p->gate_kernel, 2 * U, g, 2 * U);
        if (t)
            nn_train_gemm(NN_GEMM_ACCUMULATE, B, 2 * U, U, h_prev, U, p->gate_kernel + (size_t)in * 2 * U, 2 * U, g,
                          2 * U);
        for (size_t k = 0; k < (size_t)B * 2 * U; k++)
            g[k] = sigmoid(g[k]);

        /* n = tanh(x · Wx + b + ...) */
        nn_fill_rows(B, U, p->candidate_bias, n);
        nn_train_gemm(NN_GEMM_ACCUMULATE, B, U, in, xt, in, Wx, U, n, U);
        if (layer->reset_after) { /* ... + r * (h_prev · Wh + bh) */
            nn_fill_rows(B, U, p->candidate_hidden_bias, hh);
            if (t)
                nn_train_gemm(NN_GEMM_ACCUMULATE, B, U, U, h_prev, U, Wh, U, hh, U);
            for (int b = 0; b < B; b++)
                for (int k = 0; k < U; k++)
                    n[(size_t)b * U + k] += g[(size_t)b * 2 * U + k] * hh[(size_t)b * U + k];
        } else if (t) { /* ... + (r * h_prev) · Wh + bh */
            for (int b = 0; b < B; b++)
                for (int k = 0; k < U; k++)
                    w.rh[(size_t)b * U + k] = g[(size_t)b * 2 * U + k] * h_prev[(size_t)b * U + k];
            nn_train_gemm(NN_GEMM_ACCUMULATE, B, U, U, w.rh, U, Wh, U, n, U);
        }
        if (!layer->reset_after && p->candidate_hidden_bias)
            for (int b = 0; b < B; b++)
                for (int k = 0; k < U; k++)
                    n[(size_t)b * U + k] += p->candidate_hidden_bias[k];

        /* h = u * h_prev + (1 - u) * n; padding carries h and outputs zeros. */
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)b * U;
            int real = nn_train_is_real(mask, (size_t)t * B + b);
            for (int k = 0; k < U; k++) {
                float hp = t ? h_prev[r + k] : 0.0f, u = g[2 * r + U + k];
                n[r + k] = tanhf(n[r + k]);
                h[r + k] = real ? u * hp + (1.0f - u) * n[r + k] : hp;
                h_out[bu + r + k] = real ? h[r + k] : 0.0f;
            }
        }
    }
}

void nn_train_gru_backward(const nn_train_gru *layer, int steps, int batch, const float *x, const float *mask,
                           const nn_train_gru_params *p, const float *dh_in, float *dx, const nn_train_gru_params *grads,
                           float *work)
{
    const int in = layer->input, U = layer->units, B = batch;
    const float *Wx = p->candidate_kernel, *Wh = p->candidate_kernel + (size_t)in * U;
    float *dWx = grads->candidate_kernel, *dWh = grads->candidate_kernel + (size_t)in * U;
    gru_work w;
    gru_plan(layer, steps, batch, work, &w);
    memset(w.dh_next, 0, (size_t)B * U * sizeof(float));
    for (int t = steps - 1; t >= 0; t--) {
        size_t bu = (size_t)t * B * U;
        const float *xt = x + (size_t)t * B * in, *h_prev = t ? w.h + bu - (size_t)B * U : NULL;
        const float *g = w.gates + 2 * bu, *n = w.n + bu, *hh = w.hh + bu;

        /* h = u * h_prev + (1 - u) * n: dn (before tanh), du (before sigmoid); dh_next keeps
         * dh * u, the direct path into h_prev. A padded row keeps its dh_next and gives 0. */
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)b * U;
            float *dg = w.dgates + 2 * r;
            if (!nn_train_is_real(mask, (size_t)t * B + b)) {
                memset(dg, 0, 2 * (size_t)U * sizeof *dg);
                memset(w.dn + r, 0, (size_t)U * sizeof(float));
                continue;
            }
            for (int k = 0; k < U; k++) {
                float dh = w.dh_next[r + k] + dh_in[bu + r + k], u = g[2 * r + U + k], nk = n[r + k];
                float hp = t ? h_prev[r + k] : 0.0f;
                dg[U + k] = dh * (hp - nk) * u * (1.0f - u);
                w.dn[r + k] = dh * (1.0f - u) * (1.0f - nk * nk);
                w.dh_next[r + k] = dh * u;
            }
        }

        /* The candidate: x · Wx + b, then the hidden part, which gives dr. */
        nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, in, U, B, xt, in, w.dn, U, dWx, U);
        nn_add_rows(B, U, w.dn, grads->candidate_bias);
        if (dx)
            nn_train_gemm(NN_GEMM_TRANS_B | NN_GEMM_ACCUMULATE, B, in, U, w.dn, U, Wx, U, dx + (size_t)t * B * in, in);
        if (layer->reset_after) {
            /* n_pre += r * hh, hh = h_prev · Wh + bh: dr = dn * hh, dhh = dn * r (into w.tmp) */
            for (int b = 0; b < B; b++)
                for (int k = 0; k < U; k++) {
                    size_t r = (size_t)b * U + k;
                    float rk = g[(size_t)b * 2 * U + k];
                    w.dgates[(size_t)b * 2 * U + k] = w.dn[r] * hh[r] * rk * (1.0f - rk);
                    w.tmp[r] = w.dn[r] * rk;
                }
            if (p->candidate_hidden_bias)
                nn_add_rows(B, U, w.tmp, grads->candidate_hidden_bias);
            if (t) {
                nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, U, U, B, h_prev, U, w.tmp, U, dWh, U);
                nn_train_gemm(NN_GEMM_TRANS_B, B, U, U, w.tmp, U, Wh, U, w.rh, U);
            }
        } else {
            /* n_pre += (r * h_prev) · Wh + bh: drh = dn · Whᵀ, dr = drh * h_prev */
            if (p->candidate_hidden_bias)
                nn_add_rows(B, U, w.dn, grads->candidate_hidden_bias);
            if (t) {
                for (int b = 0; b < B; b++)
                    for (int k = 0; k < U; k++)
                        w.rh[(size_t)b * U + k] = g[(size_t)b * 2 * U + k] * h_prev[(size_t)b * U + k];
                nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, U, U, B, w.rh, U, w.dn, U, dWh, U);
                nn_train_gemm(NN_GEMM_TRANS_B, B, U, U, w.dn, U, Wh, U, w.tmp, U);
            }
            for (int b = 0; b < B; b++)
                for (int k = 0; k < U; k++) {
                    size_t r = (size_t)b * U + k;
                    float rk = g[(size_t)b * 2 * U + k], drh = t ? w.tmp[r] : 0.0f;
                    w.dgates[(size_t)b * 2 * U + k] = drh * (t ? h_prev[r] : 0.0f) * rk * (1.0f - rk);
                    w.rh[r] = drh * rk; /* into h_prev */
                }
        }

        /* The gates: [r, u] = sigmoid([x, h_prev] · gate_kernel + gate_bias) */
        nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, in, 2 * U, B, xt, in, w.dgates, 2 * U, grads->gate_kernel,
                      2 * U);
        nn_add_rows(B, 2 * U, w.dgates, grads->gate_bias);
        if (dx)
            nn_train_gemm(NN_GEMM_TRANS_B | NN_GEMM_ACCUMULATE, B, in, 2 * U, w.dgates, 2 * U, p->gate_kernel, 2 * U,
                          dx + (size_t)t * B * in, in);
        if (!t)
            continue;
        nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, U, 2 * U, B, h_prev, U, w.dgates, 2 * U,
                      grads->gate_kernel + (size_t)in * 2 * U, 2 * U);
        /* dh_next += the candidate's path (w.rh) + the gates' path; padded rows are untouched. */
        nn_train_gemm(NN_GEMM_TRANS_B | NN_GEMM_ACCUMULATE, B, U, 2 * U, w.dgates, 2 * U,
                      p->gate_kernel + (size_t)in * 2 * U, 2 * U, w.rh, U);
        for (int b = 0; b < B; b++)
            if (nn_train_is_real(mask, (size_t)t * B + b))
                for (int k = 0; k < U; k++)
                    w.dh_next[(size_t)b * U + k] += w.rh[(size_t)b * U + k];
    }
}
