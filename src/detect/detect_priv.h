/*
 * detect_priv.h - the internals of station processing, shared by the files of
 * src/detect/ and reachable from the unit tests and the benchmark.
 *
 * The building blocks are plain functions on arrays so that each can be
 * tested alone: Butterworth biquad design (filter.c), the recursive STA/LTA
 * step and Maeda's AIC (pickers.c), the dominant frequency (pickers.c),
 * GCC-PHAT and the plane-wave fit of an array (array.c).  detector.c strings
 * them into the streaming detector; mseed.c, wav.c and files.c are the
 * readers that feed it.
 */
#ifndef TL_DETECT_PRIV_H
#define TL_DETECT_PRIV_H

#include <truceline/detect.h>

#include "../util/util.h"

#include <math.h>

/* ------------------------------------------------------------ filters -- */

/*
 * One second-order section in transposed direct form II:
 *   y = b0 x + s1;  s1 = b1 x - a1 y + s2;  s2 = b2 x - a2 y.
 * Two state variables, and the least round-off of the direct forms.
 */
struct tl__biquad {
    double b0, b1, b2, a1, a2;
    double s1, s2;
};

#define TL__MAX_SECTIONS 4 /* order 8 */

static inline double
tl__biquad_step(struct tl__biquad *q, double x)
{
    double y = q->b0 * x + q->s1;
    q->s1 = q->b1 * x - q->a1 * y + q->s2;
    q->s2 = q->b2 * x - q->a2 * y;
    return y;
}

/*
 * Butterworth low- or high-pass of `order` (1..8) with its -3 dB point at
 * `fc_hz`, sampled at `fs_hz`, as ceil(order / 2) sections written to `sec`
 * (room for TL__MAX_SECTIONS).  Returns the number of sections, or 0 when the
 * corner is not inside (0, fs/2) or the order is out of range.
 */
int tl__butter_lowpass(int order, double fc_hz, double fs_hz, struct tl__biquad *sec);
int tl__butter_highpass(int order, double fc_hz, double fs_hz, struct tl__biquad *sec);

/* |H(f)| of a cascade of `n` sections at `f_hz`. */
double tl__cascade_gain(const struct tl__biquad *sec, int n, double f_hz, double fs_hz);

/* Zero the state of a cascade. */
void tl__cascade_reset(struct tl__biquad *sec, int n);

/* ------------------------------------------------------------ trigger -- */

/*
 * The recursive STA/LTA trigger of one band (research/acoustics.md section
 * 5.1): STA += a_sta (e - STA), the same for the LTA, on the band's energy
 * e = y^2.  It triggers when STA > on LTA and releases when STA < off LTA;
 * the LTA is frozen while triggered (a barrage does not raise its own noise
 * estimate) and restarts from the STA after max_n samples of trigger (the
 * noise itself changed).  No dead time: a medium-term average MTA (never
 * frozen, fed a little late) follows the level of a coda, and a fast average
 * FTA (a few cycles) is compared with it: once the FTA has fallen below
 * REARM_LOW MTA, a rise above rearm MTA (and on LTA), gap_n samples or more
 * after the last trigger, is a new arrival.  The FTA is faster than the STA
 * so that a weaker arrival stands out of a coda whose level the STA would
 * average it with, and re-arms sooner after a short pulse.  During the
 * first warm_n samples the averages are running means and nothing triggers.
 */
#define TL__REARM_LOW 1.5

struct tl__trigger {
    double sta, lta, mta, fta;
    double a_sta, a_lta, a_mta, a_fta;
    double on, off, rearm;
    int64_t warm_n, max_n, gap_n;
    bool trig, armed;
    int64_t on_since, last_trig;
};

void tl__trigger_init(struct tl__trigger *t, double fs_hz, double sta_s, double lta_s,
                      double mta_s, double fta_s, double on, double off, double rearm,
                      double warm_s, double max_s, double gap_s);

enum { TL__TRIG_NONE = 0, TL__TRIG_ON = 1, TL__TRIG_AGAIN = 2 };

/* Feed the energy of sample `now` (consecutive from 0), and that of a sample
 * MTA_DELAY earlier for the MTA (so that a new arrival is weighed against the
 * level before it); returns TL__TRIG_*. */
static inline int
tl__trigger_step(struct tl__trigger *t, double e, double e_delayed, int64_t now)
{
    double as = t->a_sta, al = t->a_lta, am = t->a_mta, af = t->a_fta;
    if (now < t->warm_n) {
        double f = 1.0 / (double)(now + 1);
        as = as > f ? as : f;
        al = al > f ? al : f;
        am = am > f ? am : f;
        af = af > f ? af : f;
    }
    t->sta += as * (e - t->sta);
    t->fta += af * (e - t->fta);
    t->mta += am * (e_delayed - t->mta);
    if (!t->trig) {
        if (now >= t->warm_n && t->sta > t->on * t->lta) {
            t->trig = true;
            t->armed = false;
            t->on_since = now;
            t->last_trig = now;
            return TL__TRIG_ON;
        }
        t->lta += al * (e - t->lta);
        return TL__TRIG_NONE;
    }
    if (t->sta < t->off * t->lta) {
        t->trig = false;
        t->lta += al * (e - t->lta);
        return TL__TRIG_NONE;
    }
    if (now - t->on_since > t->max_n) {
        t->trig = false;
        t->lta = t->sta;
        return TL__TRIG_NONE;
    }
    if (!t->armed) {
        t->armed = t->fta < TL__REARM_LOW * t->mta;
        return TL__TRIG_NONE;
    }
    if (t->fta > t->rearm * t->mta && t->fta > t->on * t->lta && now - t->last_trig >= t->gap_n) {
        t->armed = false;
        t->last_trig = now;
        return TL__TRIG_AGAIN;
    }
    return TL__TRIG_NONE;
}

/* -------------------------------------------------------------- picks -- */

/*
 * Maeda's AIC on x[0..n): AIC(k) = k ln var(x[0..k]) + (n-k-1) ln var(x[k+1..n)),
 * computed in O(n) from running sums.  Returns the index of the first sample
 * after the change (the onset), at least min(10, max(4, n/16)) samples from
 * either end, or 0 when n < 8 (or, with
 * `rising`, when no split has more variance after than before: only those
 * are candidates, an onset being a rise).  `aic` (optional,
 * n values) receives the function (+inf where undefined).
 */
size_t tl__aic_onset(const float *x, size_t n, bool rising, double *aic);

/*
 * The frequency of the largest peak of the Tukey-windowed power spectrum of
 * x[0..n) between lo_hz and hi_hz (parabolic interpolation between bins; the
 * signal is zero-padded to a power of two of at least 256 points).  Returns
 * NAN when n < 8 or on allocation failure.
 */
double tl__dominant_hz(const float *x, size_t n, double fs_hz, double lo_hz, double hi_hz);


/* -------------------------------------------------------------- array -- */

#define TL__GCC_MAX_ELEMENTS 16

/*
 * The bearing of a plane wave across an array.  x[k] points at `n` samples of
 * element k (all starting at the same instant; NULL for a missing element),
 * pos_m[k] its east and north offset.  Noise x_noise[k] (optional, `n`
 * samples before the signal; NULL entries allowed) weights the frequency bins
 * by their SNR.  t_off_s[k] (optional) is how much later than the others'
 * snippet k starts (a sampling grid offset of a fraction of a sample, for
 * channels not sampled in step).  The cross-spectra are PHAT-weighted between lo_hz and hi_hz,
 * their correlations searched jointly over horizontal slowness (steered
 * response power), then each pair's delay refined near the joint peak and the
 * slowness fitted by least squares.
 */
struct tl__array_fit {
    double baz_deg;      /* direction the wave comes from, clockwise from north */
    double baz_sigma_deg;
    double app_speed_mps;/* apparent horizontal speed 1/|s| */
    double sx, sy;       /* slowness east, north (s/m), along propagation */
    double rms_s;        /* RMS delay residual of the fit */
    double srp;          /* normalised steered power at the peak (0..1) */
    int n_pairs;
};

int tl__array_bearing(const float *const *x,
                      const float *const *x_noise,
                      const double *t_off_s,
                      const double (*pos_m)[2],
                      size_t n_elem,
                      size_t n,
                      double fs_hz,
                      double lo_hz,
                      double hi_hz,
                      struct tl__array_fit *out);

/* ------------------------------------------------------ block sources -- */

/* Waveform times a reader accepts and the detector works with: 1970-01-01 to 2200-01-01.
 * Monitoring data lie well inside; and in int64 nanoseconds (which end in 2262) a start this
 * side of 2200 plus the samples of any file, or the difference of two such times, cannot
 * overflow. */
#define TL__WAVE_T_MIN_NS 0LL
#define TL__WAVE_T_MAX_NS (7258118400LL * 1000000000LL)

/* One block of samples of one channel, as a reader hands it out. */
struct tl__block {
    char station[TL_STATION_ID_MAX];
    int element;         /* -1: a location code that names no element */
    char channel[4];     /* SEED channel code, "" when the format has none */
    tl_time_ns t0_ns;
    double rate_hz;
    double scale;        /* multiply the samples by this to get pascal; 0: divide by the gain */
    const float *x;
    size_t n;
};

struct tl__src;

/* Open a file as a source (audio by extension, else miniSEED). */
int tl__src_open(const char *path, struct tl__src **out, struct tl_diag *diag);
/* Sources over memory (the fuzz harnesses and tests); the bytes are borrowed. */
int tl__src_mseed_mem(const void *buf, size_t len, const char *name, struct tl__src **out,
                      struct tl_diag *diag);
int tl__src_audio_mem(const void *audio, size_t audio_len, const char *sidecar,
                      size_t sidecar_len, const char *name, struct tl__src **out,
                      struct tl_diag *diag);
/*
 * The next block: 1 (block in `b`, valid until the next call), 0 at the end,
 * or a negative error: TL_EPARSE for a bad record, which was skipped (call
 * again to go on), TL_EIO for a read error or TL_ENOMEM (the source is done).
 */
int tl__src_next(struct tl__src *s, struct tl__block *b, struct tl_diag *diag);
void tl__src_free(struct tl__src *s);

/* Feed one block to a detector (the readers' entry point). */
int tl__detector_feed_block(struct tl_detector *d, const struct tl__block *b);
/* Count a record that could not be read. */
void tl__detector_count_bad(struct tl_detector *d);

#endif
