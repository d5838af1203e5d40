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
#define PLUGIN_URI "http://magenta-lv2.org/plugins/piano_genie"

#include "lv2_test_host.h"

static uint32_t next_block(session *s)
{
    s->rng = s->rng * 6364136223846793005ull + 1442695040888963407ull;
    return 1 + (uint32_t)((s->rng >> 33) % 1024);
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

static bool same_keys(const session *a, const session *b)
{
    if (a->count != b->count)
        return false;
    for (int i = 0; i < a->count; i++)
        if (a->out[i].frame - a->out[0].frame != b->out[i].frame - b->out[0].frame || memcmp(a->out[i].m, b->out[i].m, 3))
            return false;
    return true;
}

static press script[600];

/* A preset sets the 8 buttons, and they play. */
static void play_preset(session *q, int ports_set, int errors_before)
{
    (void)errors_before;
    CHECK(ports_set == 8, "%d ports set, want the 8 buttons", ports_set);
    set_model(q, model);
    int notes[8];
    for (int b = 0; b < 8; b++)
        notes[b] = (int)lrintf(*lv2host_control(q->p, lv2host_port(q->p, b == 0 ? "button1_note" : b == 1 ? "button2_note" : b == 2 ? "button3_note" : b == 3 ? "button4_note" : b == 4 ? "button5_note" : b == 5 ? "button6_note" : b == 6 ? "button7_note" : "button8_note")));
    int n = make_script(script, 40, notes, 8, q->frame + 100);
    int want = 0;
    for (int i = 0; i < n; i++)
        want += script[i].velocity > 0;
    play(q, script, n, 1, 0);
    CHECK(note_ons(q, 0) == want, "%d presses on the preset's buttons, %d note-ons", want, note_ons(q, 0));
}

int main(void)
{
    lv2host_world *world = open_world("test_lv2_genie_host", "genie");
    char why[LV2HOST_MESSAGE_SIZE];
    const lv2host_model_shape *shape = lv2host_largest_model("piano_genie");
    CHECK(shape && lv2host_write_model(model, shape, 3, 0.3f, why) && lv2host_write_model(other, shape, 4, 0.3f, why),
          "writing the models: %s", why);
    static const int eight[8] = {60, 61, 62, 63, 64, 65, 66, 67};
    session *s = calloc(1, sizeof *s), *t = calloc(1, sizeof *t);

    snprintf(context, sizeof context, "no model");
    if (!session_open(s, world, 1))
        return check_summary("lv2 genie host");
    if (!has_bundled_model(s, "piano_genie.nnm")) {
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
    char last[LV2HOST_MESSAGE_SIZE];
    refuse_bad_files(s, last);
    CHECK(strstr(last, "basic_rnn.nnm") && strstr(last, "piano_genie"), "another plugin's model: \"%s\"", last);
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
    CHECK(lv2host_port_count(s->p) == 16, "the plugin has %u ports, not 16", lv2host_port_count(s->p));
    lv2host_set(s->p, "button3_note", 70);
    lv2host_set(s->p, "velocity_mode", 1);
    lv2host_set(s->p, "velocity", 55);
    int ports_set = 0;
    session *r = restored_copy(s, 5, other, &ports_set);
    if (r) {
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
    }
    session_free(r);

    /* Presets: each applies, and its buttons play. */
    unsigned loaded, presets = each_preset(world, play_preset, &loaded);
    CHECK(presets == 3, "%u presets", presets);

    session_free(s);
    session_free(t);
    return finish(world, "lv2 genie host");
}
