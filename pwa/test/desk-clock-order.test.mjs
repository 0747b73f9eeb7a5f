// The case page lists its clocks by due time, then by rule (R-FU-1, R-FU-2): a met clock keeps its
// place instead of dropping below the running ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { sortedClocks } from '../src/desk/clock-order.js';

const fu1 = (over) => ({ code: 'FU1_FIRST_FOLLOW_UP', rule: 'R-FU-1', due_at: '2026-05-06T04:00:00Z', running: true, ...over });
const fu2 = (over) => ({ code: 'FU2_END_OF_DAY', rule: 'R-FU-2', due_at: '2026-05-06T09:30:00Z', running: true, ...over });

test('the 2-hour follow-up due first is listed before the end-of-day one, met or not', () => {  // R-FU-1 R-FU-2
  assert.deepEqual(sortedClocks([fu2(), fu1()]).map((c) => c.rule), ['R-FU-1', 'R-FU-2']);
  const met = fu1({ running: false, satisfied_at: '2026-05-06T03:00:00Z' });
  assert.deepEqual(sortedClocks([fu2(), met]).map((c) => c.rule), ['R-FU-1', 'R-FU-2']);
});

test('an end-of-day follow-up due before the 2-hour one comes first', () => {  // R-FU-2
  const late = fu1({ due_at: '2026-05-06T10:45:00Z' });
  assert.deepEqual(sortedClocks([late, fu2()]).map((c) => c.rule), ['R-FU-2', 'R-FU-1']);
});

test('due times are compared as instants, whatever their offset or fraction', () => {
  const a = fu1({ due_at: '2026-05-06T17:00:00+08:00' }); // 09:00Z
  const b = fu2({ due_at: '2026-05-06T09:30:00.250000Z' });
  assert.deepEqual(sortedClocks([b, a]).map((c) => c.rule), ['R-FU-1', 'R-FU-2']);
});

test('equal due times go by rule number, R-FU-4 before R-FU-10', () => {
  const at = '2026-05-06T09:30:00Z';
  const got = sortedClocks([{ code: 'X10', rule: 'R-FU-10', due_at: at }, { code: 'X4', rule: 'R-FU-4', due_at: at }]);
  assert.deepEqual(got.map((c) => c.rule), ['R-FU-4', 'R-FU-10']);
});
