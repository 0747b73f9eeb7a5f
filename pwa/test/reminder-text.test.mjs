// The inbox shows a reminder in the language the person chose (reminders planned before the English
// text existed carry Chinese only, and keep showing it).
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';

import { reminderText } from '../src/views/reminders.js';

// The times below are in 2026 and written without their year: the year the app takes as the current one.
mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-12-07T08:00:00Z') });

const r = {
  kind: 'before_due',
  title: '即将到期：派工后 15 分钟到场',
  body: 'GD20261123-0002 1栋-101：厨房水龙头漏水（截止 11-23 05:53）',
  title_en: 'Due soon: On site 15 min after the work order',
  body_en: 'GD20261123-0002 1栋-101: 厨房水龙头漏水 (due 11-23 05:53)',
};

test('an English inbox shows the English title and body', () => {
  assert.deepEqual(reminderText(r, 'en'), { title: r.title_en, body: r.body_en });
});

test('a Chinese inbox shows the Chinese title and body', () => {
  assert.deepEqual(reminderText(r, 'zh'), { title: r.title, body: r.body });
});

test('a reminder without English text shows its Chinese in an English inbox', () => {
  const old = { kind: 'overdue', title: '已超时：求助 5 分钟内答复', body: '…' };
  assert.deepEqual(reminderText(old, 'en'), { title: old.title, body: old.body });
  assert.deepEqual(reminderText({ kind: 'escalation' }, 'en'), { title: 'escalation', body: '' });
});

test('the deadline in the body is written like every other time in the app', async () => {
  const { setDisplayZone } = await import('../src/zone.js');
  const { setLang } = await import('../src/i18n.js');
  setDisplayZone('Asia/Shanghai');
  setLang('en');
  try {
    const due = { ...r, due_at: '2026-11-22T21:53:00Z' }; // 11-23 05:53 in Shanghai
    assert.equal(reminderText(due, 'en').body, 'GD20261123-0002 1栋-101: 厨房水龙头漏水 (due 11/23 05:53)');
  } finally {
    setLang('zh');
    setDisplayZone(undefined);
  }
});
