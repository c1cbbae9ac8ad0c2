/*
 * files.c - feeding a detector from files: one at a time, or many merged in
 * time.
 *
 * An array's elements must reach the detector together: its bearing is
 * measured from every element's ring of recent samples.  Archives often keep
 * one file per channel and day (SeisComP's SDS layout), so reading the files
 * one after the other would process element 00's day before element 01's.
 * tl_detect_files therefore merges them: it reads the first block of every
 * file (then closes it again, so that thousands of files need not be open at
 * once), sorts the files by that time, and from then on always feeds the
 * earliest block among the open files, opening a file when the merge reaches
 * its first block and closing it at its end.  Memory stays one block per open
 * file.  A file or record that fails is reported and the merge goes on.
 */
#include "src_priv.h"

#include <stdlib.h>
#include <string.h>

struct item {
    const char *path;
    size_t order;
    tl_time_ns first;
    struct tl__src *src;
    struct tl__block blk;
};

/* Remember the first input problem for the caller. */
static void
note(int *first_rc, struct tl_diag *out, const struct tl_diag *d, int rc)
{
    if (*first_rc == TL_OK) {
        *first_rc = rc;
        if (out && d) {
            *out = *d;
        }
    }
}

/*
 * The next block of a source, skipping bad records (each reported).
 * Returns 1, 0 at the end, or a fatal error (TL_EIO, TL_ENOMEM).
 */
static int
next_block(struct tl_detector *det, struct tl__src *s, struct tl__block *b, int *first_rc,
           struct tl_diag *diag)
{
    for (;;) {
        struct tl_diag d;
        memset(&d, 0, sizeof(d));
        int rc = tl__src_next(s, b, &d);
        if (rc >= 0) {
            return rc;
        }
        tl__detector_count_bad(det);
        note(first_rc, diag, &d, rc);
        if (rc != TL_EPARSE) {
            return rc;
        }
    }
}

static int
run_one(struct tl_detector *d, struct tl__src *s, struct tl_diag *diag)
{
    int first = TL_OK;
    struct tl__block b;
    for (;;) {
        struct tl_diag dd;
        memset(&dd, 0, sizeof(dd));
        int rc = tl__src_next(s, &b, &dd);
        if (rc == 0) {
            break;
        }
        if (rc < 0) {
            tl__detector_count_bad(d);
            note(&first, diag, &dd, rc);
            if (rc == TL_EPARSE) {
                continue;
            }
            break;
        }
        rc = tl__detector_feed_block(d, &b);
        if (rc != TL_OK) {
            tl__src_free(s);
            return rc;
        }
    }
    tl__src_free(s);
    return first;
}

int
tl_detect_mseed_file(struct tl_detector *d, const char *path, struct tl_diag *diag)
{
    if (!d || !path) {
        return TL_EINVAL;
    }
    struct tl__src *s = NULL;
    int rc = tl__src_mseed_file(path, &s, diag);
    return rc == TL_OK ? run_one(d, s, diag) : rc;
}

int
tl_detect_mseed_buffer(struct tl_detector *d, const void *buf, size_t len, const char *name,
                       struct tl_diag *diag)
{
    if (!d || (!buf && len > 0)) {
        return TL_EINVAL;
    }
    struct tl__src *s = NULL;
    int rc = tl__src_mseed_mem(buf, len, name, &s, diag);
    return rc == TL_OK ? run_one(d, s, diag) : rc;
}

int
tl_detect_wav_file(struct tl_detector *d, const char *path, struct tl_diag *diag)
{
    if (!d || !path) {
        return TL_EINVAL;
    }
    struct tl__src *s = NULL;
    int rc = tl__src_audio_file(path, &s, diag);
    return rc == TL_OK ? run_one(d, s, diag) : rc;
}

int
tl_detect_wav_buffer(struct tl_detector *d, const void *audio, size_t audio_len,
                     const char *sidecar, size_t sidecar_len, const char *name,
                     struct tl_diag *diag)
{
    if (!d || (!audio && audio_len > 0)) {
        return TL_EINVAL;
    }
    struct tl__src *s = NULL;
    int rc = tl__src_audio_mem(audio, audio_len, sidecar, sidecar_len, name, &s, diag);
    return rc == TL_OK ? run_one(d, s, diag) : rc;
}

static int
cmp_item(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->first != y->first) {
        return x->first < y->first ? -1 : 1;
    }
    return x->order < y->order ? -1 : (x->order > y->order);
}

/* Open item `it` and read its first block; false when it has none (or failed). */
static int
open_item(struct tl_detector *d, struct item *it, int *first_rc, struct tl_diag *diag)
{
    struct tl_diag dd;
    memset(&dd, 0, sizeof(dd));
    int rc = tl__src_open(it->path, &it->src, &dd);
    if (rc != TL_OK) {
        tl__detector_count_bad(d);
        note(first_rc, diag, &dd, rc);
        TL_LOG(TL_LOG_WARN, "detect", "%s: %s", it->path, dd.text);
        it->src = NULL;
        return rc == TL_ENOMEM ? rc : 0;
    }
    rc = next_block(d, it->src, &it->blk, first_rc, diag);
    if (rc != 1) {
        tl__src_free(it->src);
        it->src = NULL;
        return rc == TL_ENOMEM ? rc : 0;
    }
    return 1;
}

int
tl_detect_files(struct tl_detector *d, const char *const *paths, size_t n, struct tl_diag *diag)
{
    if (!d || (!paths && n > 0)) {
        return TL_EINVAL;
    }
    struct item *it = tl_calloc(n ? n : 1, sizeof(*it));
    size_t *act = tl_calloc(n ? n : 1, sizeof(size_t));
    if (!it || !act) {
        tl_free(it);
        tl_free(act);
        return TL_ENOMEM;
    }
    int first_rc = TL_OK, rc = TL_OK;
    size_t m = 0;
    /* First blocks, to order the files. */
    for (size_t i = 0; i < n && rc == TL_OK; i++) {
        struct item x;
        memset(&x, 0, sizeof(x));
        x.path = paths[i];
        x.order = i;
        int k = open_item(d, &x, &first_rc, diag);
        if (k < 0) {
            rc = k;
            break;
        }
        if (k == 1) {
            x.first = x.blk.t0_ns;
            tl__src_free(x.src);
            x.src = NULL;
            it[m++] = x;
        }
    }
    qsort(it, m, sizeof(*it), cmp_item);
    size_t nact = 0, next = 0;
    while (rc == TL_OK) {
        tl_time_ns tmin = INT64_MAX;
        for (size_t a = 0; a < nact; a++) {
            tl_time_ns t = it[act[a]].blk.t0_ns;
            tmin = t < tmin ? t : tmin;
        }
        while (next < m && (nact == 0 || it[next].first <= tmin)) {
            int k = open_item(d, &it[next], &first_rc, diag);
            if (k < 0) {
                rc = k;
                break;
            }
            if (k == 1) {
                act[nact++] = next;
                tmin = it[next].blk.t0_ns < tmin ? it[next].blk.t0_ns : tmin;
            }
            next++;
        }
        if (rc != TL_OK || nact == 0) {
            break;
        }
        size_t best = 0;
        for (size_t a = 1; a < nact; a++) {
            if (it[act[a]].blk.t0_ns < it[act[best]].blk.t0_ns) {
                best = a;
            }
        }
        struct item *x = &it[act[best]];
        rc = tl__detector_feed_block(d, &x->blk);
        if (rc != TL_OK) {
            break;
        }
        int k = next_block(d, x->src, &x->blk, &first_rc, diag);
        if (k != 1) {
            tl__src_free(x->src);
            x->src = NULL;
            act[best] = act[--nact];
            if (k == TL_ENOMEM) {
                rc = k;
            }
        }
    }
    for (size_t a = 0; a < nact; a++) {
        tl__src_free(it[act[a]].src);
    }
    tl_free(act);
    tl_free(it);
    return rc != TL_OK ? rc : first_rc;
}
