/*
 * filter.c - Butterworth low- and high-pass filters as cascades of biquads.
 *
 * The analog Butterworth prototype of order N has its poles evenly spaced on
 * the left half of the unit circle, p_k = exp(i pi (2k + N + 1) / 2N); each
 * conjugate pair gives a section 1 / (s^2 + 2 sin(theta_k) s + 1) with
 * theta_k = pi (2k + 1) / 2N, and an odd order adds 1 / (s + 1).  The bilinear
 * transform s = (2/T)(z - 1)/(z + 1), with the corner pre-warped to
 * K = tan(pi fc / fs) so that the digital filter is exactly -3 dB at fc, maps
 * a section to
 *
 *   low-pass:  K^2 (1 + 2 z^-1 + z^-2) / a0
 *   high-pass:     (1 - 2 z^-1 + z^-2) / a0
 *   a0 = 1 + q K + K^2,  a1 = 2 (K^2 - 1) / a0,  a2 = (1 - q K + K^2) / a0,  q = 2 sin(theta_k)
 *
 * (Oppenheim and Schafer, Discrete-Time Signal Processing, 3rd ed., section
 * 7.2; the pole positions are Butterworth's 1930 maximally flat response).
 * The magnitude of the result is exactly
 *   |H_lp(f)|^2 = 1 / (1 + (tan(pi f / fs) / K)^(2N)),
 *   |H_hp(f)|^2 = 1 / (1 + (K / tan(pi f / fs))^(2N)),
 * which the unit tests check.  A band-pass is a high-pass at the lower corner
 * followed by a low-pass at the upper one; the detector keeps the output of
 * the high-pass alone as its picking trace (a high-pass does not delay an
 * onset), and the band-pass output for its trigger.  The trigger's state
 * (tl__trigger_init; the step is inline in detect_priv.h) lives here too.
 */
#include "detect_priv.h"


static int
design(int order, double fc_hz, double fs_hz, bool high, struct tl__biquad *sec)
{
    if (order < 1 || order > 2 * TL__MAX_SECTIONS || !(fs_hz > 0.0) || !(fc_hz > 0.0) ||
        !(fc_hz < 0.5 * fs_hz)) {
        return 0;
    }
    double k = tan(M_PI * fc_hz / fs_hz);
    double k2 = k * k;
    int n = 0;
    for (int i = 0; i < order / 2; i++) {
        double theta = M_PI * (double)(2 * i + 1) / (double)(2 * order);
        double q = 2.0 * sin(theta);
        double a0 = 1.0 + q * k + k2;
        struct tl__biquad *s = &sec[n++];
        s->a1 = 2.0 * (k2 - 1.0) / a0;
        s->a2 = (1.0 - q * k + k2) / a0;
        if (high) {
            s->b0 = 1.0 / a0;
            s->b1 = -2.0 / a0;
            s->b2 = 1.0 / a0;
        } else {
            s->b0 = k2 / a0;
            s->b1 = 2.0 * k2 / a0;
            s->b2 = k2 / a0;
        }
        s->s1 = s->s2 = 0.0;
    }
    if (order % 2 == 1) {
        struct tl__biquad *s = &sec[n++];
        double a0 = 1.0 + k;
        s->a1 = (k - 1.0) / a0;
        s->a2 = 0.0;
        s->b0 = high ? 1.0 / a0 : k / a0;
        s->b1 = high ? -1.0 / a0 : k / a0;
        s->b2 = 0.0;
        s->s1 = s->s2 = 0.0;
    }
    return n;
}

int
tl__butter_lowpass(int order, double fc_hz, double fs_hz, struct tl__biquad *sec)
{
    return design(order, fc_hz, fs_hz, false, sec);
}

int
tl__butter_highpass(int order, double fc_hz, double fs_hz, struct tl__biquad *sec)
{
    return design(order, fc_hz, fs_hz, true, sec);
}

double
tl__cascade_gain(const struct tl__biquad *sec, int n, double f_hz, double fs_hz)
{
    /* H(e^jw) = (b0 + b1 e^-jw + b2 e^-2jw) / (1 + a1 e^-jw + a2 e^-2jw), in real arithmetic. */
    double w = 2.0 * M_PI * f_hz / fs_hz;
    double c1 = cos(w), s1 = sin(w), c2 = cos(2.0 * w), s2 = sin(2.0 * w);
    double g = 1.0;
    for (int i = 0; i < n; i++) {
        const struct tl__biquad *s = &sec[i];
        double nr = s->b0 + s->b1 * c1 + s->b2 * c2, ni = -(s->b1 * s1 + s->b2 * s2);
        double dr = 1.0 + s->a1 * c1 + s->a2 * c2, di = -(s->a1 * s1 + s->a2 * s2);
        g *= sqrt((nr * nr + ni * ni) / (dr * dr + di * di));
    }
    return g;
}

void
tl__cascade_reset(struct tl__biquad *sec, int n)
{
    for (int i = 0; i < n; i++) {
        sec[i].s1 = sec[i].s2 = 0.0;
    }
}

void
tl__trigger_init(struct tl__trigger *t, double fs_hz, double sta_s, double lta_s, double mta_s,
                 double fta_s, double on, double off, double rearm, double warm_s, double max_s,
                 double gap_s)
{
    t->sta = t->lta = t->mta = t->fta = 0.0;
    t->a_fta = 1.0 / (fta_s * fs_hz);
    t->a_sta = 1.0 / (sta_s * fs_hz);
    t->a_lta = 1.0 / (lta_s * fs_hz);
    t->a_mta = 1.0 / (mta_s * fs_hz);
    t->on = on;
    t->off = off;
    t->rearm = rearm;
    t->warm_n = (int64_t)ceil(warm_s * fs_hz);
    t->max_n = (int64_t)ceil(max_s * fs_hz);
    t->gap_n = (int64_t)ceil(gap_s * fs_hz);
    t->trig = false;
    t->armed = false;
    t->on_since = 0;
    t->last_trig = INT64_MIN / 2;
}
