// A job no longer on this phone says why it left — the pull's reason — and links to the outbox entry
// still holding what this phone recorded on it (D105): a signed completion refused after a reassignment
// read "completed and closed, or reassigned", and the technician could not tell which.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { applyIntents, goneNotice } from '../src/jobs.js';

const complete = (state, extra = {}) => ({ type: 'job.complete', state, mutation_id: 3, case_no: 'GD20261207-0012', args: { job_id: 'wo_1', work_done: 'x' }, ...extra });

test('a job reassigned away says so and links to its refused signed completion', () => {
  const entries = [{ type: 'job.accept', state: 'sent', mutation_id: 1, args: { job_id: 'wo_1' } }, complete('refused')];
  const n = goneNotice({ reason: 'reassigned', case_no: 'GD20261207-0012', new_job_id: null }, entries, 'wo_1');
  assert.equal(n.key, 'job.gone.reassigned');
  assert.equal(n.case_no, 'GD20261207-0012');
  assert.equal(n.entry.mutation_id, 3);
});

test('each reason the server gives has its own words; an unknown one falls back', () => {
  for (const reason of ['reassigned', 'redispatched', 'cancelled', 'closed', 'done_earlier']) {
    assert.equal(goneNotice({ reason }, [], 'wo_1').key, `job.gone.${reason}`);
  }
  assert.equal(goneNotice({ reason: 'something_new' }, [], 'wo_1').key, 'job.not_found');
  assert.equal(goneNotice(undefined, [], 'wo_1').key, 'job.not_found');
});

test('dispatched again to the same person: the notice points to the new job', () => {
  const n = goneNotice({ reason: 'redispatched', case_no: 'GD1', new_job_id: 'wo_2' }, [], 'wo_1');
  assert.equal(n.new_job_id, 'wo_2');
  assert.equal(n.entry, null);
});

test('a dismissed refusal or another job\'s entry is not linked', () => {
  const entries = [complete('refused', { dismissed_at: '2026-12-07T12:00:00Z' }), complete('refused', { mutation_id: 9, args: { job_id: 'wo_9' } })];
  assert.equal(goneNotice({ reason: 'reassigned' }, entries, 'wo_1').entry, null);
});

test('a new job carries the notes of the unable order it replaced, marked as earlier', () => {
  const doc = {
    id: 'wo_2', state: 'dispatched', notes: [{ text: '今天带配件', at: '2026-12-07T12:00:00Z' }],
    earlier: [{ job_id: 'wo_1', unable_reason: '缺配件', notes: [{ text: '配件型号 DN20', at: '2026-12-07T11:00:00Z' }] }],
  };
  const job = applyIntents(doc, [], 0);
  assert.deepEqual(job.notes.map((n) => [n.text, Boolean(n.earlier)]), [['配件型号 DN20', true], ['今天带配件', false]]);
});

test('withdrawn because an earlier completion was accepted: a job of the same person links to it, another\'s does not', () => {  // D141
  const own = goneNotice({ reason: 'done_earlier', case_no: 'GD1', new_job_id: 'wo_1' }, [], 'wo_3');
  assert.equal(own.key, 'job.gone.done_earlier');
  assert.equal(own.new_job_id, 'wo_1');
  assert.equal(goneNotice({ reason: 'done_earlier', case_no: 'GD1', new_job_id: null }, [], 'wo_3').new_job_id, null);
});
