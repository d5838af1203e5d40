/* lv2host.c — the suite's small LV2 host library (see lv2host.h).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "lv2host.h"

#include "nn.h"

#include <lilv/lilv.h>
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/log/log.h>
#include <lv2/midi/midi.h>
#include <lv2/options/options.h>
#include <lv2/parameters/parameters.h>
#include <lv2/patch/patch.h>
#include <lv2/presets/presets.h>
#include <lv2/resize-port/resize-port.h>
#include <lv2/state/state.h>
#include <lv2/time/time.h>
#include <lv2/worker/worker.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- World ---------------------------------------------------------------------------------- */

struct lv2host_world {
    LilvWorld *lilv;
    pthread_mutex_t map_lock;
    char **uris; /* uris[urid - 1] */
    uint32_t uri_count, uri_capacity;
    LV2_URID_Map map;
    LV2_URID_Unmap unmap;
    lv2host_urids urids;
    LilvNode *input, *output, *control, *audio, *cv, *atom, *minimum_size, *connection_optional;
    char lv2_path[1024]; /* what was searched, for messages */
};

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri)
{
    lv2host_world *w = handle;
    if (!uri)
        return 0;
    pthread_mutex_lock(&w->map_lock);
    LV2_URID found = 0;
    for (uint32_t i = 0; i < w->uri_count && !found; i++)
        if (!strcmp(w->uris[i], uri))
            found = i + 1;
    if (!found) {
        if (w->uri_count == w->uri_capacity) {
            uint32_t capacity = w->uri_capacity ? 2 * w->uri_capacity : 256;
            char **grown = realloc(w->uris, capacity * sizeof *grown);
            if (grown)
                w->uris = grown, w->uri_capacity = capacity;
        }
        char *copy = w->uri_count < w->uri_capacity ? strdup(uri) : NULL;
        if (copy) {
            w->uris[w->uri_count++] = copy;
            found = w->uri_count;
        }
    }
    pthread_mutex_unlock(&w->map_lock);
    return found;
}

static const char *unmap_urid(LV2_URID_Unmap_Handle handle, LV2_URID urid)
{
    lv2host_world *w = handle;
    pthread_mutex_lock(&w->map_lock);
    const char *uri = urid >= 1 && urid <= w->uri_count ? w->uris[urid - 1] : NULL;
    pthread_mutex_unlock(&w->map_lock);
    return uri;
}

LV2_URID lv2host_map(lv2host_world *world, const char *uri) { return map_uri(world, uri); }
const char *lv2host_unmap(lv2host_world *world, LV2_URID urid) { return unmap_urid(world, urid); }
const lv2host_urids *lv2host_world_urids(const lv2host_world *world) { return &world->urids; }

static void map_urids(lv2host_world *w)
{
    lv2host_urids *u = &w->urids;
    struct {
        LV2_URID *urid;
        const char *uri;
    } table[] = {
        {&u->atom_Blank, LV2_ATOM__Blank},
        {&u->atom_Bool, LV2_ATOM__Bool},
        {&u->atom_Chunk, LV2_ATOM__Chunk},
        {&u->atom_Double, LV2_ATOM__Double},
        {&u->atom_Float, LV2_ATOM__Float},
        {&u->atom_Int, LV2_ATOM__Int},
        {&u->atom_Long, LV2_ATOM__Long},
        {&u->atom_Object, LV2_ATOM__Object},
        {&u->atom_Path, LV2_ATOM__Path},
        {&u->atom_Sequence, LV2_ATOM__Sequence},
        {&u->atom_String, LV2_ATOM__String},
        {&u->atom_URID, LV2_ATOM__URID},
        {&u->atom_eventTransfer, LV2_ATOM__eventTransfer},
        {&u->midi_MidiEvent, LV2_MIDI__MidiEvent},
        {&u->time_Position, LV2_TIME__Position},
        {&u->time_frame, LV2_TIME__frame},
        {&u->time_speed, LV2_TIME__speed},
        {&u->time_bar, LV2_TIME__bar},
        {&u->time_barBeat, LV2_TIME__barBeat},
        {&u->time_beatUnit, LV2_TIME__beatUnit},
        {&u->time_beatsPerBar, LV2_TIME__beatsPerBar},
        {&u->time_beatsPerMinute, LV2_TIME__beatsPerMinute},
        {&u->patch_Get, LV2_PATCH__Get},
        {&u->patch_Set, LV2_PATCH__Set},
        {&u->patch_property, LV2_PATCH__property},
        {&u->patch_value, LV2_PATCH__value},
        {&u->log_Error, LV2_LOG__Error},
        {&u->log_Warning, LV2_LOG__Warning},
        {&u->log_Note, LV2_LOG__Note},
        {&u->log_Trace, LV2_LOG__Trace},
        {&u->bufsz_maxBlockLength, LV2_BUF_SIZE__maxBlockLength},
        {&u->bufsz_minBlockLength, LV2_BUF_SIZE__minBlockLength},
        {&u->bufsz_nominalBlockLength, LV2_BUF_SIZE__nominalBlockLength},
        {&u->bufsz_sequenceSize, LV2_BUF_SIZE__sequenceSize},
        {&u->param_sampleRate, LV2_PARAMETERS__sampleRate},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        *table[i].urid = map_uri(w, table[i].uri);
}

lv2host_world *lv2host_world_new(const char *lv2_path, char *why)
{
    lv2host_world *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&w->map_lock, NULL);
    w->map = (LV2_URID_Map){w, map_uri};
    w->unmap = (LV2_URID_Unmap){w, unmap_urid};
    w->lilv = lilv_world_new();
    if (!w->lilv) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "lilv_world_new failed");
        lv2host_world_free(w);
        return NULL;
    }
    const char *searched = lv2_path && *lv2_path ? lv2_path : getenv("LV2_PATH");
    snprintf(w->lv2_path, sizeof w->lv2_path, "%s", searched ? searched : "lilv's default");
    if (lv2_path && *lv2_path) {
        LilvNode *path = lilv_new_string(w->lilv, lv2_path);
        lilv_world_set_option(w->lilv, LILV_OPTION_LV2_PATH, path);
        lilv_node_free(path);
    }
    lilv_world_load_all(w->lilv);
    w->input = lilv_new_uri(w->lilv, LV2_CORE__InputPort);
    w->output = lilv_new_uri(w->lilv, LV2_CORE__OutputPort);
    w->control = lilv_new_uri(w->lilv, LV2_CORE__ControlPort);
    w->audio = lilv_new_uri(w->lilv, LV2_CORE__AudioPort);
    w->cv = lilv_new_uri(w->lilv, LV2_CORE__CVPort);
    w->atom = lilv_new_uri(w->lilv, LV2_ATOM__AtomPort);
    w->minimum_size = lilv_new_uri(w->lilv, LV2_RESIZE_PORT__minimumSize);
    w->connection_optional = lilv_new_uri(w->lilv, LV2_CORE__connectionOptional);
    map_urids(w);
    for (LV2_URID *u = (LV2_URID *)&w->urids; u < (LV2_URID *)(&w->urids + 1); u++)
        if (!*u) {
            snprintf(why, LV2HOST_MESSAGE_SIZE, "out of memory mapping URIs");
            lv2host_world_free(w);
            return NULL;
        }
    return w;
}

void lv2host_world_free(lv2host_world *world)
{
    if (!world)
        return;
    LilvNode *nodes[] = {world->input, world->output, world->control, world->audio, world->cv, world->atom,
                         world->minimum_size, world->connection_optional};
    for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++)
        lilv_node_free(nodes[i]);
    if (world->lilv)
        lilv_world_free(world->lilv);
    for (uint32_t i = 0; i < world->uri_count; i++)
        free(world->uris[i]);
    free(world->uris);
    pthread_mutex_destroy(&world->map_lock);
    free(world);
}

/* ---- Single-producer single-consumer byte rings for the worker's messages ------------------- */

/* A message is a uint32_t size then its bytes; written whole or not at all. */
typedef struct ring {
    uint8_t *bytes;
    uint32_t size; /* a power of two */
    _Atomic uint32_t write, read;
} ring;

static bool ring_init(ring *r, uint32_t size)
{
    r->bytes = malloc(size);
    r->size = size;
    atomic_init(&r->write, 0);
    atomic_init(&r->read, 0);
    return r->bytes != NULL;
}

static void ring_copy_in(ring *r, uint32_t at, const void *data, uint32_t n)
{
    uint32_t start = at & (r->size - 1), first = n < r->size - start ? n : r->size - start;
    memcpy(r->bytes + start, data, first);
    memcpy(r->bytes, (const uint8_t *)data + first, n - first);
}

static void ring_copy_out(const ring *r, uint32_t at, void *data, uint32_t n)
{
    uint32_t start = at & (r->size - 1), first = n < r->size - start ? n : r->size - start;
    memcpy(data, r->bytes + start, first);
    memcpy((uint8_t *)data + first, r->bytes, n - first);
}

static bool ring_put(ring *r, uint32_t size, const void *data)
{
    uint32_t w = atomic_load_explicit(&r->write, memory_order_relaxed);
    uint32_t rd = atomic_load_explicit(&r->read, memory_order_acquire);
    if ((uint64_t)sizeof size + size > r->size - (w - rd))
        return false;
    ring_copy_in(r, w, &size, sizeof size);
    ring_copy_in(r, w + (uint32_t)sizeof size, data, size);
    atomic_store_explicit(&r->write, w + (uint32_t)sizeof size + size, memory_order_release);
    return true;
}

/* The next message into out[capacity]; false when the ring is empty. A message larger than
 * `capacity` cannot be in the ring: ring_put's callers refuse those. */
static bool ring_get(ring *r, void *out, uint32_t capacity, uint32_t *size)
{
    uint32_t rd = atomic_load_explicit(&r->read, memory_order_relaxed);
    uint32_t w = atomic_load_explicit(&r->write, memory_order_acquire);
    if (w - rd < sizeof *size)
        return false;
    ring_copy_out(r, rd, size, sizeof *size);
    uint32_t n = *size < capacity ? *size : capacity;
    ring_copy_out(r, rd + (uint32_t)sizeof *size, out, n);
    atomic_store_explicit(&r->read, rd + (uint32_t)sizeof *size + *size, memory_order_release);
    *size = n;
    return true;
}

/* ---- Plugin instances ------------------------------------------------------------------------ */

typedef enum port_kind { PORT_CONTROL, PORT_AUDIO, PORT_CV, PORT_ATOM, PORT_UNKNOWN } port_kind;

typedef struct port {
    char *symbol;
    port_kind kind;
    bool input;
    float value, min, max, def;
    float *samples;          /* audio and CV */
    LV2_Atom_Sequence *seq;  /* atom */
    uint32_t capacity;       /* bytes of seq */
    LV2_Atom_Forge forge;    /* atom inputs: builds seq */
    LV2_Atom_Forge_Frame frame;
    uint32_t last_frame;
} port;

enum {
    RING_BYTES = 1 << 16,
    MESSAGE_MAX = 16384, /* the largest worker message or response */
    RT_LOG_LINES = 32,   /* log lines kept from the audio thread until lv2host_idle */
    OPTION_COUNT = 6,
};

typedef struct rt_log_line {
    LV2_URID type;
    char text[LV2HOST_MESSAGE_SIZE];
} rt_log_line;

struct lv2host_plugin {
    lv2host_world *world;
    const LilvPlugin *lilv_plugin;
    LilvInstance *instance;
    lv2host_config config;
    char name[128];
    char *bundle;
    port *ports;
    uint32_t port_count;
    bool active;

    /* Features: their data lives here as long as the instance. */
    LV2_Worker_Schedule schedule;
    LV2_Log_Log log;
    int32_t min_block, max_block, nominal_block, sequence_size;
    float sample_rate;
    LV2_Options_Option options[OPTION_COUNT];
    LV2_Feature feature_map, feature_unmap, feature_schedule, feature_log, feature_options, feature_bounded;
    const LV2_Feature *features[7];

    /* Worker. */
    const LV2_Worker_Interface *worker;
    ring requests, responses, nested;
    uint8_t *work_buffer, *nested_buffer, *response_buffer;
    pthread_mutex_t work_lock;
    sem_t wake;
    pthread_t thread;
    bool thread_running;
    atomic_bool quit;
    atomic_int pending;

    /* Log. */
    atomic_int errors, warnings;
    pthread_mutex_t log_lock;
    char last_error[LV2HOST_MESSAGE_SIZE];
    rt_log_line rt_log[RT_LOG_LINES];
    _Atomic uint32_t rt_log_write, rt_log_read;
    atomic_int rt_log_dropped;
};

/* Which instance this thread is running (the audio thread, inside lv2host_run) and whose work()
 * it is in (the worker): decides where schedule_work and the log send things. */
static _Thread_local lv2host_plugin *running_plugin __attribute__((tls_model("initial-exec")));
static _Thread_local lv2host_plugin *working_plugin __attribute__((tls_model("initial-exec")));

lv2host_config lv2host_config_default(double sample_rate, uint32_t max_block)
{
    return (lv2host_config){
        .sample_rate = sample_rate,
        .min_block = 1,
        .max_block = max_block,
        .nominal_block = max_block,
        .atom_capacity = 65536,
        .worker = LV2HOST_WORKER_SYNC,
    };
}

/* ---- The log feature ---- */

static const char *log_type_name(const lv2host_plugin *p, LV2_URID type)
{
    const lv2host_urids *u = &p->world->urids;
    return type == u->log_Error ? "error" : type == u->log_Warning ? "warning" : type == u->log_Trace ? "trace" : "note";
}

/* Off the audio thread: keep the last error, print unless quiet. */
static void log_line(lv2host_plugin *p, LV2_URID type, const char *text)
{
    size_t length = strlen(text);
    while (length && text[length - 1] == '\n')
        length--;
    if (type == p->world->urids.log_Error) {
        pthread_mutex_lock(&p->log_lock);
        snprintf(p->last_error, sizeof p->last_error, "%.*s", (int)length, text);
        pthread_mutex_unlock(&p->log_lock);
    }
    if (!p->config.quiet && type != p->world->urids.log_Trace)
        fprintf(stderr, "%s: %s: %.*s\n", p->name, log_type_name(p, type), (int)length, text);
    if (p->config.log_hook)
        p->config.log_hook(p->config.log_user, type, text);
}

static int log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char *format, va_list args)
{
    lv2host_plugin *p = handle;
    if (type == p->world->urids.log_Error)
        atomic_fetch_add(&p->errors, 1);
    else if (type == p->world->urids.log_Warning)
        atomic_fetch_add(&p->warnings, 1);
    if (running_plugin == p) {
        /* The audio thread: format into a fixed line, printed by lv2host_idle. */
        uint32_t w = atomic_load_explicit(&p->rt_log_write, memory_order_relaxed);
        if (w - atomic_load_explicit(&p->rt_log_read, memory_order_acquire) >= RT_LOG_LINES) {
            atomic_fetch_add(&p->rt_log_dropped, 1);
            return 0;
        }
        rt_log_line *line = &p->rt_log[w % RT_LOG_LINES];
        line->type = type;
        int n = vsnprintf(line->text, sizeof line->text, format, args);
        atomic_store_explicit(&p->rt_log_write, w + 1, memory_order_release);
        return n;
    }
    char text[LV2HOST_MESSAGE_SIZE];
    int n = vsnprintf(text, sizeof text, format, args);
    log_line(p, type, text);
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

static void flush_rt_log(lv2host_plugin *p)
{
    uint32_t r = atomic_load_explicit(&p->rt_log_read, memory_order_relaxed);
    while (r != atomic_load_explicit(&p->rt_log_write, memory_order_acquire)) {
        rt_log_line *line = &p->rt_log[r % RT_LOG_LINES];
        log_line(p, line->type, line->text);
        atomic_store_explicit(&p->rt_log_read, ++r, memory_order_release);
    }
    int dropped = atomic_exchange(&p->rt_log_dropped, 0);
    if (dropped && !p->config.quiet)
        fprintf(stderr, "%s: %d log messages from the audio thread dropped\n", p->name, dropped);
}

int lv2host_log_errors(const lv2host_plugin *plugin) { return atomic_load(&plugin->errors); }
int lv2host_log_warnings(const lv2host_plugin *plugin) { return atomic_load(&plugin->warnings); }

void lv2host_last_error(lv2host_plugin *plugin, char *out, size_t size)
{
    flush_rt_log(plugin);
    pthread_mutex_lock(&plugin->log_lock);
    snprintf(out, size, "%s", plugin->last_error);
    pthread_mutex_unlock(&plugin->log_lock);
}

/* ---- The worker feature ---- */

static LV2_Worker_Status respond(LV2_Worker_Respond_Handle handle, uint32_t size, const void *data)
{
    lv2host_plugin *p = handle;
    if (size > MESSAGE_MAX || !ring_put(&p->responses, size, data))
        return LV2_WORKER_ERR_NO_SPACE;
    return LV2_WORKER_SUCCESS;
}

/* One request, then whatever work() scheduled from inside itself. Off the audio thread. */
static void do_work(lv2host_plugin *p, uint32_t size, const void *data)
{
    if (!p->worker || !p->worker->work)
        return;
    pthread_mutex_lock(&p->work_lock);
    LV2_Handle handle = lilv_instance_get_handle(p->instance);
    lv2host_plugin *outer = working_plugin;
    working_plugin = p;
    p->worker->work(handle, respond, p, size, data);
    uint32_t nested_size;
    while (ring_get(&p->nested, p->nested_buffer, MESSAGE_MAX, &nested_size))
        p->worker->work(handle, respond, p, nested_size, p->nested_buffer);
    working_plugin = outer;
    pthread_mutex_unlock(&p->work_lock);
}

static LV2_Worker_Status schedule_work(LV2_Worker_Schedule_Handle handle, uint32_t size, const void *data)
{
    lv2host_plugin *p = handle;
    if (size > MESSAGE_MAX)
        return LV2_WORKER_ERR_NO_SPACE;
    if (working_plugin == p) /* from work(): after it returns, on the same thread */
        return ring_put(&p->nested, size, data) ? LV2_WORKER_SUCCESS : LV2_WORKER_ERR_NO_SPACE;
    if (running_plugin != p) {
        /* Not from run(): instantiate, activate or a state restore; work now, as Jalv does. */
        if (!p->instance) {
            /* Inside instantiate: lilv has not handed us the instance yet. Keep it for later. */
            return ring_put(&p->requests, size, data) ? (atomic_fetch_add(&p->pending, 1), LV2_WORKER_SUCCESS)
                                                      : LV2_WORKER_ERR_NO_SPACE;
        }
        do_work(p, size, data);
        return LV2_WORKER_SUCCESS;
    }
    if (!ring_put(&p->requests, size, data))
        return LV2_WORKER_ERR_NO_SPACE;
    atomic_fetch_add(&p->pending, 1);
    if (p->config.worker == LV2HOST_WORKER_THREAD)
        sem_post(&p->wake);
    return LV2_WORKER_SUCCESS;
}

static void run_requests(lv2host_plugin *p)
{
    uint32_t size;
    while (ring_get(&p->requests, p->work_buffer, MESSAGE_MAX, &size)) {
        do_work(p, size, p->work_buffer);
        atomic_fetch_sub(&p->pending, 1);
    }
}

static void *worker_thread(void *arg)
{
    lv2host_plugin *p = arg;
    for (;;) {
        while (sem_wait(&p->wake) != 0 && errno == EINTR) {
        }
        if (atomic_load(&p->quit))
            break;
        run_requests(p);
    }
    return NULL;
}

/* ---- Ports ---- */

static uint32_t round_up8(uint32_t n) { return (n + 7u) & ~7u; }

static bool make_ports(lv2host_plugin *p, char *why)
{
    lv2host_world *w = p->world;
    const LilvPlugin *plugin = p->lilv_plugin;
    p->port_count = lilv_plugin_get_num_ports(plugin);
    p->ports = calloc(p->port_count ? p->port_count : 1, sizeof *p->ports);
    float *mins = calloc(p->port_count + 1, sizeof *mins), *maxs = calloc(p->port_count + 1, sizeof *maxs),
          *defs = calloc(p->port_count + 1, sizeof *defs);
    bool ok = p->ports && mins && maxs && defs;
    if (ok)
        lilv_plugin_get_port_ranges_float(plugin, mins, maxs, defs);
    for (uint32_t i = 0; ok && i < p->port_count; i++) {
        port *q = &p->ports[i];
        const LilvPort *lp = lilv_plugin_get_port_by_index(plugin, i);
        q->symbol = strdup(lilv_node_as_string(lilv_port_get_symbol(plugin, lp)));
        q->input = lilv_port_is_a(plugin, lp, w->input);
        q->min = mins[i], q->max = maxs[i], q->def = defs[i];
        if (lilv_port_is_a(plugin, lp, w->control)) {
            q->kind = PORT_CONTROL;
            q->value = isnan(q->def) ? (isnan(q->min) ? 0.0f : q->min) : q->def;
        } else if (lilv_port_is_a(plugin, lp, w->audio) || lilv_port_is_a(plugin, lp, w->cv)) {
            q->kind = lilv_port_is_a(plugin, lp, w->audio) ? PORT_AUDIO : PORT_CV;
            q->samples = calloc(p->config.max_block, sizeof *q->samples);
            ok = q->samples != NULL;
        } else if (lilv_port_is_a(plugin, lp, w->atom)) {
            q->kind = PORT_ATOM;
            uint32_t capacity = p->config.atom_capacity;
            LilvNodes *sizes = lilv_port_get_value(plugin, lp, w->minimum_size);
            LILV_FOREACH (nodes, it, sizes) {
                const LilvNode *n = lilv_nodes_get(sizes, it);
                if (lilv_node_is_int(n) && lilv_node_as_int(n) > 0 && (uint32_t)lilv_node_as_int(n) > capacity)
                    capacity = (uint32_t)lilv_node_as_int(n);
            }
            lilv_nodes_free(sizes);
            q->capacity = round_up8(capacity < 64 ? 64 : capacity);
            q->seq = calloc(1, q->capacity);
            ok = q->seq != NULL;
            if (ok && q->input)
                lv2_atom_forge_init(&q->forge, &w->map); /* maps its URIs: here, not in run */
        } else {
            q->kind = PORT_UNKNOWN;
            if (!lilv_port_has_property(plugin, lp, w->connection_optional)) {
                snprintf(why, LV2HOST_MESSAGE_SIZE, "%s: port '%s' is of a type this host does not know", p->name,
                         q->symbol ? q->symbol : "?");
                ok = false;
            }
        }
        ok = ok && q->symbol;
    }
    free(mins);
    free(maxs);
    free(defs);
    if (!ok && !why[0])
        snprintf(why, LV2HOST_MESSAGE_SIZE, "%s: out of memory for the port buffers", p->name);
    return ok;
}

/* An empty sequence, ready for events (inputs) or for the plugin to fill (outputs). */
static void reset_sequence(lv2host_plugin *p, port *q)
{
    if (q->input) {
        lv2_atom_forge_set_buffer(&q->forge, (uint8_t *)q->seq, q->capacity);
        lv2_atom_forge_sequence_head(&q->forge, &q->frame, 0);
        q->last_frame = 0;
    } else {
        q->seq->atom.size = q->capacity - (uint32_t)sizeof(LV2_Atom);
        q->seq->atom.type = p->world->urids.atom_Chunk;
    }
}

void lv2host_connect_all(lv2host_plugin *plugin)
{
    for (uint32_t i = 0; i < plugin->port_count; i++) {
        port *q = &plugin->ports[i];
        void *data = q->kind == PORT_CONTROL ? (void *)&q->value
                     : q->kind == PORT_ATOM  ? (void *)q->seq
                                             : (void *)q->samples;
        lilv_instance_connect_port(plugin->instance, i, data);
    }
}

/* ---- Instances ---- */

static bool feature_offered(const lv2host_plugin *p, const char *uri)
{
    for (int i = 0; p->features[i]; i++)
        if (!strcmp(p->features[i]->URI, uri))
            return true;
    return false;
}

lv2host_plugin *lv2host_plugin_new(lv2host_world *world, const char *uri, const lv2host_config *config, char *why)
{
    why[0] = 0;
    if (!config || config->max_block < 1 || config->min_block > config->max_block || !(config->sample_rate > 0)) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "bad host configuration for %s", uri);
        return NULL;
    }
    LilvNode *uri_node = lilv_new_uri(world->lilv, uri);
    const LilvPlugin *plugin =
        uri_node ? lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world->lilv), uri_node) : NULL;
    lilv_node_free(uri_node);
    if (!plugin) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "no plugin <%.200s> on the LV2 path (%.250s)", uri, world->lv2_path);
        return NULL;
    }
    lv2host_plugin *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "out of memory");
        return NULL;
    }
    p->world = world;
    p->lilv_plugin = plugin;
    p->config = *config;
    LilvNode *name = lilv_plugin_get_name(plugin);
    snprintf(p->name, sizeof p->name, "%s", config->name ? config->name : name ? lilv_node_as_string(name) : uri);
    lilv_node_free(name);
    char *bundle = lilv_file_uri_parse(lilv_node_as_uri(lilv_plugin_get_bundle_uri(plugin)), NULL);
    if (bundle) {
        size_t n = strlen(bundle);
        p->bundle = malloc(n + 2);
        if (p->bundle)
            snprintf(p->bundle, n + 2, "%s%s", bundle, n && bundle[n - 1] == '/' ? "" : "/");
        lilv_free(bundle);
    }
    pthread_mutex_init(&p->work_lock, NULL);
    pthread_mutex_init(&p->log_lock, NULL);
    sem_init(&p->wake, 0, 0);
    atomic_init(&p->quit, false);
    atomic_init(&p->pending, 0);
    atomic_init(&p->errors, 0);
    atomic_init(&p->warnings, 0);
    atomic_init(&p->rt_log_write, 0);
    atomic_init(&p->rt_log_read, 0);
    atomic_init(&p->rt_log_dropped, 0);
    bool ok = p->bundle && ring_init(&p->requests, RING_BYTES) && ring_init(&p->responses, RING_BYTES) &&
              ring_init(&p->nested, RING_BYTES) && (p->work_buffer = malloc(MESSAGE_MAX)) &&
              (p->nested_buffer = malloc(MESSAGE_MAX)) && (p->response_buffer = malloc(MESSAGE_MAX));
    if (!ok) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "out of memory");
        lv2host_plugin_free(p);
        return NULL;
    }

    /* Features. */
    const lv2host_urids *u = &world->urids;
    p->schedule = (LV2_Worker_Schedule){p, schedule_work};
    p->log = (LV2_Log_Log){p, log_printf, log_vprintf};
    p->min_block = (int32_t)config->min_block;
    p->max_block = (int32_t)config->max_block;
    p->nominal_block = (int32_t)(config->nominal_block ? config->nominal_block : config->max_block);
    p->sequence_size = (int32_t)config->atom_capacity;
    p->sample_rate = (float)config->sample_rate;
    LV2_Options_Option *o = p->options;
    o[0] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, u->bufsz_minBlockLength, sizeof(int32_t), u->atom_Int,
                                &p->min_block};
    o[1] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, u->bufsz_maxBlockLength, sizeof(int32_t), u->atom_Int,
                                &p->max_block};
    o[2] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, u->bufsz_nominalBlockLength, sizeof(int32_t), u->atom_Int,
                                &p->nominal_block};
    o[3] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, u->bufsz_sequenceSize, sizeof(int32_t), u->atom_Int,
                                &p->sequence_size};
    o[4] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, u->param_sampleRate, sizeof(float), u->atom_Float,
                                &p->sample_rate};
    o[5] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL};
    p->feature_map = (LV2_Feature){LV2_URID__map, &world->map};
    p->feature_unmap = (LV2_Feature){LV2_URID__unmap, &world->unmap};
    p->feature_schedule = (LV2_Feature){LV2_WORKER__schedule, &p->schedule};
    p->feature_log = (LV2_Feature){LV2_LOG__log, &p->log};
    p->feature_options = (LV2_Feature){LV2_OPTIONS__options, p->options};
    p->feature_bounded = (LV2_Feature){LV2_BUF_SIZE__boundedBlockLength, NULL};
    const LV2_Feature *features[] = {&p->feature_map,     &p->feature_unmap,   &p->feature_schedule, &p->feature_log,
                                     &p->feature_options, &p->feature_bounded, NULL};
    memcpy(p->features, features, sizeof features);

    LilvNodes *required = lilv_plugin_get_required_features(plugin);
    LILV_FOREACH (nodes, it, required) {
        const char *feature = lilv_node_as_uri(lilv_nodes_get(required, it));
        if (ok && !feature_offered(p, feature)) {
            snprintf(why, LV2HOST_MESSAGE_SIZE, "%s requires the feature <%s>, which this host does not offer",
                     p->name, feature);
            ok = false;
        }
    }
    lilv_nodes_free(required);
    if (!ok || !make_ports(p, why)) {
        lv2host_plugin_free(p);
        return NULL;
    }
    p->instance = lilv_plugin_instantiate(plugin, config->sample_rate, p->features);
    if (!p->instance) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "%s: instantiate failed at %g Hz", p->name, config->sample_rate);
        lv2host_plugin_free(p);
        return NULL;
    }
    p->worker = lilv_instance_get_extension_data(p->instance, LV2_WORKER__interface);
    for (uint32_t i = 0; i < p->port_count; i++)
        if (p->ports[i].kind == PORT_ATOM)
            reset_sequence(p, &p->ports[i]);
    lv2host_connect_all(p);
    run_requests(p); /* whatever instantiate scheduled */
    if (config->worker == LV2HOST_WORKER_THREAD) {
        if (pthread_create(&p->thread, NULL, worker_thread, p) != 0) {
            snprintf(why, LV2HOST_MESSAGE_SIZE, "%s: cannot start the worker thread", p->name);
            lv2host_plugin_free(p);
            return NULL;
        }
        p->thread_running = true;
    }
    return p;
}

void lv2host_plugin_free(lv2host_plugin *plugin)
{
    if (!plugin)
        return;
    if (plugin->thread_running) {
        atomic_store(&plugin->quit, true);
        sem_post(&plugin->wake);
        pthread_join(plugin->thread, NULL);
    }
    if (plugin->instance) {
        if (plugin->active)
            lilv_instance_deactivate(plugin->instance);
        run_requests(plugin); /* let the plugin free what it handed to its worker */
        lilv_instance_free(plugin->instance);
    }
    flush_rt_log(plugin);
    for (uint32_t i = 0; plugin->ports && i < plugin->port_count; i++) {
        free(plugin->ports[i].symbol);
        free(plugin->ports[i].samples);
        free(plugin->ports[i].seq);
    }
    free(plugin->ports);
    free(plugin->requests.bytes);
    free(plugin->responses.bytes);
    free(plugin->nested.bytes);
    free(plugin->work_buffer);
    free(plugin->nested_buffer);
    free(plugin->response_buffer);
    free(plugin->bundle);
    sem_destroy(&plugin->wake);
    pthread_mutex_destroy(&plugin->work_lock);
    pthread_mutex_destroy(&plugin->log_lock);
    free(plugin);
}

const char *lv2host_plugin_name(const lv2host_plugin *plugin) { return plugin->name; }
const char *lv2host_plugin_bundle(const lv2host_plugin *plugin) { return plugin->bundle; }
LilvInstance *lv2host_plugin_instance(lv2host_plugin *plugin) { return plugin->instance; }

int lv2host_port(const lv2host_plugin *plugin, const char *symbol)
{
    for (uint32_t i = 0; i < plugin->port_count; i++)
        if (!strcmp(plugin->ports[i].symbol, symbol))
            return (int)i;
    return -1;
}

bool lv2host_set(lv2host_plugin *plugin, const char *symbol, float value)
{
    int i = lv2host_port(plugin, symbol);
    if (i < 0 || plugin->ports[i].kind != PORT_CONTROL || !plugin->ports[i].input)
        return false;
    plugin->ports[i].value = value;
    return true;
}

float *lv2host_control(lv2host_plugin *plugin, int port_index)
{
    if (port_index < 0 || (uint32_t)port_index >= plugin->port_count || plugin->ports[port_index].kind != PORT_CONTROL)
        return NULL;
    return &plugin->ports[port_index].value;
}

bool lv2host_control_range(const lv2host_plugin *plugin, int port_index, float *min, float *max, float *def)
{
    if (port_index < 0 || (uint32_t)port_index >= plugin->port_count || plugin->ports[port_index].kind != PORT_CONTROL)
        return false;
    const port *q = &plugin->ports[port_index];
    *min = q->min, *max = q->max, *def = q->def;
    return true;
}

void lv2host_activate(lv2host_plugin *plugin)
{
    if (!plugin->active)
        lilv_instance_activate(plugin->instance);
    plugin->active = true;
}

void lv2host_deactivate(lv2host_plugin *plugin)
{
    if (plugin->active)
        lilv_instance_deactivate(plugin->instance);
    plugin->active = false;
}

static void deliver_responses(lv2host_plugin *p)
{
    uint32_t size;
    while (ring_get(&p->responses, p->response_buffer, MESSAGE_MAX, &size))
        if (p->worker && p->worker->work_response)
            p->worker->work_response(lilv_instance_get_handle(p->instance), size, p->response_buffer);
}

void lv2host_run(lv2host_plugin *plugin, uint32_t frames)
{
    lv2host_plugin *outer = running_plugin;
    running_plugin = plugin;
    for (uint32_t i = 0; i < plugin->port_count; i++)
        if (plugin->ports[i].kind == PORT_ATOM && !plugin->ports[i].input)
            reset_sequence(plugin, &plugin->ports[i]);
    if (plugin->config.responses_before_run)
        deliver_responses(plugin);
    lilv_instance_run(plugin->instance, frames);
    if (!plugin->config.responses_before_run)
        deliver_responses(plugin);
    if (plugin->worker && plugin->worker->end_run)
        plugin->worker->end_run(lilv_instance_get_handle(plugin->instance));
    for (uint32_t i = 0; i < plugin->port_count; i++)
        if (plugin->ports[i].kind == PORT_ATOM && plugin->ports[i].input)
            reset_sequence(plugin, &plugin->ports[i]);
    running_plugin = outer;
}

void lv2host_idle(lv2host_plugin *plugin)
{
    flush_rt_log(plugin);
    if (plugin->config.worker == LV2HOST_WORKER_SYNC)
        run_requests(plugin);
    flush_rt_log(plugin);
}

void lv2host_worker_drain(lv2host_plugin *plugin)
{
    if (plugin->config.worker == LV2HOST_WORKER_SYNC || !plugin->thread_running) {
        run_requests(plugin);
        return;
    }
    while (atomic_load(&plugin->pending) > 0) {
        struct timespec tick = {0, 200000};
        nanosleep(&tick, NULL);
    }
}

int lv2host_worker_pending(const lv2host_plugin *plugin) { return atomic_load(&plugin->pending); }

/* ---- Input sequences ---- */

/* The atom input `index` if `frame` may follow its last event and `bytes` more fit. */
static port *input_for(lv2host_plugin *p, int index, uint32_t frame, uint32_t bytes)
{
    if (index < 0 || (uint32_t)index >= p->port_count)
        return NULL;
    port *q = &p->ports[index];
    if (q->kind != PORT_ATOM || !q->input || frame < q->last_frame)
        return NULL;
    if ((uint64_t)q->forge.offset + sizeof(LV2_Atom_Event) + round_up8(bytes) > q->forge.size)
        return NULL;
    q->last_frame = frame;
    return q;
}

bool lv2host_send_midi(lv2host_plugin *plugin, int port_index, uint32_t frame, const uint8_t *message, uint32_t size)
{
    port *q = input_for(plugin, port_index, frame, size);
    if (!q)
        return false;
    lv2_atom_forge_frame_time(&q->forge, frame);
    lv2_atom_forge_atom(&q->forge, size, plugin->world->urids.midi_MidiEvent);
    lv2_atom_forge_write(&q->forge, message, size);
    return true;
}

/* Object body (8), then per property: key, context and the value's atom header (16) plus the
 * value's body padded to 8 bytes. */
enum { OBJECT_BYTES = 8, PROPERTY_BYTES = 16 };

bool lv2host_send_position(lv2host_plugin *plugin, int port_index, uint32_t frame, const lv2host_position *position)
{
    port *q = input_for(plugin, port_index, frame, OBJECT_BYTES + 7 * (PROPERTY_BYTES + 8));
    if (!q)
        return false;
    const lv2host_urids *u = &plugin->world->urids;
    LV2_Atom_Forge *f = &q->forge;
    LV2_Atom_Forge_Frame object;
    lv2_atom_forge_frame_time(f, frame);
    lv2_atom_forge_object(f, &object, 0, u->time_Position);
    lv2_atom_forge_key(f, u->time_frame);
    lv2_atom_forge_long(f, position->frame);
    lv2_atom_forge_key(f, u->time_speed);
    lv2_atom_forge_float(f, position->speed);
    lv2_atom_forge_key(f, u->time_bar);
    lv2_atom_forge_long(f, position->bar);
    lv2_atom_forge_key(f, u->time_barBeat);
    lv2_atom_forge_float(f, position->bar_beat);
    lv2_atom_forge_key(f, u->time_beatUnit);
    lv2_atom_forge_int(f, position->beat_unit);
    lv2_atom_forge_key(f, u->time_beatsPerBar);
    lv2_atom_forge_float(f, position->beats_per_bar);
    lv2_atom_forge_key(f, u->time_beatsPerMinute);
    lv2_atom_forge_float(f, position->bpm);
    lv2_atom_forge_pop(f, &object);
    return true;
}

static bool send_set(lv2host_plugin *p, int port_index, uint32_t frame, LV2_URID property, LV2_URID type,
                     const char *text)
{
    uint32_t length = (uint32_t)strlen(text);
    port *q = input_for(p, port_index, frame, OBJECT_BYTES + 2 * PROPERTY_BYTES + 8 + round_up8(length + 1));
    if (!q)
        return false;
    const lv2host_urids *u = &p->world->urids;
    LV2_Atom_Forge *f = &q->forge;
    LV2_Atom_Forge_Frame object;
    lv2_atom_forge_frame_time(f, frame);
    lv2_atom_forge_object(f, &object, 0, u->patch_Set);
    lv2_atom_forge_key(f, u->patch_property);
    lv2_atom_forge_urid(f, property);
    lv2_atom_forge_key(f, u->patch_value);
    if (type == u->atom_Path)
        lv2_atom_forge_path(f, text, length);
    else
        lv2_atom_forge_string(f, text, length);
    lv2_atom_forge_pop(f, &object);
    return true;
}

bool lv2host_send_set_path(lv2host_plugin *plugin, int port_index, uint32_t frame, LV2_URID property, const char *path)
{
    return send_set(plugin, port_index, frame, property, plugin->world->urids.atom_Path, path);
}

bool lv2host_send_set_string(lv2host_plugin *plugin, int port_index, uint32_t frame, LV2_URID property,
                             const char *text)
{
    return send_set(plugin, port_index, frame, property, plugin->world->urids.atom_String, text);
}

bool lv2host_send_get(lv2host_plugin *plugin, int port_index, uint32_t frame, LV2_URID property)
{
    port *q = input_for(plugin, port_index, frame, OBJECT_BYTES + PROPERTY_BYTES + 8);
    if (!q)
        return false;
    const lv2host_urids *u = &plugin->world->urids;
    LV2_Atom_Forge *f = &q->forge;
    LV2_Atom_Forge_Frame object;
    lv2_atom_forge_frame_time(f, frame);
    lv2_atom_forge_object(f, &object, 0, u->patch_Get);
    if (property) {
        lv2_atom_forge_key(f, u->patch_property);
        lv2_atom_forge_urid(f, property);
    }
    lv2_atom_forge_pop(f, &object);
    return true;
}

/* ---- Output sequences ---- */

const LV2_Atom_Sequence *lv2host_sequence(const lv2host_plugin *plugin, int port_index)
{
    if (port_index < 0 || (uint32_t)port_index >= plugin->port_count || plugin->ports[port_index].kind != PORT_ATOM)
        return NULL;
    return plugin->ports[port_index].seq;
}

bool lv2host_read_midi(const lv2host_world *world, const LV2_Atom_Event *event, const uint8_t **message,
                       uint32_t *size)
{
    if (event->body.type != world->urids.midi_MidiEvent)
        return false;
    *message = (const uint8_t *)LV2_ATOM_BODY_CONST(&event->body);
    *size = event->body.size;
    return true;
}

bool lv2host_read_set(const lv2host_world *world, const LV2_Atom *atom, LV2_URID *property, const LV2_Atom **value)
{
    const lv2host_urids *u = &world->urids;
    if ((atom->type != u->atom_Object && atom->type != u->atom_Blank) || atom->size < sizeof(LV2_Atom_Object_Body))
        return false;
    const LV2_Atom_Object *object = (const LV2_Atom_Object *)atom;
    if (object->body.otype != u->patch_Set)
        return false;
    const LV2_Atom *key = NULL, *found = NULL;
    lv2_atom_object_get(object, u->patch_property, &key, u->patch_value, &found, 0);
    if (!key || key->type != u->atom_URID || !found)
        return false;
    *property = ((const LV2_Atom_URID *)key)->body;
    *value = found;
    return true;
}

/* ---- State and presets ---------------------------------------------------------------------------- */

uint32_t lv2host_port_count(const lv2host_plugin *plugin) { return plugin->port_count; }

/* lilv asks for each control input's value by symbol and copies it at once. */
static const void *get_port_value(const char *symbol, void *user, uint32_t *size, uint32_t *type)
{
    lv2host_plugin *p = user;
    int i = lv2host_port(p, symbol);
    if (i < 0 || p->ports[i].kind != PORT_CONTROL)
        return NULL;
    *size = sizeof(float);
    *type = p->world->urids.atom_Float;
    return &p->ports[i].value;
}

bool lv2host_state_save(lv2host_plugin *plugin, const char *dir, const char *file, char *why)
{
    lv2host_world *w = plugin->world;
    LilvState *state = lilv_state_new_from_instance(plugin->lilv_plugin, plugin->instance, &w->map, NULL, dir, dir,
                                                    dir, get_port_value, plugin, LV2_STATE_IS_POD, NULL);
    if (!state) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "%s: lilv_state_new_from_instance failed", plugin->name);
        return false;
    }
    int failed = lilv_state_save(w->lilv, &w->map, &w->unmap, state, NULL, dir, file);
    lilv_state_free(state);
    if (failed) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "%s: lilv_state_save of %.150s/%.150s failed", plugin->name, dir, file);
        return false;
    }
    return true;
}

LilvState *lv2host_state_load(lv2host_world *world, const char *path, char *why)
{
    LilvState *state = lilv_state_new_from_file(world->lilv, &world->map, NULL, path);
    if (!state)
        snprintf(why, LV2HOST_MESSAGE_SIZE, "cannot read the state %.400s", path);
    return state;
}

LilvNodes *lv2host_presets(lv2host_world *world, const char *plugin_uri)
{
    LilvNode *uri = lilv_new_uri(world->lilv, plugin_uri);
    const LilvPlugin *plugin = uri ? lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world->lilv), uri) : NULL;
    lilv_node_free(uri);
    if (!plugin)
        return NULL;
    LilvNode *preset_class = lilv_new_uri(world->lilv, LV2_PRESETS__Preset);
    LilvNodes *presets = lilv_plugin_get_related(plugin, preset_class);
    lilv_node_free(preset_class);
    return presets;
}

LilvState *lv2host_preset_load(lv2host_world *world, const char *preset_uri, char *why)
{
    LilvNode *preset = lilv_new_uri(world->lilv, preset_uri);
    LilvState *state = NULL;
    if (preset) {
        lilv_world_load_resource(world->lilv, preset); /* the preset's own file, not only the manifest */
        state = lilv_state_new_from_world(world->lilv, &world->map, preset);
        lilv_node_free(preset);
    }
    if (!state)
        snprintf(why, LV2HOST_MESSAGE_SIZE, "cannot load the preset <%.400s>", preset_uri);
    return state;
}

typedef struct restoring {
    lv2host_plugin *plugin;
    int set;
    char *why; /* the first port value that was not a number */
} restoring;

static void set_port_value(const char *symbol, void *user, const void *value, uint32_t size, uint32_t type)
{
    restoring *r = user;
    const lv2host_urids *u = &r->plugin->world->urids;
    double v = type == u->atom_Float && size == sizeof(float)     ? *(const float *)value
               : type == u->atom_Double && size == sizeof(double) ? *(const double *)value
               : type == u->atom_Int && size == sizeof(int32_t)   ? *(const int32_t *)value
               : type == u->atom_Long && size == sizeof(int64_t)  ? (double)*(const int64_t *)value
                                                                  : NAN;
    if (isnan(v)) {
        const char *name = unmap_urid(r->plugin->world, type);
        if (!r->why[0])
            snprintf(r->why, LV2HOST_MESSAGE_SIZE, "port \"%.100s\": a value of type %.300s, size %u", symbol,
                     name ? name : "(unmapped)", size);
        return;
    }
    r->set += lv2host_set(r->plugin, symbol, (float)v);
}

int lv2host_state_restore(lv2host_plugin *plugin, const LilvState *state, char *why)
{
    restoring r = {plugin, 0, why};
    why[0] = 0;
    lilv_state_restore(state, plugin->instance, set_port_value, &r, 0, NULL);
    return r.set;
}

/* ---- Transport ---------------------------------------------------------------------------------- */

void lv2host_transport_init(lv2host_transport *transport, double sample_rate, double bpm, double beats_per_bar,
                            int beat_unit)
{
    *transport = (lv2host_transport){sample_rate, bpm, beats_per_bar, beat_unit, 0.0, 0, false};
}

lv2host_position lv2host_transport_position(const lv2host_transport *t)
{
    double bar = floor(t->beats / t->beats_per_bar);
    return (lv2host_position){
        .frame = t->frame,
        .speed = t->rolling ? 1.0f : 0.0f,
        .bar = (int64_t)bar,
        .bar_beat = (float)(t->beats - bar * t->beats_per_bar),
        .beat_unit = t->beat_unit,
        .beats_per_bar = (float)t->beats_per_bar,
        .bpm = (float)t->bpm,
    };
}

void lv2host_transport_advance(lv2host_transport *t, uint32_t frames)
{
    if (!t->rolling)
        return;
    t->frame += frames;
    t->beats += frames * t->bpm / (60.0 * t->sample_rate);
}

double lv2host_transport_frames_to(const lv2host_transport *t, double beats)
{
    return ceil((beats - t->beats) * 60.0 * t->sample_rate / t->bpm);
}

/* ---- Notes ---------------------------------------------------------------------------------------- */

void lv2host_notes_init(lv2host_notes *notes) { memset(notes, 0, sizeof *notes); }

void lv2host_notes_apply(lv2host_notes *notes, const uint8_t *message, uint32_t size)
{
    if (size < 1)
        return;
    int status = message[0] & 0xF0, channel = message[0] & 0x0F;
    if ((status == 0x90 || status == 0x80) && size >= 3 && message[1] < 128) {
        uint8_t *sounding = &notes->sounding[channel][message[1]];
        if (status == 0x90 && message[2] > 0) {
            notes->note_ons++;
            if (*sounding)
                notes->double_ons++;
            else
                *sounding = 1;
        } else {
            notes->note_offs++;
            if (*sounding)
                *sounding = 0;
            else
                notes->stray_offs++;
        }
    } else if (status == 0xB0 && size >= 3 && (message[1] == 120 || message[1] == 123)) {
        memset(notes->sounding[channel], 0, sizeof notes->sounding[channel]);
    } else {
        notes->other++;
    }
}

int lv2host_notes_sounding(const lv2host_notes *notes)
{
    int n = 0;
    for (int c = 0; c < 16; c++)
        for (int k = 0; k < 128; k++)
            n += notes->sounding[c][k];
    return n;
}

/* ---- Model files ------------------------------------------------------------------------------------ */

/* From magenta/models/<model>/<model>_model.py: the sizes of each encoder (input, classes) and the
 * hparams' rnn_layer_sizes and attn_length. */
static const struct {
    const char *plugin;
    lv2host_model_shape shape;
} largest[] = {
    {"melody_rnn", {"attention_rnn", 74, 40, 2, {128, 128}, 40}},
    {"drums_rnn", {"drum_kit", 518, 512, 3, {256, 256, 256}, 32}},
    {"improv_rnn", {"chord_pitches_improv", 75, 38, 3, {256, 256, 256}, 0}},
    {"performance_rnn", {"performance_with_dynamics", 388, 388, 3, {512, 512, 512}, 0}},
    {"piano_genie", {"piano_genie", 123, 88, 2, {128, 128}, 0, 128}},
};

const lv2host_model_shape *lv2host_largest_model(const char *plugin)
{
    for (size_t i = 0; i < sizeof largest / sizeof *largest; i++)
        if (!strcmp(largest[i].plugin, plugin))
            return &largest[i].shape;
    return NULL;
}

typedef struct model_writer {
    nn_writer *w;
    uint64_t state;
    float scale;
    nn_status status;
    char tensor[NN_TENSOR_NAME_MAX + 1];
} model_writer;

/* A random tensor: matrices stored f16, vectors f32, as nn-train exports them. */
static void add_tensor(model_writer *m, const char *name, int rows, int cols)
{
    if (m->status != NN_OK)
        return;
    size_t n = (size_t)rows * (size_t)(cols ? cols : 1);
    float *data = malloc(n * sizeof *data);
    if (!data) {
        m->status = NN_ERR_MEMORY;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        m->state = m->state * 6364136223846793005ull + 1442695040888963407ull;
        data[i] = m->scale * ((float)(m->state >> 40) / 8388608.0f - 1.0f);
    }
    int dims[2] = {rows, cols};
    m->status = nn_writer_add(m->w, name, cols ? NN_F16 : NN_F32, cols ? 2 : 1, dims, data);
    snprintf(m->tensor, sizeof m->tensor, "%s", name);
    free(data);
}

bool lv2host_write_model(const char *path, const lv2host_model_shape *shape, uint64_t seed, float scale, char *why)
{
    if (!shape || shape->num_layers < 1 || shape->num_layers > 8) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "%s: bad model shape", path);
        return false;
    }
    model_writer m = {.state = seed * 0x9e3779b97f4a7c15ull + 1, .scale = scale};
    m.status = nn_writer_new(NN_KIND_EVENT_RNN, &m.w);
    if (m.status == NN_OK)
        m.status = nn_writer_set_int(m.w, "input_size", shape->input_size);
    if (m.status == NN_OK)
        m.status = nn_writer_set_int(m.w, "num_classes", shape->num_classes);
    if (m.status == NN_OK)
        m.status = nn_writer_set_int(m.w, "num_layers", shape->num_layers);
    if (m.status == NN_OK)
        m.status = nn_writer_set_float(m.w, "forget_bias", 1.0);
    if (m.status == NN_OK && shape->attn_length > 0)
        m.status = nn_writer_set_int(m.w, "attn_length", shape->attn_length);
    if (m.status == NN_OK) {
        /* A model file's strings hold NN_HPARAM_STRING_MAX characters: longer configuration
         * names (performance_with_dynamics) are cut there, as nn-train and the importer write them. */
        char encoding[NN_HPARAM_STRING_MAX + 1];
        snprintf(encoding, sizeof encoding, "%s", shape->encoding);
        m.status = nn_writer_set_string(m.w, "encoding", encoding);
    }
    char name[NN_TENSOR_NAME_MAX + 1];
    int in = shape->input_size, u0 = shape->units[0];
    if (shape->projection > 0) { /* the first cell reads x · input/kernel + input/bias, of its width */
        add_tensor(&m, "input/kernel", in, u0);
        add_tensor(&m, "input/bias", u0, 0);
        in = u0;
    }
    if (shape->attn_length > 0) {
        add_tensor(&m, "rnn/cell_0/attention/input_kernel", in + u0, in);
        add_tensor(&m, "rnn/cell_0/attention/input_bias", in, 0);
        add_tensor(&m, "rnn/cell_0/attention/attn_w", u0, u0);
        add_tensor(&m, "rnn/cell_0/attention/attn_v", u0, 0);
        add_tensor(&m, "rnn/cell_0/attention/query_kernel", 2 * u0, u0);
        add_tensor(&m, "rnn/cell_0/attention/query_bias", u0, 0);
        add_tensor(&m, "rnn/cell_0/attention/output_kernel", 2 * u0, u0);
        add_tensor(&m, "rnn/cell_0/attention/output_bias", u0, 0);
    }
    for (int k = 0; k < shape->num_layers; k++) {
        int units = shape->units[k];
        snprintf(name, sizeof name, "rnn/cell_%d/kernel", k);
        add_tensor(&m, name, in + units, 4 * units);
        snprintf(name, sizeof name, "rnn/cell_%d/bias", k);
        add_tensor(&m, name, 4 * units, 0);
        in = units;
    }
    add_tensor(&m, "output/kernel", in, shape->num_classes);
    add_tensor(&m, "output/bias", shape->num_classes, 0);
    char message[NN_MESSAGE_SIZE] = "";
    if (m.status == NN_OK)
        m.status = nn_writer_save(m.w, path, message);
    nn_writer_free(m.w);
    if (m.status != NN_OK) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "%s: %s%s%s", path, message[0] ? message : nn_status_text(m.status),
                 m.tensor[0] && !message[0] ? " after tensor " : "", m.tensor[0] && !message[0] ? m.tensor : "");
        return false;
    }
    return true;
}
