/*
 * tl_tlog_test.h - helpers shared by the transparency-log tests: scratch
 * folders under /tmp and their removal.  Include after defining
 * _XOPEN_SOURCE 700 (for nftw) and after tl_test.h.
 */
#ifndef TL_TLOG_TEST_H
#define TL_TLOG_TEST_H

#include <ftw.h>
#include <sys/stat.h>

static inline int
tl_tlog_test_rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(path);
}

/* Remove a folder and everything under it. */
static inline void
tl_tlog_test_rmrf(const char *dir)
{
    assert_int_equal(0, nftw(dir, tl_tlog_test_rm_one, 16, FTW_DEPTH | FTW_PHYS));
}

/* A new empty folder /tmp/<prefix>XXXXXX into buf. */
static inline void
tl_tlog_test_tmpdir(const char *prefix, char *buf, size_t size)
{
    snprintf(buf, size, "/tmp/%sXXXXXX", prefix);
    assert_non_null(mkdtemp(buf));
}

#endif
