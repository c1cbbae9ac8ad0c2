/*
 * cmd_evaluate.c - `truceline evaluate`: score a bulletin against ground truth.
 *
 *     truceline evaluate --truth T --bulletin B [--table]
 *
 * Prints the metrics of formats.md section 5 as JSON (and, with --table, a
 * human-readable table after it).
 */
#include "tool.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char *const USAGE =
    "usage: truceline evaluate --truth T --bulletin B [--table]\n\n"
    "scores bulletin B (GeoJSON) against ground truth T (JSON Lines, as written by\n"
    "`truceline simulate`): event recall and precision, location errors, ellipse\n"
    "coverage, class accuracy, launch/impact pairs and side attribution.\n";

int
cmd_evaluate(int argc, char **argv)
{
    static const struct option opts[] = {{"truth", required_argument, NULL, 't'},
                                         {"bulletin", required_argument, NULL, 'b'},
                                         {"table", no_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *truth = NULL, *bulletin = NULL;
    bool table = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:b:Th", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            truth = optarg;
            break;
        case 'b':
            bulletin = optarg;
            break;
        case 'T':
            table = true;
            break;
        case 'h':
            fputs(USAGE, stdout);
            return EXIT_OK;
        default:
            fputs(USAGE, stderr);
            return EXIT_USAGE;
        }
    }
    if (!truth || !bulletin || optind != argc) {
        fputs(USAGE, stderr);
        return EXIT_USAGE;
    }
    struct tl_eval e;
    struct tl_diag d = {0};
    int rc = tl_eval_files(truth, bulletin, &e, &d);
    if (rc != TL_OK) {
        char buf[640];
        return tool_fail(tool_exit_code(rc) == EXIT_INPUT ? EXIT_INPUT : EXIT_RUNTIME, "evaluate",
                         "%s", d.text[0] ? tl_diag_format(&d, buf, sizeof(buf)) : tl_strerror(rc));
    }
    char *j = tl_eval_json(&e);
    if (!j) {
        return tool_fail(EXIT_RUNTIME, "evaluate", "out of memory");
    }
    printf("%s\n", j);
    tl_free(j);
    if (table) {
        char *t = tl_eval_table(&e);
        if (t) {
            fputs(t, stdout);
            tl_free(t);
        }
    }
    return EXIT_OK;
}
