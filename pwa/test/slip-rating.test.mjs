// The service slip's rating rows (D145): the resident's words without a grade read under
// 住户评价 as if they were the grade. The grade row says 未评价 / Not rated, and the words have their own row
// (住户意见 / Resident's comments), on the phone's slip and the desk's.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { ratingRows } from '../src/slip-rating.js';

const name = (g) => ({ A: '满意', B: '一般满意', C: '不满意' })[g];

test('words without a grade: not rated, and the words on their own row', () => { // R-RV-3
  setLang('zh');
  assert.deepEqual(ratingRows({ resident_grade: null, resident_opinion: '师傅很耐心' }, name),
    [['住户评价', '未评价'], ['住户意见', '师傅很耐心']]);
  setLang('en');
  assert.deepEqual(ratingRows({ resident_grade: null, resident_opinion: 'Very patient' }, name),
    [["Resident's rating", 'Not rated'], ["Resident's comments", 'Very patient']]);
});

test('a grade with words: each on its row; a grade alone: one row', () => { // R-RV-3
  setLang('zh');
  assert.deepEqual(ratingRows({ resident_grade: 'C', resident_opinion: '等了很久' }, name),
    [['住户评价', '不满意'], ['住户意见', '等了很久']]);
  assert.deepEqual(ratingRows({ resident_grade: 'A', resident_opinion: '  ' }, name), [['住户评价', '满意']]);
});

test('no rating at all says so; no slip has no rows', () => {
  setLang('zh');
  assert.deepEqual(ratingRows({ resident_grade: null, resident_opinion: '' }, name), [['住户评价', '未评价']]);
  assert.deepEqual(ratingRows({}, name), [['住户评价', '未评价']]);
  assert.deepEqual(ratingRows(null, name), []);
});
