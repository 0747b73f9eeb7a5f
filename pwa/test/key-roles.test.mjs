// The key cabinet offers its correction of a recorded return or loss, its 找回, its physical-count form, the refund
// of a kept deposit and the count's amendment only to the roles those routes admit (docs/api-contract.md, held to the app's
// route table by tests/integration/test_route_roles.py): a button the server would refuse is not shown (D54).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { KEY_ACTION_ROLES } from '../src/desk/keys.js';
import { DESK_HOME_ROLES } from '../src/roles.js';
import { routeRoles } from './route-table.mjs';

const ANCHORS = {
  correctReturn: 'POST /api/keys/{key_id:str}/loans/{loan_id:str}/correct-return',
  recordCount: 'POST /api/keys/counts/{year:int}/{month:int}/physical',
  correctLoss: 'POST /api/keys/{key_id:str}/correct-loss',
  recordFound: 'POST /api/keys/{key_id:str}/found',
  // The server narrows these further per loan and per count (kept_refundable, amendable; D86).
  refundKept: 'POST /api/keys/{key_id:str}/loans/{loan_id:str}/refund-kept',
  amendCount: 'POST /api/keys/counts/{year:int}/{month:int}/physical/amend',
};

test('the key actions are offered to exactly the desk users their routes admit', () => {  // R-KY-1
  const routes = routeRoles();
  assert.deepEqual(Object.keys(KEY_ACTION_ROLES).sort(), Object.keys(ANCHORS).sort());
  for (const [action, anchor] of Object.entries(ANCHORS)) {
    assert.ok(routes.has(anchor), `${anchor} is not in docs/api-contract.md`);
    const admitted = routes.get(anchor).filter((r) => DESK_HOME_ROLES.includes(r)).sort();
    assert.deepEqual([...KEY_ACTION_ROLES[action]].sort(), admitted, action);
  }
});
