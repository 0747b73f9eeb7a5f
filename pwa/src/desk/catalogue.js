// The special-service catalogue between the manager's proposal, the GM's word and the residents'
// notice (R-SS-1, D112), shared by the services page and the approvals page:
// - what the desk may book: an item approved and announced, at the fee residents were told
//   (`quoted_fee_cents`); an approved item not yet announced is listed disabled as 待公告;
// - the GM approves after a confirmation naming the item and the fee, or sends it back with a reason;
// - the manager's item form asks for the English name, the fee's unit and any advance (R-SS-2), and
//   revises an item the GM sent back.
import { confirmDialog } from '../dom.js';
import { actionDialog } from './action-dialog.js';
import { field, isEn, select } from './common.js';

export const CATALOGUE_STRINGS = {
  zh: {
    'cat.unannounced': '{name}（待公告）',
    'cat.new_item': '新项目 {fee}/{unit}',
    'cat.new_fee': '调价 {old} → {fee}/{unit}',
    'cat.prepayment': '预付 {amount}',
    'cat.deposit': '押金 {amount}',
    'cat.promise': '{min} 分钟内上门',
    'cat.rule_hint': '服务项目及收费须经总经理批准，向住户公告后方可提供',
    'cat.approve': '批准',
    'cat.approve_title': '批准特约服务收费',
    'cat.approve_item_body': '批准新项目「{name}」，收费 {fee}/{unit}？批准后须向住户公告，才能预约。',
    'cat.approve_fee_body': '批准「{name}」调价：{old} → {fee}/{unit}？新收费向住户公告后才按此收取。',
    'cat.approved': '已批准，待向住户公告',
    'cat.send_back': '退回',
    'cat.send_back_title': '退回「{name}」',
    'cat.send_back_hint': '写明退回原因，经理据此修改后重新提出。',
    'cat.send_back_reason': '退回原因',
    'cat.sent_back': '已退回经理',
    'cat.returned_item': '已退回：{reason}',
    'cat.returned_fee': '调价 {fee} 已退回：{reason}',
    'cat.announce': '向住户公告',
    'cat.announce_fee': '{fee}/{unit}（现按 {old} 预约）',
    'cat.announce_title': '向住户公告',
    'cat.announce_item_body': '向住户公告「{name}」，收费 {fee}/{unit}？公告后即可按此收费预约。',
    'cat.announce_fee_body': '向住户公告「{name}」新收费：{old} → {fee}/{unit}？公告后新的预约按新收费。',
    'cat.revise': '修改后重新提出',
    'cat.revise_title': '修改「{name}」并重新提出',
    'cat.revised': '已重新提出，待总经理审批',
    'cat.name_en': '英文名称',
    'cat.unit': '计费单位',
    'cat.unit.per_visit': '次',
    'cat.unit.per_piece': '件',
    'cat.unit.per_hour': '小时',
    'cat.advance': '预付/押金',
    'cat.advance.none': '无需预付',
    'cat.advance.prepayment': '预付款（抵扣收费）',
    'cat.advance.deposit': '押金（结算时退还）',
    'cat.advance_yuan': '预付/押金金额（元）',
    'cat.need_advance': '请填写预付或押金金额',
    'cat.returned_group': '特约服务 · 总经理退回 · 待修改后重新提出',
    'cat.go_revise': '去修改',
  },
  en: {
    'cat.unannounced': '{name} (to be announced)',
    'cat.new_item': 'New item {fee} per {unit}',
    'cat.new_fee': 'New fee {old} → {fee} per {unit}',
    'cat.prepayment': 'prepayment {amount}',
    'cat.deposit': 'deposit {amount}',
    'cat.promise': 'on site within {min} min',
    'cat.rule_hint': 'Items and fees are approved by the general manager and offered once announced to residents',
    'cat.approve': 'Approve',
    'cat.approve_title': 'Approve a special-service fee',
    'cat.approve_item_body': 'Approve the new item "{name}" at {fee} per {unit}? It can be booked once announced to residents.',
    'cat.approve_fee_body': 'Approve the new fee for "{name}": {old} → {fee} per {unit}? It applies once announced to residents.',
    'cat.approved': 'Approved; announce it to residents',
    'cat.send_back': 'Send back',
    'cat.send_back_title': 'Send back "{name}"',
    'cat.send_back_hint': 'Say why; the manager revises the proposal and proposes it again.',
    'cat.send_back_reason': 'Reason',
    'cat.sent_back': 'Sent back to the manager',
    'cat.returned_item': 'Sent back: {reason}',
    'cat.returned_fee': 'New fee {fee} sent back: {reason}',
    'cat.announce': 'Announce to residents',
    'cat.announce_fee': '{fee} per {unit} (booked at {old} until then)',
    'cat.announce_title': 'Announce to residents',
    'cat.announce_item_body': 'Announce "{name}" to residents at {fee} per {unit}? It can be booked at that fee at once.',
    'cat.announce_fee_body': 'Announce the new fee for "{name}" to residents: {old} → {fee} per {unit}? New bookings quote it at once.',
    'cat.revise': 'Revise and propose again',
    'cat.revise_title': 'Revise "{name}" and propose it again',
    'cat.revised': 'Proposed again; awaiting the general manager',
    'cat.name_en': 'English name',
    'cat.unit': 'Charged per',
    'cat.unit.per_visit': 'visit',
    'cat.unit.per_piece': 'piece',
    'cat.unit.per_hour': 'hour',
    'cat.advance': 'Advance',
    'cat.advance.none': 'None',
    'cat.advance.prepayment': 'Prepayment (counts towards the fee)',
    'cat.advance.deposit': 'Deposit (returned at settlement)',
    'cat.advance_yuan': 'Advance amount (yuan)',
    'cat.need_advance': 'Enter the prepayment or deposit amount',
    'cat.returned_group': 'Special services sent back by the general manager, to revise and propose again',
    'cat.go_revise': 'Revise',
  },
};

export const yuan = (cents) => (cents === null || cents === undefined ? '—' : `¥${(cents / 100).toFixed(2)}`);
const itemName = (i) => (isEn() ? i.name_en || i.name_zh : i.name_zh);
const unitOf = (i) => (isEn() ? i.unit_label_en : i.unit_label);

/**
 * The booking list's choices (pure): every approved item, those announced at the fee residents were
 * told (`quoted_fee_cents`, D112), those not yet announced disabled and marked. Returns
 * [{value, label, disabled}].
 */
export function bookingChoices(items, t) {
  return items.filter((i) => i.status === 'approved').map((i) => (i.bookable
    ? { value: i.code, label: `${itemName(i)} ${yuan(i.quoted_fee_cents ?? i.fee_cents)}/${unitOf(i)}`, disabled: false }
    : { value: i.code, label: t('cat.unannounced', { name: itemName(i) }), disabled: true }));
}

/** A <select> of bookingChoices with an empty first choice. */
export function bookingSelect(h, t, items, { name = 'item_code', empty }) {
  const sel = select(h, name, [], { required: true, empty });
  for (const c of bookingChoices(items, t)) sel.append(h('option', { value: c.value, disabled: c.disabled }, c.label));
  return sel;
}

/** What the GM is asked to approve, in words (pure): the fee, its unit, any advance, the promise. */
export function proposalText(i, t) {
  const unit = unitOf(i);
  const fee = i.status === 'proposed'
    ? t('cat.new_item', { fee: yuan(i.fee_cents), unit })
    : t('cat.new_fee', { old: yuan(i.fee_cents), fee: yuan(i.pending_fee_cents), unit });
  const extra = [];
  if (i.status === 'proposed' && i.advance && i.advance !== 'none') extra.push(t(`cat.${i.advance}`, { amount: yuan(i.advance_cents) }));
  if (i.status === 'proposed') extra.push(t('cat.promise', { min: i.promise_minutes }));
  return [fee, ...extra].join(' · ');
}

/** The GM's "no", shown to the manager (pure): the refused item or fee and the reason. */
export function sentBackText(i, t) {
  const b = i.sent_back;
  if (!b) return '';
  return b.price ? t('cat.returned_fee', { fee: yuan(b.fee_cents), reason: b.reason }) : t('cat.returned_item', { reason: b.reason });
}

/** The fee an announcement tells residents, and what bookings quote until then (pure). */
export function announceText(i, t) {
  const fee = yuan(i.fee_cents);
  const unit = unitOf(i);
  return i.quoted_fee_cents && i.quoted_fee_cents !== i.fee_cents
    ? t('cat.announce_fee', { fee, unit, old: yuan(i.quoted_fee_cents) })
    : `${fee}/${unit}`;
}

/** The GM approves after naming the item and the fee to themself (a one-click approval was too easy). */
export async function approveItem(ctx, i) {
  const { t, api } = ctx;
  const args = { name: itemName(i), fee: yuan(i.status === 'proposed' ? i.fee_cents : i.pending_fee_cents), old: yuan(i.fee_cents), unit: unitOf(i) };
  const ok = await confirmDialog({ title: t('cat.approve_title'), body: t(i.status === 'proposed' ? 'cat.approve_item_body' : 'cat.approve_fee_body', args),
    ok: t('cat.approve'), cancel: t('desk.cancel') });
  if (!ok) return null;
  return api.post(`/api/services/items/${encodeURIComponent(i.code)}/approve`, {});
}

/** Announcing changes what the desk books at once (D112), so it is confirmed naming the item and the
 *  fee told (and the fee it replaces, for a new fee); resolves with the item, or null if cancelled (D123). */
export async function announceItem(ctx, i) {
  const { t, api } = ctx;
  const old = i.quoted_fee_cents && i.quoted_fee_cents !== i.fee_cents ? yuan(i.quoted_fee_cents) : null;
  const args = { name: itemName(i), fee: yuan(i.fee_cents), old, unit: unitOf(i) };
  const ok = await confirmDialog({ title: t('cat.announce_title'), body: t(old ? 'cat.announce_fee_body' : 'cat.announce_item_body', args),
    ok: t('cat.announce'), cancel: t('desk.cancel') });
  if (!ok) return null;
  return api.post(`/api/services/items/${encodeURIComponent(i.code)}/announce`, {});
}

/** The GM sends the proposal back with a reason (required); resolves with the item, or undefined. */
export function sendBackItem(ctx, i) {
  const { h, t, api } = ctx;
  const reason = h('textarea', { name: 'reason', rows: 3, maxlength: 500, required: true, 'data-testid': 'send-back-reason' });
  return actionDialog(ctx, t('cat.send_back_title', { name: itemName(i) }), [field(h, t('cat.send_back_reason'), reason)],
    () => api.post(`/api/services/items/${encodeURIComponent(i.code)}/send-back`, { reason: reason.value.trim() }),
    { hint: t('cat.send_back_hint'), rule: 'R-SS-1', submitText: t('cat.send_back') });
}

const UNITS = ['per_visit', 'per_piece', 'per_hour'];
const ADVANCES = ['none', 'prepayment', 'deposit'];

/**
 * The item's terms as form fields (code only when new): names in both languages (English required),
 * fee and its unit, advance and its amount (R-SS-2), promise. `item` prefills a revision.
 */
export function itemFields(h, t, item = null) {
  const v = (k, d = '') => (item && item[k] !== undefined && item[k] !== null ? String(item[k]) : d);
  const advance = select(h, 'advance', ADVANCES.map((a) => [a, t(`cat.advance.${a}`)]), { value: v('advance', 'none') });
  const amount = h('input', { name: 'advance_yuan', type: 'number', min: '0.01', step: '0.01', value: item?.advance_cents ? (item.advance_cents / 100).toFixed(2) : '' });
  const amountField = field(h, t('cat.advance_yuan'), amount);
  const sync = () => {
    amountField.hidden = advance.value === 'none';
    amount.required = !amountField.hidden;
  };
  advance.addEventListener('change', sync);
  sync();
  return [
    item ? null : field(h, t('svc.code'), h('input', { name: 'code', required: true })),
    field(h, t('svc.item'), h('input', { name: 'name_zh', required: true, value: v('name_zh') })),
    field(h, t('cat.name_en'), h('input', { name: 'name_en', lang: 'en', required: true, value: v('name_en') })),
    field(h, t('svc.fee_yuan'), h('input', { name: 'fee', type: 'number', min: '0.01', step: '0.01', required: true, value: item ? (item.fee_cents / 100).toFixed(2) : '' })),
    field(h, t('cat.unit'), select(h, 'unit', UNITS.map((u) => [u, t(`cat.unit.${u}`)]), { value: v('unit', 'per_visit') })),
    field(h, t('cat.advance'), advance),
    amountField,
    field(h, t('svc.promise'), h('input', { name: 'promise', type: 'number', min: '1', value: v('promise_minutes', '25') })),
  ].filter(Boolean);
}

/** The JSON the propose and revise routes take, from the form's values (pure; `get(name)` reads one). */
export function itemBody(get) {
  const advance = String(get('advance') || 'none');
  return {
    ...(get('code') !== null && get('code') !== undefined ? { code: String(get('code')).trim() } : {}),
    name_zh: String(get('name_zh') || '').trim(),
    // No fallback to the Chinese name: English screens showed 空调加氟 (D112); the server requires it.
    name_en: String(get('name_en') || '').trim(),
    fee_cents: Math.round(Number(get('fee')) * 100),
    unit: String(get('unit') || 'per_visit'),
    promise_minutes: Number(get('promise')) || 25,
    advance,
    advance_cents: advance === 'none' ? 0 : Math.round(Number(get('advance_yuan')) * 100),
  };
}

/** The manager revises a sent-back item in a dialog and proposes it again. */
export function reviseItem(ctx, i) {
  const { h, t, api } = ctx;
  const fields = itemFields(h, t, i);
  const wrap = h('div', { class: 'desk-dialog-fields' }, fields);
  return actionDialog(ctx, t('cat.revise_title', { name: itemName(i) }), [sentBackText(i, t) ? h('p', { class: 'warn-text small', text: sentBackText(i, t) }) : null, wrap],
    () => {
      const get = (n) => wrap.querySelector(`[name="${n}"]`)?.value ?? null;
      return api.post(`/api/services/items/${encodeURIComponent(i.code)}/revise`, itemBody(get));
    }, { rule: 'R-SS-1', submitText: t('cat.revise') });
}
