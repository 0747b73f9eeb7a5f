// Chinese text is punctuated in Chinese, and no screen shows a rule number (D131).
// The monthly report's overdue list headed its column 超时(分钟), and the approvals page told the manager
// 须在季度评审时由经理审批并签名后销项（R-CL-4）: an ASCII bracket in a Chinese heading, and a rule number
// the reader has no use for (a rule stays as a title tooltip, as the action dialogs do).
//
// The scan reads every string and template literal in pwa/src and fails naming each Chinese one with an
// ASCII ; , ( ) or : (a clock's 12:00 aside), and each one, Chinese or English, where a rule number
// stands in words ('R-CL-4' alone is a tooltip's value, not text). English keeps its ASCII punctuation.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { literals, walk } from './source-literals.mjs';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

const CJK = /[\u3400-\u9fff]/;
const ASCII_IN_ZH = /[;,()]|(?<!\d):|:(?!\d)/g;
const RULE_NO = /\bR-[A-Z]{2}-\d/;
// A tooltip's value: rule numbers and the separators between them, nothing else ('R-CL-1 C / R-CL-2 D').
const RULES_ONLY = /^(?:\s*R-[A-Z]{2}-\d+(?:\s*[A-Z]\b)?\s*[/,]?)+\s*$/;

/** The text a literal shows: ${expressions} and {placeholders} (ICU's {n, plural, …} too) are code. */
function shown(s) {
  let out = s.replace(/\$\{[^}]*\}/g, '');
  for (let before = ''; before !== out;) {
    before = out;
    out = out.replace(/\{[^{}]*\}/g, '');
  }
  return out;
}

function asciiInChinese(s) {
  const text = shown(s);
  return CJK.test(text) ? text.match(ASCII_IN_ZH) || [] : [];
}

function showsRuleNumber(s) {
  return RULE_NO.test(s) && !RULES_ONLY.test(s);
}

test('the scan tells Chinese punctuation from ASCII, and a rule number in words from a tooltip', () => {
  assert.deepEqual(asciiInChinese('超时(分钟)'), ['(', ')']);
  assert.deepEqual(asciiInChinese('本期尚未结束,不能签收'), [',']);
  assert.deepEqual(asciiInChinese('超时（分钟）：本期尚未结束，不能签收；'), []);
  assert.deepEqual(asciiInChinese('上班 08:30 {n, plural, other {# 件}}'), []);
  assert.deepEqual(asciiInChinese('Late (min): a, b; c'), []);
  assert.ok(showsRuleNumber('须在季度评审时由经理审批并签名后销项（R-CL-4）'));
  assert.ok(showsRuleNumber("Closed only at the quarterly review (R-CL-4)"));
  assert.ok(!showsRuleNumber('R-CL-1 C / R-CL-2 D'));
  assert.ok(!showsRuleNumber('R-FU-1 / R-FU-2 / R-IN-5'));
});

test('no interface text mixes ASCII punctuation into Chinese or shows a rule number', () => {
  const found = [];
  for (const p of walk(SRC)) {
    for (const s of literals(readFileSync(p, 'utf8'))) {
      const marks = asciiInChinese(s);
      if (marks.length || showsRuleNumber(s)) found.push(`${relative(SRC, p)}: ${marks.join('') || 'R-'} in ${s.slice(0, 70)}`);
    }
  }
  assert.deepEqual(found, []);
});
