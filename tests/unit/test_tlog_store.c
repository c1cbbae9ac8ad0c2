/*
 * test_tlog_store.c - the log store and the witness: appends against a
 * reference tree, proofs at every kind of size (partial tiles at two levels),
 * concurrent appends, reopen and recovery from orphan files, refusal to sign
 * after a rollback, audit of the tile directory (and of a tampered one), and
 * every status code of the witness's add-checkpoint.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "tl_test.h"
#include "tl_tlog_test.h"
#include "tlog/tlog_priv.h"

/* Entry i: "entry <i>" padded with i % 7 extra bytes, so lengths vary. */
static size_t
make_entry(uint64_t i, char *buf)
{
    int n = snprintf(buf, 64, "entry %" PRIu64, i);
    size_t extra = (size_t)(i % 7);
    memset(buf + n, 'x', extra);
    return (size_t)n + extra;
}

static void
append_range(struct tl_tlog *log, uint64_t from, uint64_t to, uint8_t (*leaves)[32])
{
    size_t n = (size_t)(to - from);
    char(*bufs)[64] = malloc(n * 64);
    const void **ptr = malloc(n * sizeof(*ptr));
    size_t *lens = malloc(n * sizeof(*lens));
    for (size_t k = 0; k < n; k++) {
        lens[k] = make_entry(from + k, bufs[k]);
        ptr[k] = bufs[k];
        tl_tlog_leaf_hash(bufs[k], lens[k], leaves[from + k]);
    }
    uint64_t first = 0;
    assert_int_equal(TL_OK, tl_tlog_append_batch(log, ptr, lens, n, &first));
    assert_int_equal(from, first);
    free(bufs);
    free(ptr);
    free(lens);
}

static void
check_tree(struct tl_tlog *log, uint8_t (*leaves)[32], uint64_t size)
{
    uint8_t root[32], want[32], proof[64][32];
    uint64_t got = 0;
    assert_int_equal(TL_OK, tl_tlog_tree(log, &got, root));
    assert_int_equal(size, got);
    tl_tlog_root_from_leaves((const uint8_t(*)[32])leaves, size, want);
    assert_memory_equal(want, root, 32);
    /* Inclusion at the current size and at older sizes, consistency between them. */
    uint64_t step = size / 37 + 1;
    for (uint64_t i = 0; i < size; i += step) {
        size_t n = 0;
        assert_int_equal(TL_OK, tl_tlog_inclusion_proof(log, i, size, proof, &n));
        assert_int_equal(TL_OK,
                         tl_tlog_verify_inclusion(leaves[i], i, size, (const uint8_t(*)[32])proof,
                                                  n, root, NULL));
        uint64_t old = i + 1 + (size - i - 1) / 2;
        uint8_t old_root[32], at[32];
        tl_tlog_root_from_leaves((const uint8_t(*)[32])leaves, old, old_root);
        assert_int_equal(TL_OK, tl_tlog_root_at(log, old, at));
        assert_memory_equal(old_root, at, 32);
        assert_int_equal(TL_OK, tl_tlog_inclusion_proof(log, i, old, proof, &n));
        assert_int_equal(TL_OK,
                         tl_tlog_verify_inclusion(leaves[i], i, old, (const uint8_t(*)[32])proof, n,
                                                  old_root, NULL));
        assert_int_equal(TL_OK, tl_tlog_consistency_proof(log, old, size, proof, &n));
        assert_int_equal(TL_OK, tl_tlog_verify_consistency(old, size, old_root, root,
                                                           (const uint8_t(*)[32])proof, n, NULL));
        uint8_t *data = NULL;
        size_t len = 0;
        char want_e[64];
        size_t wl = make_entry(i, want_e);
        assert_int_equal(TL_OK, tl_tlog_entry(log, i, &data, &len));
        assert_int_equal(wl, len);
        assert_memory_equal(want_e, data, len);
        tl_free(data);
    }
    size_t n;
    assert_int_equal(TL_ERANGE, tl_tlog_inclusion_proof(log, size, size, proof, &n));
    assert_int_equal(TL_ERANGE, tl_tlog_inclusion_proof(log, 0, size + 1, proof, &n));
    assert_int_equal(TL_ERANGE, tl_tlog_consistency_proof(log, 0, size, proof, &n));
}

static void
test_append_and_prove(void **state)
{
    (void)state;
    char dir[64];
    tl_tlog_test_tmpdir("tl_tlog_", dir, sizeof(dir));
    struct tl_tlog *log = NULL;
    struct tl_diag d = {0};
    assert_int_equal(TL_OK, tl_tlog_create(dir, "log.truceline.example/test", NULL, &log, &d));
    const uint64_t total = 70000;
    uint8_t(*leaves)[32] = malloc(total * 32);
    /* Sizes that cross tile boundaries at levels 0 and 1 in different ways. */
    static const uint64_t sizes[] = {1,   2,   255,   256,   257,   511,
                                     513, 600, 65535, 65536, 65537, 70000};
    uint64_t at = 0;
    for (size_t k = 0; k < TL_ARRAY_LEN(sizes); k++) {
        append_range(log, at, sizes[k], leaves);
        at = sizes[k];
        check_tree(log, leaves, at);
    }
    /* Single appends still go one by one. */
    uint64_t idx = 0;
    char e[64];
    size_t el = make_entry(total, e);
    leaves = realloc(leaves, (total + 1) * 32);
    tl_tlog_leaf_hash(e, el, leaves[total]);
    assert_int_equal(TL_OK, tl_tlog_append(log, e, el, &idx));
    assert_int_equal(total, idx);
    assert_int_equal(TL_ETOOBIG, tl_tlog_append(log, e, TL_TLOG_ENTRY_MAX + 1, &idx));
    /* Reopen: recovery finds the same tree. */
    tl_tlog_free(log);
    assert_int_equal(TL_OK, tl_tlog_open(dir, &log, &d));
    check_tree(log, leaves, total + 1);
    /* A second process (or handle) is locked out. */
    struct tl_tlog *other = NULL;
    assert_int_equal(TL_ESTATE, tl_tlog_open(dir, &other, &d));
    assert_string_equal("the log is in use by another process", d.text);
    tl_tlog_free(log);
    free(leaves);
    tl_tlog_test_rmrf(dir);
}

struct thread_arg {
    struct tl_tlog *log;
    int id;
    uint64_t idx[200];
};

static void *
appender(void *p)
{
    struct thread_arg *a = p;
    for (int i = 0; i < 200; i++) {
        if (i % 50 == 49) {
            /* checkpoints (flushes) in between, from several threads */
            assert_int_equal(TL_OK, tl_tlog_checkpoint(a->log, NULL, NULL));
        }
        char e[32];
        int n = snprintf(e, sizeof(e), "t%d-%d", a->id, i);
        assert_int_equal(TL_OK, tl_tlog_append(a->log, e, (size_t)n, &a->idx[i]));
    }
    return NULL;
}

struct prover_arg {
    struct tl_tlog *log;
    atomic_bool stop;
    int proofs;
};

/* While appenders run: proofs at the size just observed, checked against its root. */
static void *
prover(void *p)
{
    struct prover_arg *a = p;
    uint64_t old_size = 0;
    uint8_t old_root[32];
    unsigned x = 1;
    while (!atomic_load(&a->stop)) {
        uint64_t size;
        uint8_t root[32], proof[64][32], leaf[32];
        size_t n;
        tl_tlog_tree(a->log, &size, root);
        if (size == 0) {
            continue;
        }
        x = x * 1103515245u + 12345u;
        uint64_t i = x % size;
        uint8_t *data = NULL;
        size_t len;
        assert_int_equal(TL_OK, tl_tlog_entry(a->log, i, &data, &len));
        tl_tlog_leaf_hash(data, len, leaf);
        tl_free(data);
        assert_int_equal(TL_OK, tl_tlog_inclusion_proof(a->log, i, size, proof, &n));
        assert_int_equal(TL_OK, tl_tlog_verify_inclusion(leaf, i, size, (const uint8_t(*)[32])proof,
                                                         n, root, NULL));
        if (old_size > 0) {
            assert_int_equal(TL_OK, tl_tlog_consistency_proof(a->log, old_size, size, proof, &n));
            assert_int_equal(TL_OK,
                             tl_tlog_verify_consistency(old_size, size, old_root, root,
                                                        (const uint8_t(*)[32])proof, n, NULL));
        }
        old_size = size;
        memcpy(old_root, root, 32);
        a->proofs++;
    }
    return NULL;
}

static void
test_concurrent_appends(void **state)
{
    (void)state;
    char dir[64];
    tl_tlog_test_tmpdir("tl_tlog_", dir, sizeof(dir));
    struct tl_tlog *log = NULL;
    assert_int_equal(TL_OK, tl_tlog_create(dir, "log.example/c", NULL, &log, NULL));
    pthread_t th[8], pt;
    struct thread_arg args[8];
    struct prover_arg pa = {.log = log};
    pthread_create(&pt, NULL, prover, &pa);
    for (int t = 0; t < 8; t++) {
        args[t].log = log;
        args[t].id = t;
        pthread_create(&th[t], NULL, appender, &args[t]);
    }
    for (int t = 0; t < 8; t++) {
        pthread_join(th[t], NULL);
    }
    atomic_store(&pa.stop, true);
    pthread_join(pt, NULL);
    assert_true(pa.proofs > 10);
    /* Every acknowledged index holds exactly its entry; no index is used twice. */
    uint64_t size;
    tl_tlog_tree(log, &size, NULL);
    assert_int_equal(1600, size);
    uint8_t(*leaves)[32] = malloc(1600 * 32);
    bool seen[1600] = {false};
    for (int t = 0; t < 8; t++) {
        for (int i = 0; i < 200; i++) {
            char e[32];
            int n = snprintf(e, sizeof(e), "t%d-%d", t, i);
            uint64_t k = args[t].idx[i];
            assert_true(k < 1600);
            assert_false(seen[k]);
            seen[k] = true;
            tl_tlog_leaf_hash(e, (size_t)n, leaves[k]);
            uint8_t *data = NULL;
            size_t len;
            assert_int_equal(TL_OK, tl_tlog_entry(log, k, &data, &len));
            assert_int_equal(n, len);
            assert_memory_equal(e, data, len);
            tl_free(data);
            /* Each thread's entries are in its own order. */
            if (i > 0) {
                assert_true(args[t].idx[i] > args[t].idx[i - 1]);
            }
        }
    }
    uint8_t root[32], want[32];
    tl_tlog_tree(log, NULL, root);
    tl_tlog_root_from_leaves((const uint8_t(*)[32])leaves, 1600, want);
    assert_memory_equal(want, root, 32);
    free(leaves);
    tl_tlog_free(log);
    tl_tlog_test_rmrf(dir);
}

static char *
read_text(const char *dir, const char *name)
{
    char path[512];
    uint8_t *data = NULL;
    size_t len;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(TL_OK, tl__read_file(AT_FDCWD, path, 1 << 20, &data, &len));
    return (char *)data;
}

static void
write_text(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void
test_checkpoint_audit_recovery(void **state)
{
    (void)state;
    char dir[64];
    tl_tlog_test_tmpdir("tl_tlog_", dir, sizeof(dir));
    struct tl_tlog *log = NULL;
    struct tl_diag d = {0};
    assert_int_equal(TL_OK, tl_tlog_create(dir, "log.example/a", NULL, &log, &d));
    char *none = NULL;
    assert_int_equal(TL_ENOTFOUND, tl_tlog_published(log, &none));
    uint8_t(*leaves)[32] = malloc(1000 * 32);
    append_range(log, 0, 300, leaves);
    char *note = NULL;
    assert_int_equal(TL_OK, tl_tlog_checkpoint(log, &note, &d));
    struct tl_verifier *v = NULL;
    assert_int_equal(TL_OK,
                     tl_verifier_parse(tl_tlog_vkey(log), strlen(tl_tlog_vkey(log)), &v, &d));
    struct tl_checkpoint cp;
    assert_int_equal(TL_OK, tl_checkpoint_open(note, strlen(note), v, &cp, &d));
    assert_int_equal(300, cp.size);
    /* Proof file for entry 7 verifies offline against the entry bytes. */
    char *pf = NULL, e[64];
    size_t el = make_entry(7, e);
    assert_int_equal(TL_OK, tl_tlog_proof_file(log, 7, &pf));
    assert_int_equal(TL_OK, tl_proof_file_verify(pf, strlen(pf), e, el, v, NULL, NULL, &d));
    assert_int_equal(TL_ECRYPTO,
                     tl_proof_file_verify(pf, strlen(pf), "other", 5, v, NULL, NULL, &d));
    assert_string_equal("computed root does not match the tree root", d.text);
    assert_int_equal(TL_ERANGE, tl_tlog_proof_file(log, 300, &pf));
    tl_free(pf);
    /* The published partial tiles of size 300 stay after more appends. */
    append_range(log, 300, 310, leaves);
    char *note2 = NULL;
    assert_int_equal(TL_OK, tl_tlog_checkpoint(log, &note2, &d));
    append_range(log, 310, 320, leaves);
    struct stat st;
    char path[256];
    snprintf(path, sizeof(path), "%s/tile/0/001.p/44", dir);
    assert_int_equal(0, stat(path, &st));
    snprintf(path, sizeof(path), "%s/tile/0/001.p/54", dir); /* signed at 310 */
    assert_int_equal(0, stat(path, &st));
    snprintf(path, sizeof(path), "%s/tile/0/001.p/64", dir); /* not signed: in the WAL only */
    assert_int_not_equal(0, stat(path, &st));
    /* The audit re-derives everything from the bundles. */
    assert_int_equal(TL_OK, tl_tlog_audit_dir(dir, note, strlen(note), v, &cp, &d));
    assert_int_equal(TL_OK, tl_tlog_audit_dir(dir, note2, strlen(note2), v, &cp, &d));
    assert_int_equal(310, cp.size);
    tl_tlog_free(log);

    /* Orphans of an interrupted commit are removed on open. */
    write_text(dir, "tile/0/001.p/99", "junk");
    write_text(dir, "tile/0/002", "junk");
    write_text(dir, "tile/entries/001.p/200", "junk");
    assert_int_equal(TL_OK, tl_tlog_open(dir, &log, &d));
    snprintf(path, sizeof(path), "%s/tile/0/001.p/99", dir);
    assert_int_not_equal(0, stat(path, &st));
    snprintf(path, sizeof(path), "%s/tile/0/002", dir);
    assert_int_not_equal(0, stat(path, &st));
    snprintf(path, sizeof(path), "%s/tile/entries/001.p/200", dir);
    assert_int_not_equal(0, stat(path, &st));
    check_tree(log, leaves, 320);
    tl_tlog_free(log);

    /* A tampered tile is found by the audit and by open. */
    snprintf(path, sizeof(path), "%s/tile/entries/000", dir);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 4, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 4, SEEK_SET);
    fputc(c ^ 1, f);
    fclose(f);
    assert_int_equal(TL_ECRYPTO, tl_tlog_audit_dir(dir, note, strlen(note), v, &cp, &d));
    assert_string_equal("tile/0/000: hashes do not match the entries", d.text);
    f = fopen(path, "r+b");
    fseek(f, 4, SEEK_SET);
    fputc(c, f);
    fclose(f);
    assert_int_equal(TL_OK, tl_tlog_audit_dir(dir, note, strlen(note), v, &cp, &d));

    /* A rolled-back state (older than the last signed checkpoint) is refused. */
    char *state_now = read_text(dir, ".state/tree");
    write_text(
        dir, ".state/tree",
        "truceline tlog state v1\nsize 320\nroot 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
    assert_int_equal(TL_ESTORE, tl_tlog_open(dir, &log, &d));
    assert_string_equal("the stored tiles do not give the committed root", d.text);
    uint8_t r256[32];
    char b64[45], st256[200];
    tl_tlog_root_from_leaves((const uint8_t(*)[32])leaves, 256, r256);
    tl_tlog_hash_format(r256, b64);
    snprintf(st256, sizeof(st256), "truceline tlog state v1\nsize 256\nroot %s\n", b64);
    write_text(dir, ".state/tree", st256);
    assert_int_equal(TL_ESTORE, tl_tlog_open(dir, &log, &d));
    assert_string_equal("the committed tree (256) is behind the last signed checkpoint (310): "
                        "refusing to sign a rolled-back log",
                        d.text);
    write_text(dir, ".state/tree", "garbage");
    assert_int_equal(TL_ESTORE, tl_tlog_open(dir, &log, &d));
    assert_string_equal(".state/tree is malformed", d.text);
    write_text(dir, ".state/tree", state_now);
    tl_free(state_now);
    assert_int_equal(TL_OK, tl_tlog_open(dir, &log, &d));
    check_tree(log, leaves, 320); /* the refused opens destroyed nothing */
    tl_tlog_free(log);
    assert_int_equal(TL_EEXIST, tl_tlog_create(dir, "log.example/a", NULL, &log, &d));
    assert_int_equal(TL_ENOTFOUND, tl_tlog_open("/nonexistent/tl", &log, &d));
    assert_int_equal(TL_EINVAL, tl_tlog_create(dir, "bad origin", NULL, &log, &d));
    assert_string_equal("origin must be 1 to 255 bytes without spaces or '+'", d.text);
    snprintf(path, sizeof(path), "%s/log.key", dir);
    assert_int_equal(0, stat(path, &st));
    assert_int_equal(0600, st.st_mode & 0777);

    tl_free(note);
    tl_free(note2);
    tl_verifier_free(v);
    free(leaves);
    tl_tlog_test_rmrf(dir);
}

/* ------------------------------------------------------------------------ */
/* Witness                                                                   */
/* ------------------------------------------------------------------------ */

static char *
request(uint64_t old, uint8_t (*proof)[32], size_t n, const char *note)
{
    struct tl__buf b = {0};
    tl__buf_printf(&b, 1 << 20, "old %" PRIu64 "\n", old);
    for (size_t i = 0; i < n; i++) {
        char h[45];
        tl_tlog_hash_format(proof[i], h);
        tl__buf_printf(&b, 1 << 20, "%s\n", h);
    }
    tl__buf_add(&b, "\n", 1, 1 << 20);
    tl__buf_add(&b, note, strlen(note), 1 << 20);
    return b.p;
}

static int
ask(struct tl_witness *w, const char *req, char **body)
{
    int status = 0;
    assert_int_equal(TL_OK,
                     tl_witness_add_checkpoint(w, req, strlen(req), 1700000000, &status, body));
    return status;
}

static void
test_witness(void **state)
{
    (void)state;
    char ldir[64], wdir[64];
    tl_tlog_test_tmpdir("tl_tlog_", ldir, sizeof(ldir));
    tl_tlog_test_tmpdir("tl_tlog_", wdir, sizeof(wdir));
    struct tl_tlog *log = NULL;
    struct tl_diag d = {0};
    assert_int_equal(TL_OK, tl_tlog_create(ldir, "log.example/w", NULL, &log, &d));
    const char *lk = tl_tlog_vkey(log);
    struct tl_witness *w = NULL;
    assert_int_equal(TL_OK, tl_witness_create(wdir, "witness.AT.example", &lk, 1, &w, &d));
    uint8_t(*leaves)[32] = malloc(100 * 32);
    char *n10 = NULL, *n20 = NULL, *body = NULL;
    char *req;
    /* An empty tree first. */
    char *n0 = NULL;
    assert_int_equal(TL_OK, tl_tlog_checkpoint(log, &n0, &d));
    req = request(0, NULL, 0, n0);
    assert_int_equal(200, ask(w, req, &body));
    tl_free(req);
    tl_free(body);
    append_range(log, 0, 10, leaves);
    assert_int_equal(TL_OK, tl_tlog_checkpoint(log, &n10, &d));
    req = request(0, NULL, 0, n10);
    assert_int_equal(200, ask(w, req, &body)); /* old 0 = its state (the empty tree) */
    /* The cosignature verifies with the witness key on the checkpoint. */
    struct tl_verifier *wv = NULL;
    const char *wk = tl_witness_vkey(w);
    assert_int_equal(TL_OK, tl_verifier_parse(wk, strlen(wk), &wv, &d));
    char full[4096];
    snprintf(full, sizeof(full), "%s%s", n10, body);
    struct tl_note *nt = NULL;
    assert_int_equal(TL_OK, tl_note_open(full, strlen(full), (const struct tl_verifier *const *)&wv,
                                         1, &nt, &d));
    assert_int_equal(1700000000, tl_note_sig_time(nt, 1));
    tl_note_free(nt);
    tl_free(body);
    tl_free(req);
    /* Stale old size -> 409 with the size. */
    append_range(log, 10, 20, leaves);
    assert_int_equal(TL_OK, tl_tlog_checkpoint(log, &n20, &d));
    req = request(0, NULL, 0, n20);
    assert_int_equal(409, ask(w, req, &body));
    assert_string_equal("10\n", body);
    tl_free(body);
    tl_free(req);
    /* A bad proof -> 422; the right one -> 200. */
    uint8_t proof[64][32];
    size_t np = 0;
    assert_int_equal(TL_OK, tl_tlog_consistency_proof(log, 10, 20, proof, &np));
    proof[0][3] ^= 1;
    req = request(10, proof, np, n20);
    assert_int_equal(422, ask(w, req, &body));
    assert_string_equal("consistency proof does not verify: proof does not lead to the old root\n",
                        body);
    tl_free(body);
    tl_free(req);
    proof[0][3] ^= 1;
    req = request(10, proof, np, n20);
    assert_int_equal(200, ask(w, req, &body));
    tl_free(body);
    tl_free(req);
    /* The monitoring view is the cosigned checkpoint. */
    uint8_t h[32];
    char hex[65];
    crypto_hash_sha256(h, (const uint8_t *)"log.example/w", 13);
    sodium_bin2hex(hex, sizeof(hex), h, 32);
    char *latest = NULL;
    assert_int_equal(TL_OK, tl_witness_latest(w, hex, &latest));
    assert_int_equal(0, strncmp(latest, n20, strlen(n20)));
    tl_free(latest);
    assert_int_equal(TL_ENOTFOUND, tl_witness_latest(w, "00", &latest));
    /* Same size again (same root) -> 200; old above the size -> 400. */
    req = request(20, NULL, 0, n20);
    assert_int_equal(200, ask(w, req, &body));
    tl_free(body);
    tl_free(req);
    req = request(21, NULL, 0, n20);
    assert_int_equal(400, ask(w, req, &body));
    assert_string_equal("old size 21 is above the checkpoint size\n", body);
    tl_free(body);
    tl_free(req);
    /* Unknown origin -> 404; bad signature -> 403; malformed -> 400. */
    req = request(0, NULL, 0,
                  "other.example\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\xE2\x80\x94 "
                  "other.example AAAAAAA=\n");
    assert_int_equal(404, ask(w, req, &body));
    assert_string_equal("unknown log origin\n", body);
    tl_free(body);
    tl_free(req);
    char *forged = tl_strdup(n20);
    forged[strlen("log.example/w\n")] = '3'; /* size 20 -> 30 */
    req = request(20, NULL, 0, forged);
    assert_int_equal(403, ask(w, req, &body));
    assert_string_equal("signature by log.example/w does not verify\n", body);
    tl_free(body);
    tl_free(req);
    tl_free(forged);

    static const struct {
        const char *req, *msg;
    } bad[] = {
        {"old 01\n\nx\n", "malformed old size line\n"},
        {"new 1\n\nx\n", "malformed old size line\n"},
        {"old 1\nAAAA\n\nx\n", "proof line 1 is not base64 of 32 bytes\n"},
        {"old 1\n", "missing blank line before the checkpoint\n"},
        {"old 1\n\n", "malformed checkpoint\n"},
    };

    for (size_t i = 0; i < TL_ARRAY_LEN(bad); i++) {
        assert_int_equal(400, ask(w, bad[i].req, &body));
        assert_string_equal(bad[i].msg, body);
        tl_free(body);
    }
    /* More than 63 proof lines -> 400. */
    uint8_t many[64][32];
    memset(many, 0, sizeof(many));
    req = request(20, many, 64, n20);
    assert_int_equal(400, ask(w, req, &body));
    assert_string_equal("more than 63 proof lines\n", body);
    tl_free(body);
    tl_free(req);
    /* State survives a restart; a second process is locked out. */
    struct tl_witness *w2 = NULL;
    assert_int_equal(TL_ESTATE, tl_witness_open(wdir, &w2, &d));
    tl_witness_free(w);
    assert_int_equal(TL_OK, tl_witness_open(wdir, &w, &d));
    req = request(0, NULL, 0, n20);
    assert_int_equal(409, ask(w, req, &body));
    assert_string_equal("20\n", body);
    tl_free(body);
    tl_free(req);
    char keypath[128];
    struct stat st;
    snprintf(keypath, sizeof(keypath), "%s/witness.key", wdir);
    assert_int_equal(0, stat(keypath, &st));
    assert_int_equal(0600, st.st_mode & 0777);
    tl_witness_free(w);
    tl_verifier_free(wv);
    tl_free(n0);
    tl_free(n10);
    tl_free(n20);
    free(leaves);
    tl_tlog_free(log);
    tl_tlog_test_rmrf(ldir);
    tl_tlog_test_rmrf(wdir);
}

/* ------------------------------------------------------------------------ */
/* The witness client's HTTP                                                */
/* ------------------------------------------------------------------------ */

struct fake_server {
    int fd;
    const char *reply;
    char got[4096];
};

static void *
serve_once(void *p)
{
    struct fake_server *f = p;
    int c = accept(f->fd, NULL, NULL);
    size_t n = 0;
    while (n < sizeof(f->got) - 1) {
        ssize_t r = read(c, f->got + n, sizeof(f->got) - 1 - n);
        if (r <= 0) {
            break;
        }
        n += (size_t)r;
        f->got[n] = '\0';
        char *h = strstr(f->got, "\r\n\r\n");
        if (h && strlen(h + 4) >= 5) { /* the test bodies are 5 bytes */
            break;
        }
    }
    ssize_t w = write(c, f->reply, strlen(f->reply));
    (void)w;
    close(c);
    return NULL;
}

static void
http_exchange(const char *reply, int want_status, const char *want_body)
{
    struct fake_server f = {.reply = reply};
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    f.fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(0, bind(f.fd, (struct sockaddr *)&sa, sizeof(sa)));
    assert_int_equal(0, listen(f.fd, 1));
    assert_int_equal(0, getsockname(f.fd, (struct sockaddr *)&sa, &sl));
    pthread_t th;
    pthread_create(&th, NULL, serve_once, &f);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/w/", ntohs(sa.sin_port));
    int status = 0;
    char *body = NULL;
    size_t len = 0;
    struct tl_diag d = {0};
    assert_int_equal(
        TL_OK, tl__http_post(url, "add-checkpoint", "old 0", 5, 2000, &status, &body, &len, &d));
    pthread_join(th, NULL);
    close(f.fd);
    assert_int_equal(want_status, status);
    assert_string_equal(want_body, body);
    assert_non_null(strstr(f.got, "POST /w/add-checkpoint HTTP/1.1\r\n"));
    assert_non_null(strstr(f.got, "Content-Length: 5\r\n"));
    tl_free(body);
}

static void
test_http_client(void **state)
{
    (void)state;
    http_exchange(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        200, "hello world");
    http_exchange(
        "HTTP/1.1 409 Conflict\r\nContent-Type: text/x.tlog.size\r\nContent-Length: 3\r\n\r\n42\n",
        409, "42\n");
    int status;
    char *body = NULL;
    size_t len;
    struct tl_diag d = {0};
    assert_int_equal(TL_EINVAL, tl__http_post("https://w.example/", "add-checkpoint", "", 0, 100,
                                              &status, &body, &len, &d));
    assert_string_equal("only http:// witness URLs are supported", d.text);
    /* A port nobody listens on: a clear error, no hang. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sa.sin_port));
    assert_int_equal(TL_EIO,
                     tl__http_post(url, "add-checkpoint", "", 0, 1000, &status, &body, &len, &d));
    assert_non_null(strstr(d.text, "Connection refused"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_prove),
        cmocka_unit_test(test_concurrent_appends),
        cmocka_unit_test(test_checkpoint_audit_recovery),
        cmocka_unit_test(test_witness),
        cmocka_unit_test(test_http_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
