/* write_model — writes a model file of a plugin's largest Magenta shape with random weights, for
 * the host tests that need a model their bundle may not ship (Piano Genie has no starter yet).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Usage: write_model PLUGIN FILE.nnm [SEED]
 *   PLUGIN: a name lv2host_largest_model knows (piano_genie, performance_rnn, ...). Weights are
 *   uniform in +-0.3 (seeded): far from trained, but a valid file the plugin loads and plays.
 */
#include "lv2host.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: write_model PLUGIN FILE.nnm [SEED]\n");
        return 2;
    }
    const lv2host_model_shape *shape = lv2host_largest_model(argv[1]);
    if (!shape) {
        fprintf(stderr, "write_model: no model shape for '%s'\n", argv[1]);
        return 2;
    }
    char why[LV2HOST_MESSAGE_SIZE];
    uint64_t seed = argc == 4 ? strtoull(argv[3], NULL, 10) : 1;
    if (!lv2host_write_model(argv[2], shape, seed, 0.3f, why)) {
        fprintf(stderr, "write_model: %s\n", why);
        return 1;
    }
    return 0;
}
