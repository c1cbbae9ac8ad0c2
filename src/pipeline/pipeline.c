/*
 * pipeline.c - the one path that batch processing and the live server share.
 *
 * A run rebuilds everything from the records held: per-station indices, the
 * tiles, then, block by block of origin time (TL__BLOCK_S), association and
 * location tile by tile; station quality control over the whole run (clock
 * offsets, misfits), after which events are located again with the
 * corrections; then publication (coordinates, ellipses, sides, zones),
 * classification, pairing and findings.  A run is a pure function of the
 * records and parameters, so the live server, which calls it again as records
 * arrive, reaches exactly the batch command's result once it has the same
 * records.
 *
 * Publication is the one stage whose events do not depend on each other (each
 * is refitted on its own: jackknife, mirror fit), so it runs on the
 * parameters' `threads`; every event's result is the same whichever thread
 * computes it, so the bulletin does not depend on the thread count or timing.
 * The shared met-field cache is filled beforehand, single-threaded, and only
 * read by the workers.  Association runs in segments between seams fixed in
 * time, side by side, each on its own copy of what it changes (segment.c); it
 * too gives the same bulletin on any number of threads.
 */
#include "pipeline_priv.h"

#include <truceline/bulletin.h>
#include <truceline/time.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 16

void
tl_pipeline_params_default(struct tl_pipeline_params *p)
{
    memset(p, 0, sizeof(*p));
    p->min_stations = 5;
    p->max_range_m = 60000.0;
    p->speed_tol_mps = 2.0;
    p->wind_prior_mps = 1.5;
    p->temp_prior_c = 1.0;
    p->side_threshold = 0.95;
    p->downwind_gain = 0.3;
    p->max_rms_s = 0.15;
    p->threads = 2;
    p->segment_s = 10800.0;
}

int
tl_pipeline_new(const struct tl_mission *mission, const struct tl_pipeline_params *params,
                struct tl_pipeline **out)
{
    if (!mission || !out) {
        return TL_EINVAL;
    }
    struct tl_pipeline_params prm;
    if (params) {
        prm = *params;
    } else {
        tl_pipeline_params_default(&prm);
    }
    if (prm.min_stations < 4 || prm.min_stations > 100 || !(prm.max_range_m > 1000.0) ||
        !(prm.speed_tol_mps >= 0.0) || !(prm.wind_prior_mps > 0.0) || !(prm.temp_prior_c > 0.0) ||
        !(prm.side_threshold > 0.5 && prm.side_threshold < 1.0) ||
        !(prm.downwind_gain >= 0.0 && prm.downwind_gain <= 1.0) || !(prm.max_rms_s > 0.0) ||
        !(prm.segment_s == 0.0 || (prm.segment_s >= 600.0 && prm.segment_s <= 1e7 &&
                                   fmod(prm.segment_s, TL__BLOCK_S) == 0.0))) {
        return TL_EINVAL;
    }
    struct tl_pipeline *p = tl_calloc(1, sizeof(*p));
    if (!p) {
        return TL_ENOMEM;
    }
    p->m = mission;
    p->prm = prm;
    p->learnt_at = INT64_MAX;
    *out = p;
    return TL_OK;
}

void
tl__ev_free_contents(struct tl__ev *e)
{
    tl_free(e->picks);
    tl_free(e->arr);
    e->picks = NULL;
    e->arr = NULL;
    e->n_picks = 0;
}

struct tl__ev *
tl__ev_push(struct tl_pipeline *p)
{
    if (tl__grow((void **)&p->ev, &p->cap_ev, p->n_ev + 1, sizeof(*p->ev), (size_t)1 << 26) !=
        TL_OK) {
        return NULL;
    }
    struct tl__ev *e = &p->ev[p->n_ev++];
    memset(e, 0, sizeof(*e));
    e->salvo = -1;
    e->pub.weapon = TL_WEAPON_UNKNOWN;
    return e;
}

void
tl_pipeline_free(struct tl_pipeline *p)
{
    if (!p) {
        return;
    }
    tl__pipeline_reset_run(p);
    tl_free(p->pk);
    tl_free(p->met);
    tl_free(p->met_sta);
    tl_free(p->st);
    tl_free(p->st_sta);
    tl_free(p->dedup.keys);
    tl_free(p->dedup.refs);
    tl_free(p->ev);
    tl_free(p->fnd);
    tl_free(p->learnt);
    tl_free(p->learnt_start);
    tl_free(p);
}

static int
cmp_ev_time(const void *a, const void *b)
{
    const struct tl__ev *x = a, *y = b;
    if (x->t0_s != y->t0_s) {
        return x->t0_s < y->t0_s ? -1 : 1;
    }
    if (x->pub.lat_deg != y->pub.lat_deg) {
        return x->pub.lat_deg < y->pub.lat_deg ? -1 : 1;
    }
    return x->pub.lon_deg < y->pub.lon_deg ? -1 : (x->pub.lon_deg > y->pub.lon_deg);
}

/* Stable ids: "EV" and the origin time to the millisecond, plus a suffix on collision. */
static void
assign_ids(struct tl_pipeline *p)
{
    for (size_t i = 0; i < p->n_ev; i++) {
        struct tl__ev *e = &p->ev[i];
        char t[TL_TIME_TEXT_MAX];
        tl_time_ns ms = e->pub.t_ns - ((e->pub.t_ns % TL_NS_PER_MS) + TL_NS_PER_MS) % TL_NS_PER_MS;
        tl_time_format(ms, t, sizeof(t));
        /* compact: 2026-03-01T04:12:33.512Z -> 20260301T041233.512 */
        char c[32];
        size_t k = 0;
        for (const char *s = t; *s && *s != 'Z' && k + 1 < sizeof(c); s++) {
            if (*s != '-' && *s != ':') {
                c[k++] = *s;
            }
        }
        c[k] = '\0';
        snprintf(e->pub.id, sizeof(e->pub.id), "EV%s", c);
        if (i > 0 && strncmp(p->ev[i - 1].pub.id, e->pub.id, strlen(e->pub.id)) == 0) {
            int n = 2;
            do {
                snprintf(e->pub.id, sizeof(e->pub.id), "EV%s-%d", c, n++);
            } while (strcmp(p->ev[i - 1].pub.id, e->pub.id) == 0);
        }
    }
}

/* Events handed out to the publication workers, one at a time, in index order. */
struct publish_work {
    struct tl_pipeline *p;
    atomic_size_t next;
};

static void *
publish_worker(void *arg)
{
    struct publish_work *w = arg;
    size_t i;
    while ((i = atomic_fetch_add(&w->next, 1)) < w->p->n_ev) {
        tl__event_publish_geo(w->p, &w->p->ev[i]);
    }
    return NULL;
}

/*
 * Publish every event (tl__event_publish_geo) on up to prm.threads threads.  The met
 * fields the events need are built first, here, so that the workers only read the
 * cache; if one cannot be built, the events are published on this thread alone (each
 * then does without, as it would have).  A thread that cannot be started leaves its
 * share to the others.
 */
static void
publish_all(struct tl_pipeline *p)
{
    int nt = p->prm.threads;
    for (size_t i = 0; i < p->n_ev && nt > 1; i++) {
        const struct tl__ev *e = &p->ev[i];
        if (!tl__metfield_get(p, e->tile, p->epoch_ns + (tl_time_ns)llround(e->t0_s * 1e9))) {
            nt = 1;
        }
    }
    struct publish_work w = {.p = p};
    atomic_init(&w.next, 0);
    tl__run_workers(nt, p->n_ev, publish_worker, &w);
}

void
tl__run_workers(int threads, size_t n_items, void *(*worker)(void *), void *arg)
{
    int nt = threads < 1 ? 1 : (threads > MAX_THREADS ? MAX_THREADS : threads);
    pthread_t th[MAX_THREADS];
    int started = 0;
    for (int t = 1; t < nt && (size_t)t < n_items; t++) {
        if (pthread_create(&th[started], NULL, worker, arg) == 0) {
            started++;
        }
    }
    worker(arg);
    for (int t = 0; t < started; t++) {
        pthread_join(th[t], NULL);
    }
}

tl_time_ns
tl_pipeline_first_block(const struct tl_pipeline *p, tl_time_ns t_ns)
{
    tl_time_ns blk = TL__BLOCK_S * TL_NS_PER_S;
    tl_time_ns from = t_ns - (tl_time_ns)(p->prm.max_range_m / 300.0 * 1e9);
    return from - ((from % blk) + blk) % blk;
}

/* Wall and CPU (the thread's) seconds of a run's stages, logged at debug level: where a
 * run's time goes, measured in the run itself. */
struct stage_clock {
    double wall_s, cpu_s;
};

static void
stage_done(struct stage_clock *c, const char *stage)
{
    double w = tl__clock_s(CLOCK_MONOTONIC), u = tl__clock_s(CLOCK_THREAD_CPUTIME_ID);
    TL_LOG(TL_LOG_DEBUG, "pipeline", "%s: %.2f s wall, %.2f s CPU on this thread", stage, w - c->wall_s,
           u - c->cpu_s);
    c->wall_s = w;
    c->cpu_s = u;
}

int
tl_pipeline_run(struct tl_pipeline *p, tl_time_ns until_ns)
{
    struct stage_clock clk = {tl__clock_s(CLOCK_MONOTONIC), tl__clock_s(CLOCK_THREAD_CPUTIME_ID)};
    tl__pipeline_reset_run(p);
    int rc = tl__pipeline_index(p);
    if (rc != TL_OK) {
        return rc;
    }
    if ((rc = tl__tiles_build(p)) != TL_OK) {
        return rc;
    }
    stage_done(&clk, "indexing and tiles");
    p->last_until = until_ns;
    if (p->stats.picks > 0) {
        double max_tt_s = p->prm.max_range_m / 300.0;
        tl_time_ns from = tl_pipeline_first_block(p, p->span_from);
        tl_time_ns to = p->span_to;
        if (until_ns != INT64_MAX) {
            tl_time_ns final_to = until_ns - (tl_time_ns)(max_tt_s * 1e9);
            if (final_to < to) {
                to = final_to;
            }
        }
        rc = tl__associate_run(p, from, to);
        for (size_t t = 0; t < p->n_tiles; t++) {
            TL_LOG(TL_LOG_DEBUG, "pipeline", "tile %zu: corr dc %.2f dw (%.2f %.2f) sd %.2f %.2f path %.4f (locator %.4f) s/km from %.0f events",
                   t, p->tiles[t].learnt.dc_mps, p->tiles[t].learnt.dwind_e_mps, p->tiles[t].learnt.dwind_n_mps,
                   p->tiles[t].learnt.sd_dc_mps, p->tiles[t].learnt.sd_wind_mps,
                   p->tiles[t].learnt.path_err_s_per_km, p->tiles[t].learnt.path_sd_s_per_km,
                   p->tiles[t].learnt.events);
        }
        if (rc == TL_OK && p->learnt_at == INT64_MAX) {
            rc = tl__learnt_keep(p);
        }
        stage_done(&clk, "association");
        if (rc == TL_OK) {
            rc = tl__compete(p);
        }
        stage_done(&clk, "explaining away");
        if (rc == TL_OK) {
            rc = tl__clock_qc(p);
        }
        if (rc == TL_OK) {
            rc = tl__station_qc(p);
        }
        stage_done(&clk, "station quality");
    }
    if (rc != TL_OK) {
        return rc;
    }
    publish_all(p);
    stage_done(&clk, "publication");
    /* order by origin time; picks keep pointing at event indices, so renumber them */
    if (p->n_ev > 1) {
        qsort(p->ev, p->n_ev, sizeof(*p->ev), cmp_ev_time);
    }
    for (size_t i = 0; i < p->n_ev; i++) {
        for (size_t k = 0; k < p->ev[i].n_picks; k++) {
            p->pk[p->ev[i].picks[k]].ev = (int32_t)i;
        }
        p->ev[i].pub.arrivals = p->ev[i].arr;
    }
    assign_ids(p);
    if ((rc = tl__classify_pair(p)) != TL_OK) {
        return rc;
    }
    stage_done(&clk, "classification and pairing");
    p->pub_ev = tl_calloc(p->n_ev + 1, sizeof(*p->pub_ev));
    if (!p->pub_ev) {
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < p->n_ev; i++) {
        p->pub_ev[i] = p->ev[i].pub;
    }
    return TL_OK;
}

const struct tl_event *
tl_pipeline_events(const struct tl_pipeline *p, size_t *n)
{
    *n = p->pub_ev ? p->n_ev : 0;
    return p->pub_ev;
}

const struct tl_finding *
tl_pipeline_findings(const struct tl_pipeline *p, size_t *n)
{
    *n = p->n_fnd;
    return p->fnd;
}

const struct tl_station_qc *
tl_pipeline_station_qc(const struct tl_pipeline *p, size_t *n)
{
    *n = p->qc ? p->n_sta : 0;
    return p->qc;
}

const struct tl_input_stats *
tl_pipeline_input_stats(const struct tl_pipeline *p)
{
    return &p->stats;
}

const struct tl_assoc_stats *
tl_pipeline_assoc_stats(const struct tl_pipeline *p)
{
    return &p->assoc_stats;
}

void
tl_pipeline_span(const struct tl_pipeline *p, tl_time_ns *from_ns, tl_time_ns *to_ns)
{
    *from_ns = p->span_from;
    *to_ns = p->span_to;
}

void
tl_pipeline_bulletin(const struct tl_pipeline *p, struct tl_bulletin *out)
{
    memset(out, 0, sizeof(*out));
    out->mission = p->m;
    tl_pipeline_span(p, &out->from_ns, &out->to_ns);
    out->events = tl_pipeline_events(p, &out->n_events);
    out->findings = tl_pipeline_findings(p, &out->n_findings);
    out->qc = tl_pipeline_station_qc(p, &out->n_qc);
    out->input = tl_pipeline_input_stats(p);
}

const char *
tl_class_name(enum tl_event_class c)
{
    switch (c) {
    case TL_CLASS_LAUNCH:
        return "launch";
    case TL_CLASS_IMPACT:
        return "impact";
    default:
        return "unknown";
    }
}

const char *
tl_side_name(enum tl_side s)
{
    switch (s) {
    case TL_SIDE_LEFT:
        return "left";
    case TL_SIDE_RIGHT:
        return "right";
    default:
        return "ambiguous";
    }
}

const char *
tl_review_status_name(enum tl_review_status s)
{
    switch (s) {
    case TL_STATUS_REVIEWED:
        return "reviewed";
    case TL_STATUS_REJECTED:
        return "rejected";
    default:
        return "automatic";
    }
}
