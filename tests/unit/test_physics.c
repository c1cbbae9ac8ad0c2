/*
 * test_physics.c - the shared physics module against its sources: the speed
 * of sound (20.05 sqrt(T)), the wind projection, ISO 9613-1 absorption
 * against ISO 9613-2 table 2, the ballistic model against the time-of-flight
 * table of research/acoustics.md section 6.1 (within the +-15% the note states),
 * the calibration to each class's maximum range, charges as crews use them,
 * the pairing bounds, and the one-time table build under concurrent first use.
 */
#include "tl_test.h"

#include "physics/ballistics.h"

#include <math.h>
#include <pthread.h>

/* ------------------------------------------------------------ sound -- */

static void
test_sound_speed(void **state)
{
    (void)state;
    assert_true(fabs(tl_sound_speed_mps(0.0) - 331.38) < 0.05);
    assert_true(fabs(tl_sound_speed_mps(20.0) - 343.29) < 0.05);
    /* dc/dT about 0.6 m/s per K (research section 3.2). */
    double dcdt = tl_sound_speed_mps(10.5) - tl_sound_speed_mps(9.5);
    assert_true(dcdt > 0.58 && dcdt < 0.62);
    assert_true(tl_sound_speed_mps(-300.0) == 0.0);
}

static void
test_effective_speed(void **state)
{
    (void)state;
    double c = tl_sound_speed_mps(10.0);
    /* Wind from the north (blowing south) at 5 m/s. */
    assert_true(fabs(tl_effective_speed_mps(10.0, 5.0, 0.0, 180.0) - (c + 5.0)) < 1e-9);
    assert_true(fabs(tl_effective_speed_mps(10.0, 5.0, 0.0, 0.0) - (c - 5.0)) < 1e-9);
    assert_true(fabs(tl_effective_speed_mps(10.0, 5.0, 0.0, 90.0) - c) < 1e-9);
    /* From 250 degrees, path toward 70: straight downwind. */
    assert_true(fabs(tl_effective_speed_mps(10.0, 8.0, 250.0, 70.0) - (c + 8.0)) < 1e-9);
    /* 60 degrees off the wind: half of it. */
    assert_true(fabs(tl_effective_speed_mps(10.0, 8.0, 250.0, 130.0) - (c + 4.0)) < 1e-9);
}

static void
test_absorption_iso(void **state)
{
    (void)state;
    /* ISO 9613-2:1996 table 2, octave mid-band frequencies, dB/km. */
    static const struct {
        double t_c, rh, f, alpha;
    } ref[] = {
        {10.0, 70.0, 500.0, 1.9},  {10.0, 70.0, 1000.0, 3.7}, {10.0, 70.0, 2000.0, 9.7},
        {10.0, 70.0, 4000.0, 32.8}, {20.0, 70.0, 500.0, 2.8},  {20.0, 70.0, 1000.0, 5.0},
        {20.0, 70.0, 2000.0, 9.0},  {20.0, 70.0, 4000.0, 22.9}, {15.0, 80.0, 1000.0, 4.1},
        {15.0, 80.0, 4000.0, 23.7},
    };
    for (size_t i = 0; i < sizeof(ref) / sizeof(ref[0]); i++) {
        double a = tl_absorption_db_per_km(ref[i].f, ref[i].t_c, ref[i].rh, 1013.25);
        assert_true(fabs(a - ref[i].alpha) <= 0.08 * ref[i].alpha);
    }
    /* The artillery band: small, and growing with frequency. */
    double a20 = tl_absorption_db_per_km(20.0, 5.0, 80.0, 1000.0);
    double a60 = tl_absorption_db_per_km(60.0, 5.0, 80.0, 1000.0);
    double a150 = tl_absorption_db_per_km(150.0, 5.0, 80.0, 1000.0);
    assert_true(a20 > 0.0 && a20 < a60 && a60 < a150 && a150 < 1.0);
    assert_true(tl_absorption_db_per_km(-1.0, 5.0, 80.0, 1000.0) == 0.0);
}

/* ---------------------------------------------------------- weapons -- */

static void
test_weapon_names(void **state)
{
    (void)state;
    static const char *const names[] = {"mortar_82", "mortar_120", "howitzer_122",
                                        "howitzer_152", "mlrs_122"};
    for (int w = 0; w < TL_WEAPON_COUNT; w++) {
        const struct tl_weapon_info *i = tl_weapon_get((enum tl_weapon)w);
        assert_non_null(i);
        assert_string_equal(names[w], i->name);
        assert_int_equal(w, tl_weapon_from_name(names[w]));
        assert_true(i->min_range_m < i->max_range_m);
        assert_true(tl_weapon_charges((enum tl_weapon)w) >= 1);
        /* Mortars are subsonic and fired at high angle; the rest are supersonic. */
        bool mortar = w == TL_WEAPON_MORTAR_82 || w == TL_WEAPON_MORTAR_120;
        assert_true(i->supersonic == !mortar);
        assert_true(i->high_angle == mortar);
        assert_true(i->supersonic == (i->muzzle_mps > 343.0));
    }
    assert_null(tl_weapon_get(TL_WEAPON_UNKNOWN));
    assert_null(tl_weapon_get(TL_WEAPON_COUNT));
    assert_int_equal(TL_WEAPON_UNKNOWN, tl_weapon_from_name("howitzer_155"));
    assert_int_equal(TL_WEAPON_UNKNOWN, tl_weapon_from_name(NULL));
    assert_int_equal(0, tl_weapon_charges(TL_WEAPON_UNKNOWN));
}

static void
test_max_range_calibrated(void **state)
{
    (void)state;
    for (int w = 0; w < TL_WEAPON_COUNT; w++) {
        const struct tl_weapon_info *i = tl_weapon_get((enum tl_weapon)w);
        double r;
        assert_int_equal(TL_OK, tl_max_range_m((enum tl_weapon)w, 0, &r));
        assert_true(fabs(r - i->max_range_m) < 0.002 * i->max_range_m);
        /* Weaker charges reach less far. */
        double prev = r;
        for (size_t c = 1; c < tl_weapon_charges((enum tl_weapon)w); c++) {
            assert_int_equal(TL_OK, tl_max_range_m((enum tl_weapon)w, c, &r));
            assert_true(r < prev);
            prev = r;
        }
        assert_int_equal(TL_EINVAL,
                         tl_max_range_m((enum tl_weapon)w, tl_weapon_charges((enum tl_weapon)w), &r));
    }
}

/* research/acoustics.md section 6.1, full charge: {range, low s, high s} (0: no entry). */
static void
check_table(enum tl_weapon w, const double (*rows)[3], size_t n)
{
    for (size_t k = 0; k < n; k++) {
        double t;
        if (rows[k][1] > 0.0) {
            assert_int_equal(TL_OK, tl_tof_charge_s(w, 0, rows[k][0], false, &t, NULL));
            assert_true(fabs(t - rows[k][1]) <= 0.15 * rows[k][1]);
        }
        if (rows[k][2] > 0.0) {
            assert_int_equal(TL_OK, tl_tof_charge_s(w, 0, rows[k][0], true, &t, NULL));
            assert_true(fabs(t - rows[k][2]) <= 0.15 * rows[k][2]);
        }
    }
}

static void
test_tof_table_6_1(void **state)
{
    (void)state;
    static const double h152[][3] = {
        {5000, 7, 118}, {10000, 17, 117}, {15000, 32, 114}, {20000, 51, 108}};
    static const double h122[][3] = {{5000, 10, 89}, {10000, 27, 85}, {15000, 55, 70}};
    static const double grad[][3] = {
        {5000, 9, 103}, {10000, 21, 101}, {15000, 38, 96}, {20000, 66, 82}};
    static const double m120[][3] = {{5000, 20, 53}, {7000, 0, 45}};
    check_table(TL_WEAPON_HOWITZER_152, h152, 4);
    check_table(TL_WEAPON_HOWITZER_122, h122, 3);
    check_table(TL_WEAPON_MLRS_122, grad, 4);
    check_table(TL_WEAPON_MORTAR_120, m120, 2);

    /* Time of flight at maximum range: 152 mm about 87 s, 120 mm mortar 40 s at ~44 deg. */
    double r, t, e;
    assert_int_equal(TL_OK, tl_max_range_m(TL_WEAPON_HOWITZER_152, 0, &r));
    assert_int_equal(TL_OK, tl_tof_charge_s(TL_WEAPON_HOWITZER_152, 0, r * 0.9999, false, &t, &e));
    assert_true(fabs(t - 87.0) <= 0.15 * 87.0);
    assert_int_equal(TL_OK, tl_max_range_m(TL_WEAPON_MORTAR_120, 0, &r));
    assert_int_equal(TL_OK, tl_tof_charge_s(TL_WEAPON_MORTAR_120, 0, r * 0.9999, false, &t, &e));
    assert_true(fabs(t - 40.0) <= 0.15 * 40.0);
    assert_true(e > 40.0 && e < 48.0);
}

static void
test_tof_charges_as_crews_use_them(void **state)
{
    (void)state;
    /* Reduced charges at 10 km: a 152 mm shell flies 26-31 s (section 6.1). */
    double t;
    assert_int_equal(TL_OK, tl_tof_s(TL_WEAPON_HOWITZER_152, 10000.0, false, &t));
    assert_true(t >= 26.0 * 0.85 && t <= 31.0 * 1.15);
    /* and longer than at full charge */
    double tf;
    assert_int_equal(TL_OK, tl_tof_charge_s(TL_WEAPON_HOWITZER_152, 0, 10000.0, false, &tf, NULL));
    assert_true(t > tf * 1.3);
    /* 120 mm mortar, 1-4 km, high angle: 24-47 s. */
    for (double r = 1000.0; r <= 4000.0; r += 500.0) {
        assert_int_equal(TL_OK, tl_tof_s(TL_WEAPON_MORTAR_120, r, true, &t));
        assert_true(t >= 24.0 * 0.85 && t <= 47.0 * 1.15);
    }
    /* Mortars are not fired at low angle; nothing reaches beyond its maximum range. */
    assert_int_equal(TL_ERANGE, tl_tof_s(TL_WEAPON_MORTAR_120, 3000.0, false, &t));
    assert_int_equal(TL_ERANGE, tl_tof_s(TL_WEAPON_HOWITZER_122, 16000.0, false, &t));
    assert_int_equal(TL_ERANGE, tl_tof_s(TL_WEAPON_MORTAR_82, 4200.0, true, &t));
    assert_int_equal(TL_EINVAL, tl_tof_s(TL_WEAPON_UNKNOWN, 3000.0, true, &t));
    assert_int_equal(TL_EINVAL, tl_tof_s(TL_WEAPON_MORTAR_82, NAN, true, &t));
    /* Time of flight grows with range on the low-angle branch. */
    double prev = 0.0;
    for (double r = 500.0; r < 20000.0; r += 250.0) {
        assert_int_equal(TL_OK, tl_tof_charge_s(TL_WEAPON_MLRS_122, 0, r, false, &t, NULL));
        assert_true(t > prev);
        prev = t;
    }
}

static void
test_tof_bounds(void **state)
{
    (void)state;
    for (int w = 0; w < TL_WEAPON_COUNT; w++) {
        const struct tl_weapon_info *i = tl_weapon_get((enum tl_weapon)w);
        double lo_deg, hi_deg;
        tl__weapon_elev_limits((enum tl_weapon)w, &lo_deg, &hi_deg);
        for (double r = i->min_range_m; r <= i->max_range_m; r += 250.0) {
            double lo, hi;
            assert_int_equal(TL_OK, tl_tof_bounds_s((enum tl_weapon)w, r, &lo, &hi));
            assert_true(lo > 0.0 && lo < hi);
            double t;
            if (tl_tof_s((enum tl_weapon)w, r, i->high_angle, &t) == TL_OK) {
                assert_true(t * 0.85 >= lo - 1e-9 && t * 1.15 <= hi + 1e-9);
            }
            /* Every charge and branch within the class's elevations lies inside. */
            for (size_t c = 0; c < tl_weapon_charges((enum tl_weapon)w); c++) {
                for (int b = 0; b < 2; b++) {
                    double e;
                    if (tl_tof_charge_s((enum tl_weapon)w, c, r, b == 1, &t, &e) == TL_OK &&
                        e >= lo_deg && e <= hi_deg) {
                        assert_true(t * 0.85 >= lo - 1e-6 && t * 1.15 <= hi + 1e-6);
                    }
                }
            }
            /* The union over classes holds the class. */
            double ulo, uhi;
            assert_int_equal(TL_OK, tl_tof_bounds_s(TL_WEAPON_UNKNOWN, r, &ulo, &uhi));
            assert_true(ulo <= lo && uhi >= hi);
        }
        double lo, hi;
        assert_int_equal(TL_ERANGE,
                         tl_tof_bounds_s((enum tl_weapon)w, i->max_range_m * 1.01, &lo, &hi));
    }
    double lo = -1.0, hi = -1.0;
    assert_int_equal(TL_ERANGE, tl_tof_bounds_s(TL_WEAPON_UNKNOWN, 30000.0, &lo, &hi));
    assert_true(lo == -1.0 && hi == -1.0); /* untouched on failure */
    /* 152 mm at 10 km: from a fast full-charge shell to high-angle fire. */
    assert_int_equal(TL_OK, tl_tof_bounds_s(TL_WEAPON_HOWITZER_152, 10000.0, &lo, &hi));
    assert_true(lo < 17.0 && hi > 60.0);
}

static void
test_trajectory(void **state)
{
    (void)state;
    static struct tl__traj_pt pts[2000];
    size_t n;
    double t, e;
    assert_int_equal(TL_OK, tl_tof_charge_s(TL_WEAPON_HOWITZER_152, 0, 15000.0, false, &t, &e));
    assert_int_equal(TL_OK, tl__trajectory(TL_WEAPON_HOWITZER_152, 0, e, 0.1, pts, 2000, &n));
    assert_true(n > 100);
    /* It lands where the table says, when it says (linear look-up error only). */
    assert_true(fabs(pts[n - 1].x_m - 15000.0) < 60.0);
    assert_true(fabs(pts[n - 1].t_s - t) < 0.3);
    assert_true(pts[0].v_mps > 800.0 && pts[0].v_mps / pts[0].c_mps > 2.0);
    /* Still supersonic when it lands (research section 2.1: 300-640 m/s). */
    assert_true(pts[n - 1].v_mps > 300.0 && pts[n - 1].v_mps < 640.0);
    /* A mortar bomb stays subsonic. */
    assert_int_equal(TL_OK, tl__trajectory(TL_WEAPON_MORTAR_120, 0, 60.0, 0.1, pts, 2000, &n));
    for (size_t k = 0; k < n; k++) {
        assert_true(pts[k].v_mps < pts[k].c_mps);
    }
    assert_int_equal(TL_EINVAL, tl__trajectory(TL_WEAPON_MORTAR_120, 9, 60.0, 0.1, pts, 2000, &n));
    assert_int_equal(TL_EINVAL, tl__trajectory(TL_WEAPON_MORTAR_120, 0, 95.0, 0.1, pts, 2000, &n));
}

/* ------------------------------------------------ concurrent first use -- */

static void *
first_use(void *arg)
{
    double *out = arg;
    if (tl_tof_s(TL_WEAPON_HOWITZER_122, 9000.0, false, out) != TL_OK) {
        *out = -1.0;
    }
    return NULL;
}

static void
test_threads(void **state)
{
    (void)state;
    pthread_t th[4];
    double r[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(0, pthread_create(&th[i], NULL, first_use, &r[i]));
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(0, pthread_join(th[i], NULL));
    }
    for (int i = 1; i < 4; i++) {
        assert_true(r[i] == r[0]);
    }
    assert_true(r[0] > 0.0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        /* first, so that the tables are built under concurrent first use */
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_sound_speed),
        cmocka_unit_test(test_effective_speed),
        cmocka_unit_test(test_absorption_iso),
        cmocka_unit_test(test_weapon_names),
        cmocka_unit_test(test_max_range_calibrated),
        cmocka_unit_test(test_tof_table_6_1),
        cmocka_unit_test(test_tof_charges_as_crews_use_them),
        cmocka_unit_test(test_tof_bounds),
        cmocka_unit_test(test_trajectory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
