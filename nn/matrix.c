/* matrix.c — packing weight matrices into the kernels' panel layout.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn_private.h"

#include <stdlib.h>
#include <string.h>

size_t nn_matrix_packed_bytes(int rows, int cols, nn_dtype dtype)
{
    size_t panels = ((size_t)cols + NN_PANEL - 1) / NN_PANEL;
    size_t bytes = panels * (size_t)rows * NN_PANEL * nn_dtype_size(dtype);
    return (bytes + NN_ALIGN - 1) / NN_ALIGN * NN_ALIGN;
}

void nn_matrix_init(nn_matrix *m, int rows, int cols, nn_dtype dtype, void *storage)
{
    m->rows = rows;
    m->cols = cols;
    m->panels = (cols + NN_PANEL - 1) / NN_PANEL;
    m->dtype = dtype;
    m->data = storage;
    m->owns_data = false;
    memset(storage, 0, nn_matrix_packed_bytes(rows, cols, dtype)); /* zero padding columns */
}

static size_t packed_index(const nn_matrix *m, int r, int c)
{
    return ((size_t)(c / NN_PANEL) * (size_t)m->rows + (size_t)r) * NN_PANEL + (size_t)(c % NN_PANEL);
}

void nn_matrix_pack_raw(nn_matrix *m, const void *src, nn_dtype src_dtype)
{
    /* Element by element through memcpy: the source may sit at any alignment (a file's bytes). */
    const unsigned char *b = src;
    size_t size = nn_dtype_size(src_dtype);
    for (int r = 0; r < m->rows; r++)
        for (int c = 0; c < m->cols; c++) {
            const unsigned char *at = b + ((size_t)r * m->cols + c) * size;
            size_t i = packed_index(m, r, c);
            uint16_t half;
            float v;
            if (src_dtype == m->dtype) {
                memcpy((unsigned char *)m->data + i * size, at, size);
                continue;
            }
            if (src_dtype == NN_F16) {
                memcpy(&half, at, 2);
                ((float *)m->data)[i] = nn_f16_to_f32(half);
            } else {
                memcpy(&v, at, 4);
                ((uint16_t *)m->data)[i] = nn_f32_to_f16(v);
            }
        }
}

nn_status nn_matrix_new(int rows, int cols, nn_dtype dtype, const float *data, nn_matrix **out)
{
    if (!out)
        return NN_ERR_ARGUMENT;
    *out = NULL;
    if (rows < 1 || cols < 1 || rows > (1 << 24) || cols > (1 << 24) || !data ||
        (dtype != NN_F32 && dtype != NN_F16))
        return NN_ERR_ARGUMENT;
    nn_matrix *m = calloc(1, sizeof *m);
    void *storage = nn_aligned_alloc(nn_matrix_packed_bytes(rows, cols, dtype));
    if (!m || !storage) {
        free(m);
        nn_aligned_free(storage);
        return NN_ERR_MEMORY;
    }
    nn_matrix_init(m, rows, cols, dtype, storage);
    m->owns_data = true;
    nn_matrix_pack_raw(m, data, NN_F32);
    *out = m;
    return NN_OK;
}

void nn_matrix_free(nn_matrix *m)
{
    if (!m)
        return;
    if (m->owns_data)
        nn_aligned_free(m->data);
    free(m);
}

int nn_matrix_rows(const nn_matrix *m) { return m->rows; }
int nn_matrix_cols(const nn_matrix *m) { return m->cols; }
nn_dtype nn_matrix_dtype(const nn_matrix *m) { return m->dtype; }
size_t nn_matrix_bytes(const nn_matrix *m) { return nn_matrix_packed_bytes(m->rows, m->cols, m->dtype); }

void nn_matrix_unpack(const nn_matrix *m, float *data)
{
    for (int r = 0; r < m->rows; r++)
        for (int c = 0; c < m->cols; c++) {
            size_t i = packed_index(m, r, c);
            data[(size_t)r * m->cols + c] =
                m->dtype == NN_F16 ? nn_f16_to_f32(((const uint16_t *)m->data)[i]) : ((const float *)m->data)[i];
        }
}
