/* test_reader.c — nn-train's dataset reader on valid, truncated, bit-flipped, wrong-magic,
 * too-new and otherwise malformed files written byte by byte (tools/DATASET.md).
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "dataset_test.h"

static char path[128];

/* Open the image as a file; the status, with the message checked to name the file. */
static nn_status open_image(const uint8_t *b, size_t size, dataset **out, char *why)
{
    CHECK(write_bytes(path, b, size), "cannot write %s", path);
    dataset *ds = NULL;
    nn_status st = dataset_open(path, &ds, why);
    CHECK((st == NN_OK) == (ds != NULL), "status %d with dataset %p", st, (void *)ds);
    if (st != NN_OK)
        CHECK(strstr(why, path) != NULL, "the message does not name the file: %s", why);
    if (out)
        *out = ds;
    else
        dataset_free(ds);
    return st;
}

static const uint16_t classes_a[] = {0, 1, 2, 37, 5};
static const uint16_t classes_b[] = {7};
static const uint16_t classes_c[] = {3, 3, 4, 4, 0, 1, 36};
/* N.C., C (pitch classes 0 4 7, root and bass 0, major), A minor (9 0 4, root and bass 9, minor) */
static const uint32_t chords_a[] = {MUSIC_CHORD_WORD_NO_CHORD, 0x091, 0x091, 0x199211, 0x091};

static const hand_header melody_header = {"basic_rnn", 38, 38, 1, 0, 3};

static void test_valid(void)
{
    snprintf(context, sizeof context, "valid version 1");
    hand_record records[] = {
        {5, 0, 0, 0, classes_a, NULL},
        {1, 1, 0, 1, classes_b, NULL},
        {7, 0, -2, 2, classes_c, NULL},
    };
    size_t size = 0;
    uint8_t *b = hand_dataset(&melody_header, records, 3, &size);
    char why[NN_MESSAGE_SIZE] = "";
    dataset *ds = NULL;
    CHECK(open_image(b, size, &ds, why) == NN_OK, "%s", why);
    if (ds) {
        const dataset_info *info = dataset_get_info(ds);
        CHECK(info->version == 1 && !strcmp(info->encoding, "basic_rnn") && info->input_size == 38 &&
                  info->num_classes == 38 && !info->chords, "header %u %s %d %d", info->version, info->encoding,
              info->input_size, info->num_classes);
        CHECK(info->records == 3 && info->train_records == 2 && info->eval_records == 1, "counts %llu %llu %llu",
              (unsigned long long)info->records, (unsigned long long)info->train_records,
              (unsigned long long)info->eval_records);
        CHECK(info->steps == 13 && info->train_steps == 12 && info->eval_steps == 1 && info->max_length == 7 &&
                  info->files == 3 && info->eval_share == 1000 && info->file_size == size,
              "steps %llu/%llu/%llu, longest %d", (unsigned long long)info->steps, (unsigned long long)info->train_steps,
              (unsigned long long)info->eval_steps, info->max_length);
        CHECK(dataset_encoding(ds)->kind == KIND_MELODY, "kind %d", dataset_encoding(ds)->kind);
        const uint16_t *want[] = {classes_a, classes_b, classes_c};
        for (int r = 2; r >= 0; r--) { /* any order */
            dataset_record rec = dataset_record_at(ds, (uint64_t)r);
            CHECK(rec.length == records[r].length && rec.eval == (records[r].eval != 0) &&
                      rec.transposition == records[r].transposition && rec.source == records[r].source,
                  "record %d: %d %d %d %u", r, rec.length, rec.eval, rec.transposition, rec.source);
            uint16_t got[8] = {0};
            CHECK(dataset_read(ds, (uint64_t)r, got, NULL, why) == NN_OK, "%s", why);
            CHECK(!memcmp(got, want[r], (size_t)rec.length * 2), "record %d classes differ", r);
        }
        uint16_t got[8];
        CHECK(dataset_read(ds, 3, got, NULL, why) == NN_ERR_ARGUMENT, "record 3 of 3 was read");
        /* the file rewritten under the open dataset: reads notice */
        b[128 + 12] = 38;
        CHECK(write_bytes(path, b, size), "cannot rewrite %s", path);
        CHECK(dataset_read(ds, 0, got, NULL, why) == NN_ERR_MALFORMED && strstr(why, "changed"), "%s", why);
        CHECK(dataset_read(ds, 2, got, NULL, why) == NN_OK, "%s", why);
    }
    dataset_free(ds);
    dataset_free(NULL);

    /* no records at all */
    snprintf(context, sizeof context, "valid, empty");
    free(b);
    b = hand_dataset(&melody_header, NULL, 0, &size);
    CHECK(open_image(b, size, &ds, why) == NN_OK, "%s", why);
    if (ds)
        CHECK(dataset_get_info(ds)->records == 0 && dataset_get_info(ds)->max_length == 0, "not empty");
    dataset_free(ds);
    free(b);
}

static void test_chords(void)
{
    snprintf(context, sizeof context, "valid version 2 with chords");
    hand_header h = {"chord_pitches_improv", 75, 38, 2, 1, 1};
    hand_record records[] = {{5, 0, 3, 0, classes_a, chords_a}, {1, 1, -6, 0, classes_b, chords_a}};
    size_t size = 0;
    uint8_t *b = hand_dataset(&h, records, 2, &size);
    char why[NN_MESSAGE_SIZE] = "";
    dataset *ds = NULL;
    CHECK(open_image(b, size, &ds, why) == NN_OK, "%s", why);
    if (ds) {
        CHECK(dataset_get_info(ds)->chords && dataset_get_info(ds)->version == 2, "no chords");
        CHECK(dataset_encoding(ds)->kind == KIND_IMPROV && dataset_encoding(ds)->chords == MUSIC_CHORD_ENCODING_PITCHES, "encoding");
        uint16_t got[5];
        uint32_t words[5];
        CHECK(dataset_read(ds, 0, got, words, why) == NN_OK, "%s", why);
        CHECK(!memcmp(got, classes_a, sizeof got) && !memcmp(words, chords_a, sizeof words), "record 0 differs");
        CHECK(dataset_read(ds, 1, got, NULL, why) == NN_OK && got[0] == 7, "record 1 without its chords");
        CHECK(dataset_record_at(ds, 1).transposition == -6, "transposition %d", dataset_record_at(ds, 1).transposition);
    }
    dataset_free(ds);

    /* the stream flag must match the encoding, and version 1 has none */
    snprintf(context, sizeof context, "stream flags");
    uint8_t *c = malloc(size);
    memcpy(c, b, size);
    put32(c + 8, 1);
    resign(c, size);
    CHECK(open_image(c, size, NULL, why) == NN_ERR_MALFORMED, "version 1 with chords: %s", why);
    memcpy(c, b, size);
    put32(c + 108, 3);
    resign(c, size);
    CHECK(open_image(c, size, NULL, why) == NN_ERR_MALFORMED, "unknown stream: %s", why);
    memcpy(c, b, size);
    put32(c + 128 + 12 + 10 + 4, 0x1000000); /* record 0's second chord word: a top byte */
    resign(c, size);
    CHECK(open_image(c, size, NULL, why) == NN_ERR_MALFORMED && strstr(why, "chord"), "bad chord word: %s", why);
    free(c);
    free(b);
    hand_header plain = {"basic_improv", 87, 38, 1, 0, 1};
    hand_record one = {5, 0, 0, 0, classes_a, NULL};
    b = hand_dataset(&plain, &one, 1, &size);
    CHECK(open_image(b, size, NULL, why) == NN_ERR_MALFORMED, "improv without chords: %s", why);
    free(b);
}

static void test_errors(void)
{
    char why[NN_MESSAGE_SIZE] = "";
    dataset *ds = NULL;
    snprintf(context, sizeof context, "missing");
    char missing[160];
    snprintf(missing, sizeof missing, "%s/no-such.nnd", scratch);
    CHECK(dataset_open(missing, &ds, why) == NN_ERR_IO && !ds && strstr(why, missing) && strstr(why, "cannot open"),
          "%s", why);

    hand_record records[] = {{5, 0, 0, 0, classes_a, NULL}, {7, 1, 0, 2, classes_c, NULL}};
    size_t size = 0;
    uint8_t *b = hand_dataset(&melody_header, records, 2, &size);
    uint8_t *c = malloc(size);

    snprintf(context, sizeof context, "not a dataset");
    CHECK(open_image((const uint8_t *)"", 0, NULL, why) == NN_ERR_MAGIC, "empty file: %s", why);
    CHECK(open_image((const uint8_t *)"MThd\0\0\0\6", 8, NULL, why) == NN_ERR_MAGIC, "a MIDI file: %s", why);
    memcpy(c, b, size);
    c[0] = 'N';
    CHECK(open_image(c, size, NULL, why) == NN_ERR_MAGIC && strstr(why, "not a dataset"), "wrong magic: %s", why);

    snprintf(context, sizeof context, "version too new");
    memcpy(c, b, size);
    put32(c + 8, 3);
    resign(c, size);
    CHECK(open_image(c, size, NULL, why) == NN_ERR_VERSION && strstr(why, "newer"), "version 3: %s", why);

    /* every cut: the magic incomplete is no dataset; after that, truncated */
    snprintf(context, sizeof context, "truncated");
    for (size_t cut = 0; cut < size; cut++) {
        nn_status st = open_image(b, cut, NULL, why);
        CHECK(st == (cut < 8 ? NN_ERR_MAGIC : NN_ERR_TRUNCATED), "cut at %zu: %d %s", cut, st, why);
    }
    /* the header counting more records than the file holds */
    hand_record more[] = {{5, 0, 0, 0, classes_a, NULL}, {7, 1, 0, 2, classes_c, NULL}, {1, 0, 0, 0, classes_b, NULL}};
    size_t more_size = 0;
    uint8_t *m = hand_dataset(&melody_header, more, 3, &more_size);
    CHECK(open_image(m, size, NULL, why) == NN_ERR_TRUNCATED, "two of three records: %s", why);
    free(m);

    /* every bit flip past the version and header size: a checksum mismatch */
    snprintf(context, sizeof context, "bit flips");
    for (size_t at = 16; at < size; at++)
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(c, b, size);
            c[at] ^= (uint8_t)(1u << bit);
            nn_status st = open_image(c, size, NULL, why);
            CHECK(st == NN_ERR_CHECKSUM && strstr(why, "checksum"), "byte %zu bit %d: %d %s", at, bit, st, why);
        }
    for (size_t at = 8; at < 16; at++) {
        memcpy(c, b, size);
        c[at] ^= 0x10;
        CHECK(open_image(c, size, NULL, why) != NN_OK, "byte %zu flipped: accepted", at);
    }

    /* malformed, with correct checksums */
    snprintf(context, sizeof context, "malformed");
    struct {
        size_t at;
        int width;
        uint32_t value;
        const char *what;
    } edits[] = {
        {128 + 12 + 6, 2, 38, "class"},        /* record 0, class 3: out of range */
        {128 + 4, 1, 2, "split"},             /* record 0's split */
        {128 + 6, 1, 1, "reserved"},          /* record 0's reserved byte */
        {128 + 8, 4, 3, "source"},            /* record 0's source: 3 files */
        {128 + 22 + 4, 1, 0, "evaluation"},   /* record 1 moved to training: the header disagrees */
        {128, 4, 0, "length"},                /* record 0 of length 0: the framing breaks */
        {64, 8, 2, "training"},               /* header: 2 + 1 != 2 records */
        {16, 1, 'x', "encoding"},             /* "xasic_rnn" */
        {48, 4, 39, "input size"},
        {112, 1, 1, "reserved header"},
    };
    for (size_t e = 0; e < sizeof edits / sizeof edits[0]; e++) {
        memcpy(c, b, size);
        if (edits[e].width == 1)
            c[edits[e].at] = (uint8_t)edits[e].value;
        else if (edits[e].width == 2)
            put16(c + edits[e].at, edits[e].value);
        else if (edits[e].width == 4)
            put32(c + edits[e].at, edits[e].value);
        else
            put64(c + edits[e].at, edits[e].value);
        resign(c, size);
        nn_status st = open_image(c, size, NULL, why);
        CHECK(st == NN_ERR_MALFORMED, "%s: status %d, %s", edits[e].what, st, why);
    }
    /* a byte more than the records */
    uint8_t *longer = calloc(size + 1, 1);
    memcpy(longer, b, size);
    resign(longer, size + 1);
    CHECK(open_image(longer, size + 1, NULL, why) == NN_ERR_MALFORMED && strstr(why, "after"), "extra byte: %s", why);
    free(longer);
    free(c);
    free(b);
}

/* Many records, some longer than the reader's buffers, chords crossing every boundary. */
static void test_large(void)
{
    snprintf(context, sizeof context, "large");
    enum { COUNT = 40000 };
    static uint16_t classes[6000];
    static uint32_t words[6000];
    for (int i = 0; i < 6000; i++) {
        classes[i] = (uint16_t)((i * 7 + i / 13) % 38);
        words[i] = i % 5 == 0 ? MUSIC_CHORD_WORD_NO_CHORD : music_chord_word_transpose(0x91, i);
    }
    hand_record *records = calloc(COUNT, sizeof *records);
    int longest = 0;
    for (int r = 0; r < COUNT; r++) {
        records[r] = (hand_record){r % 997 == 0 ? 5000 + r % 700 : 1 + r % 60, r % 10 == 3, r % 12 - 6, (uint32_t)(r % 50),
                                   classes + r % 300, words + r % 300};
        longest = records[r].length > longest ? records[r].length : longest;
    }
    hand_header h = {"attention_improv", 123, 38, 2, 1, 50};
    size_t size = 0;
    uint8_t *b = hand_dataset(&h, records, COUNT, &size);
    char why[NN_MESSAGE_SIZE] = "";
    dataset *ds = NULL;
    CHECK(open_image(b, size, &ds, why) == NN_OK, "%s", why);
    if (ds) {
        CHECK(dataset_get_info(ds)->records == COUNT && dataset_get_info(ds)->max_length == longest, "max length %d, want %d",
              dataset_get_info(ds)->max_length, longest);
        uint16_t *got = malloc(6000 * sizeof *got);
        uint32_t *got_words = malloc(6000 * sizeof *got_words);
        for (int r = COUNT - 1; r >= 0; r -= 997) {
            dataset_record rec = dataset_record_at(ds, (uint64_t)r);
            CHECK(rec.length == records[r].length && rec.eval == (records[r].eval != 0) &&
                      rec.transposition == records[r].transposition && rec.source == records[r].source,
                  "record %d", r);
            CHECK(dataset_read(ds, (uint64_t)r, got, got_words, why) == NN_OK, "%s", why);
            CHECK(!memcmp(got, records[r].classes, (size_t)rec.length * 2) &&
                      !memcmp(got_words, records[r].chords, (size_t)rec.length * 4),
                  "record %d differs", r);
        }
        free(got);
        free(got_words);
    }
    dataset_free(ds);
    /* a flipped bit deep inside, past the first buffer */
    b[size - 3] ^= 4;
    CHECK(open_image(b, size, NULL, why) == NN_ERR_CHECKSUM, "%s", why);
    free(b);
    free(records);
}

int main(void)
{
    make_scratch("test-reader");
    snprintf(path, sizeof path, "%s/data.nnd", scratch);
    test_valid();
    test_chords();
    test_errors();
    test_large();
    if (!failures)
        remove_tree(scratch);
    else
        printf("test_reader: kept %s\n", scratch);
    return check_summary("test_reader");
}
