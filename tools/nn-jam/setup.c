/* setup.c — what nn-jam runs: the controls' table, the command line's and the config file's
 * settings, the starter models. Everything here runs before the audio starts. */
#define _GNU_SOURCE
#include "jam_private.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *const kind_names[JAM_KINDS] = {"melody", "drums", "improv", "performance", "genie"};
static const char *const plugin_names[JAM_KINDS] = {"melody_rnn", "drums_rnn", "improv_rnn", "performance_rnn",
                                                    "piano_genie"};
static const char *const starter_models[JAM_KINDS] = {"attention_rnn.nnm", "drum_kit.nnm", "chord_pitches_improv.nnm",
                                                      "performance_with_dynamics.nnm", "piano_genie.nnm"};

const char *jam_kind_name(jam_kind kind)
{
    return kind >= 0 && kind < JAM_KINDS ? kind_names[kind] : "?";
}

int jam_kind_from_name(const char *name)
{
    for (int k = 0; k < JAM_KINDS; k++)
        if (!strcasecmp(name, kind_names[k]) || !strcasecmp(name, plugin_names[k]))
            return k;
    if (!strcasecmp(name, "piano") || !strcasecmp(name, "piano-genie"))
        return JAM_GENIE;
    return -1;
}

/* name, min, max, integer, CC span. The cores clamp again to their own ranges. */
static const jam_control_info controls[JAM_CONTROLS] = {
    [JAM_CTL_TEMPERATURE] = {"temperature", 0, 4, false, 0.1, 2},
    [JAM_CTL_MODE] = {"mode", 0, 2, true, 0, 2},
    [JAM_CTL_LENGTH_BARS] = {"length_bars", 1, 32, true, 1, 8},
    [JAM_CTL_LOOP_BARS] = {"loop_bars", 0, 32, true, 0, 8},
    [JAM_CTL_STEPS_PER_QUARTER] = {"steps_per_quarter", 1, 8, true, 1, 8},
    [JAM_CTL_PITCH_LOW] = {"pitch_low", 0, 127, true, 0, 127},
    [JAM_CTL_PITCH_HIGH] = {"pitch_high", 0, 127, true, 0, 127},
    [JAM_CTL_TRANSPOSE] = {"transpose", -24, 24, true, -24, 24},
    [JAM_CTL_VELOCITY] = {"velocity", 1, 127, true, 1, 127},
    [JAM_CTL_CHANNEL] = {"channel", 1, 16, true, 1, 16},
    [JAM_CTL_SEED] = {"seed", 0, 16777215, true, 0, 127},
    [JAM_CTL_CHORD_SOURCE] = {"chord_source", 0, 1, true, 0, 1},
    [JAM_CTL_SPLIT_NOTE] = {"split_note", 0, 127, true, 0, 127},
    [JAM_CTL_NOTES_PER_SECOND] = {"notes_per_second", 0, 30, false, 0, 30},
    [JAM_CTL_VELOCITY_MODE] = {"velocity_mode", 0, 1, true, 0, 1},
    [JAM_CTL_MUTE] = {"mute", 0, 1, true, 0, 1},
    [JAM_CTL_REGENERATE] = {"regenerate", 0, 1, true, 0, 1},
};

const jam_control_info *jam_control_get(jam_control control)
{
    return control >= 0 && control < JAM_CONTROLS ? &controls[control] : &controls[0];
}

int jam_control_from_name(const char *name)
{
    for (int c = 0; c < JAM_CONTROLS; c++)
        if (!strcasecmp(name, controls[c].name))
            return c;
    return -1;
}

bool jam_control_applies(jam_kind kind, jam_control control)
{
    bool generator = kind != JAM_GENIE;
    switch (control) {
    case JAM_CTL_TEMPERATURE:
    case JAM_CTL_VELOCITY:
    case JAM_CTL_CHANNEL:
    case JAM_CTL_SEED:
    case JAM_CTL_MUTE:
        return true;
    case JAM_CTL_MODE:
    case JAM_CTL_LENGTH_BARS:
    case JAM_CTL_REGENERATE:
        return generator;
    case JAM_CTL_LOOP_BARS:
    case JAM_CTL_STEPS_PER_QUARTER:
        return generator && kind != JAM_PERFORMANCE;
    case JAM_CTL_PITCH_LOW:
    case JAM_CTL_PITCH_HIGH:
    case JAM_CTL_TRANSPOSE:
        return kind == JAM_MELODY || kind == JAM_IMPROV;
    case JAM_CTL_CHORD_SOURCE:
    case JAM_CTL_SPLIT_NOTE:
        return kind == JAM_IMPROV;
    case JAM_CTL_NOTES_PER_SECOND:
        return kind == JAM_PERFORMANCE;
    case JAM_CTL_VELOCITY_MODE:
        return kind == JAM_GENIE;
    default:
        return false;
    }
}

gen_kind jam_gen_kind(jam_kind kind)
{
    return kind == JAM_DRUMS ? GEN_DRUMS : kind == JAM_IMPROV ? GEN_IMPROV
         : kind == JAM_PERFORMANCE ? GEN_PERFORMANCE : GEN_MELODY;
}

/* Where each control lives in the cores' settings: one map, read for the defaults and written
 * when the engine applies the values. Mute and regenerate are the engine's own. */
typedef enum field_type { FIELD_NONE = 0, FIELD_FLOAT, FIELD_INT, FIELD_U32, FIELD_DOUBLE } field_type;
typedef struct field {
    field_type type;
    size_t offset;
} field;

#define GEN(name, type) {type, offsetof(gen_controls, name)}
static const field gen_fields[JAM_CONTROLS] = {
    [JAM_CTL_TEMPERATURE] = GEN(temperature, FIELD_FLOAT),
    [JAM_CTL_MODE] = GEN(mode, FIELD_INT),
    [JAM_CTL_LENGTH_BARS] = GEN(length_bars, FIELD_INT),
    [JAM_CTL_LOOP_BARS] = GEN(loop_bars, FIELD_INT),
    [JAM_CTL_STEPS_PER_QUARTER] = GEN(steps_per_quarter, FIELD_INT),
    [JAM_CTL_PITCH_LOW] = GEN(pitch_low, FIELD_INT),
    [JAM_CTL_PITCH_HIGH] = GEN(pitch_high, FIELD_INT),
    [JAM_CTL_TRANSPOSE] = GEN(transpose, FIELD_INT),
    [JAM_CTL_VELOCITY] = GEN(velocity, FIELD_INT),
    [JAM_CTL_CHANNEL] = GEN(channel, FIELD_INT),
    [JAM_CTL_SEED] = GEN(seed, FIELD_U32),
    [JAM_CTL_CHORD_SOURCE] = GEN(chord_source, FIELD_INT),
    [JAM_CTL_SPLIT_NOTE] = GEN(split_note, FIELD_INT),
    [JAM_CTL_NOTES_PER_SECOND] = GEN(notes_per_second, FIELD_DOUBLE),
};
#undef GEN
#define GENIE(name, type) {type, offsetof(genie_controls, name)}
static const field genie_fields[JAM_CONTROLS] = {
    [JAM_CTL_TEMPERATURE] = GENIE(temperature, FIELD_FLOAT),
    [JAM_CTL_VELOCITY] = GENIE(velocity, FIELD_INT),
    [JAM_CTL_CHANNEL] = GENIE(channel, FIELD_INT),
    [JAM_CTL_SEED] = GENIE(seed, FIELD_U32),
    [JAM_CTL_VELOCITY_MODE] = GENIE(velocity_mode, FIELD_INT),
};
#undef GENIE

static double field_get(const void *base, field f)
{
    const char *p = (const char *)base + f.offset;
    switch (f.type) {
    case FIELD_FLOAT: return *(const float *)p;
    case FIELD_INT: return *(const int *)p;
    case FIELD_U32: return *(const uint32_t *)p;
    case FIELD_DOUBLE: return *(const double *)p;
    default: return 0;
    }
}

static void field_set(void *base, field f, double v)
{
    char *p = (char *)base + f.offset;
    switch (f.type) {
    case FIELD_FLOAT: *(float *)p = (float)v; break;
    case FIELD_INT: *(int *)p = (int)v; break;
    case FIELD_U32: *(uint32_t *)p = (uint32_t)v; break;
    case FIELD_DOUBLE: *(double *)p = v; break;
    default: break;
    }
}

void jam_controls_store(jam_kind kind, const double *values, void *settings)
{
    const field *fields = kind == JAM_GENIE ? genie_fields : gen_fields;
    for (int c = 0; c < JAM_CONTROLS; c++)
        field_set(settings, fields[c], values[c]);
}

double jam_control_default(jam_kind kind, jam_control control)
{
    if (control < 0 || control >= JAM_CONTROLS)
        return 0;
    /* In a zeroed union, so that no field read can reach past the struct that was set. */
    union {
        gen_controls gen;
        genie_controls genie;
    } u;
    memset(&u, 0, sizeof u);
    if (kind == JAM_GENIE) {
        u.genie = genie_controls_default();
        return field_get(&u, genie_fields[control]);
    }
    u.gen = gen_controls_default(jam_gen_kind(kind));
    return field_get(&u, gen_fields[control]);
}

void jam_setup_init(jam_setup *setup)
{
    memset(setup, 0, sizeof *setup);
    setup->bpm = 120;
    setup->beats_per_bar = 4;
    setup->clock = JAM_CLOCK_AUTO;
    setup->tap_note = -1;
}

/* ---- Values from text -------------------------------------------------------------------- */

static bool parse_number(const char *text, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno)
        return false;
    while (*end && isspace((unsigned char)*end))
        end++;
    if (*end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = {"1", "on", "yes", "true"}, *const no[] = {"0", "off", "no", "false"};
    for (int k = 0; k < 4; k++) {
        if (!strcasecmp(text, yes[k]))
            return *out = true, true;
        if (!strcasecmp(text, no[k]))
            return *out = false, true;
    }
    return false;
}

/* A number in [lo, hi] (whole when `integer`), or a name of `names` (its index). */
static bool parse_ranged(const char *what, const char *text, double lo, double hi, bool integer,
                         const char *const *names, int name_count, double *out, char *why)
{
    for (int k = 0; k < name_count; k++)
        if (!strcasecmp(text, names[k]))
            return *out = k, true;
    double v;
    if (!parse_number(text, &v)) {
        snprintf(why, NN_MESSAGE_SIZE, "%s: \"%s\" is not a number", what, text);
        return false;
    }
    if (v < lo || v > hi || (integer && v != floor(v))) {
        snprintf(why, NN_MESSAGE_SIZE, "%s: %s is out of range (%s%g .. %g)", what, text,
                 integer ? "a whole number " : "", lo, hi);
        return false;
    }
    *out = v;
    return true;
}

/* "60:62:64" into `count` notes, or one note as the first of `count` consecutive ones. */
static bool parse_notes(const char *what, const char *text, int *notes, int count, char *why)
{
    int got = 0;
    const char *p = text;
    while (*p && got < count) {
        char *end = NULL;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v > 127) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: \"%s\" is not a list of MIDI notes 0 .. 127 separated by ':'", what, text);
            return false;
        }
        notes[got++] = (int)v;
        p = end;
        if (*p == ':')
            p++;
        else if (*p) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: \"%s\" is not a list of MIDI notes 0 .. 127 separated by ':'", what, text);
            return false;
        }
    }
    if (got == 1 && count > 1) {
        if (notes[0] + count - 1 > 127) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: %d notes from %d go past 127", what, count, notes[0]);
            return false;
        }
        for (int k = 1; k < count; k++)
            notes[k] = notes[0] + k;
        got = count;
    }
    if (got != count || *p) {
        snprintf(why, NN_MESSAGE_SIZE, "%s: \"%s\" needs %d notes (or the first of %d consecutive ones)", what, text,
                 count, count);
        return false;
    }
    return true;
}

/* ---- Slots ------------------------------------------------------------------------------- */

static bool name_taken(const jam_setup *setup, const char *name, int except)
{
    for (int i = 0; i < setup->slot_count; i++)
        if (i != except && !strcmp(setup->slots[i].name, name))
            return true;
    return false;
}

int jam_setup_add_slot(jam_setup *setup, const char *kind_name, char *why)
{
    int kind = jam_kind_from_name(kind_name);
    if (kind < 0) {
        snprintf(why, NN_MESSAGE_SIZE, "unknown model \"%s\": nn-jam runs melody, drums, improv, performance, genie",
                 kind_name);
        return -1;
    }
    if (setup->slot_count >= JAM_MAX_SLOTS) {
        snprintf(why, NN_MESSAGE_SIZE, "too many models: nn-jam runs at most %d at once", JAM_MAX_SLOTS);
        return -1;
    }
    int i = setup->slot_count++;
    jam_slot_setup *s = &setup->slots[i];
    memset(s, 0, sizeof *s);
    s->kind = (jam_kind)kind;
    snprintf(s->name, sizeof s->name, "%s", kind_names[kind]);
    for (int n = 2; name_taken(setup, s->name, i); n++)
        snprintf(s->name, sizeof s->name, "%s%d", kind_names[kind], n);
    for (int c = 0; c < JAM_CONTROLS; c++)
        s->controls[c] = jam_control_default(s->kind, c);
    genie_controls g = genie_controls_default();
    memcpy(s->button_notes, g.button_notes, sizeof s->button_notes);
    gen_controls d = gen_controls_default(GEN_DRUMS);
    memcpy(s->drum_notes, d.drum_notes, sizeof s->drum_notes);
    return i;
}

nn_status jam_setup_set(jam_setup *setup, int slot, const char *key, const char *value, char *why)
{
    if (slot < 0 || slot >= setup->slot_count) {
        snprintf(why, NN_MESSAGE_SIZE, "no model slot %d", slot);
        return NN_ERR_ARGUMENT;
    }
    jam_slot_setup *s = &setup->slots[slot];
    char what[160];
    snprintf(what, sizeof what, "%s %s", s->name, key);
    int control = jam_control_from_name(key);
    if (control >= 0) {
        if (!jam_control_applies(s->kind, control)) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: %s has no setting \"%s\"", s->name, kind_names[s->kind], key);
            return NN_ERR_ARGUMENT;
        }
        static const char *const modes[] = {"continue", "answer", "free"};
        static const char *const sources[] = {"held", "progression"};
        static const char *const flags[] = {"off", "on"};
        const char *const *names = control == JAM_CTL_MODE ? modes : control == JAM_CTL_CHORD_SOURCE ? sources
                                 : control == JAM_CTL_MUTE ? flags : NULL;
        int name_count = control == JAM_CTL_MODE ? 3 : names ? 2 : 0;
        const jam_control_info *info = &controls[control];
        double v;
        if (!parse_ranged(what, value, info->min, info->max, info->integer, names, name_count, &v, why))
            return NN_ERR_ARGUMENT;
        if (control == JAM_CTL_TEMPERATURE && s->kind != JAM_GENIE && v < 0.05) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: %s is out of range (0.05 .. 4)", what, value);
            return NN_ERR_ARGUMENT;
        }
        if (control == JAM_CTL_TEMPERATURE && s->kind == JAM_GENIE && v > 2) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: %s is out of range (0 .. 2)", what, value);
            return NN_ERR_ARGUMENT;
        }
        s->controls[control] = v;
        return NN_OK;
    }
    if (!strcmp(key, "name")) {
        size_t n = strlen(value);
        bool ok = n > 0 && n < JAM_NAME_MAX;
        for (size_t k = 0; ok && k < n; k++)
            ok = isalnum((unsigned char)value[k]) || value[k] == '_' || value[k] == '-';
        if (!ok) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: \"%s\" is not a name (1 .. %d letters, digits, _ or -)", what, value,
                     JAM_NAME_MAX - 1);
            return NN_ERR_ARGUMENT;
        }
        if (name_taken(setup, value, slot)) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: another model is already named \"%s\"", what, value);
            return NN_ERR_ARGUMENT;
        }
        snprintf(s->name, sizeof s->name, "%s", value);
        return NN_OK;
    }
    if (!strcmp(key, "model") || !strcmp(key, "file")) {
        if (strlen(value) >= sizeof s->model_path) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: the path is too long", what);
            return NN_ERR_ARGUMENT;
        }
        if (access(value, R_OK) != 0) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: cannot read %s: %s", what, value, strerror(errno));
            return NN_ERR_IO;
        }
        snprintf(s->model_path, sizeof s->model_path, "%s", value);
        return NN_OK;
    }
    if (!strcmp(key, "in") || !strcmp(key, "out")) {
        char *dst = key[0] == 'i' ? s->connect_in : s->connect_out;
        if (strlen(value) >= sizeof s->connect_in) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: the port name is too long", what);
            return NN_ERR_ARGUMENT;
        }
        snprintf(dst, sizeof s->connect_in, "%s", value);
        return NN_OK;
    }
    if (!strcmp(key, "in_channel")) {
        double v;
        static const char *const any[] = {"any"};
        if (!parse_ranged(what, value, 0, 16, true, any, 1, &v, why))
            return NN_ERR_ARGUMENT;
        s->in_channel = (int)v;
        return NN_OK;
    }
    if (!strcmp(key, "progression")) {
        if (s->kind != JAM_IMPROV) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: only improv takes a chord progression", s->name);
            return NN_ERR_ARGUMENT;
        }
        gen_progression *p = NULL;
        char inner[NN_MESSAGE_SIZE];
        if (gen_progression_parse(value, &p, inner) != NN_OK) {
            snprintf(why, NN_MESSAGE_SIZE, "%.100s: %.400s", what, inner);
            return NN_ERR_ARGUMENT;
        }
        gen_progression_free(p);
        snprintf(s->progression, sizeof s->progression, "%s", value);
        s->controls[JAM_CTL_CHORD_SOURCE] = GEN_CHORDS_PROGRESSION;
        return NN_OK;
    }
    if (!strcmp(key, "buttons")) {
        if (s->kind != JAM_GENIE) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: only genie has buttons", s->name);
            return NN_ERR_ARGUMENT;
        }
        return parse_notes(what, value, s->button_notes, GENIE_BUTTONS, why) ? NN_OK : NN_ERR_ARGUMENT;
    }
    if (!strcmp(key, "drum_notes")) {
        if (s->kind != JAM_DRUMS) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: only drums has drum_notes", s->name);
            return NN_ERR_ARGUMENT;
        }
        return parse_notes(what, value, s->drum_notes, 9, why) ? NN_OK : NN_ERR_ARGUMENT;
    }
    if (!strncmp(key, "cc.", 3)) {
        /* cc.N or cc.CH.N = control */
        int channel = 0, cc = -1;
        char tail;
        if (sscanf(key + 3, "%d.%d%c", &channel, &cc, &tail) != 2) {
            channel = 0;
            if (sscanf(key + 3, "%d%c", &cc, &tail) != 1)
                cc = -1;
        }
        if (cc < 0 || cc > 119 || channel < 0 || channel > 16) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: write cc.N or cc.CHANNEL.N with N 0 .. 119 and CHANNEL 1 .. 16", what);
            return NN_ERR_ARGUMENT;
        }
        int target = jam_control_from_name(value);
        if (target < 0 || !jam_control_applies(s->kind, target)) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: %s has no control \"%s\" to map", what, kind_names[s->kind], value);
            return NN_ERR_ARGUMENT;
        }
        if (setup->cc_map_count >= JAM_MAX_CC_MAPS) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: at most %d CC mappings", what, JAM_MAX_CC_MAPS);
            return NN_ERR_ARGUMENT;
        }
        setup->cc_maps[setup->cc_map_count++] = (jam_cc_map){.channel = channel, .cc = cc, .slot = slot, .control = target};
        return NN_OK;
    }
    snprintf(why, NN_MESSAGE_SIZE, "%s: unknown setting \"%s\" (controls:", s->name, key);
    for (int c = 0; c < JAM_CONTROLS; c++)
        if (jam_control_applies(s->kind, c)) {
            size_t n = strlen(why);
            snprintf(why + n, NN_MESSAGE_SIZE - n, " %s", controls[c].name);
        }
    size_t n = strlen(why);
    snprintf(why + n, NN_MESSAGE_SIZE - n, "; also name model in out in_channel%s%s%s cc.N)",
             s->kind == JAM_IMPROV ? " progression" : "", s->kind == JAM_GENIE ? " buttons" : "",
             s->kind == JAM_DRUMS ? " drum_notes" : "");
    return NN_ERR_ARGUMENT;
}

nn_status jam_setup_set_global(jam_setup *setup, const char *key, const char *value, char *why)
{
    double v;
    if (!strcmp(key, "bpm")) {
        if (!parse_ranged("bpm", value, 20, 400, false, NULL, 0, &v, why))
            return NN_ERR_ARGUMENT;
        setup->bpm = v;
    } else if (!strcmp(key, "beats_per_bar")) {
        if (!parse_ranged("beats_per_bar", value, 1, 16, true, NULL, 0, &v, why))
            return NN_ERR_ARGUMENT;
        setup->beats_per_bar = (int)v;
    } else if (!strcmp(key, "clock")) {
        static const char *const modes[] = {"auto", "own", "jack"};
        double m = -1;
        for (int k = 0; k < 3; k++)
            if (!strcasecmp(value, modes[k]))
                m = k;
        if (m < 0) {
            snprintf(why, NN_MESSAGE_SIZE, "clock: \"%s\" is not auto, own or jack", value);
            return NN_ERR_ARGUMENT;
        }
        setup->clock = (int)m;
    } else if (!strcmp(key, "tap_note")) {
        static const char *const none[] = {"none"};
        if (!parse_ranged("tap_note", value, -1, 127, true, none, 1, &v, why))
            return NN_ERR_ARGUMENT;
        setup->tap_note = !strcasecmp(value, "none") ? -1 : (int)v;
    } else if (!strcmp(key, "click")) {
        bool b;
        if (!parse_bool(value, &b)) {
            snprintf(why, NN_MESSAGE_SIZE, "click: \"%s\" is not on or off", value);
            return NN_ERR_ARGUMENT;
        }
        setup->click = b;
    } else if (!strcmp(key, "duration")) {
        if (!parse_ranged("duration", value, 0, 1e7, false, NULL, 0, &v, why))
            return NN_ERR_ARGUMENT;
        setup->duration = v;
    } else if (!strcmp(key, "record")) {
        if (strlen(value) >= sizeof setup->record_path) {
            snprintf(why, NN_MESSAGE_SIZE, "record: the path is too long");
            return NN_ERR_ARGUMENT;
        }
        snprintf(setup->record_path, sizeof setup->record_path, "%s", strcasecmp(value, "none") ? value : "");
    } else {
        snprintf(why, NN_MESSAGE_SIZE,
                 "unknown setting \"%s\" (global settings: bpm beats_per_bar clock tap_note click record duration)", key);
        return NN_ERR_ARGUMENT;
    }
    return NN_OK;
}

nn_status jam_setup_parse_slot(jam_setup *setup, const char *spec, char *why)
{
    char buf[2048];
    if (strlen(spec) >= sizeof buf) {
        snprintf(why, NN_MESSAGE_SIZE, "model \"%.40s...\": too long", spec);
        return NN_ERR_ARGUMENT;
    }
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    char *kind = strtok_r(buf, ",", &save);
    if (!kind) {
        snprintf(why, NN_MESSAGE_SIZE, "an empty model: write -m KIND[,key=value...]");
        return NN_ERR_ARGUMENT;
    }
    int slot = jam_setup_add_slot(setup, kind, why);
    if (slot < 0)
        return NN_ERR_ARGUMENT;
    for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            snprintf(why, NN_MESSAGE_SIZE, "%s: \"%s\" is not key=value", setup->slots[slot].name, kv);
            setup->slot_count--;
            return NN_ERR_ARGUMENT;
        }
        *eq = 0;
        nn_status st = jam_setup_set(setup, slot, kv, eq + 1, why);
        if (st != NN_OK) {
            setup->slot_count--;
            return st;
        }
    }
    return NN_OK;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

nn_status jam_setup_read_file(jam_setup *setup, const char *path, char *why)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, NN_MESSAGE_SIZE, "config %s: %s", path, strerror(errno));
        return NN_ERR_IO;
    }
    char line[2048], section[JAM_NAME_MAX + 8] = "";
    int slot = -1, number = 0;
    nn_status st = NN_OK;
    char inner[NN_MESSAGE_SIZE];
    while (st == NN_OK && fgets(line, sizeof line, f)) {
        number++;
        char *hash = strpbrk(line, "#;");
        if (hash)
            *hash = 0;
        char *s = trim(line);
        if (!*s)
            continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (!end || end[1] || end - s - 1 < 1 || end - s - 1 >= JAM_NAME_MAX) {
                snprintf(why, NN_MESSAGE_SIZE, "config %s:%d: a section is [name] with a name of 1 .. %d characters",
                         path, number, JAM_NAME_MAX - 1);
                st = NN_ERR_ARGUMENT;
                break;
            }
            *end = 0;
            snprintf(section, sizeof section, "%s", trim(s + 1));
            slot = -1;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(why, NN_MESSAGE_SIZE, "config %s:%d: \"%s\" is not key = value", path, number, s);
            st = NN_ERR_ARGUMENT;
            break;
        }
        *eq = 0;
        char *key = trim(s), *value = trim(eq + 1);
        if (!section[0]) {
            st = jam_setup_set_global(setup, key, value, inner);
        } else if (slot < 0) {
            /* A section's slot starts at its first line: kind = ..., or a section named as a kind. */
            bool by_key = !strcmp(key, "kind");
            const char *kind = by_key ? value : section;
            if (!by_key && jam_kind_from_name(section) < 0) {
                snprintf(inner, sizeof inner, "section [%s] needs kind = melody|drums|improv|performance|genie first",
                         section);
                st = NN_ERR_ARGUMENT;
            } else if ((slot = jam_setup_add_slot(setup, kind, inner)) < 0) {
                st = NN_ERR_ARGUMENT;
            } else {
                st = jam_setup_set(setup, slot, "name", section, inner);
                if (st == NN_OK && !by_key)
                    st = jam_setup_set(setup, slot, key, value, inner);
            }
        } else if (!strcmp(key, "kind")) {
            snprintf(inner, sizeof inner, "kind must be the first line of section [%s]", section);
            st = NN_ERR_ARGUMENT;
        } else {
            st = jam_setup_set(setup, slot, key, value, inner);
        }
        if (st != NN_OK)
            snprintf(why, NN_MESSAGE_SIZE, "config %.100s:%d: %.390s", path, number, inner);
    }
    if (st == NN_OK && ferror(f)) {
        snprintf(why, NN_MESSAGE_SIZE, "config %s: read error", path);
        st = NN_ERR_IO;
    }
    fclose(f);
    return st;
}

bool jam_default_model(jam_kind kind, char *path, size_t size)
{
    if (kind < 0 || kind >= JAM_KINDS)
        return false;
    const char *file = starter_models[kind];
    const char *env = getenv("NN_JAM_MODELS");
    if (env && *env) {
        snprintf(path, size, "%s/%s", env, file);
        if (access(path, R_OK) == 0)
            return true;
    }
    snprintf(path, size, "%s/%s", JAM_SOURCE_PRESETS, file);
    if (access(path, R_OK) == 0)
        return true;
    snprintf(path, size, "%s/%s.lv2/%s", JAM_INSTALLED_LV2, plugin_names[kind], file);
    return access(path, R_OK) == 0;
}
