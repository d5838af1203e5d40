/* train_event_rnn.c — Magenta's events RNN as nn-train trains it: the layers of train.c and
 * train_attention.c put together, with dropout, the dense output and the loss.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn.h"
#include "nn_private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

nn_status nn_train_event_rnn_check(const nn_train_event_rnn *m, char *message)
{
    const char *what = "model";
    if (!m)
        return nn_fail(message, NN_ERR_ARGUMENT, what, "no model");
    if (m->input < 1 || m->input > 65536 || m->classes < 1 || m->classes > 65536)
        return nn_fail(message, NN_ERR_ARGUMENT, what, "input size %d and classes %d must be 1..65536", m->input, m->classes);
    if (m->layers < 1 || m->layers > NN_TRAIN_MAX_LAYERS)
        return nn_fail(message, NN_ERR_ARGUMENT, what, "%d layers: 1..%d are possible", m->layers, NN_TRAIN_MAX_LAYERS);
    for (int l = 0; l < m->layers; l++)
        if (m->units[l] < 1 || m->units[l] > 8192)
            return nn_fail(message, NN_ERR_ARGUMENT, what, "layer %d has %d units: 1..8192 are possible", l, m->units[l]);
    if (m->attn_length < 0 || m->attn_length > 4096)
        return nn_fail(message, NN_ERR_ARGUMENT, what, "attention length %d: 0..4096 are possible", m->attn_length);
    if (!(m->keep_prob > 0.0f && m->keep_prob <= 1.0f))
        return nn_fail(message, NN_ERR_ARGUMENT, what, "dropout keep probability %g: it must be in (0, 1]", m->keep_prob);
    if (!isfinite(m->forget_bias))
        return nn_fail(message, NN_ERR_ARGUMENT, what, "forget bias is not finite");
    return NN_OK;
}

static void add_tensor(nn_train_tensor *t, int *count, size_t *offset, const char *name, int rows, int cols)
{
    if (t) {
        nn_train_tensor *e = &t[*count];
        snprintf(e->name, sizeof e->name, "%s", name);
        e->rows = rows, e->cols = cols, e->offset = *offset;
    }
    ++*count;
    *offset += (size_t)rows * cols;
}

/* The order is the parameter array's; nn_train_event_rnn_run relies on it through views. */
int nn_train_event_rnn_tensors(const nn_train_event_rnn *m, nn_train_tensor *t)
{
    int count = 0, in = m->input;
    size_t offset = 0;
    char name[NN_TENSOR_NAME_MAX + 1];
    for (int l = 0; l < m->layers; l++) {
        int u = m->units[l];
        if (l == 0 && m->attn_length > 0) {
            add_tensor(t, &count, &offset, "rnn/cell_0/attention/input_kernel", in + u, in);
            add_tensor(t, &count, &offset, "rnn/cell_0/attention/input_bias", 1, in);
            add_tensor(t, &count, &offset, "rnn/cell_0/attention/attn_w", u, u);
            add_tensor(t, &count, &offset, "rnn/cell_0/attention/attn_v", 1, u);
            add_tensor(t, &count, &offset, "rnn/cell_0/attention/query_kernel", 2 * u, u);
            add_tensor(t, &count, &offset, "rnn/cell_0/attention/query_bias", 1, u);
            add_tensor(t, &count, &offset, "rnn/cell_0/attention/output_kernel", 2 * u, u);
            add_tensor(t, &count, &offset, "rnn/cell_0/attention/output_bias", 1, u);
        }
        snprintf(name, sizeof name, "rnn/cell_%d/kernel", l);
        add_tensor(t, &count, &offset, name, in + u, 4 * u);
        snprintf(name, sizeof name, "rnn/cell_%d/bias", l);
        add_tensor(t, &count, &offset, name, 1, 4 * u);
        in = u;
    }
    add_tensor(t, &count, &offset, "output/kernel", in, m->classes);
    add_tensor(t, &count, &offset, "output/bias", 1, m->classes);
    return count;
}

size_t nn_train_event_rnn_param_count(const nn_train_event_rnn *m)
{
    nn_train_tensor t[32];
    int n = nn_train_event_rnn_tensors(m, t);
    return t[n - 1].offset + (size_t)t[n - 1].rows * t[n - 1].cols;
}

void nn_train_event_rnn_init(const nn_train_event_rnn *m, float *params, uint64_t seed)
{
    nn_train_tensor t[32];
    int n = nn_train_event_rnn_tensors(m, t);
    nn_sampler *rng = NULL;
    if (nn_sampler_new(1, seed, &rng) != NN_OK)
        return;
    for (int k = 0; k < n; k++) {
        float *p = params + t[k].offset;
        size_t count = (size_t)t[k].rows * t[k].cols;
        /* Vectors are biases, except attn_v: TF gives a 1-D variable fan_in = fan_out = length. */
        bool is_v = strstr(t[k].name, "attn_v") != NULL;
        if (t[k].rows == 1 && !is_v) {
            memset(p, 0, count * sizeof *p);
            continue;
        }
        double fan_sum = is_v ? 2.0 * t[k].cols : (double)t[k].rows + t[k].cols;
        float limit = (float)sqrt(6.0 / fan_sum);
        for (size_t i = 0; i < count; i++)
            p[i] = (2.0f * nn_sampler_uniform(rng) - 1.0f) * limit;
    }
    nn_sampler_free(rng);
}

/* ---- The pass ----------------------------------------------------------------------------- */

/* The workspace, per layer: its output, the output after dropout (what the next layer reads;
 * the layer's own output stays as its backward pass may read it), the dropout mask, the
 * gradient of the output, the layer's own workspace; then logits and their gradient. */
typedef struct layer_work {
    float *out, *dropped, *drop, *dout, *work;
} layer_work;

typedef struct rnn_work {
    layer_work layer[NN_TRAIN_MAX_LAYERS];
    float *logits, *dlogits;
} rnn_work;

static size_t layer_work_size(const nn_train_event_rnn *m, int l, int steps, int batch)
{
    int in = l ? m->units[l - 1] : m->input;
    if (l == 0 && m->attn_length > 0) {
        nn_train_attention a = {in, m->units[0], m->attn_length, m->forget_bias};
        return nn_train_attention_workspace_size(&a, steps, batch);
    }
    nn_train_lstm lstm = {in, m->units[l], m->forget_bias};
    return nn_train_lstm_workspace_size(&lstm, steps, batch);
}

/* Every piece starts on a 64-byte boundary, for the kernels' aligned loads. */
static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

static size_t plan(const nn_train_event_rnn *m, int steps, int batch, float *work, rnn_work *w)
{
    size_t tb = (size_t)steps * batch, used = 0;
#define TAKE(ptr, n) do { if (w) (ptr) = work + used; used += round16(n); } while (0)
    for (int l = 0; l < m->layers; l++) {
        size_t n = tb * m->units[l];
        layer_work dummy, *lw = w ? &w->layer[l] : &dummy;
        TAKE(lw->out, n);
        TAKE(lw->dropped, n);
        TAKE(lw->drop, n);
        TAKE(lw->dout, n);
        TAKE(lw->work, layer_work_size(m, l, steps, batch));
    }
    rnn_work dummy_work, *rw = w ? w : &dummy_work;
    TAKE(rw->logits, tb * m->classes);
    TAKE(rw->dlogits, tb * m->classes);
#undef TAKE
    return used;
}

size_t nn_train_event_rnn_workspace_size(const nn_train_event_rnn *m, int steps, int batch)
{
    return plan(m, steps, batch, NULL, NULL);
}

static void attention_views(const nn_train_event_rnn *m, const nn_train_tensor *t, float *base,
                            nn_train_attention_params *p)
{
    (void)m;
    p->input_kernel = base + t[0].offset, p->input_bias = base + t[1].offset;
    p->attn_w = base + t[2].offset, p->attn_v = base + t[3].offset;
    p->query_kernel = base + t[4].offset, p->query_bias = base + t[5].offset;
    p->output_kernel = base + t[6].offset, p->output_bias = base + t[7].offset;
    p->kernel = base + t[8].offset, p->bias = base + t[9].offset;
}

nn_train_metrics nn_train_event_rnn_run(const nn_train_event_rnn *m, int steps, int batch,
                                        const float *inputs, const int *labels, const float *mask,
                                        const float *params, float *grads, float grad_scale,
                                        uint64_t dropout_seed, uint64_t dropout_stream, float *work)
{
    nn_train_tensor t[32];
    int nt = nn_train_event_rnn_tensors(m, t);
    rnn_work w;
    plan(m, steps, batch, work, &w);
    size_t tb = (size_t)steps * batch;
    bool attention = m->attn_length > 0, train = grads != NULL;
    float *P = (float *)params; /* views only: parameters are read, never written */
    int first = attention ? 8 : 0; /* index of rnn/cell_0/kernel */

    /* Forward. */
    const float *x = inputs;
    int in = m->input;
    for (int l = 0; l < m->layers; l++) {
        int u = m->units[l], k = first + 2 * l;
        layer_work *lw = &w.layer[l];
        if (l == 0 && attention) {
            nn_train_attention a = {in, u, m->attn_length, m->forget_bias};
            nn_train_attention_params p;
            attention_views(m, t, P, &p);
            nn_train_attention_forward(&a, steps, batch, x, mask, &p, lw->out, lw->work);
        } else {
            nn_train_lstm lstm = {in, u, m->forget_bias};
            nn_train_lstm_forward(&lstm, steps, batch, x, mask, P + t[k].offset, P + t[k + 1].offset, lw->out, lw->work);
        }
        x = lw->out;
        if (train && m->keep_prob < 1.0f) {
            memcpy(lw->dropped, lw->out, tb * u * sizeof(float));
            nn_train_dropout_forward(tb * u, m->keep_prob, dropout_seed, dropout_stream * NN_TRAIN_MAX_LAYERS + l,
                                     lw->dropped, lw->drop);
            x = lw->dropped;
        }
        in = u;
    }
    const nn_train_tensor *ok = &t[nt - 2], *ob = &t[nt - 1];
    nn_train_dense_forward((int)tb, in, m->classes, x, P + ok->offset, P + ob->offset, w.logits);
    nn_train_metrics metrics = nn_train_cross_entropy_rows(tb, m->classes, w.logits, labels, mask, grad_scale,
                                                           train ? w.dlogits : NULL);
    if (!train)
        return metrics;

    /* Backward: from the logits down; each layer's dout collects what its consumer gives. */
    for (int l = 0; l < m->layers; l++)
        memset(w.layer[l].dout, 0, tb * m->units[l] * sizeof(float));
    nn_train_dense_backward((int)tb, in, m->classes, x, P + ok->offset, w.dlogits, w.layer[m->layers - 1].dout,
                            grads + ok->offset, grads + ob->offset);
    for (int l = m->layers - 1; l >= 0; l--) {
        int u = m->units[l], k = first + 2 * l, lin = l ? m->units[l - 1] : m->input;
        layer_work *lw = &w.layer[l];
        if (m->keep_prob < 1.0f)
            nn_train_dropout_backward(tb * u, lw->drop, lw->dout);
        const float *lx = l == 0 ? inputs : m->keep_prob < 1.0f ? w.layer[l - 1].dropped : w.layer[l - 1].out;
        float *dx = l ? w.layer[l - 1].dout : NULL; /* the input has no gradient to take */
        if (l == 0 && attention) {
            nn_train_attention a = {lin, u, m->attn_length, m->forget_bias};
            nn_train_attention_params p, g;
            attention_views(m, t, P, &p);
            attention_views(m, t, grads, &g);
            nn_train_attention_backward(&a, steps, batch, lx, mask, &p, lw->dout, dx, &g, lw->work);
        } else {
            nn_train_lstm lstm = {lin, u, m->forget_bias};
            nn_train_lstm_backward(&lstm, steps, batch, lx, mask, P + t[k].offset, lw->dout, dx, grads + t[k].offset,
                                   grads + t[k + 1].offset, lw->work);
        }
    }
    return metrics;
}
