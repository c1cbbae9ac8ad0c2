/*
 * bench_sim.c - how long the simulator takes for a day of each preset on the
 * demo mission (generation and writing, one core), and what it produces:
 * events, the share heard by five stations or more, picks, records, file
 * sizes, and the pick-error statistics.  The busy day must take <= 10 s.
 */
#include <truceline/truceline.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long
file_size(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    struct stat st;
    long n = stat(path, &st) == 0 ? (long)st.st_size : -1;
    unlink(path);
    return n;
}

int
main(void)
{
    struct tl_mission *m = NULL;
    if (tl_mission_load(TL_SOURCE_DIR "/examples/demo/mission.geojson", &m, NULL) != TL_OK) {
        fprintf(stderr, "bench_sim: cannot load the demo mission\n");
        return 1;
    }
    char dir[] = "/tmp/tl_bench_simXXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    printf("%-7s %8s %8s %7s %9s %8s %9s %8s %8s %10s\n", "preset", "gen_s", "write_s", "events",
           "heard>=5", "picks", "false", "shock", "records", "records_MB");
    const char *const *presets = tl_sim_presets();
    int rc = 0;
    for (size_t i = 0; presets[i]; i++) {
        struct tl_sim_config cfg = {presets[i], 1, TL_SIM_DEFAULT_START_NS, 24.0, false};
        struct tl_sim *s = NULL;
        double t0 = now_s();
        if (tl_sim_generate(m, &cfg, &s) != TL_OK) {
            fprintf(stderr, "bench_sim: %s failed\n", presets[i]);
            rc = 1;
            continue;
        }
        double t1 = now_s();
        if (tl_sim_write(s, dir) != TL_OK) {
            fprintf(stderr, "bench_sim: writing %s failed\n", presets[i]);
            rc = 1;
        }
        double t2 = now_s();
        const struct tl_sim_stats *st = tl_sim_stats(s);
        long rec = file_size(dir, "records.jsonl");
        file_size(dir, "truth.jsonl");
        file_size(dir, "mission.geojson");
        file_size(dir, "scenario.json");
        printf("%-7s %8.2f %8.2f %7zu %8.1f%% %8zu %9zu %8zu %8zu %10.1f\n", presets[i], t1 - t0,
               t2 - t1, st->events, 100.0 * (double)st->heard5 / (double)(st->events ? st->events : 1),
               st->picks, st->false_picks, st->shock_picks, st->records, (double)rec / 1e6);
        if (i == 1) {
            /* Pick errors of the busy day, by SNR. */
            static const double edges[] = {10, 15, 20, 30, 45, 200};
            for (int b = 0; b < 5; b++) {
                double s1 = 0, s2 = 0;
                size_t n = 0, out = 0, all = 0;
                for (size_t k = 0; k < tl_sim_pick_count(s); k++) {
                    const struct tl_sim_pick *p = tl_sim_pick(s, k);
                    if (p->event < 0 || p->phase != TL_SIM_BLAST || p->snr_true_db < edges[b] ||
                        p->snr_true_db >= edges[b + 1]) {
                        continue;
                    }
                    all++;
                    if (p->outlier) {
                        out++;
                        continue;
                    }
                    s1 += p->err_s;
                    s2 += p->err_s * p->err_s;
                    n++;
                }
                double mean = n ? s1 / (double)n : 0.0;
                double sd = n ? sqrt(s2 / (double)n - mean * mean) : 0.0;
                printf("  busy picks, SNR %3.0f-%3.0f dB: %6zu, error mean %5.1f ms, sd %5.1f ms, "
                       "late outliers %.1f%%\n",
                       edges[b], edges[b + 1], all, mean * 1e3, sd * 1e3,
                       all ? 100.0 * (double)out / (double)all : 0.0);
            }
            if (t2 - t0 > 10.0) {
                printf("  busy day took %.1f s: over the 10 s target\n", t2 - t0);
            }
        }
        tl_sim_free(s);
    }
    rmdir(dir);
    tl_mission_free(m);
    return rc;
}
