// English counts agree with their noun ("1 attempt", "2 attempts") through one mechanism in t().
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { colon, paren, registerStrings, setLang, t } from '../src/i18n.js';

registerStrings({
  zh: { 'x.n': '已尝试 {n} 次', 'x.two': '{a} 把，{b} 张' },
  en: {
    'x.n': '{n, plural, one {# attempt} other {# attempts}}',
    'x.two': '{a, plural, one {# key} other {# keys}}, {b, plural, =0 {no slips} one {# slip} other {# slips}}',
  },
});

test('English picks the plural form by the count', () => {
  setLang('en');
  try {
    assert.equal(t('x.n', { n: 1 }), '1 attempt');
    assert.equal(t('x.n', { n: 3 }), '3 attempts');
    assert.equal(t('x.two', { a: 1, b: 0 }), '1 key, no slips');
    assert.equal(t('x.two', { a: 2, b: 1 }), '2 keys, 1 slip');
    assert.equal(paren('Zhang', 'Technician'), 'Zhang (Technician)');
    assert.equal(colon('Outgoing', 'Wang'), 'Outgoing: Wang');
  } finally {
    setLang('zh');
  }
});

test('Chinese keeps its plain strings and full-width punctuation', () => {
  assert.equal(t('x.n', { n: 1 }), '已尝试 1 次');
  assert.equal(paren('张师傅', '维修工'), '张师傅（维修工）');
  assert.equal(colon('交班人', '王调度'), '交班人：王调度');
});
