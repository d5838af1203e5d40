/* jam_rt_host — nn-jam's engine (tools/nn-jam/jam.h) with every jam_process call inside a
 * RealtimeSanitizer real-time context, while another thread does what nn-jam's main loop does:
 * sends commands (mute, regenerate, controls, learn, tempo, transport, panic), polls the status
 * and notices and drains the recording. No violation may occur and no note may hang.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Usage: jam_rt_host PRESETS_DIR [--callbacks N]
 * All five kinds run at once (the starter models), at 44.1, 48 and 96 kHz, in callbacks of 1 to
 * 4096 frames drawn per call, with MIDI into every slot (notes, CCs, genie's buttons), the tap
 * note and CCs on the control input, and JACK-like transport (BBT, stopping and relocating) in
 * half of the runs. At the end JAM_CMD_STOP must leave nothing sounding and the recording must
 * write. The real-time section is the engine's callback exactly as the backends call it.
 */
#define _GNU_SOURCE
#include "jam.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void __rtsan_realtime_enter(void);
void __rtsan_realtime_exit(void);

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

typedef struct sink {
    uint32_t frames;
    int sounding[JAM_MAX_SLOTS][16][128];
    int errors;
    uint64_t notes;
} sink;

static bool write_midi(void *user, int slot, uint32_t frame, const uint8_t *b, uint32_t size)
{
    sink *s = user;
    if (frame >= s->frames || size != 3 || slot < 0 || slot >= JAM_MAX_SLOTS) {
        s->errors++;
        return true;
    }
    if ((b[0] & 0xe0) == 0x80) {
        int *n = &s->sounding[slot][b[0] & 15][b[1] & 127];
        bool on = (b[0] & 0xf0) == 0x90 && b[2];
        if (on == (*n != 0))
            s->errors++; /* struck while sounding, or ended while silent */
        *n = on;
        s->notes += on;
    }
    return true;
}

typedef struct control_thread {
    jam *j;
    atomic_bool stop;
    uint64_t commands, statuses, notices;
} control_thread;

/* nn-jam's main loop, faster: a command every ~0.2 ms, status, notices, the recording. */
static void *control_main(void *arg)
{
    control_thread *c = arg;
    uint64_t r = 77;
    while (!atomic_load(&c->stop)) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        int pick = (int)(r >> 60);
        jam_command cmd = {.slot = (int)((r >> 20) % 5), .control = (int)((r >> 30) % JAM_CONTROLS)};
        switch (pick) {
        case 0: cmd.type = JAM_CMD_MUTE, cmd.value = -1; break;
        case 1: cmd.type = JAM_CMD_REGENERATE; break;
        case 2: cmd.type = JAM_CMD_LEARN; break;
        case 3: cmd.type = JAM_CMD_TEMPO, cmd.value = 60 + (double)((r >> 8) % 200); break;
        case 4: cmd.type = JAM_CMD_TRANSPORT, cmd.value = -1; break;
        case 5: cmd.type = JAM_CMD_PANIC; break;
        case 6: cmd.type = JAM_CMD_LEARN_CANCEL; break;
        default:
            cmd.type = JAM_CMD_SET;
            cmd.control = pick % 2 ? JAM_CTL_TEMPERATURE : (int)((r >> 30) % (JAM_CONTROLS - 1)); /* not regenerate */
            cmd.value = (double)((r >> 12) % 1000) / 100.0 - 2; /* often out of range: clamped */
            break;
        }
        if (cmd.type == JAM_CMD_TRANSPORT && (r >> 40) % 4)
            cmd.type = JAM_CMD_SET; /* stops are rare, or little would play */
        c->commands += jam_send(c->j, &cmd);
        jam_status st;
        c->statuses += jam_poll_status(c->j, &st);
        jam_notice n;
        while (jam_poll_notice(c->j, &n))
            c->notices++;
        jam_record_drain(c->j);
        usleep(200);
    }
    return NULL;
}

static uint32_t random_block(void)
{
    /* log-uniform 1 .. 4096 */
    return (uint32_t)exp(log(4096.0) * (next_random() % 10000) / 9999.0);
}

static int run_rate(const char *presets, double rate, int callbacks, bool transport)
{
    char why[NN_MESSAGE_SIZE], path[JAM_PATH_MAX];
    snprintf(path, sizeof path, "/tmp/jam_rt_host_%d.mid", (int)getpid());
    jam_setup setup;
    jam_setup_init(&setup);
    const char *specs[] = {"melody,mode=answer,length_bars=1", "drums,loop_bars=1", "improv,progression=C Am F G7",
                           "performance,mode=free", "genie,temperature=1"};
    for (int k = 0; k < 5; k++)
        if (jam_setup_parse_slot(&setup, specs[k], why) != NN_OK) {
            fprintf(stderr, "jam_rt_host: %s\n", why);
            return 1;
        }
    jam_setup_set_global(&setup, "tap_note", "36", why);
    jam_setup_set_global(&setup, "click", "on", why);
    jam_setup_set_global(&setup, "record", path, why);
    jam_setup_set(&setup, 0, "cc.21", "temperature", why);
    setenv("NN_JAM_MODELS", presets, 1);
    jam *j = NULL;
    if (jam_new(&setup, rate, 4096, &j, why) != NN_OK) {
        fprintf(stderr, "jam_rt_host: %s\n", why);
        return 1;
    }
    control_thread ct = {.j = j};
    pthread_t thread;
    pthread_create(&thread, NULL, control_main, &ct);

    static sink s;
    memset(&s, 0, sizeof s);
    static jam_midi in[JAM_MAX_SLOTS][64], control[16];
    static float click[4096];
    jam_transport t = {.rolling = true, .bbt = true, .beats_per_bar = 4, .beat_unit = 4, .bpm = 128};
    double beats = 0;
    for (int call = 0; call < callbacks; call++) {
        uint32_t n = random_block();
        jam_io io = {.frames = n, .write = write_midi, .write_user = &s, .click = click, .control = control};
        for (int slot = 0; slot < 5; slot++) {
            io.in[slot] = in[slot];
            int count = (int)(next_random() % 4);
            uint32_t at = 0;
            for (int e = 0; e < count; e++) {
                at += next_random() % (n - at > 0 ? n - at : 1);
                if (at >= n)
                    at = n - 1;
                jam_midi *m = &in[slot][io.in_count[slot]++];
                m->frame = at;
                m->size = 3;
                uint32_t kind = next_random() % 10;
                int note = slot == 4 ? 60 + (int)(next_random() % 8) : 36 + (int)(next_random() % 48);
                m->bytes[0] = (uint8_t)((kind < 5 ? 0x90 : kind < 9 ? 0x80 : 0xb0) | (next_random() % 2));
                m->bytes[1] = (uint8_t)(kind < 9 ? (uint32_t)note : next_random() % 128);
                m->bytes[2] = (uint8_t)(kind < 5 ? 1 + next_random() % 127 : next_random() % 128);
            }
        }
        if (next_random() % 8 == 0) {
            jam_midi *m = &control[io.control_count++];
            m->frame = next_random() % n;
            m->size = 3;
            bool tap = next_random() % 2;
            m->bytes[0] = tap ? 0x99 : 0xb0;
            m->bytes[1] = tap ? 36 : 21;
            m->bytes[2] = (uint8_t)(next_random() % 128);
        }
        if (transport) {
            if (next_random() % 500 == 0)
                t.rolling = !t.rolling;
            if (next_random() % 700 == 0)
                beats = (double)(next_random() % 64); /* a relocation */
            if (next_random() % 900 == 0)
                t.bpm = 60 + next_random() % 140;
            t.bar = floor(beats / 4);
            t.bar_beat = beats - t.bar * 4;
            io.transport = &t;
        }
        s.frames = n;
        __rtsan_realtime_enter();
        jam_process(j, &io);
        __rtsan_realtime_exit();
        if (transport && t.rolling)
            beats += n / rate * t.bpm / 60;
    }
    /* Stop before quitting, as main.c does: everything ends. */
    jam_command stop = {.type = JAM_CMD_STOP};
    atomic_store(&ct.stop, true);
    pthread_join(thread, NULL);
    while (!jam_send(j, &stop))
        ;
    for (int call = 0; call < 4; call++) {
        jam_io io = {.frames = 256, .write = write_midi, .write_user = &s, .transport = transport ? &t : NULL};
        s.frames = 256;
        __rtsan_realtime_enter();
        jam_process(j, &io);
        __rtsan_realtime_exit();
    }
    int hung = 0;
    for (int slot = 0; slot < JAM_MAX_SLOTS; slot++)
        for (int ch = 0; ch < 16; ch++)
            for (int note = 0; note < 128; note++)
                hung += s.sounding[slot][ch][note];
    int status = 0;
    if (jam_record_write(j, path, why) != NN_OK) {
        fprintf(stderr, "jam_rt_host: %s\n", why);
        status = 1;
    }
    unlink(path);
    printf("%.0f Hz%s: %d callbacks, %llu notes, %llu commands, %llu statuses, %llu notices; %d output errors, "
           "%d hung notes\n",
           rate, transport ? " (JACK transport)" : " (own clock)", callbacks, (unsigned long long)s.notes,
           (unsigned long long)ct.commands, (unsigned long long)ct.statuses, (unsigned long long)ct.notices, s.errors,
           hung);
    if (s.errors || hung || s.notes < 10)
        status = 1;
    jam_free(j);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: jam_rt_host PRESETS_DIR [--callbacks N]\n");
        return 2;
    }
    int callbacks = argc > 3 && !strcmp(argv[2], "--callbacks") ? atoi(argv[3]) : 6000;
    int status = 0;
    const double rates[] = {44100, 48000, 96000};
    for (int k = 0; k < 3; k++)
        for (int transport = 0; transport < 2; transport++)
            status |= run_rate(argv[1], rates[k], callbacks, transport);
    printf(status ? "FAILED\n" : "passed: no RealtimeSanitizer report, no hung note\n");
    return status;
}
