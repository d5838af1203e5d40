/* event_rnn.c — the model kind of Magenta's events RNN (Melody, Drums, Improv and Performance
 * RNN): an input vector (usually one-hot), a stack of TensorFlow LSTM cells, a dense layer to
 * logits over the event classes.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Hyperparameters: input_size, num_classes, num_layers (ints); forget_bias (float, default 1.0,
 * as BasicLSTMCell); attn_length (int, default 0). Tensors: rnn/cell_K/kernel [in_K + units_K,
 * 4 units_K] and rnn/cell_K/bias [4 units_K] for K = 0 .. num_layers-1, with in_0 = input_size and
 * in_K = units_(K-1); output/kernel [units_last, num_classes], output/bias [num_classes].
 * Optional input projection (Piano Genie's decoder): input/kernel [input_size, units_0] and
 * input/bias [units_0]; the first cell then reads x · input/kernel + input/bias (linear), so
 * in_0 = units_0. It runs as part of layer 0.
 *
 * attn_length > 0 wraps the first cell in Magenta's AttentionCellWrapper (magenta/contrib/rnn.py,
 * attn_size = attn_vec_size = units_0 = U, L = attn_length), whose state adds the attention
 * vector `attns` [U] and the last L outputs `attn_states` [L, U]. One step:
 *   x'    = [x, attns] · input_kernel + input_bias          (back to input_size values)
 *   c, h  = the LSTM cell on x'
 *   y     = [c, h] · query_kernel + query_bias              (the query is the flattened (c, h))
 *   s[l]  = Σ_k attn_v[k] tanh(attn_states[l] · attn_w + y)[k],  a = softmax(s)
 *   attns = Σ_l a[l] attn_states[l]
 *   out   = [h, attns] · output_kernel + output_bias        (the layer's output)
 * and out replaces the oldest of attn_states. The states' projections through attn_w (the
 * wrapper's 1x1 convolution) are kept beside them in the same ring, so a step projects only the
 * new output: one U x U product instead of L.
 *
 * attn_cells "stack" puts the same wrapper around the whole stack instead (Magenta before May
 * 2017, the Magenta.js checkpoints): U = units_last, x' feeds cell 0, every cell runs, the query
 * is the stack's whole new state [c_0, h_0, c_1, h_1, ...] (MultiRNNCell's state flattened), h
 * in `out` is the top cell's, and out is what the output layer reads. Its tensors are named
 * rnn/attention/... (FORMAT.md).
 */
#include "nn_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LAYERS 8
#define MAX_UNITS 8192
#define MAX_SIZE 65536
#define MAX_ATTN_LENGTH 1024

/* The attention wrapper of layer 0, or of the whole stack; kernels packed, the rest f32. */
typedef struct attention {
    int length, units; /* L; U, the wrapped cell's output: units_0, or units_last for the stack */
    bool stack;        /* attn_cells "stack": around every layer, the query reads them all */
    nn_matrix input, w, query, output; /* [in + U, in], [U, U], [2U or Σ 2 units_k, U], [2U, U] */
    float *input_bias, *v, *query_bias, *output_bias;
} attention;

typedef struct event_rnn {
    int input_size, classes, layers, max_units;
    int first_in;                 /* the first cell's input: input_size, or units_0 when projected */
    nn_matrix projection;         /* input/kernel [input_size, units_0]; rows 0: none */
    float *projection_bias;       /* input/bias [units_0] */
    nn_matrix kernel[MAX_LAYERS], output;
    nn_lstm_cell cell[MAX_LAYERS];
    float *output_bias;
    attention attn; /* attn.length 0: none */
    void *block;    /* every weight, in one allocation */
} event_rnn;

struct nn_rnn {
    const event_rnn *net;
    float *h[MAX_LAYERS], *c[MAX_LAYERS], *work, *logits;
    /* Attention: the rings of states [L, U] and their projections through attn_w [L, U], the
     * attention vector [U], and scratch for x' [input_size], y [U], the tanh of the window's
     * scores [L, U] and the scores [L]. */
    float *attn_states, *attn_features, *attns, *attn_x, *attn_y, *attn_tanh, *attn_scores;
    float *projected; /* the input projection's output [units_0], when the model has one */
    int attn_next; /* the ring slot the next output overwrites: the oldest state */
    /* A step spread over calls (nn_rnn_step_start / _continue): the next layer to compute, -1
     * none; layer 0's input (vector, or NULL and a class); the output of the layer below. */
    int step_layer, step_index;
    const float *step_input, *step_below;
    void *block;   /* every buffer, in one allocation */
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

/* The attention tensors (names and shapes in the comment at the top). */
typedef struct attention_tensors {
    const nn_tensor *input, *input_bias, *w, *v, *query, *query_bias, *output, *output_bias;
} attention_tensors;

static nn_status expect_attention(const nn_model *m, const char *file, const char *prefix, int in, int units,
                                  int query_rows, attention_tensors *t, size_t *bytes, char *message)
{
    nn_status st;
    char n[8][64];
    static const char *const leaf[8] = {"input_kernel", "input_bias", "attn_w", "attn_v",
                                        "query_kernel", "query_bias", "output_kernel", "output_bias"};
    for (int i = 0; i < 8; i++)
        snprintf(n[i], sizeof n[i], "%s%s", prefix, leaf[i]);
    if ((st = nn_model_expect(m, file, n[0], 2, (int[]){in + units, in}, &t->input, message)) ||
        (st = nn_model_expect(m, file, n[1], 1, (int[]){in}, &t->input_bias, message)) ||
        (st = nn_model_expect(m, file, n[2], 2, (int[]){units, units}, &t->w, message)) ||
        (st = nn_model_expect(m, file, n[3], 1, (int[]){units}, &t->v, message)) ||
        (st = nn_model_expect(m, file, n[4], 2, (int[]){query_rows, units}, &t->query, message)) ||
        (st = nn_model_expect(m, file, n[5], 1, (int[]){units}, &t->query_bias, message)) ||
        (st = nn_model_expect(m, file, n[6], 2, (int[]){2 * units, units}, &t->output, message)) ||
        (st = nn_model_expect(m, file, n[7], 1, (int[]){units}, &t->output_bias, message)))
        return st;
    *bytes += nn_matrix_packed_bytes(in + units, in, t->input->dtype) + nn_matrix_packed_bytes(units, units, t->w->dtype) +
              nn_matrix_packed_bytes(query_rows, units, t->query->dtype) +
              nn_matrix_packed_bytes(2 * units, units, t->output->dtype) + floats_bytes((size_t)in) +
              3 * floats_bytes((size_t)units);
    return NN_OK;
}

/* Pack one matrix or read one vector into the weight block and step past it. */
static void place_matrix(const nn_tensor *t, nn_matrix *w, unsigned char **block)
{
    nn_matrix_init(w, t->dims[0], t->dims[1], t->dtype, *block);
    nn_tensor_pack(t, w);
    *block += nn_matrix_packed_bytes(w->rows, w->cols, w->dtype);
}

static float *place_vector(const nn_tensor *t, unsigned char **block)
{
    float *v = (float *)(void *)*block;
    nn_tensor_read_f32(t, v);
    *block += floats_bytes(t->count);
    return v;
}

/* The optional input projection (Piano Genie's `rnn_input` dense layer): both tensors or
 * neither; the kernel's columns are the first cell's units, which cell_0's shape then checks. */
static nn_status expect_projection(const nn_model *m, const char *file, int input_size, const nn_tensor **kernel,
                                   const nn_tensor **bias, size_t *bytes, char *message)
{
    const nn_tensor *k = nn_model_find(m, "input/kernel"), *b = nn_model_find(m, "input/bias");
    if (!k && !b)
        return NN_OK;
    if (!k || !b)
        return nn_fail(message, NN_ERR_MISSING, file, "tensor '%s' without '%s': the input projection needs both",
                       k ? "input/kernel" : "input/bias", k ? "input/bias" : "input/kernel");
    if (k->ndim != 2 || k->dims[0] != input_size || k->dims[1] > MAX_UNITS)
        return nn_fail(message, NN_ERR_SHAPE, file, "tensor 'input/kernel' must be [input_size %d, units_0]",
                       input_size);
    nn_status st = nn_model_expect(m, file, "input/bias", 1, (int[]){k->dims[1]}, bias, message);
    if (st)
        return st;
    *kernel = k;
    *bytes += nn_matrix_packed_bytes(k->dims[0], k->dims[1], k->dtype) + floats_bytes((size_t)k->dims[1]);
    return NN_OK;
}

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
    /* Absent means no attention, as Magenta's attn_length = 0. */
    if (nn_model_find_hparam(m, "attn_length") &&
        (st = required_int(m, file, "attn_length", 0, MAX_ATTN_LENGTH, &net->attn.length, message)))
        return st;
    /* Where the wrapper sits: absent or "first" around cell 0, "stack" around the whole stack. */
    const nn_hparam *cells = nn_model_find_hparam(m, "attn_cells");
    if (cells && (cells->type != NN_HPARAM_STRING || (strcmp(cells->string_value, "first") &&
                                                      strcmp(cells->string_value, "stack"))))
        return nn_fail(message, NN_ERR_MALFORMED, file,
                       "hyperparameter 'attn_cells' must be the string \"first\" or \"stack\"");
    net->attn.stack = cells && !strcmp(cells->string_value, "stack");
    if (net->attn.stack && !net->attn.length)
        return nn_fail(message, NN_ERR_MALFORMED, file,
                       "hyperparameter 'attn_cells' is \"stack\" without 'attn_length' above 0");

    /* First pass: check every shape and size the single weight block. */
    const nn_tensor *kernel[MAX_LAYERS], *bias[MAX_LAYERS], *out_kernel, *out_bias, *proj = NULL, *proj_bias = NULL;
    int units[MAX_LAYERS], in = net->input_size, state_size = 0;
    size_t bytes = 0;
    char name[64];
    if ((st = expect_projection(m, file, net->input_size, &proj, &proj_bias, &bytes, message)))
        return st;
    if (proj)
        in = proj->dims[1];
    net->first_in = in;
    for (int k = 0; k < net->layers; k++) {
        snprintf(name, sizeof name, "rnn/cell_%d/bias", k);
        bias[k] = nn_model_find(m, name);
        if (!bias[k])
            return nn_fail(message, NN_ERR_MISSING, file, "missing tensor '%s'", name);
        if (bias[k]->ndim != 1 || bias[k]->dims[0] % 4 != 0 || bias[k]->dims[0] / 4 > MAX_UNITS)
            return nn_fail(message, NN_ERR_SHAPE, file, "tensor '%s' must be [4 * units] with units up to %d", name,
                           MAX_UNITS);
        units[k] = bias[k]->dims[0] / 4;
        if (k == 0 && proj && units[0] != in)
            return nn_fail(message, NN_ERR_SHAPE, file, "tensor 'input/kernel' has %d columns, cell 0 has %d units", in,
                           units[0]);
        snprintf(name, sizeof name, "rnn/cell_%d/kernel", k);
        if ((st = nn_model_expect(m, file, name, 2, (int[]){in + units[k], 4 * units[k]}, &kernel[k], message)))
            return st;
        bytes += nn_matrix_packed_bytes(in + units[k], 4 * units[k], kernel[k]->dtype) + floats_bytes(4 * (size_t)units[k]);
        net->max_units = units[k] > net->max_units ? units[k] : net->max_units;
        state_size += 2 * units[k];
        in = units[k];
    }
    attention_tensors at = {0};
    net->attn.units = net->attn.stack ? in : units[0];
    if (net->attn.length &&
        (st = net->attn.stack
                  ? expect_attention(m, file, "rnn/attention/", net->first_in, in, state_size, &at, &bytes, message)
                  : expect_attention(m, file, "rnn/cell_0/attention/", net->first_in, units[0], 2 * units[0], &at,
                                     &bytes, message)))
        return st;
    if ((st = nn_model_expect(m, file, "output/kernel", 2, (int[]){in, net->classes}, &out_kernel, message)) ||
        (st = nn_model_expect(m, file, "output/bias", 1, (int[]){net->classes}, &out_bias, message)))
        return st;
    bytes += nn_matrix_packed_bytes(in, net->classes, out_kernel->dtype) + floats_bytes((size_t)net->classes);

    unsigned char *block = nn_aligned_alloc(bytes);
    if (!block)
        return nn_fail(message, NN_ERR_MEMORY, file, "out of memory for %zu bytes of weights", bytes);
    net->block = block;

    /* Second pass: pack. */
    in = net->first_in;
    if (proj) {
        place_matrix(proj, &net->projection, &block);
        net->projection_bias = place_vector(proj_bias, &block);
    }
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
    place_matrix(out_kernel, &net->output, &block);
    net->output_bias = place_vector(out_bias, &block);
    if (net->attn.length) {
        attention *a = &net->attn;
        place_matrix(at.input, &a->input, &block);
        place_matrix(at.w, &a->w, &block);
        place_matrix(at.query, &a->query, &block);
        place_matrix(at.output, &a->output, &block);
        a->input_bias = place_vector(at.input_bias, &block);
        a->v = place_vector(at.v, &block);
        a->query_bias = place_vector(at.query_bias, &block);
        a->output_bias = place_vector(at.output_bias, &block);
    }

    m->weight_bytes = bytes;
    size_t state = 0;
    for (int k = 0; k < net->layers; k++)
        state += 2 * floats_bytes((size_t)units[k]);
    if (net->attn.length) /* the two rings and the tanh rows, attns, y, x', the scores */
        state += 3 * floats_bytes((size_t)net->attn.length * net->attn.units) +
                 2 * floats_bytes((size_t)net->attn.units) + floats_bytes((size_t)net->first_in) +
                 floats_bytes((size_t)net->attn.length);
    if (proj)
        state += floats_bytes((size_t)net->first_in);
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
    block += floats_bytes((size_t)net->classes);
    if (net->attn.length) {
        size_t u = (size_t)net->attn.units, l = (size_t)net->attn.length;
        r->attn_states = (float *)(void *)block;
        block += floats_bytes(l * u);
        r->attn_features = (float *)(void *)block;
        block += floats_bytes(l * u);
        r->attns = (float *)(void *)block;
        block += floats_bytes(u);
        r->attn_y = (float *)(void *)block;
        block += floats_bytes(u);
        r->attn_tanh = (float *)(void *)block;
        block += floats_bytes(l * u);
        r->attn_x = (float *)(void *)block;
        block += floats_bytes((size_t)net->first_in);
        r->attn_scores = (float *)(void *)block;
        block += floats_bytes(l);
    }
    if (net->projection.rows)
        r->projected = (float *)(void *)block;
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
    r->step_layer = -1; /* a started step is abandoned */
    for (int k = 0; k < r->net->layers; k++) {
        memset(r->h[k], 0, (size_t)r->net->cell[k].units * sizeof(float));
        memset(r->c[k], 0, (size_t)r->net->cell[k].units * sizeof(float));
    }
    if (r->net->attn.length) {
        size_t u = (size_t)r->net->attn.units, l = (size_t)r->net->attn.length;
        memset(r->attn_states, 0, l * u * sizeof(float));
        memset(r->attn_features, 0, l * u * sizeof(float)); /* attn_w of zero states: no bias */
        memset(r->attns, 0, u * sizeof(float));
        r->attn_next = 0;
    }
}

int nn_rnn_input_size(const nn_rnn *r) { return r->net->input_size; }
int nn_rnn_classes(const nn_rnn *r) { return r->net->classes; }

/* The wrapper's input, x' = [x, attns] · input_kernel + input_bias, on an input vector or (input
 * NULL) one-hot at `index`: what the wrapped cell 0 reads. */
static const float *attention_input(nn_rnn *r, const float *input, int index)
{
    const event_rnn *net = r->net;
    const attention *at = &net->attn;
    const int in = net->first_in, U = at->units;
    memcpy(r->attn_x, at->input_bias, (size_t)in * sizeof(float));
    if (input)
        nn_active->gemv(&at->input, 0, in, input, r->attn_x);
    else if (index >= 0 && index < in)
        nn_active->add_row(&at->input, index, r->attn_x);
    nn_active->gemv(&at->input, in, U, r->attns, r->attn_x);
    return r->attn_x;
}

/* The rest of the wrapper once its cells have stepped: the query from the new state of layers
 * 0 .. `layers`-1 (c_0, h_0, c_1, h_1, ...: one layer for the first cell, all for the stack),
 * the attention over the window, and the output from the top wrapped cell's h. Returns the
 * output, which lives in the ring until L more steps have run. */
static const float *attention_output(nn_rnn *r, int layers)
{
    const event_rnn *net = r->net;
    const attention *at = &net->attn;
    const int U = at->units, L = at->length;

    /* y = [c_0, h_0, ...] · query_kernel + query_bias */
    memcpy(r->attn_y, at->query_bias, (size_t)U * sizeof(float));
    for (int k = 0, row = 0; k < layers; k++) {
        const int units = net->cell[k].units;
        nn_active->gemv(&at->query, row, units, r->c[k], r->attn_y);
        nn_active->gemv(&at->query, row + units, units, r->h[k], r->attn_y);
        row += 2 * units;
    }

    /* Scores and weighted sum over the window, newest state first (the training pass's order). */
    float *th = r->attn_tanh;
    for (int l = 0; l < L; l++) {
        const float *feature = r->attn_features + (size_t)((r->attn_next + L - 1 - l) % L) * U;
        for (int k = 0; k < U; k++)
            th[(size_t)l * U + k] = feature[k] + r->attn_y[k];
    }
    nn_active->tanh(th, th, L * U);
    for (int l = 0; l < L; l++) {
        float s = 0.0f;
        for (int k = 0; k < U; k++)
            s += at->v[k] * th[(size_t)l * U + k];
        r->attn_scores[l] = s;
    }
    nn_active->softmax(r->attn_scores, r->attn_scores, L, 1.0f);
    memset(r->attns, 0, (size_t)U * sizeof(float));
    for (int l = 0; l < L; l++) {
        const float *state = r->attn_states + (size_t)((r->attn_next + L - 1 - l) % L) * U;
        for (int k = 0; k < U; k++)
            r->attns[k] += r->attn_scores[l] * state[k];
    }

    /* out = [h_top, attns] · output_kernel + output_bias, written over the oldest state. */
    float *out = r->attn_states + (size_t)r->attn_next * U, *feature = r->attn_features + (size_t)r->attn_next * U;
    memcpy(out, at->output_bias, (size_t)U * sizeof(float));
    nn_active->gemv(&at->output, 0, U, r->h[layers - 1], out);
    nn_active->gemv(&at->output, U, U, r->attns, out);
    memset(feature, 0, (size_t)U * sizeof(float));
    nn_active->gemv(&at->w, 0, U, out, feature);
    r->attn_next = (r->attn_next + 1) % L;
    return out;
}

/* The input projection, x' = x · input/kernel + input/bias (for a one-hot x, with input NULL,
 * the kernel's row `index`; out of range: the bias alone), into r->projected. Without a
 * projection the input is passed on unchanged. Part of layer 0's work. */
static const float *project_input(nn_rnn *r, const float *input, int index)
{
    const event_rnn *net = r->net;
    if (!net->projection.rows)
        return input;
    memcpy(r->projected, net->projection_bias, (size_t)net->first_in * sizeof(float));
    if (input)
        nn_active->gemv(&net->projection, 0, net->input_size, input, r->projected);
    else if (index >= 0 && index < net->input_size)
        nn_active->add_row(&net->projection, index, r->projected);
    return r->projected;
}

/* ---- One step, whole or layer by layer ---------------------------------------------------------
 * nn_rnn_step, nn_rnn_step_class and nn_rnn_step_continue make the same calls in the same order,
 * cut at the layers, so the logits are bit-identical. Layer 0 includes the input projection and
 * the wrapper's input (either placement) and, for the first-cell placement, the rest of the
 * wrapper; the output layer goes with the last LSTM layer, and so does the rest of the stack
 * placement's wrapper (its query needs every layer's new state). */

/* Layer 0 on an input vector or (input NULL) one-hot at `index`; returns what layer 1 (or the
 * last layer's end, for a single layer) reads. */
static const float *first_layer(nn_rnn *r, const float *input, int index)
{
    const event_rnn *net = r->net;
    const float *x = input || net->projection.rows ? project_input(r, input, index) : NULL;
    if (net->attn.length) {
        nn_lstm_step(&net->cell[0], attention_input(r, x, x ? -1 : index), r->h[0], r->c[0], r->work);
        return net->attn.stack ? r->h[0] : attention_output(r, 1);
    }
    if (x)
        nn_lstm_step(&net->cell[0], x, r->h[0], r->c[0], r->work);
    else
        nn_lstm_step_onehot(&net->cell[0], index, r->h[0], r->c[0], r->work);
    return r->h[0];
}

/* After the last LSTM layer, whose output is `below`: the stack's wrapper, the output layer. */
static const float *last_layer_end(nn_rnn *r, const float *below)
{
    const event_rnn *net = r->net;
    if (net->attn.stack)
        below = attention_output(r, net->layers);
    nn_dense(&net->output, net->output_bias, below, r->logits);
    return r->logits;
}

static const float *whole_step(nn_rnn *r, const float *input, int index)
{
    const event_rnn *net = r->net;
    const float *below = first_layer(r, input, index);
    for (int k = 1; k < net->layers; k++) {
        nn_lstm_step(&net->cell[k], below, r->h[k], r->c[k], r->work);
        below = r->h[k];
    }
    return last_layer_end(r, below);
}

const float *nn_rnn_step(nn_rnn *r, const float *input) { return whole_step(r, input, -1); }

const float *nn_rnn_step_class(nn_rnn *r, int index) { return whole_step(r, NULL, index); }

void nn_rnn_step_start(nn_rnn *r, const float *input)
{
    r->step_layer = 0;
    r->step_input = input;
    r->step_index = -1;
}

void nn_rnn_step_start_class(nn_rnn *r, int index)
{
    r->step_layer = 0;
    r->step_input = NULL;
    r->step_index = index;
}

const float *nn_rnn_step_continue(nn_rnn *r, int layers)
{
    const event_rnn *net = r->net;
    for (int done = 0; r->step_layer >= 0 && done < (layers < 1 ? 1 : layers); done++) {
        int k = r->step_layer;
        if (k == 0) {
            r->step_below = first_layer(r, r->step_input, r->step_index);
            r->step_input = NULL;
        } else {
            nn_lstm_step(&net->cell[k], r->step_below, r->h[k], r->c[k], r->work);
            r->step_below = r->h[k];
        }
        if (++r->step_layer == net->layers) {
            r->step_layer = -1;
            return last_layer_end(r, r->step_below);
        }
    }
    return NULL;
}

int nn_rnn_num_layers(const nn_rnn *r) { return r->net->layers; }
