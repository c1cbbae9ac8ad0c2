/*
 * assoc.c - association: which picks, at which stations, come from one source.
 *
 * A barrage puts dozens of launch and impact arrivals per minute at every
 * station, interleaved, with false picks and late echoes among them.  Pairing
 * picks station by station cannot work there; instead the space of possible
 * sources is searched directly, as PyOcto does for earthquakes (Muenchmeyer
 * 2024, research/pipelines.md section 3.4), adapted to sound:
 *
 *  1. Boxes of (x, y) and an exact sweep over origin time.  For a box, each
 *     pick at station k allows the origin times t_pick - T for every travel
 *     time T from the box to the station, given the station's temperature and
 *     wind and a speed tolerance: an interval.  Sorting the intervals' ends and
 *     sweeping counts, for every origin time at once, how many distinct
 *     stations agree.  That count bounds what any smaller box inside can reach
 *     (its intervals are narrower), so it drives a best-first branch and bound:
 *     the box with the highest bound is split in four, each child filtering its
 *     parent's picks, and leaves (LEAF_M) are turned into events at once.  When
 *     an event takes its picks, every box that counted on them loses support:
 *     boxes are re-scored when they come up and go back in line if they lost
 *     (lazy), so ghosts - places where picks of several real sources happen to
 *     line up - are mostly never expanded, because the real sources, which
 *     have more stations, are found first and take the picks.
 *  2. Only the stations nearest to a box vote for it (ASSOC_STATIONS): a
 *     source is heard first and best by its neighbours, and letting every
 *     station within 60 km vote would make chance alignments certain.  The
 *     farther stations join an event once it is located (locate/event.c).
 *     A box's children still get the picks of stations beyond its reach that
 *     some box inside it may count: a box reaching into the network counts the
 *     stations inside, while a source at the network's edge is nearest to
 *     others (docs/processing.md section 9).
 *  3. A leaf is scored by a fine grid search: for each grid point every pick
 *     votes for an origin time t_pick - T_k(x, y) with a tolerance that grows
 *     with distance; the largest set of distinct stations agreeing gives the
 *     candidate and its picks, one per station.
 *  4. The locator fits the candidate and the event is kept only if enough
 *     stations fit, it is unlikely to be a chance alignment (the
 *     significance test of locate/event.c) and its arrivals agree to within
 *     max_rms_s: a battery's regular pick trains line up at places kilometres
 *     away within every pick's own tolerance, but scatter there by 0.13 s rms
 *     and more, where a real source's arrivals agree to a few hundredths.
 *     A candidate with no more fitting stations than the minimum is held until
 *     the tile's next block has been searched and then tried again on the
 *     picks still free: a weak mixture of two rounds' picks, seen at the end of
 *     a block, does not take picks from the rounds the next block finds whole.
 *  5. Repeats: once an event is kept, other rounds from the same place (a
 *     salvo, a battery firing again) show as clusters of t_pick - T_k; one
 *     sweep finds them all.
 *
 * Blocks of origin time are two minutes long and start every minute
 * (pipeline.c): a block's picks are those its whole span may have made, but
 * its search looks at the origin times of its first minute (plus a margin of
 * SPAN_MARGIN_S), so that each origin time is searched once, with every pick
 * its source may have made.
 *
 * The work grows with the number of picks (each pick is tested only in boxes
 * its station can hear), and the area is tiled (tiles.c), so a long line costs
 * no more per pick than a short one.
 */
#include "../locate/locate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LEAF_M          150.0  /* leaf box side */
#define COARSE_STEP_M   75.0   /* grid step of the leaf search */
#define FINE_STEP_M     25.0   /* grid step around its best point */
#define MAX_CAND_PICKS  4096
#define ASSOC_STATIONS  20     /* stations that vote for a place: its nearest */
#define SWEEP_MIN_BOX_M 5000.0 /* boxes larger than this get a binned bound, not a sweep */
#define BIN_S           2.0    /* origin-time bin of that bound */
#define CHANCE_PER_BLOCK 0.05 /* chance alignments the search may have to look at per block */
#define REPEAT_WINDOW_S 60.0   /* repeats from one place are sought this far before and after */
#define REPEAT_PLACE_M  100.0  /* a firing position: a battery's guns stand tens of metres apart */
#define REPEAT_PASSES   8      /* sweeps of a repeat search, each over the picks the last left */
#define REPEAT_SHIFT_M  120.0  /* a round searched relative to a master may lie this far from it */
#define MAX_QUEUE       (1u << 22) /* boxes waiting, at most */
#define IDX_BITS        31     /* bits of an end's index in sort_endpts' words */
/* Work one tile and block may take, at most: a barrage can make the space of chance
 * alignments enormous; past these the block's weakest candidates are left (counted in
 * the run's statistics).  Sized so that a busy day stays within its time budget. */
#define MAX_BOXES_PER_BLOCK 15000
#define MAX_TRIES_PER_BLOCK 300
#define CORR_SD_MIN_MPS 0.2 /* least scatter allowed to the nominal model's corrections */
#define MAX_LINE_DIST_M 32000.0 /* the monitored band: sources farther from the line are not sought */
#define SPAN_MARGIN_S   2.0    /* a block searches its first half and this much of the next */

struct cpick {
    int32_t k;    /* tile station index */
    size_t pk;    /* pick index */
    double t;     /* clock-corrected time, s from epoch */
    float baz;    /* back azimuth in the tile frame (rad), NAN without an array bearing */
    float baz_tol; /* how far off it may be (rad): 3 sigma plus crosswind refraction */
};

struct box {
    double x0, x1, y0, y1, t0, t1;
};

/* Per tile-station data for this block. */
struct ksta {
    double x, y, z;
    double c, we, wn, wmag; /* speed of sound, wind, its magnitude */
    double scale;
};

/* A box waiting in the best-first queue, with the picks that may matter inside it. */
struct node {
    struct box b;
    int bound;
    struct cpick *picks;
    size_t n;
    double reach;   /* its box's reach (box_reach), or less: a box inside has no shorter one */
};

struct endpt {
    double t;
    int open; /* +1 opens, -1 closes */
    int32_t k;
};

/* Buffers the search reuses at every box and grid point instead of allocating them each
 * time (the sort, the sweep and the leaf search run hundreds of thousands of times a day).
 * Each grows to the largest size asked of it and is freed with the context. */
struct scratch {
    uint64_t *key;          /* sort_endpts: keys and their second buffer */
    size_t cap_key;
    struct endpt *tmp;
    size_t cap_tmp;
    struct endpt *ends;     /* score_box: interval ends and the intervals */
    size_t cap_ends;
    double *lohi;
    size_t cap_lohi;
    struct endpt *fends;    /* fine_search: its own interval ends, votes and selections */
    size_t cap_fends;
    struct vote *v;
    size_t cap_v;
    size_t *sel;
    size_t cap_sel;
    int32_t *sel_k;
    size_t cap_sel_k;
    struct cpick *cp;
    size_t cap_cp;
};

struct actx {
    struct tl_pipeline *p;
    size_t tile;
    const struct tl__tile *tl;
    const struct tl__metfield *mf;
    struct ksta *ks;
    int min_sta;            /* stations an event must keep */
    int need;               /* stations that must agree for the search to look (adaptive) */
    double max_range;
    double tol_mps;
    tl_time_ns block_from, block_to;
    double bt0, bt1;        /* block in seconds */
    long n_nodes, n_fine, n_try; /* work counters (debug log) */
    long n_lsq;             /* least-squares fits run (the expensive step) */
    int *cover;             /* per tile-station scratch for sweeps (all zero between uses) */
    struct scratch sc;      /* buffers reused from call to call (no allocation per box) */
    bool in_repeat;         /* inside a repeat search (no nesting) */
    bool retrying;          /* trying again the candidates held from the block before */
    uint64_t *rejected;     /* fingerprints of pick sets that did not make an event */
    size_t n_rej, cap_rej;
    int rc;
};

/* Squared distance from a point to the nearest point of a box (2-D); its square root is
 * tl__hypot of the same offsets, bit for bit. */
static inline double
box_dmin2(const struct box *b, double x, double y)
{
    double dx = x < b->x0 ? b->x0 - x : (x > b->x1 ? x - b->x1 : 0.0);
    double dy = y < b->y0 ? b->y0 - y : (y > b->y1 ? y - b->y1 : 0.0);
    return dx * dx + dy * dy;
}

/* Distance from a point to the farthest corner of a box (2-D).  The larger of two
 * magnitudes by comparison: fmax's result (neither is a NaN or a negative zero) without
 * its library call. */
static double
box_dmax(const struct box *b, double x, double y)
{
    double ax = fabs(x - b->x0), bx = fabs(x - b->x1);
    double ay = fabs(y - b->y0), by = fabs(y - b->y1);
    return tl__hypot(ax > bx ? ax : bx, ay > by ? ay : by);
}

/* Range of the wind's projection on the propagation directions from a box to the
 * station: the central direction's projection plus or minus |w| times the half-angle the
 * box spans (no trigonometry: this runs for every station at every node).  (dx, dy): the
 * station from the box's centre, dc its distance; half: the box's half-diagonal. */
static void
wind_proj_range(const struct ksta *s, double dx, double dy, double dc, double half,
                double *wmin, double *wmax)
{
    if (dc <= half * 1.5) {
        *wmin = -s->wmag;
        *wmax = s->wmag;
        return;
    }
    double wc = (s->we * dx + s->wn * dy) / dc;
    double spread = s->wmag * half / dc * 1.2; /* 1.2 covers asin(a) > a up to a = 2/3 */
    /* fmax and fmin by comparison (no NaN here; a zero's sign is lost adding the speed) */
    *wmin = wc - spread > -s->wmag ? wc - spread : -s->wmag;
    *wmax = wc + spread < s->wmag ? wc + spread : s->wmag;
}

/* The stations that may vote for sources in box b: the ASSOC_STATIONS nearest to it (by
 * closest approach), never beyond max_range.  A box inside b is no closer to any station,
 * so its reach is no shorter; score_box starts from the reach of the box around, and
 * works a box's own out only when a station with picks lies beyond that.  A source is heard first and best by its
 * nearest stations; letting every station within tens of km vote would let unrelated
 * picks from all over the network line up by chance.  The farther stations join an event
 * after it is located (locate/event.c).  The selection runs on the squared distances (the
 * square root keeps the order, so the want-th smallest distance is the root of the
 * want-th square).  With `farthest`, the distances are to the box's farthest point instead:
 * no box inside b has a longer reach than that (from any point of b the want-th nearest
 * station is no farther), so a station beyond it votes for none of them. */
static double
box_reach(const struct actx *a, const struct box *b, bool farthest)
{
    size_t n = a->tl->n_stations < 512 ? a->tl->n_stations : 512;
    double d[512];
    for (size_t k = 0; k < n; k++) {
        d[k] = farthest ? tl__sq(box_dmax(b, a->ks[k].x, a->ks[k].y))
                        : box_dmin2(b, a->ks[k].x, a->ks[k].y);
    }
    size_t want = ASSOC_STATIONS < n ? ASSOC_STATIONS : n;
    if (want == 0) {
        return 0.0;
    }
    /* quickselect the want-th smallest */
    size_t lo = 0, hi = n - 1, kth = want - 1;
    while (lo < hi) {
        double pivot = d[(lo + hi) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (d[i] < pivot) {
                i++;
            }
            while (d[j] > pivot) {
                j--;
            }
            if (i <= j) {
                double t = d[i];
                d[i] = d[j];
                d[j] = t;
                i++;
                if (j == 0) {
                    break;
                }
                j--;
            }
        }
        if (kth <= j) {
            hi = j;
        } else if (kth >= i) {
            lo = i;
        } else {
            break;
        }
    }
    double r = sqrt(d[kth]) + 1.0;
    return r < a->max_range ? r : a->max_range;
}

/* What a box looks like from one station: computed once per station, used for each of
 * its picks.  The direction is worked out only when a pick with a bearing asks for it
 * (half the stations have no array). */
struct view {
    bool in_reach;
    bool far;         /* beyond the box's reach, within a smaller box's: its picks do not
                         vote for this box but are kept for the boxes inside it */
    double dmin, dmax, vlo, vhi;
    double tol_s;     /* timing tolerance each side */
    double dx, dy, dc, half; /* box centre from the station, its distance, the box's half-diagonal */
    bool all_dirs;    /* span covers every direction (station inside or next to the box) */
    bool have_dir;    /* azi and span are set */
    double azi, span; /* direction of the box from the station and its half-width (rad) */
};

/* What box b, of half-diagonal `half`, looks like from tile station k.  *reach is the box's
 * reach, or (*exact false) no more than it: then it is worked out if the station lies
 * beyond.  With reach_far (the boxes inside b: worked out when first asked, if negative),
 * a station beyond the reach but within that of some box inside is `far`. */
static void
station_view(const struct actx *a, const struct box *b, double half, double *reach, bool *exact,
             double *reach_far, int32_t k, struct view *v)
{
    const struct ksta *s = &a->ks[k];
    double wmin, wmax;
    v->dmin = sqrt(box_dmin2(b, s->x, s->y));
    if (v->dmin > *reach && !*exact) {
        *reach = box_reach(a, b, false);
        *exact = true;
    }
    v->in_reach = v->dmin <= *reach;
    v->far = false;
    if (!v->in_reach && reach_far) {
        if (*reach_far < 0.0) {
            *reach_far = box_reach(a, b, true);
        }
        v->far = v->dmin <= *reach_far;
    }
    if (!v->in_reach && !v->far) {
        return;
    }
    double cx = 0.5 * (b->x0 + b->x1), cy = 0.5 * (b->y0 + b->y1);
    v->dx = cx - s->x;
    v->dy = cy - s->y;
    v->dc = sqrt(v->dx * v->dx + v->dy * v->dy);
    v->half = half;
    v->dmax = box_dmax(b, s->x, s->y);
    wind_proj_range(s, -v->dx, -v->dy, v->dc, half, &wmin, &wmax);
    double g = a->p->prm.downwind_gain;
    v->vhi = s->c + wmax * (wmax > 0.0 ? 1.0 + g : 1.0);
    v->vlo = s->c + wmin * (wmin > 0.0 ? 1.0 + g : 1.0);
    v->dmax = v->dmax < a->max_range ? v->dmax : a->max_range;
    /* the same tolerance the leaf search and the locator use: 2.5 sigma of pick, path and
     * turbulence noise at the box's far edge (so no source the locator would accept is
     * ever pruned, and no box lives on a looser criterion than its leaves) */
    v->tol_s = tl__assoc_window_s(a->tl, v->dmax);
    v->all_dirs = v->dc <= v->half;
    v->have_dir = false;
}

/* Origin-time interval pick c allows for a source in the box seen as `v`; false if out of
 * reach, if its bearing points elsewhere, or if it misses the box's time span. */
static bool
origin_interval(const struct box *b, struct view *v, const struct cpick *c, double *lo,
                double *hi)
{
    if (!v->in_reach && !v->far) {
        return false;
    }
    if (!isnan(c->baz) && !v->all_dirs) {
        if (!v->have_dir) {
            v->azi = atan2(v->dx, v->dy);
            v->span = asin(v->half / v->dc);
            v->have_dir = true;
        }
        if (fabs(tl__wrap_pi((double)c->baz - v->azi)) > v->span + (double)c->baz_tol) {
            return false;
        }
    }
    *lo = c->t - v->dmax / v->vlo - v->tol_s;
    *hi = c->t - v->dmin / v->vhi + v->tol_s;
    return *hi >= b->t0 && *lo <= b->t1;
}

static int
cmp_endpt(const void *a, const void *b)
{
    const struct endpt *x = a, *y = b;
    if (x->t != y->t) {
        return x->t < y->t ? -1 : 1;
    }
    return y->open - x->open; /* opens before closes at equal times */
}

static void
scratch_free(struct scratch *sc)
{
    tl_free(sc->key);
    tl_free(sc->tmp);
    tl_free(sc->ends);
    tl_free(sc->lohi);
    tl_free(sc->fends);
    tl_free(sc->v);
    tl_free(sc->sel);
    tl_free(sc->sel_k);
    tl_free(sc->cp);
}

/* Make buf hold at least n elements of size elem (the scratch buffers of struct scratch). */
static bool
scratch_fit(void *buf, size_t *cap, size_t n, size_t elem)
{
    return tl__grow((void **)buf, cap, n ? n : 1, elem, (size_t)1 << (IDX_BITS - 1)) == TL_OK;
}

/*
 * Sort interval ends by time, opens before closes at equal times (cmp_endpt's order).
 * This runs at every box of the search, so it is a radix sort on a 10-microsecond
 * integer key (8-bit passes, as many as the key's range needs, all counted in one read),
 * with insertion sort for short lists.  Its buffers are the context's scratch.
 */
static void
sort_endpts(struct scratch *sc, struct endpt *e, size_t n)
{
    if (n < 48) {
        /* stable insertion: each end moves down past the earlier ones greater than it */
        for (size_t i = 1; i < n; i++) {
            struct endpt t = e[i];
            size_t j = i;
            while (j > 0 && cmp_endpt(&t, &e[j - 1]) < 0) {
                e[j] = e[j - 1];
                j--;
            }
            e[j] = t;
        }
        return;
    }
    if (!scratch_fit(&sc->key, &sc->cap_key, 2 * n, sizeof(uint64_t)) ||
        !scratch_fit(&sc->tmp, &sc->cap_tmp, n, sizeof(struct endpt))) {
        qsort(e, n, sizeof(*e), cmp_endpt);
        return;
    }
    /* fmin's result without a libm call per element (a NaN start gives way, as in fmin;
     * which zero wins cannot change a key) */
    double tmin = e[0].t;
    for (size_t i = 1; i < n; i++) {
        tmin = e[i].t < tmin || isnan(tmin) ? e[i].t : tmin;
    }
    /* Each end is one word: its key (at most 33 bits) above its index (n < 2^30, the
     * scratch's limit, so 31 bits), and the passes sort on the key's bytes only.  A
     * stable sort on the key leaves equal keys in index order. */
    uint64_t *key = sc->key, *k2 = key + n;
    uint64_t kmax = 0;
    for (size_t i = 0; i < n; i++) {
        double q = (e[i].t - tmin) * 1e5;
        uint64_t tq = q < 4.0e9 ? (uint64_t)q : UINT64_C(4000000000);
        uint64_t k = (tq << 1) | (e[i].open > 0 ? 0u : 1u);
        key[i] = (k << IDX_BITS) | (uint64_t)i;
        kmax = k > kmax ? k : kmax;
    }
    int passes = 0;
    while (passes < 5 && (kmax >> (8 * passes)) != 0) {
        passes++;
    }
    size_t cnt[5][256];
    memset(cnt, 0, (size_t)passes * sizeof(cnt[0]));
    for (size_t i = 0; i < n; i++) {
        for (int p = 0; p < passes; p++) {
            cnt[p][(key[i] >> (IDX_BITS + 8 * p)) & 255u]++;
        }
    }
    for (int p = 0; p < passes; p++) {
        size_t sum = 0;
        for (size_t b = 0; b < 256; b++) {
            size_t c = cnt[p][b];
            cnt[p][b] = sum;
            sum += c;
        }
        /* stable scatter into the other buffer, then swap roles */
        int sh = IDX_BITS + 8 * p;
        for (size_t i = 0; i < n; i++) {
            k2[cnt[p][(key[i] >> sh) & 255u]++] = key[i];
        }
        uint64_t *t = key;
        key = k2;
        k2 = t;
    }
    struct endpt *tmp = sc->tmp;
    for (size_t i = 0; i < n; i++) {
        tmp[i] = e[key[i] & ((UINT64_C(1) << IDX_BITS) - 1)];
    }
    memcpy(e, tmp, n * sizeof(*e));
}

#define MAX_RUNS 256

/* Origin-time runs where enough stations agree, with the best time of each. */
struct runs {
    int n;            /* runs recorded; > MAX_RUNS means "too many to list" */
    double lo[MAX_RUNS], hi[MAX_RUNS], peak[MAX_RUNS];
    int count[MAX_RUNS];
};

/* What a sweep keeps as it goes: the largest count and when it was first reached, and
 * (with r) the runs of times where at least `need` stations agree. */
struct tally {
    int need, best, run_best;
    bool in_run;
    struct runs *r;
    double *best_t;
};

static struct tally
tally_start(int need, struct runs *r, double *best_t)
{
    if (r) {
        r->n = 0;
    }
    return (struct tally){need, 0, 0, false, r, best_t};
}

/* An interval opened at time t, with `count` stations agreeing after it. */
static void
tally_open(struct tally *s, int count, double t)
{
    if (count > s->best) {
        s->best = count;
        if (s->best_t) {
            *s->best_t = t;
        }
    }
    struct runs *r = s->r;
    if (count >= s->need && r) {
        if (!s->in_run) {
            s->in_run = true;
            s->run_best = 0;
            if (r->n < MAX_RUNS) {
                r->lo[r->n] = t;
            }
        }
        if (count > s->run_best && r->n < MAX_RUNS) {
            s->run_best = count;
            r->peak[r->n] = t;
            r->count[r->n] = count;
        }
    }
}

/* An interval closed at time t, with `count` stations agreeing after it. */
static void
tally_close(struct tally *s, int count, double t)
{
    if (s->in_run && count < s->need) {
        if (s->r->n < MAX_RUNS) {
            s->r->hi[s->r->n] = t;
        }
        s->r->n++;
        s->in_run = false;
    }
}

/* Sweep the intervals: the largest number of distinct stations agreeing on one origin
 * time, and (with `r`) the runs of origin times where at least `need` agree. */
static int
sweep(struct scratch *sc, struct endpt *ends, size_t ne, int *cover, int need, struct runs *r,
      double *best_t)
{
    sort_endpts(sc, ends, ne);
    struct tally s = tally_start(need, r, best_t);
    int distinct = 0;
    for (size_t e = 0; e < ne; e++) {
        int32_t k = ends[e].k;
        if (ends[e].open > 0) {
            if (cover[k]++ == 0) {
                distinct++;
            }
            tally_open(&s, distinct, ends[e].t);
        } else {
            if (--cover[k] == 0) {
                distinct--;
            }
            tally_close(&s, distinct, ends[e].t);
        }
    }
    return s.best;
}

struct vote {
    double o, tol;
    int32_t k;
    size_t pk;
};

/* Append station k's interval [lo, hi] to the ends.  The sweeps count distinct stations, so
 * an interval that overlaps the same station's previous one (a station's picks come in time
 * order) only widens it: their union counts the same, on fewer ends to sort. */
static void
add_interval(struct endpt *ends, size_t *ne, int32_t k, double lo, double hi)
{
    size_t n = *ne;
    if (n > 0 && ends[n - 1].k == k && lo >= ends[n - 2].t && lo <= ends[n - 1].t) {
        ends[n - 1].t = hi > ends[n - 1].t ? hi : ends[n - 1].t;
        return;
    }
    ends[n] = (struct endpt){lo, 1, k};
    ends[n + 1] = (struct endpt){hi, -1, k};
    *ne = n + 2;
}

/* The interval ends of votes [o - tol, o + tol]; returns their count. */
static size_t
vote_ends(const struct vote *v, size_t nv, struct endpt *ends)
{
    size_t ne = 0;
    for (size_t i = 0; i < nv; i++) {
        add_interval(ends, &ne, v[i].k, v[i].o - v[i].tol, v[i].o + v[i].tol);
    }
    return ne;
}

/* The sweep over intervals given as their opens lo[] and their closes hi[], each sorted
 * by time: sweep()'s answer over their ends in order (opens first at equal times; the
 * order among equal times does not change a time recorded) when a station's intervals
 * are disjoint, so that the number of intervals open is the number of distinct stations. */
static int
sweep_sorted(const double *lo, const double *hi, size_t m, int need, struct runs *r,
             double *best_t)
{
    struct tally s = tally_start(need, r, best_t);
    int open = 0;
    /* every interval closes after it opens: closes are left while opens are */
    for (size_t i = 0, j = 0; j < m;) {
        if (i < m && lo[i] <= hi[j]) {
            tally_open(&s, ++open, lo[i++]);
        } else {
            tally_close(&s, --open, hi[j++]);
        }
    }
    return s.best;
}

/* Sort a few times in place (insertion). */
static void
sort_times(double *t, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = t[i];
        size_t j = i;
        while (j > 0 && t[j - 1] > x) {
            t[j] = t[j - 1];
            j--;
        }
        t[j] = x;
    }
}

/* sweep() over the ends add_interval made: fewer than 48, which sort_endpts puts in exact
 * order, are swept as their opens and closes sorted apart (a station's intervals are
 * disjoint for picks in time order; sweep() itself when they are not). */
static int
sweep_ends(struct scratch *sc, struct endpt *ends, size_t ne, int *cover, int need,
           struct runs *r, double *best_t)
{
    double lo[24], hi[24];
    size_t m = ne / 2;
    bool disjoint = ne < 48;
    for (size_t j = 0; j < m && disjoint; j++) {
        lo[j] = ends[2 * j].t;
        hi[j] = ends[2 * j + 1].t;
        disjoint = j == 0 || ends[2 * j].k != ends[2 * j - 2].k || lo[j] > hi[j - 1];
    }
    if (!disjoint) {
        return sweep(sc, ends, ne, cover, need, r, best_t);
    }
    sort_times(lo, m);
    sort_times(hi, m);
    return sweep_sorted(lo, hi, m, need, r, best_t);
}

/* Best origin time for one grid point: the time covered by the intervals [o - tol, o + tol]
 * of the most distinct stations (a sweep over the sorted interval ends).  Fills sel[] with
 * one vote per station, the one closest to the chosen origin. */
static int
best_origin(struct scratch *sc, const struct vote *v, size_t nv, double *t0, double *spread,
            size_t *sel, int32_t *sel_k, struct endpt *ends, int *cover)
{
    size_t ne = vote_ends(v, nv, ends);
    double best_t = 0;
    int best = sweep_ends(sc, ends, ne, cover, 1, NULL, &best_t);
    if (best == 0) {
        return 0;
    }
    /* the members: intervals holding best_t; centre on their mean, one vote per station */
    double s = 0;
    int m = 0;
    for (size_t i = 0; i < nv; i++) {
        if (fabs(v[i].o - best_t) <= v[i].tol) {
            s += v[i].o;
            m++;
        }
    }
    double tc = m ? s / m : best_t;
    int n = 0;
    double sp = 0;
    for (size_t i = 0; i < nv; i++) {
        if (fabs(v[i].o - tc) > v[i].tol) {
            continue;
        }
        int j = 0;
        while (j < n && sel_k[j] != v[i].k) {
            j++;
        }
        if (j == n) {
            sel_k[n] = v[i].k;
            sel[n++] = i;
        } else if (fabs(v[i].o - tc) < fabs(v[sel[j]].o - tc)) {
            sel[j] = i;
        }
    }
    for (int j = 0; j < n; j++) {
        sp += fabs(v[sel[j]].o - tc) / v[sel[j]].tol;
    }
    *t0 = tc;
    *spread = sp;
    return n;
}

struct fine {
    int score;
    double x, y, t0, spread;
    size_t n;
    size_t pk[256];
    int32_t k[256];
};

/* Votes of the candidate picks for origin times at grid point (gx, gy); *nsta counts the
 * stations among them (no origin time can have more agreeing).  The picks come grouped by
 * station, so the path to a station (distance, speed, direction, tolerance) is worked out
 * once for all of its picks. */
static size_t
votes_at(const struct actx *a, const struct cpick *cp, size_t n, double gx, double gy,
         double quant_m, double tmin, double tmax, struct vote *v, int *nsta)
{
    size_t nv = 0;
    *nsta = 0;
    int32_t cur = -1;
    double dx = 0, dy = 0, d = 0, vv = 0, tt = 0, tol = 0, azi = 0;
    bool have_azi = false;
    for (size_t i = 0; i < n; i++) {
        if (cp[i].k != cur) {
            cur = cp[i].k;
            const struct ksta *s = &a->ks[cur];
            dx = s->x - gx;
            dy = s->y - gy;
            d = sqrt(dx * dx + dy * dy);
            double wpar = d > 1 ? (s->we * dx + s->wn * dy) / d : 0.0;
            vv = s->c + wpar * (wpar > 0.0 ? 1.0 + a->p->prm.downwind_gain : 1.0);
            tt = d / vv;
            /* what the locator will accept: 2.5 sigma of the path error the tile has learnt
             * (and turbulence), plus the grid's own quantisation */
            tol = tl__assoc_window_s(a->tl, d) + 0.75 * quant_m / vv;
            have_azi = false;
        }
        if (d > a->max_range) {
            continue;
        }
        double o = cp[i].t - tt;
        if (o < tmin || o > tmax) {
            continue;
        }
        if (!isnan(cp[i].baz) && d > 1) {
            if (!have_azi) {
                azi = atan2(-dx, -dy);
                have_azi = true;
            }
            if (fabs(tl__wrap_pi((double)cp[i].baz - azi)) > (double)cp[i].baz_tol) {
                continue;
            }
        }
        *nsta += nv == 0 || v[nv - 1].k != cp[i].k;
        v[nv].o = o;
        v[nv].tol = tol;
        v[nv].k = cp[i].k;
        v[nv].pk = cp[i].pk;
        nv++;
    }
    return nv;
}

/* Score a leaf for one origin-time window with the picks still free: a coarse grid over the
 * leaf, then a fine grid around its best point.  Returns the number of stations of the best candidate. */
static int
fine_search(struct actx *a, const struct box *leaf, const struct cpick *in, size_t n_in,
            struct fine *best)
{
    best->score = 0;
    best->n = 0;
    best->spread = HUGE_VAL;
    /* the picks that are still free */
    struct scratch *sc = &a->sc;
    if (!scratch_fit(&sc->cp, &sc->cap_cp, n_in, sizeof(struct cpick))) {
        a->rc = TL_ENOMEM;
        return 0;
    }
    struct cpick *cp = sc->cp;
    size_t n = 0;
    for (size_t i = 0; i < n_in; i++) {
        if (a->p->pk[in[i].pk].ev < 0) {
            cp[n++] = in[i];
        }
    }
    int nsta = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || cp[i].k != cp[i - 1].k) {
            nsta++;
        }
    }
    if (nsta < a->need) {
        return 0;
    }
    if (!scratch_fit(&sc->v, &sc->cap_v, n, sizeof(struct vote)) ||
        !scratch_fit(&sc->fends, &sc->cap_fends, 2 * n, sizeof(struct endpt)) ||
        !scratch_fit(&sc->sel, &sc->cap_sel, n, sizeof(size_t)) ||
        !scratch_fit(&sc->sel_k, &sc->cap_sel_k, n, sizeof(int32_t))) {
        a->rc = TL_ENOMEM;
        return 0;
    }
    struct vote *v = sc->v;
    size_t *sel = sc->sel;
    int32_t *sel_k = sc->sel_k;
    /* two levels: the leaf at COARSE_STEP_M, then +-COARSE_STEP_M around the best point */
    double cx = 0, cy = 0;
    for (int level = 0; level < 2; level++) {
        double step = level == 0 ? COARSE_STEP_M : FINE_STEP_M;
        double x0 = level == 0 ? leaf->x0 : cx - COARSE_STEP_M;
        double x1 = level == 0 ? leaf->x1 : cx + COARSE_STEP_M;
        double y0 = level == 0 ? leaf->y0 : cy - COARSE_STEP_M;
        double y1 = level == 0 ? leaf->y1 : cy + COARSE_STEP_M;
        int nx = (int)ceil((x1 - x0) / step), ny = (int)ceil((y1 - y0) / step);
        int lbest = 0;
        double lsp = HUGE_VAL;
        for (int ix = 0; ix < nx; ix++) {
            for (int iy = 0; iy < ny; iy++) {
                double gx = x0 + (ix + 0.5) * (x1 - x0) / nx;
                double gy = y0 + (iy + 0.5) * (y1 - y0) / ny;
                int vsta;
                size_t nv =
                    votes_at(a, cp, n, gx, gy, step, leaf->t0 - 0.5, leaf->t1 + 0.5, v, &vsta);
                /* fewer stations than the best so far: this point can neither beat nor tie
                 * it, so its sweep is skipped */
                if (nv < (size_t)a->need || vsta < lbest) {
                    continue;
                }
                double t0 = 0, sp = 0;
                int cnt = best_origin(sc, v, nv, &t0, &sp, sel, sel_k, sc->fends, a->cover);
                if (cnt > lbest || (cnt == lbest && sp < lsp)) {
                    lbest = cnt;
                    lsp = sp;
                    cx = gx;
                    cy = gy;
                    if (level == 1) {
                        best->score = cnt;
                        best->x = gx;
                        best->y = gy;
                        best->t0 = t0;
                        best->spread = sp;
                        best->n = 0;
                        for (int j = 0; j < cnt && best->n < 256; j++) {
                            best->pk[best->n] = v[sel[j]].pk;
                            best->k[best->n] = v[sel[j]].k;
                            best->n++;
                        }
                    }
                }
            }
        }
        if (lbest < a->need) {
            break;
        }
    }
    return best->score;
}

static int
cmp_size(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return a < b ? -1 : (a > b);
}
/* Order-free fingerprint of a pick set. */
static uint64_t
fingerprint(const size_t *pk, size_t n)
{
    size_t tmp[256];
    memcpy(tmp, pk, n * sizeof(size_t));
    qsort(tmp, n, sizeof(size_t), cmp_size);
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint64_t)tmp[i];
        h *= 0x100000001b3u;
        h ^= h >> 29;
    }
    return h;
}
static bool
was_rejected(const struct actx *a, uint64_t fp)
{
    for (size_t i = 0; i < a->n_rej; i++) {
        if (a->rejected[i] == fp) {
            return true;
        }
    }
    return false;
}

static int try_event(struct actx *a, const struct fine *f, const struct tl__search *s);

/* The search of the boxes, and of what a block held back: the whole tile over a block. */
static const struct tl__search whole_tile = {0, 0, 0, 0, false};

/* The candidate of a repeat at origin time `peak`: one vote per station, the closest to
 * the peak within its tolerance, among the picks still free (tt: travel times to the tile's
 * stations). */
static void
peak_candidate(const struct tl_pipeline *p, const struct vote *v, size_t nv, const double *tt,
               double peak, struct fine *f)
{
    f->n = 0;
    f->t0 = peak;
    for (size_t i = 0; i < nv; i++) {
        if (fabs(v[i].o - peak) > v[i].tol || p->pk[v[i].pk].ev >= 0) {
            continue;
        }
        size_t m = 0;
        while (m < f->n && f->k[m] != v[i].k) {
            m++;
        }
        if (m == f->n && f->n < 256) {
            f->k[f->n] = v[i].k;
            f->pk[f->n++] = v[i].pk;
        } else if (m < f->n) {
            double cur = tl__pk_time_s(p, f->pk[m]) - tt[v[i].k];
            if (fabs(v[i].o - peak) < fabs(cur - peak)) {
                f->pk[m] = v[i].pk;
            }
        }
    }
    f->score = (int)f->n;
}

/* Buffers of a repeat search relative to a master (relative_candidate), each of nv. */
struct relbuf {
    struct vote *near, *shifted;
    size_t *sel;
    int32_t *sel_k;
    struct endpt *ends;
};

/*
 * The candidate of a round near the master's place, for a run peaking at `peak`: the votes
 * within reach of the peak, each shifted as if the source had moved by (dx, dy) - a pick
 * arrives slow_x dx + slow_y dy later (slowness towards the station, s/m) - on a grid around
 * the place (40 m steps out to REPEAT_SHIFT_M, then 10 m steps around the best point); the
 * shift at which the most stations agree, with the least spread, gives one pick per station,
 * the origin time and the place to start the fit from.  The guns of a battery stand tens of
 * metres apart and the rounds of a fire mission land around their aim point, so the windows
 * of a master's own paths are too narrow for a round fired or fallen a little elsewhere; the
 * shifts make them fit it again.
 */
static void
relative_candidate(struct actx *a, const struct vote *v, size_t nv, const double *slow_x,
                   const double *slow_y, double x_m, double y_m, double peak,
                   const struct relbuf *b, struct fine *f)
{
    size_t m = 0;
    for (size_t i = 0; i < nv; i++) {
        double reach = (REPEAT_SHIFT_M + 20.0) * tl__hypot(slow_x[v[i].k], slow_y[v[i].k]);
        if (fabs(v[i].o - peak) <= v[i].tol + reach && a->p->pk[v[i].pk].ev < 0) {
            b->near[m++] = v[i];
        }
    }
    int best = 0;
    double best_sp = HUGE_VAL, cx = 0, cy = 0;
    f->n = 0;
    f->t0 = peak;
    for (int level = 0; level < 2; level++) {
        double step = level == 0 ? 40.0 : 10.0, ox = cx, oy = cy;
        int half = level == 0 ? (int)(REPEAT_SHIFT_M / 40.0) : 2;
        for (int ix = -half; ix <= half; ix++) {
            for (int iy = -half; iy <= half; iy++) {
                double dx = ox + ix * step, dy = oy + iy * step;
                for (size_t i = 0; i < m; i++) {
                    b->shifted[i] = b->near[i];
                    b->shifted[i].o -= slow_x[b->near[i].k] * dx + slow_y[b->near[i].k] * dy;
                }
                double t0 = 0, sp = 0;
                int cnt = best_origin(&a->sc, b->shifted, m, &t0, &sp, b->sel, b->sel_k, b->ends,
                                      a->cover);
                if (cnt > 0 && (cnt > best || (cnt == best && sp < best_sp))) {
                    best = cnt;
                    best_sp = sp;
                    cx = dx;
                    cy = dy;
                    f->t0 = t0;
                    f->n = 0;
                    for (int j = 0; j < cnt && f->n < 256; j++) {
                        f->pk[f->n] = b->shifted[b->sel[j]].pk;
                        f->k[f->n++] = b->shifted[b->sel[j]].k;
                    }
                }
            }
        }
    }
    f->score = (int)f->n;
    f->x = x_m + cx;
    f->y = y_m + cy;
}

/*
 * Repeats: a gun or a rocket launcher fires again and again from the same place, a
 * salvo puts 40 rounds in 20 s at one point.  Once an event is located, the travel time
 * from it to every station is known, so every other round from the same place shows as
 * a cluster of origin times t_pick - T_k across stations: a sweep over the free picks
 * near it finds them, with the tight tolerance of a known location.  Each cluster is
 * then located and tested like any candidate (it may have moved a little).  Clusters of
 * rounds fired closer together than the tolerance allows merge into one run; once its
 * peak has made an event and taken its picks, the run is swept again.
 *
 * `relative`: the travel times are the event's own - its picks less its origin time, at
 * the stations it used - as in master-event and double-difference location (Waldhauser
 * and Ellsworth 2000): rounds from one place within a minute cross the same air, so the
 * path errors the met model leaves (tens to hundreds of milliseconds at 20 km, windy) are
 * the master's too and cancel; what is left is two picks' errors and two turbulences, and
 * the windows shrink to that.  Rounds half a second apart, whose model windows touch and
 * merge, come apart.  Each run's candidate is then sought over shifts of the place
 * (relative_candidate).  The search by the model follows, over the picks left.
 */
static void
repeat_search(struct actx *a, size_t ev, bool relative)
{
    struct tl_pipeline *p = a->p;
    const struct tl__tile *tl = a->tl;
    const struct tl__ev *e = &p->ev[ev];
    double ex = e->x, ey = e->y, ez = e->z, et0 = e->t0_s;
    struct tl__lsol sol;
    memset(&sol, 0, sizeof(sol));
    sol.dwe = e->dwind_e;
    sol.dwn = e->dwind_n;
    sol.dc = e->dc;
    size_t cap = 0, nv = 0, ns = tl->n_stations + 1;
    struct vote *v = NULL;
    struct relbuf b = {0};
    /* per tile station: travel time, tolerance, slowness east and north, and the time and
     * variance of the master's own pick there (NAN where it used none) */
    double *st = tl_malloc(6 * ns * sizeof(double));
    if (!st) {
        a->rc = TL_ENOMEM;
        goto done;
    }
    double *tt = st, *tol = st + ns, *slow_x = st + 2 * ns, *slow_y = st + 3 * ns;
    double *master_t_s = st + 4 * ns, *master_var_s2 = st + 5 * ns;
    for (size_t k = 0; k < tl->n_stations; k++) {
        master_t_s[k] = NAN;
    }
    for (size_t i = 0; relative && i < e->pub.n_arrivals; i++) {
        const struct tl__pk *q = &p->pk[e->picks[i]];
        long k = tl__tile_k(tl, (size_t)q->sta);
        if (e->pub.arrivals[i].weight >= 0.5 && k >= 0) {
            master_t_s[k] = tl__pk_time_s(p, e->picks[i]);
            master_var_s2[k] = tl__pick_var_s2(q);
        }
    }
    double loc_m = sqrt(fmax(e->cov[0][0] + e->cov[1][1], 0.0)), loc_s = loc_m / 330.0;
    for (size_t k = 0; k < tl->n_stations; k++) {
        struct tl__lobs o;
        tl__station_obs(p, tl, k, &o);
        double d = tl__hypot(o.sx - ex, o.sy - ey);
        tt[k] = -1;
        if (d > a->max_range || (relative && isnan(master_t_s[k]))) {
            continue;
        }
        tl__metfield_path(a->mf, ex, ey, o.sx, o.sy, &o.temp_c, &o.we, &o.wn);
        tt[k] = tl__locate_predict(&o, &sol, ex, ey, ez, et0) - et0;
        tol[k] = 0.03 + 3.0 * sqrt(tl__path_var_s2(tl, d) + loc_s * loc_s);
        if (relative) {
            double c = fmax(d / fmax(tt[k], 1e-3), 100.0);
            slow_x[k] = d > 1.0 ? -(o.sx - ex) / (d * c) : 0.0;
            slow_y[k] = d > 1.0 ? -(o.sy - ey) / (d * c) : 0.0;
            tt[k] = master_t_s[k] - et0;
            tol[k] = fmin(tol[k], 0.03 + 3.0 * sqrt(2.0 * master_var_s2[k] +
                                                    2.0 * tl__turbulence_var_s2(d)));
        }
        const struct tl__sta_index *x = &p->sx[tl->stations[k]];
        double lo_t = et0 - REPEAT_WINDOW_S + tt[k], hi_t = et0 + REPEAT_WINDOW_S + tt[k];
        size_t lo = tl__sta_first_pick(p, x, lo_t);
        for (size_t i = lo; i < x->n_picks; i++) {
            double t = tl__pk_time_s(p, x->picks[i]);
            if (t > hi_t) {
                break;
            }
            if (p->pk[x->picks[i]].ev >= 0) {
                continue;
            }
            if (nv == cap) {
                size_t nc = cap ? 2 * cap : 256;
                struct vote *g = tl_realloc(v, nc * sizeof(*v));
                if (!g) {
                    a->rc = TL_ENOMEM;
                    goto done;
                }
                v = g;
                cap = nc;
            }
            v[nv].o = t - tt[k];
            v[nv].tol = tol[k];
            v[nv].k = (int32_t)k;
            v[nv].pk = x->picks[i];
            nv++;
        }
    }
    if (nv < (size_t)a->min_sta) {
        goto done;
    }
    struct endpt *ends = tl_malloc(2 * nv * sizeof(*ends));
    struct runs *r = tl_malloc(sizeof(*r));
    struct fine *f = tl_malloc(sizeof(*f));
    if (relative) {
        b.near = tl_malloc(nv * sizeof(*b.near));
        b.shifted = tl_malloc(nv * sizeof(*b.shifted));
        b.sel = tl_malloc(nv * sizeof(*b.sel));
        b.sel_k = tl_malloc(nv * sizeof(*b.sel_k));
        b.ends = tl_malloc(2 * nv * sizeof(*b.ends));
    }
    if (!ends || !r || !f ||
        (relative && (!b.near || !b.shifted || !b.sel || !b.sel_k || !b.ends))) {
        tl_free(ends);
        tl_free(r);
        tl_free(f);
        a->rc = TL_ENOMEM;
        goto done;
    }
    /* the place searched: the gun's, give or take the battery's spread and the event's own
     * uncertainty (its fields read before any try_event can move p->ev) */
    struct tl__search here = {ex, ey, REPEAT_PLACE_M + 2.0 * loc_m, 2.0 * REPEAT_WINDOW_S, false};
    /* Rounds fired half a second apart make runs that touch and merge into one, of which
     * only the peak is tried.  Every vote of one round holds its origin time, so its run is
     * about as long as their widest tolerance window or shorter; a longer run is taken to
     * hold more rounds, and is swept again over the picks left once its peak has taken its
     * own, until a pass keeps nothing there.  A candidate of these later passes must stay
     * at the place (`stay`): leftovers that fit somewhere else are not the rounds sought -
     * a volley's remaining picks once made a 15-station ghost 11 km away, 14 s early. */
    double wmax = 0;
    for (size_t i = 0; i < nv; i++) {
        wmax = fmax(wmax, 2.0 * v[i].tol);
    }
    double merged_lo[MAX_RUNS], merged_hi[MAX_RUNS];
    int n_merged = 0;
    for (int pass = 0; pass < REPEAT_PASSES && a->rc == TL_OK; pass++) {
        here.stay = pass > 0;
        size_t nfree = 0;
        for (size_t i = 0; i < nv; i++) {
            if (p->pk[v[i].pk].ev < 0) {
                v[nfree++] = v[i];
            }
        }
        nv = nfree;
        if (nv < (size_t)a->min_sta) {
            break;
        }
        size_t ne = vote_ends(v, nv, ends);
        sweep(&a->sc, ends, ne, a->cover, a->min_sta, r, NULL);
        int kept = 0, n_prev = n_merged;
        double prev_lo[MAX_RUNS], prev_hi[MAX_RUNS];
        memcpy(prev_lo, merged_lo, (size_t)n_prev * sizeof(double));
        memcpy(prev_hi, merged_hi, (size_t)n_prev * sizeof(double));
        n_merged = 0;
        for (int j = 0; j < r->n && j < MAX_RUNS && a->rc == TL_OK; j++) {
            bool inside = pass == 0;
            for (int m = 0; m < n_prev && !inside; m++) {
                inside = r->lo[j] <= prev_hi[m] && r->hi[j] >= prev_lo[m];
            }
            if (!inside) {
                continue;
            }
            if (r->hi[j] - r->lo[j] > wmax) {
                merged_lo[n_merged] = r->lo[j];
                merged_hi[n_merged++] = r->hi[j];
            }
            if (relative) {
                relative_candidate(a, v, nv, slow_x, slow_y, ex, ey, r->peak[j], &b, f);
            } else {
                peak_candidate(p, v, nv, tt, r->peak[j], f);
                f->x = ex;
                f->y = ey;
            }
            if (f->score >= a->min_sta) {
                kept += try_event(a, f, &here);
            }
        }
        if (!kept || !n_merged) {
            break;
        }
    }
    tl_free(ends);
    tl_free(r);
    tl_free(f);
done:
    tl_free(v);
    tl_free(st);
    tl_free(b.near);
    tl_free(b.shifted);
    tl_free(b.sel);
    tl_free(b.sel_k);
    tl_free(b.ends);
}

/*
 * The path-to-path error (s per km) one well-observed event shows beyond its picks' own
 * errors and turbulence: the e for which the median of r^2 / (sigma_pick^2 + sigma_turb^2 +
 * e^2 km^2) over its used arrivals (3 km and beyond) is the median of chi-square with one
 * degree of freedom, 0.455 - a median, so that the odd pick of another source moves it
 * little - with the residuals made up, n / (n - 3), for the three unknowns (x, y, t0) the
 * fit took from the n used.  Zero where the picks and turbulence explain the residuals
 * already, or too few picks were used to tell.
 */
static double
path_sd_of_event(const struct tl_pipeline *p, const struct tl__ev *e)
{
    enum { MAX_R = 64 };
    double r2[MAX_R], s2[MAX_R], km2[MAX_R], q[MAX_R];
    size_t m = 0, used = 0;
    for (size_t i = 0; i < e->pub.n_arrivals; i++) {
        used += e->pub.arrivals[i].weight >= 0.5;
    }
    if (used <= 3) {
        return 0.0;
    }
    for (size_t i = 0; i < e->pub.n_arrivals && m < MAX_R; i++) {
        const struct tl_arrival *ar = &e->pub.arrivals[i];
        if (ar->weight >= 0.5 && ar->dist_m > 3000.0) {
            r2[m] = tl__sq(ar->residual_s) * (double)used / (double)(used - 3);
            s2[m] = tl__pick_var_s2(&p->pk[e->picks[i]]) + tl__turbulence_var_s2(ar->dist_m);
            km2[m] = tl__sq(ar->dist_m / 1000.0);
            m++;
        }
    }
    double lo = 0.0, hi = TL__PATH_SD_MAX_S_PER_KM;
    for (int it = 0; it < 40; it++) {
        double mid = it == 0 ? lo : 0.5 * (lo + hi);
        for (size_t i = 0; i < m; i++) {
            q[i] = r2[i] / (s2[i] + mid * mid * km2[i]);
        }
        sort_times(q, m);
        double med = m % 2 ? q[m / 2] : 0.5 * (q[m / 2 - 1] + q[m / 2]);
        if (it == 0) {
            if (med <= 0.455) {
                return 0.0;
            }
        } else if (med > 0.455) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return 0.5 * (lo + hi);
}

/* A candidate held back for its tile's next block (try_event). */
struct tl__held {
    size_t tile;
    tl_time_ns block_from; /* of the block that held it */
    struct fine f;
};

/* Try to make an event from the picks a search selected (s: where it looked).  Returns 1
 * if kept. */
static int
try_event(struct actx *a, const struct fine *f, const struct tl__search *s)
{
    struct tl_pipeline *p = a->p;
    uint64_t fp = fingerprint(f->pk, f->n);
    if (!a->retrying && was_rejected(a, fp)) {
        return 0;
    }
    struct tl__ev *e = tl__ev_push(p);
    if (!e) {
        a->rc = TL_ENOMEM;
        return 0;
    }
    e->tile = a->tile;
    e->x = f->x;
    e->y = f->y;
    e->t0_s = f->t0;
    e->picks = tl_malloc(f->n * sizeof(size_t));
    if (!e->picks) {
        a->rc = TL_ENOMEM;
        p->n_ev--;
        return 0;
    }
    memcpy(e->picks, f->pk, f->n * sizeof(size_t));
    e->n_picks = f->n;
    a->n_lsq++;
    int rc = tl__locate_event(p, e, a->mf, s);
    TL_LOG(TL_LOG_DEBUG, "assoc", "cand fine (%.0f %.0f %.2f) n=%zu score=%d -> (%.0f %.0f %.2f) nsta=%d rms=%.3f rc=%d",
           f->x, f->y, f->t0, f->n, f->score, e->x, e->y, e->t0_s, e->pub.n_stations, e->pub.rms_s, rc);
    if (rc == TL_ENOMEM) {
        a->rc = rc;
    }
    /* The block only partitions the search; an event found from it may have its origin
     * before or after it (range-time trade-off of sources outside the network). */
    bool keep = rc == TL_OK && e->n_fit_check >= a->min_sta && e->pub.n_stations >= a->min_sta &&
                e->significance > TL__MIN_SIGNIFICANCE &&
                e->t0_s >= a->bt0 - 3.0 * p->prm.max_range_m / 300.0 &&
                e->t0_s < a->bt1 + p->prm.max_range_m / 300.0;
    /* Any tile may keep an event inside its search area: picks are shared, each goes to
     * one event only, so an event near a tile boundary cannot be found twice. */
    if (keep) {
        keep = e->x >= a->tl->min_x && e->x <= a->tl->max_x && e->y >= a->tl->min_y &&
               e->y <= a->tl->max_y;
    }
    if (keep) {
        double la, lo, h, q[3] = {e->x, e->y, e->z};
        struct tl_line_pos pos;
        tl_enu_to_geo(&a->tl->frame, q, &la, &lo, &h);
        tl_mission_line_pos(p->m, la, lo, &pos);
        keep = pos.dist_m <= MAX_LINE_DIST_M;
    }
    if (keep && !(e->pub.rms_s <= p->prm.max_rms_s)) {
        p->assoc_stats.refused_rms++;
        keep = false;
    }
    /* the weakest wait for the next block (tl__associate); if they cannot, they go on now */
    if (keep && !a->retrying && !a->in_repeat && e->n_fit_check <= a->min_sta &&
        tl__grow((void **)&p->held, &p->cap_held, p->n_held + 1, sizeof(*p->held),
                 (size_t)1 << 20) == TL_OK) {
        p->held[p->n_held++] = (struct tl__held){a->tile, a->block_from, *f};
        keep = false;
    }
    if (!keep) {
        TL_LOG(TL_LOG_DEBUG, "assoc", "reject n=%zu fit=%d nsta=%d sig=%.1f rc=%d", f->n,
               e->n_fit_check, e->pub.n_stations, e->significance, rc);
        tl__ev_free_contents(e);
        p->n_ev--;
        if (tl__grow((void **)&a->rejected, &a->cap_rej, a->n_rej + 1, sizeof(uint64_t),
                     (size_t)1 << 24) == TL_OK) {
            a->rejected[a->n_rej++] = fp;
        }
        return 0;
    }
    int32_t idx = (int32_t)(e - p->ev);
    /* Well-observed events teach the tile how far the met model is off: the common
     * correction and how much single events scatter around it, and the path-to-path error
     * left after it, twice.  Association's windows take 1.25 x the mean |residual| per km
     * of path, which holds each pick's own error and turbulence too and so errs wide, as a
     * search window may.  The locator weighs each pick by its own sigma, turbulence and the
     * path error, so for it the path error is what the residuals hold beyond the first two
     * (path_sd_of_event), a running mean over all events until 20 have been seen.  It errs
     * low: a mean of square roots of noisy variances, and the joint corrections take up
     * part of each path's error (a world of 2 ms/km gives 1.2-1.5, test_process).  The
     * ways to mend that - a mean of squares, residuals made up for six unknowns - made a
     * loop run away on barrage days (a wider window takes in other sources' picks, whose
     * residuals widen it further: 10-15 ms/km within hours), and the jackknife
     * (event.c) measures the scatter whatever sigma the picks were given. */
    if (e->n_fit_check >= 8) {
        struct tl__tile *wt = &p->tiles[a->tile];
        double alpha = 0.1;
        double v_dc = tl__sq(e->dc - wt->learnt.dc_mps);
        double v_w = 0.5 * (tl__sq(e->dwind_e - wt->learnt.dwind_e_mps) +
                            tl__sq(e->dwind_n - wt->learnt.dwind_n_mps));
        wt->learnt.sd_dc_mps = fmax(CORR_SD_MIN_MPS,
                                  sqrt(tl__sq(wt->learnt.sd_dc_mps) +
                                       alpha * (v_dc - tl__sq(wt->learnt.sd_dc_mps))));
        wt->learnt.sd_wind_mps = fmax(CORR_SD_MIN_MPS,
                                    sqrt(tl__sq(wt->learnt.sd_wind_mps) +
                                         alpha * (v_w - tl__sq(wt->learnt.sd_wind_mps))));
        wt->learnt.dc_mps += alpha * (e->dc - wt->learnt.dc_mps);
        wt->learnt.dwind_e_mps += alpha * (e->dwind_e - wt->learnt.dwind_e_mps);
        wt->learnt.dwind_n_mps += alpha * (e->dwind_n - wt->learnt.dwind_n_mps);
        wt->learnt.events += 1.0;
        double sum = 0;
        int cnt = 0;
        for (size_t i = 0; i < e->pub.n_arrivals; i++) {
            const struct tl_arrival *ar = &e->pub.arrivals[i];
            if (ar->weight >= 0.5 && ar->dist_m > 3000.0) {
                sum += fabs(ar->residual_s) / (ar->dist_m / 1000.0);
                cnt++;
            }
        }
        if (cnt >= 4) {
            double est = 1.25 * sum / cnt;
            wt->learnt.path_err_s_per_km += 0.05 * (est - wt->learnt.path_err_s_per_km);
            wt->learnt.path_err_s_per_km = fmax(TL__PATH_ERR_MIN_S_PER_KM,
                                                 fmin(TL__PATH_ERR_MAX_S_PER_KM,
                                                      wt->learnt.path_err_s_per_km));
            double rate = fmax(0.05, 1.0 / (wt->learnt.events + 1.0));
            wt->learnt.path_sd_s_per_km += rate * (path_sd_of_event(p, e) - wt->learnt.path_sd_s_per_km);
            wt->learnt.path_sd_s_per_km = fmax(TL__PATH_SD_MIN_S_PER_KM,
                                               fmin(TL__PATH_SD_MAX_S_PER_KM,
                                                    wt->learnt.path_sd_s_per_km));
        }
    }
    TL_LOG(TL_LOG_DEBUG, "assoc", "accept tile %zu (%.0f %.0f %.2f) nsta=%d rms=%.3f sig=%.1f check %d %.3f",
           a->tile, e->x, e->y, e->t0_s, e->pub.n_stations, e->pub.rms_s, e->significance, e->n_fit_check, e->check_rms_s);
    for (size_t i = 0; i < e->n_picks; i++) {
        p->pk[e->picks[i]].ev = idx;
    }
    if (!a->in_repeat) {
        a->in_repeat = true;
        repeat_search(a, (size_t)idx, true);
        repeat_search(a, (size_t)idx, false);
        a->in_repeat = false;
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Best-first search                                                         */
/* ------------------------------------------------------------------------ */

/* Higher bound first; ties by earlier origin window, then position (deterministic). */
static bool
node_before(const struct node *x, const struct node *y)
{
    if (x->bound != y->bound) {
        return x->bound > y->bound;
    }
    if (x->b.t0 != y->b.t0) {
        return x->b.t0 < y->b.t0;
    }
    if (x->b.x0 != y->b.x0) {
        return x->b.x0 < y->b.x0;
    }
    return x->b.y0 < y->b.y0;
}

struct queue {
    struct node *h;
    size_t n, cap;
};

static int
q_push(struct queue *q, struct node nd)
{
    if (q->n >= MAX_QUEUE) {
        tl_free(nd.picks);
        return TL_OK; /* a full queue drops the newcomer: bounded memory in any barrage */
    }
    int rc = tl__grow((void **)&q->h, &q->cap, q->n + 1, sizeof(*q->h), MAX_QUEUE);
    if (rc != TL_OK) {
        tl_free(nd.picks);
        return rc;
    }
    /* sift up: parents move down into the hole until nd's place is found */
    size_t i = q->n++;
    while (i > 0) {
        size_t par = (i - 1) / 2;
        if (!node_before(&nd, &q->h[par])) {
            break;
        }
        q->h[i] = q->h[par];
        i = par;
    }
    q->h[i] = nd;
    return TL_OK;
}

static struct node
q_pop(struct queue *q)
{
    struct node top = q->h[0];
    struct node last = q->h[--q->n];
    /* sift down: the better child moves up into the hole until last's place is found */
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1;
        const struct node *m = &last;
        size_t mi = i;
        if (l < q->n && node_before(&q->h[l], m)) {
            m = &q->h[l];
            mi = l;
        }
        if (r < q->n && node_before(&q->h[r], m)) {
            mi = r;
        }
        if (mi == i) {
            break;
        }
        q->h[i] = q->h[mi];
        i = mi;
    }
    if (q->n > 0) {
        q->h[i] = last;
    }
    return top;
}

/*
 * An upper bound on the sweep's count for a big box, without sorting: origin times in
 * BIN_S bins; a station counts in every bin its intervals touch (the list is grouped by
 * station, so a stamp per bin counts each station once).  Any time where n stations agree
 * lies in a bin that all n touch.
 */
static int
bin_bound(const struct box *b, const struct endpt *ends, size_t ne)
{
    enum { NBINS = 512 };
    double t0 = b->t0 - 1.0, span = b->t1 - b->t0 + 2.0;
    double w = fmax(BIN_S, span / NBINS);
    int count[NBINS] = {0};
    int32_t stamp[NBINS];
    for (int i = 0; i < NBINS; i++) {
        stamp[i] = -1;
    }
    int best = 0;
    for (size_t e = 0; e + 1 < ne; e += 2) {
        /* ends come in (open, close) pairs, one per interval (add_interval) */
        int lo = (int)floor((ends[e].t - t0) / w), hi = (int)floor((ends[e + 1].t - t0) / w);
        lo = lo < 0 ? 0 : lo;
        hi = hi >= NBINS ? NBINS - 1 : hi;
        for (int k = lo; k <= hi; k++) {
            if (stamp[k] != ends[e].k) {
                stamp[k] = ends[e].k;
                if (++count[k] > best) {
                    best = count[k];
                }
            }
        }
    }
    return best;
}

/*
 * Score box b over the picks `in` that are still free: keep those whose origin-time
 * interval meets a time where at least min_sta stations agree, and return the largest
 * agreement (0 when under min_sta).  With `r`, the runs of such times are returned too.
 * *reach: no more than the box's reach (that of a box around it, or 0); on return no
 * more still, or the reach itself.  With keep_far (the picks are for the boxes inside b),
 * the picks of stations beyond b's reach but within that of a box inside it are kept as
 * well, without a vote here: a box inside may lie farther from the stations, with a longer
 * reach, and a source at the network's edge is nearest to stations that a box reaching
 * into the network counts out (its twenty nearest are inside it).
 */
static int
score_box(struct actx *a, const struct box *b, const struct cpick *in, size_t n_in,
          struct cpick *out, size_t *n_out, struct runs *r, double *reach, bool keep_far)
{
    struct scratch *sc = &a->sc;
    if (!scratch_fit(&sc->ends, &sc->cap_ends, 2 * n_in, sizeof(struct endpt)) ||
        !scratch_fit(&sc->lohi, &sc->cap_lohi, 2 * n_in, sizeof(double))) {
        a->rc = TL_ENOMEM;
        return 0;
    }
    struct endpt *ends = sc->ends;
    double *lohi = sc->lohi;
    size_t n = 0, ne = 0;
    int nsta = 0;
    int32_t last_k = -1, cur = -1;
    bool exact = false;
    double reach_far = -1.0;
    double half = 0.5 * sqrt(tl__sq(b->x1 - b->x0) + tl__sq(b->y1 - b->y0));
    struct view v = {0};
    bool big = b->x1 - b->x0 > SWEEP_MIN_BOX_M && !r;
    for (size_t i = 0; i < n_in; i++) {
        if (a->p->pk[in[i].pk].ev >= 0) {
            continue;
        }
        /* a station's view, at its first pick still free */
        if (in[i].k != cur) {
            cur = in[i].k;
            station_view(a, b, half, reach, &exact, keep_far ? &reach_far : NULL, cur, &v);
        }
        double lo, hi;
        if (!origin_interval(b, &v, &in[i], &lo, &hi)) {
            continue;
        }
        if (!v.in_reach) {
            /* kept for the boxes inside, whatever this box's runs */
            lohi[2 * n] = -INFINITY;
            lohi[2 * n + 1] = INFINITY;
            out[n++] = in[i];
            continue;
        }
        lohi[2 * n] = lo;
        lohi[2 * n + 1] = hi;
        out[n++] = in[i];
        add_interval(ends, &ne, in[i].k, lo, hi);
        if (in[i].k != last_k) {
            nsta++;
            last_k = in[i].k;
        }
    }
    *n_out = n;
    int best = nsta;
    if (big && nsta >= a->need) {
        best = bin_bound(b, ends, ne);
    }
    if (nsta >= a->need && !big) {
        struct runs local;
        struct runs *rr = r ? r : &local;
        best = sweep_ends(&a->sc, ends, ne, a->cover, a->need, rr, NULL);
        if (best >= a->need && rr->n <= MAX_RUNS) {
            /* keep the picks whose interval meets a run: the runs are disjoint and in time
             * order, so the one to look at is the first that ends at or after the interval
             * starts (bisection) */
            size_t m = 0;
            for (size_t i = 0; i < n; i++) {
                int lo = 0, hi = rr->n;
                while (lo < hi) {
                    int mid = (lo + hi) / 2;
                    if (rr->hi[mid] < lohi[2 * i]) {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                if (lo < rr->n && rr->lo[lo] <= lohi[2 * i + 1]) {
                    out[m] = out[i];
                    lohi[2 * m] = lohi[2 * i];
                    lohi[2 * m + 1] = lohi[2 * i + 1];
                    m++;
                }
            }
            *n_out = m;
        }
    }
    return best >= a->need ? best : 0;
}

/* A leaf (whose reach is `reach` or more): each run of agreeing origin times, strongest
 * first, becomes a candidate. */
static void
leaf_events(struct actx *a, const struct box *b, const struct cpick *picks, size_t n, double reach)
{
    struct cpick *sub = tl_malloc((n + 1) * sizeof(*sub));
    struct runs *r = tl_malloc(sizeof(*r));
    struct fine *f = tl_malloc(sizeof(*f));
    if (!sub || !r || !f) {
        a->rc = TL_ENOMEM;
        goto done;
    }
    size_t m;
    if (score_box(a, b, picks, n, sub, &m, r, &reach, false) < a->need || r->n > MAX_RUNS) {
        goto done;
    }
    /* strongest runs first */
    int order[MAX_RUNS];
    for (int j = 0; j < r->n; j++) {
        order[j] = j;
    }
    for (int i = 1; i < r->n; i++) {
        int t = order[i], j = i;
        while (j > 0 && r->count[order[j - 1]] < r->count[t]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = t;
    }
    for (int j = 0; j < r->n && a->rc == TL_OK; j++) {
        struct box w = *b;
        w.t0 = r->lo[order[j]];
        w.t1 = r->hi[order[j]];
        a->n_fine++;
        if (fine_search(a, &w, sub, m, f) >= a->need) {
            a->n_try++;
            try_event(a, f, &whole_tile);
        }
    }
done:
    tl_free(sub);
    tl_free(r);
    tl_free(f);
}

static int
best_first(struct actx *a, struct cpick *root, size_t n_root)
{
    struct queue q = {0};
    const struct tl__tile *tl = a->tl;
    double span_end = a->bt0 + 0.5 * (a->bt1 - a->bt0) + SPAN_MARGIN_S;
    struct node nd = {{tl->min_x, tl->max_x, tl->min_y, tl->max_y, a->bt0, span_end}, 0, root,
                      n_root, 0.0};
    nd.bound = a->need; /* the root is scored when it comes up */
    int rc = q_push(&q, nd);
    while (rc == TL_OK && a->rc == TL_OK && q.n > 0) {
        if (q.h[0].bound < a->need) {
            break;
        }
        if (a->n_nodes >= MAX_BOXES_PER_BLOCK || a->n_lsq >= MAX_TRIES_PER_BLOCK) {
            a->p->assoc_stats.capped_blocks++;
            break;
        }
        nd = q_pop(&q);
        a->n_nodes++;
        bool leaf = nd.b.x1 - nd.b.x0 <= LEAF_M && nd.b.y1 - nd.b.y0 <= LEAF_M;
        if (leaf) {
            /* re-score: still better than the next in line? otherwise back in line */
            size_t m;
            struct cpick *sub = tl_malloc((nd.n + 1) * sizeof(*sub));
            if (!sub) {
                rc = TL_ENOMEM;
                tl_free(nd.picks);
                break;
            }
            int s = score_box(a, &nd.b, nd.picks, nd.n, sub, &m, NULL, &nd.reach, false);
            tl_free(nd.picks);
            nd.picks = sub;
            nd.n = m;
            if (s >= a->need && q.n > 0 && s < q.h[0].bound) {
                nd.bound = s;
                rc = q_push(&q, nd);
                continue;
            }
            if (s >= a->need) {
                leaf_events(a, &nd.b, nd.picks, nd.n, nd.reach);
            }
            tl_free(nd.picks);
            continue;
        }
        /* split in four; each child keeps the picks that may matter in it */
        double mx = 0.5 * (nd.b.x0 + nd.b.x1), my = 0.5 * (nd.b.y0 + nd.b.y1);
        for (int i = 0; i < 4 && rc == TL_OK; i++) {
            struct node c = {nd.b, 0, NULL, 0, nd.reach};
            if (i & 1) {
                c.b.x0 = mx;
            } else {
                c.b.x1 = mx;
            }
            if (i & 2) {
                c.b.y0 = my;
            } else {
                c.b.y1 = my;
            }
            c.picks = tl_malloc((nd.n + 1) * sizeof(*c.picks));
            if (!c.picks) {
                rc = TL_ENOMEM;
                break;
            }
            c.bound = score_box(a, &c.b, nd.picks, nd.n, c.picks, &c.n, NULL, &c.reach, true);
            if (c.bound < a->need) {
                tl_free(c.picks);
                continue;
            }
            rc = q_push(&q, c);
        }
        if (nd.picks != root) {
            tl_free(nd.picks);
        }
    }
    for (size_t i = 0; i < q.n; i++) {
        if (q.h[i].picks != root) {
            tl_free(q.h[i].picks);
        }
    }
    tl_free(q.h);
    return rc != TL_OK ? rc : a->rc;
}

/*
 * How many stations must agree before a place is worth a look, given how busy the block
 * is.  With lambda picks per second at a station and an agreement window w (2.5 sigma of
 * the path error at 15 km, each side), a station agrees with a random place and time by
 * chance with probability q = lambda w.  The expected number of chance alignments of n of
 * the ASSOC_STATIONS nearest stations over the tile's places and the block's times is about
 * C(K, n) q^n cells; the search asks for the smallest n that makes it < CHANCE_PER_BLOCK,
 * never below min_stations.  (The count bounds the work; the significance test of each
 * event, not this, keeps chance alignments out of the bulletin.)  In quiet hours that is min_stations; in a barrage it rises, and the
 * weaker events there are left to the repeat search (same place as a found event) - the
 * significance test would reject them anyway.
 */
static int
adaptive_need(const struct actx *a, size_t n_root)
{
    size_t ns = a->tl->n_stations ? a->tl->n_stations : 1;
    double span_s = a->bt1 - a->bt0 + a->max_range / 300.0;
    double lam = (double)n_root / (double)ns / span_s;
    double w = 2.0 * tl__assoc_window_s(a->tl, 15000.0);
    double q = fmin(0.95, lam * w);
    double area = (a->tl->max_x - a->tl->min_x) * (a->tl->max_y - a->tl->min_y);
    double cells = area / (LEAF_M * LEAF_M) * (a->bt1 - a->bt0) / fmax(w, 0.05);
    int k = ASSOC_STATIONS;
    for (int n = a->min_sta; n <= k; n++) {
        double logc = lgamma(k + 1.0) - lgamma(n + 1.0) - lgamma(k - n + 1.0);
        if (logc + n * log(q) + log(cells) < log(CHANCE_PER_BLOCK)) {
            return n;
        }
    }
    return k + 1;
}

/* Try again, on the picks still free, the candidates this tile held in its blocks before
 * this one (the search there as good as the whole tile's); the others stay held. */
static int
try_held(struct actx *a)
{
    struct tl_pipeline *p = a->p;
    size_t n = p->n_held, kept = 0;
    a->retrying = true;
    for (size_t h = 0; h < n; h++) {
        const struct tl__held *x = &p->held[h]; /* (nothing is held while retrying) */
        if (x->tile != a->tile || x->block_from >= a->block_from) {
            if (kept != h) {
                p->held[kept] = *x;
            }
            kept++;
            continue;
        }
        bool all_free = true;
        for (size_t i = 0; i < x->f.n; i++) {
            all_free = all_free && p->pk[x->f.pk[i]].ev < 0;
        }
        if (all_free) {
            try_event(a, &x->f, &whole_tile);
        }
        if (a->rc != TL_OK) {
            break;
        }
    }
    a->retrying = false;
    p->n_held = kept;
    return a->rc;
}

int
tl__associate(struct tl_pipeline *p, size_t tile, tl_time_ns from_ns, tl_time_ns to_ns,
              bool search)
{
    const struct tl__tile *tl = &p->tiles[tile];
    const struct tl__metfield *mfp = tl__metfield_get(p, tile, from_ns + (to_ns - from_ns) / 2);
    if (!mfp) {
        return TL_ENOMEM;
    }
    int rc = TL_OK;
    struct actx a = {.p = p, .tile = tile, .tl = tl, .mf = mfp, .min_sta = p->prm.min_stations,
                     .max_range = p->prm.max_range_m, .tol_mps = p->prm.speed_tol_mps,
                     .block_from = from_ns, .block_to = to_ns, .rc = TL_OK};
    a.bt0 = (double)(from_ns - p->epoch_ns) * 1e-9;
    a.bt1 = (double)(to_ns - p->epoch_ns) * 1e-9;
    a.ks = tl_calloc(tl->n_stations + 1, sizeof(*a.ks));
    a.cover = tl_calloc(tl->n_stations + 1, sizeof(int));
    struct cpick *root = NULL;
    size_t n_root = 0, cap_root = 0;
    if (!a.ks || !a.cover) {
        rc = TL_ENOMEM;
        goto done;
    }
    double max_tt = p->prm.max_range_m / 300.0;
    for (size_t k = 0; k < tl->n_stations; k++) {
        struct ksta *s = &a.ks[k];
        s->x = tl->sta_xyz[k][0];
        s->y = tl->sta_xyz[k][1];
        s->z = tl->sta_xyz[k][2];
        double temp;
        tl__metfield_at(mfp, s->x, s->y, &temp, &s->we, &s->wn);
        /* with the tile's running correction of the met model */
        s->we += tl->learnt.dwind_e_mps;
        s->wn += tl->learnt.dwind_n_mps;
        s->c = tl_sound_speed_mps(temp) + tl->learnt.dc_mps;
        s->wmag = tl__hypot(s->we, s->wn);
        s->scale = p->sx[tl->stations[k]].weight_scale;
        /* free picks that a source in this block could have produced */
        const struct tl__sta_index *x = &p->sx[tl->stations[k]];
        size_t lo = tl__sta_first_pick(p, x, a.bt0 - 1.0);
        for (size_t i = lo; i < x->n_picks; i++) {
            double t = tl__pk_time_s(p, x->picks[i]);
            if (t > a.bt1 + max_tt) {
                break;
            }
            if (p->pk[x->picks[i]].ev >= 0) {
                continue;
            }
            if ((rc = tl__grow((void **)&root, &cap_root, n_root + 1, sizeof(*root),
                               (size_t)1 << 28)) != TL_OK) {
                goto done;
            }
            root[n_root].k = (int32_t)k;
            root[n_root].pk = x->picks[i];
            root[n_root].t = t;
            const struct tl__pk *q = &p->pk[x->picks[i]];
            if (isnan(q->baz_deg)) {
                root[n_root].baz = NAN;
                root[n_root].baz_tol = 0;
            } else {
                root[n_root].baz = (float)((double)q->baz_deg * M_PI / 180.0 + tl->sta_north_rad[k]);
                root[n_root].baz_tol =
                    (float)(3.0 * fmax((double)q->baz_sigma_deg, 2.0) * M_PI / 180.0 +
                            s->wmag / s->c);
            }
            n_root++;
        }
    }
    a.need = adaptive_need(&a, n_root);
    if (search && n_root >= (size_t)a.need) {
        rc = best_first(&a, root, n_root);
    }
    if (rc == TL_OK) {
        rc = try_held(&a);
    }
    TL_LOG(TL_LOG_DEBUG, "assoc",
           "tile %zu block %.0f: %zu picks, need %d, %ld boxes, %ld leaf runs, %ld tries, %ld fits",
           tile, a.bt0, n_root, a.need, a.n_nodes, a.n_fine, a.n_try, a.n_lsq);
done:
    tl_free(root);
    tl_free(a.ks);
    tl_free(a.rejected);
    tl_free(a.cover);
    scratch_free(&a.sc);
    return rc;
}
