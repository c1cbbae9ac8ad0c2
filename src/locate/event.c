/*
 * event.c - from an associated set of picks to a located, published event.
 *
 * tl__locate_event fits the event with the robust locator (locate.c), then
 * looks at every other station within reach for a free pick that fits the
 * prediction (stations the association's tolerance missed), fits again, and
 * lets go of picks the fit rejects (late echoes, picks of another source) so
 * that other events can claim them.
 *
 * Per-pick uncertainty: the pick's own sigma, plus a propagation term for what
 * no met correction removes - turbulence and small-scale weather along the
 * path - which grows with the square root of the path length (travel-time
 * variance from a random medium grows linearly with range; Ostashev & Wilson,
 * "Acoustics in Moving Inhomogeneous Media", ch. 7), 5 ms at 1 km.
 *
 * tl__event_publish_geo turns the fit into what the bulletin says: latitude
 * and longitude, the 95% ellipse, the side of the line with its probability,
 * zones, place.  The side probability is a comparison of two hypotheses, not
 * only a Gaussian tail: the fit is restarted from the mirror image of the
 * solution across the contact line, and if a second minimum exists on the
 * other side the two are weighed by their evidence (misfit and volume, the
 * Laplace approximation).  Stations in one straight row along the line give
 * two equal minima and so a side probability near 0.5: "ambiguous", never a
 * confident guess (research/acoustics.md section 4.6).
 */
#include "locate.h"

#include <truceline/time.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#define R_EARTH_M 6371000.0
#define REFRACTION_SIGMA_MPS 1.5
/* Goodness of fit an event must reach: robust scale of normalised residuals. */
#define MAX_SCALE 2.5
#define SEARCH_WINDOW_S 120.0 /* origin times one association search looks at */
#define JK_MIN_PICKS    4     /* picks a jackknife refit needs (x, y, t0; priors hold the rest) */
#define JK_SUBSETS_PER_PICK 3 /* delete-half subsets drawn per pick of the event */
#define SALVO_SPAN_S 2.0      /* time around a pick in which other sources' picks may mix */

static double
ground_z(double x, double y)
{
    return -(x * x + y * y) / (2.0 * R_EARTH_M);
}

/* Priors of the joint corrections: centred on the tile's running estimate of the met
 * model's error; the wind's width from the met spread, the speed's from the temperature
 * spread plus the refraction speed-up no surface thermometer sees (night-time ducting
 * carries sound through faster air aloft: 1-3 m/s, acoustics.md section 3.3). */
static void
priors(const struct tl_pipeline *p, const struct tl__tile *tl, const struct tl__metfield *mf,
       struct tl__lprm *lp)
{
    memset(lp, 0, sizeof(*lp));
    lp->sigma_wind_mps =
        mf->any_wind ? fmax(p->prm.wind_prior_mps, 0.5 * mf->spread_wind_mps) : 5.0;
    double st = mf->any_temp ? fmax(p->prm.temp_prior_c, mf->spread_temp_c) : 8.0;
    lp->sigma_speed_mps = sqrt(tl__sq(0.6 * st) + tl__sq(REFRACTION_SIGMA_MPS));
    lp->mean_dwe = tl->learnt.dwind_e_mps;
    lp->mean_dwn = tl->learnt.dwind_n_mps;
    lp->mean_dc = tl->learnt.dc_mps;
    lp->max_iter = 40;
}

/* Fill an observation from pick `pk` at tile station k.  The tile's path error is the part
 * of the met model's error that differs from path to path (what the joint correction
 * cannot absorb), learnt from the residuals of well-observed events. */
static void
make_obs(const struct tl_pipeline *p, const struct tl__tile *tl, size_t k, size_t pk,
         double dist_m, struct tl__lobs *o)
{
    const struct tl__pk *q = &p->pk[pk];
    tl__station_obs(p, tl, k, o);
    o->t_s = tl__pk_time_s(p, pk);
    o->sigma_s = tl__pick_sigma_s(tl, q, dist_m);
    if (!isnan(q->baz_deg)) {
        o->baz_rad = (double)q->baz_deg * M_PI / 180.0 + tl->sta_north_rad[k];
        o->baz_sigma_rad = (double)q->baz_sigma_deg * M_PI / 180.0;
    } else {
        o->baz_rad = NAN;
        o->baz_sigma_rad = NAN;
    }
    o->scale = p->sx[q->sta].weight_scale;
}


/* Picks of mission station `sta` within +-half_s of time t (s from epoch). */
static size_t
picks_near(const struct tl_pipeline *p, int32_t sta, double t, double half_s)
{
    const struct tl__sta_index *x = &p->sx[sta];
    size_t n = 0;
    for (size_t i = tl__sta_first_pick(p, x, t - half_s);
         i < x->n_picks && tl__pk_time_s(p, x->picks[i]) <= t + half_s; i++) {
        n++;
    }
    return n;
}

/* Picks per second at mission station `sta` around time t (s from epoch): all picks within
 * +-60 s, at least one an hour. */
static double
pick_rate(const struct tl_pipeline *p, int32_t sta, double t)
{
    return fmax((double)picks_near(p, sta, t, 60.0) / 120.0, 1.0 / 3600.0);
}

static double
log_choose(int n, int k)
{
    return lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0);
}

/*
 * Is this event more than a chance alignment of unrelated picks?  Each fitting pick adds
 * the log-likelihood ratio of "arrival from this source" (Gaussian residual) against "a
 * pick that happened to fall there" (the station's pick rate); each fitting bearing adds
 * its ratio against a uniform direction.  From the sum go the log of the number of
 * independent places and times the search looked at (in units of this fit's resolution:
 * the tile's band over the block, or for a repeat that stays at its known place, that
 * place over the repeat window; a fit that leaves the place of a search that must stay
 * there is no candidate of it, -HUGE_VAL) and of the number of subsets of that size among
 * the stations no farther than the farthest one that fits.
 * A positive result means fewer than one chance alignment this good is expected in the
 * search (a likelihood-ratio detection test with a look-elsewhere correction).
 */
static double
significance(const struct tl_pipeline *p, const struct tl__tile *tl, const struct tl__lobs *o,
             const long *ks, size_t n, const struct tl__lsol *sol, const struct tl__search *s)
{
    double llr = 0, far_m = 0;
    int nfit = 0, reach = 0;
    for (size_t i = 0; i < n; i++) {
        if (o[i].w < 0.5 || fabs(o[i].res_s) > 3.0 * o[i].sigma_s) {
            continue;
        }
        nfit++;
        far_m = fmax(far_m, o[i].dist_m);
        double lam = pick_rate(p, (int32_t)tl->stations[ks[i]], o[i].t_s);
        double u = o[i].res_s / o[i].sigma_s;
        llr += -log(lam * o[i].sigma_s * sqrt(2.0 * M_PI)) - 0.5 * u * u;
        if (!isnan(o[i].res_baz_rad)) {
            double sb = fmax(o[i].baz_sigma_rad, 1.0 * M_PI / 180.0);
            double ub = o[i].res_baz_rad / sb;
            if (fabs(ub) <= 3.0) {
                llr += log(sqrt(2.0 * M_PI) / sb) - 0.5 * ub * ub;
            }
        }
    }
    /* The stations as close as the farthest one that fits: a real source is heard by the
     * near stations first, so a fit that skips many of them is a choice among many subsets
     * (and pays for it), while one made of the nearest stations is not. */
    for (size_t k = 0; k < tl->n_stations; k++) {
        reach += tl__hypot(tl->sta_xyz[k][0] - sol->x, tl->sta_xyz[k][1] - sol->y) <= far_m + 1.0;
    }
    double det = sol->cov[0][0] * sol->cov[1][1] - tl__sq(sol->cov[0][1]);
    double cell_m2 = M_PI * sqrt(fmax(det, 1.0)) * 4.0; /* 2-sigma ellipse area */
    double cell_s = 4.0 * sqrt(fmax(sol->cov[2][2], 1e-6));
    double area_m2 = (tl->max_x - tl->min_x) * (tl->max_y - tl->min_y), window_s = SEARCH_WINDOW_S;
    if (s && s->radius_m > 0 && tl__hypot(sol->x - s->x_m, sol->y - s->y_m) <= s->radius_m) {
        area_m2 = M_PI * s->radius_m * s->radius_m;
        window_s = s->window_s;
    } else if (s && s->stay) {
        return -HUGE_VAL;
    }
    double cells = fmax(1.0, area_m2 / cell_m2) * fmax(1.0, window_s / cell_s);
    return llr - log(cells) - log_choose(reach > nfit ? reach : nfit, nfit);
}

/* Fit event e with observations o (tile stations ks).  With `fixed`, the joint corrections
 * stay within the scatter the tile has learnt around its running estimate: the nominal
 * model, used to decide whether the picks belong together at all (corrections as free as
 * the met records allow would let chance alignments fit). */
static int
solve_event(struct tl_pipeline *p, struct tl__ev *e, const struct tl__metfield *mf,
            struct tl__lobs *o, long *ks, size_t n, bool fixed, struct tl__lsol *sol)
{
    const struct tl__tile *tl = &p->tiles[e->tile];
    struct tl__lprm lp;
    priors(p, tl, mf, &lp);
    if (fixed) {
        lp.sigma_wind_mps = fmin(lp.sigma_wind_mps, tl->learnt.sd_wind_mps);
        lp.sigma_speed_mps = fmin(lp.sigma_speed_mps, tl->learnt.sd_dc_mps);
    }
    memset(sol, 0, sizeof(*sol));
    sol->x = e->x;
    sol->y = e->y;
    sol->z = ground_z(e->x, e->y);
    sol->t0 = e->t0_s;
    sol->dwe = lp.mean_dwe;
    sol->dwn = lp.mean_dwn;
    sol->dc = lp.mean_dc;
    for (size_t i = 0; i < n; i++) {
        make_obs(p, tl, (size_t)ks[i], e->picks[i],
                 tl__hypot(tl->sta_xyz[ks[i]][0] - e->x, tl->sta_xyz[ks[i]][1] - e->y), &o[i]);
    }
    int rc = tl__locate_solve(o, n, &lp, mf, sol);
    /* second pass with the path-length terms at the solution */
    for (size_t i = 0; i < n; i++) {
        make_obs(p, tl, (size_t)ks[i], e->picks[i],
                 tl__hypot(tl->sta_xyz[ks[i]][0] - sol->x, tl->sta_xyz[ks[i]][1] - sol->y), &o[i]);
    }
    sol->z = ground_z(sol->x, sol->y);
    sol->scale = 0;
    rc = tl__locate_solve(o, n, &lp, mf, sol);
    return rc;
}

int
tl__locate_event(struct tl_pipeline *p, struct tl__ev *e, const struct tl__metfield *mf,
                 const struct tl__search *gate)
{
    const struct tl__tile *tl = &p->tiles[e->tile];
    size_t cap = tl->n_stations + e->n_picks + 1;
    struct tl__lobs *o = tl_calloc(cap, sizeof(*o));
    long *ks = tl_calloc(cap, sizeof(*ks));
    size_t *picks = tl_calloc(cap, sizeof(*picks));
    int rc = TL_OK;
    if (!o || !ks || !picks) {
        rc = TL_ENOMEM;
        goto done;
    }
    size_t n = 0;
    for (size_t i = 0; i < e->n_picks; i++) {
        long k = tl__tile_k(tl, (size_t)p->pk[e->picks[i]].sta);
        if (k >= 0) {
            ks[n] = k;
            picks[n++] = e->picks[i];
        }
    }
    memcpy(e->picks, picks, n * sizeof(size_t));
    e->n_picks = n;
    if (n < 3) {
        rc = TL_ERANGE;
        goto done;
    }
    struct tl__lsol sol;
    if ((rc = solve_event(p, e, mf, o, ks, n, true, &sol)) != TL_OK) {
        goto done;
    }
    /* Stations that the association missed: a free pick close to the prediction, within 3
     * sigma of the pick, path and met noise and of the location's own uncertainty
     * projected on that station (g' C g, g the gradient of the arrival time).  A poorly
     * constrained first fit thus still gathers the stations that will constrain it;
     * repeated while stations join. */
    size_t *grown = tl_realloc(e->picks, cap * sizeof(size_t));
    if (!grown) {
        rc = TL_ENOMEM;
        goto done;
    }
    e->picks = grown;
    for (int round = 0; round < 3; round++) {
        size_t added = 0;
        for (size_t k = 0; k < tl->n_stations; k++) {
            bool have = false;
            for (size_t i = 0; i < e->n_picks && !have; i++) {
                have = ks[i] == (long)k;
            }
            double dx = sol.x - tl->sta_xyz[k][0], dy = sol.y - tl->sta_xyz[k][1];
            double d = tl__hypot(dx, dy);
            if (have || d > p->prm.max_range_m || d < 1.0) {
                continue;
            }
            struct tl__lobs tmp;
            tl__station_obs(p, tl, k, &tmp);
            tl__metfield_path(mf, sol.x, sol.y, tmp.sx, tmp.sy, &tmp.temp_c, &tmp.we, &tmp.wn);
            double pred = tl__locate_predict(&tmp, &sol, sol.x, sol.y, sol.z, sol.t0);
            double v = d / fmax(pred - sol.t0, 1e-3);
            double g[3] = {dx / (d * v), dy / (d * v), 1.0};
            double var_loc = 0;
            for (int r1 = 0; r1 < 3; r1++) {
                for (int c1 = 0; c1 < 3; c1++) {
                    var_loc += g[r1] * sol.cov[r1][c1] * g[c1];
                }
            }
            double tol = 0.05 + 3.0 * sqrt(tl__path_var_s2(tl, d) + fmax(var_loc, 0.0));
            const struct tl__sta_index *x = &p->sx[tl->stations[k]];
            size_t lo = tl__sta_first_pick(p, x, pred - tol);
            long best = -1;
            double bd = tol;
            for (size_t i = lo; i < x->n_picks; i++) {
                double t = tl__pk_time_s(p, x->picks[i]);
                if (t > pred + tol) {
                    break;
                }
                if (p->pk[x->picks[i]].ev >= 0) {
                    continue;
                }
                if (fabs(t - pred) < bd) {
                    bd = fabs(t - pred);
                    best = (long)x->picks[i];
                }
            }
            if (best >= 0) {
                ks[e->n_picks] = (long)k;
                e->picks[e->n_picks++] = (size_t)best;
                added++;
            }
        }
        if (!added) {
            break;
        }
        e->x = sol.x;
        e->y = sol.y;
        e->t0_s = sol.t0;
        if ((rc = solve_event(p, e, mf, o, ks, e->n_picks, true, &sol)) != TL_OK) {
            goto done;
        }
    }
    /* The nominal fit decides: picks it rejects are let go, and the stations that fit
     * (robust weight kept, residual within 3 sigma of pick, path and met noise) count,
     * when the event fits as a whole (robust scale of its normalised residuals at most
     * MAX_SCALE).  Ghosts built from the picks of several sources fail this; real
     * sources with a bad pick or two pass. */
    size_t m = 0;
    int nfit = 0;
    for (size_t i = 0; i < e->n_picks; i++) {
        if (o[i].w >= 0.05) {
            nfit += o[i].w >= 0.5 && fabs(o[i].res_s) <= 3.0 * o[i].sigma_s;
            o[m] = o[i];
            ks[m] = ks[i];
            e->picks[m++] = e->picks[i];
        }
    }
    e->n_picks = m;
    e->n_fit_check = sol.scale <= MAX_SCALE ? nfit : 0;
    e->significance = significance(p, tl, o, ks, m, &sol, gate);
    e->check_rms_s = sol.rms_s;
    e->x = sol.x;
    e->y = sol.y;
    e->t0_s = sol.t0;
    if (gate && (e->n_fit_check < p->prm.min_stations || !(e->significance > TL__MIN_SIGNIFICANCE))) {
        goto done;
    }
    /* The published fit: the joint corrections free, for the best location and for a
     * covariance that carries the met uncertainty the geometry cannot remove. */
    if (m >= 3 && (rc = solve_event(p, e, mf, o, ks, m, false, &sol)) != TL_OK) {
        goto done;
    }
    e->x = sol.x;
    e->y = sol.y;
    e->z = sol.z;
    e->t0_s = sol.t0;
    memcpy(e->cov, sol.cov, sizeof(e->cov));
    e->chi2 = sol.chi2;
    e->dof = sol.dof;
    e->var_factor = sol.var_factor;
    e->dwind_e = sol.dwe;
    e->dwind_n = sol.dwn;
    e->dc = sol.dc;
    int nsta = 0, nb = 0;
    for (size_t i = 0; i < m; i++) {
        if (o[i].w >= 0.5 && fabs(o[i].res_s) <= 3.0 * o[i].sigma_s) {
            nsta++;
            nb += !isnan(o[i].res_baz_rad);
        }
    }
    e->pub.n_stations = nsta;
    e->pub.n_bearings = nb;
    e->pub.rms_s = sol.rms_s;
    /* published arrivals */
    tl_free(e->arr);
    e->arr = tl_calloc(m + 1, sizeof(*e->arr));
    if (!e->arr) {
        rc = TL_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < m; i++) {
        const struct tl__pk *q = &p->pk[e->picks[i]];
        struct tl_arrival *a = &e->arr[i];
        memcpy(a->station, tl_mission_station(p->m, (size_t)q->sta)->id, TL_STATION_ID_MAX);
        memcpy(a->pick_id, q->id, TL_ID_MAX);
        a->t_ns = q->t_ns;
        a->residual_s = o[i].res_s;
        a->weight = o[i].w;
        a->dist_m = o[i].dist_m;
        a->baz_residual_deg = o[i].res_baz_rad * 180.0 / M_PI; /* NAN stays NAN */
    }
    e->pub.arrivals = e->arr;
    e->pub.n_arrivals = m;
done:
    tl_free(o);
    tl_free(ks);
    tl_free(picks);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Publishing                                                                */
/* ------------------------------------------------------------------------ */

static double
norm_cdf(double z)
{
    return 0.5 * erfc(-z / M_SQRT2);
}

/* Azimuth (rad, frame) of local north at frame point (x, y). */
static double
frame_north(const struct tl__tile *tl, double x, double y, double z)
{
    double la, lo, h, q[3] = {x, y, z}, r[3];
    tl_enu_to_geo(&tl->frame, q, &la, &lo, &h);
    double la2, lo2;
    tl_geo_direct(la, lo, 0.0, 1000.0, &la2, &lo2);
    tl_enu_from_geo(&tl->frame, la2, lo2, h, r);
    return atan2(r[0] - x, r[1] - y);
}

/* Probability that the source is on the right of the line, within one basin of the fit. */
static double
p_right_local(const struct tl__tile *tl, const struct tl_mission *m, double x, double y,
              double z, const double *cov9, struct tl_line_pos *pos)
{
    double la, lo, h, q[3] = {x, y, z};
    tl_enu_to_geo(&tl->frame, q, &la, &lo, &h);
    tl_mission_line_pos(m, la, lo, pos);
    double nrm = (pos->line_azi_deg + 90.0) * M_PI / 180.0 + frame_north(tl, x, y, z);
    double nx = sin(nrm), ny = cos(nrm);
    /* cov9: the 3x3 covariance of x, y, t0, row major */
    double var = nx * nx * cov9[0] + 2 * nx * ny * cov9[1] + ny * ny * cov9[4];
    double sd = sqrt(fmax(var, 1e-6));
    return norm_cdf(pos->signed_dist_m / sd);
}

/* Largest eigenvalue of C^-1 J over m refit locations th with weights w (NULL: all 1),
 * J = f * sum w_i (th_i - ctr)(th_i - ctr)' / sum w_i about ctr (NULL: their weighted mean),
 * C = [a b; b c] with determinant det (C^-1 = [c -b; -b a] / det): half the trace plus the
 * root of that squared less the determinant, det J / det C. */
static double
scatter_ratio(double (*th)[2], const double *w, size_t m, double f, const double *ctr, double a,
              double b, double c, double det)
{
    double sw = 0, mx = 0, my = 0;
    for (size_t i = 0; i < m; i++) {
        double wi = w ? w[i] : 1.0;
        sw += wi;
        mx += wi * th[i][0];
        my += wi * th[i][1];
    }
    if (!(sw > 0.0)) {
        return 0.0;
    }
    if (ctr) {
        mx = ctr[0];
        my = ctr[1];
    } else {
        mx /= sw;
        my /= sw;
    }
    double jxx = 0, jxy = 0, jyy = 0;
    for (size_t i = 0; i < m; i++) {
        double wi = (w ? w[i] : 1.0) * f / sw;
        jxx += wi * tl__sq(th[i][0] - mx);
        jxy += wi * (th[i][0] - mx) * (th[i][1] - my);
        jyy += wi * tl__sq(th[i][1] - my);
    }
    double tr2 = (c * jxx - 2.0 * b * jxy + a * jyy) / det / 2.0;
    double dj = (jxx * jyy - jxy * jxy) / det;
    return tr2 + sqrt(fmax(tr2 * tr2 - dj, 0.0));
}

/* Buffers of one jackknife: the event's picks in a canonical order, and the refits. */
struct jk {
    struct tl_pipeline *p;
    const struct tl__ev *e;
    const struct tl__metfield *mf;
    struct tl__lobs *o;
    long *ks;
    size_t *sub;
    size_t *ord;   /* the event's picks by time, then station: what a subset is drawn from */
    bool *out;     /* picks left out of the current refit (indices into ord) */
    double (*th)[2];
    double *info;  /* each refit's information on (x, y, t0) relative to the full fit's */
    double det0;   /* determinant of the full fit's covariance before its variance factor */
    size_t m;      /* refits that converged */
};

/* Determinant of the (x, y, t0) covariance of a fit over its variance factor's cube: the
 * inverse of the information the picks hold on them. */
static double
info_det(const double (*cv)[3], double var_factor)
{
    double d = cv[0][0] * (cv[1][1] * cv[2][2] - cv[1][2] * cv[2][1]) -
               cv[0][1] * (cv[1][0] * cv[2][2] - cv[1][2] * cv[2][0]) +
               cv[0][2] * (cv[1][0] * cv[2][1] - cv[1][1] * cv[2][0]);
    return d / (var_factor * var_factor * var_factor);
}

/* Refit without the picks marked in jk->out; a converged location is added to jk->th. */
static void
refit_without(struct jk *jk)
{
    const struct tl_pipeline *p = jk->p;
    const struct tl__tile *tl = &p->tiles[jk->e->tile];
    struct tl__ev t = *jk->e;
    size_t q = 0;
    for (size_t j = 0; j < jk->e->n_picks; j++) {
        long k = tl__tile_k(tl, (size_t)p->pk[jk->ord[j]].sta);
        if (!jk->out[j] && k >= 0) {
            jk->ks[q] = k;
            jk->sub[q++] = jk->ord[j];
        }
    }
    t.picks = jk->sub;
    t.n_picks = q;
    struct tl__lsol s;
    if (q >= JK_MIN_PICKS && solve_event(jk->p, &t, jk->mf, jk->o, jk->ks, q, false, &s) == TL_OK) {
        double ds = info_det((const double (*)[3])s.cov, s.var_factor);
        jk->th[jk->m][0] = s.x;
        jk->th[jk->m][1] = s.y;
        jk->info[jk->m] = ds > 0.0 ? jk->det0 / ds : 0.0;
        jk->m++;
    }
}

/*
 * The chance that some pick of event e is another source's: at each of its stations, the
 * other picks within 2 s of its pick (the span of a salvo, whose rounds are the sources that
 * mix) give a rate, and a pick of another source could have been taken in had it fallen in
 * association's window there (assoc.c, votes_at); Poisson over the stations.  Isolated
 * events have none; in a barrage most events have a few.
 */
static double
foreign_pick_chance(const struct tl_pipeline *p, const struct tl__ev *e)
{
    const struct tl__tile *tl = &p->tiles[e->tile];
    double mu = 0.0;
    for (size_t i = 0; i < e->n_picks; i++) {
        const struct tl__pk *q = &p->pk[e->picks[i]];
        long k = tl__tile_k(tl, (size_t)q->sta);
        if (k < 0) {
            continue;
        }
        /* the window holds the event's own pick, at its centre */
        size_t others = picks_near(p, q->sta, tl__pk_time_s(p, e->picks[i]), SALVO_SPAN_S) - 1;
        double d = tl__hypot(tl->sta_xyz[k][0] - e->x, tl->sta_xyz[k][1] - e->y);
        double window_s = 2.0 * tl__assoc_window_s(tl, d);
        mu += (double)others / (2.0 * SALVO_SPAN_S) * window_s;
    }
    return 1.0 - exp(-mu);
}

/*
 * The covariance's scale, over the formal one, of the 95% region of the two states of
 * jackknife_inflate: clean with probability 1 - pf, the covariance scaled by r_info (at
 * least 1), and with another source's picks in with probability pf, scaled by r_equal (at
 * least 1).  The region of a scale mixture of Gaussians is a scaled ellipse whose
 * chi-square(2) tail mass, (1 - pf) exp(-k/2a) + pf exp(-k/2b), is 5% (bisection); a
 * single covariance of the mixture's average scale would cover less.
 */
static double
jackknife_mixture(double pf, double r_info, double r_equal)
{
    double sa = fmax(1.0, r_info), sb = fmax(1.0, r_equal);
    double lo = 5.991 * fmin(sa, sb), hi = 5.991 * fmax(sa, sb);
    for (int it = 0; it < 50; it++) {
        double k = 0.5 * (lo + hi);
        if ((1.0 - pf) * exp(-k / (2.0 * sa)) + pf * exp(-k / (2.0 * sb)) > 0.05) {
            lo = k;
        } else {
            hi = k;
        }
    }
    return 0.5 * (lo + hi) / 5.991;
}

/*
 * The covariance says how far the location may be off if the model of every pick's error
 * is right.  Where it is not - a pick of another source taken in, a path the met records
 * describe badly, a station with a clock error not yet found - the fit still looks tight,
 * and an ellipse, a side probability and a pairing built on it would claim too much.  The
 * jackknife asks the data instead (Efron & Stein 1981; its use for hypocentre errors:
 * Billings, Sambridge & Kennett 1994): refit with each pick left out in turn; the scatter
 * of those locations, (n-1)/n sum (x_i - x_mean)(x_i - x_mean)', estimates the
 * covariance without trusting the error model.
 *
 * Leaving one pick out cannot see two or three foreign picks that hold each other up (a
 * salvo's neighbouring rounds, 0.5-2 s apart, are the common case): each refit still has
 * the others.  The delete-d jackknife (Shao & Wu 1989, Ann. Statist. 17:1176) leaves out
 * d picks at a time, and its variance estimate (n-d)/(d N) sum over N subsets of
 * (x_s - x_mean)(x_s - x_mean)' holds for rougher estimators than the delete-1 one; with
 * d = n/2 many subsets drop most of a contaminating group, and their locations move (d is
 * at most n - JK_MIN_PICKS, so that every refit keeps enough picks).  N =
 * 3n subsets drawn at random (Shao & Tu 1995, The Jackknife and Bootstrap, ch. 2), from a
 * generator seeded by the picks' times and stations, so that the same event gets the same
 * subsets in every run whatever the order or index of its picks (batch and live runs
 * agree).  Events with fewer than JK_MIN_PICKS + 2 picks get the delete-1 estimate only.
 *
 * Each estimate is taken twice, for two states of the world (jackknife_mixture).  Where
 * no other source's pick can have been taken in, the error model holds, and subsets are
 * weighted by the information their picks hold on (x, y, t0) relative to all picks, about
 * the full fit (Wu 1986, Ann. Statist. 14:1261, with (r - k + 1)/d for subsets of r = n - d
 * picks and k = 3 unknowns): a subset that has lost the stations holding the location
 * scatters far by geometry alone, and with equal weights such subsets made the ellipses of
 * well-fitting events two to three times too wide (calm day: median Mahalanobis radius
 * 0.15 of the 95% one, against 0.48 for a calibrated ellipse).  Where picks of other
 * sources may be in, a subset that drops them is as likely the clean one however weak its
 * geometry, and the equal weights of Shao and Wu say so.  The covariance is scaled up so
 * that it covers J in every direction - never down - in each state, and the ellipse is the
 * 95% region of the two states mixed.
 */
static void
jackknife_inflate(struct tl_pipeline *p, struct tl__ev *e)
{
    size_t n = e->n_picks;
    if (n < 5) {
        return;
    }
    double a = e->cov[0][0], b = e->cov[0][1], c = e->cov[1][1], det = a * c - b * b;
    if (det <= 0.0) {
        return;
    }
    size_t n_sub = n >= JK_MIN_PICKS + 2 ? JK_SUBSETS_PER_PICK * n : 0;
    struct jk jk = {
        .p = p,
        .e = e,
        .mf = tl__metfield_get(p, e->tile, p->epoch_ns + (tl_time_ns)llround(e->t0_s * 1e9)),
        .o = tl_calloc(n, sizeof(*jk.o)),
        .ks = tl_calloc(n, sizeof(*jk.ks)),
        .sub = tl_calloc(n, sizeof(*jk.sub)),
        .ord = tl_calloc(n, sizeof(*jk.ord)),
        .out = tl_calloc(n, sizeof(*jk.out)),
        .th = tl_calloc(n + n_sub, sizeof(*jk.th)),
        .info = tl_calloc(n + n_sub, sizeof(*jk.info)),
        .det0 = info_det((const double (*)[3])e->cov, e->var_factor),
    };
    if (!jk.mf || !jk.o || !jk.ks || !jk.sub || !jk.ord || !jk.out || !jk.th || !jk.info) {
        goto done;
    }
    /* canonical order (insertion sort: tens of picks) and the seed it gives */
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < n; i++) {
        const struct tl__pk *x = &p->pk[e->picks[i]];
        size_t j = i;
        while (j > 0) {
            const struct tl__pk *w = &p->pk[jk.ord[j - 1]];
            if (w->t_ns < x->t_ns || (w->t_ns == x->t_ns && w->sta <= x->sta)) {
                break;
            }
            jk.ord[j] = jk.ord[j - 1];
            j--;
        }
        jk.ord[j] = e->picks[i];
    }
    for (size_t i = 0; i < n; i++) {
        const struct tl__pk *x = &p->pk[jk.ord[i]];
        seed = (seed ^ (uint64_t)x->t_ns ^ ((uint64_t)(uint32_t)x->sta << 40)) * 0x100000001b3u;
    }
    for (size_t i = 0; i < n; i++) {
        jk.out[i] = true;
        refit_without(&jk);
        jk.out[i] = false;
    }
    size_t m1 = jk.m;
    const double full[2] = {e->x, e->y};
    double nd = (double)n, r_equal = 0.0, r_info = 0.0;
    if (m1 >= 5) {
        r_equal = scatter_ratio(jk.th, NULL, m1, (double)(m1 - 1), NULL, a, b, c, det);
        r_info = scatter_ratio(jk.th, jk.info, m1, nd - 3.0, full, a, b, c, det);
    }
    size_t d = n / 2 < n - JK_MIN_PICKS ? n / 2 : n - JK_MIN_PICKS;
    for (size_t s = 0; s < n_sub; s++) {
        memset(jk.out, 0, n * sizeof(*jk.out));
        for (size_t left = 0; left < d;) {
            seed ^= seed << 13; /* xorshift64 (Marsaglia 2003) */
            seed ^= seed >> 7;
            seed ^= seed << 17;
            size_t j = (size_t)(seed % n);
            if (!jk.out[j]) {
                jk.out[j] = true;
                left++;
            }
        }
        refit_without(&jk);
    }
    size_t md = jk.m - m1;
    if (md >= 5) {
        double dd = (double)d;
        r_equal = fmax(r_equal, scatter_ratio(jk.th + m1, NULL, md, (nd - dd) / dd, NULL, a, b, c, det));
        r_info = fmax(r_info, scatter_ratio(jk.th + m1, jk.info + m1, md, (nd - dd - 2.0) / dd, full,
                                            a, b, c, det));
    }
    double ratio = jackknife_mixture(foreign_pick_chance(p, e), r_info, r_equal);
    if (ratio > 1.0) {
        for (int r = 0; r < 3; r++) {
            for (int k = 0; k < 3; k++) {
                e->cov[r][k] *= ratio;
            }
        }
    }
done:
    tl_free(jk.o);
    tl_free(jk.ks);
    tl_free(jk.sub);
    tl_free(jk.ord);
    tl_free(jk.out);
    tl_free(jk.th);
    tl_free(jk.info);
}

void
tl__event_publish_geo(struct tl_pipeline *p, struct tl__ev *e)
{
    const struct tl__tile *tl = &p->tiles[e->tile];
    struct tl_event *pub = &e->pub;
    if (!e->dead) {
        jackknife_inflate(p, e);
    }
    double q[3] = {e->x, e->y, e->z}, h;
    tl_enu_to_geo(&tl->frame, q, &pub->lat_deg, &pub->lon_deg, &h);
    pub->t_ns = p->epoch_ns + (tl_time_ns)llround(e->t0_s * 1e9);
    pub->time_sigma_s = sqrt(fmax(e->cov[2][2], 0.0));
    /* 95% ellipse: eigen-decomposition of the 2x2 covariance; with an estimated variance
     * factor the quantile is the F(2, dof) one, else chi-square(2) = 5.991 */
    double a = e->cov[0][0], b = e->cov[0][1], c = e->cov[1][1];
    double tr = a + c, det = a * c - b * b;
    double disc = sqrt(fmax(tr * tr / 4.0 - det, 0.0));
    double l1 = tr / 2.0 + disc, l2 = fmax(tr / 2.0 - disc, 0.0);
    double k2 = 5.991;
    if (e->dof > 2.0) {
        double nu = e->dof;
        k2 = fmax(5.991, nu * (pow(0.05, -2.0 / nu) - 1.0));
    }
    pub->ell_major_m = sqrt(k2 * l1);
    pub->ell_minor_m = sqrt(k2 * l2);
    /* major axis: eigenvector (b, l1 - a) in (east, north), azimuth atan2(east, north) */
    double ang = fabs(b) < 1e-12 ? (a >= c ? M_PI / 2.0 : 0.0) : atan2(b, l1 - a);
    double az = (ang - frame_north(tl, e->x, e->y, e->z)) * 180.0 / M_PI;
    az = fmod(az, 180.0);
    if (az < 0) {
        az += 180.0;
    }
    pub->ell_azimuth_deg = az;

    /* side: two hypotheses weighed by their evidence */
    struct tl_line_pos pos;
    double pr = p_right_local(tl, p->m, e->x, e->y, e->z, &e->cov[0][0], &pos);
    pub->dist_to_line_m = pos.dist_m;
    double p_alt = 0.0, pr_alt = 0.0;
    if (e->n_picks >= 3 && pos.dist_m > 1.0) {
        const struct tl__metfield *mfp = tl__metfield_get(p, e->tile, pub->t_ns);
        if (mfp) {
            struct tl__lobs *o = tl_calloc(e->n_picks, sizeof(*o));
            long *ks = tl_calloc(e->n_picks, sizeof(*ks));
            if (o && ks) {
                for (size_t i = 0; i < e->n_picks; i++) {
                    ks[i] = tl__tile_k(tl, (size_t)p->pk[e->picks[i]].sta);
                }
                struct tl__lsol main_sol, alt;
                struct tl__ev mirror = *e;
                /* the main fit again, to get its scale and cost with these observations */
                solve_event(p, e, mfp, o, ks, e->n_picks, false, &main_sol);
                double nrm = (pos.line_azi_deg + 90.0) * M_PI / 180.0 +
                             frame_north(tl, e->x, e->y, e->z);
                mirror.x = e->x - 2.0 * pos.signed_dist_m * sin(nrm);
                mirror.y = e->y - 2.0 * pos.signed_dist_m * cos(nrm);
                struct tl__lprm lp;
                priors(p, tl, mfp, &lp);
                double c_main = tl__locate_cost(o, e->n_picks, &lp, &main_sol, main_sol.scale);
                if (solve_event(p, &mirror, mfp, o, ks, e->n_picks, false, &alt) == TL_OK) {
                    struct tl_line_pos apos;
                    double pra = p_right_local(tl, p->m, alt.x, alt.y, alt.z, &alt.cov[0][0], &apos);
                    if (apos.side != pos.side && apos.side != TL_SIDE_AMBIGUOUS) {
                        double c_alt = tl__locate_cost(o, e->n_picks, &lp, &alt, main_sol.scale);
                        double dm = main_sol.cov[0][0] * main_sol.cov[1][1] -
                                    tl__sq(main_sol.cov[0][1]);
                        double da = alt.cov[0][0] * alt.cov[1][1] - tl__sq(alt.cov[0][1]);
                        /* Laplace: evidence ~ exp(-cost) * sqrt(det cov) */
                        double lr = -(c_alt - c_main) + 0.5 * log(fmax(da, 1e-12) /
                                                                   fmax(dm, 1e-12));
                        p_alt = 1.0 / (1.0 + exp(-lr));
                        pr_alt = pra;
                    }
                }
            }
            tl_free(o);
            tl_free(ks);
        }
    }
    double p_right = (1.0 - p_alt) * pr + p_alt * pr_alt;
    pub->likely_side = p_right >= 0.5 ? TL_SIDE_RIGHT : TL_SIDE_LEFT;
    pub->side_p = p_right >= 0.5 ? p_right : 1.0 - p_right;
    pub->side = pub->side_p >= p->prm.side_threshold ? pub->likely_side : TL_SIDE_AMBIGUOUS;
    /* zones and place */
    pub->n_zones = 0;
    for (size_t z = 0; z < tl_mission_zone_count(p->m) && pub->n_zones < TL_MAX_EVENT_ZONES; z++) {
        if (tl_mission_in_zone(p->m, z, pub->lat_deg, pub->lon_deg)) {
            pub->zones[pub->n_zones++] = z;
        }
    }
    tl_mission_describe(p->m, pub->lat_deg, pub->lon_deg, pub->place, sizeof(pub->place));
}
