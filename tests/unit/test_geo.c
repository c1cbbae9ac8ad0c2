/*
 * test_geo.c - geodesics against PROJ's `geod` (proj-bin), the contact line
 * (distance, side, beyond the ends, next to vertices) against an independent
 * brute-force minimisation on a 1,500 km line, zones and place descriptions.
 */
#include "tl_test.h"

#include <truceline/geo.h>

#include <math.h>

/* ---------------------------------------------------------- geodesics -- */

static void
test_inverse_vs_geod(void **state)
{
    (void)state;
    /* Pairs across the mission area and out to 1,500 km. */
    static const double pairs[][4] = {
        {48.10, 37.60, 48.21, 37.75},   {48.1, 37.6, 49.5, 38.9},     {49.30, 38.06, 47.96, 37.79},
        {40.0, 30.0, 53.5, 31.0},       {48.0, 37.0, 48.0, 37.00001}, {45.0, 20.0, 52.0, 40.0},
        {0.0, 0.0, 0.5, 179.7},         {-33.9, 18.4, -34.0, 18.5},   {60.0, 25.0, 60.0, 45.0},
        {48.5, 37.8, 48.5000001, 37.8}, {10.0, -75.0, 23.0, -60.0},   {48.9, 38.0, 42.0, 28.0},
    };
    size_t n = sizeof(pairs) / sizeof(pairs[0]);
    char in_path[64];
    char text[4096];
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        off += (size_t)snprintf(text + off, sizeof(text) - off, "%.10f %.10f %.10f %.10f\n",
                                pairs[i][0], pairs[i][1], pairs[i][2], pairs[i][3]);
    }
    tl_test_tmpfile(in_path, sizeof(in_path), text, off);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "geod -I +ellps=WGS84 -f %%.12f %s", in_path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        double az1, baz2, dist;
        assert_int_equal(3, fscanf(p, "%lf %lf %lf", &az1, &baz2, &dist));
        double s, a1, a2;
        tl_geo_inverse(pairs[i][0], pairs[i][1], pairs[i][2], pairs[i][3], &s, &a1, &a2);
        assert_true(fabs(s - dist) <= 0.0006); /* geod prints millimetres */
        if (dist > 1.0) {
            double da1 = fmod(a1 - az1 + 720.0, 360.0);
            double da2 = fmod(a2 - (baz2 + 180.0) + 720.0, 360.0);
            assert_true(fmin(da1, 360.0 - da1) < 1e-9);
            assert_true(fmin(da2, 360.0 - da2) < 1e-9);
        }
    }
    assert_int_equal(0, pclose(p));
    unlink(in_path);
}

static void
test_direct_vs_geod(void **state)
{
    (void)state;
    static const double cases[][4] = {
        {48.1, 37.6, 90.0, 15000.0}, {48.1, 37.6, 33.3, 1500000.0}, {-20.0, 10.0, 225.0, 42.5}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "echo '%.10f %.10f %.10f %.6f' | geod +ellps=WGS84 -f %%.12f",
                 cases[i][0], cases[i][1], cases[i][2], cases[i][3]);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        double lat, lon, baz;
        assert_int_equal(3, fscanf(p, "%lf %lf %lf", &lat, &lon, &baz));
        assert_int_equal(0, pclose(p));
        double la, lo;
        tl_geo_direct(cases[i][0], cases[i][1], cases[i][2], cases[i][3], &la, &lo);
        /* 1e-9 degrees is about 0.1 mm. */
        assert_true(fabs(la - lat) < 1e-9);
        assert_true(fabs(lo - lon) < 1e-9);
    }
}

static void
test_enu_round_trip(void **state)
{
    (void)state;
    struct tl_enu f;
    tl_enu_init(&f, 48.5, 37.9, 150.0);
    double enu[3];
    tl_enu_from_geo(&f, 48.5, 37.9, 150.0, enu);
    assert_true(fabs(enu[0]) < 1e-6 && fabs(enu[1]) < 1e-6 && fabs(enu[2]) < 1e-6);
    /* A point 20 km away on the ellipsoid (h = 0): the chord equals the geodesic to a
     * few cm.  (At 150 m height lengths grow by h/R = 24 ppm, which is real.) */
    struct tl_enu f0;
    tl_enu_init(&f0, 48.5, 37.9, 0.0);
    double la, lo;
    tl_geo_direct(48.5, 37.9, 60.0, 20000.0, &la, &lo);
    tl_enu_from_geo(&f0, la, lo, 0.0, enu);
    double chord = sqrt(enu[0] * enu[0] + enu[1] * enu[1] + enu[2] * enu[2]);
    assert_true(fabs(chord - 20000.0) < 0.05);
    assert_true(fabs(atan2(enu[0], enu[1]) * 180.0 / M_PI - 60.0) < 0.01);
    double la2, lo2, h2;
    tl_enu_from_geo(&f, la, lo, 150.0, enu);
    tl_enu_to_geo(&f, enu, &la2, &lo2, &h2);
    assert_true(fabs(la2 - la) < 1e-10 && fabs(lo2 - lo) < 1e-10 && fabs(h2 - 150.0) < 1e-4);
}

/* The pairing (attrib/pair.c, beyond()) skips a geodesic when the chord between two
 * points, taken in one ENU frame of the run, is longer than the radius tested by 1 mm: it
 * rests on the chord never being longer than the geodesic, and on the rounding of either
 * staying far below that millimetre.  Pairs from 1 cm to 300 km around the mission area,
 * in a frame up to 150 km from both points. */
static void
test_chord_never_exceeds_geodesic(void **state)
{
    (void)state;
    struct tl_enu f;
    tl_enu_init(&f, 48.4, 37.9, 0.0);
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 20000; i++) {
        double u[4];
        for (int j = 0; j < 4; j++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            u[j] = (double)(x >> 11) / 9007199254740992.0;
        }
        double la1 = 47.4 + 2.0 * u[0], lo1 = 36.4 + 3.0 * u[1];
        double dist = pow(10.0, -2.0 + 7.5 * u[2]), la2, lo2;
        tl_geo_direct(la1, lo1, 360.0 * u[3], dist, &la2, &lo2);
        double a[3], b[3];
        tl_enu_from_geo(&f, la1, lo1, 0.0, a);
        tl_enu_from_geo(&f, la2, lo2, 0.0, b);
        double chord = sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                            (a[2] - b[2]) * (a[2] - b[2]));
        double s = tl_geo_dist_m(la1, lo1, la2, lo2);
        assert_true(chord <= s + 1e-6);
        if (s <= 3000.0) {
            assert_true(s - chord < 1e-4); /* s^3 / 24 R^2: 30 um at 3 km */
        }
    }
}

static void
test_compass(void **state)
{
    (void)state;
    assert_string_equal("N", tl_compass16(0.0));
    assert_string_equal("N", tl_compass16(359.0));
    assert_string_equal("NNE", tl_compass16(22.5));
    assert_string_equal("NE", tl_compass16(45.0));
    assert_string_equal("S", tl_compass16(180.0));
    assert_string_equal("WNW", tl_compass16(-67.5));
}

/* --------------------------------------------------------------- line -- */

/* A mission with the given line (lat, lon pairs), one station, one zone and places. */
static struct tl_mission *
mission_with_line(const double (*v)[2], size_t n, const char *extra_features)
{
    static char text[1 << 16];
    size_t off = (size_t)snprintf(text, sizeof(text),
                                  "{\"type\":\"FeatureCollection\",\"mission\":{\"name\":\"T\","
                                  "\"parties\":{\"left\":\"A\",\"right\":\"B\"}},\"features\":["
                                  "{\"type\":\"Feature\",\"properties\":{\"kind\":\"contact_line\"},"
                                  "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[");
    for (size_t i = 0; i < n; i++) {
        off += (size_t)snprintf(text + off, sizeof(text) - off, "%s[%.9f,%.9f]", i ? "," : "",
                                v[i][1], v[i][0]);
    }
    off += (size_t)snprintf(text + off, sizeof(text) - off,
                            "]}},{\"type\":\"Feature\",\"properties\":{\"kind\":\"station\","
                            "\"id\":\"S1\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":"
                            "[%.9f,%.9f,100]}}%s]}",
                            v[0][1] + 0.01, v[0][0], extra_features ? extra_features : "");
    struct tl_mission *m = NULL;
    static struct tl_mission_problems pr;
    int rc = tl_mission_load_buffer(text, off, "<test>", &m, &pr);
    if (rc != TL_OK) {
        fail_msg("mission rejected: %s", pr.n ? pr.text[0] : tl_strerror(rc));
    }
    return m;
}

/* Independent check: golden-section search for the nearest point on each geodesic segment. */
static double
brute_dist(const double (*v)[2], size_t n, double lat, double lon)
{
    double best = HUGE_VAL;
    for (size_t i = 0; i + 1 < n; i++) {
        double len, azi;
        tl_geo_inverse(v[i][0], v[i][1], v[i + 1][0], v[i + 1][1], &len, &azi, NULL);
        double a = 0, b = len;
        const double g = (sqrt(5.0) - 1) / 2;
        for (int it = 0; it < 100 && b - a > 1e-5; it++) {
            double c = b - g * (b - a), d = a + g * (b - a), la, lo;
            tl_geo_direct(v[i][0], v[i][1], azi, c, &la, &lo);
            double fc = tl_geo_dist_m(la, lo, lat, lon);
            tl_geo_direct(v[i][0], v[i][1], azi, d, &la, &lo);
            double fd = tl_geo_dist_m(la, lo, lat, lon);
            if (fc < fd) {
                b = d;
            } else {
                a = c;
            }
        }
        double la, lo;
        tl_geo_direct(v[i][0], v[i][1], azi, (a + b) / 2, &la, &lo);
        best = fmin(best, tl_geo_dist_m(la, lo, lat, lon));
    }
    return best;
}

static void
test_long_line_distance(void **state)
{
    (void)state;
    /* A wiggly 1,500 km line from the Black Sea to the Baltic, 31 vertices. */
    double v[31][2];
    for (int i = 0; i < 31; i++) {
        /* rounded to the 9 decimals the mission text carries */
        v[i][0] = round((40.0 + 13.5 * i / 30.0) * 1e9) / 1e9;
        v[i][1] = round((30.0 + 0.6 * sin(i * 1.3) + 0.02 * i) * 1e9) / 1e9;
    }
    struct tl_mission *m = mission_with_line((const double(*)[2])v, 31, NULL);
    double len = 0;
    for (int i = 0; i < 30; i++) {
        len += tl_geo_dist_m(v[i][0], v[i][1], v[i + 1][0], v[i + 1][1]);
    }
    assert_true(len > 1450000.0);
    assert_true(fabs(tl_mission_line_length_m(m) - len) < 1e-6);
    uint64_t x = 42;
    for (int k = 0; k < 300; k++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        double lat = 39.5 + 14.5 * (double)(x >> 11) / 9007199254740992.0;
        x = x * 6364136223846793005u + 1442695040888963407u;
        double lon = 29.0 + 2.6 * (double)(x >> 11) / 9007199254740992.0;
        struct tl_line_pos pos;
        tl_mission_line_pos(m, lat, lon, &pos);
        double bd = brute_dist((const double(*)[2])v, 31, lat, lon);
        if (fabs(pos.dist_m - bd) > 0.001) {
            fail_msg("point %.6f %.6f: %.4f m vs brute force %.4f m", lat, lon, pos.dist_m, bd);
        }
        /* The reported nearest point is that far away. */
        assert_true(fabs(tl_geo_dist_m(lat, lon, pos.near_lat_deg, pos.near_lon_deg) -
                         pos.dist_m) < 1e-6);
        assert_true(pos.side != TL_SIDE_AMBIGUOUS);
        assert_true(pos.signed_dist_m == (pos.side == TL_SIDE_LEFT ? -pos.dist_m : pos.dist_m));
    }
    tl_mission_free(m);
}

static void
test_sides(void **state)
{
    (void)state;
    /* Northward line along 37E, bending north-east at 48.5N, then north again. */
    const double v[4][2] = {{48.0, 37.0}, {48.5, 37.0}, {48.8, 37.4}, {49.2, 37.4}};
    struct tl_mission *m = mission_with_line(v, 4, NULL);
    struct tl_line_pos pos;
    /* Walking north, east is on the right. */
    tl_mission_line_pos(m, 48.2, 37.1, &pos);
    assert_int_equal(TL_SIDE_RIGHT, pos.side);
    assert_true(pos.signed_dist_m > 7000 && pos.signed_dist_m < 7600);
    tl_mission_line_pos(m, 48.2, 36.9, &pos);
    assert_int_equal(TL_SIDE_LEFT, pos.side);
    /* Distance to a meridian: the foot is where the azimuth to the point is 90 degrees. */
    double az;
    tl_geo_inverse(pos.near_lat_deg, pos.near_lon_deg, 48.2, 36.9, NULL, &az, NULL);
    assert_true(fabs(az - 270.0) < 1e-7);
    /* Beyond the south end, continued along the first segment: still left/right by longitude. */
    tl_mission_line_pos(m, 47.5, 37.05, &pos);
    assert_int_equal(TL_SIDE_RIGHT, pos.side);
    assert_true(fabs(pos.dist_m - tl_geo_dist_m(47.5, 37.05, 48.0, 37.0)) < 1e-6);
    tl_mission_line_pos(m, 47.5, 36.95, &pos);
    assert_int_equal(TL_SIDE_LEFT, pos.side);
    /* Beyond the north end. */
    tl_mission_line_pos(m, 49.6, 37.45, &pos);
    assert_int_equal(TL_SIDE_RIGHT, pos.side);
    tl_mission_line_pos(m, 49.6, 37.35, &pos);
    assert_int_equal(TL_SIDE_LEFT, pos.side);
    /* In the wedge outside the convex corner at vertex 1 (48.5, 37.0): the line turns right
     * there, so the outer (convex) side is the left.  A point 2 km out along the bisector of
     * the left normals has the vertex as its nearest point and is on the left. */
    double len, a_in, a_out, a_end;
    tl_geo_inverse(48.0, 37.0, 48.5, 37.0, &len, NULL, &a_in);
    tl_geo_inverse(48.5, 37.0, 48.8, 37.4, &len, &a_out, &a_end);
    double bis = (a_in + a_out) / 2.0 - 90.0;
    double la, lo;
    tl_geo_direct(48.5, 37.0, bis, 2000.0, &la, &lo);
    tl_mission_line_pos(m, la, lo, &pos);
    assert_true(fabs(pos.dist_m - 2000.0) < 0.001);
    assert_true(fabs(pos.near_lat_deg - 48.5) < 1e-9 && fabs(pos.near_lon_deg - 37.0) < 1e-9);
    assert_int_equal(TL_SIDE_LEFT, pos.side);
    /* On the inner side of the same corner, close to the vertex: right. */
    tl_geo_direct(48.5, 37.0, bis + 180.0, 300.0, &la, &lo);
    tl_mission_line_pos(m, la, lo, &pos);
    assert_int_equal(TL_SIDE_RIGHT, pos.side);
    /* A point on the line itself. */
    tl_mission_line_pos(m, 48.25, 37.0, &pos);
    assert_true(pos.dist_m < 1e-6);
    tl_mission_free(m);
}

/* ------------------------------------------------- zones and places -- */

static const char ZONES[] =
    ",{\"type\":\"Feature\",\"properties\":{\"kind\":\"zone\",\"id\":\"Z1\",\"name\":\"Holed\"},"
    "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":["
    "[[37.0,48.0],[38.0,48.0],[38.0,49.0],[37.0,49.0],[37.0,48.0]],"
    "[[37.4,48.4],[37.6,48.4],[37.6,48.6],[37.4,48.6],[37.4,48.4]]]}}"
    ",{\"type\":\"Feature\",\"properties\":{\"kind\":\"zone\",\"id\":\"Z2\"},"
    "\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":["
    "[[[30.0,40.0],[31.0,40.0],[30.5,41.0],[30.0,40.0]]],"
    "[[[32.0,40.0],[33.0,40.0],[32.5,41.0],[32.0,40.0]]]]}}"
    ",{\"type\":\"Feature\",\"properties\":{\"kind\":\"place\",\"name\":\"Village X\"},"
    "\"geometry\":{\"type\":\"Point\",\"coordinates\":[37.72,48.15]}}"
    ",{\"type\":\"Feature\",\"properties\":{\"kind\":\"place\",\"name\":\"Village Y\"},"
    "\"geometry\":{\"type\":\"Point\",\"coordinates\":[37.95,48.35]}}";

static void
test_zones(void **state)
{
    (void)state;
    const double v[2][2] = {{48.0, 37.0}, {49.0, 37.0}};
    struct tl_mission *m = mission_with_line(v, 2, ZONES);
    assert_int_equal(2, tl_mission_zone_count(m));
    assert_string_equal("Holed", tl_mission_zone(m, 0)->name);
    assert_string_equal("Z2", tl_mission_zone(m, 1)->name); /* name defaults to the id */
    assert_true(tl_mission_in_zone(m, 0, 48.2, 37.2));
    assert_false(tl_mission_in_zone(m, 0, 48.5, 37.5)); /* in the hole */
    assert_true(tl_mission_in_zone(m, 0, 48.4, 37.5));  /* on the hole's edge */
    assert_true(tl_mission_in_zone(m, 0, 48.0, 37.5));  /* on the outer edge */
    assert_true(tl_mission_in_zone(m, 0, 49.0, 38.0));  /* on a corner */
    assert_false(tl_mission_in_zone(m, 0, 49.01, 37.5));
    assert_false(tl_mission_in_zone(m, 0, 48.5, 36.99));
    assert_true(tl_mission_in_zone(m, 1, 40.2, 30.5));
    assert_true(tl_mission_in_zone(m, 1, 40.2, 32.5));
    assert_false(tl_mission_in_zone(m, 1, 40.2, 31.5));
    assert_false(tl_mission_in_zone(m, 1, 40.9, 30.1));
    assert_false(tl_mission_in_zone(m, 7, 40.2, 30.5));
    tl_mission_free(m);
}

static void
test_describe(void **state)
{
    (void)state;
    const double v[2][2] = {{48.0, 37.0}, {49.0, 37.0}};
    struct tl_mission *m = mission_with_line(v, 2, ZONES);
    char buf[128];
    double la, lo;
    tl_geo_direct(48.15, 37.72, 45.0, 3200.0, &la, &lo);
    tl_mission_describe(m, la, lo, buf, sizeof(buf));
    assert_string_equal("3.2 km NE of Village X", buf);
    tl_geo_direct(48.35, 37.95, 190.0, 12340.0, &la, &lo);
    tl_mission_describe(m, la, lo, buf, sizeof(buf));
    assert_string_equal("12.3 km S of Village Y", buf);
    tl_geo_direct(48.15, 37.72, 300.0, 30.0, &la, &lo);
    tl_mission_describe(m, la, lo, buf, sizeof(buf));
    assert_string_equal("at Village X", buf);
    tl_mission_free(m);
    m = mission_with_line(v, 2, NULL);
    tl_mission_describe(m, la, lo, buf, sizeof(buf));
    assert_string_equal("", buf);
    tl_mission_free(m);
}

/* The demo mission: every L station stands left of the line, every R station right. */
static void
test_demo_mission_sides(void **state)
{
    (void)state;
    struct tl_mission *m = NULL;
    assert_int_equal(TL_OK, tl_mission_load(TL_SOURCE_DIR "/examples/demo/mission.geojson", &m,
                                            NULL));
    size_t n = tl_mission_station_count(m);
    assert_true(n >= 60 && n <= 80);
    for (size_t i = 0; i < n; i++) {
        const struct tl_station *st = tl_mission_station(m, i);
        assert_int_equal(st->id[0] == 'L' ? TL_SIDE_LEFT : TL_SIDE_RIGHT, st->side);
        assert_true(st->dist_to_line_m > 1000.0 && st->dist_to_line_m < 5000.0);
    }
    tl_mission_free(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inverse_vs_geod), cmocka_unit_test(test_direct_vs_geod),
        cmocka_unit_test(test_enu_round_trip),  cmocka_unit_test(test_compass),
        cmocka_unit_test(test_long_line_distance), cmocka_unit_test(test_sides),
        cmocka_unit_test(test_zones),           cmocka_unit_test(test_describe),
        cmocka_unit_test(test_demo_mission_sides),
        cmocka_unit_test(test_chord_never_exceeds_geodesic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
