/*
 * tiles.c - the monitored area cut into tiles along the contact line.
 *
 * A contact line can be 1,500 km long; the work per pick must not grow with
 * it.  The line is cut by chainage (distance along it) into tiles of about
 * TILE_LEN_M.  A tile owns the points whose nearest point on the line falls in
 * its stretch, and works in its own local east-north-up frame centred on that
 * stretch, where straight-line distances are geodesic distances to
 * centimetres.  It sees the stations within reach (max_range) of its stretch,
 * so a source near a tile boundary is heard by the same stations whichever
 * tile looks at it; association keeps an event only in the tile that owns it.
 * What association learns of a tile's propagation starts from priors, or from
 * the state a run before handed over (tl_pipeline_set_learnt_start).
 */
#include "pipeline_priv.h"

#include <math.h>
#include <string.h>

#define TILE_LEN_M      60000.0
#define SEARCH_MARGIN_M 32000.0
/* Starting value of the path-to-path travel-time error before any event has shown it:
 * 1 m/s of wind not seen by the met model over a path, 1/c^2 = 8.5 ms per km (acoustics.md
 * 3.2), halved for the part the joint correction removes. */
#define PATH_ERR_PRIOR_S_PER_KM 0.004
#define CORR_SD_PRIOR_MPS 0.5 /* event-to-event scatter of the joint corrections, before learning */

/* Chainage of the nearest line point of (lat, lon), and that point's distance. */
static double
chainage_m(const struct tl_mission *m, double lat, double lon)
{
    struct tl_line_pos pos;
    tl_mission_line_pos(m, lat, lon, &pos);
    size_t n;
    const double(*v)[2] = tl_mission_line(m, &n);
    double c = 0;
    for (size_t i = 0; i < pos.segment; i++) {
        c += tl_geo_dist_m(v[i][0], v[i][1], v[i + 1][0], v[i + 1][1]);
    }
    return c + tl_geo_dist_m(v[pos.segment][0], v[pos.segment][1], pos.near_lat_deg,
                             pos.near_lon_deg);
}

/* The point at chainage c along the line. */
static void
line_point(const struct tl_mission *m, double c, double *lat, double *lon)
{
    size_t n;
    const double(*v)[2] = tl_mission_line(m, &n);
    for (size_t i = 0; i + 1 < n; i++) {
        double len, azi;
        tl_geo_inverse(v[i][0], v[i][1], v[i + 1][0], v[i + 1][1], &len, &azi, NULL);
        if (c <= len || i + 2 == n) {
            tl_geo_direct(v[i][0], v[i][1], azi, fmin(c, len), lat, lon);
            return;
        }
        c -= len;
    }
    *lat = v[0][0];
    *lon = v[0][1];
}

size_t
tl__tile_owner(const struct tl_pipeline *p, double lat_deg, double lon_deg)
{
    if (p->n_tiles <= 1) {
        return 0;
    }
    double c = chainage_m(p->m, lat_deg, lon_deg);
    for (size_t i = 0; i + 1 < p->n_tiles; i++) {
        if (c < p->tiles[i].core_to_m) {
            return i;
        }
    }
    return p->n_tiles - 1;
}

size_t
tl__tile_count(const struct tl_mission *m)
{
    size_t nt = (size_t)ceil(tl_mission_line_length_m(m) / TILE_LEN_M);
    return nt < 1 ? 1 : nt;
}

int
tl__tiles_build(struct tl_pipeline *p)
{
    double len = tl_mission_line_length_m(p->m);
    size_t nt = tl__tile_count(p->m);
    p->tiles = tl_calloc(nt, sizeof(*p->tiles));
    if (!p->tiles) {
        return TL_ENOMEM;
    }
    p->n_tiles = nt;
    size_t ns = tl_mission_station_count(p->m);
    double *sta_c = tl_malloc((ns + 1) * sizeof(double));
    if (!sta_c) {
        return TL_ENOMEM;
    }
    double mean_elev = 0;
    for (size_t s = 0; s < ns; s++) {
        const struct tl_station *st = tl_mission_station(p->m, s);
        sta_c[s] = chainage_m(p->m, st->lat_deg, st->lon_deg);
        mean_elev += st->elev_m / (double)ns;
    }
    int rc = TL_OK;
    for (size_t t = 0; t < nt && rc == TL_OK; t++) {
        struct tl__tile *tl = &p->tiles[t];
        tl->core_from_m = len * (double)t / (double)nt;
        tl->core_to_m = len * (double)(t + 1) / (double)nt;
        tl->learnt.path_err_s_per_km = PATH_ERR_PRIOR_S_PER_KM;
        tl->learnt.path_sd_s_per_km = TL__PATH_SD_PRIOR_S_PER_KM;
        tl->learnt.sd_dc_mps = CORR_SD_PRIOR_MPS;
        tl->learnt.sd_wind_mps = CORR_SD_PRIOR_MPS;
        if (p->learnt_start && p->n_learnt_start == nt) {
            tl->learnt = p->learnt_start[t];
        }
        double la, lo;
        line_point(p->m, (tl->core_from_m + tl->core_to_m) / 2.0, &la, &lo);
        tl_enu_init(&tl->frame, la, lo, mean_elev);
        tl->stations = tl_malloc((ns + 1) * sizeof(size_t));
        tl->sta_xyz = tl_malloc((ns + 1) * sizeof(*tl->sta_xyz));
        tl->sta_north_rad = tl_malloc((ns + 1) * sizeof(double));
        if (!tl->stations || !tl->sta_xyz || !tl->sta_north_rad) {
            rc = TL_ENOMEM;
            break;
        }
        double reach = p->prm.max_range_m;
        for (size_t s = 0; s < ns; s++) {
            if (sta_c[s] < tl->core_from_m - reach || sta_c[s] > tl->core_to_m + reach) {
                continue;
            }
            const struct tl_station *st = tl_mission_station(p->m, s);
            size_t k = tl->n_stations++;
            tl->stations[k] = s;
            tl_enu_from_geo(&tl->frame, st->lat_deg, st->lon_deg, st->elev_m, tl->sta_xyz[k]);
            /* local north in the frame: direction to a point 1 km north */
            double la2, lo2, q[3];
            tl_geo_direct(st->lat_deg, st->lon_deg, 0.0, 1000.0, &la2, &lo2);
            tl_enu_from_geo(&tl->frame, la2, lo2, st->elev_m, q);
            tl->sta_north_rad[k] = atan2(q[0] - tl->sta_xyz[k][0], q[1] - tl->sta_xyz[k][1]);
        }
        /* search area: the core stretch's bounding box, widened */
        tl->min_x = tl->min_y = HUGE_VAL;
        tl->max_x = tl->max_y = -HUGE_VAL;
        for (int k = 0; k <= 16; k++) {
            double c = tl->core_from_m + (tl->core_to_m - tl->core_from_m) * k / 16.0, q[3];
            line_point(p->m, c, &la, &lo);
            tl_enu_from_geo(&tl->frame, la, lo, mean_elev, q);
            tl->min_x = fmin(tl->min_x, q[0]);
            tl->max_x = fmax(tl->max_x, q[0]);
            tl->min_y = fmin(tl->min_y, q[1]);
            tl->max_y = fmax(tl->max_y, q[1]);
        }
        tl->min_x -= SEARCH_MARGIN_M;
        tl->max_x += SEARCH_MARGIN_M;
        tl->min_y -= SEARCH_MARGIN_M;
        tl->max_y += SEARCH_MARGIN_M;
    }
    tl_free(sta_c);
    return rc;
}

void
tl__tiles_free(struct tl_pipeline *p)
{
    for (size_t t = 0; t < p->n_tiles; t++) {
        tl_free(p->tiles[t].stations);
        tl_free(p->tiles[t].sta_xyz);
        tl_free(p->tiles[t].sta_north_rad);
    }
    tl_free(p->tiles);
    p->tiles = NULL;
    p->n_tiles = 0;
}
