/*
 * cmd_process.c - `truceline process`: records to a bulletin.
 *
 *     truceline process --mission M --records R [--out bulletin.geojson] [--strict]
 *                       [--learnt-in FILE] [--learnt-out FILE [--learnt-at TIME]]
 *                       [--segment-min N]
 *
 * Reads the station records (JSON Lines), runs the network processing and
 * writes the bulletin (GeoJSON, formats.md section 4).  Malformed records are
 * reported as file:line: reason and skipped, or stop the run under --strict
 * (exit 3); unknown stations are reported the same way.  A summary goes to
 * standard error.  The same records give the same bulletin bytes.  The tiles'
 * learnt state (docs/processing.md §1) can start from a file that a run before
 * wrote (the day before, say), and be written at the end or at a time.
 */
#include "tool.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const USAGE =
    "usage: truceline process --mission M --records R [--out FILE] [--strict] [-v]\n"
    "                         [--learnt-in FILE] [--learnt-out FILE [--learnt-at TIME]]\n"
    "                         [--segment-min N]\n\n"
    "locates, classifies, pairs and attributes the events in the records R\n"
    "(JSON Lines: pick, met, status) of mission M and writes the bulletin\n"
    "(GeoJSON) to FILE, or to standard output.\n\n"
    "  --strict   stop at the first malformed record (exit 3) instead of skipping it\n"
    "  --learnt-in FILE   start the tiles' learnt met corrections from FILE\n"
    "  --learnt-out FILE  write them to FILE, as they were at the end of the run, or\n"
    "  --learnt-at TIME   as they were when association reached TIME (RFC 3339)\n"
    "  --segment-min N    associate in segments between seams every N minutes of UTC,\n"
    "             side by side on the cores (default 180; 0: one chain, on one core)\n"
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
                                         {"learnt-in", required_argument, NULL, 'L'},
                                         {"learnt-out", required_argument, NULL, 'O'},
                                         {"learnt-at", required_argument, NULL, 'A'},
                                         {"segment-min", required_argument, NULL, 'S'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *mission = NULL, *records = NULL, *out = "-";
    const char *learnt_in = NULL, *learnt_out = NULL, *learnt_at = NULL;
    const char *segment_min = NULL;
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
        case 'L':
            learnt_in = optarg;
            break;
        case 'O':
            learnt_out = optarg;
            break;
        case 'A':
            learnt_at = optarg;
            break;
        case 'S':
            segment_min = optarg;
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
    tl_time_ns at_ns = INT64_MAX;
    if (!mission || !records || optind != argc || (learnt_at && !learnt_out) ||
        (learnt_at && tl_time_parse(learnt_at, strlen(learnt_at), &at_ns, NULL) != TL_OK)) {
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
    struct tl_pipeline_params prm;
    tl_pipeline_params_default(&prm);
    if (segment_min) {
        char *end;
        long v = strtol(segment_min, &end, 10);
        prm.segment_s = (*end || end == segment_min || v < 0 || v > 100000) ? -1.0 : 60.0 * (double)v;
    }
    if ((rc = tl_pipeline_new(m, &prm, &p)) != TL_OK) {
        code = rc == TL_EINVAL ? tool_fail(EXIT_USAGE, "process",
                                           "--segment-min %s: 0, or 10 minutes or more",
                                           segment_min ? segment_min : "")
                               : tool_fail(EXIT_RUNTIME, "process", "%s", tl_strerror(rc));
        goto done;
    }
    if (learnt_in) {
        struct tl_tile_learnt *l = NULL;
        size_t nl = 0;
        struct tl_diag d = {0};
        char buf[640];
        rc = tl_learnt_read(learnt_in, &l, &nl, &d);
        if (rc != TL_OK) {
            code = tool_fail(rc == TL_EIO || rc == TL_ENOMEM ? EXIT_RUNTIME : EXIT_INPUT,
                             "process", "%s", tl_diag_format(&d, buf, sizeof(buf)));
        } else if ((rc = tl_pipeline_set_learnt_start(p, l, nl)) != TL_OK) {
            code = tool_fail(EXIT_INPUT, "process", "%s: tiles: %zu, the mission's line makes %zu",
                             learnt_in, nl, tl_pipeline_tile_count(p));
        }
        tl_free(l);
        if (rc != TL_OK) {
            goto done;
        }
    }
    tl_pipeline_learnt_keep_at(p, at_ns);
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
    if (learnt_out) {
        size_t nl;
        const struct tl_tile_learnt *l = tl_pipeline_learnt(p, &nl);
        if (nl == 0) {
            code = tool_fail(EXIT_INPUT, "process", "--learnt-at %s: the records end before it",
                             learnt_at);
            goto done;
        }
        if ((rc = tl_learnt_write(learnt_out, l, nl, at_ns, &d)) != TL_OK) {
            char buf[640];
            code = tool_fail(EXIT_RUNTIME, "process", "%s", tl_diag_format(&d, buf, sizeof(buf)));
            goto done;
        }
    }
    const struct tl_input_stats *in = b.input;
    fprintf(stderr,
            "process: %ld records (%ld picks, %ld met, %ld status; %ld duplicates, %ld malformed, "
            "%ld unknown station) -> %zu events, %zu findings\n",
            in->lines, in->picks, in->mets, in->statuses, in->duplicates, in->malformed,
            in->unknown_station, b.n_events, b.n_findings);
    const struct tl_assoc_stats *as = tl_pipeline_assoc_stats(p);
    fprintf(stderr,
            "association: %ld candidates refused for arrivals scattering more than %.2f s rms "
            "(max_rms_s), %ld tile-blocks stopped at the search's work cap, %ld events "
            "dropped at a seam between segments (their blocks searched again)\n",
            as->refused_rms, prm.max_rms_s, as->capped_blocks, as->seam_dropped);
done:
    tl_pipeline_free(p);
    tl_mission_free(m);
    return code;
}
