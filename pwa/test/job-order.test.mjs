// The technician's job list puts the job whose countdown is nearest (or already overdue) on top:
// the card counts down to the nearest running clock, so the list must be ordered by it too.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { compareJobs } from '../src/jobs.js';

const at = (min) => new Date(Date.UTC(2026, 10, 23, 8, 0) + min * 60000).toISOString();
const clock = (code, dueMin, extra = {}) => ({ code, due_at: at(dueMin), running: true, satisfied_at: null, ...extra });
const order = (jobs) => [...jobs].sort(compareJobs).map((j) => j.case_no);

test('a job 14 minutes from its on-site clock comes before one with two hours left on its deadline', () => {
  const j3 = { case_no: '0003', is_done: false, deadline_at: at(118), clocks: [clock('FU4_COMPLETE_2H', 118)] };
  // Its work order's own deadline is later than 0003's; its on-site clock is 14 minutes away.
  const j9 = { case_no: '0009', is_done: false, deadline_at: at(135), clocks: [clock('FU4_ON_SITE_15M', 14), clock('FU4_COMPLETE_2H', 135)] };
  assert.deepEqual(order([j3, j9]), ['0009', '0003']);
});

test('an overdue job comes first', () => {
  const soon = { case_no: 'soon', is_done: false, deadline_at: at(5), clocks: [] };
  const late = { case_no: 'late', is_done: false, deadline_at: at(300), clocks: [clock('FU1', -20)] };
  assert.deepEqual(order([soon, late]), ['late', 'soon']);
});

test('met or stopped clocks do not pull a job up', () => {
  const met = { case_no: 'met', is_done: false, deadline_at: at(90), clocks: [clock('FU4_ON_SITE_15M', 2, { satisfied_at: at(-1) }), clock('X', 1, { running: false })] };
  const next = { case_no: 'next', is_done: false, deadline_at: at(60), clocks: [] };
  assert.deepEqual(order([met, next]), ['next', 'met']);
});

test('equal nearest clocks fall back to the job deadline, and a job with no deadline goes last among open ones', () => {
  const a = { case_no: 'a', is_done: false, deadline_at: at(200), clocks: [clock('FU1', 30)] };
  const b = { case_no: 'b', is_done: false, deadline_at: at(100), clocks: [clock('FU1', 30)] };
  const none = { case_no: 'none', is_done: false, deadline_at: null, clocks: [] };
  assert.deepEqual(order([none, a, b]), ['b', 'a', 'none']);
});

test('finished jobs come after every open one, the most recently finished first', () => {
  const old = { case_no: 'old', is_done: true, completed_at: at(-300), deadline_at: at(-400), clocks: [] };
  const recent = { case_no: 'recent', is_done: true, completed_at: at(-10), deadline_at: at(-100), clocks: [] };
  const open = { case_no: 'open', is_done: false, deadline_at: at(600), clocks: [] };
  assert.deepEqual(order([old, recent, open]), ['open', 'recent', 'old']);
});
