// The slip the desk checks against paper (R-CL-1 A, R-CL-6): a short check code the slip prints and
// the dialog shows, and the steps one dialog takes — hand-back, countersign, close — as the server allows.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { closeWaitsOnlyForSlip, slipCheckCode, slipFlowSteps } from '../src/slip-check.js';

const HASH = '86787be0e2c6d7040e286f2f6e7b3838d000493e86cf15dc8b0d53e23e61030d';

test('the check code is the hash\'s first twelve digits in groups of four', () => { // R-CL-6
  assert.equal(slipCheckCode(HASH), '8678 7BE0 E2C6');
  assert.equal(slipCheckCode(null), '');
  assert.equal(slipCheckCode('abc'), '');
});

test('one dialog hands the slip back, countersigns and closes when nothing else is missing', () => { // R-CL-1 R-CL-6
  const slip = { signature_sha256: 'x', slip_returned_at: null, countersigned_by: null };
  assert.deepEqual(slipFlowSteps(slip, ['slip_returned', 'countersign']), {
    steps: [{ key: 'return_slip', done: false }, { key: 'countersign', done: false }, { key: 'close', done: false }],
    closeBlockers: [],
  });
  // Handed back already: that step shows as done.
  assert.deepEqual(slipFlowSteps({ ...slip, slip_returned_at: '2026-12-07T11:52:00Z' }, ['countersign']).steps.map((s) => [s.key, s.done]),
    [['return_slip', true], ['countersign', false], ['close', false]]);
});

test('close is not offered in the dialog while something else stops it', () => { // R-CL-2 R-CL-3
  const slip = { signature_sha256: 'x', slip_returned_at: null, countersigned_by: null };
  const flow = slipFlowSteps(slip, ['slip_returned', 'countersign', 'linked_problems']);
  assert.deepEqual(flow.steps.map((s) => s.key), ['return_slip', 'countersign']);
  assert.deepEqual(flow.closeBlockers, ['linked_problems']);
  assert.equal(closeWaitsOnlyForSlip(slip, ['slip_returned', 'countersign']), true);
  assert.equal(closeWaitsOnlyForSlip(slip, ['countersign', 'manager_approval']), false);
  assert.equal(closeWaitsOnlyForSlip({ ...slip, signature_sha256: null }, ['slip_returned']), false);
  assert.equal(closeWaitsOnlyForSlip(slip, []), false);
});
