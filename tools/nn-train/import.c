/* import.c — `nn-train import`: a Magenta.js checkpoint folder (weights_manifest.json and its
 * binary shards, TensorFlow.js's weights format) into the project's event_rnn model file.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * The manifest is a JSON array of groups {"paths": [shard files], "weights": [entries]}; a
 * group's shards, concatenated in order, hold its entries' bytes one after another in manifest
 * order. An entry is {"name", "shape", "dtype"} with dtype float32 or float16, optionally
 * "quantization": {"dtype": "uint8" | "uint16", "min", "scale"} (value = q * scale + min) or
 * {"dtype": "float16"} (tfjs-core io/types.ts, WeightsManifestEntry).
 *
 * Models (the checkpoints' TensorFlow names, mapped to FORMAT.md's event_rnn names):
 *   MusicRNN (magenta-js music_rnn, events_rnn_graph.py):
 *     rnn/multi_rnn_cell/cell_K/basic_lstm_cell/{kernel,bias}    → rnn/cell_K/{kernel,bias}
 *     fully_connected/{weights,biases}                           → output/{kernel,bias}
 *     Magenta's AttentionCellWrapper on the first cell (since May 2017), W =
 *     rnn/multi_rnn_cell/cell_0/attention_cell_wrapper/, A = rnn/cell_0/attention/:
 *       W/basic_lstm_cell/{kernel,bias}                          → rnn/cell_0/{kernel,bias}
 *     or around the whole MultiRNNCell (earlier checkpoints, the ones Magenta.js publishes),
 *     W = rnn/attention_cell_wrapper/, A = rnn/attention/, hparam attn_cells "stack":
 *       W/multi_rnn_cell/cell_K/basic_lstm_cell/{kernel,bias}    → rnn/cell_K/{kernel,bias}
 *     and in both:
 *       W/{kernel,bias}                                          → A/input_{kernel,bias}
 *       W/attention/{attn_w [1,1,U,U], attn_v}                   → A/attn_{w [U,U],v}
 *       W/attention/{kernel,bias}                                → A/query_{kernel,bias}
 *       W/attn_output_projection/{kernel,bias} (older TensorFlow: attention_output_projection)
 *                                                                → A/output_{kernel,bias}
 *     with U the wrapped cell's output size (units_0; units_last around the stack), the query
 *     kernel [2 U, U] around one cell and [Σ 2 units_K, U] around the stack (the flattened
 *     MultiRNNCell state c_0, h_0, c_1, h_1, ...). Magenta.js's AttentionWrapper (music_rnn/
 *     attention.ts) computes the query without its bias, which TensorFlow's wrapper (and so
 *     training) adds: --magenta-js writes that bias as zeros, for Magenta.js's numbers.
 *   Piano Genie's decoder (magenta/models/piano_genie/model.py, simple_lstm_decoder):
 *     phero_model/decoder/rnn_input/dense/{kernel,bias}          → input/{kernel,bias}
 *     phero_model/decoder/rnn/rnn/multi_rnn_cell/cell_K/lstm_cell/{kernel,bias} → rnn/cell_K/...
 *     phero_model/decoder/pitches/dense/{kernel,bias}            → output/{kernel,bias}
 *     the encoder's tensors (phero_model/ outside decoder/) are skipped.
 * LSTM kernels keep TensorFlow's layout ([in + units, 4 units], gates i, j, f, o), dense
 * kernels theirs ([in, out]); forget bias 1.0 (BasicLSTMCell, LSTMBlockCell) at run time.
 */
#include "nn-train.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- A small strict JSON reader (RFC 8259) ------------------------------------------------- */

typedef enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json {
    json_type type;
    double number; /* JSON_NUMBER; JSON_BOOL: 0 or 1 */
    char *string;  /* JSON_STRING (UTF-8, NUL-terminated; an escaped NUL is refused) */
    int count;     /* items of an array or members of an object */
    struct json *items;
    char **keys;   /* JSON_OBJECT: the members' names */
} json;

typedef struct json_parser {
    const char *text;
    size_t size, at;
    int depth;
    char error[160];
} json_parser;

#define JSON_MAX_DEPTH 64

static bool json_fail(json_parser *p, const char *what)
{
    if (!p->error[0])
        snprintf(p->error, sizeof p->error, "bad JSON at byte %zu: %s", p->at, what);
    return false;
}

static void json_skip_space(json_parser *p)
{
    while (p->at < p->size && strchr(" \t\n\r", p->text[p->at]) && p->text[p->at])
        p->at++;
}

static void json_free(json *v)
{
    if (!v)
        return;
    free(v->string);
    for (int i = 0; i < v->count; i++) {
        json_free(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    memset(v, 0, sizeof *v);
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static bool json_hex4(json_parser *p, unsigned *out)
{
    if (p->size - p->at < 4)
        return json_fail(p, "short \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(p->text[p->at + (size_t)i]);
        if (d < 0)
            return json_fail(p, "bad hex digit in \\u escape");
        v = v * 16 + (unsigned)d;
    }
    p->at += 4;
    *out = v;
    return true;
}

static bool json_string(json_parser *p, char **out)
{
    p->at++; /* the opening quote */
    size_t cap = 16, len = 0;
    char *s = malloc(cap);
    if (!s)
        return json_fail(p, "out of memory");
    for (;;) {
        if (p->at >= p->size) {
            free(s);
            return json_fail(p, "unterminated string");
        }
        unsigned char c = (unsigned char)p->text[p->at];
        unsigned code = c;
        if (c == '"') {
            p->at++;
            break;
        }
        if (c < 0x20) {
            free(s);
            return json_fail(p, "control character in string");
        }
        if (c == '\\') {
            p->at++;
            char e = p->at < p->size ? p->text[p->at] : 0;
            const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
            if (e && strchr(from, e)) {
                code = (unsigned char)to[strchr(from, e) - from];
                p->at++;
            } else if (e == 'u') {
                p->at++;
                if (!json_hex4(p, &code)) {
                    free(s);
                    return false;
                }
                if (code >= 0xD800 && code < 0xDC00) { /* a surrogate pair */
                    unsigned low;
                    if (p->size - p->at < 2 || p->text[p->at] != '\\' || p->text[p->at + 1] != 'u') {
                        free(s);
                        return json_fail(p, "lone high surrogate");
                    }
                    p->at += 2;
                    if (!json_hex4(p, &low) || low < 0xDC00 || low > 0xDFFF) {
                        free(s);
                        return json_fail(p, "bad low surrogate");
                    }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                } else if (code >= 0xDC00 && code < 0xE000) {
                    free(s);
                    return json_fail(p, "lone low surrogate");
                }
                if (code == 0) {
                    free(s);
                    return json_fail(p, "\\u0000 in string");
                }
            } else {
                free(s);
                return json_fail(p, "bad escape in string");
            }
        } else {
            p->at++;
        }
        if (len + 5 > cap) {
            char *bigger = realloc(s, cap *= 2);
            if (!bigger) {
                free(s);
                return json_fail(p, "out of memory");
            }
            s = bigger;
        }
        if (c == '\\' && code >= 0x80) { /* UTF-8 of an escaped code point */
            if (code < 0x800) {
                s[len++] = (char)(0xC0 | code >> 6);
            } else if (code < 0x10000) {
                s[len++] = (char)(0xE0 | code >> 12);
                s[len++] = (char)(0x80 | (code >> 6 & 0x3F));
            } else {
                s[len++] = (char)(0xF0 | code >> 18);
                s[len++] = (char)(0x80 | (code >> 12 & 0x3F));
                s[len++] = (char)(0x80 | (code >> 6 & 0x3F));
            }
            s[len++] = (char)(0x80 | (code & 0x3F));
        } else {
            s[len++] = (char)code;
        }
    }
    s[len] = 0;
    *out = s;
    return true;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number(json_parser *p, double *out)
{
    size_t start = p->at, i = p->at;
    const char *t = p->text;
#define DIGIT(k) ((k) < p->size && t[k] >= '0' && t[k] <= '9')
    if (i < p->size && t[i] == '-')
        i++;
    if (!DIGIT(i))
        return json_fail(p, "bad number");
    if (t[i] == '0')
        i++;
    else
        while (DIGIT(i))
            i++;
    if (i < p->size && t[i] == '.') {
        i++;
        if (!DIGIT(i)) {
            p->at = i;
            return json_fail(p, "digit expected after '.'");
        }
        while (DIGIT(i))
            i++;
    }
    if (i < p->size && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < p->size && (t[i] == '+' || t[i] == '-'))
            i++;
        if (!DIGIT(i)) {
            p->at = i;
            return json_fail(p, "digit expected in exponent");
        }
        while (DIGIT(i))
            i++;
    }
#undef DIGIT
    char buf[64];
    if (i - start >= sizeof buf)
        return json_fail(p, "number too long");
    memcpy(buf, t + start, i - start);
    buf[i - start] = 0;
    *out = strtod(buf, NULL);
    if (!isfinite(*out))
        return json_fail(p, "number out of range");
    p->at = i;
    return true;
}

static bool json_value(json_parser *p, json *v)
{
    memset(v, 0, sizeof *v);
    json_skip_space(p);
    if (p->at >= p->size)
        return json_fail(p, "value expected, found the end");
    char c = p->text[p->at];
    if (c == '{' || c == '[') {
        if (++p->depth > JSON_MAX_DEPTH)
            return json_fail(p, "nested too deeply");
        bool object = c == '{';
        v->type = object ? JSON_OBJECT : JSON_ARRAY;
        p->at++;
        json_skip_space(p);
        if (p->at < p->size && p->text[p->at] == (object ? '}' : ']')) {
            p->at++;
            p->depth--;
            return true;
        }
        int cap = 0;
        for (;;) {
            if (v->count == cap) {
                cap = cap ? 2 * cap : 8;
                json *items = realloc(v->items, (size_t)cap * sizeof *items);
                char **keys = object ? realloc(v->keys, (size_t)cap * sizeof *keys) : NULL;
                if (items)
                    v->items = items;
                if (keys)
                    v->keys = keys;
                if (!items || (object && !keys))
                    return json_fail(p, "out of memory");
            }
            json_skip_space(p);
            if (object) {
                if (p->at >= p->size || p->text[p->at] != '"')
                    return json_fail(p, "member name expected");
                size_t key_at = p->at;
                char *key;
                if (!json_string(p, &key))
                    return false;
                for (int i = 0; i < v->count; i++)
                    if (!strcmp(v->keys[i], key)) {
                        free(key);
                        p->at = key_at;
                        return json_fail(p, "duplicate member name");
                    }
                v->keys[v->count] = key;
                json_skip_space(p);
                if (p->at >= p->size || p->text[p->at] != ':') {
                    memset(&v->items[v->count], 0, sizeof *v->items);
                    v->count++;
                    return json_fail(p, "':' expected");
                }
                p->at++;
            }
            bool ok = json_value(p, &v->items[v->count]);
            v->count++;
            if (!ok)
                return false;
            json_skip_space(p);
            if (p->at < p->size && p->text[p->at] == ',') {
                p->at++;
                continue;
            }
            if (p->at < p->size && p->text[p->at] == (object ? '}' : ']')) {
                p->at++;
                p->depth--;
                return true;
            }
            return json_fail(p, object ? "',' or '}' expected" : "',' or ']' expected");
        }
    }
    if (c == '"') {
        v->type = JSON_STRING;
        return json_string(p, &v->string);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        v->type = JSON_NUMBER;
        return json_number(p, &v->number);
    }
    static const char *const words[] = {"true", "false", "null"};
    for (int w = 0; w < 3; w++) {
        size_t n = strlen(words[w]);
        if (p->size - p->at >= n && !memcmp(p->text + p->at, words[w], n)) {
            p->at += n;
            v->type = w < 2 ? JSON_BOOL : JSON_NULL;
            v->number = w == 0;
            return true;
        }
    }
    return json_fail(p, "value expected");
}

/* Parse a whole document; on failure `error` says where (byte offset from 0) and what. */
static bool json_parse(const char *text, size_t size, json *out, char *error, size_t error_size)
{
    json_parser p = {.text = text, .size = size};
    bool ok = json_value(&p, out);
    if (ok) {
        json_skip_space(&p);
        if (p.at < size)
            ok = json_fail(&p, "trailing characters after the document");
    }
    if (!ok) {
        json_free(out);
        snprintf(error, error_size, "%s", p.error);
    }
    return ok;
}

static const json *json_member(const json *object, const char *key)
{
    if (!object || object->type != JSON_OBJECT)
        return NULL;
    for (int i = 0; i < object->count; i++)
        if (!strcmp(object->keys[i], key))
            return &object->items[i];
    return NULL;
}

/* ---- The checkpoint's weights -------------------------------------------------------------- */

#define MAX_DIMS 4

typedef struct weight {
    char *name;
    int ndim, dims[MAX_DIMS];
    size_t count;
    float *data;
    bool used;
} weight;

typedef struct checkpoint {
    char dir[1024];
    weight *weights;
    int count;
    json config; /* config.json, JSON_NULL when absent */
} checkpoint;

static void checkpoint_free(checkpoint *c)
{
    for (int i = 0; i < c->count; i++) {
        free(c->weights[i].name);
        free(c->weights[i].data);
    }
    free(c->weights);
    json_free(&c->config);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Read a whole file (at most `limit` bytes) into a new buffer. */
static nn_status read_file(const char *path, size_t limit, char **data, size_t *size, char *why)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return why_fail(why, NN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 65536;
            char *bigger = cap <= limit + 1 ? realloc(buf, cap + 1) : NULL;
            if (!bigger) {
                free(buf);
                fclose(f);
                return why_fail(why, cap > limit + 1 ? NN_ERR_MALFORMED : NN_ERR_MEMORY, "%s: %s", path,
                                cap > limit + 1 ? "too large" : "out of memory");
            }
            buf = bigger;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return why_fail(why, NN_ERR_IO, "%s: read error", path);
    }
    buf[len] = 0;
    *data = buf;
    *size = len;
    return NN_OK;
}

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

static float le_f32(const unsigned char *p)
{
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* How a manifest entry's values are stored. */
typedef enum stored { STORED_F32, STORED_F16, STORED_U8, STORED_U16 } stored;

static size_t stored_size(stored s) { return s == STORED_F32 ? 4 : s == STORED_U8 ? 1 : 2; }

/* One manifest entry: its name, shape and storage; the checks name the entry. */
static nn_status read_entry(const char *manifest, int g, int e, const json *entry, weight *w, stored *how, double *min,
                            double *scale, char *why)
{
    const json *name = json_member(entry, "name"), *shape = json_member(entry, "shape"),
               *dtype = json_member(entry, "dtype"), *quant = json_member(entry, "quantization");
    if (!name || name->type != JSON_STRING || !name->string[0])
        return why_fail(why, NN_ERR_MALFORMED, "%s: group %d, weight %d: no \"name\" string", manifest, g, e);
    const char *n = name->string;
    if (!shape || shape->type != JSON_ARRAY || shape->count > MAX_DIMS)
        return why_fail(why, NN_ERR_MALFORMED, "%s: tensor '%s': \"shape\" must be an array of at most %d sizes",
                        manifest, n, MAX_DIMS);
    w->ndim = shape->count;
    w->count = 1;
    for (int d = 0; d < shape->count; d++) {
        double v = shape->items[d].number;
        if (shape->items[d].type != JSON_NUMBER || v != floor(v) || v < 0 || v > (1 << 24))
            return why_fail(why, NN_ERR_MALFORMED, "%s: tensor '%s': bad size in \"shape\"", manifest, n);
        w->dims[d] = (int)v;
        w->count *= (size_t)v;
    }
    if (w->count > (size_t)1 << 28)
        return why_fail(why, NN_ERR_MALFORMED, "%s: tensor '%s': too many values", manifest, n);
    if (!dtype || dtype->type != JSON_STRING)
        return why_fail(why, NN_ERR_MALFORMED, "%s: tensor '%s': no \"dtype\" string", manifest, n);
    if (!strcmp(dtype->string, "float32"))
        *how = STORED_F32;
    else if (!strcmp(dtype->string, "float16"))
        *how = STORED_F16;
    else
        return why_fail(why, NN_ERR_MALFORMED, "%s: tensor '%s': unknown dtype '%s' (float32 and float16 are read)",
                        manifest, n, dtype->string);
    *min = 0;
    *scale = 1;
    if (quant && quant->type != JSON_NULL) {
        const json *qd = json_member(quant, "dtype");
        if (!qd || qd->type != JSON_STRING)
            return why_fail(why, NN_ERR_MALFORMED, "%s: tensor '%s': quantization without a \"dtype\" string", manifest,
                            n);
        if (!strcmp(qd->string, "float16")) {
            *how = STORED_F16;
        } else if (!strcmp(qd->string, "uint8") || !strcmp(qd->string, "uint16")) {
            *how = qd->string[4] == '8' ? STORED_U8 : STORED_U16;
            const json *m = json_member(quant, "min"), *s = json_member(quant, "scale");
            if (!m || m->type != JSON_NUMBER || !s || s->type != JSON_NUMBER)
                return why_fail(why, NN_ERR_MALFORMED, "%s: tensor '%s': %s quantization needs numbers \"min\" and \"scale\"",
                                manifest, n, qd->string);
            *min = m->number;
            *scale = s->number;
        } else {
            return why_fail(why, NN_ERR_MALFORMED,
                            "%s: tensor '%s': unknown quantization dtype '%s' (uint8, uint16 and float16 are read)",
                            manifest, n, qd->string);
        }
    }
    if (!(w->name = strdup(n)))
        return why_fail(why, NN_ERR_MEMORY, "out of memory");
    return NN_OK;
}

/* A shard path must stay inside the folder. */
static bool safe_path(const char *p) { return p[0] && p[0] != '/' && !strstr(p, ".."); }

/* Read weights_manifest.json, every group's shards, every weight as f32 (and config.json). */
static nn_status checkpoint_read(const char *dir, checkpoint *c, char *why)
{
    memset(c, 0, sizeof *c);
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    char manifest[1200], path[2400], error[200];
    snprintf(manifest, sizeof manifest, "%s/weights_manifest.json", dir);
    char *text = NULL;
    size_t size = 0;
    nn_status st = read_file(manifest, (size_t)16 << 20, &text, &size, why);
    if (st)
        return st;
    json doc;
    bool ok = json_parse(text, size, &doc, error, sizeof error);
    free(text);
    if (!ok)
        return why_fail(why, NN_ERR_MALFORMED, "%s: %s", manifest, error);
    if (doc.type != JSON_ARRAY) {
        json_free(&doc);
        return why_fail(why, NN_ERR_MALFORMED, "%s: the manifest must be an array of weight groups", manifest);
    }
    int total = 0;
    for (int g = 0; g < doc.count; g++) {
        const json *weights = json_member(&doc.items[g], "weights"), *paths = json_member(&doc.items[g], "paths");
        if (!weights || weights->type != JSON_ARRAY || !paths || paths->type != JSON_ARRAY) {
            json_free(&doc);
            return why_fail(why, NN_ERR_MALFORMED, "%s: group %d needs arrays \"paths\" and \"weights\"", manifest, g);
        }
        total += weights->count;
    }
    c->weights = calloc((size_t)total + 1, sizeof *c->weights);
    if (!c->weights) {
        json_free(&doc);
        return why_fail(why, NN_ERR_MEMORY, "out of memory");
    }
    for (int g = 0; g < doc.count && !st; g++) {
        const json *weights = json_member(&doc.items[g], "weights"), *paths = json_member(&doc.items[g], "paths");
        /* The group's bytes: its shards concatenated in order. */
        unsigned char *bytes = NULL;
        size_t have = 0;
        for (int s = 0; s < paths->count && !st; s++) {
            const json *p = &paths->items[s];
            if (p->type != JSON_STRING || !safe_path(p->string)) {
                st = why_fail(why, NN_ERR_MALFORMED, "%s: group %d: shard path %d must be a relative path inside the folder",
                              manifest, g, s);
                break;
            }
            snprintf(path, sizeof path, "%s/%s", dir, p->string);
            char *shard = NULL;
            size_t shard_size = 0;
            if ((st = read_file(path, (size_t)1 << 31, &shard, &shard_size, why))) {
                char detail[NN_MESSAGE_SIZE];
                snprintf(detail, sizeof detail, "%s", why);
                why_fail(why, st, "shard missing or unreadable (listed in %s): %s", base_name(manifest), detail);
                break;
            }
            unsigned char *joined = realloc(bytes, have + shard_size + 1);
            if (!joined) {
                free(shard);
                st = why_fail(why, NN_ERR_MEMORY, "out of memory");
                break;
            }
            bytes = joined;
            memcpy(bytes + have, shard, shard_size);
            have += shard_size;
            free(shard);
        }
        size_t offset = 0;
        for (int e = 0; e < weights->count && !st; e++) {
            weight *w = &c->weights[c->count];
            stored how = STORED_F32;
            double min = 0, scale = 1;
            if ((st = read_entry(manifest, g, e, &weights->items[e], w, &how, &min, &scale, why)))
                break;
            c->count++;
            for (int k = 0; k < c->count - 1; k++)
                if (!strcmp(c->weights[k].name, w->name)) {
                    st = why_fail(why, NN_ERR_MALFORMED, "%s: tensor '%s' is listed twice", manifest, w->name);
                    break;
                }
            if (st)
                break;
            size_t need = w->count * stored_size(how);
            if (offset + need > have) {
                st = why_fail(why, NN_ERR_TRUNCATED,
                              "%s: truncated shard: tensor '%s' needs bytes %zu..%zu of group %d's shards (%s%s), which hold %zu",
                              dir, w->name, offset, offset + need, g,
                              paths->count ? paths->items[paths->count - 1].string : "none",
                              paths->count > 1 ? " and those before it" : "", have);
                break;
            }
            if (!(w->data = malloc((w->count ? w->count : 1) * sizeof(float)))) {
                st = why_fail(why, NN_ERR_MEMORY, "out of memory");
                break;
            }
            const unsigned char *q = bytes + offset;
            for (size_t i = 0; i < w->count; i++) {
                float v;
                switch (how) {
                case STORED_F32: v = le_f32(q + 4 * i); break;
                case STORED_F16: v = nn_f16_to_f32(le16(q + 2 * i)); break;
                case STORED_U8: v = (float)(q[i] * scale + min); break;
                default: v = (float)(le16(q + 2 * i) * scale + min); break;
                }
                if (!isfinite(v)) {
                    st = why_fail(why, NN_ERR_MALFORMED, "%s: tensor '%s': value %zu is not finite", manifest, w->name, i);
                    break;
                }
                w->data[i] = v;
            }
            offset += need;
        }
        if (!st && offset < have)
            fprintf(stderr, "nn-train import: warning: group %d's shards hold %zu bytes after the last weight\n", g,
                    have - offset);
        free(bytes);
    }
    json_free(&doc);
    if (st)
        return st;

    /* config.json (Magenta.js's model spec) is optional. */
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *probe = fopen(path, "rb");
    if (probe) {
        fclose(probe);
        if ((st = read_file(path, (size_t)1 << 20, &text, &size, why)))
            return st;
        ok = json_parse(text, size, &c->config, error, sizeof error);
        free(text);
        if (!ok)
            return why_fail(why, NN_ERR_MALFORMED, "%s: %s", path, error);
    }
    return NN_OK;
}

static weight *find_weight(checkpoint *c, const char *name)
{
    for (int i = 0; i < c->count; i++)
        if (!strcmp(c->weights[i].name, name))
            return &c->weights[i];
    return NULL;
}

static bool has_prefix(const checkpoint *c, const char *prefix)
{
    for (int i = 0; i < c->count; i++)
        if (!strncmp(c->weights[i].name, prefix, strlen(prefix)))
            return true;
    return false;
}

/* ---- Mapping onto the event_rnn file -------------------------------------------------------- */

typedef struct import_out {
    nn_writer *writer;
    bool f16; /* matrices as float16 */
    int tensors;
} import_out;

static void shape_text(int ndim, const int *dims, char *out, size_t size)
{
    int used = snprintf(out, size, "[");
    for (int d = 0; d < ndim && used < (int)size; d++)
        used += dims[d] < 0 ? snprintf(out + used, size - (size_t)used, d ? ", ?" : "?")
                            : snprintf(out + used, size - (size_t)used, d ? ", %d" : "%d", dims[d]);
    if (used < (int)size)
        snprintf(out + used, size - (size_t)used, "]");
}

/* The source tensor `name` must exist with these dims; `*found` gets it. */
static nn_status take(checkpoint *c, const char *name, int ndim, const int *dims, weight **found, char *why)
{
    weight *w = find_weight(c, name);
    if (!w)
        return why_fail(why, NN_ERR_MISSING, "%s: missing tensor '%s'", c->dir, name);
    bool same = w->ndim == ndim;
    for (int d = 0; same && d < ndim; d++)
        same = dims[d] < 0 || w->dims[d] == dims[d];
    if (!same) {
        char have[64], want[64];
        shape_text(w->ndim, w->dims, have, sizeof have);
        shape_text(ndim, dims, want, sizeof want);
        return why_fail(why, NN_ERR_SHAPE, "%s: tensor '%s' has shape %s, expected %s", c->dir, name, have, want);
    }
    w->used = true;
    *found = w;
    return NN_OK;
}

/* Copy source tensor `from` (checked against dims) into the file as `to`, with `ndim_out` of
 * its dims (attn_w drops its two leading unit dimensions). */
static nn_status copy_tensor(checkpoint *c, import_out *o, const char *from, int ndim, const int *dims,
                             const char *to, char *why)
{
    weight *w;
    nn_status st = take(c, from, ndim, dims, &w, why);
    if (st)
        return st;
    int out_dims[MAX_DIMS], out_ndim = 0;
    for (int d = 0; d < w->ndim; d++)
        if (!(ndim == 4 && d < 2)) /* [1, 1, U, U] → [U, U] */
            out_dims[out_ndim++] = w->dims[d];
    nn_dtype dtype = o->f16 && out_ndim == 2 ? NN_F16 : NN_F32;
    if ((st = nn_writer_add(o->writer, to, dtype, out_ndim, out_dims, w->data)))
        return why_fail(why, st, "%s: tensor '%s' cannot be written as '%s': %s", c->dir, from, to, nn_status_text(st));
    o->tensors++;
    return NN_OK;
}

/* The LSTM stack: cells named PREFIX(k) + "kernel" / "bias", the first reading `in` values.
 * Returns the layer count and each one's units. */
static nn_status take_cells(checkpoint *c, import_out *o, const char *cell_format, const char *first_cell, int in,
                            int *layers, int *units, char *why)
{
    char name[256], kernel_name[300], bias_name[300], to[64];
    *layers = 0;
    for (int k = 0; k < NN_TRAIN_MAX_LAYERS; k++) {
        if (k == 0 && first_cell)
            snprintf(name, sizeof name, "%s", first_cell);
        else
            snprintf(name, sizeof name, cell_format, k);
        snprintf(kernel_name, sizeof kernel_name, "%skernel", name);
        snprintf(bias_name, sizeof bias_name, "%sbias", name);
        weight *bias = find_weight(c, bias_name), *kernel = find_weight(c, kernel_name);
        if (!bias && !kernel) {
            if (k == 0)
                return why_fail(why, NN_ERR_MISSING, "%s: missing tensor '%s'", c->dir, kernel_name);
            break;
        }
        if (!bias)
            return why_fail(why, NN_ERR_MISSING, "%s: missing tensor '%s'", c->dir, bias_name);
        if (bias->ndim != 1 || bias->dims[0] % 4 || !bias->dims[0])
            return why_fail(why, NN_ERR_SHAPE, "%s: tensor '%s' must be [4 * units]", c->dir, bias_name);
        int u = bias->dims[0] / 4;
        nn_status st;
        snprintf(to, sizeof to, "rnn/cell_%d/kernel", k);
        if ((st = copy_tensor(c, o, kernel_name, 2, (int[]){in + u, 4 * u}, to, why)))
            return st;
        snprintf(to, sizeof to, "rnn/cell_%d/bias", k);
        if ((st = copy_tensor(c, o, bias_name, 1, (int[]){4 * u}, to, why)))
            return st;
        units[k] = u;
        in = u;
        ++*layers;
    }
    if (*layers == NN_TRAIN_MAX_LAYERS) {
        snprintf(name, sizeof name, cell_format, NN_TRAIN_MAX_LAYERS);
        snprintf(kernel_name, sizeof kernel_name, "%skernel", name);
        if (find_weight(c, kernel_name))
            return why_fail(why, NN_ERR_SHAPE, "%s: more than %d LSTM layers", c->dir, NN_TRAIN_MAX_LAYERS);
    }
    return NN_OK;
}

/* Every tensor must have been used (or skipped on purpose). */
static nn_status no_extra(checkpoint *c, const char *model, char *why)
{
    for (int i = 0; i < c->count; i++)
        if (!c->weights[i].used)
            return why_fail(why, NN_ERR_MALFORMED, "%s: unexpected tensor '%s' (not part of a %s checkpoint)", c->dir,
                            c->weights[i].name, model);
    return NN_OK;
}

/* Magenta's attention length of a configuration, for checkpoints whose config.json lacks it. */
static int default_attn_length(const char *config)
{
    return !strcmp(config, "attention_rnn") || !strcmp(config, "attention_improv") ? 40
           : !strcmp(config, "drum_kit")                                          ? 32
                                                                                  : 0;
}

/* The configuration a MusicRNN checkpoint was trained for: --config, else config.json's data
 * converter, else the one configuration whose sizes match. */
static nn_status musicrnn_config(checkpoint *c, const char *given, int input, int classes, char *config, char *why)
{
    static const char *const configs[] = {"basic_rnn", "mono_rnn", "lookback_rnn", "attention_rnn", "drum_kit",
                                          "basic_improv", "attention_improv", "chord_pitches_improv", "performance",
                                          "performance_with_dynamics"};
    encoding enc;
    const char *name = given;
    const char *from = "--config";
    if (!name && c->config.type == JSON_OBJECT) {
        const json *conv = json_member(json_member(&c->config, "dataConverter"), "type"),
                   *chords = json_member(&c->config, "chordEncoder");
        from = "config.json";
        if (conv && conv->type == JSON_STRING) {
            /* Magenta.js's MelodyConverter range is inclusive: Magenta's melody configs' 48 .. 84
             * (exclusive) is minPitch 48, maxPitch 83. */
            const json *args = json_member(json_member(&c->config, "dataConverter"), "args"),
                       *lo = json_member(args, "minPitch"), *hi = json_member(args, "maxPitch");
            if (!strcmp(conv->string, "MelodyConverter") && lo && hi && lo->type == JSON_NUMBER &&
                hi->type == JSON_NUMBER && (lo->number != 48 || hi->number != 83))
                return why_fail(why, NN_ERR_ARGUMENT,
                                "%s: config.json's MelodyConverter has pitches %g .. %g; this project's melody "
                                "encodings (basic_rnn, chord_pitches_improv) have 48 .. 83",
                                c->dir, lo->number, hi->number);
            if (!strcmp(conv->string, "MelodyConverter"))
                name = chords && chords->type == JSON_STRING ? "chord_pitches_improv" : "basic_rnn";
            else if (!strcmp(conv->string, "DrumsConverter") || !strcmp(conv->string, "DrumsOneHotConverter"))
                name = "drum_kit";
            else if (!strcmp(conv->string, "PerformanceConverter"))
                name = classes == 388 ? "performance_with_dynamics" : "performance";
        }
    }
    if (!name) { /* by the sizes, which tell Magenta's configurations apart */
        from = "the tensors' sizes";
        for (size_t i = 0; i < sizeof configs / sizeof *configs && !name; i++)
            if (encoding_find(configs[i], &enc) && features_input_size(&enc) == input &&
                features_num_classes(&enc) == classes)
                name = configs[i];
        if (!name)
            return why_fail(why, NN_ERR_MALFORMED,
                            "%s: input size %d and %d classes match no configuration this project knows: pass --config",
                            c->dir, input, classes);
    }
    if (!encoding_find(name, &enc) || enc.kind == KIND_GENIE)
        return why_fail(why, NN_ERR_ARGUMENT, "%s: unknown MusicRNN configuration '%s'", c->dir, name);
    if (features_input_size(&enc) != input || features_num_classes(&enc) != classes)
        return why_fail(why, NN_ERR_SHAPE,
                        "%s: the checkpoint has input size %d and %d classes, configuration '%s' (from %s) has %d and %d",
                        c->dir, input, classes, name, from, features_input_size(&enc), features_num_classes(&enc));
    snprintf(config, NN_HPARAM_STRING_MAX + 1, "%s", name);
    return NN_OK;
}

static nn_status import_musicrnn(checkpoint *c, import_out *o, const char *given_config, int attn_length,
                                 bool magenta_js, char *why)
{
    static const char *const stack_wrapper = "rnn/attention_cell_wrapper/",
                             *cell_wrapper = "rnn/multi_rnn_cell/cell_0/attention_cell_wrapper/";
    const char *wrapper = has_prefix(c, stack_wrapper) ? stack_wrapper : has_prefix(c, cell_wrapper) ? cell_wrapper : NULL;
    char first[160], format[160];
    snprintf(format, sizeof format, "%smulti_rnn_cell/cell_%%d/basic_lstm_cell/", wrapper == stack_wrapper ? wrapper : "rnn/");
    if (wrapper)
        snprintf(first, sizeof first, wrapper == stack_wrapper ? "%smulti_rnn_cell/cell_0/basic_lstm_cell/"
                                                               : "%sbasic_lstm_cell/", wrapper);
    /* The sizes: input from the first kernel, classes from the output layer. */
    char k0[300], b0name[300];
    const char *cell0 = wrapper ? first : "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/";
    snprintf(k0, sizeof k0, "%skernel", cell0);
    snprintf(b0name, sizeof b0name, "%sbias", cell0);
    weight *kernel0 = find_weight(c, k0), *b0 = find_weight(c, b0name);
    if (!kernel0 || !b0)
        return why_fail(why, NN_ERR_MISSING, "%s: missing tensor '%s'", c->dir, kernel0 ? b0name : k0);
    if (kernel0->ndim != 2 || b0->ndim != 1 || b0->dims[0] % 4 || kernel0->dims[0] <= b0->dims[0] / 4)
        return why_fail(why, NN_ERR_SHAPE, "%s: tensor '%s' must be [input + units, 4 * units] with '%s' [4 * units]",
                        c->dir, k0, b0name);
    int units0 = b0->dims[0] / 4, input = kernel0->dims[0] - units0, layers, units[NN_TRAIN_MAX_LAYERS];
    weight *fc;
    nn_status st = take_cells(c, o, format, wrapper ? first : NULL, input, &layers, units, why);
    if (st || (st = take(c, "fully_connected/weights", 2, (int[]){units[layers - 1], -1}, &fc, why)))
        return st;
    int classes = fc->dims[1];
    char config[NN_HPARAM_STRING_MAX + 1];
    if ((st = musicrnn_config(c, given_config, input, classes, config, why)))
        return st;
    const bool stack = wrapper == stack_wrapper;
    if (magenta_js && !stack)
        return why_fail(why, NN_ERR_ARGUMENT,
                        "%s: --magenta-js is for checkpoints with the attention wrapper around the whole stack "
                        "(rnn/attention_cell_wrapper/), the only attention Magenta.js runs",
                        c->dir);
    if ((st = copy_tensor(c, o, "fully_connected/weights", 2, (int[]){units[layers - 1], classes}, "output/kernel", why)) ||
        (st = copy_tensor(c, o, "fully_connected/biases", 1, (int[]){classes}, "output/bias", why)))
        return st;
    if (wrapper) {
        if (attn_length <= 0) {
            const json *al = json_member(&c->config, "attentionLength");
            attn_length = al && al->type == JSON_NUMBER ? (int)al->number : default_attn_length(config);
        }
        if (attn_length <= 0 || attn_length > 1024)
            return why_fail(why, NN_ERR_MISSING,
                            "%s: the checkpoint has an attention wrapper but its length is unknown (no \"attentionLength\" "
                            "in config.json): pass --attn-length",
                            c->dir);
        /* The wrapped cell's output size and the query's: the state it flattens. */
        const int U = stack ? units[layers - 1] : units[0];
        int S = 0;
        for (int k = 0; k < (stack ? layers : 1); k++)
            S += 2 * units[k];
        const int I = input;
        char from[300];
        const char *proj = find_weight(c, "rnn/attention_cell_wrapper/attention_output_projection/kernel") ||
                                   find_weight(c, "rnn/multi_rnn_cell/cell_0/attention_cell_wrapper/attention_output_projection/kernel")
                               ? "attention_output_projection"
                               : "attn_output_projection";
        struct {
            const char *from, *to;
            int ndim, dims[4];
        } map[] = {
            {"kernel", "input_kernel", 2, {I + U, I}},
            {"bias", "input_bias", 1, {I}},
            {"attention/attn_w", "attn_w", 4, {1, 1, U, U}},
            {"attention/attn_v", "attn_v", 1, {U}},
            {"attention/kernel", "query_kernel", 2, {S, U}},
            {"attention/bias", "query_bias", 1, {U}},
            {"kernel", "output_kernel", 2, {2 * U, U}},
            {"bias", "output_bias", 1, {U}},
        };
        for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
            char to[96];
            if (i >= 6)
                snprintf(from, sizeof from, "%s%s/%s", wrapper, proj, map[i].from);
            else
                snprintf(from, sizeof from, "%s%s", wrapper, map[i].from);
            snprintf(to, sizeof to, "%s%s", stack ? "rnn/attention/" : "rnn/cell_0/attention/", map[i].to);
            weight *query_bias = magenta_js && !strcmp(map[i].to, "query_bias") ? find_weight(c, from) : NULL;
            if (query_bias) /* Magenta.js's query is x · kernel alone */
                memset(query_bias->data, 0, query_bias->count * sizeof(float));
            if ((st = copy_tensor(c, o, from, map[i].ndim, map[i].dims, to, why)))
                return st;
        }
    } else {
        attn_length = 0;
    }
    if ((st = no_extra(c, "MusicRNN", why)))
        return st;
    nn_writer_set_string(o->writer, "encoding", config);
    nn_writer_set_int(o->writer, "input_size", input);
    nn_writer_set_int(o->writer, "num_classes", classes);
    nn_writer_set_int(o->writer, "num_layers", layers);
    nn_writer_set_float(o->writer, "forget_bias", 1.0);
    if (attn_length)
        nn_writer_set_int(o->writer, "attn_length", attn_length);
    if (attn_length && stack)
        nn_writer_set_string(o->writer, "attn_cells", "stack");
    printf("MusicRNN '%s': input %d, %d classes, %d layers of", config, input, classes, layers);
    for (int k = 0; k < layers; k++)
        printf(" %d", units[k]);
    if (attn_length)
        printf(", attention over %d steps (%s%s)", attn_length, stack ? "around the stack" : "first cell",
               magenta_js ? ", query without bias as Magenta.js" : "");
    printf("\n");
    return NN_OK;
}

static nn_status import_genie(checkpoint *c, import_out *o, const char *given_config, char *why)
{
    static const char *const dec = "phero_model/decoder/";
    if (given_config && strcmp(given_config, "piano_genie"))
        return why_fail(why, NN_ERR_ARGUMENT, "%s: a Piano Genie checkpoint cannot be imported as '%s'", c->dir,
                        given_config);
    int skipped = 0;
    for (int i = 0; i < c->count; i++) /* the encoder and quantiser: not part of the decoder */
        if (!strncmp(c->weights[i].name, "phero_model/", 12) && strncmp(c->weights[i].name, dec, strlen(dec))) {
            c->weights[i].used = true;
            skipped++;
        }
    weight *in_kernel = find_weight(c, "phero_model/decoder/rnn_input/dense/kernel");
    if (!in_kernel)
        return why_fail(why, NN_ERR_MISSING, "%s: missing tensor 'phero_model/decoder/rnn_input/dense/kernel'", c->dir);
    if (in_kernel->ndim != 2)
        return why_fail(why, NN_ERR_SHAPE, "%s: tensor 'phero_model/decoder/rnn_input/dense/kernel' must be 2-D", c->dir);
    int input = in_kernel->dims[0], proj = in_kernel->dims[1];
    nn_status st;
    if ((st = copy_tensor(c, o, "phero_model/decoder/rnn_input/dense/kernel", 2, (int[]){input, proj}, "input/kernel", why)) ||
        (st = copy_tensor(c, o, "phero_model/decoder/rnn_input/dense/bias", 1, (int[]){proj}, "input/bias", why)))
        return st;
    int layers, units[NN_TRAIN_MAX_LAYERS];
    if ((st = take_cells(c, o, "phero_model/decoder/rnn/rnn/multi_rnn_cell/cell_%d/lstm_cell/", NULL, proj, &layers,
                         units, why)))
        return st;
    if (units[0] != proj)
        return why_fail(why, NN_ERR_SHAPE, "%s: the input projection gives %d values, cell 0 has %d units", c->dir, proj,
                        units[0]);
    weight *out = find_weight(c, "phero_model/decoder/pitches/dense/kernel");
    int classes = out && out->ndim == 2 ? out->dims[1] : MUSIC_GENIE_NUM_KEYS;
    if ((st = copy_tensor(c, o, "phero_model/decoder/pitches/dense/kernel", 2, (int[]){units[layers - 1], classes},
                          "output/kernel", why)) ||
        (st = copy_tensor(c, o, "phero_model/decoder/pitches/dense/bias", 1, (int[]){classes}, "output/bias", why)) ||
        (st = no_extra(c, "Piano Genie decoder", why)))
        return st;
    if (input != MUSIC_GENIE_DECODER_INPUT_SIZE || classes != MUSIC_GENIE_NUM_KEYS)
        fprintf(stderr,
                "nn-train import: warning: decoder input %d and %d classes differ from the plugin's features (%d, %d): "
                "another configuration of Piano Genie's decoder features\n",
                input, classes, MUSIC_GENIE_DECODER_INPUT_SIZE, MUSIC_GENIE_NUM_KEYS);
    nn_writer_set_string(o->writer, "encoding", "piano_genie");
    nn_writer_set_int(o->writer, "input_size", input);
    nn_writer_set_int(o->writer, "num_classes", classes);
    nn_writer_set_int(o->writer, "num_layers", layers);
    nn_writer_set_float(o->writer, "forget_bias", 1.0); /* LSTMBlockCell's default */
    printf("Piano Genie decoder: input %d -> %d, %d LSTM layers of %d, %d keys (%d encoder tensors skipped)\n", input,
           proj, layers, units[0], classes, skipped);
    return NN_OK;
}

static void import_usage(FILE *to)
{
    fputs("usage: nn-train import DIR --out FILE.nnm [--config NAME] [--attn-length N] [--f16] [--magenta-js]\n"
          "Converts a Magenta.js checkpoint folder (weights_manifest.json and its shards; float32,\n"
          "float16 and the quantised uint8/uint16/float16 forms) into an event_rnn model file:\n"
          "MusicRNN (basic_rnn, melody_rnn, drum_kit_rnn, chord_pitches_improv, ...) or Piano Genie's\n"
          "decoder. The configuration comes from --config, else the folder's config.json, else the\n"
          "tensors' sizes. --f16 stores the weight matrices as float16 (default float32).\n"
          "--magenta-js: for attention around the whole stack, compute as Magenta.js does (its\n"
          "query has no bias); by default as Magenta's TensorFlow graph the weights were trained in.\n",
          to);
}

int command_import(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL, *config = NULL;
    int attn_length = 0;
    bool f16 = false, magenta_js = false;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config = argv[++i];
        else if (!strcmp(argv[i], "--attn-length") && i + 1 < argc)
            attn_length = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--f16"))
            f16 = true;
        else if (!strcmp(argv[i], "--magenta-js"))
            magenta_js = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            import_usage(stdout);
            return 0;
        } else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else {
            import_usage(stderr);
            return 2;
        }
    }
    if (!dir || !out) {
        import_usage(stderr);
        return 2;
    }
    char why[NN_MESSAGE_SIZE + 1200] = "";
    checkpoint c;
    import_out o = {.f16 = f16};
    nn_status st = checkpoint_read(dir, &c, why);
    if (!st && (st = nn_writer_new(NN_KIND_EVENT_RNN, &o.writer)))
        why_fail(why, st, "out of memory");
    if (!st) {
        if (has_prefix(&c, "phero_model/decoder/"))
            st = import_genie(&c, &o, config, why);
        else if (find_weight(&c, "fully_connected/weights") || has_prefix(&c, "rnn/"))
            st = import_musicrnn(&c, &o, config, attn_length, magenta_js, why);
        else
            st = why_fail(why, NN_ERR_MALFORMED,
                          "%s: neither a MusicRNN checkpoint (rnn/..., fully_connected/...) nor Piano Genie's "
                          "(phero_model/decoder/...)",
                          dir);
    }
    if (!st) {
        nn_writer_set_string(o.writer, "weights", "magenta.js import");
        /* The engine validates the result before it is written: a file is made only if it loads. */
        void *bytes = NULL;
        size_t size = 0;
        nn_model *model = NULL;
        char load_why[NN_MESSAGE_SIZE];
        if ((st = nn_writer_to_memory(o.writer, &bytes, &size)))
            why_fail(why, st, "%s: %s", out, nn_status_text(st));
        else if ((st = nn_model_load_memory(bytes, size, out, &model, load_why)))
            why_fail(why, st, "the converted model does not load: %s", load_why);
        nn_model_free(model);
        free(bytes);
        if (!st && (st = nn_writer_save(o.writer, out, load_why)))
            why_fail(why, st, "%s", load_why);
    }
    if (!st)
        printf("wrote %s: %d tensors, %s weights\n", out, o.tensors, f16 ? "float16" : "float32");
    else
        fprintf(stderr, "nn-train import: %s\n", why);
    nn_writer_free(o.writer);
    checkpoint_free(&c);
    return st ? 1 : 0;
}
