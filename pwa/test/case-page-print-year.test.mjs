// On paper every time carries its year (README; D81, D136): the printed case page wrote its received time,
// clocks, history, emergency panel, follow-ups, slip and call-back as "12/07 16:50" — only the work-order
// table had the year — and the printed handover sheet its due times likewise. On screen this year's times
// stay short ("12/07 16:50", D137). The case page keeps one text and writes the year before a time by the
// print stylesheet only (whenEl's data-year; desk.css .desk-when).
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';

import { registerStrings, setLang, t } from '../src/i18n.js';
import { registerDeskStrings } from '../src/desk/strings.js';
import { dayEl, fmtFull, printedDue, whenEl, withWhen } from '../src/desk/common.js';
import { followUpLine, openingLines } from '../src/desk/detail.js';
import { dueWhenBuilt } from '../src/desk/handover.js';
import { setDisplayZone } from '../src/zone.js';

registerDeskStrings(registerStrings);
setDisplayZone('Asia/Shanghai');
mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-12-07T08:00:00Z') });

// A DOM-free h(): elements as plain objects, enough to read a node as the screen and as paper show it.
const h = (tag, props, ...children) => ({
  tag, cls: [props?.class ?? ''].flat().filter(Boolean).join(' '), text: props?.text ?? '', dataset: props?.dataset || {}, children: children.flat(),
});

/** The text of `node` on `medium`: on paper a .desk-when is preceded by its data-year, as desk.css writes it. */
function read(node, medium) {
  if (node === null || node === undefined || node === false) return '';
  if (Array.isArray(node)) return node.map((n) => read(n, medium)).join('');
  if (typeof node !== 'object') return String(node);
  const year = medium === 'print' && node.cls.split(' ').includes('desk-when') ? node.dataset.year || '' : '';
  return year + node.text + node.children.map((c) => read(c, medium)).join('');
}

const staff = [{ id: 'usr_dispatcher', display_name: '王调度' }, { id: 'usr_lead', display_name: '陈班长' }];

test('a time this year reads short on screen and with its year on paper; another year has it on both', () => { // R-IN-1
  const thisYear = whenEl(h, '2026-12-07T08:50:00Z');
  assert.equal(read(thisYear, 'screen'), '12/07 16:50');
  assert.equal(read(thisYear, 'print'), '2026/12/07 16:50');
  const lastYear = whenEl(h, '2025-12-07T08:50:00Z');
  assert.equal(read(lastYear, 'screen'), '2025/12/07 16:50');
  assert.equal(read(lastYear, 'print'), '2025/12/07 16:50'); // written once, not "2025/2025/…"
  assert.equal(read(dayEl(h, '2026-12-10'), 'print'), '2026/12/10');
  assert.equal(read(dayEl(h, '2026-12-10'), 'screen'), '12/10');
  assert.equal(whenEl(h, null), '');
});

test('a sentence keeps its words in the translation\'s order and its times their year on paper', () => { // R-OP-3, R-FU-7
  const op = { opened: true, reason: 'A', decided_by: 'usr_lead', decided_at: '2026-12-07T03:57:00Z', escalated: true };
  const ref = { by: 'usr_dispatcher', at: '2026-12-07T03:50:00Z', to_id: 'usr_lead', note: '' };
  for (const lang of ['zh', 'en']) {
    setLang(lang);
    const parts = withWhen(h, (time) => openingLines(op, ref, staff, time).detail);
    // On screen exactly what the case page wrote before.
    assert.equal(read(parts, 'screen'), openingLines(op, ref, staff).detail, lang);
    assert.equal(read(parts, 'print'), openingLines(op, ref, staff).detail.replace(/12\/07/g, '2026/12/07'), lang);
  }
  setLang('zh');
  const f = { at: '2026-12-07T04:00:00Z', kind: 'delay_notice', by: 'usr_dispatcher', note: '师傅堵车', new_due_at: '2026-12-07T05:30:00Z' };
  const printed = read(withWhen(h, (time) => followUpLine(f, staff, [], time).text), 'print');
  assert.match(printed, /^2026\/12\/07 12:00 · .* · 新约定 2026\/12\/07 13:30$/);
  // Days too: a promised feedback date.
  assert.equal(read(withWhen(h, (time, day) => `${day('2026-12-10')} · ${time('2026-12-07T04:00:00Z')}`), 'print'), '2026/12/10 · 2026/12/07 12:00');
});

test('the printed handover sheet and a printed countdown give a due time with its year', () => { // R-SH-1
  const built = '2026-12-07T10:00:00Z';
  const item = { next_due_at: '2026-12-07T09:00:00Z' };
  assert.match(dueWhenBuilt(item, built), /^12\/07 17:00/); // the screen's list
  assert.match(dueWhenBuilt(item, built, fmtFull), /^2026\/12\/07 17:00/); // the printed sheet's
  assert.equal(printedDue(t, '2026-12-07T09:00:00Z', true, false), '截止 2026/12/07 17:00 · 已超时');
});
