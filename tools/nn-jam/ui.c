/* ui.c — nn-jam's live terminal view and keyboard (ui.h). No curses: ANSI escapes and termios.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * The view is a dozen lines on the terminal's alternate screen (the shell's screen comes back
 * untouched at the end). A frame is composed as text, line by line; only the lines that differ
 * from what is on screen are rewritten, each at its row (cursor position, text, clear to the end
 * of the line), so nothing flickers. At most 15 frames a second, and none while nothing changed;
 * once a second every line is rewritten anyway, which wipes any stray message another part of
 * the program printed over the view.
 *
 * Keys are read raw: no echo, no line editing, VMIN = VTIME = 0 so read() returns at once with
 * whatever came. Signals stay on, so Ctrl-C reaches main.c's SIGINT handler (a normal quit).
 * Every key becomes a jam_command sent with jam_send; the engine is never touched otherwise.
 *
 * The terminal is given back by jam_ui_free, at exit (atexit), on a fatal signal and on a stop
 * (Ctrl-Z; the view takes the terminal again when the program is continued in the foreground).
 * Giving it back is idempotent and async-signal-safe: write() and tcsetattr() only.
 */
#include "ui.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define UI_MAX_LINES (5 + JAM_MAX_SLOTS + 2)
#define UI_LINE_SIZE 512
#define UI_FRAME_SECONDS (1.0 / 15.0) /* at most 15 redraws a second */
#define UI_REPAINT_SECONDS 1.0        /* every line rewritten this often, changed or not */
#define UI_TEMPERATURE_STEP 0.05
#define UI_PENDING_SECONDS 1.0 /* how long a value sent waits to show up in the status */
#define UI_CPU_SMOOTHING 0.2   /* weight of each new status in the CPU shown */
#define UI_PEAK_SECONDS 1.0    /* the peak shown is the largest seen over the last 1 .. 2 s */

/* ---- The terminal (global: atexit and signal handlers give it back) ----------------------- */

static struct termios ui_saved_termios;
static volatile sig_atomic_t ui_terminal_raw; /* 1 while the keys are raw and the view is up */
static bool ui_atexit_registered;
static bool ui_handlers[NSIG];                /* the signals whose handler is ours */

/* Alternate screen, cursor hidden, screen cleared; and back: main screen, attributes reset,
 * cursor shown (the last bytes the view ever writes). */
static const char ui_enter_sequence[] = "\x1b[?1049h\x1b[?25l\x1b[2J";
static const char ui_leave_sequence[] = "\x1b[?1049l\x1b[0m\x1b[?25h";

static void ui_write_all(int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* the terminal went away: nothing more to show */
        data += n;
        size -= (size_t)n;
    }
}

/* Async-signal-safe and idempotent. */
static void ui_terminal_restore(void)
{
    if (!ui_terminal_raw)
        return;
    ui_terminal_raw = 0;
    int saved_errno = errno;
    ui_write_all(STDOUT_FILENO, ui_leave_sequence, sizeof ui_leave_sequence - 1);
    tcsetattr(STDIN_FILENO, TCSANOW, &ui_saved_termios);
    errno = saved_errno;
}

static bool ui_terminal_take(void)
{
    /* From the background a tcsetattr would stop the process (SIGTTOU): wait for the foreground.
     * (No process group at all, -1: a terminal without job control; take it.) */
    pid_t foreground = tcgetpgrp(STDIN_FILENO);
    if ((foreground != -1 && foreground != getpgrp()) || tcgetattr(STDIN_FILENO, &ui_saved_termios) != 0)
        return false;
    struct termios raw = ui_saved_termios;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | IEXTEN); /* ISIG stays: Ctrl-C quits through main.c */
    raw.c_iflag &= ~(tcflag_t)(IXON | ICRNL | INLCR | IGNCR);
    raw.c_cc[VMIN] = 0; /* read() returns at once, with what there is */
    raw.c_cc[VTIME] = 0;
    ui_terminal_raw = 1; /* before the change, so a signal in between still restores */
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) != 0) {
        ui_terminal_raw = 0;
        return false;
    }
    ui_write_all(STDOUT_FILENO, ui_enter_sequence, sizeof ui_enter_sequence - 1);
    return true;
}

/* A fatal signal or a stop: give the terminal back, then let the default action happen (the
 * signal is blocked inside its handler, so it is delivered on return). */
static void ui_on_signal(int sig)
{
    int saved_errno = errno;
    ui_terminal_restore();
    signal(sig, SIG_DFL);
    ui_handlers[sig] = false;
    raise(sig);
    errno = saved_errno;
}

/* Ours only where nobody else (main.c, a sanitizer) handles the signal. */
static void ui_handle(int sig)
{
    struct sigaction old;
    if (sigaction(sig, NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
        return;
    struct sigaction action = {.sa_handler = ui_on_signal, .sa_flags = SA_RESTART};
    sigemptyset(&action.sa_mask);
    if (sigaction(sig, &action, NULL) == 0)
        ui_handlers[sig] = true;
}

static const int ui_signals[] = {SIGHUP, SIGQUIT, SIGILL, SIGABRT, SIGFPE, SIGBUS, SIGSEGV, SIGTSTP};

static void ui_unhandle_all(void)
{
    for (size_t i = 0; i < sizeof ui_signals / sizeof ui_signals[0]; i++)
        if (ui_handlers[ui_signals[i]]) {
            signal(ui_signals[i], SIG_DFL);
            ui_handlers[ui_signals[i]] = false;
        }
}

/* ---- The view's state --------------------------------------------------------------------- */

/* A value sent with a key, shown by the status only a callback later: the next key steps from
 * it, not from the older value the status still shows. */
typedef struct ui_pending {
    bool active;
    double value, since;
} ui_pending;

struct jam_ui {
    jam *j;
    const jam_setup *setup;
    char backend[48];
    bool interactive;
    double log_seconds, rate;

    jam_status status; /* the newest seen; zeroed before any */
    bool have_status;
    double cpu[JAM_MAX_SLOTS + 1]; /* smoothed; [JAM_MAX_SLOTS] is the whole callback */
    double peak_held[JAM_MAX_SLOTS], peak_now[JAM_MAX_SLOTS], peak_since;

    /* non-interactive: the next status line, and the CPU averaged over its interval */
    uint64_t next_log_frame;
    double log_cpu[JAM_MAX_SLOTS];
    int log_cpu_count;

    char notice[160];
    int selected;                 /* the slot the keys act on */
    int control[JAM_MAX_SLOTS];   /* each slot's selected control */
    ui_pending pending[JAM_MAX_SLOTS][JAM_CONTROLS];
    bool quit;

    /* the screen: composed lines, the lines on screen, its size */
    char lines[UI_MAX_LINES][UI_LINE_SIZE], shown[UI_MAX_LINES][UI_LINE_SIZE];
    int highlight; /* the line drawn in reverse video (the selected slot), -1 none */
    int shown_count, shown_highlight, rows, cols;
    bool repaint;
    double last_draw, last_repaint;
    char out[UI_MAX_LINES * (UI_LINE_SIZE + 32) + 64];
};

static double ui_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Appends to a fixed buffer, truncating (snprintf's rules). */
static void ui_append(char *buf, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));
static void ui_append(char *buf, size_t size, const char *format, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= size)
        return;
    va_list args;
    va_start(args, format);
    vsnprintf(buf + used, size - used, format, args);
    va_end(args);
}

static const char *ui_slot_name(const jam_ui *ui, int slot)
{
    return slot >= 0 && slot < ui->setup->slot_count ? ui->setup->slots[slot].name : "?";
}

static const char *ui_control_name(int control)
{
    return control >= 0 && control < JAM_CONTROLS ? jam_control_get((jam_control)control)->name : "?";
}

/* MIDI 60 is C4. */
static void ui_note_name(int note, char *out, size_t size)
{
    static const char *const names[12] = {"C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"};
    snprintf(out, size, "%s%d", names[note % 12], note / 12 - 1);
}

static void ui_value_text(int control, double value, char *out, size_t size)
{
    static const char *const modes[3] = {"continue", "answer", "free"};
    static const char *const chord_sources[2] = {"held", "progression"};
    static const char *const velocity_modes[2] = {"press", "fixed"};
    long v = lround(value);
    if (control == JAM_CTL_MODE && v >= 0 && v < 3)
        snprintf(out, size, "%s", modes[v]);
    else if (control == JAM_CTL_CHORD_SOURCE && v >= 0 && v < 2)
        snprintf(out, size, "%s", chord_sources[v]);
    else if (control == JAM_CTL_VELOCITY_MODE && v >= 0 && v < 2)
        snprintf(out, size, "%s", velocity_modes[v]);
    else if (control == JAM_CTL_MUTE || control == JAM_CTL_REGENERATE)
        snprintf(out, size, "%s", v ? "on" : "off");
    else if (control >= 0 && control < JAM_CONTROLS && jam_control_get((jam_control)control)->integer)
        snprintf(out, size, "%ld", v);
    else
        snprintf(out, size, "%.2f", value);
}

static void ui_notice_text(const jam_ui *ui, const jam_notice *n, char *out, size_t size)
{
    char value[32];
    switch (n->type) {
    case JAM_NOTICE_LEARNT:
        if (n->channel > 0)
            snprintf(out, size, "learnt CC %d ch %d → %s %s", n->cc, n->channel, ui_slot_name(ui, n->slot),
                     ui_control_name(n->control));
        else
            snprintf(out, size, "learnt CC %d (any channel) → %s %s", n->cc, ui_slot_name(ui, n->slot),
                     ui_control_name(n->control));
        break;
    case JAM_NOTICE_TEMPO:
        snprintf(out, size, "tempo %.1f bpm (tap)", n->value);
        break;
    case JAM_NOTICE_TAP_IGNORED:
        snprintf(out, size, "tap ignored: JACK's timebase master sets the tempo");
        break;
    case JAM_NOTICE_CC:
        ui_value_text(n->control, n->value, value, sizeof value);
        snprintf(out, size, "%s %s %s (CC)", ui_slot_name(ui, n->slot), ui_control_name(n->control), value);
        break;
    default:
        snprintf(out, size, "notice %d", n->type);
        break;
    }
}

/* The control a slot shows first: temperature, or the first it has. */
static int ui_first_control(jam_kind kind)
{
    if (jam_control_applies(kind, JAM_CTL_TEMPERATURE))
        return JAM_CTL_TEMPERATURE;
    for (int c = 0; c < JAM_CONTROLS; c++)
        if (jam_control_applies(kind, (jam_control)c))
            return c;
    return JAM_CTL_MUTE;
}

/* ---- Status and notices ------------------------------------------------------------------- */

static void ui_take_status(jam_ui *ui, const jam_status *s, double now)
{
    bool first = !ui->have_status;
    ui->status = *s;
    ui->have_status = true;
    int n = ui->setup->slot_count;
    for (int i = 0; i <= n; i++) {
        double cpu = i < n ? s->slots[i].cpu_percent : s->cpu_percent;
        int k = i < n ? i : JAM_MAX_SLOTS;
        ui->cpu[k] = first ? cpu : ui->cpu[k] + UI_CPU_SMOOTHING * (cpu - ui->cpu[k]);
    }
    /* jam_poll_status skips the statuses in between, so a peak is held for a while to be seen. */
    if (now - ui->peak_since >= UI_PEAK_SECONDS) {
        memcpy(ui->peak_held, ui->peak_now, sizeof ui->peak_held);
        memset(ui->peak_now, 0, sizeof ui->peak_now);
        ui->peak_since = now;
    }
    for (int i = 0; i < n; i++) {
        if (s->slots[i].cpu_peak_percent > ui->peak_now[i])
            ui->peak_now[i] = s->slots[i].cpu_peak_percent;
        ui->log_cpu[i] += s->slots[i].cpu_percent;
        /* the value a key sent has arrived, or waited long enough (a CC may have moved it since) */
        for (int c = 0; c < JAM_CONTROLS; c++) {
            ui_pending *p = &ui->pending[i][c];
            if (p->active && (fabs(s->slots[i].controls[c] - p->value) < 1e-6 || now - p->since > UI_PENDING_SECONDS))
                p->active = false;
        }
    }
    ui->log_cpu_count++;
}

/* bar and beat counted from 1, as musicians count */
static void ui_position_text(const jam_status *s, char *out, size_t size)
{
    /* Truncated, not rounded: 3.999 beats into a 4/4 bar is beat 4.99, never "5.00". */
    snprintf(out, size, "bar %lld beat %.2f", (long long)floor(s->bar) + 1, floor(s->bar_beat * 100.0) / 100.0 + 1.0);
}

/* Non-interactive: one line per log_seconds of audio time. */
static void ui_log(jam_ui *ui)
{
    if (ui->log_seconds <= 0 || !ui->have_status || ui->status.frames < ui->next_log_frame)
        return;
    const jam_status *s = &ui->status;
    char line[1024], position[64];
    ui_position_text(s, position, sizeof position);
    snprintf(line, sizeof line, "nn-jam: %s %.1f bpm %s", position, s->bpm, s->rolling ? "rolling" : "stopped");
    for (int i = 0; i < ui->setup->slot_count; i++)
        ui_append(line, sizeof line, " · %s %llu notes cpu %.1f%%%s", ui_slot_name(ui, i),
                  (unsigned long long)s->slots[i].notes, ui->log_cpu_count ? ui->log_cpu[i] / ui->log_cpu_count : 0.0,
                  s->slots[i].muted ? " muted" : "");
    ui_append(line, sizeof line, " · xruns %llu", (unsigned long long)s->xruns);
    if (s->dropped_input || s->dropped_record)
        ui_append(line, sizeof line, " · dropped %llu in, %llu recorded", (unsigned long long)s->dropped_input,
                  (unsigned long long)s->dropped_record);
    fprintf(stderr, "%s\n", line);
    memset(ui->log_cpu, 0, sizeof ui->log_cpu);
    ui->log_cpu_count = 0;
    uint64_t step = (uint64_t)fmax(1.0, ui->log_seconds * ui->rate);
    while (ui->next_log_frame <= s->frames)
        ui->next_log_frame += step;
}

/* ---- Keys --------------------------------------------------------------------------------- */

static void ui_send(jam_ui *ui, jam_command c)
{
    if (!jam_send(ui->j, &c))
        snprintf(ui->notice, sizeof ui->notice, "the engine's command queue is full: key ignored");
}

static double ui_control_value(const jam_ui *ui, int slot, int control)
{
    const ui_pending *p = &ui->pending[slot][control];
    if (p->active)
        return p->value;
    return ui->have_status ? ui->status.slots[slot].controls[control] : ui->setup->slots[slot].controls[control];
}

static void ui_step_control(jam_ui *ui, int slot, int control, double step, double now)
{
    jam_kind kind = ui->setup->slots[slot].kind;
    if (!jam_control_applies(kind, (jam_control)control))
        return;
    const jam_control_info *info = jam_control_get((jam_control)control);
    double value = ui_control_value(ui, slot, control) + step;
    if (info->integer)
        value = round(value);
    value = fmin(info->max, fmax(info->min, value));
    ui_send(ui, (jam_command){.type = JAM_CMD_SET, .slot = slot, .control = control, .value = value});
    ui->pending[slot][control] = (ui_pending){.active = true, .value = value, .since = now};
}

static void ui_next_control(jam_ui *ui, int direction)
{
    int slot = ui->selected, c = ui->control[slot];
    jam_kind kind = ui->setup->slots[slot].kind;
    for (int tries = 0; tries < JAM_CONTROLS; tries++) {
        c = (c + direction + JAM_CONTROLS) % JAM_CONTROLS;
        if (jam_control_applies(kind, (jam_control)c))
            break;
    }
    ui->control[slot] = c;
}

static void ui_key(jam_ui *ui, int key, double now)
{
    int slot = ui->selected;
    jam_kind kind = ui->setup->slots[slot].kind;
    const jam_control_info *info = jam_control_get((jam_control)ui->control[slot]);
    bool learning = ui->have_status && ui->status.learn_slot >= 0;
    switch (key) {
    case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8':
        if (key - '1' < ui->setup->slot_count)
            ui->selected = key - '1';
        break;
    case 'r':
        ui_send(ui, (jam_command){.type = JAM_CMD_REGENERATE, .slot = slot});
        snprintf(ui->notice, sizeof ui->notice, "%s: a new generation from the next bar", ui_slot_name(ui, slot));
        break;
    case 'm':
        ui_send(ui, (jam_command){.type = JAM_CMD_MUTE, .slot = slot, .value = -1});
        break;
    case '+': case '=':
    case '-': case '_':
        if (jam_control_applies(kind, JAM_CTL_TEMPERATURE))
            ui_step_control(ui, slot, JAM_CTL_TEMPERATURE, key == '+' || key == '=' ? UI_TEMPERATURE_STEP : -UI_TEMPERATURE_STEP,
                            now);
        break;
    case 'c':
        ui_next_control(ui, 1);
        break;
    case 'C':
        ui_next_control(ui, -1);
        break;
    case '[': case ']': {
        double step = info->integer ? 1.0 : (info->max - info->min) / 100.0;
        ui_step_control(ui, slot, ui->control[slot], key == ']' ? step : -step, now);
        break;
    }
    case 'l':
        if (learning && ui->status.learn_slot == slot && ui->status.learn_control == ui->control[slot])
            ui_send(ui, (jam_command){.type = JAM_CMD_LEARN_CANCEL});
        else
            ui_send(ui, (jam_command){.type = JAM_CMD_LEARN, .slot = slot, .control = ui->control[slot]});
        break;
    case 27: /* Escape */
        if (learning)
            ui_send(ui, (jam_command){.type = JAM_CMD_LEARN_CANCEL});
        break;
    case ' ':
        ui_send(ui, (jam_command){.type = JAM_CMD_TRANSPORT, .value = -1});
        break;
    case 't':
        ui_send(ui, (jam_command){.type = JAM_CMD_TAP}); /* the engine taps, as with the tap note */
        break;
    case 'p':
        ui_send(ui, (jam_command){.type = JAM_CMD_PANIC});
        snprintf(ui->notice, sizeof ui->notice, "panic: every note ended");
        break;
    case 'q': case 'Q':
        ui->quit = true;
        break;
    default:
        break;
    }
}

static void ui_read_keys(jam_ui *ui, double now)
{
    unsigned char buf[64];
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        for (ssize_t i = 0; i < n; i++) {
            /* arrows (ESC [ A..D): up / down choose the slot, left / right change the control */
            if (buf[i] == 27 && i + 2 < n && buf[i + 1] == '[') {
                int arrow = buf[i + 2], count = ui->setup->slot_count;
                if (arrow == 'A')
                    ui->selected = (ui->selected + count - 1) % count;
                else if (arrow == 'B')
                    ui->selected = (ui->selected + 1) % count;
                else if (arrow == 'C')
                    ui_key(ui, ']', now);
                else if (arrow == 'D')
                    ui_key(ui, '[', now);
                i += 2;
                continue;
            }
            ui_key(ui, buf[i], now);
        }
    }
}

/* ---- The view ----------------------------------------------------------------------------- */

static void ui_slot_line(const jam_ui *ui, int i, char *line, size_t size)
{
    const jam_slot_setup *setup = &ui->setup->slots[i];
    const jam_slot_status *s = &ui->status.slots[i];
    jam_kind kind = setup->kind;
    bool sounding = false;
    char notes[64] = "", name[8];
    int listed = 0, more = 0;
    for (int note = 0; note < 128; note++) {
        if (!(s->sounding[note / 32] >> (note % 32) & 1u))
            continue;
        sounding = true;
        if (listed == 4) {
            more++;
            continue;
        }
        ui_note_name(note, name, sizeof name);
        ui_append(notes, sizeof notes, "%s%s", listed++ ? " " : "", name);
    }
    if (more)
        ui_append(notes, sizeof notes, " +%d", more);
    if (!sounding && ui->have_status && s->last_note >= 0 && s->last_note < 128) {
        ui_note_name(s->last_note, name, sizeof name);
        snprintf(notes, sizeof notes, "(%s)", name); /* the last note, no longer sounding */
    }

    const char *state;
    if (!ui->have_status)
        state = "starting";
    else if (s->muted)
        state = "muted";
    else if (!jam_control_applies(kind, JAM_CTL_MODE))
        state = sounding ? "playing" : "ready";
    else {
        static const char *const states[2][3] = {{"continue idle", "continue listening", "continue playing"},
                                                 {"answer idle", "answer listening", "answer playing"}};
        long mode = lround(s->controls[JAM_CTL_MODE]);
        int st = s->mode_state >= 0 && s->mode_state < 3 ? s->mode_state : 0;
        state = mode == 0 || mode == 1 ? states[mode][st] : "free";
    }

    snprintf(line, size, "%c%d %-10.10s %-11s %-18s %-16s", i == ui->selected ? '>' : ' ', i + 1, setup->name,
             jam_kind_name(kind), state, notes);
    if (kind == JAM_IMPROV)
        ui_append(line, size, " chord %-6s ·", s->chord[0] ? s->chord : "N.C.");
    /* the selected control in brackets; temperature, always shown, is bracketed in place */
    int c = ui->control[i];
    bool learning = ui->have_status && ui->status.learn_slot == i && ui->status.learn_control == c;
    const char *mark = learning ? " ← learning" : "";
    char value[32];
    if (jam_control_applies(kind, JAM_CTL_TEMPERATURE)) {
        double t = ui->have_status ? s->controls[JAM_CTL_TEMPERATURE] : setup->controls[JAM_CTL_TEMPERATURE];
        if (c == JAM_CTL_TEMPERATURE)
            ui_append(line, size, " [temp %.2f%s] ·", t, mark);
        else
            ui_append(line, size, " temp %.2f ·", t);
    }
    if (c != JAM_CTL_TEMPERATURE) {
        ui_value_text(c, ui->have_status ? s->controls[c] : setup->controls[c], value, sizeof value);
        ui_append(line, size, " [%s %s%s] ·", ui_control_name(c), value, mark);
    }
    ui_append(line, size, " cpu %4.1f%% (%4.1f%%) · %llu notes", ui->cpu[i], fmax(ui->peak_held[i], ui->peak_now[i]),
              (unsigned long long)s->notes);
}

/* Fills ui->lines; returns how many. */
static int ui_compose(jam_ui *ui)
{
    const jam_status *s = &ui->status;
    int n = 0;
    char (*line)[UI_LINE_SIZE] = ui->lines;
    unsigned period = s->callbacks ? (unsigned)((s->frames + s->callbacks / 2) / s->callbacks) : 0;
    snprintf(line[n], UI_LINE_SIZE, "nn-jam · %s · %.0f Hz · period %u · xruns %llu · dropped %llu · CPU %.1f %%",
             ui->backend, ui->rate, period, (unsigned long long)s->xruns, (unsigned long long)s->dropped_input,
             ui->cpu[JAM_MAX_SLOTS]);
    if (s->dropped_record)
        ui_append(line[n], UI_LINE_SIZE, " · recording lost %llu", (unsigned long long)s->dropped_record);
    n++;
    if (!ui->have_status) {
        snprintf(line[n++], UI_LINE_SIZE, "waiting for the first audio callback");
    } else {
        char position[64];
        ui_position_text(s, position, sizeof position);
        snprintf(line[n], UI_LINE_SIZE, "%s · %.1f bpm · %s (%s)", position, s->bpm, s->rolling ? "rolling" : "stopped",
                 s->jack_clock ? "JACK transport" : "own clock");
        if (s->learn_slot >= 0)
            ui_append(line[n], UI_LINE_SIZE, " · learn: %s %s (move a knob; l or Esc cancels)",
                      ui_slot_name(ui, s->learn_slot), ui_control_name(s->learn_control));
        else if (ui->notice[0])
            ui_append(line[n], UI_LINE_SIZE, " · %s", ui->notice);
        n++;
    }
    line[n++][0] = '\0';
    ui->highlight = -1;
    for (int i = 0; i < ui->setup->slot_count; i++) {
        if (i == ui->selected)
            ui->highlight = n;
        ui_slot_line(ui, i, line[n++], UI_LINE_SIZE);
    }
    line[n++][0] = '\0';
    snprintf(line[n++], UI_LINE_SIZE,
             "keys: 1-8 slot · r regenerate · m mute · +/- temperature · c next control · [ ] change it ·");
    snprintf(line[n++], UI_LINE_SIZE,
             "      l learn it (MIDI learn: next CC moves it) · space start/stop · t tap tempo · p panic · q quit");
    return n;
}

/* Copies at most `columns` columns of UTF-8 text (every character here is one column wide). */
static size_t ui_fit(const char *text, int columns, char *out, size_t size)
{
    size_t i = 0;
    int used = 0;
    for (; text[i] && i + 1 < size; i++) {
        bool starts_char = ((unsigned char)text[i] & 0xC0) != 0x80;
        if (starts_char && used++ == columns)
            break;
        out[i] = text[i];
    }
    out[i] = '\0';
    return i;
}

static void ui_draw(jam_ui *ui, double now)
{
    if (now - ui->last_draw < UI_FRAME_SECONDS)
        return;
    struct winsize ws;
    int rows = 24, cols = 80;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
        rows = ws.ws_row;
        cols = ws.ws_col;
    }
    if (rows != ui->rows || cols != ui->cols || now - ui->last_repaint >= UI_REPAINT_SECONDS)
        ui->repaint = true;
    ui->rows = rows;
    ui->cols = cols;

    int count = ui_compose(ui);
    if (count > rows)
        count = rows;
    char *out = ui->out;
    size_t used = 0, room = sizeof ui->out;
    char fitted[UI_LINE_SIZE];
    for (int i = 0; i < count; i++) {
        bool lit = i == ui->highlight, was_lit = i == ui->shown_highlight;
        if (!ui->repaint && i < ui->shown_count && lit == was_lit && !strcmp(ui->lines[i], ui->shown[i]))
            continue;
        ui_fit(ui->lines[i], cols - 1, fitted, sizeof fitted); /* never the last column: no wrap */
        int w = snprintf(out + used, room - used, "\x1b[%d;1H%s%s%s\x1b[K", i + 1, lit ? "\x1b[7m" : "", fitted,
                         lit ? "\x1b[0m" : "");
        if (w < 0 || (size_t)w >= room - used)
            break;
        used += (size_t)w;
    }
    if ((ui->repaint || count < ui->shown_count) && count < rows) { /* clear what is below the view */
        int w = snprintf(out + used, room - used, "\x1b[%d;1H\x1b[J", count + 1);
        if (w > 0 && (size_t)w < room - used)
            used += (size_t)w;
    }
    if (used == 0)
        return; /* nothing changed */
    ui_write_all(STDOUT_FILENO, out, used);
    memcpy(ui->shown, ui->lines, sizeof ui->shown);
    ui->shown_count = count;
    ui->shown_highlight = ui->highlight;
    ui->last_draw = now;
    if (ui->repaint)
        ui->last_repaint = now;
    ui->repaint = false;
}

/* ---- API ---------------------------------------------------------------------------------- */

jam_ui *jam_ui_new(jam *j, const char *backend_name, bool interactive, double log_seconds)
{
    if (!j)
        return NULL;
    jam_ui *ui = calloc(1, sizeof *ui);
    if (!ui)
        return NULL;
    ui->j = j;
    ui->setup = jam_get_setup(j);
    snprintf(ui->backend, sizeof ui->backend, "%s", backend_name ? backend_name : "?");
    ui->rate = jam_sample_rate(j);
    ui->log_seconds = log_seconds > 0 && isfinite(log_seconds) ? log_seconds : 0;
    ui->next_log_frame = (uint64_t)fmax(1.0, ui->log_seconds * ui->rate);
    ui->shown_highlight = ui->highlight = -1;
    for (int i = 0; i < ui->setup->slot_count; i++)
        ui->control[i] = ui_first_control(ui->setup->slots[i].kind);
    ui->peak_since = ui_now();
    if (interactive && ui->setup->slot_count > 0 && !ui_terminal_raw) {
        if (!ui_atexit_registered)
            ui_atexit_registered = atexit(ui_terminal_restore) == 0;
        if (!ui_terminal_take()) {
            if (ui->log_seconds == 0) /* no view after all: the plain status lines instead */
                ui->log_seconds = 1.0;
            ui->next_log_frame = (uint64_t)(ui->log_seconds * ui->rate);
        } else {
            ui->interactive = true;
            for (size_t i = 0; i < sizeof ui_signals / sizeof ui_signals[0]; i++)
                ui_handle(ui_signals[i]);
            ui->repaint = true;
            ui_draw(ui, ui_now());
        }
    }
    return ui;
}

bool jam_ui_tick(jam_ui *ui)
{
    if (!ui)
        return true;
    double now = ui_now();
    jam_status status;
    while (jam_poll_status(ui->j, &status))
        ui_take_status(ui, &status, now);
    jam_notice notice;
    while (jam_poll_notice(ui->j, &notice)) {
        ui_notice_text(ui, &notice, ui->notice, sizeof ui->notice);
        if (notice.type == JAM_NOTICE_CC && notice.slot >= 0 && notice.slot < JAM_MAX_SLOTS && notice.control >= 0 &&
            notice.control < JAM_CONTROLS)
            ui->pending[notice.slot][notice.control].active = false; /* the knob wins over a key */
        if (!ui->interactive)
            fprintf(stderr, "nn-jam: %s\n", ui->notice);
    }
    if (!ui->interactive) {
        ui_log(ui);
        return true;
    }
    if (!ui_terminal_raw) {
        /* stopped (Ctrl-Z) and continued: take the terminal back once in the foreground */
        if (!ui_terminal_take())
            return !ui->quit;
        ui_handle(SIGTSTP);
        ui->repaint = true;
        ui->last_draw = 0;
    }
    ui_read_keys(ui, now);
    ui_draw(ui, now);
    return !ui->quit;
}

const jam_status *jam_ui_status(const jam_ui *ui)
{
    static const jam_status none;
    return ui ? &ui->status : &none;
}

void jam_ui_free(jam_ui *ui)
{
    if (!ui)
        return;
    if (ui->interactive) {
        ui_terminal_restore();
        ui_unhandle_all();
    }
    free(ui);
}
