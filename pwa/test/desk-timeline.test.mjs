// The case history reads as sentences, in Chinese and English: no raw flags ("紧急：✗", "escalated:
// ✗"), names instead of ids, and a repair's responsibility class on its intake entry (R-IN-6).
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';

import { registerStrings, setLang } from '../src/i18n.js';
import { registerDeskStrings } from '../src/desk/strings.js';
import { actedAt, clockChangedNote, inActedOrder, syncedNote, timelineSentence } from '../src/desk/timeline.js';
import { setDisplayZone } from '../src/zone.js';

// The times below are in 2026 and written without their year: the year the app takes as the current one.
mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-12-07T08:00:00Z') });

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

test('the intake entry of a paid repair says the fee told, in both languages', () => { // R-IN-6 a
  // It read "登记为报修，维修责任：a 业主自用部分 · 有偿" without the ¥80 told at intake (D96).
  const entry = { action: 'case.received', data: { kind: 'repair', emergency: false, repair_responsibility: 'owner_private', fee_quote_cents: 8000 } };
  setLang('zh');
  assert.equal(timelineSentence(entry, staff), '登记为报修，维修责任：a 业主自用部分 · 有偿，已告知收费 ¥80.00');
  setLang('en');
  assert.equal(timelineSentence(entry, staff), 'Received as Repair; responsibility: a Owner\'s private part · paid; fee told: ¥80.00');
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

test("a leader's instruction reads as what was instructed and by whom, and its completion repeats it", () => { // R-EM-4
  setLang('zh');
  const given = { action: 'emergency.instruction', data: { instruction_id: 'ins_1', text: '疏散3栋2楼住户', given_by: '郑总' } };
  const done = { action: 'emergency.instruction_done', data: { instruction_id: 'ins_1', text: '疏散3栋2楼住户', given_by: '郑总', result: '已全部疏散' } };
  assert.equal(timelineSentence(given, staff), '郑总指示：疏散3栋2楼住户');
  assert.equal(timelineSentence(done, staff), '已落实「疏散3栋2楼住户」，结果：已全部疏散');
  // An entry written before the instruction's words were recorded still says the result.
  assert.equal(timelineSentence({ action: 'emergency.instruction_done', data: { instruction_id: 'ins_1', result: '已疏散' } }, staff), '结果：已疏散');
  setLang('en');
  assert.equal(timelineSentence(given, staff), '郑总 instructed: 疏散3栋2楼住户');
  assert.equal(timelineSentence(done, staff), 'Carried out "疏散3栋2楼住户"; result: 已全部疏散');
});

test("a contact slip's, a booking's and a call-back's entries read as sentences", () => { // R-IN-6 R-SS-2 R-FU-6
  const entries = [
    { action: 'contact_slip.created', data: { no: null, addressee: '万科地产' } },
    { action: 'contact_slip.verified', data: { no: null, verified_by: '冯工程', note: '外墙裂缝渗水' } },
    { action: 'contact_slip.issued', data: { no: 'LX20261207-01', addressee: '万科地产', reply_by: '2026-12-14' } },
    { action: 'contact_slip.answered', data: { no: 'LX20261207-01', text: '下周派人维修' } },
    { action: 'service_booking.dispatched', data: { assignee_id: 'usr_tech' } },
    { action: 'service_booking.completed', data: { quantity: 2, slip_fee_cents: 6000 } },
    { action: 'call_back.recorded', data: { grades: { building_repair: 'A', staff_attitude: 'C' }, reopen_for_review: true } },
    // D133: a C on the work itself sends it back to be redone; a C elsewhere only to the manager.
    { action: 'call_back.recorded', data: { grades: { building_repair: 'C' }, reopen_for_review: true, review_opened: true } },
    { action: 'call_back.recorded', data: { grades: { building_repair: 'A', staff_attitude: 'C' }, reopen_for_review: false, review_opened: true } },
  ];
  setLang('zh');
  assert.deepEqual(entries.map((e) => timelineSentence(e, staff)), [
    '致万科地产',
    '核实人：冯工程，说明：外墙裂缝渗水',
    'LX20261207-01 致万科地产，请于2026-12-14前回复',
    '开发商回复：下周派人维修',
    '派给张师傅',
    '数量 2，服务单金额 ¥60.00',
    '评价：房屋维修保养 A、员工服务态度 C，不满意，退回重新处理', // recorded before D133: it was reopened then
    '评价：房屋维修保养 C，不满意，退回重新处理',
    '评价：房屋维修保养 A、员工服务态度 C，不满意，转经理复查',
  ]);
  setLang('en');
  assert.deepEqual(entries.map((e) => timelineSentence(e, staff)), [
    'To 万科地产',
    'Verified by 冯工程; note: 外墙裂缝渗水',
    'LX20261207-01 to 万科地产; reply by 2026-12-14',
    "Developer's reply: 下周派人维修",
    'Assigned to 张师傅',
    'Quantity 2; slip amount ¥60.00',
    'Grades: Building repair A, Staff attitude C; unsatisfied, sent back to be redone',
    'Grades: Building repair C; unsatisfied, sent back to be redone',
    "Grades: Building repair A, Staff attitude C; unsatisfied, sent to the manager's review",
  ]);
});

test("the call-back review's close says who concluded what", () => { // R-FU-6
  const entry = { action: 'call_back.review_closed', data: { conclusion: '已返修，住户确认', reviewed_by: 'usr_manager' } };
  const people = [...staff, { id: 'usr_manager', display_name: '钱经理' }];
  setLang('zh');
  assert.equal(timelineSentence(entry, people), '钱经理复查结论：已返修，住户确认');
  setLang('en');
  assert.equal(timelineSentence(entry, people), "钱经理's review conclusion: 已返修，住户确认");
  assert.equal(timelineSentence({ action: 'call_back.review_closed', data: {} }, staff), ''); // recorded before it had data
});

test('a reply in the history says how it was given; an entry from before the medium says nothing of it', () => { // R-IN-5
  setLang('zh');
  assert.equal(timelineSentence({ action: 'case.followed_up', data: { kind: 'reply', medium: 'phone' } }, staff), '完成答复，答复方式：电话');
  assert.equal(timelineSentence({ action: 'case.followed_up', data: { kind: 'reply' } }, staff), '完成答复');
  setLang('en');
  assert.equal(timelineSentence({ action: 'case.followed_up', data: { kind: 'reply', medium: 'written' } }, staff), 'Reply done; given in writing');
});

test('a public emergency number called reads as the service and its number', () => { // R-EM-5
  const called = { action: 'emergency.public_called', data: { number: '122' } };
  setLang('zh');
  assert.equal(timelineSentence(called, staff), '拨打交通 122');
  setLang('en');
  assert.equal(timelineSentence(called, staff), 'Called Traffic 122');
  setLang('zh');
});

test('a call marked on the intake form says when it was made; a written reply names its signer', () => { // R-EM-5 R-IN-5
  setDisplayZone('Asia/Shanghai'); // the compound's zone (D20)
  const called = { action: 'emergency.public_called', data: { number: '119', called_at: '2026-12-07T01:02:00Z' } };
  setLang('zh');
  assert.equal(timelineSentence(called, staff), '12/07 09:02 拨打火警 119（受理登记前）');
  assert.equal(timelineSentence({ action: 'case.followed_up', data: { kind: 'reply', medium: 'written', signer: '钱经理' } }, staff),
    '完成答复，答复方式：书面，签发人：钱经理');
  setLang('en');
  assert.equal(timelineSentence(called, staff), 'Called Fire 119 at 12/07 09:02 (before the intake was registered)');
  assert.equal(timelineSentence({ action: 'case.followed_up', data: { kind: 'reply', medium: 'written', signer: '钱经理' } }, staff),
    'Reply done; given in writing; signed by 钱经理');
  setLang('zh');
});

test('a referral acted on by someone other than the one named says who did, in their place', () => { // R-OP-3 R-FU-3
  // Any supervisor may decide a passed-up opening (D50), any manager answer a passed-up review (D58):
  // the history said "decided by 陈班长 at the desk's request" though 钱经理 had decided it.
  const people = [...staff, { id: 'usr_manager', display_name: '钱经理' }, { id: 'usr_manager2', display_name: '孙经理' }];
  const opened = { action: 'case.opened', actor_id: 'usr_manager', data: { reason: 'A', escalated: true, referred_to_id: 'usr_lead' } };
  const byLead = { ...opened, actor_id: 'usr_lead' };
  const answered = { action: 'case.review_answered', actor_id: 'usr_manager2', data: { note: '外包', referred_by: 'usr_dispatcher', referred_to_id: 'usr_manager' } };
  setLang('zh');
  assert.equal(timelineSentence(opened, people), '按「A 需上门处理，需跟进和质检」立项，调度转交陈班长决定，由钱经理代为决定');
  assert.equal(timelineSentence(byLead, people), '按「A 需上门处理，需跟进和质检」立项，应调度请求由陈班长决定');
  assert.equal(timelineSentence(answered, people), '说明：外包，周一回顾转交钱经理，由孙经理代为答复');
  assert.equal(timelineSentence({ ...answered, actor_id: 'usr_manager' }, people), '说明：外包');
  setLang('en');
  assert.equal(timelineSentence(opened, people), 'Opened under "A Site visit, follow-up and quality check"; the desk asked 陈班长; 钱经理 decided in their place');
  assert.equal(timelineSentence(answered, people), 'Note: 外包; the Monday review passed it to 钱经理; 孙经理 answered in their place');
  setLang('zh');
});

test('confirming cannot-handle for a case the Monday review passed up says it answered the review', () => { // R-FU-3 R-CL-4
  // The manager's other answer to a passed-up case (D116): the history said only the reason.
  const people = [...staff, { id: 'usr_manager', display_name: '钱经理' }, { id: 'usr_manager2', display_name: '孙经理' }];
  const confirmed = { action: 'case.cannot_handle', actor_id: 'usr_manager', data: { reason: '业主拒绝整改', referred_by: 'usr_dispatcher', referred_to_id: 'usr_manager' } };
  setLang('zh');
  assert.equal(timelineSentence(confirmed, people), '原因：业主拒绝整改，答复周一回顾');
  assert.equal(timelineSentence({ ...confirmed, actor_id: 'usr_manager2' }, people), '原因：业主拒绝整改，答复周一回顾，周一回顾转交钱经理，由孙经理代为答复');
  assert.equal(timelineSentence({ action: 'case.cannot_handle', actor_id: 'usr_manager', data: { reason: '无' } }, people), '原因：无');
  setLang('en');
  assert.equal(timelineSentence(confirmed, people), 'Reason: 业主拒绝整改; answers the Monday review');
  setLang('zh');
});

test('an offline phone step shows when it was done, says when it synced, and sits in the order it was done', () => { // R-DI-3 R-CL-1 D97 D124
  // The history read "12/07 21:32 接单 … 21:32 到场 … 21:32 完工" (the sync) while the slip said 21:31.
  const timeline = [
    { at: '2026-12-07T13:00:00Z', action: 'case.dispatched', data: {} },
    { at: '2026-12-07T13:20:00Z', action: 'case.note_added', data: {} }, // the desk, online, in between
    { at: '2026-12-07T13:32:00Z', action: 'work_order.accepted', data: { acted_at: '2026-12-07T13:05:00+00:00' } },
    { at: '2026-12-07T13:32:00Z', action: 'work_order.arrived', data: { acted_at: '2026-12-07T13:10:00+00:00' } },
    { at: '2026-12-07T13:32:00Z', action: 'work_order.completed', data: { acted_at: '2026-12-07T13:31:30+00:00', received_at: '2026-12-07T13:32:00+00:00' } },
  ];
  setDisplayZone('Asia/Shanghai');
  assert.deepEqual(inActedOrder(timeline).map((e) => e.action),
    ['case.dispatched', 'work_order.accepted', 'work_order.arrived', 'case.note_added', 'work_order.completed']);
  assert.equal(actedAt(timeline[2]), '2026-12-07T13:05:00+00:00');
  assert.equal(actedAt(timeline[0]), '2026-12-07T13:00:00Z');
  setLang('zh');
  assert.match(syncedNote(timeline[2]), /^（同步于 .*21:32）$/);
  assert.equal(syncedNote(timeline[0]), ''); // online: done when received
  assert.equal(syncedNote(timeline[4]), ''); // under a minute apart says nothing
  setLang('en');
  assert.match(syncedNote(timeline[3]), /\(synced .*21:32\)$/);
});

test("a step from a phone whose clock was changed while offline says so; others say nothing", () => { // R-FU-4 design 4 D128
  const changed = { at: '2026-12-07T13:32:00Z', action: 'work_order.arrived',
    data: { acted_at: '2026-12-07T13:25:00+00:00', device_at: '2026-12-07T13:05:00+00:00', clock_changed_s: 1200 } };
  setLang('zh');
  assert.equal(clockChangedNote(changed), '（手机时钟在离线期间被调整）');
  assert.equal(clockChangedNote({ ...changed, data: { acted_at: '2026-12-07T13:25:00+00:00' } }), '');
  assert.equal(clockChangedNote({ at: '2026-12-07T13:00:00Z', action: 'case.dispatched', data: {} }), '');
  setLang('en');
  assert.equal(clockChangedNote(changed), " (the phone's clock was changed while offline)"); // spaced from the time, as syncedNote
  setLang('zh');
});

test('a completion refused at its sync and accepted at the desk says when it synced and who accepted it', () => { // D141
  const staff2 = [...staff, { id: 'usr_dispatcher', display_name: '王调度' }, { id: 'usr_tech2', display_name: '刘师傅' }];
  const done = {
    action: 'work_order.completed', at: '2026-12-07T08:40:00Z', actor_id: 'usr_tech',
    data: { signed: true, acted_at: '2026-12-07T06:40:00Z', received_at: '2026-12-07T08:30:00Z',
      accepted_by: 'usr_dispatcher', accepted_at: '2026-12-07T08:40:00Z' },
  };
  const withdrawn = { action: 'work_order.withdrawn', at: '2026-12-07T08:40:00Z', actor_id: 'usr_dispatcher',
    data: { work_order_id: 'w2', assignee_id: 'usr_tech2', done_by: 'usr_tech', was: 'dispatched' } };
  const entered = { action: 'refusal.accepted', at: '2026-12-07T08:40:00Z', actor_id: 'usr_dispatcher',
    data: { done_by: 'usr_tech', completed_at: '2026-12-07T06:40:00Z' } };
  setLang('zh');
  assert.equal(timelineSentence(done, staff2), '住户已在服务单上签字，同步时因工单已改派被拒（12/07 16:30），由王调度于 12/07 16:40 接受');
  assert.equal(syncedNote(done), ''); // the sentence says when it synced; the entry's own time is the acceptance
  assert.equal(timelineSentence(withdrawn, staff2), '撤回刘师傅的工单：工作已由张师傅完成');
  assert.equal(timelineSentence(entered, staff2), '张师傅在手机上记录的完工（12/07 14:40）已记入本案');
  setLang('en');
  assert.equal(timelineSentence(done, staff2), 'The resident signed the service slip; refused at its sync (12/07 16:30) as the job had been reassigned, accepted by 王调度 at 12/07 16:40');
  assert.equal(timelineSentence(withdrawn, staff2), "Withdrew 刘师傅's work order: the work was done by 张师傅");
  assert.equal(timelineSentence(entered, staff2), "张师傅's completion recorded on the phone (12/07 14:40) entered on the case");
});
