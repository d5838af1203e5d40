/* report.h — nn-train's progress line, CSV log and loss curve (report.c).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#ifndef REPORT_H
#define REPORT_H

#include "nn-train.h"

#include <stdint.h>
#include <stdio.h>

/* One line of the log: training figures since the previous line, evaluation at epoch ends
 * (NaN where a figure is not measured at that step). */
typedef struct history_row {
    int64_t step;
    int epoch;
    double seconds, learning_rate;
    double train_loss, train_accuracy, eval_loss, eval_accuracy;
} history_row;

enum { HISTORY_COLUMNS = 8 }; /* the row's numbers after step, as the checkpoint keeps them */

typedef struct history {
    history_row *rows;
    int count, capacity;
} history;

int history_add(history *h, const history_row *row);
void history_free(history *h);
int history_write_csv(const history *h, const char *path, char *why);
int history_write_svg(const history *h, const char *title, const char *path, char *why);

typedef struct progress {
    int epoch;
    int64_t done, total;
    double loss, accuracy, steps_per_second;
} progress;

/* Redraw the progress line (for a terminal). */
void progress_show(FILE *to, const progress *p);

#endif /* REPORT_H */
