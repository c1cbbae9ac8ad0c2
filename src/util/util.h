/*
 * util.h - internal helpers shared by every module of libtruceline.
 *
 * Not installed.  Holds the logging macro and the clock its timings read, the
 * diagnostic setter, the "impossible branch" guards of SQLite, and a small
 * growable array with a hard cap (curl's "toobig" rule: no buffer grows
 * without bound).
 */
#ifndef TL_UTIL_H
#define TL_UTIL_H

#include <truceline/common.h>

#include <stdarg.h>
#include <time.h>

/* Defensive branches that should never run; they still compile into real checks. */
#define TL_ALWAYS(x) (x)
#define TL_NEVER(x)  (x)

#define TL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void tl__log(enum tl_log_level level, const char *component, const char *func, const char *fmt, ...)
    TL_PRINTF(4, 5);

/* TL_LOG(TL_LOG_WARN, "assoc", "station %s: ...", id) adds the calling function. */
#define TL_LOG(level, component, ...) tl__log((level), (component), __func__, __VA_ARGS__)

/* True when a message at `level` would reach the sink (to skip costly formatting). */
bool tl__log_enabled(enum tl_log_level level);

/* Seconds on clock `id` (CLOCK_MONOTONIC for wall time, CLOCK_THREAD_CPUTIME_ID for the
 * calling thread's CPU), for the timings the logs report. */
static inline double
tl__clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * Fill a diagnostic (when `d` is not NULL): field may be NULL.  The file and
 * line already in `d` are kept; the caller sets them where it knows them.
 * Returns `code` so that a parser can write `return tl__diag(d, TL_EPARSE, ...)`.
 */
int tl__diag(struct tl_diag *d, int code, const char *field, const char *fmt, ...) TL_PRINTF(4, 5);

/* json_loadb that tells a failed allocation from bad text (alloc.c): jansson reports some
 * of its failed allocations as syntax errors, and may return a tree with a member missing
 * after one.  If any allocation failed during the load, the tree is dropped, NULL returned
 * and *oom set; otherwise as json_loadb. */
struct json_t;
struct json_error_t;
struct json_t *tl__json_loadb(const char *buf, size_t len, size_t flags,
                              struct json_error_t *err, bool *oom);
/* The same for a file (json_load_file). */
struct json_t *tl__json_load_file(const char *path, size_t flags, struct json_error_t *err,
                                  bool *oom);
/* json_dumps that fails when any allocation failed during the dump (alloc.c): jansson 2.14
 * may carry on after a failed growth of its output buffer and return text with bytes
 * missing (a key of a bulletin's header lost its name, test_oom).  NULL on failure. */
char *tl__json_dumps(const struct json_t *j, size_t flags);

/* Set the file and line of a diagnostic; NULL-safe. */
void tl__diag_where(struct tl_diag *d, const char *file, long line);

/* snprintf into a fixed buffer that is always terminated; true when it fitted. */
bool tl__strlcpy(char *dst, const char *src, size_t size);

/*
 * Grow `*pa` (an array of `elem` bytes, capacity `*pcap`) to hold at least `need`
 * elements, doubling; fails with TL_ETOOBIG beyond `max_elems` and TL_ENOMEM on
 * allocation failure, leaving the array as it was.
 */
int tl__grow(void **pa, size_t *pcap, size_t need, size_t elem, size_t max_elems);

#endif
