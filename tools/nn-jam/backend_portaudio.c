/* backend_portaudio.c — nn-jam without a JACK server: a PortAudio output stream is the clock (its
 * callback runs jam_process once per buffer and plays the click) and PortMidi carries MIDI to and
 * from the devices (backend.h).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Threads
 *   audio   PortAudio's callback: pops each input device's ring, runs jam_process, pushes what
 *           the slots play into one output ring. No PortMidi call there: Pm_Read and Pm_Write
 *           make ALSA sequencer system calls (DESIGN.md §2).
 *   MIDI    started by start(), joined by stop(): every ~1 ms reads the input devices into
 *           their rings (one SPSC ring per device) and writes the output ring to the devices.
 *   main    main.c's loop: failed(), poll_message().
 *
 * Time. The callback publishes the frame it starts at; the MIDI thread, which may call the
 * system, keeps a map between its clock (CLOCK_MONOTONIC in ms, which is also PortMidi's clock
 * through our time_proc) and audio frames: offset = the least (now - frame / rate) it has seen,
 * the earliest a callback can have started, let rise by 1 ms per second to follow the drift
 * between the audio and the system clock. With it
 *   - an input event stamped t (PortMidi stamps it on arrival, from the ALSA queue) is due at
 *     frame (t - offset) * rate + one period + 2 ms: it lands at its place in the next callback,
 *     a constant delay; one that comes later than that plays at frame 0 of the callback;
 *   - an output message at frame f is stamped offset + f / rate and written with PortMidi's
 *     latency L = max(the stream's output latency, one period + 2 ms), so the notes keep their
 *     spacing (to PortMidi's 1 ms) and sound about when the audio of their frame does.
 * The callback itself only compares frame counts. Where the audio clock does not keep the wall
 * clock's pace (ALSA's null device runs unpaced) the map means nothing: inputs then play at
 * frame 0 of a callback (at most one period of added jitter) and outputs go out at once.
 *
 * Built with -DJAM_RTSAN the callback is a RealtimeSanitizer real-time context (as the JACK
 * backend's), so a run proves the callback keeps the contract as it really runs.
 */
#define _GNU_SOURCE /* strcasestr */
#include "backend.h"

#include "ring.h"

#include <portaudio.h>
#include <portmidi.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PA_MAX_INPUTS (JAM_MAX_SLOTS + 1) /* distinct input devices: every slot's and the control's */
#define PA_IN_RING 4096                   /* per input device: far more than a player sends in a period */
#define PA_OUT_RING 16384                 /* what the slots play between two MIDI polls, with room */
#define PA_MESSAGES 64
#define PA_MESSAGE_MAX 384
#define PA_DEFAULT_PERIOD 256
#define PA_MAX_PERIOD 8192
#define PA_POLL_NS 1000000L               /* the MIDI thread's round: 1 ms */
#define PA_TIME_ORIGIN_MS 1000.0          /* our clock starts here: PortMidi takes a stamp of 0 as "now" */
#define PA_DRIFT 1e-3                     /* ms the map's offset may rise per ms (audio vs system clock) */

typedef struct pa_in_event {
    uint64_t frame; /* the audio frame it is due at */
    uint8_t size;
    uint8_t bytes[3];
} pa_in_event;

typedef struct pa_out_event {
    uint64_t frame;
    int32_t slot;
    uint8_t size;
    uint8_t bytes[3];
} pa_out_event;

typedef struct pa_message {
    char text[PA_MESSAGE_MAX];
} pa_message;

typedef struct pa_midi_device {
    PmDeviceID id;
    char name[128];
    PortMidiStream *stream;
    bool dead;                       /* MIDI thread: a read or write failed; left alone since */
    /* an input */
    dsp_ring *ring;                  /* MIDI thread → audio thread */
    uint64_t last_frame;             /* MIDI thread: keeps the ring in time order */
    pa_in_event held;                /* audio thread: popped, due in a later piece */
    bool has_held;
    jam_midi events[JAM_MAX_EVENTS]; /* audio thread: this piece's events */
    uint32_t count;
    /* an output */
    PmTimestamp last_stamp;          /* MIDI thread: stamps never go back, so a note-off stays after its note-on */
    uint8_t sounding[16][128];       /* MIDI thread: notes written and not yet ended, per channel and note */
} pa_midi_device;

typedef struct pa_backend {
    jam_backend base; /* first: a jam_backend * is a pa_backend * */
    jam *j;
    int slot_count;
    bool click;

    /* audio */
    PaStream *stream;
    char audio_name[200]; /* "'default' (ALSA)" */
    int channels;
    uint32_t period;
    double output_latency; /* s, PortAudio's figure for the open stream */
    bool pa_ready, pm_ready, running, stopping, stopped, died;
    atomic_bool stream_finished;

    /* MIDI devices: slot_in, slot_out and control_in index inputs[] and outputs[]; -1 none */
    pa_midi_device *inputs[PA_MAX_INPUTS], *outputs[JAM_MAX_SLOTS];
    int input_count, output_count;
    int slot_in[JAM_MAX_SLOTS], slot_out[JAM_MAX_SLOTS], control_in;

    /* audio thread */
    uint64_t frame;       /* the first frame of the next piece */
    uint64_t piece_frame; /* the first frame of the piece jam_process is running */
    float *click_buffer;
    jam_midi no_events[1];
    dsp_ring *out_ring;
    uint64_t input_delay; /* frames: one period + 2 ms (see Time) */
    uint64_t hold_limit;  /* frames: an input due further ahead than this plays at once */
    atomic_uint_fast64_t clock_frame; /* the frame the newest callback started at */
    atomic_bool clock_started;

    /* MIDI thread */
    pthread_t midi_thread;
    bool midi_running;
    atomic_bool midi_quit;
    struct timespec origin;
    double offset_ms, offset_seen_ms; /* the map of Time: wall ms = offset + frame / rate */
    bool offset_known;
    int latency_ms; /* PortMidi's output latency */

    /* messages: the MIDI thread's through a ring, main's own (from open) in a list */
    dsp_ring *messages;
    pa_message notes[JAM_MAX_SLOTS + 4];
    int note_count, note_next;
} pa_backend;

/* ---- Small helpers ----------------------------------------------------------------------- */

/* A device named by the player: `part` anywhere in its name, in any case. */
static bool contains_nocase(const char *text, const char *part)
{
    return strcasestr(text, part) != NULL;
}

/* Append to `text` (of `size`) as much as fits. */
static void append(char *text, size_t size, const char *more)
{
    size_t used = strlen(text);
    if (used + 1 < size)
        snprintf(text + used, size - used, "%s", more);
}

static void add_note(pa_backend *b, const char *text)
{
    if (b->note_count < (int)(sizeof b->notes / sizeof b->notes[0]))
        snprintf(b->notes[b->note_count++].text, PA_MESSAGE_MAX, "%s", text);
}

/* MIDI thread: a message for poll_message (dropped when 64 already wait). */
static void push_message(pa_backend *b, const char *text)
{
    pa_message m;
    snprintf(m.text, sizeof m.text, "%s", text);
    dsp_ring_push(b->messages, &m);
}

static double now_ms(const pa_backend *b)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return PA_TIME_ORIGIN_MS + (double)(t.tv_sec - b->origin.tv_sec) * 1e3 +
           (double)(t.tv_nsec - b->origin.tv_nsec) * 1e-6;
}

/* PortMidi's clock (its time_proc): ours, so that stamps in and out share the map of Time. */
static PmTimestamp midi_time(void *user)
{
    return (PmTimestamp)floor(now_ms(user));
}

/* PortAudio and PortMidi print their probing of every host API and device on stderr (ALSA's
 * "cannot find card", JACK's "cannot connect to server socket"): noise to someone who did not
 * ask for JACK. Hidden while they start, open and end, unless NN_JAM_DEBUG is set. */
static int quiet_begin(void)
{
    if (getenv("NN_JAM_DEBUG"))
        return -1;
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *null = saved >= 0 ? fopen("/dev/null", "w") : NULL;
    if (!null) {
        if (saved >= 0)
            close(saved);
        return -1;
    }
    dup2(fileno(null), STDERR_FILENO);
    fclose(null);
    return saved;
}

static void quiet_end(int saved)
{
    if (saved < 0)
        return;
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
}

/* ---- Devices ----------------------------------------------------------------------------- */

static bool is_output(const PaDeviceInfo *info)
{
    return info && info->maxOutputChannels > 0;
}

/* "'default' (ALSA)" */
static void audio_device_name(PaDeviceIndex index, char *text, size_t size)
{
    const PaDeviceInfo *info = Pa_GetDeviceInfo(index);
    const PaHostApiInfo *api = info ? Pa_GetHostApiInfo(info->hostApi) : NULL;
    snprintf(text, size, "'%s' (%s)", info && info->name ? info->name : "?", api && api->name ? api->name : "?");
}

/* The output device `wanted` names: its name exactly, its number in --list, else a part of its
 * name in any case; paNoDevice when none does. */
static PaDeviceIndex find_audio_device(const char *wanted)
{
    int count = Pa_GetDeviceCount();
    for (int i = 0; i < count; i++) {
        const PaDeviceInfo *info = Pa_GetDeviceInfo(i);
        if (is_output(info) && info->name && !strcmp(info->name, wanted))
            return i;
    }
    char *end = NULL;
    long number = strtol(wanted, &end, 10);
    if (end != wanted && !*end && number >= 0 && number < count && is_output(Pa_GetDeviceInfo((int)number)))
        return (PaDeviceIndex)number;
    for (int i = 0; i < count; i++) {
        const PaDeviceInfo *info = Pa_GetDeviceInfo(i);
        if (is_output(info) && info->name && contains_nocase(info->name, wanted))
            return i;
    }
    return paNoDevice;
}

/* Appends "0 'default' (ALSA), ..." to `text`. */
static void list_audio_devices(char *text, size_t size)
{
    int count = Pa_GetDeviceCount(), shown = 0;
    for (int i = 0; i < count; i++) {
        if (!is_output(Pa_GetDeviceInfo(i)))
            continue;
        char name[200], item[220];
        audio_device_name(i, name, sizeof name);
        snprintf(item, sizeof item, "%s%d %s", shown++ ? ", " : "", i, name);
        append(text, size, item);
    }
    if (!shown)
        append(text, size, "none");
}

static bool midi_kind(const PmDeviceInfo *info, bool input)
{
    return info && info->name && (input ? info->input : info->output);
}

/* The PortMidi input (or output) `wanted` names: exactly, else a part of its name in any case. */
static PmDeviceID find_midi_device(const char *wanted, bool input)
{
    int count = Pm_CountDevices();
    for (int i = 0; i < count; i++)
        if (midi_kind(Pm_GetDeviceInfo(i), input) && !strcmp(Pm_GetDeviceInfo(i)->name, wanted))
            return i;
    for (int i = 0; i < count; i++)
        if (midi_kind(Pm_GetDeviceInfo(i), input) && contains_nocase(Pm_GetDeviceInfo(i)->name, wanted))
            return i;
    return pmNoDevice;
}

/* Appends "inputs: 'a', 'b'" (or outputs) to `text`. */
static void list_midi_devices(bool input, char *text, size_t size)
{
    append(text, size, input ? "inputs: " : "outputs: ");
    int count = Pm_CountDevices(), shown = 0;
    for (int i = 0; i < count; i++) {
        const PmDeviceInfo *info = Pm_GetDeviceInfo(i);
        if (!midi_kind(info, input))
            continue;
        char item[160];
        snprintf(item, sizeof item, "%s'%s'", shown++ ? ", " : "", info->name);
        append(text, size, item);
    }
    if (!shown)
        append(text, size, count ? "none" : "none; no MIDI device at all: PortMidi on Linux needs the ALSA sequencer, /dev/snd/seq");
}

/* The default device of a kind, or the first one, or pmNoDevice. (PortMidi 217 leaks a little
 * on every Pm_GetDefault...DeviceID: asked only when there is a device, once per open.) */
static PmDeviceID default_midi_device(bool input)
{
    int count = Pm_CountDevices();
    if (count <= 0)
        return pmNoDevice;
    PmDeviceID id = input ? Pm_GetDefaultInputDeviceID() : Pm_GetDefaultOutputDeviceID();
    if (id >= 0 && midi_kind(Pm_GetDeviceInfo(id), input))
        return id;
    for (int i = 0; i < count; i++)
        if (midi_kind(Pm_GetDeviceInfo(i), input))
            return i;
    return pmNoDevice;
}

/* The index in inputs[] / outputs[] of device `id`, added when new; -1 when out of memory. */
static int use_midi_device(pa_backend *b, PmDeviceID id, bool input)
{
    pa_midi_device **list = input ? b->inputs : b->outputs;
    int *count = input ? &b->input_count : &b->output_count;
    int capacity = input ? PA_MAX_INPUTS : JAM_MAX_SLOTS;
    for (int i = 0; i < *count; i++)
        if (list[i]->id == id)
            return i;
    if (*count == capacity)
        return -1;
    pa_midi_device *d = calloc(1, sizeof *d);
    if (!d)
        return -1;
    d->id = id;
    snprintf(d->name, sizeof d->name, "%s", Pm_GetDeviceInfo(id)->name);
    if (input && dsp_ring_new(sizeof(pa_in_event), PA_IN_RING, &d->ring) != 0) {
        free(d);
        return -1;
    }
    list[*count] = d;
    return (*count)++;
}

/* ---- The audio thread -------------------------------------------------------------------- */

static bool write_midi(void *user, int slot, uint32_t frame, const uint8_t *bytes, uint32_t size)
{
    pa_backend *b = user;
    if (slot < 0 || slot >= b->slot_count || b->slot_out[slot] < 0 || size == 0 || size > 3)
        return true; /* nowhere to go, as a JACK port connected to nothing */
    pa_out_event e = {.frame = b->piece_frame + frame, .slot = slot, .size = (uint8_t)size};
    memcpy(e.bytes, bytes, size);
    return dsp_ring_push(b->out_ring, &e); /* full: the engine keeps its note-offs for the next callback */
}

/* A device's events due before start + frames, at their frames, in time order. */
static void gather_input(const pa_backend *b, pa_midi_device *d, uint64_t start, uint32_t frames)
{
    d->count = 0;
    uint32_t last = 0;
    while (d->count < JAM_MAX_EVENTS) {
        pa_in_event e;
        if (d->has_held) {
            e = d->held;
            d->has_held = false;
        } else if (!dsp_ring_pop(d->ring, &e))
            break;
        uint32_t at = 0;
        if (e.frame >= start + frames) {
            if (e.frame - start <= b->hold_limit) {
                d->held = e;
                d->has_held = true;
                break;
            }
            /* further ahead than the map ever puts an event: the map is off, play it now */
        } else if (e.frame > start) {
            at = (uint32_t)(e.frame - start);
        }
        if (at < last)
            at = last;
        last = at;
        jam_midi *m = &d->events[d->count++];
        m->frame = at;
        m->size = e.size;
        memcpy(m->bytes, e.bytes, sizeof m->bytes);
    }
}

static int on_audio(const void *input, void *output, unsigned long frames, const PaStreamCallbackTimeInfo *time_info,
                    PaStreamCallbackFlags flags, void *user)
{
    pa_backend *b = user;
    float *out = output;
    (void)input;
    (void)time_info;
    RT_ENTER();
    if (flags & paOutputUnderflow)
        jam_count_xrun(b->j);
    atomic_store_explicit(&b->clock_frame, b->frame, memory_order_release);
    atomic_store_explicit(&b->clock_started, true, memory_order_release);

    for (unsigned long done = 0; done < frames;) {
        uint32_t n = frames - done > b->base.max_frames ? b->base.max_frames : (uint32_t)(frames - done);
        for (int i = 0; i < b->input_count; i++)
            gather_input(b, b->inputs[i], b->frame, n);
        jam_io io = {.frames = n, .write = write_midi, .write_user = b};
        for (int s = 0; s < b->slot_count; s++) {
            const pa_midi_device *d = b->slot_in[s] >= 0 ? b->inputs[b->slot_in[s]] : NULL;
            io.in[s] = d ? d->events : b->no_events;
            io.in_count[s] = d ? d->count : 0;
        }
        const pa_midi_device *control = b->control_in >= 0 ? b->inputs[b->control_in] : NULL;
        io.control = control ? control->events : b->no_events;
        io.control_count = control ? control->count : 0;
        if (b->click_buffer) {
            memset(b->click_buffer, 0, n * sizeof *b->click_buffer);
            io.click = b->click_buffer;
        }
        b->piece_frame = b->frame;
        jam_process(b->j, &io);

        float *o = out + done * (unsigned long)b->channels;
        for (uint32_t i = 0; i < n; i++) {
            float v = b->click_buffer ? b->click_buffer[i] : 0.0f;
            for (int c = 0; c < b->channels; c++)
                *o++ = v;
        }
        b->frame += n;
        done += n;
    }
    RT_EXIT();
    return paContinue;
}

static void on_finished(void *user)
{
    pa_backend *b = user;
    atomic_store(&b->stream_finished, true);
}

/* ---- The MIDI thread --------------------------------------------------------------------- */

static void update_map(pa_backend *b, double now)
{
    if (!atomic_load_explicit(&b->clock_started, memory_order_acquire))
        return;
    uint64_t frame = atomic_load_explicit(&b->clock_frame, memory_order_acquire);
    double seen = now - (double)frame * 1e3 / b->base.sample_rate;
    double risen = b->offset_known ? b->offset_ms + (now - b->offset_seen_ms) * PA_DRIFT : seen;
    b->offset_ms = risen < seen ? risen : seen;
    b->offset_seen_ms = now;
    b->offset_known = true;
}

static uint64_t input_frame(const pa_backend *b, PmTimestamp stamp)
{
    if (!b->offset_known)
        return 0; /* before the first callback: at once */
    double frame = ((double)stamp - b->offset_ms) * b->base.sample_rate / 1e3 + (double)b->input_delay;
    return frame > 0 ? (uint64_t)frame : 0;
}

static void read_inputs(pa_backend *b)
{
    for (int i = 0; i < b->input_count; i++) {
        pa_midi_device *d = b->inputs[i];
        unsigned dropped = 0;
        for (int round = 0; d->stream && !d->dead && round < 16; round++) {
            PmEvent buffer[64];
            int n = Pm_Read(d->stream, buffer, 64);
            if (n == pmBufferOverflow) { /* PortMidi's own queue overflowed: some were lost */
                dropped++;
                continue;
            }
            if (n < 0) {
                char host[PM_HOST_ERROR_MSG_LEN] = "", text[PA_MESSAGE_MAX];
                if (n == pmHostError)
                    Pm_GetHostErrorText(host, sizeof host);
                snprintf(text, sizeof text, "PortMidi: reading the MIDI input '%.100s' failed (%.60s%s%.120s): it is left out from now on",
                         d->name, Pm_GetErrorText((PmError)n), host[0] ? ": " : "", host);
                push_message(b, text);
                d->dead = true;
                break;
            }
            for (int k = 0; k < n; k++) {
                uint32_t message = (uint32_t)buffer[k].message;
                uint8_t status = message & 0xFF;
                if (status < 0x80 || status >= 0xF0)
                    continue; /* the engine takes channel messages only */
                pa_in_event e = {.size = (status & 0xE0) == 0xC0 ? 2 : 3}; /* program change, channel pressure: 2 */
                e.bytes[0] = status;
                e.bytes[1] = (message >> 8) & 0x7F;
                e.bytes[2] = e.size == 3 ? (message >> 16) & 0x7F : 0;
                e.frame = input_frame(b, buffer[k].timestamp);
                if (e.frame < d->last_frame)
                    e.frame = d->last_frame;
                d->last_frame = e.frame;
                if (!dsp_ring_push(d->ring, &e))
                    dropped++;
            }
            if (n < 64)
                break;
        }
        if (dropped)
            jam_count_dropped_input(b->j, dropped);
    }
}

/* Write one message to an output device; a failure is said once and the device left alone. */
static void send_midi(pa_backend *b, pa_midi_device *d, PmTimestamp stamp, uint8_t status, uint8_t data1, uint8_t data2)
{
    if (!d->stream || d->dead)
        return;
    if (stamp < d->last_stamp)
        stamp = d->last_stamp;
    d->last_stamp = stamp;
    PmEvent event = {.message = Pm_Message(status, data1, data2), .timestamp = stamp};
    PmError error = Pm_Write(d->stream, &event, 1);
    if (error < 0) {
        char host[PM_HOST_ERROR_MSG_LEN] = "", text[PA_MESSAGE_MAX];
        if (error == pmHostError)
            Pm_GetHostErrorText(host, sizeof host);
        snprintf(text, sizeof text, "PortMidi: writing to the MIDI output '%.100s' failed (%.60s%s%.120s): nothing more goes to it",
                 d->name, Pm_GetErrorText(error), host[0] ? ": " : "", host);
        push_message(b, text);
        d->dead = true;
        return;
    }
    uint8_t *count = &d->sounding[status & 15][data1 & 127];
    if ((status & 0xF0) == 0x90 && data2 > 0)
        *count += *count < 255;
    else if ((status & 0xF0) == 0x80 || (status & 0xF0) == 0x90)
        *count = 0;
}

static void write_outputs(pa_backend *b, double now)
{
    pa_out_event e;
    while (dsp_ring_pop(b->out_ring, &e)) {
        double ahead = b->offset_known ? b->offset_ms + (double)e.frame * 1e3 / b->base.sample_rate - now : 0.0;
        if (ahead < -b->latency_ms) /* late (or the map means nothing): at once */
            ahead = -b->latency_ms;
        if (ahead > 1000.0)
            ahead = 1000.0;
        send_midi(b, b->outputs[b->slot_out[e.slot]], (PmTimestamp)floor(now + ahead), e.bytes[0],
             e.size > 1 ? e.bytes[1] : 0, e.size > 2 ? e.bytes[2] : 0);
    }
}

static void *midi_main(void *user)
{
    pa_backend *b = user;
    for (;;) {
        /* stop() sets quit after the stream stopped: this round then writes out the rest */
        bool quit = atomic_load_explicit(&b->midi_quit, memory_order_acquire);
        double now = now_ms(b);
        update_map(b, now);
        if (!quit)
            read_inputs(b);
        write_outputs(b, now);
        if (quit)
            return NULL;
        struct timespec pause = {0, PA_POLL_NS};
        nanosleep(&pause, NULL);
    }
}

/* ---- The backend ------------------------------------------------------------------------- */

static nn_status pa_start(jam_backend *base, jam *j, char *why)
{
    pa_backend *b = (pa_backend *)base;
    if (!j || b->running || b->stopped) {
        snprintf(why, NN_MESSAGE_SIZE, "PortAudio: start called %s", !j ? "without an engine" : "twice");
        return NN_ERR_ARGUMENT;
    }
    b->j = j;
    double rate = b->base.sample_rate;
    if (b->click && !(b->click_buffer = calloc(b->base.max_frames, sizeof *b->click_buffer))) {
        snprintf(why, NN_MESSAGE_SIZE, "PortAudio: out of memory");
        return NN_ERR_MEMORY;
    }
    double period_ms = b->period * 1e3 / rate;
    double latency = fmax(b->output_latency * 1e3, period_ms + 2.0);
    b->latency_ms = (int)ceil(fmin(latency, 1000.0));
    b->input_delay = b->period + (uint64_t)ceil(0.002 * rate);
    b->hold_limit = 2 * b->input_delay + (uint64_t)ceil(0.1 * rate);

    nn_status status = NN_OK;
    int quiet = quiet_begin();
    for (int i = 0; i < b->input_count && status == NN_OK; i++) {
        pa_midi_device *d = b->inputs[i];
        PmError error = Pm_OpenInput(&d->stream, d->id, NULL, 1024, midi_time, b);
        if (error < 0) {
            d->stream = NULL;
            snprintf(why, NN_MESSAGE_SIZE, "PortMidi: cannot open the MIDI input '%s': %s", d->name, Pm_GetErrorText(error));
            status = NN_ERR_IO;
        } else {
            Pm_SetFilter(d->stream, PM_FILT_REALTIME | PM_FILT_SYSTEMCOMMON);
        }
    }
    for (int i = 0; i < b->output_count && status == NN_OK; i++) {
        pa_midi_device *d = b->outputs[i];
        /* latency > 0: PortMidi schedules each message at its stamp (+ latency) */
        PmError error = Pm_OpenOutput(&d->stream, d->id, NULL, 1024, midi_time, b, b->latency_ms);
        if (error < 0) {
            d->stream = NULL;
            snprintf(why, NN_MESSAGE_SIZE, "PortMidi: cannot open the MIDI output '%s': %s", d->name, Pm_GetErrorText(error));
            status = NN_ERR_IO;
        }
    }
    PaError error = status == NN_OK ? Pa_StartStream(b->stream) : paNoError;
    quiet_end(quiet);
    if (status != NN_OK)
        return status;
    if (error != paNoError) {
        snprintf(why, NN_MESSAGE_SIZE, "PortAudio: cannot start the audio device %s: %s", b->audio_name, Pa_GetErrorText(error));
        return NN_ERR_IO;
    }
    b->running = true;
    if (b->input_count + b->output_count > 0) {
        if (pthread_create(&b->midi_thread, NULL, midi_main, b) != 0) {
            b->stopping = true;
            Pa_StopStream(b->stream);
            b->running = false;
            snprintf(why, NN_MESSAGE_SIZE, "PortMidi: cannot start the MIDI thread");
            return NN_ERR_MEMORY;
        }
        b->midi_running = true;
    }
    return NN_OK;
}

static bool pa_failed(jam_backend *base, char *why)
{
    pa_backend *b = (pa_backend *)base;
    if (!b->running || b->stopping)
        return false;
    PaError active = Pa_IsStreamActive(b->stream);
    if (active == 1 && !atomic_load(&b->stream_finished))
        return false;
    const PaHostErrorInfo *host = Pa_GetLastHostErrorInfo();
    const char *reason = active < 0 ? Pa_GetErrorText(active)
                         : host && host->errorCode && host->errorText && host->errorText[0]
                             ? host->errorText
                             : "the stream ended by itself (the device went away or failed)";
    if (why)
        snprintf(why, NN_MESSAGE_SIZE, "the audio device %s stopped: %s", b->audio_name, reason);
    return true;
}

static bool pa_poll_message(jam_backend *base, char *text, size_t size)
{
    pa_backend *b = (pa_backend *)base;
    pa_message m;
    const char *found = NULL;
    if (b->note_next < b->note_count)
        found = b->notes[b->note_next++].text;
    else if (b->messages && dsp_ring_pop(b->messages, &m))
        found = m.text;
    if (found && text && size)
        snprintf(text, size, "%s", found);
    return found != NULL;
}

static void pa_stop(jam_backend *base)
{
    pa_backend *b = (pa_backend *)base;
    if (b->stopped)
        return;
    /* A stream that ended by itself is not stopped again: PortAudio's JACK host API, whose
     * server went away, would wait ten minutes for a process callback that never comes. */
    b->died = b->running && (atomic_load(&b->stream_finished) || Pa_IsStreamActive(b->stream) != 1);
    b->stopped = b->stopping = true;
    if (b->running && !b->died)
        Pa_StopStream(b->stream);
    b->running = false;
    if (b->midi_running) {
        atomic_store_explicit(&b->midi_quit, true, memory_order_release);
        pthread_join(b->midi_thread, NULL);
        b->midi_running = false;
    }
    /* Notes the engine could not end (the audio stopped first: the device went away) are ended
     * here, after everything it wrote. */
    for (int i = 0; i < b->output_count; i++) {
        pa_midi_device *d = b->outputs[i];
        for (int c = 0; c < 16; c++)
            for (int n = 0; n < 128; n++)
                if (d->sounding[c][n])
                    send_midi(b, d, midi_time(b), (uint8_t)(0x80 | c), (uint8_t)n, 0);
    }
    /* The last messages wait in the ALSA queue until their time; closing the port would drop
     * them (note-offs!): wait until the latest is out, at most 2 s. */
    PmTimestamp last = 0;
    for (int i = 0; i < b->output_count; i++)
        if (b->outputs[i]->stream && !b->outputs[i]->dead && b->outputs[i]->last_stamp > last)
            last = b->outputs[i]->last_stamp;
    double wait = last ? (double)last + b->latency_ms + 2.0 - now_ms(b) : 0.0;
    if (wait > 0) {
        wait = fmin(wait, 2000.0);
        struct timespec pause = {(time_t)(wait / 1e3), (long)(fmod(wait, 1e3) * 1e6)};
        nanosleep(&pause, NULL);
    }
    int quiet = quiet_begin();
    for (int i = 0; i < b->input_count + b->output_count; i++) {
        pa_midi_device *d = i < b->input_count ? b->inputs[i] : b->outputs[i - b->input_count];
        if (d->stream)
            Pm_Close(d->stream);
        d->stream = NULL;
    }
    quiet_end(quiet);
}

static void pa_close(jam_backend *base)
{
    if (!base)
        return;
    pa_backend *b = (pa_backend *)base;
    pa_stop(base);
    int quiet = quiet_begin();
    /* A stream that died is left open, and PortAudio with it: closing it aborts it first, and
     * that can wait for ever (the JACK host API: ten minutes). The process ends next anyway. */
    if (b->stream && !b->died)
        Pa_CloseStream(b->stream);
    if (b->pa_ready && !b->died)
        Pa_Terminate();
    if (b->pm_ready)
        Pm_Terminate();
    quiet_end(quiet);
    for (int i = 0; i < b->input_count; i++) {
        dsp_ring_free(b->inputs[i]->ring);
        free(b->inputs[i]);
    }
    for (int i = 0; i < b->output_count; i++)
        free(b->outputs[i]);
    dsp_ring_free(b->out_ring);
    dsp_ring_free(b->messages);
    free(b->click_buffer);
    free(b);
}

/* ---- Opening ----------------------------------------------------------------------------- */

static nn_status open_audio(pa_backend *b, const jam_backend_options *options, char *why)
{
    const char *wanted = options && options->audio_device ? options->audio_device : "";
    double rate = options ? options->sample_rate : 0.0;
    uint32_t period = options && options->period ? options->period : PA_DEFAULT_PERIOD;
    if (!(rate >= 0.0 && rate <= 768000.0)) {
        snprintf(why, NN_MESSAGE_SIZE, "PortAudio: a sample rate of %g Hz makes no sense", rate);
        return NN_ERR_ARGUMENT;
    }
    if (period > PA_MAX_PERIOD) {
        snprintf(why, NN_MESSAGE_SIZE, "PortAudio: a period of %u frames is too long (at most %d)", period, PA_MAX_PERIOD);
        return NN_ERR_ARGUMENT;
    }
    PaDeviceIndex index = paNoDevice;
    if (wanted[0]) {
        index = find_audio_device(wanted);
        if (index == paNoDevice) {
            snprintf(why, NN_MESSAGE_SIZE, "PortAudio: no audio output device matches '%s' (devices: ", wanted);
            list_audio_devices(why, NN_MESSAGE_SIZE);
            append(why, NN_MESSAGE_SIZE, ")");
            return NN_ERR_ARGUMENT;
        }
    } else {
        index = Pa_GetDefaultOutputDevice();
        for (int i = 0, count = Pa_GetDeviceCount(); !is_output(Pa_GetDeviceInfo(index)) && i < count; i++)
            index = i;
        if (index == paNoDevice || !is_output(Pa_GetDeviceInfo(index))) {
            snprintf(why, NN_MESSAGE_SIZE, "PortAudio: no audio output device");
            return NN_ERR_IO;
        }
    }
    const PaDeviceInfo *info = Pa_GetDeviceInfo(index);
    audio_device_name(index, b->audio_name, sizeof b->audio_name);
    if (rate == 0.0)
        rate = info->defaultSampleRate > 0 ? info->defaultSampleRate : 48000.0;
    b->channels = info->maxOutputChannels < 2 ? info->maxOutputChannels : 2; /* the click, mono, on both */
    PaStreamParameters parameters = {.device = index, .channelCount = b->channels, .sampleFormat = paFloat32,
                                     .suggestedLatency = info->defaultLowOutputLatency};
    int quiet = quiet_begin();
    PaError error = Pa_IsFormatSupported(NULL, &parameters, rate);
    if (error == paNoError)
        error = Pa_OpenStream(&b->stream, NULL, &parameters, rate, period, paNoFlag, on_audio, b);
    quiet_end(quiet);
    if (error != paNoError) {
        b->stream = NULL;
        snprintf(why, NN_MESSAGE_SIZE, "PortAudio: cannot open the audio device %s at %g Hz, %u frames per buffer: %s",
                 b->audio_name, rate, period, Pa_GetErrorText(error));
        return error == paInvalidSampleRate ? NN_ERR_ARGUMENT : NN_ERR_IO;
    }
    Pa_SetStreamFinishedCallback(b->stream, on_finished);
    const PaStreamInfo *stream_info = Pa_GetStreamInfo(b->stream);
    b->base.sample_rate = stream_info && stream_info->sampleRate > 0 ? stream_info->sampleRate : rate;
    b->output_latency = stream_info ? stream_info->outputLatency : 0.0;
    b->period = period;
    b->base.max_frames = period; /* fixed frames per buffer: every callback is this long */
    char text[PA_MESSAGE_MAX];
    snprintf(text, sizeof text, "PortAudio: audio device %.150s, %g Hz, %u frames per buffer, %.1f ms output latency",
             b->audio_name, b->base.sample_rate, period, b->output_latency * 1e3);
    add_note(b, text);
    return NN_OK;
}

static nn_status choose_midi(pa_backend *b, const jam_setup *setup, const char *control, char *why)
{
    bool missing_in = false, missing_out = false;
    PmDeviceID defaults[2] = {default_midi_device(false), default_midi_device(true)};
    for (int s = 0; s < setup->slot_count; s++) {
        const jam_slot_setup *slot = &setup->slots[s];
        for (int input = 1; input >= 0; input--) {
            const char *wanted = input ? slot->connect_in : slot->connect_out;
            PmDeviceID id = wanted[0] ? find_midi_device(wanted, input) : defaults[input];
            if (id == pmNoDevice && wanted[0]) {
                snprintf(why, NN_MESSAGE_SIZE, "%s: %s=%s: no PortMidi %s device matches it (", slot->name,
                         input ? "in" : "out", wanted, input ? "input" : "output");
                list_midi_devices(input, why, NN_MESSAGE_SIZE);
                append(why, NN_MESSAGE_SIZE, ")");
                return NN_ERR_ARGUMENT;
            }
            int *use = input ? &b->slot_in[s] : &b->slot_out[s];
            if (id == pmNoDevice)
                *(input ? &missing_in : &missing_out) = true;
            else if ((*use = use_midi_device(b, id, input)) < 0)
                goto memory;
        }
    }
    if (control && control[0]) {
        PmDeviceID id = find_midi_device(control, true);
        if (id == pmNoDevice) {
            snprintf(why, NN_MESSAGE_SIZE, "--control-in %s: no PortMidi input device matches it (", control);
            list_midi_devices(true, why, NN_MESSAGE_SIZE);
            append(why, NN_MESSAGE_SIZE, ")");
            return NN_ERR_ARGUMENT;
        }
        if ((b->control_in = use_midi_device(b, id, true)) < 0)
            goto memory;
    }
    if (missing_in)
        add_note(b, "PortMidi: no MIDI input device: the models hear nothing");
    if (missing_out)
        add_note(b, "PortMidi: no MIDI output device: the models' notes reach only the recording");
    for (int s = 0; s < setup->slot_count; s++) {
        if (b->slot_in[s] < 0 && b->slot_out[s] < 0)
            continue;
        char text[PA_MESSAGE_MAX];
        snprintf(text, sizeof text, "PortMidi: %s hears %s%.100s%s, plays to %s%.100s%s", setup->slots[s].name,
                 b->slot_in[s] >= 0 ? "'" : "", b->slot_in[s] >= 0 ? b->inputs[b->slot_in[s]]->name : "nothing",
                 b->slot_in[s] >= 0 ? "'" : "", b->slot_out[s] >= 0 ? "'" : "",
                 b->slot_out[s] >= 0 ? b->outputs[b->slot_out[s]]->name : "nothing", b->slot_out[s] >= 0 ? "'" : "");
        add_note(b, text);
    }
    return NN_OK;
memory:
    snprintf(why, NN_MESSAGE_SIZE, "PortMidi: out of memory");
    return NN_ERR_MEMORY;
}

nn_status jam_portaudio_open(const jam_setup *setup, const jam_backend_options *options, jam_backend **out, char *why)
{
    if (out)
        *out = NULL;
    if (!setup || !out || !why || setup->slot_count < 0 || setup->slot_count > JAM_MAX_SLOTS) {
        if (why)
            snprintf(why, NN_MESSAGE_SIZE, "jam_portaudio_open: bad arguments");
        return NN_ERR_ARGUMENT;
    }
    why[0] = 0;
    pa_backend *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(why, NN_MESSAGE_SIZE, "PortAudio: out of memory");
        return NN_ERR_MEMORY;
    }
    b->base = (jam_backend){.name = "PortAudio + PortMidi", .start = pa_start, .failed = pa_failed,
                            .poll_message = pa_poll_message, .stop = pa_stop, .close = pa_close};
    b->slot_count = setup->slot_count;
    b->click = setup->click;
    b->control_in = -1;
    for (int s = 0; s < JAM_MAX_SLOTS; s++)
        b->slot_in[s] = b->slot_out[s] = -1;
    atomic_init(&b->stream_finished, false);
    atomic_init(&b->clock_frame, 0);
    atomic_init(&b->clock_started, false);
    atomic_init(&b->midi_quit, false);
    clock_gettime(CLOCK_MONOTONIC, &b->origin);

    int quiet = quiet_begin();
    PaError error = Pa_Initialize();
    b->pa_ready = error == paNoError;
    Pm_Initialize(); /* without the ALSA sequencer it finds no device; that is not fatal */
    b->pm_ready = true;
    quiet_end(quiet);

    nn_status status = NN_OK;
    if (!b->pa_ready) {
        snprintf(why, NN_MESSAGE_SIZE, "PortAudio: cannot start: %s", Pa_GetErrorText(error));
        status = NN_ERR_IO;
    }
    if (status == NN_OK)
        status = choose_midi(b, setup, options ? options->control_in : NULL, why);
    if (status == NN_OK)
        status = open_audio(b, options, why);
    if (status == NN_OK && (dsp_ring_new(sizeof(pa_out_event), PA_OUT_RING, &b->out_ring) != 0 ||
                            dsp_ring_new(sizeof(pa_message), PA_MESSAGES, &b->messages) != 0)) {
        snprintf(why, NN_MESSAGE_SIZE, "PortAudio: out of memory");
        status = NN_ERR_MEMORY;
    }
    if (status != NN_OK) {
        pa_close(&b->base);
        return status;
    }
    /* the audio device's note first */
    if (b->note_count > 1) {
        pa_message audio = b->notes[b->note_count - 1];
        memmove(&b->notes[1], &b->notes[0], (size_t)(b->note_count - 1) * sizeof b->notes[0]);
        b->notes[0] = audio;
    }
    *out = &b->base;
    return NN_OK;
}

/* ---- Listing ----------------------------------------------------------------------------- */

void jam_portaudio_list(FILE *out)
{
    int quiet = quiet_begin();
    PaError error = Pa_Initialize();
    Pm_Initialize();
    quiet_end(quiet);

    if (error != paNoError) {
        fprintf(out, "PortAudio: cannot start: %s\n", Pa_GetErrorText(error));
    } else {
        fprintf(out, "PortAudio output devices (--audio-device NAME, a part of it, or the number):\n");
        int count = Pa_GetDeviceCount(), shown = 0;
        PaDeviceIndex default_index = Pa_GetDefaultOutputDevice();
        for (int i = 0; i < count; i++) {
            const PaDeviceInfo *info = Pa_GetDeviceInfo(i);
            if (!is_output(info))
                continue;
            const PaHostApiInfo *api = Pa_GetHostApiInfo(info->hostApi);
            fprintf(out, "  %3d  %s  (%s, %g Hz, %d channels)%s\n", i, info->name, api && api->name ? api->name : "?",
                    info->defaultSampleRate, info->maxOutputChannels, i == default_index ? "  [default]" : "");
            shown++;
        }
        if (!shown)
            fprintf(out, "  none\n");
    }
    int count = Pm_CountDevices();
    for (int input = 1; input >= 0; input--) {
        fprintf(out, "PortMidi %s\n", input ? "inputs (in=NAME or a part of it, --control-in NAME):"
                                            : "outputs (out=NAME or a part of it):");
        PmDeviceID default_id = default_midi_device(input);
        int shown = 0;
        for (int i = 0; i < count; i++) {
            const PmDeviceInfo *info = Pm_GetDeviceInfo(i);
            if (!midi_kind(info, input))
                continue;
            fprintf(out, "  %3d  %s  (%s)%s\n", i, info->name, info->interf ? info->interf : "?",
                    i == default_id ? "  [default]" : "");
            shown++;
        }
        if (!shown)
            fprintf(out, "  none%s\n", count ? "" : " (no MIDI device at all: PortMidi on Linux needs the ALSA sequencer, /dev/snd/seq)");
    }

    quiet = quiet_begin();
    Pm_Terminate();
    if (error == paNoError)
        Pa_Terminate();
    quiet_end(quiet);
}
