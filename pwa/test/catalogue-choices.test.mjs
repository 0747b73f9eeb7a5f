// The catalogue between the GM's word and the residents' notice (R-SS-1, D112): the desk books only
// what was announced, at the fee residents were told; the GM sees what is asked without rule codes;
// the manager's form sends the English name, the unit and the advance, never the Chinese name twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { approvalGroups } from '../src/desk/approvals.js';
import { CATALOGUE_STRINGS, announceText, bookingChoices, itemBody, proposalText, sentBackText } from '../src/desk/catalogue.js';

const fill = (s, args = {}) => s.replace(/\{(\w+)\}/g, (_, k) => String(args[k]));
const t = (key, args) => fill(CATALOGUE_STRINGS.zh[key] ?? key, args);
const base = { unit_label: '次', unit_label_en: 'visit', promise_minutes: 25, advance: 'none', advance_cents: 0 };
const items = [
  { ...base, code: 'ac_refill', name_zh: '空调加氟', status: 'approved', fee_cents: 15000, quoted_fee_cents: null, bookable: false },
  { ...base, code: 'unlock', name_zh: '开锁', status: 'approved', fee_cents: 6000, quoted_fee_cents: 5000, announced_fee_cents: 5000, bookable: true },
  { ...base, code: 'drain', name_zh: '疏通下水道', status: 'approved', fee_cents: 8000, quoted_fee_cents: 8000, bookable: true },
  { ...base, code: 'new', name_zh: '擦窗', status: 'proposed', fee_cents: 100, bookable: false },
];

test('an approved item not yet announced is listed disabled and a new fee is not quoted before its notice', () => { // R-SS-1
  const choices = bookingChoices(items, t);
  assert.deepEqual(choices, [
    { value: 'ac_refill', label: '空调加氟（待公告）', disabled: true },
    { value: 'unlock', label: '开锁 ¥50.00/次', disabled: false },
    { value: 'drain', label: '疏通下水道 ¥80.00/次', disabled: false },
  ]);
  assert.equal(announceText(items[1], t), '¥60.00/次（现按 ¥50.00 预约）');
  assert.equal(announceText(items[2], t), '¥80.00/次');
});

test('the GM reads what is asked: the fee with its unit, the advance and the promise', () => { // R-SS-1 R-SS-2
  const asked = { ...base, status: 'proposed', fee_cents: 30000, advance: 'prepayment', advance_cents: 10000 };
  assert.equal(proposalText(asked, t), '新项目 ¥300.00/次 · 预付 ¥100.00 · 25 分钟内上门');
  assert.equal(proposalText({ ...base, status: 'approved', fee_cents: 5000, pending_fee_cents: 6000 }, t), '调价 ¥50.00 → ¥60.00/次');
  assert.ok(!/R-SS/.test(proposalText(asked, t)));
});

test('what the GM sent back waits for the manager, with the reason', () => { // R-SS-1
  const back = [
    { ...base, code: 'ac', status: 'returned', fee_cents: 15000, sent_back: { price: false, fee_cents: 15000, reason: '收费偏高', at: '2026-12-07T12:00:00Z' } },
    { ...base, code: 'unlock', status: 'approved', fee_cents: 5000, sent_back: { price: true, fee_cents: 6000, reason: '本季不调价', at: '2026-12-07T12:00:00Z' } },
  ];
  const returned = approvalGroups(['manager'], { items: back }).find((g) => g.key === 'returned');
  assert.deepEqual(returned.rows.map((i) => i.code), ['ac', 'unlock']);
  assert.ok(!approvalGroups(['general_manager'], { items: back }).some((g) => g.key === 'returned'));
  assert.equal(sentBackText(back[0], t), '已退回：收费偏高');
  assert.equal(sentBackText(back[1], t), '调价 ¥60.00 已退回：本季不调价');
});

test('the item form sends the English name as typed, the unit and the advance', () => { // R-SS-1 R-SS-2
  const form = { code: ' ac ', name_zh: '空调加氟', name_en: '', fee: '150', unit: 'per_hour', promise: '30', advance: 'deposit', advance_yuan: '50' };
  const body = itemBody((n) => (n in form ? form[n] : null));
  assert.deepEqual(body, { code: 'ac', name_zh: '空调加氟', name_en: '', fee_cents: 15000, unit: 'per_hour', promise_minutes: 30,
    advance: 'deposit', advance_cents: 5000 });
  const none = itemBody((n) => ({ ...form, advance: 'none' })[n] ?? null);
  assert.equal(none.advance_cents, 0);
  assert.ok(!('code' in itemBody((n) => (n === 'code' ? null : form[n] ?? null))));
});
