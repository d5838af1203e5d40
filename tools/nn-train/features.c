/* features.c — what a model trains on: a dataset record's classes (and chords) turned into
 * inputs and labels exactly as Magenta's encoder_decoder.encode does.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn-train.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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
    int control = enc->kind == KIND_IMPROV ? music_chord_encoding_size(enc->chords) : 0, size = enc->input_size;
    for (int i = 0; i + 1 < length && status == NN_OK; i++) {
        if (inputs) {
            float *row = inputs + (size_t)i * (size_t)size;
            /* ConditionalEventSequenceEncoderDecoder: the chord of the step to predict, then the
             * melody's input at this step */
            if (control && music_chord_word_encode(enc->chords, chords[i + 1], row, why) != MUSIC_OK)
                status = NN_ERR_MALFORMED;
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
