/* nn-bench.c — times the engine's LSTM, GRU and dense layers at batch 1 against this machine's peak.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#define _GNU_SOURCE /* sched_setaffinity, sched_getcpu */

#include "nn.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define BENCH_X86 1
#endif

/* ---- Settings ------------------------------------------------------------------------------ */

typedef struct bench_config {
    long min_steps;       /* timed steps per row, at least */
    double min_seconds;   /* and at least this long */
    long max_steps;       /* bounds the sample buffer for the fastest rows */
    double warmup_seconds;
    double roof_seconds;  /* per streaming-read measurement */
    size_t dram_bytes;    /* the large buffer that measures memory bandwidth */
    int markdown, quick, with_gru;
    const char *simd;
} bench_config;

/* RTNeural's Eigen backend, LSTM step with input = hidden, on AMD EPYC (Zen 1), 2 cores,
 * AVX2+FMA: the figures of the issue this benchmark answers. */
static const struct {
    int hidden;
    double micros;
} rtneural_eigen_lstm[] = {{64, 2.7}, {128, 11.3}, {256, 53.0}, {512, 400.0}};
#define TARGET_SPEEDUP 1.5

static double rtneural_reference(const char *layer, int hidden)
{
    if (strcmp(layer, "LSTM") != 0)
        return 0.0;
    for (size_t i = 0; i < sizeof rtneural_eigen_lstm / sizeof rtneural_eigen_lstm[0]; i++)
        if (rtneural_eigen_lstm[i].hidden == hidden)
            return rtneural_eigen_lstm[i].micros;
    return 0.0;
}

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

/* The value at quantile q of sorted[n] (nearest rank). */
static double quantile(const double *sorted, long n, double q)
{
    long rank = (long)ceil(q * (double)n);
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

/* What two back-to-back clock reads cost: subtracted from every sample, since at hidden 16 a
 * step takes only a few timer overheads. */
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

/* Uniform in [-scale, scale): xorshift64*, so every run packs the same weights. */
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

/* A packed matrix of Glorot-sized random weights, so the recurrent state stays in range. */
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

typedef struct workload {
    const char *layer; /* "LSTM", "GRU", "Dense" */
    int size;          /* hidden units (input = hidden), or rows = cols for dense */
    nn_dtype dtype;
    double flops;        /* per step: 2 per multiply-add of the matrix products */
    double weight_bytes; /* packed weight bytes read per step */
    nn_matrix *m0, *m1;
    float *bias0, *bias1, *bias2, *x, *h, *c, *work;
    nn_lstm_cell lstm;
    nn_gru_cell gru;
} workload;

static void workload_free(workload *w)
{
    nn_matrix_free(w->m0);
    nn_matrix_free(w->m1);
    free(w->bias0);
    free(w->bias1);
    free(w->bias2);
    free(w->x);
    free(w->h);
    free(w->c);
    free(w->work);
}

static int workload_make(workload *w, const char *layer, int size, nn_dtype dtype)
{
    memset(w, 0, sizeof *w);
    w->layer = layer;
    w->size = size;
    w->dtype = dtype;
    int n = size;
    w->x = random_floats((size_t)n, 1.0f);
    w->h = calloc((size_t)n, sizeof(float));
    w->c = calloc((size_t)n, sizeof(float));
    if (!strcmp(layer, "LSTM")) {
        w->m0 = random_matrix(2 * n, 4 * n, dtype);
        w->bias0 = random_floats(4 * (size_t)n, 0.1f);
        w->lstm = (nn_lstm_cell){.kernel = w->m0, .bias = w->bias0, .input = n, .units = n, .forget_bias = 1.0f};
        w->work = malloc(nn_lstm_work_size(&w->lstm) * sizeof(float));
        w->flops = 2.0 * (2.0 * n) * (4.0 * n);
    } else if (!strcmp(layer, "GRU")) {
        w->m0 = random_matrix(2 * n, 2 * n, dtype);
        w->m1 = random_matrix(2 * n, n, dtype);
        w->bias0 = random_floats(2 * (size_t)n, 0.1f);
        w->bias1 = random_floats((size_t)n, 0.1f);
        w->bias2 = random_floats((size_t)n, 0.1f);
        /* reset_after = 1: the layout of PyTorch, cuDNN and Keras v2, which RTNeural loads. */
        w->gru = (nn_gru_cell){.gate_kernel = w->m0, .gate_bias = w->bias0, .candidate_kernel = w->m1,
                               .candidate_bias = w->bias1, .candidate_hidden_bias = w->bias2,
                               .input = n, .units = n, .reset_after = 1};
        w->work = malloc(nn_gru_work_size(&w->gru) * sizeof(float));
        w->flops = 2.0 * (2.0 * n) * (3.0 * n);
    } else {
        w->m0 = random_matrix(n, n, dtype);
        w->bias0 = random_floats((size_t)n, 0.1f);
        w->work = malloc((size_t)n * sizeof(float));
        w->flops = 2.0 * n * n;
    }
    if (!w->x || !w->h || !w->c || !w->m0 || !w->bias0 || !w->work ||
        (!strcmp(layer, "GRU") && (!w->m1 || !w->bias1 || !w->bias2)))
        return -1;
    w->weight_bytes = (double)nn_matrix_bytes(w->m0) + (w->m1 ? (double)nn_matrix_bytes(w->m1) : 0.0);
    return 0;
}

static inline void workload_step(workload *w)
{
    switch (w->layer[0]) {
    case 'L':
        nn_lstm_step(&w->lstm, w->x, w->h, w->c, w->work);
        break;
    case 'G':
        nn_gru_step(&w->gru, w->x, w->h, w->work);
        break;
    default:
        nn_dense(w->m0, w->bias0, w->x, w->work);
        break;
    }
}

/* A step that produced NaN or infinity means a broken kernel: the smoke run must fail on it. */
static int workload_state_finite(const workload *w)
{
    const float *out = w->layer[0] == 'D' ? w->work : w->h;
    for (int i = 0; i < w->size; i++)
        if (!isfinite(out[i]))
            return 0;
    return 1;
}

/* ---- This machine's roofs --------------------------------------------------------------------
 * Compute: FMAs on independent accumulators (more chains than latency x ports) so the loop runs
 * at the FMA units' throughput. Memory: a plain streaming read of a buffer, summed with enough
 * accumulators that the loads, not the adds, set the pace. */

#define ACCUMULATORS 12

#ifdef BENCH_X86
__attribute__((target("avx2,fma"))) static float fma_loop_avx2(long iterations)
{
    __m256 a[ACCUMULATORS];
    for (int k = 0; k < ACCUMULATORS; k++)
        a[k] = _mm256_set1_ps(1.0f + 0.01f * (float)k);
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-6f);
    for (long i = 0; i < iterations; i++)
        for (int k = 0; k < ACCUMULATORS; k++)
            a[k] = _mm256_fmadd_ps(a[k], m, c);
    __m256 s = a[0];
    for (int k = 1; k < ACCUMULATORS; k++)
        s = _mm256_add_ps(s, a[k]);
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    return lanes[0] + lanes[7];
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
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    return lanes[0] + lanes[7];
}

static int cpu_has_avx2_fma(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
static int cpu_has_avx2_fma(void) { return 0; }
#endif

/* The portable versions: GCC/Clang vector extensions, 128-bit (SSE2, NEON). a * m + c contracts
 * to an FMA where the target has one (aarch64); on baseline x86-64 it is a multiply and an add. */
typedef float vec4 __attribute__((vector_size(16)));

static float fma_loop_portable(long iterations)
{
    vec4 a[ACCUMULATORS];
    for (int k = 0; k < ACCUMULATORS; k++)
        a[k] = (vec4){1.0f, 1.0f, 1.0f, 1.0f} + 0.01f * (float)k;
    const vec4 m = {0.999999f, 0.999999f, 0.999999f, 0.999999f}, c = {1e-6f, 1e-6f, 1e-6f, 1e-6f};
    for (long i = 0; i < iterations; i++)
        for (int k = 0; k < ACCUMULATORS; k++)
            a[k] = a[k] * m + c;
    vec4 s = a[0];
    for (int k = 1; k < ACCUMULATORS; k++)
        s += a[k];
    return s[0] + s[3];
}

static float read_sum_portable(const float *p, size_t n)
{
    vec4 s[8] = {{0}};
    for (size_t i = 0; i < n; i += 32)
        for (int k = 0; k < 8; k++)
            s[k] += *(const vec4 *)(const void *)(p + i + 4 * k);
    vec4 t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    return t[0] + t[3];
}

static volatile float sink; /* keeps the measured loops' results alive */

typedef struct machine_peak {
    const char *flop_kind; /* what the compute peak was measured with */
    double gflops;         /* single-core FMA peak */
    double dram_gbps;      /* single-core streaming read of a buffer larger than the caches */
} machine_peak;

static double flop_peak_gflops(int avx2, double seconds)
{
    int lanes = avx2 ? 8 : 4;
    long iterations = 1 << 16;
    double best = 0.0;
    /* Grow the loop until one run lasts `seconds` / 3, then keep the best of three. */
    for (int run = 0; run < 40; run++) {
        double t0 = now_ns();
#ifdef BENCH_X86
        sink = avx2 ? fma_loop_avx2(iterations) : fma_loop_portable(iterations);
#else
        sink = fma_loop_portable(iterations);
#endif
        double ns = now_ns() - t0;
        double gflops = 2.0 * ACCUMULATORS * lanes * (double)iterations / ns;
        if (ns < seconds * 1e9 / 3.0) {
            iterations *= 2;
            continue;
        }
        if (gflops > best)
            best = gflops;
        if (run >= 2 && best > 0.0 && ++run > 0 && iterations > 0) {
            static int kept;
            if (++kept >= 3) {
                kept = 0;
                break;
            }
        }
    }
    return best;
}

/* Best-of-three streaming-read bandwidth over a buffer of `bytes` (rounded up to 256), each
 * measurement repeating the pass until about `seconds` / 3 has gone by. */
static double read_bandwidth_gbps(size_t bytes, double seconds)
{
    size_t n = (bytes + 255) / 256 * 64;
    float *buffer = NULL;
    if (posix_memalign((void **)&buffer, 64, n * sizeof(float)) != 0)
        return 0.0;
    for (size_t i = 0; i < n; i++)
        buffer[i] = 1.0f;
    int avx2 = cpu_has_avx2_fma();
    double best = 0.0, budget = seconds * 1e9 / 3.0;
    for (int run = 0; run < 4; run++) { /* the first run warms the caches and the pages */
        long passes = 0;
        double t0 = now_ns(), ns;
        do {
#ifdef BENCH_X86
            sink = avx2 ? read_sum_avx2(buffer, n) : read_sum_portable(buffer, n);
#else
            sink = read_sum_portable(buffer, n);
#endif
            passes++;
            ns = now_ns() - t0;
        } while (ns < budget);
        double gbps = (double)passes * (double)n * sizeof(float) / ns;
        if (run > 0 && gbps > best)
            best = gbps;
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
    char line[512];
    /* x86 names it "model name"; aarch64 kernels give no name, only the implementer and part. */
    static const char *const keys[] = {"model name", "Hardware", "CPU part"};
    int found_rank = 99;
    while (fgets(line, sizeof line, f)) {
        for (int k = 0; k < 3 && k < found_rank; k++) {
            size_t len = strlen(keys[k]);
            char *colon = strchr(line, ':');
            if (strncmp(line, keys[k], len) != 0 || !colon)
                continue;
            char *value = colon + 1;
            while (*value == ' ' || *value == '\t')
                value++;
            value[strcspn(value, "\n")] = '\0';
            snprintf(out, size, "%s%s", k == 2 ? "CPU part " : "", value);
            found_rank = k;
        }
    }
    fclose(f);
}

/* "L1d 48K, L2 2048K, L3 491520K (shared by 0-1)" from sysfs; empty if unavailable. */
static void cpu_caches(char *out, size_t size)
{
    out[0] = '\0';
    size_t used = 0;
    for (int index = 0; index < 8; index++) {
        char path[128], level[16] = "", type[32] = "", csize[32] = "", shared[64] = "";
        const char *field[] = {"level", "type", "size", "shared_cpu_list"};
        char *dest[] = {level, type, csize, shared};
        size_t dest_size[] = {sizeof level, sizeof type, sizeof csize, sizeof shared};
        int ok = 1;
        for (int k = 0; k < 4; k++) {
            snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/%s", index, field[k]);
            FILE *f = fopen(path, "r");
            if (!f || !fgets(dest[k], (int)dest_size[k], f))
                ok = 0;
            if (f)
                fclose(f);
            dest[k][strcspn(dest[k], "\n")] = '\0';
        }
        if (!ok || !strcmp(type, "Instruction"))
            continue;
        used += (size_t)snprintf(out + used, used < size ? size - used : 0, "%sL%s%s %s (CPUs %s)",
                                 used ? ", " : "", level, !strcmp(type, "Data") ? "d" : "", csize, shared);
        if (used >= size)
            break;
    }
}

/* Size of the last-level cache from sysfs, 0 if unknown. */
static size_t last_level_cache_bytes(void)
{
    size_t largest = 0;
    for (int index = 0; index < 8; index++) {
        char path[128], text[32];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(text, sizeof text, f)) {
            char *unit;
            size_t v = (size_t)strtoull(text, &unit, 10);
            v *= *unit == 'K' ? 1024u : *unit == 'M' ? 1024u * 1024u : 1u;
            largest = v > largest ? v : largest;
        }
        fclose(f);
    }
    return largest;
}

/* ---- Measuring one row ------------------------------------------------------------------------ */

typedef struct row_result {
    double median_us, p99_us, gflops, gbps, roof_gbps, reference_us;
    long steps;
    int finite;
} row_result;

static int measure_row(workload *w, const bench_config *cfg, double timer_ns, double *samples, row_result *r)
{
    double t_start = now_ns();
    long warm = 0;
    while (warm < cfg->min_steps / 10 + 10 || now_ns() - t_start < cfg->warmup_seconds * 1e9) {
        workload_step(w);
        warm++;
    }
    long n = 0;
    double begin = now_ns(), t1 = begin;
    while (n < cfg->max_steps && (n < cfg->min_steps || t1 - begin < cfg->min_seconds * 1e9)) {
        double t0 = now_ns();
        workload_step(w);
        t1 = now_ns();
        samples[n++] = t1 - t0 - timer_ns;
    }
    qsort(samples, (size_t)n, sizeof samples[0], compare_doubles);
    double median_ns = quantile(samples, n, 0.5);
    if (median_ns < 1.0)
        median_ns = 1.0;
    r->steps = n;
    r->median_us = median_ns / 1e3;
    r->p99_us = quantile(samples, n, 0.99) / 1e3;
    r->gflops = w->flops / median_ns;
    r->gbps = w->weight_bytes / median_ns;
    r->roof_gbps = read_bandwidth_gbps((size_t)w->weight_bytes, cfg->roof_seconds);
    r->reference_us = rtneural_reference(w->layer, w->size);
    r->finite = workload_state_finite(w);
    return 0;
}

/* ---- Output ------------------------------------------------------------------------------------ */

static void format_bytes(double bytes, char *out, size_t size)
{
    if (bytes >= 1024.0 * 1024.0)
        snprintf(out, size, "%.1f MiB", bytes / (1024.0 * 1024.0));
    else
        snprintf(out, size, "%.0f KiB", bytes / 1024.0);
}

static void print_header_row(const bench_config *cfg)
{
    if (cfg->markdown) {
        printf("| layer | weights | median µs | p99 µs | GFLOP/s | %% FMA peak | GB/s | %% read roof "
               "| RTNeural µs | speed-up |\n");
        printf("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    } else {
        printf("%-16s %-14s %10s %10s %8s %6s %8s %6s %9s %8s\n", "layer", "weights", "median µs", "p99 µs",
               "GFLOP/s", "%peak", "GB/s", "%roof", "RTNeural", "speed-up");
    }
}

static void print_row(const bench_config *cfg, const workload *w, const row_result *r, const machine_peak *peak)
{
    char name[32], weights[32], reference[16] = "", speedup[24] = "";
    snprintf(name, sizeof name, "%s %d %s", w->layer, w->size, nn_dtype_name(w->dtype));
    format_bytes(w->weight_bytes, weights, sizeof weights);
    if (r->reference_us > 0.0) {
        double ratio = r->reference_us / r->median_us;
        snprintf(reference, sizeof reference, "%.1f", r->reference_us);
        snprintf(speedup, sizeof speedup, "%.1fx%s", ratio, ratio >= TARGET_SPEEDUP ? "" : " (<1.5)");
    }
    double flop_share = 100.0 * r->gflops / peak->gflops;
    double roof_share = r->roof_gbps > 0.0 ? 100.0 * r->gbps / r->roof_gbps : 0.0;
    if (cfg->markdown)
        printf("| %s | %s | %.3g | %.3g | %.1f | %.0f | %.1f | %.0f | %s | %s |\n", name, weights, r->median_us,
               r->p99_us, r->gflops, flop_share, r->gbps, roof_share, reference[0] ? reference : "",
               speedup[0] ? speedup : "");
    else
        printf("%-16s %-14s %10.3f %10.3f %8.1f %6.0f %8.1f %6.0f %9s %8s\n", name, weights, r->median_us,
               r->p99_us, r->gflops, flop_share, r->gbps, roof_share, reference, speedup);
}

static void usage(FILE *to)
{
    fprintf(to,
            "usage: nn-bench [--simd NAME] [--markdown] [--quick] [--no-gru]\n"
            "  Times one step of the engine's layers at batch 1 on one thread.\n"
            "  --simd NAME  kernel set: auto (default), avx2, sse2, neon or reference\n"
            "  --markdown   print the results as Markdown (for the README)\n"
            "  --quick      a short smoke run: proves the program works, times nothing reliably\n"
            "  --no-gru     skip the GRU rows\n");
}

/* Keep the thread on the core it started on: a migration mid-row would show as noise. */
static void pin_to_current_cpu(void)
{
#if defined(__linux__)
    int cpu = sched_getcpu();
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
#endif
}

int main(int argc, char **argv)
{
    bench_config cfg = {.min_steps = 2000, .min_seconds = 0.5, .max_steps = 1000000, .warmup_seconds = 0.1,
                        .roof_seconds = 0.06, .dram_bytes = 256u << 20, .with_gru = 1, .simd = "auto"};
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
    if (cfg.quick) {
        cfg = (bench_config){.min_steps = 50, .min_seconds = 0.0, .max_steps = 50, .warmup_seconds = 0.0,
                             .roof_seconds = 0.003, .dram_bytes = 16u << 20, .markdown = cfg.markdown,
                             .quick = 1, .with_gru = cfg.with_gru, .simd = cfg.simd};
    } else {
        /* Memory bandwidth means a buffer well past the last-level cache. */
        size_t llc = last_level_cache_bytes();
        while (cfg.dram_bytes < 4 * llc && cfg.dram_bytes < ((size_t)2 << 30))
            cfg.dram_bytes *= 2;
    }
    if (nn_simd_select(cfg.simd) != NN_OK) {
        fprintf(stderr, "nn-bench: kernel set '%s' is not available on this CPU or build "
                        "(try auto, avx2, sse2, neon or reference)\n", cfg.simd);
        return 2;
    }
    pin_to_current_cpu();
    nn_fp_state fp = nn_fp_enter(); /* as the audio thread runs: denormals flushed */

    char cpu[256], caches[512];
    cpu_model(cpu, sizeof cpu);
    cpu_caches(caches, sizeof caches);
    int avx2 = cpu_has_avx2_fma();
    machine_peak peak = {.flop_kind = avx2 ? "AVX2 FMA, 8 lanes" : "128-bit vectors (a*b+c)"};
    peak.gflops = flop_peak_gflops(avx2, cfg.quick ? 0.01 : 0.3);
    peak.dram_gbps = read_bandwidth_gbps(cfg.dram_bytes, cfg.quick ? 0.02 : 1.0);
    double timer_ns = timer_overhead_ns();

    const char *bullet = cfg.markdown ? "- " : "";
    printf("%snn-bench: batch 1, one thread, time per step around each call%s\n", bullet,
           cfg.quick ? " (QUICK SMOKE RUN: timings not meaningful)" : "");
    printf("%sCPU: %s\n", bullet, cpu);
    if (caches[0])
        printf("%scaches: %s\n", bullet, caches);
    printf("%skernel set: %s\n", bullet, nn_simd_active());
    printf("%speak: %.1f GFLOP/s single-core (%s, %d independent accumulators); "
           "memory: %.1f GB/s single-core streaming read of %zu MiB\n",
           bullet, peak.gflops, peak.flop_kind, ACCUMULATORS, peak.dram_gbps, cfg.dram_bytes >> 20);
    printf("%seach row: >= %ld steps and >= %.1f s (at most %ld) after %.1f s warm-up; "
           "clock_gettime overhead %.0f ns subtracted from every sample\n",
           bullet, cfg.min_steps, cfg.min_seconds, cfg.max_steps, cfg.warmup_seconds, timer_ns);
    printf("%sGFLOP/s = 2 FLOP per multiply-add of the matrix products / median time: LSTM 2*(in+h)*4h, "
           "GRU 2*(in+h)*3h, dense 2*rows*cols; activations not counted; input = hidden\n", bullet);
    printf("%sGB/s = packed weight bytes read per step / median time; %% read roof = share of a plain "
           "streaming read over a buffer of the same size (whichever cache or DRAM holds it)\n", bullet);
    printf("%sRTNeural = its Eigen backend as given in the issue (AMD EPYC Zen 1, 2 cores, AVX2+FMA: "
           "another machine); speed-up = RTNeural / median, target >= %.1fx\n\n", bullet, TARGET_SPEEDUP);

    static const int hidden_sizes[] = {16, 64, 128, 256, 512};
    struct {
        const char *layer;
        int size;
    } rows[16];
    int row_count = 0;
    for (size_t i = 0; i < sizeof hidden_sizes / sizeof hidden_sizes[0]; i++)
        rows[row_count].layer = "LSTM", rows[row_count++].size = hidden_sizes[i];
    rows[row_count].layer = "Dense", rows[row_count++].size = 512;
    if (cfg.with_gru)
        for (size_t i = 0; i < sizeof hidden_sizes / sizeof hidden_sizes[0]; i++)
            rows[row_count].layer = "GRU", rows[row_count++].size = hidden_sizes[i];

    double *samples = malloc((size_t)cfg.max_steps * sizeof *samples);
    if (!samples) {
        fprintf(stderr, "nn-bench: out of memory\n");
        return 1;
    }
    int status = 0;
    double lstm_time[2][16] = {{0}};
    print_header_row(&cfg);
    for (int i = 0; i < row_count; i++) {
        for (int d = 0; d < 2; d++) {
            nn_dtype dtype = d ? NN_F16 : NN_F32;
            workload w;
            row_result r;
            if (workload_make(&w, rows[i].layer, rows[i].size, dtype) != 0) {
                fprintf(stderr, "nn-bench: out of memory making %s %d\n", rows[i].layer, rows[i].size);
                workload_free(&w);
                status = 1;
                continue;
            }
            measure_row(&w, &cfg, timer_ns, samples, &r);
            print_row(&cfg, &w, &r, &peak);
            fflush(stdout);
            if (!r.finite) {
                fprintf(stderr, "nn-bench: %s %d %s produced a non-finite value\n", rows[i].layer, rows[i].size,
                        nn_dtype_name(dtype));
                status = 1;
            }
            if (!strcmp(rows[i].layer, "LSTM"))
                lstm_time[d][i] = r.median_us;
            workload_free(&w);
        }
    }
    printf("\n%sf16 / f32 speed (f32 time / f16 time; >= 1 means f16 is at least as fast):", bullet);
    for (int i = 0; i < row_count; i++)
        if (!strcmp(rows[i].layer, "LSTM") && lstm_time[1][i] > 0.0)
            printf(" LSTM %d %.2fx%s", rows[i].size, lstm_time[0][i] / lstm_time[1][i], ";" + (i + 1 >= row_count || strcmp(rows[i + 1].layer, "LSTM")));
    printf("\n");
    free(samples);
    nn_fp_leave(fp);
    return status;
}
