/* nn-render — the plugins' offline session: Drums RNN, Improv RNN and Melody RNN play together on
 * one transport, through their LV2 plugins, and the result is one MIDI file.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 *   nn-render --out DIR [--bpm 112] [--bars 16] [--progression "C Am F G7"] [--seed 7]
 *             [--drum-loop 2] [--piano] [--lv2-path PATH]
 *   nn-render --self-test [the same options but --out]
 *
 * The session, offline (freewheeling: fixed blocks of 256 frames at 48 kHz, the worker run
 * between callbacks, so the same options and seed give the same file byte for byte):
 *   - Drums RNN free runs, repeating a loop of --drum-loop bars (0: endless generation);
 *   - Improv RNN free runs over the progression (its chord_source: the progression, set by
 *     patch:Set before the transport rolls), one chord per bar, repeated;
 *   - Melody RNN answers: every fourth bar (1, 5, 9, ...) this tool plays a short phrase on the
 *     chord of that bar into its MIDI input, and the model replies in the next two bars;
 *   - one transport: a time:Position rolling from bar 1 at --bpm, stopped at the end of the last
 *     bar (every plugin then releases its notes).
 * DIR/session.mid (type 1, written atomically) holds a conductor track (tempo, 4/4) and a track
 * each for the drums (channel 10), Improv RNN, Melody RNN's answers, the phrases played to it,
 * and the progression as pad chords.
 *
 * --piano also renders a short piano scene, offline in the same way, into DIR/piano.mid (type 1,
 * atomic): Performance RNN free runs for --bars bars (seed --seed), then this tool plays Piano
 * Genie's eight buttons for four bars (a fixed phrase of rising and falling contours, two presses
 * a beat, each held half a beat); one track each. A plugin whose bundle has no starter model
 * (presets/performance_with_dynamics.nnm or presets/piano_genie.nnm missing when meson
 * configured) is skipped with a message; that is not a failure.
 *
 * --self-test renders twice, each time in a process of its own into a temporary folder, and
 * checks that the two files are identical, that every track of the file has notes and that every
 * note-on in it has its note-off; when both piano bundles have their models, the same for
 * piano.mid.
 */
#include "lv2host.h"
#include "music.h"

#include <lv2/atom/util.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define PLUGINS "http://magenta-lv2.org/plugins/"
#define PROGRESSION_URI "http://magenta-lv2.org/plugins#progression"

enum { RATE = 48000, BLOCK = 256, MAX_CHORDS = 64, TICKS_PER_QUARTER = 480 };

typedef struct options {
    const char *out, *lv2_path, *progression;
    double bpm;
    int bars, seed, drum_loop;
    bool piano; /* also DIR/piano.mid */
} options;

/* ---- Options ------------------------------------------------------------------------------------ */

static int usage(FILE *to)
{
    fputs("usage: nn-render --out DIR [--bpm 112] [--bars 16] [--progression \"C Am F G7\"] [--seed 7]\n"
          "                 [--drum-loop 2] [--piano] [--lv2-path PATH]\n"
          "       nn-render --self-test [the same options but --out]\n"
          "Renders Drums RNN, Improv RNN (over the progression, one chord per bar) and Melody RNN\n"
          "(answering a phrase played to it every fourth bar) together through their LV2 plugins and\n"
          "writes DIR/session.mid. --piano also writes DIR/piano.mid: Performance RNN free running for\n"
          "the bars, then Piano Genie played by this tool for four bars. The same options and seed give\n"
          "the same files.\n",
          to);
    return to == stderr ? 2 : 0;
}

static bool parse_int(const char *option, const char *text, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || errno || end == text || *end || v < lo || v > hi) {
        fprintf(stderr, "nn-render: %s wants a whole number from %ld to %ld, not '%s'\n", option, lo, hi,
                text ? text : "");
        return false;
    }
    *out = (int)v;
    return true;
}

static bool parse_bpm(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = text ? strtod(text, &end) : 0;
    if (!text || errno || end == text || *end || !(v >= 20.0 && v <= 400.0)) {
        fprintf(stderr, "nn-render: --bpm wants a tempo from 20 to 400 beats per minute, not '%s'\n", text ? text : "");
        return false;
    }
    *out = v;
    return true;
}

/* The progression's chords, each checked with Magenta's chord grammar. */
typedef struct progression {
    int count;
    music_chord chords[MAX_CHORDS];
    char names[MAX_CHORDS][MUSIC_CHORD_NAME_MAX + 1];
} progression;

static bool parse_progression(const char *text, progression *p)
{
    p->count = 0;
    const char *at = text;
    while (*at) {
        while (*at == ' ' || *at == '\t')
            at++;
        size_t n = strcspn(at, " \t");
        if (n == 0)
            break;
        if (p->count == MAX_CHORDS) {
            fprintf(stderr, "nn-render: --progression: more than %d chords\n", MAX_CHORDS);
            return false;
        }
        if (n > MUSIC_CHORD_NAME_MAX) {
            fprintf(stderr, "nn-render: --progression: chord %d ('%.*s') is longer than %d characters\n", p->count + 1,
                    (int)n, at, MUSIC_CHORD_NAME_MAX);
            return false;
        }
        char why[MUSIC_MESSAGE_SIZE];
        snprintf(p->names[p->count], sizeof p->names[p->count], "%.*s", (int)n, at);
        if (music_chord_parse(p->names[p->count], &p->chords[p->count], why) != MUSIC_OK) {
            fprintf(stderr, "nn-render: --progression: chord %d: %s\n", p->count + 1, why);
            return false;
        }
        p->count++;
        at += n;
    }
    if (p->count == 0) {
        fputs("nn-render: --progression is empty: give chord symbols separated by spaces, one per bar\n", stderr);
        return false;
    }
    return true;
}

static int parse_options(int argc, char **argv, options *o, bool *self_test)
{
    *o = (options){.progression = "C Am F G7", .bpm = 112.0, .bars = 16, .seed = 7, .drum_loop = 2};
    *self_test = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes_value = strcmp(a, "--self-test") && strcmp(a, "--piano") && strcmp(a, "--help") && strcmp(a, "-h");
        if (takes_value && !v && !strncmp(a, "--", 2)) {
            fprintf(stderr, "nn-render: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--out"))
            o->out = argv[++i];
        else if (!strcmp(a, "--lv2-path"))
            o->lv2_path = argv[++i];
        else if (!strcmp(a, "--progression"))
            o->progression = argv[++i];
        else if (!strcmp(a, "--bpm")) {
            if (!parse_bpm(argv[++i], &o->bpm))
                return 2;
        } else if (!strcmp(a, "--bars")) {
            if (!parse_int(a, argv[++i], 1, 1000, &o->bars))
                return 2;
        } else if (!strcmp(a, "--seed")) {
            if (!parse_int(a, argv[++i], 0, 16777215, &o->seed))
                return 2;
        } else if (!strcmp(a, "--drum-loop")) {
            if (!parse_int(a, argv[++i], 0, 32, &o->drum_loop))
                return 2;
        } else if (!strcmp(a, "--piano"))
            o->piano = true;
        else if (!strcmp(a, "--self-test"))
            *self_test = true;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return usage(stdout), 1;
        else {
            fprintf(stderr, "nn-render: unknown option '%s'\n", a);
            return usage(stderr);
        }
    }
    if (!*self_test && !o->out) {
        fputs("nn-render: --out DIR is required (the folder that receives session.mid)\n", stderr);
        return 2;
    }
    if (*self_test && o->out) {
        fputs("nn-render: --self-test makes its own folders: leave out --out\n", stderr);
        return 2;
    }
    return 0;
}

/* ---- The session ---------------------------------------------------------------------------------- */

/* The tracks of the files, as music_seq instruments (the writer makes one track each, in this
 * order): session.mid's, then piano.mid's. */
enum { TRACK_DRUMS, TRACK_IMPROV, TRACK_MELODY, TRACK_CALL, TRACK_CHORDS, TRACK_COUNT };
enum { TRACK_PERFORMANCE = TRACK_COUNT, TRACK_GENIE, TRACK_ALL };
static const char *const track_names[TRACK_ALL] = {"Drums RNN", "Improv RNN", "Melody RNN", "phrases played in",
                                                   "chords", "Performance RNN", "Piano Genie"};
/* General MIDI programs (from 0): standard kit, alto sax, vibraphone, acoustic grand, warm pad;
 * acoustic grand and bright piano, so the two pianos can be told apart. */
static const int track_programs[TRACK_ALL] = {0, 65, 11, 0, 89, 0, 1};

typedef struct voice {
    const char *name, *uri;
    int track;
    lv2host_plugin *p;
    int control, midi_out;
    int64_t started[16][128]; /* frame of the sounding note's start, -1 silent */
    uint8_t velocity[16][128];
    lv2host_notes notes;
} voice;

typedef struct session {
    const options *o;
    progression prog;
    lv2host_world *world;
    voice voices[3];
    int voice_count;
    int instrument_of[TRACK_ALL]; /* a track's music_seq instrument: note_seq's writer wants them from 0 */
    music_seq seq;
    int64_t roll_frame; /* the host frame where the transport starts rolling */
    long zero_length;
    bool failed;
} session;

static double frames_per_beat(const session *s) { return RATE * 60.0 / s->o->bpm; }

/* The frame of a beat (from the roll), on the frame at or after its exact time. */
static int64_t beat_frame(const session *s, double beat) { return (int64_t)ceil(beat * frames_per_beat(s) - 1e-9); }

static bool add_note(session *s, int track, int pitch, int velocity, int64_t start, int64_t end)
{
    if (end <= start) {
        s->zero_length++;
        return true;
    }
    music_note note = {.start = (double)start / RATE, .end = (double)end / RATE, .pitch = (uint8_t)pitch,
                       .velocity = (uint8_t)velocity, .program = (uint8_t)track_programs[track],
                       .is_drum = track == TRACK_DRUMS, .instrument = s->instrument_of[track]};
    if (music_seq_add_note(&s->seq, &note) != MUSIC_OK) {
        fputs("nn-render: out of memory\n", stderr);
        return false;
    }
    return true;
}

/* A plugin's MIDI message at `frame` (from the roll). */
static void take_midi(session *s, voice *v, int64_t frame, const uint8_t *m, uint32_t size)
{
    frame = frame < 0 ? 0 : frame; /* (nothing plays before the roll; were it to, it starts with it) */
    long double_ons = v->notes.double_ons, stray_offs = v->notes.stray_offs;
    lv2host_notes_apply(&v->notes, m, size);
    if (v->notes.double_ons > double_ons || v->notes.stray_offs > stray_offs) {
        fprintf(stderr, "nn-render: %s: %s of note %d on channel %d at %.3f s, which %s sounding\n", v->name,
                v->notes.double_ons > double_ons ? "note-on" : "note-off", m[1], (m[0] & 15) + 1,
                (double)frame / RATE, v->notes.double_ons > double_ons ? "is already" : "is not");
        s->failed = true;
    }
    if (size < 3 || ((m[0] & 0xF0) != 0x90 && (m[0] & 0xF0) != 0x80))
        return;
    int channel = m[0] & 15, pitch = m[1] & 127;
    bool on = (m[0] & 0xF0) == 0x90 && m[2] > 0;
    int64_t *started = &v->started[channel][pitch];
    if (*started >= 0 && !add_note(s, v->track, pitch, v->velocity[channel][pitch], *started, frame))
        s->failed = true;
    *started = on ? frame : -1;
    if (on)
        v->velocity[channel][pitch] = m[2];
}

/* The phrase played to Melody RNN in bar `bar`: six eighths on the chord's tones (up to the
 * octave and back), each a little shorter than its step, over by the bar's last beat: the
 * plugin hears a beat of silence there and answers from the next bar line. */
typedef struct phrase_note {
    double beat, length;
    int pitch;
} phrase_note;

static int phrase(const session *s, int bar, phrase_note *notes)
{
    const music_chord *c = &s->prog.chords[bar % s->prog.count];
    if (c->no_chord || c->pitch_count == 0)
        return 0;
    /* The first three tones (root, third, fifth as Magenta lists them) above a root near middle C. */
    int base = (c->root <= 6 ? 60 : 48) + c->root, tones[4], n = 0;
    for (int i = 0; i < c->pitch_count && n < 3; i++) {
        int pitch = base + (c->pitches[i] - c->root + 12) % 12;
        bool seen = false;
        for (int k = 0; k < n; k++)
            seen = seen || tones[k] == pitch;
        if (!seen)
            tones[n++] = pitch;
    }
    for (int i = 1; i < n; i++) /* ascending */
        for (int k = i; k > 0 && tones[k - 1] > tones[k]; k--) {
            int swap = tones[k];
            tones[k] = tones[k - 1], tones[k - 1] = swap;
        }
    tones[n] = tones[0] + 12;
    static const int order[6] = {0, 1, 2, 3, 2, 0};
    int count = 0;
    for (int i = 0; i < 6; i++) {
        int index = order[i] == 3 ? n : order[i] < n ? order[i] : n - 1;
        notes[count++] = (phrase_note){bar * 4.0 + i * 0.5, i == 5 ? 0.4 : 0.45, tones[index]};
    }
    return count;
}

static bool call_bar(const session *s, int bar) { return bar % 4 == 0 && bar + 1 < s->o->bars; }

/* The chord track: each bar's chord, its tones from C3 up and its root an octave below. */
static bool add_chords(session *s)
{
    for (int bar = 0; bar < s->o->bars; bar++) {
        const music_chord *c = &s->prog.chords[bar % s->prog.count];
        if (c->no_chord)
            continue;
        int64_t start = beat_frame(s, bar * 4.0), end = beat_frame(s, bar * 4.0 + 4.0);
        uint16_t added = 0;
        if (!add_note(s, TRACK_CHORDS, 36 + c->bass, 70, start, end))
            return false;
        for (int i = 0; i < c->pitch_count; i++) {
            int pc = c->pitches[i];
            if (added & (1u << pc))
                continue;
            added |= (uint16_t)(1u << pc);
            if (!add_note(s, TRACK_CHORDS, 48 + c->root + (pc - c->root + 12) % 12, 60, start, end))
                return false;
        }
    }
    return true;
}

/* A voice's note bookkeeping, before its first callback: nothing sounds. */
static void voice_silence(voice *v)
{
    for (int c = 0; c < 16; c++)
        for (int k = 0; k < 128; k++)
            v->started[c][k] = -1;
    lv2host_notes_init(&v->notes);
}

static bool set_control(voice *v, const char *symbol, float value)
{
    if (lv2host_set(v->p, symbol, value))
        return true;
    fprintf(stderr, "nn-render: %s has no control port '%s'\n", v->name, symbol);
    return false;
}

static bool make_voices(session *s)
{
    static const struct {
        const char *name, *uri;
        int track;
    } setup[3] = {{"Drums RNN", PLUGINS "drums_rnn", TRACK_DRUMS},
                  {"Improv RNN", PLUGINS "improv_rnn", TRACK_IMPROV},
                  {"Melody RNN", PLUGINS "melody_rnn", TRACK_MELODY}};
    char why[LV2HOST_MESSAGE_SIZE];
    /* Offline: the worker runs between callbacks and its answers come before the next run, so
     * everything happens at the same callback every time. */
    lv2host_config config = lv2host_config_default(RATE, BLOCK);
    config.worker = LV2HOST_WORKER_SYNC;
    config.responses_before_run = true;
    for (int i = 0; i < 3; i++) {
        voice *v = &s->voices[i];
        v->name = setup[i].name, v->uri = setup[i].uri, v->track = setup[i].track;
        config.name = v->name;
        v->p = lv2host_plugin_new(s->world, v->uri, &config, why);
        if (!v->p) {
            fprintf(stderr, "nn-render: %s\n", why);
            return false;
        }
        s->voice_count = i + 1;
        v->control = lv2host_port(v->p, "control");
        v->midi_out = lv2host_port(v->p, "midi_out");
        if (v->control < 0 || v->midi_out < 0) {
            fprintf(stderr, "nn-render: %s lacks the port 'control' or 'midi_out'\n", v->name);
            return false;
        }
        voice_silence(v);
        /* Each plugin its own seed; the tempo also for its own clock. */
        if (!set_control(v, "seed", (float)((s->o->seed + i) % 16777216)) || !set_control(v, "bpm", (float)s->o->bpm))
            return false;
    }
    voice *drums = &s->voices[0], *improv = &s->voices[1], *melody = &s->voices[2];
    return set_control(drums, "mode", 2) && set_control(drums, "loop_bars", (float)s->o->drum_loop) &&
           set_control(improv, "mode", 2) && set_control(improv, "chord_source", 1) &&
           set_control(melody, "mode", 1) && set_control(melody, "length_bars", 2);
}

/* One callback of every plugin; host_frame is where the block starts. */
static void run_block(session *s, int64_t host_frame)
{
    for (int i = 0; i < s->voice_count; i++) {
        voice *v = &s->voices[i];
        lv2host_run(v->p, BLOCK);
        LV2_ATOM_SEQUENCE_FOREACH (lv2host_sequence(v->p, v->midi_out), ev) {
            const uint8_t *m;
            uint32_t size;
            if (lv2host_read_midi(s->world, ev, &m, &size))
                take_midi(s, v, host_frame + ev->time.frames - s->roll_frame, m, size);
        }
        lv2host_idle(v->p);
    }
}

/* After the end: every voice deactivated, silent, having played, and with nothing logged as an error. */
static void check_voices(session *s, int bars)
{
    char why[LV2HOST_MESSAGE_SIZE];
    for (int i = 0; i < s->voice_count; i++) {
        voice *v = &s->voices[i];
        lv2host_deactivate(v->p);
        int sounding = lv2host_notes_sounding(&v->notes);
        if (sounding) {
            fprintf(stderr, "nn-render: %s: %d notes still sound after the end\n", v->name, sounding);
            s->failed = true;
        }
        if (v->notes.note_ons == 0) {
            fprintf(stderr, "nn-render: %s played no note in %d bars\n", v->name, bars);
            s->failed = true;
        }
        if (lv2host_log_errors(v->p)) {
            lv2host_last_error(v->p, why, sizeof why);
            fprintf(stderr, "nn-render: %s logged an error: %s\n", v->name, why);
            s->failed = true;
        }
    }
}

static bool render(session *s)
{
    const options *o = s->o;
    char why[LV2HOST_MESSAGE_SIZE];
    s->world = lv2host_world_new(o->lv2_path, why);
    if (!s->world) {
        fprintf(stderr, "nn-render: %s\n", why);
        return false;
    }
    if (!make_voices(s))
        return false;
    voice *improv = &s->voices[1], *melody = &s->voices[2];
    for (int i = 0; i < 3; i++)
        lv2host_activate(s->voices[i].p);

    /* Before the roll: the transport stopped at bar 1, the progression set (two callbacks: the
     * worker parses it between them). */
    lv2host_transport t;
    lv2host_transport_init(&t, RATE, o->bpm, 4.0, 4);
    lv2host_position stopped = lv2host_transport_position(&t);
    int64_t host_frame = 0;
    s->roll_frame = 2 * BLOCK;
    for (int pre = 0; pre < 2; pre++, host_frame += BLOCK) {
        for (int i = 0; pre == 0 && i < 3; i++)
            lv2host_send_position(s->voices[i].p, s->voices[i].control, 0, &stopped);
        if (pre == 0 && !lv2host_send_set_string(improv->p, improv->control, 0,
                                                  lv2host_map(s->world, PROGRESSION_URI), o->progression)) {
            fputs("nn-render: the progression does not fit Improv RNN's control port\n", stderr);
            return false;
        }
        run_block(s, host_frame);
    }
    if (lv2host_log_errors(improv->p) > 0) {
        lv2host_last_error(improv->p, why, sizeof why);
        fprintf(stderr, "nn-render: Improv RNN refused the progression: %s\n", why);
        return false;
    }

    /* The roll: to the end of the last bar, then the stop. */
    int64_t end = beat_frame(s, o->bars * 4.0);
    phrase_note notes[8];
    int count = 0, next = 0, bar = -1;
    bool stopped_yet = false;
    t.rolling = true;
    for (; !stopped_yet; host_frame += BLOCK) {
        int64_t from = host_frame - s->roll_frame, to = from + BLOCK;
        if (from == 0) {
            lv2host_position rolling = lv2host_transport_position(&t);
            for (int i = 0; i < 3; i++)
                lv2host_send_position(s->voices[i].p, s->voices[i].control, 0, &rolling);
        }
        /* The phrases into Melody RNN: each note-on and note-off on its frame, in order. */
        for (;;) {
            if (next == 2 * count) {
                while (++bar < o->bars && !call_bar(s, bar)) {
                }
                if (bar >= o->bars)
                    break;
                count = phrase(s, bar, notes), next = 0;
                for (int i = 0; i < count; i++)
                    if (!add_note(s, TRACK_CALL, notes[i].pitch, 90, beat_frame(s, notes[i].beat),
                                  beat_frame(s, notes[i].beat + notes[i].length)))
                        return false;
                if (count == 0)
                    continue;
            }
            /* Events in time order: note k's on at 2k, its off at 2k + 1 (each off precedes the next on). */
            const phrase_note *n = &notes[next / 2];
            int64_t at = beat_frame(s, next % 2 ? n->beat + n->length : n->beat);
            if (at >= to)
                break;
            uint8_t m[3] = {next % 2 ? 0x80 : 0x90, (uint8_t)n->pitch, next % 2 ? 64 : 90};
            lv2host_send_midi(melody->p, melody->control, (uint32_t)(at - from), m, 3);
            next++;
        }
        if (end < to) {
            lv2host_transport_advance(&t, (uint32_t)(end - from));
            t.rolling = false;
            lv2host_position stop = lv2host_transport_position(&t);
            for (int i = 0; i < 3; i++)
                lv2host_send_position(s->voices[i].p, s->voices[i].control, (uint32_t)(end - from), &stop);
            stopped_yet = true;
        } else {
            lv2host_transport_advance(&t, BLOCK);
        }
        run_block(s, host_frame);
    }
    check_voices(s, o->bars);
    return add_chords(s) && !s->failed;
}

/* The session's notes as DIR/`name` (tempo and 4/4 in the conductor track), atomically. */
static bool write_midi(session *s, const char *name, char path[PATH_MAX])
{
    char why[MUSIC_MESSAGE_SIZE];
    if (mkdir(s->o->out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "nn-render: cannot make the folder %s: %s\n", s->o->out, strerror(errno));
        return false;
    }
    if (snprintf(path, PATH_MAX, "%s/%s", s->o->out, name) >= PATH_MAX) {
        fprintf(stderr, "nn-render: the path %s/%s is too long\n", s->o->out, name);
        return false;
    }
    s->seq.ticks_per_quarter = TICKS_PER_QUARTER;
    if (music_seq_add_tempo(&s->seq, 0.0, s->o->bpm) != MUSIC_OK ||
        music_seq_add_time_signature(&s->seq, 0.0, 4, 4) != MUSIC_OK) {
        fputs("nn-render: out of memory\n", stderr);
        return false;
    }
    music_seq_sort(&s->seq);
    if (music_midi_write_file(&s->seq, path, why) != MUSIC_OK) {
        fprintf(stderr, "nn-render: %s\n", why);
        return false;
    }
    return true;
}

static int write_session(session *s, double seconds)
{
    char path[PATH_MAX];
    if (!write_midi(s, "session.mid", path))
        return 1;
    int per_track[TRACK_COUNT] = {0};
    for (int i = 0; i < s->seq.notes.count; i++)
        per_track[s->seq.notes.items[i].instrument]++;
    printf("nn-render: %d bars at %g bpm (%.1f s), progression \"%s\", seed %d\n", s->o->bars, s->o->bpm, seconds,
           s->o->progression, s->o->seed);
    for (int k = 0; k < TRACK_COUNT; k++)
        printf("  track %d: %-18s %4d notes\n", k + 1, track_names[k], per_track[k]);
    printf("nn-render: wrote %s\n", path);
    return 0;
}

/* ---- The piano scene ------------------------------------------------------------------------------ */

enum { GENIE_BARS = 4, GENIE_STEPS = GENIE_BARS * 8, GENIE_FIRST_NOTE = 60 };

/* The two piano plugins, each with the starter model its bundle holds when presets/ had it. */
typedef struct piano_part {
    const char *name, *uri, *model;
    int track;
} piano_part;
static const piano_part piano_parts[2] = {
    {"Performance RNN", PLUGINS "performance_rnn", "performance_with_dynamics.nnm", TRACK_PERFORMANCE},
    {"Piano Genie", PLUGINS "piano_genie", "piano_genie.nnm", TRACK_GENIE}};

/* The buttons pressed on Piano Genie (0 lowest .. 7 highest), one per eighth note, each held half
 * a beat; -1 holds the previous press on. Arches that climb a step each bar, then a fall to the
 * lowest button, held for the last beat. */
static const int genie_phrase[GENIE_STEPS] = {0, 1, 2, 3, 4, 3, 2, 1, /* */ 2, 3, 4, 5, 6, 5, 4, 3,
                                              4, 5, 6, 7, 6, 5, 4, 2, /* */ 5, 4, 3, 2, 1, 2, 0, -1};

typedef struct press {
    int64_t on, off; /* frames from the roll */
    uint8_t note, velocity;
} press;

/* The phrase from `first_beat`: accents on the beats, a little louder as it climbs. */
static int genie_presses(const session *s, double first_beat, press *presses)
{
    int count = 0;
    for (int i = 0; i <= GENIE_STEPS; i++) {
        if (i < GENIE_STEPS && genie_phrase[i] < 0)
            continue;
        int64_t frame = beat_frame(s, first_beat + i * 0.5);
        if (count > 0) /* the previous press is released as this one comes (or the phrase ends) */
            presses[count - 1].off = frame;
        if (i == GENIE_STEPS)
            break;
        int button = genie_phrase[i];
        presses[count++] = (press){.on = frame, .note = (uint8_t)(GENIE_FIRST_NOTE + button),
                                   .velocity = (uint8_t)(76 + 3 * button + (i % 2 ? 0 : 12))};
    }
    return count;
}

/* The plugin of a piano part with its bundle's model, or NULL with `why` saying what is missing:
 * the plugin on the LV2 path, or the model in its bundle (presets/ lacked it when meson configured). */
static lv2host_plugin *piano_plugin(lv2host_world *world, const piano_part *part, const lv2host_config *config,
                                    char *why)
{
    lv2host_plugin *p = lv2host_plugin_new(world, part->uri, config, why);
    if (!p)
        return NULL;
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s%s", lv2host_plugin_bundle(p), part->model);
    if (n < 0 || n >= (int)sizeof path || access(path, R_OK) != 0) {
        snprintf(why, LV2HOST_MESSAGE_SIZE,
                 "%s's bundle %s has no model %s (presets/%s was not there when meson configured the build)",
                 part->name, lv2host_plugin_bundle(p), part->model, part->model);
        lv2host_plugin_free(p);
        return NULL;
    }
    return p;
}

/* Performance RNN free running from bar 1 to the end of --bars, then Piano Genie played for
 * GENIE_BARS (from bar 1 when Performance RNN is missing). Either may be missing: it is skipped. */
static bool render_piano(session *s, int *genie_press_count)
{
    const options *o = s->o;
    char why[LV2HOST_MESSAGE_SIZE];
    lv2host_config config = lv2host_config_default(RATE, BLOCK);
    config.worker = LV2HOST_WORKER_SYNC;
    config.responses_before_run = true;
    voice *perf = NULL, *genie = NULL;
    for (int i = 0; i < 2; i++) {
        const piano_part *part = &piano_parts[i];
        config.name = part->name;
        lv2host_plugin *p = piano_plugin(s->world, part, &config, why);
        if (!p) {
            fprintf(stderr, "nn-render: %s; the piano scene goes without %s\n", why, part->name);
            continue;
        }
        s->instrument_of[part->track] = s->voice_count;
        voice *v = &s->voices[s->voice_count++];
        v->name = part->name, v->uri = part->uri, v->track = part->track, v->p = p;
        v->control = lv2host_port(p, "control");
        v->midi_out = lv2host_port(p, "midi_out");
        if (v->control < 0 || v->midi_out < 0) {
            fprintf(stderr, "nn-render: %s lacks the port 'control' or 'midi_out'\n", v->name);
            return false;
        }
        voice_silence(v);
        *(i == 0 ? &perf : &genie) = v;
    }
    if (s->voice_count == 0)
        return true;
    if (perf && !(set_control(perf, "seed", (float)o->seed) && set_control(perf, "bpm", (float)o->bpm) &&
                  set_control(perf, "mode", 2)))
        return false;
    if (genie) {
        /* Its own seed; the buttons where the phrase presses them; each key at its press's velocity. */
        if (!set_control(genie, "seed", (float)((o->seed + 1) % 16777216)) || !set_control(genie, "velocity_mode", 0))
            return false;
        for (int b = 0; b < 8; b++) {
            char symbol[32];
            snprintf(symbol, sizeof symbol, "button%d_note", b + 1);
            if (!set_control(genie, symbol, (float)(GENIE_FIRST_NOTE + b)))
                return false;
        }
    }
    for (int i = 0; i < s->voice_count; i++)
        lv2host_activate(s->voices[i].p);

    press presses[GENIE_STEPS];
    int count = genie ? genie_presses(s, perf ? o->bars * 4.0 : 0.0, presses) : 0, next = 0;
    *genie_press_count = count;
    int64_t perf_end = perf ? beat_frame(s, o->bars * 4.0) : -1, end = count ? presses[count - 1].off : perf_end;

    /* Performance RNN's transport: stopped at bar 1 for a callback, rolling, stopped at its end. */
    lv2host_transport t;
    lv2host_transport_init(&t, RATE, o->bpm, 4.0, 4);
    int64_t host_frame = 0;
    s->roll_frame = BLOCK;
    if (perf) {
        lv2host_position stopped = lv2host_transport_position(&t);
        lv2host_send_position(perf->p, perf->control, 0, &stopped);
    }
    run_block(s, host_frame);
    t.rolling = true;
    for (host_frame += BLOCK;; host_frame += BLOCK) {
        int64_t from = host_frame - s->roll_frame, to = from + BLOCK;
        if (perf && from == 0) {
            lv2host_position rolling = lv2host_transport_position(&t);
            lv2host_send_position(perf->p, perf->control, 0, &rolling);
        }
        if (perf && t.rolling) {
            if (perf_end < to) {
                lv2host_transport_advance(&t, (uint32_t)(perf_end - from));
                t.rolling = false;
                lv2host_position stop = lv2host_transport_position(&t);
                lv2host_send_position(perf->p, perf->control, (uint32_t)(perf_end - from), &stop);
            } else {
                lv2host_transport_advance(&t, BLOCK);
            }
        }
        /* The presses: press k's on at 2k, its release at 2k + 1 (no later than the next press). */
        for (; next < 2 * count; next++) {
            const press *b = &presses[next / 2];
            int64_t at = next % 2 ? b->off : b->on;
            if (at >= to)
                break;
            uint8_t m[3] = {next % 2 ? 0x80 : 0x90, b->note, next % 2 ? 64 : b->velocity};
            lv2host_send_midi(genie->p, genie->control, (uint32_t)(at - from), m, 3);
        }
        run_block(s, host_frame);
        if (end < to)
            break;
    }
    check_voices(s, (perf ? o->bars : 0) + (genie ? GENIE_BARS : 0));
    return !s->failed;
}

static int write_piano(session *s, int presses)
{
    const options *o = s->o;
    char path[PATH_MAX];
    if (s->voice_count == 0) {
        /* No file: an older one left there would pass for this render's. */
        bool stale = snprintf(path, sizeof path, "%s/piano.mid", o->out) < (int)sizeof path && unlink(path) == 0;
        printf("nn-render: no piano scene: neither Performance RNN nor Piano Genie has its model (see above)%s%s\n",
               stale ? "; removed the older " : "", stale ? path : "");
        return 0;
    }
    if (!write_midi(s, "piano.mid", path))
        return 1;
    int per_track[2] = {0}, bars = 0; /* by instrument: the voices' order */
    for (int i = 0; i < s->seq.notes.count; i++)
        per_track[s->seq.notes.items[i].instrument]++;
    for (int i = 0; i < s->voice_count; i++)
        bars += s->voices[i].track == TRACK_PERFORMANCE ? o->bars : GENIE_BARS;
    printf("nn-render: piano scene, %d bars at %g bpm (%.1f s), seed %d:", bars, o->bpm, bars * 4.0 * 60.0 / o->bpm,
           o->seed);
    for (int i = 0; i < s->voice_count; i++)
        if (s->voices[i].track == TRACK_PERFORMANCE)
            printf(" Performance RNN free running %d bars%s", o->bars, s->voice_count > 1 ? ", then" : "");
        else
            printf(" Piano Genie played by nn-render (%d presses in %d bars)", presses, GENIE_BARS);
    printf("\n");
    for (int i = 0; i < s->voice_count; i++)
        printf("  track %d: %-18s %4d notes\n", i + 1, track_names[s->voices[i].track], per_track[i]);
    printf("nn-render: wrote %s\n", path);
    return 0;
}

static int run_piano(const options *o, lv2host_world *world)
{
    session *s = calloc(1, sizeof *s);
    if (!s) {
        fputs("nn-render: out of memory\n", stderr);
        return 1;
    }
    s->o = o, s->world = world;
    music_seq_init(&s->seq);
    int presses = 0, status = render_piano(s, &presses) ? write_piano(s, presses) : 1;
    for (int i = 0; i < s->voice_count; i++)
        lv2host_plugin_free(s->voices[i].p);
    music_seq_free(&s->seq);
    free(s);
    return status;
}

static int run(const options *o)
{
    session *s = calloc(1, sizeof *s);
    if (!s) {
        fputs("nn-render: out of memory\n", stderr);
        return 1;
    }
    s->o = o;
    for (int k = 0; k < TRACK_COUNT; k++)
        s->instrument_of[k] = k;
    music_seq_init(&s->seq);
    int status = 1;
    if (parse_progression(o->progression, &s->prog) && render(s))
        status = write_session(s, o->bars * 4.0 * 60.0 / o->bpm);
    if (status == 0 && o->piano)
        status = run_piano(o, s->world);
    for (int i = 0; i < 3; i++)
        lv2host_plugin_free(s->voices[i].p);
    lv2host_world_free(s->world);
    music_seq_free(&s->seq);
    free(s);
    return status;
}

/* ---- The self-test ------------------------------------------------------------------------------ */

static bool read_file(const char *path, uint8_t **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    *data = NULL, *size = 0;
    if (!f) {
        fprintf(stderr, "nn-render: cannot open %s: %s\n", path, strerror(errno));
        return false;
    }
    size_t capacity = 0;
    for (;;) {
        if (*size == capacity) {
            capacity = capacity ? 2 * capacity : 65536;
            uint8_t *grown = realloc(*data, capacity);
            if (!grown) {
                fclose(f);
                return false;
            }
            *data = grown;
        }
        size_t got = fread(*data + *size, 1, capacity - *size, f);
        *size += got;
        if (got == 0)
            break;
    }
    bool ok = !ferror(f);
    fclose(f);
    return ok;
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* Walk a Standard MIDI File's tracks: notes per track, and whether every note-on (per channel
 * and pitch) has its note-off before the track ends. */
static bool check_tracks(const uint8_t *b, size_t size, int *tracks_with_notes, int *tracks)
{
    if (size < 14 || memcmp(b, "MThd", 4) || be32(b + 4) != 6) {
        fputs("nn-render: the file does not start with a MIDI header\n", stderr);
        return false;
    }
    size_t at = 14;
    *tracks = 0, *tracks_with_notes = 0;
    while (at + 8 <= size) {
        if (memcmp(b + at, "MTrk", 4)) {
            fprintf(stderr, "nn-render: no track chunk at byte %zu\n", at);
            return false;
        }
        size_t length = be32(b + at + 4), p = at + 8, stop = p + length;
        if (stop > size) {
            fprintf(stderr, "nn-render: track %d runs past the end of the file\n", *tracks + 1);
            return false;
        }
        int sounding[16][128] = {{0}}, notes = 0, status = 0;
        while (p < stop) {
            while (p < stop && (b[p++] & 0x80)) { /* delta time */
            }
            if (p >= stop)
                break;
            if (b[p] & 0x80)
                status = b[p++];
            if (status == 0xFF || status == 0xF0 || status == 0xF7) {
                p += status == 0xFF; /* the meta type */
                size_t n = 0;
                while (p < stop && (b[p] & 0x80))
                    n = n << 7 | (b[p++] & 0x7F);
                n = p < stop ? n << 7 | b[p++] : n;
                p += n;
                status = 0; /* no running status after meta or sysex */
                continue;
            }
            int kind = status & 0xF0, channel = status & 15;
            int data = kind == 0xC0 || kind == 0xD0 ? 1 : 2;
            if (!status || p + (size_t)data > stop) {
                fprintf(stderr, "nn-render: track %d: bad event at byte %zu\n", *tracks + 1, p);
                return false;
            }
            if (kind == 0x90 && b[p + 1] > 0) {
                sounding[channel][b[p]]++;
                notes++;
            } else if (kind == 0x80 || kind == 0x90) {
                if (--sounding[channel][b[p]] < 0) {
                    fprintf(stderr, "nn-render: track %d: note-off of note %d without a note-on\n", *tracks + 1, b[p]);
                    return false;
                }
            }
            p += (size_t)data;
        }
        for (int c = 0; c < 16; c++)
            for (int k = 0; k < 128; k++)
                if (sounding[c][k]) {
                    fprintf(stderr, "nn-render: track %d: note %d on channel %d is never released\n", *tracks + 1, k,
                            c + 1);
                    return false;
                }
        if (*tracks > 0 && notes == 0) {
            fprintf(stderr, "nn-render: track %d has no note\n", *tracks + 1);
            return false;
        }
        *tracks_with_notes += notes > 0;
        (*tracks)++;
        at = stop;
    }
    return true;
}

static bool render_child(int argc, char **argv, const char *dir)
{
    char **args = calloc((size_t)argc + 4, sizeof *args);
    if (!args)
        return false;
    int n = 0;
    args[n++] = "nn-render";
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--self-test") && strcmp(argv[i], "--piano"))
            args[n++] = argv[i];
    args[n++] = "--piano"; /* always: piano.mid is checked when both piano bundles have their models */
    args[n++] = "--out";
    args[n++] = (char *)dir;
    pid_t pid;
    int spawned = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ), status = 0;
    free(args);
    if (spawned != 0) {
        fprintf(stderr, "nn-render: cannot run myself: %s\n", strerror(spawned));
        return false;
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "nn-render: the render into %s failed (status %#x)\n", dir, (unsigned)status);
        return false;
    }
    return true;
}

/* Whether both piano plugins are on the path with their models (asked quietly: the renders say why not). */
static bool piano_models(const options *o)
{
    char why[LV2HOST_MESSAGE_SIZE];
    lv2host_world *world = lv2host_world_new(o->lv2_path, why);
    if (!world)
        return false;
    lv2host_config config = lv2host_config_default(RATE, BLOCK);
    config.quiet = true;
    bool both = true;
    for (int i = 0; i < 2 && both; i++) {
        lv2host_plugin *p = piano_plugin(world, &piano_parts[i], &config, why);
        both = p != NULL;
        lv2host_plugin_free(p);
    }
    lv2host_world_free(world);
    return both;
}

/* DIR/name of the two renders: identical byte for byte, every note released, `tracks_with_notes`
 * tracks with notes (besides the conductor). */
static bool same_files(char dirs[2][PATH_MAX], const char *name, int tracks_with_notes)
{
    char file[PATH_MAX + 16];
    uint8_t *data[2] = {NULL, NULL};
    size_t sizes[2] = {0, 0};
    bool ok = true;
    for (int i = 0; i < 2 && ok; i++) {
        snprintf(file, sizeof file, "%s/%s", dirs[i], name);
        ok = read_file(file, &data[i], &sizes[i]);
    }
    if (ok && (sizes[0] != sizes[1] || memcmp(data[0], data[1], sizes[0]))) {
        size_t first = 0;
        while (first < sizes[0] && first < sizes[1] && data[0][first] == data[1][first])
            first++;
        fprintf(stderr, "nn-render: %s: two renders with the same options differ (%zu and %zu bytes, from byte %zu)\n",
                name, sizes[0], sizes[1], first);
        ok = false;
    }
    int tracks = 0, with_notes = 0;
    ok = ok && check_tracks(data[0], sizes[0], &with_notes, &tracks);
    if (ok && with_notes != tracks_with_notes) {
        fprintf(stderr, "nn-render: %s: %d tracks have notes, not %d\n", name, with_notes, tracks_with_notes);
        ok = false;
    }
    if (ok)
        printf("nn-render: %s: two renders are identical (%zu bytes); %d tracks, each with notes, every note "
               "released\n",
               name, sizes[0], tracks);
    free(data[0]);
    free(data[1]);
    return ok;
}

static int self_test(const options *o, int argc, char **argv)
{
    const char *tmp = getenv("TMPDIR");
    char dirs[2][PATH_MAX];
    bool ok = true;
    int made = 0;
    for (; made < 2 && ok; made++) {
        snprintf(dirs[made], sizeof dirs[made], "%s/nn-render-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dirs[made])) {
            fprintf(stderr, "nn-render: cannot make a temporary folder: %s\n", strerror(errno));
            break;
        }
        ok = render_child(argc, argv, dirs[made]);
    }
    ok = ok && made == 2 && same_files(dirs, "session.mid", TRACK_COUNT);
    if (ok) {
        if (piano_models(o))
            ok = same_files(dirs, "piano.mid", 2);
        else
            printf("nn-render: piano.mid not checked: Performance RNN or Piano Genie lacks its model (see above)\n");
    }
    for (int i = 0; i < made; i++) {
        static const char *const names[2] = {"session.mid", "piano.mid"};
        for (int k = 0; k < 2; k++) {
            char file[PATH_MAX + 16];
            snprintf(file, sizeof file, "%s/%s", dirs[i], names[k]);
            unlink(file);
        }
        rmdir(dirs[i]);
    }
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    options o;
    bool test;
    int status = parse_options(argc, argv, &o, &test);
    if (status)
        return status == 1 ? 0 : status;
    if (test) {
        progression p;
        return parse_progression(o.progression, &p) ? self_test(&o, argc, argv) : 2;
    }
    return run(&o);
}
