// The completion form offers a fee only where the resident pays (R-IN-6, R-SS-3): the server
// refuses a fee on any other slip (case.fee_not_chargeable), with the resident's signature on it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { feeAboveTold, feeProblem, residentMayBeCharged } from '../src/jobs.js';

test('a common-facility or developer-defect repair is free for the resident', () => {
  assert.equal(residentMayBeCharged({ kind: 'repair', repair_responsibility: 'common' }), false);
  assert.equal(residentMayBeCharged({ kind: 'repair', repair_responsibility: 'developer_defect' }), false);
});

test('a complaint or help job carries no fee', () => {
  assert.equal(residentMayBeCharged({ kind: 'complaint', repair_responsibility: null }), false);
  assert.equal(residentMayBeCharged({ kind: 'help' }), false);
});

test('an owner-paid or unjudged repair and a paid service may carry a fee', () => {
  assert.equal(residentMayBeCharged({ kind: 'repair', repair_responsibility: 'owner_private' }), true);
  assert.equal(residentMayBeCharged({ kind: 'repair', repair_responsibility: 'owner_pays_defect' }), true);
  assert.equal(residentMayBeCharged({ kind: 'repair', repair_responsibility: null }), true);
  assert.equal(residentMayBeCharged({ kind: 'special_service' }), true);
});

test('a per-visit special service cannot charge above the agreed fee', () => { // R-SS-2
  const job = { kind: 'special_service', fee_quote_cents: 8000, fee_unit_code: 'per_visit' };
  assert.equal(feeProblem(job, 9000, '材料费'), 'over_agreed');
  assert.equal(feeProblem(job, 8000), null);
  assert.equal(feeProblem({ ...job, fee_unit_code: 'per_piece' }, 24000), null);
});

test('a repair above the fee told needs a reason on the slip', () => { // R-IN-6 a
  const job = { kind: 'repair', repair_responsibility: 'owner_private', fee_quote_cents: 5000 };
  assert.equal(feeProblem(job, 8000, ' '), 'reason_needed');
  assert.equal(feeProblem(job, 8000, '阀门锈死'), null);
  assert.equal(feeProblem(job, 5000), null);
  assert.equal(feeAboveTold(job, 8000), true);
  assert.equal(feeAboveTold({ ...job, fee_quote_cents: null }, 8000), false);
});
