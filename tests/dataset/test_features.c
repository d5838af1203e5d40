/* test_features.c — the model features of dataset records against what `nn-train encode --vectors`
 * prints for the same MIDI files (every encoding; synthetic songs, and a few files of the real
 * corpus when it is there), the model sizes, chord words against music.h's chord encodings, and
 * Improv RNN's data end to end: inferred chords, chords from a .chords file, transpositions.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "dataset_test.h"

#include <math.h>

static const char *tool;

/* ---- Songs ----------------------------------------------------------------------------------- */

/* Eight bars of 4/4 at 120 qpm over C F G C C F G C: a melody of quarter notes on the chord
 * tones (instrument 0), whole-note triads (instrument 1), kick on the beats and hi-hat on the
 * eighths (instrument 9, drums). */
static const int bar_roots[8] = {0, 5, 7, 0, 0, 5, 7, 0};

static void make_song(const char *path)
{
    music_seq seq;
    music_seq_init(&seq);
    music_seq_add_tempo(&seq, 0.0, 120.0);
    for (int bar = 0; bar < 8; bar++) {
        int root = bar_roots[bar];
        const int tones[4] = {60 + root, 64 + root, 67 + root, 64 + root};
        for (int q = 0; q < 4; q++) {
            double start = (bar * 4 + q) * 0.5;
            music_note note = {.start = start, .end = start + 0.5, .pitch = (uint8_t)tones[q], .velocity = 90};
            music_seq_add_note(&seq, &note);
            music_note kick = {.start = start, .end = start + 0.1, .pitch = 36, .velocity = 100, .is_drum = true,
                               .instrument = 9};
            music_seq_add_note(&seq, &kick);
            for (int e = 0; e < 2; e++) {
                music_note hat = {.start = start + e * 0.25, .end = start + e * 0.25 + 0.1, .pitch = 42, .velocity = 70,
                                  .is_drum = true, .instrument = 9};
                music_seq_add_note(&seq, &hat);
            }
        }
        for (int k = 0; k < 3; k++) {
            music_note chord = {.start = bar * 2.0, .end = bar * 2.0 + 2.0, .pitch = (uint8_t)(48 + root + (int[]){0, 4, 7}[k]),
                                .velocity = 60, .instrument = 1};
            music_seq_add_note(&seq, &chord);
        }
    }
    char why[MUSIC_MESSAGE_SIZE];
    CHECK(music_midi_write_file(&seq, path, why) == MUSIC_OK, "%s", why);
    music_seq_free(&seq);
}

static void write_chord_file(const char *path, const char *const *names)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (!f)
        return;
    fputs("# test chords\n# bar<TAB>chord\n", f);
    for (int bar = 0; bar < 8; bar++)
        fprintf(f, "%d\t%s\n", bar + 1, names[bar]);
    fclose(f);
}

/* ---- nn-train encode --vectors, parsed ------------------------------------------------------- */

typedef struct block {
    int steps;
    int *labels;
    float *vectors; /* steps × input_size; NAN where a step printed none */
} block;

typedef struct printout {
    block blocks[512];
    int count;
} printout;

static void printout_free(printout *p)
{
    for (int b = 0; b < p->count; b++) {
        free(p->blocks[b].labels);
        free(p->blocks[b].vectors);
    }
    p->count = 0;
}

static bool starts_block(const char *line)
{
    return (!strncmp(line, "# melody ", 9) || !strncmp(line, "# drum track ", 13) || !strncmp(line, "# performance ", 14) ||
            !strncmp(line, "# lead sheet ", 13)) &&
           !strstr(line, "skipped");
}

/* The blocks of one printout: `lead` tokens before each vector (the last of them the label). */
static bool parse_printout(const char *text, int lead, int input_size, printout *p)
{
    memset(p, 0, sizeof *p);
    block *current = NULL;
    int capacity = 0;
    char *copy = strdup(text), *save = NULL;
    bool ok = copy != NULL;
    for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line && ok; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') {
            if (starts_block(line) && p->count < 512) {
                current = &p->blocks[p->count++];
                capacity = 0;
            }
            continue;
        }
        if (!current)
            continue;
        if (current->steps == capacity) {
            capacity = capacity ? 2 * capacity : 256;
            current->labels = realloc(current->labels, (size_t)capacity * sizeof *current->labels);
            current->vectors = realloc(current->vectors, (size_t)capacity * (size_t)input_size * sizeof *current->vectors);
        }
        float *v = current->vectors + (size_t)current->steps * (size_t)input_size;
        char *tokens[2048];
        int n = 0, label = -1;
        for (char *t = strtok(line, " "); t && n < 2048; t = strtok(NULL, " "))
            tokens[n++] = t;
        if (n < lead)
            return free(copy), false;
        label = atoi(tokens[lead - 1]);
        if (n == lead) {
            for (int i = 0; i < input_size; i++)
                v[i] = NAN;
        } else if (n == lead + 1 && (int)strlen(tokens[lead]) == input_size) {
            for (int i = 0; i < input_size; i++)
                v[i] = tokens[lead][i] == '1' ? 1.0f : 0.0f;
        } else if (n == lead + input_size) {
            for (int i = 0; i < input_size; i++)
                v[i] = strtof(tokens[lead + i], NULL);
        } else {
            ok = false;
        }
        current->labels[current->steps++] = label;
    }
    free(copy);
    return ok;
}

static int lead_tokens(encoding_kind kind)
{
    return kind == KIND_IMPROV || kind == KIND_PERFORMANCE ? 4 : 3;
}

/* Does the record's features equal block b: input rows 0..L-2, labels of steps 1..L-1? */
static bool same_features(const block *b, int length, int input_size, const float *inputs, const int *labels)
{
    if (b->steps != length)
        return false;
    for (int i = 0; i + 1 < length; i++) {
        if (labels[i] != b->labels[i + 1])
            return false;
        for (int k = 0; k < input_size; k++)
            if (!(fabsf(inputs[(size_t)i * (size_t)input_size + (size_t)k] - b->vectors[(size_t)i * (size_t)input_size + (size_t)k]) <
                  1e-6f))
                return false;
    }
    return true;
}

static void copy_file(const char *from, const char *to)
{
    char *bytes = NULL;
    size_t n = 0;
    FILE *f = fopen(from, "rb");
    if (f) {
        fseek(f, 0, SEEK_END);
        n = (size_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        bytes = malloc(n + 1);
        n = bytes ? fread(bytes, 1, n, f) : 0;
        fclose(f);
    }
    CHECK(bytes && write_bytes(to, bytes, n), "cannot copy %s to %s", from, to);
    free(bytes);
}

/* A copy of `file` alone in a folder (with its .chords file if any), so that `data` reads only
 * it (data does not follow symbolic links). */
static void lone_folder(const char *file, char *folder, size_t size)
{
    static int made;
    snprintf(folder, size, "%s/lone-%d", scratch, made++);
    mkdir(folder, 0755);
    char copy[512], chords[512];
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    snprintf(copy, sizeof copy, "%s/%s", folder, base);
    copy_file(file, copy);
    snprintf(chords, sizeof chords, "%.*s.chords", (int)(strrchr(file, '.') - file), file);
    if (access(chords, R_OK) == 0) {
        snprintf(copy, sizeof copy, "%s/%.*s.chords", folder, (int)(strrchr(base, '.') - base), base);
        copy_file(chords, copy);
    }
}

/* Features of every record of `encoding` from `file` against the encode printout. */
static int compare_with_encode(const char *file, const char *encoding_name)
{
    snprintf(context, sizeof context, "%s, %s", encoding_name, strrchr(file, '/') ? strrchr(file, '/') + 1 : file);
    encoding enc;
    CHECK(encoding_find(encoding_name, &enc), "no encoding");
    char folder[256], data[256], out[256], err[256];
    lone_folder(file, folder, sizeof folder);
    snprintf(data, sizeof data, "%s/features.nnd", scratch);
    snprintf(out, sizeof out, "%s/encode.txt", scratch);
    snprintf(err, sizeof err, "%s/log.txt", scratch);
    const char *data_args[] = {"data", "--encoding", encoding_name, "--eval-percent", "0", "--transpose", "0:0",
                               "--out", data, folder, NULL};
    CHECK(run_tool(tool, data_args, NULL, err) == 0, "nn-train data failed (%s)", err);
    const char *encode_args[] = {"encode", "--encoding", encoding_name, "--vectors", file, NULL};
    CHECK(run_tool(tool, encode_args, out, err) == 0, "nn-train encode failed (%s)", err);
    char *text = read_text(out);
    static printout p;
    int input_size = features_input_size(&enc), matched = 0;
    CHECK(text && parse_printout(text, lead_tokens(enc.kind), input_size, &p), "cannot parse %s", out);
    free(text);
    char why[NN_MESSAGE_SIZE] = "";
    dataset *ds = NULL;
    CHECK(dataset_open(data, &ds, why) == NN_OK, "%s", why);
    for (uint64_t r = 0; ds && r < dataset_get_info(ds)->records; r++) {
        dataset_record rec = dataset_record_at(ds, r);
        uint16_t *classes = malloc((size_t)rec.length * sizeof *classes);
        uint32_t *chords = malloc((size_t)rec.length * sizeof *chords);
        float *inputs = malloc((size_t)rec.length * (size_t)input_size * sizeof *inputs);
        int *labels = malloc((size_t)rec.length * sizeof *labels), *labels_only = malloc((size_t)rec.length * sizeof *labels);
        CHECK(dataset_read(ds, r, classes, chords, why) == NN_OK, "%s", why);
        CHECK(features_of_record(&enc, classes, chords, rec.length, inputs, labels, why) == NN_OK, "%s", why);
        CHECK(features_of_record(&enc, classes, chords, rec.length, NULL, labels_only, why) == NN_OK &&
                  !memcmp(labels, labels_only, (size_t)(rec.length - 1) * sizeof *labels),
              "labels alone differ");
        bool found = false;
        for (int b = 0; b < p.count && !found; b++)
            found = same_features(&p.blocks[b], rec.length, input_size, inputs, labels);
        CHECK(found, "record %llu (%d steps) matches no printed sequence of %d", (unsigned long long)r, rec.length, p.count);
        for (int i = 0; i + 1 < rec.length; i++)
            CHECK(labels[i] >= 0 && labels[i] < features_num_classes(&enc), "label %d", labels[i]);
        if (features_input_is_onehot(&enc))
            for (int i = 0; i + 1 < rec.length; i++)
                CHECK(inputs[(size_t)i * (size_t)input_size + classes[i]] == 1.0f, "not the one-hot of class %d", classes[i]);
        matched += found;
        free(classes);
        free(chords);
        free(inputs);
        free(labels);
        free(labels_only);
    }
    dataset_free(ds);
    printout_free(&p);
    return matched;
}

static const char *const all_encodings[] = {"basic_rnn", "mono_rnn", "lookback_rnn", "attention_rnn", "drum_kit",
                                            "performance", "performance_with_dynamics", "basic_improv",
                                            "attention_improv", "chord_pitches_improv"};
enum { ENCODINGS = sizeof all_encodings / sizeof all_encodings[0] };

static void test_sizes(void)
{
    snprintf(context, sizeof context, "sizes");
    /* Magenta's encoder-decoders' input_size / num_classes */
    static const int sizes[ENCODINGS][2] = {{38, 38}, {130, 130}, {121, 40}, {74, 40}, {518, 512},
                                            {356, 356}, {388, 388}, {87, 38}, {123, 40}, {75, 38}};
    for (int e = 0; e < ENCODINGS; e++) {
        encoding enc;
        CHECK(encoding_find(all_encodings[e], &enc), "%s unknown", all_encodings[e]);
        CHECK(features_input_size(&enc) == sizes[e][0] && features_num_classes(&enc) == sizes[e][1], "%s: %d/%d, want %d/%d",
              all_encodings[e], features_input_size(&enc), features_num_classes(&enc), sizes[e][0], sizes[e][1]);
    }
}

static void test_against_encode(const char *song, const char *lead, const char *corpus)
{
    for (int e = 0; e < ENCODINGS; e++) {
        int records = compare_with_encode(song, all_encodings[e]);
        /* the song: one melody, one drum track, one performance (drums and notes share program
         * 0), one lead sheet */
        CHECK(records >= 1, "%s: %d records from the song", all_encodings[e], records);
        if (strstr(all_encodings[e], "improv"))
            CHECK(compare_with_encode(lead, all_encodings[e]) == 1, "%s: the lead sheet with a .chords file", all_encodings[e]);
    }
    /* a few files of the real corpus (tools/fetch-corpora.sh), when it has been fetched */
    static const char *const real[] = {"freedoom/freedoom1-D_E1M1.mid", "mma/yamaha/jazzwaltz-JazzWaltzEndingA.mid",
                                       "pianobooster/BeginnerCourse-04-ClairDeLaLune.mid", "abcmidi/araber-X47.mid"};
    int tried = 0;
    for (size_t f = 0; f < sizeof real / sizeof real[0]; f++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", corpus, real[f]);
        if (access(path, R_OK) != 0)
            continue;
        tried++;
        int records = 0;
        for (int e = 0; e < ENCODINGS; e++)
            records += compare_with_encode(path, all_encodings[e]);
        CHECK(records > 0, "%s: no records under any encoding", path);
    }
    printf("test_features: %d real corpus files compared%s\n", tried, tried ? "" : " (no corpus at the given path)");
}

/* ---- Chord words ----------------------------------------------------------------------------- */

static void test_chord_words(void)
{
    snprintf(context, sizeof context, "chord words");
    static const char *const names[] = {"C", "Am", "F#m7b5", "Bb7", "Ebmaj7", "G/B", "Dm7/C", "Caug", "Bdim", "E7sus",
                                        "A5", "C6/9", "Gm(add9)", "F13", "Db7(b9)", "N.C.", "Cbb", "E#m", "Fdim7", "Asus2"};
    char why[MUSIC_MESSAGE_SIZE];
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        music_chord chord;
        CHECK(music_chord_parse(names[n], &chord, why) == MUSIC_OK, "%s: %s", names[n], why);
        uint32_t word = music_chord_word(&chord);
        CHECK(music_chord_word_valid(word), "%s: word %08x", names[n], word);
        for (int amount = -6; amount <= 5; amount++) {
            char moved[MUSIC_CHORD_SYMBOL_SIZE] = MUSIC_NO_CHORD;
            music_chord moved_chord;
            if (!chord.no_chord)
                CHECK(music_chord_transpose(names[n], amount, moved, sizeof moved, why) == MUSIC_OK, "%s", why);
            CHECK(music_chord_parse(moved, &moved_chord, why) == MUSIC_OK, "%s", why);
            uint32_t w = music_chord_word_transpose(word, amount);
            CHECK(w == music_chord_word(&moved_chord), "%s %+d = %s: %08x, want %08x", names[n], amount, moved, w,
                  music_chord_word(&moved_chord));
            /* what Improv RNN's two chord encodings make of the symbol, and of the word */
            float want[MUSIC_CHORD_TRIAD_CLASSES] = {0}, got[MUSIC_CHORD_TRIAD_CLASSES] = {0};
            int index = -1;
            char word_why[NN_MESSAGE_SIZE];
            bool triad = music_chord_triad_encode(moved, &index, why) == MUSIC_OK;
            CHECK(triad == (music_chord_word_encode(MUSIC_CHORD_ENCODING_TRIAD, w, got, word_why) == MUSIC_OK), "%s: triad %d", moved, triad);
            if (triad) {
                want[index] = 1.0f;
                CHECK(!memcmp(want, got, sizeof want), "%s: triad one-hot differs", moved);
            }
            CHECK(music_chord_pitch_encode(moved, want, why) == MUSIC_OK, "%s", why);
            CHECK(music_chord_word_encode(MUSIC_CHORD_ENCODING_PITCHES, w, got, word_why) == MUSIC_OK, "%s", word_why);
            CHECK(!memcmp(want, got, MUSIC_CHORD_PITCH_INPUT_SIZE * sizeof *got), "%s: pitch input differs", moved);
        }
    }
    CHECK(!music_chord_word_valid(MUSIC_CHORD_WORD_NO_CHORD | 1) && !music_chord_word_valid(12u << 12) && !music_chord_word_valid(5u << 20) &&
              !music_chord_word_valid(1u << 24),
          "invalid words accepted");
}

/* ---- Improv RNN's data end to end ---------------------------------------------------------- */

typedef struct loaded {
    int count;
    dataset_record rec[64];
    uint16_t classes[64][160];
    uint32_t chords[64][160];
} loaded;

static bool load(const char *path, loaded *d)
{
    memset(d, 0, sizeof *d);
    char why[NN_MESSAGE_SIZE];
    dataset *ds = NULL;
    CHECK(dataset_open(path, &ds, why) == NN_OK, "%s", why);
    if (!ds)
        return false;
    for (uint64_t r = 0; r < dataset_get_info(ds)->records && d->count < 64; r++) {
        d->rec[d->count] = dataset_record_at(ds, r);
        CHECK(d->rec[d->count].length <= 160, "record of %d steps", d->rec[d->count].length);
        if (d->rec[d->count].length <= 160)
            CHECK(dataset_read(ds, r, d->classes[d->count], d->chords[d->count], why) == NN_OK, "%s", why);
        d->count++;
    }
    dataset_free(ds);
    return true;
}

/* The 12 records of one lead sheet, transposed -6..5: chords rotate, pitches move (folded). */
static void check_transpositions(const loaded *d, int first, const uint32_t *want_chords, bool want_eval)
{
    const int zero = first + 6;
    for (int k = 0; k < 12; k++) {
        const dataset_record *rec = &d->rec[first + k];
        int t = k - 6;
        CHECK(rec->transposition == t && rec->eval == want_eval && rec->length == d->rec[zero].length,
              "record %d: transposition %d, eval %d, length %d", first + k, rec->transposition, rec->eval, rec->length);
        for (int i = 0; i < rec->length && i < 160; i++) {
            uint32_t want = music_chord_word_transpose(want_chords ? want_chords[i] : d->chords[zero][i], t);
            CHECK(d->chords[first + k][i] == want, "transposition %d step %d: chord %08x, want %08x", t, i,
                  d->chords[first + k][i], want);
            int e0 = 0, et = 0;
            music_melody_onehot_decode(48, 84, d->classes[zero][i], &e0);
            music_melody_onehot_decode(48, 84, d->classes[first + k][i], &et);
            if (e0 >= 0)
                CHECK(et >= 48 && et < 84 && ((et - e0 - t) % 12 + 12) % 12 == 0, "transposition %d step %d: %d from %d", t,
                      i, et, e0);
            else
                CHECK(et == e0, "transposition %d step %d: event %d, want %d", t, i, et, e0);
        }
    }
}

static uint32_t word_of(const char *name)
{
    music_chord chord;
    char why[MUSIC_MESSAGE_SIZE];
    music_chord_parse(name, &chord, why);
    return music_chord_word(&chord);
}

static void test_improv(void)
{
    char out[256], err[256], inferred_dir[256], lead_dir[256], sus_dir[256], path[300];
    snprintf(out, sizeof out, "%s/improv.nnd", scratch);
    snprintf(err, sizeof err, "%s/improv.log", scratch);
    snprintf(inferred_dir, sizeof inferred_dir, "%s/improv-inferred", scratch);
    snprintf(lead_dir, sizeof lead_dir, "%s/improv-lead", scratch);
    snprintf(sus_dir, sizeof sus_dir, "%s/improv-sus", scratch);
    mkdir(inferred_dir, 0755);
    mkdir(lead_dir, 0755);
    mkdir(sus_dir, 0755);
    snprintf(path, sizeof path, "%s/song.mid", inferred_dir);
    make_song(path);
    snprintf(path, sizeof path, "%s/lead.mid", lead_dir);
    make_song(path);
    static const char *const lead_chords[8] = {"Am", "Dm7", "E7", "Am", "F", "G/B", "C", "Am"};
    snprintf(path, sizeof path, "%s/lead.chords", lead_dir);
    write_chord_file(path, lead_chords);
    snprintf(path, sizeof path, "%s/sus.mid", sus_dir);
    make_song(path);
    static const char *const sus_chords[8] = {"C", "F", "Gsus4", "C", "C", "F", "G", "C"};
    snprintf(path, sizeof path, "%s/sus.chords", sus_dir);
    write_chord_file(path, sus_chords);
    static loaded d;

    /* chords inferred from the notes: C F G C twice over (two frames a bar, one symbol per change) */
    snprintf(context, sizeof context, "improv, inferred chords");
    const char *inferred[] = {"data", "--encoding", "basic_improv", "--eval-percent", "0", "--out", out, inferred_dir, NULL};
    CHECK(run_tool(tool, inferred, NULL, err) == 0, "nn-train data failed (%s)", err);
    if (load(out, &d) && d.count == 12) {
        uint32_t want[160];
        for (int i = 0; i < d.rec[6].length && i < 160; i++)
            want[i] = word_of(bar_roots[i / 16] == 0 ? "C" : bar_roots[i / 16] == 5 ? "F" : "G");
        check_transpositions(&d, 0, want, false);
        CHECK(d.rec[6].length >= 7 * 16, "lead sheet of %d steps", d.rec[6].length);
    } else {
        CHECK(d.count == 12, "%d records, want 12 transpositions of one lead sheet", d.count);
    }
    char *log = read_text(err);
    CHECK(log && strstr(log, "inferred for 1 pieces"), "summary: %s", log ? log : "");
    free(log);

    /* evaluation lead sheets are transposed too, as LeadSheetExtractor does */
    const char *all_eval[] = {"data", "--encoding", "attention_improv", "--eval-percent", "100", "--out", out, inferred_dir,
                              NULL};
    CHECK(run_tool(tool, all_eval, NULL, err) == 0, "nn-train data failed (%s)", err);
    if (load(out, &d) && d.count == 12)
        check_transpositions(&d, 0, NULL, true);
    else
        CHECK(d.count == 12, "%d evaluation records", d.count);

    /* chords from lead.chords, whatever the notes say */
    snprintf(context, sizeof context, "improv, .chords file");
    const char *from_file[] = {"data", "--encoding", "chord_pitches_improv", "--eval-percent", "0", "--out", out, lead_dir, NULL};
    CHECK(run_tool(tool, from_file, NULL, err) == 0, "nn-train data failed (%s)", err);
    if (load(out, &d) && d.count == 12) {
        uint32_t want[160];
        for (int i = 0; i < d.rec[6].length && i < 160; i++)
            want[i] = word_of(lead_chords[i / 16]);
        check_transpositions(&d, 0, want, false);
        CHECK((want[16 * 5] >> 16 & 15) == 11, "G/B's bass %u", want[16 * 5] >> 16 & 15);
    } else {
        CHECK(d.count == 12, "%d records", d.count);
    }
    log = read_text(err);
    CHECK(log && strstr(log, "from .chords files for 1 files, inferred for 0 pieces"), "summary: %s", log ? log : "");
    free(log);

    /* a sus chord: no class in the triad encoding (the lead sheet is dropped), fine as pitches */
    snprintf(context, sizeof context, "improv, sus chord");
    const char *triad[] = {"data", "--encoding", "basic_improv", "--out", out, sus_dir, NULL};
    CHECK(run_tool(tool, triad, NULL, err) == 0, "nn-train data failed (%s)", err);
    CHECK(load(out, &d) && d.count == 0, "%d records with a Gsus4 under basic_improv", d.count);
    log = read_text(err);
    CHECK(log && strstr(log, "1 chords the encoding cannot represent"), "summary: %s", log ? log : "");
    free(log);
    const char *pitches[] = {"data", "--encoding", "chord_pitches_improv", "--eval-percent", "0", "--out", out, sus_dir, NULL};
    CHECK(run_tool(tool, pitches, NULL, err) == 0, "nn-train data failed (%s)", err);
    CHECK(load(out, &d) && d.count == 12 && d.chords[6][2 * 16] == word_of("Gsus4"), "%d records", d.count);

    /* --no-infer-chords: only the file with chords; --transpose narrows the keys */
    snprintf(context, sizeof context, "improv, --no-infer-chords");
    const char *no_infer[] = {"data", "--encoding", "basic_improv", "--no-infer-chords", "--transpose", "-1:1",
                              "--out", out, inferred_dir, lead_dir, NULL};
    CHECK(run_tool(tool, no_infer, NULL, err) == 0, "nn-train data failed (%s)", err);
    CHECK(load(out, &d) && d.count == 3, "%d records, want lead.mid's in 3 keys", d.count);
    for (int r = 0; r < d.count; r++)
        CHECK(d.chords[r][0] == music_chord_word_transpose(word_of("Am"), d.rec[r].transposition), "record %d", r);
    log = read_text(err);
    CHECK(log && strstr(log, "1 pieces without chords skipped"), "summary: %s", log ? log : "");
    free(log);
    snprintf(path, sizeof path, "%s/song.mid", inferred_dir);
    const char *encode_no_infer[] = {"encode", "--encoding", "basic_improv", "--no-infer-chords", path, NULL};
    char printed[256];
    snprintf(printed, sizeof printed, "%s/encode.txt", scratch);
    CHECK(run_tool(tool, encode_no_infer, printed, err) == 0, "encode --no-infer-chords failed");
    log = read_text(printed);
    CHECK(log && strstr(log, "no chord symbols") && !strstr(log, "# lead sheet"), "encode: %s", log ? log : "");
    free(log);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_features PATH/TO/nn-train [CORPUS]\n");
        return 2;
    }
    tool = argv[1];
    make_scratch("test-features");
    test_sizes();
    test_chord_words();
    char song[256], lead[256];
    snprintf(song, sizeof song, "%s/song.mid", scratch);
    make_song(song);
    snprintf(lead, sizeof lead, "%s/lead/lead.mid", scratch);
    snprintf(context, sizeof context, "setup");
    char lead_dir[200];
    snprintf(lead_dir, sizeof lead_dir, "%s/lead", scratch);
    mkdir(lead_dir, 0755);
    make_song(lead);
    char chords[256];
    snprintf(chords, sizeof chords, "%s/lead/lead.chords", scratch);
    static const char *const names[8] = {"Am", "Dm7", "E7", "Am", "F", "G/B", "C", "Am"};
    write_chord_file(chords, names);
    test_against_encode(song, lead, argc > 2 ? argv[2] : "");
    test_improv();
    if (!failures)
        remove_tree(scratch);
    else
        printf("test_features: kept %s\n", scratch);
    return check_summary("test_features");
}
