/* pipeline.c — Magenta's data pipeline per encoding: split, quantize, extract.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn-train.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
        enc->kind = KIND_GENIE;
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
    return music_seq_quantize_relative(seq, 4, why);
}

music_status pipeline_melodies(const encoding *enc, const music_seq *seq, melody_batch *batch, char *why)
{
    music_melody_options options;
    music_melody_options_melody_rnn(&options);
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
        st = music_melody_extract(seq, &options, batch->events, (int)capacity, batch->melodies, MAX_MELODIES, &count,
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
