/*
 * output.c - the simulator's files, and the mirror variant of a mission.
 *
 * records.jsonl holds pick, met and status records (formats.md section 2) in
 * delivery order, duplicates included; truth.jsonl holds the events, the
 * pick-to-event map and the faults (formats.md section 3) with the additions
 * documented in docs/simulator.md; mission.geojson is the mission simulated;
 * scenario.json the configuration and the counts.  Numbers are printed with
 * fixed precision so the same simulation always gives the same bytes.
 *
 * The mirror mission keeps the original's name (with " (mirror variant)"),
 * parties, zones and places, replaces the contact line with the straight
 * geodesic between its end points, and stands every station on that line in
 * the order of its position along it, evenly spaced, without its array: the
 * layout of research section 4.6 in which arrival times alone cannot tell the
 * side of the line.
 */
#include "sim_priv.h"

#include <truceline/time.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *
class_name(enum tl_sim_class c)
{
    return c == TL_SIM_LAUNCH ? "launch" : c == TL_SIM_IMPACT ? "impact" : "other";
}

static const char *
side_name(enum tl_side s)
{
    return s == TL_SIDE_LEFT ? "left" : s == TL_SIDE_RIGHT ? "right" : "ambiguous";
}

static const char *
phase_name(enum tl_sim_phase p)
{
    return p == TL_SIM_SHOCK ? "shock" : p == TL_SIM_ECHO ? "echo" : "blast";
}

static void
fmt_time(tl_time_ns t, char *buf)
{
    if (tl_time_format(t, buf, TL_TIME_TEXT_MAX) != TL_OK) {
        buf[0] = '\0';
    }
}

/* JSON string body: the texts written here are ids and fixed notes, but escape anyway. */
static void
put_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            fputc('\\', f);
            fputc(ch, f);
        } else if (ch < 0x20) {
            fprintf(f, "\\u%04x", ch);
        } else {
            fputc(ch, f);
        }
    }
    fputc('"', f);
}

static double
round_to(double x, double q)
{
    return round(x / q) * q;
}

static void
write_pick(FILE *f, const struct tl_pick *p)
{
    char t[TL_TIME_TEXT_MAX];
    fmt_time(p->t_ns, t);
    fprintf(f, "{\"type\":\"pick\",\"station\":\"%s\",\"id\":\"%s\",\"time\":\"%s\"", p->station,
            p->id, t);
    fprintf(f, ",\"sigma_s\":%.4f,\"snr_db\":%.1f,\"amp_pa\":%.4g,\"freq_hz\":%.1f,\"dur_s\":%.4f",
            fmax(0.0001, round_to(p->sigma_s, 0.0001)), p->snr_db, p->amp_pa, p->freq_hz,
            fmax(0.0001, round_to(p->dur_s, 0.0001)));
    if (!isnan(p->baz_deg)) {
        double b = fmod(round_to(p->baz_deg, 0.1), 360.0);
        fprintf(f, ",\"baz_deg\":%.1f,\"baz_sigma_deg\":%.1f", b < 0.0 ? b + 360.0 : b,
                fmax(0.1, p->baz_sigma_deg));
    }
    if (p->shock) {
        fputs(",\"shock\":true", f);
    }
    fputs("}\n", f);
}

static void
write_met(FILE *f, const struct tl_met *m)
{
    char t[TL_TIME_TEXT_MAX];
    fmt_time(m->t_ns, t);
    double dir = fmod(round(m->wind_from_deg), 360.0);
    fprintf(f,
            "{\"type\":\"met\",\"station\":\"%s\",\"time\":\"%s\",\"temp_c\":%.1f,"
            "\"wind_mps\":%.1f,\"wind_from_deg\":%.0f,\"rh_pct\":%.0f,\"pressure_hpa\":%.1f}\n",
            m->station, t, m->temp_c, m->wind_mps, dir, m->rh_pct, m->pressure_hpa);
}

static void
write_status(FILE *f, const struct tl_status *st)
{
    char t[TL_TIME_TEXT_MAX];
    fmt_time(st->t_ns, t);
    fprintf(f, "{\"type\":\"status\",\"station\":\"%s\",\"time\":\"%s\",\"state\":\"%s\"",
            st->station, t, tl_state_name(st->state));
    if (st->note[0]) {
        fputs(",\"note\":", f);
        put_str(f, st->note);
    }
    fputs("}\n", f);
}

static FILE *
open_out(const char *dir, const char *name, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        TL_LOG(TL_LOG_ERROR, "sim", "%s: %s", path, strerror(errno));
        return NULL;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    return f;
}

static int
close_out(FILE *f, const char *path)
{
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) {
        TL_LOG(TL_LOG_ERROR, "sim", "%s: write failed", path);
        return TL_EIO;
    }
    return TL_OK;
}

static int
write_records(const struct tl_sim *s, const char *dir)
{
    char path[1200];
    FILE *f = open_out(dir, "records.jsonl", path, sizeof(path));
    if (!f) {
        return TL_EIO;
    }
    for (size_t i = 0; i < s->ndl; i++) {
        const struct delivery *d = &s->dl[i];
        if (d->type == 0) {
            write_pick(f, &s->pk[d->idx].pick);
        } else if (d->type == 1) {
            write_met(f, &s->met[d->idx].met);
        } else {
            write_status(f, &s->stat[d->idx].status);
        }
    }
    return close_out(f, path);
}

static int
write_truth(const struct tl_sim *s, const char *dir)
{
    char path[1200];
    FILE *f = open_out(dir, "truth.jsonl", path, sizeof(path));
    if (!f) {
        return TL_EIO;
    }
    char t[TL_TIME_TEXT_MAX], t2[TL_TIME_TEXT_MAX];
    for (size_t i = 0; i < s->nev; i++) {
        const struct tl_sim_event *e = &s->ev[i];
        fmt_time(e->t_ns, t);
        const struct tl_weapon_info *wi = tl_weapon_get(e->weapon);
        fprintf(f,
                "{\"type\":\"event\",\"id\":\"%s\",\"time\":\"%s\",\"lat\":%.6f,\"lon\":%.6f,"
                "\"class\":\"%s\",\"side\":\"%s\",\"party\":",
                e->id, t, e->lat_deg, e->lon_deg, class_name(e->cls), side_name(e->side));
        const char *party = tl_mission_party(s->m, e->side);
        if (party && e->side != TL_SIDE_AMBIGUOUS) {
            put_str(f, party);
        } else {
            fputs("null", f);
        }
        fputs(",\"weapon\":", f);
        if (wi) {
            fprintf(f, "\"%s\"", wi->name);
        } else {
            fputs("null", f);
        }
        if (e->pair >= 0) {
            fprintf(f, ",\"pair\":\"%s\"", s->ev[e->pair].id);
        } else {
            fputs(",\"pair\":null", f);
        }
        if (e->salvo > 0) {
            fprintf(f, ",\"salvo\":\"S%05ld\"", e->salvo);
        } else {
            fputs(",\"salvo\":null", f);
        }
        fprintf(f, ",\"n_stations\":%zu,\"elev_m\":%.0f,\"dist_to_line_m\":%.0f,\"source\":\"%s\","
                   "\"tnt_kg\":%.2f",
                e->n_stations, e->elev_m, e->dist_to_line_m, e->source ? e->source : "unknown",
                e->tnt_kg);
        if (e->battery > 0) {
            fprintf(f,
                    ",\"battery\":\"B%03d\",\"charge\":%d,\"angle\":\"%s\",\"range_m\":%.0f,"
                    "\"tof_s\":%.3f,\"azimuth_deg\":%.1f",
                    e->battery, e->charge, e->high_angle ? "high" : "low", e->range_m, e->tof_s,
                    e->azimuth_deg);
        }
        fputs("}\n", f);
    }
    for (size_t i = 0; i < s->npk; i++) {
        const struct tl_sim_pick *p = &s->pk[i];
        if (p->event < 0) {
            continue;
        }
        fmt_time((p->true_t_ns / 1000) * 1000, t);
        fprintf(f,
                "{\"type\":\"pick\",\"id\":\"%s\",\"event\":\"%s\",\"station\":\"%s\","
                "\"phase\":\"%s\",\"true_time\":\"%s\",\"snr_db\":%.1f,\"err_s\":%.4f,"
                "\"outlier\":%s",
                p->pick.id, s->ev[p->event].id, p->pick.station, phase_name(p->phase), t,
                p->snr_true_db, p->err_s, p->outlier ? "true" : "false");
        if (p->phase == TL_SIM_BLAST) {
            fprintf(f, ",\"dist_m\":%.0f,\"travel_s\":%.4f", p->dist_m, p->travel_s);
        }
        fputs("}\n", f);
    }
    for (size_t i = 0; i < s->nfault; i++) {
        const struct fault *fl = &s->faults[i];
        fmt_time((tl__sim_ns(s, fl->from_s) / TL_NS_PER_MS) * TL_NS_PER_MS, t);
        fmt_time((tl__sim_ns(s, fl->to_s) / TL_NS_PER_MS) * TL_NS_PER_MS, t2);
        fprintf(f, "{\"type\":\"fault\",\"station\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",",
                s->st[fl->station].st->id, t, t2);
        if (fl->kind == FAULT_CLOCK) {
            fprintf(f, "\"fault\":\"clock_offset\",\"offset_s\":%.3f,\"announced\":%s}\n",
                    fl->offset_s, fl->announced ? "true" : "false");
        } else if (fl->kind == FAULT_OUTAGE) {
            fprintf(f, "\"fault\":\"outage\",\"announced\":%s}\n",
                    fl->announced ? "true" : "false");
        } else {
            fprintf(f, "\"fault\":\"link_down\",\"order\":\"%s\"}\n",
                    fl->announced ? "newest_first" : "oldest_first");
        }
    }
    return close_out(f, path);
}

static int
write_bytes(const char *dir, const char *name, const char *bytes, size_t len)
{
    char path[1200];
    FILE *f = open_out(dir, name, path, sizeof(path));
    if (!f) {
        return TL_EIO;
    }
    fwrite(bytes, 1, len, f);
    return close_out(f, path);
}

static int
write_scenario(const struct tl_sim *s, const char *dir)
{
    char path[1200];
    FILE *f = open_out(dir, "scenario.json", path, sizeof(path));
    if (!f) {
        return TL_EIO;
    }
    char t[TL_TIME_TEXT_MAX];
    fmt_time(s->cfg.start_ns, t);
    const struct tl_sim_stats *st = &s->stats;
    const struct tl__weather *wx = &s->wx;
    fprintf(f, "{\n \"software\": \"truceline %s\",\n \"preset\": \"%s\",\n", TL_VERSION_STRING,
            s->P->name);
    fprintf(f, " \"seed\": %llu,\n \"start\": \"%s\",\n \"hours\": %.3f,\n \"mission\": ",
            (unsigned long long)s->cfg.seed, t, s->cfg.hours);
    put_str(f, tl_mission_name(s->m));
    fprintf(f,
            ",\n \"weather\": {\"mean_temp_c\": %.1f, \"diurnal_k\": %.1f, \"wind_mps\": %.1f, "
            "\"wind_from_deg\": %.0f, \"cloud\": %.2f, \"front\": %s",
            wx->t_mean_c, wx->diurnal_k, wx->wind0_mps,
            fmod(wx->wind_dir_to_rad * 180.0 / M_PI + 180.0, 360.0), wx->cloud,
            wx->front ? "true" : "false");
    if (wx->front) {
        char tf[TL_TIME_TEXT_MAX];
        fmt_time(tl__sim_ns(s, wx->front_t_s), tf);
        fprintf(f, ", \"front_time\": \"%s\", \"front_dt_k\": %.1f, \"front_veer_deg\": %.0f", tf,
                wx->front_dt_k, wx->front_veer_rad * 180.0 / M_PI);
    }
    fprintf(f, "},\n");
    fprintf(f,
            " \"counts\": {\"events\": %zu, \"launches\": %zu, \"impacts\": %zu, \"others\": %zu, "
            "\"salvos\": %zu, \"heard_by_5\": %zu,\n  \"picks\": %zu, \"true_picks\": %zu, "
            "\"false_picks\": %zu, \"shock_picks\": %zu, \"false_shock_picks\": %zu, "
            "\"echo_picks\": %zu, \"outliers\": %zu,\n  \"met\": %zu, \"status\": %zu, "
            "\"records\": %zu, \"duplicates\": %zu, \"late\": %zu, \"faults\": %zu}\n}\n",
            st->events, st->launches, st->impacts, st->others, st->salvos, st->heard5, st->picks,
            st->true_picks, st->false_picks, st->shock_picks, st->false_shock_picks,
            st->echo_picks, st->outliers, st->met, st->status, st->records, st->duplicates,
            st->late, st->faults);
    return close_out(f, path);
}

int
tl_sim_write(const struct tl_sim *s, const char *dir)
{
    if (!s || !dir) {
        return TL_EINVAL;
    }
    int rc = write_records(s, dir);
    if (rc == TL_OK) {
        rc = write_truth(s, dir);
    }
    if (rc == TL_OK) {
        rc = write_bytes(dir, "mission.geojson", s->mission_bytes, s->mission_len);
    }
    if (rc == TL_OK) {
        rc = write_scenario(s, dir);
    }
    return rc;
}

/* ---------------------------------------------------- mirror mission -- */

struct chain {
    double ch;
    size_t i;
};

static int
cmp_chain(const void *a, const void *b)
{
    const struct chain *x = a, *y = b;
    if (x->ch != y->ch) {
        return x->ch < y->ch ? -1 : 1;
    }
    return x->i < y->i ? -1 : (x->i > y->i);
}

int
tl__sim_mirror_mission(const struct tl_mission *m, char **bytes, size_t *len)
{
    size_t srclen;
    const char *src = tl_mission_source(m, &srclen);
    json_error_t jerr;
    bool oom;
    json_t *root = tl__json_loadb(src, srclen, JSON_DECODE_ANY, &jerr, &oom);
    if (!root) {
        return oom ? TL_ENOMEM : TL_EPARSE;
    }
    int rc = TL_ENOMEM;
    struct chain *order = NULL;
    json_t *feats = json_object_get(root, "features");
    json_t *mis = json_object_get(root, "mission");
    json_t *nfeats = json_array();
    size_t nv, ns = tl_mission_station_count(m);
    const double(*v)[2] = tl_mission_line(m, &nv);
    order = tl_calloc(ns ? ns : 1, sizeof(*order));
    if (!json_is_array(feats) || !json_is_object(mis) || !nfeats || !order || nv < 2) {
        rc = !nfeats || !order ? TL_ENOMEM : TL_EINVAL;
        goto done;
    }
    {
        json_t *name = json_object_get(mis, "name");
        char buf[512];
        snprintf(buf, sizeof(buf), "%s (mirror variant)",
                 json_is_string(name) ? json_string_value(name) : "mission");
        json_object_set_new(mis, "name", json_string(buf));
        json_object_set_new(mis, "note",
                            json_string("Simulator variant: straight contact line between the "
                                        "original end points, every station on it, no arrays."));
    }
    double lat0 = v[0][0], lon0 = v[0][1], lat1 = v[nv - 1][0], lon1 = v[nv - 1][1];
    double len_m, azi, azi2;
    tl_geo_inverse(lat0, lon0, lat1, lon1, &len_m, &azi, &azi2);
    for (size_t i = 0; i < ns; i++) {
        const struct tl_station *st = tl_mission_station(m, i);
        double d, a, a2;
        tl_geo_inverse(lat0, lon0, st->lat_deg, st->lon_deg, &d, &a, &a2);
        order[i].ch = d * cos((a - azi) * M_PI / 180.0);
        order[i].i = i;
    }
    qsort(order, ns, sizeof(*order), cmp_chain);
    /* The features as they were: the line straightened, the stations moved onto it. */
    json_t *f;
    size_t fi;
    json_array_foreach(feats, fi, f)
    {
        json_t *props = json_object_get(f, "properties");
        json_t *kind = json_is_object(props) ? json_object_get(props, "kind") : NULL;
        const char *ks = json_is_string(kind) ? json_string_value(kind) : "";
        json_t *nf = json_deep_copy(f);
        if (!nf) {
            goto done;
        }
        if (strcmp(ks, "contact_line") == 0) {
            json_t *g = json_pack("{s:s,s:[[f,f],[f,f]]}", "type", "LineString", "coordinates",
                                  lon0, lat0, lon1, lat1);
            json_t *np = json_object_get(nf, "properties");
            json_object_set_new(np, "name", json_string("Straight line (mirror variant)"));
            json_object_set_new(nf, "geometry", g);
        } else if (strcmp(ks, "station") == 0) {
            json_t *id = json_object_get(props, "id");
            const char *ids = json_is_string(id) ? json_string_value(id) : "";
            long si = tl_mission_find_station(m, ids);
            size_t rank = 0;
            for (size_t q = 0; q < ns; q++) {
                if ((long)order[q].i == si) {
                    rank = q;
                }
            }
            double ch = ((double)rank + 0.5) * len_m / (double)(ns ? ns : 1);
            double la, lo;
            tl_geo_direct(lat0, lon0, azi, ch, &la, &lo);
            const struct tl_station *st = si >= 0 ? tl_mission_station(m, (size_t)si) : NULL;
            json_t *g = json_pack("{s:s,s:[f,f,f]}", "type", "Point", "coordinates", lo, la,
                                  st ? st->elev_m : 0.0);
            json_object_set_new(nf, "geometry", g);
            json_object_del(json_object_get(nf, "properties"), "array");
        }
        if (json_array_append_new(nfeats, nf) != 0) {
            goto done;
        }
    }
    json_object_set(root, "features", nfeats);
    char *out =
        tl__json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    if (!out) {
        goto done;
    }
    size_t n = strlen(out);
    *bytes = tl_malloc(n + 2);
    if (*bytes) {
        memcpy(*bytes, out, n);
        (*bytes)[n] = '\n';
        (*bytes)[n + 1] = '\0';
        *len = n + 1;
        rc = TL_OK;
    }
    json_free_t jfree;
    json_get_alloc_funcs(NULL, &jfree);
    jfree(out);
done:
    tl_free(order);
    json_decref(nfeats);
    json_decref(root);
    return rc;
}
