/* test_genie_core.c — Piano Genie's core (plugins/piano_genie/genie.h) with a random-weight decoder
 * of Piano Genie's shape written here (input 123 -> input projection 128 -> 2 x LSTM 128 -> 88) and,
 * when ../shared/data/piano-genie-jazz and `nn-train import` are there, with the real checkpoint
 * imported into a scratch folder (never kept).
 *
 * Checks: models of another configuration or shape are refused naming the file; every press of a
 * button gives one note-on at that call (frame 0 of genie_midi_in) of a key 21 .. 108 on the
 * output channel with the press's (or the fixed) velocity; the decoder's input is
 * (button, last key, delta bin) with the start token and the first delta at a sequence's start
 * and the delta from frames / rate after (the keys at temperature 0 equal the argmax of an own
 * runner fed music_genie_decoder_input); the same seed and presses at the same frames give the
 * same keys whatever the block sizes, another seed other keys; every release ends the key its
 * button started, a held button pressed again ends its key first, a key struck by two buttons is
 * ended before it is struck again (never a note-on of a sounding note, never a stray note-off);
 * a swap, a panic and all-notes-off end every key; a full output keeps the note-offs for later;
 * no model, no notes.
 *
 * Usage: test_genie_core [NN-TRAIN PIANO-GENIE-DIR]
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "../tool_test.h"

#include "../check.h"

#include "genie.h"
#include "music.h"
#include "nn.h"

#include <math.h>
#include <stdbool.h>

#define RATE 48000.0
#define MAX_EVENTS 4096

/* ---- Models ------------------------------------------------------------------------------------ */

static uint64_t weight_state = 12345;

static float random_weight(float scale)
{
    weight_state = weight_state * 6364136223846793005ull + 1442695040888963407ull;
    return scale * ((float)(weight_state >> 40) / 8388608.0f - 1.0f);
}

static void add_random(nn_writer *w, const char *name, int rows, int cols, float scale)
{
    size_t n = (size_t)rows * (size_t)(cols ? cols : 1);
    float *data = malloc(n * sizeof *data);
    for (size_t i = 0; i < n; i++)
        data[i] = random_weight(scale);
    int dims[2] = {rows, cols};
    CHECK(nn_writer_add(w, name, cols ? NN_F32 : NN_F32, cols ? 2 : 1, dims, data) == NN_OK, "adding %s", name);
    free(data);
}

/* A decoder of Piano Genie's shape with random weights: `projection` 0 feeds the input straight
 * to the first LSTM (also a valid decoder for the core). */
static bool write_decoder(const char *path, const char *encoding, int input, int projection, int units, int classes)
{
    nn_writer *w = NULL;
    if (nn_writer_new(NN_KIND_EVENT_RNN, &w) != NN_OK)
        return false;
    nn_writer_set_int(w, "input_size", input);
    nn_writer_set_int(w, "num_classes", classes);
    nn_writer_set_int(w, "num_layers", 2);
    nn_writer_set_float(w, "forget_bias", 1.0);
    nn_writer_set_string(w, "encoding", encoding);
    int in = input;
    if (projection) {
        add_random(w, "input/kernel", input, projection, 0.3f);
        add_random(w, "input/bias", projection, 0, 0.1f);
        in = projection;
    }
    add_random(w, "rnn/cell_0/kernel", in + units, 4 * units, 0.3f);
    add_random(w, "rnn/cell_0/bias", 4 * units, 0, 0.1f);
    add_random(w, "rnn/cell_1/kernel", 2 * units, 4 * units, 0.3f);
    add_random(w, "rnn/cell_1/bias", 4 * units, 0, 0.1f);
    add_random(w, "output/kernel", units, classes, 1.0f);
    add_random(w, "output/bias", classes, 0, 0.5f);
    char why[NN_MESSAGE_SIZE] = "";
    nn_status st = nn_writer_save(w, path, why);
    nn_writer_free(w);
    CHECK(st == NN_OK, "writing %s: %s", path, why);
    return st == NN_OK;
}

/* ---- Driving the core --------------------------------------------------------------------------- */

typedef struct event {
    int64_t frame;
    uint8_t m[3];
} event;

typedef struct output {
    event events[MAX_EVENTS];
    int count;
    int64_t base; /* the absolute frame where the current core call starts */
    int refuse;   /* refuse this many emits (a full output) */
    int sounding[16][128];
    int double_ons, stray_offs;
} output;

static bool emit(void *user, uint32_t frame, const uint8_t *m, uint32_t size)
{
    output *o = user;
    if (o->refuse > 0) {
        o->refuse--;
        return false;
    }
    CHECK(size == 3, "a message of %u bytes", size);
    if (o->count < MAX_EVENTS) {
        o->events[o->count].frame = o->base + frame;
        memcpy(o->events[o->count].m, m, 3);
        o->count++;
    }
    int channel = m[0] & 15, note = m[1] & 127;
    if ((m[0] & 0xF0) == 0x90 && m[2] > 0) {
        o->double_ons += o->sounding[channel][note] > 0;
        o->sounding[channel][note]++;
    } else if ((m[0] & 0xF0) == 0x80 || (m[0] & 0xF0) == 0x90) {
        o->stray_offs += o->sounding[channel][note] == 0;
        if (o->sounding[channel][note] > 0)
            o->sounding[channel][note]--;
    }
    return true;
}

static int sounding(const output *o)
{
    int n = 0;
    for (int c = 0; c < 16; c++)
        for (int p = 0; p < 128; p++)
            n += o->sounding[c][p];
    return n;
}

/* A performer: the core, its clock in absolute frames and the output. */
typedef struct player {
    genie *g;
    int64_t now;
    output out;
} player;

static player *player_new(genie_model *model, const genie_controls *c)
{
    player *p = calloc(1, sizeof *p);
    char why[NN_MESSAGE_SIZE];
    CHECK(genie_new(RATE, &p->g, why) == NN_OK, "genie_new: %s", why);
    genie_set_controls(p->g, c);
    genie_swap_model(p->g, model);
    return p;
}

static void player_free(player *p, bool free_model)
{
    genie_model *m = genie_swap_model(p->g, NULL);
    if (free_model)
        genie_model_free(m);
    genie_free(p->g);
    free(p);
}

/* Run the clock to absolute frame `to` in blocks of at most `block` frames. */
static void run_to(player *p, int64_t to, uint32_t block)
{
    while (p->now < to) {
        uint32_t n = to - p->now < block ? (uint32_t)(to - p->now) : block;
        p->out.base = p->now;
        genie_run(p->g, n, emit, &p->out);
        p->now += n;
    }
}

static void midi(player *p, uint8_t status, uint8_t note, uint8_t velocity)
{
    uint8_t m[3] = {status, note, velocity};
    p->out.base = p->now;
    genie_midi_in(p->g, m, 3, emit, &p->out);
}

/* The last note-on emitted, or -1. */
static int last_on(const output *o, int from)
{
    for (int i = o->count - 1; i >= from; i--)
        if ((o->events[i].m[0] & 0xF0) == 0x90 && o->events[i].m[2] > 0)
            return i;
    return -1;
}

/* ---- Tests -------------------------------------------------------------------------------------- */

static genie_model *load(const char *path)
{
    genie_model *m = NULL;
    char why[NN_MESSAGE_SIZE] = "";
    CHECK(genie_model_load(path, &m, why) == NN_OK, "genie_model_load(%s): %s", path, why);
    return m;
}

static void test_refusals(void)
{
    snprintf(context, sizeof context, "refusals");
    char path[256], why[NN_MESSAGE_SIZE];
    genie_model *m = NULL;
    snprintf(path, sizeof path, "%s/melody.nnm", scratch);
    write_decoder(path, "basic_rnn", 123, 32, 32, 88);
    CHECK(genie_model_load(path, &m, why) != NN_OK && !m && strstr(why, path) && strstr(why, "piano_genie"),
          "another configuration: %s", why);
    snprintf(path, sizeof path, "%s/wide.nnm", scratch);
    write_decoder(path, "piano_genie", 123, 0, 32, 89);
    CHECK(genie_model_load(path, &m, why) != NN_OK && !m && strstr(why, path) && strstr(why, "89"),
          "89 classes: %s", why);
    snprintf(path, sizeof path, "%s/narrow.nnm", scratch);
    write_decoder(path, "piano_genie", 120, 0, 32, 88);
    CHECK(genie_model_load(path, &m, why) != NN_OK && !m && strstr(why, "120"), "input 120: %s", why);
    snprintf(path, sizeof path, "%s/none.nnm", scratch);
    CHECK(genie_model_load(path, &m, why) != NN_OK && !m && strstr(why, path), "a missing file: %s", why);
    genie_model_free(NULL);
}

/* The keys at temperature 0 against an own runner fed the decoder's input: the start token and
 * the first delta at the start, then the delta bins from the press frames. */
static void test_decoder_inputs(const char *path, const char *what)
{
    snprintf(context, sizeof context, "%s: decoder inputs", what);
    genie_model *model = load(path);
    nn_model *nn = NULL;
    nn_rnn *rnn = NULL;
    char why[NN_MESSAGE_SIZE];
    CHECK(nn_model_load(path, &nn, why) == NN_OK && nn_rnn_new(nn, &rnn, why) == NN_OK, "own runner: %s", why);
    if (!model || !rnn) {
        genie_model_free(model);
        nn_rnn_free(rnn);
        nn_model_free(nn);
        return;
    }
    genie_controls c = genie_controls_default();
    c.temperature = 0.0f;
    player *p = player_new(model, &c);
    genie_status_info info;
    genie_get_status(p->g, &info);
    CHECK(info.last_key == -1, "before the first press the last key is %d, not the start token", info.last_key);
    /* Gaps in frames: the first press is the sequence's first (delta 100000 s -> bin 32). */
    static const int64_t gaps[] = {1000, 4800, 1, 24000, 96000, 12000, 0, 2400, 48000, 700, 1500, 30000};
    static const int buttons[] = {0, 7, 3, 3, 5, 1, 2, 6, 4, 0, 7, 2};
    float input[MUSIC_GENIE_DECODER_INPUT_SIZE];
    int last_key = -1, agree = 0, n = (int)(sizeof gaps / sizeof *gaps);
    int64_t last_press = -1;
    for (int i = 0; i < n; i++) {
        run_to(p, p->now + gaps[i], 512);
        int from = p->out.count;
        midi(p, 0x90, (uint8_t)(60 + buttons[i]), 90);
        int on = last_on(&p->out, from);
        CHECK(on >= 0, "press %d gave no note-on", i);
        if (on < 0)
            break;
        int key = p->out.events[on].m[1] - 21;
        double seconds = last_press < 0 ? MUSIC_GENIE_FIRST_DELTA_SECONDS : (double)(p->now - last_press) / RATE;
        int bin = music_genie_delta_bin(seconds);
        genie_get_status(p->g, &info);
        CHECK(info.last_delta_bin == bin, "press %d after %lld frames: delta bin %d, want %d", i, (long long)gaps[i],
              info.last_delta_bin, bin);
        music_genie_decoder_input(buttons[i], last_key, bin, input, MUSIC_GENIE_DECODER_INPUT_SIZE);
        int want = nn_argmax(nn_rnn_step(rnn, input), GENIE_KEYS);
        agree += key == want;
        CHECK(key == want, "press %d (button %d, last key %d, bin %d): key %d, the decoder's argmax %d", i, buttons[i],
              last_key, bin, key, want);
        CHECK(p->out.events[on].frame == p->now, "press %d: note-on at frame %lld, pressed at %lld", i,
              (long long)p->out.events[on].frame, (long long)p->now);
        last_key = key;
        last_press = p->now;
        midi(p, 0x80, (uint8_t)(60 + buttons[i]), 0);
    }
    printf("%s: %d of %d keys at temperature 0 equal the decoder's argmax with the same inputs\n", what, agree, n);

    /* A panic starts a new sequence: the start token and the first delta again. */
    genie_panic(p->g, emit, &p->out);
    nn_rnn_reset(rnn);
    run_to(p, p->now + 100, 64);
    int from = p->out.count;
    midi(p, 0x90, 63, 90);
    int on = last_on(&p->out, from);
    music_genie_decoder_input(3, -1, MUSIC_GENIE_MAX_DELTA_BIN, input, MUSIC_GENIE_DECODER_INPUT_SIZE);
    int want = nn_argmax(nn_rnn_step(rnn, input), GENIE_KEYS);
    CHECK(on >= 0 && p->out.events[on].m[1] - 21 == want, "after a panic: key %d, want the start token's %d",
          on >= 0 ? p->out.events[on].m[1] - 21 : -1, want);
    midi(p, 0x80, 63, 0);
    CHECK(sounding(&p->out) == 0, "%d notes sound after every release", sounding(&p->out));
    player_free(p, true);
    nn_rnn_free(rnn);
    nn_model_free(nn);
}

/* A scripted performance: presses and releases at frames (button, frame, on). */
typedef struct action {
    int64_t frame;
    int button;
    bool on;
    int velocity;
} action;

static int make_script(action *a, int capacity, uint64_t seed)
{
    uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
    bool held[GENIE_BUTTONS] = {0};
    int64_t t = 0;
    int n = 0;
    while (n < capacity - GENIE_BUTTONS) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        t += (int64_t)((s >> 33) % 9000);
        int b = (int)((s >> 20) % GENIE_BUTTONS);
        /* Mostly a press of a free button or a release of a held one; now and then a held
         * button pressed again. */
        bool on = !held[b] || ((s >> 10) % 5 == 0);
        a[n++] = (action){t, b, on, 20 + (int)((s >> 40) % 100)};
        held[b] = on;
    }
    for (int b = 0; b < GENIE_BUTTONS; b++)
        if (held[b])
            a[n++] = (action){t + 100, b, false, 0};
    return n;
}

static void play(player *p, const action *script, int n, uint32_t block)
{
    for (int i = 0; i < n; i++) {
        run_to(p, script[i].frame, block);
        midi(p, script[i].on ? 0x90 : 0x80, (uint8_t)(60 + script[i].button), (uint8_t)(script[i].on ? script[i].velocity : 0));
    }
    run_to(p, p->now + 1000, block);
}

static bool same_output(const output *a, const output *b)
{
    if (a->count != b->count)
        return false;
    for (int i = 0; i < a->count; i++)
        if (a->events[i].frame != b->events[i].frame || memcmp(a->events[i].m, b->events[i].m, 3))
            return false;
    return true;
}

static void test_performance(const char *path, const char *what)
{
    static action script[400];
    int n = make_script(script, 400, 7);
    int presses = 0;
    for (int i = 0; i < n; i++)
        presses += script[i].on;
    genie_controls c = genie_controls_default();
    c.temperature = 1.0f;
    c.seed = 4321;
    c.channel = 3;

    snprintf(context, sizeof context, "%s: presses and releases", what);
    player *a = player_new(load(path), &c);
    play(a, script, n, 256);
    int ons = 0, keys_ok = 0, velocity_ok = 0;
    for (int i = 0, s = 0; i < a->out.count; i++) {
        const uint8_t *m = a->out.events[i].m;
        if ((m[0] & 0xF0) != 0x90 || !m[2])
            continue;
        ons++;
        keys_ok += m[1] >= 21 && m[1] <= 108 && (m[0] & 15) == 2;
        while (s < n && !(script[s].on && script[s].frame == a->out.events[i].frame))
            s++;
        velocity_ok += s < n && m[2] == script[s].velocity;
        if (s < n)
            s++;
    }
    genie_status_info info;
    genie_get_status(a->g, &info);
    CHECK(ons == presses && (int)info.presses == presses, "%d presses, %d note-ons, %llu decoded", presses, ons,
          (unsigned long long)info.presses);
    CHECK(keys_ok == ons, "%d of %d note-ons are keys 21 .. 108 on channel 3", keys_ok, ons);
    CHECK(velocity_ok == ons, "%d of %d note-ons at their press's frame with its velocity", velocity_ok, ons);
    CHECK(a->out.double_ons == 0 && a->out.stray_offs == 0, "%d note-ons of sounding notes, %d stray note-offs",
          a->out.double_ons, a->out.stray_offs);
    CHECK(sounding(&a->out) == 0 && info.sounding == 0, "%d notes sound after every button is released",
          sounding(&a->out));
    int distinct = 0;
    bool seen[128] = {0};
    for (int i = 0; i < a->out.count; i++)
        if ((a->out.events[i].m[0] & 0xF0) == 0x90 && !seen[a->out.events[i].m[1]])
            seen[a->out.events[i].m[1]] = true, distinct++;
    printf("%s: %d presses -> %d note-ons over %d distinct keys, %d events\n", what, presses, ons, distinct,
           a->out.count);

    snprintf(context, sizeof context, "%s: same seed, other blocks", what);
    player *b = player_new(load(path), &c);
    play(b, script, n, 37);
    CHECK(same_output(&a->out, &b->out), "blocks of 37 frames give other events than blocks of 256 (%d, %d events)",
          a->out.count, b->out.count);

    snprintf(context, sizeof context, "%s: another seed", what);
    genie_controls other = c;
    other.seed = 99;
    player *d = player_new(load(path), &other);
    play(d, script, n, 256);
    CHECK(!same_output(&a->out, &d->out), "seed 99 gives the same keys as seed 4321");

    snprintf(context, sizeof context, "%s: fixed velocity", what);
    genie_controls fixed = c;
    fixed.velocity_mode = 1;
    fixed.velocity = 33;
    player *e = player_new(load(path), &fixed);
    play(e, script, n / 4, 128);
    int wrong = 0;
    for (int i = 0; i < e->out.count; i++)
        wrong += (e->out.events[i].m[0] & 0xF0) == 0x90 && e->out.events[i].m[2] != 33;
    CHECK(wrong == 0 && e->out.count > 0, "%d note-ons not at the fixed velocity 33", wrong);
    player_free(a, true);
    player_free(b, true);
    player_free(d, true);
    player_free(e, true);
}

/* Swaps, panics, all-notes-off and a full output end every key, once. */
static void test_endings(const char *path)
{
    snprintf(context, sizeof context, "endings");
    genie_controls c = genie_controls_default();
    c.temperature = 1.0f;
    player *p = player_new(load(path), &c);
    for (int b = 0; b < GENIE_BUTTONS; b++)
        midi(p, 0x90, (uint8_t)(60 + b), 100);
    int held = sounding(&p->out);
    CHECK(held >= 1, "eight presses sound %d keys", held);
    genie_model *old = genie_swap_model(p->g, load(path));
    genie_model_free(old);
    run_to(p, p->now + 64, 64);
    CHECK(sounding(&p->out) == 0, "%d keys sound after a model swap", sounding(&p->out));
    for (int b = 0; b < GENIE_BUTTONS; b++)
        midi(p, 0x80, (uint8_t)(60 + b), 0); /* releases after the swap end nothing more */
    CHECK(p->out.stray_offs == 0, "%d stray note-offs after releases that followed a swap", p->out.stray_offs);

    for (int b = 0; b < 4; b++)
        midi(p, 0x90, (uint8_t)(60 + b), 100);
    midi(p, 0xB5, 123, 0);
    CHECK(sounding(&p->out) == 0, "%d keys sound after all notes off", sounding(&p->out));
    for (int b = 0; b < 4; b++)
        midi(p, 0x90, (uint8_t)(60 + b), 100);
    /* The output is full for the panic's note-offs: they come at the next call. */
    p->out.refuse = 1000;
    genie_panic(p->g, emit, &p->out);
    p->out.refuse = 0;
    CHECK(sounding(&p->out) > 0, "the note-offs went out though the output was full");
    run_to(p, p->now + 10, 10);
    CHECK(sounding(&p->out) == 0, "%d keys sound after the panic's note-offs had room", sounding(&p->out));
    /* A press while the output is full plays nothing, and its release ends nothing. */
    p->out.refuse = 1;
    midi(p, 0x90, 60, 100);
    midi(p, 0x80, 60, 0);
    CHECK(p->out.stray_offs == 0 && p->out.double_ons == 0, "%d stray note-offs, %d double note-ons",
          p->out.stray_offs, p->out.double_ons);

    /* Other notes and messages are not buttons. */
    int before = p->out.count;
    midi(p, 0x90, 59, 100);
    midi(p, 0x90, 68, 100);
    midi(p, 0xE0, 0, 64);
    CHECK(p->out.count == before, "notes outside the buttons played %d events", p->out.count - before);
    player_free(p, true);

    snprintf(context, sizeof context, "no model");
    player *q = player_new(NULL, &c);
    midi(q, 0x90, 60, 100);
    run_to(q, 1000, 100);
    midi(q, 0x80, 60, 0);
    CHECK(q->out.count == 0, "%d events without a model", q->out.count);
    player_free(q, false);

    snprintf(context, sizeof context, "controls");
    genie *g = NULL;
    char why[NN_MESSAGE_SIZE];
    CHECK(genie_new(1000.0, &g, why) != NN_OK && !g, "a rate of 1000 Hz was accepted");
    genie_new(RATE, &g, why);
    genie_controls wild = {.temperature = NAN, .channel = 40, .seed = 0xFFFFFFFFu, .velocity_mode = 7, .velocity = 0};
    for (int b = 0; b < GENIE_BUTTONS; b++)
        wild.button_notes[b] = 300;
    genie_set_controls(g, &wild);
    genie_controls got;
    genie_get_controls(g, &got);
    CHECK(got.temperature == 0.25f && got.channel == 16 && got.seed == 0xFFFFFFu && got.velocity_mode == 1 &&
              got.velocity == 1 && got.button_notes[0] == 127,
          "clamped: temperature %g channel %d seed %u mode %d velocity %d note %d", got.temperature, got.channel,
          got.seed, got.velocity_mode, got.velocity, got.button_notes[0]);
    genie_free(g);
}

/* The real checkpoint, imported into the scratch folder. */
static void test_checkpoint(const char *nn_train, const char *dir)
{
    char manifest[1024], out[256], err[256];
    snprintf(manifest, sizeof manifest, "%s/weights_manifest.json", dir);
    if (access(manifest, R_OK) != 0) {
        printf("checkpoint: %s not there; the real decoder's checks skipped\n", dir);
        return;
    }
    if (access(nn_train, X_OK) != 0) {
        printf("checkpoint: no nn-train at %s; the real decoder's checks skipped\n", nn_train);
        return;
    }
    snprintf(out, sizeof out, "%s/piano_genie_jazz.nnm", scratch);
    snprintf(err, sizeof err, "%s/import.txt", scratch);
    const char *args[] = {"import", dir, "--out", out, NULL};
    int status = run_tool(nn_train, args, NULL, err);
    char *text = read_text(err);
    if (status != 0 && text && strstr(text, "usage")) {
        printf("checkpoint: this nn-train has no import yet; the real decoder's checks skipped\n");
        free(text);
        return;
    }
    snprintf(context, sizeof context, "checkpoint");
    CHECK(status == 0, "nn-train import %s failed (%d): %s", dir, status, text ? text : "");
    free(text);
    if (status != 0)
        return;
    test_decoder_inputs(out, "the jazz checkpoint");
    test_performance(out, "the jazz checkpoint");
    unlink(out);
    unlink(err);
}

int main(int argc, char **argv)
{
    make_scratch("test_genie_core");
    char path[256], plain[256];
    snprintf(path, sizeof path, "%s/genie.nnm", scratch);
    snprintf(plain, sizeof plain, "%s/genie-plain.nnm", scratch);
    bool projected = write_decoder(path, "piano_genie", MUSIC_GENIE_DECODER_INPUT_SIZE, 128, 128, GENIE_KEYS);
    write_decoder(plain, "piano_genie", MUSIC_GENIE_DECODER_INPUT_SIZE, 0, 64, GENIE_KEYS);
    test_refusals();
    if (projected) {
        test_decoder_inputs(path, "random 123 -> 128 -> 2 x 128 -> 88");
        test_performance(path, "random 123 -> 128 -> 2 x 128 -> 88");
        test_endings(path);
    }
    test_decoder_inputs(plain, "random 123 -> 2 x 64 -> 88 (no projection)");
    if (argc == 3)
        test_checkpoint(argv[1], argv[2]);
    if (!failures)
        remove_tree(scratch);
    else
        printf("scratch files kept in %s\n", scratch);
    return check_summary("genie core");
}
