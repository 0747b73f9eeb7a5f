// The job page's big countdown says which deadline it counts down to (D107): a cleaner's job read
// "剩余 23 小时 32 分钟 · 12/08 19:29" with no name, where the 时限 card names each clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { applyIntents } from '../src/jobs.js';
import { countdownLabel } from '../src/views/job.js';

const clock = (code, label, labelEn, due, extra = {}) => ({ code, label, label_en: labelEn, due_at: due, running: true, satisfied_at: null, ...extra });

test('the countdown is labelled with the clock it counts down to, in both languages', () => {
  const job = applyIntents({
    id: 'wo_1', kind: 'complaint', state: 'dispatched', notes: [], deadline_at: '2026-12-10T11:29:00Z',
    clocks: [clock('FU4_GENERAL_72H', '一般问题 72 小时内处理', 'General issue: 72 h', '2026-12-08T11:29:00Z'),
      clock('FU4_ON_SITE_15M', '派工后 15 分钟到场', 'On site 15 min after the work order', '2026-12-07T11:54:00Z', { satisfied_at: '2026-12-07T11:50:00Z', running: false })],
  }, [], 0);
  assert.equal(countdownLabel(job), '一般问题 72 小时内处理');
  setLang('en');
  assert.equal(countdownLabel(job), 'General issue: 72 h');
  setLang('zh');
});

test('the work order\'s own deadline is named so when no clock comes first', () => {
  const job = applyIntents({ id: 'wo_1', state: 'dispatched', notes: [], deadline_at: '2026-12-07T13:00:00Z', clocks: [] }, [], 0);
  assert.equal(countdownLabel(job), '派工单完成时限');
});
