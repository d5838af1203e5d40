/* genie.h — the host-agnostic core of Piano Genie: eight buttons in, notes of an 88-key piano out.
 * The LV2 adapter (plugins/lv2/genie_adapter.c) and the tools drive this one core; every musical
 * decision is made here.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Tutorial
 * --------
 * Off the audio thread (instantiate, the LV2 worker):
 *
 *     char why[NN_MESSAGE_SIZE];
 *     genie *g = NULL;
 *     genie_new(48000.0, &g, why);                        // everything the callbacks touch
 *     genie_model *m = NULL;
 *     if (genie_model_load("piano_genie.nnm", &m, why) != NN_OK)
 *         report(why);                                     // names the file and the problem
 *
 * In the audio callback (nothing below allocates, locks, waits or calls the system):
 *
 *     genie_model *old = genie_swap_model(g, m);          // old goes back to the worker to free
 *     genie_set_controls(g, &controls);                   // once per callback, before events
 *     for each input event, in time order:
 *         genie_run(g, event_frame - done, emit, user);    // advance the clock
 *         genie_midi_in(g, bytes, size, emit, user);       // a press plays its key right now
 *     genie_run(g, frames - done, emit, user);
 *
 * Buttons: eight MIDI notes (genie_controls.button_notes, any channel) are the buttons 0 .. 7,
 * low to high as Piano Genie numbers them. A press is decoded at once, in the call that hears it:
 * the decoder's input is (button, the last key played, the time since the previous press as
 * Piano Genie's delta bin), one model step, one draw at the temperature; the key k (0 .. 87)
 * sounds as MIDI note k + 21 at the press's frame. The button's release ends the key it started;
 * a second press of a held button first ends its previous key; a key another button still holds
 * is ended and struck again (every note-on has exactly one note-off). No transport is needed.
 *
 * A sequence starts (the model's state at zero, the start token as last key, the first press's
 * delta as Piano Genie's "free decision", the draws seeded with genie_controls.seed) at a model
 * swap and at genie_panic; a change of seed restarts the draws. The same model, seed and presses
 * at the same frames give the same keys, whatever the block sizes.
 */
#ifndef GENIE_H
#define GENIE_H

#include "nn.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GENIE_BUTTONS 8
#define GENIE_KEYS 88
#define GENIE_LOWEST_NOTE 21 /* key 0 is A0 */

/** Every setting a host exposes. genie_set_controls clamps each to its range (NaN gives the
 *  default), so any value a host sends is safe. */
typedef struct genie_controls {
    float temperature;                /**< 0 .. 2 (0: always the most likely key), default 0.25 as Magenta.js */
    int button_notes[GENIE_BUTTONS]; /**< the input note of each button, 0 .. 127; default 60 .. 67 */
    int channel;                      /**< output MIDI channel 1 .. 16, default 1 */
    uint32_t seed;                    /**< 0 .. 2^24 - 1, default 1 */
    int velocity_mode;                /**< 0: the press's velocity, 1: `velocity`; default 0 */
    int velocity;                     /**< 1 .. 127, default 100 */
} genie_controls;

genie_controls genie_controls_default(void);

/** A loaded, validated Piano Genie decoder with its runner and sampler: an event_rnn whose
 *  "encoding" is "piano_genie", input MUSIC_GENIE_DECODER_INPUT_SIZE (123) and 88 classes. Made
 *  and freed off the audio thread; owned by one genie at a time. */
typedef struct genie_model genie_model;

/** Load and check `path`. On failure *out is NULL and `why` (NN_MESSAGE_SIZE) names the file and
 *  the problem. Not real-time safe. */
nn_status genie_model_load(const char *path, genie_model **out, char *why);
void genie_model_free(genie_model *model);
const char *genie_model_path(const genie_model *model);

typedef struct genie genie;

/** A Piano Genie at `sample_rate` (8,000 .. 768,000); silent until a model is swapped in. Not
 *  real-time safe. */
nn_status genie_new(double sample_rate, genie **out, char *why);
void genie_free(genie *g); /**< does not free the current model: take it with genie_swap_model(g, NULL) */

/** Make `model` current (NULL: none) and return the previous one for the caller to free off the
 *  audio thread. Sounding keys are ended (their note-offs go out at the next call with an emit)
 *  and a new sequence starts. Real-time safe. */
genie_model *genie_swap_model(genie *g, genie_model *model);

/** Apply settings (clamped). Real-time safe. */
void genie_set_controls(genie *g, const genie_controls *controls);
void genie_get_controls(const genie *g, genie_controls *controls);

/** Called for each MIDI message the core plays; `frame` counts from the start of the current
 *  genie_run call (genie_midi_in: 0, the current frame). Returns false when the output is full:
 *  a note-off is then kept and sent first at the next call; a note-on is dropped (its key does
 *  not sound, so nothing will end it). */
typedef bool (*genie_emit_fn)(void *user, uint32_t frame, const uint8_t *message, uint32_t size);

/** A MIDI message from the input at the current frame: a button's note-on decodes and plays its
 *  key, its note-off ends that key; all notes off (CC 123) and all sound off (CC 120) end every
 *  key; the rest is ignored. Real-time safe: at most one model step. */
void genie_midi_in(genie *g, const uint8_t *message, uint32_t size, genie_emit_fn emit, void *user);

/** Advance the clock by `frames` (0 allowed), sending the note-offs kept from before. Real-time safe. */
void genie_run(genie *g, uint32_t frames, genie_emit_fn emit, void *user);

/** End every sounding key now and start a new sequence (deactivate, panic). Real-time safe. */
void genie_panic(genie *g, genie_emit_fn emit, void *user);

/** What the core did, for displays and tests. */
typedef struct genie_status_info {
    uint64_t presses;      /**< presses decoded since genie_new */
    uint64_t model_steps;  /**< model steps computed */
    int last_key;          /**< the last key played, -1 none since the sequence started */
    int last_delta_bin;    /**< the delta bin of the last press */
    int sounding;          /**< keys sounding now */
} genie_status_info;
void genie_get_status(const genie *g, genie_status_info *info);

#ifdef __cplusplus
}
#endif

#endif
