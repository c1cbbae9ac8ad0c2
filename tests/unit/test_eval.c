/*
 * test_eval.c - the evaluation's account of mixtures: which matched events used a pick of
 * another true event or of none, and the location and ellipse coverage of pure and mixed
 * events apart.  A hand-made truth and bulletin, with every answer known.
 */
#include "tl_test.h"

#include <truceline/eval.h>

#include <math.h>

/* Four true events 60 s apart on one meridian, each heard by stations S1-S5 (picks
 * Sk-00000e of event e); one false pick, S9-000099, in no event. */
static const char truth_text[] =
    "{\"type\":\"event\",\"id\":\"E1\",\"time\":\"2026-03-01T00:00:00Z\",\"lat\":48.0,\"lon\":37.0,"
    "\"class\":\"launch\",\"side\":\"left\"}\n"
    "{\"type\":\"event\",\"id\":\"E2\",\"time\":\"2026-03-01T00:01:00Z\",\"lat\":48.1,\"lon\":37.0,"
    "\"class\":\"impact\",\"side\":\"right\"}\n"
    "{\"type\":\"event\",\"id\":\"E3\",\"time\":\"2026-03-01T00:02:00Z\",\"lat\":48.2,\"lon\":37.0,"
    "\"class\":\"impact\",\"side\":\"right\"}\n"
    "{\"type\":\"event\",\"id\":\"E4\",\"time\":\"2026-03-01T00:03:00Z\",\"lat\":48.3,\"lon\":37.0,"
    "\"class\":\"impact\",\"side\":\"right\"}\n";

/* A bulletin event at (lat, lon), 100 x 50 m ellipse with its major axis east-west, and
 * its arrivals (pick id, weight) or, with arrivals NULL, its picks. */
static void
add_event(char *buf, size_t size, const char *id, const char *time, double lat, double lon,
          const char *arrivals, const char *picks)
{
    size_t off = strlen(buf);
    snprintf(buf + off, size - off,
             "%s{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[%.6f,%.6f]},"
             "\"properties\":{\"kind\":\"event\",\"id\":\"%s\",\"time\":\"%s\",\"class\":\"impact\","
             "\"ellipse\":{\"major_m\":100.0,\"minor_m\":50.0,\"azimuth_deg\":90.0,\"p\":0.95},"
             "%s%s%s}}",
             off > strlen("{\"type\":\"FeatureCollection\",\"features\":[") ? "," : "", lon, lat,
             id, time, arrivals ? "\"arrivals\":[" : "\"picks\":[", arrivals ? arrivals : picks,
             "]");
}

static void
test_mixtures(void **state)
{
    (void)state;
    static char truth[8192];
    snprintf(truth, sizeof(truth), "%s", truth_text);
    for (int e = 1; e <= 4; e++) {
        for (int k = 1; k <= 5; k++) {
            size_t off = strlen(truth);
            snprintf(truth + off, sizeof(truth) - off,
                     "{\"type\":\"pick\",\"id\":\"S%d-00000%d\",\"event\":\"E%d\"}\n", k, e, e);
        }
    }
    static char bul[8192] = "{\"type\":\"FeatureCollection\",\"features\":[";
    /* F1: E1's own five picks and two arrivals without a pick id (no evidence either way),
     * 11 m off: pure, inside */
    add_event(bul, sizeof(bul), "F1", "2026-03-01T00:00:00.1Z", 48.0001, 37.0,
              "{\"pick\":\"S1-000001\",\"weight\":1},{\"pick\":\"S2-000001\",\"weight\":1},"
              "{\"pick\":\"S3-000001\",\"weight\":1},{\"pick\":\"S4-000001\",\"weight\":0.9},"
              "{\"pick\":\"S5-000001\",\"weight\":1},{\"pick\":\"\",\"weight\":1},{\"weight\":1}",
              NULL);
    /* F2: four of E2's picks and one of E1's at weight 0.9, 300 m north of E2 (outside its
     * 50 m semi-minor axis): mixed, outside.  The false pick at weight 0.2 does not count. */
    add_event(bul, sizeof(bul), "F2", "2026-03-01T00:01:00.2Z", 48.1 + 300.0 / 111200.0, 37.0,
              "{\"pick\":\"S1-000002\",\"weight\":1},{\"pick\":\"S2-000002\",\"weight\":1},"
              "{\"pick\":\"S3-000002\",\"weight\":1},{\"pick\":\"S4-000002\",\"weight\":1},"
              "{\"pick\":\"S5-000001\",\"weight\":0.9},{\"pick\":\"S9-000099\",\"weight\":0.2}",
              NULL);
    /* F3: no arrivals, its picks listed: all E3's, 22 m off: pure, inside */
    add_event(bul, sizeof(bul), "F3", "2026-03-01T00:02:00Z", 48.2002, 37.0, NULL,
              "\"S1-000003\",\"S2-000003\",\"S3-000003\",\"S4-000003\",\"S5-000003\"");
    /* F4: E4's picks and the false pick at weight 0.8, 70 m east (inside the 100 m
     * semi-major axis): mixed, inside */
    add_event(bul, sizeof(bul), "F4", "2026-03-01T00:03:00Z", 48.3,
              37.0 + 70.0 / (111320.0 * cos(48.3 * M_PI / 180.0)),
              "{\"pick\":\"S1-000004\",\"weight\":1},{\"pick\":\"S2-000004\",\"weight\":1},"
              "{\"pick\":\"S3-000004\",\"weight\":1},{\"pick\":\"S4-000004\",\"weight\":1},"
              "{\"pick\":\"S9-000099\",\"weight\":0.8}",
              NULL);
    /* F5: 5 km from anything: unmatched, in no count */
    add_event(bul, sizeof(bul), "F5", "2026-03-01T00:03:00Z", 48.35, 37.0,
              "{\"pick\":\"S1-000004\",\"weight\":1}", NULL);
    size_t off = strlen(bul);
    snprintf(bul + off, sizeof(bul) - off, "]}\n");

    char tpath[64], bpath[64];
    tl_test_tmpfile(tpath, sizeof(tpath), truth, strlen(truth));
    tl_test_tmpfile(bpath, sizeof(bpath), bul, strlen(bul));
    struct tl_eval e;
    struct tl_diag d = {0};
    int rc = tl_eval_files(tpath, bpath, &e, &d);
    if (rc != TL_OK) {
        fail_msg("evaluation failed: %s", tl_test_diag(&d));
    }
    assert_int_equal(5, e.all.found);
    assert_int_equal(4, e.all.matched);
    assert_int_equal(4, e.mix_events);
    assert_int_equal(2, e.mix_n[0]);
    assert_int_equal(2, e.mix_n[1]);
    assert_true(fabs(e.mix_coverage[0] - 1.0) < 1e-12);
    assert_true(fabs(e.mix_coverage[1] - 0.5) < 1e-12);
    /* pure: 11 and 22 m (median of two is their mean); mixed: 70 and 300 m */
    assert_true(fabs(e.mix_loc_median_m[0] - 16.7) < 0.5);
    assert_true(fabs(e.mix_loc_median_m[1] - 185.0) < 1.0);
    assert_true(fabs(e.mix_loc_p90_m[1] - (70.0 + 0.9 * 230.0)) < 1.0);
    char *j = tl_eval_json(&e);
    assert_non_null(j);
    assert_non_null(strstr(j, "\"share_mixed\": 0.5"));
    tl_free(j);
    char *t = tl_eval_table(&e);
    assert_non_null(t);
    assert_non_null(strstr(t, "mixtures (a used pick of another source or of none): 2 of 4"));
    tl_free(t);
    unlink(tpath);
    unlink(bpath);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixtures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
