/*
 * pair.c - classify events, pair launches with impacts, attribute the firing side.
 *
 * A launch and its impact are two located events whose origin times differ by
 * the projectile's time of flight over the distance between them.  The impact
 * is often heard before the launch (the shell outruns its own muzzle blast), so
 * pairing is done on origin times, after location (research/acoustics.md 6.2).
 *
 * Candidate pairs (earlier event L, later event I): range R = |I - L| between
 * 300 m and the longest range of any class, and dt = t0(I) - t0(L) inside the
 * time-of-flight bounds of some weapon class at R (physics.h: every charge and
 * angle, +-15%).  The cost of a pair is the negative log-likelihood of its best
 * weapon hypothesis: dt against that class's nominal time of flight at R for
 * low and high angle, with a 12% model spread plus the origin-time
 * uncertainties and the range's (both locations' covariance along the line from
 * one to the other, times dtof/dR ~ tof/R): a poorly located event matches many
 * partners loosely, never one sharply.  Pairs are then chosen by a greedy minimum-cost assignment
 * (each event in at most one pair), which is exact when candidate pairs do not
 * compete and close to it otherwise.  Each pair takes its own best weapon, so two
 * rounds of one gun at one target a few seconds apart can come out crossed (the first
 * launch with the second impact, one a short time of flight, the other a long one);
 * rounds of one gun at one target fly the same time, so crossed pairs are uncrossed
 * (uncross()), and a battery's salvos at one aim point are paired again as a group at
 * the time of flight most of their couples agree on (fire_missions()).
 *
 * The probability that a chosen pairing is right weighs, at each end, its
 * time-of-flight likelihood (a density in 1/s) against its rivals' and
 * against "the partner was not heard, and this event is an unrelated one that
 * happened to fall in the window" - whose density is the local rate of events.
 * In quiet hours a match is telling; in a barrage, where events fall in every
 * window, it is not, and the probability says so.  The smaller of the two
 * ends' probabilities is used.  A pairing is right when launch and impact are
 * of one volley (formats.md section 5): the guns of a battery fire within
 * seconds of each other at one aim point and their rounds fly one time of
 * flight, so which launch went with which of the volley's impacts cannot be
 * told and need not be.  At each end the rivals of the same volley (the
 * launch with another impact at the aim point within VOLLEY_S, the impact with
 * another launch from the battery's place within VOLLEY_S) are the same answer
 * and count for it.  Weighed as rivals, they made a battery's sure pairings
 * look like one chance in its number of guns: on busy's seed 1, pairings at
 * 0.3-0.5 were right 74-80% of the time (Brier score 0.224, 0.145 now).
 *
 * Timing alone cannot tell a launch and its impact from two impacts (or two
 * launches) a time of flight apart.  Independent evidence multiplies the
 * pairing's odds: shock-wave picks (an N-wave of a supersonic projectile) at
 * stations along the path from the earlier event to the later one, between
 * the two origin times (acoustics.md section 2.4), count for it, and their
 * absence where stations were listening counts against it; so does the
 * earlier place's role in the other pairs (below).  A finding's confidence is
 * P(launch side) x P(pairing right), formats.md; `fired_from` is named only at
 * >= 0.95.  A finding is a claim that this launch fired this impact: a pairing
 * more likely wrong than right (below MIN_PUBLISHED_PAIR_P) makes none, and
 * its events name each other only as `pair_candidate`, with the probability.
 *
 * Two physical cues say which event can be which.  A rocket's launch roars for
 * 1-3 s, where a muzzle blast or a detonation is an impulse (acoustics.md 2.4):
 * an event whose arrivals are mostly long (roar()) is a rocket's launch and
 * never an impact, and an impulsive launch is not a rocket's.  And a place keeps
 * its role: guns fire again from the spot they stand on, aim points are hit
 * again.  The pairs are chosen twice; the second time each candidate also pays
 * for the roles its events' places took in the first choice (role_votes()).
 *
 * An event's class is not its pairing: a wrong partner often leaves the role
 * right (a launch paired with the wrong round of its battery is still a
 * launch).  So a paired event's class probability is the share of its
 * alternatives in which it plays the role the pair gives it, "not paired" a
 * coin toss, times the same evidence; and an event left unpaired takes the
 * role its place has in the pairs chosen, with the votes' odds, or stays
 * unknown at 0.5.
 */
#include "../pipeline/pipeline_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOF_SPREAD  0.12 /* relative 1-sigma of time of flight around the model */
#define NULL_COST   4.5  /* cost of "not paired": a 3-sigma deviation */
/* Chance that an event's partner was heard and located at all: an agnostic 0.5, not a
 * measured recall, so that a missing partner always stays a live alternative. */
#define P_DETECT    0.5
#define SHOCK_WINDOW_S  3.0   /* N-wave timing slack at a station under the path */
#define REPEAT_RADIUS_M 60.0
#define RATE_RADIUS_M   3000.0
#define MAX_DT_S    150.0
/* A place's role (role_votes()): the votes of the events there over +-ROLE_WINDOW_S, each
 * right 3 times in 4, the whole no surer than 19 to 1. */
#define ROLE_WINDOW_S 1800.0
#define ROLE_VOTE_LR  3.0
#define ROLE_MAX_LR   19.0
/* ... and in a finding's confidence at most this log-odds: the votes come from pairs chosen
 * with them, and a battery's pairs are right or wrong together, so they are not independent */
#define ROLE_CONF_LLR 1.0
/* A rocket motor's roar (roar()): arrivals this long, at this many stations at least. */
#define ROAR_MIN_S     1.5
#define ROAR_MIN_PICKS 3
#define MIN_RANGE_M 300.0
/* Rounds aimed at one point land within a few per cent of the range of it (probable error
 * in range about 0.5-1% for tube artillery and rockets, four of them hold almost all). */
#define AIM_SPREAD  0.04
/* A fire mission: the rounds of one battery at one aim point, linked over this long, fly one
 * time of flight, give or take the rounds' muzzle-velocity scatter (a fraction of a per cent,
 * TOF_JITTER taken wider) and MISSION_TOL_S for the events' own timing. */
#define MISSION_WINDOW_S 600.0
#define TOF_JITTER       0.01
#define MISSION_TOL_S    1.0
/* A volley: a battery's guns, tens to 150 m apart, fire within a few seconds of each other. */
#define VOLLEY_S  4.0
#define BATTERY_M 300.0
/* A pairing is published (a finding, each event naming the other) only when it is more likely
 * right than wrong. */
#define MIN_PUBLISHED_PAIR_P 0.5

struct cpair {
    size_t l, i;      /* event indices: launch (earlier), impact (later) */
    double cost;      /* tcost plus the role votes' cost (role_cost()) */
    double tcost;     /* the timing's cost: -log likelihood of dt under the best weapon */
    int weapon;
    double tof_model_s;
};

/* A candidate better than "not paired". */
static bool
acceptable(const struct cpair *c)
{
    return c->cost - log(TOF_SPREAD * c->tof_model_s) <= NULL_COST;
}

static int
cmp_cpair(const void *a, const void *b)
{
    const struct cpair *x = a, *y = b;
    if (x->cost != y->cost) {
        return x->cost < y->cost ? -1 : 1;
    }
    if (x->l != y->l) {
        return x->l < y->l ? -1 : 1;
    }
    return x->i < y->i ? -1 : (x->i > y->i);
}

/* East and north offsets (m) of (lat, lon) from (lat0, lon0) on a local flat frame: enough
 * for directions and distances of tens of km. */
static void
east_north_m(double lat0, double lon0, double lat, double lon, double *x, double *y)
{
    *x = (lon - lon0) * (cos(lat0 * M_PI / 180.0) * 111320.0);
    *y = (lat - lat0) * 110570.0;
}

/* Standard deviation of the distance between two events, from their covariances along
 * the line joining them (tile frames are local east-north-up: their small rotations
 * between tiles are ignored). */
static double
range_sigma_m(const struct tl__ev *L, const struct tl__ev *I)
{
    double ux, uy;
    east_north_m(L->pub.lat_deg, L->pub.lon_deg, I->pub.lat_deg, I->pub.lon_deg, &ux, &uy);
    double len = sqrt(ux * ux + uy * uy);
    if (len < 1.0) {
        return 0.0;
    }
    ux /= len;
    uy /= len;
    double v = 0.0;
    const struct tl__ev *e2[2] = {L, I};
    for (int j = 0; j < 2; j++) {
        const struct tl__ev *e = e2[j];
        v += ux * ux * e->cov[0][0] + 2.0 * ux * uy * e->cov[0][1] + uy * uy * e->cov[1][1];
    }
    return sqrt(fmax(v, 0.0));
}

/* Whether events a and b are certainly more than r_m apart.  A chord (the straight line
 * through the ground) is never longer than the geodesic, so a chord longer than r_m by a
 * millimetre, far above the rounding of either, settles a distance test without the geodesic
 * (Karney's, microseconds each, and the place tests below ask millions a busy day); false
 * says nothing, and a NaN position or radius gives false, leaving it to the geodesic. */
static bool
beyond(const struct tl__ev *a, const struct tl__ev *b, double r_m)
{
    double dx = a->chord_m[0] - b->chord_m[0], dy = a->chord_m[1] - b->chord_m[1];
    double dz = a->chord_m[2] - b->chord_m[2];
    return dx * dx + dy * dy + dz * dz > tl__sq(r_m + 1e-3);
}

/*
 * Whether an event's arrivals are a rocket motor's roar: +1 when most of its picks that give a
 * duration last ROAR_MIN_S or longer, -1 when most are shorter, 0 with fewer than ROAR_MIN_PICKS
 * durations.  A rocket's launch is a burn of 1-3 s, not a single impulse (acoustics.md 2.4);
 * a muzzle blast or a detonation lasts milliseconds at the source and tens to hundreds of
 * milliseconds after kilometres of propagation (2.1), rarely a second.
 */
static int
roar(const struct tl_pipeline *p, const struct tl__ev *e)
{
    size_t n = 0, k = 0;
    for (size_t j = 0; j < e->n_picks; j++) {
        float d = p->pk[e->picks[j]].dur_s;
        if (isfinite(d)) {
            n++;
            k += (double)d >= ROAR_MIN_S;
        }
    }
    if (n < ROAR_MIN_PICKS) {
        return 0;
    }
    return 2 * k > n ? 1 : -1;
}

/* Best weapon hypothesis for a pair whose launch's roar() is roar_l; returns its cost
 * (HUGE_VAL if none fits). */
static double
pair_cost(double range_m, double sig_r_m, double dt_s, double sig_t_s, int roar_l, int *weapon,
          double *tof_model)
{
    double best = HUGE_VAL;
    for (int w = 0; w < TL_WEAPON_COUNT; w++) {
        double lo, hi;
        const struct tl_weapon_info *wi = tl_weapon_get((enum tl_weapon)w);
        /* a rocket's launch roars, a gun's or a mortar's does not (roar()) */
        if ((roar_l > 0 && w != TL_WEAPON_MLRS_122) || (roar_l < 0 && w == TL_WEAPON_MLRS_122)) {
            continue;
        }
        /* a class is not fired below its minimum range (a howitzer at 300 m would
         * pair two impacts of one salvo) nor beyond its maximum */
        if (range_m < 0.8 * wi->min_range_m || range_m > 1.05 * wi->max_range_m ||
            tl_tof_bounds_s((enum tl_weapon)w, range_m, &lo, &hi) != TL_OK || dt_s < lo ||
            dt_s > hi) {
            continue;
        }
        for (int ang = 0; ang < 2; ang++) {
            if (ang == 0 && wi->high_angle) {
                continue; /* mortars are fired at high angle only */
            }
            double tof;
            if (tl_tof_s((enum tl_weapon)w, range_m, ang == 1, &tof) != TL_OK) {
                continue;
            }
            double sd = sqrt(tl__sq(TOF_SPREAD * tof) + tl__sq(sig_t_s) +
                             tl__sq(tof / range_m * sig_r_m));
            double z = (dt_s - tof) / sd;
            /* -log of a Gaussian density in dt, up to a constant shared by all pairs */
            double c = 0.5 * z * z + log(sd);
            if (c < best) {
                best = c;
                *weapon = w;
                *tof_model = tof;
            }
        }
    }
    return best;
}

/* What the stations under a round's path heard (shock_look()). */
struct shock_look {
    int near;  /* stations within 2 km of the path that were listening (picks within 10 min) */
    int hit;   /* of them, those with a shock pick in their window */
    double mu; /* shock picks chance would put in those windows */
};

/*
 * The stations under the path from L to I, and their shock picks.  A supersonic round from L
 * to I passes over the point a fraction u along the path at about t0(L) + u x tof; a station
 * within 2 km of the path hears its N-wave then, give or take the flight model's spread and
 * the wave's own travel (SHOCK_WINDOW_S), but never before t0(L): a round cannot be heard
 * before it is fired.  That bound matters near L, where the window would otherwise reach
 * back over the seconds before L - when a shell coming in to L, were L an impact, passes
 * (acoustics.md 2.4: the incoming N-wave just before a detonation).  Chance is each
 * station's own rate of shock picks (false ones, and other rounds' in a barrage) times its
 * window.  A station with no pick at all within 10 minutes was not listening.
 */
static struct shock_look
shock_look(const struct tl_pipeline *p, const struct tl__ev *L, const struct tl__ev *I)
{
    struct shock_look r = {0, 0, 0.0};
    double ix, iy;
    east_north_m(L->pub.lat_deg, L->pub.lon_deg, I->pub.lat_deg, I->pub.lon_deg, &ix, &iy);
    double len2 = ix * ix + iy * iy, tof = I->t0_s - L->t0_s;
    for (size_t s = 0; s < p->n_sta && len2 > 1.0; s++) {
        const struct tl_station *st = tl_mission_station(p->m, s);
        double sx, sy;
        east_north_m(L->pub.lat_deg, L->pub.lon_deg, st->lat_deg, st->lon_deg, &sx, &sy);
        double u = (sx * ix + sy * iy) / len2;
        if (u < 0.05 || u > 0.95) {
            continue;
        }
        double dx = sx - u * ix, dy = sy - u * iy;
        if (dx * dx + dy * dy > 2000.0 * 2000.0) {
            continue;
        }
        double pred = L->t0_s + u * tof, w = SHOCK_WINDOW_S + 0.15 * tof;
        double lo = fmax(pred - w, L->t0_s), hi = pred + w;
        const struct tl__sta_index *x = &p->sx[s];
        /* the first pick from 10 minutes before: is it within 10 minutes after? */
        size_t a = tl__sta_first_pick(p, x, pred - 600.0);
        bool listening = a < x->n_picks && tl__pk_time_s(p, x->picks[a]) <= pred + 600.0;
        int hit = 0;
        size_t around = 0;
        for (size_t j = 0; j < x->n_shocks; j++) {
            double t = tl__pk_time_s(p, x->shocks[j]);
            hit |= t >= lo && t <= hi;
            around += fabs(t - pred) <= 600.0;
        }
        listening = listening || around > 0;
        r.near += listening;
        r.hit += hit;
        r.mu += fmax((double)around / 1200.0, 1.0 / 86400.0) * (hi - lo);
    }
    return r;
}

/*
 * Evidence from shock waves, as a log-likelihood ratio.  Heard: the stations with a shock
 * pick in their window are counted against what chance would give; only a count chance
 * rarely reaches is evidence (in a barrage, shock picks are everywhere and prove nothing).
 * Not heard: a supersonic round that really flew from L to I is heard under its path by
 * each listening station with the probability q_hear the day's own chosen pairs show
 * (shock_hear_rate()), so none of n stations hearing it has the likelihood (1 - q)^n
 * against chance's exp(-mu) for two unrelated events.  One station's pick is left as no
 * evidence either way.
 */
static double
shock_evidence(const struct shock_look *sl, bool supersonic, double q_hear, bool *seen)
{
    if (sl->hit == 0) {
        return supersonic && sl->near > 0 ? sl->near * log1p(-q_hear) + sl->mu : 0.0;
    }
    if (sl->hit < 2) {
        return 0.0;
    }
    /* P(at least k by chance), Poisson(mu) */
    double term = exp(-sl->mu), cdf = 0;
    for (int j = 0; j < sl->hit; j++) {
        cdf += term;
        term *= sl->mu / (j + 1);
    }
    double p_chance = fmax(1.0 - cdf, 1e-12);
    *seen = true;
    return fmin(3.0, fmax(0.0, -log(p_chance) - 2.0));
}

/* How often a listening station under a chosen pair's path heard the round (looks[c]: what
 * was heard under the path of the pair chosen[c]), over the pairs of supersonic weapons,
 * less the hits chance accounts for (in a barrage, shock picks of other rounds fall in many
 * windows): (hits - chance + 1) / (stations - chance + 10), a prior of one in ten worth ten
 * stations, so that a day with few such pairs claims little from silence.  The chosen pairs
 * include wrong ones, whose stations hear nothing: the rate errs low, and silence counts for
 * less than it should, never more. */
static double
shock_hear_rate(const struct cpair *cp, const size_t *chosen, size_t nch,
                const struct shock_look *looks)
{
    double hits = 0.0, near = 0.0, chance = 0.0;
    for (size_t c = 0; c < nch; c++) {
        const struct tl_weapon_info *wi = tl_weapon_get(cp[chosen[c]].weapon);
        if (wi && wi->supersonic) {
            hits += looks[c].hit;
            near += looks[c].near;
            chance += fmin(looks[c].mu, (double)looks[c].near);
        }
    }
    return (fmax(0.0, hits - chance) + 1.0) / (near - chance + 10.0);
}

/* Events per second within RATE_RADIUS_M of event e's partner-to-be and +-10 minutes of
 * its origin time, at least one an hour: the rate at which unrelated events fall into a
 * time-of-flight window by chance.  Local in space, because fire concentrates: a target
 * under fire is hit again and again, and any two of its impacts can look like a launch
 * and its impact. */
static double
event_rate(const struct tl_pipeline *p, size_t e, size_t other)
{
    const struct tl__ev *a = &p->ev[e], *b = &p->ev[other];
    size_t n = 0;
    for (size_t j = 0; j < p->n_ev; j++) {
        const struct tl__ev *c = &p->ev[j];
        if (fabs(c->t0_s - a->t0_s) <= 600.0 && !beyond(c, b, RATE_RADIUS_M) &&
            tl_geo_dist_m(c->pub.lat_deg, c->pub.lon_deg, b->pub.lat_deg, b->pub.lon_deg) <=
                RATE_RADIUS_M) {
            n++;
        }
    }
    return fmax((double)n / 1200.0, 1.0 / 3600.0);
}

/* Candidate pairs by (launch, impact), to find the candidate for a given couple. */
struct cpkey {
    size_t l, i, k;
};

static int
cmp_cpkey(const void *a, const void *b)
{
    const struct cpkey *x = a, *y = b;
    if (x->l != y->l) {
        return x->l < y->l ? -1 : 1;
    }
    return x->i < y->i ? -1 : (x->i > y->i);
}

/* Index in cp of the candidate pair (l, i), or -1. */
static long
find_cpair(const struct cpkey *by, size_t n, size_t l, size_t i)
{
    struct cpkey key = {.l = l, .i = i};
    const struct cpkey *f = bsearch(&key, by, n, sizeof(*by), cmp_cpkey);
    return f ? (long)f->k : -1;
}

/* Two events at one place: as far apart as `radius_m` plus twice the standard deviation of
 * their distance. */
static bool
same_place(const struct tl__ev *a, const struct tl__ev *b, double radius_m)
{
    double r = radius_m + 2.0 * range_sigma_m(a, b);
    if (beyond(a, b, r)) {
        return false;
    }
    return tl_geo_dist_m(a->pub.lat_deg, a->pub.lon_deg, b->pub.lat_deg, b->pub.lon_deg) <= r;
}

/* Two pairs of one gun at one aim point: launches at one place (a gun stands still:
 * REPEAT_RADIUS_M), impacts within AIM_SPREAD of the first pair's range. */
static bool
same_gun_and_aim(const struct tl__ev *la, const struct tl__ev *ia, const struct tl__ev *lb,
                 const struct tl__ev *ib)
{
    if (!same_place(la, lb, REPEAT_RADIUS_M)) {
        return false;
    }
    double range = tl_geo_dist_m(la->pub.lat_deg, la->pub.lon_deg, ia->pub.lat_deg,
                                 ia->pub.lon_deg);
    return same_place(ia, ib, AIM_SPREAD * range);
}

/* Two events of one volley: at one place (radius_m), within VOLLEY_S of each other. */
static bool
same_volley(const struct tl__ev *a, const struct tl__ev *b, double radius_m)
{
    return fabs(a->t0_s - b->t0_s) <= VOLLEY_S && same_place(a, b, radius_m);
}

/*
 * Rounds of one gun at one target fly the same time, give or take a fraction of a per
 * cent: the earlier launch's round lands first.  Two chosen pairs of one gun at one aim
 * point (same_gun_and_aim()), but with the later launch paired to the earlier impact, are
 * crossed: each took its own weapon hypothesis, one short and one long.  They are swapped
 * when both swapped couples are candidates that would be accepted on their own, until no
 * crossing is left (each swap removes one inversion of the launch and impact orders).
 */
static void
uncross(const struct tl_pipeline *p, const struct cpair *cp, const struct cpkey *by, size_t ncp,
        size_t *chosen, const size_t *by_launch, size_t nch)
{
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t u = 0; u < nch; u++) {
            size_t a = by_launch[u];
            for (size_t v = u + 1; v < nch; v++) {
                size_t b = by_launch[v];
                const struct cpair *x = &cp[chosen[a]], *y = &cp[chosen[b]];
                const struct tl__ev *la = &p->ev[x->l], *ia = &p->ev[x->i];
                const struct tl__ev *lb = &p->ev[y->l], *ib = &p->ev[y->i];
                if (lb->t0_s - la->t0_s > MAX_DT_S) {
                    break;
                }
                if (!(la->t0_s < lb->t0_s && ia->t0_s > ib->t0_s) ||
                    !same_gun_and_aim(la, ia, lb, ib)) {
                    continue;
                }
                long ka = find_cpair(by, ncp, x->l, y->i), kb = find_cpair(by, ncp, y->l, x->i);
                if (ka < 0 || kb < 0 || !acceptable(&cp[ka]) || !acceptable(&cp[kb])) {
                    continue;
                }
                chosen[a] = (size_t)ka;
                chosen[b] = (size_t)kb;
                changed = true;
            }
        }
    }
}

/* A couple (launch, impact) of one fire mission's events that is a candidate pair. */
struct couple {
    size_t a, b;   /* positions in the mission's launches and impacts */
    double dt;     /* impact's origin time less the launch's */
    double key;    /* order of sorting: dt, then the order of choice */
    size_t k;      /* the candidate pair in cp */
};

static int
cmp_couple_key(const void *x, const void *y)
{
    const struct couple *a = x, *b = y;
    if (a->key != b->key) {
        return a->key < b->key ? -1 : 1;
    }
    return a->k < b->k ? -1 : (a->k > b->k);
}

static size_t
uf_find(size_t *g, size_t x)
{
    while (g[x] != x) {
        g[x] = g[g[x]];
        x = g[x];
    }
    return x;
}

/*
 * One fire mission's pairs, re-chosen together (see fire_missions()): the k launches L and k
 * impacts I of its chosen pairs, L[j] paired with I[j].  Returns TL_OK with the new candidate
 * indices in `chosen_out` (SIZE_MAX where fewer pairs result) when the mission's time of
 * flight explains more of them than before, TL_ENOTFOUND when it does not, or TL_ENOMEM.
 */
static int
rechoose_mission(const struct tl_pipeline *p, const struct cpair *cp, const struct cpkey *by,
                 size_t ncp, const size_t *L, const size_t *I, size_t k, size_t *chosen_out)
{
    struct couple *cb = NULL;
    size_t m = 0, cap = 0;
    bool *used = tl_calloc(2 * k, sizeof(bool));
    struct cpkey *ipos = tl_malloc(k * sizeof(*ipos)); /* the impacts by event index */
    if (!used || !ipos) {
        tl_free(used);
        tl_free(ipos);
        return TL_ENOMEM;
    }
    double var_t = 0;
    for (size_t j = 0; j < k; j++) {
        var_t += (tl__sq(p->ev[L[j]].pub.time_sigma_s) + tl__sq(p->ev[I[j]].pub.time_sigma_s)) /
                 (double)k;
        ipos[j] = (struct cpkey){.l = I[j], .i = 0, .k = j};
    }
    qsort(ipos, k, sizeof(*ipos), cmp_cpkey);
    /* the couples: each launch's candidate pairs (contiguous in `by`) with the mission's
     * impacts, so the work follows the candidates, not k squared */
    int rc = TL_OK;
    for (size_t x = 0; x < k && rc == TL_OK; x++) {
        size_t lo = 0, hi = ncp;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (by[mid].l < L[x]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        for (size_t j = lo; j < ncp && by[j].l == L[x]; j++) {
            struct cpkey key = {.l = by[j].i};
            const struct cpkey *y = bsearch(&key, ipos, k, sizeof(*ipos), cmp_cpkey);
            if (!y || !acceptable(&cp[by[j].k])) {
                continue;
            }
            if ((rc = tl__grow((void **)&cb, &cap, m + 1, sizeof(*cb), (size_t)1 << 28)) != TL_OK) {
                break;
            }
            cb[m++] = (struct couple){.a = x, .b = y->k, .k = by[j].k,
                                      .dt = p->ev[by[j].i].t0_s - p->ev[L[x]].t0_s};
        }
    }
    tl_free(ipos);
    if (rc != TL_OK) {
        tl_free(cb);
        tl_free(used);
        return rc;
    }
    /* the time of flight the most couples agree on, within the tolerance */
    for (size_t j = 0; j < m; j++) {
        cb[j].key = cb[j].dt;
    }
    qsort(cb, m, sizeof(*cb), cmp_couple_key);
    double tau = 0, tol = 0;
    size_t best = 0;
    for (size_t hi = 0, lo = 0; hi < m; hi++) {
        double w = MISSION_TOL_S + 3.0 * sqrt(var_t + tl__sq(TOF_JITTER * cb[hi].dt));
        while (cb[hi].dt - cb[lo].dt > w) {
            lo++;
        }
        if (hi - lo + 1 > best) {
            best = hi - lo + 1;
            tau = 0.5 * (cb[hi].dt + cb[lo].dt);
            tol = w;
        }
    }
    size_t before = 0;
    for (size_t j = 0; j < k; j++) {
        before += fabs(p->ev[I[j]].t0_s - p->ev[L[j]].t0_s - tau) <= tol;
    }
    /* couples that fly tau first, closest first; then the others by their own cost */
    for (size_t j = 0; j < m; j++) {
        double off = fabs(cb[j].dt - tau);
        cb[j].key = off <= tol ? off : 1e9 + cp[cb[j].k].cost;
    }
    qsort(cb, m, sizeof(*cb), cmp_couple_key);
    size_t n = 0, after = 0;
    for (size_t j = 0; j < k; j++) {
        chosen_out[j] = SIZE_MAX;
    }
    for (size_t j = 0; j < m && n < k; j++) {
        if (used[cb[j].a] || used[k + cb[j].b]) {
            continue;
        }
        used[cb[j].a] = used[k + cb[j].b] = true;
        chosen_out[n++] = cb[j].k;
        after += cb[j].key < 1e9;
    }
    tl_free(cb);
    tl_free(used);
    return after > before ? TL_OK : TL_ENOTFOUND; /* not better: the mission stays as it was */
}

/*
 * Fire missions.  A battery fires salvo after salvo from one place at one aim point, and all
 * its rounds fly the same time; the greedy choice, pair by pair against a weapon model 12%
 * wide, can pair a launch with a round of the salvo before or after, tens of seconds off.
 * The chosen pairs whose launches are at one place (REPEAT_RADIUS_M) and whose impacts are at
 * one aim point (AIM_SPREAD of the range), linked within MISSION_WINDOW_S, form a mission; the
 * mission's time of flight is the value the most couples of its launches and impacts agree
 * on (within MISSION_TOL_S plus three sigma of their origin times and of TOF_JITTER of the
 * time of flight), and its events are paired again, couples at that time of flight first,
 * when that explains more of them than the greedy choice did.  A pair inside one salvo may
 * still name the wrong round of it: the rounds of a salvo land in an order their launches
 * only roughly keep, and nothing in the timing can tell them apart.
 */
static int
fire_missions(const struct tl_pipeline *p, const struct cpair *cp, const struct cpkey *by,
              size_t ncp, size_t *chosen, const size_t *by_launch, size_t nch)
{
    int rc = TL_OK;
    size_t *g = tl_malloc(nch * sizeof(*g));
    struct cpkey *grp = tl_malloc(nch * sizeof(*grp));
    size_t *L = tl_malloc(nch * sizeof(*L)), *I = tl_malloc(nch * sizeof(*I));
    size_t *out = tl_malloc(nch * sizeof(*out));
    if (!g || !grp || !L || !I || !out) {
        rc = TL_ENOMEM;
        goto done;
    }
    for (size_t c = 0; c < nch; c++) {
        g[c] = c;
    }
    for (size_t u = 0; u < nch; u++) {
        size_t a = by_launch[u];
        const struct tl__ev *la = &p->ev[cp[chosen[a]].l], *ia = &p->ev[cp[chosen[a]].i];
        for (size_t v = u + 1; v < nch; v++) {
            size_t b = by_launch[v];
            const struct tl__ev *lb = &p->ev[cp[chosen[b]].l], *ib = &p->ev[cp[chosen[b]].i];
            if (lb->t0_s - la->t0_s > MISSION_WINDOW_S) {
                break;
            }
            if (same_gun_and_aim(la, ia, lb, ib)) {
                size_t ra = uf_find(g, a), rb = uf_find(g, b);
                g[ra > rb ? ra : rb] = ra < rb ? ra : rb;
            }
        }
    }
    /* the missions' members, each mission in launch order */
    for (size_t u = 0; u < nch; u++) {
        grp[u] = (struct cpkey){.l = uf_find(g, by_launch[u]), .i = u, .k = by_launch[u]};
    }
    qsort(grp, nch, sizeof(*grp), cmp_cpkey);
    for (size_t s = 0, e; s < nch && rc == TL_OK; s = e) {
        for (e = s; e < nch && grp[e].l == grp[s].l; e++) {
            L[e - s] = cp[chosen[grp[e].k]].l;
            I[e - s] = cp[chosen[grp[e].k]].i;
        }
        size_t k = e - s;
        if (k < 3) {
            continue;
        }
        rc = rechoose_mission(p, cp, by, ncp, L, I, k, out);
        if (rc == TL_OK) {
            for (size_t j = 0; j < k; j++) {
                chosen[grp[s + j].k] = out[j];
            }
        } else if (rc == TL_ENOTFOUND) {
            rc = TL_OK;
        }
    }
done:
    tl_free(g);
    tl_free(grp);
    tl_free(L);
    tl_free(I);
    tl_free(out);
    return rc;
}

/*
 * A place keeps its role.  A gun position fires again from the same spot, and an aim point is
 * hit again: over half an hour, the events within REPEAT_RADIUS_M of an event were mostly
 * chosen in the same role as it, when the timing alone chose well (acoustics.md 6.3: firing
 * positions repeat, so launches cluster at a few points).  margin[e] is the number of other
 * events at e's place chosen as launches less those chosen as impacts, from the pairs in
 * `partner` (a pair's launch is its earlier event, and events are in time order).
 */
static void
role_votes(const struct tl_pipeline *p, const long *partner, int *margin)
{
    size_t lo = 0;
    for (size_t e = 0; e < p->n_ev; e++) {
        const struct tl__ev *a = &p->ev[e];
        while (p->ev[lo].t0_s < a->t0_s - ROLE_WINDOW_S) {
            lo++;
        }
        int m = 0;
        for (size_t j = lo; j < p->n_ev && p->ev[j].t0_s <= a->t0_s + ROLE_WINDOW_S; j++) {
            const struct tl__ev *b = &p->ev[j];
            if (j == e || partner[j] < 0 || beyond(a, b, REPEAT_RADIUS_M) ||
                tl_geo_dist_m(a->pub.lat_deg, a->pub.lon_deg, b->pub.lat_deg, b->pub.lon_deg) >
                    REPEAT_RADIUS_M) {
                continue;
            }
            m += (size_t)partner[j] > j ? 1 : -1;
        }
        margin[e] = m;
    }
}

/* Log-likelihood ratio for "launch" against "impact" of a margin of launch votes over impact
 * votes: each vote a ratio of ROLE_VOTE_LR, the whole at most ROLE_MAX_LR either way. */
static double
role_llr(int margin)
{
    return fmax(-log(ROLE_MAX_LR), fmin(log(ROLE_MAX_LR), margin * log(ROLE_VOTE_LR)));
}

/* Cost of an event taking the role of a launch, given its place's margin (an impact's cost is
 * that of -margin): -log P(launch) from role_llr() against even odds; no vote costs nothing. */
static double
role_cost(int margin)
{
    return log1p(exp(-role_llr(margin))) - log(2.0);
}

/*
 * The pairs chosen from the candidates cp (sorted here by cost): a greedy minimum-cost
 * assignment of acceptable candidates, each event in at most one pair, then uncrossed and
 * re-chosen by fire mission.  Writes the chosen candidates' indices to `chosen` (*nch of
 * them) and each event's partner (or -1) to `partner`.  Returns TL_OK or TL_ENOMEM.
 */
static int
choose_pairs(const struct tl_pipeline *p, struct cpair *cp, size_t ncp, long *partner,
             size_t *chosen, size_t *nch_out)
{
    int rc = TL_OK;
    if (ncp > 1) {
        qsort(cp, ncp, sizeof(*cp), cmp_cpair);
    }
    for (size_t k = 0; k < p->n_ev; k++) {
        partner[k] = -1;
    }
    size_t nch = 0;
    for (size_t k = 0; k < ncp; k++) {
        if (!acceptable(&cp[k])) {
            continue;
        }
        if (partner[cp[k].l] >= 0 || partner[cp[k].i] >= 0) {
            continue;
        }
        partner[cp[k].l] = (long)cp[k].i;
        partner[cp[k].i] = (long)cp[k].l;
        chosen[nch++] = k;
    }
    if (nch > 1) {
        /* candidates by couple, and the chosen pairs by launch (events are in time order,
         * and a launch keeps its place in `chosen` when impacts are swapped) */
        struct cpkey *by = tl_malloc(ncp * sizeof(*by));
        struct cpkey *bl = tl_malloc(nch * sizeof(*bl));
        size_t *by_launch = tl_malloc(nch * sizeof(*by_launch));
        if (!by || !bl || !by_launch) {
            tl_free(by);
            tl_free(bl);
            tl_free(by_launch);
            return TL_ENOMEM;
        }
        for (size_t k = 0; k < ncp; k++) {
            by[k] = (struct cpkey){.l = cp[k].l, .i = cp[k].i, .k = k};
        }
        qsort(by, ncp, sizeof(*by), cmp_cpkey);
        for (size_t c = 0; c < nch; c++) {
            bl[c] = (struct cpkey){.l = cp[chosen[c]].l, .i = 0, .k = c};
        }
        qsort(bl, nch, sizeof(*bl), cmp_cpkey);
        for (size_t c = 0; c < nch; c++) {
            by_launch[c] = bl[c].k;
        }
        uncross(p, cp, by, ncp, chosen, by_launch, nch);
        rc = fire_missions(p, cp, by, ncp, chosen, by_launch, nch);
        size_t w = 0;
        for (size_t c = 0; c < nch; c++) {
            if (chosen[c] != SIZE_MAX) {
                chosen[w++] = chosen[c];
            }
        }
        nch = w;
        tl_free(by);
        tl_free(bl);
        tl_free(by_launch);
    }
    /* the partners as finally chosen */
    for (size_t k = 0; k < p->n_ev; k++) {
        partner[k] = -1;
    }
    for (size_t c = 0; c < nch; c++) {
        partner[cp[chosen[c]].l] = (long)cp[chosen[c]].i;
        partner[cp[chosen[c]].i] = (long)cp[chosen[c]].l;
    }
    *nch_out = nch;
    return rc;
}

int
tl__classify_pair(struct tl_pipeline *p)
{
    size_t n = p->n_ev;
    struct cpair *cp = NULL;
    size_t ncp = 0, cap = 0;
    int rc = TL_OK;
    double max_range = 0;
    for (int w = 0; w < TL_WEAPON_COUNT; w++) {
        max_range = fmax(max_range, tl_weapon_get((enum tl_weapon)w)->max_range_m);
    }
    /* a roar is a rocket's launch: never an impact, and the launch of no gun */
    int *roars = tl_malloc((n + 1) * sizeof(int));
    if (!roars) {
        return TL_ENOMEM;
    }
    struct tl_enu frame;
    tl_enu_init(&frame, n ? p->ev[0].pub.lat_deg : 0.0, n ? p->ev[0].pub.lon_deg : 0.0, 0.0);
    for (size_t e = 0; e < n; e++) {
        roars[e] = roar(p, &p->ev[e]);
        tl_enu_from_geo(&frame, p->ev[e].pub.lat_deg, p->ev[e].pub.lon_deg, 0.0,
                        p->ev[e].chord_m);
    }
    for (size_t a = 0; a < n && rc == TL_OK; a++) {
        const struct tl__ev *L = &p->ev[a];
        for (size_t b = a + 1; b < n; b++) {
            const struct tl__ev *I = &p->ev[b];
            double dt = I->t0_s - L->t0_s;
            if (dt > MAX_DT_S) {
                break;
            }
            if (dt < 1.0) {
                continue;
            }
            double r = tl_geo_dist_m(L->pub.lat_deg, L->pub.lon_deg, I->pub.lat_deg,
                                     I->pub.lon_deg);
            if (r < MIN_RANGE_M || r > max_range * 1.05) {
                continue;
            }
            int w = TL_WEAPON_UNKNOWN;
            double tofm = 0;
            double sig = hypot(L->pub.time_sigma_s, I->pub.time_sigma_s);
            if (roars[b] > 0) {
                continue; /* a rocket's launch is no impact */
            }
            double c = pair_cost(r, range_sigma_m(L, I), dt, sig, roars[a], &w, &tofm);
            if (!isfinite(c)) {
                continue;
            }
            if ((rc = tl__grow((void **)&cp, &cap, ncp + 1, sizeof(*cp), (size_t)1 << 28)) !=
                TL_OK) {
                break;
            }
            cp[ncp].l = a;
            cp[ncp].i = b;
            cp[ncp].cost = cp[ncp].tcost = c;
            cp[ncp].weapon = w;
            cp[ncp].tof_model_s = tofm;
            ncp++;
        }
    }
    tl_free(roars);
    if (rc != TL_OK) {
        tl_free(cp);
        return rc;
    }
    long *partner = tl_malloc((n + 1) * sizeof(long));
    size_t *chosen = tl_malloc((ncp + 1) * sizeof(size_t));
    int *margin = tl_malloc((n + 1) * sizeof(int));
    struct shock_look *looks = tl_malloc((ncp + 1) * sizeof(struct shock_look));
    double *dens_k = tl_malloc((ncp + 1) * sizeof(double));
    size_t *of_from = tl_calloc(n + 2, sizeof(size_t));
    size_t *of = tl_malloc((2 * ncp + 1) * sizeof(size_t));
    if (!partner || !chosen || !margin || !looks || !dens_k || !of_from || !of) {
        rc = TL_ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        p->ev[k].pub.cls = TL_CLASS_UNKNOWN;
        p->ev[k].pub.class_p = 0.5;
        p->ev[k].pub.pair[0] = '\0';
        p->ev[k].pub.pair_candidate[0] = '\0';
        p->ev[k].pub.pair_candidate_p = NAN;
    }
    size_t nch = 0;
    if ((rc = choose_pairs(p, cp, ncp, partner, chosen, &nch)) != TL_OK) {
        goto done;
    }
    /* places keep their role: choose again with each event's place's votes (role_votes()) */
    role_votes(p, partner, margin);
    for (size_t k = 0; k < ncp; k++) {
        cp[k].cost = cp[k].tcost + role_cost(margin[cp[k].l]) + role_cost(-margin[cp[k].i]);
    }
    if ((rc = choose_pairs(p, cp, ncp, partner, chosen, &nch)) != TL_OK) {
        goto done;
    }
    role_votes(p, partner, margin);
    for (size_t c = 0; c < nch; c++) {
        looks[c] = shock_look(p, &p->ev[cp[chosen[c]].l], &p->ev[cp[chosen[c]].i]);
    }
    double q_hear = shock_hear_rate(cp, chosen, nch, looks);
    /* Each candidate's timing density, and the candidates of each event (as the launch or
     * the impact) in the order of cp: of[of_from[e] .. of_from[e + 1]).  An end's sums
     * below run over its event's candidates only, in that order, which adds the same terms
     * in the same order as a pass over every candidate would. */
    for (size_t k = 0; k < ncp; k++) {
        dens_k[k] = exp(-cp[k].tcost) / sqrt(2.0 * M_PI);
        of_from[cp[k].l + 2]++;
        of_from[cp[k].i + 2]++;
    }
    for (size_t e = 0; e < n; e++) {
        of_from[e + 2] += of_from[e + 1];
    }
    for (size_t k = 0; k < ncp; k++) {
        of[of_from[cp[k].l + 1]++] = k;
        of[of_from[cp[k].i + 1]++] = k;
    }
    TL_LOG(TL_LOG_DEBUG, "pair", "%zu pairs chosen; stations under a supersonic round's path hear it at a rate of %.3f",
           nch, q_hear);
    /* pairing probabilities: softmax over the alternatives of both ends and "no pair" */
    p->n_fnd = 0;
    if (nch && (rc = tl__grow((void **)&p->fnd, &p->cap_fnd, nch, sizeof(*p->fnd),
                              (size_t)1 << 26)) != TL_OK) {
        goto done;
    }
    for (size_t c = 0; c < nch; c++) {
        const struct cpair *ch = &cp[chosen[c]];
        /* For each end, the pair against its rivals and against "its partner was not
         * heard and this one is an unrelated event that happened to fall in the window":
         * densities in 1/s, the unrelated events at the local event rate. */
        double dens = exp(-ch->tcost) / sqrt(2.0 * M_PI);
        double w_l = 0, w_i = 0, same_l = 0, same_i = 0, role_l = 0, role_i = 0;
        struct tl__ev *L = &p->ev[ch->l], *I = &p->ev[ch->i];
        double aim_m = AIM_SPREAD * tl_geo_dist_m(L->pub.lat_deg, L->pub.lon_deg, I->pub.lat_deg,
                                                  I->pub.lon_deg);
        /* an event is in one pair at most, as the launch or as the impact: every
         * candidate it takes part in, in either role, is a rival; those of its volley
         * are the same answer */
        for (size_t j = of_from[ch->l]; j < of_from[ch->l + 1]; j++) {
            size_t k = of[j];
            w_l += dens_k[k];
            if (cp[k].l == ch->l) {
                role_l += dens_k[k];
                if (k != chosen[c] && same_volley(I, &p->ev[cp[k].i], aim_m)) {
                    same_l += dens_k[k];
                }
            }
        }
        for (size_t j = of_from[ch->i]; j < of_from[ch->i + 1]; j++) {
            size_t k = of[j];
            w_i += dens_k[k];
            if (cp[k].i == ch->i) {
                role_i += dens_k[k];
                if (k != chosen[c] && same_volley(L, &p->ev[cp[k].l], BATTERY_M)) {
                    same_i += dens_k[k];
                }
            }
        }
        /* for the launch, rivals are events near the impact's place; for the impact,
         * events near the launch's place; the whole weight of each end's alternatives */
        double rho_l = event_rate(p, ch->l, ch->i), rho_i = event_rate(p, ch->i, ch->l);
        double all_l = (1.0 - P_DETECT) * rho_l + P_DETECT * w_l;
        double all_i = (1.0 - P_DETECT) * rho_i + P_DETECT * w_i;
        double p_l = P_DETECT * (dens + same_l) / all_l;
        double p_i = P_DETECT * (dens + same_i) / all_i;
        double pair_p = fmin(p_l, p_i);
        /* is the earlier one the launch?  log-odds from independent evidence */
        bool shock_seen = false;
        const struct tl_weapon_info *wi = tl_weapon_get(ch->weapon);
        double lo = shock_evidence(&looks[c], wi && wi->supersonic, q_hear, &shock_seen);
        if (lo > 0) {
            L->pub.shock_cue = true;
        }
        /* Domain prior: a ceasefire is broken by fire across the line; two events on one
         * side a time of flight apart are more often two impacts of fire on one target
         * (or fire within a side's own area, which the monitoring cares less about).
         * Likelihood ratio about 1:4 against a same-side pair, 1.6:1 for a crossing one. */
        if (L->pub.likely_side == I->pub.likely_side) {
            lo -= 1.4;
        } else {
            lo += 0.5;
        }
        /* the places' roles in the other pairs chosen: a gun position's, an aim point's */
        lo += fmax(-ROLE_CONF_LLR, fmin(ROLE_CONF_LLR, role_llr(margin[ch->l] - margin[ch->i])));
        /* the evidence multiplies the pairing's odds (a likelihood ratio): none leaves the
         * timing's probability as it is */
        double odds = pair_p / fmax(1.0 - pair_p, 1e-9) * exp(lo);
        double p_pair = odds / (1.0 + odds);
        L->pub.cls = TL_CLASS_LAUNCH;
        I->pub.cls = TL_CLASS_IMPACT;
        /* Each event's class: the share of its alternatives in which it plays the role the
         * pair gives it (launch for L, impact for I) - a wrong partner often leaves the role
         * right - with "not paired" a coin toss, times the same evidence. */
        double c_l = (P_DETECT * role_l + 0.5 * (1.0 - P_DETECT) * rho_l) / all_l;
        double c_i = (P_DETECT * role_i + 0.5 * (1.0 - P_DETECT) * rho_i) / all_i;
        double o_l = c_l / fmax(1.0 - c_l, 1e-9) * exp(lo);
        double o_i = c_i / fmax(1.0 - c_i, 1e-9) * exp(lo);
        L->pub.class_p = o_l / (1.0 + o_l);
        I->pub.class_p = o_i / (1.0 + o_i);
        if (p_pair < MIN_PUBLISHED_PAIR_P) {
            /* more likely wrong than right: no finding; the events name the candidate */
            memcpy(L->pub.pair_candidate, I->pub.id, TL_ID_MAX);
            memcpy(I->pub.pair_candidate, L->pub.id, TL_ID_MAX);
            L->pub.pair_candidate_p = I->pub.pair_candidate_p = p_pair;
            continue;
        }
        L->pub.weapon = I->pub.weapon = ch->weapon;
        memcpy(L->pub.pair, I->pub.id, TL_ID_MAX);
        memcpy(I->pub.pair, L->pub.id, TL_ID_MAX);
        struct tl_finding *f = &p->fnd[p->n_fnd++];
        memset(f, 0, sizeof(*f));
        snprintf(f->id, sizeof(f->id), "FD%s", L->pub.id + 2);
        memcpy(f->launch, L->pub.id, TL_ID_MAX);
        memcpy(f->impact, I->pub.id, TL_ID_MAX);
        f->launch_lat_deg = L->pub.lat_deg;
        f->launch_lon_deg = L->pub.lon_deg;
        f->impact_lat_deg = I->pub.lat_deg;
        f->impact_lon_deg = I->pub.lon_deg;
        f->launch_t_ns = L->pub.t_ns;
        f->fired_from = L->pub.side;
        f->likely_side = L->pub.likely_side;
        f->side_p = L->pub.side_p;
        f->pair_p = p_pair;
        f->confidence = L->pub.side_p * f->pair_p;
        if (f->confidence < p->prm.side_threshold) {
            f->fired_from = TL_SIDE_AMBIGUOUS;
        }
        f->crosses_line = I->pub.likely_side != L->pub.likely_side;
        f->weapon = ch->weapon;
        f->tof_s = I->t0_s - L->t0_s;
        f->range_m = tl_geo_dist_m(L->pub.lat_deg, L->pub.lon_deg, I->pub.lat_deg, I->pub.lon_deg);
        f->basis = TL_BASIS_MULTI_STATION_ORIGIN | TL_BASIS_TOF_CONSISTENT;
        if (L->pub.n_bearings > 0 || I->pub.n_bearings > 0) {
            f->basis |= TL_BASIS_ARRAY_BEARING;
        }
        if (L->pub.shock_cue || I->pub.shock_cue) {
            f->basis |= TL_BASIS_SHOCK_CUE;
        }
        for (size_t z = 0; z < L->pub.n_zones && f->n_zones < TL_MAX_EVENT_ZONES; z++) {
            f->zones[f->n_zones++] = L->pub.zones[z];
        }
        for (size_t z = 0; z < I->pub.n_zones && f->n_zones < TL_MAX_EVENT_ZONES; z++) {
            bool have = false;
            for (size_t y = 0; y < f->n_zones; y++) {
                have = have || f->zones[y] == I->pub.zones[z];
            }
            if (!have) {
                f->zones[f->n_zones++] = I->pub.zones[z];
            }
        }
    }
    /* An event left unpaired takes the role its place has in the pairs chosen (a gun
     * position, an aim point), with the votes' odds, or stays unknown. */
    role_votes(p, partner, margin);
    for (size_t k = 0; k < n; k++) {
        if (partner[k] < 0 && margin[k] != 0) {
            p->ev[k].pub.cls = margin[k] > 0 ? TL_CLASS_LAUNCH : TL_CLASS_IMPACT;
            p->ev[k].pub.class_p = 1.0 / (1.0 + exp(-role_llr(abs(margin[k]))));
        }
    }
done:
    tl_free(partner);
    tl_free(chosen);
    tl_free(margin);
    tl_free(looks);
    tl_free(dens_k);
    tl_free(of_from);
    tl_free(of);
    tl_free(cp);
    return rc;
}
