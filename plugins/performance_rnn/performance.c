/* performance.c — Performance RNN's part of the generators' core: Magenta's performance and
 * performance_with_dynamics configurations and the conditioned ones (performance_model.py's
 * default_configs, encoded through dsp/music's music_perf_* functions), on a timeline of its own.
 *
 * Time. The events live on an absolute grid of 10 ms steps: step k starts on the first frame at
 * or after origin + k * rate / 100, where origin is the frame of the transport's position 0 at
 * the tempo in force when it started or last moved (a tempo change does not move the grid). The
 * model's event stream has a time of its own, `time`: a TIME_SHIFT advances it, a NOTE_ON,
 * NOTE_OFF or VELOCITY happens at it. Drawn note events wait in a schedule for their step.
 *
 * Work. A model step is started with the event just drawn (or heard) and computed layer by layer
 * (nn_rnn_step_start / _continue) out of a credit of GEN_LAYERS_PER_SECOND layers per second of
 * audio, at most gen_max_layers_per_run in one call (the call's whole credit is there from its
 * start, and spent before each step boundary inside it, so a long block plays what it computes),
 * and events are drawn up to PERF_LOOKAHEAD steps past the current one. Nothing is computed
 * beyond the credit: an event drawn for a step already played is played at the next step and
 * counted in late_steps.
 *
 * Choices where Magenta has no real-time counterpart:
 *  - a free-run generation is primed as Magenta primes an empty performance, with a second of
 *    silence (one TIME_SHIFT of 100 steps), of which only the last PERF_START steps are waited:
 *    the first notes can come 30 ms after the start, the time the first model steps take;
 *  - continue / answer feed the player's notes to the model as they are played (note-ons with
 *    their velocity bin, note-offs, time shifts between them, each at its nearest 10 ms step,
 *    as quantize_note_sequence_absolute rounds); the player has stopped after a beat of the
 *    transport with no note sounding or starting; the reply starts PERF_START steps after the
 *    next beat (continue) or bar line (answer) and lasts length_bars bars at the tempo; a note
 *    during a reply ends it, the model's stream keeping the events it drew ahead; a bar of
 *    silence from both ends the conversation (the next phrase starts a fresh model state);
 *  - notes sound at most 5 s (the sequence generator's max_note_duration); a note-on of a pitch
 *    that sounds ends it first; pitches are transposed and folded by octaves into
 *    [pitch_low, pitch_high]; velocity comes from the model's VELOCITY events (dynamics
 *    configs; until the first one, the player's last or the velocity control) or the control;
 *  - controls: notes_per_second 0 and all pitch classes 0 are the model's choice: the disable
 *    flag of the optional config when both are, else Magenta's defaults (15 notes per second, a
 *    uniform histogram). Their values in force when an event is fed condition the next one.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "gen_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    PERF_STEPS = MUSIC_PERF_STEPS_PER_SECOND, /* 100 steps per second */
    PERF_MAX_SHIFT = MUSIC_PERF_MAX_SHIFT_STEPS,
    PERF_LOOKAHEAD = 50,      /* events are drawn up to half a second ahead */
    PERF_START = 3,           /* a generation's first event comes at least 30 ms after its start:
                                 time for the first model step in any block size */
    PERF_MAX_DURATION = 500,  /* performance_sequence_generator's max_note_duration: 5 s */
    PERF_QUEUE = 1024,        /* heard events waiting to be fed */
    PERF_SCHEDULE = 512,      /* drawn note events waiting for their step */
    PERF_HEARD = 256,         /* the player's notes waiting for their step to end */
    PERF_MAX_GAP_SHIFTS = 10, /* a silence is fed as at most 10 s of time shifts */
};
#define PERF_DEFAULT_DENSITY 15.0 /* performance_controls.DEFAULT_NOTE_DENSITY */

typedef struct perf_note {
    int64_t step;
    bool on;
    uint8_t pitch, velocity; /* velocity 0: the control's (drawn notes before any VELOCITY) */
} perf_note;

struct gen_perf {
    /* the timeline */
    double origin;     /* the frame of the transport's position 0, at the tempo when it started */
    int64_t next_step; /* the next step whose boundary is to be played */
    int64_t last_step; /* the last one played; INT64_MIN: none since the transport moved */

    /* the model */
    double credit;        /* layers allowed now */
    int layers_left;      /* of the started step; 0: none started */
    const float *logits;  /* of the last finished step, not yet drawn from; NULL: none */
    int64_t time;         /* the step the model's stream (fed, started and queued) has reached */
    music_perf_event queue[PERF_QUEUE];
    int queue_head, queue_count;

    /* what it plays */
    bool generating;
    int64_t gen_start, gen_end;
    int64_t want_start;   /* free: a new generation at this step; -1 none */
    int out_velocity;     /* of the last VELOCITY event drawn; 0: the control's */
    perf_note schedule[PERF_SCHEDULE];
    int sched_head, sched_count;
    int16_t out_pitch[128]; /* model pitch -> the output note it sounds on; -1 none */
    int64_t on_step[128];

    /* continue / answer */
    gen_state state;
    bool phrase;
    int64_t last_active, last_model, reply_at;
    perf_note heard[PERF_HEARD];
    int heard_count;
    bool heard_on[128];   /* the phrase's notes the model heard start and not yet end */
    int heard_bin;        /* the velocity bin of the player's last note; 0 none */
};

gen_perf *gen_perf_new(void)
{
    gen_perf *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->last_step = INT64_MIN;
    p->want_start = -1;
    p->reply_at = -1;
    p->last_active = p->last_model = INT64_MIN / 2;
    for (int i = 0; i < 128; i++)
        p->out_pitch[i] = -1;
    return p;
}

void gen_perf_free(gen_perf *perf)
{
    free(perf);
}

/* ---- Configurations ---------------------------------------------------------------------------- */

static const struct {
    const char *name;
    int bins;
    unsigned controls;
} configs[] = {
    {"performance", 0, 0},
    {"performance_with_dynamics", MUSIC_PERF_VELOCITY_BINS, 0},
    {"density_conditioned_performance_with_dynamics", MUSIC_PERF_VELOCITY_BINS, MUSIC_PERF_CONTROL_DENSITY},
    {"pitch_conditioned_performance_with_dynamics", MUSIC_PERF_VELOCITY_BINS, MUSIC_PERF_CONTROL_HISTOGRAM},
    {"multiconditioned_performance_with_dynamics", MUSIC_PERF_VELOCITY_BINS,
     MUSIC_PERF_CONTROL_DENSITY | MUSIC_PERF_CONTROL_HISTOGRAM},
    {"optional_multiconditioned_performance_with_dynamics", MUSIC_PERF_VELOCITY_BINS,
     MUSIC_PERF_CONTROL_DENSITY | MUSIC_PERF_CONTROL_HISTOGRAM | MUSIC_PERF_CONTROL_OPTIONAL},
};

/* A model file's strings hold at most NN_HPARAM_STRING_MAX (23) characters, fewer than most of
 * these names: the files carry the name cut to that length (nn-train and the importer write it
 * so), and it is matched as such. */
static bool perf_configure(gen_model *model, const char *config)
{
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++)
        if (!strcmp(config, configs[i].name) ||
            (strlen(config) == NN_HPARAM_STRING_MAX && !strncmp(config, configs[i].name, NN_HPARAM_STRING_MAX))) {
            model->perf_bins = configs[i].bins;
            model->perf_controls = configs[i].controls;
            model->input_size = music_perf_input_size(configs[i].controls, configs[i].bins, PERF_MAX_SHIFT);
            model->classes = music_perf_num_classes(configs[i].bins, PERF_MAX_SHIFT);
            return true;
        }
    return false;
}

bool gen_perf_encode(const gen *g, music_perf_event event)
{
    const gen_model *m = g->model;
    const gen_controls *c = &g->controls;
    double density = c->notes_per_second, histogram[12];
    bool pitches = false;
    for (int i = 0; i < 12; i++) {
        histogram[i] = c->pitch_classes[i];
        pitches |= histogram[i] > 0.0;
    }
    bool disable = (m->perf_controls & MUSIC_PERF_CONTROL_OPTIONAL) && density <= 0.0 && !pitches;
    if (density <= 0.0)
        density = PERF_DEFAULT_DENSITY;
    if (!pitches)
        for (int i = 0; i < 12; i++)
            histogram[i] = 1.0;
    return music_perf_encode_input(event, m->perf_controls, disable, density, histogram, m->perf_bins, PERF_MAX_SHIFT,
                                   m->input, m->input_size) == MUSIC_OK;
}

/* ---- The timeline ------------------------------------------------------------------------------ */

static double frames_per_step(const gen *g)
{
    return g->sample_rate / PERF_STEPS;
}

static int64_t step_frame(const gen *g, int64_t k)
{
    return (int64_t)ceil(g->perf->origin + (double)k * frames_per_step(g) - 1e-6);
}

/* The first step whose frame is at or after `frame`. */
static int64_t step_at_or_after_frame(const gen *g, int64_t frame)
{
    int64_t k = (int64_t)ceil(((double)frame - g->perf->origin) / frames_per_step(g) - 1e-9);
    while (step_frame(g, k - 1) >= frame)
        k--;
    while (step_frame(g, k) < frame)
        k++;
    return k;
}

/* The transport's quarters at step k, and the first step at or after quarter q (rolling). */
static double q_of_step(const gen *g, int64_t k)
{
    double frame = g->perf->origin + (double)k * frames_per_step(g);
    return g->anchor_q + (frame - (double)g->anchor_frame) * g->qpf;
}

static int64_t step_of_q(const gen *g, double q)
{
    double frame = (double)g->anchor_frame + (q - g->anchor_q) / g->qpf;
    return (int64_t)ceil((frame - g->perf->origin) / frames_per_step(g) - 1e-6);
}

/* `quarters` of the transport at its tempo, in steps (at least 1). */
static int64_t quarters_steps(const gen *g, double quarters)
{
    int64_t n = llround(quarters / (g->qpf * frames_per_step(g)));
    return n < 1 ? 1 : n;
}

/* The first step at or after step k that starts a unit of `unit` quarters (a beat, a bar). */
static int64_t next_line(const gen *g, int64_t k, double unit)
{
    double q = q_of_step(g, k), line = ceil(q / unit - 1e-9) * unit;
    int64_t s = step_of_q(g, line);
    return s < k ? k : s;
}

/* ---- Output ------------------------------------------------------------------------------------ */

static void forget_notes(gen_perf *p)
{
    for (int i = 0; i < 128; i++)
        p->out_pitch[i] = -1;
    p->sched_count = 0;
}

static void note_off_of(gen *g, int pitch, uint32_t frame)
{
    gen_perf *p = g->perf;
    if (p->out_pitch[pitch] < 0)
        return;
    int i = gen_sounding_find(g, p->out_pitch[pitch]);
    if (i >= 0)
        gen_note_off(g, frame, i);
    p->out_pitch[pitch] = -1;
}

static void play_note(gen *g, const perf_note *n, int64_t k, uint32_t frame)
{
    gen_perf *p = g->perf;
    const gen_controls *c = &g->controls;
    if (!n->on) {
        note_off_of(g, n->pitch, frame);
        return;
    }
    note_off_of(g, n->pitch, frame); /* the same pitch again: its last note ends */
    int out = gen_fold(n->pitch + c->transpose, c->pitch_low, c->pitch_high + 1);
    for (int i = 0; i < 128; i++) /* another pitch folded onto the same note loses it */
        if (p->out_pitch[i] == out)
            p->out_pitch[i] = -1;
    gen_note_on_velocity(g, frame, out, n->velocity ? n->velocity : c->velocity);
    if (gen_sounding_find(g, out) >= 0) {
        p->out_pitch[n->pitch] = (int16_t)out;
        p->on_step[n->pitch] = k;
    }
}

/* The notes due at step k; and the ones sounding for PERF_MAX_DURATION end. */
static void play_due(gen *g, int64_t k, uint32_t frame)
{
    gen_perf *p = g->perf;
    while (p->sched_count > 0 && p->schedule[p->sched_head].step <= k) {
        play_note(g, &p->schedule[p->sched_head], k, frame);
        p->sched_head = (p->sched_head + 1) % PERF_SCHEDULE;
        p->sched_count--;
    }
    if (g->sounding_count == 0)
        return;
    for (int i = 0; i < 128; i++)
        if (p->out_pitch[i] >= 0 && k - p->on_step[i] >= PERF_MAX_DURATION)
            note_off_of(g, i, frame);
}

static void schedule(gen_perf *p, perf_note n)
{
    if (p->sched_count == PERF_SCHEDULE)
        return; /* a stalled flood of events at one time: dropped (notes end within 5 s anyway) */
    p->schedule[(p->sched_head + p->sched_count++) % PERF_SCHEDULE] = n;
}

/* ---- The model's stream -------------------------------------------------------------------------- */

static void queue_push(gen_perf *p, music_perf_event e)
{
    if (p->queue_count < PERF_QUEUE)
        p->queue[(p->queue_head + p->queue_count++) % PERF_QUEUE] = e;
}

/* Time shifts up to step `to` (a long silence is cut to PERF_MAX_GAP_SHIFTS seconds). */
static void queue_shift_to(gen_perf *p, int64_t to)
{
    for (int n = 0; p->time < to && n < PERF_MAX_GAP_SHIFTS; n++) {
        int64_t d = to - p->time < PERF_MAX_SHIFT ? to - p->time : PERF_MAX_SHIFT;
        queue_push(p, (music_perf_event){MUSIC_PERF_TIME_SHIFT, (int)d});
        p->time += d;
    }
    if (p->time < to)
        p->time = to;
}

/* A fresh model state with nothing fed or waiting. */
static void fresh_stream(gen *g, int64_t time)
{
    gen_perf *p = g->perf;
    if (g->model)
        nn_rnn_reset(g->model->rnn);
    p->layers_left = 0;
    p->logits = NULL;
    p->queue_count = 0;
    p->time = time;
    p->heard_bin = 0;
    memset(p->heard_on, 0, sizeof p->heard_on);
}

/* Start a model step on `e`. */
static void feed(gen *g, music_perf_event e)
{
    gen_model *m = g->model;
    gen_perf *p = g->perf;
    int index = -1;
    if (m->perf_controls) {
        if (!gen_perf_encode(g, e)) /* no event of ours fails; stay in time anyway */
            memset(m->input, 0, (size_t)m->input_size * sizeof *m->input);
        nn_rnn_step_start(m->rnn, m->input);
    } else {
        if (music_perf_encode_event(e, m->perf_bins, PERF_MAX_SHIFT, &index) != MUSIC_OK)
            index = -1;
        nn_rnn_step_start_class(m->rnn, index);
    }
    p->layers_left = nn_rnn_num_layers(m->rnn);
    p->logits = NULL;
}

/* Draw the next event from the logits, place it on the timeline, and feed it. */
static void draw(gen *g)
{
    gen_model *m = g->model;
    gen_perf *p = g->perf;
    nn_sample_params params = {.temperature = g->controls.temperature};
    int label = nn_sampler_draw(m->sampler, p->logits, m->classes, &params);
    music_perf_event e;
    if (music_perf_decode_event(label, m->perf_bins, PERF_MAX_SHIFT, &e) != MUSIC_OK)
        e = (music_perf_event){MUSIC_PERF_TIME_SHIFT, 1};
    switch (e.type) {
    case MUSIC_PERF_TIME_SHIFT: p->time += e.value; break;
    case MUSIC_PERF_VELOCITY: p->out_velocity = music_velocity_bin_to_velocity(e.value, m->perf_bins); break;
    case MUSIC_PERF_NOTE_ON:
    case MUSIC_PERF_NOTE_OFF:
        schedule(p, (perf_note){p->time, e.type == MUSIC_PERF_NOTE_ON, (uint8_t)e.value, (uint8_t)p->out_velocity});
        break;
    }
    feed(g, e);
}

/* Spend the credit: finish the started step, feed what was heard, draw ahead. */
static void compute(gen *g)
{
    gen_perf *p = g->perf;
    gen_model *m = g->model;
    if (!m)
        return;
    while (p->credit >= 1.0) {
        if (p->layers_left > 0) {
            int n = (int)p->credit < p->layers_left ? (int)p->credit : p->layers_left;
            nn_fp_state fp = nn_fp_enter();
            const float *logits = nn_rnn_step_continue(m->rnn, n);
            nn_fp_leave(fp);
            p->credit -= n;
            p->layers_left -= n;
            g->model_layers += (uint64_t)n;
            if (p->layers_left == 0) {
                p->logits = logits;
                g->model_steps++;
            }
        } else if (p->queue_count > 0) {
            music_perf_event e = p->queue[p->queue_head];
            p->queue_head = (p->queue_head + 1) % PERF_QUEUE;
            p->queue_count--;
            feed(g, e);
        } else if (p->generating && p->logits && p->time < p->gen_end && p->time < p->next_step + PERF_LOOKAHEAD) {
            draw(g);
        } else {
            break;
        }
    }
}

/* ---- Generations -------------------------------------------------------------------------------- */

static void end_generation(gen *g, uint32_t frame)
{
    gen_release_all(g, frame);
    forget_notes(g->perf);
    g->perf->generating = false;
}

/* Free run from step s: Magenta's empty primer, a second of silence ending PERF_START steps on. */
static void start_generation(gen *g, int64_t s, uint32_t frame)
{
    gen_perf *p = g->perf;
    end_generation(g, frame);
    p->want_start = -1;
    if (!g->model)
        return;
    fresh_stream(g, s + PERF_START);
    queue_push(p, (music_perf_event){MUSIC_PERF_TIME_SHIFT, PERF_MAX_SHIFT});
    gen_seed_generation(g, s);
    p->generating = true;
    p->gen_start = s;
    p->gen_end = INT64_MAX;
    p->out_velocity = 0;
    p->state = GEN_PLAYING;
}

/* Continue / answer: the reply from step s, after what the model heard. */
static void start_reply(gen *g, int64_t s)
{
    gen_perf *p = g->perf;
    p->reply_at = -1;
    if (!g->model || p->state != GEN_LISTENING)
        return;
    queue_shift_to(p, s + PERF_START);
    gen_seed_generation(g, s);
    p->generating = true;
    p->gen_start = s;
    p->gen_end = s + quarters_steps(g, g->controls.length_bars * gen_bar_quarters(g));
    p->out_velocity = p->heard_bin ? music_velocity_bin_to_velocity(p->heard_bin, g->model->perf_bins) : 0;
    p->state = GEN_PLAYING;
}

/* ---- The player (continue, answer) ------------------------------------------------------------- */

static void perf_hear(gen *g, int pitch, int velocity, bool on)
{
    gen_input *in = &g->input;
    gen_perf *p = g->perf;
    if (on && !in->held[pitch]) {
        in->held[pitch] = true;
        in->held_count++;
    } else if (!on && in->held[pitch]) {
        in->held[pitch] = false;
        in->held_count--;
    } else if (!on) {
        return; /* a release of a key it never saw pressed */
    }
    if (g->controls.mode == GEN_MODE_FREE || !g->rolling || !g->model || p->heard_count == PERF_HEARD)
        return;
    /* the nearest step: the current one, or the next when past its middle */
    int64_t k = p->next_step - 1;
    if ((double)g->frame >= p->origin + ((double)k + 0.5) * frames_per_step(g))
        k++;
    p->heard[p->heard_count++] = (perf_note){k, on, (uint8_t)pitch, (uint8_t)velocity};
}

/* Step j has ended: the player's events up to it go to the model; the conversation moves on. */
static void end_of_step(gen *g, int64_t j, uint32_t frame)
{
    gen_perf *p = g->perf;
    if (g->controls.mode == GEN_MODE_FREE || !g->model)
        return;
    int n = 0;
    bool started = false;
    while (n < p->heard_count && p->heard[n].step <= j)
        started |= p->heard[n++].on;
    if (p->state == GEN_PLAYING && started) {
        /* the player plays again: the reply ends and the model listens */
        end_generation(g, frame);
        p->state = GEN_LISTENING;
        p->last_model = j - 1;
    } else if (p->state == GEN_IDLE && started) {
        int first = 0;
        while (!p->heard[first].on)
            first++;
        fresh_stream(g, p->heard[first].step);
        p->state = GEN_LISTENING;
        p->phrase = false;
    }
    if (p->state == GEN_LISTENING) {
        for (int i = 0; i < n; i++) {
            const perf_note *e = &p->heard[i];
            if (!e->on && !p->heard_on[e->pitch])
                continue; /* the end of a note the model did not hear start */
            queue_shift_to(p, e->step);
            if (e->on && g->model->perf_bins) {
                int bin = music_velocity_to_bin(e->velocity, g->model->perf_bins);
                if (bin != p->heard_bin)
                    queue_push(p, (music_perf_event){MUSIC_PERF_VELOCITY, bin});
                p->heard_bin = bin;
            }
            queue_push(p, (music_perf_event){e->on ? MUSIC_PERF_NOTE_ON : MUSIC_PERF_NOTE_OFF, e->pitch});
            p->heard_on[e->pitch] = e->on;
        }
    }
    memmove(p->heard, p->heard + n, (size_t)(p->heard_count - n) * sizeof *p->heard);
    p->heard_count -= n;
    if (p->state != GEN_LISTENING)
        return;
    if (started || g->input.held_count > 0) {
        p->last_active = j;
        p->phrase = true;
        p->reply_at = -1;
    } else if (p->phrase && j - p->last_active >= quarters_steps(g, gen_beat_quarters(g))) {
        /* a beat without a note: the player has stopped */
        p->reply_at = next_line(g, j + 1, g->controls.mode == GEN_MODE_CONTINUE ? gen_beat_quarters(g)
                                                                                 : gen_bar_quarters(g));
        p->phrase = false;
    } else if (!p->phrase && p->reply_at < 0) {
        int64_t last = p->last_active > p->last_model ? p->last_active : p->last_model;
        if (j - last >= quarters_steps(g, gen_bar_quarters(g))) { /* a bar of silence: the end */
            p->state = GEN_IDLE;
            fresh_stream(g, j);
        }
    }
}

/* ---- One step's boundary ------------------------------------------------------------------------ */

static void boundary(gen *g, int64_t k, uint32_t frame)
{
    gen_perf *p = g->perf;
    if (p->last_step == k - 1)
        end_of_step(g, k - 1, frame);
    p->last_step = k;
    if (p->generating && k >= p->gen_end) {
        end_generation(g, frame);
        if (g->controls.mode != GEN_MODE_FREE && p->state == GEN_PLAYING) {
            p->state = GEN_LISTENING;
            p->last_model = k - 1;
        }
    }
    if (g->controls.mode == GEN_MODE_FREE) {
        if (g->model && (p->want_start >= 0 ? k >= p->want_start : !p->generating))
            start_generation(g, k, frame);
    } else if (p->reply_at >= 0 && k >= p->reply_at) {
        start_reply(g, k);
    }
    if (p->generating && k >= p->gen_start && p->time <= k)
        g->late_steps++; /* this step's events are not all drawn: what comes is played late */
    play_due(g, k, frame);
}

static void perf_run(gen *g, uint32_t frames)
{
    gen_perf *p = g->perf;
    double grant = (double)frames * GEN_LAYERS_PER_SECOND / g->sample_rate;
    double most = (double)gen_max_layers_per_run(g->sample_rate, frames);
    p->credit += grant;
    if (p->credit > most)
        p->credit = most;
    while (g->rolling) {
        int64_t f = step_frame(g, p->next_step) - g->frame;
        if (f >= (int64_t)frames)
            break;
        compute(g); /* in a long block the steps inside it are due now: the credit is the call's */
        boundary(g, p->next_step, f < 0 ? 0 : (uint32_t)f);
        p->next_step++;
    }
    compute(g);
}

/* ---- The core's hooks ---------------------------------------------------------------------------- */

static void perf_stop(gen *g)
{
    gen_perf *p = g->perf;
    end_generation(g, 0);
    fresh_stream(g, p->next_step);
    p->want_start = -1;
    p->state = GEN_IDLE;
    p->phrase = false;
    p->reply_at = -1;
    p->heard_count = 0;
    p->last_step = INT64_MIN;
}

static void perf_transport(gen *g, bool started, bool jumped)
{
    (void)started;
    (void)jumped;
    gen_perf *p = g->perf;
    p->origin = (double)g->anchor_frame - g->anchor_q / g->qpf;
    p->next_step = step_at_or_after_frame(g, g->frame);
    p->last_step = INT64_MIN;
    if (p->generating || p->state != GEN_IDLE)
        perf_stop(g);
}

static void perf_controls(gen *g, const gen_controls *old, bool regenerate)
{
    (void)old;
    gen_perf *p = g->perf;
    if (!regenerate)
        return;
    int64_t bar = next_line(g, p->next_step, gen_bar_quarters(g));
    if (g->controls.mode == GEN_MODE_FREE) {
        g->regen_count++;
        p->want_start = bar;
    } else if (p->state != GEN_IDLE && !p->generating) {
        g->regen_count++;
        p->reply_at = bar;
    }
}

static void perf_status(const gen *g, gen_status_info *info)
{
    const gen_perf *p = g->perf;
    info->step = p->next_step - 1;
    info->decided_step = p->time - 1;
    info->mode_state = (int)p->state;
    if (g->controls.mode == GEN_MODE_FREE)
        info->mode_state = p->generating ? GEN_PLAYING : GEN_IDLE;
    else if (p->state == GEN_IDLE && g->model && (p->heard_count > 0 || g->input.held_count > 0))
        info->mode_state = GEN_LISTENING;
}

const gen_kind_ops gen_performance_ops = {
    .kind = GEN_PERFORMANCE,
    .configure = perf_configure,
    .note = perf_hear,
    .run = perf_run,
    .stop = perf_stop,
    .transport = perf_transport,
    .controls = perf_controls,
    .status = perf_status,
};
