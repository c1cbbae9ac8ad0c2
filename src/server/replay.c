/*
 * replay.c - play a records file into a server as its stations would.
 *
 * Each station of the file becomes a sender with its own key, its own
 * sequence numbers and its own queue of records, in the file's order (the
 * simulator writes records in delivery order: late, out-of-order and duplicate
 * deliveries included) or, with time_order, in time order.  A record is due
 * when the replay clock passes its send time: the latest record time seen so
 * far in the station's queue (delivery order) or its own time (time order),
 * scaled by `speed` from the first record's time; speed 0 sends as fast as
 * the server acknowledges.  Whatever is due for a station goes in one signed
 * batch (up to batch_max records).
 *
 * `connections` worker threads each serve a fixed set of stations over one
 * kept-alive connection, so a station's batches leave in order and a batch is
 * sent only after the previous one is acknowledged.  Retries: 429 after its
 * Retry-After, 5xx and connection failures with exponential backoff (50 ms to
 * 2 s) until retry_for_s; a retry reuses the sequence number, and a 409 saying
 * the batch is already stored counts as its acknowledgement (the reply was lost).
 * A 409 for a sequence number the server has moved past (another replay of the
 * same stations) resynchronises from the server's last_seq.
 */
#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <truceline/jsonl.h>
#include <truceline/time.h>

#include "server_priv.h"

#define MAX_STATIONS 4096

struct rrec {
    uint32_t sta;
    tl_time_ns send_ns;
    size_t off, len;
    size_t order; /* file order */
};

struct rsta {
    char id[TL_STATION_ID_MAX];
    uint8_t seed[32];
    char token[TL_TOKEN_MAX];
    size_t *recs; /* indices into the record array, in send order */
    size_t n, cap, pos;
    uint64_t seq;
};

struct replay {
    const struct tl_replay_config *cfg;
    char *text; /* every line, back to back */
    size_t text_len, text_cap;
    struct rrec *recs;
    size_t n_recs, cap_recs;
    struct rsta *sta;
    size_t n_sta, cap_sta;
    tl_time_ns t0;
    tl_time_ns wall0;
    pthread_mutex_t mu;
    struct tl_replay_stats st;
    double *lat; /* acknowledgement latencies (ms) */
    size_t n_lat, cap_lat;
    FILE *acked;
    int first_error_logged;
};

struct worker {
    struct replay *rp;
    unsigned index;
    pthread_t thread;
};

static long
station_index(struct replay *rp, const char *id)
{
    for (size_t i = 0; i < rp->n_sta; i++) {
        if (strcmp(rp->sta[i].id, id) == 0) {
            return (long)i;
        }
    }
    if (tl__grow((void **)&rp->sta, &rp->cap_sta, rp->n_sta + 1, sizeof(*rp->sta), MAX_STATIONS) !=
        TL_OK) {
        return -1;
    }
    struct rsta *s = &rp->sta[rp->n_sta];
    memset(s, 0, sizeof(*s));
    tl__strlcpy(s->id, id, sizeof(s->id));
    return (long)rp->n_sta++;
}

static int
load(struct replay *rp, struct tl_diag *diag)
{
    struct tl_jsonl *r = NULL;
    int rc = tl_jsonl_open(rp->cfg->records_path, 0, &r, diag);
    if (rc != TL_OK) {
        return rc;
    }
    const char *line;
    size_t len;
    int got;
    while ((got = tl_jsonl_next(r, &line, &len, NULL)) != 0) {
        if (got < 0) {
            if (got == TL_EIO) {
                rc = tl__diag(diag, TL_EIO, NULL, "%s: read error", rp->cfg->records_path);
                break;
            }
            rp->st.lines++;
            rp->st.unreadable++;
            continue;
        }
        rp->st.lines++;
        struct tl_record rec;
        if (tl_record_parse(line, len, NULL, &rec, NULL) != TL_OK) {
            rp->st.unreadable++;
            continue;
        }
        long si = station_index(rp, tl_record_station(&rec));
        if (si < 0 ||
            tl__grow((void **)&rp->recs, &rp->cap_recs, rp->n_recs + 1, sizeof(*rp->recs),
                     (size_t)1 << 28) != TL_OK ||
            tl__grow((void **)&rp->text, &rp->text_cap, rp->text_len + len + 1, 1,
                     (size_t)1 << 34) != TL_OK) {
            rc = TL_ENOMEM;
            break;
        }
        struct rrec *x = &rp->recs[rp->n_recs];
        x->sta = (uint32_t)si;
        x->send_ns = tl_record_time(&rec);
        x->off = rp->text_len;
        x->len = len;
        x->order = rp->n_recs;
        memcpy(rp->text + rp->text_len, line, len);
        rp->text_len += len;
        rp->n_recs++;
        struct rsta *s = &rp->sta[si];
        if (tl__grow((void **)&s->recs, &s->cap, s->n + 1, sizeof(*s->recs), (size_t)1 << 28) !=
            TL_OK) {
            rc = TL_ENOMEM;
            break;
        }
        s->recs[s->n++] = rp->n_recs - 1;
    }
    tl_jsonl_free(r);
    return rc;
}

struct skey {
    tl_time_ns t;
    size_t order, idx;
};

static int
cmp_skey(const void *a, const void *b)
{
    const struct skey *x = a, *y = b;
    if (x->t != y->t) {
        return x->t < y->t ? -1 : 1;
    }
    return x->order < y->order ? -1 : (x->order > y->order);
}

/* Send times, in each station's queue order. */
static int
schedule(struct replay *rp)
{
    rp->t0 = INT64_MAX;
    for (size_t i = 0; i < rp->n_sta; i++) {
        struct rsta *s = &rp->sta[i];
        if (rp->cfg->time_order && s->n > 1) {
            struct skey *k = tl_calloc(s->n, sizeof(*k));
            if (!k) {
                return TL_ENOMEM;
            }
            for (size_t j = 0; j < s->n; j++) {
                const struct rrec *x = &rp->recs[s->recs[j]];
                k[j] = (struct skey){x->send_ns, x->order, s->recs[j]};
            }
            qsort(k, s->n, sizeof(*k), cmp_skey);
            for (size_t j = 0; j < s->n; j++) {
                s->recs[j] = k[j].idx;
            }
            tl_free(k);
        } else if (!rp->cfg->time_order) {
            tl_time_ns hw = INT64_MIN;
            for (size_t k = 0; k < s->n; k++) {
                struct rrec *x = &rp->recs[s->recs[k]];
                if (x->send_ns > hw) {
                    hw = x->send_ns;
                }
                x->send_ns = hw;
            }
        }
        if (s->n && rp->recs[s->recs[0]].send_ns < rp->t0) {
            rp->t0 = rp->recs[s->recs[0]].send_ns;
        }
    }
    return TL_OK;
}

/* Wall-clock time at which a record is due. */
static tl_time_ns
due_at(const struct replay *rp, const struct rrec *x)
{
    if (rp->cfg->speed <= 0) {
        return rp->wall0;
    }
    return rp->wall0 + (tl_time_ns)((double)(x->send_ns - rp->t0) / rp->cfg->speed);
}

static void
sleep_ns(tl_time_ns ns)
{
    if (ns <= 0) {
        return;
    }
    struct timespec ts = {(time_t)(ns / TL_NS_PER_S), (long)(ns % TL_NS_PER_S)};
    nanosleep(&ts, NULL);
}

static void
count_ack(struct replay *rp,
          const struct rsta *s,
          size_t first,
          size_t n,
          long stored,
          long dups,
          double ms,
          bool measured)
{
    pthread_mutex_lock(&rp->mu);
    rp->st.batches++;
    rp->st.records_sent += (long)n;
    rp->st.stored += stored;
    rp->st.duplicates += dups;
    if (measured && tl__grow((void **)&rp->lat, &rp->cap_lat, rp->n_lat + 1, sizeof(double),
                             (size_t)1 << 28) == TL_OK) {
        rp->lat[rp->n_lat++] = ms;
    }
    if (rp->acked) {
        for (size_t k = first; k < first + n; k++) {
            const struct rrec *x = &rp->recs[s->recs[k]];
            fwrite(rp->text + x->off, 1, x->len, rp->acked);
            fputc('\n', rp->acked);
        }
        fflush(rp->acked);
    }
    pthread_mutex_unlock(&rp->mu);
}

static long
json_long(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : 0;
}

/* Send one batch of station s (records pos .. pos+n) until acknowledged or given up. */
static void
send_batch(struct replay *rp, struct tl__http_client *cl, struct rsta *s, size_t n)
{
    struct tl__sbuf body;
    tl__sbuf_init(&body, (size_t)1 << 31);
    for (size_t k = s->pos; k < s->pos + n; k++) {
        const struct rrec *x = &rp->recs[s->recs[k]];
        tl__sbuf_add(&body, rp->text + x->off, x->len);
        tl__sbuf_add(&body, "\n", 1);
    }
    char path[64];
    snprintf(path, sizeof(path), "/v1/stations/%s/records", s->id);
    tl_time_ns start = tl_time_now();
    tl_time_ns backoff = 50 * TL_NS_PER_MS;
    bool resynced = false;
    for (;;) {
        char sig[TL_SIGNATURE_MAX], h1[TL_SIGNATURE_MAX + 40], h2[TL_TOKEN_MAX + 40];
        tl_ingest_sign(s->seed, "POST", path, s->seq, body.p, body.n, sig);
        snprintf(h1, sizeof(h1), "%s: %s", TL_SIGNATURE_HEADER, sig);
        const char *headers[4] = {"Content-Type: application/x-ndjson", h1, NULL, NULL};
        if (s->token[0]) {
            snprintf(h2, sizeof(h2), "Authorization: Bearer %s", s->token);
            headers[2] = h2;
        }
        struct tl__http_resp resp = {0};
        tl_time_ns t1 = tl_time_now();
        int rc = tl__http_request(cl, "POST", path, headers, body.p, body.n, &resp);
        double ms = (double)(tl_time_now() - t1) / 1e6;
        json_t *j = rc == TL_OK ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
        bool done = false, retry = false;
        tl_time_ns wait = 0;
        if (rc == TL_OK && resp.status == 202) {
            count_ack(rp, s, s->pos, n, json_long(j, "stored"), json_long(j, "duplicates"), ms,
                      true);
            s->seq++;
            done = true;
        } else if (rc == TL_OK && resp.status == 409 &&
                   json_is_true(json_object_get(j, "stored"))) {
            /* the server holds this very batch: our earlier attempt went through */
            count_ack(rp, s, s->pos, n, 0, (long)n, ms, false);
            s->seq++;
            done = true;
        } else if (rc == TL_OK && resp.status == 409 && !resynced) {
            long last = json_long(j, "last_seq");
            s->seq = (uint64_t)(last > 0 ? last : 0) + 1;
            resynced = true;
            pthread_mutex_lock(&rp->mu);
            rp->st.conflicts++;
            pthread_mutex_unlock(&rp->mu);
            retry = true;
        } else if (rc == TL_OK && resp.status == 429) {
            pthread_mutex_lock(&rp->mu);
            rp->st.rate_limited++;
            pthread_mutex_unlock(&rp->mu);
            double ra = json_number_value(json_object_get(j, "retry_after_s"));
            if (!(ra > 0)) {
                ra = resp.retry_after_s > 0 ? resp.retry_after_s : 0.1;
            }
            wait = (tl_time_ns)(ra * 1e9) + 5 * TL_NS_PER_MS;
            retry = true;
        } else if (rc != TL_OK || resp.status >= 500) {
            wait = backoff;
            backoff = backoff * 2 > 2 * TL_NS_PER_S ? 2 * TL_NS_PER_S : backoff * 2;
            retry = true;
        } else {
            pthread_mutex_lock(&rp->mu);
            rp->st.rejected += (long)n;
            if (rp->first_error_logged++ < 5) {
                TL_LOG(TL_LOG_WARN, "replay", "station %s: batch of %zu refused (%d): %.300s",
                       s->id, n, resp.status, resp.body ? resp.body : "");
            }
            pthread_mutex_unlock(&rp->mu);
            s->seq++;
            done = true;
        }
        json_decref(j);
        tl_free(resp.body);
        if (done) {
            break;
        }
        if (retry && (double)(tl_time_now() - start) / 1e9 > rp->cfg->retry_for_s) {
            pthread_mutex_lock(&rp->mu);
            rp->st.failed_batches++;
            TL_LOG(TL_LOG_WARN, "replay", "station %s: batch of %zu given up after %.0f s", s->id,
                   n, rp->cfg->retry_for_s);
            pthread_mutex_unlock(&rp->mu);
            s->seq++;
            break;
        }
        pthread_mutex_lock(&rp->mu);
        rp->st.retries++;
        pthread_mutex_unlock(&rp->mu);
        sleep_ns(wait);
    }
    s->pos += n;
    tl__sbuf_fini(&body);
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    struct replay *rp = w->rp;
    unsigned nw = rp->cfg->connections;
    struct tl__http_client cl;
    tl__http_client_init(&cl, rp->cfg->url);
    for (;;) {
        bool pending = false, progress = false;
        tl_time_ns next = INT64_MAX, now = tl_time_now();
        for (size_t i = w->index; i < rp->n_sta; i += nw) {
            struct rsta *s = &rp->sta[i];
            if (s->pos >= s->n) {
                continue;
            }
            pending = true;
            size_t n = 0;
            while (s->pos + n < s->n && n < rp->cfg->batch_max &&
                   due_at(rp, &rp->recs[s->recs[s->pos + n]]) <= now) {
                n++;
            }
            if (n == 0) {
                tl_time_ns d = due_at(rp, &rp->recs[s->recs[s->pos]]);
                next = d < next ? d : next;
                continue;
            }
            send_batch(rp, &cl, s, n);
            progress = true;
            now = tl_time_now();
        }
        if (!pending) {
            break;
        }
        if (!progress) {
            tl_time_ns d = next - tl_time_now();
            sleep_ns(d > 100 * TL_NS_PER_MS ? 100 * TL_NS_PER_MS : d);
        }
    }
    tl__http_client_close(&cl);
    return NULL;
}

void
tl_replay_config_default(struct tl_replay_config *c)
{
    memset(c, 0, sizeof(*c));
    c->speed = 0;
    c->batch_max = 500;
    c->connections = 4;
    c->retry_for_s = 60;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y);
}

static void
read_token(const char *dir, const char *id, char *out)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.token", dir, id);
    FILE *f = fopen(path, "r");
    if (!f) {
        return;
    }
    if (fgets(out, TL_TOKEN_MAX, f)) {
        out[strcspn(out, "\r\n")] = '\0';
    }
    fclose(f);
}

int
tl_replay_run(const struct tl_replay_config *c, struct tl_replay_stats *stats, struct tl_diag *diag)
{
    struct tl__http_client probe;
    if (!c || !stats || !c->records_path || !c->keys_dir ||
        tl__http_client_init(&probe, c->url) != TL_OK || !(c->speed >= 0) || c->batch_max < 1 ||
        c->connections < 1 || c->connections > 256 || !(c->retry_for_s >= 0)) {
        return tl__diag(diag, TL_EINVAL, NULL,
                        "bad replay settings (url http://HOST:PORT, speed >= 0, batch >= 1, "
                        "1-256 connections)");
    }
    struct replay *rp = tl_calloc(1, sizeof(*rp));
    if (!rp) {
        return TL_ENOMEM;
    }
    rp->cfg = c;
    pthread_mutex_init(&rp->mu, NULL);
    struct worker *ws = NULL;
    int rc = load(rp, diag);
    uint64_t seq0 = (uint64_t)(tl_time_now() / 1000);
    for (size_t i = 0; rc == TL_OK && i < rp->n_sta; i++) {
        rc = tl_station_key_load(c->keys_dir, rp->sta[i].id, rp->sta[i].seed, diag);
        rp->sta[i].seq = seq0;
        if (c->tokens_dir) {
            read_token(c->tokens_dir, rp->sta[i].id, rp->sta[i].token);
        }
    }
    if (rc == TL_OK && c->acked_path) {
        rp->acked = fopen(c->acked_path, "a");
        if (!rp->acked) {
            rc = tl__diag(diag, TL_EIO, NULL, "cannot open %s", c->acked_path);
        }
    }
    unsigned nw = c->connections;
    if (rc == TL_OK && (rc = schedule(rp)) == TL_OK) {
        ws = tl_calloc(nw, sizeof(*ws));
        if (!ws) {
            rc = TL_ENOMEM;
        }
    }
    tl_time_ns start = tl_time_now();
    if (rc == TL_OK) {
        rp->wall0 = start;
        unsigned started = 0;
        for (unsigned i = 0; i < nw; i++) {
            ws[i].rp = rp;
            ws[i].index = i;
            if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0) {
                rc = TL_ENOMEM;
                break;
            }
            started++;
        }
        for (unsigned i = 0; i < started; i++) {
            pthread_join(ws[i].thread, NULL);
        }
    }
    rp->st.elapsed_s = (double)(tl_time_now() - start) / 1e9;
    if (rp->n_lat) {
        qsort(rp->lat, rp->n_lat, sizeof(double), cmp_double);
        rp->st.ack_p50_ms = rp->lat[rp->n_lat / 2];
        size_t k = rp->n_lat * 99 / 100;
        rp->st.ack_p99_ms = rp->lat[k < rp->n_lat ? k : rp->n_lat - 1];
        rp->st.ack_max_ms = rp->lat[rp->n_lat - 1];
    }
    *stats = rp->st;
    if (rc == TL_OK && rp->st.failed_batches > 0) {
        rc = tl__diag(diag, TL_EIO, NULL, "%ld batches were not acknowledged",
                      rp->st.failed_batches);
    }
    if (rp->acked) {
        fclose(rp->acked);
    }
    for (size_t i = 0; i < rp->n_sta; i++) {
        tl_free(rp->sta[i].recs);
        sodium_memzero(rp->sta[i].seed, sizeof(rp->sta[i].seed));
    }
    tl_free(ws);
    tl_free(rp->sta);
    tl_free(rp->recs);
    tl_free(rp->text);
    tl_free(rp->lat);
    pthread_mutex_destroy(&rp->mu);
    tl_free(rp);
    return rc;
}
