/*
 * sim_priv.h - the simulator's internals, shared by the files of src/sim/.
 *
 * The simulator runs in stages, one file each: presets (sim.c), the weather
 * field (weather.c), the scenario of batteries, fire missions and events
 * (scenario.c), propagation to the stations and picking (propagate.c),
 * ballistic shock cues (shock.c), station faults and delivery (deliver.c), the
 * mirror mission and the writers (output.c).  Every stage draws from its own
 * random stream (xoshiro256** seeded through splitmix64 from the seed and a
 * stream number), so that changing one stage does not reshuffle the others,
 * and the output is a function of the arguments alone.
 *
 * Inside the simulator, time is seconds since the scenario's start (double:
 * 1e-11 s resolution over a week) and space is a local east-north-up frame
 * (struct tl_enu) centred on the stations, in metres.
 */
#ifndef TL_SIM_PRIV_H
#define TL_SIM_PRIV_H

#include <truceline/geo.h>
#include <truceline/sim.h>

#include "../util/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

/* ----------------------------------------------------------------- rng -- */

struct rng {
    uint64_t s[4];
};

static inline uint64_t
rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna, 2018). */
static inline uint64_t
rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng_rotl(s[3], 45);
    return result;
}

static inline uint64_t
splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Seed stream `stream` of seed `seed`. */
static inline void
rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * UINT64_C(0xD1B54A32D192ED03));
    for (int i = 0; i < 4; i++) {
        r->s[i] = splitmix64(&x);
    }
}

/* Uniform in [0, 1), 53 bits. */
static inline double
rng_u(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static inline double
rng_range(struct rng *r, double a, double b)
{
    return a + (b - a) * rng_u(r);
}

/* Integer in [a, b]. */
static inline int
rng_int(struct rng *r, int a, int b)
{
    return a + (int)(rng_u(r) * (double)(b - a + 1));
}

static inline bool
rng_bern(struct rng *r, double p)
{
    return rng_u(r) < p;
}

/* Standard normal (Box-Muller; one value per call, so no hidden state). */
static inline double
rng_normal(struct rng *r)
{
    double u1 = 1.0 - rng_u(r); /* (0, 1] */
    double u2 = rng_u(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static inline double
rng_exp(struct rng *r, double mean)
{
    return -mean * log(1.0 - rng_u(r));
}

static inline double
rng_loguniform(struct rng *r, double a, double b)
{
    return a * exp(log(b / a) * rng_u(r));
}

/* Random streams. */
enum {
    STREAM_WEATHER = 1,
    STREAM_STATIONS = 2,
    STREAM_SCENARIO = 3,
    STREAM_PROPAGATE = 4,
    STREAM_SHOCK = 5,
    STREAM_FALSE = 6,
    STREAM_FAULTS = 7,
    STREAM_MET = 8,
    STREAM_DELIVER = 9
};

/* ------------------------------------------------------------- presets -- */

struct tl__preset {
    const char *name;
    /* weather */
    double wind_lo_mps, wind_hi_mps;
    double cloud;            /* 0 clear .. 1 overcast: diurnal cycle, inversions */
    double front_p;          /* probability of a front passing during the day */
    double ambient_factor;   /* ambient noise (activity, vehicles) */
    /* fire, missions per side per day */
    double mortar_per_day, howitzer_per_day, mlrs_per_day, other_per_day;
    double rounds_scale;     /* 1 = full fire missions; < 1 = a few rounds */
    double retaliation_p;    /* a mission draws counter-battery fire */
    double side_a_share;     /* share of missions fired by the left side */
    double min_events_per_day;
    /* stations and delivery */
    double false_per_hour;   /* false picks per station per hour (at 3 m/s wind) */
    double false_shock_per_day;
    int outages;             /* station outages */
    int clock_faults;
    int backlogs;            /* link failures with late, bursty delivery */
    double dup_p;            /* a record is delivered twice */
    double late_p;           /* a record is delivered minutes late */
    bool mirror;
};

const struct tl__preset *tl__preset_find(const char *name);

/* ------------------------------------------------------------- weather -- */

struct wx_wave {
    double kx, ky, amp, phase;
};

#define WX_WAVES 4

struct tl__weather {
    /* grid of surface fields: [it][iy][ix] */
    double x0, y0, dx;
    size_t nx, ny, nt;
    double t0_s, dt_s;
    float *temp, *u, *v, *rh;
    /* parameters */
    double hour0;            /* local solar hour at the start */
    double t_mean_c, diurnal_k, trend_k_per_day;
    double gx, gy;           /* temperature gradient, K/m */
    struct wx_wave tw[WX_WAVES], uw[WX_WAVES], vw[WX_WAVES];
    double wind0_mps, wind_dir_to_rad; /* the wind blows toward this direction */
    double speed_grad;       /* relative change of speed per metre along the wind */
    double cloud;
    double rh0, p_sl_hpa, p_trend_hpa_per_day;
    bool front;
    double front_t_s, front_speed_mps, front_nx, front_ny, front_width_m, front_x, front_y;
    double front_dt_k, front_veer_rad, front_speed_factor, front_dp_hpa;
    double duct_night_m;
    double ambient_factor;
};

struct wx_point {
    double temp_c, u_mps, v_mps, rh_pct; /* u east, v north: where the wind blows to */
};

int tl__wx_init(struct tl__weather *wx, const struct tl__preset *p, uint64_t seed,
                double lon_deg, tl_time_ns start_ns, double hours, double xmin, double xmax,
                double ymin, double ymax);
void tl__wx_fini(struct tl__weather *wx);
/* The surface field from the grid (fast). */
void tl__wx_at(const struct tl__weather *wx, double x, double y, double t_s, struct wx_point *o);
/* The surface field computed directly (exact; used to fill the grid). */
void tl__wx_exact(const struct tl__weather *wx, double x, double y, double t_s,
                  struct wx_point *o);
double tl__wx_front_phase(const struct tl__weather *wx, double x, double y, double t_s);
double tl__wx_pressure_hpa(const struct tl__weather *wx, double x, double y, double t_s,
                           double elev_m);
double tl__wx_insolation(const struct tl__weather *wx, double t_s);
double tl__wx_stability(const struct tl__weather *wx, double t_s);
double tl__wx_local_hour(const struct tl__weather *wx, double t_s);

/* Near-ground vertical structure at a time and wind speed. */
struct wx_vertical {
    double dtdz_k_per_m;     /* temperature gradient */
    double shear_per_s;      /* dU/dz per m/s of surface wind */
    double mu2;              /* variance of the acoustic refractive index (turbulence) */
    double duct_m;           /* depth of the layer a downward-refracted ray can use */
};
void tl__wx_vertical(const struct tl__weather *wx, double t_s, double wind_mps,
                     struct wx_vertical *o);
/* RMS noise (Pa) at a site of factor 1 with this local wind. */
double tl__wx_noise_pa(const struct tl__weather *wx, double t_s, double wind_mps);
/* Its two parts: ambient (activity) and wind noise, combined as sqrt(a^2 + w^2). */
void tl__wx_noise_parts(const struct tl__weather *wx, double t_s, double wind_mps, double *amb_pa,
                        double *wind_pa);
/* Speed of sound in moist air (virtual temperature). */
double tl__sound_speed_moist(double temp_c, double rh_pct, double pressure_hpa);

/* ----------------------------------------------------------- the world -- */

#define FAULT_OUTAGE 0
#define FAULT_CLOCK  1
#define FAULT_LINK   2

struct fault {
    size_t station;
    int kind;
    double from_s, to_s;
    double offset_s;         /* clock */
    bool announced;          /* the station reported it (down / clock_unsync) */
};

struct station {
    const struct tl_station *st;
    double p[3];             /* ENU */
    double site_gain_db;     /* terrain, mounting */
    double az_a[3], az_ph[3];/* azimuth-dependent terrain screening, dB */
    double noise_factor;
    double orient_bias_deg;  /* array orientation survey error */
    double temp_bias_c, rad_factor, wind_dir_bias_deg, rh_bias_pct;
    bool array;
    long next_pick_no;
};

/* What the propagation needs of an event beyond its public record. */
struct ev_int {
    double p[3];             /* ENU */
    double f0_hz;            /* dominant frequency at the source */
    double dur0_s;           /* signal duration at the source */
    double dir_db;           /* directivity: +dir_db forward, -dir_db backward */
    double fire_az_rad;      /* firing direction (ENU azimuth) for directivity */
    double onset_db;         /* SNR penalty of an emergent onset (rocket motors) */
    /* for shock cues: the flight of a supersonic projectile (launch events) */
    long impact;             /* paired impact, -1 */
    double elev_deg;
    double land_p[3];        /* where it lands (ENU) */
};

struct met_rec {
    struct tl_met met;
    double t_s;              /* true time */
    size_t station;
};

struct status_rec {
    struct tl_status status;
    double t_s;
    size_t station;
    double deliver_s;        /* < 0: deliver at once */
};

/* One delivery of a record. */
struct delivery {
    double t_s;              /* delivery time */
    uint32_t seq;            /* tie-break: generation order */
    uint8_t type;            /* 0 pick, 1 met, 2 status */
    uint32_t idx;
};

struct tl_sim {
    struct tl_sim_config cfg;
    const struct tl__preset *P;
    char *mission_bytes;
    size_t mission_len;
    struct tl_mission *m;
    struct tl_enu enu;
    size_t ns;
    struct station *st;
    double line_len_m;
    struct tl__weather wx;

    struct tl_sim_event *ev;
    struct ev_int *evi;
    size_t nev, cap_ev, cap_evi;
    long n_salvos;

    struct tl_sim_pick *pk;
    size_t *pk_station;
    size_t npk, cap_pk, cap_pks;

    struct met_rec *met;
    size_t nmet, cap_met;
    struct status_rec *stat;
    size_t nstat, cap_stat;
    struct fault *faults;
    size_t nfault, cap_fault;
    struct delivery *dl;
    size_t ndl, cap_dl;

    struct tl_sim_stats stats;
};

/* Stages. */
int tl__sim_scenario(struct tl_sim *s);
int tl__sim_faults(struct tl_sim *s);
int tl__sim_propagate(struct tl_sim *s);
int tl__sim_shock(struct tl_sim *s, struct rng *r, size_t launch);

/*
 * Every arrival of the scenario at every station, picked or not, for the
 * waveform synthesis (waveform.c).  tl__sim_arrivals replays the propagation
 * and shock stages with their own random streams, so it finds exactly the
 * arrivals (times, levels, directions) that tl_sim_generate drew, without
 * keeping them in memory when no waveforms are asked for.
 */
struct tl__arrival {
    size_t station;
    long event;              /* -1: the transient behind a false pick */
    int phase;               /* enum tl_sim_phase */
    double t_s;              /* true arrival (true clock) */
    double snr_db, amp_pa, freq_hz, dur_s;
    double baz_app_deg;      /* direction it seems to come from (true north), NAN unknown */
    double baz_geo_deg;      /* geometric direction of the source or emission point */
    double elev_deg;         /* elevation of the ray at the station (shock: from above) */
    double dist_m;
    double onset_db;         /* emergent onset (rocket motor) */
    bool detected;           /* the simulator's picker picked it (before masking) */
};

struct tl__arrivals {
    struct tl__arrival *a;
    size_t n, cap;
};

int tl__sim_arrivals(const struct tl_sim *s, struct tl__arrivals *out);
int tl__sim_shock_arrivals(const struct tl_sim *s, struct rng *r, size_t launch,
                           struct tl__arrivals *all);
int tl__arrival_push(struct tl__arrivals *all, const struct tl__arrival *a);
int tl__sim_false_picks(struct tl_sim *s);
int tl__sim_met(struct tl_sim *s);
int tl__sim_deliver(struct tl_sim *s);
int tl__sim_mirror_mission(const struct tl_mission *m, char **bytes, size_t *len);

/* Helpers shared by the stages. */
int tl__sim_add_pick(struct tl_sim *s, size_t station, const struct tl_sim_pick *p);
int tl__sim_add_status(struct tl_sim *s, size_t station, double t_s, enum tl_station_state st,
                       const char *note, double deliver_s);
tl_time_ns tl__sim_ns(const struct tl_sim *s, double t_s);
double tl__sim_clock(const struct tl_sim *s, size_t station, double t_s);
bool tl__sim_down(const struct tl_sim *s, size_t station, double t_s);
void tl__sim_geo(const struct tl_sim *s, const double p[3], double *lat, double *lon);
/* Expected pick 1-sigma (s) for a given SNR (dB) above threshold. */
double tl__pick_sigma_s(double snr_db);
/* Bearing 1-sigma (deg) for a given SNR. */
double tl__baz_sigma_deg(double snr_db);

#define DETECT_SNR_DB 10.0 /* picker threshold (STA/LTA about 3) */
#define MAX_PATH_M    60000.0

#endif
