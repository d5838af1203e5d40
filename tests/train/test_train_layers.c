/* test_train_layers.c — GRU (both variants), embedding and dropout training passes: gradients
 * against central finite differences, the GRU forward against the inference cell, dropout's
 * mask statistics and its generator.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Gradients as in test_gradients.c (gradcheck.h): L = Σ y · r for a fixed random r, central
 * differences with ε = 1e-2 taken in double on the float passes, error relative above the floor,
 * absolute below, tolerance 1e-2. The floor is 3e-3 (an absolute 3e-5 for small gradients): the
 * GRU's float rounding gives its numeric derivatives noise near 1e-5 (with a floor of 1e-3 the
 * worst of 8 random draws was 9.6e-3, with 3e-3 it is 3.2e-3).
 */
#include "nn.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XORSHIFT_SEED 0x9E3779B97F4A7C15u
#include "gradcheck.h"

static const gradcheck central = {.eps = 1e-2, .points = 2, .floor = 3e-3, .tolerance = 1e-2};

/* ---- GRU ---- */

enum { GT = 5, GB = 3, GIN = 4, GU = 3 };
enum { GK = (GIN + GU) * 2 * GU, CK = (GIN + GU) * GU };

typedef struct gru_case {
    nn_train_gru layer;
    nn_train_gru_params p;
    float x[GT * GB * GIN], mask[GT * GB], h[GT * GB * GU], r[GT * GB * GU];
    float gk[GK], gb[2 * GU], ck[CK], cb[GU], bh[GU];
    float *work;
} gru_case;

static double gru_loss(void *ctx)
{
    gru_case *g = ctx;
    nn_train_gru_forward(&g->layer, GT, GB, g->x, g->mask, &g->p, g->h, g->work);
    return dot(g->h, g->r, GT * GB * GU);
}

static void test_gru(int reset_after, int hidden_bias)
{
    static const int lengths[GB] = {5, 3, 1};
    gru_case g = {.layer = {GIN, GU, reset_after}};
    g.p = (nn_train_gru_params){g.gk, g.gb, g.ck, g.cb, hidden_bias ? g.bh : NULL};
    g.work = malloc(nn_train_gru_workspace_size(&g.layer, GT, GB) * sizeof *g.work);
    fill(g.x, GT * GB * GIN, 1.0f), fill(g.gk, GK, 0.7f), fill(g.gb, 2 * GU, 0.5f), fill(g.ck, CK, 0.7f);
    fill(g.cb, GU, 0.5f), fill(g.bh, GU, 0.5f), fill(g.r, GT * GB * GU, 1.0f);
    for (int t = 0; t < GT; t++)
        for (int b = 0; b < GB; b++)
            g.mask[t * GB + b] = t < lengths[b] ? 1.0f : 0.0f;

    static float dx[GT * GB * GIN], dgk[GK], dgb[2 * GU], dck[CK], dcb[GU], dbh[GU];
    memset(dx, 0, sizeof dx), memset(dgk, 0, sizeof dgk), memset(dgb, 0, sizeof dgb);
    memset(dck, 0, sizeof dck), memset(dcb, 0, sizeof dcb), memset(dbh, 0, sizeof dbh);
    nn_train_gru_params d = {dgk, dgb, dck, dcb, hidden_bias ? dbh : NULL};
    gru_loss(&g);
    nn_train_gru_backward(&g.layer, GT, GB, g.x, g.mask, &g.p, g.r, dx, &d, g.work);
    char name[80];
    const char *variant = reset_after ? "gru reset-after" : "gru reset-before";
    snprintf(context, sizeof context, "%s%s", variant, hidden_bias ? ", hidden bias" : "");
#define GRU_CHECK(what, values, grads, n)                                  \
    do {                                                                   \
        snprintf(name, sizeof name, "%s %s", variant, what);               \
        gradcheck_all(&central, name, gru_loss, &g, values, grads, n);     \
    } while (0)
    GRU_CHECK("dx", g.x, dx, GT * GB * GIN);
    GRU_CHECK("dgate_kernel", g.gk, dgk, GK);
    GRU_CHECK("dgate_bias", g.gb, dgb, 2 * GU);
    GRU_CHECK("dcandidate_kernel", g.ck, dck, CK);
    GRU_CHECK("dcandidate_bias", g.cb, dcb, GU);
    if (hidden_bias)
        GRU_CHECK("dcandidate_hidden_bias", g.bh, dbh, GU);
#undef GRU_CHECK

    gru_loss(&g);
    CHECK(padded_steps_zero(GT, GB, g.mask, g.h, GU, dx, GIN), "padded steps output 0 and get dx = 0");

    /* The same maths as the inference cell, on its scalar reference kernels. */
    nn_status selected = nn_simd_select("reference");
    nn_matrix *gate = NULL, *cand = NULL;
    nn_matrix_new(GIN + GU, 2 * GU, NN_F32, g.gk, &gate);
    nn_matrix_new(GIN + GU, GU, NN_F32, g.ck, &cand);
    nn_gru_cell cell = {gate, g.gb, cand, g.cb, hidden_bias ? g.bh : NULL, GIN, GU, reset_after};
    float h[GU] = {0}, work[4 * GU];
    double diff = 0.0;
    for (int t = 0; t < GT; t++) {
        nn_gru_step(&cell, g.x + (t * GB + 0) * GIN, h, work);
        for (int k = 0; k < GU; k++)
            diff = fmax(diff, fabs(h[k] - g.h[(t * GB + 0) * GU + k]));
    }
    nn_simd_select("auto");
    printf("     %s forward vs nn_gru_step: max |diff| %.2e (tolerance 1e-5)\n", variant, diff);
    CHECK(selected == NN_OK && gate && cand && diff <= 1e-5, "forward matches nn_gru_step");
    nn_matrix_free(gate), nn_matrix_free(cand);
    free(g.work);
}

/* ---- Embedding ---- */

enum { EN = 7, EV = 5, ED = 3 };
typedef struct embedding_case {
    int ids[EN];
    float table[EV * ED], out[EN * ED], r[EN * ED];
} embedding_case;

static double embedding_loss(void *ctx)
{
    embedding_case *e = ctx;
    nn_train_embedding_forward(EN, EV, ED, e->ids, e->table, e->out);
    return dot(e->out, e->r, EN * ED);
}

static void test_embedding(void)
{
    snprintf(context, sizeof context, "embedding");
    embedding_case e = {.ids = {0, 3, 3, -1, 4, 5, 1}}; /* a repeat, two out of range; id 2 unused */
    fill(e.table, EV * ED, 1.0f), fill(e.r, EN * ED, 1.0f);
    float dtable[EV * ED] = {0};
    embedding_loss(&e);
    nn_train_embedding_backward(EN, EV, ED, e.ids, e.r, dtable);
    gradcheck_all(&central, "embedding dtable", embedding_loss, &e, e.table, dtable, EV * ED);
    int ok = 1;
    for (int k = 0; k < ED; k++) {
        ok &= e.out[3 * ED + k] == 0.0f && e.out[5 * ED + k] == 0.0f; /* out of range: zero rows */
        ok &= e.out[1 * ED + k] == e.table[3 * ED + k] && dtable[2 * ED + k] == 0.0f;
    }
    CHECK(ok, "rows copied, out-of-range ids give zero rows and no gradient");
}

/* ---- Dropout ---- */

enum { DN = 100000 };

static void test_dropout(void)
{
    snprintf(context, sizeof context, "dropout");
    static float x[DN], mask[DN], again[DN], again_mask[DN], other[DN], other_mask[DN];
    const float keep = 0.8f;
    for (int k = 0; k < DN; k++)
        x[k] = again[k] = other[k] = 1.0f + (float)(k % 7);
    nn_train_dropout_forward(DN, keep, 1234, 5, x, mask);
    nn_train_dropout_forward(DN, keep, 1234, 5, again, again_mask);
    nn_train_dropout_forward(DN, keep, 1234, 6, other, other_mask);

    /* Kept share: binomial(n, keep) has sd √(n keep (1 - keep)) ≈ 126; allow 5 sd. */
    int kept = 0, values_ok = 1, differ = 0;
    for (int k = 0; k < DN; k++) {
        kept += mask[k] != 0.0f;
        values_ok &= (mask[k] == 0.0f || mask[k] == 1.0f / keep) && x[k] == (1.0f + (float)(k % 7)) * mask[k];
        differ += mask[k] != other_mask[k];
    }
    double mean = DN * keep, sd = sqrt(DN * keep * (1.0 - keep));
    printf("     dropout keep %.1f: %d of %d kept (expected %.0f ± %.0f)\n", keep, kept, DN, mean, 5 * sd);
    CHECK(fabs(kept - mean) <= 5 * sd, "kept share within 5 sd of the binomial mean");
    CHECK(values_ok, "mask is 0 or 1/keep and x is scaled by it");
    CHECK(memcmp(mask, again_mask, sizeof mask) == 0 && memcmp(x, again, sizeof x) == 0,
          "equal (seed, stream) give equal masks");
    /* Independent streams agree on a position with probability keep² + (1 - keep)² = 0.68. */
    printf("     streams 5 and 6 differ at %d of %d positions (expected %.0f)\n", differ, DN, DN * 0.32);
    CHECK(fabs(differ - DN * 0.32) <= 5 * sqrt(DN * 0.32 * 0.68), "different streams differ");

    /* The generator is PCG32 as published: pcg32_srandom_r(42, 54) starts 0xa15c02b7 0x7b47f409
     * 0xba1d3330 0x83d2f293 0xbfa4784b 0xcbed606e (the PCG demo's output), so with keep 0.5
     * (kept when the top bit is 0) only the second is kept. */
    float half[6] = {1, 1, 1, 1, 1, 1}, half_mask[6];
    nn_train_dropout_forward(6, 0.5f, 42, 54, half, half_mask);
    CHECK(half_mask[0] == 0 && half_mask[1] == 2 && half_mask[2] == 0 && half_mask[3] == 0 && half_mask[4] == 0 &&
              half_mask[5] == 0,
          "PCG32's published sequence for seed 42, stream 54");

    /* keep >= 1 is the identity; backward multiplies by the mask. */
    float y[4] = {1, -2, 3, -4}, ones[4], dy[4] = {1, 1, 1, 1};
    nn_train_dropout_forward(4, 1.0f, 7, 7, y, ones);
    CHECK(y[0] == 1 && y[1] == -2 && y[2] == 3 && y[3] == -4 && ones[0] == 1 && ones[3] == 1,
          "keep 1 is the identity");
    nn_train_dropout_backward(4, half_mask, dy);
    CHECK(dy[0] == 0 && dy[1] == 2 && dy[2] == 0, "backward: dy *= mask");
}

int main(void)
{
    test_gru(0, 0);
    test_gru(0, 1);
    test_gru(1, 1);
    test_gru(1, 0);
    test_embedding();
    test_dropout();
    return check_summary("test_train_layers");
}
