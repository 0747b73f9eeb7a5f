// A summons naming nobody follows its post, and an emergency from a staff phone that nobody at the desk has
// taken (R-EM-2, R-EM-3, R-IN-9; D146): what the phone says when a summons left it, what the
// desk's banner offers, and how the case history tells the post changing hands.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { registerStrings, setLang } from '../src/i18n.js';
import { registerDeskStrings } from '../src/desk/strings.js';
import { mayTake } from '../src/desk/home.js';
import { timelineSentence } from '../src/desk/timeline.js';
import { summonsGoneText, summonsPassedToast } from '../src/emergency.js';

registerDeskStrings(registerStrings);

test('a summons that left the phone says why: the post passed to whom, or the case closed', () => { // R-EM-2
  setLang('zh');
  const passed = { reason: 'post_passed', case_no: 'GD20261207-0004', role: 'guard_shift_lead', to_names: ['韩队长'] };
  assert.equal(summonsGoneText(passed), '你已不再担任保安领班，此次召集已随岗位转给韩队长，已从本机移除。');
  assert.equal(summonsGoneText({ ...passed, to_names: [] }), '你已不再担任保安领班，此次召集已从本机移除。');
  assert.equal(summonsGoneText({ reason: 'closed', case_no: 'x', role: 'guard_captain' }), '此紧急事件已销项，召集已结束。');
  // Removed before reasons were sent: the page keeps its general words.
  assert.equal(summonsGoneText(undefined), null);
  assert.equal(summonsPassedToast(passed), 'GD20261207-0004：你已不再担任保安领班，召集已转给韩队长');
  assert.equal(summonsPassedToast({ reason: 'closed', role: 'guard_captain' }), null); // a close needs no toast
  setLang('en');
  assert.equal(summonsGoneText({ ...passed, to_names: ['Han', 'Sun'] }),
    'You no longer hold the post of Guard shift lead: this call-out passed with the post to Han, Sun and has left this phone.');
  setLang('zh');
});

test('the banner offers 接手 on an emergency nobody has taken, to the desk only', () => { // R-IN-9 R-EM-3
  const unowned = { id: 'c1', field_report: { unanswered: true, unowned: true } };
  for (const role of ['dispatcher', 'front_desk', 'control_room', 'manager']) assert.equal(mayTake(unowned, [role]), true, role);
  for (const roles of [['deputy_gm'], ['general_manager'], ['guard'], [], undefined]) assert.equal(mayTake(unowned, roles), false, roles);
  assert.equal(mayTake({ id: 'c2', field_report: { unanswered: true, unowned: false } }, ['dispatcher']), false);
  assert.equal(mayTake({ id: 'c3', field_report: null }, ['dispatcher']), false);
});

test('the case history tells a summons passing with its post, and who kept it on the scene', () => { // R-EM-2
  const staff = [{ id: 'usr_guard', display_name: '孙护卫' }, { id: 'usr_guardcap', display_name: '韩队长' }];
  setLang('zh');
  assert.equal(timelineSentence({ action: 'emergency.summons_passed',
    data: { role: 'guard_shift_lead', to_ids: ['usr_guardcap'], from_ids: [], kept_ids: [] } }, staff),
  '保安领班的召集随岗位转给韩队长');
  assert.match(timelineSentence({ action: 'emergency.summons_passed',
    data: { role: 'guard_shift_lead', to_ids: [], from_ids: ['usr_guard'], kept_ids: [] } }, staff), /孙护卫已不担任此岗位/);
  assert.match(timelineSentence({ action: 'emergency.summons_passed',
    data: { role: 'guard_shift_lead', to_ids: [], from_ids: [], kept_ids: ['usr_guard'] } }, staff), /孙护卫已在现场，召集仍由其保留/);
  setLang('en');
  assert.equal(timelineSentence({ action: 'emergency.summons_passed',
    data: { role: 'guard_shift_lead', to_ids: ['usr_guardcap'], from_ids: [], kept_ids: [] } }, staff),
  "Guard shift lead's call-out passed with the post to 韩队长");
  setLang('zh');
});
