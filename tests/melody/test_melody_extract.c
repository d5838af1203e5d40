/* test_melody_extract.c — melody extraction, lengths, slices, keys and squash, against the
 * cases of note_seq's melodies_lib_test.py and magenta's melody_pipelines_test.py (each test
 * names the Python test it ports).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "../music_check.h"
#include "music.h"

#include <math.h>
#include <string.h>

#define NO MUSIC_MELODY_NO_EVENT
#define OFF MUSIC_MELODY_NOTE_OFF
#define LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))


static int buffer[4096];

/* Melody.from_quantized_sequence with its own defaults (gap 1 bar, polyphony refused). */
static music_status from_quantized(const music_seq *seq, int search_start_step, bool ignore_polyphonic,
                                   music_melody *m, bool *polyphonic)
{
    music_melody_options o;
    music_melody_options_default(&o);
    o.search_start_step = search_start_step;
    o.ignore_polyphonic_notes = ignore_polyphonic;
    memset(m, 0, sizeof *m);
    m->events = buffer;
    m->capacity = LEN(buffer);
    char why[MUSIC_MESSAGE_SIZE];
    return music_melody_from_quantized(seq, &o, m, polyphonic, why);
}

/* melodies_lib_test.testFromQuantizedNoteSequence and ...NotCommonTimeSig */
static void test_from_quantized(void)
{
    static const int want[] = {12, 11, OFF, NO, NO, NO, NO, NO, NO, NO, 40, NO, NO, NO, OFF, NO, 55, OFF, NO, 52};
    for (int sig = 0; sig < 2; sig++) {
        music_seq seq;
        char why[MUSIC_MESSAGE_SIZE];
        music_melody m;
        bool poly;
        setup(&seq);
        if (sig) {
            seq.time_signatures.items[0].numerator = 7;
            seq.time_signatures.items[0].denominator = 8;
        }
        add_track(&seq, 0, five_notes, 5, false);
        CHECK_INT(music_seq_quantize_relative(&seq, 4, why), MUSIC_OK);
        CHECK_INT(from_quantized(&seq, 0, false, &m, &poly), MUSIC_OK);
        CHECK_EVENTS(m.events, m.length, want, LEN(want));
        CHECK_INT(m.steps_per_bar, sig ? 14 : 16);
        CHECK(!poly);
        music_seq_free(&seq);
    }

    /* The same melody from a sequence built already quantized (steps from
     * sequences_lib_test.testQuantizeNoteSequence), with no time signature (4/4 implied). */
    music_seq seq;
    music_seq_init(&seq);
    static const int steps[][3] = {{12, 0, 40}, {11, 1, 2}, {40, 10, 14}, {55, 16, 17}, {52, 19, 20}};
    for (int i = 0; i < 5; i++) {
        music_note n = {.pitch = (uint8_t)steps[i][0], .velocity = 100};
        n.start_step = steps[i][1];
        n.end_step = steps[i][2];
        music_seq_add_note(&seq, &n);
    }
    seq.steps_per_quarter = 4;
    music_melody m;
    bool poly;
    CHECK_INT(from_quantized(&seq, 0, false, &m, &poly), MUSIC_OK);
    CHECK_EVENTS(m.events, m.length, want, LEN(want));
    CHECK_INT(m.steps_per_bar, 16);
    CHECK_INT(m.steps_per_quarter, 4);
    CHECK_INT(m.start_step, 0);
    CHECK_INT(m.end_step, 20);
    /* A caller buffer too small: building needs the last end step + 1 = 41 events (the first
     * note runs to step 40 until the next cuts it). */
    m.capacity = 40;
    char why[MUSIC_MESSAGE_SIZE];
    music_melody_options o;
    music_melody_options_default(&o);
    CHECK_INT(music_melody_from_quantized(&seq, &o, &m, &poly, why), MUSIC_ERR_FULL);
    m.capacity = 41;
    CHECK_INT(music_melody_from_quantized(&seq, &o, &m, &poly, why), MUSIC_OK);
    /* Not quantized relative to the tempo. */
    seq.steps_per_quarter = 0;
    CHECK_INT(music_melody_from_quantized(&seq, &o, &m, &poly, why), MUSIC_ERR_ARGUMENT);
    music_seq_free(&seq);
}

/* melodies_lib_test.testFromNotesPolyphonic, ...WithIgnorePolyphonicNotes, testFromNotesChord */
static void test_polyphony(void)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    music_melody m;
    bool poly;
    setup(&seq);
    static const double a[][4] = {{12, 100, 0.0, 10.0}, {11, 55, 0.0, 0.50}};
    add_track(&seq, 0, a, 2, false);
    CHECK_INT(music_seq_quantize_relative(&seq, 4, why), MUSIC_OK);
    CHECK_INT(from_quantized(&seq, 0, false, &m, &poly), MUSIC_OK);
    CHECK(poly);
    CHECK_INT(m.length, 0);
    music_seq_free(&seq);

    setup(&seq);
    static const double b[][4] = {{12, 100, 0.0, 2.0}, {19, 100, 0.0, 3.0}, {12, 100, 1.0, 3.0}, {19, 100, 1.0, 4.0}};
    add_track(&seq, 0, b, 4, false);
    CHECK_INT(music_seq_quantize_relative(&seq, 4, why), MUSIC_OK);
    CHECK_INT(from_quantized(&seq, 0, true, &m, &poly), MUSIC_OK);
    static const int want_b[] = {19, NO, NO, NO, 19, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO};
    CHECK(!poly);
    CHECK_EVENTS(m.events, m.length, want_b, LEN(want_b));
    CHECK_INT(m.steps_per_bar, 16);
    music_seq_free(&seq);

    setup(&seq);
    static const double c[][4] = {{12, 100, 1, 1.25}, {19, 100, 1, 1.25}, {20, 100, 1, 1.25}, {25, 100, 1, 1.25}};
    add_track(&seq, 0, c, 4, false);
    CHECK_INT(music_seq_quantize_relative(&seq, 4, why), MUSIC_OK);
    CHECK_INT(from_quantized(&seq, 0, false, &m, &poly), MUSIC_OK);
    CHECK(poly);
    CHECK_INT(m.length, 0);
    music_seq_free(&seq);
}

/* melodies_lib_test.testFromNotesTrimEmptyMeasures, testFromNotesTimeOverlap,
 * testFromNotesStepsPerBar, testFromNotesStartAndEndStep */
static void test_from_notes(void)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    music_melody m;
    bool poly;

    setup(&seq);
    static const double trim[][4] = {{12, 100, 1.5, 1.75}, {11, 100, 2, 2.25}};
    add_track(&seq, 0, trim, 2, false);
    CHECK_INT(music_seq_quantize_relative(&seq, 4, why), MUSIC_OK);
    CHECK_INT(from_quantized(&seq, 0, false, &m, &poly), MUSIC_OK);
    static const int want_trim[] = {NO, NO, NO, NO, NO, NO, 12, OFF, 11};
    CHECK_EVENTS(m.events, m.length, want_trim, LEN(want_trim));
    music_seq_free(&seq);

    setup(&seq);
    static const double overlap[][4] = {{12, 100, 1, 2}, {11, 100, 3.25, 3.75}, {13, 100, 2, 4}};
    add_track(&seq, 0, overlap, 3, false);
    CHECK_INT(music_seq_quantize_relative(&seq, 4, why), MUSIC_OK);
    CHECK_INT(from_quantized(&seq, 0, false, &m, &poly), MUSIC_OK);
    static const int want_overlap[] = {NO, NO, NO, NO, 12, NO, NO, NO, 13, NO, NO, NO, NO, 11, NO};
    CHECK_EVENTS(m.events, m.length, want_overlap, LEN(want_overlap));
    music_seq_free(&seq);

    setup(&seq);
    seq.time_signatures.items[0].numerator = 7;
    seq.time_signatures.items[0].denominator = 8;
    CHECK_INT(music_seq_quantize_relative(&seq, 12, why), MUSIC_OK);
    CHECK_INT(from_quantized(&seq, 0, false, &m, &poly), MUSIC_OK);
    CHECK_INT(m.steps_per_bar, 42);
    CHECK_INT(m.length, 0);
    music_seq_free(&seq);

    setup(&seq);
    static const double se[][4] = {
        {12, 100, 1, 2}, {11, 100, 2.25, 2.5}, {13, 100, 3.25, 3.75}, {14, 100, 8.75, 9}, {15, 100, 9.25, 10.75}};
    add_track(&seq, 0, se, 5, false);
    CHECK_INT(music_seq_quantize_relative(&seq, 4, why), MUSIC_OK);
    CHECK_INT(from_quantized(&seq, 18, false, &m, &poly), MUSIC_OK);
    static const int want_se[] = {NO, 14, OFF, 15, NO, NO, NO, NO, NO};
    CHECK_EVENTS(m.events, m.length, want_se, LEN(want_se));
    CHECK_INT(m.start_step, 34);
    CHECK_INT(m.end_step, 43);
    music_seq_free(&seq);

    /* A bar of 3/8 at 1 step per quarter is 1.5 steps: NonIntegerStepsPerBarError. */
    setup(&seq);
    seq.time_signatures.items[0].numerator = 3;
    seq.time_signatures.items[0].denominator = 8;
    add_track(&seq, 0, trim, 2, false);
    CHECK_INT(music_seq_quantize_relative(&seq, 1, why), MUSIC_OK);
    CHECK_INT(from_quantized(&seq, 0, false, &m, &poly), MUSIC_ERR_UNSUPPORTED);
    music_melody_options o;
    music_melody_options_default(&o);
    int count;
    music_melody_stats stats;
    music_melody out[4];
    CHECK_INT(music_melody_extract(&seq, &o, buffer, LEN(buffer), out, 4, &count, &stats, why), MUSIC_ERR_UNSUPPORTED);
    CHECK(strstr(why, "1.5 steps per bar") != NULL);
    CHECK_INT(stats.non_integer_steps_per_bar, 1); /* MelodyExtractor's counter */
    music_seq_free(&seq);
}

/* melodies_lib_test.testSetLength and testSlice */
static void test_set_length_and_slice(void)
{
    int ev[8] = {60};
    music_melody m = {.events = ev, .capacity = 8, .length = 1, .start_step = 9, .end_step = 10};
    CHECK_INT(music_melody_set_length(&m, 5, false), MUSIC_OK);
    static const int w1[] = {60, OFF, NO, NO, NO};
    CHECK_EVENTS(m.events, m.length, w1, 5);
    CHECK_INT(m.start_step, 9);
    CHECK_INT(m.end_step, 14);

    m = (music_melody){.events = ev, .capacity = 8, .length = 1, .start_step = 9, .end_step = 10};
    ev[0] = 60;
    CHECK_INT(music_melody_set_length(&m, 5, true), MUSIC_OK);
    static const int w2[] = {NO, NO, NO, NO, 60};
    CHECK_EVENTS(m.events, m.length, w2, 5);
    CHECK_INT(m.start_step, 5);
    CHECK_INT(m.end_step, 10);

    static const int four[] = {60, NO, NO, OFF};
    memcpy(ev, four, sizeof four);
    m = (music_melody){.events = ev, .capacity = 8, .length = 4, .start_step = 0, .end_step = 4};
    CHECK_INT(music_melody_set_length(&m, 3, false), MUSIC_OK);
    static const int w3[] = {60, NO, NO};
    CHECK_EVENTS(m.events, m.length, w3, 3);
    CHECK_INT(m.end_step, 3);

    memcpy(ev, four, sizeof four);
    m = (music_melody){.events = ev, .capacity = 8, .length = 4, .start_step = 0, .end_step = 4};
    CHECK_INT(music_melody_set_length(&m, 3, true), MUSIC_OK);
    static const int w4[] = {NO, NO, OFF};
    CHECK_EVENTS(m.events, m.length, w4, 3);
    CHECK_INT(m.start_step, 1);
    CHECK_INT(m.end_step, 4);
    CHECK_INT(music_melody_set_length(&m, 9, false), MUSIC_ERR_FULL);

    /* testSlice: 1 step per quarter at 60 qpm, one step per second. */
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    bool poly;
    setup(&seq);
    static const double notes[][4] = {{12, 100, 1, 3}, {11, 100, 5, 7}, {13, 100, 9, 10}};
    add_track(&seq, 0, notes, 3, false);
    CHECK_INT(music_seq_quantize_relative(&seq, 1, why), MUSIC_OK);
    CHECK_INT(from_quantized(&seq, 0, false, &m, &poly), MUSIC_OK);
    static const int want[] = {NO, 12, NO, OFF, NO, 11, NO, OFF, NO, 13};
    CHECK_EVENTS(m.events, m.length, want, LEN(want));
    int sev[16];
    music_melody s = {.events = sev, .capacity = 16};
    CHECK_INT(music_melody_slice(&m, 2, m.length - 1, &s), MUSIC_OK); /* melody[2:-1] */
    static const int want_slice[] = {NO, NO, NO, 11, NO, OFF, NO};
    CHECK_EVENTS(s.events, s.length, want_slice, LEN(want_slice));
    CHECK_INT(s.start_step, 2);
    CHECK_INT(s.end_step, 9);
    music_seq_free(&seq);
}

/* melodies_lib_test.testGetKeyHistogram and testGetMajorKey (the note histogram of
 * testGetNoteHistogram is internal to the key histogram). */
static void test_keys(void)
{
    int h[12];
    static const int one_c[] = {NO, 60, OFF};
    static const int want1[] = {1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0};
    music_melody_major_key_histogram(one_c, 3, h);
    CHECK_EVENTS(h, 12, want1, 12);
    static const int c_cs[] = {NO, 60, OFF, 85, OFF};
    static const int want2[] = {1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1};
    music_melody_major_key_histogram(c_cs, 5, h);
    CHECK_EVENTS(h, 12, want2, 12);
    static const int c_cs_d[] = {NO, 60, OFF, 85, NO, 110};
    static const int want3[] = {2, 2, 2, 2, 1, 2, 1, 2, 2, 2, 2, 1};
    music_melody_major_key_histogram(c_cs_d, 6, h);
    CHECK_EVENTS(h, 12, want3, 12);

    static const int d_major[] = {NO, 26, 40, 61, 78, 59, 45, 67, OFF};
    CHECK_INT(music_melody_major_key(d_major, LEN(d_major)), 2);
    static const int cs_major[] = {NO, 25, 56, 65, 78, 39, 35, 46, 60, 32, 49, 41, 69, 51, OFF};
    CHECK_INT(music_melody_major_key(cs_major, LEN(cs_major)), 1);
    static const int one_b[] = {NO, 35, OFF};
    CHECK_INT(music_melody_major_key(one_b, 3), 0);
}

/* melodies_lib_test.testTranspose, testSquash, testSquashCenterOctaves, testSquashMaxNote,
 * testSquashAllNotesOff */
static void test_transpose_and_squash(void)
{
    int ev[16];
    music_melody m = {.events = ev, .capacity = 16};
#define LOAD(...)                                                                                  \
    do {                                                                                           \
        static const int src_[] = {__VA_ARGS__};                                                   \
        memcpy(ev, src_, sizeof src_);                                                             \
        m.length = LEN(src_);                                                                      \
    } while (0)

    LOAD(64, NO, 65, OFF, 72, NO);
    music_melody_transpose(&m, -5, 60, 84);
    static const int t1[] = {71, NO, 60, OFF, 67, NO};
    CHECK_EVENTS(ev, m.length, t1, 6);
    LOAD(64, NO, 65, OFF, 72, NO);
    music_melody_transpose(&m, 19, 60, 84);
    static const int t2[] = {83, NO, 72, OFF, 79, NO};
    CHECK_EVENTS(ev, m.length, t2, 6);
    LOAD(59, 60, 71, OFF, 72, NO);
    music_melody_transpose(&m, 0, 60, 72);
    static const int t3[] = {71, 60, 71, OFF, 60, NO};
    CHECK_EVENTS(ev, m.length, t3, 6);

    LOAD(60, NO, 62, OFF, 76, NO);
    music_melody_squash(&m, 60, 72, 0);
    static const int s1[] = {60, NO, 62, OFF, 64, NO};
    CHECK_EVENTS(ev, m.length, s1, 6);
    LOAD(62, 64, 79, 78, 61);
    music_melody_squash(&m, 60, 72, 0);
    static const int s2[] = {60, 62, 65, 64, 71};
    CHECK_EVENTS(ev, m.length, s2, 5);
    LOAD(62, 64, 79, 78, 59);
    music_melody_squash(&m, 60, 72, 4);
    static const int s3[] = {64, 66, 69, 68, 61};
    CHECK_EVENTS(ev, m.length, s3, 5);

    LOAD(48, NO, 50, OFF, 52, NO, 53, 62, 47, OFF);
    CHECK_INT(music_melody_squash(&m, 48, 84, 0), 12);
    static const int c1[] = {60, NO, 62, OFF, 64, NO, 65, 74, 59, OFF};
    CHECK_EVENTS(ev, m.length, c1, 10);
    LOAD(72, NO, 74, OFF, 76, NO, 77, 86, 71, OFF);
    CHECK_INT(music_melody_squash(&m, 48, 84, 0), -12);
    CHECK_EVENTS(ev, m.length, c1, 10);

    LOAD(60, 62, 64, 65, 71, 72, 73);
    music_melody_squash(&m, 60, 72, 0);
    static const int mx[] = {60, 62, 64, 65, 71, 60, 61};
    CHECK_EVENTS(ev, m.length, mx, 7);

    LOAD(NO, NO, NO, NO);
    CHECK_INT(music_melody_squash(&m, 48, 84, 0), 0);
    static const int off[] = {NO, NO, NO, NO};
    CHECK_EVENTS(ev, m.length, off, 4);

    /* Halves round to even, as Python 3's round() does. D and A (key C first, key_diff 0);
     * target centre (48 + 84 - 1) / 2 = 65.5. Notes 50, 69: centre 59.5, center_diff 6,
     * 6 / 12 = 0.5 -> 0. Notes 62, 81: -0.5 -> 0 (C's round() would give -1). Notes 26, 45:
     * centre 35.5, 30 / 12 = 2.5 -> 2, amount 24. */
    LOAD(50, 69);
    CHECK_INT(music_melody_squash(&m, 48, 84, 0), 0);
    LOAD(62, 81);
    CHECK_INT(music_melody_squash(&m, 48, 84, 0), 0);
    LOAD(26, 45);
    CHECK_INT(music_melody_squash(&m, 48, 84, 0), 24);
    static const int sq[] = {50, 69};
    CHECK_EVENTS(ev, m.length, sq, 2);
#undef LOAD
}

static music_status extract(const music_seq *seq, const music_melody_options *o, music_melody *out, int *count,
                            music_melody_stats *stats)
{
    char why[MUSIC_MESSAGE_SIZE];
    return music_melody_extract(seq, o, buffer, LEN(buffer), out, 8, count, stats, why);
}

static void quantized(music_seq *seq, int steps_per_quarter)
{
    char why[MUSIC_MESSAGE_SIZE];
    CHECK_INT(music_seq_quantize_relative(seq, steps_per_quarter, why), MUSIC_OK);
}

/* Options as the Python tests pass them to extract_melodies. */
static music_melody_options opts(int min_bars, double gap_bars, int min_unique, bool ignore_poly)
{
    music_melody_options o;
    music_melody_options_default(&o);
    o.min_bars = min_bars;
    o.gap_bars = gap_bars;
    o.min_unique_pitches = min_unique;
    o.ignore_polyphonic_notes = ignore_poly;
    return o;
}

/* melody_pipelines_test.testMelodyExtractor (MelodyExtractor: max_steps 512, polyphony refused)
 * and testExtractMelodiesSimple. Python compares sets / sorted lists; here melodies come in
 * ascending instrument order, which is also their sorted order in these cases. */
static void test_extract_simple(void)
{
    music_seq seq;
    music_melody out[8];
    music_melody_stats stats;
    int count;
    setup(&seq);
    static const double t0[][4] = {{12, 100, 2, 4}, {11, 1, 6, 7}};
    static const double t1[][4] = {{12, 127, 2, 4}, {14, 50, 6, 8}};
    add_track(&seq, 0, t0, 2, false);
    add_track(&seq, 1, t1, 2, false);
    quantized(&seq, 1);
    music_melody_options o;
    music_melody_options_melody_rnn(&o);
    o.min_bars = 1;
    o.min_unique_pitches = 1;
    CHECK_INT(extract(&seq, &o, out, &count, &stats), MUSIC_OK);
    CHECK_INT(count, 2);
    static const int w0[] = {NO, NO, 12, NO, OFF, NO, 11};
    static const int w1[] = {NO, NO, 12, NO, OFF, NO, 14, NO};
    CHECK_EVENTS(out[0].events, out[0].length, w0, LEN(w0));
    CHECK_EVENTS(out[1].events, out[1].length, w1, LEN(w1));
    CHECK_INT(out[0].steps_per_bar, 4);
    CHECK_INT(out[0].steps_per_quarter, 1);
    music_seq_free(&seq);

    setup(&seq);
    static const double s1[][4] = {{12, 127, 2, 4}, {14, 50, 6, 9}};
    static const double d9[][4] = {{13, 100, 2, 4}, {15, 25, 6, 8}};
    add_track(&seq, 0, t0, 2, false);
    add_track(&seq, 1, s1, 2, false);
    add_track(&seq, 9, d9, 2, true);
    quantized(&seq, 1);
    o = opts(1, 1, 2, true);
    CHECK_INT(extract(&seq, &o, out, &count, &stats), MUSIC_OK);
    CHECK_INT(count, 2);
    static const int v1[] = {NO, NO, 12, NO, OFF, NO, 14, NO, NO};
    CHECK_EVENTS(out[0].events, out[0].length, w0, LEN(w0));
    CHECK_EVENTS(out[1].events, out[1].length, v1, LEN(v1));
    /* Without filter_drums, instrument 9 gives a third melody. */
    o.filter_drums = false;
    CHECK_INT(extract(&seq, &o, out, &count, &stats), MUSIC_OK);
    CHECK_INT(count, 3);
    music_seq_free(&seq);
}

/* melody_pipelines_test.testExtractMultipleMelodiesFromSameTrack */
static void test_extract_multiple(void)
{
    music_seq seq;
    music_melody out[8];
    music_melody_stats stats;
    int count;
    setup(&seq);
    static const double t0[][4] = {{12, 100, 2, 4}, {11, 1, 6, 11}};
    static const double t1[][4] = {{12, 127, 2, 4}, {14, 50, 6, 8}, {50, 100, 33, 37}, {52, 100, 34, 37}};
    add_track(&seq, 0, t0, 2, false);
    add_track(&seq, 1, t1, 4, false);
    quantized(&seq, 1);
    music_melody_options o = opts(1, 2, 2, true);
    CHECK_INT(extract(&seq, &o, out, &count, &stats), MUSIC_OK);
    CHECK_INT(count, 3);
    static const int w0[] = {NO, NO, 12, NO, OFF, NO, 11, NO, NO, NO, NO};
    static const int w1[] = {NO, NO, 12, NO, OFF, NO, 14, NO};
    static const int w2[] = {NO, 50, 52, NO, NO};
    CHECK_EVENTS(out[0].events, out[0].length, w0, LEN(w0));
    CHECK_EVENTS(out[1].events, out[1].length, w1, LEN(w1));
    CHECK_EVENTS(out[2].events, out[2].length, w2, LEN(w2));
    /* the second melody of instrument 1 starts on the bar line before step 33 */
    CHECK_INT(out[2].start_step, 32);
    CHECK_INT(out[2].end_step, 37);

    /* Not enough room: the count still says how many were found. */
    char why[MUSIC_MESSAGE_SIZE];
    CHECK_INT(music_melody_extract(&seq, &o, buffer, 20, out, 8, &count, &stats, why), MUSIC_ERR_FULL);
    CHECK_INT(count, 3);
    CHECK_INT(music_melody_extract(&seq, &o, buffer, LEN(buffer), out, 2, &count, &stats, why), MUSIC_ERR_FULL);
    CHECK_INT(count, 3);
    music_seq_free(&seq);
}

/* melody_pipelines_test.testExtractMelodiesMelodyTooShort and testExtractMelodiesPadEnd */
static void test_extract_short_and_pad(void)
{
    music_seq seq;
    music_melody out[8];
    music_melody_stats stats;
    int count;
    setup(&seq);
    static const double t0[][4] = {{12, 127, 2, 4}, {14, 50, 6, 7}};
    static const double t1[][4] = {{12, 127, 2, 4}, {14, 50, 6, 8}};
    static const double t2[][4] = {{12, 127, 2, 4}, {14, 50, 6, 9}};
    add_track(&seq, 0, t0, 2, false);
    add_track(&seq, 1, t1, 2, false);
    add_track(&seq, 2, t2, 2, false);
    quantized(&seq, 1);
    music_melody_options o = opts(2, 1, 2, true);
    CHECK_INT(extract(&seq, &o, out, &count, &stats), MUSIC_OK);
    CHECK_INT(count, 2);
    static const int s1[] = {NO, NO, 12, NO, OFF, NO, 14, NO};
    static const int s2[] = {NO, NO, 12, NO, OFF, NO, 14, NO, NO};
    CHECK_EVENTS(out[0].events, out[0].length, s1, LEN(s1));
    CHECK_EVENTS(out[1].events, out[1].length, s2, LEN(s2));
    CHECK_INT(stats.melodies_discarded_too_short, 1);

    o = opts(1, 1, 2, true);
    o.pad_end = true;
    CHECK_INT(extract(&seq, &o, out, &count, &stats), MUSIC_OK);
    CHECK_INT(count, 3);
    static const int p0[] = {NO, NO, 12, NO, OFF, NO, 14, OFF};
    static const int p1[] = {NO, NO, 12, NO, OFF, NO, 14, NO};
    static const int p2[] = {NO, NO, 12, NO, OFF, NO, 14, NO, NO, OFF, NO, NO};
    CHECK_EVENTS(out[0].events, out[0].length, p0, LEN(p0));
    CHECK_EVENTS(out[1].events, out[1].length, p1, LEN(p1));
    CHECK_EVENTS(out[2].events, out[2].length, p2, LEN(p2));
    music_seq_free(&seq);
}

/* melody_pipelines_test.testExtractMelodiesMelodyTooLong and ...TooLongWithPad */
static void test_extract_too_long(void)
{
    music_seq seq;
    music_melody out[8];
    music_melody_stats stats;
    int count;
    setup(&seq);
    static const double t0[][4] = {{12, 127, 2, 4}, {14, 50, 6, 15}};
    static const double t1[][4] = {{12, 127, 2, 4}, {14, 50, 6, 18}};
    add_track(&seq, 0, t0, 2, false);
    add_track(&seq, 1, t1, 2, false);
    quantized(&seq, 1);
    music_melody_options o = opts(1, 1, 2, true);
    o.max_steps_truncate = 14;
    o.max_steps_discard = 18;
    CHECK_INT(extract(&seq, &o, out, &count, &stats), MUSIC_OK);
    CHECK_INT(count, 2);
    static const int w[] = {NO, NO, 12, NO, OFF, NO, 14, NO, NO, NO, NO, NO, NO, NO};
    CHECK_EVENTS(out[0].events, out[0].length, w, LEN(w));
    CHECK_EVENTS(out[1].events, out[1].length, w, LEN(w));
    CHECK_INT(stats.melodies_truncated, 2);

    o.pad_end = true;
    CHECK_INT(extract(&seq, &o, out, &count, &stats), MUSIC_OK);
    CHECK_INT(count, 1);
    static const int wp[] = {NO, NO, 12, NO, OFF, NO, 14, NO, NO, NO, NO, NO};
    CHECK_EVENTS(out[0].events, out[0].length, wp, LEN(wp));
    CHECK_INT(stats.melodies_discarded_too_long, 1); /* instrument 1 pads to 20 > 18 */
    music_seq_free(&seq);
}

/* melody_pipelines_test.testExtractMelodiesTooFewPitches and testExtractMelodiesLateStart */
static void test_extract_pitches_and_late_start(void)
{
    music_seq seq;
    music_melody out[8];
    music_melody_stats stats;
    int count;
    setup(&seq);
    static const double t0[][4] = {{12, 100, 0, 1}, {13, 100, 1, 2}, {18, 100, 2, 3}, {24, 100, 3, 4}, {25, 100, 4, 5}};
    static const double t1[][4] = {{12, 100, 0, 1}, {13, 100, 1, 2}, {18, 100, 2, 3}, {25, 100, 3, 4}, {26, 100, 4, 5}};
    add_track(&seq, 0, t0, 5, false);
    add_track(&seq, 1, t1, 5, false);
    quantized(&seq, 1);
    music_melody_options o = opts(1, 1, 4, true);
    CHECK_INT(extract(&seq, &o, out, &count, &stats), MUSIC_OK);
    CHECK_INT(count, 1);
    static const int w[] = {12, 13, 18, 25, 26};
    CHECK_EVENTS(out[0].events, out[0].length, w, LEN(w));
    CHECK_INT(stats.melodies_discarded_too_few_pitches, 1);
    music_seq_free(&seq);

    setup(&seq);
    static const double l0[][4] = {{12, 100, 102, 103}, {13, 100, 104, 106}};
    static const double l1[][4] = {{12, 100, 100, 101}, {13, 100, 102, 105}};
    add_track(&seq, 0, l0, 2, false);
    add_track(&seq, 1, l1, 2, false);
    quantized(&seq, 1);
    o = opts(1, 1, 2, true);
    CHECK_INT(extract(&seq, &o, out, &count, &stats), MUSIC_OK);
    CHECK_INT(count, 2);
    static const int a[] = {NO, NO, 12, OFF, 13, NO};
    static const int b[] = {12, OFF, 13, NO, NO};
    CHECK_EVENTS(out[0].events, out[0].length, a, LEN(a));
    CHECK_EVENTS(out[1].events, out[1].length, b, LEN(b));
    CHECK_INT(out[0].start_step, 100);
    music_seq_free(&seq);
}

/* melody_pipelines_test.testExtractMelodiesStatistics: one polyphonic track, one melody too
 * short, one with too few pitches; the one kept is 42 steps (10 bars: the histogram's bucket
 * 10 holds it). */
static void test_extract_statistics(void)
{
    music_seq seq;
    music_melody out[8];
    music_melody_stats stats;
    int count;
    setup(&seq);
    static const double t0[][4] = {{12, 100, 2, 4},  {11, 1, 6, 7},    {10, 100, 8, 10},
                                   {9, 100, 11, 14}, {8, 100, 16, 40}, {7, 100, 41, 42}};
    static const double t1[][4] = {{12, 127, 2, 4}, {14, 50, 2, 8}};
    static const double t2[][4] = {{12, 127, 0, 1}};
    static const double t3[][4] = {{12, 127, 2, 4}, {12, 50, 6, 8}};
    add_track(&seq, 0, t0, 6, false);
    add_track(&seq, 1, t1, 2, false);
    add_track(&seq, 2, t2, 1, false);
    add_track(&seq, 3, t3, 2, false);
    quantized(&seq, 1);
    music_melody_options o = opts(1, 1, 2, false);
    CHECK_INT(extract(&seq, &o, out, &count, &stats), MUSIC_OK);
    CHECK_INT(stats.polyphonic_tracks_discarded, 1);
    CHECK_INT(stats.melodies_discarded_too_short, 1);
    CHECK_INT(stats.melodies_discarded_too_few_pitches, 1);
    CHECK_INT(stats.melodies_discarded_too_long, 0);
    CHECK_INT(stats.melodies_truncated, 0);
    CHECK_INT(count, 1);
    CHECK_INT(out[0].length, 42);
    CHECK_INT(out[0].length / out[0].steps_per_bar, 10);
    music_seq_free(&seq);
}

/* MusicVAE's OneHotMelodyConverter (music_vae/data.py): notes outside 21..108 are dropped before
 * extraction, gap_bars 0 means a melody never ends at silence, pad_end on. Worked out from
 * from_quantized_sequence: 60 at steps 0..4, 62 at 40..44 (36 silent steps, no split); the
 * final NOTE_OFF is stripped (length 44), then padding to 48 puts it back at step 44. */
static void test_music_vae_options(void)
{
    music_seq seq;
    music_melody out[8];
    music_melody_stats stats;
    int count;
    music_seq_init(&seq);
    static const int notes[][3] = {{60, 0, 4}, {10, 4, 8}, {62, 40, 44}};
    for (int i = 0; i < 3; i++) {
        music_note n = {.pitch = (uint8_t)notes[i][0], .velocity = 90};
        n.start_step = notes[i][1];
        n.end_step = notes[i][2];
        music_seq_add_note(&seq, &n);
    }
    seq.steps_per_quarter = 4;
    music_melody_options o;
    music_melody_options_music_vae(&o, 0, 0.0, false);
    CHECK(isinf(o.gap_bars));
    CHECK_INT(extract(&seq, &o, out, &count, &stats), MUSIC_OK);
    CHECK_INT(count, 1);
    int want[48];
    for (int i = 0; i < 48; i++)
        want[i] = NO;
    want[0] = 60;
    want[4] = OFF;
    want[40] = 62;
    want[44] = OFF;
    CHECK_EVENTS(out[0].events, out[0].length, want, 48);
    /* With the default 1-bar gap the two notes are two melodies, each padded to a bar. */
    music_melody_options_default(&o);
    o.min_bars = 1;
    o.min_unique_pitches = 1;
    o.pad_end = true;
    CHECK_INT(extract(&seq, &o, out, &count, &stats), MUSIC_OK);
    /* 60 then the pitch-10 note (not filtered here) make one melody, 62 (a 2-bar gap) another */
    CHECK_INT(count, 2);
    music_seq_free(&seq);
}

int main(void)
{
    test_from_quantized();
    test_polyphony();
    test_from_notes();
    test_set_length_and_slice();
    test_keys();
    test_transpose_and_squash();
    test_extract_simple();
    test_extract_multiple();
    test_extract_short_and_pad();
    test_extract_too_long();
    test_extract_pitches_and_late_start();
    test_extract_statistics();
    test_music_vae_options();
    return CHECK_SUMMARY("test_melody_extract");
}
