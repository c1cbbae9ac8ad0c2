/*
 * learnt.c - what association learnt of each tile's propagation, handed from one run to
 * the next (docs/processing.md §1) and kept as a file (docs/formats.md, "Learnt state").
 *
 * The tiles learn, from their well-heard events, the met model's error common to their
 * paths and the path-to-path timing error left (pipeline_priv.h, struct tl__tile).  The
 * state carries hours of history, so a run that starts from the priors - a new day, the
 * live server's next slice - would have to learn it again, and locates worse meanwhile.
 * A run can keep the state as it stood at a time and a later run start from it.  A state
 * is accepted only within the ranges the association itself keeps it in, so a file cannot
 * steer a run where its own events could not.
 *
 * The file: {"type": "learnt", "at": TIME or null, "tiles": [{"dc_mps", "dwind_e_mps",
 * "dwind_n_mps", "sd_dc_mps", "sd_wind_mps", "path_err_s_per_km", "path_sd_s_per_km",
 * "events"}, ...]}, one object per tile in the order of the mission's line; numbers written
 * to round-trip.  path_sd_s_per_km came later: a file without it is read with its prior.
 */
#include "pipeline_priv.h"

#include <truceline/time.h>

#include <errno.h>
#include <stddef.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_TILES 4096

static const char *const FIELDS[] = {"dc_mps",      "dwind_e_mps",       "dwind_n_mps",
                                     "sd_dc_mps",   "sd_wind_mps",       "path_err_s_per_km",
                                     "events",      "path_sd_s_per_km"};
static const size_t OFFSETS[] = {
    offsetof(struct tl_tile_learnt, dc_mps),      offsetof(struct tl_tile_learnt, dwind_e_mps),
    offsetof(struct tl_tile_learnt, dwind_n_mps), offsetof(struct tl_tile_learnt, sd_dc_mps),
    offsetof(struct tl_tile_learnt, sd_wind_mps), offsetof(struct tl_tile_learnt, path_err_s_per_km),
    offsetof(struct tl_tile_learnt, events),      offsetof(struct tl_tile_learnt, path_sd_s_per_km)};
#define N_FIELDS (sizeof(FIELDS) / sizeof(FIELDS[0]))
#define N_REQUIRED 7 /* the fields before path_sd_s_per_km, which may be missing */

/* A state within the ranges the association keeps it in; else the offending field. */
static const char *
learnt_invalid(const struct tl_tile_learnt *l)
{
    if (!(fabs(l->dc_mps) <= TL__CORR_MAX_MPS)) {
        return "dc_mps";
    }
    if (!(fabs(l->dwind_e_mps) <= TL__CORR_MAX_MPS)) {
        return "dwind_e_mps";
    }
    if (!(fabs(l->dwind_n_mps) <= TL__CORR_MAX_MPS)) {
        return "dwind_n_mps";
    }
    if (!(l->sd_dc_mps > 0.0 && l->sd_dc_mps <= TL__CORR_MAX_MPS)) {
        return "sd_dc_mps";
    }
    if (!(l->sd_wind_mps > 0.0 && l->sd_wind_mps <= TL__CORR_MAX_MPS)) {
        return "sd_wind_mps";
    }
    if (!(l->path_err_s_per_km >= TL__PATH_ERR_MIN_S_PER_KM &&
          l->path_err_s_per_km <= TL__PATH_ERR_MAX_S_PER_KM)) {
        return "path_err_s_per_km";
    }
    if (!(l->path_sd_s_per_km >= TL__PATH_SD_MIN_S_PER_KM &&
          l->path_sd_s_per_km <= TL__PATH_SD_MAX_S_PER_KM)) {
        return "path_sd_s_per_km";
    }
    if (!(l->events >= 0.0 && l->events < 1e12)) {
        return "events";
    }
    return NULL;
}

void
tl_pipeline_learnt_keep_at(struct tl_pipeline *p, tl_time_ns t_ns)
{
    p->learnt_at = t_ns;
}

int
tl__learnt_keep(struct tl_pipeline *p)
{
    if (!p->learnt) {
        p->learnt = tl_malloc((p->n_tiles + 1) * sizeof(*p->learnt));
        if (!p->learnt) {
            return TL_ENOMEM;
        }
    }
    for (size_t t = 0; t < p->n_tiles; t++) {
        p->learnt[t] = p->tiles[t].learnt;
    }
    p->n_learnt = p->n_tiles;
    return TL_OK;
}

const struct tl_tile_learnt *
tl_pipeline_learnt(const struct tl_pipeline *p, size_t *n)
{
    *n = p->n_learnt;
    return p->learnt;
}

size_t
tl_pipeline_tile_count(const struct tl_pipeline *p)
{
    return tl__tile_count(p->m);
}

int
tl_pipeline_set_learnt_start(struct tl_pipeline *p, const struct tl_tile_learnt *l, size_t n)
{
    if (!l && n == 0) {
        tl_free(p->learnt_start);
        p->learnt_start = NULL;
        p->n_learnt_start = 0;
        return TL_OK;
    }
    if (!l || n != tl__tile_count(p->m)) {
        return TL_EINVAL;
    }
    for (size_t t = 0; t < n; t++) {
        if (learnt_invalid(&l[t])) {
            return TL_EINVAL;
        }
    }
    struct tl_tile_learnt *c = tl_malloc(n * sizeof(*c));
    if (!c) {
        return TL_ENOMEM;
    }
    memcpy(c, l, n * sizeof(*c));
    tl_free(p->learnt_start);
    p->learnt_start = c;
    p->n_learnt_start = n;
    return TL_OK;
}

int
tl_learnt_parse(const char *buf, size_t len, const char *name, struct tl_tile_learnt **out,
                size_t *n, struct tl_diag *d)
{
    *out = NULL;
    *n = 0;
    tl__diag_where(d, name, 0);
    json_error_t jerr;
    bool oom;
    json_t *root = tl__json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr, &oom);
    if (oom) {
        return TL_ENOMEM;
    }
    if (!root) {
        tl__diag_where(d, name, jerr.line);
        return tl__diag(d, TL_EPARSE, NULL, "not valid JSON: %s", jerr.text);
    }
    int rc = TL_OK;
    json_t *type = json_object_get(root, "type"), *tiles = json_object_get(root, "tiles");
    json_t *at = json_object_get(root, "at");
    if (!json_is_object(root) || !json_is_string(type) ||
        strcmp(json_string_value(type), "learnt") != 0) {
        rc = tl__diag(d, TL_EPARSE, "type", "not a learnt state (\"type\": \"learnt\")");
    } else if (at && !json_is_null(at) &&
               (!json_is_string(at) || tl_time_parse(json_string_value(at),
                                                     json_string_length(at), &(tl_time_ns){0},
                                                     NULL) != TL_OK)) {
        rc = tl__diag(d, TL_EPARSE, "at", "not a time (RFC 3339) or null");
    } else if (!json_is_array(tiles) || json_array_size(tiles) == 0 ||
               json_array_size(tiles) > MAX_TILES) {
        rc = tl__diag(d, TL_EPARSE, "tiles", "not an array of 1 to %d tiles", MAX_TILES);
    }
    size_t nt = rc == TL_OK ? json_array_size(tiles) : 0;
    struct tl_tile_learnt *l = nt ? tl_calloc(nt, sizeof(*l)) : NULL;
    if (nt && !l) {
        rc = TL_ENOMEM;
    }
    for (size_t t = 0; t < nt && rc == TL_OK; t++) {
        json_t *o = json_array_get(tiles, t);
        for (size_t k = 0; k < N_FIELDS && rc == TL_OK; k++) {
            json_t *v = json_is_object(o) ? json_object_get(o, FIELDS[k]) : NULL;
            if (!v && k >= N_REQUIRED && json_is_object(o)) {
                l[t].path_sd_s_per_km = TL__PATH_SD_PRIOR_S_PER_KM;
            } else if (!json_is_number(v)) {
                rc = tl__diag(d, TL_EPARSE, FIELDS[k], "tile %zu: missing or not a number", t);
            } else {
                double x = json_number_value(v);
                memcpy((char *)&l[t] + OFFSETS[k], &x, sizeof(x));
            }
        }
        const char *bad = rc == TL_OK ? learnt_invalid(&l[t]) : NULL;
        if (bad) {
            rc = tl__diag(d, TL_EPARSE, bad, "tile %zu: out of range", t);
        }
    }
    json_decref(root);
    if (rc != TL_OK) {
        tl_free(l);
        return rc;
    }
    *out = l;
    *n = nt;
    return TL_OK;
}

int
tl_learnt_read(const char *path, struct tl_tile_learnt **out, size_t *n, struct tl_diag *d)
{
    *out = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        tl__diag_where(d, path, 0);
        return tl__diag(d, TL_EIO, NULL, "cannot read: %s", strerror(errno));
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = TL_OK;
    for (;;) {
        if ((rc = tl__grow((void **)&buf, &cap, len + 4096, 1, (size_t)1 << 24)) != TL_OK) {
            tl__diag_where(d, path, 0);
            tl__diag(d, rc, NULL, "too large or out of memory");
            break;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            break;
        }
    }
    if (rc == TL_OK && ferror(f)) {
        tl__diag_where(d, path, 0);
        rc = tl__diag(d, TL_EIO, NULL, "cannot read: %s", strerror(errno));
    }
    fclose(f);
    if (rc == TL_OK) {
        rc = tl_learnt_parse(buf, len, path, out, n, d);
    }
    tl_free(buf);
    return rc;
}

int
tl_learnt_write(const char *path, const struct tl_tile_learnt *l, size_t n, tl_time_ns at_ns,
                struct tl_diag *d)
{
    json_t *root = json_object(), *tiles = json_array();
    int rc = root && tiles ? TL_OK : TL_ENOMEM;
    char at[TL_TIME_TEXT_MAX];
    if (rc == TL_OK) {
        json_object_set_new(root, "type", json_string("learnt"));
        if (at_ns == INT64_MAX) {
            json_object_set_new(root, "at", json_null());
        } else {
            tl_time_format(at_ns, at, sizeof(at));
            json_object_set_new(root, "at", json_string(at));
        }
    }
    for (size_t t = 0; t < n && rc == TL_OK; t++) {
        json_t *o = json_object();
        for (size_t k = 0; o && k < N_FIELDS; k++) {
            double x;
            memcpy(&x, (const char *)&l[t] + OFFSETS[k], sizeof(x));
            json_object_set_new(o, FIELDS[k], json_real(x));
        }
        rc = o && json_array_append_new(tiles, o) == 0 ? TL_OK : TL_ENOMEM;
    }
    if (rc == TL_OK) {
        json_object_set(root, "tiles", tiles);
    }
    char *text =
        rc == TL_OK ? tl__json_dumps(root, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(tiles);
    json_decref(root);
    if (!text) {
        tl__diag_where(d, path, 0);
        return tl__diag(d, TL_ENOMEM, NULL, "out of memory");
    }
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    rc = f ? TL_OK : TL_EIO;
    if (f) {
        size_t len = strlen(text);
        if (fwrite(text, 1, len, f) != len || fputc('\n', f) == EOF || fflush(f) != 0 ||
            fsync(fileno(f)) != 0) {
            rc = TL_EIO;
        }
        if (fclose(f) != 0) {
            rc = TL_EIO;
        }
        if (rc == TL_OK && rename(tmp, path) != 0) {
            rc = TL_EIO;
        }
        if (rc != TL_OK) {
            unlink(tmp);
        }
    }
    free(text);
    if (rc != TL_OK) {
        tl__diag_where(d, path, 0);
        tl__diag(d, rc, NULL, "cannot write: %s", strerror(errno));
    }
    return rc;
}
