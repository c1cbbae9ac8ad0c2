/*
 * test_accuracy.c - the network processing against the simulator's ground truth, on small
 * fixed seeds (issue 4).
 *
 * Each test simulates a stretch of one preset (demo mission, seed 1), processes it with
 * the library pipeline exactly as `truceline process` does, writes the bulletin and scores
 * it with the evaluation of formats.md section 5.  Two kinds of assertion:
 *
 *   - the targets where the processing meets them: on `calm` recall, precision,
 *     location, calibrated ellipses and no confident wrong side; on `mirror` (stations in
 *     one row: timing cannot tell the side) no confident side at all; in a barrage at
 *     most 0.5% of confident findings wrong;
 *   - elsewhere, floors a little below today's figures (README "Current figures"), which
 *     are below the targets: they catch a change that makes things worse and are raised
 *     as the processing improves.  They are not the targets, and say so when they fail.
 *
 * The figures are printed; the full-day figures are bench_process's (make bench).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "tl_test.h"

#include "tl_tlog_test.h" /* scratch folders */

#include <truceline/truceline.h>
#include <truceline/sim.h>

#include <stdlib.h>

static char g_dir[64];

static int
setup(void **state)
{
    (void)state;
    tl_tlog_test_tmpdir("tl_test_accuracy_", g_dir, sizeof(g_dir));
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    tl_tlog_test_rmrf(g_dir);
    return 0;
}

/* Simulate `hours` of `preset` (seed 1), process, evaluate into e. */
static void
run(const char *preset, double hours, struct tl_eval *e)
{
    char dir[256], path[320], bul[320];
    snprintf(dir, sizeof(dir), "%s/%s", g_dir, preset);
    assert_int_equal(0, mkdir(dir, 0755));
    struct tl_mission *demo = NULL;
    assert_int_equal(TL_OK,
                     tl_mission_load(TL_SOURCE_DIR "/examples/demo/mission.geojson", &demo, NULL));
    struct tl_sim_config sc = {.preset = preset, .seed = 1, .start_ns = TL_SIM_DEFAULT_START_NS,
                               .hours = hours};
    struct tl_sim *s = NULL;
    assert_int_equal(TL_OK, tl_sim_generate(demo, &sc, &s));
    assert_int_equal(TL_OK, tl_sim_write(s, dir));
    tl_sim_free(s);
    tl_mission_free(demo);

    struct tl_mission *m = NULL;
    snprintf(path, sizeof(path), "%s/mission.geojson", dir);
    assert_int_equal(TL_OK, tl_mission_load(path, &m, NULL));
    struct tl_pipeline *p = NULL;
    assert_int_equal(TL_OK, tl_pipeline_new(m, NULL, &p));
    snprintf(path, sizeof(path), "%s/records.jsonl", dir);
    assert_int_equal(TL_OK, tl_pipeline_add_file(p, path, false, NULL, NULL));
    assert_int_equal(TL_OK, tl_pipeline_run(p, INT64_MAX));
    struct tl_bulletin b;
    tl_pipeline_bulletin(p, &b);
    snprintf(bul, sizeof(bul), "%s/bulletin.geojson", dir);
    assert_int_equal(TL_OK, tl_bulletin_write(&b, bul, NULL));
    tl_pipeline_free(p);
    tl_mission_free(m);
    snprintf(path, sizeof(path), "%s/truth.jsonl", dir);
    assert_int_equal(TL_OK, tl_eval_files(path, bul, e, NULL));
    print_message("%-7s %4.1f h: recall %.1f%% precision %.1f%% impact median %.1f m launch "
                  "median %.1f m p90 %.1f m ellipse %.1f%% pairs %.1f%%/%.1f%% confident "
                  "%ld wrong %ld\n",
                  preset, hours, 100 * e->all.recall, 100 * e->all.precision, e->loc_median_m[1],
                  e->loc_median_m[0], e->loc_p90_m[0], 100 * e->ellipse_coverage,
                  100 * e->pairs_recall, 100 * e->pairs_precision, e->confident,
                  e->attr_wrong_confident);
}

/* A floor below the target: fail loudly as a regression. */
static void
floor_check(const char *what, double value, double floor)
{
    if (value < floor) {
        print_error("regression: %s %.3f below the floor %.3f (the issue's target is higher)\n",
                    what, value, floor);
    }
    assert_true(value >= floor);
}

/* A quiet day: the targets hold. */
static void
test_calm_day(void **state)
{
    (void)state;
    struct tl_eval e;
    run("calm", 24.0, &e);
    assert_true(e.all.truth >= 30);
    assert_true(e.all.recall >= 0.95);
    assert_true(e.all.precision >= 0.98);
    assert_true(e.loc_median_m[1] <= 30.0);
    assert_true(e.loc_median_m[0] <= 100.0);
    assert_true(e.loc_p90_m[0] <= 300.0);
    assert_true(e.ellipse_coverage >= 0.90 && e.ellipse_coverage <= 0.98);
    assert_int_equal(0, e.attr_wrong_confident);
    assert_true(e.pairs_recall >= 0.90);
    assert_true(e.pairs_precision >= 0.97);
}

/* One row of stations: no confident side, ever. */
static void
test_mirror_never_confident(void **state)
{
    (void)state;
    struct tl_eval e;
    run("mirror", 3.0, &e);
    assert_true(e.findings > 0);
    assert_int_equal(0, e.confident);
    assert_int_equal(0, e.attr_wrong_confident);
}

/* The first hours of heavy fire: confident findings right; floors elsewhere. */
static void
test_busy_barrage(void **state)
{
    (void)state;
    struct tl_eval e;
    run("busy", 2.0, &e);
    assert_true(e.all.truth >= 300);
    assert_true(e.attr_wrong_confident * 200 <= e.confident); /* <= 0.5% */
    floor_check("busy recall", e.all.recall, 0.52);
    floor_check("busy precision", e.all.precision, 0.72);
    floor_check("busy ellipse coverage", e.ellipse_coverage, 0.88);
    floor_check("busy pairs precision", e.pairs_precision, 0.33);
}

/*
 * The whole faulty day, as in the README's table: its floors come from that table, and
 * a window of four hours is too small a sample for them - the first four hours' recall
 * ranges from 54 to 74% over seeds 1-5 (main of 2026-11-30), and a change anywhere in the
 * association moves one window by up to five points whichever way, where the day moves
 * by one or two.
 */
static void
test_faulty_network(void **state)
{
    (void)state;
    struct tl_eval e;
    run("faulty", 24.0, &e);
    assert_true(e.attr_wrong_confident * 200 <= e.confident);
    floor_check("faulty recall", e.all.recall, 0.68);
    floor_check("faulty precision", e.all.precision, 0.88);
    floor_check("faulty ellipse coverage", e.ellipse_coverage, 0.90);
}

static void
test_windy_day(void **state)
{
    (void)state;
    struct tl_eval e;
    run("windy", 4.0, &e);
    floor_check("windy recall", e.all.recall, 0.42);
    floor_check("windy precision", e.all.precision, 0.78);
    floor_check("windy ellipse coverage", e.ellipse_coverage, 0.90);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calm_day),
        cmocka_unit_test(test_mirror_never_confident),
        cmocka_unit_test(test_busy_barrage),
        cmocka_unit_test(test_faulty_network),
        cmocka_unit_test(test_windy_day),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
