/* adapter.c — the LV2 plugin around one generator core (Melody, Drums or Improv RNN): control
 * ports and transport in, MIDI out, the model file and the chord progression as patch
 * parameters loaded in the worker, LV2 state. Every musical decision is the core's
 * (plugins/generator/generator.h); this file only translates between LV2 and the core.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Compiled once per plugin with -DADAPTER_KIND=GEN_MELODY|GEN_DRUMS|GEN_IMPROV,
 * -DADAPTER_URI="..." and -DADAPTER_DEFAULT_MODEL="file.nnm" (a file in the bundle).
 *
 * Threads, by LV2's threading classes:
 *   audio   run, work_response: read the ports, walk the control sequence, drive the core,
 *           write MIDI and notifications. No allocation, lock, wait or log: what run has to
 *           report goes to the worker as a message and is logged there.
 *   worker  work: load and validate model files, parse progressions, free what was swapped
 *           out, write errors to the host's log.
 *   other   instantiate, activate, deactivate, cleanup: never concurrent with run.
 *           save may run concurrently with run, so it reads the current model path and
 *           progression from copies the audio thread publishes (a sequence lock).
 *           restore should not be either, but hosts do call it while run runs (Ardour 7 when
 *           a preset is loaded), so it only prepares: it loads the model and progression and
 *           hands them over in one atomic pointer, which run takes (see take_restored).
 *
 * Any block length works (the core bounds its work per call in model steps, not frames), so
 * the host's options (block lengths) are not read.
 *
 * A parameter change travels run -> work -> work_response: run keeps the newest request of
 * each parameter in a slot and sends it when no load of that parameter is in flight, so rapid
 * switching loads only what is still wanted, and the number of objects waiting to be freed
 * stays bounded (see dispatch).
 */
#include "generator.h"

#include <lv2/atom/atom.h>
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>
#include <lv2/core/lv2_util.h>
#include <lv2/log/log.h>
#include <lv2/midi/midi.h>
#include <lv2/patch/patch.h>
#include <lv2/state/state.h>
#include <lv2/time/time.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(ADAPTER_KIND) || !defined(ADAPTER_URI) || !defined(ADAPTER_DEFAULT_MODEL)
#error "compile with -DADAPTER_KIND=GEN_..., -DADAPTER_URI=\"...\" and -DADAPTER_DEFAULT_MODEL=\"...\""
#endif

#define MG_PREFIX "http://magenta-lv2.org/plugins#"
#define MG__model MG_PREFIX "model"             /* atom:Path, every plugin */
#define MG__progression MG_PREFIX "progression" /* atom:String, Improv RNN */

/* The longest model path accepted, in bytes without its NUL (a longer one is refused). */
#define PATH_BYTES 4096

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
    PORT_COUNT
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

static const uint8_t *port_table(gen_kind kind, uint32_t *count)
{
    switch (kind) {
    case GEN_DRUMS:
        *count = sizeof drums_ports;
        return drums_ports;
    case GEN_IMPROV:
        *count = sizeof improv_ports;
        return improv_ports;
    case GEN_MELODY:
    default:
        *count = sizeof melody_ports;
        return melody_ports;
    }
}

/* ---- Messages between run, work and work_response ------------------------------------------- */

typedef enum message_type {
    MSG_LOAD_MODEL = 1,     /* run -> work: the text is a path */
    MSG_PARSE_PROGRESSION,  /* run -> work: the text is chord symbols */
    MSG_FREE_MODEL,         /* work_response -> work: a model that was swapped out */
    MSG_FREE_PROGRESSION,   /* work_response -> work: a progression that was swapped out */
    MSG_FREE_HANDOFF,       /* run -> work: the envelope of a restore that run has taken */
    MSG_REPORT,             /* run -> work: a line for the log, which run may not write itself */
    MSG_MODEL_LOADED,       /* work -> work_response: the model, NULL if it failed */
    MSG_PROGRESSION_PARSED, /* work -> work_response: the progression, NULL if it failed */
} message_type;

/* The header of every message; `length` bytes of text (with its NUL) follow it. */
typedef struct message {
    uint32_t type;
    uint32_t epoch; /* the parameter's restore count when asked: an older answer is dropped */
    union {
        gen_model *model;
        gen_progression *progression;
        struct handoff *handoff;
    } object;
    uint32_t length;
    uint32_t reserved;
} message;

/* A request slot: the newest value asked for a parameter, as the message that asks for it. */
typedef struct request {
    bool wanted;            /* not sent yet */
    atomic_int in_flight;   /* sent, answer not handled yet (the worker drops it if it cannot answer) */
    uint32_t epoch;         /* bumped by restore */
    _Alignas(message) uint8_t bytes[sizeof(message) + PATH_BYTES + 1];
} request;

/* Objects waiting to go back to the worker (schedule_work found no room): at most one per
 * answer, and dispatch keeps answers in flight + waiting objects below this. */
#define RETIRED_MAX 16

/* What restore hands to run: everything a restore changes, taken in one atomic exchange. */
typedef struct handoff {
    gen_model *model;             /* NULL: the saved model did not load, the current one stays */
    gen_progression *progression; /* NULL: none saved or it did not parse */
    uint32_t serial;              /* the restore's number, for save */
} handoff;

/* ---- Texts published for save --------------------------------------------------------------- */

/* The audio thread (and restore) writes, save reads, possibly at the same time: a sequence
 * lock with byte-wise atomic copies, so neither side waits and a torn read is retried. */
typedef struct published_text {
    atomic_uint version; /* odd while being written */
    char text[PATH_BYTES + 1];
} published_text;

static void publish(published_text *p, const char *text)
{
    unsigned version = atomic_load_explicit(&p->version, memory_order_relaxed);
    atomic_store_explicit(&p->version, version + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    size_t i = 0;
    for (; text && text[i] && i < PATH_BYTES; i++)
        __atomic_store_n(&p->text[i], text[i], __ATOMIC_RELAXED);
    __atomic_store_n(&p->text[i], '\0', __ATOMIC_RELAXED);
    atomic_store_explicit(&p->version, version + 2, memory_order_release);
}

static void read_published(published_text *p, char *out)
{
    for (;;) {
        unsigned before = atomic_load_explicit(&p->version, memory_order_acquire);
        if (before & 1)
            continue; /* a copy of at most PATH_BYTES is under way on the audio thread */
        for (size_t i = 0; i <= PATH_BYTES; i++)
            if ((out[i] = __atomic_load_n(&p->text[i], __ATOMIC_RELAXED)) == '\0')
                break;
        out[PATH_BYTES] = '\0';
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&p->version, memory_order_relaxed) == before)
            return;
    }
}

/* ---- The instance --------------------------------------------------------------------------- */

typedef struct uris {
    LV2_URID atom_path, atom_string, atom_urid, atom_int, atom_long, atom_float, atom_double;
    LV2_URID atom_frame_time;
    LV2_URID midi_event;
    LV2_URID patch_set, patch_get, patch_property, patch_value;
    LV2_URID time_position, time_bar, time_bar_beat, time_beats_per_bar, time_beat_unit,
        time_beats_per_minute, time_speed;
    LV2_URID log_error, log_warning;
    LV2_URID model, progression;
} uris;

typedef struct adapter {
    LV2_URID_Map *map;
    LV2_Worker_Schedule *schedule;
    LV2_Log_Log *log; /* NULL: say nothing */
    uris uris;

    const void *ports[PORT_COUNT];
    const uint8_t *port_of_index;
    uint32_t port_count;

    gen *g;
    gen_controls defaults;
    gen_model *model;             /* the core's current model (audio thread, restore) */
    gen_progression *progression; /* the core's current progression */
    published_text model_path, progression_text;

    request model_request, progression_request;

    /* restore -> run: the newest restore not yet taken (NULL: none). restore_serial counts
     * restores, taken_serial is the serial of the last one run took; while they differ, save
     * reports what restore loaded (restored_*: written by restore only, which never runs at
     * the same time as save). */
    _Atomic(handoff *) restored;
    atomic_uint restore_serial, taken_serial;
    char restored_model_path[PATH_BYTES + 1], restored_progression[PATH_BYTES + 1];
    message retired[RETIRED_MAX]; /* MSG_FREE_* waiting for room in the worker's queue */
    int retired_count;

    /* Output of the current run: forges over the output ports, the frame where the current
     * gen_run call starts, the block's length. */
    LV2_Atom_Forge midi_forge, notify_forge;
    LV2_Atom_Forge_Frame midi_frame, notify_frame;
    bool midi_ready, notify_ready;
    uint32_t midi_base, midi_last, frames;

    bool notify_model, notify_progression; /* a patch:Set to send on notify */
} adapter;

static void map_uris(LV2_URID_Map *map, uris *u)
{
    LV2_URID (*m)(LV2_URID_Map_Handle, const char *) = map->map;
    LV2_URID_Map_Handle h = map->handle;
    u->atom_path = m(h, LV2_ATOM__Path);
    u->atom_string = m(h, LV2_ATOM__String);
    u->atom_urid = m(h, LV2_ATOM__URID);
    u->atom_int = m(h, LV2_ATOM__Int);
    u->atom_long = m(h, LV2_ATOM__Long);
    u->atom_float = m(h, LV2_ATOM__Float);
    u->atom_double = m(h, LV2_ATOM__Double);
    u->atom_frame_time = m(h, LV2_ATOM__frameTime);
    u->midi_event = m(h, LV2_MIDI__MidiEvent);
    u->patch_set = m(h, LV2_PATCH__Set);
    u->patch_get = m(h, LV2_PATCH__Get);
    u->patch_property = m(h, LV2_PATCH__property);
    u->patch_value = m(h, LV2_PATCH__value);
    u->time_position = m(h, LV2_TIME__Position);
    u->time_bar = m(h, LV2_TIME__bar);
    u->time_bar_beat = m(h, LV2_TIME__barBeat);
    u->time_beats_per_bar = m(h, LV2_TIME__beatsPerBar);
    u->time_beat_unit = m(h, LV2_TIME__beatUnit);
    u->time_beats_per_minute = m(h, LV2_TIME__beatsPerMinute);
    u->time_speed = m(h, LV2_TIME__speed);
    u->log_error = m(h, LV2_LOG__Error);
    u->log_warning = m(h, LV2_LOG__Warning);
    u->model = m(h, MG__model);
    u->progression = m(h, MG__progression);
}

/* The host's log, when it gave one; never from run. */
__attribute__((format(printf, 3, 4))) static void say(const adapter *a, LV2_URID type, const char *format, ...)
{
    if (!a->log)
        return;
    va_list args;
    va_start(args, format);
    a->log->vprintf(a->log->handle, type, format, args);
    va_end(args);
}

static const char *plugin_name(void)
{
    return ADAPTER_KIND == GEN_DRUMS ? "Drums RNN" : ADAPTER_KIND == GEN_IMPROV ? "Improv RNN" : "Melody RNN";
}

/* ---- Sending to the worker (audio thread) ---------------------------------------------------- */

static bool send_to_worker(adapter *a, const message *m)
{
    return a->schedule->schedule_work(a->schedule->handle, (uint32_t)sizeof *m + m->length, m) ==
           LV2_WORKER_SUCCESS;
}

/* A line for the log from run: sent to the worker; dropped if its queue is full. */
static void report(adapter *a, const char *line)
{
    struct {
        message m;
        char text[160];
    } r = {{.type = MSG_REPORT}, {0}};
    size_t n = strlen(line);
    n = n < sizeof r.text - 1 ? n : sizeof r.text - 1;
    memcpy(r.text, line, n);
    r.m.length = (uint32_t)n + 1;
    send_to_worker(a, &r.m);
}

/* Hand an object the core no longer uses back to the worker to free, or keep it for later. */
static void retire(adapter *a, message_type type, void *object)
{
    if (!object)
        return;
    message m = {.type = type};
    if (type == MSG_FREE_MODEL)
        m.object.model = object;
    else if (type == MSG_FREE_PROGRESSION)
        m.object.progression = object;
    else
        m.object.handoff = object;
    if (a->retired_count == 0 && send_to_worker(a, &m))
        return;
    if (a->retired_count < RETIRED_MAX) /* always: dispatch keeps room for every answer in flight */
        a->retired[a->retired_count++] = m;
}

/* Retry what waits to be freed, then send each parameter's newest request if none of its
 * loads is in flight and there is room for the object its answer may retire. */
static void dispatch(adapter *a)
{
    int sent = 0;
    while (sent < a->retired_count && send_to_worker(a, &a->retired[sent]))
        sent++;
    if (sent) {
        memmove(a->retired, a->retired + sent, (size_t)(a->retired_count - sent) * sizeof a->retired[0]);
        a->retired_count -= sent;
    }
    request *slots[2] = {&a->model_request, &a->progression_request};
    for (int i = 0; i < 2; i++) {
        request *r = slots[i];
        int busy = atomic_load(&a->model_request.in_flight) + atomic_load(&a->progression_request.in_flight);
        if (!r->wanted || atomic_load(&r->in_flight) > 0 || a->retired_count + busy + 1 > RETIRED_MAX)
            continue;
        message *m = (message *)r->bytes;
        m->epoch = r->epoch;
        atomic_fetch_add(&r->in_flight, 1); /* before: a synchronous worker answers inside */
        if (send_to_worker(a, m))
            r->wanted = false;
        else
            atomic_fetch_sub(&r->in_flight, 1);
    }
}

/* Keep `value` (a path or a string atom) as the newest request of a parameter. */
static void request_text(adapter *a, request *r, message_type type, const LV2_Atom *value)
{
    if (value->type != a->uris.atom_path && value->type != a->uris.atom_string) {
        report(a, type == MSG_LOAD_MODEL ? "patch:Set of the model: the value is not an atom:Path; ignored"
                                         : "patch:Set of the progression: the value is not an atom:String; ignored");
        return;
    }
    const char *text = (const char *)LV2_ATOM_BODY_CONST(value);
    size_t n = strnlen(text, value->size);
    if (n == 0 || n > PATH_BYTES) {
        report(a, n ? "patch:Set: the value is longer than 4096 bytes; ignored" : "patch:Set: the value is empty; ignored");
        return;
    }
    message *m = (message *)r->bytes;
    *m = (message){.type = type, .length = (uint32_t)n + 1};
    memcpy(r->bytes + sizeof *m, text, n);
    r->bytes[sizeof *m + n] = '\0';
    r->wanted = true;
    dispatch(a);
}

/* ---- Output (audio thread) ------------------------------------------------------------------ */

static bool begin_sequence(LV2_Atom_Forge *forge, LV2_Atom_Forge_Frame *frame, const void *port)
{
    if (!port)
        return false;
    LV2_Atom_Sequence *seq = (LV2_Atom_Sequence *)port;
    lv2_atom_forge_set_buffer(forge, (uint8_t *)seq, seq->atom.size); /* the host put the capacity there */
    return seq->atom.size >= sizeof(LV2_Atom_Sequence) && lv2_atom_forge_sequence_head(forge, frame, 0);
}

static uint32_t space_left(const LV2_Atom_Forge *forge)
{
    return forge->size - forge->offset;
}

/* The core's emit callback: one MIDI message at `frame` of the current gen_run call. */
static bool emit_midi(void *user, uint32_t frame, const uint8_t *bytes, uint32_t size)
{
    adapter *a = user;
    LV2_Atom_Forge *f = &a->midi_forge;
    if (!a->midi_ready || space_left(f) < sizeof(LV2_Atom_Event) + lv2_atom_pad_size(size))
        return false; /* the core keeps the message for the next call */
    uint32_t at = a->midi_base + frame;
    if (a->frames && at >= a->frames)
        at = a->frames - 1;
    if (at < a->midi_last)
        at = a->midi_last; /* a sequence is in time order */
    a->midi_last = at;
    lv2_atom_forge_frame_time(f, at);
    lv2_atom_forge_atom(f, size, a->uris.midi_event);
    lv2_atom_forge_write(f, bytes, size);
    return true;
}

/* For deactivate: there is no output buffer, so the core keeps the note-offs for the next run. */
static bool emit_nowhere(void *user, uint32_t frame, const uint8_t *bytes, uint32_t size)
{
    (void)user, (void)frame, (void)bytes, (void)size;
    return false;
}

/* patch:Set of `property` to `text` (a path or a string) on notify; false if there is no room. */
static bool notify_set(adapter *a, uint32_t frame, LV2_URID property, LV2_URID type, const char *text)
{
    LV2_Atom_Forge *f = &a->notify_forge;
    uint32_t n = (uint32_t)strlen(text);
    /* event header, object body, two property heads, the URID atom, the value's header and body */
    uint32_t need = (uint32_t)(sizeof(LV2_Atom_Event) + sizeof(LV2_Atom_Object_Body) + 4 * sizeof(uint32_t) +
                               lv2_atom_pad_size(sizeof(LV2_Atom_URID)) + sizeof(LV2_Atom)) +
                    lv2_atom_pad_size(n + 1);
    if (!a->notify_ready || space_left(f) < need)
        return false;
    LV2_Atom_Forge_Frame object;
    lv2_atom_forge_frame_time(f, frame);
    lv2_atom_forge_object(f, &object, 0, a->uris.patch_set);
    lv2_atom_forge_key(f, a->uris.patch_property);
    lv2_atom_forge_urid(f, property);
    lv2_atom_forge_key(f, a->uris.patch_value);
    if (type == a->uris.atom_path)
        lv2_atom_forge_path(f, text, n);
    else
        lv2_atom_forge_string(f, text, n);
    lv2_atom_forge_pop(f, &object);
    return true;
}

/* Send the patch:Sets asked for (by patch:Get, a swap, a failed load or restore); what does
 * not fit waits for the next run. */
static void send_notifications(adapter *a, uint32_t frame)
{
    if (a->frames && frame >= a->frames)
        frame = a->frames - 1;
    /* With no model (or progression) there is nothing to tell. */
    if (a->notify_model)
        a->notify_model =
            a->model && !notify_set(a, frame, a->uris.model, a->uris.atom_path, gen_model_path(a->model));
    if (a->notify_progression)
        a->notify_progression = a->progression && !notify_set(a, frame, a->uris.progression, a->uris.atom_string,
                                                              gen_progression_text(a->progression));
}

/* ---- Input (audio thread) ------------------------------------------------------------------- */

/* A number of any of the atom types hosts use for time:Position's fields. */
static bool atom_number(const uris *u, const LV2_Atom *atom, double *out)
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
    const uris *u = &a->uris;
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

static void read_patch_set(adapter *a, const LV2_Atom_Object *object)
{
    const LV2_Atom *property = NULL, *value = NULL;
    lv2_atom_object_get(object, a->uris.patch_property, &property, a->uris.patch_value, &value, 0);
    if (!property || property->type != a->uris.atom_urid || !value) {
        report(a, "a patch:Set without a property URID or a value was ignored");
        return;
    }
    LV2_URID key = ((const LV2_Atom_URID *)property)->body;
    if (key == a->uris.model)
        request_text(a, &a->model_request, MSG_LOAD_MODEL, value);
    else if (key == a->uris.progression && ADAPTER_KIND == GEN_IMPROV)
        request_text(a, &a->progression_request, MSG_PARSE_PROGRESSION, value);
}

static void read_patch_get(adapter *a, const LV2_Atom_Object *object)
{
    const LV2_Atom *property = NULL;
    lv2_atom_object_get(object, a->uris.patch_property, &property, 0);
    LV2_URID key = property && property->type == a->uris.atom_urid ? ((const LV2_Atom_URID *)property)->body : 0;
    if (!key || key == a->uris.model)
        a->notify_model = true;
    if (!key || key == a->uris.progression)
        a->notify_progression = ADAPTER_KIND == GEN_IMPROV;
}

static void read_event(adapter *a, const LV2_Atom_Event *ev)
{
    const LV2_Atom *body = &ev->body;
    if (body->type == a->uris.midi_event) {
        gen_midi_in(a->g, (const uint8_t *)LV2_ATOM_BODY_CONST(body), body->size);
    } else if (lv2_atom_forge_is_object_type(&a->midi_forge, body->type)) {
        const LV2_Atom_Object *object = (const LV2_Atom_Object *)body;
        if (object->body.otype == a->uris.time_position)
            read_position(a, object);
        else if (object->body.otype == a->uris.patch_set)
            read_patch_set(a, object);
        else if (object->body.otype == a->uris.patch_get)
            read_patch_get(a, object);
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
}

/* Take what the newest restore prepared: swap it into the core, retire what it replaces and the
 * envelope, drop the answers to loads asked before it. Waits for a later run when the objects
 * to retire might not fit. */
static void take_restored(adapter *a)
{
    int busy = atomic_load(&a->model_request.in_flight) + atomic_load(&a->progression_request.in_flight);
    if (!atomic_load_explicit(&a->restored, memory_order_relaxed) || a->retired_count + busy + 3 > RETIRED_MAX)
        return;
    handoff *h = atomic_exchange_explicit(&a->restored, NULL, memory_order_acquire);
    if (!h)
        return;
    if (h->model) {
        retire(a, MSG_FREE_MODEL, gen_swap_model(a->g, h->model));
        a->model = h->model;
        publish(&a->model_path, gen_model_path(a->model));
    }
    if (h->progression) {
        retire(a, MSG_FREE_PROGRESSION, gen_swap_progression(a->g, h->progression));
        a->progression = h->progression;
        publish(&a->progression_text, gen_progression_text(a->progression));
    }
    a->model_request.epoch++; /* what was asked before the restore is outdated */
    a->model_request.wanted = false;
    a->progression_request.epoch++;
    a->progression_request.wanted = false;
    a->notify_model = true;
    a->notify_progression = ADAPTER_KIND == GEN_IMPROV;
    atomic_store_explicit(&a->taken_serial, h->serial, memory_order_release);
    retire(a, MSG_FREE_HANDOFF, h);
}

/* The core's clock from frame `from` to `to` of the block (events at the same frame share the
 * call after them). */
static void advance(adapter *a, uint32_t from, uint32_t to)
{
    if (to == from && to != a->frames)
        return;
    a->midi_base = from;
    gen_run(a->g, to - from, emit_midi, a);
}

static void run(LV2_Handle instance, uint32_t frames)
{
    adapter *a = instance;
    a->frames = frames;
    a->midi_base = a->midi_last = 0;
    a->midi_ready = begin_sequence(&a->midi_forge, &a->midi_frame, a->ports[PORT_MIDI_OUT]);
    a->notify_ready = begin_sequence(&a->notify_forge, &a->notify_frame, a->ports[PORT_NOTIFY]);
    take_restored(a);
    dispatch(a);
    send_notifications(a, 0);

    gen_controls controls;
    read_controls(a, &controls);
    gen_set_controls(a->g, &controls);

    uint32_t done = 0;
    const LV2_Atom_Sequence *in = a->ports[PORT_CONTROL];
    if (in && in->atom.size >= sizeof(LV2_Atom_Sequence_Body)) {
        /* Beat-stamped sequences (no host sends them to a plugin without atom:beatTime
         * support) would be misread as frames; their events are taken at the block's start. */
        bool frame_stamps = in->body.unit == 0 || in->body.unit == a->uris.atom_frame_time;
        LV2_ATOM_SEQUENCE_FOREACH (in, ev) {
            int64_t t = frame_stamps ? ev->time.frames : 0;
            uint32_t at = t <= (int64_t)done ? done : t >= (int64_t)frames ? frames : (uint32_t)t;
            advance(a, done, at);
            done = at;
            read_event(a, ev);
            send_notifications(a, done);
        }
    }
    advance(a, done, frames);
    send_notifications(a, done);
}

/* ---- Worker --------------------------------------------------------------------------------- */

static LV2_Worker_Status work(LV2_Handle instance, LV2_Worker_Respond_Function respond,
                              LV2_Worker_Respond_Handle handle, uint32_t size, const void *data)
{
    adapter *a = instance;
    message m;
    if (size < sizeof m)
        return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&m, data, sizeof m); /* the host's queue need not keep it aligned */
    const char *text = (const char *)data + sizeof m;
    if (m.length > size - sizeof m || (m.length && text[m.length - 1] != '\0'))
        return LV2_WORKER_ERR_UNKNOWN;

    char why[NN_MESSAGE_SIZE];
    message answer = {.epoch = m.epoch};
    atomic_int *in_flight = NULL;
    switch ((message_type)m.type) {
    case MSG_LOAD_MODEL:
        answer.type = MSG_MODEL_LOADED;
        in_flight = &a->model_request.in_flight;
        if (gen_model_load(ADAPTER_KIND, text, &answer.object.model, why) != NN_OK)
            say(a, a->uris.log_error, "%s: %s; the current model keeps playing\n", plugin_name(), why);
        break;
    case MSG_PARSE_PROGRESSION:
        answer.type = MSG_PROGRESSION_PARSED;
        in_flight = &a->progression_request.in_flight;
        if (gen_progression_parse(text, &answer.object.progression, why) != NN_OK)
            say(a, a->uris.log_error, "%s: %s; the current progression stays\n", plugin_name(), why);
        break;
    case MSG_FREE_MODEL:
        gen_model_free(m.object.model);
        return LV2_WORKER_SUCCESS;
    case MSG_FREE_PROGRESSION:
        gen_progression_free(m.object.progression);
        return LV2_WORKER_SUCCESS;
    case MSG_FREE_HANDOFF:
        free(m.object.handoff);
        return LV2_WORKER_SUCCESS;
    case MSG_REPORT:
        say(a, a->uris.log_warning, "%s: %s\n", plugin_name(), m.length ? text : "");
        return LV2_WORKER_SUCCESS;
    default:
        return LV2_WORKER_ERR_UNKNOWN;
    }
    if (respond(handle, sizeof answer, &answer) != LV2_WORKER_SUCCESS) {
        say(a, a->uris.log_error, "%s: no room in the host's worker queue to hand over \"%s\"\n", plugin_name(), text);
        if (answer.type == MSG_MODEL_LOADED)
            gen_model_free(answer.object.model);
        else
            gen_progression_free(answer.object.progression);
        atomic_fetch_sub(in_flight, 1);
    }
    return LV2_WORKER_SUCCESS;
}

static LV2_Worker_Status work_response(LV2_Handle instance, uint32_t size, const void *data)
{
    adapter *a = instance;
    message m;
    if (size != sizeof m)
        return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&m, data, sizeof m);
    if (m.type == MSG_MODEL_LOADED) {
        atomic_fetch_sub(&a->model_request.in_flight, 1);
        if (m.epoch != a->model_request.epoch) { /* asked before a restore replaced the model */
            retire(a, MSG_FREE_MODEL, m.object.model);
        } else if (m.object.model) {
            retire(a, MSG_FREE_MODEL, gen_swap_model(a->g, m.object.model));
            a->model = m.object.model;
            publish(&a->model_path, gen_model_path(a->model));
        }
        a->notify_model = true; /* after a failure too: a UI shows what still plays */
    } else if (m.type == MSG_PROGRESSION_PARSED) {
        atomic_fetch_sub(&a->progression_request.in_flight, 1);
        if (m.epoch != a->progression_request.epoch) {
            retire(a, MSG_FREE_PROGRESSION, m.object.progression);
        } else if (m.object.progression) {
            retire(a, MSG_FREE_PROGRESSION, gen_swap_progression(a->g, m.object.progression));
            a->progression = m.object.progression;
            publish(&a->progression_text, gen_progression_text(a->progression));
        }
        a->notify_progression = true;
    } else {
        return LV2_WORKER_ERR_UNKNOWN;
    }
    return LV2_WORKER_SUCCESS;
}

/* ---- State ---------------------------------------------------------------------------------- */

static void free_host_path(const LV2_State_Free_Path *free_path, char *path)
{
    if (free_path)
        free_path->free_path(free_path->handle, path);
    else
        free(path);
}

static LV2_State_Status save(LV2_Handle instance, LV2_State_Store_Function store, LV2_State_Handle handle,
                             uint32_t flags, const LV2_Feature *const *features)
{
    adapter *a = instance;
    (void)flags;
    const LV2_State_Map_Path *map_path = lv2_features_data(features, LV2_STATE__mapPath);
    const LV2_State_Free_Path *free_path = lv2_features_data(features, LV2_STATE__freePath);
    LV2_State_Status status = LV2_STATE_SUCCESS;
    char text[PATH_BYTES + 1];

    /* A restore run has not taken yet is what the plugin is about to play. */
    bool restoring = atomic_load_explicit(&a->restore_serial, memory_order_acquire) !=
                     atomic_load_explicit(&a->taken_serial, memory_order_acquire);
    if (restoring && a->restored_model_path[0])
        snprintf(text, sizeof text, "%s", a->restored_model_path);
    else
        read_published(&a->model_path, text);
    if (text[0] && map_path) {
        /* Abstract: the host may move the file with the session (or point at the bundle).
         * Flags as lilv 0.24 reads a path back (POD only; other values POD and portable), so
         * a host that compares a restored state with a new save (Ardour, to reuse its state
         * folder) finds it unchanged. */
        char *abstract = map_path->abstract_path(map_path->handle, text);
        if (abstract)
            status = store(handle, a->uris.model, abstract, strlen(abstract) + 1, a->uris.atom_path,
                           LV2_STATE_IS_POD);
        free_host_path(free_path, abstract);
    } else if (text[0]) {
        /* No mapPath: the absolute path, which holds on this machine only. */
        status = store(handle, a->uris.model, text, strlen(text) + 1, a->uris.atom_path, LV2_STATE_IS_POD);
    }

    if (restoring && a->restored_progression[0])
        snprintf(text, sizeof text, "%s", a->restored_progression);
    else
        read_published(&a->progression_text, text);
    if (text[0] && status == LV2_STATE_SUCCESS)
        status = store(handle, a->uris.progression, text, strlen(text) + 1, a->uris.atom_string,
                       LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE);
    return status;
}

/* A text value of the state (NUL-terminated inside its size), or NULL. */
static const char *state_text(const void *value, size_t size, uint32_t type, uint32_t type_a, uint32_t type_b)
{
    return value && size && (type == type_a || type == type_b) && memchr(value, '\0', size) ? value : NULL;
}

/* Restore loads what the state names and hands it to run (take_restored): hosts may call it
 * while run runs. A session must open even when a file has moved: a model that does not load
 * is logged, the current one stays, and restore still succeeds. */
static LV2_State_Status restore(LV2_Handle instance, LV2_State_Retrieve_Function retrieve,
                                LV2_State_Handle handle, uint32_t flags, const LV2_Feature *const *features)
{
    adapter *a = instance;
    (void)flags;
    const LV2_State_Map_Path *map_path = lv2_features_data(features, LV2_STATE__mapPath);
    const LV2_State_Free_Path *free_path = lv2_features_data(features, LV2_STATE__freePath);
    char why[NN_MESSAGE_SIZE];
    size_t size = 0;
    uint32_t type = 0, value_flags = 0;
    handoff *h = calloc(1, sizeof *h);
    if (!h) {
        say(a, a->uris.log_error, "%s: out of memory restoring the session; the current settings stay\n", plugin_name());
        return LV2_STATE_ERR_UNKNOWN;
    }
    a->restored_model_path[0] = a->restored_progression[0] = '\0';

    const void *value = retrieve(handle, a->uris.model, &size, &type, &value_flags);
    const char *stored = state_text(value, size, type, a->uris.atom_path, a->uris.atom_string);
    if (value && !stored)
        say(a, a->uris.log_error, "%s: the saved model is not a path; the current model stays\n", plugin_name());
    if (stored) {
        char *absolute = map_path ? map_path->absolute_path(map_path->handle, stored) : NULL;
        const char *path = absolute ? absolute : stored;
        if (gen_model_load(ADAPTER_KIND, path, &h->model, why) == NN_OK)
            snprintf(a->restored_model_path, sizeof a->restored_model_path, "%s", gen_model_path(h->model));
        else
            say(a, a->uris.log_error, "%s: restoring the session's model: %s; the current model stays\n",
                plugin_name(), why);
        if (absolute)
            free_host_path(free_path, absolute);
    }

    value = retrieve(handle, a->uris.progression, &size, &type, &value_flags);
    stored = state_text(value, size, type, a->uris.atom_string, a->uris.atom_string);
    if (stored && ADAPTER_KIND == GEN_IMPROV) {
        if (gen_progression_parse(stored, &h->progression, why) == NN_OK)
            snprintf(a->restored_progression, sizeof a->restored_progression, "%s",
                     gen_progression_text(h->progression));
        else
            say(a, a->uris.log_error, "%s: restoring the session's %s; the current progression stays\n",
                plugin_name(), why);
    }

    /* Replace a restore run has not taken yet (it is this thread's again: free it here). */
    h->serial = atomic_load_explicit(&a->restore_serial, memory_order_relaxed) + 1;
    handoff *untaken = atomic_exchange_explicit(&a->restored, h, memory_order_acq_rel);
    atomic_store_explicit(&a->restore_serial, h->serial, memory_order_release);
    if (untaken) {
        gen_model_free(untaken->model);
        gen_progression_free(untaken->progression);
        free(untaken);
    }
    return LV2_STATE_SUCCESS;
}

/* ---- Life cycle ----------------------------------------------------------------------------- */

static void cleanup(LV2_Handle instance)
{
    adapter *a = instance;
    if (a->g) {
        gen_model_free(gen_swap_model(a->g, NULL));
        gen_progression_free(gen_swap_progression(a->g, NULL));
        gen_free(a->g);
    }
    for (int i = 0; i < a->retired_count; i++)
        if (a->retired[i].type == MSG_FREE_MODEL)
            gen_model_free(a->retired[i].object.model);
        else if (a->retired[i].type == MSG_FREE_PROGRESSION)
            gen_progression_free(a->retired[i].object.progression);
        else
            free(a->retired[i].object.handoff);
    handoff *untaken = atomic_load(&a->restored);
    if (untaken) {
        gen_model_free(untaken->model);
        gen_progression_free(untaken->progression);
        free(untaken);
    }
    free(a);
}

static LV2_Handle instantiate(const LV2_Descriptor *descriptor, double rate, const char *bundle_path,
                              const LV2_Feature *const *features)
{
    (void)descriptor;
    adapter *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->log = lv2_features_data(features, LV2_LOG__log);
    a->map = lv2_features_data(features, LV2_URID__map);
    a->schedule = lv2_features_data(features, LV2_WORKER__schedule);
    if (!a->map) { /* nothing to log with: log:Error is a mapped URID */
        free(a);
        return NULL;
    }
    map_uris(a->map, &a->uris);
    if (!a->schedule) {
        say(a, a->uris.log_error, "%s: the host lacks the feature <" LV2_WORKER__schedule ">\n", plugin_name());
        free(a);
        return NULL;
    }
    a->port_of_index = port_table(ADAPTER_KIND, &a->port_count);
    lv2_atom_forge_init(&a->midi_forge, a->map);
    lv2_atom_forge_init(&a->notify_forge, a->map);

    char why[NN_MESSAGE_SIZE];
    if (gen_new(ADAPTER_KIND, rate, &a->g, why) != NN_OK) {
        say(a, a->uris.log_error, "%s: %s\n", plugin_name(), why);
        cleanup(a);
        return NULL;
    }
    a->defaults = gen_controls_default(ADAPTER_KIND);

    /* The starter model shipped in the bundle; without it the plugin is silent until a model is set. */
    char path[PATH_BYTES + 1];
    size_t n = bundle_path ? strlen(bundle_path) : 0;
    const char *slash = n && bundle_path[n - 1] != '/' ? "/" : "";
    int length = snprintf(path, sizeof path, "%s%s%s", n ? bundle_path : "", slash, ADAPTER_DEFAULT_MODEL);
    gen_model *model = NULL;
    if (length < 0 || (size_t)length >= sizeof path)
        say(a, a->uris.log_error, "%s: the bundle's path is too long; no model until one is set\n", plugin_name());
    else if (gen_model_load(ADAPTER_KIND, path, &model, why) != NN_OK)
        say(a, a->uris.log_error, "%s: %s; silent until a model is set\n", plugin_name(), why);
    if (model) {
        gen_swap_model(a->g, model);
        a->model = model;
        publish(&a->model_path, gen_model_path(model));
    }
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

static const void *extension_data(const char *uri)
{
    static const LV2_State_Interface state = {save, restore};
    static const LV2_Worker_Interface worker = {work, work_response, NULL};
    if (!strcmp(uri, LV2_STATE__interface))
        return &state;
    if (!strcmp(uri, LV2_WORKER__interface))
        return &worker;
    return NULL;
}

static const LV2_Descriptor descriptor = {
    ADAPTER_URI, instantiate, connect_port, activate, run, deactivate, cleanup, extension_data,
};

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index)
{
    return index == 0 ? &descriptor : NULL;
}
