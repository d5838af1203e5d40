/* genie.c — Piano Genie's core: buttons to keys through the decoder, one model step per press
 * (see genie.h).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "genie.h"

#include "music.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_BYTES 4096
/* Note-offs waiting for room in the output. Each button sounds at most one key, so at most
 * GENIE_BUTTONS note-offs are due at any time unless the output stays full; a press is dropped
 * rather than let this overflow. */
#define PENDING_MAX 64

struct genie_model {
    nn_model *nn;
    nn_rnn *rnn;
    nn_sampler *sampler;
    float input[MUSIC_GENIE_DECODER_INPUT_SIZE];
    char path[PATH_BYTES + 1];
};

struct genie {
    double rate;
    genie_controls c;
    genie_model *model;
    int64_t now;        /* frames since genie_new */
    int64_t last_press; /* the frame of the sequence's previous press; -1: none yet */
    int last_key;       /* -1: the start token */
    int last_delta_bin;
    int held_key[GENIE_BUTTONS];     /* the key each button sounds, -1 none */
    int held_channel[GENIE_BUTTONS]; /* the channel its note-on went out on */
    uint8_t pending[PENDING_MAX][3];
    int pending_count;
    uint64_t presses, model_steps;
};

static nn_status fail(char *why, nn_status status, const char *format, ...)
{
    if (why) {
        va_list args;
        va_start(args, format);
        vsnprintf(why, NN_MESSAGE_SIZE, format, args);
        va_end(args);
    }
    return status;
}

/* ---- Models ------------------------------------------------------------------------------------ */

nn_status genie_model_load(const char *path, genie_model **out, char *why)
{
    if (out)
        *out = NULL;
    if (!out || !path)
        return fail(why, NN_ERR_ARGUMENT, "genie_model_load: bad arguments");
    genie_model *m = calloc(1, sizeof *m);
    if (!m)
        return fail(why, NN_ERR_MEMORY, "%s: out of memory", path);
    snprintf(m->path, sizeof m->path, "%s", path);
    nn_status st = nn_model_load(path, &m->nn, why);
    if (st != NN_OK)
        goto out;
    const char *encoding = nn_model_string(m->nn, "encoding", NULL);
    if (nn_model_kind(m->nn) != NN_KIND_EVENT_RNN || !encoding || strcmp(encoding, "piano_genie")) {
        const char *kind = nn_kind_name(nn_model_kind(m->nn));
        st = fail(why, NN_ERR_KIND, "%s: a %s model of configuration '%s', not a Piano Genie decoder (an event_rnn "
                  "with encoding 'piano_genie')", path, kind ? kind : "unknown", encoding ? encoding : "(none)");
        goto out;
    }
    st = nn_rnn_new(m->nn, &m->rnn, why);
    if (st != NN_OK)
        goto out;
    if (nn_rnn_input_size(m->rnn) != MUSIC_GENIE_DECODER_INPUT_SIZE || nn_rnn_classes(m->rnn) != GENIE_KEYS) {
        st = fail(why, NN_ERR_SHAPE, "%s: a Piano Genie decoder takes input %d and has %d classes (keys), but the "
                  "file's model has input %d and %d classes", path, MUSIC_GENIE_DECODER_INPUT_SIZE, GENIE_KEYS,
                  nn_rnn_input_size(m->rnn), nn_rnn_classes(m->rnn));
        goto out;
    }
    if (nn_sampler_new(GENIE_KEYS, 1, &m->sampler) != NN_OK) {
        st = fail(why, NN_ERR_MEMORY, "%s: out of memory", path);
        goto out;
    }
    *out = m;
    return NN_OK;
out:
    genie_model_free(m);
    return st;
}

void genie_model_free(genie_model *model)
{
    if (!model)
        return;
    nn_sampler_free(model->sampler);
    nn_rnn_free(model->rnn);
    nn_model_free(model->nn);
    free(model);
}

const char *genie_model_path(const genie_model *model)
{
    return model ? model->path : "";
}

/* ---- Settings ---------------------------------------------------------------------------------- */

genie_controls genie_controls_default(void)
{
    genie_controls c = {.temperature = 0.25f, .channel = 1, .seed = 1, .velocity_mode = 0, .velocity = 100};
    for (int b = 0; b < GENIE_BUTTONS; b++)
        c.button_notes[b] = 60 + b;
    return c;
}

static int clamp_int(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* ---- The instance ------------------------------------------------------------------------------ */

/* A new sequence: the start token, the first delta, the model's state at zero, the draws from
 * the seed. */
static void start_sequence(genie *g)
{
    g->last_key = -1;
    g->last_press = -1;
    if (g->model) {
        nn_rnn_reset(g->model->rnn);
        nn_sampler_seed(g->model->sampler, g->c.seed);
    }
}

nn_status genie_new(double sample_rate, genie **out, char *why)
{
    if (out)
        *out = NULL;
    if (!out || !(sample_rate >= 8000.0 && sample_rate <= 768000.0))
        return fail(why, NN_ERR_ARGUMENT, "genie_new: sample rate %g outside 8000 .. 768000", sample_rate);
    genie *g = calloc(1, sizeof *g);
    if (!g)
        return fail(why, NN_ERR_MEMORY, "genie_new: out of memory");
    g->rate = sample_rate;
    g->c = genie_controls_default();
    for (int b = 0; b < GENIE_BUTTONS; b++)
        g->held_key[b] = -1;
    g->last_delta_bin = -1;
    start_sequence(g);
    *out = g;
    return NN_OK;
}

void genie_free(genie *g)
{
    free(g);
}

void genie_set_controls(genie *g, const genie_controls *in)
{
    genie_controls d = genie_controls_default(), c = *in;
    c.temperature = isnan(c.temperature) ? d.temperature : c.temperature < 0.0f ? 0.0f : c.temperature > 2.0f ? 2.0f : c.temperature;
    for (int b = 0; b < GENIE_BUTTONS; b++)
        c.button_notes[b] = clamp_int(c.button_notes[b], 0, 127);
    c.channel = clamp_int(c.channel, 1, 16);
    c.seed = c.seed > 0xFFFFFFu ? 0xFFFFFFu : c.seed;
    c.velocity_mode = clamp_int(c.velocity_mode, 0, 1);
    c.velocity = clamp_int(c.velocity, 1, 127);
    bool reseed = c.seed != g->c.seed;
    g->c = c;
    if (reseed && g->model)
        nn_sampler_seed(g->model->sampler, c.seed);
}

void genie_get_controls(const genie *g, genie_controls *controls)
{
    *controls = g->c;
}

/* ---- Output ------------------------------------------------------------------------------------ */

/* Send the kept note-offs first, in order; false while some remain. */
static bool flush(genie *g, genie_emit_fn emit, void *user)
{
    int sent = 0;
    while (sent < g->pending_count && emit(user, 0, g->pending[sent], 3))
        sent++;
    if (sent) {
        memmove(g->pending, g->pending + sent, (size_t)(g->pending_count - sent) * sizeof g->pending[0]);
        g->pending_count -= sent;
    }
    return g->pending_count == 0;
}

/* End the key button b sounds: its note-off now, or kept for later when the output is full or
 * there is none (emit NULL). */
static void end_key(genie *g, int b, genie_emit_fn emit, void *user)
{
    if (g->held_key[b] < 0)
        return;
    uint8_t off[3] = {(uint8_t)(0x80 | (g->held_channel[b] - 1)), (uint8_t)(g->held_key[b] + GENIE_LOWEST_NOTE), 0};
    g->held_key[b] = -1;
    if (emit && g->pending_count == 0 && emit(user, 0, off, 3))
        return;
    if (g->pending_count < PENDING_MAX) /* always: presses stop before it could fill */
        memcpy(g->pending[g->pending_count++], off, 3);
}

static void end_all(genie *g, genie_emit_fn emit, void *user)
{
    for (int b = 0; b < GENIE_BUTTONS; b++)
        end_key(g, b, emit, user);
}

/* ---- Presses ------------------------------------------------------------------------------------ */

/* Decode a press of button b and play its key at the current frame. */
static void press(genie *g, int b, int velocity, genie_emit_fn emit, void *user)
{
    end_key(g, b, emit, user); /* a held button pressed again ends its previous key first */
    genie_model *m = g->model;
    if (!m || g->pending_count > PENDING_MAX - GENIE_BUTTONS - 1)
        return;
    double seconds = g->last_press < 0 ? MUSIC_GENIE_FIRST_DELTA_SECONDS : (double)(g->now - g->last_press) / g->rate;
    int bin = music_genie_delta_bin(seconds);
    if (music_genie_decoder_input(b, g->last_key, bin, m->input, MUSIC_GENIE_DECODER_INPUT_SIZE) != MUSIC_OK)
        return;
    const float *logits = nn_rnn_step(m->rnn, m->input);
    nn_sample_params params = {.temperature = g->c.temperature};
    int key = nn_sampler_draw(m->sampler, logits, GENIE_KEYS, &params);
    g->model_steps++;
    g->presses++;
    if (key < 0 || key >= GENIE_KEYS)
        key = 0; /* cannot happen for 88 classes; keeps the table sound */
    g->last_key = key;
    g->last_press = g->now;
    g->last_delta_bin = bin;

    /* A key another button holds on this channel is ended and struck again. */
    for (int o = 0; o < GENIE_BUTTONS; o++)
        if (g->held_key[o] == key && g->held_channel[o] == g->c.channel)
            end_key(g, o, emit, user);
    int v = g->c.velocity_mode == 1 ? g->c.velocity : clamp_int(velocity, 1, 127);
    uint8_t on[3] = {(uint8_t)(0x90 | (g->c.channel - 1)), (uint8_t)(key + GENIE_LOWEST_NOTE), (uint8_t)v};
    if (flush(g, emit, user) && emit(user, 0, on, 3)) { /* a note-on after its key's note-off */
        g->held_key[b] = key;
        g->held_channel[b] = g->c.channel;
    }
}

static int button_of(const genie *g, int note)
{
    for (int b = 0; b < GENIE_BUTTONS; b++)
        if (g->c.button_notes[b] == note)
            return b;
    return -1;
}

void genie_midi_in(genie *g, const uint8_t *message, uint32_t size, genie_emit_fn emit, void *user)
{
    flush(g, emit, user);
    if (size < 3)
        return;
    int type = message[0] & 0xF0;
    if (type == 0xB0 && (message[1] == 123 || message[1] == 120)) {
        end_all(g, emit, user);
        return;
    }
    if (type != 0x90 && type != 0x80)
        return;
    int b = button_of(g, message[1] & 0x7F);
    if (b < 0)
        return;
    if (type == 0x90 && message[2] > 0)
        press(g, b, message[2] & 0x7F, emit, user);
    else
        end_key(g, b, emit, user);
}

void genie_run(genie *g, uint32_t frames, genie_emit_fn emit, void *user)
{
    flush(g, emit, user);
    g->now += frames;
}

void genie_panic(genie *g, genie_emit_fn emit, void *user)
{
    flush(g, emit, user);
    end_all(g, emit, user);
    start_sequence(g);
}

genie_model *genie_swap_model(genie *g, genie_model *model)
{
    genie_model *old = g->model;
    end_all(g, NULL, NULL);
    g->model = model;
    start_sequence(g);
    return old;
}

void genie_get_status(const genie *g, genie_status_info *info)
{
    *info = (genie_status_info){.presses = g->presses, .model_steps = g->model_steps, .last_key = g->last_key,
                                .last_delta_bin = g->last_delta_bin};
    for (int b = 0; b < GENIE_BUTTONS; b++)
        info->sounding += g->held_key[b] >= 0;
}
