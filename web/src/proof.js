// proof.js - checks that a finding is in the transparency log, in the browser.
//
// The server logs a commitment for every published finding version:
// {"kind":"finding","sha256":"<hex of the feature bytes>"} (docs/formats.md section 7).
// Given the feature bytes (GET /v1/findings/{id}), the entry bytes (…/entry) and a
// c2sp.org/tlog-proof@v1 (…/proof), the check is:
//   1. the entry commits to these feature bytes (SHA-256 equal);
//   2. the RFC 6962 / RFC 9162 inclusion proof takes the entry's leaf hash
//      SHA-256(0x00 || entry) to the root hash of the proof's checkpoint;
//   3. that checkpoint is the log's published one (GET /log/checkpoint), or an earlier one
//      of the same log (same origin, smaller size).
// The checkpoint's signatures are not verified here: `truceline log verify --proof` does
// that offline against the mission's policy (docs/tlog.md); the panel says so.

import { sha256, toHex, fromBase64, sameBytes } from './sha256.js';

function concat(...parts) {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The leaf hash of a log entry: SHA-256(0x00 || entry). */
export function leafHash(entry) {
  return sha256(concat(Uint8Array.of(0), entry));
}

function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

/**
 * The root hash that an inclusion proof yields for leaf `index` of a tree of `size` leaves
 * (RFC 9162 section 2.1.3.2), or null when the proof cannot be a proof for that position
 * (index out of range, too many or too few hashes).
 */
export function rootFromInclusion(index, size, leaf, proof) {
  if (!(index >= 0 && index < size)) {
    return null;
  }
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) {
      return null;
    }
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** Parse a checkpoint (signed note): {origin, size, root (bytes), text, signers}. */
export function parseCheckpoint(text) {
  const blank = text.indexOf('\n\n');
  if (blank < 0) {
    throw new Error('checkpoint: no signature block');
  }
  const body = text.slice(0, blank).split('\n');
  if (body.length < 3 || !/^[0-9]+$/.test(body[1])) {
    throw new Error('checkpoint: expected origin, size and root hash lines');
  }
  const root = fromBase64(body[2]);
  if (root.length !== 32) {
    throw new Error('checkpoint: root hash is not 32 bytes');
  }
  const signers = text
    .slice(blank + 2)
    .split('\n')
    .filter((l) => l.startsWith('\u2014 '))
    .map((l) => l.slice(2).split(' ')[0]);
  return { origin: body[0], size: Number(body[1]), root, text, signers };
}

/** Parse a c2sp.org/tlog-proof@v1: {index, hashes, checkpoint}. */
export function parseProof(text) {
  const lines = text.split('\n');
  if (lines[0] !== 'c2sp.org/tlog-proof@v1') {
    throw new Error('proof: not a c2sp.org/tlog-proof@v1');
  }
  let i = 1;
  if (lines[i] && lines[i].startsWith('extra ')) {
    i++;
  }
  const m = /^index (0|[1-9][0-9]*)$/.exec(lines[i] || '');
  if (!m) {
    throw new Error('proof: no index line');
  }
  i++;
  const hashes = [];
  for (; i < lines.length && lines[i] !== ''; i++) {
    const h = fromBase64(lines[i]);
    if (h.length !== 32) {
      throw new Error('proof: a hash is not 32 bytes');
    }
    hashes.push(h);
  }
  const checkpoint = parseCheckpoint(lines.slice(i + 1).join('\n'));
  return { index: Number(m[1]), hashes, checkpoint };
}

/**
 * Check a finding's inclusion from the bytes the server gave (Uint8Arrays and texts).
 * Returns {ok, steps: [{name, ok, text}], index, checkpoint}.
 */
export function checkInclusion({ feature, entry, proofText, publishedText }) {
  const steps = [];
  let ok = true;
  const step = (name, good, text) => {
    steps.push({ name, ok: good, text });
    ok = ok && good;
  };
  let committed = null;
  try {
    const e = JSON.parse(new TextDecoder().decode(entry));
    committed = e.kind === 'finding' ? e.sha256 : null;
  } catch {
    committed = null;
  }
  const featureHash = toHex(sha256(feature));
  step(
    'entry',
    committed === featureHash,
    committed === featureHash
      ? `the log entry commits to this feature (SHA-256 ${featureHash.slice(0, 16)}…)`
      : `the log entry does not commit to this feature's bytes`,
  );
  let proof = null;
  try {
    proof = parseProof(proofText);
  } catch (err) {
    step('proof', false, String(err.message || err));
    return { ok: false, steps };
  }
  const root = rootFromInclusion(
    proof.index,
    proof.checkpoint.size,
    leafHash(entry),
    proof.hashes,
  );
  const rootOk = root !== null && sameBytes(root, proof.checkpoint.root);
  step(
    'inclusion',
    rootOk,
    rootOk
      ? `entry ${proof.index} is in the tree of size ${proof.checkpoint.size} (${proof.hashes.length} hashes)`
      : `the inclusion proof does not lead to the checkpoint's root hash`,
  );
  let published = null;
  try {
    published = parseCheckpoint(publishedText);
  } catch (err) {
    step('checkpoint', false, `published checkpoint: ${err.message || err}`);
    return { ok: false, steps, index: proof.index, checkpoint: proof.checkpoint };
  }
  const sameLog = published.origin === proof.checkpoint.origin;
  const covered =
    sameLog &&
    (published.size > proof.checkpoint.size ||
      (published.size === proof.checkpoint.size &&
        sameBytes(published.root, proof.checkpoint.root)));
  step(
    'checkpoint',
    covered,
    covered
      ? `covered by the published checkpoint of ${published.origin}, size ${published.size}` +
          (published.size > proof.checkpoint.size ? ' (proof against an earlier one)' : '')
      : `the published checkpoint does not cover the proof's (origin or size/root differ)`,
  );
  return { ok, steps, index: proof.index, checkpoint: proof.checkpoint, published };
}
