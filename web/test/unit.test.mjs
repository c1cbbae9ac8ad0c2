// unit.test.mjs - the map's pure modules under Node's test runner (node --test web/test/).
//
// sha256 against Node's crypto; the in-browser inclusion check against the RFC 6962 vectors
// of tests/data/merkle (every vector: the good ones must pass, the `wantErr` ones must fail);
// a proof and checkpoint round trip; ellipse geometry against its definition; the filters and
// the API query they stand for; the server-sent-events frame parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { sha256, toHex, fromBase64 } from '../src/sha256.js';
import { rootFromInclusion, leafHash, parseProof, checkInclusion } from '../src/proof.js';
import { ellipseRing, enu, arrowHead, sideLabelPoints } from '../src/geo.js';
import {
  defaultFilters,
  findingPasses,
  eventPasses,
  apiQuery,
  findingStyle,
  stationHealth,
} from '../src/filters.js';
import { parseFrame } from '../src/api.js';

const here = dirname(fileURLToPath(import.meta.url));
const merkle = join(here, '..', '..', 'tests', 'data', 'merkle');

test('sha256 equals node crypto for lengths 0..300', () => {
  for (let n = 0; n <= 300; n++) {
    const data = new Uint8Array(n).map((_, i) => (i * 31 + n) & 255);
    const want = createHash('sha256').update(data).digest('hex');
    assert.equal(toHex(sha256(data)), want, `length ${n}`);
  }
});

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

test('inclusion proofs: every RFC 6962 vector', () => {
  const vectors = files(join(merkle, 'inclusion')).filter((f) => f.endsWith('.json'));
  assert.ok(vectors.length > 50, `found ${vectors.length} vectors`);
  let good = 0;
  for (const f of vectors) {
    const v = JSON.parse(readFileSync(f, 'utf8'));
    const proof = (v.proof || []).map(fromBase64);
    const leaf = v.leafHash ? fromBase64(v.leafHash) : new Uint8Array(0);
    const root = v.root ? fromBase64(v.root) : new Uint8Array(0);
    const got = rootFromInclusion(v.leafIdx, v.treeSize, leaf, proof);
    const ok = got !== null && root.length === 32 && toHex(got) === toHex(root);
    assert.equal(ok, !v.wantErr, `${f}: ${v.desc || ''}`);
    good += ok ? 1 : 0;
  }
  assert.ok(good > 0);
});

test('leaf hash and a two-leaf tree', () => {
  const a = new TextEncoder().encode('a');
  const b = new TextEncoder().encode('b');
  const la = leafHash(a);
  const lb = leafHash(b);
  assert.equal(toHex(la), createHash('sha256').update(Buffer.from([0, 97])).digest('hex'));
  const root = createHash('sha256')
    .update(Buffer.concat([Buffer.from([1]), Buffer.from(la), Buffer.from(lb)]))
    .digest();
  assert.equal(toHex(rootFromInclusion(1, 2, lb, [la])), root.toString('hex'));
  assert.equal(rootFromInclusion(2, 2, lb, [la]), null);
});

function b64(bytes) {
  return Buffer.from(bytes).toString('base64');
}

test('checkInclusion: a finding in a two-entry log, and three ways to fail', () => {
  const enc = new TextEncoder();
  const feature = enc.encode('{"type":"Feature","properties":{"id":"FD1"}}');
  const fhash = createHash('sha256').update(feature).digest('hex');
  const entry = enc.encode(`{"kind":"finding","sha256":"${fhash}"}`);
  const other = enc.encode('{"kind":"review","sha256":"00"}');
  const l0 = leafHash(other);
  const l1 = leafHash(entry);
  const root = createHash('sha256')
    .update(Buffer.concat([Buffer.from([1]), Buffer.from(l0), Buffer.from(l1)]))
    .digest();
  const cp = `test/log\n2\n${b64(root)}\n\n\u2014 test/log AAAA\n`;
  const proofText = `c2sp.org/tlog-proof@v1\nindex 1\n${b64(l0)}\n\n${cp}`;
  const p = parseProof(proofText);
  assert.equal(p.index, 1);
  assert.equal(p.checkpoint.size, 2);
  assert.deepEqual(p.checkpoint.signers, ['test/log']);
  const r = checkInclusion({ feature, entry, proofText, publishedText: cp });
  assert.equal(r.ok, true, JSON.stringify(r.steps));
  // the feature was changed after logging
  const bad = checkInclusion({
    feature: enc.encode('{"type":"Feature","properties":{"id":"FD2"}}'),
    entry,
    proofText,
    publishedText: cp,
  });
  assert.equal(bad.ok, false);
  assert.equal(bad.steps[0].ok, false);
  // a wrong sibling hash
  const forged = `c2sp.org/tlog-proof@v1\nindex 1\n${b64(l1)}\n\n${cp}`;
  assert.equal(checkInclusion({ feature, entry, proofText: forged, publishedText: cp }).ok, false);
  // a published checkpoint of another log
  const otherLog = cp.replace(/test\/log/g, 'other/log');
  assert.equal(checkInclusion({ feature, entry, proofText, publishedText: otherLog }).ok, false);
});

test('ellipse ring: every point on the ellipse, axes where they belong', () => {
  const lat = 48.5;
  const lon = 37.9;
  const ring = ellipseRing(lat, lon, 300, 100, 30, 72);
  assert.equal(ring.length, 72);
  const az = (30 * Math.PI) / 180;
  for (const [la, lo] of ring) {
    const [e, n] = enu(lat, lon, la, lo);
    const a = e * Math.sin(az) + n * Math.cos(az); // along the major axis
    const b = e * Math.cos(az) - n * Math.sin(az); // along the minor axis
    assert.ok(Math.abs((a / 300) ** 2 + (b / 100) ** 2 - 1) < 1e-3);
  }
  const [e0, n0] = enu(lat, lon, ring[0][0], ring[0][1]);
  assert.ok(Math.abs(Math.hypot(e0, n0) - 300) < 0.5);
  assert.ok(Math.abs(Math.atan2(e0, n0) - az) < 1e-3);
});

test('arrowhead tip is the impact; side labels left and right of the walking direction', () => {
  const head = arrowHead([48, 37], [48, 37.1]);
  assert.deepEqual(head[0], [48, 37.1]);
  // a line walked northwards: left is west, right is east
  const pts = sideLabelPoints(
    [
      [48, 37],
      [48.5, 37],
    ],
    [0.5],
    1000,
  );
  assert.ok(pts[0].left[1] < 37 && pts[0].right[1] > 37);
  assert.ok(Math.abs(pts[0].at[0] - 48.25) < 1e-9);
});

const finding = (over) => ({
  id: 'FD1',
  time: '2026-03-01T10:00:00Z',
  fired_from: 'left',
  confidence: 0.97,
  zones: ['DA-1'],
  weapon: 'mortar_120',
  ...over,
});

test('filters: sides, confidence, zone, weapon, time, withdrawn', () => {
  const f = defaultFilters();
  assert.ok(findingPasses(finding(), f));
  f.sides.delete('left');
  assert.ok(!findingPasses(finding(), f));
  assert.ok(findingPasses(finding({ fired_from: 'ambiguous' }), f));
  const g = defaultFilters();
  g.minConfidence = 0.98;
  assert.ok(!findingPasses(finding(), g));
  g.minConfidence = 0.97;
  assert.ok(findingPasses(finding(), g));
  const z = defaultFilters();
  z.zone = 'HWB-L';
  assert.ok(!findingPasses(finding(), z));
  const w = defaultFilters();
  w.weapon = 'mortar_82';
  assert.ok(!findingPasses(finding(), w));
  const t = defaultFilters();
  t.fromMs = Date.parse('2026-03-01T10:00:00Z');
  t.toMs = t.fromMs + 1;
  assert.ok(findingPasses(finding(), t));
  t.fromMs += 1;
  assert.ok(!findingPasses(finding(), t));
  assert.ok(!findingPasses(finding({ withdrawn: true }), defaultFilters()));
  const e = defaultFilters();
  e.classes = new Set(['launch']);
  const ev = { time: '2026-03-01T10:00:00Z', side: 'right', side_p: 0.99, class: 'impact' };
  assert.ok(!eventPasses(ev, e));
  assert.ok(eventPasses({ ...ev, class: 'launch' }, e));
});

test('apiQuery mirrors what the API can filter', () => {
  const f = defaultFilters();
  f.sides = new Set(['ambiguous']);
  f.minConfidence = 0.5;
  f.zone = 'DA-1';
  const q = apiQuery(f, 'finding');
  assert.equal(q.get('side'), 'ambiguous');
  assert.equal(q.get('min_confidence'), '0.5');
  assert.equal(q.get('zone'), 'DA-1');
  f.sides = new Set(['left', 'right']);
  assert.equal(apiQuery(f, 'finding'), null);
  const g = defaultFilters();
  g.weapon = 'mlrs_122';
  assert.equal(apiQuery(g, 'finding'), null);
});

test('finding style: side colour, grey when ambiguous, opacity by confidence', () => {
  const a = findingStyle(finding({ confidence: 1 }));
  const b = findingStyle(finding({ confidence: 0 }));
  assert.equal(a.color, '#1f6fd1');
  assert.ok(a.opacity > b.opacity);
  assert.equal(findingStyle(finding({ fired_from: 'ambiguous' })).color, '#7a7a7a');
  assert.equal(findingStyle(finding({ status: 'rejected' })).dashArray, '6 6');
  assert.equal(findingStyle(finding({ provisional: true })).dashArray, '2 5');
  assert.equal(findingStyle(finding({ provisional: true, status: 'rejected' })).dashArray, '6 6');
  assert.equal(findingStyle(finding({})).dashArray, null);
});

test('station health', () => {
  assert.equal(stationHealth({ id: 'A1' }).level, 'unknown');
  const up = { last_record: 'x', state: 'up', silent_s: 10, qc: null };
  assert.equal(stationHealth(up).level, 'ok');
  assert.equal(stationHealth({ ...up, state: 'tamper' }).level, 'down');
  assert.equal(stationHealth({ ...up, silent_s: 3600 }).level, 'down');
  assert.equal(stationHealth({ ...up, qc: { clock_flag: true } }).level, 'degraded');
});

test('server-sent events frames', () => {
  const m = parseFrame('id: 12\nevent: finding\ndata: {"kind":"finding","id":"FD1"}');
  assert.deepEqual(m, { id: '12', event: 'finding', data: { kind: 'finding', id: 'FD1' } });
  assert.equal(parseFrame(': ping'), null);
  assert.equal(parseFrame('retry: 2000\n: truceline live feed'), null);
});
