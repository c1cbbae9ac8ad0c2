/*
 * cmd_log.c - `truceline log`: the transparency log from the command line.
 *
 *     log init --dir D --origin ORIGIN [--policy FILE]
 *     log append --dir D [--lines] [FILE|-]
 *     log checkpoint --dir D
 *     log prove --dir D --index N [--size S]
 *     log consistency --dir D --from A --to B
 *     log entry --dir D --index N
 *     log verify (--vkey VKEY | --vkey-file F | --policy F) [--checkpoint F]
 *                [--dir D] [--proof F --entry F] [--old F --consistency F]
 *     log witness init --dir W --name NAME --log VKEY [--log VKEY...]
 *     log witness serve --dir W [--listen 127.0.0.1:PORT]
 *     log witness cosign --dir W [FILE|-]
 *
 * Only the public API is used: the server of issue 7 makes the same calls.
 * The witness HTTP server (libmicrohttpd) lives here because HTTP is a
 * transport; the protocol itself is tl_witness_add_checkpoint.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

static const char *const USAGE =
    "usage: truceline log COMMAND [OPTIONS]\n\n"
    "the transparency log (C2SP checkpoints, tiles, witnesses):\n"
    "  init --dir D --origin ORIGIN [--policy FILE]   create a log and its key; prints the vkey\n"
    "  append --dir D [--lines] [FILE|-]              append the input (or each line) as entries;\n"
    "                                                 prints \"index N\" once each is durable\n"
    "  checkpoint --dir D                             sign, get cosignatures, publish\n"
    "  prove --dir D --index N [--size S]             tlog-proof file (or proof lines at size S)\n"
    "  consistency --dir D --from A --to B            consistency proof lines\n"
    "  entry --dir D --index N                        write entry N to stdout\n"
    "  verify (--vkey K | --vkey-file F | --policy F) [--checkpoint F] [--dir D]\n"
    "         [--proof F --entry F] [--old F --consistency F]\n"
    "                                                 offline verification\n"
    "  witness init --dir W --name NAME --log VKEY... create a witness; prints its vkey\n"
    "  witness serve --dir W [--listen ADDR:PORT]     serve tlog-witness add-checkpoint\n"
    "  witness cosign --dir W [FILE|-]                answer one add-checkpoint request offline\n\n"
    "entries larger than 65535 bytes are logged as \"sha256 <hex>\" of their content.\n";

#define INPUT_MAX (64u << 20)

struct opts {
    const char *dir, *origin, *policy, *vkey, *vkey_file, *checkpoint, *proof, *entry, *old,
        *consistency, *name, *listen, *input;
    const char *logs[64];
    int n_logs;
    uint64_t index, size, from, to;
    bool has_index, has_size, has_from, has_to, lines;
};

static int
parse_u64_arg(const char *s, uint64_t *out)
{
    char *end = NULL;
    if (!s || !*s || *s == '-') {
        return -1;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) {
        return -1;
    }
    *out = v;
    return 0;
}

static int
parse_opts(const char *cmd, int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof(*o));
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        uint64_t *num = NULL;
        bool *flag = NULL;
        if (strcmp(a, "--dir") == 0) {
            slot = &o->dir;
        } else if (strcmp(a, "--origin") == 0) {
            slot = &o->origin;
        } else if (strcmp(a, "--policy") == 0) {
            slot = &o->policy;
        } else if (strcmp(a, "--vkey") == 0) {
            slot = &o->vkey;
        } else if (strcmp(a, "--vkey-file") == 0) {
            slot = &o->vkey_file;
        } else if (strcmp(a, "--checkpoint") == 0) {
            slot = &o->checkpoint;
        } else if (strcmp(a, "--proof") == 0) {
            slot = &o->proof;
        } else if (strcmp(a, "--entry") == 0) {
            slot = &o->entry;
        } else if (strcmp(a, "--old") == 0) {
            slot = &o->old;
        } else if (strcmp(a, "--consistency") == 0) {
            slot = &o->consistency;
        } else if (strcmp(a, "--name") == 0) {
            slot = &o->name;
        } else if (strcmp(a, "--listen") == 0) {
            slot = &o->listen;
        } else if (strcmp(a, "--log") == 0) {
            if (i + 1 >= argc || o->n_logs >= 64) {
                return tool_fail(EXIT_USAGE, cmd, "--log needs a vkey");
            }
            o->logs[o->n_logs++] = argv[++i];
            continue;
        } else if (strcmp(a, "--index") == 0) {
            num = &o->index;
            flag = &o->has_index;
        } else if (strcmp(a, "--size") == 0) {
            num = &o->size;
            flag = &o->has_size;
        } else if (strcmp(a, "--from") == 0) {
            num = &o->from;
            flag = &o->has_from;
        } else if (strcmp(a, "--to") == 0) {
            num = &o->to;
            flag = &o->has_to;
        } else if (strcmp(a, "--lines") == 0) {
            o->lines = true;
            continue;
        } else if (a[0] == '-' && a[1] == '-') {
            return tool_fail(EXIT_USAGE, cmd, "unknown option %s", a);
        } else {
            if (o->input) {
                return tool_fail(EXIT_USAGE, cmd, "more than one input file");
            }
            o->input = a;
            continue;
        }
        if (i + 1 >= argc) {
            return tool_fail(EXIT_USAGE, cmd, "%s needs a value", a);
        }
        if (slot) {
            *slot = argv[++i];
        } else if (parse_u64_arg(argv[++i], num) != 0) {
            return tool_fail(EXIT_USAGE, cmd, "%s needs a non-negative integer", a);
        } else {
            *flag = true;
        }
    }
    return EXIT_OK;
}

/* Read a whole file ("-" or NULL for stdin) into a NUL-terminated buffer (tl_free). */
static int
slurp(const char *path, char **out, size_t *len)
{
    FILE *f = (!path || strcmp(path, "-") == 0) ? stdin : fopen(path, "rb");
    if (!f) {
        return TL_ENOTFOUND;
    }
    size_t cap = 65536, n = 0;
    char *buf = tl_malloc(cap + 1);
    int rc = TL_OK;
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            break;
        }
        if (n == cap) {
            if (cap >= INPUT_MAX) {
                rc = TL_ETOOBIG;
                break;
            }
            char *nb = tl_realloc(buf, cap * 2 + 1);
            if (!nb) {
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (ferror(f) && rc == TL_OK) {
        rc = TL_EIO;
    }
    if (f != stdin) {
        fclose(f);
    }
    if (!buf) {
        return TL_ENOMEM;
    }
    if (rc != TL_OK) {
        tl_free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return TL_OK;
}

static int
open_log(const char *cmd, const struct opts *o, struct tl_tlog **log)
{
    struct tl_diag d = {0};
    if (!o->dir) {
        return tool_fail(EXIT_USAGE, cmd, "--dir is required");
    }
    int rc = tl_tlog_open(o->dir, log, &d);
    if (rc != TL_OK) {
        return tool_fail(tool_exit_code(rc) == EXIT_INPUT ? EXIT_INPUT : EXIT_RUNTIME, cmd,
                         "%s: %s", o->dir, d.text);
    }
    return EXIT_OK;
}

static void
print_hashes(uint8_t (*proof)[TL_HASH_SIZE], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char b64[45];
        tl_tlog_hash_format(proof[i], b64);
        printf("%s\n", b64);
    }
}

/* ------------------------------------------------------------------------ */

static int
log_init(const struct opts *o)
{
    struct tl_tlog *log = NULL;
    struct tl_diag d = {0};
    char *policy = NULL;
    size_t pl;
    if (!o->dir || !o->origin) {
        return tool_fail(EXIT_USAGE, "log init", "--dir and --origin are required");
    }
    if (o->policy && slurp(o->policy, &policy, &pl) != TL_OK) {
        return tool_fail(EXIT_INPUT, "log init", "cannot read %s", o->policy);
    }
    int rc = tl_tlog_create(o->dir, o->origin, policy, &log, &d);
    tl_free(policy);
    if (rc != TL_OK) {
        if (d.line) {
            return tool_fail(EXIT_INPUT, "log init", "policy:%ld: %s", d.line, d.text);
        }
        return tool_fail(rc == TL_EEXIST ? EXIT_INPUT : tool_exit_code(rc), "log init", "%s",
                         d.text);
    }
    printf("%s\n", tl_tlog_vkey(log));
    tl_tlog_free(log);
    return EXIT_OK;
}

/* Append each complete line of `buf[0..len)`; returns bytes consumed or -1. */
static long
append_lines(struct tl_tlog *log, char *buf, size_t len, int *rc)
{
    enum { BATCH = 4096 };

    static const void *ptr[BATCH];
    static size_t lens[BATCH];
    size_t n = 0, pos = 0, done = 0;
    while (pos < len) {
        char *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl) {
            break;
        }
        size_t l = (size_t)(nl - (buf + pos));
        if (l > TL_TLOG_ENTRY_MAX) {
            *rc = TL_ETOOBIG;
            return -1;
        }
        ptr[n] = buf + pos;
        lens[n] = l;
        n++;
        pos += l + 1;
        if (n == BATCH || pos >= len || !memchr(buf + pos, '\n', len - pos)) {
            uint64_t first;
            *rc = tl_tlog_append_batch(log, ptr, lens, n, &first);
            if (*rc != TL_OK) {
                return -1;
            }
            for (size_t i = 0; i < n; i++) {
                printf("index %" PRIu64 "\n", first + i);
            }
            fflush(stdout);
            n = 0;
            done = pos;
        }
    }
    return (long)done;
}

static int
log_append(const struct opts *o)
{
    struct tl_tlog *log = NULL;
    int ex = open_log("log append", o, &log);
    if (ex != EXIT_OK) {
        return ex;
    }
    if (o->lines) {
        /*
         * Each line is an entry.  Whatever one read() returns is committed as one
         * batch (one fsync for all of it), and each entry is acknowledged on
         * stdout only once it is durable.
         */
        int fd = (!o->input || strcmp(o->input, "-") == 0) ? 0 : -1;
        FILE *f = NULL;
        if (fd < 0) {
            f = fopen(o->input, "rb");
            if (!f) {
                tl_tlog_free(log);
                return tool_fail(EXIT_INPUT, "log append", "cannot read %s", o->input);
            }
            fd = fileno(f);
        }
        size_t cap = 1 << 20, len = 0;
        char *buf = tl_malloc(cap);
        int rc = buf ? TL_OK : TL_ENOMEM;
        while (rc == TL_OK) {
            if (len == cap) {
                rc = TL_ETOOBIG;
                break;
            }
            ssize_t r = read(fd, buf + len, cap - len);
            if (r < 0 && errno == EINTR) {
                continue;
            }
            if (r < 0) {
                rc = TL_EIO;
                break;
            }
            if (r == 0) {
                if (len > 0) { /* a last line without newline */
                    if (len >= cap) {
                        rc = TL_ETOOBIG;
                        break;
                    }
                    buf[len++] = '\n';
                    if (append_lines(log, buf, len, &rc) < 0) {
                        break;
                    }
                }
                break;
            }
            len += (size_t)r;
            long used = append_lines(log, buf, len, &rc);
            if (used < 0) {
                break;
            }
            memmove(buf, buf + used, len - (size_t)used);
            len -= (size_t)used;
        }
        tl_free(buf);
        if (f) {
            fclose(f);
        }
        if (rc != TL_OK) {
            ex = tool_fail(tool_exit_code(rc), "log append", "%s",
                           rc == TL_ETOOBIG ? "a line is longer than 65535 bytes"
                                            : tl_tlog_errmsg(log));
        }
        tl_tlog_free(log);
        return ex;
    }
    char *data = NULL;
    size_t len = 0;
    int rc = slurp(o->input, &data, &len);
    if (rc != TL_OK) {
        tl_tlog_free(log);
        return tool_fail(EXIT_INPUT, "log append", "cannot read %s: %s", o->input ? o->input : "-",
                         tl_strerror(rc));
    }
    char big[128];
    const void *entry = data;
    if (len > TL_TLOG_ENTRY_MAX) {
        /* Larger records are logged by their hash; the record itself is kept elsewhere. */
        uint8_t h[TL_HASH_SIZE];
        char hex[2 * TL_HASH_SIZE + 1];
        tl_sha256(data, len, h);
        for (int i = 0; i < TL_HASH_SIZE; i++) {
            snprintf(hex + 2 * i, 3, "%02x", h[i]);
        }
        fprintf(stderr, "truceline log append: record of %zu bytes logged by its SHA-256\n", len);
        len = (size_t)snprintf(big, sizeof(big), "sha256 %s\n", hex);
        entry = big;
    }
    uint64_t idx;
    rc = tl_tlog_append(log, entry, len, &idx);
    tl_free(data);
    if (rc != TL_OK) {
        ex = tool_fail(tool_exit_code(rc), "log append", "%s", tl_tlog_errmsg(log));
    } else {
        printf("index %" PRIu64 "\n", idx);
    }
    tl_tlog_free(log);
    return ex;
}

static int
log_checkpoint(const struct opts *o)
{
    struct tl_tlog *log = NULL;
    struct tl_diag d = {0};
    int ex = open_log("log checkpoint", o, &log);
    if (ex != EXIT_OK) {
        return ex;
    }
    char *note = NULL;
    int rc = tl_tlog_checkpoint(log, &note, &d);
    if (rc != TL_OK) {
        ex = tool_fail(EXIT_RUNTIME, "log checkpoint", "%s", d.text);
    } else {
        fputs(note, stdout);
    }
    tl_free(note);
    tl_tlog_free(log);
    return ex;
}

static int
log_prove(const struct opts *o)
{
    struct tl_tlog *log = NULL;
    if (!o->has_index) {
        return tool_fail(EXIT_USAGE, "log prove", "--index is required");
    }
    int ex = open_log("log prove", o, &log);
    if (ex != EXIT_OK) {
        return ex;
    }
    int rc;
    if (o->has_size) {
        uint8_t proof[TL_TLOG_PROOF_MAX][TL_HASH_SIZE];
        size_t n = 0;
        rc = tl_tlog_inclusion_proof(log, o->index, o->size, proof, &n);
        if (rc == TL_OK) {
            print_hashes(proof, n);
        }
    } else {
        char *pf = NULL;
        rc = tl_tlog_proof_file(log, o->index, &pf);
        if (rc == TL_OK) {
            fputs(pf, stdout);
        }
        tl_free(pf);
    }
    if (rc == TL_ERANGE) {
        ex = tool_fail(EXIT_INPUT, "log prove", "index %" PRIu64 " is not in the %s tree", o->index,
                       o->has_size ? "requested" : "published");
    } else if (rc == TL_ENOTFOUND) {
        ex = tool_fail(EXIT_RUNTIME, "log prove", "no checkpoint published yet");
    } else if (rc != TL_OK) {
        ex = tool_fail(EXIT_RUNTIME, "log prove", "%s", tl_tlog_errmsg(log));
    }
    tl_tlog_free(log);
    return ex;
}

static int
log_consistency(const struct opts *o)
{
    struct tl_tlog *log = NULL;
    if (!o->has_from || !o->has_to) {
        return tool_fail(EXIT_USAGE, "log consistency", "--from and --to are required");
    }
    int ex = open_log("log consistency", o, &log);
    if (ex != EXIT_OK) {
        return ex;
    }
    uint8_t proof[TL_TLOG_PROOF_MAX][TL_HASH_SIZE];
    size_t n = 0;
    int rc = tl_tlog_consistency_proof(log, o->from, o->to, proof, &n);
    if (rc == TL_OK) {
        print_hashes(proof, n);
    } else {
        ex = tool_fail(EXIT_INPUT, "log consistency",
                       "need 0 < from <= to <= the tree size (from %" PRIu64 ", to %" PRIu64 ")",
                       o->from, o->to);
    }
    tl_tlog_free(log);
    return ex;
}

static int
log_entry(const struct opts *o)
{
    struct tl_tlog *log = NULL;
    if (!o->has_index) {
        return tool_fail(EXIT_USAGE, "log entry", "--index is required");
    }
    int ex = open_log("log entry", o, &log);
    if (ex != EXIT_OK) {
        return ex;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = tl_tlog_entry(log, o->index, &data, &len);
    if (rc == TL_OK) {
        fwrite(data, 1, len, stdout);
    } else {
        ex = tool_fail(rc == TL_ERANGE ? EXIT_INPUT : EXIT_RUNTIME, "log entry",
                       "no entry %" PRIu64, o->index);
    }
    tl_free(data);
    tl_tlog_free(log);
    return ex;
}

/* ------------------------------------------------------------------------ */
/* verify                                                                    */
/* ------------------------------------------------------------------------ */

static int
verify_fail(const char *what, const struct tl_diag *d, int rc)
{
    char buf[700];
    tl_diag_format(d, buf, sizeof(buf));
    return tool_fail(tool_exit_code(rc) == EXIT_RUNTIME ? EXIT_RUNTIME : EXIT_INPUT, "log verify",
                     "%s: %s", what, buf);
}

static int
log_verify(const struct opts *o)
{
    struct tl_verifier *key = NULL;
    struct tl_policy *pol = NULL;
    struct tl_diag d = {0};
    char *text = NULL, *cp_text = NULL, *aux = NULL;
    size_t len, cp_len = 0, aux_len;
    int ex = EXIT_OK, rc;
    struct tl_checkpoint cp;
    if (o->vkey) {
        rc = tl_verifier_parse(o->vkey, strlen(o->vkey), &key, &d);
    } else if (o->vkey_file || o->policy) {
        rc = slurp(o->vkey_file ? o->vkey_file : o->policy, &text, &len);
        if (rc != TL_OK) {
            return tool_fail(EXIT_INPUT, "log verify", "cannot read %s",
                             o->vkey_file ? o->vkey_file : o->policy);
        }
        if (o->vkey_file) {
            rc = tl_verifier_parse(text, len, &key, &d);
        } else {
            rc = tl_policy_parse(text, len, &pol, &d);
            if (rc == TL_OK && tl_policy_log_count(pol) == 0) {
                tl_policy_free(pol);
                pol = NULL;
                tl_free(text);
                return tool_fail(EXIT_INPUT, "log verify", "the policy names no log");
            }
        }
        tl_free(text);
        text = NULL;
    } else {
        return tool_fail(EXIT_USAGE, "log verify", "--vkey, --vkey-file or --policy is required");
    }
    if (rc != TL_OK) {
        return verify_fail("key", &d, rc);
    }
    const struct tl_verifier *log_key = key ? key : tl_policy_log(pol, 0);
    if (o->checkpoint) {
        if (slurp(o->checkpoint, &cp_text, &cp_len) != TL_OK) {
            ex = tool_fail(EXIT_INPUT, "log verify", "cannot read %s", o->checkpoint);
            goto done;
        }
    } else if (o->dir) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/checkpoint", o->dir);
        if (slurp(path, &cp_text, &cp_len) != TL_OK) {
            ex = tool_fail(EXIT_INPUT, "log verify", "cannot read %s", path);
            goto done;
        }
    }
    if (cp_text) {
        rc = pol ? tl_policy_verify_checkpoint(pol, cp_text, cp_len, &cp, &d)
                 : tl_checkpoint_open(cp_text, cp_len, log_key, &cp, &d);
        if (rc != TL_OK) {
            ex = verify_fail("checkpoint", &d, rc);
            goto done;
        }
        char root[45];
        tl_tlog_hash_format(cp.root, root);
        printf("checkpoint ok: %s size %" PRIu64 " root %s%s\n", cp.origin, cp.size, root,
               pol ? " (quorum met)" : "");
    }
    if (o->dir) {
        rc = tl_tlog_audit_dir(o->dir, cp_text, cp_len, log_key, &cp, &d);
        if (rc != TL_OK) {
            ex = verify_fail("tiles", &d, rc);
            goto done;
        }
        printf("tiles ok: %" PRIu64 " entries re-hashed, every tile matches\n", cp.size);
    }
    if (o->proof) {
        if (!o->entry) {
            ex = tool_fail(EXIT_USAGE, "log verify", "--proof needs --entry");
            goto done;
        }
        if (slurp(o->proof, &text, &len) != TL_OK || slurp(o->entry, &aux, &aux_len) != TL_OK) {
            ex = tool_fail(EXIT_INPUT, "log verify", "cannot read the proof or the entry");
            goto done;
        }
        rc = tl_proof_file_verify(text, len, aux, aux_len, log_key, pol, &cp, &d);
        if (rc != TL_OK) {
            ex = verify_fail("proof", &d, rc);
            goto done;
        }
        printf("proof ok: entry is in %s at size %" PRIu64 "\n", cp.origin, cp.size);
        tl_free(text);
        tl_free(aux);
        text = aux = NULL;
    }
    if (o->consistency) {
        struct tl_checkpoint old;
        uint8_t proof[TL_TLOG_PROOF_MAX][TL_HASH_SIZE];
        size_t n = 0;
        if (!o->old || !cp_text) {
            ex = tool_fail(EXIT_USAGE, "log verify", "--consistency needs --old and --checkpoint");
            goto done;
        }
        if (slurp(o->old, &aux, &aux_len) != TL_OK || slurp(o->consistency, &text, &len) != TL_OK) {
            ex = tool_fail(EXIT_INPUT, "log verify", "cannot read --old or --consistency");
            goto done;
        }
        rc = tl_checkpoint_open(aux, aux_len, log_key, &old, &d);
        if (rc != TL_OK) {
            ex = verify_fail("old checkpoint", &d, rc);
            goto done;
        }
        for (size_t pos = 0; pos < len;) {
            char *nl = memchr(text + pos, '\n', len - pos);
            size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
            if (n >= TL_TLOG_PROOF_MAX ||
                tl_tlog_hash_parse(text + pos, ll, proof[n], &d) != TL_OK) {
                d.line = (long)n + 1;
                ex = verify_fail("consistency", &d, TL_EPARSE);
                goto done;
            }
            n++;
            pos += ll + 1;
        }
        rc = tl_tlog_verify_consistency(old.size, cp.size, old.root, cp.root,
                                        (const uint8_t(*)[TL_HASH_SIZE])proof, n, &d);
        if (rc != TL_OK) {
            ex = verify_fail("consistency", &d, rc);
            goto done;
        }
        printf("consistency ok: size %" PRIu64 " -> %" PRIu64 "\n", old.size, cp.size);
    }
done:
    tl_free(text);
    tl_free(aux);
    tl_free(cp_text);
    tl_verifier_free(key);
    tl_policy_free(pol);
    return ex;
}

/* ------------------------------------------------------------------------ */
/* witness                                                                   */
/* ------------------------------------------------------------------------ */

struct upload {
    char *p;
    size_t len, cap;
    bool too_big;
};

static enum MHD_Result
respond(struct MHD_Connection *c, unsigned status, const char *type, const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
                                                             MHD_RESPMEM_MUST_COPY);
    if (!r) {
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
witness_handler(void *cls,
                struct MHD_Connection *c,
                const char *url,
                const char *method,
                const char *version,
                const char *upload_data,
                size_t *upload_size,
                void **con_cls)
{
    struct tl_witness *w = cls;
    (void)version;
    size_t ul = strlen(url);
    if (strcmp(method, "GET") == 0) {
        /* <prefix>/<hex sha256(origin)>/checkpoint */
        static const char tail[] = "/checkpoint";
        if (ul >= 64 + sizeof(tail) && strcmp(url + ul - (sizeof(tail) - 1), tail) == 0) {
            char hex[65];
            memcpy(hex, url + ul - (sizeof(tail) - 1) - 64, 64);
            hex[64] = '\0';
            char *note = NULL;
            if (tl_witness_latest(w, hex, &note) == TL_OK) {
                enum MHD_Result r = respond(c, 200, "text/plain; charset=utf-8", note);
                tl_free(note);
                return r;
            }
        }
        return respond(c, 404, "text/plain", "not found\n");
    }
    static const char add[] = "/add-checkpoint";
    if (strcmp(method, "POST") != 0 || ul < sizeof(add) - 1 ||
        strcmp(url + ul - (sizeof(add) - 1), add) != 0) {
        return respond(c, 404, "text/plain", "not found\n");
    }
    struct upload *u = *con_cls;
    if (!u) {
        u = tl_calloc(1, sizeof(*u));
        if (!u) {
            return MHD_NO;
        }
        *con_cls = u;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (u->len + *upload_size > 1 << 20) {
            u->too_big = true;
        } else {
            if (u->len + *upload_size + 1 > u->cap) {
                size_t cap = (u->len + *upload_size + 1) * 2;
                char *p = tl_realloc(u->p, cap);
                if (!p) {
                    return MHD_NO;
                }
                u->p = p;
                u->cap = cap;
            }
            memcpy(u->p + u->len, upload_data, *upload_size);
            u->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (u->too_big) {
        return respond(c, 413, "text/plain", "request too large\n");
    }
    int status = 500;
    char *body = NULL;
    int rc = tl_witness_add_checkpoint(w, u->p ? u->p : "", u->len, (uint64_t)time(NULL), &status,
                                       &body);
    if (rc != TL_OK) {
        return respond(c, 500, "text/plain", "internal error\n");
    }
    enum MHD_Result r =
        respond(c, (unsigned)status,
                status == 409 ? "text/x.tlog.size" : "text/plain; charset=utf-8", body);
    tl_free(body);
    return r;
}

static void
witness_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls;
    (void)c;
    (void)t;
    struct upload *u = *con_cls;
    if (u) {
        tl_free(u->p);
        tl_free(u);
    }
    *con_cls = NULL;
}

static int
witness_serve(const struct opts *o, struct tl_witness *w)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    const char *listen = o->listen ? o->listen : "127.0.0.1:0";
    const char *colon = strrchr(listen, ':');
    char host[64];
    uint64_t port = 0;
    if (!colon || (size_t)(colon - listen) >= sizeof(host) ||
        parse_u64_arg(colon + 1, &port) != 0 || port > 65535) {
        return tool_fail(EXIT_USAGE, "log witness serve", "--listen wants ADDRESS:PORT");
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        return tool_fail(EXIT_USAGE, "log witness serve", "bad IPv4 address %s", host);
    }
    sa.sin_port = htons((uint16_t)port);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                         witness_handler, w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                         MHD_OPTION_THREAD_POOL_SIZE, 4u, MHD_OPTION_NOTIFY_COMPLETED, witness_done,
                         NULL, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!d) {
        return tool_fail(EXIT_RUNTIME, "log witness serve", "cannot listen on %s", listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("listening on http://%s:%u\n", host, info ? info->port : (unsigned)port);
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return EXIT_OK;
}

static int
log_witness(int argc, char **argv)
{
    struct opts o;
    if (argc < 2) {
        return tool_fail(EXIT_USAGE, "log witness", "needs init, serve or cosign");
    }
    const char *sub = argv[1];
    int ex = parse_opts("log witness", argc - 2, argv + 2, &o);
    if (ex != EXIT_OK) {
        return ex;
    }
    if (!o.dir) {
        return tool_fail(EXIT_USAGE, "log witness", "--dir is required");
    }
    struct tl_witness *w = NULL;
    struct tl_diag d = {0};
    int rc;
    if (strcmp(sub, "init") == 0) {
        if (!o.name || o.n_logs == 0) {
            return tool_fail(EXIT_USAGE, "log witness init",
                             "--name and at least one --log are required");
        }
        rc = tl_witness_create(o.dir, o.name, o.logs, (size_t)o.n_logs, &w, &d);
        if (rc != TL_OK) {
            return tool_fail(tool_exit_code(rc), "log witness init", "%s", d.text);
        }
        printf("%s\n", tl_witness_vkey(w));
        tl_witness_free(w);
        return EXIT_OK;
    }
    rc = tl_witness_open(o.dir, &w, &d);
    if (rc != TL_OK) {
        return tool_fail(tool_exit_code(rc) == EXIT_INPUT ? EXIT_INPUT : EXIT_RUNTIME,
                         "log witness", "%s: %s", o.dir, d.text);
    }
    if (strcmp(sub, "serve") == 0) {
        ex = witness_serve(&o, w);
    } else if (strcmp(sub, "cosign") == 0) {
        char *req = NULL, *body = NULL;
        size_t len;
        int status = 0;
        if (slurp(o.input, &req, &len) != TL_OK) {
            ex = tool_fail(EXIT_INPUT, "log witness cosign", "cannot read the request");
        } else if (tl_witness_add_checkpoint(w, req, len, (uint64_t)time(NULL), &status, &body) !=
                   TL_OK) {
            ex = tool_fail(EXIT_RUNTIME, "log witness cosign", "cannot persist the witness state");
        } else if (status != 200) {
            ex = tool_fail(EXIT_INPUT, "log witness cosign", "%d %s", status, body);
        } else {
            fputs(body, stdout);
        }
        tl_free(req);
        tl_free(body);
    } else {
        ex = tool_fail(EXIT_USAGE, "log witness", "unknown command \"%s\"", sub);
    }
    tl_witness_free(w);
    return ex;
}

int
cmd_log(int argc, char **argv)
{
    struct opts o;
    if (argc < 2 || tool_wants_help(argc, argv)) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "witness") == 0) {
        return log_witness(argc - 1, argv + 1);
    }
    int ex = parse_opts("log", argc - 2, argv + 2, &o);
    if (ex != EXIT_OK) {
        return ex;
    }
    tool_log_to_stderr(0);
    if (strcmp(sub, "init") == 0) {
        return log_init(&o);
    }
    if (strcmp(sub, "append") == 0) {
        return log_append(&o);
    }
    if (strcmp(sub, "checkpoint") == 0) {
        return log_checkpoint(&o);
    }
    if (strcmp(sub, "prove") == 0) {
        return log_prove(&o);
    }
    if (strcmp(sub, "consistency") == 0) {
        return log_consistency(&o);
    }
    if (strcmp(sub, "entry") == 0) {
        return log_entry(&o);
    }
    if (strcmp(sub, "verify") == 0) {
        return log_verify(&o);
    }
    return tool_fail(EXIT_USAGE, "log", "unknown command \"%s\" (see truceline log --help)", sub);
}
