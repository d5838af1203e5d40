/* test_ring — dsp/ring: records come out whole and in order while one thread pushes and another
 * pops at the same time; full and empty are reported, never overwritten; bad arguments refused.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#include "../check.h"
#include "ring.h"

#include <pthread.h>
#include <sched.h>

enum { ITEMS = 300000 };

typedef struct record {
    uint64_t sequence;
    uint64_t check; /* a function of sequence: a torn copy shows */
    char pad[40];
} record;

static uint64_t mix(uint64_t x) { return x * 0x9e3779b97f4a7c15ull ^ (x >> 7); }

static void *producer(void *arg)
{
    dsp_ring *r = arg;
    for (uint64_t i = 0; i < ITEMS;) {
        record rec = {.sequence = i, .check = mix(i)};
        memset(rec.pad, (int)(i & 0xff), sizeof rec.pad);
        if (dsp_ring_push(r, &rec))
            i++;
        else
            sched_yield(); /* full: let the consumer run (qemu-user runs both on few cores) */
    }
    return NULL;
}

int main(void)
{
    dsp_ring *r = NULL;
    CHECK(dsp_ring_new(0, 8, &r) != 0 && !r, "record size 0 refused");
    CHECK(dsp_ring_new(8, 0, &r) != 0 && !r, "capacity 0 refused");
    CHECK(dsp_ring_new(8, ((size_t)1 << 24) + 1, &r) != 0 && !r, "capacity over 2^24 refused");
    dsp_ring_free(NULL);

    /* Full and empty, single thread. */
    CHECK(dsp_ring_new(sizeof(int), 5, &r) == 0 && r, "ring of 5 ints");
    CHECK(dsp_ring_capacity(r) == 8, "capacity rounded up to 8, got %zu", dsp_ring_capacity(r));
    int v = 0, pushed = 0;
    while (dsp_ring_push(r, &v))
        v = ++pushed;
    CHECK(pushed == 8 && dsp_ring_count(r) == 8, "8 records fit, %d did", pushed);
    int out = -1, popped = 0;
    while (dsp_ring_pop(r, &out)) {
        CHECK(out == popped, "record %d came out as %d", popped, out);
        popped++;
    }
    CHECK(popped == 8 && dsp_ring_count(r) == 0, "8 came out, %d did", popped);
    CHECK(!dsp_ring_pop(r, &out), "empty ring pops nothing");
    dsp_ring_free(r);

    /* Two threads, a small ring so both sides keep meeting the full and empty states. */
    CHECK(dsp_ring_new(sizeof(record), 16, &r) == 0, "ring of records");
    pthread_t t;
    pthread_create(&t, NULL, producer, r);
    uint64_t next = 0;
    int bad = 0;
    while (next < ITEMS) {
        record rec;
        if (!dsp_ring_pop(r, &rec)) {
            sched_yield();
            continue;
        }
        bool whole = rec.check == mix(rec.sequence);
        for (size_t k = 0; whole && k < sizeof rec.pad; k++)
            whole = rec.pad[k] == (char)(rec.sequence & 0xff);
        if (rec.sequence != next || !whole)
            bad++;
        next = rec.sequence + 1;
    }
    pthread_join(t, NULL);
    CHECK(bad == 0, "%d of %d records out of order or torn", bad, ITEMS);
    CHECK(dsp_ring_count(r) == 0, "nothing left");
    dsp_ring_free(r);
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
