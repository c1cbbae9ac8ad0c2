/*
 * cmd_simulate.c - `truceline simulate`: write a scenario with its ground truth.
 *
 *     truceline simulate --mission M --preset P [--seed N] [--start T] [--hours H]
 *                        [--keys KEYS] --out DIR
 *                        [--waveforms [--waveform-stations A,B] [--waveform-rate HZ]
 *                         [--waveform-gain G] [--waveform-noise-only]]
 *
 * Writes DIR/records.jsonl (what the stations send, in delivery order),
 * DIR/truth.jsonl (what happened), DIR/mission.geojson (the mission
 * simulated: for `mirror` its variant, so that `truceline process --mission
 * DIR/mission.geojson --records DIR/records.jsonl` works for every preset) and
 * DIR/scenario.json (the configuration and the counts).  The same arguments
 * give the same bytes.  docs/simulator.md describes the model.  With --keys,
 * every station gets an Ed25519 key in KEYS (kept when it exists) and
 * DIR/mission.geojson carries the public keys, ready for `truceline serve`
 * and `truceline replay --keys KEYS`.  With --waveforms it also writes
 * DIR/waveforms/: miniSEED files of what the stations' microphones recorded,
 * one per station and hour, with arrivals.jsonl (docs/detect.md).
 */
#include "tool.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const USAGE =
    "usage: truceline simulate --mission M --preset P [--seed N] [--start T] [--hours H]\n"
    "                          [--keys KEYS] [--quiet] --out DIR\n"
    "                          [--waveforms [--waveform-stations A,B,...] [--waveform-rate HZ]\n"
    "                           [--waveform-gain G] [--waveform-noise-only]]\n\n"
    "simulates a scenario on mission M and writes DIR/records.jsonl (station records in\n"
    "delivery order), DIR/truth.jsonl (events, pick-to-event map, faults),\n"
    "DIR/mission.geojson (the mission simulated) and DIR/scenario.json (counts).\n\n"
    "presets: calm (about 50 events), busy (>= 10,000 events), windy (10-15 m/s),\n"
    "         faulty (outages, clock faults, false picks, duplicates),\n"
    "         mirror (stations on one straight row, no arrays)\n"
    "--keys KEYS: station signing keys in KEYS/<ID>.key (made when missing) and their\n"
    "             public keys in DIR/mission.geojson, for `serve` and `replay`\n"
    "defaults: --seed 1 --start 2026-03-01T00:00:00Z --hours 24\n\n"
    "--waveforms also writes DIR/waveforms/: one miniSEED file per station and hour\n"
    "(Steim-2 counts at G counts per pascal, default 10000; --waveform-gain 0 writes\n"
    "float32 pascal), rate 500 Hz by default, with arrivals.jsonl (every arrival\n"
    "synthesised) and waveforms.json; --waveform-noise-only writes noise alone.\n";

int
cmd_simulate(int argc, char **argv)
{
    if (tool_wants_help(argc, argv)) {
        fputs(USAGE, stdout);
        return EXIT_OK;
    }
    const char *mission_path = NULL, *preset = NULL, *out = NULL, *keys = NULL;
    struct tl_sim_config cfg = {NULL, 1, TL_SIM_DEFAULT_START_NS, TL_SIM_DEFAULT_HOURS, false};
    bool quiet = false, waveforms = false;
    struct tl_sim_waveform_config wcfg;
    tl_sim_waveform_config_default(&wcfg);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quiet") == 0) {
            quiet = true;
            continue;
        }
        if (strcmp(a, "--waveforms") == 0) {
            waveforms = true;
            continue;
        }
        if (strcmp(a, "--waveform-noise-only") == 0) {
            wcfg.noise_only = true;
            continue;
        }
        if (!v) {
            return tool_fail(EXIT_USAGE, "simulate", "%s: missing value (see --help)", a);
        }
        i++;
        if (strcmp(a, "--mission") == 0) {
            mission_path = v;
        } else if (strcmp(a, "--preset") == 0) {
            preset = v;
        } else if (strcmp(a, "--out") == 0) {
            out = v;
        } else if (strcmp(a, "--keys") == 0) {
            keys = v;
        } else if (strcmp(a, "--seed") == 0) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(v, &end, 10);
            if (errno || end == v || *end || v[0] == '-') {
                return tool_fail(EXIT_USAGE, "simulate", "--seed: not a number: %s", v);
            }
            cfg.seed = (uint64_t)n;
        } else if (strcmp(a, "--start") == 0) {
            if (tl_time_parse(v, strlen(v), &cfg.start_ns, NULL) != TL_OK) {
                return tool_fail(EXIT_USAGE, "simulate",
                                 "--start: not an RFC 3339 UTC time (e.g. 2026-03-01T00:00:00Z): %s",
                                 v);
            }
        } else if (strcmp(a, "--hours") == 0) {
            char *end;
            double h = strtod(v, &end);
            if (end == v || *end || !(h > 0.0 && h <= 168.0)) {
                return tool_fail(EXIT_USAGE, "simulate", "--hours: expected (0, 168]: %s", v);
            }
            cfg.hours = h;
        } else if (strcmp(a, "--waveform-stations") == 0) {
            wcfg.stations = v;
        } else if (strcmp(a, "--waveform-rate") == 0) {
            char *end;
            double r = strtod(v, &end);
            if (end == v || *end || !(r >= 50.0 && r <= 20000.0)) {
                return tool_fail(EXIT_USAGE, "simulate", "--waveform-rate: expected [50, 20000]: %s",
                                 v);
            }
            wcfg.rate_hz = r;
        } else if (strcmp(a, "--waveform-gain") == 0) {
            char *end;
            double g = strtod(v, &end);
            if (end == v || *end || !(g >= 0.0 && g <= 1e9)) {
                return tool_fail(EXIT_USAGE, "simulate", "--waveform-gain: expected [0, 1e9]: %s",
                                 v);
            }
            wcfg.gain = g;
        } else {
            return tool_fail(EXIT_USAGE, "simulate", "unknown option %s (see --help)", a);
        }
    }
    if (!mission_path || !preset || !out) {
        return tool_fail(EXIT_USAGE, "simulate", "--mission, --preset and --out are required");
    }
    bool known = false;
    for (const char *const *p = tl_sim_presets(); *p; p++) {
        known = known || strcmp(*p, preset) == 0;
    }
    if (!known) {
        return tool_fail(EXIT_USAGE, "simulate",
                         "unknown preset %s (calm, busy, windy, faulty, mirror)", preset);
    }
    cfg.preset = preset;
    tool_log_to_stderr(0);

    struct tl_mission *m = NULL;
    static struct tl_mission_problems probs;
    int rc = tl_mission_load(mission_path, &m, &probs);
    if (rc != TL_OK) {
        for (size_t i = 0; i < probs.n; i++) {
            fprintf(stderr, "%s: %s\n", mission_path, probs.text[i]);
        }
        return tool_fail(tool_exit_code(rc), "simulate", "%s: %s", mission_path, tl_strerror(rc));
    }
    if (mkdir(out, 0777) != 0 && errno != EEXIST) {
        tl_mission_free(m);
        return tool_fail(EXIT_RUNTIME, "simulate", "%s: %s", out, strerror(errno));
    }
    struct tl_sim *s = NULL;
    rc = tl_sim_generate(m, &cfg, &s);
    tl_mission_free(m);
    if (rc != TL_OK) {
        return tool_fail(tool_exit_code(rc), "simulate", "%s", tl_strerror(rc));
    }
    rc = tl_sim_write(s, out);
    if (rc != TL_OK) {
        tl_sim_free(s);
        return tool_fail(EXIT_RUNTIME, "simulate", "%s: %s", out, tl_strerror(rc));
    }
    if (waveforms) {
        rc = tl_sim_write_waveforms(s, out, &wcfg);
        if (rc != TL_OK) {
            tl_sim_free(s);
            if (rc == TL_EINVAL) {
                return tool_fail(EXIT_USAGE, "simulate",
                                 "--waveform-stations: not all of %s are stations of the mission",
                                 wcfg.stations ? wcfg.stations : "");
            }
            return tool_fail(EXIT_RUNTIME, "simulate", "%s/waveforms: %s", out, tl_strerror(rc));
        }
    }
    if (keys) {
        char mpath[4096];
        struct tl_diag d;
        memset(&d, 0, sizeof(d));
        snprintf(mpath, sizeof(mpath), "%s/mission.geojson", out);
        rc = tl_station_keys_make(tl_sim_mission(s), keys, mpath, &d);
        if (rc != TL_OK) {
            char buf[640];
            tl_sim_free(s);
            return tool_fail(tool_exit_code(rc), "simulate", "--keys: %s",
                             tl_diag_format(&d, buf, sizeof(buf)));
        }
    }
    if (!quiet) {
        const struct tl_sim_stats *st = tl_sim_stats(s);
        printf("preset %s, seed %" PRIu64 ", %.1f h: %zu events (%zu launches, %zu impacts, "
               "%zu other, %zu salvos), %zu heard by >= 5 stations\n",
               preset, cfg.seed, cfg.hours, st->events, st->launches, st->impacts, st->others,
               st->salvos, st->heard5);
        printf("%zu picks (%zu true, %zu false; %zu shock cues, %zu echoes), %zu met, "
               "%zu status; %zu records delivered (%zu duplicates, %zu late); %zu faults\n",
               st->picks, st->true_picks, st->false_picks, st->shock_picks, st->echo_picks,
               st->met, st->status, st->records, st->duplicates, st->late, st->faults);
    }
    tl_sim_free(s);
    return EXIT_OK;
}
