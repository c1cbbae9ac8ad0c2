/*
 * fuzz_learnt.c - the learnt-state parser (docs/formats.md, "Learnt state") on arbitrary
 * bytes: never a crash, and an accepted state has tiles.
 */
#include <truceline/truceline.h>

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tl_tile_learnt *l = NULL;
    size_t n = 0;
    struct tl_diag d = {0};
    if (tl_learnt_parse((const char *)data, size, "fuzz", &l, &n, &d) == TL_OK) {
        if (n == 0 || !l) {
            abort();
        }
        tl_free(l);
    }
    return 0;
}
