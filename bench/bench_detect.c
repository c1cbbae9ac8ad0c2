/*
 * bench_detect.c - station processing against the simulator's truth (issue 5).
 *
 * Accuracy: scenarios of the demo mission are synthesised in memory
 * (tl_sim_waves_render, the same code `simulate --waveforms` writes to
 * miniSEED) and fed to a detector two seconds at a time, element by element,
 * as a telemetry stream would (nothing while a station is down, times on
 * its clock, as its files would have them); every pick is matched one to one
 * with the arrivals it could be (same station, within 0.25 s on the station's
 * clock, nearest first; arrivals during or just after an outage do not count)
 * and we print:
 *   - recall of the arrivals with the simulator's SNR >= 10 dB (blasts and
 *     echoes of real events, N-waves, impulsive and emergent onsets, by
 *     time since the previous arrival and, 0.1-0.6 s after it, by how much
 *     weaker than it, and all of them), and the recall of those that also
 *     reach 10 dB over what precedes them (sinr_db);
 *   - pick time error |pick - arrival| median and p90 at SNR >= 10 dB, and
 *     how often the error is within the pick's sigma;
 *   - back-azimuth error median (against the true direction and against
 *     the apparent one the wind bends it to) and the share within 2 sigma;
 *   - shock cues recognised and blasts mistaken for shocks.
 * False picks: noise alone (the same noise model, no arrivals and no
 * transients) at night, by day and in wind: picks per station-hour.
 * Throughput: the detector on 40 minutes of one channel (noise and 600
 * blasts), in samples per second per core, and a straightforward
 * non-recursive STA/LTA (the windows summed afresh at every sample) on the
 * same samples for comparison.
 * End to end: one busy hour of every station, waveforms -> detect -> process
 * against the simulator's own picks -> process, both bulletins scored by
 * tl_eval against the same truth (issue 5: within 10% of the picks-level
 * recall and location error), and the two location errors on the events both
 * runs found (the runs find different events: the medians over all of them
 * compare different sets), with a bootstrap interval of the ratio of medians.
 *
 *     bench_detect PRESET HOURS [STATIONS [START_H]]   one scenario (development)
 *     bench_detect noise PRESET START_H HOURS [STATIONS]
 *     bench_detect e2e PRESET HOURS [START_H]   (KEEP=1 keeps the files)
 *     bench_detect throughput
 *
 * VERBOSE=1 lists the isolated arrivals missed (ALL=1: every one missed),
 * ARRIVALS=1 every arrival counted (station, time, phase, SNR, emergent,
 * picked, time since the previous arrival, and across an array the apparent
 * back azimuth and elevation it was synthesised from),
 * UNMATCHED=1 the picks that match no arrival, CALIB=1 the signed pick errors (ms) with
 * their sigmas, the source and phase of the arrival, whether the simulator's own pick
 * list (truth.jsonl of e2e KEEP=1) holds it, the time since the previous arrival and how
 * many dB weaker than it, and DEBUG=1 sends the detector's debug log (its triggers and
 * candidates) to stderr.  RATE=HZ synthesises the waveforms of these runs at
 * that sample rate (500 Hz by default; the full bench also prints busy at 100
 * and 200 Hz, with the detector's bands fitted to the rate).
 */
#include <truceline/bulletin.h>
#include <truceline/detect.h>
#include <truceline/eval.h>
#include <truceline/geo.h>
#include <truceline/jsonl.h>
#include <truceline/pipeline.h>
#include <truceline/sim.h>
#include <truceline/time.h>

#include "../src/detect/detect_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MATCH_S 0.25

static double
strtod_or0(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    return end == s ? 0.0 : v;
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------ collect -- */

struct pk {
    struct tl_pick p;
    long st;
    long match;
};

struct pks {
    struct pk *v;
    size_t n, cap;
    const struct tl_mission *m;
};

static int
on_pick(void *ud, const struct tl_pick *p)
{
    struct pks *o = ud;
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 1024;
        o->v = realloc(o->v, o->cap * sizeof(*o->v));
        if (!o->v) {
            abort();
        }
    }
    o->v[o->n].p = *p;
    o->v[o->n].st = tl_mission_find_station(o->m, p->station);
    o->v[o->n].match = -1;
    o->n++;
    return TL_OK;
}

/*
 * Feed every selected station of `w` for [t0, t0 + hours) to detector `d` as
 * the station's files would have it: nothing during an outage, times on the
 * station's clock (both decided per chunk as the miniSEED writer does).
 * Returns the detector's CPU time; adds the samples fed to `*samples` and
 * the station-hours fed to `*sta_h`.
 */
static double
run(const struct tl_sim *s, struct tl_sim_waves *w, struct tl_detector *d, tl_time_ns t0,
    double hours, double rate, uint64_t *samples, double *sta_h)
{
    const struct tl_mission *m = tl_sim_mission(s);
    size_t chunk = (size_t)(2.0 * rate);
    size_t hour_n = (size_t)(3600.0 * rate);
    float *buf[TL_MAX_ELEMENTS];
    for (int e = 0; e < TL_MAX_ELEMENTS; e++) {
        buf[e] = malloc(hour_n * sizeof(float));
    }
    double t_det = 0.0;
    for (size_t k = 0; k < tl_mission_station_count(m); k++) {
        if (!tl_sim_waves_selected(w, k)) {
            continue;
        }
        const struct tl_station *st = tl_mission_station(m, k);
        size_t ne = st->n_elements ? st->n_elements : 1;
        for (double h = 0.0; h < hours - 1e-9; h += 1.0) {
            size_t n = (size_t)llround(fmin(1.0, hours - h) * 3600.0 * rate);
            tl_time_ns ts = t0 + (tl_time_ns)llround(h * 3600.0 * 1e9);
            if (tl_sim_waves_render(w, k, ts, n, buf) != TL_OK) {
                abort();
            }
            double a = now_s();
            for (size_t c = 0; c < n; c += chunk) {
                size_t len = n - c < chunk ? n - c : chunk;
                tl_time_ns tc = ts + (tl_time_ns)llround((double)c * 1e9 / rate);
                tl_time_ns mid = tc + (tl_time_ns)llround((double)len * 0.5e9 / rate);
                if (tl_sim_station_down(s, k, mid)) {
                    continue;
                }
                tl_time_ns clk = (tl_time_ns)llround(tl_sim_clock_offset_s(s, k, tc) * 1e9);
                for (size_t e = 0; e < ne; e++) {
                    tl_detector_feed(d, st->id, (int)e, tc + clk, rate, buf[e] + c, len);
                }
                *samples += (uint64_t)(len * ne);
                *sta_h += (double)len / rate / 3600.0;
            }
            t_det += now_s() - a;
        }
    }
    double a = now_s();
    tl_detector_flush(d);
    t_det += now_s() - a;
    for (int e = 0; e < TL_MAX_ELEMENTS; e++) {
        free(buf[e]);
    }
    return t_det;
}

/* --------------------------------------------------------- statistics -- */

static int
cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y);
}

static double
quant(double *v, size_t n, double q)
{
    if (n == 0) {
        return NAN;
    }
    qsort(v, n, sizeof(double), cmp_d);
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    double f = pos - (double)i;
    return i + 1 < n ? v[i] * (1.0 - f) + v[i + 1] * f : v[i];
}

static double
angdiff(double a, double b)
{
    double d = fmod(a - b + 540.0, 360.0) - 180.0;
    return fabs(d);
}

struct pair {
    double cost;
    size_t a, p;
};

static int
cmp_pair(const void *x, const void *y)
{
    const struct pair *a = x, *b = y;
    return a->cost < b->cost ? -1 : (a->cost > b->cost);
}

struct result {
    size_t n10, hit10, n10_blast, hit10_blast, n10_shock, hit10_shock, n10_echo, hit10_echo;
    size_t n10_iso, hit10_iso;
    size_t n10_emerg, hit10_emerg; /* emergent onsets (rocket motors) */
    size_t n10_res, hit10_res;   /* not masked by the coda of a stronger arrival */
    size_t nsi, hitsi, nsi_em, hitsi_em; /* SINR >= 10 dB (sinr_db), and emergent among them */
    size_t gap_n[5], gap_hit[5]; /* by time since the previous arrival */
    size_t rel_n[4], rel_hit[4]; /* impulsive, 0.1-0.6 s after it: by level below it */
    size_t picks, matched, unmatched;
    size_t shock_hit, shock_flag, blast_hit, blast_as_shock;
    double err_med_ms, err_p90_ms, err_mean_ms, within1s;
    double baz_med, baz_app_med, baz_p90, baz_within2s, baz_src_within1s, nw_baz_med;
    size_t n_baz, n_nw_baz;
};

/* Arrivals inside the waveforms (the first seconds warm the filters up). */
static tl_time_ns g_from, g_to;

/* Whether station `st` delivered the data around `t`: not down from 5 s
 * before (a restarted channel warms up for 2 s) to 1 s after. */
static bool
delivered(const struct tl_sim *s, size_t st, tl_time_ns t)
{
    for (tl_time_ns u = t - 5 * TL_NS_PER_S; u <= t + TL_NS_PER_S; u += TL_NS_PER_S / 2) {
        if (tl_sim_station_down(s, st, u)) {
            return false;
        }
    }
    return true;
}

/*
 * An arrival's SNR over what precedes it.  The simulator's SNR is the
 * arrival's level against the ambient noise alone; an onset in another
 * arrival's coda (a gun's in the battery's others', a rocket's in the
 * salvo's roar) must also rise above that coda, as an analyst's
 * signal-to-noise ratio of a pick measures it: the signal after the onset
 * against what came just before.  Its own signal in the 0.2 s after the
 * onset (the simulator's window) against the other arrivals' in the 0.2 s
 * before, each band-passed as the detector's bands are (the better band),
 * joined with the noise the simulator's SNR holds: 1/SINR = 1/SNR + I/S.
 */
#define SINR_WIN_S  0.2
#define SINR_LEAD_S 1.0 /* the band-pass settles */

static double
band_mean_sq(const float *x, size_t n, size_t from, size_t to, int order, double lo_hz,
             double hi_hz, double fs)
{
    struct tl__biquad hp[TL__MAX_SECTIONS], lp[TL__MAX_SECTIONS];
    int nhp = tl__butter_highpass(order, lo_hz, fs, hp);
    int nlp = tl__butter_lowpass(order, hi_hz, fs, lp);
    double acc = 0.0;
    for (size_t k = 0; k < n && k < to; k++) {
        double y = x[k];
        for (int i = 0; i < nhp; i++) {
            y = tl__biquad_step(&hp[i], y);
        }
        for (int i = 0; i < nlp; i++) {
            y = tl__biquad_step(&lp[i], y);
        }
        if (k >= from) {
            acc += y * y;
        }
    }
    return acc / (double)(to - from);
}

static double
sinr_db(struct tl_sim_waves *w, size_t j, double fs)
{
    const struct tl_sim_arrival *a = tl_sim_waves_arrival(w, j);
    size_t lead = (size_t)(SINR_LEAD_S * fs), win = (size_t)(SINR_WIN_S * fs);
    size_t n = lead + 2 * win;
    tl_time_ns t0 = a->t_ns - (tl_time_ns)((double)(lead + win) / fs * 1e9);
    float *own = calloc(n, sizeof(float)), *rest = calloc(n, sizeof(float));
    if (!own || !rest || tl_sim_waves_render_arrival(w, j, t0, n, own) != TL_OK) {
        abort();
    }
    for (long q = (long)j - 1; q >= 0; q--) {
        const struct tl_sim_arrival *b = tl_sim_waves_arrival(w, (size_t)q);
        if (b->station != a->station || a->t_ns - b->t_ns > 10 * TL_NS_PER_S) {
            break;
        }
        if (tl_sim_waves_render_arrival(w, (size_t)q, t0, n, rest) != TL_OK) {
            abort();
        }
    }
    /* The detector's default bands, fitted to the rate as it fits them (an upper corner at
     * 0.4 fs at most, an octave at least: docs/detect.md section 2). */
    struct tl_detect_config dc;
    tl_detect_config_default(&dc);
    double best = INFINITY;
    for (size_t b = 0; b < dc.n_bands; b++) {
        double lo = dc.band[b].lo_hz, top = fmin(dc.band[b].hi_hz, 0.4 * fs);
        if (top < 2.0 * lo) {
            continue;
        }
        double sig = band_mean_sq(own, n, lead + win, n, dc.order, lo, top, fs);
        double oth = band_mean_sq(rest, n, lead, lead + win, dc.order, lo, top, fs);
        if (sig > 0.0) {
            best = fmin(best, oth / sig);
        }
    }
    free(own);
    free(rest);
    return -10.0 * log10(pow(10.0, -a->snr_db / 10.0) + best);
}

static void
evaluate(const struct tl_sim *s, struct tl_sim_waves *w, double fs, struct pks *o, struct result *r,
         bool verbose)
{
    memset(r, 0, sizeof(*r));
    size_t na = tl_sim_waves_arrival_count(w);
    long *amatch = malloc((na + 1) * sizeof(long));
    struct pair *pr = NULL;
    size_t npr = 0, cap = 0;
    /* Candidate pairs: same station, within MATCH_S on the station clock. */
    for (size_t i = 0; i < o->n; i++) {
        size_t lo = 0, hi = na;
        tl_time_ns t = o->v[i].p.t_ns;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            const struct tl_sim_arrival *a = tl_sim_waves_arrival(w, mid);
            if ((long)a->station < o->v[i].st ||
                ((long)a->station == o->v[i].st && a->t_ns < t - (tl_time_ns)(MATCH_S * 2e9))) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        for (size_t j = lo; j < na; j++) {
            const struct tl_sim_arrival *a = tl_sim_waves_arrival(w, j);
            if ((long)a->station != o->v[i].st || a->t_ns > t + (tl_time_ns)(MATCH_S * 2e9)) {
                break;
            }
            double dt = fabs((double)(t - a->station_t_ns) / 1e9);
            if (dt <= MATCH_S) {
                if (npr == cap) {
                    cap = cap ? 2 * cap : 4096;
                    pr = realloc(pr, cap * sizeof(*pr));
                }
                /* Prefer a shock pick for a shock arrival and a blast pick for a blast. */
                bool same = o->v[i].p.shock == (a->phase == TL_SIM_SHOCK);
                pr[npr].cost = dt + (same ? 0.0 : 0.02);
                pr[npr].a = j;
                pr[npr].p = i;
                npr++;
            }
        }
    }
    qsort(pr, npr, sizeof(*pr), cmp_pair);
    for (size_t j = 0; j < na; j++) {
        amatch[j] = -1;
    }
    for (size_t k = 0; k < npr; k++) {
        if (amatch[pr[k].a] < 0 && o->v[pr[k].p].match < 0) {
            amatch[pr[k].a] = (long)pr[k].p;
            o->v[pr[k].p].match = (long)pr[k].a;
        }
    }
    double *err = malloc((na + 1) * sizeof(double));
    double *baz = malloc((na + 1) * sizeof(double));
    double *baz_app = malloc((na + 1) * sizeof(double));
    double *nwave_err = malloc((na + 1) * sizeof(double));
    size_t nnw = 0;
    size_t ne = 0, nb = 0, nin = 0, nbin = 0, nbsrc = 0;
    double esum = 0.0;
    for (size_t j = 0; j < na; j++) {
        const struct tl_sim_arrival *a = tl_sim_waves_arrival(w, j);
        long pi = amatch[j];
        bool hit = pi >= 0;
        bool inside = a->t_ns >= g_from && a->t_ns < g_to && delivered(s, a->station, a->t_ns);
        if (a->event >= 0 && a->snr_db >= 10.0 && inside) {
            r->n10++;
            r->hit10 += hit;
            /* Isolated: no other arrival at the station within a second. */
            bool iso = true;
            for (long q = (long)j - 1; q >= 0; q--) {
                const struct tl_sim_arrival *b = tl_sim_waves_arrival(w, (size_t)q);
                if (b->station != a->station || a->t_ns - b->t_ns > TL_NS_PER_S) {
                    break;
                }
                iso = false;
            }
            for (size_t q = j + 1; q < na && iso; q++) {
                const struct tl_sim_arrival *b = tl_sim_waves_arrival(w, q);
                if (b->station != a->station || b->t_ns - a->t_ns > TL_NS_PER_S) {
                    break;
                }
                iso = false;
            }
            r->n10_emerg += a->emergent;
            r->hit10_emerg += a->emergent && hit;
            r->n10_iso += iso;
            r->hit10_iso += iso && hit;
            /* The simulator's own picker model: an arrival inside 0.8 of the
             * duration of an earlier one is lost unless 3 dB stronger. */
            bool masked = false;
            double gap = INFINITY, prev_db = NAN;
            for (long q = (long)j - 1; q >= 0; q--) {
                const struct tl_sim_arrival *b = tl_sim_waves_arrival(w, (size_t)q);
                if (b->station != a->station || a->t_ns - b->t_ns > 10 * TL_NS_PER_S) {
                    break;
                }
                double dt = (double)(a->t_ns - b->t_ns) / 1e9;
                if (b->snr_db > -20.0 && dt < gap) {
                    gap = dt;
                    prev_db = b->snr_db;
                }
                masked = masked || (dt < 0.8 * b->dur_s && a->snr_db < b->snr_db + 3.0);
            }
            r->n10_res += !masked;
            r->hit10_res += !masked && hit;
            double sinr = sinr_db(w, j, fs);
            if (sinr >= 10.0) {
                r->nsi++;
                r->hitsi += hit;
                r->nsi_em += a->emergent;
                r->hitsi_em += a->emergent && hit;
            }
            int gb = gap < 0.1 ? 0 : gap < 0.3 ? 1 : gap < 0.6 ? 2 : gap < 1.0 ? 3 : 4;
            r->gap_n[gb]++;
            r->gap_hit[gb] += hit;
            if (!a->emergent && gap >= 0.1 && gap < 0.6) {
                double below = prev_db - a->snr_db;
                int rb = below > 10.0 ? 0 : below > 6.0 ? 1 : below > 0.0 ? 2 : 3;
                r->rel_n[rb]++;
                r->rel_hit[rb] += hit;
            }
            if (a->phase == TL_SIM_BLAST) {
                r->n10_blast++;
                r->hit10_blast += hit;
            } else if (a->phase == TL_SIM_SHOCK) {
                r->n10_shock++;
                r->hit10_shock += hit;
            } else {
                r->n10_echo++;
                r->hit10_echo += hit;
            }
            if (hit) {
                const struct tl_pick *p = &o->v[pi].p;
                double e = (double)(p->t_ns - a->station_t_ns) / 1e9;
                err[ne++] = fabs(e) * 1000.0;
                esum += e * 1000.0;
                nin += fabs(e) <= p->sigma_s;
                if (getenv("CALIB")) {
                    const struct tl_sim_event *te = tl_sim_event(s, (size_t)a->event);
                    printf("CAL %.1f %.3f %.3f %.1f %d %s %d %d %.3f %.1f\n", p->snr_db, e * 1000.0,
                           p->sigma_s * 1000.0, p->freq_hz, p->shock, te->source ? te->source : "-",
                           (int)a->phase, a->pick >= 0, gap, prev_db - a->snr_db);
                }
            }
            if (getenv("ARRIVALS")) {
                char t[TL_TIME_TEXT_MAX];
                tl_time_format(a->station_t_ns, t, sizeof(t));
                printf("ARR %s %s %d %.1f %d %d %.3f %.2f %.2f %.1f\n",
                       tl_mission_station(o->m, a->station)->id, t, (int)a->phase, a->snr_db,
                       a->emergent, hit, gap, a->baz_deg, a->elev_deg, sinr);
            }
            if (verbose && !hit && (iso || getenv("ALL"))) {
                printf("  gap %.3f masked %d ", gap, masked);
                char t[TL_TIME_TEXT_MAX];
                tl_time_format(a->station_t_ns, t, sizeof(t));
                printf("  missed: %s %s phase %d snr %.1f amp %.3g f %.1f dur %.2f dist %.0f%s\n",
                       tl_mission_station(o->m, a->station)->id, t, (int)a->phase, a->snr_db,
                       a->amp_pa, a->freq_hz, a->dur_s, a->dist_m, a->emergent ? " emergent" : "");
            }
        }
        if (hit) {
            const struct tl_pick *p = &o->v[pi].p;
            if (a->phase == TL_SIM_SHOCK && a->event >= 0) {
                r->shock_hit++;
                r->shock_flag += p->shock;
            } else if (a->event >= 0) {
                r->blast_hit++;
                r->blast_as_shock += p->shock;
            }
            /* Direct blasts only: an echo comes from elsewhere, an N-wave from
             * its emission point (reported apart below). */
            if (!isnan(p->baz_deg) && !isnan(a->baz_true_deg) && a->event >= 0 &&
                a->snr_db >= 10.0 && inside && a->phase == TL_SIM_SHOCK) {
                nwave_err[nnw++] = angdiff(p->baz_deg, a->baz_true_deg);
            }
            if (!isnan(p->baz_deg) && !isnan(a->baz_true_deg) && a->event >= 0 &&
                a->snr_db >= 10.0 && inside && a->phase == TL_SIM_BLAST) {
                baz[nb] = angdiff(p->baz_deg, a->baz_true_deg);
                baz_app[nb] = angdiff(p->baz_deg, a->baz_deg);
                nbin += baz_app[nb] <= 2.0 * p->baz_sigma_deg;
                nbsrc += baz[nb] <= p->baz_sigma_deg;
                nb++;
            }
        }
    }
    r->picks = o->n;
    for (size_t i = 0; i < o->n; i++) {
        r->matched += o->v[i].match >= 0;
        if (verbose && o->v[i].match < 0 && getenv("UNMATCHED")) {
            char t[TL_TIME_TEXT_MAX];
            tl_time_format(o->v[i].p.t_ns, t, sizeof(t));
            printf("  unmatched pick: %s %s snr %.1f amp %.3g f %.1f dur %.3f%s\n",
                   o->v[i].p.station, t, o->v[i].p.snr_db, o->v[i].p.amp_pa, o->v[i].p.freq_hz,
                   o->v[i].p.dur_s, o->v[i].p.shock ? " shock" : "");
        }
    }
    r->unmatched = r->picks - r->matched;
    r->err_mean_ms = ne ? esum / (double)ne : (double)NAN;
    r->within1s = ne ? (double)nin / (double)ne : (double)NAN;
    r->err_med_ms = quant(err, ne, 0.5);
    r->err_p90_ms = quant(err, ne, 0.9);
    r->n_baz = nb;
    r->baz_within2s = nb ? (double)nbin / (double)nb : (double)NAN;
    r->baz_src_within1s = nb ? (double)nbsrc / (double)nb : (double)NAN;
    r->baz_med = quant(baz, nb, 0.5);
    r->baz_p90 = quant(baz, nb, 0.9);
    r->baz_app_med = quant(baz_app, nb, 0.5);
    r->nw_baz_med = quant(nwave_err, nnw, 0.5);
    r->n_nw_baz = nnw;
    free(nwave_err);
    free(err);
    free(baz);
    free(baz_app);
    free(pr);
    free(amatch);
}

static double
pct(size_t a, size_t b)
{
    return b ? 100.0 * (double)a / (double)b : (double)NAN;
}

static void
print_result(const char *name, const struct result *r, double station_hours)
{
    printf("%-22s recall SNR>=10 dB: %.1f%% (%zu/%zu); blasts %.1f%% (%zu), isolated %.1f%% "
           "(%zu), N-waves %.1f%% (%zu), echoes %.1f%% (%zu)\n",
           name, pct(r->hit10, r->n10), r->hit10, r->n10, pct(r->hit10_blast, r->n10_blast),
           r->n10_blast, pct(r->hit10_iso, r->n10_iso), r->n10_iso,
           pct(r->hit10_shock, r->n10_shock), r->n10_shock, pct(r->hit10_echo, r->n10_echo),
           r->n10_echo);
    printf("%-22s impulsive onsets %.1f%% (%zu), emergent ones (rocket motors) %.1f%% (%zu)\n", "",
           pct(r->hit10 - r->hit10_emerg, r->n10 - r->n10_emerg), r->n10 - r->n10_emerg,
           pct(r->hit10_emerg, r->n10_emerg), r->n10_emerg);
    printf("%-22s SNR >= 10 dB over the noise and the arrivals before them too (SINR): %.1f%% "
           "(%zu/%zu); impulsive %.1f%% (%zu), emergent %.1f%% (%zu)\n",
           "", pct(r->hitsi, r->nsi), r->hitsi, r->nsi,
           pct(r->hitsi - r->hitsi_em, r->nsi - r->nsi_em), r->nsi - r->nsi_em,
           pct(r->hitsi_em, r->nsi_em), r->nsi_em);
    printf("%-22s not masked by a stronger arrival's coda: %.1f%% (%zu); by time since the "
           "last arrival: <0.1 s %.0f%% (%zu), 0.1-0.3 %.0f%% (%zu), 0.3-0.6 %.0f%% (%zu), "
           "0.6-1 %.0f%% (%zu), >1 s %.0f%% (%zu)\n",
           "", pct(r->hit10_res, r->n10_res), r->n10_res, pct(r->gap_hit[0], r->gap_n[0]),
           r->gap_n[0], pct(r->gap_hit[1], r->gap_n[1]), r->gap_n[1],
           pct(r->gap_hit[2], r->gap_n[2]), r->gap_n[2], pct(r->gap_hit[3], r->gap_n[3]),
           r->gap_n[3], pct(r->gap_hit[4], r->gap_n[4]), r->gap_n[4]);
    printf("%-22s impulsive, 0.1-0.6 s after the last arrival, by level below it: > 10 dB "
           "%.0f%% (%zu), 6-10 dB %.0f%% (%zu), 0-6 dB %.0f%% (%zu), not below %.0f%% (%zu)\n",
           "", pct(r->rel_hit[0], r->rel_n[0]), r->rel_n[0], pct(r->rel_hit[1], r->rel_n[1]),
           r->rel_n[1], pct(r->rel_hit[2], r->rel_n[2]), r->rel_n[2],
           pct(r->rel_hit[3], r->rel_n[3]), r->rel_n[3]);
    printf("%-22s pick error |dt| median %.2f ms, p90 %.2f ms (mean signed %+.2f ms; "
           "%.0f%% within sigma)\n",
           "", r->err_med_ms, r->err_p90_ms, r->err_mean_ms, 100.0 * r->within1s);
    printf("%-22s back azimuth error (blasts) median %.2f deg (p90 %.2f) against the source "
           "(%.0f%% within sigma), %.2f deg against the apparent direction (%.0f%% within 2 "
           "sigma; %zu bearings); N-waves %.2f deg (%zu)\n",
           "", r->baz_med, r->baz_p90, 100.0 * r->baz_src_within1s, r->baz_app_med,
           100.0 * r->baz_within2s, r->n_baz, r->nw_baz_med, r->n_nw_baz);
    printf("%-22s shock cues recognised %.0f%% of %zu N-waves picked; blasts flagged shock "
           "%.1f%% of %zu; picks %zu, unmatched %zu (%.1f per station-hour)\n",
           "", pct(r->shock_flag, r->shock_hit), r->shock_hit, pct(r->blast_as_shock, r->blast_hit),
           r->blast_hit, r->picks, r->unmatched, (double)r->unmatched / station_hours);
}

/* ----------------------------------------------------------- scenarios -- */

/* RATE=HZ in the environment: the sample rate of a command-line run's waveforms (0: none). */
static double
env_rate_hz(void)
{
    return getenv("RATE") ? strtod_or0(getenv("RATE")) : 0.0;
}

/* The waveforms at rate_hz, when it is set (> 0). */
static void
set_rate(struct tl_sim_waveform_config *wc, double rate_hz)
{
    if (rate_hz > 0.0) {
        wc->rate_hz = rate_hz;
    }
}

static const struct tl_mission *g_m;

static void
accuracy(const char *preset, uint64_t seed, double start_h, double hours, const char *stations,
         double rate_hz, bool verbose)
{
    struct tl_sim_config sc = {preset, seed,
                               TL_SIM_DEFAULT_START_NS + (tl_time_ns)(start_h * 3600.0 * 1e9),
                               hours, false};
    struct tl_sim *s = NULL;
    if (tl_sim_generate(g_m, &sc, &s) != TL_OK) {
        abort();
    }
    struct tl_sim_waveform_config wc;
    tl_sim_waveform_config_default(&wc);
    wc.stations = stations;
    set_rate(&wc, rate_hz);
    struct tl_sim_waves *w = NULL;
    if (tl_sim_waves_new(s, &wc, &w) != TL_OK) {
        abort();
    }
    struct pks o = {NULL, 0, 0, tl_sim_mission(s)};
    struct tl_detector *d = NULL;
    if (tl_detector_new(tl_sim_mission(s), NULL, on_pick, &o, &d) != TL_OK) {
        abort();
    }
    uint64_t ns = 0;
    double sta_h = 0.0;
    double t = run(s, w, d, sc.start_ns, hours, wc.rate_hz, &ns, &sta_h);
    g_from = sc.start_ns + 5 * TL_NS_PER_S;
    g_to = sc.start_ns + (tl_time_ns)(hours * 3600.0 * 1e9) - 3 * TL_NS_PER_S;
    size_t nst = 0;
    for (size_t k = 0; k < tl_mission_station_count(tl_sim_mission(s)); k++) {
        nst += tl_sim_waves_selected(w, k);
    }
    struct result r;
    evaluate(s, w, wc.rate_hz, &o, &r, verbose);
    char name[64];
    snprintf(name, sizeof(name), "%s %.0fh x %zu sta %.0f Hz", preset, hours, nst, wc.rate_hz);
    print_result(name, &r, sta_h);
    printf("%-22s (%.1f M samples in %.2f s: %.1f M samples/s)\n", "", (double)ns / 1e6, t,
           (double)ns / 1e6 / t);
    tl_detector_free(d);
    free(o.v);
    tl_sim_waves_free(w);
    tl_sim_free(s);
}

static double
noise_only(const char *preset, double start_h, double hours, const char *stations, size_t *picks,
           double *sta_hours)
{
    struct tl_sim_config sc = {preset, 7,
                               TL_SIM_DEFAULT_START_NS + (tl_time_ns)(start_h * 3600.0 * 1e9),
                               hours, false};
    struct tl_sim *s = NULL;
    if (tl_sim_generate(g_m, &sc, &s) != TL_OK) {
        abort();
    }
    struct tl_sim_waveform_config wc;
    tl_sim_waveform_config_default(&wc);
    wc.stations = stations;
    wc.noise_only = true;
    set_rate(&wc, env_rate_hz());
    struct tl_sim_waves *w = NULL;
    if (tl_sim_waves_new(s, &wc, &w) != TL_OK) {
        abort();
    }
    struct pks o = {NULL, 0, 0, tl_sim_mission(s)};
    struct tl_detector *d = NULL;
    tl_detector_new(tl_sim_mission(s), NULL, on_pick, &o, &d);
    uint64_t ns = 0;
    *sta_hours = 0.0;
    run(s, w, d, sc.start_ns, hours, wc.rate_hz, &ns, sta_hours);
    *picks = o.n;
    tl_detector_free(d);
    free(o.v);
    tl_sim_waves_free(w);
    tl_sim_free(s);
    return (double)*picks / *sta_hours;
}

/* --------------------------------------------------------- end to end -- */

struct feed_pipe {
    struct tl_pipeline *p;
    size_t picks;
    FILE *out;
};

static int
to_pipeline(void *ud, const struct tl_pick *pk)
{
    struct feed_pipe *f = ud;
    struct tl_record r;
    memset(&r, 0, sizeof(r));
    r.type = TL_REC_PICK;
    r.u.pick = *pk;
    f->picks++;
    if (f->out) {
        char line[640];
        int n = tl_pick_format(pk, line, sizeof(line));
        if (n > 0) {
            fwrite(line, 1, (size_t)n, f->out);
        }
    }
    int rc = tl_pipeline_add(f->p, &r);
    return rc == TL_EDUP ? TL_OK : rc;
}

static void
print_eval(const char *what, const struct tl_eval *e, size_t picks)
{
    printf("  %-16s %5zu picks: events recall %.1f%% (%ld of %ld heard by >= 5), precision "
           "%.1f%%; location median launch %.0f m, impact %.0f m (p90 %.0f, %.0f m); pairs "
           "recall %.1f%%\n",
           what, picks, 100.0 * e->all.recall, e->all.recalled, e->all.truth,
           100.0 * e->all.precision, e->loc_median_m[0], e->loc_median_m[1], e->loc_p90_m[0],
           e->loc_p90_m[1], 100.0 * e->pairs_recall);
}

/*
 * Location error of every true event found, by the rule tl_eval matches with
 * (a found event within 2 s and 1 km, the cheapest pairs dt / 0.25 s +
 * distance / 100 m first, one to one): err_m[i] for true event i, NAN when
 * not found.
 */
static void
locate_errors(const struct tl_sim *s, const struct tl_event *ev, size_t nev, double *err_m)
{
    size_t nt = tl_sim_event_count(s);
    struct pair *pr = NULL;
    size_t npr = 0, cap = 0;
    for (size_t f = 0; f < nev; f++) {
        for (size_t t = 0; t < nt; t++) {
            const struct tl_sim_event *te = tl_sim_event(s, t);
            double dt = fabs((double)(ev[f].t_ns - te->t_ns)) / 1e9;
            double dm = tl_geo_dist_m(ev[f].lat_deg, ev[f].lon_deg, te->lat_deg, te->lon_deg);
            if (dt > 2.0 || dm > 1000.0) {
                continue;
            }
            if (npr == cap) {
                cap = cap ? 2 * cap : 1024;
                pr = realloc(pr, cap * sizeof(*pr));
            }
            pr[npr++] = (struct pair){dt / 0.25 + dm / 100.0, t, f};
        }
    }
    qsort(pr, npr, sizeof(*pr), cmp_pair);
    bool *used = calloc(nev + 1, sizeof(bool));
    for (size_t t = 0; t < nt; t++) {
        err_m[t] = NAN;
    }
    for (size_t k = 0; k < npr; k++) {
        if (isnan(err_m[pr[k].a]) && !used[pr[k].p]) {
            const struct tl_sim_event *te = tl_sim_event(s, pr[k].a);
            err_m[pr[k].a] = tl_geo_dist_m(ev[pr[k].p].lat_deg, ev[pr[k].p].lon_deg, te->lat_deg,
                                           te->lon_deg);
            used[pr[k].p] = true;
        }
    }
    free(used);
    free(pr);
}

/*
 * The two runs' location errors on the events both found, per class: their
 * medians, how often the waveform run is the closer, and a bootstrap 90%
 * interval of the ratio of the medians (what one hour can resolve).
 */
static void
print_common(const struct tl_sim *s, const double *e_picks, const double *e_wave)
{
    size_t nt = tl_sim_event_count(s);
    double *a = malloc((nt + 1) * sizeof(double)), *b = malloc((nt + 1) * sizeof(double));
    double *x = malloc((nt + 1) * sizeof(double)), *y = malloc((nt + 1) * sizeof(double));
    double ratio[1000];
    static const char *const name[] = {"launch", "impact"};
    for (int cls = 0; cls < 2; cls++) {
        size_t n = 0, closer = 0, only_w = 0, only_p = 0;
        for (size_t t = 0; t < nt; t++) {
            if ((int)tl_sim_event(s, t)->cls != cls) {
                continue;
            }
            only_w += isnan(e_picks[t]) && !isnan(e_wave[t]);
            only_p += !isnan(e_picks[t]) && isnan(e_wave[t]);
            if (!isnan(e_picks[t]) && !isnan(e_wave[t])) {
                a[n] = e_picks[t];
                b[n] = e_wave[t];
                closer += b[n] < a[n];
                n++;
            }
        }
        uint64_t z = 0x9E3779B97F4A7C15ull;
        for (int k = 0; k < 1000 && n > 0; k++) {
            for (size_t i = 0; i < n; i++) {
                z ^= z << 13;
                z ^= z >> 7;
                z ^= z << 17;
                size_t j = (size_t)(z % n);
                x[i] = a[j];
                y[i] = b[j];
            }
            ratio[k] = quant(y, n, 0.5) / fmax(1e-9, quant(x, n, 0.5));
        }
        double lo = n ? quant(ratio, 1000, 0.05) : (double)NAN;
        double hi = n ? quant(ratio, 1000, 0.95) : (double)NAN;
        double mp = quant(a, n, 0.5), mw = quant(b, n, 0.5);
        printf("  %s, events both found (%zu; %zu only from picks, %zu only from waveforms): "
               "median %.0f m from picks, %.0f m from waveforms; waveforms closer in %zu; ratio "
               "of medians 90%% interval %.2f-%.2f\n",
               name[cls], n, only_p, only_w, mp, mw, closer, lo, hi);
    }
    free(a);
    free(b);
    free(x);
    free(y);
}

/*
 * Waveforms -> detect -> process against the simulator's own picks -> process,
 * on the same scenario (every station, outages and clock faults applied as
 * the miniSEED writer does), both scored by tl_eval against the same truth.
 */
static void
end_to_end(const char *preset, double start_h, double hours)
{
    char dir[] = "/tmp/tl_bench_e2e_XXXXXX";
    if (!mkdtemp(dir)) {
        abort();
    }
    struct tl_sim_config sc = {preset, 1,
                               TL_SIM_DEFAULT_START_NS + (tl_time_ns)(start_h * 3600.0 * 1e9),
                               hours, false};
    struct tl_sim *s = NULL;
    if (tl_sim_generate(g_m, &sc, &s) != TL_OK || tl_sim_write(s, dir) != TL_OK) {
        abort();
    }
    const struct tl_mission *m = tl_sim_mission(s);
    char truth[128], recs[128], bp[128], bw[128];
    snprintf(truth, sizeof(truth), "%s/truth.jsonl", dir);
    snprintf(recs, sizeof(recs), "%s/records.jsonl", dir);
    snprintf(bp, sizeof(bp), "%s/bulletin_picks.geojson", dir);
    snprintf(bw, sizeof(bw), "%s/bulletin_waveforms.geojson", dir);
    struct tl_eval ep, ew;
    size_t n_wave_picks = 0;
    double *loc_err[2];
    for (int pass = 0; pass < 2; pass++) {
        struct tl_pipeline *p = NULL;
        if (tl_pipeline_new(m, NULL, &p) != TL_OK) {
            abort();
        }
        struct feed_pipe fp = {p, 0, NULL};
        char wp[160];
        snprintf(wp, sizeof(wp), "%s/waveform_picks.jsonl", dir);
        if (pass == 1 && getenv("KEEP")) {
            fp.out = fopen(wp, "w");
        }
        /* met and status as the stations sent them; picks from one or the other */
        struct tl_jsonl *jr = NULL;
        if (tl_jsonl_open(recs, 0, &jr, NULL) != TL_OK) {
            abort();
        }
        const char *line;
        size_t len;
        while (tl_jsonl_next(jr, &line, &len, NULL) == 1) {
            struct tl_record r;
            if (tl_record_parse(line, len, m, &r, NULL) == TL_OK &&
                (pass == 0 || r.type != TL_REC_PICK)) {
                tl_pipeline_add(p, &r);
            }
        }
        tl_jsonl_free(jr);
        if (pass == 1) {
            struct tl_sim_waveform_config wc;
            tl_sim_waveform_config_default(&wc);
            set_rate(&wc, env_rate_hz());
            struct tl_sim_waves *w = NULL;
            struct tl_detector *d = NULL;
            if (tl_sim_waves_new(s, &wc, &w) != TL_OK ||
                tl_detector_new(m, NULL, to_pipeline, &fp, &d) != TL_OK) {
                abort();
            }
            uint64_t ns = 0;
            double sta_h = 0.0;
            run(s, w, d, sc.start_ns, hours, wc.rate_hz, &ns, &sta_h);
            tl_detector_free(d);
            tl_sim_waves_free(w);
        }
        if (tl_pipeline_run(p, INT64_MAX) != TL_OK) {
            abort();
        }
        struct tl_bulletin b;
        tl_pipeline_bulletin(p, &b);
        loc_err[pass] = malloc((tl_sim_event_count(s) + 1) * sizeof(double));
        locate_errors(s, b.events, b.n_events, loc_err[pass]);
        if (tl_bulletin_write(&b, pass == 0 ? bp : bw, NULL) != TL_OK ||
            tl_eval_files(truth, pass == 0 ? bp : bw, pass == 0 ? &ep : &ew, NULL) != TL_OK) {
            abort();
        }
        if (pass == 1) {
            n_wave_picks = fp.picks;
            if (fp.out) {
                fclose(fp.out);
            }
        }
        tl_pipeline_free(p);
    }
    printf("end to end, %s %.0f h from %02.0f:00, all %zu stations (truceline process + "
           "evaluate on the same scenario):\n",
           preset, hours, start_h, tl_mission_station_count(m));
    print_eval("simulator picks", &ep, tl_sim_stats(s)->picks);
    print_eval("waveform picks", &ew, n_wave_picks);
    print_common(s, loc_err[0], loc_err[1]);
    free(loc_err[0]);
    free(loc_err[1]);
    if (getenv("KEEP")) {
        printf("  (files kept in %s)\n", dir);
        tl_sim_free(s);
        return;
    }
    static const char *const names[] = {"truth.jsonl", "records.jsonl", "mission.geojson",
                                        "scenario.json", "bulletin_picks.geojson",
                                        "bulletin_waveforms.geojson"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[160];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    tl_sim_free(s);
}

/* ---------------------------------------------------------- throughput -- */

/* The straightforward STA/LTA: both windows summed afresh at every sample. */
static size_t
naive_stalta(const float *x, size_t n, size_t nsta, size_t nlta, double on, double off)
{
    size_t trig = 0;
    bool state = false;
    for (size_t i = nlta; i < n; i++) {
        double s = 0.0, l = 0.0;
        for (size_t k = i + 1 - nsta; k <= i; k++) {
            s += (double)x[k] * (double)x[k];
        }
        for (size_t k = i + 1 - nlta; k <= i; k++) {
            l += (double)x[k] * (double)x[k];
        }
        double r = (s / (double)nsta) / (l / (double)nlta + 1e-30);
        if (!state && r > on) {
            state = true;
            trig++;
        } else if (state && r < off) {
            state = false;
        }
    }
    return trig;
}

static void
throughput(void)
{
    const struct tl_station *st = NULL;
    for (size_t k = 0; k < tl_mission_station_count(g_m) && !st; k++) {
        if (tl_mission_station(g_m, k)->n_elements == 0) {
            st = tl_mission_station(g_m, k);
        }
    }
    double fs = 500.0;
    size_t n = (size_t)(2400.0 * fs);
    float *x = malloc(n * sizeof(float));
    uint64_t z = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        /* xorshift noise, and a 30 Hz Friedlander-like pulse every 4 s */
        z ^= z << 13;
        z ^= z >> 7;
        z ^= z << 17;
        double u = ((double)(z >> 11) * 0x1.0p-53) - 0.5;
        double t = fmod((double)i / fs, 4.0) - 1.0;
        double p = t >= 0.0 ? (1.0 - t / 0.005) * exp(-t / 0.005) : 0.0;
        x[i] = (float)(0.02 * u + 0.5 * p);
    }
    struct pks o = {NULL, 0, 0, g_m};
    struct tl_detector *d = NULL;
    tl_detector_new(g_m, NULL, on_pick, &o, &d);
    double a = now_s();
    size_t chunk = 1000;
    for (size_t c = 0; c < n; c += chunk) {
        tl_detector_feed(d, st->id, 0, TL_SIM_DEFAULT_START_NS + (tl_time_ns)((double)c * 2e6), fs,
                         x + c, n - c < chunk ? n - c : chunk);
    }
    tl_detector_flush(d);
    double t_ours = now_s() - a;
    size_t picks = o.n;
    uint64_t triggers = tl_detector_stats(d)->triggers;
    tl_detector_free(d);
    free(o.v);
    /* The naive trigger on 2% of the samples (it is slow), scaled. */
    size_t nn = n / 50;
    a = now_s();
    size_t trig = naive_stalta(x, nn + 5000, 50, 5000, 4.0, 1.5);
    double t_naive = (now_s() - a) * (double)n / (double)nn;
    double r_ours = (double)n / t_ours, r_naive = (double)n / t_naive;
    printf("throughput (one core): detector %.1f M samples/s (2 bands: filters, recursive "
           "STA/LTA, AIC, features; %llu triggers, %zu picks of 600 pulses)\n",
           r_ours / 1e6, (unsigned long long)triggers, picks);
    printf("                       non-recursive STA/LTA (0.1 s / 10 s windows summed each "
           "sample) %.2f M samples/s (%zu triggers): ratio %.0fx\n",
           r_naive / 1e6, trig, r_ours / r_naive);
    free(x);
}

static void
log_to_stderr(void *ud, enum tl_log_level level, const char *component, const char *func,
              const char *msg)
{
    (void)ud;
    (void)level;
    (void)func;
    fprintf(stderr, "%s: %s\n", component, msg);
}

int
main(int argc, char **argv)
{
    if (getenv("DEBUG")) {
        tl_set_log(log_to_stderr, NULL, TL_LOG_DEBUG);
    }
    struct tl_mission *m = NULL;
    if (tl_mission_load(TL_SOURCE_DIR "/examples/demo/mission.geojson", &m, NULL) != TL_OK) {
        fprintf(stderr, "cannot load the demo mission\n");
        return 1;
    }
    g_m = m;
    if (argc >= 5 && strcmp(argv[1], "noise") == 0) {
        size_t np;
        double sh;
        double f = noise_only(argv[2], strtod_or0(argv[3]), strtod_or0(argv[4]), argc >= 6 ? argv[5] : NULL,
                              &np, &sh);
        printf("noise only %s from %s h: %zu picks in %.0f station-hours: %.2f per station-hour\n",
               argv[2], argv[3], np, sh, f);
        tl_mission_free(m);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "throughput") == 0) {
        throughput();
        tl_mission_free(m);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "e2e") == 0) {
        end_to_end(argv[2], argc >= 5 ? strtod_or0(argv[4]) : 18.0, strtod_or0(argv[3]));
        tl_mission_free(m);
        return 0;
    }
    if (argc >= 3) {
        accuracy(argv[1], 1, argc >= 5 ? strtod_or0(argv[4]) : 18.0, strtod_or0(argv[2]),
                 argc >= 4 ? argv[3] : NULL, env_rate_hz(), getenv("VERBOSE") != NULL);
        tl_mission_free(m);
        return 0;
    }
    printf("== station processing (bench_detect): synthetic waveforms of the demo mission, "
           "500 Hz\n");
    const char *sel = "L001,R002,L005,R006,L021,R022,L035,R036,L049,R050";
    accuracy("busy", 1, 18.0, 2.0, sel, 0.0, false);
    accuracy("calm", 1, 4.0, 3.0, sel, 0.0, false);
    accuracy("windy", 1, 12.0, 1.0, sel, 0.0, false);
    /* real stations record at other rates: the bands follow (tl_detect_config.fit_bands) */
    accuracy("busy", 1, 18.0, 1.0, sel, 100.0, false);
    accuracy("busy", 1, 18.0, 1.0, sel, 200.0, false);
    size_t p1, p2, p3;
    double h1, h2, h3;
    double f1 = noise_only("calm", 2.0, 2.0, sel, &p1, &h1);
    double f2 = noise_only("calm", 13.0, 2.0, sel, &p2, &h2);
    double f3 = noise_only("windy", 14.0, 2.0, sel, &p3, &h3);
    printf("false picks on noise alone: night %.2f, day %.2f, windy day %.2f per station-hour "
           "(%zu picks in %.0f station-hours overall: %.2f)\n",
           f1, f2, f3, p1 + p2 + p3, h1 + h2 + h3, (double)(p1 + p2 + p3) / (h1 + h2 + h3));
    throughput();
    end_to_end("busy", 18.0, 1.0);
    tl_mission_free(m);
    return 0;
}
