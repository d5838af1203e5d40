/* record.c — the session's recording: events from the audio thread's ring become notes of a
 * note sequence (dsp/music), written as a Standard MIDI File at the end. Main thread only. */
#include "jam_private.h"

#include <stdio.h>
#include <string.h>

enum { TICKS_PER_QUARTER = 960 };

static void open_init(jam *j)
{
    if (j->open_ready)
        return;
    for (int t = 0; t < 2 * JAM_MAX_SLOTS; t++)
        for (int c = 0; c < 16; c++)
            for (int n = 0; n < 128; n++)
                j->open[t][c][n].start = -1;
    j->recording.ticks_per_quarter = TICKS_PER_QUARTER;
    j->open_ready = true;
}

static void close_note(jam *j, int track, int channel, int pitch, uint64_t frame)
{
    jam_open_note *o = &j->open[track][channel][pitch];
    if (o->start < 0)
        return;
    music_note n = {
        .start = (double)o->start / j->rate,
        .end = (double)frame / j->rate,
        .pitch = (uint8_t)pitch,
        .velocity = o->velocity,
        .is_drum = channel == 9,
        .instrument = track,
    };
    if (music_seq_add_note(&j->recording, &n) == MUSIC_OK)
        j->track_notes[track]++;
    o->start = -1;
}

void jam_record_drain(jam *j)
{
    open_init(j);
    jam_record_event e;
    while (dsp_ring_pop(j->record, &e)) {
        double time = (double)e.frame / j->rate;
        if (e.frame > j->last_recorded_frame)
            j->last_recorded_frame = e.frame;
        if (e.type == JAM_RECORD_TEMPO) {
            music_seq_add_tempo(&j->recording, time, e.value);
            continue;
        }
        if (e.type == JAM_RECORD_METER) {
            if (j->recording.time_signatures.count == 0)
                music_seq_add_time_signature(&j->recording, time, e.bytes[0], e.bytes[1]);
            continue;
        }
        if (e.size < 3 || e.track >= 2 * JAM_MAX_SLOTS || (e.bytes[0] & 0xe0) != 0x80)
            continue;
        int channel = e.bytes[0] & 15, pitch = e.bytes[1] & 127;
        bool on = (e.bytes[0] & 0xf0) == 0x90 && e.bytes[2] > 0;
        close_note(j, e.track, channel, pitch, e.frame);
        if (on) {
            j->open[e.track][channel][pitch].start = (int64_t)e.frame;
            j->open[e.track][channel][pitch].velocity = e.bytes[2];
        }
    }
}

int jam_record_notes(const jam *j, int slot, bool input)
{
    if (slot < 0 || slot >= j->slot_count)
        return 0;
    return j->track_notes[2 * slot + (input ? 1 : 0)];
}

nn_status jam_record_write(jam *j, const char *path, char *why)
{
    jam_record_drain(j);
    /* Notes still sounding (the audio stopped before their note-off) end at the last event. */
    for (int t = 0; t < 2 * JAM_MAX_SLOTS; t++)
        for (int c = 0; c < 16; c++)
            for (int n = 0; n < 128; n++)
                close_note(j, t, c, n, j->last_recorded_frame);
    music_seq_sort(&j->recording);
    char message[MUSIC_MESSAGE_SIZE];
    if (music_midi_write_file(&j->recording, path, message) != MUSIC_OK) {
        snprintf(why, NN_MESSAGE_SIZE, "recording %.200s: %.290s", path, message);
        return NN_ERR_IO;
    }
    return NN_OK;
}

void jam_record_reset(jam *j)
{
    music_seq_free(&j->recording);
    memset(j->track_notes, 0, sizeof j->track_notes);
    j->open_ready = false;
}
