/*
 * weather.c - the simulated atmosphere: a surface field of temperature, wind
 * and humidity that varies in space and time, and the near-ground vertical
 * structure that bends sound.
 *
 * The processing corrects travel times with each station's met record; the
 * world it is tested against must therefore be richer than "one wind, one
 * temperature" (DESIGN.md, the inverse crime), in the ways real weather is:
 *
 *   - a diurnal temperature cycle (minimum near 03 h, maximum near 15 h local
 *     solar time; amplitude 2-6 K, smaller under cloud and wind), a slow
 *     synoptic trend, a horizontal gradient of 0.5-2 K per 100 km, and
 *     mesoscale undulations (four plane waves per field, 15-90 km long,
 *     carried along by the mean wind);
 *   - a surface wind that is weaker at night (the stable layer decouples the
 *     surface from the flow aloft) and stronger in the afternoon (convective
 *     mixing), with 10-30% spatial variations and a gradient of speed;
 *   - with a given probability a front: a band 5-15 km wide moving at
 *     6-12 m/s with the flow, behind which it is 2-6 K colder, the wind has
 *     veered 30-90 degrees and strengthened 20-60%, pressure has risen and the
 *     air is moister - the classic cold-front passage (e.g. Wallace and Hobbs,
 *     "Atmospheric Science", 2006, chapter 8);
 *   - relative humidity falling as the day warms; pressure from the station's
 *     height (8.3 m per hPa) plus a synoptic trend;
 *   - the vertical: a superadiabatic lapse over sunlit ground by day
 *     (-0.01 to -0.035 K/m in the lowest tens of metres) and a ground-based
 *     inversion on clear, light-wind nights (up to +0.05 K/m), wind shear from
 *     the logarithmic profile by day and the decoupled stable layer by night
 *     (Stull, "An Introduction to Boundary Layer Meteorology", 1988, ch. 1, 9);
 *   - turbulence as the variance of the acoustic refractive index, larger by
 *     day (convection) and with wind (shear), about 1e-7 to 1e-5 (Ostashev and
 *     Wilson, "Acoustics in Moving Inhomogeneous Media", 2nd ed. 2015, ch. 6);
 *   - noise at a station: ambient (activity, traffic: higher by day) and wind
 *     noise on the windscreen growing as the square of the wind speed (the
 *     dynamic pressure; Morgan and Raspet, JASA 92(2), 1992): about 0.006 Pa
 *     (50 dB in the 2-100 Hz band) on a calm night, 0.02 Pa on a calm day
 *     near a front line (vehicles, generators), 0.03 Pa at 5 m/s and
 *     0.15-0.25 Pa at 12-15 m/s behind a good windscreen.
 *
 * The surface field is computed exactly on a grid (4 km, 10 min) covering the
 * stations plus a 45 km margin, and read back by trilinear interpolation: the
 * propagation evaluates it about ten million times on a busy day.
 */
#include "sim_priv.h"

#include <truceline/physics.h>

#include <string.h>

#define GRID_DX_M   4000.0
#define GRID_DT_S   600.0
#define GRID_MAX    4000000u

static double
wrap24(double h)
{
    h = fmod(h, 24.0);
    return h < 0.0 ? h + 24.0 : h;
}

double
tl__wx_local_hour(const struct tl__weather *wx, double t_s)
{
    return wrap24(wx->hour0 + t_s / 3600.0);
}

/* Sun elevation proxy: sin of the day's phase, 6 h to 18 h (March equinox). */
static double
sun(const struct tl__weather *wx, double t_s)
{
    double h = tl__wx_local_hour(wx, t_s);
    return sin(M_PI * (h - 6.0) / 12.0); /* negative at night */
}

double
tl__wx_insolation(const struct tl__weather *wx, double t_s)
{
    return fmax(0.0, sun(wx, t_s)) * (1.0 - 0.7 * wx->cloud);
}

double
tl__wx_stability(const struct tl__weather *wx, double t_s)
{
    /* 0 by day, 1 by night, with an hour or so of transition around sunrise and sunset. */
    double x = (0.1 - sun(wx, t_s)) / 0.25;
    return fmin(1.0, fmax(0.0, x));
}

double
tl__wx_front_phase(const struct tl__weather *wx, double x, double y, double t_s)
{
    if (!wx->front) {
        return 0.0;
    }
    double along = wx->front_nx * (x - wx->front_x) + wx->front_ny * (y - wx->front_y);
    double pos = wx->front_speed_mps * (t_s - wx->front_t_s);
    return 0.5 * (1.0 + tanh((pos - along) / wx->front_width_m));
}

static double
waves(const struct wx_wave *w, double x, double y, double adv_x, double adv_y)
{
    double s = 0.0;
    for (int i = 0; i < WX_WAVES; i++) {
        s += w[i].amp * sin(w[i].kx * (x - adv_x) + w[i].ky * (y - adv_y) + w[i].phase);
    }
    return s;
}

void
tl__wx_exact(const struct tl__weather *wx, double x, double y, double t_s, struct wx_point *o)
{
    double h = tl__wx_local_hour(wx, t_s);
    double diurnal = wx->diurnal_k * cos(2.0 * M_PI * (h - 15.0) / 24.0);
    double ph = tl__wx_front_phase(wx, x, y, t_s);
    double st = tl__wx_stability(wx, t_s);
    double ins = tl__wx_insolation(wx, t_s);

    /* The mean flow carries the mesoscale pattern. */
    double ux0 = wx->wind0_mps * sin(wx->wind_dir_to_rad);
    double uy0 = wx->wind0_mps * cos(wx->wind_dir_to_rad);
    double ax = ux0 * t_s, ay = uy0 * t_s;

    double temp = wx->t_mean_c + diurnal + wx->trend_k_per_day * t_s / 86400.0 + wx->gx * x +
                  wx->gy * y + waves(wx->tw, x, y, ax, ay) + wx->front_dt_k * ph;

    /* Surface speed: decoupled at night, mixed in the afternoon. */
    double diurnal_f = 0.72 + 0.28 * (1.0 - st) + 0.15 * ins;
    if (wx->wind0_mps > 8.0) {
        diurnal_f = 0.9 + 0.1 * (1.0 - st) + 0.05 * ins; /* synoptic wind: little cycle */
    }
    double along = (x * sin(wx->wind_dir_to_rad) + y * cos(wx->wind_dir_to_rad));
    double speed = wx->wind0_mps * diurnal_f * (1.0 + wx->speed_grad * along);
    speed *= 1.0 + (wx->front_speed_factor - 1.0) * ph;
    double dir = wx->wind_dir_to_rad + wx->front_veer_rad * ph;
    double u = speed * sin(dir) + waves(wx->uw, x, y, ax, ay) * (0.3 + 0.15 * speed);
    double v = speed * cos(dir) + waves(wx->vw, x, y, ax, ay) * (0.3 + 0.15 * speed);

    double rh = wx->rh0 - 3.0 * diurnal + 12.0 * ph + 2.0 * waves(wx->tw, y, x, ay, ax);
    o->temp_c = temp;
    o->u_mps = u;
    o->v_mps = v;
    o->rh_pct = fmin(100.0, fmax(20.0, rh));
}

double
tl__wx_pressure_hpa(const struct tl__weather *wx, double x, double y, double t_s, double elev_m)
{
    double ph = tl__wx_front_phase(wx, x, y, t_s);
    double p = wx->p_sl_hpa + wx->p_trend_hpa_per_day * t_s / 86400.0 + wx->front_dp_hpa * ph +
               2e-5 * (x * 0.3 - y * 0.5);
    return p * exp(-elev_m / 8400.0);
}

void
tl__wx_at(const struct tl__weather *wx, double x, double y, double t_s, struct wx_point *o)
{
    double fx = (x - wx->x0) / wx->dx, fy = (y - wx->y0) / wx->dx, ft = (t_s - wx->t0_s) / wx->dt_s;
    fx = fmin(fmax(fx, 0.0), (double)(wx->nx - 1) - 1e-9);
    fy = fmin(fmax(fy, 0.0), (double)(wx->ny - 1) - 1e-9);
    if (!(ft >= 0.0 && ft <= (double)(wx->nt - 1) - 1e-9)) {
        tl__wx_exact(wx, x, y, t_s, o);
        return;
    }
    size_t ix = (size_t)fx, iy = (size_t)fy, it = (size_t)ft;
    double ax = fx - (double)ix, ay = fy - (double)iy, at = ft - (double)it;
    const float *f[4] = {wx->temp, wx->u, wx->v, wx->rh};
    double r[4];
    for (int k = 0; k < 4; k++) {
        double acc = 0.0;
        for (int dt = 0; dt < 2; dt++) {
            double wt = dt ? at : 1.0 - at;
            size_t base = (it + (size_t)dt) * wx->ny * wx->nx;
            double a00 = f[k][base + iy * wx->nx + ix];
            double a01 = f[k][base + iy * wx->nx + ix + 1];
            double a10 = f[k][base + (iy + 1) * wx->nx + ix];
            double a11 = f[k][base + (iy + 1) * wx->nx + ix + 1];
            acc += wt * ((1.0 - ay) * ((1.0 - ax) * a00 + ax * a01) +
                         ay * ((1.0 - ax) * a10 + ax * a11));
        }
        r[k] = acc;
    }
    o->temp_c = r[0];
    o->u_mps = r[1];
    o->v_mps = r[2];
    o->rh_pct = r[3];
}

void
tl__wx_vertical(const struct tl__weather *wx, double t_s, double wind_mps, struct wx_vertical *o)
{
    double st = tl__wx_stability(wx, t_s);
    double ins = tl__wx_insolation(wx, t_s);
    double mix = 1.0 / (1.0 + (wind_mps / 4.0) * (wind_mps / 4.0)); /* wind mixes out inversions */
    double day = -0.008 - 0.027 * ins;
    double night = 0.003 + 0.05 * (1.0 - wx->cloud) * mix;
    o->dtdz_k_per_m = (1.0 - st) * day + st * night;
    o->shear_per_s = 0.0125 + 0.03 * st;
    o->mu2 = (1.0 - st) * (1e-6 + 5e-6 * ins) + st * 3e-7 +
             2e-7 * wind_mps * wind_mps * (1.0 - 0.5 * st);
    o->duct_m = 120.0 + st * (wx->duct_night_m - 120.0);
}

void
tl__wx_noise_parts(const struct tl__weather *wx, double t_s, double wind_mps, double *amb_pa,
                   double *wind_pa)
{
    double h = tl__wx_local_hour(wx, t_s);
    double activity = fmax(0.0, sin(M_PI * (h - 5.0) / 14.0)); /* 05 h to 19 h */
    *amb_pa = (0.006 + 0.014 * activity) * wx->ambient_factor;
    *wind_pa = 0.001 * wind_mps * wind_mps;
}

double
tl__wx_noise_pa(const struct tl__weather *wx, double t_s, double wind_mps)
{
    double amb, wn;
    tl__wx_noise_parts(wx, t_s, wind_mps, &amb, &wn);
    return sqrt(amb * amb + wn * wn);
}

double
tl__sound_speed_moist(double temp_c, double rh_pct, double pressure_hpa)
{
    /* Virtual temperature: T (1 + 0.61 q), q from the Magnus saturation pressure. */
    double es = 6.112 * exp(17.62 * temp_c / (243.12 + temp_c));
    double e = es * fmin(fmax(rh_pct, 0.0), 100.0) / 100.0;
    double q = 0.622 * e / fmax(pressure_hpa - 0.378 * e, 100.0);
    double tv_k = (temp_c + 273.15) * (1.0 + 0.61 * q);
    return 20.05 * sqrt(tv_k);
}

static void
make_waves(struct rng *r, struct wx_wave *w, double amp_lo, double amp_hi)
{
    for (int i = 0; i < WX_WAVES; i++) {
        double lambda = rng_range(r, 15000.0, 90000.0);
        double dir = rng_range(r, 0.0, 2.0 * M_PI);
        w[i].kx = 2.0 * M_PI / lambda * sin(dir);
        w[i].ky = 2.0 * M_PI / lambda * cos(dir);
        w[i].amp = rng_range(r, amp_lo, amp_hi);
        w[i].phase = rng_range(r, 0.0, 2.0 * M_PI);
    }
}

int
tl__wx_init(struct tl__weather *wx, const struct tl__preset *p, uint64_t seed, double lon_deg,
            tl_time_ns start_ns, double hours, double xmin, double xmax, double ymin, double ymax)
{
    memset(wx, 0, sizeof(*wx));
    struct rng r;
    rng_seed(&r, seed, STREAM_WEATHER);
    double utc_h = (double)((start_ns / TL_NS_PER_S) % 86400) / 3600.0;
    wx->hour0 = wrap24(utc_h + lon_deg / 15.0);
    wx->cloud = fmin(1.0, fmax(0.0, p->cloud + rng_range(&r, -0.15, 0.15)));
    /* A March day in the steppe: mean 0-8 C. */
    wx->t_mean_c = rng_range(&r, 0.0, 8.0);
    wx->diurnal_k = rng_range(&r, 3.0, 6.0) * (1.0 - 0.6 * wx->cloud);
    wx->trend_k_per_day = rng_range(&r, -2.0, 2.0);
    double gdir = rng_range(&r, 0.0, 2.0 * M_PI);
    double gmag = rng_range(&r, 0.5, 2.0) / 100000.0;
    wx->gx = gmag * sin(gdir);
    wx->gy = gmag * cos(gdir);
    make_waves(&r, wx->tw, 0.2, 0.6);
    make_waves(&r, wx->uw, 0.2, 0.5);
    make_waves(&r, wx->vw, 0.2, 0.5);
    wx->wind0_mps = rng_range(&r, p->wind_lo_mps, p->wind_hi_mps);
    /* Prevailing westerlies more often than not. */
    double from_deg = rng_bern(&r, 0.6) ? rng_range(&r, 200.0, 320.0) : rng_range(&r, 0.0, 360.0);
    wx->wind_dir_to_rad = fmod(from_deg + 180.0, 360.0) * M_PI / 180.0;
    wx->speed_grad = rng_range(&r, -0.15, 0.15) / 100000.0;
    wx->rh0 = rng_range(&r, 65.0, 85.0);
    wx->p_sl_hpa = rng_range(&r, 1003.0, 1023.0);
    wx->p_trend_hpa_per_day = rng_range(&r, -4.0, 4.0);
    wx->duct_night_m = rng_range(&r, 80.0, 250.0);
    wx->ambient_factor = p->ambient_factor;
    wx->front = rng_bern(&r, p->front_p);
    {
        /* Drawn even without a front, so the other draws do not depend on it. */
        double move = wx->wind_dir_to_rad + rng_range(&r, -0.7, 0.7);
        wx->front_nx = sin(move);
        wx->front_ny = cos(move);
        wx->front_speed_mps = rng_range(&r, 6.0, 12.0);
        wx->front_t_s = rng_range(&r, 0.2, 0.8) * hours * 3600.0;
        wx->front_width_m = rng_range(&r, 5000.0, 15000.0);
        wx->front_x = 0.5 * (xmin + xmax);
        wx->front_y = 0.5 * (ymin + ymax);
        wx->front_dt_k = -rng_range(&r, 2.0, 6.0);
        wx->front_veer_rad = rng_range(&r, 30.0, 90.0) * M_PI / 180.0;
        wx->front_speed_factor = rng_range(&r, 1.2, 1.6);
        wx->front_dp_hpa = rng_range(&r, 2.0, 5.0);
    }

    /* The grid. */
    wx->dx = GRID_DX_M;
    wx->x0 = xmin - 45000.0;
    wx->y0 = ymin - 45000.0;
    wx->nx = (size_t)((xmax - xmin + 90000.0) / GRID_DX_M) + 2;
    wx->ny = (size_t)((ymax - ymin + 90000.0) / GRID_DX_M) + 2;
    wx->dt_s = GRID_DT_S;
    wx->t0_s = -3600.0;
    wx->nt = (size_t)((hours * 3600.0 + 3.0 * 3600.0 + 3600.0) / GRID_DT_S) + 2;
    size_t n = wx->nx * wx->ny * wx->nt;
    if (wx->nx > 1000 || wx->ny > 1000 || n > GRID_MAX) {
        return TL_ETOOBIG;
    }
    wx->temp = tl_malloc(n * sizeof(float));
    wx->u = tl_malloc(n * sizeof(float));
    wx->v = tl_malloc(n * sizeof(float));
    wx->rh = tl_malloc(n * sizeof(float));
    if (!wx->temp || !wx->u || !wx->v || !wx->rh) {
        tl__wx_fini(wx);
        return TL_ENOMEM;
    }
    for (size_t it = 0; it < wx->nt; it++) {
        double t = wx->t0_s + (double)it * wx->dt_s;
        for (size_t iy = 0; iy < wx->ny; iy++) {
            for (size_t ix = 0; ix < wx->nx; ix++) {
                struct wx_point o;
                tl__wx_exact(wx, wx->x0 + (double)ix * wx->dx, wx->y0 + (double)iy * wx->dx, t,
                             &o);
                size_t k = (it * wx->ny + iy) * wx->nx + ix;
                wx->temp[k] = (float)o.temp_c;
                wx->u[k] = (float)o.u_mps;
                wx->v[k] = (float)o.v_mps;
                wx->rh[k] = (float)o.rh_pct;
            }
        }
    }
    return TL_OK;
}

void
tl__wx_fini(struct tl__weather *wx)
{
    tl_free(wx->temp);
    tl_free(wx->u);
    tl_free(wx->v);
    tl_free(wx->rh);
    wx->temp = wx->u = wx->v = wx->rh = NULL;
}
