// What registering does with a call marked on the intake form (R-EM-5, D73, D82, D85): a mark made
// more than the server's 30 minutes before sending waits for the desk to confirm it, one past 12 hours
// stops the sending until the desk removes it (and writes the time into the details), as the server
// would refuse them otherwise; the form is never replaced while a mark stands on it unsent.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { markState, submitBlock } from '../src/desk/intake.js';

const TABLE = { help_kind: { disaster: ['119'] }, trigger: {}, call_confirm_after_minutes: 30, call_max_age_minutes: 720 };
const SENT = new Date('2026-12-07T06:00:00Z');
const ago = (min) => new Date(SENT - min * 60000);
const state = (mark, callable = ['119']) => markState(mark, { ref: SENT, callable, table: TABLE });

test('a mark made within 30 minutes of sending is sent as it is', () => { // R-EM-5
  assert.equal(state({ number: '119', at: ago(30) }), 'sent');
});

test('a mark made more than 30 minutes before sending needs the desk to confirm it', () => { // R-EM-5
  assert.equal(state({ number: '119', at: ago(31) }), 'needs_confirm');
  assert.equal(state({ number: '119', at: ago(31), confirmed: true }), 'sent');
});

test('a mark made more than 12 hours before sending is too old, confirmed or not', () => { // R-EM-5
  assert.equal(state({ number: '119', at: ago(721), confirmed: true }), 'too_old');
  assert.equal(state({ number: '119', at: ago(720), confirmed: true }), 'sent');
});

test('a mark for a number the matter no longer calls for is set aside first (D82)', () => { // R-EM-5
  assert.equal(state({ number: '119', at: ago(90) }, ['120']), 'not_applicable');
});

const block = (marks, callable = ['119']) => submitBlock(marks, { ref: SENT, callable, table: TABLE });

test('a mark over 12 hours stops the sending, confirmed or not, so it is not lost with the form', () => { // R-EM-5
  assert.equal(block([{ number: '119', at: ago(721), confirmed: true }]), 'too_old');
  assert.equal(block([{ number: '119', at: ago(5) }, { number: '119', at: ago(721) }]), 'too_old');
});

test('a mark waiting for the desk to confirm stops the sending; one sent or not called for does not', () => { // R-EM-5
  assert.equal(block([{ number: '119', at: ago(31) }]), 'needs_confirm');
  assert.equal(block([{ number: '119', at: ago(31), confirmed: true }]), null);
  assert.equal(block([{ number: '119', at: ago(900) }], ['120']), null); // D82: set aside, shown struck through
  assert.equal(block([]), null);
});

test('a mark too old is named before one to confirm: confirming would not let it through', () => { // R-EM-5
  assert.equal(block([{ number: '119', at: ago(31) }, { number: '119', at: ago(721) }]), 'too_old');
});
