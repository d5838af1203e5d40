/* fuzz_midi_read.c — libFuzzer target: music_midi_read_memory on arbitrary bytes, then the
 * sequence's invariants, apply_sustain and a sort on whatever reads.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#include "music.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    music_seq seq;
    char why[MUSIC_MESSAGE_SIZE];
    music_seq_init(&seq);
    music_status st = music_midi_read_memory(data, size, "fuzz.mid", &seq, why);
    if (st != MUSIC_OK) {
        CHECK(st == MUSIC_ERR_MALFORMED || st == MUSIC_ERR_UNSUPPORTED, "status %d: %s", st, why);
        CHECK(strncmp(why, "fuzz.mid: byte ", 15) == 0, "message \"%s\"", why);
        CHECK(seq.notes.count == 0 && seq.controls.count == 0 && seq.tempos.count == 0, "a refused read left data");
    } else {
        /* every stored item comes from input bytes: a tiny file cannot claim much */
        CHECK((size_t)seq.notes.count <= size && (size_t)seq.tempos.count <= size, "%d notes from %zu bytes",
              seq.notes.count, size);
        for (int i = 0; i < seq.notes.count; i++) {
            const music_note *n = &seq.notes.items[i];
            CHECK(n->start >= 0 && n->end > n->start && n->end <= seq.total_time && n->pitch < 128 &&
                      n->velocity > 0 && n->velocity < 128 && n->instrument >= 0,
                  "note %d: pitch %d [%g, %g]", i, n->pitch, n->start, n->end);
        }
        CHECK(seq.tempos.count >= 1 && seq.tempos.items[0].time == 0.0, "no tempo at time 0");
        CHECK(music_seq_apply_sustain(&seq) == MUSIC_OK, "apply_sustain failed");
        music_seq_sort(&seq);
    }
    music_seq_free(&seq);
    return 0;
}
