/* jack_client — the JACK side of the hosts suite: plays a phrase into a plugin's MIDI input,
 * drives the JACK transport as timebase master at a set tempo, and captures the plugin's MIDI
 * output with the exact transport frame of every event.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Usage:
 *   jack_client --to PORT --from PORT [--from PORT]... [--bpm 120] [--beats-per-bar 4] [--seconds 6] [--tail 0.5]
 *               [--note BEAT:LENGTH:NOTE:VELOCITY]... [--channel 1] [--wait 20]
 *
 * Two JACK clients live in this process: "hosts_player" (MIDI out, connected to --to, and the
 * timebase master) and "hosts_capture" (MIDI in, connected from each --from). Two, not one, so the
 * graph is player -> plugin -> capture with no feedback loop: JACK then runs all three in that
 * order in the same cycle, and an event the plugin writes at frame f of a cycle is read by the
 * capture at frame f of that same cycle, whose transport position it also reads.
 *
 * The transport is stopped, located to frame 0, started, left rolling for --seconds (counted in
 * frames, not wall time), stopped, and the capture goes on for --tail seconds so the note-offs
 * sent at the stop are seen. The player's notes (beats from the transport start) are played on
 * their exact frames; a note still held when the transport stops gets its note-off at the first
 * stopped cycle.
 *
 * Output, one line each, on stdout:
 *   rate R / period P / bpm B / beats_per_bar N
 *   start JACK_FRAME TRANSPORT_FRAME      the first rolling cycle
 *   stop JACK_FRAME                       the first stopped cycle after it
 *   in JACK_FRAME TRANSPORT_FRAME ROLLING HEX...   an event captured from the plugin
 *   out JACK_FRAME TRANSPORT_FRAME HEX...          an event played into the plugin
 *   xruns N
 * JACK_FRAME is jack_last_frame_time() of the cycle plus the event's offset in it;
 * TRANSPORT_FRAME is the cycle's jack_position_t.frame plus that offset.
 */
#include <jack/jack.h>
#include <jack/midiport.h>
#include <jack/transport.h>

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_EVENTS = 16384, MAX_NOTES = 256, TICKS_PER_BEAT = 1920 };

typedef struct event {
    jack_nframes_t jack_frame;
    jack_nframes_t transport_frame;
    bool rolling;
    uint8_t size;
    uint8_t bytes[3];
} event;

/* A list of events written by one process thread and read by main after jack_deactivate. */
typedef struct event_log {
    event events[MAX_EVENTS];
    atomic_int count;
    atomic_int dropped;
} event_log;

/* A note of the phrase, in frames from the transport start. */
typedef struct note {
    jack_nframes_t on, off;
    uint8_t pitch, velocity;
    bool started, ended;
} note;

typedef struct host {
    jack_client_t *player, *capture;
    jack_port_t *out, *in;
    double rate, bpm, beats_per_bar;
    uint8_t channel;
    note notes[MAX_NOTES];
    int n_notes;
    event_log played, captured;
    /* Set by the capture's process thread. */
    atomic_bool started, stopped;
    atomic_uint start_jack_frame, start_transport_frame, stop_jack_frame;
    atomic_uint rolled_frames;   /* transport frames played while rolling */
    atomic_uint frames_after_stop;
    atomic_int xruns;
} host;

static void log_event(event_log *log, jack_nframes_t jack_frame, jack_nframes_t transport_frame,
                      bool rolling, const uint8_t *bytes, size_t size)
{
    int n = atomic_load_explicit(&log->count, memory_order_relaxed);
    if (n >= MAX_EVENTS) {
        atomic_fetch_add(&log->dropped, 1);
        return;
    }
    event *e = &log->events[n];
    e->jack_frame = jack_frame;
    e->transport_frame = transport_frame;
    e->rolling = rolling;
    e->size = (uint8_t)(size < 3 ? size : 3);
    memcpy(e->bytes, bytes, e->size);
    atomic_store_explicit(&log->count, n + 1, memory_order_release);
}

/* BBT of a frame at a constant tempo and meter: what jalv reads with jack_transport_query and
 * forwards to the plugin as time:Position (bar, barBeat = beat - 1 + tick / ticks_per_beat). */
static void timebase(jack_transport_state_t state, jack_nframes_t nframes, jack_position_t *pos,
                     int new_pos, void *arg)
{
    (void)state, (void)nframes, (void)new_pos;
    const host *h = arg;
    double beats = (double)pos->frame * h->bpm / (60.0 * h->rate);
    double bar = floor(beats / h->beats_per_bar);
    double in_bar = beats - bar * h->beats_per_bar;
    double beat = floor(in_bar);
    pos->valid = JackPositionBBT;
    pos->bar = (int32_t)bar + 1;
    pos->beat = (int32_t)beat + 1;
    pos->tick = (int32_t)floor((in_bar - beat) * TICKS_PER_BEAT);
    pos->bar_start_tick = bar * h->beats_per_bar * TICKS_PER_BEAT;
    pos->beats_per_bar = (float)h->beats_per_bar;
    pos->beat_type = 4.0f;
    pos->ticks_per_beat = TICKS_PER_BEAT;
    pos->beats_per_minute = h->bpm;
}

static int player_process(jack_nframes_t nframes, void *arg)
{
    host *h = arg;
    void *buf = jack_port_get_buffer(h->out, nframes);
    jack_midi_clear_buffer(buf);
    jack_position_t pos;
    bool rolling = jack_transport_query(h->player, &pos) == JackTransportRolling;
    jack_nframes_t now = jack_last_frame_time(h->player);
    uint8_t msg[3];
    if (!rolling) {
        /* Release what is still held, at the first frame of the first stopped cycle. */
        for (int i = 0; i < h->n_notes; i++) {
            note *n = &h->notes[i];
            if (n->started && !n->ended) {
                msg[0] = (uint8_t)(0x80 | h->channel), msg[1] = n->pitch, msg[2] = 0;
                if (jack_midi_event_write(buf, 0, msg, 3) == 0) {
                    n->ended = true;
                    log_event(&h->played, now, pos.frame, false, msg, 3);
                }
            }
        }
        return 0;
    }
    /* jack_midi_event_write needs events in time order: all note-offs and note-ons of the
     * cycle, merged by frame (offs first at the same frame). */
    for (jack_nframes_t f = 0; f < nframes; f++) {
        jack_nframes_t t = pos.frame + f;
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < h->n_notes; i++) {
                note *n = &h->notes[i];
                bool off = pass == 0 && n->started && !n->ended && n->off == t;
                bool on = pass == 1 && !n->started && n->on == t;
                if (!off && !on)
                    continue;
                msg[0] = (uint8_t)((on ? 0x90 : 0x80) | h->channel);
                msg[1] = n->pitch;
                msg[2] = on ? n->velocity : 0;
                if (jack_midi_event_write(buf, f, msg, 3) != 0)
                    continue; /* no room: not logged as played, so the checks see it missing */
                if (on)
                    n->started = true;
                else
                    n->ended = true;
                log_event(&h->played, now + f, t, true, msg, 3);
            }
        }
    }
    return 0;
}

static int capture_process(jack_nframes_t nframes, void *arg)
{
    host *h = arg;
    void *buf = jack_port_get_buffer(h->in, nframes);
    jack_position_t pos;
    bool rolling = jack_transport_query(h->capture, &pos) == JackTransportRolling;
    jack_nframes_t now = jack_last_frame_time(h->capture);
    if (rolling && !atomic_load(&h->started)) {
        atomic_store(&h->start_jack_frame, now);
        atomic_store(&h->start_transport_frame, pos.frame);
        atomic_store(&h->started, true);
    }
    if (!rolling && atomic_load(&h->started) && !atomic_load(&h->stopped)) {
        atomic_store(&h->stop_jack_frame, now);
        atomic_store(&h->stopped, true);
    }
    uint32_t count = jack_midi_get_event_count(buf);
    for (uint32_t i = 0; i < count; i++) {
        jack_midi_event_t ev;
        if (jack_midi_event_get(&ev, buf, i) == 0)
            log_event(&h->captured, now + ev.time, pos.frame + ev.time, rolling, ev.buffer, ev.size);
    }
    if (rolling)
        atomic_fetch_add(&h->rolled_frames, nframes);
    else if (atomic_load(&h->stopped))
        atomic_fetch_add(&h->frames_after_stop, nframes);
    return 0;
}

static int on_xrun(void *arg)
{
    host *h = arg;
    atomic_fetch_add(&h->xruns, 1);
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls `done` every 10 ms for at most `seconds` of wall time; false on time-out. */
static bool wait_for(bool (*done)(host *), host *h, double seconds)
{
    for (int ms = 0; ms < (int)(seconds * 1000); ms += 10) {
        if (done(h))
            return true;
        sleep_ms(10);
    }
    return done(h);
}

static double seconds_to_roll;
static double tail_seconds;

static bool is_located(host *h)
{
    jack_position_t pos;
    return jack_transport_query(h->player, &pos) == JackTransportStopped && pos.frame == 0;
}
static bool rolled_enough(host *h)
{
    return atomic_load(&h->rolled_frames) >= (unsigned)(seconds_to_roll * h->rate);
}
static bool tail_done(host *h)
{
    return atomic_load(&h->frames_after_stop) >= (unsigned)(tail_seconds * h->rate);
}

static jack_client_t *open_client(const char *name)
{
    jack_status_t status;
    jack_client_t *c = jack_client_open(name, JackNoStartServer | JackUseExactName, &status);
    if (!c)
        fprintf(stderr, "jack_client: cannot open JACK client %s (status 0x%x)\n", name, (unsigned)status);
    return c;
}

static bool wait_port(jack_client_t *c, const char *name, double seconds)
{
    for (int ms = 0; ms < (int)(seconds * 1000); ms += 50) {
        if (jack_port_by_name(c, name))
            return true;
        sleep_ms(50);
    }
    fprintf(stderr, "jack_client: port %s did not appear within %.0f s\n", name, seconds);
    return false;
}

static void print_log(const char *what, const event_log *log, bool with_rolling)
{
    int n = atomic_load_explicit(&log->count, memory_order_acquire);
    for (int i = 0; i < n; i++) {
        const event *e = &log->events[i];
        printf("%s %u %u", what, (unsigned)e->jack_frame, (unsigned)e->transport_frame);
        if (with_rolling)
            printf(" %d", e->rolling ? 1 : 0);
        for (int b = 0; b < e->size; b++)
            printf(" %02x", e->bytes[b]);
        printf("\n");
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: jack_client --to PORT --from PORT [--bpm B] [--beats-per-bar N] [--seconds S]\n"
                    "                   [--tail S] [--note BEAT:LENGTH:NOTE:VELOCITY]... [--channel C] [--wait S]\n");
    return 2;
}

static host the_host; /* large (two event logs): static, not on the stack */

int main(int argc, char **argv)
{
    host *h = &the_host;
    const char *to = NULL, *from[8] = {NULL};
    int n_from = 0;
    double wait_seconds = 20, note_beats[MAX_NOTES][2];
    int note_pitch[MAX_NOTES], note_velocity[MAX_NOTES], channel = 1;
    h->bpm = 120, h->beats_per_bar = 4;
    seconds_to_roll = 6, tail_seconds = 0.5;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage();
        i++;
        if (!strcmp(a, "--to")) to = v;
        else if (!strcmp(a, "--from") && n_from < 8) from[n_from++] = v; /* all into the one capture port */
        else if (!strcmp(a, "--bpm")) h->bpm = atof(v);
        else if (!strcmp(a, "--beats-per-bar")) h->beats_per_bar = atof(v);
        else if (!strcmp(a, "--seconds")) seconds_to_roll = atof(v);
        else if (!strcmp(a, "--tail")) tail_seconds = atof(v);
        else if (!strcmp(a, "--channel")) channel = atoi(v);
        else if (!strcmp(a, "--wait")) wait_seconds = atof(v);
        else if (!strcmp(a, "--note") && h->n_notes < MAX_NOTES) {
            int k = h->n_notes;
            if (sscanf(v, "%lf:%lf:%d:%d", &note_beats[k][0], &note_beats[k][1], &note_pitch[k],
                       &note_velocity[k]) != 4 || note_beats[k][1] <= 0 || note_pitch[k] < 0 ||
                note_pitch[k] > 127 || note_velocity[k] < 1 || note_velocity[k] > 127)
                return usage();
            h->n_notes++;
        } else
            return usage();
    }
    if (!to || !n_from || h->bpm <= 0 || h->beats_per_bar <= 0 || channel < 1 || channel > 16)
        return usage();
    h->channel = (uint8_t)(channel - 1);

    h->player = open_client("hosts_player");
    h->capture = h->player ? open_client("hosts_capture") : NULL;
    if (!h->capture)
        return 1;
    h->rate = jack_get_sample_rate(h->player);
    double frames_per_beat = 60.0 * h->rate / h->bpm;
    for (int k = 0; k < h->n_notes; k++) {
        h->notes[k].on = (jack_nframes_t)ceil(note_beats[k][0] * frames_per_beat);
        h->notes[k].off = (jack_nframes_t)ceil((note_beats[k][0] + note_beats[k][1]) * frames_per_beat);
        h->notes[k].pitch = (uint8_t)note_pitch[k];
        h->notes[k].velocity = (uint8_t)note_velocity[k];
    }
    h->out = jack_port_register(h->player, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    h->in = jack_port_register(h->capture, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    if (!h->out || !h->in) {
        fprintf(stderr, "jack_client: cannot register ports\n");
        return 1;
    }
    jack_set_process_callback(h->player, player_process, h);
    jack_set_process_callback(h->capture, capture_process, h);
    jack_set_xrun_callback(h->capture, on_xrun, h);
    if (jack_set_timebase_callback(h->player, 0, timebase, h) != 0) {
        fprintf(stderr, "jack_client: cannot become timebase master\n");
        return 1;
    }
    if (jack_activate(h->player) || jack_activate(h->capture)) {
        fprintf(stderr, "jack_client: cannot activate\n");
        return 1;
    }
    int status = 1;
    if (!wait_port(h->player, to, wait_seconds))
        goto done;
    for (int k = 0; k < n_from; k++)
        if (!wait_port(h->player, from[k], wait_seconds))
            goto done;
    /* Stopped and located before the capture is connected: until a host sends a position, a
     * generator runs on its own clock (Performance RNN's first notes come 30 ms after it starts),
     * so what it played then, and the note-offs when it hears the stop, stay out of the capture. */
    jack_transport_stop(h->player);
    jack_transport_locate(h->player, 0);
    if (!wait_for(is_located, h, 5)) {
        fprintf(stderr, "jack_client: the transport did not stop at frame 0\n");
        goto done;
    }
    sleep_ms(200); /* a few stopped cycles: the plugin hears the stopped position first */
    if (jack_connect(h->player, jack_port_name(h->out), to)) {
        fprintf(stderr, "jack_client: cannot connect %s -> %s\n", jack_port_name(h->out), to);
        goto done;
    }
    for (int k = 0; k < n_from; k++)
        if (jack_connect(h->capture, from[k], jack_port_name(h->in))) {
            fprintf(stderr, "jack_client: cannot connect %s -> %s\n", from[k], jack_port_name(h->in));
            goto done;
        }
    sleep_ms(200); /* connected over a few stopped cycles before the start */
    jack_transport_start(h->player);
    /* Wall-clock limits only guard against a stalled server; the run itself counts frames. */
    if (!wait_for(rolled_enough, h, seconds_to_roll * 2 + 10)) {
        fprintf(stderr, "jack_client: the transport did not roll for %.1f s\n", seconds_to_roll);
        goto done;
    }
    jack_transport_stop(h->player);
    if (!wait_for(tail_done, h, tail_seconds * 2 + 10)) {
        fprintf(stderr, "jack_client: the transport did not stop\n");
        goto done;
    }
    status = 0;
done:
    jack_deactivate(h->capture);
    jack_deactivate(h->player);
    printf("rate %.0f\nperiod %u\nbpm %.6f\nbeats_per_bar %.6f\n", h->rate,
           (unsigned)jack_get_buffer_size(h->player), h->bpm, h->beats_per_bar);
    if (atomic_load(&h->started))
        printf("start %u %u\n", atomic_load(&h->start_jack_frame), atomic_load(&h->start_transport_frame));
    if (atomic_load(&h->stopped))
        printf("stop %u\n", atomic_load(&h->stop_jack_frame));
    print_log("out", &h->played, false);
    print_log("in", &h->captured, true);
    printf("dropped %d\nxruns %d\n", atomic_load(&h->captured.dropped) + atomic_load(&h->played.dropped),
           atomic_load(&h->xruns));
    jack_client_close(h->capture);
    jack_client_close(h->player);
    return status;
}
