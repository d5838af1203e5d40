/* test_generator.c — the generators' core (plugins/generator) with the starter models of
 * presets/: notes on the exact frame of each grid step, the same MIDI whatever the block sizes,
 * no hung note after a stop, relocation, model swap or panic, the answer and continue modes,
 * loops, drums and their remap, Improv RNN's chords, model files refused with a reason, and the
 * bound on model steps per call. Prints the time of one model step per starter model.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#define _DEFAULT_SOURCE
#include "generator.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TEST_SEED 0x67656e6572ull
#include "../check.h"
#include "gen_host.h"

static const char *presets_dir;

static const char *preset(const char *name)
{
    static char path[4][1024];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", presets_dir, name);
    return p;
}

static int mode_state(host *h)
{
    gen_status_info s;
    gen_get_status(h->g, &s);
    return s.mode_state;
}

/* Every note-on is matched by a later note-off of the same channel and pitch, none is struck
 * while it sounds, and nothing sounds after the events up to `until` (all if < 0). */
static void check_balanced(const host *h, int64_t until, const char *what)
{
    int sounding[16][128] = {{0}};
    bool ok = true;
    for (int i = 0; i < h->count && (until < 0 || h->events[i].frame <= until); i++) {
        const event *e = &h->events[i];
        int ch = e->bytes[0] & 15, p = e->bytes[1] & 127;
        if (is_on(e)) {
            ok &= sounding[ch][p] == 0;
            sounding[ch][p]++;
        } else if (is_off(e)) {
            ok &= sounding[ch][p] == 1;
            sounding[ch][p] = 0;
        }
    }
    int left = 0;
    for (int ch = 0; ch < 16; ch++)
        for (int p = 0; p < 128; p++)
            left += sounding[ch][p];
    CHECK(ok, "%s: a note struck while sounding, or released while silent", what);
    CHECK(left == 0, "%s: %d notes still sounding", what, left);
}

/* ---- The grid ------------------------------------------------------------------------------------ */

/* The first frame at or after step k, exactly: bpm = num / den. */
static int64_t exact_step_frame(int64_t k, int64_t rate, int64_t num, int64_t den, int spq)
{
    int64_t a = k * 60 * rate * den, b = num * spq;
    return (a + b - 1) / b;
}

/* Every note event sits on a step's exact frame; returns how many notes started. */
static int check_grid(const host *h, int64_t rate, int64_t num, int64_t den, int spq, int low, int high, int channel,
                      const char *what)
{
    int ons = 0, off_grid = 0, out_of_range = 0, wrong_channel = 0;
    double step = 60.0 * (double)rate * den / ((double)num * spq);
    for (int i = 0; i < h->count; i++) {
        const event *e = &h->events[i];
        int64_t k = (int64_t)llround((double)e->frame / step);
        bool on_grid = false;
        for (int64_t d = -1; d <= 1; d++)
            on_grid |= k + d >= 0 && exact_step_frame(k + d, rate, num, den, spq) == e->frame;
        off_grid += !on_grid;
        wrong_channel += (e->bytes[0] & 15) != channel - 1;
        if (is_on(e)) {
            ons++;
            out_of_range += e->bytes[1] < low || e->bytes[1] > high;
        }
    }
    CHECK(off_grid == 0, "%s: %d events off the grid", what, off_grid);
    CHECK(out_of_range == 0, "%s: %d notes outside [%d, %d]", what, out_of_range, low, high);
    CHECK(wrong_channel == 0, "%s: %d events not on channel %d", what, wrong_channel, channel);
    return ons;
}

static void test_grid(void)
{
    static const struct {
        int64_t num, den;
    } tempos[] = {{60, 1}, {120, 1}, {1773, 10}};
    static const int rates[] = {44100, 48000};
    static const int grids[] = {4, 3};
    struct {
        gen_kind kind;
        const char *model;
    } models[] = {{GEN_MELODY, "basic_rnn.nnm"}, {GEN_DRUMS, "drum_kit.nnm"}};
    for (int m = 0; m < 2; m++)
        for (int t = 0; t < 3; t++)
            for (int r = 0; r < 2; r++)
                for (int s = 0; s < 2; s++)
                    for (int via_host = 0; via_host < 3; via_host++) {
                        /* 0 own clock, 1 host transport, 2 host transport rounded to ticks */
                        double bpm = (double)tempos[t].num / (double)tempos[t].den;
                        snprintf(context, sizeof context, "grid %s %g bpm %d Hz %d/quarter %s", models[m].model, bpm,
                                 rates[r], grids[s],
                                 via_host == 2 ? "host transport in ticks" : via_host ? "host transport" : "own clock");
                        gen_controls c = gen_controls_default(models[m].kind);
                        c.steps_per_quarter = grids[s];
                        c.pitch_low = 50;
                        c.pitch_high = 70;
                        c.channel = models[m].kind == GEN_DRUMS ? 10 : 3;
                        c.bpm = via_host ? 90.0 : bpm;
                        c.seed = 7;
                        host h;
                        host_init(&h, models[m].kind, rates[r], preset(models[m].model), &c);
                        h.round_ticks = via_host == 2;
                        if (via_host)
                            transport(&h, true, 0.0, bpm);
                        run(&h, (int64_t)(4 * 4 * 60.0 / bpm * rates[r]), 0);
                        bool drums = models[m].kind == GEN_DRUMS;
                        int ons = check_grid(&h, rates[r], tempos[t].num, tempos[t].den, grids[s], drums ? 0 : 50,
                                             drums ? 127 : 70, c.channel, context);
                        CHECK(ons >= 4, "only %d notes in 4 bars", ons);
                        host_free(&h);
                    }
    context[0] = '\0';
}

/* A tempo change from the host: the notes after it sit on the grid of the new tempo, counted
 * from where it changed; a 3/4 bar makes the answer come at its bar line. */
static void test_tempo_and_meter(void)
{
    snprintf(context, sizeof context, "tempo change");
    host h;
    host_init(&h, GEN_MELODY, 48000, preset("basic_rnn.nnm"), NULL);
    transport(&h, true, 0.0, 120.0);
    run(&h, 48000 * 3 + 1234, 0);
    double q = host_q(&h, h.now);
    int64_t change = h.now;
    transport(&h, true, q, 90.0);
    run(&h, 48000 * 6, 0);
    int after = 0, off_grid = 0;
    for (int i = 0; i < h.count; i++) {
        const event *e = &h.events[i];
        if (e->frame <= change)
            continue;
        after++;
        double k = round(q * 4.0 + (double)(e->frame - change) * 90.0 / 60.0 / 48000.0 * 4.0);
        off_grid += e->frame != change + (int64_t)ceil((k / 4.0 - q) * 32000.0 - 1e-6);
    }
    CHECK(after > 4 && off_grid == 0, "%d of %d events after the change are off the 90 bpm grid", off_grid, after);
    host_free(&h);

    snprintf(context, sizeof context, "answer in 3/4");
    gen_controls c = gen_controls_default(GEN_MELODY);
    c.mode = GEN_MODE_ANSWER;
    c.length_bars = 1;
    host_init(&h, GEN_MELODY, 48000, preset("attention_rnn.nnm"), &c);
    h.beats_per_bar = 3;
    transport(&h, true, 0.0, 120.0);
    for (int i = 0; i < 2; i++) { /* beats 1 and 2, a step and a half each */
        run_to(&h, i * 4 * 6000 + 50, 100);
        play(&h, 60 + 4 * i, true);
        run_to(&h, i * 4 * 6000 + 9000, 100);
        play(&h, 60 + 4 * i, false);
    }
    /* silent from step 6; a beat of silence by step 9; the next bar line of 3/4: step 12 */
    run_to(&h, 12 * 6000, 100);
    gen_status_info st;
    gen_get_status(h.g, &st);
    CHECK(st.mode_state == 1 && count_ons(&h, 0, h.now) == 0, "state %d, %d notes before the bar line", st.mode_state,
          count_ons(&h, 0, h.now));
    run(&h, 1, 100);
    gen_get_status(h.g, &st);
    CHECK(st.mode_state == 2, "not answering at the 3/4 bar line (state %d)", st.mode_state);
    run_to(&h, 24 * 6000, 100);
    gen_get_status(h.g, &st);
    CHECK(st.mode_state == 2, "the answer of one 3/4 bar ended early");
    run(&h, 1, 100);
    gen_get_status(h.g, &st);
    CHECK(st.mode_state == 1, "the answer of one 3/4 bar did not end at step 24 (state %d)", st.mode_state);
    host_free(&h);
    context[0] = '\0';
}

/* ---- Determinism ----------------------------------------------------------------------------------- */

/* Four bars at 120 bpm, a relocation, a regeneration and a tempo change at fixed frames; in
 * answer mode a phrase played in, in free mode a two-bar loop for the last part. */
static host deterministic_run(gen_kind kind, const char *model, uint32_t seed, int block, gen_mode mode)
{
    gen_controls c = gen_controls_default(kind);
    c.seed = seed;
    c.mode = mode;
    host h;
    host_init(&h, kind, 48000, preset(model), &c);
    transport(&h, true, 0.0, 120.0);
    for (int i = 0; mode != GEN_MODE_FREE && i < 6; i++) {
        run_to(&h, i * 7000 + 100, block);
        play(&h, 60 + 2 * i, true);
        run_to(&h, i * 7000 + 5000, block);
        play(&h, 60 + 2 * i, false);
    }
    run_to(&h, 48000 * 4 + 777, block);
    transport(&h, true, 33.25, 120.0);
    run_to(&h, 48000 * 6 + 555, block);
    c.regenerate = true;
    gen_set_controls(h.g, &c);
    run(&h, 1, block);
    c.regenerate = false;
    gen_set_controls(h.g, &c);
    run_to(&h, 48000 * 8 + 333, block);
    transport(&h, true, host_q(&h, h.now), 97.0);
    run_to(&h, 48000 * 10, block);
    c.loop_bars = 2;
    gen_set_controls(h.g, &c);
    for (int i = 0; mode != GEN_MODE_FREE && i < 3; i++) {
        run_to(&h, 48000 * 10 + i * 9000 + 100, block);
        play(&h, 50 + 5 * i, true);
        run_to(&h, 48000 * 10 + i * 9000 + 7000, block);
        play(&h, 50 + 5 * i, false);
    }
    run_to(&h, 48000 * 16, block);
    return h;
}

static bool same_midi(const host *a, const host *b)
{
    return a->count == b->count && !memcmp(a->events, b->events, (size_t)a->count * sizeof *a->events);
}

static void test_determinism(void)
{
    struct {
        gen_kind kind;
        const char *model;
        gen_mode mode;
    } runs[] = {{GEN_MELODY, "attention_rnn.nnm", GEN_MODE_FREE},
                {GEN_DRUMS, "drum_kit.nnm", GEN_MODE_FREE},
                {GEN_IMPROV, "chord_pitches_improv.nnm", GEN_MODE_FREE},
                {GEN_MELODY, "attention_rnn.nnm", GEN_MODE_ANSWER},
                {GEN_MELODY, "basic_rnn.nnm", GEN_MODE_CONTINUE}};
    for (int r = 0; r < 5; r++) {
        snprintf(context, sizeof context, "determinism %s, mode %d", runs[r].model, (int)runs[r].mode);
        host ref = deterministic_run(runs[r].kind, runs[r].model, 5, 64, runs[r].mode);
        CHECK(count_ons(&ref, 0, ref.now) >= 4, "only %d notes", count_ons(&ref, 0, ref.now));
        int blocks[] = {1, 4096, 0, 0};
        for (int b = 0; b < 4; b++) {
            host h = deterministic_run(runs[r].kind, runs[r].model, 5, blocks[b], runs[r].mode);
            CHECK(same_midi(&ref, &h), "blocks of %d: %d events, 64: %d events", blocks[b], h.count, ref.count);
            host_free(&h);
        }
        host other = deterministic_run(runs[r].kind, runs[r].model, 6, 64, runs[r].mode);
        CHECK(!same_midi(&ref, &other), "seed 6 plays what seed 5 plays");
        host_free(&other);
        host_free(&ref);
    }
    context[0] = '\0';
}

/* ---- No hung notes ---------------------------------------------------------------------------------- */

static void test_no_hung_notes(void)
{
    for (int kind = GEN_MELODY; kind <= GEN_DRUMS; kind++) {
        const char *model = kind == GEN_MELODY ? "basic_rnn.nnm" : "drum_kit.nnm";
        int64_t bar = 48000 * 2; /* 120 bpm */
        host h;

        snprintf(context, sizeof context, "%s: stop", model);
        host_init(&h, kind, 48000, preset(model), NULL);
        transport(&h, true, 0.0, 120.0);
        run(&h, bar + 12345, 0);
        transport(&h, false, host_q(&h, h.now), 120.0);
        int64_t stopped = h.now;
        run(&h, bar, 0);
        check_balanced(&h, -1, "after a stop");
        CHECK(count_ons(&h, stopped, h.now) == 0, "notes while stopped");
        for (int i = 0; i < h.count; i++)
            CHECK(h.events[i].frame <= stopped, "an event at %lld after the stop at %lld", (long long)h.events[i].frame,
                  (long long)stopped);
        /* rolling again from where it stopped, then from bar 0 */
        transport(&h, true, host_q(&h, h.now), 120.0);
        run(&h, bar, 0);
        CHECK(count_ons(&h, stopped, h.now) > 0, "no notes after starting again");
        transport(&h, false, host_q(&h, h.now), 120.0);
        run(&h, 1000, 0);
        check_balanced(&h, -1, "stop, start, stop");
        host_free(&h);

        snprintf(context, sizeof context, "%s: relocate", model);
        host_init(&h, kind, 48000, preset(model), NULL);
        transport(&h, true, 0.0, 120.0);
        run(&h, bar + 7777, 0);
        int64_t jump = h.now;
        transport(&h, true, 40.5, 120.0); /* to bar 10, beat 1.5 */
        run(&h, bar, 0);
        /* the notes after the jump follow the new grid: step k of 40.5 quarters + k / 4 */
        bool on_grid = true;
        for (int i = 0; i < h.count; i++)
            if (h.events[i].frame > jump) {
                double steps = (double)(h.events[i].frame - jump) * 120.0 / 60.0 / 48000 * 4.0;
                on_grid &= fabs(steps - round(steps)) * 6000.0 < 1.0 + 1e-9;
            }
        CHECK(on_grid, "notes after the jump are off the new grid");
        CHECK(count_ons(&h, jump, h.now) > 0, "no notes after the jump");
        transport(&h, false, host_q(&h, h.now), 120.0);
        run(&h, 64, 0);
        check_balanced(&h, -1, "relocate");
        host_free(&h);

        snprintf(context, sizeof context, "%s: model swap", model);
        host_init(&h, kind, 48000, preset(model), NULL);
        run(&h, bar + 3333, 0);
        char why[NN_MESSAGE_SIZE];
        gen_model *m = NULL;
        CHECK(gen_model_load((gen_kind)kind, preset(kind == GEN_MELODY ? "attention_rnn.nnm" : "drum_kit.nnm"), &m,
                             why) == NN_OK, "%s", why);
        gen_model_free(gen_swap_model(h.g, m));
        int64_t swapped = h.now;
        run(&h, bar, 0);
        CHECK(count_ons(&h, swapped, h.now) > 0, "no notes from the new model");
        gen_model_free(gen_swap_model(h.g, NULL));
        int64_t silent = h.now;
        run(&h, bar, 0);
        CHECK(count_ons(&h, silent, h.now) == 0, "notes without a model");
        check_balanced(&h, -1, "swaps");
        host_free(&h);

        snprintf(context, sizeof context, "%s: model swap while answering", model);
        gen_controls c = gen_controls_default((gen_kind)kind);
        c.mode = GEN_MODE_ANSWER;
        host_init(&h, kind, 48000, preset(model), &c);
        for (int i = 0; i < 4; i++) {
            run_to(&h, i * 12000 + 10, 0);
            play(&h, kind == GEN_MELODY ? 60 + i : 36 + 2 * i, true);
            run(&h, 5000, 0);
            play(&h, kind == GEN_MELODY ? 60 + i : 36 + 2 * i, false);
        }
        run_to(&h, 16 * 6000 + 6000 * 5, 0); /* into the reply */
        CHECK(mode_state(&h) == 2, "not answering");
        CHECK(gen_model_load((gen_kind)kind, preset(model), &m, why) == NN_OK, "%s", why);
        gen_model_free(gen_swap_model(h.g, m));
        CHECK(mode_state(&h) == 1, "still answering after a swap (state %d)", mode_state(&h));
        run(&h, 2000, 0);
        check_balanced(&h, -1, "swap while answering");
        /* and it answers the next phrase with the new model */
        for (int i = 0; i < 4; i++) {
            run_to(&h, 48 * 6000 + i * 12000 + 10, 0);
            play(&h, kind == GEN_MELODY ? 65 + i : 38, true);
            run(&h, 5000, 0);
            play(&h, kind == GEN_MELODY ? 65 + i : 38, false);
        }
        run_to(&h, 80 * 6000, 0);
        CHECK(count_ons(&h, 64 * 6000, h.now) > 0, "no answer from the new model");
        gen_panic(h.g, capture, &h);
        check_balanced(&h, -1, "answer after a swap");
        host_free(&h);

        snprintf(context, sizeof context, "%s: panic", model);
        host_init(&h, kind, 48000, preset(model), NULL);
        for (int i = 0; i < 20; i++) {
            run(&h, 3000 + (int64_t)(rng_next() % 9000), 0);
            gen_panic(h.g, capture, &h);
            check_balanced(&h, -1, "right after a panic");
        }
        host_free(&h);

        snprintf(context, sizeof context, "%s: output full", model);
        host_init(&h, kind, 48000, preset(model), NULL);
        h.refuse_every = 3;
        run(&h, 4 * bar, 0);
        transport(&h, false, host_q(&h, h.now), 120.0);
        run(&h, 64, 0);
        run(&h, 64, 0);
        check_balanced(&h, -1, "every third message refused");
        CHECK(count_ons(&h, 0, h.now) > 8, "too few notes came through");
        host_free(&h);
    }
    context[0] = '\0';
}

/* ---- Answer and continue ----------------------------------------------------------------------------- */

/* The player plays `notes` (step, length) in steps of 6000 frames (120 bpm, 48 kHz); the reply
 * must start exactly at step `reply`, last `bars` bars, and nothing plays while the player does. */
static void check_reply(gen_mode mode, const int (*notes)[2], int count, int64_t reply, int bars, int block)
{
    const int64_t step = 6000;
    gen_controls c = gen_controls_default(GEN_MELODY);
    c.mode = mode;
    c.length_bars = bars;
    host h;
    host_init(&h, GEN_MELODY, 48000, preset("attention_rnn.nnm"), &c);
    static const int pitches[] = {60, 62, 64, 65, 67, 69, 71, 72};
    for (int i = 0; i < count; i++) {
        run_to(&h, notes[i][0] * step + 100, block);
        play(&h, pitches[i % 8], true);
        CHECK(mode_state(&h) == 1, "not listening while the player plays");
        run_to(&h, (notes[i][0] + notes[i][1]) * step + 100, block);
        play(&h, pitches[i % 8], false);
    }
    run_to(&h, reply * step, block); /* up to the frame before the reply's */
    CHECK(mode_state(&h) == 1, "not listening just before the reply (state %d)", mode_state(&h));
    CHECK(count_ons(&h, 0, h.now) == 0, "%d notes before the reply", count_ons(&h, 0, h.now));
    run(&h, 1, block);
    CHECK(mode_state(&h) == 2, "not replying at step %lld (state %d)", (long long)reply, mode_state(&h));
    int64_t end = reply + bars * 16;
    run_to(&h, end * step, block);
    CHECK(mode_state(&h) == 2, "the reply ended before %d bars", bars);
    CHECK(count_ons(&h, reply * step, end * step) > 0, "a silent reply");
    run(&h, 1, block);
    CHECK(mode_state(&h) == 1, "still replying after %d bars (state %d)", bars, mode_state(&h));
    run(&h, 4 * 16 * step, block);
    CHECK(count_ons(&h, end * step, h.now) == 0, "notes after the reply");
    check_balanced(&h, end * step, "reply");
    host_free(&h);
}

static void test_answer_continue(void)
{
    static const int phrase[][2] = {{0, 2}, {4, 2}, {8, 2}};  /* quarter notes on beats 1-3 of bar 1 */
    static const int short_phrase[][2] = {{0, 1}, {4, 1}, {6, 1}};
    for (int b = 0; b < 2; b++) {
        int block = b ? 0 : 256;
        snprintf(context, sizeof context, "answer, blocks %d", block);
        /* the last note ends in step 9; a beat of silence is heard by step 13; the next bar line */
        check_reply(GEN_MODE_ANSWER, phrase, 3, 16, 2, block);
        snprintf(context, sizeof context, "continue, blocks %d", block);
        /* the last note is in step 6; silent 7 .. 10; the next beat: step 12 */
        check_reply(GEN_MODE_CONTINUE, short_phrase, 3, 12, 1, block);
    }

    /* continue: the player playing again ends the reply at the next step */
    snprintf(context, sizeof context, "continue interrupted");
    gen_controls c = gen_controls_default(GEN_MELODY);
    c.mode = GEN_MODE_CONTINUE;
    c.length_bars = 4;
    host h;
    host_init(&h, GEN_MELODY, 48000, preset("basic_rnn.nnm"), &c);
    for (int i = 0; i < 3; i++) {
        run_to(&h, short_phrase[i][0] * 6000 + 10, 128);
        play(&h, 60 + 2 * i, true);
        run_to(&h, (short_phrase[i][0] + 1) * 6000 + 10, 128);
        play(&h, 60 + 2 * i, false);
    }
    run_to(&h, 20 * 6000 + 10, 128);
    CHECK(mode_state(&h) == 2, "not replying");
    play(&h, 70, true);
    run_to(&h, 21 * 6000 + 10, 128);
    CHECK(mode_state(&h) == 1, "still replying after the player came in (state %d)", mode_state(&h));
    check_balanced(&h, -1, "interrupted reply");
    CHECK(count_ons(&h, 21 * 6000, h.now + 1) == 0, "the model plays over the player");
    play(&h, 70, false);
    host_free(&h);
    context[0] = '\0';
}

/* ---- Loops ------------------------------------------------------------------------------------------- */

typedef struct step_note {
    int64_t step;
    int pitch;
} step_note;

/* The note-ons of steps [from, from + count) as (step - from, pitch), at 6000 frames a step. */
static int notes_of(const host *h, int64_t from, int count, step_note *out)
{
    int n = 0;
    for (int i = 0; i < h->count; i++) {
        const event *e = &h->events[i];
        if (is_on(e) && e->frame >= from * 6000 && e->frame < (from + count) * 6000 && n < 512)
            out[n++] = (step_note){e->frame / 6000 - from, e->bytes[1]};
    }
    return n;
}

static bool equal_notes(const step_note *x, int nx, const step_note *y, int ny)
{
    bool same = nx == ny;
    for (int i = 0; same && i < nx; i++)
        same = x[i].step == y[i].step && x[i].pitch == y[i].pitch;
    return same;
}

static bool same_notes(const host *h, int64_t a, int64_t b, int count)
{
    step_note x[512], y[512];
    int nx = notes_of(h, a, count, x), ny = notes_of(h, b, count, y);
    return equal_notes(x, nx, y, ny);
}

static void test_loops(void)
{
    for (int kind = GEN_MELODY; kind <= GEN_DRUMS; kind++) {
        const char *model = kind == GEN_MELODY ? "attention_rnn.nnm" : "drum_kit.nnm";
        snprintf(context, sizeof context, "loop %s", model);
        gen_controls c = gen_controls_default((gen_kind)kind);
        c.loop_bars = 2;
        host h;
        host_init(&h, (gen_kind)kind, 48000, preset(model), &c);
        transport(&h, true, 0.0, 120.0);
        run(&h, 6000 * 16 * 3 + 6000 * 8, 0); /* to bar 4, beat 3 */
        c.regenerate = true;
        gen_set_controls(h.g, &c);
        run(&h, 100, 0);
        c.regenerate = false;
        gen_set_controls(h.g, &c);
        run_to(&h, 6000 * 16 * 9, 0);
        step_note x[512];
        CHECK(notes_of(&h, 0, 32, x) >= 4, "bars 1-2 are nearly empty");
        CHECK(same_notes(&h, 0, 32, 32), "bars 3-4 do not repeat bars 1-2");
        CHECK(!same_notes(&h, 0, 64, 32), "bars 5-6 (regenerated) repeat bars 1-2");
        CHECK(same_notes(&h, 64, 96, 32), "bars 7-8 do not repeat bars 5-6");
        /* a relocation keeps the loop: bar 11 plays bar 1's notes (11 - 1 = 10 bars, 5 loops) */
        transport(&h, true, 40.0, 120.0);
        int64_t at = h.now;
        run(&h, 6000 * 16, 0);
        step_note y[512], z[512];
        int ny = 0, nz = notes_of(&h, 64, 16, z);
        for (int i = 0; i < h.count; i++)
            if (is_on(&h.events[i]) && h.events[i].frame >= at && ny < 512)
                y[ny++] = (step_note){(h.events[i].frame - at) / 6000, h.events[i].bytes[1]};
        CHECK(equal_notes(y, ny, z, nz), "bar 11 after a jump is not the loop's first bar");
        transport(&h, false, host_q(&h, h.now), 120.0);
        run(&h, 10, 0);
        check_balanced(&h, -1, "loop");
        host_free(&h);
    }
    context[0] = '\0';
}

/* ---- Drums ------------------------------------------------------------------------------------------- */

static void test_drums(void)
{
    static const int gm[9] = {36, 38, 42, 46, 45, 48, 50, 49, 51};
    for (int remap = 0; remap < 2; remap++) {
        snprintf(context, sizeof context, "drums, %s", remap ? "remapped" : "General MIDI");
        gen_controls c = gen_controls_default(GEN_DRUMS);
        CHECK(c.channel == 10, "drums default to channel %d", c.channel);
        for (int i = 0; remap && i < 9; i++)
            c.drum_notes[i] = 70 + i;
        host h;
        host_init(&h, GEN_DRUMS, 48000, preset("drum_kit.nnm"), &c);
        run(&h, 48000 * 8, 0);
        int ons = 0, strays = 0, kicks = 0;
        for (int i = 0; i < h.count; i++) {
            const event *e = &h.events[i];
            CHECK((e->bytes[0] & 15) == 9, "drums on channel %d", (e->bytes[0] & 15) + 1);
            if (!is_on(e))
                continue;
            ons++;
            bool known = false;
            for (int k = 0; k < 9; k++)
                known |= e->bytes[1] == (remap ? 70 + k : gm[k]);
            strays += !known;
            kicks += e->bytes[1] == (remap ? 70 : 36);
        }
        CHECK(ons > 16 && kicks > 0, "%d hits, %d kicks", ons, kicks);
        gen_panic(h.g, capture, &h);
        CHECK(strays == 0, "%d notes not among the drum notes", strays);
        check_balanced(&h, -1, "drums");
        host_free(&h);
    }

    /* the player's hits (any GM drum note) are heard: a reply in the next bar */
    snprintf(context, sizeof context, "drums answer");
    gen_controls c = gen_controls_default(GEN_DRUMS);
    c.mode = GEN_MODE_ANSWER;
    host h;
    host_init(&h, GEN_DRUMS, 48000, preset("drum_kit.nnm"), &c);
    static const int hits[][2] = {{0, 36}, {2, 42}, {4, 38}, {6, 44}, {8, 35}};
    for (int i = 0; i < 5; i++) {
        run_to(&h, hits[i][0] * 6000 + 10, 64);
        play(&h, hits[i][1], true);
        run(&h, 100, 64);
        play(&h, hits[i][1], false);
    }
    run_to(&h, 16 * 6000, 64);
    CHECK(count_ons(&h, 0, h.now) == 0 && mode_state(&h) == 1, "the drums did not wait");
    run_to(&h, 48 * 6000, 64);
    CHECK(count_ons(&h, 16 * 6000, h.now) > 4, "a drum reply of %d hits", count_ons(&h, 16 * 6000, h.now));
    check_balanced(&h, -1, "drums answer");
    host_free(&h);
    context[0] = '\0';
}

/* ---- Improv RNN's chords ------------------------------------------------------------------------------ */

static void test_improv(void)
{
    snprintf(context, sizeof context, "improv held chord");
    host h;
    host_init(&h, GEN_IMPROV, 48000, preset("chord_pitches_improv.nnm"), NULL);
    run(&h, 1000, 0);
    play(&h, 48, true);
    play(&h, 52, true);
    play(&h, 55, true);
    gen_status_info s;
    gen_get_status(h.g, &s);
    CHECK(!strcmp(s.chord, "C"), "held C-E-G reads as '%s'", s.chord);
    play(&h, 48, false);
    play(&h, 52, false);
    play(&h, 55, false);
    play(&h, 45, true);
    play(&h, 48, true);
    play(&h, 52, true);
    gen_get_status(h.g, &s);
    CHECK(!strcmp(s.chord, "Am"), "held A-C-E reads as '%s'", s.chord);
    play(&h, 45, false);
    play(&h, 48, false);
    play(&h, 52, false);
    gen_get_status(h.g, &s);
    CHECK(!strcmp(s.chord, "Am"), "the chord does not stay after release: '%s'", s.chord);
    run(&h, 48000 * 4, 0);
    CHECK(count_ons(&h, 0, h.now) > 4, "improv plays %d notes", count_ons(&h, 0, h.now));
    for (int i = 0; i < h.count; i++)
        CHECK(!is_on(&h.events[i]) || h.events[i].bytes[1] >= 36, "improv plays %d", h.events[i].bytes[1]);
    /* On held chords a step is decided at its boundary (the player may change the chord up to
     * it), never ahead; over a progression the core works ahead as the other models do. */
    int ahead = 0;
    for (int i = 0; i < 2000; i++) {
        run(&h, 1 + (int64_t)(rng_next() % 512), 0);
        gen_get_status(h.g, &s);
        CHECK(s.decided_step <= s.step, "held chords: step %lld decided at step %lld", (long long)s.decided_step,
              (long long)s.step);
    }
    gen_progression *live_test = NULL;
    CHECK(gen_progression_parse("C F", &live_test, NULL) == NN_OK, "parse");
    gen_progression_free(gen_swap_progression(h.g, live_test));
    gen_controls over = gen_controls_default(GEN_IMPROV);
    over.chord_source = GEN_CHORDS_PROGRESSION;
    gen_set_controls(h.g, &over);
    for (int i = 0; i < 2000; i++) {
        run(&h, 1 + (int64_t)(rng_next() % 512), 0);
        gen_get_status(h.g, &s);
        ahead += s.decided_step > s.step;
    }
    CHECK(ahead > 1000, "over a progression, steps decided ahead after only %d of 2000 calls", ahead);
    host_free(&h);

    snprintf(context, sizeof context, "improv progression");
    char why[NN_MESSAGE_SIZE];
    gen_progression *p = NULL;
    CHECK(gen_progression_parse("C Am F G7", &p, why) == NN_OK, "%s", why);
    CHECK(p && !strcmp(gen_progression_text(p), "C Am F G7"), "text");
    gen_controls c = gen_controls_default(GEN_IMPROV);
    c.chord_source = GEN_CHORDS_PROGRESSION;
    host_init(&h, GEN_IMPROV, 48000, preset("chord_pitches_improv.nnm"), &c);
    gen_progression_free(gen_swap_progression(h.g, p));
    static const char *const want[] = {"C", "Am", "F", "G7", "C", "Am"};
    for (int bar = 0; bar < 6; bar++) {
        run_to(&h, bar * 96000 + 48000, 0);
        gen_get_status(h.g, &s);
        CHECK(!strcmp(s.chord, want[bar]), "bar %d: chord '%s', want '%s'", bar + 1, s.chord, want[bar]);
    }
    CHECK(count_ons(&h, 0, h.now) > 8, "improv over a progression plays %d notes", count_ons(&h, 0, h.now));
    host_free(&h);

    gen_progression *bad = NULL;
    CHECK(gen_progression_parse("C Xm7 F", &bad, why) != NN_OK && !bad, "a bad progression is accepted");
    CHECK(strstr(why, "Xm7") != NULL, "the message does not name the chord: %s", why);
    CHECK(gen_progression_parse("", &bad, why) != NN_OK && !bad, "an empty progression is accepted");
    context[0] = '\0';
}

/* ---- Model files --------------------------------------------------------------------------------------- */

/* An event_rnn model of one LSTM layer of 8 units with random weights. */
static void write_model(const char *path, const char *encoding, int input, int classes)
{
    enum { U = 8 };
    static float data[(38 + U) * 4 * U];
    fill_uniform(data, (int)(sizeof data / sizeof *data), -0.5f, 0.5f);
    nn_writer *w = NULL;
    nn_status st = nn_writer_new(NN_KIND_EVENT_RNN, &w);
    if (st == NN_OK) st = nn_writer_set_int(w, "input_size", input);
    if (st == NN_OK) st = nn_writer_set_int(w, "num_classes", classes);
    if (st == NN_OK) st = nn_writer_set_int(w, "num_layers", 1);
    if (st == NN_OK && encoding) st = nn_writer_set_string(w, "encoding", encoding);
    if (st == NN_OK) st = nn_writer_add(w, "rnn/cell_0/kernel", NN_F32, 2, (const int[]){input + U, 4 * U}, data);
    if (st == NN_OK) st = nn_writer_add(w, "rnn/cell_0/bias", NN_F32, 1, (const int[]){4 * U}, data);
    if (st == NN_OK) st = nn_writer_add(w, "output/kernel", NN_F32, 2, (const int[]){U, classes}, data);
    if (st == NN_OK) st = nn_writer_add(w, "output/bias", NN_F32, 1, (const int[]){classes}, data);
    char why[NN_MESSAGE_SIZE] = "";
    if (st == NN_OK) st = nn_writer_save(w, path, why);
    CHECK(st == NN_OK, "writing %s: %s %s", path, nn_status_text(st), why);
    nn_writer_free(w);
}

static void test_model_errors(void)
{
    char why[NN_MESSAGE_SIZE];
    gen_model *m = (gen_model *)1;
    CHECK(gen_model_load(GEN_MELODY, "/nonexistent/melody.nnm", &m, why) == NN_ERR_IO && !m, "missing file");
    CHECK(strstr(why, "/nonexistent/melody.nnm") != NULL, "the message does not name the file: %s", why);

    const char *basic = preset("basic_rnn.nnm");
    CHECK(gen_model_load(GEN_DRUMS, basic, &m, why) != NN_OK && !m, "a melody model loads as drums");
    CHECK(strstr(why, basic) && strstr(why, "basic_rnn") && strstr(why, "melody") && strstr(why, "drums"),
          "the message does not name the file, configuration and kinds: %s", why);
    CHECK(gen_model_load(GEN_IMPROV, preset("drum_kit.nnm"), &m, why) != NN_OK && !m, "drums load as improv");

    /* the first 1000 bytes of a model */
    char truncated[] = "/tmp/test_generator_XXXXXX";
    int fd = mkstemp(truncated);
    CHECK(fd >= 0, "mkstemp");
    FILE *in = fopen(basic, "rb"), *out = fdopen(fd, "wb");
    char bytes[1000];
    size_t n = in ? fread(bytes, 1, sizeof bytes, in) : 0;
    CHECK(out && n == sizeof bytes && fwrite(bytes, 1, n, out) == n, "copy");
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    CHECK(gen_model_load(GEN_MELODY, truncated, &m, why) != NN_OK && !m, "a truncated model loads");
    CHECK(strstr(why, truncated) != NULL, "the message does not name the file: %s", why);
    remove(truncated);

    /* an event_rnn whose sizes are basic_rnn's, but which says it is lookback_rnn (121 in, 40 out);
     * then one that does not say what it is */
    for (int named = 1; named >= 0; named--) {
        char wrong[] = "/tmp/test_generator_XXXXXX";
        int wfd = mkstemp(wrong);
        CHECK(wfd >= 0, "mkstemp");
        close(wfd);
        write_model(wrong, named ? "lookback_rnn" : NULL, 38, 38);
        CHECK(gen_model_load(GEN_MELODY, wrong, &m, why) != NN_OK && !m, "a model of the wrong sizes loads");
        if (named)
            CHECK(strstr(why, wrong) && strstr(why, "lookback_rnn") && strstr(why, "121") && strstr(why, "38"),
                  "the message does not name the file, configuration and sizes: %s", why);
        else
            CHECK(strstr(why, wrong) && strstr(why, "encoding"), "the message does not say what is missing: %s", why);
        remove(wrong);
    }

    CHECK(gen_model_load(GEN_MELODY, basic, &m, why) == NN_OK, "%s", why);
    CHECK(m && !strcmp(gen_model_config(m), "basic_rnn") && !strcmp(gen_model_path(m), basic), "config and path");
    /* a generator of another family refuses it, keeping its own */
    gen *g = NULL;
    CHECK(gen_new(GEN_DRUMS, 48000, &g, why) == NN_OK, "%s", why);
    CHECK(gen_swap_model(g, m) == m, "a drums generator takes a melody model");
    gen_model_free(m);
    gen_free(g);
    CHECK(gen_new(GEN_MELODY, 1000.0, &g, why) != NN_OK && !g, "a sample rate of 1000 Hz is accepted");
    gen_model_free(NULL);
    gen_free(NULL);
}

/* ---- Controls ------------------------------------------------------------------------------------------ */

static void test_controls(void)
{
    gen *g = NULL;
    char why[NN_MESSAGE_SIZE];
    CHECK(gen_new(GEN_MELODY, 48000, &g, why) == NN_OK, "%s", why);
    gen_controls c = gen_controls_default(GEN_MELODY), got;
    c.temperature = NAN;
    c.bpm = NAN;
    c.steps_per_quarter = 99;
    c.mode = -5;
    c.pitch_low = 100;
    c.pitch_high = 90;
    c.velocity = 0;
    c.channel = 40;
    c.seed = 1u << 30;
    c.drum_notes[3] = 300;
    gen_set_controls(g, &c);
    gen_get_controls(g, &got);
    CHECK(got.temperature == 1.0f && got.bpm == 120.0, "NaN does not give the defaults: %g %g",
          (double)got.temperature, got.bpm);
    CHECK(got.steps_per_quarter == 8 && got.mode == GEN_MODE_CONTINUE && got.velocity == 1 && got.channel == 16,
          "integers are not clamped");
    CHECK(got.pitch_high >= got.pitch_low + 11 && got.pitch_high <= 127, "pitch range %d .. %d", got.pitch_low,
          got.pitch_high);
    CHECK(got.seed == 0xffffff && got.drum_notes[3] == 127, "seed %u, drum note %d", got.seed, got.drum_notes[3]);
    gen_free(g);
}

/* ---- Bounded work ------------------------------------------------------------------------------------------ */

static void test_bounded_work(void)
{
    struct {
        gen_kind kind;
        const char *model;
    } models[] = {{GEN_MELODY, "attention_rnn.nnm"},
                  {GEN_MELODY, "basic_rnn.nnm"},
                  {GEN_DRUMS, "drum_kit.nnm"},
                  {GEN_IMPROV, "chord_pitches_improv.nnm"}};
    for (int m = 0; m < 4; m++) {
        for (int block = -1; block <= 4096; block += 4097) {
            snprintf(context, sizeof context, "bounded %s, blocks %s", models[m].model, block < 0 ? "random" : "4096");
            gen_controls c = gen_controls_default(models[m].kind);
            c.bpm = 300.0;
            host h;
            host_init(&h, models[m].kind, 48000, preset(models[m].model), &c);
            run(&h, 48000 * 10, block < 0 ? 0 : block);
            gen_status_info s;
            gen_get_status(h.g, &s);
            CHECK(h.max_steps_in_call <= (uint64_t)gen_max_steps_per_run(), "%llu model steps in one call",
                  (unsigned long long)h.max_steps_in_call);
            CHECK(s.late_steps == 0, "%llu late steps", (unsigned long long)s.late_steps);
            CHECK(s.model_steps >= 190, "only %llu model steps for 200 grid steps", (unsigned long long)s.model_steps);
            host_free(&h);
        }
        /* past the track's length (4096 steps): it slides, and the model plays on in time */
        if (m == 0) { /* attention_rnn: its key encoder reads the whole track */
            snprintf(context, sizeof context, "long run %s", models[m].model);
            gen_controls c = gen_controls_default(models[m].kind);
            c.bpm = 400.0;
            host h;
            host_init(&h, models[m].kind, 48000, preset(models[m].model), &c);
            int64_t step = 1800, steps = 5000;
            run(&h, step * steps, 4096);
            gen_status_info s;
            gen_get_status(h.g, &s);
            CHECK(s.step == steps - 1 && s.late_steps == 0, "step %lld, %llu late", (long long)s.step,
                  (unsigned long long)s.late_steps);
            CHECK(count_ons(&h, step * (steps - 200), h.now) > 10, "%d notes in the last 200 steps",
                  count_ons(&h, step * (steps - 200), h.now));
            host_free(&h);
        }
        /* the time of one model step (printed, not asserted) */
        host h;
        host_init(&h, models[m].kind, 48000, preset(models[m].model), NULL);
        double t0 = seconds();
        run(&h, 48000 * 15, 4096);
        gen_status_info s;
        gen_get_status(h.g, &s);
        double t = seconds() - t0;
        printf("%s: %.1f us per model step (%llu steps, %.3f s including the core)\n", models[m].model,
               1e6 * t / (double)s.model_steps, (unsigned long long)s.model_steps, t);
        host_free(&h);
    }
    context[0] = '\0';
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_generator PRESETS_DIR\n");
        return 2;
    }
    presets_dir = argv[1];
    test_controls();
    test_model_errors();
    test_grid();
    test_tempo_and_meter();
    test_determinism();
    test_no_hung_notes();
    test_answer_continue();
    test_loops();
    test_drums();
    test_improv();
    test_bounded_work();
    return check_summary("test_generator");
}
