/* seq.c — the note-sequence container: growable for tools, fixed-capacity for real-time cores.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "music_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *music_status_text(music_status status)
{
    switch (status) {
    case MUSIC_OK: return "success";
    case MUSIC_ERR_ARGUMENT: return "invalid argument";
    case MUSIC_ERR_MEMORY: return "out of memory";
    case MUSIC_ERR_IO: return "input/output error";
    case MUSIC_ERR_MALFORMED: return "malformed input";
    case MUSIC_ERR_UNSUPPORTED: return "unsupported input";
    case MUSIC_ERR_FULL: return "container is full";
    case MUSIC_ERR_QUANTIZE: return "cannot quantize";
    case MUSIC_ERR_RANGE: return "value outside the encoding's range";
    }
    return "unknown status";
}

void music_message(char *message, const char *format, ...)
{
    if (!message)
        return;
    va_list args;
    va_start(args, format);
    vsnprintf(message, MUSIC_MESSAGE_SIZE, format, args);
    va_end(args);
}

void music_seq_init(music_seq *seq)
{
    memset(seq, 0, sizeof *seq);
    seq->ticks_per_quarter = 220;
}

void music_seq_free(music_seq *seq)
{
    free(seq->notes.items);
    free(seq->tempos.items);
    free(seq->time_signatures.items);
    free(seq->key_signatures.items);
    free(seq->chords.items);
    free(seq->controls.items);
    music_seq_init(seq);
}

void music_seq_clear(music_seq *seq)
{
    seq->notes.count = seq->tempos.count = seq->time_signatures.count = 0;
    seq->key_signatures.count = seq->chords.count = seq->controls.count = 0;
    seq->total_time = 0.0;
    seq->steps_per_quarter = seq->steps_per_second = 0;
    seq->total_steps = 0;
}

/* Make room for one more item of `size` bytes: double the capacity, or fail when fixed. */
static music_status grow(void **items, int *count, int *capacity, size_t size, bool fixed, int want)
{
    if (want <= *capacity)
        return MUSIC_OK;
    if (fixed)
        return MUSIC_ERR_FULL;
    if (want > (1 << 28))
        return MUSIC_ERR_MEMORY;
    int next = *capacity ? *capacity : 16;
    while (next < want)
        next *= 2;
    void *p = realloc(*items, (size_t)next * size);
    if (!p)
        return MUSIC_ERR_MEMORY;
    *items = p;
    *capacity = next;
    (void)count;
    return MUSIC_OK;
}

#define GROW(seq, array, want)                                                                         \
    grow((void **)&(seq)->array.items, &(seq)->array.count, &(seq)->array.capacity,                  \
         sizeof *(seq)->array.items, (seq)->fixed, (want))

music_status music_seq_reserve(music_seq *seq, int notes, int tempos, int signatures, int chords, int controls)
{
    if (!seq || notes < 0 || tempos < 0 || signatures < 0 || chords < 0 || controls < 0)
        return MUSIC_ERR_ARGUMENT;
    bool fixed = seq->fixed;
    seq->fixed = false;
    music_status st = MUSIC_OK;
    if (st == MUSIC_OK) st = GROW(seq, notes, notes);
    if (st == MUSIC_OK) st = GROW(seq, tempos, tempos);
    if (st == MUSIC_OK) st = GROW(seq, time_signatures, signatures);
    if (st == MUSIC_OK) st = GROW(seq, key_signatures, signatures);
    if (st == MUSIC_OK) st = GROW(seq, chords, chords);
    if (st == MUSIC_OK) st = GROW(seq, controls, controls);
    seq->fixed = fixed;
    return st;
}

void music_seq_fix(music_seq *seq) { seq->fixed = true; }

#define COPY_ARRAY(dst, src, array)                                                                    \
    do {                                                                                               \
        if (st == MUSIC_OK && (src)->array.count) {                                                    \
            st = GROW(dst, array, (src)->array.count);                                                 \
            if (st == MUSIC_OK) {                                                                      \
                memcpy((dst)->array.items, (src)->array.items,                                         \
                       (size_t)(src)->array.count * sizeof *(src)->array.items);                       \
                (dst)->array.count = (src)->array.count;                                               \
            }                                                                                          \
        }                                                                                              \
    } while (0)

music_status music_seq_copy(music_seq *dst, const music_seq *src)
{
    if (!dst || !src)
        return MUSIC_ERR_ARGUMENT;
    music_seq_init(dst);
    music_status st = MUSIC_OK;
    COPY_ARRAY(dst, src, notes);
    COPY_ARRAY(dst, src, tempos);
    COPY_ARRAY(dst, src, time_signatures);
    COPY_ARRAY(dst, src, key_signatures);
    COPY_ARRAY(dst, src, chords);
    COPY_ARRAY(dst, src, controls);
    if (st != MUSIC_OK) {
        music_seq_free(dst);
        return st;
    }
    dst->total_time = src->total_time;
    dst->ticks_per_quarter = src->ticks_per_quarter;
    dst->steps_per_quarter = src->steps_per_quarter;
    dst->steps_per_second = src->steps_per_second;
    dst->total_steps = src->total_steps;
    return MUSIC_OK;
}

music_status music_seq_add_note(music_seq *seq, const music_note *note)
{
    if (!seq || !note || note->pitch > 127 || note->velocity > 127 || note->program > 127 || !(note->start >= 0.0) ||
        !(note->end >= note->start))
        return MUSIC_ERR_ARGUMENT;
    music_status st = GROW(seq, notes, seq->notes.count + 1);
    if (st != MUSIC_OK)
        return st;
    seq->notes.items[seq->notes.count++] = *note;
    if (note->end > seq->total_time)
        seq->total_time = note->end;
    return MUSIC_OK;
}

music_status music_seq_add_tempo(music_seq *seq, double time, double qpm)
{
    if (!seq || !(time >= 0.0) || !(qpm > 0.0) || qpm > 1e6)
        return MUSIC_ERR_ARGUMENT;
    music_status st = GROW(seq, tempos, seq->tempos.count + 1);
    if (st == MUSIC_OK)
        seq->tempos.items[seq->tempos.count++] = (music_tempo){time, qpm};
    return st;
}

music_status music_seq_add_time_signature(music_seq *seq, double time, int numerator, int denominator)
{
    if (!seq || !(time >= 0.0) || numerator < 1 || numerator > 255 || denominator < 1 || denominator > 1 << 20)
        return MUSIC_ERR_ARGUMENT;
    music_status st = GROW(seq, time_signatures, seq->time_signatures.count + 1);
    if (st == MUSIC_OK)
        seq->time_signatures.items[seq->time_signatures.count++] = (music_time_signature){time, numerator, denominator};
    return st;
}

music_status music_seq_add_key_signature(music_seq *seq, double time, int key, int mode)
{
    if (!seq || !(time >= 0.0) || key < 0 || key > 11 || (mode != 0 && mode != 1))
        return MUSIC_ERR_ARGUMENT;
    music_status st = GROW(seq, key_signatures, seq->key_signatures.count + 1);
    if (st == MUSIC_OK)
        seq->key_signatures.items[seq->key_signatures.count++] = (music_key_signature){time, key, mode};
    return st;
}

music_status music_seq_add_chord(music_seq *seq, double time, const char *name)
{
    if (!seq || !name || !(time >= 0.0) || strlen(name) > MUSIC_CHORD_NAME_MAX || !*name)
        return MUSIC_ERR_ARGUMENT;
    music_status st = GROW(seq, chords, seq->chords.count + 1);
    if (st != MUSIC_OK)
        return st;
    music_chord_symbol *c = &seq->chords.items[seq->chords.count++];
    memset(c, 0, sizeof *c);
    c->time = time;
    strcpy(c->name, name);
    return MUSIC_OK;
}

music_status music_seq_add_control(music_seq *seq, const music_control *control)
{
    if (!seq || !control || control->number > 127 || control->value > 127 || control->program > 127 ||
        !(control->time >= 0.0))
        return MUSIC_ERR_ARGUMENT;
    music_status st = GROW(seq, controls, seq->controls.count + 1);
    if (st == MUSIC_OK)
        seq->controls.items[seq->controls.count++] = *control;
    return st;
}

/* Stable sorts. Tools get a merge sort (O(n log n) on any input, one scratch buffer); a fixed
 * sequence (a real-time core's, small and nearly sorted) gets an insertion sort that needs no
 * memory, which is also the fallback when the scratch cannot be had. */
typedef int (*less_fn)(const void *a, const void *b);

static void insertion_sort(unsigned char *base, int count, size_t size, less_fn less, unsigned char *tmp)
{
    for (int i = 1; i < count; i++) {
        memcpy(tmp, base + (size_t)i * size, size);
        int j = i - 1;
        while (j >= 0 && less(tmp, base + (size_t)j * size)) {
            memcpy(base + (size_t)(j + 1) * size, base + (size_t)j * size, size);
            j--;
        }
        memcpy(base + (size_t)(j + 1) * size, tmp, size);
    }
}

static void stable_sort(void *items, int count, size_t size, less_fn less, bool fixed)
{
    union {
        music_note note;
        music_tempo tempo;
        music_time_signature time_signature;
        music_key_signature key_signature;
        music_chord_symbol chord;
        music_control control;
    } one; /* room for any one item */
    unsigned char *tmp = (unsigned char *)&one;
    unsigned char *base = items, *scratch = fixed || count < 32 ? NULL : malloc((size_t)count * size);
    if (!scratch) {
        insertion_sort(base, count, size, less, tmp);
        return;
    }
    unsigned char *from = base, *to = scratch;
    for (int width = 1; width < count; width *= 2) {
        for (int lo = 0; lo < count; lo += 2 * width) {
            int mid = lo + width < count ? lo + width : count, hi = lo + 2 * width < count ? lo + 2 * width : count;
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi) /* take from the right only when strictly less: stable */
                if (less(from + (size_t)j * size, from + (size_t)i * size))
                    memcpy(to + (size_t)k++ * size, from + (size_t)j++ * size, size);
                else
                    memcpy(to + (size_t)k++ * size, from + (size_t)i++ * size, size);
            memcpy(to + (size_t)k * size, from + (size_t)i * size, (size_t)(mid - i) * size);
            k += mid - i;
            memcpy(to + (size_t)k * size, from + (size_t)j * size, (size_t)(hi - j) * size);
        }
        unsigned char *t = from;
        from = to;
        to = t;
    }
    if (from != base)
        memcpy(base, from, (size_t)count * size);
    free(scratch);
}

static int note_less(const void *pa, const void *pb)
{
    const music_note *a = pa, *b = pb;
    if (a->start != b->start)
        return a->start < b->start;
    if (a->pitch != b->pitch)
        return a->pitch < b->pitch;
    return a->end < b->end;
}

/* Every other array begins with its double time. */
static int time_less(const void *a, const void *b) { return *(const double *)a < *(const double *)b; }

#define SORT(seq, array, less) \
    stable_sort((seq)->array.items, (seq)->array.count, sizeof *(seq)->array.items, less, (seq)->fixed)

void music_seq_sort(music_seq *seq)
{
    SORT(seq, notes, note_less);
    SORT(seq, tempos, time_less);
    SORT(seq, time_signatures, time_less);
    SORT(seq, key_signatures, time_less);
    SORT(seq, chords, time_less);
    SORT(seq, controls, time_less);
}
