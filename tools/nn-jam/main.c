/* nn-jam — the suite's models played live: under JACK, or with PortAudio and PortMidi when no
 * JACK server runs. `nn-jam --help` says how.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * This thread sets up, then loops every 20 ms: the recording drained, the view and keys, the
 * backend's news; it ends on q, Ctrl-C / SIGTERM, --duration or a backend that failed, always
 * ending every note and writing the recording (atomically) before it exits.
 */
#define _GNU_SOURCE
#include "backend.h"
#include "ui.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t quit_signal;

static void on_signal(int sig) { quit_signal = sig; }

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nn-jam [options] -m KIND[,key=value...] [-m ...]\n"
            "Plays the suite's models live: under JACK, or PortAudio + PortMidi when no JACK server runs.\n"
            "\n"
            "  -m, --model SPEC      a model: melody, drums, improv, performance or genie, then settings:\n"
            "                        name=NAME model=FILE.nnm in=PORT out=PORT in_channel=N, any control\n"
            "                        (temperature=0.9 mode=continue|answer|free length_bars=2 loop_bars=2\n"
            "                        steps_per_quarter=4 pitch_low=48 pitch_high=84 transpose=0 velocity=100\n"
            "                        channel=1 seed=1 chord_source=held|progression split_note=60\n"
            "                        notes_per_second=0 velocity_mode=0 mute=off), progression=C Am F G7,\n"
            "                        buttons=60:62:64:65:67:69:71:72 (or the first of 8), drum_notes=36:38:...,\n"
            "                        cc.21=temperature or cc.CH.21=temperature (a CC mapped to a control)\n"
            "  -c, --config FILE     settings from a file: global key = value lines, then [name] sections\n"
            "  --bpm N               the own clock's tempo (default 120)\n"
            "  --beats-per-bar N     (default 4)\n"
            "  --clock auto|own|jack auto: JACK's transport when a timebase master gives bars and beats\n"
            "  --tap-note N          a note on control_in that taps the tempo\n"
            "  --click               a metronome on the audio output\n"
            "  --record FILE         the session's MIDI file (default nn-jam-DATE-TIME.mid)\n"
            "  --no-record\n"
            "  --backend auto|jack|portaudio\n"
            "  --name NAME           JACK client name (default nn-jam)\n"
            "  --control-in PORT     connect the control input (tap note, CCs) to this port / device\n"
            "  --audio-device NAME --rate HZ --period FRAMES   PortAudio's output\n"
            "  --duration SECONDS    stop after this much audio\n"
            "  --no-ui               no terminal view: a status line every --log-seconds (default 1)\n"
            "  --log-seconds S       (0: none)\n"
            "  --report              each model's time per callback (%% of the period) at the end\n"
            "  --list                PortAudio and PortMidi devices\n"
            "Ports under JACK: NAME_in, NAME_out (MIDI) per model, control_in, click (--click).\n"
            "Keys: 1-8 model, r regenerate, m mute, +/- temperature, c/[/] a control, l learn,\n"
            "      space start/stop, t tap, p panic, q quit.\n");
}

/* The value after option argv[*k], or NULL with a message. */
static const char *option_value(int argc, char **argv, int *k)
{
    if (*k + 1 >= argc) {
        fprintf(stderr, "nn-jam: %s needs a value\n", argv[*k]);
        return NULL;
    }
    return argv[++*k];
}

static void report_cpu(jam *j)
{
    const jam_setup *s = jam_get_setup(j);
    jam_cpu_report r;
    printf("time per callback, %% of the period (median / p99 / max):\n");
    for (int i = -1; i < s->slot_count; i++) {
        jam_cpu_report_get(j, i, &r);
        printf("  %-16s %-12s %7.3f / %7.3f / %7.3f   (%llu callbacks)\n", i < 0 ? "all" : s->slots[i].name,
               i < 0 ? "" : jam_kind_name(s->slots[i].kind), r.median, r.p99, r.max, (unsigned long long)r.callbacks);
    }
}

int main(int argc, char **argv)
{
    char why[NN_MESSAGE_SIZE];
    jam_setup setup;
    jam_setup_init(&setup);
    jam_backend_options options = {.client_name = "nn-jam", .control_in = "", .audio_device = ""};
    const char *backend = "auto";
    double log_seconds = 1;
    bool no_ui = false, report = false, record = true, record_given = false;

    for (int k = 1; k < argc; k++) {
        const char *a = argv[k], *v = NULL;
        nn_status st = NN_OK;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--list")) {
#ifdef JAM_HAVE_PORTAUDIO
            jam_portaudio_list(stdout);
            return 0;
#else
            printf("nn-jam was built without PortAudio and PortMidi\n");
            return 0;
#endif
        } else if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
            if (!(v = option_value(argc, argv, &k)))
                return 1;
            st = jam_setup_parse_slot(&setup, v, why);
        } else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
            if (!(v = option_value(argc, argv, &k)))
                return 1;
            st = jam_setup_read_file(&setup, v, why);
        } else if (!strcmp(a, "--bpm") || !strcmp(a, "--beats-per-bar") || !strcmp(a, "--clock") ||
                   !strcmp(a, "--tap-note") || !strcmp(a, "--record")) {
            if (!(v = option_value(argc, argv, &k)))
                return 1;
            char key[32];
            snprintf(key, sizeof key, "%s", a + 2);
            for (char *c = key; *c; c++)
                if (*c == '-')
                    *c = '_';
            st = jam_setup_set_global(&setup, key, v, why);
            if (!strcmp(a, "--record"))
                record_given = true;
        } else if (!strcmp(a, "--click")) {
            setup.click = true;
        } else if (!strcmp(a, "--no-record")) {
            record = false;
        } else if (!strcmp(a, "--backend")) {
            if (!(v = option_value(argc, argv, &k)))
                return 1;
            backend = v;
            if (strcmp(v, "auto") && strcmp(v, "jack") && strcmp(v, "portaudio")) {
                fprintf(stderr, "nn-jam: --backend: \"%s\" is not auto, jack or portaudio\n", v);
                return 1;
            }
        } else if (!strcmp(a, "--name")) {
            if (!(options.client_name = option_value(argc, argv, &k)))
                return 1;
        } else if (!strcmp(a, "--control-in")) {
            if (!(options.control_in = option_value(argc, argv, &k)))
                return 1;
        } else if (!strcmp(a, "--audio-device")) {
            if (!(options.audio_device = option_value(argc, argv, &k)))
                return 1;
        } else if (!strcmp(a, "--rate") || !strcmp(a, "--period") || !strcmp(a, "--duration") ||
                   !strcmp(a, "--log-seconds")) {
            if (!(v = option_value(argc, argv, &k)))
                return 1;
            char *end = NULL;
            double x = strtod(v, &end);
            bool bad = end == v || *end || !(x >= 0) || x > 1e7 ||
                       (!strcmp(a, "--rate") && x != 0 && (x < 8000 || x > 768000)) ||
                       (!strcmp(a, "--period") && x != 0 && (x < 16 || x > 8192));
            if (bad) {
                fprintf(stderr, "nn-jam: %s: \"%s\" is not a usable value\n", a, v);
                return 1;
            }
            if (!strcmp(a, "--rate"))
                options.sample_rate = x;
            else if (!strcmp(a, "--period"))
                options.period = (uint32_t)x;
            else if (!strcmp(a, "--duration"))
                setup.duration = x;
            else
                log_seconds = x;
        } else if (!strcmp(a, "--no-ui")) {
            no_ui = true;
        } else if (!strcmp(a, "--report")) {
            report = true;
        } else {
            fprintf(stderr, "nn-jam: unknown option \"%s\" (nn-jam --help)\n", a);
            return 1;
        }
        if (st != NN_OK) {
            fprintf(stderr, "nn-jam: %s\n", why);
            return 1;
        }
    }
    if (setup.slot_count == 0) {
        fprintf(stderr, "nn-jam: no model to run: give at least one with -m KIND (melody, drums, improv, "
                        "performance, genie); nn-jam --help\n");
        return 1;
    }
    if (!record)
        setup.record_path[0] = 0;
    else if (!record_given && !setup.record_path[0]) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(setup.record_path, sizeof setup.record_path, "nn-jam-%Y%m%d-%H%M%S.mid", &tm);
    }

    /* The backend: JACK when a server runs, else PortAudio + PortMidi (and say so). */
    jam_backend *b = NULL;
    nn_status st = NN_ERR_ARGUMENT;
    bool no_server = false;
#ifdef JAM_HAVE_JACK
    if (strcmp(backend, "portaudio")) {
        st = jam_jack_open(&setup, &options, &b, &no_server, why);
        if (st != NN_OK && (!no_server || !strcmp(backend, "jack"))) {
            fprintf(stderr, "nn-jam: %s\n", why);
            return 1;
        }
    }
#else
    if (!strcmp(backend, "jack")) {
        fprintf(stderr, "nn-jam: built without JACK (libjack-jackd2-dev)\n");
        return 1;
    }
#endif
    if (!b) {
#ifdef JAM_HAVE_PORTAUDIO
        if (no_server)
            fprintf(stderr, "nn-jam: no JACK server is running: using PortAudio + PortMidi\n");
        st = jam_portaudio_open(&setup, &options, &b, why);
        if (st != NN_OK) {
            fprintf(stderr, "nn-jam: %s\n", why);
            return 1;
        }
#else
        fprintf(stderr, "nn-jam: %s, and nn-jam was built without PortAudio and PortMidi\n",
                no_server ? "no JACK server is running" : "no backend");
        return 1;
#endif
    }

    jam *j = NULL;
    if (jam_new(&setup, b->sample_rate, b->max_frames, &j, why) != NN_OK) {
        fprintf(stderr, "nn-jam: %s\n", why);
        b->close(b);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (b->start(b, j, why) != NN_OK) {
        fprintf(stderr, "nn-jam: %s\n", why);
        b->stop(b);
        b->close(b);
        jam_free(j);
        return 1;
    }
    bool interactive = !no_ui && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    fprintf(stderr, "nn-jam: %s at %.0f Hz;", b->name, b->sample_rate);
    for (int i = 0; i < setup.slot_count; i++)
        fprintf(stderr, " %s (%s)", setup.slots[i].name, jam_kind_name(setup.slots[i].kind));
    fprintf(stderr, "%s%s\n", setup.record_path[0] ? "; recording to " : "", setup.record_path);
    jam_ui *ui = jam_ui_new(j, b->name, interactive, interactive ? 0 : log_seconds);

    int status = 0;
    const char *ended = "stopped";
    const struct timespec tick = {0, 20 * 1000 * 1000};
    for (;;) {
        nanosleep(&tick, NULL);
        jam_record_drain(j);
        char text[NN_MESSAGE_SIZE];
        while (b->poll_message && b->poll_message(b, text, sizeof text))
            fprintf(stderr, "nn-jam: %s\n", text);
        if (!jam_ui_tick(ui))
            break;
        if (b->failed(b, why)) {
            fprintf(stderr, "nn-jam: %s\n", why);
            status = 1;
            ended = NULL;
            break;
        }
        if (quit_signal) {
            ended = quit_signal == SIGINT ? "interrupted" : "terminated";
            break;
        }
        if (setup.duration > 0 && jam_ui_status(ui)->stopped)
            break; /* the engine ended every note at --duration's frame */
    }

    /* End every note (the callback does it and says when), then stop the audio. */
    if (status == 0) {
        jam_command stop = {.type = JAM_CMD_STOP};
        for (int tries = 0; tries < 100 && !jam_send(j, &stop); tries++)
            nanosleep(&tick, NULL);
        for (int tries = 0; tries < 100 && !jam_ui_status(ui)->stopped; tries++) {
            nanosleep(&tick, NULL);
            jam_record_drain(j);
            jam_ui_tick(ui);
            if (b->failed(b, why))
                break;
        }
    }
    b->stop(b);
    jam_ui_free(ui);
    if (ended)
        fprintf(stderr, "nn-jam: %s\n", ended);
    if (setup.record_path[0]) {
        if (jam_record_write(j, setup.record_path, why) != NN_OK) {
            fprintf(stderr, "nn-jam: %s\n", why);
            status = 1;
        } else {
            int notes = 0;
            for (int i = 0; i < setup.slot_count; i++)
                notes += jam_record_notes(j, i, false) + jam_record_notes(j, i, true);
            fprintf(stderr, "nn-jam: recording saved: %s (%d notes)\n", setup.record_path, notes);
        }
    }
    if (report)
        report_cpu(j);
    b->close(b);
    jam_free(j);
    return status;
}
