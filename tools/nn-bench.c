/* nn-bench.c — times one step of the engine's LSTM, GRU and dense layers against this machine's peak.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, posix_memalign */

#include "nn.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define BENCH_X86 1
#endif

/* ---- Settings ------------------------------------------------------------------------------ */

typedef struct bench_config {
    long min_steps;       /* timed steps per row, at least... */
    double min_seconds;   /* ...and at least this long */
    long max_steps;       /* bounds the sample buffer for the fastest rows */
    double warmup_seconds;
    double peak_seconds;  /* per FMA-peak measurement */
    double roof_seconds;  /* per streaming-read measurement */
    size_t dram_bytes;    /* the buffer that measures memory bandwidth */
    int markdown, quick, with_gru;
    const char *simd;
} bench_config;

/* RTNeural's Eigen backend, one LSTM step with input = hidden, as the issue measured it on an
 * AMD EPYC (Zen 1), 2 cores, AVX2+FMA. The target is at least 1.5x faster at every size. */
static const struct {
    int hidden;
    double micros;
} rtneural_eigen_lstm[] = {{64, 2.7}, {128, 11.3}, {256, 53.0}, {512, 400.0}};
#define TARGET_SPEEDUP 1.5

static const int hidden_sizes[] = {16, 64, 128, 256, 512};
#define DENSE_SIZE 512
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Time ------------------------------------------------------------------------------------ */

static inline double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The value at quantile q of sorted[n], by nearest rank. */
static double quantile(const double *sorted, long n, double q)
{
    long rank = (long)ceil(q * (double)n);
    return sorted[(rank < 1 ? 1 : rank) - 1];
}

/* The cost of the clock read itself, subtracted from every sample: at hidden 16 a whole step
 * lasts only a few clock reads. */
static double timer_overhead_ns(void)
{
    enum { N = 20001 };
    static double d[N];
    for (int i = 0; i < N; i++) {
        double t0 = now_ns();
        d[i] = now_ns() - t0;
    }
    qsort(d, N, sizeof d[0], compare_doubles);
    return d[N / 2];
}

/* ---- Deterministic test data ----------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* Uniform in [-scale, scale), xorshift64*: every run packs the same weights. */
static float random_uniform(float scale)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    uint64_t r = rng_state * 0x2545f4914f6cdd1dull;
    return scale * ((float)(r >> 40) / (float)(1u << 23) - 1.0f);
}

static float *random_floats(size_t n, float scale)
{
    float *v = malloc(n * sizeof *v);
    if (v)
        for (size_t i = 0; i < n; i++)
            v[i] = random_uniform(scale);
    return v;
}

/* Glorot-sized random weights, so the recurrent state stays in the activations' useful range. */
static nn_matrix *random_matrix(int rows, int cols, nn_dtype dtype)
{
    float *data = random_floats((size_t)rows * cols, 1.0f / sqrtf((float)rows));
    nn_matrix *m = NULL;
    if (data)
        nn_matrix_new(rows, cols, dtype, data, &m);
    free(data);
    return m;
}

/* ---- The measured layers --------------------------------------------------------------------- */

typedef enum layer_kind { LAYER_LSTM, LAYER_DENSE, LAYER_GRU } layer_kind;
static const char *const layer_names[] = {"LSTM", "Dense", "GRU"};

typedef struct workload {
    layer_kind kind;
    int size; /* hidden units with input = hidden, or rows = cols for dense */
    nn_dtype dtype;
    nn_matrix *kernel, *candidate_kernel; /* the second only for GRU */
    float *bias, *candidate_bias, *candidate_hidden_bias;
    float *x, *h, *c, *out;
    nn_lstm_cell lstm;
    nn_gru_cell gru;
} workload;

static void workload_free(workload *w)
{
    nn_matrix_free(w->kernel);
    nn_matrix_free(w->candidate_kernel);
    free(w->bias);
    free(w->candidate_bias);
    free(w->candidate_hidden_bias);
    free(w->x);
    free(w->h);
    free(w->c);
    free(w->out);
}

/* 0 on success; on failure the caller still frees. */
static int workload_make(workload *w, layer_kind kind, int n, nn_dtype dtype)
{
    *w = (workload){.kind = kind, .size = n, .dtype = dtype};
    w->x = random_floats((size_t)n, 1.0f);
    w->h = calloc((size_t)n, sizeof(float));
    w->c = calloc((size_t)n, sizeof(float));
    switch (kind) {
    case LAYER_LSTM:
        w->kernel = random_matrix(2 * n, 4 * n, dtype);
        w->bias = random_floats(4 * (size_t)n, 0.1f);
        w->lstm = (nn_lstm_cell){.kernel = w->kernel, .bias = w->bias, .input = n, .units = n, .forget_bias = 1.0f};
        w->out = malloc(nn_lstm_work_size(&w->lstm) * sizeof(float));
        break;
    case LAYER_GRU:
        w->kernel = random_matrix(2 * n, 2 * n, dtype);
        w->candidate_kernel = random_matrix(2 * n, n, dtype);
        w->bias = random_floats(2 * (size_t)n, 0.1f);
        w->candidate_bias = random_floats((size_t)n, 0.1f);
        w->candidate_hidden_bias = random_floats((size_t)n, 0.1f);
        /* reset_after = 1: PyTorch's, cuDNN's and Keras v2's GRU, the one RTNeural runs. */
        w->gru = (nn_gru_cell){.gate_kernel = w->kernel, .gate_bias = w->bias,
                               .candidate_kernel = w->candidate_kernel, .candidate_bias = w->candidate_bias,
                               .candidate_hidden_bias = w->candidate_hidden_bias, .input = n, .units = n,
                               .reset_after = 1};
        w->out = malloc(nn_gru_work_size(&w->gru) * sizeof(float));
        if (!w->candidate_kernel || !w->candidate_bias || !w->candidate_hidden_bias)
            return -1;
        break;
    case LAYER_DENSE:
        w->kernel = random_matrix(n, n, dtype);
        w->bias = random_floats((size_t)n, 0.1f);
        w->out = malloc((size_t)n * sizeof(float));
        break;
    }
    return w->x && w->h && w->c && w->kernel && w->bias && w->out ? 0 : -1;
}

/* 2 FLOP per multiply-add of the step's matrix products; the activations are not counted. */
static double workload_flops(const workload *w)
{
    double n = w->size;
    switch (w->kind) {
    case LAYER_LSTM:
        return 2.0 * (2.0 * n) * (4.0 * n);
    case LAYER_GRU:
        return 2.0 * (2.0 * n) * (3.0 * n);
    default:
        return 2.0 * n * n;
    }
}

static double workload_weight_bytes(const workload *w)
{
    return (double)nn_matrix_bytes(w->kernel) + (w->candidate_kernel ? (double)nn_matrix_bytes(w->candidate_kernel) : 0.0);
}

static inline void workload_step(workload *w)
{
    switch (w->kind) {
    case LAYER_LSTM:
        nn_lstm_step(&w->lstm, w->x, w->h, w->c, w->out);
        break;
    case LAYER_GRU:
        nn_gru_step(&w->gru, w->x, w->h, w->out);
        break;
    case LAYER_DENSE:
        nn_dense(w->kernel, w->bias, w->x, w->out);
        break;
    }
}

/* NaN or infinity in the output means a broken kernel: even the smoke run fails on it. */
static int workload_output_finite(const workload *w)
{
    const float *y = w->kind == LAYER_DENSE ? w->out : w->h;
    for (int i = 0; i < w->size; i++)
        if (!isfinite(y[i]))
            return 0;
    return 1;
}

/* ---- This machine's roofs --------------------------------------------------------------------
 * Compute: FMAs on more independent accumulators than latency x ports, so the loop runs at the
 * FMA units' throughput. Memory: a plain streaming read summed into enough accumulators that
 * the loads, not the adds, set the pace. */

#define ACCUMULATORS 12

static volatile float opaque_one = 1.0f; /* a value the compiler cannot fold the loops with */
static volatile float sink;              /* keeps the measured loops' results alive */

#ifdef BENCH_X86
static int cpu_has_avx2_fma(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma"))) static float fma_loop_avx2(long iterations)
{
    __m256 a[ACCUMULATORS];
    for (int k = 0; k < ACCUMULATORS; k++)
        a[k] = _mm256_set1_ps(opaque_one + 0.01f * (float)k);
    const __m256 m = _mm256_set1_ps(opaque_one * 0.999999f), c = _mm256_set1_ps(opaque_one * 1e-6f);
    for (long i = 0; i < iterations; i++)
        for (int k = 0; k < ACCUMULATORS; k++)
            a[k] = _mm256_fmadd_ps(a[k], m, c);
    /* Every lane of every chain goes into the result, or the compiler drops what it can. */
    __m256 s = a[0];
    for (int k = 1; k < ACCUMULATORS; k++)
        s = _mm256_add_ps(s, a[k]);
    float lanes[8], total = 0.0f;
    _mm256_storeu_ps(lanes, s);
    for (int k = 0; k < 8; k++)
        total += lanes[k];
    return total;
}

__attribute__((target("avx2"))) static float read_sum_avx2(const float *p, size_t n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (size_t i = 0; i < n; i += 64) {
        s0 = _mm256_add_ps(s0, _mm256_load_ps(p + i));
        s1 = _mm256_add_ps(s1, _mm256_load_ps(p + i + 8));
        s2 = _mm256_add_ps(s2, _mm256_load_ps(p + i + 16));
        s3 = _mm256_add_ps(s3, _mm256_load_ps(p + i + 24));
        s4 = _mm256_add_ps(s4, _mm256_load_ps(p + i + 32));
        s5 = _mm256_add_ps(s5, _mm256_load_ps(p + i + 40));
        s6 = _mm256_add_ps(s6, _mm256_load_ps(p + i + 48));
        s7 = _mm256_add_ps(s7, _mm256_load_ps(p + i + 56));
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)),
                             _mm256_add_ps(_mm256_add_ps(s4, s5), _mm256_add_ps(s6, s7)));
    float lanes[8], total = 0.0f;
    _mm256_storeu_ps(lanes, s);
    for (int k = 0; k < 8; k++)
        total += lanes[k];
    return total;
}
#else
static int cpu_has_avx2_fma(void) { return 0; }
#endif

/* Portable versions in GCC/Clang vector extensions, 128 bits (SSE2, NEON): a * m + c becomes
 * an FMA where the target has one (aarch64), a multiply and an add on baseline x86-64. */
typedef float vec4 __attribute__((vector_size(16)));

static float fma_loop_portable(long iterations)
{
    const vec4 ones = {1.0f, 1.0f, 1.0f, 1.0f};
    const vec4 m = ones * (opaque_one * 0.999999f), c = ones * (opaque_one * 1e-6f);
    vec4 a[ACCUMULATORS];
    for (int k = 0; k < ACCUMULATORS; k++)
        a[k] = ones * opaque_one + 0.01f * (float)k;
    for (long i = 0; i < iterations; i++)
        for (int k = 0; k < ACCUMULATORS; k++)
            a[k] = a[k] * m + c;
    vec4 s = a[0];
    for (int k = 1; k < ACCUMULATORS; k++)
        s += a[k];
    return s[0] + s[1] + s[2] + s[3];
}

static float read_sum_portable(const float *p, size_t n)
{
    vec4 s[8] = {{0}};
    for (size_t i = 0; i < n; i += 32)
        for (int k = 0; k < 8; k++)
            s[k] += *(const vec4 *)(const void *)(p + i + 4 * k);
    vec4 t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    return t[0] + t[1] + t[2] + t[3];
}

static float fma_loop(int avx2, long iterations)
{
#ifdef BENCH_X86
    if (avx2)
        return fma_loop_avx2(iterations);
#endif
    (void)avx2;
    return fma_loop_portable(iterations);
}

static float read_sum(int avx2, const float *p, size_t n)
{
#ifdef BENCH_X86
    if (avx2)
        return read_sum_avx2(p, n);
#endif
    (void)avx2;
    return read_sum_portable(p, n);
}

/* Single-core FMA peak: calibrate to about 10 ms, then the best of three runs of seconds / 3. */
static double flop_peak_gflops(int avx2, double seconds)
{
    int lanes = avx2 ? 8 : 4;
    long iterations = 1 << 12;
    double ns = 0.0;
    while (ns < 1e7 && iterations < (1l << 40)) {
        iterations *= 2;
        double t0 = now_ns();
        sink = fma_loop(avx2, iterations);
        ns = now_ns() - t0;
    }
    iterations = (long)((double)iterations * (seconds * 1e9 / 3.0) / ns) + 1;
    double best = 0.0;
    for (int run = 0; run < 3; run++) {
        double t0 = now_ns();
        sink = fma_loop(avx2, iterations);
        best = fmax(best, 2.0 * ACCUMULATORS * lanes * (double)iterations / (now_ns() - t0));
    }
    return best;
}

/* Best streaming-read bandwidth over a buffer of `bytes` (rounded up to 256): a warm-up run,
 * then five runs of about seconds / 5. Small buffers are read many times between clock reads,
 * so the clock's own cost stays out of the figure. */
static double read_bandwidth_gbps(size_t bytes, double seconds)
{
    size_t n = (bytes + 255) / 256 * 64;
    float *buffer = NULL;
    if (posix_memalign((void **)&buffer, 64, n * sizeof(float)) != 0)
        return 0.0;
    for (size_t i = 0; i < n; i++)
        buffer[i] = 1.0f;
    int avx2 = cpu_has_avx2_fma();
    long batch = (long)((256u << 10) / (n * sizeof(float))) + 1;
    double best = 0.0, budget = seconds * 1e9 / 5.0;
    for (int run = 0; run < 6; run++) {
        long passes = 0;
        double t0 = now_ns(), ns;
        do {
            for (long k = 0; k < batch; k++)
                sink = read_sum(avx2, buffer, n);
            passes += batch;
            ns = now_ns() - t0;
        } while (ns < budget);
        if (run > 0)
            best = fmax(best, (double)passes * (double)n * sizeof(float) / ns);
    }
    free(buffer);
    return best;
}

/* ---- The machine's description --------------------------------------------------------------- */

static void cpu_model(char *out, size_t size)
{
    snprintf(out, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    /* x86 says "model name"; aarch64 kernels name the board at best, else only the part. */
    static const char *const keys[] = {"model name", "Model", "Hardware", "CPU part"};
    int found = (int)COUNT(keys);
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        for (int k = 0; k < found && colon; k++) {
            if (strncmp(line, keys[k], strlen(keys[k])) != 0)
                continue;
            char *value = colon + 1;
            value += strspn(value, " \t");
            value[strcspn(value, "\n")] = '\0';
            snprintf(out, size, "%s%s", k == 3 ? "CPU part " : "", value);
            found = k;
        }
    }
    fclose(f);
}

static int read_line(const char *path, char *out, int size)
{
    FILE *f = fopen(path, "r");
    int ok = f && fgets(out, size, f);
    if (f)
        fclose(f);
    out[ok ? strcspn(out, "\n") : 0] = '\0';
    return ok;
}

/* "L1d 48K (CPUs 0), L2 2048K (CPUs 0), ..." from sysfs; the size of the largest in *largest. */
static void cpu_caches(char *out, size_t size, size_t *largest)
{
    size_t used = 0;
    out[0] = '\0';
    *largest = 0;
    for (int index = 0; index < 8; index++) {
        char dir[96], path[128], level[16], type[32], bytes[32], shared[64];
        snprintf(dir, sizeof dir, "/sys/devices/system/cpu/cpu0/cache/index%d", index);
        snprintf(path, sizeof path, "%s/level", dir);
        int ok = read_line(path, level, sizeof level);
        snprintf(path, sizeof path, "%s/type", dir);
        ok = ok && read_line(path, type, sizeof type);
        snprintf(path, sizeof path, "%s/size", dir);
        ok = ok && read_line(path, bytes, sizeof bytes);
        snprintf(path, sizeof path, "%s/shared_cpu_list", dir);
        ok = ok && read_line(path, shared, sizeof shared);
        if (!ok || !strcmp(type, "Instruction"))
            continue;
        char *unit;
        size_t value = (size_t)strtoull(bytes, &unit, 10);
        value *= *unit == 'K' ? 1024u : *unit == 'M' ? 1024u * 1024u : 1u;
        *largest = value > *largest ? value : *largest;
        if (used < size)
            used += (size_t)snprintf(out + used, size - used, "%sL%s%s %s (CPUs %s)", used ? ", " : "", level,
                                     !strcmp(type, "Data") ? "d" : "", bytes, shared);
    }
}

/* ---- Measuring ------------------------------------------------------------------------------- */

typedef struct row_result {
    layer_kind kind;
    int size;
    nn_dtype dtype;
    double flops, weight_bytes;
    double median_us, p99_us, roof_gbps;
    int finite;
} row_result;

static void measure_row(workload *w, const bench_config *cfg, double timer_ns, double *samples, row_result *r)
{
    double start = now_ns();
    for (long warm = 0; warm < cfg->min_steps / 10 + 10 || now_ns() - start < cfg->warmup_seconds * 1e9; warm++)
        workload_step(w);
    long n = 0;
    double begin = now_ns(), t1 = begin;
    while (n < cfg->max_steps && (n < cfg->min_steps || t1 - begin < cfg->min_seconds * 1e9)) {
        double t0 = now_ns();
        workload_step(w);
        t1 = now_ns();
        samples[n++] = t1 - t0 - timer_ns;
    }
    qsort(samples, (size_t)n, sizeof samples[0], compare_doubles);
    *r = (row_result){.kind = w->kind, .size = w->size, .dtype = w->dtype, .flops = workload_flops(w),
                      .weight_bytes = workload_weight_bytes(w), .finite = workload_output_finite(w)};
    r->median_us = fmax(quantile(samples, n, 0.5), 1.0) / 1e3;
    r->p99_us = quantile(samples, n, 0.99) / 1e3;
}

/* Each distinct weight footprint's read roof, twice over (keeping the better): on a shared
 * machine a neighbour's burst can spoil one measurement, never improve one. */
static void measure_roofs(row_result *rows, int count, double seconds)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < count; i++) {
            int first = 0;
            while (rows[first].weight_bytes != rows[i].weight_bytes)
                first++;
            if (first == i)
                rows[i].roof_gbps = fmax(rows[i].roof_gbps, read_bandwidth_gbps((size_t)rows[i].weight_bytes, seconds));
            else
                rows[i].roof_gbps = rows[first].roof_gbps;
        }
}

static double rtneural_reference_us(const row_result *r)
{
    if (r->kind == LAYER_LSTM)
        for (size_t i = 0; i < COUNT(rtneural_eigen_lstm); i++)
            if (rtneural_eigen_lstm[i].hidden == r->size)
                return rtneural_eigen_lstm[i].micros;
    return 0.0;
}

/* ---- Output ------------------------------------------------------------------------------------ */

/* Three significant figures, without an exponent: 0.115, 4.63, 31.6, 1270. */
static void format_micros(double us, char *out, size_t size)
{
    if (us >= 100.0)
        snprintf(out, size, "%.0f", us);
    else
        snprintf(out, size, "%.3g", us);
}

static void print_table(const bench_config *cfg, const row_result *rows, int count, double peak_gflops)
{
    if (cfg->markdown)
        printf("| layer | weights | median µs | p99 µs | GFLOP/s | %% FMA peak | GB/s | %% read roof "
               "| RTNeural µs | speed-up |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    else
        printf("%-14s %9s %10s %10s %8s %6s %8s %6s %9s %9s\n", "layer", "weights", "median µs", "p99 µs",
               "GFLOP/s", "%peak", "GB/s", "%roof", "RTNeural", "speed-up");
    for (const row_result *r = rows; r < rows + count; r++) {
        char name[32], weights[32], reference[16] = "", speedup[24] = "";
        snprintf(name, sizeof name, "%s %d %s", layer_names[r->kind], r->size, nn_dtype_name(r->dtype));
        if (r->weight_bytes >= 1024.0 * 1024.0)
            snprintf(weights, sizeof weights, "%.1f MiB", r->weight_bytes / (1024.0 * 1024.0));
        else
            snprintf(weights, sizeof weights, "%.0f KiB", r->weight_bytes / 1024.0);
        double reference_us = rtneural_reference_us(r);
        if (reference_us > 0.0) {
            double ratio = reference_us / r->median_us;
            snprintf(reference, sizeof reference, "%.1f", reference_us);
            snprintf(speedup, sizeof speedup, "%.2fx%s", ratio, ratio >= TARGET_SPEEDUP ? "" : " (<1.5)");
        }
        double gflops = r->flops / (r->median_us * 1e3), gbps = r->weight_bytes / (r->median_us * 1e3);
        double flop_share = 100.0 * gflops / peak_gflops;
        double roof_share = r->roof_gbps > 0.0 ? 100.0 * gbps / r->roof_gbps : 0.0;
        char median[24], p99[24];
        format_micros(r->median_us, median, sizeof median);
        format_micros(r->p99_us, p99, sizeof p99);
        if (cfg->markdown)
            printf("| %s | %s | %s | %s | %.1f | %.0f | %.1f | %.0f | %s | %s |\n", name, weights, median, p99, gflops,
                   flop_share, gbps, roof_share, reference, speedup);
        else
            printf("%-14s %9s %10.3f %10.3f %8.1f %6.0f %8.1f %6.0f %9s %9s\n", name, weights, r->median_us,
                   r->p99_us, gflops, flop_share, gbps, roof_share, reference, speedup);
    }
}

/* f32 median / f16 median for each layer and size: >= 1 means f16 is at least as fast. */
static void print_f16_speedups(const bench_config *cfg, const row_result *rows, int count)
{
    printf("\n%sf16 speed-up over f32 (f32 median / f16 median):", cfg->markdown ? "- " : "");
    const char *separator = " ";
    for (int i = 0; i + 1 < count; i++)
        if (rows[i].kind == rows[i + 1].kind && rows[i].size == rows[i + 1].size && rows[i].dtype == NN_F32 &&
            rows[i + 1].dtype == NN_F16) {
            printf("%s%s %d %.2fx", separator, layer_names[rows[i].kind], rows[i].size,
                   rows[i].median_us / rows[i + 1].median_us);
            separator = ", ";
        }
    printf("\n");
}

static void usage(FILE *to)
{
    fprintf(to, "usage: nn-bench [--simd NAME] [--markdown] [--quick] [--no-gru]\n"
                "Times one step of the engine's LSTM, GRU and dense layers at batch 1 on one thread,\n"
                "against this machine's measured FMA peak and read bandwidth.\n"
                "  --simd NAME  kernel set: auto (default), avx2, sse2, neon or reference\n"
                "  --markdown   print the results as Markdown (for the README)\n"
                "  --quick      a short smoke run: proves the program works; its timings mean nothing\n"
                "  --no-gru     skip the GRU rows\n");
}

#define MAX_ROWS (2 * (2 * (int)COUNT(hidden_sizes) + 1))

int main(int argc, char **argv)
{
    bench_config cfg = {.min_steps = 2000, .min_seconds = 0.5, .max_steps = 1000000, .warmup_seconds = 0.1,
                        .peak_seconds = 0.3, .roof_seconds = 0.1, .dram_bytes = 256u << 20, .with_gru = 1,
                        .simd = "auto"};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--simd") && i + 1 < argc)
            cfg.simd = argv[++i];
        else if (!strcmp(argv[i], "--markdown"))
            cfg.markdown = 1;
        else if (!strcmp(argv[i], "--quick"))
            cfg.quick = 1;
        else if (!strcmp(argv[i], "--no-gru"))
            cfg.with_gru = 0;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    char cpu[256], caches[512];
    size_t last_level_cache = 0;
    cpu_model(cpu, sizeof cpu);
    cpu_caches(caches, sizeof caches, &last_level_cache);
    if (cfg.quick) {
        cfg.min_steps = cfg.max_steps = 50;
        cfg.min_seconds = cfg.warmup_seconds = 0.0;
        cfg.peak_seconds = 0.01;
        cfg.roof_seconds = 0.003;
        cfg.dram_bytes = 16u << 20;
    } else {
        /* Memory bandwidth means a buffer well past the last-level cache. */
        while (cfg.dram_bytes < 4 * last_level_cache && cfg.dram_bytes < ((size_t)2 << 30))
            cfg.dram_bytes *= 2;
    }
    if (nn_simd_select(cfg.simd) != NN_OK) {
        fprintf(stderr, "nn-bench: kernel set '%s' is not available on this CPU or build "
                        "(try auto, avx2, sse2, neon or reference)\n", cfg.simd);
        return 2;
    }
    nn_fp_state fp = nn_fp_enter(); /* as on the audio thread: denormals flushed */

    int avx2 = cpu_has_avx2_fma();
    double peak_before = flop_peak_gflops(avx2, cfg.peak_seconds);
    double timer_ns = timer_overhead_ns();
    double *samples = malloc((size_t)cfg.max_steps * sizeof *samples);
    if (!samples) {
        fprintf(stderr, "nn-bench: out of memory\n");
        return 1;
    }
    row_result rows[MAX_ROWS];
    int row_count = 0, status = 0;
    for (int layer = LAYER_LSTM; layer <= (cfg.with_gru ? LAYER_GRU : LAYER_DENSE); layer++)
        for (size_t s = 0; s < COUNT(hidden_sizes); s++) {
            int size = hidden_sizes[s];
            if (layer == LAYER_DENSE && size != DENSE_SIZE)
                continue;
            for (int f16 = 0; f16 <= 1; f16++) {
                workload w;
                if (workload_make(&w, (layer_kind)layer, size, f16 ? NN_F16 : NN_F32) != 0) {
                    fprintf(stderr, "nn-bench: out of memory for %s %d\n", layer_names[layer], size);
                    workload_free(&w);
                    status = 1;
                    continue;
                }
                row_result *r = &rows[row_count++];
                measure_row(&w, &cfg, timer_ns, samples, r);
                workload_free(&w);
                if (!r->finite) {
                    fprintf(stderr, "nn-bench: %s %d %s produced a non-finite value\n", layer_names[layer], size,
                            nn_dtype_name(r->dtype));
                    status = 1;
                }
            }
        }
    free(samples);
    /* The peak again after the rows, keeping the better, for the same reason as the roofs. */
    double peak_gflops = fmax(peak_before, flop_peak_gflops(avx2, cfg.peak_seconds));
    double dram_gbps = read_bandwidth_gbps(cfg.dram_bytes, cfg.quick ? 0.02 : 1.0);
    measure_roofs(rows, row_count, cfg.roof_seconds);
    nn_fp_leave(fp);

    const char *bullet = cfg.markdown ? "- " : "";
    printf("%snn-bench: batch 1, one thread, each step timed alone%s\n", bullet,
           cfg.quick ? " (QUICK SMOKE RUN: the timings mean nothing)" : "");
    printf("%sCPU: %s\n", bullet, cpu);
    if (caches[0])
        printf("%scaches: %s\n", bullet, caches);
    printf("%skernel set: %s\n", bullet, nn_simd_active());
    printf("%speak: %.1f GFLOP/s single-core (%s, %d independent chains, the better of a run before "
           "and one after the rows); memory: %.1f GB/s single-core streaming read of %zu MiB\n",
           bullet, peak_gflops, avx2 ? "AVX2 FMA, 8 lanes" : "128-bit vectors, a*b+c", ACCUMULATORS, dram_gbps,
           cfg.dram_bytes >> 20);
    printf("%seach row: clock_gettime(CLOCK_MONOTONIC) around every step, its own cost (%.0f ns) subtracted; "
           ">= %ld steps and >= %.1f s (at most %ld steps) after a %.1f s warm-up, caches warm, "
           "flush-to-zero on\n",
           bullet, timer_ns, cfg.min_steps, cfg.min_seconds, cfg.max_steps, cfg.warmup_seconds);
    printf("%sGFLOP/s = 2 FLOP per multiply-add of the matrix products / median: LSTM 2*(in+h)*4h, "
           "GRU 2*(in+h)*3h, dense 2*rows*cols, input = hidden; activations not counted\n", bullet);
    printf("%sGB/s = packed weight bytes read per step / median; read roof = a plain streaming read of "
           "a buffer of that size, from whichever cache (or DRAM) holds it\n", bullet);
    printf("%sRTNeural = its Eigen backend as the issue gives it (AMD EPYC Zen 1, 2 cores, AVX2+FMA: "
           "another machine); speed-up = RTNeural / median, target >= %.1fx\n\n", bullet, TARGET_SPEEDUP);
    print_table(&cfg, rows, row_count, peak_gflops);
    print_f16_speedups(&cfg, rows, row_count);
    return status;
}
