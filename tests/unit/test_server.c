/*
 * test_server.c - the server's pure parts: the router, the query filters, the
 * signature header and its canonical text, the ingest batch parser, and the
 * round trip of stored GeoJSON back into events and findings (which the
 * bulletin endpoint and reviews rely on), with reviews applied.
 *
 * The HTTP behaviour as a whole is tested black-box by
 * tests/integration/server_*.sh against the real binary.
 */
#include <math.h>
#include <sodium.h>

#include <truceline/bulletin.h>
#include <truceline/pipeline.h>
#include <truceline/server.h>
#include <truceline/sim.h>

#include "server/server_priv.h"
#include "tl_test.h"

static struct tl_mission *g_m;

static int
setup(void **state)
{
    (void)state;
    return tl_mission_load(TL_SOURCE_DIR "/examples/demo/mission.geojson", &g_m, NULL);
}

static int
teardown(void **state)
{
    (void)state;
    tl_mission_free(g_m);
    return 0;
}

/* ----------------------------------------------------------------- routes -- */

static void
test_routes(void **state)
{
    (void)state;

    static const struct {
        const char *method, *path;
        int status;
        enum tl__route_id id;
        const char *arg;
    } cases[] = {
        {"POST", "/v1/stations/A012/records", 200, TL__R_INGEST, "A012"},
        {"GET", "/v1/stations/A012/records", 405, TL__R_NONE, ""},
        {"POST", "/v1/stations/a012/records", 400, TL__R_NONE, ""},
        {"POST", "/v1/stations/TOOLONG/records", 400, TL__R_NONE, ""},
        {"GET", "/v1/stations", 200, TL__R_STATIONS, ""},
        {"GET", "/v1/stations/L001", 200, TL__R_STATION, "L001"},
        {"HEAD", "/v1/stations/L001", 200, TL__R_STATION, "L001"},
        {"GET", "/v1/events", 200, TL__R_EVENTS, ""},
        {"DELETE", "/v1/events", 405, TL__R_NONE, ""},
        {"GET", "/v1/events/EV20260301T012252.844", 200, TL__R_EVENT, "EV20260301T012252.844"},
        {"GET", "/v1/events/EV1/history", 200, TL__R_EVENT_HISTORY, "EV1"},
        {"POST", "/v1/events/EV1/review", 200, TL__R_EVENT_REVIEW, "EV1"},
        {"GET", "/v1/events/EV1/review", 405, TL__R_NONE, ""},
        {"GET", "/v1/events/EV1/proof", 404, TL__R_NONE, ""},
        {"GET", "/v1/events/bad id/history", 400, TL__R_NONE, ""},
        {"GET", "/v1/findings", 200, TL__R_FINDINGS, ""},
        {"GET", "/v1/findings/FD-2", 200, TL__R_FINDING, "FD-2"},
        {"GET", "/v1/findings/FD-2/proof", 200, TL__R_FINDING_PROOF, "FD-2"},
        {"GET", "/v1/findings/FD-2/entry", 200, TL__R_FINDING_ENTRY, "FD-2"},
        {"POST", "/v1/findings/FD-2/review", 200, TL__R_FINDING_REVIEW, "FD-2"},
        {"GET", "/v1/findings/FD-2/x/y", 404, TL__R_NONE, ""},
        {"GET", "/v1/records", 200, TL__R_RECORDS, ""},
        {"GET", "/v1/stream", 200, TL__R_STREAM, ""},
        {"GET", "/v1/status", 200, TL__R_STATUS, ""},
        {"GET", "/v1/audit", 200, TL__R_AUDIT, ""},
        {"GET", "/v1/mission", 200, TL__R_MISSION, ""},
        {"POST", "/v1/mission", 405, TL__R_NONE, ""},
        {"GET", "/v1/mission/x", 404, TL__R_NONE, ""},
        {"GET", "/report/2026-03-01", 200, TL__R_REPORT, "2026-03-01"},
        {"HEAD", "/report/2026-03-01", 200, TL__R_REPORT, "2026-03-01"},
        {"POST", "/report/2026-03-01", 405, TL__R_NONE, ""},
        {"GET", "/report/2026-02-30", 400, TL__R_NONE, ""},
        {"GET", "/report/yesterday", 400, TL__R_NONE, ""},
        {"GET", "/report/", 404, TL__R_NONE, ""},
        {"GET", "/report", 404, TL__R_NONE, ""},
        {"GET", "/report/2026-03-01/x", 404, TL__R_NONE, ""},
        {"GET", "/v1/bulletins/2026-03-01", 200, TL__R_BULLETIN, "2026-03-01"},
        {"GET", "/v1/bulletins/2026-02-29", 400, TL__R_NONE, ""},
        {"GET", "/v1/bulletins/2028-02-29", 200, TL__R_BULLETIN, "2028-02-29"},
        {"GET", "/v1/bulletins/2026-3-1", 400, TL__R_NONE, ""},
        {"GET", "/v1/nothing", 404, TL__R_NONE, ""},
        {"GET", "/v1/", 404, TL__R_NONE, ""},
        {"GET", "/v1/events/", 404, TL__R_NONE, ""},
        {"GET", "/log/checkpoint", 200, TL__R_LOG, ""},
        {"POST", "/log/checkpoint", 405, TL__R_NONE, ""},
        {"GET", "/", 404, TL__R_NONE, ""},
        {"GET", "", 404, TL__R_NONE, ""},
    };

    for (size_t i = 0; i < TL_ARRAY_LEN(cases); i++) {
        struct tl__route r;
        memset(&r, 0, sizeof(r));
        int st = tl__route_match(cases[i].method, cases[i].path, false, &r);
        if (st != cases[i].status) {
            fail_msg("%s %s: status %d, want %d", cases[i].method, cases[i].path, st,
                     cases[i].status);
        }
        if (st == 200) {
            assert_int_equal(r.id, cases[i].id);
            assert_string_equal(r.arg, cases[i].arg);
        }
    }
    struct tl__route r;
    assert_int_equal(200, tl__route_match("GET", "/log/tile/0/000", false, &r));
    assert_string_equal(r.rest, "tile/0/000");
    assert_int_equal(200, tl__route_match("GET", "/index.html", true, &r));
    assert_int_equal(r.id, TL__R_WEB);
    assert_string_equal(r.rest, "index.html");
    /* the report is routed before the web files, which cannot shadow it */
    assert_int_equal(200, tl__route_match("GET", "/report/2026-03-01", true, &r));
    assert_int_equal(r.id, TL__R_REPORT);
    assert_int_equal(200, tl__route_match("GET", "/report.css", true, &r));
    assert_int_equal(r.id, TL__R_WEB);
}

/* ---------------------------------------------------------------- filters -- */

static int
parse_q(enum tl__filter_kind k, const char *const *kv, size_t n, struct tl__filter *f, char *msg)
{
    struct tl__arg a[16];
    for (size_t i = 0; i < n; i++) {
        a[i].key = kv[2 * i];
        a[i].value = kv[2 * i + 1];
    }
    return tl__filter_parse(k, a, n, NULL, NULL, f, msg, 200);
}

static void
test_filters(void **state)
{
    (void)state;
    struct tl__filter f;
    char msg[200];
    const char *ok[] = {"from",
                        "2026-03-01T00:00:00Z",
                        "to",
                        "2026-03-02T00:00:00Z",
                        "bbox",
                        "37.5,48,38.5,49.5",
                        "side",
                        "left",
                        "class",
                        "launch",
                        "limit",
                        "5",
                        "min_confidence",
                        "0.9",
                        "cursor",
                        "1772323200000000000~EV1",
                        "status",
                        "reviewed",
                        "withdrawn",
                        "true"};
    assert_int_equal(TL_OK, parse_q(TL__F_EVENTS, ok, 10, &f, msg));
    assert_true(f.has_from && f.has_to && f.has_bbox && f.has_cursor && f.withdrawn);
    assert_int_equal(f.side, TL_SIDE_LEFT);
    assert_int_equal(f.cls, TL_CLASS_LAUNCH);
    assert_int_equal(f.limit, 5);
    assert_int_equal(f.status, TL_STATUS_REVIEWED);
    assert_string_equal(f.cursor_id, "EV1");
    assert_true(f.min_lat == 48 && f.max_lon == 38.5);
    /* defaults */
    assert_int_equal(TL_OK, parse_q(TL__F_FINDINGS, NULL, 0, &f, msg));
    assert_int_equal(f.limit, TL__PAGE_DEF);
    assert_int_equal(f.side, -2);

    static const struct {
        enum tl__filter_kind kind;
        const char *k, *v, *why;
    } bad[] = {
        {TL__F_EVENTS, "side", "lft", "side: expected left"},
        {TL__F_EVENTS, "from", "2026-03-01", "from: expected an RFC 3339"},
        {TL__F_EVENTS, "from", "2026-03-01T00:00:00+01:00", "from: expected"},
        {TL__F_EVENTS, "bbox", "1,2,3", "bbox: expected"},
        {TL__F_EVENTS, "bbox", "1,2,3,4,5", "bbox: expected"},
        {TL__F_EVENTS, "bbox", "3,2,1,4", "bbox: expected"},
        {TL__F_EVENTS, "bbox", "1,2,3,nan", "bbox: expected"},
        {TL__F_EVENTS, "bbox", "-181,2,3,4", "bbox: expected"},
        {TL__F_EVENTS, "limit", "0", "limit: expected"},
        {TL__F_EVENTS, "limit", "1001", "limit: expected"},
        {TL__F_EVENTS, "limit", "10x", "limit: expected"},
        {TL__F_EVENTS, "min_confidence", "1.5", "min_confidence: expected"},
        {TL__F_EVENTS, "min_confidence", "inf", "min_confidence: expected"},
        {TL__F_EVENTS, "cursor", "abc", "cursor: not a cursor"},
        {TL__F_EVENTS, "cursor", "12~bad id", "cursor: not a cursor"},
        {TL__F_EVENTS, "zone", "no zone!", "zone: not a zone"},
        {TL__F_EVENTS, "nonsense", "1", "nonsense: not a filter"},
        {TL__F_FINDINGS, "class", "launch", "class: not a filter"},
        {TL__F_RECORDS, "side", "left", "side: not a filter"},
        {TL__F_RECORDS, "station", "a1", "station: expected"},
        {TL__F_OBJECT, "version", "-1", "version: expected"},
        {TL__F_STREAM, "kind", "events", "kind: expected"},
        {TL__F_EVENTS, "withdrawn", "yes", "withdrawn: expected"},
    };

    for (size_t i = 0; i < TL_ARRAY_LEN(bad); i++) {
        const char *kv[2] = {bad[i].k, bad[i].v};
        int rc = parse_q(bad[i].kind, kv, 1, &f, msg);
        if (rc != TL_EINVAL || strncmp(msg, bad[i].why, strlen(bad[i].why)) != 0) {
            fail_msg("%s=%s: rc %d msg '%s', want '%s'", bad[i].k, bad[i].v, rc, msg, bad[i].why);
        }
    }
    const char *twice[] = {"side", "left", "side", "right"};
    assert_int_equal(TL_EINVAL, parse_q(TL__F_EVENTS, twice, 2, &f, msg));
    assert_string_equal(msg, "side: given twice");
    const char *inverted[] = {"from", "2026-03-02T00:00:00Z", "to", "2026-03-01T00:00:00Z"};
    assert_int_equal(TL_EINVAL, parse_q(TL__F_EVENTS, inverted, 2, &f, msg));
    char cur[96];
    tl__cursor_format(INT64_C(-5), "EV-1", cur, sizeof(cur));
    const char *back[] = {"cursor", cur};
    assert_int_equal(TL_OK, parse_q(TL__F_EVENTS, back, 1, &f, msg));
    assert_int_equal(f.cursor_t, -5);
    assert_string_equal(f.cursor_id, "EV-1");
}

/* -------------------------------------------------------------- signature -- */

static void
test_signature(void **state)
{
    (void)state;
    uint8_t seed[32], pk[32], sk[64];
    for (int i = 0; i < 32; i++) {
        seed[i] = (uint8_t)(i * 7 + 1);
    }
    crypto_sign_seed_keypair(pk, sk, seed);
    const char body[] = "{\"station\":\"L001\",\"time\":\"2026-03-01T00:00:00Z\"}\n";
    char hdr[TL_SIGNATURE_MAX];
    assert_int_equal(TL_OK, tl_ingest_sign(seed, "POST", "/v1/stations/L001/records", 42, body,
                                           strlen(body), hdr));
    assert_true(strncmp(hdr, "seq=42, sig=", 12) == 0);
    struct tl__sig s;
    char msg[160];
    assert_int_equal(TL_OK, tl__sig_parse(hdr, strlen(hdr), &s, msg, sizeof(msg)));
    assert_int_equal(s.seq, 42);
    uint8_t sha[32];
    crypto_hash_sha256(sha, (const unsigned char *)body, strlen(body));
    char canon[256];
    size_t cl =
        tl__sig_canonical("POST", "/v1/stations/L001/records", 42, sha, canon, sizeof(canon));
    assert_true(cl > 0);
    assert_true(strncmp(canon, "truceline-ingest-v1\nPOST\n/v1/stations/L001/records\n42\n",
                        strlen("truceline-ingest-v1\nPOST\n/v1/stations/L001/records\n42\n")) == 0);
    assert_int_equal(0, crypto_sign_verify_detached(s.sig, (const unsigned char *)canon, cl, pk));
    /* another seq, path or body does not verify */
    cl = tl__sig_canonical("POST", "/v1/stations/L001/records", 43, sha, canon, sizeof(canon));
    assert_int_not_equal(0,
                         crypto_sign_verify_detached(s.sig, (const unsigned char *)canon, cl, pk));
    cl = tl__sig_canonical("POST", "/v1/stations/L003/records", 42, sha, canon, sizeof(canon));
    assert_int_not_equal(0,
                         crypto_sign_verify_detached(s.sig, (const unsigned char *)canon, cl, pk));
    /* order and spacing of parameters */
    char swapped[TL_SIGNATURE_MAX + 8];
    snprintf(swapped, sizeof(swapped), "sig=%s ,seq=42", hdr + 12);
    assert_int_equal(TL_OK, tl__sig_parse(swapped, strlen(swapped), &s, msg, sizeof(msg)));
    static const char *const bad[] = {
        "",
        "seq=1",
        "sig=AAAA",
        "seq=0, sig="
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
        "seq=01, sig="
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
        "seq=9223372036854775808, sig="
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
        "seq=1, seq=2, sig="
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
        "seq=1, sig="
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==, "
        "key=1",
        "seq=1, sig="
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "seq=1, sig="
        "!AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "seq=1 sig="
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
        "seq=1, sig="
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==,",
        "seq=-1, sig="
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
    };
    for (size_t i = 0; i < TL_ARRAY_LEN(bad); i++) {
        if (tl__sig_parse(bad[i], strlen(bad[i]), &s, msg, sizeof(msg)) != TL_EPARSE) {
            fail_msg("accepted: %s", bad[i]);
        }
    }
    const char good[] =
        "seq=9223372036854775807, sig="
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
    assert_int_equal(TL_OK, tl__sig_parse(good, strlen(good), &s, msg, sizeof(msg)));
    assert_true(s.seq == (uint64_t)INT64_MAX);
    assert_int_equal(TL_EINVAL, tl_ingest_sign(seed, "POST", "/p", 0, body, 1, hdr));
}

/* ------------------------------------------------------------------ batch -- */

static void
test_batch(void **state)
{
    (void)state;
    struct tl__batch b;
    struct tl__batch_limits lim = {100, 512, INT64_MAX};
    const char body[] =
        "{\"station\":\"L001\",\"time\":\"2026-03-01T00:00:01Z\",\"id\":\"L001-1\",\"x_extra\":1}\n"
        "\n"
        "  \t\n"
        "{\"type\":\"met\",\"station\":\"L001\",\"time\":\"2026-03-01T00:00:02Z\",\"temp_c\":3}\r\n"
        "{\"type\":\"status\",\"station\":\"L001\",\"time\":\"2026-03-01T00:00:03Z\",\"state\":"
        "\"down\"}\n"
        "{\"station\":\"L001\",\"time\":\"2026-03-01T00:00:04.5Z\"}";
    assert_int_equal(TL_OK, tl__batch_parse(body, strlen(body), "L001", g_m, &lim, &b));
    assert_int_equal(b.n_bad_total, 0);
    assert_int_equal(b.n, 4);
    assert_string_equal(b.recs[0].dkey, "p:L001-1");
    assert_true(strncmp(b.recs[0].line, "{\"station\":\"L001\"", 17) == 0);
    assert_true(b.recs[0].line[b.recs[0].len - 1] == '}');
    assert_true(strncmp(b.recs[1].dkey, "m@", 2) == 0);
    assert_true(b.recs[1].line[b.recs[1].len - 1] == '}'); /* \r dropped */
    assert_int_equal(b.recs[2].state, TL_STATE_DOWN);
    assert_true(strncmp(b.recs[3].dkey, "p@", 2) == 0);
    assert_int_equal(b.recs[3].t_ns % TL_NS_PER_S, 500000000);
    tl__batch_fini(&b);

    const char mixed[] =
        "{\"station\":\"L001\",\"time\":\"2026-03-01T00:00:01Z\"}\n"
        "not json\n"
        "{\"station\":\"L003\",\"time\":\"2026-03-01T00:00:01Z\"}\n"
        "{\"station\":\"ZZZ9\",\"time\":\"2026-03-01T00:00:01Z\"}\n"
        "{\"station\":\"L001\",\"time\":\"2026-03-01T00:00:01\"}\n"
        "{\"station\":\"L001\",\"time\":\"2026-03-01T00:00:01Z\",\"sigma_s\":-1}\n";
    assert_int_equal(TL_OK, tl__batch_parse(mixed, strlen(mixed), "L001", g_m, &lim, &b));
    assert_int_equal(b.n, 1);
    assert_int_equal(b.n_bad_total, 5);
    assert_int_equal(b.bad[0].line, 2);
    assert_int_equal(b.bad[1].line, 3);
    assert_true(strstr(b.bad[1].reason, "a record of L003 in a batch of L001") != NULL);
    assert_int_equal(b.bad[2].line, 4);
    assert_true(strstr(b.bad[2].reason, "station") != NULL);
    assert_int_equal(b.bad[3].line, 5);
    assert_int_equal(b.bad[4].line, 6);
    tl__batch_fini(&b);

    /* too many records, too long a line, a time past the limit */
    struct tl__batch_limits small = {2, 80, 0};
    const char three[] = "{\"station\":\"L001\",\"time\":\"1970-01-01T00:00:00Z\"}\n"
                         "{\"station\":\"L001\",\"time\":\"1970-01-01T00:00:01Z\"}\n"
                         "{\"station\":\"L001\",\"time\":\"1970-01-01T00:00:02Z\"}\n";
    assert_int_equal(TL_OK, tl__batch_parse(three, strlen(three), "L001", g_m, &small, &b));
    assert_true(b.too_many);
    tl__batch_fini(&b);
    const char lng[] = "{\"station\":\"L001\",\"time\":\"1970-01-01T00:00:00Z\",\"pad\":"
                       "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n"
                       "{\"station\":\"L001\",\"time\":\"1970-01-01T00:00:01Z\"}\n";
    assert_int_equal(TL_OK, tl__batch_parse(lng, strlen(lng), "L001", g_m, &small, &b));
    assert_int_equal(b.n_bad_total, 2);
    assert_true(strstr(b.bad[0].reason, "longer than 80 bytes") != NULL);
    assert_true(strstr(b.bad[1].reason, "later than the server's clock") != NULL);
    tl__batch_fini(&b);
    /* the bad-line list is capped, the count is not */
    struct tl__sbuf many;
    tl__sbuf_init(&many, 1 << 20);
    for (int i = 0; i < 150; i++) {
        tl__sbuf_str(&many, "x\n");
    }
    struct tl__batch_limits big = {1000, 512, INT64_MAX};
    assert_int_equal(TL_OK, tl__batch_parse(many.p, many.n, "L001", g_m, &big, &b));
    assert_int_equal(b.n_bad, TL__MAX_BAD_LINES);
    assert_int_equal(b.n_bad_total, 150);
    tl__batch_fini(&b);
    tl__sbuf_fini(&many);
}

/* -------------------------------------------------- features round trip -- */

/* The review of a stored document, as the bulletin is given it (what report_page.c does). */
static char *
review_of(const char *doc)
{
    json_t *j = json_loads(doc, 0, NULL);
    char *s = json_dumps(json_object_get(json_object_get(j, "properties"), "review"),
                         JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(j);
    return s;
}

/*
 * A server bulletin of a reviewed event and a rejected, provisional finding, rebuilt from their
 * stored documents: each feature is the stored document byte for byte, and the header counts
 * the review and the rejection apart.
 */
static void
bulletin_reviews(const struct tl_event *ev, const struct tl_finding *fd, size_t nf)
{
    if (nf == 0) {
        fail_msg("the scenario has no finding");
    }
    struct tl_event e = ev[0];
    char *edoc = NULL, *fdoc = NULL;
    assert_int_equal(TL_OK, tl__make_event_doc(g_m, &e,
                                               "{\"action\":\"confirm\",\"reason\":\"seen\","
                                               "\"amend\":{},\"by\":\"token:1 A\",\"time\":"
                                               "\"2026-03-01T00:00:00Z\",\"version\":0}",
                                               &edoc));
    struct tl_finding f = fd[0];
    int status = -1;
    assert_int_equal(TL_OK, tl__make_finding_doc(g_m, &f,
                                                 "{\"action\":\"reject\",\"reason\":\"no\","
                                                 "\"amend\":{},\"by\":\"token:1 A\",\"time\":"
                                                 "\"2026-03-01T00:00:00Z\",\"version\":2}",
                                                 true, &status, &fdoc));
    json_t *ej = json_loads(edoc, 0, NULL), *fj = json_loads(fdoc, 0, NULL);
    struct tl_event e2;
    struct tl_arrival *arr = NULL;
    struct tl_finding f2;
    assert_int_equal(TL_OK, tl__event_from_feature(g_m, ej, &e2, &arr));
    assert_int_equal(TL_OK, tl__finding_from_feature(g_m, fj, &f2));
    const char *erev[1] = {review_of(edoc)}, *frev[1] = {review_of(fdoc)};
    enum tl_review_status fst[1] = {(enum tl_review_status)status};
    bool prov[1] = {true};
    struct tl_bulletin b = {.mission = g_m,
                            .events = &e2,
                            .n_events = 1,
                            .findings = &f2,
                            .n_findings = 1,
                            .finding_provisional = prov,
                            .finding_status = fst,
                            .event_review = erev,
                            .finding_review = frev};
    char *text = NULL;
    assert_int_equal(TL_OK, tl_bulletin_dump(&b, &text, NULL));
    assert_non_null(strstr(text, edoc));
    assert_non_null(strstr(text, fdoc));
    json_t *bj = json_loads(text, 0, NULL);
    json_t *c = json_object_get(json_object_get(bj, "bulletin"), "counts");
    assert_int_equal(1, json_integer_value(json_object_get(c, "findings")));
    assert_int_equal(1, json_integer_value(json_object_get(c, "reviewed")));
    json_t *rj = json_object_get(c, "rejected");
    assert_int_equal(1, json_integer_value(json_object_get(rj, "findings")));
    assert_int_equal(1, json_integer_value(json_object_get(rj, "provisional")));
    assert_int_equal(0, json_integer_value(json_object_get(rj, "events")));
    json_decref(bj);
    tl_free(text);
    /* a review that is not a JSON object is refused */
    const char *bad[1] = {"[1]"};
    b.finding_review = bad;
    text = NULL;
    assert_int_equal(TL_EINVAL, tl_bulletin_dump(&b, &text, NULL));
    assert_null(text);
    /* without the server's arrays, no status, review or review counts (process bulletins) */
    b.finding_review = NULL;
    b.event_review = NULL;
    b.finding_status = NULL;
    assert_int_equal(TL_OK, tl_bulletin_dump(&b, &text, NULL));
    assert_null(strstr(text, "\"review\""));
    assert_null(strstr(text, "\"rejected\":{"));
    tl_free(text);
    tl_free((char *)(uintptr_t)erev[0]);
    tl_free((char *)(uintptr_t)frev[0]);
    tl_free(arr);
    json_decref(ej);
    json_decref(fj);
    tl_free(edoc);
    tl_free(fdoc);
}

static void
test_feature_round_trip(void **state)
{
    (void)state;
    struct tl_sim_config cfg = {"calm", 1, TL_SIM_DEFAULT_START_NS, 6.0, false};
    struct tl_sim *sim = NULL;
    assert_int_equal(TL_OK, tl_sim_generate(g_m, &cfg, &sim));
    struct tl_pipeline *p = NULL;
    assert_int_equal(TL_OK, tl_pipeline_new(g_m, NULL, &p));
    for (size_t i = 0; i < tl_sim_pick_count(sim); i++) {
        struct tl_record r;
        r.type = TL_REC_PICK;
        r.u.pick = tl_sim_pick(sim, i)->pick;
        tl_pipeline_add(p, &r);
    }
    assert_int_equal(TL_OK, tl_pipeline_run(p, INT64_MAX));
    size_t ne, nf;
    const struct tl_event *ev = tl_pipeline_events(p, &ne);
    const struct tl_finding *fd = tl_pipeline_findings(p, &nf);
    assert_true(ne > 0);
    for (size_t i = 0; i < ne; i++) {
        char *a = tl_event_geojson(g_m, &ev[i]);
        json_t *j = json_loads(a, 0, NULL);
        struct tl_event e;
        struct tl_arrival *arr = NULL;
        assert_int_equal(TL_OK, tl__event_from_feature(g_m, j, &e, &arr));
        char *b = tl_event_geojson(g_m, &e);
        assert_string_equal(a, b);
        /* with no review, the document is the writer's */
        char *c = NULL;
        struct tl_event e2 = e;
        assert_int_equal(TL_OK, tl__make_event_doc(g_m, &e2, NULL, &c));
        assert_string_equal(a, c);
        /* a standing review: status, amended fields, the review property */
        char *d = NULL;
        e2 = e;
        assert_int_equal(TL_OK, tl__make_event_doc(g_m, &e2,
                                                   "{\"action\":\"amend\",\"reason\":\"r\","
                                                   "\"amend\":{\"class\":\"impact\",\"side\":"
                                                   "\"left\"}}",
                                                   &d));
        json_t *dj = json_loads(d, 0, NULL);
        json_t *pr = json_object_get(dj, "properties");
        assert_string_equal(json_string_value(json_object_get(pr, "status")), "reviewed");
        assert_string_equal(json_string_value(json_object_get(pr, "class")), "impact");
        assert_string_equal(json_string_value(json_object_get(pr, "side")), "left");
        assert_non_null(json_object_get(pr, "review"));
        json_decref(dj);
        tl_free(a);
        tl_free(b);
        tl_free(c);
        tl_free(d);
        tl_free(arr);
        json_decref(j);
    }
    /* an unpublished pairing (pair_p below 0.5) names its candidate: read back as written */
    {
        struct tl_event e = ev[0];
        snprintf(e.pair_candidate, sizeof(e.pair_candidate), "%s", ev[ne - 1].id);
        e.pair_candidate_p = 0.1234;
        char *a = tl_event_geojson(g_m, &e);
        json_t *j = json_loads(a, 0, NULL);
        struct tl_event e2;
        struct tl_arrival *arr = NULL;
        assert_int_equal(TL_OK, tl__event_from_feature(g_m, j, &e2, &arr));
        assert_string_equal(e2.pair_candidate, ev[ne - 1].id);
        assert_true(fabs(e2.pair_candidate_p - 0.1234) < 1e-12);
        char *b = tl_event_geojson(g_m, &e2);
        assert_string_equal(a, b);
        tl_free(a);
        tl_free(b);
        tl_free(arr);
        json_decref(j);
    }
    for (size_t i = 0; i < nf; i++) {
        char *a = tl_finding_geojson(g_m, &fd[i]);
        json_t *j = json_loads(a, 0, NULL);
        struct tl_finding x;
        assert_int_equal(TL_OK, tl__finding_from_feature(g_m, j, &x));
        char *b = tl_finding_geojson(g_m, &x);
        assert_string_equal(a, b);
        int status = -1;
        char *d = NULL;
        struct tl_finding x2 = x;
        assert_int_equal(TL_OK, tl__make_finding_doc(g_m, &x2,
                                                     "{\"action\":\"reject\",\"reason\":\"r\","
                                                     "\"amend\":{\"fired_from\":\"right\"}}",
                                                     false, &status, &d));
        assert_int_equal(status, TL_STATUS_REJECTED);
        json_t *dj = json_loads(d, 0, NULL);
        json_t *pr = json_object_get(dj, "properties");
        assert_string_equal(json_string_value(json_object_get(pr, "status")), "rejected");
        assert_string_equal(json_string_value(json_object_get(pr, "fired_from")), "right");
        assert_string_equal(json_string_value(json_object_get(pr, "party")),
                            tl_mission_party(g_m, TL_SIDE_RIGHT));
        json_decref(dj);
        tl_free(a);
        tl_free(b);
        tl_free(d);
        json_decref(j);
    }
    bulletin_reviews(ev, fd, nf);
    tl_pipeline_free(p);
    tl_sim_free(sim);
}

/* -------------------------------------------------------------- reviews -- */

static void
test_review_standing(void **state)
{
    (void)state;
    struct tl__review_in in;
    memset(&in, 0, sizeof(in));
    in.kind = TL__OBJ_EVENT;
    snprintf(in.id, sizeof(in.id), "EV1");
    snprintf(in.action, sizeof(in.action), "amend");
    in.reason = "crater seen";
    in.amend = "{\"class\":\"impact\"}";
    snprintf(in.actor, sizeof(in.actor), "token:3 analyst A");
    char *st = NULL, *doc = NULL;
    assert_int_equal(TL_OK, tl__review_standing(NULL, &in, 1, &st, &doc));
    in.amend = "{\"side\":\"left\"}";
    char *st2 = NULL, *doc2 = NULL;
    assert_int_equal(TL_OK, tl__review_standing(st, &in, 2, &st2, &doc2));
    json_t *j = json_loads(st2, 0, NULL);
    json_t *am = json_object_get(j, "amend");
    assert_string_equal(json_string_value(json_object_get(am, "class")), "impact");
    assert_string_equal(json_string_value(json_object_get(am, "side")), "left");
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 2);
    json_decref(j);
    j = json_loads(doc2, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "review");
    assert_string_equal(json_string_value(json_object_get(j, "object")), "EV1");
    assert_null(json_object_get(json_object_get(j, "amend"), "class"));
    json_decref(j);
    tl_free(st);
    tl_free(doc);
    tl_free(st2);
    tl_free(doc2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_signature),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_feature_round_trip),
        cmocka_unit_test(test_review_standing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
