/* jam_private.h — the engine's insides, shared by jam.c, setup.c and record.c only. */
#ifndef JAM_PRIVATE_H
#define JAM_PRIVATE_H

#include "jam.h"
#include "music.h"
#include "ring.h"

#include <stdatomic.h>

#define JAM_CPU_BINS 20000         /* per-callback time histogram: 0 .. 200 % of the period */
#define JAM_CPU_BIN_PERCENT 0.01

#define JAM_STATUS_FRESH 4u

enum { JAM_RECORD_MIDI = 0, JAM_RECORD_TEMPO = 1, JAM_RECORD_METER = 2 };

/* One event from the audio thread to the recording. Track 2 s: slot s's output; 2 s + 1: its input. */
typedef struct jam_record_event {
    uint64_t frame;
    double value;      /* tempo: bpm */
    uint8_t track, type, size;
    uint8_t bytes[3];
} jam_record_event;

typedef struct jam_slot {
    jam_kind kind;
    gen *gen;
    gen_model *gen_model;
    gen_progression *progression;
    genie *genie;
    genie_model *genie_model;
    double values[JAM_CONTROLS];
    int button_notes[GENIE_BUTTONS];
    int drum_notes[9];
    bool dirty, regenerate_pending, regenerate_was, muted;
    int mute_pending;            /* +1 mute, -1 unmute at the next callback */
    uint32_t sent[16 * 4];       /* notes sounding on the output, per channel */
    int last_note;
    uint64_t notes;
    uint64_t cpu_ns_window;
    double cpu_peak_window;
    uint32_t *cpu_hist;
} jam_slot;

/* The recording's side (main thread): notes open per track, channel and pitch. */
typedef struct jam_open_note {
    int64_t start;               /* frame, -1 when not sounding */
    uint8_t velocity;
} jam_open_note;

struct jam {
    jam_setup setup;             /* cc_maps grow by MIDI learn (audio thread only) */
    double rate;
    uint32_t max_frames;
    jam_slot slots[JAM_MAX_SLOTS];
    int slot_count;
    dsp_ring *commands, *notices, *record;
    /* The status: a triple buffer (the newest snapshot, never a stale queue). The audio thread
     * owns status[status_back], the reader status[status_front]; status_middle swaps them and
     * carries JAM_STATUS_FRESH when the reader has not taken it yet. */
    jam_status status[3];
    int status_back, status_front;
    atomic_uint status_middle;

    /* The clock. */
    bool own_rolling, jack_clock;
    double own_bpm, own_beats, beats_per_bar;
    double last_bpm, last_bar, last_bar_beat;
    uint64_t frame, callbacks;

    /* Tap tempo and MIDI learn. */
    uint64_t tap_last;
    bool tapped;
    int tap_intervals;
    double tap_interval[4];
    int learn_slot, learn_control;

    bool stopping, stopped_published;
    uint64_t stop_frame;         /* setup.duration in frames; 0 never */
    atomic_uint_fast64_t xruns, dropped_input;
    uint64_t dropped_record;
    uint64_t status_next, status_every, window_ns, cpu_ns_window;
    uint32_t *cpu_hist;

    /* Recording (main thread). */
    music_seq recording;
    jam_open_note open[2 * JAM_MAX_SLOTS][16][128];
    bool open_ready;
    int track_notes[2 * JAM_MAX_SLOTS];
    uint64_t last_recorded_frame;
};

/* setup.c: the generators' core kind of a slot kind (not JAM_GENIE); and the controls' values
 * stored into the core's settings (`settings`: a gen_controls, or a genie_controls for
 * JAM_GENIE), each control that the kind has into its field. */
gen_kind jam_gen_kind(jam_kind kind);
void jam_controls_store(jam_kind kind, const double *values, void *settings);

/* record.c: forget the recording (jam_free). */
void jam_record_reset(jam *j);

#endif
