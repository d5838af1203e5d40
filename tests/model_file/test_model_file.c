/* test_model_file.c — the model loader on valid, truncated, bit-flipped and inconsistent files; the writer's checks and atomic save.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#define _XOPEN_SOURCE 700

#include "nn.h"
#include "nn_private.h" /* nn_crc32c and the format's limits */

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- Checks -------------------------------------------------------------------------------- */

static int checks_run, checks_failed;

static void check_at(const char *file, int line, bool ok, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void check_at(const char *file, int line, bool ok, const char *what, const char *fmt, ...)
{
    checks_run++;
    if (ok)
        return;
    /* Loops run thousands of checks: past 60 failures only count them. */
    if (++checks_failed > 60)
        return;
    fprintf(stderr, "%s:%d: CHECK(%s) failed: ", file, line, what);
    va_list args;
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
}

#define CHECK(cond, ...) check_at(__FILE__, __LINE__, (cond), #cond, __VA_ARGS__)
#define CHECK_STATUS(got, want, message)                                                                  \
    CHECK((got) == (want), "status %d (%s), expected %d (%s); message \"%s\"", (int)(got), nn_status_text(got), \
          (int)(want), nn_status_text(want), (message))

/* dir + "/" + name; a path too long for the buffer stops the test rather than being cut. */
static void join_path(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "path too long: %s/%s\n", dir, name);
        exit(2);
    }
}

static bool starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* ---- Byte helpers, independent of model_file.c's own -------------------------------------- */

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const unsigned char *p) { return get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }
static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

enum { HEADER = 64, HPARAM_RECORD = 64, TENSOR_RECORD = 128 };
enum { AT_VERSION = 8, AT_KIND = 12, AT_HPARAMS = 16, AT_TENSORS = 20, AT_SIZE = 24, AT_DATA = 32, AT_CRC = 40 };

/* The checksum the format specifies: CRC-32C of the whole file with its own 4 bytes as zero. */
static uint32_t file_crc(const unsigned char *b, size_t size)
{
    static const unsigned char zero[4] = {0};
    uint32_t crc = nn_crc32c(0, b, AT_CRC);
    crc = nn_crc32c(crc, zero, 4);
    return nn_crc32c(crc, b + AT_CRC + 4, size - AT_CRC - 4);
}

static void resign(unsigned char *b, size_t size) { put_u32(b + AT_CRC, file_crc(b, size)); }

static unsigned char *hparam_record(unsigned char *b, const char *name)
{
    uint32_t n = get_u32(b + AT_HPARAMS);
    for (uint32_t i = 0; i < n; i++) {
        unsigned char *r = b + HEADER + (size_t)i * HPARAM_RECORD;
        if (!strncmp((const char *)r, name, 32))
            return r;
    }
    fprintf(stderr, "test bug: no hyperparameter record '%s'\n", name);
    abort();
}

static unsigned char *tensor_record(unsigned char *b, const char *name)
{
    uint32_t nh = get_u32(b + AT_HPARAMS), nt = get_u32(b + AT_TENSORS);
    for (uint32_t i = 0; i < nt; i++) {
        unsigned char *r = b + HEADER + (size_t)nh * HPARAM_RECORD + (size_t)i * TENSOR_RECORD;
        if (!strncmp((const char *)r, name, 96))
            return r;
    }
    fprintf(stderr, "test bug: no tensor record '%s'\n", name);
    abort();
}

/* A name field rewritten whole, NUL-padded, as the writer does. */
static void set_name(unsigned char *field, size_t width, const char *name)
{
    memset(field, 0, width);
    memcpy(field, name, strlen(name));
}

static unsigned char *copy_bytes(const void *b, size_t n)
{
    unsigned char *c = malloc(n ? n : 1);
    if (!c)
        abort();
    if (n)
        memcpy(c, b, n);
    return c;
}

/* A fixed-seed generator (xorshift64*) so every run corrupts the same bytes. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}
static size_t rng_below(size_t n) { return (size_t)(rng_next() % n); }
static float rng_weight(void) { return (float)((double)(rng_next() >> 11) / 9007199254740992.0) - 0.5f; }

/* ---- The model under test ------------------------------------------------------------------ */

enum { INPUT = 5, UNITS0 = 8, UNITS1 = 6, CLASSES = 7, LAYERS = 2 };

typedef struct weights {
    float k0[(INPUT + UNITS0) * 4 * UNITS0], b0[4 * UNITS0];
    float k1[(UNITS0 + UNITS1) * 4 * UNITS1], b1[4 * UNITS1]; /* k1 is stored f16 */
    float ok[UNITS1 * CLASSES], ob[CLASSES];
} weights;

static void fill(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = rng_weight();
}

#define ADD(name, dtype, ndim, array, ...) \
    (st == NN_OK ? st = nn_writer_add(w, name, dtype, ndim, (const int[]){__VA_ARGS__}, array) : st)

/* The model of the tests: two LSTM layers, one kernel in f16, forget_bias 0.75, one string. */
static nn_writer *make_writer(const weights *wt)
{
    nn_writer *w = NULL;
    nn_status st = nn_writer_new(NN_KIND_EVENT_RNN, &w);
    if (st == NN_OK) st = nn_writer_set_int(w, "input_size", INPUT);
    if (st == NN_OK) st = nn_writer_set_int(w, "num_classes", CLASSES);
    if (st == NN_OK) st = nn_writer_set_int(w, "num_layers", LAYERS);
    if (st == NN_OK) st = nn_writer_set_float(w, "forget_bias", 0.75);
    if (st == NN_OK) st = nn_writer_set_string(w, "encoder", "melody_one_hot");
    ADD("rnn/cell_0/kernel", NN_F32, 2, wt->k0, INPUT + UNITS0, 4 * UNITS0);
    ADD("rnn/cell_0/bias", NN_F32, 1, wt->b0, 4 * UNITS0);
    ADD("rnn/cell_1/kernel", NN_F16, 2, wt->k1, UNITS0 + UNITS1, 4 * UNITS1);
    ADD("rnn/cell_1/bias", NN_F32, 1, wt->b1, 4 * UNITS1);
    ADD("output/kernel", NN_F32, 2, wt->ok, UNITS1, CLASSES);
    ADD("output/bias", NN_F32, 1, wt->ob, CLASSES);
    if (st != NN_OK) {
        fprintf(stderr, "cannot build the test model: %s\n", nn_status_text(st));
        exit(2);
    }
    return w;
}

/* ---- A plain reference of the event RNN, from the written weights --------------------------- */

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

static void reference_lstm(const float *kernel, const float *bias, int in, int units, const float *x, float *h,
                           float *c, float forget_bias)
{
    float gates[4 * UNITS0];
    for (int g = 0; g < 4 * units; g++) {
        double s = bias[g];
        for (int r = 0; r < in; r++)
            s += (double)x[r] * kernel[r * 4 * units + g];
        for (int r = 0; r < units; r++)
            s += (double)h[r] * kernel[(in + r) * 4 * units + g];
        gates[g] = (float)s;
    }
    for (int k = 0; k < units; k++) {
        float i = gates[k], j = gates[units + k], f = gates[2 * units + k], o = gates[3 * units + k];
        c[k] = c[k] * sigmoid(f + forget_bias) + sigmoid(i) * tanhf(j);
        h[k] = tanhf(c[k]) * sigmoid(o);
    }
}

typedef struct reference {
    weights wt; /* k1 rounded through f16 as the file stores it */
    float h0[UNITS0], c0[UNITS0], h1[UNITS1], c1[UNITS1];
} reference;

static void reference_step(reference *r, int index, float *logits)
{
    float x[INPUT] = {0};
    if (index >= 0 && index < INPUT)
        x[index] = 1.0f;
    reference_lstm(r->wt.k0, r->wt.b0, INPUT, UNITS0, x, r->h0, r->c0, 0.75f);
    reference_lstm(r->wt.k1, r->wt.b1, UNITS0, UNITS1, r->h0, r->h1, r->c1, 0.75f);
    for (int k = 0; k < CLASSES; k++) {
        double s = r->wt.ob[k];
        for (int u = 0; u < UNITS1; u++)
            s += (double)r->h1[u] * r->wt.ok[u * CLASSES + k];
        logits[k] = (float)s;
    }
}

/* ---- Loading helpers ------------------------------------------------------------------------- */

/* nn_model_load, checking a failure leaves *out NULL and freeing an (unexpected) success. */
static nn_status load_path(const char *path, char *message)
{
    nn_model *m = (nn_model *)(uintptr_t)1;
    nn_status st = nn_model_load(path, &m, message);
    if (st != NN_OK)
        CHECK(m == NULL, "%s: a failed load left *out = %p", path ? path : "(null)", (void *)m);
    nn_model_free(st == NN_OK ? m : NULL);
    return st;
}

/* The same for nn_model_load_memory on the caller's own pointer (NULL included). */
static nn_status load_memory(const void *b, size_t n, const char *name, char *message)
{
    nn_model *m = (nn_model *)(uintptr_t)1;
    nn_status st = nn_model_load_memory(b, n, name, &m, message);
    if (st != NN_OK)
        CHECK(m == NULL, "%s: a failed load left *out = %p", name, (void *)m);
    nn_model_free(st == NN_OK ? m : NULL);
    return st;
}

/* Load from an exact-size heap copy so AddressSanitizer sees any read past the end. */
static nn_status load_copy(const unsigned char *b, size_t n, const char *name, char *message)
{
    unsigned char *exact = copy_bytes(b, n);
    nn_status st = load_memory(exact, n, name, message);
    free(exact);
    return st;
}

/* Sign the patched bytes and check the loader rejects them with this status and text. */
static void expect_crafted(int line, const char *rule, unsigned char *b, size_t n, nn_status want, const char *fragment)
{
    char message[NN_MESSAGE_SIZE];
    resign(b, n);
    nn_status st = load_copy(b, n, "crafted.nnm", message);
    check_at(__FILE__, line, st == want, rule, "status %d (%s), expected %d (%s); message \"%s\"", (int)st,
             nn_status_text(st), (int)want, nn_status_text(want), message);
    check_at(__FILE__, line, starts_with(message, "crafted.nnm: "), rule, "message does not name the file: \"%s\"",
             message);
    check_at(__FILE__, line, strstr(message, fragment) != NULL, rule, "message \"%s\" lacks \"%s\"", message, fragment);
}

/* ---- Tests ----------------------------------------------------------------------------------- */

static unsigned char *base;  /* the valid file */
static size_t base_size;
static unsigned char *work;  /* a patched copy of it (room for appended bytes) */
static weights written;

static unsigned char *fresh(void)
{
    memcpy(work, base, base_size);
    return work;
}

static void test_crc32c(void)
{
    /* The standard check value of CRC-32C over "123456789". */
    CHECK(nn_crc32c(0, "123456789", 9) == 0xe3069283u, "crc32c(\"123456789\") = %08x", nn_crc32c(0, "123456789", 9));
    /* The 8-byte path against the definition, bit by bit: every length 0..300, odd starts, and
     * a buffer cut in two calls (continuing from a CRC). */
    static unsigned char bytes[320];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)(i * 167u + 13u + (i >> 3) * 91u);
    for (size_t start = 0; start < 3; start++)
        for (size_t n = 0; n <= 300; n++) {
            uint32_t want = ~0u;
            for (size_t i = 0; i < n; i++) {
                want ^= bytes[start + i];
                for (int k = 0; k < 8; k++)
                    want = (want >> 1) ^ (0x82f63b78u & (0u - (want & 1u)));
            }
            want = ~want;
            uint32_t whole = nn_crc32c(0, bytes + start, n);
            uint32_t split = nn_crc32c(nn_crc32c(0, bytes + start, n / 3), bytes + start + n / 3, n - n / 3);
            CHECK(whole == want && split == want, "crc32c of %zu bytes at %zu: %08x, in two calls %08x, want %08x", n,
                  start, whole, split, want);
        }
    CHECK(get_u32(base + AT_CRC) == file_crc(base, base_size), "stored %08x, recomputed %08x", get_u32(base + AT_CRC),
          file_crc(base, base_size));
}

static void check_logits_match(const float *got, const float *want, int step, const char *what)
{
    for (int k = 0; k < CLASSES; k++)
        CHECK(fabsf(got[k] - want[k]) <= 1e-4f + 1e-4f * fabsf(want[k]), "%s step %d class %d: %.7g, reference %.7g",
              what, step, k, (double)got[k], (double)want[k]);
}

static void test_valid_load(const char *dir)
{
    char message[NN_MESSAGE_SIZE];
    nn_model *m = NULL;
    nn_status st = nn_model_load_memory(base, base_size, "valid.nnm", &m, message);
    CHECK_STATUS(st, NN_OK, message);
    if (st != NN_OK)
        return;
    CHECK(nn_model_kind(m) == NN_KIND_EVENT_RNN, "kind %d", (int)nn_model_kind(m));
    CHECK(!strcmp(nn_kind_name(nn_model_kind(m)), "event_rnn"), "kind name %s", nn_kind_name(nn_model_kind(m)));
    CHECK(nn_kind_name((nn_kind)99) == NULL, "kind 99 has a name");
    CHECK(nn_model_version(m) == 1, "version %u", nn_model_version(m));

    /* Hyperparameters in the order written, with their types and values. */
    static const struct { const char *name; nn_hparam_type type; int64_t i; double f; const char *s; } hp[] = {
        {"input_size", NN_HPARAM_INT, INPUT, 0, ""},    {"num_classes", NN_HPARAM_INT, CLASSES, 0, ""},
        {"num_layers", NN_HPARAM_INT, LAYERS, 0, ""},   {"forget_bias", NN_HPARAM_FLOAT, 0, 0.75, ""},
        {"encoder", NN_HPARAM_STRING, 0, 0, "melody_one_hot"},
    };
    int nh = nn_model_hparam_count(m);
    CHECK(nh == 5, "%d hyperparameters", nh);
    for (int i = 0; i < nh && i < 5; i++) {
        nn_hparam_info info;
        nn_model_hparam(m, i, &info);
        CHECK(!strcmp(info.name, hp[i].name), "hparam %d is '%s', expected '%s'", i, info.name, hp[i].name);
        CHECK(info.type == hp[i].type, "hparam '%s' type %d", info.name, (int)info.type);
        if (hp[i].type == NN_HPARAM_INT)
            CHECK(info.int_value == hp[i].i, "'%s' = %lld", info.name, (long long)info.int_value);
        if (hp[i].type == NN_HPARAM_FLOAT)
            CHECK(info.float_value == hp[i].f, "'%s' = %g", info.name, info.float_value);
        if (hp[i].type == NN_HPARAM_STRING)
            CHECK(!strcmp(info.string_value, hp[i].s), "'%s' = '%s'", info.name, info.string_value);
    }
    CHECK(nn_model_int(m, "num_layers", -1) == LAYERS, "num_layers");
    CHECK(nn_model_float(m, "num_layers", -1.0) == -1.0, "an int looked up as a float gives the fallback");
    CHECK(nn_model_float(m, "forget_bias", 0) == 0.75, "forget_bias");
    CHECK(!strcmp(nn_model_string(m, "encoder", "x"), "melody_one_hot"), "encoder");
    CHECK(!strcmp(nn_model_string(m, "absent", "fallback"), "fallback"), "absent string");
    CHECK(nn_model_int(m, "absent", 42) == 42, "absent int");

    /* Tensors in the order written. */
    static const struct { const char *name; nn_dtype dtype; int ndim; int dims[2]; } tn[] = {
        {"rnn/cell_0/kernel", NN_F32, 2, {INPUT + UNITS0, 4 * UNITS0}}, {"rnn/cell_0/bias", NN_F32, 1, {4 * UNITS0}},
        {"rnn/cell_1/kernel", NN_F16, 2, {UNITS0 + UNITS1, 4 * UNITS1}}, {"rnn/cell_1/bias", NN_F32, 1, {4 * UNITS1}},
        {"output/kernel", NN_F32, 2, {UNITS1, CLASSES}},                  {"output/bias", NN_F32, 1, {CLASSES}},
    };
    int nt = nn_model_tensor_count(m);
    size_t params = 0;
    CHECK(nt == 6, "%d tensors", nt);
    for (int i = 0; i < nt && i < 6; i++) {
        nn_tensor_info info;
        nn_model_tensor(m, i, &info);
        size_t count = 1;
        CHECK(!strcmp(info.name, tn[i].name), "tensor %d is '%s', expected '%s'", i, info.name, tn[i].name);
        CHECK(info.dtype == tn[i].dtype, "'%s' dtype %s", info.name, nn_dtype_name(info.dtype));
        CHECK(info.ndim == tn[i].ndim, "'%s' ndim %d", info.name, info.ndim);
        for (int d = 0; d < tn[i].ndim; d++) {
            CHECK(info.dims[d] == tn[i].dims[d], "'%s' dim %d is %d, expected %d", info.name, d, info.dims[d],
                  tn[i].dims[d]);
            count *= (size_t)tn[i].dims[d];
        }
        CHECK(info.count == count, "'%s' count %zu, expected %zu", info.name, info.count, count);
        params += count;
    }
    CHECK(nn_model_param_count(m) == params, "param count %zu, expected %zu", nn_model_param_count(m), params);
    CHECK(nn_model_weight_bytes(m) > 0 && nn_model_runner_bytes(m) > 0, "weight %zu, runner %zu bytes",
          nn_model_weight_bytes(m), nn_model_runner_bytes(m));

    /* The runner against a plain re-computation from the weights as written (k1 via f16). */
    nn_rnn *rnn = NULL;
    st = nn_rnn_new(m, &rnn, message);
    CHECK_STATUS(st, NN_OK, message);
    reference ref = {.wt = written};
    for (size_t i = 0; i < sizeof ref.wt.k1 / sizeof *ref.wt.k1; i++)
        ref.wt.k1[i] = nn_f16_to_f32(nn_f32_to_f16(ref.wt.k1[i]));
    static const int inputs[] = {0, 3, 4, -1, 2, INPUT, 1, 1};
    enum { STEPS = sizeof inputs / sizeof *inputs };
    float memory_logits[STEPS][CLASSES];
    if (st == NN_OK) {
        CHECK(nn_rnn_input_size(rnn) == INPUT && nn_rnn_classes(rnn) == CLASSES, "runner sizes %d, %d",
              nn_rnn_input_size(rnn), nn_rnn_classes(rnn));
        for (int s = 0; s < STEPS; s++) {
            const float *logits = nn_rnn_step_class(rnn, inputs[s]);
            float want[CLASSES];
            reference_step(&ref, inputs[s], want);
            for (int k = 0; k < CLASSES; k++)
                CHECK(isfinite(logits[k]), "step %d class %d: logit %g", s, k, (double)logits[k]);
            check_logits_match(logits, want, s, "memory");
            memcpy(memory_logits[s], logits, sizeof memory_logits[s]);
        }
    }
    nn_rnn_free(rnn);
    nn_model_free(m);

    /* The same bytes through a file give bit-identical logits. */
    char path[4096];
    join_path(path, sizeof path, dir, "valid.nnm");
    nn_writer *w = make_writer(&written);
    st = nn_writer_save(w, path, message);
    nn_writer_free(w);
    CHECK_STATUS(st, NN_OK, message);
    m = NULL;
    st = nn_model_load(path, &m, message);
    CHECK_STATUS(st, NN_OK, message);
    rnn = NULL;
    if (st == NN_OK && nn_rnn_new(m, &rnn, message) == NN_OK) {
        for (int s = 0; s < STEPS; s++) {
            const float *logits = nn_rnn_step_class(rnn, inputs[s]);
            CHECK(!memcmp(logits, memory_logits[s], sizeof memory_logits[s]), "file and memory logits differ at step %d",
                  s);
        }
        /* reset starts the sequence again */
        nn_rnn_reset(rnn);
        const float *logits = nn_rnn_step_class(rnn, inputs[0]);
        CHECK(!memcmp(logits, memory_logits[0], sizeof memory_logits[0]), "logits after reset differ from step 0");
    }
    nn_rnn_free(rnn);
    nn_model_free(m);
}

static void test_truncation(void)
{
    char message[NN_MESSAGE_SIZE];
    int wrong = 0;
    for (size_t len = 0; len < base_size; len++) {
        /* Every prefix of a valid file starts with (part of) the magic, so it is never MAGIC. */
        nn_status st = load_copy(base, len, "cut.nnm", message);
        if (st != NN_ERR_TRUNCATED || !starts_with(message, "cut.nnm: ") || !strstr(message, "truncated")) {
            CHECK_STATUS(st, NN_ERR_TRUNCATED, message);
            CHECK(starts_with(message, "cut.nnm: ") && strstr(message, "truncated"), "length %zu: \"%s\"", len, message);
            wrong++;
        }
    }
    CHECK(wrong == 0, "%d of %zu truncations misreported", wrong, base_size);

    /* Short inputs that are not a prefix of the magic are MAGIC, whatever their length. */
    static const unsigned char gif[] = {'G', 'I', 'F', '8', '9', 'a'};
    nn_status st = load_copy(gif, sizeof gif, "short.gif", message);
    CHECK_STATUS(st, NN_ERR_MAGIC, message);
    CHECK(starts_with(message, "short.gif: ") && strstr(message, "magic"), "\"%s\"", message);
    unsigned char one = 0x88;
    st = load_copy(&one, 1, "one.bin", message);
    CHECK_STATUS(st, NN_ERR_MAGIC, message);
    unsigned char *f = fresh();
    f[3] = 'X';
    st = load_copy(f, 40, "prefix.bin", message);
    CHECK_STATUS(st, NN_ERR_MAGIC, message);
    st = load_copy(f, base_size, "whole.bin", message);
    CHECK_STATUS(st, NN_ERR_MAGIC, message);

    /* No bytes at all: the empty prefix of the magic. */
    st = load_copy(base, 0, "empty.nnm", message);
    CHECK_STATUS(st, NN_ERR_TRUNCATED, message);
}

/* The status a single flipped bit must give: the magic, version and size are read before the
 * checksum; everything else, kind and counts included, is caught by the checksum. */
static nn_status expected_for_flip(size_t byte, int bit)
{
    if (byte < 8)
        return NN_ERR_MAGIC;
    if (byte >= AT_VERSION && byte < AT_VERSION + 4) {
        uint32_t version = 1u ^ (1u << (8 * (byte - AT_VERSION) + (size_t)bit));
        return version == 0 ? NN_ERR_MALFORMED : NN_ERR_VERSION;
    }
    if (byte >= AT_SIZE && byte < AT_SIZE + 8) {
        uint64_t size = (uint64_t)base_size ^ (1ull << (8 * (byte - AT_SIZE) + (size_t)bit));
        return size > base_size ? NN_ERR_TRUNCATED : NN_ERR_MALFORMED;
    }
    return NN_ERR_CHECKSUM;
}

static void test_bit_flips(void)
{
    char message[NN_MESSAGE_SIZE];
    int counts[4] = {0}; /* magic/version, size, checksum, wrong */
    for (int trial = 0; trial < 5000; trial++) {
        unsigned char *f = fresh();
        size_t byte = rng_below(base_size);
        int bit = (int)rng_below(8);
        f[byte] ^= (unsigned char)(1u << bit);
        nn_status want = expected_for_flip(byte, bit), st = load_copy(f, base_size, "flip.nnm", message);
        if (st != want) {
            counts[3]++;
            CHECK_STATUS(st, want, message);
            CHECK(0, "flip of bit %d of byte %zu", bit, byte);
        }
        counts[want == NN_ERR_CHECKSUM ? 2 : byte >= AT_SIZE && byte < AT_SIZE + 8 ? 1 : 0]++;
    }
    CHECK(counts[3] == 0, "%d flips gave the wrong status", counts[3]);
    /* Each region was hit, so each expectation above was really exercised. */
    CHECK(counts[0] > 0 && counts[1] > 0 && counts[2] > 0, "regions hit: %d %d %d", counts[0], counts[1], counts[2]);

    /* Every bit of the header, exhaustively: the fields are where the regions say. */
    for (size_t byte = 0; byte < HEADER; byte++)
        for (int bit = 0; bit < 8; bit++) {
            unsigned char *f = fresh();
            f[byte] ^= (unsigned char)(1u << bit);
            nn_status want = expected_for_flip(byte, bit), st = load_copy(f, base_size, "flip.nnm", message);
            if (st != want)
                CHECK(0, "header bit %d of byte %zu: status %s, expected %s (\"%s\")", bit, byte, nn_status_text(st),
                      nn_status_text(want), message);
        }
}

static void test_corruptions(void)
{
    char message[NN_MESSAGE_SIZE];
    int loaded = 0;
    for (int trial = 0; trial < 1000; trial++) {
        unsigned char *f = fresh();
        bool early_fields = false; /* touched the magic, version or size, which precede the checksum */
        int edits = 2 + (int)rng_below(15);
        for (int e = 0; e < edits; e++) {
            /* Half the edits are runs of up to 16 bytes, half single bytes; XOR with nonzero
             * values so every edit really changes the file. */
            size_t at = rng_below(base_size), run = trial % 2 ? 1 + rng_below(16) : 1;
            for (size_t k = 0; k < run && at + k < base_size; k++) {
                f[at + k] ^= (unsigned char)(1 + rng_below(255));
                size_t i = at + k;
                early_fields |= i < AT_VERSION + 4 || (i >= AT_SIZE && i < AT_SIZE + 8);
            }
        }
        nn_status st = load_copy(f, base_size, "corrupt.nnm", message);
        if (st == NN_OK)
            loaded++;
        else if (!early_fields && st != NN_ERR_CHECKSUM)
            CHECK_STATUS(st, NN_ERR_CHECKSUM, message);
    }
    CHECK(loaded == 0, "%d corrupted files loaded", loaded);
}

static void test_crafted(void)
{
    unsigned char *f, *r;
    const size_t n = base_size;
    const uint64_t data_offset = get_u64(base + AT_DATA), data_size = n - data_offset;
    const uint64_t records_end = HEADER + get_u32(base + AT_HPARAMS) * (uint64_t)HPARAM_RECORD +
                                 get_u32(base + AT_TENSORS) * (uint64_t)TENSOR_RECORD;
#define CRAFT(rule, want, fragment) expect_crafted(__LINE__, rule, f, n, want, fragment)

    /* Sanity: re-signing the untouched file keeps it valid. */
    f = fresh();
    resign(f, n);
    char message[NN_MESSAGE_SIZE];
    nn_status st = load_copy(f, n, "resigned.nnm", message);
    CHECK_STATUS(st, NN_OK, message);

    /* Header. */
    f = fresh(); put_u32(f + AT_VERSION, 2); CRAFT("version 2", NN_ERR_VERSION, "format version 2 is newer");
    f = fresh(); put_u32(f + AT_VERSION, 0xffffffffu); CRAFT("version 2^32-1", NN_ERR_VERSION, "version 4294967295");
    f = fresh(); put_u32(f + AT_VERSION, 0); CRAFT("version 0", NN_ERR_MALFORMED, "format version 0 is invalid");
    f = fresh(); put_u32(f + AT_KIND, 99); CRAFT("kind 99", NN_ERR_KIND, "unknown model kind 99");
    f = fresh(); put_u32(f + AT_KIND, 0); CRAFT("kind 0", NN_ERR_KIND, "unknown model kind 0");
    for (int i = 44; i < HEADER; i += 19) {
        char fragment[64];
        snprintf(fragment, sizeof fragment, "reserved header byte %d is not zero", i);
        f = fresh(); f[i] = 0x01; CRAFT("reserved header byte", NN_ERR_MALFORMED, fragment);
    }
    f = fresh(); put_u32(f + AT_HPARAMS, NN_MAX_HPARAMS + 1); CRAFT("hparams over limit", NN_ERR_MALFORMED, "257 hyperparameters");
    f = fresh(); put_u32(f + AT_HPARAMS, 0xffffffffu); CRAFT("hparams 2^32-1", NN_ERR_MALFORMED, "at most 256");
    f = fresh(); put_u32(f + AT_TENSORS, NN_MAX_TENSORS + 1); CRAFT("tensors over limit", NN_ERR_MALFORMED, "4097 tensors");
    /* At the limits the counts pass, but the records then run past the data offset. */
    f = fresh(); put_u32(f + AT_TENSORS, NN_MAX_TENSORS); CRAFT("tensors at limit", NN_ERR_MALFORMED, "data offset");
    f = fresh(); put_u32(f + AT_HPARAMS, NN_MAX_HPARAMS); CRAFT("hparams at limit", NN_ERR_MALFORMED, "data offset");
    f = fresh(); put_u64(f + AT_DATA, data_offset + 8); CRAFT("data offset misaligned", NN_ERR_MALFORMED, "data offset");
    f = fresh(); put_u64(f + AT_DATA, records_end - 64); CRAFT("data offset before records", NN_ERR_MALFORMED, "records end at");
    f = fresh(); put_u64(f + AT_DATA, (n + 63) / 64 * 64 + 64); CRAFT("data offset past end", NN_ERR_MALFORMED, "is invalid");
    f = fresh(); put_u64(f + AT_DATA, 0); CRAFT("data offset 0", NN_ERR_MALFORMED, "data offset 0 is invalid");
    f = fresh(); put_u64(f + AT_DATA, UINT64_MAX - 63); CRAFT("data offset huge", NN_ERR_MALFORMED, "is invalid");
    /* The data offset exactly at the end: the data section is empty, so no tensor fits. */
    f = fresh(); put_u64(f + AT_DATA, n / 64 * 64); CRAFT("data offset at end", NN_ERR_MALFORMED, "tensor 'rnn/cell_0/kernel'");
    /* Bytes after the size the header states (the checksum is not even reached). */
    f = fresh(); memset(f + n, 0, 64); expect_crafted(__LINE__, "trailing bytes", f, n + 64, NN_ERR_MALFORMED, "64 bytes after the end");
    f = fresh(); put_u64(f + AT_SIZE, n - 1); CRAFT("size one short", NN_ERR_MALFORMED, "1 bytes after the end");
    f = fresh(); put_u64(f + AT_SIZE, UINT64_MAX); CRAFT("size huge", NN_ERR_TRUNCATED, "truncated");

    /* Hyperparameter records. */
    f = fresh(); r = hparam_record(f, "num_classes"); memset(r, 'a', 32); CRAFT("hparam name unterminated", NN_ERR_MALFORMED, "hyperparameter 1 has an invalid name");
    f = fresh(); r = hparam_record(f, "num_classes"); r[0] = 0; CRAFT("hparam name empty", NN_ERR_MALFORMED, "hyperparameter 1 has an invalid name");
    f = fresh(); r = hparam_record(f, "num_classes"); r[3] = 0x01; CRAFT("hparam name control char", NN_ERR_MALFORMED, "hyperparameter 1 has an invalid name");
    f = fresh(); r = hparam_record(f, "num_classes"); r[3] = ' '; CRAFT("hparam name space", NN_ERR_MALFORMED, "hyperparameter 1 has an invalid name");
    f = fresh(); r = hparam_record(f, "num_classes"); r[3] = 0xc3; CRAFT("hparam name non-ASCII", NN_ERR_MALFORMED, "hyperparameter 1 has an invalid name");
    f = fresh(); r = hparam_record(f, "num_classes"); r[20] = 'x'; CRAFT("hparam name padding", NN_ERR_MALFORMED, "hyperparameter 1 has an invalid name");
    f = fresh(); r = hparam_record(f, "num_classes"); put_u32(r + 32, 9); CRAFT("hparam type 9", NN_ERR_MALFORMED, "'num_classes' has unknown type 9");
    f = fresh(); r = hparam_record(f, "num_classes"); put_u32(r + 32, 0); CRAFT("hparam type 0", NN_ERR_MALFORMED, "unknown type 0");
    f = fresh(); r = hparam_record(f, "num_classes"); put_u32(r + 36, 1); CRAFT("hparam reserved", NN_ERR_MALFORMED, "'num_classes': reserved field is not zero");
    f = fresh(); r = hparam_record(f, "forget_bias"); put_u64(r + 40, 0x7ff8000000000000ull); CRAFT("hparam NaN", NN_ERR_MALFORMED, "'forget_bias' is NaN");
    f = fresh(); r = hparam_record(f, "forget_bias"); put_u64(r + 40, 0xfff0000000000001ull); CRAFT("hparam signalling NaN", NN_ERR_MALFORMED, "is NaN");
    f = fresh(); r = hparam_record(f, "num_classes"); set_name(r, 32, "input_size"); CRAFT("hparam duplicate", NN_ERR_MALFORMED, "'input_size' appears twice");
    f = fresh(); r = hparam_record(f, "encoder"); memset(r + 40, 'x', 24); CRAFT("string unterminated", NN_ERR_MALFORMED, "'encoder': string is not terminated");
    f = fresh(); r = hparam_record(f, "encoder"); r[42] = '\n'; CRAFT("string not printable", NN_ERR_MALFORMED, "'encoder': string is not printable");
    f = fresh(); r = hparam_record(f, "encoder"); r[42] = 0x80; CRAFT("string non-ASCII", NN_ERR_MALFORMED, "string is not printable");
    /* The kind's own checks on hyperparameters. */
    f = fresh(); r = hparam_record(f, "num_layers"); set_name(r, 32, "num_layerz"); CRAFT("num_layers missing", NN_ERR_MISSING, "missing integer hyperparameter 'num_layers'");
    f = fresh(); r = hparam_record(f, "num_layers"); put_u64(r + 40, 0); CRAFT("num_layers 0", NN_ERR_MALFORMED, "'num_layers' is 0, allowed 1 to 8");
    f = fresh(); r = hparam_record(f, "num_layers"); put_u64(r + 40, 99); CRAFT("num_layers 99", NN_ERR_MALFORMED, "'num_layers' is 99, allowed 1 to 8");
    f = fresh(); r = hparam_record(f, "num_layers"); put_u64(r + 40, (uint64_t)-2); CRAFT("num_layers -2", NN_ERR_MALFORMED, "'num_layers' is -2");
    f = fresh(); r = hparam_record(f, "input_size"); put_u64(r + 40, 1ull << 40); CRAFT("input_size 2^40", NN_ERR_MALFORMED, "'input_size' is 1099511627776");
    f = fresh(); r = hparam_record(f, "num_classes"); put_u64(r + 40, 0); CRAFT("num_classes 0", NN_ERR_MALFORMED, "'num_classes' is 0");
    /* A present hyperparameter out of range is MALFORMED, even at the one value the kind uses
     * internally to mean "absent" (INT64_MIN). */
    f = fresh(); r = hparam_record(f, "input_size"); put_u64(r + 40, (uint64_t)INT64_MIN); CRAFT("input_size INT64_MIN", NN_ERR_MALFORMED, "'input_size' is -9223372036854775808");
    /* A required int stored as another type is an error of its own, not "missing". */
    f = fresh(); r = hparam_record(f, "num_layers"); put_u32(r + 32, NN_HPARAM_FLOAT); CRAFT("num_layers as float", NN_ERR_MALFORMED, "hyperparameter 'num_layers' must be an integer");
    f = fresh(); r = hparam_record(f, "forget_bias"); put_u64(r + 40, 0x7ff0000000000000ull); CRAFT("forget_bias inf", NN_ERR_MALFORMED, "'forget_bias' is inf");
    f = fresh(); r = hparam_record(f, "forget_bias"); { double v = -1000.0; uint64_t bits; memcpy(&bits, &v, 8); put_u64(r + 40, bits); } CRAFT("forget_bias -1000", NN_ERR_MALFORMED, "'forget_bias' is -1000");
    /* forget_bias must be a float when present; an int or string is not silently 1.0. The int
     * INT64_MIN is present too, though it is the value the kind's look-ups use for "absent". */
    f = fresh(); r = hparam_record(f, "forget_bias"); put_u32(r + 32, NN_HPARAM_INT); put_u64(r + 40, 1); CRAFT("forget_bias as int", NN_ERR_MALFORMED, "'forget_bias' must be a float");
    f = fresh(); r = hparam_record(f, "forget_bias"); put_u32(r + 32, NN_HPARAM_STRING); memset(r + 40, 0, 24); memcpy(r + 40, "1.0", 3); CRAFT("forget_bias as string", NN_ERR_MALFORMED, "'forget_bias' must be a float");
    f = fresh(); r = hparam_record(f, "forget_bias"); put_u32(r + 32, NN_HPARAM_INT); put_u64(r + 40, (uint64_t)INT64_MIN); CRAFT("forget_bias as int INT64_MIN", NN_ERR_MALFORMED, "'forget_bias' must be a float");
    /* One more num_layers than there are cells: the missing cell is named. */
    f = fresh(); r = hparam_record(f, "num_layers"); put_u64(r + 40, 3); CRAFT("num_layers 3", NN_ERR_MISSING, "missing tensor 'rnn/cell_2/bias'");

    /* Tensor records. */
    f = fresh(); r = tensor_record(f, "output/bias"); memset(r, 'a', 96); CRAFT("tensor name unterminated", NN_ERR_MALFORMED, "tensor 5 has an invalid name");
    f = fresh(); r = tensor_record(f, "output/bias"); r[0] = 0; CRAFT("tensor name empty", NN_ERR_MALFORMED, "tensor 5 has an invalid name");
    f = fresh(); r = tensor_record(f, "output/bias"); r[2] = 0x7f; CRAFT("tensor name DEL", NN_ERR_MALFORMED, "tensor 5 has an invalid name");
    f = fresh(); r = tensor_record(f, "output/bias"); put_u32(r + 96, 7); CRAFT("dtype 7", NN_ERR_MALFORMED, "'output/bias' has unknown dtype 7");
    f = fresh(); r = tensor_record(f, "output/bias"); put_u32(r + 100, 0); CRAFT("ndim 0", NN_ERR_MALFORMED, "'output/bias' has 0 dimensions (1 to 4 allowed)");
    f = fresh(); r = tensor_record(f, "output/bias"); put_u32(r + 100, 5); CRAFT("ndim 5", NN_ERR_MALFORMED, "'output/bias' has 5 dimensions");
    f = fresh(); r = tensor_record(f, "output/kernel"); put_u32(r + 108, 0); CRAFT("zero dimension", NN_ERR_MALFORMED, "'output/kernel': dimension 1 is 0");
    f = fresh(); r = tensor_record(f, "output/kernel"); put_u32(r + 104, (1u << 24) + 1); CRAFT("dimension over 2^24", NN_ERR_MALFORMED, "dimension 0 is 16777217");
    f = fresh(); r = tensor_record(f, "output/bias"); put_u32(r + 108, 3); CRAFT("unused dimension", NN_ERR_MALFORMED, "'output/bias': unused dimension 1 is not zero");
    f = fresh(); r = tensor_record(f, "output/kernel"); put_u32(r + 116, 1); CRAFT("unused dimension 3", NN_ERR_MALFORMED, "unused dimension 3 is not zero");
    /* 2^24 in every dimension is 2^96 elements: caught before the product overflows. */
    f = fresh(); r = tensor_record(f, "output/kernel"); put_u32(r + 100, 4); for (int d = 0; d < 4; d++) put_u32(r + 104 + 4 * d, 1u << 24);
    CRAFT("dims overflow", NN_ERR_MALFORMED, "'output/kernel' is larger than the file's data");
    /* 2^16 * 2^16 = 2^32 elements: a product that a 32-bit count would wrap to 0. */
    f = fresh(); r = tensor_record(f, "output/kernel"); put_u32(r + 104, 1u << 16); put_u32(r + 108, 1u << 16);
    CRAFT("dims 2^32", NN_ERR_MALFORMED, "larger than the file's data");
    f = fresh(); r = tensor_record(f, "output/kernel"); put_u64(r + 120, get_u64(r + 120) + 4); CRAFT("tensor offset misaligned", NN_ERR_MALFORMED, "'output/kernel' at data offset");
    f = fresh(); r = tensor_record(f, "output/kernel"); put_u64(r + 120, (data_size + 63) / 64 * 64 + 64); CRAFT("tensor offset past data", NN_ERR_MALFORMED, "does not fit");
    f = fresh(); r = tensor_record(f, "output/kernel"); put_u64(r + 120, UINT64_MAX - 63); CRAFT("tensor offset huge", NN_ERR_MALFORMED, "does not fit");
    /* The last aligned offset: the start is inside the data, the end is not. */
    f = fresh(); r = tensor_record(f, "output/kernel"); put_u64(r + 120, (data_size - 1) / 64 * 64); CRAFT("tensor runs past data", NN_ERR_MALFORMED, "does not fit");
    /* The last tensor one element longer than the bytes left, overlapping nothing. */
    f = fresh(); r = tensor_record(f, "output/bias"); put_u32(r + 104, CLASSES + 1); CRAFT("last tensor too long", NN_ERR_MALFORMED, "'output/bias' at data offset");
    {
        uint64_t kernel_at = get_u64(tensor_record(base, "output/kernel") + 120);
        f = fresh(); r = tensor_record(f, "output/bias"); put_u64(r + 120, kernel_at); CRAFT("tensors overlap (same start)", NN_ERR_MALFORMED, "two tensors overlap");
        uint64_t bias0_at = get_u64(tensor_record(base, "rnn/cell_0/bias") + 120);
        f = fresh(); r = tensor_record(f, "rnn/cell_0/bias"); put_u64(r + 120, bias0_at - 64); CRAFT("tensors overlap (inside)", NN_ERR_MALFORMED, "two tensors overlap");
    }
    f = fresh(); r = tensor_record(f, "output/bias"); set_name(r, 96, "output/kernel"); CRAFT("tensor duplicate", NN_ERR_MALFORMED, "'output/kernel' appears twice");
    f = fresh(); r = tensor_record(f, "output/bias"); set_name(r, 96, "output/biaz"); CRAFT("missing output/bias", NN_ERR_MISSING, "missing tensor 'output/bias'");
    f = fresh(); r = tensor_record(f, "rnn/cell_1/kernel"); set_name(r, 96, "rnn/cell_1/kernek"); CRAFT("missing cell_1 kernel", NN_ERR_MISSING, "missing tensor 'rnn/cell_1/kernel'");
    f = fresh(); r = tensor_record(f, "rnn/cell_0/kernel"); put_u32(r + 104, INPUT + UNITS0 - 1); CRAFT("kernel wrong shape", NN_ERR_SHAPE, "'rnn/cell_0/kernel' has shape [12, 32], expected [13, 32]");
    f = fresh(); r = tensor_record(f, "output/kernel"); put_u32(r + 104, CLASSES); put_u32(r + 108, UNITS1); CRAFT("output kernel transposed", NN_ERR_SHAPE, "has shape [7, 6], expected [6, 7]");
    f = fresh(); r = tensor_record(f, "output/kernel"); put_u32(r + 100, 3); put_u32(r + 112, 1); CRAFT("kernel with 3 dims", NN_ERR_SHAPE, "has shape [6, 7, 1], expected [6, 7]");
    f = fresh(); r = tensor_record(f, "rnn/cell_1/bias"); put_u32(r + 104, 4 * UNITS1 - 2); CRAFT("bias not 4 units", NN_ERR_SHAPE, "'rnn/cell_1/bias' must be [4 * units]");
    f = fresh(); r = tensor_record(f, "output/bias"); put_u32(r + 104, CLASSES - 1); CRAFT("output bias short", NN_ERR_SHAPE, "'output/bias' has shape [6], expected [7]");
    /* One layer fewer: the output kernel no longer follows the last cell. */
    f = fresh(); r = hparam_record(f, "num_layers"); put_u64(r + 40, 1); CRAFT("num_layers 1", NN_ERR_SHAPE, "'output/kernel' has shape [6, 7], expected [8, 7]");
#undef CRAFT
}

static bool has_temp_file(const char *dir)
{
    DIR *d = opendir(dir);
    bool found = false;
    if (!d)
        return false;
    for (struct dirent *e; (e = readdir(d));)
        found |= strstr(e->d_name, ".tmp-") != NULL;
    closedir(d);
    return found;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* The whole file in a malloc'd buffer, or NULL. */
static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    unsigned char *b = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 4096;
            b = realloc(b, cap);
            if (!b)
                abort();
        }
        size_t got = fread(b + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    fclose(fp);
    *size = n;
    return b;
}

static bool file_equals(const char *path, const void *bytes, size_t size)
{
    size_t n = 0;
    unsigned char *b = read_file(path, &n);
    bool same = b && n == size && !memcmp(b, bytes, size);
    free(b);
    return same;
}

static void write_file(const char *path, const void *bytes, size_t size)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(bytes, 1, size, fp) != size || fclose(fp) != 0) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        exit(2);
    }
}

static void test_model_load_paths(const char *dir)
{
    char message[NN_MESSAGE_SIZE], path[4096];

    join_path(path, sizeof path, dir, "does-not-exist.nnm");
    nn_status st = load_path(path, message);
    CHECK_STATUS(st, NN_ERR_IO, message);
    CHECK(starts_with(message, path) && strstr(message, strerror(ENOENT)), "\"%s\"", message);

    st = load_path(dir, message);
    CHECK_STATUS(st, NN_ERR_IO, message);
    CHECK(starts_with(message, dir) && strstr(message, "not a regular file"), "\"%s\"", message);

    join_path(path, sizeof path, dir, "empty.nnm");
    write_file(path, "", 0);
    st = load_path(path, message);
    CHECK_STATUS(st, NN_ERR_TRUNCATED, message);
    CHECK(starts_with(message, path) && strstr(message, "truncated"), "\"%s\"", message);

    /* A damaged file on disk says which file. */
    join_path(path, sizeof path, dir, "flipped.nnm");
    unsigned char *f = fresh();
    f[base_size - 1] ^= 0x10;
    write_file(path, f, base_size);
    st = load_path(path, message);
    CHECK_STATUS(st, NN_ERR_CHECKSUM, message);
    CHECK(starts_with(message, path) && strstr(message, "checksum"), "\"%s\"", message);
    st = load_path(path, NULL); /* no message buffer is allowed */
    CHECK_STATUS(st, NN_ERR_CHECKSUM, "(none)");

    st = load_path(NULL, message);
    CHECK_STATUS(st, NN_ERR_ARGUMENT, message);
    st = load_path("", message);
    CHECK_STATUS(st, NN_ERR_ARGUMENT, message);
    st = nn_model_load(path, NULL, message); /* no place for the model */
    CHECK_STATUS(st, NN_ERR_ARGUMENT, message);
    st = nn_model_load_memory(base, base_size, "x", NULL, message);
    CHECK_STATUS(st, NN_ERR_ARGUMENT, message);
    st = load_memory(NULL, 100, "x", message);
    CHECK_STATUS(st, NN_ERR_ARGUMENT, message);

    /* A name longer than the message buffer is cut, never overflowed. */
    char long_name[1200];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    st = load_memory(base, 10, long_name, message);
    CHECK_STATUS(st, NN_ERR_TRUNCATED, "(long)");
    CHECK(strlen(message) < NN_MESSAGE_SIZE, "message of %zu bytes", strlen(message));

    /* A FIFO is not a model file and must not block the loader waiting for a writer: the load
     * runs in a child with an alarm so a hang fails the test instead of stalling it. */
    join_path(path, sizeof path, dir, "fifo.nnm");
    if (mkfifo(path, 0600) == 0) {
        fflush(NULL);
        pid_t child = fork();
        if (child == 0) {
            alarm(2);
            nn_model *fm = NULL;
            char why[NN_MESSAGE_SIZE];
            _exit(nn_model_load(path, &fm, why) == NN_ERR_IO ? 0 : 1);
        }
        int wstatus = 0;
        CHECK(child > 0 && waitpid(child, &wstatus, 0) == child, "fork/waitpid: %s", strerror(errno));
        CHECK(!WIFSIGNALED(wstatus), "nn_model_load on a FIFO hung (killed by signal %d)",
              WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
        CHECK(!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) == 0, "nn_model_load on a FIFO did not give NN_ERR_IO");
        unlink(path);
    }
}

static void test_writer_save(const char *dir)
{
    char message[NN_MESSAGE_SIZE], path[4096], other[4096];
    weights second;
    fill((float *)&second, sizeof second / sizeof(float));
    nn_writer *first_w = make_writer(&written), *second_w = make_writer(&second);
    void *second_bytes = NULL;
    size_t second_size = 0;
    CHECK(nn_writer_to_memory(second_w, &second_bytes, &second_size) == NN_OK, "to_memory");

    char sub[4096];
    join_path(sub, sizeof sub, dir, "save");
    CHECK(mkdir(sub, 0755) == 0, "mkdir %s: %s", sub, strerror(errno));

    /* A fresh save: complete, readable by everyone, no temporary file left beside it. */
    join_path(path, sizeof path, sub, "model.nnm");
    nn_status st = nn_writer_save(first_w, path, message);
    CHECK_STATUS(st, NN_OK, message);
    CHECK(file_equals(path, base, base_size), "saved file differs from nn_writer_to_memory's bytes");
    CHECK(!has_temp_file(sub), "a temporary file was left in %s", sub);
    CHECK(count_entries(sub) == 1, "%d entries in %s", count_entries(sub), sub);
    struct stat info;
    CHECK(stat(path, &info) == 0 && (info.st_mode & 0777) == 0644, "mode %o", (unsigned)(info.st_mode & 0777));

    /* Saving over it replaces it whole. */
    st = nn_writer_save(second_w, path, message);
    CHECK_STATUS(st, NN_OK, message);
    CHECK(file_equals(path, second_bytes, second_size), "the second save did not replace the file");
    CHECK(!has_temp_file(sub) && count_entries(sub) == 1, "leftovers in %s", sub);

    /* A failed rename (the target is a non-empty directory) changes nothing: not the directory,
     * not its contents, not the model beside it, and leaves no temporary file. */
    join_path(other, sizeof other, sub, "busy.nnm");
    CHECK(mkdir(other, 0755) == 0, "mkdir %s", other);
    char inside[4096];
    join_path(inside, sizeof inside, other, "keep");
    write_file(inside, "keep me", 7);
    st = nn_writer_save(first_w, other, message);
    CHECK_STATUS(st, NN_ERR_IO, message);
    CHECK(starts_with(message, other) && strstr(message, "rename"), "\"%s\"", message);
    CHECK(stat(other, &info) == 0 && S_ISDIR(info.st_mode), "the target directory is gone");
    CHECK(file_equals(inside, "keep me", 7) && count_entries(other) == 1, "the target directory's contents changed");
    CHECK(file_equals(path, second_bytes, second_size), "the model beside the target changed");
    CHECK(!has_temp_file(sub) && count_entries(sub) == 2, "leftovers in %s (%d entries)", sub, count_entries(sub));
    unlink(inside);
    rmdir(other);

    /* Without permission to create the temporary file the existing model stays as it was
     * (root ignores directory permissions, so only as another user). */
    if (geteuid() != 0) {
        CHECK(chmod(sub, 0555) == 0, "chmod");
        st = nn_writer_save(first_w, path, message);
        CHECK_STATUS(st, NN_ERR_IO, message);
        CHECK(file_equals(path, second_bytes, second_size), "a failed save changed the existing model");
        chmod(sub, 0755);
        CHECK(!has_temp_file(sub), "leftovers in %s", sub);
    }

    /* Into a folder that does not exist: IO, naming the path. */
    join_path(path, sizeof path, dir, "no-such-folder/model.nnm");
    st = nn_writer_save(first_w, path, message);
    CHECK_STATUS(st, NN_ERR_IO, message);
    CHECK(starts_with(message, path) && strstr(message, strerror(ENOENT)), "\"%s\"", message);

    st = nn_writer_save(first_w, "", message);
    CHECK_STATUS(st, NN_ERR_ARGUMENT, message);
    st = nn_writer_save(first_w, NULL, message);
    CHECK_STATUS(st, NN_ERR_ARGUMENT, message);
    st = nn_writer_save(NULL, path, message);
    CHECK_STATUS(st, NN_ERR_ARGUMENT, message);

    free(second_bytes);
    nn_writer_free(first_w);
    nn_writer_free(second_w);
}

static void test_writer_arguments(void)
{
    nn_writer *w = NULL;
    const float data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    CHECK(nn_writer_new((nn_kind)99, &w) == NN_ERR_KIND && w == NULL, "writer of kind 99");
    CHECK(nn_writer_new(NN_KIND_EVENT_RNN, NULL) == NN_ERR_ARGUMENT, "writer without out");
    if (nn_writer_new(NN_KIND_EVENT_RNN, &w) != NN_OK) {
        CHECK(0, "nn_writer_new failed");
        return;
    }
#define ARG(call) CHECK((call) == NN_ERR_ARGUMENT, "%s accepted", #call)
#define OK(call) CHECK((call) == NN_OK, "%s failed", #call)
    /* Tensors. */
    OK(nn_writer_add(w, "t", NN_F32, 1, (const int[]){8}, data));
    ARG(nn_writer_add(w, "t", NN_F32, 1, (const int[]){8}, data));     /* duplicate name */
    ARG(nn_writer_add(w, "t", NN_F16, 2, (const int[]){2, 4}, data));  /* duplicate, other shape */
    ARG(nn_writer_add(w, "", NN_F32, 1, (const int[]){8}, data));
    ARG(nn_writer_add(w, NULL, NN_F32, 1, (const int[]){8}, data));
    ARG(nn_writer_add(w, "a b", NN_F32, 1, (const int[]){8}, data));
    ARG(nn_writer_add(w, "tab\t", NN_F32, 1, (const int[]){8}, data));
    ARG(nn_writer_add(w, "del\x7f", NN_F32, 1, (const int[]){8}, data));
    ARG(nn_writer_add(w, "caf\xc3\xa9", NN_F32, 1, (const int[]){8}, data));
    ARG(nn_writer_add(w, "u", NN_F32, 0, (const int[]){8}, data));      /* ndim 0 */
    ARG(nn_writer_add(w, "u", NN_F32, 5, (const int[]){1, 1, 1, 1, 8}, data));
    ARG(nn_writer_add(w, "u", NN_F32, 1, (const int[]){0}, data));
    ARG(nn_writer_add(w, "u", NN_F32, 1, (const int[]){-8}, data));
    ARG(nn_writer_add(w, "u", NN_F32, 1, (const int[]){(1 << 24) + 1}, data));
    ARG(nn_writer_add(w, "u", (nn_dtype)7, 1, (const int[]){8}, data));
    ARG(nn_writer_add(w, "u", NN_F32, 1, NULL, data));
    ARG(nn_writer_add(w, "u", NN_F32, 1, (const int[]){8}, NULL));
    ARG(nn_writer_add(NULL, "u", NN_F32, 1, (const int[]){8}, data));
    char tname[NN_TENSOR_NAME_MAX + 2];
    memset(tname, 'x', sizeof tname - 1);
    tname[sizeof tname - 1] = 0;
    ARG(nn_writer_add(w, tname, NN_F32, 1, (const int[]){8}, data)); /* 96 characters */
    tname[NN_TENSOR_NAME_MAX] = 0;
    OK(nn_writer_add(w, tname, NN_F32, 1, (const int[]){8}, data)); /* 95 fit */

    /* Hyperparameters. */
    char hname[NN_HPARAM_NAME_MAX + 2];
    memset(hname, 'h', sizeof hname - 1);
    hname[sizeof hname - 1] = 0;
    ARG(nn_writer_set_int(w, hname, 1)); /* 32 characters */
    hname[NN_HPARAM_NAME_MAX] = 0;
    OK(nn_writer_set_int(w, hname, 1));
    ARG(nn_writer_set_int(w, "", 1));
    ARG(nn_writer_set_int(w, NULL, 1));
    ARG(nn_writer_set_int(w, "sp ace", 1));
    ARG(nn_writer_set_int(NULL, "x", 1));
    ARG(nn_writer_set_float(w, "f", NAN));
    ARG(nn_writer_set_float(w, "bad name", 1.0));
    char value[NN_HPARAM_STRING_MAX + 2];
    memset(value, 's', sizeof value - 1);
    value[sizeof value - 1] = 0;
    ARG(nn_writer_set_string(w, "s", value)); /* 24 characters: too long */
    value[NN_HPARAM_STRING_MAX] = 0;
    OK(nn_writer_set_string(w, "s", value)); /* 23 fit */
    ARG(nn_writer_set_string(w, "s2", "line\nbreak"));
    ARG(nn_writer_set_string(w, "s2", NULL));
    ARG(nn_writer_set_string(w, "bad name", "v"));
    OK(nn_writer_set_string(w, "empty", ""));
    OK(nn_writer_set_int(w, "big", INT64_MAX));
    OK(nn_writer_set_int(w, "small", INT64_MIN));
    OK(nn_writer_set_float(w, "tiny", 4.9406564584124654e-324));
    OK(nn_writer_set_float(w, "ninf", -INFINITY));
    OK(nn_writer_set_int(w, "again", 1));
    OK(nn_writer_set_int(w, "again", 2)); /* setting again replaces, not adds */
    ARG(nn_writer_to_memory(NULL, &(void *){NULL}, &(size_t){0}));
    ARG(nn_writer_to_memory(w, NULL, &(size_t){0}));
    ARG(nn_writer_to_memory(w, &(void *){NULL}, NULL));

    /* The record layer round-trips every value exactly (the kind check fails later, as this
     * is no event RNN: the records themselves were accepted). */
    void *bytes = NULL;
    size_t size = 0;
    OK(nn_writer_to_memory(w, &bytes, &size));
    char message[NN_MESSAGE_SIZE];
    nn_model *m = NULL;
    nn_status st = load_memory(bytes, size, "args.nnm", message);
    CHECK_STATUS(st, NN_ERR_MISSING, message);
    CHECK(get_u32((unsigned char *)bytes + AT_HPARAMS) == 8, "%u hyperparameter records", get_u32((unsigned char *)bytes + AT_HPARAMS));
    /* Add the event RNN's hyperparameters and tensors so the same file loads. */
    OK(nn_writer_set_int(w, "input_size", 1));
    OK(nn_writer_set_int(w, "num_classes", 1));
    OK(nn_writer_set_int(w, "num_layers", 1));
    OK(nn_writer_add(w, "rnn/cell_0/kernel", NN_F32, 2, (const int[]){2, 4}, data));
    OK(nn_writer_add(w, "rnn/cell_0/bias", NN_F16, 1, (const int[]){4}, data));
    OK(nn_writer_add(w, "output/kernel", NN_F16, 2, (const int[]){1, 1}, data));
    OK(nn_writer_add(w, "output/bias", NN_F32, 1, (const int[]){1}, data));
    free(bytes);
    OK(nn_writer_to_memory(w, &bytes, &size));
    st = nn_model_load_memory(bytes, size, "args.nnm", &m, message);
    CHECK_STATUS(st, NN_OK, message);
    if (st == NN_OK) {
        CHECK(nn_model_int(m, "big", 0) == INT64_MAX, "big");
        CHECK(nn_model_int(m, "small", 0) == INT64_MIN, "small");
        CHECK(nn_model_float(m, "tiny", 0) == 4.9406564584124654e-324, "tiny");
        CHECK(nn_model_float(m, "ninf", 0) == -INFINITY, "ninf");
        CHECK(nn_model_int(m, "again", 0) == 2, "again");
        CHECK(!strcmp(nn_model_string(m, "s", ""), value), "23-character string");
        CHECK(!strcmp(nn_model_string(m, "empty", "x"), ""), "empty string");
        CHECK(nn_model_int(m, hname, 0) == 1, "31-character name");
        CHECK(nn_model_find(m, tname) != NULL, "95-character tensor name");
    }
    nn_model_free(m);
    free(bytes);

    /* The hyperparameter table is full at NN_MAX_HPARAMS. */
    nn_writer *full = NULL;
    OK(nn_writer_new(NN_KIND_EVENT_RNN, &full));
    int accepted = 0;
    for (int i = 0; i < NN_MAX_HPARAMS + 1; i++) {
        char name[32];
        snprintf(name, sizeof name, "h%d", i);
        accepted += nn_writer_set_int(full, name, i) == NN_OK;
    }
    CHECK(accepted == NN_MAX_HPARAMS, "%d hyperparameters accepted", accepted);
    nn_writer_free(full);
    nn_writer_free(w);
    nn_writer_free(NULL);
#undef ARG
#undef OK
}

/* NULL with size 0 is allowed (only NULL with a size is an argument error): no bytes, so
 * TRUNCATED like any empty input. Last, as UndefinedBehaviorSanitizer (halt_on_error) stops
 * here if the loader hands NULL to memcmp. */
static void test_null_empty_input(void)
{
    char message[NN_MESSAGE_SIZE];
    nn_status st = load_memory(NULL, 0, "null.nnm", message);
    CHECK_STATUS(st, NN_ERR_TRUNCATED, message);
}

static int remove_entry(const char *path, const struct stat *info, int flag, struct FTW *ftw)
{
    (void)info, (void)flag, (void)ftw;
    chmod(path, 0755);
    return remove(path);
}

/* ---- The event_rnn's optional input projection (Piano Genie's decoder) --------------------- */

enum { PJ_IN = 7, PJ_U = 5, PJ_CLASSES = 4 };

/* A one-layer model with input/kernel [rows, cols] and input/bias [bias_len] (0: left out). */
static nn_status projection_model(int rows, int cols, int bias_len, nn_dtype dtype, const float *w, nn_model **out,
                                  char *message)
{
    static float values[4096];
    fill(values, 4096);
    nn_writer *wr = NULL;
    nn_writer_new(NN_KIND_EVENT_RNN, &wr);
    nn_writer_set_int(wr, "input_size", PJ_IN);
    nn_writer_set_int(wr, "num_classes", PJ_CLASSES);
    nn_writer_set_int(wr, "num_layers", 1);
    nn_writer_set_string(wr, "encoding", "piano_genie");
    if (rows)
        nn_writer_add(wr, "input/kernel", dtype, 2, (int[]){rows, cols}, w ? w : values);
    if (bias_len)
        nn_writer_add(wr, "input/bias", NN_F32, 1, (int[]){bias_len}, w ? w + rows * cols : values + 100);
    nn_writer_add(wr, "rnn/cell_0/kernel", dtype, 2, (int[]){2 * PJ_U, 4 * PJ_U}, w ? w + 200 : values + 200);
    nn_writer_add(wr, "rnn/cell_0/bias", NN_F32, 1, (int[]){4 * PJ_U}, w ? w + 600 : values + 600);
    nn_writer_add(wr, "output/kernel", dtype, 2, (int[]){PJ_U, PJ_CLASSES}, w ? w + 700 : values + 700);
    nn_writer_add(wr, "output/bias", NN_F32, 1, (int[]){PJ_CLASSES}, w ? w + 800 : values + 800);
    void *bytes = NULL;
    size_t size = 0;
    nn_writer_to_memory(wr, &bytes, &size);
    nn_writer_free(wr);
    nn_status st = nn_model_load_memory(bytes, size, "projection.nnm", out, message);
    free(bytes);
    return st;
}

static void test_input_projection(void)
{
    char message[NN_MESSAGE_SIZE];
    nn_model *m = NULL;
    /* Both tensors or neither; rows = input_size; columns = the first cell's units. */
    nn_status st = projection_model(0, 0, PJ_U, NN_F32, NULL, &m, message);
    CHECK_STATUS(st, NN_ERR_MISSING, message);
    CHECK(strstr(message, "input/bias") && strstr(message, "input/kernel"), "%s", message);
    st = projection_model(PJ_IN, PJ_U, 0, NN_F32, NULL, &m, message);
    CHECK_STATUS(st, NN_ERR_MISSING, message);
    st = projection_model(PJ_IN + 1, PJ_U, PJ_U, NN_F32, NULL, &m, message);
    CHECK_STATUS(st, NN_ERR_SHAPE, message);
    CHECK(strstr(message, "input/kernel") != NULL, "%s", message);
    st = projection_model(PJ_IN, PJ_U + 1, PJ_U + 1, NN_F32, NULL, &m, message);
    CHECK_STATUS(st, NN_ERR_SHAPE, message);
    st = projection_model(PJ_IN, PJ_U, PJ_U - 1, NN_F32, NULL, &m, message);
    CHECK_STATUS(st, NN_ERR_SHAPE, message);
    CHECK(strstr(message, "input/bias") != NULL, "%s", message);

    /* A valid one: the class path (kernel row + bias) equals the vector path on the one-hot,
     * an out-of-range class is the bias alone (a zero vector), and both match a scalar
     * reference of x·W + b followed by the LSTM and the dense layer. */
    for (int f16 = 0; f16 < 2; f16++) {
        static float w[1024];
        fill(w, 1024);
        st = projection_model(PJ_IN, PJ_U, PJ_U, f16 ? NN_F16 : NN_F32, w, &m, message);
        CHECK_STATUS(st, NN_OK, message);
        if (st)
            continue;
        nn_rnn *a = NULL, *b = NULL;
        nn_rnn_new(m, &a, message);
        nn_rnn_new(m, &b, message);
        float h[PJ_U] = {0}, c[PJ_U] = {0}, onehot[PJ_IN], want[PJ_CLASSES];
        double worst = 0, worst_ref = 0;
        for (int t = 0; t < 12; t++) {
            int index = t == 5 ? PJ_IN + 3 : (t * 3) % PJ_IN;
            memset(onehot, 0, sizeof onehot);
            if (index < PJ_IN)
                onehot[index] = 1;
            const float *la = nn_rnn_step_class(a, index), *lb = nn_rnn_step(b, onehot);
            /* the reference, on the same (f16-rounded when stored so) weights */
            float x[PJ_U];
            for (int k = 0; k < PJ_U; k++) {
                x[k] = w[PJ_IN * PJ_U + k];
                if (index < PJ_IN)
                    x[k] += f16 ? nn_f16_to_f32(nn_f32_to_f16(w[index * PJ_U + k])) : w[index * PJ_U + k];
            }
            float kernel[2 * PJ_U * 4 * PJ_U], out_k[PJ_U * PJ_CLASSES];
            for (int i = 0; i < 2 * PJ_U * 4 * PJ_U; i++)
                kernel[i] = f16 ? nn_f16_to_f32(nn_f32_to_f16(w[200 + i])) : w[200 + i];
            for (int i = 0; i < PJ_U * PJ_CLASSES; i++)
                out_k[i] = f16 ? nn_f16_to_f32(nn_f32_to_f16(w[700 + i])) : w[700 + i];
            reference_lstm(kernel, w + 600, PJ_U, PJ_U, x, h, c, 1.0f);
            for (int o = 0; o < PJ_CLASSES; o++) {
                want[o] = w[800 + o];
                for (int k = 0; k < PJ_U; k++)
                    want[o] += h[k] * out_k[k * PJ_CLASSES + o];
            }
            for (int o = 0; o < PJ_CLASSES; o++) {
                worst = fmax(worst, fabs(la[o] - lb[o]));
                worst_ref = fmax(worst_ref, fabs(la[o] - want[o]));
            }
        }
        CHECK(worst <= 1e-6, "projection: class and vector paths differ by %g", worst);
        CHECK(worst_ref <= 1e-5, "projection: logits %g from the reference (%s)", worst_ref, f16 ? "f16" : "f32");
        nn_rnn_free(a);
        nn_rnn_free(b);
        nn_model_free(m);
    }
}

/* ---- The event_rnn's attention around the whole stack (attn_cells "stack") -------------------- */

enum { SA_IN = 6, SA_U0 = 5, SA_U1 = 7, SA_CLASSES = 4, SA_L = 3 };

typedef enum stack_case {
    SA_VALID, SA_FIRST_WORD, SA_CELLS_INT, SA_CELLS_WORD, SA_NO_LENGTH, SA_QUERY_ONE_CELL, SA_OUTPUT_UNITS0,
    SA_MISSING_V, SA_FIRST_CELL_NAMES, SA_CASES
} stack_case;

/* A two-layer model (units 5 and 7) with the wrapper's tensors for the stack: U = 7, the query
 * reads [c_0, h_0, c_1, h_1] (24 values); each case breaks one rule (SA_FIRST_WORD: an explicit
 * attn_cells "first" with the first cell's tensors, valid). */
static nn_status stack_model(stack_case which, nn_model **out, char *message)
{
    static float values[8192];
    fill(values, 8192);
    const int U = which == SA_FIRST_WORD ? SA_U0 : SA_U1, S = which == SA_FIRST_WORD ? 2 * SA_U0 : 2 * (SA_U0 + SA_U1);
    nn_writer *wr = NULL;
    nn_writer_new(NN_KIND_EVENT_RNN, &wr);
    nn_writer_set_int(wr, "input_size", SA_IN);
    nn_writer_set_int(wr, "num_classes", SA_CLASSES);
    nn_writer_set_int(wr, "num_layers", 2);
    nn_writer_set_int(wr, "attn_length", which == SA_NO_LENGTH ? 0 : SA_L);
    if (which == SA_CELLS_INT)
        nn_writer_set_int(wr, "attn_cells", 1);
    else
        nn_writer_set_string(wr, "attn_cells", which == SA_FIRST_WORD ? "first" : which == SA_CELLS_WORD ? "middle" : "stack");
    nn_writer_add(wr, "rnn/cell_0/kernel", NN_F32, 2, (int[]){SA_IN + SA_U0, 4 * SA_U0}, values);
    nn_writer_add(wr, "rnn/cell_0/bias", NN_F32, 1, (int[]){4 * SA_U0}, values + 1000);
    nn_writer_add(wr, "rnn/cell_1/kernel", NN_F32, 2, (int[]){SA_U0 + SA_U1, 4 * SA_U1}, values + 2000);
    nn_writer_add(wr, "rnn/cell_1/bias", NN_F32, 1, (int[]){4 * SA_U1}, values + 3000);
    nn_writer_add(wr, "output/kernel", NN_F32, 2, (int[]){SA_U1, SA_CLASSES}, values + 3100);
    nn_writer_add(wr, "output/bias", NN_F32, 1, (int[]){SA_CLASSES}, values + 3200);
    const char *prefix = which == SA_FIRST_WORD || which == SA_FIRST_CELL_NAMES ? "rnn/cell_0/attention/" : "rnn/attention/";
    char name[96];
#define SA_ADD(leaf, nd, at, ...)                                                                  \
    (snprintf(name, sizeof name, "%s%s", prefix, leaf),                                           \
     nn_writer_add(wr, name, NN_F32, nd, (int[]){__VA_ARGS__}, values + (at)))
    SA_ADD("input_kernel", 2, 4000, SA_IN + U, SA_IN);
    SA_ADD("input_bias", 1, 4200, SA_IN);
    SA_ADD("attn_w", 2, 4300, U, U);
    if (which != SA_MISSING_V)
        SA_ADD("attn_v", 1, 4400, U);
    SA_ADD("query_kernel", 2, 4500, which == SA_QUERY_ONE_CELL ? 2 * U : S, U);
    SA_ADD("query_bias", 1, 4800, U);
    if (which == SA_OUTPUT_UNITS0)
        SA_ADD("output_kernel", 2, 4900, 2 * SA_U0, SA_U0);
    else
        SA_ADD("output_kernel", 2, 4900, 2 * U, U);
    SA_ADD("output_bias", 1, 5100, U);
#undef SA_ADD
    void *bytes = NULL;
    size_t size = 0;
    nn_writer_to_memory(wr, &bytes, &size);
    nn_writer_free(wr);
    nn_status st = nn_model_load_memory(bytes, size, "stack.nnm", out, message);
    free(bytes);
    return st;
}

static void test_stack_attention(void)
{
    static const struct {
        nn_status want;
        const char *fragment;
    } expect[SA_CASES] = {
        [SA_VALID] = {NN_OK, ""},
        [SA_FIRST_WORD] = {NN_OK, ""},
        [SA_CELLS_INT] = {NN_ERR_MALFORMED, "'attn_cells' must be the string"},
        [SA_CELLS_WORD] = {NN_ERR_MALFORMED, "'attn_cells' must be the string"},
        [SA_NO_LENGTH] = {NN_ERR_MALFORMED, "without 'attn_length'"},
        [SA_QUERY_ONE_CELL] = {NN_ERR_SHAPE, "rnn/attention/query_kernel"},
        [SA_OUTPUT_UNITS0] = {NN_ERR_SHAPE, "rnn/attention/output_kernel"},
        [SA_MISSING_V] = {NN_ERR_MISSING, "rnn/attention/attn_v"},
        [SA_FIRST_CELL_NAMES] = {NN_ERR_MISSING, "rnn/attention/input_kernel"},
    };
    for (int which = 0; which < SA_CASES; which++) {
        char message[NN_MESSAGE_SIZE] = "";
        nn_model *m = NULL;
        nn_status st = stack_model((stack_case)which, &m, message);
        CHECK(st == expect[which].want && strstr(message, expect[which].fragment),
              "stack case %d: status %s, message \"%s\", expected %s and \"%s\"", which, nn_status_text(st), message,
              nn_status_text(expect[which].want), expect[which].fragment);
        if (st == NN_OK) { /* it runs: finite logits, one-hot and vector steps, past the window */
            nn_rnn *r = NULL;
            nn_status made = nn_rnn_new(m, &r, message);
            CHECK_STATUS(made, NN_OK, message);
            float x[SA_IN] = {0.5f, -1, 0, 0.25f, 1, 0};
            int finite = 0;
            for (int t = 0; r && t < 2 * SA_L + 2; t++) {
                const float *logits = t % 2 ? nn_rnn_step(r, x) : nn_rnn_step_class(r, t % SA_IN);
                for (int o = 0; o < SA_CLASSES; o++)
                    finite += isfinite(logits[o]) != 0;
            }
            CHECK(finite == (2 * SA_L + 2) * SA_CLASSES, "stack case %d: %d finite logits", which, finite);
            nn_rnn_free(r);
        }
        nn_model_free(m);
    }
}

int main(void)
{
    fill((float *)&written, sizeof written / sizeof(float));
    nn_writer *w = make_writer(&written);
    void *bytes = NULL;
    if (nn_writer_to_memory(w, &bytes, &base_size) != NN_OK) {
        fprintf(stderr, "nn_writer_to_memory failed\n");
        return 2;
    }
    nn_writer_free(w);
    base = bytes;
    work = malloc(base_size + 64);
    if (!work)
        return 2;

    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/test_model_file-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "mkdtemp %s: %s\n", dir, strerror(errno));
        return 2;
    }

    test_crc32c();
    test_valid_load(dir);
    test_truncation();
    test_bit_flips();
    test_corruptions();
    test_crafted();
    test_model_load_paths(dir);
    test_writer_save(dir);
    test_writer_arguments();
    test_input_projection();
    test_stack_attention();
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); /* before a sanitizer may stop the run */
    test_null_empty_input();

    free(work);
    free(base);
    printf("test_model_file: %d checks, %d failed (%zu-byte model, kernels %s)\n", checks_run, checks_failed, base_size,
           nn_simd_active());
    return checks_failed ? 1 : 0;
}
