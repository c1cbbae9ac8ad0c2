/*
 * fuzz_http_query.c - the query filters of the read API on arbitrary arguments.
 *
 * Input: "k=v&k=v..." (split here as MHD would hand them over), parsed for
 * every kind of resource.  The parser must accept or refuse with a message,
 * never crash, and what it accepts must be in range.
 */
#include <stdlib.h>
#include <string.h>

#include "server/server_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[8192];
    if (size >= sizeof(buf)) {
        return 0;
    }
    memcpy(buf, data, size);
    buf[size] = '\0';
    struct tl__arg args[TL__MAX_ARGS + 4];
    size_t n = 0;
    char *p = buf;
    while (p && n < TL__MAX_ARGS + 4) {
        char *amp = strchr(p, '&');
        if (amp) {
            *amp = '\0';
        }
        char *eq = strchr(p, '=');
        if (eq) {
            *eq = '\0';
        }
        args[n].key = p;
        args[n].value = eq ? eq + 1 : NULL;
        n++;
        p = amp ? amp + 1 : NULL;
    }

    static const enum tl__filter_kind kinds[] = {TL__F_EVENTS, TL__F_FINDINGS, TL__F_RECORDS,
                                                 TL__F_OBJECT, TL__F_STREAM,   TL__F_NONE};

    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        struct tl__filter f;
        char msg[200];
        if (tl__filter_parse(kinds[k], args, n, NULL, NULL, &f, msg, sizeof(msg)) == TL_OK) {
            if (f.limit < 1 || f.limit > TL__PAGE_MAX ||
                (f.has_bbox && (f.min_lat > f.max_lat || f.min_lon > f.max_lon))) {
                abort();
            }
        }
    }
    return 0;
}
