// The monthly report's satisfaction chart (R-RV-2, R-RV-3): its box grows with the label lines it
// must show, so 14 wrapped English area names no longer overlap in a fixed 400 px box.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { barBoxHeight, wrapLabel } from '../src/desk/reports/index.js';

const EN = ['Service and complaint handling', 'Equipment', 'Building repair and upkeep', 'Security',
  'Fire safety and disaster prevention', 'Cleaning', 'Greening and environment', 'Parking',
  'Clubhouse and amenities', 'Staff efficiency', 'Staff attitude', "Managers' courtesy and adaptability",
  'Overall', 'Other'];

test('the box gives every area at least its label lines at 12 px a line', () => {
  const labels = EN.map((l) => wrapLabel(l));
  const lines = labels.reduce((n, l) => n + (Array.isArray(l) ? l.length : 1), 0);
  const plot = barBoxHeight(labels) - 60; // the axis and title take about 60 px
  assert.ok(plot / labels.length >= (lines / labels.length) * 12, `${plot} px for ${lines} lines`);
  // The English names wrap into more lines than fit the old fixed 400 px box.
  assert.ok(barBoxHeight(labels) > 400);
});

test('short labels keep the usual height', () => {
  assert.equal(barBoxHeight(['A', 'B', 'C']), 400);
});

test('a single English word is never cut between letters', () => {
  assert.equal(wrapLabel('Equipment'), 'Equipment');
  assert.equal(wrapLabel('Parking'), 'Parking');
  // Chinese still breaks between characters.
  assert.deepEqual(wrapLabel('管理人员文明程度与应变能力'), ['管理人员文明程度', '与应变能力']);
});
