/*
 * review.c - analysts confirm, reject or amend an event or a finding.
 *
 *     POST /v1/events/{id}/review      {"action":"confirm","reason":"..."}
 *     POST /v1/findings/{id}/review    {"action":"amend","reason":"...",
 *                                       "amend":{"fired_from":"left"},"version":3}
 *
 * A review makes a new version of the object: status "reviewed" (confirm,
 * amend) or "rejected" (reject), the amended fields replaced, and a "review"
 * property saying who, when, why and what.  The review itself is stored
 * (table reviews), audited, and its document appended to the transparency
 * log; a reviewed finding's new version is logged as every finding version is.
 * "version" (optional) is the version the analyst looked at: if the object has
 * changed since, the review is refused (409) rather than applied to something
 * the analyst has not seen.
 *
 * The review stands: when later picks revise the object, the processing
 * thread applies the standing review (status, amendments) to the new
 * automatic version too.  Amendments accumulate across reviews.
 *
 * What may be amended: events `class`, `side`, `weapon`, `place`; findings
 * `fired_from` (the party follows) and `weapon`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <truceline/physics.h>
#include <truceline/time.h>

#include "server_priv.h"

#define REASON_MAX 2000

static bool
is_side(const char *s)
{
    return strcmp(s, "left") == 0 || strcmp(s, "right") == 0 || strcmp(s, "ambiguous") == 0;
}

static bool
is_weapon(const char *s)
{
    return strcmp(s, "unknown") == 0 || tl_weapon_from_name(s) != TL_WEAPON_UNKNOWN;
}

/* Validate an "amend" object for a kind; NULL when fine, else the reason. */
static const char *
check_amend(unsigned kind, json_t *amend, char *why, size_t size)
{
    if (!json_is_object(amend) || json_object_size(amend) == 0) {
        return "amend: expected a non-empty object";
    }
    const char *k;
    json_t *v;
    json_object_foreach(amend, k, v)
    {
        const char *s = json_string_value(v);
        if (!s) {
            snprintf(why, size, "amend.%.40s: expected a string", k);
            return why;
        }
        bool ok;
        if (kind == TL__OBJ_EVENT && strcmp(k, "class") == 0) {
            ok = strcmp(s, "launch") == 0 || strcmp(s, "impact") == 0 || strcmp(s, "unknown") == 0;
        } else if (kind == TL__OBJ_EVENT && strcmp(k, "side") == 0) {
            ok = is_side(s);
        } else if (kind == TL__OBJ_EVENT && strcmp(k, "place") == 0) {
            ok = strlen(s) > 0 && strlen(s) < 96;
        } else if (kind == TL__OBJ_FINDING && strcmp(k, "fired_from") == 0) {
            ok = is_side(s);
        } else if (strcmp(k, "weapon") == 0) {
            ok = is_weapon(s);
        } else {
            snprintf(why, size, "amend.%.40s: not a field that can be amended on %s", k,
                     kind == TL__OBJ_EVENT ? "an event (class, side, weapon, place)"
                                           : "a finding (fired_from, weapon)");
            return why;
        }
        if (!ok) {
            snprintf(why, size, "amend.%.40s: invalid value", k);
            return why;
        }
    }
    return NULL;
}

static enum tl_side
side_of(const char *s)
{
    return strcmp(s, "left") == 0    ? TL_SIDE_LEFT
           : strcmp(s, "right") == 0 ? TL_SIDE_RIGHT
                                     : TL_SIDE_AMBIGUOUS;
}

static int
status_of(json_t *review)
{
    const char *a = json_string_value(json_object_get(review, "action"));
    return a && strcmp(a, "reject") == 0 ? TL_STATUS_REJECTED : TL_STATUS_REVIEWED;
}

void
tl__review_apply_event(struct tl_event *e, json_t *review)
{
    e->status = (enum tl_review_status)status_of(review);
    json_t *amend = json_object_get(review, "amend");
    const char *s;
    if ((s = json_string_value(json_object_get(amend, "class"))) != NULL) {
        e->cls = strcmp(s, "launch") == 0   ? TL_CLASS_LAUNCH
                 : strcmp(s, "impact") == 0 ? TL_CLASS_IMPACT
                                            : TL_CLASS_UNKNOWN;
    }
    if ((s = json_string_value(json_object_get(amend, "side"))) != NULL) {
        e->side = side_of(s);
    }
    if ((s = json_string_value(json_object_get(amend, "weapon"))) != NULL) {
        e->weapon = (int)tl_weapon_from_name(s);
    }
    if ((s = json_string_value(json_object_get(amend, "place"))) != NULL) {
        tl__strlcpy(e->place, s, sizeof(e->place));
    }
}

int
tl__review_apply_finding(struct tl_finding *f, json_t *review)
{
    json_t *amend = json_object_get(review, "amend");
    const char *s;
    if ((s = json_string_value(json_object_get(amend, "fired_from"))) != NULL) {
        f->fired_from = side_of(s);
    }
    if ((s = json_string_value(json_object_get(amend, "weapon"))) != NULL) {
        f->weapon = (int)tl_weapon_from_name(s);
    }
    return status_of(review);
}

int
tl__review_standing(const char *prev,
                    const struct tl__review_in *in,
                    int64_t version,
                    char **standing,
                    char **review_doc)
{
    json_t *amend = NULL;
    json_t *pj = prev ? json_loads(prev, 0, NULL) : NULL;
    json_t *pa = json_object_get(pj, "amend");
    amend = json_is_object(pa) ? json_deep_copy(pa) : json_object();
    json_decref(pj);
    json_t *na = in->amend ? json_loads(in->amend, 0, NULL) : NULL;
    if (!amend || (in->amend && !na)) {
        json_decref(amend);
        json_decref(na);
        return TL_ENOMEM;
    }
    if (na) {
        json_object_update(amend, na);
    }
    char when[TL_TIME_TEXT_MAX];
    tl__fmt_time(tl_time_now(), when);
    json_t *st =
        json_pack("{s:s,s:s,s:O,s:s,s:s,s:I}", "action", in->action, "reason", in->reason, "amend",
                  amend, "by", in->actor, "time", when, "version", (json_int_t)version);
    json_t *doc =
        json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:o,s:s,s:s}", "kind", "review", "object_kind",
                  in->kind == TL__OBJ_EVENT ? "event" : "finding", "object", in->id, "version",
                  (json_int_t)version, "action", in->action, "reason", in->reason, "amend",
                  na ? na : json_null(), "by", in->actor, "time", when);
    json_decref(amend);
    char *s1 = st ? tl__json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    char *s2 = doc ? tl__json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(st);
    json_decref(doc);
    if (!s1 || !s2) {
        tl_free(s1);
        tl_free(s2);
        return TL_ENOMEM;
    }
    *standing = s1;
    *review_doc = s2;
    return TL_OK;
}

int
tl__handle_review(struct tl__req *r, unsigned kind)
{
    json_error_t jerr;
    bool oom = false;
    json_t *body = r->body_len
                       ? tl__json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr, &oom)
                       : NULL;
    if (oom) {
        return tl__respond_error(r, 503, "out_of_memory", NULL, "the server is out of memory");
    }
    if (!json_is_object(body)) {
        json_decref(body);
        return tl__respond_error(r, 400, "bad_request", NULL,
                                 "expected a JSON object {\"action\":..., \"reason\":...}");
    }
    struct tl__review_in in;
    memset(&in, 0, sizeof(in));
    in.kind = kind;
    in.expect_version = -1;
    tl__strlcpy(in.id, r->route.arg, sizeof(in.id));
    const char *action = json_string_value(json_object_get(body, "action"));
    const char *reason = json_string_value(json_object_get(body, "reason"));
    json_t *amend = json_object_get(body, "amend");
    json_t *version = json_object_get(body, "version");
    char why[160];
    const char *bad = NULL;
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
    {
        if (strcmp(k, "action") != 0 && strcmp(k, "reason") != 0 && strcmp(k, "amend") != 0 &&
            strcmp(k, "version") != 0) {
            snprintf(why, sizeof(why), "%.40s: unknown field (action, reason, amend, version)", k);
            bad = why;
        }
    }
    if (bad) {
    } else if (!action || (strcmp(action, "confirm") != 0 && strcmp(action, "reject") != 0 &&
                           strcmp(action, "amend") != 0)) {
        bad = "action: expected confirm, reject or amend";
    } else if (!reason || strlen(reason) == 0 || strlen(reason) > REASON_MAX) {
        bad = "reason: a non-empty string of at most 2000 bytes is required";
    } else if (strcmp(action, "amend") == 0 && !amend) {
        bad = "amend: required for action amend";
    } else if (strcmp(action, "amend") != 0 && amend) {
        bad = "amend: only with action amend";
    } else if (amend && (bad = check_amend(kind, amend, why, sizeof(why))) != NULL) {
    } else if (version && (!json_is_integer(version) || json_integer_value(version) < 0)) {
        bad = "version: expected the version number reviewed (0, 1, ...)";
    }
    if (bad) {
        int ret = tl__respond_error(r, 400, "bad_request", NULL, "%s", bad);
        json_decref(body);
        return ret;
    }
    tl__strlcpy(in.action, action, sizeof(in.action));
    in.reason = reason;
    char *amend_text = amend ? tl__json_dumps(amend, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (amend && !amend_text) {
        /* not a review without its amendment */
        json_decref(body);
        return tl__respond_error(r, 503, "no_memory", NULL, "out of memory");
    }
    in.amend = amend_text;
    in.expect_version = version ? (int64_t)json_integer_value(version) : -1;
    in.token = r->tok.id;
    snprintf(in.actor, sizeof(in.actor), "token:%" PRId64 " %s", r->tok.id, r->tok.label);
    struct tl__review_out out;
    memset(&out, 0, sizeof(out));
    int ret;
    if (tl__live_review(r->s, &in, &out) != TL_OK) {
        ret = tl__respond_error(r, 503, "stopping", NULL, "the server is stopping");
    } else if (out.status == 200) {
        ret = tl__respond_json(r, 200,
                               json_pack("{s:s,s:s,s:I,s:I,s:s}", "kind",
                                         kind == TL__OBJ_EVENT ? "event" : "finding", "id", in.id,
                                         "version", (json_int_t)out.version, "seq",
                                         (json_int_t)out.seq, "action", in.action));
    } else if (out.status == 409) {
        ret = tl__respond_error_with(r, 409, "stale_version",
                                     json_pack("{s:I}", "current_version", (json_int_t)out.version),
                                     "%s", out.message);
    } else {
        ret = tl__respond_error(r, out.status, out.status == 404 ? "not_found" : "review_failed",
                                NULL, "%s", out.message);
    }
    tl_free(amend_text);
    json_decref(body);
    return ret;
}
