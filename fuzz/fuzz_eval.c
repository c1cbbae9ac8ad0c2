/*
 * fuzz_eval.c - the evaluation's readers on arbitrary bytes: the input as a bulletin
 * scored against a small fixed truth, then as a truth (events and pick map) against a
 * small fixed bulletin.  Both go through temporary files, as the evaluation reads paths.
 */
#include <truceline/eval.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char truth_text[] =
    "{\"type\":\"event\",\"id\":\"E1\",\"time\":\"2026-03-01T00:00:00Z\",\"lat\":48.0,\"lon\":37.0,"
    "\"class\":\"launch\",\"side\":\"left\",\"pair\":\"E2\",\"salvo\":\"S1\"}\n"
    "{\"type\":\"event\",\"id\":\"E2\",\"time\":\"2026-03-01T00:00:40Z\",\"lat\":48.1,\"lon\":37.0,"
    "\"class\":\"impact\",\"side\":\"right\",\"salvo\":\"S1\"}\n"
    "{\"type\":\"pick\",\"id\":\"S1-000001\",\"event\":\"E1\"}\n"
    "{\"type\":\"pick\",\"id\":\"S2-000001\",\"event\":\"E2\"}\n";

static const char bulletin_text[] =
    "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":{\"type\":"
    "\"Point\",\"coordinates\":[37.0,48.0]},\"properties\":{\"kind\":\"event\",\"id\":\"F1\","
    "\"time\":\"2026-03-01T00:00:00Z\",\"class\":\"launch\",\"ellipse\":{\"major_m\":100,"
    "\"minor_m\":50,\"azimuth_deg\":10},\"arrivals\":[{\"pick\":\"S1-000001\",\"weight\":1},"
    "{\"pick\":\"S2-000001\",\"weight\":0.7}]}}]}\n";

/* A temporary file holding `len` bytes; its path in `path` (size >= 32). */
static int
put(char *path, const void *bytes, size_t len)
{
    snprintf(path, 32, "/tmp/tl_fuzz_eval_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) {
        return -1;
    }
    int ok = write(fd, bytes, len) == (ssize_t)len;
    close(fd);
    return ok ? 0 : -1;
}

static void
score(const char *truth, const char *bulletin)
{
    struct tl_eval e;
    if (tl_eval_files(truth, bulletin, &e, NULL) == TL_OK) {
        tl_free(tl_eval_json(&e));
        tl_free(tl_eval_table(&e));
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[32], truth[32], bulletin[32];
    if (put(in, data, size) != 0) {
        return 0;
    }
    if (put(truth, truth_text, strlen(truth_text)) == 0) {
        score(truth, in);
        unlink(truth);
    }
    if (put(bulletin, bulletin_text, strlen(bulletin_text)) == 0) {
        score(in, bulletin);
        unlink(bulletin);
    }
    unlink(in);
    return 0;
}
