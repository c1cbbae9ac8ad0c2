/*
 * query.c - query-string filters of the read API, validated strictly.
 *
 * A filter the server does not understand is an error (400 with the argument
 * and the reason), never silently ignored: a map that asks for `side=lft` must
 * learn it got nothing because of a typo, not because nothing happened.  Each
 * listing accepts its own set of arguments (docs/server.md).  Values are
 * parsed completely (no trailing garbage, finite numbers, RFC 3339 times) and
 * each key may appear once.  Pure; fuzzed by fuzz/fuzz_http_query.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <truceline/time.h>

#include "server_priv.h"

static int
bad(char *msg, size_t size, const char *key, const char *why)
{
    snprintf(msg, size, "%s: %s", key, why);
    return TL_EINVAL;
}

static bool
parse_double(const char *s, double *out)
{
    if (!s || !*s || strlen(s) > 64) {
        return false;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v)) {
        return false;
    }
    *out = v;
    return true;
}

static bool
parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    if (!s || !*s || strlen(s) > 20) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if ((*p < '0' || *p > '9') && !(p == s && *p == '-')) {
            return false;
        }
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno || v < lo || v > hi) {
        return false;
    }
    *out = (int64_t)v;
    return true;
}

static bool
parse_bbox(const char *s, struct tl__filter *f)
{
    double v[4];
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        if ((i < 3 && !comma) || (i == 3 && comma) || l == 0 || l > 40) {
            return false;
        }
        char tmp[48];
        memcpy(tmp, p, l);
        tmp[l] = '\0';
        if (!parse_double(tmp, &v[i])) {
            return false;
        }
        p += l + (comma ? 1 : 0);
    }
    if (v[0] < -180 || v[2] > 180 || v[1] < -90 || v[3] > 90 || v[0] > v[2] || v[1] > v[3]) {
        return false;
    }
    f->min_lon = v[0];
    f->min_lat = v[1];
    f->max_lon = v[2];
    f->max_lat = v[3];
    f->has_bbox = true;
    return true;
}

static bool
parse_cursor(const char *s, struct tl__filter *f)
{
    const char *tilde = strchr(s, '~');
    if (!tilde || tilde == s || (size_t)(tilde - s) > 20) {
        return false;
    }
    char num[24];
    memcpy(num, s, (size_t)(tilde - s));
    num[tilde - s] = '\0';
    int64_t t;
    if (!parse_i64(num, INT64_MIN, INT64_MAX, &t) || strlen(tilde + 1) >= TL_ID_MAX ||
        !tl_valid_id(tilde + 1)) {
        return false;
    }
    f->cursor_t = t;
    tl__strlcpy(f->cursor_id, tilde + 1, sizeof(f->cursor_id));
    f->has_cursor = true;
    return true;
}

void
tl__cursor_format(tl_time_ns t, const char *id, char *buf, size_t size)
{
    snprintf(buf, size, "%" PRId64 "~%s", t, id);
}

/* Which keys each kind accepts (a bit per key). */
enum {
    K_FROM = 1 << 0,
    K_TO = 1 << 1,
    K_BBOX = 1 << 2,
    K_SIDE = 1 << 3,
    K_CLASS = 1 << 4,
    K_MINCONF = 1 << 5,
    K_ZONE = 1 << 6,
    K_STATUS = 1 << 7,
    K_WITHDRAWN = 1 << 8,
    K_LIMIT = 1 << 9,
    K_CURSOR = 1 << 10,
    K_STATION = 1 << 11,
    K_VERSION = 1 << 12,
    K_SINCE = 1 << 13,
    K_KIND = 1 << 14
};

static const struct {
    const char *name;
    unsigned bit;
} KEYS[] = {{"from", K_FROM},       {"to", K_TO},         {"bbox", K_BBOX},
            {"side", K_SIDE},       {"class", K_CLASS},   {"min_confidence", K_MINCONF},
            {"zone", K_ZONE},       {"status", K_STATUS}, {"withdrawn", K_WITHDRAWN},
            {"limit", K_LIMIT},     {"cursor", K_CURSOR}, {"station", K_STATION},
            {"version", K_VERSION}, {"since", K_SINCE},   {"kind", K_KIND}};

static unsigned
allowed(enum tl__filter_kind kind)
{
    unsigned list = K_FROM | K_TO | K_BBOX | K_SIDE | K_MINCONF | K_ZONE | K_STATUS | K_WITHDRAWN |
                    K_LIMIT | K_CURSOR;
    switch (kind) {
    case TL__F_EVENTS:
        return list | K_CLASS;
    case TL__F_FINDINGS:
        return list;
    case TL__F_RECORDS:
        return K_FROM | K_TO | K_STATION | K_LIMIT | K_CURSOR;
    case TL__F_OBJECT:
        return K_VERSION;
    case TL__F_STREAM:
        return K_SINCE | K_KIND;
    default:
        return 0;
    }
}

int
tl__filter_parse(enum tl__filter_kind kind,
                 const struct tl__arg *args,
                 size_t n,
                 bool (*zone_ok)(void *ud, const char *zone),
                 void *ud,
                 struct tl__filter *out,
                 char *msg,
                 size_t size)
{
    struct tl__filter f;
    memset(&f, 0, sizeof(f));
    f.side = -2;
    f.cls = -1;
    f.min_confidence = -1;
    f.status = -1;
    f.limit = TL__PAGE_DEF;
    f.version = -1;
    f.since = -1;
    f.kinds = 3;
    unsigned seen = 0, ok = allowed(kind);
    if (n > TL__MAX_ARGS) {
        return bad(msg, size, "query", "too many arguments");
    }
    for (size_t i = 0; i < n; i++) {
        const char *k = args[i].key, *v = args[i].value ? args[i].value : "";
        unsigned bit = 0;
        for (size_t j = 0; k && j < TL_ARRAY_LEN(KEYS); j++) {
            if (strcmp(k, KEYS[j].name) == 0) {
                bit = KEYS[j].bit;
            }
        }
        char kname[40];
        snprintf(kname, sizeof(kname), "%s", k ? k : "");
        if (!bit || !(ok & bit)) {
            return bad(msg, size, kname, "not a filter of this resource");
        }
        if (seen & bit) {
            return bad(msg, size, kname, "given twice");
        }
        seen |= bit;
        if (bit == K_FROM || bit == K_TO) {
            tl_time_ns t;
            if (tl_time_parse(v, strlen(v), &t, NULL) != TL_OK) {
                return bad(msg, size, kname, "expected an RFC 3339 UTC time (…Z)");
            }
            if (bit == K_FROM) {
                f.from_ns = t;
                f.has_from = true;
            } else {
                f.to_ns = t;
                f.has_to = true;
            }
        } else if (bit == K_BBOX) {
            if (!parse_bbox(v, &f)) {
                return bad(msg, size, kname,
                           "expected min_lon,min_lat,max_lon,max_lat (degrees, min <= max)");
            }
        } else if (bit == K_SIDE) {
            if (strcmp(v, "left") == 0) {
                f.side = TL_SIDE_LEFT;
            } else if (strcmp(v, "right") == 0) {
                f.side = TL_SIDE_RIGHT;
            } else if (strcmp(v, "ambiguous") == 0) {
                f.side = TL_SIDE_AMBIGUOUS;
            } else {
                return bad(msg, size, kname, "expected left, right or ambiguous");
            }
        } else if (bit == K_CLASS) {
            if (strcmp(v, "launch") == 0) {
                f.cls = TL_CLASS_LAUNCH;
            } else if (strcmp(v, "impact") == 0) {
                f.cls = TL_CLASS_IMPACT;
            } else if (strcmp(v, "unknown") == 0) {
                f.cls = TL_CLASS_UNKNOWN;
            } else {
                return bad(msg, size, kname, "expected launch, impact or unknown");
            }
        } else if (bit == K_MINCONF) {
            if (!parse_double(v, &f.min_confidence) || f.min_confidence < 0 ||
                f.min_confidence > 1) {
                return bad(msg, size, kname, "expected a number in [0, 1]");
            }
        } else if (bit == K_ZONE) {
            if (strlen(v) >= TL_ID_MAX || !tl_valid_id(v) || (zone_ok && !zone_ok(ud, v))) {
                return bad(msg, size, kname, "not a zone of the mission");
            }
            tl__strlcpy(f.zone, v, sizeof(f.zone));
        } else if (bit == K_STATUS) {
            if (strcmp(v, "automatic") == 0) {
                f.status = TL_STATUS_AUTOMATIC;
            } else if (strcmp(v, "reviewed") == 0) {
                f.status = TL_STATUS_REVIEWED;
            } else if (strcmp(v, "rejected") == 0) {
                f.status = TL_STATUS_REJECTED;
            } else {
                return bad(msg, size, kname, "expected automatic, reviewed or rejected");
            }
        } else if (bit == K_WITHDRAWN) {
            if (strcmp(v, "true") == 0) {
                f.withdrawn = true;
            } else if (strcmp(v, "false") != 0) {
                return bad(msg, size, kname, "expected true or false");
            }
        } else if (bit == K_LIMIT) {
            int64_t l;
            if (!parse_i64(v, 1, TL__PAGE_MAX, &l)) {
                return bad(msg, size, kname, "expected an integer in [1, 1000]");
            }
            f.limit = (long)l;
        } else if (bit == K_CURSOR) {
            if (!parse_cursor(v, &f)) {
                return bad(msg, size, kname, "not a cursor this server gave");
            }
        } else if (bit == K_STATION) {
            if (!tl_valid_station_id(v)) {
                return bad(msg, size, kname, "expected a station id (1-5 of A-Z 0-9)");
            }
            tl__strlcpy(f.station, v, sizeof(f.station));
        } else if (bit == K_VERSION) {
            if (!parse_i64(v, 0, INT32_MAX, &f.version)) {
                return bad(msg, size, kname, "expected a version number (0, 1, ...)");
            }
        } else if (bit == K_SINCE) {
            if (!parse_i64(v, 0, INT64_MAX, &f.since)) {
                return bad(msg, size, kname, "expected an event id of the stream (0, 1, ...)");
            }
        } else if (bit == K_KIND) {
            if (strcmp(v, "event") == 0) {
                f.kinds = 1;
            } else if (strcmp(v, "finding") == 0) {
                f.kinds = 2;
            } else if (strcmp(v, "all") == 0) {
                f.kinds = 3;
            } else {
                return bad(msg, size, kname, "expected event, finding or all");
            }
        }
    }
    if (f.has_from && f.has_to && f.from_ns >= f.to_ns) {
        return bad(msg, size, "to", "must be later than from");
    }
    *out = f;
    return TL_OK;
}
