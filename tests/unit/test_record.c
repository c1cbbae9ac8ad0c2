/*
 * test_record.c - pick, met and status records: valid records, and every class of
 * malformed record with its exact message.
 */
#include "tl_test.h"

#include <truceline/record.h>

#include <math.h>

static struct tl_mission *g_mission;

static int
setup(void **state)
{
    (void)state;
    return tl_mission_load(TL_SOURCE_DIR "/examples/demo/mission.geojson", &g_mission, NULL);
}

static int
teardown(void **state)
{
    (void)state;
    tl_mission_free(g_mission);
    return 0;
}

static void
expect(const char *line, int code, const char *msg)
{
    struct tl_record r;
    memset(&r, 0x5a, sizeof(r));
    struct tl_diag d = {0};
    int rc = tl_record_parse(line, strlen(line), g_mission, &r, &d);
    if (rc != code || strcmp(msg, tl_test_diag(&d)) != 0) {
        fail_msg("%s\n  got %d \"%s\"\n  want %d \"%s\"", line, rc, tl_test_diag(&d), code, msg);
    }
    unsigned char *b = (unsigned char *)&r;
    for (size_t i = 0; i < sizeof(r); i++) {
        assert_int_equal(0x5a, b[i]); /* untouched on failure */
    }
}

static void
test_pick_full(void **state)
{
    (void)state;
    const char *line = "{\"type\":\"pick\",\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33.512Z\","
                       "\"id\":\"L001-000042\",\"sigma_s\":0.004,\"snr_db\":23.5,\"amp_pa\":3.2,"
                       "\"freq_hz\":31,\"dur_s\":0.4,\"baz_deg\":271.5,\"baz_sigma_deg\":4,"
                       "\"shock\":false,\"extra\":{\"kept\":\"by the store\"}}";
    struct tl_record r;
    assert_int_equal(TL_OK, tl_record_parse(line, strlen(line), g_mission, &r, NULL));
    assert_int_equal(TL_REC_PICK, r.type);
    assert_string_equal("L001", r.u.pick.station);
    assert_string_equal("L001-000042", r.u.pick.id);
    assert_int_equal(INT64_C(1772338353512000000), r.u.pick.t_ns);
    assert_true(r.u.pick.sigma_s == 0.004 && r.u.pick.snr_db == 23.5 && r.u.pick.amp_pa == 3.2);
    assert_true(r.u.pick.freq_hz == 31 && r.u.pick.dur_s == 0.4);
    assert_true(r.u.pick.baz_deg == 271.5 && r.u.pick.baz_sigma_deg == 4);
    assert_false(r.u.pick.shock);
    assert_string_equal("L001", tl_record_station(&r));
}

static void
test_pick_minimal(void **state)
{
    (void)state;
    /* No type: a pick.  Defaults: sigma 0.02, absent features NAN, no id. */
    const char *line = "{\"station\":\"R002\",\"time\":\"2026-03-01T04:12:33Z\",\"baz_deg\":10}";
    struct tl_record r;
    assert_int_equal(TL_OK, tl_record_parse(line, strlen(line), g_mission, &r, NULL));
    assert_int_equal(TL_REC_PICK, r.type);
    assert_string_equal("", r.u.pick.id);
    assert_true(r.u.pick.sigma_s == TL_PICK_DEFAULT_SIGMA_S);
    assert_true(isnan(r.u.pick.snr_db) && isnan(r.u.pick.amp_pa) && isnan(r.u.pick.dur_s));
    assert_true(r.u.pick.baz_sigma_deg == TL_PICK_DEFAULT_BAZ_SIGMA_DEG);
    /* Without a mission, any valid station code is accepted. */
    const char *other = "{\"station\":\"ZZ9\",\"time\":\"2026-03-01T04:12:33Z\",\"shock\":true}";
    assert_int_equal(TL_OK, tl_record_parse(other, strlen(other), NULL, &r, NULL));
    assert_true(r.u.pick.shock);
}

static void
test_met_status(void **state)
{
    (void)state;
    const char *met = "{\"type\":\"met\",\"station\":\"L001\",\"time\":\"2026-03-01T04:10:00Z\","
                      "\"temp_c\":3.5,\"wind_mps\":6.2,\"wind_from_deg\":250,\"rh_pct\":80}";
    struct tl_record r;
    assert_int_equal(TL_OK, tl_record_parse(met, strlen(met), g_mission, &r, NULL));
    assert_int_equal(TL_REC_MET, r.type);
    assert_true(r.u.met.temp_c == 3.5 && r.u.met.wind_mps == 6.2 && r.u.met.wind_from_deg == 250);
    assert_true(r.u.met.rh_pct == 80 && isnan(r.u.met.pressure_hpa));
    const char *calm = "{\"type\":\"met\",\"station\":\"L001\",\"time\":\"2026-03-01T04:10:00Z\","
                       "\"wind_mps\":0}";
    assert_int_equal(TL_OK, tl_record_parse(calm, strlen(calm), g_mission, &r, NULL));
    const char *st = "{\"type\":\"status\",\"station\":\"L003\",\"time\":\"2026-03-01T04:10:00Z\","
                     "\"state\":\"clock_unsync\",\"note\":\"GPS lost\"}";
    assert_int_equal(TL_OK, tl_record_parse(st, strlen(st), g_mission, &r, NULL));
    assert_int_equal(TL_REC_STATUS, r.type);
    assert_int_equal(TL_STATE_CLOCK_UNSYNC, r.u.status.state);
    assert_string_equal("GPS lost", r.u.status.note);
    assert_string_equal("clock_unsync", tl_state_name(r.u.status.state));
}

static void
test_malformed(void **state)
{
    (void)state;
    expect("{\"station\":\"L001\",", TL_EPARSE,
           "not valid JSON: string or '}' expected near end of file (column 18)");
    expect("[1,2]", TL_EPARSE, "a record must be a JSON object");
    expect("{\"station\":\"L001\",\"station\":\"L002\",\"time\":\"2026-03-01T04:12:33Z\"}",
           TL_EPARSE, "not valid JSON: duplicate object key near '\"station\"' (column 27)");
    expect("{\"type\":7,\"station\":\"L001\"}", TL_EPARSE, "type: expected a string");
    expect("{\"type\":\"weather\",\"station\":\"L001\"}", TL_EPARSE,
           "type: unknown record type \"weather\" (pick, met, status)");
    expect("{\"time\":\"2026-03-01T04:12:33Z\"}", TL_EPARSE, "station: missing");
    expect("{\"station\":12,\"time\":\"2026-03-01T04:12:33Z\"}", TL_EPARSE,
           "station: expected a string");
    expect("{\"station\":\"l001\",\"time\":\"2026-03-01T04:12:33Z\"}", TL_EPARSE,
           "station: \"l001\" is not a SEED station code");
    expect("{\"station\":\"TOOLONG\",\"time\":\"2026-03-01T04:12:33Z\"}", TL_EPARSE,
           "station: \"TOOLONG\" is not a SEED station code");
    expect("{\"station\":\"X999\",\"time\":\"2026-03-01T04:12:33Z\"}", TL_ENOTFOUND,
           "station: unknown station X999 (not in the mission)");
    expect("{\"station\":\"L001\"}", TL_EPARSE, "time: missing");
    expect("{\"station\":\"L001\",\"time\":1772338353}", TL_EPARSE,
           "time: expected an RFC 3339 string");
    expect("{\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33+02:00\"}", TL_EPARSE,
           "time: time must end in Z (UTC); offsets are rejected");
    expect("{\"station\":\"L001\",\"time\":\"2026-03-01T23:59:60Z\"}", TL_ERANGE,
           "time: leap second :60 is not accepted");
    expect("{\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\",\"id\":\"a b\"}", TL_EPARSE,
           "id: expected a string matching [A-Za-z0-9._:-]{1,64}");
    expect("{\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\",\"sigma_s\":\"5\"}",
           TL_EPARSE, "sigma_s: expected a number");
    expect("{\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\",\"sigma_s\":0}", TL_ERANGE,
           "sigma_s: 0 outside (0, 60]");
    expect("{\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\",\"sigma_s\":-0.1}", TL_ERANGE,
           "sigma_s: -0.1 outside (0, 60]");
    expect("{\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\",\"snr_db\":412}", TL_ERANGE,
           "snr_db: 412 outside [-50, 200]");
    expect("{\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\",\"amp_pa\":-1}", TL_ERANGE,
           "amp_pa: -1 outside [0, 1e+06]");
    expect("{\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\",\"freq_hz\":0}", TL_ERANGE,
           "freq_hz: 0 outside (0, 100000]");
    expect("{\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\",\"dur_s\":4000}", TL_ERANGE,
           "dur_s: 4000 outside [0, 3600]");
    expect("{\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\",\"baz_deg\":360}", TL_ERANGE,
           "baz_deg: 360 outside [0, 360)");
    expect("{\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\",\"baz_deg\":10,"
           "\"baz_sigma_deg\":0}",
           TL_ERANGE, "baz_sigma_deg: 0 outside (0, 180]");
    expect("{\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\",\"baz_sigma_deg\":5}",
           TL_EPARSE, "baz_sigma_deg: given without baz_deg");
    expect("{\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\",\"shock\":1}", TL_EPARSE,
           "shock: expected true or false");
    expect("{\"type\":\"met\",\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\"}", TL_EPARSE,
           "temp_c: a met record needs temp_c or wind_mps");
    expect("{\"type\":\"met\",\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\","
           "\"temp_c\":300}",
           TL_ERANGE, "temp_c: 300 outside [-90, 60]");
    expect("{\"type\":\"met\",\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\","
           "\"wind_mps\":5}",
           TL_EPARSE, "wind_from_deg: missing: wind_mps needs a direction");
    expect("{\"type\":\"met\",\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\","
           "\"wind_mps\":-2,\"wind_from_deg\":3}",
           TL_ERANGE, "wind_mps: -2 outside [0, 100]");
    expect("{\"type\":\"met\",\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\","
           "\"temp_c\":5,\"pressure_hpa\":20}",
           TL_ERANGE, "pressure_hpa: 20 outside [300, 1100]");
    expect("{\"type\":\"met\",\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\","
           "\"temp_c\":5,\"rh_pct\":101}",
           TL_ERANGE, "rh_pct: 101 outside [0, 100]");
    expect("{\"type\":\"status\",\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\"}",
           TL_EPARSE, "state: missing");
    expect("{\"type\":\"status\",\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\","
           "\"state\":\"sleeping\"}",
           TL_EPARSE, "state: expected up, down, tamper, clock_unsync or low_power");
    expect("{\"type\":\"status\",\"station\":\"L001\",\"time\":\"2026-03-01T04:12:33Z\","
           "\"state\":\"up\",\"note\":5}",
           TL_EPARSE, "note: expected a string of at most 255 bytes");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick_full),
        cmocka_unit_test(test_pick_minimal),
        cmocka_unit_test(test_met_status),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
