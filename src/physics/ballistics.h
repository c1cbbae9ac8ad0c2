/*
 * ballistics.h - internal access to the point-mass trajectory model of
 * ballistics.c, for the simulator (which needs the whole flight path to place
 * ballistic shock waves, not only its time of flight).  Not installed.
 */
#ifndef TL_PHYSICS_BALLISTICS_H
#define TL_PHYSICS_BALLISTICS_H

#include <truceline/physics.h>

#include <stddef.h>

/* One point of a trajectory: time since firing, down-range distance and
 * height above the firing point, speed and its components, and the ISA speed
 * of sound at that height. */
struct tl__traj_pt {
    double t_s, x_m, z_m;
    double v_mps, vx_mps, vz_mps;
    double c_mps;
};

/*
 * Fly weapon `w` with charge `charge` (0 = full) at elevation `elev_deg` and
 * store a point every `dt_s` (>= 0.01) until it returns to the firing height;
 * the last point is the ground crossing, interpolated.  At most `cap` points
 * are stored (the flight is then cut short); `*n` receives the count.
 * Returns TL_OK, or TL_EINVAL for an unknown weapon, charge or argument.
 * Thread-safe.
 */
int tl__trajectory(enum tl_weapon w,
                   size_t charge,
                   double elev_deg,
                   double dt_s,
                   struct tl__traj_pt *pts,
                   size_t cap,
                   size_t *n);

/* The elevations (degrees) at which the class is fired: mortars 45-85,
 * howitzers up to 70, the Grad launcher up to 55 (the model itself knows no
 * such limits: tl_tof_charge_s reports both branches whatever the class). */
void tl__weapon_elev_limits(enum tl_weapon w, double *lo_deg, double *hi_deg);

#endif
