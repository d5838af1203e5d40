/* ring.h — a lock-free single-producer single-consumer ring of fixed-size records, the one way
 * the suite's real-time threads talk to the others (nn-jam: keyboard commands in, status,
 * recorded MIDI and notices out).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 *     dsp_ring *r = NULL;
 *     if (dsp_ring_new(sizeof(my_record), 1024, &r) != 0) ...   // off the audio thread
 *     producer:  if (!dsp_ring_push(r, &record)) dropped++;       // never waits
 *     consumer:  while (dsp_ring_pop(r, &record)) use(&record);
 *     dsp_ring_free(r);
 *
 * Exactly one thread pushes and exactly one pops; either may be the real-time one. Push and pop
 * copy one record and touch only two atomic counters (release on publish, acquire on read):
 * no allocation, lock, wait or system call. The capacity is rounded up to a power of two.
 */
#ifndef DSP_RING_H
#define DSP_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dsp_ring dsp_ring;

/** A ring of at least `capacity` records of `record_size` bytes (both > 0; capacity at most 2^24).
 *  Returns 0, or -1 on a bad argument or failed allocation (*out is then NULL). Not real-time safe. */
int dsp_ring_new(size_t record_size, size_t capacity, dsp_ring **out);
void dsp_ring_free(dsp_ring *ring); /**< NULL is a no-op */

/** Producer: copy `record` in; false (and nothing written) when the ring is full. */
bool dsp_ring_push(dsp_ring *ring, const void *record);
/** Consumer: copy the oldest record out; false when the ring is empty. */
bool dsp_ring_pop(dsp_ring *ring, void *record);
/** Consumer: records waiting (a lower bound while the producer pushes). */
size_t dsp_ring_count(const dsp_ring *ring);
/** Records it can hold. */
size_t dsp_ring_capacity(const dsp_ring *ring);

#ifdef __cplusplus
}
#endif

#endif
