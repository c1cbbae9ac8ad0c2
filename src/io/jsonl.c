/*
 * jsonl.c - streaming JSON Lines reader with line numbers and a hard line cap.
 *
 * The reader owns one buffer of max_line + a read chunk.  It scans for "\n",
 * hands out the line in place (NUL-terminated), and compacts the buffer when
 * the next line would not fit.  A line longer than max_line is not kept: the
 * reader reports TL_ETOOBIG once, then discards bytes up to the next newline.
 * Memory therefore stays about max_line whatever the input size (the
 * constant-memory rule of formats.md's consumers).
 */
#include <truceline/jsonl.h>

#include "../util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define CHUNK 65536

struct tl_jsonl {
    int fd;
    bool own_fd;
    bool eof;
    bool skipping;      /* discarding the rest of an over-long line */
    long lineno;        /* number of the line last returned or skipped */
    size_t max_line;
    char *buf;          /* cap bytes; [start, end) holds unread input */
    size_t cap, start, end;
    char name[256];
};

static int
open_common(int fd, bool own, const char *name, size_t max_line, struct tl_jsonl **out)
{
    struct tl_jsonl *r = tl_calloc(1, sizeof(*r));
    if (!r) {
        return TL_ENOMEM;
    }
    r->fd = fd;
    r->own_fd = own;
    r->max_line = max_line ? max_line : TL_JSONL_DEFAULT_MAX_LINE;
    r->cap = r->max_line + CHUNK + 1;
    r->buf = tl_malloc(r->cap);
    if (!r->buf) {
        tl_free(r);
        return TL_ENOMEM;
    }
    tl__strlcpy(r->name, name ? name : "<fd>", sizeof(r->name));
    *out = r;
    return TL_OK;
}

int
tl_jsonl_open(const char *path, size_t max_line, struct tl_jsonl **out, struct tl_diag *diag)
{
    if (!path || !out) {
        return TL_EINVAL;
    }
    if (strcmp(path, "-") == 0) {
        return open_common(0, false, "-", max_line, out);
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        tl__diag_where(diag, path, 0);
        return tl__diag(diag, TL_EIO, NULL, "cannot open: %s", strerror(errno));
    }
    int rc = open_common(fd, true, path, max_line, out);
    if (rc != TL_OK) {
        close(fd);
    }
    return rc;
}

int
tl_jsonl_open_fd(int fd, const char *name, size_t max_line, struct tl_jsonl **out,
                 struct tl_diag *diag)
{
    (void)diag;
    if (fd < 0 || !out) {
        return TL_EINVAL;
    }
    return open_common(fd, false, name, max_line, out);
}

/* Read more input after `end`; compacts first.  Returns bytes read, 0 at EOF, <0 on error. */
static ssize_t
fill(struct tl_jsonl *r)
{
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    size_t room = r->cap - 1 - r->end;
    if (room == 0) {
        return 0;
    }
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->end, room < CHUNK ? room : CHUNK);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n > 0) {
            r->end += (size_t)n;
        }
        return n;
    }
}

static bool
blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
            return false;
        }
    }
    return true;
}

int
tl_jsonl_next(struct tl_jsonl *r, const char **line, size_t *len, struct tl_diag *diag)
{
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (r->skipping) {
            if (nl) {
                r->start = (size_t)(nl - r->buf) + 1;
                r->skipping = false;
                continue;
            }
            r->start = r->end = 0; /* discard what we have of the long line */
        } else if (nl || (r->eof && r->end > r->start)) {
            size_t n = nl ? (size_t)(nl - (r->buf + r->start)) : r->end - r->start;
            char *s = r->buf + r->start;
            r->start += n + (nl ? 1 : 0);
            r->lineno++;
            if (n > r->max_line) {
                tl__diag_where(diag, r->name, r->lineno);
                return tl__diag(diag, TL_ETOOBIG, NULL, "line longer than %zu bytes", r->max_line);
            }
            if (n > 0 && s[n - 1] == '\r') {
                n--;
            }
            if (blank(s, n)) {
                continue;
            }
            s[n] = '\0';
            *line = s;
            *len = n;
            return 1;
        } else if (r->end - r->start > r->max_line) {
            /* No newline within max_line bytes: report once, then skip to the newline. */
            r->lineno++;
            r->skipping = true;
            r->start = r->end = 0;
            tl__diag_where(diag, r->name, r->lineno);
            return tl__diag(diag, TL_ETOOBIG, NULL, "line longer than %zu bytes", r->max_line);
        }
        if (r->eof) {
            return 0;
        }
        ssize_t got = fill(r);
        if (got < 0) {
            tl__diag_where(diag, r->name, r->lineno + 1);
            return tl__diag(diag, TL_EIO, NULL, "read failed: %s", strerror(errno));
        }
        if (got == 0) {
            r->eof = true;
        }
    }
}

long
tl_jsonl_lineno(const struct tl_jsonl *r)
{
    return r->lineno;
}

const char *
tl_jsonl_name(const struct tl_jsonl *r)
{
    return r->name;
}

void
tl_jsonl_free(struct tl_jsonl *r)
{
    if (!r) {
        return;
    }
    if (r->own_fd) {
        close(r->fd);
    }
    tl_free(r->buf);
    tl_free(r);
}
