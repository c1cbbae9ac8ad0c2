/*
 * keys.c - station signing keys: files, and a mission file that carries them.
 *
 * Each station signs its ingest batches with its own Ed25519 key; the server
 * knows the public key from the mission file (property `key` of the station
 * feature).  For the simulator, the demo and the tests, this file makes one
 * key per station:
 *
 *     KEYS/<ID>.key   base64 of the 32-byte seed, one line, mode 0600
 *     KEYS/<ID>.pub   base64 of the 32-byte public key, one line
 *
 * and writes a copy of the mission whose station features carry the public
 * keys.  Existing key files are kept (so a second run changes nothing).  Real
 * stations make their keys on the station and send only the public half.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server_priv.h"

#define B64_32 sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)

static int
write_file(const char *path, const char *text, mode_t mode, bool excl, struct tl_diag *diag)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        return tl__diag(diag, TL_EIO, NULL, "%s: %s", tmp, strerror(errno));
    }
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return tl__diag(diag, TL_EIO, NULL, "%s: %s", tmp, strerror(e));
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(tmp);
        return tl__diag(diag, TL_EIO, NULL, "%s: %s", tmp, strerror(errno));
    }
    int rc = excl ? link(tmp, path) : rename(tmp, path);
    int e = errno;
    if (excl) {
        unlink(tmp);
    }
    if (rc != 0) {
        return tl__diag(diag, TL_EIO, NULL, "%s: %s", path, strerror(e));
    }
    return TL_OK;
}

int
tl_station_key_load(const char *keys_dir,
                    const char *station,
                    uint8_t seed[32],
                    struct tl_diag *diag)
{
    if (!keys_dir || !station || !tl_valid_station_id(station)) {
        return tl__diag(diag, TL_EINVAL, "station", "bad station id");
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.key", keys_dir, station);
    FILE *f = fopen(path, "r");
    if (!f) {
        return tl__diag(diag, errno == ENOENT ? TL_ENOTFOUND : TL_EIO, NULL, "%s: %s", path,
                        strerror(errno));
    }
    char line[128];
    bool got = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    size_t n = got ? strcspn(line, "\r\n") : 0;
    size_t bin_len = 0;
    const char *end = NULL;
    uint8_t tmp[32];
    if (!got || sodium_init() < 0 ||
        sodium_base642bin(tmp, sizeof(tmp), line, n, NULL, &bin_len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        bin_len != 32 || end != line + n) {
        sodium_memzero(line, sizeof(line));
        return tl__diag(diag, TL_EPARSE, NULL, "%s: expected the base64 of a 32-byte seed", path);
    }
    memcpy(seed, tmp, 32);
    sodium_memzero(tmp, sizeof(tmp));
    sodium_memzero(line, sizeof(line));
    return TL_OK;
}

/* The station's key, made when missing; its public key in base64 into pub64. */
static int
station_key(const char *dir, const char *id, char pub64[B64_32], struct tl_diag *diag)
{
    uint8_t seed[32], pk[32], sk[64];
    int rc = tl_station_key_load(dir, id, seed, diag);
    if (rc == TL_ENOTFOUND) {
        randombytes_buf(seed, sizeof(seed));
        char text[B64_32 + 1];
        sodium_bin2base64(text, B64_32, seed, 32, sodium_base64_VARIANT_ORIGINAL);
        size_t l = strlen(text);
        text[l] = '\n';
        text[l + 1] = '\0';
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s.key", dir, id);
        rc = write_file(path, text, 0600, true, diag);
        sodium_memzero(text, sizeof(text));
    }
    if (rc != TL_OK) {
        sodium_memzero(seed, sizeof(seed));
        return rc;
    }
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(seed, sizeof(seed));
    sodium_memzero(sk, sizeof(sk));
    sodium_bin2base64(pub64, B64_32, pk, 32, sodium_base64_VARIANT_ORIGINAL);
    char text[B64_32 + 2], path[4096];
    snprintf(text, sizeof(text), "%s\n", pub64);
    snprintf(path, sizeof(path), "%s/%s.pub", dir, id);
    return write_file(path, text, 0644, false, diag);
}

int
tl_station_keys_make(const struct tl_mission *mission,
                     const char *keys_dir,
                     const char *mission_out,
                     struct tl_diag *diag)
{
    if (!mission || !keys_dir || !mission_out) {
        return TL_EINVAL;
    }
    if (sodium_init() < 0) {
        return tl__diag(diag, TL_ECRYPTO, NULL, "libsodium failed to initialise");
    }
    if (mkdir(keys_dir, 0700) != 0 && errno != EEXIST) {
        return tl__diag(diag, TL_EIO, NULL, "%s: %s", keys_dir, strerror(errno));
    }
    size_t srclen;
    const char *src = tl_mission_source(mission, &srclen);
    bool oom;
    json_t *root = tl__json_loadb(src, srclen, 0, NULL, &oom);
    json_t *feats = json_object_get(root, "features");
    if (!json_is_array(feats)) {
        json_decref(root);
        if (oom) {
            return tl__diag(diag, TL_ENOMEM, NULL, "out of memory");
        }
        return tl__diag(diag, TL_EPARSE, NULL, "the mission's source is not a FeatureCollection");
    }
    int rc = TL_OK;
    size_t i;
    json_t *f;
    json_array_foreach(feats, i, f)
    {
        json_t *props = json_object_get(f, "properties");
        const char *kind = json_string_value(json_object_get(props, "kind"));
        const char *id = json_string_value(json_object_get(props, "id"));
        if (!kind || strcmp(kind, "station") != 0 || !id) {
            continue;
        }
        char pub[B64_32];
        if ((rc = station_key(keys_dir, id, pub, diag)) != TL_OK) {
            break;
        }
        if (json_object_set_new(props, "key", json_string(pub)) != 0) {
            rc = tl__diag(diag, TL_ENOMEM, NULL, "out of memory");
            break;
        }
    }
    if (rc == TL_OK) {
        char *text = tl__json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        if (!text) {
            rc = TL_ENOMEM;
        } else {
            size_t n = strlen(text);
            char *t2 = tl_realloc(text, n + 2);
            if (!t2) {
                tl_free(text);
                rc = TL_ENOMEM;
            } else {
                t2[n] = '\n';
                t2[n + 1] = '\0';
                rc = write_file(mission_out, t2, 0644, false, diag);
                tl_free(t2);
            }
        }
    }
    json_decref(root);
    return rc;
}
