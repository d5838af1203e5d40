/* generator.h — the host-agnostic core of the event-RNN generators: Melody RNN, Drums RNN,
 * Improv RNN and Performance RNN. The LV2 adapter (plugins/lv2/), nn-jam and the offline tools drive this one core;
 * every musical decision (what to play, when, for how long) is made here.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Tutorial
 * --------
 * Off the audio thread (instantiate, the LV2 worker):
 *
 *     char why[NN_MESSAGE_SIZE];
 *     gen *g = NULL;
 *     gen_new(GEN_MELODY, 48000.0, &g, why);              // everything run() will touch
 *     gen_model *m = NULL;
 *     if (gen_model_load(GEN_MELODY, "basic_rnn.nnm", &m, why) != NN_OK)
 *         report(why);                                     // names the file and the problem
 *
 * In the audio callback (nothing below allocates, locks, waits or calls the system):
 *
 *     gen_model *old = gen_swap_model(g, m);              // old goes back to the worker to free
 *     gen_set_controls(g, &controls);                     // once per callback, before events
 *     for each input event, in time order:
 *         gen_run(g, event_frame - done, emit, user);     // advance the clock, emit MIDI
 *         gen_midi_in(g, bytes, size)  or  gen_set_position(g, &position);
 *     gen_run(g, frames - done, emit, user);
 *
 * Time: the core keeps a musical clock (beats, tempo, rolling) that follows the host's
 * transport (gen_set_position) or, until the host sends a position, runs on its own at the
 * tempo of gen_controls.bpm. The grid step is a quarter / steps_per_quarter; bars follow the
 * time signature. Every note starts and ends on the exact frame of a grid step (the first frame
 * at or after the step's time).
 *
 * Work: model steps are computed ahead of the step they play at, paced by a credit of frames,
 * so no call of gen_run does more than gen_max_steps_per_run() model steps, whatever its length.
 * The core adds no audio latency (it plays on the grid, ahead of time).
 *
 * Performance RNN (GEN_PERFORMANCE) plays on an absolute grid of 10 ms steps instead (100 per
 * second, counted from the transport's position 0 at its tempo when it starts or moves; a tempo
 * change does not move it): each model step is one event (a note-on, a note-off, a velocity or
 * a time shift), events are drawn up to half a second ahead and every note starts and ends on
 * the first frame at or after its step. A model step of a large model (3 x 512) is spread over
 * several calls, layer by layer: one call computes at most gen_max_layers_per_run(rate, frames)
 * LSTM layers (about one per 0.67 ms of audio), so a callback's work stays a fixed share of its
 * period. Notes last at most 5 s (Magenta's max_note_duration).
 *
 * Determinism: the random draws of a generation are seeded from (seed, the absolute step where
 * that generation starts), so the same session, seed and transport give the same notes whatever
 * the block sizes (offline export, freewheeling).
 */
#ifndef GENERATOR_H
#define GENERATOR_H

#include "nn.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Which Magenta model a generator runs; a model file must be of a configuration of it. */
typedef enum gen_kind {
    GEN_MELODY = 0, /**< basic_rnn, mono_rnn, lookback_rnn, attention_rnn */
    GEN_DRUMS = 1,  /**< drum_kit */
    GEN_IMPROV = 2, /**< basic_improv, attention_improv, chord_pitches_improv */
    GEN_PERFORMANCE = 3, /**< performance, performance_with_dynamics, and the conditioned
                              density_conditioned_, pitch_conditioned_, multiconditioned_ and
                              optional_multiconditioned_performance_with_dynamics */
} gen_kind;

/** "melody", "drums", "improv", "performance". */
const char *gen_kind_name(gen_kind kind);

/** What the generator does with the notes it hears on its MIDI input. */
typedef enum gen_mode {
    /** The input primes the model; when the player stops (a beat without a note sounding or
     *  starting) the model continues the phrase from the next beat, for length_bars bars or
     *  until the player plays again. */
    GEN_MODE_CONTINUE = 0,
    /** Call and response: the model listens while the player plays; when the player stops it
     *  replies from the next bar line for length_bars bars, then listens again. */
    GEN_MODE_ANSWER = 1,
    /** The model plays on its own while the transport rolls and ignores note input (Improv RNN
     *  still takes its chords from the input). With loop_bars > 0 it generates loop_bars bars
     *  once and repeats them (aligned to bar numbers) until regenerated (not Performance RNN,
     *  which plays on). */
    GEN_MODE_FREE = 2,
} gen_mode;

/** Improv RNN: where the chord of each step comes from. */
typedef enum gen_chord_source {
    GEN_CHORDS_HELD = 0,        /**< notes held on the input below split_note, recognised as
                                     Magenta names them (pitches_to_chord_symbol); the last
                                     chord stays until other notes are held */
    GEN_CHORDS_PROGRESSION = 1, /**< the progression set by gen_set_progression, one chord per bar */
} gen_chord_source;

/** Every setting a host exposes. gen_set_controls clamps each to its range (NaN gives the
 *  default), so any value a host sends is safe. */
typedef struct gen_controls {
    float temperature;      /**< 0.05 .. 4, default 1 */
    int steps_per_quarter;  /**< 1 .. 8, default 4 (what Magenta's models are trained on) */
    int mode;               /**< gen_mode, default GEN_MODE_FREE */
    int length_bars;        /**< continue / answer: bars per reply, 1 .. 32, default 2 */
    int loop_bars;          /**< free: 0 endless, 1 .. 32 bars repeated; default 0 */
    int pitch_low;          /**< melody, improv: lowest note played, 0 .. 127, default 36 */
    int pitch_high;         /**< melody, improv: highest, >= pitch_low + 11, default 96; notes
                                 outside move by octaves into [pitch_low, pitch_high] */
    int transpose;          /**< melody, improv: semitones added on output, -24 .. 24, default 0 */
    int velocity;           /**< 1 .. 127, default 100 */
    int channel;            /**< output MIDI channel 1 .. 16; default 1, drums 10 */
    uint32_t seed;          /**< 0 .. 2^24 - 1, default 1 */
    bool regenerate;        /**< a change from false to true starts a new generation at the next bar */
    double bpm;             /**< the tempo of the own clock (no host transport), 20 .. 400, default 120 */
    int drum_notes[9];      /**< drums: the output note of each of Magenta's nine drum classes
                                 (kick, snare, closed hi-hat, open hi-hat, low tom, mid tom,
                                 high tom, crash, ride); default the General MIDI notes
                                 36, 38, 42, 46, 45, 48, 50, 49, 51. Input notes are read through
                                 Magenta's full drum map (every GM drum note to its class). */
    int chord_source;       /**< improv: gen_chord_source, default GEN_CHORDS_HELD */
    int split_note;         /**< improv: input notes below it are chords, from it up melody
                                 (continue / answer); 0 .. 127, default 60 */
    double notes_per_second; /**< performance, density-conditioned configs: the note density
                                 asked for, 0 .. 30; 0 (default) = the model's choice: Magenta's
                                 disable-conditioning input where the config has one (when the
                                 pitch classes are the model's choice too), else Magenta's
                                 default density, 15 */
    float pitch_classes[12]; /**< performance, pitch-conditioned configs: the weight of C .. B,
                                 0 .. 1 each (normalised by the model's encoder); all 0 (default)
                                 = the model's choice, as notes_per_second (else uniform) */
} gen_controls;

/** The defaults above, for `kind` (drums: channel 10). */
gen_controls gen_controls_default(gen_kind kind);

/** The host's transport at the current frame, as LV2's time:Position gives it. */
typedef struct gen_position {
    double bar;            /**< time:bar, counted from 0 */
    double bar_beat;       /**< time:barBeat, beats into the bar */
    double beats_per_bar;  /**< time:beatsPerBar */
    int beat_unit;         /**< time:beatUnit (4 for quarter-note beats) */
    double bpm;            /**< time:beatsPerMinute, in beat units */
    double speed;          /**< time:speed: 0 stopped, 1 rolling */
    /** Which fields the host sent; an absent field keeps its current value. */
    bool has_bar, has_bar_beat, has_beats_per_bar, has_beat_unit, has_bpm, has_speed;
} gen_position;

/** A loaded, validated model with everything one generator needs to run it (runner, sampler,
 *  encoder). Made and freed off the audio thread; owned by one generator at a time. */
typedef struct gen_model gen_model;

/** Load `path` for a generator of `kind`: reads and validates the file (nn_model_load), checks
 *  that its configuration ("encoding" hyperparameter) belongs to `kind` and that its sizes
 *  match that configuration. On failure *out is NULL and `why` (NN_MESSAGE_SIZE) names the file
 *  and the problem. Not real-time safe. */
nn_status gen_model_load(gen_kind kind, const char *path, gen_model **out, char *why);
void gen_model_free(gen_model *model);
/** The configuration name ("attention_rnn", "drum_kit", ...) and the file it came from. */
const char *gen_model_config(const gen_model *model);
const char *gen_model_path(const gen_model *model);

typedef struct gen gen;

/** A generator at `sample_rate` (8,000 .. 768,000). No model yet: it is silent until one is
 *  swapped in. Not real-time safe. */
nn_status gen_new(gen_kind kind, double sample_rate, gen **out, char *why);
void gen_free(gen *g); /**< does not free the current model: take it with gen_swap_model(g, NULL) */

/** Make `model` current (NULL: none) and return the previous one for the caller to free off
 *  the audio thread. Sounding notes are released at the current frame; the new model starts a
 *  fresh generation at the next grid step, seeded as any other. Real-time safe. */
gen_model *gen_swap_model(gen *g, gen_model *model);

/** Apply settings (clamped). Call before gen_run in each callback; changes take effect at the
 *  current frame (the grid follows a changed steps_per_quarter from the next step). Real-time safe. */
void gen_set_controls(gen *g, const gen_controls *controls);
/** The settings in force after clamping. */
void gen_get_controls(const gen *g, gen_controls *controls);

/** The host's transport at the current frame. Starting, stopping, a jump of position (a loop or
 *  relocation) and a tempo or meter change are taken from the difference to the clock's own
 *  extrapolation. Stopping or jumping releases every sounding note at the current frame.
 *  Real-time safe. */
void gen_set_position(gen *g, const gen_position *position);

/** A MIDI message from the input at the current frame (note on/off, all notes off; the rest is
 *  ignored). Real-time safe. */
void gen_midi_in(gen *g, const uint8_t *message, uint32_t size);

/** Improv RNN: a chord progression, one chord symbol per bar separated by spaces, repeated
 *  ("C Am F G7", "N.C." for none), at most GEN_MAX_PROGRESSION chords. Checked with Magenta's
 *  chord grammar; on error nothing changes and `why` names the chord. Not real-time safe: it
 *  prepares the progression, which gen_swap_progression hands over. */
#define GEN_MAX_PROGRESSION 64
#define GEN_PROGRESSION_TEXT_MAX 1024
typedef struct gen_progression gen_progression;
nn_status gen_progression_parse(const char *text, gen_progression **out, char *why);
void gen_progression_free(gen_progression *progression);
const char *gen_progression_text(const gen_progression *progression);
/** Real-time safe swap, as gen_swap_model. */
gen_progression *gen_swap_progression(gen *g, gen_progression *progression);

/** Called by gen_run for each MIDI message it plays, in time order; `frame` counts from the
 *  start of that gen_run call. Returns false when the output is full (the core then keeps the
 *  message and sends it first at the next gen_run call; note-offs are never lost). */
typedef bool (*gen_emit_fn)(void *user, uint32_t frame, const uint8_t *message, uint32_t size);

/** Advance the clock by `frames` (0 allowed), computing the model steps due and playing the
 *  notes that fall in that span. Real-time safe; at most gen_max_steps_per_run() model steps. */
void gen_run(gen *g, uint32_t frames, gen_emit_fn emit, void *user);

/** Release every sounding note now (deactivate, all notes off). Real-time safe. */
void gen_panic(gen *g, gen_emit_fn emit, void *user);

/** The bound on model steps in one gen_run call (Melody, Drums, Improv RNN). */
int gen_max_steps_per_run(void);
/** Performance RNN: the bound on LSTM layers computed in one gen_run call of `frames` frames at
 *  `sample_rate`: one layer per 0.67 ms of audio, rounded up, at least 1 and at most 256. At
 *  48 kHz: 2 for 64 frames, 128 for 4096. */
int gen_max_layers_per_run(double sample_rate, uint32_t frames);

/** What the core is doing, for displays (nn-jam) and tests. */
typedef struct gen_status_info {
    bool rolling;
    double bar, bar_beat, bpm;
    int64_t step;          /**< the current absolute grid step (Performance RNN: 10 ms step) */
    int64_t decided_step;  /**< the last step whose event is known (drawn, or heard from the
                                player); past `step` by the lookahead. Improv RNN on held chords
                                decides each step at its boundary: never past `step` */
    int playing_note;      /**< the last note started by the model, -1 none */
    int mode_state;        /**< 0 idle, 1 listening, 2 playing */
    uint64_t model_steps;  /**< model steps computed since gen_new */
    uint64_t late_steps;   /**< steps that were not ready when due (played as rests; Performance
                                RNN: steps whose events were not all drawn in time, played late);
                                0 normally */
    char chord[24];        /**< improv: the chord in force */
    uint64_t model_layers; /**< LSTM layers computed since gen_new (Performance RNN counts its
                                steps layer by layer; the others a step's layers at once) */
} gen_status_info;
void gen_get_status(const gen *g, gen_status_info *info);

#ifdef __cplusplus
}
#endif

#endif
