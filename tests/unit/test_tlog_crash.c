/*
 * test_tlog_crash.c - kill -9 the appender at random moments, many times.
 *
 * A child process opens the log (recovering from the previous kill), appends
 * batches of 1 to 64 entries whose content is a function of their index, and
 * reports each acknowledged size on a pipe; every few batches it also signs and
 * publishes a checkpoint.  The parent kills it with SIGKILL after a random
 * delay (0 to 100 ms: during appends, fsyncs, renames, signing), then checks:
 *   - the log opens (recovery works at whatever point the kill came);
 *   - no acknowledged entry is lost: the size is at least the largest
 *     acknowledged size, and the root equals the root of the expected entries;
 *   - entries read back hold what was appended;
 *   - the published checkpoint verifies, is a prefix of the tree, and is
 *     consistent with every checkpoint published before it (never two
 *     inconsistent checkpoints);
 *   - every 20 rounds, a full audit of the tile directory passes.
 * The loop runs for ~20 s (fewer rounds under sanitizers), longer if it has not
 * reached 40 rounds by then (a loaded machine), and needs 40 rounds within 120 s
 * to pass.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "tl_test.h"
#include "tl_tlog_test.h"
#include "tlog/tlog_priv.h"

#define MAX_ROUNDS 120
#define MIN_ROUNDS 40
#define BUDGET_S   20.0
#define HARD_S     120.0 /* the rounds short of MIN_ROUNDS may take this long in all */

static size_t
entry_of(uint64_t i, char *buf)
{
    return (size_t)snprintf(buf, 48, "entry %" PRIu64 " of the crash test", i);
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x243F6A8885A308D3u;

static uint64_t
rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void
child(const char *dir, int fd, uint64_t seed)
{
    struct tl_tlog *log = NULL;
    if (tl_tlog_open(dir, &log, NULL) != TL_OK) {
        _exit(3);
    }
    rng_state = seed ^ UINT64_C(0x9E3779B97F4A7C15); /* the parent state equals seed */
    char bufs[64][48];
    const void *ptr[64];
    size_t lens[64];
    for (unsigned round = 0;; round++) {
        uint64_t size;
        tl_tlog_tree(log, &size, NULL);
        size_t k = (size_t)(rnd() % 64) + 1;
        for (size_t i = 0; i < k; i++) {
            lens[i] = entry_of(size + i, bufs[i]);
            ptr[i] = bufs[i];
        }
        uint64_t first;
        if (tl_tlog_append_batch(log, ptr, lens, k, &first) != TL_OK || first != size) {
            _exit(4);
        }
        uint64_t acked = first + k;
        if (write(fd, &acked, sizeof(acked)) != (ssize_t)sizeof(acked)) {
            _exit(5);
        }
        if (round % 5 == 4 && tl_tlog_checkpoint(log, NULL, NULL) != TL_OK) {
            _exit(6);
        }
    }
}

static void
test_kill9(void **state)
{
    (void)state;
    char dir[64];
    tl_tlog_test_tmpdir("tl_crash_", dir, sizeof(dir));
    struct tl_tlog *log = NULL;
    struct tl_diag d = {0};
    assert_int_equal(TL_OK, tl_tlog_create(dir, "log.truceline.example/crash", NULL, &log, &d));
    struct tl_verifier *key = NULL;
    assert_int_equal(TL_OK,
                     tl_verifier_parse(tl_tlog_vkey(log), strlen(tl_tlog_vkey(log)), &key, &d));
    tl_tlog_free(log);

    /* The expected tree as a frontier (one perfect subtree per set bit of its size). */
    uint8_t frontier[64][32];
    unsigned heights[64];
    size_t top = 0;
    uint64_t have = 0, max_acked = 0, published_checks = 0;
    struct tl_checkpoint last_pub = {0};
    double t0 = now_s();
    int rounds = 0;
    while (rounds < MAX_ROUNDS &&
           (now_s() - t0 < BUDGET_S || (rounds < MIN_ROUNDS && now_s() - t0 < HARD_S))) {
        int p[2];
        assert_int_equal(0, pipe(p));
        uint64_t seed = rnd();
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            child(dir, p[1], seed);
        }
        close(p[1]);
        struct timespec delay = {0, (long)(rnd() % 100000000)};
        nanosleep(&delay, NULL);
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        assert_true(WIFSIGNALED(status)); /* the child never stops by itself */
        uint64_t v;
        while (read(p[0], &v, sizeof(v)) == (ssize_t)sizeof(v)) {
            if (v > max_acked) {
                max_acked = v;
            }
        }
        close(p[0]);

        /* Recovery, and nothing acknowledged is lost. */
        int rc = tl_tlog_open(dir, &log, &d);
        if (rc != TL_OK) {
            fail_msg("round %d: open after kill: %s", rounds, d.text);
        }
        uint64_t size;
        uint8_t root[32], want[32];
        tl_tlog_tree(log, &size, root);
        if (size < max_acked) {
            fail_msg("round %d: size %" PRIu64 " < acknowledged %" PRIu64, rounds, size, max_acked);
        }
        for (; have < size; have++) {
            char e[48];
            size_t n = entry_of(have, e);
            tl_tlog_leaf_hash(e, n, frontier[top]);
            heights[top++] = 0;
            while (top >= 2 && heights[top - 1] == heights[top - 2]) {
                tl_tlog_node_hash(frontier[top - 2], frontier[top - 1], frontier[top - 2]);
                heights[top - 2]++;
                top--;
            }
        }
        if (top > 0) {
            memcpy(want, frontier[top - 1], 32);
            for (size_t i = top - 1; i-- > 0;) {
                tl_tlog_node_hash(frontier[i], want, want);
            }
            assert_memory_equal(want, root, 32);
        }
        if (size > 0) {
            uint64_t i = rnd() % size;
            uint8_t *data = NULL;
            size_t len;
            char e[48];
            size_t n = entry_of(i, e);
            assert_int_equal(TL_OK, tl_tlog_entry(log, i, &data, &len));
            assert_int_equal(n, len);
            assert_memory_equal(e, data, n);
            tl_free(data);
        }
        /* The published checkpoint: valid, a prefix, consistent with the previous one. */
        char *note = NULL;
        if (tl_tlog_published(log, &note) == TL_OK) {
            struct tl_checkpoint cp;
            rc = tl_checkpoint_open(note, strlen(note), key, &cp, &d);
            if (rc != TL_OK) {
                fail_msg("round %d: published checkpoint: %s", rounds, d.text);
            }
            assert_true(cp.size <= size);
            assert_true(cp.size >= last_pub.size);
            uint8_t at[32];
            assert_int_equal(TL_OK, tl_tlog_root_at(log, cp.size, at));
            assert_memory_equal(at, cp.root, 32);
            if (last_pub.size > 0) {
                uint8_t proof[64][32];
                size_t np = 0;
                assert_int_equal(
                    TL_OK, tl_tlog_consistency_proof(log, last_pub.size, cp.size, proof, &np));
                assert_int_equal(TL_OK, tl_tlog_verify_consistency(
                                            last_pub.size, cp.size, last_pub.root, cp.root,
                                            (const uint8_t(*)[32])proof, np, &d));
            }
            if (rounds % 20 == 0) {
                rc = tl_tlog_audit_dir(dir, note, strlen(note), key, NULL, &d);
                if (rc != TL_OK) {
                    fail_msg("round %d: audit: %s", rounds, d.text);
                }
            }
            last_pub = cp;
            published_checks++;
            tl_free(note);
        }
        tl_tlog_free(log);
        rounds++;
    }
    printf("kill -9 rounds: %d in %.1f s; %" PRIu64 " entries, %" PRIu64
           " acknowledged before the last kill; "
           "%" PRIu64 " published checkpoints checked\n",
           rounds, now_s() - t0, have, max_acked, published_checks);
    assert_true(rounds >= MIN_ROUNDS);
    assert_true(max_acked > 0);
    assert_true(published_checks > 0);
    tl_verifier_free(key);
    tl_tlog_test_rmrf(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
