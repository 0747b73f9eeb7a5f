// The completion form's draft holds the resident's signature (D91, guarantee 6): it is deleted only when
// the job is done. A job missing from this phone's store — cleared when another worker signed in, before
// the returning worker's pull, or removed by a pull — is no proof the signed slip was sent, and the form
// that opens on it must leave the draft alone.
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';

// Just enough of a document for the form's "nothing to complete" page.
class FakeNode {}
class FakeElement extends FakeNode {
  constructor(tag) {
    super();
    this.tag = tag;
    this.children = [];
    this.dataset = {};
    this.attrs = {};
  }
  setAttribute(k, v) { this.attrs[k] = v; }
  addEventListener() {}
  append(...c) { this.children.push(...c); }
  replaceChildren(...c) { this.children = c; }
}
globalThis.Node = FakeNode;
globalThis.document = { createElement: (tag) => new FakeElement(tag), createTextNode: (text) => Object.assign(new FakeNode(), { text }) };

const { db, getDraft, putDraft } = await import('../src/db.js');
const { render } = await import('../src/views/complete.js');

const USER = 'usr_tech';
const signature = [{ penColor: '#111', points: [{ x: 10, y: 20, pressure: 0.5, time: 1 }] }];
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

test('a job not on this phone keeps the draft with the resident\'s signature', async () => {
  await putDraft(USER, 'complete', 'wo_gone', { work_done: '换阀芯', signature });
  await render(new FakeElement('main'), ['wo_gone'], { user: { id: USER } });
  await settle();
  assert.deepEqual((await getDraft(USER, 'complete', 'wo_gone'))?.signature, signature);
});

test('a job done is nothing left to complete: its draft is deleted', async () => {
  await (await db()).put('jobs', { id: 'wo_done', state: 'completed', case_no: 'GD1' });
  await putDraft(USER, 'complete', 'wo_done', { work_done: '换阀芯', signature });
  await render(new FakeElement('main'), ['wo_done'], { user: { id: USER } });
  await settle();
  assert.equal(await getDraft(USER, 'complete', 'wo_done'), undefined);
});
