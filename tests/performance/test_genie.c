/* test_genie.c — Piano Genie's key and delta-time features and its decoder input.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */

#include "check.h"
#include "music.h"

#include <stdlib.h>
#include <string.h>

static void add(music_seq *seq, double start, int pitch)
{
    music_note note = {.start = start, .end = start + 0.25, .pitch = (uint8_t)pitch, .velocity = 80};
    if (music_seq_add_note(seq, &note) != MUSIC_OK)
        abort();
}

static void test_delta_bins(void)
{
    /* loader.py: round(float32(dt) * 31.25) with tf.round, half to even, clipped to 32. The
     * float32 products were worked out with Python's struct module:
     *   0.016 -> 0.01600000075995922 * 31.25 -> 0.5 exactly in float32 -> 0 (floor(x + .5) gives 1)
     *   0.048 -> 1.5 -> 2;  0.08 -> 2.5 -> 2 (half to even);  0.1 -> 3.125 -> 3
     *   0.03 -> 0.9375 -> 1;  0.9 -> 28.125 -> 28;  1.024 -> 32.0 -> 32;  1.04 -> 32.5 -> 32 */
    CHECK_INT(music_genie_delta_bin(0.0), 0);
    CHECK_INT(music_genie_delta_bin(0.016), 0);
    CHECK_INT(music_genie_delta_bin(0.048), 2);
    CHECK_INT(music_genie_delta_bin(0.08), 2);
    CHECK_INT(music_genie_delta_bin(0.1), 3);
    CHECK_INT(music_genie_delta_bin(0.03), 1);
    CHECK_INT(music_genie_delta_bin(0.9), 28);
    CHECK_INT(music_genie_delta_bin(1.024), 32);
    CHECK_INT(music_genie_delta_bin(1.04), 32);
    CHECK_INT(music_genie_delta_bin(MUSIC_GENIE_FIRST_DELTA_SECONDS), 32);
    CHECK_INT(music_genie_delta_bin(1e300), 32);
}

static void test_button_values(void)
{
    /* model.py's 2 * (b / 7) - 1 in float32 (struct-module values); for b = 2..5 this differs
     * in the last bit from float32(2b/7 - 1), e.g. b = 2: -0.4285714030265808 vs -0.4285714328... */
    static const float want[8] = {-1.0f,
                                  -0.7142857313156128f,
                                  -0.4285714030265808f,
                                  -0.1428571343421936f,
                                  0.14285719394683838f,
                                  0.4285714626312256f,
                                  0.7142857313156128f,
                                  1.0f};
    for (int b = 0; b < 8; b++)
        CHECK(music_genie_button_value(b) == want[b], "button %d: %.9g, want %.9g", b,
              (double)music_genie_button_value(b), (double)want[b]);
}

static void test_decoder_input(void)
{
    CHECK_INT(MUSIC_GENIE_DECODER_INPUT_SIZE, 123);
    float input[123], want[123];
    /* First step: button 3, the start token (one-hot index 0 of 89 at offset 1), delta bin 32
     * (one-hot index 32 of 33 at offset 90). */
    CHECK_INT(music_genie_decoder_input(3, -1, 32, input, 123), MUSIC_OK);
    memset(want, 0, sizeof want);
    want[0] = music_genie_button_value(3);
    want[1] = 1.0f;
    want[90 + 32] = 1.0f;
    CHECK(memcmp(input, want, sizeof want) == 0, "first step input differs");
    /* Key 87 (MIDI 108) -> index 88 at offset 1 = 89; delta 0 -> 90. */
    CHECK_INT(music_genie_decoder_input(7, 87, 0, input, 123), MUSIC_OK);
    memset(want, 0, sizeof want);
    want[0] = 1.0f;
    want[89] = 1.0f;
    want[90] = 1.0f;
    CHECK(memcmp(input, want, sizeof want) == 0, "last key input differs");
    CHECK_INT(music_genie_decoder_input(8, 0, 0, input, 123), MUSIC_ERR_RANGE);
    CHECK_INT(music_genie_decoder_input(0, 88, 0, input, 123), MUSIC_ERR_RANGE);
    CHECK_INT(music_genie_decoder_input(0, -2, 0, input, 123), MUSIC_ERR_RANGE);
    CHECK_INT(music_genie_decoder_input(0, 0, 33, input, 123), MUSIC_ERR_RANGE);
    CHECK_INT(music_genie_decoder_input(0, 0, 0, input, 122), MUSIC_ERR_ARGUMENT);
}

static void test_extract(void)
{
    /* A short sequence, worked by hand through loader.py's _str_to_tensor:
     *   added        (start, pitch): (0.0, 64) (0.0, 60) (0.08, 15) (0.5, 108) (0.516, 21) (2.0, 109) (2.5, 72)
     *   sorted by (start, pitch):    60, 64, 15, 108, 21, 109, 72 (60 before 64 at the same time)
     *   piano only (21..108):        60, 64, 108, 21, 72 (15 and 109 dropped after sorting)
     *   keys = pitch - 21:           39, 43, 87, 0, 51
     *   deltas (float64, then f32):  100000 (first), 0.0, 0.5 (from 64's start: 15 is gone),
     *                                0.516 - 0.5 = 0.016000000000000014 -> f32 0.016 -> 0.5 frames,
     *                                2.5 - 0.516 = 1.984 -> 62 frames
     *   bins (half to even, <= 32):  32, 0, 16 (15.625), 0 (0.5 -> 0), 32 (62 clipped) */
    music_seq seq;
    music_seq_init(&seq);
    add(&seq, 0.0, 64);
    add(&seq, 0.0, 60);
    add(&seq, 0.08, 15);
    add(&seq, 0.5, 108);
    add(&seq, 0.516, 21);
    add(&seq, 2.0, 109);
    add(&seq, 2.5, 72);
    int keys[8], bins[8], count = -1;
    char why[MUSIC_MESSAGE_SIZE];
    CHECK_INT(music_genie_extract(&seq, keys, bins, 8, &count, why), MUSIC_OK);
    CHECK_INT(count, 5);
    static const int want_keys[5] = {39, 43, 87, 0, 51}, want_bins[5] = {32, 0, 16, 0, 32};
    for (int i = 0; i < 5 && i < count; i++) {
        CHECK_INT(keys[i], want_keys[i]);
        CHECK_INT(bins[i], want_bins[i]);
    }
    /* Too small: the first entries, MUSIC_ERR_FULL and a message. */
    CHECK_INT(music_genie_extract(&seq, keys, bins, 2, &count, why), MUSIC_ERR_FULL);
    CHECK_INT(count, 2);
    CHECK(strstr(why, "5 notes") != NULL, "message: %s", why);
    /* An empty sequence gives nothing. */
    music_seq_clear(&seq);
    CHECK_INT(music_genie_extract(&seq, keys, bins, 8, &count, why), MUSIC_OK);
    CHECK_INT(count, 0);
    music_seq_free(&seq);
}

int main(void)
{
    test_delta_bins();
    test_button_values();
    test_decoder_input();
    test_extract();
    return check_summary("piano genie");
}
