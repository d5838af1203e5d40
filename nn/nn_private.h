/* nn_private.h — what the engine's own files (and its tests) share; not for plugins or tools.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#ifndef NN_PRIVATE_H
#define NN_PRIVATE_H

#include "nn.h"

#include <stdbool.h>
#include <string.h>

/* Weight matrices are stored in panels of NN_PANEL output columns: panel p holds, for every
 * row r, the NN_PANEL values W[r][p*NN_PANEL .. p*NN_PANEL+NN_PANEL-1] contiguously, the last
 * panel padded with zeros. A GEMV then streams each panel once, front to back, with its
 * accumulators in registers; a row range [r0, r1) is a contiguous run inside every panel. */
#define NN_PANEL 16
#define NN_ALIGN 64

struct nn_matrix {
    int rows, cols, panels;
    nn_dtype dtype;
    void *data; /* float or uint16_t, panels * rows * NN_PANEL values, NN_ALIGN-aligned */
    bool owns_data;
};

/* nn_train_gemm's signature (nn.h), for the kernel table. */
typedef void nn_train_gemm_fn(int flags, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                              float *c, int ldc);

/* The kernel set: every entry has a scalar reference (kernels_reference.c) and a SIMD version
 * (kernels_simd.c, compiled once per instruction set). */
typedef struct nn_kernels {
    const char *name;
    /* y[cols] += x[nrows] · W[row0 .. row0+nrows) for a packed matrix. */
    void (*gemv)(const nn_matrix *w, int row0, int nrows, const float *x, float *y);
    /* Y[batch, cols] += X[batch, rows] · W, rows of X spaced ldx apart, of Y ldy apart. */
    void (*gemm)(const nn_matrix *w, int batch, const float *x, int ldx, float *y, int ldy);
    /* y[cols] += row `row` of W. */
    void (*add_row)(const nn_matrix *w, int row, float *y);
    void (*tanh)(const float *x, float *y, int n);
    void (*sigmoid)(const float *x, float *y, int n);
    void (*relu)(const float *x, float *y, int n);
    void (*leaky_relu)(const float *x, float *y, int n, float alpha);
    void (*softplus)(const float *x, float *y, int n);
    /* y = softmax(x * inv_temperature); y = log softmax(x). */
    void (*softmax)(const float *x, float *y, int n, float inv_temperature);
    void (*log_softmax)(const float *x, float *y, int n);
    /* The LSTM's element-wise part: gates [4 * units] as i, j, f, o; updates h and c. */
    void (*lstm_gates)(const float *gates, float *h, float *c, int units, float forget_bias);
    void (*f16_to_f32)(const uint16_t *x, float *y, int n);

    /* ---- Training (train.c) ---- */
    nn_train_gemm_fn *train_gemm; /* SIMD versions: train_gemm_simd.c */
    /* One step of an LSTM layer over `rows` rows of a batch. gates [rows, 4U] hold the gate
     * pre-activations without the bias on entry and the activated i, j, f, o on return. c_prev,
     * h_prev [rows, U] are the previous state, NULL for the zero state; c, h [rows, U] receive the
     * new state and out [rows, U] the output. A row whose mask is 0 carries the state, outputs
     * zeros and gets zero gates; mask NULL means every row is real. */
    void (*train_lstm_forward)(int rows, int units, float forget_bias, const float *bias, const float *mask,
                               const float *c_prev, const float *h_prev, float *gates, float *c, float *h,
                               float *out);
    /* Its backward step: from the activated gates, c_prev (NULL for the zero state) and c, the
     * output gradient dh and the state gradients dh_state, dc_state [rows, U] flowing back from
     * the next step, write dgates [rows, 4U] (pre-activation) and dbias += dgates; dc_state
     * becomes the gradient into c_prev and dh_state is zeroed for the caller to accumulate
     * dgates · W_hᵀ into. Padded rows: dgates zero, dh_state and dc_state pass through. */
    void (*train_lstm_backward)(int rows, int units, const float *mask, const float *gates, const float *c_prev,
                                const float *c, const float *dh, float *dh_state, float *dc_state,
                                float *dgates, float *dbias);
} nn_kernels;

extern const nn_kernels nn_kernels_reference;
#if defined(__x86_64__) || defined(__i386__)
extern const nn_kernels nn_kernels_avx2;
extern const nn_kernels nn_kernels_sse2;
#else
extern const nn_kernels nn_kernels_neon;
#endif

/* nn_train_gemm's SIMD bodies (train_gemm_simd.c), one per instruction set. */
#if defined(__x86_64__) || defined(__i386__)
nn_train_gemm_fn nn_train_gemm_avx2, nn_train_gemm_sse2;
#else
nn_train_gemm_fn nn_train_gemm_neon;
#endif

/* The active kernel set, chosen at start-up from the CPU's features. */
extern const nn_kernels *nn_active;

/* Allocation helpers (never called on a real-time path). */
void *nn_aligned_alloc(size_t size);
void nn_aligned_free(void *p);

/* ---- PCG32 (sample.c's sampler, train_layers.c's dropout) ---------------------------------- */

/* PCG32 (XSH RR) as published (pcg32_random_r), scalar: the same seed draws the same numbers on
 * every CPU and kernel set. */
typedef struct nn_pcg32 {
    uint64_t state, increment;
} nn_pcg32;

static inline uint32_t nn_pcg32_next(nn_pcg32 *g)
{
    uint64_t old = g->state;
    g->state = old * 6364136223846793005ull + g->increment;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

/* pcg32_srandom_r: `seed` picks the starting point, `stream` one of 2^63 independent sequences. */
static inline void nn_pcg32_seed(nn_pcg32 *g, uint64_t seed, uint64_t stream)
{
    g->state = 0;
    g->increment = (stream << 1u) | 1u;
    nn_pcg32_next(g);
    g->state += seed;
    nn_pcg32_next(g);
}

/* A uniform in [0, 1) on a 2^-24 grid (the top 24 bits: exact in a float). */
static inline float nn_pcg32_uniform(nn_pcg32 *g) { return (float)(nn_pcg32_next(g) >> 8) * (1.0f / 16777216.0f); }

/* ---- Rows of a batch (the training passes) ------------------------------------------------- */

/* rows[n, cols] = v[cols] in every row; zeros when v is NULL. */
static inline void nn_fill_rows(int n, int cols, const float *v, float *rows)
{
    for (int r = 0; r < n; r++) {
        if (v)
            memcpy(rows + (size_t)r * cols, v, (size_t)cols * sizeof *rows);
        else
            memset(rows + (size_t)r * cols, 0, (size_t)cols * sizeof *rows);
    }
}

/* sum[cols] += Σ rows of d[n, cols], row by row. */
static inline void nn_add_rows(int n, int cols, const float *d, float *sum)
{
    for (int r = 0; r < n; r++)
        for (int k = 0; k < cols; k++)
            sum[k] += d[(size_t)r * cols + k];
}

/* A matrix whose panel data lives inside a larger block owned by someone else (a model's
 * single weight allocation). `storage` must hold nn_matrix_packed_bytes(rows, cols, dtype). */
size_t nn_matrix_packed_bytes(int rows, int cols, nn_dtype dtype);
void nn_matrix_init(nn_matrix *m, int rows, int cols, nn_dtype dtype, void *storage);
/* Pack row-major source values stored as src_dtype (little-endian, any alignment). */
void nn_matrix_pack_raw(nn_matrix *m, const void *src, nn_dtype src_dtype);

/* Messages: "name: text" into a NN_MESSAGE_SIZE buffer (NULL buffer allowed). */
nn_status nn_fail(char *message, nn_status status, const char *name, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* ---- Model files (model_file.c) and kinds (event_rnn.c) ----------------------------------- */

#define NN_FORMAT_VERSION 1u
#define NN_MAX_HPARAMS 256
#define NN_MAX_TENSORS 4096

typedef struct nn_hparam {
    char name[NN_HPARAM_NAME_MAX + 1];
    nn_hparam_type type;
    int64_t int_value;
    double float_value;
    char string_value[NN_HPARAM_STRING_MAX + 1];
} nn_hparam;

typedef struct nn_tensor {
    char name[NN_TENSOR_NAME_MAX + 1];
    nn_dtype dtype;
    int ndim;
    int dims[NN_MAX_DIMS];
    size_t count;
    const unsigned char *raw; /* into the file's bytes: valid only while the kind is built */
} nn_tensor;

struct nn_model {
    nn_kind kind;
    uint32_t version;
    int hparam_count, tensor_count;
    nn_hparam *hparams;
    nn_tensor *tensors;
    size_t param_count;
    size_t weight_bytes, runner_bytes; /* set by the kind's builder */
    void *kind_data;                   /* the kind's prepared weights */
    void (*kind_free)(void *kind_data);
};

const nn_tensor *nn_model_find(const nn_model *m, const char *name);
const nn_hparam *nn_model_find_hparam(const nn_model *m, const char *name);
/* The tensor's values as f32 (f16 widened); `out` holds t->count floats. */
void nn_tensor_read_f32(const nn_tensor *t, float *out);
/* Pack a 2-D tensor into a matrix made by nn_matrix_init with the same rows and cols. */
void nn_tensor_pack(const nn_tensor *t, nn_matrix *m);
/* Check a tensor exists with exactly these dims; otherwise a MISSING or SHAPE message. */
nn_status nn_model_expect(const nn_model *m, const char *file, const char *tensor, int ndim,
                          const int *dims, const nn_tensor **out, char *message);

/* Builds the kind's weights from a validated model; one entry per kind. */
nn_status nn_event_rnn_build(nn_model *m, const char *file, char *message);
nn_status nn_checkpoint_build(nn_model *m, const char *file, char *message);

/* ---- Training helpers (train*.c) ---- */

/* Whether row r of a time-major batch is a real step (a NULL mask: every step is). */
static inline int nn_train_is_real(const float *mask, size_t r) { return !mask || mask[r] != 0.0f; }

/* Σ softmax cross-entropy and correct argmaxes over the real rows with a label in range;
 * dlogits (if not NULL) = grad_scale × (softmax - one-hot) there and 0 elsewhere. */
nn_train_metrics nn_train_cross_entropy_rows(size_t rows, int classes, const float *logits, const int *labels,
                                             const float *mask, double grad_scale, float *dlogits);

#endif /* NN_PRIVATE_H */
