// The emergency panel and the help reply (D89): who holds each rung and post of R-EM-2, the public
// number whose call is recorded shown as done (R-EM-5), the help request's reply owed until a reply
// follow-up is recorded (R-IN-5), and whom an escalation attempt named in the case history.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { registerStrings, setLang } from '../src/i18n.js';
import { registerDeskStrings } from '../src/desk/strings.js';
import { callButtons, postHolders, rungHolders } from '../src/desk/emergency.js';
import { firstReply, helpReplyClock, helpReplyMedium, helpReplyOwed } from '../src/desk/help-reply.js';
import { timelineSentence } from '../src/desk/timeline.js';

registerDeskStrings(registerStrings);

const STAFF = [
  { id: 'usr_manager', display_name: '钱经理', roles: ['manager'], posts: [], phone: '13900000009' },
  { id: 'usr_deputy', display_name: '吴副总', roles: ['deputy_gm'], posts: [], phone: '13900000010' },
  { id: 'usr_security', display_name: '蒋保安经理', roles: ['guard'], posts: ['security_manager'], phone: '13900000014' },
  { id: 'usr_guard', display_name: '孙护卫', roles: ['guard'], phone: '13900000008' }, // a directory before posts: none
];

test('each rung of the chain and each post summoned names who holds it in the directory, or nobody', () => { // R-EM-2
  assert.deepEqual(rungHolders(STAFF, 'manager').map((p) => p.id), ['usr_manager']);
  assert.deepEqual(rungHolders(STAFF, 'general_manager'), []);
  assert.deepEqual(postHolders(STAFF, 'security_manager').map((p) => p.display_name), ['蒋保安经理']);
  // A role is not a post: the guard holds no post, and the manager is no security manager.
  assert.deepEqual(postHolders(STAFF, 'guard_shift_lead'), []);
  assert.deepEqual(postHolders(undefined, 'elevator_captain'), []);
});

test('a number whose call is recorded is done: its button only records another call, as a secondary one', () => { // R-EM-5
  // The intake marked 120 for a medical emergency: no blue "record a call to 120" invites a second record.
  assert.deepEqual(callButtons(['120'], [{ number: '120', by: 'usr_dispatcher', at: '2026-12-07T11:54:00Z' }]), [
    { number: '120', again: true, primary: false },
    { number: '110', again: false, primary: false },
    { number: '119', again: false, primary: false },
    { number: '122', again: false, primary: false },
  ]);
  // Not called yet: the number the case calls for is the primary action; of two, only the one not called.
  assert.deepEqual(callButtons(['122', '110'], [{ number: '122' }]).slice(0, 2),
    [{ number: '122', again: true, primary: false }, { number: '110', again: false, primary: true }]);
  assert.equal(callButtons([], []).filter((b) => b.primary).length, 0);
});

test('the help reply is owed while its 5-minute clock runs, and is given by phone unless the caller came in', () => { // R-IN-5
  const clock = { code: 'IN5_HELP_REPLY_5M', running: true, due_at: '2026-12-07T11:59:00Z' };
  const owed = { case: { channel: 'phone', follow_ups: [] }, clocks: [{ code: 'OP_2H_FIRST', running: true }, clock] };
  assert.equal(helpReplyClock(owed), clock);
  assert.equal(helpReplyOwed(owed), true);
  // Overdue still owes it: the late answer is recorded, not skipped.
  assert.equal(helpReplyOwed({ clocks: [{ ...clock, overdue: true }] }), true);
  assert.equal(helpReplyOwed({ clocks: [{ ...clock, running: false }] }), false);
  assert.equal(helpReplyOwed({ clocks: [] }), false); // not a help request
  assert.equal(helpReplyMedium({ channel: 'walk_in' }), 'in_person');
  assert.equal(helpReplyMedium({ channel: 'phone' }), 'phone');
  assert.equal(helpReplyMedium({ channel: 'control_room' }), 'phone');
  const fus = [{ kind: 'first', at: 'a' }, { kind: 'reply', at: 'b', medium: 'phone' }, { kind: 'reply', at: 'c' }];
  assert.equal(firstReply({ follow_ups: fus }).at, 'b');
  assert.equal(firstReply({ follow_ups: [] }), null);
});

test('an escalation attempt names the person the desk tried, when it named one', () => { // R-EM-2
  const named = { action: 'emergency.attempt', data: { target_role: 'manager', reached: false, target_id: 'usr_manager' } };
  const level = { action: 'emergency.attempt', data: { target_role: 'deputy_gm', reached: true } };
  setLang('zh');
  assert.equal(timelineSentence(named, STAFF), '未联系上管理处负责人（钱经理）');
  assert.equal(timelineSentence(level, STAFF), '已联系上主管副总经理');
  setLang('en');
  assert.equal(timelineSentence(named, STAFF), 'Manager (钱经理) not reached');
  setLang('zh');
});
