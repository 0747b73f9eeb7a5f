// Emergencies from staff phones (R-IN-1, R-EM-2): who gets the report form on the ☎ sheet, what the
// report sends, how a summons shows on the phone before and after its steps are sent, and where a report
// from the field stands on the desk's emergency banner.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { registerStrings, setLang, t } from '../src/i18n.js';
import { registerDeskStrings } from '../src/desk/strings.js';
import { bannerOrder } from '../src/desk/home.js';
import { timelineSentence } from '../src/desk/timeline.js';
import { REPORTABLE, canReportEmergency, reportArgs, stillCalling, summonsState } from '../src/emergency.js';

registerDeskStrings(registerStrings);

test('staff on rounds get the report form; the desk records its own emergencies at intake', () => { // R-IN-1
  for (const roles of [['guard'], ['technician'], ['cleaner'], ['team_lead']]) assert.equal(canReportEmergency(roles), true, roles);
  for (const roles of [['dispatcher'], ['manager'], ['control_room'], ['cashier'], [], undefined]) assert.equal(canReportEmergency(roles), false, roles);
  assert.equal(canReportEmergency(['guard', 'front_desk']), false);
});

test('a report says what and where; the building alone or the place alone is enough', () => { // R-IN-1 R-EM-1
  assert.deepEqual(reportArgs({ what: '', where: 'B2' }), { missing: 'er.what_missing' });
  assert.deepEqual(reportArgs({ what: 'government_order', where: 'B2' }), { missing: 'er.what_missing' });
  assert.deepEqual(reportArgs({ what: 'fire', building_id: '', where: '  ' }), { missing: 'er.where_missing' });
  assert.deepEqual(reportArgs({ what: 'fire', building_id: 'bld_2', where: ' B2 配电间 ', note: ' 冒烟 ', photo: 'a'.repeat(64) }).args,
    { what: 'fire', building_id: 'bld_2', where: 'B2 配电间', note: '冒烟', photo_sha256: 'a'.repeat(64) });
  assert.deepEqual(reportArgs({ what: 'crime', where: '北门岗亭' }).args, { what: 'crime', where: '北门岗亭', note: '' });
  // Every choice has its words in both languages (the server's FIELD_EMERGENCY_HELP keys).
  assert.deepEqual(REPORTABLE, ['fire', 'medical', 'injury', 'crime', 'traffic_accident', 'disaster', 'public_safety']);
  for (const lang of ['zh', 'en']) {
    setLang(lang);
    for (const w of REPORTABLE) assert.notEqual(t(`er.what.${w}`), `er.what.${w}`);
  }
  setLang('zh');
});

const DOC = { id: 'case_1:guard_shift_lead', case_id: 'case_1', case_no: 'GD20261207-0004', role: 'guard_shift_lead',
  address: '3栋-104', summoned_at: '2026-12-07T08:00:00Z', arrived_at: null, report: null, reported_at: null,
  settled_at: null, case_state: 'opened' };
const entry = (type, state, at, args = {}) => ({ type, state, server_time_est: at, args: { case_id: 'case_1', role: 'guard_shift_lead', ...args } });

test('a summons shows the arrival and the report tapped offline at once, and calls until reported back', () => { // R-EM-2
  assert.equal(stillCalling(summonsState(DOC, [])), true);
  const arrived = summonsState(DOC, [entry('summons.arrive', 'waiting', '2026-12-07T08:03:00Z')]);
  assert.equal(arrived.arrived_at, '2026-12-07T08:03:00Z');
  assert.equal(arrived.arrived_pending, true);
  assert.equal(stillCalling(arrived), true); // on site, not yet reported back
  const reported = summonsState(DOC, [entry('summons.arrive', 'waiting', '2026-12-07T08:03:00Z'),
    entry('summons.report', 'waiting', '2026-12-07T08:06:00Z', { text: 'B2 配电间冒烟' }),
    // Another summons' steps and another case's are not this one's.
    entry('summons.report', 'waiting', '2026-12-07T08:07:00Z', { role: 'guard_captain', text: 'x' }),
    entry('summons.report', 'waiting', '2026-12-07T08:07:00Z', { case_id: 'case_2', text: 'y' })]);
  assert.deepEqual(reported.pending_reports, [{ text: 'B2 配电间冒烟', at: '2026-12-07T08:06:00Z' }]);
  assert.equal(stillCalling(reported), false);
  // Sent and pulled: the server's doc says it, nothing is pending.
  const done = summonsState({ ...DOC, arrived_at: '2026-12-07T08:03:00Z', report: 'B2 配电间冒烟', reported_at: '2026-12-07T08:06:00Z' },
    [entry('summons.report', 'sent', '2026-12-07T08:06:00Z', { text: 'B2 配电间冒烟' })]);
  assert.equal(done.arrived_pending, false);
  assert.deepEqual(done.pending_reports, []);
  assert.equal(stillCalling(done), false);
  // A refusal is shown until dismissed; a settled or closed case calls nobody.
  assert.equal(summonsState(DOC, [entry('summons.arrive', 'refused', '2026-12-07T08:03:00Z')]).refused.length, 1);
  assert.equal(stillCalling(summonsState({ ...DOC, settled_at: '2026-12-07T09:00:00Z' }, [])), false);
  assert.equal(stillCalling(summonsState({ ...DOC, case_state: 'closed' }, [])), false);
});

test('an emergency reported from the field and not yet answered heads the desk banner, newest first', () => { // R-IN-5 R-EM-2
  const c = (id, extra) => ({ id, is_emergency: true, state: 'received', received_at: '2026-12-07T08:00:00Z', next_due: null, ...extra });
  const cases = [
    c('desk_soon', { next_due: { due_at: '2026-12-07T08:04:00Z' } }),
    c('field_answered', { field_report: { unanswered: false }, next_due: { due_at: '2026-12-07T09:00:00Z' } }),
    c('field_old', { field_report: { unanswered: true }, received_at: '2026-12-07T07:50:00Z' }),
    c('field_new', { field_report: { unanswered: true }, received_at: '2026-12-07T08:01:00Z' }),
    c('closed', { state: 'closed', field_report: { unanswered: true } }),
    c('ordinary', { is_emergency: false }),
  ];
  assert.deepEqual(bannerOrder(cases).map((x) => x.id), ['field_new', 'field_old', 'desk_soon', 'field_answered']);
});

test('the case history says a report came from a staff phone and what the person summoned reported', () => { // R-IN-1 R-EM-2
  setLang('zh');
  const received = timelineSentence({ action: 'case.received', data: { kind: 'help', emergency: true, field_report: true } }, []);
  assert.match(received, /由员工在手机上现场报告/);
  const arrived = timelineSentence({ action: 'emergency.arrived', data: { role: 'guard_shift_lead', report: 'B2 配电间冒烟' } }, []);
  assert.match(arrived, /保安领班已到场/);
  assert.match(arrived, /汇报：B2 配电间冒烟/);
  setLang('en');
  assert.match(timelineSentence({ action: 'emergency.arrived', data: { role: 'guard_shift_lead', report: 'Smoke' } }, []), /report: Smoke/);
  setLang('zh');
});
