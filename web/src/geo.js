// geo.js - the little geometry the map draws: 95% ellipses, arrowheads, side labels.
//
// Everything here is local: ellipses are a few hundred metres, arrows a few tens of km, so a
// spherical earth and a local east/north frame at the point are far better than the pixels
// they end up on ("geodesic-ish").  Coordinates are [lat, lon] as Leaflet takes them.

const R = 6371008.8; // mean earth radius, m
const DEG = Math.PI / 180;

/** The point `east_m`, `north_m` away from lat/lon (local tangent plane). */
export function offset(lat, lon, eastM, northM) {
  return [lat + northM / R / DEG, lon + eastM / (R * Math.cos(lat * DEG)) / DEG];
}

/** East/north metres from (lat0, lon0) to (lat, lon) in the local tangent plane. */
export function enu(lat0, lon0, lat, lon) {
  return [(lon - lon0) * DEG * R * Math.cos(lat0 * DEG), (lat - lat0) * DEG * R];
}

/**
 * The 95% confidence ellipse as a ring of `n` [lat, lon] points: semi-axes `majorM` and
 * `minorM`, the major axis at `azimuthDeg` clockwise from north (formats.md section 4).
 */
export function ellipseRing(lat, lon, majorM, minorM, azimuthDeg, n = 48) {
  const az = azimuthDeg * DEG;
  // unit vectors (east, north) along the major and the minor axis
  const u = [Math.sin(az), Math.cos(az)];
  const v = [Math.cos(az), -Math.sin(az)];
  const ring = [];
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / n;
    const a = majorM * Math.cos(t);
    const b = minorM * Math.sin(t);
    ring.push(offset(lat, lon, a * u[0] + b * v[0], a * u[1] + b * v[1]));
  }
  return ring;
}

/**
 * An arrowhead at the end of the segment from `from` to `to` ([lat, lon] each): a triangle
 * whose length is `frac` of the segment, capped at `maxM` metres.
 */
export function arrowHead(from, to, frac = 0.18, maxM = 1500) {
  const [e, n] = enu(to[0], to[1], from[0], from[1]); // from the tip back to the tail
  const len = Math.hypot(e, n);
  if (len === 0) {
    return [to, to, to];
  }
  const h = Math.min(len * frac, maxM);
  const ue = e / len;
  const un = n / len;
  const w = h * 0.45;
  const base = [ue * h, un * h];
  return [
    to,
    offset(to[0], to[1], base[0] - un * w, base[1] + ue * w),
    offset(to[0], to[1], base[0] + un * w, base[1] - ue * w),
  ];
}

/** Azimuth in degrees of the direction east/north (clockwise from north, [0, 360)). */
export function azimuth(e, n) {
  const a = Math.atan2(e, n) / DEG;
  return a < 0 ? a + 360 : a;
}

/**
 * Where to write each party's name along a line ([[lat, lon], ...] in order): at the given
 * fractions of its length, `awayM` to its left and to its right (left and right as seen
 * walking along the line in the order of its points, formats.md conventions).
 * Returns [{at, left: [lat, lon], right: [lat, lon]}].
 */
export function sideLabelPoints(line, fractions = [0.2, 0.5, 0.8], awayM = 3000) {
  const seg = [];
  let total = 0;
  for (let i = 1; i < line.length; i++) {
    const [e, n] = enu(line[i - 1][0], line[i - 1][1], line[i][0], line[i][1]);
    const len = Math.hypot(e, n);
    seg.push({ e, n, len, start: total });
    total += len;
  }
  return fractions.map((f) => {
    const d = f * total;
    let i = seg.findIndex((s) => d <= s.start + s.len);
    if (i < 0) {
      i = seg.length - 1;
    }
    const s = seg[i];
    const t = s.len > 0 ? (d - s.start) / s.len : 0;
    const p = offset(line[i][0], line[i][1], s.e * t, s.n * t);
    const ue = s.len > 0 ? s.e / s.len : 0;
    const un = s.len > 0 ? s.n / s.len : 1;
    // left of the walking direction is the direction rotated 90 degrees anticlockwise
    return {
      at: p,
      left: offset(p[0], p[1], -un * awayM, ue * awayM),
      right: offset(p[0], p[1], un * awayM, -ue * awayM),
    };
  });
}
