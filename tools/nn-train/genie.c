/* genie.c — `nn-train genie`: train Magenta's Piano Genie (magenta/models/piano_genie, the
 * PianoGeniePaper configuration of configs.py: stp_emb_iq with delta times in the encoder and
 * the autoregressive decoder, contour margin 1) on a piano_genie dataset, and export only the
 * decoder as the event_rnn the Piano Genie plugin plays.
 *
 *   encoder: [one-hot key 88, one-hot delta bin 33] → dense 128 → 2 × LSTM 128, run forwards and
 *            backwards in time → [h_fw, h_bw] → dense 1 = x (pre-quantised), per note;
 *   quantiser: iqst into 8 buttons, straight-through gradient;
 *   decoder: [button value, one-hot last key + 1 of 89, one-hot delta bin 33] → dense 128 →
 *            2 × LSTM 128 → dense 88 → cross-entropy against the key.
 *   loss = reconstruction + range penalty + contour penalty (configs.py's scalars 1, 1; the
 *          deviation penalty's scalar is 0 there, so it is only measured).
 *
 * The bidirectional encoder passes the same MultiRNNCell object as cell_fw and cell_bw
 * (model.py); a TF1 layer builds its variables once, so both directions share one set of
 * weights, as here. Sequences are loader.py's random crops of 128 notes from performances of
 * at least 128 notes, transposed by a random -6..5 semitones (only by amounts that keep the
 * crop on the keyboard; loader.py instead drops the notes that fall off). loader.py's 0.95..1.05
 * tempo stretch is not done: the dataset stores delta bins, not times. train.py clips nothing.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn-train.h"
#include "report.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* ---- Data ------------------------------------------------------------------------------------ */

typedef struct genie_data {
    int count;
    int *length;
    int64_t *start;      /* into keys / bins */
    uint8_t *keys, *bins;
} genie_data;

static void data_free(genie_data *d)
{
    free(d->length);
    free(d->start);
    free(d->keys);
    free(d->bins);
    memset(d, 0, sizeof *d);
}

/* The records of one split with at least min_length notes (loader.py's _filter_short). */
static int data_load(const dataset *ds, bool eval, int min_length, genie_data *d, char *why)
{
    const dataset_info *info = dataset_get_info(ds);
    memset(d, 0, sizeof *d);
    int64_t notes = 0;
    for (uint64_t r = 0; r < info->records; r++) {
        dataset_record rec = dataset_record_at(ds, r);
        if (rec.eval == eval && rec.length >= min_length)
            d->count++, notes += rec.length;
    }
    d->length = calloc((size_t)d->count + 1, sizeof *d->length);
    d->start = calloc((size_t)d->count + 1, sizeof *d->start);
    d->keys = malloc((size_t)notes + 1);
    d->bins = malloc((size_t)notes + 1);
    uint16_t *classes = malloc(sizeof *classes * (size_t)(info->max_length + 1));
    if (!d->length || !d->start || !d->keys || !d->bins || !classes) {
        free(classes);
        data_free(d);
        return snprintf(why, WHY_SIZE, "out of memory"), -1;
    }
    int k = 0;
    int64_t at = 0;
    for (uint64_t r = 0; r < info->records; r++) {
        dataset_record rec = dataset_record_at(ds, r);
        if (rec.eval != eval || rec.length < min_length)
            continue;
        if (dataset_read(ds, r, classes, NULL, why) != NN_OK) {
            free(classes);
            data_free(d);
            return -1;
        }
        d->length[k] = rec.length;
        d->start[k] = at;
        for (int i = 0; i < rec.length; i++) {
            d->keys[at + i] = (uint8_t)(classes[i] / BINS);
            d->bins[at + i] = (uint8_t)(classes[i] % BINS);
        }
        at += rec.length;
        k++;
    }
    free(classes);
    return 0;
}

/* A random crop of a random record into column b of w (loader.py), transposed by a random
 * amount of -6..5 among those that keep every key of the crop on the keyboard. */
static void sample_crop(const genie_model *m, const genie_data *d, int b, int batch, uint64_t *rng, genie_work *w)
{
    int r = (int)(genie_random(rng) % (uint64_t)d->count);
    int start = (int)(genie_random(rng) % (uint64_t)(d->length[r] - m->steps + 1));
    const uint8_t *keys = d->keys + d->start[r] + start, *bins = d->bins + d->start[r] + start;
    int lo = KEYS, hi = -1;
    for (int t = 0; t < m->steps; t++) {
        lo = keys[t] < lo ? keys[t] : lo;
        hi = keys[t] > hi ? keys[t] : hi;
    }
    int from = -6 > -lo ? -6 : -lo, to = 5 < KEYS - 1 - hi ? 5 : KEYS - 1 - hi;
    int amount = from <= to ? from + (int)(genie_random(rng) % (uint64_t)(to - from + 1)) : 0;
    for (int t = 0; t < m->steps; t++) {
        w->keys[t * batch + b] = keys[t] + amount;
        w->bins[t * batch + b] = bins[t];
    }
}

/* Evaluation crops: consecutive 128-note pieces of every evaluation record. */
typedef struct crop {
    int record, start;
} crop;

static crop *eval_crops(const genie_model *m, const genie_data *d, int max, int *count)
{
    int n = 0;
    for (int r = 0; r < d->count; r++)
        n += d->length[r] / m->steps;
    n = n < max ? n : max;
    crop *c = calloc((size_t)n + 1, sizeof *c);
    int k = 0;
    for (int r = 0; c && r < d->count && k < n; r++)
        for (int s = 0; s + m->steps <= d->length[r] && k < n; s += m->steps)
            c[k++] = (crop){r, s};
    *count = k;
    return c;
}

static void evaluate(const genie_model *m, const float *params, const genie_data *d, const crop *crops, int count,
                     genie_work *w, genie_metrics *sum)
{
    memset(sum, 0, sizeof *sum);
    for (int first = 0; first < count; first += m->batch) {
        int batch = count - first < m->batch ? count - first : m->batch;
        for (int b = 0; b < batch; b++) {
            const crop *c = &crops[first + b];
            for (int t = 0; t < m->steps; t++) {
                w->keys[t * batch + b] = d->keys[d->start[c->record] + c->start + t];
                w->bins[t * batch + b] = d->bins[d->start[c->record] + c->start + t];
            }
        }
        genie_run(m, batch, params, NULL, w, sum);
    }
}

/* The n-gram yardstick: interpolated Kneser-Ney over keys alone (no buttons, no times), fitted
 * on the training records, scored on the evaluation crops, each from its start as the decoder
 * starts from its start token. */
static int baseline(const genie_data *train, const genie_data *eval, const crop *crops, int count, int steps,
                    int max_order, ngram_score *scores, char *why)
{
    ngram_model *model = NULL;
    if (ngram_new(max_order, KEYS, &model, why) != NN_OK)
        return -1;
    int *labels = malloc(sizeof *labels * (size_t)(steps > 1 ? steps : 1));
    int capacity = steps;
    int status = labels ? 0 : -1;
    for (int r = 0; r < train->count && status == 0; r++) {
        if (train->length[r] > capacity) {
            capacity = train->length[r];
            int *grown = realloc(labels, sizeof *labels * (size_t)capacity);
            if (!grown) {
                status = -1;
                break;
            }
            labels = grown;
        }
        for (int i = 0; i < train->length[r]; i++)
            labels[i] = train->keys[train->start[r] + i];
        if (ngram_add(model, labels, train->length[r], why) != NN_OK)
            status = -1;
    }
    if (status == 0 && ngram_finish(model, why) != NN_OK)
        status = -1;
    memset(scores, 0, sizeof *scores * (size_t)max_order);
    for (int c = 0; status == 0 && c < count; c++) {
        for (int i = 0; i < steps; i++)
            labels[i] = eval->keys[eval->start[crops[c].record] + crops[c].start + i];
        ngram_score_sequence(model, labels, steps, scores);
    }
    free(labels);
    ngram_free(model);
    return status;
}

/* ---- Files ----------------------------------------------------------------------------------- */

static int export_decoder(const genie_model *m, const float *params, int64_t step, const genie_metrics *eval,
                          const char *path, char *why)
{
    nn_writer *w = NULL;
    if (nn_writer_new(NN_KIND_EVENT_RNN, &w) != NN_OK)
        return snprintf(why, WHY_SIZE, "out of memory"), -1;
    nn_writer_set_string(w, "encoding", "piano_genie");
    nn_writer_set_int(w, "input_size", DEC_IN);
    nn_writer_set_int(w, "num_classes", KEYS);
    nn_writer_set_int(w, "num_layers", 2);
    nn_writer_set_float(w, "forget_bias", 1.0);
    nn_writer_set_int(w, "train_steps", step);
    if (eval && eval->notes) {
        nn_writer_set_float(w, "eval_loss", eval->recons_sum / (double)eval->notes);
        nn_writer_set_float(w, "eval_accuracy", (double)eval->correct / (double)eval->notes);
    }
    nn_status st = NN_OK;
    for (int i = DECODER_FIRST; i < TENSORS && st == NN_OK; i++) {
        const nn_train_tensor *t = &m->tensors[i];
        bool vector = t->rows == 1;
        int dims[2] = {t->rows, t->cols};
        st = nn_writer_add(w, t->name, NN_F32, vector ? 1 : 2, vector ? dims + 1 : dims, params + t->offset);
    }
    char message[NN_MESSAGE_SIZE] = "";
    if (st == NN_OK)
        st = nn_writer_save(w, path, message);
    nn_writer_free(w);
    if (st != NN_OK)
        return snprintf(why, WHY_SIZE, "%.200s: %.300s", path, message[0] ? message : nn_status_text(st)), -1;
    /* The plugin's loader is the judge of the file. */
    nn_model *check = NULL;
    if (nn_model_load(path, &check, message) != NN_OK)
        return snprintf(why, WHY_SIZE, "the exported decoder does not load: %.400s", message), -1;
    nn_model_free(check);
    return 0;
}

/* The whole state: parameters, Adam's moments, the step and the generator. */
static int save_checkpoint(const genie_model *m, const float *arrays[3], int64_t step, uint64_t rng, double seconds,
                           double best, const char *path, char *why)
{
    nn_writer *w = NULL;
    if (nn_writer_new(NN_KIND_TRAIN_CHECKPOINT, &w) != NN_OK)
        return snprintf(why, WHY_SIZE, "out of memory"), -1;
    nn_writer_set_string(w, "command", "genie");
    nn_writer_set_string(w, "encoding", "piano_genie");
    nn_writer_set_int(w, "units", m->units);
    nn_writer_set_int(w, "seq_len", m->steps);
    nn_writer_set_int(w, "step", step);
    nn_writer_set_int(w, "rng_hi", (int64_t)(rng >> 32));
    nn_writer_set_int(w, "rng_lo", (int64_t)(rng & 0xffffffffu));
    nn_writer_set_float(w, "seconds", seconds);
    nn_writer_set_float(w, "best_eval", best);
    static const char *const prefix[3] = {"", "adam_m/", "adam_v/"};
    nn_status st = NN_OK;
    for (int a = 0; a < 3 && st == NN_OK; a++)
        for (int i = 0; i < TENSORS && st == NN_OK; i++) {
            char name[NN_TENSOR_NAME_MAX + 1];
            snprintf(name, sizeof name, "%s%s", prefix[a], m->tensors[i].name);
            int dims[2] = {m->tensors[i].rows, m->tensors[i].cols};
            st = nn_writer_add(w, name, NN_F32, 2, dims, arrays[a] + m->tensors[i].offset);
        }
    char message[NN_MESSAGE_SIZE] = "";
    if (st == NN_OK)
        st = nn_writer_save(w, path, message);
    nn_writer_free(w);
    if (st != NN_OK)
        return snprintf(why, WHY_SIZE, "%.200s: %.300s", path, message[0] ? message : nn_status_text(st)), -1;
    return 0;
}

static int load_checkpoint(const genie_model *m, float *arrays[3], int64_t *step, uint64_t *rng, double *seconds,
                           double *best, const char *path, char *why)
{
    nn_model *c = NULL;
    char message[NN_MESSAGE_SIZE];
    if (nn_model_load(path, &c, message) != NN_OK)
        return snprintf(why, WHY_SIZE, "%.500s", message), -1;
    if (nn_model_kind(c) != NN_KIND_TRAIN_CHECKPOINT || strcmp(nn_model_string(c, "command", ""), "genie") ||
        nn_model_int(c, "units", 0) != m->units || nn_model_int(c, "seq_len", 0) != m->steps) {
        nn_model_free(c);
        return snprintf(why, WHY_SIZE, "%.300s: not a checkpoint of `nn-train genie` with --units %d --seq-len %d", path,
                        m->units, m->steps), -1;
    }
    static const char *const prefix[3] = {"", "adam_m/", "adam_v/"};
    int found = 0;
    for (int k = 0; k < nn_model_tensor_count(c); k++) {
        nn_tensor_info info;
        nn_model_tensor(c, k, &info);
        for (int a = 0; a < 3; a++)
            for (int i = 0; i < TENSORS; i++) {
                char name[NN_TENSOR_NAME_MAX + 1];
                snprintf(name, sizeof name, "%s%s", prefix[a], m->tensors[i].name);
                if (!strcmp(name, info.name) &&
                    info.count == (size_t)m->tensors[i].rows * (size_t)m->tensors[i].cols) {
                    memcpy(arrays[a] + m->tensors[i].offset, nn_model_tensor_data(c, k), info.count * sizeof(float));
                    found++;
                }
            }
    }
    *step = nn_model_int(c, "step", 0);
    *rng = (uint64_t)nn_model_int(c, "rng_hi", 0) << 32 | (uint64_t)nn_model_int(c, "rng_lo", 0);
    *seconds = nn_model_float(c, "seconds", 0);
    *best = nn_model_float(c, "best_eval", INFINITY);
    nn_model_free(c);
    if (found != 3 * TENSORS)
        return snprintf(why, WHY_SIZE, "%.300s: %d of the %d tensors found", path, found, 3 * TENSORS), -1;
    return 0;
}

static void path_with(const char *path, const char *suffix, char *out, size_t size)
{
    snprintf(out, size, "%s%s", path, suffix);
}

/* ---- The command ----------------------------------------------------------------------------- */

static volatile sig_atomic_t stop_requested;
static void on_interrupt(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage_genie(FILE *to)
{
    fputs("usage: nn-train genie --data FILE.nnd --out MODEL.nnm [options]\n"
          "\n"
          "Trains Piano Genie (Magenta's PianoGeniePaper configuration: bidirectional LSTM encoder,\n"
          "integer quantiser into 8 buttons with a straight-through gradient, autoregressive decoder with\n"
          "delta times, range and contour penalties) on a piano_genie dataset, and writes only the decoder,\n"
          "as the event_rnn the Piano Genie plugin plays (input 123 -> 128, 2 x LSTM, 88 keys).\n"
          "\n"
          "  --units N (128)        --seq-len N (128)      --batch N (32)      --learning-rate R (3e-4)\n"
          "  --steps N (0: none)    --minutes M (0: none)  --eval-every N (200) --eval-crops N (512)\n"
          "  --margin M (1)         --deviate-scale S (0)  --seed N (1)        --resume CHECKPOINT\n"
          "  --order N (5: the n-gram baseline's highest order)\n"
          "\n"
          "Writes MODEL (the decoder of the best evaluation), MODEL.ckpt (resumable), MODEL.csv (the\n"
          "usual log), MODEL.genie.csv (the losses, button figures and baseline) and MODEL.svg.\n"
          "Ctrl-C saves the checkpoint and stops.\n",
          to);
}

int command_genie(int argc, char **argv)
{
    const char *data_path = NULL, *out = NULL, *resume = NULL;
    genie_model m = {.units = 128, .steps = 128, .batch = 32, .margin = 1.0f, .range_scale = 1.0f,
                     .contour_scale = 1.0f, .deviate_scale = 0.0f};
    double learning_rate = 3e-4, minutes = 0;
    int64_t max_steps = 0, eval_every = 200, max_crops = 512, seed = 1, order = 5;
    for (int i = 1; i < argc; i += 2) { /* every option takes a value */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int64_t n;
        double f;
        bool ok = v != NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return usage_genie(stdout), 0;
        else if (!strcmp(a, "--data") && ok)
            data_path = v;
        else if (!strcmp(a, "--out") && ok)
            out = v;
        else if (!strcmp(a, "--resume") && ok)
            resume = v;
        else if (!strcmp(a, "--units") && ok && (ok = option_int(v, 4, 1024, &n)))
            m.units = (int)n;
        else if (!strcmp(a, "--seq-len") && ok && (ok = option_int(v, 2, 4096, &n)))
            m.steps = (int)n;
        else if (!strcmp(a, "--batch") && ok && (ok = option_int(v, 1, 4096, &n)))
            m.batch = (int)n;
        else if (!strcmp(a, "--learning-rate") && ok && (ok = option_double(v, 1e-9, 10, &f)))
            learning_rate = f;
        else if (!strcmp(a, "--steps") && ok && (ok = option_int(v, 0, INT64_MAX, &n)))
            max_steps = n;
        else if (!strcmp(a, "--minutes") && ok && (ok = option_double(v, 0, 1e7, &f)))
            minutes = f;
        else if (!strcmp(a, "--eval-every") && ok && (ok = option_int(v, 1, INT64_MAX, &n)))
            eval_every = n;
        else if (!strcmp(a, "--eval-crops") && ok && (ok = option_int(v, 1, 1000000, &n)))
            max_crops = n;
        else if (!strcmp(a, "--margin") && ok && (ok = option_double(v, 0, 100, &f)))
            m.margin = (float)f;
        else if (!strcmp(a, "--deviate-scale") && ok && (ok = option_double(v, 0, 100, &f)))
            m.deviate_scale = (float)f;
        else if (!strcmp(a, "--seed") && ok && (ok = option_int(v, 0, INT64_MAX, &n)))
            seed = n;
        else if (!strcmp(a, "--order") && ok && (ok = option_int(v, 1, 8, &n)))
            order = n;
        else {
            fprintf(stderr, "nn-train genie: %s: %s\n", a, ok ? "unknown option" : "missing or bad value");
            usage_genie(stderr);
            return 2;
        }
    }
    if (!data_path || !out) {
        usage_genie(stderr);
        return 2;
    }

    char why[WHY_SIZE] = "";
    dataset *ds = NULL;
    if (dataset_open(data_path, &ds, why) != NN_OK) {
        fprintf(stderr, "nn-train genie: %s\n", why);
        return 1;
    }
    if (dataset_encoding(ds)->kind != KIND_GENIE) {
        fprintf(stderr, "nn-train genie: %s holds '%s' data; make it with `nn-train data --encoding piano_genie`\n",
                data_path, dataset_get_info(ds)->encoding);
        dataset_free(ds);
        return 1;
    }
    genie_data train = {0}, eval = {0};
    if (data_load(ds, false, m.steps, &train, why) || data_load(ds, true, m.steps, &eval, why)) {
        fprintf(stderr, "nn-train genie: %s\n", why);
        data_free(&train);
        dataset_free(ds);
        return 1;
    }
    dataset_free(ds);
    if (train.count == 0 || eval.count == 0) {
        fprintf(stderr, "nn-train genie: %s has %d training and %d evaluation performances of %d notes or more: "
                "both must have some\n", data_path, train.count, eval.count, m.steps);
        data_free(&train);
        data_free(&eval);
        return 1;
    }
    int crop_count = 0;
    crop *crops = eval_crops(&m, &eval, (int)max_crops, &crop_count);
    genie_layout(&m);
    float *params = calloc(m.params, sizeof(float)), *grads = calloc(m.params, sizeof(float));
    float *adam_m = calloc(m.params, sizeof(float)), *adam_v = calloc(m.params, sizeof(float));
    genie_work w;
    bool work = genie_work_new(&m, &w);
    ngram_score scores[NGRAM_MAX_ORDER];
    int status = 1;
    if (!crops || !params || !grads || !adam_m || !adam_v || !work) {
        fprintf(stderr, "nn-train genie: out of memory\n");
        goto done;
    }
    int64_t train_notes = 0;
    for (int r = 0; r < train.count; r++)
        train_notes += train.length[r];
    printf("piano_genie: %d training performances (%lld notes), %d evaluation crops of %d notes; %zu parameters "
           "(decoder %zu)\n", train.count, (long long)train_notes, crop_count, m.steps, m.params,
           m.params - m.tensors[DECODER_FIRST].offset);
    if (baseline(&train, &eval, crops, crop_count, m.steps, (int)order, scores, why)) {
        fprintf(stderr, "nn-train genie: baseline: %s\n", why);
        goto done;
    }
    for (int o = 0; o < order; o++)
        printf("baseline: key %d-gram (Kneser-Ney) eval NLL %.4f nats per note, accuracy %.4f\n", o + 1,
               scores[o].nll_sum / (double)scores[o].steps, (double)scores[o].correct / (double)scores[o].steps);

    genie_init(&m, params, (uint64_t)seed);
    uint64_t rng = (uint64_t)seed * 0x9E3779B97F4A7C15ull + 12345;
    int64_t step = 0;
    double seconds_before = 0, best = INFINITY;
    if (resume) {
        float *arrays[3] = {params, adam_m, adam_v};
        if (load_checkpoint(&m, arrays, &step, &rng, &seconds_before, &best, resume, why)) {
            fprintf(stderr, "nn-train genie: %s\n", why);
            goto done;
        }
        printf("resumed at step %lld\n", (long long)step);
    }
    char ckpt_path[4096], csv_path[4096], genie_csv[4096], svg_path[4096];
    path_with(out, ".ckpt", ckpt_path, sizeof ckpt_path);
    path_with(out, ".csv", csv_path, sizeof csv_path);
    path_with(out, ".genie.csv", genie_csv, sizeof genie_csv);
    path_with(out, ".svg", svg_path, sizeof svg_path);
    FILE *log_file = fopen(genie_csv, resume ? "a" : "w");
    if (!log_file) {
        fprintf(stderr, "nn-train genie: cannot write %s: %s\n", genie_csv, strerror(errno));
        goto done;
    }
    if (!resume) {
        fprintf(log_file, "step,seconds,train_loss,train_recons,train_range,train_contour,eval_nll,eval_accuracy,"
                     "eval_range,eval_contour,eval_deviate,contour_violation,contour_agreement,deviate_violation,"
                     "in_range,button_perplexity");
        for (int o = 0; o < order; o++)
            fprintf(log_file, ",baseline_%d", o + 1);
        fputc('\n', log_file);
    }
    history h = {0};
    signal(SIGINT, on_interrupt);
    signal(SIGTERM, on_interrupt);
    nn_train_adam adam = nn_train_adam_defaults((float)learning_rate);
    double started = clock_seconds() - seconds_before;
    genie_metrics window = {0};
    double window_loss = 0;
    int window_steps = 0;
    status = 0;
    for (;;) {
        bool out_of_time = (max_steps > 0 && step >= max_steps) ||
                           (minutes > 0 && clock_seconds() - started >= minutes * 60.0) || stop_requested;
        if (step > 0 && (step % eval_every == 0 || out_of_time) && window_steps > 0) {
            genie_metrics e;
            evaluate(&m, params, &eval, crops, crop_count, &w, &e);
            double nll = e.recons_sum / (double)e.notes, seconds = clock_seconds() - started;
            double ppl = 0;
            for (int b = 0; b < BUTTONS; b++) {
                double p = (double)e.button_count[b] / (double)e.notes;
                ppl -= p > 0 ? p * log(p) : 0;
            }
            double violation = (double)e.violations / (double)e.pairs;
            fprintf(log_file, "%lld,%.1f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%.4f",
                    (long long)step, seconds, window_loss / window_steps, window.recons_sum / (double)window.notes,
                    window.range_sum / (double)window.notes, window.contour_sum / (double)window.pairs, nll,
                    (double)e.correct / (double)e.notes, e.range_sum / (double)e.notes, e.contour_sum / (double)e.pairs,
                    e.held ? e.deviate_sum / (double)e.held : 0.0, violation, 1.0 - violation,
                    e.held ? (double)e.held_moved / (double)e.held : 0.0, (double)e.in_range / (double)e.notes, exp(ppl));
            for (int o = 0; o < order; o++)
                fprintf(log_file, ",%.5f", scores[o].nll_sum / (double)scores[o].steps);
            fputc('\n', log_file);
            fflush(log_file);
            history_row row = {step, 0, seconds, learning_rate, window.recons_sum / (double)window.notes,
                               (double)window.correct / (double)window.notes, nll, (double)e.correct / (double)e.notes};
            history_add(&h, &row);
            printf("step %lld (%.0f s): train loss %.4f (recons %.4f); eval NLL %.4f nats/note, accuracy %.4f, "
                   "contour violations %.4f, in range %.4f, button perplexity %.2f%s\n",
                   (long long)step, seconds, window_loss / window_steps, window.recons_sum / (double)window.notes, nll,
                   (double)e.correct / (double)e.notes, violation, (double)e.in_range / (double)e.notes, exp(ppl),
                   nll < best ? " (best)" : "");
            fflush(stdout);
            if (nll < best) {
                best = nll;
                if (export_decoder(&m, params, step, &e, out, why)) {
                    fprintf(stderr, "nn-train genie: %s\n", why);
                    status = 1;
                    break;
                }
            }
            const float *arrays[3] = {params, adam_m, adam_v};
            if (save_checkpoint(&m, arrays, step, rng, seconds, best, ckpt_path, why) ||
                history_write_csv(&h, csv_path, why) || history_write_svg(&h, "piano_genie", svg_path, why)) {
                fprintf(stderr, "nn-train genie: %s\n", why);
                status = 1;
                break;
            }
            memset(&window, 0, sizeof window);
            window_loss = 0;
            window_steps = 0;
        }
        if (out_of_time)
            break;
        for (int b = 0; b < m.batch; b++)
            sample_crop(&m, &train, b, m.batch, &rng, &w);
        memset(grads, 0, m.params * sizeof *grads);
        window_loss += genie_run(&m, m.batch, params, grads, &w, &window);
        window_steps++;
        step++;
        nn_train_adam_update(&adam, step, m.params, params, grads, adam_m, adam_v);
    }
    fclose(log_file);
    history_free(&h);
    if (status == 0)
        printf("wrote %s (best eval NLL %.4f nats per note)\n", out, best);
done:
    genie_work_free(&w);
    free(params);
    free(grads);
    free(adam_m);
    free(adam_v);
    free(crops);
    data_free(&train);
    data_free(&eval);
    return status;
}
