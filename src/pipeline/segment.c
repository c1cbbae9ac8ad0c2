/*
 * segment.c - association over a run's blocks, in segments between fixed seams.
 *
 * Association goes block by block through origin time (assoc.c), and each block
 * depends on the ones before it: their events have taken picks, and the tiles
 * have learnt from them how far the met model is off.  On a busy day that chain
 * is most of a run's time, and one thread walks it.
 *
 * So the run is cut at seams fixed in time - every segment_s of UTC (three hours
 * by default), whatever the run's span, threads or records - and each segment between two seams is
 * associated on its own copy of the run's changing state (the picks' claims,
 * the events, the tiles' learnt state, the held candidates, the met cache),
 * on as many threads as the parameters allow.  A segment does not know what
 * the one before it found, so it starts WARM_S before its seam, from the
 * run's starting state: the blocks of that warm-up take the picks of the
 * sources just before the seam (WARM_MIN_S: far more than any travel time),
 * and teach the tiles the met model's error again - the running means settle
 * within 10-20 well-heard events (assoc.c), so the warm-up reaches back until
 * it holds WARM_PICKS picks, 20 minutes of a busy evening, three hours of a
 * quiet windy day (at most one segment) - but their events are dropped: the
 * segment before owns them.
 *
 * The segments are then merged in time order.  An event of a segment whose
 * picks the segments before it have already given to an event (its warm-up
 * saw the seam differently) is dropped, and the blocks where dropped events
 * were are searched again on the merged claims, so that their sources are
 * found once, from the picks still free.  The tiles end with the last
 * segment's learnt state; a state kept at a time (tl_pipeline_learnt_keep_at)
 * comes from the segment that holds that time.
 *
 * The bulletin is therefore a function of the records and parameters, as
 * before, and not of the thread count or timing: the seams are in time, each
 * segment's work is the same on any thread, and the merge is in order.  What
 * a segment changes against one chain through the whole run is measured in
 * docs/processing.md section 9 ("Segments").
 */
#include "pipeline_priv.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define WARM_MIN_S  (20 * 60)  /* a segment's warm-up before its seam, at least: the picks */
#define WARM_PICKS  3000       /* and long enough to hold this many picks: the learnt state */

/* One segment: a copy of the run's changing state (the rest is the run's, read only). */
struct segment {
    struct tl_pipeline q;
    tl_time_ns warm_from, from, to; /* blocks associated: warm_from..to; kept: from..to */
    size_t n_warm;                  /* events of the warm-up (q.ev[0..n_warm)) */
    struct tl_assoc_stats warm_stats;
    int rc;
};

/*
 * Associate blocks from..to (block starts) on p, all tiles block by block; after the last
 * block the candidates it held get their try (assoc.c).  The events found before block
 * keep_from are counted in *n_warm, and the statistics up to it kept in *warm_stats.
 */
static int
associate_blocks(struct tl_pipeline *p, tl_time_ns from, tl_time_ns to, tl_time_ns keep_from,
                 size_t *n_warm, struct tl_assoc_stats *warm_stats)
{
    const tl_time_ns blk = TL__BLOCK_S * TL_NS_PER_S;
    int rc = TL_OK;
    *n_warm = 0;
    memset(warm_stats, 0, sizeof(*warm_stats));
    for (tl_time_ns b = from; b <= to && rc == TL_OK; b += blk) {
        if (b == keep_from) {
            *n_warm = p->n_ev;
            *warm_stats = p->assoc_stats;
        }
        if (b >= p->learnt_at && b >= keep_from && p->n_learnt == 0) {
            rc = tl__learnt_keep(p);
        }
        for (size_t t = 0; t < p->n_tiles && rc == TL_OK; t++) {
            rc = tl__associate(p, t, b, b + 2 * blk, true);
        }
        /* after the last block, the candidates it held back (assoc.c) get their try */
        if (b + blk > to) {
            for (size_t t = 0; t < p->n_tiles && rc == TL_OK; t++) {
                rc = tl__associate(p, t, b + blk, b + 3 * blk, false);
            }
        }
    }
    return rc;
}

/* The segment's own copy of what association changes; the rest is p's, shared read-only. */
static int
segment_open(const struct tl_pipeline *p, struct segment *s)
{
    s->q = *p;
    struct tl_pipeline *q = &s->q;
    q->ev = NULL;
    q->n_ev = q->cap_ev = 0;
    q->held = NULL;
    q->n_held = q->cap_held = 0;
    memset(&q->assoc_stats, 0, sizeof(q->assoc_stats));
    q->mfc = NULL;
    q->mfc_slots = 0;
    q->learnt = NULL;
    q->n_learnt = 0;
    q->pub_ev = NULL;
    q->fnd = NULL;
    q->n_fnd = q->cap_fnd = 0;
    q->qc = NULL;
    q->pk = tl_malloc((p->n_pk + 1) * sizeof(*q->pk));
    q->tiles = tl_malloc((p->n_tiles + 1) * sizeof(*q->tiles));
    if (!q->pk || !q->tiles) {
        tl_free(q->pk);
        tl_free(q->tiles);
        q->pk = NULL;
        q->tiles = NULL;
        return TL_ENOMEM;
    }
    memcpy(q->pk, p->pk, p->n_pk * sizeof(*q->pk));
    memcpy(q->tiles, p->tiles, p->n_tiles * sizeof(*q->tiles));
    return TL_OK;
}

/* Free what segment_open made (and what association added to it). */
static void
segment_close(struct segment *s)
{
    struct tl_pipeline *q = &s->q;
    for (size_t i = 0; i < q->n_ev; i++) {
        tl__ev_free_contents(&q->ev[i]);
    }
    tl_free(q->ev);
    tl_free(q->held);
    tl__metcache_free(q);
    tl_free(q->learnt);
    tl_free(q->pk);
    tl_free(q->tiles);
    memset(s, 0, sizeof(*s));
}

struct segment_work {
    struct segment *seg;
    size_t n;
    atomic_size_t next;
};

static void *
segment_worker(void *arg)
{
    struct segment_work *w = arg;
    size_t i;
    while ((i = atomic_fetch_add(&w->next, 1)) < w->n) {
        struct segment *s = &w->seg[i];
        double t0 = tl__clock_s(CLOCK_MONOTONIC);
        s->rc = associate_blocks(&s->q, s->warm_from, s->to, s->from, &s->n_warm, &s->warm_stats);
        TL_LOG(TL_LOG_DEBUG, "pipeline", "segment %zu: %zu events (%zu of the warm-up) in %.2f s",
               i, s->q.n_ev, s->n_warm, tl__clock_s(CLOCK_MONOTONIC) - t0);
        /* the claims are the events' now: the copy of the picks can go, and the met fields */
        tl_free(s->q.pk);
        s->q.pk = NULL;
        tl__metcache_free(&s->q);
    }
    return NULL;
}

/* Move segment s's kept events into p, in their order; those with a pick p has already given
 * away are dropped and their origin times' blocks (from `from`) listed in redo[]. */
static int
segment_merge(struct tl_pipeline *p, struct segment *s, tl_time_ns from, tl_time_ns **redo,
              size_t *n_redo, size_t *cap_redo)
{
    struct tl_pipeline *q = &s->q;
    const tl_time_ns blk = TL__BLOCK_S * TL_NS_PER_S;
    for (size_t i = s->n_warm; i < q->n_ev; i++) {
        struct tl__ev *f = &q->ev[i];
        bool taken = false;
        for (size_t k = 0; k < f->n_picks && !taken; k++) {
            taken = p->pk[f->picks[k]].ev >= 0;
        }
        if (taken) {
            tl_time_ns t = p->epoch_ns + (tl_time_ns)(f->t0_s * 1e9);
            tl_time_ns b = t < from ? from : from + (t - from) / blk * blk;
            int rc = tl__grow((void **)redo, cap_redo, *n_redo + 1, sizeof(**redo), (size_t)1 << 20);
            if (rc != TL_OK) {
                return rc;
            }
            (*redo)[(*n_redo)++] = b;
            p->assoc_stats.seam_dropped++;
            continue;
        }
        struct tl__ev *e = tl__ev_push(p);
        if (!e) {
            return TL_ENOMEM;
        }
        *e = *f;
        f->picks = NULL;
        f->arr = NULL;
        f->n_picks = 0;
        for (size_t k = 0; k < e->n_picks; k++) {
            p->pk[e->picks[k]].ev = (int32_t)(p->n_ev - 1);
        }
    }
    p->assoc_stats.capped_blocks += q->assoc_stats.capped_blocks - s->warm_stats.capped_blocks;
    p->assoc_stats.refused_rms += q->assoc_stats.refused_rms - s->warm_stats.refused_rms;
    if (p->n_learnt == 0 && q->n_learnt > 0) {
        /* the state kept at a time comes from the segment that holds it: handed over */
        tl_free(p->learnt);
        p->learnt = q->learnt;
        p->n_learnt = q->n_learnt;
        q->learnt = NULL;
        q->n_learnt = 0;
    }
    return TL_OK;
}

static int
cmp_time(const void *a, const void *b)
{
    tl_time_ns x = *(const tl_time_ns *)a, y = *(const tl_time_ns *)b;
    return x < y ? -1 : (x > y);
}

/* Search again, on p's merged claims, the blocks where events were dropped (sorted, once). */
static int
repair_seams(struct tl_pipeline *p, tl_time_ns *redo, size_t n_redo)
{
    if (n_redo == 0) {
        return TL_OK;
    }
    qsort(redo, n_redo, sizeof(*redo), cmp_time);
    int rc = TL_OK;
    for (size_t i = 0; i < n_redo && rc == TL_OK; i++) {
        if (i > 0 && redo[i] == redo[i - 1]) {
            continue;
        }
        size_t n_warm;
        struct tl_assoc_stats unused;
        rc = associate_blocks(p, redo[i], redo[i], redo[i], &n_warm, &unused);
    }
    return rc;
}

int
tl__associate_run(struct tl_pipeline *p, tl_time_ns from, tl_time_ns to)
{
    const tl_time_ns seam = (tl_time_ns)p->prm.segment_s * TL_NS_PER_S;
    const tl_time_ns blk = TL__BLOCK_S * TL_NS_PER_S;
    /* the seams inside the span (on the block grid: segment_s is a multiple of the block) */
    tl_time_ns first = seam > 0 ? (from / seam + 1) * seam : INT64_MAX;
    size_t n_seg = 1;
    for (tl_time_ns t = first; t <= to; t += seam) {
        n_seg++;
    }
    if (n_seg == 1) {
        size_t n_warm;
        struct tl_assoc_stats unused;
        return associate_blocks(p, from, to, from, &n_warm, &unused);
    }
    struct segment *seg = tl_calloc(n_seg, sizeof(*seg));
    if (!seg) {
        return TL_ENOMEM;
    }
    /* picks per block, for the warm-ups' lengths */
    size_t n_blk = (size_t)((to - from) / blk) + 1;
    size_t *per_blk = tl_calloc(n_blk, sizeof(*per_blk));
    if (!per_blk) {
        tl_free(seg);
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < p->n_pk; i++) {
        if (p->pk[i].t_ns >= from && p->pk[i].t_ns < from + (tl_time_ns)n_blk * blk) {
            per_blk[(p->pk[i].t_ns - from) / blk]++;
        }
    }
    int rc = TL_OK;
    size_t opened = 0;
    for (size_t i = 0; i < n_seg && rc == TL_OK; i++, opened++) {
        struct segment *s = &seg[i];
        rc = segment_open(p, s);
        s->from = i == 0 ? from : first + (tl_time_ns)(i - 1) * seam;
        s->to = i + 1 == n_seg ? to : first + (tl_time_ns)i * seam - blk;
        s->warm_from = s->from;
        size_t held = 0;
        while (s->warm_from > from && s->warm_from > s->from - seam &&
               (held < WARM_PICKS || s->warm_from > s->from - (tl_time_ns)WARM_MIN_S * TL_NS_PER_S)) {
            s->warm_from -= blk;
            held += per_blk[(s->warm_from - from) / blk];
        }
    }
    tl_free(per_blk);
    if (rc == TL_OK) {
        struct segment_work w = {.seg = seg, .n = n_seg};
        atomic_init(&w.next, 0);
        tl__run_workers(p->prm.threads, n_seg, segment_worker, &w);
    }
    tl_time_ns *redo = NULL;
    size_t n_redo = 0, cap_redo = 0;
    for (size_t i = 0; i < n_seg && rc == TL_OK; i++) {
        rc = seg[i].rc;
        if (rc == TL_OK) {
            rc = segment_merge(p, &seg[i], from, &redo, &n_redo, &cap_redo);
        }
    }
    if (rc == TL_OK) {
        /* the tiles end as the last segment left them */
        memcpy(p->tiles, seg[n_seg - 1].q.tiles, p->n_tiles * sizeof(*p->tiles));
        rc = repair_seams(p, redo, n_redo);
    }
    tl_free(redo);
    for (size_t i = 0; i < opened; i++) {
        segment_close(&seg[i]);
    }
    tl_free(seg);
    return rc;
}
