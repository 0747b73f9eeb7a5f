// A refusal reads once: the missing-field list follows the server's message only where the message
// does not already name those fields ("须填写纠正预防措施报告编号 — 缺少：纠正预防措施报告编号" was
// shown on every page that used errorText). R-RV-4's CAPA refusal is the case seen on the desk.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { registerStrings, setLang, t } from '../src/i18n.js';
import { registerDeskStrings } from '../src/desk/strings.js';
import { errorText } from '../src/desk/common.js';

registerDeskStrings(registerStrings);

const capa = {
  code: 'report.capa_report_no_required',
  message_zh: '须填写纠正预防措施报告编号',
  message_en: 'The CAPA report number is required',
  details: { missing: ['capa_report_no'] },
};

test('a refusal that already names its missing field is not followed by the same words again', () => { // R-RV-4
  setLang('zh');
  assert.equal(errorText(capa, t), '须填写纠正预防措施报告编号');
  setLang('en');
  assert.equal(errorText(capa, t), 'The CAPA report number is required');
});

test('the missing list still follows a message that does not say what is missing', () => { // R-IN-1
  const err = { code: 'case.incomplete', message_zh: '登记信息不全', message_en: 'The intake is incomplete',
    details: { missing: ['contact_name', 'phone'] } };
  setLang('zh');
  assert.equal(errorText(err, t), '登记信息不全 — 缺少：联系人、联系电话');
  setLang('en');
  assert.match(errorText(err, t), /^The intake is incomplete — .*contact, phone/);
});

test('only the fields the message does not name are listed', () => { // R-IN-1
  const err = { code: 'x', message_zh: '须填写联系人', message_en: 'Enter the contact', details: { missing: ['contact_name', 'phone'] } };
  setLang('zh');
  assert.equal(errorText(err, t), '须填写联系人 — 缺少：联系电话');
  setLang('en');
  assert.match(errorText(err, t), /^Enter the contact — \S+: phone$/i);
});

test('raw codes after a colon are still replaced by the words', () => {
  const err = { code: 'x', message_zh: '缺少字段：contact_name', message_en: 'Missing: contact_name', details: { missing: ['contact_name'] } };
  setLang('zh');
  assert.equal(errorText(err, t), '缺少字段 — 缺少：联系人');
});
