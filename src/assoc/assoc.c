/*
 * assoc.c - association: which picks, at which stations, come from one source.
 *
 * A barrage puts dozens of launch and impact arrivals per minute at every
 * station, interleaved, with false picks and late echoes among them.  Pairing
 * picks station by station cannot work there; instead the space of possible
 * sources (x, y, origin time t0) is searched directly, as PyOcto does for
 * earthquakes (Muenchmeyer 2024, research/pipelines.md section 3.4):
 *
 *  1. Space-time partitioning.  A box of (x, y, t0) is kept only if at least
 *     min_stations stations have a pick that some source in the box could have
 *     produced: a pick at station k is compatible when its time lies between
 *     t0_min + d_min / v_max and t0_max + d_max / v_min, with d the distance
 *     range from the station to the box and v the effective sound speed for
 *     the directions the box spans (the station's temperature and wind, plus a
 *     tolerance).  Kept boxes are split (space or time, whichever spans more
 *     travel time) and each child filters its parent's pick list, so the work
 *     follows the picks and empty space costs nothing.
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

#define LEAF_M        800.0   /* leaf box side */
#define LEAF_S        1.0     /* leaf box duration */
#define FINE_STEP_M   100.0   /* grid step of the leaf search */
#define PICK_TOL_S    0.05    /* pick timing tolerance in the box test */
#define MODEL_TOL_MPS 3.0     /* speed error allowed in the fine search */
#define MAX_CAND_PICKS 4096

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
    struct box leaf;
};

struct actx {
    struct tl_pipeline *p;
    size_t tile;
    const struct tl__tile *tl;
    const struct tl__metfield *mf;
    struct ksta *ks;
    int min_sta;
    double max_range;
    double tol_mps;
    struct cand *cands;
    size_t n_cand, cap_cand;
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

/* Range of the wind's projection on the propagation directions from the box to the station. */
static void
wind_proj_range(const struct ksta *s, const struct box *b, double *wmin, double *wmax)
{
    if (s->wmag < 1e-6) {
        *wmin = *wmax = 0.0;
        return;
    }
    double cx = 0.5 * (b->x0 + b->x1), cy = 0.5 * (b->y0 + b->y1);
    double dx = s->x - cx, dy = s->y - cy, dc = hypot(dx, dy);
    double half = 0.5 * hypot(b->x1 - b->x0, b->y1 - b->y0);
    if (dc <= half * 1.01) {
        *wmin = -s->wmag;
        *wmax = s->wmag;
        return;
    }
    double alpha = asin(half / dc);
    /* angle between wind and the central propagation direction */
    double phi = fabs(atan2(dx * s->wn - dy * s->we, dx * s->we + dy * s->wn));
    double lo = phi - alpha, hi = phi + alpha;
    *wmax = s->wmag * (lo <= 0 ? 1.0 : cos(lo));
    *wmin = s->wmag * (hi >= M_PI ? -1.0 : cos(hi));
}

/* Filter `in` to the picks compatible with box b; returns the count of distinct stations. */
static int
filter(const struct actx *a, const struct box *b, const struct cpick *in, size_t n_in,
       struct cpick *out, size_t *n_out)
{
    size_t n = 0;
    int nsta = 0;
    int32_t last_k = -1, cur_k = -1;
    double lo = 0, hi = -1;
    for (size_t i = 0; i < n_in; i++) {
        if (in[i].k != cur_k) {
            cur_k = in[i].k;
            const struct ksta *s = &a->ks[cur_k];
            double dmin, dmax, wmin, wmax;
            box_dist(b, s->x, s->y, &dmin, &dmax);
            if (dmin > a->max_range) {
                lo = 1;
                hi = 0;
            } else {
                wind_proj_range(s, b, &wmin, &wmax);
                double vhi = s->c + wmax + a->tol_mps, vlo = s->c + wmin - a->tol_mps;
                lo = b->t0 + dmin / vhi - PICK_TOL_S;
                hi = b->t1 + fmin(dmax, a->max_range) / vlo + PICK_TOL_S;
            }
        }
        if (in[i].t >= lo && in[i].t <= hi) {
            if (out) {
                out[n] = in[i];
            }
            n++;
            if (in[i].k != last_k) {
                nsta++;
                last_k = in[i].k;
            }
        }
    }
    *n_out = n;
    return nsta;
}

/* ------------------------------------------------------------------------ */
/* Fine search inside a leaf                                                 */
/* ------------------------------------------------------------------------ */

struct vote {
    double o, tol;
    int32_t k;
    size_t pk;
};

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y ? 1 : 0);
}

/* Best origin time for one grid point: the point covered by the most distinct stations'
 * intervals.  Fills sel[] with one pick per station (closest to the chosen origin). */
static int
best_origin(const struct vote *v, size_t nv, int nk, double *t0, double *spread, size_t *sel,
            int32_t *sel_k, double *ends, int *seen)
{
    /* candidate origin times: interval starts; count stations covering each */
    size_t ne = 0;
    for (size_t i = 0; i < nv; i++) {
        ends[ne++] = v[i].o - v[i].tol;
        ends[ne++] = v[i].o;
    }
    qsort(ends, ne, sizeof(double), cmp_double);
    int best = 0;
    double best_t = 0, best_sp = HUGE_VAL;
    for (size_t e = 0; e < ne; e++) {
        if (e > 0 && ends[e] == ends[e - 1]) {
            continue;
        }
        double t = ends[e] + 1e-9;
        int cnt = 0;
        double sp = 0;
        for (int k = 0; k < nk; k++) {
            seen[k] = 0;
        }
        for (size_t i = 0; i < nv; i++) {
            if (fabs(v[i].o - t) <= v[i].tol && !seen[v[i].k]) {
                seen[v[i].k] = 1;
                cnt++;
                sp += fabs(v[i].o - t) / v[i].tol;
            }
        }
        if (cnt > best || (cnt == best && sp < best_sp)) {
            best = cnt;
            best_t = t;
            best_sp = sp;
        }
    }
    if (best == 0) {
        return 0;
    }
    /* refine t0 as the mean of the members, then pick one per station */
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
    for (size_t i = 0; i < nv; i++) {
        if (fabs(v[i].o - tc) > v[i].tol * 1.5) {
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
    *t0 = tc;
    *spread = best_sp;
    return n;
}

struct fine {
    int score;
    double x, y, t0, spread;
    size_t n;
    size_t pk[256];
    int32_t k[256];
};

/* Score a leaf with the picks still free.  Returns the number of stations. */
static int
fine_search(struct actx *a, const struct box *leaf, struct fine *best)
{
    struct tl_pipeline *p = a->p;
    best->score = 0;
    best->n = 0;
    /* gather free picks compatible with the leaf */
    size_t cap = 0, n = 0;
    struct cpick *cp = NULL;
    for (size_t k = 0; k < a->tl->n_stations; k++) {
        const struct ksta *s = &a->ks[k];
        double dmin, dmax, wmin, wmax;
        box_dist(leaf, s->x, s->y, &dmin, &dmax);
        if (dmin > a->max_range) {
            continue;
        }
        wind_proj_range(s, leaf, &wmin, &wmax);
        double lo = leaf->t0 + dmin / (s->c + wmax + a->tol_mps) - PICK_TOL_S;
        double hi = leaf->t1 + dmax / (s->c + wmin - a->tol_mps) + PICK_TOL_S;
        const struct tl__sta_index *x = &p->sx[a->tl->stations[k]];
        /* binary search for the first pick at or after lo (times are sorted; the clock
         * correction is constant over a station's block so order is kept) */
        size_t l = 0, h = x->n_picks;
        while (l < h) {
            size_t mid = (l + h) / 2;
            if (tl__pk_time_s(p, x->picks[mid]) < lo) {
                l = mid + 1;
            } else {
                h = mid;
            }
        }
        for (size_t i = l; i < x->n_picks; i++) {
            double t = tl__pk_time_s(p, x->picks[i]);
            if (t > hi) {
                break;
            }
            if (p->pk[x->picks[i]].ev >= 0) {
                continue;
            }
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 64;
                if (nc > MAX_CAND_PICKS) {
                    break;
                }
                struct cpick *q = tl_realloc(cp, nc * sizeof(*q));
                if (!q) {
                    tl_free(cp);
                    a->rc = TL_ENOMEM;
                    return 0;
                }
                cp = q;
                cap = nc;
            }
            cp[n].k = (int32_t)k;
            cp[n].pk = x->picks[i];
            cp[n].t = t;
            n++;
        }
    }
    int nsta = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || cp[i].k != cp[i - 1].k) {
            nsta++;
        }
    }
    if (nsta < a->min_sta) {
        tl_free(cp);
        return 0;
    }
    struct vote *v = tl_malloc(n * sizeof(*v));
    double *ends = tl_malloc(2 * n * sizeof(double));
    int *seen = tl_calloc(a->tl->n_stations + 1, sizeof(int));
    size_t *sel = tl_malloc(n * sizeof(size_t));
    int32_t *sel_k = tl_malloc(n * sizeof(int32_t));
    if (!v || !ends || !seen || !sel || !sel_k) {
        a->rc = TL_ENOMEM;
        goto done;
    }
    int nx = (int)ceil((leaf->x1 - leaf->x0) / FINE_STEP_M);
    int ny = (int)ceil((leaf->y1 - leaf->y0) / FINE_STEP_M);
    for (int ix = 0; ix < nx; ix++) {
        for (int iy = 0; iy < ny; iy++) {
            double gx = leaf->x0 + (ix + 0.5) * (leaf->x1 - leaf->x0) / nx;
            double gy = leaf->y0 + (iy + 0.5) * (leaf->y1 - leaf->y0) / ny;
            size_t nv = 0;
            for (size_t i = 0; i < n; i++) {
                const struct ksta *s = &a->ks[cp[i].k];
                double dx = s->x - gx, dy = s->y - gy, d = hypot(dx, dy);
                if (d > a->max_range) {
                    continue;
                }
                double vv = s->c + (d > 1 ? (s->we * dx + s->wn * dy) / d : 0.0);
                double tt = d / vv;
                double o = cp[i].t - tt;
                if (o < leaf->t0 - 0.5 || o > leaf->t1 + 0.5) {
                    continue;
                }
                v[nv].o = o;
                v[nv].tol = 0.06 + d * MODEL_TOL_MPS / (vv * vv) + 0.75 * FINE_STEP_M / vv;
                v[nv].k = cp[i].k;
                v[nv].pk = cp[i].pk;
                nv++;
            }
            if (nv < (size_t)a->min_sta) {
                continue;
            }
            double t0 = 0, sp = 0;
            int cnt = best_origin(v, nv, (int)a->tl->n_stations, &t0, &sp, sel, sel_k, ends, seen);
            if (cnt > best->score || (cnt == best->score && sp < best->spread)) {
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
done:
    tl_free(v);
    tl_free(ends);
    tl_free(seen);
    tl_free(sel);
    tl_free(sel_k);
    tl_free(cp);
    return best->score;
}

/* ------------------------------------------------------------------------ */
/* Octree                                                                    */
/* ------------------------------------------------------------------------ */

static void
add_cand(struct actx *a, const struct box *leaf, int score)
{
    if (a->rc != TL_OK) {
        return;
    }
    int rc = tl__grow((void **)&a->cands, &a->cap_cand, a->n_cand + 1, sizeof(*a->cands),
                      (size_t)1 << 26);
    if (rc != TL_OK) {
        a->rc = rc;
        return;
    }
    a->cands[a->n_cand].leaf = *leaf;
    a->cands[a->n_cand].score = score;
    a->cands[a->n_cand].spread = 0;
    a->n_cand++;
}

static void
search(struct actx *a, const struct box *b, const struct cpick *list, size_t n, int depth)
{
    if (a->rc != TL_OK || depth > 60) {
        return;
    }
    double lx = b->x1 - b->x0, ly = b->y1 - b->y0, lt = b->t1 - b->t0;
    if (lx <= LEAF_M && ly <= LEAF_M && lt <= LEAF_S) {
        int nsta = 0;
        for (size_t i = 0; i < n; i++) {
            if (i == 0 || list[i].k != list[i - 1].k) {
                nsta++;
            }
        }
        add_cand(a, b, nsta);
        return;
    }
    struct box c[2];
    c[0] = c[1] = *b;
    double sx = lx / 340.0, sy = ly / 340.0;
    if ((sx >= sy && sx >= lt && lx > LEAF_M) || (lt <= LEAF_S && ly <= LEAF_M)) {
        c[0].x1 = c[1].x0 = 0.5 * (b->x0 + b->x1);
    } else if ((sy >= lt && ly > LEAF_M) || lt <= LEAF_S) {
        c[0].y1 = c[1].y0 = 0.5 * (b->y0 + b->y1);
    } else {
        c[0].t1 = c[1].t0 = 0.5 * (b->t0 + b->t1);
    }
    struct cpick *sub = tl_malloc((n + 1) * sizeof(*sub));
    if (!sub) {
        a->rc = TL_ENOMEM;
        return;
    }
    for (int i = 0; i < 2; i++) {
        size_t m;
        if (filter(a, &c[i], list, n, sub, &m) >= a->min_sta) {
            search(a, &c[i], sub, m, depth + 1);
        }
    }
    tl_free(sub);
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

/* Try to make an event from the picks a fine search selected.  Returns 1 if kept. */
static int
try_event(struct actx *a, const struct fine *f)
{
    struct tl_pipeline *p = a->p;
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
    if (rc == TL_ENOMEM) {
        a->rc = rc;
    }
    bool keep = rc == TL_OK && e->pub.n_stations >= a->min_sta && e->t0_s >= a->bt0 &&
                e->t0_s < a->bt1;
    if (keep) {
        double la, lo, h;
        double q[3] = {e->x, e->y, e->z};
        tl_enu_to_geo(&a->tl->frame, q, &la, &lo, &h);
        keep = tl__tile_owner(p, la, lo) == a->tile && e->x >= a->tl->min_x &&
               e->x <= a->tl->max_x && e->y >= a->tl->min_y && e->y <= a->tl->max_y;
    }
    if (!keep) {
        tl__ev_free_contents(e);
        p->n_ev--;
        return 0;
    }
    int32_t idx = (int32_t)(e - p->ev);
    for (size_t i = 0; i < e->n_picks; i++) {
        p->pk[e->picks[i]].ev = idx;
    }
    return 1;
}

int
tl__associate(struct tl_pipeline *p, size_t tile, tl_time_ns from_ns, tl_time_ns to_ns)
{
    const struct tl__tile *tl = &p->tiles[tile];
    struct tl__metfield mf;
    int rc = tl__metfield_init(&mf, p, tile, from_ns + (to_ns - from_ns) / 2);
    if (rc != TL_OK) {
        return rc;
    }
    struct actx a = {.p = p, .tile = tile, .tl = tl, .mf = &mf, .min_sta = p->prm.min_stations,
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
        tl__metfield_at(&mf, s->x, s->y, &temp, &s->we, &s->wn);
        s->c = tl_sound_speed_mps(temp);
        s->wmag = hypot(s->we, s->wn);
        s->scale = p->sx[tl->stations[k]].weight_scale;
        /* free picks that a source in this block could have produced */
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
    struct box b = {tl->min_x, tl->max_x, tl->min_y, tl->max_y, a.bt0, a.bt1};
    size_t m;
    struct cpick *lst = tl_malloc((n_root + 1) * sizeof(*lst));
    if (!lst) {
        rc = TL_ENOMEM;
        goto done;
    }
    if (filter(&a, &b, root, n_root, lst, &m) >= a.min_sta) {
        search(&a, &b, lst, m, 0);
    }
    tl_free(lst);
    if (a.rc != TL_OK) {
        rc = a.rc;
        goto done;
    }
    /* Best first, with lazy re-scoring against the picks still free. */
    qsort(a.cands, a.n_cand, sizeof(*a.cands), cmp_cand);
    struct fine *f = tl_malloc(sizeof(*f));
    if (!f) {
        rc = TL_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < a.n_cand && a.rc == TL_OK; i++) {
        struct cand *c = &a.cands[i];
        if (c->score < a.min_sta) {
            continue;
        }
        int s = fine_search(&a, &c->leaf, f);
        if (s < a.min_sta) {
            continue;
        }
        /* still as good as the next candidate in line?  otherwise re-queue */
        if (i + 1 < a.n_cand && s < a.cands[i + 1].score) {
            c->score = s;
            size_t j = i + 1;
            struct cand tmp = *c;
            while (j < a.n_cand && cmp_cand(&a.cands[j], &tmp) < 0) {
                a.cands[j - 1] = a.cands[j];
                j++;
            }
            a.cands[j - 1] = tmp;
            i--;
            continue;
        }
        try_event(&a, f);
    }
    tl_free(f);
    rc = a.rc;
done:
    tl_free(root);
    tl_free(a.ks);
    tl_free(a.cands);
    tl__metfield_fini(&mf);
    return rc;
}
