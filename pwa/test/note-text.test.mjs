// A note that is only a photo reads "photo" in the screen's language, on the phone and at the desk
// (D145): the server stores no words for it, and a note stored before with the server's Chinese
// placeholder reads the same, never "（照片）" on an English screen.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { noteText } from '../src/notes.js';

const SHA = 'ab'.repeat(32);

test('a photo without words is labelled in the screen language', () => {
  setLang('en');
  assert.equal(noteText({ text: '', photo_sha256: SHA }), '(photo)');
  assert.equal(noteText({ text: '  ', photo_sha256: SHA }), '(photo)');
  setLang('zh');
  assert.equal(noteText({ text: '', photo_sha256: SHA }), '（照片）');
});

test("a note stored with the server's Chinese placeholder reads as the label too", () => {
  setLang('en');
  assert.equal(noteText({ text: '（照片）', photo_sha256: SHA }), '(photo)');
  assert.equal(noteText({ text: '现场照片', photo_sha256: SHA }), '(photo)');
  setLang('zh');
  assert.equal(noteText({ text: '现场照片', photo_sha256: SHA }), '（照片）');
});

test('words someone wrote are shown as written, with or without a photo', () => {
  setLang('en');
  assert.equal(noteText({ text: '墙角返潮', photo_sha256: SHA }), '墙角返潮');
  assert.equal(noteText({ text: '已到楼下' }), '已到楼下');
  // Without a photo the same words were typed by a person: kept.
  assert.equal(noteText({ text: '（照片）' }), '（照片）');
  assert.equal(noteText({ content: '楼上渗水' }), '楼上渗水');
  assert.equal(noteText({ text: '' }), '');
});
