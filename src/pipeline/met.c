/*
 * met.c - the weather between the stations, from their met records.
 *
 * Each station reports temperature and wind every few minutes.  For a time t
 * the station's values are interpolated linearly between its two samples that
 * bracket t (up to 40 minutes apart), or taken from the nearest sample within
 * an hour; older data are not used.  Between stations the field is the
 * inverse-distance-weighted mean, w_i = 1 / (d_i^2 + L^2) with L = 3 km, so
 * that a single station does not dominate at its own foot.  Along a sound path
 * the effective temperature and wind are the mean of the field at the source,
 * at one and two thirds of the way, and at the station: sound integrates the
 * weather along its path (research/acoustics.md section 3.1-3.4), and a
 * straight-path average is the first-order form of that integral.
 *
 * The field is built once per tile and 10-minute slot (met records come every
 * 10 minutes) on a 2 km grid and interpolated bilinearly, so the locator can
 * ask for it along every path at no cost.
 *
 * The scatter of the stations' values around their mean is kept: it measures
 * how much the weather varies across the tile and so how far the interpolated
 * field can be off between stations.  The locator uses it for the prior width
 * of its joint wind and temperature correction.
 */
#include "pipeline_priv.h"

#include <truceline/time.h>

#include <math.h>
#include <string.h>

#define MAX_GAP_NS    (40 * 60 * TL_NS_PER_S)
#define MAX_NEAREST_NS (60 * 60 * TL_NS_PER_S)
#define IDW_L2_M2     (3000.0 * 3000.0)

/* Station `s`'s sample at time t; false when it has none close enough. */
static bool
station_at(const struct tl_pipeline *p, size_t s, tl_time_ns t, double *temp, double *we,
           double *wn)
{
    const struct tl__sta_index *x = &p->sx[s];
    if (x->n_mets == 0) {
        return false;
    }
    /* first sample at or after t */
    size_t lo = 0, hi = x->n_mets;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->met[x->mets[mid]].t_ns < t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    const struct tl__met *a = lo > 0 ? &p->met[x->mets[lo - 1]] : NULL;
    const struct tl__met *b = lo < x->n_mets ? &p->met[x->mets[lo]] : NULL;
    if (a && b && b->t_ns - a->t_ns <= MAX_GAP_NS) {
        double f = b->t_ns == a->t_ns ? 0.0 : (double)(t - a->t_ns) / (double)(b->t_ns - a->t_ns);
        /* a missing value in one sample falls back to the other */
        double ta = isnan(a->temp_c) ? b->temp_c : a->temp_c;
        double tb = isnan(b->temp_c) ? a->temp_c : b->temp_c;
        double ea = isnan(a->wind_e_mps) ? b->wind_e_mps : a->wind_e_mps;
        double eb = isnan(b->wind_e_mps) ? a->wind_e_mps : b->wind_e_mps;
        double na = isnan(a->wind_n_mps) ? b->wind_n_mps : a->wind_n_mps;
        double nb = isnan(b->wind_n_mps) ? a->wind_n_mps : b->wind_n_mps;
        *temp = ta + f * (tb - ta);
        *we = ea + f * (eb - ea);
        *wn = na + f * (nb - na);
        return true;
    }
    const struct tl__met *c = NULL;
    if (a && t - a->t_ns <= MAX_NEAREST_NS) {
        c = a;
    }
    if (b && b->t_ns - t <= MAX_NEAREST_NS && (!c || b->t_ns - t < t - a->t_ns)) {
        c = b;
    }
    if (!c) {
        return false;
    }
    *temp = c->temp_c;
    *we = c->wind_e_mps;
    *wn = c->wind_n_mps;
    return true;
}

#define SLOT_NS   (600 * TL_NS_PER_S)
#define GRID_STEP 2000.0

static void
field_idw(const struct tl__metfield *f, double x, double y, double *temp_c, double *we,
          double *wn)
{
    double st = 0, swt = 0, se = 0, sn = 0, sww = 0;
    for (size_t k = 0; k < f->n; k++) {
        double w = 1.0 / (tl__sq(f->xy[k][0] - x) + tl__sq(f->xy[k][1] - y) + IDW_L2_M2);
        if (f->has_temp[k]) {
            st += w * f->temp_c[k];
            swt += w;
        }
        if (f->has_wind[k]) {
            se += w * f->we[k];
            sn += w * f->wn[k];
            sww += w;
        }
    }
    *temp_c = swt > 0 ? st / swt : f->mean_temp_c;
    *we = sww > 0 ? se / sww : f->mean_we;
    *wn = sww > 0 ? sn / sww : f->mean_wn;
}

static void
field_free(struct tl__metfield *f)
{
    if (!f) {
        return;
    }
    tl_free(f->xy);
    tl_free(f->temp_c);
    tl_free(f->we);
    tl_free(f->wn);
    tl_free(f->has_temp);
    tl_free(f->has_wind);
    tl_free(f->grid);
    tl_free(f);
}

static struct tl__metfield *
field_build(const struct tl_pipeline *p, size_t tile, tl_time_ns t_ns)
{
    struct tl__metfield *f = tl_calloc(1, sizeof(*f));
    if (!f) {
        return NULL;
    }
    const struct tl__tile *tl = &p->tiles[tile];
    f->tile = tl;
    f->t_ns = t_ns;
    size_t n = tl->n_stations;
    f->xy = tl_malloc((n + 1) * sizeof(*f->xy));
    f->temp_c = tl_malloc((n + 1) * sizeof(double));
    f->we = tl_malloc((n + 1) * sizeof(double));
    f->wn = tl_malloc((n + 1) * sizeof(double));
    f->has_temp = tl_malloc((n + 1) * sizeof(bool));
    f->has_wind = tl_malloc((n + 1) * sizeof(bool));
    f->gstep = GRID_STEP;
    f->gx0 = tl->min_x;
    f->gy0 = tl->min_y;
    f->gnx = (int)ceil((tl->max_x - tl->min_x) / GRID_STEP) + 1;
    f->gny = (int)ceil((tl->max_y - tl->min_y) / GRID_STEP) + 1;
    f->grid = tl_malloc((size_t)f->gnx * (size_t)f->gny * sizeof(*f->grid));
    if (!f->xy || !f->temp_c || !f->we || !f->wn || !f->has_temp || !f->has_wind || !f->grid) {
        field_free(f);
        return NULL;
    }
    double st = 0, sw_e = 0, sw_n = 0;
    size_t nt = 0, nw = 0;
    for (size_t i = 0; i < n; i++) {
        double temp, we, wn;
        if (!station_at(p, tl->stations[i], t_ns, &temp, &we, &wn)) {
            continue;
        }
        size_t k = f->n;
        f->xy[k][0] = tl->sta_xyz[i][0];
        f->xy[k][1] = tl->sta_xyz[i][1];
        f->has_temp[k] = !isnan(temp);
        f->has_wind[k] = !isnan(we) && !isnan(wn);
        f->temp_c[k] = temp;
        f->we[k] = we;
        f->wn[k] = wn;
        if (f->has_temp[k] || f->has_wind[k]) {
            f->n++;
        }
        if (f->has_temp[k]) {
            st += temp;
            nt++;
        }
        if (f->has_wind[k]) {
            sw_e += we;
            sw_n += wn;
            nw++;
        }
    }
    f->any_temp = nt > 0;
    f->any_wind = nw > 0;
    f->mean_temp_c = nt ? st / (double)nt : 15.0;
    f->mean_we = nw ? sw_e / (double)nw : 0.0;
    f->mean_wn = nw ? sw_n / (double)nw : 0.0;
    double vt = 0, vw = 0;
    for (size_t k = 0; k < f->n; k++) {
        if (f->has_temp[k]) {
            vt += tl__sq(f->temp_c[k] - f->mean_temp_c);
        }
        if (f->has_wind[k]) {
            vw += tl__sq(f->we[k] - f->mean_we) + tl__sq(f->wn[k] - f->mean_wn);
        }
    }
    f->spread_temp_c = nt > 1 ? sqrt(vt / (double)(nt - 1)) : 0.0;
    f->spread_wind_mps = nw > 1 ? sqrt(vw / (double)(2 * (nw - 1))) : 0.0;
    for (int ix = 0; ix < f->gnx; ix++) {
        for (int iy = 0; iy < f->gny; iy++) {
            double t, e, nn;
            field_idw(f, f->gx0 + ix * GRID_STEP, f->gy0 + iy * GRID_STEP, &t, &e, &nn);
            float *g = f->grid[(size_t)ix * (size_t)f->gny + (size_t)iy];
            g[0] = (float)t;
            g[1] = (float)e;
            g[2] = (float)nn;
        }
    }
    return f;
}

const struct tl__metfield *
tl__metfield_get(struct tl_pipeline *p, size_t tile, tl_time_ns t_ns)
{
    if (!p->mfc) {
        p->mfc_from = tl_time_day_start(p->span_from) - 86400 * TL_NS_PER_S;
        p->mfc_slots = (size_t)((p->span_to - p->mfc_from) / SLOT_NS) + 2 * 144 + 2;
        p->mfc = tl_calloc(p->mfc_slots * p->n_tiles, sizeof(*p->mfc));
        if (!p->mfc) {
            return NULL;
        }
    }
    int64_t slot = (t_ns - p->mfc_from) / SLOT_NS;
    if (slot < 0) {
        slot = 0;
    }
    if ((size_t)slot >= p->mfc_slots) {
        slot = (int64_t)p->mfc_slots - 1;
    }
    const struct tl__metfield **c = &p->mfc[tile * p->mfc_slots + (size_t)slot];
    if (!*c) {
        *c = field_build(p, tile, p->mfc_from + slot * SLOT_NS + SLOT_NS / 2);
    }
    return *c;
}

void
tl__metcache_free(struct tl_pipeline *p)
{
    if (p->mfc) {
        for (size_t i = 0; i < p->mfc_slots * p->n_tiles; i++) {
            field_free((struct tl__metfield *)(uintptr_t)p->mfc[i]);
        }
    }
    tl_free(p->mfc);
    p->mfc = NULL;
    p->mfc_slots = 0;
}

void
tl__metfield_at(const struct tl__metfield *f, double x, double y, double *temp_c, double *we,
                double *wn)
{
    /* bilinear on the grid; outside it, the nearest edge */
    double fx = (x - f->gx0) / f->gstep, fy = (y - f->gy0) / f->gstep;
    fx = fmax(0.0, fmin(fx, f->gnx - 1.000001));
    fy = fmax(0.0, fmin(fy, f->gny - 1.000001));
    int ix = (int)fx, iy = (int)fy;
    double ax = fx - ix, ay = fy - iy;
    const float *g00 = f->grid[(size_t)ix * (size_t)f->gny + (size_t)iy];
    const float *g01 = g00 + 3;
    const float *g10 = f->grid[(size_t)(ix + 1) * (size_t)f->gny + (size_t)iy];
    const float *g11 = g10 + 3;
    double v[3];
    for (int k = 0; k < 3; k++) {
        v[k] = (1 - ax) * ((1 - ay) * (double)g00[k] + ay * (double)g01[k]) +
               ax * ((1 - ay) * (double)g10[k] + ay * (double)g11[k]);
    }
    *temp_c = v[0];
    *we = v[1];
    *wn = v[2];
}

void
tl__metfield_path(const struct tl__metfield *f, double x0, double y0, double x1, double y1,
                  double *temp_c, double *we, double *wn)
{
    double t = 0, e = 0, n = 0;
    for (int k = 0; k < 4; k++) {
        double a = k / 3.0, tk, ek, nk;
        tl__metfield_at(f, x0 + a * (x1 - x0), y0 + a * (y1 - y0), &tk, &ek, &nk);
        t += tk;
        e += ek;
        n += nk;
    }
    *temp_c = t / 4.0;
    *we = e / 4.0;
    *wn = n / 4.0;
}
