/*
 * fuzz_tile.c - tile path parsing (as a server would see request paths),
 * entry bundle splitting, and the inclusion / consistency verifiers fed with
 * hashes and sizes taken from the input.  A parsed path must format back to
 * itself.
 */
#include <stdlib.h>
#include <string.h>

#include <truceline/tlog.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
each(void *ud, size_t i, const uint8_t *e, size_t n)
{
    (void)ud;
    (void)i;
    (void)e;
    return n > 65535 ? TL_EPARSE : TL_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[256];
    size_t n = size < sizeof(path) - 1 ? size : sizeof(path) - 1;
    memcpy(path, data, n);
    path[n] = '\0';
    int level;
    uint64_t idx;
    unsigned width;
    struct tl_diag d;
    if (tl_tile_path_parse(path, &level, &idx, &width, &d) == TL_OK) {
        char back[256];
        if (tl_tile_path(level, idx, width, back, sizeof(back)) != TL_OK ||
            strcmp(back, path) != 0) {
            abort();
        }
    }
    tl_bundle_parse(data, size, each, NULL, &d);
    if (size >= 16 + 64) {
        uint64_t a = 0, b = 0;
        for (int i = 0; i < 8; i++) {
            a = a << 8 | data[i];
            b = b << 8 | data[8 + i];
        }
        const uint8_t *h1 = data + 16, *h2 = data + 48;
        size_t np = (size - 80) / 32;
        const uint8_t(*proof)[32] = (const uint8_t(*)[32])(data + 80);
        tl_tlog_verify_inclusion(h1, a, b, proof, np, h2, &d);
        tl_tlog_verify_consistency(a, b, h1, h2, proof, np, &d);
    }
    return 0;
}
