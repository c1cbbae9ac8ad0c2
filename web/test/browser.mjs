// browser.mjs - the map in a real browser: Debian's Chromium, headless, driven by
// playwright-core, against a `truceline serve` that tests/integration/web_map.sh started and
// replayed a scenario into.  Every number the page shows is compared with what the API says.
//
//     URL=http://127.0.0.1:PORT TOKEN=<analyst token> DAY=YYYY-MM-DD OUT=DIR node browser.mjs
//
// Checks, in order (each failure stops the run with a message; screenshots go to OUT):
//   1. the page loads with no script error and no request to another host;
//   2. it shows exactly the findings and events the API lists for the day (paged), and one
//      SVG arrow per finding;
//   3. a click on an arrow opens that finding's details (id, confidence, side, the launch's
//      station residuals), and its log inclusion verifies in the browser;
//   4. a click on an event symbol opens that event, and an event's unpublished pairing is shown;
//   5. filters change the count, and agree with the API's own filters (side, min_confidence,
//      zone) and with a count made here (weapon);
//   6. an unchanged arrow survives the redraws, and an analyst's confirm from the panel is
//      stored (the API serves the reviewed version);
//   7. a review made elsewhere (through the API) reaches the open page over /v1/stream;
//   8. the public view (no token) shows what the API shows the public.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const URL_ = process.env.URL;
const TOKEN = process.env.TOKEN;
const DAY = process.env.DAY;
const OUT = process.env.OUT || '.';
if (!URL_ || !TOKEN || !DAY) {
  console.error('browser.mjs: URL, TOKEN and DAY are required');
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });

const t0 = Date.now();
let passed = 0;
function ok(cond, what) {
  if (!cond) {
    throw new Error(`FAIL: ${what}`);
  }
  passed++;
  console.log(`ok ${passed} - ${what}`);
}

async function api(path, token = TOKEN, init = {}) {
  const headers = { ...(init.headers || {}) };
  if (token) {
    headers.Authorization = `Bearer ${token}`;
  }
  const res = await fetch(`${URL_}${path}`, { ...init, headers });
  if (!res.ok) {
    throw new Error(`${path}: ${res.status} ${await res.text()}`);
  }
  return res;
}

async function allFeatures(path, query, token = TOKEN) {
  const q = new URLSearchParams(query);
  q.set('limit', '1000');
  const out = [];
  for (;;) {
    const page = await (await api(`${path}?${q}`, token)).json();
    out.push(...page.features);
    if (!page.next) {
      return out;
    }
    q.set('cursor', page.next);
  }
}

const dayFrom = `${DAY}T00:00:00.000Z`;
const dayTo = new Date(Date.parse(dayFrom) + 86400000).toISOString();
const dayQuery = { from: dayFrom, to: dayTo };

const profile = mkdtempSync(join(tmpdir(), 'tl-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1400, height: 900 },
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

const errors = [];
const foreign = [];
const origin = new URL(URL_).origin;

async function openPage(query) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // a 409 is the proof not yet in a published checkpoint: the panel says so and retries
    if (m.type() === 'error' && !/status of 409/.test(m.text())) {
      errors.push(m.text());
    }
  });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) {
      foreign.push(u);
    }
  });
  await page.goto(`${URL_}/?${query}`);
  await page.waitForFunction(
    () => ['true', 'error'].includes(document.body.dataset.ready),
    null,
    { timeout: 30000 },
  );
  const state = await page.evaluate(() => document.body.dataset.ready);
  if (state !== 'true') {
    throw new Error(`page failed: ${await page.evaluate(() => document.body.dataset.error)}`);
  }
  return page;
}

async function shown(page) {
  return page.evaluate(() => {
    const c = document.getElementById('counts');
    return {
      findings: Number(c.dataset.findings),
      events: Number(c.dataset.events),
      arrows: document.querySelectorAll('path.tl-finding').length,
    };
  });
}

async function settle(page) {
  // two animation frames: render() batches into one
  await page.evaluate(
    () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))),
  );
}

try {
  /* 1-2: what the page shows is what the API lists */
  const findings = await allFeatures('/v1/findings', dayQuery);
  const events = await allFeatures('/v1/events', dayQuery);
  ok(findings.length > 0, `the scenario has findings (${findings.length}) and events (${events.length})`);
  const tLoad = Date.now();
  const page = await openPage(`token=${TOKEN}&date=${DAY}`);
  console.log(`# page loaded and drawn in ${Date.now() - tLoad} ms`);
  ok(!(await page.url()).includes('token='), 'the token is removed from the address bar');
  ok((await page.textContent('#role')) === 'analyst', 'the page knows its role (analyst)');
  let s = await shown(page);
  ok(s.findings === findings.length, `map shows ${s.findings} findings, API lists ${findings.length}`);
  ok(s.arrows === findings.length, `one arrow per finding (${s.arrows})`);
  const provisional = findings.filter((f) => f.properties.provisional === true).length;
  const dotted = await page.locator('path.tl-finding[stroke-dasharray="2 5"]').count();
  ok(
    provisional > 0 && dotted === provisional,
    `provisional findings drawn dotted: ${dotted} of the API's ${provisional}`,
  );
  ok(s.events === events.length, `map shows ${s.events} events, API lists ${events.length}`);
  const stations = (await (await api('/v1/stations')).json()).stations;
  ok(
    (await page.locator('.tl-station').count()) === stations.length,
    `every station is drawn (${stations.length})`,
  );
  await page.screenshot({ path: join(OUT, 'map.png') });

  /* 3: a click on an arrow opens that finding */
  const target = await page.evaluate(async (ids) => {
    // a finding whose arrow is the topmost element at its midpoint once zoomed to it (measured
    // after the map has redrawn: a slow page, as under ASan, may still show the last view)
    const { map } = window.truceline;
    const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
    for (const id of ids) {
      const f = window.truceline.state.findings.get(id);
      if (!f || !document.querySelector(`path.tl-finding[data-id="${id}"]`)) {
        continue;
      }
      const c = f.geometry.coordinates;
      map.setView([(c[0][1] + c[1][1]) / 2, (c[0][0] + c[1][0]) / 2], 14, { animate: false });
      await frame();
      await frame();
      const el = document.querySelector(`path.tl-finding[data-id="${id}"]`);
      if (!el) {
        continue;
      }
      const b = el.getBoundingClientRect();
      const x = b.left + b.width / 2;
      const y = b.top + b.height / 2;
      if (document.elementFromPoint(x, y) === el) {
        return { id, x, y };
      }
    }
    return null;
  }, findings.map((f) => f.properties.id));
  ok(target !== null, 'a finding arrow can be clicked on its own');
  await page.mouse.click(target.x, target.y);
  await page.waitForFunction(
    (id) => document.getElementById('panel').dataset.id === id,
    target.id,
    { timeout: 5000 },
  );
  const want = findings.find((f) => f.properties.id === target.id).properties;
  ok(true, `clicking the arrow of ${target.id} opens its details`);
  ok(
    (await page.textContent('#panel .confidence')) === want.confidence.toFixed(4),
    `details show its confidence ${want.confidence.toFixed(4)}`,
  );
  ok(
    (await page.textContent('#panel .fired-from')) === want.fired_from,
    `details show fired from ${want.fired_from}`,
  );
  ok(
    (await page.locator('#panel .provisional').count()) === (want.provisional === true ? 1 : 0),
    `details say the finding is ${want.provisional === true ? 'provisional' : 'settled'}`,
  );
  const launch = await (await api(`/v1/events/${want.launch}`)).json();
  await page.waitForSelector('#panel table.arrivals');
  const rows = await page.locator('#panel table.arrivals').first().locator('tbody tr').count();
  ok(
    rows === launch.properties.arrivals.length,
    `the launch's ${launch.properties.arrivals.length} stations and residuals are listed (${rows})`,
  );
  await page.waitForFunction(
    () => ['ok', 'bad', 'unavailable'].includes(document.getElementById('inclusion').dataset.state),
    null,
    { timeout: 20000 },
  );
  ok(
    (await page.getAttribute('#inclusion', 'data-state')) === 'ok',
    `log inclusion verified in the browser: ${(await page.textContent('#inclusion')).slice(0, 80)}…`,
  );
  await page.screenshot({ path: join(OUT, 'finding.png') });

  /* 4: a click on an event symbol opens that event, also where a finding's arrow or a zone
   * lies over it (a paired event lies under its finding's arrow; in some hours every event
   * does): preferably such a symbol, else one on the bare canvas; never one with another
   * symbol within 14 px */
  const ev = await page.evaluate(() => {
    const { map, state } = window.truceline;
    const list = [...state.events.values()];
    let bare = null;
    for (const f of list) {
      const [lon, lat] = f.geometry.coordinates;
      map.setView([lat, lon], 15, { animate: false });
      const p = map.latLngToContainerPoint([lat, lon]);
      const crowded = list.some((g) => {
        if (g === f) {
          return false;
        }
        const q = map.latLngToContainerPoint([g.geometry.coordinates[1], g.geometry.coordinates[0]]);
        return Math.hypot(q.x - p.x, q.y - p.y) < 14;
      });
      const r = map.getContainer().getBoundingClientRect();
      const x = r.left + p.x;
      const y = r.top + p.y;
      const top = document.elementFromPoint(x, y);
      if (crowded || !top) {
        continue;
      }
      if (top.tagName === 'path') {
        return { id: f.properties.id, x, y, over: top.getAttribute('class') };
      }
      if (top.tagName === 'CANVAS' && !bare) {
        bare = { id: f.properties.id, x, y, over: null, zoom: map.getZoom() };
      }
    }
    if (bare) {
      map.setView(state.events.get(bare.id).geometry.coordinates.slice().reverse(), bare.zoom, {
        animate: false,
      });
    }
    return bare;
  });
  ok(ev !== null, 'an event symbol can be clicked on its own');
  await page.mouse.click(ev.x, ev.y);
  await page.waitForFunction(
    (id) => document.getElementById('panel').dataset.id === id,
    ev.id,
    { timeout: 5000 },
  );
  ok(
    (await page.getAttribute('#panel', 'data-kind')) === 'event',
    `clicking the symbol of ${ev.id} opens that event${ev.over ? ` (under ${ev.over})` : ''}`,
  );

  /* 4b: an event whose pairing was chosen but not published (probability below 0.5) says
   * so in its panel, with the partner and the probability the API gives */
  const cand = events.find((f) => f.properties.pair_candidate);
  ok(cand !== undefined, 'the hour has events with an unpublished pairing');
  await page.evaluate((f) => window.truceline.panel.showEvent(f), cand);
  await page.waitForFunction(
    (id) => document.getElementById('panel').dataset.id === id,
    cand.properties.id,
    { timeout: 5000 },
  );
  const pc = cand.properties.pair_candidate;
  const panelText = await page.textContent('#panel');
  ok(
    panelText.includes('unpublished pairing') &&
      panelText.includes(`${pc.id}, probability ${pc.p.toFixed(3)} (below 0.5: no finding)`),
    `the panel of ${cand.properties.id} names its unpublished pairing ${pc.id} at ${pc.p.toFixed(3)}`,
  );

  /* 5: filters */
  const count = async (q) => (await allFeatures('/v1/findings', { ...dayQuery, ...q })).length;
  await page.uncheck('#f-side input[value=ambiguous]');
  await settle(page);
  s = await shown(page);
  const lr = (await count({ side: 'left' })) + (await count({ side: 'right' }));
  ok(s.findings === lr, `without ambiguous: map ${s.findings}, API left+right ${lr}`);
  await page.check('#f-side input[value=ambiguous]');
  await page.uncheck('#f-side input[value=left]');
  await page.uncheck('#f-side input[value=right]');
  await settle(page);
  s = await shown(page);
  const amb = await count({ side: 'ambiguous' });
  ok(s.findings === amb && s.arrows === amb, `ambiguous only: map ${s.findings}, API ${amb}`);
  await page.check('#f-side input[value=left]');
  await page.check('#f-side input[value=right]');
  await page.locator('#f-conf').fill('0.5');
  await settle(page);
  s = await shown(page);
  const c50 = await count({ min_confidence: '0.5' });
  ok(s.findings === c50, `confidence >= 0.5: map ${s.findings}, API ${c50}`);
  await page.locator('#f-conf').fill('0');
  const zones = await page.$$eval('#f-zone option', (o) => o.map((x) => x.value).filter(Boolean));
  let changed = s.findings !== findings.length;
  for (const z of zones) {
    await page.selectOption('#f-zone', z);
    await settle(page);
    s = await shown(page);
    const cz = await count({ zone: z });
    ok(s.findings === cz, `zone ${z}: map ${s.findings}, API ${cz}`);
    changed = changed || cz !== findings.length;
  }
  await page.selectOption('#f-zone', '');
  const weapons = await page.$$eval('#f-weapon option', (o) => o.map((x) => x.value).filter(Boolean));
  ok(weapons.length > 0, `weapons offered: ${weapons.join(', ')}`);
  await page.selectOption('#f-weapon', weapons[0]);
  await settle(page);
  s = await shown(page);
  const cw = findings.filter((f) => (f.properties.weapon || 'unknown') === weapons[0]).length;
  ok(s.findings === cw, `weapon ${weapons[0]}: map ${s.findings}, counted from the API ${cw}`);
  changed = changed || cw !== findings.length;
  ok(changed, 'at least one filter changed the number of findings shown');
  await page.screenshot({ path: join(OUT, 'filtered.png') });
  await page.selectOption('#f-weapon', '');
  await settle(page);
  await page.evaluate((id) => {
    window.tlArrowSeen = document.querySelector(`path.tl-finding[data-id="${id}"]`);
  }, target.id);
  await page.uncheck('#f-class input[value=unknown]');
  await settle(page);
  s = await shown(page);
  const launches = (await allFeatures('/v1/events', { ...dayQuery, class: 'launch' })).length;
  const impacts = (await allFeatures('/v1/events', { ...dayQuery, class: 'impact' })).length;
  ok(
    s.events === launches + impacts,
    `events without class unknown: map ${s.events}, API ${launches + impacts}`,
  );
  await page.check('#f-class input[value=unknown]');

  /* 6: an analyst confirms the finding from the panel */
  await settle(page);
  ok(
    await page.evaluate(
      (id) => document.querySelector(`path.tl-finding[data-id="${id}"]`) === window.tlArrowSeen,
      target.id,
    ),
    'a redraw keeps an unchanged arrow (a click is not lost between press and release)',
  );
  const tp = await page.evaluate((id) => {
    const { map, state } = window.truceline;
    const c = state.findings.get(id).geometry.coordinates;
    map.setView([(c[0][1] + c[1][1]) / 2, (c[0][0] + c[1][0]) / 2], 14, { animate: false });
    const b = document.querySelector(`path.tl-finding[data-id="${id}"]`).getBoundingClientRect();
    return { x: b.left + b.width / 2, y: b.top + b.height / 2 };
  }, target.id);
  await page.mouse.click(tp.x, tp.y);
  await page.waitForFunction(
    (id) => document.getElementById('panel').dataset.id === id && document.querySelector('#review'),
    target.id,
  );
  await page.fill('#review textarea', 'browser test: launch site seen by the patrol');
  await page.click('#review button[value=confirm]');
  await page.waitForFunction(
    () => /recorded|refused/.test(document.getElementById('review-result')?.textContent || ''),
  );
  const result = await page.textContent('#review-result');
  ok(/confirm recorded/.test(result), `confirm from the panel: "${result}"`);
  await page.waitForFunction(() => document.querySelector('#panel .standing'));
  ok(
    /browser test: launch site seen by the patrol/.test(await page.textContent('#panel .standing')),
    'the panel shows the standing review and its reason',
  );
  const reviewed = await (await api(`/v1/findings/${target.id}`)).json();
  ok(
    reviewed.properties.status === 'reviewed' &&
      reviewed.properties.review.reason === 'browser test: launch site seen by the patrol',
    'the API serves the reviewed version with the reason',
  );

  /* 7: a review made elsewhere reaches the open page over the live feed */
  const other = findings.find((f) => f.properties.id !== target.id);
  await api(`/v1/findings/${other.properties.id}/review`, TOKEN, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ action: 'reject', reason: 'browser test: echo, not a launch' }),
  });
  await page.waitForFunction(
    (id) => window.truceline.state.findings.get(id)?.properties.status === 'rejected',
    other.properties.id,
    { timeout: 15000 },
  );
  ok(true, `a rejection made through the API reached the page live (${other.properties.id})`);
  // drawing follows on the next animation frame
  const dashed = await page
    .waitForFunction(
      (id) =>
        document
          .querySelector(`path.tl-finding[data-id="${id}"]`)
          ?.getAttribute('stroke-dasharray') === '6 6',
      other.properties.id,
      { timeout: 5000 },
    )
    .then(() => true)
    .catch(() => false);
  ok(dashed, 'the rejected finding is drawn dashed');

  /* 8: the public view */
  const pubFindings = await allFeatures('/v1/findings', dayQuery, '');
  const pub = await openPage(`date=${DAY}`);
  s = await shown(pub);
  ok(
    (await pub.textContent('#role')) === 'public' && s.findings === pubFindings.length,
    `public view shows ${s.findings} findings, the API shows the public ${pubFindings.length}`,
  );
  await pub.close();

  /* 9: the daily report shows the same counts as the API */
  const rep = await browser.newPage();
  await rep.setExtraHTTPHeaders({ Authorization: `Bearer ${TOKEN}` });
  const tRep = Date.now();
  const resp = await rep.goto(`${URL_}/report/${DAY}`);
  ok(resp.status() === 200, `GET /report/${DAY}: ${resp.status()} in ${Date.now() - tRep} ms`);
  const cnt = async (name) => Number(await rep.textContent(`[data-count="${name}"]`));
  const fd = await allFeatures('/v1/findings', dayQuery);
  const evs = await allFeatures('/v1/events', dayQuery);
  const notRejected = (l) => l.filter((f) => f.properties.status !== 'rejected');
  const fdKept = notRejected(fd);
  const evKept = notRejected(evs);
  const bySide = (side) => fdKept.filter((f) => f.properties.fired_from === side).length;
  const byClass = (c) => evKept.filter((f) => f.properties.class === c).length;
  ok((await cnt('findings')) === fdKept.length, `report: ${fdKept.length} findings (rejected apart)`);
  ok((await cnt('rejected_findings')) === fd.length - fdKept.length, 'report: rejected findings');
  ok(
    (await cnt('fired_left')) === bySide('left') &&
      (await cnt('fired_right')) === bySide('right') &&
      (await cnt('fired_ambiguous')) === bySide('ambiguous'),
    `report: per party ${bySide('left')}/${bySide('right')}/${bySide('ambiguous')}`,
  );
  ok(
    (await cnt('events')) === evKept.length &&
      (await cnt('launch')) === byClass('launch') &&
      (await cnt('impact')) === byClass('impact') &&
      (await cnt('unknown')) === byClass('unknown'),
    `report: ${evKept.length} events per category`,
  );
  ok(
    (await rep.locator('#findings-table tbody tr[data-id]').count()) === fd.length,
    `report: the findings table lists all ${fd.length}`,
  );
  ok((await rep.locator('#report-map line.finding').count()) === fdKept.length, 'report map arrows');
  const cp = await (await api('/log/checkpoint', '')).text();
  const size = Number(cp.split('\n')[1]);
  ok(
    Number(await rep.getAttribute('[data-count="log_size"]', 'data-value')) <= size &&
      /covers every finding/.test(await rep.textContent('#log')),
    'report: the log checkpoint covers every finding',
  );
  await rep.screenshot({ path: join(OUT, 'report.png'), fullPage: true });
  await rep.pdf({ path: join(OUT, 'report.pdf'), format: 'A4', printBackground: true });
  await rep.close();

  ok(errors.length === 0, `no script errors${errors.length ? `: ${errors.join(' | ')}` : ''}`);
  ok(foreign.length === 0, `no request left the server${foreign.length ? `: ${foreign[0]}` : ''}`);
  console.log(`# browser test: ${passed} checks in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, 0 failed`);
} catch (err) {
  console.error(err.message || err);
  console.log(`${passed} passed, 1 failed`);
  process.exitCode = 1;
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
