/* test_drums_encoders.c — Drums RNN's lookback input and labels, MusicVAE's drum vectors.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#include "drums_test.h"

#include <math.h>

static float input[2048];

static bool vector_is(const float *got, const float *want, int size)
{
    for (int i = 0; i < size; i++)
        if (got[i] != want[i]) {
            fprintf(stderr, "  element %d is %g, want %g\n", i, (double)got[i], (double)want[i]);
            return false;
        }
    return true;
}

static void test_sizes(void)
{
    music_drum_map map;
    music_drum_map_default(&map);

    /* drums_rnn_model.py 'drum_kit': LookbackEventSequenceEncoderDecoder(MultiDrumOneHotEncoding(),
     * lookback_distances=[], binary_counter_bits=6). input_size = 512 + 0 * 512 + 6 + 0 = 518;
     * num_classes = 512 + 0 = 512 (no repeat classes without lookbacks). */
    music_lookback_config kit = music_lookback_drum_kit();
    CHECK_INT(kit.lookbacks, 0);
    CHECK_INT(kit.binary_counter_bits, 6);
    CHECK_INT(music_drum_lookback_input_size(&map, &kit), 518);
    CHECK_INT(music_drum_lookback_input_size(&map, &kit), MUSIC_DRUM_KIT_INPUT_SIZE);
    CHECK_INT(music_drum_lookback_num_classes(&map, &kit), 512);
    CHECK_INT(music_drum_lookback_num_classes(&map, &kit), MUSIC_DRUM_KIT_NUM_CLASSES);

    /* encoder_decoder.py defaults: DEFAULT_LOOKBACK_DISTANCES = [16, 32], 5 counter bits:
     * 512 + 2 * 512 + 5 + 2 = 1543 inputs, 512 + 2 = 514 classes. */
    music_lookback_config def = music_lookback_default();
    CHECK_INT(def.distances[0], 16);
    CHECK_INT(def.distances[1], 32);
    CHECK_INT(music_drum_lookback_input_size(&map, &def), 1543);
    CHECK_INT(music_drum_lookback_num_classes(&map, &def), 514);

    /* 'one_drum' is a plain OneHotEventSequenceEncoderDecoder: 2 inputs, 2 classes, which a
     * lookback encoder with no lookbacks and no counter reproduces. */
    music_drum_map one;
    music_drum_map_one_drum(&one);
    music_lookback_config plain = {.lookbacks = 0, .binary_counter_bits = 0};
    CHECK_INT(music_drum_lookback_input_size(&one, &plain), 2);
    CHECK_INT(music_drum_lookback_num_classes(&one, &plain), 2);
}

static void test_drum_kit_by_hand(void)
{
    /* A four-step track under drum_kit (no lookbacks, 6 counter bits):
     *   step 0 {36}      kick                    -> one-hot index 1 (bit 0)
     *   step 1 {}        nothing                 -> index 0
     *   step 2 {38, 42}  snare + closed hi-hat   -> bits 1, 2 -> 2 + 4 = 6
     *   step 3 {35, 44}  kick + closed hi-hat    -> bits 0, 2 -> 1 + 4 = 5
     * events_to_input(events, p) is [one-hot of events[p] (512)] + [counter bits (6)]; the counter
     * encodes n = p + 1, the next step, bit i at 512 + i being +1 if (n >> i) & 1 else -1:
     *   p 0: n 1 = 000001 -> +1 -1 -1 -1 -1 -1
     *   p 1: n 2 = 000010 -> -1 +1 -1 -1 -1 -1
     *   p 2: n 3 = 000011 -> +1 +1 -1 -1 -1 -1
     *   p 3: n 4 = 000100 -> -1 -1 +1 -1 -1 -1 */
    music_drum_map map;
    music_drum_map_default(&map);
    music_lookback_config kit = music_lookback_drum_kit();
    const music_drum_event events[] = {DRUMS(36), NO_DRUMS, DRUMS(38, 42), DRUMS(35, 44)};
    const int want_index[4] = {1, 0, 6, 5};
    const float want_counter[4][6] = {
        {+1, -1, -1, -1, -1, -1},
        {-1, +1, -1, -1, -1, -1},
        {+1, +1, -1, -1, -1, -1},
        {-1, -1, +1, -1, -1, -1},
    };
    for (int p = 0; p < 4; p++) {
        float want[518] = {0};
        want[want_index[p]] = 1;
        for (int i = 0; i < 6; i++)
            want[512 + i] = want_counter[p][i];
        CHECK_INT(music_drum_lookback_input(&map, &kit, events, 4, p, input, 518), MUSIC_OK);
        CHECK(vector_is(input, want, 518));
        /* events_to_label with no lookbacks is encode_event of the event itself. */
        CHECK_INT(music_drum_lookback_label(&map, &kit, events, 4, p), want_index[p]);
    }
    /* The counter wraps at 2^6: position 63 encodes n = 64 = 1000000b, all six bits -1. */
    music_drum_event long_track[64];
    for (int i = 0; i < 64; i++)
        long_track[i] = NO_DRUMS;
    CHECK_INT(music_drum_lookback_input(&map, &kit, long_track, 64, 63, input, 518), MUSIC_OK);
    for (int i = 0; i < 6; i++)
        CHECK(input[512 + i] == -1.0f);
    CHECK(input[0] == 1.0f);
    /* Wrong sizes and positions are refused. */
    CHECK_INT(music_drum_lookback_input(&map, &kit, events, 4, 4, input, 518), MUSIC_ERR_ARGUMENT);
    CHECK_INT(music_drum_lookback_input(&map, &kit, events, 4, 0, input, 517), MUSIC_ERR_RANGE);
    CHECK_INT(music_drum_lookback_label(&map, &kit, events, 4, -1), -1);
    /* class_index_to_event with no lookbacks is decode_event; 512 is out of range. */
    music_drum_event event;
    CHECK_INT(music_drum_lookback_decode(&map, &kit, 6, events, 4, &event), MUSIC_OK);
    CHECK(same_event(&event, DRUMS(38, 42)));
    CHECK_INT(music_drum_lookback_decode(&map, &kit, 5, events, 4, &event), MUSIC_OK);
    CHECK(same_event(&event, DRUMS(36, 42))); /* 35 and 44 come back as their classes' first */
    CHECK_INT(music_drum_lookback_decode(&map, &kit, 512, events, 4, &event), MUSIC_ERR_RANGE);
}

/* note_seq encoder_decoder_test.LookbackEventSequenceEncoderDecoderTest runs on
 * TrivialOneHotEncoding(3) with lookbacks [1, 2] and 2 counter bits. Its events 0, 1, 2 are
 * here {} (index 0), {36} (kick, 1) and {38} (snare, 2) under a 2-class map, whose one-hot is 4
 * wide instead of 3: each of Magenta's 13-wide vectors [cur 3 | lookback 1: 3 | lookback 2: 3 |
 * counter 2 | repeat flags 2] becomes 16 wide with a zero after each 3-wide one-hot. Its repeat
 * classes 3 and 4 become 4 and 5. */
static void widen(const float *magenta, int one_hots, int tail, float *out)
{
    int k = 0, o = 0;
    for (int h = 0; h < one_hots; h++) {
        for (int i = 0; i < 3; i++)
            out[o++] = magenta[k++];
        out[o++] = 0;
    }
    for (int i = 0; i < tail; i++)
        out[o++] = magenta[k++];
}

static void test_magenta_lookback_cases(void)
{
    char why[MUSIC_MESSAGE_SIZE];
    const uint8_t kick[] = {36}, snare[] = {38};
    const uint8_t *lists[] = {kick, snare};
    const int lengths[] = {1, 1};
    music_drum_map map;
    CHECK_INT(music_drum_map_from_lists(&map, lists, lengths, 2, why), MUSIC_OK);
    music_lookback_config config = {.distances = {1, 2}, .lookbacks = 2, .binary_counter_bits = 2};
    CHECK_INT(music_drum_lookback_input_size(&map, &config), 16); /* Magenta: 13 with 3 classes */
    CHECK_INT(music_drum_lookback_num_classes(&map, &config), 6); /* Magenta: 5 */

    const music_drum_event e[3] = {NO_DRUMS, DRUMS(36), DRUMS(38)};
    const music_drum_event events[5] = {e[0], e[1], e[0], e[2], e[0]}; /* [0, 1, 0, 2, 0] */

    /* testEventsToInput */
    const float magenta_inputs[5][13] = {
        {1, 0, 0, 1, 0, 0, 1, 0, 0, 1, -1, 0, 0},
        {0, 1, 0, 0, 1, 0, 1, 0, 0, -1, 1, 0, 0},
        {1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0, 1},
        {0, 0, 1, 0, 0, 1, 1, 0, 0, -1, -1, 0, 0},
        {1, 0, 0, 1, 0, 0, 0, 0, 1, 1, -1, 0, 1},
    };
    for (int p = 0; p < 5; p++) {
        float want[16];
        widen(magenta_inputs[p], 3, 4, want);
        CHECK_INT(music_drum_lookback_input(&map, &config, events, 5, p, input, 16), MUSIC_OK);
        CHECK(vector_is(input, want, 16));
    }

    /* testEventsToLabel: [4, 1, 4, 2, 4] -> [5, 1, 5, 2, 5]. Position 0 is silence before the
     * farthest lookback (the last repeat class); 2 and 4 repeat two steps back. */
    const int want_labels[5] = {5, 1, 5, 2, 5};
    for (int p = 0; p < 5; p++)
        CHECK_INT(music_drum_lookback_label(&map, &config, events, 5, p), want_labels[p]);

    /* testClassIndexToEvent: class_index_to_event(c, events[:n]) for n = 1..5, c = 0..4 (here
     * 0, 1, 2, 4, 5), as Magenta's trivial events. */
    const int magenta_decoded[5][5] = {
        {0, 1, 2, 0, 0}, {0, 1, 2, 1, 0}, {0, 1, 2, 0, 1}, {0, 1, 2, 2, 0}, {0, 1, 2, 0, 2},
    };
    const int ours[5] = {0, 1, 2, 4, 5};
    for (int n = 1; n <= 5; n++)
        for (int c = 0; c < 5; c++) {
            music_drum_event event;
            CHECK_INT(music_drum_lookback_decode(&map, &config, ours[c], events, n, &event), MUSIC_OK);
            CHECK(music_drum_event_equal(&event, &e[magenta_decoded[n - 1][c]]));
        }

    /* events_to_label tries "reversed(list(enumerate(lookback_distances)))": a kick repeated at
     * both 1 and 2 steps back is labelled with the farther lookback, 4 + 1 = 5; a kick that
     * repeats only 1 step back (position 1 < 2, not silent) with 4 + 0 = 4. */
    const music_drum_event kicks[3] = {e[1], e[1], e[1]};
    CHECK_INT(music_drum_lookback_label(&map, &config, kicks, 3, 2), 5);
    CHECK_INT(music_drum_lookback_label(&map, &config, kicks, 3, 1), 4);

    /* testEmptyLookback: lookbacks [], 2 bits: input 5 -> 6 wide, classes 3 -> 4. */
    music_lookback_config none = {.lookbacks = 0, .binary_counter_bits = 2};
    CHECK_INT(music_drum_lookback_input_size(&map, &none), 6);
    CHECK_INT(music_drum_lookback_num_classes(&map, &none), 4);
    const float magenta_empty[5][5] = {
        {1, 0, 0, 1, -1}, {0, 1, 0, -1, 1}, {1, 0, 0, 1, 1}, {0, 0, 1, -1, -1}, {1, 0, 0, 1, -1},
    };
    const int want_empty_labels[5] = {0, 1, 0, 2, 0};
    for (int p = 0; p < 5; p++) {
        float want[6];
        widen(magenta_empty[p], 1, 2, want);
        CHECK_INT(music_drum_lookback_input(&map, &none, events, 5, p, input, 6), MUSIC_OK);
        CHECK(vector_is(input, want, 6));
        CHECK_INT(music_drum_lookback_label(&map, &none, events, 5, p), want_empty_labels[p]);
    }
}

static void test_repeats_compare_pitches(void)
{
    /* events_to_input's repeat flags and events_to_label compare the events themselves
     * ("events[position] == events[lookback_position]", frozensets of pitches), so {35} after
     * {36} is no repeat though both are the kick class. Lookback [1], 1 counter bit; input =
     * 512 + 512 + 1 + 1 = 1026. */
    music_drum_map map;
    music_drum_map_default(&map);
    music_lookback_config config = {.distances = {1}, .lookbacks = 1, .binary_counter_bits = 1};
    CHECK_INT(music_drum_lookback_input_size(&map, &config), 1026);
    const music_drum_event events[3] = {DRUMS(36), DRUMS(35), DRUMS(35)};
    /* position 1: one-hot 1; lookback event at 1 - 1 + 1 = 1 ({35}, index 1) at 512 + 1;
     * counter n = 2 -> bit 0 is -1; flag: {35} != {36} -> 0. */
    CHECK_INT(music_drum_lookback_input(&map, &config, events, 3, 1, input, 1026), MUSIC_OK);
    CHECK(input[1] == 1.0f);
    CHECK(input[513] == 1.0f);
    CHECK(input[1024] == -1.0f);
    CHECK(input[1025] == 0.0f);
    CHECK_INT(music_drum_lookback_label(&map, &config, events, 3, 1), 1);
    /* position 2 repeats position 1 exactly: flag 1, label 512 (the repeat class). */
    CHECK_INT(music_drum_lookback_input(&map, &config, events, 3, 2, input, 1026), MUSIC_OK);
    CHECK(input[1025] == 1.0f);
    CHECK_INT(music_drum_lookback_label(&map, &config, events, 3, 2), 512);
    /* class_index_to_event(512, events[:3]) is events[-1]: {35} itself, not the kick's 36. */
    music_drum_event event;
    CHECK_INT(music_drum_lookback_decode(&map, &config, 512, events, 3, &event), MUSIC_OK);
    CHECK(same_event(&event, DRUMS(35)));
}

static void test_music_vae(void)
{
    music_drum_map map;
    music_drum_map_default(&map); /* REDUCED_DRUM_PITCH_CLASSES = DEFAULT_DRUM_TYPE_PITCHES */

    /* DrumsConverter._to_tensors_fn keeps drum notes of known pitches, pitch := class. */
    music_seq seq;
    test_seq_init(&seq, 4, 4, 4);
    test_add(&seq, 9, 36, 100, 0, 0.25, true);     /* kick -> 0 */
    test_add(&seq, 9, 21, 100, 0, 0.25, true);     /* in no class: dropped */
    test_add(&seq, 0, 36, 100, 0, 0.25, false);    /* not a drum: dropped */
    test_add(&seq, 9, 22, 100, 0.5, 0.75, true);   /* closed hi-hat -> 2 */
    test_add(&seq, 9, 59, 100, 1.75, 2.0, true);   /* ride -> 8 */
    music_drums_vae_map_notes(&map, &seq);
    CHECK_INT(seq.notes.count, 3);
    if (seq.notes.count == 3) {
        CHECK_INT(seq.notes.items[0].pitch, 0);
        CHECK_INT(seq.notes.items[1].pitch, 2);
        CHECK_INT(seq.notes.items[2].pitch, 8);
    }
    /* Its extractor: extract_drum_tracks(min_bars=1, gap_bars=1.0, max_steps_truncate=16 * 100,
     * pad_end=True) for the 2-bar configs (max_bars=100). */
    music_drums_options options = music_drums_options_default();
    options.min_bars = 1;
    options.max_steps_truncate = 16 * 100;
    options.pad_end = true;
    music_drum_tracks tracks;
    char why[MUSIC_MESSAGE_SIZE];
    CHECK_INT(music_drums_extract(&seq, &options, &tracks, NULL, why), MUSIC_OK);
    CHECK_INT(tracks.count, 1);
    if (tracks.count == 1) {
        CHECK_INT(tracks.items[0].length, 16);
        CHECK(same_event(&tracks.items[0].events[0], DRUMS(0)));
        CHECK(same_event(&tracks.items[0].events[2], DRUMS(2)));
        CHECK(same_event(&tracks.items[0].events[7], DRUMS(8)));
    }
    music_drum_tracks_free(&tracks);
    music_seq_free(&seq);

    /* cat-drums_2bar_small/big: roll_input -> input depth 9 + 1 (NOR) = 10, one-hot output
     * 2^9 = 512 (MultiDrumOneHotEncoding over [(0,), .., (8,)], so the index is the class mask). */
    float v[512];
    CHECK_INT(music_drums_vae_onehot(&map, 0x101, v, 512), MUSIC_OK); /* kick + ride */
    for (int i = 0; i < 512; i++)
        CHECK(v[i] == (i == 257 ? 1.0f : 0.0f));
    CHECK_INT(music_drums_vae_onehot(&map, 0x101, v, 511), MUSIC_ERR_RANGE);
    CHECK_INT(music_drums_vae_onehot(&map, 512, v, 512), MUSIC_ERR_RANGE);
    /* The roll input: the pianoroll of the classes then np.all(roll == 0): 1 only for silence. */
    const float want_silence[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    const float want_kick_ride[10] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    CHECK_INT(music_drums_vae_roll_input(&map, 0, v, 10), MUSIC_OK);
    CHECK(vector_is(v, want_silence, 10));
    CHECK_INT(music_drums_vae_roll_input(&map, 0x101, v, 10), MUSIC_OK);
    CHECK(vector_is(v, want_kick_ride, 10));
    /* nade-drums_2bar_reduced: roll output, 9 wide (no NOR bit). */
    CHECK_INT(music_drums_vae_roll_output(&map, 0x101, v, 9), MUSIC_OK);
    CHECK(vector_is(v, want_kick_ride, 9));
    CHECK_INT(music_drums_vae_roll_output(&map, 0x200, v, 9), MUSIC_ERR_RANGE);
    for (int mask = 0; mask < 512; mask++) {
        music_drums_vae_roll_output(&map, (uint64_t)mask, v, 9);
        CHECK_INT(music_drums_vae_roll_classes(v, 9), mask);
        music_drums_vae_onehot(&map, (uint64_t)mask, v, 512);
        CHECK_INT(music_drums_vae_onehot_classes(v, 512), mask);
    }
    /* from_tensors: classes back to each class's first pitch (pitch_classes[c][0]). */
    const float roll[9] = {1, 0, 0, 0, 0, 0, 0, 0, 1};
    music_drum_event event;
    music_drum_classes_event(&map, music_drums_vae_roll_classes(roll, 9), &event);
    CHECK(same_event(&event, DRUMS(36, 51)));
    float logits[512] = {0};
    logits[5] = 0.7f;
    logits[9] = 0.7f; /* np.argmax takes the first maximum */
    music_drum_classes_event(&map, music_drums_vae_onehot_classes(logits, 512), &event);
    CHECK(same_event(&event, DRUMS(36, 42)));

    /* nade-drums_2bar_full: FULL_DRUM_PITCH_CLASSES, roll input 61 + 1 = 62, output 61. */
    music_drum_map full;
    music_drum_map_full(&full);
    float wide[62];
    CHECK_INT(music_drums_vae_roll_input(&full, (uint64_t)1 << 60, wide, 62), MUSIC_OK);
    CHECK(wide[60] == 1.0f && wide[61] == 0.0f && wide[0] == 0.0f);
    CHECK_INT(music_drums_vae_roll_output(&full, (uint64_t)1 << 60, wide, 61), MUSIC_OK);
    music_drum_classes_event(&full, music_drums_vae_roll_classes(wide, 61), &event);
    CHECK(same_event(&event, DRUMS(82)));
    music_drum_event hats = DRUMS(42, 44);
    CHECK_INT(music_drum_event_classes(&full, &hats), ((uint64_t)1 << 17) | ((uint64_t)1 << 18));
}

int main(void)
{
    test_sizes();
    test_drum_kit_by_hand();
    test_magenta_lookback_cases();
    test_repeats_compare_pitches();
    test_music_vae();
    return check_summary("drums encoders");
}
