/* nn-train — the suite's offline companion. This stage has `encode`: read a MIDI file, run
 * Magenta's pipeline for one encoding, and print what the model sees, one step per line.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "music.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *to)
{
    fputs("usage: nn-train encode --encoding NAME [--vectors] FILE.mid\n"
          "\n"
          "Runs Magenta's data pipeline for one encoding on a MIDI file and prints one step per\n"
          "line: the step, the event, its class index, and with --vectors the model's input\n"
          "vector at that step (the input at step i is what predicts the class at step i+1).\n"
          "\n"
          "encodings (Magenta's configurations):\n"
          "  basic_rnn, mono_rnn, lookback_rnn, attention_rnn   Melody RNN (4 steps per quarter)\n"
          "  drum_kit                                           Drums RNN (4 steps per quarter)\n"
          "  performance, performance_with_dynamics             Performance RNN (100 steps/s)\n"
          "  piano_genie                                        Piano Genie's keys and time bins\n",
          to);
}

/* Print an input vector compactly: 0/1 vectors as a bit string, others as numbers. */
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

static int encode_melodies(music_seq *seq, const char *config, bool vectors, char *why)
{
    music_melody_encoder encoder;
    music_melody_options options;
    if (music_melody_encoder_for_config(&encoder, config) != MUSIC_OK)
        return fprintf(stderr, "nn-train: unknown melody configuration '%s'\n", config), 2;
    music_melody_options_melody_rnn(&options);
    if (music_seq_quantize_relative(seq, 4, why) != MUSIC_OK)
        return fprintf(stderr, "nn-train: %s\n", why), 1;

    enum { MAX_MELODIES = 256 };
    int capacity = seq->total_steps * 2 + 1024, count = 0;
    int *events = calloc((size_t)capacity, sizeof *events);
    music_melody *melodies = calloc(MAX_MELODIES, sizeof *melodies);
    int input_size = music_melody_encoder_input_size(&encoder);
    float *input = calloc((size_t)input_size, sizeof *input);
    music_melody_stats stats = {0};
    if (!events || !melodies || !input)
        return fprintf(stderr, "nn-train: out of memory\n"), 1;
    music_status st = music_melody_extract(seq, &options, events, capacity, melodies, MAX_MELODIES, &count, &stats, why);
    if (st != MUSIC_OK && st != MUSIC_ERR_FULL)
        return fprintf(stderr, "nn-train: %s\n", why), 1;
    printf("# %s: input %d, classes %d; %d melodies (discarded: %d polyphonic, %d too short, %d too few pitches)\n",
           config, input_size, music_melody_encoder_num_classes(&encoder), count, stats.polyphonic_tracks_discarded,
           stats.melodies_discarded_too_short, stats.melodies_discarded_too_few_pitches);
    int status = 0;
    for (int m = 0; m < count && m < MAX_MELODIES; m++) {
        music_melody *mel = &melodies[m];
        int shift = music_melody_squash(mel, encoder.min_note, encoder.max_note, encoder.transpose_to_key);
        printf("# melody %d: steps %d..%d, transposed by %d\n", m, (int)mel->start_step, (int)mel->end_step, shift);
        for (int i = 0; i < mel->length; i++) {
            int label = -1;
            if (music_melody_encoder_label(&encoder, mel->events, mel->length, i, &label) != MUSIC_OK)
                status = 1;
            printf("%6d  ", i);
            print_melody_event(mel->events[i]);
            printf("%4d", label);
            if (vectors && music_melody_encoder_input(&encoder, mel->events, mel->length, i, input) == MUSIC_OK)
                print_vector(input, input_size);
            putchar('\n');
        }
    }
    free(input);
    free(melodies);
    free(events);
    return status;
}

static int encode_drums(music_seq *seq, bool vectors, char *why)
{
    if (music_seq_quantize_relative(seq, 4, why) != MUSIC_OK)
        return fprintf(stderr, "nn-train: %s\n", why), 1;
    music_drums_options options = music_drums_options_default();
    options.max_steps_truncate = 512; /* Drums RNN's DrumsExtractor */
    music_drum_tracks tracks = {0};
    music_drums_stats stats;
    if (music_drums_extract(seq, &options, &tracks, &stats, why) != MUSIC_OK)
        return fprintf(stderr, "nn-train: %s\n", why), 1;
    music_drum_map map;
    music_drum_map_default(&map);
    music_lookback_config config = music_lookback_drum_kit();
    int input_size = music_drum_lookback_input_size(&map, &config);
    float *input = calloc((size_t)input_size, sizeof *input);
    if (!input)
        return fprintf(stderr, "nn-train: out of memory\n"), 1;
    printf("# drum_kit: input %d, classes %d; %d drum tracks (discarded: %d too short)\n", input_size,
           music_drum_lookback_num_classes(&map, &config), tracks.count, stats.discarded_too_short);
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
                   music_drum_lookback_label(&map, &config, track->events, track->length, i));
            if (vectors &&
                music_drum_lookback_input(&map, &config, track->events, track->length, i, input, input_size) == MUSIC_OK)
                print_vector(input, input_size);
            putchar('\n');
        }
    }
    free(input);
    music_drum_tracks_free(&tracks);
    return 0;
}

static int encode_performance(music_seq *seq, int velocity_bins, bool vectors, char *why)
{
    static const char *type_names[] = {"?", "note-on", "note-off", "shift", "velocity"};
    /* Performance RNN's pipeline: sustain pedal applied, 100 steps per second, 512 events. */
    music_seq_apply_sustain(seq);
    if (music_seq_quantize_absolute(seq, MUSIC_PERF_STEPS_PER_SECOND, why) != MUSIC_OK)
        return fprintf(stderr, "nn-train: %s\n", why), 1;
    music_performance_options options = {.min_events_discard = 32, .max_events_truncate = 512,
                                         .num_velocity_bins = velocity_bins};
    music_performance *perfs = NULL;
    music_performance_stats stats = {0};
    int count = 0;
    if (music_performance_extract(seq, &options, &perfs, &count, &stats, why) != MUSIC_OK)
        return fprintf(stderr, "nn-train: %s\n", why), 1;
    int classes = music_perf_num_classes(velocity_bins, MUSIC_PERF_MAX_SHIFT_STEPS);
    float *input = calloc((size_t)classes, sizeof *input);
    if (!input)
        return fprintf(stderr, "nn-train: out of memory\n"), 1;
    printf("# performance%s: input %d, classes %d; %d performances (discarded: %d too short, %d with several programs)\n",
           velocity_bins ? "_with_dynamics" : "", classes, classes, count, stats.discarded_too_short,
           stats.discarded_more_than_1_program);
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
        music_performance_free(&perfs[p]);
    }
    free(perfs);
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

static int command_encode(int argc, char **argv)
{
    const char *encoding = NULL, *path = NULL;
    bool vectors = false;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--encoding") && i + 1 < argc)
            encoding = argv[++i];
        else if (!strcmp(argv[i], "--vectors"))
            vectors = true;
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
    if (!encoding || !path) {
        usage(stderr);
        return 2;
    }
    char why[MUSIC_MESSAGE_SIZE];
    music_seq seq;
    music_seq_init(&seq);
    if (music_midi_read_file(path, &seq, why) != MUSIC_OK) {
        fprintf(stderr, "nn-train: %s\n", why);
        return 1;
    }
    int status;
    if (!strcmp(encoding, "drum_kit"))
        status = encode_drums(&seq, vectors, why);
    else if (!strcmp(encoding, "performance"))
        status = encode_performance(&seq, 0, vectors, why);
    else if (!strcmp(encoding, "performance_with_dynamics"))
        status = encode_performance(&seq, MUSIC_PERF_VELOCITY_BINS, vectors, why);
    else if (!strcmp(encoding, "piano_genie"))
        status = encode_genie(&seq, why);
    else
        status = encode_melodies(&seq, encoding, vectors, why);
    music_seq_free(&seq);
    return status;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "encode"))
        return command_encode(argc - 2, argv + 2);
    usage(stderr);
    return 2;
}
