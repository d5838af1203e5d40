/* oracle_train.c — the two-layer reference model's loss, gradients and 10 clipped Adam steps.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * test_train_oracle.py redoes all of it in PyTorch. Usage: oracle_train OUT.
 * OUT, little-endian: magic "OTRN", then int32 input, units0, units1, classes, steps T,
 * batch B, adam_steps; f32 forget_bias, learning_rate, clip_norm; then
 * int32 inputs [T, B], int32 labels [T, B], f32 mask [T, B] (right padding), f32 params [n]
 * (nn_train_rnn's layout), f32 loss, f32 grads [n] (at the initial params), then per Adam step
 * f32 loss and f32 gradient norm before clipping, then f32 params [n] after the last step.
 */
#include "nn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle_io.h"
#define XORSHIFT_SEED 0x2545F4914F6CDD1Du
#include "xorshift.h"

enum { T = 9, B = 4, ADAM_STEPS = 10 };

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: oracle_train OUT\n");
        return 2;
    }
    static const int lengths[B] = {9, 5, 1, 7};
    const nn_train_rnn model = {.input = 6, .units = {8, 7}, .classes = 5, .forget_bias = 1.0f};
    const float learning_rate = 0.01f, clip_norm = 0.15f; /* clips the first steps only */
    size_t n = nn_train_rnn_param_count(&model);
    float *params = malloc(n * sizeof *params), *grads = malloc(n * sizeof *grads);
    float *m = calloc(n, sizeof *m), *v = calloc(n, sizeof *v);
    float *work = malloc(nn_train_rnn_workspace_size(&model, T, B) * sizeof *work);
    if (!params || !grads || !m || !v || !work)
        return 1;
    int inputs[T * B], labels[T * B];
    float mask[T * B];
    for (int k = 0; k < T * B; k++) {
        inputs[k] = (int)(uniform(0.0f, 1.0f) * (float)model.input) % model.input;
        labels[k] = (int)(uniform(0.0f, 1.0f) * (float)model.classes) % model.classes;
        mask[k] = k / B < lengths[k % B] ? 1.0f : 0.0f;
    }
    fill(params, n, 0.5f);

    oracle_file f;
    if (!oracle_create(&f, argv[1], "OTRN"))
        return 1;
    const int32_t header[7] = {model.input, model.units[0], model.units[1], model.classes, T, B, ADAM_STEPS};
    const float hyper[3] = {model.forget_bias, learning_rate, clip_norm};
    oracle_put(&f, header, 7), oracle_put(&f, hyper, 3);
    oracle_put(&f, inputs, T * B), oracle_put(&f, labels, T * B), oracle_put(&f, mask, T * B);
    oracle_put(&f, params, n);

    memset(grads, 0, n * sizeof *grads);
    float loss = nn_train_rnn_loss(&model, T, B, inputs, labels, mask, params, grads, work);
    oracle_put(&f, &loss, 1), oracle_put(&f, grads, n);

    nn_train_adam adam = nn_train_adam_defaults(learning_rate);
    for (int step = 1; step <= ADAM_STEPS; step++) {
        memset(grads, 0, n * sizeof *grads);
        loss = nn_train_rnn_loss(&model, T, B, inputs, labels, mask, params, grads, work);
        float norm = nn_train_clip_by_global_norm(n, grads, clip_norm);
        nn_train_adam_update(&adam, step, n, params, grads, m, v);
        oracle_put(&f, &loss, 1), oracle_put(&f, &norm, 1);
        printf("step %2d: loss %.6f, gradient norm %.6f%s\n", step, (double)loss, (double)norm,
               norm > clip_norm ? " (clipped)" : "");
    }
    oracle_put(&f, params, n);
    free(params), free(grads), free(m), free(v), free(work);
    return oracle_close(&f);
}
