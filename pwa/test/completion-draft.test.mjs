// The completion form's draft (D91): kept in IndexedDB through db.js, in a store its schema migration
// adds, so a form half filled at the door survives leaving the screen, a reload and a killed app.
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { openDB } from 'idb';

// A phone that ran the build before drafts: the version-1 schema with a job already stored.
test('a phone on the old schema keeps its data and gains the drafts store', async () => {
  const old = await openDB('estatedesk', 1, {
    upgrade(d) {
      d.createObjectStore('kv');
      d.createObjectStore('jobs', { keyPath: 'id' }).createIndex('by_state', 'state');
    },
  });
  await old.put('jobs', { id: 'job1', state: 'on_site' });
  old.close();

  const { db, DB_VERSION, getJob } = await import('../src/db.js');
  assert.ok(DB_VERSION >= 2);
  const d = await db();
  assert.ok(d.objectStoreNames.contains('drafts'));
  assert.deepEqual(await getJob('job1'), { id: 'job1', state: 'on_site' });
});

test('a draft is kept per user and job, replaced on save and gone once cleared', async () => {
  const { getDraft, putDraft, deleteDraft } = await import('../src/db.js');
  const signature = [{ penColor: '#111', points: [{ x: 10, y: 20, pressure: 0.5, time: 1 }] }];
  await putDraft('usr_tech', 'complete', 'job1', { work_done: '换阀芯', signature });
  await putDraft('usr_tech', 'complete', 'job2', { work_done: 'other job' });

  const got = await getDraft('usr_tech', 'complete', 'job1');
  assert.equal(got.work_done, '换阀芯');
  assert.deepEqual(got.signature, signature);
  assert.ok(got.saved_at, 'the draft says when it was saved');
  // Another worker signing in on this phone does not get the first one's half-signed form.
  assert.equal(await getDraft('usr_tech2', 'complete', 'job1'), undefined);

  await putDraft('usr_tech', 'complete', 'job1', { work_done: '换阀芯，试水无渗漏', signature: [] });
  assert.equal((await getDraft('usr_tech', 'complete', 'job1')).work_done, '换阀芯，试水无渗漏');

  await deleteDraft('usr_tech', 'complete', 'job1');
  assert.equal(await getDraft('usr_tech', 'complete', 'job1'), undefined);
  assert.equal((await getDraft('usr_tech', 'complete', 'job2')).work_done, 'other job');
});
