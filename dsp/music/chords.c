/* chords.c — being written. */
