/* split.c — cutting a note sequence into pieces, as note_seq's sequences_lib does before its
 * pipelines quantize (TimeChangeSplitter, Splitter). Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "music.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A stable merge sort of indices by time (Python's sorted() is stable, and the order of equal
 * times decides which state event a piece keeps). */
static void sort_indices_by_time(const double *times, int *order, int *scratch, int n)
{
    for (int width = 1; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                scratch[k++] = times[order[j]] < times[order[i]] ? order[j++] : order[i++];
            while (i < mid)
                scratch[k++] = order[i++];
            while (j < hi)
                scratch[k++] = order[j++];
        }
        memcpy(order, scratch, (size_t)n * sizeof *order);
    }
}

/* The kinds of state events _extract_subsequences carries into every piece. */
enum { STATE_TIME_SIGNATURE, STATE_KEY_SIGNATURE, STATE_TEMPO, STATE_CHORD, STATE_KINDS };

static int state_count(const music_seq *seq, int kind)
{
    switch (kind) {
    case STATE_TIME_SIGNATURE: return seq->time_signatures.count;
    case STATE_KEY_SIGNATURE: return seq->key_signatures.count;
    case STATE_TEMPO: return seq->tempos.count;
    default: return seq->chords.count;
    }
}

static double state_time(const music_seq *seq, int kind, int i)
{
    switch (kind) {
    case STATE_TIME_SIGNATURE: return seq->time_signatures.items[i].time;
    case STATE_KEY_SIGNATURE: return seq->key_signatures.items[i].time;
    case STATE_TEMPO: return seq->tempos.items[i].time;
    default: return seq->chords.items[i].time;
    }
}

static music_status state_add(music_seq *piece, const music_seq *seq, int kind, int i, double time)
{
    switch (kind) {
    case STATE_TIME_SIGNATURE:
        return music_seq_add_time_signature(piece, time, seq->time_signatures.items[i].numerator,
                                            seq->time_signatures.items[i].denominator);
    case STATE_KEY_SIGNATURE:
        return music_seq_add_key_signature(piece, time, seq->key_signatures.items[i].key, seq->key_signatures.items[i].mode);
    case STATE_TEMPO: return music_seq_add_tempo(piece, time, seq->tempos.items[i].qpm);
    default: return music_seq_add_chord(piece, time, seq->chords.items[i].name);
    }
}

static bool is_preserved_pedal(int number)
{
    return number == 64 || number == 66 || number == 67; /* DEFAULT_SUBSEQUENCE_PRESERVE_CONTROL_NUMBERS */
}

static music_status add_control_at(music_seq *piece, const music_control *control, double time)
{
    music_control copy = *control;
    copy.time = time;
    copy.step = 0;
    return music_seq_add_control(piece, &copy);
}

/* The last pedal event per (instrument, number), in the order each pair was first seen (the
 * insertion order of _extract_subsequences' dict). */
typedef struct pedal_state {
    int *last; /* index into seq->controls per pair */
    int count;
} pedal_state;

static void pedal_remember(pedal_state *state, const music_seq *seq, int c)
{
    const music_control *e = &seq->controls.items[c];
    for (int k = 0; k < state->count; k++) {
        const music_control *p = &seq->controls.items[state->last[k]];
        if (p->instrument == e->instrument && p->number == e->number) {
            state->last[k] = c;
            return;
        }
    }
    state->last[state->count++] = c;
}

static music_status pedal_add_state(const pedal_state *state, const music_seq *seq, music_seq *piece)
{
    music_status st = MUSIC_OK;
    for (int k = 0; k < state->count && st == MUSIC_OK; k++)
        st = add_control_at(piece, &seq->controls.items[state->last[k]], 0.0);
    return st;
}

music_status music_seq_split_at_times(const music_seq *seq, const double *times, int count, music_seq **pieces_out,
                                      int *piece_count, char *message)
{
    if (message)
        message[0] = '\0';
    if (!seq || !times || !pieces_out || !piece_count)
        return MUSIC_ERR_ARGUMENT;
    *pieces_out = NULL;
    *piece_count = 0;
    if (seq->steps_per_quarter > 0 || seq->steps_per_second > 0) {
        if (message)
            snprintf(message, MUSIC_MESSAGE_SIZE, "split: the sequence is quantized (only unquantized ones can be split)");
        return MUSIC_ERR_QUANTIZE;
    }
    if (count < 2) {
        if (message)
            snprintf(message, MUSIC_MESSAGE_SIZE, "split: %d split times, at least a start and an end are needed", count);
        return MUSIC_ERR_ARGUMENT;
    }
    for (int i = 0; i + 1 < count; i++) {
        if (times[i] > times[i + 1] || times[i] >= seq->total_time) {
            if (message)
                snprintf(message, MUSIC_MESSAGE_SIZE, "split: split time %d (%g s) is %s", i, times[i],
                         times[i] > times[i + 1] ? "after the next one" : "past the end of the sequence");
            return MUSIC_ERR_ARGUMENT;
        }
    }

    int n = count - 1, most = seq->notes.count;
    for (int k = 0; k < STATE_KINDS; k++)
        if (state_count(seq, k) > most)
            most = state_count(seq, k);
    if (seq->controls.count > most)
        most = seq->controls.count;
    music_seq *pieces = calloc((size_t)n, sizeof *pieces);
    int *order = malloc(((size_t)most * 3 + 1) * sizeof *order);
    double *keys = calloc((size_t)most + 1, sizeof *keys);
    if (!pieces || !order || !keys) {
        free(pieces);
        free(order);
        free(keys);
        return MUSIC_ERR_MEMORY;
    }
    int *scratch = order + most, *pedals = order + 2 * most;
    for (int p = 0; p < n; p++) {
        music_seq_init(&pieces[p]);
        pieces[p].ticks_per_quarter = seq->ticks_per_quarter;
    }
    music_status st = MUSIC_OK;

    /* Notes go to the piece they start in, their end cut at its end, times from its start. */
    for (int i = 0; i < seq->notes.count; i++) {
        order[i] = i;
        keys[i] = seq->notes.items[i].start;
    }
    sort_indices_by_time(keys, order, scratch, seq->notes.count);
    int piece = -1;
    for (int i = 0; i < seq->notes.count && st == MUSIC_OK; i++) {
        music_note note = seq->notes.items[order[i]];
        if (note.start < times[0])
            continue;
        while (piece < n && note.start >= times[piece + 1])
            piece++;
        if (piece == n)
            break;
        double end = note.end < times[piece + 1] ? note.end : times[piece + 1];
        note.start -= times[piece];
        note.end = end - times[piece];
        note.start_step = note.end_step = 0;
        st = music_seq_add_note(&pieces[piece], &note);
    }

    /* State events: each piece starts with the one in force at its start (time 0), then those
     * strictly inside it; one exactly on a boundary only becomes the next piece's state. */
    for (int kind = 0; kind < STATE_KINDS && st == MUSIC_OK; kind++) {
        int m = state_count(seq, kind);
        for (int i = 0; i < m; i++) {
            order[i] = i;
            keys[i] = state_time(seq, kind, i);
        }
        sort_indices_by_time(keys, order, scratch, m);
        int previous = -1;
        piece = -1;
        for (int i = 0; i < m && st == MUSIC_OK; i++) {
            double t = keys[order[i]];
            if (t <= times[0]) {
                previous = order[i];
                continue;
            }
            while (piece < n && t > times[piece + 1]) {
                piece++;
                if (piece == n)
                    break;
                if (previous >= 0)
                    st = state_add(&pieces[piece], seq, kind, previous, 0.0);
            }
            if (piece == n)
                break;
            /* piece can still be -1 here only if t <= times[0], handled above. */
            if (t < times[piece + 1] && st == MUSIC_OK)
                st = state_add(&pieces[piece], seq, kind, order[i], t - times[piece]);
            previous = order[i];
        }
        while (piece < n - 1 && st == MUSIC_OK) {
            piece++;
            if (previous >= 0)
                st = state_add(&pieces[piece], seq, kind, previous, 0.0);
        }
    }

    /* Pedals (CC 64, 66, 67) the same way, per instrument and number; other controls dropped. */
    int m = 0;
    for (int i = 0; i < seq->controls.count; i++)
        if (is_preserved_pedal(seq->controls.items[i].number)) {
            order[m] = i;
            keys[i] = seq->controls.items[i].time;
            m++;
        }
    sort_indices_by_time(keys, order, scratch, m);
    pedal_state state = {pedals, 0};
    piece = -1;
    for (int i = 0; i < m && st == MUSIC_OK; i++) {
        const music_control *e = &seq->controls.items[order[i]];
        if (e->time <= times[0]) {
            pedal_remember(&state, seq, order[i]);
            continue;
        }
        while (piece < n && e->time > times[piece + 1]) {
            piece++;
            if (piece == n)
                break;
            st = pedal_add_state(&state, seq, &pieces[piece]);
        }
        if (piece == n)
            break;
        if (e->time < times[piece + 1] && st == MUSIC_OK)
            st = add_control_at(&pieces[piece], e, e->time - times[piece]);
        pedal_remember(&state, seq, order[i]);
    }
    while (piece < n - 1 && st == MUSIC_OK) {
        piece++;
        st = pedal_add_state(&state, seq, &pieces[piece]);
    }

    free(order);
    free(keys);
    if (st != MUSIC_OK) {
        music_seq_pieces_free(pieces, n);
        if (message)
            snprintf(message, MUSIC_MESSAGE_SIZE, "split: %s", music_status_text(st));
        return st;
    }
    /* total_time of a piece: the end of its last (cut) note, 0 without notes. */
    for (int p = 0; p < n; p++) {
        pieces[p].total_time = 0.0;
        for (int i = 0; i < pieces[p].notes.count; i++)
            if (pieces[p].notes.items[i].end > pieces[p].total_time)
                pieces[p].total_time = pieces[p].notes.items[i].end;
    }
    *pieces_out = pieces;
    *piece_count = n;
    return MUSIC_OK;
}

/* The split times found so far, with the final end added: hand them to the extractor. */
static music_status split_finish(const music_seq *seq, double *valid, int count, music_seq **pieces, int *piece_count,
                                 char *message)
{
    if (seq->total_time > valid[count - 1])
        valid[count++] = seq->total_time;
    music_status st = MUSIC_OK;
    if (count > 1)
        st = music_seq_split_at_times(seq, valid, count, pieces, piece_count, message);
    free(valid);
    return st;
}

/* The notes sorted by start, and a cursor that tells whether one sounds across a time. */
typedef struct crossing {
    const music_seq *seq;
    int *order;
    int next;       /* first note not yet started */
    int *sounding;  /* notes started before the last time asked, possibly still sounding */
    int count;
} crossing;

static bool crossing_at(crossing *c, double time)
{
    while (c->next < c->seq->notes.count && c->seq->notes.items[c->order[c->next]].start < time)
        c->sounding[c->count++] = c->order[c->next++];
    int kept = 0;
    for (int i = 0; i < c->count; i++)
        if (c->seq->notes.items[c->sounding[i]].end > time)
            c->sounding[kept++] = c->sounding[i];
    c->count = kept;
    return kept > 0;
}

static music_status crossing_init(crossing *c, const music_seq *seq)
{
    int n = seq->notes.count;
    c->seq = seq;
    c->next = c->count = 0;
    c->order = malloc(((size_t)n * 3 + 1) * sizeof *c->order);
    double *keys = calloc((size_t)n + 1, sizeof *keys);
    if (!c->order || !keys) {
        free(c->order);
        free(keys);
        return MUSIC_ERR_MEMORY;
    }
    c->sounding = c->order + 2 * n;
    for (int i = 0; i < n; i++) {
        c->order[i] = i;
        keys[i] = seq->notes.items[i].start;
    }
    sort_indices_by_time(keys, c->order, c->order + n, n);
    free(keys);
    return MUSIC_OK;
}

music_status music_seq_split_on_time_changes(const music_seq *seq, bool skip_splits_inside_notes, music_seq **pieces,
                                             int *piece_count, char *message)
{
    if (message)
        message[0] = '\0';
    if (!seq || !pieces || !piece_count)
        return MUSIC_ERR_ARGUMENT;
    *pieces = NULL;
    *piece_count = 0;
    int signatures = seq->time_signatures.count, tempos = seq->tempos.count, changes = signatures + tempos;
    /* Time signatures first, then tempos, stably by time: at equal times signatures come first,
     * as sorted(time_signatures + tempos) orders them. */
    int *order = malloc(((size_t)changes * 2 + 1) * sizeof *order);
    double *keys = calloc((size_t)changes + 1, sizeof *keys);
    double *valid = malloc(((size_t)changes + 2) * sizeof *valid);
    crossing cross;
    if (!order || !keys || !valid || crossing_init(&cross, seq) != MUSIC_OK) {
        free(order);
        free(keys);
        free(valid);
        return MUSIC_ERR_MEMORY;
    }
    for (int i = 0; i < changes; i++) {
        order[i] = i;
        keys[i] = i < signatures ? seq->time_signatures.items[i].time : seq->tempos.items[i - signatures].time;
    }
    sort_indices_by_time(keys, order, order + changes, changes);

    int numerator = 4, denominator = 4, count = 1;
    double qpm = 120.0; /* constants.DEFAULT_QUARTERS_PER_MINUTE */
    valid[0] = 0.0;
    for (int k = 0; k < changes; k++) {
        int i = order[k];
        double time = keys[i];
        if (!(time < seq->total_time))
            continue; /* changes at or after the end are ignored */
        bool signature = i < signatures;
        if (signature ? seq->time_signatures.items[i].numerator == numerator &&
                            seq->time_signatures.items[i].denominator == denominator
                      : seq->tempos.items[i - signatures].qpm == qpm)
            continue; /* not a change of value */
        bool inside = crossing_at(&cross, time);
        if (time > valid[count - 1] && !(skip_splits_inside_notes && inside))
            valid[count++] = time;
        /* the current value follows even where no split was made */
        if (signature) {
            numerator = seq->time_signatures.items[i].numerator;
            denominator = seq->time_signatures.items[i].denominator;
        } else {
            qpm = seq->tempos.items[i - signatures].qpm;
        }
    }
    free(order);
    free(keys);
    free(cross.order);
    return split_finish(seq, valid, count, pieces, piece_count, message);
}

music_status music_seq_split_every(const music_seq *seq, double hop_seconds, bool skip_splits_inside_notes,
                                   music_seq **pieces, int *piece_count, char *message)
{
    if (message)
        message[0] = '\0';
    if (!seq || !pieces || !piece_count || !(hop_seconds > 0.0))
        return MUSIC_ERR_ARGUMENT;
    *pieces = NULL;
    *piece_count = 0;
    /* np.arange(hop, total_time, hop): ceil((total - hop) / hop) values hop + i * hop. */
    double span = (seq->total_time - hop_seconds) / hop_seconds;
    long hops = span > 0.0 ? (long)span + ((double)(long)span < span) : 0;
    if (hops > 100000000L) {
        if (message)
            snprintf(message, MUSIC_MESSAGE_SIZE, "split: %ld pieces of %g s is too many", hops, hop_seconds);
        return MUSIC_ERR_RANGE;
    }
    double *valid = malloc(((size_t)hops + 2) * sizeof *valid);
    crossing cross;
    if (!valid || crossing_init(&cross, seq) != MUSIC_OK) {
        free(valid);
        return MUSIC_ERR_MEMORY;
    }
    int count = 1;
    valid[0] = 0.0;
    for (long i = 0; i < hops; i++) {
        double time = hop_seconds + (double)i * hop_seconds;
        bool inside = crossing_at(&cross, time);
        if (!(skip_splits_inside_notes && inside))
            valid[count++] = time;
    }
    free(cross.order);
    return split_finish(seq, valid, count, pieces, piece_count, message);
}

void music_seq_pieces_free(music_seq *pieces, int count)
{
    if (!pieces)
        return;
    for (int i = 0; i < count; i++)
        music_seq_free(&pieces[i]);
    free(pieces);
}
