/*
 * tl_test.h - what the cmocka unit tests share: cmocka's required includes,
 * paths to the source and build trees, and small helpers for temporary files.
 */
#ifndef TL_TEST_H
#define TL_TEST_H

/* cmocka needs these before its own header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <truceline/truceline.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write `text` to a new temporary file; returns its path in `path` (size >= 64). */
static inline void
tl_test_tmpfile(char *path, size_t size, const char *text, size_t len)
{
    snprintf(path, size, "/tmp/tl_test_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal((ssize_t)len, write(fd, text, len));
    close(fd);
}

/* Format a diagnostic into a static buffer (tests are single-threaded). */
static inline const char *
tl_test_diag(const struct tl_diag *d)
{
    static char buf[640];
    return tl_diag_format(d, buf, sizeof(buf));
}

#endif
