/* test_genie.c — Piano Genie's training pieces against finite differences: the integer
 * quantiser (values by hand, the straight-through gradient), the range, contour and deviation
 * penalties, and the whole model of nn-train genie (tools/nn-train/genie_model.c), where the
 * decoder's gradient must reach the encoder through the buttons.
 *
 * Differences in double on float losses, as gradcheck.h says. The penalties return a float
 * mean of about 1: central differences with ε 1e-2 at points at least 0.05 from their kinks
 * (so no step crosses one), tolerance 1e-3 relative (the float result's rounding is ~1e-7 / 2ε
 * = 5e-6). The whole model's loss is a float mean near log 88 ≈ 4.5 whose rounding (a few ulp,
 * ~1e-6) swamps small gradients at ε 1e-2 (errors fell from 3e-2 to 1e-2 to 3e-3 with ε 3e-3,
 * 1e-2, 3e-2: rounding, not a wrong gradient), so the five-point formula with ε 3e-2
 * (truncation O(ε⁴)), floor 5e-3 (absolute 5e-5 for small gradients), tolerance 1e-2.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#define XORSHIFT_SEED 0x6e1e5eedu
#include "gradcheck.h"
#include "nn-train.h"

#include <stdlib.h>
#include <string.h>

static const gradcheck smooth = {.eps = 1e-2, .points = 2, .floor = 1e-3, .tolerance = 1e-3};
static const gradcheck model_check = {.eps = 3e-2, .points = 4, .floor = 5e-3, .tolerance = 1e-2};

static void test_quantiser(void)
{
    /* iqst, 8 bins: (x + 1) / 2 · 7 rounded half to even, clipped to 0..7. */
    const float x[] = {-1.0f, 1.0f, 0.0f, 1.5f, -3.0f, -0.7142857f, 0.43f, 1.0f / 7.0f};
    const int expect[] = {0, 7, 4, 7, 0, 1, 5, 4}; /* 0 → 3.5 → 4; 1/7 → 4.0 → 4 */
    float value[8];
    int button[8];
    nn_train_iq_forward(8, 8, x, value, button);
    int ok = 1;
    for (int i = 0; i < 8; i++) {
        ok &= button[i] == expect[i];
        ok &= fabsf(value[i] - music_genie_button_value(expect[i])) <= 0.0f;
    }
    CHECK(ok, "iqst: buttons and values of 8 inputs by hand (values are music_genie_button_value's exactly)");

    float dvalue[8], dx[8];
    for (int i = 0; i < 8; i++)
        dvalue[i] = (float)i - 3.5f, dx[i] = 0.25f;
    nn_train_iq_backward(8, dvalue, dx);
    ok = 1;
    for (int i = 0; i < 8; i++)
        ok &= dx[i] == 0.25f + dvalue[i];
    CHECK(ok, "iqst: the straight-through gradient adds dvalue to dx exactly");
}

/* ---- The penalties ------------------------------------------------------------------------- */

enum { PT = 9, PB = 3, PN = PT * PB };

typedef struct penalty_ctx {
    int which, exponent; /* 0 range, 1 contour, 2 deviate */
    int keys[PN];
    float x[PN];
    float margin, scale;
} penalty_ctx;

static double penalty_value(const penalty_ctx *p, float *dx)
{
    switch (p->which) {
    case 0:
        return nn_train_iq_range_penalty(PN, p->x, p->scale, dx);
    case 1:
        return nn_train_iq_contour_penalty(PT, PB, p->keys, p->x, p->margin, p->exponent, p->scale, dx);
    default:
        return nn_train_iq_deviate_penalty(PT, PB, p->keys, p->x, p->exponent, p->scale, dx);
    }
}

static double penalty_loss(void *ctx)
{
    return penalty_value(ctx, NULL);
}

static void check_penalty(penalty_ctx *p, const char *name)
{
    float dx[PN] = {0};
    double value = penalty_value(p, dx);
    /* the gradient is scale × the penalty's: a second call adds the same again */
    float twice[PN];
    memcpy(twice, dx, sizeof twice);
    penalty_value(p, twice);
    int doubled = 1;
    for (int i = 0; i < PN; i++)
        doubled &= fabsf(twice[i] - 2.0f * dx[i]) <= 1e-6f * fabsf(dx[i]) + 1e-12f;
    CHECK(doubled, "%s: backward adds into dx", name);
    for (int i = 0; i < PN; i++)
        dx[i] /= p->scale; /* compare with the unscaled loss */
    CHECK(value >= 0.0, "%s: value %.4f >= 0", name, value);
    gradcheck_all(&smooth, name, penalty_loss, p, p->x, dx, PN);
}

static void test_penalties(void)
{
    penalty_ctx p = {.margin = 1.0f, .scale = 1.5f};
    /* Keys that rise, fall and repeat; x at least 0.05 from the kinks (|x| = 1, margin = Δkey Δx,
     * Δx = 0 for held keys), where a step of ε = 0.01 moves Δx by 0.02 and the gap by 0.02 |Δkey|. */
    int kinks = 1, tries = 0;
    for (; kinks && tries < 10000; tries++) {
        for (int i = 0; i < PN; i++) {
            p.keys[i] = 40 + (int)(uniform(0.0f, 1.0f) * 5.0f) - 2;
            p.x[i] = uniform(-1.8f, 1.8f);
        }
        for (int b = 0; b < PB; b++) /* some notes repeat */
            p.keys[PB + b] = p.keys[b];
        kinks = 0;
        for (int i = 0; i < PN; i++)
            kinks += fabsf(fabsf(p.x[i]) - 1.0f) < 0.05f;
        for (int i = PB; i < PN; i++) {
            int dk = p.keys[i] - p.keys[i - PB];
            float d = p.x[i] - p.x[i - PB];
            kinks += fabsf(p.margin - (float)dk * d) < 0.05f + 0.02f * (float)abs(dk) || (dk == 0 && fabsf(d) < 0.05f);
        }
    }
    CHECK(kinks == 0, "the penalty test's points are away from the kinks (%d tries)", tries);

    p.which = 0;
    check_penalty(&p, "range penalty max(|x| - 1, 0)^2");
    p.which = 1, p.exponent = 2;
    check_penalty(&p, "contour penalty, exponent 2, margin 1");
    p.which = 1, p.exponent = 1;
    check_penalty(&p, "contour penalty, exponent 1, margin 1");
    p.which = 2, p.exponent = 2;
    check_penalty(&p, "deviation penalty, exponent 2");
    p.which = 2, p.exponent = 1;
    check_penalty(&p, "deviation penalty, exponent 1");

    /* Hand values: one pair rising by 2 keys with Δx 0.25: contour (1 - 0.5)^2 = 0.25 over 1 pair;
     * x = 1.5: range (0.5)^2 / 2 = 0.125; held keys with Δx 0.25: deviation 0.25 (exponent 1). */
    int keys[2] = {10, 12}, held[2] = {10, 10};
    float x[2] = {0.0f, 0.25f}, over[2] = {0.0f, 1.5f};
    CHECK(fabsf(nn_train_iq_contour_penalty(2, 1, keys, x, 1.0f, 2, 1.0f, NULL) - 0.25f) < 1e-7f,
          "contour penalty by hand");
    CHECK(fabsf(nn_train_iq_range_penalty(2, over, 1.0f, NULL) - 0.125f) < 1e-7f, "range penalty by hand");
    CHECK(fabsf(nn_train_iq_deviate_penalty(2, 1, held, x, 1, 1.0f, NULL) - 0.25f) < 1e-7f, "deviation penalty by hand");
    CHECK(nn_train_iq_deviate_penalty(2, 1, keys, x, 1, 1.0f, NULL) == 0.0f, "deviation penalty without held keys is 0");
}

/* ---- The whole model ----------------------------------------------------------------------- */

typedef struct model_ctx {
    genie_model m;
    genie_work w;
    float *params;
} model_ctx;

static double model_loss(void *ctx)
{
    model_ctx *c = ctx;
    return genie_run(&c->m, c->m.batch, c->params, NULL, &c->w, NULL);
}

static void test_model(void)
{
    model_ctx c = {.m = {.units = 6, .steps = 7, .batch = 2, .margin = 1.0f, .range_scale = 1.0f,
                         .contour_scale = 1.0f, .deviate_scale = 0.5f}};
    genie_layout(&c.m);
    CHECK(c.m.tensors[15].cols == MUSIC_GENIE_NUM_KEYS && !strcmp(c.m.tensors[8].name, "input/kernel") &&
              c.m.tensors[8].rows == MUSIC_GENIE_DECODER_INPUT_SIZE,
          "the decoder's tensors carry the event_rnn file's names and the plugin's input size");
    c.params = calloc(c.m.params, sizeof(float));
    float *grads = calloc(c.m.params, sizeof(float));
    if (!c.params || !grads || !genie_work_new(&c.m, &c.w)) {
        CHECK(0, "allocation");
        return;
    }
    genie_init(&c.m, c.params, 3);
    /* Larger weights than Glorot's for this tiny net, so the pre-quantised values spread over
     * several buttons and beyond [-1, 1] (the range penalty works too). */
    for (size_t k = 0; k < c.m.params; k++)
        c.params[k] *= 2.0f;
    for (size_t k = c.m.tensors[6].offset; k < c.m.tensors[8].offset; k++)
        c.params[k] *= 3.0f; /* pre_iq */
    c.params[c.m.tensors[7].offset] = 0.8f; /* its bias: some values above 1 */
    for (int i = 0; i < c.m.steps * c.m.batch; i++) {
        c.w.keys[i] = 30 + (int)(uniform(0.0f, 1.0f) * 12.0f);
        c.w.bins[i] = (int)(uniform(0.0f, 1.0f) * 33.0f) % 33;
    }
    c.w.keys[2] = c.w.keys[0]; /* a held key for the deviation penalty */

    /* The straight-through estimator's loss at the point: the quantised values frozen as an
     * offset, value = x + (q(x0) - x0); its finite differences are the STE gradient. */
    double plain = genie_run(&c.m, c.m.batch, c.params, NULL, &c.w, NULL);
    size_t n = (size_t)c.m.steps * c.m.batch;
    float *frozen = malloc(n * sizeof *frozen);
    for (size_t i = 0; i < n; i++)
        frozen[i] = c.w.value[i] - c.w.pre[i];
    c.w.frozen = frozen;
    double at = genie_run(&c.m, c.m.batch, c.params, grads, &c.w, NULL);
    CHECK(fabs(plain - at) <= 1e-6 * fabs(plain), "the frozen quantiser gives the same loss at the point (%.6f, %.6f)",
          plain, at);
    int spread = 0, outside = 0;
    for (size_t i = 0; i < n; i++) {
        spread |= 1 << c.w.buttons[i];
        outside += fabsf(c.w.pre[i]) > 1.0f;
    }
    CHECK(__builtin_popcount((unsigned)spread) >= 3 && outside > 0,
          "the test's encoder uses %d buttons and puts %d values outside [-1, 1]", __builtin_popcount((unsigned)spread),
          outside);
    for (int t = 0; t < 16; t++) {
        const nn_train_tensor *tensor = &c.m.tensors[t];
        size_t size = (size_t)tensor->rows * (size_t)tensor->cols;
        char name[128];
        snprintf(name, sizeof name, "genie %s", tensor->name);
        gradcheck_sample(&model_check, name, model_loss, &c, c.params + tensor->offset, grads + tensor->offset, size, 24);
    }
    /* The encoder learns from the decoder: without the penalties its gradient is not zero. */
    c.m.range_scale = c.m.contour_scale = c.m.deviate_scale = 0.0f;
    memset(grads, 0, c.m.params * sizeof *grads);
    genie_run(&c.m, c.m.batch, c.params, grads, &c.w, NULL);
    double norm = nn_train_global_norm(c.m.tensors[8].offset, grads);
    CHECK(norm > 1e-4, "the reconstruction loss alone reaches the encoder (gradient norm %.3g)", norm);
    gradcheck_sample(&model_check, "genie encoder, reconstruction only", model_loss, &c, c.params, grads,
                     c.m.tensors[8].offset, 48);
    free(frozen);
    genie_work_free(&c.w);
    free(c.params);
    free(grads);
}

int main(void)
{
    test_quantiser();
    test_penalties();
    test_model();
    return check_summary("test_train_genie");
}
