/* chords.c — chord symbols, encodings, progressions and inference, bit-exact with note_seq.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later. */
#include "music_private.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



/* ---- Chord kinds --------------------------------------------------------------------------- */

/* A scale degree as Magenta spells it ("b3", "#5", "bb7", "13"): step and alteration. Two
 * spellings are equal exactly when both fields are. */
typedef struct degree {
    int step, alter;
} degree;

typedef struct chord_kind {
    const char *abbrevs[13]; /* NULL-terminated; the first is the one pitches_to_chord_symbol writes */
    int count;
    degree degrees[7];
} chord_kind;

#define D(s, a) {s, a}
/* Magenta's _CHORD_KINDS, same rows in the same order (the order decides parsing and naming). */
static const chord_kind kinds[] = {
    {{"", "maj", "M"}, 3, {D(1, 0), D(3, 0), D(5, 0)}},
    {{"m", "min", "-"}, 3, {D(1, 0), D(3, -1), D(5, 0)}},
    {{"+", "aug"}, 3, {D(1, 0), D(3, 0), D(5, 1)}},
    {{"o", "dim"}, 3, {D(1, 0), D(3, -1), D(5, -1)}},
    {{"7"}, 4, {D(1, 0), D(3, 0), D(5, 0), D(7, -1)}},
    {{"maj7", "M7"}, 4, {D(1, 0), D(3, 0), D(5, 0), D(7, 0)}},
    {{"m7", "min7", "-7"}, 4, {D(1, 0), D(3, -1), D(5, 0), D(7, -1)}},
    {{"o7", "dim7"}, 4, {D(1, 0), D(3, -1), D(5, -1), D(7, -2)}},
    {{"+7", "aug7"}, 4, {D(1, 0), D(3, 0), D(5, 1), D(7, -1)}},
    {{"m7b5", "-7b5", "/o", "/o7"}, 4, {D(1, 0), D(3, -1), D(5, -1), D(7, -1)}},
    {{"mmaj7", "mM7", "minmaj7", "minM7", "-maj7", "-M7", "m(maj7)", "m(M7)", "min(maj7)", "min(M7)", "-(maj7)",
      "-(M7)"},
     4,
     {D(1, 0), D(3, -1), D(5, 0), D(7, 0)}},
    {{"6"}, 4, {D(1, 0), D(3, 0), D(5, 0), D(6, 0)}},
    {{"m6", "min6", "-6"}, 4, {D(1, 0), D(3, -1), D(5, 0), D(6, 0)}},
    {{"9"}, 5, {D(1, 0), D(3, 0), D(5, 0), D(7, -1), D(9, 0)}},
    {{"maj9", "M9"}, 5, {D(1, 0), D(3, 0), D(5, 0), D(7, 0), D(9, 0)}},
    {{"m9", "min9", "-9"}, 5, {D(1, 0), D(3, -1), D(5, 0), D(7, -1), D(9, 0)}},
    {{"+9", "aug9"}, 5, {D(1, 0), D(3, 0), D(5, 1), D(7, -1), D(9, 0)}},
    {{"6/9"}, 5, {D(1, 0), D(3, 0), D(5, 0), D(6, 0), D(9, 0)}},
    {{"11"}, 6, {D(1, 0), D(3, 0), D(5, 0), D(7, -1), D(9, 0), D(11, 0)}},
    {{"maj11", "M11"}, 6, {D(1, 0), D(3, 0), D(5, 0), D(7, 0), D(9, 0), D(11, 0)}},
    {{"m11", "min11", "-11"}, 6, {D(1, 0), D(3, -1), D(5, 0), D(7, -1), D(9, 0), D(11, 0)}},
    {{"13"}, 7, {D(1, 0), D(3, 0), D(5, 0), D(7, -1), D(9, 0), D(11, 0), D(13, 0)}},
    {{"maj13", "M13"}, 7, {D(1, 0), D(3, 0), D(5, 0), D(7, 0), D(9, 0), D(11, 0), D(13, 0)}},
    {{"m13", "min13", "-13"}, 7, {D(1, 0), D(3, -1), D(5, 0), D(7, -1), D(9, 0), D(11, 0), D(13, 0)}},
    {{"sus2"}, 3, {D(1, 0), D(2, 0), D(5, 0)}},
    {{"sus", "sus4"}, 3, {D(1, 0), D(4, 0), D(5, 0)}},
    {{"sus7", "7sus"}, 4, {D(1, 0), D(4, 0), D(5, 0), D(7, -1)}},
    {{"ped"}, 1, {D(1, 0)}},
    {{"5"}, 2, {D(1, 0), D(5, 0)}},
};
#define KIND_COUNT ((int)(sizeof kinds / sizeof kinds[0]))

/* _SCALE_DEGREES: the spellings of each semitone above the root, in Magenta's order. */
static const struct {
    int count;
    degree names[3];
} scale_degrees[12] = {
    {1, {D(1, 0)}},
    {2, {D(2, -1), D(9, -1)}},
    {2, {D(2, 0), D(9, 0)}},
    {2, {D(3, -1), D(9, 1)}},
    {1, {D(3, 0)}},
    {2, {D(4, 0), D(11, 0)}},
    {2, {D(5, -1), D(11, 1)}},
    {1, {D(5, 0)}},
    {2, {D(5, 1), D(13, -1)}},
    {3, {D(6, 0), D(7, -2), D(13, 0)}},
    {1, {D(7, -1)}},
    {1, {D(7, 0)}},
};
#undef D

static const int step_midi[7] = {9, 11, 0, 2, 4, 5, 7};   /* A..G: _STEPS_MIDI */
static const int step_above[7] = {2, 1, 2, 2, 1, 2, 2};   /* A..G: _STEPS_ABOVE */
static const int degree_offset[8] = {0, 0, 2, 4, 5, 7, 9, 11}; /* _DEGREE_OFFSETS, 1-based */

/* ---- Splitting a symbol --------------------------------------------------------------------- */

/* A pitch class as written: step letter (0 = A) and alteration. */
typedef struct spelled {
    int step;
    long alter;
} spelled;

typedef struct split_symbol {
    spelled root, bass;
    bool has_bass;
    int kind;
    const char *mods, *mods_end; /* the modifications text */
} split_symbol;

/* [A-G](#*|b*) not followed by another # or b. Returns the length or 0. */
static size_t match_pitch_class(const char *s, spelled *out)
{
    if (s[0] < 'A' || s[0] > 'G')
        return 0;
    size_t n = 1;
    char accidental = s[1];
    if (accidental == '#' || accidental == 'b')
        while (s[n] == accidental)
            n++;
    if (s[n] == '#' || s[n] == 'b')
        return 0;
    out->step = s[0] - 'A';
    out->alter = (long)(n - 1) * (accidental == '#' ? 1 : -1);
    return n;
}

/* Python's `$`: the end of the text, or just before a final newline. */
static bool at_end(const char *s)
{
    return s[0] == '\0' || (s[0] == '\n' && s[1] == '\0');
}

/* One modification: \(?(add|add#|addb|no|#|b)[0-9]+\)? . Returns its length or 0. */
static size_t match_modification(const char *s, int *type, const char **digits, size_t *num_digits)
{
    size_t n = s[0] == '(' ? 1 : 0;
    static const char *const words[] = {"add#", "addb", "add", "no", "#", "b"};
    static const int word_type[] = {1, 2, 0, 3, 4, 5}; /* 'add#'/'addb' need a digit after */
    for (int w = 0; w < 6; w++) {
        size_t len = strlen(words[w]);
        if (strncmp(s + n, words[w], len) != 0)
            continue;
        size_t d = n + len, start = d;
        while (s[d] >= '0' && s[d] <= '9')
            d++;
        if (d == start)
            continue;
        *type = word_type[w];
        *digits = s + start;
        *num_digits = d - start;
        if (s[d] == ')')
            d++;
        return d;
    }
    return 0;
}

/* The regex _CHORD_SYMBOL_PATTERN with Python's backtracking: the kind alternatives are tried in
 * table order, and the first whose remainder is modifications then an optional bass wins.
 * (Within one kind the modifications tokenize one way only, so no deeper backtracking.) */
static bool split_chord_symbol(const char *name, split_symbol *out)
{
    size_t n = match_pitch_class(name, &out->root);
    if (!n)
        return false;
    const char *rest = name + n;
    for (int k = 0; k < KIND_COUNT; k++) {
        for (int a = 0; kinds[k].abbrevs[a] && a < 13; a++) {
            const char *abbrev = kinds[k].abbrevs[a];
            size_t len = strlen(abbrev);
            if (strncmp(rest, abbrev, len) != 0)
                continue;
            const char *p = rest + len, *mods = p;
            int type;
            const char *digits;
            size_t num_digits, m;
            while ((m = match_modification(p, &type, &digits, &num_digits)) > 0)
                p += m;
            const char *mods_end = p;
            bool has_bass = false;
            if (p[0] == '/') {
                size_t b = match_pitch_class(p + 1, &out->bass);
                if (!b)
                    continue;
                has_bass = true;
                p += 1 + b;
            }
            if (!at_end(p))
                continue;
            out->kind = k;
            out->mods = mods;
            out->mods_end = mods_end;
            out->has_bass = has_bass;
            if (!has_bass)
                out->bass = out->root;
            return true;
        }
    }
    return false;
}

static int spelled_to_midi(spelled p)
{
    return (int)music_floor_mod(step_midi[p.step] + p.alter, 12);
}

static music_status split_or_fail(const char *name, split_symbol *split, char *message)
{
    if (!name) {
        music_message(message, "chord symbol: NULL");
        return MUSIC_ERR_ARGUMENT;
    }
    if (!split_chord_symbol(name, split)) {
        music_message(message, "chord symbol \"%.64s\": unable to parse (expected a root A-G, sharps or flats, a chord kind, "
                     "modifications such as b9 or add2, and an optional /bass)",
            name);
        return MUSIC_ERR_MALFORMED;
    }
    return MUSIC_OK;
}

/* ---- Parsing ----------------------------------------------------------------------------- */

/* Magenta keeps the degrees in a dict: insertion order, deletion and re-insertion at the end. */
typedef struct degree_list {
    long step[MUSIC_CHORD_MAX_DEGREES];
    long alter[MUSIC_CHORD_MAX_DEGREES];
    int count;
} degree_list;

static int degree_find(const degree_list *d, long step)
{
    for (int i = 0; i < d->count; i++)
        if (d->step[i] == step)
            return i;
    return -1;
}

static music_status apply_modifications(const char *name, const split_symbol *split, degree_list *d, char *message)
{
    const char *p = split->mods;
    while (p < split->mods_end) {
        int type;
        const char *digits;
        size_t num_digits;
        size_t m = match_modification(p, &type, &digits, &num_digits);
        while (num_digits > 1 && digits[0] == '0') {
            digits++;
            num_digits--;
        }
        if (num_digits > 9) {
            /* Python's ints are unbounded; nobody writes a 10-digit scale degree. */
            music_message(message, "chord symbol \"%.64s\": scale degree %.*s is too large", name, (int)num_digits, digits);
            return MUSIC_ERR_MALFORMED;
        }
        long deg = strtol(digits, NULL, 10);
        int at = degree_find(d, deg);
        switch (type) {
        case 0: case 1: case 2: { /* add, add#, addb */
            long alter = type == 1 ? 1 : type == 2 ? -1 : 0;
            if (at >= 0) {
                music_message(message, "chord symbol \"%.64s\": scale degree already in chord: %ld", name, deg);
                return MUSIC_ERR_MALFORMED;
            }
            if (deg == 7)
                alter -= 1; /* "add7" means the dominant seventh */
            if (d->count == MUSIC_CHORD_MAX_DEGREES) {
                music_message(message, "chord symbol \"%.64s\": more than %d scale degrees", name, MUSIC_CHORD_MAX_DEGREES);
                return MUSIC_ERR_MALFORMED;
            }
            d->step[d->count] = deg;
            d->alter[d->count++] = alter;
            break;
        }
        case 3: /* no */
            if (at < 0) {
                music_message(message, "chord symbol \"%.64s\": scale degree not in chord: %ld", name, deg);
                return MUSIC_ERR_MALFORMED;
            }
            memmove(&d->step[at], &d->step[at + 1], (size_t)(d->count - at - 1) * sizeof d->step[0]);
            memmove(&d->alter[at], &d->alter[at + 1], (size_t)(d->count - at - 1) * sizeof d->alter[0]);
            d->count--;
            break;
        default: { /* '#' or 'b': alter the degree, or add it altered */
            long alter = type == 4 ? 1 : -1;
            if (at >= 0) {
                d->alter[at] += alter;
                break;
            }
            if (d->count == MUSIC_CHORD_MAX_DEGREES) {
                music_message(message, "chord symbol \"%.64s\": more than %d scale degrees", name, MUSIC_CHORD_MAX_DEGREES);
                return MUSIC_ERR_MALFORMED;
            }
            d->step[d->count] = deg;
            d->alter[d->count++] = alter;
            break;
        }
        }
        p += m;
    }
    return MUSIC_OK;
}

music_status music_chord_parse(const char *name, music_chord *chord, char *message)
{
    if (!chord) {
        music_message(message, "chord symbol: no output");
        return MUSIC_ERR_ARGUMENT;
    }
    memset(chord, 0, sizeof *chord);
    chord->root = chord->bass = chord->kind = -1;
    chord->quality = MUSIC_CHORD_OTHER;
    if (name && strcmp(name, MUSIC_NO_CHORD) == 0) {
        chord->no_chord = true;
        return MUSIC_OK;
    }
    split_symbol split;
    music_status st = split_or_fail(name, &split, message);
    if (st != MUSIC_OK)
        return st;
    degree_list d = {.count = kinds[split.kind].count};
    for (int i = 0; i < d.count; i++) {
        d.step[i] = kinds[split.kind].degrees[i].step;
        d.alter[i] = kinds[split.kind].degrees[i].alter;
    }
    st = apply_modifications(name, &split, &d, message);
    if (st != MUSIC_OK)
        return st;

    chord->root = spelled_to_midi(split.root);
    chord->bass = spelled_to_midi(split.bass);
    chord->kind = split.kind;
    chord->pitch_count = d.count;
    for (int i = 0; i < d.count; i++) {
        long normalized = music_floor_mod(d.step[i] - 1, 7) + 1; /* 9 -> 2, 13 -> 6, 0 -> 7 */
        int pitch = (int)music_floor_mod(chord->root + degree_offset[normalized] + d.alter[i], 12);
        chord->pitches[i] = (uint8_t)pitch;
        chord->pitch_mask |= (uint16_t)(1u << pitch);
    }
    int i1 = degree_find(&d, 1), i3 = degree_find(&d, 3), i5 = degree_find(&d, 5);
    if (i1 >= 0 && i3 >= 0 && i5 >= 0) {
        long a1 = d.alter[i1], a3 = d.alter[i3], a5 = d.alter[i5];
        if (a1 == 0 && a3 == 0 && a5 == 0)
            chord->quality = MUSIC_CHORD_MAJOR;
        else if (a1 == 0 && a3 == -1 && a5 == 0)
            chord->quality = MUSIC_CHORD_MINOR;
        else if (a1 == 0 && a3 == 0 && a5 == 1)
            chord->quality = MUSIC_CHORD_AUGMENTED;
        else if (a1 == 0 && a3 == -1 && a5 == -1)
            chord->quality = MUSIC_CHORD_DIMINISHED;
    }
    return MUSIC_OK;
}

music_status music_chord_root(const char *name, int *root, char *message)
{
    split_symbol split;
    music_status st = split_or_fail(name, &split, message);
    if (st == MUSIC_OK && root)
        *root = spelled_to_midi(split.root);
    return st;
}

music_status music_chord_bass(const char *name, int *bass, char *message)
{
    split_symbol split;
    music_status st = split_or_fail(name, &split, message);
    if (st == MUSIC_OK && bass)
        *bass = spelled_to_midi(split.bass);
    return st;
}

/* ---- Writing names ------------------------------------------------------------------------ */

/* _transpose_pitch_class: walk up the letters while the interval allows, then spell the rest
 * with an accidental. */
static spelled transpose_spelled(spelled p, int amount)
{
    amount = (int)music_floor_mod(amount, 12);
    while (amount >= step_above[p.step]) {
        amount -= step_above[p.step];
        p.step = (p.step + 1) % 7;
    }
    if (amount > 0) {
        if (p.alter >= 0) {
            p.alter -= step_above[p.step] - amount;
            p.step = (p.step + 1) % 7;
        } else {
            p.alter += amount;
        }
    }
    return p;
}

/* Append to a bounded buffer; remembers overflow. */
typedef struct writer {
    char *out;
    size_t size, len;
    bool overflow;
} writer;

static void put(writer *w, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    size_t room = w->len < w->size ? w->size - w->len : 0;
    int n = vsnprintf(room ? w->out + w->len : NULL, room, format, args);
    va_end(args);
    if (n < 0 || (size_t)n >= room)
        w->overflow = true;
    else
        w->len += (size_t)n;
}

static void put_spelled(writer *w, spelled p)
{
    put(w, "%c", 'A' + p.step);
    for (long i = 0; i < labs(p.alter); i++)
        put(w, "%c", p.alter >= 0 ? '#' : 'b');
}

static music_status finish(writer *w, const char *what, char *message)
{
    if (w->overflow) {
        if (w->size)
            w->out[0] = '\0';
        music_message(message, "%s: the name does not fit in %zu bytes", what, w->size);
        return MUSIC_ERR_RANGE;
    }
    return MUSIC_OK;
}

music_status music_chord_transpose(const char *name, int amount, char *out, size_t size, char *message)
{
    split_symbol split;
    music_status st = split_or_fail(name, &split, message);
    if (st != MUSIC_OK)
        return st;
    if (!out) {
        music_message(message, "chord symbol \"%.64s\": no output", name);
        return MUSIC_ERR_ARGUMENT;
    }
    writer w = {out, size, 0, false};
    if (size)
        out[0] = '\0';
    put_spelled(&w, transpose_spelled(split.root, amount));
    /* The kind and modifications exactly as written. */
    const char *kind_text = name + 1 + labs(split.root.alter);
    put(&w, "%.*s", (int)(split.mods_end - kind_text), kind_text);
    if (split.has_bass) {
        put(&w, "/");
        put_spelled(&w, transpose_spelled(split.bass, amount));
    }
    return finish(&w, "transpose_chord_symbol", message);
}

/* CPython's set of small non-negative ints, reproduced because pitches_to_chord_symbol iterates
 * sets and its result (which root wins a tie, the order of modifications) follows that order:
 * a table of 8 slots probed at (5i + 1) & 7, grown to 32 slots (then in ascending order) when a
 * fifth element arrives. */
typedef struct pyset {
    int8_t slot[32];
    int mask, fill, used;
} pyset;

static void pyset_init(pyset *s)
{
    memset(s->slot, -1, sizeof s->slot);
    s->mask = 7;
    s->fill = s->used = 0;
}

static void pyset_insert_clean(pyset *s, int key)
{
    size_t i = (size_t)key & (size_t)s->mask, perturb = (size_t)key;
    for (;;) {
        if (s->slot[i] < 0) {
            s->slot[i] = (int8_t)key;
            return;
        }
        if (i + 9 <= (size_t)s->mask) {
            for (size_t j = 1; j <= 9; j++)
                if (s->slot[i + j] < 0) {
                    s->slot[i + j] = (int8_t)key;
                    return;
                }
        }
        perturb >>= 5;
        i = (i * 5 + 1 + perturb) & (size_t)s->mask;
    }
}

static void pyset_add(pyset *s, int key)
{
    size_t mask = (size_t)s->mask, i = (size_t)key & mask, perturb = (size_t)key;
    for (;;) {
        size_t probes = i + 9 <= mask ? 9 : 0;
        for (size_t j = 0; j <= probes; j++) {
            if (s->slot[i + j] == key)
                return;
            if (s->slot[i + j] < 0) {
                s->slot[i + j] = (int8_t)key;
                s->fill++;
                s->used++;
                if ((size_t)s->fill * 5 >= mask * 3) {
                    int minused = s->used * 4, newsize = 8;
                    while (newsize <= minused)
                        newsize <<= 1;
                    int8_t old[32];
                    memcpy(old, s->slot, sizeof old);
                    int old_size = s->mask + 1;
                    memset(s->slot, -1, sizeof s->slot);
                    s->mask = newsize - 1; /* at most 32 for 12 keys */
                    s->fill = s->used;
                    for (int k = 0; k < old_size; k++)
                        if (old[k] >= 0)
                            pyset_insert_clean(s, old[k]);
                }
                return;
            }
        }
        perturb >>= 5;
        i = (i * 5 + 1 + perturb) & mask;
    }
}

/* Elements in iteration order; returns the count. */
static int pyset_items(const pyset *s, int *items)
{
    int n = 0;
    for (int i = 0; i <= s->mask; i++)
        if (s->slot[i] >= 0)
            items[n++] = s->slot[i];
    return n;
}

/* `s - {key}`: CPython copies the set and discards when it is at least 4 times larger than
 * {key}, and otherwise builds a fresh set in iteration order. */
static int pyset_items_without(const pyset *s, int key, int *items)
{
    int all[12], n = pyset_items(s, all), m = 0;
    if (s->used >> 2 > 1) {
        for (int i = 0; i < n; i++)
            if (all[i] != key)
                items[m++] = all[i];
        return m;
    }
    pyset r;
    pyset_init(&r);
    for (int i = 0; i < n; i++)
        if (all[i] != key)
            pyset_add(&r, all[i]);
    return pyset_items(&r, items);
}

static bool degree_in(const degree *set, int n, degree d)
{
    for (int i = 0; i < n; i++)
        if (set[i].step == d.step && set[i].alter == d.alter)
            return true;
    return false;
}

/* _largest_chord_kind_from_degrees: the first longest kind all of whose degrees are present. */
static int largest_kind_from_degrees(const degree *ds, int n)
{
    int best = -1, best_len = 0;
    for (int k = 0; k < KIND_COUNT; k++) {
        if (kinds[k].count <= best_len)
            continue;
        bool all = true;
        for (int i = 0; i < kinds[k].count && all; i++)
            all = degree_in(ds, n, kinds[k].degrees[i]);
        if (all) {
            best = k;
            best_len = kinds[k].count;
        }
    }
    return best;
}

/* _largest_chord_kind_from_relative_pitches: every spelling of the pitches (itertools.product,
 * last position fastest) without a repeated step; the first one naming the longest kind. */
static int largest_kind_from_relative(const int *rel, int n, degree *best_degrees)
{
    int choice[12] = {0}, best = -1;
    for (;;) {
        degree ds[12];
        bool repeated = false;
        for (int i = 0; i < n; i++) {
            ds[i] = scale_degrees[rel[i]].names[choice[i]];
            for (int j = 0; j < i; j++)
                repeated |= ds[j].step == ds[i].step;
        }
        if (!repeated) {
            int k = largest_kind_from_degrees(ds, n);
            if (best < 0 || kinds[k].count > kinds[best].count) {
                best = k;
                memcpy(best_degrees, ds, (size_t)n * sizeof ds[0]);
            }
        }
        int i = n - 1;
        while (i >= 0 && ++choice[i] == scale_degrees[rel[i]].count)
            choice[i--] = 0;
        if (i < 0)
            return best;
    }
}

static void put_alter(writer *w, int alter)
{
    for (int i = 0; i < abs(alter); i++)
        put(w, "%c", alter >= 0 ? '#' : 'b');
}

music_status music_chord_from_pitches(const int *pitches, int count, char *out, size_t size, char *message)
{
    if (!out || count < 0 || (count > 0 && !pitches)) {
        music_message(message, "pitches_to_chord_symbol: bad arguments");
        return MUSIC_ERR_ARGUMENT;
    }
    writer w = {out, size, 0, false};
    if (size)
        out[0] = '\0';
    if (count == 0) {
        put(&w, "%s", MUSIC_NO_CHORD);
        return finish(&w, "pitches_to_chord_symbol", message);
    }
    pyset classes;
    pyset_init(&classes);
    int lowest = pitches[0];
    for (int i = 0; i < count; i++) {
        pyset_add(&classes, (int)music_floor_mod(pitches[i], 12));
        if (pitches[i] < lowest)
            lowest = pitches[i];
    }
    int bass = (int)music_floor_mod(lowest, 12);
    int order[12];
    order[0] = bass; /* the bass is tried as the root first */
    int n = 1 + pyset_items_without(&classes, bass, order + 1);

    int best_root = -1, best_kind = -1, best_n = 0;
    degree best_degrees[12];
    for (int r = 0; r < n; r++) {
        int root = order[r];
        pyset rel_set;
        pyset_init(&rel_set);
        for (int i = 0; i < n; i++)
            pyset_add(&rel_set, (int)music_floor_mod(order[i] - root, 12));
        int rel[12], m = pyset_items(&rel_set, rel);
        degree ds[12];
        int k = largest_kind_from_relative(rel, m, ds);
        if (k >= 0 && (best_kind < 0 || kinds[k].count > kinds[best_kind].count)) {
            best_root = root;
            best_kind = k;
            best_n = m;
            memcpy(best_degrees, ds, (size_t)m * sizeof ds[0]);
        }
    }
    if (best_root < 0) {
        char list[MUSIC_MESSAGE_SIZE / 2];
        writer lw = {list, sizeof list, 0, false};
        for (int i = 0; i < count; i++)
            put(&lw, "%s%d", i ? ", " : "", pitches[i]);
        music_message(message, "pitches_to_chord_symbol [%s]: unable to determine a chord symbol (no chord kind fits)", list);
        return MUSIC_ERR_MALFORMED;
    }

    /* Magenta tests the bass's own pitch class (not its interval above the root) against the
     * kind's degrees; when none matches, the bass's spellings leave the target degrees. */
    const chord_kind *kind = &kinds[best_kind];
    bool bass_in_kind = false;
    for (int i = 0; i < kind->count; i++)
        bass_in_kind |= degree_in(scale_degrees[bass].names, scale_degrees[bass].count, kind->degrees[i]);
    if (!bass_in_kind) {
        int kept = 0;
        for (int i = 0; i < best_n; i++)
            if (!degree_in(scale_degrees[bass].names, scale_degrees[bass].count, best_degrees[i]))
                best_degrees[kept++] = best_degrees[i];
        best_n = kept;
    }

    put_spelled(&w, transpose_spelled((spelled){2, 0}, best_root));
    put(&w, "%s", kind->abbrevs[0]);
    /* _degrees_to_modifications: additions and alterations in target order, then removals. */
    for (int i = 0; i < best_n; i++) {
        degree t = best_degrees[i];
        int at = -1;
        for (int j = 0; j < kind->count; j++)
            if (kind->degrees[j].step == t.step)
                at = j;
        if (at < 0) {
            put(&w, t.alter && t.step > 7 ? "(" : "(add");
            put_alter(&w, t.alter);
            put(&w, "%d)", t.step);
        } else if (kind->degrees[at].alter != t.alter) {
            put(&w, "(");
            put_alter(&w, t.alter);
            put(&w, "%d)", t.step);
        }
    }
    for (int j = 0; j < kind->count; j++) {
        bool present = false;
        for (int i = 0; i < best_n; i++)
            present |= best_degrees[i].step == kind->degrees[j].step;
        if (!present)
            put(&w, "(no%d)", kind->degrees[j].step);
    }
    if (bass != best_root) {
        put(&w, "/");
        put_spelled(&w, transpose_spelled((spelled){2, 0}, bass));
    }
    return finish(&w, "pitches_to_chord_symbol", message);
}

/* ---- Encodings ---------------------------------------------------------------------------- */

static const char *const major_names[12] = {"C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"};
static const char *const minor_names[12] = {"Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "Abm", "Am", "Bbm", "Bm"};
static const char *const aug_names[12] = {"Caug", "C#aug", "Daug", "Ebaug", "Eaug", "Faug",
                                          "F#aug", "Gaug", "Abaug", "Aaug", "Bbaug", "Baug"};
static const char *const dim_names[12] = {"Cdim", "C#dim", "Ddim", "Ebdim", "Edim", "Fdim",
                                          "F#dim", "Gdim", "Abdim", "Adim", "Bbdim", "Bdim"};

/* Both one-hot encodings: root from the split symbol, quality from the full parse. */
static music_status triad_encode(const char *name, int *index, int qualities, char *message)
{
    if (!index) {
        music_message(message, "chord encoding: no output");
        return MUSIC_ERR_ARGUMENT;
    }
    if (name && strcmp(name, MUSIC_NO_CHORD) == 0) {
        *index = 0;
        return MUSIC_OK;
    }
    int root;
    music_status st = music_chord_root(name, &root, message);
    if (st != MUSIC_OK)
        return st;
    music_chord chord;
    st = music_chord_parse(name, &chord, message);
    if (st != MUSIC_OK)
        return st;
    if ((int)chord.quality >= qualities) {
        music_message(message, "chord symbol \"%.64s\": %s", name,
            qualities == 2 ? "chord is neither major nor minor" : "chord is not a standard triad");
        return MUSIC_ERR_RANGE;
    }
    *index = 1 + 12 * (int)chord.quality + root;
    return MUSIC_OK;
}

music_status music_chord_major_minor_encode(const char *name, int *index, char *message)
{
    return triad_encode(name, index, 2, message);
}

music_status music_chord_triad_encode(const char *name, int *index, char *message)
{
    return triad_encode(name, index, 4, message);
}

const char *music_chord_major_minor_decode(int index)
{
    return index >= 0 && index < MUSIC_CHORD_MAJOR_MINOR_CLASSES ? music_chord_triad_decode(index) : NULL;
}

const char *music_chord_triad_decode(int index)
{
    if (index < 0 || index >= MUSIC_CHORD_TRIAD_CLASSES)
        return NULL;
    if (index == 0)
        return MUSIC_NO_CHORD;
    static const char *const *const tables[4] = {major_names, minor_names, aug_names, dim_names};
    return tables[(index - 1) / 12][(index - 1) % 12];
}

music_status music_chord_pitch_encode(const char *name, float input[MUSIC_CHORD_PITCH_INPUT_SIZE], char *message)
{
    if (!input) {
        music_message(message, "chord pitch encoding: no output");
        return MUSIC_ERR_ARGUMENT;
    }
    memset(input, 0, MUSIC_CHORD_PITCH_INPUT_SIZE * sizeof input[0]);
    if (name && strcmp(name, MUSIC_NO_CHORD) == 0) {
        input[0] = 1.0f;
        return MUSIC_OK;
    }
    int root, bass;
    music_chord chord;
    music_status st = music_chord_root(name, &root, message);
    if (st == MUSIC_OK)
        st = music_chord_parse(name, &chord, message);
    if (st == MUSIC_OK)
        st = music_chord_bass(name, &bass, message);
    if (st != MUSIC_OK)
        return st;
    input[1 + root] = 1.0f;
    for (int i = 0; i < chord.pitch_count; i++)
        input[13 + chord.pitches[i]] = 1.0f;
    input[25 + bass] = 1.0f;
    return MUSIC_OK;
}

/* ---- Chord progressions ------------------------------------------------------------------- */

static void first_time_signature(const music_seq *seq, int *numerator, int *denominator)
{
    /* A quantized NoteSequence always has one; quantization adds 4/4 when there is none. */
    *numerator = seq->time_signatures.count ? seq->time_signatures.items[0].numerator : 4;
    *denominator = seq->time_signatures.count ? seq->time_signatures.items[0].denominator : 4;
}

/* steps_per_bar_in_quantized_sequence, in Magenta's operation order. */
static double steps_per_bar(const music_seq *seq)
{
    int numerator, denominator;
    first_time_signature(seq, &numerator, &denominator);
    double quarters_per_beat = 4.0 / denominator;
    double quarters_per_bar = quarters_per_beat * numerator;
    return seq->steps_per_quarter * quarters_per_bar;
}

/* Chords are read sorted by step, stably: position (step, index). */
static bool chord_before(const music_seq *seq, int a, int b)
{
    int32_t sa = seq->chords.items[a].step, sb = seq->chords.items[b].step;
    return sa < sb || (sa == sb && a < b);
}

/* The chord in force at `step` among those before `end_step`: the last in sorted order. */
static const char *chord_in_force(const music_seq *seq, int32_t step, int32_t end_step)
{
    int best = -1;
    for (int i = 0; i < seq->chords.count; i++) {
        const music_chord_symbol *c = &seq->chords.items[i];
        if (c->step <= step && c->step < end_step && (best < 0 || chord_before(seq, best, i)))
            best = i;
    }
    return best < 0 ? MUSIC_NO_CHORD : seq->chords.items[best].name;
}

static music_status check_progression(const music_seq *seq, int32_t start_step, int32_t end_step, char *message)
{
    if (!seq || seq->steps_per_quarter <= 0) {
        music_message(message, "chord progression: the sequence is not quantized relative to the tempo");
        return MUSIC_ERR_ARGUMENT;
    }
    double spb = steps_per_bar(seq);
    if (fmod(spb, 1.0) != 0.0) {
        int numerator, denominator;
        first_time_signature(seq, &numerator, &denominator);
        music_message(message, "chord progression: there are %f steps per bar (time signature %d/%d)", spb, numerator,
            denominator);
        return MUSIC_ERR_QUANTIZE;
    }
    if (start_step >= end_step) {
        music_message(message, "chord progression: start step does not precede end step: start=%d, end=%d", (int)start_step,
            (int)end_step);
        return MUSIC_ERR_ARGUMENT;
    }
    /* CoincidentChordsError: within the range, a step's chords must all be the same figure. The
     * first of each step in sorted order is what Magenta compares the others with. */
    for (int i = 0; i < seq->chords.count; i++) {
        const music_chord_symbol *a = &seq->chords.items[i];
        if (a->step < start_step || a->step >= end_step)
            continue;
        for (int j = 0; j < seq->chords.count; j++) {
            const music_chord_symbol *b = &seq->chords.items[j];
            if (j < i && b->step == a->step) /* `a` is not the first of its step */
                goto next;
        }
        for (int j = i + 1; j < seq->chords.count; j++) {
            const music_chord_symbol *b = &seq->chords.items[j];
            if (b->step == a->step && strcmp(b->name, a->name) != 0) {
                music_message(message, "chord progression: chords %s and %s are coincident at step %d", a->name, b->name,
                    (int)a->step);
                return MUSIC_ERR_MALFORMED;
            }
        }
    next:;
    }
    return MUSIC_OK;
}

music_status music_chords_extract(const music_seq *seq, int32_t start_step, int32_t end_step, const char **chords, char *message)
{
    if (!chords) {
        music_message(message, "chord progression: no output");
        return MUSIC_ERR_ARGUMENT;
    }
    music_status st = check_progression(seq, start_step, end_step, message);
    if (st != MUSIC_OK)
        return st;
    for (int32_t s = start_step; s < end_step; s++)
        chords[s - start_step] = chord_in_force(seq, s, end_step);
    return MUSIC_OK;
}

music_status music_chords_at_steps(const music_seq *seq, const int32_t *steps, int count, const char **chords, char *message)
{
    if (!seq || seq->steps_per_quarter <= 0) {
        music_message(message, "event_list_chords: the sequence is not quantized relative to the tempo");
        return MUSIC_ERR_ARGUMENT;
    }
    if (count < 0 || (count > 0 && (!steps || !chords))) {
        music_message(message, "event_list_chords: bad arguments");
        return MUSIC_ERR_ARGUMENT;
    }
    int32_t total = seq->total_steps;
    if (total > 0) {
        music_status st = check_progression(seq, 0, total, message);
        if (st != MUSIC_OK)
            return st;
    }
    /* Steps past the progression (or any step when it is empty) take its last chord. */
    const char *pad = total > 0 ? chord_in_force(seq, total - 1, total) : MUSIC_NO_CHORD;
    for (int i = 0; i < count; i++)
        chords[i] = steps[i] >= 0 && steps[i] < total ? chord_in_force(seq, steps[i], total) : pad;
    return MUSIC_OK;
}

/* ---- Chord inference ------------------------------------------------------------------------ */

#define INFER_KINDS 8
#define INFER_CHORDS (1 + 12 * INFER_KINDS) /* _CHORDS: N.C., then (root, kind) pairs */
#define INFER_STATES (12 * INFER_CHORDS)    /* _KEY_CHORDS: key-major */

static const char *const infer_pitch_names[12] = {"C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"};
static const char *const infer_kind_names[INFER_KINDS] = {"", "m", "+", "dim", "7", "maj7", "m7", "m7b5"};
static const int infer_kind_pitches[INFER_KINDS][5] = {
    {0, 4, 7, -1}, {0, 3, 7, -1}, {0, 4, 8, -1}, {0, 3, 6, -1},
    {0, 4, 7, 10, -1}, {0, 4, 7, 11, -1}, {0, 3, 7, 10, -1}, {0, 3, 6, 10, -1},
};
static const int key_pitches[7] = {0, 2, 4, 5, 7, 9, 11};

void music_chord_inference_defaults(music_chord_inference_params *params)
{
    if (!params)
        return;
    params->chords_per_bar = 0;
    params->key_change_prob = 0.001;
    params->chord_change_prob = 0.5;
    params->chord_pitch_out_of_key_prob = 0.01;
    params->chord_note_concentration = 100.0;
    params->add_key_signatures = false;
}

/* numpy's sum of a contiguous row (pairwise_sum for n <= 128): eight running sums, combined in
 * a tree, then the tail added in order. The last bits decide Viterbi ties, so match them. */
static double numpy_sum(const double *a, int n)
{
    if (n < 8) {
        double res = 0.0;
        for (int i = 0; i < n; i++)
            res += a[i];
        return res;
    }
    double r[8];
    for (int j = 0; j < 8; j++)
        r[j] = a[j];
    int i;
    for (i = 8; i < n - (n % 8); i += 8)
        for (int j = 0; j < 8; j++)
            r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++)
        res += a[i];
    return res;
}

static double norm12(const double *x)
{
    double sq[12];
    for (int i = 0; i < 12; i++)
        sq[i] = x[i] * x[i];
    return sqrt(numpy_sum(sq, 12));
}

static bool infer_chord_has(int chord, int pitch_class)
{
    int root = (chord - 1) / INFER_KINDS, kind = (chord - 1) % INFER_KINDS;
    for (int i = 0; infer_kind_pitches[kind][i] >= 0; i++)
        if ((root + infer_kind_pitches[kind][i]) % 12 == pitch_class)
            return true;
    return false;
}

static void infer_chord_name(int chord, char *name)
{
    if (chord == 0)
        snprintf(name, MUSIC_CHORD_NAME_MAX + 1, "%s", MUSIC_NO_CHORD);
    else
        snprintf(name, MUSIC_CHORD_NAME_MAX + 1, "%s%s", infer_pitch_names[(chord - 1) / INFER_KINDS],
                 infer_kind_names[(chord - 1) % INFER_KINDS]);
}

static bool is_unpitched_program(int program)
{
    return (program >= 96 && program < 104) || (program >= 112 && program < 128);
}

/* bisect_right / bisect_left over ascending boundaries. */
static int bisect_right(const double *b, int n, double x)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (x < b[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static int bisect_left(const double *b, int n, double x)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (b[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

music_status music_chords_pitch_vectors(const music_seq *seq, const double *boundaries, int num_boundaries, double (*vectors)[12])
{
    if (!seq || !vectors || num_boundaries < 0 || (num_boundaries > 0 && !boundaries))
        return MUSIC_ERR_ARGUMENT;
    int num_frames = num_boundaries + 1;
    memset(vectors, 0, (size_t)num_frames * sizeof vectors[0]);
    for (int i = 0; i < seq->notes.count; i++) {
        const music_note *note = &seq->notes.items[i];
        if (note->is_drum || is_unpitched_program(note->program))
            continue;
        int start_frame = bisect_right(boundaries, num_boundaries, note->start);
        int end_frame = bisect_left(boundaries, num_boundaries, note->end);
        int pc = note->pitch % 12;
        if (start_frame >= end_frame) {
            vectors[start_frame][pc] += note->end - note->start;
        } else {
            vectors[start_frame][pc] += boundaries[start_frame] - note->start;
            for (int f = start_frame + 1; f < end_frame; f++)
                vectors[f][pc] += boundaries[f] - boundaries[f - 1];
            vectors[end_frame][pc] += note->end - boundaries[end_frame - 1];
        }
    }
    for (int f = 0; f < num_frames; f++) {
        double norm = norm12(vectors[f]);
        if (norm > 0)
            for (int p = 0; p < 12; p++)
                vectors[f][p] /= norm;
    }
    return MUSIC_OK;
}

music_status music_chords_infer_frames(const double (*vectors)[12], int num_frames, const music_chord_inference_params *params,
                                       int *keys, char (*names)[MUSIC_CHORD_NAME_MAX + 1], char *message)
{
    if (!vectors || num_frames <= 0 || !params || !keys || !names) {
        music_message(message, "chord inference: bad arguments");
        return MUSIC_ERR_ARGUMENT;
    }
    const double p_out = params->chord_pitch_out_of_key_prob, kcp = params->key_change_prob,
                 ccp = params->chord_change_prob;
    if (!(p_out > 0 && p_out < 1) || !(kcp > 0 && kcp < 1) || !(ccp > 0 && ccp < 1) ||
        !isfinite(params->chord_note_concentration)) {
        music_message(message, "chord inference: probabilities must lie strictly between 0 and 1");
        return MUSIC_ERR_ARGUMENT;
    }

    double *same_key = malloc(sizeof(double) * 12 * INFER_CHORDS * INFER_CHORDS);
    double *frame_loglik = malloc(sizeof(double) * (size_t)num_frames * INFER_CHORDS);
    int32_t *path = malloc(sizeof(int32_t) * (size_t)num_frames * INFER_STATES);
    double *prev = malloc(sizeof(double) * INFER_STATES), *cur = malloc(sizeof(double) * INFER_STATES);
    if (!same_key || !frame_loglik || !path || !prev || !cur) {
        free(same_key), free(frame_loglik), free(path), free(prev), free(cur);
        music_message(message, "chord inference: out of memory for %d frames", num_frames);
        return MUSIC_ERR_MEMORY;
    }

    /* _key_chord_distribution: (1-p)^in_key * p^out_of_key, rows normalised (N.C. scores 1). */
    double kc[12][INFER_CHORDS];
    for (int key = 0; key < 12; key++) {
        kc[key][0] = 1.0;
        for (int c = 1; c < INFER_CHORDS; c++) {
            int in = 0, out = 0;
            for (int pc = 0; pc < 12; pc++) {
                if (!infer_chord_has(c, pc))
                    continue;
                bool in_key = false;
                for (int k = 0; k < 7; k++)
                    in_key |= (key + key_pitches[k]) % 12 == pc;
                in_key ? in++ : out++;
            }
            kc[key][c] = pow(1 - p_out, in) * pow(p_out, out);
        }
        double sum = numpy_sum(kc[key], INFER_CHORDS);
        for (int c = 0; c < INFER_CHORDS; c++)
            kc[key][c] /= sum;
    }

    /* _key_chord_transition_distribution, as logs, in the three shapes it takes. */
    double change_key[12][INFER_CHORDS], key_chord_log[12][INFER_CHORDS];
    const double stay = log((1 - kcp) * (1 - ccp));
    for (int key = 0; key < 12; key++)
        for (int c2 = 0; c2 < INFER_CHORDS; c2++) {
            change_key[key][c2] = log(kcp / 11 * kc[key][c2]);
            key_chord_log[key][c2] = log(kc[key][c2]);
            for (int c1 = 0; c1 < INFER_CHORDS; c1++)
                same_key[(key * INFER_CHORDS + c1) * INFER_CHORDS + c2] =
                    log((1 - kcp) * (ccp * (kc[key][c2] + kc[key][c1] / (INFER_CHORDS - 1))));
        }

    /* _chord_pitch_vectors and _chord_frame_log_likelihood. */
    double chord_vec[INFER_CHORDS][12] = {{0}};
    for (int c = 1; c < INFER_CHORDS; c++) {
        for (int pc = 0; pc < 12; pc++)
            chord_vec[c][pc] = infer_chord_has(c, pc) ? 1.0 : 0.0;
        double norm = norm12(chord_vec[c]);
        for (int pc = 0; pc < 12; pc++)
            chord_vec[c][pc] /= norm;
    }
    for (int f = 0; f < num_frames; f++)
        for (int c = 0; c < INFER_CHORDS; c++) {
            double dot = 0.0;
            for (int pc = 0; pc < 12; pc++)
                dot += vectors[f][pc] * chord_vec[c][pc];
            frame_loglik[f * INFER_CHORDS + c] = params->chord_note_concentration * dot;
        }

    /* _key_chord_viterbi, ties going to the lowest state as numpy's argmax does. */
    const double log12 = log(12.0);
    for (int s = 0; s < INFER_STATES; s++) {
        int key = s / INFER_CHORDS, c = s % INFER_CHORDS;
        prev[s] = -log12 + key_chord_log[key][c] + frame_loglik[c];
    }
    for (int f = 1; f < num_frames; f++) {
        for (int j = 0; j < INFER_STATES; j++) {
            int key2 = j / INFER_CHORDS, c2 = j % INFER_CHORDS;
            double best = -HUGE_VAL;
            int best_i = -1;
            for (int i = 0; i < INFER_STATES; i++) {
                int key1 = i / INFER_CHORDS, c1 = i % INFER_CHORDS;
                double t = key1 != key2 ? change_key[key2][c2]
                           : c1 == c2   ? stay
                                        : same_key[(key2 * INFER_CHORDS + c1) * INFER_CHORDS + c2];
                double v = prev[i] + t;
                if (best_i < 0 || v > best) {
                    best = v;
                    best_i = i;
                }
            }
            path[(size_t)f * INFER_STATES + j] = best_i;
            cur[j] = best + frame_loglik[f * INFER_CHORDS + c2];
        }
        double *swap = prev;
        prev = cur;
        cur = swap;
    }
    int state = 0;
    for (int s = 1; s < INFER_STATES; s++)
        if (prev[s] > prev[state])
            state = s;
    for (int f = num_frames - 1; f >= 0; f--) {
        keys[f] = state / INFER_CHORDS;
        infer_chord_name(state % INFER_CHORDS, names[f]);
        if (f > 0)
            state = path[(size_t)f * INFER_STATES + state];
    }
    free(same_key), free(frame_loglik), free(path), free(prev), free(cur);
    return MUSIC_OK;
}

music_status music_chords_infer(music_seq *seq, const music_chord_inference_params *params, char *message)
{
    music_chord_inference_params defaults;
    if (!params) {
        music_chord_inference_defaults(&defaults);
        params = &defaults;
    }
    if (!seq) {
        music_message(message, "chord inference: no sequence");
        return MUSIC_ERR_ARGUMENT;
    }
    if (seq->chords.count > 0) {
        music_message(message, "chord inference: the sequence already has chord(s): %s", seq->chords.items[0].name);
        return MUSIC_ERR_ARGUMENT;
    }
    if (seq->steps_per_quarter <= 0) {
        music_message(message, "chord inference: the sequence must be quantized relative to the tempo (Magenta's other path, "
                     "over beat annotations, is music_chords_infer_frames)");
        return MUSIC_ERR_ARGUMENT;
    }
    int chords_per_bar = params->chords_per_bar;
    if (chords_per_bar < 0) {
        music_message(message, "chord inference: chords_per_bar %d is negative", chords_per_bar);
        return MUSIC_ERR_ARGUMENT;
    }
    if (chords_per_bar == 0) {
        int numerator, denominator;
        first_time_signature(seq, &numerator, &denominator);
        static const int defaults_table[5][3] = {{2, 2, 1}, {2, 4, 1}, {3, 4, 1}, {4, 4, 2}, {6, 8, 2}};
        for (int i = 0; i < 5; i++)
            if (defaults_table[i][0] == numerator && defaults_table[i][1] == denominator)
                chords_per_bar = defaults_table[i][2];
        if (chords_per_bar == 0) {
            music_message(message, "chord inference: no default chords per bar for time signature: (%d, %d)", numerator,
                denominator);
            return MUSIC_ERR_UNSUPPORTED;
        }
    }
    double steps_per_chord_float = steps_per_bar(seq) / chords_per_bar;
    if (steps_per_chord_float != round(steps_per_chord_float)) {
        music_message(message, "chord inference: non-integer number of steps per chord: %f", steps_per_chord_float);
        return MUSIC_ERR_QUANTIZE;
    }
    int steps_per_chord = (int)steps_per_chord_float;
    double qpm = seq->tempos.count ? seq->tempos.items[0].qpm : 120.0;
    double steps_per_second = seq->steps_per_quarter * qpm / 60.0;
    double seconds_per_chord = steps_per_chord / steps_per_second;
    double frames = ceil(seq->total_time / seconds_per_chord);
    if (frames == 0) {
        music_message(message, "chord inference: the sequence is empty");
        return MUSIC_ERR_ARGUMENT;
    }
    if (!(frames <= MUSIC_CHORD_INFERENCE_MAX_CHORDS)) {
        music_message(message, "chord inference: the sequence is too long for chord inference: %.0f frames", frames);
        return MUSIC_ERR_RANGE;
    }
    int num_frames = (int)frames;

    double *boundaries = malloc(sizeof(double) * (size_t)num_frames);
    double (*vectors)[12] = malloc(sizeof vectors[0] * (size_t)num_frames);
    int *keys = malloc(sizeof(int) * (size_t)num_frames);
    char (*names)[MUSIC_CHORD_NAME_MAX + 1] = malloc(sizeof names[0] * (size_t)num_frames);
    music_status st = MUSIC_ERR_MEMORY;
    if (!boundaries || !vectors || !keys || !names) {
        music_message(message, "chord inference: out of memory for %d frames", num_frames);
        goto done;
    }
    for (int i = 1; i < num_frames; i++)
        boundaries[i - 1] = seconds_per_chord * i;
    st = music_chords_pitch_vectors(seq, boundaries, num_frames - 1, vectors);
    if (st == MUSIC_OK)
        st = music_chords_infer_frames((const double (*)[12])vectors, num_frames, params, keys, names, message);
    if (st != MUSIC_OK)
        goto done;

    if (params->add_key_signatures)
        seq->key_signatures.count = 0;
    for (int f = 0; f < num_frames && st == MUSIC_OK; f++) {
        double time = f * seconds_per_chord;
        if (params->add_key_signatures && (f == 0 || keys[f] != keys[f - 1]))
            st = music_seq_add_key_signature(seq, time, keys[f], 0);
        if (st == MUSIC_OK && (f == 0 || strcmp(names[f], names[f - 1]) != 0)) {
            st = music_seq_add_chord(seq, time, names[f]);
            if (st == MUSIC_OK)
                seq->chords.items[seq->chords.count - 1].step = f * steps_per_chord;
        }
    }
    if (st != MUSIC_OK)
        music_message(message, "chord inference: could not add the inferred chords or keys (%s)", music_status_text(st));
done:
    free(boundaries), free(vectors), free(keys), free(names);
    return st;
}
