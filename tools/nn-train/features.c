/* features.c — what a model trains on: a dataset record's classes (and chords) turned into
 * inputs and labels exactly as Magenta's encoder_decoder.encode does.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn-train.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- Chord words --------------------------------------------------------------------------- */

enum { WORD_ROOT = 12, WORD_BASS = 16, WORD_QUALITY = 20 };

uint32_t chord_word(const music_chord *chord)
{
    if (chord->no_chord)
        return CHORD_WORD_NO_CHORD;
    return (uint32_t)(chord->pitch_mask & 0xfff) | (uint32_t)(chord->root & 15) << WORD_ROOT |
           (uint32_t)(chord->bass & 15) << WORD_BASS | (uint32_t)(chord->quality & 7) << WORD_QUALITY;
}

bool chord_word_valid(uint32_t word)
{
    if (word & CHORD_WORD_NO_CHORD)
        return word == CHORD_WORD_NO_CHORD;
    return (word >> 24) == 0 && (word >> WORD_ROOT & 15) < 12 && (word >> WORD_BASS & 15) < 12 &&
           (word >> WORD_QUALITY & 7) <= MUSIC_CHORD_OTHER;
}

uint32_t chord_word_transpose(uint32_t word, int amount)
{
    if (word & CHORD_WORD_NO_CHORD)
        return word;
    int k = ((amount % 12) + 12) % 12;
    uint32_t mask = word & 0xfff;
    mask = ((mask << k) | (mask >> (12 - k))) & 0xfff;
    uint32_t root = ((word >> WORD_ROOT & 15) + (uint32_t)k) % 12, bass = ((word >> WORD_BASS & 15) + (uint32_t)k) % 12;
    return (word & ~0xfffffu) | mask | root << WORD_ROOT | bass << WORD_BASS;
}

int chord_encoding_size(chord_encoding kind)
{
    return kind == CHORDS_TRIAD ? MUSIC_CHORD_TRIAD_CLASSES : kind == CHORDS_PITCHES ? MUSIC_CHORD_PITCH_INPUT_SIZE : 0;
}

nn_status chord_word_encode(chord_encoding kind, uint32_t word, float *input, char *why)
{
    int size = chord_encoding_size(kind);
    if (!size || !chord_word_valid(word))
        return why_fail(why, NN_ERR_ARGUMENT, "chord word %08x: not a valid chord for encoding %d", word, (int)kind);
    memset(input, 0, (size_t)size * sizeof *input);
    bool none = word & CHORD_WORD_NO_CHORD;
    int root = word >> WORD_ROOT & 15, bass = word >> WORD_BASS & 15, quality = word >> WORD_QUALITY & 7;
    if (kind == CHORDS_TRIAD) {
        /* TriadChordOneHotEncoding: 0 N.C., then 12 roots each of major, minor, aug, dim */
        if (none) {
            input[0] = 1.0f;
        } else if (quality >= MUSIC_CHORD_OTHER) {
            return why_fail(why, NN_ERR_MALFORMED, "chord with root %d is not a standard triad (ChordEncodingError)", root);
        } else {
            input[1 + 12 * quality + root] = 1.0f;
        }
        return NN_OK;
    }
    /* PitchChordsEncoderDecoder: [0] N.C., [1 + root], [13 + each pitch class], [25 + bass] */
    if (none) {
        input[0] = 1.0f;
        return NN_OK;
    }
    input[1 + root] = 1.0f;
    for (int p = 0; p < 12; p++)
        if (word >> p & 1)
            input[13 + p] = 1.0f;
    input[25 + bass] = 1.0f;
    return NN_OK;
}

/* ---- Features of a record ------------------------------------------------------------------ */

int features_input_size(const encoding *enc)
{
    return enc->kind == KIND_GENIE ? 0 : enc->input_size;
}

int features_num_classes(const encoding *enc)
{
    switch (enc->kind) {
    case KIND_MELODY:
    case KIND_IMPROV:
        return music_melody_encoder_num_classes(&enc->melody);
    case KIND_DRUMS: {
        music_lookback_config config = music_lookback_drum_kit();
        return music_drum_lookback_num_classes(&enc->drum_map, &config);
    }
    case KIND_PERFORMANCE:
        return enc->num_classes;
    case KIND_GENIE:
        break;
    }
    return 0;
}

bool features_input_is_onehot(const encoding *enc)
{
    return enc->kind == KIND_PERFORMANCE ||
           (enc->kind == KIND_MELODY && enc->melody.encoding == MUSIC_MELODY_ENCODING_ONEHOT);
}

static nn_status melody_features(const encoding *enc, const uint16_t *classes, const uint32_t *chords, int length,
                                 float *inputs, int *labels, char *why)
{
    int *events = malloc((size_t)length * sizeof *events);
    if (!events)
        return why_fail(why, NN_ERR_MEMORY, "features: out of memory");
    nn_status status = NN_OK;
    for (int i = 0; i < length && status == NN_OK; i++)
        if (music_melody_onehot_decode(enc->melody.min_note, enc->melody.max_note, classes[i], &events[i]) != MUSIC_OK)
            status = why_fail(why, NN_ERR_MALFORMED, "features: class %d at step %d is outside the melody one-hot", classes[i], i);
    int control = enc->kind == KIND_IMPROV ? chord_encoding_size(enc->chords) : 0, size = enc->input_size;
    for (int i = 0; i + 1 < length && status == NN_OK; i++) {
        if (inputs) {
            float *row = inputs + (size_t)i * (size_t)size;
            /* ConditionalEventSequenceEncoderDecoder: the chord of the step to predict, then the
             * melody's input at this step */
            if (control)
                status = chord_word_encode(enc->chords, chords[i + 1], row, why);
            if (status == NN_OK && music_melody_encoder_input(&enc->melody, events, length, i, row + control) != MUSIC_OK)
                status = why_fail(why, NN_ERR_MALFORMED, "features: no melody input at step %d", i);
        }
        if (status == NN_OK && music_melody_encoder_label(&enc->melody, events, length, i + 1, &labels[i]) != MUSIC_OK)
            status = why_fail(why, NN_ERR_MALFORMED, "features: no melody label at step %d", i + 1);
    }
    free(events);
    return status;
}

static nn_status drum_features(const encoding *enc, const uint16_t *classes, int length, float *inputs, int *labels,
                               char *why)
{
    music_drum_event *events = malloc((size_t)length * sizeof *events);
    if (!events)
        return why_fail(why, NN_ERR_MEMORY, "features: out of memory");
    /* a class decodes to one pitch per drum class: equal classes are equal pitch sets, which
     * is all the lookback comparisons ask (drum_kit has no lookbacks anyway) */
    music_lookback_config config = music_lookback_drum_kit();
    nn_status status = NN_OK;
    for (int i = 0; i < length && status == NN_OK; i++)
        if (music_drum_onehot_decode(&enc->drum_map, classes[i], &events[i]) != MUSIC_OK)
            status = why_fail(why, NN_ERR_MALFORMED, "features: drum class %d at step %d out of range", classes[i], i);
    for (int i = 0; i + 1 < length && status == NN_OK; i++) {
        if (inputs && music_drum_lookback_input(&enc->drum_map, &config, events, length, i,
                                                inputs + (size_t)i * (size_t)enc->input_size, enc->input_size) != MUSIC_OK)
            status = why_fail(why, NN_ERR_MALFORMED, "features: no drum input at step %d", i);
        labels[i] = music_drum_lookback_label(&enc->drum_map, &config, events, length, i + 1);
        if (labels[i] < 0)
            status = why_fail(why, NN_ERR_MALFORMED, "features: no drum label at step %d", i + 1);
    }
    free(events);
    return status;
}

nn_status features_of_record(const encoding *enc, const uint16_t *classes, const uint32_t *chords, int length,
                             float *inputs, int *labels, char *why)
{
    if (!enc || !classes || !labels || length < 1 || enc->kind == KIND_GENIE || enc->num_classes <= 0)
        return why_fail(why, NN_ERR_ARGUMENT, "features: bad arguments (length %d)", length);
    if (enc->kind == KIND_IMPROV && !chords)
        return why_fail(why, NN_ERR_ARGUMENT, "features: %s needs the record's chords", enc->name);
    for (int i = 0; i < length; i++)
        if (classes[i] >= enc->num_classes)
            return why_fail(why, NN_ERR_MALFORMED, "features: class %d at step %d, %s has %d", classes[i], i, enc->name,
                        enc->num_classes);
    switch (enc->kind) {
    case KIND_MELODY:
    case KIND_IMPROV:
        return melody_features(enc, classes, chords, length, inputs, labels, why);
    case KIND_DRUMS:
        return drum_features(enc, classes, length, inputs, labels, why);
    case KIND_PERFORMANCE:
        /* OneHotEventSequenceEncoderDecoder(PerformanceOneHotEncoding) */
        for (int i = 0; i + 1 < length; i++) {
            if (inputs) {
                float *row = inputs + (size_t)i * (size_t)enc->input_size;
                memset(row, 0, (size_t)enc->input_size * sizeof *row);
                row[classes[i]] = 1.0f;
            }
            labels[i] = classes[i + 1];
        }
        return NN_OK;
    case KIND_GENIE:
        break;
    }
    return why_fail(why, NN_ERR_ARGUMENT, "features: encoding %s has no features", enc->name);
}
