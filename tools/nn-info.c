/* nn-info — print what a model file holds: kind, hyperparameters, tensors, parameter count and
 * memory footprint. Validates the file fully (it loads it as a plugin would).
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *to)
{
    fputs("usage: nn-info FILE.nnm...\n"
          "Validates each model file and prints its kind, hyperparameters, tensors,\n"
          "parameter count and memory footprint. Exit status 1 if any file is invalid.\n",
          to);
}

static void print_bytes(const char *label, size_t bytes)
{
    if (bytes >= 10u << 20)
        printf("%-22s %zu bytes (%.1f MiB)\n", label, bytes, bytes / 1048576.0);
    else
        printf("%-22s %zu bytes (%.1f KiB)\n", label, bytes, bytes / 1024.0);
}

static int show(const char *path)
{
    char why[NN_MESSAGE_SIZE];
    nn_model *model = NULL;
    nn_status st = nn_model_load(path, &model, why);
    if (st != NN_OK) {
        fprintf(stderr, "nn-info: %s\n", why);
        return 1;
    }
    struct stat info;
    printf("%s\n", path);
    printf("%-22s %s (%d)\n", "kind", nn_kind_name(nn_model_kind(model)), (int)nn_model_kind(model));
    printf("%-22s %u\n", "format version", nn_model_version(model));

    printf("hyperparameters:\n");
    for (int i = 0; i < nn_model_hparam_count(model); i++) {
        nn_hparam_info h;
        nn_model_hparam(model, i, &h);
        if (h.type == NN_HPARAM_INT)
            printf("  %-20s %lld\n", h.name, (long long)h.int_value);
        else if (h.type == NN_HPARAM_FLOAT)
            printf("  %-20s %g\n", h.name, h.float_value);
        else
            printf("  %-20s \"%s\"\n", h.name, h.string_value);
    }

    printf("tensors:\n");
    for (int i = 0; i < nn_model_tensor_count(model); i++) {
        nn_tensor_info t;
        nn_model_tensor(model, i, &t);
        char shape[64];
        int used = snprintf(shape, sizeof shape, "[");
        for (int d = 0; d < t.ndim; d++)
            used += snprintf(shape + used, sizeof shape - (size_t)used, d ? ", %d" : "%d", t.dims[d]);
        snprintf(shape + used, sizeof shape - (size_t)used, "]");
        printf("  %-40s %-4s %-14s %10zu\n", t.name, nn_dtype_name(t.dtype), shape, t.count);
    }
    printf("%-22s %zu\n", "parameters", nn_model_param_count(model));
    if (stat(path, &info) == 0)
        print_bytes("file size", (size_t)info.st_size);
    print_bytes("weights in memory", nn_model_weight_bytes(model));
    print_bytes("each instance", nn_model_runner_bytes(model));
    printf("%-22s %s\n", "kernels on this CPU", nn_simd_active());
    nn_model_free(model);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(stdout);
        return 0;
    }
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        if (i > 1)
            putchar('\n');
        failed |= show(argv[i]);
    }
    return failed;
}
