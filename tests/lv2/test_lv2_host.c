/* test_lv2_host.c — one plugin driven through lilv the way a host drives it: found by URI in
 * LV2_PATH, instantiated at 48 kHz, ports connected by symbol, blocks of varying length with a
 * time:Position rolling at 120 bpm, the worker run synchronously (answers delivered after run,
 * as Jalv does, or inside run, as a freewheeling host may).
 *
 * Checks: MIDI out has notes, every event inside its block and in time order, every note-on on
 * the exact frame of a grid step, on the plugin's channel; patch:Get answers the default
 * model; patch:Set swaps to another model (notify says so), a missing file and a model of the
 * wrong kind are logged as errors naming the file while the current model keeps playing;
 * Improv RNN's progression likewise; stopping releases every note, and so does deactivate (the
 * note-offs come at the next run); a tiny output buffer is never overrun; state saved with
 * lilv_state_new_from_instance and lilv_state_save and restored into a new instance brings back
 * the model path and the port values (the new instance plays with them); a saved model that
 * has gone is logged and the session still opens; every preset loads and applies; a bundle
 * without its starter model gives a silent plugin that plays once a model is set; without
 * log:log the plugin prints nothing; without urid:map or worker:schedule it refuses to start.
 *
 * Usage: test_lv2_host URI   (LV2_PATH set to the build's lv2 folder)
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "../tool_test.h"

#include "../check.h"

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/midi/midi.h>
#include <lv2/options/options.h>
#include <lv2/patch/patch.h>
#include <lv2/presets/presets.h>
#include <lv2/state/state.h>
#include <lv2/time/time.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>

#define MG "http://magenta-lv2.org/plugins#"
#define RATE 48000
#define BPM 120.0
#define STEP_FRAMES 6000 /* a sixteenth note at 120 bpm and 48 kHz: 48000 * 60 / 120 / 4 */
#define BAR_FRAMES (16 * STEP_FRAMES)
#define BUFFER_BYTES 16384
#define MAX_PORTS 64

/* ---- URIDs, log ---------------------------------------------------------------------------- */

static char *mapped[512];
static uint32_t mapped_count;

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri)
{
    (void)handle;
    for (uint32_t i = 0; i < mapped_count; i++)
        if (!strcmp(mapped[i], uri))
            return i + 1;
    if (mapped_count == sizeof mapped / sizeof mapped[0])
        return 0;
    mapped[mapped_count] = strdup(uri);
    return ++mapped_count;
}

static const char *unmap_uri(LV2_URID_Unmap_Handle handle, LV2_URID urid)
{
    (void)handle;
    return urid >= 1 && urid <= mapped_count ? mapped[urid - 1] : NULL;
}

static LV2_URID_Map map = {NULL, map_uri};
static LV2_URID_Unmap unmap = {NULL, unmap_uri};

/* Every line the plugin logs, kept ("E " for errors); errors counted. */
static char log_text[1 << 16];
static size_t log_length;
static int log_errors;

static int log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char *format, va_list args)
{
    (void)handle;
    char line[2048];
    int n = vsnprintf(line, sizeof line, format, args);
    bool error = type == map_uri(NULL, LV2_LOG__Error);
    log_errors += error;
    const char *name = unmap_uri(NULL, type);
    fprintf(stderr, "  plugin log (%s): %s", name ? name : "?", line);
    snprintf(log_text + log_length, sizeof log_text - log_length, "%s%s\n", error ? "E " : "- ", line);
    log_length += strlen(log_text + log_length);
    return n;
}

static int log_printf(LV2_Log_Handle handle, LV2_URID type, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = log_vprintf(handle, type, format, args);
    va_end(args);
    return n;
}

static LV2_Log_Log log_feature = {NULL, log_printf, log_vprintf};

static void log_clear(void)
{
    log_length = 0;
    log_text[0] = '\0';
    log_errors = 0;
}

/* An error line naming `text`. */
static bool logged_error_with(const char *text)
{
    for (const char *line = log_text; *line; line = strchr(line, '\n') + 1) {
        const char *end = strchr(line, '\n');
        const char *hit = strstr(line, text);
        if (line[0] == 'E' && hit && hit < end)
            return true;
    }
    return false;
}

/* ---- The host ----------------------------------------------------------------------------- */

typedef struct host {
    const LilvPlugin *plugin;
    LilvInstance *instance;
    LilvInstance own; /* the instance when made without lilv (another bundle path) */
    void *library;
    const LV2_Worker_Interface *worker;
    bool nested; /* work_response inside respond (so inside run), not after run */
    uint8_t responses[16][256];
    uint32_t response_sizes[16];
    int response_count;

    uint32_t port_count;
    float values[MAX_PORTS];
    float minimum[MAX_PORTS], maximum[MAX_PORTS], defaults[MAX_PORTS];
    uint32_t control_port, midi_port, notify_port;
    _Alignas(8) uint8_t in[BUFFER_BYTES];
    _Alignas(8) uint8_t out[BUFFER_BYTES];
    _Alignas(8) uint8_t notify[BUFFER_BYTES];
    uint32_t out_size, notify_size; /* the capacity given to the plugin in atom.size */
    LV2_Atom_Forge forge;
    LV2_Atom_Forge_Frame sequence;

    LV2_Worker_Schedule schedule;
    LV2_Options_Option options[4];
    int32_t block_max, block_min;
    LV2_Feature f_map, f_unmap, f_log, f_schedule, f_options, f_bounded;
    const LV2_Feature *features[8];

    int64_t frame;       /* frames run so far */
    int64_t grid_origin; /* the frame where the transport started at bar 0; -1 not rolling */
    int sounding[16][128];
    int note_ons, note_offs, off_grid, bad_events, max_events, wrong_channel, wrong_velocity;
    int expect_channel, expect_velocity; /* 0: any */
    int note_count[128];
    int offs_in_block[16][128];
    char model[4200], progression[1200];
    int notifications;
} host;

static uint32_t urid_sequence, urid_chunk, urid_midi, urid_path, urid_string, urid_urid, urid_float, urid_int,
    urid_long, urid_position, urid_patch_set, urid_patch_get, urid_property, urid_value, urid_model,
    urid_progression;

static void map_test_uris(void)
{
    urid_sequence = map_uri(NULL, LV2_ATOM__Sequence);
    urid_chunk = map_uri(NULL, LV2_ATOM__Chunk);
    urid_midi = map_uri(NULL, LV2_MIDI__MidiEvent);
    urid_path = map_uri(NULL, LV2_ATOM__Path);
    urid_string = map_uri(NULL, LV2_ATOM__String);
    urid_urid = map_uri(NULL, LV2_ATOM__URID);
    urid_float = map_uri(NULL, LV2_ATOM__Float);
    urid_int = map_uri(NULL, LV2_ATOM__Int);
    urid_long = map_uri(NULL, LV2_ATOM__Long);
    urid_position = map_uri(NULL, LV2_TIME__Position);
    urid_patch_set = map_uri(NULL, LV2_PATCH__Set);
    urid_patch_get = map_uri(NULL, LV2_PATCH__Get);
    urid_property = map_uri(NULL, LV2_PATCH__property);
    urid_value = map_uri(NULL, LV2_PATCH__value);
    urid_model = map_uri(NULL, MG "model");
    urid_progression = map_uri(NULL, MG "progression");
}

static LV2_Worker_Status respond(LV2_Worker_Respond_Handle handle, uint32_t size, const void *data)
{
    host *h = handle;
    if (h->nested)
        return h->worker->work_response(lilv_instance_get_handle(h->instance), size, data);
    if (h->response_count == 16 || size > sizeof h->responses[0])
        return LV2_WORKER_ERR_NO_SPACE;
    memcpy(h->responses[h->response_count], data, size);
    h->response_sizes[h->response_count++] = size;
    return LV2_WORKER_SUCCESS;
}

/* A synchronous worker: work() at once, as Jalv without threads and freewheeling hosts do. */
static LV2_Worker_Status schedule_work(LV2_Worker_Schedule_Handle handle, uint32_t size, const void *data)
{
    host *h = handle;
    if (!h->worker)
        return LV2_WORKER_ERR_UNKNOWN;
    return h->worker->work(lilv_instance_get_handle(h->instance), respond, h, size, data);
}

static uint32_t port_index(const LilvPlugin *plugin, LilvWorld *world, const char *symbol)
{
    LilvNode *s = lilv_new_string(world, symbol);
    const LilvPort *port = lilv_plugin_get_port_by_symbol(plugin, s);
    lilv_node_free(s);
    return port ? lilv_port_get_index(plugin, port) : UINT32_MAX;
}

static float *port_value(host *h, LilvWorld *world, const char *symbol)
{
    uint32_t i = port_index(h->plugin, world, symbol);
    return i < h->port_count ? &h->values[i] : NULL;
}

static void set_port(host *h, LilvWorld *world, const char *symbol, float value)
{
    float *v = port_value(h, world, symbol);
    CHECK(v != NULL, "no port \"%s\"", symbol);
    if (v)
        *v = value;
}

/* The features a host gives; `with` selects the optional and required ones (for the tests of
 * what a missing feature does). */
enum { WITH_LOG = 1, WITH_MAP = 2, WITH_SCHEDULE = 4, WITH_ALL = 7 };

static void make_features(host *h, int with)
{
    h->schedule = (LV2_Worker_Schedule){h, schedule_work};
    h->block_max = 4096;
    h->block_min = 1;
    uint32_t int_type = map_uri(NULL, LV2_ATOM__Int);
    h->options[0] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, map_uri(NULL, LV2_BUF_SIZE__maxBlockLength),
                                         sizeof(int32_t), int_type, &h->block_max};
    h->options[1] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, map_uri(NULL, LV2_BUF_SIZE__minBlockLength),
                                         sizeof(int32_t), int_type, &h->block_min};
    h->options[2] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL};
    h->f_map = (LV2_Feature){LV2_URID__map, &map};
    h->f_unmap = (LV2_Feature){LV2_URID__unmap, &unmap};
    h->f_log = (LV2_Feature){LV2_LOG__log, &log_feature};
    h->f_schedule = (LV2_Feature){LV2_WORKER__schedule, &h->schedule};
    h->f_options = (LV2_Feature){LV2_OPTIONS__options, h->options};
    h->f_bounded = (LV2_Feature){LV2_BUF_SIZE__boundedBlockLength, NULL};
    int n = 0;
    if (with & WITH_MAP)
        h->features[n++] = &h->f_map;
    h->features[n++] = &h->f_unmap;
    if (with & WITH_LOG)
        h->features[n++] = &h->f_log;
    if (with & WITH_SCHEDULE)
        h->features[n++] = &h->f_schedule;
    h->features[n++] = &h->f_options;
    h->features[n++] = &h->f_bounded;
    h->features[n] = NULL;
}

/* A new instance of `plugin`: through lilv, or, when `bundle` is given, straight from the
 * plugin's library with that bundle path (to take the starter model away). NULL if the
 * plugin refuses. */
static host *host_new(LilvWorld *world, const LilvPlugin *plugin, const char *bundle, int with, bool nested)
{
    host *h = calloc(1, sizeof *h);
    h->plugin = plugin;
    h->nested = nested;
    h->grid_origin = -1;
    h->out_size = h->notify_size = BUFFER_BYTES - sizeof(LV2_Atom);
    make_features(h, with);
    if (!bundle) {
        h->instance = lilv_plugin_instantiate(plugin, RATE, h->features);
    } else {
        char *path = lilv_file_uri_parse(lilv_node_as_uri(lilv_plugin_get_library_uri(plugin)), NULL);
        h->library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        lilv_free(path);
        LV2_Descriptor_Function get = h->library ? (LV2_Descriptor_Function)dlsym(h->library, "lv2_descriptor") : NULL;
        const LV2_Descriptor *d = get ? get(0) : NULL;
        LV2_Handle handle = d ? d->instantiate(d, RATE, bundle, h->features) : NULL;
        if (handle) {
            h->own = (LilvInstance){d, handle, NULL};
            h->instance = &h->own;
        }
    }
    if (!h->instance) {
        if (h->library)
            dlclose(h->library);
        free(h);
        return NULL;
    }
    h->worker = lilv_instance_get_extension_data(h->instance, LV2_WORKER__interface);
    h->port_count = lilv_plugin_get_num_ports(plugin);
    CHECK(h->port_count <= MAX_PORTS, "%u ports", h->port_count);
    lilv_plugin_get_port_ranges_float(plugin, h->minimum, h->maximum, h->defaults);
    h->control_port = port_index(plugin, world, "control");
    h->midi_port = port_index(plugin, world, "midi_out");
    h->notify_port = port_index(plugin, world, "notify");
    for (uint32_t i = 0; i < h->port_count; i++) {
        h->values[i] = h->defaults[i];
        void *buffer = i == h->control_port ? (void *)h->in
                       : i == h->midi_port  ? (void *)h->out
                       : i == h->notify_port ? (void *)h->notify
                                             : (void *)&h->values[i];
        lilv_instance_connect_port(h->instance, i, buffer);
    }
    lv2_atom_forge_init(&h->forge, &map);
    return h;
}

static void host_free(host *h)
{
    if (!h)
        return;
    if (h->library) {
        h->instance->lv2_descriptor->cleanup(h->instance->lv2_handle);
        dlclose(h->library);
    } else {
        lilv_instance_free(h->instance);
    }
    free(h);
}

/* ---- Input events ------------------------------------------------------------------------- */

static void begin_input(host *h)
{
    lv2_atom_forge_set_buffer(&h->forge, h->in, sizeof h->in);
    lv2_atom_forge_sequence_head(&h->forge, &h->sequence, 0);
}

/* The transport at bar `bar`, beat 0, rolling or stopped, at frame `at` of the next block. */
static void add_position(host *h, uint32_t at, int64_t bar, bool rolling)
{
    LV2_Atom_Forge *f = &h->forge;
    LV2_Atom_Forge_Frame object;
    lv2_atom_forge_frame_time(f, at);
    lv2_atom_forge_object(f, &object, 0, urid_position);
    lv2_atom_forge_key(f, map_uri(NULL, LV2_TIME__bar));
    lv2_atom_forge_long(f, bar);
    lv2_atom_forge_key(f, map_uri(NULL, LV2_TIME__barBeat));
    lv2_atom_forge_float(f, 0.0f);
    lv2_atom_forge_key(f, map_uri(NULL, LV2_TIME__beatUnit));
    lv2_atom_forge_int(f, 4);
    lv2_atom_forge_key(f, map_uri(NULL, LV2_TIME__beatsPerBar));
    lv2_atom_forge_float(f, 4.0f);
    lv2_atom_forge_key(f, map_uri(NULL, LV2_TIME__beatsPerMinute));
    lv2_atom_forge_float(f, (float)BPM);
    lv2_atom_forge_key(f, map_uri(NULL, LV2_TIME__speed));
    lv2_atom_forge_float(f, rolling ? 1.0f : 0.0f);
    lv2_atom_forge_pop(f, &object);
}

static void add_patch_set(host *h, uint32_t at, uint32_t property, uint32_t type, const char *text)
{
    LV2_Atom_Forge *f = &h->forge;
    LV2_Atom_Forge_Frame object;
    lv2_atom_forge_frame_time(f, at);
    lv2_atom_forge_object(f, &object, 0, urid_patch_set);
    lv2_atom_forge_key(f, urid_property);
    lv2_atom_forge_urid(f, property);
    lv2_atom_forge_key(f, urid_value);
    lv2_atom_forge_typed_string(f, type, text, (uint32_t)strlen(text));
    lv2_atom_forge_pop(f, &object);
}

static void add_patch_get(host *h, uint32_t at)
{
    LV2_Atom_Forge_Frame object;
    lv2_atom_forge_frame_time(&h->forge, at);
    lv2_atom_forge_object(&h->forge, &object, 0, urid_patch_get);
    lv2_atom_forge_pop(&h->forge, &object);
}

/* ---- Running ------------------------------------------------------------------------------ */

static void read_midi(host *h, uint32_t frames)
{
    const LV2_Atom_Sequence *seq = (const LV2_Atom_Sequence *)h->out;
    CHECK(seq->atom.type == urid_sequence, "midi_out is not a sequence (type %u)", seq->atom.type);
    CHECK(seq->atom.size + sizeof(LV2_Atom) <= BUFFER_BYTES && seq->atom.size <= h->out_size,
          "midi_out overrun: %u bytes in %u", seq->atom.size, h->out_size);
    int64_t last = 0;
    int events = 0;
    memset(h->offs_in_block, 0, sizeof h->offs_in_block);
    LV2_ATOM_SEQUENCE_FOREACH (seq, ev) {
        events++;
        int64_t t = ev->time.frames;
        if (t < last || t >= frames || ev->body.type != urid_midi || ev->body.size != 3) {
            h->bad_events++;
            continue;
        }
        last = t;
        const uint8_t *m = (const uint8_t *)(ev + 1);
        int channel = m[0] & 15, pitch = m[1] & 127;
        bool on = (m[0] & 0xf0) == 0x90 && m[2] > 0, off = (m[0] & 0xf0) == 0x80 || ((m[0] & 0xf0) == 0x90 && !m[2]);
        if (on) {
            h->note_ons++;
            h->note_count[pitch]++;
            h->sounding[channel][pitch]++;
            if (h->grid_origin >= 0 && (h->frame + t - h->grid_origin) % STEP_FRAMES != 0)
                h->off_grid++;
            h->wrong_channel += h->expect_channel && channel + 1 != h->expect_channel;
            h->wrong_velocity += h->expect_velocity && m[2] != h->expect_velocity;
        } else if (off) {
            h->note_offs++;
            h->offs_in_block[channel][pitch]++;
            if (h->sounding[channel][pitch] > 0)
                h->sounding[channel][pitch]--;
        }
    }
    if (events > h->max_events)
        h->max_events = events;
}

static void read_notify(host *h)
{
    const LV2_Atom_Sequence *seq = (const LV2_Atom_Sequence *)h->notify;
    CHECK(seq->atom.type == urid_sequence && seq->atom.size <= h->notify_size, "notify: type %u, %u bytes in %u",
          seq->atom.type, seq->atom.size, h->notify_size);
    LV2_ATOM_SEQUENCE_FOREACH (seq, ev) {
        const LV2_Atom_Object *o = (const LV2_Atom_Object *)&ev->body;
        if (!lv2_atom_forge_is_object_type(&h->forge, o->atom.type) || o->body.otype != urid_patch_set)
            continue;
        const LV2_Atom *property = NULL, *value = NULL;
        lv2_atom_object_get(o, urid_property, &property, urid_value, &value, 0);
        CHECK(property && property->type == urid_urid && value, "a patch:Set without property or value");
        if (!property || property->type != urid_urid || !value)
            continue;
        h->notifications++;
        uint32_t key = ((const LV2_Atom_URID *)property)->body;
        const char *text = (const char *)LV2_ATOM_BODY_CONST(value);
        if (key == urid_model) {
            CHECK(value->type == urid_path, "the model is sent as type %u, not atom:Path", value->type);
            snprintf(h->model, sizeof h->model, "%s", text);
        } else if (key == urid_progression) {
            CHECK(value->type == urid_string, "the progression is sent as type %u, not atom:String", value->type);
            snprintf(h->progression, sizeof h->progression, "%s", text);
        }
    }
}

/* One call of run with the input begun by begin_input (or empty), then the worker's answers. */
static void run_block(host *h, uint32_t frames, bool with_input)
{
    if (!with_input)
        begin_input(h);
    LV2_Atom *out = (LV2_Atom *)h->out, *notify = (LV2_Atom *)h->notify;
    *out = (LV2_Atom){h->out_size, urid_chunk};
    *notify = (LV2_Atom){h->notify_size, urid_chunk};
    lilv_instance_run(h->instance, frames);
    read_midi(h, frames);
    read_notify(h);
    for (int i = 0; i < h->response_count; i++)
        h->worker->work_response(lilv_instance_get_handle(h->instance), h->response_sizes[i], h->responses[i]);
    h->response_count = 0;
    h->frame += frames;
}

static uint32_t rng_state = 12345;

static uint32_t block_length(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    uint32_t r = rng_state >> 8;
    return r % 7 == 0 ? 4096 : 1 + r % 1024; /* 1 .. 1024, and now and then the host's maximum */
}

/* Run `frames` in blocks of varying length, each with a MIDI control change (which the
 * generators ignore) somewhere inside: the adapter runs the core up to every event's frame, so
 * the notes after it must still land on the grid. */
static void run_for(host *h, int64_t frames)
{
    for (int64_t end = h->frame + frames; h->frame < end;) {
        uint32_t n = block_length();
        if (n > end - h->frame)
            n = (uint32_t)(end - h->frame);
        begin_input(h);
        const uint8_t cc[3] = {0xBF, 1, 64}; /* modulation wheel, channel 16 */
        lv2_atom_forge_frame_time(&h->forge, (rng_state >> 4) % n);
        lv2_atom_forge_atom(&h->forge, 3, urid_midi);
        lv2_atom_forge_write(&h->forge, cc, 3);
        run_block(h, n, true);
    }
}

/* Start the transport at bar 0 at the next block (the grid counts from there). */
static void start_transport(host *h, bool with_get)
{
    begin_input(h);
    add_position(h, 0, 0, true);
    if (with_get)
        add_patch_get(h, 0);
    h->grid_origin = h->frame;
    run_block(h, 256, true);
}

static int sounding_notes(const host *h)
{
    int n = 0;
    for (int c = 0; c < 16; c++)
        for (int p = 0; p < 128; p++)
            n += h->sounding[c][p];
    return n;
}

/* Stop the transport: everything sounding must end in that block. */
static void stop_transport(host *h, const char *when)
{
    begin_input(h);
    add_position(h, 0, 0, false);
    h->grid_origin = -1;
    run_block(h, 256, true);
    CHECK(sounding_notes(h) == 0, "%d notes still sounding after the transport stopped (%s)", sounding_notes(h), when);
}

/* A patch:Set in the middle of a block, then `bars` bars. */
static void set_parameter(host *h, uint32_t property, uint32_t type, const char *text, int bars)
{
    begin_input(h);
    add_patch_set(h, 100, property, type, text);
    run_block(h, 512, true);
    run_for(h, (int64_t)bars * BAR_FRAMES);
}

static void check_output_clean(host *h, const char *when)
{
    CHECK(h->bad_events == 0, "%d MIDI events outside their block, out of order or not 3-byte MIDI (%s)",
          h->bad_events, when);
    CHECK(h->off_grid == 0, "%d note-ons off the grid (%s)", h->off_grid, when);
    CHECK(h->wrong_channel == 0, "%d note-ons not on channel %d (%s)", h->wrong_channel, h->expect_channel, when);
    CHECK(h->wrong_velocity == 0, "%d note-ons not at velocity %d (%s)", h->wrong_velocity, h->expect_velocity, when);
}

/* ---- The tests ---------------------------------------------------------------------------- */

typedef struct plugin_info {
    const char *uri, *name, *default_model, *other_model, *wrong_model;
    bool improv, drums;
    char bundle[PATH_MAX], lv2_dir[PATH_MAX];
} plugin_info;

static LilvWorld *world;

static void canonical(const char *path, char *out)
{
    if (!realpath(path, out))
        snprintf(out, PATH_MAX, "%s", path);
}

/* Play, swap, refuse bad files, stop, deactivate. Leaves the instance playing `other`. */
static host *test_play_and_swap(const LilvPlugin *plugin, const plugin_info *p, const char *other)
{
    snprintf(context, sizeof context, "%s: play", p->name);
    log_clear();
    host *h = host_new(world, plugin, NULL, WITH_ALL, false);
    CHECK(h != NULL, "cannot instantiate");
    if (!h)
        return NULL;
    CHECK(log_errors == 0, "instantiate logged %d errors", log_errors);
    h->expect_channel = p->drums ? 10 : 1;
    lilv_instance_activate(h->instance);

    start_transport(h, true);
    char path[2 * PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", p->bundle, p->default_model);
    CHECK(!strcmp(h->model, path), "patch:Get answers model \"%s\", want \"%s\"", h->model, path);
    run_for(h, 4 * BAR_FRAMES);
    CHECK(h->note_ons >= 4, "%d note-ons in four bars", h->note_ons);
    check_output_clean(h, "starter model");

    snprintf(context, sizeof context, "%s: patch:Set model", p->name);
    int before = h->note_ons;
    set_parameter(h, urid_model, urid_path, other, 3);
    CHECK(!strcmp(h->model, other), "notify says model \"%s\", want \"%s\"", h->model, other);
    CHECK(h->note_ons - before >= 3, "%d note-ons in the three bars after the swap", h->note_ons - before);
    CHECK(log_errors == 0, "%d errors logged by a valid swap", log_errors);

    snprintf(context, sizeof context, "%s: patch:Set of a missing file", p->name);
    char missing[PATH_MAX];
    snprintf(missing, sizeof missing, "%s/no-such-model.nnm", scratch);
    before = h->note_ons;
    set_parameter(h, urid_model, urid_path, missing, 2);
    CHECK(logged_error_with("no-such-model.nnm"), "no log:Error naming the missing file; log:\n%s", log_text);
    CHECK(!strcmp(h->model, other), "after the failure notify says \"%s\", want the current \"%s\"", h->model, other);
    CHECK(h->note_ons - before >= 2, "only %d note-ons after the failed load: the current model must keep playing",
          h->note_ons - before);

    snprintf(context, sizeof context, "%s: patch:Set of a model of another kind", p->name);
    log_clear();
    before = h->note_ons;
    set_parameter(h, urid_model, urid_path, p->wrong_model, 2);
    const char *base = strrchr(p->wrong_model, '/') + 1;
    CHECK(logged_error_with(base), "no log:Error naming %s; log:\n%s", base, log_text);
    CHECK(!strcmp(h->model, other), "after the failure the model is \"%s\", want \"%s\"", h->model, other);
    CHECK(h->note_ons - before >= 2, "only %d note-ons after the refused model", h->note_ons - before);

    if (p->improv) {
        snprintf(context, sizeof context, "%s: patch:Set progression", p->name);
        log_clear();
        set_port(h, world, "chord_source", 1);
        before = h->note_ons;
        set_parameter(h, urid_progression, urid_string, "C Am F G7", 2);
        CHECK(!strcmp(h->progression, "C Am F G7"), "notify says progression \"%s\"", h->progression);
        CHECK(log_errors == 0, "%d errors logged by a valid progression", log_errors);
        CHECK(h->note_ons - before >= 2, "%d note-ons over the progression", h->note_ons - before);
        set_parameter(h, urid_progression, urid_string, "C Xq7 F", 1);
        CHECK(logged_error_with("Xq7"), "no log:Error naming the bad chord; log:\n%s", log_text);
        CHECK(!strcmp(h->progression, "C Am F G7"), "after the refusal the progression is \"%s\"", h->progression);
    }
    check_output_clean(h, "after the swaps");
    stop_transport(h, "end of play");

    /* Deactivate with notes sounding: the note-offs come at the start of the next run. */
    snprintf(context, sizeof context, "%s: deactivate", p->name);
    start_transport(h, false);
    for (int i = 0; i < 2000 && sounding_notes(h) == 0; i++)
        run_block(h, 64, false);
    int held[16][128], count = sounding_notes(h);
    memcpy(held, h->sounding, sizeof held);
    CHECK(count > 0, "no note sounding to test deactivate with");
    lilv_instance_deactivate(h->instance);
    lilv_instance_activate(h->instance);
    h->grid_origin = -1;
    run_block(h, 64, false);
    for (int c = 0; c < 16; c++)
        for (int n = 0; n < 128; n++)
            CHECK(!held[c][n] || h->offs_in_block[c][n] >= held[c][n],
                  "channel %d note %d sounded at deactivate and got no note-off in the next run", c + 1, n);
    stop_transport(h, "after deactivate");
    printf("%s: %d note-ons and %d note-offs in %.1f s of audio, swaps and refusals included\n", p->name, h->note_ons,
           h->note_offs, (double)h->frame / RATE);
    return h;
}

/* The output buffer holds one event per call: nothing overruns, and nothing hangs. */
static void test_bounded_output(const LilvPlugin *plugin, const plugin_info *p)
{
    snprintf(context, sizeof context, "%s: one event per call", p->name);
    host *h = host_new(world, plugin, NULL, WITH_ALL, true);
    CHECK(h != NULL, "cannot instantiate");
    if (!h)
        return;
    /* the sequence header, one 3-byte MIDI event (16 + 16 + 8) and 8 bytes, too few for a
     * second one but enough to start writing it */
    h->out_size = (uint32_t)(sizeof(LV2_Atom_Sequence) + sizeof(LV2_Atom_Event) + 8 + 8);
    lilv_instance_activate(h->instance);
    start_transport(h, false);
    h->grid_origin = -1; /* delayed messages leave the grid */
    run_for(h, 4 * BAR_FRAMES);
    begin_input(h);
    add_position(h, 0, 0, false);
    run_block(h, 256, true);
    for (int i = 0; i < 64; i++) /* the kept note-offs drain, one per call */
        run_block(h, 64, false);
    CHECK(h->max_events <= 1, "%d events in a call with room for one", h->max_events);
    CHECK(h->note_ons > 0, "no note-on went out");
    CHECK(h->bad_events == 0, "%d malformed events", h->bad_events);
    CHECK(sounding_notes(h) == 0, "%d notes hang after the stop", sounding_notes(h));

    /* A notify buffer too small for the answer to patch:Get: nothing written, the answer
     * comes once there is room. */
    h->notify_size = 48;
    h->model[0] = '\0';
    begin_input(h);
    add_patch_get(h, 0);
    run_block(h, 64, true);
    CHECK(h->model[0] == '\0', "a patch:Set was written into 48 bytes");
    h->notify_size = BUFFER_BYTES - sizeof(LV2_Atom);
    run_block(h, 64, false);
    CHECK(strstr(h->model, p->default_model) != NULL, "the answer to patch:Get did not follow: \"%s\"", h->model);
    lilv_instance_deactivate(h->instance);
    host_free(h);
}

static const void *get_port_value(const char *symbol, void *user, uint32_t *size, uint32_t *type)
{
    host *h = user;
    float *v = port_value(h, world, symbol);
    *size = v ? sizeof(float) : 0;
    *type = v ? urid_float : 0;
    return v;
}

static int ports_restored;

static void set_port_value(const char *symbol, void *user, const void *value, uint32_t size, uint32_t type)
{
    host *h = user;
    float *v = port_value(h, world, symbol);
    CHECK(v != NULL, "state sets unknown port \"%s\"", symbol);
    CHECK(size == sizeof(float) && (type == urid_float || type == urid_int), "port \"%s\": size %u type %u", symbol,
          size, type);
    if (!v || size != sizeof(float))
        return;
    float x = type == urid_float ? *(const float *)value : (float)*(const int32_t *)value;
    uint32_t i = (uint32_t)(v - h->values);
    CHECK(x >= h->minimum[i] && x <= h->maximum[i], "port \"%s\" = %g outside %g .. %g", symbol, x, h->minimum[i],
          h->maximum[i]);
    *v = x;
    ports_restored++;
}

/* Save the instance's state to a folder, restore it into a new instance. */
static void test_state(const LilvPlugin *plugin, const plugin_info *p, host *h, const char *other)
{
    snprintf(context, sizeof context, "%s: state", p->name);
    struct {
        const char *symbol;
        float value;
    } settings[] = {{"temperature", 0.7f}, {"seed", 1234}, {"velocity", 77}, {"channel", 5}, {"mode", 2},
                    {"loop_bars", 2},      {"length_bars", 3}, {p->drums ? "kick_note" : "transpose", p->drums ? 35 : 2},
                    {p->improv ? "chord_source" : "steps_per_quarter", p->improv ? 1 : 4}};
    int n_settings = (int)(sizeof settings / sizeof settings[0]);
    for (int i = 0; i < n_settings; i++)
        set_port(h, world, settings[i].symbol, settings[i].value);

    char dir[PATH_MAX], file[2 * PATH_MAX];
    snprintf(dir, sizeof dir, "%s/state.lv2", scratch);
    /* As Jalv saves: copy, link and save folders all the state's folder, so a file outside it
     * is linked in. (With no link folder, lilv 0.24's lilv_state_save deletes such a file:
     * lilv_state_make_links removes the "link" at the absolute path it kept.) */
    LilvState *state = lilv_state_new_from_instance(plugin, h->instance, &map, NULL, dir, dir, dir, get_port_value, h,
                                                    LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE, h->features);
    CHECK(state != NULL, "lilv_state_new_from_instance failed");
    if (!state)
        return;
    CHECK(lilv_state_save(world, &map, &unmap, state, NULL, dir, "state.ttl") == 0, "lilv_state_save failed");
    lilv_state_free(state);
    snprintf(file, sizeof file, "%s/state.ttl", dir);
    LilvState *loaded = lilv_state_new_from_file(world, &map, NULL, file);
    CHECK(loaded != NULL, "cannot read back %s", file);
    if (!loaded)
        return;

    log_clear();
    host *g = host_new(world, plugin, NULL, WITH_ALL, true);
    CHECK(g != NULL, "cannot instantiate a second instance");
    if (!g) {
        lilv_state_free(loaded);
        return;
    }
    ports_restored = 0;
    lilv_state_restore(loaded, g->instance, set_port_value, g, 0, g->features);
    lilv_state_free(loaded);
    CHECK(log_errors == 0, "restore logged %d errors:\n%s", log_errors, log_text);
    CHECK(ports_restored == (int)g->port_count - 3, "%d control ports restored of %u", ports_restored,
          g->port_count - 3);
    for (int i = 0; i < n_settings; i++) {
        float *v = port_value(g, world, settings[i].symbol);
        CHECK(v && *v == settings[i].value, "port \"%s\" restored as %g, saved %g", settings[i].symbol, v ? *v : NAN,
              settings[i].value);
    }
    lilv_instance_activate(g->instance);
    g->expect_channel = 5;
    g->expect_velocity = 77;
    start_transport(g, true);
    char want[PATH_MAX], got[PATH_MAX];
    canonical(other, want);
    canonical(g->model, got);
    CHECK(!strcmp(got, want), "restored model \"%s\" (%s), saved \"%s\"", g->model, got, other);
    if (p->improv)
        CHECK(!strcmp(g->progression, "C Am F G7"), "restored progression \"%s\"", g->progression);
    run_for(g, 4 * BAR_FRAMES);
    CHECK(g->note_ons >= 4, "%d note-ons from the restored instance", g->note_ons);
    check_output_clean(g, "restored instance: channel 5, velocity 77");
    if (p->drums)
        CHECK(g->note_count[36] == 0 && g->note_count[35] > 0, "kick remapped to 35: %d notes 35, %d notes 36",
              g->note_count[35], g->note_count[36]);

    /* A session whose model file has gone: logged, the session opens, the model stays. */
    snprintf(context, sizeof context, "%s: restore of a model that moved", p->name);
    char text[4096];
    snprintf(text, sizeof text,
             "@prefix lv2: <http://lv2plug.in/ns/lv2core#> .\n@prefix pset: <http://lv2plug.in/ns/ext/presets#> .\n"
             "@prefix state: <http://lv2plug.in/ns/ext/state#> .\n"
             "<urn:magenta-lv2:test:moved> a pset:Preset ;\n lv2:appliesTo <%s> ;\n"
             " state:state [ <" MG "model> <file://%s/moved-away.nnm> ] .\n",
             p->uri, scratch);
    LilvState *moved = lilv_state_new_from_string(world, &map, text);
    CHECK(moved != NULL, "cannot parse the state:\n%s", text);
    if (moved) {
        log_clear();
        lilv_state_restore(moved, g->instance, NULL, NULL, 0, g->features);
        lilv_state_free(moved);
        CHECK(logged_error_with("moved-away.nnm"), "no log:Error naming the moved file; log:\n%s", log_text);
        int before = g->note_ons;
        begin_input(g);
        add_patch_get(g, 0);
        run_block(g, 256, true);
        canonical(g->model, got);
        CHECK(!strcmp(got, want), "the model after the failed restore is \"%s\", want \"%s\"", g->model, other);
        run_for(g, 2 * BAR_FRAMES);
        CHECK(g->note_ons - before >= 2, "%d note-ons after the failed restore", g->note_ons - before);
    }
    stop_transport(g, "restored instance");
    lilv_instance_deactivate(g->instance);
    host_free(g);
}

/* Every preset: loads, applies without an error, sets its model or progression, plays. */
static void test_presets(const LilvPlugin *plugin, const plugin_info *p)
{
    LilvNode *preset_class = lilv_new_uri(world, LV2_PRESETS__Preset),
             *label_p = lilv_new_uri(world, "http://www.w3.org/2000/01/rdf-schema#label"),
             *state_p = lilv_new_uri(world, LV2_STATE__state), *model_p = lilv_new_uri(world, MG "model"),
             *progression_p = lilv_new_uri(world, MG "progression");
    LilvNodes *presets = lilv_plugin_get_related(plugin, preset_class);
    snprintf(context, sizeof context, "%s: presets", p->name);
    CHECK(presets && lilv_nodes_size(presets) >= 3, "%u presets", presets ? lilv_nodes_size(presets) : 0);
    LILV_FOREACH (nodes, it, presets) {
        const LilvNode *preset = lilv_nodes_get(presets, it);
        lilv_world_load_resource(world, preset);
        LilvNode *label = lilv_world_get(world, preset, label_p, NULL);
        snprintf(context, sizeof context, "%s: preset \"%s\"", p->name, label ? lilv_node_as_string(label) : "?");
        LilvState *state = lilv_state_new_from_world(world, &map, preset);
        CHECK(state != NULL, "lilv_state_new_from_world fails for %s", lilv_node_as_uri(preset));
        /* What the preset's state:state sets, read from the Turtle itself. */
        LilvNode *body = lilv_world_get(world, preset, state_p, NULL);
        LilvNode *model = body ? lilv_world_get(world, body, model_p, NULL) : NULL;
        LilvNode *progression = body ? lilv_world_get(world, body, progression_p, NULL) : NULL;

        log_clear();
        host *h = state ? host_new(world, plugin, NULL, WITH_ALL, false) : NULL;
        if (h) {
            ports_restored = 0;
            lilv_state_restore(state, h->instance, set_port_value, h, 0, h->features);
            CHECK(log_errors == 0, "applying it logged errors:\n%s", log_text);
            CHECK(ports_restored >= 1, "it set no port");
            lilv_instance_activate(h->instance);
            start_transport(h, true);
            if (model) {
                char *file = lilv_file_uri_parse(lilv_node_as_uri(model), NULL);
                char want[PATH_MAX], got[PATH_MAX];
                canonical(file, want);
                canonical(h->model, got);
                CHECK(!strcmp(want, got), "model \"%s\", want \"%s\"", h->model, file);
                lilv_free(file);
            }
            if (progression)
                CHECK(!strcmp(h->progression, lilv_node_as_string(progression)), "progression \"%s\", want \"%s\"",
                      h->progression, lilv_node_as_string(progression));
            float *mode = port_value(h, world, "mode");
            run_for(h, 4 * BAR_FRAMES);
            if (mode && *mode == 2) /* free run plays on its own; the other modes wait for input */
                CHECK(h->note_ons > 0, "no note in four bars of free run");
            check_output_clean(h, "preset");
            stop_transport(h, "preset");
            lilv_instance_deactivate(h->instance);
            host_free(h);
        }
        lilv_node_free(model);
        lilv_node_free(progression);
        lilv_node_free(body);
        lilv_node_free(label);
        lilv_state_free(state);
    }
    lilv_nodes_free(presets);
    LilvNode *all[] = {preset_class, label_p, state_p, model_p, progression_p};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        lilv_node_free(all[i]);
}

/* A bundle without its starter model: the plugin starts, says why it is silent, stays silent,
 * and plays once a model is set. */
static void test_missing_default(const LilvPlugin *plugin, const plugin_info *p)
{
    snprintf(context, sizeof context, "%s: no starter model in the bundle", p->name);
    char empty[PATH_MAX], model[2 * PATH_MAX];
    snprintf(empty, sizeof empty, "%s/empty.lv2/", scratch);
    mkdir(empty, 0700);
    log_clear();
    host *h = host_new(world, plugin, empty, WITH_ALL, false);
    CHECK(h != NULL, "the plugin refuses to start without its starter model");
    if (!h)
        return;
    CHECK(logged_error_with(p->default_model), "no log:Error naming %s; log:\n%s", p->default_model, log_text);
    lilv_instance_activate(h->instance);
    start_transport(h, true);
    run_for(h, 2 * BAR_FRAMES);
    CHECK(h->note_ons == 0, "%d note-ons without a model", h->note_ons);
    CHECK(h->model[0] == '\0', "patch:Get answered a model \"%s\" when there is none", h->model);
    snprintf(model, sizeof model, "%s/%s", p->bundle, p->default_model);
    set_parameter(h, urid_model, urid_path, model, 3);
    CHECK(!strcmp(h->model, model), "model \"%s\" after patch:Set, want \"%s\"", h->model, model);
    CHECK(h->note_ons > 0, "no note after a model was set");
    stop_transport(h, "after the model was set");
    lilv_instance_deactivate(h->instance);
    host_free(h);
}

/* Without log:log the plugin must print nothing (not even to stderr), whatever goes wrong. */
static void test_quiet_without_log(const LilvPlugin *plugin, const plugin_info *p)
{
    char empty[PATH_MAX], out_path[PATH_MAX];
    snprintf(empty, sizeof empty, "%s/quiet.lv2", scratch);
    mkdir(empty, 0700);
    snprintf(out_path, sizeof out_path, "%s/printed.txt", scratch);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    host *h = host_new(world, plugin, empty, WITH_ALL & ~WITH_LOG, false);
    if (h) {
        lilv_instance_activate(h->instance);
        start_transport(h, false);
        set_parameter(h, urid_model, urid_path, "/nonexistent/quiet.nnm", 1);
        set_parameter(h, urid_model, urid_string, "", 1);
        lilv_instance_deactivate(h->instance);
        host_free(h);
    }
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    close(fd);
    snprintf(context, sizeof context, "%s: without log:log", p->name);
    CHECK(h != NULL, "cannot instantiate without log:log");
    struct stat sb;
    CHECK(stat(out_path, &sb) == 0 && sb.st_size == 0, "the plugin printed %lld bytes without a log (see %s)",
          (long long)sb.st_size, out_path);
}

static void test_required_features(const LilvPlugin *plugin, const plugin_info *p)
{
    snprintf(context, sizeof context, "%s: required features", p->name);
    log_clear();
    host *h = host_new(world, plugin, NULL, WITH_ALL & ~WITH_SCHEDULE, false);
    CHECK(h == NULL, "instantiated without worker:schedule");
    CHECK(logged_error_with(LV2_WORKER__schedule), "no log:Error naming worker:schedule; log:\n%s", log_text);
    host_free(h);
    h = host_new(world, plugin, NULL, WITH_ALL & ~WITH_MAP, false);
    CHECK(h == NULL, "instantiated without urid:map");
    host_free(h);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PLUGIN-URI  (with LV2_PATH set)\n", argv[0]);
        return 2;
    }
    plugin_info p = {.uri = argv[1]};
    p.drums = strstr(p.uri, "drums_rnn") != NULL;
    p.improv = strstr(p.uri, "improv_rnn") != NULL;
    p.name = p.drums ? "Drums RNN" : p.improv ? "Improv RNN" : "Melody RNN";
    p.default_model = p.drums ? "drum_kit.nnm" : p.improv ? "chord_pitches_improv.nnm" : "attention_rnn.nnm";

    map_test_uris();
    world = lilv_world_new();
    lilv_world_load_all(world);
    LilvNode *uri = lilv_new_uri(world, p.uri);
    const LilvPlugin *plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world), uri);
    lilv_node_free(uri);
    if (!plugin) {
        fprintf(stderr, "%s not found in LV2_PATH=%s\n", p.uri, getenv("LV2_PATH") ? getenv("LV2_PATH") : "");
        return 1;
    }
    char *bundle = lilv_file_uri_parse(lilv_node_as_uri(lilv_plugin_get_bundle_uri(plugin)), NULL);
    snprintf(p.bundle, sizeof p.bundle, "%s", bundle);
    lilv_free(bundle);
    size_t n = strlen(p.bundle);
    if (n && p.bundle[n - 1] == '/')
        p.bundle[--n] = '\0';
    snprintf(p.lv2_dir, sizeof p.lv2_dir, "%s", p.bundle);
    *strrchr(p.lv2_dir, '/') = '\0';
    make_scratch("test_lv2_host");

    /* Another model to swap to: Melody RNN has two in its bundle; the others get a copy of
     * their starter under another name. A model of the wrong kind from a sibling bundle. */
    char other[2 * PATH_MAX], wrong[2 * PATH_MAX];
    if (!p.drums && !p.improv) {
        snprintf(other, sizeof other, "%s/basic_rnn.nnm", p.bundle);
    } else {
        char command[3 * PATH_MAX];
        snprintf(other, sizeof other, "%s/copy of %s", scratch, p.default_model);
        snprintf(command, sizeof command, "cp '%s/%s' '%s'", p.bundle, p.default_model, other);
        CHECK(system(command) == 0, "%s failed", command);
    }
    snprintf(wrong, sizeof wrong, "%s/%s", p.lv2_dir,
             p.drums ? "melody_rnn.lv2/attention_rnn.nnm" : "drums_rnn.lv2/drum_kit.nnm");
    p.other_model = other;
    p.wrong_model = wrong;

    host *h = test_play_and_swap(plugin, &p, other);
    if (h) {
        test_state(plugin, &p, h, other);
        lilv_instance_deactivate(h->instance);
        host_free(h);
    }
    test_bounded_output(plugin, &p);
    test_presets(plugin, &p);
    test_missing_default(plugin, &p);
    test_quiet_without_log(plugin, &p);
    test_required_features(plugin, &p);

    if (!failures)
        remove_tree(scratch);
    else
        printf("scratch files kept in %s\n", scratch);
    lilv_world_free(world);
    for (uint32_t i = 0; i < mapped_count; i++)
        free(mapped[i]);
    return check_summary("lv2 host");
}
