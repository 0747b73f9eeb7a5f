// One technician on two phones (D145): an acceptance or arrival the other phone already sent is
// answered `applied` with the server's word that it was recorded before. The outbox keeps the word on the
// entry, but it is no incident: the sync bar does not count it, nothing waits for 知道了, and the entry goes
// after a week like any sent one.
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';

const { enqueue, entriesOfUser, isIncident, prune, recordResults, unseenNotices } = await import('../src/outbox.js');

const USER = 'usr_tech';
const RECORDED_BEFORE = {
  code: 'case.step_already_recorded',
  message: '派工单已是「已完工」：接单此前已记录（可能来自您的另一台手机），本次不再重复记录',
  message_en: 'The work order is already completed: the acceptance was recorded before (perhaps from your other phone), so it was not recorded again',
  details: { work_order_state: 'completed', step: 'accept' },
};

test('a step recorded before keeps the server’s word but is not counted as an incident', async () => { // design guarantee 1
  const a = await enqueue(USER, 'job.accept', { job_id: 'wo_1' });
  await recordResults(a.client_id, [{ mutation_id: a.mutation_id, status: 'applied', ...RECORDED_BEFORE }]);
  const [entry] = await entriesOfUser(USER);
  assert.equal(entry.state, 'sent');
  assert.deepEqual(entry.notice, RECORDED_BEFORE);
  assert.equal(isIncident(entry), false);
  assert.deepEqual(unseenNotices(await entriesOfUser(USER)), []);
});

test('it goes after a week like any sent entry', async () => {
  await prune(Date.now() + 8 * 24 * 3600 * 1000);
  assert.deepEqual(await entriesOfUser(USER), []);
});

test('a release recorded as an incident is still one', async () => { // R-RS-1
  const r = await enqueue(USER, 'slip.release', { slip_id: 'rs-a', gate: 'N' });
  await recordResults(r.client_id, [{ mutation_id: r.mutation_id, status: 'applied', code: 'slip.release_incident', message: '异常', message_en: 'incident' }]);
  const entries = await entriesOfUser(USER);
  assert.equal(isIncident(entries[0]), true);
  assert.equal(unseenNotices(entries).length, 1);
});
