/*
 * files.c - tile paths, entry bundles, durable files and a tiny HTTP client.
 *
 * Tile paths (c2sp.org/tlog-tiles): tile/<L>/<N>[.p/<W>] and
 * tile/entries/<N>[.p/<W>], where N is written in 3-digit groups, every group
 * but the last prefixed with 'x' (1234067 -> x001/x234/067), so that a plain
 * filesystem can hold any number of tiles and a static web server can serve
 * them unchanged.
 *
 * Durability: every file of the log is written to a temporary name in its own
 * directory, fdatasync'd, renamed over its final name, and its directory is
 * fsync'd (at once, or batched through a struct tl__dirset so that one commit
 * fsyncs each directory once).  A reader therefore sees either the old or the
 * new file, never a torn one, and after the directory fsync the rename itself
 * survives a crash.  Any failure is reported; the caller treats it as fatal
 * for the commit (after a failed fsync the page cache cannot be trusted).
 *
 * The HTTP client speaks just enough HTTP/1.1 for tlog-witness add-checkpoint
 * (one POST, "Connection: close", a bounded response), with a deadline on every
 * step.  It does plain http:// only: a witness across the Internet is reached
 * through a local TLS proxy (docs/tlog.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tlog_priv.h"

/* ------------------------------------------------------------------------ */
/* Tile paths                                                                */
/* ------------------------------------------------------------------------ */

int
tl_tile_path(int level, uint64_t n, unsigned width, char *buf, size_t size)
{
    char digits[32], out[128];
    size_t o = 0;
    if (level < -1 || level > 63 || width == 0 || width > TL__TILE_WIDTH) {
        return TL_EINVAL;
    }
    int nd = snprintf(digits, sizeof(digits), "%" PRIu64, n);
    size_t pad = (3 - (size_t)nd % 3) % 3;
    char padded[40];
    memset(padded, '0', pad);
    memcpy(padded + pad, digits, (size_t)nd + 1);
    size_t groups = ((size_t)nd + pad) / 3;
    if (level < 0) {
        o += (size_t)snprintf(out + o, sizeof(out) - o, "tile/entries/");
    } else {
        o += (size_t)snprintf(out + o, sizeof(out) - o, "tile/%d/", level);
    }
    for (size_t g = 0; g < groups; g++) {
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%.3s%s", g + 1 < groups ? "x" : "",
                              padded + 3 * g, g + 1 < groups ? "/" : "");
    }
    if (width < TL__TILE_WIDTH) {
        o += (size_t)snprintf(out + o, sizeof(out) - o, ".p/%u", width);
    }
    if (o + 1 > size) {
        return TL_ERANGE;
    }
    memcpy(buf, out, o + 1);
    return TL_OK;
}

static bool
digits3(const char *s)
{
    return s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9';
}

int
tl_tile_path_parse(const char *path, int *level, uint64_t *n, unsigned *width, struct tl_diag *diag)
{
    const char *p = path;
    int lv;
    uint64_t idx = 0;
    unsigned w = TL__TILE_WIDTH;
    if (strncmp(p, "tile/", 5) != 0) {
        return tl__diag(diag, TL_EPARSE, "path", "tile path does not start with tile/");
    }
    p += 5;
    if (strncmp(p, "entries/", 8) == 0) {
        lv = -1;
        p += 8;
    } else {
        const char *sl = strchr(p, '/');
        uint64_t v;
        if (!sl || !tl__parse_u64(p, (size_t)(sl - p), &v) || v > 63) {
            return tl__diag(diag, TL_EPARSE, "path", "tile level is not a number from 0 to 63");
        }
        lv = (int)v;
        p = sl + 1;
    }
    size_t groups = 0;
    for (;;) {
        bool last = p[0] != 'x';
        const char *g = last ? p : p + 1;
        if (!digits3(g)) {
            return tl__diag(diag, TL_EPARSE, "path", "tile index group is not 3 digits");
        }
        uint64_t v =
            (uint64_t)(g[0] - '0') * 100 + (uint64_t)(g[1] - '0') * 10 + (uint64_t)(g[2] - '0');
        if (groups > 0 && idx > (UINT64_MAX - v) / 1000) {
            return tl__diag(diag, TL_EPARSE, "path", "tile index is too large");
        }
        if (groups > 0 && idx == 0) {
            return tl__diag(diag, TL_EPARSE, "path", "tile index has a leading zero group");
        }
        idx = idx * 1000 + v;
        groups++;
        p = g + 3;
        if (last) {
            break;
        }
        if (p[0] != '/') {
            return tl__diag(diag, TL_EPARSE, "path", "tile index group is not followed by /");
        }
        p++;
    }
    if (groups > 7) {
        return tl__diag(diag, TL_EPARSE, "path", "tile index is too large");
    }
    if (p[0] == '.') {
        uint64_t v;
        if (strncmp(p, ".p/", 3) != 0 || !tl__parse_u64(p + 3, strlen(p + 3), &v) || v == 0 ||
            v >= TL__TILE_WIDTH) {
            return tl__diag(diag, TL_EPARSE, "path", "partial width is not a number from 1 to 255");
        }
        w = (unsigned)v;
    } else if (p[0] != '\0') {
        return tl__diag(diag, TL_EPARSE, "path", "unexpected text after the tile index");
    }
    *level = lv;
    *n = idx;
    *width = w;
    return TL_OK;
}

int
tl_bundle_parse(const uint8_t *data,
                size_t len,
                int (*fn)(void *ud, size_t i, const uint8_t *entry, size_t n),
                void *ud,
                struct tl_diag *diag)
{
    size_t pos = 0, i = 0;
    while (pos < len) {
        if (i >= TL__TILE_WIDTH) {
            return tl__diag(diag, TL_EPARSE, "bundle", "entry bundle holds more than 256 entries");
        }
        if (len - pos < 2) {
            return tl__diag(diag, TL_EPARSE, "bundle", "entry %zu: truncated length", i);
        }
        size_t n = (size_t)data[pos] << 8 | data[pos + 1];
        pos += 2;
        if (len - pos < n) {
            return tl__diag(diag, TL_EPARSE, "bundle", "entry %zu: truncated (%zu of %zu bytes)", i,
                            len - pos, n);
        }
        if (fn) {
            int rc = fn(ud, i, data + pos, n);
            if (rc != TL_OK) {
                return rc;
            }
        }
        pos += n;
        i++;
    }
    return TL_OK;
}

/* ------------------------------------------------------------------------ */
/* Durable files                                                             */
/* ------------------------------------------------------------------------ */

int
tl__fsync_dir(int dirfd, const char *path)
{
    int fd = openat(dirfd, path[0] ? path : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return TL_EIO;
    }
    int rc = fsync(fd) == 0 ? TL_OK : TL_EIO;
    close(fd);
    return rc;
}

/* The folder part of path ("" for none) into dir. */
static void
parent_of(const char *path, char *dir, size_t size)
{
    const char *sl = strrchr(path, '/');
    size_t n = sl ? (size_t)(sl - path) : 0;
    if (n >= size) {
        n = size - 1;
    }
    memcpy(dir, path, n);
    dir[n] = '\0';
}

int
tl__mkdirs(int dirfd, const char *path)
{
    char buf[512];
    if (!tl__strlcpy(buf, path, sizeof(buf))) {
        return TL_ERANGE;
    }
    for (char *p = buf; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        if (mkdirat(dirfd, buf, 0755) == 0) {
            char parent[512];
            parent_of(buf, parent, sizeof(parent));
            if (tl__fsync_dir(dirfd, parent) != TL_OK) {
                return TL_EIO;
            }
        } else if (errno != EEXIST) {
            return TL_EIO;
        }
        *p = '/';
    }
    return TL_OK;
}

static int
dirset_add(struct tl__dirset *d, const char *dir)
{
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->path[i], dir) == 0) {
            return TL_OK;
        }
    }
    void *p = d->path;
    int rc = tl__grow(&p, &d->cap, d->n + 1, sizeof(*d->path), 4096);
    if (rc != TL_OK) {
        return rc;
    }
    d->path = p;
    tl__strlcpy(d->path[d->n++], dir, sizeof(d->path[0]));
    return TL_OK;
}

int
tl__sync_dirs(int dirfd, struct tl__dirset *dirs)
{
    int rc = TL_OK;
    for (size_t i = 0; i < dirs->n && rc == TL_OK; i++) {
        rc = tl__fsync_dir(dirfd, dirs->path[i]);
    }
    dirs->n = 0;
    return rc;
}

void
tl__dirset_free(struct tl__dirset *dirs)
{
    tl_free(dirs->path);
    dirs->path = NULL;
    dirs->n = dirs->cap = 0;
}

int
tl__write_file(int dirfd,
               const char *path,
               const void *data,
               size_t len,
               mode_t mode,
               struct tl__dirset *dirs)
{
    char dir[512], tmp[600];
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    parent_of(path, dir, sizeof(dir));
    snprintf(tmp, sizeof(tmp), "%s%s.%s.tmp", dir, dir[0] ? "/" : "", base);
    int rc = tl__mkdirs(dirfd, path);
    if (rc != TL_OK) {
        return rc;
    }
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        return TL_EIO;
    }
    const uint8_t *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            close(fd);
            unlinkat(dirfd, tmp, 0);
            return TL_EIO;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fdatasync(fd) != 0) {
        close(fd);
        return TL_EIO;
    }
    if (close(fd) != 0 || renameat(dirfd, tmp, dirfd, path) != 0) {
        return TL_EIO;
    }
    return dirs ? dirset_add(dirs, dir) : tl__fsync_dir(dirfd, dir);
}

int
tl__read_file(int dirfd, const char *path, size_t max, uint8_t **data, size_t *len)
{
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? TL_ENOTFOUND : TL_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return TL_EIO;
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return TL_ETOOBIG;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = tl_malloc(n + 1);
    if (!buf) {
        close(fd);
        return TL_ENOMEM;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    if (got != n) {
        tl_free(buf);
        return TL_EIO;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return TL_OK;
}

/* ------------------------------------------------------------------------ */
/* HTTP client (POST only)                                                   */
/* ------------------------------------------------------------------------ */

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
wait_fd(int fd, short ev, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            return TL_EIO;
        }
        struct pollfd p = {.fd = fd, .events = ev};
        int r = poll(&p, 1, (int)left);
        if (r > 0) {
            return TL_OK;
        }
        if (r < 0 && errno != EINTR) {
            return TL_EIO;
        }
    }
}

/* Does a header named `name` (lowercase, with colon) hold `value` (case-insensitive)? */
static bool
header_has(const char *head, const char *name, const char *value)
{
    size_t nl = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        const char *h = line + 2;
        if (strncasecmp(h, name, nl) == 0) {
            const char *end = strstr(h, "\r\n");
            size_t len = end ? (size_t)(end - h) : strlen(h);
            for (size_t i = nl; i + strlen(value) <= len; i++) {
                if (strncasecmp(h + i, value, strlen(value)) == 0) {
                    return true;
                }
            }
        }
    }
    return false;
}

/* Decode a chunked body into out (at most len bytes); 0 on success. */
static int
dechunk(const char *in, size_t len, char *out, size_t *out_len)
{
    size_t pos = 0, o = 0;
    for (;;) {
        const char *crlf = memchr(in + pos, '\n', len - pos);
        if (!crlf) {
            return -1;
        }
        char *end = NULL;
        unsigned long n = strtoul(in + pos, &end, 16);
        if (end == in + pos) {
            return -1;
        }
        pos = (size_t)(crlf - in) + 1;
        if (n == 0) {
            *out_len = o;
            return 0;
        }
        if (n > len - pos || o + n > len) {
            return -1;
        }
        memcpy(out + o, in + pos, n);
        o += n;
        pos += n;
        if (pos + 2 > len || in[pos] != '\r' || in[pos + 1] != '\n') {
            return -1;
        }
        pos += 2;
    }
}

int
tl__http_post(const char *url,
              const char *suffix,
              const char *body,
              size_t len,
              int timeout_ms,
              int *status,
              char **resp,
              size_t *resp_len,
              struct tl_diag *diag)
{
    char host[256], port[8] = "80", path[512];
    const char *p = url;
    int fd = -1, rc;
    struct addrinfo *ai = NULL;
    struct tl__buf req = {0}, in = {0};
    int64_t deadline = now_ms() + timeout_ms;
    if (strncmp(p, "http://", 7) != 0) {
        return tl__diag(diag, TL_EINVAL, "url", "only http:// witness URLs are supported");
    }
    p += 7;
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= sizeof(host)) {
        return tl__diag(diag, TL_EINVAL, "url", "URL has no host");
    }
    memcpy(host, p, hl);
    host[hl] = '\0';
    p += hl;
    if (*p == ':') {
        size_t pl = strcspn(p + 1, "/");
        if (pl == 0 || pl >= sizeof(port)) {
            return tl__diag(diag, TL_EINVAL, "url", "URL has a bad port");
        }
        memcpy(port, p + 1, pl);
        port[pl] = '\0';
        p += 1 + pl;
    }
    const char *pre = *p ? p : "/";
    size_t pre_len = strlen(pre);
    while (pre_len > 0 && pre[pre_len - 1] == '/') {
        pre_len--;
    }
    snprintf(path, sizeof(path), "%.*s/%s", (int)pre_len, pre, suffix);

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai) {
        rc = tl__diag(diag, TL_EIO, "url", "cannot resolve %s", host);
        goto done;
    }
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
        rc = tl__diag(diag, TL_EIO, "url", "socket: %s", strerror(errno));
        goto done;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
        rc = tl__diag(diag, TL_EIO, "url", "connect to %s:%s: %s", host, port, strerror(errno));
        goto done;
    }
    int err = 0;
    socklen_t el = sizeof(err);
    if (wait_fd(fd, POLLOUT, deadline) != TL_OK ||
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
        rc = tl__diag(diag, TL_EIO, "url", "connect to %s:%s failed: %s", host, port,
                      err ? strerror(err) : "timeout");
        goto done;
    }
    rc = tl__buf_printf(&req, 1 << 20,
                        "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: text/plain\r\n"
                        "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                        path, host, port, len);
    if (rc == TL_OK) {
        rc = tl__buf_add(&req, body, len, 1 << 20);
    }
    if (rc != TL_OK) {
        goto done;
    }
    for (size_t off = 0; off < req.len;) {
        if (wait_fd(fd, POLLOUT, deadline) != TL_OK) {
            rc = tl__diag(diag, TL_EIO, "url", "timeout sending to %s", url);
            goto done;
        }
        ssize_t w = send(fd, req.p + off, req.len - off, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        if (w <= 0) {
            rc = tl__diag(diag, TL_EIO, "url", "send to %s: %s", url, strerror(errno));
            goto done;
        }
        off += (size_t)w;
    }
    for (;;) {
        char chunk[4096];
        if (wait_fd(fd, POLLIN, deadline) != TL_OK) {
            rc = tl__diag(diag, TL_EIO, "url", "timeout reading from %s", url);
            goto done;
        }
        ssize_t r = recv(fd, chunk, sizeof(chunk), 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        if (r < 0) {
            rc = tl__diag(diag, TL_EIO, "url", "recv from %s: %s", url, strerror(errno));
            goto done;
        }
        if (r == 0) {
            break;
        }
        rc = tl__buf_add(&in, chunk, (size_t)r, 1 << 20);
        if (rc != TL_OK) {
            rc = tl__diag(diag, TL_ETOOBIG, "url", "response from %s is too large", url);
            goto done;
        }
    }
    int st = 0;
    char *hend = in.p ? strstr(in.p, "\r\n\r\n") : NULL;
    if (!hend || sscanf(in.p, "HTTP/1.%*d %d", &st) != 1) {
        rc = tl__diag(diag, TL_EPARSE, "url", "malformed HTTP response from %s", url);
        goto done;
    }
    size_t boff = (size_t)(hend + 4 - in.p);
    size_t blen = in.len - boff;
    char *b = tl_malloc(blen + 1);
    if (!b) {
        rc = TL_ENOMEM;
        goto done;
    }
    *hend = '\0';
    if (header_has(in.p, "transfer-encoding:", "chunked")) {
        if (dechunk(in.p + boff, blen, b, &blen) != 0) {
            tl_free(b);
            rc = tl__diag(diag, TL_EPARSE, "url", "malformed chunked response from %s", url);
            goto done;
        }
    } else {
        memcpy(b, in.p + boff, blen);
    }
    b[blen] = '\0';
    *status = st;
    *resp = b;
    *resp_len = blen;
    rc = TL_OK;
done:
    if (fd >= 0) {
        close(fd);
    }
    if (ai) {
        freeaddrinfo(ai);
    }
    tl__buf_free(&req);
    tl__buf_free(&in);
    return rc;
}
