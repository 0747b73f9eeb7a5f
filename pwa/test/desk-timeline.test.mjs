// The case history reads as sentences, in Chinese and English: no raw flags ("紧急：✗", "escalated:
// ✗"), names instead of ids, and a repair's responsibility class on its intake entry (R-IN-6).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { registerStrings, setLang } from '../src/i18n.js';
import { registerDeskStrings } from '../src/desk/strings.js';
import { timelineSentence } from '../src/desk/timeline.js';

registerDeskStrings(registerStrings);
const staff = [{ id: 'usr_lead', display_name: '陈班长' }, { id: 'usr_tech', display_name: '张师傅' }];
const RAW = /[✓✗]|: ?(true|false)\b|escalated|emergency:|usr_/;

test('the intake entry of a repair names its responsibility class, or that it is judged on site', () => { // R-IN-6
  setLang('zh');
  assert.equal(timelineSentence({ action: 'case.received', data: { kind: 'repair', emergency: false, repair_responsibility: 'developer_defect' } }, staff),
    '登记为报修，维修责任：d 开发商遗留 · 工作联系单');
  assert.equal(timelineSentence({ action: 'case.received', data: { kind: 'repair', emergency: false, repair_responsibility: null } }, staff),
    '登记为报修，维修责任：待现场判定');
  // An entry written before the class was recorded says nothing about it.
  assert.equal(timelineSentence({ action: 'case.received', data: { kind: 'repair', emergency: false } }, staff), '登记为报修');
  setLang('en');
  assert.equal(timelineSentence({ action: 'case.received', data: { kind: 'repair', emergency: true, repair_responsibility: 'common' } }, staff),
    'Received as Repair; handled as an emergency; responsibility: b Common facilities');
});

test('false flags are left out and ids read as names, in both languages', () => { // R-OP-3
  const entries = [
    { action: 'case.opened', data: { reason: 'A', escalated: false, referred_to_id: null } },
    { action: 'case.opened', data: { reason: 'A', escalated: true, referred_to_id: 'usr_lead' } },
    { action: 'case.dispatched', data: { work_order_id: 'c-w1', assignee_id: 'usr_tech', assignee_role: 'technician', removed_assignee_id: null } },
    { action: 'work_order.completed', data: { work_order_id: 'c-w1', signed: false } },
    { action: 'emergency.attempt', data: { target_role: 'manager', reached: false } },
    { action: 'case.opened', data: { reason: 'B', escalated: true, referred_to_id: null } },
  ];
  for (const lang of ['zh', 'en']) {
    setLang(lang);
    for (const e of entries) assert.doesNotMatch(timelineSentence(e, staff), RAW, `${lang} ${e.action}`);
  }
  setLang('zh');
  assert.equal(timelineSentence(entries[0], staff), '按「A 需上门处理，需跟进和质检」立项');
  assert.equal(timelineSentence(entries[1], staff), '按「A 需上门处理，需跟进和质检」立项，应调度请求由陈班长决定');
  assert.equal(timelineSentence(entries[2], staff), '派给张师傅（维修工）');
  assert.equal(timelineSentence(entries[3], staff), '');
  assert.equal(timelineSentence(entries[4], staff), '未联系上管理处负责人');
  assert.equal(timelineSentence(entries[5], staff), '按「B 领导或员工发现的问题需跟进」立项，由主管决定');
  setLang('en');
  assert.equal(timelineSentence(entries[1], staff), 'Opened under "A Site visit, follow-up and quality check"; decided by 陈班长 at the desk\'s request');
  assert.equal(timelineSentence(entries[2], staff), 'Assigned to 张师傅 (Technician)');
});
