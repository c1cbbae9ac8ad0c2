/*
 * note.c - keys, signed notes (c2sp.org/signed-note) and checkpoints
 * (c2sp.org/tlog-checkpoint), with Ed25519 from libsodium.
 *
 * A signed note is a text ending in a newline, a blank line, and signature
 * lines "— <name> <base64(key ID || signature)>".  The key ID is the first four
 * bytes of SHA-256(name || '\n' || type || public key), so a (name, ID) pair
 * names one key of one signature type.  Verifiers ignore signatures by keys they
 * do not know, must verify those they know, and reject the note when a known
 * key's signature fails or when no known signature verifies.
 *
 * Two signature types are made and checked here: 0x01, plain Ed25519 over the
 * note text (the log's own signature), and 0x04, the timestamped witness
 * cosignature of c2sp.org/tlog-cosignature, whose signed message is
 * "cosignature/v1\ntime <t>\n" followed by the note text and whose payload is
 * the 8-byte big-endian timestamp then the 64-byte signature.
 *
 * Public keys are checked with crypto_core_ed25519_is_valid_point, which
 * rejects small-order and non-canonical encodings: with such a key a forged
 * signature can verify under lenient verifiers (Go accepts small-order keys),
 * so we refuse to configure one at all.  Every parser here is total: malformed
 * input gives TL_EPARSE and a message naming what is wrong.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "tlog_priv.h"

#define EMDASH     "\xE2\x80\x94"
#define SIG_PREFIX EMDASH " "

struct tl_signer {
    char name[TL_TLOG_NAME_MAX + 1];
    int type;
    uint32_t id;
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES]; /* seed || pk, wiped on free */
};

struct tl_verifier {
    char name[TL_TLOG_NAME_MAX + 1];
    int type;
    uint32_t id;
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
};

struct note_sig {
    size_t off, len; /* the line inside the note copy, with its newline */
    int verifier;
    uint64_t time_s;
};

struct tl_note {
    char *buf; /* a copy of the whole note */
    size_t text_len;
    size_t n_sigs;
    struct note_sig sigs[];
};

static int
sodium_ready(void)
{
    return sodium_init() < 0 ? TL_ECRYPTO : TL_OK;
}

/* ------------------------------------------------------------------------ */
/* Text checks                                                               */
/* ------------------------------------------------------------------------ */

/* Length of the UTF-8 sequence at s (0 when invalid), and its code point. */
static size_t
utf8_seq(const unsigned char *s, size_t avail, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        v = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        v = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        v = c & 0x07u;
    } else {
        return 0;
    }
    if (avail < n) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
        (v >= 0xD800 && v <= 0xDFFF)) {
        return 0;
    }
    *cp = v;
    return n;
}

static bool
is_unicode_space(uint32_t cp)
{
    return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

bool
tl__note_text_ok(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_seq(u + i, len - i, &cp);
        if (n == 0 || (cp < 0x20 && cp != '\n') || cp == 0x7F) {
            return false;
        }
        i += n;
    }
    return true;
}

bool
tl__note_name_ok(const char *name, size_t len)
{
    const unsigned char *u = (const unsigned char *)name;
    if (len == 0 || len > TL_TLOG_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_seq(u + i, len - i, &cp);
        if (n == 0 || cp < 0x20 || cp == 0x7F || cp == '+' || is_unicode_space(cp)) {
            return false;
        }
        i += n;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Keys                                                                      */
/* ------------------------------------------------------------------------ */

static uint32_t
key_id(const char *name, int type, const uint8_t pk[32])
{
    uint8_t h[crypto_hash_sha256_BYTES];
    uint8_t t = (uint8_t)type;
    static const uint8_t nl = '\n';
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
    crypto_hash_sha256_update(&st, &nl, 1);
    crypto_hash_sha256_update(&st, &t, 1);
    crypto_hash_sha256_update(&st, pk, 32);
    crypto_hash_sha256_final(&st, h);
    return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

int
tl_signer_from_seed(const char *name, int type, const uint8_t seed[32], struct tl_signer **out)
{
    if (!name || !out || !tl__note_name_ok(name, strlen(name)) ||
        (type != TL_SIG_ED25519 && type != TL_SIG_COSIGN)) {
        return TL_EINVAL;
    }
    if (sodium_ready() != TL_OK) {
        return TL_ECRYPTO;
    }
    struct tl_signer *s = tl_calloc(1, sizeof(*s));
    if (!s) {
        return TL_ENOMEM;
    }
    memcpy(s->name, name, strlen(name) + 1);
    s->type = type;
    crypto_sign_seed_keypair(s->pk, s->sk, seed);
    s->id = key_id(s->name, type, s->pk);
    *out = s;
    return TL_OK;
}

int
tl_signer_generate(const char *name, int type, struct tl_signer **out)
{
    uint8_t seed[32];
    if (sodium_ready() != TL_OK) {
        return TL_ECRYPTO;
    }
    randombytes_buf(seed, sizeof(seed));
    int rc = tl_signer_from_seed(name, type, seed, out);
    sodium_memzero(seed, sizeof(seed));
    return rc;
}

static int
parse_hex32(const char *s, size_t len, uint32_t *out)
{
    uint32_t v = 0;
    if (len != 8) {
        return -1;
    }
    for (size_t i = 0; i < 8; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9') {
            d = (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            d = (unsigned)(c - 'a' + 10);
        } else {
            return -1;
        }
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* Split "name+hex+base64" (the first two '+'); lengths of the three parts. */
static int
split_key(const char *s, size_t len, size_t *name_len, size_t *b64_off)
{
    const char *p1 = memchr(s, '+', len);
    if (!p1) {
        return -1;
    }
    const char *p2 = memchr(p1 + 1, '+', len - (size_t)(p1 + 1 - s));
    if (!p2 || p2 - p1 != 9) {
        return -1;
    }
    *name_len = (size_t)(p1 - s);
    *b64_off = (size_t)(p2 + 1 - s);
    return 0;
}

static size_t
trim_newline(const char *s, size_t len)
{
    while (len > 0 && (s[len - 1] == '\n')) {
        len--;
    }
    return len;
}

int
tl_signer_parse(const char *text, size_t len, struct tl_signer **out, struct tl_diag *diag)
{
    static const char prefix[] = "PRIVATE+KEY+";
    size_t name_len, b64_off, n = 0;
    uint32_t id;
    uint8_t raw[33];
    char name[TL_TLOG_NAME_MAX + 1];
    len = trim_newline(text, len);
    if (len < sizeof(prefix) - 1 || memcmp(text, prefix, sizeof(prefix) - 1) != 0) {
        return tl__diag(diag, TL_EPARSE, "key", "private key does not start with PRIVATE+KEY+");
    }
    text += sizeof(prefix) - 1;
    len -= sizeof(prefix) - 1;
    if (split_key(text, len, &name_len, &b64_off) != 0) {
        return tl__diag(diag, TL_EPARSE, "key", "private key is not PRIVATE+KEY+<name>+<id>+<key>");
    }
    if (!tl__note_name_ok(text, name_len)) {
        return tl__diag(diag, TL_EPARSE, "key", "invalid key name");
    }
    if (parse_hex32(text + name_len + 1, 8, &id) != 0) {
        return tl__diag(diag, TL_EPARSE, "key", "key ID is not 8 lowercase hex digits");
    }
    if (tl__b64_decode(text + b64_off, len - b64_off, raw, sizeof(raw), &n) != 0 || n != 33) {
        sodium_memzero(raw, sizeof(raw));
        return tl__diag(diag, TL_EPARSE, "key", "key material is not base64 of 33 bytes");
    }
    memcpy(name, text, name_len);
    name[name_len] = '\0';
    struct tl_signer *s = NULL;
    int type = raw[0];
    int rc = tl_signer_from_seed(name, type, raw + 1, &s);
    sodium_memzero(raw, sizeof(raw));
    if (rc == TL_EINVAL) {
        return tl__diag(diag, TL_EPARSE, "key", "unsupported signature type 0x%02x",
                        (unsigned)type);
    }
    if (rc != TL_OK) {
        return rc;
    }
    if (s->id != id) {
        tl_signer_free(s);
        return tl__diag(diag, TL_ECRYPTO, "key", "key ID does not match the key");
    }
    *out = s;
    return TL_OK;
}

static int
format_key(const char *prefix,
           const char *name,
           uint32_t id,
           int type,
           const uint8_t *key,
           char **out)
{
    uint8_t raw[33];
    char b64[64];
    raw[0] = (uint8_t)type;
    memcpy(raw + 1, key, 32);
    tl__b64_encode(raw, sizeof(raw), b64);
    sodium_memzero(raw, sizeof(raw));
    size_t n = strlen(prefix) + strlen(name) + 1 + 8 + 1 + strlen(b64) + 1;
    char *s = tl_malloc(n);
    if (!s) {
        sodium_memzero(b64, sizeof(b64));
        return TL_ENOMEM;
    }
    snprintf(s, n, "%s%s+%08" PRIx32 "+%s", prefix, name, id, b64);
    sodium_memzero(b64, sizeof(b64));
    *out = s;
    return TL_OK;
}

int
tl_signer_format(const struct tl_signer *s, char **out)
{
    return format_key("PRIVATE+KEY+", s->name, s->id, s->type, s->sk, out);
}

int
tl_signer_vkey(const struct tl_signer *s, char **out)
{
    return format_key("", s->name, s->id, s->type, s->pk, out);
}

const char *
tl_signer_name(const struct tl_signer *s)
{
    return s->name;
}

void
tl_signer_free(struct tl_signer *s)
{
    if (s) {
        sodium_memzero(s, sizeof(*s));
        tl_free(s);
    }
}

int
tl_verifier_parse(const char *vkey, size_t len, struct tl_verifier **out, struct tl_diag *diag)
{
    size_t name_len, b64_off, n = 0;
    uint32_t id;
    uint8_t raw[33];
    if (sodium_ready() != TL_OK) {
        return TL_ECRYPTO;
    }
    len = trim_newline(vkey, len);
    if (split_key(vkey, len, &name_len, &b64_off) != 0) {
        return tl__diag(diag, TL_EPARSE, "vkey", "verifier key is not <name>+<id>+<key>");
    }
    if (!tl__note_name_ok(vkey, name_len)) {
        return tl__diag(diag, TL_EPARSE, "vkey", "invalid key name");
    }
    if (parse_hex32(vkey + name_len + 1, 8, &id) != 0) {
        return tl__diag(diag, TL_EPARSE, "vkey", "key ID is not 8 lowercase hex digits");
    }
    if (tl__b64_decode(vkey + b64_off, len - b64_off, raw, sizeof(raw), &n) != 0 || n != 33) {
        return tl__diag(diag, TL_EPARSE, "vkey", "key material is not base64 of 33 bytes");
    }
    if (raw[0] != TL_SIG_ED25519 && raw[0] != TL_SIG_COSIGN) {
        return tl__diag(diag, TL_EPARSE, "vkey", "unsupported signature type 0x%02x", raw[0]);
    }
    if (!crypto_core_ed25519_is_valid_point(raw + 1)) {
        return tl__diag(diag, TL_ECRYPTO, "vkey",
                        "public key is not a canonical point of prime order (weak key)");
    }
    struct tl_verifier *v = tl_calloc(1, sizeof(*v));
    if (!v) {
        return TL_ENOMEM;
    }
    memcpy(v->name, vkey, name_len);
    v->name[name_len] = '\0';
    v->type = raw[0];
    memcpy(v->pk, raw + 1, 32);
    v->id = key_id(v->name, v->type, v->pk);
    if (v->id != id) {
        tl_free(v);
        return tl__diag(diag, TL_ECRYPTO, "vkey", "key ID does not match the key");
    }
    *out = v;
    return TL_OK;
}

const char *
tl_verifier_name(const struct tl_verifier *v)
{
    return v->name;
}

uint32_t
tl_verifier_key_id(const struct tl_verifier *v)
{
    return v->id;
}

int
tl_verifier_type(const struct tl_verifier *v)
{
    return v->type;
}

const uint8_t *
tl__verifier_pk(const struct tl_verifier *v)
{
    return v->pk;
}

int
tl_verifier_format(const struct tl_verifier *v, char **out)
{
    return format_key("", v->name, v->id, v->type, v->pk, out);
}

void
tl_verifier_free(struct tl_verifier *v)
{
    tl_free(v);
}

/* ------------------------------------------------------------------------ */
/* Signing                                                                   */
/* ------------------------------------------------------------------------ */

/* "cosignature/v1\ntime <t>\n" into buf; returns its length. */
static size_t
cosign_header(uint64_t time_s, char *buf, size_t size)
{
    int n = snprintf(buf, size, "cosignature/v1\ntime %" PRIu64 "\n", time_s);
    return n > 0 ? (size_t)n : 0;
}

int
tl_note_sign(const struct tl_signer *s,
             const char *text,
             size_t len,
             uint64_t time_s,
             char **line_out)
{
    uint8_t blob[4 + 8 + crypto_sign_BYTES];
    size_t blob_len = 0;
    if (!s || !text || len == 0 || text[len - 1] != '\n' || !line_out ||
        time_s > (uint64_t)INT64_MAX) {
        return TL_EINVAL;
    }
    blob[0] = (uint8_t)(s->id >> 24);
    blob[1] = (uint8_t)(s->id >> 16);
    blob[2] = (uint8_t)(s->id >> 8);
    blob[3] = (uint8_t)s->id;
    if (s->type == TL_SIG_ED25519) {
        crypto_sign_detached(blob + 4, NULL, (const uint8_t *)text, len, s->sk);
        blob_len = 4 + crypto_sign_BYTES;
    } else {
        char hdr[64];
        size_t hl = cosign_header(time_s, hdr, sizeof(hdr));
        uint8_t *msg = tl_malloc(hl + len);
        if (!msg) {
            return TL_ENOMEM;
        }
        memcpy(msg, hdr, hl);
        memcpy(msg + hl, text, len);
        for (int i = 0; i < 8; i++) {
            blob[4 + i] = (uint8_t)(time_s >> (56 - 8 * i));
        }
        crypto_sign_detached(blob + 12, NULL, msg, hl + len, s->sk);
        tl_free(msg);
        blob_len = 12 + crypto_sign_BYTES;
    }
    size_t name_len = strlen(s->name);
    size_t n = 4 + name_len + 1 + tl__b64_len(blob_len) + 2;
    char *line = tl_malloc(n);
    if (!line) {
        return TL_ENOMEM;
    }
    memcpy(line, SIG_PREFIX, 4);
    memcpy(line + 4, s->name, name_len);
    line[4 + name_len] = ' ';
    tl__b64_encode(blob, blob_len, line + 5 + name_len);
    size_t l = strlen(line);
    line[l] = '\n';
    line[l + 1] = '\0';
    *line_out = line;
    return TL_OK;
}

/* ------------------------------------------------------------------------ */
/* Opening notes                                                             */
/* ------------------------------------------------------------------------ */

/* 1 when the signature verifies, 0 when it does not, TL_ENOMEM. */
static int
verify_sig(const struct tl_verifier *v,
           const char *text,
           size_t text_len,
           const uint8_t *blob,
           size_t blob_len,
           uint64_t *time_s)
{
    if (v->type == TL_SIG_ED25519) {
        return blob_len == 4 + crypto_sign_BYTES &&
               crypto_sign_verify_detached(blob + 4, (const uint8_t *)text, text_len, v->pk) == 0;
    }
    if (blob_len != 12 + crypto_sign_BYTES) {
        return 0;
    }
    uint64_t t = 0;
    for (int i = 0; i < 8; i++) {
        t = t << 8 | blob[4 + i];
    }
    if (t > (uint64_t)INT64_MAX) {
        return 0;
    }
    /* Checkpoints are small: sign them from the stack, larger texts from the heap. */
    uint8_t small[1024];
    char hdr[64];
    size_t hl = cosign_header(t, hdr, sizeof(hdr));
    uint8_t *msg = hl + text_len <= sizeof(small) ? small : tl_malloc(hl + text_len);
    if (!msg) {
        return TL_ENOMEM;
    }
    memcpy(msg, hdr, hl);
    memcpy(msg + hl, text, text_len);
    int ok = crypto_sign_verify_detached(blob + 12, msg, hl + text_len, v->pk) == 0;
    if (msg != small) {
        tl_free(msg);
    }
    if (ok) {
        *time_s = t;
    }
    return ok;
}

/* Find the last "\n\n" in s[0..len); returns its offset or -1. */
static long
last_blank(const char *s, size_t len)
{
    for (size_t i = len; i-- > 1;) {
        if (s[i] == '\n' && s[i - 1] == '\n') {
            return (long)(i - 1);
        }
    }
    return -1;
}

int
tl_note_open(const char *note,
             size_t len,
             const struct tl_verifier *const *vs,
             size_t nv,
             struct tl_note **out,
             struct tl_diag *diag)
{
    if (!note || !out) {
        return TL_EINVAL;
    }
    if (len > TL_NOTE_MAX) {
        return tl__diag(diag, TL_ETOOBIG, "note", "note is larger than %d bytes", TL_NOTE_MAX);
    }
    if (!tl__note_text_ok(note, len)) {
        return tl__diag(diag, TL_EPARSE, "note",
                        "note is not UTF-8 text without control characters");
    }
    if (len == 0 || note[len - 1] != '\n') {
        return tl__diag(diag, TL_EPARSE, "note", "note does not end with a newline");
    }
    long sep = last_blank(note, len);
    if (sep < 0) {
        return tl__diag(diag, TL_EPARSE, "note", "note has no blank line before its signatures");
    }
    size_t text_len = (size_t)sep + 1;
    size_t pos = text_len + 1, n_sigs = 0;
    for (size_t i = pos; i < len; i++) {
        n_sigs += note[i] == '\n';
    }
    if (n_sigs == 0) {
        return tl__diag(diag, TL_EPARSE, "note", "note has no signature lines");
    }
    if (n_sigs > TL_NOTE_SIGS_MAX) {
        return tl__diag(diag, TL_EPARSE, "note", "note has more than %d signatures",
                        TL_NOTE_SIGS_MAX);
    }
    struct tl_note *n = tl_calloc(1, sizeof(*n) + n_sigs * sizeof(struct note_sig));
    if (!n) {
        return TL_ENOMEM;
    }
    n->buf = tl_malloc(len + 1);
    if (!n->buf) {
        tl_free(n);
        return TL_ENOMEM;
    }
    memcpy(n->buf, note, len);
    n->buf[len] = '\0';
    n->text_len = text_len;
    int rc = TL_OK;
    bool any = false;
    size_t line_no = 0;
    for (size_t i = 0; i < text_len; i++) {
        line_no += note[i] == '\n';
    }
    line_no += 1;
    while (pos < len) {
        const char *line = note + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = (size_t)(nl - line);
        struct note_sig *sg = &n->sigs[n->n_sigs];
        line_no++;
        if (diag) {
            diag->line = (long)line_no;
        }
        if (ll < 4 || memcmp(line, SIG_PREFIX, 4) != 0) {
            rc =
                tl__diag(diag, TL_EPARSE, "signature", "signature line does not start with \"— \"");
            goto fail;
        }
        const char *name = line + 4;
        const char *sp = memchr(name, ' ', ll - 4);
        if (!sp) {
            rc = tl__diag(diag, TL_EPARSE, "signature", "signature line has no signature");
            goto fail;
        }
        size_t name_len = (size_t)(sp - name);
        if (!tl__note_name_ok(name, name_len)) {
            rc = tl__diag(diag, TL_EPARSE, "signature", "invalid key name in signature line");
            goto fail;
        }
        const char *b64 = sp + 1;
        size_t b64_len = ll - 4 - name_len - 1;
        uint8_t blob[8192];
        size_t blob_len = 0;
        if (b64_len > tl__b64_len(sizeof(blob))) {
            rc = tl__diag(diag, TL_EPARSE, "signature", "signature is longer than 8192 bytes");
            goto fail;
        }
        if (tl__b64_decode(b64, b64_len, blob, sizeof(blob), &blob_len) != 0) {
            rc = tl__diag(diag, TL_EPARSE, "signature", "signature is not valid base64");
            goto fail;
        }
        if (blob_len < 5) {
            rc = tl__diag(diag, TL_EPARSE, "signature", "signature is shorter than 5 bytes");
            goto fail;
        }
        uint32_t id =
            (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
        sg->off = pos;
        sg->len = ll + 1;
        sg->verifier = -1;
        for (size_t k = 0; k < nv; k++) {
            const struct tl_verifier *v = vs[k];
            if (v->id != id || strlen(v->name) != name_len ||
                memcmp(v->name, name, name_len) != 0) {
                continue;
            }
            uint64_t t = 0;
            int ok = verify_sig(v, note, text_len, blob, blob_len, &t);
            if (ok < 0) {
                rc = ok;
                goto fail;
            }
            if (!ok) {
                rc = tl__diag(diag, TL_ECRYPTO, "signature", "signature by %s does not verify",
                              v->name);
                goto fail;
            }
            sg->verifier = (int)k;
            sg->time_s = t;
            any = true;
            break;
        }
        n->n_sigs++;
        pos += ll + 1;
    }
    if (!any) {
        if (diag) {
            diag->line = 0;
        }
        rc = tl__diag(diag, TL_ECRYPTO, "signature", "no signature by a known key");
        goto fail;
    }
    *out = n;
    return TL_OK;
fail:
    tl_note_free(n);
    return rc;
}

const char *
tl_note_text(const struct tl_note *n, size_t *len)
{
    if (len) {
        *len = n->text_len;
    }
    return n->buf;
}

size_t
tl_note_sig_count(const struct tl_note *n)
{
    return n->n_sigs;
}

const char *
tl_note_sig_line(const struct tl_note *n, size_t i, size_t *len)
{
    if (i >= n->n_sigs) {
        return NULL;
    }
    if (len) {
        *len = n->sigs[i].len;
    }
    return n->buf + n->sigs[i].off;
}

int
tl_note_sig_verifier(const struct tl_note *n, size_t i)
{
    return i < n->n_sigs ? n->sigs[i].verifier : -1;
}

uint64_t
tl_note_sig_time(const struct tl_note *n, size_t i)
{
    return i < n->n_sigs ? n->sigs[i].time_s : 0;
}

void
tl_note_free(struct tl_note *n)
{
    if (n) {
        tl_free(n->buf);
        tl_free(n);
    }
}

/* ------------------------------------------------------------------------ */
/* Checkpoints                                                               */
/* ------------------------------------------------------------------------ */

int
tl_checkpoint_parse(const char *text, size_t len, struct tl_checkpoint *out, struct tl_diag *diag)
{
    struct tl_checkpoint cp;
    memset(&cp, 0, sizeof(cp));
    if (!text || !out) {
        return TL_EINVAL;
    }
    if (diag) {
        diag->line = 0;
    }
    if (!tl__note_text_ok(text, len)) {
        return tl__diag(diag, TL_EPARSE, "checkpoint",
                        "checkpoint is not UTF-8 text without control characters");
    }
    if (len == 0 || text[len - 1] != '\n') {
        return tl__diag(diag, TL_EPARSE, "checkpoint", "checkpoint does not end with a newline");
    }
    size_t pos = 0;
    long line_no = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = (size_t)(nl - line);
        line_no++;
        if (diag) {
            diag->line = line_no;
        }
        if (ll == 0) {
            return tl__diag(diag, TL_EPARSE, "checkpoint", "empty line in checkpoint");
        }
        if (line_no == 1) {
            if (ll > TL_TLOG_NAME_MAX) {
                return tl__diag(diag, TL_EPARSE, "origin", "origin is longer than 255 bytes");
            }
            memcpy(cp.origin, line, ll);
            cp.origin[ll] = '\0';
        } else if (line_no == 2) {
            if (!tl__parse_u64(line, ll, &cp.size)) {
                return tl__diag(diag, TL_EPARSE, "size",
                                "tree size is not a decimal number without leading zeros");
            }
        } else if (line_no == 3) {
            if (tl_tlog_hash_parse(line, ll, cp.root, NULL) != TL_OK) {
                return tl__diag(diag, TL_EPARSE, "root", "root hash is not base64 of 32 bytes");
            }
        } else {
            cp.n_extensions++;
        }
        pos += ll + 1;
    }
    if (line_no < 3) {
        return tl__diag(diag, TL_EPARSE, "checkpoint", "checkpoint has %ld lines, needs 3",
                        line_no);
    }
    if (diag) {
        diag->line = 0;
    }
    *out = cp;
    return TL_OK;
}

int
tl_checkpoint_format(const struct tl_checkpoint *cp, char **out)
{
    char root[45];
    tl_tlog_hash_format(cp->root, root);
    size_t n = strlen(cp->origin) + 1 + 21 + 1 + 44 + 2;
    char *s = tl_malloc(n);
    if (!s) {
        return TL_ENOMEM;
    }
    snprintf(s, n, "%s\n%" PRIu64 "\n%s\n", cp->origin, cp->size, root);
    *out = s;
    return TL_OK;
}

int
tl_checkpoint_open(const char *note,
                   size_t len,
                   const struct tl_verifier *log_key,
                   struct tl_checkpoint *out,
                   struct tl_diag *diag)
{
    struct tl_note *n = NULL;
    struct tl_checkpoint cp;
    int rc = tl_note_open(note, len, &log_key, 1, &n, diag);
    if (rc != TL_OK) {
        return rc;
    }
    size_t tl;
    const char *text = tl_note_text(n, &tl);
    rc = tl_checkpoint_parse(text, tl, &cp, diag);
    if (rc == TL_OK && strcmp(cp.origin, log_key->name) != 0) {
        rc = tl__diag(diag, TL_ECRYPTO, "origin", "origin \"%s\" is not the log key's name \"%s\"",
                      cp.origin, log_key->name);
    }
    tl_note_free(n);
    if (rc == TL_OK) {
        *out = cp;
    }
    return rc;
}
