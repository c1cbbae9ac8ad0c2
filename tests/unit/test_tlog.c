/*
 * test_tlog.c - conformance of the transparency-log primitives: every Merkle
 * vector of transparency-dev/merkle (tests/data/merkle, including those that
 * must be rejected), the 8-leaf roots, generated proofs against a naive
 * reference, the signed-note examples of the C2SP spec and of the Go note
 * package byte for byte, RFC 8032 vectors, weak keys, and the exact message
 * of every malformed note, checkpoint, tile path, bundle, policy and proof file.
 */
#include <dirent.h>
#include <jansson.h>
#include <sodium.h>

#include "tl_test.h"
#include "tlog/tlog_priv.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static void
hex_decode(const char *hex, uint8_t *out, size_t *n)
{
    size_t len = strlen(hex);
    assert_int_equal(0, sodium_hex2bin(out, len / 2, hex, len, NULL, n, NULL));
}

/*
 * A hash field of a vector, decoded by the library's own hash parser: the API
 * takes 32-byte hashes, so a value of another length (the vectors' empty and
 * "don't care" values) is refused at this layer, which is where a real caller
 * of the library meets it.
 */
static int
vec_hash(json_t *v, uint8_t out[32])
{
    const char *s = json_string_value(v);
    assert_non_null(s);
    return tl_tlog_hash_parse(s, strlen(s), out, NULL);
}

/* Decode the proof through the library's own hash parser: a bad element is a rejection. */
static int
vec_proof(json_t *arr, uint8_t (*proof)[32], size_t *n)
{
    *n = 0;
    if (json_is_null(arr)) {
        return TL_OK;
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (*n >= 64) {
            return TL_ERANGE;
        }
        int rc = tl_tlog_hash_parse(s, strlen(s), proof[*n], NULL);
        if (rc != TL_OK) {
            return rc;
        }
        (*n)++;
    }
    return TL_OK;
}

/*
 * Load a vector.  jansson refuses integers above INT64_MAX, and one vector has
 * treeSize 2^64-1: it is read as -1, which converts back to 2^64-1.
 */
static json_t *
load_vector(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *big = strstr(buf, "18446744073709551615");
    if (big) {
        memcpy(big, "-1", 2);
        memmove(big + 2, big + 20, strlen(big + 20) + 1);
    }
    return json_loads(buf, 0, NULL);
}

static size_t
run_vectors(const char *kind, int (*one)(json_t *, struct tl_diag *))
{
    char top[512];
    size_t count = 0;
    snprintf(top, sizeof(top), "%s/tests/data/merkle/%s", TL_SOURCE_DIR, kind);
    DIR *d = opendir(top);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char sub[1024];
        snprintf(sub, sizeof(sub), "%s/%s", top, e->d_name);
        DIR *s = opendir(sub);
        assert_non_null(s);
        struct dirent *f;
        while ((f = readdir(s)) != NULL) {
            if (f->d_name[0] == '.') {
                continue;
            }
            char path[2048];
            snprintf(path, sizeof(path), "%s/%s", sub, f->d_name);
            DIR *probe = opendir(path);
            json_t *v = probe ? NULL : load_vector(path);
            if (probe) {
                closedir(probe);
                /* additional/0..3 are folders one level deeper */
                DIR *s2 = opendir(path);
                assert_non_null(s2);
                struct dirent *g;
                while ((g = readdir(s2)) != NULL) {
                    if (g->d_name[0] == '.') {
                        continue;
                    }
                    char p2[3072];
                    snprintf(p2, sizeof(p2), "%s/%s", path, g->d_name);
                    json_t *v2 = load_vector(p2);
                    assert_non_null(v2);
                    struct tl_diag dg = {0};
                    int want_err = json_is_true(json_object_get(v2, "wantErr"));
                    int rc = one(v2, &dg);
                    if ((rc != TL_OK) != want_err) {
                        fail_msg("%s: rc %d (%s), wantErr %d", p2, rc, dg.text, want_err);
                    }
                    json_decref(v2);
                    count++;
                }
                closedir(s2);
                continue;
            }
            assert_non_null(v);
            struct tl_diag dg = {0};
            int want_err = json_is_true(json_object_get(v, "wantErr"));
            int rc = one(v, &dg);
            if ((rc != TL_OK) != want_err) {
                fail_msg("%s: rc %d (%s), wantErr %d", path, rc, dg.text, want_err);
            }
            json_decref(v);
            count++;
        }
        closedir(s);
    }
    closedir(d);
    return count;
}

static int
one_inclusion(json_t *v, struct tl_diag *d)
{
    uint8_t leaf[32], root[32], proof[64][32];
    size_t n;
    int rc = vec_hash(json_object_get(v, "leafHash"), leaf);
    if (rc == TL_OK) {
        rc = vec_hash(json_object_get(v, "root"), root);
    }
    if (rc == TL_OK) {
        rc = vec_proof(json_object_get(v, "proof"), proof, &n);
    }
    if (rc != TL_OK) {
        return rc;
    }
    uint64_t idx = (uint64_t)json_integer_value(json_object_get(v, "leafIdx"));
    uint64_t size = (uint64_t)json_integer_value(json_object_get(v, "treeSize"));
    return tl_tlog_verify_inclusion(leaf, idx, size, (const uint8_t(*)[32])proof, n, root, d);
}

static int
one_consistency(json_t *v, struct tl_diag *d)
{
    uint8_t r1[32], r2[32], proof[64][32];
    size_t n;
    uint64_t size1 = (uint64_t)json_integer_value(json_object_get(v, "size1"));
    uint64_t size2 = (uint64_t)json_integer_value(json_object_get(v, "size2"));
    int rc1 = vec_hash(json_object_get(v, "root1"), r1);
    int rc2 = vec_hash(json_object_get(v, "root2"), r2);
    int rc = vec_proof(json_object_get(v, "proof"), proof, &n);
    if (rc != TL_OK) {
        return rc;
    }
    if (rc1 != TL_OK || rc2 != TL_OK) {
        /*
         * One accepted vector ("sizes are equal (one) and proof is empty") uses
         * 12-byte "don't care" roots that no 32-byte API can take (Go's x/mod
         * cannot either).  Its rule is: equal sizes, empty proof, equal roots
         * pass before any hashing; check exactly that with 32-byte roots, and
         * that the size checks still come first for the rejected ones.
         */
        if (size1 == 0 || size1 > size2) {
            memset(r1, 0, 32);
            return tl_tlog_verify_consistency(size1, size2, r1, r1, (const uint8_t(*)[32])proof, n,
                                              d);
        }
        if (size1 == size2 && n == 0 &&
            strcmp(json_string_value(json_object_get(v, "root1")),
                   json_string_value(json_object_get(v, "root2"))) == 0) {
            memset(r1, 0xd0, 32);
            return tl_tlog_verify_consistency(size1, size2, r1, r1, NULL, 0, d);
        }
        return TL_EPARSE;
    }
    return tl_tlog_verify_consistency(size1, size2, r1, r2, (const uint8_t(*)[32])proof, n, d);
}

static void
test_merkle_vectors(void **state)
{
    (void)state;
    size_t ni = run_vectors("inclusion", one_inclusion);
    size_t nc = run_vectors("consistency", one_consistency);
    assert_int_equal(98, ni);
    assert_int_equal(98, nc);
}

/* The 8-leaf tree of transparency-dev/merkle: root for every size 0..8. */
static void
test_eight_leaf_roots(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/tests/data/merkle/eight-leaf-roots.json", TL_SOURCE_DIR);
    json_t *v = json_load_file(path, 0, NULL);
    assert_non_null(v);
    json_t *in = json_object_get(v, "leaf_inputs_hex"),
           *roots = json_object_get(v, "root_hashes_hex_by_size");
    uint8_t leaves[8][32];
    for (size_t i = 0; i < 8; i++) {
        uint8_t buf[64];
        size_t n = 0;
        hex_decode(json_string_value(json_array_get(in, i)), buf, &n);
        tl_tlog_leaf_hash(buf, n, leaves[i]);
    }
    for (size_t s = 0; s <= 8; s++) {
        uint8_t want[32], got[32];
        size_t n;
        hex_decode(json_string_value(json_array_get(roots, s)), want, &n);
        tl_tlog_root_from_leaves((const uint8_t(*)[32])leaves, s, got);
        assert_memory_equal(want, got, 32);
    }
    json_decref(v);
}

/* ------------------------------------------------------------------------ */
/* Generated proofs against a naive in-memory reference                      */
/* ------------------------------------------------------------------------ */

struct mem_tree {
    uint8_t (*leaves)[32];
    uint64_t n;
};

static int
mem_subtree(void *ud, unsigned height, uint64_t index, uint8_t out[32])
{
    struct mem_tree *t = ud;
    uint64_t lo = index << height, cnt = UINT64_C(1) << height;
    if (lo + cnt > t->n) {
        return TL_ERANGE;
    }
    tl_tlog_root_from_leaves((const uint8_t(*)[32])(t->leaves + lo), cnt, out);
    return TL_OK;
}

static void
test_generated_proofs(void **state)
{
    (void)state;
    struct mem_tree t = {.n = 300};
    t.leaves = malloc(300 * 32);
    for (uint64_t i = 0; i < t.n; i++) {
        uint8_t e[8];
        for (int k = 0; k < 8; k++) {
            e[k] = (uint8_t)(i >> (8 * k));
        }
        tl_tlog_leaf_hash(e, sizeof(e), t.leaves[i]);
    }
    uint8_t proof[64][32], roots[301][32];
    for (uint64_t s = 0; s <= t.n; s++) {
        tl_tlog_root_from_leaves((const uint8_t(*)[32])t.leaves, s, roots[s]);
        uint8_t r[32];
        assert_int_equal(TL_OK, tl__merkle_range(mem_subtree, &t, 0, s, r));
        assert_memory_equal(roots[s], r, 32);
    }
    for (uint64_t s = 1; s <= t.n; s += (s < 40 ? 1 : 7)) {
        for (uint64_t i = 0; i < s; i += (s < 40 ? 1 : 5)) {
            size_t n = 0;
            assert_int_equal(TL_OK, tl__merkle_inclusion(mem_subtree, &t, i, s, proof, &n));
            assert_int_equal(TL_OK, tl_tlog_verify_inclusion(t.leaves[i], i, s,
                                                             (const uint8_t(*)[32])proof, n,
                                                             roots[s], NULL));
            /* A wrong index must fail. */
            if (s > 1) {
                assert_int_not_equal(TL_OK, tl_tlog_verify_inclusion(t.leaves[i], (i + 1) % s, s,
                                                                     (const uint8_t(*)[32])proof, n,
                                                                     roots[s], NULL));
            }
        }
        for (uint64_t m = 1; m <= s; m += (s < 40 ? 1 : 3)) {
            size_t n = 0;
            assert_int_equal(TL_OK, tl__merkle_consistency(mem_subtree, &t, m, s, proof, &n));
            assert_int_equal(TL_OK,
                             tl_tlog_verify_consistency(m, s, roots[m], roots[s],
                                                        (const uint8_t(*)[32])proof, n, NULL));
            if (m < s) {
                proof[0][0] ^= 1;
                assert_int_equal(TL_ECRYPTO,
                                 tl_tlog_verify_consistency(m, s, roots[m], roots[s],
                                                            (const uint8_t(*)[32])proof, n, NULL));
            }
        }
    }
    size_t n = 0;
    assert_int_equal(TL_ERANGE, tl__merkle_inclusion(mem_subtree, &t, 5, 5, proof, &n));
    assert_int_equal(TL_ERANGE, tl__merkle_consistency(mem_subtree, &t, 0, 5, proof, &n));
    free(t.leaves);
}

static void
test_verify_messages(void **state)
{
    (void)state;
    uint8_t h[32] = {0}, proof[65][32];
    struct tl_diag d = {0};
    memset(proof, 0, sizeof(proof));
    assert_int_equal(TL_ERANGE, tl_tlog_verify_inclusion(h, 3, 3, NULL, 0, h, &d));
    assert_string_equal("index 3 is not below tree size 3", d.text);
    assert_int_equal(TL_ERANGE,
                     tl_tlog_verify_inclusion(h, 0, 3, (const uint8_t(*)[32])proof, 65, h, &d));
    assert_string_equal("proof has 65 hashes, more than 64", d.text);
    assert_int_equal(TL_ECRYPTO,
                     tl_tlog_verify_inclusion(h, 0, 1, (const uint8_t(*)[32])proof, 1, h, &d));
    assert_string_equal("proof is too long (1 hashes)", d.text);
    assert_int_equal(TL_ECRYPTO,
                     tl_tlog_verify_inclusion(h, 0, 4, (const uint8_t(*)[32])proof, 1, h, &d));
    assert_string_equal("proof is too short (1 hashes)", d.text);
    assert_int_equal(TL_OK, tl_tlog_verify_inclusion(h, 0, 1, NULL, 0, h, &d));
    proof[1][0] = 1;
    assert_int_equal(TL_ECRYPTO, tl_tlog_verify_inclusion(h, 0, 1, NULL, 0, proof[1], &d));
    assert_string_equal("computed root does not match the tree root", d.text);
    assert_int_equal(TL_ERANGE, tl_tlog_verify_consistency(0, 3, h, h, NULL, 0, &d));
    assert_string_equal("consistency proof from the empty tree is meaningless", d.text);
    assert_int_equal(TL_ERANGE, tl_tlog_verify_consistency(4, 3, h, h, NULL, 0, &d));
    assert_string_equal("old size 4 is larger than new size 3", d.text);
    assert_int_equal(TL_ECRYPTO,
                     tl_tlog_verify_consistency(3, 3, h, h, (const uint8_t(*)[32])proof, 1, &d));
    assert_string_equal("sizes are equal but the proof is not empty", d.text);
    assert_int_equal(TL_ECRYPTO, tl_tlog_verify_consistency(3, 3, h, proof[1], NULL, 0, &d));
    assert_string_equal("sizes are equal but the roots differ", d.text);
    assert_int_equal(TL_ECRYPTO, tl_tlog_verify_consistency(3, 4, h, h, NULL, 0, &d));
    assert_string_equal("proof is empty", d.text);
}

/* ------------------------------------------------------------------------ */
/* Keys and notes                                                            */
/* ------------------------------------------------------------------------ */

static const char GO_SKEY[] =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
#define GO_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
static const char GO_TEXT[] = "If you think cryptography is the answer to your problem,\n"
                              "then you don't know what your problem is.\n";
static const char GO_SIG[] =
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

static const char SPEC_VKEY[] =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
static const char SPEC_NOTE[] = "This is an example message.\n\n\xE2\x80\x94 example.com/foo "
                                "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOB"
                                "H3mFXmRKuwHjG1Yu72IneyaQM=\n";

static struct tl_verifier *
vkey(const char *s)
{
    struct tl_verifier *v = NULL;
    struct tl_diag d = {0};
    int rc = tl_verifier_parse(s, strlen(s), &v, &d);
    if (rc != TL_OK) {
        fail_msg("%s: %s", s, d.text);
    }
    return v;
}

static void
test_go_note_example(void **state)
{
    (void)state;
    struct tl_signer *s = NULL;
    struct tl_diag d = {0};
    assert_int_equal(TL_OK, tl_signer_parse(GO_SKEY, strlen(GO_SKEY), &s, &d));
    char *vk = NULL, *line = NULL, *sk = NULL;
    assert_int_equal(TL_OK, tl_signer_vkey(s, &vk));
    assert_string_equal(GO_VKEY, vk);
    assert_int_equal(TL_OK, tl_signer_format(s, &sk));
    assert_string_equal(GO_SKEY, sk);
    assert_int_equal(TL_OK, tl_note_sign(s, GO_TEXT, strlen(GO_TEXT), 0, &line));
    assert_string_equal(GO_SIG, line); /* byte for byte, as Go's note.Sign */
    char note[1024];
    snprintf(note, sizeof(note), "%s\n%s", GO_TEXT, line);
    struct tl_verifier *v = vkey(GO_VKEY);
    struct tl_note *n = NULL;
    assert_int_equal(
        TL_OK, tl_note_open(note, strlen(note), (const struct tl_verifier *const *)&v, 1, &n, &d));
    size_t tl;
    const char *text = tl_note_text(n, &tl);
    assert_int_equal(strlen(GO_TEXT), tl);
    assert_memory_equal(GO_TEXT, text, tl);
    assert_int_equal(0, tl_note_sig_verifier(n, 0));
    tl_note_free(n);
    tl_verifier_free(v);
    tl_free(vk);
    tl_free(line);
    tl_free(sk);
    tl_signer_free(s);
}

static void
test_spec_note_example(void **state)
{
    (void)state;
    struct tl_verifier *v = vkey(SPEC_VKEY);
    struct tl_note *n = NULL;
    struct tl_diag d = {0};
    assert_int_equal(TL_OK, tl_note_open(SPEC_NOTE, strlen(SPEC_NOTE),
                                         (const struct tl_verifier *const *)&v, 1, &n, &d));
    /* Reproduce the note byte for byte from its parts. */
    char out[1024];
    size_t tl, sl;
    const char *text = tl_note_text(n, &tl);
    const char *sig = tl_note_sig_line(n, 0, &sl);
    memcpy(out, text, tl);
    out[tl] = '\n';
    memcpy(out + tl + 1, sig, sl);
    assert_int_equal(strlen(SPEC_NOTE), tl + 1 + sl);
    assert_memory_equal(SPEC_NOTE, out, tl + 1 + sl);
    char *back = NULL;
    assert_int_equal(TL_OK, tl_verifier_format(v, &back));
    assert_string_equal(SPEC_VKEY, back);
    tl_free(back);
    tl_note_free(n);
    /* A flipped bit of the text fails (a known key's signature must verify). */
    char bad[sizeof(SPEC_NOTE)];
    memcpy(bad, SPEC_NOTE, sizeof(SPEC_NOTE));
    bad[0] = 't';
    assert_int_equal(TL_ECRYPTO, tl_note_open(bad, strlen(bad),
                                              (const struct tl_verifier *const *)&v, 1, &n, &d));
    assert_string_equal("signature by example.com/foo does not verify", d.text);
    tl_verifier_free(v);
    /* An unknown key: the signature is ignored, so nothing verifies. */
    struct tl_verifier *g = vkey(GO_VKEY);
    assert_int_equal(TL_ECRYPTO, tl_note_open(SPEC_NOTE, strlen(SPEC_NOTE),
                                              (const struct tl_verifier *const *)&g, 1, &n, &d));
    assert_string_equal("no signature by a known key", d.text);
    tl_verifier_free(g);
}

struct rfc8032 {
    const char *sk, *pk, *msg, *sig;
};

static void
test_rfc8032(void **state)
{
    (void)state;
    static const struct rfc8032 vec[] = {
        {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701"
         "cf9b46bd25bf5f0595bbe24655141438e7a100b"},
        {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d"
         "0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
        {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
         "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
         "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f7609"
         "84dc6594a7c15e9716ed28dc027beceea1ec40a"},
    };
    for (size_t i = 0; i < TL_ARRAY_LEN(vec); i++) {
        uint8_t seed[32], pk[32], msg[8], sig[64], got[64], sk[64], gpk[32];
        size_t n, ml = 0;
        hex_decode(vec[i].sk, seed, &n);
        hex_decode(vec[i].pk, pk, &n);
        if (vec[i].msg[0]) {
            hex_decode(vec[i].msg, msg, &ml);
        }
        hex_decode(vec[i].sig, sig, &n);
        /* Our signer derives the RFC public key from the seed (its vkey carries it). */
        struct tl_signer *s = NULL;
        assert_int_equal(TL_OK, tl_signer_from_seed("rfc8032", TL_SIG_ED25519, seed, &s));
        char *vk = NULL;
        assert_int_equal(TL_OK, tl_signer_vkey(s, &vk));
        struct tl_verifier *v = vkey(vk);
        assert_memory_equal(pk, tl__verifier_pk(v), 32);
        crypto_sign_seed_keypair(gpk, sk, seed);
        crypto_sign_detached(got, NULL, msg, ml, sk);
        assert_memory_equal(sig, got, 64);
        assert_int_equal(0, crypto_sign_verify_detached(sig, msg, ml, tl__verifier_pk(v)));
        sig[0] ^= 1;
        assert_int_not_equal(0, crypto_sign_verify_detached(sig, msg, ml, tl__verifier_pk(v)));
        tl_verifier_free(v);
        tl_free(vk);
        tl_signer_free(s);
    }
}

/* A vkey with a correct key ID for an arbitrary (possibly weak) public key. */
static void
make_vkey(const char *name, int type, const uint8_t pk[32], char *out, size_t size)
{
    uint8_t h[32], raw[33];
    crypto_hash_sha256_state st;
    uint8_t t = (uint8_t)type, nl = '\n';
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
    crypto_hash_sha256_update(&st, &nl, 1);
    crypto_hash_sha256_update(&st, &t, 1);
    crypto_hash_sha256_update(&st, pk, 32);
    crypto_hash_sha256_final(&st, h);
    raw[0] = t;
    memcpy(raw + 1, pk, 32);
    char b64[64];
    sodium_bin2base64(b64, sizeof(b64), raw, 33, sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, size, "%s+%02x%02x%02x%02x+%s", name, h[0], h[1], h[2], h[3], b64);
}

static void
test_weak_keys(void **state)
{
    (void)state;
    uint8_t pk[32];
    char vk[256];
    struct tl_verifier *v = NULL;
    struct tl_diag d = {0};
    /* Identity (order 1), y = -1 (order 2), and a non-canonical y >= p. */
    static const char *const weak[] = {
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    };
    for (size_t i = 0; i < TL_ARRAY_LEN(weak); i++) {
        size_t n;
        hex_decode(weak[i], pk, &n);
        make_vkey("weak.example", TL_SIG_ED25519, pk, vk, sizeof(vk));
        assert_int_equal(TL_ECRYPTO, tl_verifier_parse(vk, strlen(vk), &v, &d));
        assert_string_equal("public key is not a canonical point of prime order (weak key)",
                            d.text);
    }
    /* A good key with a wrong ID. */
    hex_decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", pk,
               &(size_t){0});
    make_vkey("good.example", TL_SIG_ED25519, pk, vk, sizeof(vk));
    assert_int_equal(TL_OK, tl_verifier_parse(vk, strlen(vk), &v, &d));
    tl_verifier_free(v);
    vk[13] = vk[13] == '0' ? '1' : '0';
    assert_int_equal(TL_ECRYPTO, tl_verifier_parse(vk, strlen(vk), &v, &d));
    assert_string_equal("key ID does not match the key", d.text);
}

struct bad_case {
    const char *in, *msg;
    int code;
};

static void
test_vkey_errors(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"nopluses", "verifier key is not <name>+<id>+<key>", TL_EPARSE},
        {"a+123+AAAA", "verifier key is not <name>+<id>+<key>", TL_EPARSE},
        {"+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "invalid key name", TL_EPARSE},
        {"a b+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "invalid key name",
         TL_EPARSE},
        {"example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
         "key ID is not 8 lowercase hex digits", TL_EPARSE},
        {"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",
         "key material is not base64 of 33 bytes", TL_EPARSE},
        {"example.com/foo+530d903a+BekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
         "unsupported signature type 0x05", TL_EPARSE},
        {"example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
         "key ID does not match the key", TL_ECRYPTO},
        {"example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
         "unsupported signature type 0x02", TL_EPARSE},
    };
    for (size_t i = 0; i < TL_ARRAY_LEN(cases); i++) {
        struct tl_verifier *v = NULL;
        struct tl_diag d = {0};
        assert_int_equal(cases[i].code,
                         tl_verifier_parse(cases[i].in, strlen(cases[i].in), &v, &d));
        assert_string_equal(cases[i].msg, d.text);
        assert_null(v);
    }
    struct tl_signer *s = NULL;
    struct tl_diag d = {0};
    assert_int_equal(TL_EPARSE, tl_signer_parse("PUBLIC+KEY", 10, &s, &d));
    assert_string_equal("private key does not start with PRIVATE+KEY+", d.text);
    static const char wrong_id[] =
        "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    assert_int_equal(TL_ECRYPTO, tl_signer_parse(wrong_id, strlen(wrong_id), &s, &d));
    assert_string_equal("key ID does not match the key", d.text);
    assert_null(s);
    assert_int_equal(TL_EINVAL, tl_signer_generate("has space", TL_SIG_ED25519, &s));
    assert_int_equal(TL_EINVAL, tl_signer_generate("has+plus", TL_SIG_ED25519, &s));
    assert_int_equal(TL_EINVAL, tl_signer_generate("ok", 2, &s));
}

static void
test_note_errors(void **state)
{
    (void)state;
    struct tl_verifier *v = vkey(SPEC_VKEY);
    const struct tl_verifier *const *vs = (const struct tl_verifier *const *)&v;
    static const char sig[] = "\xE2\x80\x94 example.com/foo "
                              "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3"
                              "mFXmRKuwHjG1Yu72IneyaQM=\n";
    char buf[512];
    static const struct bad_case cases[] = {
        {"text\r\n\n%s", "note is not UTF-8 text without control characters", TL_EPARSE},
        {"text\xff\n\n%s", "note is not UTF-8 text without control characters", TL_EPARSE},
        {"text\n\n%s-", "note does not end with a newline", TL_EPARSE},
        {"text\n%s", "note has no blank line before its signatures", TL_EPARSE},
        {"text\n\n", "note has no signature lines", TL_EPARSE},
        {"text\n\n\n", "note has no signature lines", TL_EPARSE},
        {"text\n\n- example.com/foo AAAA\n", "signature line does not start with \"— \"",
         TL_EPARSE},
        {"text\n\n\xE2\x80\x94 example.com/foo\n", "signature line has no signature", TL_EPARSE},
        {"text\n\n\xE2\x80\x94 a+b AAAAAAAA\n", "invalid key name in signature line", TL_EPARSE},
        {"text\n\n\xE2\x80\x94 example.com/foo AAA*\n", "signature is not valid base64", TL_EPARSE},
        {"text\n\n\xE2\x80\x94 example.com/foo AAAA\n", "signature is shorter than 5 bytes",
         TL_EPARSE},
        {"This is an example message.\n\n%s", NULL, TL_OK},
    };
    for (size_t i = 0; i < TL_ARRAY_LEN(cases); i++) {
        struct tl_note *n = NULL;
        struct tl_diag d = {0};
        const char *at = strstr(cases[i].in, "%s");
        if (at) {
            snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - cases[i].in), cases[i].in, sig,
                     at + 2);
        } else {
            snprintf(buf, sizeof(buf), "%s", cases[i].in);
        }
        int rc = tl_note_open(buf, strlen(buf), vs, 1, &n, &d);
        assert_int_equal(cases[i].code, rc);
        if (cases[i].msg) {
            assert_string_equal(cases[i].msg, d.text);
            assert_null(n);
        }
        tl_note_free(n);
    }
    /* Too many signatures, and too big. */
    size_t big = 200000;
    char *many = malloc(big);
    size_t o = (size_t)snprintf(many, big, "This is an example message.\n\n");
    for (int i = 0; i < 101; i++) {
        o += (size_t)snprintf(many + o, big - o, "%s", sig);
    }
    struct tl_note *n = NULL;
    struct tl_diag d = {0};
    assert_int_equal(TL_EPARSE, tl_note_open(many, o, vs, 1, &n, &d));
    assert_string_equal("note has more than 100 signatures", d.text);
    memset(many, 'a', big);
    assert_int_equal(TL_ETOOBIG, tl_note_open(many, big, vs, 1, &n, &d));
    assert_string_equal("note is larger than 65536 bytes", d.text);
    free(many);
    tl_verifier_free(v);
}

static void
test_cosignature(void **state)
{
    (void)state;
    struct tl_signer *w = NULL;
    uint8_t seed[32] = {7};
    assert_int_equal(TL_OK, tl_signer_from_seed("witness.example/AT", TL_SIG_COSIGN, seed, &w));
    static const char text[] =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    char *line = NULL, *vk = NULL;
    assert_int_equal(TL_OK, tl_note_sign(w, text, strlen(text), 1679315147, &line));
    assert_int_equal(TL_OK, tl_signer_vkey(w, &vk));
    assert_true(strncmp(strchr(strchr(vk, '+') + 1, '+') + 1, "B", 1) == 0); /* type 0x04 */
    /* The payload: key ID (4) || timestamp (8) || signature (64) = 76 bytes. */
    const char *b64 = strrchr(line, ' ') + 1;
    uint8_t blob[128];
    size_t n = 0;
    assert_int_equal(0, sodium_base642bin(blob, sizeof(blob), b64, strlen(b64) - 1, NULL, &n, NULL,
                                          sodium_base64_VARIANT_ORIGINAL));
    assert_int_equal(76, n);
    uint64_t t = 0;
    for (int i = 0; i < 8; i++) {
        t = t << 8 | blob[4 + i];
    }
    assert_int_equal(1679315147, t);
    /* The signature is over "cosignature/v1\ntime 1679315147\n" || text. */
    char msg[512];
    snprintf(msg, sizeof(msg), "cosignature/v1\ntime 1679315147\n%s", text);
    struct tl_verifier *v = vkey(vk);
    assert_int_equal(0, crypto_sign_verify_detached(blob + 12, (const uint8_t *)msg, strlen(msg),
                                                    tl__verifier_pk(v)));
    char note[1024];
    snprintf(note, sizeof(note), "%s\n%s", text, line);
    struct tl_note *nt = NULL;
    assert_int_equal(TL_OK, tl_note_open(note, strlen(note), (const struct tl_verifier *const *)&v,
                                         1, &nt, NULL));
    assert_int_equal(1679315147, tl_note_sig_time(nt, 0));
    tl_note_free(nt);
    tl_verifier_free(v);
    tl_free(line);
    tl_free(vk);
    tl_signer_free(w);
}

static void
test_checkpoint_parse(void **state)
{
    (void)state;
    struct tl_checkpoint cp;
    struct tl_diag d = {0};
    static const char ok[] =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    assert_int_equal(TL_OK, tl_checkpoint_parse(ok, strlen(ok), &cp, &d));
    assert_string_equal("example.com/behind-the-sofa", cp.origin);
    assert_int_equal(20852163, cp.size);
    char *back = NULL;
    assert_int_equal(TL_OK, tl_checkpoint_format(&cp, &back));
    assert_string_equal(ok, back);
    tl_free(back);
    static const char ext[] = "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\n";
    assert_int_equal(TL_OK, tl_checkpoint_parse(ext, strlen(ext), &cp, &d));
    assert_int_equal(1, cp.n_extensions);
    static const struct bad_case cases[] = {
        {"o\n1\n", "checkpoint has 2 lines, needs 3", TL_EPARSE},
        {"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
         "checkpoint does not end with a newline", TL_EPARSE},
        {"\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "empty line in checkpoint",
         TL_EPARSE},
        {"o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
         "tree size is not a decimal number without leading zeros", TL_EPARSE},
        {"o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
         "tree size is not a decimal number without leading zeros", TL_EPARSE},
        {"o\n18446744073709551616\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
         "tree size is not a decimal number without leading zeros", TL_EPARSE},
        {"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n",
         "root hash is not base64 of 32 bytes", TL_EPARSE},
        {"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n", "empty line in checkpoint",
         TL_EPARSE},
        {"o\t\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
         "checkpoint is not UTF-8 text without control characters", TL_EPARSE},
    };
    for (size_t i = 0; i < TL_ARRAY_LEN(cases); i++) {
        struct tl_checkpoint keep = {.size = 99};
        assert_int_equal(cases[i].code,
                         tl_checkpoint_parse(cases[i].in, strlen(cases[i].in), &keep, &d));
        assert_string_equal(cases[i].msg, d.text);
        assert_int_equal(99, keep.size);
    }
}

static void
test_tile_paths(void **state)
{
    (void)state;
    char p[128];
    assert_int_equal(TL_OK, tl_tile_path(0, 1234067, 256, p, sizeof(p)));
    assert_string_equal("tile/0/x001/x234/067", p);
    assert_int_equal(TL_OK, tl_tile_path(2, 1234, 256, p, sizeof(p)));
    assert_string_equal("tile/2/x001/234", p);
    assert_int_equal(TL_OK, tl_tile_path(-1, 5, 17, p, sizeof(p)));
    assert_string_equal("tile/entries/005.p/17", p);
    assert_int_equal(TL_OK, tl_tile_path(63, UINT64_MAX, 1, p, sizeof(p)));
    assert_string_equal("tile/63/x018/x446/x744/x073/x709/x551/615.p/1", p);
    assert_int_equal(TL_EINVAL, tl_tile_path(64, 0, 256, p, sizeof(p)));
    assert_int_equal(TL_EINVAL, tl_tile_path(0, 0, 0, p, sizeof(p)));
    assert_int_equal(TL_ERANGE, tl_tile_path(0, 0, 256, p, 5));
    int lv;
    uint64_t n;
    unsigned w;
    struct tl_diag d = {0};
    assert_int_equal(TL_OK, tl_tile_path_parse("tile/0/x001/x234/067", &lv, &n, &w, &d));
    assert_int_equal(0, lv);
    assert_int_equal(1234067, n);
    assert_int_equal(256, w);
    assert_int_equal(TL_OK, tl_tile_path_parse("tile/entries/005.p/17", &lv, &n, &w, &d));
    assert_int_equal(-1, lv);
    assert_int_equal(5, n);
    assert_int_equal(17, w);
    static const struct bad_case cases[] = {
        {"tiles/0/000", "tile path does not start with tile/", TL_EPARSE},
        {"tile/64/000", "tile level is not a number from 0 to 63", TL_EPARSE},
        {"tile/01/000", "tile level is not a number from 0 to 63", TL_EPARSE},
        {"tile/0/00", "tile index group is not 3 digits", TL_EPARSE},
        {"tile/0/x001", "tile index group is not followed by /", TL_EPARSE},
        {"tile/0/x0a1/001", "tile index group is not 3 digits", TL_EPARSE},
        {"tile/0/x001-234", "tile index group is not followed by /", TL_EPARSE},
        {"tile/0/x000/001", "tile index has a leading zero group", TL_EPARSE},
        {"tile/0/000.p/0", "partial width is not a number from 1 to 255", TL_EPARSE},
        {"tile/0/000.p/256", "partial width is not a number from 1 to 255", TL_EPARSE},
        {"tile/0/000.q/1", "partial width is not a number from 1 to 255", TL_EPARSE},
        {"tile/0/000/", "unexpected text after the tile index", TL_EPARSE},
        {"tile/0/x999/x999/x999/x999/x999/x999/x999/999", "tile index is too large", TL_EPARSE},
    };
    for (size_t i = 0; i < TL_ARRAY_LEN(cases); i++) {
        lv = 99;
        assert_int_equal(cases[i].code, tl_tile_path_parse(cases[i].in, &lv, &n, &w, &d));
        assert_string_equal(cases[i].msg, d.text);
        assert_int_equal(99, lv);
    }
    /* Round trip over many indices. */
    for (uint64_t i = 1; i < UINT64_MAX / 3; i = i * 3 + 1) {
        assert_int_equal(TL_OK, tl_tile_path(5, i, 9, p, sizeof(p)));
        assert_int_equal(TL_OK, tl_tile_path_parse(p, &lv, &n, &w, &d));
        assert_int_equal(i, n);
    }
}

static int
count_entries(void *ud, size_t i, const uint8_t *e, size_t n)
{
    (void)i;
    (void)e;
    *(size_t *)ud += n;
    return TL_OK;
}

static void
test_bundles(void **state)
{
    (void)state;
    static const uint8_t ok[] = {0, 1, 'a', 0, 0, 0, 2, 'b', 'c'};
    size_t total = 0;
    struct tl_diag d = {0};
    assert_int_equal(TL_OK, tl_bundle_parse(ok, sizeof(ok), count_entries, &total, &d));
    assert_int_equal(3, total);
    assert_int_equal(TL_EPARSE, tl_bundle_parse(ok, 8, count_entries, &total, &d));
    assert_string_equal("entry 2: truncated (1 of 2 bytes)", d.text);
    assert_int_equal(TL_EPARSE, tl_bundle_parse(ok, 6, count_entries, &total, &d));
    assert_string_equal("entry 2: truncated length", d.text);
    uint8_t many[2 * 257] = {0};
    assert_int_equal(TL_EPARSE, tl_bundle_parse(many, sizeof(many), NULL, NULL, &d));
    assert_string_equal("entry bundle holds more than 256 entries", d.text);
}

/* ------------------------------------------------------------------------ */
/* Policies and proof files                                                  */
/* ------------------------------------------------------------------------ */

static char *
witness_vkey(const char *name, uint8_t seedbyte, struct tl_signer **out)
{
    uint8_t seed[32];
    memset(seed, seedbyte, sizeof(seed));
    assert_int_equal(TL_OK, tl_signer_from_seed(name, TL_SIG_COSIGN, seed, out));
    char *vk = NULL;
    assert_int_equal(TL_OK, tl_signer_vkey(*out, &vk));
    return vk;
}

static void
test_policy(void **state)
{
    (void)state;
    static const char *const cc[] = {"AT", "IE", "CH", "BR", "IN", "ID"};
    struct tl_signer *ws[6];
    char *vks[6];
    char text[4096];
    size_t o = 0;
    o += (size_t)snprintf(text + o, sizeof(text) - o, "# truceline witnesses\nlog %s\n", GO_VKEY);
    for (int i = 0; i < 6; i++) {
        char name[64];
        snprintf(name, sizeof(name), "witness.%s.example", cc[i]);
        vks[i] = witness_vkey(name, (uint8_t)(i + 1), &ws[i]);
        o += (size_t)snprintf(text + o, sizeof(text) - o, "witness %s %s http://127.0.0.1:1/%s\n",
                              cc[i], vks[i], cc[i]);
    }
    o += (size_t)snprintf(text + o, sizeof(text) - o,
                          "group europe 2 AT IE CH\ngroup world any BR IN ID\n"
                          "group all-of-it all europe world\n  quorum\tall-of-it  \n");
    struct tl_policy *p = NULL;
    struct tl_diag d = {0};
    assert_int_equal(TL_OK, tl_policy_parse(text, o, &p, &d));
    assert_int_equal(1, tl_policy_log_count(p));
    assert_int_equal(6, tl_policy_witness_count(p));
    assert_string_equal("CH", tl_policy_witness_name(p, 2));
    assert_string_equal("http://127.0.0.1:1/CH", tl_policy_witness_url(p, 2));
    bool c[6] = {true, true, false, false, false, false};
    assert_false(tl_policy_quorum_met(p, c));
    c[5] = true;
    assert_true(tl_policy_quorum_met(p, c));
    c[0] = false;
    assert_false(tl_policy_quorum_met(p, c));

    /* A cosigned checkpoint verified against the policy. */
    struct tl_signer *log = NULL;
    assert_int_equal(TL_OK, tl_signer_parse(GO_SKEY, strlen(GO_SKEY), &log, NULL));
    static const char cp_text[] = "PeterNeumann\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    char note[4096], *line = NULL;
    o = (size_t)snprintf(note, sizeof(note), "%s\n", cp_text);
    assert_int_equal(TL_OK, tl_note_sign(log, cp_text, strlen(cp_text), 0, &line));
    o += (size_t)snprintf(note + o, sizeof(note) - o, "%s", line);
    tl_free(line);
    struct tl_checkpoint cp;
    assert_int_equal(TL_ECRYPTO, tl_policy_verify_checkpoint(p, note, o, &cp, &d));
    assert_string_equal("quorum not met: 0 of 6 witnesses cosigned", d.text);
    int who[] = {0, 1, 3};
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(TL_OK,
                         tl_note_sign(ws[who[k]], cp_text, strlen(cp_text), 1700000000, &line));
        o += (size_t)snprintf(note + o, sizeof(note) - o, "%s", line);
        tl_free(line);
    }
    assert_int_equal(TL_OK, tl_policy_verify_checkpoint(p, note, o, &cp, &d));
    assert_int_equal(3, cp.size);
    tl_signer_free(log);
    tl_policy_free(p);

    static const struct bad_case cases[] = {
        {"quorum none\nquorum none\n", "more than one quorum line", TL_EPARSE},
        {"log\nquorum none\n", "expected: log <vkey> [<url>]", TL_EPARSE},
        {"witness X\nquorum none\n", "expected: witness <name> <vkey> [<url>]", TL_EPARSE},
        {"group g any\n", "expected: group <name> all|any|<k> <member>...", TL_EPARSE},
        {"quorum X\n", "quorum \"X\" is not defined above", TL_EPARSE},
        {"frobnicate\n", "unknown keyword \"frobnicate\"", TL_EPARSE},
        {"\n# nothing\n", "policy has no quorum line", TL_EPARSE},
        {"quorum none\x01\n", "control character 0x01", TL_EPARSE},
        {"witness W " GO_VKEY "\nquorum none\n",
         "witness key must be a cosignature key (type 0x04)", TL_EPARSE},
        {"log " GO_VKEY "\nlog " GO_VKEY "\nquorum none\n", "duplicate log key", TL_EPARSE},
        {"log nonsense\nquorum none\n", "verifier key is not <name>+<id>+<key>", TL_EPARSE},
    };
    for (size_t i = 0; i < TL_ARRAY_LEN(cases); i++) {
        p = NULL;
        assert_int_equal(cases[i].code, tl_policy_parse(cases[i].in, strlen(cases[i].in), &p, &d));
        assert_string_equal(cases[i].msg, d.text);
        assert_null(p);
    }
    /* Group rules: members defined above, listed once, 1 <= k <= n. */
    char g[2048];
    snprintf(g, sizeof(g), "witness A %s\nwitness B %s\ngroup g 3 A B\nquorum g\n", vks[0], vks[1]);
    assert_int_equal(TL_EPARSE, tl_policy_parse(g, strlen(g), &p, &d));
    assert_string_equal("threshold must be all, any or a number from 1 to 2", d.text);
    assert_int_equal(3, d.line);
    snprintf(g, sizeof(g), "witness A %s\ngroup g any A C\nquorum g\n", vks[0]);
    assert_int_equal(TL_EPARSE, tl_policy_parse(g, strlen(g), &p, &d));
    assert_string_equal("member \"C\" is not defined above", d.text);
    snprintf(g, sizeof(g), "witness A %s\ngroup g any A\ngroup h any A\nquorum h\n", vks[0]);
    assert_int_equal(TL_EPARSE, tl_policy_parse(g, strlen(g), &p, &d));
    assert_string_equal("member \"A\" is listed twice", d.text);
    snprintf(g, sizeof(g), "witness A %s\nwitness A %s\nquorum A\n", vks[0], vks[1]);
    assert_int_equal(TL_EPARSE, tl_policy_parse(g, strlen(g), &p, &d));
    assert_string_equal("name \"A\" is reserved or already defined", d.text);
    snprintf(g, sizeof(g), "witness A %s\nwitness B %s\nquorum B\n", vks[0], vks[0]);
    assert_int_equal(TL_EPARSE, tl_policy_parse(g, strlen(g), &p, &d));
    assert_string_equal("duplicate witness key", d.text);
    for (int i = 0; i < 6; i++) {
        tl_free(vks[i]);
        tl_signer_free(ws[i]);
    }
}

static void
test_proof_file_parse(void **state)
{
    (void)state;
    struct tl_proof_file pf;
    struct tl_diag d = {0};
    static const char ok[] = "c2sp.org/tlog-proof@v1\nextra YWJj\nindex 7\n"
                             "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\nnote\n";
    assert_int_equal(TL_OK, tl_proof_file_parse(ok, strlen(ok), &pf, &d));
    assert_int_equal(7, pf.index);
    assert_int_equal(1, pf.n_proof);
    assert_true(pf.has_extra);
    assert_string_equal("note\n", pf.checkpoint);
    static const struct bad_case cases[] = {
        {"c2sp.org/tlog-proof@v2\nindex 1\n\nx\n", "first line is not c2sp.org/tlog-proof@v1",
         TL_EPARSE},
        {"c2sp.org/tlog-proof@v1\nindex 01\n\nx\n",
         "expected \"index <decimal>\" without leading zeros", TL_EPARSE},
        {"c2sp.org/tlog-proof@v1\nextra !!!!\nindex 1\n\nx\n", "extra data is not base64",
         TL_EPARSE},
        {"c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\nx\n", "proof line is not base64 of 32 bytes",
         TL_EPARSE},
        {"c2sp.org/tlog-proof@v1\nindex 1\n\n", "proof has no checkpoint", TL_EPARSE},
        {"c2sp.org/tlog-proof@v1\nindex 1\n", "proof has no blank line before the checkpoint",
         TL_EPARSE},
        {"c2sp.org/tlog-proof@v1\n", "proof has no index line", TL_EPARSE},
        {"c2sp.org/tlog-proof@v1", "line does not end with a newline", TL_EPARSE},
    };
    for (size_t i = 0; i < TL_ARRAY_LEN(cases); i++) {
        assert_int_equal(cases[i].code,
                         tl_proof_file_parse(cases[i].in, strlen(cases[i].in), &pf, &d));
        assert_string_equal(cases[i].msg, d.text);
    }
}

static void
test_hash_parse(void **state)
{
    (void)state;
    uint8_t h[32];
    struct tl_diag d = {0};
    assert_int_equal(TL_EPARSE, tl_tlog_hash_parse("", 0, h, &d));
    assert_string_equal("a hash is 44 base64 characters, not 0", d.text);
    assert_int_equal(TL_EPARSE,
                     tl_tlog_hash_parse("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I*", 44, h, &d));
    assert_string_equal("invalid base64", d.text);
    char out[45];
    assert_int_equal(TL_OK,
                     tl_tlog_hash_parse("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", 44, h, &d));
    tl_tlog_hash_format(h, out);
    assert_string_equal("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merkle_vectors),   cmocka_unit_test(test_eight_leaf_roots),
        cmocka_unit_test(test_generated_proofs), cmocka_unit_test(test_verify_messages),
        cmocka_unit_test(test_go_note_example),  cmocka_unit_test(test_spec_note_example),
        cmocka_unit_test(test_rfc8032),          cmocka_unit_test(test_weak_keys),
        cmocka_unit_test(test_vkey_errors),      cmocka_unit_test(test_note_errors),
        cmocka_unit_test(test_cosignature),      cmocka_unit_test(test_checkpoint_parse),
        cmocka_unit_test(test_tile_paths),       cmocka_unit_test(test_bundles),
        cmocka_unit_test(test_policy),           cmocka_unit_test(test_proof_file_parse),
        cmocka_unit_test(test_hash_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
