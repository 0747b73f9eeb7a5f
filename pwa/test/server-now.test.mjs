// The phone's one estimate of server time (guarantee 4, D128): a wall clock changed after the
// last sync cannot pull it earlier while the page lives, and a device asleep (its monotonic clock
// paused) does not hold it back. R-FU-4's arrival is placed by it when the phone was offline.
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';

const MIN = 60000;
// Stubbed clocks: the wall clock (Date.now) can be set back by hand; the monotonic one
// (performance.now) cannot, but stops while the device sleeps.
let wall = Date.parse('2026-12-07T08:00:00Z');
let mono = 1000;
mock.timers.enable({ apis: ['Date'], now: wall });
const setWall = (ms) => { wall = ms; mock.timers.setTime(ms); };
Object.defineProperty(globalThis, 'performance', { value: { now: () => mono }, configurable: true, writable: true });

const { kvSet } = await import('../src/db.js');
const { emit } = await import('../src/bus.js');
const { hasOffset, loadOffset, serverNow } = await import('../src/clock.js');

const OFFSET = 90 * 1000; // the server is 90 s ahead of this phone

test('with no sync in this page load, server time is the wall clock plus the stored offset', async () => {
  assert.equal(hasOffset(), false);
  await kvSet('serverOffsetMs', OFFSET); // estimated by a sync before the app was reopened
  await loadOffset();
  assert.equal(hasOffset(), true);
  assert.equal(serverNow(), wall + OFFSET);
  setWall(wall + 5 * MIN);
  mono += 5 * MIN;
  assert.equal(serverNow(), wall + OFFSET);
});

test('a wall clock set back 20 min after a sync does not move server time', () => {
  emit('clock', { offsetMs: OFFSET }); // a sync in this page load: the anchor
  const synced = wall + OFFSET;
  setWall(wall + 3 * MIN);
  mono += 3 * MIN;
  assert.equal(serverNow(), synced + 3 * MIN);
  setWall(wall - 20 * MIN); // the technician sets the phone's clock back…
  assert.equal(serverNow(), synced + 3 * MIN); // …and the monotonic clock still says where we are
  setWall(wall + 2 * MIN);
  mono += 2 * MIN;
  assert.equal(serverNow(), synced + 5 * MIN);
  setWall(wall + 20 * MIN); // and forward again
  assert.equal(serverNow(), synced + 5 * MIN);
});

test('a device that slept (monotonic clock paused) takes the wall clock plus the offset', () => {
  emit('clock', { offsetMs: OFFSET });
  const synced = wall + OFFSET;
  setWall(wall + 30 * MIN); // half an hour asleep in a pocket
  mono += 1 * MIN; //  the monotonic clock counted one minute of it
  assert.equal(serverNow(), synced + 30 * MIN);
});
