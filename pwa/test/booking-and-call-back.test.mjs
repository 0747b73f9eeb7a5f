// The special-service booking row and the call-back form (D100): the total told is the server's
// (unit fee × quantity) with its make-up; a per-visit item takes no quantity (R-SS-2); the tried
// team leads are asked up front unless a lead is chosen, never the one chosen (R-DI-1); a call-back
// starts on the case's own survey area (R-RV-2) and the desk home counts the ones due (R-FU-6).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { asksTriedLeads, unreachedLeadIds } from '../src/desk/assignee.js';
import { callBackCounts, presetArea } from '../src/desk/callback.js';
import { takesQuantity, toldFeeText } from '../src/desk/reports/index.js';

const t = (key, p = {}) => `${key}:${JSON.stringify(p)}`;

test('the fee told names the total and how it is made up when several units were quoted', () => {
  const v = { booking: { unit_fee_cents: 12000, quoted_quantity: 3 }, told_fee_cents: 36000 };
  assert.equal(toldFeeText(t, v, '件'), 'svc.told_total:{"total":"¥360.00","per":"¥120.00/件","qty":3}');
  // One unit: the unit fee as the catalogue shows it; an older server without the total still reads.
  assert.equal(toldFeeText(t, { booking: { unit_fee_cents: 8000, quoted_quantity: 1 }, told_fee_cents: 8000 }, '次'), '¥80.00/次');
  assert.equal(toldFeeText(t, { booking: { unit_fee_cents: 8000 } }, ''), '¥80.00');
});

test('only a per-piece or per-hour item is quoted for a quantity', () => {
  assert.equal(takesQuantity({ unit: 'per_piece' }), true);
  assert.equal(takesQuantity({ unit: 'per_hour' }), true);
  assert.equal(takesQuantity({ unit: 'per_visit' }), false);
  assert.equal(takesQuantity(undefined), false);
});

test('the leads tried are asked for unless a team lead is chosen, and never include the one chosen', () => {
  const staff = [{ id: 'usr_lead', roles: ['team_lead'] }, { id: 'usr_tech', roles: ['technician'] }];
  assert.equal(asksTriedLeads(staff, 'usr_tech'), true);
  assert.equal(asksTriedLeads(staff, ''), true); // up front, before anyone is picked
  assert.equal(asksTriedLeads(staff, 'usr_lead'), false);
  assert.deepEqual(unreachedLeadIds(['usr_lead', 'usr_lead', 'usr_lead2'], 'usr_lead2'), ['usr_lead']);
});

test("a call-back starts on the case's survey area, and the home counts the due and the overdue", () => {
  assert.equal(presetArea({ area: 'building_repair' }), 'building_repair');
  assert.equal(presetArea({}), 'overall'); // an answer without one (an older server)
  assert.equal(presetArea({ area: 'nonsense' }), 'overall');
  assert.deepEqual(callBackCounts([{ overdue: true }, { overdue: false }, { overdue: true, called_back_at: 'x' }]), { due: 2, overdue: 1 });
});
