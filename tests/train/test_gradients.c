/* test_gradients.c — the training passes against central finite differences; Adam and clipping.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Each backward pass is checked (gradcheck.h) against (L(p + ε) - L(p - ε)) / (2ε), the
 * difference taken in double on the float implementation, with ε = 1e-2 (float's rounding would
 * swamp a smaller step). The error is relative above a floor of 1e-3 and absolute below it,
 * where the float loss's rounding dominates; the tolerance is 1e-2.
 */
#include "nn.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XORSHIFT_SEED 0x9E3779B97F4A7C15u
#include "gradcheck.h"

static const gradcheck central = {.eps = 1e-2, .points = 2, .floor = 1e-3, .tolerance = 1e-2};

/* ---- Dense ---- */

enum { DN = 3, DIN = 4, DOUT = 5 };
typedef struct dense_case {
    float x[DN * DIN], w[DIN * DOUT], b[DOUT], y[DN * DOUT], r[DN * DOUT];
} dense_case;

static double dense_loss(void *ctx)
{
    dense_case *d = ctx;
    nn_train_dense_forward(DN, DIN, DOUT, d->x, d->w, d->b, d->y);
    return dot(d->y, d->r, DN * DOUT);
}

static void test_dense(void)
{
    dense_case d;
    fill(d.x, DN * DIN, 1.0f), fill(d.w, DIN * DOUT, 0.5f), fill(d.b, DOUT, 0.5f), fill(d.r, DN * DOUT, 1.0f);
    float dx[DN * DIN] = {0}, dw[DIN * DOUT] = {0}, db[DOUT] = {0};
    nn_train_dense_backward(DN, DIN, DOUT, d.x, d.w, d.r, dx, dw, db);
    gradcheck_all(&central, "dense dx", dense_loss, &d, d.x, dx, DN * DIN);
    gradcheck_all(&central, "dense dW", dense_loss, &d, d.w, dw, DIN * DOUT);
    gradcheck_all(&central, "dense db", dense_loss, &d, d.b, db, DOUT);
}

/* ---- LSTM layer with padded sequences ---- */

enum { LT = 5, LB = 3, LIN = 4, LU = 3 };
typedef struct lstm_case {
    nn_train_lstm layer;
    float x[LT * LB * LIN], kernel[(LIN + LU) * 4 * LU], bias[4 * LU], mask[LT * LB];
    float h[LT * LB * LU], r[LT * LB * LU];
    float *work;
} lstm_case;

static double lstm_loss(void *ctx)
{
    lstm_case *l = ctx;
    nn_train_lstm_forward(&l->layer, LT, LB, l->x, l->mask, l->kernel, l->bias, l->h, l->work);
    return dot(l->h, l->r, LT * LB * LU);
}

static void test_lstm(void)
{
    static const int lengths[LB] = {5, 3, 1}; /* the last two sequences are padded */
    lstm_case l = {.layer = {LIN, LU, 1.0f}};
    l.work = malloc(nn_train_lstm_workspace_size(&l.layer, LT, LB) * sizeof *l.work);
    fill(l.x, LT * LB * LIN, 1.0f), fill(l.kernel, (LIN + LU) * 4 * LU, 0.7f), fill(l.bias, 4 * LU, 0.5f);
    fill(l.r, LT * LB * LU, 1.0f);
    for (int t = 0; t < LT; t++)
        for (int b = 0; b < LB; b++)
            l.mask[t * LB + b] = t < lengths[b] ? 1.0f : 0.0f;

    static float dx[LT * LB * LIN], dk[(LIN + LU) * 4 * LU], dbias[4 * LU];
    lstm_loss(&l);
    nn_train_lstm_backward(&l.layer, LT, LB, l.x, l.mask, l.kernel, l.r, dx, dk, dbias, l.work);
    gradcheck_all(&central, "lstm dx (padded batch)", lstm_loss, &l, l.x, dx, LT * LB * LIN);
    gradcheck_all(&central, "lstm dkernel (padded batch)", lstm_loss, &l, l.kernel, dk, (LIN + LU) * 4 * LU);
    gradcheck_all(&central, "lstm dbias (padded batch)", lstm_loss, &l, l.bias, dbias, 4 * LU);

    CHECK(padded_steps_zero(LT, LB, l.mask, l.h, LU, dx, LIN), "lstm: padded steps output 0 and get dx = 0");

    /* The same maths as the inference engine's cell (nn_lstm_step, TensorFlow's semantics),
     * on its scalar reference kernels: the SIMD ones approximate tanh and sigmoid. */
    nn_status selected = nn_simd_select("reference");
    lstm_loss(&l); /* the checks left h from a perturbed bias */
    nn_matrix *packed = NULL;
    nn_matrix_new(LIN + LU, 4 * LU, NN_F32, l.kernel, &packed);
    nn_lstm_cell cell = {packed, l.bias, LIN, LU, 1.0f};
    float h[LU] = {0}, c[LU] = {0}, work[4 * LU];
    double diff = 0.0;
    for (int t = 0; t < LT; t++) {
        nn_lstm_step(&cell, l.x + (t * LB + 0) * LIN, h, c, work);
        for (int k = 0; k < LU; k++)
            diff = fmax(diff, fabs(h[k] - l.h[(t * LB + 0) * LU + k]));
    }
    printf("     lstm forward vs nn_lstm_step: max |diff| %.2e (tolerance 1e-5)\n", diff);
    CHECK(selected == NN_OK && packed && diff <= 1e-5, "lstm forward matches nn_lstm_step");
    nn_simd_select("auto");
    nn_matrix_free(packed);
    free(l.work);
}

/* ---- Softmax cross-entropy ---- */

enum { SN = 6, SC = 5 };
typedef struct ce_case {
    float logits[SN * SC], mask[SN];
    int labels[SN];
} ce_case;

static double ce_loss(void *ctx)
{
    ce_case *s = ctx;
    return nn_train_softmax_cross_entropy(SN, SC, s->logits, s->labels, s->mask, NULL);
}

static void test_cross_entropy(void)
{
    ce_case s = {.mask = {1, 1, 0, 1, 0, 1}, .labels = {0, 4, 2, 1, 3, 3}};
    fill(s.logits, SN * SC, 2.0f);
    float d[SN * SC];
    nn_train_softmax_cross_entropy(SN, SC, s.logits, s.labels, s.mask, d);
    gradcheck_all(&central, "softmax CE dlogits (masked)", ce_loss, &s, s.logits, d, SN * SC);
    int masked_zero = 1;
    for (int k = 0; k < SC; k++)
        masked_zero &= d[2 * SC + k] == 0.0f && d[4 * SC + k] == 0.0f;
    CHECK(masked_zero, "softmax CE: masked rows get dlogits = 0");
    /* Uniform logits: every unmasked row costs log(C). */
    float flat[SN * SC] = {0};
    float loss = nn_train_softmax_cross_entropy(SN, SC, flat, s.labels, s.mask, NULL);
    CHECK(fabsf(loss - logf((float)SC)) < 1e-6f, "softmax CE of equal logits is log(classes)");
}

/* ---- The two-layer model ---- */

enum { MT = 5, MB = 3 };
typedef struct model_case {
    nn_train_rnn model;
    int inputs[MT * MB], labels[MT * MB];
    float mask[MT * MB];
    float *params, *work;
} model_case;

static double model_loss(void *ctx)
{
    model_case *m = ctx;
    return nn_train_rnn_loss(&m->model, MT, MB, m->inputs, m->labels, m->mask, m->params, NULL, m->work);
}

static void test_model(void)
{
    static const int lengths[MB] = {5, 4, 2};
    model_case m = {.model = {.input = 4, .units = {3, 3}, .classes = 5, .forget_bias = 1.0f}};
    size_t n = nn_train_rnn_param_count(&m.model);
    m.params = malloc(n * sizeof *m.params);
    float *grads = calloc(n, sizeof *grads);
    m.work = malloc(nn_train_rnn_workspace_size(&m.model, MT, MB) * sizeof *m.work);
    fill(m.params, n, 0.8f);
    for (int k = 0; k < MT * MB; k++) {
        m.inputs[k] = (int)(uniform(0.0f, 1.0f) * 4.0f) % 4;
        m.labels[k] = (int)(uniform(0.0f, 1.0f) * 5.0f) % 5;
        m.mask[k] = k / MB < lengths[k % MB] ? 1.0f : 0.0f;
    }
    nn_train_rnn_loss(&m.model, MT, MB, m.inputs, m.labels, m.mask, m.params, grads, m.work);
    nn_train_rnn_tensors p, g;
    nn_train_rnn_tensors_of(&m.model, m.params, &p);
    nn_train_rnn_tensors_of(&m.model, grads, &g);
    /* The biases and the output layer in full, a random sample of the LSTM kernels. */
    gradcheck_sample(&central, "model lstm0 kernel", model_loss, &m, p.kernel[0], g.kernel[0], 7 * 12, 30);
    gradcheck_all(&central, "model lstm0 bias", model_loss, &m, p.bias[0], g.bias[0], 12);
    gradcheck_sample(&central, "model lstm1 kernel", model_loss, &m, p.kernel[1], g.kernel[1], 6 * 12, 30);
    gradcheck_all(&central, "model lstm1 bias", model_loss, &m, p.bias[1], g.bias[1], 12);
    gradcheck_all(&central, "model out kernel", model_loss, &m, p.out_kernel, g.out_kernel, 3 * 5);
    gradcheck_all(&central, "model out bias", model_loss, &m, p.out_bias, g.out_bias, 5);
    CHECK(n == 200 && g.out_bias + 5 == grads + n, "model: 200 parameters, tensors tile the array");
    free(m.params), free(grads), free(m.work);
}

/* ---- Adam and clipping ---- */

static void test_adam(void)
{
    /* lr 0.1, gradients 0.5, -1, 0.25 on a parameter starting at 1:
     *   t=1: m = 0.05, v = 0.00025, lr_t = 0.1·√0.001/0.1 = 0.0316228,
     *        p = 1 - 0.0316228·0.05/(0.0158114 + 1e-8) = 0.90000006
     *   t=2: m = -0.055, v = 0.00124975, lr_t = 0.1·√0.001999/0.19 = 0.0235317,
     *        p = 0.90000006 + 0.0235317·0.055/0.0353518 = 0.93661041
     *   t=3: m = -0.0245, v = 0.00131100025, lr_t = 0.1·√0.002997001/0.271 = 0.0202011,
     *        p = 0.93661041 + 0.0202011·0.0245/0.0362077 = 0.95027947
     * A parameter whose gradient stays 0 does not move. */
    static const float grads[3] = {0.5f, -1.0f, 0.25f}, expected[3] = {0.90000006f, 0.93661041f, 0.95027947f};
    nn_train_adam adam = nn_train_adam_defaults(0.1f);
    float p[2] = {1.0f, -2.0f}, m[2] = {0}, v[2] = {0};
    double worst = 0.0;
    for (int t = 1; t <= 3; t++) {
        float g[2] = {grads[t - 1], 0.0f};
        nn_train_adam_update(&adam, t, 2, p, g, m, v);
        worst = fmax(worst, fabs(p[0] - expected[t - 1]));
    }
    printf("     adam: max |p - hand value| %.2e over 3 steps (tolerance 2e-7)\n", worst);
    CHECK(worst <= 2e-7 && p[1] == -2.0f, "adam: three steps match the hand-worked values");
    CHECK(adam.beta1 == 0.9f && adam.beta2 == 0.999f && adam.epsilon == 1e-8f, "adam: TensorFlow's defaults");
}

static void test_clipping(void)
{
    float g[2] = {3.0f, 4.0f};
    float norm = nn_train_clip_by_global_norm(2, g, 2.5f);
    CHECK(norm == 5.0f && fabsf(g[0] - 1.5f) < 1e-7f && fabsf(g[1] - 2.0f) < 1e-7f,
           "clip: norm 5 clipped to 2.5 scales by 0.5");
    norm = nn_train_clip_by_global_norm(2, g, 10.0f);
    CHECK(fabsf(norm - 2.5f) < 1e-6f && g[0] == 1.5f && g[1] == 2.0f, "clip: a norm under clip_norm is untouched");
    float h[3] = {1.0f, 2.0f, 2.0f};
    norm = nn_train_clip_by_global_norm(3, h, 3.0f);
    CHECK(norm == 3.0f && h[0] == 1.0f && h[2] == 2.0f, "clip: norm equal to clip_norm is untouched");
}

int main(void)
{
    test_dense();
    test_lstm();
    test_cross_entropy();
    test_model();
    test_adam();
    test_clipping();
    return check_summary("test_train_gradients");
}
