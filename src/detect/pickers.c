/*
 * pickers.c - onset refinement and spectral measures of a detected arrival.
 *
 * Maeda's AIC picker (H. Maeda, "A method for reading and checking phase
 * times in autoprocessing system of seismic wave data", Zisin 38, 1985;
 * research/acoustics.md section 5.2) models a window as two stationary
 * segments, noise then signal, and picks the split that minimises
 *   AIC(k) = k ln var(x[0..k)) + (n - k - 1) ln var(x[k..n)).
 * The model is symmetric (it would as well find where a pulse ends), so an
 * onset is searched only among splits where the variance grows ("rising").
 * It needs no threshold and no characteristic function, and runs in O(n)
 * with Welford's running variance computed forward and backward (B. P.
 * Welford, Technometrics 4(3), 1962), which stays accurate when the signal is
 * thousands of times the noise.
 *
 * The dominant frequency is the peak of the Tukey-windowed periodogram
 * (kissfft real FFT), interpolated between bins by a parabola through the
 * log power of the three bins around the maximum (a standard estimator; e.g.
 * J. O. Smith, Spectral Audio Signal Processing, "quadratic interpolation of
 * spectral peaks").
 */
#include "detect_priv.h"

#include <kiss_fftr.h>
#include <string.h>

static double
pw(kiss_fft_cpx c)
{
    return (double)c.r * (double)c.r + (double)c.i * (double)c.i;
}

size_t
tl__aic_onset(const float *x, size_t n, bool rising, double *aic)
{
    if (!x || n < 8) {
        return 0;
    }
    double *f = aic ? aic : tl_malloc(n * sizeof(double));
    if (!f) {
        return 0;
    }
    /* Scale of the window, for a variance floor that keeps ln() finite. */
    double big = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = fabs((double)x[i]);
        big = a > big ? a : big;
    }
    double floor_var = fmax(1e-30, 1e-14 * big * big);
    /* Variances of fewer than a few samples mean nothing: keep splits away
     * from the ends. */
    size_t edge = n / 16 > 4 ? n / 16 : 4;
    edge = edge < 10 ? edge : 10;
    /* Forward: f[k] = variance of x[0..k) (k >= 2). */
    double mean = 0.0, m2 = 0.0;
    f[0] = INFINITY;
    for (size_t k = 1; k <= n - 1; k++) {
        double v = (double)x[k - 1];
        double d = v - mean;
        mean += d / (double)k;
        m2 += d * (v - mean);
        f[k] = m2 / (double)k;
    }
    /* Backward: variance of x[k..n), combined into AIC(k). */
    mean = 0.0;
    m2 = 0.0;
    size_t best = 0;
    double best_v = INFINITY;
    double *out = f;
    for (size_t k = n - 1;; k--) {
        size_t len = n - k;
        double v = (double)x[k];
        double d = v - mean;
        mean += d / (double)len;
        m2 += d * (v - mean);
        double var2 = m2 / (double)len;
        double a = INFINITY;
        if (k >= edge && k <= n - edge) {
            a = (double)k * log(f[k] + floor_var) + (double)(n - k - 1) * log(var2 + floor_var);
            if (a < best_v && (!rising || var2 > f[k])) {
                best_v = a;
                best = k;
            }
        }
        out[k] = a;
        if (k == 0) {
            break;
        }
    }
    out[0] = INFINITY;
    if (!aic) {
        tl_free(f);
    }
    return best;
}

double
tl__dominant_hz(const float *x, size_t n, double fs_hz, double lo_hz, double hi_hz)
{
    if (!x || n < 8 || !(fs_hz > 0.0)) {
        return NAN;
    }
    size_t nfft = 256;
    while (nfft < n && nfft < 65536) {
        nfft *= 2;
    }
    if (n > nfft) {
        n = nfft;
    }
    size_t lenmem = 0;
    kiss_fftr_alloc((int)nfft, 0, NULL, &lenmem);
    void *mem = tl_malloc(lenmem);
    float *buf = tl_calloc(nfft, sizeof(float));
    kiss_fft_cpx *spec = tl_malloc((nfft / 2 + 1) * sizeof(kiss_fft_cpx));
    double result = NAN;
    if (!mem || !buf || !spec) {
        goto done;
    }
    kiss_fftr_cfg cfg = kiss_fftr_alloc((int)nfft, 0, mem, &lenmem);
    if (!cfg) {
        goto done;
    }
    /* Tukey window (10% cosine tapers): a pulse near the start of the window
     * keeps its weight, which a Hann window would take away. */
    size_t taper = n / 10 > 1 ? n / 10 : 1;
    for (size_t i = 0; i < n; i++) {
        double w = 1.0;
        if (i < taper) {
            w = 0.5 - 0.5 * cos(M_PI * ((double)i + 0.5) / (double)taper);
        } else if (i >= n - taper) {
            w = 0.5 - 0.5 * cos(M_PI * ((double)(n - i) - 0.5) / (double)taper);
        }
        buf[i] = (float)((double)x[i] * w);
    }
    kiss_fftr(cfg, buf, spec);
    double df = fs_hz / (double)nfft;
    size_t k_lo = (size_t)fmax(1.0, ceil(lo_hz / df));
    size_t k_hi = (size_t)fmin((double)(nfft / 2 - 1), floor(hi_hz / df));
    size_t kmax = 0;
    double pmax = -1.0;
    for (size_t k = k_lo; k <= k_hi; k++) {
        double p = pw(spec[k]);
        if (p > pmax) {
            pmax = p;
            kmax = k;
        }
    }
    if (kmax == 0 || pmax <= 0.0) {
        goto done;
    }
    double off = 0.0;
    if (kmax > 0 && kmax < nfft / 2) {
        double pm = pw(spec[kmax - 1]), pp = pw(spec[kmax + 1]);
        if (pm > 0.0 && pp > 0.0) {
            double a = log(pm), b = log(pmax), c = log(pp);
            double den = a - 2.0 * b + c;
            if (den < 0.0) {
                off = fmax(-0.5, fmin(0.5, 0.5 * (a - c) / den));
            }
        }
    }
    result = ((double)kmax + off) * df;
done:
    tl_free(spec);
    tl_free(buf);
    tl_free(mem);
    return result;
}
