/* cpu.c — choosing the kernel set from the CPU's features, and the floating-point mode.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn_private.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define NN_X86 1
#endif

const nn_kernels *nn_active = &nn_kernels_reference;

#ifdef NN_X86
/* AVX2, FMA and F16C from CPUID, and the OS saving the YMM registers (XGETBV): without the
 * latter the instructions exist but fault. */
static bool cpu_has_avx2_fma_f16c(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return false;
    bool fma = c & (1u << 12), osxsave = c & (1u << 27), avx = c & (1u << 28), f16c = c & (1u << 29);
    if (!(fma && osxsave && avx && f16c))
        return false;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6u) != 6u) /* XMM and YMM state */
        return false;
    if (__get_cpuid_max(0, NULL) < 7)
        return false;
    __cpuid_count(7, 0, a, b, c, d);
    return b & (1u << 5);
}
#endif

static const nn_kernels *best_for_cpu(void)
{
#ifdef NN_X86
    return cpu_has_avx2_fma_f16c() ? &nn_kernels_avx2 : &nn_kernels_sse2;
#else
    return &nn_kernels_neon;
#endif
}

/* Chosen before main() (and before any plugin instance exists), so no processing thread ever
 * sees the pointer change. NN_SIMD in the environment overrides it, for tests and benchmarks. */
__attribute__((constructor)) static void choose_kernels(void)
{
    nn_active = best_for_cpu();
    const char *forced = getenv("NN_SIMD");
    if (forced && *forced)
        nn_simd_select(forced);
}

const char *nn_simd_active(void) { return nn_active->name; }

nn_status nn_simd_select(const char *name)
{
    if (!name)
        return NN_ERR_ARGUMENT;
    const nn_kernels *best = best_for_cpu(), *chosen = NULL;
    if (!strcmp(name, "auto"))
        chosen = best;
    else if (!strcmp(name, "reference"))
        chosen = &nn_kernels_reference;
#ifdef NN_X86
    else if (!strcmp(name, "sse2"))
        chosen = &nn_kernels_sse2;
    else if (!strcmp(name, "avx2") && best == &nn_kernels_avx2)
        chosen = &nn_kernels_avx2;
#else
    else if (!strcmp(name, "neon"))
        chosen = &nn_kernels_neon;
#endif
    if (!chosen)
        return NN_ERR_ARGUMENT;
    nn_active = chosen;
    return NN_OK;
}

nn_fp_state nn_fp_enter(void)
{
    nn_fp_state saved;
#ifdef NN_X86
    unsigned csr = _mm_getcsr();
    saved.bits = csr;
    _mm_setcsr(csr | 0x8040); /* FTZ (bit 15) and DAZ (bit 6) */
#elif defined(__aarch64__)
    uint64_t fpcr;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
    saved.bits = fpcr;
    __asm__ __volatile__("msr fpcr, %0" : : "r"(fpcr | (1ull << 24))); /* FZ */
#else
    saved.bits = 0;
#endif
    return saved;
}

void nn_fp_leave(nn_fp_state previous)
{
#ifdef NN_X86
    _mm_setcsr((unsigned)previous.bits);
#elif defined(__aarch64__)
    __asm__ __volatile__("msr fpcr, %0" : : "r"(previous.bits));
#else
    (void)previous;
#endif
}
