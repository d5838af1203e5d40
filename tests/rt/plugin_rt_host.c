/* plugin_rt_host — runs an LV2 plugin through everything a live host does to it, every callback
 * (connect_port, worker responses, run, end_run) inside a RealtimeSanitizer real-time context,
 * and checks its MIDI output: no hung note, ever.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Modes:
 *   plugin_rt_host [options] URI         the host (exit status 0: no violation, every check held)
 *   plugin_rt_host --violate KIND URI    commit a violation inside the real-time section
 *                                        (malloc: in the host; strdup: malloc called from a shared
 *                                        library, as a plugin would); RTSan must end the process
 *   plugin_rt_host --self-test URI       run both --violate kinds in children and check that RTSan
 *                                        ended each with its report
 *   plugin_rt_host --restores N URI      the host at 48 and 44.1 kHz (or --rates), its worker in a
 *                                        thread, while another thread restores the plugin's state
 *                                        N times (below)
 * Options: --rates R1,R2,..  --callbacks N (10000)  --short-callbacks N (callbacks at the rates
 * other than 48 kHz; default the same)  --seed N  --verbose  --ports CONTROL,MIDI_OUT[,NOTIFY]
 * (the atom ports' symbols; default control,midi_out,notify; without NOTIFY the model checks are
 * left out, for trying the host on other plugins such as eg-fifths)  --keep-going (report the
 * first failure at the end of each rate instead of stopping there)
 *
 * For each sample rate the plugin is instantiated (its worker outside the real-time context: in
 * a thread of its own at some rates, between callbacks at the others; its responses delivered
 * after run() at some rates and before it at others) and given callbacks of 1 to 4096 frames, log-uniformly drawn per call. Into its control port
 * go, at random frames: transport start, stop, relocation (bar jumps), tempo changes, loop jumps
 * at the exact frame the host's loop ends, a time:Position now and then as some hosts send every
 * cycle, MIDI notes (always released), patch:Set of the model every few callbacks alternating
 * between valid models (the bundle's, a small one, Magenta's largest configuration) and
 * sometimes a missing or a damaged file, patch:Get, and for Improv
 * RNN patch:Set of the chord progression (sometimes invalid); control ports change now and then.
 *
 * Checks on the output: every event's frame is inside its block and the sequence is in time
 * order; no note-on of a note already sounding, no note-off of a silent one; no note-on while
 * the transport is stopped and nothing sounding at the end of a callback in which it stopped;
 * notes at all; after the final stop nothing sounds. The plugin's notifications name only models
 * that were set; a bad model file is reported through the LV2 log, naming the file.
 *
 * Restore while run runs (--restores N): Ardour 7 loads a preset by calling the plugin's state
 * restore() from its GUI thread while the audio thread keeps calling run(). Here a second thread
 * does that N times, through lilv_state_restore as Ardour does, alternating between two states
 * that name different models (the bundle's default and a small random model only the states
 * name; Improv RNN: two progressions too), and calls the plugin's save() after each. Meanwhile
 * the callbacks go on as above (patch:Sets of the model and progression included) until the
 * last restore: before it the host stops setting parameters, after a parting patch:Set of the
 * largest model whose load is likely still under way when run takes the restore. Checks besides
 * the above: after each restore save() stores that restore's model (or one set by patch:Set
 * since), never the other restore's; notifications name only models restored or set; once the
 * restores stop and a few callbacks have run, patch:Get answers with the last restore's model
 * (and progression) and save() stores it; after one more patch:Set save() stores that model;
 * notes come while the restores go on.
 *
 * RTSan (libclang_rt.rtsan, linked whole by meson) ends the process at the first intercepted call
 * (allocation, lock, wait, file or console I/O) made by any code, the plugin's included, between
 * __rtsan_realtime_enter and __rtsan_realtime_exit on the audio thread. Built with
 * -DPLUGIN_RT_HOST_NO_RTSAN (for the AddressSanitizer build, which cannot have RTSan too) the
 * real-time markers do nothing and only the restore mode is meant to be used.
 */
#define _GNU_SOURCE
#include "lv2host.h"

#include <lilv/lilv.h>
#include <lv2/atom/util.h>
#include <lv2/state/state.h>

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <math.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef PLUGIN_RT_HOST_NO_RTSAN
#define RTSAN_CHECKED 0
static void __rtsan_init(void) {}
static void __rtsan_realtime_enter(void) {}
static void __rtsan_realtime_exit(void) {}
#else
#define RTSAN_CHECKED 1
void __rtsan_init(void);
void __rtsan_realtime_enter(void);
void __rtsan_realtime_exit(void);
#endif

extern char **environ;

#define MODEL_URI "http://magenta-lv2.org/plugins#model"
#define PROGRESSION_URI "http://magenta-lv2.org/plugins#progression"
#define EXIT_NOT_CAUGHT 3

enum { MAX_BLOCK = 4096, MAX_HELD = 6, MAX_NOTIFIED = 8, MAX_ACTIONS = 32, GEN_TEXT = 256 };
enum { MODEL_DEFAULT, MODEL_SMALL, MODEL_LARGEST, MODEL_MISSING, MODEL_DAMAGED, MODEL_COUNT };
/* The order of the patch:Set turns: mostly the quick loads, a bad file every fifth. */
static const int model_turns[10] = {MODEL_DEFAULT, MODEL_SMALL, MODEL_DEFAULT, MODEL_LARGEST, MODEL_MISSING,
                                    MODEL_SMALL, MODEL_DEFAULT, MODEL_SMALL, MODEL_DEFAULT, MODEL_DAMAGED};

/* The progressions Improv RNN is set to by patch:Set; the last is invalid. */
static const char *const set_progressions[] = {"C Am F G7", "Dm7 G7 Cmaj7 Cmaj7", "N.C. E7 Am", "C Xq7 F"};
enum { VALID_SET_PROGRESSIONS = 3 };
/* The progressions of the two restored states: neither is ever set by patch:Set. */
static const char *const restored_progressions[2] = {"Am Dm7 E7 Am", "F Bb7 C7 F"};

/* ---- Options ---------------------------------------------------------------------------------- */

typedef struct options {
    double rates[8];
    int rate_count;
    long callbacks, short_callbacks;
    long restores; /* 0: no restore thread */
    uint64_t seed;
    bool verbose, keep_going;
    const char *uri;
    const char *ports[3]; /* the symbols of the control input, the MIDI output, the notify output */
} options;

/* ---- Random numbers (xorshift64*) -------------------------------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ull;
}

static double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) / 9007199254740992.0; }
static int rng_int(rng *r, int lo, int hi) { return lo + (int)(rng_unit(r) * (hi - lo + 1)); }
static bool rng_chance(rng *r, double p) { return rng_unit(r) < p; }

/* ---- One plugin at one sample rate ----------------------------------------------------------------- */

typedef struct held_note {
    int pitch;
    int64_t off_frame; /* host frame of its note-off */
} held_note;

/* Something the host does at a frame of the current block. */
typedef enum action_kind {
    ACT_START, ACT_STOP, ACT_RELOCATE, ACT_TEMPO, ACT_HEARTBEAT, ACT_NOTE_ON, ACT_NOTE_OFF, ACT_BEND, ACT_MODEL,
    ACT_PROGRESSION, ACT_GET,
} action_kind;

typedef struct action {
    uint32_t frame;
    action_kind kind;
    int value;
} action;

typedef struct session {
    const options *opt;
    rng r;
    lv2host_world *world;
    lv2host_plugin *p;
    const char *short_name; /* "melody_rnn" ... */
    int control, midi_out, notify;
    LV2_URID model_urid, progression_urid;
    bool improv;
    bool no_transport; /* Piano Genie: plays its buttons whether the transport rolls or not */
    /* The models set by patch:Set: the valid ones, then the bad ones (MODEL_MISSING, MODEL_DAMAGED). */
    char models[MODEL_COUNT][PATH_MAX];
    int model_turn;
    bool last_set_bad; /* the last patch:Set of the model named a bad file */
    /* The host's transport and loop. */
    lv2host_transport t;
    bool looping;
    double loop_start, loop_end; /* beats */
    bool host_stopped;           /* a stop was sent and no start since */
    int64_t host_frame;          /* frames since the start, for the input notes */
    held_note held[MAX_HELD];
    int held_count;
    /* What came out. */
    lv2host_notes notes;
    char notified[MAX_NOTIFIED][PATH_MAX];
    int notified_count;
    /* Tallies. */
    long callbacks, positions, starts, stops, relocations, tempos, loop_jumps, notes_in, sets, bad_sets, progressions,
        gets, notifications, control_changes, ons_while_stopped, bad_frames, out_of_order;
    int64_t frames;
    uint32_t smallest, largest;
    /* Log errors naming the missing and the damaged model (counted by the log hook, off the
     * audio thread). */
    atomic_long missing_named, damaged_named;
    long missing_sets, damaged_sets;
    char failure[LV2HOST_MESSAGE_SIZE];

    /* Restore while run runs (--restores): the restoring thread and the audio thread share only
     * the atomics; the rest is set up before the thread starts or read after it ends. */
    bool restoring;                        /* this run has a restoring thread */
    char restored_model[PATH_MAX];         /* the model only the restored states name */
    char notified_progression[GEN_TEXT];   /* the last progression notified in this callback */
    int notified_progressions;             /* how many in this callback */
    atomic_bool sets_closed;               /* restorer -> audio: set no more parameters */
    atomic_bool sets_stopped;              /* audio -> restorer: none will come */
    atomic_bool restorer_done, audio_gave_up;
    atomic_long audio_callbacks;           /* callbacks done, for the restorer's pace */
    bool no_sets;                          /* this callback plans no patch:Set but a forced one */
    bool parting_set_sent;                 /* the largest model, set just before the last restore */
    int force_model;                       /* a model this callback sets (-1: none) */
    bool get_all;                          /* this callback sends patch:Get of every property */
    long restore_phase_note_ons;           /* note-ons while the restorer ran */
} session;

/* The first failure is kept; safe inside the real-time section (vsnprintf neither allocates nor
 * locks for these formats). */
static void fail(session *s, const char *format, ...)
{
    if (s->failure[0])
        return;
    va_list args;
    va_start(args, format);
    vsnprintf(s->failure, sizeof s->failure, format, args);
    va_end(args);
}

static const char *default_model(const char *short_name)
{
    return !strcmp(short_name, "melody_rnn")        ? "attention_rnn.nnm"
           : !strcmp(short_name, "drums_rnn")       ? "drum_kit.nnm"
           : !strcmp(short_name, "improv_rnn")      ? "chord_pitches_improv.nnm"
           : !strcmp(short_name, "performance_rnn") ? "performance_with_dynamics.nnm"
           : !strcmp(short_name, "piano_genie")     ? "piano_genie.nnm"
                                                    : NULL;
}

static const char *short_name_of(const char *uri)
{
    const char *slash = strrchr(uri, '/');
    return slash ? slash + 1 : uri;
}

/* The models of the patch:Set turns: the bundle's default; a small one (Melody RNN: the bundle's
 * basic_rnn; the others: two layers of 64 units with random weights); Magenta's largest
 * configuration with random weights; a missing file and a damaged one. */
static bool prepare_models(session *s, const char *dir, char *why)
{
    const char *bundle = lv2host_plugin_bundle(s->p), *file = default_model(s->short_name);
    const lv2host_model_shape *largest = lv2host_largest_model(s->short_name);
    bool fits = snprintf(s->models[MODEL_DEFAULT], PATH_MAX, "%s%s", bundle, file ? file : "default.nnm") < PATH_MAX &&
                snprintf(s->models[MODEL_SMALL], PATH_MAX, "%sbasic_rnn.nnm", bundle) < PATH_MAX &&
                snprintf(s->models[MODEL_LARGEST], PATH_MAX, "%s/%s-largest.nnm", dir, s->short_name) < PATH_MAX &&
                snprintf(s->models[MODEL_MISSING], PATH_MAX, "%s/no-such-model.nnm", dir) < PATH_MAX &&
                snprintf(s->models[MODEL_DAMAGED], PATH_MAX, "%s/damaged.nnm", dir) < PATH_MAX;
    if (fits && (strcmp(s->short_name, "melody_rnn") || access(s->models[MODEL_SMALL], R_OK) != 0))
        fits = snprintf(s->models[MODEL_SMALL], PATH_MAX, "%s/%s-small.nnm", dir, s->short_name) < PATH_MAX;
    if (!fits) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "paths too long: %.200s, %.200s", bundle, dir);
        return false;
    }
    if (largest) {
        lv2host_model_shape small = *largest;
        small.num_layers = 2, small.units[0] = small.units[1] = 64, small.attn_length = 0;
        if (!lv2host_write_model(s->models[MODEL_LARGEST], largest, 7, 0.1f, why) ||
            (strncmp(s->models[MODEL_SMALL], dir, strlen(dir)) == 0 &&
             !lv2host_write_model(s->models[MODEL_SMALL], &small, 8, 0.1f, why)))
            return false;
        /* A bundle that ships no model yet (Performance RNN, Piano Genie): a default of its
         * shape (two layers of 96) written here stands in for it. */
        if (access(s->models[MODEL_DEFAULT], R_OK) != 0) {
            small.units[0] = small.units[1] = 96;
            if (snprintf(s->models[MODEL_DEFAULT], PATH_MAX, "%s/%s-default.nnm", dir, s->short_name) >= PATH_MAX ||
                !lv2host_write_model(s->models[MODEL_DEFAULT], &small, 6, 0.1f, why))
                return false;
        }
    }
    FILE *f = fopen(s->models[MODEL_DAMAGED], "wb");
    if (!f || fputs("\x89NNM\r\n\x1a\nnot a model at all, only its magic", f) < 0 || fclose(f) != 0) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "cannot write %.400s", s->models[MODEL_DAMAGED]);
        return false;
    }
    return true;
}

/* Look up the atom ports by symbol; the control input and the MIDI output must exist. */
static bool find_ports(session *s, char *why)
{
    s->control = lv2host_port(s->p, s->opt->ports[0]);
    s->midi_out = lv2host_port(s->p, s->opt->ports[1]);
    s->notify = s->opt->ports[2] ? lv2host_port(s->p, s->opt->ports[2]) : -1;
    if (s->control < 0 || s->midi_out < 0 || (s->opt->ports[2] && s->notify < 0)) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "%s: missing port: %s %d, %s %d, %s %d", s->short_name, s->opt->ports[0],
                 s->control, s->opt->ports[1], s->midi_out, s->opt->ports[2] ? s->opt->ports[2] : "(notify)",
                 s->notify);
        return false;
    }
    return true;
}

static void log_hook(void *user, LV2_URID type, const char *text)
{
    session *s = user;
    if (type != lv2host_world_urids(s->world)->log_Error)
        return;
    if (strstr(text, "no-such-model.nnm"))
        atomic_fetch_add(&s->missing_named, 1);
    if (strstr(text, "damaged.nnm"))
        atomic_fetch_add(&s->damaged_named, 1);
}

/* Every control input gets a value in its range now and then (integers stay integers). The
 * mode leans to free run so that the generator keeps playing. */
static void change_controls(session *s)
{
    static const char *const symbols[] = {"temperature", "steps_per_quarter", "mode", "length_bars", "loop_bars",
                                          "pitch_low", "pitch_high", "transpose", "velocity", "channel", "seed",
                                          "regenerate", "bpm", "kick_note", "snare_note", "chord_source",
                                          "split_note"};
    int changes = rng_int(&s->r, 1, 3);
    for (int c = 0; c < changes; c++) {
        const char *symbol = symbols[rng_int(&s->r, 0, (int)(sizeof symbols / sizeof *symbols) - 1)];
        int port = lv2host_port(s->p, symbol);
        float min, max, def, *value = lv2host_control(s->p, port);
        if (!value || !lv2host_control_range(s->p, port, &min, &max, &def) || isnan(min) || isnan(max))
            continue;
        float v = (float)(min + rng_unit(&s->r) * (max - min));
        if (!strcmp(symbol, "temperature") || !strcmp(symbol, "bpm"))
            *value = v;
        else if (!strcmp(symbol, "mode"))
            *value = rng_chance(&s->r, 0.6) ? 2.0f : (float)rng_int(&s->r, 0, 1);
        else
            *value = roundf(v);
        s->control_changes++;
    }
}

static int compare_actions(const void *a, const void *b)
{
    const action *x = a, *y = b;
    return x->frame < y->frame ? -1 : x->frame > y->frame ? 1 : (int)x->kind - (int)y->kind;
}

/* What the host does during the next block of `frames`. */
static int plan_block(session *s, uint32_t frames, action *actions)
{
    int n = 0;
    rng *r = &s->r;
    if (s->callbacks == 0) {
        actions[n++] = (action){0, ACT_START, 0};
    } else if (rng_chance(r, s->host_stopped ? 0.08 : 0.015)) {
        uint32_t at = (uint32_t)rng_int(r, 0, (int)frames - 1);
        if (s->host_stopped)
            actions[n++] = (action){at, ACT_START, 0};
        else
            actions[n++] = (action){at, (action_kind)rng_int(r, ACT_STOP, ACT_TEMPO), 0};
    } else if (!s->host_stopped && rng_chance(r, 0.15)) {
        actions[n++] = (action){0, ACT_HEARTBEAT, 0};
    }
    if (rng_chance(r, 0.01)) {
        /* The host's loop: on from the current bar for 1 to 4 bars, or off. */
        s->looping = !s->looping;
        s->loop_start = floor(s->t.beats / s->t.beats_per_bar) * s->t.beats_per_bar;
        s->loop_end = s->loop_start + rng_int(r, 1, 4) * s->t.beats_per_bar;
    }
    /* MIDI in: note-offs due in this block, a new note now and then, a pitch bend. */
    for (int i = 0; i < s->held_count; i++)
        if (s->held[i].off_frame < s->host_frame + frames) {
            int64_t at = s->held[i].off_frame - s->host_frame;
            actions[n++] = (action){at < 0 ? 0 : (uint32_t)at, ACT_NOTE_OFF, s->held[i].pitch};
            s->held[i--] = s->held[--s->held_count];
        }
    if (s->held_count < MAX_HELD && rng_chance(r, 0.05)) {
        /* Piano Genie: mostly its buttons (60 .. 67 unless a control moved them), now and then
         * another note, which it must ignore. */
        int pitch = s->no_transport ? rng_int(r, 58, 69) : rng_int(r, 40, 84);
        bool held = false;
        for (int i = 0; i < s->held_count; i++)
            held = held || s->held[i].pitch == pitch;
        if (!held) {
            uint32_t at = (uint32_t)rng_int(r, 0, (int)frames - 1);
            actions[n++] = (action){at, ACT_NOTE_ON, pitch};
            s->held[s->held_count++] = (held_note){pitch, s->host_frame + at + rng_int(r, 1, (int)s->t.sample_rate)};
        }
    }
    if (rng_chance(r, 0.01))
        actions[n++] = (action){(uint32_t)rng_int(r, 0, (int)frames - 1), ACT_BEND, rng_int(r, 0, 16383)};
    /* A model every few callbacks. An adapter may load only the newest value asked for, so a
     * set made while another waits can replace it: bursts of valid models in consecutive
     * callbacks test that; every other set waits for the worker to be idle first (the host
     * pauses between callbacks, as time passing would let it finish), so that each bad file is
     * worked on and must be reported. */
    bool burst = s->callbacks % 5 == 4 && !s->last_set_bad && rng_chance(r, 0.3);
    if (!s->no_sets && ((s->callbacks % 5 == 2 && rng_chance(r, 0.8)) || burst)) {
        int model = burst ? rng_int(r, MODEL_DEFAULT, MODEL_SMALL) : model_turns[s->model_turn++ % 10];
        if (!burst)
            lv2host_worker_drain(s->p);
        actions[n++] = (action){(uint32_t)rng_int(r, 0, (int)frames - 1), ACT_MODEL, model};
        s->last_set_bad = model >= MODEL_MISSING;
    }
    if (s->force_model >= 0) {
        actions[n++] = (action){(uint32_t)rng_int(r, 0, (int)frames - 1), ACT_MODEL, s->force_model};
        s->force_model = -1;
    }
    if (s->improv && !s->no_sets && rng_chance(r, 0.01))
        actions[n++] = (action){(uint32_t)rng_int(r, 0, (int)frames - 1), ACT_PROGRESSION, rng_int(r, 0, 3)};
    if (rng_chance(r, 0.005) || s->get_all)
        actions[n++] = (action){(uint32_t)rng_int(r, 0, (int)frames - 1), ACT_GET, s->get_all};
    qsort(actions, (size_t)n, sizeof *actions, compare_actions);
    return n;
}

static void send_position(session *s, uint32_t frame)
{
    lv2host_position position = lv2host_transport_position(&s->t);
    if (!lv2host_send_position(s->p, s->control, frame, &position))
        fail(s, "the control sequence is full (time:Position at frame %u)", frame);
    s->positions++;
}

/* Roll the host's transport on to `frame` of the block, jumping back at the loop's end on the
 * exact frame where the transport reaches it. */
static void advance_to(session *s, uint32_t *at, uint32_t frame)
{
    while (*at < frame) {
        uint32_t span = frame - *at;
        if (s->looping && s->t.rolling && s->t.beats < s->loop_end) {
            double to_end = lv2host_transport_frames_to(&s->t, s->loop_end);
            if (to_end < span) {
                uint32_t step = to_end > 0 ? (uint32_t)to_end : 0;
                lv2host_transport_advance(&s->t, step);
                *at += step;
                s->t.beats = s->loop_start;
                send_position(s, *at);
                s->loop_jumps++;
                if (step == 0 && *at < frame) { /* a loop shorter than a frame cannot be */
                    lv2host_transport_advance(&s->t, 1);
                    (*at)++;
                }
                continue;
            }
        }
        lv2host_transport_advance(&s->t, span);
        *at = frame;
    }
}

static void perform(session *s, const action *a)
{
    rng *r = &s->r;
    uint8_t midi[3];
    switch (a->kind) {
    case ACT_START:
        s->t.rolling = true;
        s->host_stopped = false;
        send_position(s, a->frame);
        s->starts++;
        break;
    case ACT_STOP:
        s->t.rolling = false;
        s->host_stopped = true;
        send_position(s, a->frame);
        s->stops++;
        break;
    case ACT_RELOCATE: /* a bar jump, sometimes into the middle of a beat */
        s->t.beats = rng_int(r, 0, 64) * s->t.beats_per_bar + (rng_chance(r, 0.3) ? rng_unit(r) * s->t.beats_per_bar : 0);
        send_position(s, a->frame);
        s->relocations++;
        break;
    case ACT_TEMPO:
        s->t.bpm = 40.0 + rng_unit(r) * 260.0;
        send_position(s, a->frame);
        s->tempos++;
        break;
    case ACT_HEARTBEAT:
        send_position(s, a->frame);
        break;
    case ACT_NOTE_ON:
    case ACT_NOTE_OFF:
        midi[0] = a->kind == ACT_NOTE_ON ? 0x90 : 0x80;
        midi[1] = (uint8_t)a->value;
        midi[2] = a->kind == ACT_NOTE_ON ? (uint8_t)rng_int(r, 30, 120) : 64;
        if (!lv2host_send_midi(s->p, s->control, a->frame, midi, 3))
            fail(s, "the control sequence is full (MIDI at frame %u)", a->frame);
        s->notes_in += a->kind == ACT_NOTE_ON;
        break;
    case ACT_BEND:
        midi[0] = 0xE0, midi[1] = (uint8_t)(a->value & 0x7F), midi[2] = (uint8_t)(a->value >> 7);
        lv2host_send_midi(s->p, s->control, a->frame, midi, 3);
        break;
    case ACT_MODEL:
        if (!lv2host_send_set_path(s->p, s->control, a->frame, s->model_urid, s->models[a->value]))
            fail(s, "the control sequence is full (patch:Set at frame %u)", a->frame);
        s->sets++;
        s->bad_sets += a->value >= MODEL_MISSING;
        s->missing_sets += a->value == MODEL_MISSING;
        s->damaged_sets += a->value == MODEL_DAMAGED;
        break;
    case ACT_PROGRESSION:
        lv2host_send_set_string(s->p, s->control, a->frame, s->progression_urid, set_progressions[a->value]);
        s->progressions++;
        break;
    case ACT_GET: /* value 1: every property */
        lv2host_send_get(s->p, s->control, a->frame, a->value ? 0 : s->model_urid);
        s->gets++;
        break;
    }
}

/* Read what the plugin wrote in a block of `frames`: inside the real-time section. */
static void check_outputs(session *s, uint32_t frames, uint32_t stop_frame)
{
    int64_t previous = 0;
    LV2_ATOM_SEQUENCE_FOREACH (lv2host_sequence(s->p, s->midi_out), ev) {
        if (ev->time.frames < 0 || ev->time.frames >= (int64_t)frames) {
            s->bad_frames++;
            fail(s, "callback %ld: MIDI out at frame %lld in a block of %u", s->callbacks, (long long)ev->time.frames,
                 frames);
        }
        if (ev->time.frames < previous) {
            s->out_of_order++;
            fail(s, "callback %ld: MIDI out at frame %lld after one at %lld", s->callbacks, (long long)ev->time.frames,
                 (long long)previous);
        }
        previous = ev->time.frames;
        const uint8_t *msg;
        uint32_t size;
        if (!lv2host_read_midi(s->world, ev, &msg, &size))
            continue;
        long double_ons = s->notes.double_ons, stray_offs = s->notes.stray_offs;
        bool on = size >= 3 && (msg[0] & 0xF0) == 0x90 && msg[2] > 0;
        lv2host_notes_apply(&s->notes, msg, size);
        if (s->notes.double_ons > double_ons)
            fail(s, "callback %ld frame %lld: note-on of note %d channel %d, which is already sounding", s->callbacks,
                 (long long)ev->time.frames, msg[1], (msg[0] & 15) + 1);
        if (s->notes.stray_offs > stray_offs)
            fail(s, "callback %ld frame %lld: note-off of note %d channel %d, which is not sounding", s->callbacks,
                 (long long)ev->time.frames, msg[1], (msg[0] & 15) + 1);
        if (on && s->host_stopped && !s->no_transport && ev->time.frames >= (int64_t)stop_frame) {
            s->ons_while_stopped++;
            fail(s, "callback %ld frame %lld: note-on of note %d while the transport is stopped", s->callbacks,
                 (long long)ev->time.frames, msg[1]);
        }
    }
    previous = 0;
    const LV2_Atom_Sequence *notify = s->notify >= 0 ? lv2host_sequence(s->p, s->notify) : NULL;
    for (const LV2_Atom_Event *ev = notify ? lv2_atom_sequence_begin(&notify->body) : NULL;
         ev && !lv2_atom_sequence_is_end(&notify->body, notify->atom.size, ev); ev = lv2_atom_sequence_next(ev)) {
        if (ev->time.frames < 0 || ev->time.frames >= (int64_t)frames || ev->time.frames < previous)
            fail(s, "callback %ld: notify event at frame %lld (block of %u, previous %lld)", s->callbacks,
                 (long long)ev->time.frames, frames, (long long)previous);
        previous = ev->time.frames;
        LV2_URID property;
        const LV2_Atom *value;
        if (!lv2host_read_set(s->world, &ev->body, &property, &value))
            continue;
        s->notifications++;
        if (property == s->model_urid && s->notified_count < MAX_NOTIFIED) {
            uint32_t n = value->size < PATH_MAX - 1 ? value->size : PATH_MAX - 1;
            memcpy(s->notified[s->notified_count], LV2_ATOM_BODY_CONST(value), n);
            s->notified[s->notified_count++][n] = 0;
        }
        if (property == s->progression_urid) {
            uint32_t n = value->size < GEN_TEXT - 1 ? value->size : GEN_TEXT - 1;
            memcpy(s->notified_progression, LV2_ATOM_BODY_CONST(value), n);
            s->notified_progression[n] = 0;
            s->notified_progressions++;
        }
    }
    if (s->host_stopped && !s->no_transport && lv2host_notes_sounding(&s->notes) > 0)
        fail(s, "callback %ld: %d notes still sound after the transport stopped", s->callbacks,
             lv2host_notes_sounding(&s->notes));
}

/* Violations the self-test commits inside the real-time section. Volatile so that gcc keeps
 * them; strdup allocates inside the C library, as a plugin's shared object would. */
static void *volatile violation_pointer;
static char *(*volatile duplicate)(const char *) = strdup;

static void violate(const char *kind)
{
    if (!strcmp(kind, "malloc"))
        violation_pointer = malloc(64);
    else if (!strcmp(kind, "strdup"))
        violation_pointer = duplicate("a string copied by the C library");
}

/* One callback: plan outside, then everything the audio thread does inside the real-time
 * context. */
static void callback(session *s, uint32_t frames, const char *violation)
{
    action actions[MAX_ACTIONS];
    s->no_sets = s->restoring && atomic_load(&s->sets_closed);
    if (s->no_sets && !s->parting_set_sent) {
        /* The last set before the last restore: the slowest load, so that its answer is likely
         * still to come when run takes the restore (and must then be dropped). */
        s->force_model = MODEL_LARGEST;
        s->parting_set_sent = true;
    }
    int n = plan_block(s, frames, actions);
    bool changes = s->callbacks % 500 == 250;
    if (changes)
        change_controls(s); /* the host's control values change between callbacks */
    s->notified_count = 0;
    s->notified_progressions = 0;
    long note_ons = s->notes.note_ons;

    __rtsan_realtime_enter();
    lv2host_connect_all(s->p);
    uint32_t at = 0, stop_frame = s->host_stopped ? 0 : frames;
    for (int i = 0; i < n; i++) {
        advance_to(s, &at, actions[i].frame);
        if (actions[i].kind == ACT_STOP)
            stop_frame = actions[i].frame;
        perform(s, &actions[i]);
    }
    advance_to(s, &at, frames);
    if (violation)
        violate(violation);
    lv2host_run(s->p, frames);
    check_outputs(s, frames, stop_frame);
    __rtsan_realtime_exit();

    lv2host_idle(s->p);
    s->host_frame += frames;
    s->frames += frames;
    s->callbacks++;
    s->smallest = frames < s->smallest ? frames : s->smallest;
    s->largest = frames > s->largest ? frames : s->largest;
    if (s->restoring) {
        if (!atomic_load(&s->restorer_done))
            s->restore_phase_note_ons += s->notes.note_ons - note_ons;
        if (s->no_sets)
            atomic_store(&s->sets_stopped, true); /* every set planned was in a run that has ended */
        atomic_fetch_add(&s->audio_callbacks, 1);
    }
}

/* 1 .. MAX_BLOCK, log-uniform, with both ends forced now and then. */
static uint32_t block_size(session *s)
{
    if (s->callbacks % 97 == 5)
        return 1;
    if (s->callbacks % 89 == 7)
        return MAX_BLOCK;
    uint32_t n = (uint32_t)exp(rng_unit(&s->r) * log((double)MAX_BLOCK + 1.0));
    return n < 1 ? 1 : n > MAX_BLOCK ? MAX_BLOCK : n;
}

/* Do two paths name the same file (the same text if either does not resolve)? */
static bool same_file(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    return !strcmp(realpath(a, ra) ? ra : a, realpath(b, rb) ? rb : b);
}

/* A valid model the host sets by patch:Set? */
static bool is_set_model(const session *s, const char *path)
{
    for (int m = 0; m < MODEL_MISSING; m++)
        if (same_file(path, s->models[m]))
            return true;
    return false;
}

/* A valid model the host sets by patch:Set, or (restoring) the restored states' own model? */
static bool known_model(const session *s, const char *path)
{
    return is_set_model(s, path) || (s->restoring && same_file(path, s->restored_model));
}

/* A valid progression set by patch:Set or (restoring) one of the restored states'? */
static bool known_progression(const session *s, const char *text)
{
    for (int i = 0; i < VALID_SET_PROGRESSIONS; i++)
        if (!strcmp(text, set_progressions[i]))
            return true;
    return s->restoring && (!strcmp(text, restored_progressions[0]) || !strcmp(text, restored_progressions[1]));
}

/* Outside the real-time context: do the notified paths name models that were set (or restored),
 * the notified progression one that was? */
static void check_notified(session *s)
{
    for (int i = 0; i < s->notified_count; i++)
        if (!known_model(s, s->notified[i]))
            fail(s, "the plugin notified model '%s', which is not one of the valid models set%s", s->notified[i],
                 s->restoring ? " or restored" : "");
    if (s->notified_progressions && !known_progression(s, s->notified_progression))
        fail(s, "the plugin notified progression '%s', which is not one of the valid ones set%s",
             s->notified_progression, s->restoring ? " or restored" : "");
}

static bool make_temp_dir(char *dir, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, size, "%s/plugin_rt_host-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir))
        return true;
    fprintf(stderr, "plugin_rt_host: cannot make a folder in %s: %s\n", tmp && *tmp ? tmp : "/tmp", strerror(errno));
    return false;
}

static void remove_temp_dir(const session *s, const char *dir)
{
    for (int m = 0; m < MODEL_COUNT; m++)
        if (!strncmp(s->models[m], dir, strlen(dir)))
            unlink(s->models[m]);
    if (s->restored_model[0])
        unlink(s->restored_model);
    rmdir(dir);
}

/* ---- Restore while run runs (--restores) ------------------------------------------------------------- */

/* The restoring thread's world: two states made with lilv, as a host makes a preset's, and the
 * plugin's state interface for save(). */
typedef struct restorer {
    session *s;
    LilvWorld *lilv;
    LV2_URID_Map map;
    LilvState *states[2];
    const char *models[2];       /* the model each state names */
    const char *progressions[2]; /* and its progression (Improv RNN; else NULL) */
    LilvInstance *instance;
    const LV2_State_Interface *state;
    LV2_URID atom_path, atom_string;
    rng r;
    long restores, saves, saved_as_restored; /* saves that stored the model just restored */
    char failure[LV2HOST_MESSAGE_SIZE];      /* the restoring thread's own first failure */
} restorer;

/* What one save() stored. */
typedef struct saved {
    const restorer *x;
    char model[PATH_MAX], progression[GEN_TEXT];
    char problem[LV2HOST_MESSAGE_SIZE];
} saved;

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri)
{
    return lv2host_map(handle, uri);
}

/* save()'s store function: keeps the model path and the progression, checking their types. */
static LV2_State_Status store_value(LV2_State_Handle handle, uint32_t key, const void *value, size_t size,
                                    uint32_t type, uint32_t flags)
{
    saved *v = handle;
    const session *s = v->x->s;
    bool model = key == s->model_urid, progression = key == s->progression_urid && s->improv;
    char *into = model ? v->model : progression ? v->progression : NULL;
    size_t room = model ? sizeof v->model : sizeof v->progression;
    uint32_t want = model ? v->x->atom_path : v->x->atom_string;
    const char *text = value;
    if (v->problem[0])
        return LV2_STATE_ERR_UNKNOWN;
    if (!into)
        snprintf(v->problem, sizeof v->problem, "save() stored an unknown property (URID %u)", key);
    else if (type != want || !(flags & LV2_STATE_IS_POD))
        snprintf(v->problem, sizeof v->problem, "save() stored the %s with type %u, flags %u", model ? "model" : "progression",
                 type, flags);
    else if (!text || size == 0 || size > room || text[size - 1] != '\0' || strlen(text) + 1 != size)
        snprintf(v->problem, sizeof v->problem, "save() stored the %s as %zu bytes that are not one string",
                 model ? "model" : "progression", size);
    else
        memcpy(into, text, size);
    return v->problem[0] ? LV2_STATE_ERR_UNKNOWN : LV2_STATE_SUCCESS;
}

/* state:mapPath for save(): the abstract path is the absolute one (a host without a session
 * folder); state:freePath frees it. */
static char *map_abstract(LV2_State_Map_Path_Handle handle, const char *absolute)
{
    (void)handle;
    return strdup(absolute);
}

static void free_mapped(LV2_State_Free_Path_Handle handle, char *path)
{
    (void)handle;
    free(path);
}

/* The plugin's save(), as a host calls it while run runs; false with v->problem on failure. */
static bool save_state(const restorer *x, saved *v)
{
    LV2_State_Map_Path map_path = {NULL, map_abstract, map_abstract};
    LV2_State_Free_Path free_path = {NULL, free_mapped};
    const LV2_Feature map_feature = {LV2_STATE__mapPath, &map_path}, free_feature = {LV2_STATE__freePath, &free_path};
    const LV2_Feature *features[] = {&map_feature, &free_feature, NULL};
    memset(v, 0, sizeof *v);
    v->x = x;
    LV2_State_Status status = x->state->save(lilv_instance_get_handle(x->instance), store_value, v,
                                             LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE, features);
    if (status != LV2_STATE_SUCCESS && !v->problem[0])
        snprintf(v->problem, sizeof v->problem, "save() returned %d", (int)status);
    if (!v->problem[0] && !v->model[0])
        snprintf(v->problem, sizeof v->problem, "save() stored no model");
    if (!v->problem[0] && x->s->improv && !v->progression[0])
        snprintf(v->problem, sizeof v->problem, "save() stored no progression");
    return !v->problem[0];
}

/* A state that names `model` (and `progression` if not NULL), as a preset in Turtle; the model
 * as a file URI, which lilv hands to restore() as an atom:Path. */
static LilvState *make_state(restorer *x, const char *model, const char *progression, char *why)
{
    LilvNode *file = lilv_new_file_uri(x->lilv, NULL, model);
    static char turtle[3 * PATH_MAX + 1024];
    int n = file ? snprintf(turtle, sizeof turtle,
                            "@prefix lv2: <http://lv2plug.in/ns/lv2core#> .\n"
                            "@prefix pset: <http://lv2plug.in/ns/ext/presets#> .\n"
                            "@prefix state: <http://lv2plug.in/ns/ext/state#> .\n"
                            "<urn:magenta-lv2:plugin-rt-host:state> a pset:Preset ;\n"
                            "  lv2:appliesTo <%s> ;\n"
                            "  state:state [ <" MODEL_URI "> <%s> %s%s%s ] .\n",
                            x->s->opt->uri, lilv_node_as_uri(file), progression ? "; <" PROGRESSION_URI "> \"" : "",
                            progression ? progression : "", progression ? "\"" : "")
                 : -1;
    lilv_node_free(file);
    LilvState *state = n > 0 && (size_t)n < sizeof turtle ? lilv_state_new_from_string(x->lilv, &x->map, turtle) : NULL;
    if (!state)
        snprintf(why, LV2HOST_MESSAGE_SIZE, "cannot make a state naming %.400s", model);
    return state;
}

/* Off the audio thread, before it starts: the restored states' own model (a small one with
 * random weights), the two states, the plugin's instance and state interface. */
static bool prepare_restorer(session *s, restorer *x, const char *dir, char *why)
{
    x->s = s;
    x->r.s = s->opt->seed * 0xd1b54a32d192ed03ull + 7;
    x->instance = lv2host_plugin_instance(s->p);
    const lv2host_model_shape *largest = lv2host_largest_model(s->short_name);
    if (!x->instance || strcmp(lilv_instance_get_uri(x->instance), s->opt->uri)) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "lv2host made no LilvInstance of %s", s->opt->uri);
        return false;
    }
    x->state = lilv_instance_get_extension_data(x->instance, LV2_STATE__interface);
    if (!x->state || !x->state->save || !x->state->restore || !largest) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "%s has no state interface or no model shape", s->short_name);
        return false;
    }
    lv2host_model_shape small = *largest;
    small.num_layers = 2, small.units[0] = small.units[1] = 48, small.attn_length = 0;
    if (snprintf(s->restored_model, PATH_MAX, "%s/%s-restored.nnm", dir, s->short_name) >= PATH_MAX ||
        !lv2host_write_model(s->restored_model, &small, 9, 0.1f, why))
        return false;
    x->atom_path = lv2host_world_urids(s->world)->atom_Path;
    x->atom_string = lv2host_world_urids(s->world)->atom_String;
    x->lilv = lilv_world_new();
    x->map = (LV2_URID_Map){s->world, map_uri};
    x->models[0] = s->models[MODEL_DEFAULT];
    x->models[1] = s->restored_model;
    for (int i = 0; i < 2; i++) {
        x->progressions[i] = s->improv ? restored_progressions[i] : NULL;
        if (!x->lilv || !(x->states[i] = make_state(x, x->models[i], x->progressions[i], why)))
            return false;
    }
    return true;
}

static void free_restorer(restorer *x)
{
    for (int i = 0; i < 2; i++)
        lilv_state_free(x->states[i]);
    if (x->lilv)
        lilv_world_free(x->lilv);
}

static void restore_fail(restorer *x, const char *format, ...)
{
    if (x->failure[0])
        return;
    va_list args;
    va_start(args, format);
    vsnprintf(x->failure, sizeof x->failure, format, args);
    va_end(args);
}

static void nap(void)
{
    struct timespec t = {0, 100000};
    nanosleep(&t, NULL);
}

/* Until the audio thread has done `count` more callbacks (or given up). */
static void wait_callbacks(session *s, long count)
{
    long until = atomic_load(&s->audio_callbacks) + count;
    while (atomic_load(&s->audio_callbacks) < until && !atomic_load(&s->audio_gave_up))
        nap();
}

/* The restoring thread: restore, save (at once or after a callback or two), check what save
 * stored, let 0 to 3 callbacks pass. The last restore (of the states' own model) comes after
 * the audio thread stopped setting parameters, so from then on nothing may change the model
 * but that restore. */
static void *restore_thread(void *user)
{
    restorer *x = user;
    session *s = x->s;
    long count = s->opt->restores;
    for (long i = 0; i < count && !x->failure[0] && !atomic_load(&s->audio_gave_up); i++) {
        int which = (count - 1 - i) % 2 == 0; /* alternating, the last one state 1 */
        bool last = i == count - 1;
        if (last) {
            atomic_store(&s->sets_closed, true);
            while (!atomic_load(&s->sets_stopped) && !atomic_load(&s->audio_gave_up))
                nap();
        }
        lilv_state_restore(x->states[which], x->instance, NULL, NULL, 0, NULL);
        x->restores++;
        /* Save at once (run has likely not taken the restore yet) or after run has had time to. */
        if (rng_chance(&x->r, 0.4))
            wait_callbacks(s, rng_int(&x->r, 1, 2));
        saved v;
        if (!save_state(x, &v)) {
            restore_fail(x, "after restore %ld: %s", i + 1, v.problem);
            break;
        }
        x->saves++;
        /* The model restored, or (until the host stops setting it) one set by patch:Set after
         * run took the restore; never the other state's. */
        bool as_restored = same_file(v.model, x->models[which]);
        x->saved_as_restored += as_restored;
        if (!as_restored && (last || !is_set_model(s, v.model)))
            restore_fail(x, "restore %ld%s named %s, then save() stored the model %s", i + 1,
                         last ? " (the last, no patch:Set since)" : "", x->models[which], v.model);
        if (s->improv && strcmp(v.progression, x->progressions[which]) &&
            (last || !known_progression(s, v.progression) || !strcmp(v.progression, x->progressions[!which])))
            restore_fail(x, "restore %ld%s named the progression '%s', then save() stored '%s'", i + 1,
                         last ? " (the last, no patch:Set since)" : "", x->progressions[which], v.progression);
        long pause = rng_int(&x->r, 0, 3); /* 0: the next restore may replace one run has not taken */
        if (pause)
            wait_callbacks(s, pause);
    }
    atomic_store(&s->restorer_done, true);
    return NULL;
}

/* After the restores: a few callbacks (the worker idle between them, as time passing would
 * let it be), then patch:Get of every property, which must answer with the last restore's
 * model and progression; and save() must store them. Then a patch:Set of the small model:
 * save() must store that (what restore left behind must not outlive it). */
static void check_after_restores(session *s, restorer *x)
{
    for (int i = 0; i < 8 && !s->failure[0]; i++) {
        lv2host_worker_drain(s->p);
        callback(s, block_size(s), NULL);
        check_notified(s);
    }
    s->get_all = true;
    callback(s, block_size(s), NULL);
    s->get_all = false;
    check_notified(s);
    if (s->notified_count == 0)
        fail(s, "after the restores patch:Get was not answered with the model");
    for (int i = 0; i < s->notified_count; i++)
        if (!same_file(s->notified[i], x->models[1]))
            fail(s, "after the restores (the last named %s) patch:Get was answered with the model %s", x->models[1],
                 s->notified[i]);
    if (s->improv && (s->notified_progressions == 0 || strcmp(s->notified_progression, x->progressions[1])))
        fail(s, "after the restores (the last named '%s') patch:Get was answered with the progression '%s'",
             x->progressions[1], s->notified_progressions ? s->notified_progression : "(none)");
    saved v;
    if (!save_state(x, &v))
        fail(s, "after the restores: %s", v.problem);
    else if (!same_file(v.model, x->models[1]) || (s->improv && strcmp(v.progression, x->progressions[1])))
        fail(s, "after the restores (the last named %s '%s') save() stored %s '%s'", x->models[1],
             s->improv ? x->progressions[1] : "", v.model, v.progression);

    s->force_model = MODEL_SMALL;
    for (int i = 0; i < 3 && !s->failure[0]; i++) {
        callback(s, block_size(s), NULL);
        check_notified(s);
        lv2host_worker_drain(s->p);
    }
    callback(s, block_size(s), NULL); /* the answer arrives */
    check_notified(s);
    if (!save_state(x, &v))
        fail(s, "after the restores and a patch:Set: %s", v.problem);
    else if (!same_file(v.model, s->models[MODEL_SMALL]))
        fail(s, "after the restores and a patch:Set of %s, save() stored %s", s->models[MODEL_SMALL], v.model);
}

/* The whole run at one rate. Returns false on any failure, having said why. */
static bool run_rate(const options *opt, lv2host_world *world, double rate, int rate_index, long callbacks,
                     const char *violation)
{
    session *s = calloc(1, sizeof *s);
    char why[LV2HOST_MESSAGE_SIZE] = "", dir[PATH_MAX];
    if (!s || !make_temp_dir(dir, sizeof dir)) {
        free(s);
        return false;
    }
    s->opt = opt;
    s->r.s = opt->seed * 0x9e3779b97f4a7c15ull + (uint64_t)rate + 1;
    s->world = world;
    s->short_name = short_name_of(opt->uri);
    s->improv = !strcmp(s->short_name, "improv_rnn");
    s->no_transport = !strcmp(s->short_name, "piano_genie");
    s->model_urid = lv2host_map(world, MODEL_URI);
    s->progression_urid = lv2host_map(world, PROGRESSION_URI);
    s->smallest = UINT32_MAX;
    s->force_model = -1;
    lv2host_notes_init(&s->notes);
    lv2host_transport_init(&s->t, rate, 120.0, 4.0, 4);
    atomic_init(&s->missing_named, 0);
    atomic_init(&s->damaged_named, 0);
    atomic_init(&s->sets_closed, false);
    atomic_init(&s->sets_stopped, false);
    atomic_init(&s->restorer_done, false);
    atomic_init(&s->audio_gave_up, false);
    atomic_init(&s->audio_callbacks, 0);

    lv2host_config config = lv2host_config_default(rate, MAX_BLOCK);
    /* Both worker modes and both orders of responses and run, across the rates; restoring, the
     * worker in a thread as in a live host, responses after run at the first rate (as Jalv and
     * Ardour) and before it at the second. */
    s->restoring = opt->restores > 0 && !violation;
    config.worker = rate_index % 2 == 0 || s->restoring ? LV2HOST_WORKER_THREAD : LV2HOST_WORKER_SYNC;
    config.responses_before_run = s->restoring ? rate_index % 2 == 1 : rate_index % 4 == 1 || rate_index % 4 == 2;
    config.quiet = !opt->verbose; /* the bad models' errors are expected; counted and shown below */
    config.name = s->short_name;
    config.log_hook = log_hook;
    config.log_user = s;
    s->p = lv2host_plugin_new(world, opt->uri, &config, why);
    restorer x = {0};
    bool ok = s->p && find_ports(s, why) && prepare_models(s, dir, why) &&
              (!s->restoring || prepare_restorer(s, &x, dir, why));
    if (!ok) {
        fprintf(stderr, "plugin_rt_host: %s\n", why);
        free_restorer(&x);
        lv2host_plugin_free(s->p);
        remove_temp_dir(s, dir);
        free(s);
        return false;
    }
    if (violation)
        remove_temp_dir(s, dir); /* RTSan ends this run: nothing would remove them after */
    lv2host_activate(s->p);
    pthread_t thread;
    bool thread_started = false;
    if (s->restoring) {
        int error = pthread_create(&thread, NULL, restore_thread, &x);
        thread_started = error == 0;
        if (error)
            fail(s, "cannot start the restoring thread: %s", strerror(error));
    }
    /* Restoring, the callbacks go on until the restoring thread is done. */
    for (long i = 0; (i < callbacks || (thread_started && !atomic_load(&s->restorer_done))) &&
                     (!s->failure[0] || opt->keep_going);
         i++) {
        callback(s, block_size(s), violation && i == 10 ? violation : NULL);
        check_notified(s);
    }
    if (thread_started) {
        atomic_store(&s->audio_gave_up, true); /* if it is not done, a failure ended the callbacks */
        pthread_join(thread, NULL);
        if (x.failure[0])
            fail(s, "%s", x.failure);
        if (!s->failure[0] && s->restore_phase_note_ons == 0)
            fail(s, "no note-on while the plugin was being restored");
        if (!s->failure[0] || opt->keep_going)
            check_after_restores(s, &x);
    }
    if (violation) {
        fprintf(stderr, "plugin_rt_host: the %s violation was not caught\n", violation);
        exit(EXIT_NOT_CAUGHT);
    }
    /* The end: release every input note, stop the transport, one more callback, deactivate. */
    if (!s->failure[0] || opt->keep_going) {
        s->looping = false;
        for (int i = 0; i < s->held_count; i++)
            s->held[i].off_frame = s->host_frame;
        action stop = {0, ACT_STOP, 0};
        __rtsan_realtime_enter();
        for (int i = 0; i < s->held_count; i++) {
            uint8_t off[3] = {0x80, (uint8_t)s->held[i].pitch, 64};
            lv2host_send_midi(s->p, s->control, 0, off, 3);
        }
        perform(s, &stop);
        lv2host_run(s->p, 256);
        check_outputs(s, 256, 0);
        __rtsan_realtime_exit();
        lv2host_idle(s->p);
        if (lv2host_notes_sounding(&s->notes))
            fail(s, "%d notes sound after the final stop", lv2host_notes_sounding(&s->notes));
    }
    lv2host_deactivate(s->p);
    lv2host_worker_drain(s->p);
    lv2host_idle(s->p);
    if (!s->failure[0] && s->notes.note_ons == 0)
        fail(s, "no note at all in %ld callbacks (%.1f s of audio)", callbacks, s->frames / rate);
    char last_error[LV2HOST_MESSAGE_SIZE];
    lv2host_last_error(s->p, last_error, sizeof last_error);
    int errors = lv2host_log_errors(s->p);
    long missing_named = atomic_load(&s->missing_named), damaged_named = atomic_load(&s->damaged_named);
    if (s->notify >= 0 && s->missing_sets > 0 && missing_named == 0)
        fail(s, "a missing model file was set %ld times and no log:Error named it", s->missing_sets);
    if (s->notify >= 0 && s->damaged_sets > 0 && damaged_named == 0)
        fail(s, "a damaged model file was set %ld times and no log:Error named it", s->damaged_sets);

    printf("plugin_rt_host: %s at %6.0f Hz: %ld callbacks of %u..%u frames (%.0f s of audio), worker %s, responses "
           "%s run\n",
           s->short_name, rate, s->callbacks, s->smallest, s->largest, s->frames / rate,
           config.worker == LV2HOST_WORKER_THREAD ? "thread" : "between callbacks",
           config.responses_before_run ? "before" : "after");
    printf("  in: %ld time:Position (%ld starts, %ld stops, %ld relocations, %ld tempo changes, %ld loop jumps), "
           "%ld notes, %ld model sets (%ld bad), %ld progressions, %ld patch:Get, %ld control changes\n",
           s->positions, s->starts, s->stops, s->relocations, s->tempos, s->loop_jumps, s->notes_in, s->sets,
           s->bad_sets, s->progressions, s->gets, s->control_changes);
    printf("  out: %ld note-ons, %ld note-offs, %ld other MIDI, %ld notifications; %d errors logged (%ld name the "
           "missing model, %ld the damaged one)%s%s%s\n",
           s->notes.note_ons, s->notes.note_offs, s->notes.other, s->notifications, errors, missing_named,
           damaged_named, last_error[0] ? "; last: \"" : "", last_error, last_error[0] ? "\"" : "");
    if (s->restoring)
        printf("  restores: %ld by lilv_state_restore from another thread, each followed by save() (%ld of %ld saves "
               "stored the model just restored, the others one set since); %ld note-ons meanwhile\n",
               x.restores, x.saved_as_restored, x.saves, s->restore_phase_note_ons);
    ok = !s->failure[0];
    if (ok)
        printf("  %sno hung note, every event inside its block and in time order%s\n", RTSAN_CHECKED ? "no RTSan violation, " : "",
               s->restoring ? "; the last restore won" : "");
    else
        fprintf(stderr, "plugin_rt_host: %s at %.0f Hz: FAILED: %s\n", s->short_name, rate, s->failure);
    free_restorer(&x);
    lv2host_plugin_free(s->p);
    remove_temp_dir(s, dir);
    free(s);
    return ok;
}

/* ---- The self-test: run --violate KIND in a child, expect RTSan's report -------------------------- */

static bool violation_is_caught(const options *opt, const char *kind)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("plugin_rt_host: pipe");
        return false;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    char *args[] = {"plugin_rt_host", "--violate", (char *)kind, (char *)opt->uri, NULL};
    pid_t pid;
    int spawned = posix_spawn(&pid, "/proc/self/exe", &actions, NULL, args, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (spawned != 0) {
        close(fds[0]);
        fprintf(stderr, "plugin_rt_host: cannot run myself: %s\n", strerror(spawned));
        return false;
    }
    static char err[65536];
    size_t used = 0;
    for (;;) {
        ssize_t got = read(fds[0], err + used, sizeof err - 1 - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        used += (size_t)got;
    }
    err[used] = 0;
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            perror("plugin_rt_host: waitpid");
            return false;
        }
    /* strdup's must come from inside the C library: a shared object's calls are caught too. */
    const char *report = strstr(err, "call to real-time unsafe function `malloc`");
    if (report && !strcmp(kind, "strdup") && !strstr(report, "in strdup"))
        report = NULL;
    bool failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    bool ran_past = WIFEXITED(status) && WEXITSTATUS(status) == EXIT_NOT_CAUGHT;
    if (failed && !ran_past && report) {
        const char *line = report;
        while (line > err && line[-1] != '\n')
            line--;
        printf("plugin_rt_host: %-6s caught: %.*s\n", kind, (int)strcspn(line, "\n"), line);
        return true;
    }
    fprintf(stderr, "plugin_rt_host: the %s violation was NOT caught (%s, %s report)\n--- its stderr ---\n%s--- end ---\n",
            kind, ran_past ? "the child ran past it" : failed ? "the child failed" : "the child exited 0",
            report ? "with a" : "without a", err);
    return false;
}

/* ---- Main ---------------------------------------------------------------------------------------------- */

static int usage(void)
{
    fputs("usage: plugin_rt_host [--rates R,R,..] [--callbacks N] [--short-callbacks N] [--seed N]\n"
          "                      [--ports CONTROL,MIDI_OUT[,NOTIFY]] [--keep-going] [--verbose] URI\n"
          "       plugin_rt_host --restores N [--rates R,R] [--callbacks N] [--seed N] URI\n"
          "       plugin_rt_host --violate malloc|strdup URI\n"
          "       plugin_rt_host --self-test URI\n",
          stderr);
    return 2;
}

static bool parse_long(const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    __rtsan_init();
    options opt = {.rates = {22050, 44100, 48000, 96000, 192000}, .rate_count = 5, .callbacks = 10000,
                   .short_callbacks = -1, .seed = 1, .ports = {"control", "midi_out", "notify"}};
    static char ports[256];
    const char *violation = NULL;
    bool self_test = false, rates_given = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (!strcmp(a, "--rates") && v) {
            opt.rate_count = 0;
            rates_given = true;
            for (char *rest = argv[++i], *end; *rest && opt.rate_count < 8; rest = *end ? end + 1 : end) {
                opt.rates[opt.rate_count] = strtod(rest, &end);
                if (end == rest || (*end && *end != ',') || opt.rates[opt.rate_count] < 8000)
                    return usage();
                opt.rate_count++;
            }
        } else if (!strcmp(a, "--callbacks") && v && parse_long(v, 1, 100000000, &n)) {
            opt.callbacks = n, i++;
        } else if (!strcmp(a, "--short-callbacks") && v && parse_long(v, 1, 100000000, &n)) {
            opt.short_callbacks = n, i++;
        } else if (!strcmp(a, "--restores") && v && parse_long(v, 1, 1000000, &n)) {
            opt.restores = n, i++;
        } else if (!strcmp(a, "--seed") && v && parse_long(v, 0, LONG_MAX, &n)) {
            opt.seed = (uint64_t)n, i++;
        } else if (!strcmp(a, "--ports") && v && strlen(v) < sizeof ports) {
            /* CONTROL,MIDI_OUT[,NOTIFY]: for other plugins than the suite's (eg-fifths: in,out) */
            strcpy(ports, argv[++i]);
            opt.ports[0] = strtok(ports, ",");
            opt.ports[1] = strtok(NULL, ",");
            opt.ports[2] = strtok(NULL, ",");
            if (!opt.ports[0] || !opt.ports[1])
                return usage();
        } else if (!strcmp(a, "--keep-going")) {
            opt.keep_going = true;
        } else if (!strcmp(a, "--verbose")) {
            opt.verbose = true;
        } else if (!strcmp(a, "--violate") && v && (!strcmp(v, "malloc") || !strcmp(v, "strdup"))) {
            violation = argv[++i];
        } else if (!strcmp(a, "--self-test")) {
            self_test = true;
        } else if (a[0] != '-' && !opt.uri) {
            opt.uri = a;
        } else {
            return usage();
        }
    }
    if (!opt.uri || (opt.restores && !opt.ports[2]))
        return usage();
    if (opt.restores && !rates_given) /* responses after run at 48 kHz, before it at 44.1 */
        opt.rates[0] = 48000, opt.rates[1] = 44100, opt.rate_count = 2;
    if (self_test) {
        bool ok = violation_is_caught(&opt, "malloc");
        ok = violation_is_caught(&opt, "strdup") && ok;
        return ok ? 0 : 1;
    }
    char why[LV2HOST_MESSAGE_SIZE];
    lv2host_world *world = lv2host_world_new(NULL, why);
    if (!world) {
        fprintf(stderr, "plugin_rt_host: %s\n", why);
        return 1;
    }
    bool ok = true;
    if (violation) {
        ok = run_rate(&opt, world, 48000, 0, 20, violation);
    } else {
        for (int i = 0; i < opt.rate_count && ok; i++) {
            long callbacks = opt.rates[i] == 48000 || opt.short_callbacks < 0 ? opt.callbacks : opt.short_callbacks;
            ok = run_rate(&opt, world, opt.rates[i], i, callbacks, NULL);
        }
    }
    lv2host_world_free(world);
    return ok ? 0 : 1;
}
