/* event_rnn.c — the model kind of Magenta's events RNN (Melody, Drums, Improv and Performance
 * RNN): an input vector (usually one-hot), a stack of TensorFlow LSTM cells, a dense layer to
 * logits over the event classes.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Hyperparameters: input_size, num_classes, num_layers (ints); forget_bias (float, default 1.0,
 * as BasicLSTMCell). Tensors: rnn/cell_K/kernel [in_K + units_K, 4 units_K] and
 * rnn/cell_K/bias [4 units_K] for K = 0 .. num_layers-1, with in_0 = input_size and
 * in_K = units_(K-1); output/kernel [units_last, num_classes], output/bias [num_classes].
 */
#include "nn_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LAYERS 8
#define MAX_UNITS 8192
#define MAX_SIZE 65536

typedef struct event_rnn {
    int input_size, classes, layers, max_units;
    nn_matrix kernel[MAX_LAYERS], output;
    nn_lstm_cell cell[MAX_LAYERS];
    float *output_bias;
    void *block; /* every weight, in one allocation */
} event_rnn;

struct nn_rnn {
    const event_rnn *net;
    float *h[MAX_LAYERS], *c[MAX_LAYERS], *work, *logits;
    void *block; /* every buffer, in one allocation */
};

static void event_rnn_free(void *p)
{
    event_rnn *net = p;
    if (!net)
        return;
    nn_aligned_free(net->block);
    free(net);
}

static size_t floats_bytes(size_t n) { return (n * sizeof(float) + NN_ALIGN - 1) / NN_ALIGN * NN_ALIGN; }

static nn_status required_int(const nn_model *m, const char *file, const char *name, int lo, int hi, int *out,
                              char *message)
{
    const nn_hparam *h = nn_model_find_hparam(m, name);
    if (!h)
        return nn_fail(message, NN_ERR_MISSING, file, "missing integer hyperparameter '%s'", name);
    if (h->type != NN_HPARAM_INT)
        return nn_fail(message, NN_ERR_MALFORMED, file, "hyperparameter '%s' must be an integer", name);
    if (h->int_value < lo || h->int_value > hi)
        return nn_fail(message, NN_ERR_MALFORMED, file, "hyperparameter '%s' is %lld, allowed %d to %d", name,
                       (long long)h->int_value, lo, hi);
    *out = (int)h->int_value;
    return NN_OK;
}

nn_status nn_event_rnn_build(nn_model *m, const char *file, char *message)
{
    event_rnn *net = calloc(1, sizeof *net);
    if (!net)
        return nn_fail(message, NN_ERR_MEMORY, file, "out of memory");
    m->kind_data = net;
    m->kind_free = event_rnn_free;
    nn_status st;
    if ((st = required_int(m, file, "input_size", 1, MAX_SIZE, &net->input_size, message)) ||
        (st = required_int(m, file, "num_classes", 1, MAX_SIZE, &net->classes, message)) ||
        (st = required_int(m, file, "num_layers", 1, MAX_LAYERS, &net->layers, message)))
        return st;
    /* Absent means 1.0 (BasicLSTMCell); present but not a float is an error, never a silent 1.0. */
    const nn_hparam *fb = nn_model_find_hparam(m, "forget_bias");
    if (fb && fb->type != NN_HPARAM_FLOAT)
        return nn_fail(message, NN_ERR_MALFORMED, file, "hyperparameter 'forget_bias' must be a float");
    double forget_bias = fb ? fb->float_value : 1.0;
    if (forget_bias < -100.0 || forget_bias > 100.0)
        return nn_fail(message, NN_ERR_MALFORMED, file, "hyperparameter 'forget_bias' is %g", forget_bias);

    /* First pass: check every shape and size the single weight block. */
    const nn_tensor *kernel[MAX_LAYERS], *bias[MAX_LAYERS], *out_kernel, *out_bias;
    int units[MAX_LAYERS], in = net->input_size;
    size_t bytes = 0;
    char name[64];
    for (int k = 0; k < net->layers; k++) {
        snprintf(name, sizeof name, "rnn/cell_%d/bias", k);
        bias[k] = nn_model_find(m, name);
        if (!bias[k])
            return nn_fail(message, NN_ERR_MISSING, file, "missing tensor '%s'", name);
        if (bias[k]->ndim != 1 || bias[k]->dims[0] % 4 != 0 || bias[k]->dims[0] / 4 > MAX_UNITS)
            return nn_fail(message, NN_ERR_SHAPE, file, "tensor '%s' must be [4 * units] with units up to %d", name,
                           MAX_UNITS);
        units[k] = bias[k]->dims[0] / 4;
        snprintf(name, sizeof name, "rnn/cell_%d/kernel", k);
        if ((st = nn_model_expect(m, file, name, 2, (int[]){in + units[k], 4 * units[k]}, &kernel[k], message)))
            return st;
        bytes += nn_matrix_packed_bytes(in + units[k], 4 * units[k], kernel[k]->dtype) + floats_bytes(4 * (size_t)units[k]);
        net->max_units = units[k] > net->max_units ? units[k] : net->max_units;
        in = units[k];
    }
    if ((st = nn_model_expect(m, file, "output/kernel", 2, (int[]){in, net->classes}, &out_kernel, message)) ||
        (st = nn_model_expect(m, file, "output/bias", 1, (int[]){net->classes}, &out_bias, message)))
        return st;
    bytes += nn_matrix_packed_bytes(in, net->classes, out_kernel->dtype) + floats_bytes((size_t)net->classes);

    unsigned char *block = nn_aligned_alloc(bytes);
    if (!block)
        return nn_fail(message, NN_ERR_MEMORY, file, "out of memory for %zu bytes of weights", bytes);
    net->block = block;

    /* Second pass: pack. */
    in = net->input_size;
    for (int k = 0; k < net->layers; k++) {
        nn_matrix *w = &net->kernel[k];
        nn_matrix_init(w, in + units[k], 4 * units[k], kernel[k]->dtype, block);
        nn_tensor_pack(kernel[k], w);
        block += nn_matrix_packed_bytes(w->rows, w->cols, w->dtype);
        float *b = (float *)(void *)block;
        nn_tensor_read_f32(bias[k], b);
        block += floats_bytes(4 * (size_t)units[k]);
        net->cell[k] = (nn_lstm_cell){w, b, in, units[k], (float)forget_bias};
        in = units[k];
    }
    nn_matrix_init(&net->output, in, net->classes, out_kernel->dtype, block);
    nn_tensor_pack(out_kernel, &net->output);
    block += nn_matrix_packed_bytes(in, net->classes, out_kernel->dtype);
    net->output_bias = (float *)(void *)block;
    nn_tensor_read_f32(out_bias, net->output_bias);

    m->weight_bytes = bytes;
    size_t state = 0;
    for (int k = 0; k < net->layers; k++)
        state += 2 * floats_bytes((size_t)units[k]);
    m->runner_bytes = state + floats_bytes(4 * (size_t)net->max_units) + floats_bytes((size_t)net->classes) + sizeof(nn_rnn);
    return NN_OK;
}

nn_status nn_rnn_new(const nn_model *m, nn_rnn **out, char *message)
{
    if (message)
        message[0] = 0;
    if (!out || !m)
        return nn_fail(message, NN_ERR_ARGUMENT, "runner", "no model");
    *out = NULL;
    if (m->kind != NN_KIND_EVENT_RNN)
        return nn_fail(message, NN_ERR_KIND, "runner", "model kind '%s' is not an event RNN", nn_kind_name(m->kind));
    const event_rnn *net = m->kind_data;
    nn_rnn *r = calloc(1, sizeof *r);
    unsigned char *block = nn_aligned_alloc(m->runner_bytes);
    if (!r || !block) {
        free(r);
        nn_aligned_free(block);
        return nn_fail(message, NN_ERR_MEMORY, "runner", "out of memory");
    }
    r->net = net;
    r->block = block;
    for (int k = 0; k < net->layers; k++) {
        r->h[k] = (float *)(void *)block;
        block += floats_bytes((size_t)net->cell[k].units);
        r->c[k] = (float *)(void *)block;
        block += floats_bytes((size_t)net->cell[k].units);
    }
    r->work = (float *)(void *)block;
    block += floats_bytes(4 * (size_t)net->max_units);
    r->logits = (float *)(void *)block;
    nn_rnn_reset(r);
    *out = r;
    return NN_OK;
}

void nn_rnn_free(nn_rnn *r)
{
    if (!r)
        return;
    nn_aligned_free(r->block);
    free(r);
}

void nn_rnn_reset(nn_rnn *r)
{
    for (int k = 0; k < r->net->layers; k++) {
        memset(r->h[k], 0, (size_t)r->net->cell[k].units * sizeof(float));
        memset(r->c[k], 0, (size_t)r->net->cell[k].units * sizeof(float));
    }
}

int nn_rnn_input_size(const nn_rnn *r) { return r->net->input_size; }
int nn_rnn_classes(const nn_rnn *r) { return r->net->classes; }

static const float *upper_layers_and_output(nn_rnn *r)
{
    const event_rnn *net = r->net;
    for (int k = 1; k < net->layers; k++)
        nn_lstm_step(&net->cell[k], r->h[k - 1], r->h[k], r->c[k], r->work);
    nn_dense(&net->output, net->output_bias, r->h[net->layers - 1], r->logits);
    return r->logits;
}

const float *nn_rnn_step(nn_rnn *r, const float *input)
{
    nn_lstm_step(&r->net->cell[0], input, r->h[0], r->c[0], r->work);
    return upper_layers_and_output(r);
}

const float *nn_rnn_step_class(nn_rnn *r, int index)
{
    nn_lstm_step_onehot(&r->net->cell[0], index, r->h[0], r->c[0], r->work);
    return upper_layers_and_output(r);
}
