/* sample.c — choosing a class from logits: temperature, top-k, top-p, argmax, with a seeded
 * PCG32 generator per instance. Scalar on purpose: the same seed and logits give the same
 * class on every CPU and kernel set. Bounded work, no allocation after nn_sampler_new.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn_private.h"

#include <math.h>
#include <stdlib.h>

struct nn_sampler {
    nn_pcg32 rng;
    int max_classes;
    int *index;   /* candidate classes */
    float *value; /* their scaled logits, then probabilities */
};

/* One seed picks both the stream and (mixed with a constant) the starting point. */
void nn_sampler_seed(nn_sampler *s, uint64_t seed) { nn_pcg32_seed(&s->rng, seed ^ 0x853c49e6748fea9bull, seed); }

nn_status nn_sampler_new(int max_classes, uint64_t seed, nn_sampler **out)
{
    if (!out)
        return NN_ERR_ARGUMENT;
    *out = NULL;
    if (max_classes < 1 || max_classes > (1 << 20))
        return NN_ERR_ARGUMENT;
    nn_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return NN_ERR_MEMORY;
    s->max_classes = max_classes;
    s->index = malloc((size_t)max_classes * sizeof *s->index);
    s->value = malloc((size_t)max_classes * sizeof *s->value);
    if (!s->index || !s->value) {
        nn_sampler_free(s);
        return NN_ERR_MEMORY;
    }
    nn_sampler_seed(s, seed);
    *out = s;
    return NN_OK;
}

void nn_sampler_free(nn_sampler *s)
{
    if (!s)
        return;
    free(s->index);
    free(s->value);
    free(s);
}

float nn_sampler_uniform(nn_sampler *s) { return nn_pcg32_uniform(&s->rng); }

int nn_argmax(const float *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best] || (x[best] != x[best] && x[i] == x[i]))
            best = i;
    return best;
}

/* Heap sort of the candidates by value, largest first: O(n log n) worst case, in place. */
static void sift_down(int *idx, float *val, int root, int n)
{
    for (;;) {
        int child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && val[child + 1] < val[child])
            child++;
        if (val[root] <= val[child])
            return;
        float v = val[root];
        val[root] = val[child];
        val[child] = v;
        int i = idx[root];
        idx[root] = idx[child];
        idx[child] = i;
        root = child;
    }
}

static void sort_descending(int *idx, float *val, int n)
{
    for (int i = n / 2 - 1; i >= 0; i--)
        sift_down(idx, val, i, n);
    for (int end = n - 1; end > 0; end--) {
        float v = val[0];
        val[0] = val[end];
        val[end] = v;
        int i = idx[0];
        idx[0] = idx[end];
        idx[end] = i;
        sift_down(idx, val, 0, end);
    }
}

int nn_sampler_draw(nn_sampler *s, const float *logits, int n, const nn_sample_params *params)
{
    if (!s || !logits || n < 1 || n > s->max_classes)
        return -1;
    float temperature = params ? params->temperature : 1.0f;
    int top_k = params ? params->top_k : 0;
    float top_p = params ? params->top_p : 0.0f;
    if (!(temperature > 0.0f)) /* also catches NaN */
        return nn_argmax(logits, n);

    /* Candidates: every class with a usable logit, scaled as (logit - largest) / temperature so
     * that huge logits keep their order. A +inf logit outweighs every finite one at any
     * temperature: when there is one, only the +inf classes remain, equally likely. */
    float top = -INFINITY;
    for (int i = 0; i < n; i++)
        top = logits[i] > top ? logits[i] : top; /* NaN compares false: skipped */
    int count = 0;
    float inv_t = 1.0f / temperature;
    for (int i = 0; i < n; i++) {
        float v = logits[i];
        if (v != v || v == -INFINITY || (top == INFINITY && v != INFINITY))
            continue;
        s->index[count] = i;
        s->value[count++] = v == top ? 0.0f : (v - top) * inv_t; /* <= 0; -inf only underflows exp */
    }
    if (count == 0)
        return 0;

    bool truncate_p = top_p > 0.0f && top_p < 1.0f;
    if ((top_k > 0 && top_k < count) || truncate_p) {
        sort_descending(s->index, s->value, count);
        if (top_k > 0 && top_k < count)
            count = top_k;
    }
    double total = 0.0;
    for (int j = 0; j < count; j++) {
        s->value[j] = expf(s->value[j]);
        total += s->value[j];
    }
    if (truncate_p) { /* the smallest prefix whose share reaches top_p */
        double kept = 0.0;
        for (int j = 0; j < count; j++) {
            kept += s->value[j];
            if (kept >= top_p * total) {
                count = j + 1;
                total = kept;
                break;
            }
        }
    }
    double target = (double)nn_sampler_uniform(s) * total, sum = 0.0;
    for (int j = 0; j < count; j++) {
        sum += s->value[j];
        if (target < sum)
            return s->index[j];
    }
    return s->index[count - 1]; /* rounding left target at the very top */
}
