/*
 * fuzz_checkpoint.c - the checkpoint body parser, the signed-checkpoint opener
 * and the witness's add-checkpoint request handler on arbitrary bytes.  The
 * witness runs in a scratch directory trusting one log key; every input must
 * produce an HTTP status from the protocol's list, never a crash.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <truceline/tlog.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char LOG_VKEY[] =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";

static struct tl_witness *w;
static struct tl_verifier *key;
static char dir[64];

/* Remove the scratch witness when the process ends. */
static void
cleanup(void)
{
    char path[600];
    tl_witness_free(w);
    tl_verifier_free(key);
    snprintf(path, sizeof(path), "%s/state", dir);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            snprintf(path, sizeof(path), "%s/state/%s", dir, e->d_name);
            unlink(path);
        }
    }
    if (d) {
        closedir(d);
    }
    static const char *const files[] = {"state", "witness.key", "witness.vkey", "logs"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        if (remove(path) != 0) {
            rmdir(path);
        }
    }
    rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!w) {
        snprintf(dir, sizeof(dir), "/tmp/tl_fuzz_witness_XXXXXX");
        if (!mkdtemp(dir)) {
            abort();
        }
        atexit(cleanup);
        const char *logs[1] = {LOG_VKEY};
        if (tl_witness_create(dir, "w.example", logs, 1, &w, NULL) != TL_OK &&
            tl_witness_open(dir, &w, NULL) != TL_OK) {
            abort();
        }
        if (tl_verifier_parse(LOG_VKEY, strlen(LOG_VKEY), &key, NULL) != TL_OK) {
            abort();
        }
    }
    const char *text = (const char *)data;
    struct tl_checkpoint cp;
    struct tl_diag d;
    if (tl_checkpoint_parse(text, size, &cp, &d) == TL_OK) {
        char *back = NULL;
        if (tl_checkpoint_format(&cp, &back) == TL_OK) {
            tl_free(back);
        }
    }
    tl_checkpoint_open(text, size, key, &cp, &d);
    int status = 0;
    char *body = NULL;
    if (tl_witness_add_checkpoint(w, text, size, 1700000000, &status, &body) == TL_OK) {
        if (status != 200 && status != 400 && status != 403 && status != 404 && status != 409 &&
            status != 422) {
            abort();
        }
        tl_free(body);
    }
    return 0;
}
