/*
 * live.c - live processing: the pipeline of `truceline process`, fed as records arrive.
 *
 * One thread owns the pipelines (one per slice, below).  Its loop:
 *
 *   1. feed: read the records the writer committed since the last look
 *      (records.id > cursor, in commit order), parse each stored line and
 *      tl_pipeline_add it to every slice that holds its time;
 *   2. run: at most every run_interval, when something was fed, call
 *      tl_pipeline_run(p, INT64_MAX) on each slice fed (below), two slices at
 *      once on runner threads (run_once) - everything held is processed, so an
 *      event is formed as soon as enough picks are in (the latency goal is a
 *      finding within 5 s of its last pick) and revised when late picks come;
 *   3. diff: as each run completes, match the slices' events (the last results
 *      of each) to the stable events published before and publish what is
 *      new, changed or gone (below);
 *   4. log: append every new finding version and review to the transparency
 *      log (durably), then record each entry's index;
 *   5. reviews: apply the analysts' reviews queued by HTTP threads.
 *
 * Sliding window.  tl_pipeline_run recomputes from every record held, so a
 * pipeline holds only a slice of record time, [from, from + 1.5 W) for a window
 * `W` (a parameter; W = 0 holds everything in one slice).  Results near the ends
 * of a slice lack the records beyond them, so each slice publishes only the
 * events of its region, from its start + MARGIN to the next slice's start +
 * MARGIN (the newest slice: open while the data is inside it, else to its end -
 * MARGIN).  Slices start W/2 apart and follow the data clock (the latest record
 * time fed; advance() below): the next slice is added when the clock nears the
 * start of its region, while that region is still empty, and a slice is dropped
 * when the clock has passed its end and it was run on everything it holds; so
 * two or three slices are held at once, each region is published by one slice
 * from its first event to its last version, and the events of older regions are
 * frozen.  A backlog - a server restarted after an outage, a replay faster than
 * real time - is worked through slice by slice without a gap, each slice run at
 * once, and the oldest slice's start is kept in the store (meta live_from)
 * across restarts.  A record that arrives for a time before the oldest slice is
 * stored (and served) but not processed.
 *
 * Stable identity.  The pipeline names an event "EV" + its origin time, and
 * the origin time moves when late picks refine the location.  The server keeps
 * its own identity: each new run's event is matched to the published event
 * with which it shares most picks (pick ids, or station and time for picks
 * without id; ties go to the nearer origin time), one to one; an event seen by
 * two slices on either side of their regions' boundary is the newer slice's.
 * A matched event keeps its id and gets a new version if its GeoJSON changed; an
 * unmatched one is new and takes the pipeline's id (with "-2", "-3" if taken); a published
 * event that no longer appears gets a "withdrawn" version.  A finding's
 * identity is its launch event's stable id: same launch, same finding, even if
 * the impact it is paired with changes.  Every version is kept (table
 * versions); nothing is overwritten.
 *
 * Found again.  Runs on partial data make events and pairings come and go: an event formed
 * from early picks vanishes from one run and is formed again from the same picks a few runs
 * later, a launch loses its impact for a run and gets it back.  Withdrawn objects therefore
 * stay in memory while their time is in the window (and are loaded at start): an event that
 * shares no pick with a published event is matched, the same way, to the withdrawn ones, and
 * a launch paired again takes its withdrawn finding back; either gets a new version without
 * "withdrawn" (cause "revised") instead of a new id.  What matched a published event before
 * still does: the withdrawn ones are looked at only for the events left over.
 *
 * Reviews.  Because this thread is the only one that creates versions, HTTP
 * threads hand it reviews through a queue and wait.  A standing review (status
 * and amended fields) is re-applied to every later automatic version, so new
 * picks never silently undo an analyst's decision.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <truceline/time.h>

#include "server_priv.h"

#define MARGIN_NS   (INT64_C(300) * TL_NS_PER_S) /* window start to first published event */
#define SLACK_NS    (INT64_C(120) * TL_NS_PER_S) /* origin times move this much at most */
#define LEAD_NS     (INT64_C(120) * TL_NS_PER_S) /* a slice is added this much ahead (below) */
#define FEED_CHUNK  5000
#define DUMP_FLAGS  (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
#define MAX_OBJECTS (1u << 24)
#define MAX_SLICES  4 /* slices held at once: 3 suffice (advance()), one more for a lag */
#define LEARNT_BACK_NS  (INT64_C(24) * 3600 * TL_NS_PER_S) /* a rebuild's horizon (below) */

/* ------------------------------------------------------------ string map -- */

/* Open addressing, string keys (owned) to int64 values.  Grows by doubling. */
struct smap {
    char **keys;
    int64_t *vals;
    size_t cap, n;
};

static uint64_t
hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    }
    return h;
}

static void
smap_clear(struct smap *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        tl_free(m->keys[i]);
    }
    tl_free(m->keys);
    tl_free(m->vals);
    memset(m, 0, sizeof(*m));
}

static int
smap_grow(struct smap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    char **keys = tl_calloc(cap, sizeof(*keys));
    int64_t *vals = tl_calloc(cap, sizeof(*vals));
    if (!keys || !vals) {
        tl_free(keys);
        tl_free(vals);
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i]) {
            size_t j = (size_t)hash_str(m->keys[i]) & (cap - 1);
            while (keys[j]) {
                j = (j + 1) & (cap - 1);
            }
            keys[j] = m->keys[i];
            vals[j] = m->vals[i];
        }
    }
    tl_free(m->keys);
    tl_free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return TL_OK;
}

static int64_t *
smap_find(const struct smap *m, const char *key)
{
    if (!m->cap) {
        return NULL;
    }
    size_t i = (size_t)hash_str(key) & (m->cap - 1);
    while (m->keys[i]) {
        if (strcmp(m->keys[i], key) == 0) {
            return &m->vals[i];
        }
        i = (i + 1) & (m->cap - 1);
    }
    return NULL;
}

static int
smap_put(struct smap *m, const char *key, int64_t val)
{
    int64_t *v = smap_find(m, key);
    if (v) {
        *v = val;
        return TL_OK;
    }
    if ((m->n + 1) * 10 >= m->cap * 7 && smap_grow(m) != TL_OK) {
        return TL_ENOMEM;
    }
    size_t i = (size_t)hash_str(key) & (m->cap - 1);
    while (m->keys[i]) {
        i = (i + 1) & (m->cap - 1);
    }
    m->keys[i] = tl_strdup(key);
    if (!m->keys[i]) {
        return TL_ENOMEM;
    }
    m->vals[i] = val;
    m->n++;
    return TL_OK;
}

/* ---------------------------------------------------------------- state -- */

/* A stable object as last published. */
struct sobj {
    char id[TL_ID_MAX];
    unsigned kind;
    int64_t version;
    tl_time_ns t_ns;
    char *doc;            /* the current version's GeoJSON */
    char *review;         /* the standing review (JSON) or NULL */
    char *picks;          /* events: pick keys, '\n'-separated */
    char link[TL_ID_MAX]; /* findings: the stable id of the launch */
    bool withdrawn;       /* the current version is the withdrawn one (doc says so too) */
    bool seen;            /* produced by the current run */
};

struct review_req {
    struct tl__review_in *in;
    struct tl__review_out *out;
    bool done;
    struct review_req *next;
};

/*
 * The results of a slice's run, copied out of its pipeline by the thread that ran it, so that
 * the processing thread compares them with what it published while the slice runs again.
 * Owns its arrays; each event's arrivals point into `arr`.
 */
struct results {
    struct tl_event *ev;
    struct tl_arrival *arr;
    struct tl_finding *fd;
    size_t ne, nf;
};

/*
 * A slice: a pipeline holding the records of [from, to), 1.5 windows of record time (or
 * everything: INT64_MIN, INT64_MAX), the results of its last successful run, and what the
 * latency account needs of its runs.  While a runner thread runs it (run_once), the runner
 * touches only `p`; everything else is the processing thread's.
 */
struct slice {
    struct tl_pipeline *p;
    tl_time_ns from, to;
    struct smap rx;          /* pick key -> received_ns, for the picks it holds */
    struct results res;      /* of the last run, when `ran` */
    bool dirty;              /* fed since its last run */
    bool ran;                /* its last run succeeded and `res` holds its results */
    long runs;               /* runs so far */
    tl_time_ns fresh_rx;     /* earliest reception among the records fed since the last run */
    tl_time_ns run_fresh_rx; /* fresh_rx as the last run started (INT64_MIN: none) */
    tl_time_ns run_start, run_end;
    bool learnt_due;     /* its learnt state is to be rebuilt before its first run */
    int64_t learnt_upto; /* from the records up to this records.id (learnt_catch_up) */
};

struct tl__live {
    struct tl_server *s;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* the thread waits for kicks, reviews, stop */
    pthread_cond_t cv_done; /* review submitters wait */
    bool kicked, stop;
    struct review_req *rq_head, *rq_tail;

    struct slice sl[MAX_SLICES]; /* the slices held, oldest first (none before any record) */
    size_t n_sl;
    int64_t cursor;     /* last records.id fed */
    tl_time_ns clock;   /* latest record time fed */
    tl_time_ns done_to; /* latest record time that a completed run covered */
    tl_time_ns last_run_start;

    struct sobj *objs;
    size_t n_objs, cap_objs;
    struct smap ids; /* stable id -> index in objs */
    struct smap rx;  /* pick key -> received_ns */

    /* shared with readers of /v1/status (under mu) */
    long runs, fed, skipped_late, published, rebuilds;
    double last_run_ms, max_run_ms;
    bool running, log_pending, dirty_pub, reviews_pending;
    int64_t cursor_pub;
    tl_time_ns win_from, win_to; /* record time held: the oldest slice's start, the newest's end
                                    once the data passed it (else INT64_MAX: open) */
    size_t win_slices;
    struct tl__latency lat;     /* from the last pick of the finding's events */
    struct tl__latency lat_drv; /* from when the finding became derivable (see diff) */
    struct tl_station_qc *qc;
    size_t n_qc;
};

static int
json_dump_doc(json_t *j, char **out)
{
    char *s = tl__json_dumps(j, DUMP_FLAGS);
    if (!s) {
        return TL_ENOMEM;
    }
    *out = s;
    return TL_OK;
}

/* The pick key used for identity matching and latency: "STA|id" or "STA@t". */
static void
pick_key(const char *station, const char *pick_id, tl_time_ns t, char *buf, size_t size)
{
    if (pick_id && pick_id[0]) {
        snprintf(buf, size, "%s|%s", station, pick_id);
    } else {
        snprintf(buf, size, "%s@%" PRId64, station, t);
    }
}

/* Is any slice fed since its last run? */
static bool
any_dirty(const struct tl__live *L)
{
    for (size_t i = 0; i < L->n_sl; i++) {
        if (L->sl[i].dirty) {
            return true;
        }
    }
    return false;
}

/*
 * The region of origin time whose events slice i publishes, [*from, *to): from MARGIN
 * after its start to MARGIN after the next slice's start, or, for the newest slice, to
 * MARGIN before its end once the data passed it (open while the data is inside it).
 */
static void
region(const struct tl__live *L, size_t i, tl_time_ns *from, tl_time_ns *to)
{
    const struct slice *sl = &L->sl[i];
    *from = sl->from == INT64_MIN ? INT64_MIN : sl->from + MARGIN_NS;
    if (i + 1 < L->n_sl) {
        *to = L->sl[i + 1].from + MARGIN_NS;
    } else {
        *to = sl->to == INT64_MAX || sl->to > L->clock ? INT64_MAX : sl->to - MARGIN_NS;
    }
}

/* ------------------------------------------------------------- objects -- */

static void
sobj_fini(struct sobj *o)
{
    tl_free(o->doc);
    tl_free(o->review);
    tl_free(o->picks);
    memset(o, 0, sizeof(*o));
}

static int
reindex(struct tl__live *L)
{
    smap_clear(&L->ids);
    for (size_t i = 0; i < L->n_objs; i++) {
        if (smap_put(&L->ids, L->objs[i].id, (int64_t)i) != TL_OK) {
            return TL_ENOMEM;
        }
    }
    return TL_OK;
}

static struct sobj *
obj_get(struct tl__live *L, const char *id)
{
    int64_t *v = smap_find(&L->ids, id);
    return v ? &L->objs[*v] : NULL;
}

static struct sobj *
obj_add(struct tl__live *L, const char *id, unsigned kind)
{
    if (tl__grow((void **)&L->objs, &L->cap_objs, L->n_objs + 1, sizeof(*L->objs), MAX_OBJECTS) !=
        TL_OK) {
        return NULL;
    }
    struct sobj *o = &L->objs[L->n_objs];
    memset(o, 0, sizeof(*o));
    tl__strlcpy(o->id, id, sizeof(o->id));
    o->kind = kind;
    o->version = -1;
    if (smap_put(&L->ids, id, (int64_t)L->n_objs) != TL_OK) {
        return NULL;
    }
    L->n_objs++;
    return o;
}

/*
 * Drop the ids reserved but never published and, unless `reserved_only`, the objects older
 * than `before` from memory (they stay stored).  Withdrawn objects stay while they are in the
 * window: a later run may find them again (diff).
 */
static int
prune(struct tl__live *L, tl_time_ns before, bool reserved_only)
{
    size_t k = 0;
    for (size_t i = 0; i < L->n_objs; i++) {
        struct sobj *o = &L->objs[i];
        bool drop = (!reserved_only && o->t_ns < before) || o->version < 0;
        if (drop) {
            sobj_fini(o);
        } else {
            if (k != i) {
                L->objs[k] = *o;
            }
            k++;
        }
    }
    L->n_objs = k;
    return reindex(L);
}

/* Load the stable objects of the window from the store (at start and after a rebuild). */
static int
load_objects(struct tl__live *L, tl_time_ns from)
{
    for (size_t i = 0; i < L->n_objs; i++) {
        sobj_fini(&L->objs[i]);
    }
    L->n_objs = 0;
    smap_clear(&L->ids);
    struct tl__conn *c = tl__store_reader(L->s->store);
    sqlite3_stmt *st = tl__stmt(c, "SELECT o.id, o.kind, o.version, o.t_ns, o.review, o.picks, "
                                   "o.link, v.doc, o.withdrawn FROM objects o JOIN versions v ON "
                                   "v.seq = o.cur_seq WHERE o.t_ns >= ?1");
    int rc = st ? TL_OK : TL_ESTORE;
    if (st) {
        sqlite3_bind_int64(st, 1, from);
    }
    while (rc == TL_OK) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) {
            break;
        }
        if (step != SQLITE_ROW) {
            rc = tl__sqlrc(c, step, "live: load objects");
            break;
        }
        struct sobj *o = obj_add(L, (const char *)sqlite3_column_text(st, 0),
                                 (unsigned)sqlite3_column_int(st, 1));
        if (!o) {
            rc = TL_ENOMEM;
            break;
        }
        o->version = sqlite3_column_int64(st, 2);
        o->t_ns = sqlite3_column_int64(st, 3);
        if (sqlite3_column_type(st, 4) == SQLITE_TEXT) {
            o->review = tl_strdup((const char *)sqlite3_column_text(st, 4));
        }
        o->picks = tl_strdup((const char *)sqlite3_column_text(st, 5));
        if (sqlite3_column_type(st, 6) == SQLITE_TEXT) {
            tl__strlcpy(o->link, (const char *)sqlite3_column_text(st, 6), sizeof(o->link));
        }
        o->doc = tl_strdup((const char *)sqlite3_column_text(st, 7));
        o->withdrawn = sqlite3_column_int(st, 8) != 0;
        if (!o->picks || !o->doc) {
            rc = TL_ENOMEM;
        }
    }
    tl__store_release(L->s->store, c);
    return rc;
}

/* Is `id` free (neither in memory nor in the store)? */
static bool
id_free(struct tl__live *L, struct tl__conn *c, const char *id)
{
    if (obj_get(L, id)) {
        return false;
    }
    sqlite3_stmt *st = tl__stmt(c, "SELECT 1 FROM objects WHERE id = ?1");
    if (!st) {
        return false;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    bool free_ = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_reset(st);
    return free_;
}

static void
unique_id(struct tl__live *L, struct tl__conn *c, const char *base, char *out)
{
    tl__strlcpy(out, base, TL_ID_MAX);
    for (int n = 2; !id_free(L, c, out) && n < 1000000; n++) {
        char b[TL_ID_MAX];
        tl__strlcpy(b, base, sizeof(b) - 10);
        snprintf(out, TL_ID_MAX, "%s-%d", b, n);
    }
}

/* ------------------------------------------------------------- changes -- */

struct change {
    unsigned kind;
    char id[TL_ID_MAX];
    int64_t version;
    const char *cause;
    tl_time_ns t_ns;
    char *doc;
    double lat, lon, lat2, lon2;
    bool has2;
    int side, cls, status;
    double conf;
    char zones[512];
    bool withdrawn;
    char *picks;
    char link[TL_ID_MAX];
    const char *review;  /* the standing review to store (borrowed) */
    double latency_ms;   /* NAN when not measured */
    double derivable_ms; /* the same from when the finding became derivable (NAN: not measured) */
    int64_t seq;
    /* a review that goes with this version (NULL otherwise) */
    const char *review_doc;
    const char *review_action, *review_reason, *review_amend;
    int64_t review_token;
    const char *actor;
};

struct changes {
    struct change *v;
    size_t n, cap;
};

static void
changes_fini(struct changes *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        tl_free(cs->v[i].doc);
        tl_free(cs->v[i].picks);
    }
    tl_free(cs->v);
    memset(cs, 0, sizeof(*cs));
}

static struct change *
changes_add(struct changes *cs)
{
    if (tl__grow((void **)&cs->v, &cs->cap, cs->n + 1, sizeof(*cs->v), MAX_OBJECTS) != TL_OK) {
        return NULL;
    }
    struct change *ch = &cs->v[cs->n++];
    memset(ch, 0, sizeof(*ch));
    ch->latency_ms = NAN;
    ch->derivable_ms = NAN;
    ch->review_token = -1;
    return ch;
}

static void
zones_text(const struct tl_mission *m, const size_t *z, size_t n, char *buf, size_t size)
{
    size_t k = 0;
    buf[k++] = ',';
    buf[k] = '\0';
    for (size_t i = 0; i < n; i++) {
        const struct tl_zone *zn = tl_mission_zone(m, z[i]);
        if (zn && k + strlen(zn->id) + 2 < size) {
            k += (size_t)snprintf(buf + k, size - k, "%s,", zn->id);
        }
    }
}

static void
change_cols_event(struct tl__live *L, struct change *ch, const struct tl_event *e)
{
    ch->t_ns = e->t_ns;
    ch->lat = e->lat_deg;
    ch->lon = e->lon_deg;
    ch->side = (int)e->side;
    ch->cls = (int)e->cls;
    ch->conf = isfinite(e->side_p) ? e->side_p : 0;
    ch->status = (int)e->status;
    zones_text(L->s->mission, e->zones, e->n_zones, ch->zones, sizeof(ch->zones));
}

static void
change_cols_finding(struct tl__live *L, struct change *ch, const struct tl_finding *f, int status)
{
    ch->t_ns = f->launch_t_ns;
    ch->lat = f->launch_lat_deg;
    ch->lon = f->launch_lon_deg;
    ch->lat2 = f->impact_lat_deg;
    ch->lon2 = f->impact_lon_deg;
    ch->has2 = true;
    ch->side = (int)f->fired_from;
    ch->cls = 0;
    ch->conf = isfinite(f->confidence) ? f->confidence : 0;
    ch->status = status;
    zones_text(L->s->mission, f->zones, f->n_zones, ch->zones, sizeof(ch->zones));
}

/* ------------------------------------------------------------- documents -- */

/* A stored document or review parsed: NULL with *rc TL_ENOMEM when an allocation failed
 * (jansson may return a tree with a member missing after one), TL_EPARSE when it is not
 * JSON. */
static json_t *
load_doc(const char *text, int *rc)
{
    bool oom = false;
    json_t *j = tl__json_loadb(text, strlen(text), 0, NULL, &oom);
    *rc = j ? TL_OK : oom ? TL_ENOMEM : TL_EPARSE;
    return j;
}

int
tl__make_event_doc(const struct tl_mission *m, struct tl_event *e, const char *review, char **out)
{
    json_t *rv = NULL;
    int rc = TL_OK;
    if (review) {
        rv = load_doc(review, &rc);
        if (!rv) {
            return rc;
        }
        tl__review_apply_event(e, rv);
    }
    char *doc = tl_event_geojson(m, e);
    if (!doc) {
        json_decref(rv);
        return TL_ENOMEM;
    }
    if (!rv) {
        *out = doc;
        return TL_OK;
    }
    json_t *f = load_doc(doc, &rc);
    tl_free(doc);
    json_t *pr = json_object_get(f, "properties");
    if (rc == TL_OK) {
        rc = pr && json_object_set(pr, "review", rv) == 0 ? json_dump_doc(f, out) : TL_ENOMEM;
    }
    json_decref(f);
    json_decref(rv);
    return rc;
}

int
tl__make_finding_doc(const struct tl_mission *m,
                     struct tl_finding *fd,
                     const char *review,
                     bool provisional,
                     int *status,
                     char **out)
{
    json_t *rv = NULL;
    int rc = TL_OK;
    *status = TL_STATUS_AUTOMATIC;
    if (review) {
        rv = load_doc(review, &rc);
        if (!rv) {
            return rc;
        }
        *status = tl__review_apply_finding(fd, rv);
    }
    char *doc = tl_finding_geojson(m, fd);
    if (!doc) {
        json_decref(rv);
        return TL_ENOMEM;
    }
    if (!rv && !provisional) {
        *out = doc;
        return TL_OK;
    }
    json_t *f = load_doc(doc, &rc);
    tl_free(doc);
    json_t *pr = json_object_get(f, "properties");
    if (rc == TL_OK) {
        int bad = !pr;
        if (rv && !bad) {
            bad |= json_object_set_new(
                pr, "status", json_string(tl_review_status_name((enum tl_review_status) * status)));
            bad |= json_object_set(pr, "review", rv);
        }
        if (provisional && !bad) {
            bad |= json_object_set_new(pr, "provisional", json_true());
        }
        rc = bad ? TL_ENOMEM : json_dump_doc(f, out);
    }
    json_decref(f);
    json_decref(rv);
    return rc;
}

/* The withdrawn version of a document: the last one with "withdrawn": true. */
static int
withdrawn_doc(const char *doc, unsigned kind, int64_t version, char **out)
{
    int rc = TL_OK;
    json_t *f = load_doc(doc, &rc);
    json_t *pr = json_object_get(f, "properties");
    if (rc == TL_OK && !pr) {
        rc = TL_EPARSE;
    }
    if (rc == TL_OK) {
        int bad = 0;
        if (kind == TL__OBJ_EVENT) {
            bad |= json_object_set_new(pr, "revision", json_integer((json_int_t)version));
        }
        bad |= json_object_set_new(pr, "withdrawn", json_true());
        rc = bad ? TL_ENOMEM : json_dump_doc(f, out);
    }
    json_decref(f);
    return rc;
}

/* ---------------------------------------------------------------- store -- */

static int
store_changes_job(struct tl__conn *c, void *vctx)
{
    struct changes *cs = vctx;
    tl_time_ns now = tl_time_now();
    for (size_t i = 0; i < cs->n; i++) {
        struct change *ch = &cs->v[i];
        sqlite3_stmt *st = tl__stmt(c, "INSERT INTO versions(id, version, kind, cause, "
                                       "published_ns, t_ns, doc, latency_ms) "
                                       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        if (!st) {
            return TL_ESTORE;
        }
        sqlite3_bind_text(st, 1, ch->id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, ch->version);
        sqlite3_bind_int(st, 3, (int)ch->kind);
        sqlite3_bind_text(st, 4, ch->cause, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, now);
        sqlite3_bind_int64(st, 6, ch->t_ns);
        sqlite3_bind_text(st, 7, ch->doc, -1, SQLITE_STATIC);
        if (isfinite(ch->latency_ms)) {
            sqlite3_bind_double(st, 8, ch->latency_ms);
        } else {
            sqlite3_bind_null(st, 8);
        }
        int rc = tl__sqlrc(c, sqlite3_step(st), "live: version");
        if (rc != TL_OK) {
            return rc;
        }
        ch->seq = sqlite3_last_insert_rowid(c->db);
        st = tl__stmt(c, "INSERT INTO objects(id, kind, version, cur_seq, t_ns, lat, lon, lat2, "
                         "lon2, side, class, confidence, zones, status, withdrawn, review, picks, "
                         "link, updated_ns) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                         "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19) ON CONFLICT(id) DO UPDATE SET "
                         "version = excluded.version, cur_seq = excluded.cur_seq, "
                         "t_ns = excluded.t_ns, lat = excluded.lat, lon = excluded.lon, "
                         "lat2 = excluded.lat2, lon2 = excluded.lon2, side = excluded.side, "
                         "class = excluded.class, confidence = excluded.confidence, "
                         "zones = excluded.zones, status = excluded.status, "
                         "withdrawn = excluded.withdrawn, review = excluded.review, "
                         "picks = excluded.picks, link = excluded.link, "
                         "updated_ns = excluded.updated_ns");
        if (!st) {
            return TL_ESTORE;
        }
        sqlite3_bind_text(st, 1, ch->id, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, (int)ch->kind);
        sqlite3_bind_int64(st, 3, ch->version);
        sqlite3_bind_int64(st, 4, ch->seq);
        sqlite3_bind_int64(st, 5, ch->t_ns);
        sqlite3_bind_double(st, 6, ch->lat);
        sqlite3_bind_double(st, 7, ch->lon);
        if (ch->has2) {
            sqlite3_bind_double(st, 8, ch->lat2);
            sqlite3_bind_double(st, 9, ch->lon2);
        } else {
            sqlite3_bind_null(st, 8);
            sqlite3_bind_null(st, 9);
        }
        sqlite3_bind_int(st, 10, ch->side);
        sqlite3_bind_int(st, 11, ch->cls);
        sqlite3_bind_double(st, 12, ch->conf);
        sqlite3_bind_text(st, 13, ch->zones, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 14, ch->status);
        sqlite3_bind_int(st, 15, ch->withdrawn);
        sqlite3_bind_text(st, 16, ch->review, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 17, ch->picks ? ch->picks : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 18, ch->link[0] ? ch->link : NULL, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 19, now);
        if ((rc = tl__sqlrc(c, sqlite3_step(st), "live: object")) != TL_OK) {
            return rc;
        }
        if (ch->review_doc) {
            st = tl__stmt(c, "INSERT INTO reviews(object, version, action, reason, amend, token, "
                             "time_ns, doc) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
            if (!st) {
                return TL_ESTORE;
            }
            sqlite3_bind_text(st, 1, ch->id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, ch->version);
            sqlite3_bind_text(st, 3, ch->review_action, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 4, ch->review_reason, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 5, ch->review_amend, -1, SQLITE_STATIC);
            if (ch->review_token >= 0) {
                sqlite3_bind_int64(st, 6, ch->review_token);
            } else {
                sqlite3_bind_null(st, 6);
            }
            sqlite3_bind_int64(st, 7, now);
            sqlite3_bind_text(st, 8, ch->review_doc, -1, SQLITE_STATIC);
            if ((rc = tl__sqlrc(c, sqlite3_step(st), "live: review")) != TL_OK) {
                return rc;
            }
            char target[96], action[32];
            snprintf(target, sizeof(target), "%s/%s",
                     ch->kind == TL__OBJ_EVENT ? "event" : "finding", ch->id);
            snprintf(action, sizeof(action), "review.%s", ch->review_action);
            if ((rc = tl__audit(c, now, ch->actor, action, target, ch->review_doc)) != TL_OK) {
                return rc;
            }
        }
    }
    return TL_OK;
}

/* Record a latency in a ring of the latest (the oldest is overwritten when full). */
static void
latency_add(struct tl__latency *l, double ms)
{
    l->ms[l->next] = ms;
    l->next = (l->next + 1) % TL_ARRAY_LEN(l->ms);
    if (l->n < TL_ARRAY_LEN(l->ms)) {
        l->n++;
    }
}

/* After a commit: memory, live feed, counters. */
static void
apply_changes(struct tl__live *L, struct changes *cs)
{
    struct tl__sbuf b;
    for (size_t i = 0; i < cs->n; i++) {
        struct change *ch = &cs->v[i];
        struct sobj *o = obj_get(L, ch->id);
        if (!o) {
            o = obj_add(L, ch->id, ch->kind);
        }
        if (o) {
            o->version = ch->version;
            o->t_ns = ch->t_ns;
            tl_free(o->doc);
            o->doc = ch->doc;
            ch->doc = NULL;
            if (ch->kind == TL__OBJ_EVENT) {
                tl_free(o->picks);
                o->picks = ch->picks;
                ch->picks = NULL;
            }
            tl__strlcpy(o->link, ch->link, sizeof(o->link));
            if (ch->review != o->review) {
                tl_free(o->review);
                o->review = ch->review ? tl_strdup(ch->review) : NULL;
            }
            o->withdrawn = ch->withdrawn;
        }
        const char *doc = o ? o->doc : ch->doc;
        tl__sbuf_init(&b, (size_t)64 << 20);
        if (doc) {
            tl__sse_frame(&b, ch->seq, ch->kind, ch->id, ch->version, ch->cause, doc);
        }
        if (!b.failed && b.n) {
            tl__hub_publish(&L->s->hub, ch->seq, ch->kind, ch->t_ns, b.p, b.n);
        }
        tl__sbuf_fini(&b);
        pthread_mutex_lock(&L->mu);
        L->published++;
        if (ch->version == 0 && isfinite(ch->latency_ms)) {
            latency_add(&L->lat, ch->latency_ms);
        }
        if (ch->version == 0 && isfinite(ch->derivable_ms)) {
            latency_add(&L->lat_drv, ch->derivable_ms);
        }
        pthread_mutex_unlock(&L->mu);
    }
    prune(L, 0, true);
}

/* ------------------------------------------------------------------ log -- */

struct logged {
    bool review;
    int64_t key; /* versions.seq or reviews.id */
    uint64_t index;
};

struct log_ctx {
    struct logged *v;
    size_t n;
};

static int
set_index_job(struct tl__conn *c, void *vctx)
{
    struct log_ctx *lc = vctx;
    for (size_t i = 0; i < lc->n; i++) {
        sqlite3_stmt *st = lc->v[i].review
                               ? tl__stmt(c, "UPDATE reviews SET log_index = ?1 WHERE id = ?2")
                               : tl__stmt(c, "UPDATE versions SET log_index = ?1 WHERE seq = ?2");
        if (!st) {
            return TL_ESTORE;
        }
        sqlite3_bind_int64(st, 1, (int64_t)lc->v[i].index);
        sqlite3_bind_int64(st, 2, lc->v[i].key);
        int rc = tl__sqlrc(c, sqlite3_step(st), "live: log index");
        if (rc != TL_OK) {
            return rc;
        }
    }
    return TL_OK;
}

/* The log entry that commits to a document: {"kind":K,"sha256":hex(doc)}. */
static void
entry_text(const char *kind, const char *doc, char *buf, size_t size)
{
    uint8_t h[32];
    char hex[65];
    tl_sha256(doc, strlen(doc), h);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    snprintf(buf, size, "{\"kind\":\"%s\",\"sha256\":\"%s\"}", kind, hex);
}

/* Append every finding version and review not yet in the log.  TL_OK when none is left. */
static int
log_pending(struct tl__live *L)
{
    struct tl_server *s = L->s;
    for (;;) {
        struct logged *v = NULL;
        char(*text)[96] = NULL;
        size_t n = 0, cap = 0;
        int rc = TL_OK;
        struct tl__conn *c = tl__store_reader(s->store);
        static const char *const sql[2] = {
            "SELECT seq, doc FROM versions WHERE log_index IS NULL AND kind = 2 ORDER BY seq "
            "LIMIT 512",
            "SELECT id, doc FROM reviews WHERE log_index IS NULL ORDER BY id LIMIT 512"};
        for (int q = 0; q < 2 && rc == TL_OK; q++) {
            sqlite3_stmt *st = tl__stmt(c, sql[q]);
            if (!st) {
                rc = TL_ESTORE;
                break;
            }
            int step;
            while ((step = sqlite3_step(st)) == SQLITE_ROW) {
                size_t c1 = cap;
                if ((rc = tl__grow((void **)&v, &cap, n + 1, sizeof(*v), 4096)) != TL_OK) {
                    break;
                }
                if (cap != c1) {
                    void *t2 = tl_realloc(text, cap * sizeof(*text));
                    if (!t2) {
                        rc = TL_ENOMEM;
                        break;
                    }
                    text = t2;
                }
                v[n].review = q == 1;
                v[n].key = sqlite3_column_int64(st, 0);
                entry_text(q == 1 ? "review" : "finding", (const char *)sqlite3_column_text(st, 1),
                           text[n], sizeof(text[n]));
                n++;
            }
            if (rc == TL_OK && step != SQLITE_DONE) {
                rc = tl__sqlrc(c, step, "live: unlogged");
            }
            sqlite3_reset(st);
        }
        tl__store_release(s->store, c);
        if (rc == TL_OK && n > 0) {
            const void **ptrs = tl_calloc(n, sizeof(*ptrs));
            size_t *lens = tl_calloc(n, sizeof(*lens));
            uint64_t first = 0;
            if (!ptrs || !lens) {
                rc = TL_ENOMEM;
            } else {
                for (size_t i = 0; i < n; i++) {
                    ptrs[i] = text[i];
                    lens[i] = strlen(text[i]);
                }
                rc = tl_tlog_append_batch(s->log, ptrs, lens, n, &first);
                if (rc != TL_OK) {
                    TL_LOG(TL_LOG_ERROR, "live", "log append failed: %s (%s); will retry",
                           tl_strerror(rc), tl_tlog_errmsg(s->log));
                }
            }
            if (rc == TL_OK) {
                for (size_t i = 0; i < n; i++) {
                    v[i].index = first + i;
                }
                struct log_ctx lc = {v, n};
                rc = tl__store_write(s->store, set_index_job, &lc);
            }
            tl_free(ptrs);
            tl_free(lens);
        }
        tl_free(v);
        tl_free(text);
        pthread_mutex_lock(&L->mu);
        L->log_pending = rc != TL_OK || n > 0;
        pthread_mutex_unlock(&L->mu);
        if (rc != TL_OK || n == 0) {
            return rc;
        }
    }
}

/* ----------------------------------------------------------------- feed -- */

/* Feed rows (id, t_ns, received_ns, line) to every slice that holds their time, or to `only`. */
static int
feed_rows(struct tl__live *L,
          sqlite3_stmt *st,
          struct tl__conn *c,
          struct slice *only,
          size_t *rows)
{
    int step, rc = TL_OK;
    long fed = 0, late = 0;
    tl_time_ns clock = L->clock;
    *rows = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        tl_time_ns t = sqlite3_column_int64(st, 1);
        tl_time_ns rx = sqlite3_column_int64(st, 2);
        const char *line = (const char *)sqlite3_column_text(st, 3);
        size_t len = (size_t)sqlite3_column_bytes(st, 3);
        (*rows)++;
        if (id > L->cursor) {
            L->cursor = id;
        }
        if (t > clock) {
            clock = t;
        }
        if (L->n_sl > 0 && t < L->sl[0].from) {
            late++;
            continue;
        }
        struct tl_record rec;
        bool parsed = false;
        for (size_t i = 0; i < L->n_sl && rc == TL_OK; i++) {
            struct slice *sl = &L->sl[i];
            if ((only && sl != only) || t < sl->from || t >= sl->to) {
                continue; /* beyond the slice: fed when a slice gets there */
            }
            if (!parsed && tl_record_parse(line, len, L->s->mission, &rec, NULL) != TL_OK) {
                TL_LOG(TL_LOG_WARN, "live", "stored record %" PRId64 " does not parse; skipped",
                       id);
                break;
            }
            parsed = true;
            int arc = tl_pipeline_add(sl->p, &rec);
            if (arc == TL_ENOMEM) {
                rc = arc;
                break;
            }
            if (arc != TL_OK) {
                continue;
            }
            fed++;
            sl->dirty = true;
            if (rx < sl->fresh_rx) {
                sl->fresh_rx = rx;
            }
            if (rec.type == TL_REC_PICK) {
                char key[96];
                pick_key(rec.u.pick.station, rec.u.pick.id, rec.u.pick.t_ns, key, sizeof(key));
                rc = smap_put(&sl->rx, key, rx);
            }
        }
        if (rc != TL_OK) {
            break;
        }
    }
    if (rc == TL_OK && step != SQLITE_DONE && step != SQLITE_ROW) {
        rc = tl__sqlrc(c, step, "live: feed");
    }
    sqlite3_reset(st);
    pthread_mutex_lock(&L->mu); /* /v1/status reads them */
    L->clock = clock;
    L->fed += fed;
    L->skipped_late += late;
    pthread_mutex_unlock(&L->mu);
    return rc;
}

/* Feed the records committed since the cursor. */
static int
feed_new(struct tl__live *L)
{
    for (;;) {
        struct tl__conn *c = tl__store_reader(L->s->store);
        sqlite3_stmt *st = tl__stmt(c, "SELECT id, t_ns, received_ns, line FROM records WHERE "
                                       "id > ?1 ORDER BY id LIMIT 5000");
        size_t rows = 0;
        int rc = st ? TL_OK : TL_ESTORE;
        if (st) {
            sqlite3_bind_int64(st, 1, L->cursor);
            rc = feed_rows(L, st, c, NULL, &rows);
        }
        tl__store_release(L->s->store, c);
        pthread_mutex_lock(&L->mu);
        L->cursor_pub = L->cursor;
        pthread_mutex_unlock(&L->mu);
        if (rc != TL_OK || rows < FEED_CHUNK) {
            return rc;
        }
    }
}

struct from_ctx {
    tl_time_ns from;
};

static int
save_from_job(struct tl__conn *c, void *vctx)
{
    char v[32];
    snprintf(v, sizeof(v), "%" PRId64, ((struct from_ctx *)vctx)->from);
    return tl__meta_set(c, "live_from", v);
}

/* Keep the oldest slice's start in the store, where a restart resumes. */
static void
save_from(struct tl__live *L)
{
    struct from_ctx fc = {L->sl[0].from};
    tl__store_write(L->s->store, save_from_job, &fc);
}

struct upto_ctx {
    tl_time_ns from;
    int64_t upto;
};

static int
save_upto_job(struct tl__conn *c, void *vctx)
{
    const struct upto_ctx *u = vctx;
    char k[48], v[32];
    snprintf(k, sizeof(k), "learnt_upto_%" PRId64, (int64_t)u->from);
    snprintf(v, sizeof(v), "%" PRId64, u->upto);
    return tl__meta_set(c, k, v);
}

/*
 * Keep in the store which records the slice handing a state to the one starting at `from`
 * had run on (records.id up to `upto`, the slice's time): a rebuild (learnt_step) feeds it
 * those, whatever arrived later.
 */
static void
save_upto(struct tl__live *L, tl_time_ns from, int64_t upto)
{
    struct upto_ctx u = {from, upto};
    tl__store_write(L->s->store, save_upto_job, &u);
}

/* That records.id for the slice starting at `from`, or `dflt` if none was kept. */
static int64_t
load_upto(struct tl__live *L, tl_time_ns from, int64_t dflt)
{
    char k[48], v[32];
    snprintf(k, sizeof(k), "learnt_upto_%" PRId64, (int64_t)from);
    struct tl__conn *c = tl__store_reader(L->s->store);
    int64_t upto = dflt;
    if (tl__meta_get(c, k, v, sizeof(v)) == TL_OK) {
        upto = (int64_t)strtoll(v, NULL, 10);
    }
    tl__store_release(L->s->store, c);
    return upto < dflt ? upto : dflt;
}

static void
results_fini(struct results *r)
{
    tl_free(r->ev);
    tl_free(r->arr);
    tl_free(r->fd);
    memset(r, 0, sizeof(*r));
}

/* Copy the results of p's last run into *out (emptied first); TL_OK or TL_ENOMEM. */
static int
results_copy(struct results *out, const struct tl_pipeline *p)
{
    struct results r = {0};
    const struct tl_event *ev = tl_pipeline_events(p, &r.ne);
    const struct tl_finding *fd = tl_pipeline_findings(p, &r.nf);
    size_t na = 0;
    for (size_t i = 0; i < r.ne; i++) {
        na += ev[i].n_arrivals;
    }
    r.ev = tl_calloc(r.ne + 1, sizeof(*r.ev));
    r.arr = tl_calloc(na + 1, sizeof(*r.arr));
    r.fd = tl_calloc(r.nf + 1, sizeof(*r.fd));
    if (!r.ev || !r.arr || !r.fd) {
        results_fini(&r);
        return TL_ENOMEM;
    }
    size_t a = 0;
    for (size_t i = 0; i < r.ne; i++) {
        r.ev[i] = ev[i];
        if (ev[i].n_arrivals) {
            memcpy(&r.arr[a], ev[i].arrivals, ev[i].n_arrivals * sizeof(*r.arr));
        }
        r.ev[i].arrivals = &r.arr[a];
        a += ev[i].n_arrivals;
    }
    if (r.nf) {
        memcpy(r.fd, fd, r.nf * sizeof(*r.fd));
    }
    results_fini(out);
    *out = r;
    return TL_OK;
}

static void
slice_fini(struct slice *sl)
{
    tl_pipeline_free(sl->p);
    smap_clear(&sl->rx);
    results_fini(&sl->res);
    memset(sl, 0, sizeof(*sl));
}

static void
learnt_path(const struct tl_server *s, tl_time_ns from, char *path, size_t size)
{
    snprintf(path, size, "%s/learnt/%" PRId64 ".json", s->data_dir, (int64_t)from);
}

/*
 * One step of a rebuild (below): the state a slice starting at `from` hands its successor,
 * run from state l (n tiles; n = 0: the priors) on the stored records of the slice, [from,
 * from + 1.5 W), that it had run on when it handed the state on: records.id up to what
 * save_upto kept (else up to `upto`).  What `process --learnt-in` keeps on those records.
 * All of them, though the state is kept at the successor's first block: later records can
 * change it (fed only up to the successor's start + MARGIN, the windy test's first state with
 * an event learnt came out different); and none that came later (in real time a slice hands
 * its state on 3 minutes of data after its successor's start, W - 3 min before its end).
 * *out (tl_free) is NULL and *n_out 0 when the run did not reach the time (no records), as a
 * slice hands on nothing then.
 */
static int
learnt_step(struct tl__live *L,
            tl_time_ns from,
            int64_t upto,
            const struct tl_tile_learnt *l,
            size_t n,
            struct tl_tile_learnt **out,
            size_t *n_out,
            size_t *rows)
{
    struct tl_server *s = L->s;
    tl_time_ns next = from + s->cfg.window_ns / 2;
    struct tl_pipeline *p = NULL;
    *out = NULL;
    *n_out = 0;
    int rc = tl_pipeline_new(s->mission, NULL, &p);
    if (rc == TL_OK) {
        tl_pipeline_learnt_keep_at(p, tl_pipeline_first_block(p, next));
        rc = n > 0 ? tl_pipeline_set_learnt_start(p, l, n) : TL_OK;
    }
    int64_t had = load_upto(L, next, upto);
    struct tl__conn *c = tl__store_reader(s->store);
    sqlite3_stmt *st = rc == TL_OK ? tl__stmt(c, "SELECT line FROM records WHERE t_ns >= ?1 AND "
                                                 "t_ns < ?2 AND id <= ?3 ORDER BY t_ns")
                                   : NULL;
    if (rc == TL_OK && !st) {
        rc = TL_ESTORE;
    }
    if (st) {
        sqlite3_bind_int64(st, 1, from);
        sqlite3_bind_int64(st, 2, from + s->cfg.window_ns * 3 / 2);
        sqlite3_bind_int64(st, 3, had);
        while (rc == TL_OK && sqlite3_step(st) == SQLITE_ROW) {
            struct tl_record rec;
            if (tl_record_parse((const char *)sqlite3_column_text(st, 0),
                                (size_t)sqlite3_column_bytes(st, 0), s->mission, &rec,
                                NULL) == TL_OK &&
                tl_pipeline_add(p, &rec) == TL_ENOMEM) {
                rc = TL_ENOMEM;
            }
            (*rows)++;
        }
        sqlite3_reset(st);
    }
    tl__store_release(s->store, c);
    if (rc == TL_OK) {
        rc = tl_pipeline_run(p, INT64_MAX);
    }
    size_t nk = 0;
    const struct tl_tile_learnt *k = rc == TL_OK ? tl_pipeline_learnt(p, &nk) : NULL;
    if (nk > 0) {
        *out = tl_malloc(nk * sizeof(**out));
        if (*out) {
            memcpy(*out, k, nk * sizeof(**out));
            *n_out = nk;
        } else {
            rc = TL_ENOMEM;
        }
    }
    tl_pipeline_free(p);
    return rc;
}

/*
 * The state a slice starting at `from` starts from when its file is missing or bad (a restart
 * after DIR/learnt/ was lost): rebuilt from the store by running the chain of slices before
 * it again, as the server ran them, each from the state the one before handed on.  The chain
 * starts at the newest slice before `from` whose file is good, or at the start of the data
 * (the first slice started from the priors), or, if neither lies within LEARNT_BACK_NS, from
 * the priors at that horizon.  The first two give the state the server had (the same records
 * through the same runs), unless records arrived late; the third an approximation whose
 * history is the horizon's: the tiles' estimates move 0.1 of the way to each well-heard event
 * (0.05 for the path error), and on the windy day a tile hears 4-23 of those in its first 12
 * hours, so the state carries about a day.  One pipeline at a time, each on one slice's
 * records: memory as a slice's; CPU about three passes over the horizon's records (slices
 * overlap).  Each state rebuilt is written back to DIR/learnt/.  *out (tl_free) NULL and *n
 * 0: the priors.
 */
static int
learnt_rebuild(struct tl__live *L,
               tl_time_ns from,
               int64_t upto,
               struct tl_tile_learnt **out,
               size_t *n)
{
    struct tl_server *s = L->s;
    tl_time_ns w2 = s->cfg.window_ns / 2, t0 = INT64_MAX;
    *out = NULL;
    *n = 0;
    struct tl__conn *c = tl__store_reader(s->store);
    sqlite3_stmt *st = tl__stmt(c, "SELECT min(t_ns) FROM records WHERE id <= ?1");
    if (st) {
        sqlite3_bind_int64(st, 1, upto);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            t0 = sqlite3_column_int64(st, 0);
        }
        sqlite3_reset(st);
    }
    tl__store_release(s->store, c);
    if (t0 == INT64_MAX || from <= t0) {
        return TL_OK; /* the first slice: it started from the priors */
    }
    /* walk back to a state known */
    char path[4200], buf[640];
    struct tl_tile_learnt *l = NULL;
    size_t nl = 0, steps = 1;
    const char *basis = NULL;
    for (;; steps++) {
        tl_time_ns f = from - (tl_time_ns)steps * w2;
        struct tl_diag d = {0};
        learnt_path(s, f, path, sizeof(path));
        int rc = tl_learnt_read(path, &l, &nl, &d);
        if (rc == TL_OK) {
            basis = "its file";
            break;
        }
        if (rc == TL_ENOMEM) {
            return rc;
        }
        if (rc != TL_EIO) {
            TL_LOG(TL_LOG_WARN, "live", "%s; rebuilt", tl_diag_format(&d, buf, sizeof(buf)));
        }
        if (f <= t0) {
            basis = "the start of the data";
            break;
        }
        if ((tl_time_ns)(steps + 1) * w2 > LEARNT_BACK_NS) {
            basis = "the priors at the horizon (an approximation)";
            break;
        }
    }
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
    tl__fmt_time(from - (tl_time_ns)steps * w2, a);
    tl__fmt_time(from, b);
    double cpu0 = tl__clock_s(CLOCK_THREAD_CPUTIME_ID);
    size_t rows = 0;
    int rc = TL_OK;
    bool stop = false;
    for (size_t i = steps; i >= 1 && rc == TL_OK; i--) {
        pthread_mutex_lock(&L->mu);
        stop = L->stop;
        pthread_mutex_unlock(&L->mu);
        if (stop) {
            rc = TL_EINVAL; /* stopping: the slice will not run */
            break;
        }
        struct tl_tile_learnt *k = NULL;
        size_t nk = 0;
        rc = learnt_step(L, from - (tl_time_ns)i * w2, upto, l, nl, &k, &nk, &rows);
        tl_free(l);
        l = k;
        nl = nk;
        if (rc == TL_OK && nl > 0) {
            struct tl_diag d = {0};
            learnt_path(s, from - (tl_time_ns)(i - 1) * w2, path, sizeof(path));
            if (tl_learnt_write(path, l, nl, INT64_MAX, &d) != TL_OK) {
                TL_LOG(TL_LOG_ERROR, "live", "%s", tl_diag_format(&d, buf, sizeof(buf)));
            }
        }
    }
    if (rc != TL_OK) {
        tl_free(l);
        if (!stop) {
            TL_LOG(TL_LOG_ERROR, "live", "learnt state of the slice from %s: rebuild failed: %s", b,
                   tl_strerror(rc));
        }
        return rc == TL_ENOMEM ? rc : TL_OK; /* the slice starts from the priors */
    }
    /* a warning: the files were lost, and an operator should know (and how it was mended) */
    TL_LOG(TL_LOG_WARN, "live",
           "learnt state of the slice from %s was missing, rebuilt: %zu slices from %s, from %s, "
           "%zu records, %.2f s CPU",
           b, steps, a, basis, rows, tl__clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0);
    *out = l;
    *n = nl;
    return TL_OK;
}

/*
 * The tiles' learnt met corrections (docs/processing.md §1) go from each slice to the next, so
 * that a slice does not start them from the priors (on a windy or faulty day that costs up to
 * 15 points of recall).  A slice keeps its state as it was at its successor's first block (the
 * successor's start less the longest travel time, on the block grid: no event is learnt from
 * twice); the successor, added once this slice ran on its records, starts from that state.  The
 * state a slice starts from is written to DIR/learnt/<start in ns>.json, where `process
 * --learnt-in` and a restart find it again: a slice is its records and that file.  The files
 * are kept (1 KB each, 48 a day with the default window): with them anyone holding the
 * records can reproduce any slice's findings.  A restart that finds a slice's file missing or
 * bad rebuilds it from the store (learnt_rebuild).
 */
static int
learnt_hand_over(struct tl__live *L, struct slice *sl, int64_t upto)
{
    struct tl_server *s = L->s;
    tl_pipeline_learnt_keep_at(sl->p,
                               tl_pipeline_first_block(sl->p, sl->from + s->cfg.window_ns / 2));
    char path[4200];
    snprintf(path, sizeof(path), "%s/learnt", s->data_dir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        TL_LOG(TL_LOG_ERROR, "live", "%s: %s", path, strerror(errno));
        return TL_EIO;
    }
    learnt_path(s, sl->from, path, sizeof(path));
    const struct slice *prev = L->n_sl >= 2 ? &L->sl[L->n_sl - 2] : NULL;
    size_t n = 0;
    const struct tl_tile_learnt *l = prev && prev->ran ? tl_pipeline_learnt(prev->p, &n) : NULL;
    struct tl_diag d = {0};
    char buf[640];
    if (n > 0) {
        int rc = tl_learnt_write(path, l, n, INT64_MAX, &d);
        if (rc != TL_OK) {
            TL_LOG(TL_LOG_ERROR, "live", "%s", tl_diag_format(&d, buf, sizeof(buf)));
            return rc;
        }
        save_upto(L, sl->from, upto); /* prev ran on all it holds: these records */
        return tl_pipeline_set_learnt_start(sl->p, l, n);
    }
    /*
     * No predecessor ran (the first slice, a restart): the state written when it was added;
     * missing or bad, it is rebuilt, on the processing thread before the slice's first run
     * (learnt_catch_up), not here: a restart listens at once.  A predecessor that ran and
     * handed nothing on (no records before the time) leaves the priors.
     */
    struct tl_tile_learnt *own = NULL;
    int rc = tl_learnt_read(path, &own, &n, &d);
    if (rc == TL_OK) {
        rc = tl_pipeline_set_learnt_start(sl->p, own, n);
    } else if (rc != TL_ENOMEM) {
        if (rc != TL_EIO) {
            TL_LOG(TL_LOG_WARN, "live", "%s", tl_diag_format(&d, buf, sizeof(buf)));
        }
        sl->learnt_due = !prev || !prev->ran;
        sl->learnt_upto = upto;
    }
    tl_free(own);
    return rc == TL_ENOMEM ? rc : TL_OK;
}

/* Rebuild the learnt state of the slices that need it (learnt_hand_over), oldest first. */
static int
learnt_catch_up(struct tl__live *L)
{
    for (size_t i = 0; i < L->n_sl; i++) {
        struct slice *sl = &L->sl[i];
        if (!sl->learnt_due) {
            continue;
        }
        struct tl_tile_learnt *l = NULL;
        size_t n = 0;
        int rc = learnt_rebuild(L, sl->from, sl->learnt_upto, &l, &n);
        if (rc == TL_OK && n > 0) {
            rc = tl_pipeline_set_learnt_start(sl->p, l, n);
        }
        tl_free(l);
        if (rc == TL_ENOMEM) {
            return rc;
        }
        sl->learnt_due = false;
    }
    return TL_OK;
}

/*
 * A new newest slice [from, from + 1.5 W), or everything with no window, holding the
 * stored records of its time up to records.id `upto` (the other slices' cursor).
 */
static int
add_slice(struct tl__live *L, tl_time_ns from, int64_t upto)
{
    struct tl_server *s = L->s;
    if (L->n_sl == MAX_SLICES) {
        return TL_ERANGE;
    }
    struct slice *sl = &L->sl[L->n_sl];
    memset(sl, 0, sizeof(*sl));
    int rc = tl_pipeline_new(s->mission, NULL, &sl->p);
    if (rc != TL_OK) {
        return rc;
    }
    L->n_sl++;
    sl->from = from;
    sl->to = s->cfg.window_ns > 0 ? from + s->cfg.window_ns * 3 / 2 : INT64_MAX;
    if (s->cfg.window_ns > 0 && (rc = learnt_hand_over(L, sl, upto)) != TL_OK) {
        return rc;
    }
    sl->fresh_rx = INT64_MAX;
    sl->dirty = true;
    struct tl__conn *c = tl__store_reader(s->store);
    sqlite3_stmt *st = tl__stmt(c, "SELECT id, t_ns, received_ns, line FROM records WHERE t_ns >= "
                                   "?1 AND t_ns < ?2 AND id <= ?3 ORDER BY t_ns");
    size_t rows = 0;
    rc = st ? TL_OK : TL_ESTORE;
    if (st) {
        sqlite3_bind_int64(st, 1, sl->from);
        sqlite3_bind_int64(st, 2, sl->to);
        sqlite3_bind_int64(st, 3, upto);
        rc = feed_rows(L, st, c, sl, &rows);
    }
    tl__store_release(s->store, c);
    pthread_mutex_lock(&L->mu);
    L->rebuilds++;
    pthread_mutex_unlock(&L->mu);
    char a[TL_TIME_TEXT_MAX] = "start", b[TL_TIME_TEXT_MAX] = "end";
    if (sl->from != INT64_MIN) {
        tl__fmt_time(sl->from, a);
    }
    if (sl->to != INT64_MAX) {
        tl__fmt_time(sl->to, b);
    }
    TL_LOG(TL_LOG_INFO, "live", "slice %s to %s: %zu records", a, b, rows);
    return rc;
}

/* The largest records.id stored. */
static int64_t
max_record_id(struct tl__live *L)
{
    struct tl__conn *c = tl__store_reader(L->s->store);
    sqlite3_stmt *st = tl__stmt(c, "SELECT max(id) FROM records");
    int64_t upto = 0;
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        upto = sqlite3_column_int64(st, 0);
    }
    if (st) {
        sqlite3_reset(st);
    }
    tl__store_release(L->s->store, c);
    return upto;
}

/*
 * Is the newest slice's successor due: is the data clock within LEAD of the start of the
 * successor's region?  Added a little ahead, the successor finds its region empty even when
 * a cycle of runs covers a minute of data (a replay faster than real time).
 */
static bool
successor_due(const struct tl__live *L)
{
    const struct slice *nw = &L->sl[L->n_sl - 1];
    return L->clock >= nw->from + L->s->cfg.window_ns / 2 + MARGIN_NS - LEAD_NS;
}

/*
 * Slices follow the data.  Slice k starts W/2 after slice k - 1 and publishes the events
 * from MARGIN after its start until MARGIN after the next one's; so the next slice is added
 * as the data clock nears the start of its region, when that region is still empty: no
 * region ever changes hands while it has events (a hand-over would publish then the findings
 * the new slice pairs and the old one did not, minutes of data after their picks).  A slice
 * is dropped once the data has passed its end and it was run with everything it holds; its
 * region's events are then frozen at their last version.  Added and dropped only when the
 * slice in question was run on all its records, a backlog (a restart after an outage, a
 * replay faster than real time) is worked through slice by slice.  A slice lives from
 * W/2 + MARGIN - LEAD after the previous one's start to 1.5 W after its own, so for any
 * W >= 2 MARGIN (the configuration's minimum) at most three are held at once.
 */
static int settle(struct tl__live *L, tl_time_ns from, tl_time_ns to);

static int
advance(struct tl__live *L)
{
    tl_time_ns w = L->s->cfg.window_ns;
    if (w <= 0 || L->clock == INT64_MIN) {
        return TL_OK;
    }
    int rc = TL_OK;
    if (L->n_sl == 0) {
        /* first records: start the slice at the earliest record (at most a week back) */
        struct tl__conn *c = tl__store_reader(L->s->store);
        sqlite3_stmt *st = tl__stmt(c, "SELECT min(t_ns) FROM records");
        tl_time_ns first = L->clock;
        if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            first = sqlite3_column_int64(st, 0);
        }
        tl__store_release(L->s->store, c);
        tl_time_ns week = INT64_C(7) * 86400 * TL_NS_PER_S;
        rc = add_slice(L, first > L->clock - week ? first : L->clock - week, L->cursor);
        if (rc == TL_OK) {
            save_from(L);
            rc = prune(L, L->sl[0].from - SLACK_NS, false);
        }
        return rc;
    }
    while (rc == TL_OK) {
        struct slice *old = &L->sl[0], *nw = &L->sl[L->n_sl - 1];
        if (L->n_sl > 1 && old->ran && !old->dirty && L->clock >= old->to) {
            tl_time_ns from, to;
            region(L, 0, &from, &to);
            if ((rc = settle(L, from, to)) != TL_OK) {
                break; /* the slice stays until its findings are settled */
            }
            slice_fini(old);
            memmove(&L->sl[0], &L->sl[1], (L->n_sl - 1) * sizeof(L->sl[0]));
            L->n_sl--;
            memset(&L->sl[L->n_sl], 0, sizeof(L->sl[0]));
            save_from(L);
            rc = prune(L, L->sl[0].from - SLACK_NS, false);
        } else if (L->n_sl < MAX_SLICES && nw->ran && !nw->dirty && successor_due(L)) {
            rc = add_slice(L, nw->from + w / 2, L->cursor);
        } else {
            break;
        }
    }
    return rc;
}

/* ----------------------------------------------------------------- diff -- */

struct cand {
    size_t ev;  /* pipeline event */
    size_t obj; /* object index */
    int overlap;
    tl_time_ns dt;
};

static int
cmp_cand(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->overlap != y->overlap) {
        return x->overlap > y->overlap ? -1 : 1;
    }
    if (x->dt != y->dt) {
        return x->dt < y->dt ? -1 : 1;
    }
    if (x->ev != y->ev) {
        return x->ev < y->ev ? -1 : 1;
    }
    return x->obj < y->obj ? -1 : (x->obj > y->obj);
}

/* Pick keys of an event, '\n'-joined (caller frees). */
static char *
event_picks(const struct tl_event *e)
{
    struct tl__sbuf b;
    tl__sbuf_init(&b, (size_t)1 << 20);
    for (size_t i = 0; i < e->n_arrivals; i++) {
        char key[96];
        const struct tl_arrival *a = &e->arrivals[i];
        pick_key(a->station, a->pick_id, a->t_ns, key, sizeof(key));
        tl__sbuf_str(&b, key);
        tl__sbuf_add(&b, "\n", 1);
    }
    if (b.failed || !b.p) {
        tl__sbuf_fini(&b);
        return tl_strdup("");
    }
    return b.p;
}

/* Latest receive time of the picks of an event (INT64_MIN when unknown). */
static tl_time_ns
last_received(const struct slice *sl, const struct tl_event *e)
{
    tl_time_ns best = INT64_MIN;
    for (size_t i = 0; i < e->n_arrivals; i++) {
        char key[96];
        const struct tl_arrival *a = &e->arrivals[i];
        pick_key(a->station, a->pick_id, a->t_ns, key, sizeof(key));
        int64_t *v = smap_find(&sl->rx, key);
        if (v && *v > best) {
            best = *v;
        }
    }
    return best;
}

/*
 * The results of every slice in one index space: slice k's event i is u = off[k] + i; `in`
 * says whether u is published: in its slice's region, and not the same event as one a newer
 * slice publishes (half of its picks or more in those events): at the boundary of two
 * regions one event may be seen on either side of it, and the newer slice has the later
 * records.
 */
struct merged {
    const struct tl_event *ev[MAX_SLICES];
    const struct tl_finding *fd[MAX_SLICES];
    size_t ne[MAX_SLICES], nf[MAX_SLICES];
    tl_time_ns rel[MAX_SLICES], rel_to[MAX_SLICES];
    size_t off[MAX_SLICES + 1];
    const struct tl_event **evp; /* by u */
    unsigned char *slice;        /* by u */
    bool *in;                    /* by u */
};

static void
merged_fini(struct merged *m)
{
    tl_free(m->evp);
    tl_free(m->slice);
    tl_free(m->in);
}

/* u of the event `id` of slice k, or -1. */
static long
find_event(const struct merged *m, size_t k, const char *id)
{
    for (size_t i = 0; i < m->ne[k]; i++) {
        if (strcmp(m->ev[k][i].id, id) == 0) {
            return (long)(m->off[k] + i);
        }
    }
    return -1;
}

static int
merge(struct tl__live *L, struct merged *m)
{
    memset(m, 0, sizeof(*m));
    for (size_t k = 0; k < L->n_sl; k++) {
        m->ev[k] = L->sl[k].res.ev;
        m->ne[k] = L->sl[k].res.ne;
        m->fd[k] = L->sl[k].res.fd;
        m->nf[k] = L->sl[k].res.nf;
        region(L, k, &m->rel[k], &m->rel_to[k]);
        m->off[k + 1] = m->off[k] + m->ne[k];
    }
    size_t n = m->off[L->n_sl];
    m->evp = tl_calloc(n + 1, sizeof(*m->evp));
    m->slice = tl_calloc(n + 1, sizeof(*m->slice));
    m->in = tl_calloc(n + 1, sizeof(*m->in));
    if (!m->evp || !m->slice || !m->in) {
        return TL_ENOMEM;
    }
    struct smap newer = {0};
    int rc = TL_OK;
    for (size_t k = L->n_sl; k-- > 0 && rc == TL_OK;) {
        for (size_t i = 0; i < m->ne[k]; i++) {
            const struct tl_event *e = &m->ev[k][i];
            size_t u = m->off[k] + i;
            m->evp[u] = e;
            m->slice[u] = (unsigned char)k;
            m->in[u] = e->t_ns >= m->rel[k] && e->t_ns < m->rel_to[k];
            size_t shared = 0;
            for (size_t a = 0; a < e->n_arrivals && m->in[u] && newer.n; a++) {
                char key[96];
                pick_key(e->arrivals[a].station, e->arrivals[a].pick_id, e->arrivals[a].t_ns, key,
                         sizeof(key));
                shared += smap_find(&newer, key) != NULL;
            }
            m->in[u] = m->in[u] && (shared == 0 || 2 * shared < e->n_arrivals);
        }
        for (size_t i = 0; i < m->ne[k] && k > 0 && rc == TL_OK; i++) {
            const struct tl_event *e = &m->ev[k][i];
            for (size_t a = 0; a < e->n_arrivals && m->in[m->off[k] + i] && rc == TL_OK; a++) {
                char key[96];
                pick_key(e->arrivals[a].station, e->arrivals[a].pick_id, e->arrivals[a].t_ns, key,
                         sizeof(key));
                rc = smap_put(&newer, key, 1);
            }
        }
    }
    smap_clear(&newer);
    return rc;
}

/*
 * Match the run's events still unmatched (obj_of[u] < 0, published: m->in[u]) to the event
 * objects from `cand_from` on that no event took yet (taken), by shared picks: most shared
 * picks first, ties to the nearer origin time, one to one.  `withdrawn` chooses the objects:
 * those published, or those withdrawn.  diff() looks at the withdrawn ones only for events
 * that share no pick with a published one: an event that vanished from a run and is found
 * again keeps its id (a new version, no longer withdrawn), and what matched before still does.
 */
static int
match_picks(struct tl__live *L,
            const struct merged *m,
            tl_time_ns cand_from,
            bool withdrawn,
            long *obj_of,
            bool *taken)
{
    size_t ne = m->off[L->n_sl];
    const struct tl_event *const *ev = m->evp;
    struct smap pk = {0};
    struct cand *cands = NULL;
    size_t nc = 0, capc = 0;
    int rc = TL_OK;
    /* pick -> candidate object */
    for (size_t i = 0; i < L->n_objs && rc == TL_OK; i++) {
        struct sobj *o = &L->objs[i];
        if (o->kind != TL__OBJ_EVENT || o->version < 0 || o->withdrawn != withdrawn ||
            o->t_ns < cand_from || !o->picks || taken[i]) {
            continue;
        }
        for (char *p = o->picks; *p && rc == TL_OK;) {
            char *nl = strchr(p, '\n');
            size_t l = nl ? (size_t)(nl - p) : strlen(p);
            char key[96];
            if (l < sizeof(key)) {
                memcpy(key, p, l);
                key[l] = '\0';
                rc = smap_put(&pk, key, (int64_t)i);
            }
            p += l + (nl ? 1 : 0);
        }
    }
    /* overlaps */
    for (size_t e = 0; e < ne && rc == TL_OK && pk.n; e++) {
        if (!m->in[e] || obj_of[e] >= 0) {
            continue;
        }
        size_t first = nc;
        for (size_t a = 0; a < ev[e]->n_arrivals && rc == TL_OK; a++) {
            char key[96];
            const struct tl_arrival *ar = &ev[e]->arrivals[a];
            pick_key(ar->station, ar->pick_id, ar->t_ns, key, sizeof(key));
            int64_t *o = smap_find(&pk, key);
            if (!o) {
                continue;
            }
            size_t k;
            for (k = first; k < nc && cands[k].obj != (size_t)*o; k++) {
            }
            if (k < nc) {
                cands[k].overlap++;
                continue;
            }
            if ((rc = tl__grow((void **)&cands, &capc, nc + 1, sizeof(*cands), 1u << 26)) !=
                TL_OK) {
                break;
            }
            tl_time_ns dt = ev[e]->t_ns - L->objs[*o].t_ns;
            cands[nc++] = (struct cand){e, (size_t)*o, 1, dt < 0 ? -dt : dt};
        }
    }
    if (rc == TL_OK && nc > 1) {
        qsort(cands, nc, sizeof(*cands), cmp_cand);
    }
    for (size_t k = 0; k < nc && rc == TL_OK; k++) {
        if (obj_of[cands[k].ev] < 0 && !taken[cands[k].obj]) {
            obj_of[cands[k].ev] = (long)cands[k].obj;
            taken[cands[k].obj] = true;
        }
    }
    smap_clear(&pk);
    tl_free(cands);
    return rc;
}

/*
 * Match the slices' events (each slice's in its region) to the stable objects and collect
 * the changes.
 */
static int
diff(struct tl__live *L, struct changes *cs)
{
    struct tl_server *s = L->s;
    struct merged m;
    int rc = merge(L, &m);
    size_t ne = m.off[L->n_sl];
    const struct tl_event *const *ev = m.evp;
    tl_time_ns rel = m.rel[0], rel_to = m.rel_to[L->n_sl - 1];
    tl_time_ns cand_from = rel == INT64_MIN ? INT64_MIN : rel - SLACK_NS;
    char(*stable)[TL_ID_MAX] = tl_calloc(ne + 1, sizeof(*stable));
    long *obj_of = tl_calloc(ne + 1, sizeof(*obj_of));
    bool *taken = tl_calloc(L->n_objs + 1, sizeof(*taken));
    struct tl__conn *c = tl__store_reader(s->store);
    if (rc == TL_OK && (!stable || !obj_of || !taken)) {
        rc = TL_ENOMEM;
    }
    if (rc != TL_OK) {
        goto done;
    }
    for (size_t i = 0; i < L->n_objs; i++) {
        L->objs[i].seen = false;
    }
    for (size_t e = 0; e < ne; e++) {
        obj_of[e] = -1;
    }
    /* by shared picks: the published events first, then the withdrawn ones (below) */
    rc = match_picks(L, &m, cand_from, false, obj_of, taken);
    if (rc == TL_OK) {
        rc = match_picks(L, &m, cand_from, true, obj_of, taken);
    }
    if (rc != TL_OK) {
        goto done;
    }
    /* stable ids: matched, or new */
    for (size_t e = 0; e < ne; e++) {
        if (!m.in[e]) {
            continue;
        }
        if (obj_of[e] >= 0) {
            tl__strlcpy(stable[e], L->objs[obj_of[e]].id, TL_ID_MAX);
            L->objs[obj_of[e]].seen = true;
        } else {
            unique_id(L, c, ev[e]->id, stable[e]);
            /* reserve the id so that a later event of this run cannot take it */
            struct sobj *o = obj_add(L, stable[e], TL__OBJ_EVENT);
            if (!o) {
                rc = TL_ENOMEM;
                goto done;
            }
            o->seen = true;
            o->t_ns = ev[e]->t_ns;
            obj_of[e] = (long)(o - L->objs);
        }
    }
    /* events: new and changed versions */
    for (size_t e = 0; e < ne && rc == TL_OK; e++) {
        if (!m.in[e]) {
            continue;
        }
        struct sobj *o = &L->objs[obj_of[e]];
        struct tl_event x = *ev[e];
        tl__strlcpy(x.id, stable[e], sizeof(x.id));
        if (x.pair[0]) {
            long pe = find_event(&m, m.slice[e], x.pair);
            if (pe >= 0 && stable[pe][0]) {
                tl__strlcpy(x.pair, stable[pe], sizeof(x.pair));
            }
        }
        if (x.pair_candidate[0]) {
            long pe = find_event(&m, m.slice[e], x.pair_candidate);
            if (pe >= 0 && stable[pe][0]) {
                tl__strlcpy(x.pair_candidate, stable[pe], sizeof(x.pair_candidate));
            }
        }
        int64_t version = o->version < 0 ? 0 : o->version;
        x.revision = (int)version;
        char *doc = NULL;
        struct tl_event fin = x;
        if ((rc = tl__make_event_doc(s->mission, &fin, o->review, &doc)) != TL_OK) {
            break;
        }
        if (o->version >= 0 && o->doc && strcmp(doc, o->doc) == 0) {
            tl_free(doc);
            continue; /* unchanged */
        }
        if (o->version >= 0) {
            tl_free(doc);
            doc = NULL;
            version = o->version + 1;
            x.revision = (int)version;
            fin = x;
            if ((rc = tl__make_event_doc(s->mission, &fin, o->review, &doc)) != TL_OK) {
                break;
            }
        }
        struct change *ch = changes_add(cs);
        if (!ch) {
            tl_free(doc);
            rc = TL_ENOMEM;
            break;
        }
        ch->kind = TL__OBJ_EVENT;
        tl__strlcpy(ch->id, stable[e], sizeof(ch->id));
        ch->version = version;
        ch->cause = o->version < 0 ? "new" : "revised";
        ch->doc = doc;
        ch->picks = event_picks(ev[e]);
        ch->review = o->review;
        change_cols_event(L, ch, &fin);
        if (!ch->picks) {
            rc = TL_ENOMEM;
        }
    }
    /* findings: identity by the stable launch */
    for (size_t k = 0; k < L->n_sl; k++) {
        for (size_t f = 0; f < m.nf[k] && rc == TL_OK; f++) {
            const struct tl_finding *fd = &m.fd[k][f];
            if (fd->launch_t_ns < m.rel[k] || fd->launch_t_ns >= m.rel_to[k]) {
                continue;
            }
            long le = find_event(&m, k, fd->launch), ie = find_event(&m, k, fd->impact);
            if (le < 0 || !stable[le][0]) {
                continue;
            }
            /* the launch's finding: the one published, else a withdrawn one, found again */
            struct sobj *o = NULL;
            for (size_t i = 0; i < L->n_objs && (!o || o->withdrawn); i++) {
                struct sobj *q = &L->objs[i];
                if (q->kind == TL__OBJ_FINDING && q->version >= 0 && !q->seen &&
                    strcmp(q->link, stable[le]) == 0 && (!o || !q->withdrawn)) {
                    o = q;
                }
            }
            char fid[TL_ID_MAX];
            if (o) {
                tl__strlcpy(fid, o->id, sizeof(fid));
            } else {
                unique_id(L, c, fd->id, fid);
                o = obj_add(L, fid, TL__OBJ_FINDING);
                if (!o) {
                    rc = TL_ENOMEM;
                    break;
                }
                o->t_ns = fd->launch_t_ns;
            }
            o->seen = true;
            struct tl_finding x = *fd;
            tl__strlcpy(x.id, fid, sizeof(x.id));
            tl__strlcpy(x.launch, stable[le], sizeof(x.launch));
            if (ie >= 0 && stable[ie][0]) {
                tl__strlcpy(x.impact, stable[ie], sizeof(x.impact));
            }
            char *doc = NULL;
            int status;
            if ((rc = tl__make_finding_doc(s->mission, &x, o->review, true, &status, &doc)) !=
                TL_OK) {
                break;
            }
            if (o->version >= 0 && o->doc && strcmp(doc, o->doc) == 0) {
                tl_free(doc);
                continue;
            }
            struct change *ch = changes_add(cs);
            if (!ch) {
                tl_free(doc);
                rc = TL_ENOMEM;
                break;
            }
            ch->kind = TL__OBJ_FINDING;
            tl__strlcpy(ch->id, fid, sizeof(ch->id));
            ch->version = o->version < 0 ? 0 : o->version + 1;
            ch->cause = o->version < 0 ? "new" : "revised";
            ch->doc = doc;
            ch->review = o->review;
            tl__strlcpy(ch->link, stable[le], sizeof(ch->link));
            change_cols_finding(L, ch, &x, status);
            /*
             * Latency of a finding's version, two ways: from the reception of the last pick
             * of its launch and impact events; and from when it became derivable, the later
             * of that pick and the earliest reception among the records this run has and
             * the previous one had not.  They differ when the previous run held every
             * pick of both events and still did not pair them: the pairing needed a later
             * record (of another event, say), so the finding could not be published
             * before that record came.  A rebuilt slice counts all its records as new, so
             * its first run measures from the last pick.  Every version stores the first
             * (versions.latency_ms: the last one's is how long the finding took to reach
             * its final form); /v1/status and the log line count new findings only.
             */
            const struct slice *fs = &L->sl[k];
            tl_time_ns last = last_received(fs, ev[le]), now = tl_time_now();
            if (ie >= 0) {
                tl_time_ns li = last_received(fs, ev[ie]);
                last = li > last ? li : last;
            }
            if (last != INT64_MIN) {
                tl_time_ns known = last > fs->run_fresh_rx ? last : fs->run_fresh_rx;
                ch->latency_ms = (double)(now - last) / 1e6;
                ch->derivable_ms = (double)(now - known) / 1e6;
            }
            if (last != INT64_MIN && ch->version == 0) {
                TL_LOG(TL_LOG_DEBUG, "live",
                       "new finding %s: last pick %.0f ms ago, derivable %.0f ms ago, run "
                       "started %.0f ms ago and took %.0f ms%s",
                       fid, ch->latency_ms, ch->derivable_ms, (double)(now - fs->run_start) / 1e6,
                       (double)(fs->run_end - fs->run_start) / 1e6,
                       fs->runs == 1 ? ", first run of its slice" : "");
            }
        }
    }
    /* withdrawn: published, in the slices' regions, not produced by their runs */
    for (size_t i = 0; i < L->n_objs && rc == TL_OK; i++) {
        struct sobj *o = &L->objs[i];
        if (o->seen || o->version < 0 || o->withdrawn || o->t_ns < rel || o->t_ns >= rel_to ||
            !o->doc) {
            continue;
        }
        struct change *ch = changes_add(cs);
        if (!ch) {
            rc = TL_ENOMEM;
            break;
        }
        ch->kind = o->kind;
        tl__strlcpy(ch->id, o->id, sizeof(ch->id));
        ch->version = o->version + 1;
        ch->cause = "withdrawn";
        ch->withdrawn = true;
        ch->review = o->review;
        tl__strlcpy(ch->link, o->link, sizeof(ch->link));
        ch->picks = tl_strdup(o->picks ? o->picks : "");
        if ((rc = withdrawn_doc(o->doc, o->kind, ch->version, &ch->doc)) != TL_OK) {
            break;
        }
        /* filter columns from the last version */
        json_t *j = json_loads(o->doc, 0, NULL);
        if (o->kind == TL__OBJ_EVENT) {
            struct tl_event e;
            struct tl_arrival *arr = NULL;
            if (j && tl__event_from_feature(s->mission, j, &e, &arr) == TL_OK) {
                change_cols_event(L, ch, &e);
            }
            tl_free(arr);
        } else {
            struct tl_finding x;
            if (j && tl__finding_from_feature(s->mission, j, &x) == TL_OK) {
                change_cols_finding(L, ch, &x, TL_STATUS_AUTOMATIC);
            }
        }
        json_decref(j);
        ch->t_ns = o->t_ns;
    }
done:
    tl__store_release(s->store, c);
    /* objects reserved for new ids but not published stay version -1: pruned after apply */
    tl_free(stable);
    tl_free(obj_of);
    tl_free(taken);
    merged_fini(&m);
    return rc;
}

static int
publish(struct tl__live *L, struct changes *cs)
{
    if (cs->n == 0) {
        return prune(L, 0, true);
    }
    int rc = tl__store_write(L->s->store, store_changes_job, cs);
    if (rc != TL_OK) {
        TL_LOG(TL_LOG_ERROR, "live", "cannot store %zu new versions: %s", cs->n, tl_strerror(rc));
        /* forget the reservations; the next run recomputes the same changes */
        prune(L, 0, true);
        return rc;
    }
    apply_changes(L, cs);
    return log_pending(L);
}

/*
 * Settle the findings of a region whose slice is dropped: no run will revise them again, so
 * each one whose current version is marked provisional gets a last version without the mark,
 * the feature of its slice's last run (equal to `truceline process` on the slice's records),
 * a standing review still applied.  Withdrawn findings keep their last version as it is.
 */
static int
settle(struct tl__live *L, tl_time_ns from, tl_time_ns to)
{
    struct changes cs = {0};
    int rc = TL_OK;
    for (size_t i = 0; i < L->n_objs && rc == TL_OK; i++) {
        struct sobj *o = &L->objs[i];
        if (o->kind != TL__OBJ_FINDING || o->version < 0 || o->withdrawn || o->t_ns < from ||
            o->t_ns >= to || !o->doc) {
            continue;
        }
        json_t *f = json_loads(o->doc, 0, NULL);
        struct tl_finding x;
        if (!tl__feature_provisional(f)) {
            json_decref(f);
            continue;
        }
        struct change *ch = changes_add(&cs);
        int status;
        rc = ch ? tl__finding_from_feature(L->s->mission, f, &x) : TL_ENOMEM;
        json_decref(f);
        if (rc == TL_OK) {
            rc = tl__make_finding_doc(L->s->mission, &x, o->review, false, &status, &ch->doc);
        }
        if (rc != TL_OK) {
            break;
        }
        ch->kind = TL__OBJ_FINDING;
        tl__strlcpy(ch->id, o->id, sizeof(ch->id));
        ch->version = o->version + 1;
        ch->cause = "revised";
        ch->review = o->review;
        tl__strlcpy(ch->link, o->link, sizeof(ch->link));
        change_cols_finding(L, ch, &x, status);
        ch->t_ns = o->t_ns;
    }
    if (rc == TL_OK && cs.n) {
        rc = publish(L, &cs);
    }
    changes_fini(&cs);
    return rc;
}

/*
 * The runs of a cycle.  A slice's run is the pipeline's alone: it reads the records the slice
 * was fed and writes its own results, and the slices share no pipeline state (the met-field
 * and ballistics tables are per pipeline or filled once under pthread_once).  So the slices of
 * a cycle run side by side, on RUNNERS threads, while the processing thread waits for each to
 * complete and publishes it at once: a finding waits for the run in progress on its own
 * slice, not for a queue of runs of the others.  A runner copies its slice's results out of
 * the pipeline (struct results), so the processing thread compares every slice's last results
 * with the published objects while another slice still runs; runners touch neither the store
 * nor the published objects, and no record is fed during a cycle.  Each slice's results are
 * a function of the records it holds, whichever thread ran it and in whatever order the runs
 * complete, so what is published once processing settles does not depend on the threads.
 */
#define RUNNERS 2 /* the target machine's cores; each run also publishes its events on 2 */

/* One slice's run in a cycle: handed out and finished by the processing thread. */
struct job {
    struct slice *sl;
    size_t k;              /* the slice's index, for the log */
    tl_time_ns fresh_rx;   /* the slice's fresh_rx as the run was handed out */
    tl_time_ns start, end; /* of the run */
    struct results res;    /* its results (rc == TL_OK) */
    int rc;
};

/* A cycle's jobs, taken by the runners in order; `done` lists them in order of completion. */
struct cycle {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a job completed */
    struct job jobs[MAX_SLICES];
    size_t n, next;
    size_t done[MAX_SLICES], n_done;
};

/* In a runner: run the slice's pipeline and copy its results; nothing else is touched. */
static void
job_run(struct job *j)
{
    j->start = tl_time_now();
    j->rc = tl_pipeline_run(j->sl->p, INT64_MAX);
    if (j->rc == TL_OK) {
        j->rc = results_copy(&j->res, j->sl->p);
    }
    j->end = tl_time_now();
}

static void *
runner_main(void *arg)
{
    struct cycle *cy = arg;
    pthread_mutex_lock(&cy->mu);
    while (cy->next < cy->n) {
        size_t i = cy->next++;
        pthread_mutex_unlock(&cy->mu);
        job_run(&cy->jobs[i]);
        pthread_mutex_lock(&cy->mu);
        cy->done[cy->n_done++] = i;
        pthread_cond_signal(&cy->cv);
    }
    pthread_mutex_unlock(&cy->mu);
    return NULL;
}

/* In the processing thread, as a job completes: the slice takes its results and times. */
static void
job_finish(struct tl__live *L, struct job *j)
{
    struct slice *sl = j->sl;
    sl->run_start = j->start;
    sl->run_end = j->end;
    sl->run_fresh_rx = j->fresh_rx;
    sl->runs++;
    sl->ran = j->rc == TL_OK;
    if (sl->ran) {
        results_fini(&sl->res);
        sl->res = j->res;
        memset(&j->res, 0, sizeof(j->res));
    } else {
        sl->dirty = true; /* try again */
    }
    double ms = (double)(j->end - j->start) / 1e6;
    TL_LOG(TL_LOG_DEBUG, "live", "run: %.0f ms", ms);
    pthread_mutex_lock(&L->mu);
    L->runs++;
    L->last_run_ms = ms;
    if (ms > L->max_run_ms) {
        L->max_run_ms = ms;
    }
    pthread_mutex_unlock(&L->mu);
}

/*
 * Run the slices fed since their last run and publish after each run what changed.  The
 * newest slice and the one whose region holds the data clock (the live edge; the same one but
 * while the newest is added ahead of its region) run in every cycle; of the others (one for
 * W = 2 MARGIN, two for longer windows) the one that has waited longest, so that a cycle
 * holds at most three runs.  They are handed to the runners newest first.
 */
static int
run_once(struct tl__live *L)
{
    L->last_run_start = tl_time_now();
    pthread_mutex_lock(&L->mu);
    L->running = true;
    L->dirty_pub = false;
    pthread_mutex_unlock(&L->mu);
    const struct slice *nw = &L->sl[L->n_sl - 1];
    tl_time_ns covers = nw->to - 1 < L->clock ? nw->to - 1 : L->clock;
    size_t edge = L->n_sl - 1, other = L->n_sl;
    for (size_t k = 0; k + 1 < L->n_sl; k++) {
        tl_time_ns from, to;
        region(L, k, &from, &to);
        if (L->clock >= from && L->clock < to) {
            edge = k;
        }
    }
    for (size_t k = 0; k + 1 < L->n_sl; k++) {
        if (k != edge && L->sl[k].dirty &&
            (other == L->n_sl || L->sl[k].run_start < L->sl[other].run_start)) {
            other = k;
        }
    }
    struct cycle cy;
    memset(&cy, 0, sizeof(cy));
    pthread_mutex_init(&cy.mu, NULL);
    pthread_cond_init(&cy.cv, NULL);
    for (size_t k = L->n_sl; k-- > 0;) {
        struct slice *sl = &L->sl[k];
        if (!sl->dirty || (k + 1 < L->n_sl && k != edge && k != other)) {
            continue;
        }
        struct job *j = &cy.jobs[cy.n++];
        j->sl = sl;
        j->k = k;
        j->fresh_rx = sl->fresh_rx == INT64_MAX ? INT64_MIN : sl->fresh_rx;
        sl->fresh_rx = INT64_MAX;
        sl->dirty = false;
    }
    pthread_t th[RUNNERS];
    size_t nth = 0;
    while (nth < RUNNERS && nth < cy.n && pthread_create(&th[nth], NULL, runner_main, &cy) == 0) {
        nth++;
    }
    if (nth == 0) {
        runner_main(&cy); /* no thread to be had: the runs one after the other, here */
    }
    int rc = TL_OK;
    for (size_t seen = 0; seen < cy.n; seen++) {
        pthread_mutex_lock(&cy.mu);
        while (cy.n_done == seen) {
            pthread_cond_wait(&cy.cv, &cy.mu);
        }
        struct job *j = &cy.jobs[cy.done[seen]];
        pthread_mutex_unlock(&cy.mu);
        job_finish(L, j);
        int r = j->rc;
        bool all_ran = true;
        for (size_t i = 0; i < L->n_sl; i++) {
            all_ran = all_ran && L->sl[i].ran;
        }
        struct changes cs = {0};
        if (r == TL_OK && all_ran) {
            r = diff(L, &cs);
            if (r == TL_OK) {
                r = publish(L, &cs);
            } else {
                prune(L, 0, true);
            }
        }
        TL_LOG(TL_LOG_DEBUG, "live", "slice %zu of %zu: %zu changes", j->k + 1, L->n_sl, cs.n);
        changes_fini(&cs);
        if (r != TL_OK) {
            j->sl->dirty = true; /* try again */
            rc = r;
        }
    }
    for (size_t t = 0; t < nth; t++) {
        pthread_join(th[t], NULL);
    }
    pthread_cond_destroy(&cy.cv);
    pthread_mutex_destroy(&cy.mu);
    size_t nq;
    const struct tl_station_qc *qc = tl_pipeline_station_qc(L->sl[0].p, &nq);
    struct tl_station_qc *copy = nq ? tl_calloc(nq, sizeof(*copy)) : NULL;
    if (copy) {
        memcpy(copy, qc, nq * sizeof(*copy));
    }
    pthread_mutex_lock(&L->mu);
    if (rc == TL_OK) {
        L->done_to = covers;
    }
    if (copy || nq == 0) {
        tl_free(L->qc);
        L->qc = copy;
        L->n_qc = nq;
    }
    if (rc != TL_OK) {
        L->dirty_pub = true;
    }
    pthread_mutex_unlock(&L->mu);
    return rc;
}

/* -------------------------------------------------------------- reviews -- */

static void do_review(struct tl__live *L, struct review_req *rq);

static void
serve_reviews(struct tl__live *L)
{
    for (;;) {
        pthread_mutex_lock(&L->mu);
        struct review_req *rq = L->rq_head;
        if (rq) {
            L->rq_head = rq->next;
            if (!L->rq_head) {
                L->rq_tail = NULL;
            }
        }
        pthread_mutex_unlock(&L->mu);
        if (!rq) {
            return;
        }
        do_review(L, rq);
        pthread_mutex_lock(&L->mu);
        rq->done = true;
        pthread_cond_broadcast(&L->cv_done);
        pthread_mutex_unlock(&L->mu);
    }
}

/* Load one object (current version) from the store into memory when it is not there. */
static struct sobj *
obj_load(struct tl__live *L, const char *id)
{
    struct sobj *o = obj_get(L, id);
    if (o && o->version >= 0) {
        return o->withdrawn ? NULL : o;
    }
    struct tl__conn *c = tl__store_reader(L->s->store);
    sqlite3_stmt *st = tl__stmt(c, "SELECT o.kind, o.version, o.t_ns, o.review, o.picks, o.link, "
                                   "v.doc, o.withdrawn FROM objects o JOIN versions v ON v.seq = "
                                   "o.cur_seq WHERE o.id = ?1");
    o = NULL;
    if (st) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 7) == 0) {
            o = obj_add(L, id, (unsigned)sqlite3_column_int(st, 0));
            if (o) {
                o->version = sqlite3_column_int64(st, 1);
                o->t_ns = sqlite3_column_int64(st, 2);
                if (sqlite3_column_type(st, 3) == SQLITE_TEXT) {
                    o->review = tl_strdup((const char *)sqlite3_column_text(st, 3));
                }
                o->picks = tl_strdup((const char *)sqlite3_column_text(st, 4));
                if (sqlite3_column_type(st, 5) == SQLITE_TEXT) {
                    tl__strlcpy(o->link, (const char *)sqlite3_column_text(st, 5), sizeof(o->link));
                }
                o->doc = tl_strdup((const char *)sqlite3_column_text(st, 6));
            }
        }
        sqlite3_reset(st);
    }
    tl__store_release(L->s->store, c);
    return o && o->doc ? o : NULL;
}

static void
do_review(struct tl__live *L, struct review_req *rq)
{
    struct tl__review_in *in = rq->in;
    struct tl__review_out *out = rq->out;
    struct sobj *o = obj_load(L, in->id);
    if (!o || o->kind != in->kind) {
        out->status = 404;
        snprintf(out->message, sizeof(out->message), "no %s %s",
                 in->kind == TL__OBJ_EVENT ? "event" : "finding", in->id);
        return;
    }
    if (in->expect_version >= 0 && in->expect_version != o->version) {
        out->status = 409;
        out->version = o->version;
        snprintf(out->message, sizeof(out->message),
                 "version %" PRId64 " was reviewed but the current version is %" PRId64,
                 in->expect_version, o->version);
        return;
    }
    char *standing = NULL, *review_doc = NULL, *doc = NULL;
    int64_t version = o->version + 1;
    int rc = tl__review_standing(o->review, in, version, &standing, &review_doc);
    json_t *f = rc == TL_OK ? json_loads(o->doc, 0, NULL) : NULL;
    struct change ch0;
    memset(&ch0, 0, sizeof(ch0));
    ch0.latency_ms = NAN;
    ch0.derivable_ms = NAN;
    ch0.review_token = in->token;
    if (rc == TL_OK && !f) {
        rc = TL_EPARSE;
    }
    if (rc == TL_OK && o->kind == TL__OBJ_EVENT) {
        struct tl_event e;
        struct tl_arrival *arr = NULL;
        rc = tl__event_from_feature(L->s->mission, f, &e, &arr);
        if (rc == TL_OK) {
            e.revision = (int)version;
            rc = tl__make_event_doc(L->s->mission, &e, standing, &doc);
            change_cols_event(L, &ch0, &e);
        }
        tl_free(arr);
    } else if (rc == TL_OK) {
        struct tl_finding x;
        int status = 0;
        rc = tl__finding_from_feature(L->s->mission, f, &x);
        if (rc == TL_OK) {
            bool prov = tl__feature_provisional(f);
            rc = tl__make_finding_doc(L->s->mission, &x, standing, prov, &status, &doc);
            change_cols_finding(L, &ch0, &x, status);
        }
    }
    json_decref(f);
    if (rc != TL_OK) {
        out->status = 500;
        snprintf(out->message, sizeof(out->message), "cannot apply the review: %s",
                 tl_strerror(rc));
        tl_free(standing);
        tl_free(review_doc);
        tl_free(doc);
        return;
    }
    struct changes cs = {0};
    struct change *ch = changes_add(&cs);
    if (!ch) {
        out->status = 503;
        snprintf(out->message, sizeof(out->message), "out of memory");
        tl_free(standing);
        tl_free(review_doc);
        tl_free(doc);
        return;
    }
    *ch = ch0;
    ch->kind = o->kind;
    tl__strlcpy(ch->id, o->id, sizeof(ch->id));
    ch->version = version;
    ch->cause = "reviewed";
    ch->doc = doc;
    ch->picks = tl_strdup(o->picks ? o->picks : "");
    tl__strlcpy(ch->link, o->link, sizeof(ch->link));
    ch->review = standing;
    ch->t_ns = ch0.t_ns;
    ch->review_doc = review_doc;
    ch->review_action = in->action;
    ch->review_reason = in->reason;
    ch->review_amend = in->amend;
    ch->actor = in->actor;
    rc = tl__store_write(L->s->store, store_changes_job, &cs);
    if (rc != TL_OK) {
        out->status = 503;
        snprintf(out->message, sizeof(out->message), "the review could not be stored; retry");
    } else {
        out->status = 200;
        out->version = version;
        out->seq = ch->seq;
        apply_changes(L, &cs);
        log_pending(L);
    }
    changes_fini(&cs);
    tl_free(standing);
    tl_free(review_doc);
}

int
tl__live_review(struct tl_server *s, struct tl__review_in *in, struct tl__review_out *out)
{
    struct tl__live *L = s->live;
    struct review_req rq = {in, out, false, NULL};
    pthread_mutex_lock(&L->mu);
    if (L->stop) {
        pthread_mutex_unlock(&L->mu);
        return TL_ESTATE;
    }
    if (L->rq_tail) {
        L->rq_tail->next = &rq;
    } else {
        L->rq_head = &rq;
    }
    L->rq_tail = &rq;
    pthread_cond_signal(&L->cv);
    while (!rq.done) {
        pthread_cond_wait(&L->cv_done, &L->mu);
    }
    pthread_mutex_unlock(&L->mu);
    return TL_OK;
}

/* ----------------------------------------------------------------- loop -- */

/* The slices as /v1/status shows them (under mu). */
static void
window_pub(struct tl__live *L)
{
    L->win_slices = L->n_sl;
    L->win_from = L->n_sl ? L->sl[0].from : INT64_MIN;
    L->win_to = INT64_MAX;
    if (L->n_sl && L->sl[L->n_sl - 1].to <= L->clock) {
        L->win_to = L->sl[L->n_sl - 1].to;
    }
}

static void *
live_main(void *arg)
{
    struct tl__live *L = arg;
    struct tl_server *s = L->s;
    for (;;) {
        pthread_mutex_lock(&L->mu);
        while (!L->kicked && !L->stop && !L->rq_head) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 250 * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            if (pthread_cond_timedwait(&L->cv, &L->mu, &ts) != 0) {
                break;
            }
        }
        bool stop = L->stop;
        L->kicked = false;
        bool pending_log = L->log_pending;
        pthread_mutex_unlock(&L->mu);
        if (stop) {
            break;
        }
        serve_reviews(L);
        int frc = feed_new(L);
        if (frc == TL_OK) {
            frc = advance(L);
        }
        bool dirty = any_dirty(L);
        pthread_mutex_lock(&L->mu);
        L->dirty_pub = dirty;
        window_pub(L);
        pthread_mutex_unlock(&L->mu);
        if (frc != TL_OK) {
            continue;
        }
        if (pending_log) {
            log_pending(L);
        }
        /* the newest slice closed: a backlog is worked through, each slice run at once */
        bool catching_up = L->n_sl > 0 && L->sl[L->n_sl - 1].to <= L->clock;
        if (dirty && (catching_up || tl_time_now() - L->last_run_start >= s->cfg.run_interval_ns)) {
            if (learnt_catch_up(L) != TL_OK) {
                continue;
            }
            run_once(L);
            advance(L);
            dirty = any_dirty(L);
            pthread_mutex_lock(&L->mu);
            L->running = false;
            L->dirty_pub = dirty;
            window_pub(L);
            L->kicked = L->kicked || dirty; /* the next slice at once */
            pthread_mutex_unlock(&L->mu);
        } else if (dirty) {
            tl_time_ns wait = s->cfg.run_interval_ns - (tl_time_now() - L->last_run_start);
            if (wait > 0) {
                struct timespec ts = {(time_t)(wait / TL_NS_PER_S), (long)(wait % TL_NS_PER_S)};
                nanosleep(&ts, NULL);
            }
            pthread_mutex_lock(&L->mu);
            L->kicked = true;
            pthread_mutex_unlock(&L->mu);
        }
    }
    return NULL;
}

void
tl__live_kick(struct tl_server *s)
{
    struct tl__live *L = s->live;
    if (!L) {
        return;
    }
    pthread_mutex_lock(&L->mu);
    L->kicked = true;
    pthread_cond_signal(&L->cv);
    pthread_mutex_unlock(&L->mu);
}

int
tl__live_start(struct tl_server *s, struct tl_diag *diag)
{
    struct tl__live *L = tl_calloc(1, sizeof(*L));
    if (!L) {
        return TL_ENOMEM;
    }
    L->s = s;
    pthread_mutex_init(&L->mu, NULL);
    pthread_cond_init(&L->cv, NULL);
    pthread_cond_init(&L->cv_done, NULL);
    L->clock = INT64_MIN;
    L->done_to = INT64_MIN;
    L->win_from = INT64_MIN;
    L->win_to = INT64_MAX;
    s->live = L;
    /* the data clock: the latest record stored */
    struct tl__conn *c = tl__store_reader(s->store);
    sqlite3_stmt *st = tl__stmt(c, "SELECT max(t_ns) FROM records");
    if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        L->clock = sqlite3_column_int64(st, 0);
    }
    if (st) {
        sqlite3_reset(st);
    }
    tl__store_release(s->store, c);
    tl_time_ns w = s->cfg.window_ns;
    int rc = TL_OK;
    if (w <= 0) {
        rc = add_slice(L, INT64_MIN, 0); /* everything: the loop feeds it from the store */
    } else {
        /* resume where the last run left the slices */
        char v[32];
        tl_time_ns from = INT64_MIN;
        struct tl__conn *c2 = tl__store_reader(s->store);
        if (tl__meta_get(c2, "live_from", v, sizeof(v)) == TL_OK) {
            from = (tl_time_ns)strtoll(v, NULL, 10);
        }
        tl__store_release(s->store, c2);
        if (from != INT64_MIN && L->clock != INT64_MIN) {
            L->cursor = max_record_id(L);
            rc = add_slice(L, from, L->cursor);
            /* live (the oldest slice still open): the slices that held the live edge too */
            while (rc == TL_OK && L->n_sl < MAX_SLICES && L->sl[0].to > L->clock &&
                   successor_due(L)) {
                rc = add_slice(L, L->sl[L->n_sl - 1].from + w / 2, L->cursor);
            }
        }
    }
    if (rc == TL_OK) {
        tl_time_ns from = L->n_sl ? L->sl[0].from : INT64_MIN;
        rc = load_objects(L, from == INT64_MIN ? INT64_MIN : from - SLACK_NS);
    }
    if (rc == TL_OK) {
        L->last_run_start = 0;
        L->log_pending = true; /* first append what a crash left stored but not logged */
        if (pthread_create(&L->thread, NULL, live_main, L) != 0) {
            rc = TL_ENOMEM;
        } else {
            L->started = true;
        }
    }
    if (rc != TL_OK) {
        return tl__diag(diag, rc, NULL, "cannot start processing: %s", tl_strerror(rc));
    }
    return TL_OK;
}

void
tl__live_stop(struct tl_server *s)
{
    struct tl__live *L = s->live;
    if (!L) {
        return;
    }
    pthread_mutex_lock(&L->mu);
    L->stop = true;
    pthread_cond_broadcast(&L->cv);
    pthread_mutex_unlock(&L->mu);
    if (L->started) {
        pthread_join(L->thread, NULL);
    }
    /* fail queued reviews */
    pthread_mutex_lock(&L->mu);
    for (struct review_req *rq = L->rq_head; rq; rq = rq->next) {
        rq->out->status = 503;
        snprintf(rq->out->message, sizeof(rq->out->message), "the server is stopping");
        rq->done = true;
    }
    L->rq_head = L->rq_tail = NULL;
    pthread_cond_broadcast(&L->cv_done);
    pthread_mutex_unlock(&L->mu);
    for (size_t i = 0; i < L->n_sl; i++) {
        slice_fini(&L->sl[i]);
    }
    for (size_t i = 0; i < L->n_objs; i++) {
        sobj_fini(&L->objs[i]);
    }
    tl_free(L->objs);
    smap_clear(&L->ids);
    tl_free(L->qc);
    pthread_mutex_destroy(&L->mu);
    pthread_cond_destroy(&L->cv);
    pthread_cond_destroy(&L->cv_done);
    tl_free(L);
    s->live = NULL;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y);
}

/* {n, p50, p99, max} of a ring of latencies (sorts it: pass a copy); NULL when out of memory. */
static json_t *
latency_json(struct tl__latency *l)
{
    size_t n = l->n;
    if (n > 1) {
        qsort(l->ms, n, sizeof(double), cmp_double);
    }
    json_t *j = json_pack("{s:I}", "n", (json_int_t)n);
    int bad = 0;
    if (j && n) {
        bad |= json_object_set_new(j, "p50", json_real(l->ms[n / 2]));
        bad |= json_object_set_new(j, "p99",
                                   json_real(l->ms[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1]));
        bad |= json_object_set_new(j, "max", json_real(l->ms[n - 1]));
    }
    if (bad) {
        json_decref(j);
        return NULL;
    }
    return j;
}

int
tl__live_status(struct tl_server *s, json_t *o, int64_t max_record_id)
{
    struct tl__live *L = s->live;
    if (!L) {
        return TL_OK;
    }
    struct tl__latency *lat = tl_malloc(2 * sizeof(*lat));
    int bad = !lat; /* the latencies left out would be a partial answer */
    pthread_mutex_lock(&L->mu);
    if (lat) {
        lat[0] = L->lat;
        lat[1] = L->lat_drv;
    }
    char from[TL_TIME_TEXT_MAX], to[TL_TIME_TEXT_MAX], clk[TL_TIME_TEXT_MAX];
    char done[TL_TIME_TEXT_MAX];
    json_t *p = json_pack(
        "{s:b,s:I,s:s?,s:s?,s:s?,s:s?,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:b,s:b,s:b}", "idle",
        max_record_id <= L->cursor_pub && !L->dirty_pub && !L->running && !L->log_pending &&
            !L->rq_head,
        "window_s", (json_int_t)(s->cfg.window_ns / TL_NS_PER_S), "window_from",
        L->win_from == INT64_MIN ? NULL : tl__fmt_time(L->win_from, from), "window_to",
        L->win_to == INT64_MAX ? NULL : tl__fmt_time(L->win_to, to), "clock",
        L->clock == INT64_MIN ? NULL : tl__fmt_time(L->clock, clk), "processed_to",
        L->done_to == INT64_MIN ? NULL : tl__fmt_time(L->done_to, done), "cursor",
        (json_int_t)L->cursor_pub, "fed", (json_int_t)L->fed, "late_skipped",
        (json_int_t)L->skipped_late, "runs", (json_int_t)L->runs, "rebuilds",
        (json_int_t)L->rebuilds, "published_versions", (json_int_t)L->published, "last_run_ms",
        L->last_run_ms, "max_run_ms", L->max_run_ms, "running", L->running, "dirty", L->dirty_pub,
        "log_pending", L->log_pending);
    bad |= json_object_set_new(p, "slices", json_integer((json_int_t)L->win_slices));
    pthread_mutex_unlock(&L->mu);
    if (lat) {
        bad |= json_object_set_new(p, "finding_latency_ms", latency_json(&lat[0]));
        bad |= json_object_set_new(p, "finding_latency_derivable_ms", latency_json(&lat[1]));
    }
    tl_free(lat);
    bad |= json_object_set_new(o, "processing", p);
    return bad ? TL_ENOMEM : TL_OK;
}

int
tl__live_qc(struct tl_server *s, struct tl_station_qc **out, size_t *n)
{
    struct tl__live *L = s->live;
    pthread_mutex_lock(&L->mu);
    struct tl_station_qc *c = L->n_qc ? tl_calloc(L->n_qc, sizeof(*c)) : NULL;
    if (c) {
        memcpy(c, L->qc, L->n_qc * sizeof(*c));
    }
    *n = c ? L->n_qc : 0;
    int rc = L->n_qc && !c ? TL_ENOMEM : TL_OK;
    pthread_mutex_unlock(&L->mu);
    *out = c;
    return rc;
}
