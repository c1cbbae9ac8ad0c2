/*
 * store.h - the server's SQLite store (internal; not installed).
 *
 * One database file, DIR/truceline.db, in WAL mode with synchronous=FULL: a
 * commit returns only once the WAL is fsync'd, so what the server has
 * acknowledged survives a crash or a power cut.  All tables are STRICT.
 *
 * Threads.  SQLite connections are not shared: the store owns
 *   - one writer connection, used only by the writer thread.  Every write goes
 *     through tl__store_write(), which queues a job and waits; the writer takes
 *     every job queued so far, runs each in its own SAVEPOINT inside one
 *     transaction and commits once (group commit: one fsync for many batches).
 *     A job that fails is rolled back alone; the others commit.
 *   - a small pool of reader connections (query_only) that request handlers
 *     borrow with tl__store_reader() and give back with tl__store_release().
 * Readers see the last committed state (WAL snapshots), never a half-written one.
 *
 * The schema (docs/server.md has the full description):
 *   meta       key/value: schema version, mission name and hash, log origin
 *   stations   per station: last accepted sequence number, counters
 *   batches    every accepted ingest batch: station, seq, body, signature (the audit of ingest)
 *   records    one row per distinct record (station, dedup key), the raw line kept verbatim
 *   objects    one row per stable event or finding: its current version and filter columns
 *   versions   every published version of every object (never updated but for log_index)
 *   reviews    analyst reviews
 *   tokens     access tokens, hashed with a per-token salt
 *   audit      every write that is not an ingest batch (reviews, tokens, start/stop)
 */
#ifndef TL_STORE_H
#define TL_STORE_H

#include <sqlite3.h>

#include <truceline/common.h>

/* Kinds of stored objects. */
#define TL__OBJ_EVENT   1
#define TL__OBJ_FINDING 2

/* A connection with a small cache of prepared statements keyed by their SQL text's address. */
#define TL__STMT_CACHE 48

struct tl__conn {
    sqlite3 *db;

    struct {
        const char *sql;
        sqlite3_stmt *st;
    } cache[TL__STMT_CACHE];
};

struct tl__store;

/**
 * Open (creating when missing) the database at `path` and bring its schema up to date.
 * @param readers  reader connections to open (0 for a short offline use: the token tool).
 * @param writer   start the writer thread (false: tl__store_write runs the job at once
 *                 in the caller's thread, for tools that write once and exit).
 * @return TL_OK, TL_ESTORE (with the reason in diag), TL_ENOMEM.
 */
int tl__store_open(const char *path,
                   unsigned readers,
                   bool writer,
                   struct tl__store **out,
                   struct tl_diag *diag);

/** Stop the writer (after it has drained its queue) and close every connection.  NULL ok. */
void tl__store_close(struct tl__store *s);

/** Borrow a reader connection (waits while all are in use; NULL when the store was opened
 * without readers); give it back with release. */
struct tl__conn *tl__store_reader(struct tl__store *s);
void tl__store_release(struct tl__store *s, struct tl__conn *c);

/**
 * Run `fn(conn, ctx)` in the writer's next transaction and wait until it is
 * committed (durable) or rolled back.  `fn` returns TL_OK to keep its changes or
 * an error to have them rolled back (the other jobs of the group are unaffected).
 * `fn` must not change anything outside the database: a failed commit would
 * leave such changes behind.
 * @return fn's result, or TL_ESTORE when the commit failed.
 */
int tl__store_write(struct tl__store *s, int (*fn)(struct tl__conn *c, void *ctx), void *ctx);

/** A cached prepared statement for `sql` (a string literal: its address is the key), reset. */
sqlite3_stmt *tl__stmt(struct tl__conn *c, const char *sql);

/** Execute SQL without results; TL_OK or TL_ESTORE (logged). */
int tl__exec(struct tl__conn *c, const char *sql);

/** Map the result of sqlite3_step/finalize to TL_OK / TL_ESTORE, logging failures. */
int tl__sqlrc(struct tl__conn *c, int rc, const char *what);

/** Read meta key into buf (size bytes); TL_OK, TL_ENOTFOUND, TL_ESTORE. */
int tl__meta_get(struct tl__conn *c, const char *key, char *buf, size_t size);
/** Set meta key (inside a write job). */
int tl__meta_set(struct tl__conn *c, const char *key, const char *value);

/** Append an audit row (inside a write job).  `detail` may be NULL. */
int tl__audit(struct tl__conn *c,
              tl_time_ns t,
              const char *actor,
              const char *action,
              const char *target,
              const char *detail);

struct tl_token_info;

/** DIR/truceline.db into buf.  @return TL_OK or TL_EINVAL (too long). */
int tl__data_db_path(const char *data_dir, char *buf, size_t size);

/**
 * Check a token's text against the tokens table (`len` bytes, borrowed).
 * @return TL_OK with `*out` filled; TL_ECRYPTO for an unknown, malformed, wrong or
 *         revoked token; TL_ESTORE.
 */
int tl__token_check(struct tl__conn *c, const char *text, size_t len, struct tl_token_info *out);

/* Counters of the writer, for /v1/status: groups committed and jobs run. */
void tl__store_counters(struct tl__store *s, long *groups, long *jobs);

#endif
