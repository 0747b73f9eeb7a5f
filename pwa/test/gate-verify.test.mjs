// The guard's offline verifier against the shared vectors (tests/vectors/release_slips.json), which the
// Python verifier must agree with too (tests/unit/test_slip_signing.py).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { itemsDigest, normalizeShortCode, shortCode } from '../src/gate/payload.js';
import { Verdict, verifySlip } from '../src/gate/verify.js';

const data = JSON.parse(readFileSync(new URL('../../tests/vectors/release_slips.json', import.meta.url), 'utf8'));
const HOUR = 3_600_000;

function fresh(v) {
  return {
    keys: data.keys,
    revoked: new Set(v.revoked),
    usedIds: new Set(v.used),
    gate: v.gate ?? undefined,
    now: v.now * 1000,
    cacheFetchedAt: v.now * 1000 - HOUR,
    maxCacheAgeMs: 24 * HOUR,
  };
}

test('every shared vector gets the same verdict as in Python', () => {
  assert.ok(data.vectors.length > 100);
  for (const v of data.vectors) {
    const result = verifySlip(v.payload, fresh(v));
    assert.equal(result.verdict, v.expected, v.name);
  }
});

test('no single-byte flip of a signed payload passes', () => {
  const flips = data.vectors.filter((v) => v.name.startsWith('flip'));
  assert.ok(flips.length > 200);
  for (const v of flips) {
    const { verdict } = verifySlip(v.payload, fresh(v));
    assert.ok(verdict === Verdict.TAMPERED || verdict === Verdict.MALFORMED, `${v.name}: ${verdict}`);
  }
});

test('a valid slip comes back with its signed claims', () => {
  const v = data.vectors.find((x) => x.name === 'valid');
  const { verdict, slip } = verifySlip(v.payload, fresh(v));
  assert.equal(verdict, Verdict.VALID);
  assert.equal(slip.kid, 'tx-2026b');
  assert.equal(slip.unitLabel, '3栋2单元1501');
  assert.deepEqual(slip.gates, ['N', 'S']);
  assert.equal(slip.itemCount, 6);
  assert.equal(slip.itemsDigest, data.items_digests[0].digest);
});

test('a tampered slip reveals no claims', () => {
  const v = data.vectors.find((x) => x.expected === 'tampered');
  assert.equal(verifySlip(v.payload, fresh(v)).slip, undefined);
});

test('stale keys or revocations never pass silently', () => {
  const v = data.vectors.find((x) => x.name === 'valid');
  const stale = { ...fresh(v), cacheFetchedAt: v.now * 1000 - 25 * HOUR };
  assert.deepEqual(verifySlip(v.payload, stale), { verdict: Verdict.CANNOT_VERIFY_OFFLINE });
  const missing = { ...fresh(v), cacheFetchedAt: undefined };
  assert.equal(verifySlip(v.payload, missing).verdict, Verdict.CANNOT_VERIFY_OFFLINE);
  const noKeys = { ...fresh(v), keys: undefined };
  assert.equal(verifySlip(v.payload, noKeys).verdict, Verdict.CANNOT_VERIFY_OFFLINE);
  // The clock ran backwards past the fetch: the cache age cannot be trusted.
  const rewound = { ...fresh(v), cacheFetchedAt: v.now * 1000 + 2 * HOUR };
  assert.equal(verifySlip(v.payload, rewound).verdict, Verdict.CANNOT_VERIFY_OFFLINE);
  const justFresh = { ...fresh(v), cacheFetchedAt: v.now * 1000 - 24 * HOUR };
  assert.equal(verifySlip(v.payload, justFresh).verdict, Verdict.VALID);
});

test('arrays work as revoked / used lists', () => {
  const v = data.vectors.find((x) => x.name === 'revoked');
  assert.equal(verifySlip(v.payload, { ...fresh(v), revoked: [...v.revoked] }).verdict, Verdict.REVOKED);
  const u = data.vectors.find((x) => x.name === 'already used');
  assert.equal(verifySlip(u.payload, { ...fresh(u), usedIds: [...u.used] }).verdict, Verdict.ALREADY_USED);
});

test('a key given as a bare public key string still verifies', () => {
  const v = data.vectors.find((x) => x.name === 'valid');
  const keys = { 'tx-2026b': data.keys['tx-2026b'].public };
  assert.equal(verifySlip(v.payload, { ...fresh(v), keys }).verdict, Verdict.VALID);
});

test('short codes match Python and survive sloppy typing', () => {
  for (const { payload, code } of data.short_codes) {
    assert.equal(shortCode(payload), code);
    assert.equal(normalizeShortCode(` ${code.slice(0, 4).toLowerCase()}-${code.slice(4)} `), code);
  }
  const code = data.short_codes[0].code;
  const i = 3;
  const wrong = code.slice(0, i) + (code[i] === '7' ? '8' : '7') + code.slice(i + 1);
  assert.equal(normalizeShortCode(wrong), null);
  assert.equal(normalizeShortCode(code.slice(0, 8)), null);
});

test('items digests match Python', async () => {
  for (const { items, digest } of data.items_digests) {
    assert.equal(await itemsDigest(items), digest);
  }
});
