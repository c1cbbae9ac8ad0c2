/*
 * feature.c - a stored GeoJSON event or finding back into its struct.
 *
 * The store keeps every published version as the exact GeoJSON bytes that
 * tl_event_geojson / tl_finding_geojson wrote (those bytes are what the log
 * commits to and what the API serves).  The daily bulletin and the review
 * path need the structs again, to hand them to tl_bulletin_dump and to the
 * writers: this file reads a feature back.  Every field the writer emits is
 * read, and numbers already rounded by the writer round to themselves, so
 * writing the struct read from a feature gives that feature's bytes again
 * (tests/unit/test_server.c checks the round trip on real pipeline output).
 */
#include <math.h>
#include <string.h>

#include <truceline/physics.h>
#include <truceline/time.h>

#include "server_priv.h"

static double
num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : (double)NAN;
}

static const char *
str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int
time_of(json_t *o, const char *key, tl_time_ns *t)
{
    const char *s = str(o, key);
    return s ? tl_time_parse(s, strlen(s), t, NULL) : TL_EPARSE;
}

static enum tl_side
side_of(const char *s)
{
    if (s && strcmp(s, "left") == 0) {
        return TL_SIDE_LEFT;
    }
    if (s && strcmp(s, "right") == 0) {
        return TL_SIDE_RIGHT;
    }
    return TL_SIDE_AMBIGUOUS;
}

static int
weapon_of(const char *s)
{
    return s ? (int)tl_weapon_from_name(s) : (int)TL_WEAPON_UNKNOWN;
}

static size_t
zones_of(const struct tl_mission *m, json_t *arr, size_t *out)
{
    size_t n = 0, i;
    json_t *z;
    json_array_foreach(arr, i, z)
    {
        const char *id = json_string_value(z);
        for (size_t k = 0; id && k < tl_mission_zone_count(m) && n < TL_MAX_EVENT_ZONES; k++) {
            if (strcmp(tl_mission_zone(m, k)->id, id) == 0) {
                out[n++] = k;
                break;
            }
        }
    }
    return n;
}

int
tl__event_from_feature(const struct tl_mission *m,
                       json_t *f,
                       struct tl_event *e,
                       struct tl_arrival **arrivals)
{
    json_t *pr = json_object_get(f, "properties");
    json_t *co = json_object_get(json_object_get(f, "geometry"), "coordinates");
    if (!json_is_object(pr) || json_array_size(co) < 2) {
        return TL_EPARSE;
    }
    struct tl_event ev;
    memset(&ev, 0, sizeof(ev));
    tl__strlcpy(ev.id, str(pr, "id") ? str(pr, "id") : "", sizeof(ev.id));
    if (time_of(pr, "time", &ev.t_ns) != TL_OK) {
        return TL_EPARSE;
    }
    ev.lon_deg = json_number_value(json_array_get(co, 0));
    ev.lat_deg = json_number_value(json_array_get(co, 1));
    ev.time_sigma_s = num(pr, "time_sigma_s");
    const char *cls = str(pr, "class");
    ev.cls = cls && strcmp(cls, "launch") == 0   ? TL_CLASS_LAUNCH
             : cls && strcmp(cls, "impact") == 0 ? TL_CLASS_IMPACT
                                                 : TL_CLASS_UNKNOWN;
    ev.class_p = num(pr, "class_p");
    json_t *el = json_object_get(pr, "ellipse");
    ev.ell_major_m = num(el, "major_m");
    ev.ell_minor_m = num(el, "minor_m");
    ev.ell_azimuth_deg = num(el, "azimuth_deg");
    ev.side = side_of(str(pr, "side"));
    ev.side_p = num(pr, "side_p");
    ev.likely_side = side_of(str(pr, "likely_side"));
    ev.dist_to_line_m = num(pr, "dist_to_line_m");
    ev.n_zones = zones_of(m, json_object_get(pr, "zones"), ev.zones);
    tl__strlcpy(ev.place, str(pr, "place") ? str(pr, "place") : "", sizeof(ev.place));
    ev.n_stations = (int)json_integer_value(json_object_get(pr, "n_stations"));
    ev.rms_s = num(pr, "rms_s");
    tl__strlcpy(ev.pair, str(pr, "pair") ? str(pr, "pair") : "", sizeof(ev.pair));
    json_t *pc = json_object_get(pr, "pair_candidate");
    tl__strlcpy(ev.pair_candidate, str(pc, "id") ? str(pc, "id") : "", sizeof(ev.pair_candidate));
    ev.pair_candidate_p = num(pc, "p");
    const char *status = str(pr, "status");
    ev.status = status && strcmp(status, "reviewed") == 0   ? TL_STATUS_REVIEWED
                : status && strcmp(status, "rejected") == 0 ? TL_STATUS_REJECTED
                                                            : TL_STATUS_AUTOMATIC;
    ev.weapon = weapon_of(str(pr, "weapon"));
    ev.n_bearings = (int)json_integer_value(json_object_get(pr, "n_bearings"));
    ev.shock_cue = json_is_true(json_object_get(pr, "shock_cue"));
    ev.revision = (int)json_integer_value(json_object_get(pr, "revision"));
    json_t *arr = json_object_get(pr, "arrivals");
    size_t n = json_array_size(arr);
    struct tl_arrival *a = n ? tl_calloc(n, sizeof(*a)) : NULL;
    if (n && !a) {
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *ao = json_array_get(arr, i);
        tl__strlcpy(a[i].station, str(ao, "station") ? str(ao, "station") : "",
                    sizeof(a[i].station));
        json_t *pk = json_object_get(ao, "pick");
        if (json_is_string(pk)) {
            tl__strlcpy(a[i].pick_id, json_string_value(pk), sizeof(a[i].pick_id));
        } else if (json_is_array(pk) && json_is_string(json_array_get(pk, 1))) {
            const char *ts = json_string_value(json_array_get(pk, 1));
            tl_time_parse(ts, strlen(ts), &a[i].t_ns, NULL);
        }
        a[i].residual_s = num(ao, "residual_s");
        a[i].weight = num(ao, "weight");
        a[i].dist_m = num(ao, "dist_m");
        a[i].baz_residual_deg = num(ao, "baz_residual_deg");
    }
    ev.n_arrivals = n;
    ev.arrivals = a;
    *e = ev;
    *arrivals = a;
    return TL_OK;
}

int
tl__finding_from_feature(const struct tl_mission *m, json_t *f, struct tl_finding *fd)
{
    json_t *pr = json_object_get(f, "properties");
    json_t *co = json_object_get(json_object_get(f, "geometry"), "coordinates");
    if (!json_is_object(pr) || json_array_size(co) < 2) {
        return TL_EPARSE;
    }
    struct tl_finding x;
    memset(&x, 0, sizeof(x));
    tl__strlcpy(x.id, str(pr, "id") ? str(pr, "id") : "", sizeof(x.id));
    tl__strlcpy(x.launch, str(pr, "launch") ? str(pr, "launch") : "", sizeof(x.launch));
    tl__strlcpy(x.impact, str(pr, "impact") ? str(pr, "impact") : "", sizeof(x.impact));
    if (time_of(pr, "time", &x.launch_t_ns) != TL_OK) {
        return TL_EPARSE;
    }
    x.launch_lon_deg = json_number_value(json_array_get(json_array_get(co, 0), 0));
    x.launch_lat_deg = json_number_value(json_array_get(json_array_get(co, 0), 1));
    x.impact_lon_deg = json_number_value(json_array_get(json_array_get(co, 1), 0));
    x.impact_lat_deg = json_number_value(json_array_get(json_array_get(co, 1), 1));
    x.fired_from = side_of(str(pr, "fired_from"));
    x.likely_side = side_of(str(pr, "likely_side"));
    x.confidence = num(pr, "confidence");
    x.crosses_line = json_is_true(json_object_get(pr, "crosses_line"));
    x.weapon = weapon_of(str(pr, "weapon"));
    x.tof_s = num(pr, "tof_s");
    x.range_m = num(pr, "range_m");

    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{TL_BASIS_MULTI_STATION_ORIGIN, "multi_station_origin"},
                 {TL_BASIS_SHOCK_CUE, "shock_cue"},
                 {TL_BASIS_TOF_CONSISTENT, "tof_consistent"},
                 {TL_BASIS_ARRAY_BEARING, "array_bearing"},
                 {TL_BASIS_SALVO, "salvo"}};

    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(pr, "basis"), i, b)
    {
        for (size_t k = 0; json_is_string(b) && k < TL_ARRAY_LEN(names); k++) {
            if (strcmp(json_string_value(b), names[k].name) == 0) {
                x.basis |= names[k].bit;
            }
        }
    }
    x.n_zones = zones_of(m, json_object_get(pr, "zones"), x.zones);
    x.side_p = num(pr, "side_p");
    x.pair_p = num(pr, "pair_p");
    tl__strlcpy(x.salvo, str(pr, "salvo") ? str(pr, "salvo") : "", sizeof(x.salvo));
    *fd = x;
    return TL_OK;
}

bool
tl__feature_provisional(json_t *f)
{
    return json_is_true(json_object_get(json_object_get(f, "properties"), "provisional"));
}
