// R-RS-1: a guard's release that reached the server is applied — the goods left — but the server may record
// it as an incident (the slip had been revoked, had ended, ...). Its answer says so, and the outbox keeps
// what it said on the entry, like a refusal's reason, until the guard has seen it: "All sent" alone would
// tell the guard all was well.
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';

const { dismiss, enqueue, entriesOfUser, recordResults, unseenNotices } = await import('../src/outbox.js');

const USER = 'usr_guard';
const NOTICE = {
  code: 'slip.release_incident',
  message: '服务中心已将此次放行记为异常：放行时该单已作废。',
  message_en: 'The service centre has recorded this release as an incident: the slip had been revoked.',
  details: { kinds: ['released_while_revoked'] },
};

test('an applied release the server recorded as an incident keeps what the server said', async () => { // R-RS-1
  const a = await enqueue(USER, 'slip.release', { slip_id: 'rs-a', gate: 'N' });
  const b = await enqueue(USER, 'slip.release', { slip_id: 'rs-b', gate: 'N' });
  await recordResults(a.client_id, [
    { mutation_id: a.mutation_id, status: 'applied', ...NOTICE },
    { mutation_id: b.mutation_id, status: 'applied' },
  ]);
  const [ea, eb] = await entriesOfUser(USER);
  assert.equal(ea.state, 'sent');
  assert.deepEqual(ea.notice, NOTICE);
  assert.equal(eb.state, 'sent');
  assert.equal(eb.notice ?? null, null);
  assert.deepEqual(unseenNotices(await entriesOfUser(USER)).map((e) => e.args.slip_id), ['rs-a']);

  // Seen: it stays on the entry, no longer counted.
  await dismiss(ea.client_id, ea.mutation_id);
  assert.deepEqual(unseenNotices(await entriesOfUser(USER)), []);
  assert.deepEqual((await entriesOfUser(USER))[0].notice, NOTICE);
  assert.equal((await entriesOfUser(USER))[0].state, 'sent');
});

test('a resent release answered as a duplicate still carries the incident', async () => { // R-RS-1
  const c = await enqueue(USER, 'slip.release', { slip_id: 'rs-c', gate: 'S' });
  await recordResults(c.client_id, [{
    mutation_id: c.mutation_id, status: 'duplicate', original: 'applied',
    code: NOTICE.code, message: NOTICE.message, message_en: NOTICE.message_en,
  }]);
  const entry = (await entriesOfUser(USER)).find((e) => e.args.slip_id === 'rs-c');
  assert.equal(entry.state, 'sent');
  assert.equal(entry.notice.code, 'slip.release_incident');
  assert.equal(entry.notice.message_en, NOTICE.message_en);
});

test('an unseen notice is kept past the week sent entries are kept; a seen one goes with them', async () => { // R-RS-1
  const { prune } = await import('../src/outbox.js');
  const later = Date.now() + 8 * 24 * 3600 * 1000;
  const d = await enqueue(USER, 'slip.release', { slip_id: 'rs-d', gate: 'N' });
  await recordResults(d.client_id, [{ mutation_id: d.mutation_id, status: 'applied', ...NOTICE }]);
  await prune(later);
  const left = (await entriesOfUser(USER)).map((e) => e.args.slip_id);
  assert.ok(left.includes('rs-d'), left);
  assert.ok(!left.includes('rs-b'), left); // plain sent entries go after a week
  await dismiss(d.client_id, d.mutation_id);
  await prune(Date.now() + 16 * 24 * 3600 * 1000);
  assert.ok(!(await entriesOfUser(USER)).some((e) => e.args.slip_id === 'rs-d'));
});
