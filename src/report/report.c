/*
 * report.c - the daily report as one HTML page.
 *
 * The page follows the daily report of a monitoring mission (research/missions.md 1.3 and
 * 7.3): a header saying what period and what audience it covers; a summary in a fixed order
 * (findings per party, events per category, against the previous day and the 7-day mean;
 * zones of the agreement; coverage; faults; reviews); the counts per sector of the line; a
 * map; the zones with what their rules make violations; the table of findings; coverage per
 * station (share of the day heard, longest silence, the station's own status reports); the
 * station quality flags; the transparency-log checkpoint that covers the findings; and the
 * counting rules.
 *
 * Sectors are equal stretches of the contact line, at most 40 km each, numbered in the
 * line's order and named by the place nearest to their middle; an event belongs to the
 * sector of its nearest point on the line, a finding to its launch's.  The map is inline SVG
 * in an equirectangular projection scaled by cos(latitude) at the middle: at a sector's size
 * that is as good as any.  The page has no script and asks nothing of the network, so a PDF
 * printed from it (`truceline report --pdf`) is the page.
 *
 * Every figure a reader (or a test) might check against the API carries data-count="name".
 */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <truceline/geo.h>
#include <truceline/physics.h>
#include <truceline/report.h>
#include <truceline/time.h>

#include "../util/util.h"

#define MAX_SECTORS 12
#define SECTOR_M    40000.0
#define OUT_MAX     ((size_t)64 << 20)

/* ------------------------------------------------------------- buffer -- */

struct out {
    char *p;
    size_t n, cap;
    bool failed;
};

static void
put(struct out *o, const char *s, size_t n)
{
    if (o->failed) {
        return;
    }
    if (o->n + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 65536;
        while (cap < o->n + n + 1) {
            cap *= 2;
        }
        char *q = cap > OUT_MAX ? NULL : tl_realloc(o->p, cap);
        if (!q) {
            o->failed = true;
            return;
        }
        o->p = q;
        o->cap = cap;
    }
    memcpy(o->p + o->n, s, n);
    o->n += n;
    o->p[o->n] = '\0';
}

static void
str(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void TL_PRINTF(2, 3) fmt(struct out *o, const char *f, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(buf, sizeof(buf), f, ap);
    va_end(ap);
    if (n < 0) {
        o->failed = true;
        return;
    }
    if ((size_t)n < sizeof(buf)) {
        put(o, buf, (size_t)n);
        return;
    }
    /* longer than the stack buffer: print again into one that fits */
    char *big = tl_malloc((size_t)n + 1);
    if (!big) {
        o->failed = true;
        return;
    }
    va_start(ap, f);
    vsnprintf(big, (size_t)n + 1, f, ap);
    va_end(ap);
    put(o, big, (size_t)n);
    tl_free(big);
}

/* Text with &, <, >, " escaped. */
static void
esc(struct out *o, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        switch (*p) {
        case '&':
            str(o, "&amp;");
            break;
        case '<':
            str(o, "&lt;");
            break;
        case '>':
            str(o, "&gt;");
            break;
        case '"':
            str(o, "&quot;");
            break;
        default:
            put(o, p, 1);
        }
    }
}

/* A figure with its name: <td data-count="name">v</td> (or another tag). */
static void
count_cell(struct out *o, const char *name, long v)
{
    fmt(o, "<td class=\"num\" data-count=\"%s\">%ld</td>", name, v);
}

static void
time_text(tl_time_ns t, char *buf, size_t size)
{
    char full[TL_TIME_TEXT_MAX];
    tl_time_format(t, full, sizeof(full));
    /* 2026-03-01T04:12:33.512345Z -> 2026-03-01 04:12:33 */
    snprintf(buf, size, "%.10s %.8s", full, full + 11);
}

static const char *
side_name(enum tl_side s)
{
    return s == TL_SIDE_LEFT ? "left" : s == TL_SIDE_RIGHT ? "right" : "ambiguous";
}

static const char *
weapon_text(int w)
{
    static const char *const names[] = {"mortar 82 mm", "mortar 120 mm", "howitzer 122 mm",
                                        "howitzer 152 mm", "MLRS 122 mm"};
    return w >= 0 && w < (int)TL_ARRAY_LEN(names) ? names[w] : "unknown";
}

/* Calibre of 100 mm or more: what heavy-weapons bands forbid (Minsk II withdrawal rule). */
static bool
heavy(int w)
{
    return w == TL_WEAPON_MORTAR_120 || w == TL_WEAPON_HOWITZER_122 ||
           w == TL_WEAPON_HOWITZER_152 || w == TL_WEAPON_MLRS_122;
}

/* ------------------------------------------------------------- counts -- */

void
tl_report_count(const struct tl_event *events,
                const enum tl_review_status *event_status,
                size_t n_events,
                const struct tl_finding *findings,
                const enum tl_review_status *finding_status,
                size_t n_findings,
                struct tl_report_counts *out)
{
    tl_time_ns day = out->day_ns;
    memset(out, 0, sizeof(*out));
    out->day_ns = day;
    for (size_t i = 0; i < n_events; i++) {
        enum tl_review_status st = event_status ? event_status[i] : TL_STATUS_AUTOMATIC;
        if (st == TL_STATUS_REJECTED) {
            out->rejected_events++;
            continue;
        }
        out->reviewed += st == TL_STATUS_REVIEWED;
        out->events++;
        out->launches += events[i].cls == TL_CLASS_LAUNCH;
        out->impacts += events[i].cls == TL_CLASS_IMPACT;
        out->unknown += events[i].cls == TL_CLASS_UNKNOWN;
    }
    for (size_t i = 0; i < n_findings; i++) {
        enum tl_review_status st = finding_status ? finding_status[i] : TL_STATUS_AUTOMATIC;
        if (st == TL_STATUS_REJECTED) {
            out->rejected_findings++;
            continue;
        }
        out->reviewed += st == TL_STATUS_REVIEWED;
        out->findings++;
        out->fired_left += findings[i].fired_from == TL_SIDE_LEFT;
        out->fired_right += findings[i].fired_from == TL_SIDE_RIGHT;
        out->fired_ambiguous += findings[i].fired_from == TL_SIDE_AMBIGUOUS;
    }
}

/* ------------------------------------------------------------ sectors -- */

struct sector {
    double from_m, to_m;
    char place[96];
    long events, launches, impacts, unknown, findings, left, right, ambiguous;
    int stations, stations_heard90;
    double heard_sum; /* sum of the stations' heard share */
};

struct ctx {
    const struct tl_report *r;
    const struct tl_mission *m;
    const double (*line)[2];
    size_t n_line;
    double *cum_m; /* distance along the line to each vertex */
    double length_m;
    struct sector sec[MAX_SECTORS];
    size_t n_sec;
    double sec_len_m;
    struct tl_report_counts today;
};

static double
along_m(const struct ctx *c, double lat, double lon)
{
    if (c->n_line < 2) {
        return 0;
    }
    struct tl_line_pos lp;
    tl_mission_line_pos(c->m, lat, lon, &lp);
    size_t s = lp.segment < c->n_line - 1 ? lp.segment : c->n_line - 2;
    return c->cum_m[s] +
           tl_geo_dist_m(c->line[s][0], c->line[s][1], lp.near_lat_deg, lp.near_lon_deg);
}

static size_t
sector_of(const struct ctx *c, double lat, double lon)
{
    double a = along_m(c, lat, lon);
    long k = c->sec_len_m > 0 ? (long)(a / c->sec_len_m) : 0;
    if (k < 0) {
        k = 0;
    }
    if ((size_t)k >= c->n_sec) {
        k = (long)c->n_sec - 1;
    }
    return (size_t)k;
}

/* The point `d_m` along the line. */
static void
point_along(const struct ctx *c, double d_m, double *lat, double *lon)
{
    for (size_t i = 0; i + 1 < c->n_line; i++) {
        if (d_m <= c->cum_m[i + 1] || i + 2 == c->n_line) {
            double seg = c->cum_m[i + 1] - c->cum_m[i];
            double t = seg > 0 ? (d_m - c->cum_m[i]) / seg : 0;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            *lat = c->line[i][0] + t * (c->line[i + 1][0] - c->line[i][0]);
            *lon = c->line[i][1] + t * (c->line[i + 1][1] - c->line[i][1]);
            return;
        }
    }
    *lat = c->n_line ? c->line[0][0] : 0;
    *lon = c->n_line ? c->line[0][1] : 0;
}

/* The reason of a standing review (its JSON object text; NULL: none), after the status: a
 * party or the public reading that a finding was rejected or amended reads why. */
static void
review_reason(struct out *o, const char *review)
{
    bool oom = false;
    json_t *j = review ? tl__json_loadb(review, strlen(review), 0, NULL, &oom) : NULL;
    o->failed |= oom;
    const char *reason = json_string_value(json_object_get(j, "reason"));
    if (reason && *reason) {
        str(o, ": <q class=\"reason\">");
        esc(o, reason);
        str(o, "</q>");
    }
    json_decref(j);
}

static const enum tl_review_status *
ev_status(const struct tl_report *r)
{
    return r->event_status;
}

static bool
rejected_event(const struct tl_report *r, size_t i)
{
    return r->event_status && r->event_status[i] == TL_STATUS_REJECTED;
}

static bool
rejected_finding(const struct tl_report *r, size_t i)
{
    return r->finding_status && r->finding_status[i] == TL_STATUS_REJECTED;
}

static bool
provisional_finding(const struct tl_report *r, size_t i)
{
    return r->finding_provisional && r->finding_provisional[i];
}

static int
setup(struct ctx *c)
{
    c->line = tl_mission_line(c->m, &c->n_line);
    c->cum_m = tl_calloc(c->n_line ? c->n_line : 1, sizeof(double));
    if (!c->cum_m) {
        return TL_ENOMEM;
    }
    for (size_t i = 1; i < c->n_line; i++) {
        c->cum_m[i] = c->cum_m[i - 1] + tl_geo_dist_m(c->line[i - 1][0], c->line[i - 1][1],
                                                      c->line[i][0], c->line[i][1]);
    }
    c->length_m = c->n_line ? c->cum_m[c->n_line - 1] : 0;
    size_t n = (size_t)ceil(c->length_m / SECTOR_M);
    c->n_sec = n < 1 ? 1 : n > MAX_SECTORS ? MAX_SECTORS : n;
    c->sec_len_m = c->length_m / (double)c->n_sec;
    for (size_t k = 0; k < c->n_sec; k++) {
        struct sector *s = &c->sec[k];
        s->from_m = c->sec_len_m * (double)k;
        s->to_m = c->sec_len_m * (double)(k + 1);
        double lat, lon;
        point_along(c, (s->from_m + s->to_m) / 2, &lat, &lon);
        tl_mission_describe(c->m, lat, lon, s->place, sizeof(s->place));
    }
    const struct tl_report *r = c->r;
    for (size_t i = 0; i < r->n_events; i++) {
        if (rejected_event(r, i)) {
            continue;
        }
        const struct tl_event *e = &r->events[i];
        struct sector *s = &c->sec[sector_of(c, e->lat_deg, e->lon_deg)];
        s->events++;
        s->launches += e->cls == TL_CLASS_LAUNCH;
        s->impacts += e->cls == TL_CLASS_IMPACT;
        s->unknown += e->cls == TL_CLASS_UNKNOWN;
    }
    for (size_t i = 0; i < r->n_findings; i++) {
        if (rejected_finding(r, i)) {
            continue;
        }
        const struct tl_finding *f = &r->findings[i];
        struct sector *s = &c->sec[sector_of(c, f->launch_lat_deg, f->launch_lon_deg)];
        s->findings++;
        s->left += f->fired_from == TL_SIDE_LEFT;
        s->right += f->fired_from == TL_SIDE_RIGHT;
        s->ambiguous += f->fired_from == TL_SIDE_AMBIGUOUS;
    }
    for (size_t i = 0; i < r->n_stations; i++) {
        const struct tl_report_station *rs = &r->stations[i];
        long k = tl_mission_find_station(c->m, rs->id);
        if (k < 0) {
            continue;
        }
        const struct tl_station *st = tl_mission_station(c->m, (size_t)k);
        struct sector *s = &c->sec[sector_of(c, st->lat_deg, st->lon_deg)];
        double share = rs->bins_expected > 0 ? (double)rs->bins_heard / rs->bins_expected : 0;
        s->stations++;
        s->heard_sum += share;
        s->stations_heard90 += share >= 0.9;
    }
    c->today.day_ns = r->day_ns;
    tl_report_count(r->events, ev_status(r), r->n_events, r->findings, r->finding_status,
                    r->n_findings, &c->today);
    return TL_OK;
}

/* ------------------------------------------------------------ sections -- */

static const char CSS[] =
    "body{font:10.5pt/1.4 'DejaVu Sans',system-ui,sans-serif;color:#1d2329;margin:24px auto;"
    "max-width:1000px;padding:0 16px}"
    "h1{font-size:18pt;margin:0 0 4px}h2{font-size:13pt;border-bottom:2px solid #23303b;"
    "padding-bottom:2px;margin:22px 0 8px}"
    ".meta{color:#4a5560;margin:2px 0}.illustrative{background:#fff4d6;border:1px solid #e0c060;"
    "padding:4px 8px}"
    "table{border-collapse:collapse;width:100%;font-size:9pt;margin:4px 0 8px}"
    "th,td{border-bottom:1px solid #d5d9dd;padding:2px 5px;text-align:left;vertical-align:top}"
    "th{background:#eef1f3}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".left{color:#1f6fd1}.right{color:#d9731a}.ambiguous{color:#6b6b6b}"
    ".up{color:#2e7d32}.down{color:#c62828}.note{font-size:8.5pt;color:#5b6670}"
    "pre{font-size:8pt;background:#f6f7f8;border:1px solid #d5d9dd;padding:6px;white-space:"
    "pre-wrap;word-break:break-all}"
    "svg{display:block;margin:0 auto;max-width:100%;max-height:235mm;border:1px solid #d5d9dd;"
    "background:#f4f1ea}"
    "ul.summary li{margin:3px 0}"
    "@page{size:A4;margin:14mm 12mm}"
    "@media print{body{margin:0;max-width:none;padding:0;font-size:9.5pt}"
    "h2{break-after:avoid}tr,svg{break-inside:avoid}"
    "section#map-section,section#findings{break-before:page}}";

static double
mean_prev(const struct tl_report *r, size_t field_off, size_t days)
{
    size_t n = r->n_previous < days ? r->n_previous : days;
    if (n == 0) {
        return NAN;
    }
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        s += (double)*(const long *)((const char *)&r->previous[i] + field_off);
    }
    return s / (double)n;
}

static void
change_cells(struct out *o, const struct tl_report *r, size_t off, long today)
{
    if (r->n_previous == 0) {
        str(o, "<td class=\"num\">—</td><td class=\"num\">—</td><td class=\"num\">—</td>");
        return;
    }
    long prev = *(const long *)((const char *)&r->previous[0] + off);
    double m7 = mean_prev(r, off, 7);
    fmt(o, "<td class=\"num\">%ld</td><td class=\"num\">%+ld</td><td class=\"num\">%.1f</td>", prev,
        today - prev, m7);
}

static void
summary(struct out *o, const struct ctx *c)
{
    const struct tl_report *r = c->r;
    const struct tl_report_counts *t = &c->today;
    const char *pl = tl_mission_party(c->m, TL_SIDE_LEFT);
    const char *pr = tl_mission_party(c->m, TL_SIDE_RIGHT);
    str(o, "<section id=\"summary\"><h2>1. Summary</h2><ul class=\"summary\">");
    fmt(o, "<li><b>%ld findings</b> (a launch paired with its impact): fired from ", t->findings);
    str(o, "<span class=\"left\">");
    esc(o, pl);
    fmt(o, " (left) %ld</span>, <span class=\"right\">", t->fired_left);
    esc(o, pr);
    fmt(o, " (right) %ld</span>, <span class=\"ambiguous\">ambiguous %ld</span>", t->fired_right,
        t->fired_ambiguous);
    if (r->n_previous) {
        fmt(o, "; %+ld against the previous day", t->findings - r->previous[0].findings);
    }
    long prov = 0;
    for (size_t i = 0; i < r->n_findings; i++) {
        prov += provisional_finding(r, i) && !rejected_finding(r, i);
    }
    fmt(o,
        ". <span data-count=\"provisional_findings\">%ld</span> of them %s provisional: "
        "processing may still change %s pairing or withdraw %s (section 5).</li>",
        prov, prov == 1 ? "is" : "are", prov == 1 ? "its" : "their", prov == 1 ? "it" : "them");
    fmt(o,
        "<li><b>%ld events</b> located (explosions heard by several stations): %ld launches, "
        "%ld impacts, %ld undetermined",
        t->events, t->launches, t->impacts, t->unknown);
    if (r->n_previous) {
        fmt(o, "; %+ld against the previous day", t->events - r->previous[0].events);
    }
    str(o, ".</li>");
    /* zones: violations by rule */
    for (size_t z = 0; z < tl_mission_zone_count(c->m); z++) {
        const struct tl_zone *zn = tl_mission_zone(c->m, z);
        long fire = 0, impact = 0, hw = 0;
        for (size_t i = 0; i < r->n_events; i++) {
            const struct tl_event *e = &r->events[i];
            bool in = false;
            for (size_t k = 0; k < e->n_zones; k++) {
                in = in || e->zones[k] == z;
            }
            if (!in || rejected_event(r, i)) {
                continue;
            }
            fire += (zn->forbid & TL_FORBID_FIRE) && e->cls == TL_CLASS_LAUNCH;
            impact += (zn->forbid & TL_FORBID_IMPACT) && e->cls == TL_CLASS_IMPACT;
            hw += (zn->forbid & TL_FORBID_HEAVY_WEAPONS) && e->cls == TL_CLASS_LAUNCH &&
                  heavy(e->weapon);
        }
        str(o, "<li>");
        esc(o, zn->name ? zn->name : zn->id);
        str(o, " (");
        esc(o, zn->id);
        fmt(o, "): %ld violation%s of its rules", fire + impact + hw,
            fire + impact + hw == 1 ? "" : "s");
        if (fire + impact + hw) {
            fmt(o, " (%ld launches, %ld impacts inside; %ld heavy-weapon launches)", fire, impact,
                hw);
        }
        str(o, ".</li>");
    }
    /* coverage and faults */
    long heard90 = 0, faults = 0, reports = 0;
    for (size_t i = 0; i < r->n_stations; i++) {
        const struct tl_report_station *s = &r->stations[i];
        heard90 += s->bins_expected > 0 && s->bins_heard * 10 >= s->bins_expected * 9;
        faults += s->has_qc && (s->qc.clock_flag || s->qc.misfit_flag);
        reports += s->n_down + s->n_tamper + s->n_clock_unsync + s->n_low_power;
    }
    fmt(o,
        "<li>Coverage: <span data-count=\"stations_heard90\">%ld</span> of %zu stations heard "
        "for at least 90%% of the period",
        heard90, tl_mission_station_count(c->m));
    long thin = 0;
    for (size_t k = 0; k < c->n_sec; k++) {
        const struct sector *s = &c->sec[k];
        thin += s->stations == 0 || s->heard_sum / s->stations < 0.8;
    }
    fmt(o, "; %ld of %zu sectors not fully heard (section 6).</li>", thin, c->n_sec);
    fmt(o,
        "<li>Station faults: %ld stations flagged by quality control (clock or misfit), %ld "
        "status reports of trouble (down, tamper, clock, power).</li>",
        faults, reports);
    fmt(o,
        "<li>Reviews: <span data-count=\"reviewed\">%ld</span> confirmed or amended by analysts; "
        "<span data-count=\"rejected_findings\">%ld</span> findings and "
        "<span data-count=\"rejected_events\">%ld</span> events rejected and not counted.</li>",
        t->reviewed, t->rejected_findings, t->rejected_events);
    str(o, "</ul>");

    /* the counts table, against the previous days */
    str(o, "<table id=\"counts\"><thead><tr><th>category</th><th class=\"num\">this day</th>"
           "<th class=\"num\">previous day</th><th class=\"num\">change</th>"
           "<th class=\"num\">7-day mean</th></tr></thead><tbody>");

    struct {
        const char *name, *label;
        size_t off;
        long v;
    } rows[] = {
        {"findings", "findings", offsetof(struct tl_report_counts, findings), t->findings},
        {"fired_left", "— fired from the left", offsetof(struct tl_report_counts, fired_left),
         t->fired_left},
        {"fired_right", "— fired from the right", offsetof(struct tl_report_counts, fired_right),
         t->fired_right},
        {"fired_ambiguous", "— side ambiguous", offsetof(struct tl_report_counts, fired_ambiguous),
         t->fired_ambiguous},
        {"events", "events located", offsetof(struct tl_report_counts, events), t->events},
        {"launch", "— launches", offsetof(struct tl_report_counts, launches), t->launches},
        {"impact", "— impacts", offsetof(struct tl_report_counts, impacts), t->impacts},
        {"unknown", "— undetermined", offsetof(struct tl_report_counts, unknown), t->unknown},
    };

    for (size_t i = 0; i < TL_ARRAY_LEN(rows); i++) {
        str(o, "<tr><td>");
        if (strcmp(rows[i].name, "fired_left") == 0 || strcmp(rows[i].name, "fired_right") == 0) {
            str(o, rows[i].label);
            str(o, " (");
            esc(o, tl_mission_party(c->m, strcmp(rows[i].name, "fired_left") == 0 ? TL_SIDE_LEFT
                                                                                  : TL_SIDE_RIGHT));
            str(o, ")");
        } else {
            str(o, rows[i].label);
        }
        str(o, "</td>");
        count_cell(o, rows[i].name, rows[i].v);
        change_cells(o, r, rows[i].off, rows[i].v);
        str(o, "</tr>");
    }
    str(o, "</tbody></table>");
    if (r->n_previous) {
        str(o, "<p class=\"note\">Previous days: ");
        for (size_t i = 0; i < r->n_previous && i < 7; i++) {
            char d[TL_TIME_TEXT_MAX];
            tl_time_format(r->previous[i].day_ns, d, sizeof(d));
            fmt(o, "%s%.10s %ld findings, %ld events", i ? "; " : "", d, r->previous[i].findings,
                r->previous[i].events);
        }
        str(o, ".</p>");
    }
    str(o, "</section>");
}

static void
sectors(struct out *o, const struct ctx *c)
{
    str(o, "<section id=\"sectors\"><h2>2. By sector of the line</h2>"
           "<table><thead><tr><th>sector</th><th>km of the line</th><th>near</th>"
           "<th class=\"num\">events</th><th class=\"num\">launches</th>"
           "<th class=\"num\">impacts</th><th class=\"num\">undet.</th>"
           "<th class=\"num\">findings</th><th class=\"num left\">left</th>"
           "<th class=\"num right\">right</th><th class=\"num\">ambig.</th>"
           "<th class=\"num\">stations</th><th class=\"num\">heard</th></tr></thead><tbody>");
    for (size_t k = 0; k < c->n_sec; k++) {
        const struct sector *s = &c->sec[k];
        fmt(o, "<tr data-sector=\"S%zu\"><td>S%zu</td><td>%.0f–%.0f</td><td>", k + 1, k + 1,
            s->from_m / 1000, s->to_m / 1000);
        esc(o, s->place);
        fmt(o,
            "</td><td class=\"num\">%ld</td><td class=\"num\">%ld</td><td class=\"num\">%ld</td>"
            "<td class=\"num\">%ld</td><td class=\"num\">%ld</td><td class=\"num\">%ld</td>"
            "<td class=\"num\">%ld</td><td class=\"num\">%ld</td><td class=\"num\">%d</td>",
            s->events, s->launches, s->impacts, s->unknown, s->findings, s->left, s->right,
            s->ambiguous, s->stations);
        if (s->stations) {
            fmt(o, "<td class=\"num\">%.0f%%</td></tr>", 100 * s->heard_sum / s->stations);
        } else {
            str(o, "<td class=\"num\">—</td></tr>");
        }
    }
    str(o, "</tbody></table><p class=\"note\">Sectors are equal stretches of the contact line "
           "(at most 40 km), numbered along it; an event counts in the sector of its nearest "
           "point on the line, a finding in its launch's. Heard: the stations' mean share of "
           "10-minute periods with records.</p></section>");
}

/* ---------------------------------------------------------------- map -- */

struct proj {
    double lat0, lon0, lat1, lon1, k, coslat;
    double w, h;
};

static void
xy(const struct proj *p, double lat, double lon, double *x, double *y)
{
    *x = (lon - p->lon0) * p->coslat * p->k;
    *y = (p->lat1 - lat) * p->k;
}

static void
ring_path(struct out *o, const struct proj *p, json_t *ring)
{
    size_t i;
    json_t *pt;
    json_array_foreach(ring, i, pt)
    {
        double x, y;
        xy(p, json_number_value(json_array_get(pt, 1)), json_number_value(json_array_get(pt, 0)),
           &x, &y);
        fmt(o, "%s%.1f,%.1f", i ? " L" : "M", x, y);
    }
    str(o, " Z");
}

static void
zones_svg(struct out *o, const struct ctx *c, const struct proj *p)
{
    size_t len = 0;
    const char *src = tl_mission_source(c->m, &len);
    json_t *root = src ? json_loadb(src, len, 0, NULL) : NULL;
    json_t *fs = json_object_get(root, "features");
    size_t i;
    json_t *f;
    json_array_foreach(fs, i, f)
    {
        json_t *props = json_object_get(f, "properties");
        if (!json_is_string(json_object_get(props, "kind")) ||
            strcmp(json_string_value(json_object_get(props, "kind")), "zone") != 0) {
            continue;
        }
        json_t *g = json_object_get(f, "geometry");
        const char *type = json_string_value(json_object_get(g, "type"));
        json_t *coords = json_object_get(g, "coordinates");
        str(o, "<path class=\"zone\" fill=\"#8e24aa\" fill-opacity=\"0.05\" stroke=\"#7b5a8c\" "
               "stroke-dasharray=\"6 4\" fill-rule=\"evenodd\" d=\"");
        size_t j;
        json_t *poly;
        if (type && strcmp(type, "Polygon") == 0) {
            json_array_foreach(coords, j, poly)
            {
                ring_path(o, p, poly);
            }
        } else if (type && strcmp(type, "MultiPolygon") == 0) {
            json_array_foreach(coords, j, poly)
            {
                size_t k;
                json_t *ring;
                json_array_foreach(poly, k, ring)
                {
                    ring_path(o, p, ring);
                }
            }
        }
        str(o, "\"><title>");
        esc(o, json_string_value(json_object_get(props, "name")));
        str(o, "</title></path>");
    }
    json_decref(root);
}

static const char *
side_colour(enum tl_side s)
{
    return s == TL_SIDE_LEFT ? "#1f6fd1" : s == TL_SIDE_RIGHT ? "#d9731a" : "#7a7a7a";
}

static void
map_svg(struct out *o, const struct ctx *c)
{
    const struct tl_report *r = c->r;
    struct proj p = {90, 180, -90, -180, 0, 1, 1000, 0};
    /* bounds: the line and the stations, with a margin */
    for (size_t i = 0; i < c->n_line; i++) {
        p.lat0 = fmin(p.lat0, c->line[i][0]);
        p.lat1 = fmax(p.lat1, c->line[i][0]);
        p.lon0 = fmin(p.lon0, c->line[i][1]);
        p.lon1 = fmax(p.lon1, c->line[i][1]);
    }
    for (size_t i = 0; i < tl_mission_station_count(c->m); i++) {
        const struct tl_station *s = tl_mission_station(c->m, i);
        p.lat0 = fmin(p.lat0, s->lat_deg);
        p.lat1 = fmax(p.lat1, s->lat_deg);
        p.lon0 = fmin(p.lon0, s->lon_deg);
        p.lon1 = fmax(p.lon1, s->lon_deg);
    }
    if (p.lat0 > p.lat1) {
        return;
    }
    double mlat = (p.lat1 - p.lat0) * 0.08 + 0.02, mlon = (p.lon1 - p.lon0) * 0.08 + 0.02;
    p.lat0 -= mlat;
    p.lat1 += mlat;
    p.lon0 -= mlon;
    p.lon1 += mlon;
    p.coslat = cos((p.lat0 + p.lat1) / 2 * M_PI / 180);
    double wdeg = (p.lon1 - p.lon0) * p.coslat, hdeg = p.lat1 - p.lat0;
    /* a line running north-south still gets room for the side labels and the zones */
    if (wdeg < 0.8 * hdeg) {
        double grow = (0.8 * hdeg - wdeg) / p.coslat / 2;
        p.lon0 -= grow;
        p.lon1 += grow;
        wdeg = 0.8 * hdeg;
    }
    /* portrait lines get a narrower page width so the map fits one page */
    p.w = hdeg > wdeg ? 700 : 1000;
    p.k = p.w / wdeg;
    p.h = hdeg * p.k;
    if (p.h > 900) {
        /* keep to one printed page (A4, 186 x 240 mm at most) */
        p.k *= 900 / p.h;
        p.w = wdeg * p.k;
        p.h = 900;
    }
    fmt(o,
        "<svg id=\"report-map\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
        "aria-label=\"map of the day\" xmlns=\"http://www.w3.org/2000/svg\">",
        p.w, p.h);
    str(o, "<defs>");
    static const char *const sides[] = {"left", "right", "ambiguous"};

    static const enum tl_side sv[] = {TL_SIDE_LEFT, TL_SIDE_RIGHT, TL_SIDE_AMBIGUOUS};

    for (size_t i = 0; i < 3; i++) {
        fmt(o,
            "<marker id=\"ah-%s\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"5\" "
            "markerHeight=\"5\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" "
            "fill=\"%s\"/></marker>",
            sides[i], side_colour(sv[i]));
    }
    str(o, "</defs>");
    zones_svg(o, c, &p);
    /* contact line */
    str(o, "<path class=\"contact-line\" fill=\"none\" stroke=\"#222\" stroke-width=\"3\" d=\"");
    for (size_t i = 0; i < c->n_line; i++) {
        double x, y;
        xy(&p, c->line[i][0], c->line[i][1], &x, &y);
        fmt(o, "%s%.1f,%.1f", i ? " L" : "M", x, y);
    }
    str(o, "\"/>");
    /* sector ticks and labels */
    for (size_t k = 0; k < c->n_sec; k++) {
        double lat, lon, x, y;
        point_along(c, (c->sec[k].from_m + c->sec[k].to_m) / 2, &lat, &lon);
        xy(&p, lat, lon, &x, &y);
        fmt(o,
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"14\" font-weight=\"bold\" fill=\"#222\" "
            "text-anchor=\"middle\" stroke=\"#f4f1ea\" stroke-width=\"3\" paint-order=\"stroke\">"
            "S%zu</text>",
            x, y, k + 1);
        if (k > 0) {
            point_along(c, c->sec[k].from_m, &lat, &lon);
            xy(&p, lat, lon, &x, &y);
            fmt(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#fff\" stroke=\"#222\"/>", x, y);
        }
    }
    /* side labels at the middle of the line */
    if (c->n_line >= 2) {
        double lat, lon;
        point_along(c, c->length_m / 2, &lat, &lon);
        struct tl_line_pos lp;
        tl_mission_line_pos(c->m, lat, lon, &lp);
        double az = (lp.line_azi_deg - 90) * M_PI / 180; /* to the left */
        for (int s = 0; s < 2; s++) {
            double d = 8000, a = s == 0 ? az : az + M_PI;
            double la2 = lat + d * cos(a) / 111195.0;
            double lo2 = lon + d * sin(a) / (111195.0 * cos(lat * M_PI / 180));
            double x, y;
            xy(&p, la2, lo2, &x, &y);
            fmt(o,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"15\" font-weight=\"bold\" fill=\"%s\" "
                "text-anchor=\"middle\" stroke=\"#f4f1ea\" stroke-width=\"4\" "
                "paint-order=\"stroke\">",
                x, y, side_colour(s == 0 ? TL_SIDE_LEFT : TL_SIDE_RIGHT));
            esc(o, tl_mission_party(c->m, s == 0 ? TL_SIDE_LEFT : TL_SIDE_RIGHT));
            fmt(o, " (%s)</text>", s == 0 ? "left" : "right");
        }
    }
    /* places */
    for (size_t i = 0; i < tl_mission_place_count(c->m); i++) {
        const struct tl_place *pl = tl_mission_place(c->m, i);
        double x, y;
        xy(&p, pl->lat_deg, pl->lon_deg, &x, &y);
        fmt(o,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#fff\" stroke=\"#444\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#333\">",
            x, y, x + 4, y + 3);
        esc(o, pl->name);
        str(o, "</text>");
    }
    /* stations: share of the day heard */
    for (size_t i = 0; i < r->n_stations; i++) {
        long k = tl_mission_find_station(c->m, r->stations[i].id);
        if (k < 0) {
            continue;
        }
        const struct tl_station *st = tl_mission_station(c->m, (size_t)k);
        const struct tl_report_station *rs = &r->stations[i];
        double share = rs->bins_expected ? (double)rs->bins_heard / rs->bins_expected : 0;
        double x, y;
        xy(&p, st->lat_deg, st->lon_deg, &x, &y);
        fmt(o,
            "<rect class=\"station\" x=\"%.1f\" y=\"%.1f\" width=\"6\" height=\"6\" fill=\"%s\" "
            "stroke=\"#111\" stroke-width=\"0.6\"><title>%s: heard %.0f%%</title></rect>",
            x - 3, y - 3,
            share >= 0.9   ? "#2e9d44"
            : share >= 0.5 ? "#e0b000"
                           : "#c8242b",
            st->id, 100 * share);
    }
    /* events */
    for (size_t i = 0; i < r->n_events; i++) {
        if (rejected_event(r, i)) {
            continue;
        }
        const struct tl_event *e = &r->events[i];
        double x, y;
        xy(&p, e->lat_deg, e->lon_deg, &x, &y);
        fmt(o,
            "<circle class=\"event\" cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\" "
            "fill-opacity=\"0.7\"/>",
            x, y, side_colour(e->side));
    }
    /* findings */
    for (size_t i = 0; i < r->n_findings; i++) {
        if (rejected_finding(r, i)) {
            continue;
        }
        const struct tl_finding *f = &r->findings[i];
        double x1, y1, x2, y2;
        xy(&p, f->launch_lat_deg, f->launch_lon_deg, &x1, &y1);
        xy(&p, f->impact_lat_deg, f->impact_lon_deg, &x2, &y2);
        fmt(o,
            "<line class=\"finding%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"%s\" stroke-width=\"1.6\" stroke-opacity=\"%.2f\"%s "
            "marker-end=\"url(#ah-%s)\"/>",
            provisional_finding(r, i) ? " provisional" : "", x1, y1, x2, y2,
            side_colour(f->fired_from), 0.35 + 0.65 * f->confidence,
            provisional_finding(r, i) ? " stroke-dasharray=\"1.6 2.4\"" : "",
            side_name(f->fired_from));
    }
    str(o, "</svg>");
}

static void
map_section(struct out *o, const struct ctx *c)
{
    str(o, "<section id=\"map-section\"><h2>3. Map</h2>");
    map_svg(o, c);
    str(o, "<p class=\"note\">Arrows: findings from launch to impact, coloured by the side "
           "fired from (grey: ambiguous), opacity by confidence, dotted while provisional. "
           "Dots: events by side. Squares: stations, green heard ≥ 90% of the period, amber "
           "≥ 50%, red less. Dashed: zones of the agreement. The contact line, zones and places "
           "are the mission's; no national border is drawn.</p></section>");
}

static void
zones_section(struct out *o, const struct ctx *c)
{
    const struct tl_report *r = c->r;
    str(o, "<section id=\"zones\"><h2>4. Zones of the agreement</h2><table><thead><tr>"
           "<th>zone</th><th>forbids</th><th class=\"num\">events in</th>"
           "<th class=\"num\">launches in</th><th class=\"num\">impacts in</th>"
           "<th class=\"num\">heavy-weapon launches in</th><th class=\"num\">findings touching</th>"
           "</tr></thead><tbody>");
    for (size_t z = 0; z < tl_mission_zone_count(c->m); z++) {
        const struct tl_zone *zn = tl_mission_zone(c->m, z);
        long n = 0, la = 0, im = 0, hw = 0, fd = 0;
        for (size_t i = 0; i < r->n_events; i++) {
            const struct tl_event *e = &r->events[i];
            bool in = false;
            for (size_t k = 0; k < e->n_zones; k++) {
                in = in || e->zones[k] == z;
            }
            if (in && !rejected_event(r, i)) {
                n++;
                la += e->cls == TL_CLASS_LAUNCH;
                im += e->cls == TL_CLASS_IMPACT;
                hw += e->cls == TL_CLASS_LAUNCH && heavy(e->weapon);
            }
        }
        for (size_t i = 0; i < r->n_findings; i++) {
            const struct tl_finding *f = &r->findings[i];
            bool in = false;
            for (size_t k = 0; k < f->n_zones; k++) {
                in = in || f->zones[k] == z;
            }
            fd += in && !rejected_finding(r, i);
        }
        str(o, "<tr data-zone=\"");
        esc(o, zn->id);
        str(o, "\"><td>");
        esc(o, zn->id);
        str(o, " — ");
        esc(o, zn->name);
        fmt(o, "</td><td>%s%s%s</td>", (zn->forbid & TL_FORBID_FIRE) ? "fire " : "",
            (zn->forbid & TL_FORBID_IMPACT) ? "impact " : "",
            (zn->forbid & TL_FORBID_HEAVY_WEAPONS) ? "heavy weapons" : "");
        fmt(o,
            "<td class=\"num\">%ld</td><td class=\"num\">%ld</td><td class=\"num\">%ld</td>"
            "<td class=\"num\">%ld</td><td class=\"num\" data-count=\"zone_findings\">%ld</td>"
            "</tr>",
            n, la, im, hw, fd);
    }
    str(o, "</tbody></table><p class=\"note\">Heavy weapons: an assessed calibre of 100 mm or "
           "more (mortar 120 mm, howitzers, MLRS).</p></section>");
}

static void
findings_section(struct out *o, const struct ctx *c)
{
    const struct tl_report *r = c->r;
    fmt(o, "<section id=\"findings\"><h2>5. Findings</h2><table id=\"findings-table\">"
           "<thead><tr><th>#</th><th>launch (UTC)</th><th>id</th><th>fired from</th>"
           "<th class=\"num\">confidence</th><th>weapon</th><th class=\"num\">range km</th>"
           "<th>launch near</th><th>impact near</th><th>zones</th><th>evidence</th>"
           "<th>status</th><th class=\"num\">log</th></tr></thead><tbody>");

    static const struct {
        unsigned bit;
        const char *name;
    } basis[] = {{TL_BASIS_MULTI_STATION_ORIGIN, "multi-station origin"},
                 {TL_BASIS_SHOCK_CUE, "shock wave"},
                 {TL_BASIS_TOF_CONSISTENT, "time of flight"},
                 {TL_BASIS_ARRAY_BEARING, "array bearings"},
                 {TL_BASIS_SALVO, "salvo"}};

    long row = 0;
    for (size_t i = 0; i < r->n_findings; i++) {
        const struct tl_finding *f = &r->findings[i];
        enum tl_review_status st = r->finding_status ? r->finding_status[i] : TL_STATUS_AUTOMATIC;
        char when[40], near1[96], near2[96];
        time_text(f->launch_t_ns, when, sizeof(when));
        tl_mission_describe(c->m, f->launch_lat_deg, f->launch_lon_deg, near1, sizeof(near1));
        tl_mission_describe(c->m, f->impact_lat_deg, f->impact_lon_deg, near2, sizeof(near2));
        str(o, "<tr data-id=\"");
        esc(o, f->id);
        fmt(o, "\"%s%s><td>%ld</td><td>%s</td><td>",
            st == TL_STATUS_REJECTED ? " class=\"rejected\"" : "",
            provisional_finding(r, i) ? " data-provisional=\"true\"" : "", ++row, when);
        esc(o, f->id);
        fmt(o, "</td><td class=\"%s\">%s", side_name(f->fired_from), side_name(f->fired_from));
        if (f->fired_from != TL_SIDE_AMBIGUOUS) {
            str(o, " (");
            esc(o, tl_mission_party(c->m, f->fired_from));
            str(o, ")");
        } else {
            fmt(o, " (likely %s)", side_name(f->likely_side));
        }
        fmt(o, "</td><td class=\"num\">%.3f</td><td>%s</td><td class=\"num\">%.1f</td><td>",
            f->confidence, weapon_text(f->weapon), f->range_m / 1000);
        esc(o, near1);
        str(o, "</td><td>");
        esc(o, near2);
        str(o, "</td><td>");
        for (size_t k = 0; k < f->n_zones; k++) {
            fmt(o, "%s", k ? ", " : "");
            esc(o, tl_mission_zone(c->m, f->zones[k])->id);
        }
        str(o, "</td><td>");
        bool first = true;
        for (size_t k = 0; k < TL_ARRAY_LEN(basis); k++) {
            if (f->basis & basis[k].bit) {
                fmt(o, "%s%s", first ? "" : ", ", basis[k].name);
                first = false;
            }
        }
        fmt(o, "</td><td>%s%s",
            st == TL_STATUS_REJECTED   ? "rejected"
            : st == TL_STATUS_REVIEWED ? "reviewed"
                                       : "automatic",
            provisional_finding(r, i) ? ", <b class=\"provisional\">provisional</b>" : "");
        review_reason(o, r->finding_review ? r->finding_review[i] : NULL);
        str(o, "</td>");
        int64_t li = r->finding_log_index ? r->finding_log_index[i] : -1;
        if (li >= 0) {
            fmt(o, "<td class=\"num\">%" PRId64 "</td></tr>", li);
        } else {
            str(o, "<td class=\"num\">—</td></tr>");
        }
    }
    if (row == 0) {
        str(o, "<tr><td colspan=\"13\">No findings in this period.</td></tr>");
    }
    str(o, "</tbody></table><p class=\"note\">Confidence: the probability that the launch is "
           "on the side named and that launch and impact are paired rightly; a side is named "
           "only at 0.95 or more, else the finding is ambiguous. Rejected findings are listed "
           "but not counted. Provisional: the records after the finding are still being "
           "processed, so its pairing, confidence or side may still change, or the finding be "
           "withdrawn; it is final once the status no longer says so. Log: the index of the "
           "finding's current version in the transparency log (section 8).</p></section>");
}

static void
coverage_section(struct out *o, const struct ctx *c)
{
    const struct tl_report *r = c->r;
    str(o, "<section id=\"coverage\"><h2>6. Coverage</h2>");
    str(o, "<p>Sectors not fully heard (stations' mean share of the period below 80%, or no "
           "station): ");
    bool any = false;
    for (size_t k = 0; k < c->n_sec; k++) {
        const struct sector *s = &c->sec[k];
        if (s->stations == 0 || s->heard_sum / s->stations < 0.8) {
            fmt(o, "%sS%zu (km %.0f–%.0f, %s%.0f%%)", any ? "; " : "", k + 1, s->from_m / 1000,
                s->to_m / 1000, s->stations ? "heard " : "no station ",
                s->stations ? 100 * s->heard_sum / s->stations : 0.0);
            any = true;
        }
    }
    str(o, any ? ".</p>" : "none.</p>");
    str(o, "<table id=\"stations\"><thead><tr><th>station</th><th>contingent</th>"
           "<th>sector</th><th class=\"num\">heard</th><th class=\"num\">longest silence</th>"
           "<th class=\"num\">records</th><th class=\"num\">picks</th><th>status reports</th>"
           "</tr></thead><tbody>");
    for (size_t i = 0; i < r->n_stations; i++) {
        const struct tl_report_station *rs = &r->stations[i];
        long k = tl_mission_find_station(c->m, rs->id);
        if (k < 0) {
            continue;
        }
        const struct tl_station *st = tl_mission_station(c->m, (size_t)k);
        double share = rs->bins_expected ? (double)rs->bins_heard / rs->bins_expected : 0;
        fmt(o,
            "<tr data-station=\"%s\"><td>%s</td><td>%s</td><td>S%zu</td>"
            "<td class=\"num %s\">%.0f%%</td><td class=\"num\">%d min</td>"
            "<td class=\"num\">%ld</td><td class=\"num\">%ld</td><td>",
            st->id, st->id, st->contingent[0] ? st->contingent : "—",
            sector_of(c, st->lat_deg, st->lon_deg) + 1, share >= 0.9 ? "up" : "down", 100 * share,
            rs->longest_gap_bins * TL_REPORT_BIN_S / 60, rs->records, rs->picks);
        bool first = true;

        struct {
            long n;
            const char *what;
        } rep[] = {{rs->n_down, "down"},
                   {rs->n_tamper, "tamper"},
                   {rs->n_clock_unsync, "clock unsynchronised"},
                   {rs->n_low_power, "low power"}};

        for (size_t j = 0; j < TL_ARRAY_LEN(rep); j++) {
            if (rep[j].n) {
                fmt(o, "%s%s ×%ld", first ? "" : ", ", rep[j].what, rep[j].n);
                first = false;
            }
        }
        str(o, first ? "none</td></tr>" : "</td></tr>");
    }
    str(o, "</tbody></table><p class=\"note\">Heard: the share of the network's operating "
           "period of the day (its first to its latest 10-minute interval with a record of any "
           "station) in which the station delivered at least one record (picks, weather, "
           "status); longest silence in whole intervals. Status reports are the stations' own "
           "records of the day.</p></section>");
}

static void
faults_section(struct out *o, const struct ctx *c)
{
    const struct tl_report *r = c->r;
    str(o, "<section id=\"faults\"><h2>7. Station faults</h2><table><thead><tr>"
           "<th>station</th><th>clock</th><th>residuals</th><th class=\"num\">picks used</th>"
           "<th class=\"num\">median residual s</th><th class=\"num\">outages</th></tr></thead>"
           "<tbody>");
    long shown = 0;
    for (size_t i = 0; i < r->n_stations; i++) {
        const struct tl_report_station *rs = &r->stations[i];
        if (!rs->has_qc) {
            continue;
        }
        const struct tl_station_qc *q = &rs->qc;
        if (!q->clock_flag && !q->misfit_flag && q->n_down == 0) {
            continue;
        }
        shown++;
        fmt(o, "<tr data-station=\"%s\"><td>%s</td><td>", rs->id, rs->id);
        if (q->clock_flag) {
            fmt(o, "offset %.3f s found and corrected", q->clock_offset_s);
        } else {
            str(o, "ok");
        }
        fmt(o,
            "</td><td>%s</td><td class=\"num\">%ld of %ld</td><td class=\"num\">%.4f</td>"
            "<td class=\"num\">%ld (%ld s)</td></tr>",
            q->misfit_flag ? "misfit: down-weighted" : "ok", q->n_used, q->n_picks,
            q->median_residual_s, q->n_down, q->n_outage_s);
    }
    if (!shown) {
        str(o, "<tr><td colspan=\"6\">No station flagged.</td></tr>");
    }
    str(o, "</tbody></table><p class=\"note\">From the quality control of the latest "
           "processing run (clock offsets found from the residuals of well-located events, "
           "persistent misfits down-weighted, outages reported by the stations); it covers the "
           "processing window, which may not be this whole day.</p></section>");
}

static void
log_section(struct out *o, const struct ctx *c)
{
    const struct tl_report *r = c->r;
    str(o, "<section id=\"log\"><h2>8. Transparency log</h2>");
    int64_t max_index = -1;
    long unlogged = 0;
    for (size_t i = 0; i < r->n_findings; i++) {
        int64_t li = r->finding_log_index ? r->finding_log_index[i] : -1;
        if (li > max_index) {
            max_index = li;
        }
        unlogged += li < 0;
    }
    uint64_t size = 0;
    bool have = false;
    if (r->checkpoint) {
        const char *nl = strchr(r->checkpoint, '\n');
        if (nl) {
            char *end = NULL;
            unsigned long long v = strtoull(nl + 1, &end, 10);
            have = end && *end == '\n';
            size = v;
        }
    }
    if (!have) {
        str(o, "<p>No published checkpoint yet: the findings below are not yet covered.</p>");
    } else {
        bool covered = unlogged == 0 && (max_index < 0 || (uint64_t)max_index < size);
        fmt(o,
            "<p data-count=\"log_size\" data-value=\"%" PRIu64 "\">The log's latest published "
            "checkpoint (tree size %" PRIu64 ") %s every finding of this report%s. Each finding's "
            "inclusion proof: <code>GET /v1/findings/{id}/proof</code>, checked offline with "
            "<code>truceline log verify --proof</code>.</p><pre>",
            size, size, covered ? "covers" : "does not yet cover",
            covered ? "" : " (some versions are not yet in a published checkpoint)");
        esc(o, r->checkpoint);
        str(o, "</pre>");
    }
    str(o, "</section>");
}

static void
rules_section(struct out *o)
{
    str(o, "<section id=\"rules\"><h2>9. Counting rules</h2><ul class=\"note\">"
           "<li>An <b>event</b> is an acoustic source located by several stations, with a 95% "
           "confidence ellipse: a launch (muzzle blast), an impact (detonation) or undetermined. "
           "Each explosion counts once, however many stations heard it.</li>"
           "<li>A <b>finding</b> is a launch paired with its impact by the time of flight of a "
           "weapon class; it is attributed to the side of the line the launch was on, with a "
           "confidence; below 0.95 it is ambiguous and attributed to no party.</li>"
           "<li>Times are UTC; the period is the calendar day 00:00–24:00 UTC, or until the "
           "report's time when it is still running. Objects later withdrawn by processing are "
           "not counted; rejected ones are listed but not counted.</li>"
           "<li>Unobserved time: a station's 10-minute interval with no record counts as not "
           "heard; events in sectors not fully heard may be missing.</li></ul></section>");
}

/* --------------------------------------------------------------- page -- */

int
tl_report_html(const struct tl_report *r, char **out, size_t *len)
{
    if (!r || !r->mission || !out) {
        return TL_EINVAL;
    }
    struct ctx c;
    memset(&c, 0, sizeof(c));
    c.r = r;
    c.m = r->mission;
    int rc = setup(&c);
    if (rc != TL_OK) {
        return rc;
    }
    struct out o = {NULL, 0, 0, false};
    char day[TL_TIME_TEXT_MAX], gen[40];
    tl_time_format(r->day_ns, day, sizeof(day));
    str(&o, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    esc(&o, tl_mission_name(c.m));
    fmt(&o, " — daily report %.10s</title><style>%s</style></head><body>\n", day, CSS);
    str(&o, "<header><h1>");
    esc(&o, tl_mission_name(c.m));
    fmt(&o, " — daily report <span id=\"report-date\">%.10s</span></h1>", day);
    fmt(&o, "<p class=\"meta\">Period: %.10s 00:00 to 24:00 UTC", day);
    if (r->visible_until_ns < r->day_ns + INT64_C(86400) * TL_NS_PER_S) {
        char cut[40];
        time_text(r->visible_until_ns > r->day_ns ? r->visible_until_ns : r->day_ns, cut,
                  sizeof(cut));
        fmt(&o, ", shown up to %s UTC", cut);
    }
    str(&o, ". Audience: ");
    esc(&o, r->audience ? r->audience : "public");
    if (r->audience && strcmp(r->audience, "public") == 0) {
        str(&o, " (what is older than the embargo)");
    }
    str(&o, ".");
    if (r->generated_ns) {
        time_text(r->generated_ns, gen, sizeof(gen));
        fmt(&o, " Generated %s UTC by truceline %s.", gen, TL_VERSION_STRING);
    }
    fmt(&o, " Parties: left ");
    esc(&o, tl_mission_party(c.m, TL_SIDE_LEFT));
    str(&o, ", right ");
    esc(&o, tl_mission_party(c.m, TL_SIDE_RIGHT));
    fmt(&o, "; contact line %.0f km in %zu sectors.</p>", c.length_m / 1000, c.n_sec);
    if (tl_mission_illustrative(c.m)) {
        str(&o, "<p class=\"illustrative\">Illustrative mission: the contact line, zones and "
                "places are not an actual or agreed line, and the place names are invented.</p>");
    }
    str(&o, "</header>\n");
    summary(&o, &c);
    sectors(&o, &c);
    map_section(&o, &c);
    zones_section(&o, &c);
    findings_section(&o, &c);
    coverage_section(&o, &c);
    faults_section(&o, &c);
    log_section(&o, &c);
    rules_section(&o);
    str(&o, "\n</body></html>\n");
    tl_free(c.cum_m);
    if (o.failed) {
        tl_free(o.p);
        return TL_ENOMEM;
    }
    *out = o.p;
    if (len) {
        *len = o.n;
    }
    return TL_OK;
}
