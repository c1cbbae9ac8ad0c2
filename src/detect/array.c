/*
 * array.c - the back azimuth of an arrival at a small microphone array.
 *
 * Within one station the microphones stand metres apart, so the wavefront of
 * a source kilometres away is a plane crossing them with a horizontal
 * slowness s (s/m, along the direction of propagation): element k at offset
 * e_k hears it at t_ref + e_k . s.  The back azimuth is the direction of -s.
 *
 * 1. Generalised cross-correlation with the phase transform (C. H. Knapp and
 *    G. C. Carter, "The generalized correlation method for estimation of time
 *    delay", IEEE TASSP 24(4), 1976; research/acoustics.md section 4.5): for
 *    each pair, R_ij(tau) = IFFT[ W(f) X_i(f) X_j*(f) ], W = 1 / |X_i X_j*|,
 *    which whitens the cross-spectrum so that every frequency of the band
 *    votes equally and the peak is sharp.  Bins outside the band get no weight,
 *    and when the noise before the arrival is known each bin is weighted by
 *    the product of the two elements' SNR / (1 + SNR) (a Wiener-like weight;
 *    the "PHAT-ML" family of Knapp and Carter), so that frequencies with no
 *    signal do not vote.  The correlation is evaluated four times finer than
 *    the sampling by zero-padding the spectrum.
 * 2. Steered response power (SRP-PHAT; J. DiBiase, H. Silverman and M.
 *    Brandstein, "Robust localization in reverberant rooms", in Microphone
 *    Arrays, Springer 2001): the sum over pairs of R_ij at the delays a trial
 *    slowness predicts, over a polar grid (2 degrees then 0.25 degree around
 *    the best, apparent speeds from 250 to 1200 m/s).  Searching all pairs jointly avoids the
 *    wrong peaks a single pair can pick (cycle skips on narrow-band signals).
 * 3. Each pair's delay is refined at the nearest local peak to the joint
 *    solution (parabolic interpolation), and the slowness fitted by least
 *    squares; the delay residuals give the delay noise and, through the
 *    covariance (A^T A)^-1 sigma^2, the 1-sigma of the back azimuth.
 */
#include "detect_priv.h"

#include <kiss_fftr.h>
#include <string.h>

#define UPSAMPLE 4
#define C_MIN_MPS 250.0

static double
pw(kiss_fft_cpx c)
{
    return (double)c.r * (double)c.r + (double)c.i * (double)c.i;
}

static double
wrap360(double a)
{
    a = fmod(a, 360.0);
    return a < 0.0 ? a + 360.0 : a;
}

/* R at a delay of tau seconds (linear interpolation in the upsampled
 * correlation, whose negative lags wrap to its end). */
static double
corr_at(const float *r, size_t nup, double fs_up, double tau_s)
{
    double m = tau_s * fs_up;
    double fl = floor(m);
    double fr = m - fl;
    long n = (long)nup;
    long a = (long)fl;
    a = a < 0 ? a + n : a;
    if (a < 0 || a >= n) {
        a = ((a % n) + n) % n; /* (beyond one period: not for physical delays) */
    }
    long b = a + 1 == n ? 0 : a + 1;
    return (1.0 - fr) * (double)r[a] + fr * (double)r[b];
}

struct pair {
    size_t i, j;
    double dx, dy;    /* e_i - e_j */
    double off_s;     /* start of snippet i minus start of snippet j */
    double tau_s;     /* measured t_i - t_j */
    double h;         /* correlation peak */
    bool use;
};

static void
fit(const struct pair *p, size_t np, double *sx, double *sy, double inv[3], double *rss,
    int *used)
{
    double a11 = 0.0, a12 = 0.0, a22 = 0.0, b1 = 0.0, b2 = 0.0;
    int u = 0;
    for (size_t k = 0; k < np; k++) {
        if (!p[k].use) {
            continue;
        }
        a11 += p[k].dx * p[k].dx;
        a12 += p[k].dx * p[k].dy;
        a22 += p[k].dy * p[k].dy;
        b1 += p[k].dx * p[k].tau_s;
        b2 += p[k].dy * p[k].tau_s;
        u++;
    }
    double det = a11 * a22 - a12 * a12;
    *used = u;
    if (!(fabs(det) > 1e-9 * (a11 * a22 + 1e-30)) || u < 2) {
        *sx = *sy = NAN;
        return;
    }
    inv[0] = a22 / det;
    inv[1] = -a12 / det;
    inv[2] = a11 / det;
    *sx = inv[0] * b1 + inv[1] * b2;
    *sy = inv[1] * b1 + inv[2] * b2;
    double r2 = 0.0;
    for (size_t k = 0; k < np; k++) {
        if (p[k].use) {
            double res = p[k].tau_s - (p[k].dx * *sx + p[k].dy * *sy);
            r2 += res * res;
        }
    }
    *rss = r2;
}

int
tl__array_bearing(const float *const *x, const float *const *x_noise, const double *t_off_s,
                  const double (*pos_m)[2],
                  size_t n_elem, size_t n, double fs_hz, double lo_hz, double hi_hz,
                  struct tl__array_fit *out)
{
    if (!x || !pos_m || !out || n_elem > TL__GCC_MAX_ELEMENTS || n < 16 || !(fs_hz > 0.0)) {
        return TL_EINVAL;
    }
    size_t idx[TL__GCC_MAX_ELEMENTS];
    size_t m = 0;
    for (size_t k = 0; k < n_elem; k++) {
        if (x[k]) {
            idx[m++] = k;
        }
    }
    if (m < 3) {
        return TL_ERANGE;
    }
    size_t nfft = 64;
    while (nfft < 2 * n) {
        nfft *= 2;
    }
    size_t nup = nfft * UPSAMPLE;
    size_t nb = nfft / 2 + 1, nbu = nup / 2 + 1;
    size_t np = m * (m - 1) / 2;
    size_t len_f = 0, len_i = 0;
    kiss_fftr_alloc((int)nfft, 0, NULL, &len_f);
    kiss_fftr_alloc((int)nup, 1, NULL, &len_i);
    void *mem_f = tl_malloc(len_f), *mem_i = tl_malloc(len_i);
    float *buf = tl_malloc(nup * sizeof(float));
    kiss_fft_cpx *spec = tl_malloc(m * nb * sizeof(kiss_fft_cpx));
    double *snrw = tl_malloc(m * nb * sizeof(double));
    kiss_fft_cpx *cross = tl_malloc(nbu * sizeof(kiss_fft_cpx));
    float *corr = tl_malloc(np * nup * sizeof(float));
    struct pair *pr = tl_calloc(np, sizeof(*pr));
    int rc = TL_ENOMEM;
    if (!mem_f || !mem_i || !buf || !spec || !snrw || !cross || !corr || !pr) {
        goto done;
    }
    kiss_fftr_cfg cf = kiss_fftr_alloc((int)nfft, 0, mem_f, &len_f);
    kiss_fftr_cfg ci = kiss_fftr_alloc((int)nup, 1, mem_i, &len_i);
    if (!cf || !ci) {
        goto done;
    }
    /* Spectra of the tapered snippets (Tukey window, 10% cosine tapers). */
    size_t taper = n / 10 > 1 ? n / 10 : 1;
    for (size_t a = 0; a < m; a++) {
        for (int pass = 0; pass < 2; pass++) {
            const float *src = pass == 0 ? x[idx[a]] : (x_noise ? x_noise[idx[a]] : NULL);
            if (pass == 1 && !src) {
                for (size_t k = 0; k < nb; k++) {
                    snrw[a * nb + k] = 1.0;
                }
                continue;
            }
            memset(buf, 0, nfft * sizeof(float));
            for (size_t i = 0; i < n; i++) {
                double w = 1.0;
                if (i < taper) {
                    w = 0.5 - 0.5 * cos(M_PI * ((double)i + 0.5) / (double)taper);
                } else if (i >= n - taper) {
                    w = 0.5 - 0.5 * cos(M_PI * ((double)(n - i) - 0.5) / (double)taper);
                }
                buf[i] = (float)((double)src[i] * w);
            }
            if (pass == 0) {
                kiss_fftr(cf, buf, &spec[a * nb]);
            } else {
                kiss_fft_cpx *ns = cross; /* scratch: nbu >= nb */
                kiss_fftr(cf, buf, ns);
                for (size_t k = 0; k < nb; k++) {
                    /* Noise power smoothed over three bins; SNR weight s / (1 + s). */
                    double nsum = pw(ns[k]), cnt = 1.0;
                    if (k > 0) {
                        nsum += pw(ns[k - 1]);
                        cnt += 1.0;
                    }
                    if (k + 1 < nb) {
                        nsum += pw(ns[k + 1]);
                        cnt += 1.0;
                    }
                    double noise = nsum / cnt;
                    double sig = pw(spec[a * nb + k]);
                    double snr = noise > 0.0 ? fmax(0.0, sig / noise - 1.0) : 1e6;
                    snrw[a * nb + k] = snr / (1.0 + snr);
                }
            }
        }
    }
    /* PHAT-weighted correlations of every pair. */
    double df = fs_hz / (double)nfft;
    size_t k_lo = (size_t)fmax(1.0, ceil(lo_hz / df));
    size_t k_hi = (size_t)fmin((double)(nb - 2), floor(hi_hz / df));
    size_t p = 0;
    for (size_t a = 0; a < m; a++) {
        for (size_t b = a + 1; b < m; b++, p++) {
            struct pair *q = &pr[p];
            q->i = a;
            q->j = b;
            q->dx = pos_m[idx[a]][0] - pos_m[idx[b]][0];
            q->dy = pos_m[idx[a]][1] - pos_m[idx[b]][1];
            q->off_s = t_off_s ? t_off_s[idx[a]] - t_off_s[idx[b]] : 0.0;
            memset(cross, 0, nbu * sizeof(kiss_fft_cpx));
            double wsum = 0.0;
            for (size_t k = k_lo; k <= k_hi; k++) {
                kiss_fft_cpx u = spec[a * nb + k], v = spec[b * nb + k];
                double re = (double)u.r * (double)v.r + (double)u.i * (double)v.i;
                double im = (double)u.i * (double)v.r - (double)u.r * (double)v.i;
                double mag = sqrt(re * re + im * im);
                if (!(mag > 0.0)) {
                    continue;
                }
                double w = snrw[a * nb + k] * snrw[b * nb + k];
                cross[k].r = (float)(w * re / mag);
                cross[k].i = (float)(w * im / mag);
                wsum += w;
            }
            kiss_fftri(ci, cross, &corr[p * nup]);
            /* The inverse FFT is unnormalised: divide by the summed weights
             * (times two for the conjugate half) so that a perfect match is 1. */
            double norm = wsum > 0.0 ? 1.0 / (2.0 * wsum) : 0.0;
            for (size_t i = 0; i < nup; i++) {
                corr[p * nup + i] = (float)((double)corr[p * nup + i] * norm);
            }
        }
    }
    /* Steered response power over a polar grid of slowness: 2 degrees and a
     * dozen apparent speeds, then 0.25 degrees around the best. */
    static const double speeds[] = {250.0, 280.0, 305.0, 320.0, 335.0, 350.0, 365.0, 385.0,
                                    420.0, 500.0, 700.0, 1200.0};
    double fs_up = fs_hz * UPSAMPLE;
    double best = -INFINITY, bsx = 0.0, bsy = 0.0, baz0 = 0.0;
    for (int pass = 0; pass < 2; pass++) {
        double step = pass == 0 ? 2.0 : 0.25;
        int count = pass == 0 ? 180 : 17;
        double start = pass == 0 ? 0.0 : baz0 - 2.0;
        for (size_t c = 0; c < TL_ARRAY_LEN(speeds); c++) {
            for (int ai = 0; ai < count; ai++) {
                double th = (start + step * (double)ai) * M_PI / 180.0;
                double sx = sin(th) / speeds[c], sy = cos(th) / speeds[c];
                double sum = 0.0;
                for (size_t k = 0; k < np; k++) {
                    sum += corr_at(&corr[k * nup], nup, fs_up,
                                   pr[k].dx * sx + pr[k].dy * sy - pr[k].off_s);
                }
                if (sum > best) {
                    best = sum;
                    bsx = sx;
                    bsy = sy;
                    baz0 = start + step * (double)ai;
                }
            }
        }
    }
    /* Refine each pair at its local peak nearest the joint solution. */
    for (size_t k = 0; k < np; k++) {
        struct pair *q = &pr[k];
        const float *r = &corr[k * nup];
        double pred = q->dx * bsx + q->dy * bsy - q->off_s;
        long c0 = lround(pred * fs_up);
        long bi = c0;
        double bv = -INFINITY;
        for (long d = -UPSAMPLE; d <= UPSAMPLE; d++) {
            long ii = ((((c0 + d) % (long)nup)) + (long)nup) % (long)nup;
            if ((double)r[ii] > bv) {
                bv = (double)r[ii];
                bi = c0 + d;
            }
        }
        long im1 = (((bi - 1) % (long)nup) + (long)nup) % (long)nup;
        long i0 = ((bi % (long)nup) + (long)nup) % (long)nup;
        long ip1 = (((bi + 1) % (long)nup) + (long)nup) % (long)nup;
        double ya = (double)r[im1], yb = (double)r[i0], yc = (double)r[ip1];
        double den = ya - 2.0 * yb + yc;
        double off = den < 0.0 ? fmax(-0.5, fmin(0.5, 0.5 * (ya - yc) / den)) : 0.0;
        q->tau_s = ((double)bi + off) / fs_up + q->off_s;
        q->h = yb;
        q->use = true;
    }
    double sx = NAN, sy = NAN, inv[3] = {0.0, 0.0, 0.0}, rss = 0.0;
    int used = 0;
    fit(pr, np, &sx, &sy, inv, &rss, &used);
    /* One round of outlier rejection: drop the worst pair if it stands far out. */
    if (!isnan(sx) && np > 3) {
        size_t worst = 0;
        double wr = -1.0;
        for (size_t k = 0; k < np; k++) {
            double res = fabs(pr[k].tau_s - (pr[k].dx * sx + pr[k].dy * sy));
            if (res > wr) {
                wr = res;
                worst = k;
            }
        }
        double rms_rest = sqrt(fmax(0.0, rss - wr * wr) / (double)(np - 1));
        if (wr > 4.0 * rms_rest + 0.5 / fs_hz) {
            pr[worst].use = false;
            fit(pr, np, &sx, &sy, inv, &rss, &used);
        }
    }
    rc = TL_ERANGE;
    if (isnan(sx) || used < 3) {
        goto done;
    }
    double smag2 = sx * sx + sy * sy;
    if (!(smag2 > 0.0)) {
        goto done;
    }
    /* Delay noise: residuals over the degrees of freedom, floored at a tenth
     * of a sample (the resolution of the interpolated correlation peak). */
    double var_tau = used > 2 ? rss / (double)(used - 2) : 0.0;
    double floor_tau = 0.1 / fs_hz;
    var_tau = fmax(var_tau, floor_tau * floor_tau);
    /* d(baz)/ds = (sy, -sx) / |s|^2 (radians). */
    double gx = sy / smag2, gy = -sx / smag2;
    double var_baz = var_tau * (gx * gx * inv[0] + 2.0 * gx * gy * inv[1] + gy * gy * inv[2]);
    out->sx = sx;
    out->sy = sy;
    out->app_speed_mps = 1.0 / sqrt(smag2);
    out->baz_deg = wrap360(atan2(-sx, -sy) * 180.0 / M_PI);
    out->baz_sigma_deg = sqrt(fmax(0.0, var_baz)) * 180.0 / M_PI;
    out->rms_s = sqrt(rss / (double)used);
    out->srp = best / (double)np;
    out->n_pairs = used;
    rc = TL_OK;
done:
    tl_free(pr);
    tl_free(corr);
    tl_free(cross);
    tl_free(snrw);
    tl_free(spec);
    tl_free(buf);
    tl_free(mem_i);
    tl_free(mem_f);
    return rc;
}
