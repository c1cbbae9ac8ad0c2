/*
 * buf.c - a growable text buffer with a hard cap, for building responses.
 *
 * Responses that concatenate stored GeoJSON features (a page of findings, a
 * history) are built by appending bytes, not by parsing and re-serialising
 * every feature: the stored bytes are what the log committed to and what a
 * party compares.  Every buffer has a maximum (curl's "toobig"): an append
 * past it fails, the buffer remembers the failure and the handler answers 500
 * or 413 instead of growing without bound.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <truceline/time.h>

#include "server_priv.h"

void
tl__sbuf_init(struct tl__sbuf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void
tl__sbuf_fini(struct tl__sbuf *b)
{
    tl_free(b->p);
    memset(b, 0, sizeof(*b));
}

void
tl__sbuf_add(struct tl__sbuf *b, const char *s, size_t n)
{
    if (b->failed) {
        return;
    }
    if (b->n + n + 1 > b->max ||
        tl__grow((void **)&b->p, &b->cap, b->n + n + 1, 1, b->max) != TL_OK) {
        b->failed = true;
        return;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void
tl__sbuf_str(struct tl__sbuf *b, const char *s)
{
    tl__sbuf_add(b, s, strlen(s));
}

void
tl__sbuf_printf(struct tl__sbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        b->failed = true;
        return;
    }
    tl__sbuf_add(b, tmp, (size_t)n);
}

void
tl__sbuf_json_str(struct tl__sbuf *b, const char *s)
{
    tl__sbuf_add(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            tl__sbuf_add(b, e, 2);
        } else if (*p < 0x20) {
            char e[8];
            snprintf(e, sizeof(e), "\\u%04x", *p);
            tl__sbuf_add(b, e, 6);
        } else {
            tl__sbuf_add(b, (const char *)p, 1);
        }
    }
    tl__sbuf_add(b, "\"", 1);
}

const char *
tl__fmt_time(tl_time_ns t, char *buf)
{
    if (tl_time_format(t, buf, TL_TIME_TEXT_MAX) != TL_OK) {
        buf[0] = '\0';
    }
    return buf;
}
