/*
 * main.c - the `truceline` command: dispatches to one subcommand per stage.
 *
 *     truceline [--help | version | COMMAND [ARGS...]]
 *
 * Each subcommand lives in tools/cmd_<name>.c and uses only the public API.
 * Exit codes: 0 success, 1 runtime failure, 2 usage error, 3 bad input.
 */
#include "tool.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int cmd_version(int argc, char **argv);

static const struct tool_cmd commands[] = {
    {"detect", "waveforms to picks (detect --mission M [--gain G] FILES... [--out F])", cmd_detect},
    {"evaluate", "score a bulletin against ground truth (evaluate --truth T --bulletin B)",
     cmd_evaluate},
    {"log", "the transparency log: init, append, checkpoint, prove, verify, witness", cmd_log},
    {"mission", "validate a mission file and summarise it (mission check FILE)", cmd_mission},
    {"process", "records to a bulletin: locate, classify, pair, attribute", cmd_process},
    {"replay", "play records into a server as its stations would (replay --records R --url U "
               "--keys DIR)",
     cmd_replay},
    {"report", "the daily report of a running server as HTML or PDF (report --date D --pdf F)",
     cmd_report},
    {"serve", "the server: signed ingest, live processing, API (serve --mission M --data DIR)",
     cmd_serve},
    {"simulate", "write a scenario with ground truth (simulate --mission M --preset P --out DIR)",
     cmd_simulate},
    {"token", "access tokens of a server's data directory: add, list, revoke", cmd_token},
    {"version", "print the version", cmd_version},
};

static void
usage(FILE *out)
{
    fprintf(out, "usage: truceline COMMAND [ARGS...]\n"
                 "       truceline COMMAND --help\n\n"
                 "acoustic ceasefire monitoring: station records to located, attributed,\n"
                 "logged findings.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(out, "\nexit codes: 0 success, 1 runtime failure, 2 usage error, 3 bad input\n");
}

static int
cmd_version(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        if (tool_wants_help(argc, argv)) {
            printf("usage: truceline version\n\nprints the version of truceline.\n");
            return EXIT_OK;
        }
        return tool_fail(EXIT_USAGE, "version", "takes no arguments");
    }
    printf("truceline %s\n", TL_VERSION_STRING);
    return EXIT_OK;
}

int
tool_fail(int code, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "truceline %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

int
tool_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            return 1;
        }
    }
    return 0;
}

int
tool_exit_code(int rc)
{
    switch (rc) {
    case TL_OK:
        return EXIT_OK;
    case TL_EPARSE:
    case TL_ERANGE:
    case TL_ENOTFOUND:
    case TL_ETOOBIG:
    case TL_EINVAL:
    case TL_ECRYPTO:
    case TL_EDUP:
        return EXIT_INPUT;
    default:
        return EXIT_RUNTIME;
    }
}

static void
stderr_sink(void *ud, enum tl_log_level level, const char *component, const char *func,
            const char *msg)
{
    (void)ud;
    static const char *const names[] = {"error", "warn", "info", "debug"};
    fprintf(stderr, "level=%s component=%s func=%s msg=\"%s\"\n", names[level], component, func,
            msg);
}

void
tool_log_to_stderr(int verbosity)
{
    enum tl_log_level max = verbosity >= 2 ? TL_LOG_DEBUG
                            : verbosity == 1 ? TL_LOG_INFO
                                             : TL_LOG_WARN;
    tl_set_log(stderr_sink, NULL, max);
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        return cmd_version(1, argv + 1);
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "truceline: unknown command \"%s\"\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
