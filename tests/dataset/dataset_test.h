/* dataset_test.h — what the dataset tests share: datasets written byte by byte (tools/DATASET.md);
 * and from tests/tool_test.h, running the nn-train binary and a scratch folder.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#ifndef DATASET_TEST_H
#define DATASET_TEST_H

#include "../tool_test.h" /* first: it asks for _DEFAULT_SOURCE */

#include "nn-train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"

/* ---- Datasets by hand ------------------------------------------------------------------------ */

typedef struct hand_record {
    int length, eval, transposition;
    uint32_t source;
    const uint16_t *classes;
    const uint32_t *chords; /* written when the header says so */
} hand_record;

typedef struct hand_header {
    const char *encoding;
    int input_size, num_classes;
    uint32_t version, streams, files;
} hand_header;

static inline void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void put32(uint8_t *p, uint32_t v) { put16(p, v & 0xffff); put16(p + 2, v >> 16); }
static inline void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

/* Recompute both checksums of a dataset image (after editing it). */
static inline void resign(uint8_t *b, size_t size)
{
    put32(b + 92, nn_crc32c(0, b + 128, size - 128));
    put32(b + 124, nn_crc32c(0, b, 124));
}

/* A dataset image in a new malloc'd buffer; *size set. */
static inline uint8_t *hand_dataset(const hand_header *h, const hand_record *records, int count, size_t *size)
{
    size_t n = 128;
    for (int r = 0; r < count; r++)
        n += 12 + (size_t)records[r].length * (h->streams & 1 ? 6 : 2);
    uint8_t *b = calloc(n, 1);
    if (!b)
        return NULL;
    memcpy(b, "MLV2DSET", 8);
    put32(b + 8, h->version);
    put32(b + 12, 128);
    snprintf((char *)b + 16, 32, "%s", h->encoding);
    put32(b + 48, (uint32_t)h->input_size);
    put32(b + 52, (uint32_t)h->num_classes);
    uint64_t train = 0, eval = 0, steps = 0;
    size_t at = 128;
    for (int r = 0; r < count; r++) {
        const hand_record *rec = &records[r];
        put32(b + at, (uint32_t)rec->length);
        b[at + 4] = (uint8_t)rec->eval;
        b[at + 5] = (uint8_t)(int8_t)rec->transposition;
        put32(b + at + 8, rec->source);
        at += 12;
        for (int i = 0; i < rec->length; i++, at += 2)
            put16(b + at, rec->classes[i]);
        if (h->streams & 1)
            for (int i = 0; i < rec->length; i++, at += 4)
                put32(b + at, rec->chords[i]);
        (rec->eval ? &eval : &train)[0]++;
        steps += (uint64_t)rec->length;
    }
    put64(b + 56, (uint64_t)count);
    put64(b + 64, train);
    put64(b + 72, eval);
    put64(b + 80, steps);
    put32(b + 88, h->files);
    put32(b + 104, 1000);
    put32(b + 108, h->streams);
    resign(b, n);
    *size = n;
    return b;
}

static inline bool write_bytes(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok;
}

#endif /* DATASET_TEST_H */
