// A survey month whose report is frozen (handed in over the whole month, or signed) takes no survey and
// no ballot (D140): the open form says so for the month picked and offers no button, and the
// survey page says why instead of the ballot form, naming who can open the month again.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { registerStrings, setLang, t } from '../src/i18n.js';
import { closedMonthOf, monthClosedText } from '../src/desk/surveys.js';
import { STRINGS } from '../src/desk/surveys-strings.js';

registerStrings(STRINGS);

const CLOSED = [{ period: '2026-10', state: 'handed_in' }, { period: '2026-11', state: 'signed' }];

test('the month picked is looked up among the closed months', () => {
  assert.deepEqual(closedMonthOf(CLOSED, '2026-11'), { period: '2026-11', state: 'signed' });
  assert.equal(closedMonthOf(CLOSED, '2026-12'), null);
  assert.equal(closedMonthOf(CLOSED, ''), null);
  assert.equal(closedMonthOf(null, '2026-11'), null);
});

test('a signed month names the general manager, a handed-in one the manager, in both languages', () => {
  setLang('zh');
  const signed = monthClosedText(t, CLOSED[1]);
  assert.match(signed, /^2026年11月的月报已签批/);
  assert.match(signed, /总经理撤回签批/);
  const handedIn = monthClosedText(t, CLOSED[0]);
  assert.match(handedIn, /^2026年10月的月报已提交/);
  assert.match(handedIn, /退回月报/);
  assert.doesNotMatch(handedIn, /总经理/);
  assert.equal(monthClosedText(t, null), '');
  setLang('en');
  assert.match(monthClosedText(t, CLOSED[1]), /^The monthly report for 2026-11 is signed/);
  assert.match(monthClosedText(t, CLOSED[1]), /general manager can reopen/);
  assert.match(monthClosedText(t, CLOSED[0]), /^The monthly report for 2026-10 is handed in/);
  setLang('zh');
});
