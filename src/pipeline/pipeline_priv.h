/*
 * pipeline_priv.h - the inside of the network processing, shared by its stages.
 *
 * The pipeline keeps every record it was fed (de-duplicated), and per run builds:
 *   - per-station sorted pick indices (blast picks and shock picks apart);
 *   - per-station sorted met samples (the weather model, pipeline/met.c);
 *   - tiles along the contact line, each with a local ENU frame (pipeline/tiles.c);
 *   - events found by association (assoc/), located (locate/), checked by
 *     station QC (pipeline/qc.c), classified, paired and attributed (attrib/).
 * Not installed.
 */
#ifndef TL_PIPELINE_PRIV_H
#define TL_PIPELINE_PRIV_H

#include <truceline/geo.h>
#include <truceline/pipeline.h>
#include <truceline/physics.h>

#include "../util/util.h"

#include <math.h>

/* A pick as kept by the pipeline (compact; ids live here too). */
struct tl__pk {
    tl_time_ns t_ns;
    int32_t sta;            /* station index in the mission */
    int32_t ev;             /* index of the event that uses it in the current run, or -1 */
    float sigma_s, snr_db, amp_pa, freq_hz, dur_s, baz_deg, baz_sigma_deg; /* NAN if absent */
    bool shock;
    char id[TL_ID_MAX];
};

struct tl__met {
    tl_time_ns t_ns;
    double temp_c;          /* NAN if absent */
    double wind_e_mps, wind_n_mps; /* wind vector (towards), NAN if absent */
};

struct tl__status {
    tl_time_ns t_ns;
    enum tl_station_state state;
};

/* Open-addressing set of record keys for de-duplication. */
struct tl__dedup {
    uint64_t *keys;         /* 0 = empty; keys are hashes, verified against stored records */
    int64_t *refs;          /* which record holds the key: (kind << 56) | index */
    size_t cap, n;
};

/* Per-station indices into the record arrays, built at each run. */
struct tl__sta_index {
    size_t *picks;          /* blast picks sorted by time */
    size_t n_picks;
    size_t *shocks;         /* shock picks sorted by time */
    size_t n_shocks;
    size_t *mets;           /* met samples sorted by time */
    size_t n_mets;
    double clock_corr_s;    /* current clock correction estimate (subtracted), set by QC */
    tl_time_ns corr_from_ns, corr_to_ns;
    double weight_scale;    /* 1, or < 1 for a station with persistent misfit */
};

/* The ranges association keeps a tile's learnt state in (assoc.c, locate.c), and so the
 * ranges a state handed over from outside must keep to (learnt.c). */
#define TL__CORR_MAX_MPS          30.0   /* |a joint speed or wind correction| */
#define TL__PATH_ERR_MIN_S_PER_KM 0.0005 /* the path-to-path timing error */
#define TL__PATH_ERR_MAX_S_PER_KM 0.02
#define TL__PATH_SD_MIN_S_PER_KM 0.0002 /* the locator's (path_sd_s_per_km) */
#define TL__PATH_SD_MAX_S_PER_KM 0.02
/* The locator's path error before any event has shown it: as association's (tiles.c), wide,
 * so that the first events fit while the tile's corrections are still unknown.  State files
 * written before the field existed are read with it. */
#define TL__PATH_SD_PRIOR_S_PER_KM 0.004
#define TL__PICK_FLOOR_S 0.003 /* timing error no picker reports (sampling, station timing) */

/* A tile: a stretch of the contact line with its own local frame. */
struct tl__tile {
    struct tl_enu frame;
    /* what association has learnt from the tile's events (pipeline.h): running estimates of
     * the met model's error common to the tile's paths (a speed and a wind offset), of how
     * far single events' corrections scatter around it (weather changing through the day,
     * refraction that differs by direction: the nominal model's allowance), and of the
     * path-to-path travel-time error left after the joint corrections (locate/event.c) */
    struct tl_tile_learnt learnt;
    double core_from_m, core_to_m;  /* chainage of the line it owns */
    size_t *stations;       /* stations within reach of the tile */
    size_t n_stations;
    double (*sta_xyz)[3];   /* their ENU coordinates in the tile frame */
    double *sta_north_rad;  /* azimuth of local north at each station in the frame (convergence) */
    double min_x, max_x, min_y, max_y; /* search area in the frame */
};

/* An event while the run works on it (published as struct tl_event). */
struct tl__ev {
    struct tl_event pub;
    size_t tile;
    double x, y, z;         /* location in the tile frame */
    double t0_s;            /* origin time in seconds from the pipeline's epoch */
    double cov[3][3];       /* covariance of x, y, t0 (m, m, s) including met uncertainty */
    double chi2;            /* robust misfit of the final fit */
    double var_factor;      /* the a posteriori variance factor cov carries (locate.c) */
    double dof;
    double dwind_e, dwind_n, dc; /* joint corrections estimated */
    size_t *picks;          /* pick indices used (owned) */
    size_t n_picks;
    struct tl_arrival *arr; /* published arrivals (owned) */
    int salvo;              /* salvo group index or -1 */
    double launch_score;    /* evidence for launch vs impact (log-odds) */
    int n_fit_check;        /* stations fitting the nominal model (0 when it fits badly) */
    double check_rms_s;
    double significance;    /* log evidence against a chance alignment (locate/event.c) */
    bool dead;              /* merged away or rejected */
    double chord_m[3];      /* published place on the ellipsoid in one frame of the run, set by
                             * the pairing for its distance bounds (attrib/pair.c) */
};

struct tl_pipeline {
    const struct tl_mission *m;
    struct tl_pipeline_params prm;
    /* records */
    struct tl__pk *pk;
    size_t n_pk, cap_pk;
    struct tl__met *met;
    int32_t *met_sta;
    size_t n_met, cap_met;
    struct tl__status *st;
    int32_t *st_sta;
    size_t n_st, cap_st;
    struct tl__dedup dedup;
    struct tl_input_stats stats;
    tl_time_ns span_from, span_to;
    tl_time_ns epoch_ns;    /* time origin of the run's double-precision seconds */
    /* per run */
    size_t n_sta;
    struct tl__sta_index *sx;
    struct tl__tile *tiles;
    size_t n_tiles;
    struct tl__ev *ev;
    size_t n_ev, cap_ev;
    struct tl_event *pub_ev;
    struct tl_finding *fnd;
    size_t n_fnd, cap_fnd;
    struct tl_station_qc *qc;
    struct tl__held *held;  /* association's candidates held for a tile's next block */
    size_t n_held, cap_held;
    tl_time_ns last_until;
    struct tl_assoc_stats assoc_stats; /* of the last run */
    const struct tl__metfield **mfc; /* met field cache: tile * n_slots + slot */
    size_t mfc_slots;
    tl_time_ns mfc_from;
    /* the tiles' learnt state: to start from (owned, or NULL for the priors), and kept */
    struct tl_tile_learnt *learnt_start, *learnt;
    size_t n_learnt_start, n_learnt;
    tl_time_ns learnt_at;
};

/* ---- stages (each file documents its part) ---- */

/* input.c */
void tl__pipeline_reset_run(struct tl_pipeline *p);
int tl__pipeline_index(struct tl_pipeline *p);
double tl__pk_time_s(const struct tl_pipeline *p, size_t i); /* seconds from epoch, clock-corrected */
/* The index in x->picks of the first pick at or after t_s (tl__pk_time_s; x->n_picks if none). */
size_t tl__sta_first_pick(const struct tl_pipeline *p, const struct tl__sta_index *x, double t_s);

/* met.c: the weather at a place and time, from the met records.  One field per tile and
 * 10-minute slot, sampled on a grid, built on first use and cached for the run. */
struct tl__metfield {
    const struct tl__tile *tile;
    tl_time_ns t_ns;
    size_t n;               /* stations with a usable sample */
    double (*xy)[2];
    double *temp_c, *we, *wn;
    bool *has_temp, *has_wind;
    double mean_temp_c, mean_we, mean_wn;
    double spread_temp_c, spread_wind_mps; /* station-to-station scatter: model uncertainty */
    bool any_temp, any_wind;
    /* the field sampled on a grid over the tile's search area */
    double gx0, gy0, gstep;
    int gnx, gny;
    float (*grid)[3];       /* temp, we, wn per node */
};
/* The cached field for `tile` at time t (NULL on allocation failure). */
const struct tl__metfield *tl__metfield_get(struct tl_pipeline *p, size_t tile, tl_time_ns t_ns);
void tl__metcache_free(struct tl_pipeline *p);
/* Field at a point (tile frame). */
void tl__metfield_at(const struct tl__metfield *f, double x, double y, double *temp_c, double *we,
                     double *wn);
/* Average along the straight path from (x0,y0) to (x1,y1). */
void tl__metfield_path(const struct tl__metfield *f, double x0, double y0, double x1, double y1,
                       double *temp_c, double *we, double *wn);

/* tiles.c */
int tl__tiles_build(struct tl_pipeline *p);
void tl__tiles_free(struct tl_pipeline *p);
/* How many tiles the mission's line makes. */
size_t tl__tile_count(const struct tl_mission *m);
/* Which tile owns a point (by its nearest point on the line). */
size_t tl__tile_owner(const struct tl_pipeline *p, double lat_deg, double lon_deg);

/* Association's blocks of origin time: each searches BLOCK_S of origin times with the picks
 * of twice that (assoc.c), one starting every BLOCK_S. */
#define TL__BLOCK_S 60

/* segment.c: association over the blocks from..to of a run, in segments between fixed seams
 * on up to prm.threads threads. */
int tl__associate_run(struct tl_pipeline *p, tl_time_ns from, tl_time_ns to);

/* pipeline.c: run worker(arg) on this thread and on up to threads - 1 others (at most one
 * per item, 16 in all), and wait for them; a thread that cannot be started leaves its share
 * to the others (the worker takes items from a shared counter). */
void tl__run_workers(int threads, size_t n_items, void *(*worker)(void *), void *arg);

/* learnt.c: keep the tiles' learnt state now (tl_pipeline_learnt_keep_at). */
int tl__learnt_keep(struct tl_pipeline *p);

/* assoc/assoc.c: find events in one tile and time block, appended to p->ev (with `search`
 * false, only try again what the tile's block before held back: after its last block). */
int tl__associate(struct tl_pipeline *p, size_t tile, tl_time_ns from_ns, tl_time_ns to_ns,
                  bool search);

/* assoc/compete.c: dissolve events whose picks other events explain. */
int tl__compete(struct tl_pipeline *p);

/* Where a candidate was searched for: the significance test's look-elsewhere correction
 * counts the places and origin times that search looked at.  The association's boxes look
 * at the whole tile over a block (radius_m = 0); a repeat search looks at one known place,
 * within radius_m of (x_m, y_m), over window_s - but only a fit that stays there is a
 * repeat: one that moves farther is judged as if the whole tile had been searched, or, with
 * `stay`, rejected. */
struct tl__search {
    double x_m, y_m, radius_m;
    double window_s;
    bool stay;              /* a fit that moves away is no candidate of this search at all */
};

/* locate/event.c: (re)locate event e with its picks; fills location, covariance, arrivals.
 * With a `gate` (the search the candidate came from), an event that fails the nominal
 * check (fewer than min_stations fit, or not significant) is left after the check fit,
 * without its published fit: a candidate the caller will reject anyway. */
int tl__locate_event(struct tl_pipeline *p, struct tl__ev *e, const struct tl__metfield *mf,
                     const struct tl__search *gate);
/* Side probability and the published geographic fields of a located event. */
void tl__event_publish_geo(struct tl_pipeline *p, struct tl__ev *e);

/* pipeline/clock.c: detect clock offsets and misfitting stations, correct, relocate. */
int tl__clock_qc(struct tl_pipeline *p);

/* pipeline/qc.c */
int tl__station_qc(struct tl_pipeline *p);

/* attrib/ */
int tl__classify_pair(struct tl_pipeline *p);

/* The next event slot (grows p->ev). */
struct tl__ev *tl__ev_push(struct tl_pipeline *p);
void tl__ev_free_contents(struct tl__ev *e);

/* Small helpers. */
static inline double
tl__sq(double x)
{
    return x * x;
}

/* Index of mission station `sta` among the tile's stations, or -1 if the tile does not
 * reach it. */
static inline long
tl__tile_k(const struct tl__tile *tl, size_t sta)
{
    for (size_t k = 0; k < tl->n_stations; k++) {
        if (tl->stations[k] == sta) {
            return (long)k;
        }
    }
    return -1;
}

/* Variance (s^2) of turbulence over a path of d_m metres: 5 ms at 1 km, growing as the
 * square root of the distance (Ostashev & Wilson, "Acoustics in Moving Inhomogeneous Media",
 * ch. 7). */
static inline double
tl__turbulence_var_s2(double d_m)
{
    double km = d_m / 1000.0;
    return 0.005 * 0.005 * (km > 0.1 ? km : 0.1);
}

/*
 * Timing variance (s^2) of a path of d_m metres beyond the pick's own: the path-to-path error
 * the tile's windows allow for (s per km) and turbulence.  Association's windows, the
 * add-a-station step and explaining away use it; the locator weighs picks with
 * tl__pick_sigma_s.
 */
static inline double
tl__path_var_s2(const struct tl__tile *tl, double d_m)
{
    double sp = d_m / 1000.0 * tl->learnt.path_err_s_per_km;
    return sp * sp + tl__turbulence_var_s2(d_m);
}

/* Half-width (s) of association's window for a pick at d_m metres from a source: 2.5 sigma of
 * a 10 ms pick and the path's error, and a 30 ms margin.  Association's searches use it
 * (what the locator will accept), and so does the jackknife's chance of a foreign pick. */
static inline double
tl__assoc_window_s(const struct tl__tile *tl, double d_m)
{
    return 0.03 + 2.5 * sqrt(0.01 * 0.01 + tl__path_var_s2(tl, d_m));
}

/* Variance (s^2) of a pick's own timing: its sigma (the default where it has none) and the
 * floor no picker reports. */
static inline double
tl__pick_var_s2(const struct tl__pk *q)
{
    double sp = isnan(q->sigma_s) ? TL_PICK_DEFAULT_SIGMA_S : (double)q->sigma_s;
    return sp * sp + TL__PICK_FLOOR_S * TL__PICK_FLOOR_S;
}

/* The locator's sigma of pick q over a path of d_m metres: its own timing, turbulence and
 * the path-to-path error the tile has learnt from its residuals (path_sd_s_per_km). */
static inline double
tl__pick_sigma_s(const struct tl__tile *tl, const struct tl__pk *q, double d_m)
{
    double sp = d_m / 1000.0 * tl->learnt.path_sd_s_per_km;
    return sqrt(tl__pick_var_s2(q) + sp * sp + tl__turbulence_var_s2(d_m));
}

/*
 * An angle brought into [-pi, pi): fmod(a + pi, 2 pi), made non-negative, minus pi.  The
 * angles met in practice are differences of two directions, within one turn or two of the
 * range, and there fmod is a single subtraction (exact, as fmod is) or nothing: those
 * cases skip the library call and give the same bits.
 */
static inline double
tl__wrap_pi(double a)
{
    double x = a + M_PI;
    if (x >= 0.0 && x < 2.0 * M_PI) {
        return x - M_PI;
    }
    if (x >= 2.0 * M_PI && x < 4.0 * M_PI) {
        return (x - 2.0 * M_PI) - M_PI;
    }
    if (x < 0.0 && x > -2.0 * M_PI) {
        return (x + 2.0 * M_PI) - M_PI;
    }
    x = fmod(x, 2.0 * M_PI);
    if (x < 0) {
        x += 2.0 * M_PI;
    }
    return x - M_PI;
}

/* sqrt(x^2 + y^2) without hypot's overflow care (5x faster; our lengths are metres). */
static inline double
tl__hypot(double x, double y)
{
    return sqrt(x * x + y * y);
}

#endif
