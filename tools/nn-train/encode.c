/* encode.c — `nn-train encode`: what a model sees of one MIDI file, one step per line.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn-train.h"

#include <stdlib.h>
#include <string.h>

static void print_vector(const float *v, int n)
{
    bool binary = true;
    for (int i = 0; i < n && binary; i++)
        binary = v[i] == 0.0f || v[i] == 1.0f;
    fputs("  ", stdout);
    for (int i = 0; i < n; i++) {
        if (binary)
            putchar(v[i] == 1.0f ? '1' : '0');
        else
            printf(i ? " %g" : "%g", (double)v[i]);
    }
}

static void print_melody_event(int event)
{
    if (event == MUSIC_MELODY_NO_EVENT)
        printf("%-8s", "-");
    else if (event == MUSIC_MELODY_NOTE_OFF)
        printf("%-8s", "off");
    else
        printf("%-8d", event);
}

static int encode_melodies(const encoding *enc, music_seq *seq, bool vectors, char *why)
{
    if (pipeline_quantize(enc, seq, why) != MUSIC_OK)
        return fprintf(stderr, "nn-train: %s\n", why), 1;
    melody_batch *batch = calloc(1, sizeof *batch);
    int input_size = enc->input_size;
    float *input = calloc((size_t)input_size, sizeof *input);
    if (!batch || !input)
        return fprintf(stderr, "nn-train: out of memory\n"), 1;
    if (pipeline_melodies(enc, seq, batch, why) != MUSIC_OK)
        return fprintf(stderr, "nn-train: %s\n", why), 1;
    printf("# %s: input %d, classes %d; %d melodies (discarded: %d polyphonic, %d too short, %d too few pitches)\n",
           enc->name, input_size, music_melody_encoder_num_classes(&enc->melody), batch->count,
           batch->stats.polyphonic_tracks_discarded, batch->stats.melodies_discarded_too_short,
           batch->stats.melodies_discarded_too_few_pitches);
    int status = 0;
    for (int m = 0; m < batch->count; m++) {
        music_melody *mel = &batch->melodies[m];
        printf("# melody %d: steps %d..%d, transposed by %d\n", m, (int)mel->start_step, (int)mel->end_step,
               batch->shifts[m]);
        for (int i = 0; i < mel->length; i++) {
            int label = -1;
            if (music_melody_encoder_label(&enc->melody, mel->events, mel->length, i, &label) != MUSIC_OK)
                status = 1;
            printf("%6d  ", i);
            print_melody_event(mel->events[i]);
            printf("%4d", label);
            if (vectors && music_melody_encoder_input(&enc->melody, mel->events, mel->length, i, input) == MUSIC_OK)
                print_vector(input, input_size);
            putchar('\n');
        }
    }
    free(input);
    free(batch->events);
    free(batch);
    return status;
}

static int encode_drums(const encoding *enc, music_seq *seq, bool vectors, char *why)
{
    if (pipeline_quantize(enc, seq, why) != MUSIC_OK)
        return fprintf(stderr, "nn-train: %s\n", why), 1;
    music_drum_tracks tracks;
    music_drums_stats stats;
    if (pipeline_drums(seq, &tracks, &stats, why) != MUSIC_OK)
        return fprintf(stderr, "nn-train: %s\n", why), 1;
    music_lookback_config config = music_lookback_drum_kit();
    int input_size = enc->input_size;
    float *input = calloc((size_t)input_size, sizeof *input);
    if (!input)
        return fprintf(stderr, "nn-train: out of memory\n"), 1;
    printf("# drum_kit: input %d, classes %d; %d drum tracks (discarded: %d too short)\n", input_size,
           music_drum_lookback_num_classes(&enc->drum_map, &config), tracks.count, stats.discarded_too_short);
    for (int t = 0; t < tracks.count; t++) {
        const music_drum_track *track = &tracks.items[t];
        printf("# drum track %d: steps %d..%d\n", t, (int)track->start_step, (int)track->end_step);
        for (int i = 0; i < track->length; i++) {
            printf("%6d  ", i);
            int printed = 0;
            for (int pitch = 0; pitch < 128; pitch++)
                if (music_drum_event_has(&track->events[i], pitch))
                    printed += printf(printed ? ",%d" : "%d", pitch);
            printf("%*s%4d", printed < 12 ? 12 - printed : 1, printed ? "" : "-",
                   music_drum_lookback_label(&enc->drum_map, &config, track->events, track->length, i));
            if (vectors && music_drum_lookback_input(&enc->drum_map, &config, track->events, track->length, i, input,
                                                     input_size) == MUSIC_OK)
                print_vector(input, input_size);
            putchar('\n');
        }
    }
    free(input);
    music_drum_tracks_free(&tracks);
    return 0;
}

static int encode_performance(const encoding *enc, music_seq *seq, bool vectors, char *why)
{
    static const char *type_names[] = {"?", "note-on", "note-off", "shift", "velocity"};
    int velocity_bins = enc->velocity_bins;
    if (pipeline_quantize(enc, seq, why) != MUSIC_OK)
        return fprintf(stderr, "nn-train: %s\n", why), 1;
    music_performance *perfs = NULL;
    music_performance_stats stats;
    int count = 0;
    if (pipeline_performances(enc, seq, &perfs, &count, &stats, why) != MUSIC_OK)
        return fprintf(stderr, "nn-train: %s\n", why), 1;
    int classes = enc->num_classes;
    float *input = calloc((size_t)classes, sizeof *input);
    if (!input)
        return fprintf(stderr, "nn-train: out of memory\n"), 1;
    printf("# %s: input %d, classes %d; %d performances (discarded: %d too short, %d with several programs)\n",
           enc->name, classes, classes, count, stats.discarded_too_short, stats.discarded_more_than_1_program);
    int status = 0;
    for (int p = 0; p < count; p++) {
        printf("# performance %d: %d events from step %d\n", p, perfs[p].count, perfs[p].start_step);
        for (int i = 0; i < perfs[p].count; i++) {
            music_perf_event e = perfs[p].events[i];
            int cls = -1;
            if (music_perf_encode_event(e, velocity_bins, MUSIC_PERF_MAX_SHIFT_STEPS, &cls) != MUSIC_OK)
                status = 1;
            int type = e.type >= 1 && e.type <= 4 ? e.type : 0;
            printf("%6d  %-8s %4d %4d", i, type_names[type], e.value, cls);
            if (vectors && cls >= 0) {
                memset(input, 0, (size_t)classes * sizeof *input);
                input[cls] = 1.0f;
                print_vector(input, classes);
            }
            putchar('\n');
        }
    }
    performances_free(perfs, count);
    free(input);
    return status;
}

/* Improv RNN: the vectors are built from the chord names (music.h's chord encodings), not from
 * the dataset's chord words, so that comparing the two checks the words. */
static int encode_lead_sheets(const encoding *enc, music_seq *seq, bool vectors, bool infer, char *why)
{
    if (pipeline_quantize(enc, seq, why) != MUSIC_OK)
        return fprintf(stderr, "nn-train: %s\n", why), 1;
    if (!seq->chords.count) {
        if (!infer) {
            printf("# no chord symbols (--no-infer-chords): no lead sheets\n");
            return 0;
        }
        if (pipeline_infer_chords(seq, why) != MUSIC_OK) {
            printf("# no chord symbols, and chord inference failed: %s\n", why);
            return 0;
        }
        printf("# no chord symbols: %d inferred (note_seq.chord_inference defaults)\n", seq->chords.count);
    }
    lead_sheet_batch *batch = calloc(1, sizeof *batch);
    int input_size = enc->input_size, control = music_chord_encoding_size(enc->chords);
    float *input = calloc((size_t)input_size, sizeof *input);
    if (!batch || !input)
        return fprintf(stderr, "nn-train: out of memory\n"), 1;
    int status = 0;
    if (pipeline_lead_sheets(enc, seq, batch, why) != MUSIC_OK) {
        fprintf(stderr, "nn-train: %s\n", why);
        status = 1;
    }
    const music_melody_stats *ms = &batch->melodies.stats;
    printf("# %s: input %d, classes %d; %d melodies (discarded: %d polyphonic, %d too short, %d too few pitches; "
           "without a progression: %d coincident chords, %d only N.C., %d bad chord symbols)\n",
           enc->name, input_size, music_melody_encoder_num_classes(&enc->melody), batch->melodies.count,
           ms->polyphonic_tracks_discarded, ms->melodies_discarded_too_short, ms->melodies_discarded_too_few_pitches,
           batch->stats.coincident_chords, batch->stats.only_no_chord, batch->stats.bad_chord_symbols);
    for (int m = 0; m < batch->melodies.count && !status; m++) {
        const music_melody *mel = &batch->melodies.melodies[m];
        if (!batch->usable[m])
            continue;
        const char **names = batch->names + batch->offset[m];
        int *events = malloc((size_t)mel->length * sizeof *events);
        if (!events)
            return fprintf(stderr, "nn-train: out of memory\n"), 1;
        lead_sheet_transposed(enc, batch, m, 0, events, NULL);
        /* EncoderPipeline skips a lead sheet with a chord its encoding has no class for */
        for (int i = 0; i < mel->length; i++) {
            int index = 0;
            if (enc->chords == MUSIC_CHORD_ENCODING_TRIAD && music_chord_triad_encode(names[i], &index, why) != MUSIC_OK) {
                printf("# lead sheet %d skipped: %s\n", m, why);
                free(events);
                events = NULL;
                break;
            }
        }
        if (!events)
            continue;
        printf("# lead sheet %d: steps %d..%d (the input at step i holds the chord of step i+1)\n", m,
               (int)mel->start_step, (int)mel->end_step);
        for (int i = 0; i < mel->length; i++) {
            int label = -1;
            if (music_melody_encoder_label(&enc->melody, events, mel->length, i, &label) != MUSIC_OK)
                status = 1;
            printf("%6d  ", i);
            print_melody_event(events[i]);
            printf("%-8s%4d", names[i], label);
            if (vectors && i + 1 < mel->length) {
                int index = 0;
                bool ok = enc->chords == MUSIC_CHORD_ENCODING_TRIAD
                              ? music_chord_triad_encode(names[i + 1], &index, why) == MUSIC_OK
                              : music_chord_pitch_encode(names[i + 1], input, why) == MUSIC_OK;
                if (enc->chords == MUSIC_CHORD_ENCODING_TRIAD) {
                    memset(input, 0, (size_t)control * sizeof *input);
                    input[index] = 1.0f;
                }
                if (ok && music_melody_encoder_input(&enc->melody, events, mel->length, i, input + control) == MUSIC_OK)
                    print_vector(input, input_size);
                else
                    status = 1;
            }
            putchar('\n');
        }
        free(events);
    }
    lead_sheets_free(batch);
    free(batch);
    free(input);
    return status;
}

static int encode_genie(music_seq *seq, char *why)
{
    int capacity = seq->notes.count + 1, count = 0;
    int *keys = calloc((size_t)capacity, sizeof *keys), *bins = calloc((size_t)capacity, sizeof *bins);
    if (!keys || !bins)
        return fprintf(stderr, "nn-train: out of memory\n"), 1;
    if (music_genie_extract(seq, keys, bins, capacity, &count, why) != MUSIC_OK)
        return fprintf(stderr, "nn-train: %s\n", why), 1;
    printf("# piano_genie: %d notes; key 0..87 (MIDI pitch - 21), delta-time bin 0..32\n", count);
    for (int i = 0; i < count; i++)
        printf("%6d  %4d %4d\n", i, keys[i], bins[i]);
    free(keys);
    free(bins);
    return 0;
}

int command_encode(int argc, char **argv)
{
    const char *encoding_name = NULL, *path = NULL;
    bool vectors = false, infer = true;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--encoding") && i + 1 < argc)
            encoding_name = argv[++i];
        else if (!strcmp(argv[i], "--vectors"))
            vectors = true;
        else if (!strcmp(argv[i], "--no-infer-chords"))
            infer = false;
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "nn-train encode: unknown option %s\n", argv[i]);
            return 2;
        } else if (!path)
            path = argv[i];
        else {
            fprintf(stderr, "nn-train encode: one MIDI file at a time (got %s and %s)\n", path, argv[i]);
            return 2;
        }
    }
    if (!encoding_name || !path) {
        nn_train_usage(stderr);
        return 2;
    }
    encoding enc;
    if (!encoding_find(encoding_name, &enc)) {
        fprintf(stderr, "nn-train: unknown encoding '%s'\n", encoding_name);
        return 2;
    }
    char why[MUSIC_MESSAGE_SIZE];
    music_seq seq;
    music_seq_init(&seq);
    if (music_midi_read_file(path, &seq, why) != MUSIC_OK) {
        fprintf(stderr, "nn-train: %s\n", why);
        return 1;
    }
    if (enc.kind == KIND_GENIE) { /* Piano Genie's loader reads the whole performance */
        int status = encode_genie(&seq, why);
        music_seq_free(&seq);
        return status;
    }
    int added = 0;
    if (enc.kind == KIND_IMPROV) {
        if (pipeline_chord_file(path, &seq, &added, why) != MUSIC_OK) {
            fprintf(stderr, "nn-train: %s\n", why);
            music_seq_free(&seq);
            return 1;
        }
        if (added)
            printf("# %d chord symbols from the .chords file beside %s\n", added, path);
    }
    music_seq *pieces = NULL;
    int count = 0, status = 0;
    if (pipeline_split(&enc, &seq, &pieces, &count, why) != MUSIC_OK) {
        fprintf(stderr, "nn-train: %s: %s\n", path, why);
        music_seq_free(&seq);
        return 1;
    }
    for (int p = 0; p < count; p++) {
        if (count > 1)
            printf("# piece %d of %d (split as the %s pipeline splits)\n", p + 1, count, enc.name);
        if (enc.kind == KIND_DRUMS)
            status |= encode_drums(&enc, &pieces[p], vectors, why);
        else if (enc.kind == KIND_PERFORMANCE)
            status |= encode_performance(&enc, &pieces[p], vectors, why);
        else if (enc.kind == KIND_IMPROV)
            status |= encode_lead_sheets(&enc, &pieces[p], vectors, infer, why);
        else
            status |= encode_melodies(&enc, &pieces[p], vectors, why);
    }
    music_seq_pieces_free(pieces, count);
    music_seq_free(&seq);
    return status;
}
