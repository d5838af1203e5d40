/* nn-demo — the engine end to end, as a plugin would use it: write a model file, load and
 * validate it, run it block by block against an audio clock, swap in bad files and keep playing.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Until the trained starter models exist the demo's model has seeded random weights in the
 * shape of Magenta's basic_rnn (38 classes, two LSTM layers of 128); --model runs any event_rnn
 * file instead. Output classes are read as Magenta's melody one-hot encoding for the range
 * 48..84: 0 no event, 1 note off, 2 + k the pitch 48 + k.
 */
#include "nn.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct options {
    const char *model, *out_dir;
    int steps, f16;
    uint64_t seed;
    nn_sample_params sampling;
} options;

static void usage(FILE *to)
{
    fputs("usage: nn-demo [--model FILE] [--out DIR] [--steps N] [--seed N] [--temperature T]\n"
          "               [--top-k K] [--top-p P] [--f16]\n"
          "  --model FILE   run this event_rnn model instead of writing the demo model\n"
          "  --out DIR      where the demo model and the bad copies go (default out/demo)\n"
          "  --steps N      sixteenth-note steps to generate (default 64)\n"
          "  --seed N       sampler seed (default 1)\n"
          "  --f16          store the demo model's kernels as float16\n",
          to);
}

static int parse_options(int argc, char **argv, options *o)
{
    *o = (options){.out_dir = "out/demo", .steps = 64, .seed = 1, .sampling = {.temperature = 1.0f}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--f16")) {
            o->f16 = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "nn-demo: %s needs a value\n", a);
            return -1;
        }
        i++;
        errno = 0;
        if (!strcmp(a, "--model"))
            o->model = v;
        else if (!strcmp(a, "--out"))
            o->out_dir = v;
        else if (!strcmp(a, "--steps"))
            o->steps = (int)strtol(v, &end, 10);
        else if (!strcmp(a, "--seed"))
            o->seed = strtoull(v, &end, 10);
        else if (!strcmp(a, "--temperature"))
            o->sampling.temperature = strtof(v, &end);
        else if (!strcmp(a, "--top-k"))
            o->sampling.top_k = (int)strtol(v, &end, 10);
        else if (!strcmp(a, "--top-p"))
            o->sampling.top_p = strtof(v, &end);
        else {
            fprintf(stderr, "nn-demo: unknown option %s\n", a);
            return -1;
        }
        if (end && (*end || errno)) {
            fprintf(stderr, "nn-demo: %s: '%s' is not a number\n", a, v);
            return -1;
        }
    }
    if (o->steps < 1 || o->steps > 100000 || !(o->sampling.temperature >= 0.0f && o->sampling.temperature <= 100.0f) ||
        o->sampling.top_k < 0 || !(o->sampling.top_p >= 0.0f && o->sampling.top_p <= 1.0f)) {
        fprintf(stderr, "nn-demo: --steps 1..100000, --temperature 0..100, --top-k >= 0, --top-p 0..1\n");
        return -1;
    }
    return 0;
}

/* Glorot-uniform weights from a fixed seed: the shape and scale of a model before training. */
static void fill_glorot(float *w, size_t count, int fan_in, int fan_out, uint64_t *state)
{
    float limit = sqrtf(6.0f / (float)(fan_in + fan_out));
    for (size_t i = 0; i < count; i++) {
        *state = *state * 6364136223846793005ull + 1442695040888963407ull;
        w[i] = limit * (2.0f * (float)(*state >> 40) / 16777216.0f - 1.0f);
    }
}

static int write_demo_model(const char *path, int f16, char *why)
{
    enum { CLASSES = 38, UNITS = 128, LAYERS = 2 };
    nn_writer *w = NULL;
    if (nn_writer_new(NN_KIND_EVENT_RNN, &w) != NN_OK)
        return snprintf(why, NN_MESSAGE_SIZE, "out of memory"), -1;
    nn_writer_set_int(w, "input_size", CLASSES);
    nn_writer_set_int(w, "num_classes", CLASSES);
    nn_writer_set_int(w, "num_layers", LAYERS);
    nn_writer_set_float(w, "forget_bias", 1.0);
    nn_writer_set_string(w, "encoding", "melody_onehot_48_84");
    nn_writer_set_string(w, "weights", "untrained-demo");
    float *buf = calloc((size_t)(2 * UNITS) * 4 * UNITS, sizeof *buf), zeros[4 * UNITS] = {0};
    uint64_t state = 2026;
    nn_status st = buf ? NN_OK : NN_ERR_MEMORY;
    int in = CLASSES;
    char name[64];
    for (int k = 0; k < LAYERS && st == NN_OK; k++, in = UNITS) {
        fill_glorot(buf, (size_t)(in + UNITS) * 4 * UNITS, in + UNITS, 4 * UNITS, &state);
        snprintf(name, sizeof name, "rnn/cell_%d/kernel", k);
        st = nn_writer_add(w, name, f16 ? NN_F16 : NN_F32, 2, (int[]){in + UNITS, 4 * UNITS}, buf);
        snprintf(name, sizeof name, "rnn/cell_%d/bias", k);
        if (st == NN_OK)
            st = nn_writer_add(w, name, NN_F32, 1, (int[]){4 * UNITS}, zeros);
    }
    if (st == NN_OK) {
        fill_glorot(buf, (size_t)UNITS * CLASSES, UNITS, CLASSES, &state);
        st = nn_writer_add(w, "output/kernel", f16 ? NN_F16 : NN_F32, 2, (int[]){UNITS, CLASSES}, buf);
    }
    if (st == NN_OK)
        st = nn_writer_add(w, "output/bias", NN_F32, 1, (int[]){CLASSES}, zeros);
    if (st == NN_OK)
        st = nn_writer_save(w, path, why);
    else
        snprintf(why, NN_MESSAGE_SIZE, "%.300s: %s", path, nn_status_text(st));
    free(buf);
    nn_writer_free(w);
    return st == NN_OK ? 0 : -1;
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const char *describe(int cls, char *buf, size_t size)
{
    static const char *names[12] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
    if (cls == 0)
        return "-";
    if (cls == 1)
        return "off";
    int pitch = 48 + cls - 2;
    snprintf(buf, size, "%s%d", names[pitch % 12], pitch / 12 - 1);
    return buf;
}

/* Play `steps` sixteenth notes at 120 BPM against a 48 kHz clock in 64-frame blocks, as a
 * plugin's run() would: one model step and one draw when a step falls inside the block. */
static uint64_t play(nn_rnn *rnn, nn_sampler *sampler, const options *o, int *out, double *step_us)
{
    const int rate = 48000, block = 64, step_frames = rate * 60 / 120 / 4;
    int classes = nn_rnn_classes(rnn), previous = 0, done = 0;
    uint64_t hash = 1469598103934665603ull;
    nn_rnn_reset(rnn);
    nn_sampler_seed(sampler, o->seed);
    for (long frame = 0; done < o->steps; frame += block) {
        nn_fp_state fp = nn_fp_enter();
        long next = (long)done * step_frames;
        if (next >= frame && next < frame + block) {
            double t0 = now_us();
            const float *logits = nn_rnn_step_class(rnn, previous);
            previous = nn_sampler_draw(sampler, logits, classes, &o->sampling);
            step_us[done] = now_us() - t0;
            out[done++] = previous;
            hash = (hash ^ (uint64_t)previous) * 1099511628211ull;
        }
        nn_fp_leave(fp);
    }
    return hash;
}

/* Write a damaged copy of `src`: truncated, or with one byte flipped. */
static int write_bad_copy(const char *src, const char *dst, int truncate)
{
    FILE *in = fopen(src, "rb");
    if (!in)
        return -1;
    static unsigned char bytes[4 << 20];
    size_t n = fread(bytes, 1, sizeof bytes, in);
    fclose(in);
    if (truncate)
        n /= 2;
    else
        bytes[n / 2] ^= 0x10;
    FILE *out = fopen(dst, "wb");
    if (!out)
        return -1;
    size_t put = fwrite(bytes, 1, n, out);
    return (fclose(out) == 0 && put == n) ? 0 : -1;
}

int main(int argc, char **argv)
{
    options o;
    if (parse_options(argc, argv, &o) != 0) {
        usage(stderr);
        return 2;
    }
    char why[NN_MESSAGE_SIZE], path[1024];
    if (o.model)
        snprintf(path, sizeof path, "%s", o.model);
    else {
        char parent[1024];
        snprintf(parent, sizeof parent, "%s", o.out_dir);
        for (char *p = parent + 1; *p; p++) /* mkdir -p */
            if (*p == '/') {
                *p = 0;
                mkdir(parent, 0755);
                *p = '/';
            }
        if (mkdir(parent, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "nn-demo: %s: cannot create: %s\n", parent, strerror(errno));
            return 1;
        }
        snprintf(path, sizeof path, "%s/demo-basic_rnn%s.nnm", o.out_dir, o.f16 ? "-f16" : "");
        if (write_demo_model(path, o.f16, why) != 0) {
            fprintf(stderr, "nn-demo: %s\n", why);
            return 1;
        }
        printf("1. Wrote %s: Magenta basic_rnn's shape, untrained (seeded random) weights.\n", path);
    }

    nn_model *model = NULL;
    if (nn_model_load(path, &model, why) != NN_OK) {
        fprintf(stderr, "nn-demo: %s\n", why);
        return 1;
    }
    nn_rnn *rnn = NULL;
    nn_sampler *sampler = NULL;
    if (nn_rnn_new(model, &rnn, why) != NN_OK || nn_sampler_new(nn_rnn_classes(rnn), o.seed, &sampler) != NN_OK) {
        fprintf(stderr, "nn-demo: %s\n", why[0] ? why : "cannot create the runner");
        return 1;
    }
    printf("2. Loaded and validated it: %s, %zu parameters, %zu bytes of weights, %zu bytes per instance,\n"
           "   kernels: %s. Everything the audio thread touches is allocated now.\n",
           nn_kind_name(nn_model_kind(model)), nn_model_param_count(model), nn_model_weight_bytes(model),
           nn_model_runner_bytes(model), nn_simd_active());

    int *events = calloc((size_t)o.steps, sizeof *events);
    double *times = calloc((size_t)o.steps, sizeof *times);
    if (!events || !times)
        return 1;
    uint64_t first = play(rnn, sampler, &o, events, times);
    printf("3. Played %d sixteenth-note steps at 120 BPM (48 kHz, 64-frame blocks), seed %llu:\n  ", o.steps,
           (unsigned long long)o.seed);
    char note[16];
    for (int i = 0; i < o.steps; i++)
        printf(" %s%s", describe(events[i], note, sizeof note), (i + 1) % 16 == 0 && i + 1 < o.steps ? "\n  " : "");
    qsort(times, (size_t)o.steps, sizeof *times, compare_double);
    printf("\n   Model step + draw: median %.1f us, worst %.1f us; the 64-frame block lasts %.0f us.\n",
           times[o.steps / 2], times[o.steps - 1], 64.0 / 48000.0 * 1e6);
    uint64_t second = play(rnn, sampler, &o, events, times);
    printf("4. Played again with the same seed: %s (hash %016llx).\n", first == second ? "identical" : "DIFFERENT",
           (unsigned long long)second);

    int failed = first != second;
    if (!o.model) {
        /* A plugin swaps models in its worker: a bad file must be refused with a reason while
         * the current model keeps playing. */
        const char *cases[3][2] = {{"-damaged", "one byte flipped"}, {"-truncated", "cut in half"}, {"-missing", "absent"}};
        printf("5. Bad model files are refused with a reason; the loaded model keeps playing:\n");
        for (int c = 0; c < 3; c++) {
            char bad[1100];
            snprintf(bad, sizeof bad, "%s/demo%s.nnm", o.out_dir, cases[c][0]);
            remove(bad);
            if (c < 2 && write_bad_copy(path, bad, c == 1) != 0) {
                fprintf(stderr, "nn-demo: cannot write %s\n", bad);
                return 1;
            }
            nn_model *replacement = NULL;
            nn_status st = nn_model_load(bad, &replacement, why);
            printf("   %-16s -> %s\n", cases[c][1], st == NN_OK ? "LOADED (wrong)" : why);
            failed |= st == NN_OK;
            nn_model_free(replacement);
        }
        failed |= play(rnn, sampler, &o, events, times) != first;
        printf("   The original model still gives the same performance: %s.\n", failed ? "NO" : "yes");
    }
    free(events);
    free(times);
    nn_sampler_free(sampler);
    nn_rnn_free(rnn);
    nn_model_free(model);
    return failed;
}
