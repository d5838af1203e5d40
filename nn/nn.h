/* nn.h — the suite's neural inference engine: one header, used by every plugin and tool.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Tutorial
 * --------
 * Loading is for a non-real-time thread (the LV2 worker, a tool's main): it reads the file,
 * validates every field and allocates everything the model will ever need.
 *
 *     char why[NN_MESSAGE_SIZE];
 *     nn_model *model = NULL;
 *     if (nn_model_load("melody.nnm", &model, why) != NN_OK) {
 *         fprintf(stderr, "%s\n", why);          // names the file and the problem
 *         return 1;
 *     }
 *
 * A runner holds one instance's recurrent state; a sampler holds its random generator.
 * Make them off the audio thread too:
 *
 *     nn_rnn *rnn = NULL;
 *     nn_sampler *sampler = NULL;
 *     nn_rnn_new(model, &rnn, why);
 *     nn_sampler_new(nn_rnn_classes(rnn), 1234, &sampler);
 *
 * Inside the audio callback nothing below allocates, locks, waits or calls the system:
 *
 *     nn_fp_state fp = nn_fp_enter();            // flush denormals to zero
 *     const float *logits = nn_rnn_step_class(rnn, previous);
 *     nn_sample_params p = { .temperature = 1.0f };
 *     int next = nn_sampler_draw(sampler, logits, nn_rnn_classes(rnn), &p);
 *     nn_fp_leave(fp);
 *
 * Free off the audio thread: nn_sampler_free(sampler); nn_rnn_free(rnn); nn_model_free(model).
 * Every *_free(NULL) does nothing. The model is read-only once loaded: any number of
 * runners, on any threads, may share it.
 *
 * Below the model kinds sit the layers (dense, LSTM, GRU, embedding, activations, softmax)
 * on packed weight matrices; tools and new model kinds build on them directly. Weights are
 * f32 or f16; f16 is widened in registers and every sum is accumulated in f32. The SIMD path
 * (AVX2+FMA where the CPU has it, else SSE2 on x86-64, NEON on aarch64) is chosen once at
 * start-up; every kernel also has a plain scalar reference.
 *
 * The file format is specified in nn/FORMAT.md.
 */
#ifndef NN_H
#define NN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status ------------------------------------------------------------------------------ */

/** Every fallible call returns one of these; negative values are errors. */
typedef enum nn_status {
    NN_OK = 0,
    NN_ERR_ARGUMENT = -1,  /**< a parameter is NULL, out of range or inconsistent */
    NN_ERR_MEMORY = -2,    /**< an allocation failed */
    NN_ERR_IO = -3,        /**< a file could not be opened, read, written or renamed */
    NN_ERR_TRUNCATED = -4, /**< the file ends before its header says it does */
    NN_ERR_MAGIC = -5,     /**< not a model file */
    NN_ERR_VERSION = -6,   /**< written by a newer format version than this engine reads */
    NN_ERR_CHECKSUM = -7,  /**< contents do not match the stored checksum */
    NN_ERR_KIND = -8,      /**< a model kind this engine does not know */
    NN_ERR_MALFORMED = -9, /**< a header field, record or size is invalid */
    NN_ERR_MISSING = -10,  /**< a required tensor or hyperparameter is absent */
    NN_ERR_SHAPE = -11,    /**< a tensor has the wrong shape or dtype for its role */
} nn_status;

/** A short constant text for a status, e.g. "bad checksum". Never NULL. */
const char *nn_status_text(nn_status status);

/** CRC-32C (Castagnoli, reflected 0x82F63B78) of `size` bytes, continuing from `crc` (0 to
 *  start): the checksum of model files and of nn-train's datasets. "123456789" gives 0xE3069283. */
uint32_t nn_crc32c(uint32_t crc, const void *data, size_t size);

/** Size of the buffers that receive a detailed message (file name and problem). */
#define NN_MESSAGE_SIZE 512

/* ---- Scalar types ------------------------------------------------------------------------ */

typedef enum nn_dtype { NN_F32 = 0, NN_F16 = 1 } nn_dtype;

const char *nn_dtype_name(nn_dtype dtype);
size_t nn_dtype_size(nn_dtype dtype);

uint16_t nn_f32_to_f16(float value); /**< round to nearest even; overflow gives infinity */
float nn_f16_to_f32(uint16_t value);

/* ---- CPU, SIMD and the floating-point environment ---------------------------------------- */

/** Name of the kernel set in use: "avx2", "sse2", "neon" or "reference". */
const char *nn_simd_active(void);

/** Select a kernel set by name ("auto" for the best the CPU has). For tests and benchmarks;
 *  call it before any processing starts. NN_ERR_ARGUMENT if this CPU or build lacks it. */
nn_status nn_simd_select(const char *name);

/** Saved floating-point control state. */
typedef struct nn_fp_state {
    uint64_t bits;
} nn_fp_state;

/** Turn on flush-to-zero and denormals-are-zero for this thread; returns the previous state.
 *  Real-time safe: a register write. */
nn_fp_state nn_fp_enter(void);
void nn_fp_leave(nn_fp_state previous);

/* ---- Packed weight matrices and layers ---------------------------------------------------- */

/** A weight matrix of TensorFlow's layout [rows = inputs, cols = outputs], stored in the
 *  kernels' panel layout, f32 or f16. Immutable once made; share it freely. */
typedef struct nn_matrix nn_matrix;

/** Pack `data` (row-major [rows, cols], f32) into a new matrix stored as `dtype`. */
nn_status nn_matrix_new(int rows, int cols, nn_dtype dtype, const float *data, nn_matrix **out);
void nn_matrix_free(nn_matrix *matrix);
int nn_matrix_rows(const nn_matrix *matrix);
int nn_matrix_cols(const nn_matrix *matrix);
nn_dtype nn_matrix_dtype(const nn_matrix *matrix);
size_t nn_matrix_bytes(const nn_matrix *matrix);
/** Copy the matrix back out as row-major f32 [rows, cols] (f16 widened). */
void nn_matrix_unpack(const nn_matrix *matrix, float *data);

/** Dense layer, y[cols] = x[rows] · W + bias. `bias` may be NULL. y must not alias x. */
void nn_dense(const nn_matrix *w, const float *bias, const float *x, float *y);

/** Dense layer on a batch: Y[batch, cols] = X[batch, rows] · W + bias. */
void nn_dense_batch(const nn_matrix *w, const float *bias, int batch, const float *x, float *y);

/** Embedding lookup: out[cols] = row `index` of a table [vocabulary, cols]. */
void nn_embedding(const nn_matrix *table, int index, float *out);

/** An LSTM cell as TensorFlow defines it (BasicLSTMCell, LSTMBlockCell, cuDNN-compatible):
 *  kernel [input + units, 4 * units], bias [4 * units], gates in the order i, j, f, o.
 *    gates = [x, h] · kernel + bias
 *    c' = c * sigmoid(f + forget_bias) + sigmoid(i) * tanh(j)
 *    h' = tanh(c') * sigmoid(o)
 *  forget_bias is 1.0 for BasicLSTMCell and LSTMBlockCell, 0 for cuDNN-compatible cells. */
typedef struct nn_lstm_cell {
    const nn_matrix *kernel;
    const float *bias;
    int input, units;
    float forget_bias;
} nn_lstm_cell;

/** Floats of scratch space nn_lstm_step needs. */
size_t nn_lstm_work_size(const nn_lstm_cell *cell);
/** One step: reads x[input], updates h[units] and c[units] in place. */
void nn_lstm_step(const nn_lstm_cell *cell, const float *x, float *h, float *c, float *work);
/** One step whose input is one-hot at `index` (0 <= index < input): the kernel row is added
 *  instead of multiplying a vector of zeros. */
void nn_lstm_step_onehot(const nn_lstm_cell *cell, int index, float *h, float *c, float *work);

/** A GRU cell. gate_kernel [input + units, 2 * units] gives the reset gate r then the update
 *  gate u; candidate_kernel [input + units, units] splits by rows into Wx (first `input` rows)
 *  and Wh (last `units` rows).
 *    reset_after = 0 (TensorFlow's GRUCell): n = tanh(x·Wx + (r*h)·Wh + b + bh)
 *    reset_after = 1 (cuDNN, PyTorch, Keras v2): n = tanh(x·Wx + b + r*(h·Wh + bh))
 *    h' = u * h + (1 - u) * n
 *  candidate_hidden_bias (bh) may be NULL (TensorFlow's GRUCell has none). */
typedef struct nn_gru_cell {
    const nn_matrix *gate_kernel;
    const float *gate_bias;
    const nn_matrix *candidate_kernel;
    const float *candidate_bias;
    const float *candidate_hidden_bias;
    int input, units;
    int reset_after;
} nn_gru_cell;

size_t nn_gru_work_size(const nn_gru_cell *cell);
void nn_gru_step(const nn_gru_cell *cell, const float *x, float *h, float *work);

/* Element-wise activations over n values; y may equal x. */
void nn_tanh(const float *x, float *y, int n);
void nn_sigmoid(const float *x, float *y, int n);
void nn_relu(const float *x, float *y, int n);
void nn_leaky_relu(const float *x, float *y, int n, float alpha);
void nn_softplus(const float *x, float *y, int n);

/** y = softmax(x / temperature) over n values (temperature > 0); y may equal x. */
void nn_softmax(const float *x, float *y, int n, float temperature);
/** y = log(softmax(x)); y may equal x. */
void nn_log_softmax(const float *x, float *y, int n);

/* ---- Sampling ----------------------------------------------------------------------------- */

/** A seeded random generator plus scratch for choosing classes: one per instance. */
typedef struct nn_sampler nn_sampler;

typedef struct nn_sample_params {
    float temperature; /**< <= 0 picks the most likely class (argmax) */
    int top_k;         /**< keep the k most likely classes; 0 keeps all */
    float top_p;       /**< keep the smallest set whose probability reaches p; 0 or 1 keeps all */
} nn_sample_params;

nn_status nn_sampler_new(int max_classes, uint64_t seed, nn_sampler **out);
void nn_sampler_free(nn_sampler *sampler);
/** Restart the sequence of draws: the same seed gives the same draws. */
void nn_sampler_seed(nn_sampler *sampler, uint64_t seed);
/** A uniform float in [0, 1). */
float nn_sampler_uniform(nn_sampler *sampler);
/** Draw a class from logits[n]. Returns -1 if n is out of 1..max_classes. NaN logits are
 *  never chosen; if every logit is NaN the result is class 0. Real-time safe. */
int nn_sampler_draw(nn_sampler *sampler, const float *logits, int n, const nn_sample_params *params);
/** Index of the largest value (the first on ties; NaN is skipped). */
int nn_argmax(const float *x, int n);

/* ---- Model files --------------------------------------------------------------------------- */

/** What a model file holds. New kinds are added at the end; values are stored in files. */
typedef enum nn_kind {
    NN_KIND_EVENT_RNN = 1, /**< Magenta's events RNN: input → stacked LSTM → dense logits */
    NN_KIND_TRAIN_CHECKPOINT = 2, /**< nn-train's resumable state: any tensors, kept as f32 */
} nn_kind;

/** "event_rnn", or NULL for a value this engine does not know. */
const char *nn_kind_name(nn_kind kind);

typedef enum nn_hparam_type { NN_HPARAM_INT = 1, NN_HPARAM_FLOAT = 2, NN_HPARAM_STRING = 3 } nn_hparam_type;

/** Longest hyperparameter name, tensor name and string value, without the terminating NUL. */
#define NN_HPARAM_NAME_MAX 31
#define NN_HPARAM_STRING_MAX 23
#define NN_TENSOR_NAME_MAX 95
#define NN_MAX_DIMS 4

typedef struct nn_hparam_info {
    const char *name;
    nn_hparam_type type;
    int64_t int_value;
    double float_value;
    const char *string_value;
} nn_hparam_info;

typedef struct nn_tensor_info {
    const char *name;
    nn_dtype dtype;
    int ndim;
    int dims[NN_MAX_DIMS];
    size_t count; /**< number of elements */
} nn_tensor_info;

typedef struct nn_model nn_model;

/** Read, validate and prepare a model file. On failure *out is NULL and `message` (if not
 *  NULL, NN_MESSAGE_SIZE bytes) names the file and the problem. Not real-time safe. */
nn_status nn_model_load(const char *path, nn_model **out, char *message);
/** The same from memory; `name` stands for the file in messages. `data` is not kept. */
nn_status nn_model_load_memory(const void *data, size_t size, const char *name, nn_model **out,
                               char *message);
void nn_model_free(nn_model *model);

nn_kind nn_model_kind(const nn_model *model);
uint32_t nn_model_version(const nn_model *model);
int nn_model_hparam_count(const nn_model *model);
void nn_model_hparam(const nn_model *model, int index, nn_hparam_info *info);
int nn_model_tensor_count(const nn_model *model);
void nn_model_tensor(const nn_model *model, int index, nn_tensor_info *info);
/** The values of tensor `index` of a train_checkpoint, as f32; NULL for other kinds (they keep
 *  only their packed weights). */
const float *nn_model_tensor_data(const nn_model *model, int index);
/** Look-ups by name, returning `fallback` when absent or of another type. */
int64_t nn_model_int(const nn_model *model, const char *name, int64_t fallback);
double nn_model_float(const nn_model *model, const char *name, double fallback);
const char *nn_model_string(const nn_model *model, const char *name, const char *fallback);
size_t nn_model_param_count(const nn_model *model);
/** Bytes the loaded model holds in memory (packed weights), and each runner's own bytes. */
size_t nn_model_weight_bytes(const nn_model *model);
size_t nn_model_runner_bytes(const nn_model *model);

/** Builds a model file: hyperparameters, then tensors, then save. */
typedef struct nn_writer nn_writer;

nn_status nn_writer_new(nn_kind kind, nn_writer **out);
void nn_writer_free(nn_writer *writer);
nn_status nn_writer_set_int(nn_writer *writer, const char *name, int64_t value);
nn_status nn_writer_set_float(nn_writer *writer, const char *name, double value);
nn_status nn_writer_set_string(nn_writer *writer, const char *name, const char *value);
/** Add a tensor from f32 data, stored as `dtype` (f16 rounds to nearest even). */
nn_status nn_writer_add(nn_writer *writer, const char *name, nn_dtype dtype, int ndim,
                        const int *dims, const float *data);
/** Write to `path` atomically: a temporary file in the same folder, flushed, then renamed. */
nn_status nn_writer_save(const nn_writer *writer, const char *path, char *message);
/** The file's bytes in a new malloc'd buffer (free() it). */
nn_status nn_writer_to_memory(const nn_writer *writer, void **data, size_t *size);

/* ---- Event RNN runner ------------------------------------------------------------------------ */

/** One instance of an NN_KIND_EVENT_RNN model: its recurrent state and buffers. A model with
 *  the optional input projection (input/kernel, input/bias: FORMAT.md) applies it to every
 *  step's input (a one-hot step adds the kernel's row) before the first LSTM layer. */
typedef struct nn_rnn nn_rnn;

nn_status nn_rnn_new(const nn_model *model, nn_rnn **out, char *message);
void nn_rnn_free(nn_rnn *rnn);
/** Zero the recurrent state (start of a sequence). Real-time safe. */
void nn_rnn_reset(nn_rnn *rnn);
int nn_rnn_input_size(const nn_rnn *rnn);
int nn_rnn_classes(const nn_rnn *rnn);
/** One step on an input vector; returns the logits (valid until the next step). */
const float *nn_rnn_step(nn_rnn *rnn, const float *input);
/** One step on a one-hot input at `index`; out-of-range indices count as all-zero input. */
const float *nn_rnn_step_class(nn_rnn *rnn, int index);
/** Start a step on `input` without computing it; nn_rnn_step_continue then computes up to
 *  `layers` layers (>= 1) and returns the logits once the last layer and the output layer
 *  are done, NULL before. For a model step too long for one audio callback: the same logits,
 *  bit for bit, as nn_rnn_step. Layer 0 includes the input projection and the attention
 *  wrapper (with the wrapper around the whole stack, attn_cells "stack": only its input; its
 *  query, attention and output go with the last layer); the output layer goes with the last
 *  layer. `input` is read by the first continue
 *  call (keep it unchanged until then). nn_rnn_reset abandons a started step; finish one
 *  before calling nn_rnn_step. Real-time safe. */
void nn_rnn_step_start(nn_rnn *rnn, const float *input);
/** nn_rnn_step_start on a one-hot input at `index`, as nn_rnn_step_class. */
void nn_rnn_step_start_class(nn_rnn *rnn, int index);
const float *nn_rnn_step_continue(nn_rnn *rnn, int layers);
/** The LSTM layers of a step: the most nn_rnn_step_continue calls one step takes. */
int nn_rnn_num_layers(const nn_rnn *rnn);

/* ---- Training ------------------------------------------------------------------------------ */

/* Forward and backward passes for training (the nn-train tool), in the manner of llm.c:
 * functions on row-major f32 arrays in TensorFlow's layout (kernels [in, out]), explicit shapes,
 * no allocation; the products go through nn_train_gemm (packed SIMD, single-threaded: nn-train
 * runs one batch shard per thread). Every backward pass ADDS into its gradients (dx, dW, db), so the caller
 * zeroes them once per batch. Packing into nn_matrix happens only at export, via nn_writer.
 * Sequences are time-major: x[T, B, in], mask[T, B] with 1 for a real step and 0 for padding;
 * a NULL mask means every step is real. Not real-time code. */

/** Flags of nn_train_gemm. */
enum {
    NN_GEMM_TRANS_A = 1,    /* A is stored [k, m] (use its transpose) */
    NN_GEMM_TRANS_B = 2,    /* B is stored [n, k] */
    NN_GEMM_ACCUMULATE = 4, /* C += A·B instead of C = A·B */
};
/** C[m, n] (+)= op(A)[m, k] · op(B)[k, n], row-major with leading dimensions lda, ldb, ldc.
 *  The training passes' one matrix product; its result does not depend on the thread count
 *  or the CPU's instruction set beyond rounding of the same sums (see tests/train). */
void nn_train_gemm(int flags, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                   float *c, int ldc);

/** y[n, out] = x[n, in] · w[in, out] + b[out]. */
void nn_train_dense_forward(int n, int in, int out, const float *x, const float *w,
                            const float *b, float *y);
/** dx[n, in] += dy · wᵀ (dx may be NULL), dw[in, out] += xᵀ · dy, db[out] += Σ rows of dy. */
void nn_train_dense_backward(int n, int in, int out, const float *x, const float *w,
                             const float *dy, float *dx, float *dw, float *db);

/** An LSTM layer as nn_lstm_cell defines it (gates i, j, f, o; forget_bias added at run time),
 *  run over whole sequences from a zero state. kernel [input + units, 4 units], bias [4 units]. */
typedef struct nn_train_lstm {
    int input, units;
    float forget_bias;
} nn_train_lstm;

/** Floats of workspace for `steps` × `batch`: what the backward pass needs of the forward. */
size_t nn_train_lstm_workspace_size(const nn_train_lstm *layer, int steps, int batch);
/** h[T, B, units] = the layer's outputs. A padded step (mask 0) leaves the state unchanged and
 *  outputs zeros, like tf.nn.dynamic_rnn with sequence lengths. Fills `work` for backward. */
void nn_train_lstm_forward(const nn_train_lstm *layer, int steps, int batch, const float *x,
                           const float *mask, const float *kernel, const float *bias, float *h,
                           float *work);
/** Back-propagation through time from dh[T, B, units] (padded steps' dh is ignored), with the
 *  `work` the forward pass filled: dx[T, B, input] += (dx may be NULL), dkernel +=, dbias +=. */
void nn_train_lstm_backward(const nn_train_lstm *layer, int steps, int batch, const float *x,
                            const float *mask, const float *kernel, const float *dh, float *dx,
                            float *dkernel, float *dbias, float *work);

/** Mean softmax cross-entropy of logits[n, classes] against labels[n] over the positions whose
 *  mask is not 0 (mask may be NULL), as tf.nn.sparse_softmax_cross_entropy_with_logits then
 *  reduce_mean over the unpadded positions. Writes (not adds) dlogits[n, classes], the
 *  gradient of that mean (zero at masked positions); dlogits may be NULL. 0 if none count. */
float nn_train_softmax_cross_entropy(int n, int classes, const float *logits, const int *labels,
                                     const float *mask, float *dlogits);

/** √Σ g² over n values (accumulated in double). */
float nn_train_global_norm(size_t n, const float *grads);
/** tf.clip_by_global_norm on n values: scale by clip_norm / max(norm, clip_norm). Returns the
 *  norm before clipping. Called once per variable instead, it is tf.clip_by_norm, which is what
 *  Magenta's slim.learning.create_train_op(clip_gradient_norm=...) actually does. */
float nn_train_clip_by_global_norm(size_t n, float *grads, float clip_norm);

/** tf.train.AdamOptimizer's parameters. */
typedef struct nn_train_adam {
    float learning_rate, beta1, beta2, epsilon;
} nn_train_adam;

/** TensorFlow's defaults: beta1 0.9, beta2 0.999, epsilon 1e-8. */
nn_train_adam nn_train_adam_defaults(float learning_rate);
/** One Adam update of step t (1 for the first) on n parameters, TensorFlow's form:
 *    m = β1 m + (1 - β1) g,  v = β2 v + (1 - β2) g²,
 *    param -= lr √(1 - β2^t) / (1 - β1^t) · m / (√v + ε)
 *  m and v start at zero and belong to the caller (one each per parameter). */
void nn_train_adam_update(const nn_train_adam *adam, int64_t t, size_t n, float *params,
                          const float *grads, float *m, float *v);

/** Magenta's AttentionCellWrapper around a BasicLSTMCell (magenta/contrib/rnn.py), as the
 *  event_rnn model file's attention tensors define it (FORMAT.md), over whole sequences from a
 *  zero state. U = units, L = length, I = input. Per step and row:
 *    x' = [x, attns]·input_kernel + input_bias; (c, h) = LSTM(x'; kernel, bias, forget_bias);
 *    y = [c, h]·query_kernel + query_bias; s[l] = Σ_k attn_v[k] tanh(S[l]·attn_w + y)[k];
 *    a = softmax(s); attns = Σ_l a[l] S[l]; out = [h, attns]·output_kernel + output_bias;
 *  S = the last L outputs (zeros before there are L), out joins it as the oldest leaves.
 *  Shapes: input_kernel [I + U, I], input_bias [I], kernel [I + U, 4U], bias [4U], attn_w [U, U],
 *  attn_v [U], query_kernel [2U, U], query_bias [U], output_kernel [2U, U], output_bias [U]. */
typedef struct nn_train_attention {
    int input, units, length;
    float forget_bias;
} nn_train_attention;

/** The wrapper's tensors (or their gradients). */
typedef struct nn_train_attention_params {
    float *input_kernel, *input_bias, *kernel, *bias, *attn_w, *attn_v, *query_kernel, *query_bias,
        *output_kernel, *output_bias;
} nn_train_attention_params;

size_t nn_train_attention_workspace_size(const nn_train_attention *layer, int steps, int batch);
/** out[T, B, U] = the wrapper's outputs for x[T, B, I]. A padded step carries the whole state
 *  (LSTM, attns, the window) and outputs zeros. Fills `work` for backward. */
void nn_train_attention_forward(const nn_train_attention *layer, int steps, int batch, const float *x,
                                const float *mask, const nn_train_attention_params *p, float *out,
                                float *work);
/** Full back-propagation through time, through the window too (an output feeds the next L
 *  steps), from dout[T, B, U] (padded steps' ignored), with the `work` the forward pass filled:
 *  dx[T, B, I] += (dx may be NULL), every tensor of grads +=. */
void nn_train_attention_backward(const nn_train_attention *layer, int steps, int batch, const float *x,
                                 const float *mask, const nn_train_attention_params *p,
                                 const float *dout, float *dx, const nn_train_attention_params *grads,
                                 float *work);

/** Dropout as tf.nn.dropout(keep_prob = keep): each of x[n] is kept with probability keep and
 *  scaled by 1 / keep, or zeroed; mask[n] receives the factor applied (1 / keep or 0). The
 *  draws come from PCG32 seeded by (seed, stream), scalar, so they are the same on every CPU.
 *  keep >= 1 is the identity (mask all 1); keep <= 0 zeroes everything. */
void nn_train_dropout_forward(size_t n, float keep, uint64_t seed, uint64_t stream, float *x,
                              float *mask);
/** dy[n] *= mask[n]. */
void nn_train_dropout_backward(size_t n, const float *mask, float *dy);

/** out[n, dim] = rows ids[n] of table[vocabulary, dim]; an id out of range gives a zero row. */
void nn_train_embedding_forward(int n, int vocabulary, int dim, const int *ids, const float *table,
                                float *out);
/** dtable[ids[r]] += dout[r] for every r with an id in range. */
void nn_train_embedding_backward(int n, int vocabulary, int dim, const int *ids, const float *dout,
                                 float *dtable);

/** A GRU layer as nn_gru_cell defines it (r then u in gate_kernel; reset_after 0: TensorFlow's
 *  GRUCell, 1: cuDNN/PyTorch), over whole sequences from a zero state. gate_kernel [input +
 *  units, 2 units], gate_bias [2 units], candidate_kernel [input + units, units], candidate_bias
 *  [units], candidate_hidden_bias [units] or NULL (then its gradient is not touched). */
typedef struct nn_train_gru {
    int input, units, reset_after;
} nn_train_gru;

typedef struct nn_train_gru_params {
    float *gate_kernel, *gate_bias, *candidate_kernel, *candidate_bias, *candidate_hidden_bias;
} nn_train_gru_params;

size_t nn_train_gru_workspace_size(const nn_train_gru *layer, int steps, int batch);
/** h[T, B, units]; a padded step carries the state and outputs zeros. Fills `work`. */
void nn_train_gru_forward(const nn_train_gru *layer, int steps, int batch, const float *x,
                          const float *mask, const nn_train_gru_params *p, float *h, float *work);
/** BPTT from dh[T, B, units]: dx[T, B, input] += (dx may be NULL), every tensor of grads +=. */
void nn_train_gru_backward(const nn_train_gru *layer, int steps, int batch, const float *x,
                           const float *mask, const nn_train_gru_params *p, const float *dh,
                           float *dx, const nn_train_gru_params *grads, float *work);

/** The reference model of the tests: one-hot input → LSTM(units[0]) → LSTM(units[1]) → dense
 *  → softmax cross-entropy. Parameters live in one array, in this order: kernel0 [input +
 *  units0, 4 units0], bias0 [4 units0], kernel1 [units0 + units1, 4 units1], bias1 [4 units1],
 *  out_kernel [units1, classes], out_bias [classes]; gradients in another of the same layout. */
typedef struct nn_train_rnn {
    int input, units[2], classes;
    float forget_bias;
} nn_train_rnn;

/** Views of the parameter (or gradient) array, per tensor. */
typedef struct nn_train_rnn_tensors {
    float *kernel[2], *bias[2], *out_kernel, *out_bias;
} nn_train_rnn_tensors;

size_t nn_train_rnn_param_count(const nn_train_rnn *model);
void nn_train_rnn_tensors_of(const nn_train_rnn *model, float *params, nn_train_rnn_tensors *out);
size_t nn_train_rnn_workspace_size(const nn_train_rnn *model, int steps, int batch);
/** Mean masked cross-entropy of the model on inputs[T, B] (class indices, one-hot; out of range
 *  is all zero) predicting labels[T, B]. If grads is not NULL, adds the gradient of that loss
 *  to it (full back-propagation through time). */
float nn_train_rnn_loss(const nn_train_rnn *model, int steps, int batch, const int *inputs,
                        const int *labels, const float *mask, const float *params, float *grads,
                        float *work);

/* Piano Genie's integer quantiser and its penalties (model.py, stp_emb_iq; train_genie.c).
 * x is the encoder's pre-quantised value per note, time-major [T, B] where keys appear too. */

/** iqst with nbins levels: value[n] = 2 q / (nbins - 1) - 1 with q = round((nbins - 1) ·
 *  clip((x + 1) / 2, -1e-7, 1 + 1e-7)) (half to even), button[n] = q; either may be NULL. */
void nn_train_iq_forward(int n, int nbins, const float *x, float *value, int *button);
/** The straight-through estimator: dx[n] += dvalue[n]. */
void nn_train_iq_backward(int n, const float *dvalue, float *dx);
/** Range penalty: mean over n of max(|x| - 1, 0)²; dx (may be NULL) += scale × its gradient. */
float nn_train_iq_range_penalty(int n, const float *x, float scale, float *dx);
/** Contour penalty: mean over the (T - 1) B successive pairs of max(margin - Δkey · Δx, 0)^exponent
 *  (exponent 1 or 2; Δ = next - this); dx (may be NULL) += scale × its gradient. */
float nn_train_iq_contour_penalty(int steps, int batch, const int *keys, const float *x, float margin, int exponent,
                                  float scale, float *dx);
/** Deviation penalty: mean over the pairs whose key repeats of |Δx|^exponent (1 or 2); 0 when
 *  none repeats; dx (may be NULL) += scale × its gradient. */
float nn_train_iq_deviate_penalty(int steps, int batch, const int *keys, const float *x, int exponent, float scale,
                                  float *dx);

/* ---- Training Magenta's events RNN ------------------------------------------------------------ */

/** The model nn-train trains for Melody, Drums and Improv RNN (events_rnn_graph.py): input
 *  vectors → LSTM layers, the first wrapped in Magenta's AttentionCellWrapper when attn_length
 *  > 0, each layer's output through dropout (DropoutWrapper output_keep_prob) → dense logits →
 *  softmax cross-entropy. Its tensors carry the names of the event_rnn model file (FORMAT.md),
 *  so export is a copy. Parameters and gradients live in one array each, tensor after tensor. */
#define NN_TRAIN_MAX_LAYERS 8

typedef struct nn_train_event_rnn {
    int input, layers, units[NN_TRAIN_MAX_LAYERS], classes;
    int attn_length;   /**< 0: no attention */
    float forget_bias; /**< 1.0, BasicLSTMCell */
    float keep_prob;   /**< dropout's keep probability in training; 1: none */
} nn_train_event_rnn;

/** One tensor of the parameter array: its file name, shape (a vector has rows 1) and place. */
typedef struct nn_train_tensor {
    char name[NN_TENSOR_NAME_MAX + 1];
    int rows, cols;
    size_t offset;
} nn_train_tensor;

/** NN_OK if the shape is one this engine trains (sizes in range, layers 1..8). */
nn_status nn_train_event_rnn_check(const nn_train_event_rnn *model, char *message);
/** Fills tensors[] (if not NULL) and returns how many there are (at most 32). */
int nn_train_event_rnn_tensors(const nn_train_event_rnn *model, nn_train_tensor *tensors);
size_t nn_train_event_rnn_param_count(const nn_train_event_rnn *model);
/** TensorFlow's initial values: kernels and attn_v Glorot-uniform, biases zero; seeded. */
void nn_train_event_rnn_init(const nn_train_event_rnn *model, float *params, uint64_t seed);
size_t nn_train_event_rnn_workspace_size(const nn_train_event_rnn *model, int steps, int batch);

/** Sums over the unpadded steps of a batch, so that shards add up exactly. */
typedef struct nn_train_metrics {
    double loss_sum;       /**< Σ cross-entropy, nats */
    int64_t steps, correct; /**< steps counted; steps whose argmax is the label */
} nn_train_metrics;

/** Forward (and with grads, backward) pass over inputs[T, B, input] with labels[T, B] and
 *  mask[T, B]. With grads not NULL: dropout is on, drawn from (dropout_seed, dropout_stream),
 *  and the gradient of grad_scale × Σ cross-entropy is ADDED to grads. Without: evaluation. */
nn_train_metrics nn_train_event_rnn_run(const nn_train_event_rnn *model, int steps, int batch,
                                        const float *inputs, const int *labels, const float *mask,
                                        const float *params, float *grads, float grad_scale,
                                        uint64_t dropout_seed, uint64_t dropout_stream, float *work);

#ifdef __cplusplus
}
#endif

#endif /* NN_H */
