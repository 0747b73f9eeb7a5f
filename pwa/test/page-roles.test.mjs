// The desk nav offers a page only to roles the page's server route admits: PAGE_ROLES must equal
// the desk-home users among the roles docs/api-contract.md lists for the page's anchor route.
// (tests/integration/test_route_roles.py holds that table to the app's own route table.)
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PAGE_ANCHORS, PAGE_ROLES } from '../src/desk/common.js';
import { DESK_HOME_ROLES } from '../src/roles.js';
import { routeRoles } from './route-table.mjs';

test('the route table parses and every page names a route that exists', () => {
  const routes = routeRoles();
  assert.ok(routes.size > 80, `only ${routes.size} routes parsed from docs/api-contract.md`);
  assert.deepEqual(Object.keys(PAGE_ANCHORS).sort(), Object.keys(PAGE_ROLES).sort());
  for (const [page, anchor] of Object.entries(PAGE_ANCHORS)) {
    assert.ok(routes.has(anchor), `${page}: ${anchor} is not in docs/api-contract.md`);
  }
});

test('each desk page is offered to exactly the desk users its route admits', () => {
  const routes = routeRoles();
  for (const [page, anchor] of Object.entries(PAGE_ANCHORS)) {
    const admitted = routes.get(anchor).filter((r) => DESK_HOME_ROLES.includes(r)).sort();
    assert.deepEqual([...PAGE_ROLES[page]].sort(), admitted, `${page} (${anchor})`);
  }
});
