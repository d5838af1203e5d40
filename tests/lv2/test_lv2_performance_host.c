/* test_lv2_performance_host.c — the Performance RNN plugin in a host (tools/lv2host: found by URI
 * in LV2_PATH, synchronous worker, responses after run as Jalv delivers them), at 48 kHz, blocks
 * of varying length, the transport rolling at 120 bpm.
 *
 * Checks: the bundle's starter model loads, or its absence is logged naming the file; patch:Set
 * of a model (random weights of performance_with_dynamics' encoding, small layers so the test is
 * quick; written here) swaps it in and notify names it; free-running, notes come, every note-on
 * and note-off while rolling lies exactly on the 10 ms grid (480 frames at 48 kHz) counted from
 * the transport's position 0 (the transport starts a quarter of a beat in: the grid is 240 frames
 * off the start frame), on the plugin's channel, events inside their block and in time order, no
 * note-on of a sounding note and no stray note-off; stopping the transport releases every note at
 * the stop's frame and nothing starts after; deactivate releases every note (the note-offs at the
 * next run); a missing file and another plugin's model are logged naming the file while the
 * current model keeps playing; state saved with lilv and restored into a new instance brings back
 * the model path and the ports (the conditioning controls among them), and the new instance plays
 * with them; every preset applies and plays.
 *
 * Usage: test_lv2_performance_host   (LV2_PATH set to the build's lv2 folder)
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "../tool_test.h"

#include "../check.h"

#include "lv2host.h"

#include <lilv/lilv.h>
#include <lv2/atom/util.h>
#include <lv2/presets/presets.h>
#include <lv2/state/state.h>

#include <limits.h>
#include <math.h>

#define URI "http://magenta-lv2.org/plugins/performance_rnn"
#define MODEL_URI "http://magenta-lv2.org/plugins#model"
#define STARTER "performance_with_dynamics.nnm"
#define RATE 48000.0
#define BPM 120.0
#define STEP_FRAMES 480 /* 10 ms at 48 kHz */
#define START_BEAT 0.25 /* the transport starts here: 6000 frames after position 0 at 120 bpm */
#define MAX_EVENTS 16384

typedef struct event {
    int64_t frame;
    uint8_t m[3];
} event;

typedef struct session {
    lv2host_world *world;
    lv2host_plugin *p;
    int control, midi_out, notify;
    LV2_URID model_urid;
    int64_t frame;        /* frames run so far */
    int64_t origin;       /* the frame of the transport's position 0; INT64_MIN: not rolling */
    lv2host_notes notes;
    event out[MAX_EVENTS];
    int count;
    int off_grid, wrong_channel, expect_channel;
    char notified[PATH_MAX];
    uint64_t rng;
} session;

static uint32_t next_block(session *s)
{
    s->rng = s->rng * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t r = (uint32_t)(s->rng >> 33);
    return r % 9 == 0 ? 4096 : 1 + r % 1024; /* 1 .. 1024, and now and then the host's maximum */
}

static bool session_open(session *s, lv2host_world *world, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->world = world;
    s->rng = seed;
    s->origin = INT64_MIN;
    char why[LV2HOST_MESSAGE_SIZE];
    lv2host_config config = lv2host_config_default(RATE, 4096);
    config.quiet = true;
    s->p = lv2host_plugin_new(world, URI, &config, why);
    CHECK(s->p != NULL, "cannot instantiate: %s", why);
    if (!s->p)
        return false;
    s->control = lv2host_port(s->p, "control");
    s->midi_out = lv2host_port(s->p, "midi_out");
    s->notify = lv2host_port(s->p, "notify");
    s->model_urid = lv2host_map(world, MODEL_URI);
    lv2host_notes_init(&s->notes);
    lv2host_activate(s->p);
    return true;
}

/* One run of `frames` with what was sent, then the worker; the output checked and recorded in
 * absolute frames. */
static void run(session *s, uint32_t frames)
{
    lv2host_run(s->p, frames);
    int64_t last = 0;
    LV2_ATOM_SEQUENCE_FOREACH (lv2host_sequence(s->p, s->midi_out), ev) {
        const uint8_t *m;
        uint32_t size;
        CHECK(ev->time.frames >= last && ev->time.frames < frames, "an event at frame %lld of a block of %u (after %lld)",
              (long long)ev->time.frames, frames, (long long)last);
        last = ev->time.frames;
        if (!lv2host_read_midi(s->world, ev, &m, &size) || size != 3)
            continue;
        int64_t at = s->frame + ev->time.frames;
        long doubles = s->notes.double_ons, strays = s->notes.stray_offs;
        lv2host_notes_apply(&s->notes, m, size);
        CHECK(s->notes.double_ons == doubles && s->notes.stray_offs == strays,
              "frame %lld: %02x %d %d is a note-on of a sounding note or a stray note-off", (long long)at, m[0], m[1], m[2]);
        bool note = (m[0] & 0xE0) == 0x80; /* note-on or note-off */
        if (note && s->origin != INT64_MIN && (at - s->origin) % STEP_FRAMES != 0 && s->off_grid++ < 5)
            fprintf(stderr, "  off the grid: %02x %d %d at frame %lld, %lld frames after step %lld\n", m[0], m[1], m[2],
                    (long long)at, (long long)((at - s->origin) % STEP_FRAMES), (long long)((at - s->origin) / STEP_FRAMES));
        if (note && s->expect_channel && (m[0] & 15) + 1 != s->expect_channel)
            s->wrong_channel++;
        if (s->count < MAX_EVENTS) {
            s->out[s->count].frame = at;
            memcpy(s->out[s->count++].m, m, 3);
        }
    }
    LV2_ATOM_SEQUENCE_FOREACH (lv2host_sequence(s->p, s->notify), ev) {
        LV2_URID property;
        const LV2_Atom *value;
        if (lv2host_read_set(s->world, &ev->body, &property, &value) && property == s->model_urid) {
            uint32_t n = value->size < PATH_MAX - 1 ? value->size : PATH_MAX - 1;
            memcpy(s->notified, LV2_ATOM_BODY_CONST(value), n);
            s->notified[n] = 0;
        }
    }
    lv2host_idle(s->p);
    s->frame += frames;
}

/* Run `frames` in blocks of varying length. */
static void run_for(session *s, int64_t frames)
{
    for (int64_t end = s->frame + frames; s->frame < end;) {
        uint32_t n = next_block(s);
        run(s, n < end - s->frame ? n : (uint32_t)(end - s->frame));
    }
}

static void set_model(session *s, const char *path)
{
    lv2host_send_set_path(s->p, s->control, 10, s->model_urid, path);
    run(s, 64);
    run(s, 64); /* the answer arrives after this run */
    run(s, 64); /* and the notification goes out in this one */
}

static lv2host_position position(bool rolling)
{
    lv2host_transport t;
    lv2host_transport_init(&t, RATE, BPM, 4.0, 4);
    t.beats = START_BEAT;
    t.rolling = rolling;
    return lv2host_transport_position(&t);
}

/* The transport rolls from START_BEAT at the next run's first frame: position 0 was 6000 frames
 * earlier, and the grid counts from there. */
static void start(session *s)
{
    lv2host_position p = position(true);
    lv2host_send_position(s->p, s->control, 0, &p);
    s->origin = s->frame - (int64_t)lrint(START_BEAT * 60.0 / BPM * RATE);
    run(s, 256);
}

/* Stop at frame `at` of a run of `frames`: every note sounding then must end exactly there (no
 * event after the stop's frame, nothing sounding half a second later); returns the note-offs at it. */
static int stop(session *s, uint32_t at, uint32_t frames, const char *when)
{
    lv2host_position p = position(false);
    lv2host_send_position(s->p, s->control, at, &p);
    int from = s->count;
    int64_t stop_frame = s->frame + at;
    s->origin = INT64_MIN; /* the note-offs at the stop lie off the grid */
    run(s, frames);
    run_for(s, (int64_t)RATE / 2);
    int offs_at_stop = 0, late = 0;
    for (int i = from; i < s->count; i++) {
        bool on = (s->out[i].m[0] & 0xF0) == 0x90 && s->out[i].m[2] > 0;
        offs_at_stop += !on && s->out[i].frame == stop_frame;
        late += s->out[i].frame > stop_frame || (on && s->out[i].frame == stop_frame);
    }
    CHECK(lv2host_notes_sounding(&s->notes) == 0 && late == 0,
          "%s: %d note-offs at the stop's frame, %d events after it, %d notes still sounding", when, offs_at_stop, late,
          lv2host_notes_sounding(&s->notes));
    return offs_at_stop;
}

static int note_ons(const session *s, int from)
{
    int n = 0;
    for (int i = from; i < s->count; i++)
        n += (s->out[i].m[0] & 0xF0) == 0x90 && s->out[i].m[2] > 0;
    return n;
}

/* Roll for `seconds` from a fresh start, then stop; the notes must be on the grid. */
static int play(session *s, double seconds, const char *when)
{
    int from = s->count, off_grid = s->off_grid, wrong_channel = s->wrong_channel;
    start(s);
    run_for(s, (int64_t)(seconds * RATE));
    int ons = note_ons(s, from);
    stop(s, 100, 512, when);
    CHECK(s->off_grid == off_grid, "%s: %d note events off the 10 ms grid", when, s->off_grid - off_grid);
    CHECK(s->wrong_channel == wrong_channel, "%s: %d note events not on channel %d", when,
          s->wrong_channel - wrong_channel, s->expect_channel);
    return ons;
}

/* ---- State and presets (lilv) ------------------------------------------------------------------- */

static const void *get_port_value(const char *symbol, void *user, uint32_t *size, uint32_t *type)
{
    session *s = user;
    static float value;
    int port = lv2host_port(s->p, symbol);
    float *v = port >= 0 ? lv2host_control(s->p, port) : NULL;
    float lo, hi, def;
    if (!v || !lv2host_control_range(s->p, port, &lo, &hi, &def))
        return NULL;
    value = *v;
    *size = sizeof value;
    *type = lv2host_world_urids(s->world)->atom_Float;
    return &value;
}

static int ports_set;

static void set_port_value(const char *symbol, void *user, const void *value, uint32_t size, uint32_t type)
{
    session *s = user;
    const lv2host_urids *u = lv2host_world_urids(s->world);
    double v = type == u->atom_Float && size == sizeof(float)     ? *(const float *)value
               : type == u->atom_Double && size == sizeof(double) ? *(const double *)value
               : type == u->atom_Int && size == sizeof(int32_t)   ? *(const int32_t *)value
               : type == u->atom_Long && size == sizeof(int64_t)  ? (double)*(const int64_t *)value
                                                                  : NAN;
    CHECK(!isnan(v), "port \"%s\": a value of type %s, size %u", symbol, lv2host_unmap(s->world, type), size);
    if (!isnan(v))
        ports_set += lv2host_set(s->p, symbol, (float)v);
}

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri)
{
    return lv2host_map(handle, uri);
}

static const char *unmap_uri(LV2_URID_Unmap_Handle handle, LV2_URID urid)
{
    return lv2host_unmap(handle, urid);
}

static float port(session *s, const char *symbol)
{
    int i = lv2host_port(s->p, symbol);
    return i >= 0 ? *lv2host_control(s->p, i) : NAN;
}

int main(void)
{
    char why[LV2HOST_MESSAGE_SIZE];
    lv2host_world *world = lv2host_world_new(NULL, why);
    if (!world) {
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    make_scratch("test_lv2_performance_host");
    char model[256], other[256], missing[256];
    snprintf(model, sizeof model, "%s/performance.nnm", scratch);
    snprintf(other, sizeof other, "%s/performance copy.nnm", scratch);
    snprintf(missing, sizeof missing, "%s/no-such-performance.nnm", scratch);
    /* performance_with_dynamics' encoding (388 events in and out) on two small layers: the file
     * checks and the plugin's timing are the same as for 3 x 512, the test much quicker. */
    const lv2host_model_shape small = {"performance_with_dynamics", 388, 388, 2, {64, 64}, 0, 0};
    CHECK(lv2host_write_model(model, &small, 3, 0.3f, why) && lv2host_write_model(other, &small, 4, 0.3f, why),
          "writing the models: %s", why);
    session *s = calloc(1, sizeof *s);

    snprintf(context, sizeof context, "the bundle's starter");
    if (!session_open(s, world, 1))
        return check_summary("lv2 performance host");
    char last[LV2HOST_MESSAGE_SIZE];
    lv2host_last_error(s->p, last, sizeof last);
    bool has_starter = lv2host_log_errors(s->p) == 0;
    CHECK(has_starter || strstr(last, STARTER), "no log:Error naming the missing " STARTER ": \"%s\"", last);
    lv2host_send_get(s->p, s->control, 0, s->model_urid);
    run(s, 64);
    CHECK(has_starter == (strstr(s->notified, STARTER) != NULL), "patch:Get answers \"%s\" (starter %s)", s->notified,
          has_starter ? "present" : "absent");
    printf("performance_rnn: the bundle %s " STARTER "\n", has_starter ? "has" : "lacks");
    if (!has_starter) {
        int ons = play(s, 1.0, "without a model");
        CHECK(ons == 0, "%d note-ons without a model", ons);
    }

    snprintf(context, sizeof context, "a model set by patch:Set");
    lv2host_set(s->p, "channel", 2);
    s->expect_channel = 2;
    set_model(s, model);
    CHECK(!strcmp(s->notified, model), "notify names \"%s\", want \"%s\"", s->notified, model);
    int ons = play(s, 4.0, "free run");
    CHECK(ons >= 4, "%d note-ons in 4 s of free run", ons);
    printf("performance_rnn: %d note-ons in 4 s, %ld note-offs, all on the 10 ms grid\n", ons, s->notes.note_offs);

    snprintf(context, sizeof context, "bad files");
    int errors = lv2host_log_errors(s->p);
    set_model(s, missing);
    lv2host_last_error(s->p, last, sizeof last);
    CHECK(lv2host_log_errors(s->p) == errors + 1 && strstr(last, "no-such-performance.nnm"), "missing file: \"%s\"", last);
    char melody[PATH_MAX];
    snprintf(melody, sizeof melody, "%s../melody_rnn.lv2/basic_rnn.nnm", lv2host_plugin_bundle(s->p));
    set_model(s, melody);
    lv2host_last_error(s->p, last, sizeof last);
    CHECK(lv2host_log_errors(s->p) == errors + 2 && strstr(last, "basic_rnn.nnm"), "another plugin's model: \"%s\"", last);
    CHECK(!strcmp(s->notified, model), "after the refusals notify names \"%s\"", s->notified);
    CHECK(play(s, 2.0, "after the refusals") > 0, "no note-on after the refusals");

    snprintf(context, sizeof context, "deactivate");
    start(s);
    for (int i = 0; i < 2000 && lv2host_notes_sounding(&s->notes) == 0; i++)
        run(s, 256);
    int sounding = lv2host_notes_sounding(&s->notes), from = s->count;
    CHECK(sounding > 0, "no note sounding to end");
    lv2host_deactivate(s->p);
    s->origin = INT64_MIN;
    lv2host_activate(s->p);
    run(s, 64);
    int offs = 0;
    for (int i = from; i < s->count; i++)
        offs += s->out[i].frame == s->frame - 64 && !((s->out[i].m[0] & 0xF0) == 0x90 && s->out[i].m[2] > 0);
    CHECK(lv2host_notes_sounding(&s->notes) == 0 && offs == sounding,
          "%d notes sounded at deactivate, %d note-offs at the next run's first frame, %d still sound", sounding, offs,
          lv2host_notes_sounding(&s->notes));

    /* State: saved from s (with `other` as its model), restored into a new instance. */
    snprintf(context, sizeof context, "state");
    LilvWorld *lilv = lilv_world_new();
    lilv_world_load_all(lilv);
    LilvNode *uri = lilv_new_uri(lilv, URI);
    const LilvPlugin *plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(lilv), uri);
    lilv_node_free(uri);
    CHECK(plugin && lilv_plugin_get_num_ports(plugin) == 27, "lilv finds no plugin with 27 ports"); /* loads the ports */
    LV2_URID_Map map = {world, map_uri};
    LV2_URID_Unmap unmap = {world, unmap_uri};
    set_model(s, other);
    static const struct {
        const char *symbol;
        float value;
    } settings[] = {{"temperature", 0.7f}, {"seed", 1234},       {"channel", 5},        {"velocity", 77},
                    {"transpose", 2},      {"pitch_low", 40},    {"pitch_high", 90},    {"notes_per_second", 7},
                    {"pc_e", 0.5f},        {"pc_g", 1.0f},       {"length_bars", 3}};
    enum { SETTINGS = sizeof settings / sizeof settings[0] };
    for (int i = 0; i < SETTINGS; i++)
        CHECK(lv2host_set(s->p, settings[i].symbol, settings[i].value), "no port \"%s\"", settings[i].symbol);
    char dir[PATH_MAX], file[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/state.lv2", scratch);
    LilvState *state = plugin ? lilv_state_new_from_instance(plugin, lv2host_plugin_instance(s->p), &map, NULL, dir,
                                                             dir, dir, get_port_value, s, LV2_STATE_IS_POD, NULL)
                              : NULL;
    CHECK(state && lilv_state_save(lilv, &map, &unmap, state, NULL, dir, "state.ttl") == 0, "saving the state");
    lilv_state_free(state);
    snprintf(file, sizeof file, "%s/state.ttl", dir);
    LilvState *loaded = lilv_state_new_from_file(lilv, &map, NULL, file);
    CHECK(loaded != NULL, "reading back %s", file);
    session *r = calloc(1, sizeof *r);
    if (loaded && session_open(r, world, 5)) {
        ports_set = 0;
        lilv_state_restore(loaded, lv2host_plugin_instance(r->p), set_port_value, r, 0, NULL);
        lv2host_send_get(r->p, r->control, 0, 0);
        run(r, 64);
        char want[PATH_MAX], got[PATH_MAX];
        CHECK(realpath(other, want) && realpath(r->notified, got) && !strcmp(want, got), "restored model \"%s\", saved %s",
              r->notified, other);
        CHECK(ports_set == 24, "%d control ports restored of 24", ports_set);
        for (int i = 0; i < SETTINGS; i++)
            CHECK(port(r, settings[i].symbol) == settings[i].value, "port \"%s\" restored as %g, saved %g",
                  settings[i].symbol, port(r, settings[i].symbol), settings[i].value);
        r->expect_channel = 5;
        from = r->count;
        ons = play(r, 3.0, "restored instance");
        int outside = 0;
        for (int i = from; i < r->count; i++)
            outside += (r->out[i].m[0] & 0xF0) == 0x90 && r->out[i].m[2] > 0 && (r->out[i].m[1] < 40 || r->out[i].m[1] > 90);
        CHECK(ons > 0 && outside == 0, "the restored instance: %d note-ons, %d outside the restored 40 .. 90", ons,
              outside);
        lv2host_plugin_free(r->p);
    }
    lilv_state_free(loaded);
    free(r);

    /* Presets: each applies, and the plugin plays with it. */
    LilvNode *preset_class = lilv_new_uri(lilv, LV2_PRESETS__Preset);
    LilvNodes *presets = plugin ? lilv_plugin_get_related(plugin, preset_class) : NULL;
    CHECK(presets && lilv_nodes_size(presets) >= 3, "%u presets", presets ? lilv_nodes_size(presets) : 0);
    LILV_FOREACH (nodes, it, presets) {
        const LilvNode *preset = lilv_nodes_get(presets, it);
        lilv_world_load_resource(lilv, preset);
        snprintf(context, sizeof context, "preset %s", lilv_node_as_uri(preset));
        LilvState *ps = lilv_state_new_from_world(lilv, &map, preset);
        CHECK(ps != NULL, "lilv_state_new_from_world fails");
        session *q = calloc(1, sizeof *q);
        if (ps && session_open(q, world, 7)) {
            int before = lv2host_log_errors(q->p);
            ports_set = 0;
            lilv_state_restore(ps, lv2host_plugin_instance(q->p), set_port_value, q, 0, NULL);
            run(q, 64);
            CHECK(ports_set >= 1 && lv2host_log_errors(q->p) == before, "%d ports set, %d errors", ports_set,
                  lv2host_log_errors(q->p) - before);
            set_model(q, model);
            q->expect_channel = (int)port(q, "channel");
            if (port(q, "mode") == 2) /* free run plays on its own; the other modes wait for input */
                CHECK(play(q, 3.0, "preset") > 0, "no note in 3 s of free run");
            lv2host_plugin_free(q->p);
        }
        lilv_state_free(ps);
        free(q);
    }
    lilv_nodes_free(presets);
    lilv_node_free(preset_class);
    lilv_world_free(lilv);

    lv2host_plugin_free(s->p);
    free(s);
    lv2host_world_free(world);
    if (!failures)
        remove_tree(scratch);
    else
        printf("scratch files kept in %s\n", scratch);
    return check_summary("lv2 performance host");
}
