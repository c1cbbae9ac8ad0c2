/*
 * tool.h - what the subcommands of the `truceline` binary share.
 *
 * The tool is the library's first user and may include only <truceline/...>
 * headers.  Exit codes are the same for every subcommand.
 */
#ifndef TL_TOOL_H
#define TL_TOOL_H

#include <truceline/truceline.h>

#define EXIT_OK      0 /* success */
#define EXIT_RUNTIME 1 /* runtime failure (I/O, resources) */
#define EXIT_USAGE   2 /* bad command line */
#define EXIT_INPUT   3 /* bad input data */

/* One subcommand: name, one-line summary, usage text, entry point. */
struct tool_cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

/* Entry points (tools/cmd_<name>.c). */
int cmd_detect(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_mission(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_process(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Print "truceline CMD: message" to stderr and return `code`. */
int tool_fail(int code, const char *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* True when argv holds -h or --help. */
int tool_wants_help(int argc, char **argv);

/* Map a library error code to an exit code (parse/range/not found -> EXIT_INPUT). */
int tool_exit_code(int rc);

/* Install a stderr log sink at the given verbosity (0 warnings, 1 info, 2 debug). */
void tool_log_to_stderr(int verbosity);

#endif
