/* test_quantize.c — music_seq_quantize_relative/_absolute against the cases of note_seq's
 * sequences_lib_test.py (each test names the Python test it ports).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "../music_check.h"
#include "music.h"

#include <string.h>


static void check_steps(const music_seq *seq, const int (*want)[2], int count, int line)
{
    CHECK_INT(seq->notes.count, count);
    for (int i = 0; i < count && i < seq->notes.count; i++) {
        if (seq->notes.items[i].start_step != want[i][0] || seq->notes.items[i].end_step != want[i][1])
            fprintf(stderr, "  (from line %d) note %d\n", line, i);
        CHECK_INT(seq->notes.items[i].start_step, want[i][0]);
        CHECK_INT(seq->notes.items[i].end_step, want[i][1]);
    }
}

/* Quantize a copy (Magenta quantizes a deep copy and leaves its input alone). */
static music_status quantize_copy(const music_seq *seq, int steps_per_quarter, char *why)
{
    music_seq copy;
    music_status st = music_seq_copy(&copy, seq);
    if (st == MUSIC_OK)
        st = music_seq_quantize_relative(&copy, steps_per_quarter, why);
    music_seq_free(&copy);
    return st;
}

static void add_chords_and_controls(music_seq *seq)
{
    music_seq_add_chord(seq, 0.22, "B7");
    music_seq_add_chord(seq, 4.0, "Em9");
    music_control c = {.time = 2.0, .number = 64, .value = 127};
    music_seq_add_control(seq, &c);
    c.time = 4.0;
    c.value = 0;
    music_seq_add_control(seq, &c);
}

/* sequences_lib_test.testQuantizeNoteSequence */
static void test_quantize_note_sequence(void)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    setup(&seq);
    add_track(&seq, 0, five_notes, 5, false);
    add_chords_and_controls(&seq);
    CHECK_INT(music_seq_quantize_relative(&seq, 4, why), MUSIC_OK);
    static const int want[][2] = {{0, 40}, {1, 2}, {10, 14}, {16, 17}, {19, 20}};
    check_steps(&seq, want, 5, __LINE__);
    CHECK_INT(seq.chords.items[0].step, 1);
    CHECK_INT(seq.chords.items[1].step, 16);
    CHECK_INT(seq.controls.items[0].step, 8);
    CHECK_INT(seq.controls.items[1].step, 16);
    CHECK_INT(seq.steps_per_quarter, 4);
    CHECK_INT(seq.steps_per_second, 0);
    /* total_quantized_steps = quantize_to_step(total_time 10.0 s, 4 steps/s) = 40 */
    CHECK_INT(seq.total_steps, 40);
    music_seq_free(&seq);
}

/* sequences_lib_test.testQuantizeNoteSequenceAbsolute */
static void test_quantize_absolute(void)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    setup(&seq);
    add_track(&seq, 0, five_notes, 5, false);
    add_chords_and_controls(&seq);
    seq.steps_per_quarter = 4; /* the quantization_info oneof: set one, the other clears */
    CHECK_INT(music_seq_quantize_absolute(&seq, 4, why), MUSIC_OK);
    static const int want[][2] = {{0, 40}, {1, 2}, {10, 14}, {16, 17}, {19, 20}};
    check_steps(&seq, want, 5, __LINE__);
    CHECK_INT(seq.chords.items[0].step, 1);
    CHECK_INT(seq.chords.items[1].step, 16);
    CHECK_INT(seq.controls.items[0].step, 8);
    CHECK_INT(seq.controls.items[1].step, 16);
    CHECK_INT(seq.steps_per_second, 4);
    CHECK_INT(seq.steps_per_quarter, 0);
    /* quantize_note_sequence_absolute allows tempo changes and keeps them */
    music_seq_add_tempo(&seq, 3.0, 90.0);
    CHECK_INT(music_seq_quantize_absolute(&seq, 100, why), MUSIC_OK);
    CHECK_INT(seq.tempos.count, 2);
    CHECK_INT(seq.notes.items[0].start_step, 1); /* int(0.01 * 100 + 0.5) */
    CHECK_INT(seq.total_steps, 1000);
    music_seq_free(&seq);
}

/* sequences_lib_test.testQuantizeNoteSequence_TimeSignatureChange */
static void test_time_signature_change(void)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    setup(&seq);
    add_track(&seq, 0, five_notes, 5, false);
    seq.time_signatures.count = 0;
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_OK); /* no time signature */
    music_seq_add_time_signature(&seq, 0.0, 4, 4);
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_OK); /* single time signature */
    music_seq_add_time_signature(&seq, 1.0, 4, 4);
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_OK); /* several, no change */
    music_seq_add_time_signature(&seq, 2.0, 2, 4);
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_ERR_QUANTIZE); /* MultipleTimeSignatureError */
    CHECK(strstr(why, "time signature changes at 2 s from 4/4 to 2/4") != NULL);
    music_seq_free(&seq);
}

/* sequences_lib_test.testQuantizeNoteSequence_ImplicitTimeSignatureChange and
 * ..._NoImplicitTimeSignatureChangeOutOfOrder */
static void test_implicit_time_signature_change(void)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    setup(&seq);
    add_track(&seq, 0, five_notes, 5, false);
    seq.time_signatures.count = 0;
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_OK);
    music_seq_add_time_signature(&seq, 2.0, 2, 4);
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_ERR_QUANTIZE);
    CHECK(strstr(why, "implicit 4/4 to 2/4") != NULL);
    /* out of order: 2/4 at 2 s, then 2/4 at 0 s, is one time signature */
    music_seq_add_time_signature(&seq, 0.0, 2, 4);
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_OK);

    /* quantize_note_sequence compares the later signatures with the *stored* first one, not the
     * earliest: 3/4 at 1 s stored before 4/4 at 0 s passes (the earliest is 4/4 at 0, the only
     * other one equals the stored first), and the stored 3/4 is kept, moved to time 0. */
    music_seq odd;
    setup(&odd);
    odd.time_signatures.count = 0;
    music_seq_add_time_signature(&odd, 1.0, 3, 4);
    music_seq_add_time_signature(&odd, 0.0, 4, 4);
    CHECK_INT(music_seq_quantize_relative(&odd, 4, why), MUSIC_OK);
    CHECK_INT(odd.time_signatures.count, 1);
    CHECK_INT(odd.time_signatures.items[0].numerator, 3);
    CHECK(odd.time_signatures.items[0].time == 0.0);
    music_seq_free(&odd);
    music_seq_free(&seq);
}

/* sequences_lib_test.testFromNoteSequence_TempoChange, _ImplicitTempoChange and
 * _NoImplicitTempoChangeOutOfOrder */
static void test_tempo_change(void)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    setup(&seq);
    add_track(&seq, 0, five_notes, 5, false);
    seq.tempos.count = 0;
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_OK); /* no tempo */
    music_seq_add_tempo(&seq, 0.0, 60.0);
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_OK); /* single tempo */
    music_seq_add_tempo(&seq, 1.0, 60.0);
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_OK); /* several, no change */
    music_seq_add_tempo(&seq, 2.0, 120.0);
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_ERR_QUANTIZE); /* MultipleTempoError */
    CHECK(strstr(why, "tempo changes at 2 s from 60 to 120 qpm") != NULL);

    seq.tempos.count = 0;
    music_seq_add_tempo(&seq, 2.0, 60.0); /* implicit change from 120 qpm */
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_ERR_QUANTIZE);
    CHECK(strstr(why, "implicit 120 to 60 qpm") != NULL);
    music_seq_add_tempo(&seq, 0.0, 60.0); /* out of order, no change */
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_OK);

    /* The implicit tempo is 120: a first tempo of 120 after time 0 is no change. */
    seq.tempos.count = 0;
    music_seq_add_tempo(&seq, 2.5, 120.0);
    CHECK_INT(music_seq_quantize_relative(&seq, 4, why), MUSIC_OK);
    CHECK_INT(seq.tempos.count, 1);
    CHECK(seq.tempos.items[0].time == 0.0);
    CHECK_INT(seq.notes.items[2].start_step, 20); /* 2.5 s at 8 steps/s */
    music_seq_free(&seq);
}

/* sequences_lib_test.testQuantizeToStep, through absolute quantization at 4 steps/s:
 * quantize_to_step(8.0001, 4) = 32, quantize_to_step(8.4999, 4) = 34. */
static void test_quantize_to_step(void)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    music_seq_init(&seq);
    static const double notes[][4] = {{60, 100, 8.0001, 8.4999}};
    add_track(&seq, 0, notes, 1, false);
    CHECK_INT(music_seq_quantize_absolute(&seq, 4, why), MUSIC_OK);
    CHECK_INT(seq.notes.items[0].start_step, 32);
    CHECK_INT(seq.notes.items[0].end_step, 34);
    music_seq_free(&seq);

    /* The cutoff itself (QUANTIZE_CUTOFF = 0.5: int(steps + 0.5)): at 1 step per second,
     * 0.45 s -> int(0.95) = 0, 0.5 s -> int(1.0) = 1, 1.49 s -> 1, 1.5 s -> 2. */
    music_seq_init(&seq);
    static const double edges[][4] = {{60, 100, 0.45, 1.49}, {61, 100, 0.5, 1.5}};
    add_track(&seq, 0, edges, 2, false);
    CHECK_INT(music_seq_quantize_absolute(&seq, 1, why), MUSIC_OK);
    CHECK_INT(seq.notes.items[0].start_step, 0);
    CHECK_INT(seq.notes.items[0].end_step, 1);
    CHECK_INT(seq.notes.items[1].start_step, 1);
    CHECK_INT(seq.notes.items[1].end_step, 2);
    music_seq_free(&seq);
}

/* sequences_lib_test.testRounding */
static void test_rounding(void)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    setup(&seq);
    static const double notes[][4] = {{12, 100, 0.01, 0.24}, {11, 100, 0.22, 0.55}, {40, 100, 0.50, 0.75},
                                      {41, 100, 0.689, 1.18}, {44, 100, 1.19, 1.69}, {55, 100, 4.0, 4.01}};
    add_track(&seq, 1, notes, 6, false);
    CHECK_INT(music_seq_quantize_relative(&seq, 4, why), MUSIC_OK);
    static const int want[][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 5}, {5, 7}, {16, 17}};
    check_steps(&seq, want, 6, __LINE__);
    music_seq_free(&seq);
}

/* sequences_lib_test.testMultiTrack */
static void test_multi_track(void)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    setup(&seq);
    static const double t0[][4] = {{12, 100, 1.0, 4.0}, {19, 100, 0.95, 3.0}};
    static const double t3[][4] = {{12, 100, 1.0, 4.0}, {19, 100, 2.0, 5.0}};
    static const double t7[][4] = {{12, 100, 1.0, 5.0}, {19, 100, 2.0, 4.0}, {24, 100, 3.0, 3.5}};
    add_track(&seq, 0, t0, 2, false);
    add_track(&seq, 3, t3, 2, false);
    add_track(&seq, 7, t7, 3, false);
    CHECK_INT(music_seq_quantize_relative(&seq, 4, why), MUSIC_OK);
    static const int want[][2] = {{4, 16}, {4, 12}, {4, 16}, {8, 20}, {4, 20}, {8, 16}, {12, 14}};
    check_steps(&seq, want, 7, __LINE__);
    music_seq_free(&seq);
}

/* BadTimeSignatureError (quantize_note_sequence: denominator not a power of 2, numerator 0)
 * and NegativeTimeError (_quantize_notes). */
static void test_errors(void)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    setup(&seq);
    add_track(&seq, 0, five_notes, 5, false);
    seq.time_signatures.items[0].denominator = 6;
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_ERR_QUANTIZE);
    CHECK(strstr(why, "not a power of 2") != NULL);
    seq.time_signatures.items[0].denominator = 4;
    seq.time_signatures.items[0].numerator = 0;
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_ERR_QUANTIZE);
    CHECK(strstr(why, "numerator is 0") != NULL);
    seq.time_signatures.items[0].numerator = 4;

    /* -0.1 s at 4 steps/s: int(-0.4 + 0.5) = 0, allowed; -1 s: int(-3.5) = -3, refused. Python's
     * int() truncates toward zero, so small negative times still land on step 0. */
    seq.notes.items[1].start = -0.1;
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_OK);
    seq.notes.items[1].start = -1.0;
    int32_t before = seq.notes.items[0].end_step;
    CHECK_INT(music_seq_quantize_relative(&seq, 4, why), MUSIC_ERR_QUANTIZE);
    CHECK(strstr(why, "note 1 has a negative time") != NULL);
    CHECK_INT(seq.notes.items[0].end_step, before); /* nothing written on failure */
    CHECK_INT(seq.steps_per_quarter, 0);
    seq.notes.items[1].start = 0.22;
    seq.controls.count = 0;
    music_control c = {.time = 0.0, .number = 64, .value = 127};
    music_seq_add_control(&seq, &c);
    seq.controls.items[0].time = -2.0;
    CHECK_INT(quantize_copy(&seq, 4, why), MUSIC_ERR_QUANTIZE);
    CHECK_INT(music_seq_quantize_relative(&seq, 0, why), MUSIC_ERR_ARGUMENT);
    CHECK_INT(music_seq_quantize_absolute(&seq, -1, why), MUSIC_ERR_ARGUMENT);
    music_seq_free(&seq);
}

/* A note shorter than half a step still gets one step (_quantize_notes), e.g. 4.0..4.01 s in
 * testQuantizeNoteSequence; here 0..0 s. Also the implicit tempo and time signature are added. */
static void test_zero_length_and_defaults(void)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    music_seq_init(&seq);
    static const double notes[][4] = {{60, 100, 0.0, 0.0}, {62, 100, 1.0, 1.06}};
    add_track(&seq, 0, notes, 2, false);
    CHECK_INT(music_seq_quantize_relative(&seq, 4, why), MUSIC_OK);
    CHECK_INT(seq.notes.items[0].start_step, 0);
    CHECK_INT(seq.notes.items[0].end_step, 1);
    /* 120 qpm implicit: 8 steps/s; 1.0 s -> 8, 1.06 s -> int(8.48 + 0.5) = 8, lengthened to 9 */
    CHECK_INT(seq.notes.items[1].start_step, 8);
    CHECK_INT(seq.notes.items[1].end_step, 9);
    CHECK_INT(seq.tempos.count, 1);
    CHECK(seq.tempos.items[0].qpm == 120.0);
    CHECK_INT(seq.time_signatures.count, 1);
    CHECK_INT(seq.time_signatures.items[0].numerator, 4);
    /* total_quantized_steps starts from total_time (1.06 s -> 8) and grows to the last end, 9 */
    CHECK_INT(seq.total_steps, 9);

    /* A fixed sequence without room for the implicit tempo refuses without changing. */
    music_seq fixed;
    music_seq_init(&fixed);
    music_seq_reserve(&fixed, 2, 0, 1, 0, 0);
    music_seq_fix(&fixed);
    add_track(&fixed, 0, notes, 2, false);
    CHECK_INT(music_seq_quantize_relative(&fixed, 4, why), MUSIC_ERR_FULL);
    CHECK_INT(fixed.time_signatures.count, 0);
    music_seq_free(&fixed);
    music_seq_free(&seq);
}

int main(void)
{
    test_quantize_note_sequence();
    test_quantize_absolute();
    test_time_signature_change();
    test_implicit_time_signature_change();
    test_tempo_change();
    test_quantize_to_step();
    test_rounding();
    test_multi_track();
    test_errors();
    test_zero_length_and_defaults();
    return CHECK_SUMMARY("test_quantize");
}
