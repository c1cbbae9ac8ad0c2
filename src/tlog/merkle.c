/*
 * merkle.c - RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their checks.
 *
 * The tree hash of n entries splits at the largest power of two strictly
 * smaller than n, so a tree is always a perfect left subtree plus a smaller
 * right part.  Leaves are SHA-256(0x00 || entry), nodes SHA-256(0x01 || l || r),
 * the empty tree SHA-256("").
 *
 * Proof generation follows the recursive definitions of RFC 9162 2.1.3.1 and
 * 2.1.4.1 literally, against a callback that returns the hash of a perfect,
 * aligned subtree: every range the recursion visits starts on a multiple of a
 * power of two at least as large as the range, so each range is a perfect left
 * part plus a recursively smaller right part, and a proof costs O(log^2 n)
 * callback calls at most (the tiled store answers each from one tile).
 *
 * Verification follows the iterative algorithms of RFC 9162 2.1.3.2 and
 * 2.1.4.2, which the test vectors of transparency-dev/merkle exercise,
 * including all the malformed proofs that must be rejected.  Comparisons of
 * roots use sodium_memcmp (constant time).
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "tlog_priv.h"

/* ------------------------------------------------------------------------ */
/* Hashing                                                                   */
/* ------------------------------------------------------------------------ */

void
tl_tlog_leaf_hash(const void *entry, size_t len, uint8_t out[TL_HASH_SIZE])
{
    static const uint8_t zero = 0x00;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &zero, 1);
    if (len > 0) {
        crypto_hash_sha256_update(&st, entry, len);
    }
    crypto_hash_sha256_final(&st, out);
}

void
tl_sha256(const void *data, size_t len, uint8_t out[TL_HASH_SIZE])
{
    crypto_hash_sha256(out, data, len);
}

void
tl_tlog_node_hash(const uint8_t left[TL_HASH_SIZE],
                  const uint8_t right[TL_HASH_SIZE],
                  uint8_t out[TL_HASH_SIZE])
{
    uint8_t buf[1 + 2 * TL_HASH_SIZE];
    buf[0] = 0x01;
    memcpy(buf + 1, left, TL_HASH_SIZE);
    memcpy(buf + 1 + TL_HASH_SIZE, right, TL_HASH_SIZE);
    crypto_hash_sha256(out, buf, sizeof(buf));
}

void
tl__merkle_perfect(const uint8_t (*h)[TL_HASH_SIZE], size_t n, uint8_t out[TL_HASH_SIZE])
{
    /* Hash pairwise level by level in a small scratch array (n <= 256 in practice). */
    uint8_t level[128][TL_HASH_SIZE];
    if (n == 1) {
        memcpy(out, h[0], TL_HASH_SIZE);
        return;
    }
    if (n > 256) {
        uint8_t l[TL_HASH_SIZE], r[TL_HASH_SIZE];
        tl__merkle_perfect(h, n / 2, l);
        tl__merkle_perfect(h + n / 2, n / 2, r);
        tl_tlog_node_hash(l, r, out);
        return;
    }
    size_t m = n / 2;
    for (size_t i = 0; i < m; i++) {
        tl_tlog_node_hash(h[2 * i], h[2 * i + 1], level[i]);
    }
    while (m > 1) {
        for (size_t i = 0; i < m / 2; i++) {
            tl_tlog_node_hash(level[2 * i], level[2 * i + 1], level[i]);
        }
        m /= 2;
    }
    memcpy(out, level[0], TL_HASH_SIZE);
}

void
tl_tlog_root_from_leaves(const uint8_t (*leaves)[TL_HASH_SIZE],
                         uint64_t n,
                         uint8_t out[TL_HASH_SIZE])
{
    /*
     * The frontier: one perfect subtree root per set bit of the count so far,
     * merged like a binary counter, then folded from the right.
     */
    uint8_t stack[65][TL_HASH_SIZE];
    unsigned height[65];
    size_t top = 0;
    if (n == 0) {
        crypto_hash_sha256(out, NULL, 0);
        return;
    }
    for (uint64_t i = 0; i < n; i++) {
        memcpy(stack[top], leaves[i], TL_HASH_SIZE);
        height[top++] = 0;
        while (top >= 2 && height[top - 1] == height[top - 2]) {
            tl_tlog_node_hash(stack[top - 2], stack[top - 1], stack[top - 2]);
            height[top - 2]++;
            top--;
        }
    }
    tl__merkle_fold((const uint8_t(*)[TL_HASH_SIZE])stack, top, out);
}

void
tl__merkle_fold(const uint8_t (*parts)[TL_HASH_SIZE], size_t n, uint8_t out[TL_HASH_SIZE])
{
    uint8_t r[TL_HASH_SIZE];
    memcpy(r, parts[n - 1], TL_HASH_SIZE);
    for (size_t i = n - 1; i-- > 0;) {
        tl_tlog_node_hash(parts[i], r, r);
    }
    memcpy(out, r, TL_HASH_SIZE);
}

/* ------------------------------------------------------------------------ */
/* Proof generation                                                          */
/* ------------------------------------------------------------------------ */

/* Largest power of two strictly smaller than n (n >= 2). */
static uint64_t
split_point(uint64_t n)
{
    uint64_t k = 1;
    while (k < n - k) {
        k <<= 1;
    }
    return k;
}

static bool
is_pow2(uint64_t n)
{
    return n != 0 && (n & (n - 1)) == 0;
}

static unsigned
log2_u64(uint64_t n)
{
    unsigned h = 0;
    while (n > 1) {
        n >>= 1;
        h++;
    }
    return h;
}

int
tl__merkle_range(tl__subtree_fn fn, void *ud, uint64_t lo, uint64_t hi, uint8_t out[TL_HASH_SIZE])
{
    uint64_t n = hi - lo;
    if (n == 0) {
        crypto_hash_sha256(out, NULL, 0);
        return TL_OK;
    }
    if (is_pow2(n) && lo % n == 0) {
        return fn(ud, log2_u64(n), lo / n, out);
    }
    uint64_t k = split_point(n);
    uint8_t l[TL_HASH_SIZE], r[TL_HASH_SIZE];
    int rc = fn(ud, log2_u64(k), lo / k, l);
    if (rc == TL_OK) {
        rc = tl__merkle_range(fn, ud, lo + k, hi, r);
    }
    if (rc == TL_OK) {
        tl_tlog_node_hash(l, r, out);
    }
    return rc;
}

static int
push(tl__subtree_fn fn,
     void *ud,
     uint64_t lo,
     uint64_t hi,
     uint8_t (*proof)[TL_HASH_SIZE],
     size_t *n)
{
    if (*n >= TL_TLOG_PROOF_MAX) {
        return TL_ERANGE;
    }
    int rc = tl__merkle_range(fn, ud, lo, hi, proof[*n]);
    if (rc == TL_OK) {
        (*n)++;
    }
    return rc;
}

static int
path(tl__subtree_fn fn,
     void *ud,
     uint64_t m,
     uint64_t lo,
     uint64_t hi,
     uint8_t (*proof)[TL_HASH_SIZE],
     size_t *n)
{
    if (hi - lo <= 1) {
        return TL_OK;
    }
    uint64_t k = split_point(hi - lo);
    int rc;
    if (m < lo + k) {
        rc = path(fn, ud, m, lo, lo + k, proof, n);
        return rc == TL_OK ? push(fn, ud, lo + k, hi, proof, n) : rc;
    }
    rc = path(fn, ud, m, lo + k, hi, proof, n);
    return rc == TL_OK ? push(fn, ud, lo, lo + k, proof, n) : rc;
}

int
tl__merkle_inclusion(tl__subtree_fn fn,
                     void *ud,
                     uint64_t index,
                     uint64_t size,
                     uint8_t (*proof)[TL_HASH_SIZE],
                     size_t *n)
{
    if (index >= size) {
        return TL_ERANGE;
    }
    size_t cnt = 0;
    int rc = path(fn, ud, index, 0, size, proof, &cnt);
    if (rc == TL_OK) {
        *n = cnt;
    }
    return rc;
}

/* SUBPROOF(m, D[lo:hi], b) of RFC 9162 2.1.4.1, with m counted from lo. */
static int
subproof(tl__subtree_fn fn,
         void *ud,
         uint64_t m,
         uint64_t lo,
         uint64_t hi,
         bool b,
         uint8_t (*proof)[TL_HASH_SIZE],
         size_t *n)
{
    uint64_t len = hi - lo;
    if (m == len) {
        return b ? TL_OK : push(fn, ud, lo, hi, proof, n);
    }
    uint64_t k = split_point(len);
    int rc;
    if (m <= k) {
        rc = subproof(fn, ud, m, lo, lo + k, b, proof, n);
        return rc == TL_OK ? push(fn, ud, lo + k, hi, proof, n) : rc;
    }
    rc = subproof(fn, ud, m - k, lo + k, hi, false, proof, n);
    return rc == TL_OK ? push(fn, ud, lo, lo + k, proof, n) : rc;
}

int
tl__merkle_consistency(tl__subtree_fn fn,
                       void *ud,
                       uint64_t size1,
                       uint64_t size2,
                       uint8_t (*proof)[TL_HASH_SIZE],
                       size_t *n)
{
    if (size1 == 0 || size1 > size2) {
        return TL_ERANGE;
    }
    size_t cnt = 0;
    int rc = size1 == size2 ? TL_OK : subproof(fn, ud, size1, 0, size2, true, proof, &cnt);
    if (rc == TL_OK) {
        *n = cnt;
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Verification (RFC 9162 2.1.3.2 and 2.1.4.2)                               */
/* ------------------------------------------------------------------------ */

int
tl_tlog_verify_inclusion(const uint8_t leaf[TL_HASH_SIZE],
                         uint64_t index,
                         uint64_t size,
                         const uint8_t (*proof)[TL_HASH_SIZE],
                         size_t n,
                         const uint8_t root[TL_HASH_SIZE],
                         struct tl_diag *diag)
{
    if (index >= size) {
        return tl__diag(diag, TL_ERANGE, "index",
                        "index %" PRIu64 " is not below tree size %" PRIu64, index, size);
    }
    if (n > TL_TLOG_PROOF_MAX) {
        return tl__diag(diag, TL_ERANGE, "proof", "proof has %zu hashes, more than 64", n);
    }
    uint64_t fn = index, sn = size - 1;
    uint8_t r[TL_HASH_SIZE];
    memcpy(r, leaf, TL_HASH_SIZE);
    for (size_t i = 0; i < n; i++) {
        if (sn == 0) {
            return tl__diag(diag, TL_ECRYPTO, "proof", "proof is too long (%zu hashes)", n);
        }
        if ((fn & 1) || fn == sn) {
            tl_tlog_node_hash(proof[i], r, r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            tl_tlog_node_hash(r, proof[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) {
        return tl__diag(diag, TL_ECRYPTO, "proof", "proof is too short (%zu hashes)", n);
    }
    if (sodium_memcmp(r, root, TL_HASH_SIZE) != 0) {
        return tl__diag(diag, TL_ECRYPTO, "proof", "computed root does not match the tree root");
    }
    return TL_OK;
}

int
tl_tlog_verify_consistency(uint64_t size1,
                           uint64_t size2,
                           const uint8_t root1[TL_HASH_SIZE],
                           const uint8_t root2[TL_HASH_SIZE],
                           const uint8_t (*proof)[TL_HASH_SIZE],
                           size_t n,
                           struct tl_diag *diag)
{
    if (size1 == 0) {
        return tl__diag(diag, TL_ERANGE, "size1",
                        "consistency proof from the empty tree is meaningless");
    }
    if (size1 > size2) {
        return tl__diag(diag, TL_ERANGE, "size1",
                        "old size %" PRIu64 " is larger than new size %" PRIu64, size1, size2);
    }
    if (n > TL_TLOG_PROOF_MAX) {
        return tl__diag(diag, TL_ERANGE, "proof", "proof has %zu hashes, more than 64", n);
    }
    if (size1 == size2) {
        if (n != 0) {
            return tl__diag(diag, TL_ECRYPTO, "proof",
                            "sizes are equal but the proof is not empty");
        }
        if (sodium_memcmp(root1, root2, TL_HASH_SIZE) != 0) {
            return tl__diag(diag, TL_ECRYPTO, "root2", "sizes are equal but the roots differ");
        }
        return TL_OK;
    }
    if (n == 0) {
        return tl__diag(diag, TL_ECRYPTO, "proof", "proof is empty");
    }
    /* When size1 is a power of two the old root is the first node of the path. */
    size_t start = 0;
    const uint8_t *first = proof[0];
    if (is_pow2(size1)) {
        first = root1;
    } else {
        start = 1;
    }
    uint64_t fn = size1 - 1, sn = size2 - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    uint8_t fr[TL_HASH_SIZE], sr[TL_HASH_SIZE];
    memcpy(fr, first, TL_HASH_SIZE);
    memcpy(sr, first, TL_HASH_SIZE);
    for (size_t i = start; i < n; i++) {
        if (sn == 0) {
            return tl__diag(diag, TL_ECRYPTO, "proof", "proof is too long (%zu hashes)", n);
        }
        if ((fn & 1) || fn == sn) {
            tl_tlog_node_hash(proof[i], fr, fr);
            tl_tlog_node_hash(proof[i], sr, sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            tl_tlog_node_hash(sr, proof[i], sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) {
        return tl__diag(diag, TL_ECRYPTO, "proof", "proof is too short (%zu hashes)", n);
    }
    if (sodium_memcmp(fr, root1, TL_HASH_SIZE) != 0) {
        return tl__diag(diag, TL_ECRYPTO, "root1", "proof does not lead to the old root");
    }
    if (sodium_memcmp(sr, root2, TL_HASH_SIZE) != 0) {
        return tl__diag(diag, TL_ECRYPTO, "root2", "proof does not lead to the new root");
    }
    return TL_OK;
}

/* ------------------------------------------------------------------------ */
/* Base64 and small parsing helpers shared by the module                     */
/* ------------------------------------------------------------------------ */

size_t
tl__b64_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

void
tl__b64_encode(const uint8_t *in, size_t n, char *out)
{
    sodium_bin2base64(out, tl__b64_len(n) + 1, in, n, sodium_base64_VARIANT_ORIGINAL);
}

int
tl__b64_decode(const char *in, size_t len, uint8_t *out, size_t max, size_t *n_out)
{
    size_t n = 0;
    const char *end = NULL;
    if (len == 0 || len % 4 != 0) {
        return -1;
    }
    if (sodium_base642bin(out, max, in, len, NULL, &n, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != in + len) {
        return -1;
    }
    *n_out = n;
    return 0;
}

int
tl_tlog_hash_parse(const char *text, size_t len, uint8_t out[TL_HASH_SIZE], struct tl_diag *diag)
{
    uint8_t buf[TL_HASH_SIZE];
    size_t n = 0;
    if (len != 44) {
        return tl__diag(diag, TL_EPARSE, "hash", "a hash is 44 base64 characters, not %zu", len);
    }
    if (tl__b64_decode(text, len, buf, sizeof(buf), &n) != 0 || n != TL_HASH_SIZE) {
        return tl__diag(diag, TL_EPARSE, "hash", "invalid base64");
    }
    memcpy(out, buf, TL_HASH_SIZE);
    return TL_OK;
}

void
tl_tlog_hash_format(const uint8_t hash[TL_HASH_SIZE], char out[45])
{
    tl__b64_encode(hash, TL_HASH_SIZE, out);
}

bool
tl__parse_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > 20 || (len > 1 && s[0] == '0')) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

int
tl__buf_add(struct tl__buf *b, const void *data, size_t n, size_t max)
{
    if (b->len + n + 1 > max + 1) {
        return TL_ETOOBIG;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        char *p = tl_realloc(b->p, cap);
        if (!p) {
            return TL_ENOMEM;
        }
        b->p = p;
        b->cap = cap;
    }
    if (n > 0) {
        memcpy(b->p + b->len, data, n);
    }
    b->len += n;
    b->p[b->len] = '\0';
    return TL_OK;
}

int
tl__buf_printf(struct tl__buf *b, size_t max, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        return TL_ETOOBIG;
    }
    return tl__buf_add(b, tmp, (size_t)n, max);
}

void
tl__buf_free(struct tl__buf *b)
{
    tl_free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
