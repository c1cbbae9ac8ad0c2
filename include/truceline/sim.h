/*
 * truceline/sim.h - the scenario simulator: a day of fire along a contact
 * line, heard by the mission's stations, with its ground truth.
 *
 * tl_sim_generate builds a world (weather varying in space and time, batteries
 * on both sides, fire missions, salvos, explosions with no launch), propagates
 * every blast to every station through that world (effective sound speed
 * integrated along the path, refraction, shadow zones, turbulence, absorption,
 * terrain), decides what each station detects and how well it picks it, adds
 * ballistic shock cues, echoes, false picks, station faults and the delays of
 * delivery, and keeps both what the stations would send (records) and what
 * really happened (truth).  docs/simulator.md describes the model and its
 * sources.  The same mission and configuration give the same bytes.
 */
#ifndef TRUCELINE_SIM_H
#define TRUCELINE_SIM_H

#include <truceline/mission.h>
#include <truceline/physics.h>
#include <truceline/record.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What to simulate.  Plain value. */
struct tl_sim_config {
    const char *preset; /* "calm", "busy", "windy", "faulty" or "mirror" */
    uint64_t seed;      /* any value; the same seed gives the same scenario */
    tl_time_ns start_ns;
    double hours;       /* length of the scenario, (0, 168] */
    bool events_only;   /* plan the events only: no propagation, picks or records */
};

/** The default start, 2026-03-01T00:00:00Z, and length (24 h). */
#define TL_SIM_DEFAULT_START_NS (INT64_C(1772323200) * TL_NS_PER_S)
#define TL_SIM_DEFAULT_HOURS    24.0

enum tl_sim_class { TL_SIM_LAUNCH = 0, TL_SIM_IMPACT = 1, TL_SIM_OTHER = 2 };

/** What a true pick is of: the blast (muzzle or detonation), the ballistic
 *  shock wave of a passing projectile, or a later echo of the blast. */
enum tl_sim_phase { TL_SIM_BLAST = 0, TL_SIM_SHOCK = 1, TL_SIM_ECHO = 2 };

/** A true event.  Owned by the simulation. */
struct tl_sim_event {
    char id[16];              /* "E000123" */
    tl_time_ns t_ns;          /* origin time */
    double lat_deg, lon_deg, elev_m;
    enum tl_sim_class cls;
    enum tl_side side;        /* from tl_mission_line_pos */
    double dist_to_line_m;
    enum tl_weapon weapon;    /* TL_WEAPON_UNKNOWN for class other */
    long pair;                /* index of the paired event, or -1 */
    long salvo;               /* salvo number (from 1), or -1 */
    size_t n_stations;        /* stations that picked its blast */
    double tnt_kg;            /* source strength (a launch: its muzzle blast's equivalent) */
    const char *source;       /* "gun", "mortar", "rocket", "shell", "bomb", "demolition", "mine" */
    int battery;              /* battery number (from 1) of a launch or impact, or 0 */
    int charge;               /* charge used (0 = full), -1 when not fired */
    bool high_angle;
    double range_m, tof_s;    /* launch-to-impact range and time of flight, 0 if none */
    double azimuth_deg;       /* firing azimuth of a launch or impact, else 0 */
};

/** A pick as sent (`pick`, station clock) and what it really is.  Owned by the simulation. */
struct tl_sim_pick {
    struct tl_pick pick;      /* the record (its time on the station's clock) */
    long event;               /* index of the true event, or -1 for a false pick */
    enum tl_sim_phase phase;
    tl_time_ns true_t_ns;     /* true arrival time (true clock, no pick error) */
    double snr_true_db;       /* true signal-to-noise ratio */
    double err_s;             /* pick time - true arrival, clock faults excluded */
    double clock_s;           /* clock offset of the station when picked */
    bool outlier;             /* a late outlier (the picker locked onto a later arrival) */
    double dist_m;            /* source-station distance (blast and echo), else 0 */
    double travel_s;          /* true travel time of the blast, else 0 */
    double ray_travel_s;      /* the deterministic part of travel_s: the effective speed
                                 (moist air, wind along the path) integrated along the path
                                 through the weather field, plus the refraction speed-up */
    double jitter_sigma_s;    /* 1-sigma of the random part, travel_s - ray_travel_s:
                                 turbulence, growing as the square root of the distance */
    double model_travel_s;    /* distance / tl_effective_speed_mps of the weather at the
                                 path's midpoint: what a simple straight-ray model predicts */
};

/** Weather at a point and time of the simulated world. */
struct tl_sim_weather {
    double temp_c, wind_mps, wind_from_deg, rh_pct, pressure_hpa;
    double dtdz_k_per_m;      /* near-ground temperature gradient (inversion > 0) */
    double shear_per_s;       /* near-ground wind shear per m/s of wind */
    double noise_pa;          /* RMS noise at a station here (no site factor) */
};

/** Counts of a simulation.  Plain value. */
struct tl_sim_stats {
    size_t events, launches, impacts, others, salvos;
    size_t heard5;            /* events whose blast was picked by >= 5 stations */
    size_t picks;             /* pick records (not counting duplicate deliveries) */
    size_t true_picks, false_picks, shock_picks, false_shock_picks, echo_picks, outliers;
    size_t met, status, records, duplicates, late;
    size_t faults;
};

struct tl_sim;

/**
 * Simulate.
 * @param mission  the mission (borrowed for the call; the simulation keeps a copy
 *                 of what it needs; for "mirror" it builds a variant).
 * @param cfg      what to simulate (borrowed).
 * @param out      receives the simulation, owned by the caller (tl_sim_free).
 * @return TL_OK, TL_EINVAL (unknown preset, hours out of range, no stations),
 *         TL_ENOMEM, TL_ETOOBIG (more than 50 million records).
 * Thread-safe (different simulations may run in parallel).
 */
TL_API int tl_sim_generate(const struct tl_mission *mission,
                           const struct tl_sim_config *cfg,
                           struct tl_sim **out);

/** Free a simulation; NULL is a no-op. */
TL_API void tl_sim_free(struct tl_sim *s);

/**
 * Write DIR/records.jsonl (in delivery order), DIR/truth.jsonl,
 * DIR/mission.geojson (the mission simulated) and DIR/scenario.json (the
 * configuration and the counts).  DIR must exist.
 * @return TL_OK, TL_EIO (with the reason in the log), TL_ENOMEM.
 */
TL_API int tl_sim_write(const struct tl_sim *s, const char *dir);

/** The mission simulated: the one given, or for "mirror" its variant.  Owned by `s`. */
TL_API const struct tl_mission *tl_sim_mission(const struct tl_sim *s);

TL_API const struct tl_sim_stats *tl_sim_stats(const struct tl_sim *s);
TL_API size_t tl_sim_event_count(const struct tl_sim *s);
TL_API const struct tl_sim_event *tl_sim_event(const struct tl_sim *s, size_t i);
/** Picks in the order of their station and time (each delivered once or more). */
TL_API size_t tl_sim_pick_count(const struct tl_sim *s);
TL_API const struct tl_sim_pick *tl_sim_pick(const struct tl_sim *s, size_t i);

/** The true weather at a point and time (any time; the field is defined everywhere). */
TL_API void tl_sim_weather_at(const struct tl_sim *s,
                              double lat_deg,
                              double lon_deg,
                              tl_time_ns t,
                              struct tl_sim_weather *out);

/** Station `i`'s clock offset (s) at true time `t`: non-zero during a clock fault. */
TL_API double tl_sim_clock_offset_s(const struct tl_sim *s, size_t station, tl_time_ns t);

/** True when station `i` is in an outage at true time `t`. */
TL_API bool tl_sim_station_down(const struct tl_sim *s, size_t station, tl_time_ns t);

/** The preset names, NULL-terminated. */
TL_API const char *const *tl_sim_presets(void);

/* ------------------------------------------------------------------------ */
/* Waveforms (src/sim/waveform.c, docs/detect.md)                            */
/* ------------------------------------------------------------------------ */

/**
 * An arrival in the synthetic waveforms: every blast, echo and N-wave that
 * reaches a station, picked by the simulator's picker or not, and the
 * transients (small arms, vehicles, gusts) behind its false picks.  Plain value.
 */
struct tl_sim_arrival {
    size_t station;           /* index in tl_sim_mission(s) */
    long event;               /* the true event, or -1 for a transient behind a false pick */
    enum tl_sim_phase phase;  /* blast, shock or echo (a transient: blast or shock) */
    tl_time_ns t_ns;          /* true arrival at the station's reference point (true clock) */
    tl_time_ns station_t_ns;  /* the same on the station's clock, as the waveform shows it */
    double snr_db;            /* the simulator's SNR (its trigger's view; shock: against HF noise) */
    double amp_pa, freq_hz, dur_s;
    double baz_deg;           /* direction synthesised across an array (apparent, with the
                                 array's orientation error), NAN without an array */
    double baz_true_deg;      /* geometric direction of the source (shock: emission point) */
    double elev_deg;          /* elevation of the incoming ray (shock: from above), else 0 */
    double dist_m;            /* source-station distance (shock: miss distance; transient: 300) */
    long pick;                /* index of the simulator's pick of it (tl_sim_pick), or -1 */
    bool emergent;            /* a rocket motor's emergent onset */
};

/** How to synthesise waveforms.  Plain value; start from tl_sim_waveform_config_default. */
struct tl_sim_waveform_config {
    double rate_hz;           /* samples per second (500) */
    double gain;              /* counts per pascal of the Steim-2 files (10000); 0: float32 pascal */
    const char *stations;     /* comma-separated station ids to synthesise; NULL: all */
    bool noise_only;          /* noise alone, no arrivals */
    bool interference;        /* the transients behind the false picks (true) */
};

TL_API void tl_sim_waveform_config_default(struct tl_sim_waveform_config *cfg);

struct tl_sim_waves;

/**
 * Prepare the synthesis of a simulation's waveforms.
 * @param s    the simulation (borrowed; must outlive the result).
 * @param cfg  NULL for the defaults.
 * @return TL_OK, TL_EINVAL (a rate below 50 Hz or above 20 kHz, an unknown
 *         station in `stations`), TL_ENOMEM.
 */
TL_API int tl_sim_waves_new(const struct tl_sim *s,
                            const struct tl_sim_waveform_config *cfg,
                            struct tl_sim_waves **out);

TL_API void tl_sim_waves_free(struct tl_sim_waves *w);

/** The arrivals synthesised (of the selected stations), by station and time. */
TL_API size_t tl_sim_waves_arrival_count(const struct tl_sim_waves *w);
TL_API const struct tl_sim_arrival *tl_sim_waves_arrival(const struct tl_sim_waves *w, size_t i);

/** True when station `station` is one of those selected. */
TL_API bool tl_sim_waves_selected(const struct tl_sim_waves *w, size_t station);

/**
 * Render `n` samples of every element of a station from true time `t0`, in
 * pascal; out[k] receives element k (max(1, n_elements) buffers of n floats).
 * Noise is a continuous process per element: calls for a station should
 * follow each other in time (a call that does not start where the last one
 * ended restarts it).  Outages and clock offsets are not applied here (the
 * writer applies them).  Deterministic for the same calls.
 */
TL_API int tl_sim_waves_render(struct tl_sim_waves *w,
                               size_t station,
                               tl_time_ns t0,
                               size_t n,
                               float *const *out);

/**
 * Add arrival `i`'s signal alone (no noise, no other arrival), as the
 * station's reference point hears it, to out[0..n) sampled from true time
 * `t0`: the same samples its share of tl_sim_waves_render holds (without an
 * array element's delay and scatter).  For measures of an arrival against
 * the others (bench_detect).
 * @return TL_OK, TL_EINVAL (no such arrival), TL_ENOMEM.
 */
TL_API int tl_sim_waves_render_arrival(struct tl_sim_waves *w, size_t i, tl_time_ns t0, size_t n,
                                       float *out);

/**
 * Write DIR/waveforms/: one miniSEED 2 file per station and hour
 * (STATION.YYYYMMDDTHH.mseed, network TL, location code = element, channel
 * ?DF with the band code of the rate, 512-byte records, Steim-2 counts or
 * float32 pascal, record times on the station's clock, no data during
 * outages), arrivals.jsonl (every arrival synthesised) and waveforms.json
 * (rate, gain, encoding).  DIR must exist.
 * @return TL_OK, TL_EINVAL (see tl_sim_waves_new), TL_EIO, TL_ENOMEM.
 */
TL_API int tl_sim_write_waveforms(const struct tl_sim *s,
                                  const char *dir,
                                  const struct tl_sim_waveform_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
