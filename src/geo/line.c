/*
 * line.c - where a point lies relative to the contact line.
 *
 * The contact line is a polyline of geodesic segments.  For a point P the
 * nearest point on each segment is found by iterating along the geodesic: at
 * the current foot X (distance s from the segment start) the along-track
 * component of X->P, d * cos(azi(X->P) - azi_line(X)), moves X toward the
 * perpendicular foot.  Near the surface the error shrinks by about (d/R)^2 per
 * step, so 3-6 steps reach a tenth of a millimetre even 200 km from the line.
 *
 * Only segments that could hold the nearest point are refined: a flat
 * (equirectangular at P) distance prunes the rest, with a generous margin for
 * its error, so a 1,500 km line with hundreds of vertices costs a handful of
 * geodesic solutions per query.
 *
 * Side rules (see geo.h): interior foot -> the sign of the cross-track angle;
 * foot on an interior vertex -> the pseudo-normal (bisector of both segment
 * normals); foot on the first or last vertex -> the side relative to the line
 * continued along its end segment.
 */
#include <truceline/geo.h>

#include "../io/mission_priv.h"
#include "../util/util.h"

#include <math.h>

#define DEG      (M_PI / 180.0)
#define R_MEAN_M 6371008.8

int
tl__mission_prepare_line(struct tl_mission *m)
{
    const struct geod_geodesic *g = tl__wgs84();
    m->seg = tl_calloc(m->n_line - 1, sizeof(*m->seg));
    if (!m->seg) {
        return TL_ENOMEM;
    }
    m->line_len_m = 0.0;
    for (size_t i = 0; i + 1 < m->n_line; i++) {
        struct tl__segment *sg = &m->seg[i];
        double s, a1, a2;
        geod_inverse(g, m->line[i][0], m->line[i][1], m->line[i + 1][0], m->line[i + 1][1], &s,
                     &a1, &a2);
        geod_inverseline(&sg->gl, g, m->line[i][0], m->line[i][1], m->line[i + 1][0],
                         m->line[i + 1][1], 0u);
        sg->len_m = s;
        sg->azi_start_deg = a1;
        sg->azi_end_deg = a2;
        m->line_len_m += s;
    }
    for (size_t i = 0; i < m->n_stations; i++) {
        struct tl_station *st = &m->stations[i];
        struct tl_line_pos pos;
        tl_mission_line_pos(m, st->lat_deg, st->lon_deg, &pos);
        st->side = pos.side;
        st->dist_to_line_m = pos.dist_m;
    }
    return TL_OK;
}

double
tl_mission_line_length_m(const struct tl_mission *m)
{
    return m->line_len_m;
}

/* Flat distance (m) from the origin to segment a-b given in local x/y metres. */
static double
flat_seg_dist(double ax, double ay, double bx, double by)
{
    double dx = bx - ax, dy = by - ay;
    double l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? -(ax * dx + ay * dy) / l2 : 0.0;
    t = t < 0 ? 0 : (t > 1 ? 1 : t);
    return hypot(ax + t * dx, ay + t * dy);
}

struct foot {
    double s_m, dist_m, lat, lon, azi_line, azi_to_p;
};

/* Nearest point of segment sg (length L) to P, by iteration along the geodesic. */
static void
segment_foot(const struct tl__segment *sg, double plat, double plon, double s0, struct foot *f)
{
    const struct geod_geodesic *g = tl__wgs84();
    double s = s0;
    for (int it = 0; it < 60; it++) {
        double lat, lon, azi;
        geod_position(&sg->gl, s, &lat, &lon, &azi);
        double d, a1, a2;
        geod_inverse(g, lat, lon, plat, plon, &d, &a1, &a2);
        f->s_m = s;
        f->dist_m = d;
        f->lat = lat;
        f->lon = lon;
        f->azi_line = azi;
        f->azi_to_p = a1;
        double step = d * cos((a1 - azi) * DEG);
        double ns = s + step;
        if (ns < 0) {
            ns = 0;
        } else if (ns > sg->len_m) {
            ns = sg->len_m;
        }
        if (fabs(ns - s) < 1e-5) {
            break;
        }
        s = ns;
    }
}

void
tl_mission_line_pos(const struct tl_mission *m, double lat_deg, double lon_deg,
                    struct tl_line_pos *out)
{
    size_t nseg = m->n_line - 1;
    double kx = cos(lat_deg * DEG) * R_MEAN_M * DEG, ky = R_MEAN_M * DEG;
    /* Pass 1: flat distances to prune. */
    double best_flat = HUGE_VAL;
    for (size_t i = 0; i < nseg; i++) {
        double d = flat_seg_dist((m->line[i][1] - lon_deg) * kx, (m->line[i][0] - lat_deg) * ky,
                                 (m->line[i + 1][1] - lon_deg) * kx,
                                 (m->line[i + 1][0] - lat_deg) * ky);
        if (d < best_flat) {
            best_flat = d;
        }
    }
    /* The flat metric errs by well under 2% plus a few hundred m within 1,000 km. */
    double limit = best_flat * 1.05 + 1000.0;
    struct foot best = {0};
    best.dist_m = HUGE_VAL;
    size_t best_seg = 0;
    for (size_t i = 0; i < nseg; i++) {
        double ax = (m->line[i][1] - lon_deg) * kx, ay = (m->line[i][0] - lat_deg) * ky;
        double bx = (m->line[i + 1][1] - lon_deg) * kx, by = (m->line[i + 1][0] - lat_deg) * ky;
        if (flat_seg_dist(ax, ay, bx, by) > limit) {
            continue;
        }
        double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
        double t = l2 > 0 ? -(ax * dx + ay * dy) / l2 : 0.0;
        t = t < 0 ? 0 : (t > 1 ? 1 : t);
        struct foot f;
        segment_foot(&m->seg[i], lat_deg, lon_deg, t * m->seg[i].len_m, &f);
        if (f.dist_m < best.dist_m - 1e-6) {
            best = f;
            best_seg = i;
        }
    }
    out->dist_m = best.dist_m;
    out->near_lat_deg = best.lat;
    out->near_lon_deg = best.lon;
    out->line_azi_deg = fmod(best.azi_line + 360.0, 360.0);
    out->segment = best_seg;

    /* Which vertex, if any, is the foot? */
    const double eps_m = 1e-3;
    long vertex = -1;
    if (best.s_m <= eps_m) {
        vertex = (long)best_seg;
    } else if (best.s_m >= m->seg[best_seg].len_m - eps_m) {
        vertex = (long)best_seg + 1;
    }
    double cross;
    if (best.dist_m < 1e-9) {
        cross = 0.0;
    } else if (vertex < 0) {
        cross = sin((best.azi_to_p - best.azi_line) * DEG);
    } else if (vertex == 0) {
        cross = sin((best.azi_to_p - m->seg[0].azi_start_deg) * DEG);
    } else if ((size_t)vertex == m->n_line - 1) {
        cross = sin((best.azi_to_p - m->seg[nseg - 1].azi_end_deg) * DEG);
    } else {
        /* Pseudo-normal: the sum of the right-hand normals of both segments. */
        double n1 = m->seg[vertex - 1].azi_end_deg + 90.0;
        double n2 = m->seg[vertex].azi_start_deg + 90.0;
        cross = cos((best.azi_to_p - n1) * DEG) + cos((best.azi_to_p - n2) * DEG);
    }
    out->side = cross > 0 ? TL_SIDE_RIGHT : (cross < 0 ? TL_SIDE_LEFT : TL_SIDE_AMBIGUOUS);
    out->signed_dist_m = out->side == TL_SIDE_LEFT ? -best.dist_m : best.dist_m;
}
