/*
 * cmd_report.c - `truceline report`: the daily report of a running server, as HTML or PDF.
 *
 *     truceline report --date YYYY-MM-DD [--url http://127.0.0.1:8080]
 *                      [--token-file F] (--html FILE | --pdf FILE ...)
 *
 * The report is made by the server (GET /report/{date}, docs/web.md): the server holds the
 * store and the log, and applies the caller's role (a token of the analyst or party role
 * sees the whole day; without one, the public view of what is older than the 24-hour
 * embargo).  This command fetches that page with the token, writes it, and for --pdf prints
 * it with headless Chromium (--chromium, default /usr/bin/chromium).  To report from a data
 * directory, start `truceline serve --data DIR` on it first (one process owns a data
 * directory).  The token is read from --token-file or the TRUCELINE_TOKEN environment
 * variable, not from the command line, where other users could see it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static const char *const USAGE =
    "usage: truceline report --date YYYY-MM-DD [--url URL] [--token-file F]\n"
    "                        [--html FILE] [--pdf FILE] [--chromium PATH]\n\n"
    "fetches the daily report of a running server (GET URL/report/DATE) and writes it as\n"
    "HTML (--html) and/or PDF (--pdf, printed by headless Chromium).\n\n"
    "  --url URL         the server (default http://127.0.0.1:8080)\n"
    "  --token-file F    a file holding an access token (else $TRUCELINE_TOKEN; none:\n"
    "                    the public view, older than the embargo)\n"
    "  --chromium PATH   default /usr/bin/chromium\n";

static char *
read_token(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return NULL;
    }
    char buf[TL_TOKEN_MAX + 2] = "";
    char *ok = fgets(buf, sizeof(buf), f);
    fclose(f);
    if (!ok) {
        return NULL;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return tl_strdup(buf);
}

static int
write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        return TL_EIO;
    }
    size_t n = fwrite(data, 1, len, f);
    int bad = fclose(f) != 0 || n != len;
    return bad ? TL_EIO : TL_OK;
}

int
cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"date", required_argument, NULL, 'd'},
                                         {"url", required_argument, NULL, 'u'},
                                         {"token-file", required_argument, NULL, 't'},
                                         {"html", required_argument, NULL, 'H'},
                                         {"pdf", required_argument, NULL, 'p'},
                                         {"chromium", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *date = NULL, *url = "http://127.0.0.1:8080", *token_file = NULL;
    const char *html_path = NULL, *pdf_path = NULL, *chromium = "/usr/bin/chromium";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            date = optarg;
            break;
        case 'u':
            url = optarg;
            break;
        case 't':
            token_file = optarg;
            break;
        case 'H':
            html_path = optarg;
            break;
        case 'p':
            pdf_path = optarg;
            break;
        case 'c':
            chromium = optarg;
            break;
        case 'h':
            fputs(USAGE, stdout);
            return EXIT_OK;
        default:
            fputs(USAGE, stderr);
            return EXIT_USAGE;
        }
    }
    if (!date || (!html_path && !pdf_path) || optind != argc) {
        fputs(USAGE, stderr);
        return EXIT_USAGE;
    }
    char *token = NULL;
    if (token_file) {
        token = read_token(token_file);
        if (!token) {
            return tool_fail(EXIT_INPUT, "report", "%s: cannot read a token", token_file);
        }
    } else if (getenv("TRUCELINE_TOKEN")) {
        token = tl_strdup(getenv("TRUCELINE_TOKEN"));
    }
    struct tl_diag d;
    memset(&d, 0, sizeof(d));
    char buf[640];
    char *html = NULL;
    size_t len = 0;
    int rc = tl_report_fetch(url, date, token, &html, &len, &d);
    tl_free(token);
    if (rc != TL_OK) {
        return tool_fail(rc == TL_EINVAL ? EXIT_USAGE : EXIT_RUNTIME, "report", "%s",
                         tl_diag_format(&d, buf, sizeof(buf)));
    }
    char tmp[] = "/tmp/truceline-report-XXXXXX.html";
    const char *target = html_path;
    if (!target) {
        int fd = mkstemps(tmp, 5);
        if (fd < 0) {
            tl_free(html);
            return tool_fail(EXIT_RUNTIME, "report", "cannot make a temporary file");
        }
        close(fd);
        target = tmp;
    }
    rc = write_file(target, html, len);
    tl_free(html);
    if (rc != TL_OK) {
        return tool_fail(EXIT_RUNTIME, "report", "%s: cannot write", target);
    }
    if (pdf_path) {
        rc = tl_report_pdf(chromium, target, pdf_path, &d);
        if (!html_path) {
            remove(tmp);
        }
        if (rc != TL_OK) {
            return tool_fail(EXIT_RUNTIME, "report", "%s", tl_diag_format(&d, buf, sizeof(buf)));
        }
        printf("report %s: %s\n", date, pdf_path);
    }
    if (html_path) {
        printf("report %s: %s\n", date, html_path);
    }
    return EXIT_OK;
}
