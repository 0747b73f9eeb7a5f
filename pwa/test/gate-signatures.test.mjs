// The guard's phone shows who signed a slip, and the signature image, only beside a proven item list
// (D42, R-RS-1); gate names come from the feed's gate_directory document or the keys answer.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { cleanSignatures, gateNames, slipDetails } from '../src/gate/details.js';
import { verifySlip } from '../src/gate/verify.js';

const data = JSON.parse(readFileSync(new URL('../../tests/vectors/release_slips.json', import.meta.url), 'utf8'));
const signedFor = data.gate_slips.find((g) => g.name === 'the list the slip was signed for').doc;
const altered = data.gate_slips.find((g) => g.name === 'a quantity changed').doc;
const valid = data.vectors.find((v) => v.name === 'valid');
// The signed claims, as the phone gets them from verifying the payload.
const claimsOf = (doc) => verifySlip(doc.payload, {
  keys: data.keys, revoked: new Set(), usedIds: new Set(), now: valid.now * 1000,
  cacheFetchedAt: valid.now * 1000 - 3_600_000, maxCacheAgeMs: 86_400_000,
}).slip;

test('a proven slip shows who signed it and the signature image', async () => { // R-RS-1
  const claims = claimsOf(signedFor);
  const details = await slipDetails(claims, signedFor);
  assert.equal(details.proven, true);
  assert.deepEqual(details.signatures.map((s) => [s.signer, s.name, s.relation]), [['requester', '黄业主', 'owner']]);
  assert.match(details.signatures[0].image, /^data:image\/png;base64,/);
});

test('a document that disagrees with the signed list shows no signature', async () => { // R-RS-1
  const claims = claimsOf(altered);
  const details = await slipDetails(claims, altered);
  assert.equal(details.proven, false);
  assert.deepEqual(details.signatures, []);
});

test('only inline raster images are kept; unknown signers are dropped', () => {
  const out = cleanSignatures([
    { signer: 'requester', name: 'A', relation: 'owner', image: 'javascript:alert(1)' },
    { signer: 'owner', name: '', relation: 'owner', image: 'data:image/svg+xml;base64,PHN2Zz4=' },
    { signer: 'someone', name: 'B', relation: 'owner' },
  ]);
  assert.deepEqual(out.map((s) => [s.signer, s.image]), [['requester', null], ['owner', null]]);
});

test('gate names come from the feed, else from the keys answer', () => {
  const docs = [{ entity: 'gate_directory', id: 'cmp', doc: { gates: [{ code: 'N', name: '北门' }] } }];
  assert.deepEqual([...gateNames(docs, { gates: [{ code: 'S', name: '南门' }] })], [['N', '北门']]);
  assert.deepEqual([...gateNames([], { gates: [{ code: 'S', name: '南门' }] })], [['S', '南门']]);
  assert.equal(gateNames([], null).size, 0);
});
