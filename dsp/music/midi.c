/* midi.c — being written. */
