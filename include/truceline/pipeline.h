/*
 * truceline/pipeline.h - network processing: records -> events -> findings.
 *
 * One pipeline object holds a mission, the records fed to it, and what it
 * concluded from them: located events (launches, impacts, unknown sources)
 * with their 95% ellipses and side probabilities, and findings (a launch
 * paired with its impact, attributed to a side with a confidence).  The batch
 * command (`truceline process`) and the live server run this same code: the
 * batch feeds every record then runs once; the server feeds records as they
 * arrive and runs again as time passes, so late picks revise events.  The same
 * records and parameters give the same results, bit for bit, in any order of
 * feeding (records are kept sorted and de-duplicated).
 *
 * Stages (docs/processing.md): association by space-time partitioning of the
 * picks (octree search with early stopping), robust location with the speed
 * of sound from the met records and a joint wind correction, station quality
 * control (clock offsets, misfits), classification, launch/impact pairing by
 * time of flight, side attribution with a probability, zones and findings.
 *
 * Thread-safety: one pipeline is used by one thread at a time.
 */
#ifndef TRUCELINE_PIPELINE_H
#define TRUCELINE_PIPELINE_H

#include <truceline/mission.h>
#include <truceline/record.h>

#ifdef __cplusplus
extern "C" {
#endif

enum tl_event_class { TL_CLASS_UNKNOWN = 0, TL_CLASS_LAUNCH = 1, TL_CLASS_IMPACT = 2 };

enum tl_review_status { TL_STATUS_AUTOMATIC = 0, TL_STATUS_REVIEWED = 1, TL_STATUS_REJECTED = 2 };

/** Most zones listed for one event or finding. */
#define TL_MAX_EVENT_ZONES 8

/** One pick used by an event, with how well it fits. */
struct tl_arrival {
    char station[TL_STATION_ID_MAX];
    char pick_id[TL_ID_MAX];  /* "" when the pick had no id: then t_ns identifies it */
    tl_time_ns t_ns;          /* the pick's time as recorded */
    double residual_s;        /* observed minus predicted arrival (after clock correction) */
    double weight;            /* robust weight in the final fit, 0..1 */
    double dist_m;            /* source-station distance */
    double baz_residual_deg;  /* observed minus predicted back azimuth, NAN without a bearing */
};

/** A located acoustic source.  Plain value; `arrivals` is owned by the pipeline. */
struct tl_event {
    char id[TL_ID_MAX];
    tl_time_ns t_ns;          /* origin time */
    double time_sigma_s;
    double lat_deg, lon_deg;
    enum tl_event_class cls;
    double class_p;           /* probability of `cls` */
    double ell_major_m, ell_minor_m, ell_azimuth_deg; /* 95% ellipse semi-axes, major-axis azimuth */
    enum tl_side side;        /* TL_SIDE_AMBIGUOUS unless side_p >= 0.95 */
    double side_p;            /* probability of the more likely side */
    enum tl_side likely_side; /* the more likely side, even when ambiguous */
    double dist_to_line_m;
    size_t n_zones;
    size_t zones[TL_MAX_EVENT_ZONES]; /* indices of mission zones holding the event */
    char place[96];
    int n_stations;
    double rms_s;
    size_t n_arrivals;
    const struct tl_arrival *arrivals;
    char pair[TL_ID_MAX];     /* id of the paired event, "" if none */
    /* the partner a pairing chose but does not publish, being more likely wrong than right
     * (pair_candidate_p < 0.5: no finding), "" if none; and that pairing's probability */
    char pair_candidate[TL_ID_MAX];
    double pair_candidate_p;
    enum tl_review_status status;
    int n_bearings;           /* array bearings used */
    bool shock_cue;           /* shock-wave picks support a supersonic projectile */
    int weapon;               /* enum tl_weapon assessed (TL_WEAPON_UNKNOWN if none) */
    int revision;             /* 0 for the first version, +1 at each revision (live use) */
};

/* Evidence a finding rests on (bits of `basis`). */
#define TL_BASIS_MULTI_STATION_ORIGIN 1u
#define TL_BASIS_SHOCK_CUE            2u
#define TL_BASIS_TOF_CONSISTENT       4u
#define TL_BASIS_ARRAY_BEARING        8u
#define TL_BASIS_SALVO                16u

/** A launch paired with its impact, attributed.  Plain value. */
struct tl_finding {
    char id[TL_ID_MAX];
    char launch[TL_ID_MAX], impact[TL_ID_MAX];
    double launch_lat_deg, launch_lon_deg, impact_lat_deg, impact_lon_deg;
    tl_time_ns launch_t_ns;
    enum tl_side fired_from;  /* TL_SIDE_AMBIGUOUS unless confidence >= 0.95 */
    enum tl_side likely_side; /* the launch's more likely side, even when ambiguous */
    double confidence;        /* P(launch on fired_from side and pairing right) */
    double side_p, pair_p;    /* the two factors of confidence */
    bool crosses_line;
    int weapon;               /* enum tl_weapon or TL_WEAPON_UNKNOWN */
    double tof_s, range_m;
    unsigned basis;           /* TL_BASIS_* bits */
    size_t n_zones;
    size_t zones[TL_MAX_EVENT_ZONES];
    char salvo[TL_ID_MAX];    /* salvo group id, "" if a single round */
};

/** Quality of one station as judged from its residuals. */
struct tl_station_qc {
    char station[TL_STATION_ID_MAX];
    long n_picks;             /* picks received */
    long n_used;              /* picks used by events */
    double median_residual_s; /* over the whole run */
    double mad_residual_s;
    double clock_offset_s;    /* estimated offset while flagged, else 0 */
    bool clock_flag;          /* a clock offset was detected and corrected for */
    bool misfit_flag;         /* residuals misfit persistently: down-weighted */
    tl_time_ns flag_from_ns, flag_to_ns; /* when the flag applied */
    long n_down;              /* status records saying down */
    long n_outage_s;          /* seconds reported down */
};

/** Counters of the input, for the bulletin and the tools. */
struct tl_input_stats {
    long lines;               /* records offered */
    long picks, mets, statuses;
    long duplicates;          /* records seen before (not counted twice) */
    long malformed;           /* rejected by the parser */
    long unknown_station;     /* naming a station not in the mission */
    long shock_picks;
};

/** Tunable parameters.  tl_pipeline_params_default fills in the documented defaults. */
struct tl_pipeline_params {
    int min_stations;          /* stations an event needs (default 5) */
    double max_range_m;        /* farthest station considered for a source (default 60 km) */
    double speed_tol_mps;      /* association tolerance on the effective sound speed (default 2) */
    double wind_prior_mps;     /* 1-sigma of the met-model wind error per component (default 1.5) */
    double temp_prior_c;       /* 1-sigma of the met-model temperature error (default 1.0) */
    double side_threshold;     /* side_p needed to name a side (default 0.95) */
    double downwind_gain;      /* downward refraction: extra speed of a path per m/s of surface
                                * wind blowing along it, source to station (default 0.3) */
    double max_rms_s;          /* most an event's arrivals may scatter about its fit, rms: a
                                * candidate beyond is taken for a chance alignment (default
                                * 0.15; docs/processing.md section 9) */
    int threads;               /* worker threads (default 2) */
    double segment_s;          /* association runs in segments between seams this far apart in
                                * UTC, side by side on the threads; 0: one chain through the run
                                * (default 10800; a multiple of 60, at least 600; docs/
                                * processing.md section 3) */
};

TL_API void tl_pipeline_params_default(struct tl_pipeline_params *p);

struct tl_pipeline;

/**
 * Create a pipeline for a mission.
 * @param mission  borrowed; must outlive the pipeline.
 * @param params   optional (NULL gives the defaults); copied.
 * @param out      receives the pipeline (caller owns; tl_pipeline_free).
 * @return TL_OK, TL_EINVAL (bad parameters) or TL_ENOMEM.
 */
TL_API int tl_pipeline_new(const struct tl_mission *mission,
                           const struct tl_pipeline_params *params,
                           struct tl_pipeline **out);

TL_API void tl_pipeline_free(struct tl_pipeline *p);

/**
 * Feed one parsed record (copied).  A record seen before (a pick with the same
 * station and id, or with the same station and time when it has no id; a met or
 * status record with the same station, type and time) is counted once.
 * @return TL_OK, TL_EDUP for a duplicate (not an error for callers that count),
 *         TL_ENOTFOUND when the station is not in the mission, TL_ENOMEM.
 */
TL_API int tl_pipeline_add(struct tl_pipeline *p, const struct tl_record *rec);

/**
 * Feed a JSON Lines file of records.  Malformed lines are reported through
 * `report` (file:line: reason) and skipped; with `strict`, the first one stops
 * the read and is returned.
 * @param report   optional callback called once per rejected line with its diagnostic.
 * @return TL_OK, the first error under `strict`, TL_EIO or TL_ENOMEM.
 */
TL_API int tl_pipeline_add_file(struct tl_pipeline *p,
                                const char *path,
                                bool strict,
                                void (*report)(void *ud, const struct tl_diag *d),
                                void *ud);

/**
 * Process what has been fed.  Events whose origin time is before `until_ns`
 * minus the longest acoustic travel time are final for this run; pass INT64_MAX
 * to process everything (batch).  May be called again after more records: the
 * results are recomputed where new records change them, revisions counted.
 * @return TL_OK or TL_ENOMEM.
 */
TL_API int tl_pipeline_run(struct tl_pipeline *p, tl_time_ns until_ns);

/** Results of the last run; owned by the pipeline, valid until the next run or free. */
TL_API const struct tl_event *tl_pipeline_events(const struct tl_pipeline *p, size_t *n);
TL_API const struct tl_finding *tl_pipeline_findings(const struct tl_pipeline *p, size_t *n);
TL_API const struct tl_station_qc *tl_pipeline_station_qc(const struct tl_pipeline *p, size_t *n);
TL_API const struct tl_input_stats *tl_pipeline_input_stats(const struct tl_pipeline *p);

/** What the last run's association left or refused (docs/processing.md §3). */
struct tl_assoc_stats {
    long capped_blocks;       /* tile-blocks whose search stopped at its work cap (the weakest
                               * candidates there were not tried) */
    long refused_rms;         /* candidates refused because their arrivals scattered more
                               * than tl_pipeline_params.max_rms_s about their fit */
    long seam_dropped;        /* events of a segment dropped at the merge because the segment
                               * before had given one of their picks away (docs/processing.md
                               * section 3); their blocks are searched again */
};

/** The last run's association statistics (zero before a run). */
TL_API const struct tl_assoc_stats *tl_pipeline_assoc_stats(const struct tl_pipeline *p);
/** Time span of the records fed (earliest and latest record time). */
TL_API void tl_pipeline_span(const struct tl_pipeline *p, tl_time_ns *from_ns, tl_time_ns *to_ns);

/**
 * What association learns of a tile's propagation from its well-heard events, as it goes
 * through the records in time (docs/processing.md §3): the met model's error common to the
 * tile's paths (speed and wind), how far single events scatter around it, and the timing
 * error left from path to path.  A run starts each tile from the priors, or from a state
 * handed over from a run that went before (tl_pipeline_set_learnt_start): a new day, or the
 * live server's next slice, need not learn it all again from nothing.
 */
struct tl_tile_learnt {
    double dc_mps;            /* correction of the speed of sound */
    double dwind_e_mps, dwind_n_mps; /* correction of the wind (towards east, north) */
    double sd_dc_mps, sd_wind_mps;   /* single events' scatter around them */
    double path_err_s_per_km; /* path-to-path timing error left, as association's windows allow */
    double path_sd_s_per_km;  /* the same as the locator weighs it: the residuals' spread
                               * beyond each pick's own error and turbulence */
    double events;            /* well-heard events learnt from (0 for the priors) */
};

/**
 * Keep, at every later run, the tiles' learnt state as association had it when it reached
 * time t_ns (before its first block of origin times at or after t_ns; INT64_MAX: at the end).
 */
TL_API void tl_pipeline_learnt_keep_at(struct tl_pipeline *p, tl_time_ns t_ns);
/**
 * The first block of origin times a run of p's parameters associates when its records start
 * at t_ns: t_ns less the longest travel time, on the block grid.  A run handing its state to
 * a later one whose records start at t_ns keeps it there (tl_pipeline_learnt_keep_at), so
 * that no event is learnt from twice.
 */
TL_API tl_time_ns tl_pipeline_first_block(const struct tl_pipeline *p, tl_time_ns t_ns);
/** That state from the last run, one per tile; *n = 0 if the run did not reach the time.
 *  Owned by the pipeline, valid until the next run or free. */
TL_API const struct tl_tile_learnt *tl_pipeline_learnt(const struct tl_pipeline *p, size_t *n);
/**
 * Start every later run's tiles from state l (n tiles: as many as the mission's line makes,
 * tl_pipeline_tile_count) instead of the priors; l NULL and n 0 return to the priors.
 * @return TL_OK, TL_EINVAL (wrong count, or a value out of its range) or TL_ENOMEM.
 */
TL_API int tl_pipeline_set_learnt_start(struct tl_pipeline *p, const struct tl_tile_learnt *l,
                                        size_t n);
/** How many tiles the mission's line is cut into (docs/processing.md §2). */
TL_API size_t tl_pipeline_tile_count(const struct tl_pipeline *p);

/**
 * The learnt state as a file (docs/formats.md, "Learnt state"): written atomically, `at_ns`
 * the time it was kept at (INT64_MAX: the end of a run); read and parsed, each tile's
 * values checked against their ranges (TL_EPARSE with the file and field in d).  *out is
 * allocated (tl_free).
 */
TL_API int tl_learnt_write(const char *path, const struct tl_tile_learnt *l, size_t n,
                           tl_time_ns at_ns, struct tl_diag *d);
TL_API int tl_learnt_read(const char *path, struct tl_tile_learnt **out, size_t *n,
                          struct tl_diag *d);
TL_API int tl_learnt_parse(const char *buf, size_t len, const char *name,
                           struct tl_tile_learnt **out, size_t *n, struct tl_diag *d);

struct tl_bulletin;
/**
 * The bulletin of the last run, for tl_bulletin_write or tl_bulletin_dump: the mission, the
 * span of the records, events, findings, the station quality report and the input counters,
 * all borrowed from `p` (valid until the next run or free).  generated_ns is left 0
 * (reproducible files); set it to stamp the bulletin.
 */
TL_API void tl_pipeline_bulletin(const struct tl_pipeline *p, struct tl_bulletin *out);

/** Names used in bulletins. */
TL_API const char *tl_class_name(enum tl_event_class c);
TL_API const char *tl_side_name(enum tl_side s);
TL_API const char *tl_review_status_name(enum tl_review_status s);

#ifdef __cplusplus
}
#endif
#endif
