// filters.js - what the analyst asked to see: time range, side, class, confidence, zone,
// weapon.  Pure functions over the features the API serves (docs/formats.md sections 4, 7),
// so that the map, the counts and the tests agree on one definition.
//
// Meaning of each filter, kept the same as the API's where the API has it:
//   time        [from, to) on the event's origin time, on the finding's launch time;
//   side        events: `side`; findings: `fired_from` (left, right, ambiguous);
//   class       events only (launch, impact, unknown); findings pass;
//   confidence  findings: `confidence` >= min; events: `side_p` >= min (as the API's
//               min_confidence);
//   zone        the id is in `zones`;
//   weapon      the `weapon` property equals it (events and findings; client-side only).

/** A filter state that lets everything through. */
export function defaultFilters() {
  return {
    fromMs: -Infinity,
    toMs: Infinity,
    sides: new Set(['left', 'right', 'ambiguous']),
    classes: new Set(['launch', 'impact', 'unknown']),
    minConfidence: 0,
    zone: '',
    weapon: '',
    showRejected: true,
  };
}

/** Milliseconds since the epoch of an RFC 3339 time, keeping sub-ms order irrelevant. */
export function timeMs(t) {
  return Date.parse(t);
}

function common(p, f) {
  const t = timeMs(p.time);
  if (!(t >= f.fromMs && t < f.toMs)) {
    return false;
  }
  if (f.zone && !(p.zones || []).includes(f.zone)) {
    return false;
  }
  if (f.weapon && (p.weapon || 'unknown') !== f.weapon) {
    return false;
  }
  if (!f.showRejected && p.status === 'rejected') {
    return false;
  }
  return !p.withdrawn;
}

/** Does finding properties `p` pass the filters `f`? */
export function findingPasses(p, f) {
  return common(p, f) && f.sides.has(p.fired_from) && (p.confidence ?? 0) >= f.minConfidence;
}

/** Does event properties `p` pass the filters `f`? */
export function eventPasses(p, f) {
  return (
    common(p, f) &&
    f.sides.has(p.side) &&
    f.classes.has(p.class) &&
    (p.side_p ?? 0) >= f.minConfidence
  );
}

/**
 * The API query (URLSearchParams entries) that selects the same findings as `f`, for what
 * the API can filter: one side at most, min_confidence, zone, time.  Returns null when the
 * filter needs client-side work the API cannot do (several sides but not all, weapon).
 */
export function apiQuery(f, kind) {
  const q = new URLSearchParams();
  if (Number.isFinite(f.fromMs)) {
    q.set('from', new Date(f.fromMs).toISOString());
  }
  if (Number.isFinite(f.toMs)) {
    q.set('to', new Date(f.toMs).toISOString());
  }
  if (f.sides.size === 1) {
    q.set('side', [...f.sides][0]);
  } else if (f.sides.size !== 3) {
    return null;
  }
  if (kind === 'event') {
    if (f.classes.size === 1) {
      q.set('class', [...f.classes][0]);
    } else if (f.classes.size !== 3) {
      return null;
    }
  }
  if (f.minConfidence > 0) {
    q.set('min_confidence', String(f.minConfidence));
  }
  if (f.zone) {
    q.set('zone', f.zone);
  }
  if (f.weapon || !f.showRejected) {
    return null;
  }
  return q;
}

/** Colour of a side (the map's legend): left blue, right orange, ambiguous grey. */
export const SIDE_COLOURS = { left: '#1f6fd1', right: '#d9731a', ambiguous: '#7a7a7a' };

/**
 * Stroke style of a finding: the firing side's colour, opacity by confidence (0.35 at 0 to
 * 1.0 at 1), grey when ambiguous; rejected findings dashed.
 */
export function findingStyle(p) {
  const colour = SIDE_COLOURS[p.fired_from] || SIDE_COLOURS.ambiguous;
  const c = Math.max(0, Math.min(1, p.confidence ?? 0));
  return {
    color: colour,
    opacity: 0.35 + 0.65 * c,
    weight: 3,
    /* rejected: dashed; provisional (processing may still revise it, formats.md section 7):
     * dotted; a rejection shows first */
    dashArray: p.status === 'rejected' ? '6 6' : p.provisional === true ? '2 5' : null,
  };
}

/** Health of a station from /v1/stations: ok, degraded, down or unknown, and why. */
export function stationHealth(s, nowSilentLimitS = 900) {
  if (!('last_record' in s)) {
    return { level: 'unknown', why: 'health is not public' };
  }
  const why = [];
  let level = 'ok';
  if (s.state === 'down' || s.state === 'tamper') {
    level = 'down';
    why.push(`reports ${s.state}`);
  } else if (s.state === 'clock_unsync' || s.state === 'low_power') {
    level = 'degraded';
    why.push(`reports ${s.state}`);
  }
  if (typeof s.silent_s === 'number' && s.silent_s > nowSilentLimitS) {
    level = 'down';
    why.push(`silent ${Math.round(s.silent_s / 60)} min`);
  }
  if (s.qc && (s.qc.clock_flag || s.qc.misfit_flag)) {
    if (level === 'ok') {
      level = 'degraded';
    }
    if (s.qc.clock_flag) {
      why.push(`clock offset ${s.qc.clock_offset_s} s`);
    }
    if (s.qc.misfit_flag) {
      why.push('residuals misfit');
    }
  }
  if (!s.last_record) {
    level = level === 'ok' ? 'unknown' : level;
    why.push('no record yet');
  }
  return { level, why: why.join(', ') || 'up' };
}

export const HEALTH_COLOURS = {
  ok: '#2e9d44',
  degraded: '#e0b000',
  down: '#c8242b',
  unknown: '#9a9a9a',
};
