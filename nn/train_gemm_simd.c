/* train_gemm_simd.c — nn_train_gemm's SIMD body, compiled once per instruction set as
 * kernels_simd.c is (nn_train_gemm_avx2, _sse2 or _neon; the kernel table holds it).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * The scheme is BLIS's. C is computed in register tiles of MR rows × NR columns. Before that,
 * op(A) and op(B) are copied ("packed") into thread-local buffers in the order the tiles read
 * them: per KC-long stretch of k, slivers of MR rows of op(A) (MR values per p) and slivers of
 * NR columns of op(B) (NR values per p). The buffers (1.2 MB) are made at a thread's first call,
 * not kept as static thread-locals: those would be reserved in every thread of every program
 * that links the engine, and JACK's threads, whose stacks are smaller, then fail to start. The tiles then stream both with unit stride whatever
 * the flags and leading dimensions were: a B sliver (KC × NR, 16 KiB) from L1, the A block
 * (MC × KC, 144 KiB) and the B panel (KC × NC, 1 MiB) from L2. Transposes cost only in the
 * packing, which touches each value once per block.
 *
 * Order of the sums: each C element is, per KC block of k in ascending order, one chain of
 * multiply-adds over p ascending started from zero, then added to C (or stored, for the first
 * block without NN_GEMM_ACCUMULATE). That depends on k alone, not on where the element falls
 * among the tiles, so a row of C depends only on its row of op(A): splitting a product by rows
 * across threads gives the same bits as one call.
 */
#include "nn_private.h"

#include <pthread.h>
#include <simde/x86/avx2.h>
#include <simde/x86/fma.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#ifndef NN_SIMD_NAME
#error "NN_SIMD_NAME must name the instruction set"
#endif
#define NN_CAT2(a, b) a##b
#define NN_CAT(a, b) NN_CAT2(a, b)

typedef simde__m256 v8;

#define V_SET1 simde_mm256_set1_ps
#define V_LOAD simde_mm256_loadu_ps
#define V_STORE simde_mm256_storeu_ps
#define V_ADD simde_mm256_add_ps
#define V_FMA simde_mm256_fmadd_ps
#define V_ZERO simde_mm256_setzero_ps

/* A 6 × 16 tile is 12 accumulators, two B vectors and one broadcast: 15 of AVX2's 16
 * registers, and each B load serves six multiply-adds. MC and NC are multiples of MR and NR. */
enum { MR = 6, NR = 16, KC = 256, MC = 144, NC = 1024 };

/* Per thread, so calls on different threads never share them; made once per thread (the
 * trainer's threads: never an audio thread) and freed when it ends. */
typedef struct packing {
    float a[MC * KC];
    float b[KC * NC];
} packing;

static pthread_key_t packing_key;
static pthread_once_t packing_once = PTHREAD_ONCE_INIT;
static bool packing_key_made;

static void packing_key_make(void) { packing_key_made = pthread_key_create(&packing_key, free) == 0; }

static packing *thread_packing(void)
{
    pthread_once(&packing_once, packing_key_make);
    if (!packing_key_made)
        return NULL;
    packing *p = pthread_getspecific(packing_key);
    if (!p && (p = aligned_alloc(64, sizeof *p)) && pthread_setspecific(packing_key, p) != 0) {
        free(p);
        p = NULL;
    }
    return p;
}

static inline int min_int(int a, int b) { return a < b ? a : b; }

/* Eight rows of eight values become eight columns. */
static inline void transpose8(v8 r[8])
{
    v8 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = simde_mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = simde_mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = simde_mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = simde_mm256_shuffle_ps(t[i], t[i + 2], 0xee);
        u[i + 2] = simde_mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = simde_mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = simde_mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = simde_mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

/* Rows [i0, i0 + mc) × columns [p0, p0 + kc) of op(A), as slivers of MR rows: for each p the
 * sliver's MR values, rows past the end zero. */
static void pack_a(bool trans, const float *a, int lda, int i0, int mc, int p0, int kc, float *dst)
{
    for (int s = 0; s < mc; s += MR, dst += (size_t)MR * kc) {
        int rows = min_int(MR, mc - s);
        if (trans) { /* op(A)(i, p) = a[p][i]: the sliver's values are contiguous per p */
            const float *src = a + (size_t)p0 * lda + i0 + s;
            for (int p = 0; p < kc; p++, src += lda) {
                int r = 0;
                for (; r < rows; r++)
                    dst[p * MR + r] = src[r];
                for (; r < MR; r++)
                    dst[p * MR + r] = 0.0f;
            }
            continue;
        }
        /* op(A)(i, p) = a[i][p]: runs of p, transposed eight by eight (MR of the eight rows
         * real); each column's first four values stored as a vector, the other two as a pair. */
        const float *src = a + (size_t)(i0 + s) * lda + p0;
        int p = 0;
        for (; rows == MR && p + 8 <= kc; p += 8) {
            v8 r[8];
            for (int q = 0; q < MR; q++)
                r[q] = V_LOAD(src + (size_t)q * lda + p);
            r[6] = r[7] = V_ZERO();
            transpose8(r);
            for (int q = 0; q < 8; q++) {
                float *d = dst + (p + q) * MR;
                simde_mm_storeu_ps(d, simde_mm256_castps256_ps128(r[q]));
                simde_mm_storel_epi64((simde__m128i *)(void *)(d + 4),
                                      simde_mm_castps_si128(simde_mm256_extractf128_ps(r[q], 1)));
            }
        }
        for (int q = 0; q < MR; q++)
            for (int pp = p; pp < kc; pp++)
                dst[pp * MR + q] = q < rows ? src[(size_t)q * lda + pp] : 0.0f;
    }
}

/* Rows [p0, p0 + kc) × columns [j0, j0 + nc) of op(B), as slivers of NR columns: for each p
 * the sliver's NR values, columns past the end zero. */
static void pack_b(bool trans, const float *b, int ldb, int p0, int kc, int j0, int nc, float *dst)
{
    if (!trans) {
        /* op(B)(p, j) = b[p][j]: row by row, so that the reads run along memory (a sliver's
         * rows are a page apart in a 1024-wide matrix) and each write is a whole line. */
        int full = nc / NR * NR;
        for (int p = 0; p < kc; p++) {
            const float *src = b + (size_t)(p0 + p) * ldb + j0;
            float *d = dst + p * NR;
            for (int s = 0; s < full; s += NR, d += (size_t)NR * kc) {
                V_STORE(d, V_LOAD(src + s));
                V_STORE(d + 8, V_LOAD(src + s + 8));
            }
            for (int q = 0; q < NR && full < nc; q++)
                d[q] = full + q < nc ? src[full + q] : 0.0f;
        }
        return;
    }
    for (int s = 0; s < nc; s += NR, dst += (size_t)NR * kc) {
        /* op(B)(p, j) = b[j][p]: runs of p, transposed eight by eight */
        int cols = min_int(NR, nc - s);
        const float *src = b + (size_t)(j0 + s) * ldb + p0;
        int p = 0;
        for (; cols == NR && p + 8 <= kc; p += 8)
            for (int half = 0; half < NR; half += 8) {
                v8 r[8];
                for (int q = 0; q < 8; q++)
                    r[q] = V_LOAD(src + (size_t)(half + q) * ldb + p);
                transpose8(r);
                for (int q = 0; q < 8; q++)
                    V_STORE(dst + (p + q) * NR + half, r[q]);
            }
        for (int q = 0; q < NR; q++)
            for (int pp = p; pp < kc; pp++)
                dst[pp * NR + q] = q < cols ? src[(size_t)q * ldb + pp] : 0.0f;
    }
}

/* Store or add one accumulated row of a full tile. */
#define TILE_ROW(r, lo, hi)                                             \
    do {                                                                \
        float *cr = c + (size_t)(r) * ldc;                              \
        if (store) {                                                    \
            V_STORE(cr, lo);                                            \
            V_STORE(cr + 8, hi);                                        \
        } else {                                                        \
            V_STORE(cr, V_ADD(V_LOAD(cr), lo));                         \
            V_STORE(cr + 8, V_ADD(V_LOAD(cr + 8), hi));                 \
        }                                                               \
    } while (0)

/* One A sliver times one B sliver over kc values of p into C's mr × nr corner at c: stored
 * when `store`, else added. A partial tile computes the whole tile (the packing padded it
 * with zeros) and writes back only its corner, with the same additions. */
static inline void tile(int kc, const float *pa, const float *pb, float *c, int ldc, bool store, int mr, int nr)
{
    for (int r = 0; r < mr; r++) { /* C's rows arrive while the products are computed */
        __builtin_prefetch(c + (size_t)r * ldc, 1);
        __builtin_prefetch(c + (size_t)r * ldc + nr - 1, 1);
    }
    v8 c00 = V_ZERO(), c01 = V_ZERO(), c10 = V_ZERO(), c11 = V_ZERO(), c20 = V_ZERO(), c21 = V_ZERO();
    v8 c30 = V_ZERO(), c31 = V_ZERO(), c40 = V_ZERO(), c41 = V_ZERO(), c50 = V_ZERO(), c51 = V_ZERO();
    for (int p = 0; p < kc; p++, pa += MR, pb += NR) {
        v8 b0 = V_LOAD(pb), b1 = V_LOAD(pb + 8), a;
        a = V_SET1(pa[0]), c00 = V_FMA(a, b0, c00), c01 = V_FMA(a, b1, c01);
        a = V_SET1(pa[1]), c10 = V_FMA(a, b0, c10), c11 = V_FMA(a, b1, c11);
        a = V_SET1(pa[2]), c20 = V_FMA(a, b0, c20), c21 = V_FMA(a, b1, c21);
        a = V_SET1(pa[3]), c30 = V_FMA(a, b0, c30), c31 = V_FMA(a, b1, c31);
        a = V_SET1(pa[4]), c40 = V_FMA(a, b0, c40), c41 = V_FMA(a, b1, c41);
        a = V_SET1(pa[5]), c50 = V_FMA(a, b0, c50), c51 = V_FMA(a, b1, c51);
    }
    if (mr == MR && nr == NR) {
        TILE_ROW(0, c00, c01);
        TILE_ROW(1, c10, c11);
        TILE_ROW(2, c20, c21);
        TILE_ROW(3, c30, c31);
        TILE_ROW(4, c40, c41);
        TILE_ROW(5, c50, c51);
        return;
    }
    float t[MR][NR];
    V_STORE(t[0], c00), V_STORE(t[0] + 8, c01), V_STORE(t[1], c10), V_STORE(t[1] + 8, c11);
    V_STORE(t[2], c20), V_STORE(t[2] + 8, c21), V_STORE(t[3], c30), V_STORE(t[3] + 8, c31);
    V_STORE(t[4], c40), V_STORE(t[4] + 8, c41), V_STORE(t[5], c50), V_STORE(t[5] + 8, c51);
    for (int r = 0; r < mr; r++) {
        float *cr = c + (size_t)r * ldc;
        for (int q = 0; q < nr; q++)
            cr[q] = store ? t[r][q] : cr[q] + t[r][q];
    }
}

void NN_CAT(nn_train_gemm_, NN_SIMD_NAME)(int flags, int m, int n, int k, const float *a, int lda,
                                          const float *b, int ldb, float *c, int ldc)
{
    if (m <= 0 || n <= 0)
        return;
    if (k <= 0) {
        if (!(flags & NN_GEMM_ACCUMULATE))
            for (int i = 0; i < m; i++)
                memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof *c);
        return;
    }
    packing *buffers = thread_packing();
    if (!buffers) {
        /* Out of memory: the plain loops, which need no buffers (same sums, other order). */
        nn_kernels_reference.train_gemm(flags, m, n, k, a, lda, b, ldb, c, ldc);
        return;
    }
    float *packed_a = buffers->a, *packed_b = buffers->b;
    bool trans_a = flags & NN_GEMM_TRANS_A, trans_b = flags & NN_GEMM_TRANS_B;
    for (int pc = 0; pc < k; pc += KC) {
        int kc = min_int(KC, k - pc);
        bool store = pc == 0 && !(flags & NN_GEMM_ACCUMULATE);
        if (m <= MC) {
            /* One A block (the recurrent products: m is the batch). Each B sliver is used by
             * this block only, so it is packed just before its tiles and never leaves L1. */
            pack_a(trans_a, a, lda, 0, m, pc, kc, packed_a);
            for (int j = 0; j < n; j += NR) {
                int nr = min_int(NR, n - j);
                pack_b(trans_b, b, ldb, pc, kc, j, nr, packed_b);
                for (int i = 0; i < m; i += MR)
                    tile(kc, packed_a + (size_t)i * kc, packed_b, c + (size_t)i * ldc + j, ldc, store,
                         min_int(MR, m - i), nr);
            }
            continue;
        }
        for (int jc = 0; jc < n; jc += NC) {
            int nc = min_int(NC, n - jc);
            pack_b(trans_b, b, ldb, pc, kc, jc, nc, packed_b);
            for (int ic = 0; ic < m; ic += MC) {
                int mc = min_int(MC, m - ic);
                pack_a(trans_a, a, lda, ic, mc, pc, kc, packed_a);
                for (int j = 0; j < nc; j += NR)
                    for (int i = 0; i < mc; i += MR)
                        tile(kc, packed_a + (size_t)i * kc, packed_b + (size_t)j * kc,
                             c + (size_t)(ic + i) * ldc + jc + j, ldc, store, min_int(MR, mc - i),
                             min_int(NR, nc - j));
            }
        }
    }
}
