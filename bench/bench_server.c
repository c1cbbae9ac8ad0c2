/*
 * bench_server.c - the server under load: sustained signed ingest with its
 * acknowledgement latency, and the time from a finding's last pick to its
 * publication.  Run by `make bench` (release build), on this machine's cores
 * shared by server, processing and load generator alike.
 *
 *   1. ingest, saturation: a simulated busy day (about 131,000 picks and
 *      10,000 met and status records from 70 stations) played as fast as the
 *      server acknowledges, 4 connections, batches of 100 records, with live
 *      processing running;
 *   2. ingest, paced: the same day at a pace of about 6,000 picks/s, which is
 *      above the 5,000 picks/s target; p99 of the acknowledgement is the figure;
 *   3. latency: an hour of the busy day played at 30 times real time into a
 *      server with a 10-minute processing window; for each finding published
 *      for the first time, the time from the reception of the last pick of its
 *      launch and impact events to its publication (p50, p99), and the same from
 *      when it became derivable (docs/server.md, "Figures"), and where that time
 *      went: records still to come, the wait for a run to start, the run; then,
 *      from the versions stored, what a first version is worth: how many
 *      findings were revised after it and how, and the latency of the first and
 *      of the last version; and for the findings later than 5 s, what their
 *      launch event had been until then (late_causes).
 *
 * The load generator is `truceline replay`'s engine (tl_replay_run) in this
 * process: signing, HTTP and retries included.  Usage:
 *     bench_server [--quick]      (--quick: 3 hours of data, for a smoke run)
 *     bench_server --latency SPEED HOURS [START_H] [--time-order]
 *                                 (phase 3 alone: HOURS of the busy day from
 *                                 START_H o'clock, default 6, at SPEED x;
 *                                 --time-order: each station's records sent in
 *                                 time order, so none comes late)
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <truceline/truceline.h>

#include "server/server_priv.h"

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(path);
}

static void
rmrf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
die(const char *what, int rc)
{
    fprintf(stderr, "bench_server: %s: %s\n", what, tl_strerror(rc));
    exit(1);
}

/* A simulated scenario with station keys, written to dir. */
static void
scenario(const char *dir, const char *preset, double hours, tl_time_ns start)
{
    struct tl_mission *m = NULL;
    int rc = tl_mission_load(TL_SOURCE_DIR "/examples/demo/mission.geojson", &m, NULL);
    if (rc != TL_OK) {
        die("mission", rc);
    }
    struct tl_sim_config cfg = {preset, 1, start, hours, false};
    struct tl_sim *s = NULL;
    if ((rc = tl_sim_generate(m, &cfg, &s)) != TL_OK) {
        die("simulate", rc);
    }
    mkdir(dir, 0700);
    if ((rc = tl_sim_write(s, dir)) != TL_OK) {
        die("write", rc);
    }
    char keys[512], mission[512];
    snprintf(keys, sizeof(keys), "%s/keys", dir);
    snprintf(mission, sizeof(mission), "%s/mission.geojson", dir);
    struct tl_diag d;
    if ((rc = tl_station_keys_make(tl_sim_mission(s), keys, mission, &d)) != TL_OK) {
        die("keys", rc);
    }
    tl_sim_free(s);
    tl_mission_free(m);
}

static long
count_picks(const char *path)
{
    FILE *f = fopen(path, "r");
    long n = 0;
    char line[8192];
    while (f && fgets(line, sizeof(line), f)) {
        n += strstr(line, "\"type\"") == NULL || strstr(line, "\"type\":\"pick\"") != NULL;
    }
    if (f) {
        fclose(f);
    }
    return n;
}

static struct tl_server *
start_server(const char *mission, const char *data, tl_time_ns window_ns)
{
    struct tl_server_config c;
    tl_server_config_default(&c);
    c.mission_path = mission;
    c.data_dir = data;
    c.listen = "127.0.0.1:0";
    c.max_future_ns = -1;
    c.window_ns = window_ns;
    c.station_rate = 1e6;
    c.station_burst = 1e6;
    struct tl_server *s = NULL;
    struct tl_diag d;
    memset(&d, 0, sizeof(d));
    int rc = tl_server_new(&c, &s, &d);
    if (rc != TL_OK) {
        fprintf(stderr, "bench_server: server: %s\n", d.text);
        exit(1);
    }
    return s;
}

/* GET /v1/status with a token; the parsed JSON (caller decrefs). */
static json_t *
status(const char *url, const char *token)
{
    struct tl__http_client cl;
    tl__http_client_init(&cl, url);
    char auth[200];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *h[] = {auth, NULL};
    struct tl__http_resp r = {0};
    json_t *j = NULL;
    if (tl__http_request(&cl, "GET", "/v1/status", h, NULL, 0, &r) == TL_OK) {
        j = json_loads(r.body, 0, NULL);
    }
    tl_free(r.body);
    tl__http_client_close(&cl);
    return j;
}

static void
wait_idle(const char *url, const char *token, double max_s)
{
    int streak = 0;
    for (int i = 0; i < (int)(max_s * 10); i++) {
        json_t *j = status(url, token);
        bool idle = json_is_true(json_object_get(json_object_get(j, "processing"), "idle"));
        json_decref(j);
        streak = idle ? streak + 1 : 0;
        if (streak >= 3) {
            return;
        }
        usleep(100000);
    }
    fprintf(stderr, "bench_server: processing did not settle in %.0f s\n", max_s);
}

static void
ingest_phase(const char *label, const char *sc, const char *work, double speed, long picks)
{
    char mission[512], data[512], records[512], keys[512];
    snprintf(mission, sizeof(mission), "%s/mission.geojson", sc);
    snprintf(records, sizeof(records), "%s/records.jsonl", sc);
    snprintf(keys, sizeof(keys), "%s/keys", sc);
    snprintf(data, sizeof(data), "%s/data-%s", work, label);
    struct tl_server *s = start_server(mission, data, INT64_C(3600) * TL_NS_PER_S);
    struct tl_replay_config rc;
    tl_replay_config_default(&rc);
    rc.records_path = records;
    rc.url = tl_server_url(s);
    rc.keys_dir = keys;
    rc.speed = speed;
    rc.batch_max = 100;
    rc.connections = 4;
    struct tl_replay_stats st;
    struct tl_diag d;
    memset(&d, 0, sizeof(d));
    int r = tl_replay_run(&rc, &st, &d);
    if (r != TL_OK) {
        fprintf(stderr, "bench_server: replay: %s (%s)\n", tl_strerror(r), d.text);
    }
    double rate = (double)st.records_sent / st.elapsed_s;
    double prate = (double)picks / st.elapsed_s;
    printf("ingest %-10s %7ld records (%ld picks) in %5.1f s = %6.0f records/s, %6.0f picks/s; "
           "ack p50 %.1f ms, p99 %.1f ms, max %.1f ms (%ld batches, %ld retries)\n",
           label, st.records_sent, picks, st.elapsed_s, rate, prate, st.ack_p50_ms, st.ack_p99_ms,
           st.ack_max_ms, st.batches, st.retries);
    fflush(stdout);
    tl_server_free(s);
}

/*
 * The live processing's account of each new finding (live.c logs it at DEBUG): how long
 * ago its last pick came, how long ago it became derivable, and the run that found it.
 */
struct trace {
    double *last_ms, *drv_ms, *wait_ms, *run_ms, *first; /* first: 1 if the slice's first run */
    double *come_ms;                                     /* last pick -> derivable, unsorted */
    char (*id)[TL_ID_MAX];                               /* the finding */
    size_t n, cap;
    long first_run; /* findings of the first run of a slice (derivable measured from last pick) */
};

static void
trace_sink(void *ud,
           enum tl_log_level level,
           const char *component,
           const char *func,
           const char *msg)
{
    struct trace *t = ud;
    double last, drv, ago, took;
    char id[64];
    (void)level;
    (void)func;
    if (strcmp(component, "live") != 0 ||
        sscanf(msg,
               "new finding %63s last pick %lf ms ago, derivable %lf ms ago, run started %lf ms "
               "ago and took %lf ms",
               id, &last, &drv, &ago, &took) != 5) {
        return;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 256;
        double **arr[6] = {&t->last_ms, &t->drv_ms, &t->wait_ms,
                           &t->run_ms,  &t->first,  &t->come_ms};
        for (int i = 0; i < 6; i++) {
            double *p = realloc(*arr[i], cap * sizeof(double));
            if (!p) {
                return;
            }
            *arr[i] = p;
        }
        char(*ids)[TL_ID_MAX] = realloc(t->id, cap * sizeof(*ids));
        if (!ids) {
            return;
        }
        t->id = ids;
        t->cap = cap;
    }
    t->last_ms[t->n] = last;
    t->come_ms[t->n] = last - drv;
    id[strcspn(id, ":")] = '\0';
    snprintf(t->id[t->n], sizeof(t->id[t->n]), "%s", id);
    t->drv_ms[t->n] = drv;
    t->wait_ms[t->n] = drv - ago;
    t->run_ms[t->n] = took;
    t->first[t->n] = strstr(msg, "first run of its slice") != NULL;
    t->first_run += t->first[t->n] > 0;
    t->n++;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y);
}

/* p-th percentile (the same rank as /v1/status) of v[0..n), in seconds; sorts v. */
static double
pct_s(double *v, size_t n, int p)
{
    if (n == 0) {
        return 0.0;
    }
    qsort(v, n, sizeof(*v), cmp_double);
    size_t i = n * (size_t)p / 100;
    return v[i < n ? i : n - 1] / 1000.0;
}

/* A finding's first version and its last automatic one, as stored. */
struct history {
    char id[TL_ID_MAX];
    json_t *first, *last; /* properties (owned) */
    double first_ms, last_ms;
    tl_time_ns t_ns; /* the launch of the last automatic version */
    double lat_deg, lon_deg;
    long versions;
    bool withdrawn, settled;
};

/* A finding's launch as last published, and whether it was withdrawn since. */
struct launch {
    tl_time_ns t_ns;
    double lat_deg, lon_deg;
    bool withdrawn;
};

/* What the findings' revisions add up to (revisions()). */
struct revision_count {
    long findings, revised, impact, side, conf, confident, withdrawn, versions, settled;
    double *first_ms, *last_ms;
    size_t n_first, n_last;
    struct launch *launches;
};

static bool
prop_differs(json_t *a, json_t *b, const char *key)
{
    return !json_equal(json_object_get(a, key), json_object_get(b, key));
}

static void
history_count(struct history *h, struct revision_count *rc)
{
    if (!h->first) {
        return;
    }
    rc->findings++;
    rc->versions += h->versions;
    double c0 = json_number_value(json_object_get(h->first, "confidence"));
    double c1 = json_number_value(json_object_get(h->last, "confidence"));
    bool stands = !h->withdrawn;
    rc->launches[rc->findings - 1] = (struct launch){h->t_ns, h->lat_deg, h->lon_deg, h->withdrawn};
    rc->withdrawn += h->withdrawn;
    rc->settled += h->settled && stands;
    rc->revised += stands && !json_equal(h->first, h->last);
    rc->impact += stands && prop_differs(h->first, h->last, "impact");
    rc->side += stands && prop_differs(h->first, h->last, "fired_from");
    rc->conf += stands && fabs(c1 - c0) >= 0.05;
    rc->confident += stands && (c0 >= 0.95) != (c1 >= 0.95);
    if (isfinite(h->first_ms)) {
        rc->first_ms[rc->n_first++] = h->first_ms;
    }
    if (!h->withdrawn && isfinite(h->last_ms)) {
        rc->last_ms[rc->n_last++] = h->last_ms;
    }
    json_decref(h->first);
    json_decref(h->last);
    memset(h, 0, sizeof(*h));
}

/* The single integer a query gives, or -1. */
static long
count_of(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        n = (long)sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}

/*
 * Why a finding came late: each finding first published more than the target's 5 s after the
 * last pick of its events.  Its own picks were all in by then, so it waited for the server (a
 * run: the derivable figure) or for records of other events (the rest, from the trace); it is
 * counted under the larger of the two.  Those that waited for records are sorted by what their
 * launch event was before (its version published last before the finding's first): none, so
 * the association formed the event only then; or an impact, an unpaired event, a launch, or
 * withdrawn, so the pairing chose that event as a launch only then.  Prints the counts and, of
 * each kind, how many have a confidence of 0.5 or more.
 */
static void
late_causes(sqlite3 *db, const struct trace *tr)
{
    static const char *const before_was[] = {"impact", "unknown", "launch", "withdrawn"};
    long n[5] = {0}, sure[5] = {0}, all = 0, server = 0, server_sure = 0, untraced = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(
            db,
            "SELECT json_extract(f.doc, '$.properties.confidence'), (SELECT CASE e.cause WHEN "
            "'withdrawn' THEN 'withdrawn' ELSE json_extract(e.doc, '$.properties.class') END "
            "FROM versions e WHERE e.kind = 1 AND e.id = json_extract(f.doc, "
            "'$.properties.launch') AND e.published_ns < f.published_ns ORDER BY e.version "
            "DESC LIMIT 1), f.id FROM versions f WHERE f.kind = 2 AND f.version = 0 AND "
            "f.latency_ms > 5000",
            -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_server: late findings: %s\n", sqlite3_errmsg(db));
        return;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *before = (const char *)sqlite3_column_text(st, 1);
        const char *id = (const char *)sqlite3_column_text(st, 2);
        bool confident = sqlite3_column_double(st, 0) >= 0.5;
        size_t t = 0;
        while (t < tr->n && id && strcmp(tr->id[t], id) != 0) {
            t++;
        }
        all++;
        if (t == tr->n) {
            untraced++;
            continue;
        }
        if (tr->come_ms[t] < tr->drv_ms[t]) {
            server++;
            server_sure += confident;
            continue;
        }
        size_t k = 0; /* 0: the launch event had no version before */
        for (size_t i = 0; i < 4 && before; i++) {
            k = strcmp(before, before_was[i]) == 0 ? i + 1 : k;
        }
        n[k]++;
        sure[k] += confident;
    }
    sqlite3_finalize(st);
    printf("  findings first published more than 5 s after their last pick: %ld; mostly waiting "
           "for the server %ld (%ld of confidence >= 0.5); mostly for records of other events "
           "%ld, their launch event before: not published (the association formed it late) %ld "
           "(%ld), an impact %ld (%ld), unpaired %ld (%ld), a launch %ld (%ld), withdrawn %ld "
           "(%ld); not in the trace %ld\n",
           all, server, server_sure, n[0] + n[1] + n[2] + n[3] + n[4], n[0], sure[0], n[1],
           sure[1], n[2], sure[2], n[3], sure[3], n[4], sure[4], untraced);
}

/*
 * What a finding's first version is worth: with the server stopped, each finding's versions
 * as stored, its first version against its last automatic one (or its withdrawal).  Prints
 * how many were withdrawn, and of those that stand how many changed and how; and the latency of
 * the first and of the last version, each from the last pick of the events that version names
 * (versions.latency_ms); then why the late ones came late (late_causes(), with the trace).
 */
static void
revisions(const char *data, const struct trace *tr)
{
    char path[800];
    snprintf(path, sizeof(path), "%s/truceline.db", data);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct revision_count rc;
    memset(&rc, 0, sizeof(rc));
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT id, cause, doc, latency_ms, (SELECT count(*) FROM versions "
                           "WHERE kind = 2) FROM versions WHERE kind = 2 ORDER BY id, version",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_server: %s: %s\n", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return;
    }
    struct history h;
    memset(&h, 0, sizeof(h));
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (!rc.first_ms) {
            size_t n = (size_t)sqlite3_column_int64(st, 4) + 1;
            rc.first_ms = calloc(n, sizeof(double));
            rc.last_ms = calloc(n, sizeof(double));
            rc.launches = calloc(n, sizeof(*rc.launches));
            if (!rc.first_ms || !rc.last_ms || !rc.launches) {
                break;
            }
        }
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *cause = (const char *)sqlite3_column_text(st, 1);
        if (strcmp(id, h.id) != 0) {
            history_count(&h, &rc);
            snprintf(h.id, sizeof(h.id), "%s", id);
        }
        h.versions++;
        if (strcmp(cause, "withdrawn") == 0) {
            h.withdrawn = true;
            continue;
        }
        json_t *f = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
        json_t *pr = json_incref(json_object_get(f, "properties"));
        json_t *at =
            json_array_get(json_object_get(json_object_get(f, "geometry"), "coordinates"), 0);
        const char *when = json_string_value(json_object_get(pr, "time"));
        if (when) {
            tl_time_parse(when, strlen(when), &h.t_ns, NULL);
        }
        h.lat_deg = json_number_value(json_array_get(at, 1));
        h.lon_deg = json_number_value(json_array_get(at, 0));
        json_decref(f);
        h.settled = json_object_del(pr, "provisional") != 0;
        if (h.last && json_equal(pr, h.last)) {
            json_decref(pr); /* the version that settles it: the last one, unmarked */
            continue;
        }
        double ms =
            sqlite3_column_type(st, 3) == SQLITE_NULL ? (double)NAN : sqlite3_column_double(st, 3);
        if (!h.first) {
            h.first = json_incref(pr);
            h.first_ms = ms;
        }
        json_decref(h.last);
        h.last = pr;
        h.last_ms = ms;
        h.withdrawn = false;
    }
    history_count(&h, &rc);
    sqlite3_finalize(st);
    /* one launch, one finding: launch events named by more than one finding; and objects
     * published again after a withdrawal (the processing found them again) */
    long shared = count_of(db, "SELECT count(*) FROM (SELECT link FROM objects WHERE kind = 2 "
                               "GROUP BY link HAVING count(*) > 1)");
    long again_fd = count_of(db, "SELECT count(DISTINCT v.id) FROM versions v JOIN versions w "
                                 "ON w.id = v.id AND w.version = v.version - 1 WHERE v.kind = 2 "
                                 "AND w.cause = 'withdrawn'");
    long again_ev = count_of(db, "SELECT count(DISTINCT v.id) FROM versions v JOIN versions w "
                                 "ON w.id = v.id AND w.version = v.version - 1 WHERE v.kind = 1 "
                                 "AND w.cause = 'withdrawn'");
    printf("  revisions: %ld findings, %ld versions; %ld withdrawn since; of the %ld that "
           "stand, %ld settled (no longer provisional), %ld changed since their first version: "
           "impact %ld, fired_from %ld, confidence by 0.05 or more %ld (across 0.95: %ld)\n",
           rc.findings, rc.versions, rc.withdrawn, rc.findings - rc.withdrawn, rc.settled,
           rc.revised, rc.impact, rc.side, rc.conf, rc.confident);
    long replaced = 0; /* withdrawn, but a standing finding has the same launch */
    for (long i = 0; i < rc.findings && rc.launches; i++) {
        const struct launch *w = &rc.launches[i];
        bool found = false;
        for (long j = 0; j < rc.findings && w->withdrawn && !found; j++) {
            const struct launch *q = &rc.launches[j];
            found = !q->withdrawn && llabs(q->t_ns - w->t_ns) <= 2 * TL_NS_PER_S &&
                    tl_geo_dist_m(q->lat_deg, q->lon_deg, w->lat_deg, w->lon_deg) <= 1000.0;
        }
        replaced += found;
    }
    printf("  of the %ld withdrawn, %ld had their launch (within 2 s and 1 km) in a finding that "
           "stands: the same launch under another id or pairing\n",
           rc.withdrawn, replaced);
    free(rc.launches);
    printf("  launch events named by more than one finding: %ld; published again after a "
           "withdrawal: %ld findings, %ld events\n",
           shared, again_fd, again_ev);
    printf("  from the last pick of the events each version names, p50 / p99: first version "
           "%.2f / %.2f s (%zu), last version %.2f / %.2f s (%zu, withdrawn ones left out)\n",
           pct_s(rc.first_ms, rc.n_first, 50), pct_s(rc.first_ms, rc.n_first, 99), rc.n_first,
           pct_s(rc.last_ms, rc.n_last, 50), pct_s(rc.last_ms, rc.n_last, 99), rc.n_last);
    late_causes(db, tr);
    sqlite3_close(db);
    free(rc.first_ms);
    free(rc.last_ms);
}

/*
 * Latency: `hours` of the busy day from `start_h` played at `speed` times real time into a
 * server with a 10-minute window; prints the server's two figures and where the time went.
 * With `time_order` each station's records are sent in time order: no record comes late.
 */
static void
latency_phase(const char *work, double speed, double hours, double start_h, bool time_order)
{
    char lat[600], mission[700], records[700], keys[700], data[700];
    snprintf(lat, sizeof(lat), "%s/latency", work);
    scenario(lat, "busy", hours, TL_SIM_DEFAULT_START_NS + (tl_time_ns)(start_h * 3600e9));
    snprintf(mission, sizeof(mission), "%s/mission.geojson", lat);
    snprintf(records, sizeof(records), "%s/records.jsonl", lat);
    snprintf(keys, sizeof(keys), "%s/keys", lat);
    snprintf(data, sizeof(data), "%s/data-latency", work);
    struct trace tr;
    memset(&tr, 0, sizeof(tr));
    tl_set_log(trace_sink, &tr, TL_LOG_DEBUG);
    struct tl_server *s = start_server(mission, data, INT64_C(600) * TL_NS_PER_S);
    char *tok = NULL;
    struct tl_diag d;
    if (tl_token_add(data, TL_ROLE_ANALYST, NULL, "bench", &tok, NULL, &d) != TL_OK) {
        die("token", TL_ESTORE);
    }
    struct tl_replay_config rc;
    tl_replay_config_default(&rc);
    rc.records_path = records;
    rc.url = tl_server_url(s);
    rc.keys_dir = keys;
    rc.speed = speed;
    rc.connections = 4;
    rc.time_order = time_order;
    struct tl_replay_stats st;
    tl_replay_run(&rc, &st, &d);
    wait_idle(tl_server_url(s), tok, 300);
    json_t *j = status(tl_server_url(s), tok);
    json_t *p = json_object_get(j, "processing");
    json_t *l = json_object_get(p, "finding_latency_ms");
    json_t *ld = json_object_get(p, "finding_latency_derivable_ms");
    printf("last pick -> published finding (busy, %g h from %02.0f:00 at %gx real time, 10-min "
           "window%s): %lld findings, p50 %.2f s, p99 %.2f s, max %.2f s; from when derivable: "
           "p50 %.2f s, p99 %.2f s, max %.2f s; processing runs: %lld, last %.0f ms, max %.0f ms\n",
           hours, start_h, speed, time_order ? ", records in time order" : "",
           (long long)json_integer_value(json_object_get(l, "n")),
           json_number_value(json_object_get(l, "p50")) / 1000.0,
           json_number_value(json_object_get(l, "p99")) / 1000.0,
           json_number_value(json_object_get(l, "max")) / 1000.0,
           json_number_value(json_object_get(ld, "p50")) / 1000.0,
           json_number_value(json_object_get(ld, "p99")) / 1000.0,
           json_number_value(json_object_get(ld, "max")) / 1000.0,
           (long long)json_integer_value(json_object_get(p, "runs")),
           json_number_value(json_object_get(p, "last_run_ms")),
           json_number_value(json_object_get(p, "max_run_ms")));
    json_decref(j);
    tl_free(tok);
    tl_server_free(s);
    tl_set_log(NULL, NULL, TL_LOG_ERROR);
    printf("  slowest from when derivable:");
    size_t top[5];
    for (size_t k = 0; k < 5 && k < tr.n; k++) {
        size_t w = tr.n;
        for (size_t i = 0; i < tr.n; i++) {
            bool taken = false;
            for (size_t q = 0; q < k; q++) {
                taken = taken || top[q] == i;
            }
            if (!taken && (w == tr.n || tr.drv_ms[i] > tr.drv_ms[w])) {
                w = i;
            }
        }
        top[k] = w;
        printf(" %.2f s (wait %.2f, run %.2f%s)", tr.drv_ms[w] / 1000.0, tr.wait_ms[w] / 1000.0,
               tr.run_ms[w] / 1000.0, tr.first[w] > 0 ? ", first run of its slice" : "");
    }
    printf("\n");
    for (size_t i = 0; i < tr.n; i++) {
        tr.last_ms[i] -= tr.drv_ms[i]; /* now: from the last pick to derivable */
    }
    printf("  where it went, p50 / p99: last pick -> derivable %.2f / %.2f s (records still to "
           "come), derivable -> run start %.2f / %.2f s, run %.2f / %.2f s; %ld of %zu published "
           "by the first run of a slice\n",
           pct_s(tr.last_ms, tr.n, 50), pct_s(tr.last_ms, tr.n, 99), pct_s(tr.wait_ms, tr.n, 50),
           pct_s(tr.wait_ms, tr.n, 99), pct_s(tr.run_ms, tr.n, 50), pct_s(tr.run_ms, tr.n, 99),
           tr.first_run, tr.n);
    revisions(data, &tr);
    fflush(stdout);
    free(tr.last_ms);
    free(tr.drv_ms);
    free(tr.wait_ms);
    free(tr.run_ms);
    free(tr.first);
    free(tr.come_ms);
    free(tr.id);
}

int
main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "--latency") == 0) {
        char work[] = "/tmp/tl_bench_server_XXXXXX";
        if (!mkdtemp(work)) {
            perror("mkdtemp");
            return 1;
        }
        bool time_order = strcmp(argv[argc - 1], "--time-order") == 0;
        int nargs = argc - time_order;
        latency_phase(work, strtod(argv[2], NULL), strtod(argv[3], NULL),
                      nargs > 4 ? strtod(argv[4], NULL) : 6.0, time_order);
        rmrf(work);
        return 0;
    }
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    char work[] = "/tmp/tl_bench_server_XXXXXX";
    if (!mkdtemp(work)) {
        perror("mkdtemp");
        return 1;
    }
    double hours = quick ? 3.0 : 24.0;
    char day[600];
    snprintf(day, sizeof(day), "%s/busy", work);
    scenario(day, "busy", hours, TL_SIM_DEFAULT_START_NS);
    char records[700];
    snprintf(records, sizeof(records), "%s/records.jsonl", day);
    long picks = count_picks(records);
    printf("server bench: busy preset, %.0f h, %ld picks; 2 cores shared by server, processing and "
           "load\n",
           hours, picks);
    ingest_phase("saturation", day, work, 0, picks);
    /* the day's mean pick rate is picks / (hours * 3600); pace it to about 6,000 picks/s */
    double speed = 6000.0 / ((double)picks / (hours * 3600.0));
    ingest_phase("paced", day, work, speed, picks);

    latency_phase(work, 30, quick ? 0.5 : 1.0, 6.0, false);
    rmrf(work);
    return 0;
}
