/* lv2_test_host.h — what the host tests on tools/lv2host share (test_lv2_genie_host.c,
 * test_lv2_performance_host.c): a session of one instance at 48 kHz (blocks up to 4096,
 * synchronous worker, responses after run as Jalv delivers them) whose MIDI output is checked
 * and recorded in absolute frames, model swaps by patch:Set, the state's round trip through a
 * file and the presets (those through lv2host_state_*), and the scratch folder.
 *
 * Include it first, with PLUGIN_URI (the plugin under test) defined before.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#ifndef TEST_LV2_TEST_HOST_H
#define TEST_LV2_TEST_HOST_H

#include "../tool_test.h"

#include "../check.h"

#include "lv2host.h"

#include <lilv/lilv.h>
#include <lv2/atom/util.h>

#include <limits.h>
#include <math.h>

#define MODEL_URI "http://magenta-lv2.org/plugins#model"
#define RATE 48000.0
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
    int64_t frame; /* frames run so far */
    lv2host_notes notes;
    event out[MAX_EVENTS];
    int count;
    char notified[PATH_MAX]; /* the model notify named last */
    uint64_t rng;            /* for the test's block lengths */
    /* Optional, counted in run: note events off the grid of step_frames counted from `origin`
     * (INT64_MIN: no grid now), and not on expect_channel (1 .. 16; 0: any). */
    int64_t origin;
    int step_frames, expect_channel;
    int off_grid, wrong_channel;
} session;

static bool session_open(session *s, lv2host_world *world, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->world = world;
    s->rng = seed;
    s->origin = INT64_MIN;
    char why[LV2HOST_MESSAGE_SIZE];
    lv2host_config config = lv2host_config_default(RATE, 4096);
    config.quiet = true;
    s->p = lv2host_plugin_new(world, PLUGIN_URI, &config, why);
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

/* Frees the instance (if any) and the session. */
static void session_free(session *s)
{
    if (s)
        lv2host_plugin_free(s->p);
    free(s);
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
        bool on_grid = s->origin == INT64_MIN || !s->step_frames || (at - s->origin) % s->step_frames == 0;
        if (note && !on_grid && s->off_grid++ < 5)
            fprintf(stderr, "  off the grid: %02x %d %d at frame %lld, %lld frames after step %lld\n", m[0], m[1], m[2],
                    (long long)at, (long long)((at - s->origin) % s->step_frames),
                    (long long)((at - s->origin) / s->step_frames));
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

static void set_model(session *s, const char *path)
{
    lv2host_send_set_path(s->p, s->control, 10, s->model_urid, path);
    run(s, 64);
    run(s, 64); /* the answer arrives after this run */
    run(s, 64); /* and the notification goes out in this one */
}

static int note_ons(const session *s, int from)
{
    int n = 0;
    for (int i = from; i < s->count; i++)
        n += (s->out[i].m[0] & 0xF0) == 0x90 && s->out[i].m[2] > 0;
    return n;
}

/* ---- State and presets --------------------------------------------------------------------------- */

/* Save s's state to <scratch>/state.lv2/state.ttl, read it back and restore it into a new session
 * (`seed`), which is asked for its model: the model restored must be `model` (the same file).
 * NULL when saving, reading or opening failed (checked); *ports: the control inputs restored. */
static session *restored_copy(session *s, uint64_t seed, const char *model, int *ports)
{
    char why[LV2HOST_MESSAGE_SIZE], dir[PATH_MAX], file[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/state.lv2", scratch);
    CHECK(lv2host_state_save(s->p, dir, "state.ttl", why), "saving the state: %s", why);
    snprintf(file, sizeof file, "%s/state.ttl", dir);
    LilvState *loaded = lv2host_state_load(s->world, file, why);
    CHECK(loaded != NULL, "reading back %s", file);
    session *r = calloc(1, sizeof *r);
    if (!loaded || !session_open(r, s->world, seed)) {
        lilv_state_free(loaded);
        session_free(r);
        return NULL;
    }
    *ports = lv2host_state_restore(r->p, loaded, why);
    lilv_state_free(loaded);
    CHECK(!why[0], "%s", why);
    lv2host_send_get(r->p, r->control, 0, 0);
    run(r, 64);
    char want[PATH_MAX], got[PATH_MAX];
    CHECK(realpath(model, want) && realpath(r->notified, got) && !strcmp(want, got), "restored model \"%s\", saved %s",
          r->notified, model);
    return r;
}

/* Each of the plugin's presets applied to a new session (seed 7; the context names the preset),
 * then handed to `use` with the control inputs it set and the log:Errors before it. Returns the
 * presets; *loaded: how many lilv could load. */
static unsigned each_preset(lv2host_world *world, void (*use)(session *q, int ports_set, int errors_before),
                            unsigned *loaded)
{
    LilvNodes *presets = lv2host_presets(world, PLUGIN_URI);
    *loaded = 0;
    LILV_FOREACH (nodes, it, presets) {
        const char *preset = lilv_node_as_uri(lilv_nodes_get(presets, it));
        snprintf(context, sizeof context, "preset %s", preset);
        char why[LV2HOST_MESSAGE_SIZE];
        LilvState *state = lv2host_preset_load(world, preset, why);
        *loaded += state != NULL;
        session *q = calloc(1, sizeof *q);
        if (state && session_open(q, world, 7)) {
            int before = lv2host_log_errors(q->p);
            int ports_set = lv2host_state_restore(q->p, state, why);
            CHECK(!why[0], "%s", why);
            use(q, ports_set, before);
        }
        lilv_state_free(state);
        session_free(q);
    }
    unsigned count = presets ? lilv_nodes_size(presets) : 0;
    lilv_nodes_free(presets);
    snprintf(context, sizeof context, "presets");
    return count;
}

/* ---- The test's frame ---------------------------------------------------------------------------- */

/* The model files a test writes and swaps in: <scratch>/<stem>.nnm, "<stem> copy.nnm" and one
 * that is never written. */
static char model[256], other[256], missing[256];

/* The world on $LV2_PATH, a scratch folder /tmp/<name>-XXXXXX and the model paths of `stem`;
 * exits if there is no world. */
static lv2host_world *open_world(const char *name, const char *stem)
{
    char why[LV2HOST_MESSAGE_SIZE];
    lv2host_world *world = lv2host_world_new(NULL, why);
    if (!world) {
        fprintf(stderr, "%s\n", why);
        exit(1);
    }
    make_scratch(name);
    snprintf(model, sizeof model, "%s/%s.nnm", scratch, stem);
    snprintf(other, sizeof other, "%s/%s copy.nnm", scratch, stem);
    snprintf(missing, sizeof missing, "%s/no-such-%s.nnm", scratch, stem);
    return world;
}

/* Whether the model in the plugin's bundle loaded at instantiation; if not, the log:Error must
 * name its `file`. */
static bool has_bundled_model(session *s, const char *file)
{
    char last[LV2HOST_MESSAGE_SIZE];
    lv2host_last_error(s->p, last, sizeof last);
    bool has = lv2host_log_errors(s->p) == 0;
    CHECK(has || strstr(last, file), "no log:Error naming the missing %s: \"%s\"", file, last);
    return has;
}

/* Swap in `missing`, then another plugin's model (Melody RNN's basic_rnn.nnm): both refused,
 * the first logged naming the file and the model still `model` after both (checked; the caller
 * checks the second's log). Returns the log:Errors before; the last one's text in
 * last[LV2HOST_MESSAGE_SIZE]. */
static int refuse_bad_files(session *s, char *last)
{
    int errors = lv2host_log_errors(s->p);
    set_model(s, missing);
    lv2host_last_error(s->p, last, LV2HOST_MESSAGE_SIZE);
    CHECK(lv2host_log_errors(s->p) == errors + 1 && strstr(last, strrchr(missing, '/') + 1), "missing file: \"%s\"",
          last);
    char melody[PATH_MAX];
    snprintf(melody, sizeof melody, "%s../melody_rnn.lv2/basic_rnn.nnm", lv2host_plugin_bundle(s->p));
    set_model(s, melody);
    lv2host_last_error(s->p, last, LV2HOST_MESSAGE_SIZE);
    CHECK(!strcmp(s->notified, model), "after the refusals notify names \"%s\"", s->notified);
    return errors;
}

/* Frees the world; removes the scratch folder when every check passed. The summary's status. */
static int finish(lv2host_world *world, const char *summary)
{
    lv2host_world_free(world);
    if (!failures)
        remove_tree(scratch);
    else
        printf("scratch files kept in %s\n", scratch);
    return check_summary(summary);
}

#endif
