// R-RS-1: a guard whose phone does not know its own gate gets no plain "valid" for a slip that names
// gates: the verdict asks for the gate first (gate_unset), and no release follows until it is set.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { requireGate, Verdict, verifySlip } from '../src/gate/verify.js';

const data = JSON.parse(readFileSync(new URL('../../tests/vectors/release_slips.json', import.meta.url), 'utf8'));
const HOUR = 3_600_000;
const valid = data.vectors.find((x) => x.name === 'valid'); // names gates N and S

function check(gate) {
  const opts = {
    keys: data.keys, revoked: new Set(), usedIds: new Set(), gate: gate || undefined, // as gate/index.js
    now: valid.now * 1000, cacheFetchedAt: valid.now * 1000 - HOUR, maxCacheAgeMs: 24 * HOUR,
  };
  return requireGate(verifySlip(valid.payload, opts), gate);
}

// R-RS-1
test('a slip naming gates, on a phone with no gate set, asks for the gate instead of "valid"', () => {
  for (const gate of [undefined, '']) {
    const result = check(gate);
    assert.equal(result.verdict, Verdict.GATE_UNSET);
    assert.deepEqual(result.slip.gates, ['N', 'S']); // the verdict can name the slip's gates
  }
});

// R-RS-1
test('once the gate is set the same slip is valid at a named gate and refused at another', () => {
  assert.equal(check('N').verdict, Verdict.VALID);
  assert.equal(check('S').verdict, Verdict.VALID);
  assert.equal(check('W').verdict, Verdict.WRONG_GATE);
});

// R-RS-1
test('a slip that names no gates stays valid with no gate set', () => {
  const result = { verdict: Verdict.VALID, slip: { slipId: 'x', gates: [] } };
  assert.equal(requireGate(result, undefined).verdict, Verdict.VALID);
});

// R-RS-1
test('refusals are not softened into "set the gate"', () => {
  const expired = { verdict: Verdict.EXPIRED, slip: { gates: ['N'] } };
  assert.equal(requireGate(expired, undefined).verdict, Verdict.EXPIRED);
  assert.deepEqual(requireGate({ verdict: Verdict.TAMPERED }, undefined), { verdict: Verdict.TAMPERED });
});
