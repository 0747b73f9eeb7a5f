// A job reported unable is not finished (D99): until the desk reassigns or reschedules it stays among
// the open jobs and takes notes and photos; once the desk has acted it is done on this phone.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { applyIntents, nextActions } from '../src/jobs.js';

const doc = (extra = {}) => ({ id: 'wo_1', state: 'on_site', accepted_at: 'x', arrived_at: 'x', notes: [], ...extra });

test('an unable job the desk has not acted on stays open and takes notes and photos only', () => {
  const job = applyIntents(doc({ state: 'unable', unable_reason: '缺配件', awaiting_desk: true }), [], 0);
  assert.equal(job.is_done, false);
  assert.equal(job.awaiting_desk, true);
  assert.deepEqual(nextActions(job), ['note']);
});

test('an unable report not yet sent already waits for the desk', () => {
  const e = { type: 'job.unable', state: 'waiting', device_time: '2026-12-07T11:56:00Z', args: { job_id: 'wo_1', reason: '缺配件' } };
  const job = applyIntents(doc(), [e], 0);
  assert.equal(job.is_done, false);
  assert.deepEqual(nextActions(job), ['note']);
});

test('once the desk has dispatched again the unable job is finished on this phone', () => {
  const job = applyIntents(doc({ state: 'unable', unable_reason: '缺配件', awaiting_desk: false }), [], 0);
  assert.equal(job.is_done, true);
  assert.deepEqual(nextActions(job), []);
});
