/*
 * bench_tlog.c - how fast the transparency log is, on this machine, with fsync.
 *
 * 1. Group commit: 32 threads append single 256-byte entries as fast as they
 *    can (each call returns only once its entry is durable), while a
 *    checkpointer signs and publishes a checkpoint every 250 ms, as the server
 *    will.  Prints appends/s, the append call latency, and the latency from
 *    the start of an append to the publication of a checkpoint that covers it.
 *    Then the same with three witnesses (`truceline log witness serve`, over
 *    HTTP on 127.0.0.1) and a 2-of-3 quorum: every checkpoint is cosigned
 *    before it is published.
 * 2. Batched: 2 threads append batches of 1,000 entries.
 * 3. Proofs on the resulting tree: inclusion and consistency proof generation
 *    from the tiles, and a complete tlog-proof file.
 * 4. A witness cosigning successive checkpoints (consistency check, signature,
 *    durable state write), without HTTP.
 * Every commit fdatasyncs each file it writes and fsyncs each directory.
 * TL_BENCH_SECONDS sets the length of phases 1 and 2 (default 5 s each);
 * TL_BENCH_DIR the folder (default /tmp, on the same disk as the build here).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <truceline/tlog.h>

#define THREADS      32
#define SAMPLE_EVERY 50
#define ENTRY_BYTES  256
#define CP_PERIOD_MS 250

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
pct(double *v, size_t n, double p)
{
    if (n == 0) {
        return 0;
    }
    qsort(v, n, sizeof(*v), cmp_double);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(path);
}

static void
make_entry(char *buf, uint64_t k)
{
    int n = snprintf(buf, ENTRY_BYTES,
                     "{\"kind\":\"finding\",\"id\":\"F%012" PRIu64 "\",\"launch\":\"E1\","
                     "\"impact\":\"E2\",\"fired_from\":\"left\",\"confidence\":0.97,",
                     k);
    memset(buf + n, 'x', ENTRY_BYTES - (size_t)n);
}

struct sample {
    double t_start;
    uint64_t index;
};

struct worker {
    struct tl_tlog *log;
    double until;
    uint64_t n;
    struct sample *samples;
    size_t n_samples, cap;
    double *call_s;
    size_t n_call;
};

static atomic_bool stop_cp;

struct cp_rec {
    double t;
    uint64_t size;
};

struct checkpointer {
    struct tl_tlog *log;
    struct cp_rec *recs;
    size_t n, cap;
    int failures;
};

static void *
cp_thread(void *p)
{
    struct checkpointer *c = p;
    while (!atomic_load(&stop_cp)) {
        double t0 = now_s();
        uint64_t size;
        tl_tlog_tree(c->log, &size, NULL);
        if (tl_tlog_checkpoint(c->log, NULL, NULL) == TL_OK) {
            if (c->n == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 256;
                c->recs = realloc(c->recs, c->cap * sizeof(*c->recs));
            }
            /* The published checkpoint covers at least `size` (read before signing). */
            c->recs[c->n].t = now_s();
            c->recs[c->n].size = size;
            c->n++;
        } else {
            c->failures++;
        }
        double left = CP_PERIOD_MS / 1000.0 - (now_s() - t0);
        if (left > 0) {
            struct timespec ts = {0, (long)(left * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

static void *
single_appender(void *p)
{
    struct worker *w = p;
    char e[ENTRY_BYTES];
    while (now_s() < w->until) {
        make_entry(e, w->n);
        double t0 = now_s();
        uint64_t idx;
        if (tl_tlog_append(w->log, e, sizeof(e), &idx) != TL_OK) {
            fprintf(stderr, "append failed: %s\n", tl_tlog_errmsg(w->log));
            exit(1);
        }
        double t1 = now_s();
        if (w->n % SAMPLE_EVERY == 0) {
            if (w->n_samples == w->cap) {
                w->cap = w->cap ? w->cap * 2 : 1024;
                w->samples = realloc(w->samples, w->cap * sizeof(*w->samples));
                w->call_s = realloc(w->call_s, w->cap * sizeof(*w->call_s));
            }
            w->samples[w->n_samples].t_start = t0;
            w->samples[w->n_samples].index = idx;
            w->n_samples++;
            w->call_s[w->n_call++] = t1 - t0;
        }
        w->n++;
    }
    return NULL;
}

static void *
batch_appender(void *p)
{
    struct worker *w = p;

    enum { BATCH = 1000 };

    static _Thread_local char bufs[BATCH][ENTRY_BYTES];
    const void *ptr[BATCH];
    size_t lens[BATCH];
    while (now_s() < w->until) {
        for (int i = 0; i < BATCH; i++) {
            make_entry(bufs[i], w->n + (uint64_t)i);
            ptr[i] = bufs[i];
            lens[i] = ENTRY_BYTES;
        }
        uint64_t first;
        if (tl_tlog_append_batch(w->log, ptr, lens, BATCH, &first) != TL_OK) {
            fprintf(stderr, "append failed: %s\n", tl_tlog_errmsg(w->log));
            exit(1);
        }
        w->n += BATCH;
    }
    return NULL;
}

/* Phase 1: THREADS single-entry appenders and a checkpointer for `secs`. */
static void
group_commit(struct tl_tlog *log, double secs, const char *label)
{
    struct worker ws[THREADS];
    pthread_t th[THREADS], cpt;
    struct checkpointer cp = {.log = log};
    memset(ws, 0, sizeof(ws));
    atomic_store(&stop_cp, false);
    double t0 = now_s();
    pthread_create(&cpt, NULL, cp_thread, &cp);
    for (int i = 0; i < THREADS; i++) {
        ws[i].log = log;
        ws[i].until = t0 + secs;
        ws[i].n = (uint64_t)i << 40;
        pthread_create(&th[i], NULL, single_appender, &ws[i]);
    }
    uint64_t total = 0;
    size_t ns = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        total += ws[i].n - ((uint64_t)i << 40);
        ns += ws[i].n_samples;
    }
    double el = now_s() - t0;
    /* Let the checkpointer cover the last appends, then stop it. */
    struct timespec pause = {0, (CP_PERIOD_MS + 300) * 1000000L};
    nanosleep(&pause, NULL);
    atomic_store(&stop_cp, true);
    pthread_join(cpt, NULL);
    double *lat = malloc((ns + 1) * sizeof(double)), *call = malloc((ns + 1) * sizeof(double));
    size_t nl = 0, nc = 0, uncovered = 0;
    for (int i = 0; i < THREADS; i++) {
        for (size_t k = 0; k < ws[i].n_samples; k++) {
            call[nc++] = ws[i].call_s[k];
            size_t c = 0;
            while (c < cp.n && !(cp.recs[c].size > ws[i].samples[k].index &&
                                 cp.recs[c].t > ws[i].samples[k].t_start)) {
                c++;
            }
            if (c < cp.n) {
                lat[nl++] = cp.recs[c].t - ws[i].samples[k].t_start;
            } else {
                uncovered++;
            }
        }
    }
    printf("\n%s\n", label);
    printf("    appends/s (durable)            %.0f  (%" PRIu64 " in %.1f s)\n", (double)total / el,
           total, el);
    printf("    append call latency            p50 %.2f ms  p99 %.2f ms\n",
           pct(call, nc, 0.5) * 1e3, pct(call, nc, 0.99) * 1e3);
    printf("    append -> published checkpoint p50 %.0f ms  p99 %.0f ms  max %.0f ms\n",
           pct(lat, nl, 0.5) * 1e3, pct(lat, nl, 0.99) * 1e3, pct(lat, nl, 1.0) * 1e3);
    printf("    (%zu sampled appends, %zu never covered; %zu checkpoints published, %d failed)\n",
           nl, uncovered, cp.n, cp.failures);
    free(lat);
    free(call);
    for (int i = 0; i < THREADS; i++) {
        free(ws[i].samples);
        free(ws[i].call_s);
    }
    free(cp.recs);
}

/* Start `truceline log witness serve` (next to this program's folder); its URL into url. */
static pid_t
start_witness(const char *tool, const char *wdir, char *url, size_t size)
{
    int p[2];
    if (pipe(p) != 0) {
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        execl(tool, tool, "log", "witness", "serve", "--dir", wdir, "--listen", "127.0.0.1:0",
              (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char buf[256];
    ssize_t n = read(p[0], buf, sizeof(buf) - 1);
    close(p[0]);
    if (n <= 0 || strncmp(buf, "listening on ", 13) != 0) {
        return -1;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    snprintf(url, size, "%s", buf + 13);
    return pid;
}

int
main(void)
{
    const char *env = getenv("TL_BENCH_SECONDS");
    double secs = env ? strtod(env, NULL) : 5.0;
    const char *base = getenv("TL_BENCH_DIR") ? getenv("TL_BENCH_DIR") : "/tmp";
    char dir[512], wdir[512];
    snprintf(dir, sizeof(dir), "%s/tl_bench_log_%d", base, (int)getpid());
    snprintf(wdir, sizeof(wdir), "%s/tl_bench_witness_%d", base, (int)getpid());
    struct tl_tlog *log = NULL;
    struct tl_diag d = {0};
    if (tl_tlog_create(dir, "log.truceline.example/bench", NULL, &log, &d) != TL_OK) {
        fprintf(stderr, "create: %s\n", d.text);
        return 1;
    }
    printf("transparency log benchmark: %d-byte entries, fsync on every commit, dir %s\n",
           ENTRY_BYTES, dir);

    group_commit(log, secs,
                 "[1] 32 threads, single-entry appends (group commit), checkpoint every 250 ms");

    /* 1b. The same with three witnesses over HTTP on this machine, quorum 2 of 3. */
    char tool[1024], exe[1024];
    ssize_t el_n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[el_n > 0 ? el_n : 0] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
        *slash = '\0';
    }
    snprintf(tool, sizeof(tool), "%s/../truceline", exe);
    if (access(tool, X_OK) == 0) {
        char wlog[600], policy[4096];
        pid_t pids[3];
        size_t po = 0;
        snprintf(wlog, sizeof(wlog), "%s.w", dir);
        struct tl_tlog *l2 = NULL;
        tl_tlog_create(wlog, "log.truceline.example/bench-w", NULL, &l2, &d);
        const char *vk2 = tl_tlog_vkey(l2);
        po += (size_t)snprintf(policy + po, sizeof(policy) - po, "log %s\n", vk2);
        static const char *const cc[] = {"AT", "IE", "CH"};
        for (int i = 0; i < 3; i++) {
            char wd[700], name[64], url[256];
            struct tl_witness *w = NULL;
            snprintf(wd, sizeof(wd), "%s.%s", wdir, cc[i]);
            snprintf(name, sizeof(name), "witness.%s.truceline.example", cc[i]);
            if (tl_witness_create(wd, name, &vk2, 1, &w, &d) != TL_OK) {
                return 1;
            }
            po += (size_t)snprintf(policy + po, sizeof(policy) - po, "witness %s %s ", cc[i],
                                   tl_witness_vkey(w));
            tl_witness_free(w);
            pids[i] = start_witness(tool, wd, url, sizeof(url));
            po += (size_t)snprintf(policy + po, sizeof(policy) - po, "%s\n", url);
        }
        snprintf(policy + po, sizeof(policy) - po, "group g 2 AT IE CH\nquorum g\n");
        tl_tlog_free(l2);
        char pp[700];
        snprintf(pp, sizeof(pp), "%s/policy", wlog);
        FILE *pf = fopen(pp, "w");
        fputs(policy, pf);
        fclose(pf);
        tl_tlog_open(wlog, &l2, &d);
        group_commit(l2, secs, "[1b] the same, 3 witnesses over HTTP on 127.0.0.1, quorum 2 of 3");
        tl_tlog_free(l2);
        for (int i = 0; i < 3; i++) {
            char wd[700];
            kill(pids[i], SIGTERM);
            waitpid(pids[i], NULL, 0);
            snprintf(wd, sizeof(wd), "%s.%s", wdir, cc[i]);
            nftw(wd, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        }
        nftw(wlog, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    } else {
        printf("\n[1b] skipped: %s not built\n", tool);
    }

    /* 2. Batched appends. */
    struct worker bw[2];
    pthread_t th[2];
    memset(bw, 0, sizeof(bw));
    double t0 = now_s();
    for (int i = 0; i < 2; i++) {
        bw[i].log = log;
        bw[i].until = t0 + secs;
        pthread_create(&th[i], NULL, batch_appender, &bw[i]);
    }
    uint64_t btotal = 0;
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        btotal += bw[i].n;
    }
    double el = now_s() - t0;
    printf("\n[2] 2 threads, batches of 1000 entries\n");
    printf("    appends/s (durable)          %.0f  (%" PRIu64 " in %.1f s)\n", (double)btotal / el,
           btotal, el);

    /* 3. Proofs. */
    uint64_t size;
    tl_tlog_tree(log, &size, NULL);
    char *note = NULL;
    tl_tlog_checkpoint(log, &note, NULL);
    tl_free(note);

    enum { NP = 2000 };

    double *pt = malloc(NP * sizeof(double));
    uint8_t proof[TL_TLOG_PROOF_MAX][TL_HASH_SIZE];
    size_t n;
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < NP; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double a = now_s();
        if (tl_tlog_inclusion_proof(log, x % size, size, proof, &n) != TL_OK) {
            return 1;
        }
        pt[i] = now_s() - a;
    }
    printf("\n[3] proofs in a tree of %" PRIu64 " entries (read from tiles)\n", size);
    printf("    inclusion proof              p50 %.1f us  p99 %.1f us\n", pct(pt, NP, 0.5) * 1e6,
           pct(pt, NP, 0.99) * 1e6);
    for (int i = 0; i < NP; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double a = now_s();
        if (tl_tlog_consistency_proof(log, x % size + 1, size, proof, &n) != TL_OK) {
            return 1;
        }
        pt[i] = now_s() - a;
    }
    printf("    consistency proof            p50 %.1f us  p99 %.1f us\n", pct(pt, NP, 0.5) * 1e6,
           pct(pt, NP, 0.99) * 1e6);
    for (int i = 0; i < NP; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        char *pf = NULL;
        double a = now_s();
        if (tl_tlog_proof_file(log, x % size, &pf) != TL_OK) {
            return 1;
        }
        pt[i] = now_s() - a;
        tl_free(pf);
    }
    printf("    tlog-proof file (+checkpoint) p50 %.1f us  p99 %.1f us\n", pct(pt, NP, 0.5) * 1e6,
           pct(pt, NP, 0.99) * 1e6);

    /* 4. A witness cosigning successive checkpoints. */
    const char *vk = tl_tlog_vkey(log);
    struct tl_witness *w = NULL;
    if (tl_witness_create(wdir, "witness.AT.truceline.example", &vk, 1, &w, &d) != TL_OK) {
        fprintf(stderr, "witness: %s\n", d.text);
        return 1;
    }

    enum { NW = 200 };

    uint64_t old = 0;
    char e[ENTRY_BYTES];
    for (int i = 0; i < NW; i++) {
        uint64_t idx;
        make_entry(e, (uint64_t)i);
        tl_tlog_append(log, e, sizeof(e), &idx);
        char *cpn = NULL;
        tl_tlog_checkpoint(log, &cpn, NULL);
        uint64_t sz;
        tl_tlog_tree(log, &sz, NULL);
        char req[8192];
        int o = snprintf(req, sizeof(req), "old %" PRIu64 "\n", old);
        if (old > 0) {
            tl_tlog_consistency_proof(log, old, sz, proof, &n);
            for (size_t k = 0; k < n; k++) {
                char h[45];
                tl_tlog_hash_format(proof[k], h);
                o += snprintf(req + o, sizeof(req) - (size_t)o, "%s\n", h);
            }
        }
        o += snprintf(req + o, sizeof(req) - (size_t)o, "\n%s", cpn);
        tl_free(cpn);
        int status = 0;
        char *body = NULL;
        double a = now_s();
        tl_witness_add_checkpoint(w, req, (size_t)o, (uint64_t)time(NULL), &status, &body);
        pt[i] = now_s() - a;
        tl_free(body);
        if (status != 200) {
            fprintf(stderr, "witness answered %d\n", status);
            return 1;
        }
        old = sz;
    }
    printf("\n[4] witness add-checkpoint (verify, consistency, cosign, durable state)\n");
    printf("    per request                  p50 %.2f ms  p99 %.2f ms\n", pct(pt, NW, 0.5) * 1e3,
           pct(pt, NW, 0.99) * 1e3);
    free(pt);
    tl_witness_free(w);
    tl_tlog_free(log);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    nftw(wdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
