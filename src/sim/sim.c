/*
 * sim.c - the simulator's entry points and presets.
 *
 * tl_sim_generate runs the stages of sim_priv.h in order: the mission (a
 * private copy, or the mirror variant), the stations' fixed traits (site
 * gain and terrain screening by azimuth, noise factor, array orientation
 * error, weather-sensor biases), the weather field, the faults, the
 * scenario, then (unless only the events are asked for) propagation and
 * shock cues, false picks, weather reports, pick ids and delivery.
 *
 * Presets (issue 3):
 *   calm    a quiet ceasefire day: about 50 events, light wind, clear sky;
 *   busy    heavy violations: >= 10,000 events (launches and impacts) in a
 *           day, salvos, both sides, counter-battery fire;
 *   windy   10-15 m/s winds (gusty, overcast), moderate fire;
 *   faulty  moderate fire with 6 outages, 2 clock faults, 5x the false-pick
 *           rate, 3% duplicates, 12 link failures;
 *   mirror  moderate fire on the mirror variant of the mission (output.c).
 * "Moderate" is about a thousand events a day.
 */
#include "sim_priv.h"

#include <string.h>

static const struct tl__preset PRESETS[] = {
    /* name    wind       cloud front amb  mortar how  mlrs other rounds retal A    min
       false fshock out clk back dup    late   mirror */
    {"calm", 1.0, 3.0, 0.25, 0.3, 1.0, 5.0, 0.8, 0.0, 6.0, 0.35, 0.05, 0.5, 0.0,
     1.5, 0.5, 1, 0, 2, 0.002, 0.002, false},
    {"busy", 2.0, 6.0, 0.4, 0.6, 1.5, 85.0, 100.0, 11.0, 40.0, 1.0, 0.25, 0.55, 10000.0,
     3.0, 6.0, 2, 0, 4, 0.002, 0.002, false},
    {"windy", 10.0, 13.0, 0.8, 1.0, 1.0, 14.0, 10.0, 1.0, 6.0, 1.0, 0.2, 0.5, 0.0,
     3.0, 1.0, 1, 0, 3, 0.002, 0.002, false},
    {"faulty", 2.0, 6.0, 0.4, 0.6, 1.0, 14.0, 10.0, 1.0, 6.0, 1.0, 0.2, 0.5, 0.0,
     15.0, 5.0, 6, 2, 12, 0.03, 0.01, false},
    {"mirror", 2.0, 6.0, 0.4, 0.5, 1.0, 14.0, 10.0, 1.0, 6.0, 1.0, 0.2, 0.5, 0.0,
     3.0, 1.0, 1, 0, 2, 0.002, 0.002, true},
};

static const char *const PRESET_NAMES[] = {"calm", "busy", "windy", "faulty", "mirror", NULL};

const char *const *
tl_sim_presets(void)
{
    return PRESET_NAMES;
}

const struct tl__preset *
tl__preset_find(const char *name)
{
    if (!name) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof(PRESETS) / sizeof(PRESETS[0]); i++) {
        if (strcmp(name, PRESETS[i].name) == 0) {
            return &PRESETS[i];
        }
    }
    return NULL;
}

/* ------------------------------------------------------------ helpers -- */

tl_time_ns
tl__sim_ns(const struct tl_sim *s, double t_s)
{
    return s->cfg.start_ns + (tl_time_ns)llround(t_s * 1e9);
}

void
tl__sim_geo(const struct tl_sim *s, const double p[3], double *lat, double *lon)
{
    double h;
    tl_enu_to_geo(&s->enu, p, lat, lon, &h);
}

int
tl__sim_add_pick(struct tl_sim *s, size_t station, const struct tl_sim_pick *p)
{
    int rc = tl__grow((void **)&s->pk, &s->cap_pk, s->npk + 1, sizeof(*s->pk), 40000000u);
    if (rc == TL_OK) {
        rc = tl__grow((void **)&s->pk_station, &s->cap_pks, s->npk + 1, sizeof(size_t),
                      40000000u);
    }
    if (rc != TL_OK) {
        return rc;
    }
    s->pk[s->npk] = *p;
    memcpy(s->pk[s->npk].pick.station, s->st[station].st->id, TL_STATION_ID_MAX);
    s->pk_station[s->npk] = station;
    s->npk++;
    return TL_OK;
}

int
tl__sim_add_status(struct tl_sim *s, size_t station, double t_s, enum tl_station_state state,
                   const char *note, double deliver_s)
{
    int rc = tl__grow((void **)&s->stat, &s->cap_stat, s->nstat + 1, sizeof(*s->stat), 1000000u);
    if (rc != TL_OK) {
        return rc;
    }
    struct status_rec *r = &s->stat[s->nstat++];
    memset(r, 0, sizeof(*r));
    r->t_s = t_s;
    r->station = station;
    r->deliver_s = deliver_s;
    memcpy(r->status.station, s->st[station].st->id, TL_STATION_ID_MAX);
    r->status.t_ns = tl__sim_ns(s, t_s + tl__sim_clock(s, station, t_s));
    r->status.t_ns = (r->status.t_ns / TL_NS_PER_MS) * TL_NS_PER_MS;
    r->status.state = state;
    tl__strlcpy(r->status.note, note ? note : "", sizeof(r->status.note));
    return TL_OK;
}

/* ----------------------------------------------------------- stations -- */

static int
setup_stations(struct tl_sim *s)
{
    s->ns = tl_mission_station_count(s->m);
    if (s->ns == 0) {
        return TL_EINVAL;
    }
    s->st = tl_calloc(s->ns, sizeof(*s->st));
    if (!s->st) {
        return TL_ENOMEM;
    }
    double lat = 0.0, lon = 0.0;
    for (size_t i = 0; i < s->ns; i++) {
        lat += tl_mission_station(s->m, i)->lat_deg;
        lon += tl_mission_station(s->m, i)->lon_deg;
    }
    tl_enu_init(&s->enu, lat / (double)s->ns, lon / (double)s->ns, 0.0);
    struct rng r;
    rng_seed(&r, s->cfg.seed, STREAM_STATIONS);
    for (size_t i = 0; i < s->ns; i++) {
        struct station *st = &s->st[i];
        st->st = tl_mission_station(s->m, i);
        tl_enu_from_geo(&s->enu, st->st->lat_deg, st->st->lon_deg, st->st->elev_m, st->p);
        st->site_gain_db = fmin(5.0, fmax(-5.0, 2.0 * rng_normal(&r)));
        for (int k = 0; k < 3; k++) {
            st->az_a[k] = rng_range(&r, 0.0, k == 0 ? 3.0 : 1.5);
            st->az_ph[k] = rng_range(&r, 0.0, 2.0 * M_PI);
        }
        st->noise_factor = exp(0.3 * rng_normal(&r)) * (rng_bern(&r, 0.1) ? 2.0 : 1.0);
        st->orient_bias_deg = rng_normal(&r);
        st->temp_bias_c = 0.2 * rng_normal(&r);
        st->rad_factor = rng_u(&r);
        st->wind_dir_bias_deg = 3.0 * rng_normal(&r);
        st->rh_bias_pct = 2.0 * rng_normal(&r);
        st->array = st->st->n_elements >= 3;
    }
    return TL_OK;
}

/* ------------------------------------------------------------ pick ids -- */

struct pk_order {
    size_t station;
    tl_time_ns t;
    size_t i;
};

static int
cmp_pk(const void *a, const void *b)
{
    const struct pk_order *x = a, *y = b;
    if (x->station != y->station) {
        return x->station < y->station ? -1 : 1;
    }
    if (x->t != y->t) {
        return x->t < y->t ? -1 : 1;
    }
    return x->i < y->i ? -1 : (x->i > y->i);
}

/* Order the picks by station and time and number them per station. */
static int
name_picks(struct tl_sim *s)
{
    size_t n = s->npk;
    struct pk_order *o = tl_calloc(n ? n : 1, sizeof(*o));
    struct tl_sim_pick *pk = tl_calloc(n ? n : 1, sizeof(*pk));
    size_t *pst = tl_calloc(n ? n : 1, sizeof(size_t));
    if (!o || !pk || !pst) {
        tl_free(o);
        tl_free(pk);
        tl_free(pst);
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        o[i].station = s->pk_station[i];
        o[i].t = s->pk[i].pick.t_ns;
        o[i].i = i;
    }
    qsort(o, n, sizeof(*o), cmp_pk);
    for (size_t k = 0; k < n; k++) {
        pk[k] = s->pk[o[k].i];
        pst[k] = o[k].station;
        struct station *st = &s->st[pst[k]];
        st->next_pick_no++;
        snprintf(pk[k].pick.id, sizeof(pk[k].pick.id), "%s-%06ld", st->st->id, st->next_pick_no);
    }
    tl_free(s->pk);
    tl_free(s->pk_station);
    s->pk = pk;
    s->pk_station = pst;
    s->cap_pk = s->cap_pks = n ? n : 1;
    tl_free(o);
    return TL_OK;
}

static void
count(struct tl_sim *s)
{
    struct tl_sim_stats *st = &s->stats;
    st->events = s->nev;
    for (size_t i = 0; i < s->nev; i++) {
        const struct tl_sim_event *e = &s->ev[i];
        st->launches += e->cls == TL_SIM_LAUNCH;
        st->impacts += e->cls == TL_SIM_IMPACT;
        st->others += e->cls == TL_SIM_OTHER;
        st->heard5 += e->n_stations >= 5;
    }
    st->salvos = (size_t)s->n_salvos;
    st->picks = s->npk;
    for (size_t i = 0; i < s->npk; i++) {
        const struct tl_sim_pick *p = &s->pk[i];
        if (p->event < 0) {
            st->false_picks++;
            st->false_shock_picks += p->pick.shock;
            continue;
        }
        st->true_picks++;
        st->shock_picks += p->phase == TL_SIM_SHOCK;
        st->echo_picks += p->phase == TL_SIM_ECHO;
        st->outliers += p->outlier;
    }
    st->met = s->nmet;
    st->status = s->nstat;
    st->records = s->ndl;
    st->faults = s->nfault;
}

/* -------------------------------------------------------------- entry -- */

int
tl_sim_generate(const struct tl_mission *mission, const struct tl_sim_config *cfg,
                struct tl_sim **out)
{
    if (!mission || !cfg || !out) {
        return TL_EINVAL;
    }
    const struct tl__preset *P = tl__preset_find(cfg->preset);
    if (!P || !(cfg->hours > 0.0 && cfg->hours <= 168.0)) {
        return TL_EINVAL;
    }
    struct tl_sim *s = tl_calloc(1, sizeof(*s));
    if (!s) {
        return TL_ENOMEM;
    }
    s->cfg = *cfg;
    s->cfg.preset = P->name;
    s->P = P;
    int rc = TL_OK;
    if (P->mirror) {
        rc = tl__sim_mirror_mission(mission, &s->mission_bytes, &s->mission_len);
    } else {
        size_t len;
        const char *src = tl_mission_source(mission, &len);
        s->mission_bytes = tl_malloc(len + 1);
        if (!s->mission_bytes) {
            rc = TL_ENOMEM;
        } else {
            memcpy(s->mission_bytes, src, len);
            s->mission_bytes[len] = '\0';
            s->mission_len = len;
        }
    }
    if (rc == TL_OK) {
        rc = tl_mission_load_buffer(s->mission_bytes, s->mission_len, "mission.geojson", &s->m,
                                    NULL);
        if (rc != TL_OK && rc != TL_ENOMEM) {
            rc = TL_EINVAL;
        }
    }
    if (rc == TL_OK) {
        rc = setup_stations(s);
    }
    if (rc == TL_OK) {
        double xmin = 1e30, xmax = -1e30, ymin = 1e30, ymax = -1e30;
        for (size_t i = 0; i < s->ns; i++) {
            xmin = fmin(xmin, s->st[i].p[0]);
            xmax = fmax(xmax, s->st[i].p[0]);
            ymin = fmin(ymin, s->st[i].p[1]);
            ymax = fmax(ymax, s->st[i].p[1]);
        }
        rc = tl__wx_init(&s->wx, P, cfg->seed, s->enu.lon0_deg, cfg->start_ns, cfg->hours, xmin,
                         xmax, ymin, ymax);
    }
    if (rc == TL_OK) {
        rc = tl__sim_faults(s);
    }
    if (rc == TL_OK) {
        rc = tl__sim_scenario(s);
    }
    if (rc == TL_OK && !cfg->events_only) {
        rc = tl__sim_propagate(s);
        if (rc == TL_OK) {
            rc = tl__sim_false_picks(s);
        }
        if (rc == TL_OK) {
            rc = tl__sim_met(s);
        }
        if (rc == TL_OK) {
            rc = name_picks(s);
        }
        if (rc == TL_OK) {
            rc = tl__sim_deliver(s);
        }
    }
    if (rc != TL_OK) {
        tl_sim_free(s);
        return rc;
    }
    count(s);
    *out = s;
    return TL_OK;
}

void
tl_sim_free(struct tl_sim *s)
{
    if (!s) {
        return;
    }
    tl__wx_fini(&s->wx);
    tl_mission_free(s->m);
    tl_free(s->mission_bytes);
    tl_free(s->st);
    tl_free(s->ev);
    tl_free(s->evi);
    tl_free(s->pk);
    tl_free(s->pk_station);
    tl_free(s->met);
    tl_free(s->stat);
    tl_free(s->faults);
    tl_free(s->dl);
    tl_free(s);
}

const struct tl_mission *
tl_sim_mission(const struct tl_sim *s)
{
    return s->m;
}

const struct tl_sim_stats *
tl_sim_stats(const struct tl_sim *s)
{
    return &s->stats;
}

size_t
tl_sim_event_count(const struct tl_sim *s)
{
    return s->nev;
}

const struct tl_sim_event *
tl_sim_event(const struct tl_sim *s, size_t i)
{
    return i < s->nev ? &s->ev[i] : NULL;
}

size_t
tl_sim_pick_count(const struct tl_sim *s)
{
    return s->npk;
}

const struct tl_sim_pick *
tl_sim_pick(const struct tl_sim *s, size_t i)
{
    return i < s->npk ? &s->pk[i] : NULL;
}

void
tl_sim_weather_at(const struct tl_sim *s, double lat_deg, double lon_deg, tl_time_ns t,
                  struct tl_sim_weather *out)
{
    double p[3];
    tl_enu_from_geo(&s->enu, lat_deg, lon_deg, 0.0, p);
    double t_s = (double)(t - s->cfg.start_ns) / 1e9;
    struct wx_point w;
    tl__wx_at(&s->wx, p[0], p[1], t_s, &w);
    double speed = hypot(w.u_mps, w.v_mps);
    double from = fmod(atan2(-w.u_mps, -w.v_mps) * 180.0 / M_PI + 360.0, 360.0);
    struct wx_vertical v;
    tl__wx_vertical(&s->wx, t_s, speed, &v);
    out->temp_c = w.temp_c;
    out->wind_mps = speed;
    out->wind_from_deg = from;
    out->rh_pct = w.rh_pct;
    out->pressure_hpa = tl__wx_pressure_hpa(&s->wx, p[0], p[1], t_s, 0.0);
    out->dtdz_k_per_m = v.dtdz_k_per_m;
    out->shear_per_s = v.shear_per_s;
    out->noise_pa = tl__wx_noise_pa(&s->wx, t_s, speed);
}

double
tl_sim_clock_offset_s(const struct tl_sim *s, size_t station, tl_time_ns t)
{
    return tl__sim_clock(s, station, (double)(t - s->cfg.start_ns) / 1e9);
}

bool
tl_sim_station_down(const struct tl_sim *s, size_t station, tl_time_ns t)
{
    return tl__sim_down(s, station, (double)(t - s->cfg.start_ns) / 1e9);
}
