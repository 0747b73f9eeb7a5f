// Desk tables on a phone: each cell of a stacked row is labelled with the header it sits under.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { cellLabels } from '../src/desk/tables.js';

test('each cell takes the header of its column', () => {
  assert.deepEqual(cellLabels(['服务项目', '住户', '收费', ''], [1, 1, 1, 1]), ['服务项目', '住户', '收费', '']);
});

test('a cell spanning columns takes the first one, and the cells after it keep their own', () => {
  assert.deepEqual(cellLabels(['单号', '类别', '类别', '状态'], [1, 2, 1]), ['单号', '类别', '状态']);
  assert.deepEqual(cellLabels(['a', 'b', 'c'], [3]), ['a']);
});

test('a row with more cells than headers leaves the extra ones unlabelled', () => {
  assert.deepEqual(cellLabels(['a'], [1, 1]), ['a', '']);
});
