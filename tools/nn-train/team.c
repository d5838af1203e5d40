/* team.c — the workers of a data-parallel training step: threads in this process and, when
 * built with Open MPI, processes on other machines.
 *
 * A batch is cut into shards of a fixed size that does not depend on how many workers there
 * are. Each shard's gradient goes to its own buffer; the sum over shards is always taken in
 * shard order, element by element. So the model is the same bit for bit with 1 thread, 2
 * threads or 2 MPI processes: only who computes a shard changes, never what is added to what.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn-train.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#ifdef NN_TRAIN_MPI
#include <mpi.h>
#endif

struct team {
    int threads, rank, ranks;
    bool mpi; /* started by mpirun: MPI is initialised */
    pthread_t *ids;
    pthread_barrier_t start, done;
    bool quit;
    /* The job of the current call, read by every thread between the barriers. */
    enum { JOB_SHARDS, JOB_SUM } job;
    int first, end;    /* this rank's shards */
    atomic_int next;   /* the next shard to take */
    team_shard_fn fn;
    void *ctx;
    const float *sum_in;
    float *sum_out;
    size_t sum_len;
    int sum_shards;
};

static void sum_slice(team *t, int thread)
{
    size_t lo = t->sum_len * thread / t->threads, hi = t->sum_len * (thread + 1) / t->threads;
    float *out = t->sum_out;
    memcpy(out + lo, t->sum_in + lo, (hi - lo) * sizeof *out);
    for (int s = 1; s < t->sum_shards; s++) {
        const float *in = t->sum_in + (size_t)s * t->sum_len;
        for (size_t k = lo; k < hi; k++)
            out[k] += in[k];
    }
}

static void work(team *t, int thread)
{
    if (t->job == JOB_SUM) {
        sum_slice(t, thread);
        return;
    }
    for (int s; (s = atomic_fetch_add(&t->next, 1)) < t->end;)
        t->fn(t->ctx, thread, s);
}

typedef struct worker_arg {
    team *t;
    int thread;
} worker_arg;

static void *worker(void *p)
{
    worker_arg arg = *(worker_arg *)p;
    free(p);
    for (;;) {
        pthread_barrier_wait(&arg.t->start);
        if (arg.t->quit)
            return NULL;
        work(arg.t, arg.thread);
        pthread_barrier_wait(&arg.t->done);
    }
}

/* Run the current job on every thread, the caller being thread 0. */
static void run(team *t)
{
    if (t->threads > 1)
        pthread_barrier_wait(&t->start);
    work(t, 0);
    if (t->threads > 1)
        pthread_barrier_wait(&t->done);
}

int team_new(int *argc, char ***argv, int threads, team **out, char *why)
{
    *out = NULL;
    team *t = calloc(1, sizeof *t);
    if (!t)
        return snprintf(why, WHY_SIZE, "out of memory"), -1;
    t->threads = threads < 1 ? 1 : threads;
    t->ranks = 1;
#ifdef NN_TRAIN_MPI
    /* Only under a launcher: a plain run must not start Open MPI's singleton daemon. */
    t->mpi = getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
    int running = 0;
    if (t->mpi)
        MPI_Initialized(&running);
    if (t->mpi && !running && MPI_Init(argc, argv) != MPI_SUCCESS) {
        free(t);
        return snprintf(why, WHY_SIZE, "MPI_Init failed"), -1;
    }
    if (t->mpi) {
        MPI_Comm_rank(MPI_COMM_WORLD, &t->rank);
        MPI_Comm_size(MPI_COMM_WORLD, &t->ranks);
    }
#else
    (void)argc, (void)argv;
#endif
    if (t->threads > 1) {
        t->ids = calloc((size_t)t->threads, sizeof *t->ids);
        if (!t->ids || pthread_barrier_init(&t->start, NULL, (unsigned)t->threads) ||
            pthread_barrier_init(&t->done, NULL, (unsigned)t->threads)) {
            free(t->ids);
            free(t);
            return snprintf(why, WHY_SIZE, "cannot set up %d threads", threads), -1;
        }
        for (int i = 1; i < t->threads; i++) {
            worker_arg *arg = malloc(sizeof *arg);
            if (arg)
                *arg = (worker_arg){t, i}; /* before the thread starts reading it */
            if (!arg || pthread_create(&t->ids[i], NULL, worker, arg)) {
                /* The threads already started wait at a barrier sized for all of them: they
                 * cannot be stopped cleanly, and nothing has been written yet. */
                fprintf(stderr, "nn-train: cannot start thread %d of %d: out of resources\n", i + 1, threads);
                exit(1);
            }
        }
    }
    *out = t;
    return 0;
}

void team_free(team *t)
{
    if (!t)
        return;
    if (t->threads > 1 && t->ids) {
        t->quit = true;
        pthread_barrier_wait(&t->start);
        for (int i = 1; i < t->threads; i++)
            pthread_join(t->ids[i], NULL);
        pthread_barrier_destroy(&t->start);
        pthread_barrier_destroy(&t->done);
    }
    free(t->ids);
#ifdef NN_TRAIN_MPI
    int finalized = 0;
    if (t->mpi && (MPI_Finalized(&finalized), !finalized))
        MPI_Finalize();
#endif
    free(t);
}

int team_rank(const team *t) { return t->rank; }
int team_ranks(const team *t) { return t->ranks; }
int team_threads(const team *t) { return t->threads; }

void team_shard_range(const team *t, int shards, int *first, int *end)
{
    *first = (int)((int64_t)shards * t->rank / t->ranks);
    *end = (int)((int64_t)shards * (t->rank + 1) / t->ranks);
}

void team_run_shards(team *t, int shards, team_shard_fn fn, void *ctx)
{
    team_shard_range(t, shards, &t->first, &t->end);
    atomic_store(&t->next, t->first);
    t->job = JOB_SHARDS, t->fn = fn, t->ctx = ctx;
    run(t);
}

void team_share(team *t, int shards, void *blocks, size_t block_bytes)
{
#ifdef NN_TRAIN_MPI
    if (t->ranks > 1) {
        int *counts = malloc(2 * sizeof(int) * (size_t)t->ranks);
        if (!counts)
            abort(); /* nothing sensible is left to do; mpirun reports it */
        int *displs = counts + t->ranks;
        for (int r = 0; r < t->ranks; r++) {
            int first = (int)((int64_t)shards * r / t->ranks), end = (int)((int64_t)shards * (r + 1) / t->ranks);
            counts[r] = (int)((size_t)(end - first) * block_bytes);
            displs[r] = (int)((size_t)first * block_bytes);
        }
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, blocks, counts, displs, MPI_BYTE, MPI_COMM_WORLD);
        free(counts);
    }
#else
    (void)t, (void)shards, (void)blocks, (void)block_bytes;
#endif
}

void team_sum(team *t, int shards, const float *blocks, size_t length, float *out)
{
    t->job = JOB_SUM, t->sum_in = blocks, t->sum_out = out, t->sum_len = length, t->sum_shards = shards;
    run(t);
}

bool team_any(team *t, bool flag)
{
#ifdef NN_TRAIN_MPI
    if (t->ranks > 1) {
        int in = flag, out = 0;
        MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        return out != 0;
    }
#else
    (void)t;
#endif
    return flag;
}

size_t team_max_block_bytes(const team *t, int shards)
{
    (void)shards;
    /* MPI counts bytes in an int; a rank's blocks together must stay below 2 GiB. */
    return t->ranks > 1 ? (size_t)0x7fffffff / (size_t)((shards + t->ranks - 1) / t->ranks) : SIZE_MAX;
}
