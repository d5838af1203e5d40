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
    int32_t instrument;      /**< Magenta's "instrument": pretty_midi's instrument index (one per program, channel and track) */
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

/** Read a format 0 or 1 file into `seq` (cleared first; cleared again on failure) as note_seq's
 *  midi_io.midi_to_note_sequence does through pretty_midi and mido:
 *  - tempos, time and key signatures come from the first track only; a tempo at tick 0 replaces
 *    the default 120 qpm, later repeats of the current tempo are skipped; ticks become seconds
 *    through that tempo map exactly as pretty_midi's tick_to_time array;
 *  - a note-off (or note-on of velocity 0) closes every open note of its track, channel and pitch
 *    begun at an earlier tick, oldest first; a note begun and ended at the same tick is dropped;
 *    notes never ended are dropped; the program is the channel's at the note-off;
 *  - `instrument` is the index of pretty_midi's instrument: one per (track, channel, program) in
 *    the order their first note ended; is_drum is MIDI channel 10 (9 counting from 0);
 *  - control changes go with their instrument (those before a channel's first note go to every
 *    instrument later made on that channel and track, as pretty_midi's straggler lists do);
 *  - chord symbols, lyrics, text and pitch bends are not read (note_seq keeps no chords from MIDI).
 *  Refused: SMPTE time division and format 2 (MUSIC_ERR_UNSUPPORTED); anything mido or pretty_midi
 *  would raise on, a chunk or event running past its end, a variable-length quantity over 4 bytes
 *  (MUSIC_ERR_MALFORMED), with a message naming the file, the byte offset and the problem. As in
 *  mido, the declared number of chunks must all be MTrk (an unknown chunk type among them is
 *  refused) and bytes after the last declared track are ignored. Memory is bounded by a multiple
 *  of the input size. */
music_status music_midi_read_file(const char *path, music_seq *seq, char *message);
music_status music_midi_read_memory(const void *data, size_t size, const char *name, music_seq *seq, char *message);

/** Write `seq` as note_seq's note_sequence_to_midi_file does (through pretty_midi's write): format
 *  1 at seq->ticks_per_quarter (220 if 0); track 0 holds the tempos (the one at time 0 first, else
 *  120 qpm), time signatures (4/4 first unless one is at time 0) and key signatures; then one
 *  track per (instrument, program, is_drum) in sorted order, channels 0..15 skipping 9 by track
 *  index, drums on 9, each with its program change, notes (a note-off before a note-on of the same
 *  pitch at one tick) and control changes. Chord symbols are not written (note_seq drops them).
 *  Written atomically: a temporary file beside `path`, fsync, rename; on failure an existing file
 *  is untouched. */
music_status music_midi_write_file(const music_seq *seq, const char *path, char *message);

/** note_seq's sequences_lib.apply_sustain_control_changes, in place: per instrument, while CC64 is
 *  >= 64 a released note sounds on until the pedal lifts or its pitch is struck again; drum notes
 *  are left alone. MUSIC_ERR_QUANTIZE on a quantized sequence, as note_seq refuses. */
music_status music_seq_apply_sustain(music_seq *seq);

/* ---- Quantization (quantize.c) ---------------------------------------------------------------- */

/** Magenta's quantize_note_sequence: steps relative to the tempo, steps_per_quarter * qpm / 60
 *  per second. Step = int(seconds * steps_per_second + 0.5) (quantize_to_step, cutoff 0.5,
 *  truncated toward zero); a note whose end lands on its start gets one step; total_steps is
 *  the quantized total_time, raised to the last note end; chords and controls get steps too.
 *  MUSIC_ERR_QUANTIZE, with the message naming it, for Magenta's MultipleTimeSignatureError /
 *  MultipleTempoError (a change of value; the implicit 4/4 and 120 qpm count at time 0, so a
 *  first signature or tempo after 0 must equal them; repeats of the same value are fine),
 *  BadTimeSignatureError (numerator 0, denominator not a power of 2) and NegativeTimeError.
 *  On success exactly one time signature and one tempo remain, at time 0 (the stored first
 *  ones, or the implicit defaults added). On failure the sequence is unchanged (steps past
 *  int32: MUSIC_ERR_RANGE; no room in a fixed sequence for the defaults: MUSIC_ERR_FULL). */
music_status music_seq_quantize_relative(music_seq *seq, int steps_per_quarter, char *message);
/** Magenta's quantize_note_sequence_absolute: steps per second; tempos and time signatures are
 *  kept and ignored. */
music_status music_seq_quantize_absolute(music_seq *seq, int steps_per_second, char *message);

/* ---- Splitting (split.c) ------------------------------------------------------------------------ */
/* Cutting an unquantized sequence into pieces, each shifted to start at 0, as note_seq's
 * sequences_lib does; Melody RNN's and Drums RNN's pipelines split on time changes
 * (TimeChangeSplitter) before quantizing, Performance RNN's every 30 s (Splitter). The pieces
 * are a new array the caller frees with music_seq_pieces_free (none: *count 0, NULL). */

/** _extract_subsequences: piece i covers [times[i], times[i + 1]). A note goes to the piece it
 *  starts in, its end cut at the piece's end. Each piece begins with the time signature, key
 *  signature, tempo and chord in force at its start (at time 0; an event exactly on a boundary
 *  counts for the later piece), then keeps those strictly inside it. Sustain, sostenuto and
 *  soft pedals (CC 64, 66, 67) are carried likewise per instrument and number; other controls
 *  are dropped. total_time is the end of the last note (0 without notes). Refused as Magenta
 *  refuses: a quantized sequence (MUSIC_ERR_QUANTIZE), fewer than 2 times, unsorted times, or a
 *  piece starting at or past total_time (MUSIC_ERR_ARGUMENT). */
music_status music_seq_split_at_times(const music_seq *seq, const double *times, int count, music_seq **pieces,
                                      int *piece_count, char *message);
/** split_note_sequence_on_time_changes: split at each time signature or tempo (before
 *  total_time) that changes the value in force (4/4 and 120 qpm at first); with
 *  skip_splits_inside_notes, not where a note sounds across it. Every piece then holds one
 *  time signature and one tempo (or none: the defaults). */
music_status music_seq_split_on_time_changes(const music_seq *seq, bool skip_splits_inside_notes, music_seq **pieces,
                                             int *piece_count, char *message);
/** split_note_sequence with a scalar hop: split at hop, 2 hop, ... before total_time. */
music_status music_seq_split_every(const music_seq *seq, double hop_seconds, bool skip_splits_inside_notes,
                                   music_seq **pieces, int *piece_count, char *message);
void music_seq_pieces_free(music_seq *pieces, int count);

/* ---- Melodies (melody.c) ----------------------------------------------------------------------- */
/* A monophonic melody, as note_seq's Melody: one event per step, MUSIC_MELODY_NO_EVENT (-2:
 * hold whatever sounds), MUSIC_MELODY_NOTE_OFF (-1: silence from here) or a pitch 0..127
 * (a note starts, even when the pitch repeats). The events live in the caller's buffer. */
#define MUSIC_MELODY_NO_EVENT (-2)
#define MUSIC_MELODY_NOTE_OFF (-1)

typedef struct music_melody {
    int *events;                  /**< the caller's buffer */
    int capacity;                 /**< its size, in events */
    int length;                   /**< events in use */
    int32_t start_step, end_step; /**< in the source sequence; start_step is on a bar line */
    int steps_per_bar, steps_per_quarter;
} music_melody;

/** Extraction settings: the arguments of Magenta's Melody.from_quantized_sequence and
 *  melody_pipelines.extract_melodies. */
typedef struct music_melody_options {
    int32_t search_start_step;    /**< first step searched; taken to be on a bar line */
    int instrument;               /**< music_melody_from_quantized only: the instrument read */
    double gap_bars;              /**< this many bars of silence end a melody (HUGE_VAL: never) */
    int min_bars;                 /**< shorter melodies are discarded */
    int max_steps_truncate;       /**< longer melodies are cut to this length; < 0: no limit */
    int max_steps_discard;        /**< longer melodies are discarded; < 0: no limit */
    int min_unique_pitches;       /**< fewer pitch classes: discarded */
    bool ignore_polyphonic_notes; /**< keep the highest of notes starting together, else drop the
                                       instrument (counted in polyphonic_tracks_discarded) */
    bool pad_end;                 /**< pad the end to a bar line */
    bool filter_drums;            /**< skip drum notes */
    int min_pitch, max_pitch;     /**< notes outside [min_pitch, max_pitch] are dropped first, as
                                       MusicVAE's OneHotMelodyConverter does; 0..127 otherwise */
} music_melody_options;

/** extract_melodies' defaults: min_bars 7, gap_bars 1, min_unique_pitches 5, polyphony ignored
 *  (highest pitch kept), no length limits, no end padding, drums filtered. */
void music_melody_options_default(music_melody_options *options);
/** melody_rnn_pipeline's MelodyExtractor: min_bars 7, max_steps (truncate) 512,
 *  min_unique_pitches 5, gap_bars 1, polyphonic instruments dropped. */
void music_melody_options_melody_rnn(music_melody_options *options);
/** MusicVAE's OneHotMelodyConverter (pitches 21..108): min_bars 1, min_unique_pitches 1,
 *  pad_end, truncation at max_bars bars (0: none), gap_bars (0: never ends), polyphony kept
 *  (highest pitch) unless skip_polyphony. Assumes 16 steps per bar, as the converter does. */
void music_melody_options_music_vae(music_melody_options *options, int max_bars, double gap_bars, bool skip_polyphony);

/** What extract_melodies counts (its statistics.Counter names), plus MelodyExtractor's
 *  non_integer_steps_per_bar. */
typedef struct music_melody_stats {
    int polyphonic_tracks_discarded;
    int melodies_discarded_too_short;
    int melodies_discarded_too_few_pitches;
    int melodies_discarded_too_long;
    int melodies_truncated;
    int non_integer_steps_per_bar;
} music_melody_stats;

/** Melody.from_quantized_sequence: the first melody of `options->instrument` from
 *  `options->search_start_step` in a sequence quantized relative to the tempo (notes' steps
 *  and steps_per_quarter set; no time signature means 4/4). Notes are read by start step then
 *  highest pitch; zero-velocity notes are skipped; a later note cuts the one sounding; the
 *  melody ends at a gap of gap_bars bars. Two notes starting together make *polyphonic true
 *  and an empty melody unless ignore_polyphonic_notes (then the highest is kept). Writes
 *  into melody->events (capacity fixed by the caller, MUSIC_ERR_FULL when too small; room for
 *  one step past the last note end is needed while building). Allocates a scratch index of
 *  the notes. An empty melody (length 0) means no note was found. A bar that is not a whole
 *  number of steps (3/8 at 1 step per quarter) is MUSIC_ERR_UNSUPPORTED, Magenta's
 *  NonIntegerStepsPerBarError. */
music_status music_melody_from_quantized(const music_seq *seq, const music_melody_options *options,
                                         music_melody *melody, bool *polyphonic, char *message);

/** extract_melodies: every melody of every instrument (in ascending instrument order), kept
 *  when long enough, short enough and varied enough, truncated when asked. The events of all
 *  kept melodies go one after another into `events` (events_capacity ints); melodies[i] points
 *  into it. *count is the number of melodies kept, even beyond max_melodies or the room in
 *  `events`, in which case only those that fit are written and MUSIC_ERR_FULL is returned.
 *  A non-integer bar is MUSIC_ERR_UNSUPPORTED with stats->non_integer_steps_per_bar = 1 (as
 *  MelodyExtractor counts it). Allocates scratch memory (for tools). */
music_status music_melody_extract(const music_seq *seq, const music_melody_options *options, int *events,
                                  int events_capacity, music_melody *melodies, int max_melodies, int *count,
                                  music_melody_stats *stats, char *message);

/** Melody.set_length: pad with NO_EVENT (a note sounding at the old end is turned off there)
 *  or cut, on the right or (from_left) on the left, moving end_step or start_step. */
music_status music_melody_set_length(music_melody *melody, int steps, bool from_left);
/** The slice events[begin, end) as a melody of its own, as Melody's slicing does: leading
 *  NOTE_OFFs (before the first note) become NO_EVENT. MusicVAE slices a melody into windows
 *  [i - slice_steps, i) for i = slice_steps, slice_steps + steps_per_bar, ... <= length. */
music_status music_melody_slice(const music_melody *melody, int begin, int end, music_melody *slice);

/** Melody.get_major_key_histogram: for each major key 0 (C) .. 11 (B), how many note onsets
 *  fit its scale. music_melody_major_key: its first maximum (Melody.get_major_key). */
void music_melody_major_key_histogram(const int *events, int length, int histogram[12]);
int music_melody_major_key(const int *events, int length);
/** Melody.transpose: shift every pitch by `amount`, then fold by octaves into
 *  [min_note, max_note). */
void music_melody_transpose(music_melody *melody, int amount, int min_note, int max_note);
/** Melody.squash, as melody_rnn's pipeline and generator call it: transpose into
 *  `transpose_to_key` (-1: no transposition, Python's None) with the melody centred in
 *  [min_note, max_note), then fold into that range. Returns the amount transposed; the
 *  generator (melody_rnn_model.generate_melody) undoes it after generation with
 *  music_melody_transpose(melody, -amount, 0, 128). */
int music_melody_squash(music_melody *melody, int min_note, int max_note, int transpose_to_key);

/** MelodyOneHotEncoding over pitches [min_note, max_note): class 0 no event, 1 note off,
 *  2 + pitch - min_note a note. basic_rnn: 48..84, 38 classes; mono_rnn: 0..128, 130;
 *  MusicVAE: 21..109, 90. MUSIC_ERR_RANGE for a pitch or class outside. No allocation. */
music_status music_melody_onehot_encode(int min_note, int max_note, int event, int *class_index);
music_status music_melody_onehot_decode(int min_note, int max_note, int class_index, int *event);

/** The encoder-decoders of the melody models. */
typedef enum music_melody_encoding {
    MUSIC_MELODY_ENCODING_ONEHOT,   /**< OneHotEventSequenceEncoderDecoder(MelodyOneHotEncoding) */
    MUSIC_MELODY_ENCODING_LOOKBACK, /**< LookbackEventSequenceEncoderDecoder(MelodyOneHotEncoding) */
    MUSIC_MELODY_ENCODING_KEY,      /**< KeyMelodyEncoderDecoder */
} music_melody_encoding;

#define MUSIC_MELODY_MAX_LOOKBACKS 4

typedef struct music_melody_encoder {
    music_melody_encoding encoding;
    int min_note, max_note;                    /**< the pitch range [min_note, max_note) */
    int lookback_count;                        /**< Magenta's default: 2 */
    int lookbacks[MUSIC_MELODY_MAX_LOOKBACKS]; /**< in steps; default 16, 32 (one and two bars) */
    int counter_bits;                          /**< binary step counter: 5 (lookback), 7 (key) */
    int transpose_to_key;                      /**< the config's key for squash, -1 none */
} music_melody_encoder;

/** An encoder with Magenta's default lookbacks and counter for `encoding`. */
music_status music_melody_encoder_init(music_melody_encoder *encoder, music_melody_encoding encoding, int min_note,
                                       int max_note);
/** The encoder of a melody_rnn config ("basic_rnn", "mono_rnn", "lookback_rnn",
 *  "attention_rnn", from melody_rnn_model.default_configs) or "music_vae" (OneHotMelodyConverter's
 *  event classes), with its range and transpose_to_key. */
music_status music_melody_encoder_for_config(music_melody_encoder *encoder, const char *config);
/** Sizes: basic_rnn 38/38, mono_rnn 130/130, lookback_rnn 121/40, attention_rnn 74/40. */
int music_melody_encoder_input_size(const music_melody_encoder *encoder);
int music_melody_encoder_num_classes(const music_melody_encoder *encoder);
/** events_to_input: the model input for events[position] (input_size floats). */
music_status music_melody_encoder_input(const music_melody_encoder *encoder, const int *events, int length,
                                        int position, float *input);
/** events_to_label: the class of events[position] (lookback classes take precedence). */
music_status music_melody_encoder_label(const music_melody_encoder *encoder, const int *events, int length,
                                        int position, int *label);
/** class_index_to_event: the event for `class_index` appended after events[0, length). */
music_status music_melody_encoder_decode(const music_melody_encoder *encoder, int class_index, const int *events,
                                         int length, int *event);

/* ---- Chords (chords.c) -------------------------------------------------------------------------- */
/* Chord symbols as note_seq.chord_symbols_lib reads them: a root (A-G, then only sharps or only
 * flats), a kind ("", "m", "7", "maj7", "m7b5", "dim", "aug", "sus4", "6/9", "13", ... in
 * Magenta's table order), scale-degree modifications ("b9", "#11", "add2", "no3", in optional
 * parentheses) and an optional bass ("/E"). "N.C." is the no-chord event. None of these
 * functions allocates. */
#define MUSIC_NO_CHORD "N.C."
#define MUSIC_CHORD_MAX_DEGREES 32    /**< distinct scale degrees one symbol may name */
#define MUSIC_CHORD_SYMBOL_SIZE 64    /**< holds any name pitches_to_chord_symbol writes (at
                                           most 45 characters over all pitch-class sets) */

/** chord_symbol_quality's constants (CHORD_QUALITY_MAJOR .. CHORD_QUALITY_OTHER), same values. */
typedef enum music_chord_quality {
    MUSIC_CHORD_MAJOR = 0,
    MUSIC_CHORD_MINOR = 1,
    MUSIC_CHORD_AUGMENTED = 2,
    MUSIC_CHORD_DIMINISHED = 3,
    MUSIC_CHORD_OTHER = 4,
} music_chord_quality;

/** A parsed chord symbol. */
typedef struct music_chord {
    bool no_chord;                  /**< "N.C.": every other field is -1 / 0 */
    int root, bass;                 /**< pitch classes 0..11; bass = root without "/X" */
    int kind;                       /**< row of Magenta's _CHORD_KINDS (0 major .. 28 power) */
    music_chord_quality quality;    /**< chord_symbol_quality */
    int pitch_count;                /**< chord_symbol_pitches: one per scale degree, in */
    uint8_t pitches[MUSIC_CHORD_MAX_DEGREES]; /**< Magenta's order; may repeat a class */
    uint16_t pitch_mask;            /**< bit p set when pitch class p sounds */
} music_chord;

/** Parse a symbol completely (chord_symbol_pitches / _quality / _root / _bass in one).
 *  Magenta's ChordSymbolError cases (no match of its grammar, "add" of a degree already
 *  present, "no" of a degree absent) are MUSIC_ERR_MALFORMED with a message naming the text.
 *  "N.C." gives no_chord (Magenta's functions raise on it; all its callers test it first). */
music_status music_chord_parse(const char *name, music_chord *chord, char *message);
/** chord_symbol_root / chord_symbol_bass: like Magenta they split the symbol but do not apply
 *  the modifications, so "Cadd3" has a root although it has no pitches. */
music_status music_chord_root(const char *name, int *root, char *message);
music_status music_chord_bass(const char *name, int *bass, char *message);
/** transpose_chord_symbol: root and bass move by `amount` semitones, spelled as Magenta does
 *  ("Cbb" + 6 = "Fb"); kind and modifications are kept as written. */
music_status music_chord_transpose(const char *name, int amount, char *out, size_t size, char *message);
/** pitches_to_chord_symbol: the name Magenta gives a set of MIDI pitches ("N.C." for none),
 *  e.g. {60, 64, 67} "C", {59, 62, 67} "G/B", {60, 62, 64, 67} "C(add2)". MUSIC_ERR_MALFORMED
 *  when no chord kind fits (Magenta's ChordSymbolError), MUSIC_ERR_RANGE when `size` is short. */
music_status music_chord_from_pitches(const int *pitches, int count, char *out, size_t size, char *message);

/* Chord encodings (chords_encoder_decoder.py). The one-hot encodings raise Magenta's
 * ChordEncodingError for chords outside their classes (sus, power, "no3" ...): here
 * MUSIC_ERR_RANGE; there is no nearest-triad fallback. Decoding returns a static name ("D",
 * "Em", "Abaug", "Fdim", "N.C.") or NULL for an index out of range. */
#define MUSIC_CHORD_MAJOR_MINOR_CLASSES 25 /**< MajorMinorChordOneHotEncoding: N.C., 12 maj, 12 min */
#define MUSIC_CHORD_TRIAD_CLASSES 49       /**< TriadChordOneHotEncoding: N.C., maj, min, aug, dim */
#define MUSIC_CHORD_PITCH_INPUT_SIZE 37    /**< PitchChordsEncoderDecoder: N.C., root, pitches, bass */

music_status music_chord_major_minor_encode(const char *name, int *index, char *message);
const char *music_chord_major_minor_decode(int index);
music_status music_chord_triad_encode(const char *name, int *index, char *message);
const char *music_chord_triad_decode(int index);
/** PitchChordsEncoderDecoder.events_to_input: [0] no chord, [1 + root], [13 + each pitch
 *  class], [25 + bass]; all zero but those. */
music_status music_chord_pitch_encode(const char *name, float input[MUSIC_CHORD_PITCH_INPUT_SIZE], char *message);

/* Chord words (chord_words.c): one chord in 32 bits, all any chord encoding reads (nn-train's
 * datasets keep one per step, tools/DATASET.md; the generators one per chord of a progression):
 * bits 0-11 the pitch classes that sound, 12-15 the root, 16-19 the bass, 20-22 the quality
 * (music_chord_quality), 23 no chord (N.C.: every other bit zero), 24-31 zero. No allocation. */
#define MUSIC_CHORD_WORD_NO_CHORD 0x800000u
uint32_t music_chord_word(const music_chord *chord);
bool music_chord_word_valid(uint32_t word);
/** ChordProgression.transpose: root, bass and pitch classes move by amount (mod 12). */
uint32_t music_chord_word_transpose(uint32_t word, int amount);

/** Improv RNN's chord half of its ConditionalEventSequenceEncoderDecoder. */
typedef enum music_chord_encoding {
    MUSIC_CHORD_ENCODING_NONE,
    MUSIC_CHORD_ENCODING_TRIAD,   /**< OneHotEventSequenceEncoderDecoder(TriadChordOneHotEncoding): 49 */
    MUSIC_CHORD_ENCODING_PITCHES, /**< PitchChordsEncoderDecoder: 37 */
} music_chord_encoding;

/** The control input of one chord: 49 or 37 floats (0 for NONE). */
int music_chord_encoding_size(music_chord_encoding kind);
/** The control input of a chord word into input[size]. MUSIC_ERR_RANGE, with a message, when
 *  the encoding has no class for it (TriadChordOneHotEncoding's ChordEncodingError: sus, power
 *  and other chords that are no triad); MUSIC_ERR_ARGUMENT for an invalid word. */
music_status music_chord_word_encode(music_chord_encoding kind, uint32_t word, float *input, char *message);
/** improv_rnn_model.default_configs ("basic_improv", "attention_improv",
 *  "chord_pitches_improv"): the melody half over [48, 84) without key transposition
 *  (KeyMelodyEncoderDecoder for attention_improv, else one-hot) and the chord half.
 *  MUSIC_ERR_ARGUMENT for another name. */
music_status music_improv_encoder_for_config(const char *config, music_melody_encoder *melody,
                                             music_chord_encoding *chords);

/* Chord progressions (chords_lib.ChordProgression, chord_pipelines). */

/** ChordProgression.from_quantized_sequence over [start_step, end_step) of a sequence quantized
 *  relative to the tempo: chords[i] is the name in force at start_step + i (a pointer into
 *  seq->chords or MUSIC_NO_CHORD before the first chord). Chord symbols are read by .step.
 *  Two different chords on one step are MUSIC_ERR_MALFORMED (CoincidentChordsError, which
 *  extract_chords_for_melodies turns into "no progression"); end_step <= start_step is
 *  MUSIC_ERR_ARGUMENT (BadChordError); a bar that is not a whole number of steps is
 *  MUSIC_ERR_QUANTIZE (NonIntegerStepsPerBarError). Does not allocate. */
music_status music_chords_extract(const music_seq *seq, int32_t start_step, int32_t end_step, const char **chords, char *message);
/** chords_lib.event_list_chords for one event list: the chord at each of `steps` from the
 *  progression over [0, total_steps), steps past its end taking its last chord. */
music_status music_chords_at_steps(const music_seq *seq, const int32_t *steps, int count, const char **chords, char *message);

/* Chord inference (note_seq.chord_inference): an HMM over (key, chord) pairs, 12 keys x (N.C. +
 * 12 roots x {"", "m", "+", "dim", "7", "maj7", "m7", "m7b5"}), decoded with Viterbi. */
#define MUSIC_CHORD_INFERENCE_MAX_CHORDS 1000 /**< _MAX_NUM_CHORDS */

typedef struct music_chord_inference_params {
    int chords_per_bar;                 /**< 0: Magenta's default for the time signature (2/2,
                                             2/4, 3/4: 1; 4/4, 6/8: 2) */
    double key_change_prob;             /**< 0.001 */
    double chord_change_prob;           /**< 0.5 */
    double chord_pitch_out_of_key_prob; /**< 0.01 */
    double chord_note_concentration;    /**< 100.0 */
    bool add_key_signatures;            /**< replace seq's key signatures by the inferred keys */
} music_chord_inference_params;

/** infer_chords_for_sequence's defaults (above). */
void music_chord_inference_defaults(music_chord_inference_params *params);

/** infer_chords_for_sequence on a sequence quantized relative to the tempo: frames of
 *  steps_per_bar / chords_per_bar steps; a chord symbol added at each change (time and .step
 *  set). Like Magenta it reads the notes' times in seconds (start, end, total_time), not their
 *  steps. Errors, as Magenta's: chords already present (SequenceAlreadyHasChordsError),
 *  not quantized relative to the tempo (QuantizationStatusError: MUSIC_ERR_ARGUMENT), time
 *  signature without default (UncommonTimeSignatureError: MUSIC_ERR_UNSUPPORTED), frames not a
 *  whole number of steps (NonIntegerStepsPerChordError: MUSIC_ERR_QUANTIZE), empty
 *  (EmptySequenceError: MUSIC_ERR_ARGUMENT), more than 1000 frames (SequenceTooLongError:
 *  MUSIC_ERR_RANGE). Allocates. */
music_status music_chords_infer(music_seq *seq, const music_chord_inference_params *params, char *message);

/** sequence_note_pitch_vectors with explicit, ascending frame boundaries in seconds
 *  (num_boundaries + 1 frames): per frame, the unit-normalised time each pitch class sounds
 *  (drums and Magenta's unpitched programs skipped). */
music_status music_chords_pitch_vectors(const music_seq *seq, const double *boundaries, int num_boundaries, double (*vectors)[12]);

/** The HMM alone over given frame pitch vectors: the most likely key (0..11) and chord name
 *  of each frame. Lets callers infer over other frames (Magenta's beat-annotation path).
 *  Allocates. */
music_status music_chords_infer_frames(const double (*vectors)[12], int num_frames, const music_chord_inference_params *params,
                                       int *keys, char (*names)[MUSIC_CHORD_NAME_MAX + 1], char *message);

/* ---- Drum tracks (drums.c) ---------------------------------------------------------------------- */
/* A drum track is one event per step; an event is the set of MIDI drum pitches struck at that
 * step (Magenta's DrumTrack of frozensets). Models see the events through a drum map that folds
 * the 128 pitches into a few drum classes; Drums RNN and MusicVAE use 9 (kick, snare, closed
 * hi-hat, open hi-hat, low tom, mid tom, high tom, crash, ride) and a one-hot over the 2^9 = 512
 * subsets, whose index has bit i set when class i is struck (bit 0 = kick). */

/** A set of pitches 0..127: pitch p is bit p % 64 of bits[p / 64]. The empty set is "no drums".
 *  MusicVAE's drum events hold class indices instead of pitches, in the same type. */
typedef struct music_drum_event {
    uint64_t bits[2];
} music_drum_event;

void music_drum_event_clear(music_drum_event *event);
void music_drum_event_add(music_drum_event *event, int pitch); /**< ignores pitches outside 0..127 */
bool music_drum_event_has(const music_drum_event *event, int pitch);
bool music_drum_event_is_empty(const music_drum_event *event);
bool music_drum_event_equal(const music_drum_event *a, const music_drum_event *b);
int music_drum_event_count(const music_drum_event *event);

/* -- Extraction (note_seq drums_lib.DrumTrack.from_quantized_sequence and magenta
 *    pipelines/drum_pipelines.extract_drum_tracks) -- */

typedef struct music_drum_track {
    music_drum_event *events;  /**< events[0 .. length) */
    int length;
    int capacity;              /**< size of `events`, set by the caller (or the extractor) */
    int32_t start_step;        /**< first step, a bar start, in the source sequence */
    int32_t end_step;          /**< start_step + length */
    int steps_per_bar, steps_per_quarter;
} music_drum_track;

typedef struct music_drums_options {
    int32_t search_start_step; /**< assumed to be a bar start; Magenta's default 0 */
    double gap_bars;           /**< this many empty bars end a track (1.0; INFINITY disables) */
    bool pad_end;              /**< pad with empty events to a bar boundary */
    bool ignore_is_drum;       /**< take pitched notes too */
    int min_bars;              /**< extract only: shorter tracks are discarded (Magenta's 7) */
    int32_t max_steps_truncate; /**< extract only: longer tracks are cut; <= 0 disables */
    int32_t max_steps_discard;  /**< extract only: longer tracks are dropped; <= 0 disables */
} music_drums_options;

/** Magenta's defaults: extract_drum_tracks(min_bars=7, gap_bars=1.0), no truncation. Drums RNN's
 *  DrumsExtractor adds max_steps_truncate = 512. */
music_drums_options music_drums_options_default(void);

/** Steps per bar of a relative-quantized sequence (its first time signature, 4/4 if none, as
 *  quantize_note_sequence inserts); MUSIC_ERR_ARGUMENT when not a whole number of steps
 *  (Magenta's NonIntegerStepsPerBarError) or not quantized. */
music_status music_drums_steps_per_bar(const music_seq *seq, int *steps_per_bar, char *message);

/** DrumTrack.from_quantized_sequence into the caller's track->events (track->capacity events):
 *  drum notes (or all notes with ignore_is_drum) of non-zero velocity starting at or after
 *  search_start_step, grouped by start step, from the bar holding the first one until a gap of
 *  gap_bars. Uses search_start_step, gap_bars, pad_end, ignore_is_drum of `options`. An empty
 *  result has length 0 and start_step = end_step = 0, as Magenta's. MUSIC_ERR_FULL when the
 *  track does not fit. Never allocates. */
music_status music_drum_track_from_seq(const music_seq *seq, const music_drums_options *options,
                                       music_drum_track *track, char *message);

/** Magenta's extract_drum_tracks statistics. The length histogram counts tracks by length in
 *  bars over Magenta's bucket lower bounds (the first bucket's is -infinity). */
#define MUSIC_DRUMS_HISTOGRAM_MAX 15
typedef struct music_drums_stats {
    int discarded_too_short, discarded_too_long, truncated;
    int histogram_buckets;
    double histogram_lower[MUSIC_DRUMS_HISTOGRAM_MAX];
    int histogram_count[MUSIC_DRUMS_HISTOGRAM_MAX];
} music_drums_stats;

typedef struct music_drum_tracks {
    music_drum_track *items;
    int count;
} music_drum_tracks;

/** extract_drum_tracks: every drum track of the sequence with all of `options`. Allocates the
 *  tracks (for tools); free them with music_drum_tracks_free. `stats` may be NULL. */
music_status music_drums_extract(const music_seq *seq, const music_drums_options *options,
                                 music_drum_tracks *tracks, music_drums_stats *stats, char *message);
void music_drum_tracks_free(music_drum_tracks *tracks);

/* -- Drum maps (note_seq drums_encoder_decoder) -- */

#define MUSIC_DRUM_CLASSES 9          /**< len(DEFAULT_DRUM_TYPE_PITCHES) */
#define MUSIC_DRUM_ONEHOT_SIZE 512    /**< MultiDrumOneHotEncoding.num_classes = 2^9 */
#define MUSIC_DRUM_MAP_MAX_CLASSES 64 /**< room for MusicVAE's 61 full General MIDI classes */

typedef enum music_drum_class {
    MUSIC_DRUM_KICK, MUSIC_DRUM_SNARE, MUSIC_DRUM_CLOSED_HIHAT, MUSIC_DRUM_OPEN_HIHAT,
    MUSIC_DRUM_LOW_TOM, MUSIC_DRUM_MID_TOM, MUSIC_DRUM_HIGH_TOM, MUSIC_DRUM_CRASH, MUSIC_DRUM_RIDE,
} music_drum_class;

/** Pitch -> class (-1: not a drum of the map, ignored as Magenta's ignore_unknown_drums) and
 *  class -> the pitch that decoding plays (the first pitch of the class's list). */
typedef struct music_drum_map {
    int8_t class_of_pitch[128];
    uint8_t pitch_of_class[MUSIC_DRUM_MAP_MAX_CLASSES];
    int classes;
} music_drum_map;

/** DEFAULT_DRUM_TYPE_PITCHES, the map of Drums RNN's drum_kit and MusicVAE's reduced classes. */
void music_drum_map_default(music_drum_map *map);
/** Drums RNN's one_drum config: one class holding every pitch, decoded as 39 (hand clap). */
void music_drum_map_one_drum(music_drum_map *map);
/** MusicVAE's FULL_DRUM_PITCH_CLASSES: 61 classes of one pitch each (22 and 26 are not in it). */
void music_drum_map_full(music_drum_map *map);
/** A map from lists of pitches, one list per class, as MultiDrumOneHotEncoding(drum_type_pitches):
 *  a pitch in several lists belongs to the last (Python's dict, later entries win). */
music_status music_drum_map_from_lists(music_drum_map *map, const uint8_t *const *lists,
                                       const int *lengths, int classes, char *message);
/** The plugins' remap: the note each class plays when decoded (`count` must equal
 *  map->classes). With also_input, those notes are also read as their class on input (this
 *  departs from Magenta for pitches that Magenta maps elsewhere). */
music_status music_drum_map_remap(music_drum_map *map, const uint8_t *pitches, int count, bool also_input);

/** Bit c set when a pitch of class c is in the event (unknown pitches ignored). */
uint64_t music_drum_event_classes(const music_drum_map *map, const music_drum_event *event);
/** The event of a class mask: each class's decoding pitch. */
void music_drum_classes_event(const music_drum_map *map, uint64_t classes, music_drum_event *event);

/** MultiDrumOneHotEncoding.encode_event: the class mask as an index in 0 .. 2^classes - 1 (maps
 *  of at most 16 classes; -1 otherwise). Real-time safe. */
int music_drum_onehot_encode(const music_drum_map *map, const music_drum_event *event);
/** decode_event: the representative pitches of the set bits; MUSIC_ERR_RANGE outside
 *  0 .. 2^classes - 1. Real-time safe. */
music_status music_drum_onehot_decode(const music_drum_map *map, int index, music_drum_event *event);

/* -- Drums RNN's input and labels (note_seq encoder_decoder.LookbackEventSequenceEncoderDecoder
 *    over MultiDrumOneHotEncoding) -- */

#define MUSIC_LOOKBACK_MAX 4
typedef struct music_lookback_config {
    int distances[MUSIC_LOOKBACK_MAX]; /**< steps; Magenta's default [16, 32] */
    int lookbacks;                     /**< how many distances */
    int binary_counter_bits;           /**< Magenta's default 5 */
} music_lookback_config;

/** Drums RNN's drum_kit: no lookbacks, 6 counter bits; input 518, 512 labels. */
#define MUSIC_DRUM_KIT_INPUT_SIZE 518
#define MUSIC_DRUM_KIT_NUM_CLASSES 512
music_lookback_config music_lookback_drum_kit(void);
/** LookbackEventSequenceEncoderDecoder's defaults: lookbacks [16, 32], 5 counter bits. */
music_lookback_config music_lookback_default(void);

/** one-hot + one-hot per lookback + counter bits + one flag per lookback. */
int music_drum_lookback_input_size(const music_drum_map *map, const music_lookback_config *config);
/** one-hot classes + one repeat class per lookback. */
int music_drum_lookback_num_classes(const music_drum_map *map, const music_lookback_config *config);

/** events_to_input(events, position) into input[0 .. input_size): the one-hot of the event at
 *  `position`; for each lookback d the one-hot of the event at position - d + 1 (the step the
 *  model is about to predict, d steps back; no drums before the track start); the binary counter
 *  of position + 1, bit i = +1 or -1; for each lookback a 1 when the event at `position` equals
 *  the one d steps before (as pitch sets, not classes). Real-time safe. */
music_status music_drum_lookback_input(const music_drum_map *map, const music_lookback_config *config,
                                       const music_drum_event *events, int length, int position,
                                       float *input, int input_size);
/** events_to_label: a repeat class (one-hot size + i, trying the last lookback first) when the
 *  event repeats the one d_i steps back, or the last repeat class for no drums before the last
 *  lookback's distance, otherwise the one-hot index. -1 on bad arguments. Real-time safe. */
int music_drum_lookback_label(const music_drum_map *map, const music_lookback_config *config,
                              const music_drum_event *events, int length, int position);
/** class_index_to_event: the event that class `label` appends after events[0 .. length). */
music_status music_drum_lookback_decode(const music_drum_map *map, const music_lookback_config *config,
                                        int label, const music_drum_event *events, int length,
                                        music_drum_event *event);

/* -- MusicVAE's DrumsConverter (magenta/models/music_vae/data.py), one step's vectors. Its events
 *    are sets of classes of the map (REDUCED_DRUM_PITCH_CLASSES = the default map in the drum
 *    configs, FULL_DRUM_PITCH_CLASSES in nade-drums_2bar_full); no end token (the configs have
 *    none). -- */

/** The pitch-to-class step of _to_tensors_fn: only drum notes whose pitch the map knows are
 *  kept, with the class index as pitch. Use on a copy before extracting. */
void music_drums_vae_map_notes(const music_drum_map *map, music_seq *seq);
/** One-hot output (and input when not roll_input): 2^classes wide, 1 at the class mask. */
music_status music_drums_vae_onehot(const music_drum_map *map, uint64_t classes, float *out, int size);
/** Roll output: `classes` wide, 1 per struck class. */
music_status music_drums_vae_roll_output(const music_drum_map *map, uint64_t classes, float *out, int size);
/** Roll input: the roll then a final NOR bit, 1 when no class is struck (classes + 1 wide). */
music_status music_drums_vae_roll_input(const music_drum_map *map, uint64_t classes, float *out, int size);
/** from_tensors for a roll output step: nonzero entries are struck classes. */
uint64_t music_drums_vae_roll_classes(const float *roll, int size);
/** from_tensors for a one-hot output step: argmax (first maximum) is the class mask. */
uint64_t music_drums_vae_onehot_classes(const float *onehot, int size);

/* ---- Performances and Piano Genie (performance.c) ------------------------------------------------ */
/* Performance RNN's events in absolute time (note_seq performance_lib.Performance), its one-hot
 * classes (performance_encoder_decoder.PerformanceOneHotEncoding), its control signals
 * (performance_controls.py) and the conditioned model input (magenta performance_model.py). */

#define MUSIC_PERF_STEPS_PER_SECOND 100 /**< EventSequenceRnnConfig's default */
#define MUSIC_PERF_MAX_SHIFT_STEPS 100  /**< performance_lib.DEFAULT_MAX_SHIFT_STEPS */
#define MUSIC_PERF_VELOCITY_BINS 32     /**< the *_with_dynamics configs */
/** 128 note-ons, 128 note-offs, 100 shifts, 32 velocities. */
#define MUSIC_PERF_NUM_CLASSES 388

/** PerformanceEvent's types, with Magenta's numbers. */
typedef enum music_perf_event_type {
    MUSIC_PERF_NOTE_ON = 1,    /**< value: pitch 0..127 */
    MUSIC_PERF_NOTE_OFF = 2,   /**< value: pitch 0..127 */
    MUSIC_PERF_TIME_SHIFT = 3, /**< value: steps 1..max_shift_steps */
    MUSIC_PERF_VELOCITY = 4,   /**< value: bin 1..num_velocity_bins */
} music_perf_event_type;

typedef struct music_perf_event {
    int type;  /**< music_perf_event_type */
    int value;
} music_perf_event;

/** A performance: events in storage the caller owns (or, after music_performance_extract, the
 *  library owns: free it with music_performance_free). */
typedef struct music_performance {
    music_perf_event *events;
    int count, capacity;
    int start_step;          /**< offset in the source sequence, steps */
    int steps_per_second;
    int num_velocity_bins;   /**< 0: no VELOCITY events */
    int max_shift_steps;
    int program;             /**< -1 when the notes have several programs, or are drums */
    int is_drum;             /**< 1, 0, or -1 when mixed (Magenta's None) */
    bool owned;              /**< events were allocated by music_performance_extract */
} music_performance;

/** An empty performance over caller storage; program -1, is_drum -1 (as Magenta's None). */
music_status music_performance_init(music_performance *perf, music_perf_event *storage, int capacity,
                                    int steps_per_second, int num_velocity_bins, int max_shift_steps);
/** Frees events only when the library allocated them; then empties the performance. */
void music_performance_free(music_performance *perf);

/** performance_lib.velocity_to_bin / velocity_bin_to_velocity: bins of ceil(127 / bins) values. */
int music_velocity_to_bin(int velocity, int num_velocity_bins);
int music_velocity_bin_to_velocity(int bin, int num_velocity_bins);

/** Performance(quantized_sequence, start_step, num_velocity_bins, max_shift_steps, instrument):
 *  `seq` must be quantized in absolute time (steps_per_second > 0); `perf` was initialised with
 *  music_performance_init (its steps_per_second is replaced by the sequence's). Notes starting
 *  before start_step are skipped; instrument < 0 takes every instrument. Sorts a copy of the
 *  note indices (allocates). MUSIC_ERR_FULL, with a message, when the storage is too small
 *  (music_performance_max_events gives a bound); MUSIC_ERR_RANGE where Magenta raises: a note
 *  of velocity 0 after a note of another velocity bin. */
music_status music_performance_from_seq(music_performance *perf, const music_seq *seq, int start_step,
                                        int instrument, char *message);
/** An upper bound on the events music_performance_from_seq can produce for `seq`. */
int music_performance_max_events(const music_seq *seq, int max_shift_steps);

/** Append one event (real-time safe; MUSIC_ERR_FULL past the capacity, MUSIC_ERR_RANGE for a
 *  value the performance cannot hold). */
music_status music_performance_append(music_performance *perf, music_perf_event event);
/** BasePerformance.num_steps: the sum of the time shifts. */
int music_performance_num_steps(const music_performance *perf);
/** BasePerformance.set_length (from the right): pads with time shifts, or trims events. */
music_status music_performance_set_length(music_performance *perf, int steps);
/** BasePerformance.truncate: keep the first num_events events. */
void music_performance_truncate(music_performance *perf, int num_events);

/** Performance.to_sequence: `out` (initialised) is cleared and receives the notes, unquantized,
 *  with ticks_per_quarter 220. velocity: used until a VELOCITY event; program < 0: the
 *  performance's (or 0); max_note_duration <= 0: no limit. Note-offs without a note-on are
 *  ignored, zero-length notes dropped, notes still on at the end end there. */
music_status music_performance_to_seq(const music_performance *perf, int velocity, int instrument,
                                      int program, double max_note_duration, music_seq *out,
                                      char *message);

/** magenta performance_pipeline.extract_performances. A limit <= 0 is off (Magenta's None). */
typedef struct music_performance_options {
    int start_step;
    int min_events_discard;
    int max_events_truncate;
    int max_steps_truncate;
    int num_velocity_bins;
    bool split_instruments;  /**< one performance per instrument, in ascending instrument order */
} music_performance_options;

/** The counters of extract_performances' statistics. */
typedef struct music_performance_stats {
    int discarded_too_short, truncated, truncated_timewise, discarded_more_than_1_program;
} music_performance_stats;

/** Extract into a newly allocated array of performances (free each with music_performance_free,
 *  then free(*perfs)). Performance RNN's dataset: min_events_discard 32, max_events_truncate
 *  512, num_velocity_bins 0 or 32. As in Magenta, drums are not filtered out, and without
 *  split_instruments a sequence with more than one program gives nothing. Sequences quantized
 *  relative to the tempo (MetricPerformance) are MUSIC_ERR_UNSUPPORTED. stats may be NULL. */
music_status music_performance_extract(const music_seq *seq, const music_performance_options *options,
                                       music_performance **perfs, int *count,
                                       music_performance_stats *stats, char *message);

/** PerformanceOneHotEncoding(num_velocity_bins, max_shift_steps), pitches 0..127: classes are
 *  NOTE_ON 0..127, NOTE_OFF 128..255, TIME_SHIFT 1..max at 256.., VELOCITY 1..bins after. */
int music_perf_num_classes(int num_velocity_bins, int max_shift_steps);
music_status music_perf_encode_event(music_perf_event event, int num_velocity_bins, int max_shift_steps,
                                     int *class_index);
music_status music_perf_decode_event(int class_index, int num_velocity_bins, int max_shift_steps,
                                     music_perf_event *event);

/* Control signals. Magenta's conditioned configs: note density over 3 s with bin edges
 * 1, 2, 4, 8, 16, 32, 64 notes per second (8 bins); pitch-class histogram over 5 s with a prior
 * count of 0.01. */
#define MUSIC_PERF_DENSITY_WINDOW_SECONDS 3.0
#define MUSIC_PERF_DENSITY_NUM_RANGES 7
#define MUSIC_PERF_DENSITY_NUM_BINS 8
extern const double music_perf_density_bin_ranges[MUSIC_PERF_DENSITY_NUM_RANGES];
#define MUSIC_PERF_HISTOGRAM_WINDOW_SECONDS 5.0
#define MUSIC_PERF_HISTOGRAM_PRIOR_COUNT 0.01

/** NoteDensityPerformanceControlSignal.extract: notes per second at every event (perf->count
 *  values into density). */
music_status music_perf_note_density(const music_performance *perf, double window_size_seconds,
                                     double *density);
/** NoteDensityOneHotEncoding.encode_event: the first bin whose upper edge exceeds density. */
int music_perf_density_bin(double density, const double *ranges, int num_ranges);
/** PitchHistogramPerformanceControlSignal.extract: 12 weights (seconds sounding, plus the prior)
 *  at every event (perf->count rows into histogram). */
music_status music_perf_pitch_histogram(const music_performance *perf, double window_size_seconds,
                                        double prior_count, double (*histogram)[12]);
/** PitchHistogramEncoder.events_to_input: normalised to sum 1, uniform when empty. */
void music_perf_histogram_encode(const double histogram[12], float input[12]);

/** The model's inputs. The conditioned configs put the controls first: [disable flag, only when
 *  optional][density one-hot 8][histogram 12], then the event one-hot. At training position i
 *  Magenta pairs the controls of event i + 1 with event i. */
enum {
    MUSIC_PERF_CONTROL_DENSITY = 1,
    MUSIC_PERF_CONTROL_HISTOGRAM = 2,
    MUSIC_PERF_CONTROL_OPTIONAL = 4,  /**< the optional_multiconditioned config's disable flag */
};
/** 388 unconditioned; 396 density; 400 histogram; 408 both; 409 both and optional. */
int music_perf_input_size(unsigned controls, int num_velocity_bins, int max_shift_steps);
/** One input vector (no allocation). density and histogram are read only when their control is
 *  set (histogram unnormalised, as extracted); disable zeroes the controls when optional. */
music_status music_perf_encode_input(music_perf_event event, unsigned controls, bool disable, double density,
                                     const double histogram[12], int num_velocity_bins, int max_shift_steps,
                                     float *input, int size);

/* Piano Genie (magenta/models/piano_genie): 88 keys from MIDI pitch 21, 8 buttons, delta times
 * in 31.25 Hz frames clipped to 32. The autoregressive decoder's input per step (model.py,
 * configs with dec_aux_feats delta_times_int, e.g. PianoGeniePaper) is
 * [button as 2 * (b / 7) - 1][one-hot last key + 1 of 89, 0 = start][one-hot delta bin of 33]. */
#define MUSIC_GENIE_LOWEST_PITCH 21
#define MUSIC_GENIE_NUM_KEYS 88
#define MUSIC_GENIE_NUM_BUTTONS 8
#define MUSIC_GENIE_MAX_DELTA_BIN 32
#define MUSIC_GENIE_FIRST_DELTA_SECONDS 100000.0  /**< loader.py's "free decision" first delta */
#define MUSIC_GENIE_DECODER_INPUT_SIZE (1 + (MUSIC_GENIE_NUM_KEYS + 1) + (MUSIC_GENIE_MAX_DELTA_BIN + 1))

/** loader.py: the delta as float32, times 31.25 in float32, rounded half to even (tf.round),
 *  clipped to 32. A negative delta (never from sorted notes) gives -1. */
int music_genie_delta_bin(double delta_seconds);
/** The button's scalar: 2 * (b / 7) - 1 in float32, as model.py's iqst / quantized lookup. */
float music_genie_button_value(int button);
/** One decoder input of MUSIC_GENIE_DECODER_INPUT_SIZE floats (no allocation). last_key -1 is
 *  the start token; keys 0..87; delta_bin 0..32. */
music_status music_genie_decoder_input(int button, int last_key, int delta_bin, float *input, int size);
/** loader.py's note-sequence arrays: notes sorted by (start time, pitch), pitches outside
 *  21..108 dropped, keys = pitch - 21, delta bins from start-time differences (the first
 *  100000 s, so 32). keys and delta_bins hold capacity entries; *count is set. Allocates. */
music_status music_genie_extract(const music_seq *seq, int *keys, int *delta_bins, int capacity, int *count,
                                 char *message);

#ifdef __cplusplus
}
#endif

#endif /* MUSIC_H */
