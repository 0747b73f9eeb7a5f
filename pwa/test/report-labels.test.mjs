// Chart labels on the monthly report: long English area names wrap instead of being clipped.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { wrapLabel } from '../src/desk/reports/index.js';

test('short labels stay whole', () => {
  assert.equal(wrapLabel('Overall'), 'Overall');
  assert.equal(wrapLabel('综合评议'), '综合评议');
  assert.equal(wrapLabel('房屋维修保养'), '房屋维修保养');
});

test('long Chinese labels break into lines of half the width, nothing dropped', () => {
  const lines = wrapLabel('管理人员文明程度与应变能力');
  assert.deepEqual(lines, ['管理人员文明程度', '与应变能力']);
  assert.equal(lines.join(''), '管理人员文明程度与应变能力');
});

test('long English labels break between words into lines of at most the width', () => {
  const lines = wrapLabel('Fire safety and disaster prevention');
  assert.deepEqual(lines, ['Fire safety and', 'disaster', 'prevention']);
  assert.ok(lines.every((l) => l.length <= 16));
  assert.equal(lines.join(' '), 'Fire safety and disaster prevention');
});

test('a single word longer than the width is kept on its own line, not cut', () => {
  assert.deepEqual(wrapLabel('Extraordinarilylongword and more', 10), ['Extraordinarilylongword', 'and more']);
});
