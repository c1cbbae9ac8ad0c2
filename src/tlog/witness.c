/*
 * witness.c - the witness side of c2sp.org/tlog-witness, and the offline
 * auditor of a tile directory.
 *
 * A witness keeps, for each log origin it trusts, the latest checkpoint it
 * cosigned, and cosigns a new checkpoint only if a consistency proof shows it
 * extends that one.  The request is "old N", the proof lines, a blank line and
 * the signed checkpoint; the answers are 200 (cosignature lines), 400
 * (malformed, old size above the checkpoint's), 403 (no valid signature by a
 * trusted key), 404 (unknown origin), 409 (old size is not ours: the body
 * tells the right one, content type text/x.tlog.size), 422 (bad proof, wrong
 * empty root, same size with another root).
 *
 * The check of the old size and the write of the new state happen under one
 * mutex and with the state written durably before the answer, so two racing
 * requests can never roll the witness back (the race the spec describes).
 * The HTTP server is the tool's business (tools/cmd_log.c); this file only
 * turns a request body into a status and a response body, which is also what
 * `truceline log witness cosign` uses offline.
 *
 * The auditor re-derives every hash of a log directory from its entry bundles
 * and compares every tile file with it, then compares the root with a
 * checkpoint verified against the log key.  It trusts nothing on disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlog_priv.h"

#define MAX_LOGS 64

struct tl_witness {
    int dirfd, lockfd;
    struct tl_signer *signer;
    char *vkey;
    struct tl_verifier *logs[MAX_LOGS];
    size_t n_logs;
    pthread_mutex_t mu;
};

void
tl_witness_free(struct tl_witness *w)
{
    if (!w) {
        return;
    }
    if (w->lockfd >= 0) {
        close(w->lockfd);
    }
    if (w->dirfd >= 0) {
        close(w->dirfd);
    }
    tl_signer_free(w->signer);
    tl_free(w->vkey);
    for (size_t i = 0; i < w->n_logs; i++) {
        tl_verifier_free(w->logs[i]);
    }
    pthread_mutex_destroy(&w->mu);
    tl_free(w);
}

const char *
tl_witness_vkey(const struct tl_witness *w)
{
    return w->vkey;
}

static int
parse_logs(struct tl_witness *w, const char *text, size_t len, struct tl_diag *diag)
{
    long line_no = 0;
    for (size_t pos = 0; pos < len;) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + 1;
        line_no++;
        if (ll == 0 || line[0] == '#') {
            continue;
        }
        if (diag) {
            diag->line = line_no;
        }
        if (w->n_logs >= MAX_LOGS) {
            return tl__diag(diag, TL_EPARSE, "logs", "more than %d logs", MAX_LOGS);
        }
        struct tl_verifier *v = NULL;
        int rc = tl_verifier_parse(line, ll, &v, diag);
        if (rc != TL_OK) {
            return rc;
        }
        if (tl_verifier_type(v) != TL_SIG_ED25519) {
            tl_verifier_free(v);
            return tl__diag(diag, TL_EPARSE, "logs", "log key must be an Ed25519 key (type 0x01)");
        }
        w->logs[w->n_logs++] = v;
    }
    if (diag) {
        diag->line = 0;
    }
    return TL_OK;
}

static int
witness_load(struct tl_witness *w, struct tl_diag *diag)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = tl__read_file(w->dirfd, "witness.key", 4096, &data, &len);
    if (rc != TL_OK) {
        return tl__diag(diag, rc, "witness", "cannot read witness.key");
    }
    rc = tl_signer_parse((const char *)data, len, &w->signer, diag);
    sodium_memzero(data, len);
    tl_free(data);
    if (rc != TL_OK) {
        return rc;
    }
    rc = tl_signer_vkey(w->signer, &w->vkey);
    if (rc != TL_OK) {
        return rc;
    }
    rc = tl__read_file(w->dirfd, "logs", 1 << 20, &data, &len);
    if (rc != TL_OK) {
        return tl__diag(diag, rc, "witness", "cannot read logs");
    }
    rc = parse_logs(w, (const char *)data, len, diag);
    tl_free(data);
    return rc;
}

static int
witness_lock(struct tl_witness *w, struct tl_diag *diag)
{
    if (tl__mkdirs(w->dirfd, "state/lock") != TL_OK) {
        return tl__diag(diag, TL_EIO, "witness", "cannot create state: %s", strerror(errno));
    }
    w->lockfd = openat(w->dirfd, "state/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (w->lockfd < 0) {
        return tl__diag(diag, TL_EIO, "witness", "cannot open state/lock: %s", strerror(errno));
    }
    if (flock(w->lockfd, LOCK_EX | LOCK_NB) != 0) {
        return tl__diag(diag, TL_ESTATE, "witness", "the witness is in use by another process");
    }
    return TL_OK;
}

static struct tl_witness *
witness_alloc(void)
{
    struct tl_witness *w = tl_calloc(1, sizeof(*w));
    if (w) {
        w->dirfd = -1;
        w->lockfd = -1;
        pthread_mutex_init(&w->mu, NULL);
    }
    return w;
}

int
tl_witness_open(const char *dir, struct tl_witness **out, struct tl_diag *diag)
{
    if (!dir || !out) {
        return TL_EINVAL;
    }
    struct tl_witness *w = witness_alloc();
    if (!w) {
        return TL_ENOMEM;
    }
    int rc = TL_OK;
    w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->dirfd < 0) {
        rc = tl__diag(diag, errno == ENOENT ? TL_ENOTFOUND : TL_EIO, "witness",
                      "cannot open %s: %s", dir, strerror(errno));
    }
    if (rc == TL_OK) {
        rc = witness_lock(w, diag);
    }
    if (rc == TL_OK) {
        rc = witness_load(w, diag);
    }
    if (rc != TL_OK) {
        tl_witness_free(w);
        return rc;
    }
    *out = w;
    return TL_OK;
}

int
tl_witness_create(const char *dir,
                  const char *name,
                  const char *const *log_vkeys,
                  size_t n,
                  struct tl_witness **out,
                  struct tl_diag *diag)
{
    struct tl__buf logs = {0};
    struct tl_signer *s = NULL;
    char *skey = NULL;
    int dirfd = -1, rc = TL_OK;
    if (!dir || !name || !out) {
        return TL_EINVAL;
    }
    if (!tl__note_name_ok(name, strlen(name))) {
        return tl__diag(diag, TL_EINVAL, "name",
                        "witness name must be 1 to 255 bytes without spaces or '+'");
    }
    for (size_t i = 0; i < n && rc == TL_OK; i++) {
        struct tl_verifier *v = NULL;
        rc = tl_verifier_parse(log_vkeys[i], strlen(log_vkeys[i]), &v, diag);
        if (rc == TL_OK && tl_verifier_type(v) != TL_SIG_ED25519) {
            rc = tl__diag(diag, TL_ECRYPTO, "log", "log key must be an Ed25519 key (type 0x01)");
        }
        tl_verifier_free(v);
        if (rc == TL_OK) {
            rc = tl__buf_printf(&logs, 1 << 20, "%s\n", log_vkeys[i]);
        }
    }
    if (rc == TL_OK && mkdir(dir, 0755) != 0 && errno != EEXIST) {
        rc = tl__diag(diag, TL_EIO, "witness", "cannot create %s: %s", dir, strerror(errno));
    }
    if (rc == TL_OK) {
        dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
            rc = tl__diag(diag, TL_EIO, "witness", "cannot open %s: %s", dir, strerror(errno));
        }
    }
    if (rc == TL_OK && faccessat(dirfd, "witness.key", F_OK, 0) == 0) {
        rc = tl__diag(diag, TL_EEXIST, "witness", "%s already holds a witness", dir);
    }
    if (rc == TL_OK) {
        rc = tl_signer_generate(name, TL_SIG_COSIGN, &s);
    }
    if (rc == TL_OK) {
        rc = tl_signer_format(s, &skey);
    }
    if (rc == TL_OK) {
        size_t kl = strlen(skey);
        skey[kl] = '\n';
        rc = tl__write_file(dirfd, "witness.key", skey, kl + 1, 0600, NULL);
        sodium_memzero(skey, kl + 1);
        if (rc == TL_OK) {
            char *vk = NULL;
            rc = tl_signer_vkey(s, &vk);
            if (rc == TL_OK) {
                struct tl__buf b = {0};
                rc = tl__buf_printf(&b, 4096, "%s\n", vk);
                if (rc == TL_OK) {
                    rc = tl__write_file(dirfd, "witness.vkey", b.p, b.len, 0644, NULL);
                }
                tl__buf_free(&b);
            }
            tl_free(vk);
        }
        if (rc == TL_OK) {
            rc = tl__write_file(dirfd, "logs", logs.p ? logs.p : "", logs.len, 0644, NULL);
        }
        if (rc != TL_OK) {
            rc = tl__diag(diag, rc, "witness", "cannot write the witness files");
        }
    }
    tl_free(skey);
    tl_signer_free(s);
    tl__buf_free(&logs);
    if (dirfd >= 0) {
        close(dirfd);
    }
    if (rc != TL_OK) {
        return rc;
    }
    return tl_witness_open(dir, out, diag);
}

static void
origin_hash_hex(const char *origin, char hex[65])
{
    uint8_t h[TL_HASH_SIZE];
    crypto_hash_sha256(h, (const uint8_t *)origin, strlen(origin));
    sodium_bin2hex(hex, 65, h, sizeof(h));
}

/* The stored checkpoint for `origin` (size 0 and the empty root when none). */
static int
load_latest(struct tl_witness *w,
            const char *origin,
            const struct tl_verifier *log_key,
            struct tl_checkpoint *cp)
{
    char hex[65], path[128];
    uint8_t *data = NULL;
    size_t len = 0;
    origin_hash_hex(origin, hex);
    snprintf(path, sizeof(path), "state/%s", hex);
    int rc = tl__read_file(w->dirfd, path, TL_NOTE_MAX, &data, &len);
    if (rc == TL_ENOTFOUND) {
        memset(cp, 0, sizeof(*cp));
        crypto_hash_sha256(cp->root, NULL, 0);
        return TL_OK;
    }
    if (rc != TL_OK) {
        return rc;
    }
    rc = tl_checkpoint_open((const char *)data, len, log_key, cp, NULL);
    tl_free(data);
    return rc == TL_OK || rc == TL_ENOMEM ? rc : TL_ESTORE;
}

static int reply(int *status, char **body_out, int code, const char *fmt, ...) TL_PRINTF(4, 5);

static int
reply(int *status, char **body_out, int code, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char *b = tl_strdup(buf);
    if (!b) {
        return TL_ENOMEM;
    }
    *status = code;
    *body_out = b;
    return TL_OK;
}

int
tl_witness_add_checkpoint(struct tl_witness *w,
                          const char *body,
                          size_t len,
                          uint64_t now_s,
                          int *status,
                          char **body_out)
{
    uint64_t old;
    uint8_t proof[64][TL_HASH_SIZE];
    size_t np = 0, pos = 0;
    struct tl_diag d = {0};
    if (!w || !body || !status || !body_out) {
        return TL_EINVAL;
    }
    /* old size line */
    const char *nl = memchr(body, '\n', len);
    if (!nl || (size_t)(nl - body) < 5 || memcmp(body, "old ", 4) != 0 ||
        !tl__parse_u64(body + 4, (size_t)(nl - body) - 4, &old)) {
        return reply(status, body_out, 400, "malformed old size line\n");
    }
    pos = (size_t)(nl - body) + 1;
    /* proof lines up to the blank line */
    for (;;) {
        const char *line = body + pos;
        nl = pos < len ? memchr(line, '\n', len - pos) : NULL;
        if (!nl) {
            return reply(status, body_out, 400, "missing blank line before the checkpoint\n");
        }
        size_t ll = (size_t)(nl - line);
        pos += ll + 1;
        if (ll == 0) {
            break;
        }
        if (np >= 63) {
            return reply(status, body_out, 400, "more than 63 proof lines\n");
        }
        if (tl_tlog_hash_parse(line, ll, proof[np], NULL) != TL_OK) {
            return reply(status, body_out, 400, "proof line %zu is not base64 of 32 bytes\n",
                         np + 1);
        }
        np++;
    }
    const char *note = body + pos;
    size_t note_len = len - pos;
    /* origin: the first line of the checkpoint */
    const char *onl = memchr(note, '\n', note_len);
    if (!onl || onl == note || (size_t)(onl - note) > TL_TLOG_NAME_MAX) {
        return reply(status, body_out, 400, "malformed checkpoint\n");
    }
    char origin[TL_TLOG_NAME_MAX + 1];
    memcpy(origin, note, (size_t)(onl - note));
    origin[onl - note] = '\0';
    const struct tl_verifier *keys[MAX_LOGS];
    size_t nk = 0;
    for (size_t i = 0; i < w->n_logs; i++) {
        if (strcmp(tl_verifier_name(w->logs[i]), origin) == 0) {
            keys[nk++] = w->logs[i];
        }
    }
    if (nk == 0) {
        return reply(status, body_out, 404, "unknown log origin\n");
    }
    struct tl_note *n = NULL;
    int rc = tl_note_open(note, note_len, keys, nk, &n, &d);
    if (rc == TL_ECRYPTO) {
        return reply(status, body_out, 403, "%s\n", d.text);
    }
    if (rc == TL_ENOMEM) {
        return rc;
    }
    if (rc != TL_OK) {
        return reply(status, body_out, 400, "%s\n", d.text);
    }
    struct tl_checkpoint cp;
    size_t text_len;
    const char *text = tl_note_text(n, &text_len);
    const struct tl_verifier *log_key = NULL;
    for (size_t i = 0; i < tl_note_sig_count(n); i++) {
        if (tl_note_sig_verifier(n, i) >= 0) {
            log_key = keys[tl_note_sig_verifier(n, i)];
        }
    }
    rc = tl_checkpoint_parse(text, text_len, &cp, &d);
    if (rc != TL_OK) {
        tl_note_free(n);
        return reply(status, body_out, 400, "%s\n", d.text);
    }
    if (old > cp.size) {
        tl_note_free(n);
        return reply(status, body_out, 400, "old size %" PRIu64 " is above the checkpoint size\n",
                     old);
    }
    pthread_mutex_lock(&w->mu);
    struct tl_checkpoint latest;
    char *line = NULL;
    struct tl__buf state = {0};
    rc = load_latest(w, origin, log_key, &latest);
    if (rc != TL_OK) {
        rc = rc == TL_ENOMEM ? rc : TL_EIO;
        goto done;
    }
    if (old != latest.size) {
        rc = reply(status, body_out, 409, "%" PRIu64 "\n", latest.size);
        goto done;
    }
    uint8_t empty[TL_HASH_SIZE];
    crypto_hash_sha256(empty, NULL, 0);
    if (cp.size == 0 && sodium_memcmp(cp.root, empty, TL_HASH_SIZE) != 0) {
        rc = reply(status, body_out, 422, "a tree of size 0 must have the empty root\n");
        goto done;
    }
    if (old == 0 && np != 0) {
        rc = reply(status, body_out, 422, "proof must be empty when the old size is 0\n");
        goto done;
    }
    if (old > 0 &&
        tl_tlog_verify_consistency(old, cp.size, latest.root, cp.root,
                                   (const uint8_t(*)[TL_HASH_SIZE])proof, np, &d) != TL_OK) {
        rc = reply(status, body_out, 422, "consistency proof does not verify: %s\n", d.text);
        goto done;
    }
    rc = tl_note_sign(w->signer, text, text_len, now_s, &line);
    if (rc != TL_OK) {
        goto done;
    }
    /* Persist the checkpoint with the log's signature(s) and ours before answering. */
    rc = tl__buf_add(&state, text, text_len, TL_NOTE_MAX * 2);
    if (rc == TL_OK) {
        rc = tl__buf_add(&state, "\n", 1, TL_NOTE_MAX * 2);
    }
    for (size_t i = 0; rc == TL_OK && i < tl_note_sig_count(n); i++) {
        if (tl_note_sig_verifier(n, i) >= 0) {
            size_t ll;
            const char *sl = tl_note_sig_line(n, i, &ll);
            rc = tl__buf_add(&state, sl, ll, TL_NOTE_MAX * 2);
        }
    }
    if (rc == TL_OK) {
        rc = tl__buf_add(&state, line, strlen(line), TL_NOTE_MAX * 2);
    }
    if (rc == TL_OK) {
        char hex[65], path[128];
        origin_hash_hex(origin, hex);
        snprintf(path, sizeof(path), "state/%s", hex);
        rc = tl__write_file(w->dirfd, path, state.p, state.len, 0644, NULL);
    }
    if (rc == TL_OK) {
        *status = 200;
        *body_out = line;
        line = NULL;
    }
done:
    pthread_mutex_unlock(&w->mu);
    tl__buf_free(&state);
    tl_free(line);
    tl_note_free(n);
    return rc;
}

int
tl_witness_latest(struct tl_witness *w, const char *origin_hash_hex, char **note_out)
{
    char path[128];
    uint8_t *data = NULL;
    size_t len = 0;
    if (strlen(origin_hash_hex) != 64 || strspn(origin_hash_hex, "0123456789abcdef") != 64) {
        return TL_ENOTFOUND;
    }
    snprintf(path, sizeof(path), "state/%s", origin_hash_hex);
    pthread_mutex_lock(&w->mu);
    int rc = tl__read_file(w->dirfd, path, TL_NOTE_MAX * 2, &data, &len);
    pthread_mutex_unlock(&w->mu);
    if (rc != TL_OK) {
        return rc;
    }
    *note_out = (char *)data;
    return TL_OK;
}

/* ------------------------------------------------------------------------ */
/* Offline audit of a tile directory                                         */
/* ------------------------------------------------------------------------ */

struct leaves {
    uint8_t (*h)[TL_HASH_SIZE];
    uint64_t n;
};

static int
add_leaf(void *ud, size_t i, const uint8_t *entry, size_t n)
{
    struct leaves *lv = ud;
    (void)i;
    tl_tlog_leaf_hash(entry, n, lv->h[lv->n++]);
    return TL_OK;
}

/* Read tile file (level, t) of `w` hashes or entries; falls back to the full file. */
static int
read_tile_any(int dirfd,
              int level,
              uint64_t t,
              unsigned w,
              uint8_t **data,
              size_t *len,
              char *path,
              size_t psize)
{
    size_t max = level < 0 ? (size_t)TL__TILE_WIDTH * (TL_TLOG_ENTRY_MAX + 2)
                           : TL__TILE_WIDTH * TL_HASH_SIZE;
    tl_tile_path(level, t, w, path, psize);
    int rc = tl__read_file(dirfd, path, max, data, len);
    if (rc == TL_ENOTFOUND && w < TL__TILE_WIDTH) {
        char full[128];
        tl_tile_path(level, t, TL__TILE_WIDTH, full, sizeof(full));
        rc = tl__read_file(dirfd, full, max, data, len);
    }
    return rc;
}

int
tl_tlog_audit_dir(const char *dir,
                  const char *note,
                  size_t len,
                  const struct tl_verifier *log_key,
                  struct tl_checkpoint *cp_out,
                  struct tl_diag *diag)
{
    struct tl_checkpoint cp;
    struct leaves lv = {0};
    uint8_t(*level)[TL_HASH_SIZE] = NULL, (*upper)[TL_HASH_SIZE] = NULL;
    char path[128];
    int rc = tl_checkpoint_open(note, len, log_key, &cp, diag);
    if (rc != TL_OK) {
        return rc;
    }
    if (cp.size > (UINT64_C(1) << 32)) {
        return tl__diag(diag, TL_ETOOBIG, "size", "audit is limited to 2^32 entries");
    }
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        return tl__diag(diag, TL_ENOTFOUND, "dir", "cannot open %s", dir);
    }
    lv.h = tl_malloc((size_t)(cp.size + 1) * TL_HASH_SIZE);
    level = tl_malloc((size_t)(cp.size / 256 + 1) * TL_HASH_SIZE);
    upper = tl_malloc((size_t)(cp.size / 256 + 1) * TL_HASH_SIZE);
    if (!lv.h || !level || !upper) {
        rc = TL_ENOMEM;
        goto done;
    }
    /* Entries -> leaf hashes. */
    for (uint64_t t = 0; t * 256 < cp.size; t++) {
        unsigned w = cp.size - t * 256 >= 256 ? 256 : (unsigned)(cp.size - t * 256);
        uint8_t *data = NULL;
        size_t dl = 0;
        uint64_t before = lv.n;
        rc = read_tile_any(dirfd, -1, t, w, &data, &dl, path, sizeof(path));
        if (rc != TL_OK) {
            rc =
                tl__diag(diag, rc == TL_ENOTFOUND ? TL_ENOTFOUND : rc, "tile", "%s: missing", path);
            goto done;
        }
        /* A full bundle used for a partial one: only its first w entries count. */
        struct leaves tmp = {.h = lv.h + lv.n, .n = 0};
        uint8_t(*spare)[TL_HASH_SIZE] = NULL;
        if (w < 256) {
            spare = tl_malloc(256 * TL_HASH_SIZE);
            if (!spare) {
                tl_free(data);
                rc = TL_ENOMEM;
                goto done;
            }
            tmp.h = spare;
        }
        rc = tl_bundle_parse(data, dl, add_leaf, &tmp, diag);
        tl_free(data);
        if (rc == TL_OK && tmp.n < w) {
            rc = tl__diag(diag, TL_ECRYPTO, "tile", "%s: has %" PRIu64 " entries, needs %u", path,
                          tmp.n, w);
        }
        if (spare) {
            memcpy(lv.h + lv.n, spare, (size_t)w * TL_HASH_SIZE);
            tl_free(spare);
        }
        if (rc != TL_OK) {
            goto done;
        }
        lv.n = before + w;
    }
    /* Every hash tile, level by level, against hashes computed from below. */
    uint8_t(*cur)[TL_HASH_SIZE] = lv.h;
    uint64_t count = cp.size;
    for (int l = 0; count > 0 && l < TL__LEVELS; l++) {
        for (uint64_t t = 0; t * 256 < count; t++) {
            unsigned w = count - t * 256 >= 256 ? 256 : (unsigned)(count - t * 256);
            uint8_t *data = NULL;
            size_t dl = 0;
            rc = read_tile_any(dirfd, l, t, w, &data, &dl, path, sizeof(path));
            if (rc != TL_OK) {
                rc = tl__diag(diag, rc, "tile", "%s: missing", path);
                goto done;
            }
            if (dl < (size_t)w * TL_HASH_SIZE ||
                memcmp(data, cur[t * 256], (size_t)w * TL_HASH_SIZE) != 0) {
                tl_free(data);
                rc =
                    tl__diag(diag, TL_ECRYPTO, "tile", "%s: hashes do not match the entries", path);
                goto done;
            }
            tl_free(data);
        }
        uint64_t up = count / 256;
        for (uint64_t j = 0; j < up; j++) {
            tl__merkle_perfect((const uint8_t(*)[TL_HASH_SIZE])cur + j * 256, 256, level[j]);
        }
        memcpy(upper, level, (size_t)up * TL_HASH_SIZE);
        cur = upper;
        count = up;
    }
    uint8_t root[TL_HASH_SIZE];
    tl_tlog_root_from_leaves((const uint8_t(*)[TL_HASH_SIZE])lv.h, cp.size, root);
    if (sodium_memcmp(root, cp.root, TL_HASH_SIZE) != 0) {
        rc = tl__diag(diag, TL_ECRYPTO, "root", "the entries do not give the checkpoint's root");
        goto done;
    }
    if (cp_out) {
        *cp_out = cp;
    }
    rc = TL_OK;
done:
    close(dirfd);
    tl_free(lv.h);
    tl_free(level);
    tl_free(upper);
    return rc;
}
