// panel.js - the details panel: what a finding, an event or a station rests on.
//
// A finding shows its attribution (side, party, confidence and its two factors), weapon,
// range and time of flight, the evidence (`basis`), zones, the launch and impact events with
// their 95% ellipses and every station's residual, its versions, and whether it is in the
// transparency log: checked here, in the browser, against the published checkpoint
// (proof.js).  Analysts confirm or reject it with a reason (POST …/review); the server
// makes a new version carrying the review and logs both.

import { escapeHtml as esc } from './layers.js';
import { checkInclusion } from './proof.js';
import { stationHealth } from './filters.js';

const BASIS = {
  multi_station_origin: 'origin located by several stations',
  shock_cue: 'ballistic shock wave heard (supersonic projectile)',
  tof_consistent: 'time of flight consistent with the weapon',
  array_bearing: 'microphone-array bearings agree',
  salvo: 'part of a salvo',
};

/** "howitzer_152" -> "howitzer 152 mm". */
export function weaponName(w) {
  if (!w || w === 'unknown') {
    return 'unknown';
  }
  const m = /^([a-z]+)_([0-9]+)$/.exec(w);
  if (!m) {
    return w.replace(/_/g, ' ');
  }
  return `${m[1] === 'mlrs' ? 'MLRS' : m[1]} ${m[2]} mm`;
}

function fmtTime(t) {
  return t ? t.replace('T', ' ').replace(/(\.\d{3})\d*Z$/, '$1Z') : '—';
}

function fmtLatLon(f) {
  const c = f.geometry.coordinates;
  return `${c[1].toFixed(5)}, ${c[0].toFixed(5)}`;
}

function row(k, v) {
  return `<dt>${esc(k)}</dt><dd>${v}</dd>`;
}

function ellipseText(e) {
  if (!e) {
    return '—';
  }
  return `${Math.round(e.major_m)} × ${Math.round(e.minor_m)} m (semi-axes), major axis ${Math.round(
    e.azimuth_deg,
  )}°, p = ${e.p}`;
}

function arrivalsTable(p) {
  const arr = p.arrivals || [];
  if (!arr.length) {
    return '<p>No arrivals listed.</p>';
  }
  const rows = [...arr]
    .sort((a, b) => a.dist_m - b.dist_m)
    .map(
      (a) =>
        `<tr data-station="${esc(a.station)}"><td>${esc(a.station)}</td>` +
        `<td class="num">${(a.dist_m / 1000).toFixed(2)}</td>` +
        `<td class="num">${(a.residual_s * 1000).toFixed(1)}</td>` +
        `<td class="num">${a.weight.toFixed(2)}</td>` +
        `<td class="num">${a.baz_residual_deg !== undefined ? a.baz_residual_deg.toFixed(1) : ''}</td></tr>`,
    )
    .join('');
  return (
    '<table class="arrivals"><thead><tr><th>station</th><th class="num">km</th>' +
    '<th class="num">resid. ms</th><th class="num">weight</th><th class="num">baz °</th></tr></thead>' +
    `<tbody>${rows}</tbody></table>`
  );
}

function zonesText(zones, zoneNames) {
  return (zones || []).length
    ? zones.map((z) => `${esc(z)}${zoneNames[z] ? ` — ${esc(zoneNames[z])}` : ''}`).join('<br>')
    : 'none';
}

function eventBlock(f, title, zoneNames) {
  if (!f) {
    return `<h3>${esc(title)}</h3><p>not loaded</p>`;
  }
  const p = f.properties;
  return (
    `<h3>${esc(title)}: <span class="ev-id">${esc(p.id)}</span></h3><dl>` +
    row('time', `${esc(fmtTime(p.time))} ± ${p.time_sigma_s} s`) +
    row('location', `${fmtLatLon(f)}<br>${esc(p.place || '')}`) +
    row('95% ellipse', ellipseText(p.ellipse)) +
    row('class', `${esc(p.class)} (p = ${(p.class_p ?? 0).toFixed(2)})`) +
    row(
      'side',
      `${esc(p.side)} (p = ${(p.side_p ?? 0).toFixed(3)}), ${Math.round(p.dist_to_line_m)} m from the line`,
    ) +
    row('zones', zonesText(p.zones, zoneNames)) +
    row('stations', `${p.n_stations}, RMS ${(p.rms_s * 1000).toFixed(1)} ms`) +
    `</dl>${arrivalsTable(p)}`
  );
}

function reviewBlock(p) {
  const r = p.review;
  let html = '<h3>Review</h3>';
  if (r) {
    html +=
      `<p class="standing">${esc(r.action)} by ${esc(r.by || '?')} at ${esc(fmtTime(r.time))}: ` +
      `“${esc(r.reason)}”</p>`;
  } else {
    html += '<p>Not reviewed (automatic).</p>';
  }
  return html;
}

export class Panel {
  constructor(el, ctx) {
    this.el = el;
    this.ctx = ctx; // {api, role(), zoneNames, parties, findEvent(id), onReviewed(kind, id)}
    this.current = null;
  }

  clear() {
    this.current = null;
    this.el.removeAttribute('data-kind');
    this.el.removeAttribute('data-id');
    this.el.innerHTML = '<p class="hint">Click a finding (arrow), an event or a station.</p>';
  }

  async showFinding(f) {
    const p = f.properties;
    this.current = { kind: 'finding', id: p.id };
    this.el.dataset.kind = 'finding';
    this.el.dataset.id = p.id;
    const launch = await this.ctx.findEvent(p.launch);
    const impact = await this.ctx.findEvent(p.impact);
    if (!this.isCurrent('finding', p.id)) {
      return;
    }
    const c = f.geometry.coordinates;
    const basis = (p.basis || []).map((b) => `<li>${esc(BASIS[b] || b)}</li>`).join('');
    this.el.innerHTML =
      `<h2>Finding <span class="obj-id">${esc(p.id)}</span></h2>` +
      `<dl>` +
      row('launch time', esc(fmtTime(p.time))) +
      row(
        'fired from',
        `<b class="fired-from">${esc(p.fired_from)}</b>${p.party ? ` — ${esc(p.party)}` : ''}` +
          (p.fired_from === 'ambiguous' && p.likely_side
            ? ` (more likely ${esc(p.likely_side)}: ${esc(this.ctx.parties[p.likely_side] || '')})`
            : ''),
      ) +
      row(
        'confidence',
        `<span class="confidence">${(p.confidence ?? 0).toFixed(4)}</span> = side ${(
          p.side_p ?? 0
        ).toFixed(3)} × pairing ${(p.pair_p ?? 0).toFixed(3)}`,
      ) +
      row('weapon', esc(weaponName(p.weapon))) +
      row(
        'flight',
        `${(p.range_m / 1000).toFixed(2)} km in ${p.tof_s} s${p.crosses_line ? ', crosses the line' : ''}`,
      ) +
      row(
        'launch → impact',
        `${c[0][1].toFixed(5)}, ${c[0][0].toFixed(5)} → ${c[1][1].toFixed(5)}, ${c[1][0].toFixed(5)}`,
      ) +
      row('zones', zonesText(p.zones, this.ctx.zoneNames)) +
      row('status', esc(p.status || 'automatic')) +
      row(
        'settled',
        p.provisional === true
          ? '<span class="provisional">no: provisional, later records may still change it</span>'
          : 'yes',
      ) +
      (p.salvo ? row('salvo', esc(p.salvo)) : '') +
      `</dl><h3>Evidence</h3><ul class="basis">${basis || '<li>none listed</li>'}</ul>` +
      `<h3>Transparency log</h3><div id="inclusion" data-state="checking">checking…</div>` +
      reviewBlock(p) +
      this.reviewForm() +
      eventBlock(launch, 'Launch', this.ctx.zoneNames) +
      eventBlock(impact, 'Impact', this.ctx.zoneNames) +
      `<h3>Versions</h3><div id="history">…</div>`;
    this.ctx.select([f, launch, impact]);
    this.bindReview('findings', p.id);
    this.checkLog(p.id);
    this.history('findings', p.id);
  }

  async showEvent(f) {
    const p = f.properties;
    this.current = { kind: 'event', id: p.id };
    this.el.dataset.kind = 'event';
    this.el.dataset.id = p.id;
    this.el.innerHTML =
      `<h2>Event <span class="obj-id">${esc(p.id)}</span></h2>` +
      `<dl>` +
      row('weapon', esc(weaponName(p.weapon))) +
      row('paired with', p.pair ? esc(p.pair) : 'none') +
      (p.pair_candidate
        ? row(
            'unpublished pairing',
            `${esc(p.pair_candidate.id)}, probability ${(p.pair_candidate.p ?? 0).toFixed(3)} (below 0.5: no finding)`,
          )
        : '') +
      row('status', esc(p.status || 'automatic')) +
      row('revision', String(p.revision ?? 0)) +
      `</dl>` +
      eventBlock(f, 'Source', this.ctx.zoneNames) +
      reviewBlock(p) +
      this.reviewForm() +
      `<h3>Versions</h3><div id="history">…</div>`;
    this.ctx.select([f]);
    this.bindReview('events', p.id, p.revision);
    this.history('events', p.id);
  }

  showStation(s) {
    this.current = { kind: 'station', id: s.id };
    this.el.dataset.kind = 'station';
    this.el.dataset.id = s.id;
    const h = stationHealth(s);
    const q = s.qc || null;
    this.el.innerHTML =
      `<h2>Station <span class="obj-id">${esc(s.id)}</span></h2><dl>` +
      row('health', `<b>${esc(h.level)}</b> (${esc(h.why)})`) +
      row('location', `${s.lat.toFixed(5)}, ${s.lon.toFixed(5)}, ${s.elev_m} m`) +
      row('sensor', esc(s.sensor)) +
      row('contingent', esc(s.contingent || '—')) +
      row('signing key', s.key ? 'yes' : 'no') +
      ('last_record' in s
        ? row('last record', esc(fmtTime(s.last_record))) +
          row('last received', esc(fmtTime(s.last_received))) +
          row('state', esc(s.state || '—')) +
          row('records', `${s.records} (${s.picks} picks, ${s.duplicates} duplicates)`) +
          row('picks, last hour', String(s.picks_last_hour))
        : '') +
      `</dl>` +
      (q
        ? `<h3>Quality (latest processing run)</h3><dl>` +
          row('picks used', `${q.n_used} of ${q.n_picks}`) +
          row('residual', `median ${q.median_residual_s} s, MAD ${q.mad_residual_s} s`) +
          row('clock', q.clock_flag ? `offset ${q.clock_offset_s} s (corrected)` : 'ok') +
          row('misfit', q.misfit_flag ? 'down-weighted' : 'no') +
          row('outages', `${q.outages} (${q.outage_s} s)`) +
          `</dl>`
        : '');
    this.ctx.select([]);
  }

  /** A message for the next rendering of the same object (the review's outcome). */
  takeNotice() {
    const n = this.notice && this.isCurrent(this.notice.kind, this.notice.id) ? this.notice.text : '';
    this.notice = null;
    return n;
  }

  isCurrent(kind, id) {
    return this.current && this.current.kind === kind && this.current.id === id;
  }

  reviewForm() {
    if (this.ctx.role() !== 'analyst') {
      return '<p class="note">Reviews need an analyst token.</p>';
    }
    return (
      '<form id="review"><textarea name="reason" required placeholder="reason (required)"></textarea>' +
      '<button type="submit" name="action" value="confirm">Confirm</button>' +
      '<button type="submit" name="action" value="reject">Reject</button>' +
      `<span id="review-result" role="status" class="ok">${esc(this.takeNotice())}</span></form>`
    );
  }

  bindReview(kind, id, version) {
    const form = this.el.querySelector('#review');
    if (!form) {
      return;
    }
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const action = ev.submitter ? ev.submitter.value : 'confirm';
      const reason = form.reason.value.trim();
      const out = form.querySelector('#review-result');
      if (!reason) {
        out.textContent = 'a reason is required';
        return;
      }
      const body = { action, reason };
      const v = version ?? this.latestVersion;
      if (Number.isInteger(v)) {
        body.version = v;
      }
      try {
        const res = await this.ctx.api.post(`/v1/${kind}/${encodeURIComponent(id)}/review`, body);
        out.textContent = `${res.action} recorded: version ${res.version}`;
        out.className = 'ok';
        this.notice = { kind: this.current.kind, id, text: out.textContent };
        this.ctx.onReviewed(kind === 'findings' ? 'finding' : 'event', id);
      } catch (err) {
        out.textContent = `refused: ${err.message}`;
        out.className = 'bad';
      }
    });
  }

  async history(kind, id) {
    try {
      const h = await this.ctx.api.json(`/v1/${kind}/${encodeURIComponent(id)}/history`);
      if (!this.isCurrent(kind === 'findings' ? 'finding' : 'event', id)) {
        return;
      }
      this.latestVersion = h.versions.length ? h.versions[h.versions.length - 1].version : null;
      const el = this.el.querySelector('#history');
      el.innerHTML =
        '<table><thead><tr><th>v</th><th>cause</th><th>published</th><th class="num">log index</th></tr></thead><tbody>' +
        h.versions
          .map(
            (v) =>
              `<tr><td>${v.version}</td><td>${esc(v.cause)}</td><td>${esc(fmtTime(v.published))}</td>` +
              `<td class="num">${v.log_index ?? '—'}</td></tr>`,
          )
          .join('') +
        '</tbody></table>';
    } catch (err) {
      const el = this.el.querySelector('#history');
      if (el) {
        el.textContent = `history unavailable: ${err.message}`;
      }
    }
  }

  async checkLog(id, attempt = 0) {
    const el = () => this.el.querySelector('#inclusion');
    const api = this.ctx.api;
    const base = `/v1/findings/${encodeURIComponent(id)}`;
    try {
      const proofText = await api.text(`${base}/proof`);
      const [entry, feature, publishedText] = await Promise.all([
        api.bytes(`${base}/entry`),
        api.bytes(base),
        api.text('/log/checkpoint'),
      ]);
      if (!this.isCurrent('finding', id)) {
        return;
      }
      const r = checkInclusion({ feature, entry, proofText, publishedText });
      const e = el();
      e.dataset.state = r.ok ? 'ok' : 'bad';
      e.innerHTML =
        `<p class="${r.ok ? 'ok' : 'bad'}"><b>${r.ok ? 'In the log' : 'NOT verified'}</b>` +
        (r.index !== undefined ? `: entry ${r.index}` : '') +
        '</p><ul>' +
        r.steps.map((s) => `<li class="${s.ok ? 'ok' : 'bad'}">${esc(s.text)}</li>`).join('') +
        '</ul><p class="note">Checked in this browser: hashes and the Merkle path. The ' +
        'checkpoint signatures are checked offline with <code>truceline log verify --proof</code>.</p>' +
        (r.checkpoint ? `<pre class="checkpoint">${esc(r.checkpoint.text)}</pre>` : '');
    } catch (err) {
      if (!this.isCurrent('finding', id)) {
        return;
      }
      const e = el();
      if (err.status === 409 && attempt < 10) {
        e.dataset.state = 'pending';
        e.className = 'pending';
        e.textContent = 'not in a published checkpoint yet; retrying…';
        setTimeout(() => this.checkLog(id, attempt + 1), 1500);
        return;
      }
      e.dataset.state = err.status === 404 ? 'unavailable' : 'bad';
      e.textContent = `cannot check: ${err.message}`;
    }
  }
}
