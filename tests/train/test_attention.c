/* test_attention.c — Magenta's AttentionCellWrapper: the training passes against central finite
 * differences, the training forward against the inference runner (nn_rnn) step by step, and the
 * loader's checks of the attention tensors.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Gradients: L = Σ out · r for a fixed random r, so dL/dout = r; each analytic derivative is
 * compared with the fourth-order central difference (8 (L(p+ε) - L(p-ε)) - (L(p+2ε) - L(p-2ε)))
 * / 12ε (gradcheck.h), L summed in double over the float forward's outputs. The loss sums 96
 * outputs of a deep recurrence whose float rounding (~5e-7) would swamp a small step; the
 * fourth-order stencil allows ε = 4e-2 with negligible truncation, leaving noise near 1e-5 on
 * each numeric derivative. Error = |analytic - numeric| / max(|analytic|, |numeric|, 3e-3):
 * relative for real gradients, an absolute 3e-5 below the floor; tolerance 1e-2. Over 10 random
 * draws on each of the reference, SSE2 and AVX2 kernels the worst error was 5.2e-3.
 */
#include "nn.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XORSHIFT_SEED 0x2545F4914F6CDD1Du
#include "gradcheck.h"

static const gradcheck fourth_order = {.eps = 4e-2, .points = 4, .floor = 3e-3, .tolerance = 1e-2};
/* The inference runner against the training forward on the same kernel set: the same maths,
 * the sums associated differently (and sigmoid/tanh of the LSTM cell scalar on one side). */
#define MATCH_TOLERANCE 1e-5

/* max |a - b| over n values (b NULL: max |a|). A comparison, not fmax: gcc 12 for aarch64
 * crashes (internal compiler error) vectorizing fmax(max, fabs(a - b)) loops at -O2 and -O3. */
static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double worst = 0.0;
    for (size_t k = 0; k < n; k++) {
        double d = fabs((double)a[k] - (b ? b[k] : 0.0f));
        if (d > worst)
            worst = d;
    }
    return worst;
}

/* ---- The layer's tensors in one array ---- */

enum { NTENSORS = 10 };
static const char *const tensor_names[NTENSORS] = {
    "input_kernel", "input_bias", "kernel", "bias", "attn_w", "attn_v", "query_kernel", "query_bias",
    "output_kernel", "output_bias"};

static void tensor_sizes(const nn_train_attention *a, size_t size[NTENSORS])
{
    size_t I = (size_t)a->input, U = (size_t)a->units;
    size_t s[NTENSORS] = {(I + U) * I, I, (I + U) * 4 * U, 4 * U, U * U, U, 2 * U * U, U, 2 * U * U, U};
    memcpy(size, s, sizeof s);
}

static size_t views(const nn_train_attention *a, float *base, nn_train_attention_params *p, float *ptr[NTENSORS])
{
    size_t size[NTENSORS], at = 0;
    tensor_sizes(a, size);
    float **slot[NTENSORS] = {&p->input_kernel, &p->input_bias, &p->kernel, &p->bias, &p->attn_w,
                              &p->attn_v, &p->query_kernel, &p->query_bias, &p->output_kernel, &p->output_bias};
    for (int k = 0; k < NTENSORS; k++) {
        *slot[k] = base ? base + at : NULL;
        if (ptr)
            ptr[k] = *slot[k];
        at += size[k];
    }
    return at;
}

/* ---- Finite differences ---- */

enum { GT = 6, GB = 4, GI = 5, GU = 4, GL = 3 };

typedef struct grad_case {
    nn_train_attention layer;
    nn_train_attention_params p;
    float x[GT * GB * GI], mask[GT * GB], out[GT * GB * GU], r[GT * GB * GU];
    float *work;
} grad_case;

static double attention_loss(void *ctx)
{
    grad_case *g = ctx;
    nn_train_attention_forward(&g->layer, GT, GB, g->x, g->mask, &g->p, g->out, g->work);
    return dot(g->out, g->r, GT * GB * GU);
}

static void test_gradients(void)
{
    /* Rows 1 and 2 end early (a padded tail, as dynamic_rnn's lengths); row 3 has a padded step
     * in the middle, which must carry the whole state and leave the window alone. */
    static const float mask[GT * GB] = {
        1, 1, 1, 1, /* t = 0 */
        1, 1, 1, 1, /* t = 1 */
        1, 1, 0, 0, /* t = 2 */
        1, 1, 0, 1, /* t = 3 */
        1, 0, 0, 1, /* t = 4 */
        1, 0, 0, 1, /* t = 5 */
    };
    snprintf(context, sizeof context, "attention training passes");
    grad_case g = {.layer = {GI, GU, GL, 1.0f}};
    size_t n = views(&g.layer, NULL, &g.p, NULL);
    float *params = malloc(n * sizeof *params), *grads = calloc(n, sizeof *grads);
    float *pt[NTENSORS], *gt[NTENSORS];
    nn_train_attention_params gp;
    views(&g.layer, params, &g.p, pt);
    views(&g.layer, grads, &gp, gt);
    g.work = malloc(nn_train_attention_workspace_size(&g.layer, GT, GB) * sizeof *g.work);
    fill(params, n, 0.7f);
    fill(g.x, GT * GB * GI, 1.0f);
    fill(g.r, GT * GB * GU, 1.0f);
    memcpy(g.mask, mask, sizeof mask);

    static float dx[GT * GB * GI];
    attention_loss(&g);
    nn_train_attention_backward(&g.layer, GT, GB, g.x, g.mask, &g.p, g.r, dx, &gp, g.work);
    gradcheck_all(&fourth_order, "attention dx (padded batch)", attention_loss, &g, g.x, dx, GT * GB * GI);
    size_t size[NTENSORS];
    tensor_sizes(&g.layer, size);
    for (int k = 0; k < NTENSORS; k++) {
        char name[64];
        snprintf(name, sizeof name, "attention d%s", tensor_names[k]);
        gradcheck_all(&fourth_order, name, attention_loss, &g, pt[k], gt[k], size[k]);
    }

    attention_loss(&g);
    CHECK(padded_steps_zero(GT, GB, g.mask, g.out, GU, dx, GI), "padded steps output 0 and get dx = 0");

    /* A batch row does not depend on the others: row 0 alone gives the same outputs. */
    float x0[GT * GI], out0[GT * GU];
    for (int t = 0; t < GT; t++)
        memcpy(x0 + t * GI, g.x + (t * GB) * GI, GI * sizeof *x0);
    nn_train_attention_forward(&g.layer, GT, 1, x0, NULL, &g.p, out0, g.work);
    double diff = 0.0;
    for (int t = 0; t < GT; t++)
        diff = fmax(diff, max_abs_diff(out0 + t * GU, g.out + (t * GB) * GU, GU));
    printf("     row 0 alone vs in the batch: max |diff| %.2e (tolerance 1e-6)\n", diff);
    CHECK(diff <= 1e-6, "rows are independent");

    /* Backward adds: a second pass doubles every gradient. */
    float *twice = calloc(n, sizeof *twice);
    nn_train_attention_params tp;
    views(&g.layer, twice, &tp, NULL);
    attention_loss(&g);
    nn_train_attention_backward(&g.layer, GT, GB, g.x, g.mask, &g.p, g.r, NULL, &tp, g.work);
    nn_train_attention_backward(&g.layer, GT, GB, g.x, g.mask, &g.p, g.r, NULL, &tp, g.work);
    double worst = 0.0;
    memset(grads, 0, n * sizeof *grads);
    nn_train_attention_backward(&g.layer, GT, GB, g.x, g.mask, &g.p, g.r, NULL, &gp, g.work);
    for (size_t k = 0; k < n; k++)
        twice[k] = (twice[k] - 2.0f * grads[k]) / fmaxf(fabsf(grads[k]), 1e-6f);
    worst = max_abs_diff(twice, NULL, n);
    CHECK(worst <= 1e-5, "backward adds into its gradients");
    free(twice), free(params), free(grads), free(g.work);
}

/* ---- The inference runner ---- */

enum { RT = 11, RI = 6, RU = 5, RL = 3, RU1 = 4, RC = 7 };

/* Each f16-stored tensor is rounded through f16 here, so both sides use the same weights. */
static void round_f16(float *x, size_t n)
{
    for (size_t k = 0; k < n; k++)
        x[k] = nn_f16_to_f32(nn_f32_to_f16(x[k]));
}

typedef struct runner_case {
    nn_train_attention layer;
    nn_train_attention_params p;
    float *params, *ptr[NTENSORS];
    float k1[(RU + RU1) * 4 * RU1], b1[4 * RU1], ok[RU1 * RC], ob[RC]; /* the second layer and output */
} runner_case;

static const char *const file_names[NTENSORS] = {
    "rnn/cell_0/attention/input_kernel", "rnn/cell_0/attention/input_bias", "rnn/cell_0/kernel", "rnn/cell_0/bias",
    "rnn/cell_0/attention/attn_w", "rnn/cell_0/attention/attn_v", "rnn/cell_0/attention/query_kernel",
    "rnn/cell_0/attention/query_bias", "rnn/cell_0/attention/output_kernel", "rnn/cell_0/attention/output_bias"};
static const int is_kernel[NTENSORS] = {1, 0, 1, 0, 1, 0, 1, 0, 1, 0};

/* A model file in memory: one attention layer, then (layers 2) an LSTM, then the output layer;
 * with layers 1 the output layer is the identity, so the logits are the wrapper's outputs.
 * `skip` leaves one tensor out; `bad` gives one a wrong shape (-1: none). */
static nn_model *write_model(const runner_case *rc, int layers, nn_dtype kernels, int skip, int bad, int64_t length,
                             nn_status *status, char *why)
{
    nn_writer *w = NULL;
    nn_status st = nn_writer_new(NN_KIND_EVENT_RNN, &w);
    int classes = layers == 1 ? RU : RC;
    if (st == NN_OK) st = nn_writer_set_int(w, "input_size", RI);
    if (st == NN_OK) st = nn_writer_set_int(w, "num_classes", classes);
    if (st == NN_OK) st = nn_writer_set_int(w, "num_layers", layers);
    if (st == NN_OK) st = nn_writer_set_float(w, "forget_bias", 1.0);
    if (st == NN_OK) st = nn_writer_set_int(w, "attn_length", length);
    size_t size[NTENSORS];
    tensor_sizes(&rc->layer, size);
    int rows[NTENSORS] = {RI + RU, 1, RI + RU, 1, RU, 1, 2 * RU, 1, 2 * RU, 1};
    for (int k = 0; k < NTENSORS && st == NN_OK; k++) {
        if (k == skip)
            continue;
        int cols = (int)(size[k] / (size_t)rows[k]);
        int dims[2] = {rows[k], cols};
        if (k == bad)
            dims[0] -= 1;
        if (is_kernel[k])
            st = nn_writer_add(w, file_names[k], kernels, 2, dims, rc->ptr[k]);
        else
            st = nn_writer_add(w, file_names[k], NN_F32, 1, (const int[]){k == bad ? cols - 1 : cols}, rc->ptr[k]);
    }
    float identity[RU * RU] = {0}, zero[RU] = {0};
    for (int k = 0; k < RU; k++)
        identity[k * RU + k] = 1.0f;
    if (layers == 1) {
        if (st == NN_OK) st = nn_writer_add(w, "output/kernel", NN_F32, 2, (const int[]){RU, RU}, identity);
        if (st == NN_OK) st = nn_writer_add(w, "output/bias", NN_F32, 1, (const int[]){RU}, zero);
    } else {
        if (st == NN_OK) st = nn_writer_add(w, "rnn/cell_1/kernel", kernels, 2, (const int[]){RU + RU1, 4 * RU1}, rc->k1);
        if (st == NN_OK) st = nn_writer_add(w, "rnn/cell_1/bias", NN_F32, 1, (const int[]){4 * RU1}, rc->b1);
        if (st == NN_OK) st = nn_writer_add(w, "output/kernel", kernels, 2, (const int[]){RU1, RC}, rc->ok);
        if (st == NN_OK) st = nn_writer_add(w, "output/bias", NN_F32, 1, (const int[]){RC}, rc->ob);
    }
    void *bytes = NULL;
    size_t n = 0;
    if (st == NN_OK)
        st = nn_writer_to_memory(w, &bytes, &n);
    nn_writer_free(w);
    nn_model *m = NULL;
    if (st == NN_OK)
        st = nn_model_load_memory(bytes, n, "attention.nnm", &m, why);
    free(bytes);
    *status = st;
    return m;
}

/* The training side's logits (or outputs, with layers 1) for one sequence of inputs x[T, I]. */
static void training_outputs(runner_case *rc, int layers, const float *x, float *logits)
{
    static float out[RT * RU], h1[RT * RU1];
    float *work = malloc(nn_train_attention_workspace_size(&rc->layer, RT, 1) * sizeof *work);
    nn_train_attention_forward(&rc->layer, RT, 1, x, NULL, &rc->p, out, work);
    free(work);
    if (layers == 1) {
        memcpy(logits, out, sizeof out);
        return;
    }
    nn_train_lstm l1 = {RU, RU1, 1.0f};
    work = malloc(nn_train_lstm_workspace_size(&l1, RT, 1) * sizeof *work);
    nn_train_lstm_forward(&l1, RT, 1, out, NULL, rc->k1, rc->b1, h1, work);
    free(work);
    nn_train_dense_forward(RT, RU1, RC, h1, rc->ok, rc->ob, logits);
}

/* Step the runner through the sequence (vector inputs, or one-hot `classes` when not NULL)
 * and return the largest difference from `want`. */
static double runner_diff(nn_rnn *rnn, const float *x, const int *classes, const float *want, int width)
{
    double diff = 0.0;
    for (int t = 0; t < RT; t++) {
        const float *got = classes ? nn_rnn_step_class(rnn, classes[t]) : nn_rnn_step(rnn, x + t * RI);
        diff = fmax(diff, max_abs_diff(got, want + t * width, width));
    }
    return diff;
}

static void test_runner(nn_dtype kernels, int layers)
{
    runner_case rc = {.layer = {RI, RU, RL, 1.0f}};
    size_t n = views(&rc.layer, NULL, &rc.p, NULL), size[NTENSORS];
    rc.params = malloc(n * sizeof *rc.params);
    views(&rc.layer, rc.params, &rc.p, rc.ptr);
    tensor_sizes(&rc.layer, size);
    fill(rc.params, n, 0.8f);
    fill(rc.k1, sizeof rc.k1 / sizeof *rc.k1, 0.6f), fill(rc.b1, 4 * RU1, 0.3f);
    fill(rc.ok, RU1 * RC, 0.8f), fill(rc.ob, RC, 0.3f);
    if (kernels == NN_F16) {
        for (int k = 0; k < NTENSORS; k++)
            if (is_kernel[k])
                round_f16(rc.ptr[k], size[k]);
        round_f16(rc.k1, sizeof rc.k1 / sizeof *rc.k1), round_f16(rc.ok, RU1 * RC);
    }
    snprintf(context, sizeof context, "runner (%s, %d layer%s)", nn_dtype_name(kernels), layers, layers > 1 ? "s" : "");
    char why[NN_MESSAGE_SIZE] = "";
    nn_status st;
    nn_model *m = write_model(&rc, layers, kernels, -1, -1, RL, &st, why);
    nn_rnn *rnn = NULL;
    if (m)
        nn_rnn_new(m, &rnn, why);
    CHECK(st == NN_OK && rnn, "model with attention loads: %s", why);
    if (!rnn) {
        nn_model_free(m), free(rc.params);
        return;
    }
    int width = layers == 1 ? RU : RC;

    /* Vector inputs, then one-hot inputs (one out of range: all-zero input). */
    static float x[RT * RI], onehot[RT * RI], want[RT * RC], want_onehot[RT * RC];
    int classes[RT];
    fill(x, RT * RI, 1.0f);
    memset(onehot, 0, sizeof onehot);
    for (int t = 0; t < RT; t++) {
        classes[t] = t == 4 ? RI : (t * 5 + 2) % RI;
        if (classes[t] < RI)
            onehot[t * RI + classes[t]] = 1.0f;
    }

    /* On the scalar reference kernels, then on the best the CPU has. */
    static const char *const sets[2] = {"reference", "auto"};
    for (int s = 0; s < 2; s++) {
        nn_status selected = nn_simd_select(sets[s]);
        training_outputs(&rc, layers, x, want);
        training_outputs(&rc, layers, onehot, want_onehot);
        nn_rnn_reset(rnn);
        double d_vec = runner_diff(rnn, x, NULL, want, width);
        nn_rnn_reset(rnn);
        double d_hot = runner_diff(rnn, NULL, classes, want_onehot, width);
        nn_rnn_reset(rnn);
        double d_again = runner_diff(rnn, x, NULL, want, width);
        printf("     %s kernels, nn_rnn_step vs training forward, %d steps, window %d: max |diff| %.2e vectors, "
               "%.2e one-hot, %.2e after reset (tolerance %.0e)\n",
               nn_simd_active(), RT, RL, d_vec, d_hot, d_again, MATCH_TOLERANCE);
        CHECK(selected == NN_OK && d_vec <= MATCH_TOLERANCE && d_hot <= MATCH_TOLERANCE && d_again <= MATCH_TOLERANCE,
              "%s kernels: nn_rnn_step matches the training forward step by step", nn_simd_active());
    }
    /* The runner's memory holds the window: 2 rings of L × U plus the rest. */
    CHECK(nn_model_runner_bytes(m) >= 2 * RL * RU * sizeof(float), "runner bytes count the attention state");
    nn_rnn_free(rnn);
    nn_model_free(m);
    free(rc.params);
}

/* ---- The loader's checks ---- */

static void expect_refusal(const runner_case *rc, int skip, int bad, int64_t length, nn_status want,
                           const char *fragment)
{
    char why[NN_MESSAGE_SIZE] = "";
    nn_status st;
    nn_model *m = write_model(rc, 1, NN_F32, skip, bad, length, &st, why);
    CHECK(!m && st == want && strstr(why, fragment) && strstr(why, "attention.nnm"), "refuses: %s (got \"%s\")",
          fragment, why);
    nn_model_free(m);
}

static void test_loader(void)
{
    snprintf(context, sizeof context, "loader");
    runner_case rc = {.layer = {RI, RU, RL, 1.0f}};
    size_t n = views(&rc.layer, NULL, &rc.p, NULL);
    rc.params = calloc(n, sizeof *rc.params);
    views(&rc.layer, rc.params, &rc.p, rc.ptr);
    for (int k = 0; k < NTENSORS; k++) {
        if (k == 2 || k == 3) /* the cell's own kernel and bias have their own messages */
            continue;
        char fragment[160];
        snprintf(fragment, sizeof fragment, "missing tensor '%s'", file_names[k]);
        expect_refusal(&rc, k, -1, RL, NN_ERR_MISSING, fragment);
        snprintf(fragment, sizeof fragment, "tensor '%s' has shape", file_names[k]);
        expect_refusal(&rc, -1, k, RL, NN_ERR_SHAPE, fragment);
    }
    expect_refusal(&rc, -1, -1, -1, NN_ERR_MALFORMED, "'attn_length' is -1");
    expect_refusal(&rc, -1, -1, 100000, NN_ERR_MALFORMED, "'attn_length' is 100000");

    /* attn_length 0 is no attention: the attention tensors, present or not, are not read. */
    char why[NN_MESSAGE_SIZE] = "";
    nn_status st;
    nn_model *m = write_model(&rc, 1, NN_F32, -1, -1, 0, &st, why);
    CHECK(m && st == NN_OK, "attn_length 0 loads as a plain LSTM model: %s", why);
    nn_model_free(m);
    free(rc.params);
}

int main(void)
{
    test_gradients();
    test_runner(NN_F32, 1);
    test_runner(NN_F16, 1);
    test_runner(NN_F32, 2);
    test_runner(NN_F16, 2);
    test_loader();
    return check_summary("test_train_attention");
}
