/*
 * store.c - the server's SQLite database: schema, connections, group commit.
 *
 * Why one writer.  SQLite allows one writer at a time whatever we do; letting
 * every HTTP thread open its own write transaction would only move the queue
 * into SQLite's busy handler, with a commit (and an fsync) per request.  A
 * single writer thread instead drains a queue of jobs: it begins one
 * transaction, runs each queued job inside its own SAVEPOINT (so a job that
 * fails, say a batch with a stale sequence number, is rolled back alone),
 * commits once, and wakes every waiter.  Under load a commit carries dozens of
 * batches for one fsync; when idle a job is committed at once.  This is the
 * group commit of the transparency log (src/tlog/log.c) applied to SQLite.
 *
 * Durability.  journal_mode=WAL with synchronous=FULL makes COMMIT fsync the
 * WAL before it returns, so a waiter woken with TL_OK holds an acknowledgement
 * that survives kill -9 and power loss.  Checkpoints of the WAL into the main
 * file happen automatically in the writer (SQLite's default threshold).
 *
 * Readers.  Request handlers borrow one of a few reader connections (opened
 * query_only) from a pool; in WAL mode they read a consistent snapshot while
 * the writer commits.
 */
#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <truceline/time.h>

#include "../util/util.h"

#define SCHEMA_VERSION "1"
#define MAX_GROUP_JOBS 512

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"
    "CREATE TABLE IF NOT EXISTS stations("
    "  id TEXT PRIMARY KEY,"
    "  last_seq INTEGER NOT NULL DEFAULT 0,"
    "  batches INTEGER NOT NULL DEFAULT 0,"
    "  records INTEGER NOT NULL DEFAULT 0,"
    "  picks INTEGER NOT NULL DEFAULT 0,"
    "  duplicates INTEGER NOT NULL DEFAULT 0,"
    "  last_record_ns INTEGER,"
    "  last_received_ns INTEGER,"
    "  status_state TEXT,"
    "  status_ns INTEGER) STRICT;"
    "CREATE TABLE IF NOT EXISTS batches("
    "  id INTEGER PRIMARY KEY,"
    "  station TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  received_ns INTEGER NOT NULL,"
    "  body_sha256 BLOB NOT NULL,"
    "  signature BLOB NOT NULL,"
    "  body BLOB NOT NULL,"
    "  lines INTEGER NOT NULL,"
    "  stored INTEGER NOT NULL,"
    "  duplicates INTEGER NOT NULL,"
    "  token INTEGER,"
    "  UNIQUE(station, seq)) STRICT;"
    "CREATE TABLE IF NOT EXISTS records("
    "  id INTEGER PRIMARY KEY,"
    "  station TEXT NOT NULL,"
    "  dkey TEXT NOT NULL,"
    "  type INTEGER NOT NULL,"
    "  t_ns INTEGER NOT NULL,"
    "  batch INTEGER NOT NULL,"
    "  received_ns INTEGER NOT NULL,"
    "  line TEXT NOT NULL,"
    "  UNIQUE(station, dkey)) STRICT;"
    "CREATE INDEX IF NOT EXISTS records_t ON records(t_ns);"
    "CREATE TABLE IF NOT EXISTS objects("
    "  id TEXT PRIMARY KEY,"
    "  kind INTEGER NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  cur_seq INTEGER NOT NULL,"
    "  t_ns INTEGER NOT NULL,"
    "  lat REAL NOT NULL, lon REAL NOT NULL, lat2 REAL, lon2 REAL,"
    "  side INTEGER NOT NULL,"
    "  class INTEGER NOT NULL,"
    "  confidence REAL NOT NULL,"
    "  zones TEXT NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  withdrawn INTEGER NOT NULL,"
    "  review TEXT,"
    "  picks TEXT NOT NULL,"
    "  link TEXT,"
    "  updated_ns INTEGER NOT NULL) STRICT;"
    "CREATE INDEX IF NOT EXISTS objects_kt ON objects(kind, t_ns, id);"
    "CREATE TABLE IF NOT EXISTS versions("
    "  seq INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  kind INTEGER NOT NULL,"
    "  cause TEXT NOT NULL,"
    "  published_ns INTEGER NOT NULL,"
    "  t_ns INTEGER NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  log_index INTEGER,"
    "  latency_ms REAL,"
    "  UNIQUE(id, version)) STRICT;"
    "CREATE INDEX IF NOT EXISTS versions_unlogged ON versions(seq) WHERE log_index IS NULL "
    "  AND kind = 2;"
    "CREATE TABLE IF NOT EXISTS reviews("
    "  id INTEGER PRIMARY KEY,"
    "  object TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  action TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  amend TEXT,"
    "  token INTEGER,"
    "  time_ns INTEGER NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  log_index INTEGER) STRICT;"
    "CREATE TABLE IF NOT EXISTS tokens("
    "  id INTEGER PRIMARY KEY,"
    "  role TEXT NOT NULL,"
    "  station TEXT,"
    "  label TEXT NOT NULL,"
    "  salt BLOB NOT NULL,"
    "  hash BLOB NOT NULL,"
    "  created_ns INTEGER NOT NULL,"
    "  revoked_ns INTEGER) STRICT;"
    "CREATE TABLE IF NOT EXISTS audit("
    "  id INTEGER PRIMARY KEY,"
    "  time_ns INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  target TEXT,"
    "  detail TEXT) STRICT;";

static void conn_reset_all(struct tl__conn *c);

struct job {
    int (*fn)(struct tl__conn *c, void *ctx);
    void *ctx;
    int rc;
    bool done;
    struct job *next;
};

struct tl__store {
    char *path;
    struct tl__conn writer;
    bool threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv_work; /* the writer waits for jobs */
    pthread_cond_t cv_done; /* job submitters wait for their group */
    struct job *head, *tail;
    bool stopping;
    long groups, jobs;
    /* readers */
    struct tl__conn *readers;
    bool *busy;
    unsigned n_readers;
    pthread_mutex_t rmu;
    pthread_cond_t rcv;
};

int
tl__sqlrc(struct tl__conn *c, int rc, const char *what)
{
    if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) {
        return TL_OK;
    }
    TL_LOG(TL_LOG_ERROR, "store", "%s: %s", what, c && c->db ? sqlite3_errmsg(c->db) : "?");
    return TL_ESTORE;
}

sqlite3_stmt *
tl__stmt(struct tl__conn *c, const char *sql)
{
    size_t free_slot = TL__STMT_CACHE;
    for (size_t i = 0; i < TL__STMT_CACHE; i++) {
        if (c->cache[i].sql == sql) {
            sqlite3_reset(c->cache[i].st);
            sqlite3_clear_bindings(c->cache[i].st);
            return c->cache[i].st;
        }
        if (!c->cache[i].sql && free_slot == TL__STMT_CACHE) {
            free_slot = i;
        }
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        TL_LOG(TL_LOG_ERROR, "store", "prepare: %s: %s", sqlite3_errmsg(c->db), sql);
        return NULL;
    }
    if (free_slot == TL__STMT_CACHE) {
        /* cache full: evict the first entry (the cache is sized for every statement we use) */
        sqlite3_finalize(c->cache[0].st);
        free_slot = 0;
    }
    c->cache[free_slot].sql = sql;
    c->cache[free_slot].st = st;
    return st;
}

int
tl__exec(struct tl__conn *c, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(c->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        TL_LOG(TL_LOG_ERROR, "store", "%s: %s", sql, err ? err : "?");
        sqlite3_free(err);
        return TL_ESTORE;
    }
    return TL_OK;
}

static void
conn_close(struct tl__conn *c)
{
    for (size_t i = 0; i < TL__STMT_CACHE; i++) {
        if (c->cache[i].st) {
            sqlite3_finalize(c->cache[i].st);
        }
        c->cache[i].sql = NULL;
        c->cache[i].st = NULL;
    }
    if (c->db) {
        sqlite3_close(c->db);
        c->db = NULL;
    }
}

static int
conn_open(struct tl__conn *c, const char *path, bool query_only, struct tl_diag *diag)
{
    memset(c, 0, sizeof(*c));
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
        int rc = tl__diag(diag, TL_ESTORE, NULL, "%s: %s", path,
                          c->db ? sqlite3_errmsg(c->db) : "cannot open");
        conn_close(c);
        return rc;
    }
    sqlite3_busy_timeout(c->db, 10000);
    sqlite3_extended_result_codes(c->db, 1);
    char *err = NULL;
    const char *pragmas = query_only ? "PRAGMA foreign_keys=ON; PRAGMA query_only=ON;"
                                     : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                       "PRAGMA foreign_keys=ON;";
    if (sqlite3_exec(c->db, pragmas, NULL, NULL, &err) != SQLITE_OK) {
        int rc = tl__diag(diag, TL_ESTORE, NULL, "%s: %s", path, err ? err : "pragma failed");
        sqlite3_free(err);
        conn_close(c);
        return rc;
    }
    return TL_OK;
}

int
tl__meta_get(struct tl__conn *c, const char *key, char *buf, size_t size)
{
    sqlite3_stmt *st = tl__stmt(c, "SELECT value FROM meta WHERE key = ?1");
    if (!st) {
        return TL_ESTORE;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        return TL_ENOTFOUND;
    }
    if (rc != SQLITE_ROW) {
        return tl__sqlrc(c, rc, "meta");
    }
    tl__strlcpy(buf, (const char *)sqlite3_column_text(st, 0), size);
    sqlite3_reset(st);
    return TL_OK;
}

int
tl__meta_set(struct tl__conn *c, const char *key, const char *value)
{
    sqlite3_stmt *st = tl__stmt(c, "INSERT INTO meta(key, value) VALUES(?1, ?2) "
                                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    if (!st) {
        return TL_ESTORE;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return tl__sqlrc(c, sqlite3_step(st), "meta set");
}

int
tl__audit(struct tl__conn *c,
          tl_time_ns t,
          const char *actor,
          const char *action,
          const char *target,
          const char *detail)
{
    sqlite3_stmt *st = tl__stmt(c, "INSERT INTO audit(time_ns, actor, action, target, detail) "
                                   "VALUES(?1, ?2, ?3, ?4, ?5)");
    if (!st) {
        return TL_ESTORE;
    }
    sqlite3_bind_int64(st, 1, t);
    sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, target, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, detail, -1, SQLITE_STATIC);
    return tl__sqlrc(c, sqlite3_step(st), "audit");
}

/* Run one job inside a savepoint of the open transaction. */
static void
run_job(struct tl__conn *c, struct job *j)
{
    if (tl__exec(c, "SAVEPOINT job") != TL_OK) {
        j->rc = TL_ESTORE;
        return;
    }
    j->rc = j->fn(c, j->ctx);
    conn_reset_all(c);
    if (j->rc != TL_OK) {
        tl__exec(c, "ROLLBACK TO job");
    }
    tl__exec(c, "RELEASE job");
}

/* One group: BEGIN, every job, COMMIT.  Sets each job's rc. */
static void
run_group(struct tl__store *s, struct job *list)
{
    struct tl__conn *c = &s->writer;
    if (tl__exec(c, "BEGIN IMMEDIATE") != TL_OK) {
        for (struct job *j = list; j; j = j->next) {
            j->rc = TL_ESTORE;
        }
        return;
    }
    for (struct job *j = list; j; j = j->next) {
        run_job(c, j);
    }
    if (tl__exec(c, "COMMIT") != TL_OK) {
        tl__exec(c, "ROLLBACK");
        for (struct job *j = list; j; j = j->next) {
            j->rc = TL_ESTORE;
        }
    }
}

static void *
writer_main(void *arg)
{
    struct tl__store *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->head && !s->stopping) {
            pthread_cond_wait(&s->cv_work, &s->mu);
        }
        if (!s->head && s->stopping) {
            break;
        }
        /* take up to MAX_GROUP_JOBS jobs */
        struct job *list = s->head, *last = s->head;
        size_t n = 1;
        while (last->next && n < MAX_GROUP_JOBS) {
            last = last->next;
            n++;
        }
        s->head = last->next;
        if (!s->head) {
            s->tail = NULL;
        }
        last->next = NULL;
        pthread_mutex_unlock(&s->mu);
        run_group(s, list);
        pthread_mutex_lock(&s->mu);
        s->groups++;
        s->jobs += (long)n;
        for (struct job *j = list, *next; j; j = next) {
            next = j->next;
            j->done = true;
        }
        pthread_cond_broadcast(&s->cv_done);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int
tl__store_write(struct tl__store *s, int (*fn)(struct tl__conn *c, void *ctx), void *ctx)
{
    struct job j = {fn, ctx, TL_OK, false, NULL};
    if (!s->threaded) {
        run_group(s, &j);
        return j.rc;
    }
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->mu);
        return TL_ESTATE;
    }
    if (s->tail) {
        s->tail->next = &j;
    } else {
        s->head = &j;
    }
    s->tail = &j;
    pthread_cond_signal(&s->cv_work);
    while (!j.done) {
        pthread_cond_wait(&s->cv_done, &s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return j.rc;
}

void
tl__store_counters(struct tl__store *s, long *groups, long *jobs)
{
    pthread_mutex_lock(&s->mu);
    *groups = s->groups;
    *jobs = s->jobs;
    pthread_mutex_unlock(&s->mu);
}

struct tl__conn *
tl__store_reader(struct tl__store *s)
{
    if (s->n_readers == 0) {
        return NULL;
    }
    pthread_mutex_lock(&s->rmu);
    for (;;) {
        for (unsigned i = 0; i < s->n_readers; i++) {
            if (!s->busy[i]) {
                s->busy[i] = true;
                pthread_mutex_unlock(&s->rmu);
                return &s->readers[i];
            }
        }
        pthread_cond_wait(&s->rcv, &s->rmu);
    }
}

/* Reset every cached statement so that none holds a read snapshot open. */
static void
conn_reset_all(struct tl__conn *c)
{
    for (size_t i = 0; i < TL__STMT_CACHE; i++) {
        if (c->cache[i].st) {
            sqlite3_reset(c->cache[i].st);
        }
    }
}

void
tl__store_release(struct tl__store *s, struct tl__conn *c)
{
    if (!c) {
        return;
    }
    conn_reset_all(c);
    pthread_mutex_lock(&s->rmu);
    s->busy[c - s->readers] = false;
    pthread_cond_signal(&s->rcv);
    pthread_mutex_unlock(&s->rmu);
}

static int
migrate(struct tl__conn *c, struct tl_diag *diag)
{
    if (tl__exec(c, "BEGIN IMMEDIATE") != TL_OK) {
        return tl__diag(diag, TL_ESTORE, NULL, "cannot begin: %s", sqlite3_errmsg(c->db));
    }
    char *err = NULL;
    if (sqlite3_exec(c->db, SCHEMA, NULL, NULL, &err) != SQLITE_OK) {
        int rc = tl__diag(diag, TL_ESTORE, NULL, "schema: %s", err ? err : "?");
        sqlite3_free(err);
        tl__exec(c, "ROLLBACK");
        return rc;
    }
    char v[32];
    int rc = tl__meta_get(c, "schema_version", v, sizeof(v));
    if (rc == TL_ENOTFOUND) {
        rc = tl__meta_set(c, "schema_version", SCHEMA_VERSION);
    } else if (rc == TL_OK && strcmp(v, SCHEMA_VERSION) != 0) {
        rc = tl__diag(diag, TL_ESTORE, NULL, "schema version %s, this program knows %s", v,
                      SCHEMA_VERSION);
    }
    if (rc != TL_OK) {
        tl__exec(c, "ROLLBACK");
        return rc;
    }
    if (tl__exec(c, "COMMIT") != TL_OK) {
        return tl__diag(diag, TL_ESTORE, NULL, "commit: %s", sqlite3_errmsg(c->db));
    }
    return TL_OK;
}

int
tl__store_open(const char *path,
               unsigned readers,
               bool writer,
               struct tl__store **out,
               struct tl_diag *diag)
{
    struct tl__store *s = tl_calloc(1, sizeof(*s));
    if (!s) {
        return TL_ENOMEM;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv_work, NULL);
    pthread_cond_init(&s->cv_done, NULL);
    pthread_mutex_init(&s->rmu, NULL);
    pthread_cond_init(&s->rcv, NULL);
    int rc = TL_ENOMEM;
    s->path = tl_strdup(path);
    if (readers) {
        s->readers = tl_calloc(readers, sizeof(*s->readers));
        s->busy = tl_calloc(readers, sizeof(*s->busy));
    }
    if (!s->path || (readers && (!s->readers || !s->busy))) {
        goto fail;
    }
    if ((rc = conn_open(&s->writer, path, false, diag)) != TL_OK) {
        goto fail;
    }
    if ((rc = migrate(&s->writer, diag)) != TL_OK) {
        goto fail;
    }
    for (unsigned i = 0; i < readers; i++) {
        if ((rc = conn_open(&s->readers[i], path, true, diag)) != TL_OK) {
            goto fail;
        }
        s->n_readers = i + 1;
    }
    if (writer) {
        if (pthread_create(&s->thread, NULL, writer_main, s) != 0) {
            rc = tl__diag(diag, TL_ENOMEM, NULL, "cannot start the writer thread");
            goto fail;
        }
        s->threaded = true;
    }
    *out = s;
    return TL_OK;
fail:
    tl__store_close(s);
    return rc;
}

void
tl__store_close(struct tl__store *s)
{
    if (!s) {
        return;
    }
    if (s->threaded) {
        pthread_mutex_lock(&s->mu);
        s->stopping = true;
        pthread_cond_signal(&s->cv_work);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    for (unsigned i = 0; i < s->n_readers; i++) {
        conn_close(&s->readers[i]);
    }
    conn_close(&s->writer);
    tl_free(s->readers);
    tl_free(s->busy);
    tl_free(s->path);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv_work);
    pthread_cond_destroy(&s->cv_done);
    pthread_mutex_destroy(&s->rmu);
    pthread_cond_destroy(&s->rcv);
    tl_free(s);
}
