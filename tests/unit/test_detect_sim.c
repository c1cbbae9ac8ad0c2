/*
 * test_detect_sim.c - the simulator's synthetic waveforms agree with its truth.
 *
 * For a busy hour at two stations (an array and a single microphone): the
 * arrivals are those of truth.jsonl (every simulator pick of a real event
 * has its arrival, at its true time); each strong isolated blast shows in
 * the rendered pressure at its time with its peak overpressure; the noise
 * has the level the simulator's SNRs assume; an array's elements see the
 * wave with the plane-wave delays of its geometry; rendering is
 * deterministic, continuous across calls and noise-only renders carry no
 * arrival, and an arrival rendered alone is its share of the waveform; the
 * miniSEED writer's files decode back to the same samples.
 */
#include "tl_test.h"

#include <libmseed.h>
#include <math.h>
#include <sys/stat.h>

static struct tl_mission *g_m;
static struct tl_sim *g_s;
static const double FS = 500.0;

static int
setup(void **state)
{
    (void)state;
    if (tl_mission_load(TL_SOURCE_DIR "/examples/demo/mission.geojson", &g_m, NULL) != TL_OK) {
        return -1;
    }
    struct tl_sim_config cfg = {"busy", 1, TL_SIM_DEFAULT_START_NS + 18 * 3600 * TL_NS_PER_S, 0.5,
                                false};
    return tl_sim_generate(g_m, &cfg, &g_s) == TL_OK ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    tl_sim_free(g_s);
    tl_mission_free(g_m);
    return 0;
}

static struct tl_sim_waves *
waves(const char *stations, bool noise_only)
{
    struct tl_sim_waveform_config wc;
    tl_sim_waveform_config_default(&wc);
    wc.stations = stations;
    wc.noise_only = noise_only;
    struct tl_sim_waves *w = NULL;
    assert_int_equal(TL_OK, tl_sim_waves_new(g_s, &wc, &w));
    return w;
}

static void
test_arrivals_match_truth(void **state)
{
    (void)state;
    struct tl_sim_waves *w = waves("L055,R056", false);
    size_t na = tl_sim_waves_arrival_count(w);
    assert_true(na > 100);
    long l055 = tl_mission_find_station(g_m, "L055"), r056 = tl_mission_find_station(g_m, "R056");
    /* every true pick of these stations (blast, echo or N-wave) is an arrival */
    size_t picks = 0, found = 0;
    for (size_t i = 0; i < tl_sim_pick_count(g_s); i++) {
        const struct tl_sim_pick *p = tl_sim_pick(g_s, i);
        long st = tl_mission_find_station(g_m, p->pick.station);
        if (p->event < 0 || (st != l055 && st != r056)) {
            continue;
        }
        picks++;
        for (size_t j = 0; j < na; j++) {
            const struct tl_sim_arrival *a = tl_sim_waves_arrival(w, j);
            if (a->pick == (long)i) {
                found++;
                assert_true(a->t_ns == p->true_t_ns);
                assert_int_equal((long)a->station, st);
                assert_int_equal(a->event, p->event);
                break;
            }
        }
    }
    assert_true(picks > 50);
    assert_int_equal(picks, found);
    /* arrivals are sorted by station and time, and only of the stations asked for */
    for (size_t j = 1; j < na; j++) {
        const struct tl_sim_arrival *a = tl_sim_waves_arrival(w, j - 1),
                                    *b = tl_sim_waves_arrival(w, j);
        assert_true(a->station < b->station || (a->station == b->station && a->t_ns <= b->t_ns));
        assert_true((long)b->station == l055 || (long)b->station == r056);
    }
    assert_true(tl_sim_waves_selected(w, (size_t)l055));
    assert_false(tl_sim_waves_selected(w, 0));
    tl_sim_waves_free(w);
    struct tl_sim_waveform_config wc;
    tl_sim_waveform_config_default(&wc);
    wc.stations = "L055,NOPE";
    assert_int_equal(TL_EINVAL, tl_sim_waves_new(g_s, &wc, &w));
    wc.stations = NULL;
    wc.rate_hz = 10.0;
    assert_int_equal(TL_EINVAL, tl_sim_waves_new(g_s, &wc, &w));
}

/* A strong blast of a real event (25 dB) with no other arrival within a
 * second unless 15 dB weaker: its pulse stands alone in the rendering. */
static bool
strong_isolated(const struct tl_sim_waves *w, size_t j)
{
    const struct tl_sim_arrival *a = tl_sim_waves_arrival(w, j);
    if (a->phase != TL_SIM_BLAST || a->event < 0 || a->snr_db < 25.0) {
        return false;
    }
    for (size_t k = 0; k < tl_sim_waves_arrival_count(w); k++) {
        const struct tl_sim_arrival *b = tl_sim_waves_arrival(w, k);
        if (k != j && b->station == a->station && b->snr_db >= a->snr_db - 15.0 &&
            llabs(b->t_ns - a->t_ns) <= TL_NS_PER_S) {
            return false;
        }
    }
    return true;
}

static void
test_pressure_at_arrivals(void **state)
{
    (void)state;
    struct tl_sim_waves *w = waves("R056", false);
    size_t st = (size_t)tl_mission_find_station(g_m, "R056");
    size_t n = (size_t)(1800.0 * FS);
    float *x = malloc(n * sizeof(float));
    float *bufs[1] = {x};
    tl_time_ns t0 = TL_SIM_DEFAULT_START_NS + 18 * 3600 * TL_NS_PER_S;
    assert_int_equal(TL_OK, tl_sim_waves_render(w, st, t0, n, bufs));
    size_t na = tl_sim_waves_arrival_count(w), checked = 0;
    for (size_t j = 0; j < na; j++) {
        const struct tl_sim_arrival *a = tl_sim_waves_arrival(w, j);
        double on = (double)(a->t_ns - t0) / 1e9;
        if (!strong_isolated(w, j) || on < 1.0 || on > 1790.0) {
            continue;
        }
        /* quiet before the onset, the peak overpressure just after it */
        size_t i0 = (size_t)(on * FS);
        double before = 0.0, after = 0.0;
        for (size_t i = i0 - 100; i < i0 - 2; i++) {
            before = fmax(before, fabs((double)x[i]));
        }
        for (size_t i = i0; i < i0 + 50; i++) {
            after = fmax(after, (double)x[i]);
        }
        assert_true(before < 0.25 * a->amp_pa);
        assert_true(after > 0.6 * a->amp_pa && after < 1.3 * a->amp_pa);
        checked++;
    }
    assert_true(checked >= 5);
    free(x);
    tl_sim_waves_free(w);
}

/* An arrival rendered alone is its share of the station's waveform: the
 * full render less the noise-only one is the sum of the arrivals alone. */
static void
test_arrival_alone_is_its_share(void **state)
{
    (void)state;
    struct tl_sim_waves *w = waves("R056", false), *wn = waves("R056", true);
    size_t st = (size_t)tl_mission_find_station(g_m, "R056");
    size_t n = (size_t)(600.0 * FS);
    float *x = malloc(n * sizeof(float)), *z = malloc(n * sizeof(float));
    float *sum = calloc(n, sizeof(float));
    float *bx[1] = {x}, *bz[1] = {z};
    tl_time_ns t0 = TL_SIM_DEFAULT_START_NS + 18 * 3600 * TL_NS_PER_S;
    assert_int_equal(TL_OK, tl_sim_waves_render(w, st, t0, n, bx));
    assert_int_equal(TL_OK, tl_sim_waves_render(wn, st, t0, n, bz));
    size_t na = tl_sim_waves_arrival_count(w), used = 0;
    for (size_t j = 0; j < na; j++) {
        const struct tl_sim_arrival *a = tl_sim_waves_arrival(w, j);
        if (a->station == st && a->t_ns > t0 - 10 * TL_NS_PER_S &&
            a->t_ns < t0 + (tl_time_ns)(600.0 * 1e9)) {
            assert_int_equal(TL_OK, tl_sim_waves_render_arrival(w, j, t0, n, sum));
            used++;
        }
    }
    assert_true(used >= 10);
    double peak = 0.0, worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        peak = fmax(peak, fabs((double)sum[i]));
        worst = fmax(worst, fabs((double)x[i] - (double)z[i] - (double)sum[i]));
    }
    assert_true(peak > 0.1);
    assert_true(worst < 1e-5 * peak + 1e-6);
    assert_int_equal(TL_EINVAL, tl_sim_waves_render_arrival(w, na, t0, n, sum));
    free(x);
    free(z);
    free(sum);
    tl_sim_waves_free(w);
    tl_sim_waves_free(wn);
}

/* Where element `x` first rises through `thr` in [i0, i1), in samples
 * (linear interpolation), or -1. */
static double
crossing(const float *x, size_t i0, size_t i1, double thr)
{
    for (size_t i = i0 + 1; i < i1; i++) {
        if ((double)x[i] >= thr && (double)x[i - 1] < thr) {
            return (double)(i - 1) + (thr - (double)x[i - 1]) / (double)(x[i] - x[i - 1]);
        }
    }
    return -1.0;
}

static void
test_array_plane_wave(void **state)
{
    (void)state;
    struct tl_sim_waves *w = waves("L055", false);
    size_t st = (size_t)tl_mission_find_station(g_m, "L055");
    const struct tl_station *info = tl_mission_station(g_m, st);
    assert_int_equal(4, info->n_elements);
    size_t n = (size_t)(1800.0 * FS);
    float *x[4];
    for (int e = 0; e < 4; e++) {
        x[e] = malloc(n * sizeof(float));
    }
    tl_time_ns t0 = TL_SIM_DEFAULT_START_NS + 18 * 3600 * TL_NS_PER_S;
    assert_int_equal(TL_OK, tl_sim_waves_render(w, st, t0, n, x));
    size_t checked = 0, pairs = 0;
    double worst = 0.0, ss = 0.0;
    for (size_t j = 0; j < tl_sim_waves_arrival_count(w); j++) {
        const struct tl_sim_arrival *a = tl_sim_waves_arrival(w, j);
        double on = (double)(a->t_ns - t0) / 1e9;
        if (!strong_isolated(w, j) || on < 1.0 || on > 1790.0) {
            continue;
        }
        assert_true(isfinite(a->baz_deg));
        /* the wave travels away from its source: the element further
         * towards the source hears it first, e . u / 340 m/s earlier */
        double beta = a->baz_deg * M_PI / 180.0, el = a->elev_deg * M_PI / 180.0;
        double u[3] = {sin(beta) * cos(el), cos(beta) * cos(el), sin(el)};
        size_t i0 = (size_t)((on - 0.15) * FS), i1 = (size_t)((on + 0.15) * FS);
        double t_ref = crossing(x[0], i0, i1, 0.5 * a->amp_pa);
        assert_true(t_ref > 0.0);
        for (size_t e = 1; e < 4; e++) {
            const double *p = info->element_m[e];
            double want_s = -(p[0] * u[0] + p[1] * u[1] + p[2] * u[2]) / 340.0;
            double t_e = crossing(x[e], i0, i1, 0.5 * a->amp_pa);
            assert_true(t_e > 0.0);
            double err_s = fabs((t_e - t_ref) / FS - want_s);
            worst = fmax(worst, err_s);
            ss += err_s * err_s;
            pairs++;
        }
        checked++;
    }
    double rms_s = pairs ? sqrt(ss / (double)pairs) : 0.0;
    if (getenv("TL_TEST_VERBOSE")) {
        print_message("%zu blasts, delay error rms %.3f ms, worst %.3f ms\n", checked, rms_s * 1e3,
                      worst * 1e3);
    }
    /* The 0.1 ms turbulent jitter of each element makes the difference of
     * two 0.14 ms RMS; the amplitude scatter and the noise on the rise add a
     * little.  A wrong geometry or sign would be milliseconds off (21 m is
     * 62 ms). */
    assert_true(checked >= 5);
    assert_true(rms_s < 0.3e-3);
    assert_true(worst < 1.0e-3);
    for (int e = 0; e < 4; e++) {
        free(x[e]);
    }
    tl_sim_waves_free(w);
}

static void
test_noise_level_and_determinism(void **state)
{
    (void)state;
    struct tl_sim_waves *w = waves("L055", true), *w2 = waves("L055", true);
    assert_int_equal(0, tl_sim_waves_arrival_count(w));
    size_t st = (size_t)tl_mission_find_station(g_m, "L055");
    size_t n = (size_t)(120.0 * FS);
    float *a[4], *b[4];
    for (int e = 0; e < 4; e++) {
        a[e] = malloc(2 * n * sizeof(float));
        b[e] = malloc(2 * n * sizeof(float));
    }
    tl_time_ns t0 = TL_SIM_DEFAULT_START_NS + 18 * 3600 * TL_NS_PER_S;
    /* one call of 240 s against two of 120 s: the same samples */
    assert_int_equal(TL_OK, tl_sim_waves_render(w, st, t0, 2 * n, a));
    float *b2[4] = {b[0] + n, b[1] + n, b[2] + n, b[3] + n};
    assert_int_equal(TL_OK, tl_sim_waves_render(w2, st, t0, n, b));
    assert_int_equal(TL_OK, tl_sim_waves_render(w2, st, t0 + 120 * TL_NS_PER_S, n, b2));
    for (int e = 0; e < 4; e++) {
        assert_memory_equal(a[e], b[e], 2 * n * sizeof(float));
    }
    /* the RMS is the simulator's station noise (weather, site factor) */
    struct tl_sim_weather wx;
    const struct tl_station *info = tl_mission_station(g_m, st);
    tl_sim_weather_at(g_s, info->lat_deg, info->lon_deg, t0 + 60 * TL_NS_PER_S, &wx);
    double ss = 0.0, cross = 0.0;
    for (size_t i = 0; i < 2 * n; i++) {
        ss += (double)a[0][i] * (double)a[0][i];
        cross += (double)a[0][i] * (double)a[1][i];
    }
    double rms = sqrt(ss / (double)(2 * n));
    /* the site factor is log-normal (sigma 0.3, sometimes doubled) */
    assert_true(rms > 0.3 * wx.noise_pa && rms < 3.5 * wx.noise_pa);
    /* the elements' noise is independent */
    assert_true(fabs(cross) < 0.05 * ss);
    for (int e = 0; e < 4; e++) {
        free(a[e]);
        free(b[e]);
    }
    tl_sim_waves_free(w);
    tl_sim_waves_free(w2);
}

static void
test_written_files_decode(void **state)
{
    (void)state;
    char dir[] = "/tmp/tl_wf_XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct tl_sim_config cfg = {"calm", 3, TL_SIM_DEFAULT_START_NS, 0.05, false};
    struct tl_sim *s = NULL;
    assert_int_equal(TL_OK, tl_sim_generate(g_m, &cfg, &s));
    struct tl_sim_waveform_config wc;
    tl_sim_waveform_config_default(&wc);
    wc.stations = "L001";
    assert_int_equal(TL_OK, tl_sim_write_waveforms(s, dir, &wc));
    char path[256];
    snprintf(path, sizeof(path), "%s/waveforms/L001.20260301T00.mseed", dir);
    /* render the same in memory and compare with what the file holds */
    struct tl_sim_waves *w = NULL;
    assert_int_equal(TL_OK, tl_sim_waves_new(s, &wc, &w));
    size_t n = (size_t)(0.05 * 3600.0 * FS);
    float *x[4];
    for (int e = 0; e < 4; e++) {
        x[e] = malloc(n * sizeof(float));
    }
    assert_int_equal(TL_OK, tl_sim_waves_render(w, 0, TL_SIM_DEFAULT_START_NS, n, x));
    MSRecord *msr = NULL;
    MSFileParam *fp = NULL;
    size_t got[4] = {0}, records = 0;
    int rc;
    while ((rc = ms_readmsr_r(&fp, &msr, path, 0, NULL, NULL, 1, 1, 0)) == MS_NOERROR) {
        long e = strtol(msr->location, NULL, 10);
        assert_true(e >= 0 && e < 4);
        assert_string_equal("CDF", msr->channel);
        assert_int_equal(512, msr->reclen);
        assert_true(msr->sampletype == 'i');
        for (int64_t i = 0; i < msr->numsamples; i++) {
            double want = round((double)x[e][got[e] + (size_t)i] * 10000.0);
            assert_true(fabs((double)((int32_t *)msr->datasamples)[i] - want) <= 1.0);
        }
        got[e] += (size_t)msr->numsamples;
        records++;
    }
    assert_int_equal(MS_ENDOFFILE, rc);
    ms_readmsr_r(&fp, &msr, NULL, 0, NULL, NULL, 0, 0, 0);
    for (int e = 0; e < 4; e++) {
        assert_int_equal(n, got[e]);
        free(x[e]);
    }
    assert_true(records > 10);
    snprintf(path, sizeof(path), "%s/waveforms/arrivals.jsonl", dir);
    struct stat sb;
    assert_int_equal(0, stat(path, &sb));
    tl_sim_waves_free(w);
    tl_sim_free(s);
    /* clean up the files written */
    char wdir[300];
    snprintf(wdir, sizeof(wdir), "%s/waveforms", dir);
    static const char *const names[] = {"L001.20260301T00.mseed", "arrivals.jsonl",
                                        "waveforms.json"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", wdir, names[i]);
        assert_int_equal(0, unlink(path));
    }
    assert_int_equal(0, rmdir(wdir));
    assert_int_equal(0, rmdir(dir));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arrivals_match_truth),
        cmocka_unit_test(test_pressure_at_arrivals),
        cmocka_unit_test(test_arrival_alone_is_its_share),
        cmocka_unit_test(test_array_plane_wave),
        cmocka_unit_test(test_noise_level_and_determinism),
        cmocka_unit_test(test_written_files_decode),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
