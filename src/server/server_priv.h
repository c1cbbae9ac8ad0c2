/*
 * server_priv.h - the inside of `truceline serve` (not installed).
 *
 * Threads of a running server:
 *   - HTTP: libmicrohttpd, one thread per connection (bounded by
 *     max_connections).  Handlers may block: an ingest request waits for the
 *     store's group commit, an SSE stream waits for news.
 *   - the store's writer (src/store/store.c): every write to the database;
 *   - processing (live.c): owns the tl_pipeline, feeds it the records the
 *     writer committed, runs it, publishes what changed;
 *   - the checkpoint timer (server.c): signs a checkpoint when the log grew.
 *
 * Parsers that see untrusted bytes are pure functions declared here and fuzzed
 * (fuzz/fuzz_http_*.c): the router, the query/filter parser, the signature
 * header parser and the ingest batch parser.
 */
#ifndef TL_SERVER_PRIV_H
#define TL_SERVER_PRIV_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include <truceline/bulletin.h>
#include <truceline/pipeline.h>
#include <truceline/record.h>
#include <truceline/server.h>
#include <truceline/tlog.h>

#include "../store/store.h"
#include "../util/util.h"

struct MHD_Daemon;
struct MHD_Connection;

/* ------------------------------------------------------------------ router -- */

enum tl__route_id {
    TL__R_NONE = 0,
    TL__R_INGEST,        /* POST /v1/stations/{id}/records */
    TL__R_STATIONS,      /* GET  /v1/stations */
    TL__R_STATION,       /* GET  /v1/stations/{id} */
    TL__R_EVENTS,        /* GET  /v1/events */
    TL__R_EVENT,         /* GET  /v1/events/{id} */
    TL__R_EVENT_HISTORY, /* GET  /v1/events/{id}/history */
    TL__R_EVENT_REVIEW,  /* POST /v1/events/{id}/review */
    TL__R_FINDINGS,      /* GET  /v1/findings */
    TL__R_FINDING,       /* GET  /v1/findings/{id} */
    TL__R_FINDING_HISTORY,
    TL__R_FINDING_PROOF,  /* GET  /v1/findings/{id}/proof */
    TL__R_FINDING_ENTRY,  /* GET  /v1/findings/{id}/entry */
    TL__R_FINDING_REVIEW, /* POST /v1/findings/{id}/review */
    TL__R_RECORDS,        /* GET  /v1/records */
    TL__R_BULLETIN,       /* GET  /v1/bulletins/{YYYY-MM-DD} */
    TL__R_STREAM,         /* GET  /v1/stream */
    TL__R_STATUS,         /* GET  /v1/status */
    TL__R_AUDIT,          /* GET  /v1/audit */
    TL__R_MISSION,        /* GET  /v1/mission */
    TL__R_REPORT,         /* GET  /report/{YYYY-MM-DD} */
    TL__R_LOG,            /* GET  /log/... */
    TL__R_WEB             /* GET  anything else, from web_dir */
};

struct tl__route {
    enum tl__route_id id;
    bool post;           /* the route takes a body */
    char arg[TL_ID_MAX]; /* station id, object id or date */
    const char *rest;    /* for /log/ and web: the path after the prefix (points into path) */
};

/**
 * Match a method and a path (NUL-terminated, already percent-decoded by MHD).
 * @return 200 when matched, 404 (no such resource), 405 (method not allowed),
 *         400 (a malformed id in the path).  `out` is filled on 200 only.
 */
int tl__route_match(const char *method, const char *path, bool have_web, struct tl__route *out);

/* ------------------------------------------------------------------ filters -- */

#define TL__MAX_ARGS 32
#define TL__PAGE_MAX 1000
#define TL__PAGE_DEF 100

struct tl__arg {
    const char *key, *value; /* borrowed */
};

/** Filters of /v1/events, /v1/findings and /v1/records. */
struct tl__filter {
    bool has_from, has_to;
    tl_time_ns from_ns, to_ns; /* [from, to) on origin (launch) time */
    bool has_bbox;
    double min_lon, min_lat, max_lon, max_lat;
    int side;                        /* -2: any, else enum tl_side */
    int cls;                         /* -1: any, else enum tl_event_class */
    double min_confidence;           /* -1: any */
    char zone[TL_ID_MAX];            /* "" any */
    int status;                      /* -1: any, else enum tl_review_status */
    bool withdrawn;                  /* include withdrawn objects */
    char station[TL_STATION_ID_MAX]; /* records: "" any */
    long limit;
    bool has_cursor;
    tl_time_ns cursor_t; /* resume after (cursor_t, cursor_id) */
    char cursor_id[TL_ID_MAX];
    int64_t version; /* single object: -1 current */
    int64_t since;   /* stream: Last-Event-ID, -1 none */
    unsigned kinds;  /* stream: 1 events, 2 findings */
};

enum tl__filter_kind {
    TL__F_EVENTS,
    TL__F_FINDINGS,
    TL__F_RECORDS,
    TL__F_OBJECT,
    TL__F_STREAM,
    TL__F_NONE
};

/**
 * Parse query arguments for a kind of listing; unknown keys and bad values are
 * errors.  `zone_ok` (optional) says whether a zone id exists.
 * @return TL_OK, or TL_EINVAL with `msg` (size bytes) saying which argument and why.
 */
int tl__filter_parse(enum tl__filter_kind kind,
                     const struct tl__arg *args,
                     size_t n,
                     bool (*zone_ok)(void *ud, const char *zone),
                     void *ud,
                     struct tl__filter *out,
                     char *msg,
                     size_t size);

/** Cursor text for (t, id): "<t_ns>~<id>" (URL-safe).  `buf` >= 96 bytes. */
void tl__cursor_format(tl_time_ns t, const char *id, char *buf, size_t size);

/* ---------------------------------------------------------------- ingest -- */

struct tl__sig {
    uint64_t seq;
    uint8_t sig[64];
};

/**
 * Parse a signature header value "seq=<n>, sig=<base64>" (`len` bytes).
 * Exactly the two parameters, each once, in any order; seq 1..2^63-1.
 * @return TL_OK or TL_EPARSE with the reason in `msg`.
 */
int tl__sig_parse(const char *hdr, size_t len, struct tl__sig *out, char *msg, size_t size);

/** The canonical text a station signs into buf; returns its length or 0 if it does not fit. */
size_t tl__sig_canonical(const char *method,
                         const char *path,
                         uint64_t seq,
                         const uint8_t body_sha256[32],
                         char *buf,
                         size_t size);

/** One accepted record of a batch: where its line is in the body and its keys. */
struct tl__brec {
    const char *line; /* points into the body (not NUL-terminated) */
    size_t len;
    int type;  /* enum tl_record_type */
    int state; /* status records: enum tl_station_state, else -1 */
    tl_time_ns t_ns;
    char dkey[TL_ID_MAX + 4]; /* de-duplication key: "p:<id>", "p@<t>", "m@<t>", "s@<t>" */
};

struct tl__bad_line {
    long line;
    char reason[160];
};

#define TL__MAX_BAD_LINES 100

struct tl__batch {
    struct tl__brec *recs;
    size_t n, cap;
    struct tl__bad_line bad[TL__MAX_BAD_LINES];
    size_t n_bad;       /* listed */
    size_t n_bad_total; /* found */
    bool too_many;      /* more than max_records lines */
};

struct tl__batch_limits {
    size_t max_records;
    size_t max_line_bytes;
    tl_time_ns not_after_ns; /* INT64_MAX: no limit */
};

/**
 * Split a JSON Lines body into records of `station` (every record must name
 * it), validating each with tl_record_parse against the mission.  Blank lines
 * are ignored, a final line without "\n" is accepted.  Bad lines are listed
 * (line number from 1 and reason) and not kept.
 * @return TL_OK (look at n_bad_total and too_many), TL_ENOMEM.
 */
int tl__batch_parse(const char *body,
                    size_t len,
                    const char *station,
                    const struct tl_mission *m,
                    const struct tl__batch_limits *lim,
                    struct tl__batch *out);

void tl__batch_fini(struct tl__batch *b);

/** De-duplication key of a record (same rule as the pipeline's). */
void tl__record_dkey(const struct tl_record *r, char *buf, size_t size);

/* ---------------------------------------------------------------- buffers -- */

/** A growable text buffer with a hard cap. */
struct tl__sbuf {
    char *p;
    size_t n, cap, max;
    bool failed; /* an append failed (over max or out of memory) */
};

void tl__sbuf_init(struct tl__sbuf *b, size_t max);
void tl__sbuf_fini(struct tl__sbuf *b);
void tl__sbuf_add(struct tl__sbuf *b, const char *s, size_t n);
void tl__sbuf_str(struct tl__sbuf *b, const char *s);
void tl__sbuf_printf(struct tl__sbuf *b, const char *fmt, ...) TL_PRINTF(2, 3);
/** Append `s` as a JSON string literal (quoted, escaped). */
void tl__sbuf_json_str(struct tl__sbuf *b, const char *s);

/* ------------------------------------------------------------- SSE hub -- */

struct tl__msg {
    int64_t seq;     /* versions.seq */
    unsigned kind;   /* 1 event, 2 finding */
    tl_time_ns t_ns; /* object time (embargo) */
    char *frame;     /* the whole SSE frame, "id: ...\n...\n\n" */
    size_t len;
};

#define TL__HUB_RING 4096

struct tl__hub {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct tl__msg ring[TL__HUB_RING];
    int64_t head; /* messages published so far (ring index = count % size) */
    int64_t last_seq;
    bool stopping;
    atomic_int clients;
};

/* ----------------------------------------------------------- the server -- */

struct tl__bucket {
    double tokens;
    tl_time_ns at_ns;
};

struct tl__latency {
    /* a ring of the last published findings' last-pick-to-publication latencies */
    double ms[4096];
    size_t n, next;
};

struct tl__live;

struct tl_server {
    struct tl_server_config cfg;
    char *mission_path, *data_dir, *listen, *web_dir;
    struct tl_mission *mission;
    struct tl__store *store;
    struct tl_tlog *log;
    char log_dir[4096];
    struct MHD_Daemon *mhd;
    char url[96];
    uint16_t port;
    atomic_bool stopping;

    /* ingest */
    pthread_mutex_t rate_mu;
    struct tl__bucket *buckets; /* per mission station */
    atomic_size_t body_bytes;   /* request bodies buffered now, all connections */
    size_t body_budget;         /* most at once */

    /* processing */
    struct tl__live *live;

    /* live feed */
    struct tl__hub hub;

    /* checkpoints */
    pthread_t cp_thread;
    bool cp_started;
    pthread_mutex_t cp_mu;
    pthread_cond_t cp_cv;
    uint64_t cp_size; /* tree size of the last published checkpoint */

    /* counters for /v1/status */
    atomic_long n_requests, n_ingest_batches, n_ingest_records, n_ingest_stored, n_ingest_dups,
        n_rejected;
};

/* Per-request state, created at the first callback of a request. */
struct tl__req {
    struct tl_server *s;
    struct MHD_Connection *conn;
    char method[8];
    struct tl__route route;
    int route_status;
    bool authed;
    bool have_token;
    struct tl_token_info tok; /* valid when have_token */
    enum tl_role role;
    char *body;
    size_t body_len, body_cap, body_max, reserved;
    bool body_toobig;
    bool body_drain; /* announced too big: read and dropped, then 413 */
    bool responded;
    tl_time_ns start_ns;
};

/* http.c */
int tl__http_start(struct tl_server *s, struct tl_diag *diag);
void tl__http_stop(struct tl_server *s);
/* Queue a response; `body` is taken (freed with tl_free).  Returns an MHD_Result. */
int tl__respond(struct tl__req *r, unsigned status, const char *type, char *body, size_t len);
/* A JSON error {"error":code,"message":msg}; `extra` (optional, a JSON object, stolen) is merged
 * (a 503 no_memory instead when it cannot be). */
int tl__respond_error(struct tl__req *r,
                      unsigned status,
                      const char *code,
                      json_t *extra,
                      const char *fmt,
                      ...) TL_PRINTF(5, 6);
/* The same for an error whose extra members are part of its meaning (last_seq, retry_after_s,
 * version): `extra` is required, and NULL - its json_pack failed - gives the 503 no_memory. */
int tl__respond_error_with(struct tl__req *r,
                           unsigned status,
                           const char *code,
                           json_t *extra,
                           const char *fmt,
                           ...) TL_PRINTF(5, 6);
int tl__respond_json(struct tl__req *r, unsigned status, json_t *j); /* steals j */
int tl__respond_buf(struct tl__req *r, unsigned status, const char *type, struct tl__sbuf *b);
/* Collect the query arguments of the request (at most TL__MAX_ARGS). */
int tl__req_args(struct tl__req *r, struct tl__arg *args, size_t *n);
const char *tl__req_header(struct tl__req *r, const char *name);
/* Is the object time visible to this request (embargo for public)? */
bool tl__visible(const struct tl__req *r, tl_time_ns t_ns);
/* Latest object time visible to the request (INT64_MAX when unrestricted). */
tl_time_ns tl__visible_until(const struct tl__req *r);

/* ingest.c */
int tl__handle_ingest(struct tl__req *r);

/* api.c */
int tl__handle_stations(struct tl__req *r);
int tl__handle_list(struct tl__req *r, unsigned kind);
int tl__handle_object(struct tl__req *r, unsigned kind);
int tl__handle_history(struct tl__req *r, unsigned kind);
int tl__handle_proof(struct tl__req *r, bool entry_only);
int tl__handle_records(struct tl__req *r);
int tl__handle_bulletin(struct tl__req *r);
int tl__handle_status(struct tl__req *r);
int tl__handle_mission(struct tl__req *r);
int tl__handle_report(struct tl__req *r);

/* report_page.c: the current, not withdrawn events and findings of [from, to) by origin
 * time, as structs, with each one's review status and each finding's log index and
 * provisional mark (parallel arrays); what the daily report and the bulletin show.
 * Load returns TL_OK, TL_ESTORE, TL_ENOMEM or TL_ETOOBIG and leaves `d` to be freed in any
 * case; free releases everything (a zeroed struct too). */
struct tl__day_objects {
    struct tl_event *ev;
    struct tl_arrival **arrs; /* each event's arrivals (ev[i].arrivals) */
    enum tl_review_status *ev_status;
    char **ev_review; /* the standing review (JSON object text, owned), NULL none */
    size_t ne, cape;
    struct tl_finding *fd;
    enum tl_review_status *fd_status;
    char **fd_review;     /* as ev_review */
    int64_t *fd_log;      /* log index of the current version, -1 none yet */
    bool *fd_provisional; /* the current version is marked "provisional" */
    size_t nf, capf;
};

int tl__day_objects_load(struct tl_server *s,
                         tl_time_ns from,
                         tl_time_ns to,
                         struct tl__day_objects *d);
void tl__day_objects_free(struct tl__day_objects *d);
int tl__handle_audit(struct tl__req *r);
int tl__handle_static(struct tl__req *r, const char *root, const char *rest, bool log);

/* review.c */
int tl__handle_review(struct tl__req *r, unsigned kind);

/* sse.c */
int tl__hub_init(struct tl__hub *h);
void tl__hub_fini(struct tl__hub *h);
void tl__hub_stop(struct tl__hub *h);
/* Publish one version (after it is committed): builds the SSE frame. */
void tl__hub_publish(struct tl__hub *h,
                     int64_t seq,
                     unsigned kind,
                     tl_time_ns t_ns,
                     const char *frame,
                     size_t len);
/* Build the SSE frame of a version into b. */
void tl__sse_frame(struct tl__sbuf *b,
                   int64_t seq,
                   unsigned kind,
                   const char *id,
                   int64_t version,
                   const char *cause,
                   const char *doc);
int tl__handle_stream(struct tl__req *r);

/* live.c */
int tl__live_start(struct tl_server *s, struct tl_diag *diag);
void tl__live_stop(struct tl_server *s);
void tl__live_kick(struct tl_server *s);
/* Adds "processing" to o; TL_ENOMEM when any of it could not be set (o is then partial). */
int tl__live_status(struct tl_server *s, json_t *o, int64_t max_record_id);

/* A review handed to the processing thread (the only one that writes versions). */
struct tl__review_in {
    unsigned kind;
    char id[TL_ID_MAX];
    int64_t expect_version; /* -1: whatever is current */
    char action[16];        /* confirm, reject, amend */
    const char *reason;
    const char *amend; /* JSON object text or NULL */
    int64_t token;
    char actor[200]; /* "token:<id> <label>" */
};

struct tl__review_out {
    unsigned status; /* HTTP status */
    int64_t version, seq;
    char message[256];
};

int tl__live_review(struct tl_server *s, struct tl__review_in *in, struct tl__review_out *out);

/* review.c: the standing review after `in` (merging amendments) and the logged review document. */
int tl__review_standing(const char *prev,
                        const struct tl__review_in *in,
                        int64_t version,
                        char **standing,
                        char **review_doc);
void tl__review_apply_event(struct tl_event *e, json_t *review);
int tl__review_apply_finding(struct tl_finding *f, json_t *review);

/*
 * live.c: the GeoJSON of a version, with a standing review applied (NULL: none); a finding's
 * marked "provisional": true while the slice that publishes it may still revise it.
 */
int
tl__make_event_doc(const struct tl_mission *m, struct tl_event *e, const char *review, char **out);
int tl__make_finding_doc(const struct tl_mission *m,
                         struct tl_finding *fd,
                         const char *review,
                         bool provisional,
                         int *status,
                         char **out);
/* A copy of the latest station QC (caller frees *out); TL_ENOMEM and none when out of memory. */
int tl__live_qc(struct tl_server *s, struct tl_station_qc **out, size_t *n);

/* client.c: a small HTTP/1.1 client with keep-alive, for replay and the benchmarks */
struct tl__http_client {
    char host[256];
    char port[8];
    int fd;
    int timeout_ms;
};

struct tl__http_resp {
    int status;
    double retry_after_s; /* Retry-After, or 0 */
    char *body;           /* NUL-terminated, caller frees (tl_free) */
    size_t len;
};

/** Parse "http://HOST:PORT" (no path).  @return TL_OK or TL_EINVAL. */
int tl__http_client_init(struct tl__http_client *c, const char *url);
void tl__http_client_close(struct tl__http_client *c);
/**
 * One request on the kept-alive connection (connecting when needed).  `headers`
 * is NULL or a NULL-terminated list of "Name: value" lines.
 * @return TL_OK with `resp` filled (any status), TL_EIO (connection failed: the
 *         request may or may not have been processed), TL_ETOOBIG, TL_ENOMEM.
 */
int tl__http_request(struct tl__http_client *c,
                     const char *method,
                     const char *path,
                     const char *const *headers,
                     const void *body,
                     size_t len,
                     struct tl__http_resp *resp);

/* feature.c: a stored GeoJSON feature back into the struct that wrote it */
int tl__event_from_feature(const struct tl_mission *m,
                           json_t *f,
                           struct tl_event *e,
                           struct tl_arrival **arrivals);
int tl__finding_from_feature(const struct tl_mission *m, json_t *f, struct tl_finding *fd);
/* Whether a stored finding feature carries "provisional": true (formats.md section 7). */
bool tl__feature_provisional(json_t *f);

/* Time formatting shortcut: RFC 3339 into buf (TL_TIME_TEXT_MAX). */
const char *tl__fmt_time(tl_time_ns t, char *buf);

#endif
