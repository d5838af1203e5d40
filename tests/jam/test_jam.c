/* test_jam — nn-jam's engine without a backend: settings from text (and their errors), models
 * playing together on the own clock or JACK's transport, every note on its grid frame and ended,
 * the same notes whatever the callback sizes, mute, MIDI learn and mapped CCs, tap tempo, Piano
 * Genie's presses, the stop before quitting, the status, and the recording read back.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Usage: test_jam PRESETS_DIR   (the starter models, presets/)
 */
#define _GNU_SOURCE
#include "../check.h"
#include "jam.h"
#include "music.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RATE 48000.0
#define MAX_OUT 20000

typedef struct out_event {
    int64_t frame;
    int slot;
    uint8_t bytes[3];
} out_event;

typedef struct capture {
    out_event events[MAX_OUT];
    int count;
    int64_t now;         /* frames before the current callback */
    uint32_t frames;     /* the current callback's length */
    int bad_frames;      /* writes outside the callback or out of order per slot */
    int64_t last[JAM_MAX_SLOTS];
} capture;

static bool write_midi(void *user, int slot, uint32_t frame, const uint8_t *bytes, uint32_t size)
{
    capture *c = user;
    if (frame >= c->frames || c->now + frame < c->last[slot] || size != 3)
        c->bad_frames++;
    c->last[slot] = c->now + frame;
    if (c->count < MAX_OUT) {
        out_event *e = &c->events[c->count++];
        e->frame = c->now + frame;
        e->slot = slot;
        memcpy(e->bytes, bytes, 3);
    }
    return true;
}

/* A scheduled input: MIDI into a slot (slot >= 0) or the control input (-1) at an absolute frame. */
typedef struct input {
    int64_t frame;
    int slot;
    uint8_t bytes[3];
} input;

typedef struct run_options {
    int block;             /* > 0 fixed, 0 random 1 .. 1024 */
    uint32_t seed;
    const jam_transport *transport;
    const input *inputs;
    int input_count;
} run_options;

/* Run `frames` frames of audio through the engine in callbacks, feeding the scheduled inputs. */
static void run(jam *j, capture *c, int64_t frames, const run_options *o)
{
    static jam_midi in[JAM_MAX_SLOTS][JAM_MAX_EVENTS], control[JAM_MAX_EVENTS];
    uint64_t rng = o->seed ? o->seed : 1;
    int64_t end = c->now + frames;
    while (c->now < end) {
        uint32_t n = o->block > 0 ? (uint32_t)o->block : (uint32_t)(1 + (rng = rng * 6364136223846793005ull + 1) % 1024);
        if (c->now + n > end)
            n = (uint32_t)(end - c->now);
        jam_io io = {.frames = n, .write = write_midi, .write_user = c, .transport = o->transport};
        for (int k = 0; k < o->input_count; k++) {
            const input *e = &o->inputs[k];
            if (e->frame < c->now || e->frame >= c->now + n)
                continue;
            jam_midi m = {.frame = (uint32_t)(e->frame - c->now), .size = 3};
            memcpy(m.bytes, e->bytes, 3);
            if (e->slot < 0)
                control[io.control_count++] = m;
            else
                in[e->slot][io.in_count[e->slot]++] = m;
        }
        for (int s = 0; s < JAM_MAX_SLOTS; s++)
            io.in[s] = in[s];
        io.control = control;
        c->frames = n;
        jam_process(j, &io);
        c->now += n;
    }
}

static bool is_on(const out_event *e) { return (e->bytes[0] & 0xf0) == 0x90 && e->bytes[2] > 0; }
static bool is_off(const out_event *e) { return (e->bytes[0] & 0xf0) == 0x80 || ((e->bytes[0] & 0xf0) == 0x90 && !e->bytes[2]); }

/* Every note-on has one note-off later, none sounds at the end; counts a slot's note-ons. */
static int check_pairs(const capture *c, int slot, const char *what)
{
    int sounding[16][128] = {{0}}, ons = 0;
    for (int k = 0; k < c->count; k++) {
        const out_event *e = &c->events[k];
        if (e->slot != slot)
            continue;
        int ch = e->bytes[0] & 15, n = e->bytes[1];
        if (is_on(e)) {
            CHECK(!sounding[ch][n], "%s: note %d struck again while sounding at frame %lld", what, n, (long long)e->frame);
            sounding[ch][n] = 1;
            ons++;
        } else if (is_off(e)) {
            CHECK(sounding[ch][n], "%s: note-off of silent note %d at frame %lld", what, n, (long long)e->frame);
            sounding[ch][n] = 0;
        }
    }
    int left = 0;
    for (int ch = 0; ch < 16; ch++)
        for (int n = 0; n < 128; n++)
            left += sounding[ch][n];
    CHECK(left == 0, "%s: %d notes still sounding at the end", what, left);
    return ons;
}

/* Note-ons of a slot on the grid of `step` frames from `origin` (the first frame at or after). */
static void check_grid(const capture *c, int slot, double step, int64_t origin, int64_t from, const char *what)
{
    int off_grid = 0, seen = 0;
    for (int k = 0; k < c->count; k++) {
        const out_event *e = &c->events[k];
        if (e->slot != slot || !is_on(e) || e->frame < from)
            continue;
        seen++;
        double steps = (double)(e->frame - origin) / step;
        int64_t expect = origin + (int64_t)ceil(floor(steps + 1e-9) * step - 1e-6);
        if (e->frame != expect && e->frame != origin + (int64_t)ceil(ceil(steps - 1e-9) * step - 1e-6))
            off_grid++;
    }
    CHECK(seen > 0, "%s: no notes", what);
    CHECK(off_grid == 0, "%s: %d of %d notes off the grid of %.1f frames", what, off_grid, seen, step);
}

static jam *make(const char *spec1, const char *spec2, const char *spec3, const char *global_key, const char *global_value)
{
    char why[NN_MESSAGE_SIZE];
    jam_setup s;
    jam_setup_init(&s);
    const char *specs[3] = {spec1, spec2, spec3};
    for (int k = 0; k < 3; k++)
        if (specs[k] && jam_setup_parse_slot(&s, specs[k], why) != NN_OK) {
            CHECK(0, "setup %s: %s", specs[k], why);
            return NULL;
        }
    if (global_key && jam_setup_set_global(&s, global_key, global_value, why) != NN_OK) {
        CHECK(0, "global %s: %s", global_key, why);
        return NULL;
    }
    jam *j = NULL;
    if (jam_new(&s, RATE, 4096, &j, why) != NN_OK) {
        CHECK(0, "jam_new: %s", why);
        return NULL;
    }
    return j;
}

static void stop(jam *j, capture *c)
{
    jam_command cmd = {.type = JAM_CMD_STOP};
    CHECK(jam_send(j, &cmd), "stop queued");
    run_options o = {.block = 256};
    run(j, c, 512, &o);
}

static void test_settings(void)
{
    snprintf(context, sizeof context, "settings");
    char why[NN_MESSAGE_SIZE];
    jam_setup s;
    jam_setup_init(&s);
    CHECK(jam_setup_parse_slot(&s, "drums,loop_bars=2,seed=3,cc.21=temperature,cc.2.22=mute", why) == NN_OK, "%s", why);
    CHECK(s.slot_count == 1 && s.slots[0].kind == JAM_DRUMS && s.slots[0].controls[JAM_CTL_LOOP_BARS] == 2 &&
              s.slots[0].controls[JAM_CTL_CHANNEL] == 10, "drums parsed");
    CHECK(s.cc_map_count == 2 && s.cc_maps[1].channel == 2 && s.cc_maps[1].cc == 22 && s.cc_maps[1].control == JAM_CTL_MUTE,
          "cc maps parsed");
    CHECK(jam_setup_parse_slot(&s, "melody,mode=answer,name=lead,temperature=0.8", why) == NN_OK, "%s", why);
    CHECK(!strcmp(s.slots[1].name, "lead") && s.slots[1].controls[JAM_CTL_MODE] == GEN_MODE_ANSWER, "melody parsed");
    CHECK(jam_setup_parse_slot(&s, "piano_genie,buttons=36", why) == NN_OK && s.slots[2].button_notes[7] == 43,
          "genie buttons from the first: %s", why);
    CHECK(jam_setup_parse_slot(&s, "drums", why) == NN_OK && !strcmp(s.slots[3].name, "drums2"), "unique names");

    /* Bad input: each refused with a message naming the thing. */
    struct { const char *spec, *names; } bad[] = {
        {"kazoo", "kazoo"},
        {"melody,temperature=nan", "temperature"},
        {"melody,temperature=99", "temperature"},
        {"melody,velocity=300", "velocity"},
        {"melody,seed=1.5", "seed"},
        {"drums,pitch_low=40", "pitch_low"},
        {"melody,wobble=3", "wobble"},
        {"melody,cc.200=temperature", "cc.200"},
        {"melody,cc.21=buttons", "buttons"},
        {"improv,progression=C Xq7 F", "Xq7"},
        {"melody,model=/no/such/file.nnm", "/no/such/file.nnm"},
        {"genie,buttons=60:61", "buttons"},
        {"melody,name=lead", "lead"},
        {"melody,temperature", "temperature"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int before = s.slot_count;
        why[0] = 0;
        CHECK(jam_setup_parse_slot(&s, bad[k].spec, why) != NN_OK, "%s accepted", bad[k].spec);
        CHECK(strstr(why, bad[k].names) != NULL, "%s: message \"%s\" does not name %s", bad[k].spec, why, bad[k].names);
        CHECK(s.slot_count == before, "%s: slot left behind", bad[k].spec);
    }
    CHECK(jam_setup_set_global(&s, "bpm", "1000", why) != NN_OK && strstr(why, "bpm"), "bpm 1000 refused: %s", why);
    CHECK(jam_setup_set_global(&s, "clock", "sundial", why) != NN_OK && strstr(why, "sundial"), "clock refused: %s", why);
    CHECK(jam_setup_set_global(&s, "tap_note", "36", why) == NN_OK && s.tap_note == 36, "tap note");

    /* A config file, and one with an error that names the file and the line. */
    char path[] = "/tmp/test_jam_config_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# a session\nbpm = 97\nclick = on\n\n[drums]\nloop_bars = 4\ncc.1.30 = temperature\n"
               "[lead]\nkind = melody\nmode = free ; comment\n[keys]\nkind = genie\nbuttons = 48:50:52:53:55:57:59:60\n");
    fclose(f);
    jam_setup_init(&s);
    CHECK(jam_setup_read_file(&s, path, why) == NN_OK, "config: %s", why);
    CHECK(s.bpm == 97 && s.click && s.slot_count == 3 && s.slots[0].controls[JAM_CTL_LOOP_BARS] == 4 &&
              !strcmp(s.slots[1].name, "lead") && s.slots[1].kind == JAM_MELODY && s.slots[2].button_notes[1] == 50 &&
              s.cc_map_count == 1,
          "config read");
    f = fopen(path, "w");
    fprintf(f, "bpm = 120\n[x]\nloop_bars = 2\n");
    fclose(f);
    jam_setup_init(&s);
    CHECK(jam_setup_read_file(&s, path, why) != NN_OK && strstr(why, path) && strstr(why, ":3:"),
          "config error names file and line: %s", why);
    unlink(path);
    CHECK(jam_setup_read_file(&s, "/no/such.conf", why) != NN_OK && strstr(why, "/no/such.conf"), "missing config: %s", why);

    /* A damaged model: jam_new names the slot and the file. */
    char bad_model[] = "/tmp/test_jam_model_XXXXXX";
    fd = mkstemp(bad_model);
    CHECK(write(fd, "NNMODEL garbage", 15) == 15, "write");
    close(fd);
    jam_setup_init(&s);
    char spec[128];
    snprintf(spec, sizeof spec, "drums,name=beat,model=%s", bad_model);
    CHECK(jam_setup_parse_slot(&s, spec, why) == NN_OK, "%s", why);
    jam *j = NULL;
    CHECK(jam_new(&s, RATE, 1024, &j, why) != NN_OK && !j && strstr(why, "beat") && strstr(why, bad_model),
          "damaged model refused: %s", why);
    unlink(bad_model);
}

/* Drums (2-bar loop) and melody free-running on the own clock at 120 bpm: grid, pairs, and the
 * same notes for callbacks of 64, 1024 and random sizes. */
static void test_own_clock(void)
{
    snprintf(context, sizeof context, "own clock");
    static capture runs[3];
    int blocks[3] = {64, 1024, 0};
    for (int r = 0; r < 3; r++) {
        capture *c = &runs[r];
        memset(c, 0, sizeof *c);
        jam *j = make("drums,loop_bars=2,seed=3", "melody,mode=free,seed=4", NULL, NULL, NULL);
        if (!j)
            return;
        run_options o = {.block = blocks[r], .seed = 99};
        run(j, c, (int64_t)(8 * RATE), &o);
        stop(j, c);
        CHECK(c->bad_frames == 0, "block %d: %d writes out of their callback or order", blocks[r], c->bad_frames);
        int drums = check_pairs(c, 0, "drums"), melody = check_pairs(c, 1, "melody");
        CHECK(drums > 8 && melody > 4, "block %d: notes drums %d melody %d", blocks[r], drums, melody);
        check_grid(c, 0, RATE * 60 / 120 / 4, 0, 0, "drums grid");
        check_grid(c, 1, RATE * 60 / 120 / 4, 0, 0, "melody grid");
        for (int k = 0; k < c->count; k++)
            if (c->events[k].slot == 0 && is_on(&c->events[k]))
                CHECK((c->events[k].bytes[0] & 15) == 9, "drums on channel 10");
        jam_status st;
        CHECK(jam_poll_status(j, &st), "a status came");
        CHECK(st.stopped && st.frames >= (uint64_t)(8 * RATE) && st.slots[0].notes == (uint64_t)drums, "status: stopped %d frames %llu",
              st.stopped, (unsigned long long)st.frames);
        for (int slot = 0; slot < 2; slot++)
            CHECK(st.slots[slot].cpu_percent >= 0 && st.slots[slot].cpu_percent < 100 && st.cpu_percent < 100,
                  "the stopped status's CPU is a share of its callbacks' periods: slot %d %g %%, all %g %%", slot,
                  st.slots[slot].cpu_percent, st.cpu_percent);
        jam_free(j);
    }
    for (int r = 1; r < 3; r++) {
        bool same = runs[r].count == runs[0].count;
        for (int k = 0; same && k < runs[0].count; k++)
            same = runs[r].events[k].frame == runs[0].events[k].frame && runs[r].events[k].slot == runs[0].events[k].slot &&
                   !memcmp(runs[r].events[k].bytes, runs[0].events[k].bytes, 3);
        /* Events of two slots in one callback come slot by slot: compare per slot. */
        if (!same) {
            same = true;
            for (int s = 0; s < 2 && same; s++) {
                int a = 0, b = 0;
                for (;;) {
                    while (a < runs[0].count && runs[0].events[a].slot != s)
                        a++;
                    while (b < runs[r].count && runs[r].events[b].slot != s)
                        b++;
                    if (a >= runs[0].count || b >= runs[r].count) {
                        same = same && a >= runs[0].count && b >= runs[r].count;
                        break;
                    }
                    same = runs[0].events[a].frame == runs[r].events[b].frame &&
                           !memcmp(runs[0].events[a].bytes, runs[r].events[b].bytes, 3);
                    if (!same)
                        break;
                    a++, b++;
                }
            }
        }
        CHECK(same, "blocks %d and %d play different notes", blocks[0], blocks[r]);
    }
}

/* --duration: the cores stop at its exact frame, every note ends there, then silence. */
static void test_duration(void)
{
    snprintf(context, sizeof context, "duration");
    static capture c;
    memset(&c, 0, sizeof c);
    jam *j = make("drums,seed=4", "melody,mode=free,seed=2", NULL, "duration", "2.5");
    if (!j)
        return;
    run_options o = {.block = 0, .seed = 3};
    run(j, &c, (int64_t)(4 * RATE), &o);
    int64_t end = (int64_t)(2.5 * RATE), last = -1;
    for (int k = 0; k < c.count; k++)
        if (c.events[k].frame > last)
            last = c.events[k].frame;
    CHECK(last <= end && last > end - (int64_t)RATE / 2, "the last event at frame %lld, want the half second up to %lld (--duration's end)",
          (long long)last, (long long)end);
    check_pairs(&c, 0, "drums");
    check_pairs(&c, 1, "melody");
    jam_status st;
    CHECK(jam_poll_status(j, &st) && st.stopped, "stopped after --duration");
    jam_free(j);
}

/* Mute, unmute, regenerate, transport stop/start, panic: pairs always hold; muted means silent. */
static void test_commands(void)
{
    snprintf(context, sizeof context, "commands");
    static capture c;
    memset(&c, 0, sizeof c);
    jam *j = make("drums,seed=5", "melody,mode=free,seed=6", NULL, NULL, NULL);
    if (!j)
        return;
    run_options o = {.block = 256};
    run(j, &c, (int64_t)(2 * RATE), &o);
    jam_command mute = {.type = JAM_CMD_MUTE, .slot = 0, .value = -1};
    CHECK(jam_send(j, &mute), "mute queued");
    int64_t muted_at = c.now;
    run(j, &c, (int64_t)(2 * RATE), &o);
    int64_t unmuted_at = c.now;
    int during = 0;
    for (int k = 0; k < c.count; k++)
        if (c.events[k].slot == 0 && is_on(&c.events[k]) && c.events[k].frame >= muted_at)
            during++;
    CHECK(during == 0, "%d drum notes while muted", during);
    jam_status st;
    CHECK(jam_poll_status(j, &st) && st.slots[0].muted && st.slots[0].controls[JAM_CTL_MUTE] == 1, "status shows muted");
    CHECK(jam_send(j, &mute), "unmute queued");
    jam_command regen = {.type = JAM_CMD_REGENERATE, .slot = 1};
    CHECK(jam_send(j, &regen), "regenerate queued");
    run(j, &c, (int64_t)(2 * RATE), &o);
    int after = 0;
    for (int k = 0; k < c.count; k++)
        if (c.events[k].slot == 0 && is_on(&c.events[k]) && c.events[k].frame >= unmuted_at)
            after++;
    CHECK(after > 0, "drums play again after unmute");
    jam_command stop_transport = {.type = JAM_CMD_TRANSPORT, .value = 0};
    CHECK(jam_send(j, &stop_transport), "transport stop queued");
    run(j, &c, 256, &o);
    int64_t stopped_at = c.now;
    run(j, &c, (int64_t)RATE, &o);
    int while_stopped = 0;
    for (int k = 0; k < c.count; k++)
        if (is_on(&c.events[k]) && c.events[k].frame >= stopped_at)
            while_stopped++;
    CHECK(while_stopped == 0, "%d notes while the own clock is stopped", while_stopped);
    jam_command start = {.type = JAM_CMD_TRANSPORT, .value = 1};
    jam_send(j, &start);
    run(j, &c, (int64_t)RATE, &o);
    jam_command panic = {.type = JAM_CMD_PANIC};
    jam_send(j, &panic);
    run(j, &c, (int64_t)RATE, &o);
    stop(j, &c);
    check_pairs(&c, 0, "drums");
    check_pairs(&c, 1, "melody");
    CHECK(c.bad_frames == 0, "%d writes out of order", c.bad_frames);
    jam_free(j);
}

/* MIDI learn and mapped CCs, on the control input and on a slot's input. */
static void test_learn(void)
{
    snprintf(context, sizeof context, "learn");
    static capture c;
    memset(&c, 0, sizeof c);
    jam *j = make("drums,cc.1.7=velocity", "melody,mode=free", NULL, NULL, NULL);
    if (!j)
        return;
    jam_command learn = {.type = JAM_CMD_LEARN, .slot = 1, .control = JAM_CTL_TEMPERATURE};
    jam_send(j, &learn);
    input in[] = {
        {1000, -1, {0xb0, 21, 127}}, /* learnt: CC 21 ch 1 → melody temperature (and taken) */
        {3000, -1, {0xb0, 21, 0}},   /* → 0.1 */
        {5000, 0, {0xb0, 7, 64}},    /* mapped from the setup, arriving on the drums' input */
        {7000, -1, {0xb2, 21, 127}}, /* another channel: not mapped */
    };
    run_options o = {.block = 512, .inputs = in, .input_count = 4};
    run(j, &c, 2048, &o);
    jam_notice n;
    bool learnt = false;
    while (jam_poll_notice(j, &n))
        if (n.type == JAM_NOTICE_LEARNT)
            learnt = n.slot == 1 && n.control == JAM_CTL_TEMPERATURE && n.cc == 21 && n.channel == 1;
    CHECK(learnt, "the learn notice names melody temperature, CC 21, channel 1");
    jam_status st;
    run(j, &c, 2048, &o);
    CHECK(jam_poll_status(j, &st) || 1, "status");
    run(j, &c, 4096, &o);
    while (jam_poll_status(j, &st))
        ;
    run(j, &c, 4096, &o);
    CHECK(jam_poll_status(j, &st), "status");
    CHECK(st.learn_slot == -1, "learning ended");
    CHECK(fabs(st.slots[1].controls[JAM_CTL_TEMPERATURE] - 0.1) < 1e-9, "CC 21 = 0 gives temperature 0.1, got %g",
          st.slots[1].controls[JAM_CTL_TEMPERATURE]);
    CHECK(st.slots[0].controls[JAM_CTL_VELOCITY] == round(1 + 126 * 64 / 127.0), "CC 7 = 64 sets the drums' velocity, got %g",
          st.slots[0].controls[JAM_CTL_VELOCITY]);
    stop(j, &c);
    jam_free(j);
}

/* Tap tempo on the own clock: taps every 0.4 s → 150 bpm, and the grid follows. */
static void test_tap(void)
{
    snprintf(context, sizeof context, "tap tempo");
    static capture c;
    memset(&c, 0, sizeof c);
    jam *j = make("drums,seed=8", NULL, NULL, "tap_note", "36");
    if (!j)
        return;
    input taps[4];
    for (int k = 0; k < 4; k++)
        taps[k] = (input){(int64_t)(RATE * (0.1 + 0.4 * k)), -1, {0x99, 36, 100}};
    run_options o = {.block = 128, .inputs = taps, .input_count = 4};
    run(j, &c, (int64_t)(2 * RATE), &o);
    jam_notice n;
    double tempo = 0;
    while (jam_poll_notice(j, &n))
        if (n.type == JAM_NOTICE_TEMPO)
            tempo = n.value;
    CHECK(fabs(tempo - 150) < 0.01, "tapped tempo %g, want 150", tempo);
    /* From the next bar the 16ths are 4800 frames apart. */
    int64_t from = c.now;
    run(j, &c, (int64_t)(6 * RATE), &o);
    stop(j, &c);
    int64_t prev = -1, spacing_bad = 0, seen = 0;
    for (int k = 0; k < c.count; k++) {
        if (!is_on(&c.events[k]) || c.events[k].frame < from + (int64_t)RATE * 2)
            continue;
        if (prev >= 0 && c.events[k].frame != prev) {
            double d = (double)(c.events[k].frame - prev) / 4800.0;
            if (fabs(d - round(d)) > 1.0 / 4800)
                spacing_bad++;
            seen++;
        }
        prev = c.events[k].frame;
    }
    CHECK(seen > 4 && spacing_bad == 0, "after the tap notes are 4800 frames apart (%lld of %lld not)", (long long)spacing_bad,
          (long long)seen);
    check_pairs(&c, 0, "drums");
    jam_free(j);
}

/* JACK's transport with BBT from a timebase master at 90 bpm: the grid follows it; the tap is
 * then ignored (the master owns the tempo). */
static void test_jack_transport(void)
{
    snprintf(context, sizeof context, "jack transport");
    static capture c;
    memset(&c, 0, sizeof c);
    jam *j = make("melody,mode=free,seed=9", NULL, NULL, "tap_note", "36");
    if (!j)
        return;
    jam_transport t = {.rolling = true, .bbt = true, .beats_per_bar = 4, .beat_unit = 4, .bpm = 90};
    int64_t frames = (int64_t)(6 * RATE);
    uint32_t block = 256;
    input taps[3];
    for (int k = 0; k < 3; k++)
        taps[k] = (input){(int64_t)(RATE * (0.5 + 0.5 * k)), -1, {0x90, 36, 100}};
    for (int64_t f = 0; f < frames; f += block) {
        double beats = (double)f / RATE * 90 / 60;
        t.bar = floor(beats / 4);
        t.bar_beat = beats - t.bar * 4;
        run_options o = {.block = (int)block, .transport = &t, .inputs = taps, .input_count = 3};
        run(j, &c, block, &o);
    }
    jam_status st;
    CHECK(jam_poll_status(j, &st) && st.jack_clock && fabs(st.bpm - 90) < 1e-9, "following JACK at 90 bpm");
    jam_notice n;
    bool ignored = false;
    while (jam_poll_notice(j, &n))
        ignored |= n.type == JAM_NOTICE_TAP_IGNORED;
    CHECK(ignored, "the tap is ignored under a timebase master");
    t.rolling = false;
    run_options o = {.block = 256, .transport = &t};
    run(j, &c, 512, &o);
    check_grid(&c, 0, RATE * 60 / 90 / 4, 0, 0, "grid at 90 bpm");
    check_pairs(&c, 0, "melody");
    jam_free(j);
}

/* Piano Genie: every press sounds at its own frame; its release ends it. Plus the recording of
 * a session (genie and drums) read back: the same notes at the same times. */
static void test_genie_and_recording(void)
{
    snprintf(context, sizeof context, "genie + recording");
    static capture c;
    memset(&c, 0, sizeof c);
    char path[] = "/tmp/test_jam_rec_XXXXXX.mid";
    int fd = mkstemps(path, 4);
    close(fd);
    jam_setup s;
    char why[NN_MESSAGE_SIZE];
    jam_setup_init(&s);
    CHECK(jam_setup_parse_slot(&s, "genie,channel=3,seed=2", why) == NN_OK, "%s", why);
    CHECK(jam_setup_parse_slot(&s, "drums,loop_bars=1,seed=7", why) == NN_OK, "%s", why);
    jam_setup_set_global(&s, "record", path, why);
    jam *j = NULL;
    if (jam_new(&s, RATE, 4096, &j, why) != NN_OK) {
        CHECK(0, "jam_new: %s", why);
        return;
    }
    input presses[40];
    for (int k = 0; k < 20; k++) {
        int64_t at = (int64_t)(RATE * 0.2 * (k + 1)) + 37 * k;
        presses[2 * k] = (input){at, 0, {0x90, (uint8_t)(60 + k % 8), 90}};
        presses[2 * k + 1] = (input){at + 3000, 0, {0x80, (uint8_t)(60 + k % 8), 0}};
    }
    run_options o = {.block = 0, .seed = 5, .inputs = presses, .input_count = 40};
    for (int k = 0; k < 6; k++) {
        run(j, &c, (int64_t)RATE, &o);
        jam_record_drain(j); /* as main.c does while running */
    }
    stop(j, &c);
    int genie_notes = check_pairs(&c, 0, "genie"), drum_notes = check_pairs(&c, 1, "drums");
    CHECK(genie_notes == 20, "20 presses → %d keys", genie_notes);
    int at_press = 0;
    for (int k = 0, p = 0; k < c.count; k++)
        if (c.events[k].slot == 0 && is_on(&c.events[k])) {
            at_press += c.events[k].frame == presses[2 * p].frame && (c.events[k].bytes[0] & 15) == 2;
            p++;
        }
    CHECK(at_press == 20, "%d of 20 keys at their press's frame on channel 3", at_press);

    CHECK(jam_record_write(j, path, why) == NN_OK, "write: %s", why);
    CHECK(jam_record_notes(j, 0, false) == genie_notes && jam_record_notes(j, 0, true) == 20 &&
              jam_record_notes(j, 1, false) == drum_notes,
          "recorded notes: genie %d/%d in %d, drums %d/%d", jam_record_notes(j, 0, false), genie_notes,
          jam_record_notes(j, 0, true), jam_record_notes(j, 1, false), drum_notes);
    music_seq seq;
    music_seq_init(&seq);
    char message[MUSIC_MESSAGE_SIZE];
    CHECK(music_midi_read_file(path, &seq, message) == MUSIC_OK, "read back: %s", message);
    CHECK(seq.notes.count == genie_notes + 20 + drum_notes, "%d notes read back, want %d", seq.notes.count,
          genie_notes + 20 + drum_notes);
    /* Every captured note-on of the drums is a recorded drum note starting within one tick. */
    double tick = 60.0 / 120 / 960;
    int matched = 0;
    for (int k = 0; k < c.count; k++) {
        if (c.events[k].slot != 1 || !is_on(&c.events[k]))
            continue;
        double t = (double)c.events[k].frame / RATE;
        for (int n = 0; n < seq.notes.count; n++)
            if (seq.notes.items[n].is_drum && seq.notes.items[n].pitch == c.events[k].bytes[1] &&
                fabs(seq.notes.items[n].start - t) <= tick) {
                matched++;
                break;
            }
    }
    CHECK(matched == drum_notes, "%d of %d drum notes found in the file", matched, drum_notes);
    music_seq_free(&seq);
    /* An unwritable place: the message names it, nothing is left behind. */
    CHECK(jam_record_write(j, "/no/such/folder/x.mid", why) != NN_OK && strstr(why, "/no/such/folder/x.mid"),
          "unwritable recording: %s", why);
    unlink(path);
    jam_free(j);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        setenv("NN_JAM_MODELS", argv[1], 1);
    char model[JAM_PATH_MAX];
    for (int k = 0; k < JAM_KINDS; k++)
        if (!jam_default_model((jam_kind)k, model, sizeof model)) {
            printf("SKIP: no starter model for %s (run from the source tree with presets/)\n", jam_kind_name((jam_kind)k));
            return 77;
        }
    test_settings();
    test_own_clock();
    test_duration();
    test_commands();
    test_learn();
    test_tap();
    test_jack_transport();
    test_genie_and_recording();
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
