/* test_lv2_genie_host.c — the Piano Genie plugin in a host (tools/lv2host: found by URI in
 * LV2_PATH, synchronous worker, responses after run as Jalv delivers them), at 48 kHz, blocks of
 * varying length, no transport at all.
 *
 * Checks: a bundle without a model says in the log that it is silent and is (presses give
 * nothing); patch:Set of a decoder of Piano Genie's shape (random weights, written here) swaps it
 * in and notify names it; then every press of a button gives one note-on in the same run at the
 * press's frame, a key 21 .. 108 on the output channel at the press's velocity, and its release a
 * note-off of that key at the release's frame; presses of other notes give nothing; a missing file
 * and a model of another plugin are logged naming the file while the current model keeps
 * playing; the same seed and presses give the same keys in a new instance with other block
 * lengths; state saved and restored into a new instance brings back the model and the ports;
 * every preset applies and its buttons play; deactivate ends every key (note-offs at the next
 * run); no note-on of a sounding key, no stray note-off, nothing sounding at the end.
 *
 * Usage: test_lv2_genie_host   (LV2_PATH set to the build's lv2 folder)
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

#define URI "http://magenta-lv2.org/plugins/piano_genie"
#define MODEL_URI "http://magenta-lv2.org/plugins#model"
#define RATE 48000.0
#define MAX_EVENTS 8192

typedef struct event {
    int64_t frame;
    uint8_t m[3];
} event;

typedef struct session {
    lv2host_world *world;
    lv2host_plugin *p;
    int control, midi_out, notify;
    LV2_URID model_urid;
    int64_t frame;
    lv2host_notes notes;
    event out[MAX_EVENTS];
    int count;
    char notified[PATH_MAX];
    uint64_t rng;
} session;

static uint32_t next_block(session *s)
{
    s->rng = s->rng * 6364136223846793005ull + 1442695040888963407ull;
    return 1 + (uint32_t)((s->rng >> 33) % 1024);
}

static bool session_open(session *s, lv2host_world *world, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->world = world;
    s->rng = seed;
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

/* One run of `frames` with what was sent, then the worker; the output recorded in absolute frames. */
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
        long doubles = s->notes.double_ons, strays = s->notes.stray_offs;
        lv2host_notes_apply(&s->notes, m, size);
        CHECK(s->notes.double_ons == doubles && s->notes.stray_offs == strays,
              "frame %lld: %02x %d %d is a note-on of a sounding key or a stray note-off", (long long)(s->frame + ev->time.frames),
              m[0], m[1], m[2]);
        if (s->count < MAX_EVENTS) {
            s->out[s->count].frame = s->frame + ev->time.frames;
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

static void set_model(session *s, const char *path)
{
    lv2host_send_set_path(s->p, s->control, 10, s->model_urid, path);
    run(s, 64);
    run(s, 64); /* the answer arrives after this run */
    run(s, 64); /* and the notification goes out in this one */
}

/* A scripted performance: presses (velocity > 0) and releases of input notes at absolute frames. */
typedef struct press {
    int64_t frame;
    uint8_t note, velocity;
} press;

static int make_script(press *script, int capacity, const int *notes, uint64_t seed, int64_t start)
{
    uint64_t r = seed * 0x9e3779b97f4a7c15ull + 1;
    bool held[8] = {0};
    int64_t t = start;
    int n = 0;
    while (n < capacity - 8) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        t += 1 + (int64_t)((r >> 33) % 7000);
        int b = (int)((r >> 20) % 8);
        held[b] = !held[b];
        script[n++] = (press){t, (uint8_t)notes[b], (uint8_t)(held[b] ? 30 + (r >> 40) % 90 : 0)};
    }
    for (int b = 0; b < 8; b++)
        if (held[b])
            script[n++] = (press){t + 10 + b, (uint8_t)notes[b], 0};
    return n;
}

/* Play the script in blocks of varying length; every press must give its note-on at its frame in
 * the same run (at `velocity`: 0 the press's, -1 no output expected), every release the note-off of
 * its key at its frame. Returns the presses. */
static int play(session *s, const press *script, int n, int channel, int velocity)
{
    bool expect = velocity >= 0; /* -1: no output at all; 0: each press's velocity; else fixed */
    int ons = 0, key_of[128];
    for (int i = 0; i < 128; i++)
        key_of[i] = -1;
    for (int i = 0; i < n;) {
        uint32_t frames = next_block(s);
        int first = i, from = s->count;
        while (i < n && script[i].frame < s->frame + frames) {
            uint8_t m[3] = {(uint8_t)(script[i].velocity ? 0x90 : 0x80), script[i].note, script[i].velocity};
            lv2host_send_midi(s->p, s->control, (uint32_t)(script[i].frame - s->frame), m, 3);
            i++;
        }
        run(s, frames);
        /* Each press: a note-on at its frame; each release: the note-off of its key there. */
        for (int k = first; k < i; k++) {
            bool found = false;
            for (int e = from; e < s->count && !found; e++) {
                const event *ev = &s->out[e];
                bool on = (ev->m[0] & 0xF0) == 0x90 && ev->m[2] > 0;
                if (ev->frame != script[k].frame)
                    continue;
                if (script[k].velocity && on && ev->m[2] == (velocity > 0 ? velocity : script[k].velocity)) {
                    found = true;
                    for (int o = 0; o < 128; o++) /* a key another button held is struck again */
                        if (key_of[o] == ev->m[1])
                            key_of[o] = -1;
                    key_of[script[k].note] = ev->m[1];
                    CHECK(ev->m[1] >= 21 && ev->m[1] <= 108 && (ev->m[0] & 15) == channel - 1,
                          "a press gave note %d on channel %d", ev->m[1], (ev->m[0] & 15) + 1);
                } else if (!script[k].velocity && !on && ev->m[1] == key_of[script[k].note]) {
                    found = true;
                }
            }
            /* A release finds nothing when another button took its key since (struck again). */
            bool taken = !script[k].velocity && key_of[script[k].note] < 0;
            CHECK(found == (expect && !taken), "the %s of note %d at frame %lld has %s %s at its frame in the same run",
                  script[k].velocity ? "press" : "release", script[k].note, (long long)script[k].frame,
                  found ? "a" : "no", script[k].velocity ? "note-on" : "note-off");
            if (!script[k].velocity)
                key_of[script[k].note] = -1;
            ons += script[k].velocity > 0;
        }
    }
    run(s, 256);
    return ons;
}

static int note_ons(const session *s, int from)
{
    int n = 0;
    for (int i = from; i < s->count; i++)
        n += (s->out[i].m[0] & 0xF0) == 0x90 && s->out[i].m[2] > 0;
    return n;
}

static bool same_keys(const session *a, const session *b)
{
    if (a->count != b->count)
        return false;
    for (int i = 0; i < a->count; i++)
        if (a->out[i].frame - a->out[0].frame != b->out[i].frame - b->out[0].frame || memcmp(a->out[i].m, b->out[i].m, 3))
            return false;
    return true;
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

int main(void)
{
    char why[LV2HOST_MESSAGE_SIZE];
    lv2host_world *world = lv2host_world_new(NULL, why);
    if (!world) {
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    make_scratch("test_lv2_genie_host");
    char model[256], other[256], missing[256];
    snprintf(model, sizeof model, "%s/genie.nnm", scratch);
    snprintf(other, sizeof other, "%s/genie copy.nnm", scratch);
    snprintf(missing, sizeof missing, "%s/no-such-genie.nnm", scratch);
    const lv2host_model_shape *shape = lv2host_largest_model("piano_genie");
    CHECK(shape && lv2host_write_model(model, shape, 3, 0.3f, why) && lv2host_write_model(other, shape, 4, 0.3f, why),
          "writing the models: %s", why);
    static const int eight[8] = {60, 61, 62, 63, 64, 65, 66, 67};
    static press script[600];
    session *s = calloc(1, sizeof *s), *t = calloc(1, sizeof *t);

    snprintf(context, sizeof context, "no model");
    if (!session_open(s, world, 1))
        return check_summary("lv2 genie host");
    char last[LV2HOST_MESSAGE_SIZE];
    lv2host_last_error(s->p, last, sizeof last);
    bool has_default = lv2host_log_errors(s->p) == 0;
    CHECK(has_default || strstr(last, "piano_genie.nnm"), "no log:Error naming the missing piano_genie.nnm: \"%s\"", last);
    if (!has_default) {
        int n = make_script(script, 40, eight, 1, 100);
        play(s, script, n, 1, -1);
        CHECK(s->notes.note_ons == 0, "%ld note-ons without a model", s->notes.note_ons);
    }

    snprintf(context, sizeof context, "a model set by patch:Set");
    set_model(s, model);
    CHECK(!strcmp(s->notified, model), "notify names \"%s\", want \"%s\"", s->notified, model);
    int n = make_script(script, 600, eight, 2, s->frame + 100);
    int presses = 0;
    for (int i = 0; i < n; i++)
        presses += script[i].velocity > 0;
    int from = s->count;
    play(s, script, n, 1, 0);
    CHECK(note_ons(s, from) == presses, "%d presses, %d note-ons", presses, note_ons(s, from));
    CHECK(lv2host_notes_sounding(&s->notes) == 0, "%d keys sound after every release", lv2host_notes_sounding(&s->notes));
    printf("piano_genie: %d presses -> %d note-ons at their frames, %ld note-offs\n", presses, note_ons(s, from),
           s->notes.note_offs);

    snprintf(context, sizeof context, "bad files");
    int errors = lv2host_log_errors(s->p);
    set_model(s, missing);
    lv2host_last_error(s->p, last, sizeof last);
    CHECK(lv2host_log_errors(s->p) == errors + 1 && strstr(last, "no-such-genie.nnm"), "missing file: \"%s\"", last);
    char melody[PATH_MAX];
    snprintf(melody, sizeof melody, "%s", lv2host_plugin_bundle(s->p));
    snprintf(melody + strlen(melody), sizeof melody - strlen(melody), "../melody_rnn.lv2/basic_rnn.nnm");
    set_model(s, melody);
    lv2host_last_error(s->p, last, sizeof last);
    CHECK(strstr(last, "basic_rnn.nnm") && strstr(last, "piano_genie"), "another plugin's model: \"%s\"", last);
    CHECK(!strcmp(s->notified, model), "after the refusals notify names \"%s\"", s->notified);
    from = s->count;
    n = make_script(script, 60, eight, 3, s->frame + 100);
    play(s, script, n, 1, 0);
    CHECK(note_ons(s, from) > 0, "no note-on after the refusals");

    snprintf(context, sizeof context, "same seed, other blocks");
    lv2host_set(s->p, "seed", 77);
    lv2host_set(s->p, "channel", 4);
    lv2host_set(s->p, "temperature", 1.0f);
    set_model(s, other); /* a swap starts a new sequence */
    session_open(t, world, 99);
    lv2host_set(t->p, "seed", 77);
    lv2host_set(t->p, "channel", 4);
    lv2host_set(t->p, "temperature", 1.0f);
    set_model(t, other);
    int s_from = s->count;
    int64_t start = s->frame + 100;
    n = make_script(script, 200, eight, 4, start);
    play(s, script, n, 4, 0);
    for (int i = 0; i < n; i++)
        script[i].frame += t->frame + 100 - start;
    memmove(s->out, s->out + s_from, (size_t)(s->count - s_from) * sizeof *s->out);
    s->count -= s_from;
    t->count = 0;
    play(t, script, n, 4, 0);
    CHECK(s->count > 0 && same_keys(s, t), "the same presses gave other keys in another instance (%d, %d events)",
          s->count, t->count);

    snprintf(context, sizeof context, "deactivate");
    uint8_t on[3] = {0x90, 60, 100};
    lv2host_send_midi(t->p, t->control, 0, on, 3);
    run(t, 64);
    CHECK(lv2host_notes_sounding(&t->notes) == 1, "%d keys sound after a press", lv2host_notes_sounding(&t->notes));
    lv2host_deactivate(t->p);
    lv2host_activate(t->p);
    run(t, 64);
    CHECK(lv2host_notes_sounding(&t->notes) == 0, "%d keys sound after deactivate", lv2host_notes_sounding(&t->notes));

    /* State: saved from s, restored into a new instance. */
    snprintf(context, sizeof context, "state");
    LilvWorld *lilv = lilv_world_new();
    lilv_world_load_all(lilv);
    LilvNode *uri = lilv_new_uri(lilv, URI);
    const LilvPlugin *plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(lilv), uri);
    lilv_node_free(uri);
    CHECK(plugin && lilv_plugin_get_num_ports(plugin) == 16, "lilv finds no plugin with 16 ports"); /* loads the ports */
    LV2_URID_Map map = {world, map_uri};
    LV2_URID_Unmap unmap = {world, unmap_uri};
    lv2host_set(s->p, "button3_note", 70);
    lv2host_set(s->p, "velocity_mode", 1);
    lv2host_set(s->p, "velocity", 55);
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
        CHECK(ports_set >= 13, "%d control ports restored", ports_set);
        static const int restored_notes[8] = {60, 61, 70, 63, 64, 65, 66, 67};
        n = make_script(script, 60, restored_notes, 6, r->frame + 100);
        from = r->count;
        play(r, script, n, 4, 55);
        int wrong = 0;
        for (int i = from; i < r->count; i++)
            wrong += (r->out[i].m[0] & 0xF0) == 0x90 && r->out[i].m[2] != 55;
        CHECK(note_ons(r, from) > 0 && wrong == 0, "%d note-ons, %d not at the restored fixed velocity 55",
              note_ons(r, from), wrong);
        lv2host_plugin_free(r->p);
    }
    lilv_state_free(loaded);
    free(r);

    /* Presets: each applies, and its buttons play. */
    LilvNode *preset_class = lilv_new_uri(lilv, LV2_PRESETS__Preset);
    LilvNodes *presets = plugin ? lilv_plugin_get_related(plugin, preset_class) : NULL;
    CHECK(presets && lilv_nodes_size(presets) == 3, "%u presets", presets ? lilv_nodes_size(presets) : 0);
    LILV_FOREACH (nodes, it, presets) {
        const LilvNode *preset = lilv_nodes_get(presets, it);
        lilv_world_load_resource(lilv, preset);
        snprintf(context, sizeof context, "preset %s", lilv_node_as_uri(preset));
        LilvState *ps = lilv_state_new_from_world(lilv, &map, preset);
        session *q = calloc(1, sizeof *q);
        if (ps && session_open(q, world, 7)) {
            ports_set = 0;
            lilv_state_restore(ps, lv2host_plugin_instance(q->p), set_port_value, q, 0, NULL);
            CHECK(ports_set == 8, "%d ports set, want the 8 buttons", ports_set);
            set_model(q, model);
            int notes[8];
            for (int b = 0; b < 8; b++)
                notes[b] = (int)lrintf(*lv2host_control(q->p, lv2host_port(q->p, b == 0 ? "button1_note" : b == 1 ? "button2_note" : b == 2 ? "button3_note" : b == 3 ? "button4_note" : b == 4 ? "button5_note" : b == 5 ? "button6_note" : b == 6 ? "button7_note" : "button8_note")));
            n = make_script(script, 40, notes, 8, q->frame + 100);
            int want = 0;
            for (int i = 0; i < n; i++)
                want += script[i].velocity > 0;
            play(q, script, n, 1, 0);
            CHECK(note_ons(q, 0) == want, "%d presses on the preset's buttons, %d note-ons", want, note_ons(q, 0));
            lv2host_plugin_free(q->p);
        }
        lilv_state_free(ps);
        free(q);
    }
    lilv_nodes_free(presets);
    lilv_node_free(preset_class);
    lilv_world_free(lilv);

    lv2host_plugin_free(s->p);
    lv2host_plugin_free(t->p);
    free(s);
    free(t);
    lv2host_world_free(world);
    if (!failures)
        remove_tree(scratch);
    else
        printf("scratch files kept in %s\n", scratch);
    return check_summary("lv2 genie host");
}
