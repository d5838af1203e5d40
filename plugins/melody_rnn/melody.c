/* melody.c — Melody RNN's part of the generators' core: the basic_rnn, mono_rnn, lookback_rnn
 * and attention_rnn encoders (Magenta's melody_rnn_model.default_configs, through dsp/music),
 * the player's monophonic line as melody events, and melody events as notes. Improv RNN reads
 * and plays its melody half with the same functions.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "gen_private.h"

#include <string.h>

static bool melody_configure(gen_model *model, const char *config)
{
    static const char *const configs[] = {"basic_rnn", "mono_rnn", "lookback_rnn", "attention_rnn"};
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++)
        if (!strcmp(config, configs[i]) && music_melody_encoder_for_config(&model->melody, config) == MUSIC_OK) {
            model->input_size = music_melody_encoder_input_size(&model->melody);
            model->classes = music_melody_encoder_num_classes(&model->melody);
            return true;
        }
    return false;
}

/* melody_rnn_generate's default primer: a middle C, one step. */
static void melody_primer(const gen_model *model, gen_track *track, int i)
{
    (void)model;
    track->notes[i] = 60;
}

static nn_status melody_encode(const gen *g, int position, float *input)
{
    const gen_track *t = &g->track;
    return music_melody_encoder_input(&g->model->melody, t->notes, t->len, position, input) == MUSIC_OK
               ? NN_OK
               : NN_ERR_MALFORMED;
}

bool gen_melody_decode(const gen_model *model, gen_track *track, int label)
{
    return music_melody_encoder_decode(&model->melody, label, track->notes, track->len, &track->notes[track->len]) ==
           MUSIC_OK;
}

/* Whether the track's melody sounds after index i - 1 (its last event other than NO_EVENT is a note). */
static bool track_sounding(const gen_track *t, int i)
{
    while (--i >= 0)
        if (t->notes[i] != MUSIC_MELODY_NO_EVENT)
            return t->notes[i] >= 0;
    return false;
}

void gen_melody_record(gen *g, int i)
{
    const gen_input *in = &g->input;
    gen_track *t = &g->track;
    const music_melody_encoder *e = &g->model->melody;
    if (in->started >= 0)
        t->notes[i] = gen_fold(in->started, e->min_note, e->max_note);
    else if (in->held_count == 0 && track_sounding(t, i))
        t->notes[i] = MUSIC_MELODY_NOTE_OFF; /* released, nothing new */
    else
        t->notes[i] = MUSIC_MELODY_NO_EVENT;
}

/* The player's line: the highest note started in a step; releasing every note, a note-off. */
void gen_melody_note(gen *g, int pitch, int velocity, bool on)
{
    (void)velocity;
    gen_input *in = &g->input;
    if (on) {
        if (!in->held[pitch]) {
            in->held[pitch] = true;
            in->held_count++;
        }
        if (pitch > in->started)
            in->started = pitch;
        in->active = true;
    } else if (in->held[pitch]) {
        in->held[pitch] = false;
        in->held_count--;
    }
}

/* A note ends at the next note or note-off; pitch + transpose, folded into [pitch_low, pitch_high]. */
void gen_melody_play(gen *g, const gen_event *event, uint32_t frame)
{
    const gen_controls *c = &g->controls;
    if (event->note >= 0) {
        gen_release_all(g, frame);
        gen_note_on(g, frame, gen_fold(event->note + c->transpose, c->pitch_low, c->pitch_high + 1));
    } else if (event->note == MUSIC_MELODY_NOTE_OFF) {
        gen_release_all(g, frame);
    }
}

const gen_kind_ops gen_melody_ops = {
    .kind = GEN_MELODY,
    .configure = melody_configure,
    .primer = melody_primer,
    .encode = melody_encode,
    .decode = gen_melody_decode,
    .record = gen_melody_record,
    .note = gen_melody_note,
    .play = gen_melody_play,
};
