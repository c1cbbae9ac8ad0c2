/*
 * locate.c - robust location of an acoustic source with a joint met correction.
 *
 * Model (research/acoustics.md sections 3-4).  A source at (x, y, z) fires at
 * t0; station i at s_i hears it at
 *
 *     t_i = t0 + d_i / v_i,   v_i = c(T_i) + dc + u_i (1 + g [u_i > 0]),
 *                             u_i = (W_i + dW) . n_i
 *
 * where d_i is the straight-line distance, n_i the horizontal unit vector from
 * source to station, c(T) = 20.05 sqrt(T_K) the speed of sound at the path's
 * mean temperature T_i, W_i the path's mean wind from the met records, and
 * (dW, dc) a correction of wind and speed common to every path of this event.
 * The corrections carry Gaussian priors of the met model's uncertainty: where
 * met records are good the priors pin them near zero, where records are
 * missing or wrong and the geometry resolves them (stations on several sides)
 * the data move them.  Marginalising over them widens the location covariance
 * by exactly the met uncertainty the geometry cannot remove: the main term of
 * the error budget at 10-20 km (acoustics.md section 8.1).
 *
 * Downward refraction (acoustics.md section 3.3): the wind grows with height (a
 * logarithmic profile over open country: at 50-150 m 1.3-1.6 times the 10 m wind
 * a met mast reports; Stull, "An Introduction to Boundary Layer Meteorology",
 * 1988, ch. 9), so downwind the rays bend down through faster air and the
 * sound arrives earlier than the surface wind along the path says; upwind they
 * bend up and the first arrival keeps to the ground.  Where the wind blows from
 * source to station (u_i > 0) the path gains g times it (g: the pipeline's
 * downwind_gain, 0.3 by default).  No joint correction, linear in the
 * direction, can take up this kink; a misfit it left made true events fail
 * the fit in strong wind.
 *
 * Array bearings: the array measures the wavefront normal, not the ray.  With
 * wind, c k + W = v n, so the sound seems to come from m = (W - v n) / c, which
 * differs from the geometric back azimuth by about the crosswind over c; the
 * model predicts m, so bearings are not biased by crosswind refraction.
 *
 * Method: Gauss-Newton with Levenberg-Marquardt damping on the six parameters
 * (x, y, t0, dWe, dWn, dc), iteratively reweighted: Huber weights (k = 1.5)
 * for the first iterations from a rough start, then Tukey's biweight (c =
 * 4.685) which gives zero weight to late echoes and wrong associations.  The
 * residuals are normalised by each pick's sigma and by a robust scale (1.4826 x
 * the median absolute normalised residual, never below 1).  Tukey's phase
 * ends when the full step would move the solution by less than 0.3% of its
 * standard error (the Newton decrement, Boyd & Vandenberghe, "Convex Optimization",
 * 2004, section 9.5.1): a test on the step's size in metres would go on
 * iterating, and on rejecting steps the cost's rounding cannot tell apart, long
 * after the location has stopped moving at any scale that matters.
 *
 * Covariance: the inverse of the weighted normal matrix with the priors,
 * scaled by the a posteriori variance factor (chi^2 / dof, never below 1), so
 * that an event whose residuals exceed the pick uncertainties gets a
 * correspondingly larger ellipse.  Thread-safe (no shared state).
 */
#include "locate.h"

#include <math.h>
#include <string.h>

#define NP            6
#define HUBER_ITERS   6     /* from a rough start */
#define CONVERGED_DEC 1e-5  /* a step of 0.3% of the standard error */
#define LAMBDA_MIN    1e-7
#define HUBER_K       1.5
#define TUKEY_C       4.685
#define BAZ_FLOOR     (1.0 * M_PI / 180.0)

double
tl__tukey_rho(double u)
{
    double a = u / TUKEY_C;
    if (fabs(a) >= 1.0) {
        return TUKEY_C * TUKEY_C / 6.0;
    }
    double b = 1.0 - a * a;
    return TUKEY_C * TUKEY_C / 6.0 * (1.0 - b * b * b);
}

static double
huber_w(double u)
{
    double a = fabs(u);
    return a <= HUBER_K ? 1.0 : HUBER_K / a;
}

static double
tukey_w(double u)
{
    double a = u / TUKEY_C;
    if (fabs(a) >= 1.0) {
        return 0.0;
    }
    double b = 1.0 - a * a;
    return b * b;
}

/* Geometry and speed of one path for the current parameters. */
struct path {
    double d, rho, nx, ny, v, c;
    double dvdw; /* d v / d (wind along the path): 1, or 1 + gain downwind */
};

static void
path_eval(const struct tl__lobs *o, const double *q, double z, struct path *pp)
{
    double dx = o->sx - q[0], dy = o->sy - q[1], dz = o->sz - z;
    pp->rho = tl__hypot(dx, dy);
    pp->d = sqrt(pp->rho * pp->rho + dz * dz);
    if (pp->rho > 1e-6) {
        pp->nx = dx / pp->rho;
        pp->ny = dy / pp->rho;
    } else {
        pp->nx = pp->ny = 0.0;
    }
    pp->c = tl_sound_speed_mps(o->temp_c);
    double wpar = (o->we + q[3]) * pp->nx + (o->wn + q[4]) * pp->ny;
    pp->dvdw = wpar > 0.0 ? 1.0 + o->gain : 1.0;
    pp->v = pp->c + q[5] + wpar * pp->dvdw;
    if (pp->v < 200.0) {
        pp->v = 200.0; /* a degenerate parameter state must not divide by ~0 */
    }
}

/* Predicted back azimuth (frame) of the wavefront arriving at o. */
static double
baz_pred(const struct tl__lobs *o, const double *q, const struct path *pp)
{
    double wx = o->we + q[3], wy = o->wn + q[4];
    double mx = (wx - pp->v * pp->nx) / pp->c, my = (wy - pp->v * pp->ny) / pp->c;
    return atan2(mx, my);
}

double
tl__locate_predict(const struct tl__lobs *o, const struct tl__lsol *sol, double x, double y,
                   double z, double t0)
{
    double q[NP] = {x, y, t0, sol->dwe, sol->dwn, sol->dc};
    struct path pp;
    path_eval(o, q, z, &pp);
    return t0 + pp.d / pp.v;
}

/* Cholesky factor of the symmetric positive definite A (n <= NP): the lower
 * triangle L with A = L L', and the reciprocals of its diagonal, so that the
 * solves below multiply rather than divide.  False if A is not positive
 * definite. */
static bool
cholesky(double a[NP][NP], double l[NP][NP], double *inv_diag, int n)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j <= i; j++) {
            double s = a[i][j];
            for (int k = 0; k < j; k++) {
                s -= l[i][k] * l[j][k];
            }
            if (i == j) {
                if (!(s > 1e-300)) {
                    return false;
                }
                l[i][i] = sqrt(s);
                inv_diag[i] = 1.0 / l[i][i];
            } else {
                l[i][j] = s * inv_diag[j];
            }
        }
    }
    return true;
}

/* Solve L L' x = b with the factor of cholesky(). */
static void
cholesky_apply(double l[NP][NP], const double *inv_diag, const double *b, double *x, int n)
{
    double y[NP];
    for (int i = 0; i < n; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++) {
            s -= l[i][k] * y[k];
        }
        y[i] = s * inv_diag[i];
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = y[i];
        for (int k = i + 1; k < n; k++) {
            s -= l[k][i] * x[k];
        }
        x[i] = s * inv_diag[i];
    }
}

static bool
cholesky_solve(double a[NP][NP], const double *b, double *x, int n)
{
    double l[NP][NP], inv_diag[NP];
    if (!cholesky(a, l, inv_diag, n)) {
        return false;
    }
    cholesky_apply(l, inv_diag, b, x, n);
    return true;
}

static bool
invert(double a[NP][NP], double inv[NP][NP], int n)
{
    double l[NP][NP], inv_diag[NP];
    if (!cholesky(a, l, inv_diag, n)) {
        return false;
    }
    for (int c = 0; c < n; c++) {
        double e[NP] = {0}, col[NP];
        e[c] = 1.0;
        cholesky_apply(l, inv_diag, e, col, n);
        for (int r = 0; r < n; r++) {
            inv[r][c] = col[r];
        }
    }
    return true;
}

static void
refresh_met(struct tl__lobs *o, size_t n, const struct tl__metfield *mf, double x, double y)
{
    for (size_t i = 0; i < n; i++) {
        tl__metfield_path(mf, x, y, o[i].sx, o[i].sy, &o[i].temp_c, &o[i].we, &o[i].wn);
    }
}

/* Robust scale of the normalised time residuals (>= 1). */
static double
robust_scale(const struct tl__lobs *o, size_t n, const double *q, double z)
{
    double u[256];
    size_t m = 0;
    for (size_t i = 0; i < n && m < 256; i++) {
        struct path pp;
        path_eval(&o[i], q, z, &pp);
        u[m++] = fabs(o[i].t_s - (q[2] + pp.d / pp.v)) / o[i].sigma_s;
    }
    /* median by partial selection sort (m is small) */
    for (size_t i = 0; i <= m / 2; i++) {
        size_t k = i;
        for (size_t j = i + 1; j < m; j++) {
            if (u[j] < u[k]) {
                k = j;
            }
        }
        double t = u[i];
        u[i] = u[k];
        u[k] = t;
    }
    double med = m ? u[m / 2] : 0.0;
    return fmax(1.0, 1.4826 * med);
}

/* Cost, normal matrix and gradient at q.  `tukey` picks the weight function. */
static double
build(struct tl__lobs *o, size_t n, const double *q, double z, const struct tl__lprm *prm,
      bool tukey, double scale, double a[NP][NP], double *g)
{
    memset(a, 0, sizeof(double) * NP * NP);
    memset(g, 0, sizeof(double) * NP);
    double cost = 0;
    for (size_t i = 0; i < n; i++) {
        struct path pp;
        path_eval(&o[i], q, z, &pp);
        double r = o[i].t_s - (q[2] + pp.d / pp.v);
        double u = r / (o[i].sigma_s * scale);
        double w = (tukey ? tukey_w(u) : huber_w(u)) * o[i].scale;
        cost += (tukey ? tl__tukey_rho(u) : (fabs(u) <= HUBER_K ? 0.5 * u * u
                                                                  : HUBER_K * (fabs(u) - 0.5 * HUBER_K))) *
                o[i].scale;
        o[i].w = w;
        o[i].res_s = r;
        o[i].dist_m = pp.d;
        /* Jacobian of the predicted time */
        double jv[NP];
        double wx = o[i].we + q[3], wy = o[i].wn + q[4];
        double dvdx = 0, dvdy = 0;
        if (pp.rho > 1.0) {
            double dnx_dx = -pp.ny * pp.ny / pp.rho, dny_dx = pp.nx * pp.ny / pp.rho;
            double dnx_dy = pp.nx * pp.ny / pp.rho, dny_dy = -pp.nx * pp.nx / pp.rho;
            dvdx = (wx * dnx_dx + wy * dny_dx) * pp.dvdw;
            dvdy = (wx * dnx_dy + wy * dny_dy) * pp.dvdw;
        }
        double inv_v = 1.0 / pp.v, dv2 = pp.d * inv_v * inv_v;
        jv[0] = (pp.d > 1e-6 ? (q[0] - o[i].sx) / pp.d * inv_v : 0.0) - dv2 * dvdx;
        jv[1] = (pp.d > 1e-6 ? (q[1] - o[i].sy) / pp.d * inv_v : 0.0) - dv2 * dvdy;
        jv[2] = 1.0;
        jv[3] = -dv2 * pp.nx * pp.dvdw;
        jv[4] = -dv2 * pp.ny * pp.dvdw;
        jv[5] = -dv2;
        /* a pick the weights reject (w = 0) would add exact zeros: skipped */
        double wi = w / tl__sq(o[i].sigma_s * scale);
        for (int r1 = 0; r1 < NP && w != 0.0; r1++) {
            g[r1] += wi * jv[r1] * r;
            for (int c1 = 0; c1 <= r1; c1++) {
                a[r1][c1] += wi * jv[r1] * jv[c1];
            }
        }
        /* bearing */
        if (!isnan(o[i].baz_rad) && pp.rho > 1.0) {
            double rb = tl__wrap_pi(o[i].baz_rad - baz_pred(&o[i], q, &pp));
            double sb = fmax(o[i].baz_sigma_rad, BAZ_FLOOR);
            double ub = rb / sb;
            double wb = tukey ? tukey_w(ub) : huber_w(ub);
            o[i].res_baz_rad = rb;
            cost += tukey ? tl__tukey_rho(ub)
                          : (fabs(ub) <= HUBER_K ? 0.5 * ub * ub : HUBER_K * (fabs(ub) - 0.5 * HUBER_K));
            /* geometric azimuth from the station towards the source */
            double jb[NP] = {0};
            double ex = q[0] - o[i].sx, ny = q[1] - o[i].sy, r2 = ex * ex + ny * ny;
            jb[0] = ny / r2;
            jb[1] = -ex / r2;
            double wbi = wb / (sb * sb);
            for (int r1 = 0; r1 < 2; r1++) {
                g[r1] += wbi * jb[r1] * rb;
                for (int c1 = 0; c1 <= r1; c1++) {
                    a[r1][c1] += wbi * jb[r1] * jb[c1];
                }
            }
        } else {
            o[i].res_baz_rad = NAN;
        }
    }
    /* priors on the corrections */
    double pw = 1.0 / tl__sq(prm->sigma_wind_mps), pc = 1.0 / tl__sq(prm->sigma_speed_mps);
    double d3 = q[3] - prm->mean_dwe, d4 = q[4] - prm->mean_dwn, d5 = q[5] - prm->mean_dc;
    a[3][3] += pw;
    a[4][4] += pw;
    a[5][5] += pc;
    g[3] -= pw * d3;
    g[4] -= pw * d4;
    g[5] -= pc * d5;
    cost += 0.5 * (pw * (d3 * d3 + d4 * d4) + pc * d5 * d5);
    for (int r1 = 0; r1 < NP; r1++) {
        for (int c1 = r1 + 1; c1 < NP; c1++) {
            a[r1][c1] = a[c1][r1];
        }
    }
    return cost;
}

double
tl__locate_cost(struct tl__lobs *o, size_t n, const struct tl__lprm *prm,
                const struct tl__lsol *sol, double scale)
{
    double q[NP] = {sol->x, sol->y, sol->t0, sol->dwe, sol->dwn, sol->dc};
    double a[NP][NP], g[NP];
    return build(o, n, q, sol->z, prm, true, scale, a, g);
}

int
tl__locate_solve(struct tl__lobs *o, size_t n, const struct tl__lprm *prm,
                 const struct tl__metfield *mf, struct tl__lsol *sol)
{
    double q[NP] = {sol->x, sol->y, sol->t0, sol->dwe, sol->dwn, sol->dc};
    double z = sol->z;
    double met_x = q[0], met_y = q[1];
    if (mf) {
        refresh_met(o, n, mf, q[0], q[1]);
    }
    double lambda = 1e-3;
    int max_iter = prm->max_iter > 0 ? prm->max_iter : 40;
    double a[NP][NP], g[NP];
    double scale = sol->scale > 0 ? sol->scale : robust_scale(o, n, q, z);
    bool tukey = false;
    double cost = build(o, n, q, z, prm, tukey, scale, a, g);
    bool at_q = true; /* the last build was at q: o[] holds q's weights and residuals */
    int np = prm->fix_xy ? 4 : NP; /* with fixed x, y: t0, dWe, dWn, dc */
    bool fresh = true; /* a and g are new since the last convergence test */
    for (int it = 0; it < max_iter; it++) {
        if (it == HUBER_ITERS) {
            tukey = true;
            if (!(sol->scale > 0)) {
                scale = robust_scale(o, n, q, z);
            }
            cost = build(o, n, q, z, prm, tukey, scale, a, g);
            at_q = true;
            fresh = true;
        }
        /* the system on the free parameters */
        double as[NP][NP], gs[NP], dx[NP] = {0};
        int map[NP], k = 0;
        for (int i = 0; i < NP; i++) {
            if (!(prm->fix_xy && i < 2)) {
                map[k++] = i;
            }
        }
        for (int i = 0; i < np; i++) {
            gs[i] = g[map[i]];
            for (int j = 0; j < np; j++) {
                as[i][j] = a[map[i]][map[j]];
            }
        }
        /* Converged when the full Gauss-Newton step would move the solution by
         * a small fraction of its standard error: the step's squared length in
         * the metric of the normal matrix (the Newton decrement g' A^-1 g, about
         * twice the cost still to gain) under CONVERGED_DEC.  Tested again only
         * once a step has been taken. */
        double step[NP];
        bool have_step = false;
        if (tukey && fresh) {
            fresh = false;
            if (cholesky_solve(as, gs, step, np)) {
                double dec = 0.0;
                for (int i = 0; i < np; i++) {
                    dec += gs[i] * step[i];
                }
                if (dec < CONVERGED_DEC) {
                    break;
                }
                /* at the damping's floor this is the damped step to 1 part in 1e7 */
                have_step = lambda <= LAMBDA_MIN;
            }
        }
        if (!have_step) {
            for (int i = 0; i < np; i++) {
                as[i][i] *= 1.0 + lambda;
            }
            if (!cholesky_solve(as, gs, step, np)) {
                lambda *= 10.0;
                if (lambda > 1e8) {
                    break;
                }
                continue;
            }
        }
        for (int i = 0; i < np; i++) {
            dx[map[i]] = step[i];
        }
        /* keep steps sane: at most 5 km and 10 m/s per iteration */
        double hs = tl__hypot(dx[0], dx[1]);
        if (hs > 5000.0) {
            for (int i = 0; i < NP; i++) {
                dx[i] *= 5000.0 / hs;
            }
        }
        double qn[NP];
        for (int i = 0; i < NP; i++) {
            qn[i] = q[i] + dx[i];
        }
        for (int i = 3; i < NP; i++) {
            qn[i] = fmax(-TL__CORR_MAX_MPS, fmin(TL__CORR_MAX_MPS, qn[i]));
        }
        double an[NP][NP], gn[NP];
        double cn = build(o, n, qn, z, prm, tukey, scale, an, gn);
        at_q = cn <= cost;
        if (at_q) {
            memcpy(q, qn, sizeof(q));
            memcpy(a, an, sizeof(a));
            memcpy(g, gn, sizeof(g));
            cost = cn;
            fresh = true;
            lambda = fmax(lambda * 0.3, LAMBDA_MIN);
            if (mf && tl__hypot(q[0] - met_x, q[1] - met_y) > 300.0) {
                met_x = q[0];
                met_y = q[1];
                refresh_met(o, n, mf, q[0], q[1]);
                cost = build(o, n, q, z, prm, tukey, scale, a, g);
                continue;
            }
        } else {
            lambda *= 10.0;
            if (lambda > 1e8) {
                break;
            }
        }
    }
    /* final weights, statistics and covariance at the solution */
    if (!(at_q && tukey)) {
        tukey = true;
        cost = build(o, n, q, z, prm, tukey, scale, a, g);
    }
    double chi = 0, wsum = 0, rsum = 0;
    int used = 0, nb = 0;
    for (size_t i = 0; i < n; i++) {
        if (o[i].w > 0.5) {
            used++;
        }
        if (o[i].w > 0) {
            chi += o[i].w * tl__sq(o[i].res_s / o[i].sigma_s);
            wsum += o[i].w;
            rsum += o[i].w * o[i].res_s * o[i].res_s;
        }
        if (!isnan(o[i].res_baz_rad)) {
            nb++;
        }
    }
    double dof = wsum - 3.0;
    sol->var_factor = dof > 0.5 ? fmax(1.0, chi / dof) : 1.0;
    sol->dof = dof;
    double inv[NP][NP];
    sol->ok = invert(a, inv, NP);
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            sol->cov[i][j] = sol->ok ? inv[i][j] * sol->var_factor : 0.0;
        }
    }
    sol->x = q[0];
    sol->y = q[1];
    sol->t0 = q[2];
    sol->dwe = q[3];
    sol->dwn = q[4];
    sol->dc = q[5];
    sol->chi2 = cost;
    sol->scale = scale;
    sol->n_used = used;
    sol->n_bearings = nb;
    sol->rms_s = wsum > 0 ? sqrt(rsum / wsum) : 0.0;
    /* distinct stations among the used observations are counted by the caller */
    sol->n_stations = used;
    return sol->ok ? TL_OK : TL_ERANGE;
}
