/*
 * truceline/record.h - station records: pick, met and status (formats.md section 2).
 *
 * One JSON Lines record becomes one struct tl_record, validated field by field
 * for type and range.  Optional numeric fields that are absent are NAN, so a
 * consumer can tell "not measured" from zero.  Unknown fields are ignored here
 * (the store keeps the raw line, so they survive re-emission).
 */
#ifndef TRUCELINE_RECORD_H
#define TRUCELINE_RECORD_H

#include <truceline/mission.h>

#ifdef __cplusplus
extern "C" {
#endif

enum tl_record_type { TL_REC_PICK = 0, TL_REC_MET = 1, TL_REC_STATUS = 2 };

/** Default pick uncertainty when a record gives no sigma_s (formats.md). */
#define TL_PICK_DEFAULT_SIGMA_S 0.02
/** Bearing uncertainty assumed when a pick has baz_deg without baz_sigma_deg. */
#define TL_PICK_DEFAULT_BAZ_SIGMA_DEG 10.0

struct tl_pick {
    char station[TL_STATION_ID_MAX];
    char id[TL_ID_MAX];       /* "" when the record has none */
    tl_time_ns t_ns;          /* onset time */
    double sigma_s;           /* 1-sigma of t_ns (default 0.02) */
    double snr_db, amp_pa, freq_hz, dur_s; /* NAN when absent */
    double baz_deg, baz_sigma_deg;         /* NAN when absent */
    bool shock;
};

struct tl_met {
    char station[TL_STATION_ID_MAX];
    tl_time_ns t_ns;
    double temp_c, wind_mps, wind_from_deg, rh_pct, pressure_hpa; /* NAN when absent */
};

enum tl_station_state {
    TL_STATE_UP = 0,
    TL_STATE_DOWN = 1,
    TL_STATE_TAMPER = 2,
    TL_STATE_CLOCK_UNSYNC = 3,
    TL_STATE_LOW_POWER = 4
};

struct tl_status {
    char station[TL_STATION_ID_MAX];
    tl_time_ns t_ns;
    enum tl_station_state state;
    char note[256];
};

struct tl_record {
    enum tl_record_type type;
    union {
        struct tl_pick pick;
        struct tl_met met;
        struct tl_status status;
    } u;
};

/**
 * Parse and validate one record.
 * @param line     the JSON text (borrowed), `len` bytes.
 * @param mission  optional: when given, a station that is not in it is rejected
 *                 with TL_ENOTFOUND (field "station").
 * @param out      receives the record; untouched on failure.
 * @param diag     optional: field and reason on failure (file/line are left as set).
 * @return TL_OK, TL_EPARSE (not JSON or a field of the wrong type), TL_ERANGE (a
 *         value out of range), TL_ENOTFOUND (unknown station).  Thread-safe.
 */
TL_API int tl_record_parse(const char *line,
                           size_t len,
                           const struct tl_mission *mission,
                           struct tl_record *out,
                           struct tl_diag *diag);

/** The station id and time of any record. */
TL_API const char *tl_record_station(const struct tl_record *r);
TL_API tl_time_ns tl_record_time(const struct tl_record *r);

/** Name of a state ("up", "down", ...). */
TL_API const char *tl_state_name(enum tl_station_state s);

#ifdef __cplusplus
}
#endif
#endif
