/* generate.c — `nn-train generate`: Magenta's melody_rnn_generate, drums_rnn_generate and
 * improv_rnn_generate on the engine. The primer (a MIDI file, or Magenta's default) is
 * quantized and extracted as the sequence generators do, fed through the model step by step,
 * then each next class is sampled, decoded to an event and appended until the piece is --steps
 * long; the result is written as a MIDI file.
 *
 * Where Magenta's scripts and this differ, on purpose:
 *  - the length is exactly --steps (Magenta computes the end step through seconds and can lose
 *    one step to rounding at some tempos);
 *  - drums: a primer with notes on channel 10 primes with those only (Magenta takes every note
 *    of the primer as a drum, which a primer without channel 10 still gets);
 *  - improv: --chords gives one chord per bar (16 steps), repeated to fill --steps; the chord of
 *    a step is the one at its absolute step, also when the primer's melody starts after bar 1
 *    (Magenta cuts its progression from the wrong end then); the chords are always rendered, as
 *    improv_rnn_generate --render_chords does, over the whole piece.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn-train.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum {
    STEPS_PER_QUARTER = 4, /* every melody and drums config (EventSequenceRnnConfig) */
    STEPS_PER_CHORD = 16,  /* improv_rnn_generate's steps_per_chord: one bar of 4/4 */
    MAX_STEPS = 65536,
    MAX_CHORDS = 256,
    PPQ = 220, /* note_seq's STANDARD_PPQ */
};

/* Melody.to_sequence's and DrumTrack.to_sequence's notes; BasicChordRenderer's chords as
 * improv_rnn_generate configures it (CHORD_VELOCITY 50; instrument 1, program 88 "Pad 1",
 * chord tones in octave 4, the bass in octave 3). */
enum { NOTE_VELOCITY = 100, CHORD_VELOCITY = 50, CHORD_INSTRUMENT = 1, CHORD_PROGRAM = 88, DRUM_INSTRUMENT = 9 };

static int fail(char *why, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(why, NN_MESSAGE_SIZE, format, args);
    va_end(args);
    return -1;
}

typedef struct options {
    const char *model, *out, *primer, *chords;
    int steps;
    float temperature;
    uint64_t seed;
    double qpm;
} options;

/* ---- The model input of one step ------------------------------------------------------------ */

nn_status generate_input(const encoding *enc, const int *melody, const music_drum_event *drums, const uint32_t *chords,
                         int length, int position, float *input, char *why)
{
    if (enc->kind == KIND_MELODY || enc->kind == KIND_IMPROV) {
        /* as features_of_record's rows: for improv the chord of the step to predict first */
        int control = enc->kind == KIND_IMPROV ? music_chord_encoding_size(enc->chords) : 0;
        if (control) {
            if (music_chord_word_encode(enc->chords, chords[position + 1], input, why) != MUSIC_OK)
                return NN_ERR_MALFORMED;
        }
        if (music_melody_encoder_input(&enc->melody, melody, length, position, input + control) != MUSIC_OK) {
            snprintf(why, NN_MESSAGE_SIZE, "generate: no %s input for the melody event %d at step %d", enc->name,
                     position < length ? melody[position] : 0, position);
            return NN_ERR_MALFORMED;
        }
        return NN_OK;
    }
    if (enc->kind == KIND_DRUMS) {
        music_lookback_config config = music_lookback_drum_kit();
        if (music_drum_lookback_input(&enc->drum_map, &config, drums, length, position, input, enc->input_size) !=
            MUSIC_OK) {
            snprintf(why, NN_MESSAGE_SIZE, "generate: no drum input at step %d", position);
            return NN_ERR_MALFORMED;
        }
        return NN_OK;
    }
    snprintf(why, NN_MESSAGE_SIZE, "generate: encoding %s has no event track to generate", enc->name);
    return NN_ERR_ARGUMENT;
}

/* ---- Options --------------------------------------------------------------------------------- */

static bool parse_int(const char *text, long lo, long hi, int *out)
{
    int64_t v;
    if (!option_int(text, lo, hi, &v))
        return false;
    *out = (int)v;
    return true;
}

static int parse_options(int argc, char **argv, options *o, char *why)
{
    *o = (options){.steps = 128, .temperature = 1.0f, .seed = 1, .qpm = 120.0};
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        bool known = !strcmp(arg, "--model") || !strcmp(arg, "--out") || !strcmp(arg, "--steps") ||
                     !strcmp(arg, "--temperature") || !strcmp(arg, "--seed") || !strcmp(arg, "--primer") ||
                     !strcmp(arg, "--qpm") || !strcmp(arg, "--chords");
        if (!known)
            return fail(why, "unknown option '%s'", arg);
        if (!value)
            return fail(why, "%s needs a value", arg);
        i++;
        double d = 0.0;
        if (!strcmp(arg, "--model"))
            o->model = value;
        else if (!strcmp(arg, "--out"))
            o->out = value;
        else if (!strcmp(arg, "--primer"))
            o->primer = value;
        else if (!strcmp(arg, "--chords"))
            o->chords = value;
        else if (!strcmp(arg, "--steps") && !parse_int(value, 1, MAX_STEPS, &o->steps))
            return fail(why, "--steps '%s': give a whole number of sixteenth-note steps, 1 to %d", value, MAX_STEPS);
        else if (!strcmp(arg, "--temperature")) {
            if (!option_double(value, 0.0, 100.0, &d))
                return fail(why, "--temperature '%s': give a number from 0 (always the most likely event) to 100",
                            value);
            o->temperature = (float)d;
        } else if (!strcmp(arg, "--qpm")) {
            if (!option_double(value, 1.0, 1000.0, &d))
                return fail(why, "--qpm '%s': give quarter notes per minute, 1 to 1000", value);
            o->qpm = d;
        } else if (!strcmp(arg, "--seed")) {
            char *end;
            errno = 0;
            unsigned long long seed = strtoull(value, &end, 10);
            if (errno || end == value || *end || value[0] == '-')
                return fail(why, "--seed '%s': give a whole number, 0 to 2^64 - 1", value);
            o->seed = seed;
        }
    }
    if (!o->model || !o->out)
        return fail(why, "--model and --out are required");
    return 0;
}

/* The chords of --chords: their words and parsed forms (for rendering), refused when the
 * model's chord encoding has no input for one. */
static int parse_chords(const encoding *enc, const char *text, music_chord *chords, uint32_t *words, int *count,
                        char *why)
{
    char copy[4096];
    if (strlen(text) >= sizeof copy)
        return fail(why, "--chords: the progression is too long (at most %d characters)", (int)sizeof copy - 1);
    snprintf(copy, sizeof copy, "%s", text);
    *count = 0;
    float scratch[MUSIC_CHORD_TRIAD_CLASSES + MUSIC_CHORD_PITCH_INPUT_SIZE];
    for (char *save = NULL, *name = strtok_r(copy, " \t\n", &save); name; name = strtok_r(NULL, " \t\n", &save)) {
        if (*count == MAX_CHORDS)
            return fail(why, "--chords: more than %d chords", MAX_CHORDS);
        char message[MUSIC_MESSAGE_SIZE];
        if (music_chord_parse(name, &chords[*count], message) != MUSIC_OK)
            return fail(why, "--chords: %s", message);
        words[*count] = music_chord_word(&chords[*count]);
        if (music_chord_word_encode(enc->chords, words[*count], scratch, message) != MUSIC_OK)
            return fail(why, "--chords: %s has no input for chord '%s' (%s)", enc->name, name, message);
        ++*count;
    }
    if (!*count)
        return fail(why, "--chords: no chord symbols in '%s'", text);
    return 0;
}

/* ---- The model ------------------------------------------------------------------------------- */

/* Load an event_rnn model, and find its encoding among those that generate here. */
static int load_model(const char *path, nn_model **model, encoding *enc, char *why)
{
    if (nn_model_load(path, model, why) != NN_OK)
        return -1;
    if (nn_model_kind(*model) != NN_KIND_EVENT_RNN) {
        const char *kind = nn_kind_name(nn_model_kind(*model));
        return fail(why, "%s: a %s file, not an event_rnn model%s", path, kind ? kind : "?",
                    nn_model_kind(*model) == NN_KIND_TRAIN_CHECKPOINT ? " (a training checkpoint: generate from the "
                                                                        ".nnm file nn-train exported beside it)"
                                                                      : "");
    }
    const char *name = nn_model_string(*model, "encoding", NULL);
    if (!name)
        return fail(why, "%s: no 'encoding' hyperparameter, so the events its classes stand for are unknown", path);
    if (!encoding_find(name, enc))
        return fail(why, "%s: unknown encoding '%s'", path, name);
    if (enc->kind != KIND_MELODY && enc->kind != KIND_DRUMS && enc->kind != KIND_IMPROV)
        return fail(why, "%s: encoding '%s': nn-train generate makes melodies, drum tracks and improvisations "
                    "(Melody, Drums and Improv RNN), not this kind", path, name);
    return 0;
}

/* ---- The primer -------------------------------------------------------------------------------- */

/* Magenta's default primers: a middle C (melody_rnn_generate and improv_rnn_generate) or a
 * bass drum (drums_rnn_generate), one step long, as Melody([60]) / DrumTrack([{36}]).to_sequence. */
static int default_primer(const encoding *enc, double qpm, music_seq *seq, char *why)
{
    double step = 60.0 / qpm / STEPS_PER_QUARTER;
    bool drums = enc->kind == KIND_DRUMS;
    music_note note = {.start = 0.0, .end = step, .pitch = drums ? 36 : 60, .velocity = NOTE_VELOCITY,
                       .is_drum = drums, .instrument = drums ? DRUM_INSTRUMENT : 0};
    seq->ticks_per_quarter = PPQ;
    if (music_seq_add_tempo(seq, 0.0, qpm) != MUSIC_OK || music_seq_add_note(seq, &note) != MUSIC_OK)
        return fail(why, "out of memory");
    return 0;
}

/* The event track being generated: a melody (melody and improv) or a drum track. */
typedef struct track {
    music_melody melody;
    music_drum_event *drums;
    uint32_t *chords; /* improv: the chord word of each step, capacity + 1 of them */
    int length, capacity;
    int32_t start_step; /* the absolute step of event 0 */
} track;

/* The generator's primer track from a quantized primer, as the sequence generators extract it
 * (extract_melodies / extract_drum_tracks with min_bars 0, gap_bars infinite, polyphony reduced
 * to its highest note), the first one; none: an empty track one step before start_step. Then
 * set_length up to start_step. */
static int primer_track(const encoding *enc, const music_seq *seq, int32_t start_step, int32_t end_step, track *t,
                        char *why)
{
    char message[MUSIC_MESSAGE_SIZE];
    int32_t from = start_step > 0 ? start_step - 1 : 0;
    int primer_length = 0, steps_per_bar = 16;
    music_drum_tracks tracks = {0};
    int *found_events = NULL;
    music_melody found = {0};
    if (enc->kind == KIND_DRUMS) {
        music_drums_options o = music_drums_options_default();
        o.min_bars = 0;
        o.gap_bars = INFINITY;
        /* Magenta reads every note of the primer as drums (ignore_is_drum); a primer that has
         * notes on channel 10 gives only those, so its other instruments stay out of the kit */
        o.ignore_is_drum = true;
        for (int i = 0; i < seq->notes.count && o.ignore_is_drum; i++)
            o.ignore_is_drum = !seq->notes.items[i].is_drum;
        if (music_drums_extract(seq, &o, &tracks, NULL, message) != MUSIC_OK) {
            music_drum_tracks_free(&tracks);
            return fail(why, "primer: %s", message);
        }
        if (tracks.count && tracks.items[0].length) {
            from = tracks.items[0].start_step;
            primer_length = tracks.items[0].length;
        }
    } else {
        music_melody_options o;
        music_melody_options_default(&o);
        o.min_bars = 0;
        o.min_unique_pitches = 1;
        o.gap_bars = HUGE_VAL;
        o.ignore_polyphonic_notes = true;
        int capacity = seq->total_steps + 2 * 16 + 2, count = 0;
        found_events = malloc((size_t)capacity * sizeof *found_events);
        if (!found_events)
            return fail(why, "out of memory");
        /* one melody asked for: MUSIC_ERR_FULL only says there were more (other instruments) */
        music_status st = music_melody_extract(seq, &o, found_events, capacity, &found, 1, &count, NULL, message);
        if (st != MUSIC_OK && !(st == MUSIC_ERR_FULL && found.events)) {
            free(found_events);
            return fail(why, "primer: %s", message);
        }
        if (count && found.events && found.length) {
            from = found.start_step;
            primer_length = found.length;
            steps_per_bar = found.steps_per_bar;
        }
    }
    /* room for the whole piece: set_length never has to grow */
    int64_t span = (int64_t)end_step - from;
    int64_t want = span > primer_length ? span : primer_length;
    if ((int64_t)start_step - from > want)
        want = (int64_t)start_step - from;
    t->capacity = (int)want + 1;
    t->start_step = from;
    int status = 0;
    if (enc->kind == KIND_DRUMS) {
        t->drums = calloc((size_t)t->capacity, sizeof *t->drums);
        if (!t->drums) {
            status = fail(why, "out of memory");
        } else {
            for (int i = 0; i < primer_length; i++)
                t->drums[i] = tracks.items[0].events[i];
            /* DrumTrack.set_length: pad with "no drums" or cut, on the right */
            t->length = start_step - from;
            for (int i = primer_length; i < t->length; i++)
                music_drum_event_clear(&t->drums[i]);
        }
    } else {
        t->melody = (music_melody){.capacity = t->capacity, .start_step = from, .end_step = from + primer_length,
                                   .steps_per_bar = steps_per_bar, .steps_per_quarter = STEPS_PER_QUARTER};
        t->melody.events = malloc((size_t)t->capacity * sizeof *t->melody.events);
        if (!t->melody.events) {
            status = fail(why, "out of memory");
        } else {
            if (primer_length)
                memcpy(t->melody.events, found.events, (size_t)primer_length * sizeof *found.events);
            t->melody.length = primer_length;
            if (music_melody_set_length(&t->melody, start_step - from, false) != MUSIC_OK)
                status = fail(why, "primer: cannot set the melody's length to %d steps", (int)(start_step - from));
            t->length = t->melody.length;
        }
    }
    music_drum_tracks_free(&tracks);
    free(found_events);
    return status;
}

/* ---- Output ---------------------------------------------------------------------------------- */

static int add_note(music_seq *seq, double start, double end, int pitch, int velocity, int instrument, int program,
                    bool drum, char *why)
{
    music_note note = {.start = start, .end = end, .pitch = (uint8_t)pitch, .velocity = (uint8_t)velocity,
                       .program = (uint8_t)program, .is_drum = drum, .instrument = instrument};
    if (music_seq_add_note(seq, &note) != MUSIC_OK)
        return fail(why, "out of memory");
    return 0;
}

/* Melody.to_sequence / DrumTrack.to_sequence (times as Magenta computes them), then for improv
 * BasicChordRenderer over the chord changes of steps [0, end_step). */
static int track_to_seq(const encoding *enc, const track *t, double qpm, const music_chord *chords, int chord_count,
                        int32_t end_step, music_seq *seq, char *why)
{
    double step = 60.0 / qpm / STEPS_PER_QUARTER, origin = t->start_step * step;
    seq->ticks_per_quarter = PPQ;
    if (music_seq_add_tempo(seq, 0.0, qpm) != MUSIC_OK)
        return fail(why, "out of memory");
    if (enc->kind == KIND_DRUMS) {
        for (int i = 0; i < t->length; i++)
            for (int pitch = 0; pitch < 128; pitch++)
                if (music_drum_event_has(&t->drums[i], pitch) &&
                    add_note(seq, i * step + origin, (i + 1) * step + origin, pitch, NOTE_VELOCITY, DRUM_INSTRUMENT, 0,
                             true, why))
                    return -1;
        return 0;
    }
    const int *events = t->melody.events;
    for (int i = 0; i < t->length; i++) {
        if (events[i] < 0)
            continue;
        int end = i + 1; /* a note sounds until the next note, a note-off or the end */
        while (end < t->length && events[end] == MUSIC_MELODY_NO_EVENT)
            end++;
        if (add_note(seq, i * step + origin, end * step + origin, events[i], NOTE_VELOCITY, 0, 0, false, why))
            return -1;
    }
    if (enc->kind != KIND_IMPROV)
        return 0;
    for (int32_t s = 0; s < end_step;) {
        int c = (s / STEPS_PER_CHORD) % chord_count;
        /* ChordProgression.to_sequence marks only changes: the same chord again sounds on */
        int32_t next = s + 1;
        while (next < end_step && music_chord_word(&chords[(next / STEPS_PER_CHORD) % chord_count]) == music_chord_word(&chords[c]))
            next++;
        const music_chord *chord = &chords[c];
        if (!chord->no_chord) {
            for (int k = 0; k < chord->pitch_count; k++)
                if (add_note(seq, s * step, next * step, 48 + chord->pitches[k] % 12, CHORD_VELOCITY, CHORD_INSTRUMENT,
                             CHORD_PROGRAM, false, why))
                    return -1;
            if (add_note(seq, s * step, next * step, 36 + chord->bass % 12, CHORD_VELOCITY, CHORD_INSTRUMENT,
                         CHORD_PROGRAM, false, why))
                return -1;
        }
        s = next;
    }
    return 0;
}

/* ---- Generation -------------------------------------------------------------------------------- */

/* EventSequenceRnnModel._generate_events with beam size 1: the primer's inputs through the RNN
 * (the state after its last event predicts the next), then draw, decode, append, step. */
static int extend_track(const encoding *enc, nn_rnn *rnn, nn_sampler *sampler, const nn_sample_params *params,
                        track *t, int num_steps, char *why)
{
    if (t->length >= num_steps)
        return 0; /* long enough already: Magenta returns the primer as it is */
    if (t->length < 1)
        return fail(why, "generate: the primer has no events"); /* cannot happen: start_step >= 1 */
    float *input = malloc((size_t)enc->input_size * sizeof *input);
    if (!input)
        return fail(why, "out of memory");
    int classes = nn_rnn_classes(rnn), status = 0;
    music_lookback_config drum_config = music_lookback_drum_kit();
    const float *logits = NULL;
    nn_rnn_reset(rnn);
    nn_fp_state fp = nn_fp_enter();
    for (int i = 0; i < t->length && !status; i++) {
        if (generate_input(enc, t->melody.events, t->drums, t->chords, t->length, i, input, why) != NN_OK)
            status = -1;
        else
            logits = nn_rnn_step(rnn, input);
    }
    while (!status && t->length < num_steps) {
        int label = nn_sampler_draw(sampler, logits, classes, params);
        if (enc->kind == KIND_DRUMS) {
            if (music_drum_lookback_decode(&enc->drum_map, &drum_config, label, t->drums, t->length,
                                           &t->drums[t->length]) != MUSIC_OK) {
                status = fail(why, "generate: class %d is not a drum event", label);
                break;
            }
        } else if (music_melody_encoder_decode(&enc->melody, label, t->melody.events, t->length,
                                               &t->melody.events[t->length]) != MUSIC_OK) {
            status = fail(why, "generate: class %d is not a melody event", label);
            break;
        }
        int i = t->length++;
        t->melody.length = t->length;
        t->melody.end_step = t->start_step + t->length;
        if (t->length == num_steps)
            break;
        if (generate_input(enc, t->melody.events, t->drums, t->chords, t->length, i, input, why) != NN_OK)
            status = -1;
        else
            logits = nn_rnn_step(rnn, input);
    }
    nn_fp_leave(fp);
    free(input);
    return status;
}

typedef struct run {
    options o;
    encoding enc;
    nn_model *model;
    nn_rnn *rnn;
    nn_sampler *sampler;
    music_seq primer, out;
    music_chord chords[MAX_CHORDS];
    uint32_t words[MAX_CHORDS];
    int chord_count;
    track t;
} run;

static int generate(run *r, char *why)
{
    options *o = &r->o;
    encoding *enc = &r->enc;
    if (load_model(o->model, &r->model, enc, why))
        return -1;
    if (nn_rnn_new(r->model, &r->rnn, why) != NN_OK)
        return -1;
    if (nn_rnn_input_size(r->rnn) != features_input_size(enc) || nn_rnn_classes(r->rnn) != features_num_classes(enc))
        return fail(why, "%s: input %d and %d classes, but encoding %s has input %d and %d classes", o->model,
                    nn_rnn_input_size(r->rnn), nn_rnn_classes(r->rnn), enc->name, features_input_size(enc),
                    features_num_classes(enc));
    if (nn_sampler_new(nn_rnn_classes(r->rnn), o->seed, &r->sampler) != NN_OK)
        return fail(why, "out of memory");
    if (enc->kind == KIND_IMPROV) {
        /* improv_rnn_generate's default backing_chords */
        if (parse_chords(enc, o->chords ? o->chords : "C G Am F C G F C", r->chords, r->words, &r->chord_count, why))
            return -1;
    } else if (o->chords) {
        return fail(why, "--chords: %s is a %s model, which takes no chords (only improv models do)", o->model,
                    enc->name);
    }

    /* The primer and the tempo: a primer file's first tempo wins over --qpm, as in Magenta. */
    double qpm = o->qpm;
    if (o->primer) {
        if (music_midi_read_file(o->primer, &r->primer, why) != MUSIC_OK)
            return -1;
        if (r->primer.tempos.count && r->primer.tempos.items[0].qpm > 0.0)
            qpm = r->primer.tempos.items[0].qpm;
    } else if (default_primer(enc, qpm, &r->primer, why)) {
        return -1;
    }
    /* generate from one step after the primer's last note end to --steps (times as Magenta's
     * *_generate.py computes them; quantize_to_step with cutoff 0 for the start) */
    double seconds_per_step = 60.0 / qpm / STEPS_PER_QUARTER, last_end = 0.0;
    for (int i = 0; i < r->primer.notes.count; i++)
        last_end = fmax(last_end, r->primer.notes.items[i].end);
    double start_time = last_end + seconds_per_step, total = o->steps * seconds_per_step;
    if (start_time >= total)
        return fail(why, "%s: the primer ends at %.3f s (step %d), which leaves nothing to generate within "
                    "--steps %d (%.3f s)", o->primer ? o->primer : "the default primer (a one-step note)", last_end,
                    (int)ceil(last_end / seconds_per_step - 1e-9), o->steps, total);
    double steps_per_second = STEPS_PER_QUARTER * qpm / 60.0;
    int32_t start_step = (int32_t)(start_time * steps_per_second + 1.0), end_step = o->steps;
    char message[MUSIC_MESSAGE_SIZE];
    if (music_seq_quantize_relative(&r->primer, STEPS_PER_QUARTER, message) != MUSIC_OK)
        return fail(why, "%s: %s", o->primer ? o->primer : "primer", message);
    if (primer_track(enc, &r->primer, start_step, end_step, &r->t, why)) {
        if (o->primer) {
            char copy[NN_MESSAGE_SIZE];
            snprintf(copy, sizeof copy, "%s", why);
            fail(why, "%s: %s", o->primer, copy);
        }
        return -1;
    }
    int primer_steps = r->t.length;

    /* the model's range (melody_rnn_model.generate_melody: squash, generate, transpose back) */
    int transpose = 0;
    if (enc->kind != KIND_DRUMS)
        transpose = music_melody_squash(&r->t.melody, enc->melody.min_note, enc->melody.max_note,
                                        enc->kind == KIND_IMPROV ? -1 : enc->melody.transpose_to_key);
    if (enc->kind == KIND_IMPROV) {
        /* the chord of each of the track's steps (its absolute step), moved as the melody was */
        r->t.chords = malloc(((size_t)r->t.capacity + 1) * sizeof *r->t.chords);
        if (!r->t.chords)
            return fail(why, "out of memory");
        for (int i = 0; i <= r->t.capacity; i++)
            r->t.chords[i] = music_chord_word_transpose(
                r->words[(((int64_t)r->t.start_step + i) / STEPS_PER_CHORD) % r->chord_count], transpose);
    }
    nn_sample_params params = {.temperature = o->temperature};
    if (extend_track(enc, r->rnn, r->sampler, &params, &r->t, end_step - r->t.start_step, why))
        return -1;
    if (enc->kind != KIND_DRUMS)
        music_melody_transpose(&r->t.melody, -transpose, 0, 128);

    if (track_to_seq(enc, &r->t, qpm, r->chords, r->chord_count, end_step, &r->out, why))
        return -1;
    if (music_midi_write_file(&r->out, o->out, message) != MUSIC_OK)
        return fail(why, "%s", message);
    double seconds = end_step * seconds_per_step;
    printf("nn-train generate: wrote %s: %d notes, %d steps (%.1f s at %g qpm): %d primer steps from %s, %d generated "
           "by %s (seed %llu, temperature %g)\n",
           o->out, r->out.notes.count, (int)end_step, seconds, qpm, primer_steps,
           o->primer ? o->primer : "the default primer", r->t.length - primer_steps, enc->name,
           (unsigned long long)o->seed, (double)o->temperature);
    return 0;
}

int command_generate(int argc, char **argv)
{
    char why[NN_MESSAGE_SIZE];
    run *r = calloc(1, sizeof *r);
    if (!r) {
        fprintf(stderr, "nn-train generate: out of memory\n");
        return 1;
    }
    music_seq_init(&r->primer);
    music_seq_init(&r->out);
    int status = 0;
    if (parse_options(argc, argv, &r->o, why)) {
        fprintf(stderr, "nn-train generate: %s (nn-train --help shows the options)\n", why);
        status = 2;
    } else if (generate(r, why)) {
        fprintf(stderr, "nn-train generate: %s\n", why);
        status = 1;
    }
    nn_sampler_free(r->sampler);
    nn_rnn_free(r->rnn);
    nn_model_free(r->model);
    music_seq_free(&r->primer);
    music_seq_free(&r->out);
    free(r->t.melody.events);
    free(r->t.drums);
    free(r->t.chords);
    free(r);
    return status;
}
