/*
 * truceline/eval.h - score a bulletin against ground truth (formats.md section 5).
 *
 * A found event matches a true event when its origin time is within 2 s and its
 * location within 1 km; matching is one-to-one, cheapest first, with cost
 * |dt| / 0.25 s + distance / 100 m.  Recall counts the true events heard by 5
 * or more stations (distinct stations with a blast pick in the truth's pick
 * map).  A reported pair is right when its launch and impact match a true
 * launch and the true impact of that launch or of another round of the same
 * salvo.  A finding's side is right when it is the side of the true launch it
 * names or, when its launch matches no true launch, of the true launch of the
 * true impact it names; a finding that names a side when neither is known is
 * counted wrong.
 */
#ifndef TRUCELINE_EVAL_H
#define TRUCELINE_EVAL_H

#include <truceline/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Counts and rates for one class of events (or all). */
struct tl_eval_events {
    long truth;     /* true events heard by >= 5 stations */
    long found;     /* bulletin events (of this class, as reported) */
    long matched;   /* bulletin events matched to any true event */
    long recalled;  /* true events heard by >= 5 stations that were matched */
    double precision, recall;
};

struct tl_eval {
    struct tl_eval_events all, launch, impact, other;
    double loc_median_m[3], loc_p90_m[3]; /* launch, impact, other */
    long loc_n[3];
    double ellipse_coverage;               /* share of matched events inside their 95% ellipse */
    long ellipse_n;
    double class_accuracy;
    long pairs_truth, pairs_found, pairs_correct, pairs_recalled;
    double pairs_precision, pairs_recall;
    long findings, attr_correct, attr_wrong, attr_ambiguous, attr_wrong_confident;
    double attr_wrong_confident_rate;      /* wrong_confident / findings with confidence >= 0.95 */
    long confident;                        /* findings with confidence >= 0.95 */
    /* reliability of the confidence: findings per confidence band [0, .5) [.5, .8) [.8, .95)
     * [.95, 1] and how many of them have both the pair and the side right */
    long calib_n[4], calib_ok[4];
    /* mixtures, beyond formats.md section 5: of the matched events whose picks the bulletin
     * lists (mix_events), those whose fit used (weight >= 0.5) a pick of another true event
     * or of none; location error and ellipse coverage of pure [0] and mixed [1] events */
    long mix_events, mix_n[2];
    double mix_loc_median_m[2], mix_loc_p90_m[2], mix_coverage[2];
};

/**
 * Evaluate a bulletin file against a truth file.
 * @param diag  optional: file, line and reason when an input cannot be read.
 * @return TL_OK, TL_EIO, TL_EPARSE or TL_ENOMEM.
 */
TL_API int tl_eval_files(const char *truth_path,
                         const char *bulletin_path,
                         struct tl_eval *out,
                         struct tl_diag *diag);

/** The result as the JSON object of formats.md section 5 (caller frees with tl_free). */
TL_API char *tl_eval_json(const struct tl_eval *e);

/** The result as a human-readable table (caller frees with tl_free). */
TL_API char *tl_eval_table(const struct tl_eval *e);

#ifdef __cplusplus
}
#endif
#endif
