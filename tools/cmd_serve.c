/*
 * cmd_serve.c - `truceline serve`: the live service.
 *
 *     truceline serve --mission M --data DIR [--listen 127.0.0.1:8080] [options]
 *
 * Starts the server (include/truceline/server.h, docs/server.md), prints
 * "listening on http://ADDR:PORT" on standard output once it accepts
 * connections (with --listen 127.0.0.1:0 the port is chosen by the system:
 * tests read it from that line), then waits for SIGINT or SIGTERM and stops
 * cleanly: requests in flight finish, a last checkpoint is signed, the store
 * and the log are closed.  Diagnostics go to standard error as logfmt lines
 * (`ts=... level=... component=... msg="..."`), repeated messages limited.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool.h"

static const char *const USAGE =
    "usage: truceline serve --mission M --data DIR [--listen ADDR:PORT] [options]\n\n"
    "runs the server: signed ingest of station records, live processing, the read API,\n"
    "reviews, the live feed and the transparency log (DIR/truceline.db, DIR/log).\n\n"
    "  --listen ADDR:PORT     default 127.0.0.1:8080; port 0 picks a free port\n"
    "  --window-min N         processing window of record time in minutes (default 60;\n"
    "                         0 = process every record held: tests, short scenarios)\n"
    "  --embargo-h H          the public role sees what is older than H hours (default 24)\n"
    "  --run-interval-ms N    least time between two processing runs (default 1000)\n"
    "  --station-rate R       records/s a station may send, sustained (default 2000)\n"
    "  --station-burst B      records a station may send at once (default 20000)\n"
    "  --max-body BYTES       largest ingest request body (default 4194304)\n"
    "  --max-future-s S       reject records later than now + S (default 600; -1: off)\n"
    "  --log-origin NAME      origin of a new log (default from the mission name)\n"
    "  --log-policy FILE      witnesses and quorum of a new log (default: none)\n"
    "  --web DIR              serve the web map's files from DIR at /\n"
    "  --station-tokens       ingest also needs the station's token\n"
    "  --no-anonymous         every read needs a token (default: no token = public)\n"
    "  -v                     more diagnostics (info; -vv debug)\n";

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

/* logfmt on stderr; at most 20 messages from one function per 10 s. */
static void
serve_sink(void *ud,
           enum tl_log_level level,
           const char *component,
           const char *func,
           const char *msg)
{
    (void)ud;
    static const char *const names[] = {"error", "warn", "info", "debug"};
    static char last_func[64];
    static time_t window;
    static int count;
    time_t now = time(NULL);
    pthread_mutex_lock(&log_mu);
    if (strcmp(last_func, func) == 0 && now - window < 10) {
        if (++count > 20) {
            pthread_mutex_unlock(&log_mu);
            return;
        }
    } else {
        snprintf(last_func, sizeof(last_func), "%s", func);
        window = now;
        count = 1;
    }
    char ts[TL_TIME_TEXT_MAX];
    tl_time_format(tl_time_now(), ts, sizeof(ts));
    fprintf(stderr, "ts=%s level=%s component=%s func=%s msg=\"", ts, names[level], component,
            func);
    for (const char *p = msg; *p; p++) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', stderr);
        }
        fputc(*p == '\n' ? ' ' : *p, stderr);
    }
    fputs("\"\n", stderr);
    pthread_mutex_unlock(&log_mu);
}

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

int
cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"mission", required_argument, NULL, 'm'},
                                         {"data", required_argument, NULL, 'd'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"window-min", required_argument, NULL, 'w'},
                                         {"embargo-h", required_argument, NULL, 'e'},
                                         {"run-interval-ms", required_argument, NULL, 'i'},
                                         {"station-rate", required_argument, NULL, 'r'},
                                         {"station-burst", required_argument, NULL, 'b'},
                                         {"max-body", required_argument, NULL, 'B'},
                                         {"max-future-s", required_argument, NULL, 'f'},
                                         {"log-origin", required_argument, NULL, 'o'},
                                         {"log-policy", required_argument, NULL, 'p'},
                                         {"web", required_argument, NULL, 'W'},
                                         {"station-tokens", no_argument, NULL, 'T'},
                                         {"no-anonymous", no_argument, NULL, 'A'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct tl_server_config cfg;
    tl_server_config_default(&cfg);
    int verbose = 0, c;
    double v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            cfg.mission_path = optarg;
            break;
        case 'd':
            cfg.data_dir = optarg;
            break;
        case 'l':
            cfg.listen = optarg;
            break;
        case 'w':
            if (!parse_num(optarg, 0, 7 * 24 * 60, &v) || (v > 0 && v < 10)) {
                return tool_fail(EXIT_USAGE, "serve", "--window-min: 0 or 10 to 10080");
            }
            cfg.window_ns = (tl_time_ns)(v * 60e9);
            break;
        case 'e':
            if (!parse_num(optarg, 0, 24 * 365, &v)) {
                return tool_fail(EXIT_USAGE, "serve", "--embargo-h: 0 to 8760");
            }
            cfg.embargo_ns = (tl_time_ns)(v * 3600e9);
            break;
        case 'i':
            if (!parse_num(optarg, 0, 600000, &v)) {
                return tool_fail(EXIT_USAGE, "serve", "--run-interval-ms: 0 to 600000");
            }
            cfg.run_interval_ns = (tl_time_ns)(v * 1e6);
            break;
        case 'r':
            if (!parse_num(optarg, 0.001, 1e9, &cfg.station_rate)) {
                return tool_fail(EXIT_USAGE, "serve", "--station-rate: a positive number");
            }
            break;
        case 'b':
            if (!parse_num(optarg, 1, 1e9, &cfg.station_burst)) {
                return tool_fail(EXIT_USAGE, "serve", "--station-burst: at least 1");
            }
            break;
        case 'B':
            if (!parse_num(optarg, 1024, 1 << 30, &v)) {
                return tool_fail(EXIT_USAGE, "serve", "--max-body: 1024 to 1073741824 bytes");
            }
            cfg.max_body_bytes = (size_t)v;
            break;
        case 'f':
            if (!parse_num(optarg, -1, 1e9, &v)) {
                return tool_fail(EXIT_USAGE, "serve", "--max-future-s: -1 or seconds");
            }
            cfg.max_future_ns = v < 0 ? -1 : (tl_time_ns)(v * 1e9);
            break;
        case 'o':
            cfg.log_origin = optarg;
            break;
        case 'p':
            cfg.log_policy_path = optarg;
            break;
        case 'W':
            cfg.web_dir = optarg;
            break;
        case 'T':
            cfg.station_token_required = true;
            break;
        case 'A':
            cfg.anonymous_public = false;
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
    if (!cfg.mission_path || !cfg.data_dir || optind != argc) {
        fputs(USAGE, stderr);
        return EXIT_USAGE;
    }
    tl_set_log(serve_sink, NULL, verbose >= 2 ? TL_LOG_DEBUG : verbose ? TL_LOG_INFO : TL_LOG_WARN);
    /* block the stop signals in every thread; this one waits for them */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct tl_server *s = NULL;
    struct tl_diag d;
    memset(&d, 0, sizeof(d));
    int rc = tl_server_new(&cfg, &s, &d);
    if (rc != TL_OK) {
        char buf[640];
        return tool_fail(rc == TL_EINVAL || rc == TL_EPARSE ? EXIT_INPUT : EXIT_RUNTIME, "serve",
                         "%s", d.text[0] ? tl_diag_format(&d, buf, sizeof(buf)) : tl_strerror(rc));
    }
    printf("listening on %s\n", tl_server_url(s));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "serve: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    tl_server_free(s);
    fprintf(stderr, "serve: stopped\n");
    return EXIT_OK;
}
