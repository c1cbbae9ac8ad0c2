/*
 * test_tlog_oom.c - allocation-failure torture for the transparency log.
 *
 * A test allocator fails the Nth allocation; each operation is run with
 * N = 0, 1, 2, ... until it succeeds.  Every failing run must report
 * TL_ENOMEM (never a crash, never a misleading "bad signature" or "corrupt
 * store"), and under the asan preset must leak nothing.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>

#include "tl_oom.h"
#include "tl_tlog_test.h"
#include "tlog/tlog_priv.h"

static const char SPEC_VKEY[] =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
static const char SPEC_NOTE[] = "This is an example message.\n\n\xE2\x80\x94 example.com/foo "
                                "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOB"
                                "H3mFXmRKuwHjG1Yu72IneyaQM=\n";

static int
op_note(void *ud)
{
    (void)ud;
    struct tl_verifier *v = NULL;
    struct tl_note *n = NULL;
    int rc = tl_verifier_parse(SPEC_VKEY, strlen(SPEC_VKEY), &v, NULL);
    if (rc == TL_OK) {
        rc = tl_note_open(SPEC_NOTE, strlen(SPEC_NOTE), (const struct tl_verifier *const *)&v, 1,
                          &n, NULL);
    }
    tl_note_free(n);
    tl_verifier_free(v);
    return rc;
}

struct world {
    char ldir[64], wdir[64];
    char *policy;
    char *note;
    char *cosigned;
    char *request;
    struct tl_witness *w;
};

static int
op_policy(void *ud)
{
    struct world *wd = ud;
    struct tl_policy *p = NULL;
    struct tl_checkpoint cp;
    int rc = tl_policy_parse(wd->policy, strlen(wd->policy), &p, NULL);
    if (rc == TL_OK) {
        rc = tl_policy_verify_checkpoint(p, wd->cosigned, strlen(wd->cosigned), &cp, NULL);
    }
    tl_policy_free(p);
    return rc;
}

static int
op_proof(void *ud)
{
    struct world *wd = ud;
    struct tl_verifier *v = NULL;
    const char *e = "entry 3";
    struct tl_tlog *log = NULL;
    int rc = tl_tlog_open(wd->ldir, &log, NULL);
    if (rc == TL_OK) {
        rc = tl_verifier_parse(tl_tlog_vkey(log), strlen(tl_tlog_vkey(log)), &v, NULL);
    }
    char *pf = NULL;
    if (rc == TL_OK) {
        rc = tl_tlog_proof_file(log, 3, &pf);
    }
    if (rc == TL_OK) {
        rc = tl_proof_file_verify(pf, strlen(pf), e, strlen(e), v, NULL, NULL, NULL);
    }
    tl_free(pf);
    tl_verifier_free(v);
    tl_tlog_free(log);
    return rc;
}

static int
op_append_checkpoint(void *ud)
{
    struct world *wd = ud;
    struct tl_tlog *log = NULL;
    int rc = tl_tlog_open(wd->ldir, &log, NULL);
    uint64_t idx;
    char *note = NULL;
    if (rc == TL_OK) {
        rc = tl_tlog_append(log, "more", 4, &idx);
    }
    if (rc == TL_OK) {
        rc = tl_tlog_checkpoint(log, &note, NULL);
    }
    tl_free(note);
    tl_tlog_free(log);
    return rc;
}

static int
op_witness(void *ud)
{
    struct world *wd = ud;
    int status = 0;
    char *body = NULL;
    int rc = tl_witness_add_checkpoint(wd->w, wd->request, strlen(wd->request), 1700000000, &status,
                                       &body);
    tl_free(body);
    if (rc == TL_OK && status != 200) {
        fail_msg("witness answered %d", status);
    }
    return rc;
}

static void
test_oom(void **state)
{
    (void)state;
    struct world wd;
    memset(&wd, 0, sizeof(wd));
    tl_tlog_test_tmpdir("tl_oom_", wd.ldir, sizeof(wd.ldir));
    tl_tlog_test_tmpdir("tl_oomw_", wd.wdir, sizeof(wd.wdir));
    struct tl_tlog *log = NULL;
    assert_int_equal(TL_OK, tl_tlog_create(wd.ldir, "log.example/oom", NULL, &log, NULL));
    for (int i = 0; i < 300; i++) {
        char e[32];
        uint64_t idx;
        int n = snprintf(e, sizeof(e), "entry %d", i);
        assert_int_equal(TL_OK, tl_tlog_append(log, e, (size_t)n, &idx));
    }
    assert_int_equal(TL_OK, tl_tlog_checkpoint(log, &wd.note, NULL));
    const char *lk = tl_tlog_vkey(log);
    assert_int_equal(TL_OK, tl_witness_create(wd.wdir, "w.example", &lk, 1, &wd.w, NULL));
    struct tl__buf b = {0};
    tl__buf_printf(&b, 1 << 20, "log %s\nwitness W %s\nquorum W\n", lk, tl_witness_vkey(wd.w));
    wd.policy = b.p;
    /* A first cosignature (old 0), then the torture re-cosigns the same size. */
    b = (struct tl__buf){0};
    tl__buf_printf(&b, 1 << 20, "old 0\n\n");
    tl__buf_add(&b, wd.note, strlen(wd.note), 1 << 20);
    int status = 0;
    char *cosig = NULL;
    assert_int_equal(TL_OK,
                     tl_witness_add_checkpoint(wd.w, b.p, b.len, 1700000000, &status, &cosig));
    assert_int_equal(200, status);
    tl__buf_free(&b);
    tl__buf_add(&b, wd.note, strlen(wd.note), 1 << 20);
    tl__buf_add(&b, cosig, strlen(cosig), 1 << 20);
    wd.cosigned = b.p;
    tl_free(cosig);
    b = (struct tl__buf){0};
    tl__buf_printf(&b, 1 << 20, "old 300\n\n");
    tl__buf_add(&b, wd.note, strlen(wd.note), 1 << 20);
    wd.request = b.p;
    tl_tlog_free(log);

    long n1 = tl_oom_torture(op_note, NULL, "note", LONG_MAX);
    long n2 = tl_oom_torture(op_policy, &wd, "policy", LONG_MAX);
    long n3 = tl_oom_torture(op_proof, &wd, "open + proof file", LONG_MAX);
    long n4 = tl_oom_torture(op_append_checkpoint, &wd, "open + append + checkpoint", LONG_MAX);
    long n5 = tl_oom_torture(op_witness, &wd, "witness add-checkpoint", LONG_MAX);
    printf("allocation failures injected: note %ld, policy %ld, proof %ld, append+checkpoint %ld, "
           "witness %ld\n",
           n1, n2, n3, n4, n5);
    assert_true(n1 > 0 && n2 > 0 && n3 > 0 && n4 > 0 && n5 > 0);
    /* The log survived all of it and still verifies. */
    assert_int_equal(TL_OK, tl_tlog_open(wd.ldir, &log, NULL));
    uint64_t size;
    tl_tlog_tree(log, &size, NULL);
    assert_true(size >= 301);
    char *note = NULL;
    assert_int_equal(TL_OK, tl_tlog_published(log, &note));
    struct tl_verifier *v = NULL;
    assert_int_equal(TL_OK,
                     tl_verifier_parse(tl_tlog_vkey(log), strlen(tl_tlog_vkey(log)), &v, NULL));
    assert_int_equal(TL_OK, tl_tlog_audit_dir(wd.ldir, note, strlen(note), v, NULL, NULL));
    tl_verifier_free(v);
    tl_free(note);
    tl_tlog_free(log);
    tl_witness_free(wd.w);
    tl_free(wd.policy);
    tl_free(wd.request);
    tl_free(wd.note);
    tl_free(wd.cosigned);
    tl_tlog_test_rmrf(wd.ldir);
    tl_tlog_test_rmrf(wd.wdir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
