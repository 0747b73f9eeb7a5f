// The sync bar's state on a page whose outbox the service worker sent (D145): a page push that
// failed at the network left the page 'offline' (离线), and when Background Sync then sent everything the
// bar still said 离线 until the page's own next run, up to a minute later. The page now follows what the
// service worker (or another tab) reports over the app's BroadcastChannel while it runs no sync of its
// own, and the browser's online/offline events.
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';

const { followedStatus, followOthers, getStatus } = await import('../src/sync.js');

const OFFLINE = { state: 'offline', lastSyncAt: '2026-11-23T06:00:00.000Z', error: null, upload: null };
const DONE = { state: 'idle', lastSyncAt: '2026-11-23T06:05:00.000Z', error: null, upload: null };

test("another context's finished run is this page's word while it runs none itself", () => {
  assert.deepEqual(followedStatus(OFFLINE, { type: 'remote', status: DONE }, { running: false }), DONE);
  assert.equal(followedStatus(OFFLINE, { type: 'remote', status: { ...DONE, state: 'syncing' } }, { running: false }).state, 'syncing');
  // An older run's time never replaces a newer one.
  const older = followedStatus(DONE, { type: 'remote', status: { ...OFFLINE, state: 'idle' } }, { running: false });
  assert.equal(older.lastSyncAt, DONE.lastSyncAt);
  // This page's own run says what happened to it; a report from elsewhere meanwhile does not.
  assert.equal(followedStatus(OFFLINE, { type: 'remote', status: DONE }, { running: true }), OFFLINE);
  // Signed out elsewhere is for the session to say, not a sync state to copy.
  assert.equal(followedStatus(OFFLINE, { type: 'remote', status: { ...DONE, state: 'signed_out' } }, { running: false }), OFFLINE);
});

test('the network coming back ends "offline"; losing it starts it', () => {
  assert.equal(followedStatus(OFFLINE, { type: 'online' }, { running: false }).state, 'idle');
  assert.equal(followedStatus(DONE, { type: 'offline' }, { running: false }).state, 'offline');
  const auth = { ...DONE, state: 'auth' };
  assert.equal(followedStatus(auth, { type: 'offline' }, { running: false }), auth); // still: sign in again
  assert.equal(followedStatus(auth, { type: 'online' }, { running: false }), auth);
});

test("the service worker's report over the channel reaches the page's status and its bar", async () => {
  const net = new EventTarget();
  followOthers(net);
  const { on } = await import('../src/bus.js');
  const seen = [];
  const off = on('sync', (d) => seen.push(d.remote ? 'remote' : d.state));
  net.dispatchEvent(new Event('offline'));
  assert.equal(getStatus().state, 'offline');
  const sw = new BroadcastChannel('estatedesk');
  sw.postMessage({ type: 'sync', detail: DONE });
  for (let i = 0; i < 50 && getStatus().state !== 'idle'; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(getStatus().state, 'idle');
  assert.equal(getStatus().lastSyncAt, DONE.lastSyncAt);
  assert.ok(seen.includes('idle'), seen); // the bar redraws on the page's own 'sync' event, not only the remote one
  sw.close();
  off();
});
