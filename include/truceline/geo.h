/*
 * truceline/geo.h - geometry on the WGS84 ellipsoid.
 *
 * Distances and azimuths come from Karney's geodesic algorithms (PROJ's
 * geodesic.h), accurate to nanometres.  On top of them: a local east-north-up
 * frame for the locator, the signed distance of any point to the contact line
 * and the side it is on, point-in-zone tests and place descriptions.
 *
 * Sides: walking along the contact line in the order of its coordinates, a
 * point is on the left or right.  Beyond the line's ends the line is taken as
 * continued along its first and last geodesic segments, so every point on the
 * map has a side; the distance is still measured to the line itself (its end
 * point).  Next to a vertex whose nearest point is the vertex, the side is
 * given by the bisector of the two segments' normals (the pseudo-normal), which
 * is the only choice that agrees with both segments.
 *
 * Zones follow GeoJSON (RFC 7946 section 3.1.1): edges are straight lines in
 * longitude/latitude, as QGIS and every GeoJSON consumer draw them.
 *
 * All functions are thread-safe.
 */
#ifndef TRUCELINE_GEO_H
#define TRUCELINE_GEO_H

#include <truceline/mission.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The inverse geodesic problem: distance and azimuths between two points.
 * Any out-parameter may be NULL.  azi1 is the azimuth at point 1 towards point 2,
 * azi2 the forward azimuth at point 2, both in [0, 360).
 */
TL_API void tl_geo_inverse(double lat1_deg,
                           double lon1_deg,
                           double lat2_deg,
                           double lon2_deg,
                           double *dist_m,
                           double *azi1_deg,
                           double *azi2_deg);

/** The direct problem: the point `dist_m` from (lat, lon) along azimuth `azi_deg`. */
TL_API void tl_geo_direct(double lat_deg,
                          double lon_deg,
                          double azi_deg,
                          double dist_m,
                          double *lat2_deg,
                          double *lon2_deg);

/** Geodesic distance only (metres). */
TL_API double tl_geo_dist_m(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg);

/**
 * A local east-north-up Cartesian frame tangent to the ellipsoid at an origin.
 * Straight-line (chord) distances in it equal geodesic distances to within
 * 3 cm at 30 km, far below acoustic location errors.  Plain value.
 */
struct tl_enu {
    double lat0_deg, lon0_deg, h0_m;
    double x0, y0, z0;          /* origin in ECEF, metres */
    double r[3][3];             /* ECEF -> ENU rotation */
};

TL_API void tl_enu_init(struct tl_enu *f, double lat0_deg, double lon0_deg, double h0_m);
TL_API void tl_enu_from_geo(const struct tl_enu *f,
                            double lat_deg,
                            double lon_deg,
                            double h_m,
                            double enu_m[3]);
TL_API void tl_enu_to_geo(const struct tl_enu *f,
                          const double enu_m[3],
                          double *lat_deg,
                          double *lon_deg,
                          double *h_m);

/** Where a point lies relative to the contact line. */
struct tl_line_pos {
    double dist_m;            /* distance to the nearest point of the line (>= 0) */
    enum tl_side side;        /* TL_SIDE_LEFT or TL_SIDE_RIGHT (AMBIGUOUS only exactly on it) */
    double signed_dist_m;     /* +dist on the right, -dist on the left */
    double near_lat_deg, near_lon_deg; /* the nearest point of the line */
    double line_azi_deg;      /* the line's direction (azimuth) at that point */
    size_t segment;           /* index of the segment holding the nearest point */
};

/** Locate a point against the mission's contact line. */
TL_API void tl_mission_line_pos(const struct tl_mission *m,
                                double lat_deg,
                                double lon_deg,
                                struct tl_line_pos *out);

/** Length of the contact line in metres. */
TL_API double tl_mission_line_length_m(const struct tl_mission *m);

/** True when the point lies in zone `i` (holes excluded; boundary counts as inside). */
TL_API bool tl_mission_in_zone(const struct tl_mission *m, size_t i, double lat_deg, double lon_deg);

/**
 * Describe a location by the nearest place: "3.2 km NE of Village X", or
 * "at Village X" within 50 m.  Writes "" when the mission has no places.
 * `buf` gets at most `size` bytes, NUL-terminated.
 */
TL_API void tl_mission_describe(const struct tl_mission *m,
                                double lat_deg,
                                double lon_deg,
                                char *buf,
                                size_t size);

/** The 16-point compass name ("N", "NNE", ..., "NNW") of an azimuth in degrees. */
TL_API const char *tl_compass16(double azi_deg);

#ifdef __cplusplus
}
#endif
#endif
