/*
 * ingest.c - POST /v1/stations/{id}/records: signed, replay-proof, durable, idempotent.
 *
 * A station sends its records in batches (a JSON Lines body).  Each request
 * carries the header
 *
 *     X-Truceline-Signature: seq=<n>, sig=<base64 Ed25519 signature>
 *
 * over the canonical text "truceline-ingest-v1\nPOST\n<path>\n<n>\n<hex
 * SHA-256 of the body>\n", made with the station's key, whose public half is in
 * the mission file.  The order of the checks is chosen so that nobody without
 * the key can change anything, or even spend the station's rate budget:
 *
 *   1. the station exists and has a key (404 / 403), the token if any fits (401/403);
 *   2. the signature verifies (401): from here on the request is the station's;
 *   3. the station's rate budget has room (429 with Retry-After);
 *   4. every line is a valid record of this station (400 listing line: reason;
 *      the batch is all or nothing: one bad line and nothing is stored, so a
 *      station never has to work out which half of a batch went in);
 *   5. in the writer's transaction: the sequence number is above the last one
 *      accepted (409 otherwise, saying whether that very batch is stored, so a
 *      station that lost an acknowledgement knows it may move on), the batch
 *      row (body, signature: the evidence), each record unless already stored
 *      (duplicates count once), the station's counters;
 *   6. 202 only after the commit, which is fsync'd: an acknowledged record
 *      survives kill -9.
 *
 * Sequence numbers need only increase (gaps are fine), so a station may use
 * its clock in microseconds and survive a reboot without stored state.
 */
#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include <truceline/time.h>

#include "server_priv.h"

#define CANON_MAX 256

/* ------------------------------------------------------------ signature -- */

static bool
is_space(char c)
{
    return c == ' ' || c == '\t';
}

int
tl__sig_parse(const char *hdr, size_t len, struct tl__sig *out, char *msg, size_t size)
{
    struct tl__sig s;
    memset(&s, 0, sizeof(s));
    bool have_seq = false, have_sig = false;
    size_t i = 0;
    if (len > TL_SIGNATURE_MAX) {
        snprintf(msg, size, "signature header longer than %d bytes", TL_SIGNATURE_MAX);
        return TL_EPARSE;
    }
    while (i < len) {
        while (i < len && is_space(hdr[i])) {
            i++;
        }
        size_t k0 = i;
        while (i < len && hdr[i] != '=' && hdr[i] != ',' && !is_space(hdr[i])) {
            i++;
        }
        size_t klen = i - k0;
        if (i >= len || hdr[i] != '=') {
            snprintf(msg, size, "expected seq=<n>, sig=<base64>");
            return TL_EPARSE;
        }
        i++;
        size_t v0 = i;
        while (i < len && hdr[i] != ',' && !is_space(hdr[i])) {
            i++;
        }
        size_t vlen = i - v0;
        while (i < len && is_space(hdr[i])) {
            i++;
        }
        if (i < len) {
            if (hdr[i] != ',') {
                snprintf(msg, size, "expected ',' between parameters");
                return TL_EPARSE;
            }
            i++;
            if (i >= len) {
                snprintf(msg, size, "trailing ','");
                return TL_EPARSE;
            }
        }
        if (klen == 3 && memcmp(hdr + k0, "seq", 3) == 0) {
            if (have_seq) {
                snprintf(msg, size, "seq given twice");
                return TL_EPARSE;
            }
            if (vlen == 0 || vlen > 19 || hdr[v0] == '0') {
                snprintf(msg, size, "seq: expected a decimal number from 1 to 2^63-1");
                return TL_EPARSE;
            }
            uint64_t v = 0;
            for (size_t j = 0; j < vlen; j++) {
                char c = hdr[v0 + j];
                if (c < '0' || c > '9') {
                    snprintf(msg, size, "seq: expected a decimal number from 1 to 2^63-1");
                    return TL_EPARSE;
                }
                v = v * 10 + (uint64_t)(c - '0');
            }
            if (v > (uint64_t)INT64_MAX) {
                snprintf(msg, size, "seq: expected a decimal number from 1 to 2^63-1");
                return TL_EPARSE;
            }
            s.seq = v;
            have_seq = true;
        } else if (klen == 3 && memcmp(hdr + k0, "sig", 3) == 0) {
            if (have_sig) {
                snprintf(msg, size, "sig given twice");
                return TL_EPARSE;
            }
            size_t bin_len = 0;
            const char *end = NULL;
            if (vlen != 88 ||
                sodium_base642bin(s.sig, sizeof(s.sig), hdr + v0, vlen, NULL, &bin_len, &end,
                                  sodium_base64_VARIANT_ORIGINAL) != 0 ||
                bin_len != 64 || end != hdr + v0 + vlen) {
                snprintf(msg, size, "sig: expected the base64 of a 64-byte Ed25519 signature");
                return TL_EPARSE;
            }
            have_sig = true;
        } else {
            snprintf(msg, size, "unknown parameter (expected seq and sig)");
            return TL_EPARSE;
        }
    }
    if (!have_seq || !have_sig) {
        snprintf(msg, size, "missing %s", have_seq ? "sig" : "seq");
        return TL_EPARSE;
    }
    *out = s;
    return TL_OK;
}

size_t
tl__sig_canonical(const char *method,
                  const char *path,
                  uint64_t seq,
                  const uint8_t body_sha256[32],
                  char *buf,
                  size_t size)
{
    char hex[65];
    sodium_bin2hex(hex, sizeof(hex), body_sha256, 32);
    int n = snprintf(buf, size, "truceline-ingest-v1\n%s\n%s\n%" PRIu64 "\n%s\n", method, path, seq,
                     hex);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

int
tl_ingest_sign(const uint8_t seed[32],
               const char *method,
               const char *path,
               uint64_t seq,
               const void *body,
               size_t len,
               char out[TL_SIGNATURE_MAX])
{
    if (!seed || !method || !path || (!body && len) || seq == 0 || seq > (uint64_t)INT64_MAX ||
        sodium_init() < 0) {
        return TL_EINVAL;
    }
    uint8_t pk[32], sk[64], sha[32], sig[64];
    crypto_sign_seed_keypair(pk, sk, seed);
    crypto_hash_sha256(sha, body ? body : (const void *)"", len);
    char canon[CANON_MAX];
    size_t cl = tl__sig_canonical(method, path, seq, sha, canon, sizeof(canon));
    if (cl == 0) {
        sodium_memzero(sk, sizeof(sk));
        return TL_EINVAL;
    }
    crypto_sign_detached(sig, NULL, (const unsigned char *)canon, cl, sk);
    sodium_memzero(sk, sizeof(sk));
    char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, TL_SIGNATURE_MAX, "seq=%" PRIu64 ", sig=%s", seq, b64);
    return TL_OK;
}

/* ---------------------------------------------------------------- batch -- */

void
tl__record_dkey(const struct tl_record *r, char *buf, size_t size)
{
    switch (r->type) {
    case TL_REC_PICK:
        if (r->u.pick.id[0]) {
            snprintf(buf, size, "p:%s", r->u.pick.id);
        } else {
            snprintf(buf, size, "p@%" PRId64, r->u.pick.t_ns);
        }
        break;
    case TL_REC_MET:
        snprintf(buf, size, "m@%" PRId64, r->u.met.t_ns);
        break;
    default:
        snprintf(buf, size, "s@%" PRId64, r->u.status.t_ns);
        break;
    }
}

static void
add_bad(struct tl__batch *b, long line, const char *reason)
{
    b->n_bad_total++;
    if (b->n_bad < TL__MAX_BAD_LINES) {
        b->bad[b->n_bad].line = line;
        tl__strlcpy(b->bad[b->n_bad].reason, reason, sizeof(b->bad[0].reason));
        b->n_bad++;
    }
}

int
tl__batch_parse(const char *body,
                size_t len,
                const char *station,
                const struct tl_mission *m,
                const struct tl__batch_limits *lim,
                struct tl__batch *out)
{
    memset(out, 0, sizeof(*out));
    long lineno = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(body + pos, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - (body + pos)) : len - pos;
        const char *line = body + pos;
        pos += l + (nl ? 1 : 0);
        lineno++;
        if (l > 0 && line[l - 1] == '\r') {
            l--;
        }
        bool blank = true;
        for (size_t i = 0; i < l && blank; i++) {
            blank = line[i] == ' ' || line[i] == '\t';
        }
        if (blank) {
            continue;
        }
        if (out->n + out->n_bad_total >= lim->max_records) {
            out->too_many = true;
            break;
        }
        if (l > lim->max_line_bytes) {
            char why[64];
            snprintf(why, sizeof(why), "line longer than %zu bytes", lim->max_line_bytes);
            add_bad(out, lineno, why);
            continue;
        }
        struct tl_record rec;
        struct tl_diag d;
        memset(&d, 0, sizeof(d));
        int rc = tl_record_parse(line, l, m, &rec, &d);
        char why[200];
        if (rc != TL_OK) {
            snprintf(why, sizeof(why), "%s%s%s", d.field, d.field[0] ? ": " : "",
                     d.text[0] ? d.text : tl_strerror(rc));
            add_bad(out, lineno, why);
            continue;
        }
        if (strcmp(tl_record_station(&rec), station) != 0) {
            snprintf(why, sizeof(why), "station: a record of %s in a batch of %s",
                     tl_record_station(&rec), station);
            add_bad(out, lineno, why);
            continue;
        }
        if (tl_record_time(&rec) > lim->not_after_ns) {
            add_bad(out, lineno, "time: later than the server's clock allows");
            continue;
        }
        if (tl__grow((void **)&out->recs, &out->cap, out->n + 1, sizeof(*out->recs),
                     lim->max_records) != TL_OK) {
            tl__batch_fini(out);
            return TL_ENOMEM;
        }
        struct tl__brec *br = &out->recs[out->n++];
        br->line = line;
        br->len = l;
        br->type = (int)rec.type;
        br->state = rec.type == TL_REC_STATUS ? (int)rec.u.status.state : -1;
        br->t_ns = tl_record_time(&rec);
        tl__record_dkey(&rec, br->dkey, sizeof(br->dkey));
    }
    return TL_OK;
}

void
tl__batch_fini(struct tl__batch *b)
{
    tl_free(b->recs);
    b->recs = NULL;
    b->n = b->cap = 0;
}

/* --------------------------------------------------------------- handler -- */

struct ingest_job {
    const char *station;
    uint64_t seq;
    const uint8_t *sha, *sig;
    const char *body;
    size_t len;
    const struct tl__batch *b;
    tl_time_ns now;
    int64_t token;
    /* results */
    int64_t batch_id, last_seq;
    long stored, dups;
    bool conflict, conflict_stored;
};

static int
ingest_job(struct tl__conn *c, void *vctx)
{
    struct ingest_job *j = vctx;
    sqlite3_stmt *st = tl__stmt(c, "SELECT last_seq FROM stations WHERE id = ?1");
    if (!st) {
        return TL_ESTORE;
    }
    sqlite3_bind_text(st, 1, j->station, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    int64_t last = 0;
    if (step == SQLITE_ROW) {
        last = sqlite3_column_int64(st, 0);
    } else if (step != SQLITE_DONE) {
        return tl__sqlrc(c, step, "ingest: station");
    }
    sqlite3_reset(st);
    if ((int64_t)j->seq <= last) {
        j->conflict = true;
        j->last_seq = last;
        st = tl__stmt(c, "SELECT body_sha256 FROM batches WHERE station = ?1 AND seq = ?2");
        if (!st) {
            return TL_ESTORE;
        }
        sqlite3_bind_text(st, 1, j->station, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)j->seq);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32 &&
            memcmp(sqlite3_column_blob(st, 0), j->sha, 32) == 0) {
            j->conflict_stored = true;
        }
        sqlite3_reset(st);
        return TL_EDUP;
    }
    st = tl__stmt(c,
                  "INSERT INTO batches(station, seq, received_ns, body_sha256, signature, body, "
                  "lines, stored, duplicates, token) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 0, ?8)");
    if (!st) {
        return TL_ESTORE;
    }
    sqlite3_bind_text(st, 1, j->station, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)j->seq);
    sqlite3_bind_int64(st, 3, j->now);
    sqlite3_bind_blob(st, 4, j->sha, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, j->sig, 64, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 6, j->body, j->len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, (int64_t)j->b->n);
    if (j->token >= 0) {
        sqlite3_bind_int64(st, 8, j->token);
    } else {
        sqlite3_bind_null(st, 8);
    }
    int rc = tl__sqlrc(c, sqlite3_step(st), "ingest: batch");
    if (rc != TL_OK) {
        return rc;
    }
    j->batch_id = sqlite3_last_insert_rowid(c->db);
    st = tl__stmt(c, "INSERT INTO records(station, dkey, type, t_ns, batch, received_ns, line) "
                     "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(station, dkey) DO NOTHING");
    if (!st) {
        return TL_ESTORE;
    }
    long picks = 0;
    tl_time_ns tmax = INT64_MIN;
    for (size_t i = 0; i < j->b->n; i++) {
        const struct tl__brec *br = &j->b->recs[i];
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, j->station, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, br->dkey, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, br->type);
        sqlite3_bind_int64(st, 4, br->t_ns);
        sqlite3_bind_int64(st, 5, j->batch_id);
        sqlite3_bind_int64(st, 6, j->now);
        sqlite3_bind_text64(st, 7, br->line, br->len, SQLITE_STATIC, SQLITE_UTF8);
        if ((rc = tl__sqlrc(c, sqlite3_step(st), "ingest: record")) != TL_OK) {
            return rc;
        }
        if (sqlite3_changes(c->db) == 1) {
            j->stored++;
            picks += br->type == TL_REC_PICK;
            if (br->t_ns > tmax) {
                tmax = br->t_ns;
            }
        } else {
            j->dups++;
        }
    }
    sqlite3_reset(st);
    st = tl__stmt(c, "UPDATE batches SET stored = ?1, duplicates = ?2 WHERE id = ?3");
    if (!st) {
        return TL_ESTORE;
    }
    sqlite3_bind_int64(st, 1, j->stored);
    sqlite3_bind_int64(st, 2, j->dups);
    sqlite3_bind_int64(st, 3, j->batch_id);
    if ((rc = tl__sqlrc(c, sqlite3_step(st), "ingest: batch counts")) != TL_OK) {
        return rc;
    }
    st = tl__stmt(c,
                  "INSERT INTO stations(id, last_seq, batches, records, picks, duplicates, "
                  "last_record_ns, last_received_ns) VALUES(?1, ?2, 1, ?3, ?4, ?5, ?6, ?7) "
                  "ON CONFLICT(id) DO UPDATE SET last_seq = excluded.last_seq, "
                  "batches = batches + 1, records = records + excluded.records, "
                  "picks = picks + excluded.picks, duplicates = duplicates + excluded.duplicates, "
                  "last_record_ns = max(coalesce(last_record_ns, excluded.last_record_ns), "
                  "coalesce(excluded.last_record_ns, last_record_ns)), "
                  "last_received_ns = excluded.last_received_ns");
    if (!st) {
        return TL_ESTORE;
    }
    sqlite3_bind_text(st, 1, j->station, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)j->seq);
    sqlite3_bind_int64(st, 3, j->stored);
    sqlite3_bind_int64(st, 4, picks);
    sqlite3_bind_int64(st, 5, j->dups);
    if (tmax != INT64_MIN) {
        sqlite3_bind_int64(st, 6, tmax);
    } else {
        sqlite3_bind_null(st, 6);
    }
    sqlite3_bind_int64(st, 7, j->now);
    if ((rc = tl__sqlrc(c, sqlite3_step(st), "ingest: station counters")) != TL_OK) {
        return rc;
    }
    /* the station's latest reported state */
    const struct tl__brec *latest = NULL;
    for (size_t i = 0; i < j->b->n; i++) {
        const struct tl__brec *br = &j->b->recs[i];
        if (br->state >= 0 && (!latest || br->t_ns >= latest->t_ns)) {
            latest = br;
        }
    }
    if (!latest) {
        return TL_OK;
    }
    st = tl__stmt(c, "UPDATE stations SET status_state = ?2, status_ns = ?3 WHERE id = ?1 AND "
                     "(status_ns IS NULL OR status_ns <= ?3)");
    if (!st) {
        return TL_ESTORE;
    }
    sqlite3_bind_text(st, 1, j->station, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, tl_state_name((enum tl_station_state)latest->state), -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, latest->t_ns);
    return tl__sqlrc(c, sqlite3_step(st), "ingest: station state");
}

/* Token bucket of the station: take n records' worth or say when to retry. */
static bool
rate_take(struct tl_server *s, long si, size_t n, double *retry_s)
{
    tl_time_ns now = tl_time_now();
    pthread_mutex_lock(&s->rate_mu);
    struct tl__bucket *b = &s->buckets[si];
    if (b->at_ns == 0) {
        b->tokens = s->cfg.station_burst;
    } else {
        double dt = (double)(now - b->at_ns) / 1e9;
        b->tokens += dt * s->cfg.station_rate;
        if (b->tokens > s->cfg.station_burst) {
            b->tokens = s->cfg.station_burst;
        }
    }
    b->at_ns = now;
    bool ok = b->tokens >= (double)n;
    if (ok) {
        b->tokens -= (double)n;
    } else {
        *retry_s = ((double)n - b->tokens) / s->cfg.station_rate;
    }
    pthread_mutex_unlock(&s->rate_mu);
    return ok;
}

static size_t
count_lines(const char *body, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        n += body[i] == '\n';
    }
    return n + (len > 0 && body[len - 1] != '\n');
}

int
tl__handle_ingest(struct tl__req *r)
{
    struct tl_server *s = r->s;
    const char *station = r->route.arg;
    long si = tl_mission_find_station(s->mission, station);
    if (si < 0) {
        return tl__respond_error(r, 404, "unknown_station", NULL,
                                 "station %s is not in the mission", station);
    }
    const struct tl_station *sta = tl_mission_station(s->mission, (size_t)si);
    if (!sta->has_key) {
        return tl__respond_error(r, 403, "no_key", NULL,
                                 "station %s has no key in the mission: it cannot send records",
                                 station);
    }
    if (r->have_token && (r->tok.role != TL_ROLE_STATION || strcmp(r->tok.station, station) != 0)) {
        return tl__respond_error(r, 403, "forbidden", NULL,
                                 "this token may not send records for station %s", station);
    }
    if (!r->have_token && s->cfg.station_token_required) {
        return tl__respond_error(r, 401, "unauthenticated", NULL,
                                 "a station token is required (Authorization: Bearer ...)");
    }
    if (r->body_toobig) {
        return tl__respond_error(r, 413, "too_big", NULL, "body larger than %zu bytes",
                                 s->cfg.max_body_bytes);
    }
    const char *hdr = tl__req_header(r, TL_SIGNATURE_HEADER);
    if (!hdr) {
        return tl__respond_error(r, 401, "unsigned", NULL, "missing %s header",
                                 TL_SIGNATURE_HEADER);
    }
    struct tl__sig sig;
    char msg[160];
    if (tl__sig_parse(hdr, strlen(hdr), &sig, msg, sizeof(msg)) != TL_OK) {
        return tl__respond_error(r, 401, "bad_signature", NULL, "%s: %s", TL_SIGNATURE_HEADER, msg);
    }
    uint8_t sha[32];
    crypto_hash_sha256(sha, (const unsigned char *)(r->body ? r->body : ""), r->body_len);
    char path[64], canon[CANON_MAX];
    snprintf(path, sizeof(path), "/v1/stations/%s/records", station);
    size_t cl = tl__sig_canonical("POST", path, sig.seq, sha, canon, sizeof(canon));
    if (cl == 0 ||
        crypto_sign_verify_detached(sig.sig, (const unsigned char *)canon, cl, sta->key) != 0) {
        return tl__respond_error(r, 401, "bad_signature", NULL,
                                 "the signature does not verify with station %s's key", station);
    }
    /* authenticated as the station from here on */
    size_t nlines = count_lines(r->body ? r->body : "", r->body_len);
    if (nlines > s->cfg.max_batch_records) {
        return tl__respond_error(r, 413, "too_many_records", NULL,
                                 "a batch holds at most %zu records", s->cfg.max_batch_records);
    }
    if ((double)nlines > s->cfg.station_burst) {
        return tl__respond_error(r, 413, "too_many_records", NULL,
                                 "a batch of %zu records exceeds the station's burst of %.0f",
                                 nlines, s->cfg.station_burst);
    }
    double retry_s = 0;
    if (!rate_take(s, si, nlines, &retry_s)) {
        json_t *x = json_pack("{s:f}", "retry_after_s", retry_s);
        return tl__respond_error_with(r, 429, "rate_limited", x,
                                      "station %s is over %.0f records/s; retry in %.2f s", station,
                                      s->cfg.station_rate, retry_s);
    }
    struct tl__batch b;
    struct tl__batch_limits lim = {s->cfg.max_batch_records, s->cfg.max_line_bytes,
                                   s->cfg.max_future_ns < 0 ? INT64_MAX
                                                            : tl_time_now() + s->cfg.max_future_ns};
    if (tl__batch_parse(r->body ? r->body : "", r->body_len, station, s->mission, &lim, &b) !=
        TL_OK) {
        return tl__respond_error(r, 503, "no_memory", NULL, "out of memory; retry later");
    }
    int ret;
    if (b.too_many) {
        ret = tl__respond_error(r, 413, "too_many_records", NULL,
                                "a batch holds at most %zu records", s->cfg.max_batch_records);
        goto done;
    }
    if (b.n_bad_total > 0) {
        json_t *lines = json_array();
        int bad = 0;
        for (size_t i = 0; i < b.n_bad; i++) {
            bad |= json_array_append_new(lines,
                                         json_pack("{s:I,s:s}", "line", (json_int_t)b.bad[i].line,
                                                   "reason", b.bad[i].reason));
        }
        json_t *x = json_pack("{s:o,s:I}", "lines", lines, "bad_lines", (json_int_t)b.n_bad_total);
        if (bad || !x) {
            /* not a 400 that names some of the bad lines only */
            json_decref(x);
            ret = tl__respond_error(r, 503, "no_memory", NULL, "out of memory; retry later");
            goto done;
        }
        ret = tl__respond_error(r, 400, "bad_records", x,
                                "%zu of the batch's lines are not valid records of %s; nothing "
                                "was stored",
                                b.n_bad_total, station);
        goto done;
    }
    if (b.n == 0) {
        ret = tl__respond_error(r, 400, "empty", NULL, "the batch holds no records");
        goto done;
    }
    struct ingest_job j = {.station = station,
                           .seq = sig.seq,
                           .sha = sha,
                           .sig = sig.sig,
                           .body = r->body,
                           .len = r->body_len,
                           .b = &b,
                           .now = tl_time_now(),
                           .token = r->have_token ? r->tok.id : -1};
    int rc = tl__store_write(s->store, ingest_job, &j);
    if (rc == TL_EDUP && j.conflict) {
        json_t *x =
            json_pack("{s:I,s:b}", "last_seq", (json_int_t)j.last_seq, "stored", j.conflict_stored);
        ret = tl__respond_error_with(
            r, 409, j.conflict_stored ? "replay" : "out_of_sequence", x,
            j.conflict_stored ? "batch seq %" PRIu64 " is already stored (last seq %" PRId64 ")"
                              : "seq %" PRIu64 " is not above the last accepted seq %" PRId64,
            sig.seq, j.last_seq);
        goto done;
    }
    if (rc != TL_OK) {
        ret = tl__respond_error(r, 503, "store_failed", NULL,
                                "the batch could not be stored; nothing was kept, retry");
        goto done;
    }
    atomic_fetch_add(&s->n_ingest_batches, 1);
    atomic_fetch_add(&s->n_ingest_records, (long)b.n);
    atomic_fetch_add(&s->n_ingest_stored, j.stored);
    atomic_fetch_add(&s->n_ingest_dups, j.dups);
    tl__live_kick(s);
    json_t *ok =
        json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}", "station", station, "seq", (json_int_t)sig.seq,
                  "batch", (json_int_t)j.batch_id, "records", (json_int_t)b.n, "stored",
                  (json_int_t)j.stored, "duplicates", (json_int_t)j.dups);
    ret = tl__respond_json(r, 202, ok);
done:
    tl__batch_fini(&b);
    return ret;
}
