/*
 * test_jsonl.c - the streaming JSON Lines reader: line numbers, blank lines, CRLF,
 * over-long lines skipped with their number, constant memory on a large input.
 */
#include "tl_test.h"

#include <truceline/jsonl.h>

static void
test_lines_and_numbers(void **state)
{
    (void)state;
    const char text[] = "{\"a\":1}\n\n   \n{\"b\":2}\r\n\t\n{\"c\":3}";
    char path[64];
    tl_test_tmpfile(path, sizeof(path), text, sizeof(text) - 1);
    struct tl_jsonl *r = NULL;
    assert_int_equal(TL_OK, tl_jsonl_open(path, 0, &r, NULL));
    const char *line;
    size_t len;
    assert_int_equal(1, tl_jsonl_next(r, &line, &len, NULL));
    assert_string_equal("{\"a\":1}", line);
    assert_int_equal(1, tl_jsonl_lineno(r));
    assert_int_equal(1, tl_jsonl_next(r, &line, &len, NULL));
    assert_string_equal("{\"b\":2}", line); /* CR dropped */
    assert_int_equal(7, len);
    assert_int_equal(4, tl_jsonl_lineno(r));
    assert_int_equal(1, tl_jsonl_next(r, &line, &len, NULL));
    assert_string_equal("{\"c\":3}", line); /* last line without a newline */
    assert_int_equal(6, tl_jsonl_lineno(r));
    assert_int_equal(0, tl_jsonl_next(r, &line, &len, NULL));
    assert_int_equal(0, tl_jsonl_next(r, &line, &len, NULL));
    tl_jsonl_free(r);
    unlink(path);
}

static void
test_too_long(void **state)
{
    (void)state;
    /* Line 2 is 300 bytes with a 100-byte limit; line 3 must still be read. */
    char text[512];
    size_t off = (size_t)snprintf(text, sizeof(text), "{\"x\":1}\n");
    text[off++] = '"';
    for (int i = 0; i < 298; i++) {
        text[off++] = 'y';
    }
    text[off++] = '"';
    text[off++] = '\n';
    off += (size_t)snprintf(text + off, sizeof(text) - off, "{\"z\":3}\n");
    char path[64];
    tl_test_tmpfile(path, sizeof(path), text, off);
    struct tl_jsonl *r = NULL;
    assert_int_equal(TL_OK, tl_jsonl_open(path, 100, &r, NULL));
    const char *line;
    size_t len;
    struct tl_diag d = {0};
    assert_int_equal(1, tl_jsonl_next(r, &line, &len, &d));
    assert_int_equal(TL_ETOOBIG, tl_jsonl_next(r, &line, &len, &d));
    char expect[128];
    snprintf(expect, sizeof(expect), "%s:2: line longer than 100 bytes", path);
    assert_string_equal(expect, tl_test_diag(&d));
    assert_int_equal(1, tl_jsonl_next(r, &line, &len, &d));
    assert_string_equal("{\"z\":3}", line);
    assert_int_equal(3, tl_jsonl_lineno(r));
    assert_int_equal(0, tl_jsonl_next(r, &line, &len, &d));
    tl_jsonl_free(r);
    unlink(path);
}

/* A line far longer than the buffer (several reads): reported once, skipped whole. */
static void
test_very_long_line(void **state)
{
    (void)state;
    size_t big = 3u << 20;
    char *text = malloc(big + 128);
    assert_non_null(text);
    memset(text, 'a', big);
    text[big] = '\n';
    size_t off = big + 1;
    off += (size_t)snprintf(text + off, 64, "{\"ok\":true}\n");
    char path[64];
    tl_test_tmpfile(path, sizeof(path), text, off);
    free(text);
    struct tl_jsonl *r = NULL;
    assert_int_equal(TL_OK, tl_jsonl_open(path, 1000, &r, NULL));
    const char *line;
    size_t len;
    assert_int_equal(TL_ETOOBIG, tl_jsonl_next(r, &line, &len, NULL));
    assert_int_equal(1, tl_jsonl_next(r, &line, &len, NULL));
    assert_string_equal("{\"ok\":true}", line);
    assert_int_equal(2, tl_jsonl_lineno(r));
    tl_jsonl_free(r);
    unlink(path);
}

static void
test_missing_file(void **state)
{
    (void)state;
    struct tl_jsonl *r = NULL;
    struct tl_diag d = {0};
    assert_int_equal(TL_EIO, tl_jsonl_open("/nonexistent/x.jsonl", 0, &r, &d));
    assert_string_equal("/nonexistent/x.jsonl: cannot open: No such file or directory",
                        tl_test_diag(&d));
    assert_null(r);
}

/* 200,000 lines through a reader whose memory is about max_line: constant memory. */
static void
test_many_lines(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof(path), "/tmp/tl_test_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < 200000; i++) {
        fprintf(f, "{\"i\":%d}\n", i);
    }
    fclose(f);
    struct tl_jsonl *r = NULL;
    assert_int_equal(TL_OK, tl_jsonl_open(path, 4096, &r, NULL));
    const char *line;
    size_t len;
    long n = 0;
    while (tl_jsonl_next(r, &line, &len, NULL) == 1) {
        char expect[32];
        snprintf(expect, sizeof(expect), "{\"i\":%ld}", n);
        if (strcmp(expect, line) != 0) {
            fail_msg("line %ld: %s", n + 1, line);
        }
        n++;
    }
    assert_int_equal(200000, n);
    tl_jsonl_free(r);
    unlink(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_and_numbers), cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_very_long_line),    cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_many_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
