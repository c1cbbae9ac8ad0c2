/*
 * fuzz_jsonl.c - the JSON Lines reader on arbitrary bytes with a small line limit,
 * so over-long lines, CR/LF mixes and blank lines are all exercised.
 */
#include <truceline/jsonl.h>

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = tmpfile();
    if (!f) {
        abort();
    }
    if (size && fwrite(data, 1, size, f) != size) {
        abort();
    }
    fflush(f);
    rewind(f);
    struct tl_jsonl *r = NULL;
    if (tl_jsonl_open_fd(fileno(f), "fuzz", 64, &r, NULL) == TL_OK) {
        const char *line;
        size_t len;
        int rc;
        long guard = 0;
        while ((rc = tl_jsonl_next(r, &line, &len, NULL)) != 0 && guard++ < 1000000) {
            if (rc == 1 && (len > 64 || line[len] != '\0')) {
                abort();
            }
        }
        tl_jsonl_free(r);
    }
    fclose(f);
    return 0;
}
