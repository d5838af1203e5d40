/* layers.c — dense, embedding, LSTM and GRU layers and the element-wise functions, on the
 * active kernel set. Nothing here allocates: callers pass the scratch space they sized once.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn_private.h"

#include <string.h>

static void init_bias(float *y, const float *bias, int n)
{
    if (bias)
        memcpy(y, bias, (size_t)n * sizeof *y);
    else
        memset(y, 0, (size_t)n * sizeof *y);
}

void nn_dense(const nn_matrix *w, const float *bias, const float *x, float *y)
{
    init_bias(y, bias, w->cols);
    nn_active->gemv(w, 0, w->rows, x, y);
}

void nn_dense_batch(const nn_matrix *w, const float *bias, int batch, const float *x, float *y)
{
    for (int b = 0; b < batch; b++)
        init_bias(y + (size_t)b * w->cols, bias, w->cols);
    nn_active->gemm(w, batch, x, w->rows, y, w->cols);
}

void nn_embedding(const nn_matrix *table, int index, float *out)
{
    memset(out, 0, (size_t)table->cols * sizeof *out);
    if (index >= 0 && index < table->rows)
        nn_active->add_row(table, index, out);
}

size_t nn_lstm_work_size(const nn_lstm_cell *cell) { return 4 * (size_t)cell->units; }

void nn_lstm_step(const nn_lstm_cell *cell, const float *x, float *h, float *c, float *work)
{
    /* gates = [x, h] · kernel + bias, as two row ranges of one kernel: no concatenation. */
    init_bias(work, cell->bias, 4 * cell->units);
    nn_active->gemv(cell->kernel, 0, cell->input, x, work);
    nn_active->gemv(cell->kernel, cell->input, cell->units, h, work);
    nn_active->lstm_gates(work, h, c, cell->units, cell->forget_bias);
}

void nn_lstm_step_onehot(const nn_lstm_cell *cell, int index, float *h, float *c, float *work)
{
    init_bias(work, cell->bias, 4 * cell->units);
    if (index >= 0 && index < cell->input)
        nn_active->add_row(cell->kernel, index, work);
    nn_active->gemv(cell->kernel, cell->input, cell->units, h, work);
    nn_active->lstm_gates(work, h, c, cell->units, cell->forget_bias);
}

size_t nn_gru_work_size(const nn_gru_cell *cell) { return 4 * (size_t)cell->units; }

void nn_gru_step(const nn_gru_cell *cell, const float *x, float *h, float *work)
{
    int u = cell->units;
    float *gates = work, *cand = work + 2 * u, *tmp = work + 3 * u;
    const float *r = gates, *z = gates + u;

    init_bias(gates, cell->gate_bias, 2 * u);
    nn_active->gemv(cell->gate_kernel, 0, cell->input, x, gates);
    nn_active->gemv(cell->gate_kernel, cell->input, u, h, gates);
    nn_active->sigmoid(gates, gates, 2 * u);

    init_bias(cand, cell->candidate_bias, u);
    nn_active->gemv(cell->candidate_kernel, 0, cell->input, x, cand);
    if (cell->reset_after) { /* r * (h · Wh + bh) */
        init_bias(tmp, cell->candidate_hidden_bias, u);
        nn_active->gemv(cell->candidate_kernel, cell->input, u, h, tmp);
        for (int k = 0; k < u; k++)
            cand[k] += r[k] * tmp[k];
    } else { /* (r * h) · Wh + bh */
        for (int k = 0; k < u; k++) {
            tmp[k] = r[k] * h[k];
            if (cell->candidate_hidden_bias)
                cand[k] += cell->candidate_hidden_bias[k];
        }
        nn_active->gemv(cell->candidate_kernel, cell->input, u, tmp, cand);
    }
    nn_active->tanh(cand, cand, u);
    for (int k = 0; k < u; k++)
        h[k] = z[k] * h[k] + (1.0f - z[k]) * cand[k];
}

void nn_tanh(const float *x, float *y, int n) { nn_active->tanh(x, y, n); }
void nn_sigmoid(const float *x, float *y, int n) { nn_active->sigmoid(x, y, n); }
void nn_relu(const float *x, float *y, int n) { nn_active->relu(x, y, n); }
void nn_leaky_relu(const float *x, float *y, int n, float alpha) { nn_active->leaky_relu(x, y, n, alpha); }
void nn_softplus(const float *x, float *y, int n) { nn_active->softplus(x, y, n); }
void nn_log_softmax(const float *x, float *y, int n) { nn_active->log_softmax(x, y, n); }

void nn_softmax(const float *x, float *y, int n, float temperature)
{
    nn_active->softmax(x, y, n, temperature > 0.0f ? 1.0f / temperature : 1.0f);
}
