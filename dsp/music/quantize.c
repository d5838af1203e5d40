/* quantize.c — being written. */
