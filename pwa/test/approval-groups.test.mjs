// The approvals page lists, for each login, only what the server lets that login act on.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { approvalGroups, approvesSomething } from '../src/desk/approvals.js';
import { canOpen } from '../src/desk/common.js';

const items = [
  { code: 'new', status: 'proposed', fee_cents: 100 },
  { code: 'ok', status: 'approved', fee_cents: 100, announced_at: null },
];
const checks = [
  { id: 'wck_poor', capa_required: true, capa_report_no: null },
  { id: 'wck_filed', capa_required: true, capa_report_no: 'CAPA-1' },
  { id: 'wck_good', capa_required: false, capa_report_no: null },
];
const keys = (roles) => approvalGroups(roles, { items, checks }).filter((g) => g.rows.length).map((g) => g.key);

test('a poor week waiting for its CAPA report waits on the manager', () => { // R-RV-4
  const capa = approvalGroups(['manager'], { checks }).find((g) => g.key === 'capa');
  assert.deepEqual(capa.rows.map((c) => c.id), ['wck_poor']);
  assert.ok(!keys(['general_manager']).includes('capa'));
});

test('the GM and the deputy GM reach the approvals page, each with what they may act on', () => { // R-SS-1
  assert.deepEqual(keys(['general_manager']), ['items', 'announce']);
  // The deputy may announce (POST …/announce admits them) but not approve (the GM alone does).
  assert.deepEqual(keys(['deputy_gm']), ['announce']);
  for (const role of ['general_manager', 'deputy_gm']) {
    const ctx = { user: { roles: [role] } };
    assert.ok(canOpen(ctx, 'approvals'), role);
    assert.ok(approvesSomething(ctx), role);
  }
  assert.ok(!canOpen({ user: { roles: ['dispatcher'] } }, 'approvals'));
});

test('a case the Monday review passed up waits only on the manager it was passed to, until answered', () => { // R-FU-3
  const passed = (to, extra = {}) => ({ id: `c_${to}_${Object.keys(extra).join('')}`, state: 'opened',
    reviewed: { by: 'usr_dispatcher', reported_to_manager_id: to, answer: null }, ...extra });
  const review = [
    passed('usr_manager'),
    passed('usr_manager2'),
    passed(null),
    { ...passed('usr_manager', { a: 1 }), reviewed: { reported_to_manager_id: 'usr_manager', answer: { approach: '外包' } } },
    passed('usr_manager', { state: 'cannot_handle' }),
  ];
  const rows = approvalGroups(['manager'], { review, me: 'usr_manager' }).find((g) => g.key === 'passed').rows;
  assert.deepEqual(rows.map((c) => c.id), ['c_usr_manager_']);
  assert.ok(!approvalGroups(['general_manager'], { review, me: 'usr_manager' }).some((g) => g.key === 'passed'));
});
