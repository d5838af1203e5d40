/* test_sampler.c — seeded sampling: reproducibility, temperature, top-k, top-p, frequencies, NaN and infinities.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#include "nn.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_SEED 0xbb67ae8584caa73bull /* fixed: every run tests the same values */
#include "../check.h"

/* ---- Helpers ---------------------------------------------------------------------------------- */

#define MAX_CLASSES 64


static nn_sampler *new_sampler(int max_classes, uint64_t seed)
{
    nn_sampler *s = NULL;
    nn_status st = nn_sampler_new(max_classes, seed, &s);
    if (st != NN_OK || !s) {
        fprintf(stderr, "nn_sampler_new(%d): %s\n", max_classes, nn_status_text(st));
        exit(2);
    }
    return s;
}

/* The k-th largest of x[n] (k from 1), NaN left out. */
static float kth_largest(const float *x, int n, int k)
{
    float sorted[MAX_CLASSES];
    int m = 0;
    for (int i = 0; i < n; i++)
        if (x[i] == x[i])
            sorted[m++] = x[i];
    for (int i = 1; i < m; i++) /* insertion sort, descending */
        for (int j = i; j > 0 && sorted[j] > sorted[j - 1]; j--) {
            float t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    return sorted[k - 1];
}

/* ---- Reproducibility --------------------------------------------------------------------------- */

static void test_seeding(void)
{
    snprintf(context, sizeof context, "seeding");
    float logits[10];
    fill_uniform(logits, 10, -2.0f, 2.0f);
    const nn_sample_params params = {.temperature = 1.0f};
    nn_sampler *a = new_sampler(10, 1234), *b = new_sampler(10, 1234), *other = new_sampler(10, 1235);
    int first[500], same = 1, differs = 0;
    for (int i = 0; i < 500; i++) { /* draws and uniforms interleaved: one stream */
        first[i] = nn_sampler_draw(a, logits, 10, &params);
        float u = nn_sampler_uniform(a);
        same &= first[i] == nn_sampler_draw(b, logits, 10, &params) && u == nn_sampler_uniform(b);
        differs |= u != nn_sampler_uniform(other);
        nn_sampler_draw(other, logits, 10, &params);
    }
    CHECK(same, "two samplers with seed 1234 drew differently");
    CHECK(differs, "seeds 1234 and 1235 gave the same 500 uniforms");

    nn_sampler_seed(a, 1234); /* restart: the same draws again */
    int restarted = 1;
    for (int i = 0; i < 500; i++) {
        restarted &= first[i] == nn_sampler_draw(a, logits, 10, &params);
        nn_sampler_uniform(a);
    }
    CHECK(restarted, "nn_sampler_seed(1234) did not restart the sequence");

    nn_sampler_seed(a, 99); /* reseeding equals a fresh sampler with that seed */
    nn_sampler *fresh = new_sampler(10, 99);
    int equal = 1;
    for (int i = 0; i < 1000; i++)
        equal &= nn_sampler_uniform(a) == nn_sampler_uniform(fresh);
    CHECK(equal, "nn_sampler_seed(99) differs from nn_sampler_new(seed 99)");
    nn_sampler_free(fresh);
    nn_sampler_free(other);
    nn_sampler_free(b);
    nn_sampler_free(a);
}

/* Uniforms are in [0, 1) and evenly spread: ten bins, chi-square with 9 degrees of freedom
 * below 39.34 (p = 1e-5). The seed is fixed, so this is deterministic: it cannot flake. */
static void test_uniform(void)
{
    snprintf(context, sizeof context, "nn_sampler_uniform");
    nn_sampler *s = new_sampler(1, 7);
    const int draws = 1000000;
    long bins[10] = {0};
    float lo = 1.0f, hi = 0.0f;
    for (int i = 0; i < draws; i++) {
        float u = nn_sampler_uniform(s);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
        if (u >= 0.0f && u < 1.0f)
            bins[(int)(u * 10.0f)]++;
    }
    CHECK(lo >= 0.0f && hi < 1.0f, "range [%.9g, %.9g]", (double)lo, (double)hi);
    CHECK(lo < 1e-4f && hi > 1.0f - 1e-4f, "a million uniforms only span [%.9g, %.9g]", (double)lo, (double)hi);
    double chi2 = 0.0, expected = draws / 10.0;
    for (int b = 0; b < 10; b++)
        chi2 += (bins[b] - expected) * (bins[b] - expected) / expected;
    CHECK(chi2 < 39.34, "chi-square %.2f over 10 bins", chi2);
    nn_sampler_free(s);
}

/* ---- Argmax and the deterministic cases -------------------------------------------------------- */

static void test_argmax(void)
{
    snprintf(context, sizeof context, "nn_argmax");
    const float ties[] = {1.0f, 3.0f, 3.0f, 2.0f, 3.0f};
    CHECK(nn_argmax(ties, 5) == 1, "ties: %d, want the first (1)", nn_argmax(ties, 5));
    const float flat[] = {0.5f, 0.5f, 0.5f};
    CHECK(nn_argmax(flat, 3) == 0, "all equal: %d", nn_argmax(flat, 3));
    const float nan_first[] = {NAN, -5.0f, 2.0f, NAN};
    CHECK(nn_argmax(nan_first, 4) == 2, "NaN skipped: %d, want 2", nn_argmax(nan_first, 4));
    const float nan_larger[] = {1.0f, NAN, 0.0f};
    CHECK(nn_argmax(nan_larger, 3) == 0, "NaN skipped: %d, want 0", nn_argmax(nan_larger, 3));
    const float infinities[] = {-INFINITY, INFINITY, 3.0f, INFINITY};
    CHECK(nn_argmax(infinities, 4) == 1, "+inf: %d, want 1", nn_argmax(infinities, 4));
    const float one = -7.0f;
    CHECK(nn_argmax(&one, 1) == 0, "n = 1: %d", nn_argmax(&one, 1));
}

/* Temperature 0, negative or NaN gives nn_argmax; so does top_k = 1 at any temperature. */
static void test_deterministic_cases(void)
{
    nn_sampler *s = new_sampler(MAX_CLASSES, 42);
    float logits[MAX_CLASSES];
    const float cold[] = {0.0f, -0.0f, -1.0f, -INFINITY, NAN};
    for (int trial = 0; trial < 2000; trial++) {
        int n = 1 + (int)(rng_next() % MAX_CLASSES);
        fill_uniform(logits, n, -5.0f, 5.0f);
        if (trial % 3 == 0) /* ties: the first of them must win */
            logits[n / 2] = logits[n - 1] = 9.0f;
        int want = nn_argmax(logits, n);
        for (size_t t = 0; t < sizeof cold / sizeof cold[0]; t++) {
            snprintf(context, sizeof context, "temperature %g, n %d", (double)cold[t], n);
            nn_sample_params p = {
                .temperature = cold[t], .top_k = trial % 2 ? 3 : 0, .top_p = trial % 4 ? 0.0f : 0.5f};
            int got = nn_sampler_draw(s, logits, n, &p);
            CHECK(got == want, "drew %d, argmax %d", got, want);
        }
        if (trial % 3 == 0)
            continue; /* top_k = 1 breaks ties in its own order */
        const float warm[] = {0.5f, 1.0f, 3.0f};
        for (int t = 0; t < 3; t++) {
            snprintf(context, sizeof context, "top_k 1 temperature %g, n %d", (double)warm[t], n);
            nn_sample_params p = {.temperature = warm[t], .top_k = 1};
            int got = nn_sampler_draw(s, logits, n, &p);
            CHECK(got == want, "drew %d, argmax %d", got, want);
        }
    }
    nn_sampler_free(s);
}

/* ---- Truncation ------------------------------------------------------------------------------------ */

/* With top_k = k the drawn class is always among the k largest logits, and every one of those
 * is drawn sometimes (top_k does not collapse to argmax). */
static void test_top_k(void)
{
    nn_sampler *s = new_sampler(MAX_CLASSES, 2024);
    float logits[40];
    const int ks[] = {2, 3, 5, 10, 39};
    for (size_t q = 0; q < sizeof ks / sizeof ks[0]; q++) {
        int k = ks[q];
        snprintf(context, sizeof context, "top_k %d of 40", k);
        for (int trial = 0; trial < 200; trial++) {
            fill_uniform(logits, 40, -3.0f, 3.0f);
            float threshold = kth_largest(logits, 40, k);
            int drawn_top[40] = {0};
            for (int d = 0; d < 100; d++) {
                nn_sample_params p = {.temperature = trial % 2 ? 1.0f : 4.0f, .top_k = k};
                int got = nn_sampler_draw(s, logits, 40, &p);
                CHECK(got >= 0 && got < 40 && logits[got] >= threshold, "drew %d (logit %.9g), k-th largest %.9g",
                      got, got >= 0 && got < 40 ? (double)logits[got] : 0.0, (double)threshold);
                if (got >= 0 && got < 40)
                    drawn_top[got] = 1;
            }
            if (k <= 3 && trial % 2 == 0) { /* temperature 4 flattens: 100 draws reach all of the top 3 */
                int reached = 0;
                for (int i = 0; i < 40; i++)
                    reached += drawn_top[i];
                CHECK(reached == k, "only %d of the top %d drawn in 100 draws", reached, k);
            }
        }
    }
    nn_sampler_free(s);
}

/* Probabilities 0.5, 0.3, 0.15, 0.05 with top_p 0.6: the smallest set reaching 0.6 is the first
 * two, so only they are drawn, whatever order the classes come in. */
static void test_top_p_support(void)
{
    const float probabilities[2][4] = {{0.5f, 0.3f, 0.15f, 0.05f}, {0.15f, 0.05f, 0.5f, 0.3f}};
    nn_sampler *s = new_sampler(4, 5);
    for (int order = 0; order < 2; order++) {
        snprintf(context, sizeof context, "top_p 0.6, probabilities %g %g %g %g", (double)probabilities[order][0],
                 (double)probabilities[order][1], (double)probabilities[order][2], (double)probabilities[order][3]);
        float logits[4];
        for (int i = 0; i < 4; i++)
            logits[i] = logf(probabilities[order][i]);
        long counts[4] = {0};
        const nn_sample_params p = {.temperature = 1.0f, .top_p = 0.6f};
        for (int d = 0; d < 100000; d++) {
            int got = nn_sampler_draw(s, logits, 4, &p);
            if (got >= 0 && got < 4)
                counts[got]++;
        }
        for (int i = 0; i < 4; i++)
            if (probabilities[order][i] < 0.2f)
                CHECK(counts[i] == 0, "class %d (probability %g) drawn %ld times", i, (double)probabilities[order][i],
                      counts[i]);
            else
                CHECK(counts[i] > 0, "class %d (probability %g) never drawn", i, (double)probabilities[order][i]);
    }
    nn_sampler_free(s);
}

/* ---- Frequencies ----------------------------------------------------------------------------------- */

/* Draw 200,000 times and compare the counts with `expected` probabilities: Pearson's
 * chi-square must stay below its critical value at p = 1e-5. The seed is fixed, so the outcome
 * is deterministic (it cannot flake), and the small p keeps a correct sampler passing after any
 * change that reorders its random draws. A class off by 0.005 in probability already gives
 * ~50; a missed temperature, renormalisation or cut gives thousands. */
static void check_frequencies(const float *logits, int n, const nn_sample_params *p, const double *expected)
{
    /* Chi-square's upper 1e-5 quantile by degrees of freedom (0 unused). */
    static const double critical[] = {0, 19.511, 23.026, 25.902, 28.473, 30.856, 33.107, 35.259, 37.332};
    const int draws = 200000;
    nn_sampler *s = new_sampler(n, 31337);
    long counts[MAX_CLASSES] = {0};
    for (int d = 0; d < draws; d++) {
        int got = nn_sampler_draw(s, logits, n, p);
        CHECK(got >= 0 && got < n, "drew %d", got);
        if (got >= 0 && got < n)
            counts[got]++;
    }
    double chi2 = 0.0;
    int classes = 0;
    for (int i = 0; i < n; i++) {
        if (expected[i] == 0.0) {
            CHECK(counts[i] == 0, "class %d has probability 0, drawn %ld times", i, counts[i]);
            continue;
        }
        double e = expected[i] * draws;
        chi2 += (counts[i] - e) * (counts[i] - e) / e;
        classes++;
    }
    double limit = critical[classes - 1];
    if (getenv("NN_TEST_VERBOSE"))
        printf("  %s: chi-square %.2f, limit %.3f\n", context, chi2, limit);
    CHECK(chi2 < limit, "chi-square %.2f >= %.3f (%d degrees of freedom)", chi2, limit, classes - 1);
    nn_sampler_free(s);
}

/* softmax(logits / temperature) over the classes `keep` marks (all if NULL), in double. */
static void softmax_reference(const float *logits, int n, double temperature, const int *keep, double *p)
{
    double top = -INFINITY, sum = 0.0;
    for (int i = 0; i < n; i++)
        if (!keep || keep[i])
            top = logits[i] > top ? logits[i] : top;
    for (int i = 0; i < n; i++) {
        p[i] = !keep || keep[i] ? exp((logits[i] - top) / temperature) : 0.0;
        sum += p[i];
    }
    for (int i = 0; i < n; i++)
        p[i] /= sum;
}

static void test_frequencies(void)
{
    const float logits[] = {1.0f, 2.0f, -1.0f, 0.5f, 0.0f, -3.0f};
    double p[6];
    const float temperatures[] = {1.0f, 0.5f, 2.0f};
    for (int t = 0; t < 3; t++) {
        snprintf(context, sizeof context, "frequencies at temperature %g", (double)temperatures[t]);
        softmax_reference(logits, 6, temperatures[t], NULL, p);
        check_frequencies(logits, 6, &(nn_sample_params){.temperature = temperatures[t]}, p);
    }
    snprintf(context, sizeof context, "frequencies at top_k 3");
    const int top3[] = {1, 1, 0, 1, 0, 0};
    softmax_reference(logits, 6, 1.0, top3, p);
    check_frequencies(logits, 6, &(nn_sample_params){.temperature = 1.0f, .top_k = 3}, p);
    snprintf(context, sizeof context, "frequencies at top_k 10 of 6 (keeps all)");
    softmax_reference(logits, 6, 1.0, NULL, p);
    check_frequencies(logits, 6, &(nn_sample_params){.temperature = 1.0f, .top_k = 10}, p);
    snprintf(context, sizeof context, "frequencies at top_p 0.6 of 0.5, 0.3, 0.15, 0.05");
    const float quarter[] = {logf(0.15f), logf(0.5f), logf(0.05f), logf(0.3f)};
    const int first_two[] = {0, 1, 0, 1};
    softmax_reference(quarter, 4, 1.0, first_two, p);
    check_frequencies(quarter, 4, &(nn_sample_params){.temperature = 1.0f, .top_p = 0.6f}, p);
}

/* ---- NaN, infinities and bad sizes ------------------------------------------------------------------ */

static void test_special_logits(void)
{
    nn_sampler *s = new_sampler(8, 77);
    const nn_sample_params variants[] = {
        {.temperature = 1.0f}, {.temperature = 0.25f}, {.temperature = 5.0f}, {.temperature = 1.0f, .top_k = 2},
        {.temperature = 1.0f, .top_p = 0.9f}, {.temperature = 2.0f, .top_k = 3, .top_p = 0.5f},
    };
    const int variant_count = (int)(sizeof variants / sizeof variants[0]);

    /* NaN and -inf are never drawn. */
    const float mixed[] = {NAN, 0.5f, -INFINITY, 1.0f, NAN, -INFINITY, 0.2f, -30.0f};
    for (int v = 0; v < variant_count; v++) {
        snprintf(context, sizeof context, "NaN and -inf logits, variant %d", v);
        int ok = 1, last = -1;
        for (int d = 0; d < 20000; d++) {
            last = nn_sampler_draw(s, mixed, 8, &variants[v]);
            ok &= last >= 0 && last < 8 && isfinite(mixed[last]);
            if (!ok)
                break;
        }
        CHECK(ok, "drew class %d (logit %g)", last, last >= 0 && last < 8 ? (double)mixed[last] : 0.0);
    }

    /* Every logit NaN: class 0, at any setting (temperature 0 included). */
    const float all_nan[] = {NAN, NAN, NAN, NAN, NAN};
    for (int v = 0; v < variant_count; v++) {
        snprintf(context, sizeof context, "all NaN, variant %d", v);
        for (int n = 1; n <= 5; n++)
            CHECK(nn_sampler_draw(s, all_nan, n, &variants[v]) == 0, "n %d: drew %d", n,
                  nn_sampler_draw(s, all_nan, n, &variants[v]));
    }
    snprintf(context, sizeof context, "all NaN, temperature 0");
    CHECK(nn_sampler_draw(s, all_nan, 5, &(nn_sample_params){0}) == 0, "drew %d",
          nn_sampler_draw(s, all_nan, 5, &(nn_sample_params){0}));

    /* A +inf logit is always drawn: it outweighs every finite logit at every temperature. */
    const float with_inf[] = {0.0f, 3.0f, INFINITY, -2.0f, -INFINITY, NAN, 1e30f, 1.0f};
    for (int v = 0; v < variant_count; v++) {
        snprintf(context, sizeof context, "+inf logit, variant %d", v);
        int ok = 1, last = -1;
        for (int d = 0; d < 5000 && ok; d++)
            ok &= (last = nn_sampler_draw(s, with_inf, 8, &variants[v])) == 2;
        CHECK(ok, "drew %d, want 2 (the +inf logit)", last);
    }
    snprintf(context, sizeof context, "+inf logit, temperature 0");
    CHECK(nn_sampler_draw(s, with_inf, 8, &(nn_sample_params){0}) == 2, "argmax path");
    /* ... even next to the largest finite logit, which the temperature 0.5 scales past FLT_MAX. */
    const float inf_and_max[] = {FLT_MAX, INFINITY};
    snprintf(context, sizeof context, "+inf next to FLT_MAX, temperature 0.5");
    int drawn_max = 0;
    for (int d = 0; d < 1000; d++)
        drawn_max += nn_sampler_draw(s, inf_and_max, 2, &(nn_sample_params){.temperature = 0.5f}) == 0;
    CHECK(drawn_max == 0, "the FLT_MAX logit was drawn %d times in 1000 over the +inf one", drawn_max);
    /* Huge finite logits keep their order however small the temperature: the larger one's share
     * is 1 - e^-(1e38 / 0.001). */
    const float huge[] = {1e38f, 2e38f};
    snprintf(context, sizeof context, "logits 1e38, 2e38 at temperature 0.001");
    int drawn_smaller = 0;
    for (int d = 0; d < 1000; d++)
        drawn_smaller += nn_sampler_draw(s, huge, 2, &(nn_sample_params){.temperature = 0.001f}) == 0;
    CHECK(drawn_smaller == 0, "the 1e38 logit was drawn %d times in 1000 over 2e38", drawn_smaller);

    /* n outside 1 .. max_classes gives -1. */
    snprintf(context, sizeof context, "bad n");
    const float eight[8] = {0};
    const nn_sample_params p = {.temperature = 1.0f};
    CHECK(nn_sampler_draw(s, eight, 0, &p) == -1, "n 0");
    CHECK(nn_sampler_draw(s, eight, -3, &p) == -1, "n -3");
    CHECK(nn_sampler_draw(s, eight, 9, &p) == -1, "n 9 > max_classes 8");
    CHECK(nn_sampler_draw(s, eight, 8, &p) >= 0, "n 8 = max_classes refused");
    nn_sampler_free(s);

    snprintf(context, sizeof context, "nn_sampler_new arguments");
    int placeholder = 0;
    nn_sampler *bad = (nn_sampler *)(void *)&placeholder; /* must be reset to NULL on failure */
    CHECK(nn_sampler_new(0, 1, &bad) == NN_ERR_ARGUMENT && !bad, "max_classes 0");
    CHECK(nn_sampler_new(4, 1, NULL) == NN_ERR_ARGUMENT, "NULL out");
}

/* Every *_free in nn.h does nothing on NULL (a crash here is the failure). */
static void test_free_null(void)
{
    snprintf(context, sizeof context, "*_free(NULL)");
    nn_matrix_free(NULL);
    nn_sampler_free(NULL);
    nn_model_free(NULL);
    nn_writer_free(NULL);
    nn_rnn_free(NULL);
    CHECK(1, "unreachable");
}

int main(void)
{
    test_seeding();
    test_uniform();
    test_argmax();
    test_deterministic_cases();
    test_top_k();
    test_top_p_support();
    test_frequencies();
    test_special_logits();
    test_free_null();
    printf("test_sampler: %d checks, %d failed: %s\n", checks, failures, failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}
