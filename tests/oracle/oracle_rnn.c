/* oracle_rnn.c — runs the engine's LSTM, GRU or event RNN over input sequences written by
 * test_rnn_oracle.py, and writes every step's outputs back for comparison against PyTorch.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Usage: oracle_rnn IN OUT. Prints the active kernel set ("kernels: avx2"); NN_SIMD in the
 * environment chooses it, and the driver fails if the engine did not take the one asked for.
 *
 * IN, every value little-endian: eleven 32-bit header fields
 *     magic "ORNN"; cell (1 LSTM, 2 GRU, 3 event RNN); input; units; layers; classes;
 *     steps; batch; dtype (0 f32, 1 f16: how the engine stores the weight matrices);
 *     flags (1 GRU reset_after, 2 GRU candidate hidden bias given, 4 one-hot inputs);
 *     forget_bias (f32)
 * then f32 arrays in TensorFlow's layout, row-major:
 *     LSTM:      kernel [input + units, 4 units] (i, j, f, o), bias [4 units]
 *     GRU:       gate_kernel [input + units, 2 units] (r, u), gate_bias [2 units],
 *                candidate_kernel [input + units, units], candidate_bias [units],
 *                candidate_hidden_bias [units] if flag 2
 *     event RNN: per layer k: kernel [in_k + units, 4 units], bias [4 units] (in_0 = input,
 *                in_k = units), then output kernel [units, classes], output bias [classes]
 * then the inputs, f32 [batch, steps, input]. Layers and classes are 1 and 0 for the cells.
 *
 * OUT: f32 [batch, steps, width], every sequence starting from a zero state: width is
 * 2 units for the LSTM (h then c after the step), units for the GRU (h), classes for the
 * event RNN (logits). With flag 4 each input row must be one-hot or all zero and goes through
 * the one-hot step (index -1 for all zero). The event RNN goes through a model file written
 * with nn_writer to OUT.nnm and loaded back; one runner serves every sequence, reset between.
 */
#include "nn.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CELL_LSTM = 1, CELL_GRU = 2, CELL_EVENT_RNN = 3 };
enum { FLAG_RESET_AFTER = 1, FLAG_HIDDEN_BIAS = 2, FLAG_ONEHOT = 4 };
#define HEADER_FIELDS 11

typedef struct oracle_case {
    int cell, input, units, layers, classes, steps, batch, flags;
    nn_dtype dtype;
    float forget_bias;
    const unsigned char *next; /* the arrays not yet read */
    size_t left;               /* bytes after `next` */
} oracle_case;

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The next n f32 values of the file, in a new buffer; NULL if the file is too short. */
static float *take_floats(oracle_case *oc, size_t n)
{
    if (n > oc->left / 4)
        return NULL;
    float *out = malloc(n * sizeof *out + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = get_u32(oc->next + 4 * i);
        memcpy(&out[i], &bits, sizeof bits);
    }
    oc->next += 4 * n;
    oc->left -= 4 * n;
    return out;
}

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *data = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)n + 1)) &&
            fread(data, 1, (size_t)n, f) != (size_t)n) {
            free(data);
            data = NULL;
        }
        *size = (size_t)n;
    }
    fclose(f);
    return data;
}

static int parse_header(const unsigned char *data, size_t size, oracle_case *oc)
{
    if (size < 4 * HEADER_FIELDS || memcmp(data, "ORNN", 4) != 0)
        return -1;
#define FIELD(k) (int)get_u32(data + 4 * (k))
    *oc = (oracle_case){.cell = FIELD(1), .input = FIELD(2), .units = FIELD(3), .layers = FIELD(4),
                        .classes = FIELD(5), .steps = FIELD(6), .batch = FIELD(7),
                        .dtype = FIELD(8) == 1 ? NN_F16 : NN_F32, .flags = FIELD(9),
                        .next = data + 4 * HEADER_FIELDS, .left = size - 4 * HEADER_FIELDS};
    bool dtype_ok = FIELD(8) == 0 || FIELD(8) == 1;
#undef FIELD
    uint32_t forget_bias = get_u32(data + 4 * 10);
    memcpy(&oc->forget_bias, &forget_bias, sizeof forget_bias);
    /* Bounds that keep every size below in range; the engine checks its own. */
    bool sizes_ok = oc->input > 0 && oc->input <= 65536 && oc->units > 0 && oc->units <= 8192 && oc->layers > 0 &&
                    oc->layers <= 8 && oc->classes >= 0 && oc->classes <= 65536 && oc->steps > 0 &&
                    oc->steps <= 100000 && oc->batch > 0 && oc->batch <= 100;
    bool cell_ok = oc->cell == CELL_LSTM || oc->cell == CELL_GRU || (oc->cell == CELL_EVENT_RNN && oc->classes > 0);
    return dtype_ok && sizes_ok && cell_ok ? 0 : -1;
}

/* With FLAG_ONEHOT: the index of the row's single 1, -1 for an all-zero row, -2 otherwise. */
static int onehot_index(const float *x, int n)
{
    int index = -1;
    for (int k = 0; k < n; k++) {
        if (x[k] == 0.0f)
            continue;
        if (x[k] != 1.0f || index >= 0)
            return -2;
        index = k;
    }
    return index;
}

/* A packed matrix from the next rows * cols floats of the file. */
static nn_matrix *take_matrix(oracle_case *oc, int rows, int cols)
{
    float *data = take_floats(oc, (size_t)rows * cols);
    nn_matrix *m = NULL;
    if (data && nn_matrix_new(rows, cols, oc->dtype, data, &m) != NN_OK)
        m = NULL;
    free(data);
    return m;
}

static int run_lstm(oracle_case *oc, const float *inputs, float *out)
{
    int in = oc->input, u = oc->units;
    nn_matrix *kernel = take_matrix(oc, in + u, 4 * u);
    float *bias = take_floats(oc, 4 * (size_t)u);
    nn_lstm_cell cell = {kernel, bias, in, u, oc->forget_bias};
    float *h = malloc(2 * (size_t)u * sizeof *h), *c = h ? h + u : NULL;
    float *work = kernel ? malloc(nn_lstm_work_size(&cell) * sizeof *work) : NULL;
    int status = kernel && bias && h && work ? 0 : -1;
    for (int b = 0; b < oc->batch && status == 0; b++) {
        memset(h, 0, 2 * (size_t)u * sizeof *h);
        for (int t = 0; t < oc->steps && status == 0; t++) {
            const float *x = inputs + ((size_t)b * oc->steps + t) * in;
            if (oc->flags & FLAG_ONEHOT) {
                int index = onehot_index(x, in);
                if (index < -1)
                    status = -1;
                nn_lstm_step_onehot(&cell, index, h, c, work);
            } else {
                nn_lstm_step(&cell, x, h, c, work);
            }
            memcpy(out + ((size_t)b * oc->steps + t) * 2 * u, h, 2 * (size_t)u * sizeof *h);
        }
    }
    nn_matrix_free(kernel);
    free(bias);
    free(h);
    free(work);
    return status;
}

static int run_gru(oracle_case *oc, const float *inputs, float *out)
{
    int in = oc->input, u = oc->units;
    nn_matrix *gate_kernel = take_matrix(oc, in + u, 2 * u);
    float *gate_bias = take_floats(oc, 2 * (size_t)u);
    nn_matrix *candidate_kernel = take_matrix(oc, in + u, u);
    float *candidate_bias = take_floats(oc, (size_t)u);
    float *hidden_bias = oc->flags & FLAG_HIDDEN_BIAS ? take_floats(oc, (size_t)u) : NULL;
    nn_gru_cell cell = {gate_kernel, gate_bias, candidate_kernel, candidate_bias, hidden_bias, in, u,
                        oc->flags & FLAG_RESET_AFTER ? 1 : 0};
    float *h = malloc((size_t)u * sizeof *h), *work = malloc(nn_gru_work_size(&cell) * sizeof *work);
    int status = gate_kernel && gate_bias && candidate_kernel && candidate_bias && h && work &&
                         (hidden_bias || !(oc->flags & FLAG_HIDDEN_BIAS)) && !(oc->flags & FLAG_ONEHOT)
                     ? 0
                     : -1;
    for (int b = 0; b < oc->batch && status == 0; b++) {
        memset(h, 0, (size_t)u * sizeof *h);
        for (int t = 0; t < oc->steps; t++) {
            nn_gru_step(&cell, inputs + ((size_t)b * oc->steps + t) * in, h, work);
            memcpy(out + ((size_t)b * oc->steps + t) * u, h, (size_t)u * sizeof *h);
        }
    }
    nn_matrix_free(gate_kernel);
    nn_matrix_free(candidate_kernel);
    free(gate_bias);
    free(candidate_bias);
    free(hidden_bias);
    free(h);
    free(work);
    return status;
}

/* Write the event RNN's model file: kernels as the case's dtype, biases always f32 (as the
 * cells take them), so the reference rounds the same tensors. */
static int write_event_rnn(oracle_case *oc, const char *path)
{
    nn_writer *w = NULL;
    if (nn_writer_new(NN_KIND_EVENT_RNN, &w) != NN_OK)
        return -1;
    nn_status st = nn_writer_set_int(w, "input_size", oc->input);
    if (!st)
        st = nn_writer_set_int(w, "num_classes", oc->classes);
    if (!st)
        st = nn_writer_set_int(w, "num_layers", oc->layers);
    if (!st)
        st = nn_writer_set_float(w, "forget_bias", oc->forget_bias);
    int u = oc->units, in = oc->input;
    char name[64];
    for (int k = 0; k <= oc->layers && !st; k++) {
        bool output = k == oc->layers;
        int rows = output ? u : in + u, cols = output ? oc->classes : 4 * u;
        float *kernel = take_floats(oc, (size_t)rows * cols), *bias = take_floats(oc, (size_t)cols);
        if (!kernel || !bias)
            st = NN_ERR_TRUNCATED;
        if (!st) {
            snprintf(name, sizeof name, output ? "output/kernel" : "rnn/cell_%d/kernel", k);
            st = nn_writer_add(w, name, oc->dtype, 2, (int[]){rows, cols}, kernel);
        }
        if (!st) {
            snprintf(name, sizeof name, output ? "output/bias" : "rnn/cell_%d/bias", k);
            st = nn_writer_add(w, name, NN_F32, 1, (int[]){cols}, bias);
        }
        free(kernel);
        free(bias);
        in = u;
    }
    char why[NN_MESSAGE_SIZE] = "";
    if (!st)
        st = nn_writer_save(w, path, why);
    nn_writer_free(w);
    if (st)
        fprintf(stderr, "oracle_rnn: cannot write %s: %s %s\n", path, nn_status_text(st), why);
    return st ? -1 : 0;
}

static int run_event_rnn(oracle_case *oc, const float *inputs, float *out, const char *model_path)
{
    char why[NN_MESSAGE_SIZE] = "";
    nn_model *model = NULL;
    nn_rnn *rnn = NULL;
    if (write_event_rnn(oc, model_path) || nn_model_load(model_path, &model, why) || nn_rnn_new(model, &rnn, why)) {
        if (why[0])
            fprintf(stderr, "oracle_rnn: %s\n", why);
        nn_model_free(model);
        return -1;
    }
    int status = nn_rnn_input_size(rnn) == oc->input && nn_rnn_classes(rnn) == oc->classes ? 0 : -1;
    for (int b = 0; b < oc->batch && status == 0; b++) {
        nn_rnn_reset(rnn); /* the same runner for every sequence: the reset must clear it all */
        for (int t = 0; t < oc->steps && status == 0; t++) {
            const float *x = inputs + ((size_t)b * oc->steps + t) * oc->input, *logits;
            if (oc->flags & FLAG_ONEHOT) {
                int index = onehot_index(x, oc->input);
                if (index < -1)
                    status = -1;
                logits = nn_rnn_step_class(rnn, index);
            } else {
                logits = nn_rnn_step(rnn, x);
            }
            memcpy(out + ((size_t)b * oc->steps + t) * oc->classes, logits, (size_t)oc->classes * sizeof *logits);
        }
    }
    nn_rnn_free(rnn);
    nn_model_free(model);
    return status;
}

static int write_floats(const char *path, const float *x, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int status = 0;
    for (size_t i = 0; i < n && status == 0; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        unsigned char le[4] = {(unsigned char)bits, (unsigned char)(bits >> 8), (unsigned char)(bits >> 16),
                               (unsigned char)(bits >> 24)};
        status = fwrite(le, 1, 4, f) == 4 ? 0 : -1;
    }
    return fclose(f) == 0 ? status : -1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: oracle_rnn IN OUT\n");
        return 2;
    }
    const char *wanted = getenv("NN_SIMD");
    if (wanted && *wanted && strcmp(wanted, "auto") && strcmp(wanted, nn_simd_active())) {
        fprintf(stderr, "oracle_rnn: NN_SIMD=%s asked for, but the engine runs '%s'\n", wanted, nn_simd_active());
        return 1;
    }
    printf("kernels: %s\n", nn_simd_active());

    size_t size = 0;
    unsigned char *data = read_file(argv[1], &size);
    oracle_case oc;
    if (!data || parse_header(data, size, &oc)) {
        fprintf(stderr, "oracle_rnn: %s: cannot read, or not a valid case file\n", argv[1]);
        free(data);
        return 1;
    }
    /* The inputs close the file: find them first, then the weights are read in order. */
    size_t input_count = (size_t)oc.batch * oc.steps * oc.input;
    size_t width = oc.cell == CELL_LSTM  ? 2 * (size_t)oc.units
                   : oc.cell == CELL_GRU ? (size_t)oc.units
                                         : (size_t)oc.classes;
    size_t output_count = (size_t)oc.batch * oc.steps * width;
    oracle_case tail = oc;
    float *inputs = NULL, *out = malloc(output_count * sizeof *out);
    if (input_count <= oc.left / 4) {
        tail.next += oc.left - 4 * input_count;
        tail.left = 4 * input_count;
        oc.left -= 4 * input_count;
        inputs = take_floats(&tail, input_count);
    }
    int status = -1;
    if (inputs && out) {
        size_t path_size = strlen(argv[2]) + 8;
        char *model_path = malloc(path_size);
        if (model_path) {
            snprintf(model_path, path_size, "%s.nnm", argv[2]);
            nn_fp_state fp = nn_fp_enter(); /* as the plugins run: denormals flushed */
            status = oc.cell == CELL_LSTM  ? run_lstm(&oc, inputs, out)
                     : oc.cell == CELL_GRU ? run_gru(&oc, inputs, out)
                                           : run_event_rnn(&oc, inputs, out, model_path);
            nn_fp_leave(fp);
            free(model_path);
        }
    }
    if (status == 0 && oc.left != 0) {
        fprintf(stderr, "oracle_rnn: %s: %zu bytes of weights left over: sizes disagree\n", argv[1], oc.left);
        status = -1;
    }
    if (status != 0)
        fprintf(stderr, "oracle_rnn: %s: the case failed (short file, bad one-hot row or engine error)\n", argv[1]);
    else if (write_floats(argv[2], out, output_count)) {
        fprintf(stderr, "oracle_rnn: cannot write %s\n", argv[2]);
        status = -1;
    }
    free(inputs);
    free(out);
    free(data);
    return status == 0 ? 0 : 1;
}
