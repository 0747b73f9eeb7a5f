// Chart labels on the monthly report: long English area names wrap instead of being clipped.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { wrapLabel } from '../src/desk/reports/index.js';

test('short and Chinese labels stay whole', () => {
  assert.equal(wrapLabel('Overall'), 'Overall');
  assert.equal(wrapLabel('消防安全与灾害预防及其他很长的名称'), '消防安全与灾害预防及其他很长的名称');
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
