/*
 * record.c - parse and validate station records (pick, met, status).
 *
 * Every field is checked for its JSON type and its physical range before the
 * record is accepted, and the first problem is reported with the field's name,
 * e.g. "snr_db: 412 outside [-50, 200]".  Ranges are wide enough for any real
 * sensor and narrow enough to catch unit mistakes (a pick sigma in ms, a
 * temperature in kelvin).
 */
#include <truceline/record.h>
#include <truceline/time.h>

#include "../util/util.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

struct range {
    const char *name;
    double lo, hi;
    bool lo_open; /* (lo, hi] instead of [lo, hi] */
    bool hi_open; /* [lo, hi) */
};

/* Read an optional number field into *out (NAN when absent). */
static int
num_field(json_t *obj, const struct range *r, double *out, struct tl_diag *d)
{
    json_t *v = json_object_get(obj, r->name);
    if (!v || json_is_null(v)) {
        *out = NAN;
        return TL_OK;
    }
    if (!json_is_number(v)) {
        return tl__diag(d, TL_EPARSE, r->name, "expected a number");
    }
    double x = json_number_value(v);
    bool below = r->lo_open ? !(x > r->lo) : !(x >= r->lo);
    bool above = r->hi_open ? !(x < r->hi) : !(x <= r->hi);
    if (below || above) {
        return tl__diag(d, TL_ERANGE, r->name, "%g outside %c%g, %g%c", x, r->lo_open ? '(' : '[',
                        r->lo, r->hi, r->hi_open ? ')' : ']');
    }
    *out = x;
    return TL_OK;
}

static int
station_field(json_t *obj, const struct tl_mission *m, char out[TL_STATION_ID_MAX],
              struct tl_diag *d)
{
    json_t *v = json_object_get(obj, "station");
    if (!v) {
        return tl__diag(d, TL_EPARSE, "station", "missing");
    }
    if (!json_is_string(v)) {
        return tl__diag(d, TL_EPARSE, "station", "expected a string");
    }
    const char *s = json_string_value(v);
    if (!tl_valid_station_id(s)) {
        return tl__diag(d, TL_EPARSE, "station", "\"%.16s\" is not a SEED station code", s);
    }
    if (m && tl_mission_find_station(m, s) < 0) {
        return tl__diag(d, TL_ENOTFOUND, "station", "unknown station %s (not in the mission)", s);
    }
    memcpy(out, s, strlen(s) + 1);
    return TL_OK;
}

static int
time_field(json_t *obj, tl_time_ns *out, struct tl_diag *d)
{
    json_t *v = json_object_get(obj, "time");
    if (!v) {
        return tl__diag(d, TL_EPARSE, "time", "missing");
    }
    if (!json_is_string(v)) {
        return tl__diag(d, TL_EPARSE, "time", "expected an RFC 3339 string");
    }
    struct tl_diag td = {0};
    int rc = tl_time_parse(json_string_value(v), json_string_length(v), out, &td);
    if (rc != TL_OK) {
        return tl__diag(d, rc, "time", "%s", td.text);
    }
    return TL_OK;
}

static int
parse_pick(json_t *o, const struct tl_mission *m, struct tl_pick *p, struct tl_diag *d)
{
    static const struct range r_sigma = {"sigma_s", 0.0, 60.0, true, false};
    static const struct range r_snr = {"snr_db", -50.0, 200.0, false, false};
    static const struct range r_amp = {"amp_pa", 0.0, 1e6, false, false};
    static const struct range r_freq = {"freq_hz", 0.0, 1e5, true, false};
    static const struct range r_dur = {"dur_s", 0.0, 3600.0, false, false};
    static const struct range r_baz = {"baz_deg", 0.0, 360.0, false, true};
    static const struct range r_bazs = {"baz_sigma_deg", 0.0, 180.0, true, false};
    int rc;
    memset(p, 0, sizeof(*p));
    if ((rc = station_field(o, m, p->station, d)) != TL_OK ||
        (rc = time_field(o, &p->t_ns, d)) != TL_OK) {
        return rc;
    }
    json_t *id = json_object_get(o, "id");
    if (id) {
        if (!json_is_string(id) || !tl_valid_id(json_string_value(id))) {
            return tl__diag(d, TL_EPARSE, "id", "expected a string matching [A-Za-z0-9._:-]{1,64}");
        }
        memcpy(p->id, json_string_value(id), json_string_length(id) + 1);
    }
    if ((rc = num_field(o, &r_sigma, &p->sigma_s, d)) != TL_OK ||
        (rc = num_field(o, &r_snr, &p->snr_db, d)) != TL_OK ||
        (rc = num_field(o, &r_amp, &p->amp_pa, d)) != TL_OK ||
        (rc = num_field(o, &r_freq, &p->freq_hz, d)) != TL_OK ||
        (rc = num_field(o, &r_dur, &p->dur_s, d)) != TL_OK ||
        (rc = num_field(o, &r_baz, &p->baz_deg, d)) != TL_OK ||
        (rc = num_field(o, &r_bazs, &p->baz_sigma_deg, d)) != TL_OK) {
        return rc;
    }
    if (isnan(p->sigma_s)) {
        p->sigma_s = TL_PICK_DEFAULT_SIGMA_S;
    }
    if (!isnan(p->baz_sigma_deg) && isnan(p->baz_deg)) {
        return tl__diag(d, TL_EPARSE, "baz_sigma_deg", "given without baz_deg");
    }
    if (!isnan(p->baz_deg) && isnan(p->baz_sigma_deg)) {
        p->baz_sigma_deg = TL_PICK_DEFAULT_BAZ_SIGMA_DEG;
    }
    json_t *shock = json_object_get(o, "shock");
    if (shock && !json_is_null(shock)) {
        if (!json_is_boolean(shock)) {
            return tl__diag(d, TL_EPARSE, "shock", "expected true or false");
        }
        p->shock = json_is_true(shock);
    }
    return TL_OK;
}

static int
parse_met(json_t *o, const struct tl_mission *m, struct tl_met *p, struct tl_diag *d)
{
    static const struct range r_temp = {"temp_c", -90.0, 60.0, false, false};
    static const struct range r_wind = {"wind_mps", 0.0, 100.0, false, false};
    static const struct range r_dir = {"wind_from_deg", 0.0, 360.0, false, true};
    static const struct range r_rh = {"rh_pct", 0.0, 100.0, false, false};
    static const struct range r_p = {"pressure_hpa", 300.0, 1100.0, false, false};
    int rc;
    memset(p, 0, sizeof(*p));
    if ((rc = station_field(o, m, p->station, d)) != TL_OK ||
        (rc = time_field(o, &p->t_ns, d)) != TL_OK ||
        (rc = num_field(o, &r_temp, &p->temp_c, d)) != TL_OK ||
        (rc = num_field(o, &r_wind, &p->wind_mps, d)) != TL_OK ||
        (rc = num_field(o, &r_dir, &p->wind_from_deg, d)) != TL_OK ||
        (rc = num_field(o, &r_rh, &p->rh_pct, d)) != TL_OK ||
        (rc = num_field(o, &r_p, &p->pressure_hpa, d)) != TL_OK) {
        return rc;
    }
    if (isnan(p->temp_c) && isnan(p->wind_mps)) {
        return tl__diag(d, TL_EPARSE, "temp_c", "a met record needs temp_c or wind_mps");
    }
    if (!isnan(p->wind_mps) && p->wind_mps > 0.0 && isnan(p->wind_from_deg)) {
        return tl__diag(d, TL_EPARSE, "wind_from_deg", "missing: wind_mps needs a direction");
    }
    return TL_OK;
}

static const char *const state_names[] = {"up", "down", "tamper", "clock_unsync", "low_power"};

const char *
tl_state_name(enum tl_station_state s)
{
    return (unsigned)s < TL_ARRAY_LEN(state_names) ? state_names[s] : "unknown";
}

static int
parse_status(json_t *o, const struct tl_mission *m, struct tl_status *p, struct tl_diag *d)
{
    int rc;
    memset(p, 0, sizeof(*p));
    if ((rc = station_field(o, m, p->station, d)) != TL_OK ||
        (rc = time_field(o, &p->t_ns, d)) != TL_OK) {
        return rc;
    }
    json_t *st = json_object_get(o, "state");
    if (!st) {
        return tl__diag(d, TL_EPARSE, "state", "missing");
    }
    const char *s = json_string_value(st);
    size_t i = 0;
    while (s && i < TL_ARRAY_LEN(state_names) && strcmp(s, state_names[i]) != 0) {
        i++;
    }
    if (!s || i == TL_ARRAY_LEN(state_names)) {
        return tl__diag(d, TL_EPARSE, "state",
                        "expected up, down, tamper, clock_unsync or low_power");
    }
    p->state = (enum tl_station_state)i;
    json_t *note = json_object_get(o, "note");
    if (note && !json_is_null(note)) {
        if (!json_is_string(note) || json_string_length(note) >= sizeof(p->note)) {
            return tl__diag(d, TL_EPARSE, "note", "expected a string of at most 255 bytes");
        }
        memcpy(p->note, json_string_value(note), json_string_length(note) + 1);
    }
    return TL_OK;
}

int
tl_record_parse(const char *line, size_t len, const struct tl_mission *mission,
                struct tl_record *out, struct tl_diag *diag)
{
    json_error_t jerr;
    bool oom;
    json_t *o = tl__json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr, &oom);
    if (oom) {
        return tl__diag(diag, TL_ENOMEM, NULL, "out of memory");
    }
    if (!o) {
        return tl__diag(diag, TL_EPARSE, NULL, "not valid JSON: %s (column %d)", jerr.text,
                        jerr.column);
    }
    int rc;
    struct tl_record r;
    if (!json_is_object(o)) {
        rc = tl__diag(diag, TL_EPARSE, NULL, "a record must be a JSON object");
        goto done;
    }
    json_t *type = json_object_get(o, "type");
    const char *t = type ? json_string_value(type) : "pick";
    if (!t) {
        rc = tl__diag(diag, TL_EPARSE, "type", "expected a string");
    } else if (strcmp(t, "pick") == 0) {
        r.type = TL_REC_PICK;
        rc = parse_pick(o, mission, &r.u.pick, diag);
    } else if (strcmp(t, "met") == 0) {
        r.type = TL_REC_MET;
        rc = parse_met(o, mission, &r.u.met, diag);
    } else if (strcmp(t, "status") == 0) {
        r.type = TL_REC_STATUS;
        rc = parse_status(o, mission, &r.u.status, diag);
    } else {
        rc = tl__diag(diag, TL_EPARSE, "type", "unknown record type \"%.20s\" (pick, met, status)",
                      t);
    }
    if (rc == TL_OK) {
        *out = r;
    }
done:
    json_decref(o);
    return rc;
}

const char *
tl_record_station(const struct tl_record *r)
{
    switch (r->type) {
    case TL_REC_MET:
        return r->u.met.station;
    case TL_REC_STATUS:
        return r->u.status.station;
    default:
        return r->u.pick.station;
    }
}

tl_time_ns
tl_record_time(const struct tl_record *r)
{
    switch (r->type) {
    case TL_REC_MET:
        return r->u.met.t_ns;
    case TL_REC_STATUS:
        return r->u.status.t_ns;
    default:
        return r->u.pick.t_ns;
    }
}
