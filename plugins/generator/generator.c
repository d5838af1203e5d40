/* generator.c — the generators' core: the clock that follows the host's transport, the pacing
 * of model steps, the modes (free run, loops, continue, answer) and the notes they play. What
 * is particular to Melody, Drums or Improv RNN sits behind gen_kind_ops (gen_private.h);
 * Performance RNN, on its own 10 ms timeline, replaces the grid loop through the ops' run, stop,
 * transport, controls and status hooks (performance.c) and shares the clock and the notes.
 *
 * How a step is played. The model keeps a track of one event per grid step (the player's steps
 * while it listens, its own while it generates). At each step's boundary frame the core (1)
 * records the step that just ended if it listens, (2) starts or ends generations and replies,
 * (3) plays the step's event. The events a generation plays are drawn ahead of time, up to a
 * beat, at most GEN_MAX_STEPS_PER_RUN model steps per gen_run, paced by a credit of frames
 * (four model steps per grid step); the step due now is always computed. Improv RNN on held
 * chords draws each step at its boundary instead (its input holds that step's chord, which the
 * player may change until then): one model step per grid step, at most. Since every draw
 * depends only on the seed and the events before it, the notes do not depend on block sizes.
 *
 * Choices where Magenta has no real-time counterpart:
 *  - a free-run generation begins with Magenta's default primer (middle C, or a kick) on its
 *    first step and plays it, as Magenta's output begins with its primer; the track starts at
 *    that step's bar line so the model's step counter counts bars as in training (the silence
 *    before a mid-bar start is not fed: there is no time for it);
 *  - the player has stopped after a beat with no note sounding or starting; a note during a
 *    reply ends the reply (the model then listens again, its own steps of that bar kept);
 *  - a bar of silence from both ends a conversation (Magenta's melodies end at a gap of a bar):
 *    the next phrase starts a fresh track at its bar line;
 *  - the heard phrase is folded by octaves into the model's range but not transposed into the
 *    configuration's key (melody_rnn_generate squashes its primer into C and back).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "gen_private.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEP_EPS 1e-6 /* frames: a boundary a rounding error past a frame is on that frame */
/* Hosts send positions rounded to ticks of 1/1920 beat (Ardour, every cycle; jalv from JACK's
 * BBT): the clock keeps its own phase while the host's position is within two such ticks of
 * it, so the grid stays on the exact frame instead of following the host's rounding. */
#define HOST_ROUNDING_QUARTERS (2.0 / 1920.0)

nn_status gen_fail(char *why, nn_status status, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    if (why)
        vsnprintf(why, NN_MESSAGE_SIZE, format, args);
    va_end(args);
    return status;
}

void gen_copy_name(char *to, size_t size, const char *from)
{
    size_t n = strlen(from);
    n = n < size ? n : size - 1;
    memcpy(to, from, n);
    to[n] = '\0';
}

static const gen_kind_ops *ops_of(gen_kind kind)
{
    switch (kind) {
    case GEN_MELODY: return &gen_melody_ops;
    case GEN_DRUMS: return &gen_drums_ops;
    case GEN_IMPROV: return &gen_improv_ops;
    case GEN_PERFORMANCE: return &gen_performance_ops;
    }
    return NULL;
}

const char *gen_kind_name(gen_kind kind)
{
    switch (kind) {
    case GEN_MELODY: return "melody";
    case GEN_DRUMS: return "drums";
    case GEN_IMPROV: return "improv";
    case GEN_PERFORMANCE: return "performance";
    }
    return "unknown";
}

int gen_max_steps_per_run(void)
{
    return GEN_MAX_STEPS_PER_RUN;
}

int gen_max_layers_per_run(double sample_rate, uint32_t frames)
{
    if (!(sample_rate > 0.0))
        return 1;
    /* the call's own share, at least one layer: no carry-over, so a 64-frame call at 48 kHz
     * computes at most 2 layers (3 x 512 f16: about 0.3 ms of its 1.33 ms) */
    double grant = ceil((double)frames * GEN_LAYERS_PER_SECOND / sample_rate);
    return grant > GEN_MAX_LAYERS_PER_RUN ? GEN_MAX_LAYERS_PER_RUN : grant < 1 ? 1 : (int)grant;
}

/* ---- Controls ------------------------------------------------------------------------------ */

static const int gm_drum_notes[9] = {36, 38, 42, 46, 45, 48, 50, 49, 51};

gen_controls gen_controls_default(gen_kind kind)
{
    gen_controls c = {.temperature = 1.0f, .steps_per_quarter = 4, .mode = GEN_MODE_FREE, .length_bars = 2,
                      .loop_bars = 0, .pitch_low = 36, .pitch_high = 96, .transpose = 0, .velocity = 100,
                      .channel = kind == GEN_DRUMS ? 10 : 1, .seed = 1, .regenerate = false, .bpm = 120.0,
                      .chord_source = GEN_CHORDS_HELD, .split_note = 60};
    memcpy(c.drum_notes, gm_drum_notes, sizeof c.drum_notes);
    return c;
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static double clampd(double v, double lo, double hi, double fallback)
{
    if (isnan(v))
        return fallback;
    return v < lo ? lo : v > hi ? hi : v;
}

static gen_controls clamp_controls(gen_kind kind, const gen_controls *in)
{
    gen_controls d = gen_controls_default(kind), c = *in;
    c.temperature = (float)clampd(c.temperature, 0.05, 4.0, d.temperature);
    c.steps_per_quarter = clampi(c.steps_per_quarter, 1, 8);
    c.mode = clampi(c.mode, GEN_MODE_CONTINUE, GEN_MODE_FREE);
    c.length_bars = clampi(c.length_bars, 1, 32);
    c.loop_bars = clampi(c.loop_bars, 0, 32);
    c.pitch_low = clampi(c.pitch_low, 0, 127);
    c.pitch_high = clampi(c.pitch_high, 0, 127);
    if (c.pitch_high < c.pitch_low + 11) { /* room for every pitch class */
        c.pitch_high = clampi(c.pitch_low + 11, 0, 127);
        c.pitch_low = c.pitch_high - 11;
    }
    c.transpose = clampi(c.transpose, -24, 24);
    c.velocity = clampi(c.velocity, 1, 127);
    c.channel = clampi(c.channel, 1, 16);
    c.seed = c.seed > 0xffffffu ? 0xffffffu : c.seed;
    c.bpm = clampd(c.bpm, 20.0, 400.0, d.bpm);
    for (int i = 0; i < 9; i++)
        c.drum_notes[i] = clampi(c.drum_notes[i], 0, 127);
    c.chord_source = clampi(c.chord_source, GEN_CHORDS_HELD, GEN_CHORDS_PROGRESSION);
    c.split_note = clampi(c.split_note, 0, 127);
    c.notes_per_second = clampd(c.notes_per_second, 0.0, 30.0, 0.0);
    for (int i = 0; i < 12; i++)
        c.pitch_classes[i] = (float)clampd(c.pitch_classes[i], 0.0, 1.0, 0.0);
    return c;
}

/* ---- Models -------------------------------------------------------------------------------- */

void gen_model_free(gen_model *model)
{
    if (!model)
        return;
    nn_sampler_free(model->sampler);
    nn_rnn_free(model->rnn);
    nn_model_free(model->nn);
    free(model->input);
    free(model);
}

const char *gen_model_config(const gen_model *model)
{
    return model ? model->config : NULL;
}

const char *gen_model_path(const gen_model *model)
{
    return model ? model->path : NULL;
}

nn_status gen_model_load(gen_kind kind, const char *path, gen_model **out, char *why)
{
    if (out)
        *out = NULL;
    const gen_kind_ops *ops = ops_of(kind);
    if (!out || !path || !ops)
        return gen_fail(why, NN_ERR_ARGUMENT, "gen_model_load: bad arguments");
    gen_model *m = calloc(1, sizeof *m);
    if (!m)
        return gen_fail(why, NN_ERR_MEMORY, "%s: out of memory", path);
    m->kind = kind;
    snprintf(m->path, sizeof m->path, "%s", path);
    nn_status st = nn_model_load(path, &m->nn, why);
    if (st != NN_OK)
        goto out;
    if (nn_model_kind(m->nn) != NN_KIND_EVENT_RNN) {
        const char *name = nn_kind_name(nn_model_kind(m->nn));
        st = gen_fail(why, NN_ERR_KIND, "%s: a %s file, not an event_rnn model of Melody, Drums, Improv or Performance RNN", path,
                  name ? name : "unknown");
        goto out;
    }
    const char *config = nn_model_string(m->nn, "encoding", NULL);
    if (!config) {
        st = gen_fail(why, NN_ERR_MISSING, "%s: no 'encoding' hyperparameter, so its configuration is unknown", path);
        goto out;
    }
    snprintf(m->config, sizeof m->config, "%s", config);
    if (!ops->configure(m, config)) {
        /* whose configuration is it, then? */
        static const gen_kind kinds[] = {GEN_MELODY, GEN_DRUMS, GEN_IMPROV, GEN_PERFORMANCE};
        gen_model *probe = calloc(1, sizeof *probe);
        const char *owner = NULL;
        for (int k = 0; probe && k < 4 && !owner; k++)
            if (kinds[k] != kind && ops_of(kinds[k])->configure(probe, config))
                owner = gen_kind_name(kinds[k]);
        free(probe);
        if (owner)
            st = gen_fail(why, NN_ERR_KIND, "%s: configuration '%s' is a %s model, not a %s model: load it in the %s "
                      "generator", path, config, owner, gen_kind_name(kind), owner);
        else
            st = gen_fail(why, NN_ERR_KIND, "%s: unknown configuration '%s' for a %s model", path, config,
                      gen_kind_name(kind));
        goto out;
    }
    st = nn_rnn_new(m->nn, &m->rnn, why);
    if (st != NN_OK)
        goto out;
    if (nn_rnn_input_size(m->rnn) != m->input_size || nn_rnn_classes(m->rnn) != m->classes) {
        st = gen_fail(why, NN_ERR_SHAPE, "%s: configuration '%s' takes input %d and has %d classes, but the file's model "
                  "has input %d and %d classes", path, config, m->input_size, m->classes,
                  nn_rnn_input_size(m->rnn), nn_rnn_classes(m->rnn));
        goto out;
    }
    m->input = calloc((size_t)m->input_size, sizeof *m->input);
    if (!m->input || nn_sampler_new(m->classes, 1, &m->sampler) != NN_OK) {
        st = gen_fail(why, NN_ERR_MEMORY, "%s: out of memory", path);
        goto out;
    }
    *out = m;
    return NN_OK;
out:
    gen_model_free(m);
    return st;
}

/* ---- The generator ----------------------------------------------------------------------------- */

nn_status gen_new(gen_kind kind, double sample_rate, gen **out, char *why)
{
    if (out)
        *out = NULL;
    if (!out || !ops_of(kind))
        return gen_fail(why, NN_ERR_ARGUMENT, "gen_new: bad arguments");
    if (!(sample_rate >= 8000.0 && sample_rate <= 768000.0))
        return gen_fail(why, NN_ERR_ARGUMENT, "gen_new: sample rate %g is outside 8000 .. 768000", sample_rate);
    gen *g = calloc(1, sizeof *g);
    if (!g)
        return gen_fail(why, NN_ERR_MEMORY, "gen_new: out of memory");
    g->kind = kind;
    g->ops = ops_of(kind);
    g->sample_rate = sample_rate;
    g->controls = gen_controls_default(kind);
    music_drum_map_default(&g->drum_input_map);
    if (kind == GEN_DRUMS)
        g->track.drums = calloc(GEN_HISTORY, sizeof *g->track.drums);
    else
        g->track.notes = calloc(GEN_HISTORY, sizeof *g->track.notes);
    g->loop = calloc((size_t)32 * GEN_MAX_BAR_STEPS, sizeof *g->loop);
    if (kind == GEN_PERFORMANCE)
        g->perf = gen_perf_new();
    if (!g->loop || (!g->track.drums && !g->track.notes) || (kind == GEN_PERFORMANCE && !g->perf)) {
        gen_free(g);
        return gen_fail(why, NN_ERR_MEMORY, "gen_new: out of memory");
    }
    /* the own clock: 4/4 at controls.bpm, rolling from frame 0 */
    g->rolling = true;
    g->speed = 1.0;
    g->beats_per_bar = 4.0;
    g->beat_unit = 4;
    g->qpm = g->controls.bpm;
    g->qpf = g->qpm / 60.0 / sample_rate;
    g->spq = g->controls.steps_per_quarter;
    g->last_step = INT64_MIN;
    g->want_start = -1;
    g->reply_at = -1;
    g->last_active = g->last_model = INT64_MIN / 2;
    g->input.started = -1;
    g->playing_note = -1;
    g->chord_word = 0x800000u; /* N.C. */
    snprintf(g->chord_name, sizeof g->chord_name, "%s", MUSIC_NO_CHORD);
    *out = g;
    return NN_OK;
}

void gen_free(gen *g)
{
    if (!g)
        return;
    free(g->track.notes);
    free(g->track.drums);
    free(g->loop);
    gen_perf_free(g->perf);
    free(g);
}

/* ---- Output ------------------------------------------------------------------------------------ */

/* Send a message now, or keep it for the next gen_run when there is no emitter or it is full.
 * Note-ons are kept only while room for every possible note-off remains. */
static bool send(gen *g, uint32_t frame, uint8_t status, uint8_t data1, uint8_t data2)
{
    gen_message m = {{status, data1, data2}};
    if (g->emit && g->pending_count == 0 && g->emit(g->user, frame, m.bytes, 3))
        return true;
    bool note_on = (status & 0xf0) == 0x90;
    if (g->pending_count >= (note_on ? GEN_PENDING - GEN_MAX_SOUNDING : GEN_PENDING))
        return false;
    g->pending[g->pending_count++] = m;
    return true;
}

static void flush_pending(gen *g)
{
    int sent = 0;
    while (sent < g->pending_count && g->emit(g->user, 0, g->pending[sent].bytes, 3))
        sent++;
    memmove(g->pending, g->pending + sent, (size_t)(g->pending_count - sent) * sizeof *g->pending);
    g->pending_count -= sent;
}

int gen_sounding_find(const gen *g, int pitch)
{
    for (int i = 0; i < g->sounding_count; i++)
        if (g->sounding[i].pitch == pitch)
            return i;
    return -1;
}

void gen_note_off(gen *g, uint32_t frame, int index)
{
    gen_sounding s = g->sounding[index];
    send(g, frame, (uint8_t)(0x80 | s.channel), s.pitch, 0);
    g->sounding[index] = g->sounding[--g->sounding_count];
    if (g->playing_note == s.pitch)
        g->playing_note = -1;
}

void gen_note_on(gen *g, uint32_t frame, int pitch)
{
    gen_note_on_velocity(g, frame, pitch, g->controls.velocity);
}

void gen_note_on_velocity(gen *g, uint32_t frame, int pitch, int velocity)
{
    int channel = g->controls.channel - 1, i = gen_sounding_find(g, pitch);
    if (i >= 0)
        gen_note_off(g, frame, i); /* the same note again: off first */
    if (g->sounding_count == GEN_MAX_SOUNDING)
        return;
    if (!send(g, frame, (uint8_t)(0x90 | channel), (uint8_t)pitch, (uint8_t)clampi(velocity, 1, 127)))
        return;
    g->sounding[g->sounding_count++] = (gen_sounding){(uint8_t)channel, (uint8_t)pitch};
    g->playing_note = pitch;
}

void gen_release_all(gen *g, uint32_t frame)
{
    while (g->sounding_count)
        gen_note_off(g, frame, g->sounding_count - 1);
}

int gen_fold(int pitch, int low, int high)
{
    while (pitch < low)
        pitch += 12;
    while (pitch >= high)
        pitch -= 12;
    return pitch;
}

/* ---- Clock ------------------------------------------------------------------------------------- */

static double bar_quarters(const gen *g)
{
    return g->beats_per_bar * 4.0 / g->beat_unit;
}

static double q_at(const gen *g, int64_t frame)
{
    return g->rolling ? g->anchor_q + (double)(frame - g->anchor_frame) * g->qpf : g->anchor_q;
}

double gen_q_at(const gen *g, int64_t frame)
{
    return q_at(g, frame);
}

double gen_bar_quarters(const gen *g)
{
    return bar_quarters(g);
}

double gen_beat_quarters(const gen *g)
{
    return 4.0 / g->beat_unit;
}

/* The first frame at or after step k's time. */
static int64_t step_frame(const gen *g, int64_t k)
{
    double x = ((double)k - g->anchor_q * g->spq) / (g->qpf * g->spq);
    return g->anchor_frame + (int64_t)ceil(x - STEP_EPS);
}

/* The first step at or after quarter q. */
static int64_t step_at_or_after(const gen *g, double q)
{
    return (int64_t)ceil(q * g->spq - 1e-9);
}

int64_t gen_bar_of_step(const gen *g, int64_t k)
{
    return (int64_t)floor((double)k / g->spq / bar_quarters(g) + 1e-9);
}

int64_t gen_bar_first_step(const gen *g, int64_t bar)
{
    return step_at_or_after(g, (double)bar * bar_quarters(g));
}

static int64_t next_bar_step(const gen *g, int64_t k)
{
    int64_t b = gen_bar_of_step(g, k);
    return gen_bar_first_step(g, b) == k ? k : gen_bar_first_step(g, b + 1);
}

static int64_t next_beat_step(const gen *g, int64_t k)
{
    double beat = 4.0 / g->beat_unit, q = (double)k / g->spq;
    int64_t b = (int64_t)floor(q / beat + 1e-9);
    int64_t s = step_at_or_after(g, b * beat);
    return s == k ? k : step_at_or_after(g, (b + 1) * beat);
}

/* The step `bars` bars after step k (at the same place in the bar). */
static int64_t steps_later(const gen *g, int64_t k, int bars)
{
    return step_at_or_after(g, (double)k / g->spq + bars * bar_quarters(g));
}

static int steps_per_beat(const gen *g)
{
    int n = (int)lround(4.0 / g->beat_unit * g->spq);
    return n < 1 ? 1 : n;
}

static void anchor(gen *g, double q)
{
    g->anchor_frame = g->frame;
    g->anchor_q = q;
    g->qpf = g->qpm / 60.0 / g->sample_rate * (g->speed > 0.0 ? g->speed : 1.0);
}

/* ---- The track ---------------------------------------------------------------------------------- */

void gen_track_silence(const gen *g, int i)
{
    if (g->track.drums)
        music_drum_event_clear(&g->track.drums[i]);
    else
        g->track.notes[i] = MUSIC_MELODY_NO_EVENT;
}

void gen_track_get(const gen *g, int i, gen_event *event)
{
    if (g->track.drums)
        event->drums = g->track.drums[i];
    else
        event->note = g->track.notes[i];
}

static void track_move(gen *g, int from, int count)
{
    if (g->track.drums)
        memmove(g->track.drums, g->track.drums + from, (size_t)count * sizeof *g->track.drums);
    else
        memmove(g->track.notes, g->track.notes + from, (size_t)count * sizeof *g->track.notes);
}

/* Room for one more event: a full track drops its oldest GEN_SLIDE events. */
static void track_room(gen *g)
{
    gen_track *t = &g->track;
    if (t->len < GEN_HISTORY)
        return;
    track_move(g, GEN_SLIDE, t->len - GEN_SLIDE);
    t->base += GEN_SLIDE;
    t->len -= GEN_SLIDE;
    t->fed = t->fed > GEN_SLIDE ? t->fed - GEN_SLIDE : 0;
}

/* A new track from `base`, silence up to step `until`; the model starts afresh. */
static void track_begin(gen *g, int64_t base, int64_t until)
{
    gen_track *t = &g->track;
    t->base = base;
    t->len = (int)(until - base);
    if (t->len > GEN_HISTORY - 1)
        t->len = 0, t->base = until;
    for (int i = 0; i < t->len; i++)
        gen_track_silence(g, i);
    t->fed = 0;
    t->primed = false;
    if (g->model)
        nn_rnn_reset(g->model->rnn);
}

/* Keep the events of steps [base, until) only, and feed them to a fresh model state. */
static void track_rebase(gen *g, int64_t base, int64_t until)
{
    gen_track *t = &g->track;
    if (base < t->base)
        base = t->base;
    int64_t end = t->base + t->len;
    if (until > end)
        until = end;
    if (until < base)
        until = base;
    int from = (int)(base - t->base), count = (int)(until - base);
    track_move(g, from, count);
    t->base = base;
    t->len = count;
    t->fed = 0;
    t->primed = false;
    if (g->model)
        nn_rnn_reset(g->model->rnn);
}

/* ---- Model steps ------------------------------------------------------------------------------- */

/* One unit of work: feed the next known event (a model step; false when the run's bound is
 * reached) or, generating, draw the next event from the logits (no model step). */
static bool advance(gen *g)
{
    const float **logits = &g->logits;
    gen_track *t = &g->track;
    gen_model *m = g->model;
    if (!m)
        return false;
    if (t->fed < t->len) {
        if (g->run_steps >= GEN_MAX_STEPS_PER_RUN)
            return false;
        if (g->ops->encode(g, t->fed, m->input) != NN_OK) /* no event of ours fails; stay in time anyway */
            memset(m->input, 0, (size_t)m->input_size * sizeof *m->input);
        nn_fp_state fp = nn_fp_enter();
        *logits = nn_rnn_step(m->rnn, m->input);
        nn_fp_leave(fp);
        t->fed++;
        t->primed = true;
        g->run_steps++;
        g->model_steps++;
        g->model_layers += (uint64_t)nn_rnn_num_layers(m->rnn);
        g->credit -= 1.0;
        return true;
    }
    int64_t step = t->base + t->len;
    if (!t->primed || !*logits || !g->generating || step >= g->gen_end || step < g->gen_start)
        return false;
    track_room(g);
    nn_sample_params params = {.temperature = g->controls.temperature};
    int label = nn_sampler_draw(m->sampler, *logits, m->classes, &params);
    if (!g->ops->decode(m, t, label))
        gen_track_silence(g, t->len);
    t->len++;
    return true;
}

/* Make the event of step k known, computing what is due now (within the run's bound). */
static bool make_ready(gen *g, int64_t k)
{
    while (g->track.base + g->track.len <= k)
        if (!advance(g))
            return false;
    return k >= g->track.base;
}

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A generation's draws come from (seed + regenerations, its first step). */
static void seed_generation(gen *g, int64_t start)
{
    uint64_t seed = (uint64_t)g->controls.seed + g->regen_count;
    nn_sampler_seed(g->model->sampler, mix64(mix64(seed + 0x9e3779b97f4a7c15ull) ^ (uint64_t)start));
}

void gen_seed_generation(gen *g, int64_t start)
{
    seed_generation(g, start);
}

/* ---- Generations -------------------------------------------------------------------------------- */

static bool looping(const gen *g)
{
    return g->controls.mode == GEN_MODE_FREE && g->controls.loop_bars > 0;
}

static bool loop_shape_ok(const gen *g)
{
    return g->loop_bars == g->controls.loop_bars && g->loop_spq == g->spq && g->loop_bar_q == bar_quarters(g);
}

static gen_event *loop_slot(gen *g, int64_t k)
{
    int64_t bar = gen_bar_of_step(g, k), in_bar = k - gen_bar_first_step(g, bar);
    if (in_bar < 0 || in_bar >= GEN_MAX_BAR_STEPS)
        return NULL;
    int64_t slot = bar % g->loop_bars;
    if (slot < 0)
        slot += g->loop_bars;
    return &g->loop[slot * GEN_MAX_BAR_STEPS + in_bar];
}

/* Free run: a generation from Magenta's default primer at step s (played), on a track whose
 * index 0 is the bar line before it (so the model's step counter counts from the bar). */
static void start_generation(gen *g, int64_t s, uint32_t frame)
{
    gen_release_all(g, frame);
    g->want_start = -1;
    g->generating = false;
    if (!g->model)
        return;
    int64_t base = gen_bar_first_step(g, gen_bar_of_step(g, s));
    if (s - base >= GEN_MAX_BAR_STEPS || base > s)
        base = s;
    track_begin(g, base, s);
    g->ops->primer(g->model, &g->track, g->track.len);
    g->track.len++;
    g->track.fed = g->track.len - 1; /* the silence before the primer is not fed: no time for it */
    seed_generation(g, s);
    g->generating = true;
    g->gen_start = s;
    g->gen_end = INT64_MAX;
    g->loop_pass = looping(g);
    if (g->loop_pass) {
        g->gen_end = steps_later(g, s, g->controls.loop_bars);
        g->loop_bars = g->controls.loop_bars;
        g->loop_spq = g->spq;
        g->loop_bar_q = bar_quarters(g);
        g->loop_valid = false;
    }
    g->state = GEN_PLAYING;
}

/* Answer / continue: the reply from step s, after the player's steps up to s - 1. */
static void start_reply(gen *g, int64_t s)
{
    g->reply_at = -1;
    if (!g->model || g->state != GEN_LISTENING)
        return;
    while (g->track.base + g->track.len < s) { /* cannot happen: every step is recorded */
        track_room(g);
        gen_track_silence(g, g->track.len++);
    }
    seed_generation(g, s);
    g->generating = true;
    g->gen_start = s;
    g->gen_end = steps_later(g, s, g->controls.length_bars);
    g->loop_pass = false;
    g->state = GEN_PLAYING;
}

static void finish_generation(gen *g, int64_t k, uint32_t frame)
{
    if (g->track.drums == NULL)
        gen_release_all(g, frame);
    g->generating = false;
    if (g->loop_pass) {
        g->loop_valid = true;
        g->loop_pass = false;
    }
    if (g->controls.mode != GEN_MODE_FREE && g->state == GEN_PLAYING) {
        g->state = GEN_LISTENING;
        g->last_model = k - 1;
    }
}

/* Everything stops: no generation, no listening; notes off (queued when there is no emitter). */
static void reset_play(gen *g, uint32_t frame)
{
    gen_release_all(g, frame);
    if (g->ops->stop)
        g->ops->stop(g);
    g->generating = false;
    g->loop_pass = false;
    g->want_start = -1;
    g->reply_at = -1;
    g->phrase = false;
    g->state = GEN_IDLE;
    g->track.len = g->track.fed = 0;
    g->track.primed = false;
}

/* ---- The player's steps (continue, answer) ----------------------------------------------------- */

static int64_t bar_steps(const gen *g)
{
    int64_t n = (int64_t)llround(bar_quarters(g) * g->spq);
    return n < 1 ? 1 : n;
}

static void end_of_step(gen *g, int64_t j, uint32_t frame)
{
    gen_input *in = &g->input;
    if (g->controls.mode == GEN_MODE_FREE || !g->model)
        return;
    bool started = g->track.drums ? !music_drum_event_is_empty(&in->hits) : in->started >= 0;
    if (g->state == GEN_PLAYING) {
        if (!started)
            return;
        /* the player plays again: the reply ends, the model listens from this bar's line,
         * its own steps of this bar kept */
        gen_release_all(g, frame);
        g->generating = false;
        g->state = GEN_LISTENING;
        g->last_model = j - 1;
        track_rebase(g, gen_bar_first_step(g, gen_bar_of_step(g, j)), j);
    } else if (g->state == GEN_IDLE) {
        if (!started)
            return;
        int64_t base = gen_bar_first_step(g, gen_bar_of_step(g, j));
        track_begin(g, base > j ? j : base, j);
        g->state = GEN_LISTENING;
        g->phrase = false;
    }
    gen_track *t = &g->track;
    while (t->base + t->len < j) {
        track_room(g);
        gen_track_silence(g, t->len++);
    }
    if (t->base + t->len != j)
        return; /* already has this step */
    track_room(g);
    g->ops->record(g, t->len);
    t->len++;
    if (in->active) {
        g->last_active = j;
        g->phrase = true;
        g->reply_at = -1;
    } else if (g->phrase && j - g->last_active >= steps_per_beat(g)) {
        /* a beat without a note: the player has stopped */
        g->reply_at = g->controls.mode == GEN_MODE_CONTINUE ? next_beat_step(g, j + 1) : next_bar_step(g, j + 1);
        g->phrase = false;
    } else if (!g->phrase && g->reply_at < 0) {
        int64_t last = g->last_active > g->last_model ? g->last_active : g->last_model;
        if (j - last >= bar_steps(g)) /* a bar of silence ends the conversation (Magenta's gap) */
            reset_play(g, frame);
    }
}

/* ---- One step's boundary ------------------------------------------------------------------------ */

static void play_step(gen *g, int64_t k, uint32_t frame)
{
    if (g->last_step == k - 1)
        end_of_step(g, k - 1, frame);
    g->last_step = k;
    g->input.started = -1;
    g->input.active = g->input.held_count > 0;
    music_drum_event_clear(&g->input.hits);

    if (g->generating && (k >= g->gen_end || k - g->track.base >= GEN_HISTORY)) {
        /* (the second: the model fell a whole track behind, which only a stalled model does) */
        finish_generation(g, k, frame);
        if (g->controls.mode == GEN_MODE_FREE)
            g->want_start = -1;
    }
    if (g->controls.mode == GEN_MODE_FREE) {
        bool pattern = looping(g) && g->loop_valid && loop_shape_ok(g);
        if (g->model && (g->want_start >= 0 ? k >= g->want_start : !g->generating && !pattern))
            start_generation(g, k, frame);
    } else if (g->reply_at >= 0 && k >= g->reply_at) {
        start_reply(g, k);
    }

    gen_event e;
    if (g->track.drums)
        music_drum_event_clear(&e.drums);
    else
        e.note = MUSIC_MELODY_NO_EVENT;
    if (g->generating && k >= g->gen_start) {
        if (make_ready(g, k)) {
            gen_track_get(g, (int)(k - g->track.base), &e);
        } else {
            g->late_steps++;
            gen_release_all(g, frame); /* played as a rest */
        }
        if (g->loop_pass) {
            gen_event *slot = loop_slot(g, k);
            if (slot)
                *slot = e;
        }
    } else if (looping(g) && g->loop_valid && loop_shape_ok(g)) {
        gen_event *slot = loop_slot(g, k);
        if (slot)
            e = *slot;
    }
    g->ops->play(g, &e, frame);
}

/* Draw and feed ahead with the credit left, up to a beat past the current step. Improv RNN on
 * held chords feeds only events whose next step has begun: feeding position p reads the chord
 * of step base + p + 1, which the player may still change until that step's boundary. */
static void compute_ahead(gen *g)
{
    int64_t target = g->next_step + steps_per_beat(g);
    bool live = gen_chords_live(g);
    while (g->credit >= 1.0 && g->run_steps < GEN_MAX_STEPS_PER_RUN) {
        gen_track *t = &g->track;
        if (t->fed >= t->len && t->base + t->len > target)
            break;
        if (live && t->fed < t->len && t->base + t->fed + 1 >= g->next_step)
            break;
        if (!advance(g))
            break;
    }
}

/* ---- The public calls --------------------------------------------------------------------------- */

void gen_run(gen *g, uint32_t frames, gen_emit_fn emit, void *user)
{
    if (!g)
        return;
    g->emit = emit;
    g->user = user;
    g->run_steps = 0;
    if (emit)
        flush_pending(g);
    if (g->ops->run) {
        g->ops->run(g, frames);
        g->frame += frames;
        g->emit = NULL;
        g->user = NULL;
        return;
    }
    /* the credit: GEN_STEPS_PER_GRID_STEP model steps per grid step's frames */
    double step_frames = 1.0 / (g->qpf * g->spq);
    g->credit += frames * (double)GEN_STEPS_PER_GRID_STEP / step_frames;
    if (g->credit > GEN_MAX_STEPS_PER_RUN)
        g->credit = GEN_MAX_STEPS_PER_RUN;
    while (g->rolling) {
        int64_t f = step_frame(g, g->next_step) - g->frame;
        if (f >= (int64_t)frames)
            break;
        play_step(g, g->next_step, f < 0 ? 0 : (uint32_t)f);
        g->next_step++;
    }
    compute_ahead(g);
    if (g->credit < -GEN_MAX_STEPS_PER_RUN)
        g->credit = -GEN_MAX_STEPS_PER_RUN;
    g->frame += frames;
    g->emit = NULL;
    g->user = NULL;
}

void gen_panic(gen *g, gen_emit_fn emit, void *user)
{
    if (!g)
        return;
    g->emit = emit;
    g->user = user;
    if (emit)
        flush_pending(g);
    gen_release_all(g, 0);
    g->emit = NULL;
    g->user = NULL;
}

/* A jump of the position, a new grid or a new mode: what played ends at the current frame. */
static void restart(gen *g)
{
    reset_play(g, 0);
    g->last_step = INT64_MIN;
    if (g->controls.mode == GEN_MODE_FREE)
        g->want_start = -1; /* the next step starts a generation (a valid loop plays on) */
}

gen_model *gen_swap_model(gen *g, gen_model *model)
{
    if (!g)
        return model;
    if (model && model->kind != g->kind)
        return model; /* refused: not a model of this generator's family */
    gen_model *old = g->model;
    g->model = model;
    gen_release_all(g, 0);
    g->track.primed = false;
    g->logits = NULL;
    g->loop_valid = false;
    if (model)
        nn_rnn_reset(model->rnn);
    if (g->ops->stop) {
        g->ops->stop(g); /* a fresh start: free run from the next step, or a new phrase */
        return old;
    }
    if (g->controls.mode == GEN_MODE_FREE) {
        g->generating = false;
        g->loop_pass = false;
        g->want_start = -1;
    } else if (g->state != GEN_IDLE) {
        /* listen on with the new model, from this bar's line */
        int64_t now = g->next_step;
        g->generating = false;
        if (g->state == GEN_PLAYING)
            g->last_model = now - 1;
        g->state = GEN_LISTENING;
        track_rebase(g, gen_bar_first_step(g, gen_bar_of_step(g, now - 1)), now);
    }
    return old;
}

void gen_set_controls(gen *g, const gen_controls *controls)
{
    if (!g || !controls)
        return;
    gen_controls old = g->controls, c = clamp_controls(g->kind, controls);
    g->controls = c;
    bool rising = c.regenerate && !g->regenerate_was;
    g->regenerate_was = c.regenerate;
    if (!g->host_clock && c.bpm != old.bpm) {
        double q = q_at(g, g->frame);
        g->qpm = c.bpm;
        anchor(g, q);
    }
    if (g->ops->controls) { /* a timeline of its own: no grid */
        if (c.mode != old.mode)
            restart(g);
        else
            g->ops->controls(g, &old, rising);
        return;
    }
    if (c.steps_per_quarter != old.steps_per_quarter) {
        g->spq = c.steps_per_quarter;
        g->next_step = step_at_or_after(g, q_at(g, g->frame));
        g->loop_valid = false;
        restart(g);
        return;
    }
    if (c.mode != old.mode) {
        restart(g);
        return;
    }
    if (c.mode == GEN_MODE_FREE && (rising || c.loop_bars != old.loop_bars)) {
        /* a new generation (or loop) from the next bar; the current one plays until then */
        if (rising)
            g->regen_count++;
        g->want_start = next_bar_step(g, g->next_step);
        if (g->generating && g->gen_end > g->want_start)
            g->gen_end = g->want_start;
    } else if (rising && g->state != GEN_IDLE && !g->generating) {
        g->regen_count++;
        g->reply_at = next_bar_step(g, g->next_step); /* answer again from the next bar */
    }
}

void gen_get_controls(const gen *g, gen_controls *controls)
{
    if (g && controls)
        *controls = g->controls;
}

void gen_set_position(gen *g, const gen_position *p)
{
    if (!g || !p)
        return;
    double now_q = q_at(g, g->frame), bar_q = bar_quarters(g), beat_q = 4.0 / g->beat_unit;
    double bpb = g->beats_per_bar, speed = g->rolling ? g->speed : 0.0;
    double bpm = g->qpm * g->beat_unit / 4.0;
    int unit = g->beat_unit;
    if (p->has_beats_per_bar && p->beats_per_bar >= 1.0 && p->beats_per_bar <= 64.0)
        bpb = p->beats_per_bar;
    if (p->has_beat_unit && p->beat_unit >= 1 && p->beat_unit <= 64)
        unit = p->beat_unit;
    if (p->has_bpm && isfinite(p->bpm) && p->bpm > 0.0)
        bpm = clampd(p->bpm, 1.0, 1000.0, 120.0);
    if (p->has_speed && isfinite(p->speed))
        speed = p->speed;
    bool meter = bpb != g->beats_per_bar || unit != g->beat_unit;
    /* where the host says we are, in quarters (the fields it did not send as extrapolated) */
    double cur_bar = floor(now_q / bar_q + 1e-9), cur_beat = (now_q - cur_bar * bar_q) / beat_q;
    bool has_place = (p->has_bar && isfinite(p->bar)) || (p->has_bar_beat && isfinite(p->bar_beat));
    double bar = p->has_bar && isfinite(p->bar) ? p->bar : cur_bar;
    double beat = p->has_bar_beat && isfinite(p->bar_beat) ? p->bar_beat : cur_beat;
    double host_q = has_place || meter ? bar * bpb * 4.0 / unit + beat * 4.0 / unit : now_q;
    g->host_clock = true;

    bool rolling = speed > 0.0, tempo = bpm * 4.0 / unit != g->qpm || (rolling && speed != g->speed);
    bool drift = fabs(host_q - now_q) > HOST_ROUNDING_QUARTERS && fabs(host_q - now_q) / g->qpf > 1.0;
    bool jump = meter || fabs(host_q - now_q) * g->spq > 0.5;
    bool was_rolling = g->rolling;
    g->beats_per_bar = bpb;
    g->beat_unit = unit;
    g->qpm = bpm * 4.0 / unit;
    if (rolling)
        g->speed = speed;
    if (!rolling) {
        if (was_rolling)
            gen_release_all(g, 0);
        if (was_rolling && g->ops->stop)
            g->ops->stop(g);
        g->rolling = false;
        g->last_step = INT64_MIN; /* what the player does while stopped is no step's */
        g->anchor_q = jump ? host_q : now_q;
        g->anchor_frame = g->frame;
    } else if (!was_rolling || tempo || jump || drift) {
        g->rolling = true;
        anchor(g, jump || drift ? host_q : now_q);
    }
    if (jump) {
        g->next_step = step_at_or_after(g, g->anchor_q);
        restart(g);
    } else if (!was_rolling && rolling) {
        /* starting where it stopped: on from the next step */
        int64_t s = step_at_or_after(g, g->anchor_q);
        if (s > g->next_step)
            g->next_step = s;
    }
    if (g->ops->transport && g->rolling && (jump || !was_rolling))
        g->ops->transport(g, !was_rolling, jump);
}

void gen_midi_in(gen *g, const uint8_t *message, uint32_t size)
{
    if (!g || !message || size < 1)
        return;
    uint8_t type = message[0] & 0xf0;
    if ((type == 0x90 || type == 0x80) && size >= 3) {
        int pitch = message[1] & 0x7f, velocity = message[2] & 0x7f;
        g->ops->note(g, pitch, velocity, type == 0x90 && velocity > 0);
    } else if (type == 0xb0 && size >= 3 && (message[1] == 123 || message[1] == 120)) {
        for (int p = 0; p < 128; p++)
            if (g->input.held[p] || g->input.chord_held[p])
                g->ops->note(g, p, 0, false);
    }
}

void gen_get_status(const gen *g, gen_status_info *info)
{
    if (!g || !info)
        return;
    memset(info, 0, sizeof *info);
    double q = q_at(g, g->frame), bar_q = bar_quarters(g);
    info->rolling = g->rolling;
    info->bar = floor(q / bar_q + 1e-9);
    info->bar_beat = (q - info->bar * bar_q) / (4.0 / g->beat_unit);
    info->bpm = g->qpm * g->beat_unit / 4.0;
    info->step = g->next_step - 1;
    info->decided_step = g->track.base + g->track.len - 1;
    info->playing_note = g->playing_note;
    if (g->controls.mode == GEN_MODE_FREE)
        info->mode_state = g->generating || g->loop_valid ? GEN_PLAYING : GEN_IDLE;
    else if (g->state == GEN_IDLE && g->model && (g->input.active || g->input.held_count > 0))
        info->mode_state = GEN_LISTENING; /* the player's first step is being played */
    else
        info->mode_state = (int)g->state;
    info->model_steps = g->model_steps;
    info->late_steps = g->late_steps;
    const gen_progression *p = g->progression;
    if (g->kind == GEN_IMPROV && g->controls.chord_source == GEN_CHORDS_PROGRESSION && p && p->count > 0) {
        int64_t i = gen_bar_of_step(g, info->step < 0 ? 0 : info->step) % p->count;
        gen_copy_name(info->chord, sizeof info->chord, p->names[i < 0 ? i + p->count : i]);
    } else {
        gen_copy_name(info->chord, sizeof info->chord, g->chord_name);
    }
    info->model_layers = g->model_layers;
    if (g->ops->status)
        g->ops->status(g, info);
}
