/*
 * mseed.c - miniSEED 2 records as blocks of samples (formats.md section 6).
 *
 * libmseed 2 (C. Trabant, IRIS/EarthScope) parses and decodes one record at
 * a time from a memory buffer with msr_parse(); we keep our own read buffer,
 * so the same code serves files and memory (the fuzz harness), every problem
 * can be named by its byte offset, and nothing is read twice.  A record
 * libmseed rejects is reported ("file: offset N: reason") and skipped: the
 * reader then looks for the next record start at 64-byte steps (records are
 * at least 128 bytes and aligned on their length), and gives up on a file
 * that yields no record in its first MAX_JUNK bytes.  libmseed's own
 * messages go to the library log at debug level, never to stderr.
 *
 * Codes: the station code is the station id, the location code the array
 * element ("" and "  " are element 0), the channel's instrument code (its
 * second letter) must be D (pressure); other channels are skipped.
 * Samples come as integers (counts: the detector divides them by its gain),
 * or as floats, also divided by the gain (1 by default: pascal).
 */
#include "detect_priv.h"
#include "src_priv.h"

#include <errno.h>
#include <libmseed.h>
#include <stdio.h>
#include <string.h>

#define READ_CHUNK (64u * 1024u)
#define MAX_RECLEN (1u << 20)
#define MAX_JUNK   (1u << 20)

static void
ms_to_log(char *msg)
{
    if (msg) {
        size_t n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
            msg[--n] = '\0';
        }
        TL_LOG(TL_LOG_DEBUG, "mseed", "libmseed: %s", msg);
    }
}

/* libmseed logs through global hooks: route them to the library's log sink. */
static void
quiet_libmseed(void)
{
    ms_loginit(ms_to_log, NULL, ms_to_log, NULL);
}

static int
refill(struct tl__src *s, size_t want)
{
    /* Keep the unread tail at the front, then read until `want` bytes are buffered. */
    if (s->off > 0) {
        memmove(s->buf, s->buf + s->off, s->len - s->off);
        s->base += s->off;
        s->len -= s->off;
        s->off = 0;
    }
    if (want > MAX_RECLEN + READ_CHUNK) {
        want = MAX_RECLEN + READ_CHUNK;
    }
    if (s->cap < want) {
        unsigned char *nb = tl_realloc(s->buf, want);
        if (!nb) {
            return TL_ENOMEM;
        }
        s->buf = nb;
        s->cap = want;
    }
    while (s->len < want && !s->eof) {
        size_t got;
        if (s->f) {
            got = fread(s->buf + s->len, 1, want - s->len, s->f);
            if (got == 0) {
                if (ferror(s->f)) {
                    return TL_EIO;
                }
                s->eof = true;
            }
        } else {
            size_t rest = s->mem_len - s->mem_pos;
            got = rest < want - s->len ? rest : want - s->len;
            memcpy(s->buf + s->len, s->mem + s->mem_pos, got);
            s->mem_pos += got;
            if (s->mem_pos >= s->mem_len) {
                s->eof = true;
            }
        }
        s->len += got;
    }
    return TL_OK;
}

static int
mseed_init(struct tl__src *s, const char *name)
{
    s->kind = TL__SRC_MSEED;
    tl__strlcpy(s->name, name, sizeof(s->name));
    quiet_libmseed();
    return refill(s, READ_CHUNK);
}

int
tl__src_mseed_file(const char *path, struct tl__src **out, struct tl_diag *diag)
{
    struct tl__src *s = tl_calloc(1, sizeof(*s));
    if (!s) {
        return TL_ENOMEM;
    }
    s->f = fopen(path, "rb");
    if (!s->f) {
        int e = errno;
        tl_free(s);
        tl__diag_where(diag, path, 0);
        return tl__diag(diag, TL_EIO, NULL, "%s", strerror(e));
    }
    int rc = mseed_init(s, path);
    if (rc != TL_OK) {
        tl__diag_where(diag, path, 0);
        tl__diag(diag, rc, NULL, "%s", rc == TL_EIO ? strerror(errno) : tl_strerror(rc));
        tl__src_free(s);
        return rc;
    }
    *out = s;
    return TL_OK;
}

int
tl__src_mseed_mem(const void *buf, size_t len, const char *name, struct tl__src **out,
                  struct tl_diag *diag)
{
    (void)diag;
    struct tl__src *s = tl_calloc(1, sizeof(*s));
    if (!s) {
        return TL_ENOMEM;
    }
    s->mem = buf;
    s->mem_len = len;
    s->eof = len == 0;
    int rc = mseed_init(s, name ? name : "<memory>");
    if (rc != TL_OK) {
        tl__src_free(s);
        return rc;
    }
    *out = s;
    return TL_OK;
}

static int
bad(struct tl__src *s, struct tl_diag *diag, unsigned long long at, const char *fmt, ...)
    TL_PRINTF(4, 5);

static int
bad(struct tl__src *s, struct tl_diag *diag, unsigned long long at, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    TL_LOG(TL_LOG_WARN, "mseed", "%s: offset %llu: %s", s->name, at, msg);
    tl__diag_where(diag, s->name, 0);
    return tl__diag(diag, TL_EPARSE, NULL, "offset %llu: %s", at, msg);
}

/* Our own words for libmseed's codes (stable whatever its version says). */
static const char *
ms_text(int rc)
{
    switch (rc) {
    case MS_NOTSEED:
        return "not a miniSEED record";
    case MS_WRONGLENGTH:
        return "record length does not match its header";
    case MS_OUTOFRANGE:
        return "record length out of range";
    case MS_UNKNOWNFORMAT:
        return "unknown data encoding";
    case MS_STBADCOMPFLAG:
        return "corrupt Steim compression";
    default:
        return "unreadable record";
    }
}

/* Why a parsed header cannot be decoded safely, or NULL. */
static const char *
check_header(const MSRecord *m)
{
    int64_t n = m->samplecnt;
    if (n <= 0) {
        return NULL; /* no samples: nothing is decoded */
    }
    /* hptime_t counts microseconds */
    if (m->starttime < TL__WAVE_T_MIN_NS / 1000 || m->starttime >= TL__WAVE_T_MAX_NS / 1000) {
        return "start time outside 1970-2200";
    }
    if (!m->fsdh || m->fsdh->data_offset < 48 || m->fsdh->data_offset >= m->reclen) {
        return "data offset outside the record";
    }
    int64_t bytes = m->reclen - (int64_t)m->fsdh->data_offset;
    int64_t most;
    switch (m->encoding) {
    case DE_INT16:
        most = bytes / 2;
        break;
    case DE_INT32:
    case DE_FLOAT32:
        most = bytes / 4;
        break;
    case DE_FLOAT64:
        most = bytes / 8;
        break;
    case DE_STEIM1:
        most = bytes / 64 * 15 * 4;
        break;
    case DE_STEIM2:
        most = bytes / 64 * 15 * 7;
        break;
    default:
        return "unsupported data encoding (not integer, float or Steim)";
    }
    return n > most ? "more samples than the record can hold" : NULL;
}

/* Element number of a location code: "", "  " -> 0, "00".."99" -> n, else -1. */
static int
element_of(const char *loc)
{
    size_t n = strlen(loc);
    while (n > 0 && loc[n - 1] == ' ') {
        n--;
    }
    if (n == 0) {
        return 0;
    }
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (loc[i] < '0' || loc[i] > '9' || i >= 2) {
            return -1;
        }
        v = v * 10 + (loc[i] - '0');
    }
    return v;
}

/* Turn the decoded record into a block; 0 when it holds no usable samples. */
static int
to_block(struct tl__src *s, const MSRecord *msr, struct tl__block *b)
{
    int64_t n = msr->numsamples;
    if (n <= 0 || !msr->datasamples || n > (int64_t)MAX_RECLEN * 8) {
        return 0;
    }
    if (msr->sampletype != 'i' && msr->sampletype != 'f' && msr->sampletype != 'd') {
        return 0;
    }
    if ((size_t)n > s->xcap) {
        float *nx = tl_realloc(s->x, (size_t)n * sizeof(float));
        if (!nx) {
            return TL_ENOMEM;
        }
        s->x = nx;
        s->xcap = (size_t)n;
    }
    for (int64_t i = 0; i < n; i++) {
        double v;
        if (msr->sampletype == 'i') {
            v = (double)((const int32_t *)msr->datasamples)[i];
        } else if (msr->sampletype == 'f') {
            v = (double)((const float *)msr->datasamples)[i];
        } else {
            v = ((const double *)msr->datasamples)[i];
        }
        s->x[i] = isfinite(v) ? (float)v : 0.0f;
    }
    memset(b, 0, sizeof(*b));
    char sta[16];
    ms_strncpclean(sta, msr->station, 5);
    tl__strlcpy(b->station, sta, sizeof(b->station));
    char loc[16];
    ms_strncpclean(loc, msr->location, 2);
    b->element = element_of(loc);
    ms_strncpclean(b->channel, msr->channel, 3);
    b->t0_ns = (tl_time_ns)msr->starttime * 1000;
    b->rate_hz = msr->samprate;
    b->scale = 0.0;
    b->x = s->x;
    b->n = (size_t)n;
    return 1;
}

int
tl__src_mseed_next(struct tl__src *s, struct tl__block *b, struct tl_diag *diag)
{
    for (;;) {
        if (s->len - s->off < 256 && !s->eof) {
            int rc = refill(s, READ_CHUNK);
            if (rc != TL_OK) {
                tl__diag_where(diag, s->name, 0);
                return tl__diag(diag, rc, NULL, "%s", tl_strerror(rc));
            }
        }
        size_t avail = s->len - s->off;
        unsigned long long at = (unsigned long long)(s->base + s->off);
        if (avail == 0) {
            return 0;
        }
        if (s->junk > MAX_JUNK) {
            s->off = s->len;
            s->eof = true;
            if (s->f) {
                fseek(s->f, 0, SEEK_END);
            }
            return bad(s, diag, at, "no miniSEED record in %u bytes: giving up on the file",
                       MAX_JUNK);
        }
        if (avail < 48) {
            s->off = s->len;
            return bad(s, diag, at, "truncated record (%zu bytes at the end of the input)", avail);
        }
        /* The header first: libmseed 2 trusts a record's sample count when
         * it decodes, so that count is checked against the record's size
         * before any sample is decoded. */
        int rc = msr_parse((char *)s->buf + s->off, (int)(avail > MAX_RECLEN ? MAX_RECLEN : avail),
                           &s->msr, 0, 0, 0);
        if (rc == 0 && s->msr && s->msr->reclen > 0 && (size_t)s->msr->reclen <= avail) {
            const char *why = check_header(s->msr);
            if (why) {
                s->off += (size_t)s->msr->reclen;
                return bad(s, diag, at, "%s", why);
            }
            rc = msr_parse((char *)s->buf + s->off, s->msr->reclen, &s->msr, s->msr->reclen, 1, 0);
        }
        if (rc > 0) {
            if (s->eof || avail + (size_t)rc > MAX_RECLEN) {
                s->off = s->len;
                return bad(s, diag, at, "truncated record (%zu bytes, %d more expected)", avail,
                           rc);
            }
            rc = refill(s, avail + (size_t)rc + READ_CHUNK);
            if (rc != TL_OK) {
                tl__diag_where(diag, s->name, 0);
                return tl__diag(diag, rc, NULL, "%s", tl_strerror(rc));
            }
            continue;
        }
        if (rc < 0 || !s->msr || s->msr->reclen <= 0 || (size_t)s->msr->reclen > avail) {
            /* Not a record here: report once per bad stretch, then scan on. */
            bool first = !s->in_junk;
            s->in_junk = true;
            s->off += 64 < avail ? 64 : avail;
            s->junk += 64;
            if (first) {
                return bad(s, diag, at, "%s", rc < 0 ? ms_text(rc) : "bad record length");
            }
            continue;
        }
        s->in_junk = false;
        s->junk = 0;
        s->off += (size_t)s->msr->reclen;
        s->records++;
        int k = to_block(s, s->msr, b);
        if (k < 0) {
            return k;
        }
        if (k > 0) {
            return 1;
        }
    }
}

void
tl__src_mseed_fini(struct tl__src *s)
{
    if (s->msr) {
        msr_free(&s->msr);
    }
    if (s->f) {
        fclose(s->f);
        s->f = NULL;
    }
}
