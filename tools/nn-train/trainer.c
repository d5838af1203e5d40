/* trainer.c — one training step and one evaluation pass of an events RNN over a batch of
 * records: features per record, time-major shards, the engine's forward/backward per shard, the
 * sum over shards in shard order, Magenta's clipping and Adam.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn-train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* What one thread owns: a shard's inputs, labels and mask, one record's features, the
 * engine's workspace. Sized once for the longest record. */
typedef struct thread_space {
    float *inputs, *mask, *record_inputs, *work;
    int *labels, *record_labels;
} thread_space;

struct trainer {
    nn_train_event_rnn model;
    trainer_source source;
    team *team;
    int shard, max_batch, max_steps; /* max_steps: the longest record's (input, label) pairs */
    size_t params_count;
    int tensor_count;
    nn_train_tensor tensors[32];
    float *params, *grads, *adam_m, *adam_v;
    float *shard_grads;            /* [shards, params] */
    nn_train_metrics *shard_metrics; /* [shards] */
    thread_space *space;
    /* The job of the current call. */
    const int64_t *records;
    int count;
    bool training;
    float grad_scale;
    uint64_t seed, stream;
    int failed; /* a record could not be read: the first message is kept */
    char why[WHY_SIZE];
};

static void *zalloc(size_t bytes, bool *ok)
{
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p)
        *ok = false;
    return p;
}

int trainer_new(const nn_train_event_rnn *model, const trainer_source *source, team *workers, int shard,
                int max_batch, trainer **out, char *why)
{
    *out = NULL;
    char message[NN_MESSAGE_SIZE];
    if (nn_train_event_rnn_check(model, message) != NN_OK)
        return snprintf(why, WHY_SIZE, "%s", message), -1;
    if (shard < 1 || max_batch < 1)
        return snprintf(why, WHY_SIZE, "batch %d and shard %d must be at least 1", max_batch, shard), -1;
    trainer *t = calloc(1, sizeof *t);
    if (!t)
        return snprintf(why, WHY_SIZE, "out of memory"), -1;
    t->model = *model, t->source = *source, t->team = workers, t->shard = shard, t->max_batch = max_batch;
    t->max_steps = source->max_steps < 1 ? 1 : source->max_steps;
    t->params_count = nn_train_event_rnn_param_count(model);
    t->tensor_count = nn_train_event_rnn_tensors(model, t->tensors);
    int shards = (max_batch + shard - 1) / shard, threads = team_threads(workers);
    size_t P = t->params_count;
    if ((size_t)P * sizeof(float) > team_max_block_bytes(workers, shards)) {
        free(t);
        return snprintf(why, WHY_SIZE, "%zu parameters are too many to share between MPI processes", P), -1;
    }
    bool ok = true;
    t->params = zalloc(P * sizeof(float), &ok);
    t->grads = zalloc(P * sizeof(float), &ok);
    t->adam_m = zalloc(P * sizeof(float), &ok);
    t->adam_v = zalloc(P * sizeof(float), &ok);
    t->shard_grads = zalloc((size_t)shards * P * sizeof(float), &ok);
    t->shard_metrics = zalloc((size_t)shards * sizeof *t->shard_metrics, &ok);
    t->space = zalloc((size_t)threads * sizeof *t->space, &ok);
    size_t rows = (size_t)t->max_steps * shard, in = (size_t)model->input;
    size_t work = nn_train_event_rnn_workspace_size(model, t->max_steps, shard);
    for (int i = 0; ok && i < threads; i++) {
        thread_space *s = &t->space[i];
        s->inputs = zalloc(rows * in * sizeof(float), &ok);
        s->mask = zalloc(rows * sizeof(float), &ok);
        s->labels = zalloc(rows * sizeof(int), &ok);
        s->record_inputs = zalloc((size_t)t->max_steps * in * sizeof(float), &ok);
        s->record_labels = zalloc((size_t)t->max_steps * sizeof(int), &ok);
        s->work = zalloc(work * sizeof(float), &ok);
    }
    if (!ok) {
        trainer_free(t);
        return snprintf(why, WHY_SIZE, "out of memory for a batch of %d records of up to %d steps (%.1f GB per thread)",
                        max_batch, t->max_steps, (double)(work + rows * (in + 2)) * 4 / 1e9), -1;
    }
    *out = t;
    return 0;
}

void trainer_free(trainer *t)
{
    if (!t)
        return;
    for (int i = 0; t->space && i < team_threads(t->team); i++) {
        thread_space *s = &t->space[i];
        free(s->inputs), free(s->mask), free(s->labels), free(s->record_inputs), free(s->record_labels), free(s->work);
    }
    free(t->space), free(t->shard_metrics), free(t->shard_grads);
    free(t->params), free(t->grads), free(t->adam_m), free(t->adam_v);
    free(t);
}

float *trainer_params(trainer *t) { return t->params; }
float *trainer_adam_m(trainer *t) { return t->adam_m; }
float *trainer_adam_v(trainer *t) { return t->adam_v; }
size_t trainer_param_count(const trainer *t) { return t->params_count; }
int trainer_tensors(const trainer *t, const nn_train_tensor **tensors)
{
    *tensors = t->tensors;
    return t->tensor_count;
}

/* One shard: its records' features laid out time-major, padded to its longest record. */
static void run_shard(void *ctx, int thread, int s)
{
    trainer *t = ctx;
    thread_space *ws = &t->space[thread];
    int first = s * t->shard, n = t->count - first < t->shard ? t->count - first : t->shard;
    int in = t->model.input, lengths[n], longest = 0;
    /* Read every record first: the layout's time extent is the longest of them. */
    for (int j = 0; j < n; j++) {
        char why[WHY_SIZE];
        float *ri = ws->record_inputs;
        int *rl = ws->record_labels;
        int len = t->source.record(t->source.ctx, t->records[first + j], ri, rl, t->max_steps, why);
        if (len < 0) {
            if (!__atomic_exchange_n(&t->failed, 1, __ATOMIC_SEQ_CST))
                memcpy(t->why, why, sizeof why);
            len = 0;
        }
        lengths[j] = len;
        longest = len > longest ? len : longest;
        /* Park the record in the shard buffers at once, time-major with stride n. */
        for (int step = 0; step < len; step++) {
            size_t row = (size_t)step * n + j;
            memcpy(ws->inputs + row * in, ri + (size_t)step * in, (size_t)in * sizeof(float));
            ws->labels[row] = rl[step];
            ws->mask[row] = 1.0f;
        }
    }
    for (int j = 0; j < n; j++)
        for (int step = lengths[j]; step < longest; step++) {
            size_t row = (size_t)step * n + j;
            memset(ws->inputs + row * in, 0, (size_t)in * sizeof(float));
            ws->labels[row] = -1;
            ws->mask[row] = 0.0f;
        }
    float *g = t->training ? t->shard_grads + (size_t)s * t->params_count : NULL;
    if (g)
        memset(g, 0, t->params_count * sizeof *g);
    if (longest == 0) {
        t->shard_metrics[s] = (nn_train_metrics){0};
        return;
    }
    t->shard_metrics[s] = nn_train_event_rnn_run(&t->model, longest, n, ws->inputs, ws->labels, ws->mask, t->params, g,
                                                 t->grad_scale, t->seed, t->stream + (uint64_t)s, ws->work);
}

/* Run every shard of records[0, count), share the results between MPI processes, and add up
 * the metrics in shard order. */
static int run_batch(trainer *t, const int64_t *records, int count, bool training, nn_train_metrics *sum, char *why)
{
    int shards = (count + t->shard - 1) / t->shard;
    t->records = records, t->count = count, t->training = training, t->failed = 0;
    team_run_shards(t->team, shards, run_shard, t);
    if (team_any(t->team, t->failed != 0)) {
        snprintf(why, WHY_SIZE, "%s", t->failed ? t->why : "another process could not read a record");
        return -1;
    }
    team_share(t->team, shards, t->shard_metrics, sizeof *t->shard_metrics);
    *sum = (nn_train_metrics){0};
    for (int s = 0; s < shards; s++) {
        sum->loss_sum += t->shard_metrics[s].loss_sum;
        sum->steps += t->shard_metrics[s].steps;
        sum->correct += t->shard_metrics[s].correct;
    }
    return shards;
}

int trainer_step(trainer *t, const int64_t *records, int count, const trainer_optim *optim, int64_t step,
                 trainer_step_result *result, char *why)
{
    if (count < 1 || count > t->max_batch)
        return snprintf(why, WHY_SIZE, "a batch of %d records (1..%d)", count, t->max_batch), -1;
    /* The loss is the mean over every real step of the batch (Magenta's reduce_mean over the
     * flattened unpadded steps), so each shard scales by the batch's count, not its own. */
    int64_t total = 0;
    for (int j = 0; j < count; j++)
        total += t->source.length(t->source.ctx, records[j]);
    t->grad_scale = total > 0 ? (float)(1.0 / (double)total) : 0.0f;
    t->seed = optim->seed;
    t->stream = (uint64_t)step * 4096u; /* dropout draws: one stream per (step, shard) */
    nn_train_metrics m;
    int shards = run_batch(t, records, count, true, &m, why);
    if (shards < 0)
        return -1;
    team_share(t->team, shards, t->shard_grads, t->params_count * sizeof(float));
    team_sum(t->team, shards, t->shard_grads, t->params_count, t->grads);

    /* slim's create_train_op(clip_gradient_norm) clips each variable by its own norm. */
    double norm2 = 0.0;
    for (int k = 0; k < t->tensor_count; k++) {
        const nn_train_tensor *e = &t->tensors[k];
        size_t n = (size_t)e->rows * e->cols;
        float norm = optim->clip_norm > 0 ? nn_train_clip_by_global_norm(n, t->grads + e->offset, optim->clip_norm)
                                          : nn_train_global_norm(n, t->grads + e->offset);
        norm2 += (double)norm * norm;
    }
    nn_train_adam adam = nn_train_adam_defaults(optim->learning_rate);
    nn_train_adam_update(&adam, step + 1, t->params_count, t->params, t->grads, t->adam_m, t->adam_v);
    result->metrics = m;
    result->grad_norm = sqrt(norm2);
    return 0;
}

int trainer_evaluate(trainer *t, const int64_t *records, int64_t count, nn_train_metrics *sum, char *why)
{
    *sum = (nn_train_metrics){0};
    for (int64_t first = 0; first < count; first += t->max_batch) {
        int n = count - first < t->max_batch ? (int)(count - first) : t->max_batch;
        nn_train_metrics m;
        if (run_batch(t, records + first, n, false, &m, why) < 0)
            return -1;
        sum->loss_sum += m.loss_sum, sum->steps += m.steps, sum->correct += m.correct;
    }
    return 0;
}
