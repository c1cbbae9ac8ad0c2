/*
 * mission_priv.h - the inside of struct tl_mission, shared by the loader
 * (io/mission.c) and the geometry (geo/).  Not installed.
 *
 * Invariants after a successful load: exactly one contact line with n_line >= 2
 * vertices and no zero-length segment; station ids unique and sorted in
 * `by_id`; every zone ring closed with >= 4 positions; every coordinate finite
 * and in range.
 */
#ifndef TL_MISSION_PRIV_H
#define TL_MISSION_PRIV_H

#include <truceline/mission.h>

#include <geodesic.h>

struct tl__ring {
    size_t n;
    double (*pt)[2]; /* lon, lat (GeoJSON order: zones are tested in lon/lat) */
};

struct tl__polygon {
    size_t n_rings; /* ring 0 is the outer boundary, the rest are holes */
    struct tl__ring *rings;
};

struct tl__zone_geom {
    size_t n_polys;
    struct tl__polygon *polys;
    double min_lon, min_lat, max_lon, max_lat;
};

struct tl__segment {
    struct geod_geodesicline gl; /* from vertex i to vertex i+1 */
    double len_m;
    double azi_start_deg, azi_end_deg; /* forward azimuths at both ends */
};

struct tl_mission {
    char *name;
    char *party[2]; /* [0] left, [1] right */
    bool illustrative;
    size_t n_line;
    double (*line)[2]; /* lat, lon */
    struct tl__segment *seg; /* n_line - 1 */
    double line_len_m;
    size_t n_stations;
    struct tl_station *stations; /* file order */
    size_t *by_id;               /* indices sorted by id */
    size_t n_zones;
    struct tl_zone *zones;
    struct tl__zone_geom *zone_geom;
    size_t n_places;
    struct tl_place *places;
    char *source;
    size_t source_len;
};

/* Precompute segments and station sides; called by the loader (geo/line.c). */
int tl__mission_prepare_line(struct tl_mission *m);

/* The WGS84 ellipsoid, initialised once (geo/geodesic.c). */
const struct geod_geodesic *tl__wgs84(void);

#endif
