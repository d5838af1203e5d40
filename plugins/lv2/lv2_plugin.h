/* lv2_plugin.h — the LV2 machinery every plugin of the suite shares (an internal header of
 * plugins/lv2): the parameters loaded in the worker (the model file, Improv RNN's progression),
 * their request slots, the objects handed back to the worker to free, the texts published for
 * save, the restore handoff, state save and restore, patch:Set / patch:Get, notifications, the
 * URIDs, the output forges and the log (from run, through the worker).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * An adapter (adapter.c: the generators; genie_adapter.c: Piano Genie) puts an lv2p as the
 * FIRST member of its instance, so that the LV2_Handle is also an lv2p *, describes its
 * parameters in lv2p_param (how to load a value, free it, swap it into the core, name it) and
 * calls:
 *
 *     instantiate:  lv2p_init(&a->base, "Piano Genie", features, params, count)
 *                   ... make the core ...
 *                   lv2p_load_default(&a->base, 0, bundle_path, "piano_genie.nnm")
 *     run:          lv2p_run_begin(&a->base, frames, midi_port, notify_port)
 *                   for each input event: lv2p_read_patch(&a->base, object) or the adapter's own
 *                   lv2p_midi(&a->base, frame, bytes, size) for each message it plays
 *                   lv2p_notify(&a->base, frame) after each event and at the end
 *     cleanup:      lv2p_cleanup(&a->base) (swaps every object out of the core and frees it),
 *                   then the core
 *     extension_data: lv2p_extension_data(uri) (worker and state interfaces)
 *
 * Threads, by LV2's threading classes:
 *   audio   run, work_response: no allocation, lock, wait or log: what run has to report goes
 *           to the worker as a message and is logged there (lv2p_report).
 *   worker  work: load and validate values, free what was swapped out, write to the log.
 *   other   instantiate, activate, deactivate, cleanup: never concurrent with run. save may run
 *           concurrently with run, so it reads the current values from copies the audio thread
 *           publishes (a sequence lock). restore should not either, but hosts do call it while
 *           run runs (Ardour 7 when a preset is loaded), so it only prepares: it loads the values
 *           and hands them over in one atomic pointer, which run takes (lv2p_run_begin).
 *
 * A parameter change travels run -> work -> work_response: run keeps the newest request of each
 * parameter in a slot and sends it when no load of that parameter is in flight, so rapid
 * switching loads only what is still wanted, and the number of objects waiting to be freed stays
 * bounded (see dispatch in lv2_plugin.c).
 */
#ifndef LV2_PLUGIN_H
#define LV2_PLUGIN_H

#include "nn.h"

#include <lv2/atom/atom.h>
#include <lv2/atom/forge.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define MG_PREFIX "http://magenta-lv2.org/plugins#"
#define MG__model MG_PREFIX "model"             /* atom:Path, every plugin */
#define MG__progression MG_PREFIX "progression" /* atom:String, Improv RNN */

/* The longest parameter value accepted (a path), in bytes without its NUL. */
#define LV2P_TEXT_BYTES 4096
/* Parameters of one plugin. */
#define LV2P_MAX_PARAMS 2
/* Objects waiting to go back to the worker (schedule_work found no room): at most one per answer,
 * and dispatch keeps answers in flight + waiting objects below this. */
#define LV2P_RETIRED_MAX 16

typedef struct lv2p lv2p;

/* A parameter loaded in the worker. The callbacks get the plugin (the adapter's instance). */
typedef struct lv2p_param {
    const char *uri;   /* MG__model, ... */
    bool is_path;      /* atom:Path (state:mapPath on save and restore) or atom:String */
    const char *noun;  /* "model", "progression": for the log */
    const char *keeps; /* what happens on failure: "the current model keeps playing" */
    /* Make the object a value names (not real-time safe: the worker, restore, instantiate). */
    nn_status (*load)(lv2p *p, const char *text, void **out, char *why);
    void (*free)(void *object);
    /* The text the object stands for (its path, its chord symbols). */
    const char *(*text)(const void *object);
    /* Make `object` the core's current one (NULL: none) and return the previous one (real-time safe). */
    void *(*swap)(lv2p *p, void *object);
} lv2p_param;

/* A text the audio thread (and restore) writes and save reads, possibly at the same time: a
 * sequence lock with byte-wise atomic copies, so neither side waits and a torn read is retried. */
typedef struct lv2p_published {
    atomic_uint version; /* odd while being written */
    char text[LV2P_TEXT_BYTES + 1];
} lv2p_published;

/* The header of every message between run, work and work_response; `length` bytes of text (with
 * its NUL) follow it. */
typedef struct lv2p_message {
    uint32_t type;
    uint32_t param;
    uint32_t epoch; /* the parameter's restore count when asked: an older answer is dropped */
    uint32_t length;
    void *object;
} lv2p_message;

/* A request slot: the newest value asked for a parameter, as the message that asks for it. */
typedef struct lv2p_request {
    bool wanted;          /* not sent yet */
    atomic_int in_flight; /* sent, answer not handled yet (the worker drops it if it cannot answer) */
    uint32_t epoch;       /* bumped by restore */
    _Alignas(lv2p_message) uint8_t bytes[sizeof(lv2p_message) + LV2P_TEXT_BYTES + 1];
} lv2p_request;

/* What restore hands to run: everything a restore changes, taken in one atomic exchange. */
typedef struct lv2p_handoff {
    void *objects[LV2P_MAX_PARAMS]; /* NULL: not saved, or it did not load: the current one stays */
    uint32_t serial;                /* the restore's number, for save */
} lv2p_handoff;

typedef struct lv2p_uris {
    LV2_URID atom_path, atom_string, atom_urid, atom_int, atom_long, atom_float, atom_double;
    LV2_URID atom_frame_time, atom_beat_time;
    LV2_URID midi_event;
    LV2_URID patch_set, patch_get, patch_property, patch_value;
    LV2_URID time_position, time_bar, time_bar_beat, time_beats_per_bar, time_beat_unit, time_beats_per_minute,
        time_speed;
    LV2_URID log_error, log_warning;
    LV2_URID params[LV2P_MAX_PARAMS];
} lv2p_uris;

struct lv2p {
    const char *name; /* "Melody RNN": starts every log line */
    LV2_URID_Map *map;
    LV2_Worker_Schedule *schedule;
    LV2_Log_Log *log; /* NULL: say nothing */
    lv2p_uris uris;

    const lv2p_param *params;
    int param_count;
    void *current[LV2P_MAX_PARAMS]; /* each parameter's object in the core (audio thread, restore) */
    lv2p_published published[LV2P_MAX_PARAMS];
    lv2p_request requests[LV2P_MAX_PARAMS];
    bool notify[LV2P_MAX_PARAMS]; /* a patch:Set to send on notify */

    /* restore -> run: the newest restore not yet taken (NULL: none). restore_serial counts
     * restores, taken_serial is the serial of the last one run took; while they differ, save
     * reports what restore loaded (restored: written by restore only, which never runs at the
     * same time as save). */
    _Atomic(lv2p_handoff *) restored;
    atomic_uint restore_serial, taken_serial;
    char restored_text[LV2P_MAX_PARAMS][LV2P_TEXT_BYTES + 1];
    lv2p_message retired[LV2P_RETIRED_MAX]; /* frees waiting for room in the worker's queue */
    int retired_count;

    /* Output of the current run: forges over the output ports, the block's length, the frame
     * of the last MIDI event (a sequence is in time order). */
    LV2_Atom_Forge midi_forge, notify_forge;
    LV2_Atom_Forge_Frame midi_frame, notify_frame;
    bool midi_ready, notify_ready;
    uint32_t midi_last, frames;
};

/** Take the host's features and map the URIDs. False (logged when possible) without urid:map or
 *  worker:schedule. `params` must outlive the instance. */
bool lv2p_init(lv2p *p, const char *name, const LV2_Feature *const *features, const lv2p_param *params, int count);
/** Load the bundle's default value of parameter `index` (a file in the bundle) into the core;
 *  logs why the plugin stays silent when it does not load. Not real-time safe. */
void lv2p_load_default(lv2p *p, int index, const char *bundle_path, const char *file);
/** Swap every object out of the core and free it, and whatever waits to be freed. */
void lv2p_cleanup(lv2p *p);

/** Start a run: the output sequences, the restore run has to take, the requests to send, the
 *  notifications due. */
void lv2p_run_begin(lv2p *p, uint32_t frames, void *midi_port, void *notify_port);
/** A patch:Set or patch:Get of one of the parameters; false if the object is neither. */
bool lv2p_read_patch(lv2p *p, const LV2_Atom_Object *object);
/** The frame of an input event, clamped into [done, frames]. Event times are frames unless the
 *  sequence says atom:beatTime (then the block's start: no host sends beats to a plugin without
 *  atom:beatTime support). Any other unit counts as frames: jalv 1.6 leaves the field as
 *  malloc left it. */
uint32_t lv2p_event_frame(const lv2p *p, const LV2_Atom_Sequence *in, const LV2_Atom_Event *ev, uint32_t done,
                          uint32_t frames);
/** One MIDI message at `frame` of the block (clamped into it, in time order); false if the
 *  output is full. */
bool lv2p_midi(lv2p *p, uint32_t frame, const uint8_t *bytes, uint32_t size);
/** Send the patch:Sets asked for (by patch:Get, a swap, a failed load or restore) at `frame`;
 *  what does not fit waits for the next run. */
void lv2p_notify(lv2p *p, uint32_t frame);
/** A line for the log from run: sent to the worker; dropped if its queue is full. */
void lv2p_report(lv2p *p, const char *line);
/** The host's log, when it gave one; never from run. */
__attribute__((format(printf, 3, 4))) void lv2p_say(const lv2p *p, LV2_URID type, const char *format, ...);

/** The worker and state interfaces (NULL for other URIs). */
const void *lv2p_extension_data(const char *uri);

#endif
