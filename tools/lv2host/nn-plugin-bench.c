/* nn-plugin-bench — time per callback of each plugin, as a share of the period.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 *   nn-plugin-bench [--quick | --long | --seconds S] [--plugin NAME]... [--fifo] [--lv2-path PATH]
 *
 * For Melody, Drums, Improv and Performance RNN and Piano Genie at 48 kHz, in blocks of 64 and
 * 256 frames, with (a) the starter model of the bundle (skipped, and said, when the bundle has
 * none) and (b) the largest Magenta configuration of the model with random weights (written here
 * with nn_writer, f16 kernels as nn-train exports them, and set by patch:Set as a host would;
 * Performance RNN: performance_with_dynamics 3 x 512; Piano Genie: the demo decoder): every
 * callback's wall time (lv2host_run: worker responses, run, end_run) while the transport rolls
 * at 120 bpm and the generators free-run (Improv RNN over the progression C Am F G7; Performance
 * RNN spreads each model step over calls, layer by layer), and while Piano Genie's buttons are
 * pressed 8 times a second (each press is decoded inside its callback, so those callbacks are the
 * worst), over 20 s of audio (--quick: 1 s, --long: 120 s). Prints a markdown
 * table of the median, the 99th percentile and the maximum as a percentage of the period
 * (64 / 48000 s, 256 / 48000 s), with the largest CPU time of a callback beside (a busy machine
 * preempts the thread: wall time includes that, CPU time does not; --fifo runs the callbacks under
 * SCHED_FIFO as a live host's audio thread would). A benchmark, not a test: the figures depend on
 * the machine and on what else runs on it.
 */
#include "lv2host.h"
#include "nn.h"

#include <lv2/atom/util.h>

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PLUGINS "http://magenta-lv2.org/plugins/"
#define MODEL_URI "http://magenta-lv2.org/plugins#model"
#define PROGRESSION_URI "http://magenta-lv2.org/plugins#progression"

enum { RATE = 48000 };

static const char *const plugin_names[] = {"melody_rnn", "drums_rnn", "improv_rnn", "performance_rnn", "piano_genie"};
static const char *const starter_models[] = {"attention_rnn", "drum_kit", "chord_pitches_improv",
                                             "performance_with_dynamics", "piano_genie"};
enum { PLUGIN_COUNT = sizeof plugin_names / sizeof *plugin_names };
static const int block_sizes[] = {64, 256};

/* Piano Genie's buttons: a press every RATE / PRESSES_PER_SECOND frames, held half of that, on
 * the default buttons 60 .. 67 in a scrambled order. */
enum { PRESSES_PER_SECOND = 8, PRESS_EVERY = RATE / PRESSES_PER_SECOND, PRESS_HOLD = PRESS_EVERY / 2 };

typedef enum bench_outcome { BENCH_FAILED, BENCH_DONE, BENCH_NO_STARTER } bench_outcome;

typedef struct result {
    double median, p99, max; /* wall time, percent of the period */
    double cpu_max;          /* the thread's CPU time, percent of the period */
    long notes, callbacks;
} result;

static double now_seconds(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Run callbacks with the transport stopped until the plugin notifies `path` as its model; an error
 * logged beyond the `errors` already counted fails. */
static bool wait_for_model(lv2host_plugin *p, lv2host_world *world, int control, int notify, uint32_t frames,
                           const char *path, int errors, char *why)
{
    LV2_URID model = lv2host_map(world, MODEL_URI);
    if (!lv2host_send_set_path(p, control, 0, model, path)) {
        snprintf(why, LV2HOST_MESSAGE_SIZE, "the patch:Set does not fit the control port");
        return false;
    }
    for (int i = 0; i < 8; i++) {
        lv2host_run(p, frames);
        LV2_ATOM_SEQUENCE_FOREACH (lv2host_sequence(p, notify), ev) {
            LV2_URID property;
            const LV2_Atom *value;
            if (lv2host_read_set(world, &ev->body, &property, &value) && property == model &&
                !strcmp((const char *)LV2_ATOM_BODY_CONST(value), path))
                return true;
        }
        lv2host_idle(p);
        if (lv2host_log_errors(p) > errors) {
            lv2host_last_error(p, why, LV2HOST_MESSAGE_SIZE);
            return false;
        }
    }
    snprintf(why, LV2HOST_MESSAGE_SIZE, "the plugin did not report %.400s as its model", path);
    return false;
}

/* Piano Genie's presses and releases due in [from, from + frames), sent at their frames. */
static void send_presses(lv2host_plugin *p, int control, int64_t from, uint32_t frames)
{
    static const uint8_t order[8] = {0, 3, 1, 6, 2, 7, 4, 5}; /* buttons in a scrambled order */
    for (int64_t t = from; t < from + (int64_t)frames; t++) {
        int64_t k = t / PRESS_EVERY, into = t % PRESS_EVERY;
        if (into != 0 && into != PRESS_HOLD)
            continue;
        uint8_t m[3] = {into ? 0x80 : 0x90, (uint8_t)(60 + order[k % 8]), into ? 0 : 100};
        lv2host_send_midi(p, control, (uint32_t)(t - from), m, 3);
    }
}

/* One case: a plugin, a model (NULL: the starter, `starter` in the bundle), a block size. */
static bench_outcome bench(lv2host_world *world, const char *name, const char *starter, const char *model_path,
                           uint32_t frames, double seconds, result *out)
{
    char uri[256], why[LV2HOST_MESSAGE_SIZE];
    snprintf(uri, sizeof uri, PLUGINS "%s", name);
    lv2host_config config = lv2host_config_default(RATE, frames);
    config.min_block = frames; /* every block is of this size */
    config.name = name;
    config.quiet = true; /* a bundle without its starter says so once per instance: counted, not printed */
    lv2host_plugin *p = lv2host_plugin_new(world, uri, &config, why);
    if (!p) {
        fprintf(stderr, "nn-plugin-bench: %s\n", why);
        return BENCH_FAILED;
    }
    if (!model_path) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s%s.nnm", lv2host_plugin_bundle(p), starter);
        if (access(path, R_OK) != 0) {
            lv2host_plugin_free(p);
            return BENCH_NO_STARTER;
        }
    }
    bool genie = !strcmp(name, "piano_genie"); /* buttons, no transport, no mode */
    int errors = lv2host_log_errors(p);
    int control = lv2host_port(p, "control"), midi_out = lv2host_port(p, "midi_out"), notify = lv2host_port(p, "notify");
    long callbacks = (long)(seconds * RATE / frames);
    double *times = malloc((size_t)callbacks * sizeof *times), cpu_max = 0;
    bool ok = control >= 0 && midi_out >= 0 && notify >= 0 && times && (genie || lv2host_set(p, "mode", 2));
    if (!ok)
        fprintf(stderr, "nn-plugin-bench: %s: missing ports or out of memory\n", name);
    if (ok && !strcmp(name, "improv_rnn")) {
        ok = lv2host_set(p, "chord_source", 1) &&
             lv2host_send_set_string(p, control, 0, lv2host_map(world, PROGRESSION_URI), "C Am F G7");
    }
    lv2host_activate(p);
    if (ok) {
        lv2host_transport t;
        lv2host_transport_init(&t, RATE, 120.0, 4.0, 4);
        lv2host_position stopped = lv2host_transport_position(&t);
        lv2host_send_position(p, control, 0, &stopped);
        lv2host_run(p, frames); /* the progression is worked on between the two */
        lv2host_idle(p);
        if (model_path && !wait_for_model(p, world, control, notify, frames, model_path, errors, why)) {
            fprintf(stderr, "nn-plugin-bench: %s: setting the model %s: %s\n", name, model_path, why);
            ok = false;
        }
        t.rolling = true;
        lv2host_position rolling = lv2host_transport_position(&t);
        if (!genie)
            lv2host_send_position(p, control, 0, &rolling);
        lv2host_notes notes;
        lv2host_notes_init(&notes);
        for (long i = 0; ok && i < callbacks; i++) {
            if (genie)
                send_presses(p, control, (int64_t)i * frames, frames);
            double cpu = now_seconds(CLOCK_THREAD_CPUTIME_ID), start = now_seconds(CLOCK_MONOTONIC);
            lv2host_run(p, frames);
            times[i] = now_seconds(CLOCK_MONOTONIC) - start;
            cpu = now_seconds(CLOCK_THREAD_CPUTIME_ID) - cpu;
            cpu_max = cpu > cpu_max ? cpu : cpu_max;
            LV2_ATOM_SEQUENCE_FOREACH (lv2host_sequence(p, midi_out), ev) {
                const uint8_t *m;
                uint32_t size;
                if (lv2host_read_midi(world, ev, &m, &size))
                    lv2host_notes_apply(&notes, m, size);
            }
            lv2host_idle(p);
        }
        if (ok && lv2host_log_errors(p) > errors) {
            lv2host_last_error(p, why, sizeof why);
            fprintf(stderr, "nn-plugin-bench: %s logged an error: %s\n", name, why);
            ok = false;
        }
        if (ok) {
            qsort(times, (size_t)callbacks, sizeof *times, compare_doubles);
            double period = (double)frames / RATE;
            long p99 = (long)((callbacks - 1) * 0.99 + 0.5);
            out->median = 100.0 * times[(callbacks - 1) / 2] / period;
            out->p99 = 100.0 * times[p99] / period;
            out->max = 100.0 * times[callbacks - 1] / period;
            out->cpu_max = 100.0 * cpu_max / period;
            out->notes = notes.note_ons;
            out->callbacks = callbacks;
        }
    }
    free(times);
    lv2host_plugin_free(p);
    return ok ? BENCH_DONE : BENCH_FAILED;
}

static int usage(void)
{
    fputs("usage: nn-plugin-bench [--quick | --long | --seconds S] [--plugin NAME]... [--fifo] [--lv2-path PATH]\n"
          "NAME: melody_rnn, drums_rnn, improv_rnn, performance_rnn, piano_genie (default: all)\n"
          "--fifo: run the callbacks under SCHED_FIFO, as an audio thread (needs the right to)\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    double seconds = 20.0;
    const char *lv2_path = NULL, *only[PLUGIN_COUNT];
    int only_count = 0;
    bool fifo = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quick"))
            seconds = 1.0;
        else if (!strcmp(a, "--long"))
            seconds = 120.0;
        else if (!strcmp(a, "--seconds") && v) {
            char *end;
            seconds = strtod(argv[++i], &end);
            if (*end || !(seconds >= 0.1 && seconds <= 3600)) {
                fprintf(stderr, "nn-plugin-bench: --seconds wants 0.1 to 3600, not '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--fifo"))
            fifo = true;
        else if (!strcmp(a, "--lv2-path") && v)
            lv2_path = argv[++i];
        else if (!strcmp(a, "--plugin") && v && only_count < PLUGIN_COUNT) {
            bool known = false;
            for (int k = 0; k < PLUGIN_COUNT; k++)
                known = known || !strcmp(v, plugin_names[k]);
            if (!known) {
                fprintf(stderr, "nn-plugin-bench: no plugin '%s'\n", v);
                return usage();
            }
            only[only_count++] = argv[++i];
        } else
            return usage();
    }
    char why[LV2HOST_MESSAGE_SIZE], dir[PATH_MAX];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/nn-plugin-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "nn-plugin-bench: cannot make a temporary folder: %s\n", strerror(errno));
        return 1;
    }
    lv2host_world *world = lv2host_world_new(lv2_path, why);
    if (!world) {
        fprintf(stderr, "nn-plugin-bench: %s\n", why);
        rmdir(dir);
        return 1;
    }
    const char *scheduling = "normal scheduling";
    if (fifo) {
        struct sched_param param = {.sched_priority = sched_get_priority_min(SCHED_FIFO) + 10};
        scheduling = sched_setscheduler(0, SCHED_FIFO, &param) == 0 ? "SCHED_FIFO" : "normal scheduling (SCHED_FIFO refused)";
    }
    printf("nn-plugin-bench: 48 kHz, %g s of audio per case, transport rolling at 120 bpm, free run; Piano Genie:\n"
           "%d presses a second; kernels %s; %s\n"
           "Wall time per callback (worker responses, run, end_run) as a share of the period; max CPU: the largest\n"
           "CPU time of one callback (without the time the thread was preempted).\n\n",
           seconds, PRESSES_PER_SECOND, nn_simd_active(), scheduling);
    printf("| plugin | model | frames | median %% | p99 %% | max %% | max CPU %% | notes |\n");
    printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    fflush(stdout);
    bool ok = true;
    double worst = -1; /* the figure: Performance RNN 3 x 512, 64 frames, the slowest callback */
    for (int k = 0; k < PLUGIN_COUNT; k++) {
        bool wanted = only_count == 0;
        for (int i = 0; i < only_count; i++)
            wanted = wanted || !strcmp(only[i], plugin_names[k]);
        if (!wanted)
            continue;
        const lv2host_model_shape *shape = lv2host_largest_model(plugin_names[k]);
        char largest[PATH_MAX + 64], label[128];
        snprintf(largest, sizeof largest, "%s/%s-largest.nnm", dir, plugin_names[k]);
        if (!lv2host_write_model(largest, shape, 1, 0.1f, why)) {
            fprintf(stderr, "nn-plugin-bench: %s\n", why);
            ok = false;
            continue;
        }
        for (int m = 0; m < 2; m++) {
            if (m == 0) {
                snprintf(label, sizeof label, "%s (starter)", starter_models[k]);
            } else {
                int n = snprintf(label, sizeof label, "%s [", shape->encoding);
                for (int l = 0; l < shape->num_layers; l++)
                    n += snprintf(label + n, sizeof label - (size_t)n, "%s%d", l ? "," : "", shape->units[l]);
                snprintf(label + n, sizeof label - (size_t)n, "]%s%s (largest, random weights)",
                         shape->attn_length ? " attn" : "", shape->projection ? " input projection" : "");
            }
            for (size_t b = 0; b < sizeof block_sizes / sizeof *block_sizes; b++) {
                result r;
                bench_outcome done = bench(world, plugin_names[k], starter_models[k], m ? largest : NULL,
                                           (uint32_t)block_sizes[b], seconds, &r);
                if (done == BENCH_NO_STARTER) {
                    printf("| %s | %s | %d | no %s.nnm in the bundle | | | | |\n", plugin_names[k], label,
                           block_sizes[b], starter_models[k]);
                    continue;
                }
                if (done == BENCH_FAILED) {
                    ok = false;
                    continue;
                }
                if (m == 1 && block_sizes[b] == 64 && !strcmp(plugin_names[k], "performance_rnn"))
                    worst = r.max;
                printf("| %s | %s | %d | %.3f | %.2f | %.2f | %.2f | %ld |\n", plugin_names[k], label, block_sizes[b],
                       r.median, r.p99, r.max, r.cpu_max, r.notes);
                fflush(stdout);
            }
        }
        unlink(largest);
    }
    if (worst >= 0)
        printf("\nWorst callback of Performance RNN 3 x 512 at 64 frames: %.1f %% of the period (%.0f us of %.0f us)\n",
               worst, worst * 64.0 / RATE * 1e4, 64.0 / RATE * 1e6);
    lv2host_world_free(world);
    rmdir(dir);
    return ok ? 0 : 1;
}
