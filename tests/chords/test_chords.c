/* test_chords.c — chord symbols, chord encodings, progressions and inference against Magenta.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#include "music.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../check.h"



static char why[MUSIC_MESSAGE_SIZE];

/* The set of pitch classes a symbol yields, as a 12-bit mask. */
static int mask_of(const int *classes, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        m |= 1 << classes[i];
    return m;
}

static void check_from_pitches(int line, const char *expected, const int *pitches, int n)
{
    char name[MUSIC_CHORD_SYMBOL_SIZE];
    music_status st = music_chord_from_pitches(pitches, n, name, sizeof name, why);
    checks++;
    if (st != MUSIC_OK || strcmp(name, expected) != 0) {
        failures++;
        fprintf(stderr, "%s:%d: pitches_to_chord_symbol: expected \"%s\", got \"%s\" (status %d: %s)\n", __FILE__,
                line, expected, name, st, st == MUSIC_OK ? "" : why);
    }
}
#define FROM_PITCHES(expected, ...)                                                                                   \
    do {                                                                                                              \
        const int p_[] = {__VA_ARGS__};                                                                               \
        check_from_pitches(__LINE__, expected, p_, (int)(sizeof p_ / sizeof p_[0]));                                  \
    } while (0)

static void check_transpose(int line, const char *name, int amount, const char *expected)
{
    char out[MUSIC_CHORD_SYMBOL_SIZE] = "";
    music_status st = music_chord_transpose(name, amount, out, sizeof out, why);
    checks++;
    if (st != MUSIC_OK || strcmp(out, expected) != 0) {
        failures++;
        fprintf(stderr, "%s:%d: transpose(\"%s\", %d): expected \"%s\", got \"%s\" (status %d)\n", __FILE__, line, name,
                amount, expected, out, st);
    }
}

static void check_pitch_mask(int line, const char *name, int expected_mask)
{
    music_chord c;
    music_status st = music_chord_parse(name, &c, why);
    checks++;
    if (st != MUSIC_OK || c.pitch_mask != expected_mask) {
        failures++;
        fprintf(stderr, "%s:%d: pitches(\"%s\"): expected mask 0x%03x, got 0x%03x (status %d: %s)\n", __FILE__, line,
                name, expected_mask, c.pitch_mask, st, st == MUSIC_OK ? "" : why);
    }
}
#define PITCHES(name, ...)                                                                                            \
    do {                                                                                                              \
        const int p_[] = {__VA_ARGS__};                                                                               \
        check_pitch_mask(__LINE__, name, mask_of(p_, (int)(sizeof p_ / sizeof p_[0])));                              \
    } while (0)

static int root_of(const char *name)
{
    int r = -1;
    return music_chord_root(name, &r, why) == MUSIC_OK ? r : -99;
}

static int bass_of(const char *name)
{
    int b = -1;
    return music_chord_bass(name, &b, why) == MUSIC_OK ? b : -99;
}

static int quality_of(const char *name)
{
    music_chord c;
    return music_chord_parse(name, &c, why) == MUSIC_OK ? (int)c.quality : -99;
}

/* ---- chord_symbols_lib_test.py ---------------------------------------------------------------- */

static void test_transpose(void)
{
    /* chord_symbols_lib_test.py, testTransposeChordSymbol. */
    check_transpose(__LINE__, "C", 2, "D");
    check_transpose(__LINE__, "Abm", -3, "Fm");
    check_transpose(__LINE__, "F#", 0, "F#");
    check_transpose(__LINE__, "Cbb", 6, "Fb");
    check_transpose(__LINE__, "C#", -5, "G#");
    check_transpose(__LINE__, "Co7", 7, "Go7");
    check_transpose(__LINE__, "D+", -3, "B+");
    check_transpose(__LINE__, "Fb9/Ab", 2, "Gb9/Bb");
    check_transpose(__LINE__, "A6/9", -7, "D6/9");
    check_transpose(__LINE__, "E7(add#9)", 0, "E7(add#9)");
    /* chords_lib_test.py, testTranspose (ChordProgression.transpose calls the same function). */
    check_transpose(__LINE__, "Esus2", -2, "Dsus2");
    check_transpose(__LINE__, "A7/B", -2, "G7/A");
    check_transpose(__LINE__, "F#dim", -2, "Edim");
    check_transpose(__LINE__, "Bb", 4, "D");
    /* chords_lib_test.py, testTransposeUnknownChordSymbol: "P#13" is a ChordSymbolError. */
    char out[MUSIC_CHORD_SYMBOL_SIZE];
    CHECK(music_chord_transpose("P#13", -4, out, sizeof out, why) == MUSIC_ERR_MALFORMED, "P#13 transposed");
    /* A short buffer is refused rather than truncated. */
    CHECK(music_chord_transpose("C", 1, out, 2, why) == MUSIC_ERR_RANGE, "Db fits in 2 bytes?");
}

static void test_pitches_to_chord_symbol(void)
{
    /* chord_symbols_lib_test.py, testPitchesToChordSymbol. */
    FROM_PITCHES("C", 60, 64, 67);
    FROM_PITCHES("Am", 45, 48, 52);
    FROM_PITCHES("Ebo", 63, 66, 69);
    FROM_PITCHES("B+", 71, 75, 79);
    FROM_PITCHES("G/B", 59, 62, 67);
    FROM_PITCHES("Bbm/F", 65, 70, 73);
    FROM_PITCHES("Dsus", 62, 67, 69);
    FROM_PITCHES("Gsus7", 55, 60, 62, 65);
    FROM_PITCHES("Gsus2", 67, 69, 74);
    FROM_PITCHES("Bbmaj7/A", 45, 46, 50, 53);
    FROM_PITCHES("Cm9/Eb", 63, 67, 70, 72, 74);
    FROM_PITCHES("C7/F", 53, 60, 64, 67, 70);
    FROM_PITCHES("G7(add4)", 67, 71, 72, 74, 77);
    FROM_PITCHES("E7(#9)", 64, 68, 71, 74, 79);
    FROM_PITCHES("C(add2)", 60, 62, 64, 67);
    FROM_PITCHES("C+7(#9)", 60, 64, 68, 70, 75);
    /* No pitches: constants.NO_CHORD (pitches_to_chord_symbol's first line). */
    char name[MUSIC_CHORD_SYMBOL_SIZE];
    CHECK(music_chord_from_pitches(NULL, 0, name, sizeof name, why) == MUSIC_OK && strcmp(name, "N.C.") == 0, "%s",
          name);
    /* All twelve pitch classes: ChordSymbolError (every spelling repeats the 7th step). */
    const int all[12] = {60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71};
    CHECK(music_chord_from_pitches(all, 12, name, sizeof name, why) == MUSIC_ERR_MALFORMED, "12 classes named %s", name);
    CHECK(strstr(why, "60, 61") != NULL, "message should list the pitches: %s", why);
    /* More names, each checked against pitches_to_chord_symbol run on the same list. */
    FROM_PITCHES("Eb5(addb7)", 27, 70, 37);
    FROM_PITCHES("Bbped(add7)", 81, 34);
    FROM_PITCHES("F7(add4)/A", 36, 21, 51, 58, 77);
    /* CPython's iteration order of small sets decides these (which root wins a tie, the order of
     * the modifications): iterating the sets in ascending order instead would give
     * "Ebsus(addb2)/E", "Bbped(add2)(add#5)" and "Gbped(addb3)(add7)". */
    FROM_PITCHES("Absus2(b13)/E", 40, 70, 56, 75);
    FROM_PITCHES("Bbped(add#5)(add2)", 84, 46, 46, 78);
    FROM_PITCHES("Gbped(add7)(addb3)", 45, 42, 89);
}

static void test_chord_symbol_pitches(void)
{
    /* chord_symbols_lib_test.py, testChordSymbolPitches (compared as sets). */
    PITCHES("Am", 0, 4, 9);
    PITCHES("D7b9", 0, 2, 3, 6, 9);
    PITCHES("F/o", 3, 5, 8, 11);
    PITCHES("C-(M7)", 0, 3, 7, 11);
    PITCHES("E##13", 1, 3, 4, 6, 8, 10, 11);
    PITCHES("G(add2)(#5)", 3, 7, 9, 11);
    /* The list itself, in Magenta's order (dict insertion order of the scale degrees):
     * chord_symbol_pitches('G(add2)(#5)') == [7, 11, 3, 9]: 1, 3, 5 (#5 alters it in place), 2. */
    music_chord c;
    CHECK(music_chord_parse("G(add2)(#5)", &c, why) == MUSIC_OK && c.pitch_count == 4 && c.pitches[0] == 7 &&
              c.pitches[1] == 11 && c.pitches[2] == 3 && c.pitches[3] == 9,
          "count %d: %d %d %d %d", c.pitch_count, c.pitches[0], c.pitches[1], c.pitches[2], c.pitches[3]);
}

static void test_root_bass_quality(void)
{
    /* chord_symbols_lib_test.py, testChordSymbolRoot. */
    CHECK(root_of("Dm9") == 2, "%d", root_of("Dm9"));
    CHECK(root_of("E/G#") == 4, "%d", root_of("E/G#"));
    CHECK(root_of("Bsus2") == 11, "%d", root_of("Bsus2"));
    CHECK(root_of("Abmaj7") == 8, "%d", root_of("Abmaj7"));
    CHECK(root_of("D##5(add6)") == 4, "%d", root_of("D##5(add6)"));
    CHECK(root_of("F(b7)(#9)(b13)") == 5, "%d", root_of("F(b7)(#9)(b13)"));
    /* testChordSymbolBass. */
    CHECK(bass_of("Dm9") == 2, "%d", bass_of("Dm9"));
    CHECK(bass_of("E/G#") == 8, "%d", bass_of("E/G#"));
    CHECK(bass_of("Bsus2/A") == 9, "%d", bass_of("Bsus2/A"));
    CHECK(bass_of("Abm7/Cb") == 11, "%d", bass_of("Abm7/Cb"));
    CHECK(bass_of("C#6/9/E#") == 5, "%d", bass_of("C#6/9/E#"));
    CHECK(bass_of("G/o") == 7, "%d", bass_of("G/o"));
    /* testChordSymbolQuality: major, minor, augmented, diminished, other. */
    const char *major[] = {"B13", "E7#9", "Fadd2/Eb", "C6/9/Bb", "Gmaj13"};
    const char *minor[] = {"C#-9", "Gm7/Bb", "Cbmmaj7", "A-(M7)", "Bbmin"};
    const char *aug[] = {"D+/A#", "A+", "G7(#5)", "Faug(add2)"};
    const char *dim[] = {"Am7b5", "Edim7", "Bb/o", "Fo"};
    const char *other[] = {"G5", "Bbsus2", "Dsus", "E(no3)"};
    for (int i = 0; i < 5; i++)
        CHECK(quality_of(major[i]) == MUSIC_CHORD_MAJOR, "%s: %d", major[i], quality_of(major[i]));
    for (int i = 0; i < 5; i++)
        CHECK(quality_of(minor[i]) == MUSIC_CHORD_MINOR, "%s: %d", minor[i], quality_of(minor[i]));
    for (int i = 0; i < 4; i++)
        CHECK(quality_of(aug[i]) == MUSIC_CHORD_AUGMENTED, "%s: %d", aug[i], quality_of(aug[i]));
    for (int i = 0; i < 4; i++)
        CHECK(quality_of(dim[i]) == MUSIC_CHORD_DIMINISHED, "%s: %d", dim[i], quality_of(dim[i]));
    for (int i = 0; i < 4; i++)
        CHECK(quality_of(other[i]) == MUSIC_CHORD_OTHER, "%s: %d", other[i], quality_of(other[i]));
    /* The constants' values (chord_symbols_lib.CHORD_QUALITY_*). */
    CHECK(MUSIC_CHORD_MAJOR == 0 && MUSIC_CHORD_MINOR == 1 && MUSIC_CHORD_AUGMENTED == 2 &&
              MUSIC_CHORD_DIMINISHED == 3 && MUSIC_CHORD_OTHER == 4,
          "quality constants");
}

/* Parsing decisions of the regex _CHORD_SYMBOL_PATTERN and its ChordSymbolError cases. */
static void test_parse_details(void)
{
    music_chord c;
    /* Kinds are tried in _CHORD_KINDS order: "Cm7b5" is "m7" + modification "b5" (same pitches
     * as the half-diminished kind): _split_chord_symbol gives ('C', 'm7', 'b5', ''). */
    CHECK(music_chord_parse("Cm7b5", &c, why) == MUSIC_OK && c.kind == 6 && c.pitch_mask == 0x449, "kind %d mask %x",
          c.kind, c.pitch_mask);
    CHECK(music_chord_parse("Bbmaj7", &c, why) == MUSIC_OK && c.root == 10 && c.kind == 5 && c.bass == 10, "Bbmaj7");
    CHECK(music_chord_parse("F#m7b5", &c, why) == MUSIC_OK && c.root == 6 && c.quality == MUSIC_CHORD_DIMINISHED,
          "F#m7b5");
    CHECK(music_chord_parse("Am/E", &c, why) == MUSIC_OK && c.root == 9 && c.bass == 4 && c.pitch_mask == 0x211,
          "Am/E");
    CHECK(music_chord_parse("Gsus4", &c, why) == MUSIC_OK && c.kind == 25 && c.quality == MUSIC_CHORD_OTHER, "Gsus4");
    /* "add7" adds the dominant 7th (_add_scale_degree lowers degree 7): C(add7) = {C, E, G, Bb}. */
    check_pitch_mask(__LINE__, "C(add7)", 0x491);
    /* Degree 0 normalises to 7: ((0 - 1) % 7) + 1 with Python's modulo. "C(b0)" = C E G + b7 = Bb. */
    check_pitch_mask(__LINE__, "C(b0)", 0x491);
    /* Python's `$` also matches before a final newline. */
    check_pitch_mask(__LINE__, "C\n", 0x091);
    /* N.C. is the no-chord event. */
    CHECK(music_chord_parse("N.C.", &c, why) == MUSIC_OK && c.no_chord && c.root == -1 && c.pitch_count == 0, "N.C.");

    /* ChordSymbolError cases, each a message naming the text. */
    const char *unparsable[] = {"H", "C#b", "", "C/", "Cm(maj7", "N.C.x", "c", "Cmaj8", "C/H"};
    for (int i = 0; i < (int)(sizeof unparsable / sizeof unparsable[0]); i++) {
        why[0] = '\0';
        CHECK(music_chord_parse(unparsable[i], &c, why) == MUSIC_ERR_MALFORMED, "\"%s\" parsed", unparsable[i]);
        CHECK(strstr(why, "unable to parse") && strstr(why, unparsable[i]), "message: %s", why);
    }
    CHECK(music_chord_parse("Cadd3", &c, why) == MUSIC_ERR_MALFORMED && strstr(why, "Cadd3") &&
              strstr(why, "already in chord: 3"),
          "%s", why);
    CHECK(music_chord_parse("Cno9", &c, why) == MUSIC_ERR_MALFORMED && strstr(why, "not in chord: 9"), "%s", why);
    /* chord_symbol_root only splits the symbol, so "Cadd3" still has a root. */
    CHECK(root_of("Cadd3") == 0, "%d", root_of("Cadd3"));
    CHECK(music_chord_parse(NULL, &c, why) == MUSIC_ERR_ARGUMENT, "NULL name");
}

/* Name -> pitches -> name. Pitches: the bass an octave below, then chord_symbol_pitches from 60;
 * expected names from pitches_to_chord_symbol on those lists. Magenta writes each kind's first
 * abbreviation and flats for black-key roots, so some names come back respelled. */
static void test_round_trips(void)
{
    static const struct {
        const char *name, *back;
    } cases[] = {
        {"C", "C"},           {"Cm", "Cm"},         {"C7", "C7"},           {"Cmaj7", "Cmaj7"},
        {"Am/E", "Am/E"},     {"Bbmaj7", "Bbmaj7"}, {"F#m7b5", "Gbm7b5"},   {"Gsus4", "Gsus"},
        {"Cdim", "Co"},       {"Caug", "C+"},       {"C6", "C6"},           {"C9", "C9"},
        {"E7(#9)", "E7(#9)"}, {"G/B", "G/B"},       {"Cm9/Eb", "Cm9/Eb"},   {"C6/9", "C6/9"},
        {"C(add2)", "C(add2)"}, {"Bm7b5", "Bm7b5"}, {"Gsus7", "Gsus7"},
    };
    for (int i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
        music_chord c;
        int pitches[1 + MUSIC_CHORD_MAX_DEGREES], n = 0;
        CHECK(music_chord_parse(cases[i].name, &c, why) == MUSIC_OK, "%s: %s", cases[i].name, why);
        pitches[n++] = 48 + c.bass;
        for (int k = 0; k < c.pitch_count; k++)
            pitches[n++] = 60 + c.pitches[k];
        check_from_pitches(__LINE__, cases[i].back, pitches, n);
    }
}

/* ---- chords_encoder_decoder ----------------------------------------------------------------- */

static int encode_mm(const char *name)
{
    int index = -1;
    return music_chord_major_minor_encode(name, &index, why) == MUSIC_OK ? index : -99;
}

static int encode_triad(const char *name)
{
    int index = -1;
    return music_chord_triad_encode(name, &index, why) == MUSIC_OK ? index : -99;
}

static void test_one_hot_encodings(void)
{
    /* chords_encoder_decoder_test.py, MajorMinorChordOneHotEncodingTest. */
    CHECK(encode_mm("N.C.") == 0, "%d", encode_mm("N.C."));
    CHECK(encode_mm("C") == 1, "%d", encode_mm("C"));
    CHECK(encode_mm("Cm") == 13, "%d", encode_mm("Cm"));
    CHECK(encode_mm("F7") == 6, "%d", encode_mm("F7"));
    CHECK(encode_mm("Abm9") == 21, "%d", encode_mm("Abm9"));
    int index;
    CHECK(music_chord_major_minor_encode("Gsus4", &index, why) == MUSIC_ERR_RANGE && strstr(why, "Gsus4"), "%s", why);
    CHECK(music_chord_major_minor_encode("Bb5", &index, why) == MUSIC_ERR_RANGE, "Bb5");
    CHECK(strcmp(music_chord_major_minor_decode(0), "N.C.") == 0, "decode 0");
    CHECK(strcmp(music_chord_major_minor_decode(3), "D") == 0, "decode 3");
    CHECK(strcmp(music_chord_major_minor_decode(17), "Em") == 0, "decode 17");
    /* By hand from MajorMinorChordOneHotEncoding.encode_event: major root + 1, minor root + 13;
     * augmented and diminished are ChordEncodingError (no nearest-triad fallback). */
    CHECK(encode_mm("Bbmaj7") == 11, "Bbmaj7 = 10 + 1: %d", encode_mm("Bbmaj7"));
    CHECK(encode_mm("Am/E") == 22, "Am/E = 9 + 13: %d", encode_mm("Am/E"));
    CHECK(encode_mm("Caug") == -99 && encode_mm("Cdim") == -99, "aug and dim are not major/minor");
    CHECK(music_chord_major_minor_encode("H7", &index, why) == MUSIC_ERR_MALFORMED, "H7");
    CHECK(music_chord_major_minor_decode(25) == NULL && music_chord_major_minor_decode(-1) == NULL, "out of range");

    /* TriadChordOneHotEncodingTest. */
    CHECK(encode_triad("N.C.") == 0, "%d", encode_triad("N.C."));
    CHECK(encode_triad("C13") == 1, "%d", encode_triad("C13"));
    CHECK(encode_triad("Cm(maj7)") == 13, "%d", encode_triad("Cm(maj7)"));
    CHECK(encode_triad("Faug7") == 30, "%d", encode_triad("Faug7"));
    CHECK(encode_triad("Abm7b5") == 45, "%d", encode_triad("Abm7b5"));
    CHECK(music_chord_triad_encode("Gsus4", &index, why) == MUSIC_ERR_RANGE && strstr(why, "not a standard triad"),
          "%s", why);
    CHECK(music_chord_triad_encode("Bb5", &index, why) == MUSIC_ERR_RANGE, "Bb5");
    CHECK(strcmp(music_chord_triad_decode(0), "N.C.") == 0, "decode 0");
    CHECK(strcmp(music_chord_triad_decode(3), "D") == 0, "decode 3");
    CHECK(strcmp(music_chord_triad_decode(17), "Em") == 0, "decode 17");
    CHECK(strcmp(music_chord_triad_decode(33), "Abaug") == 0, "decode 33");
    CHECK(strcmp(music_chord_triad_decode(42), "Fdim") == 0, "decode 42");
    /* By hand from TriadChordOneHotEncoding.encode_event: aug root + 25, dim root + 37.
     * F#m7b5: root 6, triad (1, b3, b5) diminished -> 37 + 6 = 43. Cdim: 37. Caug: 25.
     * E(no3) has no third: CHORD_QUALITY_OTHER -> ChordEncodingError. */
    CHECK(encode_triad("F#m7b5") == 43, "%d", encode_triad("F#m7b5"));
    CHECK(encode_triad("Cdim") == 37 && encode_triad("Caug") == 25, "Cdim %d Caug %d", encode_triad("Cdim"),
          encode_triad("Caug"));
    CHECK(encode_triad("E(no3)") == -99, "E(no3)");
    CHECK(music_chord_triad_decode(49) == NULL, "out of range");

    /* decode(encode) over every class: the decoded names are Magenta's _PITCH_CLASS_MAPPING
     * spellings plus '', 'm', 'aug', 'dim', all of which the encoders read back. */
    for (int k = 0; k < MUSIC_CHORD_MAJOR_MINOR_CLASSES; k++)
        CHECK(encode_mm(music_chord_major_minor_decode(k)) == k, "major/minor class %d (%s)", k,
              music_chord_major_minor_decode(k));
    for (int k = 0; k < MUSIC_CHORD_TRIAD_CLASSES; k++)
        CHECK(encode_triad(music_chord_triad_decode(k)) == k, "triad class %d (%s)", k, music_chord_triad_decode(k));
}

static void check_pitch_input(int line, const char *name, const float *expected)
{
    float input[MUSIC_CHORD_PITCH_INPUT_SIZE];
    music_status st = music_chord_pitch_encode(name, input, why);
    checks++;
    bool same = st == MUSIC_OK;
    for (int i = 0; same && i < MUSIC_CHORD_PITCH_INPUT_SIZE; i++)
        same = input[i] == expected[i];
    if (!same) {
        failures++;
        fprintf(stderr, "%s:%d: pitch encoding of \"%s\" differs (status %d):", __FILE__, line, name, st);
        for (int i = 0; i < MUSIC_CHORD_PITCH_INPUT_SIZE; i++)
            fprintf(stderr, " %g", (double)input[i]);
        fputc('\n', stderr);
    }
}

/* A vector with these indices set. */
static void onehots(float *v, const int *idx, int n)
{
    memset(v, 0, MUSIC_CHORD_PITCH_INPUT_SIZE * sizeof v[0]);
    for (int i = 0; i < n; i++)
        v[idx[i]] = 1.0f;
}
#define PITCH_INPUT(name, ...)                                                                                        \
    do {                                                                                                              \
        const int i_[] = {__VA_ARGS__};                                                                               \
        float v_[MUSIC_CHORD_PITCH_INPUT_SIZE];                                                                       \
        onehots(v_, i_, (int)(sizeof i_ / sizeof i_[0]));                                                             \
        check_pitch_input(__LINE__, name, v_);                                                                        \
    } while (0)

static void test_pitch_encoding(void)
{
    /* chords_encoder_decoder_test.py, PitchChordsEncoderDecoderTest: input size 37, and the
     * vectors of testEncodeNoChord and testEncodeChord (their 1.0 positions). */
    CHECK(MUSIC_CHORD_PITCH_INPUT_SIZE == 37, "%d", MUSIC_CHORD_PITCH_INPUT_SIZE);
    PITCH_INPUT("N.C.", 0);
    PITCH_INPUT("C", 1, 13, 17, 20, 25);
    PITCH_INPUT("F#m", 7, 14, 19, 22, 31);
    PITCH_INPUT("G/F", 8, 15, 20, 24, 30);
    PITCH_INPUT("E13", 5, 14, 15, 17, 19, 21, 22, 24, 29);
    PITCH_INPUT("Fm(maj7)", 6, 13, 17, 18, 21, 30);
    /* By hand from events_to_input: [1 + root], [13 + pitch class], [25 + bass].
     * Bbmaj7: root 10 -> 11; Bb D F A = 10 2 5 9 -> 23 15 18 22; bass 10 -> 35.
     * Am/E: root 9 -> 10; A C E = 9 0 4 -> 22 13 17; bass 4 -> 29. */
    PITCH_INPUT("Bbmaj7", 11, 23, 15, 18, 22, 35);
    PITCH_INPUT("Am/E", 10, 22, 13, 17, 29);
    float input[MUSIC_CHORD_PITCH_INPUT_SIZE];
    CHECK(music_chord_pitch_encode("Xm", input, why) == MUSIC_ERR_MALFORMED, "Xm");
}

/* improv_rnn_model.py default_configs: basic_improv and attention_improv condition on
 * TriadChordOneHotEncoding (one-hot, 49 wide), chord_pitches_improv on
 * PitchChordsEncoderDecoder (37 wide). With MelodyOneHotEncoding(48, 84) (36 + 2 = 38 classes)
 * the conditional inputs are 49 + 38 = 87 (basic_improv) and 37 + 38 = 75 (chord_pitches). */
static void test_improv_sizes(void)
{
    CHECK(MUSIC_CHORD_TRIAD_CLASSES == 49, "basic_improv / attention_improv chord input");
    CHECK(MUSIC_CHORD_PITCH_INPUT_SIZE == 37, "chord_pitches_improv chord input");
    CHECK(MUSIC_CHORD_MAJOR_MINOR_CLASSES == 25, "MajorMinorChordOneHotEncoding.num_classes");
    CHECK(MUSIC_CHORD_TRIAD_CLASSES + (84 - 48 + 2) == 87, "basic_improv input size");
    CHECK(MUSIC_CHORD_PITCH_INPUT_SIZE + (84 - 48 + 2) == 75, "chord_pitches_improv input size");
}

/* ---- chords_lib.ChordProgression --------------------------------------------------------------- */

static void seq_with_chords(music_seq *seq, int steps_per_quarter, const char *const *names, const int *steps, int n)
{
    music_seq_init(seq);
    seq->steps_per_quarter = steps_per_quarter;
    for (int i = 0; i < n; i++) {
        music_seq_add_chord(seq, steps[i], names[i]);
        seq->chords.items[i].step = steps[i];
    }
}

static void test_progressions(void)
{
    const char *got[16];
    music_seq seq;

    /* chords_lib_test.py, testFromQuantizedNoteSequence (1 step per quarter). */
    const char *names1[] = {"Am", "D7", "G13", "Csus"};
    const int steps1[] = {4, 8, 12, 14};
    seq_with_chords(&seq, 1, names1, steps1, 4);
    const char *expected1[16] = {"N.C.", "N.C.", "N.C.", "N.C.", "Am",  "Am",  "Am",   "Am",
                                 "D7",   "D7",   "D7",   "D7",   "G13", "G13", "Csus", "Csus"};
    CHECK(music_chords_extract(&seq, 0, 16, got, why) == MUSIC_OK, "%s", why);
    for (int i = 0; i < 16; i++)
        CHECK(strcmp(got[i], expected1[i]) == 0, "step %d: %s, expected %s", i, got[i], expected1[i]);
    music_seq_free(&seq);

    /* testFromQuantizedNoteSequenceWithinSingleChord. */
    const char *names2[] = {"F", "Gm"};
    const int steps2[] = {0, 8};
    seq_with_chords(&seq, 1, names2, steps2, 2);
    CHECK(music_chords_extract(&seq, 4, 6, got, why) == MUSIC_OK && strcmp(got[0], "F") == 0 &&
              strcmp(got[1], "F") == 0,
          "%s %s", got[0], got[1]);
    music_seq_free(&seq);

    /* testFromQuantizedNoteSequenceWithNoChords. */
    seq_with_chords(&seq, 1, NULL, NULL, 0);
    CHECK(music_chords_extract(&seq, 0, 16, got, why) == MUSIC_OK, "%s", why);
    for (int i = 0; i < 16; i++)
        CHECK(strcmp(got[i], "N.C.") == 0, "step %d: %s", i, got[i]);
    /* BadChordError: start does not precede end. */
    CHECK(music_chords_extract(&seq, 4, 4, got, why) == MUSIC_ERR_ARGUMENT, "empty range");
    music_seq_free(&seq);

    /* testFromQuantizedNoteSequenceWithCoincidentChords. */
    const char *names3[] = {"Am", "D7", "G13", "Csus"};
    const int steps3[] = {4, 8, 12, 12};
    seq_with_chords(&seq, 1, names3, steps3, 4);
    CHECK(music_chords_extract(&seq, 0, 16, got, why) == MUSIC_ERR_MALFORMED && strstr(why, "G13") &&
              strstr(why, "Csus"),
          "%s", why);
    /* Identical coincident chords are skipped, not an error (from_quantized_sequence). */
    strcpy(seq.chords.items[3].name, "G13");
    CHECK(music_chords_extract(&seq, 0, 16, got, why) == MUSIC_OK && strcmp(got[12], "G13") == 0, "%s", why);
    music_seq_free(&seq);

    /* chords_lib_test.py, testEventListChordsWithMelodies: chords N.C.@0, C@2, G7@6, 8 steps;
     * melodies over steps 0..3 and 4..7. */
    const char *names4[] = {"N.C.", "C", "G7"};
    const int steps4[] = {0, 2, 6};
    seq_with_chords(&seq, 1, names4, steps4, 3);
    seq.total_steps = 8;
    const int32_t melody1[] = {0, 1, 2, 3}, melody2[] = {4, 5, 6, 7};
    const char *expected_m1[] = {"N.C.", "N.C.", "C", "C"}, *expected_m2[] = {"C", "C", "G7", "G7"};
    CHECK(music_chords_at_steps(&seq, melody1, 4, got, why) == MUSIC_OK, "%s", why);
    for (int i = 0; i < 4; i++)
        CHECK(strcmp(got[i], expected_m1[i]) == 0, "melody 1 step %d: %s", i, got[i]);
    CHECK(music_chords_at_steps(&seq, melody2, 4, got, why) == MUSIC_OK, "%s", why);
    for (int i = 0; i < 4; i++)
        CHECK(strcmp(got[i], expected_m2[i]) == 0, "melody 2 step %d: %s", i, got[i]);
    /* Past the end: event_list_chords pads with the progression's last chord. */
    const int32_t beyond[] = {9, 100};
    CHECK(music_chords_at_steps(&seq, beyond, 2, got, why) == MUSIC_OK && strcmp(got[0], "G7") == 0 &&
              strcmp(got[1], "G7") == 0,
          "%s %s", got[0], got[1]);
    music_seq_free(&seq);

    /* Not quantized relative to the tempo: QuantizationStatusError. */
    music_seq_init(&seq);
    CHECK(music_chords_extract(&seq, 0, 4, got, why) == MUSIC_ERR_ARGUMENT, "unquantized");
    music_seq_free(&seq);
}

/* ---- chord_inference ---------------------------------------------------------------------------- */

/* A note given both in seconds (what Magenta's inference reads) and in steps (4 per quarter
 * at 120 qpm: 8 steps per second). */
static void add_note(music_seq *seq, int pitch, double start, double end)
{
    music_note n = {0};
    n.pitch = (uint8_t)pitch;
    n.velocity = 100;
    n.start = start;
    n.end = end;
    n.start_step = (int32_t)lround(start * 8);
    n.end_step = (int32_t)lround(end * 8);
    music_seq_add_note(seq, &n);
}

static void add_triads(music_seq *seq, const int (*triads)[3], int n, double seconds)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            add_note(seq, triads[i][k], i * seconds, (i + 1) * seconds);
}

static void quantized_4_4(music_seq *seq)
{
    music_seq_init(seq);
    music_seq_add_tempo(seq, 0.0, 120.0);
    music_seq_add_time_signature(seq, 0.0, 4, 4);
    seq->steps_per_quarter = 4;
}

static void test_pitch_vectors(void)
{
    /* chord_inference_test.py, testSequenceNotePitchVectors: 1-second frames over 6 seconds. */
    music_seq seq;
    music_seq_init(&seq);
    add_note(&seq, 60, 0.0, 0.0);
    add_note(&seq, 62, 0.0, 0.5);
    add_note(&seq, 60, 1.5, 2.5);
    add_note(&seq, 64, 2.0, 2.5);
    add_note(&seq, 67, 2.25, 2.75);
    add_note(&seq, 70, 2.5, 4.5);
    add_note(&seq, 60, 6.0, 6.0);
    double v[6][12];
    const double b1[5] = {1, 2, 3, 4, 5};
    CHECK(music_chords_pitch_vectors(&seq, b1, 5, v) == MUSIC_OK, "vectors");
    const double expected[6][12] = {
        {0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},         {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
        {0.5, 0, 0, 0, 0.5, 0, 0, 0.5, 0, 0, 0.5, 0}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0},
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0},         {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    };
    for (int f = 0; f < 6; f++)
        for (int p = 0; p < 12; p++)
            CHECK(v[f][p] == expected[f][p], "frame %d class %d: %g != %g", f, p, v[f][p], expected[f][p]);
    /* testSequenceNotePitchVectorsVariableLengthFrames: boundaries 1.5, 2, 3, 5. */
    const double b2[4] = {1.5, 2.0, 3.0, 5.0};
    CHECK(music_chords_pitch_vectors(&seq, b2, 4, v) == MUSIC_OK, "vectors");
    for (int f = 0; f < 5; f++)
        for (int p = 0; p < 12; p++)
            CHECK(v[f][p] == expected[f == 4 ? 5 : f][p], "variable frame %d class %d: %g", f, p, v[f][p]);
    music_seq_free(&seq);
}

static void test_inference(void)
{
    music_chord_inference_params params;
    music_chord_inference_defaults(&params);
    CHECK(params.chords_per_bar == 0 && params.key_change_prob == 0.001 && params.chord_change_prob == 0.5 &&
              params.chord_pitch_out_of_key_prob == 0.01 && params.chord_note_concentration == 100.0 &&
              !params.add_key_signatures,
          "infer_chords_for_sequence defaults");

    /* chord_inference_test.py, testInferChordsForSequence: C Dm F G, a second each, at 120 qpm,
     * 4 steps per quarter, 2 chords per bar -> one frame per second (8 steps). */
    static const int four[4][3] = {{60, 64, 67}, {62, 65, 69}, {60, 65, 69}, {59, 62, 67}};
    music_seq seq;
    quantized_4_4(&seq);
    add_triads(&seq, four, 4, 1.0);
    params.chords_per_bar = 2;
    CHECK(music_chords_infer(&seq, &params, why) == MUSIC_OK, "%s", why);
    const char *names[] = {"C", "Dm", "F", "G"};
    CHECK(seq.chords.count == 4, "%d chords", seq.chords.count);
    for (int i = 0; i < seq.chords.count && i < 4; i++) {
        CHECK(strcmp(seq.chords.items[i].name, names[i]) == 0, "chord %d: %s", i, seq.chords.items[i].name);
        CHECK(seq.chords.items[i].time == i * 1.0 && seq.chords.items[i].step == 8 * i, "chord %d at %g / %d", i,
              seq.chords.items[i].time, seq.chords.items[i].step);
    }
    /* A second run: SequenceAlreadyHasChordsError. */
    CHECK(music_chords_infer(&seq, &params, why) == MUSIC_ERR_ARGUMENT && strstr(why, "already"), "%s", why);
    music_seq_free(&seq);

    /* testInferChordsForSequenceAddKeySignatures: C Dm F G then F# G#m B C#: keys C at 0, F# at 4. */
    static const int eight[8][3] = {{60, 64, 67}, {62, 65, 69}, {60, 65, 69}, {59, 62, 67},
                                    {66, 70, 73}, {68, 71, 75}, {66, 71, 75}, {65, 68, 73}};
    quantized_4_4(&seq);
    add_triads(&seq, eight, 8, 1.0);
    music_seq_add_key_signature(&seq, 0.0, 3, 1); /* replaced, as Magenta deletes them */
    params.add_key_signatures = true;
    CHECK(music_chords_infer(&seq, &params, why) == MUSIC_OK, "%s", why);
    CHECK(seq.key_signatures.count == 2, "%d keys", seq.key_signatures.count);
    if (seq.key_signatures.count == 2)
        CHECK(seq.key_signatures.items[0].key == 0 && seq.key_signatures.items[0].time == 0.0 &&
                  seq.key_signatures.items[1].key == 6 && seq.key_signatures.items[1].time == 4.0,
              "keys %d@%g %d@%g", seq.key_signatures.items[0].key, seq.key_signatures.items[0].time,
              seq.key_signatures.items[1].key, seq.key_signatures.items[1].time);
    /* Its chords (the test checks only the keys): the eight triads, named with
     * chord_inference._PITCH_CLASS_NAMES, where G# is spelled Ab. */
    const char *names8[] = {"C", "Dm", "F", "G", "F#", "Abm", "B", "C#"};
    CHECK(seq.chords.count == 8, "%d chords", seq.chords.count);
    for (int i = 0; i < seq.chords.count && i < 8; i++)
        CHECK(strcmp(seq.chords.items[i].name, names8[i]) == 0, "chord %d: %s", i, seq.chords.items[i].name);
    music_seq_free(&seq);
    params.add_key_signatures = false;

    /* testInferChordsForSequenceWithBeats: Magenta's beat path, frames between the unique
     * interior beats 1.1, 1.9, 3.0 (of 0.0, 1.1, 1.9, 1.9, 3.0), total time 4.5. */
    music_seq_init(&seq);
    static const double bounds[5] = {0.0, 1.1, 1.9, 3.0, 4.5};
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 3; k++)
            add_note(&seq, four[i][k], bounds[i], bounds[i + 1]);
    double v[4][12];
    int keys[4];
    char frame_names[4][MUSIC_CHORD_NAME_MAX + 1];
    CHECK(music_chords_pitch_vectors(&seq, bounds + 1, 3, v) == MUSIC_OK, "vectors");
    CHECK(music_chords_infer_frames((const double (*)[12])v, 4, &params, keys, frame_names, why) == MUSIC_OK, "%s",
          why);
    for (int i = 0; i < 4; i++)
        CHECK(strcmp(frame_names[i], names[i]) == 0, "beat frame %d: %s", i, frame_names[i]);
    music_seq_free(&seq);

    /* The errors of infer_chords_for_sequence. */
    quantized_4_4(&seq);
    params.chords_per_bar = 0;
    CHECK(music_chords_infer(&seq, &params, why) == MUSIC_ERR_ARGUMENT && strstr(why, "empty"), "%s", why);
    add_note(&seq, 60, 0.0, 1.0);
    seq.time_signatures.items[0].numerator = 5; /* 5/4 has no default: UncommonTimeSignatureError */
    CHECK(music_chords_infer(&seq, &params, why) == MUSIC_ERR_UNSUPPORTED && strstr(why, "(5, 4)"), "%s", why);
    params.chords_per_bar = 3; /* 20 steps / 3: NonIntegerStepsPerChordError */
    CHECK(music_chords_infer(&seq, &params, why) == MUSIC_ERR_QUANTIZE && strstr(why, "steps per chord"), "%s", why);
    seq.time_signatures.items[0].numerator = 4;
    params.chords_per_bar = 2;
    add_note(&seq, 60, 0.0, 1001.0); /* 1001 one-second frames: SequenceTooLongError */
    CHECK(music_chords_infer(&seq, &params, why) == MUSIC_ERR_RANGE && strstr(why, "1001"), "%s", why);
    seq.steps_per_quarter = 0; /* not quantized and no beats: QuantizationStatusError */
    CHECK(music_chords_infer(&seq, &params, why) == MUSIC_ERR_ARGUMENT && strstr(why, "quantized"), "%s", why);
    music_seq_free(&seq);
}

int main(void)
{
    test_transpose();
    test_pitches_to_chord_symbol();
    test_chord_symbol_pitches();
    test_root_bass_quality();
    test_parse_details();
    test_round_trips();
    test_one_hot_encodings();
    test_pitch_encoding();
    test_improv_sizes();
    test_progressions();
    test_pitch_vectors();
    test_inference();
    printf("chords: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
