/*
 * server.c - a server's life: configuration, start, the checkpoint timer, stop.
 *
 * Start order: mission, data directory, store (schema migration), log (created
 * on first start with an origin derived from the mission name), live feed hub,
 * processing thread (it first appends to the log whatever a crash left stored
 * but unlogged), checkpoint timer, and last the HTTP listener, so that nothing
 * is accepted before everything behind it runs.  Stop goes the other way:
 * streams are told to end, the listener stops (MHD waits for requests in
 * flight, each of which either committed or did not), processing stops, a last
 * checkpoint is signed, and the store and the log are closed.
 *
 * The checkpoint timer signs a checkpoint every `checkpoint_ns` when the log
 * grew (tl_tlog_checkpoint asks the witnesses of the log's policy and
 * publishes only at quorum; with no policy - the demo and tests - the log's
 * own signature publishes it).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <truceline/time.h>

#include "server_priv.h"

void
tl_server_config_default(struct tl_server_config *c)
{
    memset(c, 0, sizeof(*c));
    c->listen = "127.0.0.1:8080";
    c->max_body_bytes = (size_t)4 << 20;
    c->max_batch_records = 10000;
    c->max_line_bytes = 16 * 1024;
    c->station_rate = 2000.0;
    c->station_burst = 20000.0;
    c->max_future_ns = INT64_C(600) * TL_NS_PER_S;
    c->embargo_ns = INT64_C(86400) * TL_NS_PER_S;
    c->window_ns = INT64_C(3600) * TL_NS_PER_S;
    c->run_interval_ns = TL_NS_PER_S;
    c->checkpoint_ns = 500 * TL_NS_PER_MS;
    c->max_connections = 256;
    c->station_token_required = false;
    c->anonymous_public = true;
}

const char *
tl_server_url(const struct tl_server *s)
{
    return s->url;
}

/* "truceline/<slug of the mission name>": lowercase letters, digits and '-'. */
static void
origin_from_name(const char *name, char *out, size_t size)
{
    size_t k = (size_t)snprintf(out, size, "truceline/");
    bool dash = false;
    for (const char *p = name; *p && k + 2 < size; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            out[k++] = c;
            dash = false;
        } else if (!dash && k > 10) {
            out[k++] = '-';
            dash = true;
        }
    }
    while (k > 10 && out[k - 1] == '-') {
        k--;
    }
    if (k == 10) {
        k += (size_t)snprintf(out + k, size - k, "mission");
    }
    out[k] = '\0';
}

static int
read_text(const char *path, char **out, struct tl_diag *diag)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return tl__diag(diag, TL_EIO, "policy", "%s: %s", path, strerror(errno));
    }
    struct tl__sbuf b;
    tl__sbuf_init(&b, (size_t)1 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        tl__sbuf_add(&b, chunk, n);
    }
    fclose(f);
    if (b.failed || !b.p) {
        tl__sbuf_fini(&b);
        return tl__diag(diag, TL_EINVAL, "policy", "%s: empty or larger than 1 MiB", path);
    }
    *out = b.p;
    return TL_OK;
}

static int
open_log(struct tl_server *s, struct tl_diag *diag)
{
    snprintf(s->log_dir, sizeof(s->log_dir), "%s/log", s->data_dir);
    int rc = tl_tlog_open(s->log_dir, &s->log, diag);
    if (rc != TL_ENOTFOUND) {
        return rc;
    }
    char origin[TL_TLOG_NAME_MAX + 1];
    if (s->cfg.log_origin) {
        tl__strlcpy(origin, s->cfg.log_origin, sizeof(origin));
    } else {
        origin_from_name(tl_mission_name(s->mission), origin, sizeof(origin));
    }
    char *policy = NULL;
    if (s->cfg.log_policy_path &&
        (rc = read_text(s->cfg.log_policy_path, &policy, diag)) != TL_OK) {
        return rc;
    }
    if (diag) {
        memset(diag, 0, sizeof(*diag));
    }
    rc = tl_tlog_create(s->log_dir, origin, policy, &s->log, diag);
    tl_free(policy);
    if (rc == TL_OK) {
        TL_LOG(TL_LOG_INFO, "server", "new log %s in %s (%s)", origin, s->log_dir,
               s->cfg.log_policy_path ? "with witnesses" : "no witnesses");
    }
    return rc;
}

struct audit_ctx {
    const char *action;
    const char *detail;
};

static int
audit_job(struct tl__conn *c, void *vctx)
{
    struct audit_ctx *a = vctx;
    return tl__audit(c, tl_time_now(), "server", a->action, NULL, a->detail);
}

static void *
checkpoint_main(void *arg)
{
    struct tl_server *s = arg;
    uint64_t tried = UINT64_MAX;
    tl_time_ns last_warn = 0, last_try = 0;
    pthread_mutex_lock(&s->cp_mu);
    while (!atomic_load(&s->stopping)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = ts.tv_nsec + s->cfg.checkpoint_ns;
        ts.tv_sec += (time_t)(ns / TL_NS_PER_S);
        ts.tv_nsec = (long)(ns % TL_NS_PER_S);
        pthread_cond_timedwait(&s->cp_cv, &s->cp_mu, &ts);
        if (atomic_load(&s->stopping)) {
            break;
        }
        pthread_mutex_unlock(&s->cp_mu);
        uint64_t size = 0;
        tl_tlog_tree(s->log, &size, NULL);
        tl_time_ns now = tl_time_now();
        /* sign when the log grew; after a failure (no quorum) try again every 5 s */
        if (size > 0 && (size != tried || now - last_try > INT64_C(5) * TL_NS_PER_S)) {
            bool fresh = false;
            pthread_mutex_lock(&s->cp_mu);
            fresh = s->cp_size != size;
            pthread_mutex_unlock(&s->cp_mu);
            if (fresh) {
                struct tl_diag d;
                memset(&d, 0, sizeof(d));
                tried = size;
                last_try = now;
                int rc = tl_tlog_checkpoint(s->log, NULL, &d);
                if (rc == TL_OK) {
                    pthread_mutex_lock(&s->cp_mu);
                    s->cp_size = size;
                    pthread_mutex_unlock(&s->cp_mu);
                } else if (now - last_warn > INT64_C(60) * TL_NS_PER_S) {
                    last_warn = now;
                    TL_LOG(TL_LOG_WARN, "server", "checkpoint of size %llu not published: %s%s%s",
                           (unsigned long long)size, tl_strerror(rc), d.text[0] ? ": " : "",
                           d.text);
                }
            }
        }
        pthread_mutex_lock(&s->cp_mu);
    }
    pthread_mutex_unlock(&s->cp_mu);
    return NULL;
}

int
tl_server_new(const struct tl_server_config *c, struct tl_server **out, struct tl_diag *diag)
{
    if (!c || !out || !c->mission_path || !c->data_dir) {
        return tl__diag(diag, TL_EINVAL, NULL, "the mission and the data directory are required");
    }
    if (c->max_body_bytes < 1024 || c->max_batch_records < 1 || c->max_line_bytes < 256 ||
        !(c->station_rate > 0) || !(c->station_burst >= 1) || c->embargo_ns < 0 ||
        c->window_ns < 0 || (c->window_ns > 0 && c->window_ns < INT64_C(600) * TL_NS_PER_S) ||
        c->run_interval_ns < 0 || c->checkpoint_ns < 10 * TL_NS_PER_MS || c->max_connections < 4) {
        return tl__diag(diag, TL_EINVAL, NULL,
                        "bad configuration (limits, rates, window >= 10 min or 0, intervals)");
    }
    struct tl_server *s = tl_calloc(1, sizeof(*s));
    if (!s) {
        return TL_ENOMEM;
    }
    s->cfg = *c;
    pthread_mutex_init(&s->rate_mu, NULL);
    pthread_mutex_init(&s->cp_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cp_cv, &ca);
    pthread_condattr_destroy(&ca);
    tl__hub_init(&s->hub);
    int rc = TL_ENOMEM;
    s->mission_path = tl_strdup(c->mission_path);
    s->data_dir = tl_strdup(c->data_dir);
    s->listen = tl_strdup(c->listen ? c->listen : "127.0.0.1:8080");
    s->web_dir = c->web_dir ? tl_strdup(c->web_dir) : NULL;
    if (!s->mission_path || !s->data_dir || !s->listen || (c->web_dir && !s->web_dir)) {
        goto fail;
    }
    s->cfg.mission_path = s->mission_path;
    s->cfg.data_dir = s->data_dir;
    s->cfg.listen = s->listen;
    s->cfg.web_dir = s->web_dir;
    s->body_budget = s->cfg.max_body_bytes * 8 > ((size_t)256 << 20) ? s->cfg.max_body_bytes * 8
                                                                     : ((size_t)256 << 20);
    {
        static struct tl_mission_problems probs;
        rc = tl_mission_load(s->mission_path, &s->mission, &probs);
        if (rc != TL_OK) {
            tl__diag(diag, rc, "mission", "%s: %s", s->mission_path,
                     probs.n ? probs.text[0] : tl_strerror(rc));
            goto fail;
        }
    }
    s->buckets = tl_calloc(tl_mission_station_count(s->mission) + 1, sizeof(*s->buckets));
    if (!s->buckets) {
        rc = TL_ENOMEM;
        goto fail;
    }
    if (mkdir(s->data_dir, 0700) != 0 && errno != EEXIST) {
        rc = tl__diag(diag, TL_EIO, "data", "%s: %s", s->data_dir, strerror(errno));
        goto fail;
    }
    char dbpath[4096];
    if (tl__data_db_path(s->data_dir, dbpath, sizeof(dbpath)) != TL_OK) {
        rc = tl__diag(diag, TL_EINVAL, "data", "data directory path too long");
        goto fail;
    }
    if ((rc = tl__store_open(dbpath, 8, true, &s->store, diag)) != TL_OK) {
        goto fail;
    }
    if ((rc = open_log(s, diag)) != TL_OK) {
        goto fail;
    }
    {
        char *note = NULL;
        if (tl_tlog_published(s->log, &note) == TL_OK) {
            struct tl_checkpoint cp;
            size_t len = strlen(note);
            const char *sep = strstr(note, "\n\n");
            if (sep && tl_checkpoint_parse(note, (size_t)(sep - note) + 1, &cp, NULL) == TL_OK) {
                s->cp_size = cp.size;
            }
            (void)len;
            tl_free(note);
        }
    }
    {
        char detail[512];
        snprintf(detail, sizeof(detail), "{\"mission\":\"%.200s\",\"listen\":\"%.100s\"}",
                 tl_mission_name(s->mission), s->listen);
        struct audit_ctx a = {"server.start", detail};
        tl__store_write(s->store, audit_job, &a);
    }
    if ((rc = tl__live_start(s, diag)) != TL_OK) {
        goto fail;
    }
    if (pthread_create(&s->cp_thread, NULL, checkpoint_main, s) != 0) {
        rc = tl__diag(diag, TL_ENOMEM, NULL, "cannot start the checkpoint thread");
        goto fail;
    }
    s->cp_started = true;
    if ((rc = tl__http_start(s, diag)) != TL_OK) {
        goto fail;
    }
    TL_LOG(TL_LOG_INFO, "server", "listening on %s, mission %s, data %s", s->url,
           tl_mission_name(s->mission), s->data_dir);
    *out = s;
    return TL_OK;
fail:
    tl_server_free(s);
    return rc;
}

void
tl_server_free(struct tl_server *s)
{
    if (!s) {
        return;
    }
    atomic_store(&s->stopping, true);
    tl__hub_stop(&s->hub);
    tl__http_stop(s);
    tl__live_stop(s);
    if (s->cp_started) {
        pthread_mutex_lock(&s->cp_mu);
        pthread_cond_broadcast(&s->cp_cv);
        pthread_mutex_unlock(&s->cp_mu);
        pthread_join(s->cp_thread, NULL);
        /* a last checkpoint for what was appended since the timer's last one */
        uint64_t size = 0;
        tl_tlog_tree(s->log, &size, NULL);
        if (size > 0 && size != s->cp_size) {
            tl_tlog_checkpoint(s->log, NULL, NULL);
        }
    }
    if (s->store) {
        struct audit_ctx a = {"server.stop", NULL};
        tl__store_write(s->store, audit_job, &a);
    }
    tl__store_close(s->store);
    tl_tlog_free(s->log);
    tl_mission_free(s->mission);
    tl__hub_fini(&s->hub);
    tl_free(s->buckets);
    tl_free(s->mission_path);
    tl_free(s->data_dir);
    tl_free(s->listen);
    tl_free(s->web_dir);
    pthread_mutex_destroy(&s->rate_mu);
    pthread_mutex_destroy(&s->cp_mu);
    pthread_cond_destroy(&s->cp_cv);
    tl_free(s);
}
