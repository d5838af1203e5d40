/* genie_model.c — Piano Genie's whole model for training (magenta/models/piano_genie/model.py,
 * the PianoGeniePaper configuration): encoder, quantiser, penalties, decoder, forward and
 * backward over a batch of crops. genie.c drives it; tests/train/test_genie.c checks it.
 *
 * The bidirectional encoder passes the same MultiRNNCell object as cell_fw and cell_bw
 * (model.py); a TF1 layer builds its variables once, so both directions share one set of
 * weights, as here.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn-train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void genie_layout(genie_model *m)
{
    int u = m->units;
    struct { const char *name; int rows, cols; } t[TENSORS] = {
        {"encoder/rnn_input/kernel", ENC_IN, u}, {"encoder/rnn_input/bias", 1, u},
        {"encoder/rnn/cell_0/kernel", 2 * u, 4 * u}, {"encoder/rnn/cell_0/bias", 1, 4 * u},
        {"encoder/rnn/cell_1/kernel", 2 * u, 4 * u}, {"encoder/rnn/cell_1/bias", 1, 4 * u},
        {"stp_emb_iq/pre_iq/kernel", 2 * u, 1}, {"stp_emb_iq/pre_iq/bias", 1, 1},
        {"input/kernel", DEC_IN, u}, {"input/bias", 1, u},
        {"rnn/cell_0/kernel", 2 * u, 4 * u}, {"rnn/cell_0/bias", 1, 4 * u},
        {"rnn/cell_1/kernel", 2 * u, 4 * u}, {"rnn/cell_1/bias", 1, 4 * u},
        {"output/kernel", u, KEYS}, {"output/bias", 1, KEYS},
    };
    size_t offset = 0;
    for (int i = 0; i < TENSORS; i++) {
        snprintf(m->tensors[i].name, sizeof m->tensors[i].name, "%s", t[i].name);
        m->tensors[i].rows = t[i].rows;
        m->tensors[i].cols = t[i].cols;
        m->tensors[i].offset = offset;
        offset += (size_t)t[i].rows * (size_t)t[i].cols;
    }
    m->params = offset;
}

uint64_t genie_random(uint64_t *s)
{
    /* splitmix64: the run's one generator (initial values, batches, crops, transpositions) */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *s) { return (double)(genie_random(s) >> 11) * (1.0 / 9007199254740992.0); }

/* TensorFlow's initial values: kernels Glorot-uniform (dense layers and LSTMBlockCell alike),
 * biases zero. */
void genie_init(const genie_model *m, float *params, uint64_t seed)
{
    memset(params, 0, m->params * sizeof *params);
    uint64_t s = seed * 0x2545F4914F6CDD1Dull + 7;
    for (int i = 0; i < TENSORS; i++) {
        const nn_train_tensor *t = &m->tensors[i];
        if (t->rows == 1)
            continue;
        float limit = sqrtf(6.0f / (float)(t->rows + t->cols));
        for (size_t k = 0; k < (size_t)t->rows * (size_t)t->cols; k++)
            params[t->offset + k] = (float)((2.0 * uniform01(&s) - 1.0) * limit);
    }
}

void genie_work_free(genie_work *w)
{
    float **f[] = {&w->enc_x, &w->enc_p, &w->enc_pr, &w->h0f, &w->h1f, &w->h0b, &w->h1b, &w->enc_out, &w->pre,
                   &w->value, &w->dec_x, &w->dec_p, &w->d0, &w->d1, &w->logits, &w->dlogits, &w->dd1, &w->dd0,
                   &w->ddec_p, &w->ddec_x, &w->dvalue, &w->dpre, &w->denc_out, &w->dh1f, &w->dh1b, &w->dh0f,
                   &w->dh0b, &w->denc_p, &w->denc_pr};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        free(*f[i]);
    for (int i = 0; i < 6; i++)
        free(w->lstm_work[i]);
    free(w->keys);
    free(w->bins);
    free(w->buttons);
    memset(w, 0, sizeof *w);
}

bool genie_work_new(const genie_model *m, genie_work *w)
{
    memset(w, 0, sizeof *w);
    size_t n = (size_t)m->steps * (size_t)m->batch, u = (size_t)m->units;
    struct { float **p; size_t count; } f[] = {
        {&w->enc_x, n * ENC_IN}, {&w->enc_p, n * u}, {&w->enc_pr, n * u}, {&w->h0f, n * u}, {&w->h1f, n * u},
        {&w->h0b, n * u}, {&w->h1b, n * u}, {&w->enc_out, n * 2 * u}, {&w->pre, n}, {&w->value, n},
        {&w->dec_x, n * DEC_IN}, {&w->dec_p, n * u}, {&w->d0, n * u}, {&w->d1, n * u}, {&w->logits, n * KEYS},
        {&w->dlogits, n * KEYS}, {&w->dd1, n * u}, {&w->dd0, n * u}, {&w->ddec_p, n * u}, {&w->ddec_x, n * DEC_IN},
        {&w->dvalue, n}, {&w->dpre, n}, {&w->denc_out, n * 2 * u}, {&w->dh1f, n * u}, {&w->dh1b, n * u},
        {&w->dh0f, n * u}, {&w->dh0b, n * u}, {&w->denc_p, n * u}, {&w->denc_pr, n * u},
    };
    bool ok = true;
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        ok &= (*f[i].p = calloc(f[i].count, sizeof(float))) != NULL;
    nn_train_lstm cell = {m->units, m->units, 1.0f};
    size_t ws = nn_train_lstm_workspace_size(&cell, m->steps, m->batch);
    for (int i = 0; i < 6; i++)
        ok &= (w->lstm_work[i] = calloc(ws, sizeof(float))) != NULL;
    ok &= (w->keys = calloc(n, sizeof(int))) && (w->bins = calloc(n, sizeof(int))) && (w->buttons = calloc(n, sizeof(int)));
    if (!ok)
        genie_work_free(w);
    return ok;
}

/* out[t] = in[T - 1 - t], rows of `row` floats per step. */
static void reverse_time(int steps, size_t row, const float *in, float *out)
{
    for (int t = 0; t < steps; t++)
        memcpy(out + (size_t)t * row, in + (size_t)(steps - 1 - t) * row, row * sizeof *out);
}

static void add_reversed(int steps, size_t row, const float *in, float *out)
{
    for (int t = 0; t < steps; t++) {
        const float *a = in + (size_t)(steps - 1 - t) * row;
        float *b = out + (size_t)t * row;
        for (size_t k = 0; k < row; k++)
            b[k] += a[k];
    }
}

/* One pass over w->keys / w->bins [steps, batch] (time-major). With grads: the gradient of the
 * mean loss is ADDED to grads. Returns the loss (reconstruction + weighted penalties). */
double genie_run(const genie_model *m, int batch, const float *params, float *grads, genie_work *w,
                        genie_metrics *sum)
{
    const int T = m->steps, B = batch, u = m->units;
    const size_t n = (size_t)T * (size_t)B, U = (size_t)u;
    float *P[TENSORS], *G[TENSORS];
    for (int i = 0; i < TENSORS; i++) {
        P[i] = (float *)params + m->tensors[i].offset;
        G[i] = grads ? grads + m->tensors[i].offset : NULL;
    }
    nn_train_lstm first = {u, u, 1.0f}, second = {u, u, 1.0f};

    /* Encoder */
    memset(w->enc_x, 0, n * ENC_IN * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        w->enc_x[i * ENC_IN + (size_t)w->keys[i]] = 1.0f;
        w->enc_x[i * ENC_IN + KEYS + (size_t)w->bins[i]] = 1.0f;
    }
    nn_train_dense_forward((int)n, ENC_IN, u, w->enc_x, P[0], P[1], w->enc_p);
    nn_train_lstm_forward(&first, T, B, w->enc_p, NULL, P[2], P[3], w->h0f, w->lstm_work[0]);
    nn_train_lstm_forward(&second, T, B, w->h0f, NULL, P[4], P[5], w->h1f, w->lstm_work[1]);
    reverse_time(T, (size_t)B * U, w->enc_p, w->enc_pr);
    nn_train_lstm_forward(&first, T, B, w->enc_pr, NULL, P[2], P[3], w->h0b, w->lstm_work[2]);
    nn_train_lstm_forward(&second, T, B, w->h0b, NULL, P[4], P[5], w->h1b, w->lstm_work[3]);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            float *row = w->enc_out + ((size_t)t * B + b) * 2 * U;
            memcpy(row, w->h1f + ((size_t)t * B + b) * U, U * sizeof(float));
            memcpy(row + U, w->h1b + ((size_t)(T - 1 - t) * B + b) * U, U * sizeof(float));
        }
    nn_train_dense_forward((int)n, 2 * u, 1, w->enc_out, P[6], P[7], w->pre);

    /* Quantiser and its penalties */
    nn_train_iq_forward((int)n, BUTTONS, w->pre, w->value, w->buttons);
    if (w->frozen)
        for (size_t i = 0; i < n; i++)
            w->value[i] = w->pre[i] + w->frozen[i];
    if (grads)
        memset(w->dpre, 0, n * sizeof(float));
    float *dpre = grads ? w->dpre : NULL;
    float range = nn_train_iq_range_penalty((int)n, w->pre, m->range_scale, dpre);
    float contour = nn_train_iq_contour_penalty(T, B, w->keys, w->pre, m->margin, 2, m->contour_scale, dpre);
    float deviate = nn_train_iq_deviate_penalty(T, B, w->keys, w->pre, 1, m->deviate_scale, m->deviate_scale > 0 ? dpre : NULL);

    /* Decoder */
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            size_t i = (size_t)t * B + b;
            float *row = w->dec_x + i * DEC_IN;
            memset(row, 0, DEC_IN * sizeof(float));
            row[0] = w->value[i];
            row[1 + (t ? w->keys[i - (size_t)B] + 1 : 0)] = 1.0f;
            row[1 + KEYS + 1 + w->bins[i]] = 1.0f;
        }
    nn_train_dense_forward((int)n, DEC_IN, u, w->dec_x, P[8], P[9], w->dec_p);
    nn_train_lstm_forward(&first, T, B, w->dec_p, NULL, P[10], P[11], w->d0, w->lstm_work[4]);
    nn_train_lstm_forward(&second, T, B, w->d0, NULL, P[12], P[13], w->d1, w->lstm_work[5]);
    nn_train_dense_forward((int)n, u, KEYS, w->d1, P[14], P[15], w->logits);
    float recons = nn_train_softmax_cross_entropy((int)n, KEYS, w->logits, w->keys, NULL, grads ? w->dlogits : NULL);

    if (sum) {
        sum->recons_sum += (double)recons * (double)n;
        sum->range_sum += (double)range * (double)n;
        sum->contour_sum += (double)contour * (double)(n - (size_t)B);
        sum->notes += (int64_t)n;
        sum->pairs += (int64_t)(n - (size_t)B);
        for (size_t i = 0; i < n; i++) {
            const float *l = w->logits + i * KEYS;
            int best = 0;
            for (int k = 1; k < KEYS; k++)
                if (l[k] > l[best])
                    best = k;
            sum->correct += best == w->keys[i];
            sum->in_range += w->pre[i] >= -1.0f && w->pre[i] <= 1.0f;
            sum->button_count[w->buttons[i]]++;
            if (i >= (size_t)B) {
                int dx = w->keys[i] - w->keys[i - (size_t)B], dy = w->buttons[i] - w->buttons[i - (size_t)B];
                sum->violations += dx * dy < 0; /* model.py's contour_violation */
                if (dx == 0) {
                    sum->held++;
                    sum->held_moved += dy != 0; /* deviate_violation */
                }
            }
        }
        int held = 0;
        for (size_t i = (size_t)B; i < n; i++)
            held += w->keys[i] == w->keys[i - (size_t)B];
        sum->deviate_sum += (double)deviate * held;
    }
    double loss = recons + m->range_scale * range + m->contour_scale * contour + m->deviate_scale * deviate;
    if (!grads)
        return loss;

    /* Backward: decoder, then through the button value (straight through) into the encoder. */
    memset(w->dd1, 0, n * U * sizeof(float));
    memset(w->dd0, 0, n * U * sizeof(float));
    memset(w->ddec_p, 0, n * U * sizeof(float));
    memset(w->ddec_x, 0, n * DEC_IN * sizeof(float));
    nn_train_dense_backward((int)n, u, KEYS, w->d1, P[14], w->dlogits, w->dd1, G[14], G[15]);
    nn_train_lstm_backward(&second, T, B, w->d0, NULL, P[12], w->dd1, w->dd0, G[12], G[13], w->lstm_work[5]);
    nn_train_lstm_backward(&first, T, B, w->dec_p, NULL, P[10], w->dd0, w->ddec_p, G[10], G[11], w->lstm_work[4]);
    nn_train_dense_backward((int)n, DEC_IN, u, w->dec_x, P[8], w->ddec_p, w->ddec_x, G[8], G[9]);
    for (size_t i = 0; i < n; i++)
        w->dvalue[i] = w->ddec_x[i * DEC_IN];
    nn_train_iq_backward((int)n, w->dvalue, w->dpre);

    memset(w->denc_out, 0, n * 2 * U * sizeof(float));
    nn_train_dense_backward((int)n, 2 * u, 1, w->enc_out, P[6], w->dpre, w->denc_out, G[6], G[7]);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            const float *row = w->denc_out + ((size_t)t * B + b) * 2 * U;
            memcpy(w->dh1f + ((size_t)t * B + b) * U, row, U * sizeof(float));
            memcpy(w->dh1b + ((size_t)(T - 1 - t) * B + b) * U, row + U, U * sizeof(float));
        }
    memset(w->dh0f, 0, n * U * sizeof(float));
    memset(w->dh0b, 0, n * U * sizeof(float));
    memset(w->denc_p, 0, n * U * sizeof(float));
    memset(w->denc_pr, 0, n * U * sizeof(float));
    nn_train_lstm_backward(&second, T, B, w->h0f, NULL, P[4], w->dh1f, w->dh0f, G[4], G[5], w->lstm_work[1]);
    nn_train_lstm_backward(&first, T, B, w->enc_p, NULL, P[2], w->dh0f, w->denc_p, G[2], G[3], w->lstm_work[0]);
    nn_train_lstm_backward(&second, T, B, w->h0b, NULL, P[4], w->dh1b, w->dh0b, G[4], G[5], w->lstm_work[3]);
    nn_train_lstm_backward(&first, T, B, w->enc_pr, NULL, P[2], w->dh0b, w->denc_pr, G[2], G[3], w->lstm_work[2]);
    add_reversed(T, (size_t)B * U, w->denc_pr, w->denc_p);
    nn_train_dense_backward((int)n, ENC_IN, u, w->enc_x, P[0], w->denc_p, NULL, G[0], G[1]);
    return loss;
}
