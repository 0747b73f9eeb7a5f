// The handover sheet marks each item whose next deadline had passed when the sheet was built (已超时), on
// screen and on paper (R-SH-1, D121): the next shift presses on those first.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { registerStrings, setLang } from '../src/i18n.js';
import { registerDeskStrings } from '../src/desk/strings.js';
import { dueWhenBuilt, overdueWhenBuilt } from '../src/desk/handover.js';
import { setDisplayZone } from '../src/zone.js';

registerDeskStrings(registerStrings);
setDisplayZone('Asia/Shanghai');

test('an item due before the sheet was built is overdue on it; one due after, or with no deadline, is not', () => { // R-SH-1
  const built = '2026-12-07T10:00:00Z';
  assert.equal(overdueWhenBuilt({ next_due_at: '2026-12-07T09:59:00Z' }, built), true);
  assert.equal(overdueWhenBuilt({ next_due_at: '2026-12-07T10:00:00Z' }, built), false);
  assert.equal(overdueWhenBuilt({ next_due_at: '2026-12-07T12:00:00Z' }, built), false);
  assert.equal(overdueWhenBuilt({ next_due_at: null }, built), false);
});

test('the due cell says 已超时 beside the time, in either language', () => { // R-SH-1
  const built = '2026-12-07T10:00:00Z';
  setLang('zh');
  const zh = dueWhenBuilt({ next_due_at: '2026-12-07T09:00:00Z' }, built);
  assert.match(zh, /已超时/);
  assert.doesNotMatch(dueWhenBuilt({ next_due_at: '2026-12-07T11:00:00Z' }, built), /已超时/);
  setLang('en');
  assert.match(dueWhenBuilt({ next_due_at: '2026-12-07T09:00:00Z' }, built), /overdue/i);
  assert.equal(dueWhenBuilt({ next_due_at: null }, built), '');
  setLang('zh');
});
