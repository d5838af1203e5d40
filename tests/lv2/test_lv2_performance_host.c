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
#define PLUGIN_URI "http://magenta-lv2.org/plugins/performance_rnn"

#include "lv2_test_host.h"

#define STARTER "performance_with_dynamics.nnm"
#define BPM 120.0
#define STEP_FRAMES 480 /* 10 ms at 48 kHz */
#define START_BEAT 0.25 /* the transport starts here: 6000 frames after position 0 at 120 bpm */

static uint32_t next_block(session *s)
{
    s->rng = s->rng * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t r = (uint32_t)(s->rng >> 33);
    return r % 9 == 0 ? 4096 : 1 + r % 1024; /* 1 .. 1024, and now and then the host's maximum */
}

/* Run `frames` in blocks of varying length. */
static void run_for(session *s, int64_t frames)
{
    for (int64_t end = s->frame + frames; s->frame < end;) {
        uint32_t n = next_block(s);
        run(s, n < end - s->frame ? n : (uint32_t)(end - s->frame));
    }
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
    s->step_frames = STEP_FRAMES;
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

static float port(session *s, const char *symbol)
{
    int i = lv2host_port(s->p, symbol);
    return i >= 0 ? *lv2host_control(s->p, i) : NAN;
}

/* A preset applies without an error, and in free run the plugin plays with it. */
static void play_preset(session *q, int ports_set, int errors_before)
{
    run(q, 64);
    CHECK(ports_set >= 1 && lv2host_log_errors(q->p) == errors_before, "%d ports set, %d errors", ports_set,
          lv2host_log_errors(q->p) - errors_before);
    set_model(q, model);
    q->expect_channel = (int)port(q, "channel");
    if (port(q, "mode") == 2) /* free run plays on its own; the other modes wait for input */
        CHECK(play(q, 3.0, "preset") > 0, "no note in 3 s of free run");
}

int main(void)
{
    lv2host_world *world = open_world("test_lv2_performance_host", "performance");
    char why[LV2HOST_MESSAGE_SIZE];
    /* performance_with_dynamics' encoding (388 events in and out) on two small layers: the file
     * checks and the plugin's timing are the same as for 3 x 512, the test much quicker. */
    const lv2host_model_shape small = {"performance_with_dynamics", 388, 388, 2, {64, 64}, 0, 0};
    CHECK(lv2host_write_model(model, &small, 3, 0.3f, why) && lv2host_write_model(other, &small, 4, 0.3f, why),
          "writing the models: %s", why);
    session *s = calloc(1, sizeof *s);

    snprintf(context, sizeof context, "the bundle's starter");
    if (!session_open(s, world, 1))
        return check_summary("lv2 performance host");
    bool has_starter = has_bundled_model(s, STARTER);
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
    char last[LV2HOST_MESSAGE_SIZE];
    int errors = refuse_bad_files(s, last);
    CHECK(lv2host_log_errors(s->p) == errors + 2 && strstr(last, "basic_rnn.nnm"), "another plugin's model: \"%s\"", last);
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
    CHECK(lv2host_port_count(s->p) == 27, "the plugin has %u ports, not 27", lv2host_port_count(s->p));
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
    int ports_set = 0;
    session *r = restored_copy(s, 5, other, &ports_set);
    if (r) {
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
    }
    session_free(r);

    /* Presets: each applies, and the plugin plays with it. */
    unsigned loaded, presets = each_preset(world, play_preset, &loaded);
    CHECK(presets >= 3 && loaded == presets, "%u presets, %u loaded by lilv_state_new_from_world", presets, loaded);

    session_free(s);
    return finish(world, "lv2 performance host");
}
