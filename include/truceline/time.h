/*
 * truceline/time.h - RFC 3339 timestamps <-> int64 nanoseconds.
 *
 * The records, the truth and the bulletin carry times as RFC 3339 text in UTC
 * with a "Z" suffix and 0 to 9 fractional digits; inside the program a time is
 * a tl_time_ns.  The codec is strict: anything but an exact
 * "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z" is rejected - other offsets, lowercase t/z,
 * leap seconds (:60), out-of-range fields, dates outside the int64 ns range.
 * Formatting gives 0, 3, 6 or 9 fractional digits, whichever is the fewest that
 * keeps every nanosecond, so parse(format(t)) == t for every representable t.
 */
#ifndef TRUCELINE_TIME_H
#define TRUCELINE_TIME_H

#include <truceline/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest text tl_time_format writes, with its NUL: "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ". */
#define TL_TIME_TEXT_MAX 31

/**
 * Parse an RFC 3339 UTC timestamp.
 * @param s     the text (borrowed); need not be NUL-terminated after `len` bytes.
 * @param len   its length in bytes.
 * @param out   receives the time; untouched on failure.
 * @param diag  optional: receives the reason on failure (field left empty).
 * @return TL_OK, TL_EPARSE (syntax) or TL_ERANGE (a field or the instant out of range).
 * Thread-safe.
 */
TL_API int tl_time_parse(const char *s, size_t len, tl_time_ns *out, struct tl_diag *diag);

/**
 * Format a time as RFC 3339 with a Z suffix into `buf` (at least TL_TIME_TEXT_MAX bytes).
 * @return TL_OK, or TL_EINVAL when `size` is too small.  Thread-safe.
 */
TL_API int tl_time_format(tl_time_ns t, char *buf, size_t size);

/**
 * The civil date of a time as a day number since 1970-01-01 and the day's start;
 * used for daily bulletins.  Thread-safe, cannot fail.
 */
TL_API tl_time_ns tl_time_day_start(tl_time_ns t);

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31). */
TL_API int64_t tl_days_from_civil(int64_t year, int month, int day);

/** Current wall-clock time (CLOCK_REALTIME). */
TL_API tl_time_ns tl_time_now(void);

#ifdef __cplusplus
}
#endif
#endif
