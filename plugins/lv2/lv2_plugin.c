/* lv2_plugin.c — the LV2 machinery the suite's plugins share: worker messages, request slots,
 * retiring objects, published texts, the restore handoff, state, patch messages, notifications
 * (see lv2_plugin.h).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "lv2_plugin.h"

#include <lv2/atom/util.h>
#include <lv2/core/lv2_util.h>
#include <lv2/midi/midi.h>
#include <lv2/patch/patch.h>
#include <lv2/state/state.h>
#include <lv2/time/time.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum message_type {
    MSG_LOAD = 1,     /* run -> work: the text is the parameter's value */
    MSG_FREE,         /* work_response -> work: an object that was swapped out */
    MSG_FREE_HANDOFF, /* run -> work: the envelope of a restore that run has taken */
    MSG_REPORT,       /* run -> work: a line for the log, which run may not write itself */
    MSG_LOADED,       /* work -> work_response: the object, NULL if it failed */
} message_type;

/* ---- Texts published for save --------------------------------------------------------------- */

static void publish(lv2p_published *p, const char *text)
{
    unsigned version = atomic_load_explicit(&p->version, memory_order_relaxed);
    atomic_store_explicit(&p->version, version + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    size_t i = 0;
    for (; text && text[i] && i < LV2P_TEXT_BYTES; i++)
        __atomic_store_n(&p->text[i], text[i], __ATOMIC_RELAXED);
    __atomic_store_n(&p->text[i], '\0', __ATOMIC_RELAXED);
    atomic_store_explicit(&p->version, version + 2, memory_order_release);
}

static void read_published(lv2p_published *p, char *out)
{
    for (;;) {
        unsigned before = atomic_load_explicit(&p->version, memory_order_acquire);
        if (before & 1)
            continue; /* a copy of at most LV2P_TEXT_BYTES is under way on the audio thread */
        for (size_t i = 0; i <= LV2P_TEXT_BYTES; i++)
            if ((out[i] = __atomic_load_n(&p->text[i], __ATOMIC_RELAXED)) == '\0')
                break;
        out[LV2P_TEXT_BYTES] = '\0';
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&p->version, memory_order_relaxed) == before)
            return;
    }
}

/* Make `object` parameter i's current one in the core; the previous one is returned. */
static void *install(lv2p *p, int i, void *object)
{
    void *old = p->params[i].swap(p, object);
    p->current[i] = object;
    publish(&p->published[i], p->params[i].text(object));
    return old;
}

/* ---- URIDs, log ------------------------------------------------------------------------------ */

static void map_uris(lv2p *p)
{
    LV2_URID (*m)(LV2_URID_Map_Handle, const char *) = p->map->map;
    LV2_URID_Map_Handle h = p->map->handle;
    lv2p_uris *u = &p->uris;
    u->atom_path = m(h, LV2_ATOM__Path);
    u->atom_string = m(h, LV2_ATOM__String);
    u->atom_urid = m(h, LV2_ATOM__URID);
    u->atom_int = m(h, LV2_ATOM__Int);
    u->atom_long = m(h, LV2_ATOM__Long);
    u->atom_float = m(h, LV2_ATOM__Float);
    u->atom_double = m(h, LV2_ATOM__Double);
    u->atom_frame_time = m(h, LV2_ATOM__frameTime);
    u->atom_beat_time = m(h, LV2_ATOM__beatTime);
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
    for (int i = 0; i < p->param_count; i++)
        u->params[i] = m(h, p->params[i].uri);
}

void lv2p_say(const lv2p *p, LV2_URID type, const char *format, ...)
{
    if (!p->log)
        return;
    va_list args;
    va_start(args, format);
    p->log->vprintf(p->log->handle, type, format, args);
    va_end(args);
}

/* ---- Sending to the worker (audio thread) ---------------------------------------------------- */

static bool send_to_worker(lv2p *p, const lv2p_message *m)
{
    return p->schedule->schedule_work(p->schedule->handle, (uint32_t)sizeof *m + m->length, m) == LV2_WORKER_SUCCESS;
}

/* The pieces of a line joined (no formatting on the audio thread), for the worker to log. */
static void report_joined(lv2p *p, const char *a, const char *b, const char *c)
{
    struct {
        lv2p_message m;
        char text[160];
    } r = {{.type = MSG_REPORT}, {0}};
    size_t n = 0;
    const char *pieces[3] = {a, b, c};
    for (int k = 0; k < 3; k++)
        for (const char *s = pieces[k]; s && *s && n < sizeof r.text - 1; s++)
            r.text[n++] = *s;
    r.m.length = (uint32_t)n + 1;
    send_to_worker(p, &r.m);
}

void lv2p_report(lv2p *p, const char *line)
{
    report_joined(p, line, NULL, NULL);
}

/* Hand an object the core no longer uses back to the worker to free, or keep it for later. */
static void retire(lv2p *p, message_type type, int param, void *object)
{
    if (!object)
        return;
    lv2p_message m = {.type = type, .param = (uint32_t)param, .object = object};
    if (p->retired_count == 0 && send_to_worker(p, &m))
        return;
    if (p->retired_count < LV2P_RETIRED_MAX) /* always: dispatch keeps room for every answer in flight */
        p->retired[p->retired_count++] = m;
}

static int loads_in_flight(lv2p *p)
{
    int busy = 0;
    for (int i = 0; i < p->param_count; i++)
        busy += atomic_load(&p->requests[i].in_flight);
    return busy;
}

/* Retry what waits to be freed, then send each parameter's newest request if none of its
 * loads is in flight and there is room for the object its answer may retire. */
static void dispatch(lv2p *p)
{
    int sent = 0;
    while (sent < p->retired_count && send_to_worker(p, &p->retired[sent]))
        sent++;
    if (sent) {
        memmove(p->retired, p->retired + sent, (size_t)(p->retired_count - sent) * sizeof p->retired[0]);
        p->retired_count -= sent;
    }
    for (int i = 0; i < p->param_count; i++) {
        lv2p_request *r = &p->requests[i];
        if (!r->wanted || atomic_load(&r->in_flight) > 0 || p->retired_count + loads_in_flight(p) + 1 > LV2P_RETIRED_MAX)
            continue;
        lv2p_message *m = (lv2p_message *)r->bytes;
        m->epoch = r->epoch;
        atomic_fetch_add(&r->in_flight, 1); /* before: a synchronous worker answers inside */
        if (send_to_worker(p, m))
            r->wanted = false;
        else
            atomic_fetch_sub(&r->in_flight, 1);
    }
}

/* Keep `value` (a path or a string atom) as the newest request of parameter i. */
static void request_text(lv2p *p, int i, const LV2_Atom *value)
{
    const lv2p_param *param = &p->params[i];
    if (value->type != p->uris.atom_path && value->type != p->uris.atom_string) {
        report_joined(p, "patch:Set of the ", param->noun,
                      param->is_path ? ": the value is not an atom:Path; ignored" : ": the value is not an atom:String; ignored");
        return;
    }
    const char *text = (const char *)LV2_ATOM_BODY_CONST(value);
    size_t n = strnlen(text, value->size);
    if (n == 0 || n > LV2P_TEXT_BYTES) {
        lv2p_report(p, n ? "patch:Set: the value is longer than 4096 bytes; ignored" : "patch:Set: the value is empty; ignored");
        return;
    }
    lv2p_request *r = &p->requests[i];
    lv2p_message *m = (lv2p_message *)r->bytes;
    *m = (lv2p_message){.type = MSG_LOAD, .param = (uint32_t)i, .length = (uint32_t)n + 1};
    memcpy(r->bytes + sizeof *m, text, n);
    r->bytes[sizeof *m + n] = '\0';
    r->wanted = true;
    dispatch(p);
}

/* ---- Output (audio thread) ------------------------------------------------------------------ */

static bool begin_sequence(LV2_Atom_Forge *forge, LV2_Atom_Forge_Frame *frame, void *port)
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

bool lv2p_midi(lv2p *p, uint32_t frame, const uint8_t *bytes, uint32_t size)
{
    LV2_Atom_Forge *f = &p->midi_forge;
    if (!p->midi_ready || space_left(f) < sizeof(LV2_Atom_Event) + lv2_atom_pad_size(size))
        return false;
    uint32_t at = frame;
    if (p->frames && at >= p->frames)
        at = p->frames - 1;
    if (at < p->midi_last)
        at = p->midi_last; /* a sequence is in time order */
    p->midi_last = at;
    lv2_atom_forge_frame_time(f, at);
    lv2_atom_forge_atom(f, size, p->uris.midi_event);
    lv2_atom_forge_write(f, bytes, size);
    return true;
}

/* patch:Set of `property` to `text` (a path or a string) on notify; false if there is no room. */
static bool notify_set(lv2p *p, uint32_t frame, LV2_URID property, bool is_path, const char *text)
{
    LV2_Atom_Forge *f = &p->notify_forge;
    uint32_t n = (uint32_t)strlen(text);
    /* event header, object body, two property heads, the URID atom, the value's header and body */
    uint32_t need = (uint32_t)(sizeof(LV2_Atom_Event) + sizeof(LV2_Atom_Object_Body) + 4 * sizeof(uint32_t) +
                               lv2_atom_pad_size(sizeof(LV2_Atom_URID)) + sizeof(LV2_Atom)) +
                    lv2_atom_pad_size(n + 1);
    if (!p->notify_ready || space_left(f) < need)
        return false;
    LV2_Atom_Forge_Frame object;
    lv2_atom_forge_frame_time(f, frame);
    lv2_atom_forge_object(f, &object, 0, p->uris.patch_set);
    lv2_atom_forge_key(f, p->uris.patch_property);
    lv2_atom_forge_urid(f, property);
    lv2_atom_forge_key(f, p->uris.patch_value);
    if (is_path)
        lv2_atom_forge_path(f, text, n);
    else
        lv2_atom_forge_string(f, text, n);
    lv2_atom_forge_pop(f, &object);
    return true;
}

void lv2p_notify(lv2p *p, uint32_t frame)
{
    if (p->frames && frame >= p->frames)
        frame = p->frames - 1;
    /* With no object there is nothing to tell. */
    for (int i = 0; i < p->param_count; i++)
        if (p->notify[i])
            p->notify[i] = p->current[i] && !notify_set(p, frame, p->uris.params[i], p->params[i].is_path,
                                                        p->params[i].text(p->current[i]));
}

/* ---- Input (audio thread) ------------------------------------------------------------------- */

bool lv2p_read_patch(lv2p *p, const LV2_Atom_Object *object)
{
    if (object->body.otype == p->uris.patch_set) {
        const LV2_Atom *property = NULL, *value = NULL;
        lv2_atom_object_get(object, p->uris.patch_property, &property, p->uris.patch_value, &value, 0);
        if (!property || property->type != p->uris.atom_urid || !value) {
            lv2p_report(p, "a patch:Set without a property URID or a value was ignored");
            return true;
        }
        LV2_URID key = ((const LV2_Atom_URID *)property)->body;
        for (int i = 0; i < p->param_count; i++)
            if (key == p->uris.params[i])
                request_text(p, i, value);
        return true;
    }
    if (object->body.otype == p->uris.patch_get) {
        const LV2_Atom *property = NULL;
        lv2_atom_object_get(object, p->uris.patch_property, &property, 0);
        LV2_URID key = property && property->type == p->uris.atom_urid ? ((const LV2_Atom_URID *)property)->body : 0;
        for (int i = 0; i < p->param_count; i++)
            if (!key || key == p->uris.params[i])
                p->notify[i] = true;
        return true;
    }
    return false;
}

/* Take what the newest restore prepared: swap it into the core, retire what it replaces and the
 * envelope, drop the answers to loads asked before it. Waits for a later run when the objects
 * to retire might not fit. */
static void take_restored(lv2p *p)
{
    if (!atomic_load_explicit(&p->restored, memory_order_relaxed) ||
        p->retired_count + loads_in_flight(p) + LV2P_MAX_PARAMS + 1 > LV2P_RETIRED_MAX)
        return;
    lv2p_handoff *h = atomic_exchange_explicit(&p->restored, NULL, memory_order_acquire);
    if (!h)
        return;
    for (int i = 0; i < p->param_count; i++) {
        if (h->objects[i])
            retire(p, MSG_FREE, i, install(p, i, h->objects[i]));
        p->requests[i].epoch++; /* what was asked before the restore is outdated */
        p->requests[i].wanted = false;
        p->notify[i] = true;
    }
    atomic_store_explicit(&p->taken_serial, h->serial, memory_order_release);
    retire(p, MSG_FREE_HANDOFF, 0, h);
}

void lv2p_run_begin(lv2p *p, uint32_t frames, void *midi_port, void *notify_port)
{
    p->frames = frames;
    p->midi_last = 0;
    p->midi_ready = begin_sequence(&p->midi_forge, &p->midi_frame, midi_port);
    p->notify_ready = begin_sequence(&p->notify_forge, &p->notify_frame, notify_port);
    take_restored(p);
    dispatch(p);
    lv2p_notify(p, 0);
}

/* ---- Worker --------------------------------------------------------------------------------- */

static LV2_Worker_Status work(LV2_Handle instance, LV2_Worker_Respond_Function respond,
                              LV2_Worker_Respond_Handle handle, uint32_t size, const void *data)
{
    lv2p *p = instance;
    lv2p_message m;
    if (size < sizeof m)
        return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&m, data, sizeof m); /* the host's queue need not keep it aligned */
    const char *text = (const char *)data + sizeof m;
    if (m.length > size - sizeof m || (m.length && text[m.length - 1] != '\0') ||
        ((m.type == MSG_LOAD || m.type == MSG_FREE) && m.param >= (uint32_t)p->param_count))
        return LV2_WORKER_ERR_UNKNOWN;

    char why[NN_MESSAGE_SIZE];
    const lv2p_param *param = m.type == MSG_LOAD || m.type == MSG_FREE ? &p->params[m.param] : NULL;
    switch ((message_type)m.type) {
    case MSG_LOAD:
        break;
    case MSG_FREE:
        param->free(m.object);
        return LV2_WORKER_SUCCESS;
    case MSG_FREE_HANDOFF:
        free(m.object);
        return LV2_WORKER_SUCCESS;
    case MSG_REPORT:
        lv2p_say(p, p->uris.log_warning, "%s: %s\n", p->name, m.length ? text : "");
        return LV2_WORKER_SUCCESS;
    default:
        return LV2_WORKER_ERR_UNKNOWN;
    }
    lv2p_message answer = {.type = MSG_LOADED, .param = m.param, .epoch = m.epoch};
    if (param->load(p, text, &answer.object, why) != NN_OK)
        lv2p_say(p, p->uris.log_error, "%s: %s; %s\n", p->name, why, param->keeps);
    if (respond(handle, sizeof answer, &answer) != LV2_WORKER_SUCCESS) {
        lv2p_say(p, p->uris.log_error, "%s: no room in the host's worker queue to hand over \"%s\"\n", p->name, text);
        param->free(answer.object);
        atomic_fetch_sub(&p->requests[m.param].in_flight, 1);
    }
    return LV2_WORKER_SUCCESS;
}

static LV2_Worker_Status work_response(LV2_Handle instance, uint32_t size, const void *data)
{
    lv2p *p = instance;
    lv2p_message m;
    if (size != sizeof m)
        return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&m, data, sizeof m);
    if (m.type != MSG_LOADED || m.param >= (uint32_t)p->param_count)
        return LV2_WORKER_ERR_UNKNOWN;
    int i = (int)m.param;
    atomic_fetch_sub(&p->requests[i].in_flight, 1);
    if (m.epoch != p->requests[i].epoch) /* asked before a restore replaced the value */
        retire(p, MSG_FREE, i, m.object);
    else if (m.object)
        retire(p, MSG_FREE, i, install(p, i, m.object));
    p->notify[i] = true; /* after a failure too: a UI shows what is still in force */
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
    lv2p *p = instance;
    (void)flags;
    const LV2_State_Map_Path *map_path = lv2_features_data(features, LV2_STATE__mapPath);
    const LV2_State_Free_Path *free_path = lv2_features_data(features, LV2_STATE__freePath);
    LV2_State_Status status = LV2_STATE_SUCCESS;
    char text[LV2P_TEXT_BYTES + 1];

    /* A restore run has not taken yet is what the plugin is about to play. */
    bool restoring = atomic_load_explicit(&p->restore_serial, memory_order_acquire) !=
                     atomic_load_explicit(&p->taken_serial, memory_order_acquire);
    for (int i = 0; i < p->param_count && status == LV2_STATE_SUCCESS; i++) {
        if (restoring && p->restored_text[i][0])
            snprintf(text, sizeof text, "%s", p->restored_text[i]);
        else
            read_published(&p->published[i], text);
        if (!text[0])
            continue;
        LV2_URID key = p->uris.params[i];
        if (!p->params[i].is_path) {
            status = store(handle, key, text, strlen(text) + 1, p->uris.atom_string,
                           LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE);
        } else if (map_path) {
            /* Abstract: the host may move the file with the session (or point at the bundle).
             * Flags as lilv 0.24 reads a path back (POD only; other values POD and portable), so
             * a host that compares a restored state with a new save (Ardour, to reuse its state
             * folder) finds it unchanged. */
            char *abstract = map_path->abstract_path(map_path->handle, text);
            if (abstract)
                status = store(handle, key, abstract, strlen(abstract) + 1, p->uris.atom_path, LV2_STATE_IS_POD);
            free_host_path(free_path, abstract);
        } else {
            /* No mapPath: the absolute path, which holds on this machine only. */
            status = store(handle, key, text, strlen(text) + 1, p->uris.atom_path, LV2_STATE_IS_POD);
        }
    }
    return status;
}

/* A text value of the state (NUL-terminated inside its size), or NULL. */
static const char *state_text(const void *value, size_t size, uint32_t type, uint32_t type_a, uint32_t type_b)
{
    return value && size && (type == type_a || type == type_b) && memchr(value, '\0', size) ? value : NULL;
}

static void free_handoff(const lv2p *p, lv2p_handoff *h)
{
    if (!h)
        return;
    for (int i = 0; i < p->param_count; i++)
        if (h->objects[i])
            p->params[i].free(h->objects[i]);
    free(h);
}

/* Restore loads what the state names and hands it to run (take_restored): hosts may call it
 * while run runs. A session must open even when a file has moved: a value that does not load is
 * logged, the current one stays, and restore still succeeds. */
static LV2_State_Status restore(LV2_Handle instance, LV2_State_Retrieve_Function retrieve, LV2_State_Handle handle,
                                uint32_t flags, const LV2_Feature *const *features)
{
    lv2p *p = instance;
    (void)flags;
    const LV2_State_Map_Path *map_path = lv2_features_data(features, LV2_STATE__mapPath);
    const LV2_State_Free_Path *free_path = lv2_features_data(features, LV2_STATE__freePath);
    char why[NN_MESSAGE_SIZE];
    lv2p_handoff *h = calloc(1, sizeof *h);
    if (!h) {
        lv2p_say(p, p->uris.log_error, "%s: out of memory restoring the session; the current settings stay\n", p->name);
        return LV2_STATE_ERR_UNKNOWN;
    }
    for (int i = 0; i < p->param_count; i++) {
        const lv2p_param *param = &p->params[i];
        size_t size = 0;
        uint32_t type = 0, value_flags = 0;
        p->restored_text[i][0] = '\0';
        const void *value = retrieve(handle, p->uris.params[i], &size, &type, &value_flags);
        const char *stored = param->is_path ? state_text(value, size, type, p->uris.atom_path, p->uris.atom_string)
                                            : state_text(value, size, type, p->uris.atom_string, p->uris.atom_string);
        if (value && !stored && param->is_path)
            lv2p_say(p, p->uris.log_error, "%s: the saved %s is not a path; the current %s stays\n", p->name,
                     param->noun, param->noun);
        if (!stored)
            continue;
        char *absolute = param->is_path && map_path ? map_path->absolute_path(map_path->handle, stored) : NULL;
        if (param->load(p, absolute ? absolute : stored, &h->objects[i], why) == NN_OK)
            snprintf(p->restored_text[i], sizeof p->restored_text[i], "%s", param->text(h->objects[i]));
        else
            lv2p_say(p, p->uris.log_error, "%s: restoring the session's %s: %s; the current %s stays\n", p->name,
                     param->noun, why, param->noun);
        if (absolute)
            free_host_path(free_path, absolute);
    }

    /* Replace a restore run has not taken yet (it is this thread's again: free it here). */
    h->serial = atomic_load_explicit(&p->restore_serial, memory_order_relaxed) + 1;
    lv2p_handoff *untaken = atomic_exchange_explicit(&p->restored, h, memory_order_acq_rel);
    atomic_store_explicit(&p->restore_serial, h->serial, memory_order_release);
    free_handoff(p, untaken);
    return LV2_STATE_SUCCESS;
}

const void *lv2p_extension_data(const char *uri)
{
    static const LV2_State_Interface state = {save, restore};
    static const LV2_Worker_Interface worker = {work, work_response, NULL};
    if (!strcmp(uri, LV2_STATE__interface))
        return &state;
    if (!strcmp(uri, LV2_WORKER__interface))
        return &worker;
    return NULL;
}

/* ---- Life cycle ----------------------------------------------------------------------------- */

bool lv2p_init(lv2p *p, const char *name, const LV2_Feature *const *features, const lv2p_param *params, int count)
{
    p->name = name;
    p->params = params;
    p->param_count = count < LV2P_MAX_PARAMS ? count : LV2P_MAX_PARAMS;
    p->log = lv2_features_data(features, LV2_LOG__log);
    p->map = lv2_features_data(features, LV2_URID__map);
    p->schedule = lv2_features_data(features, LV2_WORKER__schedule);
    if (!p->map) /* nothing to log with: log:Error is a mapped URID */
        return false;
    map_uris(p);
    if (!p->schedule) {
        lv2p_say(p, p->uris.log_error, "%s: the host lacks the feature <" LV2_WORKER__schedule ">\n", name);
        return false;
    }
    lv2_atom_forge_init(&p->midi_forge, p->map);
    lv2_atom_forge_init(&p->notify_forge, p->map);
    return true;
}

void lv2p_load_default(lv2p *p, int index, const char *bundle_path, const char *file)
{
    const lv2p_param *param = &p->params[index];
    char path[LV2P_TEXT_BYTES + 1], why[NN_MESSAGE_SIZE];
    size_t n = bundle_path ? strlen(bundle_path) : 0;
    const char *slash = n && bundle_path[n - 1] != '/' ? "/" : "";
    int length = snprintf(path, sizeof path, "%s%s%s", n ? bundle_path : "", slash, file);
    void *object = NULL;
    if (length < 0 || (size_t)length >= sizeof path)
        lv2p_say(p, p->uris.log_error, "%s: the bundle's path is too long; no %s until one is set\n", p->name,
                 param->noun);
    else if (param->load(p, path, &object, why) != NN_OK)
        lv2p_say(p, p->uris.log_error, "%s: %s; silent until a %s is set\n", p->name, why, param->noun);
    if (object)
        param->free(install(p, index, object));
}

void lv2p_cleanup(lv2p *p)
{
    for (int i = 0; i < p->param_count; i++) {
        void *object = p->params[i].swap(p, NULL);
        if (object)
            p->params[i].free(object);
        p->current[i] = NULL;
    }
    for (int i = 0; i < p->retired_count; i++)
        if (p->retired[i].type == MSG_FREE)
            p->params[p->retired[i].param].free(p->retired[i].object);
        else
            free(p->retired[i].object);
    p->retired_count = 0;
    free_handoff(p, atomic_exchange(&p->restored, NULL));
}

uint32_t lv2p_event_frame(const lv2p *p, const LV2_Atom_Sequence *in, const LV2_Atom_Event *ev, uint32_t done,
                          uint32_t frames)
{
    int64_t t = in->body.unit == p->uris.atom_beat_time ? 0 : ev->time.frames;
    return t <= (int64_t)done ? done : t >= (int64_t)frames ? frames : (uint32_t)t;
}
