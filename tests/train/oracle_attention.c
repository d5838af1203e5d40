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

enum { I = 6, U = 5, L = 4, T = 10, B = 4 };

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static float uniform(float lo, float hi)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return lo + (hi - lo) * (float)((rng_state >> 40) * (1.0 / 16777216.0));
}

static int put(FILE *f, const void *data, size_t size, size_t n) { return fwrite(data, size, n, f) == n; }

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
    for (size_t k = 0; k < n; k++)
        params[k] = uniform(-0.6f, 0.6f);
    for (int k = 0; k < T * B * I; k++)
        x[k] = uniform(-1.0f, 1.0f);
    for (int k = 0; k < T * B * U; k++)
        dout[k] = uniform(-1.0f, 1.0f);
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

    FILE *f = fopen(argv[1], "wb");
    if (!f)
        return 1;
    int32_t header[5] = {I, U, L, T, B};
    int ok = put(f, "OATN", 1, 4) && put(f, header, 4, 5) && put(f, &layer.forget_bias, 4, 1) &&
             put(f, x, 4, T * B * I) && put(f, mask, 4, T * B) && put(f, dout, 4, T * B * U) && put(f, params, 4, n) &&
             put(f, out, 4, T * B * U) && put(f, grads, 4, n) && put(f, dx, 4, T * B * I);
    ok = fclose(f) == 0 && ok;
    free(params), free(grads), free(work);
    return ok ? 0 : 1;
}
