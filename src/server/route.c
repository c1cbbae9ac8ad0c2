/*
 * route.c - from a method and a path to a handler, and the ids in the path.
 *
 * The API is small and fixed, so the router is a hand-written walk over the
 * path's segments rather than a table of patterns: each resource is one
 * branch that reads as the URL it serves.  Ids in paths are validated here
 * (station ids are SEED codes, other ids [A-Za-z0-9._:-]{1,64}, dates
 * YYYY-MM-DD), so a handler never sees a malformed one.  The router is a pure
 * function, fuzzed by fuzz/fuzz_http_route.c.
 */
#include <string.h>

#include "server_priv.h"

/* Split the path into at most `max` segments (not copied: lengths in `len`). */
static size_t
split(const char *path, const char **seg, size_t *len, size_t max)
{
    size_t n = 0;
    const char *p = path;
    if (*p != '/') {
        return 0;
    }
    while (*p == '/' && n < max + 1) {
        p++;
        const char *q = strchr(p, '/');
        size_t l = q ? (size_t)(q - p) : strlen(p);
        if (n < max) {
            seg[n] = p;
            len[n] = l;
        }
        n++;
        p += l;
    }
    return n;
}

static bool
seg_is(const char *seg, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(seg, word, len) == 0;
}

static bool
copy_id(const char *seg, size_t len, char *out, bool station)
{
    if (len == 0 || len >= TL_ID_MAX) {
        return false;
    }
    memcpy(out, seg, len);
    out[len] = '\0';
    return station ? tl_valid_station_id(out) : tl_valid_id(out);
}

static bool
valid_date(const char *s, size_t len)
{
    if (len != 10 || s[4] != '-' || s[7] != '-') {
        return false;
    }
    for (size_t i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) {
            return false;
        }
    }
    int month = (s[5] - '0') * 10 + (s[6] - '0');
    int day = (s[8] - '0') * 10 + (s[9] - '0');
    if (month < 1 || month > 12 || day < 1) {
        return false;
    }
    int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int dmax = mdays[month - 1];
    if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) {
        dmax = 29;
    }
    return day <= dmax;
}

/* Set the route when the method fits: GET/HEAD routes and POST routes. */
static int
pick(const char *method, bool post, enum tl__route_id id, struct tl__route *out)
{
    bool is_post = strcmp(method, "POST") == 0;
    bool is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if ((post && !is_post) || (!post && !is_get)) {
        return 405;
    }
    out->id = id;
    out->post = post;
    return 200;
}

/* /v1/events/... or /v1/findings/... */
static int
match_object(const char *method,
             const char **seg,
             const size_t *len,
             size_t n,
             bool finding,
             struct tl__route *out)
{
    if (n == 2) {
        return pick(method, false, finding ? TL__R_FINDINGS : TL__R_EVENTS, out);
    }
    if (!copy_id(seg[2], len[2], out->arg, false)) {
        return len[2] == 0 ? 404 : 400;
    }
    if (n == 3) {
        return pick(method, false, finding ? TL__R_FINDING : TL__R_EVENT, out);
    }
    if (n != 4) {
        return 404;
    }
    if (seg_is(seg[3], len[3], "history")) {
        return pick(method, false, finding ? TL__R_FINDING_HISTORY : TL__R_EVENT_HISTORY, out);
    }
    if (seg_is(seg[3], len[3], "review")) {
        return pick(method, true, finding ? TL__R_FINDING_REVIEW : TL__R_EVENT_REVIEW, out);
    }
    if (finding && seg_is(seg[3], len[3], "proof")) {
        return pick(method, false, TL__R_FINDING_PROOF, out);
    }
    if (finding && seg_is(seg[3], len[3], "entry")) {
        return pick(method, false, TL__R_FINDING_ENTRY, out);
    }
    return 404;
}

int
tl__route_match(const char *method, const char *path, bool have_web, struct tl__route *out)
{
    struct tl__route r;
    memset(&r, 0, sizeof(r));
    if (!method || !path || path[0] != '/') {
        return 404;
    }
    if (strncmp(path, "/log/", 5) == 0) {
        r.rest = path + 5;
        int st = pick(method, false, TL__R_LOG, &r);
        if (st == 200) {
            *out = r;
        }
        return st;
    }
    const char *seg[6];
    size_t len[6];
    size_t n = split(path, seg, len, 6);
    int st = 404;
    if (n >= 2 && seg_is(seg[0], len[0], "v1")) {
        if (n > 6) {
            return 404;
        }
        if (seg_is(seg[1], len[1], "stations")) {
            if (n == 2) {
                st = pick(method, false, TL__R_STATIONS, &r);
            } else if (!copy_id(seg[2], len[2], r.arg, true)) {
                st = len[2] == 0 ? 404 : 400;
            } else if (n == 3) {
                st = pick(method, false, TL__R_STATION, &r);
            } else if (n == 4 && seg_is(seg[3], len[3], "records")) {
                st = pick(method, true, TL__R_INGEST, &r);
            }
        } else if (seg_is(seg[1], len[1], "events")) {
            st = match_object(method, seg, len, n, false, &r);
        } else if (seg_is(seg[1], len[1], "findings")) {
            st = match_object(method, seg, len, n, true, &r);
        } else if (n == 2 && seg_is(seg[1], len[1], "records")) {
            st = pick(method, false, TL__R_RECORDS, &r);
        } else if (n == 2 && seg_is(seg[1], len[1], "stream")) {
            st = pick(method, false, TL__R_STREAM, &r);
        } else if (n == 2 && seg_is(seg[1], len[1], "status")) {
            st = pick(method, false, TL__R_STATUS, &r);
        } else if (n == 2 && seg_is(seg[1], len[1], "audit")) {
            st = pick(method, false, TL__R_AUDIT, &r);
        } else if (n == 2 && seg_is(seg[1], len[1], "mission")) {
            st = pick(method, false, TL__R_MISSION, &r);
        } else if (n == 3 && seg_is(seg[1], len[1], "bulletins")) {
            if (!valid_date(seg[2], len[2])) {
                st = 400;
            } else {
                memcpy(r.arg, seg[2], 10);
                r.arg[10] = '\0';
                st = pick(method, false, TL__R_BULLETIN, &r);
            }
        }
    } else if (n >= 1 && seg_is(seg[0], len[0], "report")) {
        /* /report/{date}: the daily report (HTML), whether or not web files are served */
        if (n != 2 || len[1] == 0) {
            st = 404;
        } else if (!valid_date(seg[1], len[1])) {
            st = 400;
        } else {
            memcpy(r.arg, seg[1], 10);
            r.arg[10] = '\0';
            st = pick(method, false, TL__R_REPORT, &r);
        }
    } else if (have_web && !(n >= 1 && seg_is(seg[0], len[0], "v1"))) {
        r.rest = path + 1;
        st = pick(method, false, TL__R_WEB, &r);
    }
    if (st == 200) {
        *out = r;
    }
    return st;
}
