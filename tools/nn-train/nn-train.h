/* nn-train.h — what nn-train's commands share: the encodings and Magenta's per-encoding pipelines.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#ifndef NN_TRAIN_H
#define NN_TRAIN_H

#include "music.h"

#include <stdbool.h>
#include <stdio.h>

void nn_train_usage(FILE *to);

typedef enum encoding_kind { KIND_MELODY, KIND_DRUMS, KIND_PERFORMANCE, KIND_GENIE } encoding_kind;

/* One encoding: which pipeline, and the base one-hot whose classes `data` stores. */
typedef struct encoding {
    char name[32];
    encoding_kind kind;
    music_melody_encoder melody; /* KIND_MELODY */
    music_drum_map drum_map;     /* KIND_DRUMS */
    int velocity_bins;           /* KIND_PERFORMANCE */
    int input_size, num_classes; /* the model's input size; the base one-hot's classes */
} encoding;

/* melody_rnn_pipeline: MelodyExtractor(min_bars 7, max_steps 512, min_unique_pitches 5,
 * gap_bars 1, polyphony dropped), then EncoderPipeline's squash into the config's range/key. */
enum { MAX_MELODIES = 256 };
typedef struct melody_batch {
    int *events;
    music_melody melodies[MAX_MELODIES];
    int shifts[MAX_MELODIES];
    int count; /* melodies written (at most MAX_MELODIES) */
    music_melody_stats stats;
} melody_batch;

/* The encoding named `name` (a Magenta configuration); false if there is none. */
bool encoding_find(const char *name, encoding *enc);
/* Split a whole sequence as the encoding's pipeline does before quantizing: on tempo and
 * time-signature changes (TimeChangeSplitter), or for Performance RNN after the sustain pedal
 * every 30 s (Splitter). Free the pieces with music_seq_pieces_free. */
music_status pipeline_split(const encoding *enc, music_seq *seq, music_seq **pieces, int *count, char *why);
music_status pipeline_quantize(const encoding *enc, music_seq *seq, char *why);
music_status pipeline_melodies(const encoding *enc, const music_seq *seq, melody_batch *batch, char *why);
music_status pipeline_drums(const music_seq *seq, music_drum_tracks *tracks, music_drums_stats *stats, char *why);
music_status pipeline_performances(const encoding *enc, const music_seq *seq, music_performance **perfs, int *count,
                                   music_performance_stats *stats, char *why);
void performances_free(music_performance *perfs, int count);

int command_encode(int argc, char **argv);
int command_data(int argc, char **argv);

#endif /* NN_TRAIN_H */
