// The case list's 分类 filter (R-IN-2..4): options grouped per kind, values naming their kind, so
// equal codes in different kinds neither collide nor hide each other's label.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { categoryGroups, categoryKind, categoryLabel } from '../src/desk/categories.js';

test('the options come in one group per kind, in the filter order', () => {
  assert.deepEqual(categoryGroups().map((g) => [g.kind, g.title]), [
    ['complaint', 'filter.group_complaint'], ['help', 'filter.group_help'],
    ['repair', 'filter.group_repair'], ['special_service', 'filter.group_special'],
  ]);
});

test('each value names its kind, and a code used in several kinds is offered in each', () => {
  const values = categoryGroups().flatMap((g) => g.options.map(([v]) => v));
  assert.equal(new Set(values).size, values.length);
  for (const v of ['complaint:other', 'help:other', 'special_service:other', 'help:complaint']) assert.ok(values.includes(v), v);
  assert.ok(!values.includes('complaint'));
  const help = categoryGroups().find((g) => g.kind === 'help');
  assert.deepEqual(help.options.find(([v]) => v === 'help:complaint'), ['help:complaint', '投诉']);
  assert.deepEqual(help.options.find(([v]) => v === 'help:other'), ['help:other', '其他生活求助']);
});

test('a chosen kind offers only its own categories; a kind without categories offers none', () => {
  assert.deepEqual(categoryGroups('help').map((g) => g.kind), ['help']);
  assert.ok(categoryGroups('help')[0].options.every(([v]) => v.startsWith('help:')));
  assert.deepEqual(categoryGroups('inquiry'), []);
});

test('a case shows its category in the words of its own kind', () => {
  assert.equal(categoryLabel('help', 'other'), '其他生活求助');
  assert.equal(categoryLabel('complaint', 'other'), '其他');
  assert.equal(categoryLabel('repair', 'small'), '小修');
  assert.equal(categoryKind('help:complaint'), 'help');
  assert.equal(categoryKind('complaint'), '');
});
