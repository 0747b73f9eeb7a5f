// R-RS-1: the verdict the guard releases on is the one at the moment of release, not the one from the
// lookup. A slip the desk revoked, another gate released, or whose validity ended while it sat on the
// screen is refused at the confirmation: by the server's answer when the phone is online, else by the
// offline check against the revocation list as now known and server time now.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { offlineDataState, Verdict, verifyForRelease, verifySlip } from '../src/gate/verify.js';

const data = JSON.parse(readFileSync(new URL('../../tests/vectors/release_slips.json', import.meta.url), 'utf8'));
const HOUR = 3_600_000;
const valid = data.vectors.find((x) => x.name === 'valid'); // names gates N and S

function opts(changes = {}) {
  return {
    keys: data.keys, revoked: new Set(), usedIds: new Set(), gate: 'N',
    now: valid.now * 1000, cacheFetchedAt: valid.now * 1000 - HOUR, maxCacheAgeMs: 24 * HOUR, ...changes,
  };
}
const claims = verifySlip(valid.payload, opts()).slip;
const server = (state, extra = {}) => ({ id: claims.slipId, state, released_at: null, released_gate: null, ...extra });

// R-RS-1
test('offline, a slip the revocation list has learnt of since the lookup is refused at release', () => {
  assert.equal(verifyForRelease(valid.payload, opts(), null).verdict, Verdict.VALID);
  const now = verifyForRelease(valid.payload, opts({ revoked: new Set([claims.slipId]) }), null);
  assert.equal(now.verdict, Verdict.REVOKED);
});

// R-RS-1
test('offline, a slip whose validity ended while on screen is refused, against server time', () => {
  const end = claims.validUntil * 1000;
  assert.equal(verifyForRelease(valid.payload, opts({ now: end - 1000, cacheFetchedAt: end - HOUR }), null).verdict,
    Verdict.VALID);
  assert.equal(verifyForRelease(valid.payload, opts({ now: end + 8000, cacheFetchedAt: end - HOUR }), null).verdict,
    Verdict.EXPIRED);
});

// R-RS-1
test("online, the server's word refuses what the phone's cache does not know yet", () => {
  assert.equal(verifyForRelease(valid.payload, opts(), server('revoked')).verdict, Verdict.REVOKED);
  const used = verifyForRelease(valid.payload, opts(), server('released', { released_at: '2026-12-07T11:57:00Z', released_gate: 'S' }));
  assert.equal(used.verdict, Verdict.ALREADY_USED);
  assert.deepEqual(used.usedInfo, { gate: 'S', at: '2026-12-07T11:57:00Z' });
  // The server's clock says the slip has ended though this phone's estimate of it does not: refused.
  assert.equal(verifyForRelease(valid.payload, opts(), server('expired')).verdict, Verdict.EXPIRED);
});

// R-RS-1
test("the server's 'issued' never makes valid what the phone refuses", () => {
  assert.equal(verifyForRelease(valid.payload, opts(), server('issued')).verdict, Verdict.VALID);
  const revokedHere = opts({ revoked: new Set([claims.slipId]) });
  assert.equal(verifyForRelease(valid.payload, revokedHere, server('issued')).verdict, Verdict.REVOKED);
  const ended = opts({ now: claims.validUntil * 1000 + 1000, cacheFetchedAt: claims.validUntil * 1000 - HOUR });
  assert.equal(verifyForRelease(valid.payload, ended, server('issued')).verdict, Verdict.EXPIRED);
  assert.equal(verifyForRelease(valid.payload, opts({ gate: 'E' }), server('issued')).verdict, Verdict.WRONG_GATE);
  assert.equal(verifyForRelease(valid.payload, opts({ gate: '' }), server('issued')).verdict, Verdict.GATE_UNSET);
});

// R-RS-1
test("an answer the server gave just now stands for this slip even when the cached list is old", () => {
  const stale = opts({ cacheFetchedAt: valid.now * 1000 - 25 * HOUR });
  assert.equal(verifyForRelease(valid.payload, stale, null).verdict, Verdict.CANNOT_VERIFY_OFFLINE);
  assert.equal(verifyForRelease(valid.payload, stale, server('issued')).verdict, Verdict.VALID);
  assert.equal(verifyForRelease(valid.payload, stale, server('revoked')).verdict, Verdict.REVOKED);
});

// R-RS-1
test("an answer about another slip is not taken for this one", () => {
  const other = { ...server('issued'), id: 'rs-someone-else' };
  const stale = opts({ cacheFetchedAt: valid.now * 1000 - 25 * HOUR });
  assert.equal(verifyForRelease(valid.payload, stale, other).verdict, Verdict.CANNOT_VERIFY_OFFLINE);
  assert.equal(verifyForRelease(valid.payload, opts(), { ...server('revoked'), id: 'rs-someone-else' }).verdict, Verdict.VALID);
});

// R-RS-1
test('a forged slip stays forged whatever the server says about the code', () => {
  const forged = data.vectors.find((x) => x.expected === 'tampered');
  assert.equal(verifyForRelease(forged.payload, opts(), server('issued')).verdict, Verdict.TAMPERED);
});

// R-RS-1: the offline data line and the lookup's refusal say why the phone cannot verify.
test('offline data is fresh up to its age limit, then stale; none downloaded is missing', () => {
  const at = Date.UTC(2026, 11, 7, 15, 28);
  const state = (changes) => offlineDataState({ hasAny: true, fetchedMs: at, nowMs: at, maxAgeMs: 24 * HOUR, ...changes });
  assert.equal(state({}), 'fresh');
  assert.equal(state({ nowMs: at + 24 * HOUR }), 'fresh');
  assert.equal(state({ nowMs: at + 25 * HOUR }), 'stale');
  assert.equal(state({ nowMs: at - 2 * HOUR }), 'stale'); // the clock went back: its age cannot be told
  assert.equal(state({ hasAny: false }), 'missing');
  assert.equal(state({ fetchedMs: 0 }), 'missing');
});

// R-RS-1
test("an answer kept from the lookup vouches only as of when it was asked", () => {
  const stale = opts({ cacheFetchedAt: valid.now * 1000 - 30 * HOUR });
  const old = { ...server('issued'), asked_ms: valid.now * 1000 - 25 * HOUR };
  assert.equal(verifyForRelease(valid.payload, stale, old).verdict, Verdict.CANNOT_VERIFY_OFFLINE);
  const recent = { ...server('issued'), asked_ms: valid.now * 1000 - HOUR };
  assert.equal(verifyForRelease(valid.payload, stale, recent).verdict, Verdict.VALID);
  // Its refusals stand however old it is: a slip revoked stays revoked.
  assert.equal(verifyForRelease(valid.payload, opts(), { ...server('revoked'), asked_ms: 0 }).verdict, Verdict.REVOKED);
});
