// A failure on the phone itself reads as words a technician can act on, not a browser error name.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { localErrorText, setLang } from '../src/i18n.js';

test('a full phone is named as such, in both languages', () => {
  const full = Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });
  setLang('zh');
  assert.match(localErrorText(full), /^手机存储空间已满/);
  setLang('en');
  try {
    assert.match(localErrorText(full), /^This phone's storage is full/);
  } finally {
    setLang('zh');
  }
});

test('any other failure keeps its own message', () => {
  assert.equal(localErrorText(new Error('boom')), '出现错误：boom');
  assert.equal(localErrorText('plain'), '出现错误：plain');
});
