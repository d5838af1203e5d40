/* test_performance_gen.c — Performance RNN in the generators' core (GEN_PERFORMANCE), on model
 * files the test writes (random weights): a 3 x 512 f16 performance_with_dynamics model, the
 * size of Magenta's, and small ones of every input shape. Notes on the 10 ms grid counted from
 * the transport's start, the same MIDI whatever the block sizes, no hung note after a stop,
 * relocation, model swap, panic or mode change, notes of at most 5 s, the bound on LSTM layers
 * per call and no late step at 64-frame blocks, the conditioned configs' control inputs
 * (white-box, through gen_perf_encode), continue and answer. Prints the time per step, per
 * layer and of the worst callback for the 3 x 512 model.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#define _DEFAULT_SOURCE
#include "gen_private.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TEST_SEED 0x70657266ull
#include "../check.h"
#include "gen_host.h"

static char dir[256];

/* ---- Model files ---------------------------------------------------------------------------- */

/* An event_rnn model of `layers` x `units` for `encoding`, random weights: kernels small enough
 * that the draws stay varied, output bias near uniform so note-ons, note-offs, shifts and
 * velocities all come. */
static void write_model(const char *path, const char *encoding, int input, int classes, int layers, int units,
                        nn_dtype dtype, bool dense)
{
    nn_writer *w = NULL;
    nn_status st = nn_writer_new(NN_KIND_EVENT_RNN, &w);
    if (st == NN_OK) st = nn_writer_set_int(w, "input_size", input);
    if (st == NN_OK) st = nn_writer_set_int(w, "num_classes", classes);
    if (st == NN_OK) st = nn_writer_set_int(w, "num_layers", layers);
    char cut[NN_HPARAM_STRING_MAX + 1]; /* the name as files hold it */
    snprintf(cut, sizeof cut, "%s", encoding);
    if (st == NN_OK) st = nn_writer_set_string(w, "encoding", cut);
    size_t most = (size_t)(input > units ? input : units) * 8 * units;
    if ((size_t)units * classes > most)
        most = (size_t)units * classes;
    float *data = malloc(most * sizeof *data);
    char name[64];
    int in = input;
    for (int k = 0; k < layers && st == NN_OK; k++) {
        fill_uniform(data, (in + units) * 4 * units, -0.08f, 0.08f);
        snprintf(name, sizeof name, "rnn/cell_%d/kernel", k);
        st = nn_writer_add(w, name, dtype, 2, (const int[]){in + units, 4 * units}, data);
        fill_uniform(data, 4 * units, -0.1f, 0.1f);
        snprintf(name, sizeof name, "rnn/cell_%d/bias", k);
        if (st == NN_OK) st = nn_writer_add(w, name, NN_F32, 1, (const int[]){4 * units}, data);
        in = units;
    }
    fill_uniform(data, units * classes, -0.1f, 0.1f);
    if (st == NN_OK) st = nn_writer_add(w, "output/kernel", dtype, 2, (const int[]){units, classes}, data);
    fill_uniform(data, classes, -0.2f, 0.2f);
    if (dense) { /* a busy pianist: 10 ms shifts, notes on and off around middle C (~150 events/s) */
        for (int k = 0; k < 24; k++) {
            data[48 + k] += 2.5f;
            data[128 + 48 + k] += 2.5f;
        }
        data[256] += 7.0f;
        for (int k = 257; k < 356; k++)
            data[k] -= 6.0f;
    }
    if (st == NN_OK) st = nn_writer_add(w, "output/bias", NN_F32, 1, (const int[]){classes}, data);
    char why[NN_MESSAGE_SIZE] = "";
    if (st == NN_OK) st = nn_writer_save(w, path, why);
    CHECK(st == NN_OK, "writing %s: %s %s", path, nn_status_text(st), why);
    nn_writer_free(w);
    free(data);
}

static const char *model_path(const char *name)
{
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s.nnm", dir, name);
    return p;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Every note-on is matched by a later note-off, none is struck while it sounds, none sounds at
 * the end, and none sounds longer than `longest` frames (0: no limit). */
static void check_notes(const host *h, int64_t longest, const char *what)
{
    int64_t since[16][128];
    bool sounding[16][128] = {{false}};
    bool ok = true;
    int too_long = 0;
    for (int i = 0; i < h->count; i++) {
        const event *e = &h->events[i];
        int ch = e->bytes[0] & 15, p = e->bytes[1] & 127;
        if (is_on(e)) {
            ok &= !sounding[ch][p];
            sounding[ch][p] = true;
            since[ch][p] = e->frame;
        } else if (is_off(e)) {
            ok &= sounding[ch][p];
            if (sounding[ch][p] && longest > 0 && e->frame - since[ch][p] > longest)
                too_long++;
            sounding[ch][p] = false;
        }
    }
    int left = 0;
    for (int ch = 0; ch < 16; ch++)
        for (int p = 0; p < 128; p++)
            left += sounding[ch][p];
    CHECK(ok, "%s: a note struck while sounding, or released while silent", what);
    CHECK(left == 0, "%s: %d notes still sounding", what, left);
    CHECK(too_long == 0, "%s: %d notes longer than %lld frames", what, too_long, (long long)longest);
}

/* Every event on the 10 ms grid counted from `origin` (a frame, maybe fractional): the first
 * frame at or after origin + k * rate / 100 for some k. */
static int off_grid(const host *h, double origin, int64_t from)
{
    int bad = 0;
    double step = h->rate / 100.0;
    for (int i = 0; i < h->count; i++) {
        const event *e = &h->events[i];
        if (e->frame < from)
            continue;
        int64_t k = (int64_t)ceil(((double)e->frame - origin) / step - 1e-9);
        while ((int64_t)ceil(origin + (double)(k - 1) * step - 1e-6) >= e->frame)
            k--;
        bad += (int64_t)ceil(origin + (double)k * step - 1e-6) != e->frame;
    }
    return bad;
}

/* ---- Tests ---------------------------------------------------------------------------------------- */

static void test_models_and_controls(void)
{
    snprintf(context, sizeof context, "models");
    char why[NN_MESSAGE_SIZE];
    gen_model *m = NULL;
    CHECK(gen_model_load(GEN_PERFORMANCE, model_path("small"), &m, why) == NN_OK, "%s", why);
    CHECK(m && !strcmp(gen_model_config(m), "performance"), "config %s", m ? gen_model_config(m) : "-");
    gen_model_free(m);
    m = NULL;
    CHECK(gen_model_load(GEN_PERFORMANCE, model_path("big"), &m, why) == NN_OK &&
              !strcmp(gen_model_config(m), "performance_with_dynami"),
          "the 23-character name of performance_with_dynamics: %s", m ? gen_model_config(m) : why);
    gen_model_free(m);
    CHECK(gen_model_load(GEN_MELODY, model_path("small"), &m, why) == NN_ERR_KIND && strstr(why, "performance"),
          "a performance model in the melody generator: %s", why);
    CHECK(gen_model_load(GEN_PERFORMANCE, model_path("wrong_size"), &m, why) == NN_ERR_SHAPE,
          "a 388-input model said to be 'performance' (356): %s", why);
    CHECK(!strcmp(gen_kind_name(GEN_PERFORMANCE), "performance"), "kind name");

    snprintf(context, sizeof context, "controls");
    gen *g = NULL;
    CHECK(gen_new(GEN_PERFORMANCE, 48000, &g, why) == NN_OK, "%s", why);
    gen_controls c = gen_controls_default(GEN_PERFORMANCE), got;
    CHECK(c.notes_per_second == 0.0 && c.pitch_classes[0] == 0.0f, "defaults: the model's choice");
    c.notes_per_second = 99.0;
    c.pitch_classes[3] = NAN;
    c.pitch_classes[4] = 7.0f;
    c.pitch_classes[5] = -1.0f;
    gen_set_controls(g, &c);
    gen_get_controls(g, &got);
    CHECK(got.notes_per_second == 30.0 && got.pitch_classes[3] == 0.0f && got.pitch_classes[4] == 1.0f &&
              got.pitch_classes[5] == 0.0f, "clamped: %g %g %g %g", got.notes_per_second, got.pitch_classes[3],
          got.pitch_classes[4], got.pitch_classes[5]);
    c.notes_per_second = NAN;
    gen_set_controls(g, &c);
    gen_get_controls(g, &got);
    CHECK(got.notes_per_second == 0.0, "NaN density: %g", got.notes_per_second);
    CHECK(gen_max_layers_per_run(48000, 64) == 2 && gen_max_layers_per_run(48000, 4096) == 128 &&
              gen_max_layers_per_run(48000, 1) == 1 && gen_max_layers_per_run(8000, 1u << 20) == 256,
          "layer bounds %d %d", gen_max_layers_per_run(48000, 64), gen_max_layers_per_run(48000, 4096));
    gen_free(g);
}

/* White-box: the conditioned configs' inputs follow the controls as Magenta encodes them. */
static void test_conditioning(void)
{
    struct {
        const char *model;
        unsigned controls;
        int input;
    } cases[] = {{"density", MUSIC_PERF_CONTROL_DENSITY, 396},
                 {"pitch", MUSIC_PERF_CONTROL_HISTOGRAM, 400},
                 {"multi", MUSIC_PERF_CONTROL_DENSITY | MUSIC_PERF_CONTROL_HISTOGRAM, 408},
                 {"optional", MUSIC_PERF_CONTROL_DENSITY | MUSIC_PERF_CONTROL_HISTOGRAM | MUSIC_PERF_CONTROL_OPTIONAL,
                  409}};
    for (int i = 0; i < 4; i++) {
        snprintf(context, sizeof context, "conditioning %s", cases[i].model);
        host h;
        host_init(&h, GEN_PERFORMANCE, 48000, model_path(cases[i].model), NULL);
        gen *g = h.g;
        CHECK(g->model && g->model->input_size == cases[i].input && g->model->perf_controls == cases[i].controls,
              "input %d", g->model ? g->model->input_size : -1);
        if (!g->model) {
            host_free(&h);
            continue;
        }
        bool optional = cases[i].controls & MUSIC_PERF_CONTROL_OPTIONAL;
        int at = optional ? 1 : 0, density_at = at, hist_at = at + (cases[i].controls & MUSIC_PERF_CONTROL_DENSITY ? 8 : 0);
        int event_at = cases[i].input - MUSIC_PERF_NUM_CLASSES;
        float *in = g->model->input;
        music_perf_event on60 = {MUSIC_PERF_NOTE_ON, 60};
        gen_controls c = gen_controls_default(GEN_PERFORMANCE);

        /* the model's choice */
        gen_set_controls(g, &c);
        CHECK(gen_perf_encode(g, on60), "encode");
        CHECK(in[event_at + 60] == 1.0f, "the event's one-hot");
        if (optional) {
            CHECK(in[0] == 1.0f, "the disable flag is set when both are the model's choice");
            float sum = 0.0f;
            for (int k = 1; k < event_at; k++)
                sum += fabsf(in[k]);
            CHECK(sum == 0.0f, "disabled controls are zeros");
        } else {
            if (cases[i].controls & MUSIC_PERF_CONTROL_DENSITY) /* Magenta's default, 15/s: bin 4 (8..16) */
                CHECK(in[density_at + 4] == 1.0f, "default density bin");
            if (cases[i].controls & MUSIC_PERF_CONTROL_HISTOGRAM)
                CHECK(fabsf(in[hist_at] - 1.0f / 12.0f) < 1e-6f, "uniform histogram %g", in[hist_at]);
        }
        /* asked for: 3 notes per second (bin 2: 2..4), the pitch classes of C major */
        c.notes_per_second = 3.0;
        const int major[7] = {0, 2, 4, 5, 7, 9, 11};
        for (int k = 0; k < 7; k++)
            c.pitch_classes[major[k]] = 1.0f;
        gen_set_controls(g, &c);
        CHECK(gen_perf_encode(g, on60), "encode");
        if (optional)
            CHECK(in[0] == 0.0f, "the disable flag is clear when a control is set");
        if (cases[i].controls & MUSIC_PERF_CONTROL_DENSITY) {
            int ones = 0;
            for (int k = 0; k < 8; k++)
                ones += in[density_at + k] == 1.0f;
            CHECK(in[density_at + 2] == 1.0f && ones == 1, "density 3/s in bin 2");
        }
        if (cases[i].controls & MUSIC_PERF_CONTROL_HISTOGRAM) {
            CHECK(fabsf(in[hist_at + 0] - 1.0f / 7.0f) < 1e-6f && in[hist_at + 1] == 0.0f,
                  "C major histogram: %g %g", in[hist_at], in[hist_at + 1]);
        }
        host_free(&h);
    }

    /* the controls change the model's prediction */
    snprintf(context, sizeof context, "conditioning changes the logits");
    host h;
    host_init(&h, GEN_PERFORMANCE, 48000, model_path("multi"), NULL);
    gen_model *m = h.g->model;
    if (m) {
        float first[MUSIC_PERF_NUM_CLASSES];
        gen_controls c = gen_controls_default(GEN_PERFORMANCE);
        gen_set_controls(h.g, &c);
        gen_perf_encode(h.g, (music_perf_event){MUSIC_PERF_TIME_SHIFT, 10});
        nn_rnn_reset(m->rnn);
        memcpy(first, nn_rnn_step(m->rnn, m->input), sizeof first);
        c.notes_per_second = 30.0;
        c.pitch_classes[1] = 1.0f;
        gen_set_controls(h.g, &c);
        gen_perf_encode(h.g, (music_perf_event){MUSIC_PERF_TIME_SHIFT, 10});
        nn_rnn_reset(m->rnn);
        CHECK(memcmp(first, nn_rnn_step(m->rnn, m->input), sizeof first) != 0, "the same logits with other controls");
    }
    host_free(&h);
}

/* Notes on the 10 ms grid from the transport's start, present, balanced, at most 5 s long. */
static void test_grid(void)
{
    const double rates[] = {48000, 22050, 44100};
    for (int r = 0; r < 3; r++) {
        snprintf(context, sizeof context, "grid at %g", rates[r]);
        host h;
        host_init(&h, GEN_PERFORMANCE, rates[r], model_path("small"), NULL);
        /* the own clock: from frame 0 */
        run(&h, (int64_t)(rates[r] * 6), 0);
        CHECK(count_ons(&h, 0, h.now) >= 5, "%d notes in 6 s", count_ons(&h, 0, h.now));
        CHECK(off_grid(&h, 0.0, 0) == 0, "%d events off the grid from frame 0", off_grid(&h, 0.0, 0));
        /* the host's transport: stopped, then rolling from bar 2 (8 quarters at 100 bpm: 4.8 s) */
        transport(&h, false, 0.0, 100.0);
        int before = h.count;
        run(&h, 3001, 0);
        CHECK(h.count == before || count_ons(&h, h.now - 3001, h.now) == 0, "notes while stopped");
        check_notes(&h, 0, "stopped");
        transport(&h, true, 8.0, 100.0);
        int64_t start = h.now, from_count = h.count;
        run(&h, (int64_t)(rates[r] * 8), 0);
        double origin = (double)start - 4.8 * rates[r];
        int bad = off_grid(&h, origin, start);
        CHECK(bad == 0, "%d of %d events off the grid of the transport's start", bad, h.count - (int)from_count);
        CHECK(count_ons(&h, start, h.now) >= 10, "%d notes in 8 s", count_ons(&h, start, h.now));
        /* a tempo change does not move the grid */
        int64_t change = h.now;
        double q = h.q0 + (double)(h.now - h.frame0) * h.bpm / 60.0 / h.rate;
        h.q0 = q;
        h.frame0 = h.now;
        h.bpm = 140.0;
        run(&h, (int64_t)(rates[r] * 4), 0);
        CHECK(off_grid(&h, origin, change) == 0, "%d events off the grid after a tempo change",
              off_grid(&h, origin, change));
        transport(&h, false, q, 140.0);
        run(&h, 1000, 0);
        check_notes(&h, (int64_t)(5.0 * rates[r]) + 2, "grid run");
        host_free(&h);
    }
}

static host deterministic_run(const char *model, int block, gen_mode mode)
{
    gen_controls c = gen_controls_default(GEN_PERFORMANCE);
    c.mode = mode;
    c.seed = 77;
    host h;
    host_init(&h, GEN_PERFORMANCE, 44100, model_path(model), &c);
    transport(&h, true, 0.0, 120.0);
    if (mode == GEN_MODE_FREE) {
        run(&h, 44100 * 6, block);
    } else { /* a phrase at fixed frames, then the reply */
        static const int notes[][3] = {{0, 60, 1}, {9000, 60, 0}, {9000, 64, 1}, {20000, 67, 1}, {30000, 64, 0},
                                       {35000, 67, 0}};
        for (int i = 0; i < 6; i++) {
            if (notes[i][0] > h.now)
                run(&h, notes[i][0] - h.now, block);
            play_velocity(&h, notes[i][1], notes[i][2], 90);
        }
        run(&h, 44100 * 8, block);
    }
    transport(&h, false, 0.0, 120.0);
    run(&h, 100, block);
    return h;
}

static void test_determinism(void)
{
    const char *models[] = {"small", "big"};
    for (int m = 0; m < 2; m++)
        for (int mode = GEN_MODE_CONTINUE; mode <= GEN_MODE_FREE; mode++) {
            snprintf(context, sizeof context, "determinism %s mode %d", models[m], mode);
            host ref = deterministic_run(models[m], 64, (gen_mode)mode);
            CHECK(count_ons(&ref, 0, ref.now) >= 3, "%d notes", count_ons(&ref, 0, ref.now));
            check_notes(&ref, 44100 * 5 + 2, "reference");
            const int blocks[] = {1000, 4096, 0};
            for (int b = 0; b < 3; b++) {
                host h = deterministic_run(models[m], blocks[b], (gen_mode)mode);
                bool same = h.count == ref.count && !memcmp(h.events, ref.events, (size_t)h.count * sizeof *h.events);
                CHECK(same, "blocks of %d: %d events, 64: %d", blocks[b], h.count, ref.count);
                host_free(&h);
            }
            host_free(&ref);
        }
}

/* Nothing sounds after a stop, relocation, model swap, panic or mode change. */
static void test_no_hung_notes(void)
{
    snprintf(context, sizeof context, "hung notes");
    host h;
    host_init(&h, GEN_PERFORMANCE, 48000, model_path("small"), NULL);
    transport(&h, true, 0.0, 120.0);
    for (int round = 0; round < 12; round++) {
        run(&h, 48000 + (int64_t)(rng_next() % 48000), 0);
        int what = round % 5;
        if (what == 0) {
            transport(&h, true, 4.0 * (double)(rng_next() % 8), 120.0); /* relocate */
        } else if (what == 1) {
            gen_model *m = NULL;
            char why[NN_MESSAGE_SIZE];
            CHECK(gen_model_load(GEN_PERFORMANCE, model_path(round % 2 ? "small" : "multi"), &m, why) == NN_OK, "%s",
                  why);
            gen_model_free(gen_swap_model(h.g, m));
        } else if (what == 2) {
            gen_panic(h.g, capture, &h);
        } else if (what == 3) {
            gen_controls c;
            gen_get_controls(h.g, &c);
            c.mode = c.mode == GEN_MODE_FREE ? GEN_MODE_ANSWER : GEN_MODE_FREE;
            gen_set_controls(h.g, &c);
        } else {
            gen_controls c;
            gen_get_controls(h.g, &c);
            c.regenerate = !c.regenerate;
            c.transpose = (int)(rng_next() % 25) - 12;
            gen_set_controls(h.g, &c);
        }
    }
    transport(&h, false, 0.0, 120.0);
    run(&h, 64, 64);
    check_notes(&h, 48000 * 5 + 2, "after stops, relocations, swaps, panics, mode changes");
    CHECK(count_ons(&h, 0, h.now) >= 10, "%d notes", count_ons(&h, 0, h.now));
    host_free(&h);
}

/* Continue and answer: the model listens, then replies from the next beat / bar line + 30 ms,
 * for length_bars bars; a note during the reply ends it. */
static void test_answer_continue(void)
{
    for (int mode = GEN_MODE_CONTINUE; mode <= GEN_MODE_ANSWER; mode++) {
        snprintf(context, sizeof context, "%s", mode == GEN_MODE_CONTINUE ? "continue" : "answer");
        gen_controls c = gen_controls_default(GEN_PERFORMANCE);
        c.mode = mode;
        c.length_bars = 2;
        host h;
        host_init(&h, GEN_PERFORMANCE, 48000, model_path("small"), &c);
        transport(&h, true, 0.0, 120.0); /* a beat 0.5 s = 24000 frames, a bar 96000 */
        run(&h, 30000, 64);
        CHECK(count_ons(&h, 0, h.now) == 0, "notes before the player played");
        play_velocity(&h, 60, true, 100);
        run(&h, 10000, 64);
        play_velocity(&h, 60, false, 0);
        play_velocity(&h, 62, true, 70);
        run(&h, 10000, 64);
        play_velocity(&h, 62, false, 0);
        int64_t stopped = h.now;
        int before = h.count;
        run(&h, 48000 * 6, 64);
        /* silent for a beat, then the reply from the next beat (continue) or bar (answer) */
        int64_t beat = 24000, bar = 96000, unit = mode == GEN_MODE_CONTINUE ? beat : bar;
        int64_t line = ((stopped + beat + unit - 1) / unit) * unit;
        if (line < stopped + beat)
            line += unit;
        int64_t first = -1, last = -1;
        for (int i = before; i < h.count; i++)
            if (is_on(&h.events[i])) {
                if (first < 0)
                    first = h.events[i].frame;
                last = h.events[i].frame;
            }
        CHECK(first >= 0, "no reply");
        CHECK(first >= line + 1440, "the reply began at %lld, before %lld", (long long)first, (long long)(line + 1440));
        CHECK(last < line + 2 * bar, "a note at %lld after the 2 bars from %lld", (long long)last, (long long)line);
        gen_status_info s;
        gen_get_status(h.g, &s);
        CHECK(s.late_steps == 0, "%llu late steps", (unsigned long long)s.late_steps);
        check_notes(&h, 0, "after the reply");
        host_free(&h);
    }
}

/* The work per call: at most gen_max_layers_per_run layers, none late at 64-frame blocks with
 * the 3 x 512 model; prints the time per step and layer and the worst callback. */
static void test_bounded_work(void)
{
    const int blocks[] = {64, 1, 4096, 0, 64, 32, 4096};
    for (int b = 0; b < 7; b++) {
        const char *model = b < 4 ? "big" : "dense";
        snprintf(context, sizeof context, "bounded %s, blocks %d", model, blocks[b]);
        host h;
        host_init(&h, GEN_PERFORMANCE, 48000, model_path(model), NULL);
        if (blocks[b] == 64) {
            h.timed_capacity = 48000 * 10 / 64;
            h.times = calloc((size_t)h.timed_capacity, sizeof *h.times);
        }
        run(&h, 48000 * (blocks[b] == 1 ? 3 : 10), blocks[b]);
        gen_panic(h.g, capture, &h);
        gen_status_info s;
        gen_get_status(h.g, &s);
        CHECK(h.max_layers_over == 0, "%d calls over the bound", h.max_layers_over);
        CHECK(s.late_steps == 0, "%llu late steps", (unsigned long long)s.late_steps);
        CHECK(count_ons(&h, 0, h.now) >= 5, "%d notes", count_ons(&h, 0, h.now));
        CHECK(s.model_layers == 3 * s.model_steps || s.model_layers == 3 * s.model_steps + 1 ||
                  s.model_layers == 3 * s.model_steps + 2,
              "%llu layers for %llu steps", (unsigned long long)s.model_layers, (unsigned long long)s.model_steps);
        if (blocks[b] == 64) {
            CHECK(h.most_layers <= 3, "%llu layers in one call", (unsigned long long)h.most_layers);
            /* the times of the calls after the first second (the weights' first touch) */
            int skip = 48000 / 64, n = h.timed_count - skip;
            qsort(h.times + skip, (size_t)n, sizeof *h.times, by_value);
            const double *t = h.times + skip;
            printf("3 x 512 f16 (%s) at 48 kHz, 64-frame blocks (period 1.333 ms): %llu model steps in 10 s, %llu layers; "
                   "callbacks: median %.3f ms, 99.9%% %.3f ms, worst %.3f ms (first second: worst %.3f ms); at most "
                   "%llu layers per call\n",
                   model, (unsigned long long)s.model_steps, (unsigned long long)s.model_layers, 1e3 * t[n / 2],
                   1e3 * t[n - 1 - n / 1000], 1e3 * t[n - 1], 1e3 * h.times[0], (unsigned long long)h.most_layers);
        }
        check_notes(&h, 0, "bounded");
        host_free(&h);
    }
    /* the time of one step and of one layer of the 3 x 512 model (printed, not asserted) */
    gen_model *m = NULL;
    char why[NN_MESSAGE_SIZE];
    if (gen_model_load(GEN_PERFORMANCE, model_path("big"), &m, why) == NN_OK) {
        enum { STEPS = 400 };
        double t0 = seconds(), worst_layer = 0.0;
        for (int i = 0; i < STEPS; i++)
            nn_rnn_step_class(m->rnn, i % 388);
        double step = (seconds() - t0) / STEPS;
        t0 = seconds();
        for (int i = 0; i < STEPS; i++) {
            nn_rnn_step_start_class(m->rnn, i % 388);
            for (int l = 0; l < 3; l++) {
                double l0 = seconds();
                nn_rnn_step_continue(m->rnn, 1);
                if (seconds() - l0 > worst_layer)
                    worst_layer = seconds() - l0;
            }
        }
        double layered = (seconds() - t0) / STEPS;
        printf("3 x 512 f16 (%s): %.1f us per step, %.1f us per step layer by layer (%.1f us per layer, "
               "worst layer %.1f us)\n",
               nn_simd_active(), 1e6 * step, 1e6 * layered, 1e6 * layered / 3, 1e6 * worst_layer);
    }
    gen_model_free(m);
    context[0] = '\0';
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_performance_gen.%d", (int)getpid());
    CHECK(mkdir(dir, 0700) == 0, "mkdir %s", dir);
    write_model(model_path("big"), "performance_with_dynamics", 388, 388, 3, 512, NN_F16, false);
    write_model(model_path("dense"), "performance_with_dynamics", 388, 388, 3, 512, NN_F16, true);
    write_model(model_path("small"), "performance", 356, 356, 1, 32, NN_F32, false);
    write_model(model_path("wrong_size"), "performance", 388, 388, 1, 8, NN_F32, false);
    write_model(model_path("density"), "density_conditioned_performance_with_dynamics", 396, 388, 1, 16, NN_F32, false);
    write_model(model_path("pitch"), "pitch_conditioned_performance_with_dynamics", 400, 388, 1, 16, NN_F32, false);
    write_model(model_path("multi"), "multiconditioned_performance_with_dynamics", 408, 388, 2, 16, NN_F16, false);
    write_model(model_path("optional"), "optional_multiconditioned_performance_with_dynamics", 409, 388, 1, 16,
                NN_F32, false);
    test_models_and_controls();
    test_conditioning();
    test_grid();
    test_determinism();
    test_no_hung_notes();
    test_answer_continue();
    test_bounded_work();
    const char *names[] = {"big", "dense", "small", "wrong_size", "density", "pitch", "multi", "optional"};
    for (int i = 0; i < 8; i++)
        unlink(model_path(names[i]));
    rmdir(dir);
    return check_summary("test_performance_gen");
}
