/*
 * deliver.c - what goes wrong at the stations and on the way to the centre:
 * outages, clock faults, link failures, and the order in which records
 * arrive; and the stations' weather reports.
 *
 * Faults (written to truth as `fault` lines):
 *   - outages: a station is down for 20 min to 6 h (power, theft, shelling):
 *     it picks nothing and reports no weather; it says "down" when it can
 *     (half the time, at once) or when it comes back (the other half: the
 *     report was queued), and "up" when it returns;
 *   - clock faults: a station's clock is off by 0.3-2.5 s for 2-8 h (a GPS
 *     receiver lost lock and the oscillator was re-disciplined to a wrong
 *     second); every time it sends is shifted.  The first of a scenario is
 *     announced with a `clock_unsync` status, the second is silent - the
 *     processing must find it from the residuals (DESIGN.md, "flag stations
 *     whose clocks drift");
 *   - link failures: 3-40 min without a link; what the station produced
 *     meanwhile arrives in a burst when the link returns, oldest first or
 *     (a third of the time) newest first.
 * Delivery: a pick leaves the station 1-3 s after its onset (the picker's
 * window and the network), weather 0.5-5 s after its time; a small share of
 * records arrive minutes late, and some twice (a retransmission after a lost
 * acknowledgement; a fifth of a burst after a link failure).  records.jsonl is
 * in delivery order, so out-of-order and late records are what a live server
 * would see.
 *
 * Weather reports: every station every 10 minutes, the mean of the last 10
 * minutes at the station itself (its local weather, not the path's), with the
 * errors of a small automatic weather station: temperature bias 0.2 K and
 * noise 0.1 K plus up to 0.6 K of radiation error in sunshine (unaspirated
 * shields), wind speed +-8% and 0.2 m/s, direction a few degrees of
 * alignment error and scatter growing in light wind, humidity 2%, pressure
 * 0.2 hPa (WMO-No. 8, "Guide to Instruments and Methods of Observation",
 * 2018, annex 1.A, achievable uncertainties).
 */
#include "sim_priv.h"

#include <string.h>

static int
add_fault(struct tl_sim *s, const struct fault *f)
{
    int rc = tl__grow((void **)&s->faults, &s->cap_fault, s->nfault + 1, sizeof(*f), 100000);
    if (rc == TL_OK) {
        s->faults[s->nfault++] = *f;
    }
    return rc;
}

double
tl__sim_clock(const struct tl_sim *s, size_t station, double t_s)
{
    double off = 0.0;
    for (size_t i = 0; i < s->nfault; i++) {
        const struct fault *f = &s->faults[i];
        if (f->kind == FAULT_CLOCK && f->station == station && t_s >= f->from_s && t_s < f->to_s) {
            off += f->offset_s;
        }
    }
    return off;
}

bool
tl__sim_down(const struct tl_sim *s, size_t station, double t_s)
{
    for (size_t i = 0; i < s->nfault; i++) {
        const struct fault *f = &s->faults[i];
        if (f->kind == FAULT_OUTAGE && f->station == station && t_s >= f->from_s &&
            t_s < f->to_s) {
            return true;
        }
    }
    return false;
}

static bool
station_taken(const struct tl_sim *s, size_t k)
{
    for (size_t i = 0; i < s->nfault; i++) {
        if (s->faults[i].station == k && s->faults[i].kind != FAULT_LINK) {
            return true;
        }
    }
    return false;
}

static size_t
free_station(struct tl_sim *s, struct rng *r)
{
    for (int tries = 0; tries < 200; tries++) {
        size_t k = (size_t)(rng_u(r) * (double)s->ns);
        if (!station_taken(s, k)) {
            return k;
        }
    }
    return (size_t)(rng_u(r) * (double)s->ns);
}

int
tl__sim_faults(struct tl_sim *s)
{
    struct rng r;
    rng_seed(&r, s->cfg.seed, STREAM_FAULTS);
    double h = s->cfg.hours * 3600.0;
    const struct tl__preset *P = s->P;
    int rc = TL_OK;
    for (int i = 0; i < P->outages && rc == TL_OK; i++) {
        struct fault f;
        memset(&f, 0, sizeof(f));
        f.kind = FAULT_OUTAGE;
        f.station = free_station(s, &r);
        f.from_s = rng_range(&r, 0.05, 0.85) * h;
        double len = P->outages >= 4 ? rng_loguniform(&r, 3600.0, 6.0 * 3600.0)
                                     : rng_loguniform(&r, 1200.0, 3.0 * 3600.0);
        f.to_s = fmin(h, f.from_s + len);
        f.announced = rng_bern(&r, 0.5);
        rc = add_fault(s, &f);
    }
    for (int i = 0; i < P->clock_faults && rc == TL_OK; i++) {
        struct fault f;
        memset(&f, 0, sizeof(f));
        f.kind = FAULT_CLOCK;
        f.station = free_station(s, &r);
        f.from_s = rng_range(&r, 0.05, 0.6) * h;
        f.to_s = fmin(h, f.from_s + rng_range(&r, 2.0, 8.0) * 3600.0);
        f.offset_s = (rng_bern(&r, 0.5) ? 1.0 : -1.0) * rng_range(&r, 0.3, 2.5);
        f.offset_s = round(f.offset_s * 1000.0) / 1000.0;
        f.announced = i == 0;
        rc = add_fault(s, &f);
    }
    for (int i = 0; i < P->backlogs && rc == TL_OK; i++) {
        struct fault f;
        memset(&f, 0, sizeof(f));
        f.kind = FAULT_LINK;
        f.station = (size_t)(rng_u(&r) * (double)s->ns);
        f.from_s = rng_range(&r, 0.0, 0.95) * h;
        f.to_s = fmin(h + 600.0, f.from_s + rng_loguniform(&r, 180.0, 2400.0));
        f.announced = rng_bern(&r, 1.0 / 3.0); /* here: newest first */
        rc = add_fault(s, &f);
    }
    /* Status: every station up at the start; down and up around outages and clock faults. */
    for (size_t k = 0; k < s->ns && rc == TL_OK; k++) {
        rc = tl__sim_add_status(s, k, 0.0, TL_STATE_UP, "start of scenario", -1.0);
    }
    for (size_t i = 0; i < s->nfault && rc == TL_OK; i++) {
        const struct fault f = s->faults[i];
        if (f.kind == FAULT_OUTAGE) {
            double dl = f.announced ? -1.0 : f.to_s + rng_range(&r, 1.0, 30.0);
            rc = tl__sim_add_status(s, f.station, f.from_s, TL_STATE_DOWN,
                                    f.announced ? "power lost" : "queued report", dl);
            if (rc == TL_OK && f.to_s < h) {
                rc = tl__sim_add_status(s, f.station, f.to_s, TL_STATE_UP, "back after outage",
                                        -1.0);
            }
        } else if (f.kind == FAULT_CLOCK && f.announced) {
            rc = tl__sim_add_status(s, f.station, f.from_s, TL_STATE_CLOCK_UNSYNC,
                                    "GPS time lost", -1.0);
            if (rc == TL_OK && f.to_s < h) {
                rc = tl__sim_add_status(s, f.station, f.to_s, TL_STATE_UP, "GPS time regained",
                                        -1.0);
            }
        }
    }
    return rc;
}

/* ----------------------------------------------------------- weather -- */

static double
wrap360(double a)
{
    a = fmod(a, 360.0);
    return a < 0.0 ? a + 360.0 : a;
}

int
tl__sim_met(struct tl_sim *s)
{
    struct rng r;
    rng_seed(&r, s->cfg.seed, STREAM_MET);
    double h = s->cfg.hours * 3600.0;
    int rc = TL_OK;
    for (size_t k = 0; k < s->ns && rc == TL_OK; k++) {
        const struct station *st = &s->st[k];
        for (double t = 0.0; t < h && rc == TL_OK; t += 600.0) {
            double n1 = rng_normal(&r), n2 = rng_normal(&r), n3 = rng_normal(&r);
            double n4 = rng_normal(&r), n5 = rng_normal(&r), n6 = rng_normal(&r);
            if (tl__sim_down(s, k, t)) {
                continue;
            }
            struct wx_point w;
            tl__wx_exact(&s->wx, st->p[0], st->p[1], t - 300.0, &w);
            double speed = hypot(w.u_mps, w.v_mps);
            double from = wrap360(atan2(-w.u_mps, -w.v_mps) * 180.0 / M_PI);
            double ins = tl__wx_insolation(&s->wx, t);
            int grc = tl__grow((void **)&s->met, &s->cap_met, s->nmet + 1, sizeof(*s->met),
                               10000000u);
            if (grc != TL_OK) {
                return grc;
            }
            struct met_rec *m = &s->met[s->nmet++];
            memset(m, 0, sizeof(*m));
            m->t_s = t;
            m->station = k;
            memcpy(m->met.station, st->st->id, sizeof(m->met.station));
            m->met.t_ns = tl__sim_ns(s, t + tl__sim_clock(s, k, t));
            m->met.t_ns = (m->met.t_ns / TL_NS_PER_MS) * TL_NS_PER_MS;
            m->met.temp_c = w.temp_c + st->temp_bias_c + 0.6 * ins * st->rad_factor + 0.1 * n1;
            m->met.wind_mps = fmax(0.0, speed * (1.0 + 0.08 * n2) + 0.2 * n3);
            m->met.wind_from_deg =
                wrap360(from + st->wind_dir_bias_deg + (5.0 + 20.0 / fmax(speed, 0.5)) * n4);
            m->met.rh_pct = fmin(100.0, fmax(5.0, w.rh_pct + st->rh_bias_pct + 1.5 * n5));
            m->met.pressure_hpa =
                tl__wx_pressure_hpa(&s->wx, st->p[0], st->p[1], t, st->st->elev_m) + 0.2 * n6;
        }
    }
    return rc;
}

/* ---------------------------------------------------------- delivery -- */

static int
add_dl(struct tl_sim *s, double t, uint8_t type, size_t idx)
{
    int rc = tl__grow((void **)&s->dl, &s->cap_dl, s->ndl + 1, sizeof(*s->dl), 50000000u);
    if (rc == TL_OK) {
        struct delivery *d = &s->dl[s->ndl];
        d->t_s = t;
        d->seq = (uint32_t)s->ndl;
        d->type = type;
        d->idx = (uint32_t)idx;
        s->ndl++;
    }
    return rc;
}

static int
cmp_dl(const void *a, const void *b)
{
    const struct delivery *x = a, *y = b;
    if (x->t_s != y->t_s) {
        return x->t_s < y->t_s ? -1 : 1;
    }
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/* The generation time (true clock) and station of delivery i. */
static void
dl_origin(const struct tl_sim *s, const struct delivery *d, double *t, size_t *st)
{
    if (d->type == 0) {
        *t = (double)(s->pk[d->idx].true_t_ns - s->cfg.start_ns) / 1e9;
        *st = s->pk_station[d->idx];
    } else if (d->type == 1) {
        *t = s->met[d->idx].t_s;
        *st = s->met[d->idx].station;
    } else {
        *t = s->stat[d->idx].t_s;
        *st = s->stat[d->idx].station;
    }
}

struct burst {
    double t;
    size_t i;
};

static int
cmp_burst(const void *a, const void *b)
{
    const struct burst *x = a, *y = b;
    if (x->t != y->t) {
        return x->t < y->t ? -1 : 1;
    }
    return x->i < y->i ? -1 : (x->i > y->i);
}

int
tl__sim_deliver(struct tl_sim *s)
{
    struct rng r;
    rng_seed(&r, s->cfg.seed, STREAM_DELIVER);
    int rc = TL_OK;
    for (size_t i = 0; i < s->npk && rc == TL_OK; i++) {
        double t = (double)(s->pk[i].true_t_ns - s->cfg.start_ns) / 1e9;
        rc = add_dl(s, t + rng_range(&r, 1.0, 3.0), 0, i);
    }
    for (size_t i = 0; i < s->nmet && rc == TL_OK; i++) {
        rc = add_dl(s, s->met[i].t_s + rng_range(&r, 0.5, 5.0), 1, i);
    }
    for (size_t i = 0; i < s->nstat && rc == TL_OK; i++) {
        double d = s->stat[i].deliver_s;
        rc = add_dl(s, d >= 0.0 ? d : s->stat[i].t_s + rng_range(&r, 0.2, 2.0), 2, i);
    }
    if (rc != TL_OK) {
        return rc;
    }
    size_t n_first = s->ndl;
    /* Link failures: hold what the station sent and release it in a burst. */
    for (size_t f = 0; f < s->nfault && rc == TL_OK; f++) {
        const struct fault *fl = &s->faults[f];
        if (fl->kind != FAULT_LINK) {
            continue;
        }
        struct burst *b = NULL;
        size_t nb = 0, cap = 0;
        for (size_t i = 0; i < n_first && rc == TL_OK; i++) {
            double t;
            size_t st;
            dl_origin(s, &s->dl[i], &t, &st);
            if (st == fl->station && s->dl[i].t_s >= fl->from_s && s->dl[i].t_s < fl->to_s) {
                rc = tl__grow((void **)&b, &cap, nb + 1, sizeof(*b), 10000000u);
                if (rc == TL_OK) {
                    b[nb].t = t;
                    b[nb].i = i;
                    nb++;
                }
            }
        }
        if (rc == TL_OK && nb > 0) {
            qsort(b, nb, sizeof(*b), cmp_burst);
            double t = fl->to_s + rng_range(&r, 0.5, 30.0);
            for (size_t k = 0; k < nb; k++) {
                size_t which = fl->announced ? nb - 1 - k : k;
                s->dl[b[which].i].t_s = t + 0.02 * (double)k;
            }
            for (size_t k = 0; k < nb && rc == TL_OK; k++) {
                if (rng_bern(&r, 0.2)) {
                    const struct delivery d = s->dl[b[k].i];
                    rc = add_dl(s, d.t_s + rng_range(&r, 2.0, 60.0), d.type, d.idx);
                    s->stats.duplicates++;
                }
            }
        }
        tl_free(b);
    }
    /* Late deliveries and duplicates. */
    for (size_t i = 0; i < n_first && rc == TL_OK; i++) {
        if (rng_bern(&r, s->P->late_p)) {
            s->dl[i].t_s += rng_range(&r, 60.0, 900.0);
        }
        if (rng_bern(&r, s->P->dup_p)) {
            const struct delivery d = s->dl[i];
            rc = add_dl(s, d.t_s + rng_range(&r, 1.0, 120.0), d.type, d.idx);
            s->stats.duplicates++;
        }
    }
    if (rc != TL_OK) {
        return rc;
    }
    for (size_t i = 0; i < n_first; i++) {
        double t;
        size_t st;
        dl_origin(s, &s->dl[i], &t, &st);
        if (s->dl[i].t_s - t > 60.0) {
            s->stats.late++;
        }
    }
    qsort(s->dl, s->ndl, sizeof(*s->dl), cmp_dl);
    return TL_OK;
}
