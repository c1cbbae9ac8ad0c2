/*
 * cmd_replay.c - `truceline replay`: a scenario played into a server.
 *
 *     truceline replay --records R --url U --keys DIR [--speed X] [options]
 *
 * Every station of the records file sends its records as it would: in signed
 * batches with increasing sequence numbers, paced at X times the records' own
 * time (X = 0: as fast as the server acknowledges), retrying politely on 429,
 * 5xx and lost connections.  Prints what was sent and acknowledged and the
 * acknowledgement latency.  Exit 0 when every batch was acknowledged, 1 when
 * some were given up, 3 when the server refused records as invalid.
 *
 *     truceline replay sign --keys DIR --station ID --seq N [FILE|-]
 *
 * prints the signature header value ("seq=N, sig=...") for a body, so that a
 * station script (or a test) can send a batch with curl.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const char *const USAGE =
    "usage: truceline replay --records R --url U --keys DIR [--speed X] [options]\n\n"
    "plays the records R (JSON Lines) into the server at U (http://HOST:PORT) as the\n"
    "stations would: signed with their keys from DIR (DIR/<ID>.key), per-station\n"
    "sequence numbers, at X times real time.\n\n"
    "  --speed X          times real time (default 0: as fast as acknowledged)\n"
    "  --order O          delivery (file order, default) or time (each station's records\n"
    "                     in time order)\n"
    "  --batch N          most records per request (default 500)\n"
    "  --connections N    parallel connections (default 4)\n"
    "  --tokens DIR       station tokens DIR/<ID>.token (servers run with --station-tokens)\n"
    "  --acked FILE       append every acknowledged record line to FILE\n"
    "  --retry-for S      give up a batch after S seconds of retries (default 60)\n"
    "  -q                 no summary\n\n"
    "       truceline replay sign --keys DIR --station ID --seq N [FILE|-]\n"
    "prints the X-Truceline-Signature value for sending FILE's bytes as one batch.\n";

static bool
parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi)) {
        return false;
    }
    *out = v;
    return true;
}

/* `replay sign`: the signature header for a body read from a file or stdin. */
static int
sign_main(int argc, char **argv)
{
    const char *keys = NULL, *station = NULL, *file = "-";
    double seq = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--keys") == 0 && v) {
            keys = v;
            i++;
        } else if (strcmp(argv[i], "--station") == 0 && v) {
            station = v;
            i++;
        } else if (strcmp(argv[i], "--seq") == 0 && v) {
            if (!parse_num(v, 1, 9.2e18, &seq)) {
                return tool_fail(EXIT_USAGE, "replay sign", "--seq: 1 to 2^63-1");
            }
            i++;
        } else if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0) {
            file = argv[i];
        } else {
            return tool_fail(EXIT_USAGE, "replay sign", "unknown option %s", argv[i]);
        }
    }
    if (!keys || !station || seq < 1) {
        return tool_fail(EXIT_USAGE, "replay sign", "--keys, --station and --seq are required");
    }
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (!f) {
        return tool_fail(EXIT_RUNTIME, "replay sign", "cannot open %s", file);
    }
    size_t cap = 1 << 16, n = 0, got;
    char *body = tl_malloc(cap);
    while (body && (got = fread(body + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b2 = cap < ((size_t)1 << 30) ? tl_realloc(body, cap * 2) : NULL;
            if (!b2) {
                tl_free(body);
                body = NULL;
                break;
            }
            body = b2;
            cap *= 2;
        }
    }
    if (f != stdin) {
        fclose(f);
    }
    if (!body) {
        return tool_fail(EXIT_RUNTIME, "replay sign", "out of memory");
    }
    uint8_t seed[32];
    struct tl_diag d;
    memset(&d, 0, sizeof(d));
    int rc = tl_station_key_load(keys, station, seed, &d);
    char hdr[TL_SIGNATURE_MAX], path[64];
    snprintf(path, sizeof(path), "/v1/stations/%s/records", station);
    if (rc == TL_OK) {
        rc = tl_ingest_sign(seed, "POST", path, (uint64_t)seq, body, n, hdr);
    }
    memset(seed, 0, sizeof(seed));
    tl_free(body);
    if (rc != TL_OK) {
        return tool_fail(tool_exit_code(rc), "replay sign", "%s",
                         d.text[0] ? d.text : tl_strerror(rc));
    }
    printf("%s\n", hdr);
    return EXIT_OK;
}

int
cmd_replay(int argc, char **argv)
{
    static const struct option opts[] = {{"records", required_argument, NULL, 'r'},
                                         {"url", required_argument, NULL, 'u'},
                                         {"keys", required_argument, NULL, 'k'},
                                         {"speed", required_argument, NULL, 's'},
                                         {"order", required_argument, NULL, 'o'},
                                         {"batch", required_argument, NULL, 'b'},
                                         {"connections", required_argument, NULL, 'c'},
                                         {"tokens", required_argument, NULL, 't'},
                                         {"acked", required_argument, NULL, 'a'},
                                         {"retry-for", required_argument, NULL, 'R'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    if (argc > 1 && strcmp(argv[1], "sign") == 0) {
        return sign_main(argc - 1, argv + 1);
    }
    struct tl_replay_config cfg;
    tl_replay_config_default(&cfg);
    bool quiet = false;
    double v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            cfg.records_path = optarg;
            break;
        case 'u':
            cfg.url = optarg;
            break;
        case 'k':
            cfg.keys_dir = optarg;
            break;
        case 's':
            if (!parse_num(optarg, 0, 1e12, &cfg.speed)) {
                return tool_fail(EXIT_USAGE, "replay", "--speed: a number >= 0");
            }
            break;
        case 'o':
            if (strcmp(optarg, "time") == 0) {
                cfg.time_order = true;
            } else if (strcmp(optarg, "delivery") != 0) {
                return tool_fail(EXIT_USAGE, "replay", "--order: delivery or time");
            }
            break;
        case 'b':
            if (!parse_num(optarg, 1, 1e6, &v)) {
                return tool_fail(EXIT_USAGE, "replay", "--batch: 1 to 1000000");
            }
            cfg.batch_max = (size_t)v;
            break;
        case 'c':
            if (!parse_num(optarg, 1, 256, &v)) {
                return tool_fail(EXIT_USAGE, "replay", "--connections: 1 to 256");
            }
            cfg.connections = (unsigned)v;
            break;
        case 't':
            cfg.tokens_dir = optarg;
            break;
        case 'a':
            cfg.acked_path = optarg;
            break;
        case 'R':
            if (!parse_num(optarg, 0, 1e6, &cfg.retry_for_s)) {
                return tool_fail(EXIT_USAGE, "replay", "--retry-for: seconds >= 0");
            }
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(USAGE, stdout);
            return EXIT_OK;
        default:
            fputs(USAGE, stderr);
            return EXIT_USAGE;
        }
    }
    if (!cfg.records_path || !cfg.url || !cfg.keys_dir || optind != argc) {
        fputs(USAGE, stderr);
        return EXIT_USAGE;
    }
    tool_log_to_stderr(0);
    struct tl_replay_stats st;
    struct tl_diag d;
    memset(&d, 0, sizeof(d));
    memset(&st, 0, sizeof(st));
    int rc = tl_replay_run(&cfg, &st, &d);
    if (rc != TL_OK && rc != TL_EIO) {
        char buf[640];
        return tool_fail(tool_exit_code(rc), "replay", "%s",
                         d.text[0] ? tl_diag_format(&d, buf, sizeof(buf)) : tl_strerror(rc));
    }
    if (!quiet) {
        printf("replay: %ld records in %ld batches acknowledged (%ld stored, %ld duplicates), "
               "%ld refused, %ld batches given up; %ld retries, %ld rate-limited, %ld conflicts; "
               "%ld lines not records\n",
               st.records_sent, st.batches, st.stored, st.duplicates, st.rejected,
               st.failed_batches, st.retries, st.rate_limited, st.conflicts, st.unreadable);
        printf("replay: %.2f s, %.0f records/s; acknowledgement p50 %.1f ms, p99 %.1f ms, "
               "max %.1f ms\n",
               st.elapsed_s, st.elapsed_s > 0 ? (double)st.records_sent / st.elapsed_s : 0.0,
               st.ack_p50_ms, st.ack_p99_ms, st.ack_max_ms);
    }
    if (rc == TL_EIO) {
        return tool_fail(EXIT_RUNTIME, "replay", "%s", d.text);
    }
    return st.rejected > 0 ? EXIT_INPUT : EXIT_OK;
}
