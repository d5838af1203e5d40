/* gen_private.h — inside the generators' core: the generator's state, and the interface behind
 * which each model family (melody.c, drums.c, improv.c, performance.c) keeps what is its own: which
 * configurations it runs, its encoder, how it reads the player's notes into its events, how a
 * class becomes an event and how an event becomes notes.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#ifndef GEN_PRIVATE_H
#define GEN_PRIVATE_H

#include "generator.h"
#include "music.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Sizes --------------------------------------------------------------------------------- */

enum {
    GEN_HISTORY = 4096,         /* events the model's track keeps */
    GEN_SLIDE = 2048,           /* dropped when it is full: a multiple of 128, so the binary step
                                   counters (at most 7 bits) and the lookbacks stay exact */
    GEN_MAX_STEPS_PER_RUN = 4,  /* model steps one gen_run may compute */
    GEN_LAYERS_PER_SECOND = 1500, /* Performance RNN: LSTM layers granted per second of audio
                                   (one per 0.67 ms: 3 x 512 f16 takes ~0.13 ms a layer) */
    GEN_MAX_LAYERS_PER_RUN = 256, /* and at most this many in one gen_run, however long */
    GEN_STEPS_PER_GRID_STEP = 4, /* model steps the pacing credit grants per grid step: 4x real time */
    GEN_MAX_BAR_STEPS = 256,    /* the longest bar a loop stores, in steps */
    GEN_MAX_SOUNDING = 32,      /* notes the core can have sounding at once (a pianist's chords
                                   under the sustain pedal, for Performance RNN) */
    GEN_PENDING = 128,          /* MIDI messages kept when the host's output is full */
};

/** One step's event of any family: a melody event (MUSIC_MELODY_NO_EVENT, _NOTE_OFF or a pitch
 *  in the model's range) or a drum event (the drum map's representative pitches). */
typedef union gen_event {
    int note;
    music_drum_event drums;
} gen_event;

/* ---- The model ------------------------------------------------------------------------------ */

struct gen_model {
    gen_kind kind;
    char path[4096];
    char config[NN_HPARAM_STRING_MAX + 1];
    nn_model *nn;
    nn_rnn *rnn;
    nn_sampler *sampler;
    float *input; /* input_size floats */
    int input_size, classes;
    /* the encoder of the configuration */
    music_melody_encoder melody;  /* melody, improv */
    music_drum_map drum_map;      /* drums */
    music_lookback_config lookback; /* drums */
    music_chord_encoding chord_encoding; /* improv */
    int chord_size;               /* improv: floats of the chord half of the input */
    int perf_bins;                /* performance: velocity bins (0: no dynamics) */
    unsigned perf_controls;       /* performance: MUSIC_PERF_CONTROL_* of the config */
};

/* ---- The model's track: one event per grid step ---------------------------------------------- */

typedef struct gen_track {
    int64_t base;   /* absolute step of index 0 (a bar line when the track began there) */
    int len;        /* events known: index i is absolute step base + i */
    int fed;        /* events fed to the model; its logits predict index fed */
    bool primed;    /* the logits are valid (fed > 0 since the last reset) */
    int *notes;                 /* melody, improv: GEN_HISTORY events */
    music_drum_event *drums;    /* drums */
} gen_track;

/* ---- The player's notes during the current step ---------------------------------------------- */

typedef struct gen_input {
    bool held[128];      /* melody (or drum) notes held on the input */
    int held_count;
    int started;         /* melody: the highest note started in this step, -1 none */
    bool active;         /* a note started or sounded in this step */
    music_drum_event hits; /* drums: what was struck in this step (representative pitches) */
    /* improv: the chord part */
    bool chord_held[128];
    int chord_count;
} gen_input;

/* ---- The generator --------------------------------------------------------------------------- */

typedef struct gen_sounding {
    uint8_t channel, pitch;
} gen_sounding;

typedef struct gen_message {
    uint8_t bytes[3];
} gen_message;

struct gen_progression {
    char text[GEN_PROGRESSION_TEXT_MAX];
    int count;
    uint32_t words[GEN_MAX_PROGRESSION];
    char names[GEN_MAX_PROGRESSION][MUSIC_CHORD_NAME_MAX + 1];
};

typedef enum gen_state { GEN_IDLE = 0, GEN_LISTENING = 1, GEN_PLAYING = 2 } gen_state;

typedef struct gen_kind_ops gen_kind_ops;
typedef struct gen_perf gen_perf; /* Performance RNN's own state (performance.c) */

struct gen {
    gen_kind kind;
    const gen_kind_ops *ops;
    double sample_rate;
    gen_controls controls;
    bool regenerate_was;
    gen_model *model;
    gen_progression *progression;

    /* clock: q (quarter notes) at frame f is anchor_q + (f - anchor_frame) * qpf while rolling */
    bool rolling, host_clock;
    int64_t frame;        /* frames since gen_new: the start of the next gen_run */
    int64_t anchor_frame;
    double anchor_q, qpm, speed, qpf;
    double beats_per_bar;
    int beat_unit;
    int spq;              /* the grid in force */
    int64_t next_step;    /* the next grid step whose boundary is to be played */
    int64_t last_step;    /* the last step played (INT64_MIN: none since the clock moved) */

    /* pacing */
    const float *logits;  /* of the last model step: they predict track index fed */
    double credit;        /* model steps allowed ahead of need */
    int run_steps;        /* model steps in this gen_run */

    /* what is being played */
    gen_track track;
    gen_state state;
    bool generating;      /* a generation covers [gen_start, gen_end) */
    int64_t gen_start, gen_end;
    int64_t want_start;   /* a generation (free mode) starts at this step; -1 none */
    bool loop_pass;       /* the generation fills the loop pattern */
    uint32_t regen_count; /* regenerations: seed + this is the seed stream */
    bool loop_valid;
    int loop_bars, loop_spq;            /* the pattern's shape */
    double loop_bar_q;
    gen_event *loop;      /* 32 bars x GEN_MAX_BAR_STEPS */
    /* answer / continue */
    bool phrase;          /* the player played since the last reply was scheduled */
    int64_t last_active;  /* the last step the player sounded in */
    int64_t last_model;   /* the last step of the last reply */
    int64_t reply_at;     /* the scheduled reply's first step, -1 none */

    gen_input input;
    music_drum_map drum_input_map; /* drums: Magenta's full map, every GM drum note to its class */
    uint32_t chord_word;  /* improv: the chord recognised from held notes */
    char chord_name[24];

    /* output */
    gen_sounding sounding[GEN_MAX_SOUNDING];
    int sounding_count;
    gen_message pending[GEN_PENDING];
    int pending_count;
    gen_emit_fn emit;     /* during gen_run / gen_panic */
    void *user;
    int playing_note;

    uint64_t model_steps, late_steps, model_layers;
    gen_perf *perf;       /* Performance RNN: its timeline, model stepping and schedule */
};

/* ---- What a model family provides -------------------------------------------------------------- */

struct gen_kind_ops {
    gen_kind kind;
    /** The encoder of `config` into `model` (its sizes, maps); false if config is not of this family. */
    bool (*configure)(gen_model *model, const char *config);
    /** Magenta's default primer event (note 60, or a kick) at index i. */
    void (*primer)(const gen_model *model, gen_track *track, int i);
    /** The model's input for track position p (for improv with the chord of step base + p + 1). */
    nn_status (*encode)(const gen *g, int position, float *input);
    /** Decode class `label` into the event appended at track->len. */
    bool (*decode)(const gen_model *model, gen_track *track, int label);
    /** The player's event for the step that just ended, at index i. */
    void (*record)(gen *g, int i);
    /** A note from the input (on or off). */
    void (*note)(gen *g, int pitch, int velocity, bool on);
    /** Render the event at `frame`: note-offs and note-ons through gen_note_on / gen_release. */
    void (*play)(gen *g, const gen_event *event, uint32_t frame);

    /* A family on a timeline of its own (Performance RNN) sets these; the grid families leave
     * them NULL. */
    /** Replaces the grid loop of gen_run: play and compute `frames` from g->frame. */
    void (*run)(gen *g, uint32_t frames);
    /** Everything stops (relocation, stop, new mode, new model): notes off, state cleared. */
    void (*stop)(gen *g);
    /** After gen_set_position: the transport started, or jumped. */
    void (*transport)(gen *g, bool started, bool jumped);
    /** After gen_set_controls (clamped): regenerate's rising edge. */
    void (*controls)(gen *g, const gen_controls *old, bool regenerate);
    /** Fill what gen_get_status reports of the family's timeline. */
    void (*status)(const gen *g, gen_status_info *info);
};

extern const gen_kind_ops gen_melody_ops, gen_drums_ops, gen_improv_ops, gen_performance_ops;

/* performance.c: its state, made with the generator (not real-time safe). */
gen_perf *gen_perf_new(void);
void gen_perf_free(gen_perf *perf);
/** The model's input for `event` under the current controls (conditioned configs: density,
 *  pitch histogram, the disable flag) into model->input; false for an event it cannot encode.
 *  Exposed for the tests. */
bool gen_perf_encode(const gen *g, music_perf_event event);

/* melody.c's parts that Improv RNN's melody half shares. */
bool gen_melody_decode(const gen_model *model, gen_track *track, int label);
void gen_melody_record(gen *g, int i);
void gen_melody_note(gen *g, int pitch, int velocity, bool on);
void gen_melody_play(gen *g, const gen_event *event, uint32_t frame);

/* ---- Shared by the families -------------------------------------------------------------------- */

/** Write the message into why (NN_MESSAGE_SIZE; may be NULL) and return status. */
nn_status gen_fail(char *why, nn_status status, const char *format, ...) __attribute__((format(printf, 3, 4)));
/** Copy a name, cut to size (real-time safe, unlike snprintf). */
void gen_copy_name(char *to, size_t size, const char *from);
/** Set a track slot to silence (NO_EVENT / no drums). */
void gen_track_silence(const gen *g, int i);
/** Read index i of the track into an event. */
void gen_track_get(const gen *g, int i, gen_event *event);
/** The first sounding entry of `pitch` on any channel, -1 none. */
int gen_sounding_find(const gen *g, int pitch);
/** Note-on at `frame` (on the controls' channel and velocity), remembered as sounding. */
void gen_note_on(gen *g, uint32_t frame, int pitch);
/** The same at `velocity` (1 .. 127). */
void gen_note_on_velocity(gen *g, uint32_t frame, int pitch, int velocity);
/** Note-off of sounding entry `index` at `frame`. */
void gen_note_off(gen *g, uint32_t frame, int index);
/** Every sounding note off. */
void gen_release_all(gen *g, uint32_t frame);
/** Fold `pitch` by octaves into [low, high) (high - low >= 12). */
int gen_fold(int pitch, int low, int high);
/** The transport's position in quarter notes at frame `frame` (the clock extrapolated), and the
 *  quarters of a bar and of a beat. */
double gen_q_at(const gen *g, int64_t frame);
double gen_bar_quarters(const gen *g);
double gen_beat_quarters(const gen *g);
/** Seed the model's sampler for a generation starting at absolute step `start`. */
void gen_seed_generation(gen *g, int64_t start);
/** The absolute bar of step k and the first step of bar b, on the current grid. */
int64_t gen_bar_of_step(const gen *g, int64_t k);
int64_t gen_bar_first_step(const gen *g, int64_t bar);
/** Improv: the chord word of absolute step k (progression or held notes). */
uint32_t gen_chord_at(const gen *g, int64_t k);
/** Improv RNN on the chords held now: a step's chord is known only at its boundary, so its
 *  event is drawn there, not ahead. */
bool gen_chords_live(const gen *g);

#endif
