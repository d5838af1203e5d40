/* jam.h — nn-jam's engine: several of the suite's plugin cores (generator.h, genie.h) playing
 * together live, on one clock, with MIDI-learnt controls, a recording and a status for display.
 * The backends (JACK in backend_jack.c, PortAudio + PortMidi in backend_portaudio.c) only move
 * MIDI and audio between the outside world and jam_process; the terminal view (ui.c) and main.c
 * talk to the engine through lock-free rings and atomics only.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Tutorial
 * --------
 *     jam_setup setup;                               // what to run: command line, config file
 *     jam_setup_init(&setup);
 *     jam_setup_add_slot(&setup, "drums", why);       // a model, by kind (and key=value, ...)
 *     jam_setup_set(&setup, 0, "loop_bars", "2", why);
 *     jam *j = NULL;
 *     jam_new(&setup, 48000.0, 4096, &j, why);       // loads every model: all allocation here
 *
 * Audio thread, once per period (nothing in it allocates, locks, waits or calls the system):
 *     jam_io io = { .frames = n, .in = ..., .write = write_midi, ... };
 *     jam_process(j, &io);
 *
 * Any one other thread (main.c's loop):
 *     jam_command c = { .type = JAM_CMD_REGENERATE, .slot = 0 };
 *     jam_send(j, &c);                               // a key pressed
 *     if (jam_poll_status(j, &status)) ...           // the newest of ~30 per second of audio
 *     while (jam_poll_notice(j, &notice)) ...        // "learnt CC 21 for temperature", ...
 *     jam_record_drain(j);                           // moves recorded MIDI into the recording
 *     jam_record_write(j, "session.mid", why);       // at exit: atomic (temporary + rename)
 *
 * Clock: every generator follows one clock. With a JACK timebase master (transport with BBT)
 * that is JACK's transport; otherwise nn-jam's own, rolling from the start at setup.bpm, whose
 * tempo the tap note or the keyboard sets. Piano Genie needs no clock.
 */
#ifndef JAM_H
#define JAM_H

#include "generator.h"
#include "genie.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JAM_MAX_SLOTS 8
#define JAM_NAME_MAX 32
#define JAM_PATH_MAX 1024
#define JAM_MAX_CC_MAPS 64
#define JAM_MAX_EVENTS 1024 /**< MIDI events per slot and callback a backend passes on */

/** Which core a slot runs. */
typedef enum jam_kind {
    JAM_MELODY = 0,
    JAM_DRUMS = 1,
    JAM_IMPROV = 2,
    JAM_PERFORMANCE = 3,
    JAM_GENIE = 4,
    JAM_KINDS
} jam_kind;

/** "melody", "drums", "improv", "performance", "genie". */
const char *jam_kind_name(jam_kind kind);
/** The kind from its name or the plugin's ("melody_rnn", "piano_genie", ...); -1 if unknown. */
int jam_kind_from_name(const char *name);

/** The controls a slot has: the plugins' controls plus mute and regenerate. A CC, a key or the
 *  setup sets them; each kind has the ones its core reads (jam_control_applies). */
typedef enum jam_control {
    JAM_CTL_TEMPERATURE = 0,
    JAM_CTL_MODE,              /**< generators: 0 continue, 1 answer, 2 free */
    JAM_CTL_LENGTH_BARS,
    JAM_CTL_LOOP_BARS,
    JAM_CTL_STEPS_PER_QUARTER,
    JAM_CTL_PITCH_LOW,
    JAM_CTL_PITCH_HIGH,
    JAM_CTL_TRANSPOSE,
    JAM_CTL_VELOCITY,
    JAM_CTL_CHANNEL,
    JAM_CTL_SEED,
    JAM_CTL_CHORD_SOURCE,      /**< improv: 0 held chords, 1 the progression */
    JAM_CTL_SPLIT_NOTE,        /**< improv */
    JAM_CTL_NOTES_PER_SECOND,  /**< performance */
    JAM_CTL_VELOCITY_MODE,     /**< genie: 0 the press's velocity, 1 `velocity` */
    JAM_CTL_MUTE,              /**< 0 / 1: a muted slot runs on silently (its notes are ended) */
    JAM_CTL_REGENERATE,        /**< a rise to 1 starts a new generation at the next bar */
    JAM_CONTROLS
} jam_control;

/** A control's name ("temperature", ...), range and default (kind's default where it differs). */
typedef struct jam_control_info {
    const char *name;
    double min, max;
    bool integer;
    double cc_min, cc_max; /**< what CC values 0 .. 127 span (temperature: 0.1 .. 2) */
} jam_control_info;
const jam_control_info *jam_control_get(jam_control control);
/** The control of that name, -1 if none. */
int jam_control_from_name(const char *name);
bool jam_control_applies(jam_kind kind, jam_control control);
double jam_control_default(jam_kind kind, jam_control control);

/** A MIDI CC mapped to a slot's control. */
typedef struct jam_cc_map {
    int channel; /**< 1 .. 16, 0 any */
    int cc;      /**< 0 .. 119 */
    int slot;
    int control; /**< jam_control */
} jam_cc_map;

typedef struct jam_slot_setup {
    char name[JAM_NAME_MAX]; /**< unique; the JACK ports are <name>_in and <name>_out */
    jam_kind kind;
    char model_path[JAM_PATH_MAX]; /**< "" : the kind's starter model (jam_default_model) */
    double controls[JAM_CONTROLS];
    int button_notes[GENIE_BUTTONS]; /**< genie */
    int drum_notes[9];               /**< drums */
    char progression[GEN_PROGRESSION_TEXT_MAX]; /**< improv; "" none */
    int in_channel;                  /**< 1 .. 16: only that channel's input reaches the model; 0 all */
    char connect_in[256], connect_out[256]; /**< a JACK port / PortMidi device to connect, "" none */
} jam_slot_setup;

typedef enum jam_clock_mode {
    JAM_CLOCK_AUTO = 0, /**< JACK's transport when a timebase master gives BBT, else own */
    JAM_CLOCK_OWN = 1,  /**< own clock always */
    JAM_CLOCK_JACK = 2, /**< JACK's transport only (stopped until a timebase master rolls it) */
} jam_clock_mode;

typedef struct jam_setup {
    jam_slot_setup slots[JAM_MAX_SLOTS];
    int slot_count;
    jam_cc_map cc_maps[JAM_MAX_CC_MAPS];
    int cc_map_count;
    double bpm;            /**< the own clock's tempo at the start, 20 .. 400 */
    int beats_per_bar;     /**< own clock, 1 .. 16 */
    int clock;             /**< jam_clock_mode */
    int tap_note;          /**< a note on the control input that taps the tempo; -1 none */
    bool click;            /**< a metronome on the audio output */
    char record_path[JAM_PATH_MAX]; /**< "" no recording */
    double duration;       /**< > 0: at this many seconds of audio every note ends, to the frame,
                                and the engine goes silent (as JAM_CMD_STOP); 0 never */
} jam_setup;

/** Defaults: no slots, 120 bpm, 4/4, clock auto, no tap note, no click, no recording. */
void jam_setup_init(jam_setup *setup);
/** Add a slot running `kind` with that kind's defaults (name: the kind's, made unique). Returns
 *  the slot's index, or -1 with `why` (NN_MESSAGE_SIZE) naming the problem. */
int jam_setup_add_slot(jam_setup *setup, const char *kind, char *why);
/** Set one of a slot's settings by name, from text: any control name ("temperature", "mode":
 *  a number or continue/answer/free, ...), name, model, in, out, in_channel, progression,
 *  buttons (8 notes "60:62:..." or the first of 8 consecutive), drum_notes (9 notes "36:38:..."),
 *  cc.N or cc.CH.N (maps that CC to the control named by the value). NN_ERR_ARGUMENT with `why`
 *  naming the setting and the problem when the key is unknown for the kind or the value is
 *  absurd (out of range, not a number, NaN). */
nn_status jam_setup_set(jam_setup *setup, int slot, const char *key, const char *value, char *why);
/** A global setting: bpm, beats_per_bar, clock (auto/own/jack), tap_note, click, record, duration. */
nn_status jam_setup_set_global(jam_setup *setup, const char *key, const char *value, char *why);
/** `KIND[,key=value]...` as on the command line (--model). */
nn_status jam_setup_parse_slot(jam_setup *setup, const char *spec, char *why);
/** A config file: global `key = value` lines, then `[name]` sections (kind = ... or the section
 *  named as a kind) with the slot's `key = value` lines; # and ; start comments. The error names
 *  the file and the line. */
nn_status jam_setup_read_file(jam_setup *setup, const char *path, char *why);
/** The starter model of a kind: the first of the search path that exists (NN_JAM_MODELS, the
 *  source tree's presets/, the installed LV2 bundle). Returns false when none is found. */
bool jam_default_model(jam_kind kind, char *path, size_t size);

/* ---- The engine -------------------------------------------------------------------------- */

typedef struct jam jam;

/** Build the engine for `setup` at `sample_rate` with callbacks of at most `max_frames`: loads and
 *  checks every model (a bad one: `why` names the slot, the file and the problem). Not real-time safe. */
nn_status jam_new(const jam_setup *setup, double sample_rate, uint32_t max_frames, jam **out, char *why);
void jam_free(jam *j);
const jam_setup *jam_get_setup(const jam *j);
double jam_sample_rate(const jam *j);

/** A MIDI message (up to 3 bytes) at a frame of the current callback. */
typedef struct jam_midi {
    uint32_t frame;
    uint8_t size;
    uint8_t bytes[3];
} jam_midi;

/** JACK's transport at the first frame of the callback (BBT as jack_position_t gives it). */
typedef struct jam_transport {
    bool rolling;
    bool bbt;             /**< a timebase master gives bar/beat/tempo; else only rolling */
    double bar;           /**< from 0 */
    double bar_beat;      /**< beats into the bar, with the tick's fraction */
    double beats_per_bar;
    int beat_unit;
    double bpm;
} jam_transport;

/** Called for each MIDI message a slot plays, in time order per slot. Returns false when the
 *  output is full (the core keeps a note-off for the next callback). */
typedef bool (*jam_write_fn)(void *user, int slot, uint32_t frame, const uint8_t *bytes, uint32_t size);

typedef struct jam_io {
    uint32_t frames;                    /**< 1 .. max_frames */
    const jam_midi *in[JAM_MAX_SLOTS];  /**< each slot's input, in time order */
    uint32_t in_count[JAM_MAX_SLOTS];
    const jam_midi *control;            /**< the control input (tap note, CCs), in time order */
    uint32_t control_count;
    const jam_transport *transport;     /**< NULL: no transport (PortAudio): own clock */
    float *click;                       /**< mono audio out (the metronome when setup.click), NULL none */
    jam_write_fn write;
    void *write_user;
} jam_io;

/** One callback. Real-time safe; bounded work (every core's own bound). */
void jam_process(jam *j, const jam_io *io);

/** Thread-safe from any thread: the backend saw an xrun / the backend's MIDI input overflowed. */
void jam_count_xrun(jam *j);
void jam_count_dropped_input(jam *j, unsigned n);

/* ---- Commands (one non-real-time thread → the audio thread) ------------------------------ */

typedef enum jam_command_type {
    JAM_CMD_SET = 0,     /**< slot, control, value */
    JAM_CMD_REGENERATE,  /**< slot */
    JAM_CMD_MUTE,        /**< slot, value 0 / 1, or -1 to toggle */
    JAM_CMD_LEARN,       /**< slot, control: the next CC heard on any input maps to it */
    JAM_CMD_LEARN_CANCEL,
    JAM_CMD_TEMPO,       /**< value: bpm of the own clock */
    JAM_CMD_TRANSPORT,   /**< own clock: value 1 roll, 0 stop, -1 toggle */
    JAM_CMD_TAP,         /**< a tap of the tempo, as the tap note at the callback's first frame */
    JAM_CMD_PANIC,       /**< every slot's notes ended */
    JAM_CMD_STOP,        /**< end every note and go silent for good (before quitting) */
} jam_command_type;

typedef struct jam_command {
    int type;
    int slot;
    int control;
    double value;
} jam_command;

/** Queue a command for the next callback; false when the queue is full. */
bool jam_send(jam *j, const jam_command *command);

/* ---- Status and notices (the audio thread → one non-real-time thread) --------------------- */

typedef struct jam_slot_status {
    bool muted;
    int last_note;          /**< the last note started, -1 none */
    uint32_t sounding[4];   /**< bit n: note n sounds now (any channel) */
    uint64_t notes;         /**< notes started since the start */
    int mode_state;         /**< generators: 0 idle, 1 listening, 2 playing */
    char chord[24];         /**< improv: the chord in force */
    double controls[JAM_CONTROLS];
    double cpu_percent;     /**< this slot's time in the callbacks since the last status, as % of their periods */
    double cpu_peak_percent;/**< the slot's longest callback since the last status, % of its period */
    uint64_t late_steps;
} jam_slot_status;

typedef struct jam_status {
    uint64_t frames;        /**< audio frames processed */
    uint64_t callbacks;
    bool rolling;
    bool jack_clock;        /**< following JACK's transport (else the own clock) */
    double bar, bar_beat, bpm, beats_per_bar;
    double cpu_percent;     /**< all of jam_process, as above */
    uint64_t xruns, dropped_input, dropped_record;
    int learn_slot, learn_control; /**< -1: not learning */
    bool stopped;           /**< JAM_CMD_STOP done: every note ended */
    jam_slot_status slots[JAM_MAX_SLOTS];
} jam_status;

/** The newest status (a triple buffer: older ones are skipped, never queued); false when none
 *  arrived since the last call. */
bool jam_poll_status(jam *j, jam_status *status);

typedef enum jam_notice_type {
    JAM_NOTICE_LEARNT = 0, /**< slot, control, channel, cc */
    JAM_NOTICE_TEMPO,      /**< value: the tapped tempo */
    JAM_NOTICE_TAP_IGNORED,/**< a tap while JACK's transport sets the tempo */
    JAM_NOTICE_CC,         /**< slot, control, value: a mapped CC changed a control */
} jam_notice_type;

typedef struct jam_notice {
    int type;
    int slot, control, channel, cc;
    double value;
} jam_notice;

bool jam_poll_notice(jam *j, jam_notice *notice);

/* ---- Recording and report ---------------------------------------------------------------- */

/** Move what the audio thread recorded since the last call into the recording (call it often:
 *  the ring between them holds 65,536 events). Not real-time safe. */
void jam_record_drain(jam *j);
/** Write the recording (after a last drain) as a MIDI file (dsp/music's writer, 960 ticks per
 *  quarter): in slot order, each slot's output and then what the player played into it, as
 *  tracks (those without notes are left out; channels numbered by track as note_seq does, drums
 *  on 10), with the clock's tempo changes; notes still sounding end at the last recorded frame.
 *  Atomic: a temporary file beside `path`, then renamed. */
nn_status jam_record_write(jam *j, const char *path, char *why);
/** Notes recorded so far (output of slot `slot`, or its input with `input`). */
int jam_record_notes(const jam *j, int slot, bool input);

/** Per slot: the distribution of its time per callback as % of the period, since the start
 *  (median, 99th percentile, maximum), and callbacks counted. Call after the audio has stopped. */
typedef struct jam_cpu_report {
    double median, p99, max;
    uint64_t callbacks;
} jam_cpu_report;
void jam_cpu_report_get(const jam *j, int slot, jam_cpu_report *report); /**< slot -1: the whole callback */

#ifdef __cplusplus
}
#endif

#endif
