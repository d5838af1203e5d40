/* test_melody_encode.c — Magenta's melody encodings: MelodyOneHotEncoding (basic_rnn, mono_rnn,
 * MusicVAE), LookbackEventSequenceEncoderDecoder (lookback_rnn) and KeyMelodyEncoderDecoder
 * (attention_rnn). Expected vectors are worked out by hand from note_seq's encoder_decoder.py
 * and melody_encoder_decoder.py; the derivations are in the comments.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "../music_check.h"
#include "music.h"

#include <string.h>

#define NO MUSIC_MELODY_NO_EVENT
#define OFF MUSIC_MELODY_NOTE_OFF
#define LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Compare a float vector with the indices that should be 1 and -1 (all others 0). */
static void check_vector(const float *v, int size, const int *ones, int nones, const int *minus, int nminus,
                         int line)
{
    int bad = 0;
    for (int i = 0; i < size; i++) {
        float want = 0.0f;
        for (int k = 0; k < nones; k++)
            if (ones[k] == i)
                want = 1.0f;
        for (int k = 0; k < nminus; k++)
            if (minus[k] == i)
                want = -1.0f;
        if (v[i] != want) {
            if (!bad)
                fprintf(stderr, "vector from line %d:\n", line);
            fprintf(stderr, "  [%d] = %g, expected %g\n", i, (double)v[i], (double)want);
            bad = 1;
        }
    }
    CHECK(!bad);
}

/* The model sizes of melody_rnn_model.default_configs (input_size, num_classes) and of
 * MusicVAE's OneHotMelodyConverter (depth 90 = MelodyOneHotEncoding(21, 109).num_classes). */
static void test_config_sizes(void)
{
    static const struct {
        const char *name;
        int input, classes, min_note, max_note, key;
    } want[] = {
        {"basic_rnn", 38, 38, 48, 84, 0},      {"mono_rnn", 130, 130, 0, 128, -1},
        {"lookback_rnn", 121, 40, 48, 84, 0}, {"attention_rnn", 74, 40, 48, 84, 0},
        {"music_vae", 90, 90, 21, 109, -1},
    };
    for (int i = 0; i < LEN(want); i++) {
        music_melody_encoder e;
        CHECK_INT(music_melody_encoder_for_config(&e, want[i].name), MUSIC_OK);
        CHECK_INT(music_melody_encoder_input_size(&e), want[i].input);
        CHECK_INT(music_melody_encoder_num_classes(&e), want[i].classes);
        CHECK_INT(e.min_note, want[i].min_note);
        CHECK_INT(e.max_note, want[i].max_note);
        CHECK_INT(e.transpose_to_key, want[i].key);
    }
    music_melody_encoder e;
    CHECK_INT(music_melody_encoder_for_config(&e, "polyphony_rnn"), MUSIC_ERR_ARGUMENT);
    CHECK_INT(music_melody_encoder_init(&e, MUSIC_MELODY_ENCODING_ONEHOT, 10, 10), MUSIC_ERR_ARGUMENT);
    CHECK_INT(music_melody_encoder_init(&e, MUSIC_MELODY_ENCODING_ONEHOT, 0, 129), MUSIC_ERR_ARGUMENT);
}

/* MelodyOneHotEncoding.encode_event / decode_event: 0 no event, 1 note off, 2 + pitch - min. */
static void test_onehot(void)
{
    int c, ev;
    CHECK_INT(music_melody_onehot_encode(48, 84, NO, &c), MUSIC_OK);
    CHECK_INT(c, 0);
    CHECK_INT(music_melody_onehot_encode(48, 84, OFF, &c), MUSIC_OK);
    CHECK_INT(c, 1);
    CHECK_INT(music_melody_onehot_encode(48, 84, 48, &c), MUSIC_OK); /* lowest pitch */
    CHECK_INT(c, 2);
    CHECK_INT(music_melody_onehot_encode(48, 84, 60, &c), MUSIC_OK);
    CHECK_INT(c, 14);
    CHECK_INT(music_melody_onehot_encode(48, 84, 83, &c), MUSIC_OK); /* highest pitch */
    CHECK_INT(c, 37);
    CHECK_INT(music_melody_onehot_encode(48, 84, 84, &c), MUSIC_ERR_RANGE);
    CHECK_INT(music_melody_onehot_encode(48, 84, 47, &c), MUSIC_ERR_RANGE);
    CHECK_INT(music_melody_onehot_encode(48, 84, -3, &c), MUSIC_ERR_RANGE);
    CHECK_INT(music_melody_onehot_encode(0, 128, 0, &c), MUSIC_OK); /* mono_rnn */
    CHECK_INT(c, 2);
    CHECK_INT(music_melody_onehot_encode(0, 128, 127, &c), MUSIC_OK);
    CHECK_INT(c, 129);
    CHECK_INT(music_melody_onehot_encode(21, 109, 21, &c), MUSIC_OK); /* MusicVAE */
    CHECK_INT(c, 2);
    CHECK_INT(music_melody_onehot_encode(21, 109, 108, &c), MUSIC_OK);
    CHECK_INT(c, 89);
    CHECK_INT(music_melody_onehot_encode(21, 109, 109, &c), MUSIC_ERR_RANGE);
    CHECK_INT(music_melody_onehot_encode(21, 109, 20, &c), MUSIC_ERR_RANGE);
    CHECK_INT(music_melody_onehot_decode(48, 84, 0, &ev), MUSIC_OK);
    CHECK_INT(ev, NO);
    CHECK_INT(music_melody_onehot_decode(48, 84, 1, &ev), MUSIC_OK);
    CHECK_INT(ev, OFF);
    CHECK_INT(music_melody_onehot_decode(48, 84, 37, &ev), MUSIC_OK);
    CHECK_INT(ev, 83);
    CHECK_INT(music_melody_onehot_decode(48, 84, 38, &ev), MUSIC_ERR_RANGE);
    CHECK_INT(music_melody_onehot_decode(48, 84, -1, &ev), MUSIC_ERR_RANGE);

    /* decode(encode(x)) == x over every class of the three ranges. */
    static const int ranges[][2] = {{48, 84}, {0, 128}, {21, 109}};
    for (int r = 0; r < 3; r++) {
        int n = ranges[r][1] - ranges[r][0] + 2, bad = 0;
        for (int k = 0; k < n; k++) {
            if (music_melody_onehot_decode(ranges[r][0], ranges[r][1], k, &ev) != MUSIC_OK ||
                music_melody_onehot_encode(ranges[r][0], ranges[r][1], ev, &c) != MUSIC_OK || c != k)
                bad++;
        }
        CHECK_INT(bad, 0);
    }

    /* OneHotEventSequenceEncoderDecoder (basic_rnn): the input is the one-hot of the event and
     * the label its class. Melody 60, NO, OFF: inputs [14], [0], [1]. */
    music_melody_encoder e;
    music_melody_encoder_for_config(&e, "basic_rnn");
    static const int melody[] = {60, NO, OFF, 84};
    float in[38];
    int label;
    static const int expect[] = {14, 0, 1};
    for (int p = 0; p < 3; p++) {
        CHECK_INT(music_melody_encoder_input(&e, melody, 4, p, in), MUSIC_OK);
        check_vector(in, 38, &expect[p], 1, NULL, 0, __LINE__);
        CHECK_INT(music_melody_encoder_label(&e, melody, 4, p, &label), MUSIC_OK);
        CHECK_INT(label, expect[p]);
    }
    CHECK_INT(music_melody_encoder_input(&e, melody, 4, 3, in), MUSIC_ERR_RANGE); /* 84 is outside */
    CHECK_INT(music_melody_encoder_label(&e, melody, 4, 3, &label), MUSIC_ERR_RANGE);
    CHECK_INT(music_melody_encoder_input(&e, melody, 4, 4, in), MUSIC_ERR_ARGUMENT);
}

/* LookbackEventSequenceEncoderDecoder(MelodyOneHotEncoding(48, 84)), lookbacks 16 and 32,
 * 5 counter bits: input [0,38) this event, [38,76) the event after the 1-bar lookback,
 * [76,114) after the 2-bar lookback, [114,119) counter of position + 1 (1 / -1), [119,121)
 * "repeats 1 / 2 bars ago". Labels: 38 = repeat 1 bar, 39 = repeat 2 bars. */
static void test_lookback(void)
{
    music_melody_encoder e;
    music_melody_encoder_for_config(&e, "lookback_rnn");
    int ev[40];
    for (int i = 0; i < 40; i++)
        ev[i] = NO;
    ev[0] = 60;
    ev[3] = OFF;
    ev[16] = 60;
    ev[33] = 62;
    float in[121];
    int label;

    /* Position 0: 60 -> [14]; both lookbacks before the start read NO_EVENT -> [38 + 0],
     * [76 + 0]; counter n = 1 = 00001b -> [114] = 1, [115..118] = -1; no repeats. */
    CHECK_INT(music_melody_encoder_input(&e, ev, 40, 0, in), MUSIC_OK);
    {
        static const int ones[] = {14, 38, 76, 114}, minus[] = {115, 116, 117, 118};
        check_vector(in, 121, ones, 4, minus, 4, __LINE__);
    }
    /* Position 16: 60 -> [14]; 1 bar: events[16 - 16 + 1] = NO -> [38]; 2 bars: index -15 ->
     * NO -> [76]; n = 17 = 10001b -> [114] = 1, [115..117] = -1, [118] = 1; events[0] == 60
     * repeats 1 bar ago -> [119]. */
    CHECK_INT(music_melody_encoder_input(&e, ev, 40, 16, in), MUSIC_OK);
    {
        static const int ones[] = {14, 38, 76, 114, 118, 119}, minus[] = {115, 116, 117};
        check_vector(in, 121, ones, 6, minus, 3, __LINE__);
    }
    /* Position 32: NO -> [0]; 1 bar: events[17] = NO -> [38]; 2 bars: events[1] = NO -> [76];
     * n = 33 = 100001b, 5 bits: [114] = 1, [115..118] = -1; events[16] = 60 != NO, events[0] =
     * 60 != NO: no repeats. */
    CHECK_INT(music_melody_encoder_input(&e, ev, 40, 32, in), MUSIC_OK);
    {
        static const int ones[] = {0, 38, 76, 114}, minus[] = {115, 116, 117, 118};
        check_vector(in, 121, ones, 4, minus, 4, __LINE__);
    }
    /* Position 15: 1 bar: events[0] = 60 -> [38 + 14] = [52]; 2 bars: index -16 -> NO [76];
     * n = 16 = 10000b -> [118] = 1, the rest -1. */
    CHECK_INT(music_melody_encoder_input(&e, ev, 40, 15, in), MUSIC_OK);
    {
        static const int ones[] = {0, 52, 76, 118}, minus[] = {114, 115, 116, 117};
        check_vector(in, 121, ones, 4, minus, 4, __LINE__);
    }

    /* events_to_label: position 1 is NO before step 32 -> 38 + 2 - 1 = 39; position 3 OFF (no
     * lookback reachable) -> one-hot 1; position 0 -> 14; position 16 repeats events[0] -> 38;
     * position 33: 62, events[17] = NO, events[1] = NO -> 62 - 48 + 2 = 16; position 34 NO
     * with events[2] = NO (2 bars) and events[18] = NO (1 bar) -> the more distant wins: 39;
     * position 32 NO: events[16] = 60, events[0] = 60 -> plain NO -> 0. */
    static const int positions[] = {1, 3, 0, 16, 33, 34, 32}, labels[] = {39, 1, 14, 38, 16, 39, 0};
    for (int i = 0; i < LEN(positions); i++) {
        CHECK_INT(music_melody_encoder_label(&e, ev, 40, positions[i], &label), MUSIC_OK);
        CHECK_INT(label, labels[i]);
    }

    /* class_index_to_event: 38 with fewer than 16 events -> NO_EVENT; with 20 events ->
     * events[20 - 16] = NO; with 17 events -> events[1]; 39 with 33 events -> events[1]. */
    int out;
    CHECK_INT(music_melody_encoder_decode(&e, 38, ev, 10, &out), MUSIC_OK);
    CHECK_INT(out, NO);
    CHECK_INT(music_melody_encoder_decode(&e, 38, ev, 16, &out), MUSIC_OK);
    CHECK_INT(out, 60);
    CHECK_INT(music_melody_encoder_decode(&e, 39, ev, 35, &out), MUSIC_OK);
    CHECK_INT(out, OFF);
    CHECK_INT(music_melody_encoder_decode(&e, 16, ev, 0, &out), MUSIC_OK);
    CHECK_INT(out, 62);
    CHECK_INT(music_melody_encoder_decode(&e, 40, ev, 0, &out), MUSIC_ERR_RANGE);

    /* Round trip over all 40 classes: decode each after a 40-step history whose 1-bar and
     * 2-bar lookbacks hold different events that are not the decoded one, then label it. */
    int bad = 0;
    for (int k = 0; k < 40; k++) {
        int h[41];
        for (int i = 0; i < 40; i++)
            h[i] = NO;
        int decoded;
        if (k < 38) {
            music_melody_encoder_decode(&e, k, h, 40, &decoded);
            int a = decoded == 70 ? 71 : 70, b = decoded == 72 ? 73 : 72;
            h[40 - 16] = a;
            h[40 - 32] = b;
        } else {
            h[40 - 16] = 70;
            h[40 - 32] = 72;
        }
        music_melody_encoder_decode(&e, k, h, 40, &decoded);
        h[40] = decoded;
        if (music_melody_encoder_label(&e, h, 41, 40, &label) != MUSIC_OK || label != k) {
            fprintf(stderr, "lookback class %d -> event %d -> label %d\n", k, decoded, label);
            bad++;
        }
    }
    CHECK_INT(bad, 0);
    ev[5] = 90; /* outside 48..84 */
    CHECK_INT(music_melody_encoder_input(&e, ev, 40, 5, in), MUSIC_ERR_RANGE);
    CHECK_INT(music_melody_encoder_input(&e, ev, 40, 20, in), MUSIC_ERR_RANGE); /* 1-bar lookback reads it */
}

/* KeyMelodyEncoderDecoder(48, 84) of attention_rnn: input [0,36) pitch, 36 note playing,
 * 37 silence, 38 attack, 39 direction (1 up, -1 down), [40,42) repeats 1 / 2 bars ago,
 * [42,49) 7-bit counter of the length so far, 49 next step starts a bar, [50,62) keys of the
 * melody so far (1 on each maximum), [62,74) keys of the last 3 distinct pitches. Labels:
 * [0,36) pitch, 36 no event, 37 note off, 38 / 39 repeat 1 / 2 bars. */
static void test_key(void)
{
    music_melody_encoder e;
    music_melody_encoder_for_config(&e, "attention_rnn");
    static const int ev[] = {60, NO, 64, OFF, 62};
    float in[74];
    int label;

    /* Position 4: the loop sees 60 (attack, current 60, last3 [60]), NO (attack off), 64 (up,
     * last3 [60 64]), OFF (current none), 62 (attack, down, last3 [60 64 62]). Pitch 62 ->
     * [14], playing [36], attack [38], descending [39] = -1; no lookback reachable; n = 5 =
     * 0000101b -> [42] = 1, [43] = -1, [44] = 1, [45..48] = -1; 5 % 16 != 0. Key histogram of
     * C, E, D (NOTE_KEYS): C 3, C# 1, D 2, D# 2, E 1, F 3, F# 0, G 3, G# 1, A 2, A# 2, B 1 ->
     * maxima C, F, G -> [50], [55], [57]; the last 3 notes are the same -> [62], [67], [69]. */
    CHECK_INT(music_melody_encoder_input(&e, ev, 5, 4, in), MUSIC_OK);
    {
        static const int ones[] = {14, 36, 38, 42, 44, 50, 55, 57, 62, 67, 69};
        static const int minus[] = {39, 43, 45, 46, 47, 48};
        check_vector(in, 74, ones, LEN(ones), minus, LEN(minus), __LINE__);
    }
    /* Position 3 (OFF after 64): silence [37]; attack is left on by a note-off (Magenta only
     * clears it on NO_EVENT) [38]; ascending [39] = 1; n = 4 = 100b -> [44] = 1, others -1;
     * keys of C, E: C 2, C# 1, D 1, D# 1, E 1, F 2, F# 0, G 2, G# 1, A 1, A# 1, B 1
     * -> maxima C, F, G: [50], [55], [57]; last 3 = C, E: the same -> [62], [67], [69]. */
    CHECK_INT(music_melody_encoder_input(&e, ev, 5, 3, in), MUSIC_OK);
    {
        static const int ones[] = {37, 38, 39, 44, 50, 55, 57, 62, 67, 69};
        static const int minus[] = {42, 43, 45, 46, 47, 48};
        check_vector(in, 74, ones, LEN(ones), minus, LEN(minus), __LINE__);
    }
    /* A lone NOTE_OFF: silence, no attack, no direction, n = 1, an empty histogram whose
     * maximum 0 is everywhere -> all 24 key inputs are 1. */
    static const int lone[] = {OFF};
    CHECK_INT(music_melody_encoder_input(&e, lone, 1, 0, in), MUSIC_OK);
    {
        int ones[26] = {37, 42}, minus[] = {43, 44, 45, 46, 47, 48};
        for (int k = 0; k < 24; k++)
            ones[2 + k] = 50 + k;
        check_vector(in, 74, ones, 26, minus, LEN(minus), __LINE__);
    }
    /* The bar flag: after 16 events the next one starts a bar. Position 15 of 16 events with
     * a 60 at 0: n = 16 -> [46] = 1 ([42..45], [47], [48] = -1), [49] = 1; no attack at 15. */
    int bar[16];
    for (int i = 0; i < 16; i++)
        bar[i] = NO;
    bar[0] = 60;
    CHECK_INT(music_melody_encoder_input(&e, bar, 16, 15, in), MUSIC_OK);
    {
        static const int ones[] = {12, 36, 46, 49, 50, 51, 53, 55, 57, 58, 60, 62, 63, 65, 67, 69, 70, 72};
        static const int minus[] = {42, 43, 44, 45, 47, 48};
        check_vector(in, 74, ones, LEN(ones), minus, LEN(minus), __LINE__);
    }

    /* Labels: 60 -> 12; NO at position 1 (< 32) -> 36 + 2 + 1 = 39; OFF -> 37; 62 -> 14. */
    static const int labels[] = {12, 39, 16, 37, 14};
    for (int p = 0; p < 5; p++) {
        CHECK_INT(music_melody_encoder_label(&e, ev, 5, p, &label), MUSIC_OK);
        CHECK_INT(label, labels[p]);
    }
    /* NO at position 40 with nothing repeated -> 36. */
    int longer[41];
    for (int i = 0; i < 41; i++)
        longer[i] = 60 + i % 7;
    longer[40] = NO;
    CHECK_INT(music_melody_encoder_label(&e, longer, 41, 40, &label), MUSIC_OK);
    CHECK_INT(label, 36);

    /* class_index_to_event: pitches first, then NO, OFF, repeats. Round trip over all 40
     * classes after a history whose lookbacks hold other events. */
    int out, bad = 0;
    CHECK_INT(music_melody_encoder_decode(&e, 0, NULL, 0, &out), MUSIC_OK);
    CHECK_INT(out, 48);
    CHECK_INT(music_melody_encoder_decode(&e, 35, NULL, 0, &out), MUSIC_OK);
    CHECK_INT(out, 83);
    CHECK_INT(music_melody_encoder_decode(&e, 36, NULL, 0, &out), MUSIC_OK);
    CHECK_INT(out, NO);
    CHECK_INT(music_melody_encoder_decode(&e, 37, NULL, 0, &out), MUSIC_OK);
    CHECK_INT(out, OFF);
    CHECK_INT(music_melody_encoder_decode(&e, 39, NULL, 0, &out), MUSIC_OK);
    CHECK_INT(out, NO);
    for (int k = 0; k < 40; k++) {
        int h[41], decoded;
        for (int i = 0; i < 40; i++)
            h[i] = NO;
        if (k < 38) {
            music_melody_encoder_decode(&e, k, h, 40, &decoded);
            h[24] = decoded == 70 ? 71 : 70;
            h[8] = decoded == 72 ? 73 : 72;
        } else {
            h[24] = 70;
            h[8] = 72;
        }
        music_melody_encoder_decode(&e, k, h, 40, &decoded);
        h[40] = decoded;
        if (music_melody_encoder_label(&e, h, 41, 40, &label) != MUSIC_OK || label != k)
            bad++;
    }
    CHECK_INT(bad, 0);

    /* Range: a pitch outside 48..84 cannot be an input or a label. */
    static const int low[] = {47};
    CHECK_INT(music_melody_encoder_input(&e, low, 1, 0, in), MUSIC_ERR_RANGE);
    CHECK_INT(music_melody_encoder_label(&e, low, 1, 0, &label), MUSIC_ERR_RANGE);
    CHECK_INT(music_melody_encoder_decode(&e, 40, NULL, 0, &out), MUSIC_ERR_RANGE);

    /* `if current_note:` in Python: pitch 0 reads as silence. Over 0..128 the input is
     * 128 + 2 + 1 + 1 + 2 + 7 + 1 + 12 + 12 = 166 wide; pitch 0 sets silence [129], not [0]. */
    music_melody_encoder wide;
    CHECK_INT(music_melody_encoder_init(&wide, MUSIC_MELODY_ENCODING_KEY, 0, 128), MUSIC_OK);
    CHECK_INT(music_melody_encoder_input_size(&wide), 166);
    float win[166];
    static const int zero[] = {0};
    CHECK_INT(music_melody_encoder_input(&wide, zero, 1, 0, win), MUSIC_OK);
    CHECK(win[0] == 0.0f);
    CHECK(win[128] == 0.0f);
    CHECK(win[129] == 1.0f);
    CHECK(win[130] == 1.0f); /* attack */
}

/* MusicVAE's melody slices (LegacyEventListOneHotConverter.to_tensors): windows of
 * slice_bars * 16 steps every 16 steps, each a Melody whose leading note-offs are cleaned,
 * each event one of 90 classes. A 48-step melody with 2-bar slices gives windows [0,32) and
 * [16,48); a window that starts on a NOTE_OFF starts with class 0, not 1. */
static void test_music_vae_slices(void)
{
    int ev[48], sev[32];
    for (int i = 0; i < 48; i++)
        ev[i] = NO;
    ev[0] = 60;
    ev[16] = OFF;
    ev[20] = 108;
    ev[30] = 21;
    music_melody m = {.events = ev, .capacity = 48, .length = 48, .steps_per_bar = 16, .steps_per_quarter = 4};
    music_melody s = {.events = sev, .capacity = 32};
    int windows = 0;
    for (int i = 32; i <= m.length; i += 16) {
        CHECK_INT(music_melody_slice(&m, i - 32, i, &s), MUSIC_OK);
        int classes[32];
        for (int k = 0; k < 32; k++)
            CHECK_INT(music_melody_onehot_encode(21, 109, s.events[k], &classes[k]), MUSIC_OK);
        if (windows == 0) {
            CHECK_INT(classes[0], 60 - 21 + 2);
            CHECK_INT(classes[16], 1);
            CHECK_INT(classes[20], 89);
            CHECK_INT(classes[30], 2);
        } else {
            CHECK_INT(classes[0], 0); /* the NOTE_OFF at step 16 opens the window: no event */
            CHECK_INT(classes[4], 89);
            CHECK_INT(s.start_step, 16);
        }
        windows++;
    }
    CHECK_INT(windows, 2);
}

int main(void)
{
    test_config_sizes();
    test_onehot();
    test_lookback();
    test_key();
    test_music_vae_slices();
    return CHECK_SUMMARY("test_melody_encode");
}
