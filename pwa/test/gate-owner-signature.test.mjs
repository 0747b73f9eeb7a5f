// The guard's phone names the registered owner whose signature the slip carries (D52, R-RS-3).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { signatureText, STRINGS } from '../src/gate/index.js';

const tr = (lang) => (key, params = {}) => {
  const s = STRINGS[lang][key];
  return s === undefined ? key : s.replace(/\{(\w+)\}/g, (_, k) => String(params[k]));
};

test("the owner's signatures name the owner, in Chinese and English", () => { // R-RS-3
  const owner = { signer: 'owner', name: '黄业主', relation: 'owner' };
  const letter = { signer: 'letter_owner', name: '黄业主', relation: 'owner' };
  assert.equal(signatureText(owner, tr('zh')).text, '业主已签字：黄业主');
  assert.equal(signatureText(letter, tr('zh')).text, '业主已在书面授权委托书上签字：黄业主');
  assert.equal(signatureText(owner, tr('en')).text, 'Signed by the owner, 黄业主');
  assert.equal(signatureText(letter, tr('en')).text, 'The owner, 黄业主, signed the written authorisation');
});

test('a slip issued before it recorded the owner still says the owner signed', () => { // R-RS-3
  assert.equal(signatureText({ signer: 'letter_owner', name: '', relation: 'owner' }, tr('zh')).text, '业主已在书面授权委托书上签字');
  assert.equal(signatureText({ signer: 'requester', name: '王阿姨', relation: 'nanny' }, tr('zh')).text, '申请人已签字：王阿姨（保姆）');
});
