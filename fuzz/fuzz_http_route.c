/*
 * fuzz_http_route.c - the server's router on arbitrary methods and paths.
 *
 * Input: a method, a newline, a path (the rest).  Whatever the bytes, the
 * router answers 200, 400, 404 or 405, and a matched route carries a valid id.
 */
#include <stdlib.h>
#include <string.h>

#include "server/server_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[4096];
    if (size >= sizeof(buf)) {
        return 0;
    }
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *nl = strchr(buf, '\n');
    const char *method = "GET", *path = buf;
    if (nl) {
        *nl = '\0';
        method = buf;
        path = nl + 1;
    }
    for (int web = 0; web < 2; web++) {
        struct tl__route r;
        int st = tl__route_match(method, path, web != 0, &r);
        if (st != 200 && st != 400 && st != 404 && st != 405) {
            abort();
        }
        if (st == 200 && r.arg[0] && !tl_valid_id(r.arg)) {
            abort();
        }
    }
    return 0;
}
