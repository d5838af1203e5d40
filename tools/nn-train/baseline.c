/* baseline.c — `nn-train baseline`: interpolated Kneser-Ney n-gram models over a dataset's label
 * sequences, the score a trained model has to beat.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "nn-train.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A k-gram's tokens packed `bits` apiece, the predicted label lowest; its context is key >> bits.
 * count: how often it was seen; cont: its continuation count, the distinct tokens seen before it. */
typedef struct gram {
    uint64_t key;
    uint32_t count, cont;
} gram;

/* A context's followers are grams[first .. first + n) of its level (sorted by key). */
typedef struct context {
    uint64_t key;
    uint32_t first, n;
    uint32_t total, cont_total; /* sums of the followers' count and cont */
} context;

typedef struct level {
    gram *grams;   /* while counting, a hash table (count 0 = empty slot); then `used` sorted grams */
    size_t mask, used;
    context *contexts; /* hash table of the contexts (n 0 = empty slot) */
    size_t context_mask, context_count;
    double d_raw, d_cont; /* discounts of the highest level (counts) and of lower ones (cont) */
} level;

struct ngram_model {
    int order, vocabulary, bits;
    uint64_t tokens;
    bool finished;
    level levels[NGRAM_MAX_ORDER + 1]; /* 1 .. order */
    double *unigram_raw, *unigram_cont; /* the unigram level's distributions */
    int unigram_raw_best;
    double *work; /* 3 × vocabulary */
};

static uint64_t low_bits(int n)
{
    return n >= 64 ? ~0ull : (1ull << n) - 1;
}

static size_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    return (size_t)(k ^ (k >> 33));
}

static gram *gram_slot(const level *l, uint64_t key)
{
    size_t i = mix(key) & l->mask;
    while (l->grams[i].count && l->grams[i].key != key)
        i = (i + 1) & l->mask;
    return &l->grams[i];
}

static bool level_grow(level *l)
{
    size_t slots = (l->mask + 1) * 2;
    gram *old = l->grams, *fresh = calloc(slots, sizeof *fresh);
    if (!fresh)
        return false;
    size_t old_slots = l->mask + 1;
    l->grams = fresh;
    l->mask = slots - 1;
    for (size_t i = 0; i < old_slots; i++)
        if (old[i].count)
            *gram_slot(l, old[i].key) = old[i];
    free(old);
    return true;
}

nn_status ngram_new(int max_order, int vocabulary, ngram_model **out, char *why)
{
    *out = NULL;
    if (vocabulary < 1 || vocabulary > 65535)
        return why_fail(why, NN_ERR_ARGUMENT, "n-gram: vocabulary %d out of 1..65535", vocabulary);
    int bits = 1;
    while ((1 << bits) < vocabulary + 1) /* labels and BOS */
        bits++;
    int most = 64 / bits < NGRAM_MAX_ORDER ? 64 / bits : NGRAM_MAX_ORDER;
    if (max_order < 1 || max_order > most)
        return why_fail(why, NN_ERR_ARGUMENT, "n-gram: order %d out of 1..%d for %d labels", max_order, most, vocabulary);
    ngram_model *m = calloc(1, sizeof *m);
    if (!m)
        return why_fail(why, NN_ERR_MEMORY, "n-gram: out of memory");
    m->order = max_order;
    m->vocabulary = vocabulary;
    m->bits = bits;
    m->work = calloc(3 * (size_t)vocabulary, sizeof *m->work);
    m->unigram_raw = calloc((size_t)vocabulary, sizeof *m->unigram_raw);
    m->unigram_cont = calloc((size_t)vocabulary, sizeof *m->unigram_cont);
    bool ok = m->work && m->unigram_raw && m->unigram_cont;
    for (int k = 1; k <= max_order && ok; k++) {
        level *l = &m->levels[k];
        size_t slots = 1024;
        l->grams = calloc(slots, sizeof *l->grams);
        l->mask = slots - 1;
        ok = l->grams != NULL;
    }
    if (!ok) {
        ngram_free(m);
        return why_fail(why, NN_ERR_MEMORY, "n-gram: out of memory");
    }
    *out = m;
    return NN_OK;
}

void ngram_free(ngram_model *m)
{
    if (!m)
        return;
    for (int k = 1; k <= m->order; k++) {
        free(m->levels[k].grams);
        free(m->levels[k].contexts);
    }
    free(m->unigram_raw);
    free(m->unigram_cont);
    free(m->work);
    free(m);
}

/* The last order - 1 tokens, most recent lowest, BOS before the start. */
static uint64_t bos_history(const ngram_model *m)
{
    uint64_t h = 0;
    for (int k = 1; k < m->order; k++)
        h = h << m->bits | (uint64_t)m->vocabulary;
    return h;
}

nn_status ngram_add(ngram_model *m, const int *labels, int count, char *why)
{
    if (m->finished)
        return why_fail(why, NN_ERR_ARGUMENT, "n-gram: ngram_add after ngram_finish");
    if (count < 0 || m->tokens + (uint64_t)count >= UINT32_MAX)
        return why_fail(why, NN_ERR_ARGUMENT, "n-gram: more than %u training steps", UINT32_MAX - 1);
    uint64_t history = bos_history(m), keep = low_bits((m->order - 1) * m->bits);
    for (int t = 0; t < count; t++) {
        uint64_t y = (uint64_t)labels[t];
        if (labels[t] < 0 || labels[t] >= m->vocabulary)
            return why_fail(why, NN_ERR_ARGUMENT, "n-gram: label %d out of 0..%d", labels[t], m->vocabulary - 1);
        for (int k = 1; k <= m->order; k++) {
            level *l = &m->levels[k];
            if ((l->used + 1) * 4 > (l->mask + 1) * 3 && !level_grow(l))
                return why_fail(why, NN_ERR_MEMORY, "n-gram: out of memory for %zu %d-grams", l->used, k);
            uint64_t key = (history & low_bits((k - 1) * m->bits)) << m->bits | y;
            gram *g = gram_slot(l, key);
            if (!g->count) {
                g->key = key;
                l->used++;
            }
            g->count++;
        }
        history = (history << m->bits | y) & keep;
        m->tokens++;
    }
    return NN_OK;
}

/* The first largest value. */
static int argmax(const double *p, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (p[i] > p[best])
            best = i;
    return best;
}

static int compare_grams(const void *a, const void *b)
{
    uint64_t x = ((const gram *)a)->key, y = ((const gram *)b)->key;
    return x < y ? -1 : x > y;
}

/* Ney's estimate from the counts of counts; 0.5 when it is undefined (no singletons or no
 * doubletons, e.g. deterministic data), which keeps every probability above zero. */
static double discount(uint64_t n1, uint64_t n2)
{
    return n1 && n2 ? (double)n1 / (double)(n1 + 2 * n2) : 0.5;
}

static const context *find_context(const level *l, uint64_t key)
{
    size_t i = mix(key) & l->context_mask;
    while (l->contexts[i].n) {
        if (l->contexts[i].key == key)
            return &l->contexts[i];
        i = (i + 1) & l->context_mask;
    }
    return NULL;
}

/* out[w] = λ in[w] + max(c(h, w) - D, 0) / c(h), λ = D · followers / c(h): one interpolation
 * step with counts (raw) or continuation counts. */
static void interpolate(const ngram_model *m, const level *l, const context *c, bool cont, const double *in,
                        double *out)
{
    double d = cont ? l->d_cont : l->d_raw, total = cont ? c->cont_total : c->total;
    double lambda = d * c->n / total;
    for (int w = 0; w < m->vocabulary; w++)
        out[w] = lambda * in[w];
    for (uint32_t i = 0; i < c->n; i++) {
        const gram *g = &l->grams[c->first + i];
        double n = cont ? g->cont : g->count;
        out[g->key & low_bits(m->bits)] += (n > d ? n - d : 0.0) / total;
    }
}

nn_status ngram_finish(ngram_model *m, char *why)
{
    if (m->finished)
        return NN_OK;
    if (!m->tokens)
        return why_fail(why, NN_ERR_ARGUMENT, "n-gram: no training steps");
    /* continuation counts: each distinct (k+1)-gram adds one to its k-gram suffix */
    for (int k = 1; k < m->order; k++) {
        const level *upper = &m->levels[k + 1];
        uint64_t suffix = low_bits(k * m->bits);
        for (size_t i = 0; i <= upper->mask; i++)
            if (upper->grams[i].count)
                gram_slot(&m->levels[k], upper->grams[i].key & suffix)->cont++;
    }
    for (int k = 1; k <= m->order; k++) {
        level *l = &m->levels[k];
        size_t used = 0;
        uint64_t n1 = 0, n2 = 0, c1 = 0, c2 = 0;
        for (size_t i = 0; i <= l->mask; i++)
            if (l->grams[i].count) {
                gram g = l->grams[i];
                n1 += g.count == 1;
                n2 += g.count == 2;
                c1 += g.cont == 1;
                c2 += g.cont == 2;
                l->grams[used++] = g;
            }
        gram *shrunk = realloc(l->grams, (used ? used : 1) * sizeof *shrunk);
        if (shrunk)
            l->grams = shrunk;
        qsort(l->grams, used, sizeof *l->grams, compare_grams);
        l->d_raw = discount(n1, n2);
        l->d_cont = discount(c1, c2);
        /* the contexts: runs of equal key >> bits */
        size_t contexts = 0;
        for (size_t i = 0; i < used; i++)
            contexts += i == 0 || l->grams[i].key >> m->bits != l->grams[i - 1].key >> m->bits;
        size_t slots = 2;
        while (slots < contexts * 2)
            slots *= 2;
        l->contexts = calloc(slots, sizeof *l->contexts);
        if (!l->contexts)
            return why_fail(why, NN_ERR_MEMORY, "n-gram: out of memory for %zu contexts", contexts);
        l->context_mask = slots - 1;
        l->context_count = contexts;
        for (size_t i = 0; i < used;) {
            context c = {.key = l->grams[i].key >> m->bits, .first = (uint32_t)i};
            for (; i < used && l->grams[i].key >> m->bits == c.key; i++) {
                c.n++;
                c.total += l->grams[i].count;
                c.cont_total += l->grams[i].cont;
            }
            size_t s = mix(c.key) & l->context_mask;
            while (l->contexts[s].n)
                s = (s + 1) & l->context_mask;
            l->contexts[s] = c;
        }
        l->mask = 0;
        l->used = used;
    }
    /* The unigram level interpolates with the uniform distribution. */
    const level *one = &m->levels[1];
    const context *c = find_context(one, 0);
    for (int w = 0; w < m->vocabulary; w++)
        m->work[w] = 1.0 / m->vocabulary;
    interpolate(m, one, c, false, m->work, m->unigram_raw);
    if (m->order > 1)
        interpolate(m, one, c, true, m->work, m->unigram_cont);
    m->unigram_raw_best = argmax(m->unigram_raw, m->vocabulary);
    m->finished = true;
    return NN_OK;
}

/* The distribution of the model of `order` after `history` (packed, most recent lowest): the
 * unigram level's, or one of the scratch vectors a and b. */
static const double *distribution(const ngram_model *m, int order, uint64_t history, double *a, double *b)
{
    if (order == 1)
        return m->unigram_raw;
    const double *q = m->unigram_cont;
    for (int k = 2; k <= order; k++) {
        const level *l = &m->levels[k];
        const context *c = find_context(l, history & low_bits((k - 1) * m->bits));
        if (!c)
            continue; /* an unseen context leaves it all to the level below */
        double *out = q == a ? b : a;
        interpolate(m, l, c, k < order, q, out);
        q = out;
    }
    return q;
}

void ngram_distribution(const ngram_model *m, int order, const int *history, int count, double *probs)
{
    uint64_t h = bos_history(m);
    for (int t = count - (m->order - 1) > 0 ? count - (m->order - 1) : 0; t < count; t++)
        h = (h << m->bits | (uint64_t)history[t]) & low_bits((m->order - 1) * m->bits);
    double *a = malloc(2 * (size_t)m->vocabulary * sizeof *a);
    if (!a || order < 1 || order > m->order || !m->finished) {
        for (int w = 0; w < m->vocabulary; w++)
            probs[w] = NAN;
        free(a);
        return;
    }
    memcpy(probs, distribution(m, order, h, a, a + m->vocabulary), (size_t)m->vocabulary * sizeof *probs);
    free(a);
}

void ngram_score_sequence(ngram_model *m, const int *labels, int count, ngram_score *scores)
{
    if (!m->finished)
        return;
    int v = m->vocabulary;
    double *chain[2] = {m->work, m->work + v}, *top = m->work + 2 * (size_t)v;
    uint64_t history = bos_history(m), keep = low_bits((m->order - 1) * m->bits);
    for (int t = 0; t < count; t++) {
        int y = labels[t];
        if (y < 0 || y >= v)
            continue;
        scores[0].nll_sum -= log(m->unigram_raw[y]);
        scores[0].correct += m->unigram_raw_best == y;
        scores[0].steps++;
        /* the orders share their lower levels (continuation counts): grow the chain one level
         * at a time, and finish each order with its highest level's counts */
        const double *q = m->unigram_cont;
        for (int n = 2; n <= m->order; n++) {
            const level *l = &m->levels[n];
            const context *c = find_context(l, history & low_bits((n - 1) * m->bits));
            const double *p = q;
            if (c) {
                interpolate(m, l, c, false, q, top);
                p = top;
            }
            scores[n - 1].nll_sum -= log(p[y]);
            scores[n - 1].correct += argmax(p, v) == y;
            scores[n - 1].steps++;
            if (c && n < m->order) {
                double *out = q == chain[0] ? chain[1] : chain[0];
                interpolate(m, l, c, true, q, out);
                q = out;
            }
        }
        history = (history << m->bits | (uint64_t)y) & keep;
    }
}

double ngram_discount(const ngram_model *m, int order, bool continuation)
{
    return order >= 1 && order <= m->order ? (continuation ? m->levels[order].d_cont : m->levels[order].d_raw) : NAN;
}

uint64_t ngram_distinct(const ngram_model *m, int order)
{
    return order >= 1 && order <= m->order ? m->levels[order].used : 0;
}

size_t ngram_bytes(const ngram_model *m)
{
    size_t bytes = sizeof *m + 5 * (size_t)m->vocabulary * sizeof(double);
    for (int k = 1; k <= m->order; k++) {
        const level *l = &m->levels[k];
        bytes += (m->finished ? l->used : l->mask + 1) * sizeof(gram);
        if (l->contexts)
            bytes += (l->context_mask + 1) * sizeof(context);
    }
    return bytes;
}

/* ---- The command --------------------------------------------------------------------------- */

static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

/* Every record of one split through the features' labels into `fn`. */
static nn_status each_labels(const dataset *ds, bool eval, nn_status (*fn)(void *ctx, const int *labels, int count),
                             void *ctx, uint64_t *records, uint64_t *steps, char *why)
{
    const dataset_info *info = dataset_get_info(ds);
    const encoding *enc = dataset_encoding(ds);
    size_t n = (size_t)(info->max_length > 0 ? info->max_length : 1);
    uint16_t *classes = malloc(n * sizeof *classes);
    uint32_t *chords = info->chords ? malloc(n * sizeof *chords) : NULL;
    int *labels = malloc(n * sizeof *labels);
    nn_status st = classes && labels && (chords || !info->chords) ? NN_OK : NN_ERR_MEMORY;
    if (st != NN_OK)
        snprintf(why, NN_MESSAGE_SIZE, "nn-train baseline: out of memory");
    for (uint64_t r = 0; r < info->records && st == NN_OK; r++) {
        dataset_record rec = dataset_record_at(ds, r);
        if (rec.eval != eval)
            continue;
        st = dataset_read(ds, r, classes, chords, why);
        if (st == NN_OK)
            st = features_of_record(enc, classes, chords, rec.length, NULL, labels, why);
        if (st == NN_OK)
            st = fn(ctx, labels, rec.length - 1);
        *records += 1;
        *steps += (uint64_t)(rec.length - 1);
    }
    free(classes);
    free(chords);
    free(labels);
    return st;
}

typedef struct baseline_run {
    ngram_model *model;
    ngram_score scores[NGRAM_MAX_ORDER];
    char *why;
} baseline_run;

static nn_status add_labels(void *ctx, const int *labels, int count)
{
    baseline_run *run = ctx;
    return ngram_add(run->model, labels, count, run->why);
}

static nn_status score_labels(void *ctx, const int *labels, int count)
{
    baseline_run *run = ctx;
    ngram_score_sequence(run->model, labels, count, run->scores);
    return NN_OK;
}

int command_baseline(int argc, char **argv)
{
    const char *path = NULL;
    int order = 5;
    bool json = false;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc)
            path = argv[++i];
        else if (!strcmp(argv[i], "--order") && i + 1 < argc)
            order = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json"))
            json = true;
        else {
            fprintf(stderr, "nn-train baseline: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: nn-train baseline --data FILE.nnd [--order N] [--json]\n");
        return 2;
    }
    char why[NN_MESSAGE_SIZE];
    dataset *ds = NULL;
    if (dataset_open(path, &ds, why) != NN_OK) {
        fprintf(stderr, "nn-train baseline: %s\n", why);
        return 1;
    }
    const encoding *enc = dataset_encoding(ds);
    int labels = features_num_classes(enc);
    baseline_run run = {.why = why};
    if (ngram_new(order, labels, &run.model, why) != NN_OK) {
        fprintf(stderr, "nn-train baseline: %s\n", why);
        dataset_free(ds);
        return 2;
    }
    double started = clock_seconds();
    uint64_t train_records = 0, train_steps = 0, eval_records = 0, eval_steps = 0;
    nn_status st = each_labels(ds, false, add_labels, &run, &train_records, &train_steps, why);
    if (st == NN_OK)
        st = ngram_finish(run.model, why);
    if (st == NN_OK)
        st = each_labels(ds, true, score_labels, &run, &eval_records, &eval_steps, why);
    if (st == NN_OK && !eval_steps)
        st = NN_ERR_ARGUMENT, snprintf(why, sizeof why, "%s: no evaluation steps to score", path);
    if (st != NN_OK) {
        fprintf(stderr, "nn-train baseline: %s\n", why);
        ngram_free(run.model);
        dataset_free(ds);
        return 1;
    }
    double seconds = clock_seconds() - started;
    if (json) {
        printf("{\"data\": ");
        print_json_string(path);
        printf(", \"encoding\": ");
        print_json_string(enc->name);
        printf(", \"labels\": %d, \"smoothing\": \"interpolated Kneser-Ney\", \"train_records\": %llu, "
               "\"train_steps\": %llu, \"eval_records\": %llu, \"eval_steps\": %llu, \"table_bytes\": %zu, "
               "\"seconds\": %.3f, \"orders\": [",
               labels, (unsigned long long)train_records, (unsigned long long)train_steps,
               (unsigned long long)eval_records, (unsigned long long)eval_steps, ngram_bytes(run.model), seconds);
        for (int n = 1; n <= order; n++) {
            const ngram_score *s = &run.scores[n - 1];
            double nll = s->nll_sum / (double)s->steps;
            char cont[32] = "null"; /* the highest level has no continuation counts */
            if (n < order)
                snprintf(cont, sizeof cont, "%.6f", ngram_discount(run.model, n, true));
            printf("%s{\"order\": %d, \"ngrams\": %llu, \"discount\": %.6f, \"continuation_discount\": %s, "
                   "\"nll\": %.6f, \"accuracy\": %.6f, \"perplexity\": %.6f}",
                   n > 1 ? ", " : "", n, (unsigned long long)ngram_distinct(run.model, n), ngram_discount(run.model, n, false),
                   cont, nll, (double)s->correct / (double)s->steps, exp(nll));
        }
        printf("]}\n");
    } else {
        printf("%s: %s, %d labels; training %llu records (%llu predicted steps), evaluation %llu records (%llu steps)\n",
               path, enc->name, labels, (unsigned long long)train_records, (unsigned long long)train_steps,
               (unsigned long long)eval_records, (unsigned long long)eval_steps);
        printf("interpolated Kneser-Ney, discounts n1/(n1+2 n2); tables %.1f MB; %.1f s\n",
               (double)ngram_bytes(run.model) / 1048576.0, seconds);
        printf("order  distinct n-grams  eval NLL (nats/step)  accuracy  perplexity\n");
        for (int n = 1; n <= order; n++) {
            const ngram_score *s = &run.scores[n - 1];
            double nll = s->nll_sum / (double)s->steps;
            printf("%5d  %16llu  %20.4f  %8.4f  %10.3f\n", n, (unsigned long long)ngram_distinct(run.model, n), nll,
                   (double)s->correct / (double)s->steps, exp(nll));
        }
    }
    ngram_free(run.model);
    dataset_free(ds);
    return 0;
}
