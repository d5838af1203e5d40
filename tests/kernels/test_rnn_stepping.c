/* test_rnn_stepping.c — an event_rnn step spread over calls (nn_rnn_step_start / _continue) gives
 * the logits of nn_rnn_step bit for bit, one layer per call or several, on a vector or a class,
 * for a plain, an attention, a projected and a multi-layer model, f32 and f16; NULL until the
 * last layer; a reset abandons a started step.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_SEED 0x73746570ull
#include "../check.h"

typedef struct shape {
    const char *name;
    int input, classes, layers, units[3], attn_length;
    int project; /* units of an input projection (input/kernel), 0: none */
    nn_dtype dtype;
} shape;

static nn_status add_random(nn_writer *w, const char *name, nn_dtype dtype, int ndim, const int *dims)
{
    int n = 1;
    for (int i = 0; i < ndim; i++)
        n *= dims[i];
    float *data = malloc((size_t)n * sizeof *data);
    fill_uniform(data, n, -0.4f, 0.4f);
    nn_status st = nn_writer_add(w, name, dtype, ndim, dims, data);
    free(data);
    return st;
}

static nn_model *make_model(const shape *s)
{
    nn_writer *w = NULL;
    nn_status st = nn_writer_new(NN_KIND_EVENT_RNN, &w);
    if (st == NN_OK) st = nn_writer_set_int(w, "input_size", s->input);
    if (st == NN_OK) st = nn_writer_set_int(w, "num_classes", s->classes);
    if (st == NN_OK) st = nn_writer_set_int(w, "num_layers", s->layers);
    if (st == NN_OK && s->attn_length) st = nn_writer_set_int(w, "attn_length", s->attn_length);
    int in = s->input;
    if (st == NN_OK && s->project) {
        st = add_random(w, "input/kernel", s->dtype, 2, (int[]){s->input, s->project});
        if (st == NN_OK) st = add_random(w, "input/bias", NN_F32, 1, (int[]){s->project});
        in = s->project;
    }
    int first_in = in;
    char name[64];
    for (int k = 0; k < s->layers && st == NN_OK; k++) {
        int u = s->units[k];
        snprintf(name, sizeof name, "rnn/cell_%d/kernel", k);
        st = add_random(w, name, s->dtype, 2, (int[]){in + u, 4 * u});
        snprintf(name, sizeof name, "rnn/cell_%d/bias", k);
        if (st == NN_OK) st = add_random(w, name, NN_F32, 1, (int[]){4 * u});
        in = u;
    }
    if (st == NN_OK && s->attn_length) {
        int u = s->units[0];
        const char *prefix = "rnn/cell_0/attention/";
        struct { const char *name; int ndim, d0, d1; } t[] = {
            {"input_kernel", 2, first_in + u, first_in}, {"input_bias", 1, first_in, 0}, {"attn_w", 2, u, u},
            {"attn_v", 1, u, 0}, {"query_kernel", 2, 2 * u, u}, {"query_bias", 1, u, 0},
            {"output_kernel", 2, 2 * u, u}, {"output_bias", 1, u, 0}};
        for (size_t i = 0; i < sizeof t / sizeof t[0] && st == NN_OK; i++) {
            snprintf(name, sizeof name, "%s%s", prefix, t[i].name);
            st = add_random(w, name, t[i].ndim == 2 ? s->dtype : NN_F32, t[i].ndim, (int[]){t[i].d0, t[i].d1});
        }
    }
    if (st == NN_OK) st = add_random(w, "output/kernel", s->dtype, 2, (int[]){in, s->classes});
    if (st == NN_OK) st = add_random(w, "output/bias", NN_F32, 1, (int[]){s->classes});
    void *bytes = NULL;
    size_t size = 0;
    if (st == NN_OK) st = nn_writer_to_memory(w, &bytes, &size);
    nn_writer_free(w);
    nn_model *m = NULL;
    char why[NN_MESSAGE_SIZE] = "";
    if (st == NN_OK) st = nn_model_load_memory(bytes, size, s->name, &m, why);
    free(bytes);
    CHECK(st == NN_OK, "%s: %s %s", s->name, nn_status_text(st), why);
    return m;
}

/* Steps of the same inputs on two runners: whole on one, `per_call` layers at a time on the
 * other; every logit equal bit for bit, NULL before the last layer. */
static void compare(const shape *s, int per_call)
{
    snprintf(context, sizeof context, "%s, %d layer(s) per call", s->name, per_call);
    nn_model *m = make_model(s);
    if (!m)
        return;
    nn_rnn *whole = NULL, *split = NULL;
    char why[NN_MESSAGE_SIZE];
    CHECK(nn_rnn_new(m, &whole, why) == NN_OK && nn_rnn_new(m, &split, why) == NN_OK, "runner: %s", why);
    CHECK(nn_rnn_num_layers(split) == s->layers, "%d layers", nn_rnn_num_layers(split));
    CHECK(nn_rnn_step_continue(split, 1) == NULL, "logits without a started step");
    float *x = malloc((size_t)s->input * sizeof *x);
    int classes = s->classes, mismatches = 0, early = 0, calls_wrong = 0;
    for (int step = 0; step < 40; step++) {
        const float *a, *b = NULL;
        int by_class = step % 3 == 1, index = (int)(rng_next() % (uint64_t)(s->input + 1)) - (step % 7 == 0);
        if (by_class) {
            a = nn_rnn_step_class(whole, index);
            nn_rnn_step_start_class(split, index);
        } else {
            fill_uniform(x, s->input, -1.0f, 1.0f);
            a = nn_rnn_step(whole, x);
            nn_rnn_step_start(split, x);
        }
        int calls = 0;
        while (!b && calls < 64) {
            b = nn_rnn_step_continue(split, per_call);
            calls++;
            if (!b && calls * per_call >= s->layers)
                early++;
        }
        if (calls != (s->layers + per_call - 1) / per_call)
            calls_wrong++;
        if (!b || memcmp(a, b, (size_t)classes * sizeof *a) != 0)
            mismatches++;
        if (b)
            CHECK(nn_rnn_step_continue(split, 1) == NULL, "logits again after the step was done");
    }
    CHECK(mismatches == 0, "%d of 40 steps differ from nn_rnn_step", mismatches);
    CHECK(early == 0, "%d steps returned NULL after their last layer", early);
    CHECK(calls_wrong == 0, "%d steps took the wrong number of calls", calls_wrong);

    /* a reset abandons a started step: both fresh again, they agree */
    if (s->layers > 1) {
        nn_rnn_step_start_class(split, 0);
        CHECK(nn_rnn_step_continue(split, 1) == NULL, "a one-layer call finished a %d-layer step", s->layers);
        nn_rnn_reset(split);
        CHECK(nn_rnn_step_continue(split, 1) == NULL, "a reset kept the started step");
        nn_rnn_reset(whole);
        const float *a = nn_rnn_step_class(whole, 1), *b = NULL;
        nn_rnn_step_start_class(split, 1);
        while (!b)
            b = nn_rnn_step_continue(split, 1);
        CHECK(memcmp(a, b, (size_t)classes * sizeof *a) == 0, "after a reset the logits differ");
    }
    free(x);
    nn_rnn_free(whole);
    nn_rnn_free(split);
    nn_model_free(m);
}

int main(void)
{
    const shape shapes[] = {
        {"plain 1 x 16", 12, 10, 1, {16}, 0, 0, NN_F32},
        {"plain 3 x 24 f16", 20, 18, 3, {24, 24, 24}, 0, 0, NN_F16},
        {"mixed 3 layers", 9, 7, 3, {8, 20, 12}, 0, 0, NN_F32},
        {"attention 2 x 16", 11, 11, 2, {16, 16}, 5, 0, NN_F32},
        {"attention 3 x 8 f16", 6, 6, 3, {8, 8, 8}, 3, 0, NN_F16},
        {"projected 2 x 16", 13, 9, 2, {16, 16}, 0, 16, NN_F32},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int per_call = 1; per_call <= 4; per_call++)
            compare(&shapes[i], per_call);
    return check_summary("test_rnn_stepping");
}
