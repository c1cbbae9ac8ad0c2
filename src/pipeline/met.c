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
 * The scatter of the stations' values around their mean is kept: it measures
 * how much the weather varies across the tile and so how far the interpolated
 * field can be off between stations.  The locator uses it for the prior width
 * of its joint wind and temperature correction and for the path-to-path part
 * of the met error in each pick's uncertainty.
 */
#include "pipeline_priv.h"

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

int
tl__metfield_init(struct tl__metfield *f, const struct tl_pipeline *p, size_t tile, tl_time_ns t_ns)
{
    memset(f, 0, sizeof(*f));
    const struct tl__tile *tl = &p->tiles[tile];
    f->p = p;
    f->tile = tl;
    f->t_ns = t_ns;
    size_t n = tl->n_stations;
    f->xy = tl_malloc((n + 1) * sizeof(*f->xy));
    f->temp_c = tl_malloc((n + 1) * sizeof(double));
    f->we = tl_malloc((n + 1) * sizeof(double));
    f->wn = tl_malloc((n + 1) * sizeof(double));
    f->has_temp = tl_malloc((n + 1) * sizeof(bool));
    f->has_wind = tl_malloc((n + 1) * sizeof(bool));
    if (!f->xy || !f->temp_c || !f->we || !f->wn || !f->has_temp || !f->has_wind) {
        tl__metfield_fini(f);
        return TL_ENOMEM;
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
    /* Between stations the interpolated wind errs by about half the stations' scatter
     * around their mean; never less than an anemometer's own error (0.3 m/s), and 2 m/s
     * when no station reports wind at all. */
    f->path_wind_sigma_mps = nw ? fmax(0.3, 0.5 * f->spread_wind_mps) : 2.0;
    return TL_OK;
}

void
tl__metfield_fini(struct tl__metfield *f)
{
    tl_free(f->xy);
    tl_free(f->temp_c);
    tl_free(f->we);
    tl_free(f->wn);
    tl_free(f->has_temp);
    tl_free(f->has_wind);
    memset(f, 0, sizeof(*f));
}

void
tl__metfield_at(const struct tl__metfield *f, double x, double y, double *temp_c, double *we,
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
