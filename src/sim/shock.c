/*
 * shock.c - the ballistic shock cue: the N-wave of a supersonic shell or
 * rocket passing near a station.
 *
 * A projectile faster than sound trails a Mach cone; its N-wave reaches a
 * point from the stretch of trajectory where the ray leaves at the Mach angle,
 * which is where the arrival time t_emit + |P(t_emit) - S| / c is stationary
 * (Fermat).  We fly the round's actual trajectory (ballistics.c, the charge
 * and elevation it was fired with, stretched to land where it landed), find
 * every interior minimum of that arrival time along it, and keep those where
 * the projectile is supersonic relative both to the air it is in and to the
 * air at the ground (below that "Mach cutoff" the cone does not reach the
 * ground, as with sonic booms).  Such a station hears the crack before the
 * blast: under the early trajectory near the gun, and under the falling shell
 * near the impact (research section 2.4).
 *
 * Amplitude and duration follow Whitham (1952) as used for bullets by
 * Stoughton (JASA 102(2), 1997) and Sallai et al. [S7]:
 *   dp = 0.53 p0 (M^2 - 1)^(1/8) d / (b^(3/4) l^(1/4)),
 *   T  = 1.82 M b^(1/4) d / (c (M^2 - 1)^(3/8) l^(1/4)),
 * with d the calibre, l the projectile's length, b the miss distance: about
 * 57 Pa and 6.5 ms at 1 km for a 152 mm shell at Mach 2 (research section
 * 2.1 finds 4-6.5 ms), doubled by reflection off the ground.  Turbulence
 * rounds and scatters N-waves over long oblique paths, so a shock cue is
 * recognised with a probability falling as exp(-b / 3 km), and its SNR is
 * taken against the high-frequency noise (a third of the band noise: wind
 * noise is low-frequency).  The pick is sharp (0.5-2 ms), short (dur_s = T),
 * high in frequency (1/T) and, at an array, comes from the emission point,
 * not from the gun.  It is mapped in truth to the launch, phase "shock".
 */
#include "sim_priv.h"

#include "../physics/ballistics.h"

#include <string.h>

#define SHOCK_MAX_LATERAL_M 6000.0
#define TRAJ_CAP            4096

struct proj {
    double diam_m, len_m;
};

static struct proj
projectile(enum tl_weapon w)
{
    struct proj p = {0.152, 0.70};
    if (w == TL_WEAPON_HOWITZER_122) {
        p.diam_m = 0.122;
        p.len_m = 0.56;
    } else if (w == TL_WEAPON_MLRS_122) {
        p.diam_m = 0.122;
        p.len_m = 2.87;
    }
    return p;
}

/* The shock cues of launch e; picks are added to `mut` (the simulation being
 * built) and, with `all`, every N-wave reaching a station is recorded. */
static int
shock(const struct tl_sim *s, struct rng *r, size_t e, struct tl_sim *mut,
      struct tl__arrivals *all)
{
    static _Thread_local struct tl__traj_pt pts[TRAJ_CAP];
    const struct tl_sim_event *ev = &s->ev[e];
    const struct ev_int *ei = &s->evi[e];
    /* The gun-target axis in the ENU frame. */
    double ax = ei->land_p[0] - ei->p[0], ay = ei->land_p[1] - ei->p[1];
    double range = hypot(ax, ay);
    if (range < 100.0 || ev->charge < 0) {
        return TL_OK;
    }
    double ux = ax / range, uy = ay / range;
    /* Any station near enough to the axis at all? */
    bool any = false;
    for (size_t k = 0; k < s->ns && !any; k++) {
        double dx = s->st[k].p[0] - ei->p[0], dy = s->st[k].p[1] - ei->p[1];
        double along = dx * ux + dy * uy, lat = fabs(-dx * uy + dy * ux);
        any = lat < SHOCK_MAX_LATERAL_M && along > -2000.0 && along < range + 2000.0;
    }
    if (!any) {
        return TL_OK;
    }
    size_t n;
    int rc = tl__trajectory(ev->weapon, (size_t)ev->charge, ei->elev_deg, 0.25, pts, TRAJ_CAP, &n);
    if (rc != TL_OK || n < 3) {
        return TL_OK;
    }
    double stretch = range / fmax(pts[n - 1].x_m, 1.0);
    struct proj pj = projectile(ev->weapon);
    double t0 = (double)(ev->t_ns - s->cfg.start_ns) / 1e9;

    for (size_t k = 0; k < s->ns; k++) {
        const struct station *st = &s->st[k];
        double dx = st->p[0] - ei->p[0], dy = st->p[1] - ei->p[1];
        double along = dx * ux + dy * uy, lat = -dx * uy + dy * ux;
        if (fabs(lat) >= SHOCK_MAX_LATERAL_M || along < -2000.0 || along > range + 2000.0) {
            continue;
        }
        double dz = st->p[2] - ei->p[2];
        struct wx_point w;
        tl__wx_at(&s->wx, st->p[0], st->p[1], t0 + 10.0, &w);
        double c_ground = tl__sound_speed_moist(w.temp_c, w.rh_pct, 1000.0);
        /* Arrival time of sound emitted at each point of the flight. */
        double prev2 = 0.0, prev1 = 0.0;
        for (size_t i = 0; i < n; i++) {
            double px = pts[i].x_m * stretch, pz = pts[i].z_m;
            double rx = along - px, rz = dz - pz;
            double d = sqrt(rx * rx + lat * lat + rz * rz);
            double c_mean = 0.5 * (pts[i].c_mps + c_ground);
            double f = pts[i].t_s + d / c_mean;
            if (i >= 2 && prev1 <= prev2 && prev1 < f) {
                /* An interior minimum at i - 1: the Mach-angle emission point. */
                const struct tl__traj_pt *q = &pts[i - 1];
                double m_air = q->v_mps / q->c_mps;
                double m_ground = q->v_mps / c_ground;
                if (m_air > 1.02 && m_ground > 1.02) {
                    /* Parabolic refinement of the minimum. */
                    double den = prev2 - 2.0 * prev1 + f;
                    double off = den > 0.0 ? 0.5 * (prev2 - f) / den : 0.0;
                    off = fmin(0.5, fmax(-0.5, off));
                    double t_arr = prev1 - 0.25 * (prev2 - f) * off;
                    double qx = q->x_m * stretch, qz = q->z_m;
                    double vx = q->vx_mps, vz = q->vz_mps, vv = q->v_mps;
                    double sx = along - qx, sz = dz - qz;
                    double sd = sqrt(sx * sx + lat * lat + sz * sz);
                    double cosang = (vx * sx + vz * sz) / (vv * sd);
                    double b = fmax(50.0, sd * sqrt(fmax(0.0, 1.0 - cosang * cosang)));
                    double m = m_air;
                    double m21 = m * m - 1.0;
                    double dp = 2.0 * 0.53 * 101325.0 * pow(m21, 0.125) * pj.diam_m /
                                (pow(b, 0.75) * pow(pj.len_m, 0.25));
                    double dur = 1.82 * m * pow(b, 0.25) * pj.diam_m /
                                 (q->c_mps * pow(m21, 0.375) * pow(pj.len_m, 0.25));
                    double t_abs = t0 + t_arr;
                    double u_det = rng_u(r);
                    double nz = rng_normal(r), n2 = rng_normal(r), n3 = rng_normal(r);
                    if (tl__sim_down(s, k, t_abs)) {
                        break;
                    }
                    struct wx_point ws;
                    tl__wx_at(&s->wx, st->p[0], st->p[1], t_abs, &ws);
                    double noise = tl__wx_noise_pa(&s->wx, t_abs, hypot(ws.u_mps, ws.v_mps)) *
                                   st->noise_factor / 3.0;
                    double snr = 20.0 * log10(dp / noise) + 3.0 * nz;
                    double pdet = exp(-b / 3000.0) / (1.0 + exp(-(snr - 14.0) / 1.5));
                    if (all) {
                        struct tl__arrival a;
                        memset(&a, 0, sizeof(a));
                        a.station = k;
                        a.event = (long)e;
                        a.phase = TL_SIM_SHOCK;
                        a.t_s = t_abs;
                        a.snr_db = snr;
                        a.amp_pa = dp;
                        a.dur_s = dur;
                        a.freq_hz = 1.0 / dur;
                        a.dist_m = sd;
                        a.detected = u_det < pdet;
                        /* From the emission point, seen from the station (true north). */
                        double ep[3] = {ei->p[0] + qx * ux, ei->p[1] + qx * uy, ei->p[2] + qz};
                        double elat, elon, az1;
                        tl__sim_geo(s, ep, &elat, &elon);
                        tl_geo_inverse(st->st->lat_deg, st->st->lon_deg, elat, elon, NULL, &az1,
                                       NULL);
                        a.baz_geo_deg = fmod(az1 + 360.0, 360.0);
                        a.baz_app_deg = st->array ? a.baz_geo_deg : (double)NAN;
                        a.elev_deg = atan2(ep[2] - st->p[2],
                                           hypot(ep[0] - st->p[0], ep[1] - st->p[1])) *
                                     180.0 / M_PI;
                        rc = tl__arrival_push(all, &a);
                        if (rc != TL_OK) {
                            return rc;
                        }
                    }
                    if (u_det < pdet) {
                        struct tl_sim_pick p;
                        memset(&p, 0, sizeof(p));
                        double sig = 0.0005 + 0.0015 * exp(-fmax(snr - 14.0, 0.0) / 10.0);
                        double err = sig * n2;
                        double clock = tl__sim_clock(s, k, t_abs);
                        p.pick.t_ns = (tl__sim_ns(s, t_abs + err + clock) / 1000) * 1000;
                        p.pick.sigma_s = sig * exp(0.2 * n3);
                        p.pick.snr_db = snr + 1.5 * rng_normal(r);
                        p.pick.amp_pa = dp * exp(0.1 * rng_normal(r));
                        p.pick.dur_s = dur * exp(0.1 * rng_normal(r));
                        p.pick.freq_hz = 1.0 / p.pick.dur_s;
                        p.pick.baz_deg = NAN;
                        p.pick.baz_sigma_deg = NAN;
                        if (st->array) {
                            /* From the emission point, as the array sees the cone. */
                            double ex = ei->p[0] + qx * ux - st->p[0];
                            double ey = ei->p[1] + qx * uy - st->p[1];
                            double baz = atan2(ex, ey) * 180.0 / M_PI + st->orient_bias_deg +
                                         3.0 * rng_normal(r);
                            baz = fmod(baz + 720.0, 360.0);
                            p.pick.baz_deg = baz;
                            p.pick.baz_sigma_deg = rng_range(r, 3.0, 6.0);
                        }
                        p.pick.shock = true;
                        p.event = (long)e;
                        p.phase = TL_SIM_SHOCK;
                        p.true_t_ns = tl__sim_ns(s, t_abs);
                        p.snr_true_db = snr;
                        p.err_s = err;
                        p.clock_s = clock;
                        p.dist_m = sd;
                        rc = mut ? tl__sim_add_pick(mut, k, &p) : TL_OK;
                        if (rc != TL_OK) {
                            return rc;
                        }
                    }
                }
            }
            prev2 = prev1;
            prev1 = f;
        }
    }
    return TL_OK;
}

int
tl__sim_shock(struct tl_sim *s, struct rng *r, size_t e)
{
    return shock(s, r, e, s, NULL);
}

int
tl__sim_shock_arrivals(const struct tl_sim *s, struct rng *r, size_t e, struct tl__arrivals *all)
{
    return shock(s, r, e, NULL, all);
}
