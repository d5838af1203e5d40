/* gen_host.h — the generators' core tests' host: it drives a gen with a transport and MIDI,
 * in blocks of a given or random length, and captures what the core plays with absolute frames,
 * the model steps and layers of each call and, when asked, the time of each call. Included by
 * test_generator.c and test_performance_gen.c after ../check.h (rng_next, CHECK).
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#ifndef GEN_HOST_H
#define GEN_HOST_H

#include "generator.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct event {
    int64_t frame;
    uint8_t bytes[3];
} event;

typedef struct host {
    gen *g;
    double rate;
    int64_t now; /* frames run so far */
    event *events;
    int count, capacity;
    int refuse_every; /* > 0: every n-th emit reports a full output */
    int emits;
    int random_block; /* the longest random block (run's block 0); default 4096 */
    /* the transport it sends before each block (when `transport`): q0 quarters at frame0, bpm */
    bool transport, rolling;
    double bpm, q0, beats_per_bar; /* beats_per_bar 0: 4 */
    int64_t frame0;
    bool round_ticks; /* send barBeat rounded to 1/1920 beat, as Ardour does every cycle */
    /* per call: the most model steps, the most layers, calls over gen_max_layers_per_run */
    uint64_t max_steps_in_call, most_layers;
    int max_layers_over;
    double *times; /* when not NULL: the seconds of each gen_run call */
    int timed_count, timed_capacity;
} host;

static inline bool capture(void *user, uint32_t frame, const uint8_t *message, uint32_t size)
{
    host *h = user;
    if (h->refuse_every > 0 && ++h->emits % h->refuse_every == 0)
        return false;
    if (size != 3 || h->count == h->capacity)
        return size != 3;
    h->events[h->count++] = (event){h->now + frame, {message[0], message[1], message[2]}};
    return true;
}

static inline void host_init(host *h, gen_kind kind, double rate, const char *model, const gen_controls *controls)
{
    memset(h, 0, sizeof *h);
    h->rate = rate;
    h->random_block = 4096;
    h->capacity = 1 << 17;
    h->events = calloc((size_t)h->capacity, sizeof *h->events);
    char why[NN_MESSAGE_SIZE];
    CHECK(gen_new(kind, rate, &h->g, why) == NN_OK, "gen_new: %s", why);
    gen_controls c = controls ? *controls : gen_controls_default(kind);
    gen_set_controls(h->g, &c);
    if (model) {
        gen_model *m = NULL;
        CHECK(gen_model_load(kind, model, &m, why) == NN_OK, "load %s: %s", model, why);
        gen_model_free(gen_swap_model(h->g, m));
    }
}

static inline void host_free(host *h)
{
    gen_model_free(gen_swap_model(h->g, NULL));
    gen_progression_free(gen_swap_progression(h->g, NULL));
    gen_free(h->g);
    free(h->events);
    free(h->times);
}

static inline double host_q(const host *h, int64_t frame)
{
    return h->rolling ? h->q0 + (double)(frame - h->frame0) * h->bpm / 60.0 / h->rate : h->q0;
}

/* The host's time:Position at the current frame (quarter-note beats). */
static inline void send_position(host *h)
{
    double beats = h->beats_per_bar > 0 ? h->beats_per_bar : 4.0, q = host_q(h, h->now), bar = floor(q / beats);
    double bar_beat = h->round_ticks ? round((q - beats * bar) * 1920.0) / 1920.0 : q - beats * bar;
    gen_position p = {.bar = bar, .bar_beat = bar_beat, .beats_per_bar = beats, .beat_unit = 4, .bpm = h->bpm,
                      .speed = h->rolling ? 1.0 : 0.0, .has_bar = true, .has_bar_beat = true,
                      .has_beats_per_bar = true, .has_beat_unit = true, .has_bpm = true, .has_speed = true};
    gen_set_position(h->g, &p);
}

/* Start, stop or move the host's transport at the current frame. */
static inline void transport(host *h, bool rolling, double q, double bpm)
{
    h->transport = true;
    h->q0 = q;
    h->frame0 = h->now;
    h->rolling = rolling;
    h->bpm = bpm;
    send_position(h);
}

static inline double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Run `frames` in blocks of `block` (0: random 1 .. random_block), sending the position before
 * each block when the host has a transport. */
static inline void run(host *h, int64_t frames, int block)
{
    int64_t end = h->now + frames;
    while (h->now < end) {
        int64_t n = block > 0 ? block : 1 + (int64_t)(rng_next() % (uint64_t)h->random_block);
        if (n > end - h->now)
            n = end - h->now;
        if (h->transport)
            send_position(h);
        gen_status_info before, after;
        gen_get_status(h->g, &before);
        double t0 = h->times ? seconds() : 0.0;
        gen_run(h->g, (uint32_t)n, capture, h);
        if (h->times && h->timed_count < h->timed_capacity)
            h->times[h->timed_count++] = seconds() - t0;
        gen_get_status(h->g, &after);
        if (after.model_steps - before.model_steps > h->max_steps_in_call)
            h->max_steps_in_call = after.model_steps - before.model_steps;
        uint64_t layers = after.model_layers - before.model_layers;
        h->max_layers_over += layers > (uint64_t)gen_max_layers_per_run(h->rate, (uint32_t)n);
        if (layers > h->most_layers)
            h->most_layers = layers;
        h->now += n;
    }
}

static inline void run_to(host *h, int64_t frame, int block)
{
    if (frame > h->now)
        run(h, frame - h->now, block);
}

/* A note from the player at the current frame. */
static inline void play_velocity(host *h, int pitch, bool on, int velocity)
{
    uint8_t m[3] = {(uint8_t)(on ? 0x90 : 0x80), (uint8_t)pitch, (uint8_t)(on ? velocity : 0)};
    gen_midi_in(h->g, m, 3);
}

static inline void play(host *h, int pitch, bool on)
{
    play_velocity(h, pitch, on, 100);
}

static inline bool is_on(const event *e)
{
    return (e->bytes[0] & 0xf0) == 0x90 && e->bytes[2] > 0;
}

static inline bool is_off(const event *e)
{
    return (e->bytes[0] & 0xf0) == 0x80 || ((e->bytes[0] & 0xf0) == 0x90 && e->bytes[2] == 0);
}

static inline int count_ons(const host *h, int64_t from, int64_t to)
{
    int n = 0;
    for (int i = 0; i < h->count; i++)
        n += is_on(&h->events[i]) && h->events[i].frame >= from && h->events[i].frame < to;
    return n;
}

#endif
