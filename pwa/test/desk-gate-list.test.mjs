// The manager's gate list (pwa/src/desk/gate-list.js): add, rename, reorder, remove, and the checks
// the desk makes before PUT /api/gates; the slip form offers only the compound's gates (D46).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  addGate, addProblem, gatesBody, listProblems, moveGate, removeGate, renameGate, sameGates, slipGateChoices, unknownGates,
} from '../src/desk/gate-list.js';

const demo = [{ code: 'N', name: '北门' }, { code: 'S', name: '南门' }, { code: 'E', name: '东门' }];

test('a gate is added with its code in capitals and its name tidied', () => {  // R-RS-1
  assert.equal(addProblem(demo, ' w ', ' 西门 '), null);
  assert.deepEqual(addGate(demo, ' w ', '  西   门 ').at(-1), { code: 'W', name: '西 门' });
});

test('a gate code already listed, malformed, or without a name is not added', () => {  // R-RS-1
  assert.equal(addProblem(demo, 'n', '北二门'), 'duplicate');
  assert.equal(addProblem(demo, 'northgate', '北门'), 'bad_code');
  assert.equal(addProblem(demo, 'N-1', '北门'), 'bad_code');
  assert.equal(addProblem(demo, 'W', '   '), 'no_name');
  assert.equal(addProblem(demo, 'W', '门'.repeat(51)), 'long_name');
  const full = Array.from({ length: 20 }, (_, i) => ({ code: `G${i}`, name: `门${i}` }));
  assert.equal(addProblem(full, 'W', '西门'), 'too_many');
});

test('gates move up and down and stay put at either end', () => {
  assert.deepEqual(moveGate(demo, 1, -1).map((g) => g.code), ['S', 'N', 'E']);
  assert.deepEqual(moveGate(demo, 1, 1).map((g) => g.code), ['N', 'E', 'S']);
  assert.equal(moveGate(demo, 0, -1), demo);
  assert.equal(moveGate(demo, 2, 1), demo);
});

test('renaming and removing change only that gate, and the saved list is compared as stored', () => {
  const renamed = renameGate(demo, 1, ' 南大门 ');
  assert.deepEqual(renamed.map((g) => g.name), ['北门', ' 南大门 ', '东门']);
  assert.deepEqual(gatesBody(renamed).gates[1], { code: 'S', name: '南大门' });
  assert.equal(sameGates(demo, renameGate(demo, 0, ' 北门 ')), true);
  assert.equal(sameGates(demo, renamed), false);
  assert.equal(sameGates(demo, moveGate(demo, 0, 1)), false);
  assert.deepEqual(removeGate(demo, 0).map((g) => g.code), ['S', 'E']);
});

test('a list with a blank name or a code twice is caught before it is sent', () => {
  assert.deepEqual(listProblems(demo), []);
  assert.deepEqual(listProblems(renameGate(demo, 2, ' ')), [{ index: 2, problem: 'no_name' }]);
  assert.deepEqual(listProblems([...demo, { code: 'N', name: '北二门' }]), [{ index: 3, problem: 'duplicate' }]);
});

test('the slip form offers only the compound gates once it has named any', () => {  // R-RS-1, D46
  assert.deepEqual(slipGateChoices(['N', 'S', 'B1'], ['W', 'N']), ['N', 'S', 'B1']);
  assert.deepEqual(slipGateChoices([], ['S', 'W', 'S']), ['S', 'W']);
  assert.deepEqual(unknownGates(['N', 'W'], ['N', 'S']), ['W']);
  assert.deepEqual(unknownGates(['W'], []), []); // no directory yet: any code
});
