// A lead by post is titled by that post wherever the desk names who was told (R-DI-1, D144): 韩队长, a guard
// holding the guard captain's post, takes a security job as its lead — recorded as team_lead, the capacity —
// and reads 韩队长（保安队长） on the work-order table, the dispatch list, the printed 派工单 and the history,
// as the 派工 dialog offers him, not 班组主管. A team lead by account stays 班组主管.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { registerStrings, setLang } from '../src/i18n.js';
import { registerDeskStrings } from '../src/desk/strings.js';
import { toldTitle } from '../src/desk/assignee.js';
import { timelineSentence } from '../src/desk/timeline.js';

registerDeskStrings(registerStrings);
const STAFF = [
  { id: 'usr_guardcap', display_name: '韩队长', roles: ['guard'], posts: ['guard_captain'] },
  { id: 'usr_lead', display_name: '陈班长', roles: ['team_lead'], posts: ['repair_lead'] },
  { id: 'usr_guard', display_name: '孙护卫', roles: ['guard'], posts: ['guard_shift_lead'] },
];

test('a lead recorded with the post that made him the lead is titled by it, in both languages', () => { // R-DI-1
  setLang('zh');
  assert.equal(toldTitle(STAFF, 'usr_guardcap', 'team_lead', 'guard_captain'), '保安队长');
  assert.equal(toldTitle(STAFF, 'usr_lead', 'team_lead', null), '班组主管');
  assert.equal(toldTitle(STAFF, 'usr_guard', 'guard', null), '护卫员');
  setLang('en');
  assert.equal(toldTitle(STAFF, 'usr_guardcap', 'team_lead', 'guard_captain'), 'Guard captain');
  assert.equal(toldTitle(STAFF, 'usr_lead', 'team_lead', null), 'Team lead');
});

test('a record kept before posts were recorded titles a lead who is no team lead by account by his lead post', () => { // R-DI-1
  setLang('zh');
  assert.equal(toldTitle(STAFF, 'usr_guardcap', 'team_lead', undefined), '保安队长');
  // The guard shift lead's post makes nobody a lead: a guard told as a guard stays 护卫员.
  assert.equal(toldTitle(STAFF, 'usr_guard', 'team_lead', undefined), '班组主管');
});

test("the history's dispatch entry titles the guard captain by his post", () => { // R-DI-1
  setLang('zh');
  const entry = { action: 'case.dispatched', data: { assignee_id: 'usr_guardcap', assignee_role: 'team_lead', assignee_post: 'guard_captain' } };
  assert.match(timelineSentence(entry, STAFF), /韩队长（保安队长）/);
  assert.doesNotMatch(timelineSentence(entry, STAFF), /班组主管/);
  setLang('en');
  assert.match(timelineSentence(entry, STAFF), /韩队长 \(Guard captain\)/);
  setLang('zh');
  const lead = { action: 'case.dispatched', data: { assignee_id: 'usr_lead', assignee_role: 'team_lead' } };
  assert.match(timelineSentence(lead, STAFF), /陈班长（班组主管）/);
});
