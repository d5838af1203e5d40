/* test_import.c — `nn-train import` of Magenta.js checkpoints.
 *
 * Run as `test_import NN-TRAIN DIR` for (a), `test_import NN-TRAIN --synthetic` for (b) and (c).
 * (a) Piano Genie's real decoder checkpoint (../shared/data/piano-genie-jazz; exit 77 if absent):
 *     imported as f32 and f16, its logits over a sequence of button presses compared with a
 *     scalar reference written here from Magenta's definitions (model.py's simple_lstm_decoder:
 *     dense, two LSTMBlockCells with forget bias 1, dense), in double, on weights read straight
 *     from the shard at the manifest's offsets; the argmax key is fed back as the last key.
 * (b) Random-weight checkpoints written here in each layout (MusicRNN without attention, with
 *     Magenta's AttentionCellWrapper on the first cell, around the whole stack of 1, 2 and 3
 *     layers, the latter also as Magenta.js computes it (--magenta-js); Piano Genie)
 *     and storage (float32, float16, quantised uint8 / uint16 / float16, several shards):
 *     every tensor of the model file (parsed here from FORMAT.md, f16 widened) against the
 *     source, and the engine's logits over steps against the same scalar reference.
 * (c) Each error (missing, extra and misshapen tensors, truncated and missing shards, bad JSON,
 *     unknown dtype) gives its message and leaves no file.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "../tool_test.h"

#include "music.h"
#include "nn.h"

#include "../check.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

/* Tolerances (max abs over logits). Reference in double, engine in f32 with f32 weights. */
#define TOL_F32 1e-4
/* f16 matrices (relative rounding 2^-11 per weight) against the f32 reference: on the real
 * decoder over 24 presses the measured worst is 1.0e-2 (logits of magnitude up to ~20). */
#define TOL_F16 5e-2

static const char *nn_train;

/* ---- Small file helpers ----------------------------------------------------------------------- */

static void write_bytes(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

static unsigned char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    buf[n] = 0;
    *size = (size_t)n;
    return buf;
}

static int files_in(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

/* IEEE binary16 → float, written here (not the engine's). */
static float half_to_float(uint16_t h)
{
    int sign = h >> 15, exp = (h >> 10) & 31, man = h & 1023;
    double v = exp == 0 ? ldexp(man, -24) : exp == 31 ? (man ? NAN : INFINITY) : ldexp(man + 1024, exp - 25);
    return (float)(sign ? -v : v);
}

static uint32_t u32_at(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t u64_at(const unsigned char *p) { return u32_at(p) | (uint64_t)u32_at(p + 4) << 32; }
static float f32_at(const unsigned char *p)
{
    uint32_t u = u32_at(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* ---- The model file, parsed from FORMAT.md ----------------------------------------------------- */

typedef struct file_tensor {
    char name[96];
    int dtype, ndim, dims[4];
    size_t count;
    float *values;
} file_tensor;

typedef struct model_file {
    int hparams, tensors;
    file_tensor t[64];
    char hnames[64][32];
    int htype[64];
    int64_t hint[64];
    char hstring[64][24];
} model_file;

static bool model_file_read(const char *path, model_file *m)
{
    size_t size;
    unsigned char *b = read_all(path, &size);
    memset(m, 0, sizeof *m);
    if (!b || size < 64 || memcmp(b, "\x89NNM\r\n\x1a\n", 8)) {
        free(b);
        return false;
    }
    m->hparams = (int)u32_at(b + 16);
    m->tensors = (int)u32_at(b + 20);
    uint64_t data = u64_at(b + 32);
    if (m->hparams > 64 || m->tensors > 64) {
        free(b);
        return false;
    }
    for (int i = 0; i < m->hparams; i++) {
        const unsigned char *r = b + 64 + 64 * i;
        memcpy(m->hnames[i], r, 32);
        m->htype[i] = (int)u32_at(r + 32);
        m->hint[i] = (int64_t)u64_at(r + 40);
        memcpy(m->hstring[i], r + 40, 24);
    }
    for (int i = 0; i < m->tensors; i++) {
        const unsigned char *r = b + 64 + 64 * m->hparams + 128 * i;
        file_tensor *t = &m->t[i];
        memcpy(t->name, r, 96);
        t->dtype = (int)u32_at(r + 96);
        t->ndim = (int)u32_at(r + 100);
        t->count = 1;
        for (int d = 0; d < t->ndim; d++)
            t->count *= (t->dims[d] = (int)u32_at(r + 104 + 4 * d));
        const unsigned char *v = b + data + u64_at(r + 120);
        t->values = malloc(t->count * sizeof(float));
        for (size_t k = 0; k < t->count; k++)
            t->values[k] = t->dtype ? half_to_float((uint16_t)(v[2 * k] | v[2 * k + 1] << 8)) : f32_at(v + 4 * k);
    }
    free(b);
    return true;
}

static void model_file_free(model_file *m)
{
    for (int i = 0; i < m->tensors; i++)
        free(m->t[i].values);
}

static const file_tensor *file_find(const model_file *m, const char *name)
{
    for (int i = 0; i < m->tensors; i++)
        if (!strcmp(m->t[i].name, name))
            return &m->t[i];
    return NULL;
}

static int64_t file_int(const model_file *m, const char *name)
{
    for (int i = 0; i < m->hparams; i++)
        if (!strcmp(m->hnames[i], name) && m->htype[i] == 1)
            return m->hint[i];
    return -1;
}

static const char *file_string(const model_file *m, const char *name)
{
    for (int i = 0; i < m->hparams; i++)
        if (!strcmp(m->hnames[i], name) && m->htype[i] == 3)
            return m->hstring[i];
    return "";
}

/* ---- The scalar reference (double), from Magenta's definitions -------------------------------- */

#define MAX_L 4

/* Weights as plain row-major arrays in TensorFlow's layout. */
typedef struct ref_model {
    int input, layers, units[MAX_L], classes;
    const float *proj_k, *proj_b; /* Piano Genie's rnn_input dense [input, units0] */
    const float *kernel[MAX_L], *bias[MAX_L], *out_k, *out_b;
    int attn_length; /* AttentionCellWrapper (magenta/contrib/rnn.py) on cell 0, or: */
    bool attn_stack; /* around the whole MultiRNNCell (events_rnn_graph.py before May 2017) */
    const float *a_in_k, *a_in_b, *a_w, *a_v, *a_q_k, *a_q_b, *a_o_k, *a_o_b; /* a_q_b NULL: none */
} ref_model;

typedef struct ref_state {
    double h[MAX_L][512], c[MAX_L][512];
    double attns[512], window[64][512]; /* window[0] is the oldest */
} ref_state;

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* y[out] = x[in] · W[in, out] + b, with x the concatenation of parts. */
static void dense_ref(const float *w, const float *b, int out, int parts, const double *const *xs, const int *ns, double *y)
{
    for (int o = 0; o < out; o++)
        y[o] = b ? b[o] : 0.0;
    int row = 0;
    for (int p = 0; p < parts; p++)
        for (int i = 0; i < ns[p]; i++, row++)
            for (int o = 0; o < out; o++)
                y[o] += xs[p][i] * w[(size_t)row * out + o];
}

/* LSTMBlockCell / BasicLSTMCell: gates i, j, f, o; forget bias 1 at run time. */
static void lstm_ref(const float *kernel, const float *bias, int in, int units, const double *x, double *h, double *c)
{
    double gates[4 * 512];
    dense_ref(kernel, bias, 4 * units, 2, (const double *const[]){x, h}, (int[]){in, units}, gates);
    for (int k = 0; k < units; k++) {
        double i = gates[k], j = gates[units + k], f = gates[2 * units + k], o = gates[3 * units + k];
        c[k] = c[k] * sigmoid(f + 1.0) + sigmoid(i) * tanh(j);
        h[k] = tanh(c[k]) * sigmoid(o);
    }
}

/* The wrapper's attention once its cells have stepped (AttentionCellWrapper.call and _attention):
 * the query is the cells' new state flattened (tf.nest.flatten of MultiRNNCell's tuple of
 * LSTMStateTuple(c, h): c_0, h_0, c_1, h_1, ...) through a dense layer; the window's states
 * through attn_w (a 1x1 convolution: a product per state); scores v · tanh(feature + y);
 * softmax; attns the weighted sum of the window; the output a dense layer of [cell_output,
 * attns]; the window drops its oldest state and appends the output. */
static void ref_attention(const ref_model *m, ref_state *s, int first, int count, const double *cell_output, double *out)
{
    const int U = m->units[first + count - 1], L = m->attn_length;
    const double *parts[2 * MAX_L];
    int sizes[2 * MAX_L];
    for (int k = 0; k < count; k++) {
        parts[2 * k] = s->c[first + k], sizes[2 * k] = m->units[first + k];
        parts[2 * k + 1] = s->h[first + k], sizes[2 * k + 1] = m->units[first + k];
    }
    double y[512], score[64], hidden[512];
    dense_ref(m->a_q_k, m->a_q_b, U, 2 * count, parts, sizes, y);
    double mx = -1e300;
    for (int l = 0; l < L; l++) {
        dense_ref(m->a_w, NULL, U, 1, (const double *const[]){s->window[l]}, (int[]){U}, hidden);
        score[l] = 0;
        for (int k = 0; k < U; k++)
            score[l] += m->a_v[k] * tanh(hidden[k] + y[k]);
        mx = fmax(mx, score[l]);
    }
    double sum = 0;
    for (int l = 0; l < L; l++)
        sum += score[l] = exp(score[l] - mx);
    for (int k = 0; k < U; k++) {
        s->attns[k] = 0;
        for (int l = 0; l < L; l++)
            s->attns[k] += score[l] / sum * s->window[l][k];
    }
    dense_ref(m->a_o_k, m->a_o_b, U, 2, (const double *const[]){cell_output, s->attns}, (int[]){U, U}, out);
    memmove(s->window[0], s->window[1], (size_t)(L - 1) * sizeof s->window[0]);
    memcpy(s->window[L - 1], out, (size_t)U * sizeof(double));
}

static void ref_step(const ref_model *m, ref_state *s, const double *x, double *logits)
{
    double projected[512], below[512], xin[1024];
    int in = m->input;
    if (m->proj_k) {
        dense_ref(m->proj_k, m->proj_b, m->units[0], 1, (const double *const[]){x}, (int[]){in}, projected);
        x = projected;
        in = m->units[0];
    }
    /* The wrapped cells: cell 0 alone, or the whole stack. */
    const int wrapped = m->attn_stack ? m->layers : 1, top = m->units[wrapped - 1];
    if (m->attn_length) { /* the wrapper's input: a dense layer of [inputs, attns] back to the input's size */
        dense_ref(m->a_in_k, m->a_in_b, in, 2, (const double *const[]){x, s->attns}, (int[]){in, top}, xin);
        x = xin;
    }
    for (int k = 0; k < m->layers; k++) {
        lstm_ref(m->kernel[k], m->bias[k], k ? m->units[k - 1] : in, m->units[k], k ? below : x, s->h[k], s->c[k]);
        memcpy(below, s->h[k], (size_t)m->units[k] * sizeof(double));
        if (m->attn_length && k == wrapped - 1)
            ref_attention(m, s, 0, wrapped, s->h[k], below);
    }
    int last = m->attn_stack ? top : m->units[m->layers - 1];
    dense_ref(m->out_k, m->out_b, m->classes, 1, (const double *const[]){below}, (int[]){last}, logits);
}

static int argmax_d(const double *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return best;
}

/* ---- Writing checkpoints ------------------------------------------------------------------------ */

typedef enum storage { S_F32, S_F16, S_Q8, S_Q16, S_QF16 } storage;
static const char *const storage_names[] = {"float32", "float16", "uint8", "uint16", "float16 quantization"};

typedef struct src {
    char name[160];   /* the checkpoint's name */
    char target[96];  /* the model file's name; "" for a tensor the import skips */
    int ndim, dims[4];
    size_t count;
    float *values;    /* the original values */
    float *stored;    /* what the checkpoint's bytes decode to (dequantised) */
    double step;      /* quantisation step (0: exact) */
    /* mutations for the error cases */
    const char *dtype_override, *shape_override;
    bool drop;
} src;

typedef struct ckpt {
    src t[48];
    int count;
    storage how;
    int shards;
    const char *config_json; /* NULL: none */
} ckpt;

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static float uniform(float scale)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return ((float)(rng >> 40) / 16777216.0f * 2.0f - 1.0f) * scale;
}

static src *add(ckpt *c, const char *name, const char *target, int ndim, const int *dims)
{
    src *s = &c->t[c->count++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->target, sizeof s->target, "%s", target);
    s->ndim = ndim;
    s->count = 1;
    for (int d = 0; d < ndim; d++)
        s->count *= (size_t)(s->dims[d] = dims[d]);
    s->values = malloc(s->count * sizeof(float));
    s->stored = malloc(s->count * sizeof(float));
    for (size_t i = 0; i < s->count; i++)
        s->values[i] = uniform(0.5f);
    return s;
}

static void ckpt_free(ckpt *c)
{
    for (int i = 0; i < c->count; i++) {
        free(c->t[i].values);
        free(c->t[i].stored);
    }
    c->count = 0;
}

/* Write weights_manifest.json, the shards and config.json into dir; fills each stored[]. The
 * weights' bytes are cut into `shards` files at uneven points. */
static void ckpt_write(ckpt *c, const char *dir, bool trailing_comma)
{
    size_t cap = 1 << 16, len = 0, bytes_cap = 1 << 20, nbytes = 0;
    char *json = malloc(cap);
    unsigned char *bytes = malloc(bytes_cap);
    len += (size_t)snprintf(json + len, cap - len, "[{\"paths\": [");
    for (int s = 0; s < c->shards; s++)
        len += (size_t)snprintf(json + len, cap - len, "%s\"group1-shard%dof%d\"", s ? ", " : "", s + 1, c->shards);
    len += (size_t)snprintf(json + len, cap - len, "], \"weights\": [");
    int written = 0;
    for (int i = 0; i < c->count; i++) {
        src *t = &c->t[i];
        float lo = t->values[0], hi = t->values[0];
        for (size_t k = 0; k < t->count; k++) {
            lo = fminf(lo, t->values[k]);
            hi = fmaxf(hi, t->values[k]);
        }
        int levels = c->how == S_Q8 ? 255 : 65535;
        double scale = hi > lo ? ((double)hi - lo) / levels : 1.0, min = lo;
        size_t esize = c->how == S_F32 ? 4 : c->how == S_Q8 ? 1 : 2;
        while (nbytes + t->count * esize > bytes_cap)
            bytes = realloc(bytes, bytes_cap *= 2);
        for (size_t k = 0; k < t->count; k++) {
            float v = t->values[k];
            unsigned char *p = bytes + nbytes + k * esize;
            if (c->how == S_F32) {
                memcpy(p, &v, 4);
                t->stored[k] = v;
            } else if (c->how == S_F16 || c->how == S_QF16) {
                uint16_t h = nn_f32_to_f16(v);
                p[0] = (unsigned char)h, p[1] = (unsigned char)(h >> 8);
                t->stored[k] = half_to_float(h);
            } else {
                long q = lround((v - min) / scale);
                q = q < 0 ? 0 : q > levels ? levels : q;
                p[0] = (unsigned char)q;
                if (esize == 2)
                    p[1] = (unsigned char)(q >> 8);
                t->stored[k] = (float)(q * scale + min);
            }
        }
        t->step = c->how == S_Q8 || c->how == S_Q16 ? scale : c->how == S_F32 ? 0 : fabs(t->stored[0]) + 1;
        if (t->drop)
            continue;
        nbytes += t->count * esize;
        while (len + 1024 > cap)
            json = realloc(json, cap *= 2);
        char shape[64] = "";
        int used = 0;
        for (int d = 0; d < t->ndim; d++)
            used += snprintf(shape + used, sizeof shape - (size_t)used, d ? ", %d" : "%d", t->dims[d]);
        len += (size_t)snprintf(json + len, cap - len, "%s{\"name\": \"%s\", \"shape\": [%s], \"dtype\": \"%s\"",
                                written++ ? ", " : "", t->name, t->shape_override ? t->shape_override : shape,
                                t->dtype_override ? t->dtype_override : c->how == S_F16 ? "float16" : "float32");
        if (c->how == S_Q8 || c->how == S_Q16)
            len += (size_t)snprintf(json + len, cap - len, ", \"quantization\": {\"dtype\": \"%s\", \"min\": %.17g, \"scale\": %.17g}",
                                    c->how == S_Q8 ? "uint8" : "uint16", min, scale);
        else if (c->how == S_QF16)
            len += (size_t)snprintf(json + len, cap - len, ", \"quantization\": {\"dtype\": \"float16\"}");
        len += (size_t)snprintf(json + len, cap - len, "}");
    }
    len += (size_t)snprintf(json + len, cap - len, "%s]}]\n", trailing_comma ? "," : "");
    char path[256];
    snprintf(path, sizeof path, "%s/weights_manifest.json", dir);
    write_bytes(path, json, len);
    size_t at = 0;
    for (int s = 0; s < c->shards; s++) {
        size_t end = s == c->shards - 1 ? nbytes : nbytes * (size_t)(2 * s + 1) / (size_t)(2 * c->shards) + 3;
        snprintf(path, sizeof path, "%s/group1-shard%dof%d", dir, s + 1, c->shards);
        write_bytes(path, bytes + at, end - at);
        at = end;
    }
    if (c->config_json) {
        snprintf(path, sizeof path, "%s/config.json", dir);
        write_bytes(path, c->config_json, strlen(c->config_json));
    }
    free(json);
    free(bytes);
}

/* ---- Model layouts ------------------------------------------------------------------------------ */

typedef enum layout { MUSICRNN, ATTN_FIRST_CELL, ATTN_STACK, GENIE } layout;

typedef struct spec {
    const char *label;
    layout layout;
    int input, classes, layers, units[MAX_L], attn_length;
    storage how;
    int shards;
    const char *config_json, *config_arg;
    bool f16_out;
    bool magenta_js; /* import --magenta-js: the query's bias is dropped */
} spec;

/* The checkpoint's tensors for a spec, with their model-file names. */
static void build(const spec *sp, ckpt *c)
{
    memset(c, 0, sizeof *c);
    c->how = sp->how;
    c->shards = sp->shards;
    c->config_json = sp->config_json;
    char name[160], target[96];
    int in = sp->input;
    if (sp->layout == GENIE) {
        add(c, "phero_model/stp_emb_iq/pre_iq/dense/kernel", "", 2, (int[]){2 * sp->units[0], 1});
        add(c, "phero_model/decoder/rnn_input/dense/kernel", "input/kernel", 2, (int[]){sp->input, sp->units[0]});
        add(c, "phero_model/decoder/rnn_input/dense/bias", "input/bias", 1, (int[]){sp->units[0]});
        in = sp->units[0];
    }
    const char *w = sp->layout == ATTN_STACK ? "rnn/attention_cell_wrapper/" : "rnn/multi_rnn_cell/cell_0/attention_cell_wrapper/";
    for (int k = 0; k < sp->layers; k++) {
        int u = sp->units[k];
        for (int part = 0; part < 2; part++) {
            const char *leaf = part ? "bias" : "kernel";
            if (sp->layout == GENIE)
                snprintf(name, sizeof name, "phero_model/decoder/rnn/rnn/multi_rnn_cell/cell_%d/lstm_cell/%s", k, leaf);
            else if (sp->layout == ATTN_STACK)
                snprintf(name, sizeof name, "%smulti_rnn_cell/cell_%d/basic_lstm_cell/%s", w, k, leaf);
            else if (sp->layout == ATTN_FIRST_CELL && k == 0)
                snprintf(name, sizeof name, "%sbasic_lstm_cell/%s", w, leaf);
            else
                snprintf(name, sizeof name, "rnn/multi_rnn_cell/cell_%d/basic_lstm_cell/%s", k, leaf);
            snprintf(target, sizeof target, "rnn/cell_%d/%s", k, leaf);
            if (part)
                add(c, name, target, 1, (int[]){4 * u});
            else
                add(c, name, target, 2, (int[]){in + u, 4 * u});
        }
        in = u;
    }
    if (sp->layout == ATTN_FIRST_CELL || sp->layout == ATTN_STACK) {
        /* magenta-js reads attention_output_projection (older TensorFlow), Magenta's Python
         * scope is attn_output_projection: one of each layout. */
        const char *proj = sp->layout == ATTN_STACK ? "attention_output_projection" : "attn_output_projection";
        const char *a = sp->layout == ATTN_STACK ? "rnn/attention/" : "rnn/cell_0/attention/";
        const int I = sp->input, U = sp->layout == ATTN_STACK ? sp->units[sp->layers - 1] : sp->units[0];
        int S = 0; /* the query's input: the wrapped cells' state */
        for (int k = 0; k < (sp->layout == ATTN_STACK ? sp->layers : 1); k++)
            S += 2 * sp->units[k];
        char tgt[96];
#define ATT(leaf, to, nd, ...)                                                                        \
    do {                                                                                             \
        snprintf(name, sizeof name, "%s%s", w, leaf);                                                \
        snprintf(tgt, sizeof tgt, "%s%s", a, to);                                                    \
        add(c, name, tgt, nd, (int[]){__VA_ARGS__});                                                 \
    } while (0)
        ATT("kernel", "input_kernel", 2, I + U, I);
        ATT("bias", "input_bias", 1, I);
        ATT("attention/attn_w", "attn_w", 4, 1, 1, U, U);
        ATT("attention/attn_v", "attn_v", 1, U);
        ATT("attention/kernel", "query_kernel", 2, S, U);
        ATT("attention/bias", "query_bias", 1, U);
        char projection[64];
        snprintf(projection, sizeof projection, "%s/kernel", proj);
        ATT(projection, "output_kernel", 2, 2 * U, U);
        snprintf(projection, sizeof projection, "%s/bias", proj);
        ATT(projection, "output_bias", 1, U);
#undef ATT
    }
    int last = sp->units[sp->layers - 1];
    if (sp->layout == GENIE) {
        add(c, "phero_model/decoder/pitches/dense/kernel", "output/kernel", 2, (int[]){last, sp->classes});
        add(c, "phero_model/decoder/pitches/dense/bias", "output/bias", 1, (int[]){sp->classes});
        add(c, "phero_model/stp_emb_iq/pre_iq/dense/bias", "", 1, (int[]){1});
    } else {
        add(c, "fully_connected/weights", "output/kernel", 2, (int[]){last, sp->classes});
        add(c, "fully_connected/biases", "output/bias", 1, (int[]){sp->classes});
    }
}

/* The reference model over the checkpoint's decoded values. */
static void ref_of(const spec *sp, const ckpt *c, ref_model *m)
{
    memset(m, 0, sizeof *m);
    m->input = sp->input;
    m->layers = sp->layers;
    m->classes = sp->classes;
    memcpy(m->units, sp->units, sizeof m->units);
    for (int i = 0; i < c->count; i++) {
        const src *t = &c->t[i];
        const float *v = t->stored;
        int k;
        if (sscanf(t->target, "rnn/cell_%d/", &k) == 1 && !strstr(t->target, "attention"))
            *(strstr(t->target, "kernel") ? &m->kernel[k] : &m->bias[k]) = v;
        else if (!strcmp(t->target, "output/kernel")) m->out_k = v;
        else if (!strcmp(t->target, "output/bias")) m->out_b = v;
        else if (!strcmp(t->target, "input/kernel")) m->proj_k = v;
        else if (!strcmp(t->target, "input/bias")) m->proj_b = v;
        else if (strstr(t->target, "input_kernel")) m->a_in_k = v;
        else if (strstr(t->target, "input_bias")) m->a_in_b = v;
        else if (strstr(t->target, "attn_w")) m->a_w = v;
        else if (strstr(t->target, "attn_v")) m->a_v = v;
        else if (strstr(t->target, "query_kernel")) m->a_q_k = v;
        else if (strstr(t->target, "query_bias")) m->a_q_b = v;
        else if (strstr(t->target, "output_kernel")) m->a_o_k = v;
        else if (strstr(t->target, "output_bias")) m->a_o_b = v;
    }
    m->attn_length = sp->layout == ATTN_FIRST_CELL || sp->layout == ATTN_STACK ? sp->attn_length : 0;
    m->attn_stack = sp->layout == ATTN_STACK;
    if (sp->magenta_js) /* Magenta.js's AttentionWrapper: attnY = attnQuery · attention/kernel alone */
        m->a_q_b = NULL;
}

/* Run `steps` steps through the engine and the reference and return the worst logit error.
 * Inputs alternate between one-hot classes (nn_rnn_step_class) and dense vectors. */
static double compare_steps(const ref_model *ref, const char *path, int steps, int *worst_step)
{
    char why[NN_MESSAGE_SIZE];
    nn_model *model = NULL;
    nn_rnn *rnn = NULL;
    if (nn_model_load(path, &model, why) || nn_rnn_new(model, &rnn, why)) {
        CHECK(0, "%s", why);
        nn_model_free(model);
        return INFINITY;
    }
    ref_state *s = calloc(1, sizeof *s);
    double *x = calloc((size_t)ref->input, sizeof *x), logits[1024], worst = 0;
    float *xf = calloc((size_t)ref->input, sizeof *xf);
    for (int t = 0; t < steps; t++) {
        const float *got;
        if (t % 2 == 0) {
            int cls = (t * 7 + 3) % ref->input;
            memset(x, 0, (size_t)ref->input * sizeof *x);
            x[cls] = 1;
            got = nn_rnn_step_class(rnn, cls);
        } else {
            for (int i = 0; i < ref->input; i++)
                x[i] = xf[i] = uniform(1.0f);
            got = nn_rnn_step(rnn, xf);
        }
        ref_step(ref, s, x, logits);
        for (int k = 0; k < ref->classes; k++)
            if (fabs(got[k] - logits[k]) > worst || !isfinite(got[k])) {
                worst = isfinite(got[k]) ? fabs(got[k] - logits[k]) : INFINITY;
                *worst_step = t;
            }
    }
    free(s);
    free(x);
    free(xf);
    nn_rnn_free(rnn);
    nn_model_free(model);
    return worst;
}

/* nn_rnn_step_start / _continue, one layer per call, give the same logits bit for bit as
 * nn_rnn_step / _class over `steps` steps (the same inputs as compare_steps). */
static void stepping_identical(const char *path, int steps)
{
    char why[NN_MESSAGE_SIZE];
    nn_model *model = NULL;
    nn_rnn *whole = NULL, *split = NULL;
    if (nn_model_load(path, &model, why) || nn_rnn_new(model, &whole, why) || nn_rnn_new(model, &split, why)) {
        CHECK(0, "%s", why);
        nn_rnn_free(whole);
        nn_model_free(model);
        return;
    }
    int n = nn_rnn_input_size(whole), classes = nn_rnn_classes(whole), layers = nn_rnn_num_layers(split), differ = 0;
    float *x = calloc((size_t)n, sizeof *x);
    for (int t = 0; t < steps; t++) {
        const float *a, *b = NULL;
        if (t % 2 == 0) {
            a = nn_rnn_step_class(whole, (t * 7 + 3) % n);
            nn_rnn_step_start_class(split, (t * 7 + 3) % n);
        } else {
            for (int i = 0; i < n; i++)
                x[i] = uniform(1.0f);
            a = nn_rnn_step(whole, x);
            nn_rnn_step_start(split, x);
        }
        int calls = 0;
        while (!b && calls++ <= layers)
            b = nn_rnn_step_continue(split, 1);
        CHECK(b && calls == layers, "step %d: logits after %d calls, %d layers", t, calls, layers);
        differ += !b || memcmp(a, b, (size_t)classes * sizeof(float)) != 0;
    }
    CHECK(differ == 0, "layer by layer differs from the whole step at %d of %d steps", differ, steps);
    free(x);
    nn_rnn_free(whole);
    nn_rnn_free(split);
    nn_model_free(model);
}

/* ---- (b) round trips of random-weight checkpoints ---------------------------------------------- */

static void round_trip(const spec *sp)
{
    snprintf(context, sizeof context, "%s", sp->label);
    char dir[128], out[160];
    snprintf(dir, sizeof dir, "%s/ckpt", scratch);
    remove_tree(dir);
    mkdir(dir, 0755);
    snprintf(out, sizeof out, "%s/out.nnm", scratch);
    unlink(out);
    ckpt c;
    build(sp, &c);
    ckpt_write(&c, dir, false);
    char err[160];
    snprintf(err, sizeof err, "%s/err.txt", scratch);
    const char *args[10] = {"import", dir, "--out", out};
    int n = 4;
    if (sp->config_arg)
        args[n++] = "--config", args[n++] = sp->config_arg;
    if (sp->f16_out)
        args[n++] = "--f16";
    if (sp->magenta_js)
        args[n++] = "--magenta-js";
    args[n] = NULL;
    int rc = run_tool(nn_train, args, NULL, err);
    size_t esize;
    unsigned char *msg = read_all(err, &esize);
    CHECK(rc == 0, "exit %d: %s", rc, msg ? (char *)msg : "");
    free(msg);
    model_file m;
    if (rc != 0 || !model_file_read(out, &m)) {
        CHECK(0, "no readable model file");
        ckpt_free(&c);
        return;
    }
    /* Every tensor against the source: exact for f32 storage, within the quantisation step
     * otherwise; --f16 output within f16's rounding of the stored value. */
    int targets = 0;
    for (int i = 0; i < c.count; i++) {
        const src *t = &c.t[i];
        if (!t->target[0]) {
            CHECK(!file_find(&m, t->name), "skipped tensor %s written", t->name);
            continue;
        }
        targets++;
        const file_tensor *f = file_find(&m, t->target);
        CHECK(f != NULL, "tensor %s (from %s) missing", t->target, t->name);
        if (!f)
            continue;
        bool matrix = f->ndim == 2;
        CHECK(f->dtype == (sp->f16_out && matrix ? 1 : 0), "%s dtype %d", t->target, f->dtype);
        CHECK(f->count == t->count, "%s count %zu vs %zu", t->target, f->count, t->count);
        bool attn_w = strstr(t->target, "attn_w") != NULL;
        CHECK(attn_w ? f->ndim == 2 && f->dims[0] == t->dims[2] && f->dims[1] == t->dims[3]
                     : f->ndim == t->ndim && !memcmp(f->dims, t->dims, (size_t)t->ndim * sizeof(int)),
              "%s shape", t->target);
        double worst_src = 0, worst_stored = 0;
        if (sp->magenta_js && strstr(t->target, "query_bias")) { /* written as zeros */
            for (size_t k = 0; k < f->count; k++)
                worst_stored = fmax(worst_stored, fabs(f->values[k]));
            CHECK(worst_stored == 0, "%s: %g, not zero with --magenta-js", t->target, worst_stored);
            continue;
        }
        for (size_t k = 0; k < t->count && f->count == t->count; k++) {
            worst_src = fmax(worst_src, fabs(f->values[k] - t->values[k]));
            worst_stored = fmax(worst_stored, fabs(f->values[k] - t->stored[k]) / fmax(1.0, fabs(t->stored[k])));
        }
        if (sp->f16_out && matrix)
            CHECK(worst_stored <= 1.0 / 2048, "%s: f16 output off by %g", t->target, worst_stored);
        else
            CHECK(worst_stored == 0, "%s: differs from the decoded checkpoint by %g", t->target, worst_stored);
        if (sp->how == S_Q8 || sp->how == S_Q16)
            CHECK(worst_src <= t->step * 0.5 + 1e-7 + (sp->f16_out && matrix ? 1e-3 : 0),
                  "%s: %g from the source, quantisation step %g", t->target, worst_src, t->step);
        else if (sp->how == S_F32 && !sp->f16_out)
            CHECK(worst_src == 0, "%s: %g from the source", t->target, worst_src);
        else
            CHECK(worst_src <= 1.0 / 1024 * 0.5 + 1e-7, "%s: %g from the source (f16)", t->target, worst_src);
    }
    CHECK(m.tensors == targets, "%d tensors in the file, %d expected", m.tensors, targets);
    CHECK(file_int(&m, "input_size") == sp->input && file_int(&m, "num_classes") == sp->classes &&
              file_int(&m, "num_layers") == sp->layers,
          "hyperparameters %lld %lld %lld", (long long)file_int(&m, "input_size"), (long long)file_int(&m, "num_classes"),
          (long long)file_int(&m, "num_layers"));
    const char *encoding = sp->layout == GENIE ? "piano_genie" : sp->input == 38 ? "basic_rnn" : sp->input == 121 ? "lookback_rnn"
                           : sp->input == 74 ? "attention_rnn" : sp->input == 518 ? "drum_kit" : "chord_pitches_improv";
    CHECK(!strcmp(file_string(&m, "encoding"), encoding), "encoding '%s', expected '%s'", file_string(&m, "encoding"),
          encoding);
    CHECK(file_int(&m, "attn_length") == (sp->layout == ATTN_FIRST_CELL || sp->layout == ATTN_STACK ? sp->attn_length : -1),
          "attn_length %lld", (long long)file_int(&m, "attn_length"));
    CHECK(!strcmp(file_string(&m, "attn_cells"), sp->layout == ATTN_STACK ? "stack" : ""), "attn_cells '%s'",
          file_string(&m, "attn_cells"));
    model_file_free(&m);

    ref_model ref;
    ref_of(sp, &c, &ref);
    int at = -1, steps = 12 + ref.attn_length; /* past the window's length: the ring wraps */
    double worst = compare_steps(&ref, out, steps, &at);
    double tol = sp->f16_out ? TOL_F16 : TOL_F32;
    CHECK(worst <= tol, "logits off by %g at step %d of %d (tolerance %g)", worst, at, steps, tol);
    stepping_identical(out, steps);
    printf("%-44s %-22s %2d tensors, logits within %.2g\n", sp->label, storage_names[sp->how], targets, worst);
    ckpt_free(&c);
    context[0] = 0;
}

/* ---- (c) errors ---------------------------------------------------------------------------------- */

typedef enum mutation { M_MISSING, M_EXTRA, M_SHAPE, M_TRUNCATED, M_NO_SHARD, M_JSON, M_DTYPE, M_QDTYPE } mutation;

static void error_case(mutation mu, const char *expect1, const char *expect2)
{
    static const char *const labels[] = {"missing tensor", "extra tensor", "wrong shape", "truncated shard",
                                         "shard missing", "bad JSON", "unknown dtype", "unknown quantization"};
    snprintf(context, sizeof context, "error: %s", labels[mu]);
    spec sp = {"basic_rnn", MUSICRNN, 38, 38, 2, {8, 6}, 0, mu == M_QDTYPE ? S_Q8 : S_F32, 2, NULL, NULL, false, false};
    char dir[128], outdir[128], out[160], err[160], path[200];
    snprintf(dir, sizeof dir, "%s/bad", scratch);
    snprintf(outdir, sizeof outdir, "%s/bad-out", scratch);
    remove_tree(dir);
    remove_tree(outdir);
    mkdir(dir, 0755);
    mkdir(outdir, 0755);
    snprintf(out, sizeof out, "%s/model.nnm", outdir);
    snprintf(err, sizeof err, "%s/err.txt", scratch);
    ckpt c;
    build(&sp, &c);
    if (mu == M_MISSING)
        c.t[c.count - 1].drop = true; /* fully_connected/biases */
    if (mu == M_EXTRA)
        add(&c, "rnn/extra_layer/kernel", "", 2, (int[]){3, 2});
    if (mu == M_SHAPE)
        c.t[c.count - 2].shape_override = "38, 6"; /* fully_connected/weights transposed */
    if (mu == M_DTYPE)
        c.t[1].dtype_override = "int32";
    ckpt_write(&c, dir, mu == M_JSON);
    if (mu == M_QDTYPE) { /* rewrite one quantization dtype */
        snprintf(path, sizeof path, "%s/weights_manifest.json", dir);
        size_t n;
        char *text = (char *)read_all(path, &n);
        char *q = strstr(text, "\"uint8\"");
        memcpy(q, "\"int8\" ", 7);
        write_bytes(path, text, n);
        free(text);
    }
    if (mu == M_TRUNCATED) {
        snprintf(path, sizeof path, "%s/group1-shard2of2", dir);
        size_t n;
        unsigned char *b = read_all(path, &n);
        write_bytes(path, b, n - 10);
        free(b);
    }
    if (mu == M_NO_SHARD) {
        snprintf(path, sizeof path, "%s/group1-shard2of2", dir);
        unlink(path);
    }
    int rc = run_tool(nn_train, (const char *const[]){"import", dir, "--out", out, NULL}, NULL, err);
    size_t n = 0;
    char *msg = (char *)read_all(err, &n);
    CHECK(rc == 1, "exit %d", rc);
    CHECK(msg && strstr(msg, expect1), "message lacks '%s': %s", expect1, msg ? msg : "");
    CHECK(msg && (!expect2 || strstr(msg, expect2)), "message lacks '%s': %s", expect2, msg ? msg : "");
    CHECK(files_in(outdir) == 0, "%d files left in the output folder", files_in(outdir));
    printf("error %-22s -> %s", labels[mu], msg ? msg : "(no message)\n");
    free(msg);
    ckpt_free(&c);
    context[0] = 0;
}

/* The JSON reader's byte offsets: a manifest with one flaw at a known place. */
static void json_case(const char *text, const char *expect)
{
    snprintf(context, sizeof context, "json: %s", text);
    char dir[128], path[200], out[200], err[160];
    snprintf(dir, sizeof dir, "%s/json", scratch);
    remove_tree(dir);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/weights_manifest.json", dir);
    write_bytes(path, text, strlen(text));
    snprintf(out, sizeof out, "%s/json.nnm", dir);
    snprintf(err, sizeof err, "%s/err.txt", scratch);
    int rc = run_tool(nn_train, (const char *const[]){"import", dir, "--out", out, NULL}, NULL, err);
    size_t n;
    char *msg = (char *)read_all(err, &n);
    CHECK(rc == 1 && msg && strstr(msg, expect), "exit %d, message lacks '%s': %s", rc, expect, msg ? msg : "");
    CHECK(access(out, F_OK) != 0, "output written");
    free(msg);
    context[0] = 0;
}

/* ---- (a) the real Piano Genie checkpoint ---------------------------------------------------------- */

/* Offsets of the manifest's weights (one group, float32, in manifest order), found by a plain
 * scan of the JSON text: each entry's "name" and "shape" inside its braces. */
typedef struct real_weight {
    char name[128];
    size_t offset, count;
} real_weight;

static int scan_manifest(const char *text, real_weight *w, int max)
{
    int n = 0;
    size_t offset = 0;
    for (const char *p = strstr(text, "\"name\""); p && n < max; p = strstr(p + 1, "\"name\"")) {
        const char *open = p, *close = strchr(p, '}');
        while (open > text && *open != '{')
            open--;
        const char *q = strchr(p + 6, '"');
        const char *end = q ? strchr(q + 1, '"') : NULL;
        const char *shape = strstr(open, "\"shape\"");
        if (!q || !end || !shape || shape > close || (size_t)(end - q - 1) >= sizeof w[n].name)
            return -1;
        memcpy(w[n].name, q + 1, (size_t)(end - q - 1));
        w[n].name[end - q - 1] = 0;
        size_t count = 1;
        const char *s = strchr(shape, '[') + 1;
        while (*s && *s != ']') {
            char *after;
            long v = strtol(s, &after, 10);
            if (after == s)
                break;
            count *= (size_t)v;
            s = after;
            while (*s == ',' || *s == ' ')
                s++;
        }
        w[n].offset = offset;
        w[n].count = count;
        offset += 4 * count;
        n++;
    }
    return n;
}

static float *real_tensor(const unsigned char *shard, size_t size, const real_weight *w, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(w[i].name, name) && w[i].offset + 4 * w[i].count <= size) {
            float *v = malloc(w[i].count * sizeof(float));
            for (size_t k = 0; k < w[i].count; k++)
                v[k] = f32_at(shard + w[i].offset + 4 * k);
            return v;
        }
    CHECK(0, "tensor %s not in the real manifest", name);
    return NULL;
}

static int real_checkpoint(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/weights_manifest.json", dir);
    size_t msize, ssize;
    char *manifest = (char *)read_all(path, &msize);
    if (!manifest) {
        printf("test_import: %s not found: the real Piano Genie checkpoint test is skipped\n", path);
        return 77;
    }
    snprintf(path, sizeof path, "%s/group1-shard1of1", dir);
    unsigned char *shard = read_all(path, &ssize);
    CHECK(shard != NULL, "%s unreadable", path);
    real_weight w[32];
    int n = scan_manifest(manifest, w, 32);
    CHECK(n == 10, "%d weights in the real manifest", n);
    if (!shard || n <= 0) {
        free(manifest);
        free(shard);
        return 1;
    }
    ref_model ref = {.input = 123, .layers = 2, .units = {128, 128}, .classes = 88};
    const char *d = "phero_model/decoder/";
    char name[160];
#define REAL(leaf) (snprintf(name, sizeof name, "%s%s", d, leaf), real_tensor(shard, ssize, w, n, name))
    float *pk = REAL("rnn_input/dense/kernel"), *pb = REAL("rnn_input/dense/bias"),
          *k0 = REAL("rnn/rnn/multi_rnn_cell/cell_0/lstm_cell/kernel"), *b0 = REAL("rnn/rnn/multi_rnn_cell/cell_0/lstm_cell/bias"),
          *k1 = REAL("rnn/rnn/multi_rnn_cell/cell_1/lstm_cell/kernel"), *b1 = REAL("rnn/rnn/multi_rnn_cell/cell_1/lstm_cell/bias"),
          *ok = REAL("pitches/dense/kernel"), *ob = REAL("pitches/dense/bias");
#undef REAL
    ref.proj_k = pk, ref.proj_b = pb, ref.kernel[0] = k0, ref.bias[0] = b0, ref.kernel[1] = k1, ref.bias[1] = b1;
    ref.out_k = ok, ref.out_b = ob;
    bool have_all = pk && pb && k0 && b0 && k1 && b1 && ok && ob;

    /* 24 presses: buttons and the seconds since the previous press (the first: loader.py's
     * "free decision", 100000 s, bin 32). */
    static const int buttons[] = {0, 2, 4, 5, 7, 7, 6, 4, 3, 1, 0, 0, 3, 5, 7, 6, 2, 4, 1, 5, 7, 3, 0, 6};
    static const double deltas[] = {1e5,  0.12, 0.25, 0.5,  0.08, 0.3, 1.1,  0.016, 0.2,  0.75, 0.4, 0.05,
                                    0.33, 0.6,  0.02, 0.9, 0.125, 0.2, 0.45, 1.5,   0.07, 0.3,  0.6, 0.25};
    enum { PRESSES = sizeof buttons / sizeof *buttons };
    for (int variant = 0; variant < 2 && have_all; variant++) {
        bool f16 = variant == 1;
        snprintf(context, sizeof context, "piano-genie-jazz %s", f16 ? "f16" : "f32");
        char out[160], err[160];
        snprintf(out, sizeof out, "%s/genie.nnm", scratch);
        snprintf(err, sizeof err, "%s/err.txt", scratch);
        unlink(out);
        const char *args[] = {"import", dir, "--out", out, f16 ? "--f16" : NULL, NULL};
        int rc = run_tool(nn_train, args, NULL, err);
        CHECK(rc == 0, "import exit %d", rc);
        char why[NN_MESSAGE_SIZE];
        nn_model *model = NULL;
        nn_rnn *rnn = NULL;
        if (rc || nn_model_load(out, &model, why) || nn_rnn_new(model, &rnn, why)) {
            CHECK(0, "the imported model does not load");
            nn_model_free(model);
            continue;
        }
        CHECK(!strcmp(nn_model_string(model, "encoding", ""), "piano_genie"), "encoding %s",
              nn_model_string(model, "encoding", ""));
        CHECK(nn_rnn_input_size(rnn) == 123 && nn_rnn_classes(rnn) == 88, "sizes %d %d", nn_rnn_input_size(rnn),
              nn_rnn_classes(rnn));
        ref_state *s = calloc(1, sizeof *s);
        double worst = 0, logits[88];
        int last_key = -1, same_argmax = 0;
        for (int t = 0; t < PRESSES; t++) {
            /* Magenta's decoder features: [2 b / 7 - 1][one-hot last key + 1 of 89][one-hot bin of 33]. */
            double x[123] = {0};
            int bin = (int)nearbyint((float)deltas[t] * 31.25f);
            bin = bin > 32 ? 32 : bin;
            x[0] = 2.0 * ((double)buttons[t] / 7.0) - 1.0;
            x[1 + last_key + 1] = 1;
            x[1 + 89 + bin] = 1;
            float input[MUSIC_GENIE_DECODER_INPUT_SIZE];
            music_genie_decoder_input(buttons[t], last_key, music_genie_delta_bin(deltas[t]), input, 123);
            for (int i = 0; i < 123; i++)
                CHECK(fabs(input[i] - x[i]) < 1e-7, "step %d: decoder input %d is %g, Magenta's %g", t, i, input[i], x[i]);
            const float *got = nn_rnn_step(rnn, input);
            ref_step(&ref, s, x, logits);
            for (int k = 0; k < 88; k++)
                worst = fmax(worst, isfinite(got[k]) ? fabs(got[k] - logits[k]) : INFINITY);
            int key = argmax_d(logits, 88);
            same_argmax += nn_argmax(got, 88) == key;
            last_key = key; /* the reference's choice drives both */
        }
        double tol = f16 ? TOL_F16 : TOL_F32;
        CHECK(worst <= tol, "logits off by %g over %d presses (tolerance %g)", worst, PRESSES, tol);
        if (!f16)
            CHECK(same_argmax == PRESSES, "argmax differs at %d presses", PRESSES - same_argmax);
        printf("piano-genie-jazz %s: %d presses, max |logit - reference| %.3g (tolerance %g), same key %d/%d\n",
               f16 ? "f16" : "f32", PRESSES, worst, tol, same_argmax, PRESSES);
        free(s);
        nn_rnn_free(rnn);
        nn_model_free(model);
        unlink(out);
    }
    context[0] = 0;
    free(pk), free(pb), free(k0), free(b0), free(k1), free(b1), free(ok), free(ob);
    free(manifest);
    free(shard);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test_import NN-TRAIN (--synthetic | PIANO-GENIE-DIR)\n");
        return 2;
    }
    nn_train = argv[1];
    make_scratch("test-import");
    if (strcmp(argv[2], "--synthetic")) { /* (a) */
        int status = real_checkpoint(argv[2]);
        remove_tree(scratch);
        if (status == 77)
            return 77;
        return check_summary("test_import (piano-genie-jazz)") || status;
    }

    /* (b) every layout and storage. Sizes are Magenta's configurations' (the importer checks
     * them); the units are small. */
    static const char *const melody_cfg = "{\"type\": \"MusicRNN\", \"dataConverter\": {\"type\": \"MelodyConverter\", "
                                          "\"args\": {\"minPitch\": 48, \"maxPitch\": 83}}}";
    static const char *const improv_cfg = "{\"type\": \"MusicRNN\", \"dataConverter\": {\"type\": \"MelodyConverter\"}, "
                                          "\"chordEncoder\": \"PitchChordEncoder\"}";
    static const char *const drums_cfg = "{\"type\": \"MusicRNN\", \"dataConverter\": {\"type\": \"DrumsConverter\"}, "
                                         "\"attentionLength\": 32}";
    /* Magenta.js's drum_kit_rnn form: the one-hot of 512 plus a 6-bit BinaryCounter (518). */
    static const char *const drums_js_cfg = "{\"type\": \"MusicRNN\", \"dataConverter\": {\"type\": \"DrumsOneHotConverter\", "
                                            "\"args\": {}}, \"attentionLength\": 32, \"auxInputs\": [{\"type\": "
                                            "\"BinaryCounter\", \"args\": {\"numBits\": 6}}]}";
    static const char *const stack_cfg = "{\"type\": \"MusicRNN\", \"dataConverter\": {\"type\": \"MelodyConverter\"}, "
                                         "\"attentionLength\": 5}";
    const spec specs[] = {
        {"basic_rnn (config.json), 2 layers", MUSICRNN, 38, 38, 2, {8, 6}, 0, S_F32, 1, melody_cfg, NULL, false, false},
        {"basic_rnn, 3 shards", MUSICRNN, 38, 38, 2, {8, 6}, 0, S_Q8, 3, melody_cfg, NULL, false, false},
        {"basic_rnn", MUSICRNN, 38, 38, 2, {8, 6}, 0, S_Q16, 2, melody_cfg, NULL, false, false},
        {"basic_rnn", MUSICRNN, 38, 38, 2, {8, 6}, 0, S_QF16, 1, melody_cfg, NULL, false, false},
        {"basic_rnn", MUSICRNN, 38, 38, 2, {8, 6}, 0, S_F16, 2, melody_cfg, NULL, false, false},
        {"basic_rnn --f16", MUSICRNN, 38, 38, 2, {8, 6}, 0, S_F32, 1, melody_cfg, NULL, true, false},
        {"lookback_rnn (by sizes)", MUSICRNN, 121, 40, 1, {12}, 0, S_F32, 1, NULL, NULL, false, false},
        {"attention_rnn, first cell (default L 40)", ATTN_FIRST_CELL, 74, 40, 2, {8, 8}, 40, S_F32, 2, NULL, NULL, false, false},
        {"attention_rnn, first cell", ATTN_FIRST_CELL, 74, 40, 2, {8, 8}, 40, S_Q8, 2, NULL, NULL, false, false},
        {"drum_kit_rnn, first cell (config.json)", ATTN_FIRST_CELL, 518, 512, 2, {6, 5}, 32, S_Q16, 2, drums_cfg, NULL, false, false},
        {"melody, attention around 1-layer stack", ATTN_STACK, 38, 38, 1, {7}, 5, S_F32, 1, stack_cfg, NULL, false, false},
        {"melody, attention around 1-layer stack", ATTN_STACK, 38, 38, 1, {7}, 5, S_QF16, 2, stack_cfg, NULL, false, false},
        {"melody, attention around 2-layer stack", ATTN_STACK, 38, 38, 2, {7, 7}, 5, S_F32, 1, stack_cfg, NULL, false, false},
        {"melody, attention around 2-layer stack", ATTN_STACK, 38, 38, 2, {6, 9}, 5, S_Q16, 3, stack_cfg, NULL, false, false},
        {"melody, around 2-layer stack --f16", ATTN_STACK, 38, 38, 2, {7, 7}, 5, S_F32, 1, stack_cfg, NULL, true, false},
        {"drum_kit, attention around 3-layer stack", ATTN_STACK, 518, 512, 3, {6, 6, 6}, 32, S_F32, 2, drums_cfg, NULL, false, false},
        {"drum_kit, around 3-layer stack (uneven)", ATTN_STACK, 518, 512, 3, {5, 8, 6}, 32, S_Q8, 2, drums_cfg, NULL, false, false},
        {"drum_kit, around 3-layer stack --magenta-js", ATTN_STACK, 518, 512, 3, {6, 6, 6}, 32, S_F32, 1, drums_js_cfg, NULL,
         false, true},
        {"chord_pitches_improv (config.json)", MUSICRNN, 75, 38, 3, {6, 7, 5}, 0, S_F32, 2, improv_cfg, NULL, false, false},
        {"chord_pitches_improv (--config)", MUSICRNN, 75, 38, 2, {6, 5}, 0, S_Q8, 1, NULL, "chord_pitches_improv", false, false},
        {"piano genie, 2 shards", GENIE, 123, 88, 2, {16, 16}, 0, S_F32, 2, NULL, NULL, false, false},
        {"piano genie", GENIE, 123, 88, 2, {16, 16}, 0, S_Q16, 1, NULL, NULL, false, false},
        {"piano genie --f16", GENIE, 123, 88, 2, {16, 16}, 0, S_QF16, 1, NULL, NULL, true, false},
    };
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++)
        round_trip(&specs[i]);

    /* Refused around the stack: a query kernel sized for one cell's state ([2 U, U]) where the
     * stack's whole state is the query; --magenta-js on a first-cell checkpoint (Magenta.js
     * runs only the stack placement). */
    static const char *const melody_all_cfg = "{\"type\": \"MusicRNN\", \"dataConverter\": {\"type\": \"MelodyConverter\", "
                                              "\"args\": {\"minPitch\": 0, \"maxPitch\": 127}}}";
    for (int which = 0; which < 3; which++) {
        static const char *const labels[] = {"stack query kernel [2U, U]", "--magenta-js, first cell",
                                             "MelodyConverter 0..127"};
        snprintf(context, sizeof context, "%s", labels[which]);
        spec sp = {"refused", which == 1 ? ATTN_FIRST_CELL : ATTN_STACK, 38, 38, 2, {7, 7}, 5, S_F32, 1,
                   which == 2 ? melody_all_cfg : stack_cfg, NULL, false, false};
        char dir[128], out[160], err[160];
        snprintf(dir, sizeof dir, "%s/refused%d", scratch, which);
        mkdir(dir, 0755);
        snprintf(out, sizeof out, "%s/refused.nnm", scratch);
        snprintf(err, sizeof err, "%s/err.txt", scratch);
        ckpt c;
        build(&sp, &c);
        for (int i = 0; i < c.count && which == 0; i++)
            if (strstr(c.t[i].target, "query_kernel"))
                c.t[i].shape_override = "14, 7"; /* 2 x 7 rows: the bytes are longer, the shape is what is checked */
        ckpt_write(&c, dir, false);
        const char *args[] = {"import", dir, "--out", out, which == 1 ? "--magenta-js" : NULL, NULL};
        int rc = run_tool(nn_train, args, NULL, err);
        size_t n;
        char *msg = (char *)read_all(err, &n);
        static const char *const expects[] = {
            "tensor 'rnn/attention_cell_wrapper/attention/kernel' has shape [14, 7], expected [28, 7]",
            "--magenta-js is for checkpoints with the attention wrapper around the whole stack",
            "config.json's MelodyConverter has pitches 0 .. 127"};
        const char *expect = expects[which];
        CHECK(rc == 1 && msg && strstr(msg, expect), "exit %d: %s", rc, msg ? msg : "");
        CHECK(access(out, F_OK) != 0, "output written");
        printf("refused %-28s -> %s", context, msg ? msg : "(no message)\n");
        free(msg);
        ckpt_free(&c);
        context[0] = 0;
    }

    /* (c) */
    error_case(M_MISSING, "missing tensor 'fully_connected/biases'", NULL);
    error_case(M_EXTRA, "unexpected tensor 'rnn/extra_layer/kernel'", NULL);
    error_case(M_SHAPE, "tensor 'fully_connected/weights' has shape [38, 6], expected [6, ?]", NULL);
    error_case(M_TRUNCATED, "truncated shard", "fully_connected/");
    error_case(M_NO_SHARD, "shard missing", "group1-shard2of2");
    error_case(M_JSON, "bad JSON at byte", "weights_manifest.json");
    error_case(M_DTYPE, "unknown dtype 'int32'", "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/bias");
    error_case(M_QDTYPE, "unknown quantization dtype 'int8'", "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel");
    json_case("[{\"paths\": [], \"weights\": []},]", "bad JSON at byte 30: value expected");
    json_case("[{\"paths\": [], \"weights\": []}", "bad JSON at byte 29: ',' or ']' expected");
    json_case("[{\"paths\": [], \"paths\": []}]", "bad JSON at byte 15: duplicate");
    json_case("[01]", "bad JSON at byte 2");
    json_case("[\"a\tb\"]", "bad JSON at byte 3: control character");
    json_case("[1.]", "bad JSON at byte 3");
    json_case("[] x", "bad JSON at byte 3: trailing");
    json_case("[{\"paths\": [\"../x\"], \"weights\": []}]", "relative path inside the folder");

    remove_tree(scratch);
    return check_summary("test_import (synthetic checkpoints)");
}
