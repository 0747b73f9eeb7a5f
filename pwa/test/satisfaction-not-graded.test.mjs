// A survey area no returned ballot graded reads 未评 / not graded, never 0.00 %: on the monthly report
// and the desk's survey page alike (R-RV-3, D139). A graded 0 % (every grade a C) stays a figure,
// and with no ballot back at all every area is "—".
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { notGraded, notGradedMarks, satisfactionText } from '../src/desk/satisfaction.js';

const row = (over) => ({ key: 'satisfaction.parking', numerator: 0, denominator: 3, value: 0, graded: 2, ...over });

test('an area nobody graded is not graded, apart from a graded 0 % and from no ballot back', () => {
  setLang('zh');
  const none = row({ value: null, graded: 0 });
  assert.equal(notGraded(none), true);
  assert.equal(satisfactionText(none), '未评');
  assert.equal(satisfactionText(row()), '0.00%');
  assert.equal(notGraded(row()), false);
  const empty = row({ denominator: 0, value: null, graded: 0 });
  assert.equal(notGraded(empty), false);
  assert.equal(satisfactionText(empty), '—');
  assert.equal(satisfactionText(row({ numerator: 2, value: 66.67 })), '66.67%');
  setLang('en');
  assert.equal(satisfactionText(none), 'not graded');
  setLang('zh');
});

test('a report stored before the graded count shows its figure as it was', () => {
  // D103: a signed report is frozen; its rows carry no graded count and must not turn into 未评.
  const old = row({ graded: undefined });
  assert.equal(notGraded(old), false);
  assert.equal(satisfactionText(old), '0.00%');
});

test('the chart writes 未评 where a not-graded area has no bar, and nothing on a graded 0 %', () => {
  setLang('zh');
  const rates = [row({ value: 50, numerator: 1, graded: 2 }), row({ value: null, graded: 0 }), row()];
  const drawn = [];
  const ctx = { save() {}, restore() {}, fillText: (text, x, y) => drawn.push([text, x, y]) };
  const chart = { ctx, canvas: {}, scales: { x: { getPixelForValue: (v) => 100 + v }, y: { getPixelForValue: (i) => 20 * i + 10 } } };
  notGradedMarks(rates).afterDatasetsDraw(chart);
  // Row 1 only, at the start of its bar (the 0 % edge plus a gap), on the row's centre line.
  assert.deepEqual(drawn, [['未评', 104, 30]]);
  setLang('en');
  drawn.length = 0;
  notGradedMarks(rates).afterDatasetsDraw(chart);
  assert.deepEqual(drawn, [['not graded', 104, 30]]);
  setLang('zh');
});
