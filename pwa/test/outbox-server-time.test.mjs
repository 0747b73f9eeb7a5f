// An outbox entry carries the phone's estimate of server time at the tap (D128, guarantee 4),
// but only once this phone has ever measured its offset from the server: before that the estimate
// would be the bare wall clock, which the server must not take for server time. R-FU-4.
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';

let wall = Date.parse('2026-12-07T08:00:00Z');
let mono = 1000;
mock.timers.enable({ apis: ['Date'], now: wall });
const setWall = (ms) => { wall = ms; mock.timers.setTime(ms); };
Object.defineProperty(globalThis, 'performance', { value: { now: () => mono }, configurable: true, writable: true });

const { emit } = await import('../src/bus.js');
const { loadOffset } = await import('../src/clock.js');
const { enqueue } = await import('../src/outbox.js');
const { wireMutation } = await import('../src/sync.js');

test('a phone that never synced stores no estimate, and sends none', async () => {
  await loadOffset(); // nothing stored yet
  const e = await enqueue('usr_tech', 'job.arrive', { job_id: 'c-w1' });
  assert.equal('server_time_est' in e, false);
  assert.equal(e.device_time, new Date(wall).toISOString());
  assert.equal('server_time_est' in wireMutation(e), false);
});

test('once an offset exists the entry holds server time at the tap, and the push sends it', async () => {
  emit('clock', { offsetMs: 20 * 60000 }); // this phone's clock is 20 min slow
  setWall(wall + 60000);
  mono += 60000;
  const e = await enqueue('usr_tech', 'job.arrive', { job_id: 'c-w2' });
  assert.equal(e.device_time, new Date(wall).toISOString());
  assert.equal(e.server_time_est, new Date(wall + 20 * 60000).toISOString());
  assert.deepEqual(wireMutation(e), {
    mutation_id: e.mutation_id, type: 'job.arrive', args: { job_id: 'c-w2' },
    device_time: e.device_time, server_time_est: e.server_time_est,
  });
});
