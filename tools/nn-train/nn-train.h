/* nn-train.h — what nn-train's commands share: the encodings and Magenta's per-encoding pipelines.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#ifndef NN_TRAIN_H
#define NN_TRAIN_H

#include "music.h"
#include "nn.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

void nn_train_usage(FILE *to);

typedef enum encoding_kind { KIND_MELODY, KIND_DRUMS, KIND_PERFORMANCE, KIND_GENIE, KIND_IMPROV } encoding_kind;

/* One encoding: which pipeline, and the base one-hot whose classes `data` stores. */
typedef struct encoding {
    char name[32];
    encoding_kind kind;
    music_melody_encoder melody; /* KIND_MELODY */
    music_drum_map drum_map;     /* KIND_DRUMS */
    int velocity_bins;           /* KIND_PERFORMANCE */
    int input_size, num_classes; /* the model's input size; the base one-hot's classes */
    music_chord_encoding chords; /* KIND_IMPROV (its melody half is `melody`, no key transposition) */
} encoding;

/* melody_rnn_pipeline: MelodyExtractor(min_bars 7, max_steps 512, min_unique_pitches 5,
 * gap_bars 1, polyphony dropped), then EncoderPipeline's squash into the config's range/key. */
enum { MAX_MELODIES = 256 };
typedef struct melody_batch {
    int *events;
    music_melody melodies[MAX_MELODIES];
    int shifts[MAX_MELODIES];
    int count; /* melodies written (at most MAX_MELODIES) */
    music_melody_stats stats;
} melody_batch;

/* The encoding named `name` (a Magenta configuration); false if there is none. */
bool encoding_find(const char *name, encoding *enc);
/* Split a whole sequence as the encoding's pipeline does before quantizing: on tempo and
 * time-signature changes (TimeChangeSplitter), or for Performance RNN after the sustain pedal
 * every 30 s (Splitter). Free the pieces with music_seq_pieces_free. */
music_status pipeline_split(const encoding *enc, music_seq *seq, music_seq **pieces, int *count, char *why);
music_status pipeline_quantize(const encoding *enc, music_seq *seq, char *why);
music_status pipeline_melodies(const encoding *enc, const music_seq *seq, melody_batch *batch, char *why);
music_status pipeline_drums(const music_seq *seq, music_drum_tracks *tracks, music_drums_stats *stats, char *why);
music_status pipeline_performances(const encoding *enc, const music_seq *seq, music_performance **perfs, int *count,
                                   music_performance_stats *stats, char *why);
void performances_free(music_performance *perfs, int count);

/* ---- Improv RNN's lead sheets (pipeline.c) -------------------------------------------------- */

/* improv_rnn_pipeline's LeadSheetExtractor(min_bars 7, max_steps 512, min_unique_pitches 3,
 * gap_bars 1, polyphonic instruments dropped, drums filtered, require_chords): the melodies,
 * each with the chord progression over its steps (chords_lib.ChordProgression). */
typedef struct lead_sheet_stats {
    int coincident_chords;  /* two chords on one step: no progression (CoincidentChordsError) */
    int only_no_chord;      /* every step N.C. (require_chords) */
    int bad_chord_symbols;  /* a chord symbol that does not parse (ChordSymbolError) */
} lead_sheet_stats;

typedef struct lead_sheet_batch {
    melody_batch melodies;           /* as extracted: neither transposed nor squashed */
    const char **names;              /* per step of melody m: names[offset[m] + i], into the seq's chords */
    uint32_t *words;                 /* the same chords as chord words (below) */
    int offset[MAX_MELODIES];
    bool usable[MAX_MELODIES];       /* false when the melody has no progression (see stats) */
    lead_sheet_stats stats;
} lead_sheet_batch;

/* The lead sheets of a sequence quantized relative to the tempo (names point into seq). Free
 * with lead_sheets_free, also after a failure. */
music_status pipeline_lead_sheets(const encoding *enc, const music_seq *seq, lead_sheet_batch *batch, char *why);
void lead_sheets_free(lead_sheet_batch *batch);
/* Lead sheet m as the model sees it after LeadSheet.transpose(amount) (pitches folded into
 * 0..127, chords moved) and EncoderPipeline's squash into [48, 84) (no key transposition):
 * its events (length of the melody) and, when words is not NULL, its chord words. */
void lead_sheet_transposed(const encoding *enc, const lead_sheet_batch *batch, int m, int amount, int *events,
                           uint32_t *words);
/* note_seq.chord_inference.infer_chords_for_sequence with its defaults, on a quantized piece
 * without chord symbols. */
music_status pipeline_infer_chords(music_seq *seq, char *why);
/* Chord symbols from FILE.chords beside FILE.mid (tools/fetch-corpora.sh writes them for the
 * mma renders): '#' comments, then "bar<TAB>chord" lines, bars from 1, one chord per bar, in
 * the MIDI file's time signature. Added at their bars' start times (through the tempo map),
 * before splitting. No such file: MUSIC_OK, *added 0. */
music_status pipeline_chord_file(const char *midi_path, music_seq *seq, int *added, char *why);

/* ---- What the model trains on (features.c) ------------------------------------------------- */

/* The model's input size and label count (num_classes of Magenta's encoder-decoder): basic_rnn
 * 38/38, mono_rnn 130/130, lookback_rnn 121/40, attention_rnn 74/40, drum_kit 518/512,
 * performance 356/356, performance_with_dynamics 388/388, basic_improv 87/38, attention_improv
 * 123/40, chord_pitches_improv 75/38. */
int features_input_size(const encoding *enc);
int features_num_classes(const encoding *enc);
/* True when input row i is just the one-hot of classes[i] (basic_rnn, mono_rnn, performance):
 * a trainer may then feed class indices instead of vectors. */
bool features_input_is_onehot(const encoding *enc);
/* Magenta's encoder_decoder.encode of one record (its base one-hot classes, and for improv
 * its chord words): inputs[length - 1][input_size] for positions 0 .. length - 2 and
 * labels[length - 1] for positions 1 .. length - 1. Improv: input row i is [chord encoding of
 * chords[i + 1], melody input at i] (ConditionalEventSequenceEncoderDecoder). inputs may be
 * NULL (labels only). Allocates a scratch copy of the events; thread-safe. */
nn_status features_of_record(const encoding *enc, const uint16_t *classes, const uint32_t *chords, int length,
                             float *inputs, int *labels, char *why);

/* ---- Reading datasets (dataset.c) ----------------------------------------------------------- */

typedef struct dataset dataset;

typedef struct dataset_info {
    uint32_t version;
    char encoding[33];
    int input_size, num_classes;   /* as stored: the model's input size, the base one-hot's classes */
    uint64_t records, train_records, eval_records;
    uint64_t steps, train_steps, eval_steps;
    uint32_t files;                /* source files read */
    int transpose_lo, transpose_hi;
    int eval_share;                /* hundredths of a percent */
    bool chords;                   /* each record carries a chord word per step */
    int max_length;                /* the longest record, in steps */
    uint64_t file_size;
} dataset_info;

typedef struct dataset_record {
    int length;                    /* steps */
    bool eval;
    int transposition;
    uint32_t source;
} dataset_record;

/* Open and validate a dataset file in one streaming pass (header and its checksum, every
 * record's framing and values, the records' checksum); keeps only an index of 16 bytes per
 * record. On failure *out is NULL and `why` (NN_MESSAGE_SIZE) names the file and the problem:
 * NN_ERR_IO (missing, unreadable), NN_ERR_MAGIC (not a dataset), NN_ERR_VERSION (too new),
 * NN_ERR_TRUNCATED, NN_ERR_CHECKSUM, NN_ERR_MALFORMED. */
nn_status dataset_open(const char *path, dataset **out, char *why);
void dataset_free(dataset *ds);
const dataset_info *dataset_get_info(const dataset *ds);
/* The encoding the file was written for. */
const encoding *dataset_encoding(const dataset *ds);
/* Record r's length, split, transposition and source (from the index; r < records). */
dataset_record dataset_record_at(const dataset *ds, uint64_t r);
/* Read record r's classes (length of them) and, when the file has chords and `chords` is not
 * NULL, its chord words, into the caller's buffers. No allocation; safe from several threads
 * at once (pread). NN_ERR_MALFORMED if the file changed since it was opened. */
nn_status dataset_read(const dataset *ds, uint64_t r, uint16_t *classes, uint32_t *chords, char *why);

/* ---- The n-gram baseline (baseline.c) ------------------------------------------------------- */

/* Interpolated Kneser-Ney over label sequences: each sequence is padded on the left with
 * order - 1 BOS symbols; the highest order uses counts, lower ones continuation counts, one
 * discount per order and kind, D = n1 / (n1 + 2 n2) (0.5 when n1 or n2 is 0); the unigram
 * level interpolates with the uniform distribution, so every label has probability > 0.
 * Counting tables grow with the distinct n-grams seen (16 bytes a slot, at most 3/4 full). */
#define NGRAM_MAX_ORDER 10
typedef struct ngram_model ngram_model;

/* max_order 1..NGRAM_MAX_ORDER and at most 64 / bits(vocabulary + 1) (6 for 512 labels). */
nn_status ngram_new(int max_order, int vocabulary, ngram_model **out, char *why);
void ngram_free(ngram_model *model);
/* Count one training sequence. */
nn_status ngram_add(ngram_model *model, const int *labels, int count, char *why);
/* Continuation counts, discounts and the context index: call once, after the last ngram_add. */
nn_status ngram_finish(ngram_model *model, char *why);
/* p(label | history) for every label into probs[vocabulary], under the model of `order`
 * (1..max_order): history holds the labels before, most recent last (fewer than order - 1:
 * BOS pads). */
void ngram_distribution(const ngram_model *model, int order, const int *history, int count, double *probs);
/* After ngram_finish, per order 1..max_order (scores[order - 1]): add each step's -log p(label)
 * and whether the most likely label (the first on ties) was right. Not thread-safe (uses the
 * model's scratch). */
typedef struct ngram_score {
    double nll_sum;
    uint64_t correct, steps;
} ngram_score;
void ngram_score_sequence(ngram_model *model, const int *labels, int count, ngram_score *scores);
double ngram_discount(const ngram_model *model, int order, bool continuation);
uint64_t ngram_distinct(const ngram_model *model, int order);
size_t ngram_bytes(const ngram_model *model);

int command_encode(int argc, char **argv);
int command_data(int argc, char **argv);
int command_baseline(int argc, char **argv);

/* A monotonic clock in seconds, for rates and elapsed times. */
double clock_seconds(void);
/* A command-line value: the whole text a number within [lo, hi]; false otherwise. */
bool option_int(const char *text, int64_t lo, int64_t hi, int64_t *out);
bool option_double(const char *text, double lo, double hi, double *out);
/* Write the message into why (NN_MESSAGE_SIZE bytes; why may be NULL) and return status. */
nn_status why_fail(char *why, nn_status status, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* ---- Training (team.c, trainer.c, train.c, report.c) ------------------------------------- */

#include "nn.h"

#define WHY_SIZE 512

/* The workers of a data-parallel step: threads here and, built with MPI, other processes. */
typedef struct team team;
typedef void (*team_shard_fn)(void *ctx, int thread, int shard);

int team_new(int *argc, char ***argv, int threads, team **out, char *why);
void team_free(team *t);
int team_rank(const team *t);
int team_ranks(const team *t);
int team_threads(const team *t);
/* The shards [first, end) this process computes. */
void team_shard_range(const team *t, int shards, int *first, int *end);
/* fn(ctx, thread, shard) for each of this process's shards, spread over its threads. */
void team_run_shards(team *t, int shards, team_shard_fn fn, void *ctx);
/* Every process gets every shard's block (blocks[shard * block_bytes ...]). */
void team_share(team *t, int shards, void *blocks, size_t block_bytes);
/* out[i] = Σ over shards, in shard order, of blocks[shard * length + i]. */
void team_sum(team *t, int shards, const float *blocks, size_t length, float *out);
/* Whether the flag is set in any process (all processes call it). */
bool team_any(team *t, bool flag);
size_t team_max_block_bytes(const team *t, int shards);

/* Where training examples come from: a record's (input, label) pairs, thread-safe. */
typedef struct trainer_source {
    void *ctx;
    int max_steps; /* the most pairs any record has */
    int (*length)(void *ctx, int64_t record);
    /* Fills inputs[pairs, input size] and labels[pairs]; returns pairs, or -1 with `why`. */
    int (*record)(void *ctx, int64_t record, float *inputs, int *labels, int capacity, char *why);
} trainer_source;

typedef struct trainer_optim {
    float learning_rate, clip_norm; /* clip_norm 0: no clipping */
    uint64_t seed;                  /* of the dropout draws */
} trainer_optim;

typedef struct trainer_step_result {
    nn_train_metrics metrics;
    double grad_norm; /* before clipping, over all variables */
} trainer_step_result;

typedef struct trainer trainer;
int trainer_new(const nn_train_event_rnn *model, const trainer_source *source, team *team, int shard,
                int max_batch, trainer **out, char *why);
void trainer_free(trainer *t);
float *trainer_params(trainer *t);
float *trainer_adam_m(trainer *t);
float *trainer_adam_v(trainer *t);
size_t trainer_param_count(const trainer *t);
int trainer_tensors(const trainer *t, const nn_train_tensor **tensors);
/* One step of Adam (step counts from 0) on the batch records[0, count). */
int trainer_step(trainer *t, const int64_t *records, int count, const trainer_optim *optim, int64_t step,
                 trainer_step_result *result, char *why);
/* Metrics of the current parameters over records, without dropout. */
int trainer_evaluate(trainer *t, const int64_t *records, int64_t count, nn_train_metrics *sum, char *why);

int command_train(int argc, char **argv);
int command_bench(int argc, char **argv);
/* `nn-train genie`: Piano Genie's encoder, quantiser and decoder; exports the decoder (genie.c). */
int command_genie(int argc, char **argv);

/* ---- Generation (generate.c) --------------------------------------------------------------- */

int command_generate(int argc, char **argv);
/* `nn-train import`: a Magenta.js checkpoint folder into an event_rnn model file (import.c). */
int command_import(int argc, char **argv);
/* The model's input at `position` of an event track of `length` events, as features_of_record
 * builds row `position` (of the same events as classes): melody and improv read `melody`
 * (MUSIC_MELODY_* events), drums read `drums`; improv puts first the chord encoding of
 * chords[position + 1] (chord words, one per step; NULL for the others). input has
 * enc->input_size floats. */
nn_status generate_input(const encoding *enc, const int *melody, const music_drum_event *drums, const uint32_t *chords,
                         int length, int position, float *input, char *why);

/* ---- Piano Genie (genie_model.c: the model; genie.c: the command) -------------------------- */

enum {
    KEYS = MUSIC_GENIE_NUM_KEYS,
    BINS = MUSIC_GENIE_MAX_DELTA_BIN + 1,
    ENC_IN = KEYS + BINS,
    DEC_IN = MUSIC_GENIE_DECODER_INPUT_SIZE,
    BUTTONS = MUSIC_GENIE_NUM_BUTTONS,
    TENSORS = 16,
    DECODER_FIRST = 8, /* tensors from here on are the decoder, named as the event_rnn file names them */
};

/* The PianoGeniePaper model: sizes, loss weights and its 16 tensors in one parameter array (encoder,
 * quantiser, then the decoder under the event_rnn file's names). */
/* ---- The model ------------------------------------------------------------------------------- */

typedef struct genie_model {
    int units, steps, batch; /* steps: the crop length (train_seq_len) */
    float margin;            /* stp_emb_iq_contour_margin */
    float range_scale, contour_scale, deviate_scale;
    nn_train_tensor tensors[TENSORS];
    size_t params;
} genie_model;

/* Fills tensors[] and params for m->units. */
void genie_layout(genie_model *m);
/* splitmix64: the run's one generator. */
uint64_t genie_random(uint64_t *state);
/* TensorFlow's initial values: kernels Glorot-uniform, biases zero; seeded. */
void genie_init(const genie_model *m, float *params, uint64_t seed);

/* One batch's buffers for [steps, batch]; fill keys and bins (time-major) before genie_run. */
/* Everything one batch's passes need, allocated once for [steps, batch]. */
typedef struct genie_work {
    int *keys, *bins, *buttons;
    float *enc_x, *enc_p, *enc_pr, *h0f, *h1f, *h0b, *h1b, *enc_out, *pre, *value;
    float *dec_x, *dec_p, *d0, *d1, *logits;
    float *lstm_work[6];
    const float *frozen; /* tests: value = pre + frozen (TF's x + stop_gradient(q - x) at a fixed point); NULL: the quantiser */
    float *dlogits, *dd1, *dd0, *ddec_p, *ddec_x, *dvalue, *dpre, *denc_out, *dh1f, *dh1b, *dh0f, *dh0b, *denc_p,
        *denc_pr;
} genie_work;
bool genie_work_new(const genie_model *m, genie_work *w);
void genie_work_free(genie_work *w);

/* Sums over batches. */
/* Sums over a batch (or several), so evaluation can average over notes. */
typedef struct genie_metrics {
    double recons_sum, range_sum, contour_sum, deviate_sum; /* nats over notes; penalties × pairs or notes */
    int64_t notes, correct, pairs, violations, held, held_moved, in_range;
    int64_t button_count[BUTTONS];
} genie_metrics;

/* One pass over w->keys and w->bins [steps, batch <= m->batch]. With grads: the gradient of the
 * loss (reconstruction mean + the weighted penalties) is ADDED to grads. sum may be NULL.
 * Returns that loss. */
double genie_run(const genie_model *m, int batch, const float *params, float *grads, genie_work *w, genie_metrics *sum);

#endif /* NN_TRAIN_H */
