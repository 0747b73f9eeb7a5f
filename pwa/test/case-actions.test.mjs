// The case page offers each action only to roles the action's server route admits (R-OP-3, R-DI-1,
// R-FU-5): ACTION_ROLES must equal the desk-home users among the roles docs/api-contract.md lists
// for the action's route, so a team lead sees 立项/派工/方案/进度 and not 上报, 跟进记录 or 销项.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ACTION_ANCHORS, ACTION_ROLES, mayAct } from '../src/desk/case-actions.js';
import { DESK_HOME_ROLES } from '../src/roles.js';
import { routeRoles } from './route-table.mjs';

test('every case action names a route that exists', () => {
  const routes = routeRoles();
  assert.deepEqual(Object.keys(ACTION_ANCHORS).sort(), Object.keys(ACTION_ROLES).sort());
  for (const [action, anchor] of Object.entries(ACTION_ANCHORS)) {
    assert.ok(routes.has(anchor), `${action}: ${anchor} is not in docs/api-contract.md`);
  }
});

test('each case action is offered to exactly the desk users its route admits', () => {
  const routes = routeRoles();
  for (const [action, anchor] of Object.entries(ACTION_ANCHORS)) {
    const admitted = routes.get(anchor).filter((r) => DESK_HOME_ROLES.includes(r)).sort();
    assert.deepEqual([...new Set(ACTION_ROLES[action])].sort(), admitted, `${action} (${anchor})`);
  }
});

test('a team lead is offered the opening decision, dispatch, plan and progress only', () => {
  const offered = Object.keys(ACTION_ROLES).filter((a) => mayAct(['team_lead'], a)).sort();
  assert.deepEqual(offered, ['decide', 'dispatch', 'plan', 'progress', 'redispatch']);
  assert.ok(mayAct(['dispatcher'], 'close') && !mayAct(['deputy_gm'], 'close') && mayAct(['deputy_gm'], 'decide'));
});

test('the manager is offered the answer to a case the Monday review passed up; the desk is not', () => { // R-FU-3
  assert.ok(mayAct(['manager'], 'review_answer'));
  assert.ok(!mayAct(['dispatcher'], 'review_answer') && !mayAct(['team_lead'], 'review_answer'));
});
