/*
 * eval.c - how good a bulletin is, against the simulator's (or a field trial's)
 * ground truth, by the rules of formats.md section 5 (see eval.h).
 *
 * The truth is read as a stream (its pick map has one line per pick, hundreds of
 * thousands on a busy day): events are kept, picks only counted per event and
 * station.  Matching candidates are all (found, true) pairs within 2 s and 1 km,
 * found through a time-sorted index, then taken cheapest first.
 *
 * Beyond formats.md section 5, the evaluation says how many matched events are mixtures:
 * events whose fit used (robust weight >= 0.5) a pick of another true event or a pick of
 * no event at all.  A salvo's rounds are close in place and time, and an event built of two
 * rounds' picks can fit well and be matched to one of them; its location lies between the
 * rounds, and its ellipse, from picks that agree, cannot know.  Location and ellipse
 * coverage are given for pure and mixed events apart, which says where a shortfall is.
 */
#define _GNU_SOURCE /* qsort_r */
#include <truceline/eval.h>
#include <truceline/geo.h>
#include <truceline/jsonl.h>
#include <truceline/time.h>

#include "../util/util.h"

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CL_LAUNCH = 0, CL_IMPACT = 1, CL_OTHER = 2, CL_UNKNOWN = 3 };

struct tev {
    char id[TL_ID_MAX];
    tl_time_ns t;
    double lat, lon;
    int cls;
    int side; /* -1 left, 1 right, 0 unknown */
    char pair[TL_ID_MAX];
    char salvo[TL_ID_MAX];
    int n_sta;
    long match; /* index of the matched found event or -1 */
    /* stations seen (for counting distinct blast stations) */
    char (*sta)[TL_STATION_ID_MAX];
    int n_sta_cap;
};

struct fev {
    char id[TL_ID_MAX];
    tl_time_ns t;
    double lat, lon;
    int cls;
    double maj, min, azi;
    long match; /* index of the matched true event or -1 */
    long *src;  /* true event of each pick its fit used, -1 for a pick of none (owned) */
    size_t n_src;
};

/* One line of the truth's pick map: a pick id and the index of its true event. */
struct tpick {
    char id[TL_ID_MAX];
    long ev;
};

struct ffind {
    char launch[TL_ID_MAX], impact[TL_ID_MAX];
    int fired;  /* -1, 0 ambiguous, 1 */
    int likely; /* the more likely side even when ambiguous (0 if not given) */
    double conf;
};

/* Records by id: true and found events both start with their id, so one sorted index
 * serves both (indices into the array, ordered by id; binary search). */
struct id_index {
    const char *base;   /* the records */
    size_t size, n;     /* record size and count */
    size_t *ord;        /* record indices in id order (owned) */
};

struct ctx {
    struct tev *t;
    size_t nt, ct;
    struct fev *f;
    size_t nf, cf;
    struct ffind *fd;
    size_t nfd, cfd;
    struct id_index t_by_id; /* true events by id, built once the truth is read */
    struct tpick *pk;
    size_t npk, cpk;
    struct id_index pk_by_id; /* the pick map by pick id */
};

static int
class_of(const char *s)
{
    if (!s) {
        return CL_UNKNOWN;
    }
    if (strcmp(s, "launch") == 0) {
        return CL_LAUNCH;
    }
    if (strcmp(s, "impact") == 0) {
        return CL_IMPACT;
    }
    if (strcmp(s, "other") == 0) {
        return CL_OTHER;
    }
    return CL_UNKNOWN;
}

static int
side_of(const char *s)
{
    if (s && strcmp(s, "left") == 0) {
        return -1;
    }
    if (s && strcmp(s, "right") == 0) {
        return 1;
    }
    return 0;
}

static void
copy_id(char *dst, json_t *v)
{
    const char *s = json_string_value(v);
    tl__strlcpy(dst, s ? s : "", TL_ID_MAX);
}

static int
parse_time(json_t *v, tl_time_ns *t)
{
    const char *s = json_string_value(v);
    return s ? tl_time_parse(s, strlen(s), t, NULL) : TL_EPARSE;
}

_Static_assert(offsetof(struct tev, id) == 0 && offsetof(struct fev, id) == 0 &&
                   offsetof(struct tpick, id) == 0,
               "events and picks are indexed by their leading id");

static int
cmp_id(const void *a, const void *b, void *ctx)
{
    const struct id_index *x = ctx;
    return strcmp(x->base + *(const size_t *)a * x->size, x->base + *(const size_t *)b * x->size);
}

static int
id_index_build(struct id_index *x, const void *base, size_t size, size_t n)
{
    x->base = base;
    x->size = size;
    x->n = n;
    x->ord = tl_malloc((n + 1) * sizeof(size_t));
    if (!x->ord) {
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        x->ord[i] = i;
    }
    qsort_r(x->ord, n, sizeof(size_t), cmp_id, x);
    return TL_OK;
}

static long
id_find(const struct id_index *x, const char *id)
{
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = strcmp(x->base + x->ord[mid] * x->size, id);
        if (r == 0) {
            return (long)x->ord[mid];
        }
        if (r < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return -1;
}

static int
read_truth(struct ctx *c, const char *path, struct tl_diag *d)
{
    struct tl_jsonl *r = NULL;
    int rc = tl_jsonl_open(path, 0, &r, d);
    if (rc != TL_OK) {
        return rc;
    }
    /* pass 1: events */
    const char *line;
    size_t len;
    int got;
    while ((got = tl_jsonl_next(r, &line, &len, d)) == 1) {
        if (!strstr(line, "\"event\"")) {
            continue;
        }
        bool oom;
        json_t *o = tl__json_loadb(line, len, 0, NULL, &oom);
        if (oom) {
            rc = TL_ENOMEM;
            break;
        }
        const char *type = json_string_value(json_object_get(o, "type"));
        if (o && type && strcmp(type, "event") == 0) {
            if ((rc = tl__grow((void **)&c->t, &c->ct, c->nt + 1, sizeof(*c->t), (size_t)1 << 26)) !=
                TL_OK) {
                json_decref(o);
                break;
            }
            struct tev *e = &c->t[c->nt];
            memset(e, 0, sizeof(*e));
            copy_id(e->id, json_object_get(o, "id"));
            if (parse_time(json_object_get(o, "time"), &e->t) != TL_OK ||
                !json_is_number(json_object_get(o, "lat")) ||
                !json_is_number(json_object_get(o, "lon"))) {
                tl__diag_where(d, path, tl_jsonl_lineno(r));
                rc = tl__diag(d, TL_EPARSE, NULL, "event without a valid time, lat or lon");
                json_decref(o);
                break;
            }
            e->lat = json_number_value(json_object_get(o, "lat"));
            e->lon = json_number_value(json_object_get(o, "lon"));
            e->cls = class_of(json_string_value(json_object_get(o, "class")));
            e->side = side_of(json_string_value(json_object_get(o, "side")));
            copy_id(e->pair, json_object_get(o, "pair"));
            copy_id(e->salvo, json_object_get(o, "salvo"));
            e->match = -1;
            c->nt++;
        }
        json_decref(o);
    }
    tl_jsonl_free(r);
    if (rc != TL_OK || got < 0) {
        return rc != TL_OK ? rc : got;
    }
    if ((rc = id_index_build(&c->t_by_id, c->t, sizeof(*c->t), c->nt)) != TL_OK) {
        return rc;
    }
    /* pass 2: the pick map, distinct stations with a blast pick per event */
    if ((rc = tl_jsonl_open(path, 0, &r, d)) != TL_OK) {
        return rc;
    }
    while ((got = tl_jsonl_next(r, &line, &len, d)) == 1 && rc == TL_OK) {
        if (!strstr(line, "\"pick\"")) {
            continue;
        }
        bool oom;
        json_t *o = tl__json_loadb(line, len, 0, NULL, &oom);
        if (oom) {
            rc = TL_ENOMEM;
            break;
        }
        const char *type = json_string_value(json_object_get(o, "type"));
        const char *phase = json_string_value(json_object_get(o, "phase"));
        const char *ev = json_string_value(json_object_get(o, "event"));
        const char *pid = json_string_value(json_object_get(o, "id"));
        const char *sta = json_string_value(json_object_get(o, "station"));
        long k = o && type && strcmp(type, "pick") == 0 && ev ? id_find(&c->t_by_id, ev) : -1;
        if (k >= 0 && pid) {
            rc = tl__grow((void **)&c->pk, &c->cpk, c->npk + 1, sizeof(*c->pk), (size_t)1 << 28);
            if (rc == TL_OK) {
                tl__strlcpy(c->pk[c->npk].id, pid, TL_ID_MAX);
                c->pk[c->npk++].ev = k;
            }
        }
        if (rc == TL_OK && k >= 0 && (!phase || strcmp(phase, "blast") == 0)) {
            char sid[TL_STATION_ID_MAX] = "";
            if (sta) {
                tl__strlcpy(sid, sta, sizeof(sid));
            } else if (pid) {
                /* pick ids are STATION-NNNNNN */
                size_t n = strcspn(pid, "-");
                if (n < sizeof(sid)) {
                    memcpy(sid, pid, n);
                    sid[n] = '\0';
                }
            }
            if (sid[0]) {
                struct tev *e = &c->t[k];
                bool seen = false;
                for (int i = 0; i < e->n_sta && !seen; i++) {
                    seen = strcmp(e->sta[i], sid) == 0;
                }
                if (!seen) {
                    if (e->n_sta == e->n_sta_cap) {
                        int cap = e->n_sta_cap ? e->n_sta_cap * 2 : 8;
                        void *g = tl_realloc(e->sta, (size_t)cap * sizeof(*e->sta));
                        if (!g) {
                            rc = TL_ENOMEM;
                        } else {
                            e->sta = g;
                            e->n_sta_cap = cap;
                        }
                    }
                    if (rc == TL_OK) {
                        memcpy(e->sta[e->n_sta++], sid, TL_STATION_ID_MAX);
                    }
                }
            }
        }
        json_decref(o);
    }
    tl_jsonl_free(r);
    if (rc == TL_OK && got >= 0) {
        rc = id_index_build(&c->pk_by_id, c->pk, sizeof(*c->pk), c->npk);
    }
    return rc != TL_OK ? rc : (got < 0 ? got : TL_OK);
}

/* The true events of the picks an event's fit used: its arrivals of robust weight >= 0.5,
 * or, in a bulletin without arrivals, its picks; those without a pick id are left out. */
static int
read_sources(struct ctx *c, json_t *pr, struct fev *e)
{
    json_t *arr = json_object_get(pr, "arrivals");
    json_t *list = json_is_array(arr) ? arr : json_object_get(pr, "picks");
    size_t n = json_array_size(list);
    if (n == 0) {
        return TL_OK;
    }
    e->src = tl_malloc(n * sizeof(*e->src));
    if (!e->src) {
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *a = json_array_get(list, i);
        const char *id = json_string_value(list == arr ? json_object_get(a, "pick") : a);
        if (!id || !id[0] ||
            (list == arr && !(json_number_value(json_object_get(a, "weight")) >= 0.5))) {
            continue; /* a pick without an id cannot be looked up: it says nothing */
        }
        long k = id_find(&c->pk_by_id, id);
        e->src[e->n_src++] = k >= 0 ? c->pk[k].ev : -1;
    }
    return TL_OK;
}

static int
read_bulletin(struct ctx *c, const char *path, struct tl_diag *d)
{
    json_error_t je;
    bool oom;
    json_t *root = tl__json_load_file(path, 0, &je, &oom);
    if (oom) {
        return TL_ENOMEM;
    }
    if (!root) {
        tl__diag_where(d, path, je.line);
        return tl__diag(d, TL_EPARSE, NULL, "not a readable bulletin: %s", je.text);
    }
    json_t *feats = json_object_get(root, "features");
    int rc = TL_OK;
    size_t i;
    json_t *f;
    json_array_foreach(feats, i, f)
    {
        json_t *pr = json_object_get(f, "properties");
        const char *kind = json_string_value(json_object_get(pr, "kind"));
        if (!kind) {
            continue;
        }
        if (strcmp(kind, "event") == 0) {
            json_t *co = json_object_get(json_object_get(f, "geometry"), "coordinates");
            if ((rc = tl__grow((void **)&c->f, &c->cf, c->nf + 1, sizeof(*c->f), (size_t)1 << 26)) !=
                TL_OK) {
                break;
            }
            struct fev *e = &c->f[c->nf];
            memset(e, 0, sizeof(*e));
            copy_id(e->id, json_object_get(pr, "id"));
            if (parse_time(json_object_get(pr, "time"), &e->t) != TL_OK ||
                !json_is_number(json_array_get(co, 0)) || !json_is_number(json_array_get(co, 1))) {
                tl__diag_where(d, path, 0);
                rc = tl__diag(d, TL_EPARSE, NULL, "feature %zu: event without time or coordinates", i);
                break;
            }
            e->lon = json_number_value(json_array_get(co, 0));
            e->lat = json_number_value(json_array_get(co, 1));
            e->cls = class_of(json_string_value(json_object_get(pr, "class")));
            json_t *el = json_object_get(pr, "ellipse");
            e->maj = json_number_value(json_object_get(el, "major_m"));
            e->min = json_number_value(json_object_get(el, "minor_m"));
            e->azi = json_number_value(json_object_get(el, "azimuth_deg"));
            e->match = -1;
            c->nf++;
            if ((rc = read_sources(c, pr, e)) != TL_OK) {
                break;
            }
        } else if (strcmp(kind, "finding") == 0) {
            if ((rc = tl__grow((void **)&c->fd, &c->cfd, c->nfd + 1, sizeof(*c->fd),
                               (size_t)1 << 26)) != TL_OK) {
                break;
            }
            struct ffind *x = &c->fd[c->nfd++];
            copy_id(x->launch, json_object_get(pr, "launch"));
            copy_id(x->impact, json_object_get(pr, "impact"));
            x->fired = side_of(json_string_value(json_object_get(pr, "fired_from")));
            x->likely = side_of(json_string_value(json_object_get(pr, "likely_side")));
            x->conf = json_number_value(json_object_get(pr, "confidence"));
        }
    }
    json_decref(root);
    return rc;
}

struct cand {
    double cost;
    size_t f, t;
};

static int
cmp_cand(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->cost != y->cost) {
        return x->cost < y->cost ? -1 : 1;
    }
    if (x->f != y->f) {
        return x->f < y->f ? -1 : 1;
    }
    return x->t < y->t ? -1 : (x->t > y->t);
}

static int
cmp_tev_time(const void *a, const void *b, void *ctx)
{
    const struct tev *t = ctx;
    tl_time_ns x = t[*(const size_t *)a].t, y = t[*(const size_t *)b].t;
    return x < y ? -1 : (x > y);
}

static int
match(struct ctx *c)
{
    size_t *ord = tl_malloc((c->nt + 1) * sizeof(size_t));
    struct cand *cd = NULL;
    size_t ncd = 0, cap = 0;
    if (!ord) {
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < c->nt; i++) {
        ord[i] = i;
    }
    qsort_r(ord, c->nt, sizeof(size_t), cmp_tev_time, c->t);
    int rc = TL_OK;
    const tl_time_ns win = 2 * TL_NS_PER_S;
    for (size_t f = 0; f < c->nf && rc == TL_OK; f++) {
        size_t lo = 0, hi = c->nt;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (c->t[ord[mid]].t < c->f[f].t - win) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        for (size_t k = lo; k < c->nt && c->t[ord[k]].t <= c->f[f].t + win; k++) {
            const struct tev *t = &c->t[ord[k]];
            double dist = tl_geo_dist_m(c->f[f].lat, c->f[f].lon, t->lat, t->lon);
            if (dist > 1000.0) {
                continue;
            }
            double dt = fabs((double)(c->f[f].t - t->t)) * 1e-9;
            if ((rc = tl__grow((void **)&cd, &cap, ncd + 1, sizeof(*cd), (size_t)1 << 28)) != TL_OK) {
                break;
            }
            cd[ncd].cost = dt / 0.25 + dist / 100.0;
            cd[ncd].f = f;
            cd[ncd].t = ord[k];
            ncd++;
        }
    }
    if (rc == TL_OK) {
        if (ncd > 1) {
            qsort(cd, ncd, sizeof(*cd), cmp_cand);
        }
        for (size_t i = 0; i < ncd; i++) {
            if (c->f[cd[i].f].match < 0 && c->t[cd[i].t].match < 0) {
                c->f[cd[i].f].match = (long)cd[i].t;
                c->t[cd[i].t].match = (long)cd[i].f;
            }
        }
    }
    tl_free(cd);
    tl_free(ord);
    return rc;
}

/* The q-quantile of the n sorted values v, interpolated between neighbours (so the median of
 * two is their mean and no quantile is ever below a lower one); 0 when n is 0. */
static double
quantile(const double *v, size_t n, double q)
{
    if (n == 0) {
        return 0.0;
    }
    double r = q * (double)(n - 1);
    size_t i = (size_t)r;
    return i + 1 < n ? v[i] + (r - (double)i) * (v[i + 1] - v[i]) : v[n - 1];
}

static int
cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y);
}

/* Sort the n location errors v and give their median and 90th percentile. */
static void
error_quantiles(double *v, size_t n, double *median, double *p90)
{
    qsort(v, n, sizeof(double), cmp_dbl);
    *median = quantile(v, n, 0.5);
    *p90 = quantile(v, n, 0.9);
}

static void
rates(struct tl_eval_events *e)
{
    e->precision = e->found ? (double)e->matched / (double)e->found : 0.0;
    e->recall = e->truth ? (double)e->recalled / (double)e->truth : 0.0;
}

static int
score(struct ctx *c, struct tl_eval *out)
{
    memset(out, 0, sizeof(*out));
    struct tl_eval_events *per[3] = {&out->launch, &out->impact, &out->other};
    for (size_t i = 0; i < c->nt; i++) {
        const struct tev *t = &c->t[i];
        if (t->n_sta >= 5) {
            out->all.truth++;
            per[t->cls < 3 ? t->cls : 2]->truth++;
            if (t->match >= 0) {
                out->all.recalled++;
                per[t->cls < 3 ? t->cls : 2]->recalled++;
            }
        }
    }
    double *loc[5]; /* per true class; then of pure and of mixed events */
    for (int k = 0; k < 5; k++) {
        loc[k] = tl_malloc((c->nf + 1) * sizeof(double));
        if (!loc[k]) {
            for (int j = 0; j < k; j++) {
                tl_free(loc[j]);
            }
            return TL_ENOMEM;
        }
    }
    long cls_ok = 0, inside = 0, mix_inside[2] = {0, 0};
    for (size_t i = 0; i < c->nf; i++) {
        const struct fev *f = &c->f[i];
        out->all.found++;
        if (f->cls < 3) {
            per[f->cls]->found++;
        }
        if (f->match < 0) {
            continue;
        }
        const struct tev *t = &c->t[f->match];
        out->all.matched++;
        if (f->cls < 3) {
            per[f->cls]->matched++;
        }
        double d, az;
        tl_geo_inverse(f->lat, f->lon, t->lat, t->lon, &d, &az, NULL);
        int tc = t->cls < 3 ? t->cls : 2;
        loc[tc][out->loc_n[tc]++] = d;
        cls_ok += (t->cls == CL_LAUNCH && f->cls == CL_LAUNCH) ||
                  (t->cls == CL_IMPACT && f->cls == CL_IMPACT) ||
                  (t->cls == CL_OTHER && f->cls == CL_UNKNOWN);
        double a = (az - f->azi) * M_PI / 180.0;
        double u = d * cos(a) / fmax(f->maj, 1e-3), v = d * sin(a) / fmax(f->min, 1e-3);
        bool in = u * u + v * v <= 1.0;
        inside += in;
        if (f->n_src > 0) {
            int mixed = 0;
            for (size_t k = 0; k < f->n_src; k++) {
                mixed |= f->src[k] != f->match;
            }
            loc[3 + mixed][out->mix_n[mixed]++] = d;
            mix_inside[mixed] += in;
        }
    }
    out->mix_events = out->mix_n[0] + out->mix_n[1];
    for (int k = 0; k < 2; k++) {
        size_t n = (size_t)out->mix_n[k];
        error_quantiles(loc[3 + k], n, &out->mix_loc_median_m[k], &out->mix_loc_p90_m[k]);
        out->mix_coverage[k] = n ? (double)mix_inside[k] / (double)n : 0.0;
        tl_free(loc[3 + k]);
    }
    rates(&out->all);
    for (int k = 0; k < 3; k++) {
        rates(per[k]);
        error_quantiles(loc[k], (size_t)out->loc_n[k], &out->loc_median_m[k], &out->loc_p90_m[k]);
        tl_free(loc[k]);
    }
    out->ellipse_n = out->all.matched;
    out->ellipse_coverage = out->all.matched ? (double)inside / (double)out->all.matched : 0.0;
    out->class_accuracy = out->all.matched ? (double)cls_ok / (double)out->all.matched : 0.0;

    /* pairs and attribution */
    const struct id_index *tby = &c->t_by_id;
    struct id_index fby;
    if (id_index_build(&fby, c->f, sizeof(*c->f), c->nf) != TL_OK) {
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < c->nt; i++) {
        const struct tev *t = &c->t[i];
        if (t->cls != CL_LAUNCH || !t->pair[0] || t->n_sta < 5) {
            continue;
        }
        long k = id_find(tby, t->pair);
        if (k >= 0 && c->t[k].n_sta >= 5) {
            out->pairs_truth++;
        }
    }
    bool *recalled = tl_calloc(c->nt + 1, sizeof(bool));
    if (!recalled) {
        tl_free(fby.ord);
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < c->nfd; i++) {
        const struct ffind *x = &c->fd[i];
        out->pairs_found++;
        out->findings++;
        long fl = id_find(&fby, x->launch), fi = id_find(&fby, x->impact);
        long tlx = fl >= 0 ? c->f[fl].match : -1, tix = fi >= 0 ? c->f[fi].match : -1;
        bool launch_ok = tlx >= 0 && c->t[tlx].cls == CL_LAUNCH;
        bool pair_ok = false;
        if (launch_ok && tix >= 0 && c->t[tix].cls == CL_IMPACT) {
            const struct tev *L = &c->t[tlx], *I = &c->t[tix];
            long tp = id_find(tby, L->pair);
            pair_ok = strcmp(L->pair, I->id) == 0 ||
                      (L->salvo[0] && tp >= 0 && strcmp(c->t[tp].salvo, L->salvo) == 0 &&
                       strcmp(I->salvo, L->salvo) == 0);
        }
        if (pair_ok) {
            out->pairs_correct++;
            if (!recalled[tlx] && c->t[tlx].n_sta >= 5) {
                long k = id_find(tby, c->t[tlx].pair);
                if (k >= 0 && c->t[k].n_sta >= 5) {
                    out->pairs_recalled++;
                    recalled[tlx] = true;
                }
            }
        }
        if (x->conf >= 0.95) {
            out->confident++;
        }
        /* the side that fired: of the true launch the finding names, or else of the true
         * launch of the true impact it names */
        int true_side = 0;
        if (launch_ok) {
            true_side = c->t[tlx].side;
        } else if (tix >= 0 && c->t[tix].cls == CL_IMPACT && c->t[tix].pair[0]) {
            long k = id_find(tby, c->t[tix].pair);
            true_side = k >= 0 ? c->t[k].side : 0;
        }
        int band = x->conf < 0.5 ? 0 : x->conf < 0.8 ? 1 : x->conf < 0.95 ? 2 : 3;
        out->calib_n[band]++;
        /* the finding's claim, whether or not it named the side: the side of the more likely
         * launch (its confidence is of that) and the pairing */
        int claimed = x->fired != 0 ? x->fired : x->likely;
        if (pair_ok && true_side != 0 && claimed == true_side) {
            out->calib_ok[band]++;
        }
        if (x->fired == 0) {
            out->attr_ambiguous++;
        } else if (true_side != 0 && true_side == x->fired) {
            out->attr_correct++;
        } else {
            out->attr_wrong++;
            if (x->conf >= 0.95) {
                out->attr_wrong_confident++;
            }
        }
    }
    tl_free(recalled);
    tl_free(fby.ord);
    out->pairs_precision = out->pairs_found ? (double)out->pairs_correct / (double)out->pairs_found
                                            : 0.0;
    out->pairs_recall = out->pairs_truth ? (double)out->pairs_recalled / (double)out->pairs_truth
                                         : 0.0;
    out->attr_wrong_confident_rate =
        out->confident ? (double)out->attr_wrong_confident / (double)out->confident : 0.0;
    return TL_OK;
}

int
tl_eval_files(const char *truth_path, const char *bulletin_path, struct tl_eval *out,
              struct tl_diag *diag)
{
    struct ctx c;
    memset(&c, 0, sizeof(c));
    int rc = read_truth(&c, truth_path, diag);
    if (rc == TL_OK) {
        rc = read_bulletin(&c, bulletin_path, diag);
    }
    if (rc == TL_OK) {
        rc = match(&c);
    }
    struct tl_eval e;
    if (rc == TL_OK) {
        rc = score(&c, &e);
    }
    if (rc == TL_OK) {
        *out = e;
    }
    for (size_t i = 0; i < c.nt; i++) {
        tl_free(c.t[i].sta);
    }
    tl_free(c.t);
    tl_free(c.t_by_id.ord);
    tl_free(c.pk);
    tl_free(c.pk_by_id.ord);
    for (size_t i = 0; i < c.nf; i++) {
        tl_free(c.f[i].src);
    }
    tl_free(c.f);
    tl_free(c.fd);
    return rc;
}

static json_t *
r4(double x)
{
    return json_real(round(x * 10000.0) / 10000.0);
}

static json_t *
events_json(const struct tl_eval_events *e)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:o,s:o}", "truth", (json_int_t)e->truth, "found",
                     (json_int_t)e->found, "matched", (json_int_t)e->matched, "recalled",
                     (json_int_t)e->recalled, "precision", r4(e->precision), "recall",
                     r4(e->recall));
}

char *
tl_eval_json(const struct tl_eval *e)
{
    json_t *ev = events_json(&e->all);
    json_object_set_new(ev, "launch", events_json(&e->launch));
    json_object_set_new(ev, "impact", events_json(&e->impact));
    json_object_set_new(ev, "other", events_json(&e->other));
    static const char *const names[3] = {"launch", "impact", "other"};
    json_t *loc = json_object();
    for (int k = 0; k < 3; k++) {
        json_object_set_new(loc, names[k],
                            json_pack("{s:o,s:o,s:I}", "median", r4(e->loc_median_m[k]), "p90",
                                      r4(e->loc_p90_m[k]), "n", (json_int_t)e->loc_n[k]));
    }
    json_t *root = json_object();
    json_object_set_new(root, "events", ev);
    json_object_set_new(root, "location_m", loc);
    json_object_set_new(root, "ellipse_coverage", r4(e->ellipse_coverage));
    json_object_set_new(root, "class_accuracy", r4(e->class_accuracy));
    json_object_set_new(root, "pairs",
                        json_pack("{s:I,s:I,s:I,s:o,s:o}", "truth", (json_int_t)e->pairs_truth,
                                  "found", (json_int_t)e->pairs_found, "correct",
                                  (json_int_t)e->pairs_correct, "precision",
                                  r4(e->pairs_precision), "recall", r4(e->pairs_recall)));
    json_object_set_new(root, "attribution",
                        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "findings",
                                  (json_int_t)e->findings, "correct", (json_int_t)e->attr_correct,
                                  "wrong", (json_int_t)e->attr_wrong, "ambiguous",
                                  (json_int_t)e->attr_ambiguous, "wrong_confident",
                                  (json_int_t)e->attr_wrong_confident, "confident",
                                  (json_int_t)e->confident, "wrong_confident_rate",
                                  r4(e->attr_wrong_confident_rate)));
    json_t *cal = json_array();
    static const char *const bands[4] = {"0-0.5", "0.5-0.8", "0.8-0.95", "0.95-1"};
    for (int k = 0; k < 4; k++) {
        json_array_append_new(cal, json_pack("{s:s,s:I,s:I,s:o}", "confidence", bands[k], "n",
                                             (json_int_t)e->calib_n[k], "right",
                                             (json_int_t)e->calib_ok[k], "share",
                                             r4(e->calib_n[k] ? (double)e->calib_ok[k] /
                                                                    (double)e->calib_n[k]
                                                              : 0.0)));
    }
    json_object_set_new(root, "confidence_reliability", cal);
    json_t *mix = json_pack("{s:I,s:o}", "events", (json_int_t)e->mix_events, "share_mixed",
                            r4(e->mix_events ? (double)e->mix_n[1] / (double)e->mix_events : 0.0));
    static const char *const purity[2] = {"pure", "mixed"};
    for (int k = 0; k < 2; k++) {
        json_object_set_new(mix, purity[k],
                            json_pack("{s:I,s:o,s:o,s:o}", "n", (json_int_t)e->mix_n[k],
                                      "location_median_m", r4(e->mix_loc_median_m[k]),
                                      "location_p90_m", r4(e->mix_loc_p90_m[k]),
                                      "ellipse_coverage", r4(e->mix_coverage[k])));
    }
    json_object_set_new(root, "mixtures", mix);
    char *s = tl__json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(root);
    return s;
}

char *
tl_eval_table(const struct tl_eval *e)
{
    char *buf = tl_malloc(4096);
    if (!buf) {
        return NULL;
    }
    snprintf(buf, 4096,
             "events (heard by >= 5 stations)  truth %6ld  found %6ld  matched %6ld\n"
             "  recall %6.1f %%   precision %6.1f %%\n"
             "  launch recall %6.1f %%  impact recall %6.1f %%  other recall %6.1f %%\n"
             "location error      median        p90\n"
             "  launch       %9.1f m %9.1f m   (n %ld)\n"
             "  impact       %9.1f m %9.1f m   (n %ld)\n"
             "  other        %9.1f m %9.1f m   (n %ld)\n"
             "95%% ellipse coverage %6.1f %%   class accuracy %6.1f %%\n"
             "pairs    truth %6ld  found %6ld  correct %6ld  recall %6.1f %%  precision %6.1f %%\n"
             "findings %6ld: side correct %ld, wrong %ld, ambiguous %ld; wrong with confidence >= "
             "0.95: %ld of %ld (%.2f %%)\n",
             e->all.truth, e->all.found, e->all.matched, 100.0 * e->all.recall,
             100.0 * e->all.precision, 100.0 * e->launch.recall, 100.0 * e->impact.recall,
             100.0 * e->other.recall, e->loc_median_m[0], e->loc_p90_m[0], e->loc_n[0],
             e->loc_median_m[1], e->loc_p90_m[1], e->loc_n[1], e->loc_median_m[2],
             e->loc_p90_m[2], e->loc_n[2], 100.0 * e->ellipse_coverage, 100.0 * e->class_accuracy,
             e->pairs_truth, e->pairs_found, e->pairs_correct, 100.0 * e->pairs_recall,
             100.0 * e->pairs_precision, e->findings, e->attr_correct, e->attr_wrong,
             e->attr_ambiguous, e->attr_wrong_confident, e->confident,
             100.0 * e->attr_wrong_confident_rate);
    size_t off = strlen(buf);
    snprintf(buf + off, 4096 - off,
             "confidence reliability (pair and side right): <0.5 %ld/%ld  0.5-0.8 %ld/%ld  "
             "0.8-0.95 %ld/%ld  >=0.95 %ld/%ld\n",
             e->calib_ok[0], e->calib_n[0], e->calib_ok[1], e->calib_n[1], e->calib_ok[2],
             e->calib_n[2], e->calib_ok[3], e->calib_n[3]);
    off = strlen(buf);
    snprintf(buf + off, 4096 - off,
             "mixtures (a used pick of another source or of none): %ld of %ld matched events "
             "(%.1f %%)\n"
             "  pure   location median %7.1f m  p90 %7.1f m  ellipse coverage %5.1f %%\n"
             "  mixed  location median %7.1f m  p90 %7.1f m  ellipse coverage %5.1f %%\n",
             e->mix_n[1], e->mix_events,
             e->mix_events ? 100.0 * (double)e->mix_n[1] / (double)e->mix_events : 0.0,
             e->mix_loc_median_m[0], e->mix_loc_p90_m[0], 100.0 * e->mix_coverage[0],
             e->mix_loc_median_m[1], e->mix_loc_p90_m[1], 100.0 * e->mix_coverage[1]);
    return buf;
}
