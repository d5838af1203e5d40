/* train_attention.c — forward and backward passes of Magenta's AttentionCellWrapper around a
 * BasicLSTMCell (magenta/contrib/rnn.py), over whole padded sequences, for nn-train.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * The maths is in nn.h. Each step runs the products for all B rows at once through
 * nn_train_gemm; only the attention over the window, which differs per row, is a per-row loop.
 * The window of a row at step t is its last L real steps before t (newest first), then zero
 * states: a padded step pushes nothing. Its states are the outputs kept in the workspace, and
 * their projections through attn_w are kept beside them, so nothing is copied per step.
 *
 * Backward runs t from last to first. An output feeds its own step's consumer (dout) and the
 * windows of up to L later steps, which all come after it in time: so by the time the pass
 * reaches step t, the gradients of out_t and of its projection (accumulated by those later
 * steps into d_out and d_feature) are complete.
 */
#include "nn_private.h"

#include <math.h>
#include <string.h>

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/* The workspace. Kept by forward for backward, per step and row: x' [I], the activated gates
 * i, j, f, o [4U], c, h, attns after the step [U each], the query projection y [U], the
 * attention weights a [L], the output [U] and its projection through attn_w [U]. Then the
 * backward pass's own: gradients of every output and projection [T, B, U] each, the carried
 * gradients of h, c and attns [B, U], per-step gradients; and for one row at a time, the
 * tanh of the window's scores [L, U] (recomputed by backward: kept, it would be T·B·L·U) and
 * da [L]. */
typedef struct attention_work {
    float *xp, *gates, *c, *h, *attns, *y, *a, *out, *feature;
    float *d_out, *d_feature, *dh_next, *dc_next, *dattns_next;
    float *dh, *dc, *dattns, *dy, *dz, *dxp, *tmp, *th, *da;
} attention_work;

static size_t attention_plan(const nn_train_attention *layer, int steps, int batch, float *work, attention_work *w)
{
    size_t tb = (size_t)steps * batch, b = (size_t)batch, I = (size_t)layer->input, U = (size_t)layer->units;
    size_t L = (size_t)layer->length, used = 0;
#define TAKE(field, n)                   \
    do {                                 \
        if (w)                           \
            w->field = work + used;      \
        used += (n);                     \
    } while (0)
    TAKE(xp, tb * I);
    TAKE(gates, tb * 4 * U);
    TAKE(c, tb * U);
    TAKE(h, tb * U);
    TAKE(attns, tb * U);
    TAKE(y, tb * U);
    TAKE(a, tb * L);
    TAKE(out, tb * U);
    TAKE(feature, tb * U);
    TAKE(d_out, tb * U);
    TAKE(d_feature, tb * U);
    TAKE(dh_next, b * U);
    TAKE(dc_next, b * U);
    TAKE(dattns_next, b * U);
    TAKE(dh, b * U);
    TAKE(dc, b * U);
    TAKE(dattns, b * U);
    TAKE(dy, b * U);
    TAKE(dz, b * 4 * U);
    TAKE(dxp, b * I);
    TAKE(tmp, b * U);
    TAKE(th, L * U);
    TAKE(da, L);
#undef TAKE
    return used;
}

size_t nn_train_attention_workspace_size(const nn_train_attention *layer, int steps, int batch)
{
    return attention_plan(layer, steps, batch, NULL, NULL);
}

/* The next-older state of row b's window before step s: the latest real step before s, or -1
 * (a zero state from the start). */
static int older(const float *mask, int batch, int b, int s)
{
    if (s < 0)
        return -1;
    for (s--; s >= 0 && !nn_train_is_real(mask, (size_t)s * batch + b); s--)
        ;
    return s;
}

/* th[L, U] = tanh(F[l] + y) over the window of row b at step t, newest state first (the
 * inference runner's order and its tanh, so both round alike): the one place where the cost
 * grows with L, hence the engine's vector tanh. */
static void window_tanh(const nn_train_attention *layer, int batch, int b, int t, const float *mask,
                        const attention_work *w, const float *y)
{
    const int U = layer->units, L = layer->length;
    for (int l = 0, s = older(mask, batch, b, t); l < L; l++, s = older(mask, batch, b, s)) {
        const float *f = s >= 0 ? w->feature + ((size_t)s * batch + b) * U : NULL;
        for (int k = 0; k < U; k++)
            w->th[(size_t)l * U + k] = (f ? f[k] : 0.0f) + y[k];
    }
    nn_tanh(w->th, w->th, L * U);
}

/* One row's attention: a[L] = softmax of the scores, attns[U] = Σ a[l] S[l]. */
static void attend(const nn_train_attention *layer, int batch, int b, int t, const float *mask,
                   const nn_train_attention_params *p, const attention_work *w, const float *y, float *a,
                   float *attns)
{
    const int U = layer->units, L = layer->length;
    float top = -INFINITY;
    window_tanh(layer, batch, b, t, mask, w, y);
    for (int l = 0; l < L; l++) {
        float e = 0.0f;
        for (int k = 0; k < U; k++)
            e += p->attn_v[k] * w->th[(size_t)l * U + k];
        a[l] = e;
        top = e > top ? e : top;
    }
    float sum = 0.0f;
    for (int l = 0; l < L; l++) {
        a[l] = expf(a[l] - top);
        sum += a[l];
    }
    for (int l = 0; l < L; l++)
        a[l] /= sum;
    memset(attns, 0, (size_t)U * sizeof *attns);
    for (int l = 0, s = older(mask, batch, b, t); l < L && s >= 0; l++, s = older(mask, batch, b, s)) {
        const float *S = w->out + ((size_t)s * batch + b) * U;
        for (int k = 0; k < U; k++)
            attns[k] += a[l] * S[k];
    }
}

void nn_train_attention_forward(const nn_train_attention *layer, int steps, int batch, const float *x,
                                const float *mask, const nn_train_attention_params *p, float *out,
                                float *work)
{
    const int I = layer->input, U = layer->units, L = layer->length, G = 4 * U, B = batch;
    attention_work w;
    attention_plan(layer, steps, batch, work, &w);
    for (int t = 0; t < steps; t++) {
        size_t bu = (size_t)t * B * U;
        const float *xt = x + (size_t)t * B * I;
        const float *attns_prev = t ? w.attns + bu - (size_t)B * U : NULL;
        const float *h_prev = t ? w.h + bu - (size_t)B * U : NULL, *c_prev = t ? w.c + bu - (size_t)B * U : NULL;
        float *xp = w.xp + (size_t)t * B * I, *g = w.gates + 4 * bu, *c = w.c + bu, *h = w.h + bu;
        float *attns = w.attns + bu, *y = w.y + bu, *a = w.a + (size_t)t * B * L, *o = w.out + bu;

        /* x' = [x, attns] · input_kernel + input_bias */
        nn_fill_rows(B, I, p->input_bias, xp);
        nn_train_gemm(NN_GEMM_ACCUMULATE, B, I, I, xt, I, p->input_kernel, I, xp, I);
        if (t)
            nn_train_gemm(NN_GEMM_ACCUMULATE, B, I, U, attns_prev, U, p->input_kernel + (size_t)I * I, I, xp, I);

        /* The LSTM cell: gates = [x', h] · kernel + bias */
        nn_fill_rows(B, G, p->bias, g);
        nn_train_gemm(NN_GEMM_ACCUMULATE, B, G, I, xp, I, p->kernel, G, g, G);
        if (t)
            nn_train_gemm(NN_GEMM_ACCUMULATE, B, G, U, h_prev, U, p->kernel + (size_t)I * G, G, g, G);
        for (int b = 0; b < B; b++) {
            float *gb = g + (size_t)b * G, *cb = c + (size_t)b * U, *hb = h + (size_t)b * U;
            const float *cp = t ? c_prev + (size_t)b * U : NULL;
            if (!nn_train_is_real(mask, (size_t)t * B + b)) { /* padding: carry the state */
                memset(gb, 0, (size_t)G * sizeof *gb);
                for (int k = 0; k < U; k++) {
                    cb[k] = cp ? cp[k] : 0.0f;
                    hb[k] = t ? h_prev[(size_t)b * U + k] : 0.0f;
                }
                continue;
            }
            for (int k = 0; k < U; k++) {
                float i = sigmoid(gb[k]), j = tanhf(gb[U + k]);
                float f = sigmoid(gb[2 * U + k] + layer->forget_bias), og = sigmoid(gb[3 * U + k]);
                gb[k] = i, gb[U + k] = j, gb[2 * U + k] = f, gb[3 * U + k] = og;
                cb[k] = (cp ? cp[k] * f : 0.0f) + i * j;
                hb[k] = tanhf(cb[k]) * og;
            }
        }

        /* y = [c, h] · query_kernel + query_bias: LSTMStateTuple(c, h) flattened, c first. */
        nn_fill_rows(B, U, p->query_bias, y);
        nn_train_gemm(NN_GEMM_ACCUMULATE, B, U, U, c, U, p->query_kernel, U, y, U);
        nn_train_gemm(NN_GEMM_ACCUMULATE, B, U, U, h, U, p->query_kernel + (size_t)U * U, U, y, U);
        for (int b = 0; b < B; b++) {
            float *ab = attns + (size_t)b * U;
            if (nn_train_is_real(mask, (size_t)t * B + b)) {
                attend(layer, B, b, t, mask, p, &w, y + (size_t)b * U, a + (size_t)b * L, ab);
            } else {
                memset(a + (size_t)b * L, 0, (size_t)L * sizeof *a);
                for (int k = 0; k < U; k++)
                    ab[k] = t ? attns_prev[(size_t)b * U + k] : 0.0f;
            }
        }

        /* out = [h, attns] · output_kernel + output_bias; zero on padding. Then its projection
         * through attn_w for the windows of later steps. */
        nn_fill_rows(B, U, p->output_bias, o);
        nn_train_gemm(NN_GEMM_ACCUMULATE, B, U, U, h, U, p->output_kernel, U, o, U);
        nn_train_gemm(NN_GEMM_ACCUMULATE, B, U, U, attns, U, p->output_kernel + (size_t)U * U, U, o, U);
        for (int b = 0; b < B; b++)
            if (!nn_train_is_real(mask, (size_t)t * B + b))
                memset(o + (size_t)b * U, 0, (size_t)U * sizeof *o);
        nn_train_gemm(0, B, U, U, o, U, p->attn_w, U, w.feature + bu, U);
        memcpy(out + bu, o, (size_t)B * U * sizeof *out);
    }
}

/* One row's attention backward: from dattns[U], adds to the window's outputs' and projections'
 * gradients, to attn_v's, and writes dy[U]. */
static void attend_backward(const nn_train_attention *layer, int batch, int b, int t, const float *mask,
                            const nn_train_attention_params *p, const nn_train_attention_params *g,
                            const attention_work *w, const float *y, const float *a, const float *dattns, float *dy)
{
    const int U = layer->units, L = layer->length;
    /* attns = Σ a[l] S[l]: da[l] = dattns · S[l], dS[l] += a[l] dattns */
    float *da = w->da, dot_a_da = 0.0f;
    for (int l = 0, s = older(mask, batch, b, t); l < L; l++, s = older(mask, batch, b, s)) {
        da[l] = 0.0f;
        if (s < 0)
            continue;
        size_t at = ((size_t)s * batch + b) * U;
        for (int k = 0; k < U; k++) {
            da[l] += dattns[k] * w->out[at + k];
            w->d_out[at + k] += a[l] * dattns[k];
        }
        dot_a_da += a[l] * da[l];
    }
    /* softmax: de[l] = a[l] (da[l] - Σ a da); then the scores Σ_k v[k] tanh(F[l] + y)[k] */
    memset(dy, 0, (size_t)U * sizeof *dy);
    window_tanh(layer, batch, b, t, mask, w, y);
    for (int l = 0, s = older(mask, batch, b, t); l < L; l++, s = older(mask, batch, b, s)) {
        float de = a[l] * (da[l] - dot_a_da);
        size_t at = ((size_t)(s < 0 ? 0 : s) * batch + b) * U;
        for (int k = 0; k < U; k++) {
            float th = w->th[(size_t)l * U + k];
            float dpre = de * p->attn_v[k] * (1.0f - th * th);
            g->attn_v[k] += de * th;
            dy[k] += dpre;
            if (s >= 0) /* zero states from the start are constants */
                w->d_feature[at + k] += dpre;
        }
    }
}

void nn_train_attention_backward(const nn_train_attention *layer, int steps, int batch, const float *x,
                                 const float *mask, const nn_train_attention_params *p,
                                 const float *dout, float *dx, const nn_train_attention_params *grads,
                                 float *work)
{
    const int I = layer->input, U = layer->units, L = layer->length, G = 4 * U, B = batch;
    const nn_train_attention_params *g = grads;
    attention_work w;
    attention_plan(layer, steps, batch, work, &w);
    size_t tbu = (size_t)steps * B * U, bu_size = (size_t)B * U * sizeof(float);
    for (size_t r = 0; r < (size_t)steps * B; r++)
        for (int k = 0; k < U; k++)
            w.d_out[r * U + k] = nn_train_is_real(mask, r) ? dout[r * U + k] : 0.0f;
    memset(w.d_feature, 0, tbu * sizeof(float));
    memset(w.dh_next, 0, bu_size);
    memset(w.dc_next, 0, bu_size);
    memset(w.dattns_next, 0, bu_size);

    for (int t = steps - 1; t >= 0; t--) {
        size_t bu = (size_t)t * B * U;
        const float *xt = x + (size_t)t * B * I, *xp = w.xp + (size_t)t * B * I, *gt = w.gates + 4 * bu;
        const float *c = w.c + bu, *h = w.h + bu, *attns = w.attns + bu, *y = w.y + bu, *a = w.a + (size_t)t * B * L;
        const float *o = w.out + bu;
        const float *h_prev = t ? h - (size_t)B * U : NULL, *c_prev = t ? c - (size_t)B * U : NULL;
        const float *attns_prev = t ? attns - (size_t)B * U : NULL;
        float *d_o = w.d_out + bu, *d_f = w.d_feature + bu;

        /* feature = out · attn_w: its gradient is complete (only later steps read it). */
        nn_train_gemm(NN_GEMM_TRANS_B | NN_GEMM_ACCUMULATE, B, U, U, d_f, U, p->attn_w, U, d_o, U);
        nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, U, U, B, o, U, d_f, U, g->attn_w, U);

        /* out = [h, attns] · output_kernel + output_bias (padded rows: d_o is 0) */
        nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, U, U, B, h, U, d_o, U, g->output_kernel, U);
        nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, U, U, B, attns, U, d_o, U,
                      g->output_kernel + (size_t)U * U, U);
        nn_add_rows(B, U, d_o, g->output_bias);
        nn_train_gemm(NN_GEMM_TRANS_B, B, U, U, d_o, U, p->output_kernel, U, w.dh, U);
        nn_train_gemm(NN_GEMM_TRANS_B, B, U, U, d_o, U, p->output_kernel + (size_t)U * U, U, w.dattns, U);

        /* The attention, row by row; a padded row passes its carried gradients on untouched. */
        for (int b = 0; b < B; b++) {
            float *dy = w.dy + (size_t)b * U, *dat = w.dattns + (size_t)b * U;
            if (!nn_train_is_real(mask, (size_t)t * B + b)) {
                memset(dy, 0, (size_t)U * sizeof *dy);
                continue;
            }
            for (int k = 0; k < U; k++)
                dat[k] += w.dattns_next[(size_t)b * U + k];
            attend_backward(layer, B, b, t, mask, p, g, &w, y + (size_t)b * U, a + (size_t)b * L, dat, dy);
        }

        /* y = [c, h] · query_kernel + query_bias */
        nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, U, U, B, c, U, w.dy, U, g->query_kernel, U);
        nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, U, U, B, h, U, w.dy, U, g->query_kernel + (size_t)U * U, U);
        nn_add_rows(B, U, w.dy, g->query_bias);
        nn_train_gemm(NN_GEMM_TRANS_B, B, U, U, w.dy, U, p->query_kernel, U, w.dc, U);
        nn_train_gemm(NN_GEMM_TRANS_B | NN_GEMM_ACCUMULATE, B, U, U, w.dy, U, p->query_kernel + (size_t)U * U, U, w.dh, U);

        /* The LSTM cell's element-wise part. */
        for (int b = 0; b < B; b++) {
            float *dz = w.dz + (size_t)b * G;
            if (!nn_train_is_real(mask, (size_t)t * B + b)) {
                memset(dz, 0, (size_t)G * sizeof *dz);
                continue;
            }
            const float *gb = gt + (size_t)b * G, *cb = c + (size_t)b * U, *cp = t ? c_prev + (size_t)b * U : NULL;
            const float *dh_local = w.dh + (size_t)b * U, *dc_local = w.dc + (size_t)b * U;
            float *dh_state = w.dh_next + (size_t)b * U, *dc_state = w.dc_next + (size_t)b * U;
            for (int k = 0; k < U; k++) {
                float i = gb[k], j = gb[U + k], f = gb[2 * U + k], og = gb[3 * U + k], tc = tanhf(cb[k]);
                float dh = dh_state[k] + dh_local[k];
                float dc = dc_state[k] + dc_local[k] + dh * og * (1.0f - tc * tc);
                dz[k] = dc * j * i * (1.0f - i);
                dz[U + k] = dc * i * (1.0f - j * j);
                dz[2 * U + k] = (cp ? dc * cp[k] : 0.0f) * f * (1.0f - f);
                dz[3 * U + k] = dh * tc * og * (1.0f - og);
                dc_state[k] = dc * f;
            }
        }
        nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, I, G, B, xp, I, w.dz, G, g->kernel, G);
        if (t)
            nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, U, G, B, h_prev, U, w.dz, G, g->kernel + (size_t)I * G, G);
        nn_add_rows(B, G, w.dz, g->bias);
        nn_train_gemm(NN_GEMM_TRANS_B, B, I, G, w.dz, G, p->kernel, G, w.dxp, I);
        nn_train_gemm(NN_GEMM_TRANS_B, B, U, G, w.dz, G, p->kernel + (size_t)I * G, G, w.tmp, U);
        for (int b = 0; b < B; b++)
            if (nn_train_is_real(mask, (size_t)t * B + b))
                memcpy(w.dh_next + (size_t)b * U, w.tmp + (size_t)b * U, (size_t)U * sizeof(float));

        /* x' = [x, attns] · input_kernel + input_bias (padded rows: dxp is 0) */
        nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, I, I, B, xt, I, w.dxp, I, g->input_kernel, I);
        if (t)
            nn_train_gemm(NN_GEMM_TRANS_A | NN_GEMM_ACCUMULATE, U, I, B, attns_prev, U, w.dxp, I,
                          g->input_kernel + (size_t)I * I, I);
        nn_add_rows(B, I, w.dxp, g->input_bias);
        if (dx)
            nn_train_gemm(NN_GEMM_TRANS_B | NN_GEMM_ACCUMULATE, B, I, I, w.dxp, I, p->input_kernel, I,
                          dx + (size_t)t * B * I, I);
        nn_train_gemm(NN_GEMM_TRANS_B, B, U, I, w.dxp, I, p->input_kernel + (size_t)I * I, I, w.tmp, U);
        for (int b = 0; b < B; b++)
            if (nn_train_is_real(mask, (size_t)t * B + b))
                memcpy(w.dattns_next + (size_t)b * U, w.tmp + (size_t)b * U, (size_t)U * sizeof(float));
    }
}
