/*
 * client.c - just enough HTTP/1.1 for the server's own clients.
 *
 * `truceline replay` and the load benchmark talk to a truceline server and
 * nothing else, over plain HTTP on a kept-alive connection: send a request
 * with a Content-Length, read the status line and headers, then the body
 * (Content-Length or chunked).  Every wait has a timeout; responses are
 * capped at 16 MiB.  A request on a connection that the server closed while
 * idle is retried once on a fresh connection; any other failure is reported
 * as TL_EIO and the caller decides (the ingest protocol makes a retry safe:
 * the server answers a batch it already holds with 409 "stored").
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server_priv.h"

#define RESP_MAX   ((size_t)16 << 20)
#define HEADER_MAX 16384

int
tl__http_client_init(struct tl__http_client *c, const char *url)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->timeout_ms = 60000;
    if (!url || strncmp(url, "http://", 7) != 0) {
        return TL_EINVAL;
    }
    const char *h = url + 7;
    const char *colon = strrchr(h, ':');
    const char *slash = strchr(h, '/');
    if (!colon || colon == h || (size_t)(colon - h) >= sizeof(c->host) ||
        (slash && slash < colon)) {
        return TL_EINVAL;
    }
    size_t plen = slash ? (size_t)(slash - colon - 1) : strlen(colon + 1);
    if (plen == 0 || plen >= sizeof(c->port) || (slash && strcmp(slash, "/") != 0)) {
        return TL_EINVAL;
    }
    memcpy(c->host, h, (size_t)(colon - h));
    c->host[colon - h] = '\0';
    memcpy(c->port, colon + 1, plen);
    c->port[plen] = '\0';
    for (size_t i = 0; i < plen; i++) {
        if (c->port[i] < '0' || c->port[i] > '9') {
            return TL_EINVAL;
        }
    }
    return TL_OK;
}

void
tl__http_client_close(struct tl__http_client *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
}

static int
connect_to(struct tl__http_client *c)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(c->host, c->port, &hints, &res) != 0 || !res) {
        return TL_EIO;
    }
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        return TL_EIO;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->fd = fd;
    return TL_OK;
}

static int
send_all(struct tl__http_client *c, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return TL_EIO;
        }
        p += w;
        n -= (size_t)w;
    }
    return TL_OK;
}

/* Read at least one byte into the buffer (growing it up to RESP_MAX). */
static int
fill(struct tl__http_client *c, struct tl__sbuf *in)
{
    struct pollfd pfd = {c->fd, POLLIN, 0};
    int pr;
    do {
        pr = poll(&pfd, 1, c->timeout_ms);
    } while (pr < 0 && errno == EINTR);
    if (pr <= 0) {
        return TL_EIO;
    }
    char chunk[16384];
    ssize_t r;
    do {
        r = recv(c->fd, chunk, sizeof(chunk), 0);
    } while (r < 0 && errno == EINTR);
    if (r <= 0) {
        return TL_EIO;
    }
    tl__sbuf_add(in, chunk, (size_t)r);
    return in->failed ? TL_ETOOBIG : TL_OK;
}

static const char *
find_header(const char *head, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ' || *v == '\t') {
                v++;
            }
            const char *e = strstr(v, "\r\n");
            *vlen = e ? (size_t)(e - v) : strlen(v);
            return v;
        }
    }
    return NULL;
}

/* Read one response from the connection. */
static int
read_response(struct tl__http_client *c, struct tl__http_resp *resp, bool *closes)
{
    struct tl__sbuf in;
    tl__sbuf_init(&in, RESP_MAX);
    int rc = TL_OK;
    char *hend = NULL;
    while (rc == TL_OK && !(in.p && (hend = strstr(in.p, "\r\n\r\n")) != NULL)) {
        if (in.n > HEADER_MAX) {
            rc = TL_ETOOBIG;
            break;
        }
        rc = fill(c, &in);
    }
    if (rc != TL_OK) {
        tl__sbuf_fini(&in);
        return rc;
    }
    size_t head_len = (size_t)(hend - in.p) + 4;
    hend[2] = '\0'; /* headers as a string ending in one CRLF */
    int status = 0;
    if (sscanf(in.p, "HTTP/1.%*d %d", &status) != 1 || status < 100 || status > 999) {
        tl__sbuf_fini(&in);
        return TL_EIO;
    }
    size_t vl;
    const char *v;
    double retry = 0;
    if ((v = find_header(in.p, "Retry-After", &vl)) != NULL) {
        retry = strtod(v, NULL);
    }
    *closes = (v = find_header(in.p, "Connection", &vl)) != NULL && vl >= 5 &&
              strncasecmp(v, "close", 5) == 0;
    bool chunked = (v = find_header(in.p, "Transfer-Encoding", &vl)) != NULL &&
                   strncasecmp(v, "chunked", 7) == 0;
    long long clen = -1;
    if ((v = find_header(in.p, "Content-Length", &vl)) != NULL) {
        clen = strtoll(v, NULL, 10);
        if (clen < 0 || (size_t)clen > RESP_MAX) {
            tl__sbuf_fini(&in);
            return TL_ETOOBIG;
        }
    }
    struct tl__sbuf body;
    tl__sbuf_init(&body, RESP_MAX);
    size_t pos = head_len;
    if (chunked) {
        for (;;) {
            char *crlf;
            while (rc == TL_OK && !(crlf = strstr(in.p + pos, "\r\n"))) {
                rc = fill(c, &in);
            }
            if (rc != TL_OK) {
                break;
            }
            unsigned long long sz = strtoull(in.p + pos, NULL, 16);
            pos = (size_t)(crlf - in.p) + 2;
            if (sz > RESP_MAX) {
                rc = TL_ETOOBIG;
                break;
            }
            while (rc == TL_OK && in.n < pos + sz + 2) {
                rc = fill(c, &in);
            }
            if (rc != TL_OK) {
                break;
            }
            tl__sbuf_add(&body, in.p + pos, (size_t)sz);
            pos += (size_t)sz + 2;
            if (sz == 0) {
                break;
            }
        }
    } else if (clen >= 0) {
        while (rc == TL_OK && in.n < head_len + (size_t)clen) {
            rc = fill(c, &in);
        }
        if (rc == TL_OK) {
            tl__sbuf_add(&body, in.p + head_len, (size_t)clen);
        }
    } else if (status != 204 && status != 304) {
        /* no length: until the server closes */
        while (fill(c, &in) == TL_OK) {
        }
        tl__sbuf_add(&body, in.p + head_len, in.n - head_len);
        *closes = true;
    }
    tl__sbuf_fini(&in);
    if (rc == TL_OK && body.failed) {
        rc = TL_ETOOBIG;
    }
    if (rc != TL_OK) {
        tl__sbuf_fini(&body);
        return rc;
    }
    if (!body.p) {
        tl__sbuf_add(&body, "", 0);
        if (!body.p) {
            body.p = tl_strdup("");
        }
    }
    resp->status = status;
    resp->retry_after_s = retry;
    resp->body = body.p;
    resp->len = body.n;
    return body.p ? TL_OK : TL_ENOMEM;
}

int
tl__http_request(struct tl__http_client *c,
                 const char *method,
                 const char *path,
                 const char *const *headers,
                 const void *body,
                 size_t len,
                 struct tl__http_resp *resp)
{
    struct tl__sbuf req;
    tl__sbuf_init(&req, HEADER_MAX + len + 1);
    tl__sbuf_printf(&req, "%s %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Length: %zu\r\n", method, path,
                    c->host, c->port, len);
    for (size_t i = 0; headers && headers[i]; i++) {
        tl__sbuf_str(&req, headers[i]);
        tl__sbuf_str(&req, "\r\n");
    }
    tl__sbuf_str(&req, "\r\n");
    if (req.failed) {
        tl__sbuf_fini(&req);
        return TL_ETOOBIG;
    }
    int rc = TL_EIO;
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = c->fd >= 0;
        if (c->fd < 0 && connect_to(c) != TL_OK) {
            rc = TL_EIO;
            break;
        }
        rc = send_all(c, req.p, req.n);
        if (rc == TL_OK && len) {
            rc = send_all(c, body, len);
        }
        bool closes = false;
        if (rc == TL_OK) {
            rc = read_response(c, resp, &closes);
        }
        if (rc == TL_OK) {
            if (closes) {
                tl__http_client_close(c);
            }
            break;
        }
        tl__http_client_close(c);
        if (!reused || rc != TL_EIO) {
            break; /* a fresh connection failed: report it */
        }
    }
    tl__sbuf_fini(&req);
    return rc;
}
