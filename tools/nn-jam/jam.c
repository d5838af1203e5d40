/* jam.c — nn-jam's engine: the slots' cores on one clock, in one callback (jam.h).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Everything jam_process touches is made in jam_new. Other threads reach it through four SPSC
 * rings: commands in; status snapshots, notices and recorded MIDI out. The callback never waits
 * for a ring: a full ring drops the record and counts it.
 */
#define _GNU_SOURCE
#include "jam_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    COMMANDS_PER_CALLBACK = 64, /* bounded work: more wait for the next callback */
    STATUS_PER_SECOND = 30,
    CLICK_MS = 25,
};

static uint64_t now_ns(void)
{
    /* CLOCK_MONOTONIC through the vDSO: no system call. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- Building ---------------------------------------------------------------------------- */

/* The cores' settings from the slot's control values (clamped again by the cores). */
static void apply_controls(jam_slot *s, bool regenerate)
{
    if (s->kind == JAM_GENIE) {
        genie_controls c = genie_controls_default();
        jam_controls_store(s->kind, s->values, &c);
        memcpy(c.button_notes, s->button_notes, sizeof c.button_notes);
        genie_set_controls(s->genie, &c);
        return;
    }
    gen_controls c = gen_controls_default(jam_gen_kind(s->kind));
    jam_controls_store(s->kind, s->values, &c);
    c.regenerate = regenerate;
    memcpy(c.drum_notes, s->drum_notes, sizeof c.drum_notes);
    gen_set_controls(s->gen, &c);
}

static nn_status slot_open(jam_slot *s, const jam_slot_setup *ss, double rate, char *why)
{
    char inner[NN_MESSAGE_SIZE];
    char path[JAM_PATH_MAX];
    s->kind = ss->kind;
    memcpy(s->values, ss->controls, sizeof s->values);
    memcpy(s->button_notes, ss->button_notes, sizeof s->button_notes);
    memcpy(s->drum_notes, ss->drum_notes, sizeof s->drum_notes);
    s->muted = ss->controls[JAM_CTL_MUTE] >= 0.5;
    s->last_note = -1;
    snprintf(path, sizeof path, "%s", ss->model_path);
    if (!path[0] && !jam_default_model(ss->kind, path, sizeof path)) {
        snprintf(why, NN_MESSAGE_SIZE,
                 "%s: no model given and no %s starter model found (set model=PATH, or NN_JAM_MODELS to a folder of .nnm files)",
                 ss->name, jam_kind_name(ss->kind));
        return NN_ERR_IO;
    }
    nn_status st;
    if (s->kind == JAM_GENIE) {
        if ((st = genie_new(rate, &s->genie, inner)) == NN_OK)
            st = genie_model_load(path, &s->genie_model, inner);
        if (st == NN_OK)
            genie_swap_model(s->genie, s->genie_model);
    } else {
        gen_kind gk = jam_gen_kind(s->kind);
        if ((st = gen_new(gk, rate, &s->gen, inner)) == NN_OK)
            st = gen_model_load(gk, path, &s->gen_model, inner);
        if (st == NN_OK && ss->progression[0]) {
            st = gen_progression_parse(ss->progression, &s->progression, inner);
            if (st == NN_OK)
                gen_swap_progression(s->gen, s->progression);
        }
        if (st == NN_OK)
            gen_swap_model(s->gen, s->gen_model);
    }
    if (st != NN_OK) {
        snprintf(why, NN_MESSAGE_SIZE, "%s: %.470s", ss->name, inner);
        return st;
    }
    s->cpu_hist = calloc(JAM_CPU_BINS, sizeof *s->cpu_hist);
    if (!s->cpu_hist) {
        snprintf(why, NN_MESSAGE_SIZE, "%s: out of memory", ss->name);
        return NN_ERR_MEMORY;
    }
    apply_controls(s, false);
    return NN_OK;
}

static void slot_close(jam_slot *s)
{
    if (s->gen) {
        gen_model_free(gen_swap_model(s->gen, NULL));
        gen_progression_free(gen_swap_progression(s->gen, NULL));
        gen_free(s->gen);
    }
    if (s->genie) {
        genie_model_free(genie_swap_model(s->genie, NULL));
        genie_free(s->genie);
    }
    free(s->cpu_hist);
}

nn_status jam_new(const jam_setup *setup, double sample_rate, uint32_t max_frames, jam **out, char *why)
{
    *out = NULL;
    if (!setup || setup->slot_count < 1 || setup->slot_count > JAM_MAX_SLOTS) {
        snprintf(why, NN_MESSAGE_SIZE, "no model to run: give at least one with -m KIND (melody, drums, improv, performance, genie)");
        return NN_ERR_ARGUMENT;
    }
    if (!(sample_rate >= 8000 && sample_rate <= 768000) || max_frames < 1 || max_frames > 65536) {
        snprintf(why, NN_MESSAGE_SIZE, "unsupported audio format: %.0f Hz, %u frames per period", sample_rate, max_frames);
        return NN_ERR_ARGUMENT;
    }
    jam *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(why, NN_MESSAGE_SIZE, "out of memory");
        return NN_ERR_MEMORY;
    }
    j->setup = *setup;
    j->rate = sample_rate;
    j->max_frames = max_frames;
    j->slot_count = setup->slot_count;
    j->learn_slot = j->learn_control = -1;
    j->own_bpm = setup->bpm;
    j->beats_per_bar = setup->beats_per_bar;
    j->own_rolling = true;
    j->last_bpm = -1;
    j->status_every = (uint64_t)(sample_rate / STATUS_PER_SECOND);
    j->stop_frame = setup->duration > 0 ? (uint64_t)ceil(setup->duration * sample_rate) : 0;
    j->status_back = 0;
    j->status_front = 1;
    atomic_init(&j->status_middle, 2);
    music_seq_init(&j->recording);
    nn_status st = NN_OK;
    if (dsp_ring_new(sizeof(jam_command), 256, &j->commands) || dsp_ring_new(sizeof(jam_notice), 256, &j->notices) || dsp_ring_new(sizeof(jam_record_event), 65536, &j->record) ||
        !(j->cpu_hist = calloc(JAM_CPU_BINS, sizeof *j->cpu_hist))) {
        snprintf(why, NN_MESSAGE_SIZE, "out of memory");
        st = NN_ERR_MEMORY;
    }
    for (int i = 0; st == NN_OK && i < j->slot_count; i++)
        st = slot_open(&j->slots[i], &setup->slots[i], sample_rate, why);
    if (st != NN_OK) {
        jam_free(j);
        return st;
    }
    *out = j;
    return NN_OK;
}

void jam_free(jam *j)
{
    if (!j)
        return;
    for (int i = 0; i < j->slot_count; i++)
        slot_close(&j->slots[i]);
    dsp_ring_free(j->commands);
    dsp_ring_free(j->notices);
    dsp_ring_free(j->record);
    free(j->cpu_hist);
    jam_record_reset(j);
    free(j);
}

const jam_setup *jam_get_setup(const jam *j) { return &j->setup; }
double jam_sample_rate(const jam *j) { return j->rate; }

void jam_count_xrun(jam *j) { atomic_fetch_add_explicit(&j->xruns, 1, memory_order_relaxed); }
void jam_count_dropped_input(jam *j, unsigned n) { atomic_fetch_add_explicit(&j->dropped_input, n, memory_order_relaxed); }

bool jam_send(jam *j, const jam_command *command) { return dsp_ring_push(j->commands, command); }

bool jam_poll_status(jam *j, jam_status *status)
{
    if (!(atomic_load_explicit(&j->status_middle, memory_order_relaxed) & JAM_STATUS_FRESH))
        return false;
    unsigned old = atomic_exchange_explicit(&j->status_middle, (unsigned)j->status_front, memory_order_acq_rel);
    j->status_front = (int)(old & 3u);
    *status = j->status[j->status_front];
    return true;
}

bool jam_poll_notice(jam *j, jam_notice *notice) { return dsp_ring_pop(j->notices, notice); }

/* ---- The callback ------------------------------------------------------------------------ */

static void notify(jam *j, int type, int slot, int control, int channel, int cc, double value)
{
    jam_notice n = {.type = type, .slot = slot, .control = control, .channel = channel, .cc = cc, .value = value};
    dsp_ring_push(j->notices, &n);
}

static void record_event(jam *j, int track, uint32_t frame, int type, const uint8_t *bytes, uint32_t size, double value)
{
    if (!j->setup.record_path[0])
        return;
    jam_record_event e = {.frame = j->frame + frame, .track = (uint8_t)track, .type = (uint8_t)type,
                          .size = (uint8_t)(size > 3 ? 3 : size), .value = value};
    if (bytes)
        memcpy(e.bytes, bytes, e.size);
    if (!dsp_ring_push(j->record, &e))
        j->dropped_record++;
}

static bool note_bit(const uint32_t *set, int channel, int note)
{
    return set[channel * 4 + note / 32] >> (note % 32) & 1u;
}

static void note_set(uint32_t *set, int channel, int note, bool on)
{
    uint32_t bit = 1u << (note % 32);
    if (on)
        set[channel * 4 + note / 32] |= bit;
    else
        set[channel * 4 + note / 32] &= ~bit;
}

/* Where a core's messages go: the backend (unless muted) and the recording. Note-offs of notes
 * this slot has not started (begun while muted, or ended by the mute's panic) are dropped, so
 * every note-off out has its note-on. */
typedef struct emit_ctx {
    jam *j;
    const jam_io *io;
    int slot;
    uint32_t base;   /* frames of this callback before the core's current run */
    bool force;      /* the mute's own panic goes out */
} emit_ctx;

static bool emit(void *user, uint32_t frame, const uint8_t *message, uint32_t size)
{
    emit_ctx *c = user;
    jam_slot *s = &c->j->slots[c->slot];
    uint32_t at = c->base + frame;
    if (at >= c->io->frames)
        at = c->io->frames - 1;
    if (size >= 3 && (message[0] & 0xe0) == 0x80) {
        int channel = message[0] & 15, note = message[1] & 127;
        bool on = (message[0] & 0xf0) == 0x90 && message[2] > 0;
        if (on && s->muted && !c->force)
            return true;
        if (!on && !note_bit(s->sent, channel, note))
            return true;
        if (on && note_bit(s->sent, channel, note)) {
            /* A retrigger: end the sounding one first, so each note-on has one note-off. */
            uint8_t off[3] = {(uint8_t)(0x80 | channel), (uint8_t)note, 0};
            if (!c->io->write(c->io->write_user, c->slot, at, off, 3))
                return false;
            record_event(c->j, 2 * c->slot, at, JAM_RECORD_MIDI, off, 3, 0);
        }
        if (!c->io->write(c->io->write_user, c->slot, at, message, size))
            return false;
        note_set(s->sent, channel, note, on);
        if (on) {
            s->last_note = note;
            s->notes++;
        }
        record_event(c->j, 2 * c->slot, at, JAM_RECORD_MIDI, message, size, 0);
        return true;
    }
    if (s->muted && !c->force)
        return true;
    return c->io->write(c->io->write_user, c->slot, at, message, size);
}

static void slot_panic(jam *j, const jam_io *io, int i, uint32_t at)
{
    jam_slot *s = &j->slots[i];
    emit_ctx c = {.j = j, .io = io, .slot = i, .base = at, .force = true};
    if (s->gen)
        gen_panic(s->gen, emit, &c);
    else
        genie_panic(s->genie, emit, &c);
    /* Anything still marked (an output that was full) is ended here, or at the next callback. */
    for (int ch = 0; ch < 16; ch++)
        for (int n = 0; n < 128; n++)
            if (note_bit(s->sent, ch, n)) {
                uint8_t off[3] = {(uint8_t)(0x80 | ch), (uint8_t)n, 0};
                if (!io->write(io->write_user, i, at, off, 3))
                    return;
                note_set(s->sent, ch, n, false);
                record_event(j, 2 * i, at, JAM_RECORD_MIDI, off, 3, 0);
            }
}

static void set_control(jam *j, int slot, int control, double value)
{
    if (slot < 0 || slot >= j->slot_count || control < 0 || control >= JAM_CONTROLS || !isfinite(value))
        return;
    jam_slot *s = &j->slots[slot];
    const jam_control_info *info = jam_control_get(control);
    if (value < info->min)
        value = info->min;
    if (value > info->max)
        value = info->max;
    if (info->integer)
        value = floor(value + 0.5);
    if (control == JAM_CTL_MUTE) {
        bool mute = value >= 0.5;
        if (mute != s->muted)
            s->mute_pending = mute ? 1 : -1;
    } else if (control == JAM_CTL_REGENERATE) {
        if (value >= 0.5 && s->values[control] < 0.5)
            s->regenerate_pending = true;
    }
    s->values[control] = value;
    s->dirty = true;
}

/* A tap (the tap note, or the key): the mean of the last (up to 4) intervals between 0.2 and
 * 2 s sets the own clock's tempo once three taps came in a row. */
static void take_tap(jam *j, uint32_t frame)
{
    uint64_t at = j->frame + frame;
    double interval = (double)(at - j->tap_last) / j->rate;
    bool first = !j->tapped || interval < 0.2 || interval > 2.0;
    j->tapped = true;
    j->tap_last = at;
    if (first) {
        j->tap_intervals = 0;
        return;
    }
    j->tap_interval[j->tap_intervals % 4] = interval;
    j->tap_intervals++;
    if (j->tap_intervals < 2)
        return;
    if (j->jack_clock) {
        notify(j, JAM_NOTICE_TAP_IGNORED, -1, -1, 0, 0, 0);
        return;
    }
    int n = j->tap_intervals < 4 ? j->tap_intervals : 4;
    double sum = 0;
    for (int k = 0; k < n; k++)
        sum += j->tap_interval[k];
    double bpm = 60.0 * n / sum;
    j->own_bpm = bpm < 20 ? 20 : bpm > 400 ? 400 : bpm;
    notify(j, JAM_NOTICE_TEMPO, -1, -1, 0, 0, j->own_bpm);
}

static void run_command(jam *j, const jam_io *io, const jam_command *c)
{
    bool slot_ok = c->slot >= 0 && c->slot < j->slot_count;
    switch (c->type) {
    case JAM_CMD_SET:
        set_control(j, c->slot, c->control, c->value);
        break;
    case JAM_CMD_REGENERATE:
        if (slot_ok) {
            j->slots[c->slot].regenerate_pending = true;
            j->slots[c->slot].dirty = true;
        }
        break;
    case JAM_CMD_MUTE:
        if (slot_ok)
            set_control(j, c->slot, JAM_CTL_MUTE, c->value < 0 ? !j->slots[c->slot].muted : c->value);
        break;
    case JAM_CMD_LEARN:
        if (slot_ok && c->control >= 0 && c->control < JAM_CONTROLS) {
            j->learn_slot = c->slot;
            j->learn_control = c->control;
        }
        break;
    case JAM_CMD_LEARN_CANCEL:
        j->learn_slot = j->learn_control = -1;
        break;
    case JAM_CMD_TEMPO:
        if (isfinite(c->value))
            j->own_bpm = c->value < 20 ? 20 : c->value > 400 ? 400 : c->value;
        break;
    case JAM_CMD_TRANSPORT:
        j->own_rolling = c->value < 0 ? !j->own_rolling : c->value >= 0.5;
        break;
    case JAM_CMD_TAP:
        take_tap(j, 0);
        break;
    case JAM_CMD_PANIC:
        for (int i = 0; i < j->slot_count; i++)
            slot_panic(j, io, i, 0);
        break;
    case JAM_CMD_STOP:
        for (int i = 0; i < j->slot_count; i++)
            slot_panic(j, io, i, 0);
        j->stopping = true;
        break;
    default:
        break;
    }
}

/* A CC heard on any input: learnt (when learning) or applied through the map. Returns true when
 * it was taken (then no core sees it). */
static bool take_cc(jam *j, const uint8_t *b)
{
    int channel = (b[0] & 15) + 1, cc = b[1] & 127, value = b[2] & 127;
    if (cc >= 120)
        return false; /* channel mode messages (all notes off, ...) belong to the cores */
    if (j->learn_slot >= 0) {
        jam_setup *su = &j->setup;
        int k = 0;
        while (k < su->cc_map_count && !(su->cc_maps[k].cc == cc && su->cc_maps[k].channel == channel))
            k++;
        if (k == su->cc_map_count && k < JAM_MAX_CC_MAPS)
            su->cc_map_count++;
        if (k < JAM_MAX_CC_MAPS) {
            su->cc_maps[k] = (jam_cc_map){.channel = channel, .cc = cc, .slot = j->learn_slot, .control = j->learn_control};
            notify(j, JAM_NOTICE_LEARNT, j->learn_slot, j->learn_control, channel, cc, 0);
        }
        j->learn_slot = j->learn_control = -1;
        return true;
    }
    bool taken = false;
    for (int k = 0; k < j->setup.cc_map_count; k++) {
        const jam_cc_map *m = &j->setup.cc_maps[k];
        if (m->cc != cc || (m->channel && m->channel != channel))
            continue;
        const jam_control_info *info = jam_control_get(m->control);
        double v = info->cc_min + (info->cc_max - info->cc_min) * value / 127.0;
        if (m->control == JAM_CTL_MUTE || m->control == JAM_CTL_REGENERATE)
            v = value >= 64;
        set_control(j, m->slot, m->control, v);
        notify(j, JAM_NOTICE_CC, m->slot, m->control, channel, cc, j->slots[m->slot].values[m->control]);
        taken = true;
    }
    return taken;
}

/* The slot's core, whichever it is: advance `frames` from ctx->base, then hear a message there. */
static void slot_run(jam_slot *s, uint32_t frames, emit_ctx *ctx)
{
    if (s->gen)
        gen_run(s->gen, frames, emit, ctx);
    else
        genie_run(s->genie, frames, emit, ctx);
    ctx->base += frames;
}

static void slot_midi_in(jam_slot *s, const jam_midi *m, emit_ctx *ctx)
{
    if (s->gen)
        gen_midi_in(s->gen, m->bytes, m->size);
    else
        genie_midi_in(s->genie, m->bytes, m->size, emit, ctx);
}

static bool is_note(const jam_midi *e)
{
    return e->size >= 3 && (e->bytes[0] & 0xe0) == 0x80;
}

static bool is_cc(const jam_midi *e)
{
    return e->size >= 3 && (e->bytes[0] & 0xf0) == 0xb0;
}

/* This callback's clock at its first frame. */
static void clock_position(jam *j, const jam_io *io, gen_position *p)
{
    const jam_transport *t = io->transport;
    memset(p, 0, sizeof *p);
    p->has_bar = p->has_bar_beat = p->has_beats_per_bar = p->has_beat_unit = p->has_bpm = p->has_speed = true;
    bool follow_jack = j->setup.clock == JAM_CLOCK_JACK || (j->setup.clock == JAM_CLOCK_AUTO && t && t->bbt);
    j->jack_clock = follow_jack;
    if (follow_jack) {
        if (t && t->bbt) {
            p->bar = t->bar;
            p->bar_beat = t->bar_beat;
            p->beats_per_bar = t->beats_per_bar;
            p->beat_unit = t->beat_unit;
            p->bpm = t->bpm;
            p->speed = t->rolling ? 1 : 0;
        } else {
            /* Waiting for a timebase master: stopped where the clock was. */
            p->bar = j->last_bar;
            p->bar_beat = j->last_bar_beat;
            p->beats_per_bar = j->beats_per_bar;
            p->beat_unit = 4;
            p->bpm = j->last_bpm > 0 ? j->last_bpm : j->own_bpm;
            p->speed = 0;
        }
        return;
    }
    double bar = floor(j->own_beats / j->beats_per_bar);
    p->bar = bar;
    p->bar_beat = j->own_beats - bar * j->beats_per_bar;
    p->beats_per_bar = j->beats_per_bar;
    p->beat_unit = 4;
    p->bpm = j->own_bpm;
    p->speed = j->own_rolling ? 1 : 0;
}

/* The metronome: a 25 ms blip on every beat while rolling, higher on the bar's first. */
static void click(jam *j, const jam_io *io, const gen_position *p)
{
    if (!io->click)
        return;
    memset(io->click, 0, io->frames * sizeof *io->click);
    if (!j->setup.click || p->speed <= 0 || !(p->bpm > 0))
        return;
    double frames_per_beat = j->rate * 60.0 / p->bpm;
    double beat = p->bar_beat;
    long blip = (long)(j->rate * CLICK_MS / 1000);
    for (uint32_t f = 0; f < io->frames; f++) {
        double b = beat + f / frames_per_beat;
        double into = (b - floor(b)) * frames_per_beat; /* frames since the last beat */
        if (into < (double)blip) {
            bool downbeat = fmod(floor(b), p->beats_per_bar) == 0;
            double hz = downbeat ? 1500 : 1000;
            double env = 1.0 - into / blip;
            io->click[f] = (float)(0.3 * env * sin(2 * M_PI * hz * into / j->rate));
        }
    }
}

static void publish_status(jam *j, const gen_position *p, uint64_t window_ns)
{
    jam_status *st = &j->status[j->status_back];
    memset(st, 0, sizeof *st);
    st->frames = j->frame;
    st->callbacks = j->callbacks;
    st->rolling = p->speed > 0;
    st->jack_clock = j->jack_clock;
    st->bar = p->bar;
    st->bar_beat = p->bar_beat;
    st->bpm = p->bpm;
    st->beats_per_bar = p->beats_per_bar;
    double window = window_ns > 0 ? (double)window_ns : 1e300; /* no callback in the window: 0 % */
    st->cpu_percent = 100.0 * (double)j->cpu_ns_window / window;
    st->xruns = atomic_load_explicit(&j->xruns, memory_order_relaxed);
    st->dropped_input = atomic_load_explicit(&j->dropped_input, memory_order_relaxed);
    st->dropped_record = j->dropped_record;
    st->learn_slot = j->learn_slot;
    st->learn_control = j->learn_control;
    st->stopped = j->stopping;
    for (int i = 0; i < j->slot_count; i++) {
        jam_slot *s = &j->slots[i];
        jam_slot_status *ss = &st->slots[i];
        ss->muted = s->muted;
        ss->last_note = s->last_note;
        for (int ch = 0; ch < 16; ch++)
            for (int w = 0; w < 4; w++)
                ss->sounding[w] |= s->sent[ch * 4 + w];
        ss->notes = s->notes;
        memcpy(ss->controls, s->values, sizeof ss->controls);
        ss->cpu_percent = 100.0 * (double)s->cpu_ns_window / window;
        ss->cpu_peak_percent = s->cpu_peak_window;
        if (s->gen) {
            gen_status_info info;
            gen_get_status(s->gen, &info);
            ss->mode_state = info.mode_state;
            ss->late_steps = info.late_steps;
            memcpy(ss->chord, info.chord, sizeof ss->chord);
        }
        s->cpu_ns_window = 0;
        s->cpu_peak_window = 0;
    }
    j->cpu_ns_window = 0;
    unsigned old = atomic_exchange_explicit(&j->status_middle, (unsigned)j->status_back | JAM_STATUS_FRESH,
                                            memory_order_acq_rel);
    j->status_back = (int)(old & 3u);
}

static void histogram_add(uint32_t *hist, double percent)
{
    int bin = (int)(percent / JAM_CPU_BIN_PERCENT);
    hist[bin < 0 ? 0 : bin >= JAM_CPU_BINS ? JAM_CPU_BINS - 1 : bin]++;
}

void jam_process(jam *j, const jam_io *io)
{
    uint64_t t_start = now_ns();
    nn_fp_state fp = nn_fp_enter();
    uint32_t frames = io->frames;
    double period_ns = frames * 1e9 / j->rate;

    jam_command c;
    for (int k = 0; k < COMMANDS_PER_CALLBACK && !j->stopping && dsp_ring_pop(j->commands, &c); k++)
        run_command(j, io, &c);

    /* --duration: the cores run up to its frame; there every note ends (below). */
    uint32_t span = frames;
    bool stop_here = false;
    if (j->stop_frame && !j->stopping && j->frame + frames > j->stop_frame) {
        span = (uint32_t)(j->stop_frame > j->frame ? j->stop_frame - j->frame : 0);
        stop_here = true;
    }

    gen_position pos;
    clock_position(j, io, &pos);
    if (j->stopping) {
        if (io->click)
            memset(io->click, 0, frames * sizeof *io->click);
        j->frame += frames;
        if (!j->stopped_published) {
            j->stopped_published = true;
            publish_status(j, &pos, j->window_ns);
            j->window_ns = 0;
        }
        nn_fp_leave(fp);
        return;
    }
    if (pos.bpm != j->last_bpm) {
        if (j->frame == 0 || j->last_bpm < 0) {
            uint8_t sig[3] = {(uint8_t)pos.beats_per_bar, (uint8_t)(pos.beat_unit ? pos.beat_unit : 4), 0};
            record_event(j, 0, 0, JAM_RECORD_METER, sig, 2, 0);
        }
        record_event(j, 0, 0, JAM_RECORD_TEMPO, NULL, 0, pos.bpm);
        j->last_bpm = pos.bpm;
    }
    j->last_bar = pos.bar;
    j->last_bar_beat = pos.bar_beat;

    /* Control changes and taps first, at the start of the callback (a CC's frame within the
     * period does not matter to a model's setting; a tap's frame does, and is kept). */
    for (uint32_t e = 0; e < io->control_count; e++) {
        const jam_midi *m = &io->control[e];
        if (is_cc(m))
            take_cc(j, m->bytes);
        else if (is_note(m) && (m->bytes[0] & 0xf0) == 0x90 && m->bytes[2] > 0 && m->bytes[1] == j->setup.tap_note)
            take_tap(j, m->frame < frames ? m->frame : frames - 1);
    }
    for (int i = 0; i < j->slot_count; i++)
        for (uint32_t e = 0; e < io->in_count[i]; e++)
            if (is_cc(&io->in[i][e]))
                take_cc(j, io->in[i][e].bytes); /* no core hears CCs below 120 (see the slot loop) */

    for (int i = 0; i < j->slot_count && span > 0; i++) {
        jam_slot *s = &j->slots[i];
        uint64_t t0 = now_ns();
        emit_ctx ctx = {.j = j, .io = io, .slot = i};
        if (s->mute_pending) {
            bool mute = s->mute_pending > 0;
            s->mute_pending = 0;
            if (mute)
                slot_panic(j, io, i, 0);
            s->muted = mute;
        }
        if (s->dirty || s->regenerate_was) {
            apply_controls(s, s->regenerate_pending);
            s->regenerate_was = s->regenerate_pending;
            s->regenerate_pending = false;
            s->dirty = false;
        }
        int in_channel = j->setup.slots[i].in_channel;
        if (s->gen)
            gen_set_position(s->gen, &pos);
        uint32_t done = 0;
        for (uint32_t e = 0; e < io->in_count[i]; e++) {
            const jam_midi *m = &io->in[i][e];
            if (is_cc(m) && (m->bytes[1] & 127) < 120)
                continue; /* controls: taken above or not for the model */
            if ((in_channel && (m->bytes[0] & 15) + 1 != in_channel) || m->frame >= span)
                continue; /* another channel's, or after --duration's end */
            uint32_t at = m->frame < done ? done : m->frame;
            slot_run(s, at - done, &ctx);
            done = at;
            slot_midi_in(s, m, &ctx);
            if (is_note(m))
                record_event(j, 2 * i + 1, at, JAM_RECORD_MIDI, m->bytes, m->size, 0);
        }
        slot_run(s, span - done, &ctx);
        uint64_t spent = now_ns() - t0;
        double percent = 100.0 * (double)spent / period_ns;
        s->cpu_ns_window += spent;
        if (percent > s->cpu_peak_window)
            s->cpu_peak_window = percent;
        histogram_add(s->cpu_hist, percent);
    }

    if (stop_here) {
        for (int i = 0; i < j->slot_count; i++)
            slot_panic(j, io, i, span < frames ? span : frames - 1);
        j->stopping = true;
    }
    click(j, io, &pos);
    if (pos.speed > 0 && !j->jack_clock)
        j->own_beats += frames / j->rate * j->own_bpm / 60.0;
    j->frame += frames;
    j->callbacks++;
    j->window_ns += (uint64_t)period_ns;
    uint64_t spent = now_ns() - t_start;
    j->cpu_ns_window += spent;
    histogram_add(j->cpu_hist, 100.0 * (double)spent / period_ns);
    if (j->frame >= j->status_next) {
        gen_position now_pos;
        clock_position(j, io, &now_pos); /* the own clock after this callback */
        if (j->jack_clock)
            now_pos = pos;
        publish_status(j, &now_pos, j->window_ns);
        j->window_ns = 0;
        j->status_next = j->frame + j->status_every;
    }
    nn_fp_leave(fp);
}

/* ---- CPU report -------------------------------------------------------------------------- */

static double histogram_quantile(const uint32_t *hist, uint64_t total, double q)
{
    if (!total)
        return 0;
    uint64_t want = (uint64_t)ceil(q * (double)total), seen = 0;
    if (want < 1)
        want = 1;
    for (int b = 0; b < JAM_CPU_BINS; b++) {
        seen += hist[b];
        if (seen >= want)
            return (b + 1) * JAM_CPU_BIN_PERCENT;
    }
    return JAM_CPU_BINS * JAM_CPU_BIN_PERCENT;
}

void jam_cpu_report_get(const jam *j, int slot, jam_cpu_report *report)
{
    const uint32_t *hist = slot < 0 ? j->cpu_hist : j->slots[slot].cpu_hist;
    uint64_t total = 0;
    int top = -1;
    for (int b = 0; b < JAM_CPU_BINS; b++) {
        total += hist[b];
        if (hist[b])
            top = b;
    }
    report->callbacks = total;
    report->median = histogram_quantile(hist, total, 0.5);
    report->p99 = histogram_quantile(hist, total, 0.99);
    report->max = top < 0 ? 0 : (top + 1) * JAM_CPU_BIN_PERCENT;
}
