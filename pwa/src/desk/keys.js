// The key cabinet (R-KY-1): keys filed by building, floor and type; signed loans; an outsider's ID
// and deposit, settled (refunded, kept, or part of each) when the loan ends; each key's loans; this
// month's count and the counts of the months that have ended, each printable as a signed sheet.
// A refund is recorded against its refund receipt; a return recorded by mistake is undone the same
// day from the key's loans (dispatcher, manager); an ended month's sheet records the physical count.
// A loss reported by mistake is undone the same day (dispatcher, manager); a key really lost and found
// again is put back in the cabinet (找回), its loss kept. Each count lists the deposits settled in it.
// A deposit kept at a loss is refunded once the key is found, in the month it is handed back; a recorded
// physical count is amended the day it was recorded; an ended month's sheet downloads as a workbook (D86).
// Routes: #/keys, #/keys/<key id> (the key's loans), #/keys/month/<yyyy-mm> (an ended month's sheet).
import { ensureStylesheet, missingRequired, mount, openDialog } from '../dom.js';
import { DESK } from '../roles.js';
import { colonPair, joinList } from '../i18n.js';
import { zonedToIso } from '../zone.js';
import { blobObjectUrl, errorBox, field, floorText, fmtDay, fmtFull, fmtTime, isEn, loadStaff, select } from './common.js';
import { STRINGS } from './keys-strings.js';
import { signatureDialog } from './signature.js';

let stringsDone = false;

function setup(ctx) {
  if (!stringsDone) {
    ctx.registerStrings(STRINGS);
    stringsDone = true;
  }
  // The cabinet shares the reports' table, form and print-sheet styles.
  ensureStylesheet('/reports.css');
}

// A kept deposit handed back is a negative kept amount (D86): the sign goes before the currency.
const yuan = (cents) => (cents === null || cents === undefined ? '—' : `${cents < 0 ? '-' : ''}¥${(Math.abs(cents) / 100).toFixed(2)}`);
// The ID kinds an outsider may show (server/domain/keys.py IdDocType).
const KEY_ID_DOCS = ['resident_id_card', 'passport', 'hk_macao_permit', 'taiwan_permit', 'driving_licence', 'other'];
const KEY_TYPES = ['resident_entrusted', 'plant_room_spare', 'other'];
// Who may undo a recorded return and who records the physical count: the roles of those routes
// (docs/api-contract.md; pwa/test/key-roles.test.mjs holds these to it), so no one is offered a
// button the server would refuse.
export const KEY_ACTION_ROLES = {
  correctReturn: ['dispatcher', 'manager'],
  recordCount: DESK,
  correctLoss: ['dispatcher', 'manager'],
  recordFound: DESK,
  // The server also says, per loan and per count, whether it may be done now (kept_refundable, amendable).
  refundKept: DESK,
  amendCount: DESK,
};
const mayDo = (ctx, action) => (ctx.user?.roles || []).some((r) => KEY_ACTION_ROLES[action].includes(r));

// Each cell carries its column's header (data-label): on a phone the rows stack into cards that
// show it beside the value (desk.css, desk/tables.js).
function table(h, head, rows, { empty, cls = null } = {}) {
  if (!rows.length) return h('p', { class: 'muted', text: empty });
  return h('div', { class: 'table-wrap' }, h('table', { class: ['rpt-table', cls] },
    h('thead', null, h('tr', null, head.map((x) => h('th', { text: x })))),
    h('tbody', null, rows.map((r) => h('tr', null, r.map((c, i) => h('td', { 'data-label': head[i] ?? '' }, c)))))));
}

export async function renderKeys(root, ctx, sub) {
  setup(ctx);
  const month = /^month\/(\d{4})-(\d{2})$/.exec(sub || '');
  if (month) return renderMonth(root, ctx, Number(month[1]), Number(month[2]));
  if (sub) return renderHistory(root, ctx, sub);
  return renderCabinet(root, ctx);
}

// ---- what the cabinet and the count sheets share ----------------------------------------------

/** The month's figures and its deposits; `period` names an ended month, none is this month so far. */
function countCard(ctx, count, period = null) {
  const { h, t } = ctx;
  const money = { held: yuan(count.deposits_held_cents), refunded: yuan(count.deposits_refunded_cents), kept: yuan(count.deposits_kept_cents) };
  return h('div', { class: 'card rpt-key-count', 'data-testid': 'key-count' },
    h('span', { class: 'rpt-key-figures' },
      h('span', { text: period ? t('key.count_month', { ...count, period }) : t('key.count', count) }),
      h('span', { class: 'small', 'data-testid': 'key-deposits', text: t(period ? 'key.deposits_month' : 'key.deposits', money) }),
      // Kept deposits handed back this month, the keys found: in the refunds, off the kept (D86).
      count.deposits_kept_refunded_cents ? h('span', { class: 'small', 'data-testid': 'key-kept-refunded',
        text: t('key.deposits_kept_refunded', { amount: yuan(count.deposits_kept_refunded_cents) }) }) : null,
      // Losses reported in the month (a key found since still counts: it was lost) and keys found (D80).
      h('span', { class: 'small', 'data-testid': 'key-losses', text: t(period ? 'key.losses_month' : 'key.losses',
        { lost: count.lost_in_period ?? 0, found: count.found_in_period ?? 0 }) })),
    h('span', { class: 'print-only small', text: period ? t('key.month_asof', { period }) : t('key.counted_at', { at: fmtFull(count.counted_at) }) }),
    h('button', { type: 'button', class: 'btn btn-small no-print', 'data-testid': 'key-print', onclick: () => window.print() }, t('key.print')));
}

/** The signature lines at the foot of a printed sheet (the count is reported on paper, R-KY-1). */
function signLines(ctx, first) {
  const { h, t } = ctx;
  return h('div', { class: 'print-only rpt-print-signs', 'data-testid': 'key-print-signs' },
    h('p', null, t(first), h('span', { class: 'rpt-sign-line' }), ' ', t('key.sign_date'), h('span', { class: 'rpt-sign-line' })),
    h('p', null, t('key.reviewer_sign'), h('span', { class: 'rpt-sign-line' }), ' ', t('key.sign_date'), h('span', { class: 'rpt-sign-line' })));
}

// An outsider's loan says what was taken against it — the ID shown and the deposit with its
// receipt — so whoever takes the key back knows what to settle and against which receipt.
// The due time reads as every time on screen ('12/31 17:30' this year, D81) and prints with its year, as on
// every printed sheet (fmtFull, D110): a sheet filed in January cannot say which "01/01" it meant (R-KY-1).
export function loanText(ctx, loan) {
  const { h, t } = ctx;
  const terms = loan.borrower_kind === 'outsider' && loan.id_shown ? t('key.outsider_terms', {
    doc: t(`key.doc.${loan.id_shown.doc_type}`), last4: loan.id_shown.last4,
    deposit: yuan(loan.deposit_cents), receipt: loan.deposit_receipt_no || '',
  }) : null;
  return h('span', { class: loan.overdue ? 'rpt-overdue' : '', 'data-testid': 'key-loan' },
    `${loan.borrower_name} · ${t('key.due')} `,
    h('span', { class: 'no-print', text: fmtTime(loan.due_at) }),
    h('span', { class: 'print-only-inline', 'data-testid': 'key-loan-due-print', text: fmtFull(loan.due_at) }),
    loan.overdue ? ` · ${t('key.overdue')}` : '',
    terms ? h('span', { class: 'small muted rpt-loan-terms', text: terms }) : null,
    // The number an overdue key is chased on (D119); loans made before it was asked have none.
    loan.borrower_phone ? h('span', { class: 'small muted rpt-loan-terms', 'data-testid': 'key-loan-phone',
      text: t('key.phone_of', { phone: loan.borrower_phone }) }) : null);
}

/**
 * The cabinet in filing order, as a count sheet: on paper the last column is left empty for the
 * counter's tick (desk.css), so `controls` (the working page's buttons) never print.
 */
function countTable(ctx, rows, controls) {
  const { h, t } = ctx;
  const el = table(h, [t('key.building'), t('key.floor'), t('key.type'), t('key.label'), t('key.state'), ''], rows.map((row) => {
    const { key: k, loan } = row;
    return [
      k.building, k.floor, t(`key.type.${k.key_type}`),
      h('a', { href: `#/keys/${encodeURIComponent(k.id)}`, 'data-testid': 'key-history-link', title: t('key.history') }, k.label),
      loan ? loanText(ctx, loan) : t(`key.state.${k.state}`),
      controls ? controls(k, loan, row) : '',
    ];
  }), { empty: t('key.none'), cls: 'key-count-table' });
  const lastHead = el.querySelector('th:last-child');
  if (lastHead) lastHead.dataset.print = t('key.checked');
  return el;
}

// ---- ending a loan: the return, or the key lost while out ---------------------------------------

/**
 * Asks before a loan ends, and records it from inside the dialog so a refusal is read where the
 * figures were typed. A loan that took a deposit says how it is settled (R-KY-1): the refund (the
 * whole deposit offered on a return, nothing on a loss) and, for whatever is kept, the reason.
 * Resolves true once the server has recorded it.
 */
function endLoanDialog(ctx, k, loan, lost) {
  const { h, t } = ctx;
  const deposit = loan.deposit_cents || 0;
  return openDialog((close) => {
    const err = errorBox(h);
    const refund = h('input', {
      name: 'refund', type: 'number', min: '0', step: '0.01', inputmode: 'decimal',
      value: lost ? '0' : (deposit / 100).toFixed(2),
    });
    const reason = h('input', { name: 'kept_reason', maxlength: 200, value: lost ? t('key.lost_reason_default') : '' });
    const reasonField = field(h, t('key.kept_reason'), reason, t('key.kept_reason_hint'));
    // Money handed back is signed for on a refund receipt: its number goes on the record (D72).
    const receipt = h('input', { name: 'refund_receipt_no', maxlength: 40 });
    const receiptField = field(h, t('key.refund_receipt'), receipt, t('key.refund_receipt_hint'));
    const line = h('p', { class: 'small', 'data-testid': 'key-settle-line' });
    // What happened, asked with every loss (D119): a search, a lock change or a kept deposit rests on it.
    const account = lost ? lossAccount(ctx) : null;
    const cents = () => (refund.value.trim() === '' ? NaN : Math.round(Number(refund.value) * 100));
    const sync = () => {
      const r = cents();
      const valid = Number.isFinite(r) && r >= 0 && r <= deposit;
      line.textContent = valid ? t('key.settle_line', { refund: yuan(r), kept: yuan(deposit - r) }) : '';
      reasonField.hidden = !(valid && r < deposit);
      receiptField.hidden = !(valid && r > 0);
    };
    refund.addEventListener('input', sync);
    sync();
    const ok = h('button', { type: 'button', class: ['btn', lost ? 'btn-danger' : 'btn-primary'], 'data-testid': 'key-end-ok' },
      t(lost ? 'key.lost_ok' : 'key.return_ok'));
    ok.addEventListener('click', async () => {
      err.clear();
      if (account && !account.value()) return err.show(t('key.loss_account_needed'), t);
      let body = account ? { account: account.value() } : {};
      if (deposit) {
        const r = cents();
        if (!Number.isFinite(r) || r < 0) return err.show(t('key.refund_bad'), t);
        if (r > deposit) return err.show(t('key.refund_too_much', { deposit: yuan(deposit) }), t);
        if (r < deposit && !reason.value.trim()) return err.show(t('key.reason_needed'), t);
        if (r > 0 && !receipt.value.trim()) return err.show(t('key.receipt_needed'), t);
        body = { ...body, refund_cents: r, ...(r < deposit ? { kept_reason: reason.value.trim() } : {}),
          ...(r > 0 ? { refund_receipt_no: receipt.value.trim() } : {}) };
      }
      return record(ok, err, t, close, () => ctx.api.post(`/api/keys/${k.id}/${lost ? 'lost' : 'return'}`, body));
    });
    return [
      h('h2', { class: 'dialog-title', text: t(lost ? 'key.lost_title' : 'key.return_title') }),
      h('p', { class: 'dialog-body', text: lost ? t('key.lost_body_loan', { label: k.label, name: loan.borrower_name })
        : t('key.return_body', { label: k.label, name: loan.borrower_name, at: fmtTime(loan.lent_at) }) }),
      account ? h('div', { class: 'desk-dialog-form' }, account.field) : null,
      deposit ? h('div', { class: 'desk-dialog-form', 'data-testid': 'key-deposit-settle' },
        h('p', { text: t('key.deposit_taken', { deposit: yuan(deposit), receipt: loan.deposit_receipt_no || '—' }) }),
        field(h, t('key.refund'), refund), receiptField, reasonField, line) : null,
      err.el,
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, t('key.cancel')), ok),
    ];
  }, { className: 'desk-dialog' }).then(Boolean);
}

/** The loss dialogs' 经过 box (D119): `value()` is what was typed, trimmed. */
function lossAccount(ctx) {
  const { h, t } = ctx;
  const input = h('textarea', { name: 'loss_account', maxlength: 500, rows: 3 });
  return { field: field(h, t('key.loss_account'), input, t('key.loss_account_hint')), value: () => input.value.trim() };
}

// ---- a loss reported by mistake, and a key found again (D80) -------------------------------------

/**
 * Sends a dialog's record with its button held down: the dialog closes (true) once the server has it,
 * or says the refusal inside itself and lets the desk try again.
 */
async function record(ok, err, t, close, send) {
  ok.disabled = true;
  try {
    await send();
    close(true);
  } catch (e) {
    err.show(e, t);
    ok.disabled = false;
  }
}

/**
 * A dialog that records one written reason or note (why a record is undone, where a lost key was found):
 * what it is about (`body`), the text asked, and the record made from inside the dialog, so a refusal is
 * read there. `send(text)` records it. Resolves true once the server has recorded it.
 */
function textDialog(ctx, { title, body, name, rows, maxlength = 200, label, hint, needed, okText, okClass, okTestId, send }) {
  const { h, t } = ctx;
  return openDialog((close) => {
    const err = errorBox(h);
    const input = h('textarea', { name, maxlength, rows });
    const ok = h('button', { type: 'button', class: `btn ${okClass}`, 'data-testid': okTestId }, okText);
    ok.addEventListener('click', async () => {
      err.clear();
      if (!input.value.trim()) return err.show(needed, t);
      return record(ok, err, t, close, () => send(input.value.trim()));
    });
    return [
      h('h2', { class: 'dialog-title', text: title }),
      ...body,
      h('div', { class: 'desk-dialog-form' }, field(h, label, input, hint)),
      err.el,
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, t('key.cancel')), ok),
    ];
  }, { className: 'desk-dialog' }).then(Boolean);
}

/** What a correction undoes with its record: the deposit settled with it, its refund receipt now void. */
function undoneDeposit(ctx, s) {
  const { h, t } = ctx;
  return s ? h('p', { class: 'dialog-body rpt-overdue', 'data-testid': 'key-correct-deposit', text: t('key.correct_deposit', {
    refunded: yuan(s.refunded_cents), kept: yuan(s.kept_cents), receipt: s.refund_receipt_no || '—' }) }) : null;
}

/**
 * Undoing a loss reported by mistake (dispatcher, manager; the day it was reported). `hist` is the key's
 * loans and losses: the dialog says what the report did — the loan it ended and the deposit settled
 * with it — and that it is undone. Resolves true once recorded.
 */
function correctLossDialog(ctx, k, hist) {
  const { h, t } = ctx;
  const loss = (hist.losses || []).find((l) => !l.found && !l.correction);
  const loan = loss?.loan_id ? hist.loans.find((l) => l.id === loss.loan_id) : null;
  const who = { at: fmtFull(loss?.lost_at || k.lost_at), name: loss?.reported_by_name || loss?.reported_by || '—' };
  return textDialog(ctx, {
    title: t('key.correct_loss_title'),
    body: [
      h('p', { class: 'dialog-body', text: loan ? t('key.correct_loss_body_loan', { ...who, borrower: loan.borrower_name })
        : t('key.correct_loss_body', who) }),
      undoneDeposit(ctx, loan?.deposit_settlement),
    ],
    name: 'correction_reason', rows: 3, label: t('key.correct_reason'), hint: t('key.correct_loss_hint'),
    needed: t('key.correct_reason_needed'), okText: t('key.correct_ok'), okClass: 'btn-danger',
    okTestId: 'key-correct-loss-ok',
    send: (reason) => ctx.api.post(`/api/keys/${encodeURIComponent(k.id)}/correct-loss`, { reason }),
  });
}

/** A key really lost, found again: asks where and who brought it back. Resolves true once recorded. */
function foundDialog(ctx, k) {
  const { h, t } = ctx;
  return textDialog(ctx, {
    title: t('key.found_title'),
    body: [
      h('p', { class: 'dialog-body', text: t('key.found_body', { label: k.label, at: fmtFull(k.lost_at) }) }),
      h('p', { class: 'dialog-body small muted', 'data-testid': 'key-found-mistake', text: t('key.found_mistake') }),
    ],
    name: 'found_note', rows: 2, label: t('key.found_note'), hint: t('key.found_note_hint'),
    needed: t('key.found_note_needed'), okText: t('key.found_ok'), okClass: 'btn-primary', okTestId: 'key-found-ok',
    send: (note) => ctx.api.post(`/api/keys/${encodeURIComponent(k.id)}/found`, { note }),
  });
}

/**
 * A lost key's buttons: 找回 for the desk, and — while the loss may still be undone as a mistake (the
 * server says: reported today) — 更正遗失 for the dispatcher and the manager. `done` reloads the page.
 */
function lossButtons(ctx, k, correctable, err, done) {
  const { h, t } = ctx;
  const found = mayDo(ctx, 'recordFound') ? h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'key-found', onclick: async () => {
    err.clear();
    if (await foundDialog(ctx, k)) await done();
  } }, t('key.found')) : null;
  const correct = correctable && mayDo(ctx, 'correctLoss') ? h('button', {
    type: 'button', class: 'btn btn-small btn-danger-outline', 'data-testid': 'key-correct-loss', onclick: async () => {
      err.clear();
      try {
        const hist = await ctx.api.get(`/api/keys/${encodeURIComponent(k.id)}/loans`);
        if (await correctLossDialog(ctx, k, hist)) await done();
      } catch (e) {
        err.show(e, t);
      }
    },
  }, t('key.correct_loss')) : null;
  return found || correct ? h('span', { class: 'rpt-controls no-print' }, correct, found) : '';
}

// ---- the deposits settled in a month, one by one (D80) ---------------------------------------------

/**
 * Each deposit the month settled, for the accountant to tick against the receipt books: the key, the
 * borrower, the deposit and its receipt, what was refunded (with the refund receipt) or kept (with the
 * reason), when and by whom. One voided by a corrected return or loss report is struck through, says
 * so, and is not in the month's sums. It prints with the sheet.
 */
function settlementsSection(ctx, list, period = null) {
  const { h, t } = ctx;
  const head = ['key.s.at', 'key.s.key', 'key.s.borrower', 'key.s.deposit', 'key.s.refunded', 'key.s.kept', 'key.s.by'].map((x) => t(x));
  const rows = (list || []).map((s) => {
    const was = (text) => (s.undone ? h('span', { class: 'key-corrected-was', text }) : text);
    return [
      was(fmtFull(s.settled_at)),
      was(s.key_label || s.key_id),
      h('span', { class: 'key-cell' }, was(s.borrower_name), h('div', { class: 'small muted', 'data-testid': 'key-settlement-entry',
        text: t(s.entry === 'kept_refunded' ? 'key.s.ended.kept_refunded' : `key.s.ended.${s.ended}`) })),
      was(t('key.deposit_of', { deposit: yuan(s.deposit_cents), receipt: s.deposit_receipt_no || '—' })),
      was(s.refunded_cents ? t('key.s.refund', { amount: yuan(s.refunded_cents), receipt: s.refund_receipt_no || '—' }) : '—'),
      // A kept deposit handed back takes its amount off what was kept: shown negative, with the refund's reason (D86).
      was(s.entry === 'kept_refunded' ? colonPair(t('key.s.kept_back', { amount: yuan(s.kept_cents) }), s.kept_reason || '')
        : (s.kept_cents ? colonPair(yuan(s.kept_cents), s.kept_reason || '') : '—')),
      h('span', { class: 'key-cell' }, was(s.settled_by_name || s.settled_by),
        s.undone ? h('div', { class: 'small rpt-overdue', 'data-testid': 'key-settlement-undone', text: t('key.s.undone', {
          reason: s.undone.reason, name: s.undone.corrected_by_name || s.undone.corrected_by, at: fmtFull(s.undone.corrected_at) }) }) : null),
    ];
  });
  return h('section', { class: 'key-settlements', 'data-testid': 'key-settlements' },
    h('h2', { class: 'section-title', text: t(period ? 'key.s.title_month' : 'key.s.title') }),
    table(h, head, rows, { empty: t('key.s.none'), cls: 'key-settlements-table' }));
}

// ---- the cabinet ------------------------------------------------------------------------------

async function renderCabinet(root, ctx) {
  const { h, t } = ctx;
  const err = errorBox(h);
  const body = h('div');
  mount(root, h('section', { class: 'rpt', 'data-view': 'keys' }, h('div', { class: 'view-head no-print' }, h('h1', { text: t('key.title') })), err.el, body));
  const reload = () => load().catch((e) => err.show(e, t));

  // A refusal shows beside the key's own row (rowErr), like the bookings' 派工: the page's error box
  // sits above the table, off screen once the desk has scrolled down to the key.
  async function lend(k, rowErr) {
    const outsider = document.querySelector(`[data-outsider="${k.id}"]`);
    const form = outsider?.closest('tr');
    const val = (n) => form?.querySelector(`[name=${n}]`)?.value || '';
    const isOut = outsider?.checked;
    // The borrower first: the server would refuse a loan without one only after the signature.
    err.clear();
    rowErr.clear();
    const outsiderOk = val('borrower').trim() && /^[0-9A-Za-z]{4}$/.test(val('last4').trim()) && Number(val('deposit')) > 0 && val('receipt').trim()
      && (val('phone').match(/[0-9]/g) || []).length >= 5;
    if (isOut ? !outsiderOk : !val('borrower_user')) {
      rowErr.show(t(isOut ? 'key.need_outsider' : 'key.need_staff'), t);
      rowErr.el.scrollIntoView({ block: 'nearest' });
      return;
    }
    const sig = await signatureDialog(ctx, t('key.sign'), k.label);
    if (!sig) return;
    // Staff borrow as their account (no ID or deposit, R-KY-1); anyone else is an outsider by name.
    try {
      await ctx.api.post(`/api/keys/${k.id}/loans`, {
        ...(isOut ? { borrower_name: val('borrower') } : { borrower_user_id: val('borrower_user') || null }),
        borrower_kind: isOut ? 'outsider' : 'staff', signature_sha256: sig,
        // Left blank, the server sets it inside the compound's working hours (D119): the close of the
        // working day, or the next opening when lent after hours.
        ...(val('due') ? { due_at: zonedToIso(val('due')) } : {}),
        ...(isOut ? { id_shown: { doc_type: val('doc_type') || 'resident_id_card', last4: val('last4') },
          borrower_phone: val('phone').trim(),
          deposit_cents: Math.round(Number(val('deposit')) * 100), deposit_receipt_no: val('receipt') } : {}),
      });
    } catch (e) {
      rowErr.show(e, t);
      rowErr.el.scrollIntoView({ block: 'nearest' });
      return;
    }
    await reload();
  }

  // A staff borrower is picked from the staff list; only an outsider types a name and gives ID,
  // deposit and receipt (R-KY-1), so those fields show when the outsider box is ticked.
  function lendControls(k, staff) {
    // The ID is the kind shown as well as its tail: a passport or a permit is recorded as what it is,
    // not as a resident ID card (R-KY-1). Each box is named by a label, not only a placeholder
    // that disappears once typed in.
    const labelled = (text, control) => h('label', { class: 'rpt-due small' }, h('span', { text }), control);
    const outsiderOnly = [
      labelled(t('key.outsider_name'), h('input', { name: 'borrower', class: 'rpt-inline' })),
      // The number an overdue key is chased on: an outsider has no account to reach them through (D119).
      labelled(t('key.phone'), h('input', { name: 'phone', type: 'tel', maxlength: 30, autocomplete: 'off', class: 'rpt-inline' })),
      labelled(t('key.doc_type'), h('select', { name: 'doc_type', class: 'rpt-inline' },
        KEY_ID_DOCS.map((d) => h('option', { value: d }, t(`key.doc.${d}`))))),
      labelled(t('key.last4'), h('input', { name: 'last4', maxlength: 4, class: 'rpt-inline rpt-short' })),
      labelled(t('key.deposit'), h('input', { name: 'deposit', type: 'number', min: '0', step: '0.01', class: 'rpt-inline rpt-short' })),
      labelled(t('key.receipt'), h('input', { name: 'receipt', class: 'rpt-inline rpt-short' })),
    ];
    const pick = h('select', { name: 'borrower_user', class: 'rpt-inline', 'aria-label': t('key.staff_pick') },
      h('option', { value: '' }, t('key.staff_pick')),
      staff.map((u) => h('option', { value: u.id }, u.display_name || u.username)));
    const show = (outsider) => {
      pick.hidden = outsider;
      for (const el of outsiderOnly) el.hidden = !outsider;
    };
    show(false);
    const rowErr = errorBox(h);
    rowErr.el.classList.add('rpt-row-error');
    return h('span', { class: 'rpt-controls' },
      h('label', { class: 'small' }, h('input', { type: 'checkbox', dataset: { outsider: k.id }, onchange: (e) => show(e.target.checked) }), t('key.outsider')),
      pick, ...outsiderOnly,
      // A visible label: an unlabelled date box beside the borrower left the desk guessing what it was for.
      h('label', { class: 'rpt-due small' }, h('span', { text: t('key.due_by') }),
        h('input', { name: 'due', type: 'datetime-local', class: 'rpt-inline' })),
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => lend(k, rowErr) }, t('key.lend')), rowErr.el);
  }

  // Taking a key back is asked first, in the app's own dialog: one stray tap on a crowded row used
  // to end a loan (and, for an outsider, hand back a deposit) with nothing to undo it.
  function returnButton(k, loan) {
    return h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'key-return', onclick: async () => {
      err.clear();
      if (await endLoanDialog(ctx, k, loan, false)) await reload();
    } }, loan.deposit_cents ? t('key.return_deposit', { deposit: yuan(loan.deposit_cents) }) : t('key.return'));
  }

  // A key lost (in the cabinet or by its borrower) is recorded as such, after a confirmation: it
  // leaves the lendable keys until found again (D80), a loan ends with it (its deposit settled), and the
  // month's count says lost (R-KY-1).
  function lostButton(k, loan) {
    return h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', 'data-testid': 'key-lost', onclick: async () => {
      err.clear();
      if (loan) {
        if (await endLoanDialog(ctx, k, loan, true)) await reload();
        return;
      }
      // The report is sent from inside the dialog, with what happened (D119), so a refusal is read there.
      const ok = await textDialog(ctx, {
        title: t('key.lost_title'), body: [h('p', { class: 'dialog-body', text: t('key.lost_body', { label: k.label }) })],
        name: 'loss_account', rows: 3, maxlength: 500, label: t('key.loss_account'), hint: t('key.loss_account_hint'),
        needed: t('key.loss_account_needed'), okText: t('key.lost'), okClass: 'btn-danger', okTestId: 'key-lost-ok',
        send: (account) => ctx.api.post(`/api/keys/${k.id}/lost`, { account }),
      });
      if (ok) await reload();
    } }, t('key.lost'));
  }

  function registerForm() {
    const formErr = errorBox(h);
    const form = h('form', { class: 'card rpt-form', novalidate: true },
      field(h, t('key.building'), h('input', { name: 'building', required: true })),
      field(h, t('key.floor'), h('input', { name: 'floor', required: true })),
      field(h, t('key.type'), select(h, 'key_type', KEY_TYPES.map((k) => [k, t(`key.type.${k}`)]))),
      field(h, t('key.label'), h('input', { name: 'label', required: true })),
      formErr.el, h('button', { type: 'submit', class: 'btn btn-primary' }, t('key.register')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      formErr.clear();
      const missing = missingRequired(form);
      if (missing.length) return formErr.show(t('desk.missing', { list: joinList(missing) }), t);
      try {
        await ctx.api.post('/api/keys', Object.fromEntries(new FormData(form)));
      } catch (e2) {
        return formErr.show(e2, t);
      }
      return reload();
    });
    return form;
  }

  async function load() {
    const [keys, count, past, staff] = await Promise.all([
      ctx.api.get('/api/keys'), ctx.api.get('/api/keys/count'), ctx.api.get('/api/keys/counts'), loadStaff(ctx)]);
    const controls = (k, loan, row) => {
      if (k.state === 'in_store') return h('span', { class: 'rpt-controls' }, lendControls(k, staff), lostButton(k, null));
      if (k.state === 'on_loan' && loan) return h('span', { class: 'rpt-controls' }, returnButton(k, loan), lostButton(k, loan));
      if (k.state === 'lost') return lossButtons(ctx, k, row.loss_correctable, err, reload);
      return '';
    };
    // The month-end count is reported on paper (R-KY-1): the sheet prints the cabinet in filing
    // order with an empty column to tick each key found, the figures, and the signature lines;
    // the lending controls, earlier months and the register form stay off the paper (desk.css).
    mount(body,
      h('h1', { class: 'print-only', text: t('key.print_title') }),
      countCard(ctx, count),
      monthPhysical(ctx, count, reload),
      countTable(ctx, keys, controls),
      settlementsSection(ctx, count.settlements),
      signLines(ctx, 'key.counter_sign'),
      pastMonths(ctx, past),
      h('h2', { class: 'section-title no-print', text: t('key.register') }), h('div', { class: 'no-print' }, registerForm()));
  }
  await reload();
}

/**
 * This month's physical count on the cabinet's page: the keys are counted at the month's end and the count handed
 * in on the 30th (003 4.5.6), so it is recorded here from that day (the server says when: physical_recordable,
 * physical_opens_on) and amended that day as on a month's sheet (D86); before then the page says from when.
 */
function monthPhysical(ctx, count, reload) {
  const { h, t } = ctx;
  if (count.physical || count.physical_recordable) return physicalCount(ctx, count, count.year, count.month, () => reload());
  return h('p', { class: 'small muted no-print', 'data-testid': 'key-physical-opens', text: t('key.p.opens', { d: fmtDay(count.physical_opens_on) }) });
}

/** The months that have ended, newest first: each opens as its own count sheet to print. */
function pastMonths(ctx, months) {
  const { h, t } = ctx;
  const head = ['key.month', 'key.c.total', 'key.c.in_store', 'key.c.on_loan', 'key.c.overdue', 'key.c.lost', 'key.c.lost_found',
    'key.c.held', 'key.c.refunded', 'key.c.kept', 'key.c.physical', ''].map((k) => (k ? t(k) : ''));
  return h('section', { class: 'no-print', 'data-testid': 'key-past' },
    h('h2', { class: 'section-title', text: t('key.past') }),
    table(h, head, months.map(({ year, month, count: c, physical: p }) => [
      t('key.month_label', { y: year, m: month }), c.total, c.in_store, c.on_loan, c.overdue, c.lost,
      `${c.lost_in_period ?? 0} / ${c.found_in_period ?? 0}`,
      yuan(c.deposits_held_cents), yuan(c.deposits_refunded_cents), yuan(c.deposits_kept_cents),
      p ? h('span', { class: p.matches_register ? '' : 'rpt-overdue', text: t('key.p.done', { at: fmtFull(p.counted_at), name: p.counted_by_name || p.counted_by }) })
        : h('span', { class: 'muted', text: t('key.p.not_yet') }),
      h('a', { class: 'btn btn-small', href: `#/keys/month/${year}-${String(month).padStart(2, '0')}` }, t('key.open_month')),
    ]), { empty: t('key.past_none') }));
}

// ---- an ended month's count sheet -------------------------------------------------------------

async function renderMonth(root, ctx, year, month) {
  const { h, t } = ctx;
  const err = errorBox(h);
  const body = h('div');
  const period = t('key.month_label', { y: year, m: month });
  mount(root, h('section', { class: 'rpt', 'data-view': 'key-month' },
    h('div', { class: 'view-head no-print' }, h('a', { href: '#/keys', class: 'btn btn-small' }, t('key.back')),
      h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'key-xlsx', onclick: async () => {
        err.clear();
        try {
          await downloadXlsx(ctx, year, month);
        } catch (e) {
          err.show(e, t);
        }
      } }, t('key.xlsx'))),
    h('h1', { text: t('key.month_title', { period }) }), err.el, body));
  // The cabinet as it stood at the month's end (the server recomputes it from the register), with
  // the same tick column and signature lines as this month's sheet, and the count done at the cabinet.
  const show = (sheet) => mount(body, countCard(ctx, sheet.count, period),
    physicalCount(ctx, sheet, year, month, show), countTable(ctx, sheet.keys, null),
    settlementsSection(ctx, sheet.settlements, period), signLines(ctx, 'key.counter_sign'));
  try {
    show(await ctx.api.get(`/api/keys/counts/${year}/${month}`));
  } catch (e) {
    err.show(e, t);
  }
}

/**
 * The physical count of a month (D72), from its 30th: once recorded, who counted, the witness, when and what
 * differed, on screen and on paper; until then the same four headings print empty to be filled in by
 * hand, and the desk records it here — the counter is the signed-in account, the rest is asked.
 */
function physicalCount(ctx, sheet, year, month, show) {
  const { h, t } = ctx;
  const head = [t('key.p.counter'), t('key.p.witness'), t('key.p.at'), t('key.p.discrepancy')];
  const p = sheet.physical;
  if (p) {
    const verdict = t(p.matches_register ? 'key.p.matches' : 'key.p.differs');
    const section = h('section', { class: 'key-physical', 'data-testid': 'key-physical' },
      h('h2', { class: 'section-title', text: t('key.physical') }),
      table(h, head, [[p.counted_by_name || p.counted_by, p.witness_name || '—', fmtFull(p.counted_at),
        h('span', { class: 'key-cell' },
          h('span', { class: p.matches_register ? '' : 'rpt-overdue', 'data-testid': 'key-physical-verdict', text: colonPair(verdict, p.discrepancy) }),
          amendmentsText(ctx, p.amendments || []))]],
      { cls: 'key-physical-table' }));
    // The counter or a manager, the day it was recorded (the server says: amendable), puts a slip right (D86).
    if (p.amendable && mayDo(ctx, 'amendCount')) section.append(amendCountForm(ctx, p, year, month, show));
    return section;
  }
  const blank = h('div', { class: 'print-only' }, table(h, head, [['', '', '', '']], { cls: 'key-physical-table' }));
  if (!mayDo(ctx, 'recordCount')) {
    return h('section', { class: 'key-physical', 'data-testid': 'key-physical' },
      h('h2', { class: 'section-title', text: t('key.physical') }),
      h('p', { class: 'muted no-print', text: t('key.physical_none') }), blank);
  }
  const err = errorBox(h);
  const radio = (value, label) => h('label', { class: 'small' },
    h('input', { type: 'radio', name: 'matches_register', value }), ' ', label);
  const discrepancy = h('textarea', { name: 'discrepancy', maxlength: 1000, rows: 3 });
  const witness = h('input', { name: 'witness_name', maxlength: 50 });
  const ok = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'key-physical-ok' }, t('key.p.ok'));
  const form = h('form', { class: 'card rpt-form no-print', novalidate: true, 'data-testid': 'key-physical-form' },
    h('p', { class: 'small muted', text: t('key.p.record_hint') }),
    h('div', { class: 'field desk-field' }, h('span', { class: 'field-label', text: t('key.p.verdict') }),
      h('span', { class: 'rpt-controls' }, radio('true', t('key.p.matches')), radio('false', t('key.p.differs')))),
    field(h, t('key.p.discrepancy'), discrepancy, t('key.p.discrepancy_hint')),
    field(h, t('key.p.witness'), witness, t('key.p.witness_hint')),
    err.el, ok);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.clear();
    const picked = form.querySelector('input[name=matches_register]:checked')?.value;
    if (!picked) return err.show(t('key.p.verdict_needed'), t);
    const matches = picked === 'true';
    if (!matches && !discrepancy.value.trim()) return err.show(t('key.p.discrepancy_needed'), t);
    ok.disabled = true;
    try {
      show(await ctx.api.post(`/api/keys/counts/${year}/${month}/physical`, {
        matches_register: matches,
        ...(discrepancy.value.trim() ? { discrepancy: discrepancy.value.trim() } : {}),
        ...(witness.value.trim() ? { witness_name: witness.value.trim() } : {}),
      }));
    } catch (e2) {
      err.show(e2, t);
      ok.disabled = false;
    }
    return undefined;
  });
  return h('section', { class: 'key-physical', 'data-testid': 'key-physical' },
    h('h2', { class: 'section-title no-print', text: t('key.p.record') }),
    h('h2', { class: 'section-title print-only', text: t('key.physical') }),
    form, blank);
}

/** What each same-day amendment replaced, struck through, with why, by whom and when (D86); it prints. */
function amendmentsText(ctx, amendments) {
  const { h, t } = ctx;
  return amendments.map((a) => h('div', { class: 'small key-corrected', 'data-testid': 'key-physical-amended' },
    h('div', { class: 'key-corrected-was', text: t('key.p.amended', {
      verdict: joinList([colonPair(t(a.matches_register ? 'key.p.matches' : 'key.p.differs'), a.discrepancy),
        a.witness_name ? colonPair(t('key.p.witness'), a.witness_name) : null].filter(Boolean)) }) }),
    h('div', { class: 'muted', text: t('key.p.amended_why', { reason: a.reason, name: a.amended_by_name || a.amended_by, at: fmtFull(a.amended_at) }) })));
}

/**
 * Amending a recorded count (D86): the verdict, discrepancy and witness as they should read, prefilled with
 * what is recorded, and the reason. The month's sheet comes back and is shown again.
 */
function amendCountForm(ctx, p, year, month, show) {
  const { h, t } = ctx;
  const err = errorBox(h);
  const radio = (value, label) => h('label', { class: 'small' },
    h('input', { type: 'radio', name: 'amend_matches_register', value, checked: String(p.matches_register) === value }), ' ', label);
  const discrepancy = h('textarea', { name: 'amend_discrepancy', maxlength: 1000, rows: 3 });
  discrepancy.value = p.discrepancy || '';
  const witness = h('input', { name: 'amend_witness_name', maxlength: 50, value: p.witness_name || '' });
  const reason = h('textarea', { name: 'amend_reason', maxlength: 200, rows: 2 });
  const ok = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'key-physical-amend-ok' }, t('key.p.amend_ok'));
  const form = h('form', { class: 'card rpt-form', novalidate: true, 'data-testid': 'key-physical-amend-form', hidden: true },
    h('p', { class: 'small muted', text: t('key.p.amend_hint') }),
    h('div', { class: 'field desk-field' }, h('span', { class: 'field-label', text: t('key.p.verdict') }),
      h('span', { class: 'rpt-controls' }, radio('true', t('key.p.matches')), radio('false', t('key.p.differs')))),
    field(h, t('key.p.discrepancy'), discrepancy, t('key.p.discrepancy_hint')),
    field(h, t('key.p.witness'), witness, t('key.p.witness_hint')),
    field(h, t('key.p.amend_reason'), reason, t('key.p.amend_reason_hint')),
    err.el, ok);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.clear();
    const matches = form.querySelector('input[name=amend_matches_register]:checked')?.value === 'true';
    if (!matches && !discrepancy.value.trim()) return err.show(t('key.p.discrepancy_needed'), t);
    if (!reason.value.trim()) return err.show(t('key.p.amend_reason_needed'), t);
    ok.disabled = true;
    try {
      show(await ctx.api.post(`/api/keys/counts/${year}/${month}/physical/amend`, {
        matches_register: matches, reason: reason.value.trim(),
        ...(discrepancy.value.trim() ? { discrepancy: discrepancy.value.trim() } : {}),
        ...(witness.value.trim() ? { witness_name: witness.value.trim() } : {}),
      }));
    } catch (e2) {
      err.show(e2, t);
      ok.disabled = false;
    }
    return undefined;
  });
  const open = h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', 'data-testid': 'key-physical-amend',
    onclick: () => { form.hidden = false; open.hidden = true; } }, t('key.p.amend'));
  return h('div', { class: 'no-print' }, open, form);
}

// The month's sheet as a workbook for the accountant, in the language the desk shows (D71, D86).
async function downloadXlsx(ctx, year, month) {
  const mm = String(month).padStart(2, '0');
  const res = await ctx.api.request('GET', `/api/keys/counts/${year}/${month}/xlsx?lang=${isEn() ? 'en' : 'zh'}`, { raw: true, timeoutMs: 60000 });
  const url = URL.createObjectURL(await res.blob());
  const a = ctx.h('a', { href: url, download: `key-count-${year}-${mm}.xlsx`, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- a key's loans ----------------------------------------------------------------------------

function settlementText(ctx, loan) {
  const { h, t } = ctx;
  const s = loan.deposit_settlement;
  if (!loan.deposit_cents) return '—';
  const taken = t('key.deposit_of', { deposit: yuan(loan.deposit_cents), receipt: loan.deposit_receipt_no || '—' });
  if (!s) {
    // Still out: nothing settled yet. Ended without a record: a loan from before deposits were settled.
    const open = !loan.returned_at && !loan.lost_at;
    return [taken, open ? null : h('div', { class: 'small muted', text: t('key.unrecorded') })];
  }
  return h('span', { 'data-testid': 'key-deposit-outcome' }, taken,
    s.refunded_cents ? h('div', { text: s.refund_receipt_no
      ? t('key.refunded_receipt', { amount: yuan(s.refunded_cents), receipt: s.refund_receipt_no })
      : t('key.refunded', { amount: yuan(s.refunded_cents) }) }) : null,
    s.kept_cents ? h('div', { class: 'rpt-overdue', text: t('key.kept', { amount: yuan(s.kept_cents), reason: s.kept_reason || '' }) }) : null,
    h('div', { class: 'small muted', text: t('key.settled_by', { name: loan.settled_by_name || s.settled_by, at: fmtFull(s.settled_at) }) }),
    keptRefundText(ctx, loan));
}

/** What was handed back of the kept deposit once the key was found, by whom and when (D86). */
function keptRefundText(ctx, loan) {
  const { h, t } = ctx;
  const r = loan.kept_refund;
  if (!r) return null;
  return h('div', { class: 'small', 'data-testid': 'key-kept-refunded' },
    h('div', { text: t('key.kept_refunded', { amount: yuan(r.refunded_cents), receipt: r.refund_receipt_no, reason: r.reason }) }),
    h('div', { class: 'muted', text: t('key.settled_by', { name: loan.kept_refunded_by_name || r.refunded_by, at: fmtFull(r.refunded_at) }) }));
}

/**
 * Handing back a deposit kept when the key was lost on `loan`, the key found since (D86): the amount (all
 * that was kept offered), the refund receipt and the reason, recorded from inside the dialog. Resolves true
 * once the server has recorded it.
 */
function refundKeptDialog(ctx, k, loan) {
  const { h, t } = ctx;
  const kept = loan.deposit_settlement?.kept_cents || 0;
  return openDialog((close) => {
    const err = errorBox(h);
    const amount = h('input', { name: 'refund', type: 'number', min: '0.01', step: '0.01', inputmode: 'decimal', value: (kept / 100).toFixed(2) });
    const receipt = h('input', { name: 'refund_receipt_no', maxlength: 40 });
    const reason = h('textarea', { name: 'refund_reason', maxlength: 200, rows: 2 });
    const ok = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'key-refund-kept-ok' }, t('key.refund_kept_ok'));
    ok.addEventListener('click', async () => {
      err.clear();
      const cents = amount.value.trim() === '' ? NaN : Math.round(Number(amount.value) * 100);
      if (!Number.isFinite(cents) || cents <= 0 || cents > kept) return err.show(t('key.refund_kept_bad', { kept: yuan(kept) }), t);
      if (!receipt.value.trim()) return err.show(t('key.receipt_needed'), t);
      if (!reason.value.trim()) return err.show(t('key.refund_kept_reason_needed'), t);
      return record(ok, err, t, close, () => ctx.api.post(
        `/api/keys/${encodeURIComponent(k.id)}/loans/${encodeURIComponent(loan.id)}/refund-kept`,
        { refund_cents: cents, refund_receipt_no: receipt.value.trim(), reason: reason.value.trim() }));
    });
    return [
      h('h2', { class: 'dialog-title', text: t('key.refund_kept_title') }),
      h('p', { class: 'dialog-body', text: t('key.refund_kept_body', {
        label: k.label, name: loan.borrower_name, kept: yuan(kept), reason: loan.deposit_settlement?.kept_reason || '—' }) }),
      h('div', { class: 'desk-dialog-form', 'data-testid': 'key-refund-kept-form' },
        field(h, t('key.refund_kept_amount'), amount),
        field(h, t('key.refund_receipt'), receipt, t('key.refund_receipt_hint')),
        field(h, t('key.refund_kept_reason'), reason, t('key.refund_kept_reason_hint'))),
      err.el,
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, t('key.cancel')), ok),
    ];
  }, { className: 'desk-dialog' }).then(Boolean);
}

function backText(ctx, loan) {
  const { h, t } = ctx;
  const by = (name) => h('div', { class: 'small muted', text: t('key.by', { name }) });
  if (loan.returned_at) return [fmtFull(loan.returned_at), by(loan.received_by_name || loan.received_by)];
  if (loan.lost_at) return [h('span', { class: 'rpt-overdue', text: t('key.lost_at', { at: fmtFull(loan.lost_at) }) }), by(loan.lost_reported_by_name || loan.lost_reported_by)];
  return h('span', { class: loan.overdue ? 'rpt-overdue' : '', text: loan.overdue ? `${t('key.not_back')} · ${t('key.overdue')}` : t('key.not_back') });
}

// A return recorded by mistake and undone stays on the register, struck through, with why, by whom and
// when it was undone and the deposit settlement undone with it (D72); it prints as it shows.
function correctionsText(ctx, loan) {
  const { h, t } = ctx;
  return (loan.corrections || []).map((c) => {
    const s = c.deposit_settlement;
    return h('div', { class: 'small key-corrected', 'data-testid': 'key-corrected' },
      h('div', { class: 'key-corrected-was', text: t('key.corrected', { at: fmtFull(c.returned_at), by: c.received_by_name || c.received_by || '—' }) }),
      h('div', { class: 'muted', text: t('key.corrected_why', { reason: c.reason, name: c.corrected_by_name || c.corrected_by, at: fmtFull(c.corrected_at) }) }),
      s ? h('div', { class: 'muted', text: t('key.corrected_deposit', { refunded: yuan(s.refunded_cents), kept: yuan(s.kept_cents), receipt: s.refund_receipt_no || '—' }) }) : null);
  });
}

// A loss reported by mistake while the key was lent, undone: the loan is out again and the undone report
// stays on its row, struck through, with why and by whom, and the deposit settlement undone (D80).
function lossCorrectionsText(ctx, losses) {
  const { h, t } = ctx;
  return losses.filter((l) => l.correction).map((l) => {
    const c = l.correction;
    const s = c.deposit_settlement;
    return h('div', { class: 'small key-corrected', 'data-testid': 'key-loss-corrected' },
      h('div', { class: 'key-corrected-was', text: t('key.loss_corrected', { at: fmtFull(l.lost_at), by: l.reported_by_name || l.reported_by || '—' }) }),
      h('div', { class: 'muted', text: t('key.corrected_why', { reason: c.reason, name: l.corrected_by_name || c.corrected_by, at: fmtFull(c.corrected_at) }) }),
      s ? h('div', { class: 'muted', text: t('key.corrected_deposit', { refunded: yuan(s.refunded_cents), kept: yuan(s.kept_cents), receipt: s.refund_receipt_no || '—' }) }) : null);
  });
}

/** Every loss of the key, newest first, and how it ended: still lost, found again, or corrected (D80). */
function lossesSection(ctx, losses, loans) {
  const { h, t } = ctx;
  if (!losses.length) return null;
  const rows = losses.map((l) => {
    const loan = l.loan_id ? loans.find((x) => x.id === l.loan_id) : null;
    const was = (text) => (l.correction ? h('span', { class: 'key-corrected-was', text }) : text);
    let outcome;
    if (l.correction) {
      outcome = h('span', { class: 'small', text: `${t('key.l.corrected')} · ${t('key.corrected_why', {
        reason: l.correction.reason, name: l.corrected_by_name || l.correction.corrected_by, at: fmtFull(l.correction.corrected_at) })}` });
    } else if (l.found) {
      outcome = t('key.l.found', { at: fmtFull(l.found.found_at), name: l.found_by_name || l.found.found_by, note: l.found.note });
    } else {
      outcome = h('span', { class: 'rpt-overdue', text: t('key.l.still_lost') });
    }
    return [
      h('span', { class: 'key-cell' }, was(fmtFull(l.lost_at)), h('div', { class: 'small muted', text: t('key.by', { name: l.reported_by_name || l.reported_by || '—' }) }),
        l.account ? h('div', { class: 'small', 'data-testid': 'key-loss-account', text: colonPair(t('key.loss_account'), l.account) }) : null),
      was(loan ? t('key.l.on_loan', { name: loan.borrower_name }) : t('key.l.in_cabinet')),
      outcome,
    ];
  });
  return h('section', { class: 'key-losses', 'data-testid': 'key-losses-record' },
    h('h2', { class: 'section-title', text: t('key.losses_title') }),
    table(h, [t('key.l.reported'), t('key.l.loan'), t('key.l.outcome')], rows, { cls: 'key-losses-table' }));
}

/**
 * Undoing a recorded return (dispatcher, manager; the same day): asks the reason and says what else is
 * undone — the deposit settled with the return. Resolves true once the server has recorded it.
 */
function correctReturnDialog(ctx, k, loan) {
  const { h, t } = ctx;
  return textDialog(ctx, {
    title: t('key.correct_title'),
    body: [
      h('p', { class: 'dialog-body', text: t('key.correct_body', {
        at: fmtFull(loan.returned_at), name: loan.received_by_name || loan.received_by, borrower: loan.borrower_name }) }),
      undoneDeposit(ctx, loan.deposit_settlement),
    ],
    name: 'correction_reason', rows: 3, label: t('key.correct_reason'), hint: t('key.correct_reason_hint'),
    needed: t('key.correct_reason_needed'), okText: t('key.correct_ok'), okClass: 'btn-danger', okTestId: 'key-correct-ok',
    send: (reason) => ctx.api.post(
      `/api/keys/${encodeURIComponent(k.id)}/loans/${encodeURIComponent(loan.id)}/correct-return`, { reason }),
  });
}

async function renderHistory(root, ctx, keyId) {
  const { h, t } = ctx;
  // A cell of several lines is one block, so a phone's stacked card keeps it beside its label.
  const cell = (...parts) => h('span', { class: 'key-cell' }, ...parts);
  const err = errorBox(h);
  const body = h('div');
  mount(root, h('section', { class: 'rpt', 'data-view': 'key-history' },
    h('div', { class: 'view-head no-print' }, h('a', { href: '#/keys', class: 'btn btn-small' }, t('key.back'))),
    err.el, body));
  const correcting = mayDo(ctx, 'correctReturn');
  const load = async () => {
    const { key: k, loans, losses = [], loss_correctable: lossCorrectable } = await ctx.api.get(`/api/keys/${encodeURIComponent(keyId)}/loans`);
    // The latest loan's return, while it may still be undone (the server says when: the same day, the
    // key in the cabinet since), offers its correction to those who may make it.
    const correctButton = (loan) => (correcting && loan.return_correctable ? h('button', {
      type: 'button', class: 'btn btn-small btn-danger-outline no-print', 'data-testid': 'key-correct',
      onclick: async () => {
        err.clear();
        if (await correctReturnDialog(ctx, k, loan)) await load().catch((e) => err.show(e, t));
      },
    }, t('key.correct')) : null);
    // A deposit kept at a loss, the key found since, is handed back from its loan's row (D86).
    const refundButton = (loan) => (mayDo(ctx, 'refundKept') && loan.kept_refundable ? h('button', {
      type: 'button', class: 'btn btn-small no-print', 'data-testid': 'key-refund-kept',
      onclick: async () => {
        err.clear();
        if (await refundKeptDialog(ctx, k, loan)) await load().catch((e) => err.show(e, t));
      },
    }, t('key.refund_kept')) : null);
    const sigs = [];
    const rows = loans.map((loan) => {
      const img = h('img', { class: 'key-history-sig', alt: t('key.h.signature') });
      sigs.push([img, loan.signature_sha256]);
      return [
        cell(loan.borrower_name, h('div', { class: 'small muted', text: t(`key.kind.${loan.borrower_kind}`) }),
          loan.borrower_phone ? h('div', { class: 'small muted', text: t('key.phone_of', { phone: loan.borrower_phone }) }) : null),
        loan.id_shown ? t('key.id_shown', { doc: t(`key.doc.${loan.id_shown.doc_type}`), last4: loan.id_shown.last4 }) : '—',
        cell(fmtFull(loan.lent_at), h('div', { class: 'small muted', text: t('key.by', { name: loan.lent_by_name || loan.lent_by }) })),
        fmtFull(loan.due_at),
        cell(backText(ctx, loan), correctionsText(ctx, loan), lossCorrectionsText(ctx, losses.filter((l) => l.loan_id === loan.id)),
          correctButton(loan)),
        cell(settlementText(ctx, loan), refundButton(loan)),
        img,
      ];
    });
    // The key's own page of the 钥匙借用登记表, newest loan first; it prints as it stands.
    mount(body,
      h('h1', { class: 'print-only', text: t('key.history_title') }),
      h('div', { class: 'card rpt-key-count' },
        h('span', { class: 'rpt-key-figures' },
          h('strong', { text: t('key.history_of', { label: k.label }) }),
          h('span', { class: 'small', text: `${k.building} · ${floorText(k.floor, t)} · ${t(`key.type.${k.key_type}`)} · ${t(`key.state.${k.state}`)}` })),
        k.state === 'lost' ? lossButtons(ctx, k, lossCorrectable, err, () => load().catch((e) => err.show(e, t))) : null,
        h('button', { type: 'button', class: 'btn btn-small no-print', 'data-testid': 'key-history-print', onclick: () => window.print() }, t('key.print_history'))),
      table(h, ['key.h.borrower', 'key.h.id', 'key.h.out', 'key.h.due', 'key.h.back', 'key.h.deposit', 'key.h.signature'].map((x) => t(x)), rows,
        { empty: t('key.history_none'), cls: 'key-history-table' }),
      lossesSection(ctx, losses, loans));
    // The signatures come after the table is up: each is an authorised fetch (blobObjectUrl).
    await Promise.all(sigs.map(async ([img, sha]) => {
      try {
        img.src = await blobObjectUrl(ctx, sha);
      } catch {
        img.replaceWith(h('span', { class: 'muted small', text: '—' }));
      }
    }));
  };
  try {
    await load();
  } catch (e) {
    err.show(e, t);
  }
}
