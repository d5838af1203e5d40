/* seed_corpus.c — writes a few small valid model files as the fuzzer's seed corpus: event RNNs (f32 and
 * f16, 1 to 3 layers, one with Magenta's attention wrapper) and an nn-train checkpoint.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#include "nn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct seed {
    const char *file;
    int input, classes, layers, units[3];
    nn_dtype kernel_dtype, bias_dtype;
    double forget_bias; /* < -1000: leave it out (the kind's default) */
    const char *encoder; /* a string hyperparameter, or NULL */
    int attn_length;     /* > 0: the attention wrapper's tensors on the first cell */
} seed;

static const seed SEEDS[] = {
    {"tiny.nnm", 1, 1, 1, {1}, NN_F32, NN_F32, -2000, NULL},
    {"melody.nnm", 5, 7, 2, {8, 6}, NN_F16, NN_F32, 1.0, "melody_one_hot"},
    {"drums.nnm", 9, 12, 3, {4, 17, 3}, NN_F32, NN_F16, 0.0, "drums"},
    {"wide.nnm", 3, 33, 1, {16}, NN_F16, NN_F16, 0.5, NULL},
    {"attention.nnm", 6, 5, 2, {4, 3}, NN_F16, NN_F32, 1.0, "attention_rnn", 3},
};

/* The attention wrapper's tensors (nn/FORMAT.md) for input I and units U. */
static nn_status add_attention(nn_writer *w, const seed *s, unsigned *state);

/* A fixed-seed sequence of small weights, so the corpus is the same on every run. */
static float next_weight(unsigned *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / 16777216.0f - 0.5f;
}

static nn_status add(nn_writer *w, const char *name, nn_dtype dtype, int rows, int cols, unsigned *state)
{
    int dims[2] = {rows, cols}, ndim = cols ? 2 : 1;
    size_t n = (size_t)rows * (size_t)(cols ? cols : 1);
    float *values = malloc(n * sizeof *values);
    if (!values)
        return NN_ERR_MEMORY;
    for (size_t i = 0; i < n; i++)
        values[i] = next_weight(state);
    nn_status st = nn_writer_add(w, name, dtype, ndim, dims, values);
    free(values);
    return st;
}

static nn_status write_seed(const seed *s, const char *dir, char *message)
{
    nn_writer *w = NULL;
    unsigned state = 12345u;
    char name[64], path[4096];
    nn_status st = nn_writer_new(NN_KIND_EVENT_RNN, &w);
    if (st == NN_OK) st = nn_writer_set_int(w, "input_size", s->input);
    if (st == NN_OK) st = nn_writer_set_int(w, "num_classes", s->classes);
    if (st == NN_OK) st = nn_writer_set_int(w, "num_layers", s->layers);
    if (st == NN_OK && s->forget_bias > -1000) st = nn_writer_set_float(w, "forget_bias", s->forget_bias);
    if (st == NN_OK && s->encoder) st = nn_writer_set_string(w, "encoder", s->encoder);
    if (st == NN_OK && s->attn_length) st = nn_writer_set_int(w, "attn_length", s->attn_length);
    if (st == NN_OK && s->attn_length) st = add_attention(w, s, &state);
    int in = s->input;
    for (int k = 0; k < s->layers && st == NN_OK; k++) {
        snprintf(name, sizeof name, "rnn/cell_%d/kernel", k);
        st = add(w, name, s->kernel_dtype, in + s->units[k], 4 * s->units[k], &state);
        snprintf(name, sizeof name, "rnn/cell_%d/bias", k);
        if (st == NN_OK) st = add(w, name, s->bias_dtype, 4 * s->units[k], 0, &state);
        in = s->units[k];
    }
    if (st == NN_OK) st = add(w, "output/kernel", s->kernel_dtype, in, s->classes, &state);
    if (st == NN_OK) st = add(w, "output/bias", s->bias_dtype, s->classes, 0, &state);
    if (st == NN_OK) {
        snprintf(path, sizeof path, "%s/%s", dir, s->file);
        st = nn_writer_save(w, path, message);
    } else
        snprintf(message, NN_MESSAGE_SIZE, "%s: building failed: %s", s->file, nn_status_text(st));
    nn_writer_free(w);
    return st;
}

static nn_status add_attention(nn_writer *w, const seed *s, unsigned *state)
{
    int I = s->input, U = s->units[0];
    struct { const char *name; int rows, cols; } t[] = {
        {"input_kernel", I + U, I}, {"input_bias", I, 0}, {"attn_w", U, U}, {"attn_v", U, 0},
        {"query_kernel", 2 * U, U}, {"query_bias", U, 0}, {"output_kernel", 2 * U, U}, {"output_bias", U, 0},
    };
    nn_status st = NN_OK;
    char name[64];
    for (size_t i = 0; i < sizeof t / sizeof *t && st == NN_OK; i++) {
        snprintf(name, sizeof name, "rnn/cell_0/attention/%s", t[i].name);
        st = add(w, name, t[i].cols ? s->kernel_dtype : NN_F32, t[i].rows, t[i].cols, state);
    }
    return st;
}

/* An nn-train checkpoint in miniature: a few f32 tensors and the counters of a run. */
static nn_status write_checkpoint(const char *dir, char *message)
{
    nn_writer *w = NULL;
    unsigned state = 777u;
    char path[4096];
    nn_status st = nn_writer_new(NN_KIND_TRAIN_CHECKPOINT, &w);
    if (st == NN_OK) st = nn_writer_set_string(w, "config", "basic_rnn");
    if (st == NN_OK) st = nn_writer_set_int(w, "step", 42);
    if (st == NN_OK) st = nn_writer_set_float(w, "best_eval", 1.25);
    if (st == NN_OK) st = add(w, "output/kernel", NN_F32, 3, 4, &state);
    if (st == NN_OK) st = add(w, "adam_m/output/kernel", NN_F32, 3, 4, &state);
    if (st == NN_OK) st = add(w, "history", NN_F32, 2, 10, &state);
    snprintf(path, sizeof path, "%s/checkpoint.nnm", dir);
    if (st == NN_OK)
        st = nn_writer_save(w, path, message);
    nn_writer_free(w);
    return st;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
        return 2;
    }
    if (mkdir(argv[1], 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    char message[NN_MESSAGE_SIZE];
    int written = 0;
    for (size_t i = 0; i < sizeof SEEDS / sizeof *SEEDS; i++) {
        if (write_seed(&SEEDS[i], argv[1], message) != NN_OK) {
            fprintf(stderr, "%s\n", message);
            return 1;
        }
        written++;
    }
    if (write_checkpoint(argv[1], message) != NN_OK) {
        fprintf(stderr, "%s\n", message);
        return 1;
    }
    written++;
    printf("seed_corpus: wrote %d model files into %s\n", written, argv[1]);
    return 0;
}
