// R-RS-1, D47: once the compound names its gates, the phone's gate is one of them or none: a stored code
// the directory does not list (a typo from before, a gate removed while offline) counts as unset, so the
// guard is asked to choose before a slip naming gates can be released.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { effectiveGate, requireGate, Verdict, verifySlip } from '../src/gate/verify.js';

const data = JSON.parse(readFileSync(new URL('../../tests/vectors/release_slips.json', import.meta.url), 'utf8'));
const HOUR = 3_600_000;
const valid = data.vectors.find((x) => x.name === 'valid'); // names gates N and S
const DIRECTORY = new Map([['N', '北门'], ['S', '南门'], ['E', '东门']]);

function check(stored, names) {
  const gate = effectiveGate(stored, names);
  const opts = {
    keys: data.keys, revoked: new Set(), usedIds: new Set(), gate: gate || undefined, // as gate/index.js
    now: valid.now * 1000, cacheFetchedAt: valid.now * 1000 - HOUR, maxCacheAgeMs: 24 * HOUR,
  };
  return requireGate(verifySlip(valid.payload, opts), gate);
}

// R-RS-1
test('a listed gate is the phone\'s gate', () => {
  assert.equal(effectiveGate('N', DIRECTORY), 'N');
  assert.equal(effectiveGate(' n ', DIRECTORY), 'N');
  assert.equal(check('N', DIRECTORY).verdict, Verdict.VALID);
});

// R-RS-1
test('a stored gate the directory does not list counts as unset, and the slip asks for the gate', () => {
  assert.equal(effectiveGate('M', DIRECTORY), ''); // a typo
  assert.equal(effectiveGate('W', DIRECTORY), ''); // removed while the phone was offline
  const result = check('M', DIRECTORY);
  assert.equal(result.verdict, Verdict.GATE_UNSET);
  assert.deepEqual(result.slip.gates, ['N', 'S']);
});

// R-RS-1, D46
test('with no gates named, the typed code is taken as before', () => {
  assert.equal(effectiveGate('W', new Map()), 'W');
  assert.equal(effectiveGate('W', undefined), 'W');
  assert.equal(check('W', new Map()).verdict, Verdict.WRONG_GATE);
  assert.equal(effectiveGate('', DIRECTORY), '');
});
