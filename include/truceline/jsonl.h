/*
 * truceline/jsonl.h - a streaming JSON Lines reader in constant memory.
 *
 * Records, truth files and logs are JSON Lines that can be gigabytes long.
 * The reader hands out one line at a time from a fixed buffer, whatever the
 * file size, with its line number so every later error can name file:line.
 * Blank (whitespace-only) lines are skipped; a trailing "\r" is dropped.  A
 * line longer than the configured maximum is reported (TL_ETOOBIG) and skipped
 * without being buffered, and reading continues with the next line.
 */
#ifndef TRUCELINE_JSONL_H
#define TRUCELINE_JSONL_H

#include <truceline/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Default longest accepted line (bytes, without the newline). */
#define TL_JSONL_DEFAULT_MAX_LINE (1u << 20)

struct tl_jsonl;

/**
 * Open a JSON Lines file for reading.
 * @param path      file to read, or "-" for standard input (borrowed).
 * @param max_line  longest line accepted, in bytes (0 gives the default); the
 *                  reader's memory is about this much, whatever the file size.
 * @param out       receives the reader, owned by the caller (tl_jsonl_free).
 * @param diag      optional: why the file could not be opened.
 * @return TL_OK, TL_EIO or TL_ENOMEM.
 */
TL_API int tl_jsonl_open(const char *path,
                         size_t max_line,
                         struct tl_jsonl **out,
                         struct tl_diag *diag);

/**
 * Read from an already open file descriptor, which stays the caller's and is
 * not closed.  `name` (borrowed, copied) names the input in diagnostics.
 */
TL_API int tl_jsonl_open_fd(int fd,
                            const char *name,
                            size_t max_line,
                            struct tl_jsonl **out,
                            struct tl_diag *diag);

/**
 * The next non-blank line.
 * @param line    receives a pointer to the line's bytes, owned by the reader and
 *                valid until the next call; the bytes are NUL-terminated at *len.
 * @param len     receives the length without the newline.
 * @param diag    optional: on TL_ETOOBIG or TL_EIO, file and line of the problem.
 * @return 1 when a line was read, 0 at the end of the input, TL_ETOOBIG for a
 *         line over the maximum (skipped; call again to go on), TL_EIO on a read error.
 */
TL_API int tl_jsonl_next(struct tl_jsonl *r, const char **line, size_t *len, struct tl_diag *diag);

/** Line number (from 1) of the line last returned; 0 before the first. */
TL_API long tl_jsonl_lineno(const struct tl_jsonl *r);

/** The input's name as given at open ("-" for standard input). */
TL_API const char *tl_jsonl_name(const struct tl_jsonl *r);

/** Close the reader (and the file it opened).  NULL is a no-op. */
TL_API void tl_jsonl_free(struct tl_jsonl *r);

#ifdef __cplusplus
}
#endif
#endif
