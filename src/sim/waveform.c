/*
 * waveform.c - synthetic pressure waveforms of a simulated scenario, as a
 * station's microphones would record them, consistent with truth.jsonl.
 *
 * Arrivals.  tl__sim_arrivals (propagate.c, shock.c) replays the simulator's
 * propagation with its own random streams and returns every arrival that
 * reaches a station, picked by the simulator's picker or not, with its true
 * time, level, dominant frequency, duration and direction; the simulator's
 * false picks add the transients behind them (small arms, vehicles, gusts:
 * half impulsive, half emergent bursts).  Each becomes a waveform:
 *
 *   - blast (muzzle or detonation): a Friedlander pulse p(t) = (1 - t/T) e^(-t/T)
 *     (research/acoustics.md section 2.1; b = 1, whose spectrum peaks at
 *     f = 1 / (2 pi T): T follows the arrival's dominant frequency), plus two
 *     weaker delayed copies (terrain and tree-line multipath, 3-30 ms and
 *     20-120 ms), smoothed by two first-order low-passes at the frequency
 *     where ISO 9613-1 absorption over the path reaches 3 dB (a causal
 *     filter: the onset stays where truth puts it, its rise time grows with
 *     distance), scaled to the arrival's peak overpressure, then a coda of
 *     band-limited noise carrying 30-80% of the pulse's energy and decaying
 *     over the arrival's duration (reverberation, ground and turbulent
 *     scattering);
 *   - rocket motor: an emergent roar (band-limited noise rising over a
 *     quarter of its duration), not a sharp onset;
 *   - N-wave (ballistic shock): p(t) = dp (1 - 2 t/T) on [0, T), Whitham's
 *     amplitude and duration from shock.c, with a 0.1 ms rise (turbulence);
 *   - echo: a later, weaker blast from another direction.
 * Every pulse is computed eight times oversampled, each oversampled value the
 * mean of four points of the analytic shape (so a sub-sample onset time is
 * kept), and decimated with a linear-phase windowed-sinc low-pass at 0.45
 * times the rate, as a digitiser's anti-alias filter does.
 *
 * Arrays.  Element k hears a plane wave from the arrival's apparent back
 * azimuth (with the array's orientation error) and elevation at
 * t + e_k . s (s the slowness along propagation, c = 340 m/s), with 0.1 ms
 * of independent turbulent jitter and 3% amplitude scatter; half of the coda
 * is common to the elements, half their own.
 *
 * Noise.  Ambient noise (activity; 0.006 Pa at night to 0.02 Pa by day)
 * with a first-order spectrum falling above 10 Hz plus a white floor, and
 * wind noise (0.001 U^2 Pa; weather.c) with a spectrum falling above 0.5 Hz
 * (wind noise is the low-frequency pressure of turbulence at the
 * microphone: Morgan and Raspet, JASA 92(2), 1992) modulated by gusts (a
 * log-normal factor with a 5 s correlation), independent at each element;
 * both levels follow the weather at the station and its site factor, as the
 * simulator's SNRs do.
 *
 * Files.  One miniSEED 2 file per station and hour, the elements' 512-byte
 * records interleaved every two seconds (as a telemetry stream arrives),
 * Steim-2 counts at a stated gain or float32 pascal; record times on the
 * station's clock (clock faults shift them, like the simulator's picks), no
 * data during outages.
 */
#include "sim_priv.h"

#include <truceline/time.h>

#include <errno.h>
#include <libmseed.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#define UP         8      /* oversampling of the synthesis */
#define SUB        4      /* points averaged per oversampled value */
#define FIR_HALF   (6 * UP)
#define MAX_SIG_S  10.0   /* longest arrival waveform */
#define LEVEL_STEP 5.0    /* noise levels are interpolated between these steps (s) */
#define C_ARRAY    340.0  /* speed of sound across an array */
#define CHUNK_S    2.0    /* records of the elements are interleaved at this step */
#define RECLEN     512
#define STREAM_WAVE 0x5741u

struct noise {
    struct rng r;
    double amb, wind, gust, gust_f;
    uint64_t k;
};

struct wst {
    size_t first, count;      /* its arrivals */
    bool selected;
    bool started;
    tl_time_ns next_t0;
    struct noise ns[TL_MAX_ELEMENTS];
};

struct tl_sim_waves {
    const struct tl_sim *s;
    struct tl_sim_waveform_config cfg;
    struct tl_sim_arrival *a;
    size_t na;
    struct wst *st;
    double fir[2 * FIR_HALF + 1];
    double *x;                /* oversampled synthesis buffer */
    double *y;
    size_t xcap;
};

void
tl_sim_waveform_config_default(struct tl_sim_waveform_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->rate_hz = 500.0;
    cfg->gain = 10000.0;
    cfg->interference = true;
}

/* ------------------------------------------------------------- random -- */

/*
 * Standard normal deviates by the ziggurat method (G. Marsaglia and W. W.
 * Tsang, "The Ziggurat Method for Generating Random Variables", J. Stat.
 * Softw. 5(8), 2000): 128 strips of equal area under the density; a deviate
 * is almost always one multiplication, exact in its tails.  Noise is three
 * deviates per sample per microphone, so this is the synthesis's hot path.
 */
#define ZIG_R 3.442619855899
#define ZIG_V 9.91256303526217e-3

struct zig {
    uint32_t kn[128];
    double wn[128], fn[128];
};

static struct zig g_zig;
static pthread_once_t g_zig_once = PTHREAD_ONCE_INIT;

static void
zig_init(void)
{
    const double m1 = 2147483648.0;
    double dn = ZIG_R, tn = dn;
    double q = ZIG_V / exp(-0.5 * dn * dn);
    g_zig.kn[0] = (uint32_t)((dn / q) * m1);
    g_zig.kn[1] = 0;
    g_zig.wn[0] = q / m1;
    g_zig.wn[127] = dn / m1;
    g_zig.fn[0] = 1.0;
    g_zig.fn[127] = exp(-0.5 * dn * dn);
    for (int i = 126; i >= 1; i--) {
        dn = sqrt(-2.0 * log(ZIG_V / dn + exp(-0.5 * dn * dn)));
        g_zig.kn[i + 1] = (uint32_t)((dn / tn) * m1);
        tn = dn;
        g_zig.fn[i] = exp(-0.5 * dn * dn);
        g_zig.wn[i] = dn / m1;
    }
}

static double
gauss(struct noise *ns)
{
    for (;;) {
        int32_t hz = (int32_t)(uint32_t)(rng_next(&ns->r) >> 32);
        uint32_t iz = (uint32_t)hz & 127u;
        uint32_t mag = hz < 0 ? (uint32_t)(-(int64_t)hz) : (uint32_t)hz;
        double x = (double)hz * g_zig.wn[iz];
        if (mag < g_zig.kn[iz]) {
            return x;
        }
        if (iz == 0) {
            /* the tail beyond R */
            double y;
            do {
                x = -log(1.0 - rng_u(&ns->r)) / ZIG_R;
                y = -log(1.0 - rng_u(&ns->r));
            } while (y + y < x * x);
            return hz > 0 ? ZIG_R + x : -ZIG_R - x;
        }
        if (g_zig.fn[iz] + rng_u(&ns->r) * (g_zig.fn[iz - 1] - g_zig.fn[iz]) < exp(-0.5 * x * x)) {
            return x;
        }
    }
}

/* ---------------------------------------------------------- arrivals -- */

static int
cmp_arr(const void *a, const void *b)
{
    const struct tl_sim_arrival *x = a, *y = b;
    if (x->station != y->station) {
        return x->station < y->station ? -1 : 1;
    }
    if (x->t_ns != y->t_ns) {
        return x->t_ns < y->t_ns ? -1 : 1;
    }
    if (x->event != y->event) {
        return x->event < y->event ? -1 : 1;
    }
    return (int)x->phase - (int)y->phase;
}

struct pk_ref {
    size_t station;
    tl_time_ns t;
    long event;
    int phase;
    size_t i;
};

static int
cmp_ref(const void *a, const void *b)
{
    const struct pk_ref *x = a, *y = b;
    if (x->station != y->station) {
        return x->station < y->station ? -1 : 1;
    }
    if (x->t != y->t) {
        return x->t < y->t ? -1 : 1;
    }
    return x->i < y->i ? -1 : (x->i > y->i);
}

/* The simulator's pick of an arrival, if any. */
static long
find_pick(const struct pk_ref *ref, size_t nref, size_t station, tl_time_ns t, long event,
          int phase)
{
    size_t lo = 0, hi = nref;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ref[mid].station < station || (ref[mid].station == station && ref[mid].t < t - 1000)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (size_t i = lo; i < nref && ref[i].station == station && ref[i].t <= t + 1000; i++) {
        if (ref[i].event == event && ref[i].phase == phase) {
            return (long)ref[i].i;
        }
    }
    return -1;
}

static bool
parse_selection(const struct tl_sim *s, const char *list, struct wst *st)
{
    if (!list) {
        for (size_t k = 0; k < s->ns; k++) {
            st[k].selected = true;
        }
        return true;
    }
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char id[TL_STATION_ID_MAX];
        if (len == 0 || len >= sizeof(id)) {
            return false;
        }
        memcpy(id, p, len);
        id[len] = '\0';
        long k = tl_mission_find_station(s->m, id);
        if (k < 0) {
            return false;
        }
        st[k].selected = true;
        p += len;
        if (*p == ',') {
            p++;
        }
    }
    return true;
}

static int
collect(struct tl_sim_waves *w)
{
    const struct tl_sim *s = w->s;
    struct tl__arrivals all = {NULL, 0, 0};
    int rc = w->cfg.noise_only ? TL_OK : tl__sim_arrivals(s, &all);
    /* The true picks by station and true time, to name the arrivals picked. */
    struct pk_ref *ref = tl_calloc(s->npk ? s->npk : 1, sizeof(*ref));
    size_t nref = 0;
    if (!ref) {
        rc = TL_ENOMEM;
    }
    for (size_t i = 0; rc == TL_OK && i < s->npk; i++) {
        if (s->pk[i].event >= 0) {
            ref[nref].station = s->pk_station[i];
            ref[nref].t = s->pk[i].true_t_ns;
            ref[nref].event = s->pk[i].event;
            ref[nref].phase = (int)s->pk[i].phase;
            ref[nref].i = i;
            nref++;
        }
    }
    if (rc == TL_OK && nref > 1) {
        qsort(ref, nref, sizeof(*ref), cmp_ref);
    }
    size_t n_false = 0;
    for (size_t i = 0; rc == TL_OK && w->cfg.interference && !w->cfg.noise_only && i < s->npk;
         i++) {
        n_false += s->pk[i].event < 0;
    }
    size_t cap = all.n + n_false;
    if (rc == TL_OK) {
        w->a = tl_calloc(cap ? cap : 1, sizeof(*w->a));
        if (!w->a) {
            rc = TL_ENOMEM;
        }
    }
    struct rng r;
    rng_seed(&r, s->cfg.seed, STREAM_WAVE);
    for (size_t i = 0; rc == TL_OK && i < all.n; i++) {
        const struct tl__arrival *x = &all.a[i];
        if (!w->st[x->station].selected) {
            continue;
        }
        const struct station *st = &s->st[x->station];
        struct tl_sim_arrival *o = &w->a[w->na++];
        o->station = x->station;
        o->event = x->event;
        o->phase = (enum tl_sim_phase)x->phase;
        o->t_ns = tl__sim_ns(s, x->t_s);
        o->station_t_ns = tl__sim_ns(s, x->t_s + tl__sim_clock(s, x->station, x->t_s));
        o->snr_db = x->snr_db;
        o->amp_pa = x->amp_pa;
        o->freq_hz = x->freq_hz;
        o->dur_s = x->dur_s;
        o->dist_m = x->dist_m;
        o->baz_true_deg = x->baz_geo_deg;
        o->baz_deg = st->array && !isnan(x->baz_app_deg)
                         ? fmod(x->baz_app_deg + st->orient_bias_deg + 720.0, 360.0)
                         : (double)NAN;
        o->elev_deg = x->elev_deg;
        o->emergent = x->onset_db > 0.0;
        o->pick = find_pick(ref, nref, x->station, o->t_ns, x->event, x->phase);
    }
    for (size_t i = 0; rc == TL_OK && w->cfg.interference && !w->cfg.noise_only && i < s->npk;
         i++) {
        const struct tl_sim_pick *p = &s->pk[i];
        size_t k = s->pk_station[i];
        if (p->event >= 0 || !w->st[k].selected) {
            continue;
        }
        struct tl_sim_arrival *o = &w->a[w->na++];
        o->station = k;
        o->event = -1;
        o->phase = p->pick.shock ? TL_SIM_SHOCK : TL_SIM_BLAST;
        o->t_ns = p->true_t_ns;
        o->station_t_ns = p->true_t_ns + (tl_time_ns)llround(p->clock_s * 1e9);
        o->snr_db = p->snr_true_db;
        o->amp_pa = p->pick.amp_pa;
        o->freq_hz = p->pick.freq_hz;
        o->dur_s = p->pick.dur_s;
        o->dist_m = 300.0;
        o->baz_deg = p->pick.baz_deg;
        o->baz_true_deg = p->pick.baz_deg;
        o->pick = (long)i;
        o->emergent = !p->pick.shock && rng_u(&r) < 0.5;
    }
    tl_free(ref);
    tl_free(all.a);
    if (rc == TL_OK) {
        if (w->na > 1) {
            qsort(w->a, w->na, sizeof(*w->a), cmp_arr);
        }
        for (size_t i = 0; i < w->na; i++) {
            struct wst *ws = &w->st[w->a[i].station];
            if (ws->count == 0) {
                ws->first = i;
            }
            ws->count++;
        }
    }
    return rc;
}

int
tl_sim_waves_new(const struct tl_sim *s, const struct tl_sim_waveform_config *cfg,
                 struct tl_sim_waves **out)
{
    if (!s || !out) {
        return TL_EINVAL;
    }
    struct tl_sim_waveform_config def;
    if (!cfg) {
        tl_sim_waveform_config_default(&def);
        cfg = &def;
    }
    if (!(cfg->rate_hz >= 50.0 && cfg->rate_hz <= 20000.0) || !(cfg->gain >= 0.0)) {
        return TL_EINVAL;
    }
    pthread_once(&g_zig_once, zig_init);
    struct tl_sim_waves *w = tl_calloc(1, sizeof(*w));
    if (!w) {
        return TL_ENOMEM;
    }
    w->s = s;
    w->cfg = *cfg;
    w->cfg.stations = NULL;
    w->st = tl_calloc(s->ns, sizeof(*w->st));
    if (!w->st) {
        tl_free(w);
        return TL_ENOMEM;
    }
    if (!parse_selection(s, cfg->stations, w->st)) {
        tl_sim_waves_free(w);
        return TL_EINVAL;
    }
    /* Linear-phase anti-alias filter: windowed sinc at 0.45 fs (Blackman window). */
    double wc = 2.0 * M_PI * 0.45 / UP, sum = 0.0;
    for (int i = -FIR_HALF; i <= FIR_HALF; i++) {
        double h = i == 0 ? wc / M_PI : sin(wc * i) / (M_PI * i);
        double x = (double)(i + FIR_HALF) / (2.0 * FIR_HALF);
        double win = 0.42 - 0.5 * cos(2.0 * M_PI * x) + 0.08 * cos(4.0 * M_PI * x);
        w->fir[i + FIR_HALF] = h * win;
        sum += h * win;
    }
    for (int i = 0; i <= 2 * FIR_HALF; i++) {
        w->fir[i] /= sum;
    }
    int rc = collect(w);
    if (rc != TL_OK) {
        tl_sim_waves_free(w);
        return rc;
    }
    *out = w;
    return TL_OK;
}

void
tl_sim_waves_free(struct tl_sim_waves *w)
{
    if (!w) {
        return;
    }
    tl_free(w->a);
    tl_free(w->st);
    tl_free(w->x);
    tl_free(w->y);
    tl_free(w);
}

size_t
tl_sim_waves_arrival_count(const struct tl_sim_waves *w)
{
    return w->na;
}

const struct tl_sim_arrival *
tl_sim_waves_arrival(const struct tl_sim_waves *w, size_t i)
{
    return i < w->na ? &w->a[i] : NULL;
}

bool
tl_sim_waves_selected(const struct tl_sim_waves *w, size_t station)
{
    return station < w->s->ns && w->st[station].selected;
}

/* ------------------------------------------------------------- pulses -- */

/* Frequency (Hz) at which absorption over `dist_m` reaches 3 dB. */
static double
absorb_fc(double dist_m)
{
    double d_km = dist_m / 1000.0;
    if (d_km < 0.01 || tl_absorption_db_per_km(20000.0, 15.0, 70.0, 1013.25) * d_km < 3.0) {
        return INFINITY;
    }
    double lo = log(1.0), hi = log(20000.0);
    for (int i = 0; i < 40; i++) {
        double mid = 0.5 * (lo + hi);
        if (tl_absorption_db_per_km(exp(mid), 15.0, 70.0, 1013.25) * d_km < 3.0) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return exp(0.5 * (lo + hi));
}

static double
friedlander(double t, double T)
{
    return t < 0.0 ? 0.0 : (1.0 - t / T) * exp(-t / T);
}

static double
nwave(double t, double T)
{
    return t < 0.0 || t >= T ? 0.0 : 1.0 - 2.0 * t / T;
}

/* Cell average of a shape over [t - h/2, t + h/2]. */
static double
cell(double (*f)(double, double), double t, double T, double h)
{
    double s = 0.0;
    for (int i = 0; i < SUB; i++) {
        s += f(t + h * (((double)i + 0.5) / SUB - 0.5), T);
    }
    return s / SUB;
}

/* Two first-order low-passes in cascade (causal). */
static void
smooth(double *x, size_t n, double fc, double fs)
{
    if (!isfinite(fc) || fc > 0.45 * fs) {
        return;
    }
    double a = exp(-2.0 * M_PI * fc * 1.55 / fs);
    double y1 = 0.0, y2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        y1 = a * y1 + (1.0 - a) * x[i];
        y2 = a * y2 + (1.0 - a) * y1;
        x[i] = y2;
    }
}

/* Band-limited unit-RMS noise around f (a second-order resonator, Q about 1). */
static void
band_noise(double *out, size_t n, double f, double fs, struct noise *common, struct noise *own,
           double common_share)
{
    double w0 = 2.0 * M_PI * fmin(f, 0.4 * fs) / fs;
    double alpha = sin(w0) / 2.0; /* Q = 1 */
    double a0 = 1.0 + alpha;
    double b0 = alpha / a0, b2 = -alpha / a0, a1 = -2.0 * cos(w0) / a0, a2 = (1.0 - alpha) / a0;
    double s1 = 0.0, s2 = 0.0, ss = 0.0;
    double cw = sqrt(common_share), ow = sqrt(1.0 - common_share);
    for (size_t i = 0; i < n; i++) {
        double x = cw * (common ? gauss(common) : 0.0) + ow * (own ? gauss(own) : 0.0);
        double y = b0 * x + s1;
        s1 = -a1 * y + s2;
        s2 = b2 * x - a2 * y;
        out[i] = y;
        ss += y * y;
    }
    double rms = n ? sqrt(ss / (double)n) : 0.0;
    if (rms > 0.0) {
        for (size_t i = 0; i < n; i++) {
            out[i] /= rms;
        }
    }
}

static int
grow(struct tl_sim_waves *w, size_t n)
{
    if (w->xcap >= n) {
        return TL_OK;
    }
    double *x = tl_malloc(n * sizeof(double)), *y = tl_malloc(n * sizeof(double));
    if (!x || !y) {
        tl_free(x);
        tl_free(y);
        return TL_ENOMEM;
    }
    tl_free(w->x);
    tl_free(w->y);
    w->x = x;
    w->y = y;
    w->xcap = n;
    return TL_OK;
}

/*
 * Band noise around f under an envelope, at the output rate (noise needs no
 * sub-sample timing), smoothed at fc, added to out[0..n) whose sample 0 is
 * on_s seconds after the onset.  kind 0: a coda (1 - e^(-t/2T)) e^(-t/tau)
 * times c0; 1: an emergent roar rising over `rise` then decaying over
 * `tau`; 2: a Hann burst of length `tau`.  The noise is drawn from the onset
 * on, so that any block gets the same samples.
 */
enum { ENV_CODA = 0, ENV_ROAR = 1, ENV_BURST = 2 };

static int
add_band_env(struct tl_sim_waves *w, struct noise *com, struct noise *own, double share,
             double f, double fc, double on_s, double len, int kind, double c0, double T,
             double rise, double tau, double amp_f, size_t n, float *out)
{
    double fs = w->cfg.rate_hz;
    long k_on = (long)ceil(on_s * fs);      /* first sample at or after the onset */
    long k_end = (long)ceil((on_s + len) * fs);
    if (k_end <= 0 || k_on >= (long)n || k_end <= k_on) {
        return TL_OK;
    }
    size_t m = (size_t)(k_end - k_on);
    int rc = grow(w, m);
    if (rc != TL_OK) {
        return rc;
    }
    double *y = w->y;
    band_noise(y, m, fmin(f, 0.4 * fs), fs, com, own, share);
    double h = 1.0 / fs;
    double t0 = (double)k_on * h - on_s; /* >= 0 */
    double r_rise = exp(-h / (2.0 * T)), r_decay = exp(-h / tau);
    double e_rise = exp(-t0 / (2.0 * T)), e_decay = exp(-t0 / tau);
    for (size_t i = 0; i < m; i++) {
        double t = t0 + (double)i * h, env;
        if (kind == ENV_CODA) {
            env = c0 * (1.0 - e_rise) * e_decay;
            e_rise *= r_rise;
            e_decay *= r_decay;
        } else if (kind == ENV_ROAR) {
            env = fmin(1.0, t / rise) * exp(-fmax(0.0, t - rise) / tau);
        } else {
            env = t < tau ? 0.5 - 0.5 * cos(2.0 * M_PI * t / tau) : 0.0;
        }
        y[i] *= env;
    }
    smooth(y, m, fc, fs);
    for (size_t i = 0; i < m; i++) {
        long k = k_on + (long)i;
        if (k >= 0 && k < (long)n) {
            out[k] += (float)(y[i] * amp_f);
        }
    }
    return TL_OK;
}

/*
 * Add arrival `ai` as element `e` hears it (its onset `on_s` seconds after
 * out[0]) to out[0..n), sampled at fs.  Pulses are computed oversampled and
 * decimated; noise-like parts (codas, roars) at the output rate.
 */
static int
add_arrival(struct tl_sim_waves *w, size_t ai, int e, double on_s, double amp_f, size_t n,
            float *out)
{
    const struct tl_sim_arrival *a = &w->a[ai];
    double fs = w->cfg.rate_hz, fsu = fs * UP, h = 1.0 / fsu;
    bool shock = a->phase == TL_SIM_SHOCK;
    bool interference = a->event < 0;
    double f = fmin(fmax(a->freq_hz, 0.5), 0.45 * fsu);
    double T = shock ? fmax(a->dur_s, 2e-4) : 1.0 / (2.0 * M_PI * f);
    double dur = fmax(a->dur_s, 0.03);
    double len = fmin(MAX_SIG_S, fmax(dur * 2.5, 8.0 * T) + 0.15);
    /* Random streams: one common to the elements, one per element. */
    struct noise com, own;
    memset(&com, 0, sizeof(com));
    memset(&own, 0, sizeof(own));
    uint64_t key = (uint64_t)ai * 64u;
    rng_seed(&com.r, w->s->cfg.seed ^ UINT64_C(0x57415645), key + 63u);
    rng_seed(&own.r, w->s->cfg.seed ^ UINT64_C(0x57415645), key + (uint64_t)e);
    double dist_fc = absorb_fc(interference ? 300.0 : a->dist_m);
    if (a->emergent) {
        /* An emergent roar (rocket motor) or a vehicle's burst. */
        double a3 = a->amp_pa / 3.0;
        return interference ? add_band_env(w, &com, &own, 0.7, f, dist_fc, on_s, dur, ENV_BURST,
                                           0.0, 1.0, 1.0, dur, a3 * amp_f, n, out)
                            : add_band_env(w, &com, &own, 0.7, f, dist_fc, on_s, len, ENV_ROAR,
                                           0.0, 1.0, 0.25 * dur, 0.5 * dur, a3 * amp_f, n, out);
    }
    double d1 = 0.0, m1 = 0.0, d2 = 0.0, m2 = 0.0;
    if (!shock && !interference) {
        d1 = rng_range(&com.r, 0.003, 0.03);
        m1 = rng_range(&com.r, 0.15, 0.45);
        d2 = rng_range(&com.r, 0.02, 0.12);
        m2 = rng_range(&com.r, 0.05, 0.25);
    }
    /* The pulse, oversampled: a Friedlander pulse is below 1e-15 of its peak
     * after 35 T; the smoothing's tail is a few 1 / (2 pi fc). */
    double fc = shock ? 1.0 / (2.0 * M_PI * 1e-4) : dist_fc;
    double tail = isfinite(fc) ? fmin(0.5, 3.0 / fc) : 0.0;
    double plen = shock ? T + tail + 0.002 : fmin(len, 35.0 * T + d2 + tail);
    long j0 = (long)floor(on_s * fsu) - FIR_HALF - 2;
    long j1 = (long)ceil((on_s + plen) * fsu) + FIR_HALF + 2;
    long k0 = (long)ceil((double)j0 / UP) + 1, k1 = (long)floor((double)j1 / UP) - 1;
    int rc = TL_OK;
    if (k1 >= 0 && k0 < (long)n && j1 > j0) {
        size_t nu = (size_t)(j1 - j0);
        rc = grow(w, nu);
        if (rc != TL_OK) {
            return rc;
        }
        double *x = w->x;
        for (size_t j = 0; j < nu; j++) {
            double t = (double)(j0 + (long)j) * h - on_s;
            if (t < -h) {
                x[j] = 0.0;
            } else if (shock) {
                x[j] = a->amp_pa * cell(nwave, t, T, h);
            } else {
                x[j] = cell(friedlander, t, T, h) + m1 * cell(friedlander, t - d1, T, h) +
                       m2 * cell(friedlander, t - d2, T, h);
            }
        }
        smooth(x, nu, fc, fsu);
        if (!shock) {
            /* scaled to the arrival's peak overpressure */
            double peak = 0.0;
            for (size_t j = 0; j < nu; j++) {
                peak = fmax(peak, x[j]);
            }
            double g = peak > 0.0 ? a->amp_pa / peak : 0.0;
            for (size_t j = 0; j < nu; j++) {
                x[j] *= g;
            }
        }
        /* Decimate with the linear-phase filter. */
        k0 = k0 < 0 ? 0 : k0;
        k1 = k1 >= (long)n ? (long)n - 1 : k1;
        for (long k = k0; k <= k1; k++) {
            long c = k * UP - j0;
            double acc = 0.0;
            for (int i = -FIR_HALF; i <= FIR_HALF; i++) {
                long jj = c - i;
                if (jj >= 0 && jj < (long)nu) {
                    acc += w->fir[i + FIR_HALF] * x[jj];
                }
            }
            out[k] += (float)(acc * amp_f);
        }
    }
    if (shock) {
        return TL_OK;
    }
    /* Coda: band noise carrying 30-80% of the pulse's energy (A^2 T / 4),
     * rising over two periods and decaying over the arrival's duration. */
    double tau_c = dur / log(3.0);
    double rho = rng_range(&com.r, 0.3, 0.8);
    double c0 = a->amp_pa * sqrt(2.0 * rho * T / 4.0 / tau_c);
    return add_band_env(w, &com, &own, 0.5, f, dist_fc, on_s, len, ENV_CODA, c0, T, 0.0, tau_c,
                        amp_f, n, out);
}

/* -------------------------------------------------------------- noise -- */

/* Ambient and wind noise (Pa RMS) at station k, true time t (scenario seconds). */
static void
noise_levels(const struct tl_sim *s, size_t k, double t_s, double *amb, double *wind)
{
    const struct station *st = &s->st[k];
    struct wx_point w;
    tl__wx_at(&s->wx, st->p[0], st->p[1], t_s, &w);
    tl__wx_noise_parts(&s->wx, t_s, hypot(w.u_mps, w.v_mps), amb, wind);
    *amb *= st->noise_factor;
    *wind *= st->noise_factor;
}

struct nfilt {
    double a_amb, g_amb;   /* ambient: first-order low-pass at 10 Hz, unit-variance gain */
    double a_wind, g_wind; /* wind: first-order low-pass at 0.5 Hz */
    double a_gust, g_gust; /* gusts: AR(1) with a 5 s correlation, updated every 16 samples */
};

static void
nfilt_init(struct nfilt *f, double fs)
{
    f->a_amb = exp(-2.0 * M_PI * 10.0 / fs);
    f->g_amb = sqrt((1.0 + f->a_amb) / (1.0 - f->a_amb));
    f->a_wind = exp(-2.0 * M_PI * 0.5 / fs);
    f->g_wind = sqrt((1.0 + f->a_wind) / (1.0 - f->a_wind));
    f->a_gust = exp(-16.0 / (fs * 5.0));
    f->g_gust = sqrt(1.0 - f->a_gust * f->a_gust);
}

/* n samples of noise at levels interpolated from lv (pairs amb, wind every `step` samples). */
static void
noise_run(struct noise *ns, const struct nfilt *f, const double *lv, size_t step, float *out,
          size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t q = i / step;
        double fr = (double)(i % step) / (double)step;
        double amb = lv[2 * q] + fr * (lv[2 * q + 2] - lv[2 * q]);
        double wind = lv[2 * q + 1] + fr * (lv[2 * q + 3] - lv[2 * q + 1]);
        if (ns->k++ % 16 == 0) {
            ns->gust = f->a_gust * ns->gust + f->g_gust * gauss(ns);
            ns->gust_f = exp(0.5 * ns->gust - 0.25);
        }
        ns->amb = f->a_amb * ns->amb + (1.0 - f->a_amb) * gauss(ns);
        ns->wind = f->a_wind * ns->wind + (1.0 - f->a_wind) * gauss(ns);
        double white = gauss(ns);
        double v = amb * (0.85 * f->g_amb * ns->amb + 0.53 * white) +
                   wind * ns->gust_f * f->g_wind * ns->wind;
        out[i] = (float)v;
    }
}

/* ------------------------------------------------------------- render -- */

int
tl_sim_waves_render(struct tl_sim_waves *w, size_t station, tl_time_ns t0, size_t n,
                    float *const *out)
{
    if (!w || !out || station >= w->s->ns) {
        return TL_EINVAL;
    }
    const struct tl_sim *s = w->s;
    struct wst *ws = &w->st[station];
    const struct station *st = &s->st[station];
    size_t ne = st->st->n_elements ? st->st->n_elements : 1;
    double fs = w->cfg.rate_hz;
    struct nfilt nf;
    nfilt_init(&nf, fs);
    /* Noise levels every LEVEL_STEP seconds across the block (and one beyond). */
    size_t step = (size_t)ceil(LEVEL_STEP * fs);
    size_t nq = n / step + 2;
    double *lv = tl_malloc(2 * (nq + 1) * sizeof(double));
    if (!lv) {
        return TL_ENOMEM;
    }
    double t0_s = (double)(t0 - s->cfg.start_ns) / 1e9;
    for (size_t q = 0; q <= nq; q++) {
        noise_levels(s, station, t0_s + (double)(q * step) / fs, &lv[2 * q], &lv[2 * q + 1]);
    }
    if (!ws->started || ws->next_t0 != t0) {
        for (size_t e = 0; e < ne; e++) {
            struct noise *ns = &ws->ns[e];
            memset(ns, 0, sizeof(*ns));
            rng_seed(&ns->r, s->cfg.seed ^ UINT64_C(0x4E4F495345), (uint64_t)station * 32u + e);
            /* Let the filters settle for 20 s before the first sample. */
            float burn[256];
            double lv0[4] = {lv[0], lv[1], lv[0], lv[1]};
            for (size_t b = 0; b < (size_t)(20.0 * fs); b += TL_ARRAY_LEN(burn)) {
                noise_run(ns, &nf, lv0, SIZE_MAX / 4, burn, TL_ARRAY_LEN(burn));
            }
        }
        ws->started = true;
    }
    for (size_t e = 0; e < ne; e++) {
        noise_run(&ws->ns[e], &nf, lv, step, out[e], n);
    }
    tl_free(lv);
    ws->next_t0 = t0 + (tl_time_ns)llround((double)n * 1e9 / fs);
    /* Arrivals whose waveform overlaps the block. */
    tl_time_ns t_lo = t0 - (tl_time_ns)(MAX_SIG_S * 1e9);
    tl_time_ns t_hi = ws->next_t0 + TL_NS_PER_S;
    size_t lo = ws->first, hi = ws->first + ws->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w->a[mid].t_ns < t_lo) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    int rc = TL_OK;
    for (size_t i = lo; i < ws->first + ws->count && w->a[i].t_ns < t_hi && rc == TL_OK; i++) {
        const struct tl_sim_arrival *a = &w->a[i];
        double beta = isnan(a->baz_deg) ? 0.0 : a->baz_deg * M_PI / 180.0;
        double el = a->elev_deg * M_PI / 180.0;
        double ux = sin(beta) * cos(el), uy = cos(beta) * cos(el), uz = sin(el);
        struct noise jit;
        memset(&jit, 0, sizeof(jit));
        rng_seed(&jit.r, s->cfg.seed ^ UINT64_C(0x4A4954), (uint64_t)i);
        for (size_t e = 0; e < ne && rc == TL_OK; e++) {
            double delay = 0.0, ampf = 1.0;
            if (st->st->n_elements > 1) {
                const double *p = st->st->element_m[e];
                delay = -(p[0] * ux + p[1] * uy + p[2] * uz) / C_ARRAY + 1e-4 * gauss(&jit);
                ampf = 1.0 + 0.03 * gauss(&jit);
            }
            double on_s = (double)(a->t_ns - t0) / 1e9 + delay;
            rc = add_arrival(w, i, (int)e, on_s, ampf, n, out[e]);
        }
    }
    return rc;
}

int
tl_sim_waves_render_arrival(struct tl_sim_waves *w, size_t i, tl_time_ns t0, size_t n, float *out)
{
    if (!w || !out || i >= w->na) {
        return TL_EINVAL;
    }
    return add_arrival(w, i, 0, (double)(w->a[i].t_ns - t0) / 1e9, 1.0, n, out);
}

/* -------------------------------------------------------------- files -- */

static void
ms_quiet(char *msg)
{
    TL_LOG(TL_LOG_DEBUG, "sim", "libmseed: %s", msg ? msg : "");
}

struct packer {
    FILE *f;
    int err;
};

static void
put_record(char *rec, int len, void *ud)
{
    struct packer *pk = ud;
    if (pk->err == 0 && fwrite(rec, 1, (size_t)len, pk->f) != (size_t)len) {
        pk->err = errno ? errno : EIO;
    }
}

struct elem_out {
    MSRecord *msr;
    void *buf;            /* pending samples (int32 or float) */
    size_t cap;
};

/* Pack what is pending of one element (all of it when flushing). */
static int
pack(struct elem_out *eo, struct packer *pk, bool flush)
{
    if (eo->msr->numsamples <= 0) {
        return TL_OK;
    }
    int64_t packed = 0;
    eo->msr->datasamples = eo->buf;
    if (msr_pack(eo->msr, put_record, pk, &packed, flush ? 1 : 0, 0) < 0 || pk->err) {
        return TL_EIO;
    }
    int64_t rest = eo->msr->numsamples - packed;
    size_t sz = eo->msr->sampletype == 'f' ? sizeof(float) : sizeof(int32_t);
    if (rest > 0 && packed > 0) {
        memmove(eo->buf, (char *)eo->buf + (size_t)packed * sz, (size_t)rest * sz);
    }
    eo->msr->numsamples = rest > 0 ? rest : 0;
    return TL_OK;
}

static const char *
phase_text(const struct tl_sim_arrival *a)
{
    if (a->event < 0) {
        return "interference";
    }
    return a->phase == TL_SIM_SHOCK ? "shock" : a->phase == TL_SIM_ECHO ? "echo" : "blast";
}

static int
write_arrivals(const struct tl_sim_waves *w, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/arrivals.jsonl", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        TL_LOG(TL_LOG_ERROR, "sim", "%s: %s", path, strerror(errno));
        return TL_EIO;
    }
    const struct tl_sim *s = w->s;
    for (size_t i = 0; i < w->na; i++) {
        const struct tl_sim_arrival *a = &w->a[i];
        char t[TL_TIME_TEXT_MAX], ts[TL_TIME_TEXT_MAX];
        tl_time_format(a->t_ns, t, sizeof(t));
        tl_time_format(a->station_t_ns, ts, sizeof(ts));
        fprintf(f, "{\"station\":\"%s\",\"time\":\"%s\",\"station_time\":\"%s\",\"phase\":\"%s\"",
                s->st[a->station].st->id, t, ts, phase_text(a));
        if (a->event >= 0) {
            fprintf(f, ",\"event\":\"%s\"", s->ev[a->event].id);
        } else {
            fputs(",\"event\":null", f);
        }
        fprintf(f, ",\"snr_db\":%.1f,\"amp_pa\":%.4g,\"freq_hz\":%.1f,\"dur_s\":%.4f,\"dist_m\":%.0f",
                a->snr_db, a->amp_pa, a->freq_hz, a->dur_s, a->dist_m);
        if (!isnan(a->baz_deg)) {
            fprintf(f, ",\"baz_deg\":%.1f", a->baz_deg);
        }
        if (!isnan(a->baz_true_deg)) {
            fprintf(f, ",\"baz_true_deg\":%.1f", a->baz_true_deg);
        }
        if (a->elev_deg != 0.0) {
            fprintf(f, ",\"elev_deg\":%.1f", a->elev_deg);
        }
        if (a->emergent) {
            fputs(",\"emergent\":true", f);
        }
        if (a->pick >= 0) {
            fprintf(f, ",\"pick\":\"%s\"", s->pk[a->pick].pick.id);
        } else {
            fputs(",\"pick\":null", f);
        }
        fputs("}\n", f);
    }
    if (ferror(f) | (fclose(f) != 0)) {
        TL_LOG(TL_LOG_ERROR, "sim", "%s: write failed", path);
        return TL_EIO;
    }
    return TL_OK;
}

/* Channel code for a rate (formats.md section 6): band code, D (pressure), F. */
static void
channel_code(double fs, char *ch)
{
    char band = fs >= 1000.0 ? 'F' : fs >= 250.0 ? 'C' : fs >= 80.0 ? 'H' : 'B';
    ch[0] = band;
    ch[1] = 'D';
    ch[2] = 'F';
    ch[3] = '\0';
}

static int
write_hour(struct tl_sim_waves *w, size_t k, tl_time_ns t0, size_t n, float **bufs,
           const char *dir)
{
    const struct tl_sim *s = w->s;
    const struct station *st = &s->st[k];
    size_t ne = st->st->n_elements ? st->st->n_elements : 1;
    double fs = w->cfg.rate_hz;
    int rc = tl_sim_waves_render(w, k, t0, n, bufs);
    if (rc != TL_OK) {
        return rc;
    }
    char t[TL_TIME_TEXT_MAX];
    tl_time_format(t0, t, sizeof(t));
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.%.4s%.2s%.2sT%.2s.mseed", dir, st->st->id, t, t + 5, t + 8,
             t + 11);
    struct packer pk = {fopen(path, "wb"), 0};
    if (!pk.f) {
        TL_LOG(TL_LOG_ERROR, "sim", "%s: %s", path, strerror(errno));
        return TL_EIO;
    }
    bool counts = w->cfg.gain > 0.0;
    size_t chunk = (size_t)ceil(CHUNK_S * fs);
    struct elem_out eo[TL_MAX_ELEMENTS];
    memset(eo, 0, sizeof(eo));
    char chan[4];
    channel_code(fs, chan);
    for (size_t e = 0; e < ne && rc == TL_OK; e++) {
        eo[e].msr = msr_init(NULL);
        eo[e].cap = chunk + 8192;
        eo[e].buf = tl_malloc(eo[e].cap * 4);
        if (!eo[e].msr || !eo[e].buf) {
            rc = TL_ENOMEM;
            break;
        }
        MSRecord *m = eo[e].msr;
        ms_strncpopen(m->network, "TL", 2);
        m->network[2] = '\0';
        tl__strlcpy(m->station, st->st->id, sizeof(m->station));
        snprintf(m->location, sizeof(m->location), "%02zu", e);
        tl__strlcpy(m->channel, chan, sizeof(m->channel));
        m->dataquality = 'D';
        m->samprate = fs;
        m->reclen = RECLEN;
        m->encoding = counts ? DE_STEIM2 : DE_FLOAT32;
        m->byteorder = 1;
        m->sampletype = counts ? 'i' : 'f';
        m->numsamples = 0;
    }
    double cur_off = NAN;
    for (size_t c0 = 0; c0 < n && rc == TL_OK; c0 += chunk) {
        size_t m = n - c0 < chunk ? n - c0 : chunk;
        tl_time_ns tc = t0 + (tl_time_ns)llround((double)c0 * 1e9 / fs);
        tl_time_ns mid = tc + (tl_time_ns)llround((double)m * 0.5e9 / fs);
        size_t kk = k;
        bool down = tl_sim_station_down(s, kk, mid);
        double off = tl_sim_clock_offset_s(s, kk, tc);
        if (down || off != cur_off) {
            /* A break in the record stream: an outage, or the clock moved. */
            for (size_t e = 0; e < ne && rc == TL_OK; e++) {
                rc = pack(&eo[e], &pk, true);
            }
            cur_off = down ? (double)NAN : off;
            if (down) {
                continue;
            }
        }
        for (size_t e = 0; e < ne && rc == TL_OK; e++) {
            MSRecord *mr = eo[e].msr;
            if (mr->numsamples == 0) {
                tl_time_ns ts = tc + (tl_time_ns)llround(off * 1e9);
                mr->starttime = (hptime_t)((ts + 500) / 1000);
            }
            for (size_t i = 0; i < m; i++) {
                double v = (double)bufs[e][c0 + i];
                if (counts) {
                    double q = fmax(-2147483000.0, fmin(2147483000.0, round(v * w->cfg.gain)));
                    ((int32_t *)eo[e].buf)[mr->numsamples + (int64_t)i] = (int32_t)q;
                } else {
                    ((float *)eo[e].buf)[mr->numsamples + (int64_t)i] = (float)v;
                }
            }
            mr->numsamples += (int64_t)m;
            rc = pack(&eo[e], &pk, false);
        }
    }
    for (size_t e = 0; e < ne && rc == TL_OK; e++) {
        rc = pack(&eo[e], &pk, true);
    }
    for (size_t e = 0; e < ne; e++) {
        if (eo[e].msr) {
            eo[e].msr->datasamples = NULL;
            msr_free(&eo[e].msr);
        }
        tl_free(eo[e].buf);
    }
    if ((fclose(pk.f) != 0 || pk.err) && rc == TL_OK) {
        rc = TL_EIO;
    }
    if (rc == TL_EIO) {
        TL_LOG(TL_LOG_ERROR, "sim", "%s: write failed", path);
    }
    return rc;
}

int
tl_sim_write_waveforms(const struct tl_sim *s, const char *dir,
                       const struct tl_sim_waveform_config *cfg)
{
    if (!s || !dir) {
        return TL_EINVAL;
    }
    struct tl_sim_waves *w = NULL;
    int rc = tl_sim_waves_new(s, cfg, &w);
    if (rc != TL_OK) {
        return rc;
    }
    char wdir[4096];
    snprintf(wdir, sizeof(wdir), "%s/waveforms", dir);
    if (mkdir(wdir, 0777) != 0 && errno != EEXIST) {
        TL_LOG(TL_LOG_ERROR, "sim", "%s: %s", wdir, strerror(errno));
        tl_sim_waves_free(w);
        return TL_EIO;
    }
    /* libmseed reports through global hooks; keep it off stderr. */
    ms_loginit(ms_quiet, NULL, ms_quiet, NULL);
    rc = write_arrivals(w, wdir);
    double fs = w->cfg.rate_hz;
    size_t hour_n = (size_t)llround(3600.0 * fs);
    float *bufs[TL_MAX_ELEMENTS] = {NULL};
    for (size_t e = 0; e < TL_MAX_ELEMENTS && rc == TL_OK; e++) {
        bufs[e] = tl_malloc(hour_n * sizeof(float));
        if (!bufs[e]) {
            rc = TL_ENOMEM;
        }
    }
    double total_s = s->cfg.hours * 3600.0;
    size_t files = 0;
    for (size_t k = 0; k < s->ns && rc == TL_OK; k++) {
        if (!w->st[k].selected) {
            continue;
        }
        for (double h0 = 0.0; h0 < total_s - 1e-9 && rc == TL_OK; h0 += 3600.0) {
            size_t n = (size_t)llround(fmin(3600.0, total_s - h0) * fs);
            tl_time_ns t0 = s->cfg.start_ns + (tl_time_ns)llround(h0 * 1e9);
            if (n > 0) {
                rc = write_hour(w, k, t0, n, bufs, wdir);
                files++;
            }
        }
    }
    if (rc == TL_OK) {
        char path[4200];
        snprintf(path, sizeof(path), "%s/waveforms.json", wdir);
        FILE *f = fopen(path, "w");
        char chan[4];
        channel_code(fs, chan);
        if (!f) {
            rc = TL_EIO;
        } else {
            fprintf(f,
                    "{\"rate_hz\": %g, \"units\": \"%s\", \"gain\": %g, \"encoding\": \"%s\", "
                    "\"network\": \"TL\", \"channel\": \"%s\", \"record_bytes\": %d,\n "
                    "\"files\": %zu, \"arrivals\": %zu, \"noise_only\": %s, \"interference\": "
                    "%s}\n",
                    fs, w->cfg.gain > 0.0 ? "counts" : "pa", w->cfg.gain > 0.0 ? w->cfg.gain : 1.0,
                    w->cfg.gain > 0.0 ? "steim2" : "float32", chan, RECLEN, files, w->na,
                    w->cfg.noise_only ? "true" : "false", w->cfg.interference ? "true" : "false");
            if (ferror(f) | (fclose(f) != 0)) {
                rc = TL_EIO;
            }
        }
    }
    for (size_t e = 0; e < TL_MAX_ELEMENTS; e++) {
        tl_free(bufs[e]);
    }
    tl_sim_waves_free(w);
    return rc;
}
