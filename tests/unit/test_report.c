/*
 * test_report.c - the daily report renderer (src/report/report.c).
 *
 * Counts (rejected objects apart, per side and class), the figures the page marks with
 * data-count, sectors along the line, escaping of every mission text that reaches the page,
 * an empty day, and allocation failure: the renderer returns TL_ENOMEM, never a half page.
 */
#include "tl_test.h"

static struct tl_mission *
load_demo(void)
{
    struct tl_mission *m = NULL;
    struct tl_mission_problems pr;
    assert_int_equal(TL_OK,
                     tl_mission_load(TL_SOURCE_DIR "/examples/demo/mission.geojson", &m, &pr));
    return m;
}

static void
make_event(struct tl_event *e,
           const char *id,
           double lat,
           double lon,
           enum tl_event_class cls,
           enum tl_side side)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->id, sizeof(e->id), "%s", id);
    e->t_ns = INT64_C(1772334000) * TL_NS_PER_S; /* 2026-03-01T03:00:00Z */
    e->lat_deg = lat;
    e->lon_deg = lon;
    e->cls = cls;
    e->side = side;
    e->side_p = 0.99;
    e->weapon = TL_WEAPON_UNKNOWN;
}

static void
test_counts_and_page(void **state)
{
    (void)state;
    struct tl_mission *m = load_demo();
    struct tl_event ev[3];
    make_event(&ev[0], "EV1", 48.9, 38.0, TL_CLASS_LAUNCH, TL_SIDE_LEFT);
    make_event(&ev[1], "EV2", 48.9, 37.95, TL_CLASS_IMPACT, TL_SIDE_RIGHT);
    make_event(&ev[2], "EV3", 48.2, 37.8, TL_CLASS_UNKNOWN, TL_SIDE_AMBIGUOUS);

    enum tl_review_status evs[3] = {TL_STATUS_AUTOMATIC, TL_STATUS_REVIEWED, TL_STATUS_REJECTED};
    struct tl_finding fd[2];
    memset(fd, 0, sizeof(fd));
    for (int i = 0; i < 2; i++) {
        snprintf(fd[i].id, sizeof(fd[i].id), "FD%d<x>", i);
        fd[i].launch_lat_deg = 48.9;
        fd[i].launch_lon_deg = 38.0;
        fd[i].impact_lat_deg = 48.9;
        fd[i].impact_lon_deg = 37.95;
        fd[i].launch_t_ns = ev[0].t_ns;
        fd[i].weapon = TL_WEAPON_UNKNOWN;
    }
    fd[0].fired_from = TL_SIDE_LEFT;
    fd[0].confidence = 0.97;
    fd[1].fired_from = TL_SIDE_AMBIGUOUS;

    enum tl_review_status fds[2] = {TL_STATUS_AUTOMATIC, TL_STATUS_REJECTED};

    int64_t logi[2] = {3, -1};
    bool prov[2] = {true, true}; /* the rejected one is listed marked but not counted */
    const char *review[2] = {NULL, "{\"action\":\"reject\",\"reason\":\"a quarry <blast>\"}"};

    struct tl_report_counts c = {.day_ns = 5};
    tl_report_count(ev, evs, 3, fd, fds, 2, &c);
    assert_int_equal(c.day_ns, 5);
    assert_int_equal(c.events, 2);
    assert_int_equal(c.launches, 1);
    assert_int_equal(c.impacts, 1);
    assert_int_equal(c.unknown, 0);
    assert_int_equal(c.rejected_events, 1);
    assert_int_equal(c.findings, 1);
    assert_int_equal(c.fired_left, 1);
    assert_int_equal(c.rejected_findings, 1);
    assert_int_equal(c.reviewed, 1);

    struct tl_report_counts prev = {.day_ns = ev[0].t_ns - 86400 * TL_NS_PER_S, .findings = 4};
    struct tl_report_station st = {.id = "L001", .bins_heard = 9, .bins_expected = 10};
    struct tl_report r = {.mission = m,
                          .day_ns = INT64_C(1772323200) * TL_NS_PER_S,
                          .visible_until_ns = INT64_MAX,
                          .audience = "analyst",
                          .events = ev,
                          .n_events = 3,
                          .findings = fd,
                          .n_findings = 2,
                          .event_status = evs,
                          .finding_status = fds,
                          .finding_log_index = logi,
                          .finding_provisional = prov,
                          .finding_review = review,
                          .stations = &st,
                          .n_stations = 1,
                          .previous = &prev,
                          .n_previous = 1,
                          .checkpoint = "log/x\n4\nAAAA\n\n\xe2\x80\x94 log/x sig\n"};
    char *html = NULL;
    size_t len = 0;
    assert_int_equal(TL_OK, tl_report_html(&r, &html, &len));
    assert_int_equal(len, strlen(html));
    assert_non_null(strstr(html, "daily report <span id=\"report-date\">2026-03-01</span>"));
    assert_non_null(strstr(html, "data-count=\"findings\">1<"));
    assert_non_null(strstr(html, "data-count=\"fired_left\">1<"));
    assert_non_null(strstr(html, "data-count=\"events\">2<"));
    assert_non_null(strstr(html, "data-count=\"rejected_findings\">1<"));
    /* the provisional mark: counted among the counted findings, said in each row, dotted */
    assert_non_null(strstr(html, "data-count=\"provisional_findings\">1<"));
    assert_non_null(strstr(html, "<tr data-id=\"FD0&lt;x&gt;\" data-provisional=\"true\">"));
    assert_non_null(strstr(html, "<tr data-id=\"FD1&lt;x&gt;\" class=\"rejected\" "
                                 "data-provisional=\"true\">"));
    assert_non_null(strstr(html, "automatic, <b class=\"provisional\">provisional</b>"));
    /* the rejection's reason, escaped, after the status */
    assert_non_null(strstr(html, "rejected, <b class=\"provisional\">provisional</b>: "
                                 "<q class=\"reason\">a quarry &lt;blast&gt;</q></td>"));
    assert_non_null(strstr(html, "<line class=\"finding provisional\""));
    /* against the previous day: 1 - 4 */
    assert_non_null(strstr(html, ">-3<"));
    /* the finding's id is escaped wherever it appears */
    assert_null(strstr(html, "FD0<x>"));
    assert_non_null(strstr(html, "FD0&lt;x&gt;"));
    /* one log index missing: the checkpoint does not cover every finding */
    assert_non_null(strstr(html, "does not yet cover"));
    /* four sectors of at most 40 km on the 152 km line */
    assert_non_null(strstr(html, "data-sector=\"S4\""));
    assert_null(strstr(html, "data-sector=\"S5\""));
    assert_non_null(strstr(html, "</style>"));
    assert_non_null(strstr(html, "</html>"));
    tl_free(html);

    /* an empty day renders, says so, and counts zero */
    struct tl_report e = {.mission = m, .day_ns = r.day_ns, .visible_until_ns = INT64_MAX};
    assert_int_equal(TL_OK, tl_report_html(&e, &html, &len));
    assert_non_null(strstr(html, "No findings in this period."));
    assert_non_null(strstr(html, "data-count=\"findings\">0<"));
    assert_non_null(strstr(html, "data-count=\"provisional_findings\">0<"));
    assert_null(strstr(html, "data-provisional"));
    assert_non_null(strstr(html, "No published checkpoint yet"));
    tl_free(html);
    assert_int_equal(TL_EINVAL, tl_report_html(NULL, &html, &len));
    tl_mission_free(m);
}

/* An allocator that fails after `budget` allocations. */
static long budget;

static void *
failing_malloc(size_t n)
{
    return budget-- > 0 ? malloc(n) : NULL;
}

static void *
failing_realloc(void *p, size_t n)
{
    return budget-- > 0 ? realloc(p, n) : NULL;
}

static void
test_out_of_memory(void **state)
{
    (void)state;
    struct tl_mission *m = load_demo();
    struct tl_report r = {
        .mission = m, .day_ns = INT64_C(1772323200) * TL_NS_PER_S, .visible_until_ns = INT64_MAX};
    int ok = 0;
    for (long n = 0; n < 200 && !ok; n++) {
        char *html = NULL;
        budget = n;
        tl_set_allocator(failing_malloc, failing_realloc, free);
        int rc = tl_report_html(&r, &html, NULL);
        tl_set_allocator(NULL, NULL, NULL);
        if (rc == TL_OK) {
            assert_non_null(strstr(html, "</html>"));
            free(html);
            ok = 1;
        } else {
            assert_int_equal(rc, TL_ENOMEM);
            assert_null(html);
        }
    }
    assert_true(ok);
    tl_mission_free(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_page),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
