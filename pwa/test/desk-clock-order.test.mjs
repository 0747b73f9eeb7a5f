// The case page lists its clocks by due time, then by rule (R-FU-1, R-FU-2): a met clock keeps its
// place instead of dropping below the running ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { sortedClocks, stoppedClockText } from '../src/desk/clock-order.js';
import { registerStrings, setLang, t } from '../src/i18n.js';
import { registerDeskStrings } from '../src/desk/strings.js';

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

// A clock the close stopped is not one that was met (D90): the demo's case closed at 19:53 read
// "当日下班前第二次跟进 … 已完成 12/07 19:53" though no second follow-up was recorded.
test('a follow-up stopped by the close reads as stopped at closing, never as done', () => {  // R-FU-2
  const fmt = (iso) => `<${iso}>`;
  registerDeskStrings(registerStrings);
  const stopped = fu2({ running: false, overdue: true, stopped_at: 'X', stopped_by: 'closed' });
  const parked = fu2({ running: false, stopped_at: 'Y', stopped_by: 'cannot_handle' });
  const met = fu2({ running: false, satisfied_at: 'Z' });
  setLang('zh');
  assert.equal(stoppedClockText(stopped, t, fmt), '结案时停止 <X>');
  assert.equal(stoppedClockText(parked, t, fmt), '列为无法处理时停止 <Y>');
  assert.equal(stoppedClockText(met, t, fmt), '已完成 <Z>');
  assert.equal(stoppedClockText(fu2({ running: false }), t, fmt), '已停止');
  setLang('en');
  assert.equal(stoppedClockText(stopped, t, fmt), 'Stopped at closing <X>');
  assert.equal(stoppedClockText(parked, t, fmt), 'Stopped when marked cannot be handled <Y>');
  assert.equal(stoppedClockText(met, t, fmt), 'Done <Z>');
  setLang('zh');
});

// Finished work stops the first and second follow-ups (D109): a paid special service, 已完工, read
// "立项后2小时首次跟进 剩余 01:54:11"; now it says the completion stopped it, and never 已完成.
test('a follow-up stopped by the completion of the work reads as stopped at completion', () => {  // R-FU-1 R-FU-2
  const fmt = (iso) => `<${iso}>`;
  registerDeskStrings(registerStrings);
  const done = fu2({ running: false, stopped_at: 'W', stopped_by: 'completed' });
  setLang('zh');
  assert.equal(stoppedClockText(done, t, fmt), '完工时停止 <W>');
  setLang('en');
  assert.equal(stoppedClockText(done, t, fmt), 'Stopped when the work was completed <W>');
  setLang('zh');
});
