/*
 * test_oom.c - allocation-failure torture for the input readers and the pipeline.
 *
 * The mission loader, the JSON Lines reader with the record parser, a whole
 * processing run (records in, bulletin out) and the evaluator's reading of the
 * truth are run with allocation 0, 1, 2, ... failing in turn (tl_oom.h): every
 * failing run must return TL_ENOMEM, never crash, and (under the asan preset)
 * leak nothing.  A processing run or an evaluation that does succeed must give
 * exactly the result of a run with no failure: an allocation that fails inside
 * must never turn into a quietly different result (jansson reports some failed
 * allocations as syntax errors, and the truth reader skips lines that are not
 * JSON, so it used to drop a truth event when memory ran out).  The bulletin
 * writer is also run alone with every one of its allocations failing in turn:
 * the sampled processing runs stepped over a member it left out.
 *
 * The evaluation is given an empty bulletin: jansson 2.14 (Debian 12) itself
 * frees an invalid pointer when an allocation fails while it parses a whole
 * bulletin (objects of 25 members; found by this test, ASan "bad-free" inside
 * json_delete during json_load_file), which no caller can prevent.  Nor are the server's
 * stored documents tortured (server/live.c parses its event and finding documents back to add
 * a review): the same jansson aborts on an assertion in lex_scan_string when an allocation
 * fails inside a string it parses.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <limits.h>

#include "tl_oom.h"
#include "tl_tlog_test.h" /* scratch folders */

#include <truceline/bulletin.h>
#include <truceline/eval.h>
#include <truceline/jsonl.h>
#include <truceline/pipeline.h>
#include <truceline/record.h>
#include <truceline/sim.h>

#define MISSION TL_SOURCE_DIR "/examples/demo/mission.geojson"

struct world {
    struct tl_mission *m;
    char dir[64];
    char records[96];
    char truth[96];
    char bulletin[96];
    char *reference; /* the bulletin of a run without failures */
    size_t ref_len;
    char *ref_eval; /* its evaluation (JSON) */
    struct tl_pipeline *p; /* that run, kept for its bulletin */
    struct tl_bulletin b;
};

static int
op_mission(void *ud)
{
    (void)ud;
    struct tl_mission *m = NULL;
    int rc = tl_mission_load(MISSION, &m, NULL);
    tl_mission_free(m);
    return rc;
}

/* Read every record of the scenario and parse it against the mission. */
static int
op_records(void *ud)
{
    struct world *w = ud;
    struct tl_jsonl *r = NULL;
    int rc = tl_jsonl_open(w->records, 0, &r, NULL);
    while (rc == TL_OK) {
        const char *line;
        size_t len;
        int got = tl_jsonl_next(r, &line, &len, NULL);
        if (got <= 0) {
            rc = got; /* 0 at the end */
            break;
        }
        struct tl_record rec;
        rc = tl_record_parse(line, len, w->m, &rec, NULL);
    }
    tl_jsonl_free(r);
    return rc;
}

/* Records in, a run's results (one thread: the test allocator counts without atomics). */
static int
run_pipeline(const struct world *w, struct tl_pipeline **out)
{
    struct tl_pipeline_params prm;
    tl_pipeline_params_default(&prm);
    prm.threads = 1;
    *out = NULL;
    int rc = tl_pipeline_new(w->m, &prm, out);
    if (rc == TL_OK) {
        rc = tl_pipeline_add_file(*out, w->records, true, NULL, NULL);
    }
    if (rc == TL_OK) {
        rc = tl_pipeline_run(*out, INT64_MAX);
    }
    return rc;
}

/* Records in, bulletin out. */
static int
run_once(struct world *w, char **out, size_t *len)
{
    struct tl_pipeline *p = NULL;
    int rc = run_pipeline(w, &p);
    if (rc == TL_OK) {
        struct tl_bulletin b;
        tl_pipeline_bulletin(p, &b);
        rc = tl_bulletin_dump(&b, out, len);
    }
    tl_pipeline_free(p);
    return rc;
}

/* A run that succeeded despite a failed allocation gives the reference bulletin. */
static void
same_bulletin(const struct world *w, const char *out, size_t len, const char *what)
{
    if (len != w->ref_len || memcmp(out, w->reference, len) != 0) {
        tl_set_allocator(NULL, NULL, NULL);
        fail_msg("a %s whose allocation %ld failed returned TL_OK with a different bulletin",
                 what, tl_oom_fail_at);
    }
}

static int
op_process(void *ud)
{
    struct world *w = ud;
    char *out = NULL;
    size_t len = 0;
    int rc = run_once(w, &out, &len);
    if (rc == TL_OK) {
        same_bulletin(w, out, len, "run");
    }
    tl_free(out);
    return rc;
}

/* The bulletin writer alone, every allocation failing in turn: a member it could not set
 * must fail the dump, never leave it out (the sampled runs above can step over it). */
static int
op_dump(void *ud)
{
    struct world *w = ud;
    char *out = NULL;
    size_t len = 0;
    int rc = tl_bulletin_dump(&w->b, &out, &len);
    if (rc == TL_OK) {
        same_bulletin(w, out, len, "dump");
    }
    tl_free(out);
    return rc;
}

static int
op_eval(void *ud)
{
    struct world *w = ud;
    struct tl_eval e;
    int rc = tl_eval_files(w->truth, w->bulletin, &e, NULL);
    if (rc == TL_OK) {
        long fail_at = tl_oom_fail_at;
        tl_oom_fail_at = -1; /* the comparison itself must not fail */
        char *j = tl_eval_json(&e);
        bool same = j && strcmp(j, w->ref_eval) == 0;
        tl_free(j);
        if (!same) {
            tl_set_allocator(NULL, NULL, NULL);
            fail_msg("an evaluation whose allocation %ld failed returned TL_OK with other scores",
                     fail_at);
        }
        tl_oom_fail_at = fail_at;
    }
    return rc;
}

static void
test_oom(void **state)
{
    (void)state;
    struct world w = {0};
    assert_int_equal(TL_OK, tl_mission_load(MISSION, &w.m, NULL));
    tl_tlog_test_tmpdir("tl_oomp_", w.dir, sizeof(w.dir));
    /* two quiet hours: a few events and findings, a few hundred records */
    struct tl_sim_config sc = {.preset = "calm", .seed = 3, .start_ns = TL_SIM_DEFAULT_START_NS,
                               .hours = 2.0};
    struct tl_sim *s = NULL;
    assert_int_equal(TL_OK, tl_sim_generate(w.m, &sc, &s));
    assert_int_equal(TL_OK, tl_sim_write(s, w.dir));
    tl_sim_free(s);
    snprintf(w.records, sizeof(w.records), "%s/records.jsonl", w.dir);
    assert_int_equal(TL_OK, run_once(&w, &w.reference, &w.ref_len));
    assert_non_null(strstr(w.reference, "\"kind\":\"event\""));
    snprintf(w.truth, sizeof(w.truth), "%s/truth.jsonl", w.dir);
    snprintf(w.bulletin, sizeof(w.bulletin), "%s/empty.geojson", w.dir);
    FILE *f = fopen(w.bulletin, "wb");
    assert_non_null(f);
    assert_true(fputs("{\"type\":\"FeatureCollection\",\"features\":[]}\n", f) >= 0);
    assert_int_equal(0, fclose(f));
    struct tl_eval e;
    assert_int_equal(TL_OK, tl_eval_files(w.truth, w.bulletin, &e, NULL));
    assert_true(e.all.truth > 0 && e.all.found == 0);
    w.ref_eval = tl_eval_json(&e);
    assert_non_null(w.ref_eval);

    long n1 = tl_oom_torture(op_mission, NULL, "mission load", LONG_MAX);
    long n2 = tl_oom_torture(op_records, &w, "read and parse records", 2000);
    long n3 = tl_oom_torture(op_process, &w, "process to a bulletin", 2000);
    long n4 = tl_oom_torture(op_eval, &w, "evaluate (the truth)", 2000);
    assert_int_equal(TL_OK, run_pipeline(&w, &w.p));
    tl_pipeline_bulletin(w.p, &w.b);
    long n5 = tl_oom_torture(op_dump, &w, "write the bulletin", LONG_MAX);
    print_message("allocation failures survived: mission %ld, records %ld, processing %ld, "
                  "evaluation %ld, bulletin %ld\n",
                  n1, n2, n3, n4, n5);
    assert_true(n1 > 10 && n2 > 10 && n3 > 100 && n4 > 100 && n5 > 100);
    tl_pipeline_free(w.p);

    tl_free(w.reference);
    tl_free(w.ref_eval);
    tl_mission_free(w.m);
    tl_tlog_test_rmrf(w.dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
