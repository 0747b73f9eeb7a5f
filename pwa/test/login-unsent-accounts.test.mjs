// After signing out with records unsent, the sign-in page says how many wait and whose they are: a
// record is sent only with its own account's next session (outbox.js), so "when their user signs in
// again" left the person guessing which account to sign in with, and "1 unsent record is …; they
// are sent" did not agree with its count (D113).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { unsentNotice } from '../src/views/login.js';

const waiting = (userId, n) => Array.from({ length: n }, () => ({ user_id: userId, state: 'waiting' }));
const ACCOUNTS = {
  usr_tech: { display_name: '张师傅', username: 'tech' },
  usr_cleaner: { display_name: '李阿姨', username: 'cleaner' },
};

function inBoth(fn) {
  const out = {};
  for (const lang of ['zh', 'en']) {
    setLang(lang);
    out[lang] = fn();
  }
  setLang('zh');
  return out;
}

test('one record of one account names the account and reads in the singular', () => {
  assert.deepEqual(inBoth(() => unsentNotice(waiting('usr_tech', 1), ACCOUNTS)), {
    zh: '本机还有 1 条未发送的记录，将在张师傅（tech）重新登录后发送。',
    en: '1 unsent record is on this phone; it is sent when 张师傅 (tech) signs in again.',
  });
});

test('several records of one account read in the plural', () => {
  assert.deepEqual(inBoth(() => unsentNotice(waiting('usr_tech', 3), ACCOUNTS)), {
    zh: '本机还有 3 条未发送的记录，将在张师傅（tech）重新登录后发送。',
    en: '3 unsent records are on this phone; they are sent when 张师傅 (tech) signs in again.',
  });
});

test('records of several accounts list each account with its count, the most first', () => {
  const entries = [...waiting('usr_cleaner', 1), ...waiting('usr_tech', 2), { user_id: 'usr_tech', state: 'sent' }];
  assert.deepEqual(inBoth(() => unsentNotice(entries, ACCOUNTS)), {
    zh: '本机还有 3 条未发送的记录，各自在其账号重新登录后发送：张师傅（tech）2 条、李阿姨（cleaner）1 条。',
    en: '3 unsent records are on this phone; each is sent when its own account signs in again: 张师傅 (tech) 2, 李阿姨 (cleaner) 1.',
  });
});

test('an account this phone never recorded a name for is still counted, in words that agree', () => {
  assert.deepEqual(inBoth(() => unsentNotice(waiting('usr_old', 1), {})), {
    zh: '本机还有 1 条未发送的记录，将在原账号重新登录后发送。',
    en: '1 unsent record is on this phone; it is sent when the account that saved it signs in again.',
  });
  assert.equal(unsentNotice([], ACCOUNTS), '');
});
