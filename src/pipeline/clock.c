/*
 * clock.c - find stations whose clock is off, and correct for it.
 *
 * A station whose clock runs 0.8 s off puts the same offset into every arrival
 * it reports, whatever the source; the robust locator rejects those picks as
 * outliers, so the station silently stops contributing.  Its offset shows
 * against the events the other stations locate well: for every event with at
 * least QC_MIN_STATIONS fitting stations, every pick of the station within
 * QC_SEARCH_S of the predicted arrival gives a sample of observed minus
 * predicted time.  In a busy hour most of those are other sources' picks,
 * spread evenly; the station's own arrivals pile up at its offset.  So in
 * windows of QC_WINDOW_S of events, the mode of the samples (50 ms bins) must
 * stand clear of the background (5x, and at least QC_MIN_PEAK picks) and away
 * from zero by more than max(QC_MIN_OFFSET_S, 4 x the network's normal
 * scatter); a stretch of QC_MIN_RUN overlapping windows agreeing within 0.15 s
 * is flagged, its mode subtracted from the station's pick times, and the events
 * near it are located again (their picks at that station now fit, and picks
 * that had been rejected rejoin).  The offset and the stretch are reported in
 * the bulletin's station quality list.
 *
 * A station whose residuals scatter far more than its neighbours' (MAD above
 * QC_MISFIT_FACTOR x the network's median MAD) keeps counting but with half
 * weight, and is flagged as misfitting.
 */
#include "../locate/locate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define QC_MIN_STATIONS  6
#define QC_SEARCH_S      3.0
#define QC_BIN_S         0.05
#define QC_NBINS         121  /* 2 QC_SEARCH_S / QC_BIN_S + 1 */
#define QC_WINDOW_S      1800.0 /* window of events examined together */
#define QC_WINDOW        20   /* fewest samples worth examining */
#define QC_MIN_PEAK      6    /* picks in the mode of a window */
#define QC_MIN_RUN       3    /* consecutive windows (half-overlapping) agreeing */
#define QC_MIN_OFFSET_S  0.15
#define QC_MISFIT_FACTOR 3.0

struct sample {
    double t, r;
};

static int
cmp_sample(const void *a, const void *b)
{
    double x = ((const struct sample *)a)->t, y = ((const struct sample *)b)->t;
    return x < y ? -1 : (x > y);
}

static int
cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y);
}


/* Samples of (time, observed - predicted) for station s from well-located events: every pick
 * within QC_SEARCH_S of each prediction (the right one and chance ones alike; the offset is
 * found as the mode of their distribution, which chance picks only flatten). */
static size_t
gather(struct tl_pipeline *p, size_t s, struct sample *out, size_t cap)
{
    size_t n = 0;
    const struct tl__sta_index *x = &p->sx[s];
    for (size_t i = 0; i < p->n_ev && n < cap; i++) {
        const struct tl__ev *e = &p->ev[i];
        if (e->dead || e->pub.n_stations < QC_MIN_STATIONS) {
            continue;
        }
        const struct tl__tile *tl = &p->tiles[e->tile];
        long k = tl__tile_k(tl, s);
        if (k < 0) {
            continue;
        }
        struct tl__lobs o;
        tl__station_obs(p, tl, (size_t)k, &o);
        if (tl__hypot(o.sx - e->x, o.sy - e->y) > p->prm.max_range_m) {
            continue;
        }
        const struct tl__metfield *mf =
            tl__metfield_get(p, e->tile, p->epoch_ns + (tl_time_ns)(e->t0_s * 1e9));
        if (!mf) {
            continue;
        }
        tl__metfield_path(mf, e->x, e->y, o.sx, o.sy, &o.temp_c, &o.we, &o.wn);
        struct tl__lsol sol;
        memset(&sol, 0, sizeof(sol));
        sol.dwe = e->dwind_e;
        sol.dwn = e->dwind_n;
        sol.dc = e->dc;
        double pred = tl__locate_predict(&o, &sol, e->x, e->y, e->z, e->t0_s);
        /* raw pick times (without any correction: it is what we estimate) */
        size_t lo = 0, hi = x->n_picks;
        double from = pred - QC_SEARCH_S;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if ((double)(p->pk[x->picks[mid]].t_ns - p->epoch_ns) * 1e-9 < from) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        for (size_t j = lo; j < x->n_picks && n < cap; j++) {
            double t = (double)(p->pk[x->picks[j]].t_ns - p->epoch_ns) * 1e-9;
            if (t > pred + QC_SEARCH_S) {
                break;
            }
            out[n].t = e->t0_s;
            out[n].r = t - pred;
            n++;
        }
    }
    qsort(out, n, sizeof(*out), cmp_sample);
    return n;
}

/* Mode of the residuals of samples [a, b): histogram in QC_BIN_S bins, smoothed over 3
 * bins; returns the count at the mode and sets *mode (mean of the residuals near it) and
 * *background (mean count per 3 bins away from the mode). */
static int
mode_of(const struct sample *s, size_t a, size_t b, double *mode, double *background)
{
    int h[QC_NBINS] = {0};
    const int NB = QC_NBINS;
    for (size_t i = a; i < b; i++) {
        int k = (int)floor((s[i].r + QC_SEARCH_S) / QC_BIN_S);
        if (k >= 0 && k < NB) {
            h[k]++;
        }
    }
    int best = -1, bc = 0, total = 0;
    for (int k = 0; k < NB; k++) {
        int c = h[k] + (k > 0 ? h[k - 1] : 0) + (k + 1 < NB ? h[k + 1] : 0);
        total += h[k];
        if (c > bc) {
            bc = c;
            best = k;
        }
    }
    if (best < 0) {
        return 0;
    }
    double centre = -QC_SEARCH_S + (best + 0.5) * QC_BIN_S, sum = 0;
    int n = 0;
    for (size_t i = a; i < b; i++) {
        if (fabs(s[i].r - centre) <= 1.5 * QC_BIN_S) {
            sum += s[i].r;
            n++;
        }
    }
    *mode = n ? sum / n : centre;
    *background = (double)(total - bc) / (double)(NB - 3) * 3.0;
    return bc;
}

int
tl__clock_qc(struct tl_pipeline *p)
{
    size_t cap = 8 * p->n_ev + 64;
    struct sample **sm = tl_calloc(p->n_sta + 1, sizeof(*sm));
    size_t *ns = tl_calloc(p->n_sta + 1, sizeof(size_t));
    double *tmp = tl_malloc(cap * sizeof(double));
    double *mads = tl_calloc(p->n_sta + 1, sizeof(double));
    bool *touched = tl_calloc(p->n_sta + 1, sizeof(bool));
    int rc = TL_OK;
    if (!sm || !ns || !tmp || !mads || !touched) {
        rc = TL_ENOMEM;
        goto done;
    }
    /* samples and each station's scatter around zero */
    for (size_t s = 0; s < p->n_sta && rc == TL_OK; s++) {
        sm[s] = tl_malloc(cap * sizeof(**sm));
        if (!sm[s]) {
            rc = TL_ENOMEM;
            break;
        }
        ns[s] = gather(p, s, sm[s], cap);
        size_t m = 0;
        for (size_t i = 0; i < ns[s]; i++) {
            if (fabs(sm[s][i].r) < 0.5) {
                tmp[m++] = fabs(sm[s][i].r);
            }
        }
        if (m >= QC_WINDOW) {
            qsort(tmp, m, sizeof(double), cmp_d);
            mads[s] = 1.4826 * tmp[m / 2];
        }
    }
    if (rc != TL_OK) {
        goto done;
    }
    /* the network's normal scatter: median of the stations' */
    size_t nm = 0;
    for (size_t s = 0; s < p->n_sta; s++) {
        if (mads[s] > 0) {
            tmp[nm++] = mads[s];
        }
    }
    double net = 0.05;
    if (nm >= 5) {
        qsort(tmp, nm, sizeof(double), cmp_d);
        net = tmp[nm / 2];
    }
    double thr = fmax(QC_MIN_OFFSET_S, 4.0 * net);
    for (size_t s = 0; s < p->n_sta; s++) {
        size_t n = ns[s];
        const struct sample *sp = sm[s];
        if (n < QC_WINDOW) {
            continue;
        }
        /* windows of QC_WINDOW_S stepping by a third: a clear off-zero mode in each */
        size_t best_a = 0, best_b = 0, run_a = 0, lo = 0, hi = 0;
        double run_off = 0;
        int run_len = 0, best_len = 0;
        for (double w0 = sp[0].t; w0 <= sp[n - 1].t; w0 += QC_WINDOW_S / 3.0) {
            while (lo < n && sp[lo].t < w0) {
                lo++;
            }
            if (hi < lo) {
                hi = lo;
            }
            while (hi < n && sp[hi].t < w0 + QC_WINDOW_S) {
                hi++;
            }
            double mode = 0, bg = 0;
            int c = hi > lo ? mode_of(sp, lo, hi, &mode, &bg) : 0;
            bool off = c >= QC_MIN_PEAK && c >= 5.0 * bg && fabs(mode) > thr;
            if (off && run_len > 0 && fabs(mode - run_off) <= 0.15) {
                run_len++;
            } else if (off) {
                run_len = 1;
                run_a = lo;
                run_off = mode;
            } else {
                run_len = 0;
            }
            if (run_len > best_len) {
                best_len = run_len;
                best_a = run_a;
                best_b = hi;
            }
        }
        if (best_len < QC_MIN_RUN) {
            continue;
        }
        double off, bg;
        mode_of(sp, best_a, best_b, &off, &bg);
        struct tl__sta_index *x = &p->sx[s];
        x->clock_corr_s = off;
        x->corr_from_ns = p->epoch_ns + (tl_time_ns)(sp[best_a].t * 1e9);
        x->corr_to_ns =
            p->epoch_ns + (tl_time_ns)((sp[best_b - 1].t + p->prm.max_range_m / 300.0) * 1e9);
        touched[s] = true;
        TL_LOG(TL_LOG_INFO, "qc", "station %s: clock offset %.3f s detected over %d windows",
               tl_mission_station(p->m, s)->id, off, best_len);
    }
    /* misfitting stations: scatter far above the network's */
    for (size_t s = 0; s < p->n_sta && nm >= 5; s++) {
        if (mads[s] > QC_MISFIT_FACTOR * net && !touched[s]) {
            p->sx[s].weight_scale = 0.5;
            TL_LOG(TL_LOG_INFO, "qc", "station %s: residual scatter %.3f s vs %.3f s: half weight",
                   tl_mission_station(p->m, s)->id, mads[s], net);
        }
    }
    /* locate again the events near a corrected stretch */
    for (size_t i = 0; i < p->n_ev && rc == TL_OK; i++) {
        struct tl__ev *e = &p->ev[i];
        tl_time_ns t = p->epoch_ns + (tl_time_ns)(e->t0_s * 1e9);
        bool near = false;
        for (size_t s = 0; s < p->n_sta && !near; s++) {
            near = touched[s] && t >= p->sx[s].corr_from_ns - 120 * TL_NS_PER_S &&
                   t <= p->sx[s].corr_to_ns;
        }
        if (!near || e->dead) {
            continue;
        }
        const struct tl__metfield *mf = tl__metfield_get(p, e->tile, t);
        if (!mf) {
            rc = TL_ENOMEM;
            break;
        }
        for (size_t k = 0; k < e->n_picks; k++) {
            p->pk[e->picks[k]].ev = -1;
        }
        int lr = tl__locate_event(p, e, mf, NULL);
        if (lr == TL_ENOMEM) {
            rc = lr;
        }
        for (size_t k = 0; k < e->n_picks; k++) {
            p->pk[e->picks[k]].ev = (int32_t)i;
        }
    }
done:
    for (size_t s = 0; sm && s < p->n_sta; s++) {
        tl_free(sm[s]);
    }
    tl_free(sm);
    tl_free(ns);
    tl_free(tmp);
    tl_free(mads);
    tl_free(touched);
    return rc;
}
