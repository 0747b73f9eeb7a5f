// A survey area no returned ballot graded reads 未评 / not graded, never 0.00 %: on the monthly report
// and the desk's survey page alike (R-RV-3, DNEW-survey). A graded 0 % (every grade a C) stays a figure,
// and with no ballot back at all every area is "—".
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { notGraded, satisfactionLabel, satisfactionText } from '../src/desk/satisfaction.js';

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

test('the chart names a not-graded area as such, where its missing bar would read as 0 %', () => {
  setLang('zh');
  const none = row({ value: null, graded: 0 });
  assert.equal(satisfactionLabel(none, '停车场管理'), '停车场管理（未评）');
  assert.equal(satisfactionLabel(row(), '停车场管理'), '停车场管理');
  // Wrapped as the chart wraps: the mark shares the last line when it fits, else takes one of its own,
  // never split over two lines (停车场管理（ / 未评）).
  const wrap8 = (x) => (x.length <= 8 ? x : [x.slice(0, 8), x.slice(8)]);
  assert.deepEqual(satisfactionLabel(none, '停车场管理', wrap8), ['停车场管理', '（未评）']);
  const wrap10 = (x) => (x.length <= 10 ? x : [x.slice(0, 10), x.slice(10)]);
  assert.equal(satisfactionLabel(none, '停车场管理', wrap10), '停车场管理（未评）');
  assert.deepEqual(satisfactionLabel(row(), '停车场管理', wrap8), '停车场管理');
  setLang('en');
  assert.equal(satisfactionLabel(none, 'Parking'), 'Parking (not graded)');
  setLang('zh');
});
