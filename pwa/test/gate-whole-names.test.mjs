// The guard's phone keeps each name whole in a signature line: the sentence is split around the
// names so each goes in its own nowrap span (R-RS-1, R-RS-3; "高业/主" on a 360 px phone in English).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { nameParts } from '../src/gate/index.js';

test('a sentence is split around each name, in order, and nothing is lost', () => { // R-RS-3
  const parts = nameParts('✓ The owner, 高业主, signed the written authorisation', ['高业主']);
  assert.deepEqual(parts, [
    { text: '✓ The owner, ', name: false },
    { text: '高业主', name: true },
    { text: ', signed the written authorisation', name: false },
  ]);
  assert.equal(parts.map((p) => p.text).join(''), '✓ The owner, 高业主, signed the written authorisation');
});

test('a name that is absent, empty or repeated is handled', () => { // R-RS-1
  assert.deepEqual(nameParts('✓ Signed by the owner', ['', null]), [{ text: '✓ Signed by the owner', name: false }]);
  assert.deepEqual(nameParts('黄业主 / 黄业主', ['黄业主']).filter((p) => p.name).length, 2);
});
