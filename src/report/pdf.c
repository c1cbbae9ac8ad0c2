/*
 * pdf.c - the daily report to PDF through headless Chromium.
 *
 * Chromium's own printing (--print-to-pdf) lays the page out exactly as a person printing
 * it from the browser would, print CSS included, so the PDF is the page.  It runs as a child
 * process with the flags that keep Debian's chromium quiet and offline on a server: headless,
 * no sandbox (it runs as root in CI), no GPU, no QUIC, no first-run, no background
 * networking, component updates or sync; a fresh profile directory that is removed after.
 * The library prints nothing: the child's standard output and error go to /dev/null.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <truceline/report.h>

#include "../util/util.h"

extern char **environ;

/* Remove a directory tree that we made (no symlinks followed: lstat). */
static void
rm_tree(const char *path, int depth)
{
    struct stat sb;
    if (depth > 32 || lstat(path, &sb) != 0) {
        return;
    }
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
                continue;
            }
            size_t n = strlen(path) + strlen(e->d_name) + 2;
            char *child = tl_malloc(n);
            if (child) {
                snprintf(child, n, "%s/%s", path, e->d_name);
                rm_tree(child, depth + 1);
                tl_free(child);
            }
        }
        if (d) {
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

int
tl_report_pdf(const char *chromium,
              const char *html_path,
              const char *pdf_path,
              struct tl_diag *diag)
{
    if (!chromium || !html_path || !pdf_path) {
        return tl__diag(diag, TL_EINVAL, "pdf", "chromium, html and pdf paths are required");
    }
    if (access(chromium, X_OK) != 0) {
        return tl__diag(diag, TL_ENOTFOUND, "pdf",
                        "%s: not an executable (Debian: apt-get install chromium)", chromium);
    }
    char *abs = realpath(html_path, NULL);
    if (!abs) {
        return tl__diag(diag, TL_EIO, "pdf", "%s: %s", html_path, strerror(errno));
    }
    char profile[] = "/tmp/truceline-chromium-XXXXXX";
    if (!mkdtemp(profile)) {
        free(abs);
        return tl__diag(diag, TL_EIO, "pdf", "cannot make a profile directory: %s",
                        strerror(errno));
    }
    size_t n = strlen(abs) + 16, m = strlen(pdf_path) + 32, k = sizeof(profile) + 32;
    char *url = tl_malloc(n), *out = tl_malloc(m), *prof = tl_malloc(k);
    int rc = TL_OK;
    if (!url || !out || !prof) {
        rc = TL_ENOMEM;
        goto done;
    }
    snprintf(url, n, "file://%s", abs);
    snprintf(out, m, "--print-to-pdf=%s", pdf_path);
    snprintf(prof, k, "--user-data-dir=%s", profile);
    remove(pdf_path);
    char a0[] = "chromium", a1[] = "--headless", a2[] = "--no-sandbox", a3[] = "--disable-gpu",
         a4[] = "--disable-quic", a5[] = "--no-first-run", a6[] = "--disable-background-networking",
         a7[] = "--disable-component-update", a8[] = "--disable-sync",
         a9[] = "--no-pdf-header-footer";
    char *argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, prof, out, url, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int err = posix_spawn(&pid, chromium, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0) {
        rc = tl__diag(diag, TL_EIO, "pdf", "cannot start %s: %s", chromium, strerror(err));
        goto done;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    FILE *f = fopen(pdf_path, "rb");
    char head[5] = "";
    size_t got = f ? fread(head, 1, 4, f) : 0;
    if (f) {
        fclose(f);
    }
    if (got != 4 || memcmp(head, "%PDF", 4) != 0) {
        rc = tl__diag(diag, TL_EIO, "pdf", "%s wrote no PDF (exit status %d)", chromium,
                      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
done:
    rm_tree(profile, 0);
    free(abs);
    tl_free(url);
    tl_free(out);
    tl_free(prof);
    return rc;
}
