/* music_private.h — helpers the symbolic-music files share; not part of the public header.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#ifndef MUSIC_PRIVATE_H
#define MUSIC_PRIVATE_H

#include "music.h"

/* printf into a MUSIC_MESSAGE_SIZE buffer; a NULL buffer is allowed and ignored. */
void music_message(char *message, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Python's % on integers: the result takes the sign of the divisor. Magenta's index arithmetic
 * relies on it (negative steps, keys and transpositions wrap upward). */
static inline int64_t music_floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

#endif /* MUSIC_PRIVATE_H */
