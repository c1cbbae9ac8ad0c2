// main.js - the map page: loads the mission, the stations and one UTC day of events and
// findings from the server that served the page, draws them (layers.js), keeps them current
// from the live feed (/v1/stream), filters them (filters.js) and explains them (panel.js).
//
// State lives in one object, `state`; every change goes through render(), which redraws from
// it.  The page exposes `window.truceline` (the map, the state, `ready`) for the browser
// tests and for anyone poking at it from the console; `document.body.dataset.ready` turns
// "true" when the first load is drawn.
//
// Token: `?token=` is read once, kept in sessionStorage and removed from the address bar; the
// header field replaces it.  Without a token the page is the public view (24-hour embargo).

import { Api } from './api.js';
import { defaultFilters, findingPasses, eventPasses, timeMs } from './filters.js';
import {
  createMap,
  drawBasemap,
  drawMission,
  drawStations,
  drawEvents,
  drawFindings,
  drawSelection,
} from './layers.js';
import { Panel, weaponName } from './panel.js';
import { Timeline } from './timeline.js';

const $ = (id) => document.getElementById(id);

const state = {
  role: 'public',
  mission: null,
  parties: {},
  zoneNames: {},
  stations: [],
  day: '',
  dayMs: 0,
  events: new Map(),
  findings: new Map(),
  filters: defaultFilters(),
  showEvents: true,
  showEllipses: true,
  stream: null,
  pending: null, // live messages that arrived while a day was loading
  loading: false,
  shown: { events: 0, findings: 0 },
};

/* ------------------------------------------------------------------ token -- */

function initialToken() {
  const url = new URL(location.href);
  const t = url.searchParams.get('token');
  if (t) {
    sessionStorage.setItem('truceline.token', t);
    url.searchParams.delete('token');
    history.replaceState(null, '', url);
  }
  return sessionStorage.getItem('truceline.token') || '';
}

const api = new Api(initialToken());
const { map, groups, canvas } = createMap('map');

/* --------------------------------------------------------------- rendering -- */

let frame = 0;
function render() {
  if (frame) {
    return;
  }
  frame = requestAnimationFrame(() => {
    frame = 0;
    draw();
  });
}

function draw() {
  const f = state.filters;
  const findings = [...state.findings.values()].filter((x) => findingPasses(x.properties, f));
  const events = state.showEvents
    ? [...state.events.values()].filter((x) => eventPasses(x.properties, f))
    : [];
  drawFindings(groups, findings, (x) => panel.showFinding(x));
  drawEvents(groups, canvas, events, state.showEllipses, (x) => panel.showEvent(x));
  state.shown = { events: events.length, findings: findings.length };
  const c = $('counts');
  c.dataset.findings = String(findings.length);
  c.dataset.events = String(events.length);
  c.dataset.loadedFindings = String(state.findings.size);
  c.dataset.loadedEvents = String(state.events.size);
  const bySide = { left: 0, right: 0, ambiguous: 0 };
  for (const x of findings) {
    bySide[x.properties.fired_from] = (bySide[x.properties.fired_from] || 0) + 1;
  }
  c.innerHTML =
    `<b id="n-findings">${findings.length}</b> findings of ${state.findings.size}<br>` +
    `<b id="n-events">${events.length}</b> events of ${state.events.size}<br>` +
    `<small>fired from: ${state.parties.left || 'left'} ${bySide.left}, ` +
    `${state.parties.right || 'right'} ${bySide.right}, ambiguous ${bySide.ambiguous}</small>`;
  timeline.update(
    state.dayMs,
    [...state.events.values()].map((x) => timeMs(x.properties.time)),
    [...state.findings.values()].map((x) => timeMs(x.properties.time)),
  );
  refreshWeapons();
}

function refreshWeapons() {
  const sel = $('f-weapon');
  const have = new Set([...sel.options].map((o) => o.value));
  const all = new Set();
  for (const m of [state.events, state.findings]) {
    for (const x of m.values()) {
      all.add(x.properties.weapon || 'unknown');
    }
  }
  for (const w of [...all].sort()) {
    if (!have.has(w)) {
      const o = document.createElement('option');
      o.value = w;
      o.textContent = weaponName(w);
      sel.appendChild(o);
    }
  }
}

/* -------------------------------------------------------------- the panel -- */

const panel = new Panel($('panel'), {
  api,
  role: () => state.role,
  zoneNames: state.zoneNames,
  parties: state.parties,
  async findEvent(id) {
    if (state.events.has(id)) {
      return state.events.get(id);
    }
    try {
      return await api.json(`/v1/events/${encodeURIComponent(id)}`);
    } catch {
      return null;
    }
  },
  select(parts) {
    drawSelection(groups, canvas, parts);
  },
  async onReviewed(kind, id) {
    try {
      const f = await api.json(`/v1/${kind === 'finding' ? 'findings' : 'events'}/${encodeURIComponent(id)}`);
      upsert(kind, f);
      render();
      if (kind === 'finding') {
        panel.showFinding(f);
      } else {
        panel.showEvent(f);
      }
    } catch {
      /* the live feed brings it anyway */
    }
  },
});

/* ---------------------------------------------------------------- loading -- */

function dayBounds(day) {
  const from = Date.parse(`${day}T00:00:00Z`);
  return [from, from + 86400000];
}

function setTimeFilter() {
  const [a, b] = timeline.range();
  state.filters.fromMs = state.dayMs + a * 60000;
  state.filters.toMs = state.dayMs + b * 60000;
}

function upsert(kind, f) {
  const m = kind === 'finding' ? state.findings : state.events;
  const p = f.properties;
  const t = timeMs(p.time);
  if (t < state.dayMs || t >= state.dayMs + 86400000) {
    return false;
  }
  if (p.withdrawn) {
    m.delete(p.id);
  } else {
    m.set(p.id, f);
  }
  return true;
}

async function loadDay(day) {
  state.day = day;
  $('day').value = day;
  [state.dayMs] = dayBounds(day);
  const [from, to] = dayBounds(day);
  const q = new URLSearchParams({
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
  });
  state.loading = true;
  state.pending = [];
  document.body.dataset.ready = 'false';
  const [events, findings] = await Promise.all([
    api.all('/v1/events', q),
    api.all('/v1/findings', q),
  ]);
  state.events.clear();
  state.findings.clear();
  for (const f of events) {
    state.events.set(f.properties.id, f);
  }
  for (const f of findings) {
    state.findings.set(f.properties.id, f);
  }
  for (const msg of state.pending) {
    applyMessage(msg);
  }
  state.pending = null;
  state.loading = false;
  setTimeFilter();
  draw();
  const url = new URL(location.href);
  url.searchParams.set('date', day);
  history.replaceState(null, '', url);
  document.body.dataset.ready = 'true';
}

function applyMessage(msg) {
  const d = msg.data;
  if (!d || !d.feature || (d.kind !== 'event' && d.kind !== 'finding')) {
    return;
  }
  if (state.pending) {
    state.pending.push(msg);
    return;
  }
  if (upsert(d.kind, d.feature)) {
    render();
  } else if ($('t-follow').checked && timeMs(d.feature.properties.time) >= state.dayMs + 86400000) {
    // the live clock moved into a new day: follow it
    loadDay(d.feature.properties.time.slice(0, 10));
  }
}

async function loadStations() {
  try {
    const s = await api.json('/v1/stations');
    state.stations = s.stations;
    drawStations(groups, state.stations, (x) => panel.showStation(x));
  } catch (err) {
    console.warn('stations', err);
  }
}

async function defaultDay() {
  const fromUrl = new URL(location.href).searchParams.get('date');
  if (fromUrl && /^\d{4}-\d{2}-\d{2}$/.test(fromUrl)) {
    return fromUrl;
  }
  try {
    const st = await api.json('/v1/status');
    if (st.processing && st.processing.clock) {
      return st.processing.clock.slice(0, 10);
    }
  } catch {
    /* fall through */
  }
  // public: the newest whole day out of the 24-hour embargo
  return new Date(Date.now() - 86400000).toISOString().slice(0, 10);
}

async function loadRole() {
  try {
    const st = await api.json('/v1/status');
    state.role = st.role;
    $('mission-name').textContent = st.mission;
  } catch (err) {
    state.role = 'public';
    if (err.status === 401 && api.token) {
      alert('This token is not valid (any more): using the public view.');
      sessionStorage.removeItem('truceline.token');
      api.token = '';
    }
  }
  $('role').textContent = state.role;
}

/* -------------------------------------------------------------- controls -- */

const timeline = new Timeline($('chart'), $('t-from'), $('t-to'), $('t-label'), () => {
  setTimeFilter();
  render();
});

function bindControls() {
  for (const box of document.querySelectorAll('#f-side input')) {
    box.addEventListener('change', () => {
      state.filters.sides = new Set(
        [...document.querySelectorAll('#f-side input:checked')].map((b) => b.value),
      );
      render();
    });
  }
  for (const box of document.querySelectorAll('#f-class input')) {
    box.addEventListener('change', () => {
      state.filters.classes = new Set(
        [...document.querySelectorAll('#f-class input:checked')].map((b) => b.value),
      );
      render();
    });
  }
  $('f-conf').addEventListener('input', () => {
    state.filters.minConfidence = Number($('f-conf').value);
    $('conf-out').textContent = state.filters.minConfidence.toFixed(2);
    render();
  });
  $('f-zone').addEventListener('change', () => {
    state.filters.zone = $('f-zone').value;
    render();
  });
  $('f-weapon').addEventListener('change', () => {
    state.filters.weapon = $('f-weapon').value;
    render();
  });
  $('f-events').addEventListener('change', () => {
    state.showEvents = $('f-events').checked;
    render();
  });
  $('f-ellipses').addEventListener('change', () => {
    state.showEllipses = $('f-ellipses').checked;
    render();
  });
  $('day').addEventListener('change', () => {
    if ($('day').value) {
      $('t-follow').checked = false;
      loadDay($('day').value);
    }
  });
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const t = $('token').value.trim();
    if (t) {
      sessionStorage.setItem('truceline.token', t);
    } else {
      sessionStorage.removeItem('truceline.token');
    }
    location.reload();
  });
  $('report-link').addEventListener('click', async (ev) => {
    ev.preventDefault();
    const path = `/report/${state.day}`;
    if (!api.token) {
      window.open(path, '_blank');
      return;
    }
    // the report page needs the token too: fetch it and show it from memory
    try {
      const html = await api.text(path);
      const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
      window.open(url, '_blank');
    } catch (err) {
      alert(`report: ${err.message}`);
    }
  });
  map.on('click', () => {
    panel.clear();
    drawSelection(groups, canvas, []);
  });
}

/* ------------------------------------------------------------------ start -- */

async function start() {
  bindControls();
  await loadRole();
  const [mission, land, borders] = await Promise.all([
    api.json('/v1/mission'),
    fetch('land.geojson').then((r) => r.json()),
    fetch('borders.geojson').then((r) => r.json()),
  ]);
  state.mission = mission;
  Object.assign(state.parties, (mission.mission && mission.mission.parties) || {});
  $('party-left').textContent = `${state.parties.left || 'left'} (left)`;
  $('party-right').textContent = `${state.parties.right || 'right'} (right)`;
  for (const f of mission.features) {
    if (f.properties && f.properties.kind === 'zone') {
      state.zoneNames[f.properties.id] = f.properties.name || f.properties.id;
      const o = document.createElement('option');
      o.value = f.properties.id;
      o.textContent = `${f.properties.id} — ${f.properties.name || ''}`;
      $('f-zone').appendChild(o);
    }
  }
  if (mission.mission && mission.mission.name) {
    $('mission-name').textContent = mission.mission.name;
  }
  drawBasemap(groups, land, borders);
  const bounds = drawMission(groups, mission);
  if (bounds) {
    map.fitBounds(bounds.pad(0.08));
  }
  await loadStations();
  setInterval(loadStations, 30000);
  // the feed first, so that nothing published during the load is missed
  state.pending = [];
  state.stream = api.stream(applyMessage, (s) => {
    $('live').textContent = s;
    $('live').classList.toggle('on', s === 'live');
  });
  await loadDay(await defaultDay());
}

window.truceline = { map, state, api, render, loadDay, panel, ready: start() };
window.truceline.ready.catch((err) => {
  document.body.dataset.ready = 'error';
  document.body.dataset.error = String(err.message || err);
  console.error(err);
});
