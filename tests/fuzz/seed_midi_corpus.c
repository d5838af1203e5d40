/* seed_midi_corpus.c — writes a few small valid MIDI files as the MIDI fuzzer's seed corpus: some
 * through music_midi_write_file, one format 0 file by hand (running status, a tempo change).
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#include "music.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int write_seq(const char *dir, const char *file, const music_seq *seq)
{
    char path[4096], why[MUSIC_MESSAGE_SIZE];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (music_midi_write_file(seq, path, why) != MUSIC_OK) {
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    return 0;
}

static void add(music_seq *seq, int instrument, int program, int drum, int pitch, double start, double end)
{
    music_note n = {.start = start, .end = end, .pitch = (uint8_t)pitch, .velocity = (uint8_t)(60 + pitch % 60),
                    .program = (uint8_t)program, .is_drum = drum != 0, .instrument = instrument};
    music_seq_add_note(seq, &n);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        perror(dir);
        return 1;
    }
    int failed = 0;
    music_seq seq;

    music_seq_init(&seq); /* an empty sequence: the tempo track and an empty instrument track */
    failed |= write_seq(dir, "empty.mid", &seq);
    music_seq_free(&seq);

    music_seq_init(&seq); /* a melody with a tempo change, signatures and sustain */
    seq.ticks_per_quarter = 96;
    music_seq_add_tempo(&seq, 0.0, 100.0);
    music_seq_add_tempo(&seq, 1.5, 140.0);
    music_seq_add_time_signature(&seq, 0.0, 6, 8);
    music_seq_add_key_signature(&seq, 0.0, 9, 1);
    for (int i = 0; i < 12; i++)
        add(&seq, 0, 0, 0, 60 + (i * 5) % 12, 0.25 * i, 0.25 * i + 0.4);
    music_control cc = {.time = 0.5, .number = 64, .value = 127};
    music_seq_add_control(&seq, &cc);
    cc.time = 2.0, cc.value = 0;
    music_seq_add_control(&seq, &cc);
    failed |= write_seq(dir, "melody.mid", &seq);
    music_seq_free(&seq);

    music_seq_init(&seq); /* several instruments, programs and drums */
    for (int i = 0; i < 8; i++) {
        add(&seq, 1, 33, 0, 36 + i, 0.5 * i, 0.5 * i + 0.5);
        add(&seq, 2, 0, 1, 35 + i % 3, 0.5 * i, 0.5 * i + 0.1);
        add(&seq, 3, 80, 0, 72 + i, 0.5 * i + 0.25, 0.5 * i + 0.3);
    }
    failed |= write_seq(dir, "band.mid", &seq);
    music_seq_free(&seq);

    /* by hand: format 0, running status, a tempo change, a sysex and a text event */
    static const unsigned char by_hand[] = {
        'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0, 96,
        'M', 'T', 'r', 'k', 0, 0, 0, 45,
        0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20,
        0x00, 0xf0, 0x03, 0x7e, 0x01, 0xf7,
        0x00, 0xff, 0x01, 0x02, 'h', 'i',
        0x00, 0x90, 0x3c, 0x64,
        0x60, 0x3c, 0x00,
        0x00, 0x90, 0x40, 0x50,
        0x60, 0xff, 0x51, 0x03, 0x0f, 0x42, 0x40,
        0x00, 0x80, 0x40, 0x00,
        0x00, 0xff, 0x2f, 0x00,
    };
    char path[4096];
    snprintf(path, sizeof path, "%s/by_hand.mid", dir);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(by_hand, 1, sizeof by_hand, f) != sizeof by_hand) {
        perror(path);
        failed = 1;
    }
    if (f && fclose(f) != 0)
        failed = 1;
    return failed;
}
