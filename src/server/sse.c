/*
 * sse.c - GET /v1/stream: new, revised, reviewed and withdrawn events and findings
 * as server-sent events.
 *
 *     id: 1234
 *     event: finding
 *     data: {"kind":"finding","id":"FD...","version":2,"cause":"revised","feature":{...}}
 *
 * The id is the version's sequence number in the store (versions.seq), so a
 * client that reconnects with Last-Event-ID (or ?since=) gets exactly what it
 * missed: first from the store, then live.  The processing thread publishes
 * each version into a ring of the last TL__HUB_RING frames after it is
 * committed; every stream (one MHD thread each) waits on the ring's condition
 * variable and sends what is newer than what it sent, with a comment line as a
 * heartbeat every 15 s so that proxies and clients notice a dead connection.
 * A public client sees only versions of objects older than the embargo.
 */
#include <inttypes.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <truceline/time.h>

#include "server_priv.h"

#define HEARTBEAT_S   15
#define CATCHUP_BATCH 500

int
tl__hub_init(struct tl__hub *h)
{
    memset(h, 0, sizeof(*h));
    pthread_mutex_init(&h->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cv, &ca);
    pthread_condattr_destroy(&ca);
    h->last_seq = -1;
    return TL_OK;
}

void
tl__hub_fini(struct tl__hub *h)
{
    for (size_t i = 0; i < TL__HUB_RING; i++) {
        tl_free(h->ring[i].frame);
    }
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
}

void
tl__hub_stop(struct tl__hub *h)
{
    pthread_mutex_lock(&h->mu);
    h->stopping = true;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

void
tl__hub_publish(struct tl__hub *h,
                int64_t seq,
                unsigned kind,
                tl_time_ns t_ns,
                const char *frame,
                size_t len)
{
    char *copy = tl_malloc(len);
    if (!copy) {
        return;
    }
    memcpy(copy, frame, len);
    pthread_mutex_lock(&h->mu);
    struct tl__msg *m = &h->ring[h->head % TL__HUB_RING];
    tl_free(m->frame);
    m->seq = seq;
    m->kind = kind;
    m->t_ns = t_ns;
    m->frame = copy;
    m->len = len;
    h->head++;
    h->last_seq = seq;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

void
tl__sse_frame(struct tl__sbuf *b,
              int64_t seq,
              unsigned kind,
              const char *id,
              int64_t version,
              const char *cause,
              const char *doc)
{
    const char *k = kind == TL__OBJ_EVENT ? "event" : "finding";
    tl__sbuf_printf(b, "id: %" PRId64 "\nevent: %s\ndata: {\"kind\":\"%s\",\"id\":", seq, k, k);
    tl__sbuf_json_str(b, id);
    tl__sbuf_printf(b, ",\"version\":%" PRId64 ",\"cause\":\"%s\",\"feature\":", version, cause);
    tl__sbuf_str(b, doc); /* compact JSON: no newline inside */
    tl__sbuf_str(b, "}\n\n");
}

struct stream {
    struct tl_server *s;
    int64_t last_sent; /* seq of the last version sent (or skipped) */
    bool catchup;      /* still reading from the store */
    unsigned kinds;
    bool embargoed;
    tl_time_ns embargo_ns;
    struct tl__sbuf out;
    size_t off;
    bool ended;
};

static bool
wanted(const struct stream *st, unsigned kind, tl_time_ns t_ns)
{
    if (!(st->kinds & kind)) {
        return false;
    }
    return !st->embargoed || t_ns < tl_time_now() - st->embargo_ns;
}

/* Versions after last_sent from the store; clears `catchup` when it reached the end. */
static void
catch_up(struct stream *st)
{
    struct tl__conn *c = tl__store_reader(st->s->store);
    sqlite3_stmt *q = tl__stmt(c, "SELECT seq, kind, id, version, cause, t_ns, doc FROM versions "
                                  "WHERE seq > ?1 ORDER BY seq LIMIT 500");
    size_t rows = 0;
    if (q) {
        sqlite3_bind_int64(q, 1, st->last_sent);
        while (sqlite3_step(q) == SQLITE_ROW) {
            rows++;
            int64_t seq = sqlite3_column_int64(q, 0);
            unsigned kind = (unsigned)sqlite3_column_int(q, 1);
            st->last_sent = seq;
            if (wanted(st, kind, sqlite3_column_int64(q, 5))) {
                tl__sse_frame(&st->out, seq, kind, (const char *)sqlite3_column_text(q, 2),
                              sqlite3_column_int64(q, 3), (const char *)sqlite3_column_text(q, 4),
                              (const char *)sqlite3_column_text(q, 6));
            }
        }
        sqlite3_reset(q);
    }
    tl__store_release(st->s->store, c);
    if (rows < CATCHUP_BATCH) {
        st->catchup = false;
    }
}

/* Wait for news in the ring (or a heartbeat, or the end) and queue frames. */
static void
wait_live(struct stream *st)
{
    struct tl__hub *h = &st->s->hub;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += HEARTBEAT_S;
    pthread_mutex_lock(&h->mu);
    while (!h->stopping && h->last_seq <= st->last_sent) {
        if (pthread_cond_timedwait(&h->cv, &h->mu, &ts) != 0) {
            break;
        }
    }
    if (h->stopping) {
        st->ended = true;
        pthread_mutex_unlock(&h->mu);
        return;
    }
    if (h->last_seq <= st->last_sent) {
        pthread_mutex_unlock(&h->mu);
        tl__sbuf_str(&st->out, ": ping\n\n");
        return;
    }
    int64_t oldest = h->head > TL__HUB_RING ? h->head - TL__HUB_RING : 0;
    if (h->head > TL__HUB_RING && h->ring[oldest % TL__HUB_RING].seq > st->last_sent + 1) {
        /* the ring moved past us: read the gap from the store */
        pthread_mutex_unlock(&h->mu);
        st->catchup = true;
        return;
    }
    for (int64_t i = oldest; i < h->head && !st->out.failed; i++) {
        struct tl__msg *m = &h->ring[i % TL__HUB_RING];
        if (m->seq <= st->last_sent) {
            continue;
        }
        st->last_sent = m->seq;
        if (wanted(st, m->kind, m->t_ns)) {
            tl__sbuf_add(&st->out, m->frame, m->len);
        }
    }
    pthread_mutex_unlock(&h->mu);
}

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct stream *st = cls;
    for (;;) {
        if (st->off < st->out.n) {
            size_t n = st->out.n - st->off;
            if (n > max) {
                n = max;
            }
            memcpy(buf, st->out.p + st->off, n);
            st->off += n;
            if (st->off == st->out.n) {
                st->off = 0;
                st->out.n = 0;
            }
            return (ssize_t)n;
        }
        if (st->ended || atomic_load(&st->s->stopping) || st->out.failed) {
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (st->catchup) {
            catch_up(st);
        } else {
            wait_live(st);
        }
    }
}

static void
stream_free(void *cls)
{
    struct stream *st = cls;
    atomic_fetch_sub(&st->s->hub.clients, 1);
    tl__sbuf_fini(&st->out);
    tl_free(st);
}

int
tl__handle_stream(struct tl__req *r)
{
    struct tl__arg args[TL__MAX_ARGS];
    size_t n = 0;
    struct tl__filter f;
    char msg[160];
    if (tl__req_args(r, args, &n) != TL_OK ||
        tl__filter_parse(TL__F_STREAM, args, n, NULL, NULL, &f, msg, sizeof(msg)) != TL_OK) {
        return tl__respond_error(r, 400, "bad_query", NULL, "%s", n ? msg : "too many arguments");
    }
    const char *lei = tl__req_header(r, "Last-Event-ID");
    if (lei && f.since < 0) {
        struct tl__arg a = {"since", lei};
        if (tl__filter_parse(TL__F_STREAM, &a, 1, NULL, NULL, &f, msg, sizeof(msg)) != TL_OK) {
            return tl__respond_error(r, 400, "bad_last_event_id", NULL,
                                     "Last-Event-ID: expected an id this stream sent");
        }
    }
    struct stream *st = tl_calloc(1, sizeof(*st));
    if (!st) {
        return tl__respond_error(r, 503, "no_memory", NULL, "out of memory");
    }
    st->s = r->s;
    st->kinds = f.kinds;
    st->embargoed = r->role == TL_ROLE_PUBLIC;
    st->embargo_ns = r->s->cfg.embargo_ns;
    tl__sbuf_init(&st->out, (size_t)16 << 20);
    if (f.since >= 0) {
        st->last_sent = f.since;
        st->catchup = true;
    } else {
        pthread_mutex_lock(&r->s->hub.mu);
        st->last_sent = r->s->hub.last_seq;
        pthread_mutex_unlock(&r->s->hub.mu);
        if (st->last_sent < 0) {
            /* nothing published since start: begin after what the store holds */
            struct tl__conn *c = tl__store_reader(r->s->store);
            sqlite3_stmt *q = tl__stmt(c, "SELECT coalesce(max(seq), 0) FROM versions");
            if (q && sqlite3_step(q) == SQLITE_ROW) {
                st->last_sent = sqlite3_column_int64(q, 0);
            }
            tl__store_release(r->s->store, c);
            st->catchup = true; /* closes the gap to anything published meanwhile */
        }
    }
    tl__sbuf_str(&st->out, "retry: 2000\n: truceline live feed\n\n");
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
                                                                  stream_read, st, stream_free);
    if (!resp) {
        tl__sbuf_fini(&st->out);
        tl_free(st);
        return tl__respond_error(r, 503, "no_memory", NULL, "out of memory");
    }
    atomic_fetch_add(&r->s->hub.clients, 1);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    enum MHD_Result ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    r->responded = true;
    return ret;
}
