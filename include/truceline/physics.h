/*
 * truceline/physics.h - the physics shared by the simulator and the processing.
 *
 * Speed of sound from temperature, the effective speed along a path with wind,
 * and a ballistic time-of-flight model per weapon class.  Both the simulator
 * and the network processing call these, so they must stay basic and sourced
 * (research/acoustics.md sections 3 and 6): the simulator's world adds what
 * the processing does not assume (weather varying in space and time,
 * turbulence, per-round spread), or passing it would prove nothing.
 *
 * All functions are thread-safe; the ballistic tables are built once, lazily.
 */
#ifndef TRUCELINE_PHYSICS_H
#define TRUCELINE_PHYSICS_H

#include <truceline/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Speed of sound in still air, m/s: 20.05 * sqrt(T in kelvin). */
TL_API double tl_sound_speed_mps(double temp_c);

/**
 * Effective speed of sound along a horizontal path: c(T) + w . n, where n is the
 * unit vector of propagation (azimuth `path_azi_deg`, from source to receiver)
 * and w the wind vector (blowing *toward* wind_from_deg + 180).
 */
TL_API double tl_effective_speed_mps(double temp_c,
                                     double wind_mps,
                                     double wind_from_deg,
                                     double path_azi_deg);

/**
 * Atmospheric absorption of a pure tone, dB per km, from ISO 9613-1 (oxygen and
 * nitrogen relaxation): `freq_hz`, air temperature, relative humidity (%) and
 * pressure (hPa).  About 0.02-0.8 dB/km over the 20-150 Hz of artillery blasts.
 */
TL_API double tl_absorption_db_per_km(double freq_hz,
                                      double temp_c,
                                      double rh_pct,
                                      double pressure_hpa);

/** Weapon classes (their names are the `weapon` strings of truth and bulletins). */
enum tl_weapon {
    TL_WEAPON_MORTAR_82 = 0,
    TL_WEAPON_MORTAR_120 = 1,
    TL_WEAPON_HOWITZER_122 = 2,
    TL_WEAPON_HOWITZER_152 = 3,
    TL_WEAPON_MLRS_122 = 4,
    TL_WEAPON_COUNT = 5,
    TL_WEAPON_UNKNOWN = 99
};

/** What the ballistic model knows of a weapon class.  Plain value. */
struct tl_weapon_info {
    const char *name;        /* "mortar_82", "mortar_120", "howitzer_122", "howitzer_152", "mlrs_122" */
    double min_range_m;      /* shortest range it is used at */
    double max_range_m;      /* longest range (full charge) */
    double muzzle_mps;       /* muzzle velocity at full charge */
    bool supersonic;         /* projectile supersonic over most of the flight (shock cue) */
    bool high_angle;         /* normally fired at high angle (mortars) */
    double tnt_kg;           /* explosive fill, TNT equivalent, for source levels */
};

/** Information on a weapon class; NULL for an unknown value. */
TL_API const struct tl_weapon_info *tl_weapon_get(enum tl_weapon w);

/** The class named `name`, or TL_WEAPON_UNKNOWN. */
TL_API enum tl_weapon tl_weapon_from_name(const char *name);

/**
 * Nominal time of flight (s) for weapon `w` at horizontal range `range_m`, from
 * a point-mass trajectory (RK4, ISA density, Mach-dependent drag calibrated to
 * the class's maximum range).  `high_angle` selects the high-angle solution.
 * Charges: the lowest standard charge that reaches the range is used, as crews do.
 * Only elevations the class is fired at count: mortars 45-85 degrees (so a
 * mortar has no low-angle solution), howitzers up to 70, the Grad launcher up to 55.
 * @return TL_OK, or TL_ERANGE when the weapon cannot reach `range_m`.
 */
TL_API int tl_tof_s(enum tl_weapon w, double range_m, bool high_angle, double *tof_s);

/**
 * Bounds (s) on the time of flight at `range_m` over every charge and angle the
 * class is fired with, widened by the model's stated uncertainty (+-15%).  With
 * TL_WEAPON_UNKNOWN, the union over all classes that reach the range.  Used to
 * gate launch/impact pairs.
 * @return TL_OK, or TL_ERANGE when nothing reaches `range_m`.
 */
TL_API int tl_tof_bounds_s(enum tl_weapon w, double range_m, double *min_s, double *max_s);

/** Number of standard charges of the class (0 for an unknown value); charge 0 is full. */
TL_API size_t tl_weapon_charges(enum tl_weapon w);

/**
 * The trajectory model itself, for one charge (0 = full, then weaker ones) and
 * one branch (low or high angle), with no limit on the elevation (a mortar's
 * low-angle solution exists in the model although mortars are not fired so).
 * @param elev_deg  optional: receives the elevation of that solution.
 * @return TL_OK, TL_ERANGE when the charge cannot reach `range_m`, TL_EINVAL.
 */
TL_API int tl_tof_charge_s(enum tl_weapon w,
                           size_t charge,
                           double range_m,
                           bool high_angle,
                           double *tof_s,
                           double *elev_deg);

/** Maximum range (m) of the model for class `w` and charge `charge`; TL_EINVAL if unknown. */
TL_API int tl_max_range_m(enum tl_weapon w, size_t charge, double *range_m);

#ifdef __cplusplus
}
#endif
#endif
