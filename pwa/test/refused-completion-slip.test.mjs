// One technician on two phones (D145): phone B's completion reached the server first, and phone
// A's signed completion was refused (派工单当前为「已完工」). A's slip page must keep showing A's own slip, as
// refused, not B's words under A's job: refusedCompletion gives it from A's outbox.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ownCompletion, refusedCompletion } from '../src/jobs.js';

const REASON = { code: 'case.wrong_state', message: '派工单当前为「已完工」，不能执行此操作', message_en: 'Cannot complete a work order that is completed' };
const entry = (type, state, time, args = {}, extra = {}) => ({
  type, state, mutation_id: 1, case_no: 'GD20261123-0011', device_time: time, args: { job_id: 'wo_1', ...args }, ...extra,
});
const completion = (state, extra = {}) => entry('job.complete', state, '2026-11-23T06:58:00.000Z', {
  work_done: '更换灯泡（A）', signer_name: '黄业主', signer_relation: 'owner', signature_sha256: 'ab'.repeat(32), fee_cents: 0,
  resident_grade: null, resident_opinion: '很及时',
}, extra);

test("a refused completion gives this phone's own slip, with the server's reason", () => { // design guarantee 1
  const entries = [
    entry('job.accept', 'sent', '2026-11-23T06:30:00.000Z'),
    entry('job.arrive', 'sent', '2026-11-23T06:40:00.000Z'),
    completion('refused', REASON),
  ];
  const own = refusedCompletion(entries, 'wo_1');
  assert.equal(own.work_done, '更换灯泡（A）');
  assert.equal(own.resident_opinion, '很及时');
  assert.equal(own.case_no, 'GD20261123-0011');
  assert.equal(own.completed_at, '2026-11-23T06:58:00.000Z');
  assert.equal(own.arrived_at, '2026-11-23T06:40:00.000Z'); // this phone's arrival, not the other phone's
  assert.deepEqual(own.refusal, REASON);
  // Never the server's check code or countersign: the server never took this slip.
  assert.equal(own.content_hash, null);
  assert.equal(own.countersigned_by, null);
  assert.equal(ownCompletion(entries, 'wo_1'), null);
});

test('a dismissed refusal still gives the refused slip: dismissing it does not make the other slip this one', () => {
  assert.ok(refusedCompletion([completion('refused', { ...REASON, dismissed_at: '2026-11-23T07:00:00.000Z' })], 'wo_1'));
});

test('a completion sent after the refused one, or none refused, gives no refused slip', () => {
  assert.equal(refusedCompletion([completion('refused', REASON), { ...completion('sent'), mutation_id: 2 }], 'wo_1'), null);
  assert.equal(refusedCompletion([completion('sent')], 'wo_1'), null);
  assert.equal(refusedCompletion([completion('refused', REASON)], 'wo_2'), null);
});
