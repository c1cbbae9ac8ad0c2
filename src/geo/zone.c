/*
 * zone.c - point in zone, and place descriptions.
 *
 * Zones are GeoJSON Polygons or MultiPolygons whose edges are straight in
 * lon/lat (RFC 7946 3.1.1), so the test is the planar crossing-number test on
 * lon/lat: inside the outer ring and outside every hole.  A point on an edge
 * counts as inside, so a finding on a zone's boundary is never silently left
 * out of the zone it touches.  Zones do not cross the antimeridian (the loader
 * rejects longitudes outside [-180, 180] and rings are taken as drawn).
 */
#include <truceline/geo.h>

#include "../io/mission_priv.h"
#include "../util/util.h"

#include <math.h>
#include <stdio.h>

/* 1: inside, 0: outside, 2: on the boundary. */
static int
ring_test(const struct tl__ring *r, double x, double y)
{
    bool inside = false;
    for (size_t i = 0, j = r->n - 1; i < r->n; j = i++) {
        double xi = r->pt[i][0], yi = r->pt[i][1], xj = r->pt[j][0], yj = r->pt[j][1];
        /* On the edge? Collinear (to rounding) and within its box. */
        double cross = (xj - xi) * (y - yi) - (yj - yi) * (x - xi);
        double scale = fabs(xj - xi) + fabs(yj - yi);
        if (fabs(cross) <= 1e-12 * (scale + 1.0) && x >= fmin(xi, xj) && x <= fmax(xi, xj) &&
            y >= fmin(yi, yj) && y <= fmax(yi, yj)) {
            return 2;
        }
        if ((yi > y) != (yj > y)) {
            double xcross = xi + (y - yi) * (xj - xi) / (yj - yi);
            if (x < xcross) {
                inside = !inside;
            }
        }
    }
    return inside ? 1 : 0;
}

bool
tl_mission_in_zone(const struct tl_mission *m, size_t i, double lat_deg, double lon_deg)
{
    if (i >= m->n_zones) {
        return false;
    }
    const struct tl__zone_geom *z = &m->zone_geom[i];
    if (lon_deg < z->min_lon || lon_deg > z->max_lon || lat_deg < z->min_lat ||
        lat_deg > z->max_lat) {
        return false;
    }
    for (size_t p = 0; p < z->n_polys; p++) {
        const struct tl__polygon *poly = &z->polys[p];
        int outer = ring_test(&poly->rings[0], lon_deg, lat_deg);
        if (outer == 0) {
            continue;
        }
        if (outer == 2) {
            return true;
        }
        bool in_hole = false;
        for (size_t h = 1; h < poly->n_rings; h++) {
            if (ring_test(&poly->rings[h], lon_deg, lat_deg) == 1) {
                in_hole = true;
                break;
            }
        }
        if (!in_hole) {
            return true;
        }
    }
    return false;
}

void
tl_mission_describe(const struct tl_mission *m, double lat_deg, double lon_deg, char *buf,
                    size_t size)
{
    if (size == 0) {
        return;
    }
    buf[0] = '\0';
    double best = HUGE_VAL, best_azi = 0;
    const struct tl_place *bp = NULL;
    for (size_t i = 0; i < m->n_places; i++) {
        double d, a1;
        tl_geo_inverse(m->places[i].lat_deg, m->places[i].lon_deg, lat_deg, lon_deg, &d, &a1,
                       NULL);
        if (d < best) {
            best = d;
            best_azi = a1;
            bp = &m->places[i];
        }
    }
    if (!bp) {
        return;
    }
    if (best < 50.0) {
        snprintf(buf, size, "at %s", bp->name);
    } else {
        snprintf(buf, size, "%.1f km %s of %s", best / 1000.0, tl_compass16(best_azi), bp->name);
    }
}
