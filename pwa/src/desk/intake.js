// Intake 受理登记 (R-IN-1..6) and the opening decision 立项 that follows it (R-OP-1..3).
import { mount } from '../dom.js';
import { colon, joinClauses, paren } from '../i18n.js';
import { errorBox, errorText, field, fmtTime, label, loadStaff, loadUnits, options, select, staffName, unitPicker, waitedText } from './common.js';
import { callLinks, loadNumbersToCall, numbersFor, publicCallsBlock } from './emergency.js';
import { helpReplyStrip } from './help-reply.js';

const KINDS = ['repair', 'complaint', 'help', 'inquiry', 'special_service', 'daily_affair']; // R-IN-2
// The intake's "to be decided on site" choice for a repair's responsibility: the form's value only.
const ON_SITE = 'on_site';
// R-IN-6: the classes the owner pays for, (a) and (c); the fee told is recorded for them.
export const PAID_RESPONSIBILITIES = ['owner_private', 'owner_pays_defect'];

function radioGroup(h, name, opts, value, onchange) {
  return h('div', { class: 'segmented desk-segmented', role: 'radiogroup' },
    opts.map(([v, text]) => h('label', { class: 'segmented-item' },
      h('input', { type: 'radio', name, value: v, checked: v === value, onchange }),
      h('span', { text }))));
}

/**
 * R-OP-2 (F): the note an intake left unopened is stored with: the explanation the resident accepted,
 * then the desk's own note, in one text as the person typed them, so joined the way the desk's
 * language writes two clauses (D81): "已解释为市政停水；住户表示理解" / "Explained: mains cut; the
 * resident understood". The server keeps one note for the decision; nothing parses it.
 */
export function notOpenedNote(reason, note) {
  return joinClauses([reason, note]);
}

/**
 * What registering does with a call marked on the intake form (R-EM-5, D73, D82, D85), judged at `ref`
 * (the moment the form is sent, or now while it is drawn): 'sent' with the intake; 'not_applicable'
 * when the matter no longer calls for the number (D82); 'too_old' when marked more than the server's
 * `call_max_age_minutes` before, never placed at its time; 'needs_confirm' when marked more than
 * `call_confirm_after_minutes` before and the desk has not said it was this request's call. The
 * limits come from the server's table (GET /api/emergency-numbers/to-call), as the numbers do.
 */
export function markState(mark, { ref, callable, table }) {
  if (!callable.includes(mark.number)) return 'not_applicable';
  const age = ref - mark.at;
  const max = table?.call_max_age_minutes;
  const after = table?.call_confirm_after_minutes;
  if (Number.isFinite(max) && age > max * 60000) return 'too_old';
  if (Number.isFinite(after) && age > after * 60000 && !mark.confirmed) return 'needs_confirm';
  return 'sent';
}

/**
 * What stops the form from being sent, judged at `ref` as `markState` judges each mark (R-EM-5, D85):
 * 'too_old' while a mark past the server's limit stands on the form (it cannot be recorded as this
 * request's call, and sending would replace the form, mark and all, with the done panel: the desk
 * removes it and writes the time into the details); 'needs_confirm' while one waits for the desk's
 * word; else null. A too-old mark is named first: confirming would not let it through.
 */
export function submitBlock(marks, opts) {
  const states = marks.map((m) => markState(m, opts));
  return ['too_old', 'needs_confirm'].find((s) => states.includes(s)) ?? null;
}

// R-OP-3: who decides an opening the dispatcher could not; the server holds the same list.
export const OPENING_SUPERVISORS = ['team_lead', 'manager', 'deputy_gm', 'general_manager'];

/**
 * The 立项 decision form: A–E to open, or F with its reason text to keep the intake only.
 *
 * R-OP-3: a dispatcher who cannot decide passes it up to a named supervisor (POST …/refer-opening)
 * and the case then waits for them; a supervisor sees who asked and why, and their decision is
 * recorded as the supervisor's (escalated). The desk may still ask someone else while it waits.
 */
export function decidePanel(ctx, view, onDone, staff = []) {
  const { h, t, api } = ctx;
  const err = errorBox(h);
  const c = view.case;
  const roles = ctx.user?.roles || [];
  const supervisor = roles.some((r) => OPENING_SUPERVISORS.includes(r));
  const waiting = !c.opening ? c.opening_referral : null;
  // A pending hand-up leaves the dispatcher only the choice of whom to ask.
  let mode = waiting && !supervisor ? 'refer' : 'open';
  const reasons = h('div', { class: 'desk-reasons', role: 'radiogroup', 'aria-label': t('decide.reason') },
    ['A', 'B', 'C', 'D', 'E'].map((r) => h('label', { class: 'desk-radio' },
      h('input', { type: 'radio', name: 'open_reason', value: r, checked: c.is_emergency ? r === 'D' : false }),
      h('span', { text: label('open_reason', r) }))));
  const fReason = h('textarea', { name: 'not_open_note', rows: 2, placeholder: label('open_reason', 'F') });
  const fWrap = field(h, t('decide.f_reason'), fReason);
  // R-OP-2: the F reason is what not opening needs, checked here and said under its own box (D120); the
  // 备注 below is optional and never stands in for it.
  const fError = h('span', { class: 'field-hint desk-field-error', role: 'alert', 'data-testid': 'f-reason-error', hidden: true });
  fWrap.append(fError);
  const fMissing = (on) => {
    fError.hidden = !on;
    fError.textContent = on ? t('decide.f_reason_needed') : '';
    fWrap.classList.toggle('is-missing', on);
  };
  fReason.addEventListener('input', () => { if (fReason.value.trim()) fMissing(false); });
  const note = h('input', { type: 'text', name: 'decide_note' });
  const noteWrap = field(h, t('decide.note'), note);
  // A supervisor deciding what a dispatcher asked in person (no hand-up on record) says so here.
  const escalated = h('input', { type: 'checkbox', name: 'escalated' });
  const escWrap = supervisor && !waiting ? h('label', { class: 'desk-check' }, escalated, t('decide.escalated')) : null;
  const referTo = h('select', { name: 'refer_to', 'data-testid': 'refer-to' }, h('option', { value: '' }, t('intake.choose')));
  loadStaff(ctx).then((staff) => {
    for (const s of staff) {
      const role = OPENING_SUPERVISORS.find((r) => s.roles.includes(r));
      if (!role || s.id === ctx.user?.id || s.id === waiting?.to_id) continue;
      referTo.append(h('option', { value: s.id }, paren(s.display_name || s.username, label('role', role))));
    }
  }).catch(() => {});
  const referNote = h('textarea', { name: 'refer_note', rows: 2, placeholder: t('decide.refer_note_ph') });
  const referWrap = h('div', { class: 'desk-refer' },
    field(h, t('decide.refer_to'), referTo), field(h, t('decide.refer_note'), referNote));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'decide-submit' });
  const sync = () => {
    reasons.hidden = mode !== 'open';
    fWrap.hidden = mode !== 'not_open';
    noteWrap.hidden = mode === 'refer';
    if (escWrap) escWrap.hidden = mode === 'refer';
    referWrap.hidden = mode !== 'refer';
    submit.textContent = t({ open: 'decide.submit_open', not_open: 'decide.submit_not_open', refer: 'decide.submit_refer' }[mode]);
  };
  const choices = [['open', t('decide.open')], ['not_open', t('decide.not_open')]];
  if (!supervisor) choices.push(['refer', t('decide.refer')]);
  if (waiting && !supervisor) choices.splice(0, 2); // only the supervisor decides it now (R-OP-3)
  const asked = waiting ? t('decide.waiting', {
    who: staffName(staff, waiting.by), to: staffName(staff, waiting.to_id), at: fmtTime(waiting.at),
  }) : '';
  const waitingNote = waiting ? h('p', { class: 'notice notice-warn', 'data-testid': 'decide-waiting',
    text: waiting.note ? colon(asked, waiting.note) : asked }) : null;
  const form = h('form', {
    class: 'desk-decide',
    onsubmit: async (e) => {
      e.preventDefault();
      err.clear();
      let path = `/api/cases/${c.id}/decide`;
      let body;
      if (mode === 'refer') {
        if (!referTo.value) {
          err.show(t('decide.refer_pick'), t);
          referTo.focus();
          return;
        }
        path = `/api/cases/${c.id}/refer-opening`;
        body = { to_id: referTo.value, note: referNote.value.trim() };
      } else {
        body = { open: mode === 'open', note: note.value.trim(), escalated: escalated.checked };
        if (mode === 'open') {
          const r = reasons.querySelector('input:checked');
          if (r) body.reason = r.value; // R-OP-1 A–E; the server refuses without one
        } else {
          if (!fReason.value.trim()) {
            fMissing(true);
            fReason.focus();
            return;
          }
          // R-OP-2 (F): the server takes no reason code for not opening; the F text is the note.
          body.note = notOpenedNote(fReason.value.trim(), body.note);
        }
      }
      submit.disabled = true;
      try {
        const v = await api.post(path, body);
        ctx.toast(t({ open: 'decide.done_open', not_open: 'decide.done_not_open', refer: 'decide.done_refer' }[mode]), 'ok');
        onDone(v);
      } catch (ex) {
        // The server's word on a missing F reason goes under that box too.
        if (mode === 'not_open' && ex?.details?.field === 'not_open_reason') fMissing(true);
        else err.show(ex, t);
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('h2', { text: t(waiting && !supervisor ? 'decide.title_waiting' : 'decide.title') }),
  waitingNote,
  choices.length > 1 ? radioGroup(h, 'open', choices, mode, (e) => { mode = e.target.value; sync(); }) : null,
  reasons,
  fWrap,
  referWrap,
  noteWrap,
  escWrap,
  err.el,
  h('div', { class: 'dialog-actions' }, submit));
  sync();
  return form;
}

// R-SS-1..3: a special service is taken as a booking, never as a bare intake (the server refuses to
// dispatch one: case.special_service_needs_booking), so the form sends the desk to the booking page.
const SS_STRINGS = {
  zh: {
    'intake.ss_title': '特约服务请在「特约服务」页预约',
    'intake.ss_body': '预约时按总经理批准的价目告知收费，住户认可后派工，完工后由收银员结算。',
    'intake.ss_go': '去特约服务预约',
  },
  en: {
    'intake.ss_title': 'Book special services on the Special services page',
    'intake.ss_body': 'The booking tells the GM-approved fee, dispatches once the resident agrees, and the cashier settles.',
    'intake.ss_go': 'Book a special service',
  },
};

// The next call: after one intake the form is locked (it shows what was recorded) until the desk
// asks for a fresh one, here or with the 受理登记 link it is already on (the same hash, no route change).
const NEXT_STRINGS = {
  zh: { 'intake.next': '受理下一条' },
  en: { 'intake.next': 'Record the next request' },
};

export async function renderIntake(body, ctx) {
  const { h, t, api } = ctx;
  ctx.registerStrings(SS_STRINGS);
  ctx.registerStrings(NEXT_STRINGS);
  const units = await loadUnits(ctx).catch(() => []);
  // R-EM-5: which public number each help kind and emergency type calls for (the server's table).
  const toCall = await loadNumbersToCall(ctx).catch(() => null);
  const picker = unitPicker(h, t, units);
  const err = errorBox(h);
  let kind = 'repair';

  const ctl = {
    channel: select(h, 'channel', options('channel'), { value: 'phone' }),
    complaint_category: select(h, 'complaint_category', options('complaint_category'), { empty: t('intake.choose') }),
    help_kind: select(h, 'help_kind', options('help_kind'), { empty: t('intake.choose') }),
    // R-IN-6 (D38): no preselected responsibility. The desk picks (a)–(d), or says in so many words
    // that only the site visit can tell (ON_SITE, sent as no responsibility); a repair with neither
    // is not sent.
    repair_responsibility: select(h, 'repair_responsibility',
      [...options('repair_responsibility'), [ON_SITE, t('intake.on_site')]], { empty: t('intake.choose') }),
    // R-FU-4: no class yet is the general repair's 72 hours (the server's rule), and says so.
    repair_class: select(h, 'repair_class', options('repair_class'), { empty: t('intake.class_open') }),
    fee: h('input', { type: 'number', name: 'fee_quote', min: '0', step: '0.01', inputmode: 'decimal' }),
    building: picker.building,
    unit: picker.unit,
    address: h('input', { type: 'text', name: 'address', autocomplete: 'off' }),
    contact_name: h('input', { type: 'text', name: 'contact_name', autocomplete: 'off' }),
    phone: h('input', { type: 'tel', name: 'phone', autocomplete: 'off' }),
    content: h('textarea', { name: 'content', rows: 4 }),
    is_major: h('input', { type: 'checkbox', name: 'is_major' }),
    emergency: select(h, 'emergency_trigger', options('trigger'), { empty: t('intake.emergency_none') }),
  };
  const wrap = (name, labelKey, control, hint) => {
    const f = field(h, t(labelKey), control, hint);
    f.dataset.field = name;
    return f;
  };
  const f = {
    complaint_category: wrap('complaint_category', 'intake.complaint_category', ctl.complaint_category), // R-IN-3
    help_kind: wrap('help_kind', 'intake.help_kind', ctl.help_kind, t('intake.help_emergency_note')), // R-IN-4
    repair_responsibility: wrap('repair_responsibility', 'intake.repair_responsibility', ctl.repair_responsibility), // R-IN-6
    repair_class: wrap('repair_class', 'intake.repair_class', ctl.repair_class), // R-FU-4
    fee: wrap('fee_quote_cents', 'intake.fee_quote', ctl.fee, t('intake.fee_hint')),
  };
  // R-EM-5: the moment the help kind or emergency type calls for a public service, the desk is told
  // which number to dial, before the record is complete: the call comes first, the form after.
  const callPrompt = h('div', { class: 'notice notice-error desk-call-prompt desk-span2', 'data-testid': 'intake-call-prompt', role: 'alert', hidden: true });
  // R-EM-5 (D73): the dispatcher marks 已拨打 as they call, before the form is complete; each mark keeps
  // the moment it was pressed on this desk's clock, and registering sends them with the form's opening
  // and sending times (same clock), so the server records each call when it was made.
  const formOpenedAt = new Date();
  const marked = [];
  // The numbers the matter calls for now. A mark for a number the matter no longer calls for (the help
  // kind or emergency type was changed after it) is kept but shown as not applicable and not sent: the
  // server takes only the numbers the matter calls for (emergency.call_not_called_for), and a choice
  // changed back makes it applicable again, with the time it was pressed (D82).
  let callable = [];
  let emergencyNow = false;
  const applies = (m) => callable.includes(m.number);
  // D85: a mark made long before sending (the form left open over lunch) is sent only once the desk
  // confirms it was this request's call, and one past the server's limit not at all; neither is
  // dropped: it stays on the form, with its time, and stops the sending until the desk confirms it or
  // removes it (a too-old one is removed, its time written into the details).
  const stateOf = (m, ref = new Date()) => markState(m, { ref, callable, table: toCall });
  const markedList = h('div', { class: 'desk-span2 desk-intake-marked', 'data-testid': 'intake-marked-calls', hidden: true });
  function markNote(m, state, ref) {
    const name = t(`desk.em.${m.number}`);
    if (state === 'not_applicable') {
      return h('div', { class: 'warn-text', 'data-testid': 'intake-mark-not-applicable',
        text: t(emergencyNow ? 'intake.call_not_applicable' : 'intake.call_not_applicable_no_em', { label: name }) });
    }
    if (state === 'too_old') {
      return h('div', { class: 'warn-text', 'data-testid': 'intake-mark-too-old',
        text: t('intake.call_too_old', { label: name, h: Math.round(toCall.call_max_age_minutes / 60) }) });
    }
    if (state === 'needs_confirm') {
      return h('div', { class: 'warn-text', 'data-testid': 'intake-mark-stale' },
        t('intake.call_stale_q', { label: name, ago: waitedText(ref - m.at, t) }), ' ',
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'intake-mark-confirm',
          onclick: () => { m.confirmed = true; drawMarked(); } }, t('intake.call_confirm', { t: fmtTime(m.at.toISOString()) })));
    }
    // The confirm button is offered only on a mark that needed it, so a confirmed mark is a stale one.
    return m.confirmed ? h('div', { class: 'small muted', 'data-testid': 'intake-mark-confirmed', text: t('intake.call_confirmed') }) : null;
  }
  function drawMarked(ref = new Date()) {
    markedList.hidden = !marked.length;
    mount(markedList, marked.length ? h('ul', { class: 'plain-list small' }, marked.map((m, i) => {
      const state = stateOf(m, ref);
      const ok = state !== 'not_applicable' && state !== 'too_old';
      const text = t('intake.call_marked', { label: t(`desk.em.${m.number}`), t: fmtTime(m.at.toISOString()) });
      return h('li', { class: ok ? '' : 'is-not-applicable', dataset: { number: m.number, applies: applies(m) ? 'yes' : 'no', state } },
        ok ? text : h('s', { text }), ' ',
        h('button', { type: 'button', class: 'btn btn-small', 'aria-label': t('intake.call_unmark'), title: t('intake.call_unmark'),
          onclick: () => { marked.splice(i, 1); drawMarked(); } }, '×'),
        markNote(m, state, ref));
    })) : []);
  }
  function syncCallPrompt() {
    const helpKind = kind === 'help' ? ctl.help_kind.value : null;
    const numbers = numbersFor(toCall, helpKind, ctl.emergency.value);
    callable = numbers;
    // R-EM-1: an emergency type chosen, or a help kind that is one (each of those calls for a number):
    // the case page then has its emergency panel, where a call is recorded once registered.
    emergencyNow = Boolean(ctl.emergency.value) || numbersFor(toCall, helpKind, null).length > 0;
    callPrompt.hidden = !numbers.length;
    mount(callPrompt, numbers.length ? [
      h('strong', { text: t('em.call_prompt') }),
      callLinks(h, t, numbers),
      h('div', { class: 'desk-btn-row' }, numbers.map((n) => h('button', {
        type: 'button', class: 'btn btn-small', dataset: { mark: n },
        onclick: () => { marked.push({ number: n, at: new Date() }); drawMarked(); },
      }, t('intake.call_mark', { n: t(`desk.em.${n}`) })))),
      h('p', { class: 'small', text: t('intake.call_mark_hint') }),
    ] : []);
    callPrompt.dataset.numbers = numbers.join(' ');
    drawMarked();
  }
  ctl.help_kind.addEventListener('change', syncCallPrompt);
  ctl.emergency.addEventListener('change', syncCallPrompt);

  function sync() {
    syncCallPrompt();
    f.complaint_category.hidden = kind !== 'complaint';
    f.help_kind.hidden = kind !== 'help';
    f.repair_responsibility.hidden = kind !== 'repair';
    f.repair_class.hidden = kind !== 'repair';
    const resp = ctl.repair_responsibility.value;
    f.fee.hidden = !(kind === 'repair' && PAID_RESPONSIBILITIES.includes(resp));
    f.fee.querySelector('.field-hint').textContent = t(resp === 'owner_pays_defect' ? 'intake.fee_hint_c' : 'intake.fee_hint');
    steer.hidden = kind !== 'special_service';
    submit.hidden = kind === 'special_service';
  }
  ctl.repair_responsibility.addEventListener('change', () => {
    f.repair_responsibility.classList.remove('is-missing'); // the desk has now decided
    sync();
  });

  const side = h('div', { class: 'desk-intake-side' },
    h('div', { class: 'card desk-hint' },
      h('p', { class: 'small', text: t('intake.receiver', { name: ctx.user?.display_name || ctx.user?.username || '' }) })));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'intake-submit' }, t('intake.submit'));
  const steer = h('div', { class: 'card desk-hint', 'data-testid': 'intake-special-service', hidden: true },
    h('p', null, h('strong', { text: t('intake.ss_title') })),
    h('p', { class: 'small', text: t('intake.ss_body') }),
    h('a', { href: '#/services', class: 'btn btn-primary' }, t('intake.ss_go')));

  const form = h('form', {
    class: 'card desk-intake-form',
    'aria-label': t('intake.title'),
    novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      if (kind === 'special_service') return; // Enter in a field: the booking page is the way (steer)
      err.clear();
      form.querySelectorAll('.is-missing').forEach((el) => el.classList.remove('is-missing'));
      if (kind === 'repair' && !ctl.repair_responsibility.value) {
        // R-IN-6 (D38): the desk decides, even if the decision is "on site"; no silent default.
        err.show(t('intake.responsibility_required'), t);
        f.repair_responsibility.classList.add('is-missing');
        ctl.repair_responsibility.focus();
        return;
      }
      const data = {
        kind,
        channel: ctl.channel.value,
        contact_name: ctl.contact_name.value.trim(),
        phone: ctl.phone.value.trim(),
        content: ctl.content.value.trim(),
        is_major: ctl.is_major.checked,
      };
      if (ctl.unit.value) data.unit_id = ctl.unit.value;
      if (ctl.address.value.trim()) data.address = ctl.address.value.trim();
      if (kind === 'complaint' && ctl.complaint_category.value) data.complaint_category = ctl.complaint_category.value;
      if (kind === 'help' && ctl.help_kind.value) data.help_kind = ctl.help_kind.value;
      if (kind === 'repair') {
        const resp = ctl.repair_responsibility.value;
        if (resp !== ON_SITE) data.repair_responsibility = resp; // to be decided on site: none yet
        if (ctl.repair_class.value) data.repair_class = ctl.repair_class.value;
      }
      if (!f.fee.hidden && ctl.fee.value !== '') data.fee_quote_cents = Math.round(Number(ctl.fee.value) * 100);
      if (ctl.emergency.value) data.emergency_trigger = ctl.emergency.value; // R-EM-1
      // R-EM-5 (D82, D85): only the numbers the matter calls for, marked recently enough or confirmed;
      // the marks are judged at the very moment sent as `sent_at`, as the server will judge them.
      const sentAt = new Date();
      drawMarked(sentAt);
      const blocked = submitBlock(marked, { ref: sentAt, callable, table: toCall });
      if (blocked === 'too_old') { // D85: kept on the form, never lost with it, until the desk removes it
        err.show(t('intake.call_too_old_block', { h: Math.round(toCall.call_max_age_minutes / 60) }), t);
        markedList.querySelector('li[data-state=too_old] button')?.focus();
        return;
      }
      if (blocked === 'needs_confirm') {
        err.show(t('intake.call_confirm_needed', { min: toCall.call_confirm_after_minutes }), t);
        markedList.querySelector('[data-testid=intake-mark-confirm]')?.focus();
        return;
      }
      const sent = marked.filter((m) => stateOf(m, sentAt) === 'sent');
      if (sent.length) { // R-EM-5: recorded with the intake, or not at all
        data.public_calls = sent.map((m) => ({ number: m.number, at: m.at.toISOString(), ...(m.confirmed ? { confirmed: true } : {}) }));
        data.form_opened_at = formOpenedAt.toISOString();
        data.sent_at = sentAt.toISOString();
      }
      submit.disabled = true;
      try {
        const view = await api.post('/api/cases', data); // R-IN-1: received time is the server's
        ctx.toast(t('intake.received', { no: view.case.no }), 'ok');
        showDecision(view);
      } catch (ex) {
        err.show(ex, t);
        for (const m of ex.details?.missing || []) {
          const name = m === 'address' ? 'unit_id' : m;
          form.querySelector(`[data-field="${name}"]`)?.classList.add('is-missing');
          if (m === 'address') form.querySelector('[data-field="address"]')?.classList.add('is-missing');
        }
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('h1', { text: t('intake.title') }),
  h('div', { class: 'desk-form-grid' },
    wrap('channel', 'intake.channel', ctl.channel),
    h('div', { class: 'desk-field desk-span2', dataset: { field: 'kind' } },
      h('span', { class: 'field-label', text: t('intake.kind') }),
      radioGroup(h, 'kind', KINDS.map((k) => [k, label('kind', k)]), kind, (e) => {
        kind = e.target.value;
        sync();
      })),
    f.complaint_category, f.help_kind, callPrompt, markedList, f.repair_responsibility, f.repair_class, f.fee,
    wrap('building', 'intake.building', ctl.building),
    wrap('unit_id', 'intake.unit', ctl.unit),
    h('div', { class: 'desk-span2' }, wrap('address', 'intake.address', ctl.address)),
    wrap('contact_name', 'intake.contact_name', ctl.contact_name),
    wrap('phone', 'intake.phone', ctl.phone),
    h('div', { class: 'desk-span2' }, wrap('content', 'intake.content', ctl.content)),
    wrap('emergency_trigger', 'intake.emergency', ctl.emergency),
    h('label', { class: 'desk-check desk-check-field' }, ctl.is_major, t('intake.major'))),
  err.el,
  steer,
  h('div', { class: 'dialog-actions' }, submit));
  sync();

  function showDecision(view) {
    form.querySelectorAll('input, select, textarea, button').forEach((el) => { el.disabled = true; });
    locked = true;
    // R-EM-5: the call the form prompted is recorded on the case just registered (who, when, which).
    const calls = h('div', { class: 'desk-intake-calls' });
    const drawCalls = (v, staff) => mount(calls, v.case.emergency ? publicCallsBlock(ctx, v, staff, async (number) => {
      try {
        const next = await ctx.api.post(`/api/cases/${v.case.id}/emergency/public-call`, { number });
        ctx.toast(t('em.call_recorded', { n: t(`desk.em.${number}`) }), 'ok');
        drawCalls(next, staff);
      } catch (ex) {
        ctx.toast(errorText(ex, t), 'error');
      }
    }) : []);
    loadStaff(ctx).catch(() => []).then((staff) => drawCalls(view, staff));
    // R-IN-5 (D89): a help request is answered within 5 minutes, most often right after registering it.
    const reply = h('div', { class: 'desk-intake-reply' });
    const drawReply = (v) => mount(reply, helpReplyStrip(ctx, v, drawReply) || []);
    drawReply(view);
    const done = h('div', { class: 'card desk-intake-done' },
      h('p', null, h('strong', { text: t('intake.received', { no: view.case.no }) })),
      reply,
      calls,
      decidePanel(ctx, view, (v) => ctx.navigate(`#/case/${v.case.id}`)),
      h('div', { class: 'dialog-actions' },
        h('a', { href: `#/case/${view.case.id}`, class: 'small' }, t('decide.skip')),
        h('button', { type: 'button', class: 'btn', 'data-testid': 'intake-next', onclick: fresh }, t('intake.next'))));
    mount(side, done);
    // The desk sees the case number and the 立项/不立项 switch first: the panel's top comes into view
    // (below the sticky top bar, styles.css scroll-padding-top), and the first reason takes the
    // focus without scrolling again to put itself just under the bar.
    done.scrollIntoView({ block: 'start' });
    done.querySelector('input[name=open_reason]')?.focus({ preventScroll: true });
  }

  // A locked form (one request recorded) is replaced by a fresh one; a decision not taken yet is
  // taken on the case page, as with 稍后决定. The link's listener dies with the header it is on.
  let locked = false;
  const navLink = body.closest('.desk')?.querySelector('a.desk-nav-link[href="#/intake"]');
  function fresh(e) {
    e?.preventDefault();
    navLink?.removeEventListener('click', onNav);
    renderIntake(body, ctx);
  }
  function onNav(e) {
    if (locked) fresh(e);
  }
  navLink?.addEventListener('click', onNav);

  mount(body, h('div', { class: 'desk-intake-grid' }, form, side));
  ctl.contact_name.focus();
  return () => navLink?.removeEventListener('click', onNav);
}
