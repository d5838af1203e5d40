/* drums.c — drum tracks: extraction, drum maps, Drums RNN's and MusicVAE's drum encodings.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */

#include "music_private.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



static int64_t floor_div(int64_t a, int64_t b)
{
    return (a - music_floor_mod(a, b)) / b;
}

/* ---- Events ---------------------------------------------------------------------------------- */

void music_drum_event_clear(music_drum_event *event)
{
    event->bits[0] = event->bits[1] = 0;
}

void music_drum_event_add(music_drum_event *event, int pitch)
{
    if (pitch >= 0 && pitch < 128)
        event->bits[pitch >> 6] |= UINT64_C(1) << (pitch & 63);
}

bool music_drum_event_has(const music_drum_event *event, int pitch)
{
    return pitch >= 0 && pitch < 128 && ((event->bits[pitch >> 6] >> (pitch & 63)) & 1u);
}

bool music_drum_event_is_empty(const music_drum_event *event)
{
    return (event->bits[0] | event->bits[1]) == 0;
}

bool music_drum_event_equal(const music_drum_event *a, const music_drum_event *b)
{
    return a->bits[0] == b->bits[0] && a->bits[1] == b->bits[1];
}

int music_drum_event_count(const music_drum_event *event)
{
    return __builtin_popcountll(event->bits[0]) + __builtin_popcountll(event->bits[1]);
}

/* ---- Extraction ------------------------------------------------------------------------------ */

music_drums_options music_drums_options_default(void)
{
    /* extract_drum_tracks' keyword defaults (magenta/pipelines/drum_pipelines.py). */
    music_drums_options options = {
        .search_start_step = 0,
        .gap_bars = 1.0,
        .pad_end = false,
        .ignore_is_drum = false,
        .min_bars = 7,
        .max_steps_truncate = 0,
        .max_steps_discard = 0,
    };
    return options;
}

music_status music_drums_steps_per_bar(const music_seq *seq, int *steps_per_bar, char *message)
{
    if (!seq || !steps_per_bar) {
        music_message(message, "drums: steps per bar: NULL argument");
        return MUSIC_ERR_ARGUMENT;
    }
    if (seq->steps_per_quarter <= 0) {
        music_message(message, "drums: the sequence is not quantized relative to the tempo (steps_per_quarter %d)",
            seq->steps_per_quarter);
        return MUSIC_ERR_ARGUMENT;
    }
    /* quantize_note_sequence inserts 4/4 when there is none, so a missing one means 4/4. */
    int numerator = 4, denominator = 4;
    if (seq->time_signatures.count > 0) {
        numerator = seq->time_signatures.items[0].numerator;
        denominator = seq->time_signatures.items[0].denominator;
    }
    if (numerator <= 0 || denominator <= 0) {
        music_message(message, "drums: bad time signature %d/%d", numerator, denominator);
        return MUSIC_ERR_ARGUMENT;
    }
    /* steps_per_quarter * (4 / denominator) * numerator must be whole. */
    int64_t scaled = (int64_t)seq->steps_per_quarter * 4 * numerator;
    if (scaled % denominator != 0 || scaled / denominator > INT_MAX) {
        music_message(message, "drums: %d steps per quarter in %d/%d is not a whole number of steps per bar",
            seq->steps_per_quarter, numerator, denominator);
        return MUSIC_ERR_ARGUMENT;
    }
    *steps_per_bar = (int)(scaled / denominator);
    return MUSIC_OK;
}

static bool note_is_eligible(const music_note *note, const music_drums_options *options)
{
    return (note->is_drum || options->ignore_is_drum) && note->velocity != 0 &&
           note->start_step >= options->search_start_step;
}

music_status music_drum_track_from_seq(const music_seq *seq, const music_drums_options *options,
                                       music_drum_track *track, char *message)
{
    if (!seq || !options || !track || (!track->events && track->capacity > 0) || track->capacity < 0) {
        music_message(message, "drums: from_seq: NULL or inconsistent argument");
        return MUSIC_ERR_ARGUMENT;
    }
    if (!(options->gap_bars >= 0)) {
        music_message(message, "drums: gap_bars %g is negative or NaN", options->gap_bars);
        return MUSIC_ERR_ARGUMENT;
    }
    int steps_per_bar;
    music_status status = music_drums_steps_per_bar(seq, &steps_per_bar, message);
    if (status != MUSIC_OK)
        return status;

    track->length = 0;
    track->start_step = track->end_step = 0;
    track->steps_per_bar = steps_per_bar;
    track->steps_per_quarter = seq->steps_per_quarter;

    /* The first start step decides the track's bar; pitches are checked on the way. */
    int32_t first = INT32_MAX;
    for (int i = 0; i < seq->notes.count; i++) {
        const music_note *note = &seq->notes.items[i];
        if (!note_is_eligible(note, options))
            continue;
        if (note->pitch > 127) {
            music_message(message, "drums: note %d has pitch %d, outside 0..127", i, note->pitch);
            return MUSIC_ERR_RANGE;
        }
        if (note->start_step < first)
            first = note->start_step;
    }
    if (first == INT32_MAX)
        return MUSIC_OK;
    int64_t track_start =
        first - music_floor_mod((int64_t)first - options->search_start_step, steps_per_bar);

    /* Scatter every note that lands inside the buffer; remember the nearest one beyond it. Then
     * walk the buffer in step order, as Magenta walks its sorted groups, to find the gap. */
    for (int i = 0; i < track->capacity; i++)
        music_drum_event_clear(&track->events[i]);
    int64_t beyond = INT64_MAX;
    for (int i = 0; i < seq->notes.count; i++) {
        const music_note *note = &seq->notes.items[i];
        if (!note_is_eligible(note, options))
            continue;
        int64_t index = note->start_step - track_start;
        if (index < track->capacity)
            music_drum_event_add(&track->events[index], note->pitch);
        else if (index < beyond)
            beyond = index;
    }
    double gap_steps = options->gap_bars * steps_per_bar;
    int64_t gap_start = 0, length = 0;
    bool ended = false;
    for (int64_t index = 0; index < track->capacity; index++) {
        if (music_drum_event_is_empty(&track->events[index]))
            continue;
        if (length > 0 && (double)(index - gap_start) >= gap_steps) {
            ended = true;
            break;
        }
        length = index + 1;
        gap_start = index + 1;
    }
    if (!ended && beyond != INT64_MAX && !(length > 0 && (double)(beyond - gap_start) >= gap_steps)) {
        music_message(message, "drums: the drum track from step %lld does not fit in %d steps",
            (long long)track_start, track->capacity);
        return MUSIC_ERR_FULL;
    }
    if (options->pad_end)
        length += music_floor_mod(-length, steps_per_bar);
    if (length > track->capacity) {
        music_message(message, "drums: the padded drum track (%lld steps) does not fit in %d steps",
            (long long)length, track->capacity);
        return MUSIC_ERR_FULL;
    }
    /* Notes after the gap were scattered too: clear what lies past the end. */
    for (int64_t index = length; index < track->capacity; index++)
        music_drum_event_clear(&track->events[index]);
    track->length = (int)length;
    track->start_step = (int32_t)track_start;
    track->end_step = (int32_t)(track_start + length);
    return MUSIC_OK;
}

static void histogram_init(music_drums_stats *stats, int min_bars)
{
    /* extract_drum_tracks' 'drum_track_lengths_in_bars' buckets; statistics.Histogram sorts
     * them, drops duplicates and puts -infinity first. */
    int64_t bounds[] = {0, 1, 10, 20, 30, 40, 50, 100, 200, 500, floor_div(min_bars, 2), min_bars,
                        (int64_t)min_bars + 1, (int64_t)min_bars - 1};
    int n = (int)(sizeof bounds / sizeof bounds[0]);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && bounds[j - 1] > bounds[j]; j--) {
            int64_t t = bounds[j];
            bounds[j] = bounds[j - 1];
            bounds[j - 1] = t;
        }
    stats->histogram_buckets = 0;
    stats->histogram_lower[stats->histogram_buckets] = -INFINITY;
    stats->histogram_count[stats->histogram_buckets++] = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && bounds[i] == bounds[i - 1])
            continue;
        stats->histogram_lower[stats->histogram_buckets] = (double)bounds[i];
        stats->histogram_count[stats->histogram_buckets++] = 0;
    }
}

static void histogram_add(music_drums_stats *stats, double value)
{
    int bucket = 0;
    for (int i = 0; i < stats->histogram_buckets; i++)
        if (stats->histogram_lower[i] <= value)
            bucket = i;
    stats->histogram_count[bucket]++;
}

void music_drum_tracks_free(music_drum_tracks *tracks)
{
    if (!tracks)
        return;
    for (int i = 0; i < tracks->count; i++)
        free(tracks->items[i].events);
    free(tracks->items);
    tracks->items = NULL;
    tracks->count = 0;
}

music_status music_drums_extract(const music_seq *seq, const music_drums_options *options,
                                 music_drum_tracks *tracks, music_drums_stats *stats, char *message)
{
    if (!seq || !options || !tracks) {
        music_message(message, "drums: extract: NULL argument");
        return MUSIC_ERR_ARGUMENT;
    }
    tracks->items = NULL;
    tracks->count = 0;
    music_drums_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    histogram_init(stats, options->min_bars);

    int steps_per_bar;
    music_status status = music_drums_steps_per_bar(seq, &steps_per_bar, message);
    if (status != MUSIC_OK)
        return status;

    music_drums_options step_options = *options;
    music_drum_track scratch = {0};
    int capacity_of_items = 0;
    for (;;) {
        /* Grow the scratch track until the next track fits. */
        for (;;) {
            status = music_drum_track_from_seq(seq, &step_options, &scratch, message);
            if (status != MUSIC_ERR_FULL)
                break;
            if (scratch.capacity > INT_MAX / 2 || steps_per_bar > INT_MAX / 4) {
                status = MUSIC_ERR_MEMORY;
                music_message(message, "drums: a drum track longer than %d steps", scratch.capacity);
                break;
            }
            int grown = scratch.capacity ? scratch.capacity * 2 : 4 * steps_per_bar;
            music_drum_event *events = realloc(scratch.events, (size_t)grown * sizeof *events);
            if (!events) {
                status = MUSIC_ERR_MEMORY;
                music_message(message, "drums: out of memory for a drum track of %d steps", grown);
                break;
            }
            scratch.events = events;
            scratch.capacity = grown;
        }
        if (status != MUSIC_OK)
            goto fail;
        /* Magenta moves the search to the bar boundary at or after the track's end, keeping the
         * search start's phase; it does so before any truncation. */
        step_options.search_start_step =
            (int32_t)(scratch.end_step +
                      music_floor_mod((int64_t)step_options.search_start_step - scratch.end_step, steps_per_bar));
        if (scratch.length == 0)
            break;

        if ((int64_t)scratch.length < (int64_t)scratch.steps_per_bar * options->min_bars) {
            stats->discarded_too_short++;
            continue;
        }
        if (options->max_steps_discard > 0 && scratch.length > options->max_steps_discard) {
            stats->discarded_too_long++;
            continue;
        }
        int length = scratch.length;
        if (options->max_steps_truncate > 0 && length > options->max_steps_truncate) {
            length = options->max_steps_truncate;
            if (options->pad_end)
                length -= (int)music_floor_mod(options->max_steps_truncate, scratch.steps_per_bar);
            stats->truncated++;
        }
        histogram_add(stats, (double)floor_div(length, scratch.steps_per_bar));

        if (tracks->count == capacity_of_items) {
            int grown = capacity_of_items ? capacity_of_items * 2 : 4;
            music_drum_track *items = realloc(tracks->items, (size_t)grown * sizeof *items);
            if (!items) {
                status = MUSIC_ERR_MEMORY;
                music_message(message, "drums: out of memory for %d drum tracks", grown);
                goto fail;
            }
            tracks->items = items;
            capacity_of_items = grown;
        }
        music_drum_track *out = &tracks->items[tracks->count];
        *out = scratch;
        out->events = malloc((size_t)(length > 0 ? length : 1) * sizeof *out->events);
        if (!out->events) {
            status = MUSIC_ERR_MEMORY;
            music_message(message, "drums: out of memory for a drum track of %d steps", length);
            goto fail;
        }
        memcpy(out->events, scratch.events, (size_t)length * sizeof *out->events);
        out->length = out->capacity = length;
        out->end_step = out->start_step + length;
        tracks->count++;
    }
    free(scratch.events);
    return MUSIC_OK;

fail:
    free(scratch.events);
    music_drum_tracks_free(tracks);
    return status;
}

/* ---- Drum maps ------------------------------------------------------------------------------- */

/* note_seq drums_encoder_decoder.DEFAULT_DRUM_TYPE_PITCHES: one list per class, the first pitch
 * of each is the one decoding plays. Zero ends a list (0 is no drum of any list). */
static const uint8_t default_drum_lists[MUSIC_DRUM_CLASSES][16] = {
    [MUSIC_DRUM_KICK] = {36, 35},
    [MUSIC_DRUM_SNARE] = {38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85},
    [MUSIC_DRUM_CLOSED_HIHAT] = {42, 44, 54, 68, 69, 70, 71, 73, 78, 80, 22},
    [MUSIC_DRUM_OPEN_HIHAT] = {46, 67, 72, 74, 79, 81, 26},
    [MUSIC_DRUM_LOW_TOM] = {45, 29, 41, 43, 61, 64, 84},
    [MUSIC_DRUM_MID_TOM] = {48, 47, 60, 63, 77, 86, 87},
    [MUSIC_DRUM_HIGH_TOM] = {50, 30, 62, 76, 83},
    [MUSIC_DRUM_CRASH] = {49, 52, 55, 57, 58},
    [MUSIC_DRUM_RIDE] = {51, 53, 59, 82},
};

/* magenta/models/music_vae/data.py FULL_DRUM_PITCH_CLASSES, in its order. */
static const uint8_t full_drum_pitches[61] = {
    36, 35, 38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85, 42, 44, 54, 68,
    69, 70, 71, 73, 78, 80, 46, 67, 72, 74, 79, 81, 45, 29, 41, 61, 64, 84, 48, 47, 60,
    63, 77, 86, 87, 50, 30, 43, 62, 76, 83, 49, 55, 57, 58, 51, 52, 53, 59, 82,
};

static void map_clear(music_drum_map *map, int classes)
{
    memset(map->class_of_pitch, -1, sizeof map->class_of_pitch);
    memset(map->pitch_of_class, 0, sizeof map->pitch_of_class);
    map->classes = classes;
}

void music_drum_map_default(music_drum_map *map)
{
    map_clear(map, MUSIC_DRUM_CLASSES);
    for (int c = 0; c < MUSIC_DRUM_CLASSES; c++) {
        map->pitch_of_class[c] = default_drum_lists[c][0];
        for (int k = 0; k < 16 && default_drum_lists[c][k]; k++)
            map->class_of_pitch[default_drum_lists[c][k]] = (int8_t)c;
    }
}

void music_drum_map_one_drum(music_drum_map *map)
{
    /* drums_rnn_model.py 'one_drum': [[39] + range(0, 39) + range(39, 128)]. */
    map_clear(map, 1);
    memset(map->class_of_pitch, 0, sizeof map->class_of_pitch);
    map->pitch_of_class[0] = 39;
}

void music_drum_map_full(music_drum_map *map)
{
    map_clear(map, 61);
    for (int c = 0; c < 61; c++) {
        map->pitch_of_class[c] = full_drum_pitches[c];
        map->class_of_pitch[full_drum_pitches[c]] = (int8_t)c;
    }
}

music_status music_drum_map_from_lists(music_drum_map *map, const uint8_t *const *lists,
                                       const int *lengths, int classes, char *message)
{
    if (!map || !lists || !lengths || classes < 1 || classes > MUSIC_DRUM_MAP_MAX_CLASSES) {
        music_message(message, "drum map: NULL lists or %d classes (1..%d)", classes, MUSIC_DRUM_MAP_MAX_CLASSES);
        return MUSIC_ERR_ARGUMENT;
    }
    for (int c = 0; c < classes; c++) {
        if (!lists[c] || lengths[c] < 1) {
            music_message(message, "drum map: class %d has no pitches", c);
            return MUSIC_ERR_ARGUMENT;
        }
        for (int k = 0; k < lengths[c]; k++)
            if (lists[c][k] > 127) {
                music_message(message, "drum map: class %d pitch %d is outside 0..127", c, lists[c][k]);
                return MUSIC_ERR_RANGE;
            }
    }
    map_clear(map, classes);
    for (int c = 0; c < classes; c++) {
        map->pitch_of_class[c] = lists[c][0];
        for (int k = 0; k < lengths[c]; k++)
            map->class_of_pitch[lists[c][k]] = (int8_t)c; /* later lists win, as Python's dict */
    }
    return MUSIC_OK;
}

music_status music_drum_map_remap(music_drum_map *map, const uint8_t *pitches, int count, bool also_input)
{
    if (!map || !pitches || count != map->classes)
        return MUSIC_ERR_ARGUMENT;
    for (int c = 0; c < count; c++)
        if (pitches[c] > 127)
            return MUSIC_ERR_RANGE;
    for (int c = 0; c < count; c++) {
        map->pitch_of_class[c] = pitches[c];
        if (also_input)
            map->class_of_pitch[pitches[c]] = (int8_t)c;
    }
    return MUSIC_OK;
}

uint64_t music_drum_event_classes(const music_drum_map *map, const music_drum_event *event)
{
    uint64_t classes = 0;
    for (int word = 0; word < 2; word++) {
        uint64_t bits = event->bits[word];
        while (bits) {
            int pitch = word * 64 + __builtin_ctzll(bits);
            bits &= bits - 1;
            int c = map->class_of_pitch[pitch];
            if (c >= 0)
                classes |= UINT64_C(1) << c;
        }
    }
    return classes;
}

void music_drum_classes_event(const music_drum_map *map, uint64_t classes, music_drum_event *event)
{
    music_drum_event_clear(event);
    for (int c = 0; c < map->classes; c++)
        if ((classes >> c) & 1u)
            music_drum_event_add(event, map->pitch_of_class[c]);
}

int music_drum_onehot_encode(const music_drum_map *map, const music_drum_event *event)
{
    if (!map || !event || map->classes < 1 || map->classes > 16)
        return -1;
    return (int)music_drum_event_classes(map, event);
}

music_status music_drum_onehot_decode(const music_drum_map *map, int index, music_drum_event *event)
{
    if (!map || !event || map->classes < 1 || map->classes > 16)
        return MUSIC_ERR_ARGUMENT;
    if (index < 0 || index >= (1 << map->classes))
        return MUSIC_ERR_RANGE;
    music_drum_classes_event(map, (uint64_t)index, event);
    return MUSIC_OK;
}

/* ---- Lookback encoder ------------------------------------------------------------------------ */

music_lookback_config music_lookback_drum_kit(void)
{
    /* drums_rnn_model.py 'drum_kit': lookback_distances=[], binary_counter_bits=6. */
    music_lookback_config config = {.distances = {0}, .lookbacks = 0, .binary_counter_bits = 6};
    return config;
}

music_lookback_config music_lookback_default(void)
{
    /* encoder_decoder.py: DEFAULT_LOOKBACK_DISTANCES = [bar, 2 bars] of 16 steps; 5 bits. */
    music_lookback_config config = {.distances = {16, 32}, .lookbacks = 2, .binary_counter_bits = 5};
    return config;
}

static bool lookback_config_ok(const music_drum_map *map, const music_lookback_config *config)
{
    if (!map || !config || map->classes < 1 || map->classes > 16)
        return false;
    if (config->lookbacks < 0 || config->lookbacks > MUSIC_LOOKBACK_MAX)
        return false;
    if (config->binary_counter_bits < 0 || config->binary_counter_bits > 30)
        return false;
    for (int i = 0; i < config->lookbacks; i++)
        if (config->distances[i] < 1)
            return false;
    return true;
}

int music_drum_lookback_input_size(const music_drum_map *map, const music_lookback_config *config)
{
    if (!lookback_config_ok(map, config))
        return -1;
    int onehot = 1 << map->classes;
    return onehot + config->lookbacks * onehot + config->binary_counter_bits + config->lookbacks;
}

int music_drum_lookback_num_classes(const music_drum_map *map, const music_lookback_config *config)
{
    if (!lookback_config_ok(map, config))
        return -1;
    return (1 << map->classes) + config->lookbacks;
}

music_status music_drum_lookback_input(const music_drum_map *map, const music_lookback_config *config,
                                       const music_drum_event *events, int length, int position,
                                       float *input, int input_size)
{
    int size = music_drum_lookback_input_size(map, config);
    if (size < 0 || !events || !input || position < 0 || position >= length)
        return MUSIC_ERR_ARGUMENT;
    if (input_size != size)
        return MUSIC_ERR_RANGE;
    int onehot = 1 << map->classes;
    memset(input, 0, (size_t)size * sizeof *input);
    int offset = 0;

    input[music_drum_onehot_encode(map, &events[position])] = 1.0f;
    offset += onehot;

    /* The event one lookback before the step about to be predicted; none before the start. */
    for (int i = 0; i < config->lookbacks; i++) {
        int back = position - config->distances[i] + 1;
        int index = back < 0 ? 0 : music_drum_onehot_encode(map, &events[back]);
        input[offset + index] = 1.0f;
        offset += onehot;
    }

    /* The counter gives the metric position of the next step, bits as +1/-1. */
    unsigned next = (unsigned)position + 1;
    for (int i = 0; i < config->binary_counter_bits; i++)
        input[offset++] = ((next >> i) & 1u) ? 1.0f : -1.0f;

    /* Magenta compares the events themselves (pitch sets), not their classes. */
    for (int i = 0; i < config->lookbacks; i++) {
        int back = position - config->distances[i];
        if (back >= 0 && music_drum_event_equal(&events[position], &events[back]))
            input[offset] = 1.0f;
        offset++;
    }
    return MUSIC_OK;
}

int music_drum_lookback_label(const music_drum_map *map, const music_lookback_config *config,
                              const music_drum_event *events, int length, int position)
{
    if (!lookback_config_ok(map, config) || !events || position < 0 || position >= length)
        return -1;
    int onehot = 1 << map->classes;
    /* Silence before the farthest lookback is labelled as the farthest repeat. */
    if (config->lookbacks > 0 && position < config->distances[config->lookbacks - 1] &&
        music_drum_event_is_empty(&events[position]))
        return onehot + config->lookbacks - 1;
    for (int i = config->lookbacks - 1; i >= 0; i--) {
        int back = position - config->distances[i];
        if (back >= 0 && music_drum_event_equal(&events[position], &events[back]))
            return onehot + i;
    }
    return music_drum_onehot_encode(map, &events[position]);
}

music_status music_drum_lookback_decode(const music_drum_map *map, const music_lookback_config *config,
                                        int label, const music_drum_event *events, int length,
                                        music_drum_event *event)
{
    if (!lookback_config_ok(map, config) || !event || length < 0 || (length > 0 && !events))
        return MUSIC_ERR_ARGUMENT;
    int onehot = 1 << map->classes;
    if (label >= onehot && label < onehot + config->lookbacks) {
        int distance = config->distances[label - onehot];
        if (length < distance)
            music_drum_event_clear(event);
        else
            *event = events[length - distance];
        return MUSIC_OK;
    }
    return music_drum_onehot_decode(map, label, event);
}

/* ---- MusicVAE DrumsConverter ----------------------------------------------------------------- */

void music_drums_vae_map_notes(const music_drum_map *map, music_seq *seq)
{
    int kept = 0;
    for (int i = 0; i < seq->notes.count; i++) {
        music_note note = seq->notes.items[i];
        if (!note.is_drum || note.pitch > 127 || map->class_of_pitch[note.pitch] < 0)
            continue;
        note.pitch = (uint8_t)map->class_of_pitch[note.pitch];
        seq->notes.items[kept++] = note;
    }
    seq->notes.count = kept;
}

music_status music_drums_vae_onehot(const music_drum_map *map, uint64_t classes, float *out, int size)
{
    if (!map || !out || map->classes < 1 || map->classes > 16)
        return MUSIC_ERR_ARGUMENT;
    if (size != (1 << map->classes) || classes >= (uint64_t)size)
        return MUSIC_ERR_RANGE;
    memset(out, 0, (size_t)size * sizeof *out);
    out[classes] = 1.0f;
    return MUSIC_OK;
}

music_status music_drums_vae_roll_output(const music_drum_map *map, uint64_t classes, float *out, int size)
{
    if (!map || !out)
        return MUSIC_ERR_ARGUMENT;
    if (size != map->classes || (map->classes < 64 && (classes >> map->classes) != 0))
        return MUSIC_ERR_RANGE;
    for (int c = 0; c < size; c++)
        out[c] = ((classes >> c) & 1u) ? 1.0f : 0.0f;
    return MUSIC_OK;
}

music_status music_drums_vae_roll_input(const music_drum_map *map, uint64_t classes, float *out, int size)
{
    if (!map || !out)
        return MUSIC_ERR_ARGUMENT;
    if (size != map->classes + 1)
        return MUSIC_ERR_RANGE;
    music_status status = music_drums_vae_roll_output(map, classes, out, map->classes);
    if (status != MUSIC_OK)
        return status;
    out[map->classes] = classes == 0 ? 1.0f : 0.0f;
    return MUSIC_OK;
}

uint64_t music_drums_vae_roll_classes(const float *roll, int size)
{
    uint64_t classes = 0;
    for (int c = 0; c < size && c < 64; c++)
        if (roll[c] != 0.0f)
            classes |= UINT64_C(1) << c;
    return classes;
}

uint64_t music_drums_vae_onehot_classes(const float *onehot, int size)
{
    int best = 0;
    for (int i = 1; i < size; i++)
        if (onehot[i] > onehot[best])
            best = i;
    return (uint64_t)best;
}
