/*
 * ballistics.c - weapon classes and the time-of-flight model.
 *
 * The model is the one of research/acoustics.md section 6.1, rebuilt here:
 *
 *   - a point mass in a vertical plane over a flat Earth, gravity 9.80665,
 *     drag D = 1/2 rho v^2 Cd(M) i A, integrated with classical RK4 at 0.25 s
 *     (the ground crossing is interpolated linearly inside the last step);
 *   - the ISA atmosphere (ICAO Doc 7488): T = 288.15 - 0.0065 z up to 11 km
 *     and 216.65 K above, rho = 1.225 (T/288.15)^4.2559 in the troposphere and
 *     an exponential decay with a 6,341.6 m scale height above; the Mach
 *     number uses the local speed of sound;
 *   - a generic drag curve for spin-stabilised shells and rockets (Cd 0.13
 *     subsonic, peaking at 0.38 at M 1.1, 0.25 at M 2.5: the G-curve shape of
 *     McCoy, "Modern Exterior Ballistics", 1999, chapter 2) and a fin-stabilised
 *     curve for mortar bombs (higher subsonic drag, a stronger transonic rise);
 *   - a form factor i per class, found once by solving "the model's maximum
 *     range at full charge equals the published maximum range" (secant on
 *     log i; golden-section search over the elevation for the maximum range);
 *   - standard charges as fractions of the full-charge muzzle velocity
 *     (crews use the lowest charge that reaches, up to 90% of its maximum
 *     range, where dispersion is still small; that is why a 152 mm shell at
 *     10 km flies 26-31 s rather than the 17 s of full charge, section 6.1);
 *   - the Grad rocket is crudely taken as ballistic from a 690 m/s burnout at
 *     the launcher, as in the research note.
 *
 * Weapon data (calibre, projectile mass, muzzle velocity, maximum range,
 * explosive fill): 82 mm 2B14 mortar, O-832 bomb (3.1 kg, 211 m/s, 4.1 km,
 * ~0.4 kg TNT); 120 mm mortar, OF-843 bomb (15.9 kg, 318 m/s, 7.2 km, ~2.5 kg,
 * research section 6.1); 122 mm D-30 howitzer, OF-462 (21.8 kg, 690 m/s,
 * 15.4 km, 3.6 kg); 152 mm 2A65 howitzer, OF-45 (43.6 kg, 810 m/s, 24.7 km,
 * ~7 kg, research section 2.2); 122 mm Grad 9M22U rocket (about 46 kg after
 * burnout, 690 m/s, 20.4 km [S31], 6.4 kg).  Figures beyond the research note
 * are common-knowledge values ([K] in its terms), enough for a planning model
 * whose stated accuracy is +-15%.
 *
 * Tables: for every class and charge, the flight is computed at elevations
 * 1 to 88 degrees every degree, plus elevation 0 and the exact maximum-range elevation;
 * range rises with elevation to that maximum (the low-angle branch) and falls
 * after it (the high-angle branch), and a look-up interpolates the time of
 * flight linearly in range on the branch asked for.  The tables live in static
 * storage (no allocation, so nothing can fail) and are built once, on first
 * use, under pthread_once; about 2,300 flights, about 0.1 s.
 */
#include "ballistics.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#define G_MPS2     9.80665
#define DT_S       0.25
#define MAX_CHARGE 6
#define ELEV_STEP  1.0
#define ELEV_N     88 /* 1 .. 88 */
#define TAB_N      (ELEV_N + 2) /* plus elevation 0 and the maximum-range elevation */
#define ATM_STEP_M 100.0
#define ATM_N      401 /* 0 .. 40 km */
#define TOF_SPREAD 0.15
/* A reduced charge is used up to this fraction of its maximum range (beyond it,
 * dispersion grows and crews take the next charge up). */
#define CHARGE_USE_FRAC 0.9

enum drag_curve { DRAG_SHELL = 0, DRAG_MORTAR = 1 };

struct weapon_model {
    struct tl_weapon_info info;
    double diam_m, mass_kg;
    enum drag_curve drag;
    double elev_lo_deg, elev_hi_deg; /* how the class is fired */
    size_t n_charges;
    double charge_frac[MAX_CHARGE]; /* muzzle velocity / full-charge muzzle velocity */
};

static const struct weapon_model MODELS[TL_WEAPON_COUNT] = {
    {{"mortar_82", 500.0, 4100.0, 211.0, false, true, 0.4},
     0.082, 3.1, DRAG_MORTAR, 45.0, 85.0, 4, {1.0, 0.84, 0.69, 0.55}},
    {{"mortar_120", 500.0, 7200.0, 318.0, false, true, 2.5},
     0.120, 15.9, DRAG_MORTAR, 45.0, 85.0, 6, {1.0, 0.88, 0.76, 0.64, 0.53, 0.43}},
    {{"howitzer_122", 4000.0, 15400.0, 690.0, true, false, 3.6},
     0.1219, 21.76, DRAG_SHELL, 0.0, 70.0, 5, {1.0, 0.81, 0.67, 0.55, 0.45}},
    {{"howitzer_152", 4000.0, 24700.0, 810.0, true, false, 7.0},
     0.152, 43.56, DRAG_SHELL, 0.0, 70.0, 6, {1.0, 0.83, 0.70, 0.58, 0.48, 0.40}},
    {{"mlrs_122", 5000.0, 20400.0, 690.0, true, false, 6.4},
     0.122, 46.0, DRAG_SHELL, 0.0, 55.0, 1, {1.0}},
};

/* ------------------------------------------------------------- drag ---- */

struct cd_point {
    double mach, cd;
};

static const struct cd_point CD_SHELL[] = {
    {0.0, 0.130},  {0.70, 0.130}, {0.85, 0.142}, {0.95, 0.200}, {1.05, 0.350}, {1.10, 0.380},
    {1.30, 0.362}, {1.60, 0.330}, {2.00, 0.290}, {2.50, 0.250}, {3.50, 0.220}, {9.0, 0.200},
};

static const struct cd_point CD_MORTAR[] = {
    {0.0, 0.150},  {0.60, 0.150}, {0.80, 0.165}, {0.90, 0.210}, {1.00, 0.380},
    {1.10, 0.430}, {1.40, 0.410}, {2.00, 0.350}, {9.0, 0.300},
};

static double
cd_of(enum drag_curve curve, double mach)
{
    const struct cd_point *t = curve == DRAG_MORTAR ? CD_MORTAR : CD_SHELL;
    size_t n = curve == DRAG_MORTAR ? sizeof(CD_MORTAR) / sizeof(CD_MORTAR[0])
                                    : sizeof(CD_SHELL) / sizeof(CD_SHELL[0]);
    if (mach <= t[0].mach) {
        return t[0].cd;
    }
    for (size_t i = 1; i < n; i++) {
        if (mach <= t[i].mach) {
            double f = (mach - t[i - 1].mach) / (t[i].mach - t[i - 1].mach);
            return t[i - 1].cd + f * (t[i].cd - t[i - 1].cd);
        }
    }
    return t[n - 1].cd;
}

/* ------------------------------------------------------ atmosphere ---- */

/* ISA density and speed of sound by height, tabulated every 100 m. */
static double g_rho[ATM_N];
static double g_csnd[ATM_N];

static void
atm_build(void)
{
    for (size_t i = 0; i < ATM_N; i++) {
        double z = (double)i * ATM_STEP_M;
        double t_k, rho;
        if (z <= 11000.0) {
            t_k = 288.15 - 0.0065 * z;
            rho = 1.225 * pow(t_k / 288.15, 4.2559);
        } else {
            t_k = 216.65;
            rho = 1.225 * pow(216.65 / 288.15, 4.2559) * exp(-(z - 11000.0) / 6341.6);
        }
        g_rho[i] = rho;
        g_csnd[i] = 20.05 * sqrt(t_k);
    }
}

static void
atm_at(double z_m, double *rho, double *c_mps)
{
    double u = z_m / ATM_STEP_M;
    if (u <= 0.0) {
        *rho = g_rho[0];
        *c_mps = g_csnd[0];
        return;
    }
    if (u >= (double)(ATM_N - 1)) {
        *rho = g_rho[ATM_N - 1];
        *c_mps = g_csnd[ATM_N - 1];
        return;
    }
    size_t i = (size_t)u;
    double f = u - (double)i;
    *rho = g_rho[i] + f * (g_rho[i + 1] - g_rho[i]);
    *c_mps = g_csnd[i] + f * (g_csnd[i + 1] - g_csnd[i]);
}

/* ------------------------------------------------------ integrator ---- */

struct body {
    double k;               /* i * A / (2 m): drag acceleration = k rho Cd v^2 */
    enum drag_curve curve;
};

static void
deriv(const struct body *b, const double s[4], double d[4])
{
    double rho, c;
    atm_at(s[1], &rho, &c);
    double v = sqrt(s[2] * s[2] + s[3] * s[3]);
    double a = b->k * rho * cd_of(b->curve, v / c) * v; /* times the velocity component */
    d[0] = s[2];
    d[1] = s[3];
    d[2] = -a * s[2];
    d[3] = -a * s[3] - G_MPS2;
}

static void
rk4(const struct body *b, double s[4], double dt)
{
    double k1[4], k2[4], k3[4], k4[4], t[4];
    deriv(b, s, k1);
    for (int i = 0; i < 4; i++) {
        t[i] = s[i] + 0.5 * dt * k1[i];
    }
    deriv(b, t, k2);
    for (int i = 0; i < 4; i++) {
        t[i] = s[i] + 0.5 * dt * k2[i];
    }
    deriv(b, t, k3);
    for (int i = 0; i < 4; i++) {
        t[i] = s[i] + dt * k3[i];
    }
    deriv(b, t, k4);
    for (int i = 0; i < 4; i++) {
        s[i] += dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
}

/*
 * Fly from the origin at speed v0 and elevation elev (radians) until the
 * projectile comes back to z = 0.  Range and time of flight out; when `pts`
 * is given, a point every `dt` (the last one the interpolated crossing).
 */
static void
fly(const struct body *b, double v0, double elev, double dt, double *range_m, double *tof_s,
    struct tl__traj_pt *pts, size_t cap, size_t *n)
{
    double s[4] = {0.0, 0.0, v0 * cos(elev), v0 * sin(elev)};
    double t = 0.0;
    size_t np = 0;
    for (;;) {
        if (pts && np < cap) {
            double rho, c;
            atm_at(s[1], &rho, &c);
            pts[np].t_s = t;
            pts[np].x_m = s[0];
            pts[np].z_m = s[1];
            pts[np].vx_mps = s[2];
            pts[np].vz_mps = s[3];
            pts[np].v_mps = sqrt(s[2] * s[2] + s[3] * s[3]);
            pts[np].c_mps = c;
            np++;
        }
        double prev[4];
        memcpy(prev, s, sizeof(prev));
        rk4(b, s, dt);
        t += dt;
        if (s[1] < 0.0 && s[3] < 0.0) {
            double f = prev[1] / (prev[1] - s[1]);
            double x = prev[0] + f * (s[0] - prev[0]);
            double tt = t - dt + f * dt;
            *range_m = x;
            *tof_s = tt;
            if (pts && np < cap) {
                double vx = prev[2] + f * (s[2] - prev[2]);
                double vz = prev[3] + f * (s[3] - prev[3]);
                pts[np].t_s = tt;
                pts[np].x_m = x;
                pts[np].z_m = 0.0;
                pts[np].vx_mps = vx;
                pts[np].vz_mps = vz;
                pts[np].v_mps = sqrt(vx * vx + vz * vz);
                pts[np].c_mps = g_csnd[0];
                np++;
            }
            break;
        }
        if (t > 600.0) { /* cannot happen for these classes; a guard */
            *range_m = s[0];
            *tof_s = t;
            break;
        }
    }
    if (n) {
        *n = np;
    }
}

/* ---------------------------------------------------------- tables ---- */

struct charge_table {
    size_t n;                 /* samples */
    size_t peak;              /* index of the maximum range */
    double elev_deg[TAB_N];
    double range_m[TAB_N];
    double tof_s[TAB_N];
};

struct weapon_table {
    double form;              /* calibrated form factor i */
    struct charge_table ch[MAX_CHARGE];
};

static struct weapon_table g_tab[TL_WEAPON_COUNT];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static struct body
body_of(const struct weapon_model *m, double form)
{
    double area = M_PI * m->diam_m * m->diam_m / 4.0;
    struct body b = {form * area / (2.0 * m->mass_kg), m->drag};
    return b;
}

/* Golden-section search for the elevation of maximum range. */
static void
max_range(const struct body *b, double v0, double *elev_deg, double *range_m, double *tof_s)
{
    const double gr = (sqrt(5.0) - 1.0) / 2.0;
    double lo = 15.0, hi = 65.0;
    double x1 = hi - gr * (hi - lo), x2 = lo + gr * (hi - lo);
    double r1, r2, t1, t2;
    fly(b, v0, x1 * M_PI / 180.0, DT_S, &r1, &t1, NULL, 0, NULL);
    fly(b, v0, x2 * M_PI / 180.0, DT_S, &r2, &t2, NULL, 0, NULL);
    while (hi - lo > 0.005) {
        if (r1 > r2) {
            hi = x2;
            x2 = x1;
            r2 = r1;
            x1 = hi - gr * (hi - lo);
            fly(b, v0, x1 * M_PI / 180.0, DT_S, &r1, &t1, NULL, 0, NULL);
        } else {
            lo = x1;
            x1 = x2;
            r1 = r2;
            x2 = lo + gr * (hi - lo);
            fly(b, v0, x2 * M_PI / 180.0, DT_S, &r2, &t2, NULL, 0, NULL);
        }
    }
    double e = 0.5 * (lo + hi);
    fly(b, v0, e * M_PI / 180.0, DT_S, range_m, tof_s, NULL, 0, NULL);
    *elev_deg = e;
}

/* The form factor that makes the full-charge maximum range the published one. */
static double
calibrate(const struct weapon_model *m)
{
    double target = m->info.max_range_m;
    double la = log(0.5), lb = log(2.0);
    double e, r, t;
    struct body b = body_of(m, exp(la));
    max_range(&b, m->info.muzzle_mps, &e, &r, &t);
    double fa = log(r / target);
    b = body_of(m, exp(lb));
    max_range(&b, m->info.muzzle_mps, &e, &r, &t);
    double fb = log(r / target);
    for (int it = 0; it < 40 && fabs(fb) > 1e-5; it++) {
        double lc = fb != fa ? lb - fb * (lb - la) / (fb - fa) : lb + 0.1;
        lc = fmin(fmax(lc, log(0.01)), log(100.0));
        la = lb;
        fa = fb;
        lb = lc;
        b = body_of(m, exp(lb));
        max_range(&b, m->info.muzzle_mps, &e, &r, &t);
        fb = log(r / target);
    }
    return exp(lb);
}

static void
build_charge(const struct body *b, double v0, struct charge_table *ct)
{
    double pe, pr, pt;
    max_range(b, v0, &pe, &pr, &pt);
    /* Elevation 0 flies nowhere: the low branch starts at range 0, time 0. */
    ct->elev_deg[0] = 0.0;
    ct->range_m[0] = 0.0;
    ct->tof_s[0] = 0.0;
    size_t n = 1;
    bool placed = false;
    for (size_t j = 0; j < ELEV_N; j++) {
        double e = ELEV_STEP * (double)(j + 1);
        if (!placed && e >= pe) {
            ct->elev_deg[n] = pe;
            ct->range_m[n] = pr;
            ct->tof_s[n] = pt;
            ct->peak = n++;
            placed = true;
            if (e - pe < 1e-9) {
                continue;
            }
        }
        double r, t;
        fly(b, v0, e * M_PI / 180.0, DT_S, &r, &t, NULL, 0, NULL);
        /* Keep the branches monotone where a grid sample straddles the peak. */
        r = fmin(r, pr);
        ct->elev_deg[n] = e;
        ct->range_m[n] = r;
        ct->tof_s[n] = t;
        n++;
    }
    ct->n = n;
}

static void
build_all(void)
{
    atm_build();
    for (size_t w = 0; w < TL_WEAPON_COUNT; w++) {
        const struct weapon_model *m = &MODELS[w];
        g_tab[w].form = calibrate(m);
        struct body b = body_of(m, g_tab[w].form);
        for (size_t c = 0; c < m->n_charges; c++) {
            build_charge(&b, m->info.muzzle_mps * m->charge_frac[c], &g_tab[w].ch[c]);
        }
    }
}

static void
ensure_tables(void)
{
    pthread_once(&g_once, build_all);
}

/*
 * Time of flight on one branch of one charge's table, restricted to
 * elevations in [elo, ehi].  Returns false when the range is not reached.
 */
static bool
lookup(const struct charge_table *ct, double range_m, bool high, double elo, double ehi,
       double *tof_s, double *elev_deg)
{
    size_t a = high ? ct->peak : 0;
    size_t z = high ? ct->n - 1 : ct->peak;
    for (size_t j = a; j < z; j++) {
        double r0 = ct->range_m[j], r1 = ct->range_m[j + 1];
        double rlo = fmin(r0, r1), rhi = fmax(r0, r1);
        if (range_m < rlo || range_m > rhi) {
            continue;
        }
        double f = rhi > rlo ? (range_m - r0) / (r1 - r0) : 0.0;
        double e = ct->elev_deg[j] + f * (ct->elev_deg[j + 1] - ct->elev_deg[j]);
        if (e < elo - 1e-9 || e > ehi + 1e-9) {
            continue;
        }
        *tof_s = ct->tof_s[j] + f * (ct->tof_s[j + 1] - ct->tof_s[j]);
        if (elev_deg) {
            *elev_deg = e;
        }
        return true;
    }
    return false;
}

/* ---------------------------------------------------------- public ---- */

const struct tl_weapon_info *
tl_weapon_get(enum tl_weapon w)
{
    if ((int)w < 0 || w >= TL_WEAPON_COUNT) {
        return NULL;
    }
    return &MODELS[w].info;
}

enum tl_weapon
tl_weapon_from_name(const char *name)
{
    if (!name) {
        return TL_WEAPON_UNKNOWN;
    }
    for (int w = 0; w < TL_WEAPON_COUNT; w++) {
        if (strcmp(name, MODELS[w].info.name) == 0) {
            return (enum tl_weapon)w;
        }
    }
    return TL_WEAPON_UNKNOWN;
}

size_t
tl_weapon_charges(enum tl_weapon w)
{
    if ((int)w < 0 || w >= TL_WEAPON_COUNT) {
        return 0;
    }
    return MODELS[w].n_charges;
}

void
tl__weapon_elev_limits(enum tl_weapon w, double *lo_deg, double *hi_deg)
{
    if ((int)w < 0 || w >= TL_WEAPON_COUNT) {
        *lo_deg = 0.0;
        *hi_deg = 90.0;
        return;
    }
    *lo_deg = MODELS[w].elev_lo_deg;
    *hi_deg = MODELS[w].elev_hi_deg;
}

int
tl_max_range_m(enum tl_weapon w, size_t charge, double *range_m)
{
    if ((int)w < 0 || w >= TL_WEAPON_COUNT || charge >= MODELS[w].n_charges || !range_m) {
        return TL_EINVAL;
    }
    ensure_tables();
    const struct charge_table *ct = &g_tab[w].ch[charge];
    *range_m = ct->range_m[ct->peak];
    return TL_OK;
}

int
tl_tof_charge_s(enum tl_weapon w,
                size_t charge,
                double range_m,
                bool high_angle,
                double *tof_s,
                double *elev_deg)
{
    if ((int)w < 0 || w >= TL_WEAPON_COUNT || charge >= MODELS[w].n_charges || !tof_s ||
        !(range_m >= 0.0)) {
        return TL_EINVAL;
    }
    ensure_tables();
    double t, e;
    if (!lookup(&g_tab[w].ch[charge], range_m, high_angle, 0.0, 90.0, &t, &e)) {
        return TL_ERANGE;
    }
    *tof_s = t;
    if (elev_deg) {
        *elev_deg = e;
    }
    return TL_OK;
}

int
tl_tof_s(enum tl_weapon w, double range_m, bool high_angle, double *tof_s)
{
    if ((int)w < 0 || w >= TL_WEAPON_COUNT || !tof_s || !(range_m >= 0.0)) {
        return TL_EINVAL;
    }
    ensure_tables();
    const struct weapon_model *m = &MODELS[w];
    for (size_t k = m->n_charges; k-- > 0;) {
        const struct charge_table *ct = &g_tab[w].ch[k];
        double t;
        if (k > 0 && range_m > CHARGE_USE_FRAC * ct->range_m[ct->peak]) {
            continue;
        }
        if (lookup(ct, range_m, high_angle, m->elev_lo_deg, m->elev_hi_deg, &t, NULL)) {
            *tof_s = t;
            return TL_OK;
        }
    }
    return TL_ERANGE;
}

/* Min and max over every charge and branch the class uses; false if none. */
static bool
class_bounds(enum tl_weapon w, double range_m, double *lo, double *hi)
{
    const struct weapon_model *m = &MODELS[w];
    bool any = false;
    for (size_t k = 0; k < m->n_charges; k++) {
        for (int branch = 0; branch < 2; branch++) {
            double t;
            if (lookup(&g_tab[w].ch[k], range_m, branch == 1, m->elev_lo_deg, m->elev_hi_deg,
                       &t, NULL)) {
                *lo = any ? fmin(*lo, t) : t;
                *hi = any ? fmax(*hi, t) : t;
                any = true;
            }
        }
    }
    return any;
}

int
tl_tof_bounds_s(enum tl_weapon w, double range_m, double *min_s, double *max_s)
{
    if (!min_s || !max_s || !(range_m >= 0.0)) {
        return TL_EINVAL;
    }
    if (w != TL_WEAPON_UNKNOWN && ((int)w < 0 || w >= TL_WEAPON_COUNT)) {
        return TL_EINVAL;
    }
    ensure_tables();
    double lo = 0.0, hi = 0.0;
    bool any = false;
    for (int k = 0; k < TL_WEAPON_COUNT; k++) {
        if (w != TL_WEAPON_UNKNOWN && k != (int)w) {
            continue;
        }
        double a, b;
        if (class_bounds((enum tl_weapon)k, range_m, &a, &b)) {
            lo = any ? fmin(lo, a) : a;
            hi = any ? fmax(hi, b) : b;
            any = true;
        }
    }
    if (!any) {
        return TL_ERANGE;
    }
    *min_s = lo * (1.0 - TOF_SPREAD);
    *max_s = hi * (1.0 + TOF_SPREAD);
    return TL_OK;
}

int
tl__trajectory(enum tl_weapon w,
               size_t charge,
               double elev_deg,
               double dt_s,
               struct tl__traj_pt *pts,
               size_t cap,
               size_t *n)
{
    if ((int)w < 0 || w >= TL_WEAPON_COUNT || charge >= MODELS[w].n_charges || !pts || !n ||
        cap < 2 || !(dt_s >= 0.01) || !(elev_deg > 0.0 && elev_deg < 90.0)) {
        return TL_EINVAL;
    }
    ensure_tables();
    const struct weapon_model *m = &MODELS[w];
    struct body b = body_of(m, g_tab[w].form);
    double r, t;
    fly(&b, m->info.muzzle_mps * m->charge_frac[charge], elev_deg * M_PI / 180.0, dt_s, &r, &t,
        pts, cap, n);
    return TL_OK;
}
