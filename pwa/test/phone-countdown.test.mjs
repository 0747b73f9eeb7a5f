// The phone's job countdown in the desk's wording (D81, D83; D84): sentence case, a space between a
// number and its unit in both languages. English read "overdue by 20min" after a "·" where every
// other status starts with a capital, and "2h 5min" where the desk writes "2 h" and "20 min".
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { countdown, formatAgo, formatDuration } from '../src/clock.js';
import { setLang } from '../src/i18n.js';

const NOW = Date.parse('2026-12-07T08:00:00Z');
const MIN = 60000;

function inBoth(fn) {
  const out = {};
  for (const lang of ['zh', 'en']) {
    setLang(lang);
    out[lang] = fn();
  }
  setLang('zh');
  return out;
}

test('an overdue job reads "Overdue by 20 min" and 已超时 20 分钟', () => {
  const due = new Date(NOW - 20 * MIN - 5000).toISOString();
  assert.deepEqual(inBoth(() => countdown(due, NOW).text), { zh: '已超时 20 分钟', en: 'Overdue by 20 min' });
  assert.equal(countdown(due, NOW).overdue, true);
});

test('a running job reads "14 min left" and 剩余 14 分钟', () => {
  const due = new Date(NOW + 14 * MIN + 30000).toISOString();
  assert.deepEqual(inBoth(() => countdown(due, NOW).text), { zh: '剩余 14 分钟', en: '14 min left' });
});

test('hours and days are spaced from their numbers as the desk writes them', () => {
  assert.deepEqual(inBoth(() => formatDuration(2 * 60 * MIN + 5 * MIN)), { zh: '2 小时 5 分钟', en: '2 h 5 min' });
  assert.deepEqual(inBoth(() => formatDuration((26 * 60 + 40) * MIN)), { zh: '1 天 2 小时', en: '1 d 2 h' });
  const due = new Date(NOW - 3 * 60 * MIN).toISOString();
  assert.deepEqual(inBoth(() => countdown(due, NOW).text), { zh: '已超时 3 小时 0 分钟', en: 'Overdue by 3 h 0 min' });
});

test('the last sync reads "3 min ago" inside its sentence', () => {
  const at = new Date(Date.now() - 3 * MIN - 1000).toISOString();
  assert.deepEqual(inBoth(() => formatAgo(at)), { zh: '3 分钟前', en: '3 min ago' });
});
