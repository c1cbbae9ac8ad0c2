/*
 * fuzz_rfc3339.c - the RFC 3339 codec: never crashes, and every accepted time
 * formats back to a string that parses to the same instant.
 */
#include <truceline/time.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tl_time_ns t;
    struct tl_diag d;
    if (tl_time_parse((const char *)data, size, &t, &d) == TL_OK) {
        char buf[TL_TIME_TEXT_MAX];
        tl_time_ns back;
        if (tl_time_format(t, buf, sizeof(buf)) != TL_OK ||
            tl_time_parse(buf, strlen(buf), &back, NULL) != TL_OK || back != t) {
            abort();
        }
    }
    return 0;
}
