/* rt_host — runs everything a plugin calls in its audio callback in a RealtimeSanitizer real-time
 * context and under a no-system-call seccomp filter; --self-test proves violations are caught.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Modes:
 *   rt_host                    the host: for each kernel set, the RTSan pass then the system call
 *                              pass; exit status 0 only if both ran without a violation
 *   rt_host --violate KIND     commit one violation halfway through the callback; the pass that
 *                              should catch it must end the process (exit status 3: it did not)
 *   rt_host --self-test [KIND] run --violate KIND (default: every kind) in a child and check that
 *                              it failed and that its stderr carries the report
 *
 * RTSan (compiler-rt's libclang_rt.rtsan) is linked whole into this program by meson: its
 * interceptors replace malloc, free, pthread_mutex_lock, fopen, fputs, nanosleep and the rest,
 * and any call of them made between __rtsan_realtime_enter and __rtsan_realtime_exit on that
 * thread prints a report and a stack trace to stderr and ends the process (LLVM 19: exit(1)).
 * It initialises itself from .preinit_array, before any constructor (nn's kernel choice
 * included); main() calls __rtsan_init again, which returns at once, so the host still works
 * if it is ever linked without the pre-init object.
 */
#include "nn.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The runtime's C interface; Debian 12 ships no rtsan_interface.h. */
void __rtsan_init(void);
void __rtsan_realtime_enter(void);
void __rtsan_realtime_exit(void);

extern char **environ;

/* Shapes of the test model: Magenta's Melody RNN with smaller layers. */
enum { INPUT = 38, UNITS = 128, LAYERS = 2, CLASSES = 38 };
/* Shapes of the stand-alone layers; ODD is not a multiple of any vector width, so every
 * kernel's tail path runs too. */
enum { DENSE_IN = 128, DENSE_OUT = 67, BATCH = 4, VOCAB = 38, EMBED = 48, ODD = 131 };
enum { CLASS_STEPS = 1000, LAYER_ROUNDS = 50 };

/* A deliberate violation that went unnoticed: the child carries on and says so with this status. */
#define EXIT_NOT_CAUGHT 3

/* ---- Everything made off the audio thread ------------------------------------------------- */

typedef struct fixture {
    nn_model *model;
    nn_model *attention_model; /* the same with Magenta's attention wrapper on the first cell */
    nn_rnn *melody, *second; /* two plugin instances: Melody RNN, and one with attention */
    nn_sampler *sampler;
    nn_matrix *dense_f32, *dense_f16, *table, *lstm_kernel, *gru_gates, *gru_candidate;
    nn_lstm_cell lstm;
    nn_gru_cell gru_before, gru_after; /* reset_after 0 (TensorFlow) and 1 (cuDNN, PyTorch) */
    float *bias, *rnn_input, *x, *y, *xb, *yb, *embedded, *h, *c, *gh, *work;
    float *lstm_bias, *gate_bias, *cand_bias, *cand_hidden_bias, *act_in, *act_out, *logits;
} fixture;

/* What the callback did, counted inside the real-time context and printed after it. */
typedef struct tally {
    long class_steps, vector_steps, draws, wrong_results, layer_calls, not_finite;
    double checksum;
} tally;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static float random_weight(float scale)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return scale * ((float)(rng_state >> 40) / 8388608.0f - 1.0f);
}

static float *random_floats(size_t n, float scale)
{
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; p && i < n; i++)
        p[i] = random_weight(scale);
    return p;
}

static float *zeroed_floats(size_t n) { return calloc(n, sizeof(float)); }

static bool check(nn_status st, const char *what)
{
    if (st == NN_OK)
        return true;
    fprintf(stderr, "rt_host: %s: %s\n", what, nn_status_text(st));
    return false;
}

static nn_matrix *random_matrix(int rows, int cols, nn_dtype dtype)
{
    float *data = random_floats((size_t)rows * (size_t)cols, 0.15f);
    nn_matrix *m = NULL;
    if (data)
        check(nn_matrix_new(rows, cols, dtype, data, &m), "nn_matrix_new");
    free(data);
    return m;
}

static bool add_random_tensor(nn_writer *w, const char *name, nn_dtype dtype, int rows, int cols)
{
    int dims[2] = {rows, cols};
    int ndim = cols ? 2 : 1;
    float *data = random_floats((size_t)rows * (size_t)(cols ? cols : 1), 0.15f);
    bool ok = data && check(nn_writer_add(w, name, dtype, ndim, dims, data), name);
    free(data);
    return ok;
}

/* An event RNN file like Melody RNN's, its second LSTM layer stored as f16; with attn_length
 * > 0 like attention_rnn's, the first cell wrapped in Magenta's attention. */
static bool write_model_file(const char *path, int attn_length)
{
    nn_writer *w = NULL;
    if (!check(nn_writer_new(NN_KIND_EVENT_RNN, &w), "nn_writer_new"))
        return false;
    char why[NN_MESSAGE_SIZE];
    bool ok = check(nn_writer_set_int(w, "input_size", INPUT), "input_size") &&
              check(nn_writer_set_int(w, "num_classes", CLASSES), "num_classes") &&
              check(nn_writer_set_int(w, "num_layers", LAYERS), "num_layers") &&
              add_random_tensor(w, "rnn/cell_0/kernel", NN_F32, INPUT + UNITS, 4 * UNITS) &&
              add_random_tensor(w, "rnn/cell_0/bias", NN_F32, 4 * UNITS, 0) &&
              add_random_tensor(w, "rnn/cell_1/kernel", NN_F16, UNITS + UNITS, 4 * UNITS) &&
              add_random_tensor(w, "rnn/cell_1/bias", NN_F16, 4 * UNITS, 0) &&
              add_random_tensor(w, "output/kernel", NN_F32, UNITS, CLASSES) &&
              add_random_tensor(w, "output/bias", NN_F32, CLASSES, 0);
    if (ok && attn_length > 0)
        ok = check(nn_writer_set_int(w, "attn_length", attn_length), "attn_length") &&
             add_random_tensor(w, "rnn/cell_0/attention/input_kernel", NN_F16, INPUT + UNITS, INPUT) &&
             add_random_tensor(w, "rnn/cell_0/attention/input_bias", NN_F32, INPUT, 0) &&
             add_random_tensor(w, "rnn/cell_0/attention/attn_w", NN_F32, UNITS, UNITS) &&
             add_random_tensor(w, "rnn/cell_0/attention/attn_v", NN_F32, UNITS, 0) &&
             add_random_tensor(w, "rnn/cell_0/attention/query_kernel", NN_F32, 2 * UNITS, UNITS) &&
             add_random_tensor(w, "rnn/cell_0/attention/query_bias", NN_F32, UNITS, 0) &&
             add_random_tensor(w, "rnn/cell_0/attention/output_kernel", NN_F16, 2 * UNITS, UNITS) &&
             add_random_tensor(w, "rnn/cell_0/attention/output_bias", NN_F32, UNITS, 0);
    if (ok && nn_writer_save(w, path, why) != NN_OK) {
        fprintf(stderr, "rt_host: %s\n", why);
        ok = false;
    }
    nn_writer_free(w);
    return ok;
}

static bool load_model(fixture *f)
{
    const char *tmp = getenv("TMPDIR");
    char dir[512], path[600], why[NN_MESSAGE_SIZE];
    snprintf(dir, sizeof dir, "%s/rt_host-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "rt_host: cannot make a folder in %s: %s\n", tmp && *tmp ? tmp : "/tmp", strerror(errno));
        return false;
    }
    snprintf(path, sizeof path, "%s/melody.nnm", dir);
    bool ok = write_model_file(path, 0);
    if (ok && nn_model_load(path, &f->model, why) != NN_OK) {
        fprintf(stderr, "rt_host: %s\n", why);
        ok = false;
    }
    unlink(path);
    ok = ok && write_model_file(path, 40);
    if (ok && nn_model_load(path, &f->attention_model, why) != NN_OK) {
        fprintf(stderr, "rt_host: %s\n", why);
        ok = false;
    }
    unlink(path);
    rmdir(dir);
    return ok;
}

static bool fixture_make(fixture *f)
{
    memset(f, 0, sizeof *f);
    char why[NN_MESSAGE_SIZE];
    if (!load_model(f))
        return false;
    if (nn_rnn_new(f->model, &f->melody, why) != NN_OK || nn_rnn_new(f->attention_model, &f->second, why) != NN_OK) {
        fprintf(stderr, "rt_host: %s\n", why);
        return false;
    }
    if (!check(nn_sampler_new(CLASSES, 1234, &f->sampler), "nn_sampler_new"))
        return false;

    f->dense_f32 = random_matrix(DENSE_IN, DENSE_OUT, NN_F32);
    f->dense_f16 = random_matrix(DENSE_IN, DENSE_OUT, NN_F16);
    f->table = random_matrix(VOCAB, EMBED, NN_F16);
    f->lstm_kernel = random_matrix(INPUT + UNITS, 4 * UNITS, NN_F32);
    f->gru_gates = random_matrix(INPUT + UNITS, 2 * UNITS, NN_F16);
    f->gru_candidate = random_matrix(INPUT + UNITS, UNITS, NN_F32);
    f->bias = random_floats(DENSE_OUT, 0.1f);
    f->rnn_input = random_floats(INPUT, 1.0f);
    f->x = random_floats(DENSE_IN, 1.0f);
    f->y = random_floats(DENSE_OUT, 1.0f);
    f->xb = random_floats(BATCH * DENSE_IN, 1.0f);
    f->yb = random_floats(BATCH * DENSE_OUT, 1.0f);
    f->embedded = random_floats(EMBED, 1.0f);
    f->h = zeroed_floats(UNITS);
    f->c = zeroed_floats(UNITS);
    f->gh = zeroed_floats(UNITS);
    f->work = zeroed_floats(4 * UNITS);
    f->lstm_bias = random_floats(4 * UNITS, 0.1f);
    f->gate_bias = random_floats(2 * UNITS, 0.1f);
    f->cand_bias = random_floats(UNITS, 0.1f);
    f->cand_hidden_bias = random_floats(UNITS, 0.1f);
    f->act_in = random_floats(ODD, 8.0f);
    f->act_out = zeroed_floats(ODD);
    f->logits = random_floats(CLASSES, 4.0f);
    if (!f->dense_f32 || !f->dense_f16 || !f->table || !f->lstm_kernel || !f->gru_gates || !f->gru_candidate ||
        !f->bias || !f->rnn_input || !f->x || !f->y || !f->xb || !f->yb || !f->embedded || !f->h || !f->c || !f->gh ||
        !f->work || !f->lstm_bias || !f->gate_bias || !f->cand_bias || !f->cand_hidden_bias || !f->act_in ||
        !f->act_out || !f->logits) {
        fprintf(stderr, "rt_host: out of memory\n");
        return false;
    }
    f->lstm = (nn_lstm_cell){f->lstm_kernel, f->lstm_bias, INPUT, UNITS, 1.0f};
    f->gru_before = (nn_gru_cell){f->gru_gates, f->gate_bias, f->gru_candidate, f->cand_bias, NULL, INPUT, UNITS, 0};
    f->gru_after = (nn_gru_cell){f->gru_gates, f->gate_bias, f->gru_candidate, f->cand_bias, f->cand_hidden_bias,
                                 INPUT, UNITS, 1};
    if (nn_lstm_work_size(&f->lstm) > 4 * UNITS || nn_gru_work_size(&f->gru_after) > 4 * UNITS) {
        fprintf(stderr, "rt_host: layer scratch larger than 4 * units\n");
        return false;
    }
    return true;
}

static void fixture_free(fixture *f)
{
    nn_sampler_free(f->sampler);
    nn_rnn_free(f->second);
    nn_rnn_free(f->melody);
    nn_model_free(f->model);
    nn_model_free(f->attention_model);
    nn_matrix *matrices[] = {f->dense_f32, f->dense_f16, f->table, f->lstm_kernel, f->gru_gates, f->gru_candidate};
    for (size_t i = 0; i < sizeof matrices / sizeof *matrices; i++)
        nn_matrix_free(matrices[i]);
    float *buffers[] = {f->bias, f->rnn_input, f->x, f->y, f->xb, f->yb, f->embedded, f->h, f->c, f->gh, f->work,
                        f->lstm_bias, f->gate_bias, f->cand_bias, f->cand_hidden_bias, f->act_in, f->act_out,
                        f->logits};
    for (size_t i = 0; i < sizeof buffers / sizeof *buffers; i++)
        free(buffers[i]);
}

/* ---- The audio callback: runs inside the real-time context, so no I/O, no allocation ------ */

static void observe(tally *t, const float *v, int n)
{
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            t->not_finite++;
        t->checksum += v[i];
    }
}

/* Every way a plugin asks for a class: plain, top-k, top-p, both, greedy, near-greedy. */
static const nn_sample_params draw_params[] = {
    {.temperature = 1.0f},
    {.temperature = 0.7f, .top_k = 8},
    {.temperature = 1.3f, .top_p = 0.9f},
    {.temperature = 1.0f, .top_k = 5, .top_p = 0.8f},
    {.temperature = 0.0f},
    {.temperature = 1e-6f},
};

static void run_event_rnn(fixture *f, tally *t)
{
    nn_sampler_seed(f->sampler, 1234);
    nn_rnn_reset(f->melody);
    nn_rnn_reset(f->second);
    int classes = nn_rnn_classes(f->melody), inputs = nn_rnn_input_size(f->second), previous = 0;
    for (int step = 0; step < CLASS_STEPS; step++) {
        if (step == CLASS_STEPS / 2)
            nn_rnn_reset(f->melody); /* a new sequence mid-stream */
        const float *logits = nn_rnn_step_class(f->melody, previous);
        observe(t, logits, classes);
        const nn_sample_params *params = step % 7 == 6 ? NULL : &draw_params[step % 6];
        previous = nn_sampler_draw(f->sampler, logits, classes, params);
        if (previous < 0 || previous >= classes)
            t->wrong_results++;
        t->class_steps++;
        t->draws++;

        /* The second instance: out-of-range one-hot (all-zero input) and dense input steps. */
        if (step % 10 == 0) {
            observe(t, nn_rnn_step_class(f->second, step % 20 == 0 ? -1 : inputs), classes);
            observe(t, nn_rnn_step(f->second, f->rnn_input), nn_rnn_classes(f->second));
            t->class_steps++;
            t->vector_steps++;
            /* Layer by layer, as Performance RNN spreads a step over callbacks. */
            const float *split = NULL;
            nn_rnn_step_start_class(f->second, step % inputs);
            for (int calls = 0; !split && calls < 16; calls++)
                split = nn_rnn_step_continue(f->second, 1);
            nn_rnn_step_start(f->second, f->rnn_input);
            const float *whole = nn_rnn_step_continue(f->second, 16);
            if (!split || !whole)
                t->wrong_results++;
            else
                observe(t, whole, nn_rnn_classes(f->second));
        }
    }
}

static void run_layers(fixture *f, tally *t)
{
    for (int round = 0; round < LAYER_ROUNDS; round++) {
        nn_dense(f->dense_f32, f->bias, f->x, f->y);
        observe(t, f->y, DENSE_OUT);
        nn_dense(f->dense_f16, NULL, f->x, f->y);
        observe(t, f->y, DENSE_OUT);
        nn_dense_batch(f->dense_f32, f->bias, BATCH, f->xb, f->yb);
        observe(t, f->yb, BATCH * DENSE_OUT);
        nn_dense_batch(f->dense_f16, NULL, BATCH, f->xb, f->yb);
        observe(t, f->yb, BATCH * DENSE_OUT);
        nn_embedding(f->table, round % (VOCAB + 1) - 1, f->embedded); /* -1 and VOCAB-1 included */
        observe(t, f->embedded, EMBED);

        if (round == 0) {
            memset(f->h, 0, UNITS * sizeof *f->h);
            memset(f->c, 0, UNITS * sizeof *f->c);
            memset(f->gh, 0, UNITS * sizeof *f->gh);
        }
        nn_lstm_step(&f->lstm, f->rnn_input, f->h, f->c, f->work);
        nn_lstm_step_onehot(&f->lstm, round % INPUT, f->h, f->c, f->work);
        observe(t, f->h, UNITS);
        nn_gru_step(&f->gru_before, f->rnn_input, f->gh, f->work);
        nn_gru_step(&f->gru_after, f->rnn_input, f->gh, f->work);
        observe(t, f->gh, UNITS);

        nn_tanh(f->act_in, f->act_out, ODD);
        observe(t, f->act_out, ODD);
        nn_sigmoid(f->act_in, f->act_out, ODD);
        observe(t, f->act_out, ODD);
        nn_relu(f->act_in, f->act_out, ODD);
        observe(t, f->act_out, ODD);
        nn_leaky_relu(f->act_in, f->act_out, ODD, 0.01f);
        observe(t, f->act_out, ODD);
        nn_softplus(f->act_in, f->act_out, ODD);
        nn_tanh(f->act_out, f->act_out, ODD); /* in place */
        observe(t, f->act_out, ODD);

        nn_softmax(f->logits, f->act_out, CLASSES, 0.8f);
        observe(t, f->act_out, CLASSES);
        nn_log_softmax(f->logits, f->act_out, CLASSES);
        observe(t, f->act_out, CLASSES);
        if (nn_argmax(f->act_out, CLASSES) != nn_argmax(f->logits, CLASSES))
            t->wrong_results++;
        t->layer_calls += 19;
    }
    nn_sampler_seed(f->sampler, 99);
    for (int i = 0; i < 100; i++) {
        float u = nn_sampler_uniform(f->sampler);
        if (!(u >= 0.0f && u < 1.0f))
            t->wrong_results++;
    }
}

/* What a plugin's run() does with the engine. `violation`, if not NULL, is committed halfway. */
static void audio_callback(fixture *f, tally *t, void (*violation)(void))
{
    nn_fp_state fp = nn_fp_enter();
    run_event_rnn(f, t);
    if (violation)
        violation();
    run_layers(f, t);
    nn_fp_leave(fp);
}

/* ---- Pass 1: RTSan -------------------------------------------------------------------------
 * Reports, with a stack trace, any intercepted library call: allocation, locks, waits, stdio,
 * files, sockets, threads. */

static void rtsan_pass(fixture *f, tally *t, void (*violation)(void))
{
    __rtsan_realtime_enter();
    audio_callback(f, t, violation);
    __rtsan_realtime_exit();
}

/* ---- Pass 2: any system call ------------------------------------------------------------------
 * LLVM 19's RTSan intercepts a fixed list of library functions: write(2), read(2), mmap(2),
 * futex(2), glibc's open64 and any raw syscall pass it unseen. So the callback runs again in a forked child
 * whose seccomp filter lets through only exit: any other system call raises SIGSYS, whose
 * handler records the call's number. The child shares its results through an anonymous
 * mapping and never returns into the C library's exit path (which would flush stdio). */

enum { SYSCALL_PASS_OK, SYSCALL_PASS_CAUGHT, SYSCALL_PASS_UNAVAILABLE, SYSCALL_PASS_FAILED };
#define EXIT_SYSCALL 4
#define EXIT_NO_SECCOMP 5

typedef struct syscall_report {
    tally t;
    int finished;
    int syscall_number;
} syscall_report;

static syscall_report *shared_report;

static void on_sigsys(int signo, siginfo_t *info, void *context)
{
    (void)signo;
    (void)context;
    shared_report->syscall_number = info->si_syscall;
    _exit(EXIT_SYSCALL);
}

static bool forbid_system_calls(void)
{
    static struct sock_filter only_exit[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {sizeof only_exit / sizeof *only_exit, only_exit};
    struct sigaction on_trap = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
    return sigaction(SIGSYS, &on_trap, NULL) == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
           prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

static int syscall_pass(fixture *f, tally *t, void (*violation)(void), int *syscall_number)
{
    shared_report = mmap(NULL, sizeof *shared_report, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared_report == MAP_FAILED) {
        perror("rt_host: mmap");
        return SYSCALL_PASS_FAILED;
    }
    memset(shared_report, 0, sizeof *shared_report);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (!forbid_system_calls())
            _exit(EXIT_NO_SECCOMP);
        audio_callback(f, &shared_report->t, violation);
        shared_report->finished = 1;
        _exit(0);
    }
    int status = 0, result = SYSCALL_PASS_FAILED;
    if (pid < 0)
        perror("rt_host: fork");
    else if (waitpid(pid, &status, 0) != pid)
        perror("rt_host: waitpid");
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && shared_report->finished)
        result = SYSCALL_PASS_OK;
    else if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SYSCALL)
        result = SYSCALL_PASS_CAUGHT;
    else if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_NO_SECCOMP)
        result = SYSCALL_PASS_UNAVAILABLE;
    else
        fprintf(stderr, "rt_host: the system call pass's child ended with status %#x\n", (unsigned)status);
    *t = shared_report->t;
    *syscall_number = shared_report->syscall_number;
    munmap(shared_report, sizeof *shared_report);
    shared_report = NULL;
    return result;
}

/* ---- The host ------------------------------------------------------------------------------ */

static const char *const kernel_sets[] = {"reference", "sse2", "avx2", "neon"};

static bool tally_is_sane(const char *pass, const tally *t)
{
    if (!t->not_finite && !t->wrong_results && t->class_steps > 0)
        return true;
    fprintf(stderr, "rt_host: %s, %s pass: %ld steps, %ld values not finite, %ld wrong results\n",
            nn_simd_active(), pass, t->class_steps, t->not_finite, t->wrong_results);
    return false;
}

static int run_host(void)
{
    fixture f;
    bool ok = fixture_make(&f), seccomp_missing = false;
    int sets_run = 0;
    for (size_t k = 0; ok && k < sizeof kernel_sets / sizeof *kernel_sets; k++) {
        if (nn_simd_select(kernel_sets[k]) != NN_OK)
            continue; /* not on this CPU or build */
        tally rt = {0}, sys = {0};
        rtsan_pass(&f, &rt, NULL);
        printf("rt_host: %-9s RTSan pass: %ld event RNN steps (%ld on dense input), %ld draws, %ld layer calls, "
               "no violation; checksum %.9g\n",
               nn_simd_active(), rt.class_steps + rt.vector_steps, rt.vector_steps, rt.draws, rt.layer_calls,
               rt.checksum);
        ok = tally_is_sane("RTSan", &rt);

        int number = -1;
        switch (syscall_pass(&f, &sys, NULL, &number)) {
        case SYSCALL_PASS_OK:
            printf("rt_host: %-9s system call pass: no system call; checksum %.9g\n", nn_simd_active(), sys.checksum);
            ok = ok && tally_is_sane("system call", &sys);
            if (ok && (sys.checksum != rt.checksum || sys.draws != rt.draws)) {
                fprintf(stderr, "rt_host: %s: the two passes computed different results\n", nn_simd_active());
                ok = false;
            }
            break;
        case SYSCALL_PASS_CAUGHT:
            fprintf(stderr, "rt_host: %s: system call %d inside the real-time context\n", nn_simd_active(), number);
            ok = false;
            break;
        case SYSCALL_PASS_UNAVAILABLE:
            seccomp_missing = true;
            break;
        default:
            ok = false;
        }
        sets_run++;
    }
    fixture_free(&f);
    if (ok && sets_run < 2) { /* the reference and at least one SIMD set exist everywhere */
        fprintf(stderr, "rt_host: only %d kernel sets ran\n", sets_run);
        ok = false;
    }
    if (seccomp_missing)
        printf("rt_host: seccomp is not available here: the system call pass was skipped\n");
    if (ok)
        printf("rt_host: %d kernel sets ran in the real-time context: no RTSan violation%s\n", sets_run,
               seccomp_missing ? "" : ", no system call");
    return ok ? 0 : 1;
}

/* ---- Deliberate violations ---------------------------------------------------------------- */

/* Volatile so that the compiler can neither drop the allocation nor pair it with its free. */
static void *volatile violation_pointer;
static volatile ssize_t violation_result;
/* Called through a pointer so that gcc does not turn fputs of a constant into fwrite. */
static int (*volatile console_fputs)(const char *, FILE *) = fputs;
static pthread_mutex_t violation_mutex = PTHREAD_MUTEX_INITIALIZER;

static void violate_malloc(void) { violation_pointer = malloc(64); }
static void violate_free(void) { free(violation_pointer); }
static void violate_write(void) { console_fputs("rt_host: a console write from the audio thread\n", stdout); }

static void violate_mutex(void)
{
    pthread_mutex_lock(&violation_mutex);
    pthread_mutex_unlock(&violation_mutex);
}

static void violate_sleep(void)
{
    struct timespec tick = {0, 1};
    nanosleep(&tick, NULL);
}

static void violate_open(void) { violation_pointer = fopen("/dev/null", "r"); }

static void violate_syscall(void)
{
    static const char text[] = "rt_host: a raw write(2) from the audio thread\n";
    violation_result = write(STDOUT_FILENO, text, sizeof text - 1);
}

typedef struct violation {
    const char *kind;
    void (*commit)(void);
    const char *functions[3]; /* what RTSan may name in its report; none: the system call pass */
} violation;

static const violation violations[] = {
    {"malloc", violate_malloc, {"malloc"}},
    {"free", violate_free, {"free"}},
    {"write", violate_write, {"fputs"}},
    {"mutex", violate_mutex, {"pthread_mutex_lock"}},
    {"sleep", violate_sleep, {"nanosleep"}},
    /* meson builds with _FILE_OFFSET_BITS=64, so this is fopen64, which LLVM 19's RTSan does
     * not intercept: it catches the malloc inside glibc's fopen64 instead. */
    {"open", violate_open, {"fopen", "fopen64", "malloc"}},
    /* RTSan 19 does not intercept write(2): only the system call pass sees it. */
    {"syscall", violate_syscall, {NULL}},
};

static const violation *find_violation(const char *kind)
{
    for (size_t i = 0; i < sizeof violations / sizeof *violations; i++)
        if (!strcmp(violations[i].kind, kind))
            return &violations[i];
    return NULL;
}

/* The system call pass's report, which the self-test looks for. */
#define SYSCALL_REPORT "rt_host: caught system call %d inside the real-time context\n"
#define EXIT_SKIP 77 /* meson's "skipped" */

static int run_violation(const violation *v)
{
    fixture f;
    if (!fixture_make(&f)) {
        fixture_free(&f);
        return 1;
    }
    violation_pointer = malloc(64); /* what violate_free frees */
    tally t = {0};
    int status = EXIT_NOT_CAUGHT;
    if (v->functions[0]) {
        rtsan_pass(&f, &t, v->commit); /* RTSan ends the process here */
    } else {
        int number = -1;
        int result = syscall_pass(&f, &t, v->commit, &number);
        if (result == SYSCALL_PASS_CAUGHT) {
            fprintf(stderr, SYSCALL_REPORT, number);
            status = 1;
        } else if (result == SYSCALL_PASS_UNAVAILABLE) {
            fprintf(stderr, "rt_host: seccomp is not available here\n");
            status = EXIT_SKIP;
        } else if (result == SYSCALL_PASS_FAILED) {
            status = 1; /* already said why */
        }
    }
    if (status == EXIT_NOT_CAUGHT)
        fprintf(stderr, "rt_host: the %s violation was not caught\n", v->kind);
    fixture_free(&f);
    return status;
}

/* Run `rt_host --violate KIND` and keep the start of what it wrote to stderr. */
static bool run_child(const char *kind, char *err, size_t size, int *status)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("rt_host: pipe");
        return false;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    char *args[] = {"rt_host", "--violate", (char *)kind, NULL};
    pid_t pid;
    int spawned = posix_spawn(&pid, "/proc/self/exe", &actions, NULL, args, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (spawned != 0) {
        close(fds[0]);
        fprintf(stderr, "rt_host: cannot run myself: %s\n", strerror(spawned));
        return false;
    }
    size_t used = 0;
    char chunk[4096];
    for (;;) {
        ssize_t got = read(fds[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        size_t keep = (size_t)got < size - 1 - used ? (size_t)got : size - 1 - used;
        memcpy(err + used, chunk, keep);
        used += keep;
    }
    err[used] = 0;
    close(fds[0]);
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR) {
            perror("rt_host: waitpid");
            return false;
        }
    return true;
}

/* RTSan's report of a call to `function`. LLVM 19 writes "Real-time violation: intercepted call
 * to real-time unsafe function `malloc` in real-time context!"; later versions capitalise
 * "Intercepted" after an ==ERROR== line. */
static const char *find_report(const char *err, const char *function)
{
    char expected[128];
    snprintf(expected, sizeof expected, "call to real-time unsafe function `%s`", function);
    return strstr(err, expected);
}

static bool violation_is_caught(const violation *v, bool *skipped)
{
    char err[16384], expected[128];
    int status = 0;
    if (!run_child(v->kind, err, sizeof err, &status))
        return false;
    if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SKIP) {
        printf("rt_host: %-7s skipped: %s", v->kind, err);
        *skipped = true;
        return true;
    }
    const char *report = NULL;
    for (int i = 0; i < 3 && v->functions[i] && !report; i++)
        report = find_report(err, v->functions[i]);
    if (!v->functions[0]) {
        snprintf(expected, sizeof expected, SYSCALL_REPORT, (int)SYS_write);
        report = strstr(err, expected);
    }
    bool failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    bool ran_past = WIFEXITED(status) && WEXITSTATUS(status) == EXIT_NOT_CAUGHT;
    if (failed && !ran_past && report) {
        const char *line = report;
        while (line > err && line[-1] != '\n')
            line--;
        int length = (int)strcspn(line, "\n");
        if (WIFEXITED(status))
            printf("rt_host: %-7s caught (exit status %d): %.*s\n", v->kind, WEXITSTATUS(status), length, line);
        else
            printf("rt_host: %-7s caught (signal %d): %.*s\n", v->kind, WTERMSIG(status), length, line);
        return true;
    }
    const char *why = ran_past ? "the child ran past it" : failed ? "the child failed" : "the child exited 0";
    fprintf(stderr, "rt_host: the %s violation was NOT caught: %s, %s report of `%s`\n"
            "--- the child's stderr ---\n%s--- end ---\n",
            v->kind, why, report ? "with a" : "without a", v->functions[0] ? v->functions[0] : "write(2)", err);
    return false;
}

static int run_self_test(const char *kind)
{
    int failures = 0, tested = 0;
    bool skipped = false;
    for (size_t i = 0; i < sizeof violations / sizeof *violations; i++) {
        if (kind && strcmp(kind, violations[i].kind))
            continue;
        tested++;
        failures += !violation_is_caught(&violations[i], &skipped);
    }
    if (tested == 0) {
        fprintf(stderr, "rt_host: no violation kind '%s'\n", kind);
        return 2;
    }
    return failures ? 1 : skipped && tested == 1 ? EXIT_SKIP : 0;
}

static int usage(void)
{
    fputs("usage: rt_host [--violate KIND | --self-test [KIND]]\n"
          "KIND: malloc, free, write, mutex, sleep, open, syscall\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    __rtsan_init(); /* already done from .preinit_array; returns at once */
    if (argc == 1)
        return run_host();
    if (argc == 3 && !strcmp(argv[1], "--violate")) {
        const violation *v = find_violation(argv[2]);
        return v ? run_violation(v) : usage();
    }
    if ((argc == 2 || argc == 3) && !strcmp(argv[1], "--self-test"))
        return run_self_test(argc == 3 ? argv[2] : NULL);
    return usage();
}
