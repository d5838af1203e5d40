/* checkpoint.c — model kind train_checkpoint: nn-train's state (parameters, optimizer moments,
 * where the run stands), kept as plain f32 arrays so training resumes exactly.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn.h"
#include "nn_private.h"

#include <stdlib.h>

/* One allocation: an offset per tensor, then every tensor's values. */
typedef struct checkpoint {
    int count;
    float **data;
} checkpoint;

nn_status nn_checkpoint_build(nn_model *m, const char *file, char *message)
{
    size_t floats = 0;
    for (int i = 0; i < m->tensor_count; i++)
        floats += m->tensors[i].count;
    size_t head = sizeof(checkpoint) + (size_t)m->tensor_count * sizeof(float *);
    head = (head + 63) / 64 * 64;
    checkpoint *c = malloc(head + floats * sizeof(float));
    if (!c)
        return nn_fail(message, NN_ERR_MEMORY, file, "out of memory for %zu values", floats);
    c->count = m->tensor_count;
    c->data = (float **)(c + 1);
    float *next = (float *)((char *)c + head);
    for (int i = 0; i < m->tensor_count; i++) {
        c->data[i] = next;
        nn_tensor_read_f32(&m->tensors[i], next);
        next += m->tensors[i].count;
    }
    m->kind_data = c;
    m->kind_free = free;
    m->weight_bytes = floats * sizeof(float);
    return NN_OK;
}

const float *nn_model_tensor_data(const nn_model *m, int index)
{
    if (!m || m->kind != NN_KIND_TRAIN_CHECKPOINT || index < 0 || index >= m->tensor_count)
        return NULL;
    return ((const checkpoint *)m->kind_data)->data[index];
}
