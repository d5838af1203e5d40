/* fuzz_model_load.c — libFuzzer target: nn_model_load_memory on arbitrary bytes, then a runner and a few steps on whatever loads.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#include "nn.h"
#include "nn_private.h" /* nn_crc32c, to re-sign mutated inputs */

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const uint8_t *p) { return get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }
static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Finite weights up to this size keep every sum finite (rows <= 2^17, |h| <= 1), so the logits
 * must be finite too; beyond it, or with NaN and infinity, overflow is the file's own doing.
 * Magenta's attention wrapper feeds its unsquashed output back (out -> stored states -> attns ->
 * out), so there the bound is one that makes that loop shrink: 1/4 of 1/(widest tensor). */
#define BOUNDED_WEIGHT 1e30f

/* Whether every tensor of a loaded file holds finite values within the bound. Reads the
 * tensor records directly: the loader has validated their offsets and sizes. */
static bool weights_bounded(const nn_model *m, const uint8_t *b)
{
    float bound = BOUNDED_WEIGHT;
    if (nn_model_int(m, "attn_length", 0) > 0) {
        int widest = 1;
        for (int i = 0; i < nn_model_tensor_count(m); i++) {
            nn_tensor_info info;
            nn_model_tensor(m, i, &info);
            for (int d = 0; d < info.ndim; d++)
                widest = info.dims[d] > widest ? info.dims[d] : widest;
        }
        bound = 0.25f / (float)widest;
    }
    uint32_t hparams = get_u32(b + 16);
    uint64_t data = get_u64(b + 32);
    for (int i = 0; i < nn_model_tensor_count(m); i++) {
        nn_tensor_info info;
        nn_model_tensor(m, i, &info);
        const uint8_t *record = b + 64 + (size_t)hparams * 64 + (size_t)i * 128;
        const uint8_t *values = b + data + get_u64(record + 120);
        for (size_t k = 0; k < info.count; k++) {
            float v;
            if (info.dtype == NN_F16)
                v = nn_f16_to_f32((uint16_t)(values[2 * k] | values[2 * k + 1] << 8));
            else {
                uint32_t bits = get_u32(values + 4 * k);
                memcpy(&v, &bits, sizeof v);
            }
            if (!(fabsf(v) <= bound)) /* also false for NaN */
                return false;
        }
    }
    return true;
}

static void exercise(const uint8_t *b, size_t size, const char *name)
{
    char message[NN_MESSAGE_SIZE];
    nn_model *model = (nn_model *)(uintptr_t)1;
    nn_status st = nn_model_load_memory(b, size, name, &model, message);
    if (st != NN_OK) {
        /* A failure leaves no model, a known status and a message naming the input. */
        CHECK(model == NULL, "failed load returned a model");
        CHECK(st >= NN_ERR_SHAPE && st <= NN_ERR_ARGUMENT, "status %d", (int)st);
        CHECK(strncmp(message, name, strlen(name)) == 0 && strlen(message) < NN_MESSAGE_SIZE, "message \"%s\"", message);
        return;
    }

    /* Every accessor on whatever loaded. */
    for (int i = 0; i < nn_model_hparam_count(model); i++) {
        nn_hparam_info h;
        nn_model_hparam(model, i, &h);
        CHECK(h.name[0] && strlen(h.name) <= NN_HPARAM_NAME_MAX, "hparam %d name", i);
        CHECK(strlen(h.string_value) <= NN_HPARAM_STRING_MAX, "hparam '%s' string", h.name);
        CHECK(h.type != NN_HPARAM_FLOAT || h.float_value == h.float_value, "hparam '%s' is NaN", h.name);
    }
    size_t params = 0;
    for (int i = 0; i < nn_model_tensor_count(model); i++) {
        nn_tensor_info t;
        nn_model_tensor(model, i, &t);
        size_t count = 1;
        for (int d = 0; d < t.ndim; d++)
            count *= (size_t)t.dims[d];
        CHECK(t.ndim >= 1 && t.ndim <= NN_MAX_DIMS && count == t.count, "tensor '%s' shape", t.name);
        params += t.count;
    }
    CHECK(params == nn_model_param_count(model), "param count %zu, tensors hold %zu", nn_model_param_count(model), params);

    if (nn_model_kind(model) == NN_KIND_TRAIN_CHECKPOINT) {
        /* nn-train's state: every tensor readable as f32 over its whole length; no runner. */
        volatile float sum = 0.0f;
        for (int i = 0; i < nn_model_tensor_count(model); i++) {
            nn_tensor_info t;
            nn_model_tensor(model, i, &t);
            const float *data = nn_model_tensor_data(model, i);
            CHECK(data != NULL, "checkpoint tensor '%s' has no data", t.name);
            for (size_t k = 0; k < t.count; k++)
                sum += data[k];
        }
        CHECK(nn_rnn_new(model, &(nn_rnn *){NULL}, message) == NN_ERR_KIND, "a checkpoint made a runner");
        nn_model_free(model);
        return;
    }
    nn_rnn *rnn = NULL;
    st = nn_rnn_new(model, &rnn, message);
    CHECK(st == NN_OK, "a loaded model makes no runner: %s", message);
    int input = nn_rnn_input_size(rnn), classes = nn_rnn_classes(rnn);
    bool bounded = weights_bounded(model, b);
    nn_sampler *sampler = NULL;
    CHECK(nn_sampler_new(classes, 7, &sampler) == NN_OK, "sampler for %d classes", classes);

    /* One-hot steps in and out of range, one vector step, and again after a reset. */
    const int indices[] = {0, input - 1, -1, input, input / 2};
    float *x = malloc((size_t)input * sizeof *x);
    CHECK(x != NULL, "out of memory");
    for (int i = 0; i < input; i++)
        x[i] = (float)((i * 37) % 17) / 8.0f - 1.0f;
    for (int s = 0; s < 7; s++) {
        if (s == 6)
            nn_rnn_reset(rnn);
        const float *logits = s == 5 ? nn_rnn_step(rnn, x) : nn_rnn_step_class(rnn, indices[s % 5]);
        if (bounded)
            for (int k = 0; k < classes; k++)
                CHECK(isfinite(logits[k]), "step %d: logit %d is %g with bounded weights", s, k, (double)logits[k]);
        nn_sample_params p = {.temperature = 1.0f, .top_k = s % 3, .top_p = s % 2 ? 0.9f : 0.0f};
        int drawn = nn_sampler_draw(sampler, logits, classes, &p);
        CHECK(drawn >= 0 && drawn < classes, "drew class %d of %d", drawn, classes);
    }
    free(x);
    nn_sampler_free(sampler);
    nn_rnn_free(rnn);
    nn_model_free(model);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* As given: the magic, version, size and checksum checks. */
    exercise(data, size, "fuzz");

    /* Most mutations only break the checksum. Re-signed, with the size field set to the real
     * size, the same bytes reach the record, tensor and kind checks behind it. */
    if (size >= 64 && size <= ((size_t)1 << 31)) {
        uint8_t *fixed = malloc(size);
        if (!fixed)
            return 0;
        memcpy(fixed, data, size);
        for (int i = 0; i < 8; i++)
            fixed[24 + i] = (uint8_t)((uint64_t)size >> (8 * i));
        static const uint8_t zero[4] = {0};
        uint32_t crc = nn_crc32c(0, fixed, 40);
        crc = nn_crc32c(crc, zero, 4);
        put_u32(fixed + 40, nn_crc32c(crc, fixed + 44, size - 44));
        exercise(fixed, size, "fuzz-resigned");
        free(fixed);
    }
    return 0;
}
