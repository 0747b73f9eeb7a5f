// The approvals page lists, for each login, only what the server lets that login act on.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { approvalGroups, approvesSomething } from '../src/desk/approvals.js';
import { canOpen, waitedText } from '../src/desk/common.js';

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
  // Case summaries from GET /api/cases?review_to_me=true: the server keeps only unanswered referrals.
  const one = (to, extra = {}) => ({ id: `c_${to}_${Object.keys(extra).join('')}`, state: 'opened',
    review_referral: to ? { by: 'usr_dispatcher', to_id: to, at: '2026-11-30T02:00:00Z' } : null, ...extra });
  const passed = [
    one('usr_manager'),
    one('usr_manager2'),
    one(null),
    one('usr_manager', { state: 'cannot_handle' }),
  ];
  const rows = approvalGroups(['manager'], { passed, me: 'usr_manager' }).find((g) => g.key === 'passed').rows;
  assert.deepEqual(rows.map((c) => c.id), ['c_usr_manager_']);
  assert.ok(!approvalGroups(['general_manager'], { passed, me: 'usr_manager' }).some((g) => g.key === 'passed'));
});

test('a referral passed to another manager waits for every manager, longest waiting first, apart from mine', () => { // R-FU-3
  // GET /api/cases?review_to_any=true: any manager may answer (D58); the one named may be on leave.
  const one = (id, to, at, state = 'opened') => ({ id, state, review_referral: { by: 'usr_dispatcher', to_id: to, at } });
  const passed = [
    one('c_mine', 'usr_manager', '2026-11-30T02:00:00Z'),
    one('c_new', 'usr_manager2', '2026-11-30T03:00:00Z'),
    one('c_old', 'usr_manager3', '2026-11-23T02:00:00Z'),
    one('c_done', 'usr_manager2', '2026-11-23T01:00:00Z', 'cannot_handle'),
  ];
  const groups = approvalGroups(['manager'], { passed, me: 'usr_manager' });
  const rows = (key) => groups.find((g) => g.key === key).rows.map((c) => c.id);
  assert.deepEqual(rows('passed'), ['c_mine']);
  assert.deepEqual(rows('passed_others'), ['c_old', 'c_new']);
  // Mine come first; the others' group follows it.
  assert.equal(groups.findIndex((g) => g.key === 'passed_others'), groups.findIndex((g) => g.key === 'passed') + 1);
  assert.ok(!approvalGroups(['general_manager'], { passed, me: 'usr_gm' }).some((g) => g.key.startsWith('passed')));
});

test('how long a referral has waited reads in days and hours, not seconds', () => { // R-FU-3 R-OP-3
  // The phone's span formatter, spaced as it writes a countdown (D84, D114).
  const min = 60000;
  assert.equal(waitedText((2 * 1440 + 3 * 60 + 59) * min), '2 天 3 小时');
  assert.equal(waitedText(5 * 60 * min + 1), '5 小时 0 分钟');
  assert.equal(waitedText(40 * min), '40 分钟');
  assert.equal(waitedText(-5 * min), '0 分钟'); // a skewed clock does not read as negative
});

test('a filed CAPA report waits on the general manager\'s page; one sent back is the manager\'s again', () => { // R-RV-4
  // Filing the report's number ended it: nobody signed it off (D117).
  const filed = [
    { id: 'wck_sent', capa_required: true, capa_report_no: 'C-1', capa_status: 'submitted' },
    { id: 'wck_back', capa_required: true, capa_report_no: 'C-2', capa_status: 'returned', capa_return_reason: '原因不清' },
    { id: 'wck_ok', capa_required: true, capa_report_no: 'C-3', capa_status: 'accepted' },
    { id: 'wck_old', capa_required: true, capa_report_no: 'C-4' }, // filed before sign-off existed
  ];
  const rows = (roles, key) => approvalGroups(roles, { checks: filed }).find((g) => g.key === key)?.rows.map((c) => c.id);
  assert.deepEqual(rows(['general_manager'], 'capa_signoff'), ['wck_sent']);
  assert.deepEqual(rows(['manager'], 'capa'), ['wck_back']);
  assert.equal(rows(['manager'], 'capa_signoff'), undefined);
  assert.equal(rows(['deputy_gm'], 'capa_signoff'), undefined);
});
