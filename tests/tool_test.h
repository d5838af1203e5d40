/* tool_test.h — what the tests that start a built tool share (tests/data, tests/dataset): a
 * scratch folder, running the tool with its output in files, reading a file back.
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 *
 * Include it first, or define _DEFAULT_SOURCE before any system header (mkdtemp, lstat).
 */
#ifndef TEST_TOOL_TEST_H
#define TEST_TOOL_TEST_H

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- Scratch folder --------------------------------------------------------------------------- */

static char scratch[64];

/* A new folder /tmp/NAME-XXXXXX into `scratch`; exits if it cannot. */
static inline void make_scratch(const char *name)
{
    snprintf(scratch, sizeof scratch, "/tmp/%s-XXXXXX", name);
    if (!mkdtemp(scratch)) {
        perror("mkdtemp");
        exit(1);
    }
}

/* rm -r, without following links. */
static inline void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char child[1024];
        snprintf(child, sizeof child, "%.700s/%.255s", path, e->d_name);
        struct stat sb;
        if (lstat(child, &sb) == 0 && S_ISDIR(sb.st_mode))
            remove_tree(child);
        else
            unlink(child);
    }
    if (d)
        closedir(d);
    rmdir(path);
}

/* ---- The tool --------------------------------------------------------------------------------- */

/* Run `tool args...` (args NULL-terminated) with stdout into out_path and stderr into err_path
 * (either may be NULL: /dev/null); the exit status, -1 if it did not exit. */
static inline int run_tool(const char *tool, const char *const *args, const char *out_path, const char *err_path)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(out_path ? out_path : "/dev/null", "w", stdout) ||
            !freopen(err_path ? err_path : "/dev/null", "w", stderr))
            _exit(126);
        char *argv[32];
        int n = 0;
        argv[n++] = (char *)tool;
        for (; args[n - 1] && n < 31; n++)
            argv[n] = (char *)args[n - 1];
        argv[n] = NULL;
        execv(tool, argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A whole small text file into a new buffer (NUL-terminated), or NULL. */
static inline char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (text) {
        size_t got = fread(text, 1, (size_t)n, f);
        text[got] = '\0';
    }
    fclose(f);
    return text;
}

#endif /* TEST_TOOL_TEST_H */
