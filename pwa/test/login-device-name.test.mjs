// The device name suggested at sign-in is written in the language on screen, not "Android 手机" in
// an English form (the name is kept in the device list, so it is what the person chose to see).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { defaultDeviceName } from '../src/views/login.js';

function onPhone(platform, mobile) {
  // Node 20 has no navigator; define the few fields defaultDeviceName reads.
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgentData: { platform, mobile }, platform: '', userAgent: '' }, configurable: true, writable: true,
  });
}

test('a phone is suggested as a phone in the language on screen', () => {
  onPhone('Android', true);
  setLang('zh');
  assert.equal(defaultDeviceName(), 'Android 手机');
  setLang('en');
  assert.equal(defaultDeviceName(), 'Android phone');
  setLang('zh');
});

test('a desktop browser is named by its platform alone', () => {
  onPhone('Windows', false);
  setLang('en');
  assert.equal(defaultDeviceName(), 'Windows');
  setLang('zh');
  assert.equal(defaultDeviceName(), 'Windows');
});
