// The monthly report's satisfaction chart (R-RV-2, R-RV-3): its box grows with the label lines it
// must show, so 14 wrapped English area names no longer overlap in a fixed 400 px box.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { barBoxHeight, paperBarHeight, wrapLabel } from '../src/desk/reports/index.js';

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

// The printed copy (PAPER in index.js): 10 px type, labels wrapped at 20, beside the kind and channel
// charts on page 1 of A4. It still gives every label line its room, and no more than it needs.
test('the paper chart gives every area its label lines at 10 px type and stays page-1 sized', () => {
  const en = EN.map((l) => wrapLabel(l, 20));
  const lines = en.reduce((n, l) => n + (Array.isArray(l) ? l.length : 1), 0);
  const plot = paperBarHeight(en) - 40; // the value axis takes about 40 px
  assert.ok(plot >= lines * 11, `${plot} px for ${lines} lines`);
  const zh = ['服务与投诉处理', '设备管理', '房屋维修保养', '安全保卫', '消防防灾', '清洁卫生', '绿化与环境', '停车场管理',
    '会所及娱乐设施', '员工工作效率', '员工服务态度', '管理人员文明程度与应变能力', '综合评议', '其他'].map((l) => wrapLabel(l, 20));
  // About the two 150 px charts stacked beside it (e2e/test_reports.py prints the busy month).
  assert.ok(paperBarHeight(zh) <= 320, paperBarHeight(zh));
  assert.ok(paperBarHeight(en) <= 380, paperBarHeight(en));
});
