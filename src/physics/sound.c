/*
 * sound.c - the speed of sound, its effective value along a path with wind,
 * and the absorption of sound by the air.
 *
 * Speed of sound in dry air: c = 20.05 * sqrt(T_K) m/s (research/acoustics.md
 * section 3.1; ShotSpotter Tech Note 098 uses 20.03, [S1]): 331.3 m/s at 0 C,
 * 343.3 m/s at 20 C.  A path's effective speed adds the wind component along
 * the direction of propagation, c_eff = c(T) + w . n (Negraru et al. 2010,
 * [S13]); the crosswind term is second order (0.3 ms/km at 5 m/s) and left out.
 *
 * Atmospheric absorption follows ISO 9613-1:1993 section 6 (the pure-tone
 * attenuation coefficient from the oxygen and nitrogen relaxation frequencies,
 * which depend on temperature, humidity and pressure).  At the 20-150 Hz of
 * artillery blasts it is small, 0.02-0.8 dB/km, but it is what shifts a
 * distant blast's dominant frequency down, and the simulator uses it.
 */
#include <truceline/physics.h>

#include <math.h>

double
tl_sound_speed_mps(double temp_c)
{
    double t_k = temp_c + 273.15;
    if (!(t_k > 0.0)) {
        return 0.0;
    }
    return 20.05 * sqrt(t_k);
}

double
tl_effective_speed_mps(double temp_c, double wind_mps, double wind_from_deg, double path_azi_deg)
{
    /* The wind blows toward wind_from + 180; its component along the path is
     * w * cos(path - (from + 180)) = -w * cos(path - from). */
    double d_rad = (path_azi_deg - wind_from_deg) * (M_PI / 180.0);
    return tl_sound_speed_mps(temp_c) - wind_mps * cos(d_rad);
}

double
tl_absorption_db_per_km(double freq_hz, double temp_c, double rh_pct, double pressure_hpa)
{
    const double t0_k = 293.15;  /* reference temperature */
    const double t01_k = 273.16; /* triple point of water */
    const double pr_kpa = 101.325;
    double t_k = temp_c + 273.15;
    double pa = pressure_hpa / 10.0 / pr_kpa; /* pressure relative to the reference */
    if (!(t_k > 150.0) || !(pa > 0.0) || !(freq_hz > 0.0)) {
        return 0.0;
    }
    double rh = fmin(fmax(rh_pct, 0.0), 100.0);
    /* Molar concentration of water vapour, percent (ISO 9613-1 annex B). */
    double c = -6.8346 * pow(t01_k / t_k, 1.261) + 4.6151;
    double h = rh * pow(10.0, c) / pa;
    double tr = t_k / t0_k;
    double fro = pa * (24.0 + 4.04e4 * h * (0.02 + h) / (0.391 + h));
    double frn = pa / sqrt(tr) * (9.0 + 280.0 * h * exp(-4.170 * (pow(tr, -1.0 / 3.0) - 1.0)));
    double f2 = freq_hz * freq_hz;
    double alpha_db_m =
        8.686 * f2 *
        (1.84e-11 / pa * sqrt(tr) +
         pow(tr, -2.5) * (0.01275 * exp(-2239.1 / t_k) / (fro + f2 / fro) +
                          0.1068 * exp(-3352.0 / t_k) / (frn + f2 / frn)));
    return alpha_db_m * 1000.0;
}
