/* ui.h — nn-jam's live terminal view and keyboard (ui.c), run by main.c's loop, off the audio
 * thread. It reads the engine only through jam_poll_status / jam_poll_notice and changes it only
 * through jam_send.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#ifndef JAM_UI_H
#define JAM_UI_H

#include "jam.h"

#include <stdbool.h>

typedef struct jam_ui jam_ui;

/** interactive: a terminal (raw keys, a view redrawn in place, restored at jam_ui_free and on
 *  a fatal signal); otherwise a plain status line per `log_seconds` of audio (0: none) and one
 *  line per notice, on stderr. */
jam_ui *jam_ui_new(jam *j, const char *backend_name, bool interactive, double log_seconds);
/** Called every ~30 ms by main.c: takes the newest status and the notices, redraws, reads keys
 *  and sends their commands. Returns false when the player asked to quit (q). */
bool jam_ui_tick(jam_ui *ui);
/** The newest status seen (for main.c's report at exit). */
const jam_status *jam_ui_status(const jam_ui *ui);
void jam_ui_free(jam_ui *ui); /**< restores the terminal; NULL is a no-op */

#endif
