/* train.c — `nn-train melody|drums|improv|performance`: train Magenta's Melody, Drums, Improv
 * and Performance RNN (its unconditioned configurations: the datasets hold no control signals) on a
 * dataset from `nn-train data`, with Magenta's configurations as presets. Per epoch: evaluation,
 * the CSV log and the loss curve, the best model so far (early stopping), a checkpoint. Ctrl-C
 * saves a checkpoint; --resume continues a run exactly where it stopped.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn-train.h"
#include "report.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- Presets: the default_configs of melody_rnn_model, drums_rnn_model, improv_rnn_model,
 * performance_model ---- */

typedef struct preset {
    const char *name, *command;
    int layers, units[3], attn_length;
    float keep_prob, clip_norm, learning_rate;
    int batch;
} preset;

static const preset PRESETS[] = {
    {"basic_rnn", "melody", 2, {128, 128}, 0, 0.5f, 5, 0.001f, 128},
    {"mono_rnn", "melody", 2, {128, 128}, 0, 0.5f, 5, 0.001f, 128},
    {"lookback_rnn", "melody", 2, {128, 128}, 0, 0.5f, 5, 0.001f, 128},
    {"attention_rnn", "melody", 2, {128, 128}, 40, 0.5f, 3, 0.001f, 128},
    {"drum_kit", "drums", 3, {256, 256, 256}, 32, 0.5f, 3, 0.001f, 128},
    {"basic_improv", "improv", 2, {64, 64}, 0, 0.5f, 5, 0.001f, 128},
    {"attention_improv", "improv", 3, {128, 128, 128}, 40, 0.5f, 3, 0.001f, 128},
    {"chord_pitches_improv", "improv", 3, {256, 256, 256}, 0, 0.5f, 3, 0.001f, 128},
    {"performance", "performance", 3, {512, 512, 512}, 0, 1.0f, 3, 0.001f, 64},
    {"performance_with_dynamics", "performance", 3, {512, 512, 512}, 0, 1.0f, 3, 0.001f, 64},
};

/* Model files hold strings of at most NN_HPARAM_STRING_MAX (23) characters, and some of Magenta's
 * configuration names are longer ("performance_with_dynamics"): files store the name cut to that
 * length, and names are compared on it. */
static bool same_config(const char *a, const char *b)
{
    return !strncmp(a, b, NN_HPARAM_STRING_MAX);
}

static void set_name(nn_writer *w, const char *key, const char *value)
{
    char cut[NN_HPARAM_STRING_MAX + 1];
    snprintf(cut, sizeof cut, "%s", value);
    nn_writer_set_string(w, key, cut);
}

static const preset *preset_find(const char *name)
{
    for (size_t i = 0; i < sizeof PRESETS / sizeof *PRESETS; i++)
        if (same_config(PRESETS[i].name, name))
            return &PRESETS[i];
    return NULL;
}

/* ---- Options --------------------------------------------------------------------------------- */

typedef enum schedule { SCHEDULE_CONSTANT, SCHEDULE_EXPONENTIAL, SCHEDULE_COSINE } schedule;
typedef enum weights { WEIGHTS_AUTO, WEIGHTS_F32, WEIGHTS_F16 } weights;

typedef struct options {
    const char *command, *config, *data, *out, *resume;
    nn_train_event_rnn model;
    int batch, shard, threads;
    float clip_norm, learning_rate;
    schedule schedule;
    int decay_steps, warmup;
    float decay_rate;
    int epochs, patience, log_every, checkpoint_minutes;
    int64_t max_steps;
    uint64_t seed;
    weights weights;
    bool quiet;
    bool model_options; /* any option that shapes the model or the optimizer was given */
} options;

static void usage_train(FILE *to)
{
    fputs("usage: nn-train melody|drums|improv|performance --data FILE.nnd --out MODEL [options]\n"
          "       nn-train melody|drums|improv|performance --resume CHECKPOINT --data FILE.nnd --out MODEL\n"
          "\n"
          "  --config NAME        Magenta's configuration (default: the dataset's encoding):\n"
          "                       melody: basic_rnn mono_rnn lookback_rnn attention_rnn; drums: drum_kit;\n"
          "                       improv: basic_improv attention_improv chord_pitches_improv;\n"
          "                       performance: performance performance_with_dynamics\n"
          "  --layers 128,128     LSTM units per layer          --attn-length N   attention window (0: none)\n"
          "  --keep-prob P        dropout keep probability      --forget-bias B   (1.0)\n"
          "  --batch N            sequences per step            --learning-rate R\n"
          "  --clip-norm C        per-variable gradient clip (0: none)\n"
          "  --schedule constant|exponential:STEPS:RATE|cosine   --warmup STEPS\n"
          "  --epochs N (20)      --steps N (stop after N steps in all)   --patience N (5; 0: never stop early)\n"
          "  --threads N          (all cores)   --shard N (32: sequences per unit of work; fixes the sums)\n"
          "  --seed N (1)         --weights auto|f32|f16 (auto: f16 unless it costs eval loss)\n"
          "  --log-every N (10 steps)   --checkpoint-minutes M (10)   --quiet\n"
          "\n"
          "Writes MODEL (the best model by eval loss), MODEL.ckpt (resumable state), MODEL.csv (log) and\n"
          "MODEL.svg (loss curve). Ctrl-C saves the checkpoint and stops; --resume CHECKPOINT continues.\n"
          "Built with MPI, `mpirun -np N nn-train ...` splits each batch between the processes and gives\n"
          "the same model as one process with the same shard size.\n",
          to);
}

static bool parse_float(const char *text, double lo, double hi, float *out)
{
    double v;
    if (!option_double(text, lo, hi, &v))
        return false;
    *out = (float)v;
    return true;
}

static int bad_value(const char *option, const char *value, const char *expected)
{
    fprintf(stderr, "nn-train: %s %s: expected %s\n", option, value, expected);
    return 2;
}

static int parse_layers(const char *text, nn_train_event_rnn *m)
{
    int n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 8192 || n == NN_TRAIN_MAX_LAYERS || (*end && *end != ','))
            return -1;
        m->units[n++] = (int)v;
        p = *end ? end + 1 : end;
    }
    m->layers = n;
    return n ? 0 : -1;
}

static int parse_options(int argc, char **argv, options *o)
{
    *o = (options){.command = argv[0], .threads = (int)sysconf(_SC_NPROCESSORS_ONLN), .shard = 32, .epochs = 20,
                   .patience = 5, .log_every = 10, .checkpoint_minutes = 10, .seed = 1, .batch = -1};
    o->model.forget_bias = 1.0f, o->learning_rate = -1, o->clip_norm = -1, o->model.keep_prob = -1,
    o->model.attn_length = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int64_t n;
        if (!strcmp(a, "--quiet")) {
            o->quiet = true;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage_train(stdout);
            exit(0);
        }
        if (!v || strncmp(a, "--", 2)) {
            fprintf(stderr, "nn-train: %s: %s\n", a, v ? "unknown argument" : "missing value");
            usage_train(stderr);
            return 2;
        }
        i++;
        bool shapes = true; /* whether the option shapes the model or the optimizer */
        if (!strcmp(a, "--data")) o->data = v, shapes = false;
        else if (!strcmp(a, "--out")) o->out = v, shapes = false;
        else if (!strcmp(a, "--resume")) o->resume = v, shapes = false;
        else if (!strcmp(a, "--config")) o->config = v;
        else if (!strcmp(a, "--layers")) {
            if (parse_layers(v, &o->model))
                return bad_value(a, v, "units per layer, e.g. 128,128 (1..8 layers of 1..8192)");
        } else if (!strcmp(a, "--attn-length")) {
            if (!option_int(v, 0, 4096, &n)) return bad_value(a, v, "0..4096");
            o->model.attn_length = (int)n;
        } else if (!strcmp(a, "--keep-prob")) {
            if (!parse_float(v, 1e-3, 1, &o->model.keep_prob)) return bad_value(a, v, "a probability in (0, 1]");
        } else if (!strcmp(a, "--forget-bias")) {
            if (!parse_float(v, -100, 100, &o->model.forget_bias)) return bad_value(a, v, "-100..100");
        } else if (!strcmp(a, "--batch")) {
            if (!option_int(v, 1, 65536, &n)) return bad_value(a, v, "1..65536");
            o->batch = (int)n;
        } else if (!strcmp(a, "--shard")) {
            if (!option_int(v, 1, 4096, &n)) return bad_value(a, v, "1..4096");
            o->shard = (int)n;
        } else if (!strcmp(a, "--learning-rate")) {
            if (!parse_float(v, 1e-9, 10, &o->learning_rate)) return bad_value(a, v, "1e-9..10");
        } else if (!strcmp(a, "--clip-norm")) {
            if (!parse_float(v, 0, 1e6, &o->clip_norm)) return bad_value(a, v, "0..1e6");
        } else if (!strcmp(a, "--schedule")) {
            int steps;
            float rate;
            char rest;
            if (!strcmp(v, "constant")) o->schedule = SCHEDULE_CONSTANT;
            else if (!strcmp(v, "cosine")) o->schedule = SCHEDULE_COSINE;
            else if (sscanf(v, "exponential:%d:%f%c", &steps, &rate, &rest) == 2 && steps > 0 && rate > 0 && rate <= 1)
                o->schedule = SCHEDULE_EXPONENTIAL, o->decay_steps = steps, o->decay_rate = rate;
            else
                return bad_value(a, v, "constant, cosine or exponential:STEPS:RATE (e.g. exponential:1000:0.95)");
        } else if (!strcmp(a, "--warmup")) {
            if (!option_int(v, 0, 100000000, &n)) return bad_value(a, v, "0..1e8 steps");
            o->warmup = (int)n;
        } else if (!strcmp(a, "--epochs")) {
            if (!option_int(v, 1, 1000000, &n)) return bad_value(a, v, "1..1000000");
            o->epochs = (int)n, shapes = false;
        } else if (!strcmp(a, "--steps")) {
            if (!option_int(v, 1, INT64_MAX / 8, &n)) return bad_value(a, v, "a positive step count");
            o->max_steps = n, shapes = false;
        } else if (!strcmp(a, "--patience")) {
            if (!option_int(v, 0, 1000000, &n)) return bad_value(a, v, "0..1000000 epochs");
            o->patience = (int)n, shapes = false;
        } else if (!strcmp(a, "--threads")) {
            if (!option_int(v, 1, 1024, &n)) return bad_value(a, v, "1..1024");
            o->threads = (int)n, shapes = false;
        } else if (!strcmp(a, "--seed")) {
            if (!option_int(v, 0, INT64_MAX, &n)) return bad_value(a, v, "a non-negative integer");
            o->seed = (uint64_t)n;
        } else if (!strcmp(a, "--weights")) {
            if (!strcmp(v, "auto")) o->weights = WEIGHTS_AUTO;
            else if (!strcmp(v, "f32")) o->weights = WEIGHTS_F32;
            else if (!strcmp(v, "f16")) o->weights = WEIGHTS_F16;
            else return bad_value(a, v, "auto, f32 or f16");
            shapes = false;
        } else if (!strcmp(a, "--log-every")) {
            if (!option_int(v, 1, 1000000, &n)) return bad_value(a, v, "1..1000000 steps");
            o->log_every = (int)n, shapes = false;
        } else if (!strcmp(a, "--checkpoint-minutes")) {
            if (!option_int(v, 0, 100000, &n)) return bad_value(a, v, "0..100000 (0: only at epoch ends)");
            o->checkpoint_minutes = (int)n, shapes = false;
        } else {
            fprintf(stderr, "nn-train: %s: unknown option\n", a);
            usage_train(stderr);
            return 2;
        }
        o->model_options |= shapes;
    }
    if (!o->data || !o->out) {
        fprintf(stderr, "nn-train %s: %s is required\n", o->command, !o->data ? "--data FILE.nnd" : "--out MODEL");
        return 2;
    }
    if (o->resume && o->model_options) {
        fprintf(stderr, "nn-train %s: --resume continues the run as it was set up; only --epochs, --steps, "
                        "--patience, --threads, --weights, --log-every and --checkpoint-minutes may be given with it\n",
                o->command);
        return 2;
    }
    return 0;
}

/* Fill what the preset decides and the command line left open. */
static int apply_preset(options *o, const char *encoding_name)
{
    const char *name = o->config ? o->config : encoding_name;
    const preset *p = preset_find(name);
    if (!p) {
        fprintf(stderr, "nn-train %s: no configuration '%s'; see nn-train %s --help\n", o->command, name, o->command);
        return 2;
    }
    if (strcmp(p->command, o->command)) {
        fprintf(stderr, "nn-train %s: '%s' is a configuration of nn-train %s\n", o->command, name, p->command);
        return 2;
    }
    if (!same_config(name, encoding_name)) {
        fprintf(stderr, "nn-train %s: %s holds '%s' data; configuration '%s' needs a dataset made with "
                        "`nn-train data --encoding %s`\n", o->command, o->data, encoding_name, name, name);
        return 2;
    }
    o->config = p->name;
    if (!o->model.layers) {
        o->model.layers = p->layers;
        memcpy(o->model.units, p->units, sizeof p->units);
    }
    if (o->model.attn_length < 0) o->model.attn_length = p->attn_length;
    if (o->model.keep_prob < 0) o->model.keep_prob = p->keep_prob;
    if (o->clip_norm < 0) o->clip_norm = p->clip_norm;
    if (o->learning_rate < 0) o->learning_rate = p->learning_rate;
    if (o->batch < 0) o->batch = p->batch;
    return 0;
}

static float learning_rate_at(const options *o, int64_t step, int64_t total_steps)
{
    double lr = o->learning_rate;
    if (o->schedule == SCHEDULE_EXPONENTIAL) /* tf.train.exponential_decay, not staircase */
        lr *= pow(o->decay_rate, (double)step / o->decay_steps);
    else if (o->schedule == SCHEDULE_COSINE && total_steps > 0)
        lr *= 0.5 * (1.0 + cos(M_PI * fmin(1.0, (double)step / (double)total_steps)));
    if (o->warmup > 0 && step < o->warmup)
        lr *= (double)(step + 1) / o->warmup;
    return (float)lr;
}

/* ---- The dataset as a trainer_source ----------------------------------------------------------- */

typedef struct data_source {
    dataset *data;
    encoding enc;
    int capacity; /* the longest record's steps */
} data_source;

static int source_length(void *ctx, int64_t record)
{
    data_source *d = ctx;
    int steps = dataset_record_at(d->data, (uint64_t)record).length;
    return steps > 1 ? steps - 1 : 0; /* the input at step i predicts the class at i + 1 */
}

static int source_record(void *ctx, int64_t record, float *inputs, int *labels, int capacity, char *why)
{
    data_source *d = ctx;
    int steps = dataset_record_at(d->data, (uint64_t)record).length;
    if (steps - 1 > capacity)
        return snprintf(why, WHY_SIZE, "record %lld is longer than planned", (long long)record), -1;
    uint16_t classes[steps > 0 ? steps : 1];
    uint32_t chords[steps > 0 ? steps : 1];
    if (dataset_read(d->data, (uint64_t)record, classes, chords, why) != NN_OK ||
        features_of_record(&d->enc, classes, chords, steps, inputs, labels, why) != NN_OK)
        return -1;
    return steps > 1 ? steps - 1 : 0;
}

/* ---- Checkpoints and models ------------------------------------------------------------------- */

typedef struct run_state {
    int64_t step, batch_in_epoch;
    int epoch, best_epoch, bad_epochs;
    double best_eval, seconds;
} run_state;

/* The checkpoint's numbers, written and read from these lists: (hyperparameter, INT or FLOAT,
 * where the value lives). The run's set-up, then where it stands. */
#define SETUP_FIELDS(X, o)                                                                                 \
    X("input_size", INT, (o)->model.input) X("num_classes", INT, (o)->model.classes)                      \
    X("num_layers", INT, (o)->model.layers) X("attn_length", INT, (o)->model.attn_length)                 \
    X("forget_bias", FLOAT, (o)->model.forget_bias) X("keep_prob", FLOAT, (o)->model.keep_prob)           \
    X("batch", INT, (o)->batch) X("shard", INT, (o)->shard) X("clip_norm", FLOAT, (o)->clip_norm)         \
    X("learning_rate", FLOAT, (o)->learning_rate) X("schedule", INT, (o)->schedule)                       \
    X("decay_steps", INT, (o)->decay_steps) X("decay_rate", FLOAT, (o)->decay_rate)                       \
    X("warmup", INT, (o)->warmup) X("seed", INT, (o)->seed)
#define STATE_FIELDS(X, s)                                                                                 \
    X("step", INT, (s)->step) X("epoch", INT, (s)->epoch) X("batch_in_epoch", INT, (s)->batch_in_epoch)   \
    X("best_epoch", INT, (s)->best_epoch) X("bad_epochs", INT, (s)->bad_epochs)                           \
    X("best_eval", FLOAT, (s)->best_eval) X("seconds", FLOAT, (s)->seconds)

#define WRITE_FIELD(name, type, value) WRITE_##type(name, value);
#define WRITE_INT(name, value) nn_writer_set_int(w, name, (int64_t)(value))
#define WRITE_FLOAT(name, value) nn_writer_set_float(w, name, (double)(value))
#define READ_FIELD(name, type, value) (value) = (__typeof__(value))READ_##type(name);
#define READ_INT(name) nn_model_int(m, name, 0)
#define READ_FLOAT(name) nn_model_float(m, name, NAN)

/* The units of each layer, one hyperparameter each. */
static void units_name(int layer, char *name, size_t size) { snprintf(name, size, "units_%d", layer); }

static int save_checkpoint(const options *o, trainer *t, const run_state *s, const history *h, const char *path,
                           const char *encoding_name, char *why)
{
    nn_writer *w = NULL;
    if (nn_writer_new(NN_KIND_TRAIN_CHECKPOINT, &w) != NN_OK)
        return snprintf(why, WHY_SIZE, "out of memory"), -1;
    char name[NN_TENSOR_NAME_MAX + 1];
    nn_writer_set_string(w, "command", o->command);
    set_name(w, "config", o->config);
    set_name(w, "encoding", encoding_name);
    SETUP_FIELDS(WRITE_FIELD, o)
    STATE_FIELDS(WRITE_FIELD, s)
    for (int l = 0; l < o->model.layers; l++) {
        units_name(l, name, sizeof name);
        nn_writer_set_int(w, name, o->model.units[l]);
    }
    const nn_train_tensor *tensors;
    int count = trainer_tensors(t, &tensors);
    const float *arrays[3] = {trainer_params(t), trainer_adam_m(t), trainer_adam_v(t)};
    const char *prefix[3] = {"", "adam_m/", "adam_v/"};
    nn_status st = NN_OK;
    for (int a = 0; a < 3 && st == NN_OK; a++)
        for (int k = 0; k < count && st == NN_OK; k++) {
            snprintf(name, sizeof name, "%s%s", prefix[a], tensors[k].name);
            int dims[2] = {tensors[k].rows, tensors[k].cols};
            st = nn_writer_add(w, name, NN_F32, 2, dims, arrays[a] + tensors[k].offset);
        }
    if (st == NN_OK && h->count > 0) {
        /* The log travels with the checkpoint, so a resumed run's CSV and curve are whole. */
        float *rows = malloc((size_t)h->count * (2 + HISTORY_COLUMNS) * sizeof *rows);
        if (!rows)
            st = NN_ERR_MEMORY;
        for (int i = 0; rows && i < h->count; i++) {
            const history_row *r = &h->rows[i];
            float *f = rows + (size_t)i * (2 + HISTORY_COLUMNS);
            double v[2 + HISTORY_COLUMNS] = {(double)r->step, r->epoch, r->seconds, r->learning_rate,
                                             r->train_loss, r->train_accuracy, r->eval_loss, r->eval_accuracy};
            for (int c = 0; c < 2 + HISTORY_COLUMNS; c++)
                f[c] = (float)v[c];
        }
        int dims[2] = {h->count, 2 + HISTORY_COLUMNS};
        if (rows)
            st = nn_writer_add(w, "history", NN_F32, 2, dims, rows);
        free(rows);
    }
    char message[NN_MESSAGE_SIZE] = "";
    if (st == NN_OK)
        st = nn_writer_save(w, path, message);
    nn_writer_free(w);
    if (st != NN_OK)
        return snprintf(why, WHY_SIZE, "%s", message[0] ? message : nn_status_text(st)), -1;
    return 0;
}

/* Read a checkpoint's set-up into `o` (before the trainer exists). */
static int read_checkpoint_setup(const char *path, options *o, const char *encoding_name, nn_model **out, char *why)
{
    char message[NN_MESSAGE_SIZE];
    nn_model *m = NULL;
    if (nn_model_load(path, &m, message) != NN_OK)
        return snprintf(why, WHY_SIZE, "%s", message), -1;
    if (nn_model_kind(m) != NN_KIND_TRAIN_CHECKPOINT) {
        snprintf(why, WHY_SIZE, "%s: an %s model file, not an nn-train checkpoint (the run's MODEL.ckpt)", path,
                 nn_kind_name(nn_model_kind(m)));
        nn_model_free(m);
        return -1;
    }
    const char *command = nn_model_string(m, "command", ""), *enc = nn_model_string(m, "encoding", "");
    if (strcmp(command, o->command) || !same_config(enc, encoding_name)) {
        snprintf(why, WHY_SIZE, "%s: a checkpoint of `nn-train %s` on '%s' data, not of `nn-train %s` on '%s' data",
                 path, command, enc, o->command, encoding_name);
        nn_model_free(m);
        return -1;
    }
    static char config[NN_HPARAM_STRING_MAX + 1];
    snprintf(config, sizeof config, "%s", nn_model_string(m, "config", ""));
    o->config = config;
    message[0] = 0;
    SETUP_FIELDS(READ_FIELD, o)
    for (int l = 0; l < o->model.layers && l < NN_TRAIN_MAX_LAYERS; l++) {
        char name[32];
        units_name(l, name, sizeof name);
        o->model.units[l] = (int)nn_model_int(m, name, 0);
    }
    /* Whatever wrote it, the set-up must make sense before anything is sized by it. */
    if (nn_train_event_rnn_check(&o->model, message) != NN_OK || o->batch < 1 || o->shard < 1 ||
        !(o->learning_rate > 0) || !(o->clip_norm >= 0)) {
        snprintf(why, WHY_SIZE, "%.200s: the checkpoint's set-up is damaged (%.250s)", path,
                 message[0] ? message : "batch, shard, learning rate or clip norm out of range");
        nn_model_free(m);
        return -1;
    }
    *out = m;
    return 0;
}

/* Copy the checkpoint's arrays and counters into the trainer; every shape is checked. */
static int restore_checkpoint(const char *path, const nn_model *m, trainer *t, run_state *s, history *h, char *why)
{
    const nn_train_tensor *tensors;
    int count = trainer_tensors(t, &tensors);
    float *arrays[3] = {trainer_params(t), trainer_adam_m(t), trainer_adam_v(t)};
    const char *prefix[3] = {"", "adam_m/", "adam_v/"};
    for (int a = 0; a < 3; a++)
        for (int k = 0; k < count; k++) {
            char name[NN_TENSOR_NAME_MAX + 1];
            snprintf(name, sizeof name, "%s%s", prefix[a], tensors[k].name);
            int found = -1;
            for (int i = 0; i < nn_model_tensor_count(m) && found < 0; i++) {
                nn_tensor_info info;
                nn_model_tensor(m, i, &info);
                if (!strcmp(info.name, name))
                    found = info.count == (size_t)tensors[k].rows * tensors[k].cols ? i : -2;
            }
            if (found < 0)
                return snprintf(why, WHY_SIZE, "%s: tensor '%s' is %s", path, name, found == -1 ? "missing" : "of another shape"), -1;
            memcpy(arrays[a] + tensors[k].offset, nn_model_tensor_data(m, found),
                   (size_t)tensors[k].rows * tensors[k].cols * sizeof(float));
        }
    STATE_FIELDS(READ_FIELD, s)
    for (int i = 0; i < nn_model_tensor_count(m); i++) {
        nn_tensor_info info;
        nn_model_tensor(m, i, &info);
        if (strcmp(info.name, "history") || info.ndim != 2 || info.dims[1] != 2 + HISTORY_COLUMNS)
            continue;
        const float *f = nn_model_tensor_data(m, i);
        for (int r = 0; r < info.dims[0]; r++, f += 2 + HISTORY_COLUMNS) {
            history_row row = {(int64_t)f[0], (int)f[1], f[2], f[3], f[4], f[5], f[6], f[7]};
            if (history_add(h, &row))
                return snprintf(why, WHY_SIZE, "out of memory"), -1;
        }
    }
    return 0;
}

static float round_f16(float x) { return nn_f16_to_f32(nn_f32_to_f16(x)); }

/* The model file the plugins load: kind event_rnn, kernels as `dtype`, biases f32. */
static int save_model(const options *o, const nn_train_tensor *tensors, int count, const float *params, nn_dtype dtype,
                      const char *encoding_name, const nn_train_metrics *eval, int64_t step, char *why)
{
    nn_writer *w = NULL;
    if (nn_writer_new(NN_KIND_EVENT_RNN, &w) != NN_OK)
        return snprintf(why, WHY_SIZE, "out of memory"), -1;
    nn_writer_set_int(w, "input_size", o->model.input);
    nn_writer_set_int(w, "num_classes", o->model.classes);
    nn_writer_set_int(w, "num_layers", o->model.layers);
    nn_writer_set_float(w, "forget_bias", o->model.forget_bias);
    if (o->model.attn_length > 0)
        nn_writer_set_int(w, "attn_length", o->model.attn_length);
    set_name(w, "encoding", encoding_name);
    nn_writer_set_int(w, "train_steps", step);
    if (eval && eval->steps > 0) {
        nn_writer_set_float(w, "eval_loss", eval->loss_sum / (double)eval->steps);
        nn_writer_set_float(w, "eval_accuracy", (double)eval->correct / (double)eval->steps);
    }
    nn_status st = NN_OK;
    for (int k = 0; k < count && st == NN_OK; k++) {
        const nn_train_tensor *e = &tensors[k];
        bool vector = e->rows == 1;
        int dims[2] = {e->rows, e->cols};
        st = nn_writer_add(w, e->name, vector ? NN_F32 : dtype, vector ? 1 : 2, vector ? dims + 1 : dims, params + e->offset);
    }
    char message[NN_MESSAGE_SIZE] = "";
    if (st == NN_OK)
        st = nn_writer_save(w, o->out, message);
    nn_writer_free(w);
    if (st != NN_OK)
        return snprintf(why, WHY_SIZE, "%s", message[0] ? message : nn_status_text(st)), -1;
    return 0;
}

/* ---- The run ---------------------------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { (void)sig, interrupted = 1; }

/* PCG-style mixing: a permutation of the training records that depends on (seed, epoch) only. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 33, x *= 0xff51afd7ed558ccdULL, x ^= x >> 33, x *= 0xc4ceb9fe1a85ec53ULL, x ^= x >> 33;
    return x;
}

static void shuffle(int64_t *ids, int64_t n, uint64_t seed, int epoch)
{
    uint64_t state = mix(seed * 0x9e3779b97f4a7c15ULL + (uint64_t)epoch + 1);
    for (int64_t i = n - 1; i > 0; i--) {
        state = mix(state + 0x9e3779b97f4a7c15ULL);
        int64_t j = (int64_t)(state % (uint64_t)(i + 1)), tmp = ids[i];
        ids[i] = ids[j], ids[j] = tmp;
    }
}

static void path_with(const char *out, const char *suffix, char *path, size_t size)
{
    snprintf(path, size, "%s%s", out, suffix);
}

int command_train(int argc, char **argv)
{
    options o;
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc;
    char why[WHY_SIZE];
    team *workers = NULL;
    if (team_new(&argc, &argv, o.threads, &workers, why)) {
        fprintf(stderr, "nn-train: %s\n", why);
        return 1;
    }
    bool lead = team_rank(workers) == 0; /* the process that prints and writes */
    FILE *info = lead && !o.quiet ? stderr : NULL;
    data_source src = {0};
    trainer *t = NULL;
    nn_model *checkpoint = NULL;
    history h = {0};
    int64_t *train_ids = NULL, *train_order = NULL, *eval_ids = NULL;
    float *best = NULL;
    rc = 1;

    if (dataset_open(o.data, &src.data, why) != NN_OK) {
        fprintf(stderr, "nn-train: %s\n", why);
        goto done;
    }
    src.enc = *dataset_encoding(src.data);
    const char *encoding_name = src.enc.name;
    if (o.resume) {
        if (read_checkpoint_setup(o.resume, &o, encoding_name, &checkpoint, why)) {
            fprintf(stderr, "nn-train: %s\n", why);
            goto done;
        }
    } else if ((rc = apply_preset(&o, encoding_name)) != 0) {
        goto done;
    }
    rc = 1;
    o.model.input = features_input_size(&src.enc);
    o.model.classes = features_num_classes(&src.enc);

    int64_t records = (int64_t)dataset_get_info(src.data)->records, n_train = 0, n_eval = 0;
    train_ids = malloc((size_t)(records ? records : 1) * sizeof *train_ids);
    train_order = malloc((size_t)(records ? records : 1) * sizeof *train_order);
    eval_ids = malloc((size_t)(records ? records : 1) * sizeof *eval_ids);
    if (!train_ids || !train_order || !eval_ids) {
        fprintf(stderr, "nn-train: out of memory for the index of %lld records\n", (long long)records);
        goto done;
    }
    int longest = 0;
    for (int64_t r = 0; r < records; r++) {
        dataset_record rec = dataset_record_at(src.data, (uint64_t)r);
        if (rec.eval)
            eval_ids[n_eval++] = r;
        else
            train_order[n_train++] = r;
        int len = rec.length;
        longest = len > longest ? len : longest;
    }
    if (n_train == 0) {
        fprintf(stderr, "nn-train: %s: no training records\n", o.data);
        goto done;
    }
    trainer_source source = {&src, longest > 1 ? longest - 1 : 1, source_length, source_record};
    if (trainer_new(&o.model, &source, workers, o.shard, o.batch, &t, why)) {
        fprintf(stderr, "nn-train: %s\n", why);
        goto done;
    }
    size_t P = trainer_param_count(t);
    const nn_train_tensor *tensors;
    int tensor_count = trainer_tensors(t, &tensors);
    run_state s = {.best_eval = INFINITY, .best_epoch = -1};
    if (checkpoint) {
        if (restore_checkpoint(o.resume, checkpoint, t, &s, &h, why)) {
            fprintf(stderr, "nn-train: %s\n", why);
            goto done;
        }
        nn_model_free(checkpoint);
        checkpoint = NULL;
    } else {
        nn_train_event_rnn_init(&o.model, trainer_params(t), o.seed);
    }
    best = malloc(P * sizeof *best);
    if (!best) {
        fprintf(stderr, "nn-train: out of memory\n");
        goto done;
    }
    memcpy(best, trainer_params(t), P * sizeof *best);

    char ckpt_path[4096], csv_path[4096], svg_path[4096];
    path_with(o.out, ".ckpt", ckpt_path, sizeof ckpt_path);
    path_with(o.out, ".csv", csv_path, sizeof csv_path);
    path_with(o.out, ".svg", svg_path, sizeof svg_path);
    char title[300];
    const char *base = strrchr(o.out, '/');
    snprintf(title, sizeof title, "%s: %.200s", o.config, base ? base + 1 : o.out);
    int64_t per_epoch = (n_train + o.batch - 1) / o.batch;
    int64_t total_steps = o.max_steps ? o.max_steps : per_epoch * o.epochs;
    if (info) {
        fprintf(info, "nn-train %s: %s, %d layers of", o.command, o.config, o.model.layers);
        for (int l = 0; l < o.model.layers; l++)
            fprintf(info, " %d", o.model.units[l]);
        fprintf(info, "%s, %zu parameters; input %d, classes %d\n", o.model.attn_length ? " with attention" : "", P,
                o.model.input, o.model.classes);
        fprintf(info, "data %s: %lld training and %lld evaluation sequences; batch %d (%lld steps per epoch), "
                      "%d thread%s%s\n", o.data, (long long)n_train, (long long)n_eval, o.batch, (long long)per_epoch,
                team_threads(workers), team_threads(workers) == 1 ? "" : "s", team_ranks(workers) > 1 ? " per process" : "");
        if (o.resume)
            fprintf(info, "resuming %s at step %lld (epoch %d)\n", o.resume, (long long)s.step, s.epoch + 1);
    }

    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESETHAND}; /* a second Ctrl-C kills */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    bool tty = info && isatty(fileno(info));
    double started = clock_seconds() - s.seconds, last_checkpoint = clock_seconds(), rate_time = clock_seconds(), session = clock_seconds();
    int64_t rate_step = s.step, session_step = s.step;
    double window_loss = 0, window_steps = 0, window_correct = 0, shown_loss = NAN, shown_acc = NAN, rate = 0;
    bool stop = false, stopped_early = false;
    trainer_optim optim = {0, o.clip_norm, o.seed};
    nn_train_metrics best_metrics = {0};
    /* Whether `best` holds weights this run found best. After --resume it holds the checkpoint's
     * current weights until an evaluation improves: the best model is then the file on disk,
     * which the final save must not overwrite. */
    bool best_is_new = false;

    for (; s.epoch < o.epochs && !stop; s.epoch++, s.batch_in_epoch = 0) {
        memcpy(train_ids, train_order, (size_t)n_train * sizeof *train_ids);
        shuffle(train_ids, n_train, o.seed, s.epoch);
        for (; s.batch_in_epoch < per_epoch && !stop; s.batch_in_epoch++) {
            if (o.max_steps && s.step >= o.max_steps) {
                stop = true;
                break;
            }
            int64_t first = s.batch_in_epoch * o.batch;
            int count = n_train - first < o.batch ? (int)(n_train - first) : o.batch;
            optim.learning_rate = learning_rate_at(&o, s.step, total_steps);
            trainer_step_result r;
            if (trainer_step(t, train_ids + first, count, &optim, s.step, &r, why)) {
                fprintf(stderr, "\nnn-train: %s\n", why);
                goto done;
            }
            s.step++;
            window_loss += r.metrics.loss_sum, window_steps += r.metrics.steps, window_correct += r.metrics.correct;
            if (s.step % o.log_every == 0 && window_steps > 0) {
                shown_loss = window_loss / window_steps, shown_acc = window_correct / window_steps;
                history_row row = {s.step, s.epoch + 1, clock_seconds() - started, optim.learning_rate, shown_loss, shown_acc, NAN, NAN};
                history_add(&h, &row);
                window_loss = window_steps = window_correct = 0;
            }
            if (clock_seconds() - rate_time > 2.0) { /* the rate of the last few seconds */
                rate = (s.step - rate_step) / (clock_seconds() - rate_time);
                rate_time = clock_seconds(), rate_step = s.step;
            } else if (rate_step == session_step) { /* until then, of the whole session */
                rate = (s.step - session_step) / fmax(clock_seconds() - session, 1e-3);
            }
            if (tty) {
                progress p = {s.epoch + 1, s.step, total_steps, shown_loss, shown_acc, rate};
                progress_show(info, &p);
            }
            bool want_stop = team_any(workers, interrupted != 0);
            bool timed = o.checkpoint_minutes > 0 && clock_seconds() - last_checkpoint > 60.0 * o.checkpoint_minutes;
            if (want_stop || team_any(workers, timed)) {
                run_state at = s;
                at.batch_in_epoch++; /* this batch is done */
                at.seconds = clock_seconds() - started;
                if (lead && save_checkpoint(&o, t, &at, &h, ckpt_path, encoding_name, why)) {
                    fprintf(stderr, "\nnn-train: cannot save the checkpoint: %s\n", why);
                    goto done;
                }
                last_checkpoint = clock_seconds();
                if (want_stop) {
                    if (info)
                        fprintf(info, "\ninterrupted at step %lld: checkpoint %s (continue with --resume %s)\n",
                                (long long)s.step, ckpt_path, ckpt_path);
                    rc = 130;
                    goto done;
                }
            }
        }
        /* End of an epoch (or of --steps): evaluate, log, keep the best, checkpoint. */
        nn_train_metrics ev = {0};
        if (n_eval && trainer_evaluate(t, eval_ids, n_eval, &ev, why)) {
            fprintf(stderr, "\nnn-train: %s\n", why);
            goto done;
        }
        double eval_loss = ev.steps ? ev.loss_sum / ev.steps : NAN, eval_acc = ev.steps ? (double)ev.correct / ev.steps : NAN;
        history_row row = {s.step, s.epoch + 1, clock_seconds() - started, optim.learning_rate, NAN, NAN, eval_loss, eval_acc};
        history_add(&h, &row);
        bool improved = !n_eval || eval_loss < s.best_eval;
        if (improved) {
            s.best_eval = n_eval ? eval_loss : INFINITY, s.best_epoch = s.epoch, s.bad_epochs = 0;
            memcpy(best, trainer_params(t), P * sizeof *best);
            best_metrics = ev;
            best_is_new = true;
            if (lead && save_model(&o, tensors, tensor_count, best, NN_F32, encoding_name, n_eval ? &ev : NULL, s.step, why)) {
                fprintf(stderr, "\nnn-train: cannot save the model: %s\n", why);
                goto done;
            }
        } else {
            s.bad_epochs++;
        }
        if (info)
            fprintf(info, "%sepoch %d: step %lld, eval loss %.4f, accuracy %.4f, perplexity %.3f%s\n", tty ? "\r\033[K" : "",
                    s.epoch + 1, (long long)s.step, eval_loss, eval_acc, exp(eval_loss), improved ? " (best)" : "");
        run_state at = s;
        if (s.batch_in_epoch >= per_epoch) /* else --steps ended it: resume mid-epoch */
            at.epoch++, at.batch_in_epoch = 0;
        at.seconds = clock_seconds() - started;
        if (lead && (save_checkpoint(&o, t, &at, &h, ckpt_path, encoding_name, why) ||
                     history_write_csv(&h, csv_path, why) || history_write_svg(&h, title, svg_path, why))) {
            fprintf(stderr, "nn-train: %s\n", why);
            goto done;
        }
        last_checkpoint = clock_seconds();
        if (o.patience > 0 && n_eval && s.bad_epochs >= o.patience) {
            if (info)
                fprintf(info, "early stop: eval loss has not improved for %d epochs (best %.4f after epoch %d)\n",
                        s.bad_epochs, s.best_eval, s.best_epoch + 1);
            stopped_early = true;
            break;
        }
    }
    (void)stopped_early;

    /* The final weights: f16 when rounding them costs no measurable eval loss. */
    nn_dtype dtype = o.weights == WEIGHTS_F16 ? NN_F16 : NN_F32;
    if (o.weights == WEIGHTS_AUTO && n_eval && best_metrics.steps) {
        float *params = trainer_params(t);
        for (size_t i = 0; i < P; i++)
            params[i] = round_f16(best[i]);
        nn_train_metrics ev16;
        if (trainer_evaluate(t, eval_ids, n_eval, &ev16, why)) {
            fprintf(stderr, "nn-train: %s\n", why);
            goto done;
        }
        double l32 = best_metrics.loss_sum / best_metrics.steps, l16 = ev16.loss_sum / ev16.steps;
        /* "Measurable": more than 0.1 % of the loss. */
        dtype = l16 - l32 <= 1e-3 * l32 ? NN_F16 : NN_F32;
        if (info)
            fprintf(info, "weights: eval loss %.5f with f32, %.5f with f16: saving %s\n", l32, l16,
                    dtype == NN_F16 ? "f16" : "f32");
    }
    if (lead && s.best_epoch >= 0 && best_is_new &&
        save_model(&o, tensors, tensor_count, best, dtype, encoding_name, n_eval ? &best_metrics : NULL, s.step, why)) {
        fprintf(stderr, "nn-train: cannot save the model: %s\n", why);
        goto done;
    }
    if (info && s.best_epoch >= 0)
        fprintf(info, "model %s (best eval loss %.4f after epoch %d), log %s, curve %s\n", o.out, s.best_eval,
                s.best_epoch + 1, csv_path, svg_path);
    rc = 0;
done:
    nn_model_free(checkpoint);
    trainer_free(t);
    dataset_free(src.data);
    free(train_ids), free(train_order), free(eval_ids), free(best);
    history_free(&h);
    team_free(workers);
    return rc;
}
