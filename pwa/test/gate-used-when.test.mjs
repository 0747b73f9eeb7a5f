// "已放行过 · 不得重复放行" says when and where the slip left (R-RS-1): from this phone's own release, the
// feed's slip_use document or the server's answer to a typed code.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { STRINGS, usedWhenText } from '../src/gate/index.js';
import { formatDateTime } from '../src/clock.js';
import { registerStrings, setLang, t } from '../src/i18n.js';
import { setDisplayZone } from '../src/zone.js';

registerStrings(STRINGS);
setDisplayZone('Asia/Shanghai');
const label = (code) => ({ N: '北门（N）' })[code] || code;

test('a used slip names the time and the gate it left by', () => { // R-RS-1
  setLang('zh');
  assert.equal(usedWhenText({ gate: 'N', at: '2026-12-07T11:57:00Z' }, t, label, formatDateTime), '已于 12/07 19:57 在北门（N）放行');
  setLang('en');
  assert.equal(usedWhenText({ gate: 'N', at: '2026-12-07T11:57:00Z' }, t, label, formatDateTime), 'Released 12/07 19:57 at 北门（N）');
});

test('without a time the gate alone is said, and nothing when the phone does not know', () => { // R-RS-1
  setLang('zh');
  assert.equal(usedWhenText({ gate: 'S', at: null }, t, label, formatDateTime), '已在S放行');
  assert.equal(usedWhenText(null, t, label, formatDateTime), null);
  assert.equal(usedWhenText({ gate: '', at: '2026-12-07T11:57:00Z' }, t, label, formatDateTime), null);
});
