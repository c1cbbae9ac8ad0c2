/*
 * test_time.c - the RFC 3339 codec: round trips at ns precision, exact rejection messages.
 */
#include "tl_test.h"

#include <truceline/time.h>

static tl_time_ns
parse_ok(const char *s)
{
    tl_time_ns t = 0;
    struct tl_diag d = {0};
    int rc = tl_time_parse(s, strlen(s), &t, &d);
    if (rc != TL_OK) {
        fail_msg("%s: %s", s, d.text);
    }
    return t;
}

static void
expect_reject(const char *s, int code, const char *msg)
{
    tl_time_ns t = 12345;
    struct tl_diag d = {0};
    assert_int_equal(code, tl_time_parse(s, strlen(s), &t, &d));
    assert_string_equal(msg, d.text);
    assert_int_equal(12345, t); /* untouched on failure */
}

static void
test_known_instants(void **state)
{
    (void)state;
    assert_int_equal(0, parse_ok("1970-01-01T00:00:00Z"));
    assert_int_equal(INT64_C(1772323953512000000), parse_ok("2026-03-01T00:12:33.512Z"));
    assert_int_equal(INT64_C(951782400) * TL_NS_PER_S, parse_ok("2000-02-29T00:00:00Z"));
    assert_int_equal(-1, parse_ok("1969-12-31T23:59:59.999999999Z"));
    assert_int_equal(INT64_MAX, parse_ok("2262-04-11T23:47:16.854775807Z"));
    assert_int_equal(INT64_MIN, parse_ok("1677-09-21T00:12:43.145224192Z"));
    assert_int_equal(500000000, parse_ok("1970-01-01T00:00:00.5Z"));
}

static void
test_format(void **state)
{
    (void)state;
    char buf[TL_TIME_TEXT_MAX];
    assert_int_equal(TL_OK, tl_time_format(0, buf, sizeof(buf)));
    assert_string_equal("1970-01-01T00:00:00Z", buf);
    tl_time_format(INT64_C(1772323953512000000), buf, sizeof(buf));
    assert_string_equal("2026-03-01T00:12:33.512Z", buf);
    tl_time_format(INT64_C(1772323953512300000), buf, sizeof(buf));
    assert_string_equal("2026-03-01T00:12:33.512300Z", buf);
    tl_time_format(INT64_C(1772323953512300001), buf, sizeof(buf));
    assert_string_equal("2026-03-01T00:12:33.512300001Z", buf);
    tl_time_format(-1, buf, sizeof(buf));
    assert_string_equal("1969-12-31T23:59:59.999999999Z", buf);
    tl_time_format(INT64_MIN, buf, sizeof(buf));
    assert_string_equal("1677-09-21T00:12:43.145224192Z", buf);
    assert_int_equal(TL_EINVAL, tl_time_format(0, buf, 10));
}

/* A pseudo-random walk over the whole int64 range: format then parse gives back t. */
static void
test_round_trip(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15u;
    char buf[TL_TIME_TEXT_MAX];
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        tl_time_ns t = (tl_time_ns)x;
        if (i % 3 == 1) {
            t = t / 1000000 * 1000000; /* also whole milliseconds */
        }
        assert_int_equal(TL_OK, tl_time_format(t, buf, sizeof(buf)));
        tl_time_ns back = 0;
        assert_int_equal(TL_OK, tl_time_parse(buf, strlen(buf), &back, NULL));
        assert_int_equal(t, back);
    }
}

static void
test_rejections(void **state)
{
    (void)state;
    expect_reject("2026-03-01T00:12:33+01:00", TL_EPARSE,
                  "time must end in Z (UTC); offsets are rejected");
    expect_reject("2026-03-01T00:12:33.5+00:00", TL_EPARSE,
                  "time must end in Z (UTC); offsets are rejected");
    expect_reject("2026-03-01T00:12:33z", TL_EPARSE,
                  "time must end in Z (UTC); offsets are rejected");
    expect_reject("2026-03-01t00:12:33Z", TL_EPARSE,
                  "not an RFC 3339 time (expected YYYY-MM-DDThh:mm:ss[.fff]Z)");
    expect_reject("2026-3-01T00:12:33Z", TL_EPARSE,
                  "not an RFC 3339 time (expected YYYY-MM-DDThh:mm:ss[.fff]Z)");
    expect_reject("", TL_EPARSE, "not an RFC 3339 time (expected YYYY-MM-DDThh:mm:ss[.fff]Z)");
    expect_reject("2016-12-31T23:59:60Z", TL_ERANGE, "leap second :60 is not accepted");
    expect_reject("2026-13-01T00:00:00Z", TL_ERANGE, "month 13 out of range 01-12");
    expect_reject("2026-00-01T00:00:00Z", TL_ERANGE, "month 00 out of range 01-12");
    expect_reject("2026-02-29T00:00:00Z", TL_ERANGE, "day 29 out of range for 2026-02");
    expect_reject("2026-04-31T00:00:00Z", TL_ERANGE, "day 31 out of range for 2026-04");
    expect_reject("2026-04-00T00:00:00Z", TL_ERANGE, "day 00 out of range for 2026-04");
    expect_reject("2026-04-01T24:00:00Z", TL_ERANGE, "hour 24 out of range 00-23");
    expect_reject("2026-04-01T00:60:00Z", TL_ERANGE, "minute 60 out of range 00-59");
    expect_reject("2026-04-01T00:00:61Z", TL_ERANGE, "second 61 out of range 00-59");
    expect_reject("2026-04-01T00:00:00.Z", TL_EPARSE, "no digit after the decimal point");
    expect_reject("2026-04-01T00:00:00.1234567891Z", TL_EPARSE,
                  "more than 9 fractional digits (nanoseconds are the limit)");
    expect_reject("2026-04-01T00:00:00ZZ", TL_EPARSE, "trailing characters after Z");
    expect_reject("2262-04-11T23:47:16.854775808Z", TL_ERANGE,
                  "time outside the representable range 1677-2262");
    expect_reject("1677-09-21T00:12:43.145224191Z", TL_ERANGE,
                  "time outside the representable range 1677-2262");
    expect_reject("9999-12-31T23:59:59Z", TL_ERANGE,
                  "time outside the representable range 1677-2262");
}

static void
test_day_start(void **state)
{
    (void)state;
    tl_time_ns t = parse_ok("2026-03-01T17:12:33.512Z");
    assert_int_equal(parse_ok("2026-03-01T00:00:00Z"), tl_time_day_start(t));
    assert_int_equal(parse_ok("1969-12-31T00:00:00Z"), tl_time_day_start(-1));
    assert_int_equal(20513, tl_days_from_civil(2026, 3, 1));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_instants), cmocka_unit_test(test_format),
        cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_day_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
