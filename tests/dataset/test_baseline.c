/* test_baseline.c — the n-gram baseline: interpolated Kneser-Ney against values worked out by hand,
 * normalisation, a deterministic cycle, uniform noise, and `nn-train baseline --json` end to end.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#define TEST_SEED 0x6e6772616d5eull
#include "dataset_test.h"

#include <math.h>

/* Labels 0..2, order 2, one training sequence 0 0 1 (padded: BOS 0 0 1).
 *   unigram counts 0:2 1:1, n1 = n2 = 1: D = 1/3; continuation counts 0:{BOS,0} = 2, 1:{0} = 1,
 *   the same numbers, so both unigram distributions are
 *     p(0) = (2 - 1/3)/3 + (1/3)(2/3)(1/3) = 17/27, p(1) = 8/27, p(2) = 2/27;
 *   bigram counts (BOS,0) (0,0) (0,1) are all 1: n2 = 0, D = 1/2;
 *     p(.|BOS) = 1/2 p1 + 1/2 [0]: 22/27, 4/27, 1/27
 *     p(.|0)   = 1/2 p1 + 1/4 [0] + 1/4 [1]: 61/108, 43/108, 4/108
 *     p(.|1), p(.|2): unseen contexts, the continuation unigram. */
static void test_by_hand(void)
{
    snprintf(context, sizeof context, "by hand");
    char why[NN_MESSAGE_SIZE] = "";
    ngram_model *m = NULL;
    CHECK(ngram_new(2, 3, &m, why) == NN_OK, "%s", why);
    if (!m)
        return;
    const int train[] = {0, 0, 1};
    CHECK(ngram_add(m, train, 3, why) == NN_OK && ngram_finish(m, why) == NN_OK, "%s", why);
    CHECK(fabs(ngram_discount(m, 1, false) - 1.0 / 3) < 1e-15 && fabs(ngram_discount(m, 1, true) - 1.0 / 3) < 1e-15 &&
              ngram_discount(m, 2, false) == 0.5,
          "discounts %g %g %g", ngram_discount(m, 1, false), ngram_discount(m, 1, true), ngram_discount(m, 2, false));
    CHECK(ngram_distinct(m, 1) == 2 && ngram_distinct(m, 2) == 3, "%llu %llu", (unsigned long long)ngram_distinct(m, 1),
          (unsigned long long)ngram_distinct(m, 2));
    const double unigram[3] = {17.0 / 27, 8.0 / 27, 2.0 / 27};
    const double after_bos[3] = {22.0 / 27, 4.0 / 27, 1.0 / 27};
    const double after_0[3] = {61.0 / 108, 43.0 / 108, 4.0 / 108};
    double p[3];
    ngram_distribution(m, 1, NULL, 0, p);
    for (int w = 0; w < 3; w++)
        CHECK(fabs(p[w] - unigram[w]) < 1e-15, "order 1: p(%d) = %.17g, want %.17g", w, p[w], unigram[w]);
    ngram_distribution(m, 2, NULL, 0, p);
    for (int w = 0; w < 3; w++)
        CHECK(fabs(p[w] - after_bos[w]) < 1e-15, "p(%d | BOS) = %.17g, want %.17g", w, p[w], after_bos[w]);
    const int h0[] = {1, 0}, h1[] = {1};
    ngram_distribution(m, 2, h0, 2, p);
    for (int w = 0; w < 3; w++)
        CHECK(fabs(p[w] - after_0[w]) < 1e-15, "p(%d | 0) = %.17g, want %.17g", w, p[w], after_0[w]);
    ngram_distribution(m, 2, h1, 1, p);
    for (int w = 0; w < 3; w++)
        CHECK(fabs(p[w] - unigram[w]) < 1e-15, "p(%d | 1) = %.17g, want %.17g", w, p[w], unigram[w]);

    /* scoring 0 1 2: order 1 gets 0 right (argmax 0); order 2 predicts 0 after BOS, 0 after 0
     * (wrong), 0 after 1 (wrong) */
    const int eval[] = {0, 1, 2};
    ngram_score s[2] = {{0}};
    ngram_score_sequence(m, eval, 3, s);
    double nll1 = -(log(17.0 / 27) + log(8.0 / 27) + log(2.0 / 27));
    double nll2 = -(log(22.0 / 27) + log(43.0 / 108) + log(2.0 / 27));
    CHECK(fabs(s[0].nll_sum - nll1) < 1e-12 && s[0].correct == 1 && s[0].steps == 3, "order 1: %.17g %llu",
          s[0].nll_sum, (unsigned long long)s[0].correct);
    CHECK(fabs(s[1].nll_sum - nll2) < 1e-12 && s[1].correct == 1 && s[1].steps == 3, "order 2: %.17g %llu",
          s[1].nll_sum, (unsigned long long)s[1].correct);
    ngram_free(m);
    ngram_free(NULL);

    snprintf(context, sizeof context, "arguments");
    CHECK(ngram_new(7, 512, &m, why) == NN_ERR_ARGUMENT && !m, "order 7 over 512 labels (10 bits each)");
    CHECK(ngram_new(6, 512, &m, why) == NN_OK, "%s", why);
    const int bad[] = {512};
    CHECK(ngram_add(m, bad, 1, why) == NN_ERR_ARGUMENT, "label 512 of 512 accepted");
    CHECK(ngram_finish(m, why) == NN_ERR_ARGUMENT, "finished without training data");
    ngram_free(m);
}

/* Train m on 20 sequences of 300 labels < vocabulary, mostly the cycle 0..4 with a random label
 * at about one step in four: the same ones at every call (the generator restarts from TEST_SEED).
 * seq[300] is left holding the last. */
static void add_mostly_cycle(ngram_model *m, int vocabulary, int *seq, char *why)
{
    rng_state = TEST_SEED;
    for (int s = 0; s < 20; s++) {
        for (int i = 0; i < 300; i++)
            seq[i] = (int)(rng_next() % 4 == 0 ? rng_next() % (uint64_t)vocabulary : (uint64_t)(i % 5));
        CHECK(ngram_add(m, seq, 300, why) == NN_OK, "%s", why);
    }
}

/* Every distribution sums to 1 and is positive, whatever the history. */
static void test_normalised(void)
{
    snprintf(context, sizeof context, "normalised");
    enum { V = 12, N = 4 };
    char why[NN_MESSAGE_SIZE] = "";
    ngram_model *m = NULL;
    CHECK(ngram_new(N, V, &m, why) == NN_OK, "%s", why);
    int seq[300];
    add_mostly_cycle(m, V, seq, why);
    CHECK(ngram_finish(m, why) == NN_OK, "%s", why);
    double p[V];
    for (int trial = 0; trial < 200; trial++) {
        int history[6], count = (int)(rng_next() % 7);
        for (int i = 0; i < count; i++)
            history[i] = (int)(rng_next() % V);
        for (int order = 1; order <= N; order++) {
            ngram_distribution(m, order, history, count, p);
            double sum = 0;
            bool positive = true;
            for (int w = 0; w < V; w++) {
                sum += p[w];
                positive &= p[w] > 0;
            }
            CHECK(fabs(sum - 1.0) < 1e-12 && positive, "order %d: sum %.17g", order, sum);
        }
    }
    /* the orders do not depend on the highest one fitted: padding and counts are the same */
    ngram_model *small = NULL;
    CHECK(ngram_new(2, V, &small, why) == NN_OK, "%s", why);
    add_mostly_cycle(small, V, seq, why);
    ngram_finish(small, why);
    ngram_score a[N] = {{0}}, b[2] = {{0}};
    ngram_score_sequence(m, seq, 300, a);
    ngram_score_sequence(small, seq, 300, b);
    CHECK(fabs(a[0].nll_sum - b[0].nll_sum) < 1e-9 && fabs(a[1].nll_sum - b[1].nll_sum) < 1e-9 &&
              a[1].correct == b[1].correct,
          "order 2 fitted up to 4: %.17g, up to 2: %.17g", a[1].nll_sum, b[1].nll_sum);
    ngram_free(small);
    ngram_free(m);
}

/* A label that always follows the same one: order 2 and up predict every step. */
static void test_cycle(void)
{
    snprintf(context, sizeof context, "cycle");
    enum { V = 38, N = 5 };
    char why[NN_MESSAGE_SIZE] = "";
    ngram_model *m = NULL;
    CHECK(ngram_new(N, V, &m, why) == NN_OK, "%s", why);
    int seq[400];
    for (int i = 0; i < 400; i++)
        seq[i] = (i * 7 + 3) % V; /* 7 is prime to 38: every label, each with one successor */
    for (int s = 0; s < 20; s++)
        ngram_add(m, seq, 400, why);
    CHECK(ngram_finish(m, why) == NN_OK, "%s", why);
    ngram_score score[N] = {{0}};
    for (int s = 0; s < 3; s++)
        ngram_score_sequence(m, seq, 400 - 50 * s, score);
    for (int n = 1; n <= N; n++) {
        double nll = score[n - 1].nll_sum / (double)score[n - 1].steps;
        double accuracy = (double)score[n - 1].correct / (double)score[n - 1].steps;
        if (n == 1)
            CHECK(fabs(nll - log(V)) < 0.01 && accuracy < 0.05, "order 1: NLL %g, accuracy %g", nll, accuracy);
        else /* each context seen ~200 times with one follower: -log(1 - D/c ...) < 0.01 */
            CHECK(accuracy == 1.0 && nll > 0 && nll < 0.01, "order %d: NLL %g, accuracy %g", n, nll, accuracy);
    }
    ngram_free(m);
}

/* Uniform random labels: the unigram NLL is log V; longer contexts cannot help. */
static void test_uniform(void)
{
    snprintf(context, sizeof context, "uniform");
    enum { V = 38, N = 3, LENGTH = 500 };
    char why[NN_MESSAGE_SIZE] = "";
    ngram_model *m = NULL;
    CHECK(ngram_new(N, V, &m, why) == NN_OK, "%s", why);
    int seq[LENGTH];
    for (int s = 0; s < 400; s++) {
        for (int i = 0; i < LENGTH; i++)
            seq[i] = (int)(rng_next() % V);
        ngram_add(m, seq, LENGTH, why);
    }
    CHECK(ngram_finish(m, why) == NN_OK, "%s", why);
    ngram_score score[N] = {{0}};
    for (int s = 0; s < 200; s++) {
        for (int i = 0; i < LENGTH; i++)
            seq[i] = (int)(rng_next() % V);
        ngram_score_sequence(m, seq, LENGTH, score);
    }
    double nll1 = score[0].nll_sum / (double)score[0].steps;
    /* 200k training labels: the fitted unigram is within ~1e-4 nats of uniform, and the
     * evaluation mean of -log p(y) varies by less than that */
    CHECK(fabs(nll1 - log(V)) < 0.005, "order 1: NLL %.6f, log V %.6f", nll1, log(V));
    for (int n = 2; n <= N; n++) {
        double nll = score[n - 1].nll_sum / (double)score[n - 1].steps;
        CHECK(nll > log(V) - 0.005, "order %d: NLL %.6f beats noise (log V %.6f)", n, nll, log(V));
    }
    /* memory: the tables hold the distinct n-grams, at most 3/4 full while counting */
    size_t distinct = 0;
    for (int n = 1; n <= N; n++)
        distinct += ngram_distinct(m, n);
    CHECK(ngram_bytes(m) < distinct * 64 + 65536, "%zu bytes for %zu n-grams", ngram_bytes(m), distinct);
    ngram_free(m);
}

/* A number after `"key": ` in the n-th object of `orders` (1-based), or NAN. */
static double json_number(const char *json, int order, const char *key)
{
    char marker[32], name[40];
    snprintf(marker, sizeof marker, "{\"order\": %d,", order);
    snprintf(name, sizeof name, "\"%s\": ", key);
    const char *at = strstr(json, marker);
    const char *end = at ? strchr(at, '}') : NULL;
    const char *v = at ? strstr(at, name) : NULL;
    return v && v < end ? atof(v + strlen(name)) : NAN;
}

/* nn-train baseline on a basic_rnn dataset of cycles: its labels are the classes after the first. */
static void test_command(const char *tool)
{
    snprintf(context, sizeof context, "nn-train baseline");
    enum { L = 200 };
    static uint16_t cycle[L + 40];
    for (int i = 0; i < L + 40; i++)
        cycle[i] = (uint16_t)(i % 9 + 2);
    hand_record records[12];
    for (int r = 0; r < 12; r++) /* the last two evaluate; all start alike, so BOS predicts too */
        records[r] = (hand_record){L - r, r >= 10, 0, (uint32_t)r, cycle, NULL};
    hand_header h = {"basic_rnn", 38, 38, 1, 0, 12};
    size_t size = 0;
    uint8_t *b = hand_dataset(&h, records, 12, &size);
    char data[160], out[160], err[160];
    snprintf(data, sizeof data, "%s/cycle.nnd", scratch);
    snprintf(out, sizeof out, "%s/baseline.json", scratch);
    snprintf(err, sizeof err, "%s/baseline.log", scratch);
    CHECK(write_bytes(data, b, size), "cannot write %s", data);
    free(b);
    const char *args[] = {"baseline", "--data", data, "--order", "3", "--json", NULL};
    CHECK(run_tool(tool, args, out, err) == 0, "nn-train baseline failed (%s)", err);
    char *json = read_text(out);
    CHECK(json && json[0] == '{' && strstr(json, "\"encoding\": \"basic_rnn\"") && strstr(json, "\"labels\": 38") &&
              strstr(json, "\"eval_steps\": 377") && strstr(json, "\"smoothing\": \"interpolated Kneser-Ney\""),
          "json: %s", json ? json : "(none)");
    if (json) {
        /* the same numbers as the API on the same labels */
        char why[NN_MESSAGE_SIZE];
        ngram_model *m = NULL;
        ngram_new(3, 38, &m, why);
        int labels[L];
        for (int r = 0; r < 10; r++) {
            for (int i = 1; i < records[r].length; i++)
                labels[i - 1] = cycle[i];
            ngram_add(m, labels, records[r].length - 1, why);
        }
        ngram_finish(m, why);
        ngram_score s[3] = {{0}};
        for (int r = 10; r < 12; r++) {
            for (int i = 1; i < records[r].length; i++)
                labels[i - 1] = cycle[i];
            ngram_score_sequence(m, labels, records[r].length - 1, s);
        }
        for (int n = 1; n <= 3; n++) {
            double nll = json_number(json, n, "nll"), accuracy = json_number(json, n, "accuracy");
            double want = s[n - 1].nll_sum / (double)s[n - 1].steps;
            CHECK(fabs(nll - want) < 1e-6 && fabs(exp(nll) - json_number(json, n, "perplexity")) < 1e-4 * exp(nll),
                  "order %d: NLL %g, want %g", n, nll, want);
            if (n >= 2)
                CHECK(accuracy == 1.0, "order %d: accuracy %g", n, accuracy);
        }
        ngram_free(m);
    }
    free(json);
    /* text output, and refusals */
    const char *text[] = {"baseline", "--data", data, NULL};
    CHECK(run_tool(tool, text, out, err) == 0, "text output failed");
    json = read_text(out);
    CHECK(json && strstr(json, "order") && strstr(json, "perplexity"), "text: %s", json ? json : "");
    free(json);
    const char *too_high[] = {"baseline", "--data", data, "--order", "11", NULL};
    CHECK(run_tool(tool, too_high, out, err) == 2, "--order 11 accepted");
    char missing[160];
    snprintf(missing, sizeof missing, "%s/none.nnd", scratch);
    const char *absent[] = {"baseline", "--data", missing, NULL};
    CHECK(run_tool(tool, absent, out, err) == 1, "a missing file accepted");
    char *log = read_text(err);
    CHECK(log && strstr(log, missing), "the message does not name the file: %s", log ? log : "");
    free(log);
}

int main(int argc, char **argv)
{
    make_scratch("test-baseline");
    test_by_hand();
    test_normalised();
    test_cycle();
    test_uniform();
    if (argc > 1)
        test_command(argv[1]);
    if (!failures)
        remove_tree(scratch);
    else
        printf("test_baseline: kept %s\n", scratch);
    return check_summary("test_baseline");
}
