// Once the desk closes a case, its job leaves the technician's phone; the slip view then shows the
// slip from the phone's own completion entry (outbox), never "not completed".
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ownCompletion } from '../src/jobs.js';

const complete = (jobId, state, extra = {}) => ({
  type: 'job.complete', state, case_no: 'GD20261123-0011', device_time: '2026-11-23T06:58:00.000Z',
  args: { job_id: jobId, work_done: '疏通地漏', signer_name: '黄业主', signer_relation: 'owner', signature_sha256: 'ab'.repeat(32), fee_cents: 0 },
  ...extra,
});

test('a completion this phone sent gives the signed slip with its case number and time', () => {
  const slip = ownCompletion([complete('wo_1', 'sent')], 'wo_1');
  assert.equal(slip.case_no, 'GD20261123-0011');
  assert.equal(slip.signer_name, '黄业主');
  assert.equal(slip.work_done, '疏通地漏');
  assert.equal(slip.completed_at, '2026-11-23T06:58:00.000Z');
  assert.equal(slip.local, false);
});

test('a completion still waiting to be sent is marked as not yet on the server', () => {
  assert.equal(ownCompletion([complete('wo_1', 'waiting')], 'wo_1').local, true);
});

test('a refused completion, another job or another kind of entry gives no slip', () => {
  const entries = [
    complete('wo_1', 'refused'),
    complete('wo_2', 'sent'),
    { type: 'job.note', state: 'sent', args: { job_id: 'wo_1', text: 'x' }, device_time: '2026-11-23T06:00:00Z' },
  ];
  assert.equal(ownCompletion(entries, 'wo_1'), null);
});

test("the phone's slip says the time the server counts: its server-time estimate at the signing", () => { // R-CL-1 D128
  const slip = ownCompletion([complete('wo_1', 'waiting', { server_time_est: '2026-11-23T07:18:00.000Z' })], 'wo_1');
  assert.equal(slip.completed_at, '2026-11-23T07:18:00.000Z');
});
