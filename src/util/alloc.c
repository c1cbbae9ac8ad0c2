/*
 * alloc.c - the replaceable allocator of libtruceline.
 *
 * Every allocation in the library goes through tl_malloc/tl_realloc/tl_free
 * so that a caller (or a test that fails the Nth allocation) can replace it.
 * jansson is pointed at the same functions, so JSON trees are covered too.
 * The library never aborts on OOM: callers see TL_ENOMEM.
 */
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static tl_malloc_fn g_malloc = malloc;
static tl_realloc_fn g_realloc = realloc;
static tl_free_fn g_free = free;
static _Thread_local unsigned long t_failures;

void
tl_set_allocator(tl_malloc_fn m, tl_realloc_fn r, tl_free_fn f)
{
    g_malloc = m ? m : malloc;
    g_realloc = r ? r : realloc;
    g_free = f ? f : free;
    json_set_alloc_funcs(tl_malloc, tl_free);
}

void *
tl_malloc(size_t size)
{
    void *p = g_malloc(size ? size : 1);
    t_failures += !p;
    return p;
}

void *
tl_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        return NULL;
    }
    void *p = tl_malloc(n * size);
    if (p) {
        memset(p, 0, n * size);
    }
    return p;
}

void *
tl_realloc(void *ptr, size_t size)
{
    void *p = g_realloc(ptr, size ? size : 1);
    t_failures += !p;
    return p;
}

void
tl_free(void *ptr)
{
    if (ptr) {
        g_free(ptr);
    }
}

char *
tl_strdup(const char *s)
{
    if (!s) {
        return NULL;
    }
    size_t n = strlen(s) + 1;
    char *p = tl_malloc(n);
    if (p) {
        memcpy(p, s, n);
    }
    return p;
}

int
tl__grow(void **pa, size_t *pcap, size_t need, size_t elem, size_t max_elems)
{
    if (need <= *pcap) {
        return TL_OK;
    }
    if (need > max_elems) {
        return TL_ETOOBIG;
    }
    size_t cap = *pcap ? *pcap : 8;
    while (cap < need) {
        cap = cap > max_elems / 2 ? max_elems : cap * 2;
    }
    if (cap > SIZE_MAX / elem) {
        return TL_ETOOBIG;
    }
    void *p = tl_realloc(*pa, cap * elem);
    if (!p) {
        return TL_ENOMEM;
    }
    *pa = p;
    *pcap = cap;
    return TL_OK;
}

/* Failures are counted for tl_malloc/tl_realloc (jansson's allocator once tl_set_allocator
 * has run) and seen as errno ENOMEM from the C library's malloc (jansson's default).  One
 * body for both loaders: from a buffer (path NULL) or from a file. */
static json_t *
json_load_checked(const char *buf, size_t len, const char *path, size_t flags, json_error_t *err,
                  bool *oom)
{
    unsigned long failures = t_failures;
    errno = 0;
    json_t *root = path ? json_load_file(path, flags, err) : json_loadb(buf, len, flags, err);
    *oom = t_failures != failures || errno == ENOMEM;
    if (*oom) {
        json_decref(root);
        return NULL;
    }
    return root;
}

json_t *
tl__json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err, bool *oom)
{
    return json_load_checked(buf, len, NULL, flags, err, oom);
}

json_t *
tl__json_load_file(const char *path, size_t flags, json_error_t *err, bool *oom)
{
    return json_load_checked(NULL, 0, path, flags, err, oom);
}

char *
tl__json_dumps(const json_t *j, size_t flags)
{
    unsigned long failures = t_failures;
    errno = 0;
    char *s = json_dumps(j, flags);
    if (t_failures != failures || errno == ENOMEM) {
        tl_free(s);
        return NULL;
    }
    return s;
}
