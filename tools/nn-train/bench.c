/* bench.c — `nn-train bench`: the speed of one training step (forward, back-propagation through
 * time, clipping, Adam) on synthetic one-hot sequences, for the README's table. Not a test.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn-train.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct synthetic {
    int classes, steps;
} synthetic;

static uint64_t next(uint64_t *state)
{
    uint64_t x = (*state += 0x9e3779b97f4a7c15ULL);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static int synthetic_length(void *ctx, int64_t record) { return (void)record, ((synthetic *)ctx)->steps; }

/* A random class sequence per record: one-hot inputs, the next class as label. */
static int synthetic_record(void *ctx, int64_t record, float *inputs, int *labels, int capacity, char *why)
{
    synthetic *s = ctx;
    (void)why;
    uint64_t state = (uint64_t)record * 7919u + 1;
    int n = s->steps < capacity ? s->steps : capacity, current = (int)(next(&state) % (uint64_t)s->classes);
    memset(inputs, 0, (size_t)n * s->classes * sizeof *inputs);
    for (int i = 0; i < n; i++) {
        inputs[(size_t)i * s->classes + current] = 1.0f;
        current = labels[i] = (int)(next(&state) % (uint64_t)s->classes);
    }
    return n;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int command_bench(int argc, char **argv)
{
    int threads = 1, batch = 64, steps = 128, units = 256, layers = 2, classes = 38, shard = 32, iterations = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        int *target = !strcmp(argv[i], "--threads") ? &threads : !strcmp(argv[i], "--batch") ? &batch
                    : !strcmp(argv[i], "--steps") ? &steps : !strcmp(argv[i], "--units") ? &units
                    : !strcmp(argv[i], "--layers") ? &layers : !strcmp(argv[i], "--classes") ? &classes
                    : !strcmp(argv[i], "--shard") ? &shard : !strcmp(argv[i], "--iterations") ? &iterations : NULL;
        if (!target || (*target = atoi(argv[i + 1])) < 1) {
            fprintf(stderr, "usage: nn-train bench [--threads N] [--batch 64] [--steps 128] [--units 256] [--layers 2]\n"
                            "                      [--classes 38] [--shard 32] [--iterations 5]\n");
            return 2;
        }
    }
    if (layers > NN_TRAIN_MAX_LAYERS)
        layers = NN_TRAIN_MAX_LAYERS;
    nn_train_event_rnn model = {.input = classes, .layers = layers, .classes = classes, .forget_bias = 1.0f, .keep_prob = 1.0f};
    for (int l = 0; l < layers; l++)
        model.units[l] = units;
    char why[WHY_SIZE];
    team *workers = NULL;
    trainer *t = NULL;
    synthetic syn = {classes, steps};
    trainer_source source = {&syn, steps, synthetic_length, synthetic_record};
    if (team_new(&argc, &argv, threads, &workers, why) || trainer_new(&model, &source, workers, shard, batch, &t, why)) {
        fprintf(stderr, "nn-train bench: %s\n", why);
        team_free(workers);
        return 1;
    }
    nn_train_event_rnn_init(&model, trainer_params(t), 1);
    int64_t *records = malloc((size_t)batch * sizeof *records);
    double *times = malloc((size_t)iterations * sizeof *times);
    trainer_optim optim = {0.001f, 5.0f, 1};
    int rc = 0;
    for (int it = -1; records && times && it < iterations; it++) { /* -1: warm-up */
        for (int j = 0; j < batch; j++)
            records[j] = (int64_t)(it + 1) * batch + j;
        trainer_step_result r;
        double start = clock_seconds();
        if (trainer_step(t, records, batch, &optim, it + 1, &r, why)) {
            fprintf(stderr, "nn-train bench: %s\n", why);
            rc = 1;
            break;
        }
        if (it >= 0)
            times[it] = clock_seconds() - start;
    }
    if (rc == 0 && times && team_rank(workers) == 0) {
        qsort(times, (size_t)iterations, sizeof *times, compare);
        double median = times[iterations / 2], flop = 0;
        int in = classes;
        for (int l = 0; l < layers; l++, in = units)
            flop += 2.0 * (in + units) * 4.0 * units;
        flop = 3.0 * (flop + 2.0 * units * classes) * batch * steps; /* backward ≈ twice forward */
        printf("threads %d x processes %d: %.3f s per step (min %.3f), %.0f sequence-steps/s, %.1f GFLOP/s "
               "(%d x %d LSTM, batch %d, %d steps, shard %d)\n", threads, team_ranks(workers), median, times[0],
               batch * steps / median, flop / median / 1e9, layers, units, batch, steps, shard);
    }
    free(records), free(times);
    trainer_free(t);
    team_free(workers);
    return rc;
}
