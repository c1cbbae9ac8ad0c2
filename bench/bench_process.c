/*
 * bench_process.c - speed and accuracy of the network processing (issue 4).
 *
 *   accuracy: each preset (seed 1, 24 h, demo mission) simulated, processed and evaluated
 *             against its ground truth: the figures of formats.md section 5;
 *   speed:    the busy day at 1x, 2x and 4x its load (2 and 4 independent busy days of
 *             other seeds laid over the same day, their pick ids made unique), each run in
 *             a fresh process (this program run again, --load-run) so that its peak RSS is
 *             its own: wall and CPU time of the run, picks/s, peak RSS.  (A forked child
 *             would start with the parent's resident pages, the simulated days', as its own
 *             high-water mark.)
 *
 * One seed can mislead: a change anywhere in association moves a day's figures by a point or
 * two whichever way (the tiles' learnt corrections and the picks' owners change from the
 * first event that differs).  --seeds N runs seeds 1..N of each preset and prints, after
 * each preset's days, the mean and the range over them.
 *
 * Usage: bench_process [--quick] [--seeds N] [--presets a,b,...] [--no-load]
 *   --quick: calm and a 2-hour busy slice only, and load scaling on 2-hour slices
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <truceline/truceline.h>
#include <truceline/sim.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Simulate preset/seed into dir (records.jsonl, truth.jsonl, mission.geojson). */
static int
simulate(const struct tl_mission *m, const char *preset, uint64_t seed, double hours,
         const char *dir)
{
    struct tl_sim_config sp = {.preset = preset, .seed = seed, .start_ns = TL_SIM_DEFAULT_START_NS,
                               .hours = hours};
    struct tl_sim *s = NULL;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        return TL_EIO;
    }
    int rc = tl_sim_generate(m, &sp, &s);
    if (rc == TL_OK) {
        rc = tl_sim_write(s, dir);
    }
    tl_sim_free(s);
    return rc;
}

/* Feed a records file, renaming pick ids with `suffix` (to lay several days over one). */
static long
feed(struct tl_pipeline *p, const struct tl_mission *m, const char *path, const char *suffix)
{
    struct tl_jsonl *r = NULL;
    if (tl_jsonl_open(path, 0, &r, NULL) != TL_OK) {
        return -1;
    }
    const char *line;
    size_t len;
    long picks = 0;
    while (tl_jsonl_next(r, &line, &len, NULL) == 1) {
        struct tl_record rec;
        if (tl_record_parse(line, len, m, &rec, NULL) != TL_OK) {
            continue;
        }
        if (rec.type == TL_REC_PICK) {
            picks++;
            if (suffix[0]) {
                size_t n = strlen(rec.u.pick.id);
                snprintf(rec.u.pick.id + n, sizeof(rec.u.pick.id) - n, "%s", suffix);
            }
        } else if (suffix[0]) {
            continue; /* met and status of the first day only */
        }
        tl_pipeline_add(p, &rec);
    }
    tl_jsonl_free(r);
    return picks;
}

/* Simulate, process and evaluate `hours` of preset and seed; prints the figures and leaves
 * them in *e.  Returns false if any step failed. */
static bool
accuracy(const char *preset, uint64_t seed, double hours, const char *base, struct tl_eval *e)
{
    char dir[512], path[600], bul[600];
    snprintf(dir, sizeof(dir), "%s/%s-%llu", base, preset, (unsigned long long)seed);
    struct tl_mission *demo = NULL;
    if (tl_mission_load(TL_SOURCE_DIR "/examples/demo/mission.geojson", &demo, NULL) != TL_OK ||
        simulate(demo, preset, seed, hours, dir) != TL_OK) {
        printf("%-8s seed %llu: simulation failed\n", preset, (unsigned long long)seed);
        tl_mission_free(demo);
        return false;
    }
    tl_mission_free(demo);
    struct tl_mission *m = NULL;
    snprintf(path, sizeof(path), "%s/mission.geojson", dir);
    tl_mission_load(path, &m, NULL);
    struct tl_pipeline *p = NULL;
    tl_pipeline_new(m, NULL, &p);
    snprintf(path, sizeof(path), "%s/records.jsonl", dir);
    double t0 = now_s();
    tl_pipeline_add_file(p, path, false, NULL, NULL);
    tl_pipeline_run(p, INT64_MAX);
    double dt = now_s() - t0;
    struct tl_bulletin b;
    tl_pipeline_bulletin(p, &b);
    snprintf(bul, sizeof(bul), "%s/bulletin.geojson", dir);
    tl_bulletin_write(&b, bul, NULL);
    snprintf(path, sizeof(path), "%s/truth.jsonl", dir);
    bool ok = tl_eval_files(path, bul, e, NULL) == TL_OK;
    if (ok) {
        printf("%-8s seed %llu %5.1f h  recall %5.1f%%  precision %5.1f%%  impact median %6.1f m  "
               "launch median %6.1f m p90 %6.1f m  ellipse %5.1f%%  pairs %5.1f%% / %5.1f%%  "
               "wrong confident %ld/%ld  %.1f s\n",
               preset, (unsigned long long)seed, hours, 100 * e->all.recall,
               100 * e->all.precision, e->loc_median_m[1], e->loc_median_m[0], e->loc_p90_m[0],
               100 * e->ellipse_coverage, 100 * e->pairs_recall, 100 * e->pairs_precision,
               e->attr_wrong_confident, e->confident, dt);
        printf("         mixtures %5.1f%% of matched events: pure median %6.1f m, ellipse %5.1f%%; "
               "mixed median %6.1f m, ellipse %5.1f%%\n",
               e->mix_events ? 100.0 * (double)e->mix_n[1] / (double)e->mix_events : 0.0,
               e->mix_loc_median_m[0], 100 * e->mix_coverage[0], e->mix_loc_median_m[1],
               100 * e->mix_coverage[1]);
    }
    tl_pipeline_free(p);
    tl_mission_free(m);
    return ok;
}

/* One figure over seeds: mean, least and greatest. */
struct spread {
    double sum, lo, hi;
    int n;
};

static void
spread_add(struct spread *s, double v)
{
    s->lo = s->n == 0 || v < s->lo ? v : s->lo;
    s->hi = s->n == 0 || v > s->hi ? v : s->hi;
    s->sum += v;
    s->n++;
}

static void
spread_print(const char *name, const struct spread *s, double scale, const char *unit)
{
    printf("  %s %.1f%s (%.1f-%.1f)", name, scale * s->sum / s->n, unit, scale * s->lo,
           scale * s->hi);
}

/* Every seed of one preset, then the mean and range of its main figures. */
static void
preset_over_seeds(const char *preset, double hours, int seeds, const char *base)
{
    struct spread rec = {0}, prec = {0}, imp = {0}, p90 = {0}, cov = {0}, pairs = {0};
    for (int k = 1; k <= seeds; k++) {
        struct tl_eval e;
        if (!accuracy(preset, (uint64_t)k, hours, base, &e)) {
            continue;
        }
        spread_add(&rec, e.all.recall);
        spread_add(&prec, e.all.precision);
        spread_add(&imp, e.loc_median_m[1]);
        spread_add(&p90, e.loc_p90_m[0]);
        spread_add(&cov, e.ellipse_coverage);
        spread_add(&pairs, e.pairs_precision);
    }
    if (seeds < 2 || rec.n < 2) {
        return;
    }
    printf("%-8s %d seeds, mean (range):", preset, rec.n);
    spread_print("recall", &rec, 100, "%");
    spread_print("precision", &prec, 100, "%");
    spread_print("impact median", &imp, 1, " m");
    spread_print("launch p90", &p90, 1, " m");
    spread_print("ellipse", &cov, 100, "%");
    spread_print("pairs precision", &pairs, 100, "%");
    printf("\n");
}

/* Is preset named in the comma-separated list (NULL: every preset)? */
static bool
listed(const char *list, const char *preset)
{
    if (!list) {
        return true;
    }
    size_t n = strlen(preset);
    for (const char *q = list; q; q = strchr(q, ',')) {
        q += *q == ',';
        if (strncmp(q, preset, n) == 0 && (q[n] == ',' || q[n] == '\0')) {
            return true;
        }
    }
    return false;
}

/* CPU time (user and system, all threads) this process has used so far, in seconds. */
static double
cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* Peak resident set of this process image in MB (VmHWM; after an exec, the new image's
 * alone), or getrusage's figure where /proc is missing. */
static double
peak_rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
        }
    }
    if (f) {
        fclose(f);
    }
    if (kb < 0) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        kb = ru.ru_maxrss;
    }
    return (double)kb / 1024.0;
}

/* The load case of k busy days laid over one (--load-run k base): feed, run, print. */
static int
load_case(int k, const char *base)
{
    struct tl_mission *m = NULL;
    char path[600];
    snprintf(path, sizeof(path), "%s/load1/mission.geojson", base);
    if (tl_mission_load(path, &m, NULL) != TL_OK) {
        return 1;
    }
    struct tl_pipeline *p = NULL;
    tl_pipeline_new(m, NULL, &p);
    long picks = 0;
    for (int i = 1; i <= k; i++) {
        char suffix[8] = "";
        if (i > 1) {
            snprintf(suffix, sizeof(suffix), ".s%d", i);
        }
        snprintf(path, sizeof(path), "%s/load%d/records.jsonl", base, i);
        picks += feed(p, m, path, suffix);
    }
    double t0 = now_s(), c0 = cpu_s();
    int rc = tl_pipeline_run(p, INT64_MAX);
    double dt = now_s() - t0, dc = cpu_s() - c0;
    size_t ne;
    tl_pipeline_events(p, &ne);
    printf("busy x%d: %ld picks, %zu events, %.1f s wall, %.1f s CPU, %.0f picks/s, "
           "peak RSS %.0f MB%s\n",
           k, picks, ne, dt, dc, (double)picks / dt, peak_rss_mb(), rc == TL_OK ? "" : " (failed)");
    fflush(stdout);
    tl_pipeline_free(p);
    tl_mission_free(m);
    return rc == TL_OK ? 0 : 1;
}

static void
load_run(int k, const char *base)
{
    fflush(stdout); /* or the child prints what is still buffered again (stdout a pipe) */
    pid_t pid = fork();
    if (pid == 0) {
        char ks[16];
        snprintf(ks, sizeof(ks), "%d", k);
        execl("/proc/self/exe", "bench_process", "--load-run", ks, base, (char *)NULL);
        _exit(127);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        printf("busy x%d: failed\n", k);
    }
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(path);
}

int
main(int argc, char **argv)
{
    bool quick = false, load = true;
    int seeds = 1;
    const char *list = NULL;
    if (argc == 4 && strcmp(argv[1], "--load-run") == 0) {
        return load_case((int)strtol(argv[2], NULL, 10), argv[3]);
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (strcmp(argv[i], "--no-load") == 0) {
            load = false;
        } else if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 1 || n > 100) {
                fprintf(stderr, "bench_process: --seeds: a count from 1 to 100\n");
                return 2;
            }
            seeds = (int)n;
        } else if (strcmp(argv[i], "--presets") == 0 && i + 1 < argc) {
            list = argv[++i];
        } else {
            fprintf(stderr, "usage: bench_process [--quick] [--seeds N] [--presets a,b,...] "
                            "[--no-load]\n");
            return 2;
        }
    }
    char base[] = "/tmp/tl_bench_process_XXXXXX";
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    if (seeds > 1) {
        printf("network processing, demo mission, seeds 1-%d (evaluation per formats.md "
               "section 5)\n",
               seeds);
    } else {
        printf("network processing, demo mission, seed 1 (evaluation per formats.md section 5)\n");
    }
    static const char *const presets[] = {"calm", "busy", "windy", "faulty", "mirror"};
    for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
        if ((quick && strcmp(presets[i], "calm") != 0 && strcmp(presets[i], "busy") != 0) ||
            !listed(list, presets[i])) {
            continue;
        }
        preset_over_seeds(presets[i], quick && strcmp(presets[i], "busy") == 0 ? 2.0 : 24.0,
                          seeds, base);
    }
    if (!load) {
        nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
    }
    /* load scaling: busy days of seeds 1..4 laid over one day */
    struct tl_mission *demo = NULL;
    tl_mission_load(TL_SOURCE_DIR "/examples/demo/mission.geojson", &demo, NULL);
    int max_k = quick ? 2 : 4;
    for (int i = 1; i <= max_k; i++) {
        char dir[600];
        snprintf(dir, sizeof(dir), "%s/load%d", base, i);
        simulate(demo, "busy", (uint64_t)i, quick ? 2.0 : 24.0, dir);
    }
    tl_mission_free(demo);
    printf("load scaling (busy %s), 2 cores:\n", quick ? "2 h slice" : "day");
    for (int k = 1; k <= max_k; k *= 2) {
        load_run(k, base);
    }
    nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
