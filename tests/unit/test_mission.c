/*
 * test_mission.c - the mission loader: the demo mission, and every class of broken
 * mission file with the exact list of problems (feature index, field, reason).
 */
#include "tl_test.h"

#include <truceline/mission.h>

#define HEAD                                                                                       \
    "{\"type\":\"FeatureCollection\",\"mission\":{\"name\":\"T\",\"parties\":{\"left\":\"A\","     \
    "\"right\":\"B\"}},\"features\":["
#define LINE                                                                                       \
    "{\"type\":\"Feature\",\"properties\":{\"kind\":\"contact_line\"},\"geometry\":"               \
    "{\"type\":\"LineString\",\"coordinates\":[[37.6,48.1],[37.75,48.21]]}}"
#define STATION(id, extra)                                                                         \
    "{\"type\":\"Feature\",\"properties\":{\"kind\":\"station\",\"id\":\"" id "\"" extra "},"      \
    "\"geometry\":{\"type\":\"Point\",\"coordinates\":[37.71,48.19,180]}}"

/* Load `text`, expect `code` and exactly the `n` problems listed. */
static void
expect(const char *text, int code, size_t n, const char *const *problems)
{
    static struct tl_mission_problems pr;
    struct tl_mission *m = NULL;
    int rc = tl_mission_load_buffer(text, strlen(text), "<test>", &m, &pr);
    if (rc != code || pr.n != n) {
        for (size_t i = 0; i < pr.n; i++) {
            print_message("  problem: %s\n", pr.text[i]);
        }
        fail_msg("got rc %d with %zu problems, want %d with %zu", rc, pr.n, code, n);
    }
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(problems[i], pr.text[i]);
    }
    if (code == TL_OK) {
        assert_non_null(m);
        tl_mission_free(m);
    } else {
        assert_null(m);
    }
}

static void
test_demo(void **state)
{
    (void)state;
    struct tl_mission *m = NULL;
    struct tl_mission_problems pr;
    assert_int_equal(TL_OK,
                     tl_mission_load(TL_SOURCE_DIR "/examples/demo/mission.geojson", &m, &pr));
    assert_int_equal(0, pr.n);
    assert_string_equal("Demo sector", tl_mission_name(m));
    assert_string_equal("Party A", tl_mission_party(m, TL_SIDE_LEFT));
    assert_string_equal("Party B", tl_mission_party(m, TL_SIDE_RIGHT));
    assert_null(tl_mission_party(m, TL_SIDE_AMBIGUOUS));
    assert_true(tl_mission_illustrative(m));
    assert_int_equal(70, tl_mission_station_count(m));
    assert_int_equal(3, tl_mission_zone_count(m));
    assert_int_equal(15, tl_mission_place_count(m));
    long i = tl_mission_find_station(m, "L001");
    assert_true(i >= 0);
    assert_string_equal("L001", tl_mission_station(m, (size_t)i)->id);
    assert_int_equal(-1, tl_mission_find_station(m, "Q001"));
    size_t arrays = 0;
    for (size_t k = 0; k < tl_mission_station_count(m); k++) {
        const struct tl_station *st = tl_mission_station(m, k);
        assert_int_equal(k, (size_t)tl_mission_find_station(m, st->id));
        if (st->n_elements) {
            arrays++;
            assert_int_equal(4, st->n_elements);
        }
        assert_int_equal(2, strlen(st->contingent));
    }
    assert_int_equal(35, arrays);
    size_t len;
    const char *src = tl_mission_source(m, &len);
    assert_true(len > 1000 && src[0] == '{');
    tl_mission_free(m);
}

static void
test_minimal_ok(void **state)
{
    (void)state;
    expect(HEAD LINE "," STATION("A012", ",\"sensor\":\"infrasound\",\"contingent\":\"FI\","
                                         "\"array\":[[0,0,0],[30,0,0],[0,30,0],[-20,-20,0]],"
                                         "\"key\":\"O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=\"")
                                         "]}",
           TL_OK, 0, NULL);
}

static void
test_not_json(void **state)
{
    (void)state;
    static const char *const p[] = {"line 1: not valid JSON: '[' or '{' expected near 'nope'"};
    expect("nope", TL_EPARSE, 1, p);
    static const char *const q[] = {"type: a mission file is a GeoJSON FeatureCollection"};
    expect("{\"type\":\"Feature\"}", TL_EINVAL, 1, q);
}

static void
test_header_problems(void **state)
{
    (void)state;
    static const char *const p[] = {
        "mission.name: missing or empty",
        "mission.parties.right: missing or empty: the party on the right of the line",
        "mission.illustrative: must be true or false",
    };
    expect("{\"type\":\"FeatureCollection\",\"mission\":{\"name\":\"\",\"parties\":{\"left\":\"A\"},"
           "\"illustrative\":\"yes\"},\"features\":[" LINE "," STATION("A1", "") "]}",
           TL_EINVAL, 3, p);
    static const char *const q[] = {
        "mission: missing: {\"name\": ..., \"parties\": {\"left\": ..., \"right\": ...}}",
        "features: missing array of features"};
    expect("{\"type\":\"FeatureCollection\"}", TL_EINVAL, 2, q);
}

static void
test_line_problems(void **state)
{
    (void)state;
    static const char *const none[] = {
        "features: no contact line (exactly one LineString with kind contact_line)"};
    expect(HEAD STATION("A1", "") "]}", TL_EINVAL, 1, none);
    static const char *const two[] = {
        "feature 1 (contact_line): properties.kind: a second contact line (exactly one is "
        "allowed)"};
    expect(HEAD LINE "," LINE "," STATION("A1", "") "]}", TL_EINVAL, 1, two);
    static const char *const bad[] = {
        "feature 0 (contact_line): geometry.coordinates[1]: latitude 98.2 outside [-90, 90]",
        "feature 0 (contact_line): geometry.coordinates[3]: repeats the previous position "
        "(zero-length segment)",
    };
    expect(HEAD "{\"type\":\"Feature\",\"properties\":{\"kind\":\"contact_line\"},\"geometry\":"
                "{\"type\":\"LineString\",\"coordinates\":[[37.6,48.1],[37.7,98.2],[37.8,48.3],"
                "[37.8,48.3]]}}," STATION("A1", "") "]}",
           TL_EINVAL, 2, bad);
    static const char *const type[] = {
        "feature 0 (contact_line): geometry.type: a contact line must be a LineString"};
    expect(HEAD "{\"type\":\"Feature\",\"properties\":{\"kind\":\"contact_line\"},\"geometry\":"
                "{\"type\":\"Point\",\"coordinates\":[37.6,48.1]}}," STATION("A1", "") "]}",
           TL_EINVAL, 1, type);
}

static void
test_station_problems(void **state)
{
    (void)state;
    static const char *const p[] = {
        "feature 1 (station a-1): properties.id: \"a-1\" is not a SEED station code (1-5 of A-Z "
        "0-9)",
        "feature 2 (station B2): properties.sensor: unknown sensor (acoustic, infrasound or "
        "seismic)",
        "feature 3 (station C3): properties.array: an array needs 3 to 16 elements [east_m, "
        "north_m, up_m]",
        "feature 4 (station D4): properties.array[1]: expected [east_m, north_m, up_m], each "
        "within 1000 m",
        "feature 4 (station D4): properties.array[2]: same offset as element 0",
        "feature 5 (station E5): properties.contingent: expected an ISO 3166-1 alpha-2 code (two "
        "capitals)",
        "feature 6 (station F6): properties.key: expected base64 of a 32-byte Ed25519 public key",
        "feature 7 (station ?): properties.id: a station needs an id (SEED station code)",
        "feature 8 (station H8): geometry.coordinates: a station needs its elevation: [lon, lat, "
        "elev_m]",
        "feature 9 (station J9): geometry.type: a station must be a Point",
        "properties.id: station id K1 is used more than once",
    };
    expect(HEAD LINE "," STATION("a-1", "") "," STATION("B2", ",\"sensor\":\"laser\"") "," STATION(
               "C3", ",\"array\":[[0,0,0],[1,1,1]]") "," STATION("D4",
                                                               ",\"array\":[[0,0,0],[5000,0,0],"
                                                               "[0,0,0]]") "," STATION("E5",
                                                                                       ",\"contingent"
                                                                                       "\":\"fin\"") "," STATION("F6", ",\"key\":\"c2hvcnQ=\"") ","
           "{\"type\":\"Feature\",\"properties\":{\"kind\":\"station\"},\"geometry\":{\"type\":"
           "\"Point\",\"coordinates\":[37.71,48.19,180]}},"
           "{\"type\":\"Feature\",\"properties\":{\"kind\":\"station\",\"id\":\"H8\"},\"geometry\":"
           "{\"type\":\"Point\",\"coordinates\":[37.71,48.19]}},"
           "{\"type\":\"Feature\",\"properties\":{\"kind\":\"station\",\"id\":\"J9\"},\"geometry\":"
           "{\"type\":\"LineString\",\"coordinates\":[[37.71,48.19],[37.8,48.2]]}}," STATION("K1", "") "," STATION("K1", "") "]}",
           TL_EINVAL, 11, p);
}

static void
test_zone_and_place_problems(void **state)
{
    (void)state;
    static const char *const p[] = {
        "feature 2 (zone Z1): geometry.coordinates[0]: ring is not closed (first and last "
        "positions differ)",
        "feature 3 (zone Z1): properties.id: zone id \"Z1\" is used twice",
        "feature 4 (zone ?): properties.id: a zone needs an id matching [A-Za-z0-9._:-]{1,64}",
        "feature 4 (zone ?): properties.rule.forbid[1]: unknown rule (fire, impact or "
        "heavy_weapons)",
        "feature 4 (zone ?): geometry.coordinates[0]: a ring needs at least 4 positions (closed: "
        "first = last)",
        "feature 5 (zone Z5): geometry.type: a zone must be a Polygon or MultiPolygon",
        "feature 6 (place ?): properties.name: a place needs a name of 1 to 100 bytes",
        "feature 7: properties.kind: unknown kind \"road\" (contact_line, station, zone or place)",
        "feature 8: properties: missing properties object",
        "feature 9: type: expected a GeoJSON Feature",
    };
    expect(HEAD LINE "," STATION("A1", "")
           ",{\"type\":\"Feature\",\"properties\":{\"kind\":\"zone\",\"id\":\"Z1\"},\"geometry\":"
           "{\"type\":\"Polygon\",\"coordinates\":[[[37,48],[38,48],[38,49],[37,49]]]}}"
           ",{\"type\":\"Feature\",\"properties\":{\"kind\":\"zone\",\"id\":\"Z1\"},\"geometry\":"
           "{\"type\":\"Polygon\",\"coordinates\":[[[37,48],[38,48],[38,49],[37,48]]]}}"
           ",{\"type\":\"Feature\",\"properties\":{\"kind\":\"zone\",\"rule\":{\"forbid\":[\"fire\","
           "\"singing\"]}},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[37,48],[38,48],"
           "[37,48]]]}}"
           ",{\"type\":\"Feature\",\"properties\":{\"kind\":\"zone\",\"id\":\"Z5\"},\"geometry\":"
           "{\"type\":\"Point\",\"coordinates\":[37,48]}}"
           ",{\"type\":\"Feature\",\"properties\":{\"kind\":\"place\",\"name\":\"\"},\"geometry\":"
           "{\"type\":\"Point\",\"coordinates\":[37,48]}}"
           ",{\"type\":\"Feature\",\"properties\":{\"kind\":\"road\"},\"geometry\":"
           "{\"type\":\"Point\",\"coordinates\":[37,48]}}"
           ",{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[37,48]}}"
           ",{\"type\":\"Thing\"}]}",
           TL_EINVAL, 10, p);
}

/* More problems than the list holds: the first ones are kept, all are counted. */
static void
test_many_problems(void **state)
{
    (void)state;
    size_t cap = 1 << 20, off = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    off += (size_t)snprintf(text, cap, "%s", HEAD LINE);
    for (int i = 0; i < 300; i++) {
        off += (size_t)snprintf(text + off, cap - off, "," STATION("bad", ""));
    }
    snprintf(text + off, cap - off, "]}");
    static struct tl_mission_problems pr;
    struct tl_mission *m = NULL;
    assert_int_equal(TL_EINVAL, tl_mission_load_buffer(text, strlen(text), "<t>", &m, &pr));
    assert_int_equal(TL_MISSION_MAX_PROBLEMS, pr.n);
    assert_int_equal(300, pr.n_total);
    free(text);
}

static void
test_missing_file(void **state)
{
    (void)state;
    static struct tl_mission_problems pr;
    struct tl_mission *m = NULL;
    assert_int_equal(TL_EIO, tl_mission_load("/nonexistent.geojson", &m, &pr));
    assert_string_equal("/nonexistent.geojson: cannot open: No such file or directory",
                        pr.text[0]);
}

static void
test_ids(void **state)
{
    (void)state;
    assert_true(tl_valid_station_id("A"));
    assert_true(tl_valid_station_id("AB123"));
    assert_false(tl_valid_station_id(""));
    assert_false(tl_valid_station_id("ABCDEF"));
    assert_false(tl_valid_station_id("ab1"));
    assert_true(tl_valid_id("E000123"));
    assert_true(tl_valid_id("a.b_c:d-e"));
    assert_false(tl_valid_id("a b"));
    assert_false(tl_valid_id(""));
    char long_id[80];
    memset(long_id, 'x', 65);
    long_id[65] = '\0';
    assert_false(tl_valid_id(long_id));
    long_id[64] = '\0';
    assert_true(tl_valid_id(long_id));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo),
        cmocka_unit_test(test_minimal_ok),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_header_problems),
        cmocka_unit_test(test_line_problems),
        cmocka_unit_test(test_station_problems),
        cmocka_unit_test(test_zone_and_place_problems),
        cmocka_unit_test(test_many_problems),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
