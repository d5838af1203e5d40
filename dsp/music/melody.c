/* melody.c — being written. */
