// The guard's screen in words the guard can act on (R-RS-1): the release's line follows what became of
// it at the desk (waiting, sent, recorded as an incident); offline data past its age says it is out of
// date; a camera or push failure is said in the app's language, the browser's own words apart on a detail
// line; the "set your gate" verdict names the control as it is labelled.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { cameraFailedText, gateUnsetText, releasedLine, STRINGS, staleText } from '../src/gate/index.js';
import { registerStrings, serverMessage, setLang, t } from '../src/i18n.js';
import { pushFailedText } from '../src/views/settings.js';

registerStrings(STRINGS);
const LATIN = /[A-Za-z]/;

// R-RS-1
test("the release's line says waiting, then sent, then what the server recorded", () => {
  setLang('zh');
  const gate = '北门（N）';
  assert.deepEqual(releasedLine(null, gate, t, serverMessage), { text: '已在北门（N）登记放行，待同步到服务中心', tone: 'ok' });
  assert.deepEqual(releasedLine({ state: 'waiting' }, gate, t, serverMessage), releasedLine(null, gate, t, serverMessage));
  assert.deepEqual(releasedLine({ state: 'sent' }, gate, t, serverMessage), { text: '已在北门（N）登记放行，已同步到服务中心', tone: 'ok' });
  const notice = {
    code: 'slip.release_incident', message: '服务中心已将此次放行记为异常：放行时该单已作废。',
    message_en: 'The service centre has recorded this release as an incident: the slip had been revoked.',
  };
  const flagged = releasedLine({ state: 'sent', notice }, gate, t, serverMessage);
  assert.equal(flagged.tone, 'warn');
  assert.equal(flagged.text, '已在北门（N）放行。服务中心已将此次放行记为异常：放行时该单已作废。');
  assert.doesNotMatch(flagged.text, /待同步/);
  const refused = releasedLine({ state: 'refused', code: 'slip.not_found', message: '未找到该放行通知单' }, gate, t, serverMessage);
  assert.equal(refused.tone, 'warn');
  assert.match(refused.text, /未找到该放行通知单/);
  setLang('en');
  assert.equal(releasedLine({ state: 'sent', notice }, gate, t, serverMessage).text,
    'Released at 北门（N）. The service centre has recorded this release as an incident: the slip had been revoked.');
});

// R-RS-1
test('offline data past its age says it is out of date, since when, and that the phone must sync', () => {
  setLang('zh');
  assert.equal(staleText(t, '12/07 23:28'), '离线核验数据已过期（更新于 12/07 23:28，已超过 24 小时），请联网同步后再核验');
  assert.equal(t('gate.note.stale', { hours: 24 }), '本机离线核验数据已超过 24 小时未更新，无法离线核验：请联网同步后再查，或致电服务中心');
  setLang('en');
  assert.equal(staleText(t, '12/07 23:28'), 'Offline data is out of date (updated 12/07 23:28, over 24 h ago): sync online before verifying');
});

test("a camera that cannot open is said in the app's words; the browser's go on a detail line", () => {
  setLang('zh');
  const notFound = Object.assign(new Error('Requested device not found'), { name: 'NotFoundError' });
  const said = cameraFailedText(notFound, t);
  assert.equal(said.text, '无法打开摄像头：本机没有可用的摄像头。可改用“从图片识别”或输入放行码。');
  assert.doesNotMatch(said.text, LATIN);
  assert.equal(said.detail, 'Requested device not found');
  const denied = cameraFailedText(Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' }), t);
  assert.match(denied.text, /没有使用摄像头的权限/);
  const odd = cameraFailedText(Object.assign(new Error('Something odd'), { name: 'WeirdError' }), t);
  assert.equal(odd.text, '无法打开摄像头。可改用“从图片识别”或输入放行码。');
  assert.equal(odd.detail, 'WeirdError: Something odd');
  setLang('en');
  assert.equal(cameraFailedText(notFound, t).text, 'Cannot open the camera: this phone has no camera available. Use “From a picture” or type the code.');
});

test("a push service failure is said in the app's words; the browser's go on a detail line", () => {
  setLang('zh');
  const said = pushFailedText('Registration failed - permission denied');
  assert.equal(said.text, '推送服务不可用，提醒仍会显示在“提醒”页面中。');
  assert.doesNotMatch(said.text, LATIN);
  assert.equal(said.detail, 'Registration failed - permission denied');
  setLang('en');
  assert.equal(pushFailedText('x').text, 'Push is unavailable. Reminders still appear in the Inbox.');
});

// R-RS-1
test('the "set your gate" verdict names the control as it is labelled', () => {
  setLang('en');
  const listed = gateUnsetText(t, true, '北门 (N), 南门 (S)');
  assert.equal(listed, 'Choose this phone’s gate under “My gate” first (the slip is for 北门 (N), 南门 (S))');
  assert.ok(listed.includes(`“${STRINGS.en['gate.my_gate_choose']}”`));
  const typed = gateUnsetText(t, false, 'N, S');
  assert.ok(typed.includes(`“${STRINGS.en['gate.my_gate']}”`), typed);
  setLang('zh');
  assert.equal(gateUnsetText(t, true, '北门（N）、南门（S）'), '请先设置本岗出入口（本单限 北门（N）、南门（S））');
  assert.ok(gateUnsetText(t, false, 'N、S').includes(STRINGS.zh['gate.my_gate']));
});
