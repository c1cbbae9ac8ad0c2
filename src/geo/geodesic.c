/*
 * geodesic.c - WGS84 geodesics (through PROJ's geodesic.h) and local ENU frames.
 *
 * PROJ ships Karney's geodesic routines as a C library; geod_inverse and
 * geod_direct are accurate to about 15 nm anywhere on the ellipsoid.  The
 * ellipsoid object is built once (pthread_once) and then shared read-only.
 *
 * ENU frame: geodetic -> ECEF -> rotate into east/north/up at the origin.  The
 * inverse uses Bowring's iteration for latitude, which converges to below a
 * micrometre in three steps for points near the surface.
 */
#include <truceline/geo.h>

#include "../io/mission_priv.h"

#include <math.h>
#include <pthread.h>

#define WGS84_A 6378137.0
#define WGS84_F (1.0 / 298.257223563)
#define DEG     (M_PI / 180.0)

static struct geod_geodesic g_wgs84;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void
init_wgs84(void)
{
    geod_init(&g_wgs84, WGS84_A, WGS84_F);
}

const struct geod_geodesic *
tl__wgs84(void)
{
    pthread_once(&g_once, init_wgs84);
    return &g_wgs84;
}

static double
norm360(double a)
{
    a = fmod(a, 360.0);
    if (a < 0) {
        a += 360.0;
    }
    return a >= 360.0 ? 0.0 : a;
}

void
tl_geo_inverse(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg, double *dist_m,
               double *azi1_deg, double *azi2_deg)
{
    double s, a1, a2;
    geod_inverse(tl__wgs84(), lat1_deg, lon1_deg, lat2_deg, lon2_deg, &s, &a1, &a2);
    if (dist_m) {
        *dist_m = s;
    }
    if (azi1_deg) {
        *azi1_deg = norm360(a1);
    }
    if (azi2_deg) {
        *azi2_deg = norm360(a2);
    }
}

void
tl_geo_direct(double lat_deg, double lon_deg, double azi_deg, double dist_m, double *lat2_deg,
              double *lon2_deg)
{
    double la, lo, a2;
    geod_direct(tl__wgs84(), lat_deg, lon_deg, azi_deg, dist_m, &la, &lo, &a2);
    *lat2_deg = la;
    *lon2_deg = lo;
}

double
tl_geo_dist_m(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg)
{
    double s;
    geod_inverse(tl__wgs84(), lat1_deg, lon1_deg, lat2_deg, lon2_deg, &s, NULL, NULL);
    return s;
}

static void
geo_to_ecef(double lat_deg, double lon_deg, double h_m, double xyz[3])
{
    const double e2 = WGS84_F * (2.0 - WGS84_F);
    double sl = sin(lat_deg * DEG), cl = cos(lat_deg * DEG);
    double n = WGS84_A / sqrt(1.0 - e2 * sl * sl);
    xyz[0] = (n + h_m) * cl * cos(lon_deg * DEG);
    xyz[1] = (n + h_m) * cl * sin(lon_deg * DEG);
    xyz[2] = (n * (1.0 - e2) + h_m) * sl;
}

void
tl_enu_init(struct tl_enu *f, double lat0_deg, double lon0_deg, double h0_m)
{
    double xyz[3];
    f->lat0_deg = lat0_deg;
    f->lon0_deg = lon0_deg;
    f->h0_m = h0_m;
    geo_to_ecef(lat0_deg, lon0_deg, h0_m, xyz);
    f->x0 = xyz[0];
    f->y0 = xyz[1];
    f->z0 = xyz[2];
    double sl = sin(lat0_deg * DEG), cl = cos(lat0_deg * DEG);
    double so = sin(lon0_deg * DEG), co = cos(lon0_deg * DEG);
    f->r[0][0] = -so;
    f->r[0][1] = co;
    f->r[0][2] = 0.0;
    f->r[1][0] = -sl * co;
    f->r[1][1] = -sl * so;
    f->r[1][2] = cl;
    f->r[2][0] = cl * co;
    f->r[2][1] = cl * so;
    f->r[2][2] = sl;
}

void
tl_enu_from_geo(const struct tl_enu *f, double lat_deg, double lon_deg, double h_m, double enu_m[3])
{
    double xyz[3];
    geo_to_ecef(lat_deg, lon_deg, h_m, xyz);
    double d[3] = {xyz[0] - f->x0, xyz[1] - f->y0, xyz[2] - f->z0};
    for (int i = 0; i < 3; i++) {
        enu_m[i] = f->r[i][0] * d[0] + f->r[i][1] * d[1] + f->r[i][2] * d[2];
    }
}

void
tl_enu_to_geo(const struct tl_enu *f, const double enu_m[3], double *lat_deg, double *lon_deg,
              double *h_m)
{
    /* Rotate back (the rotation is orthonormal: its inverse is its transpose). */
    double x = f->x0, y = f->y0, z = f->z0;
    for (int i = 0; i < 3; i++) {
        x += f->r[i][0] * enu_m[i];
        y += f->r[i][1] * enu_m[i];
        z += f->r[i][2] * enu_m[i];
    }
    const double e2 = WGS84_F * (2.0 - WGS84_F);
    double p = hypot(x, y);
    double lat = atan2(z, p * (1.0 - e2));
    double n = WGS84_A;
    for (int it = 0; it < 5; it++) {
        double sl = sin(lat);
        n = WGS84_A / sqrt(1.0 - e2 * sl * sl);
        double h = p / cos(lat) - n;
        lat = atan2(z, p * (1.0 - e2 * n / (n + h)));
    }
    double sl = sin(lat);
    n = WGS84_A / sqrt(1.0 - e2 * sl * sl);
    *lat_deg = lat / DEG;
    *lon_deg = atan2(y, x) / DEG;
    if (h_m) {
        *h_m = p / cos(lat) - n;
    }
}

const char *
tl_compass16(double azi_deg)
{
    static const char *const names[16] = {"N",  "NNE", "NE", "ENE", "E",  "ESE", "SE", "SSE",
                                          "S",  "SSW", "SW", "WSW", "W",  "WNW", "NW", "NNW"};
    int k = (int)floor(norm360(azi_deg) / 22.5 + 0.5) % 16;
    return names[k];
}
