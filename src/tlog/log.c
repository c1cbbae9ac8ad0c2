/*
 * log.c - the transparency log store: durable appends into C2SP tiles,
 * checkpoints that are never inconsistent, proofs, crash recovery.
 *
 * Layout (see tlog.h): DIR/tile/... are the public tiles and entry bundles,
 * DIR/checkpoint the published checkpoint, DIR/.state/ the private state:
 *   .state/tree    "size N / root R" of the last flushed tree (its tiles are all on disk),
 *   .state/wal     the commits since then (write-ahead log),
 *   .state/signed  the last checkpoint this log signed (its own signature only),
 *   .state/lock    an flock that keeps a second process out.
 *
 * Appending (group commit).  Callers queue their entries and wait; the first
 * waiter becomes the leader, takes everything queued, and commits it while new
 * callers queue behind it.  A commit hashes the entries into the in-memory
 * right edge of the tree (one partial tile per level, the entry bundle being
 * filled), writes the full tiles and bundles that filled up, and appends one
 * record with all its entries to .state/wal, fdatasync'd: an entry is
 * acknowledged only after that, so it survives any crash.  Creating files is
 * what costs most on ext4, so partial tiles are not written per commit.
 *
 * Flushing.  Before a checkpoint is signed, the leader writes the partial
 * tiles and bundle of the committed size, fsyncs every folder touched since
 * the last flush, writes .state/tree ("tile state"), and empties the WAL.
 * Tiles and bundles are thus always on disk before the state that refers to
 * them.  tl_tlog_open removes files an interrupted commit left beyond the tile
 * state, checks the stored tiles against its root, replays the WAL records that
 * follow it (a torn last record fails its hash: it was never acknowledged),
 * and flushes.
 *
 * Readers (proofs, entries, roots at older sizes) take a read lock on the
 * published edge and read full tiles from disk (they never change once
 * written), so they run in parallel with commits; a commit holds the write
 * lock only to publish the new edge and unlink superseded partial files.
 * Partial tiles exist only for the sizes checkpoints were signed for (a
 * checkpoint first flushes them), and go when their full tile exists.
 *
 * Signing.  Before signing size N the log checks that the tree at the last
 * signed size still has the last signed root (so a rolled-back or damaged
 * state can never yield two inconsistent signed checkpoints), then persists
 * the new signed checkpoint before anything can see it.  With a policy it asks
 * each witness to cosign (tlog-witness add-checkpoint, retrying once from the
 * size a 409 names), and writes DIR/checkpoint only when the quorum is met.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tlog_priv.h"

#define STATE_MAGIC        "truceline tlog state v1\n"
#define COMMIT_MAX_N       65536u
#define COMMIT_MAX_BYTES   (64u << 20)
#define WITNESS_TIMEOUT_MS 5000

struct edge {
    uint8_t h[TL__TILE_WIDTH][TL_HASH_SIZE];
    unsigned w;
};

struct waiter {
    const void *const *entries;
    const size_t *lens;
    size_t n;
    bool flush; /* write the partial tiles and the state for the committed size */
    uint64_t first;
    uint64_t flushed_size;
    uint8_t flushed_root[TL_HASH_SIZE];
    int rc;
    bool done;
    struct waiter *next;
};

struct tl_tlog {
    char *dir;
    int dirfd, lockfd;
    struct tl_signer *signer;
    struct tl_verifier *verifier;
    char *vkey;
    struct tl_policy *policy;
    uint64_t *witness_old; /* per policy witness: the size we believe it cosigned last */

    /* Owned by the committing leader (one at a time). */
    uint64_t size;
    uint64_t tiles_size; /* size whose partial tiles and state are on disk */
    struct edge work[TL__LEVELS];
    struct tl__dirset dirs;
    int walfd;
    uint64_t wal_bytes;
    struct tl__buf walbuf;

    /* The entry bundle being filled (bundle_t), under bundle_mu for readers. */
    pthread_mutex_t bundle_mu;
    struct tl__buf bundle;
    unsigned bundle_n;
    uint64_t bundle_t;

    /* Published view, under rw. */
    pthread_rwlock_t rw;
    uint64_t pub_size;
    uint8_t pub_root[TL_HASH_SIZE];
    struct edge pub[TL__LEVELS];

    /* Group commit queue, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct waiter *head, *tail;
    bool committing;
    int failed;

    /* Signing, under sign_mu. */
    pthread_mutex_t sign_mu;
    uint64_t signed_size;
    uint8_t signed_root[TL_HASH_SIZE];

    /* Internal trees of full tiles, shared by readers (proofs), under tree_mu. */
    pthread_mutex_t tree_mu;
    struct tile_tree *trees;      /* TREE_CACHE_SLOTS full tiles */
    struct tile_tree *edge_trees; /* TL__LEVELS right-edge tiles; key = published size + 1 */

    pthread_mutex_t err_mu;
    char errmsg[256];
};

static int set_err(struct tl_tlog *log, int code, const char *fmt, ...) TL_PRINTF(3, 4);

static int
set_err(struct tl_tlog *log, int code, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&log->err_mu);
    va_start(ap, fmt);
    vsnprintf(log->errmsg, sizeof(log->errmsg), fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&log->err_mu);
    TL_LOG(TL_LOG_DEBUG, "tlog", "%s", log->errmsg);
    return code;
}

const char *
tl_tlog_errmsg(struct tl_tlog *log)
{
    return log->errmsg;
}

const char *
tl_tlog_origin(const struct tl_tlog *log)
{
    return tl_signer_name(log->signer);
}

const char *
tl_tlog_vkey(const struct tl_tlog *log)
{
    return log->vkey;
}

/* ------------------------------------------------------------------------ */
/* The right edge                                                            */
/* ------------------------------------------------------------------------ */

/* Root of the tree of `size` leaves whose right edge is `e`. */
static void
edge_root(const struct edge *e, uint64_t size, uint8_t out[TL_HASH_SIZE])
{
    uint8_t parts[TL__LEVELS * 8][TL_HASH_SIZE];
    size_t np = 0;
    if (size == 0) {
        crypto_hash_sha256(out, NULL, 0);
        return;
    }
    /* Perfect subtrees from the left: highest level first, within a level by the bits of w. */
    for (int l = TL__LEVELS - 1; l >= 0; l--) {
        unsigned w = e[l].w, off = 0;
        for (int b = 7; b >= 0; b--) {
            unsigned c = 1u << b;
            if (w & c) {
                tl__merkle_perfect((const uint8_t(*)[TL_HASH_SIZE])e[l].h + off, c, parts[np++]);
                off += c;
            }
        }
    }
    tl__merkle_fold((const uint8_t(*)[TL_HASH_SIZE])parts, np, out);
}

/* ------------------------------------------------------------------------ */
/* Commit                                                                    */
/* ------------------------------------------------------------------------ */

static int
write_tile(struct tl_tlog *log, int level, uint64_t idx, unsigned w, const void *data, size_t len)
{
    char path[128];
    tl_tile_path(level, idx, w, path, sizeof(path));
    int rc = tl__write_file(log->dirfd, path, data, len, 0644, &log->dirs);
    if (rc != TL_OK) {
        return set_err(log, rc, "writing %s: %s", path, strerror(errno));
    }
    return TL_OK;
}

/* Add a hash at level l; flush full tiles upward.  `count` is hashes so far per level. */
static int
push_hash(struct tl_tlog *log, int l, const uint8_t h[TL_HASH_SIZE], uint64_t *count)
{
    struct edge *e = &log->work[l];
    memcpy(e->h[e->w++], h, TL_HASH_SIZE);
    count[l]++;
    if (e->w < TL__TILE_WIDTH) {
        return TL_OK;
    }
    int rc = write_tile(log, l, count[l] / TL__TILE_WIDTH - 1, TL__TILE_WIDTH, e->h, sizeof(e->h));
    if (rc != TL_OK) {
        return rc;
    }
    uint8_t root[TL_HASH_SIZE];
    tl__merkle_perfect((const uint8_t(*)[TL_HASH_SIZE])e->h, TL__TILE_WIDTH, root);
    e->w = 0;
    if (l + 1 >= TL__LEVELS) {
        return set_err(log, TL_ERANGE, "tree is full");
    }
    return push_hash(log, l + 1, root, count);
}

static int
write_state(struct tl_tlog *log, uint64_t size, const uint8_t root[TL_HASH_SIZE])
{
    char text[128], r[45];
    tl_tlog_hash_format(root, r);
    int n = snprintf(text, sizeof(text), STATE_MAGIC "size %" PRIu64 "\nroot %s\n", size, r);
    int rc = tl__write_file(log->dirfd, ".state/tree", text, (size_t)n, 0600, NULL);
    return rc == TL_OK ? TL_OK : set_err(log, rc, "writing .state/tree: %s", strerror(errno));
}

/* Remove every file of a ".p" folder, then the folder (best effort). */
static void
remove_partials(int dirfd, const char *pdir, unsigned keep_above)
{
    int fd = openat(dirfd, pdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    struct dirent *de;
    bool all = true;
    while ((de = readdir(d)) != NULL) {
        uint64_t w;
        if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || strcmp(de->d_name, "..") == 0)) {
            continue;
        }
        if (keep_above && tl__parse_u64(de->d_name, strlen(de->d_name), &w) && w <= keep_above) {
            all = false;
            continue;
        }
        unlinkat(fd, de->d_name, 0);
    }
    closedir(d);
    if (all) {
        unlinkat(dirfd, pdir, AT_REMOVEDIR);
    }
}

/* Path of the ".p" folder of tile (level, idx). */
static void
pdir_path(int level, uint64_t idx, char *buf, size_t size)
{
    char p[128];
    tl_tile_path(level, idx, 1, p, sizeof(p)); /* ".../NNN.p/1" */
    size_t n = strlen(p) - 2;
    p[n] = '\0';
    tl__strlcpy(buf, p, size);
}

/*
 * After the tile state of `size1` is durable: the partial tiles and bundles of
 * tiles that were completed since the tile state `size0` are no longer needed
 * (tlog-tiles lets a log delete a partial once its full tile exists).
 */
static void
prune_partials(struct tl_tlog *log, uint64_t size0, uint64_t size1)
{
    for (int l = -1; l < TL__LEVELS; l++) {
        unsigned sh = l < 0 ? 0 : 8u * (unsigned)l;
        uint64_t t0 = (size0 >> sh) >> 8, t1 = (size1 >> sh) >> 8;
        for (uint64_t t = t0; t < t1; t++) {
            char path[128];
            pdir_path(l, t, path, sizeof(path));
            remove_partials(log->dirfd, path, 0);
        }
    }
}

/* Add one entry to the edge and the bundle; writes full tiles and bundles as they fill. */
static int
add_entry(struct tl_tlog *log, const void *data, size_t len, uint64_t *count)
{
    uint8_t h[TL_HASH_SIZE], len2[2];
    tl_tlog_leaf_hash(data, len, h);
    len2[0] = (uint8_t)(len >> 8);
    len2[1] = (uint8_t)len;
    pthread_mutex_lock(&log->bundle_mu);
    int rc = tl__buf_add(&log->bundle, len2, 2, SIZE_MAX / 2);
    if (rc == TL_OK) {
        rc = tl__buf_add(&log->bundle, data, len, SIZE_MAX / 2);
    }
    pthread_mutex_unlock(&log->bundle_mu);
    if (rc != TL_OK) {
        return set_err(log, rc, "out of memory for the entry bundle");
    }
    if (++log->bundle_n == TL__TILE_WIDTH) {
        rc = write_tile(log, -1, log->bundle_t, TL__TILE_WIDTH, log->bundle.p, log->bundle.len);
        if (rc != TL_OK) {
            return rc;
        }
        pthread_mutex_lock(&log->bundle_mu);
        log->bundle.len = 0;
        log->bundle_n = 0;
        log->bundle_t++;
        pthread_mutex_unlock(&log->bundle_mu);
    }
    return push_hash(log, 0, h, count);
}

/*
 * The write-ahead log (.state/wal): one record per commit, appended and
 * fdatasync'd before the entries are acknowledged.  Record: "TLW1", first index
 * (u64), count (u32), payload length (u32), SHA-256 of those 20 bytes and the
 * payload, then the payload (uint16-length-prefixed entries, as in a bundle).
 * A torn last record fails its hash and is ignored: it was never acknowledged.
 */
#define WAL_MAGIC       "TLW1"
#define WAL_HDR         (4 + 8 + 4 + 4 + TL_HASH_SIZE)
#define WAL_FLUSH_BYTES (64u << 20)

static void
put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    }
}

static uint64_t
get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static void
wal_hash(const uint8_t *hdr20, const uint8_t *payload, size_t len, uint8_t out[TL_HASH_SIZE])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, hdr20, 20);
    crypto_hash_sha256_update(&st, payload, len);
    crypto_hash_sha256_final(&st, out);
}

static int
wal_append(struct tl_tlog *log, struct waiter *batch, uint64_t first, uint64_t count)
{
    struct tl__buf *b = &log->walbuf;
    uint8_t hdr[WAL_HDR];
    b->len = 0;
    int rc = tl__buf_add(b, hdr, WAL_HDR, SIZE_MAX / 2);
    for (struct waiter *w = batch; w && rc == TL_OK; w = w->next) {
        for (size_t i = 0; i < w->n && rc == TL_OK; i++) {
            uint8_t len2[2] = {(uint8_t)(w->lens[i] >> 8), (uint8_t)w->lens[i]};
            rc = tl__buf_add(b, len2, 2, SIZE_MAX / 2);
            if (rc == TL_OK) {
                rc = tl__buf_add(b, w->entries[i], w->lens[i], SIZE_MAX / 2);
            }
        }
    }
    if (rc != TL_OK) {
        return set_err(log, rc, "out of memory for the write-ahead log");
    }
    uint8_t *h = (uint8_t *)b->p;
    size_t plen = b->len - WAL_HDR;
    memcpy(h, WAL_MAGIC, 4);
    put_be(h + 4, first, 8);
    put_be(h + 12, count, 4);
    put_be(h + 16, plen, 4);
    wal_hash(h, h + WAL_HDR, plen, h + 20);
    for (size_t off = 0; off < b->len;) {
        ssize_t wr = write(log->walfd, b->p + off, b->len - off);
        if (wr < 0 && errno == EINTR) {
            continue;
        }
        if (wr <= 0) {
            return set_err(log, TL_EIO, "writing .state/wal: %s", strerror(errno));
        }
        off += (size_t)wr;
    }
    if (fdatasync(log->walfd) != 0) {
        return set_err(log, TL_EIO, "fdatasync of .state/wal: %s", strerror(errno));
    }
    log->wal_bytes += b->len;
    return TL_OK;
}

/*
 * Make the committed size a tile state: write its partial tiles and bundle,
 * fsync every folder touched since the last flush, write .state/tree, and
 * empty the write-ahead log (its entries are all in tiles now).
 */
static int
flush_tiles(struct tl_tlog *log, uint8_t root[TL_HASH_SIZE])
{
    uint64_t size = log->size;
    int rc;
    edge_root(log->work, size, root);
    if (size == log->tiles_size) {
        return TL_OK;
    }
    for (int l = 0; l < TL__LEVELS; l++) {
        struct edge *e = &log->work[l];
        if (e->w > 0) {
            rc = write_tile(log, l, (size >> (8 * l)) / TL__TILE_WIDTH, e->w, e->h,
                            (size_t)e->w * TL_HASH_SIZE);
            if (rc != TL_OK) {
                return rc;
            }
        }
    }
    if (log->bundle_n > 0) {
        rc = write_tile(log, -1, log->bundle_t, log->bundle_n, log->bundle.p, log->bundle.len);
        if (rc != TL_OK) {
            return rc;
        }
    }
    rc = tl__sync_dirs(log->dirfd, &log->dirs);
    if (rc != TL_OK) {
        return set_err(log, rc, "fsync of a tile folder failed: %s", strerror(errno));
    }
    rc = write_state(log, size, root);
    if (rc != TL_OK) {
        return rc;
    }
    if (ftruncate(log->walfd, 0) != 0 || fdatasync(log->walfd) != 0) {
        return set_err(log, TL_EIO, "truncating .state/wal: %s", strerror(errno));
    }
    log->wal_bytes = 0;
    prune_partials(log, log->tiles_size, size);
    log->tiles_size = size;
    return TL_OK;
}

static int
commit(struct tl_tlog *log, struct waiter *batch)
{
    uint64_t size0 = log->size, count[TL__LEVELS], n = 0;
    bool flush = log->wal_bytes > WAL_FLUSH_BYTES;
    int rc = TL_OK;
    for (int l = 0; l < TL__LEVELS; l++) {
        count[l] = size0 >> (8 * l);
    }
    for (struct waiter *w = batch; w; w = w->next) {
        w->first = count[0];
        flush = flush || w->flush;
        n += w->n;
        for (size_t i = 0; i < w->n && rc == TL_OK; i++) {
            rc = add_entry(log, w->entries[i], w->lens[i], count);
        }
        if (rc != TL_OK) {
            return rc;
        }
    }
    if (n > 0) {
        rc = wal_append(log, batch, size0, n);
        if (rc != TL_OK) {
            return rc;
        }
    }
    log->size = count[0];
    uint8_t root[TL_HASH_SIZE];
    if (flush) {
        rc = flush_tiles(log, root);
        if (rc != TL_OK) {
            return rc;
        }
        for (struct waiter *w = batch; w; w = w->next) {
            w->flushed_size = log->size;
            memcpy(w->flushed_root, root, TL_HASH_SIZE);
        }
    } else {
        edge_root(log->work, log->size, root);
    }
    pthread_rwlock_wrlock(&log->rw);
    memcpy(log->pub, log->work, sizeof(log->pub));
    log->pub_size = log->size;
    memcpy(log->pub_root, root, TL_HASH_SIZE);
    pthread_rwlock_unlock(&log->rw);
    return TL_OK;
}

/* Queue a waiter and wait until its entries are committed (leading commits as needed). */
static int
submit(struct tl_tlog *log, struct waiter *me)
{
    pthread_mutex_lock(&log->mu);
    if (log->failed) {
        pthread_mutex_unlock(&log->mu);
        return log->failed;
    }
    me->next = NULL;
    if (log->tail) {
        log->tail->next = me;
    } else {
        log->head = me;
    }
    log->tail = me;
    while (!me->done) {
        if (log->committing) {
            pthread_cond_wait(&log->cv, &log->mu);
            continue;
        }
        /* Lead: take a prefix of the queue bounded in entries and bytes. */
        struct waiter *batch = log->head, *last = batch;
        size_t n = 0, bytes = 0;
        if (TL_NEVER(!batch)) {
            me->rc = TL_ESTATE; /* we are queued, so the queue is not empty */
            break;
        }
        for (struct waiter *w = batch; w; w = w->next) {
            size_t b = 0;
            for (size_t i = 0; i < w->n; i++) { /* a flush request has no entries */
                b += w->lens[i] + 2;
            }
            if (w != batch && (n + w->n > COMMIT_MAX_N || bytes + b > COMMIT_MAX_BYTES)) {
                break;
            }
            n += w->n;
            bytes += b;
            last = w;
        }
        log->head = last->next;
        if (!log->head) {
            log->tail = NULL;
        }
        last->next = NULL;
        log->committing = true;
        int rc = log->failed;
        pthread_mutex_unlock(&log->mu);
        if (rc == TL_OK) {
            rc = commit(log, batch);
        }
        pthread_mutex_lock(&log->mu);
        if (rc != TL_OK && !log->failed) {
            log->failed = rc == TL_ENOMEM ? TL_ENOMEM : TL_EIO;
        }
        for (struct waiter *w = batch, *nx; w; w = nx) {
            nx = w->next;
            w->rc = rc == TL_OK ? TL_OK : log->failed;
            w->done = true;
        }
        log->committing = false;
        pthread_cond_broadcast(&log->cv);
    }
    pthread_mutex_unlock(&log->mu);
    return me->rc;
}

int
tl_tlog_append_batch(struct tl_tlog *log,
                     const void *const *entries,
                     const size_t *lens,
                     size_t n,
                     uint64_t *first_index_out)
{
    if (!log || (n > 0 && (!entries || !lens))) {
        return TL_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (lens[i] > TL_TLOG_ENTRY_MAX) {
            return set_err(log, TL_ETOOBIG, "entry %zu has %zu bytes, more than %d", i, lens[i],
                           TL_TLOG_ENTRY_MAX);
        }
        if (lens[i] > 0 && !entries[i]) {
            return TL_EINVAL;
        }
    }
    if (n == 0) {
        return TL_OK;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += lens[i] + 2;
    }
    if (n > UINT32_MAX / 2 || total > (1u << 30)) {
        return set_err(log, TL_ETOOBIG, "a batch may hold at most 1 GiB");
    }
    struct waiter me = {.entries = entries, .lens = lens, .n = n};
    int rc = submit(log, &me);
    if (rc == TL_OK && first_index_out) {
        *first_index_out = me.first;
    }
    return rc;
}

int
tl_tlog_append(struct tl_tlog *log, const void *entry, size_t len, uint64_t *index_out)
{
    const void *e[1] = {entry};
    size_t l[1] = {len};
    return tl_tlog_append_batch(log, e, l, 1, index_out);
}

int
tl_tlog_tree(struct tl_tlog *log, uint64_t *size, uint8_t root[TL_HASH_SIZE])
{
    pthread_rwlock_rdlock(&log->rw);
    if (size) {
        *size = log->pub_size;
    }
    if (root) {
        memcpy(root, log->pub_root, TL_HASH_SIZE);
    }
    pthread_rwlock_unlock(&log->rw);
    return TL_OK;
}

/* ------------------------------------------------------------------------ */
/* Reading hashes (under the read lock)                                      */
/* ------------------------------------------------------------------------ */

/*
 * The internal nodes of a tile, heights 1 to 8 above its hashes: height h holds
 * 256 >> h nodes starting at node_off(h).  A proof needs most of the nodes of
 * each tile it touches (a tile stores only every 8th level of the tree), so a
 * tile's whole internal tree is computed at once (255 hashes) and kept: full
 * tiles in a cache shared by all readers, the right-edge tiles per reader.
 */
struct tile_tree {
    uint64_t key; /* (level << 58 | index) + 1; 0 when the slot is empty */
    uint8_t node[255][TL_HASH_SIZE];
};

#define TREE_CACHE_SLOTS 1024

static size_t
node_off(unsigned h)
{
    return 256u - (256u >> (h - 1));
}

/* Fill t->node from `w` hashes (only complete subtrees: index j < w >> h at height h). */
static void
tile_tree_build(struct tile_tree *t, const uint8_t (*hashes)[TL_HASH_SIZE], unsigned w)
{
    for (unsigned h = 1; h <= 8; h++) {
        unsigned n = w >> h;
        const uint8_t(*below)[TL_HASH_SIZE] =
            h == 1 ? hashes : (const uint8_t(*)[TL_HASH_SIZE])t->node + node_off(h - 1);
        for (unsigned j = 0; j < n; j++) {
            tl_tlog_node_hash(below[2 * j], below[2 * j + 1], t->node[node_off(h) + j]);
        }
    }
}

struct reader {
    struct tl_tlog *log;
    uint64_t cached[TL__LEVELS]; /* tile index + 1 held in tiles[l], 0 for none */
    uint8_t tiles[TL__LEVELS][TL__TILE_WIDTH][TL_HASH_SIZE];
    struct tile_tree scratch;
};

static int
read_full_tile(struct reader *r, unsigned L, uint64_t t)
{
    struct tl_tlog *log = r->log;
    if (r->cached[L] == t + 1) {
        return TL_OK;
    }
    char path[128];
    uint8_t *data = NULL;
    size_t len = 0;
    tl_tile_path((int)L, t, TL__TILE_WIDTH, path, sizeof(path));
    int rc = tl__read_file(log->dirfd, path, sizeof(r->tiles[L]), &data, &len);
    if (rc != TL_OK || len != sizeof(r->tiles[L])) {
        tl_free(data);
        return set_err(log, rc == TL_OK ? TL_ESTORE : rc, "cannot read tile %s", path);
    }
    memcpy(r->tiles[L], data, len);
    tl_free(data);
    r->cached[L] = t + 1;
    return TL_OK;
}

static int
read_subtree(void *ud, unsigned height, uint64_t index, uint8_t out[TL_HASH_SIZE])
{
    struct reader *r = ud;
    struct tl_tlog *log = r->log;
    unsigned L = height / TL__TILE_HEIGHT, rr = height % TL__TILE_HEIGHT;
    if (L >= TL__LEVELS) {
        return TL_ERANGE;
    }
    uint64_t first = index << rr, cnt = UINT64_C(1) << rr;
    uint64_t t = first >> 8, off = first & 255;
    uint64_t edge_t = (log->pub_size >> (8 * L)) >> 8;
    if (t == edge_t) {
        if (off + cnt > log->pub[L].w) {
            return TL_ERANGE;
        }
        if (rr == 0) {
            memcpy(out, log->pub[L].h[off], TL_HASH_SIZE);
            return TL_OK;
        }
        /* The edge tile's tree, built once per published size and shared. */
        pthread_mutex_lock(&log->tree_mu);
        if (log->edge_trees[L].key != log->pub_size + 1) {
            tile_tree_build(&log->edge_trees[L], (const uint8_t(*)[TL_HASH_SIZE])log->pub[L].h,
                            log->pub[L].w);
            log->edge_trees[L].key = log->pub_size + 1;
        }
        memcpy(out, log->edge_trees[L].node[node_off(rr) + (off >> rr)], TL_HASH_SIZE);
        pthread_mutex_unlock(&log->tree_mu);
        return TL_OK;
    }
    if (t > edge_t) {
        return TL_ERANGE;
    }
    if (rr == 0) {
        int rc = read_full_tile(r, L, t);
        if (rc == TL_OK) {
            memcpy(out, r->tiles[L][off], TL_HASH_SIZE);
        }
        return rc;
    }
    /* A full tile: its internal tree from the shared cache, or built and cached. */
    uint64_t key = ((uint64_t)L << 58 | t) + 1;
    size_t slot = (size_t)((t * 0x9E3779B97F4A7C15u + L) >> 54) % TREE_CACHE_SLOTS;
    struct tile_tree *ct = &log->trees[slot];
    pthread_mutex_lock(&log->tree_mu);
    bool hit = ct->key == key;
    if (hit) {
        memcpy(out, ct->node[node_off(rr) + (off >> rr)], TL_HASH_SIZE);
    }
    pthread_mutex_unlock(&log->tree_mu);
    if (hit) {
        return TL_OK;
    }
    int rc = read_full_tile(r, L, t);
    if (rc != TL_OK) {
        return rc;
    }
    struct tile_tree *tmp = &r->scratch;
    tile_tree_build(tmp, (const uint8_t(*)[TL_HASH_SIZE])r->tiles[L], TL__TILE_WIDTH);
    memcpy(out, tmp->node[node_off(rr) + (off >> rr)], TL_HASH_SIZE);
    pthread_mutex_lock(&log->tree_mu);
    ct->key = key;
    memcpy(ct->node, tmp->node, sizeof(ct->node));
    pthread_mutex_unlock(&log->tree_mu);
    return TL_OK;
}

static struct reader *
reader_new(struct tl_tlog *log)
{
    struct reader *r = tl_malloc(sizeof(*r));
    if (r) {
        r->log = log;
        memset(r->cached, 0, sizeof(r->cached));
    }
    return r;
}

int
tl_tlog_root_at(struct tl_tlog *log, uint64_t size, uint8_t root[TL_HASH_SIZE])
{
    struct reader *r = reader_new(log);
    if (!r) {
        return TL_ENOMEM;
    }
    pthread_rwlock_rdlock(&log->rw);
    int rc = size > log->pub_size ? TL_ERANGE : tl__merkle_range(read_subtree, r, 0, size, root);
    pthread_rwlock_unlock(&log->rw);
    tl_free(r);
    return rc;
}

int
tl_tlog_inclusion_proof(struct tl_tlog *log,
                        uint64_t index,
                        uint64_t size,
                        uint8_t (*proof)[TL_HASH_SIZE],
                        size_t *n_out)
{
    struct reader *r = reader_new(log);
    if (!r) {
        return TL_ENOMEM;
    }
    pthread_rwlock_rdlock(&log->rw);
    int rc = index >= size || size > log->pub_size
                 ? TL_ERANGE
                 : tl__merkle_inclusion(read_subtree, r, index, size, proof, n_out);
    pthread_rwlock_unlock(&log->rw);
    tl_free(r);
    return rc;
}

int
tl_tlog_consistency_proof(struct tl_tlog *log,
                          uint64_t size1,
                          uint64_t size2,
                          uint8_t (*proof)[TL_HASH_SIZE],
                          size_t *n_out)
{
    struct reader *r = reader_new(log);
    if (!r) {
        return TL_ENOMEM;
    }
    pthread_rwlock_rdlock(&log->rw);
    int rc = size1 == 0 || size1 > size2 || size2 > log->pub_size
                 ? TL_ERANGE
                 : tl__merkle_consistency(read_subtree, r, size1, size2, proof, n_out);
    pthread_rwlock_unlock(&log->rw);
    tl_free(r);
    return rc;
}

struct pick {
    size_t want;
    uint8_t *data;
    size_t len;
    bool found;
};

static int
pick_entry(void *ud, size_t i, const uint8_t *entry, size_t n)
{
    struct pick *p = ud;
    if (i != p->want) {
        return TL_OK;
    }
    p->data = tl_malloc(n);
    if (!p->data) {
        return TL_ENOMEM;
    }
    memcpy(p->data, entry, n);
    p->len = n;
    p->found = true;
    return TL_OK;
}

int
tl_tlog_entry(struct tl_tlog *log, uint64_t index, uint8_t **data_out, size_t *len_out)
{
    char path[128];
    uint8_t *data = NULL;
    size_t len = 0;
    struct pick p = {.want = (size_t)(index & 255)};
    int rc;
    pthread_rwlock_rdlock(&log->rw);
    bool ok = index < log->pub_size;
    pthread_rwlock_unlock(&log->rw);
    if (!ok) {
        return TL_ERANGE;
    }
    /* The bundle being filled lives in memory; completed ones are full files. */
    pthread_mutex_lock(&log->bundle_mu);
    if (index >> 8 == log->bundle_t) {
        rc = tl_bundle_parse((const uint8_t *)log->bundle.p, log->bundle.len, pick_entry, &p, NULL);
        pthread_mutex_unlock(&log->bundle_mu);
    } else {
        pthread_mutex_unlock(&log->bundle_mu);
        tl_tile_path(-1, index >> 8, TL__TILE_WIDTH, path, sizeof(path));
        rc = tl__read_file(log->dirfd, path, (size_t)TL__TILE_WIDTH * (TL_TLOG_ENTRY_MAX + 2),
                           &data, &len);
        if (rc != TL_OK) {
            return set_err(log, rc, "cannot read bundle %s", path);
        }
        rc = tl_bundle_parse(data, len, pick_entry, &p, NULL);
        tl_free(data);
    }
    if (rc == TL_OK && !p.found) {
        rc = set_err(log, TL_ESTORE, "bundle of entry %" PRIu64 " is short", index);
    }
    if (rc != TL_OK) {
        tl_free(p.data);
        return rc;
    }
    *data_out = p.data;
    *len_out = p.len;
    return TL_OK;
}

/* ------------------------------------------------------------------------ */
/* Create, open, recover                                                     */
/* ------------------------------------------------------------------------ */

static struct tl_tlog *
log_alloc(void)
{
    struct tl_tlog *log = tl_calloc(1, sizeof(*log));
    if (!log) {
        return NULL;
    }
    log->dirfd = -1;
    log->lockfd = -1;
    log->walfd = -1;
    log->trees = tl_calloc(TREE_CACHE_SLOTS, sizeof(struct tile_tree));
    log->edge_trees = tl_calloc(TL__LEVELS, sizeof(struct tile_tree));
    if (!log->trees || !log->edge_trees) {
        tl_free(log->trees);
        tl_free(log->edge_trees);
        tl_free(log);
        return NULL;
    }
    pthread_mutex_init(&log->tree_mu, NULL);
    pthread_mutex_init(&log->bundle_mu, NULL);
    pthread_rwlock_init(&log->rw, NULL);
    pthread_mutex_init(&log->mu, NULL);
    pthread_cond_init(&log->cv, NULL);
    pthread_mutex_init(&log->sign_mu, NULL);
    pthread_mutex_init(&log->err_mu, NULL);
    return log;
}

void
tl_tlog_free(struct tl_tlog *log)
{
    if (!log) {
        return;
    }
    if (log->walfd >= 0) {
        close(log->walfd);
    }
    if (log->lockfd >= 0) {
        close(log->lockfd);
    }
    if (log->dirfd >= 0) {
        close(log->dirfd);
    }
    tl__buf_free(&log->walbuf);
    tl_free(log->trees);
    tl_free(log->edge_trees);
    pthread_mutex_destroy(&log->tree_mu);
    pthread_mutex_destroy(&log->bundle_mu);
    tl_signer_free(log->signer);
    tl_verifier_free(log->verifier);
    tl_free(log->vkey);
    tl_policy_free(log->policy);
    tl_free(log->witness_old);
    tl__buf_free(&log->bundle);
    tl__dirset_free(&log->dirs);
    tl_free(log->dir);
    pthread_rwlock_destroy(&log->rw);
    pthread_mutex_destroy(&log->mu);
    pthread_cond_destroy(&log->cv);
    pthread_mutex_destroy(&log->sign_mu);
    pthread_mutex_destroy(&log->err_mu);
    tl_free(log);
}

static int
diag_from(struct tl_tlog *log, struct tl_diag *diag, int rc)
{
    if (diag && rc != TL_OK) {
        tl__diag(diag, rc, NULL, "%s", log->errmsg[0] ? log->errmsg : tl_strerror(rc));
    }
    return rc;
}

static int
take_lock(struct tl_tlog *log)
{
    if (tl__mkdirs(log->dirfd, ".state/lock") != TL_OK) {
        return set_err(log, TL_EIO, "cannot create .state: %s", strerror(errno));
    }
    log->lockfd = openat(log->dirfd, ".state/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (log->lockfd < 0) {
        return set_err(log, TL_EIO, "cannot open .state/lock: %s", strerror(errno));
    }
    if (flock(log->lockfd, LOCK_EX | LOCK_NB) != 0) {
        return set_err(log, TL_ESTATE, "the log is in use by another process");
    }
    return TL_OK;
}

static int
load_keys_and_policy(struct tl_tlog *log)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct tl_diag d = {0};
    int rc = tl__read_file(log->dirfd, "log.key", 4096, &data, &len);
    if (rc != TL_OK) {
        return set_err(log, rc == TL_ENOMEM || rc == TL_ENOTFOUND ? rc : TL_EIO,
                       "cannot read log.key");
    }
    rc = tl_signer_parse((const char *)data, len, &log->signer, &d);
    sodium_memzero(data, len);
    tl_free(data);
    if (rc != TL_OK) {
        return set_err(log, rc, "log.key: %s", d.text);
    }
    rc = tl_signer_vkey(log->signer, &log->vkey);
    if (rc == TL_OK) {
        rc = tl_verifier_parse(log->vkey, strlen(log->vkey), &log->verifier, &d);
    }
    if (rc != TL_OK) {
        return set_err(log, rc, "log key: %s", d.text);
    }
    rc = tl__read_file(log->dirfd, "policy", 1 << 20, &data, &len);
    if (rc == TL_ENOTFOUND) {
        return TL_OK;
    }
    if (rc != TL_OK) {
        return set_err(log, rc, "cannot read policy");
    }
    rc = tl_policy_parse((const char *)data, len, &log->policy, &d);
    tl_free(data);
    if (rc != TL_OK) {
        return set_err(log, rc, "policy:%ld: %s", d.line, d.text);
    }
    log->witness_old = tl_calloc(tl_policy_witness_count(log->policy) + 1, sizeof(uint64_t));
    return log->witness_old ? TL_OK : TL_ENOMEM;
}

static int
read_state(struct tl_tlog *log, uint64_t *size, uint8_t root[TL_HASH_SIZE])
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = tl__read_file(log->dirfd, ".state/tree", 4096, &data, &len);
    if (rc != TL_OK) {
        return set_err(log, rc == TL_ENOTFOUND ? TL_ESTORE : rc, "cannot read .state/tree");
    }
    const char *s = (const char *)data;
    size_t ml = strlen(STATE_MAGIC);
    const char *l2 = s + ml, *nl2, *nl3;
    rc = TL_ESTORE;
    if (len > ml && memcmp(s, STATE_MAGIC, ml) == 0 && strncmp(l2, "size ", 5) == 0 &&
        (nl2 = strchr(l2, '\n')) != NULL && tl__parse_u64(l2 + 5, (size_t)(nl2 - l2 - 5), size) &&
        strncmp(nl2 + 1, "root ", 5) == 0 && (nl3 = strchr(nl2 + 1, '\n')) != NULL &&
        tl_tlog_hash_parse(nl2 + 6, (size_t)(nl3 - nl2 - 6), root, NULL) == TL_OK) {
        rc = TL_OK;
    }
    tl_free(data);
    return rc == TL_OK ? TL_OK : set_err(log, rc, ".state/tree is malformed");
}

static bool
exists(int dirfd, const char *path)
{
    struct stat st;
    return fstatat(dirfd, path, &st, 0) == 0;
}

/*
 * Remove what an interrupted commit may have left beyond the committed size:
 * larger partials of the edge tile, its full tile, and any later tile.
 */
static void
remove_orphans(struct tl_tlog *log, int level, uint64_t count)
{
    uint64_t t = count >> 8;
    unsigned w = (unsigned)(count & 255);
    char path[128];
    if (w > 0) {
        tl_tile_path(level, t, TL__TILE_WIDTH, path, sizeof(path));
        unlinkat(log->dirfd, path, 0);
        pdir_path(level, t, path, sizeof(path));
        remove_partials(log->dirfd, path, w);
        t++;
    }
    for (;; t++) {
        bool any = false;
        tl_tile_path(level, t, TL__TILE_WIDTH, path, sizeof(path));
        if (exists(log->dirfd, path)) {
            any = true;
            unlinkat(log->dirfd, path, 0);
        }
        pdir_path(level, t, path, sizeof(path));
        if (exists(log->dirfd, path)) {
            any = true;
            remove_partials(log->dirfd, path, 0);
        }
        if (!any) {
            break;
        }
    }
}

/* Read the tile (or bundle) of `count` items' edge: the partial file, or a full one's prefix. */
static int
read_edge_file(struct tl_tlog *log, int level, uint64_t count, uint8_t **data, size_t *len)
{
    char path[128];
    size_t max = level < 0 ? (size_t)TL__TILE_WIDTH * (TL_TLOG_ENTRY_MAX + 2)
                           : TL__TILE_WIDTH * TL_HASH_SIZE;
    tl_tile_path(level, count >> 8, (unsigned)(count & 255), path, sizeof(path));
    int rc = tl__read_file(log->dirfd, path, max, data, len);
    if (rc == TL_ENOTFOUND) {
        tl_tile_path(level, count >> 8, TL__TILE_WIDTH, path, sizeof(path));
        rc = tl__read_file(log->dirfd, path, max, data, len);
    }
    if (rc != TL_OK) {
        return set_err(log, rc == TL_ENOTFOUND ? TL_ESTORE : rc, "cannot read %s", path);
    }
    return TL_OK;
}

struct bundle_check {
    struct tl_tlog *log;
    unsigned want;
    size_t end; /* byte length of the first `want` entries */
    size_t pos;
    bool bad;
};

static int
check_bundle_entry(void *ud, size_t i, const uint8_t *entry, size_t n)
{
    struct bundle_check *c = ud;
    uint8_t h[TL_HASH_SIZE];
    if (i >= c->want) {
        return TL_OK;
    }
    tl_tlog_leaf_hash(entry, n, h);
    if (sodium_memcmp(h, c->log->work[0].h[i], TL_HASH_SIZE) != 0) {
        c->bad = true;
    }
    c->pos += n + 2;
    if (i + 1 == c->want) {
        c->end = c->pos;
    }
    return TL_OK;
}

/*
 * Re-apply the acknowledged commits after the tile state from .state/wal, then
 * flush, so that the tiles and the state hold every acknowledged entry again.
 * `root` receives the root of the recovered tree.
 */
static int
replay_wal(struct tl_tlog *log, uint8_t root[TL_HASH_SIZE])
{
    uint8_t *data = NULL;
    size_t len = 0;
    uint64_t count[TL__LEVELS];
    int rc = tl__read_file(log->dirfd, ".state/wal", SIZE_MAX / 4, &data, &len);
    if (rc == TL_ENOTFOUND) {
        len = 0;
        rc = TL_OK;
    } else if (rc != TL_OK) {
        return set_err(log, rc, "cannot read .state/wal");
    }
    log->walfd = openat(log->dirfd, ".state/wal", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log->walfd < 0 || tl__fsync_dir(log->dirfd, ".state") != TL_OK) {
        tl_free(data);
        return set_err(log, TL_EIO, "cannot open .state/wal: %s", strerror(errno));
    }
    for (int l = 0; l < TL__LEVELS; l++) {
        count[l] = log->size >> (8 * l);
    }
    size_t pos = 0;
    while (rc == TL_OK && len - pos >= WAL_HDR) {
        const uint8_t *h = data + pos;
        uint64_t first = get_be(h + 4, 8), cnt = get_be(h + 12, 4), plen = get_be(h + 16, 4);
        uint8_t want[TL_HASH_SIZE];
        if (memcmp(h, WAL_MAGIC, 4) != 0 || plen > len - pos - WAL_HDR) {
            break; /* a torn last record: never acknowledged */
        }
        wal_hash(h, h + WAL_HDR, (size_t)plen, want);
        if (sodium_memcmp(want, h + 20, TL_HASH_SIZE) != 0) {
            break;
        }
        pos += WAL_HDR + (size_t)plen;
        if (first + cnt <= log->size) {
            continue; /* already in the tiles */
        }
        if (first != log->size) {
            rc = set_err(log, TL_ESTORE,
                         ".state/wal does not continue the tree (%" PRIu64 " after %" PRIu64 ")",
                         first, log->size);
            break;
        }
        const uint8_t *p = h + WAL_HDR, *end = p + plen;
        for (uint64_t i = 0; i < cnt && rc == TL_OK; i++) {
            if (end - p < 2 || (size_t)(end - p - 2) < ((size_t)p[0] << 8 | p[1])) {
                rc = set_err(log, TL_ESTORE, ".state/wal record is malformed");
                break;
            }
            size_t n = (size_t)p[0] << 8 | p[1];
            rc = add_entry(log, p + 2, n, count);
            p += 2 + n;
        }
        log->size = count[0];
    }
    tl_free(data);
    if (rc != TL_OK) {
        return rc;
    }
    if (log->size != log->tiles_size) {
        return flush_tiles(log, root);
    }
    if (len > 0 && (ftruncate(log->walfd, 0) != 0 || fdatasync(log->walfd) != 0)) {
        return set_err(log, TL_EIO, "truncating .state/wal: %s", strerror(errno));
    }
    log->wal_bytes = 0;
    return TL_OK;
}

static int
recover(struct tl_tlog *log, struct tl_diag *diag)
{
    uint64_t size;
    uint8_t root[TL_HASH_SIZE], got[TL_HASH_SIZE];
    int rc = read_state(log, &size, root);
    if (rc != TL_OK) {
        return rc;
    }
    if (size < log->signed_size) {
        /* Touch nothing: the tiles beyond `size` may be all that is left of the real log. */
        return set_err(log, TL_ESTORE,
                       "the committed tree (%" PRIu64 ") is behind the last signed checkpoint "
                       "(%" PRIu64 "): refusing to sign a rolled-back log",
                       size, log->signed_size);
    }
    for (int l = 0; l < TL__LEVELS; l++) {
        uint64_t c = size >> (8 * l);
        unsigned w = (unsigned)(c & 255);
        remove_orphans(log, l, c);
        log->work[l].w = w;
        if (w == 0) {
            continue;
        }
        uint8_t *data = NULL;
        size_t len = 0;
        rc = read_edge_file(log, l, c, &data, &len);
        if (rc != TL_OK) {
            return rc;
        }
        if (len < (size_t)w * TL_HASH_SIZE) {
            tl_free(data);
            return set_err(log, TL_ESTORE, "tile at level %d is shorter than the committed size",
                           l);
        }
        memcpy(log->work[l].h, data, (size_t)w * TL_HASH_SIZE);
        tl_free(data);
    }
    remove_orphans(log, -1, size);
    log->bundle_n = (unsigned)(size & 255);
    if (log->bundle_n > 0) {
        uint8_t *data = NULL;
        size_t len = 0;
        rc = read_edge_file(log, -1, size, &data, &len);
        if (rc != TL_OK) {
            return rc;
        }
        struct bundle_check c = {.log = log, .want = log->bundle_n};
        rc = tl_bundle_parse(data, len, check_bundle_entry, &c, NULL);
        if (rc != TL_OK || c.bad || c.end == 0) {
            tl_free(data);
            return set_err(log, rc == TL_ENOMEM ? rc : TL_ESTORE,
                           "the last entry bundle does not match its tile");
        }
        rc = tl__buf_add(&log->bundle, data, c.end, SIZE_MAX / 2);
        tl_free(data);
        if (rc != TL_OK) {
            return rc;
        }
    }
    edge_root(log->work, size, got);
    if (sodium_memcmp(got, root, TL_HASH_SIZE) != 0) {
        return set_err(log, TL_ESTORE, "the stored tiles do not give the committed root");
    }
    log->size = size;
    log->tiles_size = size;
    log->bundle_t = size >> 8;
    rc = replay_wal(log, root);
    if (rc != TL_OK) {
        return rc;
    }
    log->pub_size = log->size;
    memcpy(log->pub_root, root, TL_HASH_SIZE);
    memcpy(log->pub, log->work, sizeof(log->pub));
    (void)diag;
    return TL_OK;
}

/* Load the last signed checkpoint (before recovery touches any file). */
static int
load_signed(struct tl_tlog *log)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct tl_checkpoint cp;
    struct tl_diag d = {0};
    int rc = tl__read_file(log->dirfd, ".state/signed", TL_NOTE_MAX, &data, &len);
    if (rc == TL_ENOTFOUND) {
        return TL_OK;
    }
    if (rc != TL_OK) {
        return set_err(log, rc, "cannot read .state/signed");
    }
    rc = tl_checkpoint_open((const char *)data, len, log->verifier, &cp, &d);
    tl_free(data);
    if (rc != TL_OK) {
        return set_err(log, rc == TL_ENOMEM ? rc : TL_ESTORE, ".state/signed: %s", d.text);
    }
    log->signed_size = cp.size;
    memcpy(log->signed_root, cp.root, TL_HASH_SIZE);
    return TL_OK;
}

/* After recovery: the committed tree must extend the last signed checkpoint. */
static int
check_signed(struct tl_tlog *log)
{
    uint8_t root[TL_HASH_SIZE];
    if (log->signed_size == 0) {
        return TL_OK;
    }
    int rc = tl_tlog_root_at(log, log->signed_size, root);
    if (rc == TL_ENOMEM) {
        return rc;
    }
    if (rc != TL_OK || sodium_memcmp(root, log->signed_root, TL_HASH_SIZE) != 0) {
        return set_err(log, TL_ESTORE,
                       "the tree is not consistent with the last signed checkpoint");
    }
    return TL_OK;
}

static int
open_dir(struct tl_tlog *log, const char *dir, bool create)
{
    if (create && mkdir(dir, 0755) != 0 && errno != EEXIST) {
        return set_err(log, TL_EIO, "cannot create %s: %s", dir, strerror(errno));
    }
    log->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (log->dirfd < 0) {
        return set_err(log, errno == ENOENT ? TL_ENOTFOUND : TL_EIO, "cannot open %s: %s", dir,
                       strerror(errno));
    }
    log->dir = tl_strdup(dir);
    return log->dir ? TL_OK : TL_ENOMEM;
}

int
tl_tlog_open(const char *dir, struct tl_tlog **out, struct tl_diag *diag)
{
    if (!dir || !out) {
        return TL_EINVAL;
    }
    struct tl_tlog *log = log_alloc();
    if (!log) {
        return TL_ENOMEM;
    }
    int rc = open_dir(log, dir, false);
    if (rc == TL_OK && !exists(log->dirfd, ".state/tree")) {
        rc = set_err(log, TL_ENOTFOUND, "%s holds no log", dir);
    }
    if (rc == TL_OK) {
        rc = take_lock(log);
    }
    if (rc == TL_OK) {
        rc = load_keys_and_policy(log);
    }
    if (rc == TL_OK) {
        rc = load_signed(log);
    }
    if (rc == TL_OK) {
        rc = recover(log, diag);
    }
    if (rc == TL_OK) {
        rc = check_signed(log);
    }
    if (rc != TL_OK) {
        diag_from(log, diag, rc);
        tl_tlog_free(log);
        return rc;
    }
    *out = log;
    return TL_OK;
}

int
tl_tlog_create(const char *dir,
               const char *origin,
               const char *policy_text,
               struct tl_tlog **out,
               struct tl_diag *diag)
{
    if (!dir || !origin || !out) {
        return TL_EINVAL;
    }
    if (!tl__note_name_ok(origin, strlen(origin))) {
        return tl__diag(diag, TL_EINVAL, "origin",
                        "origin must be 1 to 255 bytes without spaces or '+'");
    }
    struct tl_policy *pol = NULL;
    if (policy_text) {
        int prc = tl_policy_parse(policy_text, strlen(policy_text), &pol, diag);
        if (prc != TL_OK) {
            return prc;
        }
        tl_policy_free(pol);
    }
    struct tl_tlog *log = log_alloc();
    struct tl_signer *s = NULL;
    char *skey = NULL, *vkey = NULL;
    if (!log) {
        return TL_ENOMEM;
    }
    int rc = open_dir(log, dir, true);
    if (rc == TL_OK && (exists(log->dirfd, ".state/tree") || exists(log->dirfd, "log.key"))) {
        rc = set_err(log, TL_EEXIST, "%s already holds a log", dir);
    }
    if (rc == TL_OK) {
        rc = take_lock(log);
    }
    if (rc == TL_OK) {
        rc = tl_signer_generate(origin, TL_SIG_ED25519, &s);
    }
    if (rc == TL_OK) {
        rc = tl_signer_format(s, &skey);
    }
    if (rc == TL_OK) {
        rc = tl_signer_vkey(s, &vkey);
    }
    if (rc == TL_OK) {
        size_t kl = strlen(skey);
        skey[kl] = '\n'; /* the NUL becomes the newline: write kl + 1 bytes */
        rc = tl__write_file(log->dirfd, "log.key", skey, kl + 1, 0600, NULL);
        sodium_memzero(skey, kl + 1);
        if (rc == TL_OK) {
            struct tl__buf b = {0};
            rc = tl__buf_printf(&b, 4096, "%s\n", vkey);
            if (rc == TL_OK) {
                rc = tl__write_file(log->dirfd, "log.vkey", b.p, b.len, 0644, NULL);
            }
            tl__buf_free(&b);
        }
        if (rc == TL_OK && policy_text) {
            rc = tl__write_file(log->dirfd, "policy", policy_text, strlen(policy_text), 0644, NULL);
        }
        if (rc == TL_OK) {
            uint8_t empty[TL_HASH_SIZE];
            crypto_hash_sha256(empty, NULL, 0);
            rc = write_state(log, 0, empty);
        }
        if (rc != TL_OK) {
            rc = set_err(log, rc, "cannot write the new log: %s", strerror(errno));
        }
    }
    tl_free(skey);
    tl_free(vkey);
    tl_signer_free(s);
    if (rc != TL_OK) {
        diag_from(log, diag, rc);
        tl_tlog_free(log);
        return rc;
    }
    /* Reopen through the ordinary path, so a new log is loaded exactly like an old one. */
    close(log->lockfd);
    log->lockfd = -1;
    tl_tlog_free(log);
    return tl_tlog_open(dir, out, diag);
}

/* ------------------------------------------------------------------------ */
/* Checkpoints                                                               */
/* ------------------------------------------------------------------------ */

int
tl_tlog_published(struct tl_tlog *log, char **note_out)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = tl__read_file(log->dirfd, "checkpoint", TL_NOTE_MAX, &data, &len);
    if (rc != TL_OK) {
        return rc;
    }
    *note_out = (char *)data;
    return TL_OK;
}

/* Ask witness i to cosign `note`; on success append its cosignature line to `cosigs`. */
static int
ask_witness(struct tl_tlog *log,
            size_t i,
            size_t text_len,
            const char *note,
            uint64_t size,
            struct tl__buf *cosigs,
            struct tl_diag *diag)
{
    const char *url = tl_policy_witness_url(log->policy, i);
    const struct tl_verifier *wk = tl_policy_witness_key(log->policy, i);
    int rc = TL_EIO;
    for (int attempt = 0; attempt < 2; attempt++) {
        uint64_t old = log->witness_old[i] <= size ? log->witness_old[i] : 0;
        struct tl__buf body = {0};
        uint8_t proof[TL_TLOG_PROOF_MAX][TL_HASH_SIZE];
        size_t np = 0;
        rc = tl__buf_printf(&body, TL_NOTE_MAX * 2, "old %" PRIu64 "\n", old);
        if (rc == TL_OK && old > 0 && old < size) {
            rc = tl_tlog_consistency_proof(log, old, size, proof, &np);
        }
        for (size_t k = 0; rc == TL_OK && k < np; k++) {
            char b64[45];
            tl_tlog_hash_format(proof[k], b64);
            rc = tl__buf_printf(&body, TL_NOTE_MAX * 2, "%s\n", b64);
        }
        if (rc == TL_OK) {
            rc = tl__buf_add(&body, "\n", 1, TL_NOTE_MAX * 2);
        }
        if (rc == TL_OK) {
            rc = tl__buf_add(&body, note, strlen(note), TL_NOTE_MAX * 2);
        }
        int status = 0;
        char *resp = NULL;
        size_t resp_len = 0;
        if (rc == TL_OK) {
            rc = tl__http_post(url, "add-checkpoint", body.p, body.len, WITNESS_TIMEOUT_MS, &status,
                               &resp, &resp_len, diag);
        }
        tl__buf_free(&body);
        if (rc != TL_OK) {
            return rc;
        }
        if (status == 409) {
            uint64_t s = 0;
            size_t l = strcspn(resp, "\n");
            bool ok = tl__parse_u64(resp, l, &s);
            tl_free(resp);
            if (!ok) {
                return tl__diag(diag, TL_EPARSE, "witness", "bad 409 body");
            }
            if (s > size) {
                /* The witness saw a larger tree of this log: ours was rolled back. */
                return tl__diag(diag, TL_ESTORE, "witness",
                                "has cosigned size %" PRIu64 ", larger than ours (%" PRIu64
                                "): this log was rolled back",
                                s, size);
            }
            log->witness_old[i] = s;
            continue;
        }
        if (status != 200) {
            tl__diag(diag, TL_ECRYPTO, "witness", "answered %d: %.100s", status, resp);
            tl_free(resp);
            return TL_ECRYPTO;
        }
        /* Keep only the lines that verify as this witness's cosignature of our text. */
        struct tl__buf full = {0};
        struct tl_note *n = NULL;
        rc = tl__buf_add(&full, note, strlen(note), TL_NOTE_MAX * 2);
        if (rc == TL_OK) {
            rc = tl__buf_add(&full, resp, resp_len, TL_NOTE_MAX * 2);
        }
        tl_free(resp);
        if (rc == TL_OK) {
            rc = tl_note_open(full.p, full.len, &wk, 1, &n, diag);
        }
        bool got = false;
        if (rc == TL_OK) {
            size_t tl2;
            tl_note_text(n, &tl2);
            if (tl2 != text_len) {
                rc = TL_ECRYPTO;
            }
            for (size_t k = 0; rc == TL_OK && k < tl_note_sig_count(n); k++) {
                if (tl_note_sig_verifier(n, k) == 0 && !got) {
                    size_t ll;
                    const char *line = tl_note_sig_line(n, k, &ll);
                    rc = tl__buf_add(cosigs, line, ll, TL_NOTE_MAX);
                    got = true;
                }
            }
        }
        tl_note_free(n);
        tl__buf_free(&full);
        if (rc == TL_OK && got) {
            log->witness_old[i] = size;
            return TL_OK;
        }
        return tl__diag(diag, TL_ECRYPTO, "witness", "no valid cosignature");
    }
    return tl__diag(diag, TL_ESTATE, "witness", "size conflict persists");
}

struct ask {
    struct tl_tlog *log;
    size_t i, text_len;
    const char *note;
    uint64_t size;
    struct tl__buf cosig;
    struct tl_diag diag;
    int rc;
    pthread_t th;
    bool started;
};

static void *
ask_thread(void *p)
{
    struct ask *a = p;
    a->rc = ask_witness(a->log, a->i, a->text_len, a->note, a->size, &a->cosig, &a->diag);
    return NULL;
}

/*
 * Ask every witness with a URL at once (one thread each), keep the
 * cosignatures in policy order, and check the quorum.
 */
static int
collect_cosignatures(struct tl_tlog *log,
                     size_t text_len,
                     const char *note,
                     uint64_t size,
                     struct tl__buf *cosigs)
{
    size_t nw = tl_policy_witness_count(log->policy), n_ok = 0;
    struct ask *asks = tl_calloc(nw + 1, sizeof(*asks));
    bool *cosigned = tl_calloc(nw + 1, sizeof(bool));
    int rc = asks && cosigned ? TL_OK : TL_ENOMEM;
    for (size_t i = 0; rc == TL_OK && i < nw; i++) {
        struct ask *a = &asks[i];
        *a = (struct ask){.log = log,
                          .i = i,
                          .text_len = text_len,
                          .note = note,
                          .size = size,
                          .rc = TL_ENOTFOUND};
        if (tl_policy_witness_url(log->policy, i)[0]) {
            a->started = pthread_create(&a->th, NULL, ask_thread, a) == 0;
            if (!a->started) {
                ask_thread(a);
            }
        }
    }
    for (size_t i = 0; asks && i < nw; i++) {
        struct ask *a = &asks[i];
        if (a->started) {
            pthread_join(a->th, NULL);
        }
        if (rc != TL_OK) {
            /* out of memory: only join and free */
        } else if (a->rc == TL_OK) {
            cosigned[i] = true;
            n_ok++;
            rc = tl__buf_add(cosigs, a->cosig.p, a->cosig.len, TL_NOTE_MAX);
        } else if (tl_policy_witness_url(log->policy, i)[0]) {
            TL_LOG(TL_LOG_WARN, "tlog", "witness %s: %s", tl_policy_witness_name(log->policy, i),
                   a->diag.text);
        }
        tl__buf_free(&a->cosig);
    }
    if (rc == TL_OK && !tl_policy_quorum_met(log->policy, cosigned)) {
        rc = set_err(log, TL_ESTATE,
                     "quorum not met: %zu of %zu witnesses cosigned size %" PRIu64
                     "; checkpoint not published",
                     n_ok, nw, size);
    }
    tl_free(asks);
    tl_free(cosigned);
    return rc;
}

static int
sign_and_publish(struct tl_tlog *log, char **note_out, struct tl_diag *diag)
{
    uint64_t size;
    uint8_t root[TL_HASH_SIZE], check[TL_HASH_SIZE];
    struct tl_checkpoint cp;
    char *text = NULL, *line = NULL;
    struct tl__buf note = {0}, cosigs = {0};
    int rc;
    /* Flush: the partial tiles of the size we sign must be on disk (tlog-tiles). */
    struct waiter fw = {.flush = true};
    rc = submit(log, &fw);
    if (rc != TL_OK) {
        return rc;
    }
    size = fw.flushed_size;
    memcpy(root, fw.flushed_root, TL_HASH_SIZE);
    if (size < log->signed_size) {
        return set_err(log, TL_ESTORE, "tree is behind the last signed checkpoint");
    }
    if (log->signed_size > 0) {
        rc = tl_tlog_root_at(log, log->signed_size, check);
        if (rc == TL_ENOMEM) {
            return rc;
        }
        if (rc != TL_OK || sodium_memcmp(check, log->signed_root, TL_HASH_SIZE) != 0) {
            return set_err(log, TL_ESTORE,
                           "refusing to sign: the tree is not consistent with the last signed "
                           "checkpoint");
        }
    }
    memset(&cp, 0, sizeof(cp));
    memcpy(cp.origin, tl_tlog_origin(log), strlen(tl_tlog_origin(log)) + 1);
    cp.size = size;
    memcpy(cp.root, root, TL_HASH_SIZE);
    rc = tl_checkpoint_format(&cp, &text);
    if (rc == TL_OK) {
        rc = tl_note_sign(log->signer, text, strlen(text), 0, &line);
    }
    if (rc == TL_OK) {
        rc = tl__buf_printf(&note, TL_NOTE_MAX, "%s\n", text);
    }
    if (rc == TL_OK) {
        rc = tl__buf_add(&note, line, strlen(line), TL_NOTE_MAX);
    }
    if (rc != TL_OK) {
        goto done;
    }
    /* Persist what we signed before anyone can see it. */
    rc = tl__write_file(log->dirfd, ".state/signed", note.p, note.len, 0600, NULL);
    if (rc != TL_OK) {
        rc = set_err(log, rc, "cannot write .state/signed: %s", strerror(errno));
        goto done;
    }
    log->signed_size = size;
    memcpy(log->signed_root, root, TL_HASH_SIZE);
    if (log->policy) {
        rc = collect_cosignatures(log, strlen(text), note.p, size, &cosigs);
        if (rc == TL_OK) {
            rc = tl__buf_add(&note, cosigs.p, cosigs.len, TL_NOTE_MAX);
        }
        if (rc != TL_OK) {
            goto done;
        }
    }
    rc = tl__write_file(log->dirfd, "checkpoint", note.p, note.len, 0644, NULL);
    if (rc != TL_OK) {
        rc = set_err(log, rc, "cannot write checkpoint: %s", strerror(errno));
        goto done;
    }
    if (note_out) {
        *note_out = note.p;
        note.p = NULL;
    }
done:
    tl_free(text);
    tl_free(line);
    tl__buf_free(&note);
    tl__buf_free(&cosigs);
    (void)diag;
    return rc;
}

int
tl_tlog_checkpoint(struct tl_tlog *log, char **note_out, struct tl_diag *diag)
{
    if (!log) {
        return TL_EINVAL;
    }
    pthread_mutex_lock(&log->sign_mu);
    int rc = sign_and_publish(log, note_out, diag);
    pthread_mutex_unlock(&log->sign_mu);
    return diag_from(log, diag, rc);
}

int
tl_tlog_proof_file(struct tl_tlog *log, uint64_t index, char **out)
{
    char *note = NULL;
    struct tl_checkpoint cp;
    uint8_t proof[TL_TLOG_PROOF_MAX][TL_HASH_SIZE];
    size_t np = 0;
    struct tl__buf b = {0};
    int rc = tl_tlog_published(log, &note);
    if (rc != TL_OK) {
        return rc;
    }
    rc = tl_checkpoint_open(note, strlen(note), log->verifier, &cp, NULL);
    if (rc == TL_OK && index >= cp.size) {
        rc = TL_ERANGE;
    }
    if (rc == TL_OK) {
        rc = tl_tlog_inclusion_proof(log, index, cp.size, proof, &np);
    }
    if (rc == TL_OK) {
        rc = tl__buf_printf(&b, 1 << 20, "c2sp.org/tlog-proof@v1\nindex %" PRIu64 "\n", index);
    }
    for (size_t i = 0; rc == TL_OK && i < np; i++) {
        char h[45];
        tl_tlog_hash_format(proof[i], h);
        rc = tl__buf_printf(&b, 1 << 20, "%s\n", h);
    }
    if (rc == TL_OK) {
        rc = tl__buf_printf(&b, 1 << 20, "\n");
    }
    if (rc == TL_OK) {
        rc = tl__buf_add(&b, note, strlen(note), 1 << 20);
    }
    tl_free(note);
    if (rc != TL_OK) {
        tl__buf_free(&b);
        return rc;
    }
    *out = b.p;
    return TL_OK;
}
