/*
 * scenario.c - who fires what, from where, at what, and when.
 *
 * Both sides hold batteries along the whole line (and up to 12 km beyond its
 * ends, whose fire lands inside the network while its launches are heard by
 * few stations): mortar platoons of 2-4 tubes 0.3-4 km behind the line,
 * howitzer batteries of 2-6 guns 3-24 km behind (122 mm D-30 3-12 km,
 * 152 mm 4-20 km, a tenth of them 20-24 km deep, at the edge of the network's
 * hearing), and Grad launchers that move after every salvo (5-15 km deep,
 * "shoot and scoot").  Guns stand 20-150 m apart.
 *
 * A fire mission: a battery picks a target across the line, 0.2-10 km deep
 * and within its reach (8% of missions fire at a target on their own side:
 * fire that does not cross the line).  Howitzers often adjust first (one or
 * two single rounds a minute or two apart, off target), then fire for effect:
 * volleys of every gun, 10-30 s apart (sustained rates of 2A65/D-30 batteries),
 * guns firing within 3 s of each other; mortars fire volleys 4-12 s apart; a
 * Grad salvo is up to 40 rockets 0.5 s apart, 20 s in all [S31].  A volley of
 * two or more rounds, and a Grad salvo, is a truth `salvo`.  Some missions
 * draw counter-battery fire from the other side minutes later, aimed at the
 * firing position with a few hundred metres of error.
 *
 * Each round: the crew's charge (the lowest that reaches, sometimes the next
 * one up), the elevation and time of flight from the ballistic model
 * (physics.h), the impact dispersed about the aim point as artillery fire is
 * (range and deflection errors growing with range: about 0.4%/0.15% of range
 * for howitzers, 1.2%/0.6% for mortars and rockets), and the time of flight
 * spread by a per-mission factor (charge temperature, propellant lot, winds
 * aloft: sigma 5%, clipped at +-12%) and 0.4% per round, inside the model's
 * stated +-15%.  3% of shells and bombs and 6% of rockets are duds (a launch
 * with no impact).  Explosions with no launch (class `other`): demolitions of
 * 2-40 kg, mostly by day, and anti-tank mines (5-8 kg), either side.
 *
 * Activity follows the pattern of ceasefire violations reported by
 * monitoring missions: a peak in the hours around dawn and a larger one from
 * dusk to midnight (research/missions.md), a quieter afternoon.
 *
 * Source strengths: a detonation's TNT equivalent is its filling; a muzzle
 * blast is given the charge that makes it as loud at 10 km as research
 * section 2.2 finds (a full-charge 152 mm blast about 3 kg, scaling with the
 * propellant's energy, v0 squared; the 120 mm tank gun's 200 Pa at 450 m
 * gives 3.6 kg for its 8 kg of propellant, so about 0.45 kg per kg of
 * propellant: 0.18 kg for a 120 mm mortar's 0.4 kg, 0.02 kg for an 82 mm
 * mortar's 50 g); a rocket's launch is a 1.5-2.5 s roar with an emergent
 * onset, loudest to the rear, about 0.6 kg.  Dominant frequency
 * 63 Hz x W^(-1/3) (research section 2.1, [S12]).
 */
#include "sim_priv.h"

#include "../physics/ballistics.h"

#include <string.h>

#define MAX_EVENTS 5000000u

struct battery {
    enum tl_side side;
    enum tl_weapon w;
    double ch_m, depth_m;
    int guns;
    double gun_lat[6], gun_lon[6];
    double lat, lon;
    int id;
};

struct line_geo {
    size_t nv;
    const double (*v)[2];
    double *seg_m, *azi, *azi_end, *cum;
    double len_m;
};

struct scen {
    struct tl_sim *s;
    struct rng r;
    struct line_geo lg;
    struct battery *bat;
    size_t nbat, cap_bat;
    double h_s;   /* scenario length */
    double tof_factor;
};

/* ----------------------------------------------------------- the line -- */

static int
line_init(struct line_geo *g, const struct tl_mission *m)
{
    memset(g, 0, sizeof(*g));
    g->v = tl_mission_line(m, &g->nv);
    if (g->nv < 2) {
        return TL_EINVAL;
    }
    size_t ns = g->nv - 1;
    g->seg_m = tl_calloc(ns, sizeof(double));
    g->azi = tl_calloc(ns, sizeof(double));
    g->azi_end = tl_calloc(ns, sizeof(double));
    g->cum = tl_calloc(g->nv, sizeof(double));
    if (!g->seg_m || !g->azi || !g->azi_end || !g->cum) {
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < ns; i++) {
        tl_geo_inverse(g->v[i][0], g->v[i][1], g->v[i + 1][0], g->v[i + 1][1], &g->seg_m[i],
                       &g->azi[i], &g->azi_end[i]);
        g->cum[i + 1] = g->cum[i] + g->seg_m[i];
    }
    g->len_m = g->cum[ns];
    return TL_OK;
}

static void
line_fini(struct line_geo *g)
{
    tl_free(g->seg_m);
    tl_free(g->azi);
    tl_free(g->azi_end);
    tl_free(g->cum);
}

/* The point `off_m` to side `side` of chainage `ch_m` (beyond the ends: the end segments extended). */
static void
line_point(const struct line_geo *g, double ch_m, enum tl_side side, double off_m, double *lat,
           double *lon)
{
    double plat, plon, azi;
    size_t last = g->nv - 2;
    if (ch_m <= 0.0) {
        tl_geo_direct(g->v[0][0], g->v[0][1], g->azi[0] + 180.0, -ch_m, &plat, &plon);
        azi = g->azi[0];
    } else if (ch_m >= g->len_m) {
        tl_geo_direct(g->v[last + 1][0], g->v[last + 1][1], g->azi_end[last], ch_m - g->len_m,
                      &plat, &plon);
        azi = g->azi_end[last];
    } else {
        size_t i = 0;
        while (i < last && ch_m > g->cum[i + 1]) {
            i++;
        }
        double a2;
        tl_geo_direct(g->v[i][0], g->v[i][1], g->azi[i], ch_m - g->cum[i], &plat, &plon);
        tl_geo_inverse(plat, plon, g->v[i + 1][0], g->v[i + 1][1], NULL, &azi, &a2);
        if (g->cum[i + 1] - ch_m < 1.0) {
            azi = g->azi_end[i];
        }
    }
    double perp = azi + (side == TL_SIDE_LEFT ? -90.0 : 90.0);
    tl_geo_direct(plat, plon, perp, off_m, lat, lon);
}

/* ------------------------------------------------------------- events -- */

static double
terrain_elev(const struct tl_sim *s, const double p[3])
{
    /* Inverse-distance weighting of the stations' heights, plus gentle relief. */
    double wsum = 0.0, hsum = 0.0;
    for (size_t i = 0; i < s->ns; i++) {
        double dx = p[0] - s->st[i].p[0], dy = p[1] - s->st[i].p[1];
        double w = 1.0 / (dx * dx + dy * dy + 1e6);
        wsum += w;
        hsum += w * s->st[i].st->elev_m;
    }
    double relief = 15.0 * sin(p[0] / 3100.0) * cos(p[1] / 4300.0) + 8.0 * sin(p[1] / 1700.0 + 1.0);
    return fmax(0.0, (wsum > 0.0 ? hsum / wsum : 150.0) + relief);
}

static int
add_event(struct scen *c, double t_s, double lat, double lon, enum tl_sim_class cls,
          enum tl_weapon w, long *idx)
{
    struct tl_sim *s = c->s;
    int rc = tl__grow((void **)&s->ev, &s->cap_ev, s->nev + 1, sizeof(*s->ev), MAX_EVENTS);
    if (rc == TL_OK) {
        rc = tl__grow((void **)&s->evi, &s->cap_evi, s->nev + 1, sizeof(*s->evi), MAX_EVENTS);
    }
    if (rc != TL_OK) {
        return rc;
    }
    struct tl_sim_event *e = &s->ev[s->nev];
    struct ev_int *ei = &s->evi[s->nev];
    memset(e, 0, sizeof(*e));
    memset(ei, 0, sizeof(*ei));
    e->lat_deg = lat;
    e->lon_deg = lon;
    e->cls = cls;
    e->weapon = w;
    e->pair = -1;
    e->salvo = -1;
    e->charge = -1;
    ei->impact = -1;
    tl_enu_from_geo(&s->enu, lat, lon, 0.0, ei->p);
    e->elev_m = terrain_elev(s, ei->p);
    tl_enu_from_geo(&s->enu, lat, lon, e->elev_m, ei->p);
    struct tl_line_pos lp;
    tl_mission_line_pos(s->m, lat, lon, &lp);
    e->side = lp.side;
    e->dist_to_line_m = lp.dist_m;
    /* Relative to the start until finish_events makes it absolute. */
    e->t_ns = (tl_time_ns)llround(t_s * 1e9);
    *idx = (long)s->nev;
    s->nev++;
    return TL_OK;
}

static void
set_source(struct scen *c, long idx, double tnt_kg, double dur0_s, double dir_db, double onset_db,
           const char *source)
{
    struct tl_sim_event *e = &c->s->ev[idx];
    struct ev_int *ei = &c->s->evi[idx];
    e->tnt_kg = tnt_kg;
    e->source = source;
    ei->f0_hz = 63.0 * pow(tnt_kg, -1.0 / 3.0);
    ei->dur0_s = dur0_s;
    ei->dir_db = dir_db;
    ei->onset_db = onset_db;
}

/* ---------------------------------------------------------- batteries -- */

static int
add_battery(struct scen *c, enum tl_side side, enum tl_weapon w, double ch_m, double depth_m,
            int guns, struct battery **out)
{
    int rc = tl__grow((void **)&c->bat, &c->cap_bat, c->nbat + 1, sizeof(*c->bat), 100000);
    if (rc != TL_OK) {
        return rc;
    }
    struct battery *b = &c->bat[c->nbat];
    memset(b, 0, sizeof(*b));
    b->side = side;
    b->w = w;
    b->ch_m = ch_m;
    b->depth_m = depth_m;
    b->guns = guns;
    b->id = (int)c->nbat + 1;
    line_point(&c->lg, ch_m, side, depth_m, &b->lat, &b->lon);
    double spacing = rng_range(&c->r, 20.0, 150.0);
    if (w == TL_WEAPON_MORTAR_82 || w == TL_WEAPON_MORTAR_120) {
        spacing = rng_range(&c->r, 20.0, 60.0);
    }
    for (int g = 0; g < guns; g++) {
        double along = ((double)g - 0.5 * (double)(guns - 1)) * spacing;
        line_point(&c->lg, ch_m + along, side, depth_m + rng_range(&c->r, -15.0, 15.0),
                   &b->gun_lat[g], &b->gun_lon[g]);
    }
    c->nbat++;
    *out = b;
    return TL_OK;
}

static double
line_ch_random(struct scen *c)
{
    /* Mostly along the line, some beyond its ends. */
    return rng_range(&c->r, -12000.0, c->lg.len_m + 12000.0);
}

static int
make_batteries(struct scen *c)
{
    const struct tl__preset *P = c->s->P;
    double scale = P->mortar_per_day + P->howitzer_per_day < 5.0 ? 0.5 : 1.0;
    for (int sd = 0; sd < 2; sd++) {
        enum tl_side side = sd == 0 ? TL_SIDE_LEFT : TL_SIDE_RIGHT;
        int nm = (int)(12.0 * scale), nh = (int)(9.0 * scale);
        for (int i = 0; i < nm; i++) {
            bool m82 = rng_bern(&c->r, 0.5);
            enum tl_weapon w = m82 ? TL_WEAPON_MORTAR_82 : TL_WEAPON_MORTAR_120;
            double depth = m82 ? rng_range(&c->r, 300.0, 2500.0) : rng_range(&c->r, 500.0, 4000.0);
            struct battery *b;
            int rc = add_battery(c, side, w, line_ch_random(c), depth, rng_int(&c->r, 2, 4), &b);
            if (rc != TL_OK) {
                return rc;
            }
        }
        for (int i = 0; i < nh; i++) {
            bool h122 = rng_bern(&c->r, 0.45);
            enum tl_weapon w = h122 ? TL_WEAPON_HOWITZER_122 : TL_WEAPON_HOWITZER_152;
            double depth = h122 ? rng_range(&c->r, 3000.0, 12000.0)
                                : (rng_bern(&c->r, 0.1) ? rng_range(&c->r, 20000.0, 24000.0)
                                                        : rng_range(&c->r, 4000.0, 20000.0));
            struct battery *b;
            int rc = add_battery(c, side, w, line_ch_random(c), depth, rng_int(&c->r, 2, 6), &b);
            if (rc != TL_OK) {
                return rc;
            }
        }
    }
    return TL_OK;
}

/* ------------------------------------------------------------- firing -- */

/* The charge a crew uses at this range: the lowest that reaches (90% of its
 * maximum), sometimes one up; elevation within the class's limits. */
static bool
choose_charge(struct scen *c, enum tl_weapon w, double range_m, bool high, int *charge)
{
    double lo, hi;
    tl__weapon_elev_limits(w, &lo, &hi);
    size_t n = tl_weapon_charges(w);
    int found = -1;
    for (size_t k = n; k-- > 0;) {
        double mr, t, e;
        tl_max_range_m(w, k, &mr);
        if (k > 0 && range_m > 0.9 * mr) {
            continue;
        }
        if (tl_tof_charge_s(w, k, range_m, high, &t, &e) == TL_OK && e >= lo + 1.0 &&
            e <= hi - 1.0) {
            found = (int)k;
            break;
        }
    }
    if (found < 0) {
        return false;
    }
    if (found > 0 && rng_bern(&c->r, 0.2)) {
        double t, e;
        if (tl_tof_charge_s(w, (size_t)found - 1, range_m, high, &t, &e) == TL_OK &&
            e >= lo + 1.0 && e <= hi - 1.0) {
            found--;
        }
    }
    *charge = found;
    return true;
}

static double
local_hour(const struct tl_sim *s, double t_s)
{
    return tl__wx_local_hour(&s->wx, t_s);
}

/* Relative intensity of fire by local hour: dawn and dusk-to-midnight peaks. */
static double
intensity(double h)
{
    double d1 = (h - 6.5) / 1.5, d2 = (h - 20.5) / 2.2, d3 = (h + 24.0 - 20.5) / 2.2;
    return 0.45 + 0.9 * exp(-d1 * d1) + 1.1 * (exp(-d2 * d2) + exp(-d3 * d3));
}

#define INTENSITY_MAX  1.6
#define INTENSITY_MEAN 0.73

/* One round from gun `g` of battery `b` at time t toward aim point (lat, lon). */
static int
fire_round(struct scen *c, const struct battery *b, int g, double t_s, double aim_lat,
           double aim_lon, int charge, bool high, double disp_range, double disp_defl, long salvo,
           int battery_id)
{
    struct tl_sim *s = c->s;
    enum tl_weapon w = b->w;
    const struct tl_weapon_info *info = tl_weapon_get(w);
    double glat = b->gun_lat[g], glon = b->gun_lon[g];
    double range, az, az2;
    tl_geo_inverse(glat, glon, aim_lat, aim_lon, &range, &az, &az2);
    /* Dispersion about the aim point. */
    double dr = rng_normal(&c->r) * disp_range * range;
    double dd = rng_normal(&c->r) * (disp_defl * range + 5.0);
    double ilat, ilon, rr = fmax(range + dr, 100.0);
    double az_imp = az + dd / fmax(range, 100.0) * 180.0 / M_PI;
    tl_geo_direct(glat, glon, az_imp, rr, &ilat, &ilon);
    double tof, elev;
    if (tl_tof_charge_s(w, (size_t)charge, rr, high, &tof, &elev) != TL_OK &&
        tl_tof_charge_s(w, (size_t)charge, range, high, &tof, &elev) != TL_OK) {
        return TL_OK; /* cannot happen: the charge was chosen for this range */
    }
    tof *= c->tof_factor * (1.0 + 0.004 * rng_normal(&c->r));

    long li;
    int rc = add_event(c, t_s, glat, glon, TL_SIM_LAUNCH, w, &li);
    if (rc != TL_OK) {
        return rc;
    }
    /* The muzzle velocity ratio of the charge, near enough from the ranges' ratio. */
    double mr0, mrc;
    tl_max_range_m(w, 0, &mr0);
    tl_max_range_m(w, (size_t)charge, &mrc);
    double vfrac = sqrt(mrc / mr0);
    bool mortar = w == TL_WEAPON_MORTAR_82 || w == TL_WEAPON_MORTAR_120;
    bool rocket = w == TL_WEAPON_MLRS_122;
    double w_launch = w == TL_WEAPON_HOWITZER_152   ? 3.0
                      : w == TL_WEAPON_HOWITZER_122 ? 1.8
                      : w == TL_WEAPON_MORTAR_120   ? 0.18
                      : w == TL_WEAPON_MORTAR_82    ? 0.02
                                                    : 0.6;
    if (!rocket) {
        w_launch *= vfrac * vfrac;
    }
    set_source(c, li, w_launch, rocket ? rng_range(&c->r, 1.5, 2.5) : (mortar ? 0.05 : 0.08),
               rocket ? -3.0 : (mortar ? 2.0 : 4.0), rocket ? 6.0 : 0.0,
               rocket ? "rocket" : (mortar ? "mortar" : "gun"));
    struct tl_sim_event *le = &s->ev[li];
    le->salvo = salvo;
    le->battery = battery_id;
    le->charge = charge;
    le->high_angle = high;
    le->range_m = rr;
    le->tof_s = tof;
    le->azimuth_deg = fmod(az_imp + 360.0, 360.0);
    s->evi[li].fire_az_rad = 0.0;
    s->evi[li].elev_deg = elev;
    {
        double ip[3];
        tl_enu_from_geo(&s->enu, ilat, ilon, 0.0, ip);
        s->evi[li].fire_az_rad = atan2(ip[0] - s->evi[li].p[0], ip[1] - s->evi[li].p[1]);
    }
    tl_enu_from_geo(&s->enu, ilat, ilon, s->ev[li].elev_m, s->evi[li].land_p);
    double dud_p = rocket ? 0.06 : 0.03;
    if (rng_bern(&c->r, dud_p)) {
        return TL_OK; /* a dud: it flies (and cracks overhead) but does not go off */
    }
    long ii;
    rc = add_event(c, t_s + tof, ilat, ilon, TL_SIM_IMPACT, w, &ii);
    if (rc != TL_OK) {
        return rc;
    }
    set_source(c, ii, info->tnt_kg * rng_range(&c->r, 0.9, 1.1),
               0.05 + 0.02 * cbrt(info->tnt_kg), 0.0, 0.0,
               rocket ? "rocket" : (mortar ? "bomb" : "shell"));
    le = &s->ev[li];
    struct tl_sim_event *ie = &s->ev[ii];
    ie->salvo = salvo;
    ie->battery = battery_id;
    ie->charge = charge;
    ie->high_angle = high;
    ie->range_m = rr;
    ie->tof_s = tof;
    ie->azimuth_deg = le->azimuth_deg;
    ie->pair = li;
    le->pair = ii;
    s->evi[li].impact = ii;
    memcpy(s->evi[li].land_p, s->evi[ii].p, sizeof(s->evi[li].land_p));
    return TL_OK;
}

/* A target for battery b: across the line (or, with own_side, on its own side), in reach. */
static bool
pick_target(struct scen *c, const struct battery *b, bool own_side, bool high, double *lat,
            double *lon, int *charge)
{
    const struct tl_weapon_info *info = tl_weapon_get(b->w);
    enum tl_side other = b->side == TL_SIDE_LEFT ? TL_SIDE_RIGHT : TL_SIDE_LEFT;
    for (int tries = 0; tries < 40; tries++) {
        double ch = b->ch_m + 4000.0 * rng_normal(&c->r);
        double depth;
        enum tl_side side;
        if (own_side) {
            side = b->side;
            depth = rng_range(&c->r, 300.0, b->depth_m + 5000.0);
        } else {
            side = other;
            double dmax = fmin(10000.0, info->max_range_m - b->depth_m);
            if (dmax < 200.0) {
                return false;
            }
            depth = rng_range(&c->r, 200.0, dmax);
        }
        line_point(&c->lg, ch, side, depth, lat, lon);
        double range = tl_geo_dist_m(b->lat, b->lon, *lat, *lon);
        if (range < info->min_range_m || range > 0.97 * info->max_range_m) {
            continue;
        }
        if (choose_charge(c, b->w, range, high, charge)) {
            return true;
        }
    }
    return false;
}

static void
dispersion(enum tl_weapon w, double *range_frac, double *defl_frac)
{
    if (w == TL_WEAPON_HOWITZER_122 || w == TL_WEAPON_HOWITZER_152) {
        *range_frac = 0.004;
        *defl_frac = 0.0015;
    } else {
        *range_frac = 0.012;
        *defl_frac = 0.006;
    }
}

static int
scale_rounds(struct scen *c, int n)
{
    double x = (double)n * c->s->P->rounds_scale;
    int k = (int)x;
    if (rng_bern(&c->r, x - (double)k)) {
        k++;
    }
    return k < 1 ? 1 : k;
}

/* A mission by battery b at time t; `aim` given for counter-battery fire. */
static int
fire_mission(struct scen *c, struct battery *b, double t_s, const double *aim_latlon)
{
    struct tl_sim *s = c->s;
    bool mortar = b->w == TL_WEAPON_MORTAR_82 || b->w == TL_WEAPON_MORTAR_120;
    bool high = mortar || rng_bern(&c->r, 0.05);
    double tlat, tlon;
    int charge;
    if (aim_latlon) {
        tlat = aim_latlon[0];
        tlon = aim_latlon[1];
        double range = tl_geo_dist_m(b->lat, b->lon, tlat, tlon);
        const struct tl_weapon_info *info = tl_weapon_get(b->w);
        if (range < info->min_range_m || range > 0.97 * info->max_range_m ||
            !choose_charge(c, b->w, range, high, &charge)) {
            return TL_OK;
        }
    } else if (!pick_target(c, b, rng_bern(&c->r, 0.08), high, &tlat, &tlon, &charge)) {
        if (high && !mortar) {
            high = false;
            if (!pick_target(c, b, false, false, &tlat, &tlon, &charge)) {
                return TL_OK;
            }
        } else {
            return TL_OK;
        }
    }
    /* Per-mission spread of the time of flight: sigma 5%, within +-12%. */
    c->tof_factor = 1.0 + fmin(0.12, fmax(-0.12, 0.05 * rng_normal(&c->r)));
    double dr, dd;
    dispersion(b->w, &dr, &dd);
    int rc = TL_OK;
    double t = t_s;
    if (!mortar && rng_bern(&c->r, 0.3)) {
        /* Adjusting rounds: one gun, off target, a minute or two apart. */
        int nadj = rng_int(&c->r, 1, 2);
        for (int k = 0; k < nadj && rc == TL_OK; k++) {
            double alat, alon;
            tl_geo_direct(tlat, tlon, rng_range(&c->r, 0.0, 360.0), fabs(150.0 * rng_normal(&c->r)),
                          &alat, &alon);
            rc = fire_round(c, b, 0, t, alat, alon, charge, high, dr, dd, -1, b->id);
            t += rng_range(&c->r, 60.0, 150.0);
        }
    }
    int guns = b->guns;
    if (s->P->rounds_scale < 0.5) {
        guns = rng_int(&c->r, 1, guns < 2 ? guns : 2);
    }
    int volleys = scale_rounds(c, rng_int(&c->r, 1, mortar ? 5 : 6));
    double interval = mortar ? rng_range(&c->r, 4.0, 12.0) : rng_range(&c->r, 10.0, 30.0);
    for (int v = 0; v < volleys && rc == TL_OK; v++) {
        long salvo = guns >= 2 ? ++s->n_salvos : -1;
        for (int g = 0; g < guns && rc == TL_OK; g++) {
            double tg = t + v * interval + rng_range(&c->r, 0.0, mortar ? 2.0 : 3.0);
            rc = fire_round(c, b, g, tg, tlat, tlon, charge, high, dr, dd, salvo, b->id);
        }
    }
    return rc;
}

static int
mlrs_salvo(struct scen *c, enum tl_side side, double t_s)
{
    struct battery *b;
    int rc = add_battery(c, side, TL_WEAPON_MLRS_122, line_ch_random(c),
                         rng_range(&c->r, 5000.0, 15000.0), 1, &b);
    if (rc != TL_OK) {
        return rc;
    }
    double tlat, tlon;
    int charge;
    if (!pick_target(c, b, rng_bern(&c->r, 0.04), false, &tlat, &tlon, &charge)) {
        return TL_OK;
    }
    c->tof_factor = 1.0 + fmin(0.12, fmax(-0.12, 0.05 * rng_normal(&c->r)));
    int n = c->s->P->rounds_scale >= 1.0 && rng_bern(&c->r, 0.7) ? 40 : rng_int(&c->r, 10, 40);
    long salvo = ++c->s->n_salvos;
    for (int k = 0; k < n && rc == TL_OK; k++) {
        double tk = t_s + 0.5 * k + 0.05 * rng_normal(&c->r);
        rc = fire_round(c, b, 0, tk, tlat, tlon, charge, false, 0.012, 0.006, salvo, b->id);
    }
    return rc;
}

static int
other_event(struct scen *c, double t_s)
{
    bool demolition = rng_bern(&c->r, 0.6);
    enum tl_side side = rng_bern(&c->r, 0.5) ? TL_SIDE_LEFT : TL_SIDE_RIGHT;
    double lat, lon;
    line_point(&c->lg, rng_range(&c->r, 0.0, c->lg.len_m), side, rng_range(&c->r, 0.0, 8000.0),
               &lat, &lon);
    long idx;
    int rc = add_event(c, t_s, lat, lon, TL_SIM_OTHER, TL_WEAPON_UNKNOWN, &idx);
    if (rc != TL_OK) {
        return rc;
    }
    double w = demolition ? rng_loguniform(&c->r, 2.0, 40.0) : rng_range(&c->r, 5.0, 8.0);
    set_source(c, idx, w, 0.05 + 0.02 * cbrt(w), 0.0, 0.0, demolition ? "demolition" : "mine");
    return TL_OK;
}

/* Next time of a Poisson process of `per_day` events per day with the diurnal intensity. */
static double
next_time(struct scen *c, double t_s, double per_day, bool daytime)
{
    double lambda_max = per_day / 86400.0 * INTENSITY_MAX / INTENSITY_MEAN;
    for (;;) {
        t_s += rng_exp(&c->r, 1.0 / lambda_max);
        if (t_s >= c->h_s) {
            return t_s;
        }
        double h = local_hour(c->s, t_s);
        double i = daytime ? (h > 7.0 && h < 18.0 ? INTENSITY_MAX : 0.15) : intensity(h);
        if (rng_u(&c->r) * INTENSITY_MAX < i) {
            return t_s;
        }
    }
}

static struct battery *
random_battery(struct scen *c, enum tl_side side, bool mortar)
{
    size_t tries = 0;
    while (tries++ < 1000) {
        struct battery *b = &c->bat[(size_t)(rng_u(&c->r) * (double)c->nbat)];
        bool bm = b->w == TL_WEAPON_MORTAR_82 || b->w == TL_WEAPON_MORTAR_120;
        if (b->side == side && b->w != TL_WEAPON_MLRS_122 && bm == mortar) {
            return b;
        }
    }
    return NULL;
}

/* Counter-battery fire from the other side at battery b, minutes later. */
static int
retaliate(struct scen *c, const struct battery *b, double t_s)
{
    enum tl_side other = b->side == TL_SIDE_LEFT ? TL_SIDE_RIGHT : TL_SIDE_LEFT;
    double t = t_s + rng_range(&c->r, 120.0, 900.0);
    if (t >= c->h_s) {
        return TL_OK;
    }
    double aim[2];
    tl_geo_direct(b->lat, b->lon, rng_range(&c->r, 0.0, 360.0), fabs(400.0 * rng_normal(&c->r)),
                  &aim[0], &aim[1]);
    for (int k = 0; k < 20; k++) {
        struct battery *r = random_battery(c, other, rng_bern(&c->r, 0.3));
        if (!r) {
            return TL_OK;
        }
        double range = tl_geo_dist_m(r->lat, r->lon, aim[0], aim[1]);
        const struct tl_weapon_info *info = tl_weapon_get(r->w);
        if (range >= info->min_range_m && range <= 0.97 * info->max_range_m) {
            return fire_mission(c, r, t, aim);
        }
    }
    return TL_OK;
}

/* --------------------------------------------------- ordering and ids -- */

struct order {
    tl_time_ns t;
    long idx;
};

static int
cmp_order(const void *a, const void *b)
{
    const struct order *x = a, *y = b;
    if (x->t != y->t) {
        return x->t < y->t ? -1 : 1;
    }
    return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

/* Sort the events by time (stable), remap pairs, convert times, name them. */
static int
finish_events(struct tl_sim *s)
{
    size_t n = s->nev;
    struct order *o = tl_calloc(n ? n : 1, sizeof(*o));
    long *newpos = tl_calloc(n ? n : 1, sizeof(long));
    struct tl_sim_event *ev = tl_calloc(n ? n : 1, sizeof(*ev));
    struct ev_int *evi = tl_calloc(n ? n : 1, sizeof(*evi));
    if (!o || !newpos || !ev || !evi) {
        tl_free(o);
        tl_free(newpos);
        tl_free(ev);
        tl_free(evi);
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        o[i].t = s->ev[i].t_ns;
        o[i].idx = (long)i;
    }
    qsort(o, n, sizeof(*o), cmp_order);
    for (size_t k = 0; k < n; k++) {
        newpos[o[k].idx] = (long)k;
    }
    for (size_t k = 0; k < n; k++) {
        ev[k] = s->ev[o[k].idx];
        evi[k] = s->evi[o[k].idx];
        if (ev[k].pair >= 0) {
            ev[k].pair = newpos[ev[k].pair];
        }
        if (evi[k].impact >= 0) {
            evi[k].impact = newpos[evi[k].impact];
        }
        snprintf(ev[k].id, sizeof(ev[k].id), "E%06zu", k + 1);
        /* t_ns held seconds * 1e9 since the start; make it absolute, in microseconds. */
        ev[k].t_ns = s->cfg.start_ns + (ev[k].t_ns / 1000) * 1000;
    }
    tl_free(s->ev);
    tl_free(s->evi);
    s->ev = ev;
    s->evi = evi;
    s->cap_ev = s->cap_evi = n ? n : 1;
    tl_free(o);
    tl_free(newpos);
    return TL_OK;
}

int
tl__sim_scenario(struct tl_sim *s)
{
    struct scen c;
    memset(&c, 0, sizeof(c));
    c.s = s;
    c.h_s = s->cfg.hours * 3600.0;
    c.tof_factor = 1.0;
    rng_seed(&c.r, s->cfg.seed, STREAM_SCENARIO);
    int rc = line_init(&c.lg, s->m);
    if (rc == TL_OK) {
        rc = make_batteries(&c);
    }
    const struct tl__preset *P = s->P;
    for (int sd = 0; sd < 2 && rc == TL_OK; sd++) {
        enum tl_side side = sd == 0 ? TL_SIDE_LEFT : TL_SIDE_RIGHT;
        double share = sd == 0 ? P->side_a_share : 1.0 - P->side_a_share;
        /* mortars, howitzers */
        for (int kind = 0; kind < 2 && rc == TL_OK; kind++) {
            double per_day = 2.0 * share * (kind == 0 ? P->mortar_per_day : P->howitzer_per_day);
            if (per_day <= 0.0) {
                continue;
            }
            for (double t = next_time(&c, 0.0, per_day, false); t < c.h_s && rc == TL_OK;
                 t = next_time(&c, t, per_day, false)) {
                struct battery *b = random_battery(&c, side, kind == 0);
                if (!b) {
                    break;
                }
                rc = fire_mission(&c, b, t, NULL);
                if (rc == TL_OK && rng_bern(&c.r, P->retaliation_p)) {
                    rc = retaliate(&c, b, t);
                }
            }
        }
        double per_day = 2.0 * share * P->mlrs_per_day;
        if (per_day > 0.0) {
            for (double t = next_time(&c, 0.0, per_day, false); t < c.h_s && rc == TL_OK;
                 t = next_time(&c, t, per_day, false)) {
                rc = mlrs_salvo(&c, side, t);
            }
        }
    }
    if (rc == TL_OK && P->other_per_day > 0.0) {
        for (double t = next_time(&c, 0.0, P->other_per_day, true); t < c.h_s && rc == TL_OK;
             t = next_time(&c, t, P->other_per_day, true)) {
            rc = other_event(&c, t);
        }
    }
    /* A preset that promises a number of events gets them (more fire missions). */
    double need = P->min_events_per_day * s->cfg.hours / 24.0;
    while (rc == TL_OK && (double)s->nev < need) {
        enum tl_side side = rng_bern(&c.r, P->side_a_share) ? TL_SIDE_LEFT : TL_SIDE_RIGHT;
        struct battery *b = random_battery(&c, side, rng_bern(&c.r, 0.4));
        if (!b) {
            break;
        }
        rc = fire_mission(&c, b, rng_range(&c.r, 0.0, c.h_s), NULL);
    }
    if (rc == TL_OK) {
        rc = finish_events(s);
    }
    tl_free(c.bat);
    line_fini(&c.lg);
    return rc;
}
