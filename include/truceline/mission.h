/*
 * truceline/mission.h - the mission file: contact line, stations, zones, places.
 *
 * A mission file (formats.md section 1) is a GeoJSON FeatureCollection with a
 * foreign member "mission".  The loader validates the whole file and lists
 * every problem at once (feature index, field, reason), because an operator
 * fixing a 70-station file wants one report, not seventy runs.  A loaded
 * mission is immutable and may be shared between threads.
 */
#ifndef TRUCELINE_MISSION_H
#define TRUCELINE_MISSION_H

#include <truceline/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TL_STATION_ID_MAX 6  /* SEED station code: 1-5 characters A-Z 0-9, plus NUL */
#define TL_ID_MAX         65 /* other ids: [A-Za-z0-9._:-]{1,64}, plus NUL */
#define TL_MAX_ELEMENTS   16 /* microphones in one station array */

enum tl_sensor { TL_SENSOR_ACOUSTIC = 0, TL_SENSOR_INFRASOUND = 1, TL_SENSOR_SEISMIC = 2 };

/** Sides of the contact line, seen walking along it in the order of its coordinates. */
enum tl_side { TL_SIDE_LEFT = -1, TL_SIDE_AMBIGUOUS = 0, TL_SIDE_RIGHT = 1 };

/** What the agreement forbids in a zone (bit mask). */
#define TL_FORBID_FIRE          1u
#define TL_FORBID_IMPACT        2u
#define TL_FORBID_HEAVY_WEAPONS 4u

/** A sensor station.  Plain value, owned by the mission. */
struct tl_station {
    char id[TL_STATION_ID_MAX];
    double lat_deg, lon_deg, elev_m;
    enum tl_sensor sensor;
    size_t n_elements;                      /* 0: no array; else element offsets below */
    double element_m[TL_MAX_ELEMENTS][3];   /* east, north, up offsets; element 0 first */
    char contingent[3];                     /* ISO 3166-1 alpha-2, or "" */
    bool has_key;
    unsigned char key[32];                  /* Ed25519 public key when has_key */
    enum tl_side side;                      /* computed: the side of the line it stands on */
    double dist_to_line_m;                  /* computed: distance to the contact line */
};

/** A zone of the agreement.  Owned by the mission; geometry is held internally. */
struct tl_zone {
    char id[TL_ID_MAX];
    const char *name;
    unsigned forbid; /* TL_FORBID_* bits */
};

/** A named place used to describe locations. */
struct tl_place {
    const char *name;
    double lat_deg, lon_deg;
};

struct tl_mission;

/** Most problems one load reports (the rest are counted). */
#define TL_MISSION_MAX_PROBLEMS 200

/** The problems found in a mission file, each "feature N: field: reason". */
struct tl_mission_problems {
    size_t n;          /* problems stored in `text` */
    size_t n_total;    /* problems found (may exceed n) */
    char text[TL_MISSION_MAX_PROBLEMS][160];
};

/**
 * Load and validate a mission file.
 * @param path      the file (borrowed).
 * @param out       receives the mission (caller owns; tl_mission_free).
 * @param problems  optional: every problem found (caller-provided storage).
 * @return TL_OK; TL_EIO when unreadable; TL_EPARSE when not JSON; TL_EINVAL when
 *         the mission breaks a rule (listed in `problems`); TL_ENOMEM.
 */
TL_API int tl_mission_load(const char *path,
                           struct tl_mission **out,
                           struct tl_mission_problems *problems);

/** Same as tl_mission_load from a buffer of `len` bytes; `name` is used in messages. */
TL_API int tl_mission_load_buffer(const char *buf,
                                  size_t len,
                                  const char *name,
                                  struct tl_mission **out,
                                  struct tl_mission_problems *problems);

/** Free a mission; NULL is a no-op. */
TL_API void tl_mission_free(struct tl_mission *m);

/* Accessors.  Returned pointers are owned by the mission and live as long as it. */
TL_API const char *tl_mission_name(const struct tl_mission *m);
TL_API const char *tl_mission_party(const struct tl_mission *m, enum tl_side side);
TL_API bool tl_mission_illustrative(const struct tl_mission *m);
TL_API size_t tl_mission_station_count(const struct tl_mission *m);
TL_API const struct tl_station *tl_mission_station(const struct tl_mission *m, size_t i);
/** Index of station `id` (exact match), or -1. O(log n). */
TL_API long tl_mission_find_station(const struct tl_mission *m, const char *id);
TL_API size_t tl_mission_zone_count(const struct tl_mission *m);
TL_API const struct tl_zone *tl_mission_zone(const struct tl_mission *m, size_t i);
TL_API size_t tl_mission_place_count(const struct tl_mission *m);
TL_API const struct tl_place *tl_mission_place(const struct tl_mission *m, size_t i);
/** The contact line's vertices (lat, lon pairs), `*n` set to their count. */
TL_API const double (*tl_mission_line(const struct tl_mission *m, size_t *n))[2];
/** The original file's bytes (for logging the mission), and their length. */
TL_API const char *tl_mission_source(const struct tl_mission *m, size_t *len);

/** True when `id` is a valid SEED station code (1-5 of A-Z 0-9). */
TL_API bool tl_valid_station_id(const char *id);
/** True when `id` matches [A-Za-z0-9._:-]{1,64}. */
TL_API bool tl_valid_id(const char *id);

#ifdef __cplusplus
}
#endif
#endif
