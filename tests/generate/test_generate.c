/* test_generate.c — `nn-train generate` end to end: tiny random-weight event_rnn models written
 * here for basic_rnn, attention_rnn, drum_kit and chord_pitches_improv, the tool run on them, the
 * MIDI files read back; bad input refused. Also: generate_input builds the same input vectors as
 * features_of_record (what training sees) for every melody, drums and improv encoding.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "../tool_test.h" /* first: it asks for _DEFAULT_SOURCE */

#include "nn-train.h"

#include <math.h>

#define TEST_SEED 0x6e6e67656eull
#include "../check.h"

static const char *tool;
static char out_path[160], err_path[160];

enum { UNITS = 12 };
#define STEP_SECONDS 0.125 /* a sixteenth at 120 qpm */
#define TIME_TOLERANCE 0.003 /* seconds: a tick at 220 per quarter, 120 qpm, is 2.3 ms */

/* ---- Models ---------------------------------------------------------------------------------- */

static nn_status add_random(nn_writer *w, const char *name, int rows, int cols, float scale)
{
    int count = rows * cols;
    float *data = malloc((size_t)count * sizeof *data);
    fill_uniform(data, count, -scale, scale);
    nn_status st = rows > 1 ? nn_writer_add(w, name, NN_F32, 2, (const int[]){rows, cols}, data)
                            : nn_writer_add(w, name, NN_F32, 1, (const int[]){cols}, data);
    free(data);
    return st;
}

/* One LSTM layer of UNITS (with attn_length > 0 wrapped in Magenta's attention), then the
 * output layer; weights uniform in ±0.5, so the classes come out nearly uniform. `encoding_name`
 * NULL: no encoding hyperparameter. */
static void write_model(const char *path, nn_kind kind, const char *encoding_name, int input, int classes, int attn)
{
    nn_writer *w = NULL;
    char why[NN_MESSAGE_SIZE] = "";
    nn_status st = nn_writer_new(kind, &w);
    int U = UNITS;
    if (st == NN_OK) st = nn_writer_set_int(w, "input_size", input);
    if (st == NN_OK) st = nn_writer_set_int(w, "num_classes", classes);
    if (st == NN_OK) st = nn_writer_set_int(w, "num_layers", 1);
    if (st == NN_OK && attn) st = nn_writer_set_int(w, "attn_length", attn);
    if (st == NN_OK && encoding_name) st = nn_writer_set_string(w, "encoding", encoding_name);
    if (st == NN_OK) st = add_random(w, "rnn/cell_0/kernel", input + U, 4 * U, 0.5f);
    if (st == NN_OK) st = add_random(w, "rnn/cell_0/bias", 1, 4 * U, 0.5f);
    if (attn) {
        if (st == NN_OK) st = add_random(w, "rnn/cell_0/attention/input_kernel", input + U, input, 0.5f);
        if (st == NN_OK) st = add_random(w, "rnn/cell_0/attention/input_bias", 1, input, 0.5f);
        if (st == NN_OK) st = add_random(w, "rnn/cell_0/attention/attn_w", U, U, 0.5f);
        if (st == NN_OK) st = add_random(w, "rnn/cell_0/attention/attn_v", 1, U, 0.5f);
        if (st == NN_OK) st = add_random(w, "rnn/cell_0/attention/query_kernel", 2 * U, U, 0.5f);
        if (st == NN_OK) st = add_random(w, "rnn/cell_0/attention/query_bias", 1, U, 0.5f);
        if (st == NN_OK) st = add_random(w, "rnn/cell_0/attention/output_kernel", 2 * U, U, 0.5f);
        if (st == NN_OK) st = add_random(w, "rnn/cell_0/attention/output_bias", 1, U, 0.5f);
    }
    if (st == NN_OK) st = add_random(w, "output/kernel", U, classes, 0.5f);
    if (st == NN_OK) st = add_random(w, "output/bias", 1, classes, 0.5f);
    if (st == NN_OK) st = nn_writer_save(w, path, why);
    CHECK(st == NN_OK, "writing %s: %s %s", path, nn_status_text(st), why);
    nn_writer_free(w);
}

/* ---- Running the tool -------------------------------------------------------------------------- */

/* nn-train generate ARGS...; stdout and stderr into out_path and err_path. */
static int run_generate(const char *const *args)
{
    const char *argv[32] = {"generate"};
    int n = 1;
    for (; args[n - 1] && n < 31; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    return run_tool(tool, argv, out_path, err_path);
}

static bool file_contains(const char *path, const char *text)
{
    char *all = read_text(path);
    bool found = all && strstr(all, text);
    free(all);
    return found;
}

static bool same_bytes(const char *a, const char *b)
{
    char *x = read_text(a), *y = read_text(b);
    struct stat sa, sb;
    bool same = x && y && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_size == sb.st_size &&
                memcmp(x, y, (size_t)sa.st_size) == 0;
    free(x);
    free(y);
    return same;
}

static void path_in(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", scratch, name);
}

static bool read_midi(const char *path, music_seq *seq)
{
    char why[MUSIC_MESSAGE_SIZE];
    music_seq_init(seq);
    bool ok = music_midi_read_file(path, seq, why) == MUSIC_OK;
    CHECK(ok, "reading back %s: %s", path, why);
    return ok;
}

/* ---- Generating from each kind of model --------------------------------------------------------- */

typedef struct config {
    const char *name;
    int input, classes, attn;
    encoding_kind kind;
} config;

static const config configs[] = {
    {"basic_rnn", 38, 38, 0, KIND_MELODY},
    {"attention_rnn", 74, 40, 4, KIND_MELODY},
    {"drum_kit", 518, 512, 0, KIND_DRUMS},
    {"chord_pitches_improv", 75, 38, 0, KIND_IMPROV},
};

static bool gm_drum_pitch(int pitch)
{
    static const int pitches[] = {36, 38, 42, 46, 45, 48, 50, 49, 51}; /* each drum class's decoding pitch */
    for (int k = 0; k < 9; k++)
        if (pitch == pitches[k])
            return true;
    return false;
}

/* Checks of one generated file: `steps` long, notes where the encoding puts them. */
static void check_output(const config *c, const char *path, int steps, bool default_primer)
{
    music_seq seq;
    if (!read_midi(path, &seq))
        return;
    double length = steps * STEP_SECONDS, last_end = 0.0;
    int melody = 0, chords = 0, drums = 0, outside = 0;
    CHECK(seq.tempos.count >= 1 && fabs(seq.tempos.items[0].qpm - 120.0) < 1e-6, "tempo 120 qpm");
    for (int i = 0; i < seq.notes.count; i++) {
        const music_note *n = &seq.notes.items[i];
        last_end = fmax(last_end, n->end);
        CHECK(n->start >= -1e-9 && n->end <= length + TIME_TOLERANCE, "note %d (%.3f..%.3f s) inside the %d steps",
              i, n->start, n->end, steps);
        if (c->kind == KIND_DRUMS) {
            drums++;
            outside += !n->is_drum || !gm_drum_pitch(n->pitch);
            CHECK(fabs(n->end - n->start - STEP_SECONDS) < TIME_TOLERANCE, "drum notes last one step");
        } else if (n->program == 88) { /* the rendered chords (improv) */
            chords++;
            outside += n->is_drum || n->pitch < 36 || n->pitch >= 60;
        } else {
            melody++;
            outside += n->is_drum || n->program != 0 || n->pitch < 48 || n->pitch >= 84;
        }
    }
    CHECK(outside == 0, "%d notes off their channel, program or the encoding's range", outside);
    if (c->kind == KIND_DRUMS)
        CHECK(drums >= 8, "%d drum notes", drums);
    else
        CHECK(melody >= 8, "%d melody notes", melody);
    if (c->kind == KIND_IMPROV) {
        /* C G Am F C G F C, one per bar, repeated: every bar's chord, with its bass */
        CHECK(chords >= 4 * ((steps + 15) / 16), "%d chord notes over %d bars", chords, (steps + 15) / 16);
        CHECK(fabs(last_end - length) < TIME_TOLERANCE, "the chords last to the end (%.3f s of %.3f)", last_end,
              length);
    } else {
        /* random weights: something in the last bar, nothing after the end */
        CHECK(last_end > length - 16 * STEP_SECONDS, "the last note ends at %.3f s of %.3f", last_end, length);
    }
    if (default_primer && seq.notes.count) {
        /* Magenta's default primers: a middle C, a bass drum, one step at time 0 */
        music_seq_sort(&seq);
        bool found = false;
        for (int i = 0; i < seq.notes.count && seq.notes.items[i].start < 1e-9; i++)
            found |= seq.notes.items[i].pitch == (c->kind == KIND_DRUMS ? 36 : 60) &&
                     fabs(seq.notes.items[i].end - STEP_SECONDS) < TIME_TOLERANCE;
        CHECK(found, "the default primer's note at 0");
    }
    music_seq_free(&seq);
}

/* An independent replay of the generation from Magenta's default primer: the inputs from
 * features_of_record (what training sees) on the classes so far, a fresh runner, a sampler of
 * the same seed; draw, decode, append. The notes it implies must be the file's, one for one. */
static void check_reference(const config *c, const char *model_path, const char *midi, uint64_t seed,
                            float temperature, int steps)
{
    encoding enc;
    char why[NN_MESSAGE_SIZE];
    nn_model *model = NULL;
    nn_rnn *rnn = NULL;
    nn_sampler *sampler = NULL;
    music_seq seq;
    CHECK(encoding_find(c->name, &enc), "encoding_find");
    CHECK(nn_model_load(model_path, &model, why) == NN_OK && nn_rnn_new(model, &rnn, why) == NN_OK, "%s", why);
    CHECK(nn_sampler_new(c->classes, seed, &sampler) == NN_OK, "sampler");
    if (!rnn || !sampler || !read_midi(midi, &seq)) {
        nn_sampler_free(sampler), nn_rnn_free(rnn), nn_model_free(model);
        return;
    }
    int size = features_input_size(&enc), events[1024], labels[1024];
    uint16_t classes[1024];
    uint32_t words[1024];
    music_drum_event drums[1024];
    float *inputs = malloc((size_t)steps * (size_t)size * sizeof *inputs);
    static const char *const progression[] = {"C", "G", "Am", "F", "C", "G", "F", "C"}; /* improv's default */
    for (int i = 0; i < steps; i++) {
        music_chord chord;
        music_chord_parse(progression[(i / 16) % 8], &chord, why);
        words[i] = music_chord_word(&chord);
    }
    /* the default primer as the generators extend it: the note, then (melody) its note-off, then
     * silence up to step 3, one step after the note's end */
    int length = 3;
    if (enc.kind == KIND_DRUMS) {
        for (int i = 0; i < length; i++)
            music_drum_event_clear(&drums[i]);
        music_drum_event_add(&drums[0], 36);
    } else {
        events[0] = 60, events[1] = MUSIC_MELODY_NOTE_OFF, events[2] = MUSIC_MELODY_NO_EVENT;
    }
    nn_sample_params params = {.temperature = temperature};
    music_lookback_config kit = music_lookback_drum_kit();
    const float *logits = NULL;
    int fed = 0, bad = 0;
    while (length < steps && !bad) {
        for (int i = 0; i < length; i++) /* the classes so far, then a placeholder to predict */
            classes[i] = (uint16_t)(enc.kind == KIND_DRUMS ? music_drum_onehot_encode(&enc.drum_map, &drums[i]) : 0);
        for (int i = 0; i < length && enc.kind != KIND_DRUMS; i++) {
            int k = 0;
            bad |= music_melody_onehot_encode(enc.melody.min_note, enc.melody.max_note, events[i], &k) != MUSIC_OK;
            classes[i] = (uint16_t)k;
        }
        classes[length] = 0;
        bad |= features_of_record(&enc, classes, words, length + 1, inputs, labels, why) != NN_OK;
        for (; fed < length && !bad; fed++)
            logits = nn_rnn_step(rnn, inputs + (size_t)fed * (size_t)size);
        int label = nn_sampler_draw(sampler, logits, c->classes, &params);
        if (enc.kind == KIND_DRUMS)
            bad |= music_drum_lookback_decode(&enc.drum_map, &kit, label, drums, length, &drums[length]) != MUSIC_OK;
        else
            bad |= music_melody_encoder_decode(&enc.melody, label, events, length, &events[length]) != MUSIC_OK;
        length++;
    }
    CHECK(!bad, "the replay failed at step %d: %s", length, why);
    /* the notes of the replayed events (Melody.to_sequence / DrumTrack.to_sequence), in the
     * order music_seq_sort puts the file's */
    music_seq expected;
    music_seq_init(&expected);
    for (int i = 0; i < steps && !bad; i++) {
        if (enc.kind == KIND_DRUMS) {
            for (int pitch = 0; pitch < 128; pitch++)
                if (music_drum_event_has(&drums[i], pitch))
                    music_seq_add_note(&expected, &(music_note){.start = i * STEP_SECONDS,
                                                                .end = (i + 1) * STEP_SECONDS,
                                                                .pitch = (uint8_t)pitch, .velocity = 100});
        } else if (events[i] >= 0) {
            int end = i + 1;
            while (end < steps && events[end] == MUSIC_MELODY_NO_EVENT)
                end++;
            music_seq_add_note(&expected, &(music_note){.start = i * STEP_SECONDS, .end = end * STEP_SECONDS,
                                                        .pitch = (uint8_t)events[i], .velocity = 100});
        }
    }
    music_seq_sort(&expected);
    music_seq_sort(&seq);
    int k = 0, differ = 0;
    for (int i = 0; i < seq.notes.count; i++) {
        const music_note *n = &seq.notes.items[i];
        if (n->program == 88)
            continue; /* improv's rendered chords */
        const music_note *e = k < expected.notes.count ? &expected.notes.items[k] : NULL;
        differ += !e || e->pitch != n->pitch || fabs(e->start - n->start) > TIME_TOLERANCE ||
                  fabs(e->end - n->end) > TIME_TOLERANCE;
        k++;
    }
    CHECK(!bad && differ == 0 && k == expected.notes.count,
          "the file's %d notes against the replay's %d: %d differ", k, expected.notes.count, differ);
    music_seq_free(&expected);
    music_seq_free(&seq);
    free(inputs);
    nn_sampler_free(sampler);
    nn_rnn_free(rnn);
    nn_model_free(model);
}

static void test_config(const config *c)
{
    snprintf(context, sizeof context, "%s", c->name);
    char model[160], a[160], b[160], other[160], name[64];
    snprintf(name, sizeof name, "%s.nnm", c->name);
    path_in(model, sizeof model, name);
    write_model(model, NN_KIND_EVENT_RNN, c->name, c->input, c->classes, c->attn);
    snprintf(name, sizeof name, "%s-a.mid", c->name);
    path_in(a, sizeof a, name);
    snprintf(name, sizeof name, "%s-b.mid", c->name);
    path_in(b, sizeof b, name);
    snprintf(name, sizeof name, "%s-c.mid", c->name);
    path_in(other, sizeof other, name);

    int rc = run_generate((const char *[]){"--model", model, "--out", a, "--seed", "7", NULL});
    CHECK(rc == 0, "exit %d", rc);
    CHECK(file_contains(out_path, "128 steps"), "the summary names the length");
    check_output(c, a, 128, true);
    check_reference(c, model, a, 7, 1.0f, 128);
    /* same options: the same bytes; another seed: another piece */
    rc = run_generate((const char *[]){"--model", model, "--out", b, "--seed", "7", NULL});
    CHECK(rc == 0 && same_bytes(a, b), "same seed, same file");
    rc = run_generate((const char *[]){"--model", model, "--out", other, "--seed", "8", NULL});
    CHECK(rc == 0 && !same_bytes(a, other), "another seed, another file");
    /* another length, at temperature 0.5 */
    rc = run_generate(
        (const char *[]){"--model", model, "--out", other, "--steps", "50", "--temperature", "0.5", NULL});
    CHECK(rc == 0, "--steps 50: exit %d", rc);
    check_output(c, other, 50, true);
    check_reference(c, model, other, 1, 0.5f, 50);
}

/* ---- Primers ------------------------------------------------------------------------------------ */

/* A quarter-note melody (120 qpm) and a bar of kick, snare and hi-hats on channel 10 at `qpm`. */
static void write_primer(const char *path, double qpm, bool with_drums)
{
    music_seq seq;
    music_seq_init(&seq);
    music_seq_add_tempo(&seq, 0.0, qpm);
    static const int pitches[] = {62, 64, 65, 67, 69};
    double quarter = 60.0 / qpm, sixteenth = quarter / 4;
    for (int i = 0; i < 5; i++) {
        music_note n = {.start = i * quarter, .end = (i + 1) * quarter, .pitch = (uint8_t)pitches[i], .velocity = 90};
        music_seq_add_note(&seq, &n);
    }
    for (int s = 0; with_drums && s < 16; s += 2) {
        int pitch = s % 8 == 0 ? 36 : s % 8 == 4 ? 38 : 42;
        music_note n = {.start = s * sixteenth, .end = (s + 1) * sixteenth, .pitch = (uint8_t)pitch, .velocity = 100,
                        .is_drum = true, .instrument = 9};
        music_seq_add_note(&seq, &n);
    }
    char why[MUSIC_MESSAGE_SIZE];
    CHECK(music_midi_write_file(&seq, path, why) == MUSIC_OK, "%s", why);
    music_seq_free(&seq);
}

static void test_primers(void)
{
    char primer[160], model[160], out[160], slow[160];
    path_in(primer, sizeof primer, "primer.mid");
    path_in(slow, sizeof slow, "primer-90.mid");
    write_primer(primer, 120.0, true);
    write_primer(slow, 90.0, false);

    /* melody models: the primer's five quarter notes begin the piece as they were */
    for (int k = 0; k < 4; k++) {
        if (configs[k].kind == KIND_DRUMS)
            continue;
        snprintf(context, sizeof context, "%s primed", configs[k].name);
        char name[64];
        snprintf(name, sizeof name, "%s.nnm", configs[k].name);
        path_in(model, sizeof model, name);
        snprintf(name, sizeof name, "%s-primed.mid", configs[k].name);
        path_in(out, sizeof out, name);
        int rc = run_generate((const char *[]){"--model", model, "--out", out, "--primer", primer, NULL});
        CHECK(rc == 0, "exit %d", rc);
        check_output(&configs[k], out, 128, false);
        music_seq seq;
        if (!read_midi(out, &seq))
            continue;
        music_seq_sort(&seq);
        int matched = 0, at = 0;
        for (int i = 0; i < seq.notes.count && at < 5; i++) {
            const music_note *n = &seq.notes.items[i];
            if (n->program != 0)
                continue; /* chords */
            matched += n->pitch == 62 + (at == 0 ? 0 : at == 1 ? 2 : at == 2 ? 3 : at == 3 ? 5 : 7) &&
                       fabs(n->start - at * 0.5) < TIME_TOLERANCE && fabs(n->end - (at + 1) * 0.5) < TIME_TOLERANCE;
            at++;
        }
        CHECK(matched == 5, "%d of the primer's 5 notes begin the piece", matched);
        /* generation starts one step after the primer's last note end (2.5 s): nothing earlier */
        for (int i = 0; i < seq.notes.count; i++)
            if (seq.notes.items[i].program == 0 && seq.notes.items[i].start > 2.0 + 1e-9)
                CHECK(seq.notes.items[i].start >= 2.75 - TIME_TOLERANCE, "a generated note at %.3f s, before 2.75",
                      seq.notes.items[i].start);
        music_seq_free(&seq);
    }

    /* drums: the primer's bar of drums comes back first, without its melody (a primer with notes
     * on channel 10 primes with those only) */
    snprintf(context, sizeof context, "drum_kit primed");
    path_in(model, sizeof model, "drum_kit.nnm");
    path_in(out, sizeof out, "drum_kit-primed.mid");
    int rc = run_generate((const char *[]){"--model", model, "--out", out, "--primer", primer, NULL});
    CHECK(rc == 0, "exit %d", rc);
    music_seq seq;
    if (read_midi(out, &seq)) {
        int kicks = 0, snares = 0, hats = 0;
        for (int i = 0; i < seq.notes.count; i++) {
            const music_note *n = &seq.notes.items[i];
            CHECK(n->is_drum && gm_drum_pitch(n->pitch), "every note a drum of the kit on channel 10 (%d)", n->pitch);
            if (n->start > 2.0 - 1e-9)
                continue;
            int s = (int)lround(n->start / STEP_SECONDS);
            kicks += n->pitch == 36 && (s == 0 || s == 8);
            snares += n->pitch == 38 && (s == 4 || s == 12);
            hats += n->pitch == 42 && s % 4 == 2;
        }
        CHECK(kicks == 2 && snares == 2 && hats == 4, "the primer's bar: %d kicks, %d snares, %d hats", kicks, snares,
              hats);
        music_seq_free(&seq);
    }

    /* a primer's tempo wins over --qpm, as in Magenta */
    snprintf(context, sizeof context, "primer at 90 qpm");
    path_in(model, sizeof model, "basic_rnn.nnm");
    path_in(out, sizeof out, "basic_rnn-90.mid");
    rc = run_generate((const char *[]){"--model", model, "--out", out, "--primer", slow, "--qpm", "150", NULL});
    CHECK(rc == 0, "exit %d", rc);
    if (read_midi(out, &seq)) {
        CHECK(seq.tempos.count >= 1 && fabs(seq.tempos.items[0].qpm - 90.0) < 1e-3, "tempo %g",
              seq.tempos.count ? seq.tempos.items[0].qpm : 0.0);
        double end = 0.0;
        for (int i = 0; i < seq.notes.count; i++)
            end = fmax(end, seq.notes.items[i].end);
        CHECK(end <= 128 * 60.0 / 90.0 / 4 + TIME_TOLERANCE, "128 steps at 90 qpm: the last end %.3f s", end);
        music_seq_free(&seq);
    }
}

/* ---- Refusals -------------------------------------------------------------------------------------- */

/* The run fails with `status` and its message holds `text` (and, when not NULL, `also`). */
static void refused(const char *what, const char *const *args, int status, const char *text, const char *also)
{
    snprintf(context, sizeof context, "refused: %s", what);
    int rc = run_generate(args);
    CHECK(rc == status, "exit %d, expected %d", rc, status);
    char *message = read_text(err_path);
    CHECK(message && strstr(message, text), "the message names '%s': %s", text, message ? message : "(none)");
    if (also)
        CHECK(message && strstr(message, also), "the message names '%s': %s", also, message ? message : "(none)");
    free(message);
}

static void test_refusals(void)
{
    char basic[160], improv[160], drums[160], checkpoint[160], nameless[160], perf[160], wrong[160], text[160],
        out[160], missing[160], primer[160], nowhere[160];
    path_in(basic, sizeof basic, "basic_rnn.nnm");
    path_in(improv, sizeof improv, "chord_pitches_improv.nnm");
    path_in(drums, sizeof drums, "drum_kit.nnm");
    path_in(checkpoint, sizeof checkpoint, "checkpoint.nnm");
    path_in(nameless, sizeof nameless, "nameless.nnm");
    path_in(perf, sizeof perf, "performance.nnm");
    path_in(wrong, sizeof wrong, "wrong-size.nnm");
    path_in(text, sizeof text, "text.nnm");
    path_in(out, sizeof out, "refused.mid");
    path_in(missing, sizeof missing, "no-such-model.nnm");
    path_in(primer, sizeof primer, "primer.mid");
    snprintf(nowhere, sizeof nowhere, "%s/no-such-folder/out.mid", scratch);
    write_model(checkpoint, NN_KIND_TRAIN_CHECKPOINT, "basic_rnn", 38, 38, 0);
    write_model(nameless, NN_KIND_EVENT_RNN, NULL, 38, 38, 0);
    write_model(perf, NN_KIND_EVENT_RNN, "performance", 356, 356, 0);
    write_model(wrong, NN_KIND_EVENT_RNN, "basic_rnn", 40, 38, 0);
    FILE *f = fopen(text, "w");
    if (f) {
        fputs("not a model\n", f);
        fclose(f);
    }

    refused("missing model", (const char *[]){"--model", missing, "--out", out, NULL}, 1, missing, NULL);
    refused("not a model", (const char *[]){"--model", text, "--out", out, NULL}, 1, text, NULL);
    refused("checkpoint", (const char *[]){"--model", checkpoint, "--out", out, NULL}, 1, checkpoint,
            "not an event_rnn");
    refused("no encoding", (const char *[]){"--model", nameless, "--out", out, NULL}, 1, nameless, "encoding");
    refused("performance", (const char *[]){"--model", perf, "--out", out, NULL}, 1, perf, "performance");
    refused("sizes", (const char *[]){"--model", wrong, "--out", out, NULL}, 1, wrong, "basic_rnn");
    refused("no --out", (const char *[]){"--model", basic, NULL}, 2, "--out", NULL);
    refused("unknown option", (const char *[]){"--model", basic, "--out", out, "--beam", "2", NULL}, 2, "--beam", NULL);
    refused("steps 0", (const char *[]){"--model", basic, "--out", out, "--steps", "0", NULL}, 2, "--steps", NULL);
    refused("steps text", (const char *[]){"--model", basic, "--out", out, "--steps", "12x", NULL}, 2, "12x", NULL);
    refused("steps huge", (const char *[]){"--model", basic, "--out", out, "--steps", "99999999", NULL}, 2, "--steps",
            NULL);
    refused("temperature", (const char *[]){"--model", basic, "--out", out, "--temperature", "-1", NULL}, 2,
            "--temperature", NULL);
    refused("temperature nan", (const char *[]){"--model", basic, "--out", out, "--temperature", "nan", NULL}, 2,
            "--temperature", NULL);
    refused("qpm", (const char *[]){"--model", basic, "--out", out, "--qpm", "0", NULL}, 2, "--qpm", NULL);
    refused("seed", (const char *[]){"--model", basic, "--out", out, "--seed", "-3", NULL}, 2, "--seed", NULL);
    refused("chords for a melody model", (const char *[]){"--model", basic, "--out", out, "--chords", "C G", NULL}, 1,
            "--chords", basic);
    refused("bad chord", (const char *[]){"--model", improv, "--out", out, "--chords", "C Xq7 G", NULL}, 1, "Xq7",
            NULL);
    refused("empty chords", (const char *[]){"--model", improv, "--out", out, "--chords", "  ", NULL}, 1, "--chords",
            NULL);
    refused("missing primer", (const char *[]){"--model", basic, "--out", out, "--primer", missing, NULL}, 1, missing,
            NULL);
    refused("primer as long as the piece", (const char *[]){"--model", drums, "--out", out, "--primer", primer,
                                                            "--steps", "16", NULL},
            1, primer, "--steps 16");
    refused("default primer, one step", (const char *[]){"--model", basic, "--out", out, "--steps", "1", NULL}, 1,
            "default primer", NULL);
    refused("no such folder", (const char *[]){"--model", basic, "--out", nowhere, NULL}, 1, nowhere, NULL);
    struct stat sb;
    CHECK(stat(out, &sb) != 0, "no output after a refusal");
}

/* ---- The inputs: generate_input against features_of_record ------------------------------------------- */

static void test_inputs(void)
{
    static const char *const names[] = {"basic_rnn", "mono_rnn", "lookback_rnn", "attention_rnn", "drum_kit",
                                        "basic_improv", "attention_improv", "chord_pitches_improv"};
    static const char *const triads[] = {"C", "Am", "G", "Bdim", "Ebaug", "F#m", "N.C."};
    static const char *const others[] = {"C7", "Gsus4", "Am7b5", "D/F#", "Bb(add9)", "N.C.", "E5"};
    enum { LENGTH = 90 };
    for (int e = 0; e < (int)(sizeof names / sizeof *names); e++) {
        snprintf(context, sizeof context, "inputs %s", names[e]);
        encoding enc;
        CHECK(encoding_find(names[e], &enc), "encoding_find");
        int size = features_input_size(&enc);
        uint16_t classes[LENGTH];
        uint32_t words[LENGTH];
        int events[LENGTH], labels[LENGTH];
        music_drum_event drums[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            /* repeats now and then, so lookback inputs and repeat flags see some */
            bool repeat = i >= 16 && rng_next() % 3 == 0;
            classes[i] = repeat ? classes[i - 16] : (uint16_t)(rng_next() % (uint64_t)enc.num_classes);
            const char *name = enc.chords == MUSIC_CHORD_ENCODING_TRIAD ? triads[rng_next() % 7] : others[rng_next() % 7];
            music_chord chord;
            char why[MUSIC_MESSAGE_SIZE];
            CHECK(music_chord_parse(name, &chord, why) == MUSIC_OK, "%s", why);
            words[i] = music_chord_word(&chord);
            if (enc.kind == KIND_DRUMS)
                CHECK(music_drum_onehot_decode(&enc.drum_map, classes[i], &drums[i]) == MUSIC_OK, "drum class");
            else
                CHECK(music_melody_onehot_decode(enc.melody.min_note, enc.melody.max_note, classes[i], &events[i]) ==
                          MUSIC_OK,
                      "melody class");
        }
        float *expected = malloc((size_t)LENGTH * (size_t)size * sizeof *expected);
        float *row = malloc((size_t)size * sizeof *row);
        char why[NN_MESSAGE_SIZE];
        CHECK(features_of_record(&enc, classes, words, LENGTH, expected, labels, why) == NN_OK, "%s", why);
        int differ = 0;
        for (int i = 0; i + 1 < LENGTH; i++) {
            /* generation sees only the events so far: length i + 1 */
            nn_status st = generate_input(&enc, events, drums, words, i + 1, i, row, why);
            CHECK(st == NN_OK, "step %d: %s", i, why);
            differ += st != NN_OK || memcmp(row, expected + (size_t)i * (size_t)size, (size_t)size * sizeof *row) != 0;
        }
        CHECK(differ == 0, "%d of %d input rows differ from features_of_record's", differ, LENGTH - 1);
        free(expected);
        free(row);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_generate PATH/TO/nn-train\n");
        return 2;
    }
    tool = argv[1];
    make_scratch("test-generate");
    path_in(out_path, sizeof out_path, "stdout.txt");
    path_in(err_path, sizeof err_path, "stderr.txt");
    test_inputs();
    for (int k = 0; k < (int)(sizeof configs / sizeof *configs); k++)
        test_config(&configs[k]);
    test_primers();
    test_refusals();
    if (failures)
        printf("test_generate: kept %s for inspection\n", scratch);
    else
        remove_tree(scratch);
    return check_summary("test_generate");
}
