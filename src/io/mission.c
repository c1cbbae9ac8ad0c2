/*
 * mission.c - load and validate a mission file (formats.md section 1).
 *
 * The whole file is checked before anything is kept, and every problem is
 * collected (up to TL_MISSION_MAX_PROBLEMS, the rest counted) with the feature
 * index and the field, so an operator sees all that is wrong in one run:
 *
 *     feature 12 (station A012): array[2]: expected [east_m, north_m, up_m]
 *
 * Rules: a FeatureCollection with a "mission" object naming the mission and
 * both parties; exactly one contact line (LineString, >= 2 distinct
 * positions); stations with unique SEED-code ids, a Point with elevation, a
 * known sensor, arrays of 3-16 distinct elements within 1 km, an ISO alpha-2
 * contingent and a 32-byte base64 key; zones with unique ids, closed rings of
 * >= 4 positions and known rule words; places with names.  The loaded mission
 * keeps the file's bytes so the exact mission can be logged and re-served.
 */
#include <truceline/geo.h>
#include <truceline/mission.h>

#include "../util/util.h"
#include "mission_priv.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (64u << 20)

struct ctx {
    struct tl_mission_problems *pr;
    size_t n_problems;
    long feature;       /* index of the feature being checked, -1 for the top level */
    char what[40];      /* "station A012", "zone DA-1", ... */
    /* Ids seen so far, valid features or not, so that a reused id is always reported. */
    char (*zone_ids)[TL_ID_MAX];
    size_t n_zone_ids;
};

static void problem(struct ctx *c, const char *field, const char *fmt, ...) TL_PRINTF(3, 4);

static void
problem(struct ctx *c, const char *field, const char *fmt, ...)
{
    c->n_problems++;
    if (!c->pr) {
        return;
    }
    c->pr->n_total++;
    if (c->pr->n >= TL_MISSION_MAX_PROBLEMS) {
        return;
    }
    char reason[120];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    char *t = c->pr->text[c->pr->n++];
    size_t sz = sizeof(c->pr->text[0]);
    if (c->feature < 0) {
        snprintf(t, sz, "%s: %s", field, reason);
    } else if (c->what[0]) {
        snprintf(t, sz, "feature %ld (%s): %s: %s", c->feature, c->what, field, reason);
    } else {
        snprintf(t, sz, "feature %ld: %s: %s", c->feature, field, reason);
    }
}

bool
tl_valid_station_id(const char *id)
{
    size_t n = strlen(id);
    if (n < 1 || n > 5) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))) {
            return false;
        }
    }
    return true;
}

bool
tl_valid_id(const char *id)
{
    size_t n = strlen(id);
    if (n < 1 || n > 64) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == ':' || ch == '-')) {
            return false;
        }
    }
    return true;
}

/* A GeoJSON position [lon, lat(, elev)]; `need_elev` requires the third value. */
static bool
position(struct ctx *c, const char *field, json_t *p, bool need_elev, double *lat, double *lon,
         double *elev)
{
    if (!json_is_array(p) || json_array_size(p) < 2 || json_array_size(p) > 3) {
        problem(c, field, "expected a position [lon, lat%s]", need_elev ? ", elev_m" : "");
        return false;
    }
    for (size_t i = 0; i < json_array_size(p); i++) {
        if (!json_is_number(json_array_get(p, i))) {
            problem(c, field, "position values must be numbers");
            return false;
        }
    }
    double x = json_number_value(json_array_get(p, 0));
    double y = json_number_value(json_array_get(p, 1));
    bool ok = true;
    if (!(x >= -180.0 && x <= 180.0)) {
        problem(c, field, "longitude %g outside [-180, 180]", x);
        ok = false;
    }
    if (!(y >= -90.0 && y <= 90.0)) {
        problem(c, field, "latitude %g outside [-90, 90]", y);
        ok = false;
    }
    double z = 0.0;
    if (json_array_size(p) == 3) {
        z = json_number_value(json_array_get(p, 2));
        if (!(z >= -500.0 && z <= 9000.0)) {
            problem(c, field, "elevation %g m outside [-500, 9000]", z);
            ok = false;
        }
    } else if (need_elev) {
        problem(c, field, "a station needs its elevation: [lon, lat, elev_m]");
        ok = false;
    }
    *lat = y;
    *lon = x;
    if (elev) {
        *elev = z;
    }
    return ok;
}

static const char *
str_prop(json_t *props, const char *key)
{
    json_t *v = json_object_get(props, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ------------------------------------------------------------------------ */
/* Features                                                                  */
/* ------------------------------------------------------------------------ */

static void
load_line(struct ctx *c, struct tl_mission *m, json_t *geom)
{
    json_t *coords = json_object_get(geom, "coordinates");
    if (!json_is_string(json_object_get(geom, "type")) ||
        strcmp(json_string_value(json_object_get(geom, "type")), "LineString") != 0) {
        problem(c, "geometry.type", "a contact line must be a LineString");
        return;
    }
    if (!json_is_array(coords) || json_array_size(coords) < 2) {
        problem(c, "geometry.coordinates", "a contact line needs at least 2 positions");
        return;
    }
    size_t n = json_array_size(coords);
    double(*pts)[2] = tl_calloc(n, sizeof(*pts));
    if (!pts) {
        problem(c, "geometry", "out of memory");
        return;
    }
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        char field[48];
        snprintf(field, sizeof(field), "geometry.coordinates[%zu]", i);
        if (!position(c, field, json_array_get(coords, i), false, &pts[i][0], &pts[i][1], NULL)) {
            ok = false;
            continue;
        }
        if (i > 0 && pts[i][0] == pts[i - 1][0] && pts[i][1] == pts[i - 1][1]) {
            problem(c, field, "repeats the previous position (zero-length segment)");
            ok = false;
        }
    }
    if (!ok) {
        tl_free(pts);
        return;
    }
    m->line = pts;
    m->n_line = n;
}

static void
load_station(struct ctx *c, struct tl_mission *m, json_t *geom, json_t *props)
{
    struct tl_station *st = &m->stations[m->n_stations];
    memset(st, 0, sizeof(*st));
    bool ok = true;
    const char *id = str_prop(props, "id");
    if (!id) {
        problem(c, "properties.id", "a station needs an id (SEED station code)");
        ok = false;
    } else if (!tl_valid_station_id(id)) {
        problem(c, "properties.id", "\"%.20s\" is not a SEED station code (1-5 of A-Z 0-9)", id);
        ok = false;
    } else {
        memcpy(st->id, id, strlen(id) + 1);
    }
    const char *type = json_string_value(json_object_get(geom, "type"));
    if (!type || strcmp(type, "Point") != 0) {
        problem(c, "geometry.type", "a station must be a Point");
        ok = false;
    } else if (!position(c, "geometry.coordinates", json_object_get(geom, "coordinates"), true,
                         &st->lat_deg, &st->lon_deg, &st->elev_m)) {
        ok = false;
    }
    json_t *sensor = json_object_get(props, "sensor");
    if (sensor) {
        const char *s = json_string_value(sensor);
        if (s && strcmp(s, "acoustic") == 0) {
            st->sensor = TL_SENSOR_ACOUSTIC;
        } else if (s && strcmp(s, "infrasound") == 0) {
            st->sensor = TL_SENSOR_INFRASOUND;
        } else if (s && strcmp(s, "seismic") == 0) {
            st->sensor = TL_SENSOR_SEISMIC;
        } else {
            problem(c, "properties.sensor", "unknown sensor (acoustic, infrasound or seismic)");
            ok = false;
        }
    }
    json_t *arr = json_object_get(props, "array");
    if (arr) {
        size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
        if (!json_is_array(arr) || n < 3 || n > TL_MAX_ELEMENTS) {
            problem(c, "properties.array", "an array needs 3 to %d elements [east_m, north_m, up_m]",
                    TL_MAX_ELEMENTS);
            ok = false;
        } else {
            bool valid[TL_MAX_ELEMENTS] = {false};
            for (size_t i = 0; i < n; i++) {
                json_t *e = json_array_get(arr, i);
                char field[40];
                snprintf(field, sizeof(field), "properties.array[%zu]", i);
                bool eok = json_is_array(e) && json_array_size(e) == 3;
                for (size_t k = 0; eok && k < 3; k++) {
                    json_t *v = json_array_get(e, k);
                    eok = json_is_number(v) && fabs(json_number_value(v)) <= 1000.0;
                    if (eok) {
                        st->element_m[i][k] = json_number_value(v);
                    }
                }
                if (!eok) {
                    problem(c, field, "expected [east_m, north_m, up_m], each within 1000 m");
                    ok = false;
                    continue;
                }
                valid[i] = true;
                for (size_t j = 0; j < i; j++) {
                    if (valid[j] && st->element_m[j][0] == st->element_m[i][0] &&
                        st->element_m[j][1] == st->element_m[i][1] &&
                        st->element_m[j][2] == st->element_m[i][2]) {
                        problem(c, field, "same offset as element %zu", j);
                        ok = false;
                    }
                }
            }
            st->n_elements = n;
        }
    }
    json_t *cont = json_object_get(props, "contingent");
    if (cont) {
        const char *s = json_string_value(cont);
        if (!s || strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z') {
            problem(c, "properties.contingent", "expected an ISO 3166-1 alpha-2 code (two capitals)");
            ok = false;
        } else {
            memcpy(st->contingent, s, 3);
        }
    }
    json_t *key = json_object_get(props, "key");
    if (key) {
        const char *s = json_string_value(key);
        size_t bin_len = 0;
        if (!s || sodium_base642bin(st->key, sizeof(st->key), s, strlen(s), NULL, &bin_len, NULL,
                                    sodium_base64_VARIANT_ORIGINAL) != 0 ||
            bin_len != 32) {
            problem(c, "properties.key", "expected base64 of a 32-byte Ed25519 public key");
            ok = false;
        } else {
            st->has_key = true;
        }
    }
    if (ok) {
        m->n_stations++;
    }
}

static bool
load_ring(struct ctx *c, const char *field, json_t *jr, struct tl__ring *r, struct tl__zone_geom *z)
{
    size_t n = json_is_array(jr) ? json_array_size(jr) : 0;
    if (n < 4) {
        problem(c, field, "a ring needs at least 4 positions (closed: first = last)");
        return false;
    }
    r->pt = tl_calloc(n, sizeof(*r->pt));
    if (!r->pt) {
        problem(c, field, "out of memory");
        return false;
    }
    r->n = n;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        char f[64];
        snprintf(f, sizeof(f), "%s[%zu]", field, i);
        double lat, lon;
        if (!position(c, f, json_array_get(jr, i), false, &lat, &lon, NULL)) {
            ok = false;
            continue;
        }
        r->pt[i][0] = lon;
        r->pt[i][1] = lat;
        z->min_lon = fmin(z->min_lon, lon);
        z->max_lon = fmax(z->max_lon, lon);
        z->min_lat = fmin(z->min_lat, lat);
        z->max_lat = fmax(z->max_lat, lat);
    }
    if (ok && (r->pt[0][0] != r->pt[n - 1][0] || r->pt[0][1] != r->pt[n - 1][1])) {
        problem(c, field, "ring is not closed (first and last positions differ)");
        ok = false;
    }
    return ok;
}

static bool
load_polygon(struct ctx *c, const char *field, json_t *jp, struct tl__polygon *p,
             struct tl__zone_geom *z)
{
    size_t n = json_is_array(jp) ? json_array_size(jp) : 0;
    if (n < 1) {
        problem(c, field, "a polygon needs at least its outer ring");
        return false;
    }
    p->rings = tl_calloc(n, sizeof(*p->rings));
    if (!p->rings) {
        problem(c, field, "out of memory");
        return false;
    }
    p->n_rings = n;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        char f[56];
        snprintf(f, sizeof(f), "%s[%zu]", field, i);
        ok = load_ring(c, f, json_array_get(jp, i), &p->rings[i], z) && ok;
    }
    return ok;
}

static void
free_zone_geom(struct tl__zone_geom *z)
{
    for (size_t p = 0; p < z->n_polys; p++) {
        for (size_t r = 0; r < z->polys[p].n_rings; r++) {
            tl_free(z->polys[p].rings[r].pt);
        }
        tl_free(z->polys[p].rings);
    }
    tl_free(z->polys);
    memset(z, 0, sizeof(*z));
}

static void
load_zone(struct ctx *c, struct tl_mission *m, json_t *geom, json_t *props)
{
    struct tl_zone *zn = &m->zones[m->n_zones];
    struct tl__zone_geom *z = &m->zone_geom[m->n_zones];
    memset(zn, 0, sizeof(*zn));
    memset(z, 0, sizeof(*z));
    z->min_lon = z->min_lat = HUGE_VAL;
    z->max_lon = z->max_lat = -HUGE_VAL;
    bool ok = true;
    const char *id = str_prop(props, "id");
    if (!id || !tl_valid_id(id)) {
        problem(c, "properties.id", "a zone needs an id matching [A-Za-z0-9._:-]{1,64}");
        ok = false;
    } else {
        memcpy(zn->id, id, strlen(id) + 1);
        for (size_t i = 0; i < c->n_zone_ids; i++) {
            if (strcmp(c->zone_ids[i], id) == 0) {
                problem(c, "properties.id", "zone id \"%s\" is used twice", id);
                ok = false;
                break;
            }
        }
        memcpy(c->zone_ids[c->n_zone_ids++], id, strlen(id) + 1);
    }
    json_t *name = json_object_get(props, "name");
    if (name && !json_is_string(name)) {
        problem(c, "properties.name", "must be a string");
        ok = false;
    }
    json_t *rule = json_object_get(props, "rule");
    if (rule) {
        json_t *forbid = json_object_get(rule, "forbid");
        if (!json_is_object(rule) || (forbid && !json_is_array(forbid))) {
            problem(c, "properties.rule", "expected {\"forbid\": [\"fire\", \"impact\", ...]}");
            ok = false;
        } else {
            size_t i;
            json_t *w;
            json_array_foreach(forbid, i, w)
            {
                const char *s = json_string_value(w);
                if (s && strcmp(s, "fire") == 0) {
                    zn->forbid |= TL_FORBID_FIRE;
                } else if (s && strcmp(s, "impact") == 0) {
                    zn->forbid |= TL_FORBID_IMPACT;
                } else if (s && strcmp(s, "heavy_weapons") == 0) {
                    zn->forbid |= TL_FORBID_HEAVY_WEAPONS;
                } else {
                    char f[48];
                    snprintf(f, sizeof(f), "properties.rule.forbid[%zu]", i);
                    problem(c, f, "unknown rule (fire, impact or heavy_weapons)");
                    ok = false;
                }
            }
        }
    }
    const char *type = json_string_value(json_object_get(geom, "type"));
    json_t *coords = json_object_get(geom, "coordinates");
    if (type && strcmp(type, "Polygon") == 0) {
        z->polys = tl_calloc(1, sizeof(*z->polys));
        if (z->polys) {
            z->n_polys = 1;
            ok = load_polygon(c, "geometry.coordinates", coords, &z->polys[0], z) && ok;
        }
    } else if (type && strcmp(type, "MultiPolygon") == 0) {
        size_t n = json_is_array(coords) ? json_array_size(coords) : 0;
        if (n < 1) {
            problem(c, "geometry.coordinates", "a MultiPolygon needs at least one polygon");
            ok = false;
        } else if ((z->polys = tl_calloc(n, sizeof(*z->polys))) != NULL) {
            z->n_polys = n;
            for (size_t i = 0; i < n; i++) {
                char f[48];
                snprintf(f, sizeof(f), "geometry.coordinates[%zu]", i);
                ok = load_polygon(c, f, json_array_get(coords, i), &z->polys[i], z) && ok;
            }
        }
    } else {
        problem(c, "geometry.type", "a zone must be a Polygon or MultiPolygon");
        ok = false;
    }
    if (!ok) {
        free_zone_geom(z);
        return;
    }
    zn->name = tl_strdup(name ? json_string_value(name) : zn->id);
    if (!zn->name) {
        problem(c, "properties.name", "out of memory");
        free_zone_geom(z);
        return;
    }
    m->n_zones++;
}

static void
load_place(struct ctx *c, struct tl_mission *m, json_t *geom, json_t *props)
{
    struct tl_place *pl = &m->places[m->n_places];
    const char *name = str_prop(props, "name");
    bool ok = true;
    if (!name || !name[0] || strlen(name) > 100) {
        problem(c, "properties.name", "a place needs a name of 1 to 100 bytes");
        ok = false;
    }
    const char *type = json_string_value(json_object_get(geom, "type"));
    if (!type || strcmp(type, "Point") != 0) {
        problem(c, "geometry.type", "a place must be a Point");
        ok = false;
    } else if (!position(c, "geometry.coordinates", json_object_get(geom, "coordinates"), false,
                         &pl->lat_deg, &pl->lon_deg, NULL)) {
        ok = false;
    }
    if (ok) {
        pl->name = tl_strdup(name);
        if (pl->name) {
            m->n_places++;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* The whole file                                                            */
/* ------------------------------------------------------------------------ */

/* Sort key for the station index: a copy of the id next to the index (no globals). */
struct id_idx {
    char id[TL_STATION_ID_MAX];
    size_t idx;
};

static int
cmp_id_idx(const void *a, const void *b)
{
    return strcmp(((const struct id_idx *)a)->id, ((const struct id_idx *)b)->id);
}

static void
load_header(struct ctx *c, struct tl_mission *m, json_t *root)
{
    json_t *mi = json_object_get(root, "mission");
    if (!json_is_object(mi)) {
        problem(c, "mission", "missing: {\"name\": ..., \"parties\": {\"left\": ..., \"right\": ...}}");
        return;
    }
    const char *name = str_prop(mi, "name");
    if (!name || !name[0]) {
        problem(c, "mission.name", "missing or empty");
    } else {
        m->name = tl_strdup(name);
    }
    json_t *parties = json_object_get(mi, "parties");
    const char *keys[2] = {"left", "right"};
    for (int i = 0; i < 2; i++) {
        const char *p = json_is_object(parties) ? str_prop(parties, keys[i]) : NULL;
        if (!p || !p[0]) {
            char f[32];
            snprintf(f, sizeof(f), "mission.parties.%s", keys[i]);
            problem(c, f, "missing or empty: the party on the %s of the line", keys[i]);
        } else {
            m->party[i] = tl_strdup(p);
        }
    }
    json_t *ill = json_object_get(mi, "illustrative");
    if (ill && !json_is_boolean(ill)) {
        problem(c, "mission.illustrative", "must be true or false");
    }
    m->illustrative = json_is_true(ill);
}

static int
load_root(struct ctx *c, struct tl_mission *m, json_t *root)
{
    c->feature = -1;
    c->what[0] = '\0';
    const char *type = json_string_value(json_object_get(root, "type"));
    if (!json_is_object(root) || !type || strcmp(type, "FeatureCollection") != 0) {
        problem(c, "type", "a mission file is a GeoJSON FeatureCollection");
        return TL_EINVAL;
    }
    load_header(c, m, root);
    json_t *features = json_object_get(root, "features");
    if (!json_is_array(features)) {
        problem(c, "features", "missing array of features");
        return TL_EINVAL;
    }
    size_t n = json_array_size(features);
    m->stations = tl_calloc(n ? n : 1, sizeof(*m->stations));
    m->zones = tl_calloc(n ? n : 1, sizeof(*m->zones));
    m->zone_geom = tl_calloc(n ? n : 1, sizeof(*m->zone_geom));
    m->places = tl_calloc(n ? n : 1, sizeof(*m->places));
    c->zone_ids = tl_calloc(n ? n : 1, sizeof(*c->zone_ids));
    if (!m->stations || !m->zones || !m->zone_geom || !m->places || !c->zone_ids) {
        return TL_ENOMEM;
    }
    size_t n_lines = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_array_get(features, i);
        c->feature = (long)i;
        c->what[0] = '\0';
        json_t *props = json_object_get(f, "properties");
        json_t *geom = json_object_get(f, "geometry");
        const char *ftype = json_string_value(json_object_get(f, "type"));
        if (!json_is_object(f) || !ftype || strcmp(ftype, "Feature") != 0) {
            problem(c, "type", "expected a GeoJSON Feature");
            continue;
        }
        if (!json_is_object(props)) {
            problem(c, "properties", "missing properties object");
            continue;
        }
        if (!json_is_object(geom)) {
            problem(c, "geometry", "missing geometry object");
            continue;
        }
        const char *kind = str_prop(props, "kind");
        if (!kind) {
            problem(c, "properties.kind", "missing (contact_line, station, zone or place)");
        } else if (strcmp(kind, "contact_line") == 0) {
            snprintf(c->what, sizeof(c->what), "contact_line");
            if (++n_lines > 1) {
                problem(c, "properties.kind", "a second contact line (exactly one is allowed)");
            } else {
                load_line(c, m, geom);
            }
        } else if (strcmp(kind, "station") == 0) {
            const char *id = str_prop(props, "id");
            snprintf(c->what, sizeof(c->what), "station %.20s", id ? id : "?");
            load_station(c, m, geom, props);
        } else if (strcmp(kind, "zone") == 0) {
            const char *id = str_prop(props, "id");
            snprintf(c->what, sizeof(c->what), "zone %.24s", id ? id : "?");
            load_zone(c, m, geom, props);
        } else if (strcmp(kind, "place") == 0) {
            const char *name = str_prop(props, "name");
            snprintf(c->what, sizeof(c->what), "place %.24s", name && name[0] ? name : "?");
            load_place(c, m, geom, props);
        } else {
            problem(c, "properties.kind", "unknown kind \"%.20s\" (contact_line, station, zone or place)",
                    kind);
        }
    }
    c->feature = -1;
    if (n_lines == 0) {
        problem(c, "features", "no contact line (exactly one LineString with kind contact_line)");
    }
    if (m->n_stations == 0 && c->n_problems == 0) {
        problem(c, "features", "no station");
    }
    /* Unique station ids: sort an index, then look at neighbours. */
    m->by_id = tl_calloc(m->n_stations ? m->n_stations : 1, sizeof(size_t));
    if (!m->by_id) {
        return TL_ENOMEM;
    }
    struct id_idx *keys = tl_calloc(m->n_stations ? m->n_stations : 1, sizeof(*keys));
    if (!keys) {
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < m->n_stations; i++) {
        memcpy(keys[i].id, m->stations[i].id, sizeof(keys[i].id));
        keys[i].idx = i;
    }
    qsort(keys, m->n_stations, sizeof(*keys), cmp_id_idx);
    for (size_t i = 0; i < m->n_stations; i++) {
        m->by_id[i] = keys[i].idx;
    }
    tl_free(keys);
    for (size_t i = 1; i < m->n_stations; i++) {
        const char *a = m->stations[m->by_id[i - 1]].id, *b = m->stations[m->by_id[i]].id;
        if (strcmp(a, b) == 0) {
            problem(c, "properties.id", "station id %s is used more than once", b);
        }
    }
    return c->n_problems ? TL_EINVAL : TL_OK;
}

int
tl_mission_load_buffer(const char *buf, size_t len, const char *name, struct tl_mission **out,
                       struct tl_mission_problems *problems)
{
    struct ctx c = {.pr = problems, .feature = -1};
    if (problems) {
        problems->n = problems->n_total = 0;
    }
    json_error_t jerr;
    bool oom;
    json_t *root = tl__json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr, &oom);
    if (oom) {
        return TL_ENOMEM;
    }
    if (!root) {
        char f[64];
        snprintf(f, sizeof(f), "line %d", jerr.line);
        problem(&c, f, "not valid JSON: %s", jerr.text);
        return TL_EPARSE;
    }
    (void)name;
    struct tl_mission *m = tl_calloc(1, sizeof(*m));
    if (!m) {
        json_decref(root);
        return TL_ENOMEM;
    }
    int rc = load_root(&c, m, root);
    tl_free(c.zone_ids);
    json_decref(root);
    if (rc == TL_OK) {
        m->source = tl_malloc(len + 1);
        if (!m->source) {
            rc = TL_ENOMEM;
        } else {
            memcpy(m->source, buf, len);
            m->source[len] = '\0';
            m->source_len = len;
            rc = tl__mission_prepare_line(m);
        }
    }
    if (rc != TL_OK) {
        tl_mission_free(m);
        return rc;
    }
    *out = m;
    return TL_OK;
}

int
tl_mission_load(const char *path, struct tl_mission **out, struct tl_mission_problems *problems)
{
    struct ctx c = {.pr = problems, .feature = -1};
    if (problems) {
        problems->n = problems->n_total = 0;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        problem(&c, path, "cannot open: %s", strerror(errno));
        return TL_EIO;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = TL_OK;
    for (;;) {
        if ((rc = tl__grow((void **)&buf, &cap, len + 65536, 1, MAX_FILE_BYTES + 65536)) != TL_OK) {
            if (rc == TL_ETOOBIG) {
                problem(&c, path, "larger than %u MiB", MAX_FILE_BYTES >> 20);
            }
            break;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                problem(&c, path, "read error");
                rc = TL_EIO;
            }
            break;
        }
    }
    fclose(f);
    if (rc == TL_OK) {
        rc = tl_mission_load_buffer(buf, len, path, out, problems);
    }
    tl_free(buf);
    return rc;
}

void
tl_mission_free(struct tl_mission *m)
{
    if (!m) {
        return;
    }
    tl_free(m->name);
    tl_free(m->party[0]);
    tl_free(m->party[1]);
    tl_free(m->line);
    tl_free(m->seg);
    tl_free(m->stations);
    tl_free(m->by_id);
    for (size_t i = 0; i < m->n_zones; i++) {
        tl_free((void *)(uintptr_t)m->zones[i].name);
        free_zone_geom(&m->zone_geom[i]);
    }
    tl_free(m->zones);
    tl_free(m->zone_geom);
    for (size_t i = 0; i < m->n_places; i++) {
        tl_free((void *)(uintptr_t)m->places[i].name);
    }
    tl_free(m->places);
    tl_free(m->source);
    tl_free(m);
}

const char *
tl_mission_name(const struct tl_mission *m)
{
    return m->name;
}

const char *
tl_mission_party(const struct tl_mission *m, enum tl_side side)
{
    if (side == TL_SIDE_LEFT) {
        return m->party[0];
    }
    if (side == TL_SIDE_RIGHT) {
        return m->party[1];
    }
    return NULL;
}

bool
tl_mission_illustrative(const struct tl_mission *m)
{
    return m->illustrative;
}

size_t
tl_mission_station_count(const struct tl_mission *m)
{
    return m->n_stations;
}

const struct tl_station *
tl_mission_station(const struct tl_mission *m, size_t i)
{
    return i < m->n_stations ? &m->stations[i] : NULL;
}

long
tl_mission_find_station(const struct tl_mission *m, const char *id)
{
    size_t lo = 0, hi = m->n_stations;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->stations[m->by_id[mid]].id, id);
        if (c == 0) {
            return (long)m->by_id[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return -1;
}

size_t
tl_mission_zone_count(const struct tl_mission *m)
{
    return m->n_zones;
}

const struct tl_zone *
tl_mission_zone(const struct tl_mission *m, size_t i)
{
    return i < m->n_zones ? &m->zones[i] : NULL;
}

size_t
tl_mission_place_count(const struct tl_mission *m)
{
    return m->n_places;
}

const struct tl_place *
tl_mission_place(const struct tl_mission *m, size_t i)
{
    return i < m->n_places ? &m->places[i] : NULL;
}

const double (*tl_mission_line(const struct tl_mission *m, size_t *n))[2]
{
    *n = m->n_line;
    return (const double(*)[2])m->line;
}

const char *
tl_mission_source(const struct tl_mission *m, size_t *len)
{
    if (len) {
        *len = m->source_len;
    }
    return m->source;
}
