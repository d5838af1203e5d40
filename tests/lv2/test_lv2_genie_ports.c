/* test_lv2_genie_ports.c — Piano Genie's port order (genie_adapter.c's genie_port) against the
 * Turtle its bundle ships, index by index. The adapter is compiled into this test.
 *
 * Usage: test_lv2_genie_ports   (LV2_PATH set to the build's lv2 folder)
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#define GENIE_URI "urn:magenta-lv2:test:genie-ports"
#define GENIE_DEFAULT_MODEL "none.nnm"
#include "../../plugins/lv2/genie_adapter.c"

#include "../check.h"

#include <lilv/lilv.h>

/* The symbol of each genie_port, in the enum's order. */
static const char *const symbols[GENIE_PORT_COUNT] = {
    "control",      "midi_out",     "notify",       "temperature",  "button1_note", "button2_note",
    "button3_note", "button4_note", "button5_note", "button6_note", "button7_note", "button8_note",
    "channel",      "seed",         "velocity_mode", "velocity",
};

int main(void)
{
    LilvWorld *world = lilv_world_new();
    lilv_world_load_all(world);
    snprintf(context, sizeof context, "piano_genie");
    LilvNode *uri = lilv_new_uri(world, "http://magenta-lv2.org/plugins/piano_genie");
    const LilvPlugin *plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world), uri);
    lilv_node_free(uri);
    CHECK(plugin != NULL, "not found in LV2_PATH");
    if (plugin) {
        uint32_t n = lilv_plugin_get_num_ports(plugin);
        CHECK(n == GENIE_PORT_COUNT, "the Turtle has %u ports, the adapter %d", n, (int)GENIE_PORT_COUNT);
        for (uint32_t i = 0; i < n && i < GENIE_PORT_COUNT; i++) {
            const char *symbol = lilv_node_as_string(lilv_port_get_symbol(plugin, lilv_plugin_get_port_by_index(plugin, i)));
            CHECK(!strcmp(symbol, symbols[i]), "index %u is \"%s\" in the Turtle, \"%s\" in the adapter", i, symbol,
                  symbols[i]);
        }
    }
    lilv_world_free(world);
    return check_summary("lv2 genie ports");
}
