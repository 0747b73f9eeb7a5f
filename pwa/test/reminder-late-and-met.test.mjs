// An inbox reminder sent after its deadline says 已超时 / Overdue, not 即将到期 / Due soon; one whose
// clock has been met since, or whose job is done, says so (D93). Both times are the server's: due_at is
// the clock's deadline and created_at the server's time when the reminder was sent.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { reminderState, reminderText } from '../src/views/reminders.js';

const dueSoon = {
  kind: 'before_due', code: 'ARRIVE_15', job_id: 'job1',
  title: '即将到期：派工后 15 分钟到场', body: 'GD1 1栋-101：漏水（截止 12-07 19:31）',
  title_en: 'Due soon: On site 15 min after the work order', body_en: 'GD1 1栋-101: 漏水 (due 12-07 19:31)',
  due_at: '2026-12-07T11:31:00Z',
};

test('a due-soon reminder sent after its deadline reads overdue in both languages', () => { // R-FU-1
  const late = { ...dueSoon, created_at: '2026-12-07T11:51:00Z' };
  assert.equal(reminderState(late, null).late, true);
  assert.equal(reminderText(late, 'zh', reminderState(late, null)).title, '已超时：派工后 15 分钟到场');
  assert.equal(reminderText(late, 'en', reminderState(late, null)).title, 'Overdue: On site 15 min after the work order');
});

test('a due-soon reminder sent before its deadline still reads due soon', () => { // R-FU-1
  const early = { ...dueSoon, created_at: '2026-12-07T11:26:00Z' };
  assert.equal(reminderState(early, null).late, false);
  assert.equal(reminderText(early, 'zh', reminderState(early, null)).title, '即将到期：派工后 15 分钟到场');
});

test('a reminder whose clock was met since, or whose job is done, says so', () => { // R-FU-1
  const r = { ...dueSoon, created_at: '2026-12-07T11:26:00Z' };
  const onSite = { id: 'job1', is_done: false, clocks: [{ code: 'ARRIVE_15', due_at: r.due_at, satisfied_at: '2026-12-07T11:29:00Z' }] };
  assert.equal(reminderState(r, onSite).met, 'clock');
  const done = { id: 'job1', is_done: true, clocks: [] };
  assert.equal(reminderState(r, done).met, 'job');
  const running = { id: 'job1', is_done: false, clocks: [{ code: 'ARRIVE_15', due_at: r.due_at, satisfied_at: null }] };
  assert.equal(reminderState(r, running).met, null);
  assert.equal(reminderState(r, null).met, null); // the phone does not know: it says nothing
});

test('a late reminder the server already worded as overdue reads the same, not relabelled twice', () => { // R-FU-4
  // Since D102 the scheduler words a late "due soon" as overdue itself (server/notify/reminders.py
  // text_at_send); the inbox still reads it late (red) and does not relabel it twice.
  const sent = {
    ...dueSoon, created_at: '2026-12-07T11:51:00Z',
    title: '已超时：派工后 15 分钟到场', body: 'GD1 1栋-101：漏水（已超时，截止 12-07 19:31）',
    title_en: 'Overdue: On site 15 min after the work order', body_en: 'GD1 1栋-101: 漏水 (overdue, was due 12-07 19:31)',
  };
  const state = reminderState(sent, null);
  assert.equal(state.late, true);
  assert.equal(reminderText(sent, 'zh', state).title, '已超时：派工后 15 分钟到场');
  assert.equal(reminderText(sent, 'en', state).title, 'Overdue: On site 15 min after the work order');
  assert.match(reminderText(sent, 'zh', state).body, /已超时，截止/);
  assert.match(reminderText(sent, 'en', state).body, /overdue, was due/);
});
