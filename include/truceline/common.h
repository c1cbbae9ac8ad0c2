/*
 * truceline/common.h - what every part of libtruceline shares.
 *
 * The export macro, the error codes and their text, the time type, the
 * replaceable allocator, the logging sink and the diagnostic record that
 * parsers fill in.  Everything else in the public API builds on this header.
 *
 * Conventions (see STYLE.md):
 *   - every fallible function returns int: TL_OK (0) or a negative TL_E* code;
 *   - results come back through out-parameters that are untouched on failure;
 *   - memory returned as a plain pointer is released with tl_free();
 *   - the library never writes to stdout or stderr: it calls the log sink.
 */
#ifndef TRUCELINE_COMMON_H
#define TRUCELINE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#    define TL_API    __attribute__((visibility("default")))
#    define TL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#    define TL_API
#    define TL_PRINTF(fmt, args)
#endif

/** Version of the library and of the `software` field of bulletins. */
#define TL_VERSION_STRING "0.1.0"

/* Error codes: 0 is success, every failure is negative. */
#define TL_OK        0
#define TL_ENOMEM    (-1)  /* an allocation failed */
#define TL_EINVAL    (-2)  /* an argument was invalid (a caller's bug) */
#define TL_ERANGE    (-3)  /* a value was outside its allowed range */
#define TL_EIO       (-4)  /* an operating-system input/output call failed */
#define TL_EPARSE    (-5)  /* input text did not follow its format */
#define TL_ENOTFOUND (-6)  /* a named thing (station, file, entry) does not exist */
#define TL_ETOOBIG   (-7)  /* an input exceeded a configured maximum */
#define TL_ESTORE    (-8)  /* the store failed or is inconsistent */
#define TL_ECRYPTO   (-9)  /* a signature or hash did not verify */
#define TL_EEXIST    (-10) /* the thing to create already exists */
#define TL_ESTATE    (-11) /* the call is not allowed in the object's current state */
#define TL_EDUP      (-12) /* a duplicate of something already accepted */

/**
 * Text for an error code.
 * @param code  any int; unknown codes give "unknown error".
 * @return      a static string, never NULL.  Thread-safe.
 */
TL_API const char *tl_strerror(int code);

/** Time: int64 nanoseconds since 1970-01-01T00:00:00Z, UTC, no leap seconds. */
typedef int64_t tl_time_ns;

#define TL_NS_PER_S  INT64_C(1000000000)
#define TL_NS_PER_MS INT64_C(1000000)

/* ------------------------------------------------------------------------ */
/* Allocation                                                                */
/* ------------------------------------------------------------------------ */

/** Function pointer types for a replacement allocator (realloc semantics as in C). */
typedef void *(*tl_malloc_fn)(size_t size);
typedef void *(*tl_realloc_fn)(void *ptr, size_t size);
typedef void (*tl_free_fn)(void *ptr);

/**
 * Replace the allocator used by the whole library (and by jansson inside it).
 * Call before any other library function; not thread-safe.  Passing NULLs
 * restores the C library's allocator.
 */
TL_API void tl_set_allocator(tl_malloc_fn m, tl_realloc_fn r, tl_free_fn f);

/** Allocate, reallocate and free through the current allocator.  tl_free(NULL) is a no-op. */
TL_API void *tl_malloc(size_t size);
TL_API void *tl_calloc(size_t n, size_t size);
TL_API void *tl_realloc(void *ptr, size_t size);
TL_API void tl_free(void *ptr);

/** A copy of a NUL-terminated string, owned by the caller (release with tl_free), or NULL. */
TL_API char *tl_strdup(const char *s);

/* ------------------------------------------------------------------------ */
/* Logging                                                                   */
/* ------------------------------------------------------------------------ */

enum tl_log_level { TL_LOG_ERROR = 0, TL_LOG_WARN = 1, TL_LOG_INFO = 2, TL_LOG_DEBUG = 3 };

/** A log sink: level, component (a module name), the function and the message. */
typedef void (*tl_log_fn)(void *ud,
                          enum tl_log_level level,
                          const char *component,
                          const char *func,
                          const char *msg);

/**
 * Install the library's log sink.  Messages above `max_level` are dropped.
 * The default sink drops everything.  Not thread-safe against concurrent logging.
 */
TL_API void tl_set_log(tl_log_fn fn, void *ud, enum tl_log_level max_level);

/* ------------------------------------------------------------------------ */
/* Diagnostics                                                               */
/* ------------------------------------------------------------------------ */

/**
 * Where and why an input was rejected, in the jansson json_error_t style.
 * `file` names the input (a path, "-" or "<memory>"), `line` counts from 1
 * (0 when the input has no lines), `field` names the offending field or is
 * empty, `text` is the reason.  Filled by parsers that take a `struct tl_diag *`
 * (which may be NULL when the caller does not want the detail).
 */
struct tl_diag {
    char file[256];
    long line;
    char field[64];
    char text[256];
};

/**
 * Format a diagnostic as "file:line: field: text" (parts that are empty are left out)
 * into `buf` of `size` bytes, always NUL-terminated.  Returns `buf`.
 */
TL_API char *tl_diag_format(const struct tl_diag *d, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
