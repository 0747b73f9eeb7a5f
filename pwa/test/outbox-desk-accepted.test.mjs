// D141: a signed completion refused at its sync (the desk had reassigned the job) can be accepted at the desk
// as the work done. The technician's phone then gets the job back completed, naming the records of this phone
// the desk accepted (`accepted_refusals`, also on the job's removal once the case is closed): those outbox
// entries read 已由服务台接受 instead of 被拒, no longer count as refused in the sync bar, are never silently
// dropped, and go with the sent entries' week-old clean-up. Design guarantee 1: a refusal stays until seen.
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';

const { acceptedRefs, enqueue, entriesOfUser, markAcceptedByDesk, prune, recordResults } = await import('../src/outbox.js');
const { goneNotice, ownCompletion } = await import('../src/jobs.js');

const USER = 'usr_tech';
const WITHDRAWN = { status: 'rejected', code: 'case.work_order_withdrawn', message: '该派工单已被调度改派或取消', message_en: 'The desk reassigned this work order' };

async function refusedCompletion() {
  const arrive = await enqueue(USER, 'job.arrive', { job_id: 'wo_1' });
  const complete = await enqueue(USER, 'job.complete', { job_id: 'wo_1', work_done: '更换下水管', signature_sha256: 'a'.repeat(64) });
  const note = await enqueue(USER, 'job.note', { job_id: 'wo_1', text: '阀门锈死' });
  await recordResults(arrive.client_id, [arrive, complete, note].map((e) => ({ mutation_id: e.mutation_id, ...WITHDRAWN })));
  return { arrive, complete, note };
}

const find = async (e) => (await entriesOfUser(USER)).find((x) => x.mutation_id === e.mutation_id && x.client_id === e.client_id);

test("the pull's job names the records the desk accepted; those read accepted, the rest stay refused", async () => { // D141
  const { arrive, complete, note } = await refusedCompletion();
  const changes = [
    { entity: 'job', op: 'upsert', id: 'wo_1', doc: { id: 'wo_1', state: 'completed',
      accepted_refusals: [{ client_id: complete.client_id, mutation_id: complete.mutation_id }, { client_id: arrive.client_id, mutation_id: arrive.mutation_id }] } },
    { entity: 'job', op: 'upsert', id: 'wo_2', doc: { id: 'wo_2', state: 'dispatched', accepted_refusals: [] } },
    { entity: 'reminder', op: 'upsert', id: 'r1', doc: {} },
  ];
  const refs = acceptedRefs(changes);
  assert.equal(refs.length, 2);
  assert.equal(await markAcceptedByDesk(refs), 2);
  for (const e of [arrive, complete]) {
    const got = await find(e);
    assert.equal(got.state, 'accepted');
    assert.ok(got.accepted_at);
    assert.equal(got.code, 'case.work_order_withdrawn'); // what happened at the sync is kept
  }
  // The note was not part of it: still refused, still for the person to see (the desk handles it with a note).
  assert.equal((await find(note)).state, 'refused');
  // Not counted as refused any more (the sync bar counts state 'refused' not dismissed).
  assert.deepEqual((await entriesOfUser(USER)).filter((e) => e.state === 'refused' && !e.dismissed_at).map((e) => e.mutation_id), [note.mutation_id]);
  // Learning it again changes nothing.
  assert.equal(await markAcceptedByDesk(refs), 0);
});

test('a closed case tells it through the removal; a dismissed refusal is accepted too', async () => { // D141
  const { complete } = await refusedCompletion();
  const { dismiss } = await import('../src/outbox.js');
  await dismiss(complete.client_id, complete.mutation_id);
  const changes = [{ entity: 'job', op: 'remove', id: 'wo_1', doc: { reason: 'closed', case_no: 'GD-1',
    accepted_refusals: [{ client_id: complete.client_id, mutation_id: complete.mutation_id }] } }];
  assert.equal(await markAcceptedByDesk(acceptedRefs(changes)), 1);
  assert.equal((await find(complete)).state, 'accepted');
});

test('the accepted completion is the slip this phone kept, and the gone job links to no refusal', async () => { // D141
  const { arrive, complete } = await refusedCompletion();
  await markAcceptedByDesk([arrive, complete].map((e) => ({ client_id: e.client_id, mutation_id: e.mutation_id })));
  const entries = await entriesOfUser(USER);
  const own = entries.filter((e) => e.client_id === complete.client_id && e.mutation_id >= complete.mutation_id - 1);
  assert.equal(ownCompletion(own, 'wo_1')?.work_done, '更换下水管');
  assert.equal(goneNotice({ reason: 'closed', case_no: 'GD-1' }, own.filter((e) => e.type !== 'job.note'), 'wo_1').entry, null);
});

test('an accepted entry is kept until the week after it was accepted, like a sent one', async () => { // D141 design 6
  const { complete } = await refusedCompletion();
  await markAcceptedByDesk([{ client_id: complete.client_id, mutation_id: complete.mutation_id }]);
  await prune(Date.now() + 6 * 24 * 3600 * 1000);
  assert.equal((await find(complete))?.state, 'accepted');
  await prune(Date.now() + 8 * 24 * 3600 * 1000);
  assert.equal(await find(complete), undefined);
});
