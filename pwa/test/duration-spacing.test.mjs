// One way to write a span of time on every screen, in both languages (D84, D114): a space between the
// number and its unit, '14 分钟' / '14 min', '72 小时' / '72 h', '3 天' / '3 d'. The phone's countdown
// read 剩余 14 分钟 beside the desk's "waited 40分钟", 超时 1天 02:03:04 and the rules' 派工后15分钟内.
//
// The scan reads every string and template literal in pwa/src (the i18n tables, the desk's
// lazily registered ones included, and the formatters' own text) and fails naming each one where a
// digit or a {placeholder} is glued to a unit. Comments are skipped: they quote the old wording.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { formatDuration } from '../src/clock.js';
import { formatCountdown, waitedText } from '../src/desk/common.js';
import { registerStrings, setLang, t } from '../src/i18n.js';
import { registerDeskStrings } from '../src/desk/strings.js';
import { literals, walk } from './source-literals.mjs';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

// A number (digits, a {placeholder}, a ${expression} or ICU's #) right before a unit. A hex colour
// ('#14532d') is not a span.
const GLUED_ZH = /(?:\d|\})(?:分钟|小时|天)/;
const GLUED_EN = /(?<!#[0-9a-fA-F]*)(?:\d|\})(?:min|h|d)\b/;

test('no interface string glues a number to its unit, in Chinese or English', () => {
  const glued = [];
  for (const p of walk(SRC)) {
    for (const s of literals(readFileSync(p, 'utf8'))) {
      if (s === '2d') continue; // canvas.getContext('2d')
      if (GLUED_ZH.test(s) || GLUED_EN.test(s)) glued.push(`${relative(SRC, p)}: ${s}`);
    }
  }
  assert.deepEqual(glued, []);
});

test('the desk says how long something waited with the phone\'s formatter, spaced the same way', () => {
  registerDeskStrings(registerStrings);
  const MIN = 60000;
  for (const ms of [40 * MIN, (5 * 60 + 3) * MIN, (2 * 1440 + 3 * 60 + 59) * MIN]) {
    for (const lang of ['zh', 'en']) {
      setLang(lang);
      assert.equal(waitedText(ms, t), formatDuration(ms));
    }
  }
  setLang('zh');
  assert.equal(waitedText(40 * MIN, t), '40 分钟');
  assert.equal(waitedText(-5 * MIN, t), '0 分钟'); // a skewed clock does not read as negative
  assert.equal(formatCountdown((86400 + 3723) * 1000, t), '1 天 01:02:03');
  setLang('en');
  assert.equal(waitedText(40 * MIN, t), '40 min');
  assert.equal(formatCountdown((86400 + 3723) * 1000, t), '1 d 01:02:03');
  setLang('zh');
});
