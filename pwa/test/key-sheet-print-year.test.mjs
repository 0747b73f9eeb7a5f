// A loan on the key sheets says when the key is due back: on screen "应还 12/31 17:30" as every time this year
// (D81), on the printed sheet always with the year (README: a printed sheet carries the year; fmtFull, the
// formatter of the other A4 sheets, D110). The reviewer's sheet printed "应还 01/01 08:30" with no year (R-KY-1).
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';

import { loanText } from '../src/desk/keys.js';
import { STRINGS } from '../src/desk/keys-strings.js';
import { registerStrings, setLang, t } from '../src/i18n.js';
import { setDisplayZone } from '../src/zone.js';

registerStrings(STRINGS);
setDisplayZone('Asia/Shanghai');
// 31 December 2026, 20:00 in Shanghai; the key is due the next morning, in 2027, and a second one this year.
mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-12-31T12:00:00Z') });

// A DOM-free h(): elements as plain objects, enough to read what shows on screen and what prints.
const h = (tag, props, ...children) => ({ tag, cls: [props?.class ?? ''].flat().filter(Boolean).join(' '), text: props?.text ?? '', children: children.flat() });
const classes = (node) => (node?.cls || '').split(/\s+/);

/** The text of `node` as it reads on `medium`: what is hidden there ('no-print' on paper, 'print-only…' on screen) is left out. */
function read(node, medium) {
  if (node === null || node === undefined || node === false) return '';
  if (typeof node !== 'object') return String(node);
  const hidden = medium === 'print' ? classes(node).includes('no-print') : classes(node).some((c) => c.startsWith('print-only'));
  if (hidden) return '';
  return node.text + node.children.map((c) => read(c, medium)).join('');
}

const loan = (due) => ({ borrower_name: '装修工人老王', borrower_kind: 'staff', due_at: due, overdue: false });

test('the printed key sheet gives a due time with its year; the screen keeps this year short', () => { // R-KY-1
  for (const lang of ['zh', 'en']) {
    setLang(lang);
    const due = t('key.due');
    const nextYear = loanText({ h, t }, loan('2027-01-01T00:30:00Z'));
    assert.match(read(nextYear, 'print'), new RegExp(`${due} 2027/01/01 08:30`), lang);
    const thisYear = loanText({ h, t }, loan('2026-12-31T09:30:00Z'));
    assert.match(read(thisYear, 'print'), new RegExp(`${due} 2026/12/31 17:30`), lang);
    assert.match(read(thisYear, 'screen'), new RegExp(`${due} 12/31 17:30`), lang);
    assert.doesNotMatch(read(thisYear, 'screen'), /2026/, lang);
  }
  setLang('zh');
});
