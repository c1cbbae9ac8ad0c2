/*
 * api.c - the read API: stations, events, findings, records, bulletins,
 * proofs, status, audit, and the static files of the log.
 *
 * Events and findings are served as the exact bytes stored for each version
 * (what tl_event_geojson / tl_finding_geojson wrote, with the server's stable
 * ids): a page is a FeatureCollection whose features are those bytes
 * concatenated, never re-serialised, so a feature fetched here hashes to what
 * the transparency log committed to.  Lists are ordered by (time, id) and paged
 * with an opaque cursor; filters are validated (query.c).  The public role sees
 * only what is older than the embargo; everything else is visible to the
 * party and analyst roles.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <truceline/time.h>

#include "server_priv.h"

#define PAGE_BYTES_MAX ((size_t)256 << 20)

static bool
zone_ok(void *ud, const char *zone)
{
    const struct tl_mission *m = ud;
    for (size_t i = 0; i < tl_mission_zone_count(m); i++) {
        if (strcmp(tl_mission_zone(m, i)->id, zone) == 0) {
            return true;
        }
    }
    return false;
}

/* Parse the request's query for a kind; on failure answers 400 and returns false. */
static bool
get_filter(struct tl__req *r, enum tl__filter_kind kind, struct tl__filter *f, int *ret)
{
    struct tl__arg args[TL__MAX_ARGS];
    size_t n = 0;
    char msg[200];
    if (tl__req_args(r, args, &n) != TL_OK) {
        *ret = tl__respond_error(r, 400, "bad_query", NULL, "more than %d query arguments",
                                 TL__MAX_ARGS);
        return false;
    }
    if (tl__filter_parse(kind, args, n, zone_ok, r->s->mission, f, msg, sizeof(msg)) != TL_OK) {
        *ret = tl__respond_error(r, 400, "bad_query", NULL, "%s", msg);
        return false;
    }
    return true;
}

static void
bind_i64(sqlite3_stmt *st, int *k, int64_t v)
{
    sqlite3_bind_int64(st, ++*k, v);
}

static void
bind_f(sqlite3_stmt *st, int *k, double v)
{
    sqlite3_bind_double(st, ++*k, v);
}

/* --------------------------------------------------------------- lists -- */

int
tl__handle_list(struct tl__req *r, unsigned kind)
{
    struct tl__filter f;
    int ret;
    if (!get_filter(r, kind == TL__OBJ_EVENT ? TL__F_EVENTS : TL__F_FINDINGS, &f, &ret)) {
        return ret;
    }
    struct tl__sbuf sql;
    tl__sbuf_init(&sql, 8192);
    tl__sbuf_str(&sql, "SELECT o.id, o.t_ns, v.doc FROM objects o JOIN versions v ON v.seq = "
                       "o.cur_seq WHERE o.kind = ? AND o.t_ns < ?");
    if (f.has_from) {
        tl__sbuf_str(&sql, " AND o.t_ns >= ?");
    }
    if (f.has_to) {
        tl__sbuf_str(&sql, " AND o.t_ns < ?");
    }
    if (!f.withdrawn) {
        tl__sbuf_str(&sql, " AND o.withdrawn = 0");
    }
    if (f.has_bbox) {
        tl__sbuf_str(&sql, " AND ((o.lat BETWEEN ? AND ? AND o.lon BETWEEN ? AND ?) OR "
                           "(o.lat2 BETWEEN ? AND ? AND o.lon2 BETWEEN ? AND ?))");
    }
    if (f.side != -2) {
        tl__sbuf_str(&sql, " AND o.side = ?");
    }
    if (f.cls >= 0) {
        tl__sbuf_str(&sql, " AND o.class = ?");
    }
    if (f.min_confidence >= 0) {
        tl__sbuf_str(&sql, " AND o.confidence >= ?");
    }
    if (f.zone[0]) {
        tl__sbuf_str(&sql, " AND instr(o.zones, ?) > 0");
    }
    if (f.status >= 0) {
        tl__sbuf_str(&sql, " AND o.status = ?");
    }
    if (f.has_cursor) {
        tl__sbuf_str(&sql, " AND (o.t_ns > ? OR (o.t_ns = ? AND o.id > ?))");
    }
    tl__sbuf_str(&sql, " ORDER BY o.t_ns, o.id LIMIT ?");
    if (sql.failed) {
        tl__sbuf_fini(&sql);
        return tl__respond_error(r, 500, "internal", NULL, "query too long");
    }
    struct tl__conn *c = tl__store_reader(r->s->store);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql.p, -1, &st, NULL) != SQLITE_OK) {
        TL_LOG(TL_LOG_ERROR, "api", "prepare: %s", sqlite3_errmsg(c->db));
        tl__store_release(r->s->store, c);
        tl__sbuf_fini(&sql);
        return tl__respond_error(r, 500, "internal", NULL, "query failed");
    }
    tl__sbuf_fini(&sql);
    int k = 0;
    char zone[TL_ID_MAX + 2];
    bind_i64(st, &k, kind);
    bind_i64(st, &k, tl__visible_until(r));
    if (f.has_from) {
        bind_i64(st, &k, f.from_ns);
    }
    if (f.has_to) {
        bind_i64(st, &k, f.to_ns);
    }
    if (f.has_bbox) {
        for (int rep = 0; rep < 2; rep++) {
            bind_f(st, &k, f.min_lat);
            bind_f(st, &k, f.max_lat);
            bind_f(st, &k, f.min_lon);
            bind_f(st, &k, f.max_lon);
        }
    }
    if (f.side != -2) {
        bind_i64(st, &k, f.side);
    }
    if (f.cls >= 0) {
        bind_i64(st, &k, f.cls);
    }
    if (f.min_confidence >= 0) {
        bind_f(st, &k, f.min_confidence);
    }
    if (f.zone[0]) {
        snprintf(zone, sizeof(zone), ",%s,", f.zone);
        sqlite3_bind_text(st, ++k, zone, -1, SQLITE_STATIC);
    }
    if (f.status >= 0) {
        bind_i64(st, &k, f.status);
    }
    if (f.has_cursor) {
        bind_i64(st, &k, f.cursor_t);
        bind_i64(st, &k, f.cursor_t);
        sqlite3_bind_text(st, ++k, f.cursor_id, -1, SQLITE_STATIC);
    }
    bind_i64(st, &k, f.limit + 1);
    struct tl__sbuf b;
    tl__sbuf_init(&b, PAGE_BYTES_MAX);
    tl__sbuf_str(&b, "{\"type\":\"FeatureCollection\",\"features\":[\n");
    long rows = 0;
    char next[TL_ID_MAX + 32] = "";
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (rows == f.limit) {
            /* one more than the page: there is a next page, starting after the last sent */
            break;
        }
        if (rows > 0) {
            tl__sbuf_str(&b, ",\n");
        }
        tl__sbuf_add(&b, (const char *)sqlite3_column_text(st, 2),
                     (size_t)sqlite3_column_bytes(st, 2));
        tl__cursor_format(sqlite3_column_int64(st, 1), (const char *)sqlite3_column_text(st, 0),
                          next, sizeof(next));
        rows++;
    }
    bool more = step == SQLITE_ROW;
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        tl__sqlrc(c, step, "api: list");
        b.failed = true;
    }
    sqlite3_finalize(st);
    tl__store_release(r->s->store, c);
    tl__sbuf_str(&b, "\n],\"next\":");
    if (more) {
        tl__sbuf_json_str(&b, next);
    } else {
        tl__sbuf_str(&b, "null");
    }
    tl__sbuf_printf(&b, ",\"count\":%ld}\n", rows);
    return tl__respond_buf(r, 200, "application/geo+json", &b);
}

/* -------------------------------------------------------------- objects -- */

int
tl__handle_object(struct tl__req *r, unsigned kind)
{
    struct tl__filter f;
    int ret;
    if (!get_filter(r, TL__F_OBJECT, &f, &ret)) {
        return ret;
    }
    struct tl__conn *c = tl__store_reader(r->s->store);
    sqlite3_stmt *st = tl__stmt(c, "SELECT v.doc, v.t_ns FROM objects o JOIN versions v ON v.id "
                                   "= o.id AND v.version = coalesce(?3, o.version) "
                                   "WHERE o.id = ?1 AND o.kind = ?2");
    char *doc = NULL;
    tl_time_ns t = 0;
    if (st) {
        sqlite3_bind_text(st, 1, r->route.arg, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, (int)kind);
        if (f.version >= 0) {
            sqlite3_bind_int64(st, 3, f.version);
        }
        if (sqlite3_step(st) == SQLITE_ROW) {
            doc = tl_strdup((const char *)sqlite3_column_text(st, 0));
            t = sqlite3_column_int64(st, 1);
        }
    }
    tl__store_release(r->s->store, c);
    if (!doc || !tl__visible(r, t)) {
        tl_free(doc);
        return tl__respond_error(r, 404, "not_found", NULL, "no %s %s%s",
                                 kind == TL__OBJ_EVENT ? "event" : "finding", r->route.arg,
                                 f.version >= 0 ? " at that version" : "");
    }
    return tl__respond(r, 200, "application/geo+json", doc, strlen(doc));
}

int
tl__handle_history(struct tl__req *r, unsigned kind)
{
    struct tl__conn *c = tl__store_reader(r->s->store);
    sqlite3_stmt *st =
        tl__stmt(c, "SELECT v.version, v.seq, v.cause, v.published_ns, "
                    "v.log_index, v.doc, o.t_ns FROM objects o JOIN versions v ON "
                    "v.id = o.id WHERE o.id = ?1 AND o.kind = ?2 ORDER BY v.version");
    struct tl__sbuf b;
    tl__sbuf_init(&b, PAGE_BYTES_MAX);
    tl__sbuf_str(&b, "{\"id\":");
    tl__sbuf_json_str(&b, r->route.arg);
    tl__sbuf_printf(&b, ",\"kind\":\"%s\",\"versions\":[\n",
                    kind == TL__OBJ_EVENT ? "event" : "finding");
    long rows = 0;
    bool visible = true;
    if (st) {
        sqlite3_bind_text(st, 1, r->route.arg, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, (int)kind);
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (rows == 0 && !tl__visible(r, sqlite3_column_int64(st, 6))) {
                visible = false;
                break;
            }
            char when[TL_TIME_TEXT_MAX];
            tl__sbuf_printf(
                &b, "%s{\"version\":%" PRId64 ",\"seq\":%" PRId64 ",\"cause\":", rows ? ",\n" : "",
                (int64_t)sqlite3_column_int64(st, 0), (int64_t)sqlite3_column_int64(st, 1));
            tl__sbuf_json_str(&b, (const char *)sqlite3_column_text(st, 2));
            tl__sbuf_printf(&b, ",\"published\":\"%s\",\"log_index\":",
                            tl__fmt_time(sqlite3_column_int64(st, 3), when));
            if (sqlite3_column_type(st, 4) == SQLITE_NULL) {
                tl__sbuf_str(&b, "null");
            } else {
                tl__sbuf_printf(&b, "%" PRId64, (int64_t)sqlite3_column_int64(st, 4));
            }
            tl__sbuf_str(&b, ",\"feature\":");
            tl__sbuf_add(&b, (const char *)sqlite3_column_text(st, 5),
                         (size_t)sqlite3_column_bytes(st, 5));
            tl__sbuf_str(&b, "}");
            rows++;
        }
    }
    tl__store_release(r->s->store, c);
    if (rows == 0 || !visible) {
        tl__sbuf_fini(&b);
        return tl__respond_error(r, 404, "not_found", NULL, "no %s %s",
                                 kind == TL__OBJ_EVENT ? "event" : "finding", r->route.arg);
    }
    tl__sbuf_str(&b, "\n]}\n");
    return tl__respond_buf(r, 200, "application/json", &b);
}

int
tl__handle_proof(struct tl__req *r, bool entry_only)
{
    struct tl__filter f;
    int ret;
    if (!get_filter(r, TL__F_OBJECT, &f, &ret)) {
        return ret;
    }
    struct tl__conn *c = tl__store_reader(r->s->store);
    sqlite3_stmt *st = tl__stmt(c, "SELECT v.log_index, v.t_ns, v.version FROM objects o JOIN "
                                   "versions v ON v.id = o.id AND v.version = coalesce(?2, "
                                   "o.version) WHERE o.id = ?1 AND o.kind = 2");
    int found = 0;
    int64_t index = -1, version = 0;
    tl_time_ns t = 0;
    if (st) {
        sqlite3_bind_text(st, 1, r->route.arg, -1, SQLITE_STATIC);
        if (f.version >= 0) {
            sqlite3_bind_int64(st, 2, f.version);
        }
        if (sqlite3_step(st) == SQLITE_ROW) {
            found = 1;
            index = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
            t = sqlite3_column_int64(st, 1);
            version = sqlite3_column_int64(st, 2);
        }
    }
    tl__store_release(r->s->store, c);
    if (!found || !tl__visible(r, t)) {
        return tl__respond_error(r, 404, "not_found", NULL, "no finding %s%s", r->route.arg,
                                 f.version >= 0 ? " at that version" : "");
    }
    if (index < 0) {
        return tl__respond_error_with(
            r, 409, "not_logged_yet", json_pack("{s:I}", "version", (json_int_t)version),
            "version %" PRId64 " is not in the log yet; retry in a second", version);
    }
    if (entry_only) {
        uint8_t *data = NULL;
        size_t len = 0;
        int rc = tl_tlog_entry(r->s->log, (uint64_t)index, &data, &len);
        if (rc != TL_OK) {
            return tl__respond_error(r, 500, "log_error", NULL, "cannot read entry %" PRId64 ": %s",
                                     index, tl_strerror(rc));
        }
        return tl__respond(r, 200, "application/json", (char *)data, len);
    }
    char *proof = NULL;
    int rc = tl_tlog_proof_file(r->s->log, (uint64_t)index, &proof);
    if (rc == TL_ENOTFOUND || rc == TL_ERANGE) {
        return tl__respond_error_with(
            r, 409, "not_checkpointed_yet", json_pack("{s:I}", "log_index", (json_int_t)index),
            "entry %" PRId64 " is not covered by a published checkpoint yet; "
            "retry in a second",
            index);
    }
    if (rc != TL_OK) {
        return tl__respond_error(r, 500, "log_error", NULL, "cannot prove entry %" PRId64 ": %s",
                                 index, tl_strerror(rc));
    }
    return tl__respond(r, 200, "text/plain; charset=utf-8", proof, strlen(proof));
}

/* ------------------------------------------------------------- stations -- */

static json_t *
time_or_null(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        return json_null();
    }
    char buf[TL_TIME_TEXT_MAX];
    return json_string(tl__fmt_time(sqlite3_column_int64(st, col), buf));
}

static const char *
sensor_name(enum tl_sensor s)
{
    return s == TL_SENSOR_INFRASOUND ? "infrasound"
           : s == TL_SENSOR_SEISMIC  ? "seismic"
                                     : "acoustic";
}

int
tl__handle_stations(struct tl__req *r)
{
    const struct tl_mission *m = r->s->mission;
    bool one = r->route.id == TL__R_STATION;
    if (one && tl_mission_find_station(m, r->route.arg) < 0) {
        return tl__respond_error(r, 404, "unknown_station", NULL,
                                 "station %s is not in the mission", r->route.arg);
    }
    struct tl__arg args[TL__MAX_ARGS];
    size_t nargs = 0;
    if (tl__req_args(r, args, &nargs) != TL_OK || nargs > 0) {
        return tl__respond_error(r, 400, "bad_query", NULL, "%s takes no query arguments",
                                 one ? "/v1/stations/{id}" : "/v1/stations");
    }
    bool health = r->role != TL_ROLE_PUBLIC;
    struct tl_station_qc *qc = NULL;
    size_t nqc = 0;
    int bad = 0; /* a member that could not be set: answer 503, never a partial document */
    if (health) {
        bad |= tl__live_qc(r->s, &qc, &nqc) != TL_OK;
    }
    struct tl__conn *c = tl__store_reader(r->s->store);
    /* network clock: the latest record time of any station */
    tl_time_ns latest = INT64_MIN;
    sqlite3_stmt *st = tl__stmt(c, "SELECT max(last_record_ns) FROM stations");
    if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        latest = sqlite3_column_int64(st, 0);
    }
    if (st) {
        sqlite3_reset(st);
    }
    json_t *rate = json_object();
    if (health && latest != INT64_MIN) {
        st = tl__stmt(c, "SELECT station, count(*) FROM records WHERE type = 0 AND t_ns >= ?1 "
                         "GROUP BY station");
        if (st) {
            sqlite3_bind_int64(st, 1, latest - INT64_C(3600) * TL_NS_PER_S);
            while (sqlite3_step(st) == SQLITE_ROW) {
                bad |= json_object_set_new(rate, (const char *)sqlite3_column_text(st, 0),
                                           json_integer(sqlite3_column_int64(st, 1)));
            }
            sqlite3_reset(st);
        }
    }
    json_t *arr = json_array();
    st = tl__stmt(c, "SELECT last_seq, batches, records, picks, duplicates, last_record_ns, "
                     "last_received_ns, status_state, status_ns FROM stations WHERE id = ?1");
    for (size_t i = 0; i < tl_mission_station_count(m) && st; i++) {
        const struct tl_station *sta = tl_mission_station(m, i);
        if (one && strcmp(sta->id, r->route.arg) != 0) {
            continue;
        }
        json_t *o = json_pack("{s:s,s:f,s:f,s:f,s:s,s:s?,s:b}", "id", sta->id, "lat", sta->lat_deg,
                              "lon", sta->lon_deg, "elev_m", sta->elev_m, "sensor",
                              sensor_name(sta->sensor), "contingent",
                              sta->contingent[0] ? sta->contingent : NULL, "key", sta->has_key);
        if (health) {
            sqlite3_reset(st);
            sqlite3_bind_text(st, 1, sta->id, -1, SQLITE_STATIC);
            bool row = sqlite3_step(st) == SQLITE_ROW;
            bad |= json_object_set_new(o, "last_record", row ? time_or_null(st, 5) : json_null());
            bad |= json_object_set_new(o, "last_received", row ? time_or_null(st, 6) : json_null());
            bad |= json_object_set_new(o, "records",
                                       json_integer(row ? sqlite3_column_int64(st, 2) : 0));
            bad |= json_object_set_new(o, "picks",
                                       json_integer(row ? sqlite3_column_int64(st, 3) : 0));
            bad |= json_object_set_new(o, "duplicates",
                                       json_integer(row ? sqlite3_column_int64(st, 4) : 0));
            bad |= json_object_set_new(o, "batches",
                                       json_integer(row ? sqlite3_column_int64(st, 1) : 0));
            bad |= json_object_set_new(o, "last_seq",
                                       json_integer(row ? sqlite3_column_int64(st, 0) : 0));
            json_t *pr = json_object_get(rate, sta->id);
            bad |= json_object_set_new(o, "picks_last_hour",
                                       json_integer(pr ? json_integer_value(pr) : 0));
            if (row && sqlite3_column_type(st, 5) != SQLITE_NULL && latest != INT64_MIN) {
                bad |= json_object_set_new(
                    o, "silent_s", json_real((double)(latest - sqlite3_column_int64(st, 5)) / 1e9));
            }
            if (row && sqlite3_column_type(st, 7) == SQLITE_TEXT) {
                bad |= json_object_set_new(o, "state",
                                           json_string((const char *)sqlite3_column_text(st, 7)));
                bad |= json_object_set_new(o, "state_time", time_or_null(st, 8));
            } else {
                bad |= json_object_set_new(o, "state", json_null());
            }
            json_t *q = json_null();
            for (size_t k = 0; k < nqc; k++) {
                const struct tl_station_qc *s = &qc[k];
                if (strcmp(s->station, sta->id) != 0) {
                    continue;
                }
                q = json_pack("{s:I,s:I,s:f,s:f,s:b,s:f,s:b,s:I,s:I}", "n_picks",
                              (json_int_t)s->n_picks, "n_used", (json_int_t)s->n_used,
                              "median_residual_s", s->median_residual_s, "mad_residual_s",
                              s->mad_residual_s, "clock_flag", s->clock_flag, "clock_offset_s",
                              s->clock_offset_s, "misfit_flag", s->misfit_flag, "outages",
                              (json_int_t)s->n_down, "outage_s", (json_int_t)s->n_outage_s);
                if (s->clock_flag || s->misfit_flag) {
                    char a[TL_TIME_TEXT_MAX], b2[TL_TIME_TEXT_MAX];
                    bad |= json_object_set_new(q, "flag_from",
                                               json_string(tl__fmt_time(s->flag_from_ns, a)));
                    bad |= json_object_set_new(q, "flag_to",
                                               json_string(tl__fmt_time(s->flag_to_ns, b2)));
                }
            }
            bad |= json_object_set_new(o, "qc", q);
        }
        bad |= json_array_append_new(arr, o);
    }
    tl__store_release(r->s->store, c);
    json_decref(rate);
    tl_free(qc);
    if (bad) {
        json_decref(arr);
        return tl__respond_error(r, 503, "no_memory", NULL, "out of memory");
    }
    if (one) {
        json_t *o = json_incref(json_array_get(arr, 0));
        json_decref(arr);
        return tl__respond_json(r, 200, o);
    }
    return tl__respond_json(r, 200, json_pack("{s:o}", "stations", arr));
}

/* -------------------------------------------------------------- records -- */

int
tl__handle_records(struct tl__req *r)
{
    struct tl__filter f;
    int ret;
    if (!get_filter(r, TL__F_RECORDS, &f, &ret)) {
        return ret;
    }
    int64_t cursor_id = 0;
    if (f.has_cursor) {
        char *end;
        errno = 0;
        long long v = strtoll(f.cursor_id, &end, 10);
        if (*end || errno || v < 0) {
            return tl__respond_error(r, 400, "bad_query", NULL,
                                     "cursor: not a cursor this server gave");
        }
        cursor_id = (int64_t)v;
    }
    struct tl__conn *c = tl__store_reader(r->s->store);
    sqlite3_stmt *st = tl__stmt(
        c, "SELECT id, t_ns, line FROM records WHERE t_ns < ?1 AND (?2 = '' OR station = ?2) "
           "AND t_ns >= ?3 AND t_ns < ?4 AND (t_ns > ?5 OR (t_ns = ?5 AND id > ?6)) "
           "ORDER BY t_ns, id LIMIT ?7");
    struct tl__sbuf b;
    tl__sbuf_init(&b, PAGE_BYTES_MAX);
    long rows = 0;
    bool more = false;
    char next[64] = "";
    if (st) {
        sqlite3_bind_int64(st, 1, tl__visible_until(r));
        sqlite3_bind_text(st, 2, f.station, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, f.has_from ? f.from_ns : INT64_MIN);
        sqlite3_bind_int64(st, 4, f.has_to ? f.to_ns : INT64_MAX);
        sqlite3_bind_int64(st, 5, f.has_cursor ? f.cursor_t : INT64_MIN);
        sqlite3_bind_int64(st, 6, f.has_cursor ? cursor_id : -1);
        sqlite3_bind_int64(st, 7, f.limit + 1);
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (rows == f.limit) {
                more = true;
                break;
            }
            tl__sbuf_add(&b, (const char *)sqlite3_column_text(st, 2),
                         (size_t)sqlite3_column_bytes(st, 2));
            tl__sbuf_add(&b, "\n", 1);
            snprintf(next, sizeof(next), "%" PRId64 "~%" PRId64,
                     (int64_t)sqlite3_column_int64(st, 1), (int64_t)sqlite3_column_int64(st, 0));
            rows++;
        }
    }
    tl__store_release(r->s->store, c);
    if (b.failed) {
        return tl__respond_buf(r, 200, "application/x-ndjson", &b);
    }
    char *p = b.p ? b.p : tl_strdup("");
    size_t n = b.n;
    b.p = NULL;
    tl__sbuf_fini(&b);
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(n, p, tl_free);
    if (!resp) {
        tl_free(p);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-ndjson");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (more) {
        MHD_add_response_header(resp, "X-Next-Cursor", next);
    }
    enum MHD_Result mr = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    r->responded = true;
    return mr;
}

/* ------------------------------------------------------------- bulletin -- */

int
tl__handle_bulletin(struct tl__req *r)
{
    struct tl__arg args[TL__MAX_ARGS];
    size_t nargs = 0;
    if (tl__req_args(r, args, &nargs) != TL_OK || nargs > 0) {
        return tl__respond_error(r, 400, "bad_query", NULL,
                                 "/v1/bulletins/{date} takes no query arguments");
    }
    char ts[32];
    snprintf(ts, sizeof(ts), "%sT00:00:00Z", r->route.arg);
    tl_time_ns from;
    if (tl_time_parse(ts, strlen(ts), &from, NULL) != TL_OK) {
        return tl__respond_error(r, 400, "bad_date", NULL, "not a date: %s", r->route.arg);
    }
    tl_time_ns to = from + INT64_C(86400) * TL_NS_PER_S;
    tl_time_ns vis = tl__visible_until(r);
    if (vis < to) {
        to = vis > from ? vis : from;
    }
    struct tl__day_objects d;
    int rc = tl__day_objects_load(r->s, from, to, &d);
    char *text = NULL;
    size_t len = 0;
    if (rc == TL_OK) {
        struct tl_bulletin b = {.mission = r->s->mission,
                                .from_ns = from,
                                .to_ns = from + INT64_C(86400) * TL_NS_PER_S,
                                .generated_ns = tl_time_now(),
                                .events = d.ev,
                                .n_events = d.ne,
                                .findings = d.fd,
                                .n_findings = d.nf,
                                .finding_provisional = d.fd_provisional,
                                .finding_status = d.fd_status,
                                .event_review = (const char *const *)d.ev_review,
                                .finding_review = (const char *const *)d.fd_review};
        rc = tl_bulletin_dump(&b, &text, &len);
    }
    tl__day_objects_free(&d);
    if (rc != TL_OK) {
        return tl__respond_error(r, 500, "bulletin_failed", NULL, "cannot build the bulletin: %s",
                                 tl_strerror(rc));
    }
    return tl__respond(r, 200, "application/geo+json", text, len);
}

/* --------------------------------------------------------------- status -- */

int
tl__handle_status(struct tl__req *r)
{
    struct tl_server *s = r->s;
    long groups = 0, jobs = 0;
    tl__store_counters(s->store, &groups, &jobs);
    uint64_t size = 0;
    tl_tlog_tree(s->log, &size, NULL);
    struct tl__conn *c = tl__store_reader(s->store);
    int64_t max_id = 0, n_records = 0;
    sqlite3_stmt *st = tl__stmt(c, "SELECT coalesce(max(id), 0) FROM records");
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        max_id = sqlite3_column_int64(st, 0);
    }
    st = tl__stmt(c, "SELECT coalesce(sum(records), 0) FROM stations");
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        n_records = sqlite3_column_int64(st, 0);
    }
    tl__store_release(s->store, c);
    pthread_mutex_lock(&s->cp_mu);
    uint64_t published = s->cp_size;
    pthread_mutex_unlock(&s->cp_mu);
    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:{s:s,s:I,s:I},s:{s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I},s:I,s:I,s:i}", "software",
        "truceline " TL_VERSION_STRING, "mission", tl_mission_name(s->mission), "role",
        tl_role_name(r->role), "log", "origin", tl_tlog_origin(s->log), "size", (json_int_t)size,
        "checkpoint_size", (json_int_t)published, "store", "records", (json_int_t)n_records,
        "commits", (json_int_t)groups, "jobs", (json_int_t)jobs, "ingest", "batches",
        (json_int_t)atomic_load(&s->n_ingest_batches), "records",
        (json_int_t)atomic_load(&s->n_ingest_records), "stored",
        (json_int_t)atomic_load(&s->n_ingest_stored), "duplicates",
        (json_int_t)atomic_load(&s->n_ingest_dups), "requests",
        (json_int_t)atomic_load(&s->n_requests), "rejected",
        (json_int_t)atomic_load(&s->n_rejected), "stream_clients", atomic_load(&s->hub.clients));
    if (r->role != TL_ROLE_PUBLIC && tl__live_status(s, o, max_id) != TL_OK) {
        json_decref(o);
        return tl__respond_error(r, 503, "no_memory", NULL, "out of memory");
    }
    return tl__respond_json(r, 200, o);
}

/* The mission file as loaded (its bytes verbatim): the map draws the contact line, the zones,
 * the places and the parties' names from it.  Public: the agreement's geometry and the
 * stations' public keys are what every party is meant to check against. */
int
tl__handle_mission(struct tl__req *r)
{
    struct tl__arg args[TL__MAX_ARGS];
    size_t nargs = 0;
    if (tl__req_args(r, args, &nargs) != TL_OK || nargs > 0) {
        return tl__respond_error(r, 400, "bad_query", NULL, "/v1/mission takes no query arguments");
    }
    size_t len = 0;
    const char *src = tl_mission_source(r->s->mission, &len);
    char *copy = tl_malloc(len + 1);
    if (!copy) {
        return tl__respond_error(r, 503, "no_memory", NULL, "out of memory");
    }
    memcpy(copy, src, len);
    copy[len] = '\0';
    return tl__respond(r, 200, "application/geo+json", copy, len);
}

int
tl__handle_audit(struct tl__req *r)
{
    struct tl__arg args[TL__MAX_ARGS];
    size_t n = 0;
    int64_t before = INT64_MAX;
    long limit = TL__PAGE_DEF;
    tl__req_args(r, args, &n);
    for (size_t i = 0; i < n; i++) {
        char *end;
        const char *v = args[i].value ? args[i].value : "";
        errno = 0;
        long long x = strtoll(v, &end, 10);
        bool ok = *v && !*end && !errno;
        if (strcmp(args[i].key, "before") == 0 && ok && x > 0) {
            before = (int64_t)x;
        } else if (strcmp(args[i].key, "limit") == 0 && ok && x >= 1 && x <= TL__PAGE_MAX) {
            limit = (long)x;
        } else {
            return tl__respond_error(r, 400, "bad_query", NULL,
                                     "%s: expected before=<id> or limit=1..1000", args[i].key);
        }
    }
    struct tl__conn *c = tl__store_reader(r->s->store);
    sqlite3_stmt *st = tl__stmt(c, "SELECT id, time_ns, actor, action, target, detail FROM audit "
                                   "WHERE id < ?1 ORDER BY id DESC LIMIT ?2");
    json_t *arr = json_array();
    int bad = 0;
    if (st) {
        sqlite3_bind_int64(st, 1, before);
        sqlite3_bind_int64(st, 2, limit);
        while (sqlite3_step(st) == SQLITE_ROW) {
            char when[TL_TIME_TEXT_MAX];
            bad |= json_array_append_new(
                arr, json_pack("{s:I,s:s,s:s,s:s,s:s?,s:s?}", "id",
                               (json_int_t)sqlite3_column_int64(st, 0), "time",
                               tl__fmt_time(sqlite3_column_int64(st, 1), when), "actor",
                               (const char *)sqlite3_column_text(st, 2), "action",
                               (const char *)sqlite3_column_text(st, 3), "target",
                               (const char *)sqlite3_column_text(st, 4), "detail",
                               (const char *)sqlite3_column_text(st, 5)));
        }
    }
    tl__store_release(r->s->store, c);
    if (bad) {
        json_decref(arr);
        return tl__respond_error(r, 503, "no_memory", NULL, "out of memory");
    }
    return tl__respond_json(r, 200, json_pack("{s:o}", "audit", arr));
}

/* --------------------------------------------------------------- static -- */

/* A safe relative path: segments of [A-Za-z0-9._-], none starting with '.'. */
static bool
safe_rel(const char *p)
{
    if (!*p || strlen(p) > 512) {
        return false;
    }
    bool seg_start = true;
    for (const char *q = p; *q; q++) {
        char ch = *q;
        if (ch == '/') {
            if (seg_start) {
                return false; /* empty segment */
            }
            seg_start = true;
            continue;
        }
        if (seg_start && ch == '.') {
            return false;
        }
        seg_start = false;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-')) {
            return false;
        }
    }
    return !seg_start;
}

static const char *
web_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html; charset=utf-8"},
                 {".js", "text/javascript; charset=utf-8"},
                 {".css", "text/css; charset=utf-8"},
                 {".json", "application/json"},
                 {".geojson", "application/geo+json"},
                 {".svg", "image/svg+xml"},
                 {".png", "image/png"},
                 {".ico", "image/x-icon"},
                 {".woff2", "font/woff2"},
                 {".map", "application/json"}};

    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < TL_ARRAY_LEN(types); i++) {
        if (strcmp(dot, types[i].ext) == 0) {
            return types[i].type;
        }
    }
    return "application/octet-stream";
}

int
tl__handle_static(struct tl__req *r, const char *root, const char *rest, bool log)
{
    const char *rel = rest;
    if (!log && !*rel) {
        rel = "index.html";
    }
    if (!root || !safe_rel(rel) ||
        (log && strcmp(rel, "checkpoint") != 0 && strncmp(rel, "tile/", 5) != 0)) {
        return tl__respond_error(r, 404, "not_found", NULL, "no such file");
    }
    char path[4096 + 600];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0) {
            close(fd);
        }
        return tl__respond_error(r, 404, "not_found", NULL, "no such file");
    }
    struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    const char *type = log ? (strcmp(rel, "checkpoint") == 0 ? "text/plain; charset=utf-8"
                                                             : "application/octet-stream")
                           : web_type(rel);
    const char *cache = "no-cache";
    if (log) {
        cache = strcmp(rel, "checkpoint") == 0 ? "max-age=2"
                : strstr(rel, ".p/")           ? "max-age=10"
                                               : "public, max-age=31536000, immutable";
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    r->responded = true;
    return ret;
}
