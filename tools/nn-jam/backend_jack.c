/* backend_jack.c — nn-jam as a JACK client: per model a MIDI input <name>_in and output
 * <name>_out, a control_in for the tap note and CCs, a click output with --click; the
 * transport read every cycle. The process callback only copies events and calls jam_process.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Built with -DJAM_RTSAN (tests/rt: nn-jam-rtsan) the callback is a RealtimeSanitizer real-time
 * context, so a test under jackd proves the callback keeps the contract as it really runs.
 */
#define _GNU_SOURCE
#include "backend.h"
#include "ring.h"

#include <jack/jack.h>
#include <jack/midiport.h>
#include <jack/transport.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MESSAGE_SIZE = 256 };

typedef struct jack_backend {
    jam_backend base;
    jack_client_t *client;
    jam *j;
    int slots;
    bool click;
    jack_port_t *in[JAM_MAX_SLOTS], *out[JAM_MAX_SLOTS], *control, *click_port;
    void *out_buffer[JAM_MAX_SLOTS];
    jam_midi events[JAM_MAX_SLOTS][JAM_MAX_EVENTS];
    jam_midi control_events[JAM_MAX_EVENTS];
    atomic_bool running, gone;
    char gone_why[MESSAGE_SIZE];
    dsp_ring *messages; /* the notification thread's news for main.c: fixed-size texts */
    char control_in[256];
} jack_backend;

static bool write_midi(void *user, int slot, uint32_t frame, const uint8_t *bytes, uint32_t size)
{
    jack_backend *b = user;
    return jack_midi_event_write(b->out_buffer[slot], frame, bytes, size) == 0;
}

/* Copy a port's events (at most JAM_MAX_EVENTS, up to 3 bytes each) for the engine. */
static uint32_t read_port(jack_backend *b, jack_port_t *port, jack_nframes_t frames, jam_midi *events)
{
    void *buffer = jack_port_get_buffer(port, frames);
    uint32_t count = jack_midi_get_event_count(buffer), kept = 0, dropped = 0;
    for (uint32_t k = 0; k < count; k++) {
        jack_midi_event_t e;
        if (jack_midi_event_get(&e, buffer, k) != 0 || e.size < 1 || e.size > 3 || e.buffer[0] < 0x80 ||
            e.buffer[0] >= 0xf0)
            continue; /* system and longer messages are not for the models */
        if (kept == JAM_MAX_EVENTS) {
            dropped++;
            continue;
        }
        jam_midi *m = &events[kept++];
        m->frame = e.time;
        m->size = (uint8_t)e.size;
        memcpy(m->bytes, e.buffer, e.size);
    }
    if (dropped)
        jam_count_dropped_input(b->j, dropped);
    return kept;
}

static int process(jack_nframes_t frames, void *arg)
{
    jack_backend *b = arg;
    RT_ENTER();
    jam_io io = {.frames = frames, .write = write_midi, .write_user = b};
    for (int i = 0; i < b->slots; i++) {
        b->out_buffer[i] = jack_port_get_buffer(b->out[i], frames);
        jack_midi_clear_buffer(b->out_buffer[i]);
    }
    float *click = b->click_port ? jack_port_get_buffer(b->click_port, frames) : NULL;
    if (!atomic_load_explicit(&b->running, memory_order_acquire)) {
        if (click)
            memset(click, 0, frames * sizeof *click);
        RT_EXIT();
        return 0;
    }
    jack_position_t pos;
    jack_transport_state_t state = jack_transport_query(b->client, &pos);
    jam_transport t = {.rolling = state == JackTransportRolling};
    if ((pos.valid & JackPositionBBT) && pos.beats_per_minute > 0 && pos.beats_per_bar > 0) {
        t.bbt = true;
        t.bar = pos.bar - 1;
        t.bar_beat = pos.beat - 1 + (pos.ticks_per_beat > 0 ? pos.tick / pos.ticks_per_beat : 0);
        t.beats_per_bar = pos.beats_per_bar;
        t.beat_unit = (int)pos.beat_type;
        t.bpm = pos.beats_per_minute;
    }
    io.transport = &t;
    for (int i = 0; i < b->slots; i++) {
        io.in[i] = b->events[i];
        io.in_count[i] = read_port(b, b->in[i], frames, b->events[i]);
    }
    io.control = b->control_events;
    io.control_count = read_port(b, b->control, frames, b->control_events);
    io.click = click;
    jam_process(b->j, &io);
    RT_EXIT();
    return 0;
}

static void push_message(jack_backend *b, const char *text)
{
    char m[MESSAGE_SIZE];
    snprintf(m, sizeof m, "%s", text);
    dsp_ring_push(b->messages, m);
}

static void on_shutdown(jack_status_t code, const char *reason, void *arg)
{
    (void)code;
    jack_backend *b = arg;
    snprintf(b->gone_why, sizeof b->gone_why, "the JACK server went away (%s)", reason && *reason ? reason : "no reason given");
    atomic_store_explicit(&b->gone, true, memory_order_release);
}

static int on_xrun(void *arg)
{
    jack_backend *b = arg;
    if (b->j)
        jam_count_xrun(b->j);
    return 0;
}

/* A connection to one of our ports made or broken: a keyboard unplugged shows up here. */
static void on_connect(jack_port_id_t a, jack_port_id_t c, int connect, void *arg)
{
    jack_backend *b = arg;
    jack_port_t *pa = jack_port_by_id(b->client, a), *pc = jack_port_by_id(b->client, c);
    if (!pa || !pc || (!jack_port_is_mine(b->client, pa) && !jack_port_is_mine(b->client, pc)))
        return;
    char m[MESSAGE_SIZE];
    snprintf(m, sizeof m, "%s %s %s", jack_port_name(pa), connect ? "connected to" : "disconnected from",
             jack_port_name(pc));
    push_message(b, m);
}

static bool jack_failed(jam_backend *base, char *why)
{
    jack_backend *b = (jack_backend *)base;
    if (!atomic_load_explicit(&b->gone, memory_order_acquire))
        return false;
    snprintf(why, NN_MESSAGE_SIZE, "%s", b->gone_why);
    return true;
}

static bool jack_poll_message(jam_backend *base, char *text, size_t size)
{
    jack_backend *b = (jack_backend *)base;
    char m[MESSAGE_SIZE];
    if (!dsp_ring_pop(b->messages, m))
        return false;
    snprintf(text, size, "%s", m);
    return true;
}

/* The MIDI ports others offer, for a message about one not found. */
static void list_ports(jack_client_t *client, unsigned long flags, char *out, size_t size)
{
    const char **ports = jack_get_ports(client, NULL, JACK_DEFAULT_MIDI_TYPE, flags);
    size_t n = strlen(out);
    if (!ports || !ports[0])
        snprintf(out + n, size - n, " (none)");
    for (int k = 0; ports && ports[k]; k++) {
        n = strlen(out);
        snprintf(out + n, size - n, "%s%s", k ? ", " : " (", ports[k]);
        if (!ports[k + 1]) {
            n = strlen(out);
            snprintf(out + n, size - n, ")");
        }
    }
    jack_free(ports);
}

/* Connect `other` (someone's port, by full name) to or from one of ours. */
static nn_status connect_port(jack_backend *b, const char *what, jack_port_t *mine, const char *other, bool into_mine,
                              char *why)
{
    jack_port_t *p = jack_port_by_name(b->client, other);
    if (!p || strcmp(jack_port_type(p), JACK_DEFAULT_MIDI_TYPE) != 0 ||
        !(jack_port_flags(p) & (into_mine ? JackPortIsOutput : JackPortIsInput))) {
        snprintf(why, NN_MESSAGE_SIZE, "%s: JACK has no MIDI %s port \"%s\"; ports:", what,
                 into_mine ? "output" : "input", other);
        list_ports(b->client, into_mine ? JackPortIsOutput : JackPortIsInput, why, NN_MESSAGE_SIZE);
        return NN_ERR_ARGUMENT;
    }
    const char *src = into_mine ? other : jack_port_name(mine), *dst = into_mine ? jack_port_name(mine) : other;
    int r = jack_connect(b->client, src, dst);
    if (r != 0 && r != EEXIST) {
        snprintf(why, NN_MESSAGE_SIZE, "%s: JACK could not connect %s to %s", what, src, dst);
        return NN_ERR_IO;
    }
    return NN_OK;
}

static nn_status jack_start(jam_backend *base, jam *j, char *why)
{
    jack_backend *b = (jack_backend *)base;
    const jam_setup *setup = jam_get_setup(j);
    b->j = j;
    b->slots = setup->slot_count;
    char name[JAM_NAME_MAX + 8];
    for (int i = 0; i < b->slots; i++) {
        snprintf(name, sizeof name, "%s_in", setup->slots[i].name);
        b->in[i] = jack_port_register(b->client, name, JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
        snprintf(name, sizeof name, "%s_out", setup->slots[i].name);
        b->out[i] = jack_port_register(b->client, name, JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
        if (!b->in[i] || !b->out[i]) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: JACK refused to register its ports", setup->slots[i].name);
            return NN_ERR_IO;
        }
    }
    b->control = jack_port_register(b->client, "control_in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    if (setup->click)
        b->click_port = jack_port_register(b->client, "click", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    if (!b->control || (setup->click && !b->click_port)) {
        snprintf(why, NN_MESSAGE_SIZE, "JACK refused to register the control and click ports");
        return NN_ERR_IO;
    }
    jack_set_process_callback(b->client, process, b);
    jack_set_xrun_callback(b->client, on_xrun, b);
    jack_set_port_connect_callback(b->client, on_connect, b);
    jack_on_info_shutdown(b->client, on_shutdown, b);
    atomic_store_explicit(&b->running, true, memory_order_release);
    if (jack_activate(b->client) != 0) {
        snprintf(why, NN_MESSAGE_SIZE, "JACK refused to activate the client");
        return NN_ERR_IO;
    }
    nn_status st = NN_OK;
    for (int i = 0; st == NN_OK && i < b->slots; i++) {
        const jam_slot_setup *s = &setup->slots[i];
        char what[JAM_NAME_MAX + 8];
        if (s->connect_in[0]) {
            snprintf(what, sizeof what, "%s in", s->name);
            st = connect_port(b, what, b->in[i], s->connect_in, true, why);
        }
        if (st == NN_OK && s->connect_out[0]) {
            snprintf(what, sizeof what, "%s out", s->name);
            st = connect_port(b, what, b->out[i], s->connect_out, false, why);
        }
    }
    if (st == NN_OK && b->control_in[0])
        st = connect_port(b, "control in", b->control, b->control_in, true, why);
    return st;
}

static void jack_stop(jam_backend *base)
{
    jack_backend *b = (jack_backend *)base;
    atomic_store_explicit(&b->running, false, memory_order_release);
    if (b->client && !atomic_load(&b->gone))
        jack_deactivate(b->client);
}

static void jack_close(jam_backend *base)
{
    jack_backend *b = (jack_backend *)base;
    if (!b)
        return;
    if (b->client)
        jack_client_close(b->client);
    dsp_ring_free(b->messages);
    free(b);
}

/* libjack prints its own lines when no server runs; nn-jam says it once, its own way. */
static void jack_quiet(const char *message) { (void)message; }
static void jack_print(const char *message) { fprintf(stderr, "nn-jam: JACK: %s\n", message); }

nn_status jam_jack_open(const jam_setup *setup, const jam_backend_options *options, jam_backend **out,
                        bool *no_server, char *why)
{
    (void)setup;
    *out = NULL;
    *no_server = false;
    jack_backend *b = calloc(1, sizeof *b);
    if (!b || dsp_ring_new(MESSAGE_SIZE, 64, &b->messages)) {
        free(b);
        snprintf(why, NN_MESSAGE_SIZE, "out of memory");
        return NN_ERR_MEMORY;
    }
    snprintf(b->control_in, sizeof b->control_in, "%s", options->control_in ? options->control_in : "");
    jack_set_error_function(jack_quiet);
    jack_set_info_function(jack_quiet);
    jack_status_t status = 0;
    const char *name = options->client_name && *options->client_name ? options->client_name : "nn-jam";
    b->client = jack_client_open(name, JackNoStartServer, &status);
    jack_set_error_function(jack_print);
    if (!b->client) {
        *no_server = (status & JackServerFailed) != 0;
        snprintf(why, NN_MESSAGE_SIZE, "%s", *no_server ? "no JACK server is running"
                                            : (status & JackNameNotUnique) ? "JACK: the client name is taken"
                                                                          : "JACK refused the client");
        jack_close(&b->base);
        return NN_ERR_IO;
    }
    b->base.name = "JACK";
    b->base.sample_rate = jack_get_sample_rate(b->client);
    jack_nframes_t period = jack_get_buffer_size(b->client);
    b->base.max_frames = period > 8192 ? period : 8192; /* the period may grow while running */
    b->base.start = jack_start;
    b->base.failed = jack_failed;
    b->base.poll_message = jack_poll_message;
    b->base.stop = jack_stop;
    b->base.close = jack_close;
    *out = &b->base;
    return NN_OK;
}
