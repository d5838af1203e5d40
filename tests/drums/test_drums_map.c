/* test_drums_map.c — the drum maps and MultiDrumOneHotEncoding against note_seq's lists.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#include "drums_test.h"

/* The class of every pitch under note_seq drums_encoder_decoder.DEFAULT_DRUM_TYPE_PITCHES, as
 * MultiDrumOneHotEncoding's _inverse_drum_map holds it (-1: in no list). No pitch is in two
 * lists, so first and last list agree. */
static const int want_class[128] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, /* 0..15 */
    -1, -1, -1, -1, -1, -1,  2, -1, -1, -1,  3,  1,  1,  4,  6,  1, /* 16..31 */
     1,  1,  1,  0,  0,  1,  1,  1,  1,  4,  2,  4,  2,  4,  3,  5, /* 32..47 */
     5,  7,  6,  8,  7,  8,  2,  7,  1,  7,  7,  8,  5,  4,  6,  5, /* 48..63 */
     4,  1,  1,  3,  2,  2,  2,  2,  3,  2,  3,  1,  6,  5,  2,  3, /* 64..79 */
     2,  3,  8,  6,  4,  1,  5,  5, -1, -1, -1, -1, -1, -1, -1, -1, /* 80..95 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, /* 96..111 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, /* 112..127 */
};

/* The first pitch of each DEFAULT_DRUM_TYPE_PITCHES list, what decode_event plays: kick 36,
 * snare 38, closed hi-hat 42, open hi-hat 46, low tom 45, mid tom 48, high tom 50, crash 49,
 * ride 51. */
static const int want_pitch[MUSIC_DRUM_CLASSES] = {36, 38, 42, 46, 45, 48, 50, 49, 51};

static void test_default_map(void)
{
    music_drum_map map;
    music_drum_map_default(&map);
    CHECK_INT(map.classes, 9);
    int known = 0;
    for (int p = 0; p < 128; p++) {
        CHECK_INT(map.class_of_pitch[p], want_class[p]);
        known += want_class[p] >= 0;
    }
    CHECK_INT(known, 63); /* 2 + 15 + 11 + 7 + 7 + 7 + 5 + 5 + 4 pitches in the lists */
    for (int c = 0; c < MUSIC_DRUM_CLASSES; c++)
        CHECK_INT(map.pitch_of_class[c], want_pitch[c]);
    CHECK_INT(map.class_of_pitch[36], MUSIC_DRUM_KICK);
    CHECK_INT(map.class_of_pitch[51], MUSIC_DRUM_RIDE);
}

static void test_onehot(void)
{
    music_drum_map map;
    music_drum_map_default(&map);
    music_drum_event event;

    /* drums_encoder_decoder_test.testEncode */
    event = NO_DRUMS;
    CHECK_INT(music_drum_onehot_encode(&map, &event), 0);
    event = DRUMS(35);
    int index1 = music_drum_onehot_encode(&map, &event);
    event = DRUMS(44);
    int index2 = music_drum_onehot_encode(&map, &event);
    CHECK_INT(__builtin_popcount((unsigned)index1), 1);
    CHECK_INT(__builtin_popcount((unsigned)index2), 1);
    CHECK(index1 != index2);
    event = DRUMS(40, 44);
    CHECK_INT(__builtin_popcount((unsigned)music_drum_onehot_encode(&map, &event)), 2);
    event = DRUMS(35, 51, 59);
    CHECK_INT(__builtin_popcount((unsigned)music_drum_onehot_encode(&map, &event)), 2);

    /* encode_event: sum(2 ** i) over the classes, so bit 0 is the kick and bit 8 the ride:
     * {35, 51, 59} = kick + ride = 1 + 256. Unknown pitches are ignored (ignore_unknown_drums). */
    CHECK_INT(music_drum_onehot_encode(&map, &event), 257);
    event = DRUMS(0, 21, 88, 127);
    CHECK_INT(music_drum_onehot_encode(&map, &event), 0);

    /* Every single pitch. */
    for (int p = 0; p < 128; p++) {
        event = NO_DRUMS;
        music_drum_event_add(&event, p);
        CHECK_INT(music_drum_onehot_encode(&map, &event), want_class[p] < 0 ? 0 : 1 << want_class[p]);
    }

    /* drums_encoder_decoder_test.testDecode */
    CHECK_INT(music_drum_onehot_decode(&map, 0, &event), MUSIC_OK);
    CHECK(music_drum_event_is_empty(&event));
    music_drum_event event1, event2;
    CHECK_INT(music_drum_onehot_decode(&map, 1, &event1), MUSIC_OK);
    CHECK_INT(music_drum_onehot_decode(&map, 1 << (9 / 2), &event2), MUSIC_OK);
    CHECK_INT(music_drum_event_count(&event1), 1);
    CHECK_INT(music_drum_event_count(&event2), 1);
    CHECK(!music_drum_event_equal(&event1, &event2));
    CHECK_INT(music_drum_onehot_decode(&map, 7, &event), MUSIC_OK);
    CHECK_INT(music_drum_event_count(&event), 3);
    CHECK(same_event(&event, DRUMS(36, 38, 42)));

    /* All 512 classes: decode_event reads the bits of the index from the lowest ("reversed(
     * bin(index))") and plays each set class's first pitch; encoding that gives the index back. */
    for (int index = 0; index < MUSIC_DRUM_ONEHOT_SIZE; index++) {
        CHECK_INT(music_drum_onehot_decode(&map, index, &event), MUSIC_OK);
        music_drum_event want = NO_DRUMS;
        for (int c = 0; c < 9; c++)
            if (index & (1 << c))
                music_drum_event_add(&want, want_pitch[c]);
        CHECK(music_drum_event_equal(&event, &want));
        CHECK_INT(music_drum_event_count(&event), __builtin_popcount((unsigned)index));
        CHECK_INT(music_drum_onehot_encode(&map, &event), index);
    }
    CHECK_INT(music_drum_onehot_decode(&map, 512, &event), MUSIC_ERR_RANGE);
    CHECK_INT(music_drum_onehot_decode(&map, -1, &event), MUSIC_ERR_RANGE);
}

static void test_other_maps(void)
{
    music_drum_map map;
    music_drum_event event;
    char why[MUSIC_MESSAGE_SIZE];

    /* drums_rnn_model.py 'one_drum': one class of all pitches, decoded as 39; 2 classes. */
    music_drum_map_one_drum(&map);
    CHECK_INT(map.classes, 1);
    for (int p = 0; p < 128; p++)
        CHECK_INT(map.class_of_pitch[p], 0);
    event = DRUMS(36, 42);
    CHECK_INT(music_drum_onehot_encode(&map, &event), 1);
    CHECK_INT(music_drum_onehot_decode(&map, 1, &event), MUSIC_OK);
    CHECK(same_event(&event, DRUMS(39)));
    CHECK_INT(music_drum_onehot_decode(&map, 2, &event), MUSIC_ERR_RANGE);

    /* music_vae/data.py FULL_DRUM_PITCH_CLASSES: 61 one-pitch classes in its own order (43 sits
     * among the high toms there); 22 and 26 are not in it. */
    music_drum_map_full(&map);
    CHECK_INT(map.classes, 61);
    CHECK_INT(map.class_of_pitch[36], 0);
    CHECK_INT(map.class_of_pitch[35], 1);
    CHECK_INT(map.class_of_pitch[43], 48);
    CHECK_INT(map.class_of_pitch[82], 60);
    CHECK_INT(map.class_of_pitch[22], -1);
    CHECK_INT(map.class_of_pitch[26], -1);
    int known = 0;
    for (int p = 0; p < 128; p++)
        if (map.class_of_pitch[p] >= 0) {
            known++;
            CHECK_INT(map.pitch_of_class[map.class_of_pitch[p]], p);
            CHECK_INT(want_class[p] >= 0, 1); /* every full class is a default drum */
        }
    CHECK_INT(known, 61);
    CHECK_INT(music_drum_onehot_encode(&map, &event), -1); /* 2^61 classes: no one-hot */

    /* MultiDrumOneHotEncoding(drum_type_pitches): the inverse map is a dict comprehension, so a
     * pitch in two lists belongs to the later one; the first pitch of each list decodes. */
    const uint8_t a[] = {36, 40}, b[] = {38, 40, 36};
    const uint8_t *lists[] = {a, b};
    const int lengths[] = {2, 3};
    CHECK_INT(music_drum_map_from_lists(&map, lists, lengths, 2, why), MUSIC_OK);
    CHECK_INT(map.class_of_pitch[36], 1);
    CHECK_INT(map.class_of_pitch[40], 1);
    CHECK_INT(map.class_of_pitch[38], 1);
    CHECK_INT(map.pitch_of_class[0], 36);
    CHECK_INT(map.pitch_of_class[1], 38);
    const uint8_t bad[] = {200};
    const uint8_t *bad_lists[] = {bad};
    const int one[] = {1};
    CHECK_INT(music_drum_map_from_lists(&map, bad_lists, one, 1, why), MUSIC_ERR_RANGE);
    CHECK(strstr(why, "200") != NULL);
}

static void test_remap(void)
{
    /* The plugins' remap: the 9 notes a kit plays. Decoding uses them; input keeps Magenta's map
     * unless also_input. */
    music_drum_map map;
    music_drum_map_default(&map);
    const uint8_t kit[9] = {24, 26, 30, 32, 41, 43, 45, 49, 51};
    CHECK_INT(music_drum_map_remap(&map, kit, 8, false), MUSIC_ERR_ARGUMENT);
    CHECK_INT(music_drum_map_remap(&map, kit, 9, false), MUSIC_OK);
    music_drum_event event;
    CHECK_INT(music_drum_onehot_decode(&map, 3, &event), MUSIC_OK);
    CHECK(same_event(&event, DRUMS(24, 26)));
    CHECK_INT(map.class_of_pitch[24], -1);
    CHECK_INT(map.class_of_pitch[26], MUSIC_DRUM_OPEN_HIHAT); /* Magenta's class kept */
    CHECK_INT(music_drum_map_remap(&map, kit, 9, true), MUSIC_OK);
    CHECK_INT(map.class_of_pitch[24], MUSIC_DRUM_KICK);
    CHECK_INT(map.class_of_pitch[26], MUSIC_DRUM_SNARE);
    CHECK_INT(map.class_of_pitch[35], MUSIC_DRUM_KICK); /* the rest untouched */
    event = DRUMS(24, 26, 30);
    CHECK_INT(music_drum_onehot_encode(&map, &event), 7);
    const uint8_t off[9] = {24, 26, 30, 32, 41, 43, 45, 49, 128};
    CHECK_INT(music_drum_map_remap(&map, off, 9, false), MUSIC_ERR_RANGE);
}

int main(void)
{
    test_default_map();
    test_onehot();
    test_other_maps();
    test_remap();
    return check_summary("drums map");
}
