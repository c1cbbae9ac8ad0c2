/*
 * detector.c - the streaming station processor: samples in, picks out.
 *
 * Channels.  Every (station, element) pair with data is a channel.  A channel
 * runs the configured bands fitted to its sample rate (fitted_bands), and per
 * band a Butterworth high-pass at the band's lower corner (its
 * output is the "picking trace": a high-pass does not delay an onset) then a
 * low-pass at the upper corner (the band-pass output drives the trigger).
 * Both outputs go to a ring holding the last RING_S seconds, from which
 * picks are refined and array bearings measured; nothing else is kept, so a
 * day of data takes the memory of a minute.
 *
 * Trigger.  A recursive STA/LTA (research/acoustics.md section 5.1) on the
 * band-pass energy: STA += (x^2 - STA) / N_sta, the same for the LTA.  It
 * triggers when STA > on * LTA and ends when STA < off * LTA (hysteresis).
 * While triggered the LTA is frozen, so a long barrage does not raise its own
 * noise estimate and hide the later rounds; a trigger that lasts more than
 * MAX_TRIG_S ends and the LTA restarts from the current level (the noise
 * itself changed).  There is no dead time: a fast average (FTA_S) rising
 * over `rearm` times a medium-term average of the coda (MTA_S, fed
 * MTA_DELAY_S late, so that it is the level before the rise), above the on
 * threshold and RETRIG_GAP_S after the last trigger, is a new arrival inside
 * the coda of the last one (shots 0.5 s apart are each picked).
 *
 * Pick.  A trigger becomes a candidate that is measured POST_S seconds
 * later, when its window is in the ring:
 *   - onset: Maeda's AIC on the picking trace from PRE_S before the trigger
 *     (RETRIG_PRE_S before a re-trigger; not before just after the previous
 *     trigger of that band) to AIC_AFTER_S after it, moved past a digitiser
 *     filter's precursor ringing to where the trace stands four times above
 *     the noise (in a window that follows an earlier arrival, the noise is
 *     the level of its coda at the onset, not its average since its pulse);
 *     then, since AIC splits a window once, the window is searched for a
 *     second onset: a weaker arrival before the one found (AIC again over
 *     what precedes it) and a stronger or equal one after it (a swing
 *     SPLIT_RATIO times everything since the onset, or one of about the
 *     first pulse's strength rising out of a trough after it); each is
 *     measured up to the next;
 *   - SNR: the largest band-passed swing after the onset over the RMS
 *     before it, both the frozen LTA's and that of the last 0.3 s (a coda is
 *     the noise of what arrives in it; in the coda of an accepted arrival,
 *     the last 50 ms when lower: a coda decays), the smaller; the best band
 *     counts;
 *   - amp_pa: the largest overpressure of the broadest picking trace in the
 *     first half second; freq_hz: the peak of its spectrum (pickers.c);
 *   - dur_s: from the onset until the 20 ms RMS envelope falls below a tenth
 *     of its peak or to twice the noise, or the next arrival begins;
 *   - shock: an N-wave is a few milliseconds long, high in frequency and
 *     as deep as it is high: most of the high band's energy of the first
 *     250 ms is in the first SHOCK_WIN_S, the high band carries twice the low
 *     one's energy there, and in the first SHOCK_SYM_WIN_S the negative swing
 *     of the picking trace reaches SHOCK_SYM of its positive one (a
 *     Friedlander blast's reaches e^-2);
 *   - sigma_s: the onset error of a pulse of dominant frequency f at an SNR
 *     of s (power ratio): the sample, the noise term SIGMA_K / (f sqrt(s)) (the
 *     form of the time-delay bound, research section 4.5) and the anti-alias
 *     filter's smear (pick_sigma).
 * Candidates of two bands within MERGE_S of each other are one arrival (the
 * one with the better SNR gives the time) unless the later one swings more
 * than SPLIT_RATIO times higher than everything from the earlier one to it.
 *
 * Station.  Element picks wait in the station's queue until every element
 * has processed past them (or CLUSTER_WAIT_S has gone by on another one).
 * Picks of different elements within the array's crossing time are one
 * arrival; an array arrival needs min_elements elements (incoherent wind
 * noise rarely triggers two microphones at once).  The bearing comes from
 * every element with data, picked or not (array.c), and the pick time is
 * moved to the array's reference point along the fitted plane wave.  The
 * station pick's id is "<STATION>-<n>" with n its time in units of 0.1 ms
 * since the epoch: unique per station, and the same whatever the files were
 * cut into.
 *
 * Discontinuities.  A block that starts within half a sample (or STAMP_TOL_S,
 * when that is more) of where the channel expects is continuous.  A gap up to
 * BRIDGE_S is bridged by linear interpolation; a longer one restarts the
 * channel (filters and trigger warm up again for WARM_S).  A block that starts before the expected time is an
 * overlap when its samples repeat what was already seen (the overlapping
 * head is dropped, or the whole block) and a clock jump otherwise (the
 * channel restarts at the new time).  A change of sample rate restarts the
 * channel.  All are counted and logged; none is an error.
 */
#include "detect_priv.h"

#include <truceline/time.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRE_S          0.5   /* onset search before the trigger */
#define RETRIG_PRE_S   0.2   /* and before a re-trigger */
#define MTA_S          0.05  /* medium-term average of a coda, for re-triggering */
#define MTA_DELAY_S    0.04  /* the MTA sees the energy this much later */
#define FTA_S          0.015 /* fast average that re-triggers inside a coda */
#define RETRIG_GAP_S   0.03  /* shortest time between two triggers of a band */
#define MERGE_S        0.05  /* candidates of two bands closer than this are one arrival */
#define AIC_AFTER_S    0.1   /* and after it */
#define POST_S         1.5   /* a candidate is measured this long after its trigger */
#define SNR_WIN_S      0.15  /* signal window of the SNR */
#define NOISE_GAP_S    0.05  /* the noise window ends this long before the onset */
#define AMP_WIN_S      0.5   /* peak overpressure and spectrum window */
#define ENV_WIN_S      0.02  /* RMS envelope for the duration */
#define BRIDGE_S       0.1   /* gaps up to this are bridged */
#define STAMP_TOL_S    1e-4  /* a block's time stamp may be this far off: miniSEED 2 stamps
                                to 0.1 ms, coarser than a sample above 5 kHz */
#define WARM_S         2.0   /* no trigger for this long after a (re)start */
#define RING_S         32.0  /* history kept per channel */
#define MAX_RING       (1u << 21) /* samples: a shorter history above 64 kHz */
#define MIN_RING_S     8.0   /* the least history the windows need */
#define MAX_TRIG_S     30.0  /* longest trigger before the LTA restarts */
#define CLUSTER_WAIT_S 10.0  /* longest wait for a lagging element */
#define C_MIN_MPS      300.0 /* slowest wave crossing an array */
#define SRP_MIN        0.5   /* least steered power (0..1) for a bearing */
#define BLAST_MAX_APP_MPS 600.0 /* fastest apparent speed of a blast's bearing */
#define SHOCK_WIN_S    0.025
#define SHOCK_FRAC     0.85  /* share of the high band's energy in SHOCK_WIN_S */
#define SHOCK_SYM      0.85  /* an N-wave's negative swing over its positive one */
#define SHOCK_SYM_WIN_S 0.03 /* where both swings are looked for, from the onset */
#define SHOCK_HF_LF    2.0   /* high band over low band energy in SHOCK_WIN_S */
#define SIGMA_K        0.7   /* onset error scale (fraction of a period at SNR 1) */
#define AA_SIGMA_K     2.0   /* onset smear by the anti-alias filter: samples per f / fs */
#define CREST_MIN      2.5   /* peak over RMS after the onset: not noise-like, */
#define CREST_RATE_HZ  500.0 /* for a window of SNR_WIN_S sampled at this rate */
#define PRECURSOR_FRAC 0.15 /* a filter's ringing ahead of an onset stays below this of its swing */
#define PRECURSOR_N    8    /* and lasts up to this many samples (a digitiser's FIR half-length) */
#define CODA_NOISE_N      16   /* fewest samples of the nearest noise window in a coda */
#define SPLIT_MIN_S    0.01  /* a second onset in a window comes this long after the first */
#define EARLY_S        0.15  /* and an earlier one is looked for over this before it */
#define SPLIT_RATIO    2.0   /* and swings this many times higher, */
#define SPLIT_EQUAL    0.7   /* or this fraction of the first pulse's peak */
#define SPLIT_TROUGH   4.0   /* rising out of a trough this many times lower */
#define TROUGH_S       0.005 /* (the largest swing over this long) */
#define CODA_S         1.0   /* an accepted arrival's coda is the noise this long */
#define MAX_CAND       64
#define FIT_EDGE       0.4   /* fitted bands end at this fraction of the sample rate */
#define FIT_OCTAVE     2.0   /* and keep at least this ratio of upper to lower corner */
#define MAX_PENDING    4096

struct band {
    struct tl__biquad hp[TL__MAX_SECTIONS], lp[TL__MAX_SECTIONS];
    int nhp, nlp;
    double lo_hz, hi_hz;
    struct tl__trigger tr;
    int64_t last_trig;  /* last (re)trigger, or INT64_MIN */
};

struct cand {
    int band;
    bool retrigger;      /* inside a running trigger (a coda): judged against the coda */
    int64_t trig_n;
    int64_t prev_trig_n; /* the band's trigger before this one, or INT64_MIN */
    double lta[TL_DETECT_MAX_BANDS];
};

struct station;

struct chan {
    struct station *st;
    int element;
    bool active;
    uint64_t seg;          /* segment number (changes at every restart) */
    double rate_hz;
    tl_time_ns seg_t0;
    int64_t n;             /* samples processed in this segment */
    double dc;             /* offset removed (the first sample of the segment) */
    double last_x;
    int nb;
    int lo_band, hi_band;  /* broadest-low and highest band */
    struct band b[TL_DETECT_MAX_BANDS];
    float *ring;           /* ring_len rows of `stride` floats: hp and bp per band, raw */
    size_t ring_len, stride;
    struct cand cq[MAX_CAND];
    size_t ncq;
    int64_t post_n, pre_n, retrig_pre_n, rearm_gap_n, mta_delay_n;
    int64_t acc_on;        /* onset of the last accepted arrival, or INT64_MIN */
};

/* A pick on one channel, waiting for its station. */
struct epick {
    tl_time_ns t_ns;
    double sigma_s, snr_db, amp_pa, freq_hz, dur_s;
    bool shock;
    bool split;            /* one of two onsets found in one window: not merged */
    int band;
    int element;
};

struct station {
    const struct tl_station *info;
    struct chan *ch[TL_MAX_ELEMENTS];
    struct epick *pend;
    size_t npend, cap;
    int64_t last_id;
    double cross_s;        /* time for a wave to cross the array */
    bool warned_element;
};

struct tl_detector {
    const struct tl_mission *m;
    struct tl_detect_config cfg;
    tl_detect_pick_fn fn;
    void *ud;
    size_t ns;
    struct station *st;
    struct tl_detect_stats stats;
    float *scratch;        /* finalisation work space */
    size_t scratch_len;
    double *aic;
    char warned_station[64][TL_STATION_ID_MAX];
    size_t n_warned;
    int err;               /* a callback's error, sticky */
};

/* ------------------------------------------------------------- config -- */

void
tl_detect_config_default(struct tl_detect_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->n_bands = 2;
    cfg->band[0].lo_hz = 2.0;
    cfg->band[0].hi_hz = 40.0;
    cfg->band[1].lo_hz = 40.0;
    cfg->band[1].hi_hz = 200.0;
    cfg->order = 4;
    cfg->gain = 1.0;
    cfg->sta_s = 0.05;
    cfg->lta_s = 10.0;
    cfg->on_ratio = 4.0;
    cfg->off_ratio = 1.5;
    cfg->rearm_ratio = 2.0;
    cfg->min_snr_db = 16.0;
    cfg->min_elements = 2;
    cfg->bearings = true;
    cfg->fit_bands = true;
}

/*
 * The bands a channel sampled at rate_hz runs (all of cfg's without a rate).  Real
 * stations record at anything from 20 Hz (IMS infrasound arrays) through 100-200 Hz
 * (seismic and low-cost infrasound) to audio rates, and a digitizer's anti-alias filter
 * passes up to about 0.4 times its rate, so with fit_bands an upper corner above that
 * comes down to it, and a band left narrower than an octave is not run (at 100 Hz the
 * default 40-200 Hz band is gone and the shock cue, which needs it, is not measured).
 */
static size_t
fitted_bands(const struct tl_detect_config *cfg, double rate_hz, struct tl_detect_band *out)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_bands && i < TL_DETECT_MAX_BANDS; i++) {
        struct tl_detect_band b = cfg->band[i];
        if (cfg->fit_bands && rate_hz > 0.0) {
            b.hi_hz = fmin(b.hi_hz, FIT_EDGE * rate_hz);
            if (b.hi_hz < FIT_OCTAVE * b.lo_hz) {
                continue;
            }
        }
        out[n++] = b;
    }
    return n;
}

int
tl_detect_config_check(const struct tl_detect_config *cfg, double rate_hz, char *why,
                       size_t size)
{
    char tmp[8];
    if (!why) {
        why = tmp;
        size = sizeof(tmp);
    }
    if (!cfg) {
        snprintf(why, size, "no configuration");
        return TL_EINVAL;
    }
    if (cfg->n_bands < 1 || cfg->n_bands > TL_DETECT_MAX_BANDS) {
        snprintf(why, size, "1 to %d bands are needed", TL_DETECT_MAX_BANDS);
        return TL_EINVAL;
    }
    for (size_t i = 0; i < cfg->n_bands; i++) {
        const struct tl_detect_band *b = &cfg->band[i];
        if (!(b->lo_hz > 0.0) || !(b->hi_hz > b->lo_hz)) {
            snprintf(why, size, "band %g-%g Hz: need 0 < LO < HI", b->lo_hz, b->hi_hz);
            return TL_EINVAL;
        }
        if (rate_hz > 0.0 && !cfg->fit_bands && !(b->hi_hz < 0.5 * rate_hz)) {
            snprintf(why, size, "band %g-%g Hz reaches the Nyquist frequency of %g Hz", b->lo_hz,
                     b->hi_hz, 0.5 * rate_hz);
            return TL_EINVAL;
        }
    }
    struct tl_detect_band fit[TL_DETECT_MAX_BANDS];
    if (rate_hz > 0.0 && fitted_bands(cfg, rate_hz, fit) == 0) {
        snprintf(why, size, "no band fits a sample rate of %g Hz (a band needs an octave below %g Hz)",
                 rate_hz, FIT_EDGE * rate_hz);
        return TL_EINVAL;
    }
    if (cfg->order < 1 || cfg->order > 2 * TL__MAX_SECTIONS) {
        snprintf(why, size, "filter order %d: expected 1 to %d", cfg->order, 2 * TL__MAX_SECTIONS);
        return TL_EINVAL;
    }
    if (!(cfg->gain > 0.0) || !isfinite(cfg->gain)) {
        snprintf(why, size, "gain must be positive");
        return TL_EINVAL;
    }
    if (!(cfg->sta_s > 0.0) || !(cfg->lta_s > cfg->sta_s) || cfg->lta_s > 3600.0) {
        snprintf(why, size, "need 0 < STA < LTA <= 3600 s");
        return TL_EINVAL;
    }
    if (!(cfg->off_ratio >= 1.0) || !(cfg->on_ratio > cfg->off_ratio) ||
        !(cfg->rearm_ratio > 1.0)) {
        snprintf(why, size, "need 1 <= off < on and rearm > 1");
        return TL_EINVAL;
    }
    if (cfg->min_elements < 1 || cfg->min_elements > TL_MAX_ELEMENTS ||
        !isfinite(cfg->min_snr_db)) {
        snprintf(why, size, "min_elements 1 to %d and a finite min_snr_db", TL_MAX_ELEMENTS);
        return TL_EINVAL;
    }
    return TL_OK;
}

/* ----------------------------------------------------------- lifetime -- */

int
tl_detector_new(const struct tl_mission *mission, const struct tl_detect_config *cfg,
                tl_detect_pick_fn fn, void *ud, struct tl_detector **out)
{
    if (!mission || !out) {
        return TL_EINVAL;
    }
    struct tl_detect_config def;
    if (!cfg) {
        tl_detect_config_default(&def);
        cfg = &def;
    }
    if (tl_detect_config_check(cfg, 0.0, NULL, 0) != TL_OK) {
        return TL_EINVAL;
    }
    struct tl_detector *d = tl_calloc(1, sizeof(*d));
    if (!d) {
        return TL_ENOMEM;
    }
    d->m = mission;
    d->cfg = *cfg;
    d->fn = fn;
    d->ud = ud;
    d->ns = tl_mission_station_count(mission);
    d->st = tl_calloc(d->ns ? d->ns : 1, sizeof(*d->st));
    if (!d->st) {
        tl_free(d);
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < d->ns; i++) {
        struct station *s = &d->st[i];
        s->info = tl_mission_station(mission, i);
        double ap = 0.0;
        for (size_t a = 0; a < s->info->n_elements; a++) {
            for (size_t b = a + 1; b < s->info->n_elements; b++) {
                double dx = s->info->element_m[a][0] - s->info->element_m[b][0];
                double dy = s->info->element_m[a][1] - s->info->element_m[b][1];
                ap = fmax(ap, hypot(dx, dy));
            }
        }
        s->cross_s = ap / C_MIN_MPS;
        s->last_id = INT64_MIN;
    }
    *out = d;
    return TL_OK;
}

static void
chan_free(struct chan *c)
{
    if (c) {
        tl_free(c->ring);
        tl_free(c);
    }
}

void
tl_detector_free(struct tl_detector *d)
{
    if (!d) {
        return;
    }
    for (size_t i = 0; i < d->ns; i++) {
        for (int k = 0; k < TL_MAX_ELEMENTS; k++) {
            chan_free(d->st[i].ch[k]);
        }
        tl_free(d->st[i].pend);
    }
    tl_free(d->st);
    tl_free(d->scratch);
    tl_free(d->aic);
    tl_free(d);
}

const struct tl_detect_stats *
tl_detector_stats(const struct tl_detector *d)
{
    return &d->stats;
}

void
tl__detector_count_bad(struct tl_detector *d)
{
    d->stats.bad_records++;
}

/* ------------------------------------------------------------ helpers -- */

static tl_time_ns
time_of(const struct chan *c, int64_t n)
{
    return c->seg_t0 + (tl_time_ns)llround((double)n * 1e9 / c->rate_hz);
}

static double
idx_of(const struct chan *c, tl_time_ns t)
{
    return (double)(t - c->seg_t0) * c->rate_hz / 1e9;
}

static int64_t
oldest(const struct chan *c)
{
    int64_t o = c->n - (int64_t)c->ring_len + 1;
    return o > 0 ? o : 0;
}

static float *
row(const struct chan *c, int64_t n)
{
    return &c->ring[((size_t)n & (c->ring_len - 1)) * c->stride];
}

/* Column of trace `k` (2 b: band b's picking trace, 2 b + 1: its band-pass,
 * 2 nb: raw) over [a, b) into `dst`. */
static void
copy_trace(const struct chan *c, int k, int64_t a, int64_t b, float *dst)
{
    for (int64_t n = a; n < b; n++) {
        dst[n - a] = row(c, n)[k];
    }
}

static int
ensure_scratch(struct tl_detector *d, size_t n)
{
    if (d->scratch_len >= n) {
        return TL_OK;
    }
    float *s = tl_malloc(n * sizeof(float));
    double *a = tl_malloc(n * sizeof(double));
    if (!s || !a) {
        tl_free(s);
        tl_free(a);
        return TL_ENOMEM;
    }
    tl_free(d->scratch);
    tl_free(d->aic);
    d->scratch = s;
    d->aic = a;
    d->scratch_len = n;
    return TL_OK;
}

static void
warn_station_once(struct tl_detector *d, const char *sta, const char *why)
{
    for (size_t i = 0; i < d->n_warned; i++) {
        if (strcmp(d->warned_station[i], sta) == 0) {
            return;
        }
    }
    if (d->n_warned < TL_ARRAY_LEN(d->warned_station)) {
        tl__strlcpy(d->warned_station[d->n_warned++], sta, TL_STATION_ID_MAX);
    }
    TL_LOG(TL_LOG_WARN, "detect", "station %s: %s; its data are skipped", sta, why);
}

/* ------------------------------------------------------------ channel -- */

/* Reset the bands channel c runs at `rate` (fitted_bands; chan_start designs their filters),
 * and note its broadest-low and highest ones.  tl_detect_config_check has made sure one is
 * left. */
static void
chan_bands(const struct tl_detector *d, struct chan *c, double rate)
{
    struct tl_detect_band fit[TL_DETECT_MAX_BANDS];
    c->nb = (int)fitted_bands(&d->cfg, rate, fit);
    c->lo_band = c->hi_band = 0;
    for (int i = 0; i < c->nb; i++) {
        memset(&c->b[i], 0, sizeof(c->b[i]));
        c->b[i].lo_hz = fit[i].lo_hz;
        c->b[i].hi_hz = fit[i].hi_hz;
        if (fit[i].lo_hz < fit[c->lo_band].lo_hz) {
            c->lo_band = i;
        }
        if (fit[i].lo_hz > fit[c->hi_band].lo_hz) {
            c->hi_band = i;
        }
    }
}

static void
chan_start(struct tl_detector *d, struct chan *c, tl_time_ns t0, double rate)
{
    const struct tl_detect_config *cfg = &d->cfg;
    c->active = true;
    c->seg++;
    c->rate_hz = rate;
    c->seg_t0 = t0;
    c->n = 0;
    c->dc = NAN;
    c->last_x = 0.0;
    c->ncq = 0;
    c->acc_on = INT64_MIN;
    c->post_n = (int64_t)ceil(POST_S * rate);
    c->pre_n = (int64_t)ceil(PRE_S * rate);
    c->retrig_pre_n = (int64_t)ceil(RETRIG_PRE_S * rate);
    c->rearm_gap_n = (int64_t)ceil(RETRIG_GAP_S * rate);
    c->mta_delay_n = (int64_t)ceil(MTA_DELAY_S * rate);
    for (int i = 0; i < c->nb; i++) {
        struct band *b = &c->b[i]; /* reset by chan_bands */
        b->nhp = tl__butter_highpass(cfg->order, b->lo_hz, rate, b->hp);
        b->nlp = tl__butter_lowpass(cfg->order, b->hi_hz, rate, b->lp);
        b->last_trig = INT64_MIN;
        tl__trigger_init(&b->tr, rate, cfg->sta_s, cfg->lta_s, MTA_S, FTA_S, cfg->on_ratio,
                         cfg->off_ratio, cfg->rearm_ratio, WARM_S, MAX_TRIG_S, RETRIG_GAP_S);
    }
}

/* Create the channel's ring for `rate`; false on allocation failure. */
static int
chan_ring(struct chan *c, double rate)
{
    size_t need = (size_t)ceil(RING_S * rate);
    size_t len = 1024;
    while (len < need && len < MAX_RING) {
        len *= 2;
    }
    size_t stride = (size_t)(2 * c->nb + 1);
    if (c->ring && c->ring_len == len && c->stride == stride) {
        return TL_OK;
    }
    float *r = tl_calloc(len * stride, sizeof(float));
    if (!r) {
        return TL_ENOMEM;
    }
    tl_free(c->ring);
    c->ring = r;
    c->ring_len = len;
    c->stride = stride;
    return TL_OK;
}

static int finalize_cand(struct tl_detector *d, struct chan *c, const struct cand *k);
static int station_drain(struct tl_detector *d, struct station *s, bool force);

/* Measure every queued candidate of a channel with what is in its ring. */
static int
chan_finalize_all(struct tl_detector *d, struct chan *c)
{
    int rc = TL_OK;
    for (size_t i = 0; i < c->ncq && rc == TL_OK; i++) {
        rc = finalize_cand(d, c, &c->cq[i]);
    }
    c->ncq = 0;
    return rc;
}

/* A trigger found while running a band over a block. */
struct trig_ev {
    int64_t n;
    int band;
    int type;
    double lta;
};

#define SUB_BLOCK 4096 /* samples run through the bands at a time */
#define LTA_STEP  16   /* other bands' LTA is looked up at this resolution */

/*
 * One band over x[0..m) (samples n0..): the cascade, the ring's two columns,
 * the trigger.  Band-major, so that a band's filter state stays in registers
 * for the whole block; the common order-4 case is unrolled.  Triggers go to
 * `ev`; the LTA every LTA_STEP samples to `lta_at` (for the other bands'
 * candidates).
 */
static size_t
band_run(struct chan *c, int bi, const double *x, size_t m, int64_t n0, struct trig_ev *ev,
         size_t max_ev, float *lta_at)
{
    struct band *b = &c->b[bi];
    struct tl__trigger tr = b->tr;
    size_t nev = 0, mask = c->ring_len - 1, stride = c->stride;
    float *ring = c->ring;
    bool fast = b->nhp == 2 && b->nlp == 2;
    int64_t delay_n = c->mta_delay_n;
    struct tl__biquad q0 = b->hp[0], q1 = b->hp[1], q2 = b->lp[0], q3 = b->lp[1];
    for (size_t i = 0; i < m; i++) {
        int64_t now = n0 + (int64_t)i;
        double y = x[i], hp;
        if (fast) {
            y = tl__biquad_step(&q0, y);
            y = tl__biquad_step(&q1, y);
            hp = y;
            y = tl__biquad_step(&q2, y);
            y = tl__biquad_step(&q3, y);
        } else {
            for (int s = 0; s < b->nhp; s++) {
                y = tl__biquad_step(&b->hp[s], y);
            }
            hp = y;
            for (int s = 0; s < b->nlp; s++) {
                y = tl__biquad_step(&b->lp[s], y);
            }
        }
        float *r = &ring[((size_t)now & mask) * stride];
        r[2 * bi] = (float)hp;
        r[2 * bi + 1] = (float)y;
        if (i % LTA_STEP == 0) {
            lta_at[i / LTA_STEP] = (float)tr.lta;
        }
        double lta_before = tr.lta;
        double yd = now >= delay_n ? (double)ring[((size_t)(now - delay_n) & mask) * stride +
                                                  (size_t)(2 * bi + 1)]
                                   : 0.0;
        int t = tl__trigger_step(&tr, y * y, yd * yd, now);
        if (t != TL__TRIG_NONE && nev < max_ev) {
            ev[nev].n = now;
            ev[nev].band = bi;
            ev[nev].type = t;
            ev[nev].lta = lta_before;
            nev++;
        }
    }
    if (fast) {
        b->hp[0] = q0;
        b->hp[1] = q1;
        b->lp[0] = q2;
        b->lp[1] = q3;
    }
    b->tr = tr;
    return nev;
}

/*
 * A block of samples through a channel: offset removal, the bands, then
 * the triggers (in time order) into the candidate queue, and every
 * candidate whose window has arrived is measured.
 */
static int
chan_run(struct tl_detector *d, struct chan *c, const float *x, size_t n, double scale)
{
    int nb = c->nb;
    double v[SUB_BLOCK];
    float lta_at[TL_DETECT_MAX_BANDS][SUB_BLOCK / LTA_STEP + 1];
    struct trig_ev ev[TL_DETECT_MAX_BANDS][64];
    size_t nev[TL_DETECT_MAX_BANDS];
    for (size_t o = 0; o < n; o += SUB_BLOCK) {
        size_t m = n - o < SUB_BLOCK ? n - o : SUB_BLOCK;
        if (isnan(c->dc)) {
            c->dc = (double)x[o] * scale;
        }
        int64_t n0 = c->n;
        for (size_t i = 0; i < m; i++) {
            v[i] = (double)x[o + i] * scale - c->dc;
            row(c, n0 + (int64_t)i)[2 * nb] = (float)v[i];
        }
        c->last_x = v[m - 1];
        for (int bi = 0; bi < nb; bi++) {
            nev[bi] = band_run(c, bi, v, m, n0, ev[bi], 64, lta_at[bi]);
        }
        /* Merge the bands' triggers in time order into the queue. */
        size_t at[TL_DETECT_MAX_BANDS] = {0};
        for (;;) {
            int bb = -1;
            for (int bi = 0; bi < nb; bi++) {
                if (at[bi] < nev[bi] && (bb < 0 || ev[bi][at[bi]].n < ev[bb][at[bb]].n)) {
                    bb = bi;
                }
            }
            if (bb < 0) {
                break;
            }
            const struct trig_ev *e = &ev[bb][at[bb]++];
            d->stats.triggers++;
            struct band *b = &c->b[bb];
            if (c->ncq < MAX_CAND) {
                struct cand *k = &c->cq[c->ncq++];
                k->band = bb;
                k->retrigger = e->type == TL__TRIG_AGAIN;
                k->trig_n = e->n;
                k->prev_trig_n = b->last_trig;
                size_t li = (size_t)(e->n - n0) / LTA_STEP;
                for (int j = 0; j < nb; j++) {
                    k->lta[j] = j == bb ? e->lta : (double)lta_at[j][li];
                }
            }
            b->last_trig = e->n;
        }
        c->n = n0 + (int64_t)m;
        while (c->ncq > 0 && c->n >= c->cq[0].trig_n + c->post_n) {
            struct cand k = c->cq[0];
            memmove(&c->cq[0], &c->cq[1], (c->ncq - 1) * sizeof(c->cq[0]));
            c->ncq--;
            int rc = finalize_cand(d, c, &k);
            if (rc != TL_OK) {
                return rc;
            }
        }
    }
    d->stats.samples += n;
    return TL_OK;
}

/* ------------------------------------------------------------ picking -- */

static double
mean_sq(const struct chan *c, int k, int64_t a, int64_t b)
{
    if (b <= a) {
        return NAN;
    }
    double s = 0.0;
    for (int64_t n = a; n < b; n++) {
        double v = (double)row(c, n)[k];
        s += v * v;
    }
    return s / (double)(b - a);
}

static double
max_abs(const struct chan *c, int k, int64_t a, int64_t b)
{
    double m = 0.0;
    for (int64_t n = a; n < b; n++) {
        double v = fabs((double)row(c, n)[k]);
        m = v > m ? v : m;
    }
    return m;
}

/*
 * Pick sigma from the SNR (s, a power ratio) and the dominant frequency f:
 * the onset's quantisation to a sample (a uniform error of one sample is
 * 0.29 / fs; 0.35 / fs with AIC's own jitter), a floor of 2% of a period
 * (where on its rise an onset is read), the noise term SIGMA_K / (f
 * sqrt(s)), the form of the time-delay bound (research section 4.5), and
 * the digitiser's anti-alias filter: a linear-phase filter near 0.4 fs
 * spreads a sharp onset over about a sample, ahead of it as much as after,
 * and the nearer the pulse's dominant frequency is to the filter the more of
 * it is spread: AA_SIGMA_K f / fs samples.  The constants are calibrated on
 * the simulator's waveforms (bench_detect's calibration table, CALIB=1): at
 * 500 Hz 67-73% of the errors fall within the sigma in every SNR band from
 * 20 to 100 dB, 72% overall; 65% at 200 Hz and 56% at 100 Hz, where strong
 * arrivals are picked up to a sample early (docs/detect.md section 6).
 * Recalibrate on real recordings.
 */
static double
pick_sigma(double snr_lin, double f_hz, double fs)
{
    double q = 0.35 / fs;
    double f = isnan(f_hz) || f_hz < 1.0 ? 10.0 : f_hz;
    double fl = 0.02 / f;
    double e = SIGMA_K / (f * sqrt(fmax(snr_lin, 1e-3)));
    double aa = AA_SIGMA_K * f / (fs * fs);
    return sqrt(q * q + fl * fl + e * e + aa * aa);
}

static double median(double *v, size_t n);

/*
 * The SNR of an arrival in band `b`: its largest band-passed swing over
 * [on, s_end) against the RMS just before it, the median energy of six 50 ms
 * windows ending 10 ms before the onset (robust to the pulse of an arrival
 * just before, so that inside a coda the coda is the noise), or the band's
 * frozen LTA when the ring holds none of them.  In dB.
 *
 * `coda`: the onset lies in the coda of an arrival this channel accepted.
 * A coda decays, and the median of the six windows, centred 160 ms before
 * the onset and holding the earlier arrival's pulse and multipath, is a level
 * the coda has left behind; the nearest window (10-60 ms before the onset)
 * is the level the new arrival rises out of, when it is lower.  Never below
 * the band's ambient noise (the frozen LTA).  Only in a coda: outside one,
 * a single window is too noisy a reference (its energy scatters by a factor
 * of two in wind noise, and gusts would pass).
 */
static double
local_snr_db(const struct chan *c, int b, int64_t on, int64_t s_end, double lta, bool coda)
{
    double fs = c->rate_hz;
    int64_t w = (int64_t)ceil(0.05 * fs);
    double lv[6];
    size_t nl = 0;
    for (int i = 1; i <= 6; i++) {
        int64_t q1 = on - (int64_t)ceil(0.01 * fs) - (int64_t)(i - 1) * w, q0 = q1 - w;
        if (q0 >= oldest(c)) {
            lv[nl++] = mean_sq(c, 2 * b + 1, q0, q1);
        }
    }
    double after = max_abs(c, 2 * b + 1, on, s_end);
    double nearest = nl == 6 ? lv[0] : (double)INFINITY;
    double before = nl > 0 ? median(lv, nl) : lta;
    if (coda && nearest < before) {
        before = fmax(nearest, lta);
    }
    if (before > 0.0 && after > 0.0) {
        return 20.0 * log10(after / sqrt(before));
    }
    return after > 0.0 ? 100.0 : (double)-INFINITY;
}

static int add_epick(struct tl_detector *d, struct chan *c, const struct epick *p);

/*
 * The onset of an arrival on trace `tr` of channel `c` in [a0, a1): Maeda's
 * AIC (rising splits only), then the precursor guard below.  Returns the
 * sample, or -1 when the window has none.  `trough`: the window starts in a
 * trough after an earlier pulse.  `coda`: the window follows an earlier
 * arrival (a re-trigger, a window cut at the previous trigger, the second
 * onset of a split), so that its first part holds that arrival's pulse or
 * coda.  Uses the detector's scratch.
 */
static int64_t
find_onset(struct tl_detector *d,
           const struct chan *c,
           int tr,
           int64_t a0,
           int64_t a1,
           bool trough,
           bool coda)
{
    double fs = c->rate_hz;
    if (a1 - a0 < 16) {
        return -1;
    }
    copy_trace(c, tr, a0, a1, d->scratch);
    size_t ko = tl__aic_onset(d->scratch, (size_t)(a1 - a0), true, d->aic);
    if (ko == 0) {
        return -1;
    }
    int64_t on = a0 + (int64_t)ko;
    /*
     * Precursors: a linear-phase anti-alias filter rings ahead of a sharp
     * onset (a few per cent of the jump for energy near Nyquist) for up to
     * PRECURSOR_N samples, and at high SNR AIC finds where that ringing
     * starts.  So the onset is moved to the first sample, from 5 ms before
     * the AIC pick to 20 ms (or PRECURSOR_N samples, if longer) after it, beyond
     * both four times the noise and 15% of the first peak, then back along
     * the rise while the samples keep that sign, shrink and stay above twice
     * the noise: the start of the arrival's own first swing.
     */
    {
        int64_t z0 = a0, z1 = on - (int64_t)ceil(NOISE_GAP_S * fs);
        /* (in a window that starts in a trough, too short for that gap,
         * what precedes the onset in it) */
        double noise = z1 - z0 > 8             ? sqrt(mean_sq(c, tr, z0, z1))
                       : trough && on - a0 > 4 ? sqrt(mean_sq(c, tr, a0, on))
                                               : 0.0;
        /* In a coda the noise is the level the onset rises out of: the
         * nearest part of the window when lower.  The RMS since the earlier
         * pulse holds that pulse's tail and the louder start of a decaying
         * coda, and four times it stands up the new arrival's rise: onsets in
         * codas were picked late (at 500 Hz, 0.1-0.3 s after the previous
         * arrival, p90 +4.8 ms against +1.5 ms for isolated ones; -> +3.8).
         * Outside a coda the whole window is the steadier estimate. */
        int64_t zn = z1 - (int64_t)fmax(ceil(NOISE_GAP_S * fs), CODA_NOISE_N);
        if (coda && z1 - z0 > 8 && zn - z0 > 8) {
            noise = fmin(noise, sqrt(mean_sq(c, tr, zn, z1)));
        }
        double pk = 0.0;
        int64_t lim = on + (int64_t)fmax(ceil(0.02 * fs), PRECURSOR_N);
        for (int64_t n = on; n < a1 && n <= lim; n++) {
            pk = fmax(pk, fabs((double)row(c, n)[tr]));
        }
        double thr = fmax(4.0 * noise, PRECURSOR_FRAC * pk);
        int64_t from = on - (int64_t)ceil(0.005 * fs);
        from = from > a0 ? from : a0;
        for (int64_t n = from; n < a1 && n <= lim; n++) {
            double v = (double)row(c, n)[tr];
            if (fabs(v) > thr) {
                int64_t back = n - (int64_t)ceil(0.01 * fs);
                back = back > a0 ? back : a0;
                while (n - 1 >= back) {
                    double u = (double)row(c, n - 1)[tr];
                    if (u * v <= 0.0 || fabs(u) >= fabs(v) || fabs(u) < 2.0 * noise) {
                        break;
                    }
                    v = u;
                    n--;
                }
                on = n;
                break;
            }
        }
    }

    return on;
}

static int measure_pick(struct tl_detector *d, struct chan *c, const struct cand *k, int64_t on,
                        int64_t next, bool split);

/*
 * Whether the swing v2 at sample n2 of trace `tr` starts a second pulse of
 * about the strength of the one whose onset is `on` (gap_n samples or more
 * earlier): that pulse rose out of quiet (its first peak, the largest swing
 * in its first gap_n samples, is SPLIT_TROUGH times what precedes it over
 * TROUGH_S), v2 reaches SPLIT_EQUAL of that peak, and between the two the
 * trace fell to a trough, its largest swing over TROUGH_S SPLIT_TROUGH
 * times below v2: a pulse, quiet, a pulse, not the flicker of a coda.  A
 * blast's pulse decays within a few of its periods and does not rise
 * again; what rises again by that much is a new pulse (two guns of a
 * battery firing tens of milliseconds apart), since a pulse's multipath
 * copies, which also rise out of its tail, have travelled further and lost
 * energy at a reflection, and are weaker than it; and an N-wave swings from
 * its head to its tail without a trough between.  Returns the start of the
 * last such trough before n2, or -1.  (TROUGH_S is 2.5 samples at 500 Hz,
 * and a pulse of a few milliseconds is sampled anywhere on its peak: the
 * peaks of two equal pulses scatter by tens of per cent, hence SPLIT_EQUAL
 * well below 1.)
 */
static int64_t
pulse_again(const struct chan *c, int tr, int64_t on, int64_t gap_n, int64_t n2, double v2)
{
    int64_t env_n = (int64_t)ceil(TROUGH_S * c->rate_hz);
    env_n = env_n > 2 ? env_n : 2;
    double p1 = max_abs(c, tr, on, on + gap_n);
    if (!(v2 > SPLIT_EQUAL * p1) || on - env_n < oldest(c) ||
        !(SPLIT_TROUGH * max_abs(c, tr, on - env_n, on) < p1)) {
        return -1;
    }
    int64_t at = -1;
    for (int64_t n = on + gap_n / 2; n + env_n <= n2 - env_n; n++) {
        if (SPLIT_TROUGH * max_abs(c, tr, n, n + env_n) < v2) {
            at = n;
        }
    }
    return at;
}

static int
finalize_cand(struct tl_detector *d, struct chan *c, const struct cand *k)
{
    double fs = c->rate_hz;
    int64_t end = c->n;
    int64_t lo = oldest(c);
    int64_t a0 = k->trig_n - c->pre_n;
    bool coda = k->retrigger;
    if (k->prev_trig_n != INT64_MIN && k->prev_trig_n + c->rearm_gap_n / 2 > a0) {
        /* not into the previous arrival's own pulse */
        a0 = k->prev_trig_n + c->rearm_gap_n / 2;
        coda = true;
    }
    if (k->retrigger && k->trig_n - c->retrig_pre_n > a0) {
        /* a re-trigger follows its onset closely (the fast average); further
         * back lies the previous arrival's own pulse and coda */
        a0 = k->trig_n - c->retrig_pre_n;
    }
    a0 = a0 > lo ? a0 : lo;
    /* The AIC window ends a little after the largest swing following the
     * trigger: a short pulse followed by quiet would otherwise offer AIC a
     * second variance change, at its end. */
    int64_t a1 = k->trig_n + (int64_t)ceil(AIC_AFTER_S * fs);
    a1 = a1 < end ? a1 : end;
    {
        int64_t np = k->trig_n;
        double vp = 0.0;
        for (int64_t n = k->trig_n; n < a1; n++) {
            double v = fabs((double)row(c, n)[2 * k->band]);
            if (v > vp) {
                vp = v;
                np = n;
            }
        }
        int64_t tail = (int64_t)ceil(0.02 * fs);
        tail = tail > 4 ? tail : 4;
        a1 = np + tail < a1 ? np + tail : a1;
    }
    if (a1 - a0 < 16) {
        return TL_OK;
    }
    int rc = ensure_scratch(d, c->ring_len);
    if (rc != TL_OK) {
        return rc;
    }
    int tr = 2 * k->band;
    int64_t on = find_onset(d, c, tr, a0, a1, false, coda);
    if (on < 0) {
        return TL_OK;
    }
    /* The next arrival bounds this one's windows: the next trigger of any
     * band (later than the onset by more than the re-trigger gap), less 20 ms
     * for its onset, which comes before its trigger. */
    int64_t next = end;
    for (size_t i = 0; i < c->ncq; i++) {
        int64_t t = c->cq[i].trig_n;
        if (t > on + c->rearm_gap_n && t - (int64_t)ceil(0.02 * fs) < next) {
            next = t - (int64_t)ceil(0.02 * fs);
        }
    }
    /*
     * An earlier, weaker arrival: the window's largest variance change may be
     * a strong arrival that follows a weaker one by tens of milliseconds.
     * AIC is asked again over the EARLY_S before the onset; what it finds is
     * an arrival when it rises above both four times the noise before it and
     * the ringing a digitiser's filter puts ahead of the strong onset
     * (PRECURSOR_FRAC of its first swing).  It is measured up to the onset.
     */
    int64_t gap_n = (int64_t)ceil(SPLIT_MIN_S * fs);
    int64_t e1 = on - gap_n / 2;
    int64_t e0 = on - (int64_t)ceil(EARLY_S * fs);
    e0 = e0 > a0 ? e0 : a0;
    int64_t on0 = e1 - e0 > 2 * gap_n + 16 ? find_onset(d, c, tr, e0, e1, false, coda) : -1;
    if (on0 >= 0 && on0 < on - gap_n) {
        int64_t z1 = on0 - (int64_t)ceil(0.005 * fs);
        double noise0 = z1 - e0 > 8 ? sqrt(mean_sq(c, tr, e0, z1)) : (double)INFINITY;
        int64_t p1 = on + gap_n < end ? on + gap_n : end;
        double v0 = max_abs(c, tr, on0, e1);
        if (v0 > 4.0 * noise0 && v0 > PRECURSOR_FRAC * max_abs(c, tr, on, p1)) {
            rc = measure_pick(d, c, k, on0, on - 1, true);
            if (rc != TL_OK) {
                return rc;
            }
        } else {
            on0 = -1;
        }
    }
    /*
     * A second arrival inside the window: a trigger's window can hold two
     * onsets (a weak arrival then a strong one tens of milliseconds later,
     * or two of equal strength, before the trigger could re-arm), and AIC,
     * which splits the window once, finds the first.  When the largest swing
     * more than SPLIT_MIN_S after the onset and before the end of the AIC
     * window or AIC_AFTER_S after the onset, whichever is later, is
     * SPLIT_RATIO times everything before it since the onset (a pulse's own
     * later swings and its multipath copies are weaker than its first), or
     * rises to about the first pulse's strength out of a trough
     * (pulse_again), it is a new arrival, and its onset is searched for
     * between the two.  Each is then measured with its windows ending where
     * the next begins.
     */
    int64_t n2 = -1;
    double v2 = 0.0;
    int64_t b1 = on + (int64_t)ceil(AIC_AFTER_S * fs);
    b1 = b1 > a1 ? b1 : a1;
    b1 = b1 < end ? b1 : end;
    for (int64_t n = on + gap_n; n < b1 && n < next; n++) {
        double v = fabs((double)row(c, n)[tr]);
        if (v > v2) {
            v2 = v;
            n2 = n;
        }
    }
    int64_t trough = n2 >= 0 ? pulse_again(c, tr, on, gap_n, n2, v2) : -1;
    if (n2 >= 0 && (v2 > SPLIT_RATIO * max_abs(c, tr, on, n2 - gap_n) || trough >= 0)) {
        /* (from the trough on when there is one: before it lies the first
         * pulse's tail, where AIC would find a split as readily) */
        int64_t tail = (int64_t)ceil(0.02 * fs);
        int64_t s0 = trough >= 0 ? trough : on + gap_n / 2;
        int64_t on2 =
            find_onset(d, c, tr, s0, n2 + tail < end ? n2 + tail : end, trough >= 0, true);
        if (on2 >= on + gap_n / 2 && on2 <= n2) {
            rc = measure_pick(d, c, k, on, on2 - 1, true);
            if (rc == TL_OK) {
                rc = measure_pick(d, c, k, on2, next, true);
            }
            return rc;
        }
    }
    return measure_pick(d, c, k, on, next, on0 >= 0);
}

/*
 * Measure the arrival whose onset is sample `on` of channel `c` (candidate
 * `k`), its windows ending at `next` (the next arrival), and queue its pick
 * if it is accepted.  `split`: one of two onsets found in one window.
 */
static int
measure_pick(struct tl_detector *d, struct chan *c, const struct cand *k, int64_t on,
             int64_t next, bool split)
{
    double fs = c->rate_hz;
    int nb = c->nb;
    int64_t end = c->n;
    int64_t lo = oldest(c);
    bool dbg = tl__log_enabled(TL_LOG_DEBUG);
    int64_t s_end = on + (int64_t)ceil(SNR_WIN_S * fs);
    s_end = s_end < next ? s_end : next;
    s_end = s_end < end ? s_end : end;
    if (s_end - on < 4) {
        return TL_OK;
    }
    /* SNR per band: the largest band-passed swing in SNR_WIN_S over the RMS of
     * the noise before the trigger (the frozen LTA), in dB. */
    double best_snr = -INFINITY;
    int best_band = k->band;
    double snr_band[TL_DETECT_MAX_BANDS];
    for (int b = 0; b < nb; b++) {
        double pk = max_abs(c, 2 * b + 1, on, s_end);
        double en = k->lta[b];
        snr_band[b] = en > 0.0 && pk > 0.0 ? 20.0 * log10(pk / sqrt(en)) : 100.0;
        if (snr_band[b] > best_snr) {
            best_snr = snr_band[b];
            best_band = b;
        }
    }
    if (dbg) {
        char tt[TL_TIME_TEXT_MAX], to[TL_TIME_TEXT_MAX];
        tl_time_format(time_of(c, k->trig_n), tt, sizeof(tt));
        tl_time_format(time_of(c, on), to, sizeof(to));
        TL_LOG(TL_LOG_DEBUG, "detect", "%s/%d band %d %s %s onset %s snr %.1f/%.1f dB",
               c->st->info->id, c->element, k->band, k->retrigger ? "re-trigger" : "trigger", tt,
               to, snr_band[0], nb > 1 ? snr_band[1] : 0.0);
    }
    /*
     * Acceptance.  The SNR of a pick is its largest band-passed swing after
     * the onset over the RMS just before it (the median energy of six 50 ms
     * windows: robust to the pulse of an arrival just before, so that inside
     * a coda the coda is the noise).  min_snr_db (16 dB by default: a 6-sigma
     * excursion of Gaussian noise) keeps wind gusts and coda flickers out;
     * and the arrival must be impulsive or at least not noise-like: its peak
     * at least CREST_MIN times the RMS of the window after the onset.
     */
    double local_db = -INFINITY;
    /* In the coda of an arrival this channel accepted (not that arrival
     * again, as another band measures it): the coda's level at the onset is
     * the noise (local_snr_db). */
    bool coda = c->acc_on != INT64_MIN && on - c->acc_on > c->rearm_gap_n &&
                on - c->acc_on < (int64_t)ceil(CODA_S * fs);
    for (int b = 0; b < nb; b++) {
        double l = fmin(local_snr_db(c, b, on, s_end, k->lta[b], coda), snr_band[b]);
        if (l > local_db) {
            local_db = l;
            best_band = b;
        }
    }
    double e_sig = mean_sq(c, 2 * best_band + 1, on, s_end);
    double pk_b = max_abs(c, 2 * best_band + 1, on, s_end);
    double crest = e_sig > 0.0 ? pk_b / sqrt(e_sig) : 0.0;
    int lb = c->lo_band, hb = c->hi_band;
    if (dbg) {
        char to[TL_TIME_TEXT_MAX];
        tl_time_format(time_of(c, on), to, sizeof(to));
        TL_LOG(TL_LOG_DEBUG, "detect", "CAND %s %d %s snr %.1f local %.1f crest %.2f",
               c->st->info->id, c->element, to, snr_band[best_band], local_db, crest);
    }
    /* The largest of n Gaussian samples grows as sqrt(2 ln n): a window cut
     * short by the next arrival, or sampled more slowly, asks a crest lower in
     * that proportion (and a faster rate a higher one). */
    double crest_min = CREST_MIN;
    double n_ref = ceil(SNR_WIN_S * CREST_RATE_HZ);
    int64_t n_full = (int64_t)ceil(SNR_WIN_S * fs);
    int64_t n_win = s_end - on < n_full ? s_end - on : n_full;
    /* (above CREST_RATE_HZ the samples of a band-limited trace are not independent:
     * the window counts as its length at that rate) */
    double n_eff = fmax(1.0, (double)n_win * fmin(1.0, CREST_RATE_HZ / fs));
    if (n_eff != n_ref) {
        crest_min *= sqrt(log(n_eff) / log(n_ref));
    }
    if (local_db < d->cfg.min_snr_db || crest < crest_min) {
        d->stats.dropped_low_snr++;
        return TL_OK;
    }
    c->acc_on = on > c->acc_on ? on : c->acc_on;
    /* Peak overpressure and spectrum of the broadest picking trace. */
    int64_t w_end = on + (int64_t)ceil(AMP_WIN_S * fs);
    w_end = w_end < next ? w_end : next;
    w_end = w_end < end ? w_end : end;
    double amp = 0.0;
    for (int64_t n = on; n < w_end; n++) {
        double v = (double)row(c, n)[2 * lb];
        amp = v > amp ? v : amp;
    }
    /* The spectrum's window starts a tenth before the onset (its taper). */
    int64_t f0 = on - (w_end - on) / 10;
    f0 = f0 > lo ? f0 : lo;
    copy_trace(c, 2 * lb, f0, w_end, d->scratch);
    double lo_hz = c->b[lb].lo_hz, hi_hz = c->b[0].hi_hz;
    for (int b = 0; b < nb; b++) {
        hi_hz = fmax(hi_hz, c->b[b].hi_hz);
    }
    double freq = tl__dominant_hz(d->scratch, (size_t)(w_end - f0), fs, lo_hz, fmin(hi_hz, 0.45 * fs));
    /* Duration from the RMS envelope of the broadest trace. */
    int64_t ew = (int64_t)ceil(ENV_WIN_S * fs);
    int64_t nz0 = on - (int64_t)ceil(PRE_S * fs), nz1 = on - (int64_t)ceil(NOISE_GAP_S * fs);
    nz0 = nz0 > lo ? nz0 : lo;
    if (k->prev_trig_n != INT64_MIN && nz0 < k->prev_trig_n) {
        nz0 = k->prev_trig_n;
    }
    double noise_e = nz1 - nz0 > 8 ? mean_sq(c, 2 * lb, nz0, nz1) : k->lta[lb];
    int64_t d_end = next < end ? next : end;
    double acc = 0.0, env_peak = 0.0;
    int64_t t_peak = on, t_end = d_end;
    for (int64_t n = on; n < d_end; n++) {
        double v = (double)row(c, n)[2 * lb];
        acc += v * v;
        if (n - on >= ew) {
            double u = (double)row(c, n - ew)[2 * lb];
            acc -= u * u;
        }
        double env = acc / (double)(n - on + 1 < ew ? n - on + 1 : ew);
        if (env > env_peak && n - on < (int64_t)(0.3 * fs)) {
            env_peak = env;
            t_peak = n;
        }
        if (n > t_peak + ew && env < fmax(0.01 * env_peak, 4.0 * noise_e)) {
            t_end = n;
            break;
        }
    }
    double dur = (double)(t_end - on) / fs;
    /* The shock cue. */
    bool shock = false;
    if (hb != lb && c->b[hb].lo_hz >= 20.0) {
        int64_t sw = (int64_t)ceil(SHOCK_WIN_S * fs);
        int64_t tot = on + (int64_t)ceil(0.25 * fs);
        tot = tot < next ? tot : next;
        tot = tot < end ? tot : end;
        /* Energy of the high band early and over 250 ms (or to the next
         * arrival), and of the low band early. */
        int64_t ee = on + sw < tot ? on + sw : tot;
        double e_early = mean_sq(c, 2 * hb + 1, on, ee) * (double)(ee - on);
        double e_tot = mean_sq(c, 2 * hb + 1, on, tot) * (double)(tot - on);
        double e_lf = mean_sq(c, 2 * lb + 1, on, ee) * (double)(ee - on);
        double frac = e_tot > 0.0 ? fmin(1.0, e_early / e_tot) : 0.0;
        int64_t g0 = on - sw / 4, g1 = on + 2 * sw < end ? on + 2 * sw : end;
        g0 = g0 > lo ? g0 : lo;
        copy_trace(c, 2 * hb, g0, g1, d->scratch);
        double f_hf = tl__dominant_hz(d->scratch, (size_t)(g1 - g0), fs, c->b[hb].lo_hz,
                                      fmin(c->b[hb].hi_hz, 0.45 * fs));
        /* An N-wave swings as far down as up; a blast's negative phase is
         * shallow (a Friedlander pulse's is e^-2 of its peak). */
        double up = 0.0, down = 0.0;
        int64_t sy1 = on + (int64_t)ceil(SHOCK_SYM_WIN_S * fs);
        sy1 = sy1 < tot ? sy1 : tot;
        for (int64_t n = on; n < sy1; n++) {
            double v = (double)row(c, n)[2 * lb];
            up = fmax(up, v);
            down = fmax(down, -v);
        }
        double sym = up > 0.0 ? down / up : 0.0;
        shock = snr_band[hb] >= d->cfg.min_snr_db && frac >= SHOCK_FRAC &&
                e_early >= SHOCK_HF_LF * e_lf && sym >= SHOCK_SYM;
        if (dbg) {
            char to[TL_TIME_TEXT_MAX];
            tl_time_format(time_of(c, on), to, sizeof(to));
            TL_LOG(TL_LOG_DEBUG, "detect",
                   "SHOCK %s %d %s snr_hf %.1f frac %.2f early/lf %.2f f_hf %.1f sym %.2f",
                   c->st->info->id, c->element, to, snr_band[hb], frac, e_early / e_lf, f_hf, sym);
        }
        if (shock) {
            /* Its length: to the last swing above 30% of its peak. */
            double pk = max_abs(c, 2 * hb + 1, on, ee);
            int64_t last = on;
            for (int64_t n = on; n < ee; n++) {
                if (fabs((double)row(c, n)[2 * hb + 1]) > 0.3 * pk) {
                    last = n;
                }
            }
            freq = f_hf;
            dur = fmax(1.0, (double)(last - on)) / fs;
        }
    }
    struct epick p;
    memset(&p, 0, sizeof(p));
    p.t_ns = time_of(c, on);
    p.snr_db = local_db;
    p.amp_pa = amp;
    p.freq_hz = freq;
    p.dur_s = dur;
    p.shock = shock;
    p.band = best_band;
    p.split = split;
    p.element = c->element;
    p.sigma_s = pick_sigma(pow(10.0, local_db / 10.0), freq, fs);
    d->stats.element_picks++;
    return add_epick(d, c, &p);
}

/* ------------------------------------------------------------ station -- */

/*
 * Whether an onset at t2_ns, t1_ns < t2_ns on the same channel, starts a
 * stronger arrival than the one at t1_ns: its largest swing on the broadest
 * picking trace, over as long after it as the two are apart, more than
 * SPLIT_RATIO times everything from t1_ns up to it.  Two bands' onsets of
 * one arrival, or a pulse and its multipath, do not: the later swings of a
 * pulse and its copies are weaker than its first.
 */
static bool
later_stronger(const struct chan *c, tl_time_ns t1_ns, tl_time_ns t2_ns)
{
    int64_t n1 = (int64_t)llround(idx_of(c, t1_ns)), n2 = (int64_t)llround(idx_of(c, t2_ns));
    int64_t n3 = n2 + (n2 - n1);
    if (n1 < oldest(c) || n3 > c->n || n2 <= n1) {
        return false;
    }
    int tr = 2 * c->lo_band;
    return max_abs(c, tr, n2, n3) > SPLIT_RATIO * max_abs(c, tr, n1, n2);
}

static int
add_epick(struct tl_detector *d, struct chan *c, const struct epick *p)
{
    struct station *s = c->st;
    /* The same arrival seen in another band of the same element (the nearest
     * pick within MERGE_S): keep the better. */
    tl_time_ns merge = (tl_time_ns)(MERGE_S * 1e9);
    struct epick *same = NULL;
    for (size_t i = 0; i < s->npend; i++) {
        struct epick *q = &s->pend[i];
        tl_time_ns dt = llabs(q->t_ns - p->t_ns);
        /* two onsets of one window are two arrivals unless nearly equal */
        bool two = (q->split && p->split && dt >= merge / 4) ||
                   (q->element == p->element && dt >= merge / 4 && dt < merge &&
                    later_stronger(c, q->t_ns < p->t_ns ? q->t_ns : p->t_ns,
                                   q->t_ns < p->t_ns ? p->t_ns : q->t_ns));
        if (q->element == p->element && dt < merge && (q->shock == p->shock || dt < merge / 2) &&
            !two && (!same || dt < llabs(same->t_ns - p->t_ns))) {
            same = q;
        }
    }
    if (same) {
        /* (one onset of a pair found in one window makes the merged pick one
         * too, whichever gives the time) */
        bool split = same->split || p->split;
        if (p->snr_db > same->snr_db) {
            *same = *p;
        }
        same->split = split;
        return TL_OK;
    }
    if (s->npend >= MAX_PENDING) {
        int rc = station_drain(d, s, true);
        if (rc != TL_OK) {
            return rc;
        }
    }
    int rc = tl__grow((void **)&s->pend, &s->cap, s->npend + 1, sizeof(*s->pend), MAX_PENDING + 1);
    if (rc != TL_OK) {
        return rc;
    }
    size_t pos = s->npend;
    while (pos > 0 && s->pend[pos - 1].t_ns > p->t_ns) {
        pos--;
    }
    memmove(&s->pend[pos + 1], &s->pend[pos], (s->npend - pos) * sizeof(*p));
    s->pend[pos] = *p;
    s->npend++;
    return TL_OK;
}

/* Time up to which a channel's element picks are final. */
static tl_time_ns
watermark(const struct chan *c)
{
    return time_of(c, c->n - c->post_n - c->pre_n);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y);
}

static double
median(double *v, size_t n)
{
    if (n == 0) {
        return NAN;
    }
    qsort(v, n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double
wrap360(double a)
{
    a = fmod(a, 360.0);
    return a < 0.0 ? a + 360.0 : a;
}

/* The bearing of a cluster from every element whose ring holds the window. */
static bool
cluster_bearing(struct tl_detector *d, struct station *s, tl_time_ns t_first, tl_time_ns t_next,
                int band, struct tl__array_fit *fit)
{
    const struct tl_station *info = s->info;
    size_t ne = info->n_elements;
    if (ne < 3 || ne > TL__GCC_MAX_ELEMENTS || !d->cfg.bearings) {
        return false;
    }
    double fs = 0.0;
    for (size_t k = 0; k < ne; k++) {
        if (s->ch[k] && s->ch[k]->active) {
            fs = s->ch[k]->rate_hz;
            break;
        }
    }
    if (!(fs > 0.0)) {
        return false;
    }
    /* Window: from just before the first onset, up to 0.35 s or the next arrival. */
    double len_s = 0.35;
    double gap = (double)(t_next - t_first) / 1e9 - 0.02;
    if (gap < len_s) {
        len_s = fmax(0.1, gap);
    }
    tl_time_ns ta = t_first - (tl_time_ns)(0.05 * 1e9);
    size_t n = (size_t)ceil((len_s + 0.05) * fs);
    float *buf = tl_malloc(2 * ne * n * sizeof(float));
    if (!buf) {
        return false;
    }
    const float *xs[TL__GCC_MAX_ELEMENTS], *xn[TL__GCC_MAX_ELEMENTS];
    double off[TL__GCC_MAX_ELEMENTS], pos[TL__GCC_MAX_ELEMENTS][2];
    size_t have = 0;
    for (size_t k = 0; k < ne; k++) {
        xs[k] = xn[k] = NULL;
        off[k] = 0.0;
        pos[k][0] = info->element_m[k][0];
        pos[k][1] = info->element_m[k][1];
        struct chan *c = s->ch[k];
        if (!c || !c->active || fabs(c->rate_hz - fs) > 1e-6 * fs) {
            continue;
        }
        double fi = idx_of(c, ta);
        int64_t i0 = (int64_t)ceil(fi - 1e-9);
        int64_t nz0 = i0 - (int64_t)n;
        if (nz0 < oldest(c) || i0 + (int64_t)n > c->n) {
            continue;
        }
        off[k] = ((double)i0 - fi) / fs;
        float *sig = &buf[(2 * k) * n], *noi = &buf[(2 * k + 1) * n];
        copy_trace(c, 2 * band, i0, i0 + (int64_t)n, sig);
        copy_trace(c, 2 * band, nz0, i0, noi);
        xs[k] = sig;
        xn[k] = noi;
        have++;
    }
    bool ok = false;
    if (have >= 3) {
        const struct chan *c0 = NULL;
        for (size_t k = 0; k < ne && !c0; k++) {
            c0 = xs[k] ? s->ch[k] : NULL;
        }
        double lo = c0->b[band].lo_hz, hi = fmin(c0->b[band].hi_hz, 0.45 * fs);
        ok = tl__array_bearing(xs, xn, off, (const double(*)[2])pos, ne, n, fs, lo, hi, fit) ==
             TL_OK;
        /* A plane wave crossing the ground is not slower than sound. */
        ok = ok && fit->app_speed_mps > 0.8 * C_MIN_MPS;
    }
    tl_free(buf);
    return ok;
}

static int
emit(struct tl_detector *d, struct station *s, struct epick *cl, size_t ncl, tl_time_ns t_next)
{
    const struct tl_station *info = s->info;
    size_t active = 0;
    for (size_t k = 0; k < TL_MAX_ELEMENTS; k++) {
        active += s->ch[k] && s->ch[k]->active;
    }
    size_t need = (size_t)d->cfg.min_elements;
    need = need < active ? need : active;
    need = need > 0 ? need : 1;
    if (ncl < need) {
        d->stats.dropped_single++;
        if (tl__log_enabled(TL_LOG_DEBUG)) {
            char tt[TL_TIME_TEXT_MAX];
            tl_time_format(cl[0].t_ns, tt, sizeof(tt));
            TL_LOG(TL_LOG_DEBUG, "detect", "%s %s: %zu of %zu elements: dropped", info->id, tt,
                   ncl, need);
        }
        return TL_OK;
    }
    /* The best element gives the band; the median of the elements the features. */
    size_t best = 0;
    size_t n_shock = 0;
    for (size_t i = 0; i < ncl; i++) {
        if (cl[i].snr_db > cl[best].snr_db) {
            best = i;
        }
        n_shock += cl[i].shock;
    }
    double v[TL_MAX_ELEMENTS];
    struct tl_pick pk;
    memset(&pk, 0, sizeof(pk));
    tl__strlcpy(pk.station, info->id, sizeof(pk.station));
    for (size_t i = 0; i < ncl; i++) {
        v[i] = cl[i].snr_db;
    }
    pk.snr_db = median(v, ncl);
    for (size_t i = 0; i < ncl; i++) {
        v[i] = cl[i].amp_pa;
    }
    pk.amp_pa = median(v, ncl);
    size_t nf = 0;
    for (size_t i = 0; i < ncl; i++) {
        if (!isnan(cl[i].freq_hz)) {
            v[nf++] = cl[i].freq_hz;
        }
    }
    pk.freq_hz = median(v, nf);
    for (size_t i = 0; i < ncl; i++) {
        v[i] = cl[i].dur_s;
    }
    pk.dur_s = median(v, ncl);
    pk.shock = 2 * n_shock > ncl || (ncl == 1 && n_shock == 1);
    pk.baz_deg = NAN;
    pk.baz_sigma_deg = NAN;
    /* Time: at the reference point, along the plane wave when there is one. */
    tl_time_ns t_first = cl[0].t_ns;
    struct tl__array_fit fit;
    bool have_fit = ncl >= 1 && info->n_elements >= 3 &&
                    cluster_bearing(d, s, t_first, t_next, cl[best].band, &fit);
    /* The steered power says how coherent the wave was across the array:
     * below SRP_MIN the bearing is as often wrong as right (two arrivals in
     * the window, wind noise), and a blast's wave, travelling along the
     * ground, is not much faster than sound across it. */
    if (have_fit && tl__log_enabled(TL_LOG_DEBUG) && fit.srp < SRP_MIN) {
        char tt[TL_TIME_TEXT_MAX];
        tl_time_format(t_first, tt, sizeof(tt));
        TL_LOG(TL_LOG_DEBUG, "detect", "BAZ-REJECT %s %s baz %.2f srp %.3f c %.0f", info->id, tt,
               fit.baz_deg, fit.srp, fit.app_speed_mps);
    }
    have_fit = have_fit && fit.srp >= SRP_MIN &&
               (2 * n_shock > ncl || fit.app_speed_mps <= BLAST_MAX_APP_MPS);
    double sig_best = cl[best].sigma_s;
    if (have_fit) {
        double sw = 0.0, st = 0.0;
        for (size_t i = 0; i < ncl; i++) {
            const double *e = info->element_m[cl[i].element];
            double corr = e[0] * fit.sx + e[1] * fit.sy;
            double w = 1.0 / (cl[i].sigma_s * cl[i].sigma_s);
            st += w * ((double)(cl[i].t_ns - t_first) / 1e9 - corr);
            sw += w;
        }
        pk.t_ns = t_first + (tl_time_ns)llround(st / sw * 1e9);
        pk.sigma_s = fmax(sqrt(1.0 / sw), 0.5 * sig_best);
        pk.baz_deg = fit.baz_deg;
        pk.baz_sigma_deg = fmax(1.0, fit.baz_sigma_deg) * (1.0 + 40.0 * fmax(0.0, 0.7 - fit.srp));
        if (tl__log_enabled(TL_LOG_DEBUG)) {
            char tt[TL_TIME_TEXT_MAX];
            tl_time_format(t_first, tt, sizeof(tt));
            TL_LOG(TL_LOG_DEBUG, "detect", "BAZ %s %s baz %.2f sigma %.2f srp %.3f rms_ms %.3f c %.0f n %d",
                   info->id, tt, fit.baz_deg, fit.baz_sigma_deg, fit.srp, fit.rms_s * 1e3,
                   fit.app_speed_mps, fit.n_pairs);
        }
        d->stats.bearings++;
    } else {
        /* The element nearest the reference point, its offset in the error. */
        size_t k = 0;
        double dk = INFINITY;
        for (size_t i = 0; i < ncl; i++) {
            const double *e = info->element_m[cl[i].element];
            double r = info->n_elements ? hypot(e[0], e[1]) : 0.0;
            if (r < dk) {
                dk = r;
                k = i;
            }
        }
        double extra = dk / (C_MIN_MPS * sqrt(3.0));
        pk.t_ns = cl[k].t_ns;
        pk.sigma_s = sqrt(cl[k].sigma_s * cl[k].sigma_s + extra * extra);
    }
    /* Records carry 0.1 ms; the id is that time, bumped past the last one. */
    pk.t_ns = (tl_time_ns)llround((double)pk.t_ns / 1e5) * 100000;
    int64_t id = pk.t_ns / 100000;
    if (s->last_id != INT64_MIN && id <= s->last_id) {
        id = s->last_id + 1;
    }
    s->last_id = id;
    snprintf(pk.id, sizeof(pk.id), "%s-%lld", info->id, (long long)id);
    pk.sigma_s = fmin(0.5, fmax(1e-4, pk.sigma_s));
    d->stats.picks++;
    d->stats.shock_picks += pk.shock;
    if (d->fn) {
        int rc = d->fn(d->ud, &pk);
        if (rc != TL_OK) {
            d->err = rc;
            return rc;
        }
    }
    return TL_OK;
}

/* Emit the clusters of a station whose elements have all moved past them. */
static int
station_drain(struct tl_detector *d, struct station *s, bool force)
{
    while (s->npend > 0) {
        tl_time_ns t = s->pend[0].t_ns;
        tl_time_ns w = (tl_time_ns)((s->cross_s + 0.02) * 1e9);
        tl_time_ns need = t + w + (tl_time_ns)(MERGE_S * 1e9);
        if (!force) {
            bool all = true;
            tl_time_ns max_wm = INT64_MIN;
            for (size_t k = 0; k < TL_MAX_ELEMENTS; k++) {
                struct chan *c = s->ch[k];
                if (!c || !c->active) {
                    continue;
                }
                tl_time_ns wm = watermark(c);
                max_wm = wm > max_wm ? wm : max_wm;
                all = all && wm >= need;
            }
            bool timeout = max_wm != INT64_MIN && max_wm - need > (tl_time_ns)(CLUSTER_WAIT_S * 1e9);
            if (!all && !timeout) {
                break;
            }
        }
        /*
         * The cluster: the earliest pick of each element within the crossing
         * time, whatever its shock cue.  The cue is measured per element and
         * scatters near its thresholds (turbulence rounds or spikes an N-wave
         * at one microphone and not at the next); emit takes the elements'
         * majority.
         */
        struct epick cl[TL_MAX_ELEMENTS];
        size_t ncl = 0;
        bool taken[TL_MAX_ELEMENTS] = {false};
        size_t keep = 0;
        for (size_t i = 0; i < s->npend; i++) {
            struct epick *p = &s->pend[i];
            int e = p->element;
            if (p->t_ns <= t + w && e >= 0 && e < TL_MAX_ELEMENTS && !taken[e]) {
                taken[e] = true;
                cl[ncl++] = *p;
            } else {
                s->pend[keep++] = *p;
            }
        }
        s->npend = keep;
        tl_time_ns t_next = s->npend > 0 ? s->pend[0].t_ns : t + (tl_time_ns)(10 * 1e9);
        int rc = emit(d, s, cl, ncl, t_next);
        if (rc != TL_OK) {
            return rc;
        }
    }
    return TL_OK;
}

/* --------------------------------------------------------------- feed -- */

static struct chan *
get_chan(struct tl_detector *d, const char *station, int element, double rate)
{
    long si = tl_mission_find_station(d->m, station);
    if (si < 0) {
        warn_station_once(d, station, "not in the mission");
        return NULL;
    }
    struct station *s = &d->st[si];
    size_t ne = s->info->n_elements ? s->info->n_elements : 1;
    if (element < 0 || (size_t)element >= ne) {
        if (!s->warned_element) {
            TL_LOG(TL_LOG_WARN, "detect", "station %s: element %d is not in the mission (%zu)",
                   station, element, ne);
            s->warned_element = true;
        }
        return NULL;
    }
    char why[160];
    if (rate * MIN_RING_S > (double)MAX_RING) {
        warn_station_once(d, station, "sample rate above 262 kHz");
        return NULL;
    }
    if (tl_detect_config_check(&d->cfg, rate, why, sizeof(why)) != TL_OK) {
        warn_station_once(d, station, why);
        return NULL;
    }
    struct chan *c = s->ch[element];
    if (!c) {
        c = tl_calloc(1, sizeof(*c));
        if (!c) {
            return NULL;
        }
        c->st = s;
        c->element = element;
        s->ch[element] = c;
        d->stats.channels++;
    }
    return c;
}

/* Restart a channel at t0 (finishing what its ring still allows). */
static int
restart(struct tl_detector *d, struct chan *c, tl_time_ns t0, double rate)
{
    int rc = TL_OK;
    if (c->active) {
        rc = chan_finalize_all(d, c);
        d->stats.restarts++;
    }
    if (rc == TL_OK) {
        chan_bands(d, c, rate);
        rc = chan_ring(c, rate);
        if (rc != TL_OK) {
            c->active = false; /* its bands may not match its ring: started afresh next time */
        }
    }
    if (rc == TL_OK) {
        chan_start(d, c, t0, rate);
    }
    return rc;
}

/* True when x[0..m) repeats what the channel saw from sample `from` on. */
static bool
repeats(const struct chan *c, int64_t from, const float *x, size_t m, double scale)
{
    if (from < oldest(c) || from + (int64_t)m > c->n) {
        return false;
    }
    for (size_t i = 0; i < m; i++) {
        double seen = (double)row(c, from + (int64_t)i)[2 * c->nb];
        double now = (double)x[i] * scale - c->dc;
        if (fabs(seen - now) > 1e-6 * (fabs(seen) + fabs(now)) + 1e-9) {
            return false;
        }
    }
    return true;
}

static int
feed(struct tl_detector *d, const char *station, int element, tl_time_ns t0, double rate,
     const float *x, size_t n, double scale)
{
    if (d->err) {
        return d->err;
    }
    if (!x || n == 0) {
        return TL_OK;
    }
    d->stats.records++;
    if (!(rate > 0.0) || !isfinite(rate) || rate > 1e6 || t0 < TL__WAVE_T_MIN_NS ||
        t0 >= TL__WAVE_T_MAX_NS) {
        d->stats.skipped++;
        return TL_OK;
    }
    struct chan *c = get_chan(d, station, element, rate);
    if (!c) {
        d->stats.skipped++;
        return TL_OK;
    }
    int rc = TL_OK;
    if (!c->active) {
        rc = restart(d, c, t0, rate);
    } else if (fabs(rate - c->rate_hz) > 1e-5 * c->rate_hz) {
        TL_LOG(TL_LOG_WARN, "detect", "station %s element %d: sample rate %g Hz -> %g Hz",
               station, element, c->rate_hz, rate);
        d->stats.rate_changes++;
        rc = restart(d, c, t0, rate);
    } else {
        tl_time_ns expect = time_of(c, c->n);
        double dt = (double)(t0 - expect) / 1e9;
        double half = fmax(0.5 / rate, STAMP_TOL_S);
        if (dt > half) {
            d->stats.gaps++;
            d->stats.gap_s += dt;
            int64_t k = (int64_t)llround(dt * rate);
            if (dt <= BRIDGE_S && k > 0) {
                /* Bridge: a straight line from the last sample to the next. */
                float fill[64];
                double first = (double)x[0] * scale - c->dc;
                for (int64_t i = 0; i < k && rc == TL_OK;) {
                    size_t m = 0;
                    for (; m < TL_ARRAY_LEN(fill) && i < k; m++, i++) {
                        double f = (double)(i + 1) / (double)(k + 1);
                        fill[m] = (float)((c->last_x + f * (first - c->last_x) + c->dc) / scale);
                    }
                    rc = chan_run(d, c, fill, m, scale);
                }
                d->stats.gaps_bridged++;
                d->stats.samples -= (uint64_t)k;
            } else {
                TL_LOG(TL_LOG_INFO, "detect", "station %s element %d: gap of %.3f s", station,
                       element, dt);
                rc = restart(d, c, t0, rate);
            }
        } else if (dt < -half) {
            double back = -dt * rate;
            int64_t from = c->n - (int64_t)llround(back);
            size_t probe = n < 16 ? n : 16;
            bool ends_before = (double)n <= back + 0.5;
            if (repeats(c, from, x, probe, scale) || (from < oldest(c) && ends_before)) {
                d->stats.overlaps++;
                size_t drop = (size_t)llround(back);
                drop = drop < n ? drop : n;
                d->stats.overlap_samples += drop;
                x += drop;
                n -= drop;
                if (n == 0) {
                    return TL_OK;
                }
            } else {
                TL_LOG(TL_LOG_WARN, "detect", "station %s element %d: clock jump of %.3f s",
                       station, element, dt);
                d->stats.clock_jumps++;
                rc = restart(d, c, t0, rate);
            }
        }
    }
    if (rc == TL_OK) {
        rc = chan_run(d, c, x, n, scale);
    }
    if (rc == TL_OK) {
        rc = station_drain(d, c->st, false);
    }
    if (rc != TL_OK && rc != TL_ENOMEM) {
        d->err = rc;
    }
    return rc;
}

int
tl_detector_feed(struct tl_detector *d, const char *station, int element, tl_time_ns t0_ns,
                 double rate_hz, const float *samples, size_t n)
{
    if (!d || !station) {
        return TL_EINVAL;
    }
    return feed(d, station, element, t0_ns, rate_hz, samples, n, 1.0 / d->cfg.gain);
}

int
tl__detector_feed_block(struct tl_detector *d, const struct tl__block *b)
{
    if (b->channel[0] && b->channel[1] != 'D') {
        /* Not a pressure channel (formats.md section 6: instrument code D). */
        d->stats.records++;
        d->stats.skipped++;
        return d->err;
    }
    if (b->element < 0) {
        d->stats.records++;
        d->stats.skipped++;
        warn_station_once(d, b->station, "a location code that is not an element number");
        return d->err;
    }
    double scale = b->scale > 0.0 ? b->scale : 1.0 / d->cfg.gain;
    return feed(d, b->station, b->element, b->t0_ns, b->rate_hz, b->x, b->n, scale);
}

int
tl_detector_flush(struct tl_detector *d)
{
    if (!d) {
        return TL_EINVAL;
    }
    if (d->err) {
        return d->err;
    }
    int rc = TL_OK;
    for (size_t i = 0; i < d->ns && rc == TL_OK; i++) {
        struct station *s = &d->st[i];
        for (int k = 0; k < TL_MAX_ELEMENTS && rc == TL_OK; k++) {
            if (s->ch[k] && s->ch[k]->active) {
                rc = chan_finalize_all(d, s->ch[k]);
            }
        }
        if (rc == TL_OK) {
            rc = station_drain(d, s, true);
        }
    }
    return rc;
}

/* ------------------------------------------------------------- output -- */

/* Append to a fixed buffer; `*len` stops growing once the buffer is full. */
static void
put(char *buf, size_t size, size_t *len, const char *fmt, ...) TL_PRINTF(4, 5);

static void
put(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    if (*len >= size) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    *len = n < 0 ? size : *len + (size_t)n;
}

int
tl_pick_format(const struct tl_pick *p, char *buf, size_t size)
{
    if (!p || !buf) {
        return TL_EINVAL;
    }
    char t[TL_TIME_TEXT_MAX];
    if (tl_time_format(p->t_ns, t, sizeof(t)) != TL_OK) {
        return TL_ERANGE;
    }
    char line[640];
    size_t n = 0, cap = sizeof(line);
    put(line, cap, &n, "{\"type\":\"pick\",\"station\":\"%s\"", p->station);
    if (p->id[0]) {
        put(line, cap, &n, ",\"id\":\"%s\"", p->id);
    }
    put(line, cap, &n, ",\"time\":\"%s\",\"sigma_s\":%.4f", t, fmax(0.0001, p->sigma_s));
    if (!isnan(p->snr_db)) {
        put(line, cap, &n, ",\"snr_db\":%.1f", p->snr_db);
    }
    if (!isnan(p->amp_pa)) {
        put(line, cap, &n, ",\"amp_pa\":%.4g", p->amp_pa);
    }
    if (!isnan(p->freq_hz)) {
        put(line, cap, &n, ",\"freq_hz\":%.1f", p->freq_hz);
    }
    if (!isnan(p->dur_s)) {
        put(line, cap, &n, ",\"dur_s\":%.4f", fmax(0.0001, p->dur_s));
    }
    if (!isnan(p->baz_deg)) {
        double b = wrap360(round(p->baz_deg * 10.0) / 10.0);
        double sb = isnan(p->baz_sigma_deg) ? TL_PICK_DEFAULT_BAZ_SIGMA_DEG : p->baz_sigma_deg;
        put(line, cap, &n, ",\"baz_deg\":%.1f,\"baz_sigma_deg\":%.1f", b >= 360.0 ? 0.0 : b,
            fmax(0.1, sb));
    }
    if (p->shock) {
        put(line, cap, &n, ",\"shock\":true");
    }
    put(line, cap, &n, "}\n");
    if (n >= cap || n + 1 > size) {
        return TL_ETOOBIG;
    }
    memcpy(buf, line, n + 1);
    return (int)n;
}
