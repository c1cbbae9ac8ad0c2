/*
 * propagate.c - from every blast to every station: travel time, loudness,
 * detection, masking and the pick a station would make.
 *
 * Travel time.  The path from source to station is sampled every 4 km (at
 * least once, at most 8 times); at each sample the weather field gives the
 * temperature, humidity and wind at the moment the wavefront passes, and the
 * slowness 1/(c(T_v) + w . n) is averaged along the path (c from the virtual
 * temperature: humid air is slightly faster, which the processing's dry
 * 20.05 sqrt(T) does not know).  Refraction: the near-ground gradient of the
 * effective speed, g = (c / 2T) dT/dz + (dU/dz along the path) (research
 * section 3.3), bends rays; when g > 0 (downwind, night inversion) the ray
 * arcs through faster air up to the depth of the layer (apex h = g r^2 / 8c,
 * capped by the duct) and arrives early by about a third of the gain in
 * effective speed at h (the average height is 2h/3, and the longer curved
 * path takes back half): the temperature part g_T h plus the wind's increase
 * with height, a log profile reaching 0.5 (day) to 1.5 (night, decoupled
 * layer) times the surface wind at 150 m (Stull 1988).  Turbulence adds a random delay of variance sqrt(pi) <mu^2> L r / c^2
 * (Gaussian correlation of length L = 100 m; Ostashev and Wilson 2015,
 * ch. 7): 3-25 ms at 10 km, growing as the square root of the distance.
 *
 * Loudness.  The peak overpressure of a charge W (kg TNT) is 451.6 Pa at
 * 130 W^(1/3) m (the K328 criterion, [S19]) and falls as 1/r (research section
 * 2.2), then loses: absorption (ISO 9613-1 at the source's dominant frequency,
 * sound.c); ground and terrain excess attenuation, 4 dB per doubling of
 * distance beyond 1 km (13-17 dB at 10-20 km, within the 10-30 dB research
 * section 2.2 allows; 33 dB per decade in all, as blast levels fall in
 * neutral weather) and 0.3 dB/km more beyond 15 km (scattering out of the
 * near-ground ducts, vegetation: an assumption that keeps kg-class blasts
 * from being heard beyond 40-50 km even on still nights); upward refraction (g < 0: day lapse, upwind): beyond the
 * shadow-zone boundary r_s = sqrt(2c/|g|) (sqrt(h_s) + sqrt(h_r)) (Embleton,
 * JASA 100(1), 1996) the level drops toward a floor set by turbulent
 * scattering into the shadow, 10-40 dB deeper the stronger the gradient, and
 * keeps falling slowly; downward refraction (g > 0) ducts sound and gains up
 * to 4 dB; terrain screening around each station varying with azimuth
 * (0-6 dB); the muzzle blast's directivity (+-4 dB guns, louder forward;
 * rockets louder to the rear); and a random fluctuation (scintillation,
 * 2-6 dB, growing with distance).
 *
 * Detection and the pick.  Noise at the station (weather.c: ambient plus wind
 * noise from the station's own wind, times a site factor) sets the SNR, as a
 * trigger sees it: the signal's energy in a 0.2 s window (its peak less a
 * 5 dB crest factor, diluted when it is shorter than the window); a
 * pick exists with probability 1/(1 + exp(-(SNR - 10 dB)/1.5 dB)) (an
 * STA/LTA trigger near 3, research section 5.1; an emergent rocket-motor
 * onset counts 6 dB less).  A station's picker is blind for the coda of what
 * it just picked: an arrival within 0.8 of the previous one's duration is
 * lost unless it is 3 dB stronger (salvos mask themselves).  The pick error
 * has a 1-sigma of 1 ms at high SNR to 30 ms at the threshold, and a late
 * bias of 0.3 sigma (onset pickers pick late on emergent onsets, research
 * section 5.2); 2-5% of picks (more at low SNR, about 3% overall) lock onto a
 * later arrival, 0.05-2 s late (echoes, multipath); the station's own sigma
 * is its estimate from the SNR it measured (1.5 dB error), blind to outliers.
 * Strong arrivals leave a separate echo pick 0.3-4 s later (4%), from another
 * direction.  Array stations measure the back azimuth with a 1-sigma of 3 deg
 * at high SNR to 10 deg at the threshold ([S6,S7]: 10 deg and more for small
 * arrays), biased by the crosswind (the wavefront normal leans into the wind:
 * the source appears shifted downwind by about w_perp / c) and by the
 * array's orientation error (1 deg).
 */
#include "sim_priv.h"

#include <string.h>

#define TURB_L_M 100.0

struct cand {
    double t_s;       /* true arrival (true clock) */
    double snr, amp, freq, dur, baz_geo, baz_app;
    double dist, travel, ray_travel, jitter, model_travel;
    double onset_db;
    long ev;
    size_t st;
    int phase;
    bool masked;
};

struct cands {
    struct cand *c;
    size_t n, cap;
};

double
tl__pick_sigma_s(double snr_db)
{
    double x = snr_db - DETECT_SNR_DB;
    double sig = 0.001 + 0.029 * exp(-fmax(x, 0.0) / 8.0);
    return fmin(0.030, sig);
}

double
tl__baz_sigma_deg(double snr_db)
{
    double x = snr_db - DETECT_SNR_DB;
    return 3.0 + 7.0 * exp(-fmax(x, 0.0) / 10.0);
}

static double
wrap360(double a)
{
    a = fmod(a, 360.0);
    return a < 0.0 ? a + 360.0 : a;
}

/* The path from a source at ps (time t0) to station st. */
struct path {
    double r, rh, az;           /* distance, horizontal distance, ENU azimuth source->station */
    double travel_ray, travel, jitter, model_travel;
    double t_mid_c, rh_mid, p_mid, c_mid;
    double w_par_mid, g;
    double wu_mean, wv_mean;
    double stab;
};

static void
path_time(const struct tl_sim *s, const double ps[3], double t0, const struct station *st,
          struct rng *r, struct path *o)
{
    double dx = st->p[0] - ps[0], dy = st->p[1] - ps[1], dz = st->p[2] - ps[2];
    o->rh = sqrt(dx * dx + dy * dy);
    o->r = sqrt(o->rh * o->rh + dz * dz);
    double ux = o->rh > 0.0 ? dx / o->rh : 0.0, uy = o->rh > 0.0 ? dy / o->rh : 1.0;
    o->az = atan2(ux, uy);
    int n = 1 + (int)(o->rh / 4000.0);
    n = n > 8 ? 8 : n;
    double slow = 0.0, su = 0.0, sv = 0.0;
    for (int k = 0; k < n; k++) {
        double f = ((double)k + 0.5) / n;
        struct wx_point w;
        tl__wx_at(&s->wx, ps[0] + f * dx, ps[1] + f * dy, t0 + f * o->r / 335.0, &w);
        double c = tl__sound_speed_moist(w.temp_c, w.rh_pct, 1000.0);
        slow += 1.0 / (c + w.u_mps * ux + w.v_mps * uy);
        su += w.u_mps;
        sv += w.v_mps;
    }
    slow /= n;
    o->wu_mean = su / n;
    o->wv_mean = sv / n;
    double travel_straight = o->r * slow;

    /* The midpoint: the simple model, and the vertical structure. */
    double tm = t0 + 0.5 * o->r / 335.0;
    struct wx_point w;
    tl__wx_at(&s->wx, ps[0] + 0.5 * dx, ps[1] + 0.5 * dy, tm, &w);
    double speed = hypot(w.u_mps, w.v_mps);
    double from_deg = wrap360(atan2(-w.u_mps, -w.v_mps) * 180.0 / M_PI);
    double c_model = tl_effective_speed_mps(w.temp_c, speed, from_deg, o->az * 180.0 / M_PI);
    o->model_travel = o->r / c_model;
    o->t_mid_c = w.temp_c;
    o->rh_mid = w.rh_pct;
    o->p_mid = tl__wx_pressure_hpa(&s->wx, ps[0] + 0.5 * dx, ps[1] + 0.5 * dy, tm, 150.0);
    o->c_mid = tl__sound_speed_moist(w.temp_c, w.rh_pct, o->p_mid);
    o->w_par_mid = w.u_mps * ux + w.v_mps * uy;
    struct wx_vertical v;
    tl__wx_vertical(&s->wx, tm, speed, &v);
    o->stab = tl__wx_stability(&s->wx, tm);
    o->g = o->c_mid / (2.0 * (w.temp_c + 273.15)) * v.dtdz_k_per_m + v.shear_per_s * o->w_par_mid;

    double c_path = o->r / travel_straight;
    double dc = 0.0;
    if (o->g > 0.0) {
        /* The ray's apex, and the gain in effective speed up there: the temperature
         * gradient's share plus the wind's, which grows with height as a log profile
         * (half the surface wind more at 150 m by day, one and a half by night). */
        double h = fmin(v.duct_m, o->g * o->rh * o->rh / (8.0 * o->c_mid));
        double g_t = o->c_mid / (2.0 * (w.temp_c + 273.15)) * v.dtdz_k_per_m;
        double du = h > 10.0 ? o->w_par_mid * (0.5 + 1.0 * o->stab) * log(h / 10.0) / log(15.0)
                             : 0.0;
        dc = fmax(0.0, (g_t * h + du) / 3.0);
    }
    o->travel_ray = o->r / (c_path + dc);
    o->jitter = sqrt(sqrt(M_PI) * v.mu2 * TURB_L_M * o->r) / o->c_mid;
    o->travel = o->travel_ray + o->jitter * rng_normal(r);
}

/* Level (dB re 1 Pa) at the station of a source of `w_kg` at frequency f0. */
static double
path_level_db(const struct tl_sim *s, const struct path *pa, const struct station *st,
              const struct ev_int *ei, double w_kg, struct rng *r)
{
    double a0 = 451.6 * 130.0 * cbrt(w_kg);
    double lvl = 20.0 * log10(a0 / fmax(pa->r, 50.0));
    lvl -= tl_absorption_db_per_km(ei->f0_hz, pa->t_mid_c, pa->rh_mid, pa->p_mid) * pa->r / 1000.0;
    lvl -= 4.0 * log2(fmax(1.0, pa->r / 1000.0));
    lvl -= 0.3 * fmax(0.0, pa->r - 15000.0) / 1000.0;
    double g = pa->g;
    if (g < 0.0) {
        double rs = sqrt(2.0 * pa->c_mid / -g) * (2.0 * sqrt(2.0));
        if (pa->r > rs) {
            double cap = fmin(40.0, fmax(10.0, 10.0 + 200.0 * -g));
            double beyond = pa->r - rs;
            lvl -= cap * (1.0 - exp(-beyond / (2.0 * rs)));
            lvl -= fmin(10.0, 0.5 * beyond / 1000.0 * (-g / 0.05));
        }
    } else if (g > 0.0) {
        double rd = fmin(8000.0, fmax(500.0, 1500.0 * sqrt(0.03 / g)));
        if (pa->r > rd) {
            lvl += fmin(4.0, 10.0 * log10(pa->r / rd));
        }
    }
    /* Terrain around the station, by the direction the sound comes from. */
    double from = pa->az + M_PI;
    lvl += st->site_gain_db;
    for (int k = 0; k < 3; k++) {
        lvl -= st->az_a[k] * (0.5 + 0.5 * cos((double)(k + 1) * from + st->az_ph[k]));
    }
    if (ei->dir_db != 0.0) {
        lvl += ei->dir_db * cos(pa->az - ei->fire_az_rad);
    }
    lvl += rng_normal(r) * fmin(6.0, 2.0 + 0.25 * pa->r / 1000.0);
    (void)s;
    return lvl;
}

static double
station_noise(const struct tl_sim *s, const struct station *st, double t_s)
{
    struct wx_point w;
    tl__wx_at(&s->wx, st->p[0], st->p[1], t_s, &w);
    return tl__wx_noise_pa(&s->wx, t_s, hypot(w.u_mps, w.v_mps)) * st->noise_factor;
}

/*
 * The SNR a trigger sees: the signal's energy in a 0.2 s STA window against
 * the noise's.  A pulse of peak A lasting d carries about A^2 d / 3 (a
 * Friedlander-like decay) and a crest factor of 3 (-5 dB) separates its peak
 * from its RMS; a short pulse is diluted in the window, a long one is not.
 */
static double
detector_snr_db(double amp_pa, double noise_pa, double dur_s)
{
    return 20.0 * log10(amp_pa / noise_pa) - 5.0 + 10.0 * log10(fmin(1.0, dur_s / 0.2));
}

static double
p_detect(double snr_eff)
{
    return 1.0 / (1.0 + exp(-(snr_eff - DETECT_SNR_DB) / 1.5));
}

static int
push(struct cands *cs, const struct cand *c)
{
    int rc = tl__grow((void **)&cs->c, &cs->cap, cs->n + 1, sizeof(*c), 40000000u);
    if (rc == TL_OK) {
        cs->c[cs->n++] = *c;
    }
    return rc;
}

/* The apparent back azimuth (true north) at station st of a source at ps. */
static void
bearing(const struct tl_sim *s, const struct station *st, double src_lat, double src_lon,
        const struct path *pa, double *baz_geo, double *baz_app)
{
    double azi1, azi2;
    tl_geo_inverse(st->st->lat_deg, st->st->lon_deg, src_lat, src_lon, NULL, &azi1, &azi2);
    /* The wavefront normal: -e c + w (the wind aloft, 1.2 times the surface's). */
    double ex = sin(pa->az), ey = cos(pa->az);
    double enu_true = atan2(-ex, -ey);
    double enu_app = atan2(-ex * pa->c_mid + 1.2 * pa->wu_mean, -ey * pa->c_mid + 1.2 * pa->wv_mean);
    *baz_geo = azi1;
    *baz_app = wrap360(azi1 + (enu_app - enu_true) * 180.0 / M_PI);
    (void)s;
}

/* The arrivals of event e at every station; the picked ones go to `cs`, and
 * with `all` (waveform synthesis) every arrival goes there too. */
static int
event_paths(const struct tl_sim *s, size_t e, struct rng *r, struct cands *cs,
            struct tl__arrivals *all)
{
    const struct tl_sim_event *ev = &s->ev[e];
    const struct ev_int *ei = &s->evi[e];
    double t0 = (double)(ev->t_ns - s->cfg.start_ns) / 1e9;
    /* Loudest this source could be at a station r metres away, for a quick cut. */
    double a0 = 451.6 * 130.0 * cbrt(ev->tnt_kg);
    for (size_t k = 0; k < s->ns; k++) {
        const struct station *st = &s->st[k];
        double dx = st->p[0] - ei->p[0], dy = st->p[1] - ei->p[1];
        double rh2 = dx * dx + dy * dy;
        if (rh2 > MAX_PATH_M * MAX_PATH_M) {
            continue;
        }
        double rr = sqrt(rh2);
        double best = 20.0 * log10(a0 / fmax(rr, 50.0)) - 4.0 * log2(fmax(1.0, rr / 1000.0)) +
                      6.0 + 6.0 + st->site_gain_db + fabs(ei->dir_db) + 20.0;
        if (best - 20.0 * log10(0.003 * st->noise_factor) < DETECT_SNR_DB - 6.0) {
            continue;
        }
        struct path pa;
        path_time(s, ei->p, t0, st, r, &pa);
        double t_arr = t0 + pa.travel;
        double lvl = path_level_db(s, &pa, st, ei, ev->tnt_kg, r);
        double u_det = rng_u(r);
        double u_echo = rng_u(r);
        if (tl__sim_down(s, k, t_arr)) {
            continue;
        }
        double noise = station_noise(s, st, t_arr);
        double amp = pow(10.0, lvl / 20.0);
        double dur = ei->dur0_s + 0.03 * pa.r / 1000.0 * (1.0 + 0.5 * (1.0 - pa.stab));
        double snr = detector_snr_db(amp, noise, dur);
        bool detected = u_det < p_detect(snr - ei->onset_db);
        if (all) {
            struct tl__arrival a;
            memset(&a, 0, sizeof(a));
            a.station = k;
            a.event = (long)e;
            a.phase = TL_SIM_BLAST;
            a.t_s = t_arr;
            a.snr_db = snr;
            a.amp_pa = amp;
            a.freq_hz = ei->f0_hz * exp(-pa.r / 40000.0);
            a.dur_s = dur;
            a.dist_m = pa.r;
            a.onset_db = ei->onset_db;
            a.detected = detected;
            a.baz_app_deg = a.baz_geo_deg = NAN;
            if (st->array) {
                bearing(s, st, ev->lat_deg, ev->lon_deg, &pa, &a.baz_geo_deg, &a.baz_app_deg);
            }
            int rc = tl__arrival_push(all, &a);
            if (rc != TL_OK) {
                return rc;
            }
        }
        if (!detected) {
            continue;
        }
        struct cand c;
        memset(&c, 0, sizeof(c));
        c.t_s = t_arr;
        c.snr = snr;
        c.amp = amp;
        c.freq = ei->f0_hz * exp(-pa.r / 40000.0);
        c.dur = dur;
        c.dist = pa.r;
        c.travel = pa.travel;
        c.ray_travel = pa.travel_ray;
        c.jitter = pa.jitter;
        c.model_travel = pa.model_travel;
        c.onset_db = ei->onset_db;
        c.ev = (long)e;
        c.st = k;
        c.phase = TL_SIM_BLAST;
        if (st->array) {
            bearing(s, st, ev->lat_deg, ev->lon_deg, &pa, &c.baz_geo, &c.baz_app);
        }
        int rc = push(cs, &c);
        if (rc != TL_OK) {
            return rc;
        }
        /* An echo off terrain or a tree line, from another direction. */
        if (snr > DETECT_SNR_DB + 12.0 && u_echo < 0.04) {
            struct cand ec = c;
            ec.t_s = t_arr + rng_loguniform(r, 0.3, 4.0);
            ec.snr = snr - rng_range(r, 8.0, 20.0);
            ec.amp = amp * pow(10.0, (ec.snr - snr) / 20.0);
            ec.phase = TL_SIM_ECHO;
            ec.baz_app = wrap360(c.baz_app + rng_range(r, -90.0, 90.0));
            ec.travel = ec.ray_travel = ec.jitter = ec.model_travel = 0.0;
            bool echo_detected = rng_u(r) < p_detect(ec.snr);
            if (all) {
                struct tl__arrival a = all->a[all->n - 1]; /* the blast just pushed */
                a.phase = TL_SIM_ECHO;
                a.t_s = ec.t_s;
                a.snr_db = ec.snr;
                a.amp_pa = ec.amp;
                a.baz_app_deg = st->array ? ec.baz_app : (double)NAN;
                a.detected = echo_detected;
                rc = tl__arrival_push(all, &a);
                if (rc != TL_OK) {
                    return rc;
                }
            }
            if (echo_detected) {
                rc = push(cs, &ec);
                if (rc != TL_OK) {
                    return rc;
                }
            }
        }
    }
    return TL_OK;
}

static int
cmp_cand(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->st != y->st) {
        return x->st < y->st ? -1 : 1;
    }
    if (x->t_s != y->t_s) {
        return x->t_s < y->t_s ? -1 : 1;
    }
    if (x->ev != y->ev) {
        return x->ev < y->ev ? -1 : 1;
    }
    return x->phase - y->phase;
}

/* The picker's dead time: an arrival inside the coda of the last pick is lost
 * unless clearly stronger. */
static void
mask(struct cands *cs)
{
    size_t i = 0;
    while (i < cs->n) {
        size_t st = cs->c[i].st;
        double busy_until = -1e30, snr_cur = -1e30;
        for (; i < cs->n && cs->c[i].st == st; i++) {
            struct cand *c = &cs->c[i];
            if (c->t_s < busy_until && c->snr < snr_cur + 3.0) {
                c->masked = true;
                busy_until = fmax(busy_until, c->t_s + 0.5 * c->dur);
                continue;
            }
            busy_until = c->t_s + fmax(0.25, 0.8 * c->dur);
            snr_cur = c->snr;
        }
    }
}

static int
make_pick(struct tl_sim *s, const struct cand *c, struct rng *r)
{
    const struct station *st = &s->st[c->st];
    struct tl_sim_pick p;
    memset(&p, 0, sizeof(p));
    double snr_eff = c->snr - c->onset_db;
    double sig = tl__pick_sigma_s(snr_eff);
    double p_out = 0.02 + 0.03 * exp(-fmax(snr_eff - DETECT_SNR_DB, 0.0) / 6.0);
    bool outlier = c->phase == TL_SIM_BLAST && rng_u(r) < p_out;
    double err = sig * (0.3 + rng_normal(r));
    if (outlier) {
        err += rng_loguniform(r, 0.05, 2.0);
    }
    double snr_meas = c->snr + 1.5 * rng_normal(r);
    double clock = tl__sim_clock(s, c->st, c->t_s);
    double t_obs = c->t_s + err + clock;
    p.pick.t_ns = tl__sim_ns(s, t_obs);
    p.pick.t_ns = (p.pick.t_ns / 1000) * 1000; /* microseconds */
    p.pick.sigma_s =
        fmin(0.05, fmax(0.0005, tl__pick_sigma_s(snr_meas) * exp(0.25 * rng_normal(r))));
    p.pick.snr_db = snr_meas;
    p.pick.amp_pa = c->amp * exp(0.1 * rng_normal(r));
    p.pick.freq_hz = fmax(1.0, c->freq * exp(0.12 * rng_normal(r)));
    p.pick.dur_s = c->dur * exp(0.15 * rng_normal(r));
    p.pick.baz_deg = NAN;
    p.pick.baz_sigma_deg = NAN;
    if (st->array) {
        double sb = tl__baz_sigma_deg(c->snr);
        double baz = c->baz_app + st->orient_bias_deg + sb * rng_normal(r);
        if (outlier) {
            baz += rng_range(r, -40.0, 40.0);
        }
        p.pick.baz_deg = wrap360(baz);
        p.pick.baz_sigma_deg = tl__baz_sigma_deg(snr_meas) * exp(0.15 * rng_normal(r));
    }
    p.pick.shock = false;
    p.event = c->ev;
    p.phase = (enum tl_sim_phase)c->phase;
    p.true_t_ns = tl__sim_ns(s, c->t_s);
    p.snr_true_db = c->snr;
    p.err_s = err;
    p.clock_s = clock;
    p.outlier = outlier;
    p.dist_m = c->dist;
    p.travel_s = c->travel;
    p.ray_travel_s = c->ray_travel;
    p.jitter_sigma_s = c->jitter;
    p.model_travel_s = c->model_travel;
    return tl__sim_add_pick(s, c->st, &p);
}

int
tl__sim_propagate(struct tl_sim *s)
{
    struct rng r;
    rng_seed(&r, s->cfg.seed, STREAM_PROPAGATE);
    struct cands cs = {NULL, 0, 0};
    int rc = TL_OK;
    for (size_t e = 0; e < s->nev && rc == TL_OK; e++) {
        rc = event_paths(s, e, &r, &cs, NULL);
    }
    if (rc == TL_OK) {
        if (cs.n > 1) {
            qsort(cs.c, cs.n, sizeof(*cs.c), cmp_cand);
        }
        mask(&cs);
        for (size_t i = 0; i < cs.n && rc == TL_OK; i++) {
            if (cs.c[i].masked) {
                continue;
            }
            rc = make_pick(s, &cs.c[i], &r);
            if (rc == TL_OK && cs.c[i].phase == TL_SIM_BLAST) {
                s->ev[cs.c[i].ev].n_stations++;
            }
        }
    }
    /* Shock cues of supersonic projectiles. */
    struct rng rs;
    rng_seed(&rs, s->cfg.seed, STREAM_SHOCK);
    for (size_t e = 0; e < s->nev && rc == TL_OK; e++) {
        const struct tl_sim_event *ev = &s->ev[e];
        const struct tl_weapon_info *wi = tl_weapon_get(ev->weapon);
        if (ev->cls == TL_SIM_LAUNCH && wi && wi->supersonic) {
            rc = tl__sim_shock(s, &rs, e);
        }
    }
    tl_free(cs.c);
    return rc;
}

int
tl__arrival_push(struct tl__arrivals *all, const struct tl__arrival *a)
{
    int rc = tl__grow((void **)&all->a, &all->cap, all->n + 1, sizeof(*a), 40000000u);
    if (rc == TL_OK) {
        all->a[all->n++] = *a;
    }
    return rc;
}

int
tl__sim_arrivals(const struct tl_sim *s, struct tl__arrivals *out)
{
    struct rng r;
    rng_seed(&r, s->cfg.seed, STREAM_PROPAGATE);
    struct cands cs = {NULL, 0, 0};
    int rc = TL_OK;
    for (size_t e = 0; e < s->nev && rc == TL_OK; e++) {
        rc = event_paths(s, e, &r, &cs, out);
    }
    tl_free(cs.c);
    struct rng rs;
    rng_seed(&rs, s->cfg.seed, STREAM_SHOCK);
    for (size_t e = 0; e < s->nev && rc == TL_OK; e++) {
        const struct tl_sim_event *ev = &s->ev[e];
        const struct tl_weapon_info *wi = tl_weapon_get(ev->weapon);
        if (ev->cls == TL_SIM_LAUNCH && wi && wi->supersonic) {
            rc = tl__sim_shock_arrivals(s, &rs, e, out);
        }
    }
    return rc;
}

/* ------------------------------------------------------- false picks -- */

static long
poisson(struct rng *r, double mean)
{
    if (mean > 50.0) {
        double x = mean + sqrt(mean) * rng_normal(r);
        return x < 0.0 ? 0 : (long)llround(x);
    }
    double l = exp(-mean), p = 1.0;
    long k = 0;
    do {
        k++;
        p *= rng_u(r);
    } while (p > l);
    return k - 1;
}

static int
false_pick(struct tl_sim *s, struct rng *r, size_t k, double t, bool shock)
{
    const struct station *st = &s->st[k];
    double noise = station_noise(s, st, t);
    struct tl_sim_pick p;
    memset(&p, 0, sizeof(p));
    double snr = shock ? DETECT_SNR_DB + 4.0 + rng_exp(r, 6.0) : DETECT_SNR_DB + rng_exp(r, 4.0);
    double clock = tl__sim_clock(s, k, t);
    p.pick.t_ns = (tl__sim_ns(s, t + clock) / 1000) * 1000;
    p.pick.snr_db = snr;
    p.pick.amp_pa = noise * (shock ? 0.35 : 1.0) * pow(10.0, snr / 20.0);
    if (shock) {
        p.pick.dur_s = rng_loguniform(r, 0.0003, 0.004);
        p.pick.freq_hz = 0.5 / p.pick.dur_s;
        p.pick.sigma_s = rng_range(r, 0.0005, 0.002);
    } else {
        p.pick.dur_s = rng_loguniform(r, 0.05, 3.0);
        p.pick.freq_hz = rng_loguniform(r, 3.0, 200.0);
        p.pick.sigma_s = fmin(0.05, tl__pick_sigma_s(snr) * exp(0.25 * rng_normal(r)));
    }
    p.pick.baz_deg = NAN;
    p.pick.baz_sigma_deg = NAN;
    if (st->array) {
        p.pick.baz_deg = rng_range(r, 0.0, 360.0);
        p.pick.baz_sigma_deg = tl__baz_sigma_deg(snr) * exp(0.15 * rng_normal(r));
    }
    p.pick.shock = shock;
    p.event = -1;
    p.phase = shock ? TL_SIM_SHOCK : TL_SIM_BLAST;
    p.true_t_ns = tl__sim_ns(s, t);
    p.snr_true_db = snr;
    p.clock_s = clock;
    return tl__sim_add_pick(s, k, &p);
}

int
tl__sim_false_picks(struct tl_sim *s)
{
    struct rng r;
    rng_seed(&r, s->cfg.seed, STREAM_FALSE);
    double h_s = s->cfg.hours * 3600.0;
    int rc = TL_OK;
    for (size_t k = 0; k < s->ns && rc == TL_OK; k++) {
        const struct station *st = &s->st[k];
        for (double t0 = 0.0; t0 < h_s && rc == TL_OK; t0 += 600.0) {
            double len = fmin(600.0, h_s - t0);
            struct wx_point w;
            tl__wx_at(&s->wx, st->p[0], st->p[1], t0 + 300.0, &w);
            double u = hypot(w.u_mps, w.v_mps);
            /* Gusts and activity: more false triggers in wind. */
            double rate = s->P->false_per_hour * fmin(3.0, (1.0 + (u / 6.0) * (u / 6.0)) / 1.25);
            long n = poisson(&r, rate * len / 3600.0);
            long ns = poisson(&r, s->P->false_shock_per_day * len / 86400.0);
            for (long i = 0; i < n + ns && rc == TL_OK; i++) {
                double t = t0 + rng_u(&r) * len;
                if (tl__sim_down(s, k, t)) {
                    continue;
                }
                rc = false_pick(s, &r, k, t, i >= n);
            }
        }
    }
    return rc;
}
