/* drums.c — Drums RNN's part of the generators' core: the drum_kit encoder (Magenta's
 * LookbackEventSequenceEncoderDecoder over the nine-class MultiDrumOneHotEncoding, no
 * lookbacks, 6 counter bits), the player's hits read through Magenta's full drum map, and the
 * nine classes played on the notes the user chose.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "gen_private.h"

#include <string.h>

static bool drums_configure(gen_model *model, const char *config)
{
    if (strcmp(config, "drum_kit"))
        return false;
    music_drum_map_default(&model->drum_map);
    model->lookback = music_lookback_drum_kit();
    model->input_size = music_drum_lookback_input_size(&model->drum_map, &model->lookback);
    model->classes = music_drum_lookback_num_classes(&model->drum_map, &model->lookback);
    return true;
}

/* drums_rnn_generate's default primer: a bass drum, one step. */
static void drums_primer(const gen_model *model, gen_track *track, int i)
{
    music_drum_event_clear(&track->drums[i]);
    music_drum_event_add(&track->drums[i], model->drum_map.pitch_of_class[MUSIC_DRUM_KICK]);
}

static nn_status drums_encode(const gen *g, int position, float *input)
{
    const gen_model *m = g->model;
    return music_drum_lookback_input(&m->drum_map, &m->lookback, g->track.drums, g->track.len, position, input,
                                     m->input_size) == MUSIC_OK
               ? NN_OK
               : NN_ERR_MALFORMED;
}

static bool drums_decode(const gen_model *model, gen_track *track, int label)
{
    return music_drum_lookback_decode(&model->drum_map, &model->lookback, label, track->drums, track->len,
                                      &track->drums[track->len]) == MUSIC_OK;
}

static void drums_record(gen *g, int i)
{
    g->track.drums[i] = g->input.hits;
}

static void drums_note(gen *g, int pitch, int velocity, bool on)
{
    (void)velocity;
    gen_input *in = &g->input;
    if (!on) {
        if (in->held[pitch]) {
            in->held[pitch] = false;
            in->held_count--;
        }
        return;
    }
    if (!in->held[pitch]) {
        in->held[pitch] = true;
        in->held_count++;
    }
    const music_drum_map *map = &g->drum_input_map;
    int c = map->class_of_pitch[pitch];
    if (c >= 0) {
        music_drum_event_add(&in->hits, map->pitch_of_class[c]);
        in->active = true;
    }
}

/* The last step's hits end here; then this step's classes on their notes. */
static void drums_play(gen *g, const gen_event *event, uint32_t frame)
{
    gen_release_all(g, frame);
    uint64_t classes = music_drum_event_classes(&g->drum_input_map, &event->drums);
    for (int c = 0; c < MUSIC_DRUM_CLASSES; c++) {
        int note = g->controls.drum_notes[c];
        if (classes >> c & 1 && gen_sounding_find(g, note) < 0)
            gen_note_on(g, frame, note);
    }
}

const gen_kind_ops gen_drums_ops = {
    .kind = GEN_DRUMS,
    .configure = drums_configure,
    .primer = drums_primer,
    .encode = drums_encode,
    .decode = drums_decode,
    .record = drums_record,
    .note = drums_note,
    .play = drums_play,
};
