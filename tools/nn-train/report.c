/* report.c — what a training run shows and leaves behind: the progress line on a terminal,
 * the CSV log and the loss curve (SVG), both written to a temporary file and renamed.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int history_add(history *h, const history_row *row)
{
    if (h->count == h->capacity) {
        int capacity = h->capacity ? 2 * h->capacity : 256;
        history_row *rows = realloc(h->rows, (size_t)capacity * sizeof *rows);
        if (!rows)
            return -1;
        h->rows = rows, h->capacity = capacity;
    }
    h->rows[h->count++] = *row;
    return 0;
}

void history_free(history *h)
{
    free(h->rows);
    *h = (history){0};
}

/* Write through `fill` into path.tmp-PID, then rename over path: a reader never sees half. */
static int write_atomic(const char *path, void (*fill)(FILE *, const void *), const void *ctx, char *why)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return snprintf(why, WHY_SIZE, "%s: cannot write: %s", path, strerror(errno)), -1;
    fill(f, ctx);
    int failed = ferror(f);
    if (fclose(f) != 0 || failed) {
        int e = errno;
        unlink(tmp);
        return snprintf(why, WHY_SIZE, "%s: cannot write: %s", path, strerror(e ? e : EIO)), -1;
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return snprintf(why, WHY_SIZE, "%s: cannot rename the new file into place: %s", path, strerror(e)), -1;
    }
    return 0;
}

static void put_value(FILE *f, double v, const char *format)
{
    if (isfinite(v))
        fprintf(f, format, v);
    fputc(',', f);
}

static void fill_csv(FILE *f, const void *ctx)
{
    const history *h = ctx;
    fputs("step,epoch,seconds,learning_rate,train_loss,train_accuracy,eval_loss,eval_accuracy,eval_perplexity\n", f);
    for (int i = 0; i < h->count; i++) {
        const history_row *r = &h->rows[i];
        fprintf(f, "%lld,%d,", (long long)r->step, r->epoch);
        put_value(f, r->seconds, "%.1f");
        put_value(f, r->learning_rate, "%.6g");
        put_value(f, r->train_loss, "%.5f");
        put_value(f, r->train_accuracy, "%.5f");
        put_value(f, r->eval_loss, "%.5f");
        put_value(f, r->eval_accuracy, "%.5f");
        if (isfinite(r->eval_loss))
            fprintf(f, "%.4f", exp(r->eval_loss));
        fputc('\n', f);
    }
}

int history_write_csv(const history *h, const char *path, char *why) { return write_atomic(path, fill_csv, h, why); }

/* ---- The loss curve ------------------------------------------------------------------------ */

typedef struct plot {
    const history *h;
    const char *title;
} plot;

enum { W = 800, H = 450, LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 50 };

static double nice_step(double range)
{
    double raw = range / 5, unit = pow(10, floor(log10(raw)));
    return raw / unit < 2 ? unit : raw / unit < 5 ? 2 * unit : 5 * unit;
}

static void polyline(FILE *f, const history *h, bool eval, double x0, double x1, double y0, double y1, const char *color)
{
    fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='%s' points='", color, eval ? "2.5" : "1.2");
    for (int i = 0; i < h->count; i++) {
        double v = eval ? h->rows[i].eval_loss : h->rows[i].train_loss;
        if (!isfinite(v))
            continue;
        double x = LEFT + (h->rows[i].step - x0) / (x1 - x0) * (W - LEFT - RIGHT);
        double y = TOP + (y1 - v) / (y1 - y0) * (H - TOP - BOTTOM);
        fprintf(f, "%.1f,%.1f ", x, y);
    }
    fputs("'/>\n", f);
    for (int i = 0; eval && i < h->count; i++) {
        double v = h->rows[i].eval_loss;
        if (!isfinite(v))
            continue;
        double x = LEFT + (h->rows[i].step - x0) / (x1 - x0) * (W - LEFT - RIGHT);
        double y = TOP + (y1 - v) / (y1 - y0) * (H - TOP - BOTTOM);
        fprintf(f, "<circle cx='%.1f' cy='%.1f' r='3.5' fill='%s'/>\n", x, y, color);
    }
}

static void fill_svg(FILE *f, const void *ctx)
{
    const plot *p = ctx;
    const history *h = p->h;
    double x0 = 0, x1 = 1, y0 = INFINITY, y1 = -INFINITY;
    for (int i = 0; i < h->count; i++) {
        x1 = fmax(x1, (double)h->rows[i].step);
        double v[2] = {h->rows[i].train_loss, h->rows[i].eval_loss};
        for (int k = 0; k < 2; k++)
            if (isfinite(v[k]))
                y0 = fmin(y0, v[k]), y1 = fmax(y1, v[k]);
    }
    if (!(y1 >= y0))
        y0 = 0, y1 = 1;
    if (y1 - y0 < 1e-3)
        y1 = y0 + 1e-3;
    double ys = nice_step(y1 - y0), xs = nice_step(x1 - x0);
    y0 = floor(y0 / ys) * ys, y1 = ceil(y1 / ys) * ys;
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif' font-size='12'>\n", W, H);
    fprintf(f, "<rect width='%d' height='%d' fill='white'/>\n", W, H);
    fprintf(f, "<text x='%d' y='24' font-size='15'>", LEFT);
    for (const char *c = p->title; *c; c++) /* the title holds a file name: escape XML */
        fputs(*c == '<' ? "&lt;" : *c == '>' ? "&gt;" : *c == '&' ? "&amp;" : *c == '\'' ? "&apos;" : (char[2]){*c, 0}, f);
    fputs("</text>\n", f);
    for (double y = y0; y <= y1 + ys / 2; y += ys) {
        double py = TOP + (y1 - y) / (y1 - y0) * (H - TOP - BOTTOM);
        fprintf(f, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#ddd'/>\n", LEFT, W - RIGHT, py, py);
        fprintf(f, "<text x='%d' y='%.1f' text-anchor='end'>%.3g</text>\n", LEFT - 6, py + 4, y);
    }
    for (double x = x0; x <= x1 + xs / 2; x += xs) {
        double px = LEFT + (x - x0) / (x1 - x0) * (W - LEFT - RIGHT);
        fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle'>%.0f</text>\n", px, H - BOTTOM + 18, x);
    }
    fprintf(f, "<text x='%d' y='%d' text-anchor='middle'>training step</text>\n", (LEFT + W - RIGHT) / 2, H - 10);
    fprintf(f, "<text x='16' y='%d' transform='rotate(-90 16 %d)' text-anchor='middle'>cross-entropy (nats per step)</text>\n",
            (TOP + H - BOTTOM) / 2, (TOP + H - BOTTOM) / 2);
    fprintf(f, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#888'/>\n", LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM);
    polyline(f, h, false, x0, x1, y0, y1, "#4a7fb5");
    polyline(f, h, true, x0, x1, y0, y1, "#d9822b");
    fprintf(f, "<text x='%d' y='%d' fill='#4a7fb5'>training loss</text>\n", W - RIGHT - 200, TOP + 18);
    fprintf(f, "<text x='%d' y='%d' fill='#d9822b'>evaluation loss (per epoch)</text>\n", W - RIGHT - 200, TOP + 34);
    fputs("</svg>\n", f);
}

int history_write_svg(const history *h, const char *title, const char *path, char *why)
{
    plot p = {h, title};
    return write_atomic(path, fill_svg, &p, why);
}

/* ---- Progress -------------------------------------------------------------------------------- */

static void clock_text(double seconds, char *out, size_t size)
{
    long s = isfinite(seconds) && seconds > 0 ? (long)(seconds + 0.5) : 0;
    if (s >= 3600)
        snprintf(out, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(out, size, "%ld:%02ld", s / 60, s % 60);
}

void progress_show(FILE *to, const progress *p)
{
    enum { BAR = 24 };
    int filled = p->total > 0 ? (int)(BAR * (double)p->done / (double)p->total) : 0;
    char bar[BAR + 1], eta[32];
    for (int i = 0; i < BAR; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR] = 0;
    clock_text(p->steps_per_second > 0 ? (double)(p->total - p->done) / p->steps_per_second : 0, eta, sizeof eta);
    fprintf(to, "\r\033[Kepoch %d [%s] %lld/%lld  loss %.4f  acc %.3f  %.2f steps/s  ETA %s", p->epoch, bar,
            (long long)p->done, (long long)p->total, p->loss, p->accuracy, p->steps_per_second, eta);
    fflush(to);
}
