/* test_data.c — `nn-train data` end to end: MIDI files written into a temporary folder, the tool
 * run on them, the dataset read back (format: tools/DATASET.md).
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "../tool_test.h" /* first: it asks for _DEFAULT_SOURCE */

#include "music.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"

static const char *tool;
static char midi_dir[128], log_path[160];

/* Run nn-train with these arguments, stderr into the log; the exit status. */
static int run_nn_train(const char *const *args) { return run_tool(tool, args, NULL, log_path); }

/* Eight bars of quarter notes at `qpm` from `offset` seconds: the pitches cycle through `pitches`;
 * with drums, a kick (36) on every beat and a closed hi-hat (42) on every eighth. */
static void add_bars(music_seq *seq, double offset, double qpm, const int *pitches, int n, bool drums)
{
    double quarter = 60.0 / qpm;
    for (int q = 0; q < 32; q++) {
        music_note note = {.start = offset + q * quarter, .end = offset + (q + 1) * quarter,
                           .pitch = (uint8_t)pitches[q % n], .velocity = 80};
        music_seq_add_note(seq, &note);
        if (!drums)
            continue;
        music_note kick = {.start = offset + q * quarter, .end = offset + q * quarter + quarter / 4, .pitch = 36,
                           .velocity = 100, .is_drum = true, .instrument = 9};
        music_seq_add_note(seq, &kick);
        for (int e = 0; e < 2; e++) {
            music_note hat = {.start = offset + (q + e * 0.5) * quarter, .end = offset + (q + e * 0.5 + 0.25) * quarter,
                              .pitch = 42, .velocity = 90, .is_drum = true, .instrument = 9};
            music_seq_add_note(seq, &hat);
        }
    }
}

static const int melody_a[] = {60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62};
static const int melody_b[] = {67, 64, 60, 62, 65, 69, 67, 71};
static const int melody_c[] = {72, 71, 69, 67, 65, 64, 62, 60, 62, 64};

static void write_midi(const music_seq *seq, const char *name)
{
    char path[256], why[MUSIC_MESSAGE_SIZE];
    snprintf(path, sizeof path, "%s/%s", midi_dir, name);
    CHECK(music_midi_write_file(seq, path, why) == MUSIC_OK, "%s", why);
}

static void make_corpus(void)
{
    music_seq seq;
    music_seq_init(&seq);
    /* a.mid: melody A and a drum beat, 120 qpm */
    music_seq_add_tempo(&seq, 0.0, 120.0);
    add_bars(&seq, 0.0, 120.0, melody_a, 14, true);
    write_midi(&seq, "a.mid");
    /* sub/copy of a.MIDI: the same music under another name (a duplicate) */
    char sub[200];
    snprintf(sub, sizeof sub, "%s/sub", midi_dir);
    CHECK(mkdir(sub, 0755) == 0, "mkdir %s", sub);
    write_midi(&seq, "sub/copy of a.MIDI");
    music_seq_free(&seq);
    /* tempo.mid: melody B for 8 bars at 120 qpm, then 90 qpm and melody C: two pieces */
    music_seq_init(&seq);
    music_seq_add_tempo(&seq, 0.0, 120.0);
    music_seq_add_tempo(&seq, 16.0, 90.0);
    add_bars(&seq, 0.0, 120.0, melody_b, 8, false);
    add_bars(&seq, 16.0, 90.0, melody_c, 10, false);
    write_midi(&seq, "sub/tempo.mid");
    music_seq_free(&seq);
    /* broken.mid: a header chunk cut short; notes.txt: not a MIDI name, never read */
    char path[256];
    snprintf(path, sizeof path, "%s/broken.mid", midi_dir);
    FILE *f = fopen(path, "wb");
    fwrite("MThd\0\0\0\6\0\1", 1, 10, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/notes.txt", midi_dir);
    f = fopen(path, "wb");
    fputs("not music\n", f);
    fclose(f);
}

/* CRC-32C, bitwise (independent of the tool's table version). */
static uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = crc & 1 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}
static uint32_t u16(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8; }
static uint32_t u32(const uint8_t *p) { return u16(p) | u16(p + 2) << 16; }
static uint64_t u64(const uint8_t *p) { return u32(p) | (uint64_t)u32(p + 4) << 32; }

typedef struct record {
    int length, eval, transposition, source;
    uint16_t classes[1024];
} record;

typedef struct dataset {
    char encoding[33];
    uint32_t input_size, num_classes, files;
    uint64_t count, train, eval, steps;
    record records[16];
    int loaded;
} dataset;

static bool load(const char *path, dataset *d)
{
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    static uint8_t buf[1 << 20];
    size_t size = fread(buf, 1, sizeof buf, f);
    fclose(f);
    CHECK(size >= 128 && !memcmp(buf, "MLV2DSET", 8) && u32(buf + 8) == 1 && u32(buf + 12) == 128, "header");
    if (size < 128)
        return false;
    CHECK(u32(buf + 124) == crc32c(0, buf, 124), "header CRC %08x", u32(buf + 124));
    CHECK(u32(buf + 92) == crc32c(0, buf + 128, size - 128), "records CRC %08x", u32(buf + 92));
    memcpy(d->encoding, buf + 16, 32);
    d->input_size = u32(buf + 48);
    d->num_classes = u32(buf + 52);
    d->count = u64(buf + 56);
    d->train = u64(buf + 64);
    d->eval = u64(buf + 72);
    d->steps = u64(buf + 80);
    d->files = u32(buf + 88);
    size_t at = 128;
    uint64_t steps = 0;
    while (at + 12 <= size && d->loaded < 16) {
        record *r = &d->records[d->loaded++];
        r->length = (int)u32(buf + at);
        r->eval = buf[at + 4];
        r->transposition = (int8_t)buf[at + 5];
        r->source = (int)u32(buf + at + 8);
        at += 12;
        for (int i = 0; i < r->length && i < 1024 && at + 2 <= size; i++, at += 2)
            r->classes[i] = (uint16_t)u16(buf + at);
        steps += (uint64_t)r->length;
    }
    CHECK(at == size, "%zu bytes read of %zu", at, size);
    CHECK((uint64_t)d->loaded == d->count && d->train + d->eval == d->count && steps == d->steps,
          "%d records, header %llu = %llu + %llu, steps %llu", d->loaded, (unsigned long long)d->count,
          (unsigned long long)d->train, (unsigned long long)d->eval, (unsigned long long)d->steps);
    return true;
}

/* Does record r decode (MelodyOneHotEncoding over basic_rnn's 48..84) to eight bars of quarter
 * notes cycling through `pitches`, up to one constant transposition (squash's)? */
static bool is_melody(const record *r, const int *pitches, int n)
{
    if (r->length < 128)
        return false;
    int shift = 0;
    for (int step = 0; step < 128; step++) {
        int event = 0;
        if (music_melody_onehot_decode(48, 84, r->classes[step], &event) != MUSIC_OK)
            return false;
        if (step % 4) {
            if (event != MUSIC_MELODY_NO_EVENT)
                return false;
        } else {
            if (event < 0)
                return false;
            if (step == 0)
                shift = event - pitches[0];
            if (event != pitches[(step / 4) % n] + shift)
                return false;
        }
    }
    return true;
}

static void test_basic_rnn(void)
{
    char out[200];
    snprintf(out, sizeof out, "%s/melodies.nnd", scratch);
    const char *args[] = {"data", "--encoding", "basic_rnn", "--out", out, midi_dir, NULL};
    CHECK(run_nn_train(args) == 0, "nn-train data failed (log %s)", log_path);
    dataset *d = calloc(1, sizeof *d);
    CHECK(load(out, d), "cannot read %s", out);
    /* melody_rnn_model.default_configs['basic_rnn']: MelodyOneHotEncoding(48, 84), 38 classes */
    CHECK(!strcmp(d->encoding, "basic_rnn") && d->input_size == 38 && d->num_classes == 38, "%s %u %u", d->encoding,
          d->input_size, d->num_classes);
    /* three readable files; a.mid and its copy give one melody (the copy is a duplicate), the
     * tempo change splits tempo.mid into two pieces of one melody each (TimeChangeSplitter) */
    CHECK(d->files == 3 && d->count == 3, "%u files, %llu records", d->files, (unsigned long long)d->count);
    int found_a = 0, found_b = 0, found_c = 0;
    for (int i = 0; i < d->loaded; i++) {
        found_a += is_melody(&d->records[i], melody_a, 14);
        found_b += is_melody(&d->records[i], melody_b, 8);
        found_c += is_melody(&d->records[i], melody_c, 10);
        CHECK(d->records[i].transposition == 0, "melody transposed by %d", d->records[i].transposition);
    }
    CHECK(found_a == 1 && found_b == 1 && found_c == 1, "melodies A %d, B %d, C %d", found_a, found_b, found_c);
    /* the two pieces of one file share its source index and its split */
    int b = -1, c = -1;
    for (int i = 0; i < d->loaded; i++) {
        if (is_melody(&d->records[i], melody_b, 8))
            b = i;
        if (is_melody(&d->records[i], melody_c, 10))
            c = i;
    }
    if (b >= 0 && c >= 0)
        CHECK(d->records[b].source == d->records[c].source && d->records[b].eval == d->records[c].eval,
              "sources %d %d, eval %d %d", d->records[b].source, d->records[c].source, d->records[b].eval,
              d->records[c].eval);
    char *text = read_text(log_path);
    CHECK(text && strstr(text, "broken.mid") && strstr(text, "unreadable MIDI: 1") &&
              strstr(text, "1 duplicates dropped"),
          "summary:\n%s", text ? text : "");
    free(text);

    /* --eval-percent 100 / 0: every record on one side */
    const char *all_eval[] = {"data", "--encoding", "basic_rnn", "--eval-percent", "100", "--out", out, midi_dir, NULL};
    CHECK(run_nn_train(all_eval) == 0, "failed");
    load(out, d);
    CHECK(d->eval == 3 && d->train == 0, "eval %llu train %llu", (unsigned long long)d->eval, (unsigned long long)d->train);
    const char *all_train[] = {"data", "--encoding", "basic_rnn", "--eval-percent", "0", "--out", out, midi_dir, NULL};
    CHECK(run_nn_train(all_train) == 0, "failed");
    load(out, d);
    CHECK(d->eval == 0 && d->train == 3, "eval %llu train %llu", (unsigned long long)d->eval, (unsigned long long)d->train);
    /* --transpose -1:1 on training data: each melody three times (squash then moves each back
     * into C, so the copies decode alike) and dedupe still counted once */
    const char *moved[] = {"data", "--encoding", "basic_rnn", "--eval-percent", "0", "--transpose", "-1:1",
                           "--out", out, midi_dir, NULL};
    CHECK(run_nn_train(moved) == 0, "failed");
    load(out, d);
    CHECK(d->count == 9, "%llu records", (unsigned long long)d->count);
    free(d);
}

static void test_drum_kit(void)
{
    char out[200];
    snprintf(out, sizeof out, "%s/drums.nnd", scratch);
    const char *args[] = {"data", "--encoding", "drum_kit", "--out", out, midi_dir, NULL};
    CHECK(run_nn_train(args) == 0, "nn-train data failed (log %s)", log_path);
    dataset *d = calloc(1, sizeof *d);
    CHECK(load(out, d), "cannot read %s", out);
    /* drums_rnn_model 'drum_kit': LookbackEventSequenceEncoderDecoder input 518, the
     * MultiDrumOneHotEncoding's 512 classes stored */
    CHECK(d->input_size == 518 && d->num_classes == 512, "%u %u", d->input_size, d->num_classes);
    CHECK(d->count == 1, "%llu drum tracks (a.mid's; its copy is a duplicate)", (unsigned long long)d->count);
    if (d->loaded >= 1) {
        const record *r = &d->records[0];
        /* DrumTrack.from_quantized_sequence ends one step after the last onset (the hat at 126);
         * DrumsExtractor does not pad the end */
        CHECK(r->length == 127, "length %d", r->length);
        /* DEFAULT_DRUM_TYPE_PITCHES: 36 is class 0 (kick, bit 0), 42 class 2 (closed hi-hat, bit 2) */
        for (int s = 0; s < r->length; s++) {
            int want = s % 4 == 0 ? 1 | 4 : s % 4 == 2 ? 4 : 0;
            CHECK(r->classes[s] == want, "step %d: class %d, want %d", s, r->classes[s], want);
        }
    }
    free(d);
}

static bool starts_with_file(const char *path, const char *text)
{
    char buf[16] = "";
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return !strncmp(buf, text, strlen(text));
}

static int temporaries_left(void)
{
    int n = 0;
    DIR *d = opendir(scratch);
    for (struct dirent *e; d && (e = readdir(d));)
        n += strstr(e->d_name, ".tmp-") != NULL;
    if (d)
        closedir(d);
    return n;
}

static void test_atomic(void)
{
    char out[200];
    snprintf(out, sizeof out, "%s/never.nnd", scratch);
    const char *unknown[] = {"data", "--encoding", "no_such_rnn", "--out", out, midi_dir, NULL};
    CHECK(run_nn_train(unknown) != 0, "an unknown encoding succeeded");
    CHECK(access(out, F_OK) != 0, "%s was created by a failed run", out);
    const char *missing[] = {"data", "--encoding", "basic_rnn", "--out", out, "/nonexistent/folder", NULL};
    CHECK(run_nn_train(missing) != 0, "a missing folder succeeded");
    CHECK(access(out, F_OK) != 0, "%s was created by a failed run", out);

    /* an existing output: kept as it was by a failed run, replaced whole by a good one */
    snprintf(out, sizeof out, "%s/old.nnd", scratch);
    FILE *f = fopen(out, "wb");
    fputs("OLD CONTENT", f);
    fclose(f);
    const char *bad[] = {"data", "--encoding", "basic_rnn", "--out", out, "/nonexistent/folder", NULL};
    CHECK(run_nn_train(bad) != 0, "a missing folder succeeded");
    CHECK(starts_with_file(out, "OLD CONTENT"), "the old output was touched by a failed run");
    const char *good[] = {"data", "--encoding", "basic_rnn", "--out", out, midi_dir, NULL};
    CHECK(run_nn_train(good) == 0, "failed");
    CHECK(starts_with_file(out, "MLV2DSET"), "the old output was not replaced");
    CHECK(temporaries_left() == 0, "%d temporary files left", temporaries_left());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_data PATH/TO/nn-train\n");
        return 2;
    }
    tool = argv[1];
    make_scratch("test-data");
    snprintf(midi_dir, sizeof midi_dir, "%s/midi", scratch);
    snprintf(log_path, sizeof log_path, "%s/log.txt", scratch);
    mkdir(midi_dir, 0755);
    make_corpus();
    test_basic_rnn();
    test_drum_kit();
    test_atomic();
    if (failures)
        printf("test_data: kept %s for inspection\n", scratch);
    else
        remove_tree(scratch);
    printf("test_data: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}
