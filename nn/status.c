/* status.c — status texts, detailed messages, and the few helpers every engine file uses.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *nn_status_text(nn_status status)
{
    switch (status) {
    case NN_OK: return "success";
    case NN_ERR_ARGUMENT: return "invalid argument";
    case NN_ERR_MEMORY: return "out of memory";
    case NN_ERR_IO: return "input/output error";
    case NN_ERR_TRUNCATED: return "file is truncated";
    case NN_ERR_MAGIC: return "not a model file";
    case NN_ERR_VERSION: return "format version too new";
    case NN_ERR_CHECKSUM: return "bad checksum";
    case NN_ERR_KIND: return "unknown model kind";
    case NN_ERR_MALFORMED: return "malformed file";
    case NN_ERR_MISSING: return "missing tensor or hyperparameter";
    case NN_ERR_SHAPE: return "tensor has the wrong shape";
    }
    return "unknown status";
}

nn_status nn_fail(char *message, nn_status status, const char *name, const char *fmt, ...)
{
    if (!message)
        return status;
    int used = snprintf(message, NN_MESSAGE_SIZE, "%s: ", name ? name : "model");
    if (used < 0 || used >= NN_MESSAGE_SIZE)
        return status;
    va_list args;
    va_start(args, fmt);
    vsnprintf(message + used, NN_MESSAGE_SIZE - (size_t)used, fmt, args);
    va_end(args);
    return status;
}

void *nn_aligned_alloc(size_t size)
{
    void *p = NULL;
    if (posix_memalign(&p, NN_ALIGN, size ? size : NN_ALIGN) != 0)
        return NULL;
    return p;
}

void nn_aligned_free(void *p) { free(p); }

const char *nn_dtype_name(nn_dtype dtype)
{
    return dtype == NN_F16 ? "f16" : dtype == NN_F32 ? "f32" : "?";
}

size_t nn_dtype_size(nn_dtype dtype) { return dtype == NN_F16 ? 2 : 4; }

uint16_t nn_f32_to_f16(float value)
{
    union { float f; uint32_t u; } in = {value};
    uint32_t u = in.u, sign = (u >> 16) & 0x8000u, abs = u & 0x7fffffffu;
    if (abs >= 0x7f800000u) /* infinity or NaN (kept quiet) */
        return (uint16_t)(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0));
    if (abs >= 0x477ff000u) /* rounds to beyond 65504 */
        return (uint16_t)(sign | 0x7c00u);
    if (abs < 0x38800000u) { /* subnormal half, or zero */
        if (abs < 0x33000000u)
            return (uint16_t)sign;
        uint32_t mant = (abs & 0x007fffffu) | 0x00800000u;
        int shift = 126 - (int)(abs >> 23); /* 14 .. 24 */
        uint32_t half = mant >> shift, rest = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rest > mid || (rest == mid && (half & 1u)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = ((abs - 0x38000000u) >> 13), rest = abs & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u)))
        half++;
    return (uint16_t)(sign | half);
}

float nn_f16_to_f32(uint16_t value)
{
    uint32_t sign = (uint32_t)(value & 0x8000u) << 16, exp = (value >> 10) & 0x1fu, mant = value & 0x3ffu, u;
    if (exp == 0x1f)
        u = sign | 0x7f800000u | (mant << 13);
    else if (exp != 0)
        u = sign | ((exp + 112u) << 23) | (mant << 13);
    else if (mant == 0)
        u = sign;
    else { /* subnormal: normalise */
        exp = 113;
        while (!(mant & 0x400u)) {
            mant <<= 1;
            exp--;
        }
        u = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
    }
    union { uint32_t u; float f; } out = {u};
    return out.f;
}

/* Slicing-by-8: crc_table[k][b] is the CRC of byte b followed by k zero bytes, so eight bytes
 * cost eight independent look-ups instead of eight dependent ones (model loading checks every
 * byte of the file; about 4x the byte-wise loop here: 465 against 125 MB/s). */
static uint32_t crc_table[8][256];

/* Filled before main(), so concurrent loaders only ever read it. */
__attribute__((constructor)) static void crc_table_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
        crc_table[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++)
            crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^ crc_table[0][crc_table[k - 1][i] & 0xffu];
}

static uint32_t load_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t nn_crc32c(uint32_t crc, const void *data, size_t size)
{
    const unsigned char *p = data;
    crc = ~crc;
    for (; size >= 8; size -= 8, p += 8) {
        uint32_t lo = crc ^ load_le32(p), hi = load_le32(p + 4);
        crc = crc_table[7][lo & 0xffu] ^ crc_table[6][lo >> 8 & 0xffu] ^ crc_table[5][lo >> 16 & 0xffu] ^
              crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xffu] ^ crc_table[2][hi >> 8 & 0xffu] ^
              crc_table[1][hi >> 16 & 0xffu] ^ crc_table[0][hi >> 24];
    }
    while (size--)
        crc = crc_table[0][(crc ^ *p++) & 0xffu] ^ (crc >> 8);
    return ~crc;
}
