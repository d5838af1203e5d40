/* oracle_io.h — how the training oracles' C drivers write what their Python halves read
 * (oracle_io.py): a 4-byte magic, then 4-byte values (int32 or f32), little-endian.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#ifndef TRAIN_ORACLE_IO_H
#define TRAIN_ORACLE_IO_H

#include <stddef.h>
#include <stdio.h>

/* The values go out as the CPU stores them, which the readers take for little-endian. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "oracle_io.h writes the host's byte order; oracle_io.py reads little-endian"
#endif

typedef struct oracle_file {
    FILE *f;
    int ok; /* every write so far succeeded */
} oracle_file;

/* Create `path` and write the magic; 0 if the file cannot be created. */
static inline int oracle_create(oracle_file *o, const char *path, const char magic[4])
{
    o->f = fopen(path, "wb");
    o->ok = o->f && fwrite(magic, 1, 4, o->f) == 4;
    return o->f != NULL;
}

/* Append `count` 4-byte values (int32_t or float). */
static inline void oracle_put(oracle_file *o, const void *values, size_t count)
{
    o->ok = o->ok && fwrite(values, 4, count, o->f) == count;
}

/* Close the file: the driver's exit status, 0 when every write and the close succeeded. */
static inline int oracle_close(oracle_file *o)
{
    int ok = fclose(o->f) == 0 && o->ok;
    return ok ? 0 : 1;
}

#endif /* TRAIN_ORACLE_IO_H */
