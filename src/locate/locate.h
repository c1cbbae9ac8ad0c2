/*
 * locate.h - the robust locator (internal).
 *
 * Solves for a source's position and origin time from arrival times (and array
 * bearings), together with a joint correction of the wind and of the sound
 * speed common to all paths, each held near zero by a prior whose width is the
 * uncertainty of the met model.  See locate.c for the model and the method.
 */
#ifndef TL_LOCATE_H
#define TL_LOCATE_H

#include "../pipeline/pipeline_priv.h"

#include <string.h>

/* Significance an event needs (log units, event.c): chance alignments this good should be
 * rarer than 1 in e^8 = 3000 searches; set with noise-only input (tests). */
#define TL__MIN_SIGNIFICANCE 8.0

/* One observation: an arrival at a station, optionally with a bearing. */
struct tl__lobs {
    double sx, sy, sz;        /* station position in the tile frame (m) */
    double t_s;               /* arrival time, seconds from the pipeline epoch, clock-corrected */
    double sigma_s;           /* 1-sigma of the arrival time (pick and model noise) */
    double baz_rad;           /* observed back azimuth in the frame (rad), NAN if none */
    double baz_sigma_rad;
    double temp_c, we, wn;    /* met along the path (set by the solver from the field) */
    double scale;             /* station weight scale (QC), 1 normally */
    double gain;              /* downward refraction (tl_pipeline_params.downwind_gain) */
    /* outputs */
    double w;                 /* robust weight of the time in the final fit */
    double res_s;             /* time residual */
    double res_baz_rad;       /* bearing residual (NAN if none) */
    double dist_m;
};

/* An observation at tile station k, for pipeline p, with nothing measured yet: the station's
 * place in the tile frame and the model's downward refraction; the rest zero. */
static inline void
tl__station_obs(const struct tl_pipeline *p, const struct tl__tile *tl, size_t k,
                struct tl__lobs *o)
{
    memset(o, 0, sizeof(*o));
    o->sx = tl->sta_xyz[k][0];
    o->sy = tl->sta_xyz[k][1];
    o->sz = tl->sta_xyz[k][2];
    o->gain = p->prm.downwind_gain;
}

struct tl__lprm {
    double sigma_wind_mps;    /* prior 1-sigma of each wind-correction component */
    double sigma_speed_mps;   /* prior 1-sigma of the speed correction (temperature) */
    double mean_dwe, mean_dwn, mean_dc; /* prior means of the corrections */
    int max_iter;
    bool fix_xy;              /* only solve for t0 and the corrections (used for checks) */
};

struct tl__lsol {
    double x, y, z, t0;       /* in: start; out: solution */
    double dwe, dwn, dc;      /* joint corrections */
    double cov[3][3];         /* x, y, t0, scaled, marginal over the corrections */
    double chi2;              /* robust misfit (sum of rho of normalized residuals) */
    double var_factor;        /* a posteriori variance factor (>= 1) */
    double dof;
    int n_used;               /* observations with weight > 0.5 */
    int n_stations;           /* distinct stations with weight > 0.5 */
    int n_bearings;
    double rms_s;             /* weighted RMS time residual */
    double scale;             /* in: robust scale to use (0: estimate); out: the scale used */
    bool ok;
};

/* Tukey cost of a solution at a fixed robust scale (to compare two solutions). */
double tl__locate_cost(struct tl__lobs *o, size_t n, const struct tl__lprm *prm,
                       const struct tl__lsol *sol, double scale);

/* Solve.  `mf` gives the met along each path; obs[].temp_c/we/wn are refreshed from it. */
int tl__locate_solve(struct tl__lobs *o, size_t n, const struct tl__lprm *prm,
                     const struct tl__metfield *mf, struct tl__lsol *sol);

/* Predicted arrival time (s from epoch) of a source at (x, y, z, t0) at observation o,
 * with the corrections of `sol`. */
double tl__locate_predict(const struct tl__lobs *o, const struct tl__lsol *sol, double x,
                          double y, double z, double t0);

/* Robust loss used for chi2: Tukey biweight with c = 4.685 on u = r / sigma. */
double tl__tukey_rho(double u);

#endif
