/* oracle_attention.c — the attention wrapper's training forward and backward on a padded batch.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * test_attention_oracle.py redoes them in PyTorch. Usage: oracle_attention OUT.
 * OUT, little-endian: magic "OATN", then int32 input I, units U, length L, steps T, batch B;
 * f32 forget_bias; f32 x [T, B, I], f32 mask [T, B] (right padding), f32 dout [T, B, U],
 * f32 params [n] (the tensors of nn_train_attention_params in its order, each row-major), then
 * f32 out [T, B, U], f32 grads [n] and f32 dx [T, B, I] for the loss Σ out · dout.
 */
#include "nn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle_io.h"
#define XORSHIFT_SEED 0x9E3779B97F4A7C15u
#include "xorshift.h"

enum { I = 6, U = 5, L = 4, T = 10, B = 4 };

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: oracle_attention OUT\n");
        return 2;
    }
    static const int lengths[B] = {10, 7, 1, 4}; /* the window (4) fills, wraps and stops early */
    const nn_train_attention layer = {I, U, L, 1.0f};
    const size_t sizes[10] = {(I + U) * I, I, (I + U) * 4 * U, 4 * U, U * U, U, 2 * U * U, U, 2 * U * U, U};
    size_t n = 0;
    for (int k = 0; k < 10; k++)
        n += sizes[k];
    float *params = malloc(n * sizeof *params), *grads = calloc(n, sizeof *grads);
    float *work = malloc(nn_train_attention_workspace_size(&layer, T, B) * sizeof *work);
    static float x[T * B * I], mask[T * B], dout[T * B * U], out[T * B * U], dx[T * B * I];
    if (!params || !grads || !work)
        return 1;
    fill(params, n, 0.6f);
    fill(x, T * B * I, 1.0f);
    fill(dout, T * B * U, 1.0f);
    for (int k = 0; k < T * B; k++)
        mask[k] = k / B < lengths[k % B] ? 1.0f : 0.0f;

    nn_train_attention_params p, g;
    float **pp[10] = {&p.input_kernel, &p.input_bias, &p.kernel, &p.bias, &p.attn_w,
                      &p.attn_v, &p.query_kernel, &p.query_bias, &p.output_kernel, &p.output_bias};
    float **gg[10] = {&g.input_kernel, &g.input_bias, &g.kernel, &g.bias, &g.attn_w,
                      &g.attn_v, &g.query_kernel, &g.query_bias, &g.output_kernel, &g.output_bias};
    size_t at = 0;
    for (int k = 0; k < 10; k++) {
        *pp[k] = params + at, *gg[k] = grads + at;
        at += sizes[k];
    }
    nn_train_attention_forward(&layer, T, B, x, mask, &p, out, work);
    nn_train_attention_backward(&layer, T, B, x, mask, &p, dout, dx, &g, work);

    oracle_file f;
    if (!oracle_create(&f, argv[1], "OATN"))
        return 1;
    const int32_t header[5] = {I, U, L, T, B};
    oracle_put(&f, header, 5), oracle_put(&f, &layer.forget_bias, 1);
    oracle_put(&f, x, T * B * I), oracle_put(&f, mask, T * B), oracle_put(&f, dout, T * B * U);
    oracle_put(&f, params, n);
    oracle_put(&f, out, T * B * U), oracle_put(&f, grads, n), oracle_put(&f, dx, T * B * I);
    free(params), free(grads), free(work);
    return oracle_close(&f);
}
