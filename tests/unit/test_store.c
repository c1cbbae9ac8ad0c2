/*
 * test_store.c - the server's SQLite store: schema, group commit, isolation of
 * a failing job, durability across reopen, and access tokens.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <pthread.h>
#include <sys/stat.h>

#include <truceline/server.h>

#include "store/store.h"
#include "tl_test.h"
#include "tl_tlog_test.h"
#include "util/util.h"

static char g_dir[64];

static int
setup(void **state)
{
    (void)state;
    tl_tlog_test_tmpdir("tl_store", g_dir, sizeof(g_dir));
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    tl_tlog_test_rmrf(g_dir);
    return 0;
}

struct put_ctx {
    int64_t value;
    bool fail;
};

static int
put_job(struct tl__conn *c, void *vctx)
{
    struct put_ctx *p = vctx;
    sqlite3_stmt *st =
        tl__stmt(c, "INSERT INTO audit(time_ns, actor, action) VALUES(?1, 't', 'x')");
    if (!st) {
        return TL_ESTORE;
    }
    sqlite3_bind_int64(st, 1, p->value);
    int rc = tl__sqlrc(c, sqlite3_step(st), "put");
    return rc == TL_OK && p->fail ? TL_EINVAL : rc;
}

struct thread_arg {
    struct tl__store *s;
    int base;
};

static void *
writer_thread(void *arg)
{
    struct thread_arg *t = arg;
    for (int i = 0; i < 200; i++) {
        struct put_ctx p = {t->base + i, (i % 10) == 9};
        int rc = tl__store_write(t->s, put_job, &p);
        if (rc != (p.fail ? TL_EINVAL : TL_OK)) {
            return (void *)1;
        }
    }
    return NULL;
}

static int64_t
count_audit(struct tl__store *s)
{
    struct tl__conn *c = tl__store_reader(s);
    sqlite3_stmt *st = tl__stmt(c, "SELECT count(*) FROM audit WHERE actor = 't'");
    int64_t n = -1;
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int64(st, 0);
    }
    tl__store_release(s, c);
    return n;
}

static void
test_group_commit(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/gc.db", g_dir);
    struct tl__store *s = NULL;
    struct tl_diag d;
    assert_int_equal(TL_OK, tl__store_open(path, 2, true, &s, &d));
    pthread_t th[8];
    struct thread_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (struct thread_arg){s, i * 1000};
        assert_int_equal(0, pthread_create(&th[i], NULL, writer_thread, &args[i]));
    }
    for (int i = 0; i < 8; i++) {
        void *ret = NULL;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    /* 8 x 200 jobs, one in ten failing and rolled back alone */
    assert_int_equal(count_audit(s), 8 * 180);
    long groups = 0, jobs = 0;
    tl__store_counters(s, &groups, &jobs);
    assert_int_equal(jobs, 8 * 200);
    assert_true(groups <= jobs);
    tl__store_close(s);
    /* durable: reopened, the rows are there; the schema is not re-created */
    assert_int_equal(TL_OK, tl__store_open(path, 1, false, &s, &d));
    assert_int_equal(count_audit(s), 8 * 180);
    char v[16];
    struct tl__conn *c = tl__store_reader(s);
    assert_int_equal(TL_OK, tl__meta_get(c, "schema_version", v, sizeof(v)));
    assert_string_equal(v, "1");
    assert_int_equal(TL_ENOTFOUND, tl__meta_get(c, "nothing", v, sizeof(v)));
    tl__store_release(s, c);
    tl__store_close(s);
}

static void
test_wrong_schema(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/old.db", g_dir);
    struct tl__store *s = NULL;
    struct tl_diag d;
    assert_int_equal(TL_OK, tl__store_open(path, 0, false, &s, &d));
    assert_null(tl__store_reader(s)); /* no reader connections asked for */
    tl__store_close(s);
    sqlite3 *db = NULL;
    assert_int_equal(SQLITE_OK, sqlite3_open(path, &db));
    assert_int_equal(SQLITE_OK,
                     sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'",
                                  NULL, NULL, NULL));
    sqlite3_close(db);
    memset(&d, 0, sizeof(d));
    assert_int_equal(TL_ESTORE, tl__store_open(path, 0, false, &s, &d));
    assert_non_null(strstr(d.text, "schema version 99"));
}

static void
test_tokens(void **state)
{
    (void)state;
    char data[128];
    snprintf(data, sizeof(data), "%s/data", g_dir);
    struct tl_diag d;
    memset(&d, 0, sizeof(d));
    struct tl_token_info *v = NULL;
    size_t n = 0;
    assert_int_equal(TL_ENOTFOUND, tl_token_list(data, &v, &n, &d));
    char *t1 = NULL, *t2 = NULL;
    int64_t id1 = 0, id2 = 0;
    assert_int_equal(TL_OK, tl_token_add(data, TL_ROLE_ANALYST, NULL, "Analyst A", &t1, &id1, &d));
    assert_int_equal(TL_OK,
                     tl_token_add(data, TL_ROLE_STATION, "L001", "station L001", &t2, &id2, &d));
    assert_true(strncmp(t1, "tl1_1_", 6) == 0);
    assert_int_equal(id2, 2);
    struct stat sb;
    char dbp[160];
    snprintf(dbp, sizeof(dbp), "%s/truceline.db", data);
    assert_int_equal(0, stat(dbp, &sb));
    /* bad requests */
    char *t = NULL;
    assert_int_equal(TL_EINVAL, tl_token_add(data, TL_ROLE_STATION, NULL, "x", &t, NULL, &d));
    assert_int_equal(TL_EINVAL, tl_token_add(data, TL_ROLE_STATION, "l001", "x", &t, NULL, &d));
    assert_int_equal(TL_EINVAL, tl_token_add(data, TL_ROLE_PARTY, "L001", "x", &t, NULL, &d));
    assert_int_equal(TL_EINVAL, tl_token_add(data, TL_ROLE_PARTY, NULL, "", &t, NULL, &d));
    assert_int_equal(TL_EINVAL, tl_token_add(data, TL_ROLE_PARTY, NULL, "a\nb", &t, NULL, &d));
    assert_null(t);
    /* checking */
    struct tl__store *s = NULL;
    snprintf(dbp, sizeof(dbp), "%s/truceline.db", data);
    assert_int_equal(TL_OK, tl__store_open(dbp, 1, false, &s, &d));
    struct tl__conn *c = tl__store_reader(s);
    struct tl_token_info info;
    assert_int_equal(TL_OK, tl__token_check(c, t1, strlen(t1), &info));
    assert_int_equal(info.role, TL_ROLE_ANALYST);
    assert_string_equal(info.label, "Analyst A");
    assert_int_equal(TL_OK, tl__token_check(c, t2, strlen(t2), &info));
    assert_string_equal(info.station, "L001");
    char wrong[TL_TOKEN_MAX];
    snprintf(wrong, sizeof(wrong), "%s", t1);
    wrong[strlen(wrong) - 1] ^= 1;
    assert_int_equal(TL_ECRYPTO, tl__token_check(c, wrong, strlen(wrong), &info));
    /* the secret of token 1 with the id of token 2 */
    snprintf(wrong, sizeof(wrong), "tl1_2_%s", t1 + 6);
    assert_int_equal(TL_ECRYPTO, tl__token_check(c, wrong, strlen(wrong), &info));
    static const char *const junk[] = {"",          "tl1_",       "tl1__x",     "tl1_1_",
                                       "tl2_1_abc", "tl1_99_abc", "tl1_1x_abc", "Bearer"};
    for (size_t i = 0; i < TL_ARRAY_LEN(junk); i++) {
        assert_int_equal(TL_ECRYPTO, tl__token_check(c, junk[i], strlen(junk[i]), &info));
    }
    tl__store_release(s, c);
    /* revocation, seen by an open connection */
    assert_int_equal(TL_OK, tl_token_revoke(data, id1, &d));
    assert_int_equal(TL_ENOTFOUND, tl_token_revoke(data, id1, &d));
    assert_int_equal(TL_ENOTFOUND, tl_token_revoke(data, 77, &d));
    c = tl__store_reader(s);
    assert_int_equal(TL_ECRYPTO, tl__token_check(c, t1, strlen(t1), &info));
    assert_int_equal(TL_OK, tl__token_check(c, t2, strlen(t2), &info));
    /* every change audited */
    sqlite3_stmt *st = tl__stmt(c, "SELECT count(*) FROM audit WHERE action LIKE 'token.%'");
    assert_int_equal(SQLITE_ROW, sqlite3_step(st));
    assert_int_equal(sqlite3_column_int64(st, 0), 3);
    tl__store_release(s, c);
    tl__store_close(s);
    assert_int_equal(TL_OK, tl_token_list(data, &v, &n, &d));
    assert_int_equal(n, 2);
    assert_true(v[0].revoked_ns > 0);
    assert_int_equal(v[1].revoked_ns, 0);
    assert_string_equal(v[1].station, "L001");
    tl_free(v);
    tl_free(t1);
    tl_free(t2);
    enum tl_role r;
    assert_int_equal(TL_OK, tl_role_parse("party", &r));
    assert_int_equal(r, TL_ROLE_PARTY);
    assert_int_equal(TL_EINVAL, tl_role_parse("admin", &r));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_commit),
        cmocka_unit_test(test_wrong_schema),
        cmocka_unit_test(test_tokens),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
