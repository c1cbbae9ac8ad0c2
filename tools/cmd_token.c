/*
 * cmd_token.c - `truceline token`: access tokens of a server's data directory.
 *
 *     truceline token add --data DIR --role ROLE [--station ID] --label TEXT
 *     truceline token list --data DIR
 *     truceline token revoke --data DIR ID
 *
 * Works on DIR/truceline.db directly, whether the server runs or not (SQLite
 * WAL lets both write; the server checks tokens at every request, so a revoked
 * token stops working at once).  `add` prints the token once on standard
 * output; only a salted hash is stored.  Every change is audited.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const char *const USAGE =
    "usage: truceline token add --data DIR --role ROLE [--station ID] --label TEXT\n"
    "       truceline token list --data DIR\n"
    "       truceline token revoke --data DIR ID\n\n"
    "roles: station (ingest for its own --station only), analyst (read, review),\n"
    "       party (read), public (read what is older than the embargo).\n"
    "add prints the token (tl1_<id>_<secret>) once; it is stored hashed.\n";

static int
fail_diag(int rc, const struct tl_diag *d)
{
    char buf[640];
    return tool_fail(tool_exit_code(rc), "token", "%s",
                     d->text[0] ? tl_diag_format(d, buf, sizeof(buf)) : tl_strerror(rc));
}

int
cmd_token(int argc, char **argv)
{
    if (argc < 2 || tool_wants_help(argc, argv)) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    const char *verb = argv[1];
    const char *data = NULL, *role = NULL, *station = NULL, *label = NULL, *id = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            if (id) {
                return tool_fail(EXIT_USAGE, "token", "unexpected argument %s", a);
            }
            id = a;
            continue;
        }
        if (!v) {
            return tool_fail(EXIT_USAGE, "token", "%s: missing value", a);
        }
        i++;
        if (strcmp(a, "--data") == 0) {
            data = v;
        } else if (strcmp(a, "--role") == 0) {
            role = v;
        } else if (strcmp(a, "--station") == 0) {
            station = v;
        } else if (strcmp(a, "--label") == 0) {
            label = v;
        } else {
            return tool_fail(EXIT_USAGE, "token", "unknown option %s (see --help)", a);
        }
    }
    if (!data) {
        return tool_fail(EXIT_USAGE, "token", "--data is required");
    }
    struct tl_diag d;
    memset(&d, 0, sizeof(d));
    if (strcmp(verb, "add") == 0) {
        enum tl_role r;
        if (!role || tl_role_parse(role, &r) != TL_OK) {
            return tool_fail(EXIT_USAGE, "token", "--role: station, analyst, party or public");
        }
        if (!label || id) {
            return tool_fail(EXIT_USAGE, "token", "add needs --label and no other argument");
        }
        char *tok = NULL;
        int64_t tid = 0;
        int rc = tl_token_add(data, r, station, label, &tok, &tid, &d);
        if (rc != TL_OK) {
            return fail_diag(rc, &d);
        }
        printf("%s\n", tok);
        fprintf(stderr, "token %" PRId64 " (%s%s%s) added\n", tid, tl_role_name(r),
                station ? " " : "", station ? station : "");
        tl_free(tok);
        return EXIT_OK;
    }
    if (strcmp(verb, "list") == 0) {
        if (id || role || station || label) {
            return tool_fail(EXIT_USAGE, "token", "list takes only --data");
        }
        struct tl_token_info *v = NULL;
        size_t n = 0;
        int rc = tl_token_list(data, &v, &n, &d);
        if (rc != TL_OK) {
            return fail_diag(rc, &d);
        }
        printf("%-6s %-8s %-7s %-24s %-24s %s\n", "id", "role", "station", "created", "revoked",
               "label");
        for (size_t i = 0; i < n; i++) {
            char c1[TL_TIME_TEXT_MAX], c2[TL_TIME_TEXT_MAX] = "-";
            tl_time_format(v[i].created_ns, c1, sizeof(c1));
            if (v[i].revoked_ns) {
                tl_time_format(v[i].revoked_ns, c2, sizeof(c2));
            }
            printf("%-6" PRId64 " %-8s %-7s %-24s %-24s %s\n", v[i].id, tl_role_name(v[i].role),
                   v[i].station[0] ? v[i].station : "-", c1, c2, v[i].label);
        }
        tl_free(v);
        return EXIT_OK;
    }
    if (strcmp(verb, "revoke") == 0) {
        char *end;
        long long x = id ? strtoll(id, &end, 10) : 0;
        if (!id || *end || x <= 0 || role || station || label) {
            return tool_fail(EXIT_USAGE, "token", "revoke needs --data DIR and a token id");
        }
        int rc = tl_token_revoke(data, (int64_t)x, &d);
        if (rc != TL_OK) {
            return fail_diag(rc, &d);
        }
        fprintf(stderr, "token %lld revoked\n", x);
        return EXIT_OK;
    }
    return tool_fail(EXIT_USAGE, "token", "unknown verb %s (add, list, revoke)", verb);
}
