/* test_lv2_lint.c — the project's own lint of one plugin bundle, the checks of lv2lint that
 * matter here (lv2lint is not packaged for Debian 12): only lv2_descriptor exported, name,
 * licence, maintainer, version, class, features, parameters, every control port's range,
 * default and unit, the atom ports' buffer sizes, the starter model in the bundle, and every
 * preset's ports inside their ranges.
 *
 * Usage: test_lv2_lint URI NM   (LV2_PATH: the build's lv2 folder, then the system's; NM runs `nm -D`)
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#define _DEFAULT_SOURCE
#include "../check.h"

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/core/lv2.h>
#include <lv2/patch/patch.h>
#include <lv2/port-props/port-props.h>
#include <lv2/presets/presets.h>
#include <lv2/resize-port/resize-port.h>
#include <lv2/state/state.h>
#include <lv2/units/units.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOAP "http://usefulinc.com/ns/doap#"
#define RDFS "http://www.w3.org/2000/01/rdf-schema#"
#define MG "http://magenta-lv2.org/plugins#"
#define LICENSE "https://spdx.org/licenses/GPL-3.0-or-later"

static LilvWorld *world;

static LilvNode *uri(const char *text)
{
    return lilv_new_uri(world, text);
}

/* ---- Exports ------------------------------------------------------------------------------ */

/* The symbols the static linker itself defines in every shared object on some toolchains
 * (older binutils export them); nothing else may be there but lv2_descriptor. */
static bool linker_symbol(const char *name)
{
    static const char *const names[] = {"_init", "_fini", "_edata", "_end", "__bss_start"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i]))
            return true;
    return false;
}

static void check_exports(const char *nm, const char *library)
{
    snprintf(context, sizeof context, "exports of %s", library);
    char command[2048];
    snprintf(command, sizeof command, "'%s' -D --defined-only '%s' 2>&1", nm, library);
    FILE *p = popen(command, "r");
    CHECK(p != NULL, "cannot run %s", command);
    if (!p)
        return;
    int descriptors = 0, lines = 0;
    char line[1024];
    while (fgets(line, sizeof line, p)) {
        char address[64], type[8], name[512];
        lines++;
        if (sscanf(line, "%63s %7s %511s", address, type, name) != 3) {
            CHECK(0, "unexpected nm output: %s", line);
            continue;
        }
        if (!strcmp(name, "lv2_descriptor")) {
            descriptors++;
            CHECK(!strcmp(type, "T"), "lv2_descriptor has type %s, not T (a function in .text)", type);
        } else {
            CHECK(linker_symbol(name), "exported symbol %s (type %s): only lv2_descriptor may be exported", name, type);
        }
    }
    int status = pclose(p);
    CHECK(status == 0, "%s exited with status %d", command, status);
    CHECK(descriptors == 1, "lv2_descriptor exported %d times (%d lines of nm output)", descriptors, lines);
}

/* ---- Plugin data -------------------------------------------------------------------------- */

static bool has_feature(const LilvNodes *features, const char *feature)
{
    LilvNode *f = uri(feature);
    bool found = features && lilv_nodes_contains(features, f);
    lilv_node_free(f);
    return found;
}

static void check_plugin(const LilvPlugin *plugin, const char *plugin_uri)
{
    snprintf(context, sizeof context, "%s", plugin_uri);
    LilvNode *name = lilv_plugin_get_name(plugin);
    CHECK(name && lilv_node_is_string(name) && strlen(lilv_node_as_string(name)) > 0, "no doap:name");
    lilv_node_free(name);

    LilvNode *license_p = uri(DOAP "license");
    LilvNodes *licenses = lilv_plugin_get_value(plugin, license_p);
    CHECK(licenses && lilv_nodes_size(licenses) == 1, "doap:license: %u values, want 1",
          licenses ? lilv_nodes_size(licenses) : 0);
    if (licenses && lilv_nodes_size(licenses) == 1) {
        const LilvNode *l = lilv_nodes_get_first(licenses);
        CHECK(lilv_node_is_uri(l) && !strcmp(lilv_node_as_uri(l), LICENSE), "doap:license is %s, want <%s>",
              lilv_node_as_string(l), LICENSE);
    }
    lilv_nodes_free(licenses);
    lilv_node_free(license_p);

    LilvNode *author = lilv_plugin_get_author_name(plugin); /* doap:maintainer [ foaf:name ] */
    CHECK(author && strlen(lilv_node_as_string(author)) > 0, "no doap:maintainer with a foaf:name");
    lilv_node_free(author);

    const char *versions[] = {LV2_CORE__minorVersion, LV2_CORE__microVersion};
    for (int i = 0; i < 2; i++) {
        LilvNode *p = uri(versions[i]);
        LilvNodes *v = lilv_plugin_get_value(plugin, p);
        CHECK(v && lilv_nodes_size(v) == 1 && lilv_node_is_int(lilv_nodes_get_first(v)) &&
                  lilv_node_as_int(lilv_nodes_get_first(v)) >= 0,
              "%s: want one non-negative integer", versions[i]);
        lilv_nodes_free(v);
        lilv_node_free(p);
    }

    LilvNode *comment_p = uri(RDFS "comment");
    LilvNodes *comments = lilv_plugin_get_value(plugin, comment_p);
    CHECK(comments && lilv_nodes_size(comments) >= 1, "no rdfs:comment");
    lilv_nodes_free(comments);
    lilv_node_free(comment_p);

    /* A class of its own (lv2:Plugin alone says nothing), one lilv knows. */
    const LilvPluginClass *cls = lilv_plugin_get_class(plugin);
    const char *cls_uri = cls ? lilv_node_as_uri(lilv_plugin_class_get_uri(cls)) : "";
    CHECK(cls && strcmp(cls_uri, LV2_CORE__Plugin) != 0, "no plugin class beyond lv2:Plugin (%s)", cls_uri);
    CHECK(!strcmp(cls_uri, LV2_CORE__GeneratorPlugin), "class %s, want lv2:GeneratorPlugin", cls_uri);

    /* Features: exactly the two required ones (a host missing anything else can still load
     * it), hard real-time capable, the state and worker interfaces. */
    LilvNodes *required = lilv_plugin_get_required_features(plugin);
    CHECK(required && lilv_nodes_size(required) == 2 && has_feature(required, LV2_URID__map) &&
              has_feature(required, LV2_WORKER__schedule),
          "required features must be exactly urid:map and worker:schedule (%u given)",
          required ? lilv_nodes_size(required) : 0);
    lilv_nodes_free(required);
    LilvNodes *optional = lilv_plugin_get_optional_features(plugin);
    CHECK(has_feature(optional, LV2_CORE__hardRTCapable), "lv2:hardRTCapable not declared");
    CHECK(has_feature(optional, LV2_STATE__mapPath), "state:mapPath not declared");
    lilv_nodes_free(optional);
    LilvNodes *extensions = lilv_plugin_get_extension_data(plugin);
    CHECK(has_feature(extensions, LV2_STATE__interface), "state:interface not declared");
    CHECK(has_feature(extensions, LV2_WORKER__interface), "worker:interface not declared");
    lilv_nodes_free(extensions);

    /* Parameters: the model file everywhere, the progression on Improv RNN; each labelled,
     * with the range the adapter reads. */
    LilvNode *writable_p = uri(LV2_PATCH__writable), *range_p = uri(RDFS "range"), *label_p = uri(RDFS "label");
    LilvNodes *writable = lilv_plugin_get_value(plugin, writable_p);
    bool improv = strstr(plugin_uri, "improv_rnn") != NULL;
    CHECK(writable && lilv_nodes_size(writable) == (improv ? 2u : 1u), "patch:writable: %u parameters",
          writable ? lilv_nodes_size(writable) : 0);
    const char *params[][2] = {{MG "model", LV2_ATOM__Path}, {MG "progression", LV2_ATOM__String}};
    for (int i = 0; i < (improv ? 2 : 1); i++) {
        LilvNode *param = uri(params[i][0]);
        CHECK(writable && lilv_nodes_contains(writable, param), "<%s> not patch:writable", params[i][0]);
        LilvNode *range = lilv_world_get(world, param, range_p, NULL);
        LilvNode *label = lilv_world_get(world, param, label_p, NULL);
        CHECK(range && !strcmp(lilv_node_as_uri(range), params[i][1]), "<%s>: rdfs:range %s, want %s", params[i][0],
              range ? lilv_node_as_string(range) : "none", params[i][1]);
        CHECK(label != NULL, "<%s> has no rdfs:label", params[i][0]);
        lilv_node_free(range);
        lilv_node_free(label);
        lilv_node_free(param);
    }
    lilv_nodes_free(writable);
    lilv_node_free(writable_p);
    lilv_node_free(range_p);
    lilv_node_free(label_p);
}

/* ---- Ports -------------------------------------------------------------------------------- */

static void check_ports(const LilvPlugin *plugin, const char *plugin_uri)
{
    LilvNode *control = uri(LV2_CORE__ControlPort), *input = uri(LV2_CORE__InputPort),
             *output = uri(LV2_CORE__OutputPort), *atom = uri(LV2_ATOM__AtomPort), *unit_p = uri(LV2_UNITS__unit),
             *integer = uri(LV2_CORE__integer), *toggled = uri(LV2_CORE__toggled),
             *enumeration = uri(LV2_CORE__enumeration), *minimum_size = uri(LV2_RESIZE_PORT__minimumSize),
             *designation = uri(LV2_CORE__designation);
    uint32_t n = lilv_plugin_get_num_ports(plugin);
    int controls = 0, atoms_in = 0, atoms_out = 0;
    for (uint32_t i = 0; i < n; i++) {
        const LilvPort *port = lilv_plugin_get_port_by_index(plugin, i);
        const char *symbol = lilv_node_as_string(lilv_port_get_symbol(plugin, port));
        snprintf(context, sizeof context, "%s port %u \"%s\"", plugin_uri, i, symbol);
        LilvNode *name = lilv_port_get_name(plugin, port);
        CHECK(name != NULL, "no lv2:name");
        lilv_node_free(name);
        for (uint32_t j = 0; j < i; j++)
            CHECK(strcmp(symbol, lilv_node_as_string(lilv_port_get_symbol(plugin, lilv_plugin_get_port_by_index(plugin, j)))),
                  "symbol used twice");

        if (lilv_port_is_a(plugin, port, atom)) {
            bool in = lilv_port_is_a(plugin, port, input);
            atoms_in += in;
            atoms_out += !in;
            LilvNodes *size = lilv_port_get_value(plugin, port, minimum_size);
            CHECK(size && lilv_node_as_int(lilv_nodes_get_first(size)) >= 8192, "rsz:minimumSize below 8192");
            lilv_nodes_free(size);
            continue;
        }
        CHECK(lilv_port_is_a(plugin, port, control) && lilv_port_is_a(plugin, port, input),
              "neither an atom port nor a control input");
        controls++;

        LilvNode *def = NULL, *min = NULL, *max = NULL;
        lilv_port_get_range(plugin, port, &def, &min, &max);
        CHECK(def && min && max, "lv2:default, lv2:minimum and lv2:maximum must all be given");
        if (def && min && max) {
            float d = lilv_node_as_float(def), lo = lilv_node_as_float(min), hi = lilv_node_as_float(max);
            CHECK(lo < hi && lo <= d && d <= hi, "range %g .. %g, default %g", lo, hi, d);
            if (lilv_port_has_property(plugin, port, integer) || lilv_port_has_property(plugin, port, toggled))
                CHECK(d == floorf(d) && lo == floorf(lo) && hi == floorf(hi), "integer port with %g .. %g (%g)", lo, hi, d);
            if (lilv_port_has_property(plugin, port, toggled))
                CHECK(lo == 0 && hi == 1, "toggle with range %g .. %g", lo, hi);
            if (lilv_port_has_property(plugin, port, enumeration)) {
                LilvScalePoints *points = lilv_port_get_scale_points(plugin, port);
                unsigned count = points ? lilv_scale_points_size(points) : 0;
                CHECK(count == (unsigned)(hi - lo) + 1, "enumeration of %g .. %g with %u scale points", lo, hi, count);
                LILV_FOREACH (scale_points, it, points) {
                    const LilvScalePoint *sp = lilv_scale_points_get(points, it);
                    float v = lilv_node_as_float(lilv_scale_point_get_value(sp));
                    CHECK(v >= lo && v <= hi && v == floorf(v), "scale point %g outside %g .. %g", v, lo, hi);
                }
                lilv_scale_points_free(points);
            }
        }
        lilv_node_free(def);
        lilv_node_free(min);
        lilv_node_free(max);

        LilvNodes *units = lilv_port_get_value(plugin, port, unit_p);
        CHECK(units && lilv_nodes_size(units) == 1, "units:unit: %u values, want 1", units ? lilv_nodes_size(units) : 0);
        lilv_nodes_free(units);
    }
    snprintf(context, sizeof context, "%s ports", plugin_uri);
    CHECK(atoms_in == 1 && atoms_out == 2, "%d atom inputs and %d atom outputs, want 1 and 2", atoms_in, atoms_out);
    CHECK(controls >= 13, "only %d control ports", controls);

    /* Hosts find the ports by symbol: the three atom ports, the control designations. */
    const char *designated[] = {"control", "notify"};
    for (int i = 0; i < 2; i++) {
        LilvNode *s = lilv_new_string(world, designated[i]);
        const LilvPort *port = lilv_plugin_get_port_by_symbol(plugin, s);
        CHECK(port != NULL, "no port \"%s\"", designated[i]);
        LilvNodes *d = port ? lilv_port_get_value(plugin, port, designation) : NULL;
        CHECK(d && !strcmp(lilv_node_as_uri(lilv_nodes_get_first(d)), LV2_CORE__control),
              "port \"%s\" lacks lv2:designation lv2:control", designated[i]);
        lilv_nodes_free(d);
        lilv_node_free(s);
    }
    LilvNode *s = lilv_new_string(world, "midi_out");
    CHECK(lilv_plugin_get_port_by_symbol(plugin, s) != NULL, "no port \"midi_out\"");
    lilv_node_free(s);

    LilvNode *all[] = {control, input, output, atom, unit_p, integer, toggled, enumeration, minimum_size, designation};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        lilv_node_free(all[i]);
}

/* ---- Bundle and presets ------------------------------------------------------------------- */

static void check_bundle(const LilvPlugin *plugin, const char *plugin_uri)
{
    snprintf(context, sizeof context, "%s bundle", plugin_uri);
    char *dir = lilv_file_uri_parse(lilv_node_as_uri(lilv_plugin_get_bundle_uri(plugin)), NULL);
    DIR *d = dir ? opendir(dir) : NULL;
    int models = 0;
    bool manifest = false, presets = false;
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        models += n > 4 && !strcmp(e->d_name + n - 4, ".nnm");
        manifest |= !strcmp(e->d_name, "manifest.ttl");
        presets |= !strcmp(e->d_name, "presets.ttl");
    }
    if (d)
        closedir(d);
    CHECK(d != NULL, "cannot list %s", dir ? dir : "(no bundle path)");
    CHECK(manifest && presets, "%s: manifest %d, presets %d", dir, manifest, presets);
    /* A bundle without a model (Performance RNN and Piano Genie until the project ships one) must
     * say in its description that the plugin is silent until a model is set. */
    LilvNode *comment_p = uri(RDFS "comment");
    LilvNodes *comments = lilv_plugin_get_value(plugin, comment_p);
    const char *comment = comments && lilv_nodes_size(comments) ? lilv_node_as_string(lilv_nodes_get_first(comments)) : "";
    CHECK(models >= 1 || strstr(comment, "silent until a model is set"),
          "%s: no model file, and the plugin's rdfs:comment does not say it is silent until a model is set", dir);
    lilv_nodes_free(comments);
    lilv_node_free(comment_p);
    lilv_free(dir);

    /* Presets: at least three, each labelled, each port value a port of the plugin inside its
     * range. */
    LilvNode *preset_class = uri(LV2_PRESETS__Preset), *label_p = uri(RDFS "label"), *port_p = uri(LV2_CORE__port),
             *symbol_p = uri(LV2_CORE__symbol), *value_p = uri(LV2_PRESETS__value);
    LilvNodes *list = lilv_plugin_get_related(plugin, preset_class);
    CHECK(list && lilv_nodes_size(list) >= 3, "%u presets, want at least 3", list ? lilv_nodes_size(list) : 0);
    LILV_FOREACH (nodes, it, list) {
        const LilvNode *preset = lilv_nodes_get(list, it);
        snprintf(context, sizeof context, "preset %s", lilv_node_as_uri(preset));
        CHECK(lilv_world_load_resource(world, preset) >= 0, "cannot load");
        LilvNode *label = lilv_world_get(world, preset, label_p, NULL);
        CHECK(label != NULL, "no rdfs:label");
        lilv_node_free(label);
        LilvNodes *ports = lilv_world_find_nodes(world, preset, port_p, NULL);
        CHECK(ports && lilv_nodes_size(ports) > 0, "sets no port");
        LILV_FOREACH (nodes, p, ports) {
            const LilvNode *node = lilv_nodes_get(ports, p);
            LilvNode *symbol = lilv_world_get(world, node, symbol_p, NULL);
            LilvNode *value = lilv_world_get(world, node, value_p, NULL);
            const LilvPort *port = symbol ? lilv_plugin_get_port_by_symbol(plugin, symbol) : NULL;
            CHECK(port != NULL, "port \"%s\" does not exist", symbol ? lilv_node_as_string(symbol) : "(none)");
            CHECK(value && (lilv_node_is_float(value) || lilv_node_is_int(value)), "port \"%s\" without a number",
                  symbol ? lilv_node_as_string(symbol) : "(none)");
            if (port && value) {
                LilvNode *def = NULL, *min = NULL, *max = NULL;
                lilv_port_get_range(plugin, port, &def, &min, &max);
                float v = lilv_node_as_float(value);
                CHECK(min && max && v >= lilv_node_as_float(min) && v <= lilv_node_as_float(max),
                      "port \"%s\" = %g outside its range", lilv_node_as_string(symbol), v);
                lilv_node_free(def);
                lilv_node_free(min);
                lilv_node_free(max);
            }
            lilv_node_free(symbol);
            lilv_node_free(value);
        }
        lilv_nodes_free(ports);
    }
    lilv_nodes_free(list);
    LilvNode *all[] = {preset_class, label_p, port_p, symbol_p, value_p};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        lilv_node_free(all[i]);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PLUGIN-URI NM  (with LV2_PATH set)\n", argv[0]);
        return 2;
    }
    world = lilv_world_new();
    lilv_world_load_all(world);
    LilvNode *plugin_uri = uri(argv[1]);
    const LilvPlugin *plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world), plugin_uri);
    CHECK(plugin != NULL, "%s not found in LV2_PATH=%s", argv[1], getenv("LV2_PATH") ? getenv("LV2_PATH") : "");
    if (plugin) {
        /* LV2_PATH lists the build's folder first, then the system's for the specifications
         * (lv2:GeneratorPlugin is defined there): the plugin must come from the build. */
        char *bundle = lilv_file_uri_parse(lilv_node_as_uri(lilv_plugin_get_bundle_uri(plugin)), NULL);
        const char *path = getenv("LV2_PATH") ? getenv("LV2_PATH") : "";
        size_t first = strcspn(path, ":");
        CHECK(bundle && first > 0 && !strncmp(bundle, path, first), "%s comes from %s, not from the first folder of %s",
              argv[1], bundle ? bundle : "?", path);
        lilv_free(bundle);
        CHECK(lilv_plugin_verify(plugin), "lilv_plugin_verify fails");
        char *library = lilv_file_uri_parse(lilv_node_as_uri(lilv_plugin_get_library_uri(plugin)), NULL);
        CHECK(library != NULL, "no binary");
        if (library)
            check_exports(argv[2], library);
        lilv_free(library);
        check_plugin(plugin, argv[1]);
        check_ports(plugin, argv[1]);
        check_bundle(plugin, argv[1]);
    }
    lilv_node_free(plugin_uri);
    lilv_world_free(world);
    return check_summary("lv2 lint");
}
