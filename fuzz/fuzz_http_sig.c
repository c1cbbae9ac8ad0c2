/*
 * fuzz_http_sig.c - the X-Truceline-Signature header parser on arbitrary bytes.
 *
 * Accepted headers have a sequence number in 1..2^63-1; a header the parser
 * accepts is re-formatted and must parse to the same values.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tl__sig s;
    char msg[160];
    if (tl__sig_parse((const char *)data, size, &s, msg, sizeof(msg)) != TL_OK) {
        return 0;
    }
    if (s.seq == 0 || s.seq > (uint64_t)INT64_MAX) {
        abort();
    }
    char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), s.sig, sizeof(s.sig), sodium_base64_VARIANT_ORIGINAL);
    char again[256];
    int n = snprintf(again, sizeof(again), "seq=%llu, sig=%s", (unsigned long long)s.seq, b64);
    struct tl__sig t;
    if (tl__sig_parse(again, (size_t)n, &t, msg, sizeof(msg)) != TL_OK || t.seq != s.seq ||
        memcmp(t.sig, s.sig, sizeof(s.sig)) != 0) {
        abort();
    }
    return 0;
}
