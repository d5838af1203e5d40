/* train_genie.c — Piano Genie's integer quantiser and the penalties that shape its buttons
 * (magenta/models/piano_genie/model.py, stp_emb_iq): forward values and the gradients nn-train
 * back-propagates into the encoder.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn.h"

#include <math.h>

void nn_train_iq_forward(int n, int nbins, const float *x, float *value, int *button)
{
    /* iqst: clip((x + 1) / 2, -eps, 1 + eps), round half to even (tf.round), back to [-1, 1]. */
    const float eps = 1e-7f, s = (float)(nbins - 1);
    for (int i = 0; i < n; i++) {
        float xp = (x[i] + 1.0f) / 2.0f;
        xp = xp < -eps ? -eps : xp > 1.0f + eps ? 1.0f + eps : xp;
        float xpp = nearbyintf(s * xp);
        if (value)
            value[i] = 2.0f * (xpp / s) - 1.0f;
        if (button)
            button[i] = (int)(xpp + 1e-4f);
    }
}

void nn_train_iq_backward(int n, const float *dvalue, float *dx)
{
    for (int i = 0; i < n; i++) /* x + stop_gradient(q - x): the identity's gradient */
        dx[i] += dvalue[i];
}

float nn_train_iq_range_penalty(int n, const float *x, float scale, float *dx)
{
    if (n <= 0)
        return 0.0f;
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        float over = fabsf(x[i]) - 1.0f;
        if (over <= 0.0f)
            continue;
        sum += (double)over * over;
        if (dx)
            dx[i] += scale * 2.0f * over * (x[i] > 0.0f ? 1.0f : -1.0f) / (float)n;
    }
    return (float)(sum / n);
}

float nn_train_iq_contour_penalty(int steps, int batch, const int *keys, const float *x, float margin, int exponent,
                                  float scale, float *dx)
{
    int pairs = (steps - 1) * batch;
    if (pairs <= 0)
        return 0.0f;
    double sum = 0.0;
    for (int t = 0; t + 1 < steps; t++)
        for (int b = 0; b < batch; b++) {
            size_t i = (size_t)t * (size_t)batch + (size_t)b, j = i + (size_t)batch;
            float dnote = (float)(keys[j] - keys[i]), dlatent = x[j] - x[i];
            float gap = margin - dnote * dlatent;
            if (gap <= 0.0f)
                continue;
            sum += exponent == 1 ? gap : (double)gap * gap;
            if (dx) {
                /* d gap / d dlatent = -dnote; the power's derivative is 1 or 2 gap. */
                float g = scale * (exponent == 1 ? 1.0f : 2.0f * gap) * -dnote / (float)pairs;
                dx[j] += g;
                dx[i] -= g;
            }
        }
    return (float)(sum / pairs);
}

float nn_train_iq_deviate_penalty(int steps, int batch, const int *keys, const float *x, int exponent, float scale,
                                  float *dx)
{
    int held = 0;
    for (int t = 0; t + 1 < steps; t++)
        for (int b = 0; b < batch; b++)
            held += keys[(t + 1) * batch + b] == keys[t * batch + b];
    if (held == 0)
        return 0.0f;
    double sum = 0.0;
    for (int t = 0; t + 1 < steps; t++)
        for (int b = 0; b < batch; b++) {
            size_t i = (size_t)t * (size_t)batch + (size_t)b, j = i + (size_t)batch;
            if (keys[j] != keys[i])
                continue;
            float d = x[j] - x[i];
            sum += exponent == 1 ? fabsf(d) : (double)d * d;
            if (dx) {
                float g = scale * (exponent == 1 ? (d > 0.0f ? 1.0f : d < 0.0f ? -1.0f : 0.0f) : 2.0f * d) / (float)held;
                dx[j] += g;
                dx[i] -= g;
            }
        }
    return (float)(sum / held);
}
