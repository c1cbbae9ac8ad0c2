/*
 * rfc3339.c - strict RFC 3339 UTC timestamps <-> int64 nanoseconds.
 *
 * Grammar accepted (RFC 3339 section 5.6 restricted by formats.md):
 *     date-time = YYYY "-" MM "-" DD "T" hh ":" mm ":" ss [ "." 1*9DIGIT ] "Z"
 * Uppercase T and Z only; no other offsets, because every time in truceline is
 * UTC and an offset in a record is more likely a station misconfiguration than
 * a convenience.  Seconds 60 are rejected: POSIX time has no leap seconds, and
 * a pick stamped :60 cannot be placed on the ns axis without guessing.
 *
 * Civil dates are converted with the proleptic Gregorian day count (the
 * era-based formula: 400-year eras of 146097 days, March-based years so that
 * the leap day falls at the end of the year).
 */
#include <truceline/time.h>

#include "../util/util.h"

#include <string.h>
#include <stdio.h>
#include <time.h>

int64_t
tl_days_from_civil(int64_t year, int month, int day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t yoe = year - era * 400;                                     /* [0, 399] */
    int64_t mp = (month + 9) % 12;                                      /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + day - 1;                         /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

/* The inverse: a day count to year, month, day. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool
is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Read exactly n digits at s into *v; false if any is not a digit. */
static bool
digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

int
tl_time_parse(const char *s, size_t len, tl_time_ns *out, struct tl_diag *diag)
{
    /* Fixed part "YYYY-MM-DDThh:mm:ss" is 19 bytes, then optional fraction, then Z. */
    int year, mon, day, hh, mm, ss;
    if (len < 20 || !digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &mon) ||
        s[7] != '-' || !digits(s + 8, 2, &day) || s[10] != 'T' || !digits(s + 11, 2, &hh) ||
        s[13] != ':' || !digits(s + 14, 2, &mm) || s[16] != ':' || !digits(s + 17, 2, &ss)) {
        return tl__diag(diag, TL_EPARSE, NULL,
                        "not an RFC 3339 time (expected YYYY-MM-DDThh:mm:ss[.fff]Z)");
    }
    size_t i = 19;
    int64_t frac_ns = 0;
    if (s[i] == '.') {
        i++;
        size_t start = i;
        int64_t scale = 100000000;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (i - start >= 9) {
                return tl__diag(diag, TL_EPARSE, NULL,
                                "more than 9 fractional digits (nanoseconds are the limit)");
            }
            frac_ns += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == start) {
            return tl__diag(diag, TL_EPARSE, NULL, "no digit after the decimal point");
        }
    }
    if (i >= len || s[i] != 'Z') {
        return tl__diag(diag, TL_EPARSE, NULL, "time must end in Z (UTC); offsets are rejected");
    }
    if (i + 1 != len) {
        return tl__diag(diag, TL_EPARSE, NULL, "trailing characters after Z");
    }
    if (mon < 1 || mon > 12) {
        return tl__diag(diag, TL_ERANGE, NULL, "month %02d out of range 01-12", mon);
    }
    if (day < 1 || day > days_in_month(year, mon)) {
        return tl__diag(diag, TL_ERANGE, NULL, "day %02d out of range for %04d-%02d", day, year,
                        mon);
    }
    if (hh > 23) {
        return tl__diag(diag, TL_ERANGE, NULL, "hour %02d out of range 00-23", hh);
    }
    if (mm > 59) {
        return tl__diag(diag, TL_ERANGE, NULL, "minute %02d out of range 00-59", mm);
    }
    if (ss == 60) {
        return tl__diag(diag, TL_ERANGE, NULL, "leap second :60 is not accepted");
    }
    if (ss > 59) {
        return tl__diag(diag, TL_ERANGE, NULL, "second %02d out of range 00-59", ss);
    }
    int64_t days = tl_days_from_civil(year, mon, day);
    int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss;
    /* int64 ns spans 1677-09-21 to 2262-04-11; negative instants with a fraction
     * are built from the next whole second down so the product cannot overflow
     * before the fraction is subtracted. */
    int64_t t;
    bool ovf;
    if (secs < 0 && frac_ns > 0) {
        ovf = __builtin_mul_overflow(secs + 1, TL_NS_PER_S, &t) ||
              __builtin_sub_overflow(t, TL_NS_PER_S - frac_ns, &t);
    } else {
        ovf = __builtin_mul_overflow(secs, TL_NS_PER_S, &t) || __builtin_add_overflow(t, frac_ns, &t);
    }
    if (ovf) {
        return tl__diag(diag, TL_ERANGE, NULL, "time outside the representable range 1677-2262");
    }
    *out = t;
    return TL_OK;
}

int
tl_time_format(tl_time_ns t, char *buf, size_t size)
{
    if (size < TL_TIME_TEXT_MAX) {
        return TL_EINVAL;
    }
    int64_t secs = t / TL_NS_PER_S;
    int64_t ns = t % TL_NS_PER_S;
    if (ns < 0) {
        ns += TL_NS_PER_S;
        secs -= 1;
    }
    int64_t days = secs / 86400;
    int64_t sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days -= 1;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int hh = (int)(sod / 3600), mi = (int)(sod / 60 % 60), ss = (int)(sod % 60);
    int n = snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)y, m, d, hh, mi, ss);
    if (ns == 0) {
        snprintf(buf + n, size - (size_t)n, "Z");
    } else if (ns % TL_NS_PER_MS == 0) {
        snprintf(buf + n, size - (size_t)n, ".%03dZ", (int)(ns / TL_NS_PER_MS));
    } else if (ns % 1000 == 0) {
        snprintf(buf + n, size - (size_t)n, ".%06dZ", (int)(ns / 1000));
    } else {
        snprintf(buf + n, size - (size_t)n, ".%09dZ", (int)ns);
    }
    return TL_OK;
}

tl_time_ns
tl_time_day_start(tl_time_ns t)
{
    const int64_t day_ns = 86400 * TL_NS_PER_S;
    int64_t q = t / day_ns;
    if (t % day_ns < 0) {
        q -= 1;
    }
    return q * day_ns;
}

tl_time_ns
tl_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (tl_time_ns)ts.tv_sec * TL_NS_PER_S + ts.tv_nsec;
}
