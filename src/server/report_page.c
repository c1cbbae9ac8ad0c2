/*
 * report_page.c - GET /report/{date}: the daily report as one HTML page.
 *
 * Gathers what the report shows from the store, with the same visibility as the rest of the
 * API (the public sees only what is older than the embargo), and hands it to the report
 * renderer (src/report/, include/truceline/report.h):
 *   - the day's current events and findings (withdrawn ones left out), with their review
 *     status and the log index of each finding's current version (tl__day_objects_load, which
 *     the day's bulletin uses too, also keeps each one's standing review for it);
 *   - the seven previous days' counts, counted from the objects table with the renderer's
 *     rules (rejected apart);
 *   - each station's coverage: 10-minute intervals with at least one record, records,
 *     picks, and its own status reports of the day, over the network's operating period of
 *     the day (its first to its latest interval with a record of any station: a day still
 *     running, or a network started that day, is not counted as silence);
 *   - the latest processing run's station quality control (not for the public, as in
 *     /v1/stations: which stations are weak is operational information);
 *   - the log's published checkpoint (the file the log publishes at /log/checkpoint).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <truceline/report.h>
#include <truceline/time.h>

#include "server_priv.h"

#define DAY_NS      (INT64_C(86400) * TL_NS_PER_S)
#define PREV_DAYS   7
#define MAX_OBJECTS (1u << 22)

void
tl__day_objects_free(struct tl__day_objects *d)
{
    for (size_t i = 0; i < d->ne; i++) {
        tl_free(d->arrs[i]);
        tl_free(d->ev_review[i]);
    }
    for (size_t i = 0; i < d->nf; i++) {
        tl_free(d->fd_review[i]);
    }
    tl_free(d->arrs);
    tl_free(d->ev_review);
    tl_free(d->fd_review);
    tl_free(d->ev);
    tl_free(d->ev_status);
    tl_free(d->fd);
    tl_free(d->fd_status);
    tl_free(d->fd_log);
    tl_free(d->fd_provisional);
    memset(d, 0, sizeof(*d));
}

/* Grow the parallel arrays of events (or findings) to hold one more. */
static int
grow_events(struct tl__day_objects *d)
{
    if (d->ne < d->cape) {
        return TL_OK;
    }
    size_t cap = d->cape ? d->cape * 2 : 256;
    if (cap > MAX_OBJECTS) {
        return TL_ETOOBIG;
    }
    void *a = tl_realloc(d->ev, cap * sizeof(*d->ev));
    if (!a) {
        return TL_ENOMEM;
    }
    d->ev = a;
    a = tl_realloc(d->arrs, cap * sizeof(*d->arrs));
    if (!a) {
        return TL_ENOMEM;
    }
    d->arrs = a;
    a = tl_realloc(d->ev_status, cap * sizeof(*d->ev_status));
    if (!a) {
        return TL_ENOMEM;
    }
    d->ev_status = a;
    a = tl_realloc(d->ev_review, cap * sizeof(*d->ev_review));
    if (!a) {
        return TL_ENOMEM;
    }
    d->ev_review = a;
    d->cape = cap;
    return TL_OK;
}

static int
grow_findings(struct tl__day_objects *d)
{
    if (d->nf < d->capf) {
        return TL_OK;
    }
    size_t cap = d->capf ? d->capf * 2 : 256;
    if (cap > MAX_OBJECTS) {
        return TL_ETOOBIG;
    }
    void *a = tl_realloc(d->fd, cap * sizeof(*d->fd));
    if (!a) {
        return TL_ENOMEM;
    }
    d->fd = a;
    a = tl_realloc(d->fd_status, cap * sizeof(*d->fd_status));
    if (!a) {
        return TL_ENOMEM;
    }
    d->fd_status = a;
    a = tl_realloc(d->fd_log, cap * sizeof(*d->fd_log));
    if (!a) {
        return TL_ENOMEM;
    }
    d->fd_log = a;
    a = tl_realloc(d->fd_provisional, cap * sizeof(*d->fd_provisional));
    if (!a) {
        return TL_ENOMEM;
    }
    d->fd_provisional = a;
    a = tl_realloc(d->fd_review, cap * sizeof(*d->fd_review));
    if (!a) {
        return TL_ENOMEM;
    }
    d->fd_review = a;
    d->capf = cap;
    return TL_OK;
}

static enum tl_review_status
status_of(int v)
{
    return v == TL_STATUS_REVIEWED   ? TL_STATUS_REVIEWED
           : v == TL_STATUS_REJECTED ? TL_STATUS_REJECTED
                                     : TL_STATUS_AUTOMATIC;
}

/* The feature's standing review as it is stored (compact, in its order), or NULL: none. */
static int
review_text(json_t *feature, char **out)
{
    json_t *rv = json_object_get(json_object_get(feature, "properties"), "review");
    *out = NULL;
    if (!json_is_object(rv)) {
        return TL_OK;
    }
    *out = tl__json_dumps(rv, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    return *out ? TL_OK : TL_ENOMEM;
}

int
tl__day_objects_load(struct tl_server *s, tl_time_ns from, tl_time_ns to, struct tl__day_objects *d)
{
    memset(d, 0, sizeof(*d));
    int rc = TL_OK;
    struct tl__conn *c = tl__store_reader(s->store);
    sqlite3_stmt *st = tl__stmt(c, "SELECT o.kind, o.status, v.doc, v.log_index FROM objects o "
                                   "JOIN versions v ON v.seq = o.cur_seq WHERE o.withdrawn = 0 "
                                   "AND o.kind IN (1, 2) AND o.t_ns >= ?1 AND o.t_ns < ?2 "
                                   "ORDER BY o.t_ns, o.id");
    if (!st) {
        rc = TL_ESTORE;
    } else {
        sqlite3_bind_int64(st, 1, from);
        sqlite3_bind_int64(st, 2, to);
    }
    while (rc == TL_OK && sqlite3_step(st) == SQLITE_ROW) {
        json_t *j = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
        if (!j) {
            continue;
        }
        enum tl_review_status status = status_of(sqlite3_column_int(st, 1));
        char *review = NULL;
        if (sqlite3_column_int(st, 0) == TL__OBJ_EVENT) {
            rc = grow_events(d);
            if (rc == TL_OK) {
                rc = review_text(j, &review);
            }
            if (rc == TL_OK &&
                tl__event_from_feature(s->mission, j, &d->ev[d->ne], &d->arrs[d->ne]) == TL_OK) {
                d->ev_status[d->ne] = status;
                d->ev_review[d->ne] = review;
                review = NULL;
                d->ne++;
            }
        } else {
            rc = grow_findings(d);
            if (rc == TL_OK) {
                rc = review_text(j, &review);
            }
            if (rc == TL_OK && tl__finding_from_feature(s->mission, j, &d->fd[d->nf]) == TL_OK) {
                d->fd_status[d->nf] = status;
                d->fd_review[d->nf] = review;
                review = NULL;
                d->fd_log[d->nf] =
                    sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
                d->fd_provisional[d->nf] = tl__feature_provisional(j);
                d->nf++;
            }
        }
        tl_free(review);
        json_decref(j);
    }
    if (st) {
        sqlite3_reset(st);
    }
    tl__store_release(s->store, c);
    return rc;
}

/* The counts of [from, to) from the objects table, with the renderer's rules. */
static void
count_day(struct tl__conn *c, tl_time_ns from, tl_time_ns to, struct tl_report_counts *out)
{
    memset(out, 0, sizeof(*out));
    out->day_ns = from;
    sqlite3_stmt *st = tl__stmt(c, "SELECT kind, class, side, status, count(*) FROM objects "
                                   "WHERE withdrawn = 0 AND kind IN (1, 2) AND t_ns >= ?1 AND "
                                   "t_ns < ?2 GROUP BY kind, class, side, status");
    if (!st) {
        return;
    }
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int kind = sqlite3_column_int(st, 0), cls = sqlite3_column_int(st, 1);
        int side = sqlite3_column_int(st, 2);
        enum tl_review_status status = status_of(sqlite3_column_int(st, 3));
        long n = (long)sqlite3_column_int64(st, 4);
        if (status == TL_STATUS_REJECTED) {
            *(kind == TL__OBJ_EVENT ? &out->rejected_events : &out->rejected_findings) += n;
            continue;
        }
        out->reviewed += status == TL_STATUS_REVIEWED ? n : 0;
        if (kind == TL__OBJ_EVENT) {
            out->events += n;
            out->launches += cls == TL_CLASS_LAUNCH ? n : 0;
            out->impacts += cls == TL_CLASS_IMPACT ? n : 0;
            out->unknown += cls == TL_CLASS_UNKNOWN ? n : 0;
        } else {
            out->findings += n;
            out->fired_left += side == TL_SIDE_LEFT ? n : 0;
            out->fired_right += side == TL_SIDE_RIGHT ? n : 0;
            out->fired_ambiguous += side == TL_SIDE_AMBIGUOUS ? n : 0;
        }
    }
    sqlite3_reset(st);
}

static long
find_row(const struct tl_report_station *rs, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rs[i].id, id) == 0) {
            return (long)i;
        }
    }
    return -1;
}

/* Coverage of every mission station over [from, to). */
static int
station_coverage(struct tl_server *s,
                 tl_time_ns from,
                 tl_time_ns to,
                 struct tl_report_station *rs,
                 size_t n)
{
    size_t nb = TL_REPORT_BINS;
    unsigned char *bins = tl_calloc(n * nb, 1);
    if (!bins) {
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(rs[i].id, sizeof(rs[i].id), "%s", tl_mission_station(s->mission, i)->id);
    }
    struct tl__conn *c = tl__store_reader(s->store);
    int64_t first = INT64_MAX, last = -1; /* the network's first and last bins of the day */
    sqlite3_stmt *st = tl__stmt(c, "SELECT station, (t_ns - ?1) / ?3, count(*), "
                                   "sum(type = 0) FROM records WHERE t_ns >= ?1 AND "
                                   "t_ns < ?2 GROUP BY station, (t_ns - ?1) / ?3");
    if (st) {
        sqlite3_bind_int64(st, 1, from);
        sqlite3_bind_int64(st, 2, to);
        sqlite3_bind_int64(st, 3, (int64_t)TL_REPORT_BIN_S * TL_NS_PER_S);
        while (sqlite3_step(st) == SQLITE_ROW) {
            long k = find_row(rs, n, (const char *)sqlite3_column_text(st, 0));
            int64_t b = sqlite3_column_int64(st, 1);
            if (k < 0 || b < 0 || b >= (int64_t)nb) {
                continue;
            }
            bins[(size_t)k * nb + (size_t)b] = 1;
            rs[k].records += (long)sqlite3_column_int64(st, 2);
            rs[k].picks += (long)sqlite3_column_int64(st, 3);
            first = b < first ? b : first;
            last = b > last ? b : last;
        }
        sqlite3_reset(st);
    }
    st = tl__stmt(c, "SELECT station, line FROM records WHERE type = 2 AND t_ns >= ?1 AND "
                     "t_ns < ?2");
    if (st) {
        sqlite3_bind_int64(st, 1, from);
        sqlite3_bind_int64(st, 2, to);
        while (sqlite3_step(st) == SQLITE_ROW) {
            long k = find_row(rs, n, (const char *)sqlite3_column_text(st, 0));
            json_t *j = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
            const char *state = json_string_value(json_object_get(j, "state"));
            if (k >= 0 && state) {
                rs[k].n_down += strcmp(state, "down") == 0;
                rs[k].n_tamper += strcmp(state, "tamper") == 0;
                rs[k].n_clock_unsync += strcmp(state, "clock_unsync") == 0;
                rs[k].n_low_power += strcmp(state, "low_power") == 0;
            }
            json_decref(j);
        }
        sqlite3_reset(st);
    }
    tl__store_release(s->store, c);
    /* the network's operating period of the day: its first to its latest interval */
    int64_t expected = last >= 0 ? last - first + 1 : 0;
    for (size_t i = 0; i < n; i++) {
        rs[i].bins_expected = (int)expected;
        int run = 0;
        for (int64_t b = first; b <= last; b++) {
            if (bins[i * nb + (size_t)b]) {
                rs[i].bins_heard++;
                run = 0;
            } else if (++run > rs[i].longest_gap_bins) {
                rs[i].longest_gap_bins = run;
            }
        }
    }
    tl_free(bins);
    return TL_OK;
}

/* The published checkpoint's text, or NULL. */
static char *
read_checkpoint(const struct tl_server *s)
{
    char path[sizeof(s->log_dir) + 16];
    snprintf(path, sizeof(path), "%s/checkpoint", s->log_dir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    char *buf = tl_malloc(8192);
    size_t n = buf ? fread(buf, 1, 8191, f) : 0;
    fclose(f);
    if (buf) {
        buf[n] = '\0';
    }
    return buf;
}

int
tl__handle_report(struct tl__req *r)
{
    struct tl__arg args[TL__MAX_ARGS];
    size_t nargs = 0;
    if (tl__req_args(r, args, &nargs) != TL_OK || nargs > 0) {
        return tl__respond_error(r, 400, "bad_query", NULL,
                                 "/report/{date} takes no query arguments");
    }
    char ts[32];
    snprintf(ts, sizeof(ts), "%sT00:00:00Z", r->route.arg);
    tl_time_ns from;
    if (tl_time_parse(ts, strlen(ts), &from, NULL) != TL_OK) {
        return tl__respond_error(r, 400, "bad_date", NULL, "not a date: %s", r->route.arg);
    }
    struct tl_server *s = r->s;
    tl_time_ns vis = tl__visible_until(r);
    tl_time_ns to = from + DAY_NS < vis ? from + DAY_NS : (vis > from ? vis : from);
    struct tl__day_objects d;
    memset(&d, 0, sizeof(d));
    size_t ns = tl_mission_station_count(s->mission);
    struct tl_report_station *rs = tl_calloc(ns ? ns : 1, sizeof(*rs));
    struct tl_station_qc *qc = NULL;
    size_t nqc = 0;
    char *checkpoint = NULL, *html = NULL;
    size_t len = 0;
    int rc = rs ? tl__day_objects_load(s, from, to, &d) : TL_ENOMEM;
    if (rc == TL_OK) {
        rc = station_coverage(s, from, to, rs, ns);
    }
    if (rc == TL_OK && r->role != TL_ROLE_PUBLIC && tl__live_qc(s, &qc, &nqc) == TL_OK) {
        for (size_t i = 0; i < nqc; i++) {
            long k = find_row(rs, ns, qc[i].station);
            if (k >= 0) {
                rs[k].has_qc = true;
                rs[k].qc = qc[i];
            }
        }
    }
    struct tl_report_counts prev[PREV_DAYS];
    size_t nprev = 0;
    if (rc == TL_OK) {
        struct tl__conn *c = tl__store_reader(s->store);
        for (int k = 1; k <= PREV_DAYS; k++) {
            tl_time_ns a = from - k * DAY_NS, b = a + DAY_NS < vis ? a + DAY_NS : vis;
            if (b <= a) {
                break;
            }
            count_day(c, a, b, &prev[nprev++]);
        }
        tl__store_release(s->store, c);
        checkpoint = read_checkpoint(s);
        struct tl_report rep = {.mission = s->mission,
                                .day_ns = from,
                                .generated_ns = tl_time_now(),
                                .visible_until_ns = vis,
                                .audience = tl_role_name(r->role),
                                .events = d.ev,
                                .n_events = d.ne,
                                .findings = d.fd,
                                .n_findings = d.nf,
                                .event_status = d.ev_status,
                                .finding_status = d.fd_status,
                                .finding_log_index = d.fd_log,
                                .finding_provisional = d.fd_provisional,
                                .finding_review = (const char *const *)d.fd_review,
                                .stations = rs,
                                .n_stations = ns,
                                .previous = prev,
                                .n_previous = nprev,
                                .checkpoint = checkpoint};
        rc = tl_report_html(&rep, &html, &len);
    }
    tl__day_objects_free(&d);
    tl_free(rs);
    tl_free(qc);
    tl_free(checkpoint);
    if (rc != TL_OK) {
        return tl__respond_error(r, rc == TL_ENOMEM ? 503 : 500, "report_failed", NULL,
                                 "cannot build the report: %s", tl_strerror(rc));
    }
    return tl__respond(r, 200, "text/html; charset=utf-8", html, len);
}

/* ---------------------------------------------------------------- client -- */

int
tl_report_fetch(const char *url,
                const char *date,
                const char *token,
                char **html,
                size_t *len,
                struct tl_diag *diag)
{
    if (!date || strlen(date) != 10 || !html) {
        return tl__diag(diag, TL_EINVAL, "date", "expected YYYY-MM-DD");
    }
    struct tl__http_client c;
    if (tl__http_client_init(&c, url) != TL_OK) {
        return tl__diag(diag, TL_EINVAL, "url", "expected http://HOST:PORT, got %s",
                        url ? url : "(none)");
    }
    char path[64], auth[TL_TOKEN_MAX + 32];
    snprintf(path, sizeof(path), "/report/%s", date);
    const char *headers[2] = {NULL, NULL};
    if (token && *token) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        headers[0] = auth;
    }
    struct tl__http_resp resp;
    memset(&resp, 0, sizeof(resp));
    int rc = tl__http_request(&c, "GET", path, headers, NULL, 0, &resp);
    tl__http_client_close(&c);
    if (rc != TL_OK) {
        return tl__diag(diag, rc == TL_ENOMEM ? TL_ENOMEM : TL_EIO, "url", "%s: no answer (%s)",
                        url, tl_strerror(rc));
    }
    if (resp.status != 200) {
        json_t *j = resp.body ? json_loads(resp.body, 0, NULL) : NULL;
        const char *msg = json_string_value(json_object_get(j, "message"));
        tl__diag(diag, TL_EIO, "report", "%s%s: HTTP %d: %s", url, path, resp.status,
                 msg ? msg : "no message");
        json_decref(j);
        tl_free(resp.body);
        return TL_EIO;
    }
    *html = resp.body;
    if (len) {
        *len = resp.len;
    }
    return TL_OK;
}
