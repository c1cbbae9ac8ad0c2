/*
 * tokens.c - access tokens: creation, listing, revocation, checking.
 *
 * A token is "tl1_<id>_<secret>": the row id in the tokens table, so the
 * server finds the row without scanning, and 32 random bytes in base64url.
 * Only BLAKE2b-256(key = 16-byte per-token salt, secret) is stored; checking
 * recomputes it and compares in constant time, so a copy of the database
 * gives no usable token.  Revocation sets revoked_ns; the server reads the
 * table on every request (one indexed row), so a token revoked from the
 * command line while the server runs stops working at its next request.
 *
 * Every change is written with an audit row in the same transaction.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <truceline/server.h>
#include <truceline/time.h>

#include "../util/util.h"
#include "store.h"

#define SALT_BYTES   16
#define SECRET_BYTES 32

const char *
tl_role_name(enum tl_role r)
{
    switch (r) {
    case TL_ROLE_PARTY:
        return "party";
    case TL_ROLE_ANALYST:
        return "analyst";
    case TL_ROLE_STATION:
        return "station";
    default:
        return "public";
    }
}

int
tl_role_parse(const char *s, enum tl_role *out)
{
    static const enum tl_role all[] = {TL_ROLE_PUBLIC, TL_ROLE_PARTY, TL_ROLE_ANALYST,
                                       TL_ROLE_STATION};

    for (size_t i = 0; s && i < TL_ARRAY_LEN(all); i++) {
        if (strcmp(s, tl_role_name(all[i])) == 0) {
            *out = all[i];
            return TL_OK;
        }
    }
    return TL_EINVAL;
}

int
tl__data_db_path(const char *data_dir, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s/truceline.db", data_dir);
    return n > 0 && (size_t)n < size ? TL_OK : TL_EINVAL;
}

static void
hash_secret(const uint8_t salt[SALT_BYTES], const char *secret, size_t len, uint8_t out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)secret, len, salt, SALT_BYTES);
}

static bool
label_ok(const char *label)
{
    size_t n = label ? strlen(label) : 0;
    if (n == 0 || n > 127) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)label[i];
        if (c < 0x20 || c == 0x7f) {
            return false;
        }
    }
    return true;
}

struct add_ctx {
    enum tl_role role;
    const char *station, *label;
    uint8_t salt[SALT_BYTES];
    uint8_t hash[32];
    int64_t id;
};

static int
add_job(struct tl__conn *c, void *vctx)
{
    struct add_ctx *a = vctx;
    tl_time_ns now = tl_time_now();
    sqlite3_stmt *st = tl__stmt(c, "INSERT INTO tokens(role, station, label, salt, hash, "
                                   "created_ns) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st) {
        return TL_ESTORE;
    }
    sqlite3_bind_text(st, 1, tl_role_name(a->role), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->station, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, a->label, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, a->salt, SALT_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, a->hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    int rc = tl__sqlrc(c, sqlite3_step(st), "token add");
    if (rc != TL_OK) {
        return rc;
    }
    a->id = sqlite3_last_insert_rowid(c->db);
    char target[32], detail[256];
    snprintf(target, sizeof(target), "token/%lld", (long long)a->id);
    snprintf(detail, sizeof(detail), "{\"role\":\"%s\",\"station\":\"%s\"}", tl_role_name(a->role),
             a->station ? a->station : "");
    return tl__audit(c, now, "cli", "token.add", target, detail);
}

/* Open the data directory's database for a short offline use. */
static int
open_offline(const char *data_dir, bool create, struct tl__store **out, struct tl_diag *diag)
{
    char path[4096];
    if (!data_dir || tl__data_db_path(data_dir, path, sizeof(path)) != TL_OK) {
        return tl__diag(diag, TL_EINVAL, "data", "bad data directory");
    }
    struct stat sb;
    if (stat(data_dir, &sb) != 0) {
        if (!create) {
            return tl__diag(diag, TL_ENOTFOUND, "data", "%s: %s", data_dir, strerror(errno));
        }
        if (mkdir(data_dir, 0700) != 0) {
            return tl__diag(diag, TL_EIO, "data", "%s: %s", data_dir, strerror(errno));
        }
    } else if (!create && stat(path, &sb) != 0) {
        return tl__diag(diag, TL_ENOTFOUND, "data", "%s: no database (start the server once)",
                        path);
    }
    return tl__store_open(path, 1, false, out, diag);
}

int
tl_token_add(const char *data_dir,
             enum tl_role role,
             const char *station,
             const char *label,
             char **token_out,
             int64_t *id_out,
             struct tl_diag *diag)
{
    if (!token_out || tl_role_name(role) == NULL || (unsigned)role > TL_ROLE_STATION) {
        return tl__diag(diag, TL_EINVAL, "role", "unknown role");
    }
    if (role == TL_ROLE_STATION && (!station || !tl_valid_station_id(station))) {
        return tl__diag(diag, TL_EINVAL, "station",
                        "a station token needs a station id (1-5 of A-Z 0-9)");
    }
    if (role != TL_ROLE_STATION && station) {
        return tl__diag(diag, TL_EINVAL, "station", "only station tokens name a station");
    }
    if (!label_ok(label)) {
        return tl__diag(diag, TL_EINVAL, "label", "label: 1-127 printable bytes");
    }
    if (sodium_init() < 0) {
        return tl__diag(diag, TL_ECRYPTO, NULL, "libsodium failed to initialise");
    }
    uint8_t secret[SECRET_BYTES];
    char secret_text[64];
    randombytes_buf(secret, sizeof(secret));
    sodium_bin2base64(secret_text, sizeof(secret_text), secret, sizeof(secret),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(secret, sizeof(secret));
    struct add_ctx a = {.role = role, .station = station, .label = label};
    randombytes_buf(a.salt, sizeof(a.salt));
    hash_secret(a.salt, secret_text, strlen(secret_text), a.hash);

    struct tl__store *s = NULL;
    int rc = open_offline(data_dir, true, &s, diag);
    if (rc == TL_OK) {
        rc = tl__store_write(s, add_job, &a);
        if (rc != TL_OK) {
            tl__diag(diag, rc, NULL, "cannot store the token");
        }
    }
    tl__store_close(s);
    if (rc == TL_OK) {
        char *t = tl_malloc(TL_TOKEN_MAX);
        if (!t) {
            rc = TL_ENOMEM;
        } else {
            snprintf(t, TL_TOKEN_MAX, "tl1_%lld_%s", (long long)a.id, secret_text);
            *token_out = t;
            if (id_out) {
                *id_out = a.id;
            }
        }
    }
    sodium_memzero(secret_text, sizeof(secret_text));
    return rc;
}

int
tl_token_list(const char *data_dir, struct tl_token_info **out, size_t *n, struct tl_diag *diag)
{
    struct tl__store *s = NULL;
    int rc = open_offline(data_dir, false, &s, diag);
    if (rc != TL_OK) {
        return rc;
    }
    struct tl_token_info *v = NULL;
    size_t cnt = 0, cap = 0;
    struct tl__conn *c = tl__store_reader(s);
    sqlite3_stmt *st = tl__stmt(c, "SELECT id, role, station, label, created_ns, revoked_ns "
                                   "FROM tokens ORDER BY id");
    if (!st) {
        rc = TL_ESTORE;
    }
    while (rc == TL_OK) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) {
            break;
        }
        if (step != SQLITE_ROW) {
            rc = tl__sqlrc(c, step, "token list");
            break;
        }
        if ((rc = tl__grow((void **)&v, &cap, cnt + 1, sizeof(*v), 1u << 24)) != TL_OK) {
            break;
        }
        struct tl_token_info *t = &v[cnt++];
        memset(t, 0, sizeof(*t));
        t->id = sqlite3_column_int64(st, 0);
        if (tl_role_parse((const char *)sqlite3_column_text(st, 1), &t->role) != TL_OK) {
            t->role = TL_ROLE_PUBLIC;
        }
        if (sqlite3_column_type(st, 2) == SQLITE_TEXT) {
            tl__strlcpy(t->station, (const char *)sqlite3_column_text(st, 2), sizeof(t->station));
        }
        tl__strlcpy(t->label, (const char *)sqlite3_column_text(st, 3), sizeof(t->label));
        t->created_ns = sqlite3_column_int64(st, 4);
        t->revoked_ns = sqlite3_column_int64(st, 5);
    }
    tl__store_release(s, c);
    tl__store_close(s);
    if (rc != TL_OK) {
        tl_free(v);
        return rc;
    }
    *out = v;
    *n = cnt;
    return TL_OK;
}

struct revoke_ctx {
    int64_t id;
};

static int
revoke_job(struct tl__conn *c, void *vctx)
{
    struct revoke_ctx *r = vctx;
    tl_time_ns now = tl_time_now();
    sqlite3_stmt *st =
        tl__stmt(c, "UPDATE tokens SET revoked_ns = ?1 WHERE id = ?2 AND revoked_ns IS NULL");
    if (!st) {
        return TL_ESTORE;
    }
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, r->id);
    int rc = tl__sqlrc(c, sqlite3_step(st), "token revoke");
    if (rc != TL_OK) {
        return rc;
    }
    if (sqlite3_changes(c->db) != 1) {
        return TL_ENOTFOUND;
    }
    char target[32];
    snprintf(target, sizeof(target), "token/%lld", (long long)r->id);
    return tl__audit(c, now, "cli", "token.revoke", target, NULL);
}

int
tl_token_revoke(const char *data_dir, int64_t id, struct tl_diag *diag)
{
    struct tl__store *s = NULL;
    int rc = open_offline(data_dir, false, &s, diag);
    if (rc != TL_OK) {
        return rc;
    }
    struct revoke_ctx r = {id};
    rc = tl__store_write(s, revoke_job, &r);
    tl__store_close(s);
    if (rc == TL_ENOTFOUND) {
        tl__diag(diag, rc, "id", "no valid token %lld", (long long)id);
    }
    return rc;
}

int
tl__token_check(struct tl__conn *c, const char *text, size_t len, struct tl_token_info *out)
{
    /* tl1_<id>_<secret>: parse without trusting anything */
    if (len < 6 || len >= TL_TOKEN_MAX || memcmp(text, "tl1_", 4) != 0) {
        return TL_ECRYPTO;
    }
    size_t i = 4;
    int64_t id = 0;
    while (i < len && text[i] >= '0' && text[i] <= '9' && i < 22) {
        id = id * 10 + (text[i] - '0');
        i++;
    }
    if (i == 4 || i >= len || text[i] != '_' || len - i - 1 == 0) {
        return TL_ECRYPTO;
    }
    const char *secret = text + i + 1;
    size_t slen = len - i - 1;
    sqlite3_stmt *st = tl__stmt(c, "SELECT role, station, label, salt, hash, created_ns, "
                                   "revoked_ns FROM tokens WHERE id = ?1");
    if (!st) {
        return TL_ESTORE;
    }
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        return TL_ECRYPTO;
    }
    if (step != SQLITE_ROW) {
        return tl__sqlrc(c, step, "token check");
    }
    int rc = TL_ECRYPTO;
    if (sqlite3_column_bytes(st, 3) == SALT_BYTES && sqlite3_column_bytes(st, 4) == 32 &&
        sqlite3_column_type(st, 6) == SQLITE_NULL) {
        uint8_t h[32];
        hash_secret(sqlite3_column_blob(st, 3), secret, slen, h);
        if (sodium_memcmp(h, sqlite3_column_blob(st, 4), 32) == 0) {
            struct tl_token_info t;
            memset(&t, 0, sizeof(t));
            t.id = id;
            if (tl_role_parse((const char *)sqlite3_column_text(st, 0), &t.role) == TL_OK) {
                if (sqlite3_column_type(st, 1) == SQLITE_TEXT) {
                    tl__strlcpy(t.station, (const char *)sqlite3_column_text(st, 1),
                                sizeof(t.station));
                }
                tl__strlcpy(t.label, (const char *)sqlite3_column_text(st, 2), sizeof(t.label));
                t.created_ns = sqlite3_column_int64(st, 5);
                *out = t;
                rc = TL_OK;
            }
        }
    }
    sqlite3_reset(st);
    return rc;
}
