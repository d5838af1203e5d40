/* model_file.c — reading, validating and writing model files (the format is nn/FORMAT.md).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * The reader trusts nothing: every count, offset and size is checked against the bytes that
 * are really there before it is used, and each failure says which file and which field.
 */
#include "nn_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char MAGIC[8] = {0x89, 'N', 'N', 'M', '\r', '\n', 0x1a, '\n'};

enum {
    HEADER_SIZE = 64,
    HPARAM_SIZE = 64,
    TENSOR_SIZE = 128,
    CHECKSUM_AT = 40,
    MAX_FILE_BYTES = 1u << 31, /* 2 GiB: far beyond any model here, small enough to read */
};

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

static uint32_t file_checksum(const unsigned char *data, size_t size)
{
    static const unsigned char zero[4] = {0};
    uint32_t crc = nn_crc32c(0, data, CHECKSUM_AT);
    crc = nn_crc32c(crc, zero, 4);
    return nn_crc32c(crc, data + CHECKSUM_AT + 4, size - CHECKSUM_AT - 4);
}

const char *nn_kind_name(nn_kind kind)
{
    switch (kind) {
    case NN_KIND_EVENT_RNN: return "event_rnn";
    case NN_KIND_TRAIN_CHECKPOINT: return "train_checkpoint";
    }
    return NULL;
}

/* A name field of `width` bytes: NUL-terminated inside the field, non-empty, printable ASCII
 * without spaces, NUL-padded after. */
static bool valid_name(const unsigned char *field, size_t width, size_t *length)
{
    size_t n = 0;
    while (n < width && field[n])
        n++;
    if (n == 0 || n == width)
        return false;
    for (size_t i = 0; i < n; i++)
        if (field[i] <= ' ' || field[i] > '~')
            return false;
    for (size_t i = n; i < width; i++)
        if (field[i])
            return false;
    *length = n;
    return true;
}

static int compare_offsets(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b; /* pairs {start, end} */
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

static nn_status parse_hparams(nn_model *m, const unsigned char *p, const char *file, char *message)
{
    for (int i = 0; i < m->hparam_count; i++, p += HPARAM_SIZE) {
        nn_hparam *h = &m->hparams[i];
        size_t len;
        if (!valid_name(p, NN_HPARAM_NAME_MAX + 1, &len))
            return nn_fail(message, NN_ERR_MALFORMED, file, "hyperparameter %d has an invalid name", i);
        memcpy(h->name, p, len + 1);
        h->type = (nn_hparam_type)get_u32(p + 32);
        if (get_u32(p + 36) != 0)
            return nn_fail(message, NN_ERR_MALFORMED, file, "hyperparameter '%s': reserved field is not zero", h->name);
        switch (h->type) {
        case NN_HPARAM_INT:
            h->int_value = (int64_t)get_u64(p + 40);
            break;
        case NN_HPARAM_FLOAT: {
            uint64_t bits = get_u64(p + 40);
            memcpy(&h->float_value, &bits, sizeof bits);
            if (h->float_value != h->float_value)
                return nn_fail(message, NN_ERR_MALFORMED, file, "hyperparameter '%s' is NaN", h->name);
            break;
        }
        case NN_HPARAM_STRING: {
            size_t n = 0;
            while (n < NN_HPARAM_STRING_MAX + 1 && p[40 + n])
                n++;
            if (n > NN_HPARAM_STRING_MAX)
                return nn_fail(message, NN_ERR_MALFORMED, file, "hyperparameter '%s': string is not terminated", h->name);
            for (size_t k = 0; k < n; k++)
                if (p[40 + k] < ' ' || p[40 + k] > '~')
                    return nn_fail(message, NN_ERR_MALFORMED, file, "hyperparameter '%s': string is not printable", h->name);
            memcpy(h->string_value, p + 40, n);
            h->string_value[n] = 0;
            break;
        }
        default:
            return nn_fail(message, NN_ERR_MALFORMED, file, "hyperparameter '%s' has unknown type %u", h->name, (unsigned)h->type);
        }
        for (int k = 0; k < i; k++)
            if (!strcmp(m->hparams[k].name, h->name))
                return nn_fail(message, NN_ERR_MALFORMED, file, "hyperparameter '%s' appears twice", h->name);
    }
    return NN_OK;
}

static nn_status parse_tensors(nn_model *m, const unsigned char *p, const unsigned char *data,
                               uint64_t data_size, const char *file, char *message)
{
    uint64_t *spans = malloc((size_t)(m->tensor_count ? m->tensor_count : 1) * 2 * sizeof *spans);
    if (!spans)
        return nn_fail(message, NN_ERR_MEMORY, file, "out of memory for %d tensor records", m->tensor_count);
    nn_status st = NN_OK;
    for (int i = 0; i < m->tensor_count && st == NN_OK; i++, p += TENSOR_SIZE) {
        nn_tensor *t = &m->tensors[i];
        size_t len;
        if (!valid_name(p, NN_TENSOR_NAME_MAX + 1, &len)) {
            st = nn_fail(message, NN_ERR_MALFORMED, file, "tensor %d has an invalid name", i);
            break;
        }
        memcpy(t->name, p, len + 1);
        uint32_t dtype = get_u32(p + 96), ndim = get_u32(p + 100);
        uint64_t offset = get_u64(p + 120);
        if (dtype != NN_F32 && dtype != NN_F16) {
            st = nn_fail(message, NN_ERR_MALFORMED, file, "tensor '%s' has unknown dtype %u", t->name, dtype);
            break;
        }
        if (ndim < 1 || ndim > NN_MAX_DIMS) {
            st = nn_fail(message, NN_ERR_MALFORMED, file, "tensor '%s' has %u dimensions (1 to %d allowed)", t->name, ndim, NN_MAX_DIMS);
            break;
        }
        t->dtype = (nn_dtype)dtype;
        t->ndim = (int)ndim;
        uint64_t count = 1;
        for (uint32_t d = 0; d < NN_MAX_DIMS; d++) {
            uint32_t dim = get_u32(p + 104 + 4 * d);
            if (d >= ndim) {
                if (dim != 0)
                    st = nn_fail(message, NN_ERR_MALFORMED, file, "tensor '%s': unused dimension %u is not zero", t->name, d);
                continue;
            }
            if (dim < 1 || dim > (1u << 24)) {
                st = nn_fail(message, NN_ERR_MALFORMED, file, "tensor '%s': dimension %u is %u", t->name, d, dim);
                break;
            }
            t->dims[d] = (int)dim;
            count *= dim;
            if (count > data_size) { /* also stops overflow: each factor is at most 2^24 */
                st = nn_fail(message, NN_ERR_MALFORMED, file, "tensor '%s' is larger than the file's data", t->name);
                break;
            }
        }
        if (st != NN_OK)
            break;
        uint64_t bytes = count * nn_dtype_size(t->dtype);
        if (offset % NN_ALIGN != 0 || offset > data_size || bytes > data_size - offset) {
            st = nn_fail(message, NN_ERR_MALFORMED, file,
                         "tensor '%s' at data offset %llu with %llu bytes does not fit the %llu data bytes",
                         t->name, (unsigned long long)offset, (unsigned long long)bytes, (unsigned long long)data_size);
            break;
        }
        t->count = (size_t)count;
        t->raw = data + offset;
        spans[2 * i] = offset;
        spans[2 * i + 1] = offset + bytes;
        m->param_count += t->count;
        for (int k = 0; k < i; k++)
            if (!strcmp(m->tensors[k].name, t->name))
                st = nn_fail(message, NN_ERR_MALFORMED, file, "tensor '%s' appears twice", t->name);
    }
    if (st == NN_OK && m->tensor_count > 1) {
        qsort(spans, (size_t)m->tensor_count, 2 * sizeof *spans, compare_offsets);
        for (int i = 1; i < m->tensor_count; i++)
            if (spans[2 * i] < spans[2 * i - 1]) {
                st = nn_fail(message, NN_ERR_MALFORMED, file, "two tensors overlap at data offset %llu", (unsigned long long)spans[2 * i]);
                break;
            }
    }
    free(spans);
    return st;
}

static nn_status parse(nn_model *m, const unsigned char *b, size_t size, const char *file, char *message)
{
    if (size < HEADER_SIZE) {
        size_t n = size < sizeof MAGIC ? size : sizeof MAGIC;
        if (n > 0 && memcmp(b, MAGIC, n) != 0)
            return nn_fail(message, NN_ERR_MAGIC, file, "not a model file (wrong magic bytes)");
        return nn_fail(message, NN_ERR_TRUNCATED, file, "truncated: %zu bytes, the header alone needs %d", size, HEADER_SIZE);
    }
    if (memcmp(b, MAGIC, sizeof MAGIC) != 0)
        return nn_fail(message, NN_ERR_MAGIC, file, "not a model file (wrong magic bytes)");
    m->version = get_u32(b + 8);
    if (m->version == 0)
        return nn_fail(message, NN_ERR_MALFORMED, file, "format version 0 is invalid");
    if (m->version > NN_FORMAT_VERSION)
        return nn_fail(message, NN_ERR_VERSION, file, "format version %u is newer than this engine reads (up to %u)",
                       m->version, NN_FORMAT_VERSION);
    uint64_t file_size = get_u64(b + 24), data_offset = get_u64(b + 32);
    if (file_size > size)
        return nn_fail(message, NN_ERR_TRUNCATED, file, "truncated: %zu bytes, the header says %llu", size, (unsigned long long)file_size);
    if (file_size < size)
        return nn_fail(message, NN_ERR_MALFORMED, file, "%zu bytes after the end the header gives (%llu)",
                       size - (size_t)file_size, (unsigned long long)file_size);
    uint32_t stored = get_u32(b + CHECKSUM_AT), actual = file_checksum(b, size);
    if (stored != actual)
        return nn_fail(message, NN_ERR_CHECKSUM, file, "bad checksum (stored %08x, contents give %08x): the file is damaged", stored, actual);
    m->kind = (nn_kind)get_u32(b + 12);
    if (!nn_kind_name(m->kind))
        return nn_fail(message, NN_ERR_KIND, file, "unknown model kind %u", (unsigned)m->kind);
    for (int i = 44; i < HEADER_SIZE; i++)
        if (b[i])
            return nn_fail(message, NN_ERR_MALFORMED, file, "reserved header byte %d is not zero", i);
    uint32_t hparams = get_u32(b + 16), tensors = get_u32(b + 20);
    if (hparams > NN_MAX_HPARAMS || tensors > NN_MAX_TENSORS)
        return nn_fail(message, NN_ERR_MALFORMED, file, "%u hyperparameters and %u tensors (at most %d and %d)",
                       hparams, tensors, NN_MAX_HPARAMS, NN_MAX_TENSORS);
    uint64_t records_end = HEADER_SIZE + (uint64_t)hparams * HPARAM_SIZE + (uint64_t)tensors * TENSOR_SIZE;
    if (data_offset % NN_ALIGN != 0 || data_offset < records_end || data_offset > size)
        return nn_fail(message, NN_ERR_MALFORMED, file, "data offset %llu is invalid (records end at %llu, file has %zu bytes)",
                       (unsigned long long)data_offset, (unsigned long long)records_end, size);
    m->hparam_count = (int)hparams;
    m->tensor_count = (int)tensors;
    m->hparams = calloc(hparams ? hparams : 1, sizeof *m->hparams);
    m->tensors = calloc(tensors ? tensors : 1, sizeof *m->tensors);
    if (!m->hparams || !m->tensors)
        return nn_fail(message, NN_ERR_MEMORY, file, "out of memory");
    nn_status st = parse_hparams(m, b + HEADER_SIZE, file, message);
    if (st != NN_OK)
        return st;
    return parse_tensors(m, b + HEADER_SIZE + (size_t)hparams * HPARAM_SIZE, b + data_offset, size - data_offset, file, message);
}

static nn_status build(nn_model *m, const char *file, char *message)
{
    switch (m->kind) {
    case NN_KIND_EVENT_RNN: return nn_event_rnn_build(m, file, message);
    case NN_KIND_TRAIN_CHECKPOINT: return nn_checkpoint_build(m, file, message);
    }
    return nn_fail(message, NN_ERR_KIND, file, "unknown model kind %u", (unsigned)m->kind);
}

nn_status nn_model_load_memory(const void *data, size_t size, const char *name, nn_model **out, char *message)
{
    if (message)
        message[0] = 0;
    if (!out)
        return nn_fail(message, NN_ERR_ARGUMENT, name, "no place for the model");
    *out = NULL;
    if (!data && size)
        return nn_fail(message, NN_ERR_ARGUMENT, name, "no data");
    nn_model *m = calloc(1, sizeof *m);
    if (!m)
        return nn_fail(message, NN_ERR_MEMORY, name, "out of memory");
    nn_status st = parse(m, data, size, name, message);
    if (st == NN_OK)
        st = build(m, name, message);
    for (int i = 0; i < m->tensor_count && m->tensors; i++)
        m->tensors[i].raw = NULL; /* the bytes belong to the caller */
    if (st != NN_OK) {
        nn_model_free(m);
        return st;
    }
    *out = m;
    return NN_OK;
}

nn_status nn_model_load(const char *path, nn_model **out, char *message)
{
    if (message)
        message[0] = 0;
    if (!out)
        return nn_fail(message, NN_ERR_ARGUMENT, path, "no place for the model");
    *out = NULL;
    if (!path || !*path)
        return nn_fail(message, NN_ERR_ARGUMENT, "model", "no file name given");
    /* O_NONBLOCK: a FIFO at the path must not stall the worker waiting for a writer. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return nn_fail(message, NN_ERR_IO, path, "cannot open: %s", strerror(errno));
    struct stat info;
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        close(fd);
        return nn_fail(message, NN_ERR_IO, path, "not a regular file");
    }
    if ((uint64_t)info.st_size > MAX_FILE_BYTES) {
        close(fd);
        return nn_fail(message, NN_ERR_MALFORMED, path, "%lld bytes is larger than any model file (2 GiB)", (long long)info.st_size);
    }
    size_t size = (size_t)info.st_size, got = 0;
    unsigned char *bytes = malloc(size ? size : 1);
    if (!bytes) {
        close(fd);
        return nn_fail(message, NN_ERR_MEMORY, path, "out of memory for %zu bytes", size);
    }
    while (got < size) {
        ssize_t n = read(fd, bytes + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    nn_status st = got == size ? nn_model_load_memory(bytes, size, path, out, message)
                               : nn_fail(message, NN_ERR_IO, path, "read %zu of %zu bytes", got, size);
    free(bytes);
    return st;
}

void nn_model_free(nn_model *m)
{
    if (!m)
        return;
    if (m->kind_free)
        m->kind_free(m->kind_data);
    free(m->hparams);
    free(m->tensors);
    free(m);
}

nn_kind nn_model_kind(const nn_model *m) { return m->kind; }
uint32_t nn_model_version(const nn_model *m) { return m->version; }
int nn_model_hparam_count(const nn_model *m) { return m->hparam_count; }
int nn_model_tensor_count(const nn_model *m) { return m->tensor_count; }
size_t nn_model_param_count(const nn_model *m) { return m->param_count; }
size_t nn_model_weight_bytes(const nn_model *m) { return m->weight_bytes; }
size_t nn_model_runner_bytes(const nn_model *m) { return m->runner_bytes; }

void nn_model_hparam(const nn_model *m, int index, nn_hparam_info *info)
{
    const nn_hparam *h = &m->hparams[index];
    *info = (nn_hparam_info){h->name, h->type, h->int_value, h->float_value, h->string_value};
}

void nn_model_tensor(const nn_model *m, int index, nn_tensor_info *info)
{
    const nn_tensor *t = &m->tensors[index];
    *info = (nn_tensor_info){.name = t->name, .dtype = t->dtype, .ndim = t->ndim, .count = t->count};
    memcpy(info->dims, t->dims, sizeof info->dims);
}

const nn_hparam *nn_model_find_hparam(const nn_model *m, const char *name)
{
    for (int i = 0; i < m->hparam_count; i++)
        if (!strcmp(m->hparams[i].name, name))
            return &m->hparams[i];
    return NULL;
}

static const nn_hparam *find_hparam(const nn_model *m, const char *name, nn_hparam_type type)
{
    const nn_hparam *h = nn_model_find_hparam(m, name);
    return h && h->type == type ? h : NULL;
}

int64_t nn_model_int(const nn_model *m, const char *name, int64_t fallback)
{
    const nn_hparam *h = find_hparam(m, name, NN_HPARAM_INT);
    return h ? h->int_value : fallback;
}

double nn_model_float(const nn_model *m, const char *name, double fallback)
{
    const nn_hparam *h = find_hparam(m, name, NN_HPARAM_FLOAT);
    return h ? h->float_value : fallback;
}

const char *nn_model_string(const nn_model *m, const char *name, const char *fallback)
{
    const nn_hparam *h = find_hparam(m, name, NN_HPARAM_STRING);
    return h ? h->string_value : fallback;
}

const nn_tensor *nn_model_find(const nn_model *m, const char *name)
{
    for (int i = 0; i < m->tensor_count; i++)
        if (!strcmp(m->tensors[i].name, name))
            return &m->tensors[i];
    return NULL;
}

void nn_tensor_read_f32(const nn_tensor *t, float *out)
{
    for (size_t i = 0; i < t->count; i++) {
        if (t->dtype == NN_F16)
            out[i] = nn_f16_to_f32((uint16_t)(t->raw[2 * i] | t->raw[2 * i + 1] << 8));
        else {
            uint32_t bits = get_u32(t->raw + 4 * i);
            memcpy(&out[i], &bits, sizeof bits);
        }
    }
}

void nn_tensor_pack(const nn_tensor *t, nn_matrix *m) { nn_matrix_pack_raw(m, t->raw, t->dtype); }

static void format_dims(char *buf, size_t size, int ndim, const int *dims)
{
    size_t used = 0;
    buf[0] = 0;
    for (int d = 0; d < ndim && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, d ? ", %d" : "[%d", dims[d]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
}

nn_status nn_model_expect(const nn_model *m, const char *file, const char *tensor, int ndim, const int *dims,
                          const nn_tensor **out, char *message)
{
    const nn_tensor *t = nn_model_find(m, tensor);
    if (!t)
        return nn_fail(message, NN_ERR_MISSING, file, "missing tensor '%s'", tensor);
    bool same = t->ndim == ndim;
    for (int d = 0; same && d < ndim; d++)
        same = t->dims[d] == dims[d];
    if (!same) {
        char want[64], have[64];
        format_dims(want, sizeof want, ndim, dims);
        format_dims(have, sizeof have, t->ndim, t->dims);
        return nn_fail(message, NN_ERR_SHAPE, file, "tensor '%s' has shape %s, expected %s", tensor, have, want);
    }
    *out = t;
    return NN_OK;
}

/* ---- Writing ----------------------------------------------------------------------------- */

struct nn_writer {
    nn_kind kind;
    int hparam_count, tensor_count;
    nn_hparam hparams[NN_MAX_HPARAMS];
    struct writer_tensor {
        nn_tensor info;
        void *bytes; /* little-endian values as stored */
    } *tensors;
};

nn_status nn_writer_new(nn_kind kind, nn_writer **out)
{
    if (!out)
        return NN_ERR_ARGUMENT;
    *out = NULL;
    if (!nn_kind_name(kind))
        return NN_ERR_KIND;
    nn_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NN_ERR_MEMORY;
    w->kind = kind;
    *out = w;
    return NN_OK;
}

void nn_writer_free(nn_writer *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->tensor_count; i++)
        free(w->tensors[i].bytes);
    free(w->tensors);
    free(w);
}

static bool name_ok(const char *name, size_t max)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] <= ' ' || (unsigned char)name[i] > '~')
            return false;
    return true;
}

static nn_hparam *writer_slot(nn_writer *w, const char *name)
{
    if (!name_ok(name, NN_HPARAM_NAME_MAX))
        return NULL;
    for (int i = 0; i < w->hparam_count; i++)
        if (!strcmp(w->hparams[i].name, name))
            return &w->hparams[i]; /* setting again replaces */
    if (w->hparam_count == NN_MAX_HPARAMS)
        return NULL;
    nn_hparam *h = &w->hparams[w->hparam_count++];
    memset(h, 0, sizeof *h);
    strcpy(h->name, name);
    return h;
}

nn_status nn_writer_set_int(nn_writer *w, const char *name, int64_t value)
{
    nn_hparam *h = w ? writer_slot(w, name) : NULL;
    if (!h)
        return NN_ERR_ARGUMENT;
    h->type = NN_HPARAM_INT;
    h->int_value = value;
    return NN_OK;
}

nn_status nn_writer_set_float(nn_writer *w, const char *name, double value)
{
    if (value != value)
        return NN_ERR_ARGUMENT;
    nn_hparam *h = w ? writer_slot(w, name) : NULL;
    if (!h)
        return NN_ERR_ARGUMENT;
    h->type = NN_HPARAM_FLOAT;
    h->float_value = value;
    return NN_OK;
}

nn_status nn_writer_set_string(nn_writer *w, const char *name, const char *value)
{
    size_t n = value ? strlen(value) : NN_HPARAM_STRING_MAX + 1;
    for (size_t i = 0; i < n && value; i++)
        if ((unsigned char)value[i] < ' ' || (unsigned char)value[i] > '~')
            return NN_ERR_ARGUMENT;
    nn_hparam *h = w && n <= NN_HPARAM_STRING_MAX ? writer_slot(w, name) : NULL;
    if (!h)
        return NN_ERR_ARGUMENT;
    h->type = NN_HPARAM_STRING;
    memset(h->string_value, 0, sizeof h->string_value);
    memcpy(h->string_value, value, n);
    return NN_OK;
}

nn_status nn_writer_add(nn_writer *w, const char *name, nn_dtype dtype, int ndim, const int *dims, const float *data)
{
    if (!w || !name_ok(name, NN_TENSOR_NAME_MAX) || (dtype != NN_F32 && dtype != NN_F16) || ndim < 1 ||
        ndim > NN_MAX_DIMS || !dims || !data || w->tensor_count == NN_MAX_TENSORS)
        return NN_ERR_ARGUMENT;
    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        if (dims[d] < 1 || dims[d] > (1 << 24))
            return NN_ERR_ARGUMENT;
        count *= (size_t)dims[d];
        if (count > MAX_FILE_BYTES)
            return NN_ERR_ARGUMENT;
    }
    for (int i = 0; i < w->tensor_count; i++)
        if (!strcmp(w->tensors[i].info.name, name))
            return NN_ERR_ARGUMENT;
    struct writer_tensor *grown = realloc(w->tensors, (size_t)(w->tensor_count + 1) * sizeof *grown);
    if (!grown)
        return NN_ERR_MEMORY;
    w->tensors = grown;
    struct writer_tensor *t = &w->tensors[w->tensor_count];
    memset(t, 0, sizeof *t);
    t->bytes = malloc(count * nn_dtype_size(dtype));
    if (!t->bytes)
        return NN_ERR_MEMORY;
    unsigned char *b = t->bytes;
    for (size_t i = 0; i < count; i++) {
        if (dtype == NN_F16) {
            uint16_t v = nn_f32_to_f16(data[i]);
            b[2 * i] = (unsigned char)v;
            b[2 * i + 1] = (unsigned char)(v >> 8);
        } else {
            uint32_t bits;
            memcpy(&bits, &data[i], sizeof bits);
            put_u32(b + 4 * i, bits);
        }
    }
    strcpy(t->info.name, name);
    t->info.dtype = dtype;
    t->info.ndim = ndim;
    memcpy(t->info.dims, dims, (size_t)ndim * sizeof *dims);
    t->info.count = count;
    w->tensor_count++;
    return NN_OK;
}

static size_t align_up(size_t n) { return (n + NN_ALIGN - 1) / NN_ALIGN * NN_ALIGN; }

nn_status nn_writer_to_memory(const nn_writer *w, void **data, size_t *size)
{
    if (!w || !data || !size)
        return NN_ERR_ARGUMENT;
    size_t records = HEADER_SIZE + (size_t)w->hparam_count * HPARAM_SIZE + (size_t)w->tensor_count * TENSOR_SIZE;
    size_t data_offset = align_up(records), total = data_offset;
    for (int i = 0; i < w->tensor_count; i++)
        total = align_up(total) + w->tensors[i].info.count * nn_dtype_size(w->tensors[i].info.dtype);
    unsigned char *b = calloc(1, total);
    if (!b)
        return NN_ERR_MEMORY;
    memcpy(b, MAGIC, sizeof MAGIC);
    put_u32(b + 8, NN_FORMAT_VERSION);
    put_u32(b + 12, (uint32_t)w->kind);
    put_u32(b + 16, (uint32_t)w->hparam_count);
    put_u32(b + 20, (uint32_t)w->tensor_count);
    put_u64(b + 24, total);
    put_u64(b + 32, data_offset);
    unsigned char *p = b + HEADER_SIZE;
    for (int i = 0; i < w->hparam_count; i++, p += HPARAM_SIZE) {
        const nn_hparam *h = &w->hparams[i];
        memcpy(p, h->name, strlen(h->name));
        put_u32(p + 32, (uint32_t)h->type);
        if (h->type == NN_HPARAM_INT)
            put_u64(p + 40, (uint64_t)h->int_value);
        else if (h->type == NN_HPARAM_FLOAT) {
            uint64_t bits;
            memcpy(&bits, &h->float_value, sizeof bits);
            put_u64(p + 40, bits);
        } else
            memcpy(p + 40, h->string_value, strlen(h->string_value));
    }
    size_t at = data_offset;
    for (int i = 0; i < w->tensor_count; i++, p += TENSOR_SIZE) {
        const nn_tensor *t = &w->tensors[i].info;
        at = align_up(at);
        memcpy(p, t->name, strlen(t->name));
        put_u32(p + 96, (uint32_t)t->dtype);
        put_u32(p + 100, (uint32_t)t->ndim);
        for (int d = 0; d < t->ndim; d++)
            put_u32(p + 104 + 4 * d, (uint32_t)t->dims[d]);
        put_u64(p + 120, at - data_offset);
        size_t bytes = t->count * nn_dtype_size(t->dtype);
        memcpy(b + at, w->tensors[i].bytes, bytes);
        at += bytes;
    }
    put_u32(b + CHECKSUM_AT, file_checksum(b, total));
    *data = b;
    *size = total;
    return NN_OK;
}

static void sync_parent_folder(const char *path)
{
    const char *slash = strrchr(path, '/');
    char folder[4096];
    if (!slash)
        snprintf(folder, sizeof folder, ".");
    else
        snprintf(folder, sizeof folder, "%.*s", (int)(slash == path ? 1 : slash - path), path);
    int fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

nn_status nn_writer_save(const nn_writer *w, const char *path, char *message)
{
    if (message)
        message[0] = 0;
    if (!w || !path || !*path)
        return nn_fail(message, NN_ERR_ARGUMENT, path, "no writer or no path");
    void *data = NULL;
    size_t size = 0;
    nn_status st = nn_writer_to_memory(w, &data, &size);
    if (st != NN_OK)
        return nn_fail(message, st, path, "cannot build the file: %s", nn_status_text(st));
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp) {
        free(data);
        return nn_fail(message, NN_ERR_MEMORY, path, "out of memory");
    }
    snprintf(tmp, len + 16, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        st = nn_fail(message, NN_ERR_IO, path, "cannot create a temporary file beside it: %s", strerror(errno));
        goto done;
    }
    size_t put = 0;
    while (put < size) {
        ssize_t n = write(fd, (const char *)data + put, size - put);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            break;
        }
        put += (size_t)n;
    }
    int write_errno = put < size ? errno : 0;
    if (!write_errno && fsync(fd) != 0)
        write_errno = errno;
    if (close(fd) != 0 && !write_errno)
        write_errno = errno;
    if (!write_errno && fchmodat(AT_FDCWD, tmp, 0644, 0) != 0)
        write_errno = errno;
    if (write_errno) {
        unlink(tmp);
        st = nn_fail(message, NN_ERR_IO, path, "cannot write (%s); the previous file, if any, is untouched", strerror(write_errno));
        goto done;
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        st = nn_fail(message, NN_ERR_IO, path, "cannot rename the finished file into place: %s", strerror(e));
        goto done;
    }
    sync_parent_folder(path); /* so the rename itself survives a power cut */
    st = NN_OK;
done:
    free(tmp);
    free(data);
    return st;
}
