/*
 * tl_oom.h - allocation-failure torture for the unit tests: a test allocator that fails
 * the Nth allocation, and the loop that runs an operation with allocation 0, 1, 2, ...
 * failing in turn until it succeeds.  Every failing run must report TL_ENOMEM (never a
 * crash, never a misleading error), and under the asan preset must leak nothing.
 * Single-threaded operations only (the count is not atomic).
 */
#ifndef TL_OOM_H
#define TL_OOM_H

#include "tl_test.h"

static long tl_oom_fail_at = -1, tl_oom_n;

static void *
tl_oom_malloc(size_t n)
{
    if (tl_oom_fail_at >= 0 && tl_oom_n++ == tl_oom_fail_at) {
        return NULL;
    }
    return malloc(n);
}

static void *
tl_oom_realloc(void *p, size_t n)
{
    if (tl_oom_fail_at >= 0 && tl_oom_n++ == tl_oom_fail_at) {
        return NULL;
    }
    return realloc(p, n);
}

typedef int (*tl_oom_op)(void *ud);

/* Run op with allocation n failing, for every n up to `dense` and then n growing by 5% a
 * step (an operation of tens of thousands of allocations is sampled, not run N^2 times),
 * until it succeeds.  Returns the number of failing runs. */
static long
tl_oom_torture(tl_oom_op op, void *ud, const char *what, long dense)
{
    tl_set_allocator(tl_oom_malloc, tl_oom_realloc, free);
    long runs = 0;
    for (long n = 0;; n = n < dense ? n + 1 : n + n / 20 + 1, runs++) {
        tl_oom_n = 0;
        tl_oom_fail_at = n;
        int rc = op(ud);
        tl_oom_fail_at = -1;
        if (rc == TL_OK) {
            break;
        }
        if (rc != TL_ENOMEM) {
            tl_set_allocator(NULL, NULL, NULL);
            fail_msg("%s: allocation %ld failed and the call returned %d (%s), not TL_ENOMEM", what,
                     n, rc, tl_strerror(rc));
        }
        if (runs > 100000) {
            fail_msg("%s: does not converge", what);
        }
    }
    tl_set_allocator(NULL, NULL, NULL);
    return runs;
}

#endif
