/*
 * bulletin.c - write bulletins as GeoJSON with deterministic bytes.
 *
 * Each feature is built as a jansson object with keys inserted in the order of
 * formats.md section 4 and dumped with JSON_PRESERVE_ORDER; numbers are rounded
 * to a fixed number of decimals for their unit before they are stored, and
 * printed with 15 significant digits, which reproduces the rounded decimal
 * exactly.  One feature per line, so a bulletin is also easy to diff and to
 * stream.  Fields beyond formats.md (arrivals with residuals, revision,
 * side_p and pair_p of findings, station quality) are documented in
 * docs/formats.md.
 */
#include <truceline/bulletin.h>
#include <truceline/physics.h>
#include <truceline/time.h>

#include "../util/util.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

static json_t *
num(double x, int decimals)
{
    if (!isfinite(x)) {
        return json_null();
    }
    double s = pow(10.0, decimals);
    double r = round(x * s) / s;
    if (r == 0.0) {
        r = 0.0; /* no "-0.0" */
    }
    return json_real(r);
}

/* The object built, or NULL (and the object freed) when any of its members could not be
 * set: jansson reports a failed allocation by a NULL value or a failed insertion, and a
 * member silently missing would give another bulletin than the one asked for. */
static json_t *
built(json_t *j, int bad)
{
    if (bad) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static json_t *
time_str(tl_time_ns t)
{
    char buf[TL_TIME_TEXT_MAX];
    tl_time_format(t, buf, sizeof(buf));
    return json_string(buf);
}

static json_t *
zones_arr(const struct tl_mission *m, const size_t *z, size_t n)
{
    int bad = 0;
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        const struct tl_zone *zn = tl_mission_zone(m, z[i]);
        if (zn) {
            bad |= json_array_append_new(a, json_string(zn->id));
        }
    }
    return built(a, bad);
}

static json_t *
weapon_str(int w)
{
    const struct tl_weapon_info *wi = tl_weapon_get((enum tl_weapon)w);
    return json_string(wi ? wi->name : "unknown");
}

static json_t *
event_json(const struct tl_mission *m, const struct tl_event *e)
{
    int bad = 0;
    json_t *f = json_object();
    json_t *g = json_object();
    json_t *pr = json_object();
    if (!f || !g || !pr) {
        json_decref(f);
        json_decref(g);
        json_decref(pr);
        return NULL;
    }
    bad |= json_object_set_new(f, "type", json_string("Feature"));
    bad |= json_object_set_new(g, "type", json_string("Point"));
    bad |= json_object_set_new(g, "coordinates",
                               json_pack("[oo]", num(e->lon_deg, 7), num(e->lat_deg, 7)));
    bad |= json_object_set_new(f, "geometry", g);
    bad |= json_object_set_new(pr, "kind", json_string("event"));
    bad |= json_object_set_new(pr, "id", json_string(e->id));
    bad |= json_object_set_new(pr, "time", time_str(e->t_ns));
    bad |= json_object_set_new(pr, "time_sigma_s", num(e->time_sigma_s, 4));
    bad |= json_object_set_new(pr, "class", json_string(tl_class_name(e->cls)));
    bad |= json_object_set_new(pr, "class_p", num(e->class_p, 4));
    bad |= json_object_set_new(pr, "ellipse",
                               json_pack("{s:o,s:o,s:o,s:f}", "major_m", num(e->ell_major_m, 1),
                                         "minor_m", num(e->ell_minor_m, 1), "azimuth_deg",
                                         num(e->ell_azimuth_deg, 1), "p", 0.95));
    bad |= json_object_set_new(pr, "side", json_string(tl_side_name(e->side)));
    bad |= json_object_set_new(pr, "side_p", num(e->side_p, 4));
    bad |= json_object_set_new(pr, "dist_to_line_m", num(e->dist_to_line_m, 1));
    bad |= json_object_set_new(pr, "zones", zones_arr(m, e->zones, e->n_zones));
    bad |= json_object_set_new(pr, "place", json_string(e->place));
    bad |= json_object_set_new(pr, "n_stations", json_integer(e->n_stations));
    bad |= json_object_set_new(pr, "rms_s", num(e->rms_s, 4));
    json_t *picks = json_array();
    json_t *arr = json_array();
    for (size_t i = 0; i < e->n_arrivals; i++) {
        const struct tl_arrival *a = &e->arrivals[i];
        json_t *ref = a->pick_id[0] ? json_string(a->pick_id)
                                    : json_pack("[so]", a->station, time_str(a->t_ns));
        bad |= json_array_append(picks, ref);
        json_t *ao = json_object();
        bad |= json_object_set_new(ao, "station", json_string(a->station));
        bad |= json_object_set_new(ao, "pick", ref);
        bad |= json_object_set_new(ao, "residual_s", num(a->residual_s, 4));
        bad |= json_object_set_new(ao, "weight", num(a->weight, 3));
        bad |= json_object_set_new(ao, "dist_m", num(a->dist_m, 1));
        if (isfinite(a->baz_residual_deg)) {
            bad |= json_object_set_new(ao, "baz_residual_deg", num(a->baz_residual_deg, 1));
        }
        bad |= json_array_append_new(arr, ao);
    }
    bad |= json_object_set_new(pr, "picks", picks);
    bad |= json_object_set_new(pr, "pair", e->pair[0] ? json_string(e->pair) : json_null());
    if (e->pair_candidate[0]) {
        json_t *pc = json_object();
        bad |= json_object_set_new(pc, "id", json_string(e->pair_candidate));
        bad |= json_object_set_new(pc, "p", num(e->pair_candidate_p, 4));
        bad |= json_object_set_new(pr, "pair_candidate", pc);
    } else {
        bad |= json_object_set_new(pr, "pair_candidate", json_null());
    }
    bad |= json_object_set_new(pr, "status", json_string(tl_review_status_name(e->status)));
    bad |= json_object_set_new(pr, "weapon", weapon_str(e->weapon));
    bad |= json_object_set_new(pr, "likely_side", json_string(tl_side_name(e->likely_side)));
    bad |= json_object_set_new(pr, "n_bearings", json_integer(e->n_bearings));
    bad |= json_object_set_new(pr, "shock_cue", json_boolean(e->shock_cue));
    bad |= json_object_set_new(pr, "revision", json_integer(e->revision));
    bad |= json_object_set_new(pr, "arrivals", arr);
    bad |= json_object_set_new(f, "properties", pr);
    return built(f, bad);
}

static json_t *
finding_json(const struct tl_mission *m, const struct tl_finding *fd)
{
    int bad = 0;
    json_t *f = json_object();
    json_t *g = json_object();
    json_t *pr = json_object();
    if (!f || !g || !pr) {
        json_decref(f);
        json_decref(g);
        json_decref(pr);
        return NULL;
    }
    bad |= json_object_set_new(f, "type", json_string("Feature"));
    bad |= json_object_set_new(g, "type", json_string("LineString"));
    bad |= json_object_set_new(g, "coordinates",
                               json_pack("[[oo][oo]]", num(fd->launch_lon_deg, 7),
                                         num(fd->launch_lat_deg, 7), num(fd->impact_lon_deg, 7),
                                         num(fd->impact_lat_deg, 7)));
    bad |= json_object_set_new(f, "geometry", g);
    bad |= json_object_set_new(pr, "kind", json_string("finding"));
    bad |= json_object_set_new(pr, "id", json_string(fd->id));
    bad |= json_object_set_new(pr, "launch", json_string(fd->launch));
    bad |= json_object_set_new(pr, "impact", json_string(fd->impact));
    bad |= json_object_set_new(pr, "time", time_str(fd->launch_t_ns));
    bad |= json_object_set_new(pr, "fired_from", json_string(tl_side_name(fd->fired_from)));
    bad |= json_object_set_new(pr, "likely_side", json_string(tl_side_name(fd->likely_side)));
    const char *party = tl_mission_party(m, fd->fired_from);
    bad |= json_object_set_new(pr, "party", party ? json_string(party) : json_null());
    bad |= json_object_set_new(pr, "confidence", num(fd->confidence, 4));
    bad |= json_object_set_new(pr, "crosses_line", json_boolean(fd->crosses_line));
    bad |= json_object_set_new(pr, "weapon", weapon_str(fd->weapon));
    bad |= json_object_set_new(pr, "tof_s", num(fd->tof_s, 2));
    bad |= json_object_set_new(pr, "range_m", num(fd->range_m, 1));
    json_t *basis = json_array();
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{TL_BASIS_MULTI_STATION_ORIGIN, "multi_station_origin"},
                 {TL_BASIS_SHOCK_CUE, "shock_cue"},
                 {TL_BASIS_TOF_CONSISTENT, "tof_consistent"},
                 {TL_BASIS_ARRAY_BEARING, "array_bearing"},
                 {TL_BASIS_SALVO, "salvo"}};
    for (size_t i = 0; i < TL_ARRAY_LEN(names); i++) {
        if (fd->basis & names[i].bit) {
            bad |= json_array_append_new(basis, json_string(names[i].name));
        }
    }
    bad |= json_object_set_new(pr, "basis", basis);
    bad |= json_object_set_new(pr, "zones", zones_arr(m, fd->zones, fd->n_zones));
    bad |= json_object_set_new(pr, "side_p", num(fd->side_p, 4));
    bad |= json_object_set_new(pr, "pair_p", num(fd->pair_p, 4));
    bad |= json_object_set_new(pr, "salvo", fd->salvo[0] ? json_string(fd->salvo) : json_null());
    bad |= json_object_set_new(f, "properties", pr);
    return built(f, bad);
}

char *
tl_event_geojson(const struct tl_mission *m, const struct tl_event *e)
{
    json_t *j = event_json(m, e);
    char *s = j ? tl__json_dumps(j, DUMP_FLAGS) : NULL;
    json_decref(j);
    return s;
}

char *
tl_finding_geojson(const struct tl_mission *m, const struct tl_finding *f)
{
    json_t *j = finding_json(m, f);
    char *s = j ? tl__json_dumps(j, DUMP_FLAGS) : NULL;
    json_decref(j);
    return s;
}

/* Set the "review" property of `pr` to the JSON object `text`: TL_EINVAL when it is not one. */
static int
set_review(json_t *pr, const char *text)
{
    bool oom = false;
    json_t *rv = tl__json_loadb(text, strlen(text), 0, NULL, &oom);
    if (oom) {
        return TL_ENOMEM;
    }
    if (!json_is_object(rv)) {
        json_decref(rv);
        return TL_EINVAL;
    }
    return json_object_set_new(pr, "review", rv) == 0 ? TL_OK : TL_ENOMEM;
}

/*
 * The bulletin's k-th event (k < n_events) or finding as a feature string, with what the server
 * adds to its features (formats.md section 7) in the order the server writes them: a finding's
 * "status" and "review", then "provisional"; an event's "review" last.
 */
static int
feature_str(const struct tl_bulletin *b, size_t k, char **out)
{
    bool ev = k < b->n_events;
    size_t i = ev ? k : k - b->n_events;
    json_t *j =
        ev ? event_json(b->mission, &b->events[i]) : finding_json(b->mission, &b->findings[i]);
    json_t *pr = json_object_get(j, "properties");
    int rc = pr ? TL_OK : TL_ENOMEM;
    if (rc == TL_OK && ev && b->event_review && b->event_review[i]) {
        rc = set_review(pr, b->event_review[i]);
    }
    if (rc == TL_OK && !ev && b->finding_status && b->finding_status[i] != TL_STATUS_AUTOMATIC) {
        rc = json_object_set_new(pr, "status",
                                 json_string(tl_review_status_name(b->finding_status[i]))) == 0
                 ? TL_OK
                 : TL_ENOMEM;
    }
    if (rc == TL_OK && !ev && b->finding_review && b->finding_review[i]) {
        rc = set_review(pr, b->finding_review[i]);
    }
    if (rc == TL_OK && !ev && b->finding_provisional && b->finding_provisional[i]) {
        rc = json_object_set_new(pr, "provisional", json_true()) == 0 ? TL_OK : TL_ENOMEM;
    }
    char *s = rc == TL_OK ? tl__json_dumps(j, DUMP_FLAGS) : NULL;
    json_decref(j);
    if (rc == TL_OK && !s) {
        rc = TL_ENOMEM;
    }
    *out = s;
    return rc;
}

/*
 * The header's counts of events and findings; with `only_rejected` those of them an analyst
 * rejected (server bulletins: the members of "rejected").
 */
static json_t *
counts_json(const struct tl_bulletin *b, bool only_rejected)
{
    int bad = 0;
    long cls[3] = {0}, side[3] = {0}, prov = 0;
    size_t ne = 0, nf = 0;
    for (size_t i = 0; i < b->n_events; i++) {
        if (!only_rejected || b->events[i].status == TL_STATUS_REJECTED) {
            cls[b->events[i].cls]++;
            ne++;
        }
    }
    for (size_t i = 0; i < b->n_findings; i++) {
        if (!only_rejected || b->finding_status[i] == TL_STATUS_REJECTED) {
            side[b->findings[i].fired_from + 1]++;
            prov += b->finding_provisional && b->finding_provisional[i];
            nf++;
        }
    }
    json_t *c = json_object();
    bad |= json_object_set_new(c, "events", json_integer((json_int_t)ne));
    bad |= json_object_set_new(c, "launch", json_integer(cls[TL_CLASS_LAUNCH]));
    bad |= json_object_set_new(c, "impact", json_integer(cls[TL_CLASS_IMPACT]));
    bad |= json_object_set_new(c, "unknown", json_integer(cls[TL_CLASS_UNKNOWN]));
    bad |= json_object_set_new(c, "findings", json_integer((json_int_t)nf));
    bad |= json_object_set_new(c, "fired_from_left", json_integer(side[0]));
    bad |= json_object_set_new(c, "fired_from_right", json_integer(side[2]));
    bad |= json_object_set_new(c, "fired_from_ambiguous", json_integer(side[1]));
    if (b->finding_provisional) {
        bad |= json_object_set_new(c, "provisional", json_integer(prov));
    }
    return built(c, bad);
}

static json_t *
header_json(const struct tl_bulletin *b)
{
    int bad = 0;
    json_t *h = json_object();
    bad |= json_object_set_new(h, "mission", json_string(tl_mission_name(b->mission)));
    bad |= json_object_set_new(h, "from", time_str(b->from_ns));
    bad |= json_object_set_new(h, "to", time_str(b->to_ns));
    bad |= json_object_set_new(h, "generated_at",
                               time_str(b->generated_ns ? b->generated_ns : b->to_ns));
    bad |= json_object_set_new(h, "software", json_string("truceline " TL_VERSION_STRING));
    if (tl_mission_illustrative(b->mission)) {
        bad |= json_object_set_new(h, "illustrative", json_true());
    }
    json_t *c = counts_json(b, false);
    if (b->finding_status) {
        long reviewed = 0;
        for (size_t i = 0; i < b->n_events; i++) {
            reviewed += b->events[i].status == TL_STATUS_REVIEWED;
        }
        for (size_t i = 0; i < b->n_findings; i++) {
            reviewed += b->finding_status[i] == TL_STATUS_REVIEWED;
        }
        bad |= json_object_set_new(c, "reviewed", json_integer(reviewed));
        bad |= json_object_set_new(c, "rejected", counts_json(b, true));
    }
    if (b->input) {
        bad |= json_object_set_new(c, "records",
                                   json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "lines",
                                             (json_int_t)b->input->lines, "picks",
                                             (json_int_t)b->input->picks, "met",
                                             (json_int_t)b->input->mets, "status",
                                             (json_int_t)b->input->statuses, "duplicates",
                                             (json_int_t)b->input->duplicates, "malformed",
                                             (json_int_t)b->input->malformed, "unknown_station",
                                             (json_int_t)b->input->unknown_station));
    }
    bad |= json_object_set_new(h, "counts", c);
    if (b->qc) {
        json_t *q = json_array();
        for (size_t i = 0; i < b->n_qc; i++) {
            const struct tl_station_qc *s = &b->qc[i];
            json_t *o = json_object();
            bad |= json_object_set_new(o, "station", json_string(s->station));
            bad |= json_object_set_new(o, "n_picks", json_integer(s->n_picks));
            bad |= json_object_set_new(o, "n_used", json_integer(s->n_used));
            bad |= json_object_set_new(o, "median_residual_s", num(s->median_residual_s, 4));
            bad |= json_object_set_new(o, "mad_residual_s", num(s->mad_residual_s, 4));
            bad |= json_object_set_new(o, "clock_flag", json_boolean(s->clock_flag));
            if (s->clock_flag) {
                bad |= json_object_set_new(o, "clock_offset_s", num(s->clock_offset_s, 4));
                bad |= json_object_set_new(o, "flag_from", time_str(s->flag_from_ns));
                bad |= json_object_set_new(o, "flag_to", time_str(s->flag_to_ns));
            }
            bad |= json_object_set_new(o, "misfit_flag", json_boolean(s->misfit_flag));
            bad |= json_object_set_new(o, "outage_s", json_integer(s->n_outage_s));
            bad |= json_array_append_new(q, o);
        }
        bad |= json_object_set_new(h, "station_quality", q);
    }
    return built(h, bad);
}

/* Write the whole bulletin through a callback (file or memory). */
static int
emit(const struct tl_bulletin *b, int (*put)(void *ud, const char *s, size_t n), void *ud)
{
    json_t *h = header_json(b);
    char *hs = h ? tl__json_dumps(h, DUMP_FLAGS) : NULL;
    json_decref(h);
    if (!hs) {
        return TL_ENOMEM;
    }
    int rc = TL_OK;
    static const char open1[] = "{\"type\":\"FeatureCollection\",\"bulletin\":";
    static const char open2[] = ",\"features\":[\n";
    if (put(ud, open1, sizeof(open1) - 1) || put(ud, hs, strlen(hs)) ||
        put(ud, open2, sizeof(open2) - 1)) {
        rc = TL_EIO;
    }
    tl_free(hs);
    size_t total = b->n_events + b->n_findings;
    for (size_t i = 0; i < total && rc == TL_OK; i++) {
        char *s = NULL;
        if ((rc = feature_str(b, i, &s)) != TL_OK) {
            break;
        }
        if (put(ud, s, strlen(s)) || (i + 1 < total && put(ud, ",\n", 2)) || put(ud, "", 0)) {
            rc = TL_EIO;
        }
        tl_free(s);
    }
    if (rc == TL_OK && put(ud, "\n]}\n", 4)) {
        rc = TL_EIO;
    }
    return rc;
}

static int
put_file(void *ud, const char *s, size_t n)
{
    return n && fwrite(s, 1, n, ud) != n;
}

struct membuf {
    char *p;
    size_t n, cap;
};

static int
put_mem(void *ud, const char *s, size_t n)
{
    struct membuf *m = ud;
    if (tl__grow((void **)&m->p, &m->cap, m->n + n + 1, 1, (size_t)1 << 34) != TL_OK) {
        return 1;
    }
    memcpy(m->p + m->n, s, n);
    m->n += n;
    m->p[m->n] = '\0';
    return 0;
}

int
tl_bulletin_dump(const struct tl_bulletin *b, char **out, size_t *len)
{
    struct membuf m = {0};
    int rc = emit(b, put_mem, &m);
    if (rc != TL_OK) {
        tl_free(m.p);
        return rc == TL_EINVAL ? TL_EINVAL : TL_ENOMEM;
    }
    *out = m.p;
    if (len) {
        *len = m.n;
    }
    return TL_OK;
}

int
tl_bulletin_write(const struct tl_bulletin *b, const char *path, struct tl_diag *diag)
{
    if (strcmp(path, "-") == 0) {
        int rc = emit(b, put_file, stdout);
        if (rc == TL_OK && fflush(stdout) != 0) {
            rc = TL_EIO;
        }
        return rc;
    }
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        tl__diag_where(diag, path, 0);
        return tl__diag(diag, TL_EIO, NULL, "cannot write: %s", strerror(errno));
    }
    int rc = emit(b, put_file, f);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc = rc == TL_OK ? TL_EIO : rc;
    }
    if (fclose(f) != 0 && rc == TL_OK) {
        rc = TL_EIO;
    }
    if (rc == TL_OK && rename(tmp, path) != 0) {
        rc = TL_EIO;
    }
    if (rc != TL_OK) {
        tl__diag_where(diag, path, 0);
        tl__diag(diag, rc, NULL, "cannot write: %s",
                 rc == TL_ENOMEM   ? "out of memory"
                 : rc == TL_EINVAL ? "a review is not a JSON object"
                                   : strerror(errno));
        unlink(tmp);
    }
    return rc;
}
