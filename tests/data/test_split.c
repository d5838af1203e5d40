/* test_split.c — split.c against note_seq's sequences_lib_test split cases.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "music.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../check.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

/* testing_lib.add_track_to_sequence(seq, 0, [(pitch, velocity, start, end), ...]) */
typedef struct { int pitch, velocity; double start, end; } test_note;
static void add_track(music_seq *seq, const test_note *notes, int n)
{
    for (int i = 0; i < n; i++) {
        music_note note = {.start = notes[i].start, .end = notes[i].end, .pitch = (uint8_t)notes[i].pitch,
                           .velocity = (uint8_t)notes[i].velocity};
        music_seq_add_note(seq, &note);
    }
}

/* The sequence every split test starts from: five notes and chords C, G7, F. */
static void base_sequence(music_seq *seq, double first_end, double c, double g, double f)
{
    test_note notes[] = {{12, 100, 0.01, first_end}, {11, 55, 0.22, 0.50}, {40, 45, 2.50, 3.50},
                         {55, 120, 4.0, 4.01}, {52, 99, 4.75, 5.0}};
    add_track(seq, notes, 5);
    music_seq_add_chord(seq, c, "C");
    music_seq_add_chord(seq, g, "G7");
    music_seq_add_chord(seq, f, "F");
}

static void check_notes(const music_seq *piece, const test_note *want, int n, int line)
{
    CHECK(piece->notes.count == n, "line %d: %d notes, want %d", line, piece->notes.count, n);
    for (int i = 0; i < n && i < piece->notes.count; i++) {
        const music_note *g = &piece->notes.items[i];
        CHECK(g->pitch == want[i].pitch && g->velocity == want[i].velocity && NEAR(g->start, want[i].start) &&
                  NEAR(g->end, want[i].end),
              "line %d note %d: %d %d %g..%g, want %d %d %g..%g", line, i, g->pitch, g->velocity, g->start, g->end,
              want[i].pitch, want[i].velocity, want[i].start, want[i].end);
    }
}

typedef struct { const char *name; double time; } test_chord;
static void check_chords(const music_seq *piece, const test_chord *want, int n, int line)
{
    CHECK(piece->chords.count == n, "line %d: %d chords, want %d", line, piece->chords.count, n);
    for (int i = 0; i < n && i < piece->chords.count; i++)
        CHECK(!strcmp(piece->chords.items[i].name, want[i].name) && NEAR(piece->chords.items[i].time, want[i].time),
              "line %d chord %d: %s at %g, want %s at %g", line, i, piece->chords.items[i].name,
              piece->chords.items[i].time, want[i].name, want[i].time);
}

static void check_signature(const music_seq *piece, int num, int den, double qpm, int line)
{
    CHECK(piece->time_signatures.count == 1 && piece->time_signatures.items[0].time == 0.0 &&
              piece->time_signatures.items[0].numerator == num && piece->time_signatures.items[0].denominator == den,
          "line %d: %d time signatures, first %d/%d", line, piece->time_signatures.count,
          piece->time_signatures.count ? piece->time_signatures.items[0].numerator : 0,
          piece->time_signatures.count ? piece->time_signatures.items[0].denominator : 0);
    CHECK(piece->tempos.count == 1 && piece->tempos.items[0].time == 0.0 && piece->tempos.items[0].qpm == qpm,
          "line %d: %d tempos, first %g qpm, want %g", line, piece->tempos.count,
          piece->tempos.count ? piece->tempos.items[0].qpm : 0.0, qpm);
}

/* sequences_lib_test.testSplitNoteSequenceWithHopSize (split_note_sequence, hop 3 s) */
static void test_hop_size(void)
{
    music_seq seq;
    music_seq_init(&seq);
    music_seq_add_time_signature(&seq, 0.0, 4, 4);
    music_seq_add_tempo(&seq, 0.0, 60.0);
    base_sequence(&seq, 8.0, 1.0, 2.0, 4.0);
    music_seq *pieces = NULL;
    int n = 0;
    char why[MUSIC_MESSAGE_SIZE];
    CHECK(music_seq_split_every(&seq, 3.0, false, &pieces, &n, why) == MUSIC_OK, "%s", why);
    CHECK(n == 3, "%d pieces", n);
    if (n == 3) {
        test_note n1[] = {{12, 100, 0.01, 3.0}, {11, 55, 0.22, 0.50}, {40, 45, 2.50, 3.0}};
        test_note n2[] = {{55, 120, 1.0, 1.01}, {52, 99, 1.75, 2.0}};
        test_chord c1[] = {{"C", 1.0}, {"G7", 2.0}}, c2[] = {{"G7", 0.0}, {"F", 1.0}}, c3[] = {{"F", 0.0}};
        check_notes(&pieces[0], n1, 3, __LINE__);
        check_chords(&pieces[0], c1, 2, __LINE__);
        CHECK(NEAR(pieces[0].total_time, 3.0), "total %g", pieces[0].total_time);
        check_notes(&pieces[1], n2, 2, __LINE__);
        check_chords(&pieces[1], c2, 2, __LINE__);
        CHECK(NEAR(pieces[1].total_time, 2.0), "total %g", pieces[1].total_time);
        check_notes(&pieces[2], NULL, 0, __LINE__);
        check_chords(&pieces[2], c3, 1, __LINE__);
        CHECK(pieces[2].total_time == 0.0, "total %g", pieces[2].total_time);
        for (int p = 0; p < 3; p++)
            check_signature(&pieces[p], 4, 4, 60.0, __LINE__);
    }
    music_seq_pieces_free(pieces, n);
    music_seq_free(&seq);
}

/* testSplitNoteSequenceNoTimeChanges and testSplitNoteSequenceDuplicateTimeChanges: one piece,
 * equal to the input (the repeated 4/4 at 2.0 s stays inside it). */
static void test_no_changes(bool duplicate)
{
    music_seq seq;
    music_seq_init(&seq);
    music_seq_add_time_signature(&seq, 0.0, 4, 4);
    if (duplicate)
        music_seq_add_time_signature(&seq, 2.0, 4, 4);
    music_seq_add_tempo(&seq, 0.0, 60.0);
    base_sequence(&seq, 10.0, 1.5, 3.0, 4.8);
    music_seq *pieces = NULL;
    int n = 0;
    char why[MUSIC_MESSAGE_SIZE];
    CHECK(music_seq_split_on_time_changes(&seq, false, &pieces, &n, why) == MUSIC_OK, "%s", why);
    CHECK(n == 1, "%d pieces", n);
    if (n == 1) {
        test_note want[] = {{12, 100, 0.01, 10.0}, {11, 55, 0.22, 0.50}, {40, 45, 2.50, 3.50},
                            {55, 120, 4.0, 4.01}, {52, 99, 4.75, 5.0}};
        test_chord chords[] = {{"C", 1.5}, {"G7", 3.0}, {"F", 4.8}};
        check_notes(&pieces[0], want, 5, __LINE__);
        check_chords(&pieces[0], chords, 3, __LINE__);
        CHECK(pieces[0].time_signatures.count == (duplicate ? 2 : 1), "%d signatures", pieces[0].time_signatures.count);
        if (duplicate && pieces[0].time_signatures.count == 2)
            CHECK(pieces[0].time_signatures.items[1].time == 2.0, "at %g", pieces[0].time_signatures.items[1].time);
        CHECK(NEAR(pieces[0].total_time, 10.0), "total %g", pieces[0].total_time);
    }
    music_seq_pieces_free(pieces, n);
    music_seq_free(&seq);
}

/* testSplitNoteSequenceCoincidentTimeChanges: 3/4 and 80 qpm both at 2.0 s make one split. */
static void test_coincident(void)
{
    music_seq seq;
    music_seq_init(&seq);
    music_seq_add_time_signature(&seq, 0.0, 4, 4);
    music_seq_add_time_signature(&seq, 2.0, 3, 4);
    music_seq_add_tempo(&seq, 0.0, 60.0);
    music_seq_add_tempo(&seq, 2.0, 80.0);
    base_sequence(&seq, 10.0, 1.5, 3.0, 4.8);
    music_seq *pieces = NULL;
    int n = 0;
    char why[MUSIC_MESSAGE_SIZE];
    CHECK(music_seq_split_on_time_changes(&seq, false, &pieces, &n, why) == MUSIC_OK, "%s", why);
    CHECK(n == 2, "%d pieces", n);
    if (n == 2) {
        test_note n1[] = {{12, 100, 0.01, 2.0}, {11, 55, 0.22, 0.50}};
        test_note n2[] = {{40, 45, 0.50, 1.50}, {55, 120, 2.0, 2.01}, {52, 99, 2.75, 3.0}};
        test_chord c1[] = {{"C", 1.5}}, c2[] = {{"C", 0.0}, {"G7", 1.0}, {"F", 2.8}};
        check_notes(&pieces[0], n1, 2, __LINE__);
        check_chords(&pieces[0], c1, 1, __LINE__);
        check_signature(&pieces[0], 4, 4, 60.0, __LINE__);
        CHECK(NEAR(pieces[0].total_time, 2.0), "total %g", pieces[0].total_time);
        check_notes(&pieces[1], n2, 3, __LINE__);
        check_chords(&pieces[1], c2, 3, __LINE__);
        check_signature(&pieces[1], 3, 4, 80.0, __LINE__);
        CHECK(NEAR(pieces[1].total_time, 3.0), "total %g", pieces[1].total_time);
    }
    music_seq_pieces_free(pieces, n);
    music_seq_free(&seq);
}

/* testSplitNoteSequenceMultipleTimeChanges (3 pieces, notes cut) and
 * testSplitNoteSequenceMultipleTimeChangesSkipSplitsInsideNotes (the 2.0 s split is skipped:
 * a note sounds across it; the 3/4 stays inside the first piece). */
static void test_multiple(bool skip)
{
    music_seq seq;
    music_seq_init(&seq);
    music_seq_add_time_signature(&seq, 0.0, 4, 4);
    music_seq_add_time_signature(&seq, 2.0, 3, 4);
    music_seq_add_tempo(&seq, 0.0, 60.0);
    music_seq_add_tempo(&seq, 4.25, 80.0);
    base_sequence(&seq, skip ? 3.0 : 10.0, 1.5, 3.0, 4.8);
    music_seq *pieces = NULL;
    int n = 0;
    char why[MUSIC_MESSAGE_SIZE];
    CHECK(music_seq_split_on_time_changes(&seq, skip, &pieces, &n, why) == MUSIC_OK, "%s", why);
    CHECK(n == (skip ? 2 : 3), "%d pieces", n);
    test_note last[] = {{52, 99, 0.5, 0.75}};
    test_chord c_last[] = {{"G7", 0.0}, {"F", 0.55}};
    if (skip && n == 2) {
        test_note n1[] = {{12, 100, 0.01, 3.0}, {11, 55, 0.22, 0.50}, {40, 45, 2.50, 3.50}, {55, 120, 4.0, 4.01}};
        test_chord c1[] = {{"C", 1.5}, {"G7", 3.0}};
        check_notes(&pieces[0], n1, 4, __LINE__);
        check_chords(&pieces[0], c1, 2, __LINE__);
        CHECK(pieces[0].time_signatures.count == 2 && pieces[0].time_signatures.items[1].numerator == 3 &&
                  pieces[0].time_signatures.items[1].time == 2.0,
              "%d signatures", pieces[0].time_signatures.count);
        CHECK(NEAR(pieces[0].total_time, 4.01), "total %g", pieces[0].total_time);
        check_notes(&pieces[1], last, 1, __LINE__);
        check_chords(&pieces[1], c_last, 2, __LINE__);
        check_signature(&pieces[1], 3, 4, 80.0, __LINE__);
        CHECK(NEAR(pieces[1].total_time, 0.75), "total %g", pieces[1].total_time);
    } else if (!skip && n == 3) {
        test_note n1[] = {{12, 100, 0.01, 2.0}, {11, 55, 0.22, 0.50}};
        test_note n2[] = {{40, 45, 0.50, 1.50}, {55, 120, 2.0, 2.01}};
        test_chord c1[] = {{"C", 1.5}}, c2[] = {{"C", 0.0}, {"G7", 1.0}};
        check_notes(&pieces[0], n1, 2, __LINE__);
        check_chords(&pieces[0], c1, 1, __LINE__);
        check_signature(&pieces[0], 4, 4, 60.0, __LINE__);
        check_notes(&pieces[1], n2, 2, __LINE__);
        check_chords(&pieces[1], c2, 2, __LINE__);
        check_signature(&pieces[1], 3, 4, 60.0, __LINE__);
        CHECK(NEAR(pieces[1].total_time, 2.01), "total %g", pieces[1].total_time);
        check_notes(&pieces[2], last, 1, __LINE__);
        check_chords(&pieces[2], c_last, 2, __LINE__);
        check_signature(&pieces[2], 3, 4, 80.0, __LINE__);
    }
    music_seq_pieces_free(pieces, n);
    music_seq_free(&seq);
}

/* Not from the test file: _extract_subsequences carries the sustain pedal in force into each
 * piece (DEFAULT_SUBSEQUENCE_PRESERVE_CONTROL_NUMBERS) and drops other controls; quantized
 * input is refused (QuantizationStatusError). */
static void test_pedals_and_refusals(void)
{
    music_seq seq;
    music_seq_init(&seq);
    music_seq_add_tempo(&seq, 2.0, 90.0);
    test_note notes[] = {{60, 100, 0.0, 1.0}, {62, 100, 2.5, 3.0}};
    add_track(&seq, notes, 2);
    music_control pedal = {.time = 0.5, .number = 64, .value = 127}, volume = {.time = 0.6, .number = 7, .value = 90};
    music_seq_add_control(&seq, &pedal);
    music_seq_add_control(&seq, &volume);
    music_seq *pieces = NULL;
    int n = 0;
    char why[MUSIC_MESSAGE_SIZE];
    CHECK(music_seq_split_on_time_changes(&seq, false, &pieces, &n, why) == MUSIC_OK, "%s", why);
    CHECK(n == 2, "%d pieces", n);
    if (n == 2) {
        CHECK(pieces[0].controls.count == 1 && pieces[0].controls.items[0].number == 64 &&
                  NEAR(pieces[0].controls.items[0].time, 0.5),
              "%d controls in piece 0", pieces[0].controls.count);
        CHECK(pieces[1].controls.count == 1 && pieces[1].controls.items[0].number == 64 &&
                  pieces[1].controls.items[0].time == 0.0 && pieces[1].controls.items[0].value == 127,
              "%d controls in piece 1", pieces[1].controls.count);
        CHECK(pieces[0].tempos.count == 0, "piece 0: %d tempos (120 qpm implied)", pieces[0].tempos.count);
        CHECK(pieces[1].tempos.count == 1 && pieces[1].tempos.items[0].time == 0.0 && pieces[1].tempos.items[0].qpm == 90.0,
              "piece 1: %d tempos", pieces[1].tempos.count);
    }
    music_seq_pieces_free(pieces, n);
    CHECK(music_seq_quantize_absolute(&seq, 100, why) == MUSIC_OK, "%s", why);
    CHECK(music_seq_split_on_time_changes(&seq, false, &pieces, &n, why) == MUSIC_ERR_QUANTIZE, "quantized accepted");
    double times[] = {0.0, 5.0};
    music_seq_free(&seq);
    music_seq_init(&seq);
    add_track(&seq, notes, 2);
    CHECK(music_seq_split_at_times(&seq, times, 2, &pieces, &n, why) == MUSIC_OK && n == 1, "n %d", n);
    music_seq_pieces_free(pieces, n);
    double late[] = {3.0, 4.0};
    CHECK(music_seq_split_at_times(&seq, late, 2, &pieces, &n, why) == MUSIC_ERR_ARGUMENT, "past the end accepted");
    music_seq_free(&seq);
    /* an empty sequence gives no piece, as Magenta's [] */
    music_seq_init(&seq);
    CHECK(music_seq_split_on_time_changes(&seq, false, &pieces, &n, why) == MUSIC_OK && n == 0 && !pieces, "n %d", n);
    music_seq_free(&seq);
}

int main(void)
{
    test_hop_size();
    test_no_changes(false);
    test_no_changes(true);
    test_coincident();
    test_multiple(false);
    test_multiple(true);
    test_pedals_and_refusals();
    printf("test_split: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}
