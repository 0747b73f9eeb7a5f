// Wall-clock times in the compound's zone, whatever zone the device (here: node) is set to.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { displayZone, setDisplayZone, toZonedDate, toZonedInput, zonedParts, zonedToIso } from '../src/zone.js';

test('a Shanghai wall-clock time entered on a device in another zone names the right instant', () => {
  setDisplayZone('Asia/Shanghai');
  assert.equal(zonedToIso('2026-11-23T09:05'), '2026-11-23T01:05:00.000Z');
  assert.equal(zonedToIso('2026-11-23'), '2026-11-22T16:00:00.000Z');
  assert.equal(toZonedInput(Date.parse('2026-11-22T19:04:00Z')), '2026-11-23T03:04');
  assert.equal(toZonedDate(Date.parse('2026-11-22T19:04:00Z')), '2026-11-23');
  assert.deepEqual(zonedParts(new Date('2026-12-31T16:30:00Z')),
    { year: 2027, month: 1, day: 1, hour: 0, minute: 30, second: 0 });
});

test('round trips hold on both sides of a daylight-saving change', () => {
  setDisplayZone('Europe/Berlin');
  assert.equal(zonedToIso('2026-03-29T03:30'), '2026-03-29T01:30:00.000Z'); // just after spring forward (+2)
  assert.equal(zonedToIso('2026-03-29T01:30'), '2026-03-29T00:30:00.000Z'); // just before (+1)
  assert.equal(zonedToIso('2026-10-26T12:00'), '2026-10-26T11:00:00.000Z'); // back to +1
  for (const iso of ['2026-03-29T01:30:00.000Z', '2026-07-01T10:00:00.000Z', '2026-12-01T23:59:00.000Z']) {
    assert.equal(zonedToIso(toZonedInput(Date.parse(iso))), iso);
  }
});

test('bad input gives null, and an unknown zone falls back to the device zone', () => {
  setDisplayZone('Asia/Shanghai');
  assert.equal(zonedToIso(''), null);
  assert.equal(zonedToIso('23/11/2026 09:05'), null);
  setDisplayZone('Mars/Olympus_Mons');
  assert.equal(displayZone(), undefined);
  setDisplayZone(undefined);
  assert.equal(displayZone(), undefined);
});
