/* performance.c — being written. */
