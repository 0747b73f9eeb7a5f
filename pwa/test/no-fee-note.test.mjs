// The completion form's fee line where the resident pays nothing (R-IN-2, D95): a repair classed as
// common or a developer defect keeps the hint to have the class changed first; a cleaner's complaint or
// any other kind with no fee reads a plain 不收费 / No charge.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { noFeeNote } from '../src/jobs.js';

test('a complaint, a help request or another kind without a fee reads a plain no charge', () => { // R-IN-2
  for (const kind of ['complaint', 'help', 'inquiry']) assert.deepEqual(noFeeNote({ kind }), { label: 'complete.no_charge', hint: null });
});

test('a free repair keeps the hint about changing its class', () => { // R-IN-2
  assert.deepEqual(noFeeNote({ kind: 'repair', repair_responsibility: 'common' }),
    { label: 'complete.no_fee', hint: 'complete.no_fee_hint' });
});

test('a job the resident may pay for has no no-fee note', () => { // R-IN-6
  assert.equal(noFeeNote({ kind: 'repair', repair_responsibility: 'owner_paid' }), null);
  assert.equal(noFeeNote({ kind: 'special_service' }), null);
});
