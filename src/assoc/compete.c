/*
 * compete.c - explaining away: picks go to the event that explains them best.
 *
 * Association is greedy: an event is kept as soon as enough of its picks fit.
 * In dense fire a "ghost" - a point where picks of several real sources happen
 * to line up - can be found before the sources whose picks it borrowed, which
 * then come out weaker or not at all.  After association, every event is
 * therefore put to the test, weakest first: each of its picks is offered to
 * the other events whose predicted arrival at that station matches it (within
 * 3 sigma of the pick, path and met noise) and that have no better pick there.
 * If so many of its picks are explained by others that fewer than
 * min_stations would remain its own, the event is dissolved and its picks go
 * to the events that explain them, which are then located again.  This is the
 * "explaining away" that NET-VISA's generative model does globally (Arora et
 * al. 2013, research/pipelines.md section 3.6), applied as a local repair.
 */
#include "../locate/locate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ord {
    size_t ev;
    int n;
    double t0;
};

static int
cmp_weak(const void *a, const void *b)
{
    const struct ord *x = a, *y = b;
    if (x->n != y->n) {
        return x->n - y->n;
    }
    return x->t0 < y->t0 ? -1 : (x->t0 > y->t0);
}

/* Origin-time order, for the events that may have produced a pick (the choice among them
 * does not depend on the order of equal times). */
static int
cmp_t0(const void *a, const void *b)
{
    const struct ord *x = a, *y = b;
    return x->t0 < y->t0 ? -1 : (x->t0 > y->t0);
}

/* The first of the n events in origin-time order `by_t0` whose origin is at or after t. */
static size_t
first_at(const struct ord *by_t0, size_t n, double t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (by_t0[mid].t0 < t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}


/* Predicted arrival of event f at mission station `sta`, and its sigma; false if f's tile
 * does not see the station. */
static bool
predict(struct tl_pipeline *p, const struct tl__ev *f, int32_t sta, double *t, double *sigma)
{
    const struct tl__tile *tl = &p->tiles[f->tile];
    long k = tl__tile_k(tl, (size_t)sta);
    if (k < 0) {
        return false;
    }
    struct tl__lobs o;
    tl__station_obs(p, tl, (size_t)k, &o);
    double d = tl__hypot(o.sx - f->x, o.sy - f->y);
    if (d > p->prm.max_range_m) {
        return false;
    }
    const struct tl__metfield *mf =
        tl__metfield_get(p, f->tile, p->epoch_ns + (tl_time_ns)(f->t0_s * 1e9));
    if (!mf) {
        return false;
    }
    tl__metfield_path(mf, f->x, f->y, o.sx, o.sy, &o.temp_c, &o.we, &o.wn);
    struct tl__lsol sol;
    memset(&sol, 0, sizeof(sol));
    sol.dwe = f->dwind_e;
    sol.dwn = f->dwind_n;
    sol.dc = f->dc;
    *t = tl__locate_predict(&o, &sol, f->x, f->y, f->z, f->t0_s);
    *sigma = sqrt(0.02 * 0.02 + tl__path_var_s2(tl, d));
    return true;
}

/* Does event f already hold a pick at station sta?  Returns its |residual| or HUGE_VAL; 0
 * for a pick given to f since its last fit (its arrivals are those of that fit, and picks
 * given since may have taken other picks' places in f->picks, so look it up by id). */
static double
held_residual(const struct tl_pipeline *p, const struct tl__ev *f, int32_t sta)
{
    for (size_t i = 0; i < f->n_picks; i++) {
        const struct tl__pk *q = &p->pk[f->picks[i]];
        if (q->sta != sta) {
            continue;
        }
        for (size_t j = 0; f->arr && j < f->pub.n_arrivals; j++) {
            if (strcmp(f->arr[j].pick_id, q->id) == 0) {
                return fabs(f->arr[j].residual_s);
            }
        }
        return 0.0;
    }
    return HUGE_VAL;
}

int
tl__compete(struct tl_pipeline *p)
{
    size_t n = p->n_ev;
    if (n < 2) {
        return TL_OK;
    }
    struct ord *ord = tl_malloc(n * sizeof(*ord));
    struct ord *by_t0 = tl_malloc(n * sizeof(*by_t0));
    long *to = NULL;
    bool *dirty = tl_calloc(n, sizeof(bool));
    if (!ord || !by_t0 || !dirty) {
        tl_free(ord);
        tl_free(by_t0);
        tl_free(dirty);
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        ord[i].ev = i;
        ord[i].n = p->ev[i].pub.n_stations;
        ord[i].t0 = p->ev[i].t0_s;
    }
    memcpy(by_t0, ord, n * sizeof(*ord));
    qsort(ord, n, sizeof(*ord), cmp_weak);
    /* no event moves until the loop below is over (the ones given picks are located
     * again after it), so one order by origin time serves every pick */
    qsort(by_t0, n, sizeof(*by_t0), cmp_t0);
    double max_tt = p->prm.max_range_m / 300.0;
    int rc = TL_OK;
    for (size_t oi = 0; oi < n && rc == TL_OK; oi++) {
        struct tl__ev *e = &p->ev[ord[oi].ev];
        if (e->dead) {
            continue;
        }
        to = tl_realloc(to, (e->n_picks + 1) * sizeof(long));
        if (!to) {
            rc = TL_ENOMEM;
            break;
        }
        int own = 0;
        for (size_t i = 0; i < e->n_picks; i++) {
            size_t q = e->picks[i];
            double tq = tl__pk_time_s(p, q);
            int32_t sta = p->pk[q].sta;
            to[i] = -1;
            double best = HUGE_VAL;
            /* the events whose origin lies in [tq - max_tt, tq]; the best explains the pick
             * with the smallest residual, on a tie the first in index order */
            for (size_t s = first_at(by_t0, n, tq - max_tt); s < n && by_t0[s].t0 <= tq; s++) {
                size_t j = by_t0[s].ev;
                const struct tl__ev *f = &p->ev[j];
                if (j == ord[oi].ev || f->dead) {
                    continue;
                }
                double t, sg;
                if (!predict(p, f, sta, &t, &sg)) {
                    continue;
                }
                double r = fabs(tq - t);
                if (r <= 3.0 * sg && (r < best || (r == best && (long)j < to[i])) &&
                    held_residual(p, f, sta) > r) {
                    best = r;
                    to[i] = (long)j;
                }
            }
            own += to[i] < 0;
        }
        if (own >= p->prm.min_stations) {
            continue;
        }
        /* dissolve: the picks go to the events that explain them, the rest are freed */
        for (size_t i = 0; i < e->n_picks; i++) {
            size_t q = e->picks[i];
            p->pk[q].ev = -1;
            if (to[i] < 0) {
                continue;
            }
            struct tl__ev *f = &p->ev[to[i]];
            size_t *grown = tl_realloc(f->picks, (f->n_picks + 1) * sizeof(size_t));
            if (!grown) {
                rc = TL_ENOMEM;
                break;
            }
            f->picks = grown;
            /* a pick the rival held at that station is replaced */
            for (size_t k = 0; k < f->n_picks; k++) {
                if (p->pk[f->picks[k]].sta == p->pk[q].sta) {
                    p->pk[f->picks[k]].ev = -1;
                    f->picks[k] = f->picks[--f->n_picks];
                    break;
                }
            }
            f->picks[f->n_picks++] = q;
            p->pk[q].ev = (int32_t)to[i];
            dirty[to[i]] = true;
        }
        e->dead = true;
        dirty[ord[oi].ev] = false;
    }
    /* locate the events that received picks again */
    for (size_t i = 0; i < n && rc == TL_OK; i++) {
        struct tl__ev *f = &p->ev[i];
        if (!dirty[i] || f->dead) {
            continue;
        }
        const struct tl__metfield *mf =
            tl__metfield_get(p, f->tile, p->epoch_ns + (tl_time_ns)(f->t0_s * 1e9));
        if (!mf) {
            rc = TL_ENOMEM;
            break;
        }
        for (size_t k = 0; k < f->n_picks; k++) {
            p->pk[f->picks[k]].ev = -1;
        }
        int lr = tl__locate_event(p, f, mf, NULL);
        if (lr == TL_ENOMEM) {
            rc = lr;
            break;
        }
        for (size_t k = 0; k < f->n_picks; k++) {
            p->pk[f->picks[k]].ev = (int32_t)i;
        }
    }
    /* drop the dissolved events */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (p->ev[i].dead) {
            tl__ev_free_contents(&p->ev[i]);
            continue;
        }
        if (m != i) {
            p->ev[m] = p->ev[i];
        }
        for (size_t k = 0; k < p->ev[m].n_picks; k++) {
            p->pk[p->ev[m].picks[k]].ev = (int32_t)m;
        }
        m++;
    }
    p->n_ev = m;
    tl_free(ord);
    tl_free(by_t0);
    tl_free(to);
    tl_free(dirty);
    return rc;
}
