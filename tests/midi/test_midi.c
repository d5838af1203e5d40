/* test_midi.c — the Standard MIDI File reader and writer and apply_sustain against Magenta's rules.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Expected notes are worked out by hand from the path note_seq.midi_io.midi_to_note_sequence
 * takes (mido parses, pretty_midi.PrettyMIDI._load_tempo_changes / _load_instruments /
 * _update_tick_to_time build notes and times, note_seq flattens); the sustain cases are
 * note_seq's sequences_lib_test.py cases for apply_sustain_control_changes. */
#include "music.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"



#define CHECK_NEAR(got, want, tol) \
    CHECK(fabs((double)(got) - (double)(want)) <= (tol), "%s = %.12g, expected %.12g", #got, (double)(got), (double)(want))

#define CHECK_STATUS(got, want, message) \
    CHECK((got) == (want), "status %d (%s), expected %d; message \"%s\"", (int)(got), music_status_text(got), (int)(want), message)

typedef struct expect_note {
    int pitch, velocity, program, is_drum, instrument;
    double start, end;
} expect_note;

static void check_notes(const music_seq *seq, const expect_note *want, int count, const char *what)
{
    CHECK(seq->notes.count == count, "%s: %d notes, expected %d", what, seq->notes.count, count);
    for (int i = 0; i < count && i < seq->notes.count; i++) {
        const music_note *n = &seq->notes.items[i];
        const expect_note *w = &want[i];
        CHECK(n->pitch == w->pitch && n->velocity == w->velocity && n->program == w->program &&
                  n->is_drum == (bool)w->is_drum && n->instrument == w->instrument && fabs(n->start - w->start) < 1e-12 &&
                  fabs(n->end - w->end) < 1e-12,
              "%s: note %d is pitch %d vel %d prog %d drum %d inst %d [%.12g, %.12g], expected pitch %d vel %d prog %d "
              "drum %d inst %d [%.12g, %.12g]",
              what, i, n->pitch, n->velocity, n->program, n->is_drum, n->instrument, n->start, n->end, w->pitch,
              w->velocity, w->program, w->is_drum, w->instrument, w->start, w->end);
    }
}

/* Format 0, 96 ticks per quarter, running status across a meta event (mido keeps it: meta events
 * neither set nor clear running status), a tempo change at tick 192.
 * Tempo map (_load_tempo_changes): the 600000 us tempo at tick 0 (100 qpm) replaces the default
 * 120, scale 60 / (100 * 96) = 1/160 s per tick; 1000000 us at tick 192 appends scale
 * 60 / (60 * 96) = 1/96. tick 96 -> 0.6 s, tick 192 -> 1.2 s, tick 240 -> 1.2 + 48/96 = 1.7 s. */
static const unsigned char FORMAT0[] = {
    'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0, 96,
    'M', 'T', 'r', 'k', 0, 0, 0, 49,
    0x00, 0xff, 0x51, 0x03, 0x09, 0x27, 0xc0, /* tick 0: 600000 us per quarter */
    0x00, 0xff, 0x58, 0x04, 0x03, 0x02, 0x18, 0x08, /* tick 0: 3/4 */
    0x00, 0xc0, 0x05, /* program 5 on channel 1 */
    0x00, 0x90, 0x3c, 0x64, /* tick 0: on 60 vel 100 */
    0x60, 0x3c, 0x00, /* tick 96: running status, velocity 0: off 60 */
    0x00, 0x40, 0x50, /* tick 96: on 64 vel 80 */
    0x60, 0xff, 0x51, 0x03, 0x0f, 0x42, 0x40, /* tick 192: 1000000 us per quarter */
    0x00, 0x40, 0x00, /* tick 192: running status still 0x90 after the meta event: off 64 */
    0x00, 0x43, 0x70, /* tick 192: on 67 vel 112 */
    0x30, 0x80, 0x43, 0x00, /* tick 240: note-off 67 */
    0x00, 0xff, 0x2f, 0x00,
};

/* Format 1, 220 ticks per quarter, no tempo (pretty_midi's default 120 qpm: tick t -> t / 440 s).
 * Track 0: 6/8, G minor (-2 sharps, minor: mido "Gm", pretty_midi key number 19, note_seq key 7
 * mode 1), then G major (1 sharp) at tick 440 = 1.0 s.
 * Track 1: a name; program 24 on channel 1; note 60; drums on channel 10 (status 0x99); program 40
 * and note 62 closed by running status.
 * Track 2: CC64 before any note on channel 2 (a pretty_midi straggler), note 72, CC64 off. */
static const unsigned char FORMAT1[] = {
    'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1, 0, 3, 0, 220,
    'M', 'T', 'r', 'k', 0, 0, 0, 25,
    0x00, 0xff, 0x58, 0x04, 0x06, 0x03, 0x18, 0x08, /* 6/8 */
    0x00, 0xff, 0x59, 0x02, 0xfe, 0x01, /* G minor */
    0x83, 0x38, 0xff, 0x59, 0x02, 0x01, 0x00, /* tick 440: G major */
    0x00, 0xff, 0x2f, 0x00,
    'M', 'T', 'r', 'k', 0, 0, 0, 43,
    0x00, 0xff, 0x03, 0x05, 'P', 'i', 'a', 'n', 'o',
    0x00, 0xc0, 0x18, /* program 24 */
    0x00, 0x90, 0x3c, 0x50, /* tick 0: on 60 vel 80 */
    0x81, 0x5c, 0x80, 0x3c, 0x40, /* tick 220: off 60 */
    0x00, 0x99, 0x24, 0x7f, /* tick 220: drum 36 vel 127 */
    0x6e, 0x89, 0x24, 0x00, /* tick 330: off 36 */
    0x00, 0xc0, 0x28, /* tick 330: program 40 */
    0x00, 0x90, 0x3e, 0x60, /* tick 330: on 62 vel 96 */
    0x6e, 0x3e, 0x00, /* tick 440: running status off 62 */
    0x00, 0xff, 0x2f, 0x00,
    'M', 'T', 'r', 'k', 0, 0, 0, 21,
    0x00, 0xb1, 0x40, 0x7f, /* tick 0: CC64 127 on channel 2, before any instrument */
    0x00, 0x91, 0x48, 0x64, /* tick 0: on 72 vel 100 */
    0x81, 0x5c, 0x81, 0x48, 0x00, /* tick 220: off 72 */
    0x00, 0xb1, 0x40, 0x00, /* tick 220: CC64 0 */
    0x00, 0xff, 0x2f, 0x00,
};

/* Format 0, 100 ticks per quarter, 120 qpm: scale 60 / (120 * 100) = 0.005 s per tick. */
static const unsigned char OVERLAP[] = {
    'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0, 100,
    'M', 'T', 'r', 'k', 0, 0, 0, 48,
    0x00, 0x90, 0x3c, 0x64, /* tick 0: A on, vel 100 */
    0x32, 0x90, 0x3c, 0x50, /* tick 50: B on the sounding pitch, vel 80 */
    0x32, 0x80, 0x3c, 0x00, /* tick 100: closes A and B, oldest first */
    0x00, 0x90, 0x3c, 0x46, /* tick 100: C on, vel 70 */
    0x00, 0x80, 0x3c, 0x00, /* tick 100: nothing earlier open, so C is dropped */
    0x32, 0x80, 0x3c, 0x00, /* tick 150: spurious off, ignored */
    0x32, 0x90, 0x3c, 0x3c, /* tick 200: D on, vel 60 */
    0x64, 0x90, 0x3c, 0x3d, /* tick 300: E on, vel 61 */
    0x00, 0x80, 0x3c, 0x00, /* tick 300: closes D, keeps E (begun at this tick) */
    0x64, 0x80, 0x3c, 0x00, /* tick 400: closes E */
    0x00, 0x90, 0x40, 0x64, /* tick 400: pitch 64 on, never ended: dropped */
    0x64, 0xff, 0x2f, 0x00, /* tick 500 */
};

static const unsigned char EMPTY[] = {
    'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1, 0, 1, 0x01, 0xe0,
    'M', 'T', 'r', 'k', 0, 0, 0, 4, 0x00, 0xff, 0x2f, 0x00,
};

static void test_format0(void)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    music_seq_init(&seq);
    music_status st = music_midi_read_memory(FORMAT0, sizeof FORMAT0, "format0.mid", &seq, why);
    CHECK_STATUS(st, MUSIC_OK, why);
    /* one pretty_midi instrument: (program 5, channel 0, track 0), so instrument 0 */
    const expect_note want[] = {
        {60, 100, 5, 0, 0, 0.0, 0.6},
        {64, 80, 5, 0, 0, 0.6, 1.2},
        {67, 112, 5, 0, 0, 1.2, 1.7},
    };
    check_notes(&seq, want, 3, "format 0");
    CHECK(seq.ticks_per_quarter == 96, "ticks_per_quarter %d", seq.ticks_per_quarter);
    CHECK(seq.tempos.count == 2, "%d tempos", seq.tempos.count);
    if (seq.tempos.count == 2) {
        /* get_tempo_changes: qpm = 60 / (scale * resolution) */
        CHECK_NEAR(seq.tempos.items[0].time, 0.0, 0);
        CHECK_NEAR(seq.tempos.items[0].qpm, 100.0, 1e-9);
        CHECK_NEAR(seq.tempos.items[1].time, 1.2, 1e-12);
        CHECK_NEAR(seq.tempos.items[1].qpm, 60.0, 1e-9);
    }
    CHECK(seq.time_signatures.count == 1 && seq.time_signatures.items[0].numerator == 3 &&
              seq.time_signatures.items[0].denominator == 4,
          "time signatures: %d", seq.time_signatures.count);
    CHECK_NEAR(seq.total_time, 1.7, 1e-12);
    music_seq_free(&seq);
}

static void test_format1(void)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    music_seq_init(&seq);
    music_status st = music_midi_read_memory(FORMAT1, sizeof FORMAT1, "format1.mid", &seq, why);
    CHECK_STATUS(st, MUSIC_OK, why);
    /* pretty_midi makes instruments as notes end: (24, ch 0, track 1) at tick 220, (0, ch 9,
     * track 1) at 330, (40, ch 0, track 1) at 440, (0, ch 1, track 2) at 220 of track 2. */
    const expect_note want[] = {
        {60, 80, 24, 0, 0, 0.0, 0.5},
        {36, 127, 0, 1, 1, 0.5, 0.75},
        {62, 96, 40, 0, 2, 0.75, 1.0},
        {72, 100, 0, 0, 3, 0.0, 0.5},
    };
    check_notes(&seq, want, 4, "format 1");
    CHECK(seq.tempos.count == 1 && seq.tempos.items[0].time == 0.0 && fabs(seq.tempos.items[0].qpm - 120.0) < 1e-9,
          "tempos %d", seq.tempos.count);
    CHECK(seq.time_signatures.count == 1 && seq.time_signatures.items[0].numerator == 6 &&
              seq.time_signatures.items[0].denominator == 8,
          "time signatures %d", seq.time_signatures.count);
    CHECK(seq.key_signatures.count == 2, "key signatures %d", seq.key_signatures.count);
    if (seq.key_signatures.count == 2) {
        CHECK(seq.key_signatures.items[0].key == 7 && seq.key_signatures.items[0].mode == 1 &&
                  seq.key_signatures.items[0].time == 0.0,
              "first key %d mode %d", seq.key_signatures.items[0].key, seq.key_signatures.items[0].mode);
        CHECK(seq.key_signatures.items[1].key == 7 && seq.key_signatures.items[1].mode == 0 &&
                  fabs(seq.key_signatures.items[1].time - 1.0) < 1e-12,
              "second key %d mode %d at %g", seq.key_signatures.items[1].key, seq.key_signatures.items[1].mode,
              seq.key_signatures.items[1].time);
    }
    /* The straggler CC at tick 0 and the CC after the note both belong to instrument 3. */
    CHECK(seq.controls.count == 2, "controls %d", seq.controls.count);
    if (seq.controls.count == 2) {
        const music_control *c = seq.controls.items;
        CHECK(c[0].number == 64 && c[0].value == 127 && c[0].time == 0.0 && c[0].instrument == 3 && c[0].program == 0 &&
                  !c[0].is_drum,
              "control 0: %d=%d at %g inst %d", c[0].number, c[0].value, c[0].time, c[0].instrument);
        CHECK(c[1].number == 64 && c[1].value == 0 && fabs(c[1].time - 0.5) < 1e-12 && c[1].instrument == 3,
              "control 1: %d=%d at %g inst %d", c[1].number, c[1].value, c[1].time, c[1].instrument);
    }
    CHECK_NEAR(seq.total_time, 1.0, 1e-12);
    music_seq_free(&seq);
}

static void test_overlap(void)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    music_seq_init(&seq);
    music_status st = music_midi_read_memory(OVERLAP, sizeof OVERLAP, "overlap.mid", &seq, why);
    CHECK_STATUS(st, MUSIC_OK, why);
    /* pretty_midi's notes_to_close / notes_to_keep, at 0.005 s per tick */
    const expect_note want[] = {
        {60, 100, 0, 0, 0, 0.0, 0.5},
        {60, 80, 0, 0, 0, 0.25, 0.5},
        {60, 60, 0, 0, 0, 1.0, 1.5},
        {60, 61, 0, 0, 0, 1.5, 2.0},
    };
    check_notes(&seq, want, 4, "overlap");
    CHECK_NEAR(seq.total_time, 2.0, 1e-12);
    music_seq_free(&seq);
}

/* mido reads only the declared tracks: bytes after the last one are never looked at. */
static void test_trailing_bytes(void)
{
    unsigned char file[sizeof FORMAT0 + 12];
    memcpy(file, FORMAT0, sizeof FORMAT0);
    memcpy(file + sizeof FORMAT0, "junk\xff\x00\x90MTrk\x01", 12);
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    music_seq_init(&seq);
    music_status st = music_midi_read_memory(file, sizeof file, "trailing.mid", &seq, why);
    CHECK_STATUS(st, MUSIC_OK, why);
    CHECK(seq.notes.count == 3 && fabs(seq.total_time - 1.7) < 1e-12, "%d notes", seq.notes.count);
    music_seq_free(&seq);
}

static void test_empty(void)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    music_seq_init(&seq);
    music_status st = music_midi_read_memory(EMPTY, sizeof EMPTY, "empty.mid", &seq, why);
    CHECK_STATUS(st, MUSIC_OK, why);
    CHECK(seq.notes.count == 0 && seq.controls.count == 0 && seq.total_time == 0.0, "%d notes", seq.notes.count);
    /* pretty_midi's default tempo is still reported */
    CHECK(seq.tempos.count == 1 && seq.tempos.items[0].qpm == 120.0, "tempos %d", seq.tempos.count);
    CHECK(seq.ticks_per_quarter == 480, "ticks_per_quarter %d", seq.ticks_per_quarter);
    music_seq_free(&seq);
}

typedef struct bad_case {
    const char *what;
    unsigned char bytes[40];
    size_t size;
    music_status status;
    const char *offset; /* "byte N" expected in the message */
} bad_case;

static void test_refused(void)
{
#define HDR(fmt, n, d1, d2) 'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, fmt, 0, n, d1, d2
    static const bad_case cases[] = {
        {"SMPTE division", {HDR(0, 1, 0xe7, 0x28), 'M', 'T', 'r', 'k', 0, 0, 0, 4, 0, 0xff, 0x2f, 0}, 26,
         MUSIC_ERR_UNSUPPORTED, "byte 12:"},
        {"format 2", {HDR(2, 1, 0, 96), 'M', 'T', 'r', 'k', 0, 0, 0, 4, 0, 0xff, 0x2f, 0}, 26, MUSIC_ERR_UNSUPPORTED,
         "byte 8:"},
        {"not MIDI", {'R', 'I', 'F', 'F', 0, 0, 0, 6, 0, 0, 0, 1, 0, 96}, 14, MUSIC_ERR_MALFORMED, "byte 0:"},
        {"bad track chunk", {HDR(0, 1, 0, 96), 'X', 'T', 'r', 'k', 0, 0, 0, 4, 0, 0xff, 0x2f, 0}, 26,
         MUSIC_ERR_MALFORMED, "byte 14:"},
        {"chunk past the end", {HDR(0, 1, 0, 96), 'M', 'T', 'r', 'k', 0, 0, 0, 5, 0, 0xff, 0x2f, 0}, 26,
         MUSIC_ERR_MALFORMED, "byte 18:"},
        {"missing track", {HDR(1, 2, 0, 96), 'M', 'T', 'r', 'k', 0, 0, 0, 4, 0, 0xff, 0x2f, 0}, 26,
         MUSIC_ERR_MALFORMED, "byte 26:"},
        {"truncated event", {HDR(0, 1, 0, 96), 'M', 'T', 'r', 'k', 0, 0, 0, 3, 0, 0x90, 0x3c}, 25, MUSIC_ERR_MALFORMED,
         "byte 23:"},
        {"5-byte delta", {HDR(0, 1, 0, 96), 'M', 'T', 'r', 'k', 0, 0, 0, 9, 0x81, 0x81, 0x81, 0x81, 0x01, 0xff, 0x2f,
                           0, 0},
         31, MUSIC_ERR_MALFORMED, "byte 22:"},
        {"data byte without running status", {HDR(0, 1, 0, 96), 'M', 'T', 'r', 'k', 0, 0, 0, 3, 0, 0x3c, 0x40}, 25,
         MUSIC_ERR_MALFORMED, "byte 23:"},
        {"meta past the end", {HDR(0, 1, 0, 96), 'M', 'T', 'r', 'k', 0, 0, 0, 6, 0, 0xff, 0x01, 0x05, 'a', 'b'}, 28,
         MUSIC_ERR_MALFORMED, "byte 23:"},
        {"empty track", {HDR(0, 1, 0, 96), 'M', 'T', 'r', 'k', 0, 0, 0, 0}, 22, MUSIC_ERR_MALFORMED, "byte 22:"},
        {"tempo of 0", {HDR(0, 1, 0, 96), 'M', 'T', 'r', 'k', 0, 0, 0, 7, 0, 0xff, 0x51, 3, 0, 0, 0}, 29,
         MUSIC_ERR_MALFORMED, "byte 23:"},
        {"tempo over the container's 1e6 qpm", {HDR(0, 1, 0, 96), 'M', 'T', 'r', 'k', 0, 0, 0, 7, 0, 0xff, 0x51, 3, 0, 0, 1},
         29, MUSIC_ERR_UNSUPPORTED, "byte 23:"},
        {"key of 8 sharps", {HDR(0, 1, 0, 96), 'M', 'T', 'r', 'k', 0, 0, 0, 6, 0, 0xff, 0x59, 2, 8, 0}, 28,
         MUSIC_ERR_MALFORMED, "byte 23:"},
        {"undefined status", {HDR(0, 1, 0, 96), 'M', 'T', 'r', 'k', 0, 0, 0, 2, 0, 0xf4}, 24, MUSIC_ERR_MALFORMED,
         "byte 23:"},
        {"division 0", {HDR(0, 1, 0, 0), 'M', 'T', 'r', 'k', 0, 0, 0, 4, 0, 0xff, 0x2f, 0}, 26, MUSIC_ERR_MALFORMED,
         "byte 12:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bad_case *c = &cases[i];
        music_seq seq;
        char why[MUSIC_MESSAGE_SIZE];
        music_seq_init(&seq);
        music_status st = music_midi_read_memory(c->bytes, c->size, "bad.mid", &seq, why);
        CHECK(st == c->status, "%s: status %d (%s), expected %d; \"%s\"", c->what, st, music_status_text(st), c->status,
              why);
        CHECK(strstr(why, "bad.mid: ") == why && strstr(why, c->offset), "%s: message \"%s\" lacks \"%s\"", c->what, why,
              c->offset);
        music_seq_free(&seq);
    }
}

/* Every proper prefix of a valid file is refused cleanly and leaves the sequence empty. */
static void test_truncations(const unsigned char *file, size_t size, const char *name)
{
    int refused = 0;
    for (size_t n = 0; n < size; n++) {
        music_seq seq;
        char why[MUSIC_MESSAGE_SIZE];
        music_seq_init(&seq);
        unsigned char *copy = malloc(n ? n : 1); /* exactly n bytes, so ASan sees any overread */
        memcpy(copy, file, n);
        music_status st = music_midi_read_memory(copy, n, name, &seq, why);
        refused += st == MUSIC_ERR_MALFORMED && why[0] && seq.notes.count == 0 && seq.tempos.count == 0;
        if (st != MUSIC_ERR_MALFORMED)
            CHECK(0, "%s cut to %zu bytes: status %d \"%s\"", name, n, st, why);
        free(copy);
        music_seq_free(&seq);
    }
    CHECK(refused == (int)size, "%s: %d of %zu truncations refused cleanly", name, refused, size);
}

static uint32_t rng_state = 2463534242u;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Random byte mutations: each is refused with a message or read into a consistent sequence. */
static void test_mutations(const unsigned char *file, size_t size, const char *name, int rounds)
{
    int ok = 0, refused = 0;
    unsigned char *copy = malloc(size);
    for (int r = 0; r < rounds; r++) {
        memcpy(copy, file, size);
        int edits = 1 + (int)(rng() % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = rng() % size;
            switch (rng() % 3) {
            case 0: copy[at] = (unsigned char)rng(); break;
            case 1: copy[at] ^= (unsigned char)(1u << (rng() % 8)); break;
            default: copy[at] = (unsigned char)(rng() % 2 ? 0xff : 0x80 | (rng() % 16)); break;
            }
        }
        music_seq seq;
        char why[MUSIC_MESSAGE_SIZE];
        music_seq_init(&seq);
        music_status st = music_midi_read_memory(copy, size, name, &seq, why);
        if (st == MUSIC_OK) {
            ok++;
            for (int i = 0; i < seq.notes.count; i++) {
                const music_note *n = &seq.notes.items[i];
                if (!(n->start >= 0 && n->end > n->start && n->pitch < 128 && n->velocity > 0 && n->velocity < 128)) {
                    CHECK(0, "%s mutation %d: bad note %d", name, r, i);
                    break;
                }
            }
            music_seq_apply_sustain(&seq);
        } else {
            refused++;
            if (!((st == MUSIC_ERR_MALFORMED || st == MUSIC_ERR_UNSUPPORTED) && strstr(why, name) == why &&
                  strstr(why, ": byte ")))
                CHECK(0, "%s mutation %d: status %d, message \"%s\"", name, r, st, why);
        }
        music_seq_free(&seq);
    }
    free(copy);
    CHECK(ok + refused == rounds, "%s: %d read, %d refused", name, ok, refused);
    printf("  %s: %d mutations read, %d refused\n", name, ok, refused);
}

/* The exact bytes pretty_midi's write() gives for two notes (note_sequence_to_pretty_midi then
 * PrettyMIDI.write, mido's save): 220 ticks per quarter, no tempo so 120 qpm, i.e. set_tempo
 * int(6e7 / (60 / (scale * 220))) = 500000 = 0x07a120; no time signature so a default 4/4 after the
 * tempo (secondary sort: set_tempo 1, time_signature 2); end of track one tick after the last
 * event; track 1 is pretty_midi instrument 0 on channel 0 with its program change; time_to_tick(0.5)
 * = 220 = VLQ 81 5c; running status after the first note-on. */
static void test_write_bytes(const char *dir)
{
    static const unsigned char want[] = {
        'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1, 0, 2, 0, 220,
        'M', 'T', 'r', 'k', 0, 0, 0, 19,
        0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20,
        0x00, 0xff, 0x58, 0x04, 0x04, 0x02, 0x18, 0x08,
        0x01, 0xff, 0x2f, 0x00,
        'M', 'T', 'r', 'k', 0, 0, 0, 22,
        0x00, 0xc0, 0x00,
        0x00, 0x90, 0x3c, 0x64,
        0x81, 0x5c, 0x3c, 0x00, /* tick 220: the off (rank 10 << 16 | 60 << 8 | 0) first, */
        0x00, 0x3c, 0x5a,       /* then the re-struck on (velocity 90 ranks after 0) */
        0x81, 0x5c, 0x3c, 0x00, /* tick 440 */
        0x01, 0xff, 0x2f, 0x00,
    };
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE], path[4200];
    music_seq_init(&seq);
    music_note note = {.start = 0.0, .end = 0.5, .pitch = 60, .velocity = 100};
    music_seq_add_note(&seq, &note);
    note = (music_note){.start = 0.5, .end = 1.0, .pitch = 60, .velocity = 90};
    music_seq_add_note(&seq, &note);
    snprintf(path, sizeof path, "%s/one.mid", dir);
    music_status st = music_midi_write_file(&seq, path, why);
    CHECK_STATUS(st, MUSIC_OK, why);
    unsigned char got[256];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(got, 1, sizeof got, f) : 0;
    if (f)
        fclose(f);
    CHECK(n == sizeof want, "wrote %zu bytes, expected %zu", n, sizeof want);
    for (size_t i = 0; i < n && i < sizeof want; i++)
        if (got[i] != want[i]) {
            CHECK(0, "byte %zu is 0x%02x, expected 0x%02x", i, got[i], want[i]);
            break;
        }
    music_seq_free(&seq);
}

static void add(music_seq *seq, int instrument, int program, bool drum, int pitch, int velocity, double start, double end)
{
    music_note n = {.start = start, .end = end, .pitch = (uint8_t)pitch, .velocity = (uint8_t)velocity,
                    .program = (uint8_t)program, .is_drum = drum, .instrument = instrument};
    music_status st = music_seq_add_note(seq, &n);
    CHECK(st == MUSIC_OK, "add_note: %d", st);
}

static void test_round_trip(const char *dir)
{
    music_seq seq, back;
    char why[MUSIC_MESSAGE_SIZE], path[4200];
    music_seq_init(&seq);
    music_seq_init(&back);
    seq.ticks_per_quarter = 480;
    music_seq_add_tempo(&seq, 0.0, 120.0);
    music_seq_add_tempo(&seq, 2.0, 90.0);
    music_seq_add_time_signature(&seq, 0.0, 3, 4);
    music_seq_add_time_signature(&seq, 3.0, 7, 8);
    music_seq_add_key_signature(&seq, 0.0, 2, 1);
    music_seq_add_key_signature(&seq, 1.0, 10, 0);
    music_seq_add_chord(&seq, 0.0, "Am"); /* note_seq writes no chord symbols */
    add(&seq, 0, 0, false, 60, 100, 0.0, 0.5);
    add(&seq, 0, 0, false, 60, 90, 0.5, 1.0); /* re-struck at the previous note's end */
    add(&seq, 0, 0, false, 64, 80, 0.25, 2.75);
    add(&seq, 1, 30, false, 40, 70, 1.1, 3.3);
    add(&seq, 1, 30, false, 43, 71, 2.2, 4.4);
    add(&seq, 2, 0, true, 36, 127, 0.0, 0.1);
    add(&seq, 2, 0, true, 38, 120, 2.5, 2.6);
    music_control cc = {.time = 1.0, .number = 64, .value = 127, .program = 30, .instrument = 1};
    music_seq_add_control(&seq, &cc);
    cc.time = 3.0, cc.value = 0;
    music_seq_add_control(&seq, &cc);

    snprintf(path, sizeof path, "%s/round.mid", dir);
    music_status st = music_midi_write_file(&seq, path, why);
    CHECK_STATUS(st, MUSIC_OK, why);
    st = music_midi_read_file(path, &back, why);
    CHECK_STATUS(st, MUSIC_OK, why);
    CHECK(back.ticks_per_quarter == 480, "ticks_per_quarter %d", back.ticks_per_quarter);
    CHECK(back.chords.count == 0, "%d chords read back", back.chords.count);
    music_seq_sort(&seq);
    music_seq_sort(&back);
    /* one tick at the slowest tempo; the 90 qpm tempo comes back as 60e6 / int(6e7 / 90) */
    const double tick = 60.0 / (90.0 * 480);
    CHECK(back.notes.count == seq.notes.count, "%d notes back, %d written", back.notes.count, seq.notes.count);
    for (int i = 0; i < seq.notes.count && i < back.notes.count; i++) {
        const music_note *a = &seq.notes.items[i], *b = &back.notes.items[i];
        CHECK(a->pitch == b->pitch && a->velocity == b->velocity && a->program == b->program && a->is_drum == b->is_drum &&
                  fabs(a->start - b->start) <= tick && fabs(a->end - b->end) <= tick,
              "note %d: wrote %d/%d/%d [%g, %g], read %d/%d/%d [%g, %g]", i, a->pitch, a->velocity, a->program, a->start,
              a->end, b->pitch, b->velocity, b->program, b->start, b->end);
    }
    CHECK(back.tempos.count == 2, "%d tempos back", back.tempos.count);
    if (back.tempos.count == 2) {
        CHECK_NEAR(back.tempos.items[1].time, 2.0, tick);
        CHECK_NEAR(back.tempos.items[1].qpm, 60e6 / 666666, 1e-9);
    }
    CHECK(back.time_signatures.count == 2 && back.time_signatures.items[1].numerator == 7 &&
              back.time_signatures.items[1].denominator == 8 && fabs(back.time_signatures.items[1].time - 3.0) <= tick,
          "time signatures %d", back.time_signatures.count);
    CHECK(back.key_signatures.count == 2 && back.key_signatures.items[0].key == 2 && back.key_signatures.items[0].mode == 1 &&
              back.key_signatures.items[1].key == 10 && back.key_signatures.items[1].mode == 0,
          "key signatures %d", back.key_signatures.count);
    CHECK(back.controls.count == 2 && back.controls.items[0].number == 64 && back.controls.items[0].program == 30 &&
              fabs(back.controls.items[1].time - 3.0) <= tick,
          "controls %d", back.controls.count);

    /* A failed write leaves an existing file untouched: a time signature mido cannot encode. */
    music_seq_add_time_signature(&seq, 5.0, 4, 3);
    st = music_midi_write_file(&seq, path, why);
    CHECK(st == MUSIC_ERR_RANGE && strstr(why, path) == why, "status %d \"%s\"", st, why);
    music_seq again;
    music_seq_init(&again);
    st = music_midi_read_file(path, &again, why);
    CHECK(st == MUSIC_OK && again.notes.count == back.notes.count, "the old file no longer reads: %d \"%s\"", st, why);
    music_seq_free(&again);
    st = music_midi_write_file(&seq, "/nonexistent-dir/x.mid", why);
    CHECK(st == MUSIC_ERR_RANGE || st == MUSIC_ERR_IO, "status %d", st);
    music_seq_free(&seq);
    music_seq_free(&back);
}

/* ---- apply_sustain: note_seq's sequences_lib_test.py ---------------------------------------- */

typedef struct sus_note {
    int pitch, velocity;
    double start, end;
} sus_note;

static void sus_add(music_seq *seq, int instrument, const sus_note *notes, int count, bool drum)
{
    for (int i = 0; i < count; i++)
        add(seq, instrument, 0, drum, notes[i].pitch, notes[i].velocity, notes[i].start, notes[i].end);
}

static void sus_controls(music_seq *seq, const double (*cc)[3], int count)
{
    for (int i = 0; i < count; i++) {
        music_control c = {.time = cc[i][0], .number = (uint8_t)cc[i][1], .value = (uint8_t)cc[i][2], .instrument = 0};
        music_seq_add_control(seq, &c);
    }
}

static void check_sustain(const char *name, music_seq *seq, const sus_note *want, const int *instruments, int count,
                          double total_time)
{
    music_status st = music_seq_apply_sustain(seq);
    CHECK(st == MUSIC_OK, "%s: status %d", name, st);
    CHECK(seq->notes.count == count, "%s: %d notes, expected %d", name, seq->notes.count, count);
    for (int i = 0; i < count && i < seq->notes.count; i++) {
        const music_note *n = &seq->notes.items[i];
        CHECK(n->pitch == want[i].pitch && n->velocity == want[i].velocity && n->start == want[i].start &&
                  n->end == want[i].end && n->instrument == (instruments ? instruments[i] : 0),
              "%s: note %d is %d/%d [%g, %g], expected %d/%d [%g, %g]", name, i, n->pitch, n->velocity, n->start, n->end,
              want[i].pitch, want[i].velocity, want[i].start, want[i].end);
    }
    CHECK(seq->total_time == total_time, "%s: total_time %g, expected %g", name, seq->total_time, total_time);
}

static void test_sustain(void)
{
    music_seq seq;
    { /* testApplySustainControlChanges */
        music_seq_init(&seq);
        static const double cc[][3] = {{0.0, 64, 127}, {0.75, 64, 0}, {2.0, 64, 127}, {3.0, 64, 0}, {3.75, 64, 127},
                                       {4.5, 64, 127}, {4.8, 64, 0},  {4.9, 64, 127}, {6.0, 64, 0}};
        sus_controls(&seq, cc, 9);
        static const sus_note one[] = {{12, 100, 0.01, 10.0}, {52, 99, 4.75, 5.0}};
        static const sus_note zero[] = {{11, 55, 0.22, 0.50}, {40, 45, 2.50, 3.50}, {55, 120, 4.0, 4.01}};
        sus_add(&seq, 1, one, 2, false);
        sus_add(&seq, 0, zero, 3, false);
        static const sus_note want[] = {{12, 100, 0.01, 10.0}, {52, 99, 4.75, 5.0}, {11, 55, 0.22, 0.75},
                                        {40, 45, 2.50, 3.50},  {55, 120, 4.0, 4.8}};
        static const int instruments[] = {1, 1, 0, 0, 0};
        check_sustain("testApplySustainControlChanges", &seq, want, instruments, 5, 10.0);
        music_seq_free(&seq);
    }
    { /* testApplySustainControlChangesWithRepeatedNotes */
        music_seq_init(&seq);
        static const double cc[][3] = {{1.0, 64, 127}, {4.0, 64, 0}};
        sus_controls(&seq, cc, 2);
        static const sus_note notes[] = {{60, 100, 0.25, 1.50}, {60, 100, 1.25, 1.50}, {72, 100, 2.00, 3.50},
                                         {60, 100, 2.0, 3.00},  {60, 100, 3.50, 4.50}};
        sus_add(&seq, 0, notes, 5, false);
        static const sus_note want[] = {{60, 100, 0.25, 1.25}, {60, 100, 1.25, 2.00}, {72, 100, 2.00, 4.00},
                                        {60, 100, 2.0, 3.50},  {60, 100, 3.50, 4.50}};
        check_sustain("testApplySustainControlChangesWithRepeatedNotes", &seq, want, NULL, 5, 4.5);
        music_seq_free(&seq);
    }
    { /* testApplySustainControlChangesWithRepeatedNotesBeforeSustain */
        music_seq_init(&seq);
        static const double cc[][3] = {{1.0, 64, 127}, {4.0, 64, 0}};
        sus_controls(&seq, cc, 2);
        static const sus_note notes[] = {{60, 100, 0.25, 1.50}, {60, 100, .50, 1.50}, {60, 100, 1.25, 2.0}};
        sus_add(&seq, 0, notes, 3, false);
        static const sus_note want[] = {{60, 100, 0.25, 1.25}, {60, 100, 0.50, 1.25}, {60, 100, 1.25, 4.00}};
        check_sustain("testApplySustainControlChangesWithRepeatedNotesBeforeSustain", &seq, want, NULL, 3, 4.0);
        music_seq_free(&seq);
    }
    { /* testApplySustainControlChangesSimultaneousOnOff: a no-op */
        music_seq_init(&seq);
        static const double cc[][3] = {{1.0, 64, 127}, {1.0, 64, 0}};
        sus_controls(&seq, cc, 2);
        static const sus_note notes[] = {{60, 100, 0.50, 1.50}, {60, 100, 2.0, 3.0}};
        sus_add(&seq, 0, notes, 2, false);
        check_sustain("testApplySustainControlChangesSimultaneousOnOff", &seq, notes, NULL, 2, 3.0);
        music_seq_free(&seq);
    }
    { /* testApplySustainControlChangesExtendNotesToEnd */
        music_seq_init(&seq);
        static const double cc[][3] = {{1.0, 64, 127}, {4.0, 64, 0}};
        sus_controls(&seq, cc, 2);
        static const sus_note notes[] = {{60, 100, 0.50, 1.50}, {72, 100, 2.0, 3.0}};
        sus_add(&seq, 0, notes, 2, false);
        static const sus_note want[] = {{60, 100, 0.50, 4.00}, {72, 100, 2.0, 4.0}};
        check_sustain("testApplySustainControlChangesExtendNotesToEnd", &seq, want, NULL, 2, 4.0);
        music_seq_free(&seq);
    }
    { /* testApplySustainControlChangesExtraneousSustain: total_time stays 3.0 */
        music_seq_init(&seq);
        static const double cc[][3] = {{4.0, 64, 127}, {5.0, 64, 0}};
        sus_controls(&seq, cc, 2);
        static const sus_note notes[] = {{60, 100, 0.50, 1.50}, {72, 100, 2.0, 3.0}};
        sus_add(&seq, 0, notes, 2, false);
        check_sustain("testApplySustainControlChangesExtraneousSustain", &seq, notes, NULL, 2, 3.0);
        music_seq_free(&seq);
    }
    { /* testApplySustainControlChangesWithIdenticalNotes: one of the two is dropped */
        music_seq_init(&seq);
        static const double cc[][3] = {{1.0, 64, 127}, {4.0, 64, 0}};
        sus_controls(&seq, cc, 2);
        static const sus_note notes[] = {{60, 100, 2.00, 2.50}, {60, 100, 2.00, 2.50}};
        sus_add(&seq, 0, notes, 2, false);
        static const sus_note want[] = {{60, 100, 2.00, 4.00}};
        check_sustain("testApplySustainControlChangesWithIdenticalNotes", &seq, want, NULL, 1, 4.0);
        music_seq_free(&seq);
    }
    { /* testApplySustainControlChangesWithDrumNotes: the drum note keeps its end */
        music_seq_init(&seq);
        static const double cc[][3] = {{1.0, 64, 127}, {4.0, 64, 0}};
        sus_controls(&seq, cc, 2);
        static const sus_note melodic[] = {{60, 100, 2.00, 2.50}}, drum[] = {{38, 100, 2.00, 2.50}};
        sus_add(&seq, 0, melodic, 1, false);
        sus_add(&seq, 0, drum, 1, true);
        static const sus_note want[] = {{60, 100, 2.00, 4.00}, {38, 100, 2.0, 2.5}};
        check_sustain("testApplySustainControlChangesWithDrumNotes", &seq, want, NULL, 2, 4.0);
        CHECK(seq.notes.count == 2 && seq.notes.items[1].is_drum, "drum flag lost");
        music_seq_free(&seq);
    }
    { /* testApplySustainControlChangesProcessSustainBeforeNotes: a no-op */
        music_seq_init(&seq);
        static const double cc[][3] = {{0.0, 64, 127}, {0.75, 64, 0}, {2.0, 64, 127}, {3.0, 64, 0}};
        sus_controls(&seq, cc, 4);
        static const sus_note notes[] = {{11, 55, 0.22, 0.75}, {40, 45, 2.50, 3.50}};
        sus_add(&seq, 0, notes, 2, false);
        check_sustain("testApplySustainControlChangesProcessSustainBeforeNotes", &seq, notes, NULL, 2, 3.5);
        music_seq_free(&seq);
    }
    { /* apply_sustain_control_changes raises QuantizationStatusError on a quantized sequence */
        music_seq_init(&seq);
        seq.steps_per_quarter = 4;
        CHECK(music_seq_apply_sustain(&seq) == MUSIC_ERR_QUANTIZE, "a quantized sequence was accepted");
        music_seq_free(&seq);
    }
}

int main(void)
{
    char dir[] = "/tmp/test_midi.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_format0();
    test_format1();
    test_overlap();
    test_empty();
    test_trailing_bytes();
    test_refused();
    test_truncations(FORMAT0, sizeof FORMAT0, "format0.mid");
    test_truncations(FORMAT1, sizeof FORMAT1, "format1.mid");
    test_truncations(OVERLAP, sizeof OVERLAP, "overlap.mid");
    test_mutations(FORMAT0, sizeof FORMAT0, "format0.mid", 2000);
    test_mutations(FORMAT1, sizeof FORMAT1, "format1.mid", 2000);
    test_mutations(OVERLAP, sizeof OVERLAP, "overlap.mid", 1000);
    test_write_bytes(dir);
    test_round_trip(dir);
    test_sustain();
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    printf("midi: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
