// A linked problem reported on the phone stays on the job after the sync, now with the number of the
// case the server opened for it (D98): the technician tells the resident that number.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { applyIntents } from '../src/jobs.js';

const doc = (extra = {}) => ({
  id: 'wo_1', case_no: 'GD20261207-0003', state: 'on_site',
  notes: [{ text: '已关闭总阀', at: '2026-12-07T11:51:00Z', by: 'usr_tech' }],
  linked_problems: [], ...extra,
});

test('after the sync a linked problem is listed among the notes with its new case number', () => {
  const job = applyIntents(doc({ linked_problems: [
    { text: '楼上渗水', at: '2026-12-07T11:55:00Z', case_no: 'GD20261207-0011', held: false },
    { text: '墙面空鼓', at: '2026-12-07T11:50:00Z', case_no: null, held: true },
  ] }), [], 0);
  assert.deepEqual(job.notes.map((n) => [n.kind || 'note', n.text, n.case_no ?? null, Boolean(n.held)]), [
    ['linked_problem', '墙面空鼓', null, true],
    ['note', '已关闭总阀', null, false],
    ['linked_problem', '楼上渗水', 'GD20261207-0011', false],
  ]);
  assert.ok(job.notes.every((n) => !n.local));
});

test('an unsent linked problem is shown at once, marked as not yet synced and without a number', () => {
  const e = { type: 'job.linked_problem', state: 'waiting', device_time: '2026-12-07T11:56:00Z',
    args: { job_id: 'wo_1', content: '楼上渗水', separately: true } };
  const job = applyIntents(doc(), [e], 0);
  const lp = job.notes.find((n) => n.kind === 'linked_problem');
  assert.equal(lp.local, true);
  assert.equal(lp.case_no ?? null, null);
  assert.equal(lp.held, false);
});
