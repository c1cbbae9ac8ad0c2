/*
 * truceline/server.h - the live service: authenticated ingest, live processing,
 * store, read API, review, tokens; and its clients (replay, station keys).
 *
 * `truceline serve` is a thin wrapper around struct tl_server: it loads the
 * mission, opens DIR/truceline.db (SQLite, WAL) and the transparency log in
 * DIR/log, starts the HTTP server (libmicrohttpd), the store's writer thread,
 * the processing thread (the same tl_pipeline as `truceline process`, fed
 * incrementally over a sliding window) and the checkpoint timer.  docs/server.md
 * describes the threads, the tables, the HTTP API and the measured figures;
 * docs/formats.md section 7 the JSON of the API and the signature header.
 *
 * The clients live here too, because they speak the server's protocol:
 *   - station keys (files in a directory, and a mission that carries the public keys);
 *   - the signature header that a station puts on an ingest request;
 *   - tl_replay_run, which plays a records file into a server as its stations would.
 */
#ifndef TRUCELINE_SERVER_H
#define TRUCELINE_SERVER_H

#include <truceline/mission.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================== */
/* Access: roles and tokens                                                   */
/* ======================================================================== */

/** What a token may do.  Anonymous requests are `public` unless the server says otherwise. */
enum tl_role {
    TL_ROLE_PUBLIC = 0,  /* read what is older than the embargo */
    TL_ROLE_PARTY = 1,   /* read everything */
    TL_ROLE_ANALYST = 2, /* read everything, review events and findings */
    TL_ROLE_STATION = 3  /* ingest records for its own station id only */
};

/** "public", "party", "analyst", "station". */
TL_API const char *tl_role_name(enum tl_role r);
/** Parse a role name.  @return TL_OK or TL_EINVAL; `out` untouched on failure. */
TL_API int tl_role_parse(const char *s, enum tl_role *out);

/** Longest token text, with its NUL. */
#define TL_TOKEN_MAX 96

/** One token as listed (never its secret, which is not stored). */
struct tl_token_info {
    int64_t id;
    enum tl_role role;
    char station[TL_STATION_ID_MAX]; /* "" unless role is station */
    char label[128];
    tl_time_ns created_ns;
    tl_time_ns revoked_ns; /* 0 while valid */
};

/**
 * Create a token in the data directory `data_dir` (its database is created when
 * missing; the server may be running).  The token text "tl1_<id>_<secret>" is
 * returned once: only a salted hash of the secret is stored.  Audited.
 * @param station  required for TL_ROLE_STATION (a SEED station code), else NULL.
 * @param label    who holds it (borrowed), 1-127 printable bytes.
 * @param token_out  receives the token text (caller frees with tl_free).
 * @return TL_OK, TL_EINVAL (bad role/station/label; reason in diag), TL_ESTORE, TL_ENOMEM.
 */
TL_API int tl_token_add(const char *data_dir,
                        enum tl_role role,
                        const char *station,
                        const char *label,
                        char **token_out,
                        int64_t *id_out,
                        struct tl_diag *diag);

/**
 * Every token of a data directory, oldest first.  `*out` is caller-owned (tl_free).
 * @return TL_OK, TL_ENOTFOUND (no database), TL_ESTORE, TL_ENOMEM.
 */
TL_API int
tl_token_list(const char *data_dir, struct tl_token_info **out, size_t *n, struct tl_diag *diag);

/**
 * Revoke token `id` (effective at the server's next request).  Audited.
 * @return TL_OK, TL_ENOTFOUND (no such token, or already revoked), TL_ESTORE.
 */
TL_API int tl_token_revoke(const char *data_dir, int64_t id, struct tl_diag *diag);

/* ======================================================================== */
/* Station keys and the ingest signature                                      */
/* ======================================================================== */

/**
 * Give every station of `mission` an Ed25519 key in `keys_dir` (created 0700 if
 * missing) and write a copy of the mission file to `mission_out` in which every
 * station carries its public key (`properties.key`).  Key files are
 * KEYS/<ID>.key (base64 of the 32-byte seed, mode 0600) and KEYS/<ID>.pub (base64
 * of the public key).  A station that already has a key file keeps it, so running
 * it again gives the same mission bytes.
 * @return TL_OK, TL_EIO, TL_EPARSE (a key file is damaged; diag names it), TL_ENOMEM.
 */
TL_API int tl_station_keys_make(const struct tl_mission *mission,
                                const char *keys_dir,
                                const char *mission_out,
                                struct tl_diag *diag);

/**
 * Read station `station`'s secret seed from KEYS/<ID>.key.
 * @return TL_OK, TL_ENOTFOUND, TL_EPARSE, TL_EIO.
 */
TL_API int tl_station_key_load(const char *keys_dir,
                               const char *station,
                               uint8_t seed[32],
                               struct tl_diag *diag);

/** Name of the signature header of an ingest request. */
#define TL_SIGNATURE_HEADER "X-Truceline-Signature"
/** Longest signature header value, with its NUL. */
#define TL_SIGNATURE_MAX    160

/**
 * The value of the signature header for an ingest request: "seq=<n>, sig=<base64>"
 * where sig is the Ed25519 signature, with the key of `seed`, of the canonical text
 *
 *     "truceline-ingest-v1\n" METHOD "\n" PATH "\n" SEQ "\n" hex(SHA-256(body)) "\n"
 *
 * (docs/formats.md section 7).  `out` holds TL_SIGNATURE_MAX bytes.
 * @return TL_OK or TL_EINVAL.  Thread-safe.
 */
TL_API int tl_ingest_sign(const uint8_t seed[32],
                          const char *method,
                          const char *path,
                          uint64_t seq,
                          const void *body,
                          size_t len,
                          char out[TL_SIGNATURE_MAX]);

/* ======================================================================== */
/* The server                                                                 */
/* ======================================================================== */

/** Configuration of a server.  tl_server_config_default fills in the documented defaults. */
struct tl_server_config {
    const char *mission_path;    /* required */
    const char *data_dir;        /* required: DIR/truceline.db and DIR/log */
    const char *listen;          /* "ADDR:PORT" (default "127.0.0.1:8080"; port 0 = any) */
    const char *log_origin;      /* origin of a new log (NULL: from the mission name) */
    const char *log_policy_path; /* tlog-policy for a new log (NULL: no witnesses) */
    const char *web_dir;         /* optional: static files served at / (web/dist) */
    size_t max_body_bytes;       /* largest ingest body (default 4 MiB) */
    size_t max_batch_records;    /* most records in one batch (default 10,000) */
    size_t max_line_bytes;       /* longest record line (default 16 KiB) */
    double station_rate;         /* sustained records/s per station (default 2,000) */
    double station_burst;        /* records a station may send at once (default 20,000) */
    tl_time_ns max_future_ns;   /* reject records later than now + this (default 10 min; <0: off) */
    tl_time_ns embargo_ns;      /* public sees only what is older (default 24 h) */
    tl_time_ns window_ns;       /* processing window of record time (default 1 h; 0 = all) */
    tl_time_ns run_interval_ns; /* least time between two processing runs (default 1 s) */
    tl_time_ns checkpoint_ns;   /* checkpoint timer period (default 500 ms) */
    unsigned max_connections;   /* HTTP connections at once (default 256) */
    bool station_token_required; /* ingest also needs the station's token (default false) */
    bool anonymous_public;       /* requests without a token read as public (default true) */
};

TL_API void tl_server_config_default(struct tl_server_config *c);

struct tl_server;

/**
 * Start a server: load the mission, open or create the store and the log (a new
 * log gets an origin derived from the mission name, and no witnesses unless a
 * policy is given), recover what a crash left (versions not yet logged), start
 * the threads and listen.  Returns once it accepts connections.
 * @return TL_OK, TL_EINVAL (configuration), TL_EPARSE (mission), TL_ESTORE,
 *         TL_ESTATE (the log is locked by another process), TL_EIO (cannot
 *         listen), TL_ENOMEM; diag says why.
 */
TL_API int
tl_server_new(const struct tl_server_config *c, struct tl_server **out, struct tl_diag *diag);

/** The URL the server listens on, e.g. "http://127.0.0.1:39543" (owned by the server). */
TL_API const char *tl_server_url(const struct tl_server *s);

/** Stop accepting, finish requests in flight, stop the threads, close everything.  NULL ok. */
TL_API void tl_server_free(struct tl_server *s);

/* ======================================================================== */
/* Replay: a scenario played into a server as its stations would             */
/* ======================================================================== */

struct tl_replay_config {
    const char *records_path; /* records (JSON Lines), e.g. a simulator's records.jsonl */
    const char *url;          /* "http://HOST:PORT" */
    const char *keys_dir;     /* station keys (KEYS/<ID>.key) */
    const char *tokens_dir;   /* optional: KEYS-like dir of <ID>.token station tokens */
    const char *acked_path;   /* optional: every acknowledged record line is appended here */
    double speed;             /* times real time; 0 = as fast as possible */
    bool time_order;          /* send each station's records in time order (default: file order) */
    size_t batch_max;         /* most records per request (default 500) */
    unsigned connections;     /* parallel connections (default 4); a station uses one */
    double retry_for_s;       /* give up on a batch after retrying this long (default 60) */
};

struct tl_replay_stats {
    long lines;              /* lines read */
    long unreadable;         /* lines that are not records (not sent) */
    long records_sent;       /* records in acknowledged batches */
    long batches;            /* batches acknowledged */
    long stored, duplicates; /* as counted by the server */
    long rejected;           /* records in batches the server refused (4xx other than 409/429) */
    long failed_batches;     /* batches given up after retry_for_s */
    long retries, rate_limited, conflicts;
    double elapsed_s;
    double ack_p50_ms, ack_p99_ms, ack_max_ms; /* request to acknowledgement */
};

TL_API void tl_replay_config_default(struct tl_replay_config *c);

/**
 * Play `records_path` into the server at `url`: records grouped by station, each
 * station's records sent in order in signed batches with increasing sequence
 * numbers (starting from the wall clock in microseconds, so a later replay of the
 * same stations is in sequence), paced at `speed` times the records' own time.
 * Retries on 429 (after Retry-After), 5xx and connection failures with backoff;
 * a 409 for a batch the server already holds counts as acknowledged.
 * @return TL_OK when every batch was acknowledged; TL_EIO when some failed
 *         (counted in stats); TL_EINVAL, TL_ENOTFOUND (a key is missing), TL_ENOMEM.
 */
TL_API int tl_replay_run(const struct tl_replay_config *c,
                         struct tl_replay_stats *stats,
                         struct tl_diag *diag);

#ifdef __cplusplus
}
#endif
#endif
