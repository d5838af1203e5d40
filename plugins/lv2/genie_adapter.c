/* genie_adapter.c — the LV2 plugin around Piano Genie's core: buttons (MIDI notes) in on the
 * control port, an 88-key piano's notes out, the model file as a patch parameter loaded in the
 * worker, LV2 state. The musical decisions are the core's (plugins/piano_genie/genie.h); the LV2
 * machinery the plugins share is lv2_plugin.c's.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Compiled with -DGENIE_URI="..." and -DGENIE_DEFAULT_MODEL="file.nnm" (a file in the bundle; a
 * bundle without it starts silent and says so in the log).
 *
 * Each press is decoded inside the run that receives it, at its frame: the adapter runs the
 * core's clock up to the event's frame, then hands it the message, so the key's note-on goes out
 * at the press's frame in the same callback. No transport is read.
 */
#include "genie.h"
#include "lv2_plugin.h"

#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#if !defined(GENIE_URI) || !defined(GENIE_DEFAULT_MODEL)
#error "compile with -DGENIE_URI=\"...\" and -DGENIE_DEFAULT_MODEL=\"...\""
#endif

/* lv2:index, as ttl/piano_genie.ttl declares them. */
typedef enum genie_port {
    GENIE_PORT_CONTROL,
    GENIE_PORT_MIDI_OUT,
    GENIE_PORT_NOTIFY,
    GENIE_PORT_TEMPERATURE,
    GENIE_PORT_BUTTON_NOTE, /* eight in a row: button1_note .. button8_note */
    GENIE_PORT_CHANNEL = GENIE_PORT_BUTTON_NOTE + GENIE_BUTTONS,
    GENIE_PORT_SEED,
    GENIE_PORT_VELOCITY_MODE,
    GENIE_PORT_VELOCITY,
    GENIE_PORT_COUNT
} genie_port;

typedef struct genie_adapter {
    lv2p base; /* first: the LV2_Handle is also the shared machinery's */
    const void *ports[GENIE_PORT_COUNT];
    genie *g;
    uint32_t midi_base; /* the frame of the block where the current core call starts */
} genie_adapter;

#define PLUGIN_NAME "Piano Genie"

/* ---- The parameter: the model file ------------------------------------------------------------- */

static nn_status load_model(lv2p *p, const char *text, void **out, char *why)
{
    (void)p;
    genie_model *model = NULL;
    nn_status status = genie_model_load(text, &model, why);
    *out = model;
    return status;
}

static void free_model(void *object)
{
    genie_model_free(object);
}

static const char *model_text(const void *object)
{
    return genie_model_path(object);
}

static void *swap_model(lv2p *p, void *object)
{
    genie_adapter *a = (genie_adapter *)p;
    return a->g ? genie_swap_model(a->g, object) : NULL;
}

static const lv2p_param params[] = {
    {MG__model, true, "model", "the current model keeps playing", load_model, free_model, model_text, swap_model},
};

/* ---- Audio thread ------------------------------------------------------------------------------- */

static bool emit_midi(void *user, uint32_t frame, const uint8_t *bytes, uint32_t size)
{
    genie_adapter *a = user;
    return lv2p_midi(&a->base, a->midi_base + frame, bytes, size);
}

static bool emit_nowhere(void *user, uint32_t frame, const uint8_t *bytes, uint32_t size)
{
    (void)user, (void)frame, (void)bytes, (void)size;
    return false;
}

static float port_float(const genie_adapter *a, int id, float fallback)
{
    const float *p = a->ports[id];
    return p && !isnan(*p) ? *p : fallback;
}

static int port_int(const genie_adapter *a, int id, int fallback)
{
    float v = port_float(a, id, (float)fallback);
    v = v < -1e8f ? -1e8f : v > 1e8f ? 1e8f : v; /* inside int's range before converting */
    return (int)lrintf(v);
}

/* The ports as the core's settings (the core clamps them). */
static void read_controls(const genie_adapter *a, genie_controls *c)
{
    *c = genie_controls_default();
    c->temperature = port_float(a, GENIE_PORT_TEMPERATURE, c->temperature);
    for (int b = 0; b < GENIE_BUTTONS; b++)
        c->button_notes[b] = port_int(a, GENIE_PORT_BUTTON_NOTE + b, c->button_notes[b]);
    c->channel = port_int(a, GENIE_PORT_CHANNEL, c->channel);
    int seed = port_int(a, GENIE_PORT_SEED, (int)c->seed);
    c->seed = seed < 0 ? 0u : (uint32_t)seed;
    c->velocity_mode = port_int(a, GENIE_PORT_VELOCITY_MODE, c->velocity_mode);
    c->velocity = port_int(a, GENIE_PORT_VELOCITY, c->velocity);
}

static void advance(genie_adapter *a, uint32_t from, uint32_t to)
{
    a->midi_base = from;
    genie_run(a->g, to - from, emit_midi, a);
}

static void run(LV2_Handle instance, uint32_t frames)
{
    genie_adapter *a = instance;
    a->midi_base = 0;
    lv2p_run_begin(&a->base, frames, (void *)a->ports[GENIE_PORT_MIDI_OUT], (void *)a->ports[GENIE_PORT_NOTIFY]);
    genie_controls controls;
    read_controls(a, &controls);
    genie_set_controls(a->g, &controls);

    uint32_t done = 0;
    const LV2_Atom_Sequence *in = a->ports[GENIE_PORT_CONTROL];
    if (in && in->atom.size >= sizeof(LV2_Atom_Sequence_Body)) {
        LV2_ATOM_SEQUENCE_FOREACH (in, ev) {
            uint32_t at = lv2p_event_frame(&a->base, in, ev, done, frames);
            if (at == frames && frames > 0)
                at = frames - 1; /* an event stamped past the block plays on its last frame */
            if (at > done)
                advance(a, done, at);
            done = at;
            const LV2_Atom *body = &ev->body;
            if (body->type == a->base.uris.midi_event) {
                a->midi_base = done;
                genie_midi_in(a->g, (const uint8_t *)LV2_ATOM_BODY_CONST(body), body->size, emit_midi, a);
            } else if (lv2_atom_forge_is_object_type(&a->base.midi_forge, body->type)) {
                lv2p_read_patch(&a->base, (const LV2_Atom_Object *)body);
            }
            lv2p_notify(&a->base, done);
        }
    }
    advance(a, done, frames);
    lv2p_notify(&a->base, done);
}

/* ---- Life cycle ----------------------------------------------------------------------------- */

static void cleanup(LV2_Handle instance)
{
    genie_adapter *a = instance;
    lv2p_cleanup(&a->base);
    genie_free(a->g);
    free(a);
}

static LV2_Handle instantiate(const LV2_Descriptor *descriptor, double rate, const char *bundle_path,
                              const LV2_Feature *const *features)
{
    (void)descriptor;
    genie_adapter *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    if (!lv2p_init(&a->base, PLUGIN_NAME, features, params, 1)) {
        free(a);
        return NULL;
    }
    char why[NN_MESSAGE_SIZE];
    if (genie_new(rate, &a->g, why) != NN_OK) {
        lv2p_say(&a->base, a->base.uris.log_error, "%s: %s\n", PLUGIN_NAME, why);
        cleanup(a);
        return NULL;
    }
    /* The bundle's model; without it the plugin is silent until a model is set. */
    lv2p_load_default(&a->base, 0, bundle_path, GENIE_DEFAULT_MODEL);
    return a;
}

static void connect_port(LV2_Handle instance, uint32_t index, void *data)
{
    genie_adapter *a = instance;
    if (index < GENIE_PORT_COUNT)
        a->ports[index] = data;
}

static void activate(LV2_Handle instance)
{
    (void)instance;
}

/* Keys still sounding get their note-offs at the start of the next run (there is no output
 * buffer now); the next press starts a new sequence. */
static void deactivate(LV2_Handle instance)
{
    genie_adapter *a = instance;
    genie_panic(a->g, emit_nowhere, NULL);
}

static const LV2_Descriptor descriptor = {
    GENIE_URI, instantiate, connect_port, activate, run, deactivate, cleanup, lv2p_extension_data,
};

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index)
{
    return index == 0 ? &descriptor : NULL;
}
