/*
 * test_detect_io.c - the waveform readers of station processing.
 *
 * miniSEED 2 records are written here with libmseed (Steim-2 counts and
 * float32 pascal), then cut, duplicated, shifted and corrupted: gaps (long
 * ones restart a channel, short ones are bridged), overlapping and repeated
 * records (dropped, no second pick), a sample-rate change, a clock jump,
 * truncated and garbage bytes (exact messages, the rest still processed),
 * channels that are not pressure and stations not in the mission.  WAV
 * files with their JSON sidecars: integer and float samples, units and
 * scale, several channels as array elements, and every sidecar mistake.
 * tl_detect_files merges an array stored one element per file.
 */
#include "tl_test.h"

#include "detect/detect_priv.h"

#include <libmseed.h>
#include <math.h>
#include <sndfile.h>

static const tl_time_ns T0 = INT64_C(1772323200) * TL_NS_PER_S;

#define MISSION                                                                                    \
    "{\"type\":\"FeatureCollection\",\"mission\":{\"name\":\"T\",\"parties\":{\"left\":\"A\","    \
    "\"right\":\"B\"}},\"features\":[{\"type\":\"Feature\",\"properties\":{\"kind\":"            \
    "\"contact_line\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[37.6,48.1],"      \
    "[37.75,48.21]]}},{\"type\":\"Feature\",\"properties\":{\"kind\":\"station\",\"id\":\"S1\"}," \
    "\"geometry\":{\"type\":\"Point\",\"coordinates\":[37.71,48.19,180]}},{\"type\":\"Feature\"," \
    "\"properties\":{\"kind\":\"station\",\"id\":\"ARR\",\"array\":[[0,0,0],[20,0,0],[0,20,0],"  \
    "[-15,-15,0]]},\"geometry\":{\"type\":\"Point\",\"coordinates\":[37.65,48.15,150]}}]}"

static struct tl_mission *g_m;

struct picks {
    struct tl_pick p[256];
    size_t n;
};

static int
collect(void *ud, const struct tl_pick *p)
{
    struct picks *o = ud;
    if (o->n < 256) {
        o->p[o->n++] = *p;
    }
    return TL_OK;
}

static uint64_t g_rs = 42;

static double
nrand(void)
{
    g_rs ^= g_rs << 13;
    g_rs ^= g_rs >> 7;
    g_rs ^= g_rs << 17;
    double u1 = 1.0 - (double)(g_rs >> 11) * 0x1.0p-53;
    g_rs ^= g_rs << 13;
    g_rs ^= g_rs >> 7;
    g_rs ^= g_rs << 17;
    double u2 = (double)(g_rs >> 11) * 0x1.0p-53;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Pressure (Pa) at sample i: noise and 30 Hz Friedlander pulses at `pulses`. */
static double
signal_at(size_t i, double fs, const double *pulses, size_t np, double delay_s)
{
    double v = 0.01 * nrand();
    double T = 1.0 / (2.0 * M_PI * 30.0);
    for (size_t k = 0; k < np; k++) {
        double t = (double)i / fs - pulses[k] - delay_s;
        if (t >= 0.0 && t < 1.0) {
            v += (1.0 - t / T) * exp(-t / T);
        }
    }
    return v;
}

/* ------------------------------------------------- writing miniSEED -- */

struct buf {
    unsigned char *b;
    size_t n, cap;
};

static void
put_rec(char *rec, int len, void *ud)
{
    struct buf *o = ud;
    if (o->n + (size_t)len > o->cap) {
        o->cap = (o->n + (size_t)len) * 2;
        o->b = realloc(o->b, o->cap);
    }
    memcpy(o->b + o->n, rec, (size_t)len);
    o->n += (size_t)len;
}

/* Append records of `n` samples (int32 counts or float32) starting at t0. */
static void
pack(struct buf *o, const char *sta, const char *loc, const char *chan, tl_time_ns t0, double fs,
     const double *pa, size_t n, double gain, bool floats, int reclen)
{
    MSRecord *m = msr_init(NULL);
    snprintf(m->network, sizeof(m->network), "XX");
    snprintf(m->station, sizeof(m->station), "%s", sta);
    snprintf(m->location, sizeof(m->location), "%s", loc);
    snprintf(m->channel, sizeof(m->channel), "%s", chan);
    m->dataquality = 'D';
    m->starttime = (hptime_t)(t0 / 1000);
    m->samprate = fs;
    m->reclen = reclen;
    m->byteorder = 1;
    void *data = malloc(n * 4);
    for (size_t i = 0; i < n; i++) {
        if (floats) {
            ((float *)data)[i] = (float)pa[i];
        } else {
            ((int32_t *)data)[i] = (int32_t)lround(pa[i] * gain);
        }
    }
    m->encoding = floats ? DE_FLOAT32 : DE_STEIM2;
    m->sampletype = floats ? 'f' : 'i';
    m->datasamples = data;
    m->numsamples = (int64_t)n;
    int64_t packed = 0;
    assert_true(msr_pack(m, put_rec, o, &packed, 1, 0) > 0);
    assert_int_equal((int64_t)n, packed);
    m->datasamples = NULL;
    msr_free(&m);
    free(data);
}

static double *
make_pa(size_t n, double fs, const double *pulses, size_t np, double delay_s)
{
    double *x = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        x[i] = signal_at(i, fs, pulses, np, delay_s);
    }
    return x;
}

static struct tl_detector *
new_det(struct picks *o, double gain)
{
    struct tl_detect_config cfg;
    tl_detect_config_default(&cfg);
    cfg.gain = gain;
    struct tl_detector *d = NULL;
    assert_int_equal(TL_OK, tl_detector_new(g_m, &cfg, collect, o, &d));
    return d;
}

static double
pick_s(const struct tl_pick *p)
{
    return (double)(p->t_ns - T0) / 1e9;
}

static int
setup(void **state)
{
    (void)state;
    return tl_mission_load_buffer(MISSION, sizeof(MISSION) - 1, "m", &g_m, NULL) == TL_OK ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    tl_mission_free(g_m);
    return 0;
}

/* ---------------------------------------------------------- miniSEED -- */

static void
test_mseed_steim2_and_float(void **state)
{
    (void)state;
    double fs = 500.0, pulses[] = {10.1234, 25.5};
    size_t n = (size_t)(40.0 * fs);
    double *x = make_pa(n, fs, pulses, 2, 0.0);
    for (int floats = 0; floats < 2; floats++) {
        struct buf b = {NULL, 0, 0};
        pack(&b, "S1", "", "CDF", T0, fs, x, n, 10000.0, floats, 512);
        struct picks o = {.n = 0};
        struct tl_detector *d = new_det(&o, floats ? 1.0 : 10000.0);
        struct tl_diag dg;
        memset(&dg, 0, sizeof(dg));
        assert_int_equal(TL_OK, tl_detect_mseed_buffer(d, b.b, b.n, "mem", &dg));
        assert_int_equal(TL_OK, tl_detector_flush(d));
        assert_int_equal(2, o.n);
        assert_true(fabs(pick_s(&o.p[0]) - 10.1234) < 0.003);
        assert_true(fabs(pick_s(&o.p[1]) - 25.5) < 0.003);
        assert_true(o.p[0].amp_pa > 0.5 && o.p[0].amp_pa < 1.1);
        const struct tl_detect_stats *s = tl_detector_stats(d);
        assert_int_equal(n, s->samples);
        assert_int_equal(0, s->gaps + s->overlaps + s->clock_jumps + s->rate_changes);
        assert_int_equal(0, s->bad_records);
        assert_true(s->records > 10);
        tl_detector_free(d);
        free(b.b);
    }
    free(x);
}

/* The input as records, with one record repeated and one removed. */
static void
test_mseed_overlap_and_gap(void **state)
{
    (void)state;
    double fs = 500.0, pulses[] = {10.0, 30.0};
    size_t n = (size_t)(40.0 * fs);
    double *x = make_pa(n, fs, pulses, 2, 0.0);
    struct buf b = {NULL, 0, 0};
    pack(&b, "S1", "", "CDF", T0, fs, x, n, 10000.0, false, 512);
    size_t nrec = b.n / 512;
    /* Rebuild: records 0..9, record 9 again, 10..nrec-1 without record 25. */
    struct buf c = {malloc(b.n + 512), 0, b.n + 512};
    for (size_t r = 0; r < nrec; r++) {
        if (r == 25) {
            continue;
        }
        memcpy(c.b + c.n, b.b + r * 512, 512);
        c.n += 512;
        if (r == 9) {
            memcpy(c.b + c.n, b.b + r * 512, 512);
            c.n += 512;
        }
    }
    struct picks o = {.n = 0};
    struct tl_detector *d = new_det(&o, 10000.0);
    assert_int_equal(TL_OK, tl_detect_mseed_buffer(d, c.b, c.n, "mem", NULL));
    assert_int_equal(TL_OK, tl_detector_flush(d));
    const struct tl_detect_stats *s = tl_detector_stats(d);
    assert_int_equal(1, s->overlaps);
    assert_true(s->overlap_samples > 100);
    assert_int_equal(1, s->gaps);
    assert_int_equal(0, s->gaps_bridged);
    assert_int_equal(1, s->restarts);
    assert_true(s->gap_s > 0.5 && s->gap_s < 2.0);
    /* both pulses picked once (the repeated record is not read twice) */
    assert_int_equal(2, o.n);
    assert_true(fabs(pick_s(&o.p[0]) - 10.0) < 0.003);
    assert_true(fabs(pick_s(&o.p[1]) - 30.0) < 0.003);
    tl_detector_free(d);
    free(c.b);
    free(b.b);
    free(x);
}

static void
test_mseed_short_gap_bridged(void **state)
{
    (void)state;
    double fs = 500.0, pulses[] = {15.0};
    size_t n = (size_t)(20.0 * fs);
    double *x = make_pa(n, fs, pulses, 1, 0.0);
    struct buf b = {NULL, 0, 0};
    /* two segments with 10 samples (20 ms) missing between them */
    pack(&b, "S1", "", "CDF", T0, fs, x, 5000, 10000.0, false, 512);
    pack(&b, "S1", "", "CDF", T0 + (tl_time_ns)5010 * 2000000, fs, x + 5010, n - 5010, 10000.0,
         false, 512);
    struct picks o = {.n = 0};
    struct tl_detector *d = new_det(&o, 10000.0);
    assert_int_equal(TL_OK, tl_detect_mseed_buffer(d, b.b, b.n, "mem", NULL));
    assert_int_equal(TL_OK, tl_detector_flush(d));
    const struct tl_detect_stats *s = tl_detector_stats(d);
    assert_int_equal(1, s->gaps);
    assert_int_equal(1, s->gaps_bridged);
    assert_int_equal(0, s->restarts);
    assert_int_equal(1, o.n);
    assert_true(fabs(pick_s(&o.p[0]) - 15.0) < 0.003);
    tl_detector_free(d);
    free(b.b);
    free(x);
}

static void
test_mseed_rate_change_and_clock_jump(void **state)
{
    (void)state;
    double pulses[] = {10.0, 30.0};
    /* 20 s at 500 Hz, then 20 s at 1000 Hz */
    double *a = make_pa(10000, 500.0, pulses, 2, 0.0);
    double *b2 = malloc(20000 * sizeof(double));
    for (size_t i = 0; i < 20000; i++) {
        b2[i] = signal_at(i, 1000.0, pulses, 2, -20.0);
    }
    struct buf b = {NULL, 0, 0};
    pack(&b, "S1", "", "CDF", T0, 500.0, a, 10000, 10000.0, false, 512);
    pack(&b, "S1", "", "FDF", T0 + 20 * TL_NS_PER_S, 1000.0, b2, 20000, 10000.0, false, 512);
    struct picks o = {.n = 0};
    struct tl_detector *d = new_det(&o, 10000.0);
    assert_int_equal(TL_OK, tl_detect_mseed_buffer(d, b.b, b.n, "mem", NULL));
    assert_int_equal(TL_OK, tl_detector_flush(d));
    assert_int_equal(1, tl_detector_stats(d)->rate_changes);
    assert_int_equal(2, o.n);
    assert_true(fabs(pick_s(&o.p[1]) - 30.0) < 0.003);
    tl_detector_free(d);
    free(b.b);

    /* A clock that jumps back 5 s: new samples stamped with old times. */
    b.b = NULL;
    b.n = b.cap = 0;
    pack(&b, "S1", "", "CDF", T0, 500.0, a, 10000, 10000.0, false, 512);
    double *c = make_pa(10000, 500.0, pulses, 2, 0.0);
    pack(&b, "S1", "", "CDF", T0 + 15 * TL_NS_PER_S, 500.0, c, 10000, 10000.0, false, 512);
    o.n = 0;
    d = new_det(&o, 10000.0);
    assert_int_equal(TL_OK, tl_detect_mseed_buffer(d, b.b, b.n, "mem", NULL));
    assert_int_equal(TL_OK, tl_detector_flush(d));
    assert_int_equal(1, tl_detector_stats(d)->clock_jumps);
    assert_int_equal(0, tl_detector_stats(d)->overlaps);
    /* the first segment's pulse, and the second's at its (wrong) time */
    assert_int_equal(2, o.n);
    assert_true(fabs(pick_s(&o.p[1]) - 25.0) < 0.003);
    tl_detector_free(d);
    free(b.b);
    free(c);
    free(b2);
    free(a);
}

static void
test_mseed_skips_what_is_not_ours(void **state)
{
    (void)state;
    double fs = 500.0, pulses[] = {5.0};
    size_t n = (size_t)(10.0 * fs);
    double *x = make_pa(n, fs, pulses, 1, 0.0);
    struct buf b = {NULL, 0, 0};
    pack(&b, "S1", "", "HHZ", T0, fs, x, n, 1.0, true, 512);   /* a seismometer */
    pack(&b, "NOPE", "", "CDF", T0, fs, x, n, 1.0, true, 512); /* not in the mission */
    pack(&b, "S1", "AB", "CDF", T0, fs, x, n, 1.0, true, 512); /* not an element */
    pack(&b, "S1", "03", "CDF", T0, fs, x, n, 1.0, true, 512); /* no such element */
    struct picks o = {.n = 0};
    struct tl_detector *d = new_det(&o, 1.0);
    assert_int_equal(TL_OK, tl_detect_mseed_buffer(d, b.b, b.n, "mem", NULL));
    assert_int_equal(TL_OK, tl_detector_flush(d));
    const struct tl_detect_stats *s = tl_detector_stats(d);
    assert_int_equal(0, o.n);
    assert_int_equal(0, s->channels);
    assert_int_equal(s->records, s->skipped);
    assert_int_equal(0, s->samples);
    tl_detector_free(d);
    free(b.b);
    free(x);
}

static void
test_mseed_malformed(void **state)
{
    (void)state;
    struct picks o = {.n = 0};
    struct tl_detector *d = new_det(&o, 1.0);
    struct tl_diag dg;
    char text[640];
    /* garbage */
    unsigned char junk[300];
    for (size_t i = 0; i < sizeof(junk); i++) {
        junk[i] = (unsigned char)(i * 37 + 11);
    }
    memset(&dg, 0, sizeof(dg));
    assert_int_equal(TL_EPARSE, tl_detect_mseed_buffer(d, junk, sizeof(junk), "junk.mseed", &dg));
    assert_string_equal("junk.mseed: offset 0: not a miniSEED record",
                        tl_diag_format(&dg, text, sizeof(text)));
    /* nothing at all is fine */
    assert_int_equal(TL_OK, tl_detect_mseed_buffer(d, junk, 0, "empty", NULL));
    tl_detector_free(d);

    /* A good file with a damaged record in the middle and a cut last record. */
    double fs = 500.0, pulses[] = {5.0, 25.0};
    size_t n = (size_t)(30.0 * fs);
    double *x = make_pa(n, fs, pulses, 2, 0.0);
    struct buf b = {NULL, 0, 0};
    pack(&b, "S1", "", "CDF", T0, fs, x, n, 1000.0, false, 512);
    memset(b.b + 512 * 20, 'x', 512); /* record 20 destroyed */
    size_t cut = b.n - 200;            /* the last record cut short */
    o.n = 0;
    d = new_det(&o, 1000.0);
    memset(&dg, 0, sizeof(dg));
    assert_int_equal(TL_EPARSE, tl_detect_mseed_buffer(d, b.b, cut, "cut.mseed", &dg));
    assert_string_equal("cut.mseed: offset 10240: not a miniSEED record",
                        tl_diag_format(&dg, text, sizeof(text)));
    assert_int_equal(TL_OK, tl_detector_flush(d));
    const struct tl_detect_stats *s = tl_detector_stats(d);
    assert_int_equal(2, s->bad_records); /* the damaged one and the cut one */
    assert_int_equal(1, s->gaps);
    assert_int_equal(2, o.n); /* both pulses, around the damage */
    /* the last problem alone */
    struct tl_diag d2;
    memset(&d2, 0, sizeof(d2));
    struct tl__src *src = NULL;
    assert_int_equal(TL_OK, tl__src_mseed_mem(b.b + b.n - 512, 312, "tail", &src, NULL));
    struct tl__block blk;
    assert_int_equal(TL_EPARSE, tl__src_next(src, &blk, &d2));
    assert_string_equal("tail: offset 0: truncated record (312 bytes, 200 more expected)",
                        tl_diag_format(&d2, text, sizeof(text)));
    assert_int_equal(0, tl__src_next(src, &blk, &d2));
    tl__src_free(src);
    tl_detector_free(d);
    free(b.b);
    free(x);

    /* Records stamped before 1970 (or after 2200) are reported, not turned into times that
     * overflow the detector's arithmetic; a block fed directly at such a time is skipped. */
    b.b = NULL;
    b.n = b.cap = 0;
    double *y = make_pa(2000, fs, pulses, 1, 0.0);
    pack(&b, "S1", "", "CDF", -315532800LL * TL_NS_PER_S, fs, y, 2000, 1000.0, false, 512);
    o.n = 0;
    d = new_det(&o, 1000.0);
    memset(&dg, 0, sizeof(dg));
    assert_int_equal(TL_EPARSE, tl_detect_mseed_buffer(d, b.b, b.n, "old.mseed", &dg));
    assert_string_equal("old.mseed: offset 0: start time outside 1970-2200",
                        tl_diag_format(&dg, text, sizeof(text)));
    assert_int_equal(TL_OK, tl_detector_flush(d));
    s = tl_detector_stats(d);
    assert_int_equal(b.n / 512, s->bad_records);
    assert_int_equal(0, s->samples);
    float ones[100];
    for (size_t i = 0; i < 100; i++) {
        ones[i] = 1.0f;
    }
    assert_int_equal(TL_OK, tl_detector_feed(d, "S1", 0, TL__WAVE_T_MAX_NS, fs, ones, 100));
    assert_int_equal(TL_OK, tl_detector_feed(d, "S1", 0, -1, fs, ones, 100));
    assert_int_equal(2, tl_detector_stats(d)->skipped);
    assert_int_equal(0, tl_detector_stats(d)->samples);
    tl_detector_free(d);
    free(b.b);
    free(y);

    /* A file that is not there. */
    d = new_det(&o, 1.0);
    memset(&dg, 0, sizeof(dg));
    assert_int_equal(TL_EIO, tl_detect_mseed_file(d, "/nonexistent/x.mseed", &dg));
    assert_string_equal("/nonexistent/x.mseed: No such file or directory",
                        tl_diag_format(&dg, text, sizeof(text)));
    tl_detector_free(d);
}

/* An array stored one element per file (the SDS way) is merged in time. */
static void
test_files_merge_array(void **state)
{
    (void)state;
    double fs = 500.0, c = 340.0, baz = 123.0, pulses[] = {12.0};
    const struct tl_station *st = tl_mission_station(g_m, (size_t)tl_mission_find_station(g_m, "ARR"));
    size_t n = (size_t)(30.0 * fs);
    char paths[4][64];
    const char *pp[4];
    for (int e = 0; e < 4; e++) {
        double th = baz * M_PI / 180.0;
        double delay = -(st->element_m[e][0] * sin(th) + st->element_m[e][1] * cos(th)) / c;
        double *x = make_pa(n, fs, pulses, 1, delay);
        struct buf b = {NULL, 0, 0};
        char loc[3];
        snprintf(loc, sizeof(loc), "%02d", e);
        pack(&b, "ARR", loc, "CDF", T0, fs, x, n, 1.0, true, 4096);
        tl_test_tmpfile(paths[e], sizeof(paths[e]), (const char *)b.b, b.n);
        /* give the file a miniSEED name */
        char named[80];
        snprintf(named, sizeof(named), "%s.mseed", paths[e]);
        assert_int_equal(0, rename(paths[e], named));
        snprintf(paths[e], sizeof(paths[e]), "%s", named);
        pp[e] = paths[e];
        free(b.b);
        free(x);
    }
    struct picks o = {.n = 0};
    struct tl_detector *d = new_det(&o, 1.0);
    /* given in reverse order */
    const char *rev[4] = {pp[3], pp[2], pp[1], pp[0]};
    assert_int_equal(TL_OK, tl_detect_files(d, rev, 4, NULL));
    assert_int_equal(TL_OK, tl_detector_flush(d));
    assert_int_equal(1, o.n);
    assert_false(o.p[0].baz_deg != o.p[0].baz_deg);
    assert_true(fabs(o.p[0].baz_deg - baz) < 1.0);
    assert_true(fabs(pick_s(&o.p[0]) - 12.0) < 0.003);
    assert_int_equal(4, tl_detector_stats(d)->channels);
    tl_detector_free(d);
    /* a missing file among them is reported, the others processed */
    const char *some[3] = {pp[0], "/nonexistent/y.mseed", pp[1]};
    o.n = 0;
    d = new_det(&o, 1.0);
    struct tl_diag dg;
    memset(&dg, 0, sizeof(dg));
    assert_int_equal(TL_EIO, tl_detect_files(d, some, 3, &dg));
    char text[640];
    assert_string_equal("/nonexistent/y.mseed: No such file or directory",
                        tl_diag_format(&dg, text, sizeof(text)));
    assert_int_equal(2, tl_detector_stats(d)->channels);
    tl_detector_free(d);
    for (int e = 0; e < 4; e++) {
        unlink(paths[e]);
    }
}

/* --------------------------------------------------------------- WAV -- */

static void
write_wav(const char *path, int format, int channels, double fs, const double *pa, size_t n,
          double mul)
{
    SF_INFO info;
    memset(&info, 0, sizeof(info));
    info.samplerate = (int)fs;
    info.channels = channels;
    info.format = SF_FORMAT_WAV | format;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    assert_non_null(f);
    /* normalised doubles: full scale is 1.0 for integer formats */
    double *fr = malloc(n * (size_t)channels * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        for (int ch = 0; ch < channels; ch++) {
            fr[i * (size_t)channels + (size_t)ch] = pa[i] * mul;
        }
    }
    sf_command(f, SFC_SET_CLIPPING, NULL, SF_TRUE);
    assert_int_equal((sf_count_t)n, sf_writef_double(f, fr, (sf_count_t)n));
    sf_close(f);
    free(fr);
}

static void
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void
test_wav_with_sidecar(void **state)
{
    (void)state;
    double fs = 1000.0, pulses[] = {8.0};
    size_t n = (size_t)(20.0 * fs);
    double *x = make_pa(n, fs, pulses, 1, 0.0);
    char dir[] = "/tmp/tl_wav_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char wav[128], side[128];
    snprintf(wav, sizeof(wav), "%s/a.wav", dir);
    snprintf(side, sizeof(side), "%s/a.json", dir);
    char text[640];
    struct tl_diag dg;
    /* 16-bit PCM: code = pa * 20000 (so 1 count = 5e-5 Pa) */
    write_wav(wav, SF_FORMAT_PCM_16, 1, fs, x, n, 20000.0 / 32768.0);
    write_text(side, "{\"station\":\"S1\",\"start\":\"2026-03-01T00:00:00.000Z\",\"units\":\"pa\","
                     "\"scale\":5e-5}");
    struct picks o = {.n = 0};
    struct tl_detector *d = new_det(&o, 1.0);
    assert_int_equal(TL_OK, tl_detect_wav_file(d, wav, NULL));
    assert_int_equal(TL_OK, tl_detector_flush(d));
    assert_int_equal(1, o.n);
    assert_true(fabs(pick_s(&o.p[0]) - 8.0) < 0.003);
    assert_true(o.p[0].amp_pa > 0.7 && o.p[0].amp_pa < 1.1);
    tl_detector_free(d);
    /* counts with the detector's gain instead */
    write_text(side, "{\"station\":\"S1\",\"start\":\"2026-03-01T00:00:00Z\",\"units\":\"counts\"}");
    o.n = 0;
    d = new_det(&o, 20000.0);
    assert_int_equal(TL_OK, tl_detect_wav_file(d, wav, NULL));
    assert_int_equal(TL_OK, tl_detector_flush(d));
    assert_int_equal(1, o.n);
    assert_true(o.p[0].amp_pa > 0.7 && o.p[0].amp_pa < 1.1);
    tl_detector_free(d);
    /* float samples, two channels as elements 1 and 2 of the array ARR */
    write_wav(wav, SF_FORMAT_FLOAT, 2, fs, x, n, 1.0);
    write_text(side, "{\"station\":\"ARR\",\"element\":1,\"start\":\"2026-03-01T00:00:00Z\"}");
    o.n = 0;
    d = new_det(&o, 1.0);
    assert_int_equal(TL_OK, tl_detect_wav_file(d, wav, NULL));
    assert_int_equal(TL_OK, tl_detector_flush(d));
    assert_int_equal(2, tl_detector_stats(d)->channels);
    assert_int_equal(1, o.n); /* two elements agree; three are too few for a bearing */
    assert_true(o.p[0].baz_deg != o.p[0].baz_deg);
    tl_detector_free(d);

    /* Sidecar mistakes, each with its message. */
    static const struct {
        const char *json, *msg;
    } bad[] = {
        {"{\"start\":\"2026-03-01T00:00:00Z\"}", "a.json: station: missing"},
        {"{\"station\":\"s-1\",\"start\":\"2026-03-01T00:00:00Z\"}",
         "a.json: station: not a SEED station code (1-5 of A-Z 0-9): s-1"},
        {"{\"station\":\"S1\"}", "a.json: start: missing"},
        {"{\"station\":\"S1\",\"start\":\"yesterday\"}",
         "a.json: start: not an RFC 3339 UTC time: yesterday"},
        {"{\"station\":\"S1\",\"start\":\"1969-12-31T23:59:59Z\"}",
         "a.json: start: outside 1970-2200: 1969-12-31T23:59:59Z"},
        {"{\"station\":\"S1\",\"start\":\"2200-01-01T00:00:00Z\"}",
         "a.json: start: outside 1970-2200: 2200-01-01T00:00:00Z"},
        {"{\"station\":\"S1\",\"start\":\"2026-03-01T00:00:00Z\",\"units\":\"psi\"}",
         "a.json: units: expected \"pa\" or \"counts\""},
        {"{\"station\":\"S1\",\"start\":\"2026-03-01T00:00:00Z\",\"scale\":-1}",
         "a.json: scale: expected a positive number"},
        {"{\"station\":\"S1\",\"start\":\"2026-03-01T00:00:00Z\",\"element\":99}",
         "a.json: element: expected an integer 0 to 15"},
        {"[1,2]", "a.json: not a JSON object"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_text(side, bad[i].json);
        d = new_det(&o, 1.0);
        memset(&dg, 0, sizeof(dg));
        assert_int_equal(TL_EPARSE, tl_detect_wav_file(d, wav, &dg));
        const char *got = tl_diag_format(&dg, text, sizeof(text));
        const char *slash = strrchr(got, '/');
        assert_string_equal(bad[i].msg, slash ? slash + 1 : got);
        tl_detector_free(d);
    }
    /* no sidecar; not a sound file */
    unlink(side);
    d = new_det(&o, 1.0);
    memset(&dg, 0, sizeof(dg));
    assert_int_equal(TL_EIO, tl_detect_wav_file(d, wav, &dg));
    assert_non_null(strstr(tl_diag_format(&dg, text, sizeof(text)), "a.json: No such file or directory"));
    write_text(side, "{\"station\":\"S1\",\"start\":\"2026-03-01T00:00:00Z\"}");
    write_text(wav, "this is not audio at all, only some text");
    memset(&dg, 0, sizeof(dg));
    assert_int_equal(TL_EPARSE, tl_detect_wav_file(d, wav, &dg));
    assert_non_null(strstr(tl_diag_format(&dg, text, sizeof(text)),
                           "a.wav: not a sound file libsndfile reads: "));
    /* and from memory */
    static const char side_ok[] = "{\"station\":\"S1\",\"start\":\"2026-03-01T00:00:00Z\"}";
    memset(&dg, 0, sizeof(dg));
    assert_int_equal(TL_EPARSE, tl_detect_wav_buffer(d, "RIFF", 4, side_ok, sizeof(side_ok) - 1,
                                                     "mem.wav", &dg));
    tl_detector_free(d);
    unlink(wav);
    unlink(side);
    rmdir(dir);
    free(x);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mseed_steim2_and_float),
        cmocka_unit_test(test_mseed_overlap_and_gap),
        cmocka_unit_test(test_mseed_short_gap_bridged),
        cmocka_unit_test(test_mseed_rate_change_and_clock_jump),
        cmocka_unit_test(test_mseed_skips_what_is_not_ours),
        cmocka_unit_test(test_mseed_malformed),
        cmocka_unit_test(test_files_merge_array),
        cmocka_unit_test(test_wav_with_sidecar),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
