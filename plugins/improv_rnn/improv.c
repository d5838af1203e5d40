/* improv.c — Improv RNN's part of the generators' core: the basic_improv, attention_improv and
 * chord_pitches_improv encoders (a chord encoding, then the melody's, as Magenta's
 * ConditionalEventSequenceEncoderDecoder: the chord of the step to predict first), chords from
 * the notes held below the split (named as Magenta's pitches_to_chord_symbol names them) or
 * from a progression of one chord per bar; the melody half is melody.c's.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "gen_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool improv_configure(gen_model *model, const char *config)
{
    music_chord_encoding chords;
    if (music_improv_encoder_for_config(config, &model->melody, &chords) != MUSIC_OK)
        return false;
    model->chord_encoding = chords;
    model->chord_size = music_chord_encoding_size(chords);
    model->input_size = model->chord_size + music_melody_encoder_input_size(&model->melody);
    model->classes = music_melody_encoder_num_classes(&model->melody);
    return true;
}

/* improv_rnn_generate's default primer: a middle C, one step. */
static void improv_primer(const gen_model *model, gen_track *track, int i)
{
    (void)model;
    track->notes[i] = 60;
}

static bool from_progression(const gen *g)
{
    const gen_progression *p = g->progression;
    return g->controls.chord_source == GEN_CHORDS_PROGRESSION && p && p->count > 0;
}

bool gen_chords_live(const gen *g)
{
    return g->kind == GEN_IMPROV && !from_progression(g);
}

uint32_t gen_chord_at(const gen *g, int64_t k)
{
    const gen_progression *p = g->progression;
    if (from_progression(g)) {
        int64_t i = gen_bar_of_step(g, k) % p->count;
        return p->words[i < 0 ? i + p->count : i];
    }
    return g->chord_word;
}

static nn_status improv_encode(const gen *g, int position, float *input)
{
    const gen_model *m = g->model;
    const gen_track *t = &g->track;
    music_chord_encoding enc = m->chord_encoding;
    /* a chord the encoding has no class for (a sus chord for the triad one) counts as N.C. */
    if (music_chord_word_encode(enc, gen_chord_at(g, t->base + position + 1), input, NULL) != MUSIC_OK)
        music_chord_word_encode(enc, MUSIC_CHORD_WORD_NO_CHORD, input, NULL);
    return music_melody_encoder_input(&m->melody, t->notes, t->len, position, input + m->chord_size) == MUSIC_OK
               ? NN_OK
               : NN_ERR_MALFORMED;
}

/* Name the held chord notes as Magenta does; a set it cannot name leaves the last chord. */
static void recognise(gen *g)
{
    int pitches[128], count = 0;
    for (int p = 0; p < 128; p++)
        if (g->input.chord_held[p])
            pitches[count++] = p;
    if (count == 0)
        return;
    char name[MUSIC_CHORD_SYMBOL_SIZE];
    music_chord chord;
    if (music_chord_from_pitches(pitches, count, name, sizeof name, NULL) != MUSIC_OK ||
        music_chord_parse(name, &chord, NULL) != MUSIC_OK || strlen(name) >= sizeof g->chord_name)
        return;
    g->chord_word = music_chord_word(&chord);
    gen_copy_name(g->chord_name, sizeof g->chord_name, name);
}

static void improv_note(gen *g, int pitch, int velocity, bool on)
{
    gen_input *in = &g->input;
    if (!on && in->chord_held[pitch]) {
        in->chord_held[pitch] = false;
        in->chord_count--;
        return;
    }
    if (on && pitch < g->controls.split_note) {
        if (!in->chord_held[pitch]) {
            in->chord_held[pitch] = true;
            in->chord_count++;
        }
        recognise(g);
        return;
    }
    gen_melody_note(g, pitch, velocity, on);
}

const gen_kind_ops gen_improv_ops = {
    .kind = GEN_IMPROV,
    .configure = improv_configure,
    .primer = improv_primer,
    .encode = improv_encode,
    .decode = gen_melody_decode,
    .record = gen_melody_record,
    .note = improv_note,
    .play = gen_melody_play,
};

/* ---- Progressions --------------------------------------------------------------------------- */

/* The next chord symbol of a progression (spaces, tabs, new lines and bar lines separate them). */
static const char *next_symbol(const char *s, size_t *length)
{
    s += strspn(s, " \t\n\r|");
    *length = strcspn(s, " \t\n\r|");
    return s;
}

nn_status gen_progression_parse(const char *text, gen_progression **out, char *why)
{
    if (out)
        *out = NULL;
    if (!text || !out)
        return gen_fail(why, NN_ERR_ARGUMENT, "chord progression: bad arguments");
    if (strlen(text) >= GEN_PROGRESSION_TEXT_MAX)
        return gen_fail(why, NN_ERR_ARGUMENT, "chord progression: longer than %d characters",
                        GEN_PROGRESSION_TEXT_MAX - 1);
    gen_progression *p = calloc(1, sizeof *p);
    if (!p)
        return gen_fail(why, NN_ERR_MEMORY, "chord progression: out of memory");
    snprintf(p->text, sizeof p->text, "%s", text);
    nn_status st = NN_OK;
    size_t n;
    for (const char *s = next_symbol(text, &n); n && st == NN_OK; s = next_symbol(s + n, &n)) {
        char *name = p->names[p->count], message[MUSIC_MESSAGE_SIZE];
        music_chord chord;
        if (p->count == GEN_MAX_PROGRESSION) {
            st = gen_fail(why, NN_ERR_ARGUMENT, "chord progression: more than %d chords", GEN_MAX_PROGRESSION);
        } else if (n > MUSIC_CHORD_NAME_MAX) {
            st = gen_fail(why, NN_ERR_MALFORMED, "chord progression: chord %d '%.*s' is too long", p->count + 1,
                          (int)(n > 64 ? 64 : n), s);
        } else {
            memcpy(name, s, n);
            name[n] = '\0';
            if (music_chord_parse(name, &chord, message) != MUSIC_OK)
                st = gen_fail(why, NN_ERR_MALFORMED, "chord progression: chord %d '%s' is not a chord symbol (%.400s)",
                              p->count + 1, name, message);
            else
                p->words[p->count++] = music_chord_word(&chord);
        }
    }
    if (st == NN_OK && !p->count)
        st = gen_fail(why, NN_ERR_ARGUMENT, "chord progression: no chord symbols in '%.400s'", text);
    if (st != NN_OK) {
        free(p);
        return st;
    }
    *out = p;
    return NN_OK;
}

void gen_progression_free(gen_progression *progression)
{
    free(progression);
}

const char *gen_progression_text(const gen_progression *progression)
{
    return progression ? progression->text : NULL;
}

gen_progression *gen_swap_progression(gen *g, gen_progression *progression)
{
    if (!g)
        return progression;
    gen_progression *old = g->progression;
    g->progression = progression;
    return old;
}
