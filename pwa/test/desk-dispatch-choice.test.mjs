// The case page's 派工 (R-DI-1, R-IN-7): offered only where the server dispatches — an opened case, or one
// still 已受理 that goes first (an urgent repair, an emergency, the control room's call) — and its dialog
// offers as leads those the server names for the case's line of work, asking for no tick when nobody
// leads the work or a lead was reached about the case already.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { asksTriedLeads, isLead, leadIds, leadsReached } from '../src/desk/assignee.js';
import { dispatchAllowed } from '../src/desk/case-actions.js';

const DESK = ['dispatcher'];

test('a case not yet opened is dispatched only when it goes first, as the server allows', () => {
  const received = { state: 'received', kind: 'complaint', channel: 'phone', is_emergency: false, repair_class: null };
  assert.equal(dispatchAllowed(received, DESK), false); // case.not_opened
  assert.equal(dispatchAllowed({ ...received, kind: 'repair', repair_class: 'small' }, DESK), false);
  assert.equal(dispatchAllowed({ ...received, kind: 'repair', repair_class: 'urgent' }, DESK), true);
  assert.equal(dispatchAllowed({ ...received, is_emergency: true }, DESK), true);
  assert.equal(dispatchAllowed({ ...received, channel: 'control_room' }, DESK), true);
  assert.equal(dispatchAllowed(received, ['control_room']), true); // the control room's own night call
});

test('an opened or working case is dispatched; one done, parked or ended is not', () => {
  for (const state of ['opened', 'dispatched', 'accepted', 'on_site']) {
    assert.equal(dispatchAllowed({ state, kind: 'repair' }, DESK), true, state);
  }
  for (const state of ['completed', 'closed', 'not_opened', 'cannot_handle']) {
    assert.equal(dispatchAllowed({ state, kind: 'repair', repair_class: 'urgent', is_emergency: true }, DESK), false, state);
  }
  // A special service goes only through its booking (case.special_service_needs_booking).
  assert.equal(dispatchAllowed({ state: 'opened', kind: 'special_service', booking_id: null }, DESK), false);
  assert.equal(dispatchAllowed({ state: 'opened', kind: 'special_service', booking_id: 'bkg_1' }, DESK), true);
});

const STAFF = [
  { id: 'usr_cleaner', roles: ['cleaner'], posts: [] },
  { id: 'usr_guard', roles: ['guard'], posts: ['guard_shift_lead'] },
  { id: 'usr_guardcap', roles: ['guard'], posts: ['guard_captain'] },
  { id: 'usr_lead', roles: ['team_lead'], posts: ['repair_lead'] },
  { id: 'usr_tech', roles: ['technician'], posts: [] },
];

test("the leads are the server's for the case's work, else every team lead", () => {
  assert.deepEqual(leadIds(STAFF, ['usr_guardcap']), ['usr_guardcap']); // security: the guard captain
  assert.deepEqual(leadIds(STAFF, []), []); // cleaning in the demo: nobody
  assert.deepEqual(leadIds(STAFF, null), ['usr_lead']); // none given: the team leads
  // A booking's row: the server's leads for a special service, every lead (D144).
  assert.deepEqual(leadIds(STAFF, ['usr_guardcap', 'usr_lead']), ['usr_guardcap', 'usr_lead']);
  assert.equal(isLead(STAFF, 'usr_guardcap', ['usr_guardcap']), true);
  assert.equal(isLead(STAFF, 'usr_lead', ['usr_guardcap']), false);
});

test('no lead is asked for when nobody leads the work or one was reached on the case', () => {
  assert.equal(asksTriedLeads(STAFF, 'usr_guard', { leads: ['usr_guardcap'] }), true);
  assert.equal(asksTriedLeads(STAFF, 'usr_guardcap', { leads: ['usr_guardcap'] }), false);
  assert.equal(asksTriedLeads(STAFF, 'usr_cleaner', { leads: [] }), false);
  const c = { dispatches: [{ told_id: 'usr_lead', told_role: 'team_lead', reached: true }, { told_id: 'usr_tech', told_role: 'technician', reached: true }] };
  assert.deepEqual(leadsReached(c), ['usr_lead']);
  assert.equal(asksTriedLeads(STAFF, 'usr_tech', { leads: ['usr_lead'], reached: leadsReached(c) }), false);
  // A lead tried and not reached answers for nothing later: asked again.
  assert.deepEqual(leadsReached({ dispatches: [{ told_id: 'usr_lead', told_role: 'team_lead', reached: false }] }), []);
});
