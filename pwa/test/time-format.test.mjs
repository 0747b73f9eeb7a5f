// One way to write a time, on every screen and in both languages (D81): '12/07 16:50' in the current
// year, '2025/12/07 16:50' in another, always with the year on a printed document, and seconds
// only in the case history's exact time. The services page, the case page and its history showed
// "12/07/2026, 16:50:24" beside "12/07, 16:50" elsewhere, and the hand-in periods "2026-11-21".
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { mock, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { formatDateTime, formatFullDateTime } from '../src/clock.js';
import { fmtDay, fmtExact, fmtFull, fmtTime } from '../src/desk/common.js';
import { setLang } from '../src/i18n.js';
import { formatDay, formatInstant, setDisplayZone } from '../src/zone.js';

// 2026-12-07 16:50:24 in Shanghai; "now" is a morning of the same year.
const AT = '2026-12-07T08:50:24Z';
const LAST_YEAR = '2025-12-07T08:50:24Z';
mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-12-08T01:00:00Z') });
setDisplayZone('Asia/Shanghai');

function inBoth(fn) {
  const out = {};
  for (const lang of ['zh', 'en']) {
    setLang(lang);
    out[lang] = fn();
  }
  setLang('zh');
  return out;
}

test('a time this year reads 12/07 16:50 on the desk and the phone, in Chinese and English', () => {
  for (const f of [fmtTime, formatDateTime]) {
    assert.deepEqual(inBoth(() => f(AT)), { zh: '12/07 16:50', en: '12/07 16:50' });
  }
});

test('a time of another year carries its year first', () => {
  for (const f of [fmtTime, formatDateTime]) {
    assert.deepEqual(inBoth(() => f(LAST_YEAR)), { zh: '2025/12/07 16:50', en: '2025/12/07 16:50' });
  }
});

test('a printed document always has the year and never the seconds', () => {
  for (const f of [fmtFull, formatFullDateTime]) {
    assert.deepEqual(inBoth(() => f(AT)), { zh: '2026/12/07 16:50', en: '2026/12/07 16:50' });
  }
  // The exact time, with seconds, is for the case history's tooltip only.
  assert.equal(fmtExact(AT), '2026/12/07 16:50:24');
});

test('the current year is the compound zone\'s, at the clock the caller gives', () => {
  // 2026-12-31 16:30 UTC is already 2027 in Shanghai.
  const newYear = Date.parse('2026-12-31T16:30:00Z');
  assert.equal(formatInstant('2026-12-31T15:59:00Z', { nowMs: newYear }), '2026/12/31 23:59');
  assert.equal(formatInstant('2026-12-31T16:00:00Z', { nowMs: newYear }), '01/01 00:00');
});

test('a day the server names as 2026-11-21 reads 11/21, another year\'s with its year', () => {
  assert.deepEqual(inBoth(() => fmtDay('2026-11-21')), { zh: '11/21', en: '11/21' });
  assert.equal(fmtDay('2025-11-21'), '2025/11/21');
  assert.equal(formatDay('2026-11-21', { year: true }), '2026/11/21');
  assert.equal(fmtDay(''), '');
  assert.equal(fmtDay(null), '');
});

test('nothing empty or unreadable is turned into a date', () => {
  assert.equal(fmtTime(''), '');
  assert.equal(fmtTime(null), '');
  assert.equal(fmtFull(undefined), '');
  assert.equal(fmtTime('not a time'), 'not a time');
});

test('no screen formats a date by itself: every time goes through zone.js', () => {
  // toLocaleString with the browser's locale is how "12/07/2026, 16:50:24" came about.
  const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
  const walk = (d) => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
  const bad = walk(src).filter((p) => p.endsWith('.js') && !p.endsWith('zone.js')).flatMap((p) => readFileSync(p, 'utf8').split('\n')
    .map((l, i) => [l, i]).filter(([l]) => /toLocale(Date|Time)?String\(|DateTimeFormat\(/.test(l))
    .map(([l, i]) => `${relative(src, p)}:${i + 1}: ${l.trim()}`));
  assert.deepEqual(bad, []);
});
