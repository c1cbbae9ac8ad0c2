/*
 * cmd_process.c - `truceline process`: records to a bulletin.
 *
 *     truceline process --mission M --records R [--out bulletin.geojson] [--strict]
 *
 * Reads the station records (JSON Lines), runs the network processing and
 * writes the bulletin (GeoJSON, formats.md section 4).  Malformed records are
 * reported as file:line: reason and skipped, or stop the run under --strict
 * (exit 3); unknown stations are reported the same way.  A summary goes to
 * standard error.  The same records give the same bulletin bytes.
 */
#include "tool.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char *const USAGE =
    "usage: truceline process --mission M --records R [--out FILE] [--strict] [-v]\n\n"
    "locates, classifies, pairs and attributes the events in the records R\n"
    "(JSON Lines: pick, met, status) of mission M and writes the bulletin\n"
    "(GeoJSON) to FILE, or to standard output.\n\n"
    "  --strict   stop at the first malformed record (exit 3) instead of skipping it\n"
    "  -v         report progress on standard error\n";

#define MAX_REPORTED 50

struct report_ctx {
    long n;
};

static void
report(void *ud, const struct tl_diag *d)
{
    struct report_ctx *r = ud;
    if (r->n++ < MAX_REPORTED) {
        char buf[640];
        fprintf(stderr, "%s\n", tl_diag_format(d, buf, sizeof(buf)));
    }
}

int
cmd_process(int argc, char **argv)
{
    static const struct option opts[] = {{"mission", required_argument, NULL, 'm'},
                                         {"records", required_argument, NULL, 'r'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"strict", no_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *mission = NULL, *records = NULL, *out = "-";
    bool strict = false;
    int verbose = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:r:o:shv", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            mission = optarg;
            break;
        case 'r':
            records = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 's':
            strict = true;
            break;
        case 'v':
            verbose++;
            break;
        case 'h':
            fputs(USAGE, stdout);
            return EXIT_OK;
        default:
            fputs(USAGE, stderr);
            return EXIT_USAGE;
        }
    }
    if (!mission || !records || optind != argc) {
        fputs(USAGE, stderr);
        return EXIT_USAGE;
    }
    if (verbose) {
        tool_log_to_stderr(verbose);
    }
    static struct tl_mission_problems pr;
    struct tl_mission *m = NULL;
    int rc = tl_mission_load(mission, &m, &pr);
    if (rc != TL_OK) {
        for (size_t i = 0; i < pr.n; i++) {
            fprintf(stderr, "%s: %s\n", mission, pr.text[i]);
        }
        return rc == TL_EIO ? EXIT_RUNTIME : EXIT_INPUT;
    }
    struct tl_pipeline *p = NULL;
    int code = EXIT_OK;
    if ((rc = tl_pipeline_new(m, NULL, &p)) != TL_OK) {
        code = tool_fail(EXIT_RUNTIME, "process", "%s", tl_strerror(rc));
        goto done;
    }
    struct report_ctx rep = {0};
    rc = tl_pipeline_add_file(p, records, strict, report, &rep);
    if (rep.n > MAX_REPORTED) {
        fprintf(stderr, "%s: ... %ld more rejected records not shown\n", records,
                rep.n - MAX_REPORTED);
    }
    if (rc != TL_OK) {
        code = rc == TL_EIO || rc == TL_ENOMEM ? EXIT_RUNTIME : EXIT_INPUT;
        if (rc == TL_EIO || rc == TL_ENOMEM) {
            tool_fail(code, "process", "%s: %s", records, tl_strerror(rc));
        }
        goto done;
    }
    if ((rc = tl_pipeline_run(p, INT64_MAX)) != TL_OK) {
        code = tool_fail(EXIT_RUNTIME, "process", "%s", tl_strerror(rc));
        goto done;
    }
    struct tl_bulletin b;
    tl_pipeline_bulletin(p, &b);
    struct tl_diag d = {0};
    if ((rc = tl_bulletin_write(&b, out, &d)) != TL_OK) {
        char buf[640];
        code = tool_fail(EXIT_RUNTIME, "process", "%s", tl_diag_format(&d, buf, sizeof(buf)));
        goto done;
    }
    const struct tl_input_stats *in = b.input;
    fprintf(stderr,
            "process: %ld records (%ld picks, %ld met, %ld status; %ld duplicates, %ld malformed, "
            "%ld unknown station) -> %zu events, %zu findings\n",
            in->lines, in->picks, in->mets, in->statuses, in->duplicates, in->malformed,
            in->unknown_station, b.n_events, b.n_findings);
done:
    tl_pipeline_free(p);
    tl_mission_free(m);
    return code;
}
