/* drums.c — being written. */
