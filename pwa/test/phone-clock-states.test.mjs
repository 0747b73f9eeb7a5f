// Each of a job's clocks reads the same before and after a sync (D106): running (a countdown), met (when,
// on time), missed (when, late by N min, in red). Before a sync a met clock read "已完成 19:54"; after it
// the met clocks vanished, and an arrival 20 minutes after dispatch never showed the 15-minute clock missed.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { applyIntents, clockStatus } from '../src/jobs.js';

const DUE = '2026-12-07T11:54:00Z';
const onSite = (extra = {}) => ({ code: 'FU4_ON_SITE_15M', due_at: DUE, running: true, satisfied_at: null, ...extra });
const doc = (clocks, extra = {}) => ({ id: 'wo_1', state: 'accepted', accepted_at: '2026-12-07T11:40:00Z', notes: [], clocks, ...extra });
const arrive = (at) => ({ type: 'job.arrive', state: 'waiting', device_time: at, args: { job_id: 'wo_1' } });

test('an arrival recorded offline 20 minutes after dispatch shows the clock missed by 5 minutes', () => {
  const job = applyIntents(doc([onSite()]), [arrive('2026-12-07T11:59:00Z')], 0);
  assert.deepEqual(clockStatus(job.clocks[0], job), { state: 'missed', at: '2026-12-07T11:59:00.000Z', late_min: 5 });
});

test('the server\'s document after the sync says the same', () => {
  const c = onSite({ running: false, satisfied_at: '2026-12-07T11:59:00Z', overdue: true, state: 'missed', late_min: 5 });
  const job = applyIntents(doc([c], { state: 'on_site', arrived_at: '2026-12-07T11:59:00Z' }), [], 0);
  assert.deepEqual(clockStatus(job.clocks[0], job), { state: 'missed', at: '2026-12-07T11:59:00Z', late_min: 5 });
});

test('an arrival in time is met, before and after the sync', () => {
  const before = applyIntents(doc([onSite()]), [arrive('2026-12-07T11:50:00Z')], 0);
  assert.equal(clockStatus(before.clocks[0], before).state, 'met');
  const c = onSite({ running: false, satisfied_at: '2026-12-07T11:50:00Z', state: 'met', late_min: null });
  const after = applyIntents(doc([c]), [], 0);
  assert.equal(clockStatus(after.clocks[0], after).state, 'met');
});

test('the server decides met or missed over the phone\'s own reading', () => {
  // The phone's clock placed the arrival in time; the server counted it a minute late.
  const c = onSite({ running: false, satisfied_at: '2026-12-07T11:53:50Z', state: 'missed', late_min: 1 });
  assert.equal(clockStatus(c, applyIntents(doc([c]), [], 0)).state, 'missed');
});

test('a running clock counts down; on a finished job an unmet one only shows its time', () => {
  assert.equal(clockStatus(onSite(), applyIntents(doc([onSite()]), [], 0)).state, 'running');
  const done = applyIntents(doc([onSite()], { state: 'completed', completed_at: '2026-12-07T12:30:00Z' }), [], 0);
  assert.equal(clockStatus(onSite(), done).state, 'ended');
});

test('an arrival whose phone clock was corrected before the sync reads as the server will count it', () => { // R-FU-4 D128
  // Tapped at 11:59 with the clock 20 min slow (device_time 11:39); the phone's server-time estimate at
  // the tap is what the server counts, so the phone shows the clock missed, not met at 11:39.
  const e = { ...arrive('2026-12-07T11:39:00Z'), server_time_est: '2026-12-07T11:59:00.000Z' };
  const job = applyIntents(doc([onSite()]), [e], 0);
  assert.equal(job.arrived_at, '2026-12-07T11:59:00.000Z');
  assert.deepEqual(clockStatus(job.clocks[0], job), { state: 'missed', at: '2026-12-07T11:59:00.000Z', late_min: 5 });
});
