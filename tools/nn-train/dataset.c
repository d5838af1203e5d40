/* dataset.c — reading dataset files (tools/DATASET.md): validate once, streaming, then read any
 * record by its index.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#define _XOPEN_SOURCE 700 /* pread */
#include "nn-train.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "MLV2DSET"
#define HEADER_SIZE 128
#define RECORD_HEAD 12
#define NEWEST_VERSION 2u
#define STREAM_CHORDS 1u
#define STREAM_BUFFER (1u << 20) /* the validating pass reads this much at a time */
#define MAX_OFFSET (1ull << 48)   /* an index entry keeps 48 bits of file offset */

/* 16 bytes per record. */
typedef struct index_entry {
    uint64_t where; /* file offset << 16 | eval << 8 | (uint8_t)transposition */
    uint32_t length;
    uint32_t source;
} index_entry;

struct dataset {
    int fd;
    char *path;
    dataset_info info;
    encoding enc;
    index_entry *index;
};

static uint32_t get_u16(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8; }
static uint32_t get_u32(const uint8_t *p) { return get_u16(p) | get_u16(p + 2) << 16; }
static uint64_t get_u64(const uint8_t *p) { return get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }

static nn_status fail(char *why, nn_status status, const char *path, const char *format, ...)
{
    if (why) {
        int n = snprintf(why, NN_MESSAGE_SIZE, "%.200s: ", path);
        va_list args;
        va_start(args, format);
        vsnprintf(why + n, (size_t)(NN_MESSAGE_SIZE - n), format, args);
        va_end(args);
    }
    return status;
}

/* pread() until n bytes from `offset` or the end of the file; -1 on an error. Every read names
 * its offset, so the validating pass and random access share the descriptor freely. */
static ssize_t pread_full(int fd, void *buf, size_t n, uint64_t offset)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (uint8_t *)buf + got, n - got, (off_t)(offset + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* ---- The header ---------------------------------------------------------------------------- */

static nn_status parse_header(dataset *ds, const uint8_t *h, size_t got, char *why)
{
    const char *path = ds->path;
    dataset_info *info = &ds->info;
    if (got < 8 || memcmp(h, MAGIC, 8) != 0)
        return fail(why, NN_ERR_MAGIC, path, "not a dataset file (no %s magic at its start)", MAGIC);
    if (got < 12)
        return fail(why, NN_ERR_TRUNCATED, path, "truncated: %zu bytes, the header has %d", got, HEADER_SIZE);
    info->version = get_u32(h + 8);
    if (info->version > NEWEST_VERSION)
        return fail(why, NN_ERR_VERSION, path, "dataset format version %u is newer than this nn-train reads (%u)",
                    info->version, NEWEST_VERSION);
    if (info->version < 1)
        return fail(why, NN_ERR_MALFORMED, path, "dataset format version 0 does not exist");
    if (got < HEADER_SIZE)
        return fail(why, NN_ERR_TRUNCATED, path, "truncated: %zu bytes, the header has %d", got, HEADER_SIZE);
    if (get_u32(h + 12) != HEADER_SIZE)
        return fail(why, NN_ERR_MALFORMED, path, "header size %u, version %u has %d", get_u32(h + 12), info->version,
                    HEADER_SIZE);
    uint32_t crc = nn_crc32c(0, h, 124);
    if (get_u32(h + 124) != crc)
        return fail(why, NN_ERR_CHECKSUM, path, "header checksum mismatch (stored %08x, computed %08x)", get_u32(h + 124),
                    crc);
    memcpy(info->encoding, h + 16, 32);
    info->encoding[32] = '\0';
    if (!memchr(h + 16, '\0', 32) || !encoding_find(info->encoding, &ds->enc))
        return fail(why, NN_ERR_MALFORMED, path, "unknown encoding '%.32s'", info->encoding);
    info->input_size = (int)get_u32(h + 48);
    info->num_classes = (int)get_u32(h + 52);
    if (info->input_size != ds->enc.input_size || info->num_classes != ds->enc.num_classes)
        return fail(why, NN_ERR_MALFORMED, path, "%s with input size %d and %d classes (it has %d and %d)", info->encoding,
                    info->input_size, info->num_classes, ds->enc.input_size, ds->enc.num_classes);
    info->records = get_u64(h + 56);
    info->train_records = get_u64(h + 64);
    info->eval_records = get_u64(h + 72);
    info->steps = get_u64(h + 80);
    info->files = get_u32(h + 88);
    info->transpose_lo = (int32_t)get_u32(h + 96);
    info->transpose_hi = (int32_t)get_u32(h + 100);
    info->eval_share = (int)get_u32(h + 104);
    uint32_t streams = get_u32(h + 108);
    if (info->train_records + info->eval_records != info->records || info->train_records > info->records)
        return fail(why, NN_ERR_MALFORMED, path, "%llu records but %llu training + %llu evaluation",
                    (unsigned long long)info->records, (unsigned long long)info->train_records,
                    (unsigned long long)info->eval_records);
    if (info->eval_share > 10000 || info->transpose_lo > info->transpose_hi)
        return fail(why, NN_ERR_MALFORMED, path, "evaluation share %d or transpositions %d..%d out of range",
                    info->eval_share, info->transpose_lo, info->transpose_hi);
    if ((info->version == 1 && streams != 0) || (streams & ~STREAM_CHORDS))
        return fail(why, NN_ERR_MALFORMED, path, "unknown per-step streams %08x in a version %u file", streams, info->version);
    info->chords = streams & STREAM_CHORDS;
    if (info->chords != (ds->enc.kind == KIND_IMPROV))
        return fail(why, NN_ERR_MALFORMED, path, "%s records %s chords", info->encoding,
                    info->chords ? "must not carry" : "must carry");
    for (int i = 112; i < 124; i++)
        if (h[i])
            return fail(why, NN_ERR_MALFORMED, path, "reserved header byte %d is not zero", i);
    return NN_OK;
}

/* ---- The records, in one pass ---------------------------------------------------------------- */

typedef struct stream {
    int fd;
    uint8_t *buf;
    size_t have, pos;
    uint64_t offset; /* file offset of the next byte `take` returns */
    uint32_t crc;    /* of every byte read so far */
    bool failed;     /* a read error */
} stream;

/* Copy n bytes (or fewer at the end of the file); the count copied. */
static size_t take(stream *s, void *dst, size_t n)
{
    size_t done = 0;
    while (done < n) {
        if (s->pos == s->have) { /* all read so far is taken: the file resumes at offset + done */
            ssize_t r = pread_full(s->fd, s->buf, STREAM_BUFFER, s->offset + done);
            if (r <= 0) {
                s->failed |= r < 0;
                break;
            }
            s->crc = nn_crc32c(s->crc, s->buf, (size_t)r);
            s->have = (size_t)r;
            s->pos = 0;
        }
        size_t k = s->have - s->pos < n - done ? s->have - s->pos : n - done;
        memcpy((uint8_t *)dst + done, s->buf + s->pos, k);
        s->pos += k;
        done += k;
    }
    s->offset += done;
    return done;
}

/* Read the rest of the file for its checksum. */
static void drain(stream *s)
{
    uint8_t sink[4096];
    while (take(s, sink, sizeof sink) == sizeof sink)
        ;
}

/* Walk every record: framing, values, the index; the first problem goes into `problem`. */
static void walk_records(dataset *ds, stream *s, char *problem, size_t size)
{
    const dataset_info *info = &ds->info;
    uint64_t train = 0, eval = 0, steps = 0;
    uint8_t chunk[4096];
    for (uint64_t r = 0; r < info->records; r++) {
        uint64_t at = s->offset;
        uint8_t head[RECORD_HEAD];
        if (take(s, head, RECORD_HEAD) != RECORD_HEAD) {
            snprintf(problem, size, "record %llu at byte %llu: the file ends inside its head", (unsigned long long)r,
                     (unsigned long long)at);
            return;
        }
        uint32_t length = get_u32(head), source = get_u32(head + 8);
        int split = head[4], transposition = (int8_t)head[5];
        if (length < 1 || length > INT32_MAX / 8 || split > 1 || get_u16(head + 6) || source >= info->files) {
            snprintf(problem, size, "record %llu at byte %llu: bad head (length %u, split %d, reserved %u, source %u of %u)",
                     (unsigned long long)r, (unsigned long long)at, length, split, get_u16(head + 6), source, info->files);
            return;
        }
        /* classes, then chord words, through a small buffer */
        int widths[2] = {2, 4};
        for (int part = 0; part < (info->chords ? 2 : 1); part++) {
            uint64_t left = (uint64_t)length * (uint64_t)widths[part];
            uint64_t step = 0;
            while (left) {
                size_t n = left < sizeof chunk ? (size_t)left : sizeof chunk;
                if (take(s, chunk, n) != n) {
                    snprintf(problem, size, "record %llu at byte %llu: the file ends inside its %s",
                             (unsigned long long)r, (unsigned long long)at, part ? "chords" : "classes");
                    return;
                }
                for (size_t i = 0; i < n; i += (size_t)widths[part], step++) {
                    if (!part && get_u16(chunk + i) >= (uint32_t)info->num_classes) {
                        snprintf(problem, size, "record %llu at byte %llu: class %u at step %llu, %s has %d",
                                 (unsigned long long)r, (unsigned long long)at, get_u16(chunk + i),
                                 (unsigned long long)step, info->encoding, info->num_classes);
                        return;
                    }
                    if (part && !music_chord_word_valid(get_u32(chunk + i))) {
                        snprintf(problem, size, "record %llu at byte %llu: bad chord word %08x at step %llu",
                                 (unsigned long long)r, (unsigned long long)at, get_u32(chunk + i),
                                 (unsigned long long)step);
                        return;
                    }
                }
                left -= n;
            }
        }
        index_entry *e = &ds->index[r];
        e->where = at << 16 | (uint64_t)split << 8 | (uint8_t)transposition;
        e->length = length;
        e->source = source;
        steps += length;
        if (split) {
            eval++;
            ds->info.eval_steps += length;
        } else {
            train++;
            ds->info.train_steps += length;
        }
        if ((int)length > ds->info.max_length)
            ds->info.max_length = (int)length;
    }
    uint8_t extra;
    if (take(s, &extra, 1)) {
        snprintf(problem, size, "bytes after record %llu, the last the header counts", (unsigned long long)info->records);
        return;
    }
    if (train != info->train_records || eval != info->eval_records || steps != info->steps)
        snprintf(problem, size, "the records hold %llu training, %llu evaluation and %llu steps; the header says %llu, %llu, %llu",
                 (unsigned long long)train, (unsigned long long)eval, (unsigned long long)steps,
                 (unsigned long long)info->train_records, (unsigned long long)info->eval_records,
                 (unsigned long long)info->steps);
}

nn_status dataset_open(const char *path, dataset **out, char *why)
{
    if (!out)
        return NN_ERR_ARGUMENT;
    *out = NULL;
    if (!path)
        return fail(why, NN_ERR_ARGUMENT, "(null)", "no dataset path");
    dataset *ds = calloc(1, sizeof *ds);
    if (ds)
        ds->fd = -1;
    if (!ds || !(ds->path = strdup(path))) {
        free(ds);
        return fail(why, NN_ERR_MEMORY, path, "out of memory");
    }
    ds->fd = open(path, O_RDONLY);
    if (ds->fd < 0) {
        nn_status st = fail(why, NN_ERR_IO, path, "cannot open: %s", strerror(errno));
        dataset_free(ds);
        return st;
    }
    struct stat sb;
    uint8_t header[HEADER_SIZE];
    ssize_t got = -1;
    nn_status st;
    if (fstat(ds->fd, &sb) != 0)
        st = fail(why, NN_ERR_IO, path, "cannot stat: %s", strerror(errno));
    else if (!S_ISREG(sb.st_mode))
        st = fail(why, NN_ERR_IO, path, "not a regular file");
    else if ((got = pread_full(ds->fd, header, HEADER_SIZE, 0)) < 0)
        st = fail(why, NN_ERR_IO, path, "cannot read: %s", strerror(errno));
    else
        st = parse_header(ds, header, (size_t)got, why);
    if (st != NN_OK) {
        dataset_free(ds);
        return st;
    }
    dataset_info *info = &ds->info;
    info->file_size = (uint64_t)sb.st_size;
    /* The header's counts say exactly how long the file is (its checksum vouches for them). */
    uint64_t per_step = info->chords ? 6 : 2, records_bytes = 0;
    bool overflow = info->records > UINT64_MAX / 64 || info->steps > UINT64_MAX / 64;
    if (!overflow)
        records_bytes = info->records * RECORD_HEAD + info->steps * per_step;
    if (overflow || info->steps < info->records || records_bytes > MAX_OFFSET) {
        st = fail(why, NN_ERR_MALFORMED, path, "impossible counts: %llu records of %llu steps",
                  (unsigned long long)info->records, (unsigned long long)info->steps);
    } else if (info->file_size < HEADER_SIZE + records_bytes) {
        st = fail(why, NN_ERR_TRUNCATED, path, "truncated: %llu bytes, the header's %llu records of %llu steps need %llu",
                  (unsigned long long)info->file_size, (unsigned long long)info->records,
                  (unsigned long long)info->steps, (unsigned long long)(HEADER_SIZE + records_bytes));
    } else if (info->file_size > HEADER_SIZE + records_bytes) {
        st = fail(why, NN_ERR_MALFORMED, path, "%llu bytes after the last record the header counts",
                  (unsigned long long)(info->file_size - HEADER_SIZE - records_bytes));
    }
    if (st == NN_OK && info->records && !(ds->index = malloc((size_t)info->records * sizeof *ds->index)))
        st = fail(why, NN_ERR_MEMORY, path, "out of memory for the index of %llu records", (unsigned long long)info->records);
    if (st != NN_OK) {
        dataset_free(ds);
        return st;
    }

    stream s = {.fd = ds->fd, .offset = HEADER_SIZE, .buf = malloc(STREAM_BUFFER)};
    char problem[NN_MESSAGE_SIZE] = "";
    if (!s.buf) {
        dataset_free(ds);
        return fail(why, NN_ERR_MEMORY, path, "out of memory");
    }
    walk_records(ds, &s, problem, sizeof problem);
    drain(&s); /* a broken record still lets the checksum say whether the bytes were damaged */
    free(s.buf);
    uint32_t stored = get_u32(header + 92);
    if (s.failed)
        st = fail(why, NN_ERR_IO, path, "read error: %s", strerror(errno));
    else if (s.offset != info->file_size)
        st = fail(why, NN_ERR_TRUNCATED, path, "truncated while reading: %llu of %llu bytes", (unsigned long long)s.offset,
                  (unsigned long long)info->file_size);
    else if (s.crc != stored)
        st = fail(why, NN_ERR_CHECKSUM, path, "records checksum mismatch (stored %08x, computed %08x)%s%s", stored, s.crc,
                  problem[0] ? "; " : "", problem);
    else if (problem[0])
        st = fail(why, NN_ERR_MALFORMED, path, "%s", problem);
    if (st != NN_OK) {
        dataset_free(ds);
        return st;
    }
    *out = ds;
    return NN_OK;
}

void dataset_free(dataset *ds)
{
    if (!ds)
        return;
    if (ds->fd >= 0)
        close(ds->fd);
    free(ds->index);
    free(ds->path);
    free(ds);
}

const dataset_info *dataset_get_info(const dataset *ds)
{
    return &ds->info;
}

const encoding *dataset_encoding(const dataset *ds)
{
    return &ds->enc;
}

dataset_record dataset_record_at(const dataset *ds, uint64_t r)
{
    dataset_record rec = {0};
    if (r < ds->info.records) {
        const index_entry *e = &ds->index[r];
        rec.length = (int)e->length;
        rec.eval = e->where >> 8 & 1;
        rec.transposition = (int8_t)(e->where & 0xff);
        rec.source = e->source;
    }
    return rec;
}

nn_status dataset_read(const dataset *ds, uint64_t r, uint16_t *classes, uint32_t *chords, char *why)
{
    if (!ds || !classes || r >= ds->info.records)
        return fail(why, NN_ERR_ARGUMENT, ds ? ds->path : "(null)", "no record %llu", (unsigned long long)r);
    const index_entry *e = &ds->index[r];
    uint64_t at = e->where >> 16;
    size_t length = e->length;
    uint8_t head[RECORD_HEAD];
    /* the bytes go straight into the caller's arrays, then become host order in place (element
     * i occupies the bytes it is read from) */
    uint8_t *bytes = (uint8_t *)classes, *words = (uint8_t *)chords;
    bool same = pread_full(ds->fd, head, RECORD_HEAD, at) == RECORD_HEAD && get_u32(head) == e->length &&
                pread_full(ds->fd, bytes, 2 * length, at + RECORD_HEAD) == (ssize_t)(2 * length);
    for (size_t i = 0; i < length && same; i++) {
        classes[i] = (uint16_t)get_u16(bytes + 2 * i);
        same = classes[i] < ds->info.num_classes;
    }
    if (same && ds->info.chords && chords) {
        same = pread_full(ds->fd, words, 4 * length, at + RECORD_HEAD + 2 * length) == (ssize_t)(4 * length);
        for (size_t i = 0; i < length && same; i++) {
            chords[i] = get_u32(words + 4 * i);
            same = music_chord_word_valid(chords[i]);
        }
    }
    if (!same)
        return fail(why, NN_ERR_MALFORMED, ds->path, "record %llu reads back differently: the file changed since it was opened",
                    (unsigned long long)r);
    return NN_OK;
}
