/*
 * cmd_mission.c - `truceline mission check FILE`: validate a mission file.
 *
 * Lists every problem (feature index, field, reason) and exits 3 when the file
 * breaks a rule; otherwise prints a summary an operator can check against the
 * deployment plan: the line's length, stations per side and per contingent,
 * the mean distance to the nearest neighbour station, arrays, zones, places.
 */
#include "tool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const USAGE =
    "usage: truceline mission check FILE\n\n"
    "validates a mission file (formats.md section 1) and prints a summary:\n"
    "contact line length, stations per side and per contingent, mean spacing,\n"
    "arrays, zones and places.  Every problem is listed with its feature index\n"
    "and field; the exit code is 3 when the file is rejected.\n";

static int
summarise(const struct tl_mission *m)
{
    size_t ns = tl_mission_station_count(m);
    printf("mission      %s%s\n", tl_mission_name(m),
           tl_mission_illustrative(m) ? " (illustrative: not an actual or agreed line)" : "");
    printf("parties      left: %s, right: %s\n", tl_mission_party(m, TL_SIDE_LEFT),
           tl_mission_party(m, TL_SIDE_RIGHT));
    size_t nv;
    tl_mission_line(m, &nv);
    printf("contact line %.1f km, %zu vertices\n", tl_mission_line_length_m(m) / 1000.0, nv);

    size_t left = 0, right = 0, arrays = 0;
    double min_d = HUGE_VAL, max_d = 0;
    struct {
        char code[3];
        size_t n;
    } cont[64];
    size_t ncont = 0;
    double sum_nn = 0;
    for (size_t i = 0; i < ns; i++) {
        const struct tl_station *st = tl_mission_station(m, i);
        left += st->side == TL_SIDE_LEFT;
        right += st->side == TL_SIDE_RIGHT;
        arrays += st->n_elements > 0;
        min_d = fmin(min_d, st->dist_to_line_m);
        max_d = fmax(max_d, st->dist_to_line_m);
        const char *code = st->contingent[0] ? st->contingent : "--";
        size_t k = 0;
        while (k < ncont && strcmp(cont[k].code, code) != 0) {
            k++;
        }
        if (k == ncont && ncont < 64) {
            memcpy(cont[ncont].code, code, 3);
            cont[ncont++].n = 0;
        }
        if (k < ncont) {
            cont[k].n++;
        }
        double nn = HUGE_VAL;
        for (size_t j = 0; j < ns; j++) {
            if (j != i) {
                const struct tl_station *o = tl_mission_station(m, j);
                nn = fmin(nn, tl_geo_dist_m(st->lat_deg, st->lon_deg, o->lat_deg, o->lon_deg));
            }
        }
        sum_nn += isfinite(nn) ? nn : 0.0;
    }
    printf("stations     %zu: %zu left, %zu right; %zu with arrays\n", ns, left, right, arrays);
    printf("             %.1f-%.1f km from the line; mean nearest-neighbour spacing %.2f km\n",
           min_d / 1000.0, max_d / 1000.0, ns > 1 ? sum_nn / (double)ns / 1000.0 : 0.0);
    printf("contingents ");
    for (size_t k = 0; k < ncont; k++) {
        printf(" %s:%zu", cont[k].code, cont[k].n);
    }
    printf("\n");
    size_t nz = tl_mission_zone_count(m);
    printf("zones        %zu\n", nz);
    for (size_t i = 0; i < nz; i++) {
        const struct tl_zone *z = tl_mission_zone(m, i);
        printf("  %-12s %s; forbids:%s%s%s\n", z->id, z->name,
               z->forbid & TL_FORBID_FIRE ? " fire" : "",
               z->forbid & TL_FORBID_IMPACT ? " impact" : "",
               z->forbid & TL_FORBID_HEAVY_WEAPONS ? " heavy_weapons" : "");
    }
    printf("places       %zu\n", tl_mission_place_count(m));
    return EXIT_OK;
}

int
cmd_mission(int argc, char **argv)
{
    if (tool_wants_help(argc, argv)) {
        fputs(USAGE, stdout);
        return EXIT_OK;
    }
    if (argc != 3 || strcmp(argv[1], "check") != 0) {
        fputs(USAGE, stderr);
        return EXIT_USAGE;
    }
    static struct tl_mission_problems pr;
    struct tl_mission *m = NULL;
    int rc = tl_mission_load(argv[2], &m, &pr);
    if (rc != TL_OK) {
        for (size_t i = 0; i < pr.n; i++) {
            fprintf(stderr, "%s: %s\n", argv[2], pr.text[i]);
        }
        if (pr.n_total > pr.n) {
            fprintf(stderr, "%s: ... and %zu more problems\n", argv[2], pr.n_total - pr.n);
        }
        fprintf(stderr, "%s: rejected (%zu problem%s)\n", argv[2], pr.n_total,
                pr.n_total == 1 ? "" : "s");
        return rc == TL_EIO ? EXIT_RUNTIME : (rc == TL_ENOMEM ? EXIT_RUNTIME : EXIT_INPUT);
    }
    printf("%s: valid\n", argv[2]);
    summarise(m);
    tl_mission_free(m);
    return EXIT_OK;
}
