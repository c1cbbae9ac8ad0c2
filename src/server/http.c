/*
 * http.c - libmicrohttpd glue: connections, limits, authentication, dispatch.
 *
 * MHD runs one thread per connection (MHD_USE_THREAD_PER_CONNECTION): a
 * handler may block, which two of ours do on purpose (an ingest waits for the
 * group commit, a stream waits for news), and the number of connections is
 * capped, so the number of threads is too.  Memory is bounded per request:
 * MHD's per-connection memory limit holds the headers, a request body is
 * buffered up to max_body_bytes (413 past it, decided from Content-Length
 * before reading when it is given; a body of up to DRAIN_MAX_BYTES is read and
 * dropped first, so that the client reads the answer), and all bodies buffered at once share a
 * global budget (503 when it is spent).
 *
 * A request is handled in three steps, as MHD calls the access handler:
 *   1. first call: route, authenticate (Authorization: Bearer <token>; no
 *      token is the public role unless the server requires one), check the
 *      method and the announced length;
 *   2. body chunks: appended to the request's buffer;
 *   3. last call: the handler of the route builds the response.
 * Every error is a JSON body {"error": code, "message": text}.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <truceline/time.h>

#include "server_priv.h"

#define SMALL_BODY_MAX  (64u * 1024u) /* bodies of requests other than ingest */
/* An announced body over the limit but at most this long is read and dropped before the
 * 413: a client that sends its body without waiting for "100 Continue" (curl does below
 * 1 MiB) would otherwise have the connection closed under it and never read the answer. */
#define DRAIN_MAX_BYTES (8u * 1024u * 1024u)

static void
free_buffer(void *p)
{
    tl_free(p);
}

int
tl__respond(struct tl__req *r, unsigned status, const char *type, char *body, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(len, body, free_buffer);
    if (!resp) {
        tl_free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (status == 429) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    }
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    r->responded = true;
    if (status >= 400) {
        atomic_fetch_add(&r->s->n_rejected, 1);
    }
    return ret;
}

int
tl__respond_json(struct tl__req *r, unsigned status, json_t *j)
{
    char *text = j ? tl__json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (!text) {
        return MHD_NO;
    }
    size_t n = strlen(text);
    /* tl__json_dumps allocates with our allocator (tl_set_allocator sets jansson's) */
    char *body = tl_malloc(n + 2);
    if (!body) {
        free_buffer(text);
        return MHD_NO;
    }
    memcpy(body, text, n);
    body[n] = '\n';
    body[n + 1] = '\0';
    free_buffer(text);
    return tl__respond(r, status, "application/json", body, n + 1);
}

/* The error body; `required`: the extra members are part of the answer, so a missing
 * `extra` is an allocation that failed. */
static int
respond_error_v(struct tl__req *r,
                unsigned status,
                const char *code,
                json_t *extra,
                bool required,
                const char *fmt,
                va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    json_t *j = json_pack("{s:s,s:s}", "error", code, "message", msg);
    if (j && ((required && !extra) || (extra && json_object_update(j, extra) != 0))) {
        /* an error without the members it promises (last_seq, retry_after_s, lines) would
         * mislead the client: out of memory is what it gets */
        json_decref(j);
        j = json_pack("{s:s,s:s}", "error", "no_memory", "message", "out of memory; retry later");
        status = 503;
    }
    json_decref(extra);
    return tl__respond_json(r, status, j);
}

int
tl__respond_error(struct tl__req *r,
                  unsigned status,
                  const char *code,
                  json_t *extra,
                  const char *fmt,
                  ...)
{
    va_list ap;
    va_start(ap, fmt);
    int ret = respond_error_v(r, status, code, extra, false, fmt, ap);
    va_end(ap);
    return ret;
}

int
tl__respond_error_with(struct tl__req *r,
                       unsigned status,
                       const char *code,
                       json_t *extra,
                       const char *fmt,
                       ...)
{
    va_list ap;
    va_start(ap, fmt);
    int ret = respond_error_v(r, status, code, extra, true, fmt, ap);
    va_end(ap);
    return ret;
}

int
tl__respond_buf(struct tl__req *r, unsigned status, const char *type, struct tl__sbuf *b)
{
    if (b->failed) {
        tl__sbuf_fini(b);
        return tl__respond_error(r, 500, "too_big", NULL,
                                 "the response would exceed the server's limit; narrow the query");
    }
    char *p = b->p;
    size_t n = b->n;
    b->p = NULL;
    tl__sbuf_fini(b);
    if (!p) {
        p = tl_strdup("");
    }
    return tl__respond(r, status, type, p, n);
}

const char *
tl__req_header(struct tl__req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

struct args_ctx {
    struct tl__arg *args;
    size_t n, max;
    bool overflow;
};

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct args_ctx *a = cls;
    if (a->n >= a->max) {
        a->overflow = true;
        return MHD_NO;
    }
    a->args[a->n].key = key;
    a->args[a->n].value = value;
    a->n++;
    return MHD_YES;
}

int
tl__req_args(struct tl__req *r, struct tl__arg *args, size_t *n)
{
    struct args_ctx a = {args, 0, TL__MAX_ARGS, false};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &a);
    *n = a.n;
    return a.overflow ? TL_ETOOBIG : TL_OK;
}

tl_time_ns
tl__visible_until(const struct tl__req *r)
{
    if (r->role == TL_ROLE_PUBLIC) {
        return tl_time_now() - r->s->cfg.embargo_ns;
    }
    return INT64_MAX;
}

bool
tl__visible(const struct tl__req *r, tl_time_ns t_ns)
{
    return t_ns < tl__visible_until(r);
}

/* Authenticate from the Authorization header.  Returns 0 or an HTTP status to answer. */
static unsigned
authenticate(struct tl__req *r)
{
    const char *h = tl__req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h) {
        if (!r->s->cfg.anonymous_public && r->route.id != TL__R_INGEST &&
            r->route.id != TL__R_LOG && r->route.id != TL__R_WEB) {
            return 401;
        }
        r->role = TL_ROLE_PUBLIC;
        return 0;
    }
    if (strncmp(h, "Bearer ", 7) != 0) {
        return 401;
    }
    const char *t = h + 7;
    struct tl__conn *c = tl__store_reader(r->s->store);
    int rc = tl__token_check(c, t, strlen(t), &r->tok);
    tl__store_release(r->s->store, c);
    if (rc != TL_OK) {
        return rc == TL_ESTORE ? 503 : 401;
    }
    r->have_token = true;
    r->role = r->tok.role;
    return 0;
}

/* Which roles may use a route (the handler narrows further: embargo, own station). */
static bool
role_allowed(const struct tl__req *r)
{
    switch (r->route.id) {
    case TL__R_INGEST:
        return !r->have_token || r->role == TL_ROLE_STATION;
    case TL__R_EVENT_REVIEW:
    case TL__R_FINDING_REVIEW:
    case TL__R_AUDIT:
        return r->role == TL_ROLE_ANALYST;
    case TL__R_LOG:
    case TL__R_WEB:
        return true;
    default:
        /* read routes: everyone but stations */
        return r->role != TL_ROLE_STATION;
    }
}

static int
dispatch(struct tl__req *r)
{
    switch (r->route.id) {
    case TL__R_INGEST:
        return tl__handle_ingest(r);
    case TL__R_STATIONS:
    case TL__R_STATION:
        return tl__handle_stations(r);
    case TL__R_EVENTS:
        return tl__handle_list(r, TL__OBJ_EVENT);
    case TL__R_FINDINGS:
        return tl__handle_list(r, TL__OBJ_FINDING);
    case TL__R_EVENT:
        return tl__handle_object(r, TL__OBJ_EVENT);
    case TL__R_FINDING:
        return tl__handle_object(r, TL__OBJ_FINDING);
    case TL__R_EVENT_HISTORY:
        return tl__handle_history(r, TL__OBJ_EVENT);
    case TL__R_FINDING_HISTORY:
        return tl__handle_history(r, TL__OBJ_FINDING);
    case TL__R_FINDING_PROOF:
        return tl__handle_proof(r, false);
    case TL__R_FINDING_ENTRY:
        return tl__handle_proof(r, true);
    case TL__R_EVENT_REVIEW:
        return tl__handle_review(r, TL__OBJ_EVENT);
    case TL__R_FINDING_REVIEW:
        return tl__handle_review(r, TL__OBJ_FINDING);
    case TL__R_RECORDS:
        return tl__handle_records(r);
    case TL__R_BULLETIN:
        return tl__handle_bulletin(r);
    case TL__R_STREAM:
        return tl__handle_stream(r);
    case TL__R_STATUS:
        return tl__handle_status(r);
    case TL__R_AUDIT:
        return tl__handle_audit(r);
    case TL__R_MISSION:
        return tl__handle_mission(r);
    case TL__R_REPORT:
        return tl__handle_report(r);
    case TL__R_LOG:
        return tl__handle_static(r, r->s->log_dir, r->route.rest, true);
    case TL__R_WEB:
        return tl__handle_static(r, r->s->web_dir, r->route.rest, false);
    default:
        return tl__respond_error(r, 404, "not_found", NULL, "no such resource");
    }
}

static void
release_body(struct tl__req *r)
{
    if (r->reserved) {
        atomic_fetch_sub(&r->s->body_bytes, r->reserved);
        r->reserved = 0;
    }
    tl_free(r->body);
    r->body = NULL;
}

/* Make room for `need` body bytes within the request's and the server's limits. */
static bool
body_reserve(struct tl__req *r, size_t need)
{
    if (need > r->body_max) {
        r->body_toobig = true;
        return false;
    }
    if (need <= r->body_cap) {
        return true;
    }
    size_t cap = r->body_cap ? r->body_cap : 4096;
    while (cap < need) {
        cap *= 2;
    }
    if (cap > r->body_max) {
        cap = r->body_max;
    }
    size_t extra = cap - r->reserved;
    size_t before = atomic_fetch_add(&r->s->body_bytes, extra);
    if (before + extra > r->s->body_budget) {
        atomic_fetch_sub(&r->s->body_bytes, extra);
        return false;
    }
    char *p = tl_realloc(r->body, cap);
    if (!p) {
        atomic_fetch_sub(&r->s->body_bytes, extra);
        return false;
    }
    r->reserved += extra;
    r->body = p;
    r->body_cap = cap;
    return true;
}

static enum MHD_Result
on_request(void *cls,
           struct MHD_Connection *conn,
           const char *url,
           const char *method,
           const char *version,
           const char *upload_data,
           size_t *upload_data_size,
           void **con_cls)
{
    (void)version;
    struct tl_server *s = cls;
    struct tl__req *r = *con_cls;
    if (!r) {
        r = tl_calloc(1, sizeof(*r));
        if (!r) {
            return MHD_NO;
        }
        *con_cls = r;
        r->s = s;
        r->conn = conn;
        r->start_ns = tl_time_now();
        tl__strlcpy(r->method, method, sizeof(r->method));
        atomic_fetch_add(&s->n_requests, 1);
        r->route_status = tl__route_match(method, url, s->web_dir != NULL, &r->route);
        if (r->route_status == 405) {
            return (enum MHD_Result)tl__respond_error(r, 405, "method_not_allowed", NULL,
                                                      "%s is not allowed on %s", r->method, url);
        }
        if (r->route_status == 400) {
            return (enum MHD_Result)tl__respond_error(r, 400, "bad_id", NULL,
                                                      "malformed id in the path %s", url);
        }
        if (r->route_status != 200) {
            return (enum MHD_Result)tl__respond_error(r, 404, "not_found", NULL,
                                                      "no such resource: %s", url);
        }
        unsigned st = authenticate(r);
        if (st == 401) {
            return (enum MHD_Result)tl__respond_error(r, 401, "unauthenticated", NULL,
                                                      "missing, unknown or revoked token");
        }
        if (st) {
            return (enum MHD_Result)tl__respond_error(r, st, "unavailable", NULL,
                                                      "cannot check the token now; retry");
        }
        if (!role_allowed(r)) {
            return (enum MHD_Result)tl__respond_error(r, 403, "forbidden", NULL,
                                                      "role %s may not use %s %s",
                                                      tl_role_name(r->role), r->method, url);
        }
        r->body_max = r->route.id == TL__R_INGEST ? s->cfg.max_body_bytes : SMALL_BODY_MAX;
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            unsigned long long v = strtoull(cl, &end, 10);
            if (*end || v > r->body_max) {
                r->body_toobig = true;
                r->body_drain = !*end && v <= DRAIN_MAX_BYTES;
                if (r->body_drain) {
                    return MHD_YES;
                }
                return (enum MHD_Result)tl__respond_error(
                    r, 413, "too_big", NULL, "body larger than %zu bytes", r->body_max);
            }
            if (v > 0 && !body_reserve(r, (size_t)v)) {
                return (enum MHD_Result)tl__respond_error(r, 503, "busy", NULL,
                                                          "too many large requests at once; "
                                                          "retry");
            }
        }
        return MHD_YES;
    }
    if (r->responded || (r->body_drain && *upload_data_size > 0)) {
        /* an early answer (413, 503), or a body too big being drained before the 413:
         * drop what the client sends */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->body_drain) {
        return (enum MHD_Result)tl__respond_error(r, 413, "too_big", NULL,
                                                  "body larger than %zu bytes", r->body_max);
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (!r->route.post) {
            return (enum MHD_Result)tl__respond_error(r, 400, "unexpected_body", NULL,
                                                      "%s takes no body", r->method);
        }
        if (!body_reserve(r, r->body_len + n)) {
            if (r->body_toobig) {
                return (enum MHD_Result)tl__respond_error(
                    r, 413, "too_big", NULL, "body larger than %zu bytes", r->body_max);
            }
            return (enum MHD_Result)tl__respond_error(r, 503, "busy", NULL,
                                                      "too many large requests at once; retry");
        }
        memcpy(r->body + r->body_len, upload_data, n);
        r->body_len += n;
        return MHD_YES;
    }
    return (enum MHD_Result)dispatch(r);
}

static void
on_completed(void *cls,
             struct MHD_Connection *conn,
             void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct tl__req *r = *con_cls;
    if (r) {
        release_body(r);
        tl_free(r);
        *con_cls = NULL;
    }
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
        msg[--n] = '\0';
    }
    TL_LOG(TL_LOG_WARN, "http", "%s", msg);
}

static int
parse_listen(const char *listen, struct sockaddr_in *sa, struct tl_diag *diag)
{
    const char *colon = strrchr(listen, ':');
    char host[64];
    if (!colon || (size_t)(colon - listen) >= sizeof(host)) {
        return tl__diag(diag, TL_EINVAL, "listen", "expected ADDR:PORT, e.g. 127.0.0.1:8080");
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || port > 65535) {
        return tl__diag(diag, TL_EINVAL, "listen", "bad port in %s", listen);
    }
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        return tl__diag(diag, TL_EINVAL, "listen", "not an IPv4 address: %s", host);
    }
    return TL_OK;
}

int
tl__http_start(struct tl_server *s, struct tl_diag *diag)
{
    struct sockaddr_in sa;
    int rc = parse_listen(s->listen, &sa, diag);
    if (rc != TL_OK) {
        return rc;
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    s->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_CONNECTION_LIMIT, s->cfg.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_CONNECTION_TIMEOUT, 60u,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 * 1024), MHD_OPTION_LISTEN_BACKLOG_SIZE, 256u,
        MHD_OPTION_END);
    if (!s->mhd) {
        return tl__diag(diag, TL_EIO, "listen", "cannot listen on %s", s->listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : ntohs(sa.sin_port);
    char host[64];
    inet_ntop(AF_INET, &sa.sin_addr, host, sizeof(host));
    snprintf(s->url, sizeof(s->url), "http://%s:%u", host, (unsigned)s->port);
    return TL_OK;
}

void
tl__http_stop(struct tl_server *s)
{
    if (s->mhd) {
        MHD_stop_daemon(s->mhd);
        s->mhd = NULL;
    }
}
