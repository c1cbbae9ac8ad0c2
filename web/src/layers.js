// layers.js - what the map draws, on Leaflet: the offline basemap, the mission (contact line
// with each side's party, zones, places), stations by health, events by class with their 95%
// ellipses, and findings as arrows from launch to impact.
//
// Rendering: findings, stations and the mission use SVG (one element each: clickable, and
// countable by the browser tests); events and ellipses use one Canvas, since a busy day holds
// ten thousand of them.  Event symbols are drawn on that canvas by a small CircleMarker
// subclass: a triangle for a launch, a disc for an impact, a diamond for an unknown source.

import * as L from './vendor/leaflet.js';
import { ellipseRing, arrowHead, sideLabelPoints } from './geo.js';
import { SIDE_COLOURS, findingStyle, stationHealth, HEALTH_COLOURS } from './filters.js';

/* ---------------------------------------------------------------- symbols -- */

L.Canvas.include({
  _updateTlSymbol(layer) {
    if (!this._drawing || layer._empty()) {
      return;
    }
    const p = layer._point;
    const ctx = this._ctx;
    const r = Math.max(Math.round(layer._radius), 1);
    ctx.beginPath();
    if (layer.options.shape === 'triangle') {
      ctx.moveTo(p.x, p.y - r * 1.3);
      ctx.lineTo(p.x + r * 1.15, p.y + r * 0.75);
      ctx.lineTo(p.x - r * 1.15, p.y + r * 0.75);
      ctx.closePath();
    } else if (layer.options.shape === 'diamond') {
      ctx.moveTo(p.x, p.y - r * 1.2);
      ctx.lineTo(p.x + r * 1.2, p.y);
      ctx.lineTo(p.x, p.y + r * 1.2);
      ctx.lineTo(p.x - r * 1.2, p.y);
      ctx.closePath();
    } else {
      ctx.arc(p.x, p.y, r, 0, Math.PI * 2, false);
    }
    this._fillStroke(ctx, layer);
  },
});

const Symbol = L.CircleMarker.extend({
  options: { shape: 'circle' },
  _updatePath() {
    this._renderer._updateTlSymbol(this);
  },
});

const SHAPES = { launch: 'triangle', impact: 'circle', unknown: 'diamond' };

/*
 * A click that an SVG layer above the events' canvas took - an arrow runs from its launch's
 * symbol to its impact's, a zone covers the events inside it - goes to the event symbol under
 * it, if any: a click on a symbol means that event.  Returns whether a symbol took it.
 */
function passToSymbol(groups, ev) {
  const map = groups.events._map;
  let best = null;
  let bestD = Infinity;
  groups.events.eachLayer((m) => {
    const d = map.latLngToContainerPoint(m.getLatLng()).distanceTo(ev.containerPoint);
    if (d <= m.options.radius + 2 && d < bestD) {
      best = m;
      bestD = d;
    }
  });
  if (best) {
    best.fire('click', ev);
  }
  return best !== null;
}

/* ------------------------------------------------------------------ setup -- */

/** Create the map in element `id`; returns {map, groups, canvas}. */
export function createMap(id) {
  const map = L.map(id, { zoomSnap: 0.25, preferCanvas: false, attributionControl: true });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(
    'Borders: Natural Earth via world-atlas — illustrative, not endorsed',
  );
  map.createPane('base').style.zIndex = 200;
  const canvas = L.canvas({ padding: 0.3 });
  const groups = {
    base: L.layerGroup().addTo(map),
    mission: L.layerGroup().addTo(map),
    ellipses: L.layerGroup().addTo(map),
    events: L.layerGroup().addTo(map),
    findings: L.layerGroup().addTo(map),
    stations: L.layerGroup().addTo(map),
    selection: L.layerGroup().addTo(map),
    arrows: new Map(), // finding id -> {feature, layers}: what drawFindings has drawn
  };
  map.setView([48.5, 37.9], 9);
  return { map, groups, canvas };
}

/** The offline basemap: land and borders from the files the build made. */
export function drawBasemap(groups, land, borders) {
  L.geoJSON(land, {
    pane: 'base',
    interactive: false,
    style: { color: '#c9c3b5', weight: 0.5, fillColor: '#f1eee6', fillOpacity: 1 },
  }).addTo(groups.base);
  L.geoJSON(borders, {
    pane: 'base',
    interactive: false,
    style: { color: '#9b8f86', weight: 1, dashArray: '4 3', fill: false },
  }).addTo(groups.base);
}

/** The mission: contact line with the party on each side, zones, places.  Returns bounds. */
export function drawMission(groups, mission, onZone) {
  const g = groups.mission;
  const parties = (mission.mission && mission.mission.parties) || {};
  let bounds = null;
  for (const f of mission.features) {
    const p = f.properties || {};
    if (p.kind === 'zone') {
      const layer = L.geoJSON(f, {
        style: {
          color: p.rule && (p.rule.forbid || []).includes('fire') ? '#8e24aa' : '#607d8b',
          weight: 1.5,
          dashArray: '6 4',
          fillOpacity: 0.06,
        },
      });
      const forbid = p.rule && p.rule.forbid ? p.rule.forbid.join(', ') : 'none';
      layer.bindTooltip(`${p.name || p.id} (${p.id}): forbids ${forbid}`, { sticky: true });
      layer.on('click', (ev) => passToSymbol(groups, ev) || (onZone && onZone(p)));
      layer.addTo(g);
    }
  }
  for (const f of mission.features) {
    const p = f.properties || {};
    if (p.kind === 'contact_line') {
      const line = f.geometry.coordinates.map((c) => [c[1], c[0]]);
      L.polyline(line, { color: '#222', weight: 3, className: 'tl-contact-line' })
        .bindTooltip(p.name || 'contact line', { sticky: true })
        .addTo(g);
      bounds = L.latLngBounds(line);
      for (const pt of sideLabelPoints(line, [0.15, 0.5, 0.85], 6000)) {
        for (const side of ['left', 'right']) {
          L.marker(pt[side], {
            interactive: false,
            icon: L.divIcon({
              className: `party-label ${side}`,
              html: `<span>${escapeHtml(parties[side] || side)} <small>(${side})</small></span>`,
              iconSize: null,
            }),
          }).addTo(g);
        }
      }
    } else if (p.kind === 'place') {
      const [lon, lat] = f.geometry.coordinates;
      L.circleMarker([lat, lon], {
        radius: 3,
        color: '#444',
        weight: 1,
        fillColor: '#fff',
        fillOpacity: 1,
        interactive: false,
      })
        .bindTooltip(escapeHtml(p.name || ''), {
          permanent: true,
          direction: 'right',
          className: 'place-label',
          offset: [4, 0],
        })
        .addTo(g);
    }
  }
  return bounds;
}

/** Stations coloured by health; `onClick(station)`. */
export function drawStations(groups, stations, onClick) {
  const g = groups.stations;
  g.clearLayers();
  for (const s of stations) {
    const h = stationHealth(s);
    const m = L.marker([s.lat, s.lon], {
      icon: L.divIcon({
        className: `tl-station tl-health-${h.level}`,
        html: `<span style="background:${HEALTH_COLOURS[h.level]}"></span>`,
        iconSize: [10, 10],
      }),
      keyboard: false,
    });
    m.bindTooltip(`${s.id}: ${h.level} (${h.why})`);
    m.on('click', (ev) => {
      L.DomEvent.stopPropagation(ev);
      onClick(s);
    });
    m.addTo(g);
    const el = m.getElement();
    if (el) {
      el.setAttribute('data-id', s.id);
    }
  }
}

/* ------------------------------------------------------------ the objects -- */

/** A [lat, lon] of a GeoJSON Point feature. */
export function pointOf(f) {
  const c = f.geometry.coordinates;
  return [c[1], c[0]];
}

/** The ellipse polygon of an event feature. */
export function ellipseLayer(f, renderer, style = {}) {
  const p = f.properties;
  const e = p.ellipse || {};
  const [lat, lon] = pointOf(f);
  return L.polygon(ellipseRing(lat, lon, e.major_m || 0, e.minor_m || 0, e.azimuth_deg || 0), {
    renderer,
    interactive: false,
    color: SIDE_COLOURS[p.side] || SIDE_COLOURS.ambiguous,
    weight: 1,
    fillOpacity: 0.08,
    ...style,
  });
}

/**
 * Draw events (symbols) and, when `withEllipses`, their ellipses; `onClick(feature)`.
 * Ellipses are left out past `maxEllipses` events (they would be unreadable anyway).
 */
export function drawEvents(groups, canvas, events, withEllipses, onClick, maxEllipses = 600) {
  groups.events.clearLayers();
  groups.ellipses.clearLayers();
  for (const f of events) {
    const p = f.properties;
    const m = new Symbol(pointOf(f), {
      renderer: canvas,
      shape: SHAPES[p.class] || 'diamond',
      radius: 4,
      color: '#222',
      weight: 0.8,
      fillColor: SIDE_COLOURS[p.side] || SIDE_COLOURS.ambiguous,
      fillOpacity: p.status === 'rejected' ? 0.25 : 0.9,
    });
    m.on('click', (ev) => {
      L.DomEvent.stopPropagation(ev);
      onClick(f);
    });
    m.feature = f;
    m.addTo(groups.events);
  }
  if (withEllipses && events.length <= maxEllipses) {
    for (const f of events) {
      ellipseLayer(f, canvas).addTo(groups.ellipses);
    }
  }
}

/** Draw findings as arrows launch -> impact; `onClick(feature)`.  An arrow already drawn for
 *  the same version of a finding stays as it is: the map redraws on every live update and filter
 *  change, and replacing the element under the pointer between a press and its release loses
 *  the analyst's click (the browser test found it).  Only new, revised or removed findings
 *  change. */
export function drawFindings(groups, findings, onClick) {
  const drawn = groups.arrows;
  const wanted = new Set();
  for (const f of findings) {
    const id = f.properties.id;
    wanted.add(id);
    const old = drawn.get(id);
    if (old && old.feature === f) {
      continue;
    }
    if (old) {
      old.layers.forEach((layer) => groups.findings.removeLayer(layer));
    }
    drawn.set(id, { feature: f, layers: arrowLayers(groups, f, onClick) });
  }
  for (const [id, old] of drawn) {
    if (!wanted.has(id)) {
      old.layers.forEach((layer) => groups.findings.removeLayer(layer));
      drawn.delete(id);
    }
  }
}

/** One finding's arrow (shaft and head) added to groups.findings; returns its layers. */
function arrowLayers(groups, f, onClick) {
  const p = f.properties;
  const c = f.geometry.coordinates;
  const from = [c[0][1], c[0][0]];
  const to = [c[c.length - 1][1], c[c.length - 1][0]];
  const style = findingStyle(p);
  const shaft = L.polyline([from, to], { ...style, className: 'tl-finding' });
  const head = L.polygon(arrowHead(from, to), {
    ...style,
    weight: 1,
    fillColor: style.color,
    fillOpacity: style.opacity,
    className: 'tl-arrowhead',
  });
  for (const layer of [shaft, head]) {
    layer.on('click', (ev) => {
      L.DomEvent.stopPropagation(ev);
      if (!passToSymbol(groups, ev)) {
        onClick(f);
      }
    });
    layer.addTo(groups.findings);
  }
  shaft.bindTooltip(
    `${p.id}: ${p.fired_from}${p.party ? ` (${escapeHtml(p.party)})` : ''}, confidence ${(
      p.confidence ?? 0
    ).toFixed(2)}${p.provisional === true ? ', provisional' : ''}`,
    { sticky: true },
  );
  shaft.getElement().setAttribute('data-id', p.id);
  return [shaft, head];
}

/** Highlight a selection: the finding's or event's ellipses and a halo. */
export function drawSelection(groups, canvasUnused, parts) {
  groups.selection.clearLayers();
  for (const f of parts) {
    if (!f) {
      continue;
    }
    if (f.geometry.type === 'Point') {
      ellipseLayer(f, undefined, { weight: 2, fillOpacity: 0.2, className: 'tl-sel-ellipse' }).addTo(
        groups.selection,
      );
      L.circleMarker(pointOf(f), {
        radius: 9,
        color: '#000',
        weight: 2,
        fill: false,
        interactive: false,
      }).addTo(groups.selection);
    } else {
      const c = f.geometry.coordinates;
      L.polyline(
        c.map((x) => [x[1], x[0]]),
        { color: '#000', weight: 7, opacity: 0.25, interactive: false },
      ).addTo(groups.selection);
    }
  }
}

export function escapeHtml(s) {
  return String(s ?? '').replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch],
  );
}

export { L };
