/* test_drums_extract.c — drum track extraction against Magenta's own test cases.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#include "drums_test.h"

#include <math.h>

#define CAPACITY 256
static music_drum_event buffer[CAPACITY];

static music_drum_track empty_track(void)
{
    music_drum_track track = {.events = buffer, .capacity = CAPACITY};
    return track;
}

static music_drums_options from_seq_options(int32_t search_start_step)
{
    music_drums_options options = music_drums_options_default();
    options.search_start_step = search_start_step;
    return options;
}

/* The notes of note_seq drums_lib_test.testFromQuantizedNoteSequence (track 0, drums). */
static void add_from_quantized_notes(music_seq *seq)
{
    test_add(seq, 0, 12, 100, 0.0, 10.0, true);
    test_add(seq, 0, 11, 55, 0.25, 0.50, true);
    test_add(seq, 0, 40, 45, 2.50, 3.50, true);
    test_add(seq, 0, 55, 120, 4.0, 4.25, true);
    test_add(seq, 0, 60, 100, 4.0, 5.5, true);
    test_add(seq, 0, 52, 99, 4.75, 5.0, true);
}

static void test_from_quantized_sequence(void)
{
    /* drums_lib_test.testFromQuantizedNoteSequence */
    music_seq seq;
    test_seq_init(&seq, 4, 4, 4);
    add_from_quantized_notes(&seq);
    music_drum_track track = empty_track();
    music_drums_options options = from_seq_options(0);
    char why[MUSIC_MESSAGE_SIZE];
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &track, why), MUSIC_OK);
    const music_drum_event want[] = {
        DRUMS(12), DRUMS(11), NO_DRUMS, NO_DRUMS, NO_DRUMS, NO_DRUMS, NO_DRUMS, NO_DRUMS, NO_DRUMS,
        NO_DRUMS, DRUMS(40), NO_DRUMS, NO_DRUMS, NO_DRUMS, NO_DRUMS, NO_DRUMS, DRUMS(55, 60),
        NO_DRUMS, NO_DRUMS, DRUMS(52)};
    CHECK(track_equals(&track, want, 20));
    CHECK_INT(track.steps_per_bar, 16);
    CHECK_INT(track.steps_per_quarter, 4);
    CHECK_INT(track.start_step, 0);
    CHECK_INT(track.end_step, 20);

    /* drums_lib_test.testFromQuantizedNoteSequenceMultipleTracks: the drums split over two
     * instruments, a third pitched instrument ignored; the same track results. */
    music_seq_free(&seq);
    test_seq_init(&seq, 4, 4, 4);
    test_add(&seq, 0, 12, 100, 0, 10, true);
    test_add(&seq, 0, 40, 45, 2.5, 3.5, true);
    test_add(&seq, 0, 60, 100, 4, 5.5, true);
    test_add(&seq, 1, 11, 55, .25, .5, true);
    test_add(&seq, 1, 55, 120, 4, 4.25, true);
    test_add(&seq, 1, 52, 99, 4.75, 5, true);
    test_add(&seq, 2, 13, 100, 0, 10, false);
    test_add(&seq, 2, 14, 45, 2.5, 3.5, false);
    test_add(&seq, 2, 15, 100, 4, 5.5, false);
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &track, why), MUSIC_OK);
    CHECK(track_equals(&track, want, 20));
    CHECK_INT(track.steps_per_bar, 16);

    /* ignore_is_drum (DrumTrack.from_quantized_sequence): the pitched notes join in. */
    options.ignore_is_drum = true;
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &track, why), MUSIC_OK);
    CHECK(same_event(&track.events[0], DRUMS(12, 13)));
    CHECK(same_event(&track.events[10], DRUMS(14, 40)));
    CHECK(same_event(&track.events[16], DRUMS(15, 55, 60)));
    CHECK_INT(track.length, 20);
    music_seq_free(&seq);
}

static void test_time_signatures(void)
{
    /* drums_lib_test.testFromQuantizedNoteSequenceNotCommonTimeSig: 7/8 gives 14 steps a bar. */
    music_seq seq;
    test_seq_init(&seq, 4, 7, 8);
    test_add(&seq, 0, 12, 100, 0, 10, true);
    test_add(&seq, 0, 11, 55, .25, .5, true);
    test_add(&seq, 0, 40, 45, 2.5, 3.5, true);
    test_add(&seq, 0, 30, 80, 2.5, 2.75, true);
    test_add(&seq, 0, 55, 120, 4, 4.25, true);
    test_add(&seq, 0, 52, 99, 4.75, 5, true);
    music_drum_track track = empty_track();
    music_drums_options options = from_seq_options(0);
    char why[MUSIC_MESSAGE_SIZE];
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &track, why), MUSIC_OK);
    const music_drum_event want[] = {
        DRUMS(12), DRUMS(11), NO_DRUMS, NO_DRUMS, NO_DRUMS, NO_DRUMS, NO_DRUMS, NO_DRUMS, NO_DRUMS,
        NO_DRUMS, DRUMS(30, 40), NO_DRUMS, NO_DRUMS, NO_DRUMS, NO_DRUMS, NO_DRUMS, DRUMS(55),
        NO_DRUMS, NO_DRUMS, DRUMS(52)};
    CHECK(track_equals(&track, want, 20));
    CHECK_INT(track.steps_per_bar, 14);
    music_seq_free(&seq);

    /* drums_lib_test.testFromNotesStepsPerBar: 7/8 at 12 steps per quarter is 42 steps a bar,
     * and with no notes the track is empty. */
    test_seq_init(&seq, 12, 7, 8);
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &track, why), MUSIC_OK);
    CHECK_INT(track.steps_per_bar, 42);
    CHECK_INT(track.length, 0);
    CHECK_INT(track.start_step, 0);
    CHECK_INT(track.end_step, 0);
    music_seq_free(&seq);

    /* sequences_lib.steps_per_bar_in_quantized_sequence: 3/16 at 1 step per quarter is 0.75
     * steps a bar, which DrumTrack refuses (NonIntegerStepsPerBarError). */
    test_seq_init(&seq, 1, 3, 16);
    test_add(&seq, 0, 36, 100, 0, 1, true);
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &track, why), MUSIC_ERR_ARGUMENT);
    music_drum_tracks tracks;
    CHECK_INT(music_drums_extract(&seq, &options, &tracks, NULL, why), MUSIC_ERR_ARGUMENT);
    music_seq_free(&seq);

    /* quantize_note_sequence inserts 4/4 when a sequence has no time signature. */
    music_seq_init(&seq);
    seq.steps_per_quarter = 4;
    int steps_per_bar = 0;
    CHECK_INT(music_drums_steps_per_bar(&seq, &steps_per_bar, why), MUSIC_OK);
    CHECK_INT(steps_per_bar, 16);
    seq.steps_per_quarter = 0; /* not quantized */
    CHECK_INT(music_drums_steps_per_bar(&seq, &steps_per_bar, why), MUSIC_ERR_ARGUMENT);
    music_seq_free(&seq);
}

static void test_start_and_trim(void)
{
    /* drums_lib_test.testFromNotesTrimEmptyMeasures: the track starts at the bar of its first
     * note, not at the note. */
    music_seq seq;
    test_seq_init(&seq, 4, 4, 4);
    test_add(&seq, 0, 12, 100, 1.5, 1.75, true);
    test_add(&seq, 0, 11, 100, 2, 2.25, true);
    music_drum_track track = empty_track();
    music_drums_options options = from_seq_options(0);
    char why[MUSIC_MESSAGE_SIZE];
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &track, why), MUSIC_OK);
    const music_drum_event want_trim[] = {NO_DRUMS, NO_DRUMS, NO_DRUMS, NO_DRUMS, NO_DRUMS,
                                          NO_DRUMS, DRUMS(12), NO_DRUMS, DRUMS(11)};
    CHECK(track_equals(&track, want_trim, 9));
    CHECK_INT(track.steps_per_bar, 16);
    music_seq_free(&seq);

    /* drums_lib_test.testFromNotesStartAndEndStep: searching from step 18 finds steps 35 and
     * 37; the track starts at 35 - (35 - 18) % 16 = 34 and ends at 38. */
    test_seq_init(&seq, 4, 4, 4);
    test_add(&seq, 0, 12, 100, 1, 2, true);
    test_add(&seq, 0, 11, 100, 2.25, 2.5, true);
    test_add(&seq, 0, 13, 100, 3.25, 3.75, true);
    test_add(&seq, 0, 14, 100, 8.75, 9, true);
    test_add(&seq, 0, 15, 100, 9.25, 10.75, true);
    options = from_seq_options(18);
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &track, why), MUSIC_OK);
    const music_drum_event want_start[] = {NO_DRUMS, DRUMS(14), NO_DRUMS, DRUMS(15)};
    CHECK(track_equals(&track, want_start, 4));
    CHECK_INT(track.start_step, 34);
    CHECK_INT(track.end_step, 38);

    /* DrumTrack.from_quantized_sequence: pad_end rounds the length up to whole bars. */
    options.pad_end = true;
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &track, why), MUSIC_OK);
    CHECK_INT(track.length, 16);
    CHECK_INT(track.end_step, 50);
    CHECK(music_drum_event_is_empty(&track.events[15]));
    music_seq_free(&seq);
}

static void test_velocity_gap_and_capacity(void)
{
    char why[MUSIC_MESSAGE_SIZE];
    music_seq seq;
    test_seq_init(&seq, 4, 4, 4);
    /* DrumTrack.from_quantized_sequence drops zero-velocity notes ("and note.velocity"). */
    test_add(&seq, 0, 36, 0, 0, 0.25, true);
    test_add(&seq, 0, 38, 90, 1, 1.25, true);   /* step 4 */
    test_add(&seq, 0, 42, 90, 3, 3.25, true);   /* step 12: a gap of 7 steps after step 4 */
    test_add(&seq, 0, 46, 90, 9, 9.25, true);   /* step 36: a gap of 23 steps after step 12 */
    music_drum_track track = empty_track();
    music_drums_options options = from_seq_options(0);
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &track, why), MUSIC_OK);
    CHECK_INT(track.length, 13);
    CHECK(music_drum_event_is_empty(&track.events[0]));
    CHECK(same_event(&track.events[4], DRUMS(38)));
    CHECK(same_event(&track.events[12], DRUMS(42)));

    /* "note_distance >= gap_bars * steps_per_bar" with gap_bars a float: 0.25 bar = 4 steps, so
     * the 7-step silence after step 4 ends the track. */
    options.gap_bars = 0.25;
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &track, why), MUSIC_OK);
    CHECK_INT(track.length, 5);
    /* An infinite gap (DrumsConverter's gap_bars=None) never ends it. */
    options.gap_bars = INFINITY;
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &track, why), MUSIC_OK);
    CHECK_INT(track.length, 37);
    CHECK(same_event(&track.events[36], DRUMS(46)));

    /* A caller's buffer too small for the track is MUSIC_ERR_FULL... */
    music_drum_event small[20];
    music_drum_track short_track = {.events = small, .capacity = 20};
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &short_track, why), MUSIC_ERR_FULL);
    CHECK(strstr(why, "does not fit") != NULL);
    /* ...but not when the notes beyond it come after the gap that ends the track. */
    options.gap_bars = 1.0;
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &short_track, why), MUSIC_OK);
    CHECK_INT(short_track.length, 13);
    /* Exactly the track's length fits; padding to the bar does not. */
    short_track.capacity = 13;
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &short_track, why), MUSIC_OK);
    options.pad_end = true;
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &short_track, why), MUSIC_ERR_FULL);
    short_track.capacity = 16;
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &short_track, why), MUSIC_OK);
    CHECK_INT(short_track.length, 16);
    music_seq_free(&seq);

    /* The gap test is "note_distance >= gap_bars * steps_per_bar", note_distance counted from
     * the step after the last hit: hits at 0 and 16 are 15 apart (one track of 17 steps), hits
     * at 0 and 17 exactly 16 apart (the track ends after step 0). */
    test_seq_init(&seq, 4, 4, 4);
    test_add(&seq, 0, 36, 90, 0, 0.25, true);
    test_add(&seq, 0, 38, 90, 4, 4.25, true);   /* step 16 */
    options = from_seq_options(0);
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &track, why), MUSIC_OK);
    CHECK_INT(track.length, 17);
    seq.notes.items[1].start_step = 17;
    CHECK_INT(music_drum_track_from_seq(&seq, &options, &track, why), MUSIC_OK);
    CHECK_INT(track.length, 1);
    music_seq_free(&seq);
}

/* The drum_pipelines_test sequences: 4/4 at 60 qpm quantized at 1 step per quarter. */
static bool extracted(const music_drum_tracks *tracks, int index, const music_drum_event *want, int length)
{
    return index < tracks->count && track_equals(&tracks->items[index], want, length);
}

static void test_pipelines(void)
{
    char why[MUSIC_MESSAGE_SIZE];
    music_seq seq;
    music_drum_tracks tracks;
    music_drums_stats stats;
    music_drums_options options = music_drums_options_default();

    /* drum_pipelines_test.testDrumsExtractor: DrumsExtractor(min_bars=1, gap_bars=1) truncates
     * at max_steps=512; velocity-1 notes count; pitched notes do not. */
    test_seq_init(&seq, 1, 4, 4);
    test_add(&seq, 0, 12, 100, 2, 4, true);
    test_add(&seq, 0, 11, 1, 6, 7, true);
    test_add(&seq, 0, 12, 1, 6, 8, true);
    test_add(&seq, 1, 12, 127, 2, 4, false);
    test_add(&seq, 1, 14, 50, 6, 8, false);
    options.min_bars = 1;
    options.gap_bars = 1;
    options.max_steps_truncate = 512;
    CHECK_INT(music_drums_extract(&seq, &options, &tracks, &stats, why), MUSIC_OK);
    const music_drum_event want_extractor[] = {NO_DRUMS, NO_DRUMS, DRUMS(12), NO_DRUMS,
                                               NO_DRUMS, NO_DRUMS, DRUMS(11, 12)};
    CHECK_INT(tracks.count, 1);
    CHECK(extracted(&tracks, 0, want_extractor, 7));
    CHECK_INT(tracks.items[0].steps_per_quarter, 1);
    CHECK_INT(tracks.items[0].steps_per_bar, 4);
    music_drum_tracks_free(&tracks);
    music_seq_free(&seq);

    /* drum_pipelines_test.testExtractDrumTracksSimple: two drum instruments merge. */
    test_seq_init(&seq, 1, 4, 4);
    test_add(&seq, 0, 12, 100, 2, 4, true);
    test_add(&seq, 0, 11, 1, 6, 7, true);
    test_add(&seq, 1, 12, 127, 2, 4, true);
    test_add(&seq, 1, 14, 50, 6, 9, true);
    options = music_drums_options_default();
    options.min_bars = 1;
    options.gap_bars = 1;
    CHECK_INT(music_drums_extract(&seq, &options, &tracks, &stats, why), MUSIC_OK);
    const music_drum_event want_simple[] = {NO_DRUMS, NO_DRUMS, DRUMS(12), NO_DRUMS,
                                            NO_DRUMS, NO_DRUMS, DRUMS(11, 14)};
    CHECK_INT(tracks.count, 1);
    CHECK(extracted(&tracks, 0, want_simple, 7));
    music_drum_tracks_free(&tracks);
    music_seq_free(&seq);

    /* drum_pipelines_test.testExtractMultipleDrumTracks (gap_bars=2): the second search starts
     * at 7 + (0 - 7) % 4 = 8, the second track at 33 - (33 - 8) % 4 = 32. */
    test_seq_init(&seq, 1, 4, 4);
    test_add(&seq, 0, 12, 100, 2, 4, true);
    test_add(&seq, 0, 11, 1, 6, 11, true);
    test_add(&seq, 1, 12, 127, 2, 4, true);
    test_add(&seq, 1, 14, 50, 6, 8, true);
    test_add(&seq, 1, 50, 100, 33, 37, true);
    test_add(&seq, 1, 52, 100, 37, 38, true);
    options.gap_bars = 2;
    CHECK_INT(music_drums_extract(&seq, &options, &tracks, &stats, why), MUSIC_OK);
    const music_drum_event want_second[] = {NO_DRUMS, DRUMS(50), NO_DRUMS, NO_DRUMS, NO_DRUMS,
                                            DRUMS(52)};
    CHECK_INT(tracks.count, 2);
    CHECK(extracted(&tracks, 0, want_simple, 7));
    CHECK(extracted(&tracks, 1, want_second, 6));
    if (tracks.count == 2) {
        CHECK_INT(tracks.items[1].start_step, 32);
        CHECK_INT(tracks.items[1].end_step, 38);
    }
    /* The 'drum_track_lengths_in_bars' histogram for min_bars=1: lower bounds -inf then the
     * sorted set {0, 1, 10, 20, 30, 40, 50, 100, 200, 500, 1 // 2, 1, 2, 0}; both tracks are
     * 7 // 4 = 6 // 4 = 1 bar long, in [1, 2). */
    const double want_lower[] = {-INFINITY, 0, 1, 2, 10, 20, 30, 40, 50, 100, 200, 500};
    CHECK_INT(stats.histogram_buckets, 12);
    for (int i = 0; i < 12 && i < stats.histogram_buckets; i++) {
        CHECK(stats.histogram_lower[i] == want_lower[i]);
        CHECK_INT(stats.histogram_count[i], i == 2 ? 2 : 0);
    }
    CHECK_INT(stats.discarded_too_short + stats.discarded_too_long + stats.truncated, 0);
    music_drum_tracks_free(&tracks);
    music_seq_free(&seq);

    /* drum_pipelines_test.testExtractDrumTracksTooShort: min_bars=2 needs 8 steps. */
    test_seq_init(&seq, 1, 4, 4);
    test_add(&seq, 0, 12, 127, 3, 4, true);
    test_add(&seq, 0, 14, 50, 6, 7, true);
    options.gap_bars = 1;
    options.min_bars = 2;
    CHECK_INT(music_drums_extract(&seq, &options, &tracks, &stats, why), MUSIC_OK);
    CHECK_INT(tracks.count, 0);
    CHECK_INT(stats.discarded_too_short, 1);
    music_drum_tracks_free(&tracks);
    music_seq_free(&seq);
    test_seq_init(&seq, 1, 4, 4);
    test_add(&seq, 0, 12, 127, 3, 4, true);
    test_add(&seq, 0, 14, 50, 7, 8, true);
    CHECK_INT(music_drums_extract(&seq, &options, &tracks, &stats, why), MUSIC_OK);
    const music_drum_event want_long_enough[] = {NO_DRUMS, NO_DRUMS, NO_DRUMS, DRUMS(12),
                                                 NO_DRUMS, NO_DRUMS, NO_DRUMS, DRUMS(14)};
    CHECK_INT(tracks.count, 1);
    CHECK(extracted(&tracks, 0, want_long_enough, 8));
    CHECK_INT(stats.discarded_too_short, 0);
    music_drum_tracks_free(&tracks);
    music_seq_free(&seq);

    /* drum_pipelines_test.testExtractDrumTracksPadEnd */
    test_seq_init(&seq, 1, 4, 4);
    test_add(&seq, 0, 12, 127, 2, 4, true);
    test_add(&seq, 0, 14, 50, 6, 7, true);
    test_add(&seq, 1, 12, 127, 2, 4, true);
    test_add(&seq, 1, 15, 50, 6, 8, true);
    test_add(&seq, 2, 12, 127, 2, 4, true);
    test_add(&seq, 2, 16, 50, 8, 9, true);
    options.min_bars = 1;
    options.pad_end = true;
    CHECK_INT(music_drums_extract(&seq, &options, &tracks, &stats, why), MUSIC_OK);
    const music_drum_event want_pad[] = {NO_DRUMS, NO_DRUMS, DRUMS(12), NO_DRUMS, NO_DRUMS,
                                         NO_DRUMS, DRUMS(14, 15), NO_DRUMS, DRUMS(16), NO_DRUMS,
                                         NO_DRUMS, NO_DRUMS};
    CHECK_INT(tracks.count, 1);
    CHECK(extracted(&tracks, 0, want_pad, 12));
    music_drum_tracks_free(&tracks);
    music_seq_free(&seq);

    /* drum_pipelines_test.testExtractDrumTracksTooLongTruncate: 15 steps cut to 14. */
    test_seq_init(&seq, 1, 4, 4);
    test_add(&seq, 0, 12, 127, 2, 4, true);
    test_add(&seq, 0, 14, 50, 6, 15, true);
    test_add(&seq, 0, 14, 50, 10, 15, true);
    test_add(&seq, 0, 16, 100, 14, 19, true);
    options = music_drums_options_default();
    options.min_bars = 1;
    options.gap_bars = 1;
    options.max_steps_truncate = 14;
    CHECK_INT(music_drums_extract(&seq, &options, &tracks, &stats, why), MUSIC_OK);
    const music_drum_event want_truncated[] = {NO_DRUMS, NO_DRUMS, DRUMS(12), NO_DRUMS, NO_DRUMS,
                                               NO_DRUMS, DRUMS(14), NO_DRUMS, NO_DRUMS, NO_DRUMS,
                                               DRUMS(14), NO_DRUMS, NO_DRUMS, NO_DRUMS};
    CHECK_INT(tracks.count, 1);
    CHECK(extracted(&tracks, 0, want_truncated, 14));
    CHECK_INT(stats.truncated, 1);
    if (tracks.count == 1)
        CHECK_INT(tracks.items[0].end_step, 14);
    music_drum_tracks_free(&tracks);
    /* extract_drum_tracks with pad_end: the cut is at the last bar below the limit,
     * 14 - 14 % 4 = 12 steps. */
    options.pad_end = true;
    CHECK_INT(music_drums_extract(&seq, &options, &tracks, &stats, why), MUSIC_OK);
    CHECK_INT(tracks.count, 1);
    if (tracks.count == 1)
        CHECK_INT(tracks.items[0].length, 12);
    music_drum_tracks_free(&tracks);
    music_seq_free(&seq);

    /* drum_pipelines_test.testExtractDrumTracksTooLongDiscard: 19 steps > 18. */
    test_seq_init(&seq, 1, 4, 4);
    test_add(&seq, 0, 12, 127, 2, 4, true);
    test_add(&seq, 0, 14, 50, 6, 15, true);
    test_add(&seq, 0, 14, 50, 10, 15, true);
    test_add(&seq, 0, 16, 100, 14, 19, true);
    test_add(&seq, 0, 14, 100, 18, 19, true);
    options = music_drums_options_default();
    options.min_bars = 1;
    options.gap_bars = 1;
    options.max_steps_discard = 18;
    CHECK_INT(music_drums_extract(&seq, &options, &tracks, &stats, why), MUSIC_OK);
    CHECK_INT(tracks.count, 0);
    CHECK_INT(stats.discarded_too_long, 1);
    music_drum_tracks_free(&tracks);
    music_seq_free(&seq);

    /* drum_pipelines_test.testExtractDrumTracksLateStart: the track starts at bar 25, step 100. */
    test_seq_init(&seq, 1, 4, 4);
    test_add(&seq, 0, 12, 100, 102, 103, true);
    test_add(&seq, 0, 13, 100, 104, 106, true);
    options.max_steps_discard = 0;
    CHECK_INT(music_drums_extract(&seq, &options, &tracks, &stats, why), MUSIC_OK);
    const music_drum_event want_late[] = {NO_DRUMS, NO_DRUMS, DRUMS(12), NO_DRUMS, DRUMS(13)};
    CHECK_INT(tracks.count, 1);
    CHECK(extracted(&tracks, 0, want_late, 5));
    if (tracks.count == 1)
        CHECK_INT(tracks.items[0].start_step, 100);
    music_drum_tracks_free(&tracks);
    music_seq_free(&seq);
}

static void test_long_track_grows(void)
{
    /* extract_drum_tracks has no length bound but its options: a 2000-step track (a hit every
     * bar at 1 step per quarter) comes out whole, past the extractor's first buffer. Its length
     * 1997 // 4 = 499 bars counts in the [200, 500) bucket with Magenta's default min_bars 7. */
    char why[MUSIC_MESSAGE_SIZE];
    music_seq seq;
    test_seq_init(&seq, 1, 4, 4);
    for (int bar = 0; bar < 500; bar++)
        test_add(&seq, 0, 36, 100, bar * 4, bar * 4 + 1, true);
    music_drums_options options = music_drums_options_default();
    music_drum_tracks tracks;
    music_drums_stats stats;
    CHECK_INT(music_drums_extract(&seq, &options, &tracks, &stats, why), MUSIC_OK);
    CHECK_INT(tracks.count, 1);
    if (tracks.count == 1) {
        CHECK_INT(tracks.items[0].length, 1997);
        CHECK(same_event(&tracks.items[0].events[1996], DRUMS(36)));
    }
    int bucket_200 = -1;
    for (int i = 0; i < stats.histogram_buckets; i++)
        if (stats.histogram_lower[i] == 200)
            bucket_200 = i;
    CHECK(bucket_200 > 0);
    if (bucket_200 > 0)
        CHECK_INT(stats.histogram_count[bucket_200], 1);
    music_drum_tracks_free(&tracks);
    music_seq_free(&seq);
}

int main(void)
{
    test_from_quantized_sequence();
    test_time_signatures();
    test_start_and_trim();
    test_velocity_gap_and_capacity();
    test_pipelines();
    test_long_track_grows();
    return check_summary("drums extract");
}
