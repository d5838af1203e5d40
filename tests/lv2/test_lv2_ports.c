/* test_lv2_ports.c — the adapter's port tables (lv2:index -> the setting it feeds) against the
 * Turtle each bundle ships: for every generator plugin (Performance RNN once the core has it),
 * index by index, the symbol the adapter expects is the symbol the host sees. The adapter is
 * compiled into this test (its tables are static); test_lv2_genie_ports does Piano Genie's.
 *
 * Usage: test_lv2_ports   (LV2_PATH set to the build's lv2 folder)
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#define ADAPTER_KIND GEN_MELODY
#define ADAPTER_URI "urn:magenta-lv2:test:ports"
#define ADAPTER_DEFAULT_MODEL "none.nnm"
#include "../../plugins/lv2/adapter.c"

#include "../check.h"

#include <lilv/lilv.h>

/* The symbol of each port_id, in the enum's order. */
static const char *const symbols[PORT_COUNT] = {
    "control", "midi_out", "notify", "temperature", "steps_per_quarter", "mode", "length_bars", "loop_bars",
    "pitch_low", "pitch_high", "transpose", "velocity", "channel", "seed", "regenerate", "bpm", "kick_note",
    "snare_note", "closed_hihat_note", "open_hihat_note", "low_tom_note", "mid_tom_note", "high_tom_note",
    "crash_note", "ride_note", "chord_source", "split_note", "notes_per_second", "pc_c", "pc_cs", "pc_d", "pc_ds",
    "pc_e", "pc_f", "pc_fs", "pc_g", "pc_gs", "pc_a", "pc_as", "pc_b",
};

int main(void)
{
    LilvWorld *world = lilv_world_new();
    lilv_world_load_all(world);
    const struct {
        int kind;
        const char *uri;
    } plugins[] = {{GEN_MELODY, "http://magenta-lv2.org/plugins/melody_rnn"},
                   {GEN_DRUMS, "http://magenta-lv2.org/plugins/drums_rnn"},
                   {GEN_IMPROV, "http://magenta-lv2.org/plugins/improv_rnn"},
                   {3 /* GEN_PERFORMANCE */, "http://magenta-lv2.org/plugins/performance_rnn"}};
    int count_plugins = ADAPTER_HAS_PERFORMANCE ? 4 : 3;
    for (int k = 0; k < count_plugins; k++) {
        snprintf(context, sizeof context, "%s", plugins[k].uri);
        LilvNode *uri = lilv_new_uri(world, plugins[k].uri);
        const LilvPlugin *plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world), uri);
        lilv_node_free(uri);
        CHECK(plugin != NULL, "not found in LV2_PATH");
        if (!plugin)
            continue;
        uint32_t count = 0;
        const uint8_t *table = port_table(plugins[k].kind, &count);
        CHECK(lilv_plugin_get_num_ports(plugin) == count, "the Turtle has %u ports, the adapter %u",
              lilv_plugin_get_num_ports(plugin), count);
        for (uint32_t i = 0; i < count && i < lilv_plugin_get_num_ports(plugin); i++) {
            const LilvPort *port = lilv_plugin_get_port_by_index(plugin, i);
            const char *symbol = lilv_node_as_string(lilv_port_get_symbol(plugin, port));
            CHECK(!strcmp(symbol, symbols[table[i]]), "index %u is \"%s\" in the Turtle, \"%s\" in the adapter", i,
                  symbol, symbols[table[i]]);
        }
    }
    lilv_world_free(world);
    return check_summary("lv2 ports");
}
