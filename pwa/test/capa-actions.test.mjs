// A filed CAPA report's actions on the weekly checks (D140): open until the manager records
// them done, past their due date once the due day is over, nothing while the report is owed or sent back
// (the server's monthly_report.capa_actions_open, which also decides its reminders).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { capaActionsState } from '../src/desk/review.js';

const filed = (over) => ({
  capa_required: true, capa_report_no: 'CAPA-2026-47', capa_status: 'submitted',
  capa: { corrective_action: '补做回访', owner_id: 'usr_dispatcher', due_on: '2026-11-30' }, ...over,
});

test('the actions are open until done, overdue after the due day, and nothing without a filed report', () => {
  assert.equal(capaActionsState(filed(), '2026-11-23'), 'open');
  assert.equal(capaActionsState(filed(), '2026-11-30'), 'open'); // due by the end of the day
  assert.equal(capaActionsState(filed({ capa_status: 'accepted' }), '2026-12-01'), 'overdue');
  assert.equal(capaActionsState(filed({ capa_done_at: '2026-11-27T07:00:00Z' }), '2026-12-01'), 'done');
  assert.equal(capaActionsState(filed({ capa_status: 'returned' }), '2026-11-23'), null);
  assert.equal(capaActionsState(filed({ capa_report_no: null, capa_status: null, capa: null }), '2026-11-23'), null);
  // Filed before D117: a number only, nothing to carry out on record.
  assert.equal(capaActionsState(filed({ capa_status: null, capa: null }), '2026-11-23'), null);
});
