/* chord_words.c — chords in 32 bits, their encodings as Improv RNN's inputs, and Improv RNN's
 * configurations (improv_rnn_model.default_configs).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "music_private.h"

#include <string.h>

enum { WORD_ROOT = 12, WORD_BASS = 16, WORD_QUALITY = 20 };

uint32_t music_chord_word(const music_chord *chord)
{
    if (chord->no_chord)
        return MUSIC_CHORD_WORD_NO_CHORD;
    return (uint32_t)(chord->pitch_mask & 0xfff) | (uint32_t)(chord->root & 15) << WORD_ROOT |
           (uint32_t)(chord->bass & 15) << WORD_BASS | (uint32_t)(chord->quality & 7) << WORD_QUALITY;
}

bool music_chord_word_valid(uint32_t word)
{
    if (word & MUSIC_CHORD_WORD_NO_CHORD)
        return word == MUSIC_CHORD_WORD_NO_CHORD;
    return (word >> 24) == 0 && (word >> WORD_ROOT & 15) < 12 && (word >> WORD_BASS & 15) < 12 &&
           (word >> WORD_QUALITY & 7) <= MUSIC_CHORD_OTHER;
}

uint32_t music_chord_word_transpose(uint32_t word, int amount)
{
    if (word & MUSIC_CHORD_WORD_NO_CHORD)
        return word;
    int k = ((amount % 12) + 12) % 12;
    uint32_t mask = word & 0xfff;
    mask = ((mask << k) | (mask >> (12 - k))) & 0xfff;
    uint32_t root = ((word >> WORD_ROOT & 15) + (uint32_t)k) % 12, bass = ((word >> WORD_BASS & 15) + (uint32_t)k) % 12;
    return (word & ~0xfffffu) | mask | root << WORD_ROOT | bass << WORD_BASS;
}

int music_chord_encoding_size(music_chord_encoding kind)
{
    return kind == MUSIC_CHORD_ENCODING_TRIAD     ? MUSIC_CHORD_TRIAD_CLASSES
           : kind == MUSIC_CHORD_ENCODING_PITCHES ? MUSIC_CHORD_PITCH_INPUT_SIZE
                                                  : 0;
}

music_status music_chord_word_encode(music_chord_encoding kind, uint32_t word, float *input, char *message)
{
    int size = music_chord_encoding_size(kind);
    if (!size || !input || !music_chord_word_valid(word)) {
        music_message(message, "chord word %08x: not a valid chord for encoding %d", word, (int)kind);
        return MUSIC_ERR_ARGUMENT;
    }
    memset(input, 0, (size_t)size * sizeof *input);
    bool none = word & MUSIC_CHORD_WORD_NO_CHORD;
    int root = word >> WORD_ROOT & 15, bass = word >> WORD_BASS & 15, quality = word >> WORD_QUALITY & 7;
    if (kind == MUSIC_CHORD_ENCODING_TRIAD) {
        /* TriadChordOneHotEncoding: 0 N.C., then 12 roots each of major, minor, aug, dim */
        if (none) {
            input[0] = 1.0f;
        } else if (quality >= MUSIC_CHORD_OTHER) {
            music_message(message, "chord with root %d is not a standard triad (ChordEncodingError)", root);
            return MUSIC_ERR_RANGE;
        } else {
            input[1 + 12 * quality + root] = 1.0f;
        }
        return MUSIC_OK;
    }
    /* PitchChordsEncoderDecoder: [0] N.C., [1 + root], [13 + each pitch class], [25 + bass] */
    if (none) {
        input[0] = 1.0f;
        return MUSIC_OK;
    }
    input[1 + root] = 1.0f;
    for (int p = 0; p < 12; p++)
        if (word >> p & 1)
            input[13 + p] = 1.0f;
    input[25 + bass] = 1.0f;
    return MUSIC_OK;
}

music_status music_improv_encoder_for_config(const char *config, music_melody_encoder *melody,
                                             music_chord_encoding *chords)
{
    if (!config || !melody || !chords ||
        (strcmp(config, "basic_improv") && strcmp(config, "attention_improv") && strcmp(config, "chord_pitches_improv")))
        return MUSIC_ERR_ARGUMENT;
    *chords = config[0] == 'c' ? MUSIC_CHORD_ENCODING_PITCHES : MUSIC_CHORD_ENCODING_TRIAD;
    return music_melody_encoder_init(melody, config[0] == 'a' ? MUSIC_MELODY_ENCODING_KEY : MUSIC_MELODY_ENCODING_ONEHOT,
                                     48, 84);
}
