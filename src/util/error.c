/*
 * error.c - error text, diagnostics and the logging sink.
 *
 * Errors are negative ints (common.h).  Parsers describe what went wrong in a
 * struct tl_diag (file, line, field, text) that tools print as
 * "file:line: field: text".  Diagnostic logging goes to a sink installed by
 * the caller; by default nothing is printed, because a library must not write
 * to a program's standard streams.
 */
#include "util.h"

#include <stdio.h>
#include <string.h>

const char *
tl_strerror(int code)
{
    switch (code) {
    case TL_OK:
        return "success";
    case TL_ENOMEM:
        return "out of memory";
    case TL_EINVAL:
        return "invalid argument";
    case TL_ERANGE:
        return "value out of range";
    case TL_EIO:
        return "input/output error";
    case TL_EPARSE:
        return "parse error";
    case TL_ENOTFOUND:
        return "not found";
    case TL_ETOOBIG:
        return "too big";
    case TL_ESTORE:
        return "store error";
    case TL_ECRYPTO:
        return "signature or hash verification failed";
    case TL_EEXIST:
        return "already exists";
    case TL_ESTATE:
        return "not allowed in this state";
    case TL_EDUP:
        return "duplicate";
    default:
        return "unknown error";
    }
}

bool
tl__strlcpy(char *dst, const char *src, size_t size)
{
    if (size == 0) {
        return false;
    }
    size_t n = strlen(src);
    if (n >= size) {
        memcpy(dst, src, size - 1);
        dst[size - 1] = '\0';
        return false;
    }
    memcpy(dst, src, n + 1);
    return true;
}

int
tl__diag(struct tl_diag *d, int code, const char *field, const char *fmt, ...)
{
    if (!d) {
        return code;
    }
    tl__strlcpy(d->field, field ? field : "", sizeof(d->field));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->text, sizeof(d->text), fmt, ap);
    va_end(ap);
    return code;
}

void
tl__diag_where(struct tl_diag *d, const char *file, long line)
{
    if (!d) {
        return;
    }
    tl__strlcpy(d->file, file ? file : "", sizeof(d->file));
    d->line = line;
}

char *
tl_diag_format(const struct tl_diag *d, char *buf, size_t size)
{
    if (size == 0) {
        return buf;
    }
    buf[0] = '\0';
    size_t off = 0;
#define APPEND(...)                                                                                \
    do {                                                                                           \
        if (off < size) {                                                                          \
            int n_ = snprintf(buf + off, size - off, __VA_ARGS__);                                 \
            if (n_ > 0) {                                                                          \
                off += (size_t)n_;                                                                 \
            }                                                                                      \
        }                                                                                          \
    } while (0)
    if (d->file[0]) {
        APPEND("%s:", d->file);
        if (d->line > 0) {
            APPEND("%ld:", d->line);
        }
        APPEND(" ");
    }
    if (d->field[0]) {
        APPEND("%s: ", d->field);
    }
    APPEND("%s", d->text);
#undef APPEND
    return buf;
}

static tl_log_fn g_log_fn;
static void *g_log_ud;
static enum tl_log_level g_log_max = TL_LOG_ERROR;

void
tl_set_log(tl_log_fn fn, void *ud, enum tl_log_level max_level)
{
    g_log_fn = fn;
    g_log_ud = ud;
    g_log_max = max_level;
}

bool
tl__log_enabled(enum tl_log_level level)
{
    return g_log_fn && level <= g_log_max;
}

void
tl__log(enum tl_log_level level, const char *component, const char *func, const char *fmt, ...)
{
    if (!tl__log_enabled(level)) {
        return;
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    g_log_fn(g_log_ud, level, component, func, msg);
}
