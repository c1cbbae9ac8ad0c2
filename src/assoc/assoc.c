/*
 * assoc.c - association: which picks, at which stations, come from one source.
 *
 * A barrage puts dozens of launch and impact arrivals per minute at every
 * station, interleaved, with false picks and late echoes among them.  Pairing
 * picks station by station cannot work there; instead the space of possible
 * sources (x, y, origin time t0) is searched directly, as PyOcto does for
 * earthquakes (Muenchmeyer 2024, research/pipelines.md section 3.4):
 *
 *  1. Space partitioning with an exact time sweep.  For a box of (x, y), each
 *     pick at station k allows the origin times t_pick - T for every travel
 *     time T from the box to the station: an interval whose width is the
 *     box's extent in travel time plus a speed tolerance.  Sorting the
 *     intervals' ends and sweeping counts, for every origin time at once, how
 *     many distinct stations agree; a box is kept only if at least
 *     min_stations do at some time.  Kept boxes are split in four and each
 *     child filters its parent's pick list, so the work follows the picks and
 *     empty space costs nothing.  Each leaf (LEAF_M) yields one candidate per
 *     origin time where enough stations agree (a battery firing again from
 *     the same place gives several).
 *  2. Leaves (a few hundred metres, under a second) are scored by a fine grid
 *     search: for each grid point every pick votes for an origin time
 *     t_pick - T_k(x, y), with a tolerance that grows with distance (the met
 *     model's error); the largest set of distinct stations whose origin-time
 *     intervals overlap gives the candidate and its picks, one per station.
 *  3. Candidates are taken best first (most stations), greedily with lazy
 *     re-scoring: when a candidate comes up, it is scored again with the picks
 *     still free; if it lost support it goes back into the queue.  The robust
 *     locator then fits it, picks that fit at stations not yet in it are added,
 *     and the event is kept when enough stations fit and it lies in this tile.
 *     Its picks leave the pool, so the ghosts that a barrage's overlapping
 *     moveouts can form lose their support once the true events are found.
 *
 * The work grows with the number of picks (each pick is tested only in boxes
 * its station can hear), and the area is tiled (tiles.c), so a long line costs
 * no more per pick than a short one.
 */
#include "../locate/locate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LEAF_M        150.0   /* leaf box side */
#define LEAF_S        2.0     /* half-width of a leaf candidate's origin-time window */
#define COARSE_STEP_M 125.0   /* grid step of the leaf search */
#define FINE_STEP_M   25.0    /* grid step around its best point */
#define PICK_TOL_S    0.05    /* pick timing tolerance in the box test */
#define MODEL_TOL_MPS 2.0     /* speed error allowed in the fine search */
#define MAX_CAND_PICKS 4096
#define ASSOC_STATIONS 14    /* stations that vote for a place: its nearest */
#define MIN_SIGNIFICANCE 8.0 /* see below */
#define MAX_LINE_DIST_M 32000.0 /* the monitored band: sources farther from the line are not sought */

struct cpick {
    int32_t k;    /* tile station index */
    size_t pk;    /* pick index */
    double t;     /* clock-corrected time, s from epoch */
};

struct box {
    double x0, x1, y0, y1, t0, t1;
};

/* Per tile-station data for this block. */
struct ksta {
    double x, y, z;
    double c, we, wn, wmag; /* speed of sound, wind, its magnitude */
    double scale;
};

struct cand {
    int score;
    double spread;
    struct box leaf;  /* the leaf, with t0..t1 the origin-time window of its run */
    size_t off, n;    /* its picks in the actx pool */
};

struct actx {
    struct tl_pipeline *p;
    size_t tile;
    const struct tl__tile *tl;
    const struct tl__metfield *mf;
    struct ksta *ks;
    int min_sta;            /* stations an event must keep */
    int need;               /* stations a candidate needs in the current pass */
    double max_range;
    double tol_mps;
    struct cand *cands;
    size_t n_cand, cap_cand;
    struct cpick *pool;     /* the candidates' pick lists */
    size_t n_pool, cap_pool;
    long n_nodes, n_fine, n_try; /* work counters (debug log) */
    int *cover;             /* per tile-station scratch for sweeps (all zero between uses) */
    uint64_t *rejected;     /* fingerprints of pick sets that did not make an event */
    size_t n_rej, cap_rej;
    tl_time_ns block_from, block_to;
    double bt0, bt1; /* block in seconds */
    int rc;
};

/* Distance range from a point to a box (2-D). */
static void
box_dist(const struct box *b, double x, double y, double *dmin, double *dmax)
{
    double dx = x < b->x0 ? b->x0 - x : (x > b->x1 ? x - b->x1 : 0.0);
    double dy = y < b->y0 ? b->y0 - y : (y > b->y1 ? y - b->y1 : 0.0);
    *dmin = hypot(dx, dy);
    double fx = fmax(fabs(x - b->x0), fabs(x - b->x1));
    double fy = fmax(fabs(y - b->y0), fabs(y - b->y1));
    *dmax = hypot(fx, fy);
}

/* Range of the wind's projection on the propagation directions from the box to the
 * station: the central direction's projection plus or minus |w| times the half-angle the
 * box spans (no trigonometry: this runs for every station at every node). */
static void
wind_proj_range(const struct ksta *s, const struct box *b, double *wmin, double *wmax)
{
    double cx = 0.5 * (b->x0 + b->x1), cy = 0.5 * (b->y0 + b->y1);
    double dx = s->x - cx, dy = s->y - cy, dc = sqrt(dx * dx + dy * dy);
    double half = 0.5 * sqrt(tl__sq(b->x1 - b->x0) + tl__sq(b->y1 - b->y0));
    if (dc <= half * 1.5) {
        *wmin = -s->wmag;
        *wmax = s->wmag;
        return;
    }
    double wc = (s->we * dx + s->wn * dy) / dc;
    double spread = s->wmag * half / dc * 1.2; /* 1.2 covers asin(a) > a up to a = 2/3 */
    *wmin = fmax(-s->wmag, wc - spread);
    *wmax = fmin(s->wmag, wc + spread);
}

/* The stations that may vote for sources in box b: the ASSOC_STATIONS nearest to it (by
 * closest approach), never beyond max_range.  A source is heard first and best by its
 * nearest stations; letting every station within tens of km vote would let unrelated
 * picks from all over the network line up by chance.  The farther stations join an event
 * after it is located (locate/event.c). */
static double
box_reach(const struct actx *a, const struct box *b)
{
    size_t n = a->tl->n_stations;
    double d[512];
    if (n > 512) {
        n = 512;
    }
    for (size_t k = 0; k < n; k++) {
        double dmax;
        box_dist(b, a->ks[k].x, a->ks[k].y, &d[k], &dmax);
    }
    size_t want = ASSOC_STATIONS < n ? ASSOC_STATIONS : n;
    if (want == 0) {
        return 0.0;
    }
    /* quickselect the want-th smallest */
    size_t lo = 0, hi = n - 1, kth = want - 1;
    while (lo < hi) {
        double pivot = d[(lo + hi) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (d[i] < pivot) {
                i++;
            }
            while (d[j] > pivot) {
                j--;
            }
            if (i <= j) {
                double t = d[i];
                d[i] = d[j];
                d[j] = t;
                i++;
                if (j == 0) {
                    break;
                }
                j--;
            }
        }
        if (kth <= j) {
            hi = j;
        } else if (kth >= i) {
            lo = i;
        } else {
            break;
        }
    }
    return fmin(a->max_range, d[kth] + 1.0);
}

/* Origin-time interval pick c allows for a source in box b; false if out of reach. */
static bool
origin_interval(const struct actx *a, const struct box *b, double reach, const struct cpick *c,
                double *lo, double *hi)
{
    const struct ksta *s = &a->ks[c->k];
    double dmin, dmax, wmin, wmax;
    box_dist(b, s->x, s->y, &dmin, &dmax);
    if (dmin > reach) {
        return false;
    }
    wind_proj_range(s, b, &wmin, &wmax);
    double vhi = s->c + wmax + a->tol_mps, vlo = s->c + wmin - a->tol_mps;
    *lo = c->t - fmin(dmax, a->max_range) / vlo - PICK_TOL_S;
    *hi = c->t - dmin / vhi + PICK_TOL_S;
    return *hi >= b->t0 && *lo <= b->t1;
}

struct endpt {
    double t;
    int open; /* +1 opens, -1 closes */
    int32_t k;
};

static int
cmp_endpt(const void *a, const void *b)
{
    const struct endpt *x = a, *y = b;
    if (x->t != y->t) {
        return x->t < y->t ? -1 : 1;
    }
    return y->open - x->open; /* opens before closes at equal times */
}

#define MAX_RUNS 256

/* Origin-time runs where enough stations agree, with the best time of each. */
struct runs {
    int n;            /* runs recorded; > MAX_RUNS means "too many to list" */
    double lo[MAX_RUNS], hi[MAX_RUNS], peak[MAX_RUNS];
    int count[MAX_RUNS];
};

/* Sweep the intervals: the largest number of distinct stations agreeing on one origin
 * time, and (with `r`) the runs of origin times where at least `need` agree. */
static int
sweep(struct endpt *ends, size_t ne, int *cover, int need, struct runs *r, double *best_t)
{
    qsort(ends, ne, sizeof(*ends), cmp_endpt);
    int distinct = 0, best = 0, run_best = 0;
    bool in_run = false;
    if (r) {
        r->n = 0;
    }
    for (size_t e = 0; e < ne; e++) {
        int32_t k = ends[e].k;
        if (ends[e].open > 0) {
            if (cover[k]++ == 0) {
                distinct++;
            }
            if (distinct > best) {
                best = distinct;
                if (best_t) {
                    *best_t = ends[e].t;
                }
            }
            if (distinct >= need && r) {
                if (!in_run) {
                    in_run = true;
                    run_best = 0;
                    if (r->n < MAX_RUNS) {
                        r->lo[r->n] = ends[e].t;
                    }
                }
                if (distinct > run_best && r->n < MAX_RUNS) {
                    run_best = distinct;
                    r->peak[r->n] = ends[e].t;
                    r->count[r->n] = distinct;
                }
            }
        } else {
            if (--cover[k] == 0) {
                distinct--;
            }
            if (in_run && distinct < need) {
                if (r->n < MAX_RUNS) {
                    r->hi[r->n] = ends[e].t;
                }
                r->n++;
                in_run = false;
            }
        }
    }
    return best;
}

/* Filter `in` to the picks that a source in box b could have produced and that take part
 * in some origin time where enough stations agree (a child box can only have fewer such
 * times, so the others can never matter below).  Returns the best agreement count (0 when
 * fewer than min_sta stations). */
static int
filter(struct actx *a, const struct box *b, const struct cpick *in, size_t n_in,
       struct cpick *out, size_t *n_out, struct endpt *ends, double *lohi, struct runs *r)
{
    size_t n = 0, ne = 0;
    int nsta = 0;
    int32_t last_k = -1;
    double reach = box_reach(a, b);
    for (size_t i = 0; i < n_in; i++) {
        double lo, hi;
        if (!origin_interval(a, b, reach, &in[i], &lo, &hi)) {
            continue;
        }
        lohi[2 * n] = lo;
        lohi[2 * n + 1] = hi;
        out[n++] = in[i];
        ends[ne].t = lo;
        ends[ne].open = 1;
        ends[ne++].k = in[i].k;
        ends[ne].t = hi;
        ends[ne].open = -1;
        ends[ne++].k = in[i].k;
        if (in[i].k != last_k) {
            nsta++;
            last_k = in[i].k;
        }
    }
    *n_out = n;
    if (nsta < a->need) {
        return 0;
    }
    int best = sweep(ends, ne, a->cover, a->need, r, NULL);
    if (best < a->need || r->n > MAX_RUNS) {
        return best;
    }
    /* keep the picks whose interval meets a run (runs are in time order) */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double lo = lohi[2 * i], hi = lohi[2 * i + 1];
        bool meets = false;
        for (int j = 0; j < r->n && !meets; j++) {
            meets = hi >= r->lo[j] && lo <= r->hi[j];
        }
        if (meets) {
            out[m++] = out[i];
        }
    }
    *n_out = m;
    return best;
}

/* ------------------------------------------------------------------------ */
/* Fine search inside a leaf                                                 */
/* ------------------------------------------------------------------------ */

struct vote {
    double o, tol;
    int32_t k;
    size_t pk;
};

/* Best origin time for one grid point: the time covered by the intervals [o - tol, o + tol]
 * of the most distinct stations (a sweep over the sorted interval ends).  Fills sel[] with
 * one vote per station, the one closest to the chosen origin. */
static int
best_origin(const struct vote *v, size_t nv, double *t0, double *spread, size_t *sel,
            int32_t *sel_k, struct endpt *ends, int *cover)
{
    size_t ne = 0;
    for (size_t i = 0; i < nv; i++) {
        ends[ne].t = v[i].o - v[i].tol;
        ends[ne].open = 1;
        ends[ne++].k = v[i].k;
        ends[ne].t = v[i].o + v[i].tol;
        ends[ne].open = -1;
        ends[ne++].k = v[i].k;
    }
    double best_t = 0;
    int best = sweep(ends, ne, cover, 1, NULL, &best_t);
    if (best == 0) {
        return 0;
    }
    /* the members: intervals holding best_t; centre on their mean, one vote per station */
    double s = 0;
    int m = 0;
    for (size_t i = 0; i < nv; i++) {
        if (fabs(v[i].o - best_t) <= v[i].tol) {
            s += v[i].o;
            m++;
        }
    }
    double tc = m ? s / m : best_t;
    int n = 0;
    double sp = 0;
    for (size_t i = 0; i < nv; i++) {
        if (fabs(v[i].o - tc) > v[i].tol) {
            continue;
        }
        int j = 0;
        while (j < n && sel_k[j] != v[i].k) {
            j++;
        }
        if (j == n) {
            sel_k[n] = v[i].k;
            sel[n++] = i;
        } else if (fabs(v[i].o - tc) < fabs(v[sel[j]].o - tc)) {
            sel[j] = i;
        }
    }
    for (int j = 0; j < n; j++) {
        sp += fabs(v[sel[j]].o - tc) / v[sel[j]].tol;
    }
    *t0 = tc;
    *spread = sp;
    return n;
}

struct fine {
    int score;
    double x, y, t0, spread;
    size_t n;
    size_t pk[256];
    int32_t k[256];
};

/* Votes of the candidate picks for origin times at grid point (gx, gy). */
static size_t
votes_at(const struct actx *a, const struct cpick *cp, size_t n, double gx, double gy,
         double quant_m, double tmin, double tmax, struct vote *v)
{
    size_t nv = 0;
    for (size_t i = 0; i < n; i++) {
        const struct ksta *s = &a->ks[cp[i].k];
        double dx = s->x - gx, dy = s->y - gy, d = sqrt(dx * dx + dy * dy);
        if (d > a->max_range) {
            continue;
        }
        double vv = s->c + (d > 1 ? (s->we * dx + s->wn * dy) / d : 0.0);
        double o = cp[i].t - d / vv;
        if (o < tmin || o > tmax) {
            continue;
        }
        v[nv].o = o;
        v[nv].tol = 0.05 + d * MODEL_TOL_MPS / (vv * vv) + 0.75 * quant_m / vv;
        v[nv].k = cp[i].k;
        v[nv].pk = cp[i].pk;
        nv++;
    }
    return nv;
}

/* Score a leaf with the picks still free: a coarse grid over the leaf, then a fine grid
 * around its best point.  Returns the number of stations of the best candidate. */
static int
fine_search(struct actx *a, const struct cand *cd, struct fine *best)
{
    const struct box *leaf = &cd->leaf;
    best->score = 0;
    best->n = 0;
    best->spread = HUGE_VAL;
    /* the candidate's picks that are still free */
    size_t n = 0;
    struct cpick *cp = tl_malloc((cd->n + 1) * sizeof(*cp));
    if (!cp) {
        a->rc = TL_ENOMEM;
        return 0;
    }
    for (size_t i = 0; i < cd->n; i++) {
        if (a->p->pk[a->pool[cd->off + i].pk].ev < 0) {
            cp[n++] = a->pool[cd->off + i];
        }
    }
    int nsta = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || cp[i].k != cp[i - 1].k) {
            nsta++;
        }
    }
    struct vote *v = NULL;
    struct endpt *ends = NULL;
    int *cover = NULL;
    size_t *sel = NULL;
    int32_t *sel_k = NULL;
    if (nsta < a->need) {
        goto done;
    }
    v = tl_malloc(n * sizeof(*v));
    ends = tl_malloc(2 * n * sizeof(*ends));
    cover = tl_calloc(a->tl->n_stations + 1, sizeof(int));
    sel = tl_malloc(n * sizeof(size_t));
    sel_k = tl_malloc(n * sizeof(int32_t));
    if (!v || !ends || !cover || !sel || !sel_k) {
        a->rc = TL_ENOMEM;
        goto done;
    }
    /* two levels: the leaf at COARSE_STEP_M, then +-COARSE_STEP_M around the best point */
    double cx = 0, cy = 0;
    for (int level = 0; level < 2; level++) {
        double step = level == 0 ? COARSE_STEP_M : FINE_STEP_M;
        double x0 = level == 0 ? leaf->x0 : cx - COARSE_STEP_M;
        double x1 = level == 0 ? leaf->x1 : cx + COARSE_STEP_M;
        double y0 = level == 0 ? leaf->y0 : cy - COARSE_STEP_M;
        double y1 = level == 0 ? leaf->y1 : cy + COARSE_STEP_M;
        int nx = (int)ceil((x1 - x0) / step), ny = (int)ceil((y1 - y0) / step);
        int lbest = 0;
        double lsp = HUGE_VAL;
        for (int ix = 0; ix < nx; ix++) {
            for (int iy = 0; iy < ny; iy++) {
                double gx = x0 + (ix + 0.5) * (x1 - x0) / nx;
                double gy = y0 + (iy + 0.5) * (y1 - y0) / ny;
                size_t nv = votes_at(a, cp, n, gx, gy, step, leaf->t0 - 0.5, leaf->t1 + 0.5, v);
                if (nv < (size_t)a->need) {
                    continue;
                }
                double t0 = 0, sp = 0;
                int cnt = best_origin(v, nv, &t0, &sp, sel, sel_k, ends, cover);
                if (cnt > lbest || (cnt == lbest && sp < lsp)) {
                    lbest = cnt;
                    lsp = sp;
                    cx = gx;
                    cy = gy;
                    if (level == 1) {
                        best->score = cnt;
                        best->x = gx;
                        best->y = gy;
                        best->t0 = t0;
                        best->spread = sp;
                        best->n = 0;
                        for (int j = 0; j < cnt && best->n < 256; j++) {
                            best->pk[best->n] = v[sel[j]].pk;
                            best->k[best->n] = v[sel[j]].k;
                            best->n++;
                        }
                    }
                }
            }
        }
        if (lbest < a->need) {
            break;
        }
    }
done:
    tl_free(v);
    tl_free(ends);
    tl_free(cover);
    tl_free(sel);
    tl_free(sel_k);
    tl_free(cp);
    return best->score;
}

/* ------------------------------------------------------------------------ */
/* Octree                                                                    */
/* ------------------------------------------------------------------------ */

/* A leaf candidate for one run of origin times: the picks whose intervals meet the run. */
static void
add_cand(struct actx *a, const struct box *leaf, const struct runs *r, int k,
         const struct cpick *picks, const double *lohi, size_t n)
{
    if (a->rc != TL_OK) {
        return;
    }
    int rc = tl__grow((void **)&a->cands, &a->cap_cand, a->n_cand + 1, sizeof(*a->cands),
                      (size_t)1 << 26);
    if (rc == TL_OK) {
        rc = tl__grow((void **)&a->pool, &a->cap_pool, a->n_pool + n, sizeof(*a->pool),
                      (size_t)1 << 30);
    }
    if (rc != TL_OK) {
        a->rc = rc;
        return;
    }
    struct cand *c = &a->cands[a->n_cand++];
    c->leaf = *leaf;
    c->leaf.t0 = fmax(r->lo[k], r->peak[k] - LEAF_S);
    c->leaf.t1 = fmin(r->hi[k], r->peak[k] + LEAF_S);
    c->score = r->count[k];
    c->spread = 0;
    c->off = a->n_pool;
    c->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (lohi[2 * i + 1] >= r->lo[k] && lohi[2 * i] <= r->hi[k]) {
            a->pool[a->n_pool++] = picks[i];
            c->n++;
        }
    }
}

/* Stations that still agree on an origin time in the candidate's window, counting only
 * picks no event has taken. */
static int
quick_count(struct actx *a, const struct cand *c, struct endpt *ends)
{
    size_t ne = 0;
    double reach = box_reach(a, &c->leaf);
    for (size_t i = 0; i < c->n; i++) {
        const struct cpick *q = &a->pool[c->off + i];
        double lo, hi;
        if (a->p->pk[q->pk].ev >= 0 || !origin_interval(a, &c->leaf, reach, q, &lo, &hi)) {
            continue;
        }
        ends[ne].t = fmax(lo, c->leaf.t0);
        ends[ne].open = 1;
        ends[ne++].k = q->k;
        ends[ne].t = fmin(hi, c->leaf.t1);
        ends[ne].open = -1;
        ends[ne++].k = q->k;
    }
    return ne ? sweep(ends, ne, a->cover, a->need, NULL, NULL) : 0;
}

/* Quadtree over (x, y); `list` holds the picks compatible with box b. */
static void
search(struct actx *a, const struct box *b, const struct cpick *list, size_t n, int depth)
{
    a->n_nodes++;
    if (a->rc != TL_OK || depth > 40) {
        return;
    }
    bool leaf = b->x1 - b->x0 <= LEAF_M && b->y1 - b->y0 <= LEAF_M;
    struct box c[4];
    int nc = 0;
    if (leaf) {
        c[nc++] = *b;
    } else {
        double mx = 0.5 * (b->x0 + b->x1), my = 0.5 * (b->y0 + b->y1);
        for (int i = 0; i < 4; i++) {
            c[i] = *b;
            if (i & 1) {
                c[i].x0 = mx;
            } else {
                c[i].x1 = mx;
            }
            if (i & 2) {
                c[i].y0 = my;
            } else {
                c[i].y1 = my;
            }
        }
        nc = 4;
    }
    struct cpick *sub = tl_malloc((n + 1) * sizeof(*sub));
    struct endpt *ends = tl_malloc((2 * n + 1) * sizeof(*ends));
    double *lohi = tl_malloc((2 * n + 1) * sizeof(double));
    struct runs *r = tl_malloc(sizeof(*r));
    if (!sub || !ends || !lohi || !r) {
        a->rc = TL_ENOMEM;
        goto done;
    }
    for (int i = 0; i < nc; i++) {
        size_t m;
        int best = filter(a, &c[i], list, n, sub, &m, ends, lohi, r);
        if (best < a->need) {
            continue;
        }
        if (leaf) {
            for (int k = 0; k < r->n && k < MAX_RUNS; k++) {
                add_cand(a, &c[i], r, k, sub, lohi, m);
            }
        } else {
            search(a, &c[i], sub, m, depth + 1);
        }
    }
done:
    tl_free(sub);
    tl_free(ends);
    tl_free(lohi);
    tl_free(r);
}

/* ------------------------------------------------------------------------ */
/* Turning candidates into events                                            */
/* ------------------------------------------------------------------------ */

static int
cmp_cand(const void *x, const void *y)
{
    const struct cand *a = x, *b = y;
    if (a->score != b->score) {
        return b->score - a->score;
    }
    if (a->leaf.t0 != b->leaf.t0) {
        return a->leaf.t0 < b->leaf.t0 ? -1 : 1;
    }
    if (a->leaf.x0 != b->leaf.x0) {
        return a->leaf.x0 < b->leaf.x0 ? -1 : 1;
    }
    return a->leaf.y0 < b->leaf.y0 ? -1 : (a->leaf.y0 > b->leaf.y0);
}

static int
cmp_size(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return a < b ? -1 : (a > b);
}

/* Order-free fingerprint of a pick set. */
static uint64_t
fingerprint(const size_t *pk, size_t n)
{
    size_t tmp[256];
    memcpy(tmp, pk, n * sizeof(size_t));
    qsort(tmp, n, sizeof(size_t), cmp_size);
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint64_t)tmp[i];
        h *= 0x100000001b3u;
        h ^= h >> 29;
    }
    return h;
}

static bool
was_rejected(const struct actx *a, uint64_t fp)
{
    for (size_t i = 0; i < a->n_rej; i++) {
        if (a->rejected[i] == fp) {
            return true;
        }
    }
    return false;
}

/* Try to make an event from the picks a fine search selected.  Returns 1 if kept. */
static int
try_event(struct actx *a, const struct fine *f)
{
    struct tl_pipeline *p = a->p;
    uint64_t fp = fingerprint(f->pk, f->n);
    if (was_rejected(a, fp)) {
        return 0;
    }
    struct tl__ev *e = tl__ev_push(p);
    if (!e) {
        a->rc = TL_ENOMEM;
        return 0;
    }
    e->tile = a->tile;
    e->x = f->x;
    e->y = f->y;
    e->t0_s = f->t0;
    e->picks = tl_malloc(f->n * sizeof(size_t));
    if (!e->picks) {
        a->rc = TL_ENOMEM;
        p->n_ev--;
        return 0;
    }
    memcpy(e->picks, f->pk, f->n * sizeof(size_t));
    e->n_picks = f->n;
    int rc = tl__locate_event(p, e, a->mf);
    TL_LOG(TL_LOG_DEBUG, "assoc", "cand fine (%.0f %.0f %.2f) n=%zu score=%d -> (%.0f %.0f %.2f) nsta=%d rms=%.3f rc=%d",
           f->x, f->y, f->t0, f->n, f->score, e->x, e->y, e->t0_s, e->pub.n_stations, e->pub.rms_s, rc);
    if (rc == TL_ENOMEM) {
        a->rc = rc;
    }
    /* The block only partitions the search; an event found from it may have its origin
     * before or after it (range-time trade-off of sources outside the network). */
    bool keep = rc == TL_OK && e->n_fit_check >= a->min_sta && e->pub.n_stations >= a->min_sta &&
                e->significance > MIN_SIGNIFICANCE &&
                e->t0_s >= a->bt0 - 3.0 * p->prm.max_range_m / 300.0 &&
                e->t0_s < a->bt1 + p->prm.max_range_m / 300.0;
    /* Any tile may keep an event inside its search area: picks are shared, each goes to
     * one event only, so an event near a tile boundary cannot be found twice. */
    if (keep) {
        keep = e->x >= a->tl->min_x && e->x <= a->tl->max_x && e->y >= a->tl->min_y &&
               e->y <= a->tl->max_y;
    }
    if (keep) {
        double la, lo, h, q[3] = {e->x, e->y, e->z};
        struct tl_line_pos pos;
        tl_enu_to_geo(&a->tl->frame, q, &la, &lo, &h);
        tl_mission_line_pos(p->m, la, lo, &pos);
        keep = pos.dist_m <= MAX_LINE_DIST_M;
    }
    if (!keep) {
        tl__ev_free_contents(e);
        p->n_ev--;
        if (tl__grow((void **)&a->rejected, &a->cap_rej, a->n_rej + 1, sizeof(uint64_t),
                     (size_t)1 << 24) == TL_OK) {
            a->rejected[a->n_rej++] = fp;
        }
        return 0;
    }
    int32_t idx = (int32_t)(e - p->ev);
    /* Well-observed events teach the tile how far the met model is off: the common
     * correction, and the path-to-path error left after it (mean |residual| per km of
     * path, times 1.25 for a Gaussian's sigma). */
    if (e->n_fit_check >= 8) {
        struct tl__tile *wt = &p->tiles[a->tile];
        double alpha = 0.1;
        wt->corr_dc_mps += alpha * (e->dc - wt->corr_dc_mps);
        wt->corr_we_mps += alpha * (e->dwind_e - wt->corr_we_mps);
        wt->corr_wn_mps += alpha * (e->dwind_n - wt->corr_wn_mps);
        wt->corr_weight += 1.0;
        double sum = 0;
        int cnt = 0;
        for (size_t i = 0; i < e->pub.n_arrivals; i++) {
            const struct tl_arrival *ar = &e->pub.arrivals[i];
            if (ar->weight >= 0.5 && ar->dist_m > 3000.0) {
                sum += fabs(ar->residual_s) / (ar->dist_m / 1000.0);
                cnt++;
            }
        }
        if (cnt >= 4) {
            double est = 1.25 * sum / cnt;
            wt->path_err_s_per_km += 0.05 * (est - wt->path_err_s_per_km);
            wt->path_err_s_per_km = fmax(0.0005, fmin(0.02, wt->path_err_s_per_km));
        }
    }
    TL_LOG(TL_LOG_DEBUG, "assoc", "accept tile %zu (%.0f %.0f %.2f) nsta=%d rms=%.3f sig=%.1f check %d %.3f",
           a->tile, e->x, e->y, e->t0_s, e->pub.n_stations, e->pub.rms_s, e->significance, e->n_fit_check, e->check_rms_s);
    TL_LOG(TL_LOG_DEBUG, "assoc", "  tile corr dc=%.2f dw=(%.2f %.2f) path_err=%.4f s/km",
           p->tiles[a->tile].corr_dc_mps, p->tiles[a->tile].corr_we_mps, p->tiles[a->tile].corr_wn_mps,
           p->tiles[a->tile].path_err_s_per_km);
    for (size_t i = 0; i < e->n_picks; i++) {
        p->pk[e->picks[i]].ev = idx;
    }
    return 1;
}

/* One pass: quadtree search for candidates, then best first with lazy re-scoring. */
static int
greedy_pass(struct actx *a, const struct cpick *root, size_t n_root)
{
    const struct tl__tile *tl = a->tl;
    struct box b = {tl->min_x, tl->max_x, tl->min_y, tl->max_y, a->bt0, a->bt1};
    search(a, &b, root, n_root, 0);
    if (a->rc != TL_OK) {
        return a->rc;
    }
    /* Best first, with lazy re-scoring against the picks still free. */
    qsort(a->cands, a->n_cand, sizeof(*a->cands), cmp_cand);
    struct fine *f = tl_malloc(sizeof(*f));
    size_t max_n = 0;
    for (size_t i = 0; i < a->n_cand; i++) {
        max_n = a->cands[i].n > max_n ? a->cands[i].n : max_n;
    }
    struct endpt *qends = tl_malloc((2 * max_n + 1) * sizeof(*qends));
    if (!f || !qends) {
        tl_free(f);
        tl_free(qends);
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < a->n_cand && a->rc == TL_OK; i++) {
        struct cand *c = &a->cands[i];
        if (c->score < a->need) {
            continue;
        }
        int s = quick_count(a, c, qends);
        if (s >= a->need && !(i + 1 < a->n_cand && s < a->cands[i + 1].score)) {
            s = fine_search(a, c, f);
            a->n_fine++;
        }
        if (s < a->need) {
            continue;
        }
        /* still as good as the next candidate in line?  otherwise re-queue */
        if (i + 1 < a->n_cand && s < a->cands[i + 1].score) {
            c->score = s;
            size_t j = i + 1;
            struct cand tmp = *c;
            while (j < a->n_cand && cmp_cand(&a->cands[j], &tmp) < 0) {
                a->cands[j - 1] = a->cands[j];
                j++;
            }
            a->cands[j - 1] = tmp;
            i--;
            continue;
        }
        a->n_try++;
        try_event(a, f);
    }
    TL_LOG(TL_LOG_DEBUG, "assoc",
           "tile %zu block %.0f need %d: %zu root picks, %ld nodes, %zu leaves, %ld fine, %ld tries",
           a->tile, a->bt0, a->need, n_root, a->n_nodes, a->n_cand, a->n_fine, a->n_try);
    tl_free(f);
    tl_free(qends);
    return a->rc;
}

int
tl__associate(struct tl_pipeline *p, size_t tile, tl_time_ns from_ns, tl_time_ns to_ns)
{
    const struct tl__tile *tl = &p->tiles[tile];
    const struct tl__metfield *mfp = tl__metfield_get(p, tile, from_ns + (to_ns - from_ns) / 2);
    if (!mfp) {
        return TL_ENOMEM;
    }
    int rc = TL_OK;
    struct actx a = {.p = p, .tile = tile, .tl = tl, .mf = mfp, .min_sta = p->prm.min_stations,
                     .max_range = p->prm.max_range_m, .tol_mps = p->prm.speed_tol_mps,
                     .block_from = from_ns, .block_to = to_ns, .rc = TL_OK};
    a.bt0 = (double)(from_ns - p->epoch_ns) * 1e-9;
    a.bt1 = (double)(to_ns - p->epoch_ns) * 1e-9;
    a.ks = tl_calloc(tl->n_stations + 1, sizeof(*a.ks));
    struct cpick *root = NULL;
    size_t n_root = 0, cap_root = 0;
    if (!a.ks) {
        rc = TL_ENOMEM;
        goto done;
    }
    double max_tt = p->prm.max_range_m / 300.0;
    for (size_t k = 0; k < tl->n_stations; k++) {
        struct ksta *s = &a.ks[k];
        s->x = tl->sta_xyz[k][0];
        s->y = tl->sta_xyz[k][1];
        s->z = tl->sta_xyz[k][2];
        double temp;
        tl__metfield_at(mfp, s->x, s->y, &temp, &s->we, &s->wn);
        /* with the tile's running correction of the met model */
        s->we += tl->corr_we_mps;
        s->wn += tl->corr_wn_mps;
        s->c = tl_sound_speed_mps(temp) + tl->corr_dc_mps;
        s->wmag = hypot(s->we, s->wn);
        s->scale = p->sx[tl->stations[k]].weight_scale;
    }
    a.cover = tl_calloc(tl->n_stations + 1, sizeof(int));
    if (!a.cover) {
        rc = TL_ENOMEM;
        goto done;
    }
    /* Passes of decreasing strictness: events heard by many stations first, while the
     * picks are dense, then weaker ones among the picks that are left, where chance
     * alignments of unrelated picks (ghosts) have become rare. */
    int passes[3] = {a.min_sta + 5, a.min_sta + 2, a.min_sta};
    for (int pass = 0; pass < 3 && rc == TL_OK; pass++) {
        a.need = passes[pass];
        n_root = 0;
        for (size_t k = 0; k < tl->n_stations; k++) {
            const struct tl__sta_index *x = &p->sx[tl->stations[k]];
            for (size_t i = 0; i < x->n_picks; i++) {
                double t = tl__pk_time_s(p, x->picks[i]);
                if (t < a.bt0 - 1.0 || t > a.bt1 + max_tt || p->pk[x->picks[i]].ev >= 0) {
                    continue;
                }
                if ((rc = tl__grow((void **)&root, &cap_root, n_root + 1, sizeof(*root),
                                   (size_t)1 << 28)) != TL_OK) {
                    goto done;
                }
                root[n_root].k = (int32_t)k;
                root[n_root].pk = x->picks[i];
                root[n_root].t = t;
                n_root++;
            }
        }
        a.n_cand = 0;
        a.n_pool = 0;
        a.n_nodes = a.n_fine = a.n_try = 0;
        rc = greedy_pass(&a, root, n_root);
    }
done:
    tl_free(root);
    tl_free(a.ks);
    tl_free(a.cands);
    tl_free(a.pool);
    tl_free(a.rejected);
    tl_free(a.cover);
    return rc;
}
