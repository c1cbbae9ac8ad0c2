/*
 * truceline/report.h - the daily report: one self-contained HTML page (inline CSS and SVG,
 * no script, printable) with the structure of a monitoring mission's daily report.
 *
 * The report is a pure function of what it is given: the day's events and findings (as the
 * server publishes them), the previous days' counts, each station's coverage over the day,
 * the latest station quality control and the log's checkpoint.  `truceline serve` gathers
 * those from its store and answers GET /report/{date} with tl_report_html's page;
 * `truceline report` fetches that page and has headless Chromium print it to PDF.
 * docs/web.md describes the sections and the counting rules.
 */
#ifndef TRUCELINE_REPORT_H
#define TRUCELINE_REPORT_H

#include <truceline/pipeline.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Coverage bins of the day: 144 bins of 10 minutes. */
#define TL_REPORT_BIN_S 600
#define TL_REPORT_BINS  144

/** One station over the report's day.  Plain value. */
struct tl_report_station {
    char id[TL_STATION_ID_MAX];
    int bins_heard;       /* 10-minute bins of the day holding at least one record of the station */
    int bins_expected;    /* bins of the day that had passed when the report was made (<= 144) */
    int longest_gap_bins; /* longest run of bins without a record */
    long records, picks;  /* records of the day, picks among them */
    long n_down, n_tamper, n_clock_unsync, n_low_power; /* status records of the day, by state */
    bool has_qc; /* qc holds the latest processing run's judgement */
    struct tl_station_qc qc;
};

/** Counts of one day, as the report counts them (rejected objects left out). */
struct tl_report_counts {
    tl_time_ns day_ns; /* 00:00 UTC of the day */
    long events, launches, impacts, unknown;
    long findings, fired_left, fired_right, fired_ambiguous;
    long rejected_events, rejected_findings; /* left out of the counts above */
    long reviewed; /* events and findings confirmed or amended by an analyst */
};

/** Everything the report shows.  Borrowed: nothing is kept after tl_report_html returns. */
struct tl_report {
    const struct tl_mission *mission;
    tl_time_ns day_ns;             /* 00:00 UTC of the day reported */
    tl_time_ns generated_ns;       /* when it was made; 0 leaves it out */
    tl_time_ns visible_until_ns;   /* INT64_MAX, or the embargo's cut for the public */
    const char *audience;          /* "analyst", "party" or "public" (printed) */
    const struct tl_event *events; /* the day's current events, withdrawn ones left out */
    size_t n_events;
    const struct tl_finding *findings;
    size_t n_findings;
    const enum tl_review_status *event_status;   /* per event (NULL: all automatic) */
    const enum tl_review_status *finding_status; /* per finding (NULL: all automatic) */
    const int64_t *finding_log_index; /* per finding: log index of the current version, -1 none */
    const bool *finding_provisional;  /* per finding: its current version is marked provisional
                                         (processing may still revise it; NULL: none is) */
    const char *const *finding_review; /* per finding: its standing review, the JSON object
                                          text the bulletin carries (NULL, or a NULL entry:
                                          none); its reason is shown with the status */
    const struct tl_report_station *stations; /* one per mission station, any order */
    size_t n_stations;
    const struct tl_report_counts *previous; /* the days before, most recent first */
    size_t n_previous;
    const char *checkpoint; /* the log's latest published checkpoint (signed note) */
};

/**
 * Count the day's events and findings the way the report does (rejected ones apart).
 * `event_status` and `finding_status` may be NULL.
 */
TL_API void tl_report_count(const struct tl_event *events,
                            const enum tl_review_status *event_status,
                            size_t n_events,
                            const struct tl_finding *findings,
                            const enum tl_review_status *finding_status,
                            size_t n_findings,
                            struct tl_report_counts *out);

/**
 * Render the report as one HTML document (UTF-8).  `*out` is caller-owned (tl_free).
 * Every number a reader might check carries a data-count attribute naming it.
 * @return TL_OK, TL_EINVAL (no mission), TL_ENOMEM.  Thread-safe (no shared state).
 */
TL_API int tl_report_html(const struct tl_report *r, char **out, size_t *len);

/**
 * Fetch the report of `date` ("YYYY-MM-DD") from a running server at `url`
 * ("http://HOST:PORT"): GET /report/{date} with `token` as a bearer token (NULL or "": the
 * public view).  `*html` is caller-owned (tl_free).
 * @return TL_OK; TL_EINVAL (url or date); TL_EIO (no connection, or a status other than 200:
 *         diag has the server's message); TL_ENOMEM.
 */
TL_API int tl_report_fetch(const char *url,
                           const char *date,
                           const char *token,
                           char **html,
                           size_t *len,
                           struct tl_diag *diag);

/**
 * Print the HTML file `html_path` to `pdf_path` with headless Chromium (`chromium`: its
 * path, e.g. "/usr/bin/chromium"), A4 as the page's print CSS says, without header and
 * footer, in a fresh profile directory that is removed afterwards.  Chromium is started
 * with networking features off (it loads only the file) and its output discarded.
 * @return TL_OK (the PDF exists and starts with %PDF); TL_ENOTFOUND (no such chromium);
 *         TL_EIO (it failed or wrote no PDF: diag says which); TL_ENOMEM.
 */
TL_API int tl_report_pdf(const char *chromium,
                         const char *html_path,
                         const char *pdf_path,
                         struct tl_diag *diag);

#ifdef __cplusplus
}
#endif
#endif
