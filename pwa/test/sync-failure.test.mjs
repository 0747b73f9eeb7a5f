// What stopped a sync, as the status bar shows it: a full phone is named, not "sync failed".
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ApiError, syncFailure } from '../src/api.js';

test('a full phone is a storage_full failure on the phone itself', () => {
  const full = Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });
  for (const e of [full, new Error('aborted', { cause: full })]) {
    const f = syncFailure(e);
    assert.equal(f.code, 'client.storage_full');
    assert.equal(f.status, -1);
    assert.equal(f.message_zh, '手机存储空间已满');
  }
});

test("the server's own errors pass through, and anything else keeps its message", () => {
  const server = new ApiError({ status: 409, code: 'sync.stalled', message: '停滞', message_en: 'stalled' });
  assert.equal(syncFailure(server), server);
  const other = syncFailure(new TypeError('boom'));
  assert.equal(other.code, 'client');
  assert.equal(other.message_en, 'boom');
});
