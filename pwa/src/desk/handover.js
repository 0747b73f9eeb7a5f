// Shift handover 交接班 (R-SH-1): the outgoing dispatcher builds the sheet of open work and signs
// (a written inquiry still owed its written reply is open work too, opened or not: R-IN-5);
// the incoming one signs on their own login, explicitly taking over each open emergency (R-EM-3).
// Each morning a supervisor reviews the signed sheet and presses on the items still open.
import { missingRequired, mount } from '../dom.js';
import { colon, joinList, paren, t as tr } from '../i18n.js';
import { DESK } from '../roles.js';
import { blobObjectUrl, errorBox, field, fmtFull, fmtTime, label, loadStaff, staffName } from './common.js';
import { signatureDialog } from './signature.js';

/** The item's next deadline had passed when the sheet was built (D121): the sheet is a snapshot, so it is
 * judged at `builtAt`, not now, on screen and on paper alike. */
export function overdueWhenBuilt(item, builtAt) {
  return Boolean(item.next_due_at) && Date.parse(item.next_due_at) < Date.parse(builtAt);
}

/** The sheet's due cell: the time, with 已超时 beside it when it had passed as the sheet was built. `fmt`
 * writes the time: the screen's fmtTime, or fmtFull on the printed sheet, where every time has its year. */
export function dueWhenBuilt(item, builtAt, fmt = fmtTime) {
  if (!item.next_due_at) return '';
  return overdueWhenBuilt(item, builtAt) ? paren(fmt(item.next_due_at), tr('ho.overdue_at_build')) : fmt(item.next_due_at);
}

// Who reviews a sheet (server/domain/handover.py _SUPERVISORS); the server refuses anyone else.
const SUPERVISOR_ROLES = ['team_lead', 'manager', 'deputy_gm', 'general_manager'];

/** The signed sheet as the shift keeps it on paper: open items, both signatures, the review. */
async function renderSheetPrint(body, ctx, sheetId, staff) {
  const { h, t, api } = ctx;
  const sheet = (await api.get('/api/handovers')).find((x) => x.id === sheetId);
  if (!sheet) {
    mount(body, h('p', { class: 'empty', text: t('ho.print_missing') }), h('a', { href: '#/handover', text: t('ho.back') }));
    return;
  }
  const sig = (sha) => {
    const img = h('img', { class: 'ho-print-signature', alt: t('dlg.signature') });
    img.hidden = true;
    if (sha) blobObjectUrl(ctx, sha).then((url) => { img.src = url; img.hidden = false; }).catch(() => {});
    return img;
  };
  const side = (key, id, at, sha) => h('div', { class: 'ho-print-sign', 'data-testid': `ho-print-${key}` },
    h('p', null, colon(t(key === 'out' ? 'ho.outgoing' : 'ho.incoming'), staffName(staff, id))),
    sig(sha),
    h('p', { class: 'small', text: at ? t('ho.signed', { t: fmtFull(at) }) : t('ho.unsigned') }));
  const taken = sheet.taken_over_case_ids || [];
  mount(body,
    h('div', { class: 'desk-slip-tools no-print' },
      h('a', { href: '#/handover', class: 'small', text: t('ho.back') }),
      h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => window.print() }, t('ho.print'))),
    h('article', { class: 'card ho-print', 'data-testid': 'ho-print-sheet' },
      h('h1', { text: t('ho.print_title') }),
      h('p', null, colon(t('ho.built_at'), fmtFull(sheet.built_at))),
      sheet.notes ? h('p', { class: 'pre' }, colon(t('ho.notes'), sheet.notes)) : null,
      h('p', { class: 'small', text: t('ho.items', { n: sheet.items.length }) }),
      sheet.items.length ? h('table', { class: 'table ho-print-table' },
        h('thead', null, h('tr', null, [t('list.no'), t('list.state'), t('list.content'), t('list.next_due'), t('ho.col_taken')].map((x) => h('th', { text: x })))),
        h('tbody', null, sheet.items.map((i) => h('tr', null,
          h('td', { text: i.case_no }), h('td', { text: i.written_reply_due ? `${label('state', i.state)} · ${t('ho.written_reply_due')}` : label('state', i.state) }), h('td', { text: i.summary }),
          h('td', { class: overdueWhenBuilt(i, sheet.built_at) ? 'ho-overdue' : '', 'data-testid': 'ho-print-due', text: dueWhenBuilt(i, sheet.built_at, fmtFull) }),
          h('td', { text: i.is_emergency ? (taken.includes(i.case_id) ? t('ho.taken_over', { who: staffName(staff, sheet.incoming_id) }) : t('list.emergency_badge')) : '' }))))) : null,
      h('div', { class: 'ho-print-signs' },
        side('out', sheet.outgoing_id, sheet.outgoing_signed_at, sheet.outgoing_signature_sha256),
        side('in', sheet.incoming_id, sheet.incoming_signed_at, sheet.incoming_signature_sha256)),
      sheet.reviewed_at ? h('p', { class: 'small' }, t('ho.reviewed', { who: staffName(staff, sheet.reviewed_by), t: fmtFull(sheet.reviewed_at) }),
        sheet.review_note ? ` · ${sheet.review_note}` : '') : null));
}

export async function renderHandover(body, ctx) {
  const { h, t, api } = ctx;
  const staff = await loadStaff(ctx).catch(() => []);
  // #/handover/<sheet id>: the printable sheet.
  const printId = (ctx.route || '').split('/').filter(Boolean)[1];
  if (printId) return renderSheetPrint(body, ctx, decodeURIComponent(printId), staff);
  const me = ctx.user?.id;
  const myRoles = ctx.user?.roles || [];
  const isDesk = myRoles.some((r) => DESK.includes(r));
  const isSupervisor = myRoles.some((r) => SUPERVISOR_ROLES.includes(r));
  // What the review found still open, per sheet, as the server answered it (shown until reload).
  const unfinishedBySheet = new Map();
  // Errors show beside what caused them: the page's own box only for loading the list, the form's
  // under the form, and each sheet's under that sheet's sign and review buttons.
  const err = errorBox(h);
  const formErr = errorBox(h);
  const sheetErrs = new Map();
  const sheetErr = (id) => {
    if (!sheetErrs.has(id)) sheetErrs.set(id, errorBox(h));
    return sheetErrs.get(id);
  };
  const listSlot = h('div');

  const incoming = h('select', { name: 'incoming_id', required: true }, h('option', { value: '' }, t('intake.choose')),
    staff.filter((s) => s.id !== me && s.roles.some((r) => DESK.includes(r))).map((s) => h('option', { value: s.id }, paren(s.display_name, s.roles.map((r) => label('role', r)).join('/')))));
  const notes = h('textarea', { name: 'notes', rows: 3 });
  const form = h('form', { class: 'card desk-ho-new', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    formErr.clear();
    const missing = missingRequired(form);
    if (missing.length) return formErr.show(t('desk.missing', { list: joinList(missing) }), t);
    try {
      await api.post('/api/handovers', { incoming_id: incoming.value, notes: notes.value.trim() });
      ctx.toast(t('ho.built'), 'ok');
      notes.value = '';
      await load();
    } catch (ex) {
      formErr.show(ex, t);
    }
  } },
  h('h2', { text: t('ho.new') }),
  field(h, t('ho.incoming'), incoming),
  field(h, t('ho.notes'), notes),
  formErr.el,
  h('div', { class: 'dialog-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('ho.build'))));

  async function sign(sheet, side) {
    const err = sheetErr(sheet.id);
    err.clear();
    const takeOver = side === 'incoming' ? [...document.querySelectorAll(`[data-sheet="${sheet.id}"] input[name=take_over]:checked`)].map((i) => i.value) : [];
    // R-EM-3: every open emergency is taken over explicitly; say so before the signature is drawn,
    // not after the server refuses it and the signature has to be drawn again.
    const emergencies = sheet.items.filter((i) => i.is_emergency);
    const untaken = emergencies.filter((i) => !takeOver.includes(i.case_id));
    if (side === 'incoming' && untaken.length) {
      err.show(t('ho.need_take_over', { list: joinList(untaken.map((i) => i.case_no)) }), t);
      err.el.scrollIntoView({ block: 'nearest' });
      return;
    }
    // The signer reads what the signature stands for: who hands what to whom (R-SH-1).
    const names = { out: staffName(staff, sheet.outgoing_id), in: staffName(staff, sheet.incoming_id), n: sheet.items.length };
    const what = side === 'outgoing' ? t('ho.sign_what_out', names)
      : t('ho.sign_what_in', { ...names, em: emergencies.length ? t('ho.sign_what_em', { list: joinList(emergencies.map((i) => i.case_no)) }) : '' });
    const sha = await signatureDialog(ctx, t(side === 'outgoing' ? 'ho.sign_out' : 'ho.sign_in'), what);
    if (!sha) return;
    try {
      await api.post(`/api/handovers/${sheet.id}/sign-${side}`, { signature_sha256: sha, takes_over_case_ids: takeOver });
      ctx.toast(t('desk.saved'), 'ok');
      await load();
    } catch (ex) {
      // The refusal lists untaken emergencies by case id; show their numbers (R-EM-3).
      const nos = new Map(sheet.items.map((i) => [i.case_id, i.case_no]));
      if (Array.isArray(ex.details?.missing)) ex.details.missing = ex.details.missing.map((id) => nos.get(id) || id);
      err.show(ex, t);
    }
  }

  async function review(sheet, noteInput, button) {
    const err = sheetErr(sheet.id);
    err.clear();
    button.disabled = true;
    try {
      const res = await api.post(`/api/handovers/${sheet.id}/review`, { note: noteInput.value.trim() });
      unfinishedBySheet.set(sheet.id, res.unfinished);
      ctx.toast(t('ho.review_done'), 'ok');
      await load();
    } catch (ex) {
      err.show(ex, t);
      button.disabled = false;
    }
  }

  function reviewBlock(s) {
    const signed = s.outgoing_signed_at && s.incoming_signed_at;
    if (!signed) return null;
    if (s.reviewed_at) {
      // What the review found still open is stored on the sheet; older sheets only had it in memory.
      const pressed = s.unfinished_case_ids;
      const open = unfinishedBySheet.get(s.id)
        || (Array.isArray(pressed) ? s.items.filter((i) => pressed.includes(i.case_id)) : null);
      return h('div', { class: 'desk-ho-review', 'data-testid': 'ho-review' },
        h('p', { class: 'small', text: t('ho.reviewed', { who: staffName(staff, s.reviewed_by), t: fmtTime(s.reviewed_at) }) }),
        s.review_note ? h('p', { class: 'pre small', text: s.review_note }) : null,
        open ? (open.length ? [
          h('p', { class: 'small', text: t('ho.unfinished', { n: open.length }) }),
          h('ul', { class: 'desk-ho-unfinished' }, open.map((i) => h('li', null,
            h('a', { href: `#/case/${i.case_id}`, class: 'desk-case-no', text: i.case_no }), ' ',
            h('span', { class: 'small', text: i.summary })))),
        ] : h('p', { class: 'small', text: t('ho.all_done') })) : null);
    }
    if (!isSupervisor) return h('p', { class: 'muted small', text: t('ho.unreviewed') });
    const note = h('input', { type: 'text', name: 'review_note', class: 'desk-inline-input', maxlength: '500', placeholder: t('ho.review_note') });
    const button = h('button', { type: 'button', class: 'btn btn-small btn-primary', onclick: () => review(s, note, button) }, t('ho.review'));
    return h('div', { class: 'desk-inline desk-ho-review' }, note, button);
  }

  function sheetCard(s) {
    const canOut = s.outgoing_id === me && !s.outgoing_signed_at;
    const canIn = s.incoming_id === me && s.outgoing_signed_at && !s.incoming_signed_at;
    return h('article', { class: 'card desk-ho-sheet', dataset: { sheet: s.id } },
      h('div', { class: 'desk-section-head' },
        h('h3', { text: fmtTime(s.built_at) }),
        h('span', { class: 'small', text: `${colon(t('ho.outgoing'), staffName(staff, s.outgoing_id))} → ${colon(t('ho.incoming'), staffName(staff, s.incoming_id))}` })),
      s.notes ? h('p', { class: 'pre small', text: s.notes }) : null,
      h('p', { class: 'muted small', text: t('ho.items', { n: s.items.length }) }),
      s.items.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table desk-table' },
        h('thead', null, h('tr', null, [t('list.no'), t('list.state'), t('list.content'), t('list.next_due'), t('ho.col_taken')].map((x) => h('th', { text: x })))),
        h('tbody', null, s.items.map((i) => h('tr', { class: i.is_emergency ? 'is-emergency' : '' },
          h('td', null, h('a', { href: `#/case/${i.case_id}`, class: 'desk-case-no', text: i.case_no })),
          h('td', null, h('span', { class: `badge desk-state desk-state-${i.state}`, text: label('state', i.state) }),
            // R-IN-5: a written inquiry (left unopened, or not) whose written reply this shift still owes.
            i.written_reply_due ? [' ', h('span', { class: 'badge badge-warn', 'data-testid': 'ho-written-reply-due', text: t('ho.written_reply_due') })] : null),
          h('td', { text: i.summary }),
          h('td', { class: ['small', overdueWhenBuilt(i, s.built_at) ? 'ho-overdue' : ''], 'data-testid': 'ho-due', text: dueWhenBuilt(i, s.built_at) }),
          h('td', null, i.is_emergency && canIn ? h('label', { class: 'desk-check' },
            h('input', { type: 'checkbox', name: 'take_over', value: i.case_id }), t('ho.take_over')) :
            i.is_emergency ? [h('span', { class: 'badge desk-badge-emergency', text: t('list.emergency_badge') }),
              // R-EM-3: who holds the emergency now, on the sheet both signed.
              (s.taken_over_case_ids || []).includes(i.case_id)
                ? h('span', { class: 'small ok-text', 'data-testid': 'ho-taken-over', text: ` ${t('ho.taken_over', { who: staffName(staff, s.incoming_id) })}` }) : null] : null)))))) : null,
      h('div', { class: 'desk-btn-row' },
        h('span', { class: 'small', text: colon(t('ho.outgoing'), s.outgoing_signed_at ? t('ho.signed', { t: fmtTime(s.outgoing_signed_at) }) : t('ho.unsigned')) }),
        h('span', { class: 'small', text: colon(t('ho.incoming'), s.incoming_signed_at ? t('ho.signed', { t: fmtTime(s.incoming_signed_at) }) : t('ho.unsigned')) }),
        canOut ? h('button', { type: 'button', class: 'btn btn-small btn-primary', onclick: () => sign(s, 'outgoing') }, t('ho.sign_out')) : null,
        canIn ? h('button', { type: 'button', class: 'btn btn-small btn-primary', onclick: () => sign(s, 'incoming') }, t('ho.sign_in')) : null,
        // R-SH-1: the paper copy the shift keeps, once both sides signed.
        s.outgoing_signed_at && s.incoming_signed_at ? h('a', { class: 'btn btn-small', 'data-testid': 'ho-print',
          href: `#/handover/${encodeURIComponent(s.id)}` }, t('ho.print')) : null),
      reviewBlock(s),
      sheetErr(s.id).el);
  }

  async function load() {
    const sheets = await api.get('/api/handovers');
    mount(listSlot, ...(sheets.length ? sheets.map(sheetCard) : [h('p', { class: 'empty', text: t("ho.empty") })]));
  }

  mount(body, h('h1', { text: t('ho.title') }), err.el,
    // A supervisor without a desk role (a team lead) reviews sheets but does not build them.
    h('div', { class: ['desk-ho-grid', isDesk ? '' : 'desk-ho-grid-single'] }, isDesk ? form : null, h('section', null, h('h2', { text: t('ho.list') }), listSlot)));
  try {
    await load();
  } catch (e) {
    err.show(e, t);
  }
}
