/*
 * tlog_priv.h - what the files of the transparency-log module share.
 *
 * Not installed.  The Merkle proof generators are written once against a
 * "perfect subtree hash" callback, so the same code serves the tiled store
 * (which reads hashes from tiles) and the tests (which hash leaves in memory).
 * The durable-file helpers implement the one write discipline of the module:
 * temporary file, fdatasync, rename, directory fsync.
 */
#ifndef TL_TLOG_PRIV_H
#define TL_TLOG_PRIV_H

#include <sys/types.h>

#include <truceline/tlog.h>

#include "../util/util.h"

/* Tiles are 256 hashes wide (height 8); 8 levels cover every 64-bit tree size. */
#define TL__TILE_WIDTH  256u
#define TL__TILE_HEIGHT 8u
#define TL__LEVELS      8

/*
 * Hash of the perfect subtree of the given height whose leaves are
 * [index << height, (index + 1) << height).  Returns TL_OK or an error.
 */
typedef int (*tl__subtree_fn)(void *ud, unsigned height, uint64_t index, uint8_t out[TL_HASH_SIZE]);

/* MTH(D[lo:hi]) for a range that occurs in the RFC 6962 recursion (lo aligned). */
int
tl__merkle_range(tl__subtree_fn fn, void *ud, uint64_t lo, uint64_t hi, uint8_t out[TL_HASH_SIZE]);

/* PATH(index, D[0:size]) into proof (TL_TLOG_PROOF_MAX); *n = its length. */
int tl__merkle_inclusion(tl__subtree_fn fn,
                         void *ud,
                         uint64_t index,
                         uint64_t size,
                         uint8_t (*proof)[TL_HASH_SIZE],
                         size_t *n);

/* PROOF(size1, D[0:size2]) into proof; *n = its length.  0 < size1 <= size2. */
int tl__merkle_consistency(tl__subtree_fn fn,
                           void *ud,
                           uint64_t size1,
                           uint64_t size2,
                           uint8_t (*proof)[TL_HASH_SIZE],
                           size_t *n);

/*
 * Root of a tree given the roots of its perfect subtrees from left to right
 * (largest first): fold from the right with node hashes.  n >= 1.
 */
void tl__merkle_fold(const uint8_t (*parts)[TL_HASH_SIZE], size_t n, uint8_t out[TL_HASH_SIZE]);

/* Root of a perfect tree over `n` (a power of two) consecutive hashes. */
void tl__merkle_perfect(const uint8_t (*h)[TL_HASH_SIZE], size_t n, uint8_t out[TL_HASH_SIZE]);

/* Standard base64 with padding: encoded length of n bytes (without NUL). */
size_t tl__b64_len(size_t n);
/* Encode into out (room for tl__b64_len(n) + 1). */
void tl__b64_encode(const uint8_t *in, size_t n, char *out);
/* Decode exactly `len` characters into out (max bytes); -1 when invalid or too long. */
int tl__b64_decode(const char *in, size_t len, uint8_t *out, size_t max, size_t *n_out);

/* Is the name a valid key name (non-empty, <= 255, UTF-8, no spaces, no '+')? */
bool tl__note_name_ok(const char *name, size_t len);
/* Valid UTF-8 without control characters other than '\n'? */
bool tl__note_text_ok(const char *s, size_t len);

/* Parse a decimal uint64 without sign or leading zeros; false when invalid. */
bool tl__parse_u64(const char *s, size_t len, uint64_t *out);

/* A growable byte buffer (hard cap `max`). */
struct tl__buf {
    char *p;
    size_t len, cap;
};

int tl__buf_add(struct tl__buf *b, const void *data, size_t n, size_t max);
int tl__buf_printf(struct tl__buf *b, size_t max, const char *fmt, ...) TL_PRINTF(3, 4);
void tl__buf_free(struct tl__buf *b);

/* ---- files ---- */

/*
 * Write `data` to `path` (relative to dirfd) durably: temporary file in the
 * same directory, fdatasync, rename over `path`.  Parent folders are created
 * (and their parents fsync'd).  When `dirs` is NULL the parent directory is
 * fsync'd at once; otherwise its path is added to `dirs` for tl__sync_dirs.
 */
struct tl__dirset {
    char (*path)[512];
    size_t n, cap;
};

int tl__write_file(int dirfd,
                   const char *path,
                   const void *data,
                   size_t len,
                   mode_t mode,
                   struct tl__dirset *dirs);
int tl__sync_dirs(int dirfd, struct tl__dirset *dirs);
void tl__dirset_free(struct tl__dirset *dirs);

/* fsync a directory (relative to dirfd; "" for dirfd itself). */
int tl__fsync_dir(int dirfd, const char *path);

/* Read a whole file (at most `max` bytes) relative to dirfd (AT_FDCWD for cwd). */
int tl__read_file(int dirfd, const char *path, size_t max, uint8_t **data, size_t *len);

/* Create folders along `path` (relative to dirfd) up to and excluding the last element. */
int tl__mkdirs(int dirfd, const char *path);

/* HTTP POST of `body` to `url` + `suffix` (http:// only); response status, body. */
int tl__http_post(const char *url,
                  const char *suffix,
                  const char *body,
                  size_t len,
                  int timeout_ms,
                  int *status,
                  char **resp,
                  size_t *resp_len,
                  struct tl_diag *diag);

/* Verifier internals used by the note code. */
const uint8_t *tl__verifier_pk(const struct tl_verifier *v);

#endif
