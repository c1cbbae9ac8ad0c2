/*
 * truceline/bulletin.h - the bulletin: events and findings as GeoJSON (formats.md section 4).
 *
 * The writer is deterministic: keys in a fixed order and numbers rounded to a
 * fixed number of decimals per unit (coordinates 1e-7 degree, metres 0.1,
 * seconds 1e-4, probabilities 1e-4), so the same bulletin gives the same bytes
 * and a party re-running the computation can compare files with cmp(1).  It
 * streams one feature at a time: memory does not grow with the bulletin.
 */
#ifndef TRUCELINE_BULLETIN_H
#define TRUCELINE_BULLETIN_H

#include <truceline/pipeline.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What goes into one bulletin. */
struct tl_bulletin {
    const struct tl_mission *mission;
    tl_time_ns from_ns, to_ns;        /* the period covered */
    tl_time_ns generated_ns;          /* when it was made; 0 leaves it out (reproducible files) */
    const struct tl_event *events;
    size_t n_events;
    const struct tl_finding *findings;
    size_t n_findings;
    const struct tl_station_qc *qc;   /* optional station quality report */
    size_t n_qc;
    const struct tl_input_stats *input; /* optional input counters */
    /* optional, one per finding: true writes the finding with "provisional": true and the
     * header counts the marked findings (the server's bulletins, formats.md section 7);
     * NULL for `truceline process`, whose bulletins never carry the mark */
    const bool *finding_provisional;
    /* optional, the reviews of the server's bulletins (formats.md section 7); NULL for
     * `truceline process`, whose bulletins carry none of this:
     *   finding_status  per finding: its review status, written as "status" when not
     *                   automatic; and it makes the header count the reviews: "reviewed"
     *                   (events and findings confirmed or amended) and "rejected" (the
     *                   rejected ones among each of the other counts);
     *   event_review, finding_review  per event / finding: its standing review, the text of a
     *                   JSON object written as its "review" property, or NULL (none) */
    const enum tl_review_status *finding_status;
    const char *const *event_review;
    const char *const *finding_review;
};

/**
 * Write a bulletin to `path` ("-" for standard output), atomically for files
 * (a temporary file renamed into place).
 * @return TL_OK, TL_EIO (with `diag` saying why), TL_EINVAL (a review that is not a JSON
 *         object) or TL_ENOMEM.
 */
TL_API int tl_bulletin_write(const struct tl_bulletin *b, const char *path, struct tl_diag *diag);

/**
 * The same bulletin as a string (NUL-terminated, caller frees with tl_free).
 * @return TL_OK, TL_EINVAL (a review that is not a JSON object) or TL_ENOMEM.
 */
TL_API int tl_bulletin_dump(const struct tl_bulletin *b, char **out, size_t *len);

/** One event / finding as a GeoJSON Feature string (caller frees with tl_free), or NULL. */
TL_API char *tl_event_geojson(const struct tl_mission *m, const struct tl_event *e);
TL_API char *tl_finding_geojson(const struct tl_mission *m, const struct tl_finding *f);

#ifdef __cplusplus
}
#endif
#endif
