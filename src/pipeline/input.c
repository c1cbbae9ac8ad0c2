/*
 * input.c - what the pipeline is fed: records kept once, in any order.
 *
 * Stations deliver records late, out of order and sometimes twice.  Each
 * record is stored once: a pick is identified by (station, id), or by
 * (station, time) when it has no id; a met or status record by (kind,
 * station, time).  The key's 64-bit hash goes into an open-addressing set and
 * a hit is confirmed against the stored record, so a hash collision can never
 * drop a genuine record.  At each run the records are indexed per station and
 * sorted by time (ties broken by content), which makes the results independent
 * of the order of feeding - the property that lets the live server reproduce
 * the batch command exactly.
 */
#define _GNU_SOURCE /* qsort_r */
#include "pipeline_priv.h"

#include <truceline/jsonl.h>
#include <truceline/time.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECORDS (64u << 20) /* hard cap on records held (about 7 GB of picks) */

enum { KIND_PICK = 1, KIND_MET = 2, KIND_STATUS = 3 };

static uint64_t
fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *b = data;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3u;
    }
    return h;
}

static uint64_t
key_hash(int kind, int32_t sta, const char *id, tl_time_ns t)
{
    uint64_t h = 0xcbf29ce484222325u;
    h = fnv1a(h, &kind, sizeof(kind));
    h = fnv1a(h, &sta, sizeof(sta));
    if (id && id[0]) {
        h = fnv1a(h, id, strlen(id));
    } else {
        h = fnv1a(h, &t, sizeof(t));
    }
    return h ? h : 1;
}

/* Does stored record `ref` have the same key? */
static bool
same_key(const struct tl_pipeline *p, int64_t ref, int kind, int32_t sta, const char *id,
         tl_time_ns t)
{
    int rk = (int)(ref >> 56);
    size_t i = (size_t)(ref & ((INT64_C(1) << 56) - 1));
    if (rk != kind) {
        return false;
    }
    switch (kind) {
    case KIND_PICK:
        if (p->pk[i].sta != sta) {
            return false;
        }
        if (id && id[0]) {
            return strcmp(p->pk[i].id, id) == 0;
        }
        return p->pk[i].id[0] == '\0' && p->pk[i].t_ns == t;
    case KIND_MET:
        return p->met_sta[i] == sta && p->met[i].t_ns == t;
    default:
        return p->st_sta[i] == sta && p->st[i].t_ns == t;
    }
}

/* Find the key; returns true if present, else the slot to insert at. */
static bool
dedup_find(const struct tl_pipeline *p, uint64_t h, int kind, int32_t sta, const char *id,
           tl_time_ns t, size_t *slot)
{
    const struct tl__dedup *d = &p->dedup;
    size_t mask = d->cap - 1, i = (size_t)h & mask;
    while (d->keys[i]) {
        if (d->keys[i] == h && same_key(p, d->refs[i], kind, sta, id, t)) {
            return true;
        }
        i = (i + 1) & mask;
    }
    *slot = i;
    return false;
}

static int
dedup_grow(struct tl_pipeline *p)
{
    struct tl__dedup *d = &p->dedup;
    if (d->cap && d->n * 10 < d->cap * 7) {
        return TL_OK;
    }
    size_t cap = d->cap ? d->cap * 2 : 4096;
    uint64_t *keys = tl_calloc(cap, sizeof(*keys));
    int64_t *refs = tl_calloc(cap, sizeof(*refs));
    if (!keys || !refs) {
        tl_free(keys);
        tl_free(refs);
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < d->cap; i++) {
        if (d->keys[i]) {
            size_t j = (size_t)d->keys[i] & (cap - 1);
            while (keys[j]) {
                j = (j + 1) & (cap - 1);
            }
            keys[j] = d->keys[i];
            refs[j] = d->refs[i];
        }
    }
    tl_free(d->keys);
    tl_free(d->refs);
    d->keys = keys;
    d->refs = refs;
    d->cap = cap;
    return TL_OK;
}

static float
f32(double x)
{
    return (float)x;
}

static void
widen_span(struct tl_pipeline *p, tl_time_ns t)
{
    if (p->stats.picks + p->stats.mets + p->stats.statuses == 1) {
        p->span_from = p->span_to = t;
    }
    if (t < p->span_from) {
        p->span_from = t;
    }
    if (t > p->span_to) {
        p->span_to = t;
    }
}

int
tl_pipeline_add(struct tl_pipeline *p, const struct tl_record *rec)
{
    long si = tl_mission_find_station(p->m, tl_record_station(rec));
    if (si < 0) {
        p->stats.unknown_station++;
        return TL_ENOTFOUND;
    }
    int32_t sta = (int32_t)si;
    int kind = rec->type == TL_REC_PICK ? KIND_PICK : rec->type == TL_REC_MET ? KIND_MET : KIND_STATUS;
    const char *id = rec->type == TL_REC_PICK ? rec->u.pick.id : NULL;
    tl_time_ns t = tl_record_time(rec);
    int rc = dedup_grow(p);
    if (rc != TL_OK) {
        return rc;
    }
    uint64_t h = key_hash(kind, sta, id, t);
    size_t slot;
    if (dedup_find(p, h, kind, sta, id, t, &slot)) {
        p->stats.duplicates++;
        return TL_EDUP;
    }
    size_t idx;
    if (kind == KIND_PICK) {
        if ((rc = tl__grow((void **)&p->pk, &p->cap_pk, p->n_pk + 1, sizeof(*p->pk), MAX_RECORDS)) !=
            TL_OK) {
            return rc;
        }
        const struct tl_pick *in = &rec->u.pick;
        struct tl__pk *o = &p->pk[p->n_pk];
        memset(o, 0, sizeof(*o));
        o->t_ns = in->t_ns;
        o->sta = sta;
        o->ev = -1;
        o->sigma_s = f32(in->sigma_s);
        o->snr_db = f32(in->snr_db);
        o->amp_pa = f32(in->amp_pa);
        o->freq_hz = f32(in->freq_hz);
        o->dur_s = f32(in->dur_s);
        o->baz_deg = f32(in->baz_deg);
        o->baz_sigma_deg = f32(in->baz_sigma_deg);
        o->shock = in->shock;
        memcpy(o->id, in->id, sizeof(o->id));
        idx = p->n_pk++;
        p->stats.picks++;
        p->stats.shock_picks += in->shock;
    } else if (kind == KIND_MET) {
        size_t cap = p->cap_met;
        if ((rc = tl__grow((void **)&p->met, &p->cap_met, p->n_met + 1, sizeof(*p->met),
                           MAX_RECORDS)) != TL_OK) {
            return rc;
        }
        if (cap != p->cap_met) {
            int32_t *ms = tl_realloc(p->met_sta, p->cap_met * sizeof(*ms));
            if (!ms) {
                return TL_ENOMEM;
            }
            p->met_sta = ms;
        }
        const struct tl_met *in = &rec->u.met;
        struct tl__met *o = &p->met[p->n_met];
        o->t_ns = in->t_ns;
        o->temp_c = in->temp_c;
        if (isnan(in->wind_mps)) {
            o->wind_e_mps = o->wind_n_mps = NAN;
        } else {
            /* meteorological "from" direction: the wind blows towards from + 180 */
            double dir = (isnan(in->wind_from_deg) ? 0.0 : in->wind_from_deg) * M_PI / 180.0;
            o->wind_e_mps = -in->wind_mps * sin(dir);
            o->wind_n_mps = -in->wind_mps * cos(dir);
        }
        p->met_sta[p->n_met] = sta;
        idx = p->n_met++;
        p->stats.mets++;
    } else {
        size_t cap = p->cap_st;
        if ((rc = tl__grow((void **)&p->st, &p->cap_st, p->n_st + 1, sizeof(*p->st), MAX_RECORDS)) !=
            TL_OK) {
            return rc;
        }
        if (cap != p->cap_st) {
            int32_t *ss = tl_realloc(p->st_sta, p->cap_st * sizeof(*ss));
            if (!ss) {
                return TL_ENOMEM;
            }
            p->st_sta = ss;
        }
        p->st[p->n_st].t_ns = t;
        p->st[p->n_st].state = rec->u.status.state;
        p->st_sta[p->n_st] = sta;
        idx = p->n_st++;
        p->stats.statuses++;
    }
    p->dedup.keys[slot] = h;
    p->dedup.refs[slot] = ((int64_t)kind << 56) | (int64_t)idx;
    p->dedup.n++;
    widen_span(p, t);
    return TL_OK;
}

int
tl_pipeline_add_file(struct tl_pipeline *p, const char *path, bool strict,
                     void (*report)(void *ud, const struct tl_diag *d), void *ud)
{
    struct tl_jsonl *r = NULL;
    struct tl_diag d = {0};
    int rc = tl_jsonl_open(path, 0, &r, &d);
    if (rc != TL_OK) {
        if (report) {
            report(ud, &d);
        }
        return rc;
    }
    const char *line;
    size_t len;
    for (;;) {
        memset(&d, 0, sizeof(d));
        int got = tl_jsonl_next(r, &line, &len, &d);
        if (got == 0) {
            break;
        }
        p->stats.lines++;
        if (got < 0) {
            p->stats.malformed++;
            if (report) {
                report(ud, &d);
            }
            if (strict || got == TL_EIO) {
                rc = got;
                break;
            }
            continue;
        }
        struct tl_record rec;
        int prc = tl_record_parse(line, len, p->m, &rec, &d);
        if (prc != TL_OK) {
            tl__diag_where(&d, tl_jsonl_name(r), tl_jsonl_lineno(r));
            if (prc == TL_ENOTFOUND) {
                p->stats.unknown_station++;
            } else {
                p->stats.malformed++;
            }
            if (report) {
                report(ud, &d);
            }
            if (strict) {
                rc = prc;
                break;
            }
            continue;
        }
        int arc = tl_pipeline_add(p, &rec);
        if (arc == TL_ENOMEM || arc == TL_ETOOBIG) {
            rc = arc;
            break;
        }
    }
    tl_jsonl_free(r);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Per-run indexing                                                          */
/* ------------------------------------------------------------------------ */

static int
cmp_pick(const void *a, const void *b, void *ctx)
{
    const struct tl_pipeline *p = ctx;
    const struct tl__pk *x = &p->pk[*(const size_t *)a];
    const struct tl__pk *y = &p->pk[*(const size_t *)b];
    if (x->t_ns != y->t_ns) {
        return x->t_ns < y->t_ns ? -1 : 1;
    }
    return strcmp(x->id, y->id);
}

static int
cmp_met(const void *a, const void *b, void *ctx)
{
    const struct tl_pipeline *p = ctx;
    tl_time_ns x = p->met[*(const size_t *)a].t_ns;
    tl_time_ns y = p->met[*(const size_t *)b].t_ns;
    return x < y ? -1 : (x > y ? 1 : 0);
}

void
tl__pipeline_reset_run(struct tl_pipeline *p)
{
    if (p->sx) {
        for (size_t i = 0; i < p->n_sta; i++) {
            tl_free(p->sx[i].picks);
            tl_free(p->sx[i].shocks);
            tl_free(p->sx[i].mets);
        }
        tl_free(p->sx);
        p->sx = NULL;
    }
    for (size_t i = 0; i < p->n_ev; i++) {
        tl__ev_free_contents(&p->ev[i]);
    }
    p->n_ev = 0;
    p->n_fnd = 0;
    tl_free(p->pub_ev);
    p->pub_ev = NULL;
    tl_free(p->qc);
    p->qc = NULL;
    tl_free(p->held);
    p->held = NULL;
    p->n_held = p->cap_held = 0;
    memset(&p->assoc_stats, 0, sizeof(p->assoc_stats));
    tl__metcache_free(p);
    tl__tiles_free(p);
    p->n_learnt = 0;
    for (size_t i = 0; i < p->n_pk; i++) {
        p->pk[i].ev = -1;
    }
}

int
tl__pipeline_index(struct tl_pipeline *p)
{
    p->n_sta = tl_mission_station_count(p->m);
    p->sx = tl_calloc(p->n_sta ? p->n_sta : 1, sizeof(*p->sx));
    if (!p->sx) {
        return TL_ENOMEM;
    }
    size_t *cnt = tl_calloc(p->n_sta ? p->n_sta * 3 : 1, sizeof(size_t));
    if (!cnt) {
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < p->n_pk; i++) {
        cnt[(size_t)p->pk[i].sta * 3 + (p->pk[i].shock ? 1 : 0)]++;
    }
    for (size_t i = 0; i < p->n_met; i++) {
        cnt[(size_t)p->met_sta[i] * 3 + 2]++;
    }
    int rc = TL_OK;
    for (size_t s = 0; s < p->n_sta; s++) {
        struct tl__sta_index *x = &p->sx[s];
        x->weight_scale = 1.0;
        x->picks = tl_malloc((cnt[s * 3] + 1) * sizeof(size_t));
        x->shocks = tl_malloc((cnt[s * 3 + 1] + 1) * sizeof(size_t));
        x->mets = tl_malloc((cnt[s * 3 + 2] + 1) * sizeof(size_t));
        if (!x->picks || !x->shocks || !x->mets) {
            rc = TL_ENOMEM;
        }
    }
    if (rc == TL_OK) {
        for (size_t i = 0; i < p->n_pk; i++) {
            struct tl__sta_index *x = &p->sx[p->pk[i].sta];
            if (p->pk[i].shock) {
                x->shocks[x->n_shocks++] = i;
            } else {
                x->picks[x->n_picks++] = i;
            }
        }
        for (size_t i = 0; i < p->n_met; i++) {
            struct tl__sta_index *x = &p->sx[p->met_sta[i]];
            x->mets[x->n_mets++] = i;
        }
        for (size_t s = 0; s < p->n_sta; s++) {
            struct tl__sta_index *x = &p->sx[s];
            qsort_r(x->picks, x->n_picks, sizeof(size_t), cmp_pick, p);
            qsort_r(x->shocks, x->n_shocks, sizeof(size_t), cmp_pick, p);
            qsort_r(x->mets, x->n_mets, sizeof(size_t), cmp_met, p);
        }
    }
    tl_free(cnt);
    /* Seconds are counted from the start of the day of the first record, so that doubles
     * keep microseconds over any run. */
    p->epoch_ns = tl_time_day_start(p->span_from);
    return rc;
}

double
tl__pk_time_s(const struct tl_pipeline *p, size_t i)
{
    const struct tl__pk *k = &p->pk[i];
    const struct tl__sta_index *x = &p->sx[k->sta];
    double t = (double)(k->t_ns - p->epoch_ns) * 1e-9;
    if (x->clock_corr_s != 0.0 && k->t_ns >= x->corr_from_ns && k->t_ns <= x->corr_to_ns) {
        t -= x->clock_corr_s;
    }
    return t;
}

size_t
tl__sta_first_pick(const struct tl_pipeline *p, const struct tl__sta_index *x, double t_s)
{
    size_t lo = 0, hi = x->n_picks;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (tl__pk_time_s(p, x->picks[mid]) < t_s) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}
