// The desk home's follow-up queue shows what needs the desk now and folds the later clocks away (D90).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { endOfLocalDay, splitQueue } from '../src/desk/queue.js';
import { setDisplayZone } from '../src/zone.js';

setDisplayZone('Asia/Shanghai');
const at = (iso) => Date.parse(iso);
const item = (code, due, overdue = false) => ({ clock: { code }, due_at: due, overdue });
const codes = (list) => list.map((i) => i.clock.code);

test('the local day ends at the compound\'s midnight, not the device\'s or UTC\'s', () => {
  // 2026-12-07 19:48 in Shanghai is 11:48Z; the day ends 12-08 00:00 +08:00 = 12-07 16:00Z.
  assert.equal(endOfLocalDay(at('2026-12-07T11:48:00Z')), at('2026-12-07T16:00:00Z'));
  // 2026-12-07 07:30 in Shanghai is still 12-06 23:30Z.
  assert.equal(endOfLocalDay(at('2026-12-06T23:30:00Z')), at('2026-12-07T16:00:00Z'));
});

test('overdue and due-today clocks need the desk now; the Monday review and the 15-day limit come later', () => {  // R-FU-1 R-FU-3 R-FU-9
  const now = at('2026-12-07T11:48:00Z'); // 19:48 in Shanghai
  const { now: due, later } = splitQueue([
    item('FU2_END_OF_DAY', '2026-12-07T09:30:00Z', true),
    item('FU1_FIRST_FOLLOW_UP', '2026-12-07T13:33:00Z'), // 21:33 tonight
    item('FU4_REPAIR_24H', '2026-12-08T10:16:00Z'), // tomorrow 18:16
    item('FU3_MONDAY_REVIEW', '2026-12-14T00:30:00Z'),
    item('FU9_COMPLAINT_15D', '2026-12-22T11:48:00Z'),
  ], now);
  assert.deepEqual(codes(due), ['FU2_END_OF_DAY', 'FU1_FIRST_FOLLOW_UP']);
  assert.deepEqual(codes(later), ['FU4_REPAIR_24H', 'FU3_MONDAY_REVIEW', 'FU9_COMPLAINT_15D']);
});

test('late in the evening a clock due just after midnight still needs the desk now', () => {  // R-FU-1
  const now = at('2026-12-07T15:30:00Z'); // 23:30 in Shanghai
  const { now: due, later } = splitQueue([
    item('FU1_FIRST_FOLLOW_UP', '2026-12-07T17:15:00Z'), // 01:15, within two hours
    item('FU2_END_OF_DAY', '2026-12-08T09:30:00Z'),
  ], now);
  assert.deepEqual(codes(due), ['FU1_FIRST_FOLLOW_UP']);
  assert.deepEqual(codes(later), ['FU2_END_OF_DAY']);
});

test('an item the server marked overdue stays in now, and an unreadable due time is not hidden', () => {
  const now = at('2026-12-07T01:00:00Z');
  const { now: due, later } = splitQueue([item('A', 'not a time'), item('B', '2026-12-20T00:00:00Z', true)], now);
  assert.deepEqual(codes(due), ['A', 'B']);
  assert.deepEqual(later, []);
});
