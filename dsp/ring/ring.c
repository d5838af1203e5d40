/* ring.c — the SPSC ring of ring.h. Counters run freely (64-bit, never wrap in practice) and
 * index with a mask; each side caches nothing, so both stay correct under any interleaving. */
#include "ring.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct dsp_ring {
    _Alignas(64) atomic_uint_fast64_t head; /* next record to write: the producer's */
    _Alignas(64) atomic_uint_fast64_t tail; /* next record to read: the consumer's */
    _Alignas(64) size_t record_size;
    uint64_t mask;
    unsigned char *records;
};

int dsp_ring_new(size_t record_size, size_t capacity, dsp_ring **out)
{
    if (!out)
        return -1;
    *out = NULL;
    if (record_size == 0 || capacity == 0 || capacity > ((size_t)1 << 24))
        return -1;
    size_t n = 1;
    while (n < capacity)
        n <<= 1;
    dsp_ring *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    r->records = calloc(n, record_size);
    if (!r->records) {
        free(r);
        return -1;
    }
    r->record_size = record_size;
    r->mask = n - 1;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    *out = r;
    return 0;
}

void dsp_ring_free(dsp_ring *ring)
{
    if (!ring)
        return;
    free(ring->records);
    free(ring);
}

bool dsp_ring_push(dsp_ring *ring, const void *record)
{
    uint64_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_acquire);
    if (head - tail > ring->mask)
        return false;
    memcpy(ring->records + (head & ring->mask) * ring->record_size, record, ring->record_size);
    atomic_store_explicit(&ring->head, head + 1, memory_order_release);
    return true;
}

bool dsp_ring_pop(dsp_ring *ring, void *record)
{
    uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
    if (head == tail)
        return false;
    memcpy(record, ring->records + (tail & ring->mask) * ring->record_size, ring->record_size);
    atomic_store_explicit(&ring->tail, tail + 1, memory_order_release);
    return true;
}

size_t dsp_ring_count(const dsp_ring *ring)
{
    uint64_t tail = atomic_load_explicit(&((dsp_ring *)ring)->tail, memory_order_acquire);
    uint64_t head = atomic_load_explicit(&((dsp_ring *)ring)->head, memory_order_acquire);
    return (size_t)(head - tail);
}

size_t dsp_ring_capacity(const dsp_ring *ring)
{
    return (size_t)ring->mask + 1;
}
