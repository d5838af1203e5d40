/* backend.h — how nn-jam meets the outside world: JACK (backend_jack.c) or, when no JACK server
 * runs, PortAudio for the audio clock and output and PortMidi for MIDI devices
 * (backend_portaudio.c). A backend only moves MIDI and audio between its ports or devices and
 * jam_process; its process callback keeps the real-time contract (DESIGN.md §2).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * main.c: open (learns the sample rate and the longest period) → jam_new → start → poll
 * failed() while running → stop → close.
 */
#ifndef JAM_BACKEND_H
#define JAM_BACKEND_H

#include "jam.h"

#include <stdio.h>

/* Built with -DJAM_RTSAN (tests: nn-jam-rtsan, nn-jam-rtsan-portaudio) a backend's process
 * callback is a RealtimeSanitizer real-time context between RT_ENTER and RT_EXIT, so a run proves
 * the callback keeps the contract as it really runs. */
#ifdef JAM_RTSAN
void __rtsan_realtime_enter(void);
void __rtsan_realtime_exit(void);
#define RT_ENTER() __rtsan_realtime_enter()
#define RT_EXIT() __rtsan_realtime_exit()
#else
#define RT_ENTER() ((void)0)
#define RT_EXIT() ((void)0)
#endif

typedef struct jam_backend_options {
    const char *client_name;  /**< JACK client name, default "nn-jam" */
    const char *control_in;   /**< JACK port / PortMidi input device for the control input ("" none) */
    const char *audio_device; /**< PortAudio output device (name or part of it; "" the default) */
    double sample_rate;       /**< PortAudio: 0 the device's default */
    uint32_t period;          /**< PortAudio: frames per buffer, 0 = 256 */
} jam_backend_options;

typedef struct jam_backend jam_backend;
struct jam_backend {
    const char *name;         /**< "JACK" or "PortAudio + PortMidi" */
    double sample_rate;
    uint32_t max_frames;      /**< the longest callback it will make */
    /** Register ports / open devices for every slot, start calling jam_process, connect. */
    nn_status (*start)(jam_backend *b, jam *j, char *why);
    /** True (with `why`) once the server or a device went away: the run must end. */
    bool (*failed)(jam_backend *b, char *why);
    /** A message that does not end the run (a MIDI device went away, an input dropped events),
     *  one per call; false when there is none. Called by main.c's loop, off the audio thread. */
    bool (*poll_message)(jam_backend *b, char *text, size_t size);
    /** Stop calling jam_process (safe after a failure); then close frees everything. */
    void (*stop)(jam_backend *b);
    void (*close)(jam_backend *b);
};

/** JACK. With no server running (none is started), *no_server is set and NN_ERR_IO returned. */
nn_status jam_jack_open(const jam_setup *setup, const jam_backend_options *options, jam_backend **out,
                        bool *no_server, char *why);
/** PortAudio (the audio clock: the callback runs even when nothing is heard) and PortMidi. Each
 *  slot's `in` / `out` (and options->control_in) name a PortMidi device, by name or part of
 *  one; a slot without one gets the default input / output device when there is one. */
nn_status jam_portaudio_open(const jam_setup *setup, const jam_backend_options *options, jam_backend **out,
                             char *why);
/** Print PortAudio's output devices and PortMidi's devices (nn-jam --list). */
void jam_portaudio_list(FILE *out);

#endif
