/* pipeline.c — Magenta's data pipeline per encoding: split, quantize, extract.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn-train.h"
#include <errno.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool encoding_find(const char *name, encoding *enc)
{
    memset(enc, 0, sizeof *enc);
    snprintf(enc->name, sizeof enc->name, "%s", name);
    if (!strcmp(name, "drum_kit")) {
        enc->kind = KIND_DRUMS;
        music_drum_map_default(&enc->drum_map);
        music_lookback_config config = music_lookback_drum_kit();
        enc->input_size = music_drum_lookback_input_size(&enc->drum_map, &config);
        enc->num_classes = MUSIC_DRUM_ONEHOT_SIZE;
    } else if (!strcmp(name, "performance") || !strcmp(name, "performance_with_dynamics")) {
        enc->kind = KIND_PERFORMANCE;
        enc->velocity_bins = name[11] ? MUSIC_PERF_VELOCITY_BINS : 0;
        enc->num_classes = music_perf_num_classes(enc->velocity_bins, MUSIC_PERF_MAX_SHIFT_STEPS);
        enc->input_size = enc->num_classes;
    } else if (!strcmp(name, "piano_genie")) {
        /* A dataset stores one class per note: key * 33 + delta-time bin (genie.c). */
        enc->kind = KIND_GENIE;
        enc->input_size = MUSIC_GENIE_DECODER_INPUT_SIZE;
        enc->num_classes = MUSIC_GENIE_NUM_KEYS * (MUSIC_GENIE_MAX_DELTA_BIN + 1);
    } else if (music_improv_encoder_for_config(name, &enc->melody, &enc->chords) == MUSIC_OK) {
        enc->kind = KIND_IMPROV;
        enc->input_size = music_chord_encoding_size(enc->chords) + music_melody_encoder_input_size(&enc->melody);
        enc->num_classes = 2 + enc->melody.max_note - enc->melody.min_note;
    } else if (strcmp(name, "music_vae") && music_melody_encoder_for_config(&enc->melody, name) == MUSIC_OK) {
        enc->kind = KIND_MELODY;
        enc->input_size = music_melody_encoder_input_size(&enc->melody);
        enc->num_classes = 2 + enc->melody.max_note - enc->melody.min_note; /* MelodyOneHotEncoding */
    } else {
        return false;
    }
    return true;
}

#define PERF_SPLIT_SECONDS 30.0 /* performance_pipeline's Splitter(hop_size_seconds=30) */

music_status pipeline_split(const encoding *enc, music_seq *seq, music_seq **pieces, int *count, char *why)
{
    if (enc->kind == KIND_GENIE) /* Piano Genie's loader reads each whole performance, in seconds */
        return music_seq_split_every(seq, 1e12, false, pieces, count, why);
    if (enc->kind == KIND_PERFORMANCE) {
        music_seq_apply_sustain(seq);
        return music_seq_split_every(seq, PERF_SPLIT_SECONDS, false, pieces, count, why);
    }
    return music_seq_split_on_time_changes(seq, false, pieces, count, why);
}

/* Quantize as the encoding's pipeline does: 4 steps per quarter for melodies and drums
 * (Quantizer(steps_per_quarter=4)); for Performance RNN the sustain pedal is applied earlier,
 * on the whole sequence (SustainPipeline), then 100 steps per second. */
music_status pipeline_quantize(const encoding *enc, music_seq *seq, char *why)
{
    if (enc->kind == KIND_PERFORMANCE)
        return music_seq_quantize_absolute(seq, MUSIC_PERF_STEPS_PER_SECOND, why);
    if (enc->kind == KIND_GENIE) /* works on seconds: nothing to quantize */
        return MUSIC_OK;
    return music_seq_quantize_relative(seq, 4, why);
}

/* Every melody `options` extracts, into a batch (its events buffer allocated here). */
static music_status extract_melodies(const music_seq *seq, const music_melody_options *options, melody_batch *batch,
                                     char *why)
{
    /* Room for every instrument's melodies (each as long as the sequence, plus building room);
     * grown when the extractor still reports it full. */
    int instruments = 1;
    for (int i = 0; i < seq->notes.count; i++)
        if (seq->notes.items[i].instrument >= instruments)
            instruments = seq->notes.items[i].instrument + 1;
    size_t capacity = ((size_t)seq->total_steps + 2) * (size_t)(instruments < 64 ? instruments : 64) + 1024;
    int count = 0;
    music_status st = MUSIC_ERR_FULL;
    memset(batch, 0, sizeof *batch);
    for (int attempt = 0; attempt < 4 && st == MUSIC_ERR_FULL; attempt++, capacity *= 2) {
        free(batch->events);
        batch->events = capacity < INT32_MAX ? calloc(capacity, sizeof *batch->events) : NULL;
        if (!batch->events)
            return MUSIC_ERR_MEMORY;
        memset(batch->melodies, 0, sizeof batch->melodies);
        memset(&batch->stats, 0, sizeof batch->stats);
        st = music_melody_extract(seq, options, batch->events, (int)capacity, batch->melodies, MAX_MELODIES, &count,
                                  &batch->stats, why);
        if (st == MUSIC_ERR_FULL && count > MAX_MELODIES)
            break; /* more melodies than the batch holds: keep the first MAX_MELODIES */
    }
    if (st != MUSIC_OK && st != MUSIC_ERR_FULL) {
        free(batch->events);
        batch->events = NULL;
        return st;
    }
    /* melodies that did not fit were not written (no events) */
    batch->count = count < MAX_MELODIES ? count : MAX_MELODIES;
    while (batch->count > 0 && !batch->melodies[batch->count - 1].events)
        batch->count--;
    return MUSIC_OK;
}

music_status pipeline_melodies(const encoding *enc, const music_seq *seq, melody_batch *batch, char *why)
{
    music_melody_options options;
    music_melody_options_melody_rnn(&options);
    music_status st = extract_melodies(seq, &options, batch, why);
    if (st != MUSIC_OK)
        return st;
    for (int m = 0; m < batch->count; m++)
        batch->shifts[m] = music_melody_squash(&batch->melodies[m], enc->melody.min_note, enc->melody.max_note,
                                               enc->melody.transpose_to_key);
    return MUSIC_OK;
}

/* drums_rnn_pipeline: DrumsExtractor(min_bars 7, max_steps 512, gap_bars 1). */
music_status pipeline_drums(const music_seq *seq, music_drum_tracks *tracks, music_drums_stats *stats, char *why)
{
    music_drums_options options = music_drums_options_default();
    options.max_steps_truncate = 512;
    memset(tracks, 0, sizeof *tracks);
    return music_drums_extract(seq, &options, tracks, stats, why);
}

/* performance_pipeline: PerformanceExtractor(min_events 32, max_events 512). */
music_status pipeline_performances(const encoding *enc, const music_seq *seq, music_performance **perfs,
                                          int *count, music_performance_stats *stats, char *why)
{
    music_performance_options options = {.min_events_discard = 32, .max_events_truncate = 512,
                                         .num_velocity_bins = enc->velocity_bins};
    memset(stats, 0, sizeof *stats);
    return music_performance_extract(seq, &options, perfs, count, stats, why);
}

void performances_free(music_performance *perfs, int count)
{
    for (int p = 0; p < count; p++)
        music_performance_free(&perfs[p]);
    free(perfs);
}

/* ---- Improv RNN ------------------------------------------------------------------------------ */

music_status pipeline_lead_sheets(const encoding *enc, const music_seq *seq, lead_sheet_batch *batch, char *why)
{
    (void)enc;
    music_melody_options options;
    music_melody_options_melody_rnn(&options);
    options.min_unique_pitches = 3; /* LeadSheetExtractor's; the rest as MelodyExtractor's */
    memset(batch, 0, sizeof *batch);
    music_status st = extract_melodies(seq, &options, &batch->melodies, why);
    if (st != MUSIC_OK)
        return st;
    size_t total = 0;
    for (int m = 0; m < batch->melodies.count; m++) {
        batch->offset[m] = (int)total;
        total += (size_t)batch->melodies.melodies[m].length;
    }
    batch->names = calloc(total + 1, sizeof *batch->names);
    batch->words = calloc(total + 1, sizeof *batch->words);
    if (!batch->names || !batch->words)
        return MUSIC_ERR_MEMORY;
    for (int m = 0; m < batch->melodies.count; m++) {
        const music_melody *mel = &batch->melodies.melodies[m];
        const char **names = batch->names + batch->offset[m];
        uint32_t *words = batch->words + batch->offset[m];
        if (mel->length < 1 || mel->end_step - mel->start_step != mel->length)
            continue; /* LeadSheet's MelodyChordsMismatchError; extraction never makes these */
        char chord_why[MUSIC_MESSAGE_SIZE];
        st = music_chords_extract(seq, mel->start_step, mel->end_step, names, chord_why);
        if (st == MUSIC_ERR_MALFORMED) { /* extract_chords_for_melodies: no progression */
            batch->stats.coincident_chords++;
            continue;
        }
        if (st != MUSIC_OK) {
            snprintf(why, MUSIC_MESSAGE_SIZE, "%s", chord_why);
            return st;
        }
        bool any_chord = false, parsed = true;
        for (int i = 0; i < mel->length && parsed; i++) {
            music_chord chord;
            parsed = music_chord_parse(names[i], &chord, chord_why) == MUSIC_OK;
            words[i] = music_chord_word(&chord);
            any_chord |= !chord.no_chord;
        }
        if (!parsed)
            batch->stats.bad_chord_symbols++;
        else if (!any_chord)
            batch->stats.only_no_chord++;
        else
            batch->usable[m] = true;
    }
    return MUSIC_OK;
}

void lead_sheets_free(lead_sheet_batch *batch)
{
    free(batch->melodies.events);
    free(batch->names);
    free(batch->words);
    batch->melodies.events = NULL;
    batch->names = NULL;
    batch->words = NULL;
}

void lead_sheet_transposed(const encoding *enc, const lead_sheet_batch *batch, int m, int amount, int *events,
                           uint32_t *words)
{
    const music_melody *mel = &batch->melodies.melodies[m];
    music_melody moved = *mel;
    moved.events = events;
    moved.capacity = mel->length;
    memcpy(events, mel->events, (size_t)mel->length * sizeof *events);
    music_melody_transpose(&moved, amount, 0, 128);
    music_melody_squash(&moved, enc->melody.min_note, enc->melody.max_note, -1);
    if (words)
        for (int i = 0; i < mel->length; i++)
            words[i] = music_chord_word_transpose(batch->words[batch->offset[m] + i], amount);
}

music_status pipeline_infer_chords(music_seq *seq, char *why)
{
    music_chord_inference_params params;
    music_chord_inference_defaults(&params);
    return music_chords_infer(seq, &params, why);
}

/* Seconds at a position in quarter notes, through the tempo map (120 qpm before the first). */
static double quarters_to_seconds(const music_seq *seq, double quarters)
{
    double time = 0.0, at = 0.0, qpm = 120.0;
    for (int i = 0; i < seq->tempos.count; i++) {
        const music_tempo *tempo = &seq->tempos.items[i];
        if (tempo->time < time)
            continue;
        double reached = at + (tempo->time - time) * qpm / 60.0;
        if (reached > quarters)
            break;
        time = tempo->time;
        at = reached;
        qpm = tempo->qpm;
    }
    return time + (quarters - at) * 60.0 / qpm;
}

music_status pipeline_chord_file(const char *midi_path, music_seq *seq, int *added, char *why)
{
    *added = 0;
    size_t n = strlen(midi_path);
    const char *dot = strrchr(midi_path, '.'), *slash = strrchr(midi_path, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - midi_path) : n;
    char *path = malloc(stem + 8);
    if (!path)
        return MUSIC_ERR_MEMORY;
    memcpy(path, midi_path, stem);
    memcpy(path + stem, ".chords", 8);
    FILE *f = fopen(path, "r");
    if (!f) {
        free(path);
        return MUSIC_OK;
    }
    /* One time signature for the whole file: bars have one length. */
    int numerator = 4, denominator = 4;
    for (int i = 0; i < seq->time_signatures.count; i++) {
        const music_time_signature *ts = &seq->time_signatures.items[i];
        if (i == 0) {
            numerator = ts->numerator;
            denominator = ts->denominator;
        } else if (ts->numerator != numerator || ts->denominator != denominator) {
            snprintf(why, MUSIC_MESSAGE_SIZE, "%s: the MIDI file changes time signature; bars are ambiguous", path);
            fclose(f);
            free(path);
            return MUSIC_ERR_UNSUPPORTED;
        }
    }
    double quarters_per_bar = numerator * 4.0 / denominator;
    char line[256];
    music_status st = MUSIC_OK;
    for (int number = 1; st == MUSIC_OK && fgets(line, sizeof line, f); number++) {
        char *end = line + strcspn(line, "\r\n");
        *end = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *tab = strchr(line, '\t'), *rest = NULL;
        long bar = tab ? strtol(line, &rest, 10) : 0;
        const char *name = tab ? tab + 1 : "";
        if (!tab || rest != tab || bar < 1 || bar > 1000000 || !*name || strlen(name) > MUSIC_CHORD_NAME_MAX) {
            snprintf(why, MUSIC_MESSAGE_SIZE, "%s:%d: expected \"bar<TAB>chord\" (bars from 1)", path, number);
            st = MUSIC_ERR_MALFORMED;
        } else if ((st = music_seq_add_chord(seq, quarters_to_seconds(seq, (double)(bar - 1) * quarters_per_bar), name)) ==
                   MUSIC_OK) {
            (*added)++;
        }
    }
    fclose(f);
    free(path);
    /* the chords by time, stably (the notes keep the reader's order) */
    for (int i = 1; i < seq->chords.count; i++)
        for (int j = i; j > 0 && seq->chords.items[j - 1].time > seq->chords.items[j].time; j--) {
            music_chord_symbol t = seq->chords.items[j];
            seq->chords.items[j] = seq->chords.items[j - 1];
            seq->chords.items[j - 1] = t;
        }
    return st;
}

nn_status why_fail(char *why, nn_status status, const char *format, ...)
{
    if (why) {
        va_list args;
        va_start(args, format);
        vsnprintf(why, NN_MESSAGE_SIZE, format, args);
        va_end(args);
    }
    return status;
}

double clock_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool option_int(const char *text, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool option_double(const char *text, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}
