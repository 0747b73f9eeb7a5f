// The "Me" page's notifications section: it says what each role is really reminded of (the server's
// planner, server/notify/reminders.py, decides who gets what), and a permission prompt closed without
// an answer is not reported as blocked by the browser.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { enablePush } from '../src/push.js';
import { notifyExplain, notifyTopics } from '../src/views/settings.js';

/** A browser with push whose permission prompt answers `answer` ('granted' | 'denied' | 'default'). */
function browserAnswering(answer) {
  const reg = { pushManager: { getSubscription: async () => { throw new Error('no push service here'); } } };
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: '', maxTouchPoints: 0, serviceWorker: { ready: Promise.resolve(reg), getRegistration: async () => reg } },
    configurable: true, writable: true,
  });
  globalThis.PushManager = function PushManager() {};
  globalThis.Notification = { permission: 'default', requestPermission: async () => answer };
}

test('a permission prompt closed without an answer is not reported as blocked', async () => {
  // Notification.requestPermission() resolves 'default' when the prompt is dismissed: asking again
  // works, so the page must not send the person to the browser's site settings.
  browserAnswering('default');
  assert.deepEqual(await enablePush(), { ok: false, reason: 'dismissed' });
  browserAnswering('denied');
  assert.deepEqual(await enablePush(), { ok: false, reason: 'denied' });
  browserAnswering('granted'); // past the permission, on to the push service (none in this test)
  assert.equal((await enablePush()).reason, 'subscribe_failed');
});

test('each role is told the reminders it gets, and no role is promised new assignments', () => {
  // The planner sends no reminder on a new assignment; "new assignments, chasers and jobs about to run
  // late" was shown to every role alike, the desk and a guard included.
  // Any staff member may own a CAPA report and is reminded of its due date (D140).
  assert.deepEqual(notifyTopics(['dispatcher']), ['cases', 'review', 'unowned', 'capa']);
  assert.deepEqual(notifyTopics(['front_desk']), ['cases', 'capa']);
  assert.deepEqual(notifyTopics(['manager']), ['overdue', 'emergency', 'unowned', 'review_answer', 'opening', 'callback', 'capa']);
  // An emergency raised on a staff phone and taken by nobody at the desk (D146).
  assert.deepEqual(notifyTopics(['control_room']), ['cases', 'unowned', 'capa']);
  assert.deepEqual(notifyTopics(['deputy_gm']), ['emergency', 'opening', 'capa']);
  assert.deepEqual(notifyTopics(['technician']), ['jobs', 'capa']);
  assert.deepEqual(notifyTopics(['guard']), ['jobs', 'capa']); // a job dispatched to a guard has its limits too
  assert.deepEqual(notifyTopics(['team_lead']), ['jobs', 'opening', 'capa']);
  assert.deepEqual(notifyTopics(['engineering']), ['plan', 'capa']);
  assert.deepEqual(notifyTopics(['team_lead', 'technician']), ['jobs', 'opening', 'capa']); // each once
  assert.deepEqual(notifyTopics(['cashier']), ['capa']);
  assert.deepEqual(notifyTopics(['resident']), []);
  for (const lang of ['zh', 'en']) {
    setLang(lang);
    const texts = ['dispatcher', 'manager', 'guard', 'engineering', 'cashier'].map((r) => notifyExplain([r]));
    assert.equal(new Set(texts).size, texts.length, lang);
    for (const text of texts) assert.doesNotMatch(text, /new assignments|派单/, lang);
    // Nothing to be reminded of: no option to turn on (the section says so instead).
    assert.equal(notifyExplain(['resident']), null);
  }
  setLang('en');
  assert.equal(notifyExplain(['guard']),
    'When on, these reminders show as system notifications even when the app is closed: jobs dispatched to you nearing a time limit (arrival, completion, returning the slip), the corrective and preventive actions you own on their due date. The Inbox always has them too.');
  assert.match(notifyExplain(['dispatcher']), /: the cases you follow or took in nearing a time limit \(follow-ups, dispatch, replies\), the Monday review of last week's cases, emergencies reported from a staff phone that nobody at the desk has taken \(every 15 minutes until someone does\), the corrective and preventive actions you own on their due date\. /);
  assert.match(notifyExplain(['manager']), /cases past a time limit, a Monday review not finished that day, and corrective actions not done by their due date/);
  setLang('zh');
  assert.equal(notifyExplain(['dispatcher']),
    '开启后，即使应用没有打开，以下提醒也会以系统通知送达：您跟进或受理的案件临近时限（跟进、派工、答复）、每周一复查上周案件、服务中心尚无人接手的员工现场紧急报告（每 15 分钟提醒一次，直到有人接手）、由您负责的纠正预防措施到期。关闭时仍可在“提醒”中查看。');
  assert.equal(notifyExplain(['cashier']),
    '开启后，即使应用没有打开，以下提醒也会以系统通知送达：由您负责的纠正预防措施到期。关闭时仍可在“提醒”中查看。');
});
