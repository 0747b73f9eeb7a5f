// The case page's 立项 line and follow-up list say each fact once, in Chinese and English: who
// decided the opening, when and why, and — when the dispatcher passed it up — by whom to whom
// (R-OP-3); a follow-up reported to the manager names the manager (R-FU-2, R-FU-3).
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';

import { registerStrings, setLang } from '../src/i18n.js';
import { registerDeskStrings } from '../src/desk/strings.js';
import { defaultReplyMedium, followUpLine, needsWrittenReply, openingLines } from '../src/desk/detail.js';
import { setDisplayZone } from '../src/zone.js';

// The times below are in 2026 and written without their year: the year the app takes as the current one.
mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-12-07T08:00:00Z') });

registerDeskStrings(registerStrings);
setDisplayZone('Asia/Shanghai');
const staff = [
  { id: 'usr_dispatcher', display_name: '王调度' },
  { id: 'usr_lead', display_name: '陈班长' },
  { id: 'usr_manager', display_name: '钱经理' },
];
// 2026-12-07 11:50 and 11:57 in Shanghai.
const ref = { by: 'usr_dispatcher', at: '2026-12-07T03:50:00Z', to_id: 'usr_lead', to_role: 'team_lead', note: '不确定是否公共部位' };
const decidedByLead = {
  opened: true, reason: 'A', note: '公共部位外墙', decided_by: 'usr_lead', escalated: true,
  decided_at: '2026-12-07T03:57:00Z', referred_to_id: 'usr_lead',
};
const count = (s, sub) => s.split(sub).length - 1;

test('an opening decided after a referral names the decider and the referral once each', () => { // R-OP-3
  setLang('zh');
  const { decision, detail } = openingLines(decidedByLead, ref, staff);
  assert.equal(decision, 'A 需上门处理，需跟进和质检（公共部位外墙）');
  const line = `${decision} ${detail}`;
  assert.equal(count(line, '陈班长'), 1, line);
  assert.equal(count(line, '王调度'), 1, line);
  assert.equal(count(line, '决定'), 1, line);
  assert.doesNotMatch(line, /由主管\/经理决定/);
  assert.equal(detail, '陈班长 于 12/07 11:57 决定 · 王调度 于 12/07 11:50 转交：不确定是否公共部位');
  setLang('en');
  assert.equal(openingLines(decidedByLead, ref, staff).detail,
    'Decided by 陈班长 at 12/07 11:57 · passed up by 王调度 at 12/07 11:50: 不确定是否公共部位');
});

test('a referral decided by someone other than the one asked says whom it was passed to', () => { // R-OP-3
  setLang('zh');
  const byManager = { ...decidedByLead, decided_by: 'usr_manager' };
  assert.equal(openingLines(byManager, ref, staff).detail, '钱经理 于 12/07 11:57 决定 · 王调度 于 12/07 11:50 转交陈班长：不确定是否公共部位');
});

test('an opening still waiting says whom it waits for and who passed it up, once', () => { // R-OP-3
  setLang('zh');
  const { decision, detail } = openingLines(null, ref, staff);
  assert.equal(decision, '待陈班长决定立项');
  assert.equal(detail, '王调度 于 12/07 11:50 转交：不确定是否公共部位');
  setLang('en');
  assert.equal(openingLines(null, { ...ref, note: '' }, staff).detail, 'Passed up by 王调度 at 12/07 11:50');
});

test('an opening the dispatcher decided alone has no referral text', () => { // R-OP-4
  setLang('zh');
  const own = { opened: false, reason: null, note: '已解释，住户接受', decided_by: 'usr_dispatcher', escalated: false, decided_at: '2026-12-07T03:57:00Z' };
  const { decision, detail } = openingLines(own, null, staff);
  assert.match(decision, /^F .*（已解释，住户接受）$/);
  assert.equal(detail, '王调度 于 12/07 11:57 决定');
});

test('a follow-up reported to the manager names the manager; an ordinary one does not', () => { // R-FU-2 R-FU-3
  setLang('zh');
  const review = { kind: 'weekly_review', at: '2026-12-07T01:00:00Z', by: 'usr_dispatcher', note: '配件未到，请经理定方案', reported_to_manager_id: 'usr_manager' };
  const { text, manager } = followUpLine(review, staff);
  assert.equal(manager, '已报告经理 钱经理');
  assert.match(text, /^12\/07 09:00 · .+ · 王调度 · 配件未到，请经理定方案$/);
  assert.equal(followUpLine({ ...review, reported_to_manager_id: null }).manager, '');
  setLang('en');
  assert.equal(followUpLine(review, staff).manager, 'reported to manager 钱经理');
});

test('a review passed to the manager shows the manager\'s answer under it: who, when, the approach', () => { // R-FU-3
  setLang('zh');
  const review = { kind: 'weekly_review', at: '2026-12-07T01:00:00Z', by: 'usr_dispatcher', note: '防水需外包', reported_to_manager_id: 'usr_manager' };
  const answers = [{ approach: '联系防水公司报价，周三前定', by: 'usr_manager', at: '2026-12-07T06:30:00Z', referral_at: '2026-12-07T01:00:00.000Z' }];
  assert.equal(followUpLine(review, staff, answers).answer, '经理答复：钱经理 12/07 14:30 · 新的处理方式：联系防水公司报价，周三前定');
  // An answer to an earlier review is not this review's answer.
  assert.equal(followUpLine({ ...review, at: '2026-12-14T01:00:00Z' }, staff, answers).answer, '');
  assert.equal(followUpLine(review, staff).answer, '');
  setLang('en');
  assert.equal(followUpLine(review, staff, answers).answer, "Manager's answer: 钱经理 12/07 14:30 · new approach: 联系防水公司报价，周三前定");
});

test('a reply says how it was given; one stored before that was asked says it is not recorded', () => { // R-IN-5
  setLang('zh');
  const reply = { kind: 'reply', at: '2026-12-07T01:00:00Z', by: 'usr_dispatcher', note: '物业费明年不调整', medium: 'phone' };
  assert.equal(followUpLine(reply, staff).text, '12/07 09:00 · 答复（电话） · 王调度 · 物业费明年不调整');
  assert.match(followUpLine({ ...reply, medium: 'written' }, staff).text, / · 答复（书面） · /);
  assert.match(followUpLine({ ...reply, medium: null }, staff).text, / · 答复（方式未记录） · /);
  assert.doesNotMatch(followUpLine({ ...reply, kind: 'first', medium: null }, staff).text, /方式/);
  setLang('en');
  assert.match(followUpLine({ ...reply, medium: 'in_person' }, staff).text, / · Reply \(in person\) · /);
});

test('the reply form starts with the medium the resident asked in: written for a written inquiry', () => { // R-IN-5
  assert.equal(defaultReplyMedium({ kind: 'inquiry', channel: 'written' }), 'written');
  assert.equal(defaultReplyMedium({ kind: 'help', channel: 'walk_in' }), 'in_person');
  assert.equal(defaultReplyMedium({ kind: 'help', channel: 'phone' }), 'phone');
  assert.equal(defaultReplyMedium({ kind: 'inquiry', channel: 'app' }), 'phone');
  assert.ok(needsWrittenReply({ kind: 'inquiry', channel: 'written' }));
  assert.ok(!needsWrittenReply({ kind: 'inquiry', channel: 'phone' }));
  assert.ok(!needsWrittenReply({ kind: 'complaint', channel: 'written' }));
});

test('a written reply names who signed and issued it; one stored before that was asked shows —', () => { // R-IN-5
  setLang('zh');
  const reply = { kind: 'reply', at: '2026-12-07T01:00:00Z', by: 'usr_dispatcher', note: '书面答复已送达', medium: 'written', signer: '钱经理' };
  assert.equal(followUpLine(reply, staff).text, '12/07 09:00 · 答复（书面） · 签发人 钱经理 · 王调度 · 书面答复已送达');
  assert.equal(followUpLine({ ...reply, signer: undefined }, staff).text, '12/07 09:00 · 答复（书面） · 签发人 — · 王调度 · 书面答复已送达');
  assert.doesNotMatch(followUpLine({ ...reply, medium: 'phone', signer: null }, staff).text, /签发人/); // an oral reply has none
  setLang('en');
  assert.match(followUpLine(reply, staff).text, / · Reply \(in writing\) · signed by 钱经理 · /);
});
