/*
 * test_sim.c - the statistics of the scenario simulator, with fixed seeds:
 * travel times against the model and its stated jitter, detection falling
 * with distance and upwind, salvo structure, time of flight within the
 * model's spread, pick error against SNR, outliers, shock cues, faults, met
 * records, the mirror variant, preset sizes, and byte-identical output.
 * Short scenarios (a few hours) keep the suite fast; the full busy day runs in
 * bench/bench_sim.c.
 */
#include "tl_test.h"

#include <truceline/sim.h>

#include <math.h>
#include <sys/stat.h>

static struct tl_mission *g_mission;
static struct tl_sim *g_busy;  /* busy, 3 h from 18:00 */
static struct tl_sim *g_windy; /* windy, 3 h from 18:00 */

static struct tl_sim *
make(const char *preset, uint64_t seed, double start_h, double hours, bool events_only)
{
    struct tl_sim_config cfg = {preset, seed,
                                TL_SIM_DEFAULT_START_NS + (tl_time_ns)(start_h * 3600.0) * TL_NS_PER_S,
                                hours, events_only};
    struct tl_sim *s = NULL;
    assert_int_equal(TL_OK, tl_sim_generate(g_mission, &cfg, &s));
    assert_non_null(s);
    return s;
}

static int
setup(void **state)
{
    (void)state;
    if (tl_mission_load(TL_SOURCE_DIR "/examples/demo/mission.geojson", &g_mission, NULL) != TL_OK) {
        return -1;
    }
    struct tl_sim_config busy = {"busy", 11, TL_SIM_DEFAULT_START_NS + 18 * 3600 * TL_NS_PER_S,
                                 3.0, false};
    struct tl_sim_config windy = {"windy", 12, TL_SIM_DEFAULT_START_NS + 18 * 3600 * TL_NS_PER_S,
                                  3.0, false};
    if (tl_sim_generate(g_mission, &busy, &g_busy) != TL_OK ||
        tl_sim_generate(g_mission, &windy, &g_windy) != TL_OK) {
        return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    tl_sim_free(g_busy);
    tl_sim_free(g_windy);
    tl_mission_free(g_mission);
    return 0;
}

/* ------------------------------------------------------- travel times -- */

static void
test_travel_time_statistics(void **state)
{
    (void)state;
    const struct tl_sim *s = g_busy;
    double sz = 0.0, szz = 0.0;
    size_t n = 0, beyond4 = 0;
    double jit_near = 0.0, jit_far = 0.0;
    size_t n_near = 0, n_far = 0;
    double dev_near = 0.0, dev_far = 0.0;
    for (size_t i = 0; i < tl_sim_pick_count(s); i++) {
        const struct tl_sim_pick *p = tl_sim_pick(s, i);
        if (p->event < 0 || p->phase != TL_SIM_BLAST) {
            continue;
        }
        const struct tl_sim_event *e = tl_sim_event(s, (size_t)p->event);
        /* The true arrival is the origin plus the travel time (microsecond rounding). */
        double dt = (double)(p->true_t_ns - e->t_ns) / 1e9 - p->travel_s;
        assert_true(fabs(dt) < 2e-6);
        /* The travel time is what the path integral says, within the stated jitter. */
        assert_true(p->jitter_sigma_s > 0.0 && p->jitter_sigma_s < 0.08);
        double z = (p->travel_s - p->ray_travel_s) / p->jitter_sigma_s;
        sz += z;
        szz += z * z;
        beyond4 += fabs(z) > 4.0;
        n++;
        /* The effective speed is that of sound in air with some wind. */
        double c = p->dist_m / p->travel_s;
        assert_true(c > 300.0 && c < 370.0);
        /* The simple straight-ray model from the midpoint's weather is close: within a
         * few ms per km (the weather's variation along the path, humidity, refraction). */
        double dev = fabs(p->travel_s - p->model_travel_s);
        assert_true(dev < 0.02 * p->travel_s);
        if (p->dist_m < 5000.0) {
            jit_near += p->jitter_sigma_s;
            dev_near += dev / p->dist_m;
            n_near++;
        } else if (p->dist_m > 20000.0) {
            jit_far += p->jitter_sigma_s;
            dev_far += dev / p->dist_m;
            n_far++;
        }
    }
    assert_true(n > 2000);
    double mean = sz / (double)n, sd = sqrt(szz / (double)n - mean * mean);
    assert_true(fabs(mean) < 0.1);
    assert_true(sd > 0.9 && sd < 1.1);
    assert_true(beyond4 < n / 1000 + 1);
    /* Turbulent jitter grows with the path (as its square root: x2 from 3.5 to 25 km). */
    assert_true(n_near > 50 && n_far > 50);
    assert_true(jit_far / (double)n_far > 1.8 * jit_near / (double)n_near);
    /* The simple model misses by ms per km (not zero: the world is richer), not tens. */
    double per_km = dev_far / (double)n_far * 1000.0;
    assert_true(per_km > 0.0005 && per_km < 0.030);
    (void)dev_near;
}

/* --------------------------------------------------------- detection -- */

struct det_bins {
    size_t n[4], hit[4];
};

static int
dist_bin(double d_m)
{
    return d_m < 10000.0 ? 0 : d_m < 20000.0 ? 1 : d_m < 30000.0 ? 2 : 3;
}

static void
test_detection_distance_and_upwind(void **state)
{
    (void)state;
    const struct tl_sim *s = g_windy;
    const struct tl_mission *m = tl_sim_mission(s);
    size_t ns = tl_mission_station_count(m);
    size_t ne = tl_sim_event_count(s);
    /* Which (event, station) pairs have a blast pick. */
    unsigned char *hit = calloc(ne * ns, 1);
    assert_non_null(hit);
    for (size_t i = 0; i < tl_sim_pick_count(s); i++) {
        const struct tl_sim_pick *p = tl_sim_pick(s, i);
        if (p->event >= 0 && p->phase == TL_SIM_BLAST) {
            long k = tl_mission_find_station(m, p->pick.station);
            assert_true(k >= 0);
            hit[(size_t)p->event * ns + (size_t)k] = 1;
        }
    }
    struct det_bins all = {{0}, {0}};
    size_t up_n = 0, up_hit = 0, down_n = 0, down_hit = 0;
    for (size_t e = 0; e < ne; e++) {
        const struct tl_sim_event *ev = tl_sim_event(s, e);
        if (ev->cls != TL_SIM_IMPACT || ev->tnt_kg < 3.0) {
            continue; /* howitzer shells and rockets only: one class of source */
        }
        for (size_t k = 0; k < ns; k++) {
            const struct tl_station *st = tl_mission_station(m, k);
            double d, azi, azi2;
            tl_geo_inverse(ev->lat_deg, ev->lon_deg, st->lat_deg, st->lon_deg, &d, &azi, &azi2);
            if (tl_sim_station_down(s, k, ev->t_ns)) {
                continue;
            }
            int b = dist_bin(d);
            all.n[b]++;
            all.hit[b] += hit[e * ns + k];
            if (d > 4000.0 && d < 16000.0) {
                double mlat, mlon;
                tl_geo_direct(ev->lat_deg, ev->lon_deg, azi, d / 2.0, &mlat, &mlon);
                struct tl_sim_weather w;
                tl_sim_weather_at(s, mlat, mlon, ev->t_ns, &w);
                double along = tl_effective_speed_mps(w.temp_c, w.wind_mps, w.wind_from_deg, azi) -
                               tl_sound_speed_mps(w.temp_c);
                if (along > 3.0) {
                    down_n++;
                    down_hit += hit[e * ns + k];
                } else if (along < -3.0) {
                    up_n++;
                    up_hit += hit[e * ns + k];
                }
            }
        }
    }
    free(hit);
    double f[4];
    for (int b = 0; b < 4; b++) {
        assert_true(all.n[b] > 100);
        f[b] = (double)all.hit[b] / (double)all.n[b];
    }
    /* Detection falls with distance. */
    assert_true(f[0] > f[1] + 0.1 && f[1] > f[2] && f[2] >= f[3]);
    assert_true(f[0] > 0.5);
    /* and upwind (shadow zones): at 5-15 km, downwind paths are heard far more often. */
    assert_true(up_n >= 30 && down_n >= 100);
    double fu = (double)up_hit / (double)up_n, fd = (double)down_hit / (double)down_n;
    assert_true(fd > fu + 0.3);
}

/* -------------------------------------------------------- pick errors -- */

static void
test_pick_error_vs_snr(void **state)
{
    (void)state;
    const struct tl_sim *s = g_busy;
    /* SNR bins: 10-15, 15-25, 25-40, >= 40 dB. */
    double sum[4] = {0}, sum2[4] = {0}, sig[4] = {0};
    size_t n[4] = {0}, outl = 0, blast = 0;
    for (size_t i = 0; i < tl_sim_pick_count(s); i++) {
        const struct tl_sim_pick *p = tl_sim_pick(s, i);
        if (p->event < 0 || p->phase != TL_SIM_BLAST) {
            continue;
        }
        const struct tl_sim_event *e = tl_sim_event(s, (size_t)p->event);
        blast++;
        if (p->outlier) {
            outl++;
            /* late by 0.05-2 s, plus the ordinary error (at most 4 x 30 ms) */
            assert_true(p->err_s > 0.05 - 0.12 && p->err_s < 2.0 + 0.12);
            continue;
        }
        if (e->weapon == TL_WEAPON_MLRS_122 && e->cls == TL_SIM_LAUNCH) {
            continue; /* emergent onsets: their own statistics */
        }
        double snr = p->snr_true_db;
        int b = snr < 15.0 ? 0 : snr < 25.0 ? 1 : snr < 40.0 ? 2 : 3;
        sum[b] += p->err_s;
        sum2[b] += p->err_s * p->err_s;
        sig[b] += p->pick.sigma_s;
        n[b]++;
        /* The reported sigma is within the 1-30 ms the station's estimator gives. */
        assert_true(p->pick.sigma_s >= 0.0005 && p->pick.sigma_s < 0.07);
    }
    double sd[4];
    for (int b = 0; b < 4; b++) {
        assert_true(n[b] > 100);
        double m = sum[b] / (double)n[b];
        sd[b] = sqrt(sum2[b] / (double)n[b] - m * m);
        /* late bias: small and positive */
        assert_true(m > -0.002 && m < 0.012);
        /* the reported sigma tracks the actual spread within a factor of 1.6 */
        double rs = sig[b] / (double)n[b];
        assert_true(rs / sd[b] > 0.6 && rs / sd[b] < 1.6);
    }
    assert_true(sd[0] > sd[1] && sd[1] > sd[2] && sd[2] > sd[3]);
    assert_true(sd[0] > 0.010 && sd[0] < 0.030);
    assert_true(sd[3] > 0.0007 && sd[3] < 0.003);
    /* About 3% late outliers. */
    double fo = (double)outl / (double)blast;
    assert_true(fo > 0.02 && fo < 0.045);
}

/* -------------------------------------------- salvos and time of flight -- */

static void
test_salvos_and_tof(void **state)
{
    (void)state;
    struct tl_sim *s = make("busy", 5, 0.0, 24.0, true);
    size_t ne = tl_sim_event_count(s);
    const struct tl_sim_stats *st = tl_sim_stats(s);
    /* A heavy day: at least 10,000 events, salvos, both sides firing. */
    assert_true(ne >= 10000);
    size_t left = 0, right = 0, big_salvos = 0;
    long max_salvo = 0;
    for (size_t i = 0; i < ne; i++) {
        const struct tl_sim_event *e = tl_sim_event(s, i);
        if (e->cls == TL_SIM_LAUNCH) {
            left += e->side == TL_SIDE_LEFT;
            right += e->side == TL_SIDE_RIGHT;
        }
        max_salvo = e->salvo > max_salvo ? e->salvo : max_salvo;
    }
    assert_true(left > st->launches / 4 && right > st->launches / 4);
    /* Per salvo: one battery, one weapon, launches within the class's ripple time. */
    size_t ns = (size_t)max_salvo + 1;
    tl_time_ns *t0 = calloc(ns, sizeof(tl_time_ns)), *t1 = calloc(ns, sizeof(tl_time_ns));
    int *bat = calloc(ns, sizeof(int)), *wpn = calloc(ns, sizeof(int));
    size_t *cnt = calloc(ns, sizeof(size_t));
    assert_true(t0 && t1 && bat && wpn && cnt);
    double ratio_sum = 0.0;
    size_t ratio_n = 0;
    for (size_t i = 0; i < ne; i++) {
        const struct tl_sim_event *e = tl_sim_event(s, i);
        if (e->cls == TL_SIM_LAUNCH && e->pair >= 0) {
            const struct tl_sim_event *im = tl_sim_event(s, (size_t)e->pair);
            assert_int_equal(TL_SIM_IMPACT, im->cls);
            assert_int_equal((long)i, im->pair);
            assert_int_equal(e->salvo, im->salvo);
            assert_int_equal(e->weapon, im->weapon);
            /* The time of flight is the model's, spread within +-15%. */
            double tof = (double)(im->t_ns - e->t_ns) / 1e9, model;
            assert_int_equal(TL_OK, tl_tof_charge_s(e->weapon, (size_t)e->charge, e->range_m,
                                                    e->high_angle, &model, NULL));
            double ratio = tof / model;
            assert_true(ratio > 0.85 && ratio < 1.15);
            ratio_sum += ratio;
            ratio_n++;
            double lo, hi;
            assert_int_equal(TL_OK, tl_tof_bounds_s(e->weapon, e->range_m, &lo, &hi));
            assert_true(tof >= lo && tof <= hi);
            /* The range is the distance between the two ends. */
            double d = tl_geo_dist_m(e->lat_deg, e->lon_deg, im->lat_deg, im->lon_deg);
            assert_true(fabs(d - e->range_m) < 2.0);
        }
        if (e->cls != TL_SIM_LAUNCH || e->salvo < 0) {
            continue;
        }
        size_t k = (size_t)e->salvo;
        if (cnt[k] == 0) {
            t0[k] = e->t_ns;
            bat[k] = e->battery;
            wpn[k] = (int)e->weapon;
        }
        assert_int_equal(bat[k], e->battery);
        assert_int_equal(wpn[k], (int)e->weapon);
        t1[k] = e->t_ns;
        cnt[k]++;
    }
    assert_true(fabs(ratio_sum / (double)ratio_n - 1.0) < 0.02);
    for (size_t k = 1; k < ns; k++) {
        if (cnt[k] == 0) {
            continue;
        }
        double span = (double)(t1[k] - t0[k]) / 1e9;
        if (wpn[k] == TL_WEAPON_MLRS_122) {
            assert_true(cnt[k] <= 40);
            assert_true(span <= 0.5 * (double)(cnt[k] - 1) + 0.5);
            big_salvos += cnt[k] >= 30;
        } else {
            assert_true(cnt[k] >= 2 && cnt[k] <= 6);
            assert_true(span <= 3.0);
        }
    }
    assert_true(big_salvos >= 5);
    free(t0);
    free(t1);
    free(bat);
    free(wpn);
    free(cnt);
    tl_sim_free(s);
}

static void
test_preset_sizes(void **state)
{
    (void)state;
    static const struct {
        const char *preset;
        size_t lo, hi;
    } want[] = {
        {"calm", 30, 90}, {"windy", 600, 3000}, {"faulty", 600, 3000}, {"mirror", 600, 3000}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        for (uint64_t seed = 1; seed <= 3; seed++) {
            struct tl_sim *s = make(want[i].preset, seed, 0.0, 24.0, true);
            size_t n = tl_sim_event_count(s);
            assert_true(n >= want[i].lo && n <= want[i].hi);
            tl_sim_free(s);
        }
    }
    /* Class other: explosions with no launch. */
    struct tl_sim *s = make("windy", 2, 0.0, 24.0, true);
    const struct tl_sim_stats *st = tl_sim_stats(s);
    assert_true(st->others > 0 && st->launches > st->impacts);
    tl_sim_free(s);
}

/* -------------------------------------------------------------- shock -- */

static void
test_shock_cues(void **state)
{
    (void)state;
    const struct tl_sim *s = g_busy;
    size_t shocks = 0, false_shocks = 0;
    for (size_t i = 0; i < tl_sim_pick_count(s); i++) {
        const struct tl_sim_pick *p = tl_sim_pick(s, i);
        if (!p->pick.shock) {
            assert_true(p->phase != TL_SIM_SHOCK);
            continue;
        }
        assert_true(p->pick.dur_s < 0.02 && p->pick.freq_hz > 50.0);
        if (p->event < 0) {
            false_shocks++;
            continue;
        }
        shocks++;
        const struct tl_sim_event *e = tl_sim_event(s, (size_t)p->event);
        /* Of launches of supersonic projectiles, heard while the round is in flight. */
        assert_int_equal(TL_SIM_LAUNCH, e->cls);
        assert_true(tl_weapon_get(e->weapon)->supersonic);
        double after = (double)(p->true_t_ns - e->t_ns) / 1e9;
        assert_true(after > 0.0 && after < e->tof_s + 60.0);
        /* Not a spherical arrival from the gun: earlier than sound from it would be
         * for stations down-range. */
        const struct tl_mission *m = tl_sim_mission(s);
        const struct tl_station *st =
            tl_mission_station(m, (size_t)tl_mission_find_station(m, p->pick.station));
        double d = tl_geo_dist_m(e->lat_deg, e->lon_deg, st->lat_deg, st->lon_deg);
        assert_true(after < d / 300.0 + 1.0);
    }
    assert_true(shocks > 100);
    assert_true(false_shocks > 0);
}

/* ------------------------------------------------------- faults, met -- */

static void
test_faults_and_met(void **state)
{
    (void)state;
    struct tl_sim *s = make("faulty", 3, 6.0, 12.0, false);
    const struct tl_mission *m = tl_sim_mission(s);
    size_t ns = tl_mission_station_count(m);
    tl_time_ns t0 = TL_SIM_DEFAULT_START_NS + 6 * 3600 * TL_NS_PER_S;
    /* Clock faults shift what the station sends by the offset, nothing else. */
    size_t shifted = 0, down_picks = 0;
    for (size_t i = 0; i < tl_sim_pick_count(s); i++) {
        const struct tl_sim_pick *p = tl_sim_pick(s, i);
        size_t k = (size_t)tl_mission_find_station(m, p->pick.station);
        double off = tl_sim_clock_offset_s(s, k, p->true_t_ns);
        assert_true(p->clock_s == off);
        if (off != 0.0) {
            shifted++;
            assert_true(fabs(off) >= 0.3 && fabs(off) <= 2.5);
        }
        double seen = (double)(p->pick.t_ns - p->true_t_ns) / 1e9;
        assert_true(fabs(seen - off - p->err_s) < 2e-6);
        down_picks += tl_sim_station_down(s, k, p->true_t_ns);
    }
    assert_true(shifted > 10);
    assert_int_equal(0, down_picks);
    /* Records: every station's weather every 10 minutes unless down. */
    char dir[] = "/tmp/tl_test_simXXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(TL_OK, tl_sim_write(s, dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/records.jsonl", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char line[4096];
    size_t met = 0, status_down = 0, bad = 0, lines = 0, dups = 0;
    double max_dt = 0.0;
    tl_time_ns prev_t = 0;
    size_t back_in_time = 0;
    char prev[4096] = "";
    while (fgets(line, sizeof(line), f)) {
        lines++;
        struct tl_record r;
        if (tl_record_parse(line, strlen(line), m, &r, NULL) != TL_OK) {
            bad++;
            continue;
        }
        tl_time_ns t = tl_record_time(&r);
        back_in_time += t < prev_t;
        prev_t = t;
        if (r.type == TL_REC_MET) {
            met++;
            struct tl_sim_weather w;
            size_t k = (size_t)tl_mission_find_station(m, r.u.met.station);
            const struct tl_station *st = tl_mission_station(m, k);
            tl_sim_weather_at(s, st->lat_deg, st->lon_deg, t - 300 * TL_NS_PER_S, &w);
            max_dt = fmax(max_dt, fabs(r.u.met.temp_c - w.temp_c));
            assert_true(fabs(r.u.met.wind_mps - w.wind_mps) < 2.0 + 0.4 * w.wind_mps);
        } else if (r.type == TL_REC_STATUS) {
            status_down += r.u.status.state == TL_STATE_DOWN;
        }
        (void)prev;
    }
    fclose(f);
    assert_int_equal(0, bad);
    assert_true(max_dt < 2.0);
    assert_true(met > ns * 72 * 8 / 10 && met <= ns * 72 + ns * 72 / 20);
    assert_true(status_down >= 3);
    /* Late and out-of-order deliveries, and duplicates. */
    assert_true(back_in_time > 100);
    const struct tl_sim_stats *st = tl_sim_stats(s);
    dups = st->duplicates;
    assert_true(dups > (st->records - dups) / 100);
    assert_true(st->late > 10);
    assert_int_equal(lines, st->records);
    (void)t0;
    /* Truth: two clock faults and the outages. */
    snprintf(path, sizeof(path), "%s/truth.jsonl", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    size_t clocks = 0, outages = 0;
    while (fgets(line, sizeof(line), f)) {
        clocks += strstr(line, "\"fault\":\"clock_offset\"") != NULL;
        outages += strstr(line, "\"fault\":\"outage\"") != NULL;
    }
    fclose(f);
    assert_int_equal(2, clocks);
    assert_int_equal(6, outages);
    static const char *const names[] = {"records.jsonl", "truth.jsonl", "mission.geojson",
                                        "scenario.json"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        assert_int_equal(0, unlink(path));
    }
    assert_int_equal(0, rmdir(dir));
    tl_sim_free(s);
}

/* ------------------------------------------------------------- mirror -- */

static void
test_mirror(void **state)
{
    (void)state;
    struct tl_sim *s = make("mirror", 4, 18.0, 2.0, false);
    const struct tl_mission *m = tl_sim_mission(s);
    size_t nv;
    tl_mission_line(m, &nv);
    assert_int_equal(2, nv);
    assert_int_equal(tl_mission_station_count(g_mission), tl_mission_station_count(m));
    for (size_t i = 0; i < tl_mission_station_count(m); i++) {
        const struct tl_station *st = tl_mission_station(m, i);
        assert_int_equal(0, st->n_elements);
        assert_true(st->dist_to_line_m < 1.0);
    }
    size_t n = 0;
    for (size_t i = 0; i < tl_sim_pick_count(s); i++) {
        assert_true(isnan(tl_sim_pick(s, i)->pick.baz_deg));
        n++;
    }
    assert_true(n > 100);
    /* Events on both sides of the straight line. */
    size_t left = 0, right = 0;
    for (size_t i = 0; i < tl_sim_event_count(s); i++) {
        left += tl_sim_event(s, i)->side == TL_SIDE_LEFT;
        right += tl_sim_event(s, i)->side == TL_SIDE_RIGHT;
    }
    assert_true(left > 10 && right > 10);
    tl_sim_free(s);
}

/* -------------------------------------------------------- determinism -- */

static char *
slurp(const char *dir, const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal((size_t)n, fread(b, 1, (size_t)n, f));
    fclose(f);
    unlink(path);
    *len = (size_t)n;
    return b;
}

static void
test_determinism(void **state)
{
    (void)state;
    char d[3][32] = {"/tmp/tl_test_detAXXXXXX", "/tmp/tl_test_detBXXXXXX",
                     "/tmp/tl_test_detCXXXXXX"};
    for (int k = 0; k < 3; k++) {
        assert_non_null(mkdtemp(d[k]));
        struct tl_sim *s = make("faulty", k == 2 ? 8 : 7, 4.0, 2.0, false);
        assert_int_equal(TL_OK, tl_sim_write(s, d[k]));
        tl_sim_free(s);
    }
    static const char *const names[] = {"records.jsonl", "truth.jsonl", "mission.geojson",
                                        "scenario.json"};
    for (size_t i = 0; i < 4; i++) {
        size_t la, lb, lc;
        char *a = slurp(d[0], names[i], &la);
        char *b = slurp(d[1], names[i], &lb);
        char *c = slurp(d[2], names[i], &lc);
        assert_true(la > 0);
        assert_true(la == lb && memcmp(a, b, la) == 0);
        if (i < 2) {
            assert_true(la != lc || memcmp(a, c, la) != 0); /* another seed, another day */
        }
        free(a);
        free(b);
        free(c);
    }
    for (int k = 0; k < 3; k++) {
        assert_int_equal(0, rmdir(d[k]));
    }
}

static void
test_config_errors(void **state)
{
    (void)state;
    struct tl_sim *s = (struct tl_sim *)0x1;
    struct tl_sim_config c = {"stormy", 1, TL_SIM_DEFAULT_START_NS, 24.0, true};
    assert_int_equal(TL_EINVAL, tl_sim_generate(g_mission, &c, &s));
    c.preset = "calm";
    c.hours = 0.0;
    assert_int_equal(TL_EINVAL, tl_sim_generate(g_mission, &c, &s));
    c.hours = 200.0;
    assert_int_equal(TL_EINVAL, tl_sim_generate(g_mission, &c, &s));
    assert_int_equal(TL_EINVAL, tl_sim_generate(NULL, &c, &s));
    assert_true(s == (struct tl_sim *)0x1); /* untouched on failure */
    tl_sim_free(NULL);
    const char *const *p = tl_sim_presets();
    size_t n = 0;
    while (p[n]) {
        n++;
    }
    assert_int_equal(5, n);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_travel_time_statistics),
        cmocka_unit_test(test_detection_distance_and_upwind),
        cmocka_unit_test(test_pick_error_vs_snr),
        cmocka_unit_test(test_salvos_and_tof),
        cmocka_unit_test(test_preset_sizes),
        cmocka_unit_test(test_shock_cues),
        cmocka_unit_test(test_faults_and_met),
        cmocka_unit_test(test_mirror),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
