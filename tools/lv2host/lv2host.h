/* lv2host.h — a small LV2 host library for the suite's own hosts: the RTSan test host, the plugin
 * benchmark and the offline session renderer. Plugins are found by URI and ports by symbol
 * through lilv; port indices never appear in callers.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Tutorial
 * --------
 * Off the audio thread:
 *
 *     char why[LV2HOST_MESSAGE_SIZE];
 *     lv2host_world *world = lv2host_world_new(NULL, why);     // NULL: $LV2_PATH or lilv's default
 *     lv2host_config config = lv2host_config_default(48000.0, 4096);
 *     lv2host_plugin *p = lv2host_plugin_new(world, "http://magenta-lv2.org/plugins/drums_rnn",
 *                                            &config, why);
 *     int control = lv2host_port(p, "control"), out = lv2host_port(p, "midi_out");
 *     lv2host_set(p, "temperature", 0.8f);
 *     lv2host_activate(p);
 *
 * Each callback (everything here is real-time safe: no allocation, lock, wait or system call):
 *
 *     lv2host_send_position(p, control, 0, &position);         // events for the next run, in
 *     lv2host_send_midi(p, control, 17, note_on, 3);           // time order
 *     lv2host_run(p, frames);       // worker responses, run, end_run; inputs emptied after
 *     LV2_ATOM_SEQUENCE_FOREACH(lv2host_sequence(p, out), ev) ...
 *
 * Between callbacks, off the audio thread:
 *
 *     lv2host_idle(p);              // synchronous worker: run the work scheduled; print logs
 *
 * Worker: requests and responses travel through fixed rings. With LV2HOST_WORKER_SYNC the work
 * runs in lv2host_idle, so an offline render is deterministic; with LV2HOST_WORKER_THREAD it
 * runs in a thread of its own, as in a live host. Responses are delivered inside lv2host_run,
 * after run() as Jalv and Ardour do, or before it (lv2host_config.responses_before_run).
 *
 * URIDs: lv2host_map may lock and must not be called from the audio thread; every URID the
 * library itself sends or reads is mapped when the world is made.
 */
#ifndef LV2HOST_H
#define LV2HOST_H

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/urid/urid.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Size of the buffers that receive a message (what failed, and why). */
#define LV2HOST_MESSAGE_SIZE 512

/* ---- World: lilv, the URID map ----------------------------------------------------------- */

typedef struct lv2host_world lv2host_world;

/** Every URID the library uses, mapped up front (read them on any thread). */
typedef struct lv2host_urids {
    LV2_URID atom_Blank, atom_Bool, atom_Chunk, atom_Double, atom_Float, atom_Int, atom_Long, atom_Object,
        atom_Path, atom_Sequence, atom_String, atom_URID, atom_eventTransfer;
    LV2_URID midi_MidiEvent;
    LV2_URID time_Position, time_frame, time_speed, time_bar, time_barBeat, time_beatUnit, time_beatsPerBar,
        time_beatsPerMinute;
    LV2_URID patch_Get, patch_Set, patch_property, patch_value;
    LV2_URID log_Error, log_Warning, log_Note, log_Trace;
    LV2_URID bufsz_maxBlockLength, bufsz_minBlockLength, bufsz_nominalBlockLength, bufsz_sequenceSize;
    LV2_URID param_sampleRate;
} lv2host_urids;

/** Load every bundle on `lv2_path` (a colon-separated list; NULL: $LV2_PATH, else lilv's
 *  default). NULL on failure with `why` filled. */
lv2host_world *lv2host_world_new(const char *lv2_path, char *why);
void lv2host_world_free(lv2host_world *world);
const lv2host_urids *lv2host_world_urids(const lv2host_world *world);
/** urid:map and urid:unmap (thread safe, locking: never on the audio thread). */
LV2_URID lv2host_map(lv2host_world *world, const char *uri);
const char *lv2host_unmap(lv2host_world *world, LV2_URID urid);

/* ---- Plugin instances --------------------------------------------------------------------- */

typedef struct lv2host_plugin lv2host_plugin;

typedef enum lv2host_worker_mode {
    LV2HOST_WORKER_SYNC = 0,   /**< work() runs in lv2host_idle, between callbacks */
    LV2HOST_WORKER_THREAD = 1, /**< work() runs in a worker thread of the instance */
} lv2host_worker_mode;

typedef struct lv2host_config {
    double sample_rate;
    uint32_t min_block, max_block, nominal_block; /**< the options given to the plugin */
    uint32_t atom_capacity;       /**< bytes of each atom port buffer (at least the port's
                                       rsz:minimumSize) */
    lv2host_worker_mode worker;
    bool responses_before_run;    /**< deliver worker responses before run(); default after */
    bool quiet;                   /**< count the plugin's log messages without printing them
                                       (log:Trace is never printed) */
    const char *name;             /**< prefix of printed log lines; NULL: the plugin's name */
    /** Called with each log message off the audio thread (the worker thread, lv2host_idle or
     *  the caller of a synchronous work), after it is counted; may be NULL. */
    void (*log_hook)(void *user, LV2_URID type, const char *text);
    void *log_user;
} lv2host_config;

/** Blocks from 1 to max_block (nominal: max_block), atom buffers of 64 KiB, synchronous worker. */
lv2host_config lv2host_config_default(double sample_rate, uint32_t max_block);

/** Find `uri`, check that every feature it requires is offered (urid:map, urid:unmap,
 *  worker:schedule, log:log, options:options, bufsz:boundedBlockLength), instantiate it,
 *  allocate every port's buffer (control ports at their default) and connect them. */
lv2host_plugin *lv2host_plugin_new(lv2host_world *world, const char *uri, const lv2host_config *config, char *why);
/** Deactivates if active, stops the worker thread, frees the instance and the buffers. */
void lv2host_plugin_free(lv2host_plugin *plugin);
const char *lv2host_plugin_name(const lv2host_plugin *plugin);
/** The directory of the plugin's bundle, with a trailing '/'. */
const char *lv2host_plugin_bundle(const lv2host_plugin *plugin);
/** The lilv instance, for what lv2host does not wrap. */
LilvInstance *lv2host_plugin_instance(lv2host_plugin *plugin);

/** The index of the port with this symbol, -1 if none (not real-time safe: use it at setup). */
int lv2host_port(const lv2host_plugin *plugin, const char *symbol);
/** Set a control input port by symbol; false if there is no such control input. */
bool lv2host_set(lv2host_plugin *plugin, const char *symbol, float value);
/** The value of a control port (input or output) by index; write inputs through it. */
float *lv2host_control(lv2host_plugin *plugin, int port);
/** A control input's lv2:minimum, lv2:maximum and lv2:default (NaN when absent); false if none. */
bool lv2host_control_range(const lv2host_plugin *plugin, int port, float *min, float *max, float *def);

void lv2host_activate(lv2host_plugin *plugin);
void lv2host_deactivate(lv2host_plugin *plugin);

/** connect_port for every port with its buffer again. Real-time safe. */
void lv2host_connect_all(lv2host_plugin *plugin);
/** One callback: set output atom ports to their capacity, deliver the worker's responses
 *  and run `frames` (1 .. max_block) in the configured order, call end_run, then empty every
 *  input sequence. Real-time safe. */
void lv2host_run(lv2host_plugin *plugin, uint32_t frames);
/** Off the audio thread, between callbacks: run the scheduled work (synchronous worker) and
 *  print the log messages the plugin wrote from the audio thread. */
void lv2host_idle(lv2host_plugin *plugin);
/** Wait until the worker thread has no request left (synchronous worker: lv2host_idle). */
void lv2host_worker_drain(lv2host_plugin *plugin);
/** Requests scheduled and not yet worked on. Real-time safe. */
int lv2host_worker_pending(const lv2host_plugin *plugin);

/* ---- Input sequences: built in the atom input port's buffer, for the next lv2host_run -------
 * Events must come in time order (frames from the start of the next run); each call returns
 * false and appends nothing when the event is out of order or does not fit. Real-time safe. */

/** What a host sends in a time:Position, with Jalv's and Ardour's atom types (frame and bar as
 *  atom:Long, beatUnit as atom:Int, the rest atom:Float). */
typedef struct lv2host_position {
    int64_t frame;       /**< time:frame, the transport's frame */
    float speed;         /**< time:speed: 0 stopped, 1 rolling */
    int64_t bar;         /**< time:bar, from 0 */
    float bar_beat;      /**< time:barBeat */
    int32_t beat_unit;   /**< time:beatUnit */
    float beats_per_bar; /**< time:beatsPerBar */
    float bpm;           /**< time:beatsPerMinute */
} lv2host_position;

bool lv2host_send_midi(lv2host_plugin *plugin, int port, uint32_t frame, const uint8_t *message, uint32_t size);
bool lv2host_send_position(lv2host_plugin *plugin, int port, uint32_t frame, const lv2host_position *position);
/** patch:Set of `property` to an atom:Path or atom:String value (`value` copied). */
bool lv2host_send_set_path(lv2host_plugin *plugin, int port, uint32_t frame, LV2_URID property, const char *path);
bool lv2host_send_set_string(lv2host_plugin *plugin, int port, uint32_t frame, LV2_URID property, const char *text);
/** patch:Get of `property` (0: every property). */
bool lv2host_send_get(lv2host_plugin *plugin, int port, uint32_t frame, LV2_URID property);

/* ---- Output sequences ----------------------------------------------------------------------- */

/** The sequence in an atom port's buffer (what run() wrote, for outputs). */
const LV2_Atom_Sequence *lv2host_sequence(const lv2host_plugin *plugin, int port);
/** The MIDI message of an event; false when the event is not a midi:MidiEvent. */
bool lv2host_read_midi(const lv2host_world *world, const LV2_Atom_Event *event, const uint8_t **message,
                       uint32_t *size);
/** A patch:Set's property and value; false when `atom` is not a patch:Set object. */
bool lv2host_read_set(const lv2host_world *world, const LV2_Atom *atom, LV2_URID *property, const LV2_Atom **value);

/* ---- The plugin's log ----------------------------------------------------------------------- */

/** How many log:Error and log:Warning messages the instance logged so far. */
int lv2host_log_errors(const lv2host_plugin *plugin);
int lv2host_log_warnings(const lv2host_plugin *plugin);
/** The text of the last log:Error ("" if none) into out[size]. Not real-time safe. */
void lv2host_last_error(lv2host_plugin *plugin, char *out, size_t size);

/* ---- State and presets (lilv) ---------------------------------------------------------------
 * None of these is real-time safe. The plugin's save() and restore() get lilv's own features
 * only (the file paths), not the instance's: state:threadSafeRestore is not asked for. */

/** How many ports the plugin has (every kind). */
uint32_t lv2host_port_count(const lv2host_plugin *plugin);

/** Save the instance's state to `dir`/`file` (Turtle) as Jalv does: the copy, link and save
 *  folders are all `dir`, so a file the state names outside it is linked in (with no link
 *  folder lilv 0.24's lilv_state_save deletes such a file). Every control input's value is
 *  saved as an atom:Float, with what the plugin's save() stores (LV2_STATE_IS_POD). False with
 *  `why` on failure. */
bool lv2host_state_save(lv2host_plugin *plugin, const char *dir, const char *file, char *why);
/** Read a state file (one lv2host_state_save wrote); NULL with `why` if it cannot be read.
 *  Free it with lilv_state_free. */
LilvState *lv2host_state_load(lv2host_world *world, const char *path, char *why);
/** The plugin's presets (the pset:Preset resources related to it) in lilv's order; NULL when
 *  there is no plugin `plugin_uri`. Free them with lilv_nodes_free. */
LilvNodes *lv2host_presets(lv2host_world *world, const char *plugin_uri);
/** Load the preset `preset_uri` (its own file too) as a state; NULL with `why` on failure. Free
 *  it with lilv_state_free. */
LilvState *lv2host_preset_load(lv2host_world *world, const char *preset_uri, char *why);
/** Apply a state to the instance: each port value of type atom:Float, Double, Int or Long to
 *  that control input (lv2host_set), then the plugin's restore(). Returns the control inputs
 *  set. `why` is "" when every port value was a number; else it names the first that was not
 *  (that port is left as it was). */
int lv2host_state_restore(lv2host_plugin *plugin, const LilvState *state, char *why);

/* ---- Host-side helpers ------------------------------------------------------------------------ */

/** A transport: tempo, meter and position in beats; advanced by frames while rolling. */
typedef struct lv2host_transport {
    double sample_rate, bpm, beats_per_bar;
    int beat_unit;
    double beats; /**< from the start of bar 0 */
    int64_t frame;
    bool rolling;
} lv2host_transport;

void lv2host_transport_init(lv2host_transport *transport, double sample_rate, double bpm, double beats_per_bar,
                            int beat_unit);
/** The position to send now. */
lv2host_position lv2host_transport_position(const lv2host_transport *transport);
/** Move on by `frames`: the frame counter always, the beats while rolling. */
void lv2host_transport_advance(lv2host_transport *transport, uint32_t frames);
/** Frames from the transport's beat position to `beats` at its tempo (rounded up). */
double lv2host_transport_frames_to(const lv2host_transport *transport, double beats);

/** Which notes sound: note-on/off per channel and pitch over a MIDI stream, with the faults a
 *  generator must never commit. Real-time safe. */
typedef struct lv2host_notes {
    uint8_t sounding[16][128];
    long note_ons, note_offs;
    long double_ons;  /**< note-on of a pitch already sounding on that channel */
    long stray_offs;  /**< note-off of a pitch not sounding */
    long other;       /**< other messages */
} lv2host_notes;

void lv2host_notes_init(lv2host_notes *notes);
/** Apply one MIDI message (note-on with velocity 0 is a note-off; CC 120 and 123 end every
 *  note of their channel). */
void lv2host_notes_apply(lv2host_notes *notes, const uint8_t *message, uint32_t size);
/** How many notes sound now. */
int lv2host_notes_sounding(const lv2host_notes *notes);

/* ---- Model files for tests and benchmarks ------------------------------------------------------ */

/** The shape of one Magenta event-RNN configuration. */
typedef struct lv2host_model_shape {
    const char *encoding; /**< the model file's "encoding": "attention_rnn", "drum_kit", ... */
    int input_size, num_classes, num_layers;
    int units[8];
    int attn_length;      /**< 0: no attention */
    int projection;       /**< 0: none; else an input projection input/kernel [input_size, units[0]]
                               (Piano Genie's decoder), whatever units[0] is */
} lv2host_model_shape;

/** The largest Magenta configuration of a plugin's model ("melody_rnn", "drums_rnn",
 *  "improv_rnn", "performance_rnn", "piano_genie"; from magenta/models/<model>/<model>_model.py
 *  and Piano Genie's decoder): melody attention_rnn 2x128 attention 40, drums drum_kit 3x256
 *  attention 32, improv chord_pitches_improv 3x256, performance_with_dynamics 3x512 (388 events),
 *  Piano Genie input 123, projection 128, 2x128, 88 keys. NULL for another name. */
const lv2host_model_shape *lv2host_largest_model(const char *plugin);

/** Write an event_rnn model file of `shape` with random weights (uniform in +-scale, seeded),
 *  kernels f16 and vectors f32 as nn-train exports them. False with `why` on failure. */
bool lv2host_write_model(const char *path, const lv2host_model_shape *shape, uint64_t seed, float scale, char *why);

#ifdef __cplusplus
}
#endif

#endif
