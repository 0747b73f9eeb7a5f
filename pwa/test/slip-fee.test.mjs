// The completion form offers a fee only where the resident pays (R-IN-6, R-SS-3): the server
// refuses a fee on any other slip (case.fee_not_chargeable), with the resident's signature on it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { residentMayBeCharged } from '../src/jobs.js';

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
