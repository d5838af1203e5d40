/* music.h — symbolic music for the suite: Standard MIDI Files, note sequences, quantization,
 * and Magenta's extractors and encodings, bit-exact with magenta/note-seq and magenta/magenta.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Tutorial
 * --------
 * Read a MIDI file into a note sequence (times in seconds, as Magenta's NoteSequence):
 *
 *     char why[MUSIC_MESSAGE_SIZE];
 *     music_seq seq;
 *     music_seq_init(&seq);
 *     if (music_midi_read_file("song.mid", &seq, why) != MUSIC_OK)
 *         fprintf(stderr, "%s\n", why);   // names the file, the byte offset and the problem
 *
 * Quantize it as Magenta does (4 steps per quarter for the melody and drum models, 100 steps
 * per second for Performance RNN), then extract and encode:
 *
 *     music_seq_quantize_relative(&seq, 4, why);
 *     ... music_melody_extract(...), music_melody_onehot_encode(...) ...
 *
 *     music_seq_free(&seq);
 *
 * The containers grow with malloc, for tools. A real-time core instead gives a sequence a fixed
 * capacity up front (music_seq_reserve then music_seq_fix): adding past it fails with
 * MUSIC_ERR_FULL and never allocates.
 */
#ifndef MUSIC_H
#define MUSIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status -------------------------------------------------------------------------------- */

typedef enum music_status {
    MUSIC_OK = 0,
    MUSIC_ERR_ARGUMENT = -1,    /**< a parameter is NULL, out of range or inconsistent */
    MUSIC_ERR_MEMORY = -2,      /**< an allocation failed */
    MUSIC_ERR_IO = -3,          /**< a file could not be opened, read, written or renamed */
    MUSIC_ERR_MALFORMED = -4,   /**< the input breaks its format (the message says where) */
    MUSIC_ERR_UNSUPPORTED = -5, /**< valid but not handled: SMPTE time division, MIDI format 2 */
    MUSIC_ERR_FULL = -6,        /**< a fixed-capacity container is full */
    MUSIC_ERR_QUANTIZE = -7,    /**< cannot quantize: several tempos or time signatures, a bad
                                     time signature, negative times (Magenta's errors) */
    MUSIC_ERR_RANGE = -8,       /**< a value is outside what an encoding can represent */
} music_status;

const char *music_status_text(music_status status);

#define MUSIC_MESSAGE_SIZE 512

/* ---- Note sequences (seq.c) ----------------------------------------------------------------- */

/** A note, as in Magenta's NoteSequence.Note. Times are seconds; the steps are set by
 *  quantization (and are what the encodings read). */
typedef struct music_note {
    double start, end;
    int32_t start_step, end_step;
    uint8_t pitch, velocity; /**< 0..127, 1..127 */
    uint8_t program;         /**< 0..127 */
    bool is_drum;            /**< from MIDI channel 10 */
    int32_t instrument;      /**< Magenta's "instrument": the track (format 1) or channel (format 0) */
} music_note;

typedef struct music_tempo {
    double time, qpm;
} music_tempo;

typedef struct music_time_signature {
    double time;
    int numerator, denominator;
} music_time_signature;

/** key: 0 = C .. 11 = B (Magenta's KeySignature.Key); mode: 0 major, 1 minor. */
typedef struct music_key_signature {
    double time;
    int key, mode;
} music_key_signature;

/** A chord symbol (Magenta's TextAnnotation of type CHORD_SYMBOL), e.g. "Am7", "N.C.". */
#define MUSIC_CHORD_NAME_MAX 23
typedef struct music_chord_symbol {
    double time;
    int32_t step;
    char name[MUSIC_CHORD_NAME_MAX + 1];
} music_chord_symbol;

/** A MIDI control change (CC64 sustain is what Magenta's performance pipeline reads). */
typedef struct music_control {
    double time;
    int32_t step;
    uint8_t number, value, program;
    bool is_drum;
    int32_t instrument;
} music_control;

/** One array of T with its length and capacity. */
#define MUSIC_ARRAY(T) struct { T *items; int count, capacity; }

/** A piece of music: Magenta's NoteSequence, the fields the suite uses. */
typedef struct music_seq {
    MUSIC_ARRAY(music_note) notes;
    MUSIC_ARRAY(music_tempo) tempos;
    MUSIC_ARRAY(music_time_signature) time_signatures;
    MUSIC_ARRAY(music_key_signature) key_signatures;
    MUSIC_ARRAY(music_chord_symbol) chords;
    MUSIC_ARRAY(music_control) controls;
    double total_time;      /**< end of the last note, seconds */
    int ticks_per_quarter;  /**< from the MIDI file; 220 (Magenta's default) otherwise */
    int steps_per_quarter;  /**< > 0 once quantized relative to the tempo */
    int steps_per_second;   /**< > 0 once quantized in absolute time */
    int32_t total_steps;    /**< quantized length, in steps */
    bool fixed;             /**< capacity fixed: no allocation after music_seq_fix */
} music_seq;

void music_seq_init(music_seq *seq);
/** Free every array and re-initialise; safe on an initialised, empty or already freed seq. */
void music_seq_free(music_seq *seq);
/** Empty every array, keep the memory (real-time safe). */
void music_seq_clear(music_seq *seq);
/** Allocate room for this many of each (not real-time safe). */
music_status music_seq_reserve(music_seq *seq, int notes, int tempos, int signatures, int chords, int controls);
/** From now on adding past the capacity fails with MUSIC_ERR_FULL instead of allocating. */
void music_seq_fix(music_seq *seq);
/** Deep copy (dst is initialised by the call; it is not fixed). */
music_status music_seq_copy(music_seq *dst, const music_seq *src);

music_status music_seq_add_note(music_seq *seq, const music_note *note);
music_status music_seq_add_tempo(music_seq *seq, double time, double qpm);
music_status music_seq_add_time_signature(music_seq *seq, double time, int numerator, int denominator);
music_status music_seq_add_key_signature(music_seq *seq, double time, int key, int mode);
music_status music_seq_add_chord(music_seq *seq, double time, const char *name);
music_status music_seq_add_control(music_seq *seq, const music_control *control);

/** Sort notes by (start, pitch, end), the other arrays by time; stable. */
void music_seq_sort(music_seq *seq);

/* ---- Standard MIDI Files (midi.c) ----------------------------------------------------------- */

/** Read a format 0 or 1 file into `seq` (cleared first), as note_seq's midi_io does (via
 *  pretty_midi): notes from note-on/note-off pairs per channel and pitch, tempo, time and key
 *  signatures, program changes, control changes, channel 10 as drums; ticks to seconds through
 *  the tempo map. Refuses SMPTE time division, format 2 and anything malformed with a message
 *  naming the file, the byte offset and the problem. Never allocates more than a bound
 *  proportional to the input size. */
music_status music_midi_read_file(const char *path, music_seq *seq, char *message);
music_status music_midi_read_memory(const void *data, size_t size, const char *name, music_seq *seq, char *message);

/** Write `seq` as a format 1 file, atomically (temporary file beside it, then rename). */
music_status music_midi_write_file(const music_seq *seq, const char *path, char *message);

/** Magenta's apply_sustain_control_changes: notes held by the sustain pedal (CC64 >= 64) are
 *  extended to the pedal's release, per instrument. */
music_status music_seq_apply_sustain(music_seq *seq);

/* ---- Quantization (quantize.c) ---------------------------------------------------------------- */

/** Magenta's quantize_note_sequence: steps relative to the tempo. Requires at most one tempo
 *  and one time signature (changes are MUSIC_ERR_QUANTIZE, as Magenta's MultipleTempoError);
 *  Magenta's rounding (quantize_to_step with cutoff 0.5); notes of zero length get one step. */
music_status music_seq_quantize_relative(music_seq *seq, int steps_per_quarter, char *message);
/** Magenta's quantize_note_sequence_absolute: steps per second, tempo changes allowed. */
music_status music_seq_quantize_absolute(music_seq *seq, int steps_per_second, char *message);

/* ---- Melodies (melody.c) ----------------------------------------------------------------------- */
/* melody declarations */

/* ---- Chords (chords.c) -------------------------------------------------------------------------- */
/* chords declarations */

/* ---- Drum tracks (drums.c) ---------------------------------------------------------------------- */
/* drums declarations */

/* ---- Performances and Piano Genie (performance.c) ------------------------------------------------ */
/* performance declarations */

#ifdef __cplusplus
}
#endif

#endif /* MUSIC_H */
