/* nn-jam-latency — MIDI in to MIDI out latency through a JACK MIDI path (nn-jam's Piano Genie, or
 * any client that answers a note with a note): a benchmark, not a test.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Usage: nn-jam-latency [--to PORT] [--from PORT] [--presses N] [--interval SECONDS]
 *   defaults: --to nn-jam:genie_in --from nn-jam:genie_out --presses 200 --interval 0.1
 *
 * Two measurements, each press at a random frame of its cycle (notes 60..67, the default
 * buttons):
 *   graph  client "lat_send" plays into --to and client "lat_recv" reads --from: JACK runs
 *          sender, nn-jam, receiver in that order in one cycle, so this is what nn-jam itself
 *          adds: 0 frames when the answer leaves at the frame the press came in.
 *   loop   one client both plays and reads (as a hardware keyboard and synth loop would be
 *          served): the answer comes back in the next cycle, one period later at best. A
 *          physical device adds the driver's capture and playback periods to that.
 * Latency of a press = absolute frame of the answer (jack_last_frame_time + offset) minus that
 * of the press. Printed: period, and per measurement median, max and mean in frames and ms.
 */
#include <jack/jack.h>
#include <jack/midiport.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_PRESSES = 4096 };

typedef struct side {
    jack_client_t *client;
    jack_port_t *port;
} side;

typedef struct bench {
    side send, recv;         /* recv.client == send.client in the loop measurement */
    jack_nframes_t rate, next_press, interval, release_after;
    int presses, sent;
    int64_t sent_at[MAX_PRESSES];
    int64_t got_at[MAX_PRESSES];
    atomic_int received;
    int pending_release;     /* the button to release, -1 none */
    jack_nframes_t release_at;
    uint64_t rng;
} bench;

static bench b;

static int send_process(jack_nframes_t frames, void *arg)
{
    (void)arg;
    void *out = jack_port_get_buffer(b.send.port, frames);
    jack_midi_clear_buffer(out);
    jack_nframes_t now = jack_last_frame_time(b.send.client);
    if (b.pending_release >= 0 && b.release_at >= now && b.release_at < now + frames) {
        uint8_t off[3] = {0x80, (uint8_t)b.pending_release, 0};
        jack_midi_event_write(out, b.release_at - now, off, 3);
        b.pending_release = -1;
    }
    if (b.sent < b.presses && b.pending_release < 0 && now + frames > b.next_press) {
        b.rng = b.rng * 6364136223846793005ull + 1442695040888963407ull;
        jack_nframes_t offset = (jack_nframes_t)((b.rng >> 33) % frames);
        if (b.next_press > now && b.next_press - now > offset)
            offset = b.next_press - now;
        if (offset < frames) {
            uint8_t on[3] = {0x90, (uint8_t)(60 + b.sent % 8), 100};
            if (jack_midi_event_write(out, offset, on, 3) == 0) {
                b.sent_at[b.sent++] = (int64_t)now + offset;
                b.pending_release = on[1];
                b.release_at = now + offset + b.release_after;
                b.next_press = now + offset + b.interval;
            }
        }
    }
    return 0;
}

static void receive(jack_nframes_t frames)
{
    void *in = jack_port_get_buffer(b.recv.port, frames);
    jack_nframes_t now = jack_last_frame_time(b.recv.client);
    uint32_t count = jack_midi_get_event_count(in);
    for (uint32_t k = 0; k < count; k++) {
        jack_midi_event_t e;
        if (jack_midi_event_get(&e, in, k) || e.size != 3 || (e.buffer[0] & 0xf0) != 0x90 || !e.buffer[2])
            continue;
        int n = atomic_load(&b.received);
        if (n < b.sent) {
            b.got_at[n] = (int64_t)now + e.time;
            atomic_store(&b.received, n + 1);
        }
    }
}

static int recv_process(jack_nframes_t frames, void *arg)
{
    (void)arg;
    receive(frames);
    return 0;
}

static int loop_process(jack_nframes_t frames, void *arg)
{
    receive(frames);
    return send_process(frames, arg);
}

static int compare(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, c = *(const int64_t *)y;
    return (a > c) - (a < c);
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static jack_client_t *open_client(const char *name)
{
    jack_status_t status;
    jack_client_t *c = jack_client_open(name, JackNoStartServer, &status);
    if (!c)
        fprintf(stderr, "nn-jam-latency: cannot open JACK client %s (is a server running?)\n", name);
    return c;
}

/* One measurement; returns 0 and prints its line, or 1. */
static int measure(const char *label, bool loop, const char *to, const char *from, int presses, double interval)
{
    memset(&b, 0, sizeof b);
    b.pending_release = -1;
    b.presses = presses;
    b.rng = 12345;
    if (!(b.send.client = open_client(loop ? "lat_loop" : "lat_send")))
        return 1;
    b.recv.client = loop ? b.send.client : open_client("lat_recv");
    if (!b.recv.client)
        return 1;
    b.rate = jack_get_sample_rate(b.send.client);
    b.interval = (jack_nframes_t)(interval * b.rate);
    b.release_after = b.interval / 2;
    b.send.port = jack_port_register(b.send.client, "press", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    b.recv.port = jack_port_register(b.recv.client, "key", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    if (loop)
        jack_set_process_callback(b.send.client, loop_process, NULL);
    else {
        jack_set_process_callback(b.send.client, send_process, NULL);
        jack_set_process_callback(b.recv.client, recv_process, NULL);
    }
    b.next_press = UINT32_MAX; /* not before the ports are connected */
    if (jack_activate(b.send.client) || (!loop && jack_activate(b.recv.client)) ||
        jack_connect(b.send.client, jack_port_name(b.send.port), to) ||
        jack_connect(b.recv.client, from, jack_port_name(b.recv.port))) {
        fprintf(stderr, "nn-jam-latency: cannot connect %s and %s (is nn-jam running with a genie?)\n", to, from);
        return 1;
    }
    sleep_ms(300);
    b.next_press = jack_frame_time(b.send.client) + b.rate / 10;
    int waited = 0;
    while (atomic_load(&b.received) < presses && waited < (int)(presses * interval * 1000) + 5000) {
        sleep_ms(50);
        waited += 50;
    }
    jack_nframes_t period = jack_get_buffer_size(b.send.client);
    int n = atomic_load(&b.received);
    if (!loop)
        jack_client_close(b.recv.client);
    jack_client_close(b.send.client);
    if (n < presses) {
        fprintf(stderr, "nn-jam-latency: %s: %d of %d presses answered\n", label, n, presses);
        return 1;
    }
    static int64_t lat[MAX_PRESSES];
    double sum = 0;
    for (int k = 0; k < n; k++) {
        lat[k] = b.got_at[k] - b.sent_at[k];
        sum += (double)lat[k];
    }
    qsort(lat, (size_t)n, sizeof *lat, compare);
    double ms = 1000.0 / b.rate;
    printf("%-6s %d presses, period %u frames (%.2f ms) at %u Hz: median %lld frames (%.2f ms), max %lld (%.2f ms), "
           "mean %.1f\n",
           label, n, period, period * ms, b.rate, (long long)lat[n / 2], (double)lat[n / 2] * ms, (long long)lat[n - 1],
           (double)lat[n - 1] * ms, sum / n);
    return 0;
}

int main(int argc, char **argv)
{
    const char *to = "nn-jam:genie_in", *from = "nn-jam:genie_out";
    int presses = 200;
    double interval = 0.1;
    for (int k = 1; k + 1 < argc; k += 2) {
        if (!strcmp(argv[k], "--to"))
            to = argv[k + 1];
        else if (!strcmp(argv[k], "--from"))
            from = argv[k + 1];
        else if (!strcmp(argv[k], "--presses"))
            presses = atoi(argv[k + 1]);
        else if (!strcmp(argv[k], "--interval"))
            interval = atof(argv[k + 1]);
        else {
            fprintf(stderr, "usage: nn-jam-latency [--to PORT] [--from PORT] [--presses N] [--interval S]\n");
            return 2;
        }
    }
    if (argc % 2 == 0 || presses < 1 || presses > MAX_PRESSES || !(interval >= 0.01 && interval <= 5)) {
        fprintf(stderr, "usage: nn-jam-latency [--to PORT] [--from PORT] [--presses 1..%d] [--interval 0.01..5]\n",
                MAX_PRESSES);
        return 2;
    }
    return measure("graph", false, to, from, presses, interval) || measure("loop", true, to, from, presses, interval);
}
