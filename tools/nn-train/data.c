/* data.c — `nn-train data`: folders of MIDI files into a dataset file (tools/DATASET.md), streaming.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#define _XOPEN_SOURCE 700 /* nftw, fsync, mkstemp, sigaction */
#define _DEFAULT_SOURCE
#include "nn-train.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DATA_MAGIC "MLV2DSET"
#define DATA_HEADER_SIZE 128
#define DATA_RECORD_HEAD 12
/* Files without per-step streams stay version 1, readable by version-1 readers; chords need 2. */
#define DATA_VERSION_PLAIN 1u
#define DATA_VERSION_STREAMS 2u
#define DATA_STREAM_CHORDS 1u

/* 64-bit FNV-1a then a murmur-style finaliser, so that nearby inputs spread over the table. */
static uint64_t hash_bytes(uint64_t h, const void *data, size_t size)
{
    const uint8_t *p = data;
    while (size--)
        h = (h ^ *p++) * 0x100000001b3ull;
    return h;
}
static uint64_t hash_finish(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}
#define HASH_SEED 0xcbf29ce484222325ull

static void put_u16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put_u32(uint8_t *p, uint32_t v) { put_u16(p, v & 0xffff); put_u16(p + 2, v >> 16); }
static void put_u64(uint8_t *p, uint64_t v) { put_u32(p, (uint32_t)v); put_u32(p + 4, (uint32_t)(v >> 32)); }

enum skip_reason { SKIP_UNREADABLE, SKIP_SPLIT_FAILED, SKIP_NOTHING_FOUND, SKIP_CHORD_FILE, SKIP_REASONS };
static const char *skip_names[SKIP_REASONS] = {"unreadable MIDI", "could not be split", "no sequence found",
                                               "unreadable .chords file"};

/* What Improv RNN's lead sheets went through. */
typedef struct improv_counts {
    uint64_t chord_files, pieces_inferred, inference_failed, pieces_without_chords, chord_encoding_errors;
    lead_sheet_stats sheets;
} improv_counts;

typedef struct data_run {
    encoding enc;
    FILE *out;
    const char *folder;   /* the folder being walked */
    size_t folder_length;
    double eval_percent;
    int train_lo, train_hi; /* transpositions applied to training data (improv: to all) */
    bool improv, infer_chords;
    improv_counts improv_counts;
    /* dedupe: open addressing over 64-bit hashes, 0 = empty; stops inserting at 3/4 */
    uint64_t *dedupe;
    size_t dedupe_mask, dedupe_used;
    bool dedupe_full;
    /* counts */
    uint64_t files_seen, files_read, skipped[SKIP_REASONS];
    uint64_t pieces, pieces_failed, records, train, eval, steps, duplicates, transpositions_out_of_range;
    uint64_t *histogram;
    uint32_t records_crc;
    uint16_t *classes;
    uint32_t *chords; /* improv: the chord word of each step */
    int *events;      /* improv: a transposed melody */
    int classes_capacity;
    uint8_t *bytes;
    bool write_failed;
    /* progress */
    bool progress;
    double started, last_progress;
} data_run;

static data_run *the_run; /* nftw's callback has no context pointer */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* true when the hash was already there (a duplicate); inserts it otherwise while room lasts */
static bool dedupe_seen(data_run *run, uint64_t h)
{
    if (!h)
        h = 1;
    size_t i = (size_t)h & run->dedupe_mask;
    while (run->dedupe[i]) {
        if (run->dedupe[i] == h)
            return true;
        i = (i + 1) & run->dedupe_mask;
    }
    if (run->dedupe_used + 1 > (run->dedupe_mask + 1) / 4 * 3) {
        run->dedupe_full = true;
        return false;
    }
    run->dedupe[i] = h;
    run->dedupe_used++;
    return false;
}

static bool ensure_classes(data_run *run, int length)
{
    if (length <= run->classes_capacity)
        return true;
    uint16_t *c = realloc(run->classes, (size_t)length * sizeof *c);
    if (c)
        run->classes = c;
    uint32_t *w = realloc(run->chords, (size_t)length * sizeof *w);
    if (w)
        run->chords = w;
    int *e = realloc(run->events, (size_t)length * sizeof *e);
    if (e)
        run->events = e;
    uint8_t *b = realloc(run->bytes, (size_t)length * 6 + DATA_RECORD_HEAD);
    if (b)
        run->bytes = b;
    if (!c || !w || !e || !b)
        return false;
    run->classes_capacity = length;
    return true;
}

static uint64_t hash_classes(const uint16_t *classes, const uint32_t *chords, int length)
{
    uint32_t n = (uint32_t)length;
    uint64_t h = hash_bytes(hash_bytes(HASH_SEED, &n, sizeof n), classes, (size_t)length * sizeof *classes);
    if (chords)
        h = hash_bytes(h, chords, (size_t)length * sizeof *chords);
    return hash_finish(h);
}

static void write_record(data_run *run, int length, bool eval, int transposition)
{
    uint8_t *b = run->bytes;
    put_u32(b, (uint32_t)length);
    b[4] = eval ? 1 : 0;
    b[5] = (uint8_t)(int8_t)transposition;
    put_u16(b + 6, 0);
    put_u32(b + 8, (uint32_t)(run->files_read - 1));
    for (int i = 0; i < length; i++) {
        put_u16(b + DATA_RECORD_HEAD + 2 * i, run->classes[i]);
        run->histogram[run->classes[i]]++;
    }
    size_t size = DATA_RECORD_HEAD + (size_t)length * 2;
    if (run->improv) {
        for (int i = 0; i < length; i++)
            put_u32(b + size + 4 * (size_t)i, run->chords[i]);
        size += (size_t)length * 4;
    }
    if (fwrite(b, 1, size, run->out) != size)
        run->write_failed = true;
    run->records_crc = nn_crc32c(run->records_crc, b, size);
    run->records++;
    run->steps += (uint64_t)length;
    if (eval)
        run->eval++;
    else
        run->train++;
}

/* The encoding's base one-hot classes of each extracted sequence of a quantized piece, in
 * extraction order, into `fn`. Returns how many sequences. */
typedef void (*sequence_fn)(data_run *run, int index, int length, void *ctx);

static int extract_sequences(data_run *run, const music_seq *piece, sequence_fn fn, void *ctx, char *why)
{
    const encoding *enc = &run->enc;
    int found = 0;
    if (enc->kind == KIND_MELODY) {
        melody_batch *batch = calloc(1, sizeof *batch);
        if (!batch || pipeline_melodies(enc, piece, batch, why) != MUSIC_OK) {
            free(batch);
            return 0;
        }
        for (int m = 0; m < batch->count; m++) {
            const music_melody *mel = &batch->melodies[m];
            if (!ensure_classes(run, mel->length))
                break;
            bool ok = true;
            for (int i = 0; i < mel->length && ok; i++) {
                int cls = 0;
                ok = music_melody_onehot_encode(enc->melody.min_note, enc->melody.max_note, mel->events[i], &cls) ==
                     MUSIC_OK;
                run->classes[i] = (uint16_t)cls;
            }
            if (ok)
                fn(run, found++, mel->length, ctx);
        }
        free(batch->events);
        free(batch);
    } else if (enc->kind == KIND_DRUMS) {
        music_drum_tracks tracks;
        music_drums_stats stats;
        if (pipeline_drums(piece, &tracks, &stats, why) != MUSIC_OK)
            return 0;
        for (int t = 0; t < tracks.count; t++) {
            const music_drum_track *track = &tracks.items[t];
            if (!ensure_classes(run, track->length))
                break;
            for (int i = 0; i < track->length; i++)
                run->classes[i] = (uint16_t)music_drum_onehot_encode(&enc->drum_map, &track->events[i]);
            fn(run, found++, track->length, ctx);
        }
        music_drum_tracks_free(&tracks);
    } else if (enc->kind == KIND_GENIE) {
        /* loader.py's arrays over every pitched note (drums dropped: their keys are not a piano's);
         * one class per note, key * 33 + delta bin; the trainer keeps records of 128 notes or more. */
        music_seq pitched;
        if (music_seq_copy(&pitched, piece) != MUSIC_OK)
            return 0;
        int kept = 0;
        for (int i = 0; i < pitched.notes.count; i++)
            if (!pitched.notes.items[i].is_drum)
                pitched.notes.items[kept++] = pitched.notes.items[i];
        pitched.notes.count = kept;
        int *keys = malloc(sizeof *keys * (size_t)(kept + 1)), *bins = malloc(sizeof *bins * (size_t)(kept + 1));
        int count = 0;
        if (keys && bins && music_genie_extract(&pitched, keys, bins, kept, &count, why) == MUSIC_OK && count > 0 &&
            ensure_classes(run, count)) {
            for (int i = 0; i < count; i++)
                run->classes[i] = (uint16_t)(keys[i] * (MUSIC_GENIE_MAX_DELTA_BIN + 1) + bins[i]);
            fn(run, found++, count, ctx);
        }
        free(keys);
        free(bins);
        music_seq_free(&pitched);
    } else {
        music_performance *perfs = NULL;
        music_performance_stats stats;
        int count = 0;
        if (pipeline_performances(enc, piece, &perfs, &count, &stats, why) != MUSIC_OK)
            return 0;
        for (int p = 0; p < count; p++) {
            if (!ensure_classes(run, perfs[p].count))
                break;
            bool ok = true;
            for (int i = 0; i < perfs[p].count && ok; i++) {
                int cls = 0;
                ok = music_perf_encode_event(perfs[p].events[i], enc->velocity_bins, MUSIC_PERF_MAX_SHIFT_STEPS, &cls) ==
                     MUSIC_OK;
                run->classes[i] = (uint16_t)cls;
            }
            if (ok)
                fn(run, found++, perfs[p].count, ctx);
        }
        performances_free(perfs, count);
    }
    return found;
}

/* What the untransposed pass decided per sequence: duplicates are dropped with their
 * transpositions (de-duplication happens before augmentation). */
enum { MAX_PIECE_SEQUENCES = 1024 };
typedef struct piece_pass {
    bool eval;
    int transposition;
    bool duplicate[MAX_PIECE_SEQUENCES];
    int written;
} piece_pass;

static void on_sequence(data_run *run, int index, int length, void *ctx)
{
    piece_pass *pass = ctx;
    if (index >= MAX_PIECE_SEQUENCES)
        return;
    if (pass->transposition == 0) {
        pass->duplicate[index] = dedupe_seen(run, hash_classes(run->classes, NULL, length));
        if (pass->duplicate[index]) {
            run->duplicates++;
            return;
        }
    } else if (pass->duplicate[index]) {
        return;
    }
    write_record(run, length, pass->eval, pass->transposition);
    pass->written++;
}

/* TranspositionPipeline._transpose: every pitched note moves; a pitch leaving 0..127 drops
 * this transposition. */
static bool transpose_piece(music_seq *piece, int amount)
{
    for (int i = 0; i < piece->notes.count; i++) {
        music_note *note = &piece->notes.items[i];
        if (note->is_drum)
            continue;
        int pitch = note->pitch + amount;
        if (pitch < 0 || pitch > 127)
            return false;
        note->pitch = (uint8_t)pitch;
    }
    return true;
}

/* MelodyOneHotEncoding of run->events into run->classes. */
static bool melody_classes(data_run *run, int length)
{
    for (int i = 0; i < length; i++) {
        int cls = 0;
        if (music_melody_onehot_encode(run->enc.melody.min_note, run->enc.melody.max_note, run->events[i], &cls) != MUSIC_OK)
            return false;
        run->classes[i] = (uint16_t)cls;
    }
    return true;
}

/* Improv RNN: chords for a quantized piece (its own, from a .chords file, or inferred), its lead
 * sheets, each written in every transposition lo..hi, on both splits, as LeadSheetExtractor's
 * all_transpositions does. De-duplication looks at the untransposed lead sheet. */
static void write_lead_sheets(data_run *run, music_seq *piece, bool eval, char *why)
{
    const encoding *enc = &run->enc;
    improv_counts *counts = &run->improv_counts;
    if (!piece->chords.count) {
        if (!run->infer_chords) {
            counts->pieces_without_chords++;
            return;
        }
        if (pipeline_infer_chords(piece, why) != MUSIC_OK) {
            counts->inference_failed++;
            return;
        }
        counts->pieces_inferred++;
    }
    lead_sheet_batch *batch = calloc(1, sizeof *batch);
    if (!batch)
        return;
    if (pipeline_lead_sheets(enc, piece, batch, why) == MUSIC_OK) {
        counts->sheets.coincident_chords += batch->stats.coincident_chords;
        counts->sheets.only_no_chord += batch->stats.only_no_chord;
        counts->sheets.bad_chord_symbols += batch->stats.bad_chord_symbols;
    }
    for (int m = 0; m < batch->melodies.count; m++) {
        int length = batch->melodies.melodies[m].length;
        if (!batch->usable[m] || !ensure_classes(run, length))
            continue;
        /* EncoderPipeline drops a lead sheet whose chords the encoding cannot represent
         * (ChordEncodingError); transposing never changes that */
        bool encodable = true;
        float control[MUSIC_CHORD_TRIAD_CLASSES];
        for (int i = 0; i < length && encodable; i++)
            encodable = music_chord_word_encode(enc->chords, batch->words[batch->offset[m] + i], control, NULL) == MUSIC_OK;
        if (!encodable) {
            counts->chord_encoding_errors++;
            continue;
        }
        lead_sheet_transposed(enc, batch, m, 0, run->events, run->chords);
        if (!melody_classes(run, length))
            continue;
        if (dedupe_seen(run, hash_classes(run->classes, run->chords, length))) {
            run->duplicates++;
            continue;
        }
        for (int amount = run->train_lo; amount <= run->train_hi; amount++) {
            lead_sheet_transposed(enc, batch, m, amount, run->events, run->chords);
            if (melody_classes(run, length))
                write_record(run, length, eval, amount);
        }
    }
    lead_sheets_free(batch);
    free(batch);
}

static void show_progress(data_run *run, const char *current, bool force)
{
    if (!run->progress)
        return;
    double t = clock_seconds();
    if (!force && t - run->last_progress < 0.2)
        return;
    run->last_progress = t;
    double rate = run->files_seen / (t - run->started > 1e-6 ? t - run->started : 1e-6);
    size_t n = strlen(current);
    fprintf(stderr, "\r\033[Kfiles %llu, sequences %llu, %.0f files/s  %s%s", (unsigned long long)run->files_seen,
            (unsigned long long)run->records, rate, n > 50 ? "..." : "", n > 50 ? current + n - 47 : current);
}

static bool has_midi_extension(const char *path)
{
    size_t n = strlen(path);
    return (n > 4 && !strcasecmp(path + n - 4, ".mid")) || (n > 5 && !strcasecmp(path + n - 5, ".midi"));
}

static void process_file(data_run *run, const char *path, const char *relative)
{
    char why[MUSIC_MESSAGE_SIZE];
    music_seq seq;
    music_seq_init(&seq);
    run->files_seen++;
    show_progress(run, relative, false);
    if (music_midi_read_file(path, &seq, why) != MUSIC_OK) {
        if (run->progress)
            fputs("\r\033[K", stderr);
        fprintf(stderr, "nn-train: skipped: %s\n", why);
        run->skipped[SKIP_UNREADABLE]++;
        return;
    }
    run->files_read++;
    if (run->improv) {
        int added = 0;
        if (pipeline_chord_file(path, &seq, &added, why) != MUSIC_OK) {
            fprintf(stderr, "nn-train: skipped: %s\n", why);
            run->skipped[SKIP_CHORD_FILE]++;
            music_seq_free(&seq);
            return;
        }
        run->improv_counts.chord_files += added > 0;
    }
    /* the split follows the path below the folder, so it is the same whatever the walk order */
    uint64_t h = hash_finish(hash_bytes(HASH_SEED, relative, strlen(relative)));
    bool eval = (double)(h % 10000u) < run->eval_percent * 100.0;

    music_seq *pieces = NULL;
    int count = 0;
    music_status st = pipeline_split(&run->enc, &seq, &pieces, &count, why);
    music_seq_free(&seq);
    if (st != MUSIC_OK) {
        fprintf(stderr, "nn-train: %s: %s\n", path, why);
        run->skipped[SKIP_SPLIT_FAILED]++;
        return;
    }
    uint64_t written = run->records;
    int lo = eval ? 0 : run->train_lo, hi = eval ? 0 : run->train_hi;
    static piece_pass pass;
    for (int p = 0; p < count && !interrupted; p++) {
        run->pieces++;
        if (pipeline_quantize(&run->enc, &pieces[p], why) != MUSIC_OK) {
            run->pieces_failed++;
            continue;
        }
        if (run->improv) {
            write_lead_sheets(run, &pieces[p], eval, why);
            continue;
        }
        memset(&pass, 0, sizeof pass);
        pass.eval = eval;
        extract_sequences(run, &pieces[p], on_sequence, &pass, why);
        for (int amount = lo; amount <= hi; amount++) {
            if (amount == 0)
                continue;
            music_seq moved;
            if (music_seq_copy(&moved, &pieces[p]) != MUSIC_OK)
                continue;
            moved.steps_per_quarter = pieces[p].steps_per_quarter;
            moved.steps_per_second = pieces[p].steps_per_second;
            moved.total_steps = pieces[p].total_steps;
            moved.total_time = pieces[p].total_time;
            if (transpose_piece(&moved, amount)) {
                pass.transposition = amount;
                extract_sequences(run, &moved, on_sequence, &pass, why);
            } else {
                run->transpositions_out_of_range++;
            }
            music_seq_free(&moved);
        }
    }
    music_seq_pieces_free(pieces, count);
    if (run->records == written)
        run->skipped[SKIP_NOTHING_FOUND]++;
}

static int walk_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (interrupted)
        return 1;
    if (type == FTW_F && has_midi_extension(path)) {
        const char *relative = path + the_run->folder_length;
        while (*relative == '/')
            relative++;
        process_file(the_run, path, relative);
    }
    return the_run->write_failed ? 1 : 0;
}

static void write_header(data_run *run, uint8_t *h)
{
    memset(h, 0, DATA_HEADER_SIZE);
    memcpy(h, DATA_MAGIC, 8);
    put_u32(h + 8, run->improv ? DATA_VERSION_STREAMS : DATA_VERSION_PLAIN);
    put_u32(h + 12, DATA_HEADER_SIZE);
    snprintf((char *)h + 16, 32, "%s", run->enc.name);
    put_u32(h + 48, (uint32_t)run->enc.input_size);
    put_u32(h + 52, (uint32_t)run->enc.num_classes);
    put_u64(h + 56, run->records);
    put_u64(h + 64, run->train);
    put_u64(h + 72, run->eval);
    put_u64(h + 80, run->steps);
    put_u32(h + 88, (uint32_t)run->files_read);
    put_u32(h + 92, run->records_crc);
    put_u32(h + 96, (uint32_t)run->train_lo);
    put_u32(h + 100, (uint32_t)run->train_hi);
    put_u32(h + 104, (uint32_t)(run->eval_percent * 100.0 + 0.5));
    if (run->improv)
        put_u32(h + 108, DATA_STREAM_CHORDS);
    put_u32(h + 124, nn_crc32c(0, h, 124));
}

static void print_summary(data_run *run, double seconds)
{
    uint64_t skipped = 0;
    for (int r = 0; r < SKIP_REASONS; r++)
        skipped += run->skipped[r];
    fprintf(stderr, "%s: %llu MIDI files in %.1f s (%.0f files/s): %llu read, %llu skipped\n", run->enc.name,
            (unsigned long long)run->files_seen, seconds, run->files_seen / (seconds > 1e-6 ? seconds : 1e-6),
            (unsigned long long)run->files_read, (unsigned long long)skipped);
    for (int r = 0; r < SKIP_REASONS; r++)
        if (run->skipped[r])
            fprintf(stderr, "  skipped, %s: %llu\n", skip_names[r], (unsigned long long)run->skipped[r]);
    fprintf(stderr, "  pieces after splitting: %llu (%llu could not be quantized)\n", (unsigned long long)run->pieces,
            (unsigned long long)run->pieces_failed);
    fprintf(stderr, "  sequences: %llu train, %llu eval; %llu steps; %llu duplicates dropped", (unsigned long long)run->train,
            (unsigned long long)run->eval, (unsigned long long)run->steps, (unsigned long long)run->duplicates);
    if (run->transpositions_out_of_range)
        fprintf(stderr, "; %llu transpositions out of range", (unsigned long long)run->transpositions_out_of_range);
    fputc('\n', stderr);
    if (run->improv) {
        const improv_counts *c = &run->improv_counts;
        fprintf(stderr, "  chords: from .chords files for %llu files, inferred for %llu pieces (%llu failed)",
                (unsigned long long)c->chord_files, (unsigned long long)c->pieces_inferred,
                (unsigned long long)c->inference_failed);
        if (c->pieces_without_chords)
            fprintf(stderr, ", %llu pieces without chords skipped", (unsigned long long)c->pieces_without_chords);
        fprintf(stderr, "\n  lead sheets dropped: %d coincident chords, %d only N.C., %d bad chord symbols, "
                "%llu chords the encoding cannot represent\n", c->sheets.coincident_chords, c->sheets.only_no_chord,
                c->sheets.bad_chord_symbols, (unsigned long long)c->chord_encoding_errors);
    }
    if (run->dedupe_full)
        fprintf(stderr, "  the dedupe table filled up at %zu entries: later duplicates were kept (raise --dedupe-mb)\n",
                run->dedupe_used);
    if (run->steps) {
        fputs("  most frequent classes:", stderr);
        for (int k = 0; k < 10; k++) {
            int best = -1;
            for (int c = 0; c < run->enc.num_classes; c++)
                if (run->histogram[c] && (best < 0 || run->histogram[c] > run->histogram[best]))
                    best = c;
            if (best < 0)
                break;
            fprintf(stderr, " %d (%.1f%%)", best, 100.0 * (double)run->histogram[best] / (double)run->steps);
            run->histogram[best] = 0; /* printed last: the histogram may be consumed */
        }
        fputc('\n', stderr);
    }
}

int command_data(int argc, char **argv)
{
    const char *encoding_name = NULL, *out_path = NULL;
    double eval_percent = 10.0, dedupe_mb = 64.0;
    bool transpose_given = false, infer_chords = true;
    int lo = 0, hi = 0;
    int folder_count = 0;
    const char **folders = calloc((size_t)argc + 1, sizeof *folders);
    if (!folders)
        return 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--encoding") && i + 1 < argc)
            encoding_name = argv[++i];
        else if (!strcmp(a, "--out") && i + 1 < argc)
            out_path = argv[++i];
        else if (!strcmp(a, "--eval-percent") && i + 1 < argc)
            eval_percent = atof(argv[++i]);
        else if (!strcmp(a, "--dedupe-mb") && i + 1 < argc)
            dedupe_mb = atof(argv[++i]);
        else if (!strcmp(a, "--no-infer-chords"))
            infer_chords = false;
        else if (!strcmp(a, "--jobs") && i + 1 < argc)
            i++; /* accepted; the run is single-threaded for now */
        else if (!strcmp(a, "--transpose") && i + 1 < argc) {
            if (sscanf(argv[++i], "%d:%d", &lo, &hi) != 2 || lo > hi || lo < -127 || hi > 127) {
                fprintf(stderr, "nn-train data: --transpose wants LO:HI with LO <= HI, got %s\n", argv[i]);
                return free(folders), 2;
            }
            transpose_given = true;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "nn-train data: unknown option %s\n", a);
            return free(folders), 2;
        } else
            folders[folder_count++] = a;
    }
    if (!encoding_name || !out_path || !folder_count) {
        nn_train_usage(stderr);
        return free(folders), 2;
    }
    if (!(eval_percent >= 0.0 && eval_percent <= 100.0) || !(dedupe_mb >= 0.001 && dedupe_mb <= 65536.0)) {
        fprintf(stderr, "nn-train data: --eval-percent must be 0..100 and --dedupe-mb 0.001..65536\n");
        return free(folders), 2;
    }
    if (has_midi_extension(out_path)) {
        fprintf(stderr, "nn-train data: refusing to write the dataset over a MIDI file name (%s)\n", out_path);
        return free(folders), 2;
    }
    static data_run run;
    if (!encoding_find(encoding_name, &run.enc)) {
        fprintf(stderr, "nn-train data: unknown encoding '%s' (data takes the melody, drum_kit, performance, improv and piano_genie ones)\n",
                encoding_name);
        return free(folders), 2;
    }
    /* Magenta's augmentation per pipeline: Performance RNN transposes training data by -3..3
     * (performance_pipeline.get_pipeline); Melody RNN's TranspositionPipeline runs with (0,)
     * from melody_rnn_create_dataset; Drums RNN has none. */
    if (!transpose_given && run.enc.kind == KIND_PERFORMANCE)
        lo = -3, hi = 3;
    /* Improv RNN's configs have no key (transpose_to_key None), so LeadSheetExtractor writes
     * every lead sheet in all 12 keys, range(-6, 6), for training and evaluation alike. */
    run.improv = run.enc.kind == KIND_IMPROV;
    run.infer_chords = infer_chords;
    if (!transpose_given && run.improv)
        lo = -6, hi = 5;
    run.train_lo = lo;
    run.train_hi = hi;
    run.eval_percent = eval_percent;
    size_t slots = 1;
    while (slots * 2 * sizeof(uint64_t) <= (size_t)(dedupe_mb * 1048576.0))
        slots *= 2;
    run.dedupe = calloc(slots, sizeof *run.dedupe);
    run.dedupe_mask = slots - 1;
    run.histogram = calloc((size_t)run.enc.num_classes, sizeof *run.histogram);
    if (!run.dedupe || !run.histogram || !ensure_classes(&run, 1024)) {
        fprintf(stderr, "nn-train data: out of memory\n");
        return 1;
    }

    /* A temporary file beside the target, renamed over it only once complete. */
    size_t n = strlen(out_path);
    char *tmp_path = malloc(n + 16);
    if (!tmp_path)
        return 1;
    snprintf(tmp_path, n + 16, "%s.tmp-XXXXXX", out_path);
    int fd = mkstemp(tmp_path);
    mode_t mask = umask(0);
    umask(mask);
    if (fd >= 0)
        fchmod(fd, 0666 & ~mask); /* mkstemp's 0600 would outlive the rename */
    if (fd < 0 || !(run.out = fdopen(fd, "wb"))) {
        fprintf(stderr, "nn-train data: cannot create %s: %s\n", tmp_path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp_path);
        }
        free(tmp_path);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    uint8_t header[DATA_HEADER_SIZE];
    write_header(&run, header);
    if (fwrite(header, 1, sizeof header, run.out) != sizeof header)
        run.write_failed = true;
    run.progress = isatty(STDERR_FILENO);
    run.started = clock_seconds();
    the_run = &run;
    int status = 0;
    for (int i = 0; i < folder_count && !interrupted && !run.write_failed; i++) {
        run.folder = folders[i];
        run.folder_length = strlen(folders[i]);
        if (nftw(folders[i], walk_entry, 16, FTW_PHYS) < 0) {
            fprintf(stderr, "nn-train data: cannot walk %s: %s\n", folders[i], strerror(errno));
            status = 1;
        }
    }
    free(folders);
    if (run.progress)
        fputs("\r\033[K", stderr);
    write_header(&run, header);
    if (!run.write_failed && !interrupted &&
        (fseek(run.out, 0, SEEK_SET) || fwrite(header, 1, sizeof header, run.out) != sizeof header ||
         fflush(run.out) || fsync(fileno(run.out))))
        run.write_failed = true;
    if (fclose(run.out))
        run.write_failed = true;
    if (interrupted || run.write_failed || status) {
        unlink(tmp_path);
        fprintf(stderr, "nn-train data: %s; %s left untouched\n",
                interrupted ? "interrupted" : run.write_failed ? "write failed" : "a folder could not be walked", out_path);
        free(tmp_path);
        return interrupted ? 130 : 1;
    }
    if (rename(tmp_path, out_path)) {
        fprintf(stderr, "nn-train data: cannot rename %s to %s: %s\n", tmp_path, out_path, strerror(errno));
        unlink(tmp_path);
        free(tmp_path);
        return 1;
    }
    free(tmp_path);
    print_summary(&run, clock_seconds() - run.started);
    fprintf(stderr, "  wrote %s\n", out_path);
    free(run.dedupe);
    free(run.histogram);
    free(run.classes);
    free(run.chords);
    free(run.events);
    free(run.bytes);
    return 0;
}
