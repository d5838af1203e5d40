/* check.h — the checks the C tests share: CHECK(cond, format, ...) counts checks and reports
 * failures (with the current context, when one is set); a seeded input generator for tests that
 * define TEST_SEED; the CPU test is the tests' own, independent of nn/cpu.c, and so is the list
 * of kernel sets it gives the tests that include nn_private.h.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#ifndef TEST_CHECK_H
#define TEST_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* AVX2 and FMA from the compiler's CPU model (which also checks that the OS saves the YMM
 * registers); F16C from CPUID leaf 1, since clang 14 rejects "f16c" in __builtin_cpu_supports. */
static inline int cpu_has_avx2_fma_f16c(void)
{
    unsigned a, b, c, d;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __get_cpuid(1, &a, &b, &c, &d) &&
           (c & (1u << 29));
}
#endif

/* ---- Checks --------------------------------------------------------------------------------- */

static int checks, failures;
static char context[160]; /* what the current checks are about: set it before a group (optional) */

/* The first few failures of each context are printed in full, at most MAX_REPORTED in all; the
 * rest are only counted. */
#define MAX_REPORTED 200
#define MAX_REPORTED_PER_CONTEXT 3

static inline int should_report(void)
{
    static char last[sizeof context];
    static int in_context, reported;
    if (strcmp(last, context) != 0) {
        snprintf(last, sizeof last, "%s", context);
        in_context = 0;
    }
    return in_context++ < MAX_REPORTED_PER_CONTEXT && reported++ < MAX_REPORTED;
}

#define CHECK(cond, ...)                                                                               \
    do {                                                                                               \
        checks++;                                                                                      \
        if (!(cond)) {                                                                                 \
            failures++;                                                                                \
            if (should_report()) {                                                                     \
                fprintf(stderr, "%s:%d: %s%s%sCHECK(%s) failed: ", __FILE__, __LINE__, context[0] ? "[" : "", \
                        context, context[0] ? "] " : "", #cond);                                        \
                fprintf(stderr, __VA_ARGS__);                                                          \
                fputc('\n', stderr);                                                                   \
            }                                                                                          \
        }                                                                                              \
    } while (0)

static inline int check_summary(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, checks, failures);
    return failures ? 1 : 0;
}

#ifdef NN_PRIVATE_H
/* ---- Kernel sets, for the tests that include nn_private.h first ------------------------------ */

/* The SIMD kernel sets this CPU runs, best first, into sets[2]; how many. A set left out is
 * named in a line that starts with `test`. */
static inline int simd_kernel_sets(const nn_kernels *sets[2], const char *test)
{
    int count = 0;
#if defined(__x86_64__) || defined(__i386__)
    if (cpu_has_avx2_fma_f16c())
        sets[count++] = &nn_kernels_avx2;
    else
        printf("%s: this CPU lacks AVX2+FMA+F16C; avx2 kernels not tested\n", test);
    sets[count++] = &nn_kernels_sse2;
#else
    (void)test;
    sets[count++] = &nn_kernels_neon;
#endif
    return count;
}

/* "test: avx2, sse2 against reference, N checks, M failed: PASS"; the exit status. */
static inline int kernel_sets_summary(const char *test, const nn_kernels *const *sets, int count)
{
    printf("%s:", test);
    for (int s = 0; s < count; s++)
        printf("%s %s", s ? "," : "", sets[s]->name);
    printf(" against reference, %d checks, %d failed: %s\n", checks, failures, failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}
#endif /* NN_PRIVATE_H */

#ifdef TEST_SEED
/* ---- Inputs: splitmix64 from the test's own fixed TEST_SEED --------------------------------- */

static uint64_t rng_state = TEST_SEED;

static inline uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline float rng_uniform(float lo, float hi)
{
    return lo + (hi - lo) * ((float)(rng_next() >> 40) * (1.0f / 16777216.0f));
}

static inline void fill_uniform(float *x, int n, float lo, float hi)
{
    for (int i = 0; i < n; i++)
        x[i] = rng_uniform(lo, hi);
}

#endif /* TEST_SEED */

#endif /* TEST_CHECK_H */
