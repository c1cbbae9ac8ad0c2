#!/usr/bin/env python3
"""Generate examples/demo/mission.geojson, the illustrative demo mission.

Run from the repository root: python3 examples/demo/make_mission.py > examples/demo/mission.geojson
Deterministic (no randomness).  Offsets use a spherical Earth, which is ample for an
illustrative layout; `truceline mission check` measures the result on WGS84.

The line is NOT an actual or agreed line of contact: it is a smooth curve placed in
eastern Ukraine only so that distances, weather and scale are realistic.
"""
import json
import math

R = 6371008.8

# Contact line vertices (lat, lon), walked from north to south: left is east, right is west.
LINE = [(49.300, 38.060), (49.205, 38.035), (49.110, 38.050), (49.020, 38.010),
        (48.930, 37.985), (48.840, 37.995), (48.750, 37.960), (48.660, 37.930),
        (48.570, 37.945), (48.480, 37.905), (48.390, 37.870), (48.300, 37.880),
        (48.210, 37.840), (48.120, 37.815), (48.030, 37.820), (47.960, 37.790)]


def inverse(a, b):
    """Spherical distance (m) and initial bearing (deg) from a to b."""
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    d = 2 * math.asin(math.sqrt(math.sin((la2 - la1) / 2) ** 2 +
                                math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2))
    y = math.sin(lo2 - lo1) * math.cos(la2)
    x = math.cos(la1) * math.sin(la2) - math.sin(la1) * math.cos(la2) * math.cos(lo2 - lo1)
    return d * R, (math.degrees(math.atan2(y, x)) + 360) % 360


def direct(a, azi, dist):
    la1, lo1 = math.radians(a[0]), math.radians(a[1])
    t, d = math.radians(azi), dist / R
    la2 = math.asin(math.sin(la1) * math.cos(d) + math.cos(la1) * math.sin(d) * math.cos(t))
    lo2 = lo1 + math.atan2(math.sin(t) * math.sin(d) * math.cos(la1),
                           math.cos(d) - math.sin(la1) * math.sin(la2))
    return (math.degrees(la2), math.degrees(lo2))


SEGS = [inverse(LINE[i], LINE[i + 1]) for i in range(len(LINE) - 1)]
LENGTH = sum(s[0] for s in SEGS)


def along(c):
    """Point and direction at chainage c (m) along the line."""
    for i, (d, azi) in enumerate(SEGS):
        if c <= d or i == len(SEGS) - 1:
            return direct(LINE[i], azi, min(c, d)), azi
        c -= d


def offset(c, side_m):
    """Point at chainage c, side_m metres to the right (positive) or left (negative)."""
    p, azi = along(c)
    return direct(p, azi + (90 if side_m > 0 else -90), abs(side_m))


def r6(x):
    return round(x, 6)


features = [{"type": "Feature",
             "geometry": {"type": "LineString", "coordinates": [[r6(lo), r6(la)] for la, lo in LINE]},
             "properties": {"kind": "contact_line", "name": "Illustrative line of contact"}}]

CONTINGENTS = ["AT", "IE", "CH", "BR", "IN", "ID"]
SPACING = 8500.0
ROWS = [("L", -1500.0, 0.0), ("L", -4000.0, 0.5), ("R", 1500.0, 0.5), ("R", 4000.0, 0.0)]
stations = []
for side, off, phase in ROWS:
    k = 0
    while True:
        c = 2500.0 + (k + phase) * SPACING
        if c > LENGTH - 1500.0:
            break
        stations.append((c, side, off))
        k += 1
stations.sort()
for n, (c, side, off) in enumerate(stations):
    la, lo = offset(c, off)
    elev = round(150 + 60 * math.sin(c / 23000.0) + 25 * math.cos(c / 7000.0 + off / 1000.0))
    sid = "%s%03d" % (side, n + 1)
    props = {"kind": "station", "id": sid, "sensor": "acoustic",
             "contingent": CONTINGENTS[int(c // 25000.0) % len(CONTINGENTS)]}
    if n % 2 == 0:
        r = 17.5 + 10.0 * ((n * 7) % 11) / 10.0     # 17.5-27.5 m: aperture r*sqrt(3) = 30-48 m
        rot = (n * 37) % 120
        els = [[0, 0, 0]]
        for k in range(3):
            t = math.radians(rot + 120 * k)
            els.append([round(r * math.sin(t), 2), round(r * math.cos(t), 2), 0])
        props["array"] = els
    features.append({"type": "Feature",
                     "geometry": {"type": "Point", "coordinates": [r6(lo), r6(la), elev]},
                     "properties": props})


def band(c0, c1, o0, o1, step=2500.0):
    """Closed ring between offsets o0 and o1 (m, signed) from chainage c0 to c1."""
    cs = []
    c = c0
    while c < c1:
        cs.append(c)
        c += step
    cs.append(c1)
    ring = [offset(c, o0) if o0 != 0 else along(c)[0] for c in cs]
    ring += [offset(c, o1) if o1 != 0 else along(c)[0] for c in reversed(cs)]
    ring.append(ring[0])
    return [[r6(lo), r6(la)] for la, lo in ring]


features.append({"type": "Feature",
                 "geometry": {"type": "Polygon", "coordinates": [band(62000.0, 74000.0, -2000.0, 2000.0, 1000.0)]},
                 "properties": {"kind": "zone", "id": "DA-1", "name": "Disengagement area 1",
                                "rule": {"forbid": ["fire", "impact", "heavy_weapons"]}}})
features.append({"type": "Feature",
                 "geometry": {"type": "Polygon", "coordinates": [band(0.0, LENGTH, 0.0, -15000.0)]},
                 "properties": {"kind": "zone", "id": "HWB-L", "name": "Heavy-weapons band, left (15 km)",
                                "rule": {"forbid": ["heavy_weapons"]}}})
features.append({"type": "Feature",
                 "geometry": {"type": "Polygon", "coordinates": [band(0.0, LENGTH, 0.0, 15000.0)]},
                 "properties": {"kind": "zone", "id": "HWB-R", "name": "Heavy-weapons band, right (15 km)",
                                "rule": {"forbid": ["heavy_weapons"]}}})

PLACES = ["Alder", "Birchfield", "Cedar Hill", "Dunmore", "Elmstead", "Fernbrook", "Glenholm",
          "Hawthorn", "Ivybridge", "Juniper", "Kestrel", "Larchmont", "Millbrook", "Northwood",
          "Oakridge"]
for i, name in enumerate(PLACES):
    c = 6000.0 + i * (LENGTH - 12000.0) / (len(PLACES) - 1)
    off = (3000.0 + 4000.0 * ((i * 5) % 3)) * (1 if i % 2 else -1)
    la, lo = offset(c, off)
    features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [r6(lo), r6(la)]},
                     "properties": {"kind": "place", "name": "Village " + name}})

doc = {"type": "FeatureCollection",
       "mission": {"name": "Demo sector",
                   "parties": {"left": "Party A", "right": "Party B"},
                   "ceasefire_start": "2026-03-01T00:00:00Z",
                   "illustrative": True,
                   "note": "Illustrative only: this is not an actual or agreed line of contact, "
                           "and the place names are invented."},
       "features": features}
print(json.dumps(doc, indent=1))
