/*
 * policy.c - trust policies (c2sp.org/tlog-policy) and offline proof files
 * (c2sp.org/tlog-proof@v1).
 *
 * A policy lists the logs a verifier accepts, the witnesses it knows (for
 * truceline: one per contingent, named by its ISO 3166-1 code), and a quorum
 * built from k-of-n groups: "group neutral 2 IE CH AT", "quorum neutral".
 * Names share one namespace; a group may only name members defined on earlier
 * lines, and each name may be a member only once in the whole file, so the
 * group graph is a forest evaluated bottom-up.
 *
 * A proof file is the detached, offline evidence that a record is in the log:
 * the index, the inclusion proof and the cosigned checkpoint.  Verification
 * needs nothing but the entry bytes and the policy (or the log key).
 */
#include <inttypes.h>
#include <sodium.h>
#include <string.h>

#include "tlog_priv.h"

#define MAX_LOGS      32
#define MAX_WITNESSES 64
#define MAX_GROUPS    64
#define MAX_NODES     (MAX_WITNESSES + MAX_GROUPS)

struct node {
    char name[TL_TLOG_NAME_MAX + 1];
    int witness; /* index into witnesses, or -1 for a group */
    unsigned k;
    size_t n_members;
    int members[MAX_NODES];
    bool used; /* already a member of some group */
};

struct tl_policy {
    size_t n_logs, n_witnesses, n_nodes;
    struct tl_verifier *logs[MAX_LOGS];
    char *log_urls[MAX_LOGS];
    struct tl_verifier *witnesses[MAX_WITNESSES];
    char *witness_urls[MAX_WITNESSES];
    int witness_node[MAX_WITNESSES];
    struct node *nodes; /* MAX_NODES */
    int quorum;         /* node index, -1 for none, -2 when not yet defined */
};

void
tl_policy_free(struct tl_policy *p)
{
    if (!p) {
        return;
    }
    for (size_t i = 0; i < p->n_logs; i++) {
        tl_verifier_free(p->logs[i]);
        tl_free(p->log_urls[i]);
    }
    for (size_t i = 0; i < p->n_witnesses; i++) {
        tl_verifier_free(p->witnesses[i]);
        tl_free(p->witness_urls[i]);
    }
    tl_free(p->nodes);
    tl_free(p);
}

static int
find_node(const struct tl_policy *p, const char *name, size_t len)
{
    for (size_t i = 0; i < p->n_nodes; i++) {
        if (strlen(p->nodes[i].name) == len && memcmp(p->nodes[i].name, name, len) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static bool
same_key(const struct tl_verifier *a, const struct tl_verifier *b)
{
    return sodium_memcmp(tl__verifier_pk(a), tl__verifier_pk(b), 32) == 0;
}

/* Split a line into whitespace-separated fields; returns the count (max `max`). */
static size_t
fields(const char *s, size_t len, const char **f, size_t *fl, size_t max)
{
    size_t n = 0, i = 0;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\t')) {
            i++;
        }
        if (i >= len) {
            break;
        }
        size_t st = i;
        while (i < len && s[i] != ' ' && s[i] != '\t') {
            i++;
        }
        if (n < max) {
            f[n] = s + st;
            fl[n] = i - st;
        }
        n++;
    }
    return n;
}

static bool
is_word(const char *f, size_t fl, const char *w)
{
    return fl == strlen(w) && memcmp(f, w, fl) == 0;
}

static char *
dup_n(const char *s, size_t n)
{
    char *d = tl_malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int
parse_line(struct tl_policy *p, const char *line, size_t ll, struct tl_diag *diag)
{
    const char *f[MAX_NODES + 4];
    size_t fl[MAX_NODES + 4];
    size_t nf = fields(line, ll, f, fl, TL_ARRAY_LEN(f));
    struct tl_verifier *v = NULL;
    int rc;
    if (nf == 0 || f[0][0] == '#') {
        return TL_OK;
    }
    if (nf > TL_ARRAY_LEN(f)) {
        return tl__diag(diag, TL_EPARSE, "policy", "line has too many fields");
    }
    if (is_word(f[0], fl[0], "log")) {
        if (nf < 2 || nf > 3) {
            return tl__diag(diag, TL_EPARSE, "log", "expected: log <vkey> [<url>]");
        }
        if (p->n_logs >= MAX_LOGS) {
            return tl__diag(diag, TL_EPARSE, "log", "more than %d logs", MAX_LOGS);
        }
        rc = tl_verifier_parse(f[1], fl[1], &v, diag);
        if (rc != TL_OK) {
            return rc;
        }
        if (tl_verifier_type(v) != TL_SIG_ED25519) {
            tl_verifier_free(v);
            return tl__diag(diag, TL_EPARSE, "log", "log key must be an Ed25519 key (type 0x01)");
        }
        for (size_t i = 0; i < p->n_logs; i++) {
            if (same_key(p->logs[i], v)) {
                tl_verifier_free(v);
                return tl__diag(diag, TL_EPARSE, "log", "duplicate log key");
            }
        }
        p->log_urls[p->n_logs] = dup_n(nf == 3 ? f[2] : "", nf == 3 ? fl[2] : 0);
        p->logs[p->n_logs++] = v;
        return p->log_urls[p->n_logs - 1] ? TL_OK : TL_ENOMEM;
    }
    if (is_word(f[0], fl[0], "witness")) {
        if (nf < 3 || nf > 4) {
            return tl__diag(diag, TL_EPARSE, "witness", "expected: witness <name> <vkey> [<url>]");
        }
        if (p->n_witnesses >= MAX_WITNESSES) {
            return tl__diag(diag, TL_EPARSE, "witness", "more than %d witnesses", MAX_WITNESSES);
        }
        if (fl[1] > TL_TLOG_NAME_MAX || is_word(f[1], fl[1], "none") ||
            find_node(p, f[1], fl[1]) >= 0) {
            return tl__diag(diag, TL_EPARSE, "witness",
                            "name \"%.*s\" is reserved or already defined",
                            (int)(fl[1] > 64 ? 64 : fl[1]), f[1]);
        }
        rc = tl_verifier_parse(f[2], fl[2], &v, diag);
        if (rc != TL_OK) {
            return rc;
        }
        if (tl_verifier_type(v) != TL_SIG_COSIGN) {
            tl_verifier_free(v);
            return tl__diag(diag, TL_EPARSE, "witness",
                            "witness key must be a cosignature key (type 0x04)");
        }
        for (size_t i = 0; i < p->n_witnesses; i++) {
            if (same_key(p->witnesses[i], v)) {
                tl_verifier_free(v);
                return tl__diag(diag, TL_EPARSE, "witness", "duplicate witness key");
            }
        }
        size_t w = p->n_witnesses;
        p->witness_urls[w] = dup_n(nf == 4 ? f[3] : "", nf == 4 ? fl[3] : 0);
        p->witnesses[w] = v;
        p->n_witnesses++;
        if (!p->witness_urls[w]) {
            return TL_ENOMEM;
        }
        struct node *nd = &p->nodes[p->n_nodes];
        memcpy(nd->name, f[1], fl[1]);
        nd->name[fl[1]] = '\0';
        nd->witness = (int)w;
        p->witness_node[w] = (int)p->n_nodes++;
        return TL_OK;
    }
    if (is_word(f[0], fl[0], "group")) {
        if (nf < 4) {
            return tl__diag(diag, TL_EPARSE, "group",
                            "expected: group <name> all|any|<k> <member>...");
        }
        if (p->n_nodes >= MAX_NODES || p->n_nodes - p->n_witnesses >= MAX_GROUPS) {
            return tl__diag(diag, TL_EPARSE, "group", "more than %d groups", MAX_GROUPS);
        }
        if (fl[1] > TL_TLOG_NAME_MAX || is_word(f[1], fl[1], "none") ||
            find_node(p, f[1], fl[1]) >= 0) {
            return tl__diag(diag, TL_EPARSE, "group",
                            "name \"%.*s\" is reserved or already defined",
                            (int)(fl[1] > 64 ? 64 : fl[1]), f[1]);
        }
        size_t n = nf - 3;
        uint64_t k;
        if (is_word(f[2], fl[2], "all")) {
            k = n;
        } else if (is_word(f[2], fl[2], "any")) {
            k = 1;
        } else if (!tl__parse_u64(f[2], fl[2], &k) || k < 1 || k > n) {
            return tl__diag(diag, TL_EPARSE, "group",
                            "threshold must be all, any or a number from 1 to %zu", n);
        }
        struct node *nd = &p->nodes[p->n_nodes];
        memset(nd, 0, sizeof(*nd));
        for (size_t i = 0; i < n; i++) {
            int m = find_node(p, f[3 + i], fl[3 + i]);
            if (m < 0) {
                return tl__diag(diag, TL_EPARSE, "group", "member \"%.*s\" is not defined above",
                                (int)(fl[3 + i] > 64 ? 64 : fl[3 + i]), f[3 + i]);
            }
            if (p->nodes[m].used) {
                return tl__diag(diag, TL_EPARSE, "group", "member \"%s\" is listed twice",
                                p->nodes[m].name);
            }
            p->nodes[m].used = true;
            nd->members[i] = m;
        }
        memcpy(nd->name, f[1], fl[1]);
        nd->name[fl[1]] = '\0';
        nd->witness = -1;
        nd->k = (unsigned)k;
        nd->n_members = n;
        p->n_nodes++;
        return TL_OK;
    }
    if (is_word(f[0], fl[0], "quorum")) {
        if (nf != 2) {
            return tl__diag(diag, TL_EPARSE, "quorum", "expected: quorum <name>");
        }
        if (p->quorum != -2) {
            return tl__diag(diag, TL_EPARSE, "quorum", "more than one quorum line");
        }
        if (is_word(f[1], fl[1], "none")) {
            p->quorum = -1;
            return TL_OK;
        }
        int m = find_node(p, f[1], fl[1]);
        if (m < 0) {
            return tl__diag(diag, TL_EPARSE, "quorum", "quorum \"%.*s\" is not defined above",
                            (int)(fl[1] > 64 ? 64 : fl[1]), f[1]);
        }
        p->quorum = m;
        return TL_OK;
    }
    return tl__diag(diag, TL_EPARSE, "policy", "unknown keyword \"%.*s\"",
                    (int)(fl[0] > 32 ? 32 : fl[0]), f[0]);
}

int
tl_policy_parse(const char *text, size_t len, struct tl_policy **out, struct tl_diag *diag)
{
    if (!text || !out) {
        return TL_EINVAL;
    }
    struct tl_policy *p = tl_calloc(1, sizeof(*p));
    if (!p) {
        return TL_ENOMEM;
    }
    p->nodes = tl_calloc(MAX_NODES, sizeof(struct node));
    if (!p->nodes) {
        tl_free(p);
        return TL_ENOMEM;
    }
    p->quorum = -2;
    int rc = TL_OK;
    long line_no = 0;
    for (size_t pos = 0; pos < len;) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        line_no++;
        if (diag) {
            diag->line = line_no;
        }
        for (size_t i = 0; i < ll; i++) {
            unsigned char c = (unsigned char)line[i];
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                rc = tl__diag(diag, TL_EPARSE, "policy", "control character 0x%02x", c);
                goto fail;
            }
        }
        rc = parse_line(p, line, ll, diag);
        if (rc != TL_OK) {
            goto fail;
        }
        pos += ll + (nl ? 1 : 0);
    }
    if (p->quorum == -2) {
        if (diag) {
            diag->line = 0;
        }
        rc = tl__diag(diag, TL_EPARSE, "quorum", "policy has no quorum line");
        goto fail;
    }
    if (diag) {
        diag->line = 0;
    }
    *out = p;
    return TL_OK;
fail:
    tl_policy_free(p);
    return rc;
}

size_t
tl_policy_log_count(const struct tl_policy *p)
{
    return p->n_logs;
}

const struct tl_verifier *
tl_policy_log(const struct tl_policy *p, size_t i)
{
    return i < p->n_logs ? p->logs[i] : NULL;
}

size_t
tl_policy_witness_count(const struct tl_policy *p)
{
    return p->n_witnesses;
}

const char *
tl_policy_witness_name(const struct tl_policy *p, size_t i)
{
    return i < p->n_witnesses ? p->nodes[p->witness_node[i]].name : NULL;
}

const struct tl_verifier *
tl_policy_witness_key(const struct tl_policy *p, size_t i)
{
    return i < p->n_witnesses ? p->witnesses[i] : NULL;
}

const char *
tl_policy_witness_url(const struct tl_policy *p, size_t i)
{
    return i < p->n_witnesses ? p->witness_urls[i] : NULL;
}

static bool
node_met(const struct tl_policy *p, int m, const bool *cosigned)
{
    const struct node *nd = &p->nodes[m];
    if (nd->witness >= 0) {
        return cosigned[nd->witness];
    }
    unsigned c = 0;
    for (size_t i = 0; i < nd->n_members; i++) {
        c += node_met(p, nd->members[i], cosigned);
    }
    return c >= nd->k;
}

bool
tl_policy_quorum_met(const struct tl_policy *p, const bool *cosigned)
{
    return p->quorum == -1 || node_met(p, p->quorum, cosigned);
}

int
tl_policy_verify_checkpoint(const struct tl_policy *p,
                            const char *note,
                            size_t len,
                            struct tl_checkpoint *out,
                            struct tl_diag *diag)
{
    const struct tl_verifier *vs[MAX_LOGS + MAX_WITNESSES];
    bool cosigned[MAX_WITNESSES] = {false};
    struct tl_note *n = NULL;
    struct tl_checkpoint cp;
    size_t nv = 0;
    for (size_t i = 0; i < p->n_logs; i++) {
        vs[nv++] = p->logs[i];
    }
    for (size_t i = 0; i < p->n_witnesses; i++) {
        vs[nv++] = p->witnesses[i];
    }
    int rc = tl_note_open(note, len, vs, nv, &n, diag);
    if (rc != TL_OK) {
        return rc;
    }
    size_t tl;
    const char *text = tl_note_text(n, &tl);
    rc = tl_checkpoint_parse(text, tl, &cp, diag);
    if (rc != TL_OK) {
        goto done;
    }
    const struct tl_verifier *log = NULL;
    size_t n_cosigned = 0;
    for (size_t i = 0; i < tl_note_sig_count(n); i++) {
        int v = tl_note_sig_verifier(n, i);
        if (v >= 0 && (size_t)v < p->n_logs) {
            log = p->logs[v];
        } else if (v >= 0 && !cosigned[(size_t)v - p->n_logs]) {
            cosigned[(size_t)v - p->n_logs] = true;
            n_cosigned++;
        }
    }
    if (!log) {
        rc = tl__diag(diag, TL_ECRYPTO, "signature",
                      "checkpoint is not signed by a log of the policy");
        goto done;
    }
    if (strcmp(cp.origin, tl_verifier_name(log)) != 0) {
        rc = tl__diag(diag, TL_ECRYPTO, "origin", "origin \"%s\" is not the log key's name \"%s\"",
                      cp.origin, tl_verifier_name(log));
        goto done;
    }
    if (!tl_policy_quorum_met(p, cosigned)) {
        rc = tl__diag(diag, TL_ECRYPTO, "quorum", "quorum not met: %zu of %zu witnesses cosigned",
                      n_cosigned, p->n_witnesses);
        goto done;
    }
    *out = cp;
done:
    tl_note_free(n);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Proof files                                                               */
/* ------------------------------------------------------------------------ */

/* Standard base64 alphabet, length a multiple of 4, padding only at the end. */
static bool
b64_form_ok(const char *s, size_t n)
{
    if (n == 0 || n % 4 != 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '+' || c == '/';
        bool pad = c == '=' && i >= n - 2 && (i == n - 1 || s[n - 1] == '=');
        if (!alpha && !pad) {
            return false;
        }
    }
    return true;
}

int
tl_proof_file_parse(const char *text, size_t len, struct tl_proof_file *out, struct tl_diag *diag)
{
    static const char magic[] = "c2sp.org/tlog-proof@v1";
    struct tl_proof_file pf;
    memset(&pf, 0, sizeof(pf));
    size_t pos = 0;
    long line_no = 0;
    int state = 0; /* 0 magic, 1 extra or index, 2 proof lines */
    if (!text || !out) {
        return TL_EINVAL;
    }
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        line_no++;
        if (diag) {
            diag->line = line_no;
        }
        if (!nl) {
            return tl__diag(diag, TL_EPARSE, "proof", "line does not end with a newline");
        }
        size_t ll = (size_t)(nl - line);
        pos += ll + 1;
        if (state == 0) {
            if (ll != sizeof(magic) - 1 || memcmp(line, magic, ll) != 0) {
                return tl__diag(diag, TL_EPARSE, "proof",
                                "first line is not c2sp.org/tlog-proof@v1");
            }
            state = 1;
        } else if (state == 1 && ll > 6 && memcmp(line, "extra ", 6) == 0 && !pf.has_extra) {
            /* Only the form is checked: the data is unauthenticated and unused here. */
            if (!b64_form_ok(line + 6, ll - 6)) {
                return tl__diag(diag, TL_EPARSE, "extra", "extra data is not base64");
            }
            pf.has_extra = true;
        } else if (state == 1) {
            if (ll < 6 || memcmp(line, "index ", 6) != 0 ||
                !tl__parse_u64(line + 6, ll - 6, &pf.index)) {
                return tl__diag(diag, TL_EPARSE, "index",
                                "expected \"index <decimal>\" without leading zeros");
            }
            state = 2;
        } else if (ll == 0) {
            if (diag) {
                diag->line = 0;
            }
            if (pos >= len) {
                return tl__diag(diag, TL_EPARSE, "checkpoint", "proof has no checkpoint");
            }
            pf.checkpoint = text + pos;
            pf.checkpoint_len = len - pos;
            *out = pf;
            return TL_OK;
        } else {
            if (pf.n_proof >= TL_TLOG_PROOF_MAX) {
                return tl__diag(diag, TL_EPARSE, "proof", "more than 64 proof hashes");
            }
            if (tl_tlog_hash_parse(line, ll, pf.proof[pf.n_proof], NULL) != TL_OK) {
                return tl__diag(diag, TL_EPARSE, "proof", "proof line is not base64 of 32 bytes");
            }
            pf.n_proof++;
        }
    }
    if (diag) {
        diag->line = 0;
    }
    return tl__diag(diag, TL_EPARSE, "proof",
                    state < 2 ? "proof has no index line"
                              : "proof has no blank line before the checkpoint");
}

int
tl_proof_file_verify(const char *text,
                     size_t len,
                     const void *entry,
                     size_t entry_len,
                     const struct tl_verifier *log_key,
                     const struct tl_policy *policy,
                     struct tl_checkpoint *cp_out,
                     struct tl_diag *diag)
{
    struct tl_proof_file pf;
    struct tl_checkpoint cp;
    uint8_t leaf[TL_HASH_SIZE];
    int rc = tl_proof_file_parse(text, len, &pf, diag);
    if (rc != TL_OK) {
        return rc;
    }
    if (policy) {
        rc = tl_policy_verify_checkpoint(policy, pf.checkpoint, pf.checkpoint_len, &cp, diag);
    } else if (log_key) {
        rc = tl_checkpoint_open(pf.checkpoint, pf.checkpoint_len, log_key, &cp, diag);
    } else {
        return TL_EINVAL;
    }
    if (rc != TL_OK) {
        return rc;
    }
    tl_tlog_leaf_hash(entry, entry_len, leaf);
    rc = tl_tlog_verify_inclusion(leaf, pf.index, cp.size, (const uint8_t(*)[TL_HASH_SIZE])pf.proof,
                                  pf.n_proof, cp.root, diag);
    if (rc == TL_OK && cp_out) {
        *cp_out = cp;
    }
    return rc;
}
