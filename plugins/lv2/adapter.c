/* adapter.c — the LV2 plugin around one generator core (Melody, Drums, Improv or Performance
 * RNN): control ports and transport in, MIDI out, the model file and the chord progression as
 * patch parameters loaded in the worker, LV2 state. Every musical decision is the core's
 * (plugins/generator/generator.h); the LV2 machinery the plugins share (worker, state, restore,
 * patch messages) is lv2_plugin.c's; this file only translates between the two.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Compiled once per plugin with -DADAPTER_KIND=GEN_MELODY|GEN_DRUMS|GEN_IMPROV|GEN_PERFORMANCE,
 * -DADAPTER_URI="..." and -DADAPTER_DEFAULT_MODEL="file.nnm" (a file in the bundle), and with
 * -DADAPTER_HAS_PERFORMANCE=1 once the core has GEN_PERFORMANCE (meson checks generator.h).
 *
 * Threads: see lv2_plugin.h. run reads the ports, walks the control sequence and drives the
 * core; the worker loads models and progressions.
 *
 * Any block length works (the core bounds its work per call in model steps, not frames), so
 * the host's options (block lengths) are not read.
 */
#include "generator.h"
#include "lv2_plugin.h"

#include <lv2/atom/atom.h>
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if !defined(ADAPTER_KIND) || !defined(ADAPTER_URI) || !defined(ADAPTER_DEFAULT_MODEL)
#error "compile with -DADAPTER_KIND=GEN_..., -DADAPTER_URI=\"...\" and -DADAPTER_DEFAULT_MODEL=\"...\""
#endif
#ifndef ADAPTER_HAS_PERFORMANCE
#define ADAPTER_HAS_PERFORMANCE 0
#endif

/* ---- Ports ---------------------------------------------------------------------------------- */

/* Every port any of the plugins has; each plugin's Turtle numbers its own subset (tables below). */
typedef enum port_id {
    PORT_CONTROL,
    PORT_MIDI_OUT,
    PORT_NOTIFY,
    PORT_TEMPERATURE,
    PORT_STEPS_PER_QUARTER,
    PORT_MODE,
    PORT_LENGTH_BARS,
    PORT_LOOP_BARS,
    PORT_PITCH_LOW,
    PORT_PITCH_HIGH,
    PORT_TRANSPOSE,
    PORT_VELOCITY,
    PORT_CHANNEL,
    PORT_SEED,
    PORT_REGENERATE,
    PORT_BPM,
    PORT_DRUM_NOTE, /* nine in a row: kick, snare, closed hi-hat, open hi-hat, low, mid, high tom, crash, ride */
    PORT_CHORD_SOURCE = PORT_DRUM_NOTE + 9,
    PORT_SPLIT_NOTE,
    PORT_NOTES_PER_SECOND, /* Performance RNN */
    PORT_PITCH_CLASS,      /* twelve in a row: the weights of C .. B (Performance RNN) */
    PORT_COUNT = PORT_PITCH_CLASS + 12
} port_id;

#define PORTS_COMMON PORT_CONTROL, PORT_MIDI_OUT, PORT_NOTIFY, PORT_TEMPERATURE, PORT_STEPS_PER_QUARTER, \
                     PORT_MODE, PORT_LENGTH_BARS, PORT_LOOP_BARS
#define PORTS_SETTINGS PORT_VELOCITY, PORT_CHANNEL, PORT_SEED, PORT_REGENERATE, PORT_BPM
#define PORTS_PITCH PORT_PITCH_LOW, PORT_PITCH_HIGH, PORT_TRANSPOSE

/* lv2:index -> port, as ttl/<name>.ttl declares them. */
static const uint8_t melody_ports[] = {PORTS_COMMON, PORTS_PITCH, PORTS_SETTINGS};
static const uint8_t drums_ports[] = {PORTS_COMMON, PORTS_SETTINGS, PORT_DRUM_NOTE + 0, PORT_DRUM_NOTE + 1,
                                      PORT_DRUM_NOTE + 2, PORT_DRUM_NOTE + 3, PORT_DRUM_NOTE + 4,
                                      PORT_DRUM_NOTE + 5, PORT_DRUM_NOTE + 6, PORT_DRUM_NOTE + 7,
                                      PORT_DRUM_NOTE + 8};
static const uint8_t improv_ports[] = {PORTS_COMMON, PORTS_PITCH, PORTS_SETTINGS, PORT_CHORD_SOURCE, PORT_SPLIT_NOTE};
/* Performance RNN: an absolute 10 ms grid, so no steps_per_quarter; no loops. */
static const uint8_t performance_ports[] = {
    PORT_CONTROL, PORT_MIDI_OUT, PORT_NOTIFY, PORT_TEMPERATURE, PORT_MODE, PORT_LENGTH_BARS, PORTS_PITCH,
    PORTS_SETTINGS, PORT_NOTES_PER_SECOND, PORT_PITCH_CLASS + 0, PORT_PITCH_CLASS + 1, PORT_PITCH_CLASS + 2,
    PORT_PITCH_CLASS + 3, PORT_PITCH_CLASS + 4, PORT_PITCH_CLASS + 5, PORT_PITCH_CLASS + 6, PORT_PITCH_CLASS + 7,
    PORT_PITCH_CLASS + 8, PORT_PITCH_CLASS + 9, PORT_PITCH_CLASS + 10, PORT_PITCH_CLASS + 11};

/* The table of a kind (an int: GEN_PERFORMANCE may not exist in the core yet). */
static const uint8_t *port_table(int kind, uint32_t *count)
{
    switch (kind) {
    case GEN_DRUMS:
        *count = sizeof drums_ports;
        return drums_ports;
    case GEN_IMPROV:
        *count = sizeof improv_ports;
        return improv_ports;
    case 3: /* GEN_PERFORMANCE */
        *count = sizeof performance_ports;
        return performance_ports;
    case GEN_MELODY:
    default:
        *count = sizeof melody_ports;
        return melody_ports;
    }
}

/* ---- The instance --------------------------------------------------------------------------- */

typedef struct adapter {
    lv2p base; /* first: the LV2_Handle is also the shared machinery's */

    const void *ports[PORT_COUNT];
    const uint8_t *port_of_index;
    uint32_t port_count;

    gen *g;
    gen_controls defaults;
    uint32_t midi_base; /* the frame of the block where the current gen_run call starts */
} adapter;

static const char *plugin_name(void)
{
    return ADAPTER_KIND == GEN_DRUMS    ? "Drums RNN"
           : ADAPTER_KIND == GEN_IMPROV ? "Improv RNN"
           : (int)ADAPTER_KIND == 3     ? "Performance RNN"
                                        : "Melody RNN";
}

/* ---- The parameters: the model file (every generator) and the progression (Improv RNN) ------ */

static nn_status load_model(lv2p *p, const char *text, void **out, char *why)
{
    (void)p;
    gen_model *model = NULL;
    nn_status status = gen_model_load(ADAPTER_KIND, text, &model, why);
    *out = model;
    return status;
}

static void free_model(void *object)
{
    gen_model_free(object);
}

static const char *model_text(const void *object)
{
    return gen_model_path(object);
}

static void *swap_model(lv2p *p, void *object)
{
    adapter *a = (adapter *)p;
    return a->g ? gen_swap_model(a->g, object) : NULL;
}

static nn_status load_progression(lv2p *p, const char *text, void **out, char *why)
{
    (void)p;
    gen_progression *progression = NULL;
    nn_status status = gen_progression_parse(text, &progression, why);
    *out = progression;
    return status;
}

static void free_progression(void *object)
{
    gen_progression_free(object);
}

static const char *progression_text(const void *object)
{
    return gen_progression_text(object);
}

static void *swap_progression(lv2p *p, void *object)
{
    adapter *a = (adapter *)p;
    return a->g ? gen_swap_progression(a->g, object) : NULL;
}

static const lv2p_param params[] = {
    {MG__model, true, "model", "the current model keeps playing", load_model, free_model, model_text, swap_model},
    {MG__progression, false, "progression", "the current progression stays", load_progression, free_progression,
     progression_text, swap_progression},
};

/* ---- Output (audio thread) ------------------------------------------------------------------ */

/* The core's emit callback: one MIDI message at `frame` of the current gen_run call. */
static bool emit_midi(void *user, uint32_t frame, const uint8_t *bytes, uint32_t size)
{
    adapter *a = user;
    return lv2p_midi(&a->base, a->midi_base + frame, bytes, size); /* false: the core keeps it */
}

/* For deactivate: there is no output buffer, so the core keeps the note-offs for the next run. */
static bool emit_nowhere(void *user, uint32_t frame, const uint8_t *bytes, uint32_t size)
{
    (void)user, (void)frame, (void)bytes, (void)size;
    return false;
}

/* ---- Input (audio thread) ------------------------------------------------------------------- */

/* A number of any of the atom types hosts use for time:Position's fields. */
static bool atom_number(const lv2p_uris *u, const LV2_Atom *atom, double *out)
{
    if (!atom)
        return false;
    if (atom->type == u->atom_float && atom->size >= sizeof(float))
        *out = ((const LV2_Atom_Float *)atom)->body;
    else if (atom->type == u->atom_double && atom->size >= sizeof(double))
        *out = ((const LV2_Atom_Double *)atom)->body;
    else if (atom->type == u->atom_int && atom->size >= sizeof(int32_t))
        *out = ((const LV2_Atom_Int *)atom)->body;
    else if (atom->type == u->atom_long && atom->size >= sizeof(int64_t))
        *out = (double)((const LV2_Atom_Long *)atom)->body;
    else
        return false;
    return isfinite(*out);
}

static void read_position(adapter *a, const LV2_Atom_Object *object)
{
    const lv2p_uris *u = &a->base.uris;
    const LV2_Atom *bar = NULL, *bar_beat = NULL, *beats_per_bar = NULL, *beat_unit = NULL, *bpm = NULL,
                   *speed = NULL;
    lv2_atom_object_get(object, u->time_bar, &bar, u->time_bar_beat, &bar_beat, u->time_beats_per_bar,
                        &beats_per_bar, u->time_beat_unit, &beat_unit, u->time_beats_per_minute, &bpm,
                        u->time_speed, &speed, 0);
    gen_position p = {0};
    double unit = 0;
    p.has_bar = atom_number(u, bar, &p.bar);
    p.has_bar_beat = atom_number(u, bar_beat, &p.bar_beat);
    p.has_beats_per_bar = atom_number(u, beats_per_bar, &p.beats_per_bar);
    p.has_beat_unit = atom_number(u, beat_unit, &unit) && unit >= 1 && unit <= 256;
    p.beat_unit = p.has_beat_unit ? (int)unit : 4;
    p.has_bpm = atom_number(u, bpm, &p.bpm);
    p.has_speed = atom_number(u, speed, &p.speed);
    gen_set_position(a->g, &p);
}

static void read_event(adapter *a, const LV2_Atom_Event *ev)
{
    const LV2_Atom *body = &ev->body;
    if (body->type == a->base.uris.midi_event) {
        gen_midi_in(a->g, (const uint8_t *)LV2_ATOM_BODY_CONST(body), body->size);
    } else if (lv2_atom_forge_is_object_type(&a->base.midi_forge, body->type)) {
        const LV2_Atom_Object *object = (const LV2_Atom_Object *)body;
        if (object->body.otype == a->base.uris.time_position)
            read_position(a, object);
        else
            lv2p_read_patch(&a->base, object);
    }
}

/* The ports as the core's settings. A value a port cannot hold (NaN) gives the default; the
 * core clamps the rest. */
static float port_float(const adapter *a, port_id id, float fallback)
{
    const float *p = a->ports[id];
    return p && !isnan(*p) ? *p : fallback;
}

static int port_int(const adapter *a, port_id id, int fallback)
{
    float v = port_float(a, id, (float)fallback);
    v = v < -1e8f ? -1e8f : v > 1e8f ? 1e8f : v; /* inside int's range before converting */
    return (int)lrintf(v);
}

static void read_controls(const adapter *a, gen_controls *c)
{
    *c = a->defaults;
    c->temperature = port_float(a, PORT_TEMPERATURE, c->temperature);
    c->steps_per_quarter = port_int(a, PORT_STEPS_PER_QUARTER, c->steps_per_quarter);
    c->mode = port_int(a, PORT_MODE, c->mode);
    c->length_bars = port_int(a, PORT_LENGTH_BARS, c->length_bars);
    c->loop_bars = port_int(a, PORT_LOOP_BARS, c->loop_bars);
    c->pitch_low = port_int(a, PORT_PITCH_LOW, c->pitch_low);
    c->pitch_high = port_int(a, PORT_PITCH_HIGH, c->pitch_high);
    c->transpose = port_int(a, PORT_TRANSPOSE, c->transpose);
    c->velocity = port_int(a, PORT_VELOCITY, c->velocity);
    c->channel = port_int(a, PORT_CHANNEL, c->channel);
    int seed = port_int(a, PORT_SEED, (int)c->seed);
    c->seed = seed < 0 ? 0u : (uint32_t)seed;
    c->regenerate = port_float(a, PORT_REGENERATE, 0.0f) > 0.5f;
    c->bpm = port_float(a, PORT_BPM, (float)c->bpm);
    for (int i = 0; i < 9; i++)
        c->drum_notes[i] = port_int(a, (port_id)(PORT_DRUM_NOTE + i), c->drum_notes[i]);
    c->chord_source = port_int(a, PORT_CHORD_SOURCE, c->chord_source);
    c->split_note = port_int(a, PORT_SPLIT_NOTE, c->split_note);
#if ADAPTER_HAS_PERFORMANCE
    c->notes_per_second = port_float(a, PORT_NOTES_PER_SECOND, (float)c->notes_per_second);
    for (int i = 0; i < 12; i++)
        c->pitch_classes[i] = port_float(a, (port_id)(PORT_PITCH_CLASS + i), c->pitch_classes[i]);
#endif
}

/* The core's clock from frame `from` to `to` of the block (events at the same frame share the
 * call after them). */
static void advance(adapter *a, uint32_t from, uint32_t to)
{
    if (to == from && to != a->base.frames)
        return;
    a->midi_base = from;
    gen_run(a->g, to - from, emit_midi, a);
}

static void run(LV2_Handle instance, uint32_t frames)
{
    adapter *a = instance;
    a->midi_base = 0;
    lv2p_run_begin(&a->base, frames, (void *)a->ports[PORT_MIDI_OUT], (void *)a->ports[PORT_NOTIFY]);

    gen_controls controls;
    read_controls(a, &controls);
    gen_set_controls(a->g, &controls);

    uint32_t done = 0;
    const LV2_Atom_Sequence *in = a->ports[PORT_CONTROL];
    if (in && in->atom.size >= sizeof(LV2_Atom_Sequence_Body)) {
        LV2_ATOM_SEQUENCE_FOREACH (in, ev) {
            uint32_t at = lv2p_event_frame(&a->base, in, ev, done, frames);
            advance(a, done, at);
            done = at;
            read_event(a, ev);
            lv2p_notify(&a->base, done);
        }
    }
    advance(a, done, frames);
    lv2p_notify(&a->base, done);
}

/* ---- Life cycle ----------------------------------------------------------------------------- */

static void cleanup(LV2_Handle instance)
{
    adapter *a = instance;
    lv2p_cleanup(&a->base);
    gen_free(a->g);
    free(a);
}

static LV2_Handle instantiate(const LV2_Descriptor *descriptor, double rate, const char *bundle_path,
                              const LV2_Feature *const *features)
{
    (void)descriptor;
    adapter *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    if (!lv2p_init(&a->base, plugin_name(), features, params, ADAPTER_KIND == GEN_IMPROV ? 2 : 1)) {
        free(a);
        return NULL;
    }
    a->port_of_index = port_table(ADAPTER_KIND, &a->port_count);

    char why[NN_MESSAGE_SIZE];
    if (gen_new(ADAPTER_KIND, rate, &a->g, why) != NN_OK) {
        lv2p_say(&a->base, a->base.uris.log_error, "%s: %s\n", plugin_name(), why);
        cleanup(a);
        return NULL;
    }
    a->defaults = gen_controls_default(ADAPTER_KIND);
    /* The starter model shipped in the bundle; without it the plugin is silent until a model is set. */
    lv2p_load_default(&a->base, 0, bundle_path, ADAPTER_DEFAULT_MODEL);
    return a;
}

static void connect_port(LV2_Handle instance, uint32_t index, void *data)
{
    adapter *a = instance;
    if (index < a->port_count)
        a->ports[a->port_of_index[index]] = data;
}

static void activate(LV2_Handle instance)
{
    (void)instance;
}

/* Notes still sounding get their note-offs at the start of the next run (there is no output
 * buffer now): the core releases them and keeps the messages it could not send. */
static void deactivate(LV2_Handle instance)
{
    adapter *a = instance;
    gen_panic(a->g, emit_nowhere, NULL);
}

static const LV2_Descriptor descriptor = {
    ADAPTER_URI, instantiate, connect_port, activate, run, deactivate, cleanup, lv2p_extension_data,
};

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index)
{
    return index == 0 ? &descriptor : NULL;
}
