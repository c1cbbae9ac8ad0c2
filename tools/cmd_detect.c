/*
 * cmd_detect.c - `truceline detect`: waveforms to pick records.
 *
 *     truceline detect --mission M [--gain G] [--band LO-HI ...] [--out FILE] FILES...
 *
 * Reads miniSEED 2 files and audio files with JSON sidecars (formats.md
 * section 6), merged in time so that the elements of an array meet, and
 * writes one pick record per line (formats.md section 2) to FILE or standard
 * output; `truceline process --records` reads them unchanged.  Discontinuities
 * in the input are handled and summarised on standard error; unreadable files
 * or records are reported there too and make the exit code 3, but everything
 * readable is still processed.  docs/detect.md describes the processing.
 */
#include "tool.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const USAGE =
    "usage: truceline detect --mission M [--gain G] [--band LO-HI ...] [--out FILE]\n"
    "                        [--sta S] [--lta S] [--on R] [--off R] [--min-snr DB]\n"
    "                        [--min-elements N] [--no-bearings] [--quiet] [-v] FILES...\n\n"
    "detects arrivals in miniSEED 2 files (station code = station id, location code =\n"
    "array element, pressure channels ?D?) and in WAV/FLAC files with a NAME.json sidecar,\n"
    "and writes pick records (JSON Lines) to FILE or standard output.\n\n"
    "  --gain G         counts per pascal (samples are divided by G; default 1: pascal)\n"
    "  --band LO-HI     a pass band in Hz (repeatable; default 2-40 and 40-200, each\n"
    "                   ending at 0.4 times a channel's sample rate if that is lower, and\n"
    "                   left out if that leaves it narrower than an octave; bands given\n"
    "                   are run as given, on channels whose Nyquist frequency is above them)\n"
    "  --sta, --lta     trigger time constants in s (default 0.05 and 10)\n"
    "  --on, --off      STA/LTA trigger and release ratios (default 4 and 1.5)\n"
    "  --min-snr DB     drop picks below this SNR (peak over noise RMS; default 16)\n"
    "  --min-elements N array elements that must pick an arrival (default 2)\n"
    "  --no-bearings    do not measure back azimuths at array stations\n"
    "exit status: 0 ok, 1 runtime error, 2 usage, 3 some input could not be read\n";

struct out {
    FILE *f;
    int err;
};

static int
write_pick(void *ud, const struct tl_pick *p)
{
    struct out *o = ud;
    char line[1024];
    int n = tl_pick_format(p, line, sizeof(line));
    if (n < 0) {
        return n;
    }
    if (fwrite(line, 1, (size_t)n, o->f) != (size_t)n) {
        o->err = errno;
        return TL_EIO;
    }
    return TL_OK;
}

static int
parse_num(const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x >= lo && x <= hi)) {
        return tool_fail(EXIT_USAGE, "detect", "%s: expected a number in [%g, %g]: %s", opt, lo,
                         hi, v);
    }
    *out = x;
    return EXIT_OK;
}

int
cmd_detect(int argc, char **argv)
{
    if (tool_wants_help(argc, argv)) {
        fputs(USAGE, stdout);
        return EXIT_OK;
    }
    struct tl_detect_config cfg;
    tl_detect_config_default(&cfg);
    const char *mission_path = NULL, *out_path = NULL;
    bool quiet = false, bands_given = false;
    int verbose = 0;
    const char **files = calloc((size_t)argc, sizeof(char *));
    size_t nfiles = 0;
    if (!files) {
        return tool_fail(EXIT_RUNTIME, "detect", "out of memory");
    }
    int ex = EXIT_OK;
    for (int i = 1; i < argc && ex == EXIT_OK; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            files[nfiles++] = a;
            continue;
        }
        if (strcmp(a, "--quiet") == 0) {
            quiet = true;
            continue;
        }
        if (strcmp(a, "-v") == 0) {
            verbose++;
            continue;
        }
        if (strcmp(a, "--no-bearings") == 0) {
            cfg.bearings = false;
            continue;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            ex = tool_fail(EXIT_USAGE, "detect", "%s: missing value (see --help)", a);
            break;
        }
        i++;
        double x = 0.0;
        if (strcmp(a, "--mission") == 0) {
            mission_path = v;
        } else if (strcmp(a, "--out") == 0) {
            out_path = v;
        } else if (strcmp(a, "--gain") == 0) {
            ex = parse_num(a, v, 1e-12, 1e15, &cfg.gain);
        } else if (strcmp(a, "--band") == 0) {
            char *end;
            double lo = strtod(v, &end);
            double hi = end != v && *end == '-' ? strtod(end + 1, &end) : (double)NAN;
            if (*end || !(lo > 0.0) || !(hi > lo)) {
                ex = tool_fail(EXIT_USAGE, "detect", "--band: expected LO-HI in Hz, 0 < LO < HI: %s",
                               v);
                break;
            }
            if (!bands_given) {
                cfg.n_bands = 0;
                cfg.fit_bands = false; /* bands asked for are run as asked, or not at all */
                bands_given = true;
            }
            if (cfg.n_bands >= TL_DETECT_MAX_BANDS) {
                ex = tool_fail(EXIT_USAGE, "detect", "--band: at most %d bands",
                               TL_DETECT_MAX_BANDS);
                break;
            }
            cfg.band[cfg.n_bands].lo_hz = lo;
            cfg.band[cfg.n_bands].hi_hz = hi;
            cfg.n_bands++;
        } else if (strcmp(a, "--sta") == 0) {
            ex = parse_num(a, v, 1e-3, 60.0, &cfg.sta_s);
        } else if (strcmp(a, "--lta") == 0) {
            ex = parse_num(a, v, 1e-2, 3600.0, &cfg.lta_s);
        } else if (strcmp(a, "--on") == 0) {
            ex = parse_num(a, v, 1.0, 1e6, &cfg.on_ratio);
        } else if (strcmp(a, "--off") == 0) {
            ex = parse_num(a, v, 1.0, 1e6, &cfg.off_ratio);
        } else if (strcmp(a, "--min-snr") == 0) {
            ex = parse_num(a, v, -100.0, 200.0, &cfg.min_snr_db);
        } else if (strcmp(a, "--min-elements") == 0) {
            ex = parse_num(a, v, 1.0, TL_MAX_ELEMENTS, &x);
            cfg.min_elements = (int)x;
        } else {
            ex = tool_fail(EXIT_USAGE, "detect", "unknown option %s (see --help)", a);
        }
    }
    if (ex == EXIT_OK && (!mission_path || nfiles == 0)) {
        ex = tool_fail(EXIT_USAGE, "detect", "--mission and at least one file are required");
    }
    char why[200];
    if (ex == EXIT_OK && tl_detect_config_check(&cfg, 0.0, why, sizeof(why)) != TL_OK) {
        ex = tool_fail(EXIT_USAGE, "detect", "%s", why);
    }
    if (ex != EXIT_OK) {
        free(files);
        return ex;
    }
    tool_log_to_stderr(verbose);

    struct tl_mission *m = NULL;
    static struct tl_mission_problems probs;
    int rc = tl_mission_load(mission_path, &m, &probs);
    if (rc != TL_OK) {
        for (size_t i = 0; i < probs.n; i++) {
            fprintf(stderr, "%s: %s\n", mission_path, probs.text[i]);
        }
        free(files);
        return tool_fail(tool_exit_code(rc), "detect", "%s: %s", mission_path, tl_strerror(rc));
    }
    struct out o = {stdout, 0};
    if (out_path) {
        o.f = fopen(out_path, "w");
        if (!o.f) {
            int e = errno;
            tl_mission_free(m);
            free(files);
            return tool_fail(EXIT_RUNTIME, "detect", "%s: %s", out_path, strerror(e));
        }
    }
    struct tl_detector *d = NULL;
    rc = tl_detector_new(m, &cfg, write_pick, &o, &d);
    int input_rc = TL_OK;
    struct tl_diag diag;
    memset(&diag, 0, sizeof(diag));
    if (rc == TL_OK) {
        rc = tl_detect_files(d, files, nfiles, &diag);
        if (rc == TL_EIO || rc == TL_EPARSE || rc == TL_ETOOBIG || rc == TL_ERANGE) {
            input_rc = rc;
            rc = TL_OK;
        }
    }
    if (rc == TL_OK) {
        rc = tl_detector_flush(d);
    }
    if (o.f != stdout) {
        if (fclose(o.f) != 0 && rc == TL_OK) {
            o.err = errno;
            rc = TL_EIO;
        }
    } else if (fflush(stdout) != 0 && rc == TL_OK) {
        o.err = errno;
        rc = TL_EIO;
    }
    if (rc == TL_OK && !quiet) {
        const struct tl_detect_stats *s = tl_detector_stats(d);
        fprintf(stderr,
                "detect: %" PRIu64 " picks (%" PRIu64 " shock cues, %" PRIu64
                " with bearings) from %" PRIu64 " samples on %" PRIu64 " channels\n",
                s->picks, s->shock_picks, s->bearings, s->samples, s->channels);
        fprintf(stderr,
                "detect: %" PRIu64 " gaps (%" PRIu64 " bridged, %.3f s), %" PRIu64
                " overlaps (%" PRIu64 " samples dropped), %" PRIu64 " clock jumps, %" PRIu64
                " rate changes, %" PRIu64 " restarts, %" PRIu64 " blocks skipped, %" PRIu64
                " unreadable\n",
                s->gaps, s->gaps_bridged, s->gap_s, s->overlaps, s->overlap_samples,
                s->clock_jumps, s->rate_changes, s->restarts, s->skipped, s->bad_records);
    }
    tl_detector_free(d);
    tl_mission_free(m);
    free(files);
    if (rc != TL_OK) {
        if (rc == TL_EIO && o.err) {
            return tool_fail(EXIT_RUNTIME, "detect", "%s: %s", out_path ? out_path : "stdout",
                             strerror(o.err));
        }
        return tool_fail(rc == TL_EINVAL ? EXIT_USAGE : EXIT_RUNTIME, "detect", "%s",
                         tl_strerror(rc));
    }
    if (input_rc != TL_OK) {
        char buf[640];
        return tool_fail(EXIT_INPUT, "detect", "%s", tl_diag_format(&diag, buf, sizeof(buf)));
    }
    return EXIT_OK;
}
