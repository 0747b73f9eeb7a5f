// Case detail: content, state, clocks with live countdowns, work orders, the service slip, the
// audit timeline, and every desk action valid for the case's state (R-OP, R-DI, R-FU, R-CL, R-EM).
import { openDialog, mount } from '../dom.js';
import { colon, joinList, paren, t } from '../i18n.js';
import { noteText } from '../notes.js';
import { ratingRows } from '../slip-rating.js';
import { DESK, LEADERSHIP } from '../roles.js';
import { zonedToIso } from '../zone.js';
import {
  blobObjectUrl, clockText, closeApproved, countdownEl, errorBox, errorText, field, fmtExact, fmtTime, isEn, label, loadStaff,
  options, select, staffName, whenEl, withWhen,
} from './common.js';
import { actionDialog } from './action-dialog.js';
import { assigneeChooser, leadsReached, toldTitle } from './assignee.js';
import { CALLER_ROLES, callBackCard } from './callback.js';
import { sortedClocks, stoppedClockText } from './clock-order.js';
import { dispatchAllowed, mayAct } from './case-actions.js';
import { contactSlipBadge, contactSlipCard, contactSlipPrintId, renderContactSlipPrint } from './contact-slip.js';
import { renderWorkOrderPrint, workOrderPrintId, workOrderPrintLink } from './work-order.js';
import { emergencyPanel } from './emergency.js';
import { HELP_REPLY_CLOCK, helpReplyButton } from './help-reply.js';
import { loadRefusals, refusalsPanel } from './refusals.js';
import { PAID_RESPONSIBILITIES, decidePanel } from './intake.js';
import { signatureDialog } from './signature.js';
import { closeWaitsOnlyForSlip, slipCheckCode, slipFlowSteps } from '../slip-check.js';
import { actedAt, clockChangedNote, inActedOrder, syncedNote, timelineSentence } from './timeline.js';

const TERMINAL = ['closed', 'not_opened'];
const WORKING = ['opened', 'dispatched', 'accepted', 'on_site'];

function hasRole(ctx, r) {
  return (ctx.user?.roles || []).includes(r);
}

/**
 * The 立项 line, each fact said once (R-OP-3, R-OP-4): `decision` is what was decided and why (or
 * whom it waits for); `detail` who decided and when and, when the dispatcher passed it up, who did
 * and their reason — naming the one asked only when someone else decided. `fmt` writes the times
 * (the case page passes withWhen's, so that they print with the year).
 */
export function openingLines(op, ref, staff, fmt = fmtTime) {
  const name = (id) => staffName(staff, id);
  let passed = '';
  if (ref) {
    const to = op && ref.to_id !== op.decided_by ? 'detail.passed_up_to' : 'detail.passed_up';
    passed = t(to, { by: name(ref.by), at: fmt(ref.at), to: name(ref.to_id) });
    if (ref.note) passed = colon(passed, ref.note);
  }
  const upper = (s) => s.charAt(0).toUpperCase() + s.slice(1); // English starts a line with a capital
  if (!op) return { decision: t('detail.awaiting', { who: name(ref.to_id) }), detail: upper(passed) };
  const decision = paren(label('open_reason', op.opened ? op.reason : 'F'), op.note);
  const how = passed || (op.escalated ? t('detail.not_decidable') : '');
  const detail = [t('detail.decided_by', { who: name(op.decided_by), at: fmt(op.decided_at) }), how].filter(Boolean).join(' · ');
  return { decision, detail: upper(detail) };
}

/**
 * One follow-up as the list shows it: when, which, by whom, the note, a new agreed time, and —
 * apart, to stand out — the manager it was reported to (R-FU-2's "tell the manager", R-FU-3's
 * Monday review passed to the manager to confirm or set a new approach), and under a passed-up
 * review the manager's answer (`answers`: the case's review_answers), which the review is for. `fmt`
 * writes the times, as for openingLines.
 */
export function followUpLine(f, staff, answers = [], fmt = fmtTime) {
  const text = [fmt(f.at), followUpKindText(f), staffName(staff, f.by), f.note,
    f.new_due_at ? t('detail.agreed_time', { at: fmt(f.new_due_at) }) : ''].filter(Boolean).join(' · ');
  const manager = f.reported_to_manager_id ? t('detail.told_manager', { who: staffName(staff, f.reported_to_manager_id) }) : '';
  const a = f.reported_to_manager_id ? (answers || []).find((x) => sameInstant(x.referral_at, f.at)) : null;
  const answer = a ? t('detail.review_answer', { who: staffName(staff, a.by), at: fmt(a.at), approach: a.approach }) : '';
  return { text, manager, answer };
}

// A reply says how it was given (R-IN-5): only a written one answers a written inquiry. Replies
// stored before the medium was asked have none, and say so rather than guess.
function followUpKindText(f) {
  if (f.kind !== 'reply') return label('follow_up', f.kind);
  const how = paren(label('follow_up', f.kind), f.medium ? label('reply_medium', f.medium) : t('detail.medium_unknown'));
  // A written reply is a document someone signed and issued (D74); one stored before that was asked: —.
  return f.medium === 'written' ? `${how} · ${t('detail.reply_signer', { who: f.signer || '—' })}` : how;
}

/**
 * The medium the reply form starts with (R-IN-5): as the resident asked — a written inquiry is
 * answered in writing, a walk-in in person, anything else (a call, the app, the control room) by phone.
 */
export function defaultReplyMedium(c) {
  if (c?.channel === 'written') return 'written';
  if (c?.channel === 'walk_in') return 'in_person';
  return 'phone';
}

/** R-IN-5: a written inquiry's reply clock runs on until a written reply; the form says so. */
export function needsWrittenReply(c) {
  return c?.kind === 'inquiry' && c?.channel === 'written';
}

/** Whether the written-reply clock still runs (R-IN-5): the reply is then the thing to do. */
function writtenReplyDue(view) {
  return (view.clocks || []).some((k) => k.code === 'IN5_WRITTEN_REPLY_2D' && k.running);
}

// The server writes both instants the same way, but compare the instants, not their spelling.
const sameInstant = (x, y) => !!x && !!y && Date.parse(x) === Date.parse(y);

function kv(h, k, v) {
  if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)) return null;
  return h('div', { class: 'kv-row' }, h('div', { class: 'kv-label', text: k }), h('div', { class: 'kv-value' }, v));
}

export async function renderCase(body, ctx, caseId) {
  // #/case/<id>/contact-slip/<slip id>: the work-contact slip's print view (R-IN-6 d).
  if (contactSlipPrintId(ctx.route)) return renderContactSlipPrint(body, ctx, caseId, contactSlipPrintId(ctx.route));
  // #/case/<id>/work-order/<work order id>: one work order's printable sheet (R-DI-3).
  if (workOrderPrintId(ctx.route)) return renderWorkOrderPrint(body, ctx, caseId, workOrderPrintId(ctx.route));
  const { h, t, api } = ctx;
  const staff = await loadStaff(ctx).catch(() => []);
  let view = await api.get(`/api/cases/${encodeURIComponent(caseId)}`);
  // Records phones sent about this case that the server refused (handled ones too: the history).
  let refused = await loadRefusals(ctx, { caseId });
  // The call-back this case is owed once its job is done (R-FU-6), recorded here too (D100).
  let callBacks = await loadCallBacks();
  const refusalsSelection = new Set(); // the records ticked, kept while the page re-draws

  // Runs one command; the response's timeline lags the command, so re-read the case (GET).
  // `done` names what was done for the toast (已销项 GD…); plain 已保存 otherwise.
  async function run(fn, errBox, done) {
    try {
      await fn();
      await reload();
      ctx.toast(done || t('desk.saved'), 'ok');
    } catch (ex) {
      if (errBox) errBox.show(ex, t);
      else ctx.toast(errorText(ex, t), 'error');
      throw ex;
    }
  }
  const runQuiet = (fn, errBox, done) => run(fn, errBox, done).catch(() => {});
  // The toast after steps were done: what, on which case (已销项 GD…), not only 已保存.
  const doneToast = (keys) => {
    const steps = joinList(keys.map((k) => t(`toast.step.${k}`)));
    return t('toast.done', { steps: steps.charAt(0).toUpperCase() + steps.slice(1), no: view.case.no });
  };

  async function reload() {
    [view, refused] = await Promise.all([api.get(`/api/cases/${encodeURIComponent(caseId)}`), loadRefusals(ctx, { caseId })]);
    callBacks = await loadCallBacks();
    draw();
  }

  // Readers of GET /api/callbacks: the desk, leadership and the team lead; nothing to ask before the
  // job is done (a call-back task is made when the case completes).
  async function loadCallBacks() {
    if (!(ctx.user?.roles || []).some((r) => [...DESK, ...LEADERSHIP, 'team_lead'].includes(r))) return [];
    if (!view.case.completed_at && !['completed', 'closed'].includes(view.case.state)) return [];
    return api.get(`/api/callbacks?case_id=${encodeURIComponent(caseId)}`).catch(() => []);
  }

  function callBackCards() {
    const canCall = (ctx.user?.roles || []).some((r) => CALLER_ROLES.includes(r));
    return callBacks.map((c) => callBackCard(ctx, c, { canCall, onDone: reload }));
  }

  const post = (path, json) => api.post(`/api/cases/${view.case.id}${path}`, json || {});
  const afterDialog = async (result) => {
    if (result) await reload();
  };

  // ---- dialogs -------------------------------------------------------------------------------
  function dispatchDialog() {
    // The same chooser as a booking's row (desk/assignee.js): the leads tried are asked beside the choice,
    // the leads being those the server names for the case's line of work (R-DI-1).
    const who = assigneeChooser(h, t, staff, { leads: view.summary?.leads ?? null, reached: leadsReached(view.case) });
    const job = h('input', { type: 'text', name: 'job', value: view.case.content.slice(0, 100) });
    const deadline = h('input', { type: 'datetime-local', name: 'deadline_at' });
    const means = select(h, 'means', options('means'), { value: 'phone' });
    const fields = [
      field(h, t('dlg.assignee'), who.select, t('dlg.direct_hint')),
      who.tried,
      who.note,
      field(h, t('dlg.job'), job),
      h('div', { class: 'desk-form-grid' }, field(h, t('dlg.deadline'), deadline), field(h, t('dlg.means'), means)),
    ];
    return actionDialog(ctx, view.case.work_orders.some((w) => ['dispatched', 'accepted', 'on_site'].includes(w.state)) ? t('act.redispatch') : t('act.dispatch'), fields, () => {
      if (!who.select.value) throw t('desk.missing', { list: t('dlg.assignee') });
      const body = {
        assignee_id: who.select.value, job: job.value.trim(), means: means.value,
        unreached_lead_ids: who.unreached(), // R-DI-1
      };
      const iso = zonedToIso(deadline.value);
      if (iso) body.deadline_at = iso; // R-DI-3
      return post('/dispatch', body);
    }).then(afterDialog);
  }

  function reportUpDialog() {
    const role = select(h, 'to_role', ['manager', 'deputy_gm', 'general_manager'].map((r) => [r, label('role', r)]), { value: 'manager' });
    const person = h('select', { name: 'to_id' });
    const fill = () => mount(person, h('option', { value: '' }, '—'),
      ...staff.filter((s) => s.roles.includes(role.value)).map((s) => h('option', { value: s.id, selected: true }, s.display_name)));
    role.addEventListener('change', fill);
    fill();
    const means = select(h, 'means', options('means'), { value: 'phone' });
    return actionDialog(ctx, t('act.report_up'), [field(h, t('dlg.to_role'), role), field(h, t('dlg.to_person'), person), field(h, t('dlg.means'), means)],
      () => post('/report-up', { to_role: role.value, to_id: person.value || null, means: means.value }), { rule: 'R-DI-2' }).then(afterDialog);
  }

  // `replyOnly`: a written inquiry left unopened takes its reply and nothing else (R-IN-5, R-OP-2).
  function followUpDialog(kindValue = 'first', { replyOnly = false } = {}) {
    const kind = select(h, 'kind', options('follow_up').filter(([v]) => !replyOnly || v === 'reply'), { value: kindValue });
    const note = h('textarea', { name: 'note', rows: 3 });
    const mgr = h('select', { name: 'reported_to_manager_id' }, h('option', { value: '' }, '—'),
      staff.filter((s) => s.roles.includes('manager')).map((s) => h('option', { value: s.id }, s.display_name)));
    const due = h('input', { type: 'datetime-local', name: 'new_due_at' });
    const dueField = field(h, t('dlg.new_due'), due);
    // R-IN-5: a reply records its medium; only a written one meets a written inquiry's 2-day clock.
    const medium = select(h, 'medium', options('reply_medium'), { value: defaultReplyMedium(view.case) });
    const mediumField = field(h, t('dlg.reply_medium'), medium);
    const mediumHint = h('p', { class: 'notice notice-warn small', 'data-testid': 'reply-not-written', text: t('dlg.reply_not_written') });
    // A written reply names who signed and issued it (签发人): the desk's own user unless changed (D74).
    const signer = h('input', { type: 'text', name: 'signer', maxlength: 60, autocomplete: 'off',
      value: ctx.user?.display_name || ctx.user?.username || '' });
    const signerField = field(h, t('dlg.reply_signer'), signer);
    // R-FU-7: a delay notice is the reason told to the resident and the new time agreed with them;
    // the time is then required (the server refuses one without it), and the note is the reason.
    const hint = h('p', { class: 'muted small' });
    const adapt = () => {
      const delay = kind.value === 'delay_notice';
      due.required = delay;
      note.required = delay;
      dueField.querySelector('.field-label').textContent = t(delay ? 'dlg.agreed_time' : 'dlg.new_due');
      note.placeholder = delay ? t('dlg.delay_reason') : '';
      hint.textContent = delay ? t('dlg.delay_hint') : '';
      hint.hidden = !delay;
      const reply = kind.value === 'reply';
      mediumField.hidden = !reply;
      medium.required = reply;
      mediumHint.hidden = !(reply && needsWrittenReply(view.case) && medium.value !== 'written');
      signerField.hidden = !(reply && medium.value === 'written');
      signer.required = !signerField.hidden;
    };
    kind.addEventListener('change', adapt);
    medium.addEventListener('change', adapt);
    adapt();
    const title = replyOnly ? t('act.reply') : kindValue === 'delay_notice' ? t('act.delay_notice') : t('act.follow_up');
    // Nothing is followed up on an unopened intake: only the reply, so no manager and no new time.
    const rest = replyOnly ? [] : [field(h, t('dlg.reported_to_manager'), mgr), dueField];
    return actionDialog(ctx, title, [field(h, t('dlg.kind'), kind), hint,
      mediumField, mediumHint, signerField, field(h, t('dlg.note'), note), ...rest], () => {
      const body = { kind: kind.value, note: note.value.trim() };
      if (kind.value === 'reply') body.medium = medium.value; // R-IN-5
      if (!signerField.hidden) {
        if (!signer.value.trim()) throw t('dlg.reply_signer_required');
        body.signer = signer.value.trim();
      }
      if (mgr.value) body.reported_to_manager_id = mgr.value; // R-FU-2
      const iso = zonedToIso(due.value);
      if (iso) body.new_due_at = iso;
      return post('/follow-up', body);
    }, { rule: replyOnly ? 'R-IN-5' : 'R-FU-1 / R-FU-2 / R-FU-3 / R-FU-6 / R-FU-7 / R-IN-5' }).then(afterDialog);
  }

  function textDialog(title, path, key, labelText, { rows = 3, hint, rule, danger } = {}) {
    const input = h('textarea', { name: key, rows });
    return actionDialog(ctx, title, [field(h, labelText, input)], () => post(path, { [key]: input.value.trim() }), { hint, rule, danger }).then(afterDialog);
  }

  function feedbackDialog() {
    const date = h('input', { type: 'date', name: 'promised', required: true });
    const reason = h('input', { type: 'text', name: 'reason' });
    const used = view.case.feedback_promises.length;
    return actionDialog(ctx, t('act.feedback'), [field(h, t('dlg.promised'), date), used ? field(h, t('dlg.reason'), reason) : null], () => {
      if (!date.value) throw t('desk.missing', { list: t('dlg.promised') });
      return post('/feedback-date', { promised: date.value, reason: reason.value.trim() }); // R-FU-8: the server refuses a third change
    }, { hint: t('dlg.feedback_hint') }).then(afterDialog);
  }

  function judgeDialog() {
    const fault = h('div', { class: 'segmented', role: 'radiogroup' }, options('fault').map(([v, text], i) => h('label', { class: 'segmented-item' },
      h('input', { type: 'radio', name: 'fault', value: v, checked: i === 0 }), h('span', { text }))));
    const expl = h('textarea', { name: 'explanation', rows: 3 });
    const accepted = h('input', { type: 'checkbox', name: 'customer_accepted', checked: true });
    const solution = h('textarea', { name: 'agreed_solution', rows: 2 });
    return actionDialog(ctx, t('act.judge'), [h('div', { class: 'field' }, h('span', { class: 'field-label', text: t('dlg.fault') }), fault),
      field(h, t('dlg.explanation'), expl), h('label', { class: 'desk-check' }, accepted, t('dlg.customer_accepted')),
      field(h, t('dlg.agreed_solution'), solution)], () => post('/judge', {
      fault: fault.querySelector('input:checked').value, explanation: expl.value.trim(),
      customer_accepted: accepted.checked, agreed_solution: solution.value.trim() || null,
    }), { rule: 'R-IN-8' }).then(afterDialog);
  }

  // What still stands between this user and 销项: a manager's own approval comes with closing.
  const closeMissing = () => view.missing_to_close.filter((m) => !(m === 'manager_approval' && hasRole(ctx, 'manager')));

  function closeDialog() {
    // Only the slip's own steps stand in the way: the one dialog takes them and the close together.
    if (closeWaitsOnlyForSlip(view.case.slip, closeMissing())) return slipFlow();
    const result = h('textarea', { name: 'result', rows: 3 });
    const sep = isEn() ? ', ' : '、';
    const missing = closeMissing();
    const state = missing.length ? h('p', { class: 'notice notice-warn', text: t('desk.missing', { list: missing.map((m) => label('missing', m)).join(sep) }) }) : null;
    return actionDialog(ctx, t('act.close'), [state, field(h, t('dlg.result'), result)],
      () => post('/close', { result: result.value.trim() }), { hint: t('dlg.close_hint'), submitText: t('act.close') })
      .then((v) => {
        if (v) ctx.toast(doneToast(['close']), 'ok');
        return afterDialog(v);
      });
  }

  function linkedDialog() {
    const desc = h('textarea', { name: 'description', rows: 3 });
    const sep = h('input', { type: 'checkbox', name: 'separately', checked: true });
    return actionDialog(ctx, t('act.linked'), [field(h, t('dlg.description'), desc), h('label', { class: 'desk-check' }, sep, t('dlg.separately'))],
      () => post('/linked-problem', { description: desc.value.trim(), separately: sep.checked }), { rule: 'R-CL-1 C / R-CL-2 D' }).then(afterDialog);
  }

  function planDialog() {
    const days = h('input', { type: 'number', name: 'expected_days', min: '1', value: '4' });
    const text = h('textarea', { name: 'text', rows: 4 });
    return actionDialog(ctx, t('act.plan'), [field(h, t('dlg.expected_days'), days), field(h, t('dlg.plan_text'), text)],
      () => post('/plan', { expected_days: Number(days.value) || 0, text: text.value.trim() }), { rule: 'R-FU-5' }).then(afterDialog);
  }

  function handFollowDialog() {
    const to = h('select', { name: 'to_id' }, h('option', { value: '' }, t('intake.choose')),
      staff.filter((s) => s.id !== view.case.follower_id && s.roles.some((r) => DESK.includes(r)))
        .map((s) => h('option', { value: s.id }, s.display_name)));
    return actionDialog(ctx, t('act.hand_over_follow'), [field(h, t('dlg.to_id'), to)], () => post('/hand-over-follow', { to_id: to.value }), { rule: 'R-IN-9' }).then(afterDialog);
  }

  function declareDialog() {
    const trig = select(h, 'trigger', options('trigger'), { value: 'public_safety' });
    return actionDialog(ctx, t('act.declare_emergency'), [field(h, t('dlg.trigger'), trig)], () => post('/emergency', { trigger: trig.value }),
      { rule: 'R-EM-1', danger: true }).then(afterDialog);
  }

  async function quarterlyClose() {
    const result = h('textarea', { name: 'result', rows: 3 });
    let sha = null;
    const signBtn = h('button', { type: 'button', class: 'btn btn-small' }, t('dlg.signature'));
    signBtn.addEventListener('click', async () => {
      sha = (await signatureDialog(ctx, t('act.quarterly_close'))) || sha; // R-CL-4 / R-CL-5
      signBtn.textContent = sha ? `${t('dlg.signature')} ✓` : t('dlg.signature');
    });
    return actionDialog(ctx, t('act.quarterly_close'), [field(h, t('dlg.result'), result), signBtn],
      () => post('/quarterly-close', { result: result.value.trim(), signature_sha256: sha }), { rule: 'R-CL-4' }).then(afterDialog);
  }

  /**
   * 服务单交回 → 调度员会签 → 销项 in one dialog (R-CL-1 A, R-CL-6, R-CL-5; D96). The desk holds the
   * paper slip and compares what is printed on it — number, the short check code (核对码, the same the
   * slip prints), signer, completion, work, materials, fee — not a 64-digit hash. Each ticked step is
   * its own request, so its own history entry and audit record, in the server's order; the dialog
   * shows each step's result and stops at the first the server refuses. Close is offered only when
   * nothing but the slip's steps stands in its way; otherwise the dialog says what else is missing.
   */
  function slipFlow() {
    const c = view.case;
    const slip = c.slip;
    const { steps, closeBlockers } = slipFlowSteps(slip, closeMissing());
    const img = h('img', { class: 'desk-signature-img', alt: t('dlg.signature') });
    img.hidden = true;
    if (slip.signature_sha256) {
      blobObjectUrl(ctx, slip.signature_sha256).then((url) => {
        img.src = url;
        img.hidden = false;
      }).catch(() => {});
    }
    const completed = [...c.work_orders].reverse().find((w) => w.completed_at)?.completed_at;
    const code = slipCheckCode(slip.content_hash);
    const result = h('textarea', { name: 'result', rows: 2 });
    const err = errorBox(h);
    const rows = steps.map((st) => {
      const box = h('input', { type: 'checkbox', name: `step-${st.key}`, checked: true });
      const status = h('span', { class: 'small', 'data-testid': `flow-status-${st.key}` });
      if (st.done) {
        box.checked = true;
        box.disabled = true;
        status.className = 'small ok-text';
        status.textContent = stepDoneText(st.key);
      }
      return { ...st, box, status };
    });
    // A later step needs the earlier ones: untick one and those after it untick too.
    rows.forEach((r, i) => r.box.addEventListener('change', () => {
      if (!r.box.checked) rows.slice(i + 1).forEach((x) => { if (!x.done) x.box.checked = false; });
      else rows.slice(0, i).forEach((x) => { x.box.checked = true; });
      resultField.hidden = !closeRow()?.box.checked;
    }));
    const closeRow = () => rows.find((r) => r.key === 'close');
    const resultField = field(h, t('dlg.result'), result);
    resultField.hidden = !closeRow();
    function stepDoneText(key) {
      const s2 = view.case.slip;
      if (key === 'return_slip') return t('flow.done.return_slip', { t: fmtTime(s2.slip_returned_at) });
      if (key === 'countersign') return t('flow.done.countersign', { who: staffName(staff, s2.countersigned_by), t: fmtTime(s2.countersigned_at) });
      return t('flow.done.close', { no: view.case.no });
    }
    const paths = { return_slip: () => post('/return-slip'), countersign: () => post('/countersign'),
      close: () => post('/close', { result: result.value.trim() }) };
    return openDialog((close) => {
      const submit = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'flow-submit' }, t('flow.submit'));
      const cancel = h('button', { type: 'button', class: 'btn', onclick: () => close(done.length > 0) }, t('desk.cancel'));
      const done = [];
      submit.addEventListener('click', async () => {
        err.clear();
        const todo = rows.filter((r) => !r.done && r.box.checked);
        if (!todo.length) return;
        if (todo.some((r) => r.key === 'close') && !result.value.trim()) {
          err.show(t('flow.result_required'), t);
          result.focus();
          return;
        }
        submit.disabled = true;
        for (const r of todo) {
          try {
            view = await paths[r.key]();
            r.done = true;
            r.box.disabled = true;
            r.status.className = 'small ok-text';
            r.status.textContent = `✓ ${stepDoneText(r.key)}`;
            done.push(r.key);
          } catch (ex) {
            r.status.className = 'small warn-text';
            r.status.textContent = `✗ ${errorText(ex, t)}`;
            err.show(t('flow.stopped'), t);
            break;
          }
        }
        if (done.length) ctx.toast(doneToast(done), 'ok');
        if (rows.every((r) => r.done)) {
          submit.hidden = true;
          cancel.textContent = t('flow.finish');
          cancel.dataset.testid = 'flow-finish';
        } else submit.disabled = false;
      });
      const facts = h('div', { class: 'desk-confirm-slip', 'data-testid': 'slip-confirm' },
        kv(h, t('slip.case_no'), c.no),
        kv(h, t('slip.check_code'), code ? h('strong', { class: 'desk-check-code', 'data-testid': 'slip-check-code', text: code }) : ''),
        kv(h, t('slip.signer'), slip.signer_name ? paren(slip.signer_name, label('relation', slip.signer_relation)) : t('slip.not_signed')),
        kv(h, t('flow.completed_at'), fmtTime(completed)),
        kv(h, t('slip.signed_at'), fmtTime(slip.signed_at)),
        kv(h, t('slip.work_done'), slip.work_done),
        kv(h, t('slip.materials'), slip.materials || '—'),
        kv(h, t('slip.fee'), `¥${((slip.fee_cents || 0) / 100).toFixed(2)}`),
        slip.fee_over_reason ? kv(h, t('slip.fee_over_reason'), slip.fee_over_reason) : null,
        kv(h, t('slip.executor'), staffName(staff, slip.executor_id)),
        slip.signature_sha256 ? h('div', { class: 'desk-signature-wrap' }, img) : null,
        // Leaving for the full slip closes the dialog; the steps done so far stay done.
        h('a', { href: `#/case/${encodeURIComponent(c.id)}/slip`, class: 'small', onclick: () => close(done.length > 0) }, t('confirm.view_slip')));
      const side = h('div', { class: 'desk-slipcheck-side' },
        h('fieldset', { class: 'desk-fieldset desk-flow', 'data-testid': 'slip-flow' }, h('legend', { text: t('flow.steps') }),
          rows.map((r) => h('div', { class: 'desk-flow-step', dataset: { step: r.key } },
            h('label', { class: 'desk-check' }, r.box, t(`flow.step.${r.key}`)), r.status))),
        resultField,
        closeBlockers.length ? h('p', { class: 'notice notice-warn small', 'data-testid': 'flow-close-blocked',
          text: t('flow.close_blocked', { list: joinList(closeBlockers.map((m) => label('missing', m))) }) }) : null,
        err.el,
        h('div', { class: 'dialog-actions' }, cancel, submit));
      return [
        h('h2', { class: 'dialog-title', text: t(closeRow() ? 'flow.title' : 'flow.title_slip'), title: 'R-CL-1 A / R-CL-6 / R-CL-5' }),
        h('p', { class: 'dialog-body', text: t('flow.intro') }),
        !view.slip_valid && slip.signature_sha256 ? h('p', { class: 'notice notice-error', text: t('detail.slip_invalid') }) : null,
        // Two columns (D101): the slip's facts beside the steps, the result and the button, so the
        // whole dialog fits a 1366x768 or 1280x800 screen and 销项 is reached without scrolling.
        h('div', { class: 'desk-slipcheck-cols' }, facts, side),
      ];
    }, { className: 'desk-dialog desk-slipcheck' }).then(afterDialog);
  }

  function decideDialog() {
    return openDialog((close) => decidePanel(ctx, view, (v) => close(v), staff), { className: 'desk-dialog' }).then(afterDialog);
  }

  // ---- rendering -----------------------------------------------------------------------------
  function actionsBar() {
    const c = view.case;
    const s = c.state;
    const open = !TERMINAL.includes(s);
    const mgr = hasRole(ctx, 'manager');
    const slip = c.slip;
    const needsSlip = ['repair', 'special_service'].includes(c.kind);
    const hasActiveWo = c.work_orders.some((w) => ['dispatched', 'accepted', 'on_site'].includes(w.state));
    // R-IN-6 (a): until the fee is told the server refuses the dispatch, so it is not the next step.
    const feeUntold = c.kind === 'repair' && c.repair_responsibility === 'owner_private'
      && (c.fee_quote_cents === null || c.fee_quote_cents === undefined);
    // Only what this user's roles may do: the server's route would answer 403 to the rest.
    const b = (key, fn, cls = '', show = true) => (show && mayAct(ctx.user?.roles, key) ? h('button', { type: 'button', class: ['btn', 'btn-small', cls], dataset: { action: key }, onclick: fn }, t(`act.${key}`)) : null);
    const simple = (path, errMsgBox) => () => runQuiet(() => post(path), errMsgBox);
    const bar = h('div', { class: 'desk-actions no-print', 'aria-label': t('detail.actions') },
      b('decide', decideDialog, 'btn-primary', !c.opening && open && s !== 'cannot_handle'),
      // Only where the server dispatches: not a case still 已受理 unless it goes first (R-IN-7).
      b(hasActiveWo ? 'redispatch' : 'dispatch', dispatchDialog, !hasActiveWo && c.opening?.opened && !feeUntold ? 'btn-primary' : '', dispatchAllowed(c, ctx.user?.roles)),
      b('report_up', reportUpDialog, '', open),
      b('follow_up', () => followUpDialog(), '', open && s !== 'cannot_handle'),
      // R-IN-5: left unopened (R-OP-2), a written inquiry still owes its written reply within 2 days;
      // the desk records it here until its clock stops (D69). So does one parked as cannot-handle,
      // which the quarterly review closes only once the reply is on record (D70).
      b('reply', () => followUpDialog('reply', { replyOnly: true }), writtenReplyDue(view) ? 'btn-primary' : '',
        ['not_opened', 'cannot_handle'].includes(s) && needsWrittenReply(c)),
      // R-FU-7: the paid service's promise cannot be kept: tell the resident why, agree a new time.
      b('delay_notice', () => followUpDialog('delay_notice'), '', open && c.kind === 'special_service' && !c.work_orders.some((w) => w.arrived_at)),
      b('feedback', feedbackDialog, '', open && c.kind === 'complaint'),
      b('judge', judgeDialog, '', open && c.kind === 'complaint' && !c.judgement),
      // R-FU-6, R-CL-6: both open the one slip dialog, which goes on to 销项 where nothing else is missing (D96).
      b('return_slip', slipFlow, 'btn-primary', !!slip && !!slip.signature_sha256 && !slip.slip_returned_at),
      b('countersign', slipFlow, 'btn-primary', !!slip && !!slip.slip_returned_at && !slip.countersigned_by),
      b('verify', () => textDialog(t('act.verify'), '/verify', 'text', t('dlg.note'), { hint: t('dlg.verify_hint') }), '', open && !needsSlip && !c.verification && s !== 'cannot_handle'),
      // 销项 is the next step only once nothing is missing: before that it is offered (the dialog
      // says what is missing) but not styled as the thing to do.
      b('close', closeDialog, closeMissing().length ? '' : 'btn-primary', open && s !== 'cannot_handle'),
      b('approve_close', simple('/approve-close'), '', mgr && (c.is_emergency || c.is_major) && open && !closeApproved(view)
        && view.missing_to_close.every((m) => m === 'manager_approval')),
      // A case the Monday review passed up may be confirmed cannot-handle while still 已受理 (D116).
      b('cannot_handle', () => textDialog(t('act.cannot_handle'), '/cannot-handle', 'reason', t('dlg.reason'), { rule: 'R-CL-4 / R-FU-3' }), '',
        mgr && (WORKING.includes(s) || (s === 'received' && !!view.summary?.review_referral))),
      b('quarterly_close', quarterlyClose, 'btn-primary', mgr && s === 'cannot_handle'),
      // R-FU-3: the Monday review passed the case up; a manager sets the new approach (any manager
      // may, D58; confirming it cannot be handled is 无法处理 above).
      b('review_answer', () => textDialog(t('act.review_answer'), '/review-answer', 'approach', t('dlg.approach'),
        { hint: t('dlg.approach_hint'), rule: 'R-FU-3' }), 'btn-primary', mgr && !!view.summary?.review_referral),
      b('linked', linkedDialog, '', open && s !== 'cannot_handle'),
      b('plan', planDialog, '', open && c.kind === 'repair' && !c.plan),
      b('plan_approve', simple('/plan/approve'), '', (mgr || hasRole(ctx, 'engineering')) && c.plan && !(c.plan.engineering_approved_by && c.plan.manager_approved_by)),
      b('progress', () => textDialog(t('act.progress'), '/progress', 'text', t('dlg.progress_text')), '', open && !!c.plan),
      b('note', () => textDialog(t('act.note'), '/note', 'text', t('dlg.note')), '', open),
      b('hand_over_follow', handFollowDialog, '', open),
      b('declare_emergency', declareDialog, 'btn-danger-outline', open && !c.is_emergency));
    // A closed case has nothing left to do: no empty strip under its number.
    return bar.childElementCount ? bar : null;
  }

  function infoCard() {
    const c = view.case;
    // A repair's responsibility, class and fee are on the classification card (classifyCard).
    const cls = [label('kind', c.kind), label('complaint_category', c.complaint_category), label('help_kind', c.help_kind),
      label('service_code', c.service_code),
      c.kind !== 'repair' && c.fee_quote_cents !== null && c.fee_quote_cents !== undefined ? `¥${(c.fee_quote_cents / 100).toFixed(2)}` : ''].filter(Boolean).join(' · ');
    const op = c.opening;
    const ref = c.opening_referral; // R-OP-3: whom the dispatcher asked to decide
    const opening = op || ref ? openingLines(op, ref, staff) : null;
    // Every time on the page prints with its year (whenEl, withWhen); on screen it reads as everywhere.
    const when = (build) => withWhen(h, build);
    return h('section', { class: 'card desk-info' },
      h('p', { class: 'desk-content pre', text: c.content }),
      kv(h, t('detail.classification'), cls),
      kv(h, t('detail.contact'), c.contact_name),
      kv(h, t('detail.phone'), c.phone ? h('a', { href: `tel:${c.phone}`, text: c.phone }) : ''),
      kv(h, t('detail.address'), c.address),
      kv(h, t('detail.channel'), label('channel', c.channel)),
      kv(h, t('detail.received'), whenEl(h, c.received_at)),
      kv(h, t('detail.receiver'), staffName(staff, c.receiver_id)),
      // Raised on a staff phone, nobody at the desk follows it until someone takes it (R-IN-9).
      kv(h, t('detail.follower'), c.follower_id ? staffName(staff, c.follower_id) : t('detail.follower_none')),
      kv(h, t('detail.opening'), opening ? h('div', { 'data-testid': op ? 'opening-decided' : 'opening-awaiting' },
        h('div', { class: op ? '' : 'warn-text', text: opening.decision }),
        opening.detail ? h('div', { class: 'muted small' }, when((time) => openingLines(op, ref, staff, time).detail)) : null) : ''), // R-OP-3
      kv(h, t('detail.verification'), c.verification ? when((time) => `${c.verification.note} · ${staffName(staff, c.verification.by)} · ${time(c.verification.at)}`) : ''),
      kv(h, t('detail.judgement'), c.judgement ? `${colon(label('fault', c.judgement.fault), c.judgement.explanation)}${c.judgement.agreed_solution ? ' → ' + c.judgement.agreed_solution : ''}` : ''),
      kv(h, t('detail.cannot_handle'), c.cannot_handle ? when((time) => `${c.cannot_handle.reason} · ${time(c.cannot_handle.recorded_at)}`) : ''),
      kv(h, t('detail.closed'), c.close ? when((time) => `${c.close.result} · ${staffName(staff, c.close.dispatcher_id)} · ${time(c.close.closed_at)}${c.close.approver_id ? ' · ' + t('detail.approved_by', { who: staffName(staff, c.close.approver_id) }) : ''}`) : ''));
  }

  // R-IN-6: who answers for a repair, the fee told where the owner pays, the R-FU-4 class, what
  // each means for the desk (the dispatch refused until a private part's fee is told:
  // case.fee_not_told), and the change (POST …/classify), its refusal shown beside the control.
  function classifyCard() {
    const c = view.case;
    if (c.kind !== 'repair') return null;
    const resp = c.repair_responsibility;
    const rc = c.repair_class;
    const feeTold = c.fee_quote_cents !== null && c.fee_quote_cents !== undefined;
    const yuan = (cents) => (cents / 100).toFixed(2);
    let limit = 'unset';
    if (['small', 'common_facility', 'urgent'].includes(rc)) limit = 'fast';
    else if (['major', 'outsourced', 'parts_elsewhere'].includes(rc)) limit = 'major';
    else if (rc) limit = 'general';
    const dues = view.clocks.filter((k) => k.code.startsWith('FU4_') && k.code !== 'FU4_ON_SITE_15M')
      .map((k) => withWhen(h, (time) => `${clockText(k)} · ${t('detail.due', { t: time(k.due_at) })}`));
    const open = !TERMINAL.includes(c.state);
    const blocked = open && resp === 'owner_private' && !feeTold;
    const facts = h('div', { 'data-testid': 'repair-class-facts' },
      kv(h, t('cls.responsibility'), resp ? label('repair_responsibility', resp) : t('cls.undecided')),
      kv(h, t('cls.means'), t(`cls.means.${resp || 'undecided'}`)),
      kv(h, t('cls.repair_class'), rc ? label('repair_class', rc) : t('intake.class_open')),
      kv(h, t('cls.limit'), [h('div', { text: t(`cls.limit.${limit}`), title: 'R-FU-4' }),
        ...dues.map((d) => h('div', { class: 'muted small' }, d))]),
      PAID_RESPONSIBILITIES.includes(resp) || feeTold ? kv(h, t('cls.fee_status'), feeTold
        ? h('span', { class: 'ok-text', 'data-testid': 'fee-told', text: t('cls.fee_told', { fee: yuan(c.fee_quote_cents) }) })
        : h('span', { class: resp === 'owner_private' ? 'warn-text' : '', 'data-testid': 'fee-told', text: t('cls.fee_not_told') })) : null,
      blocked ? h('p', { class: 'notice notice-warn', 'data-testid': 'fee-blocks-dispatch', text: t('cls.blocked') }) : null);
    const canEdit = open && (ctx.user?.roles || []).some((r) => DESK.includes(r));
    let form = null;
    if (canEdit) {
      const err = errorBox(h);
      // The server cannot take a class back: once given, "to be decided" is no longer offered.
      const respSel = select(h, 'repair_responsibility', options('repair_responsibility'),
        { value: resp || '', empty: resp ? null : t('cls.undecided') });
      const classSel = select(h, 'repair_class', options('repair_class'), { value: rc || '', empty: rc ? null : t('intake.class_open') });
      const fee = h('input', { type: 'number', name: 'fee_quote', min: '0', step: '0.01', inputmode: 'decimal',
        value: feeTold ? yuan(c.fee_quote_cents) : '' });
      const feeField = field(h, t('cls.fee'), fee);
      const syncFee = () => { feeField.hidden = !PAID_RESPONSIBILITIES.includes(respSel.value); };
      respSel.addEventListener('change', syncFee);
      syncFee();
      const save = h('button', { type: 'submit', class: 'btn btn-small btn-primary', 'data-testid': 'classify-submit' }, t('cls.save'));
      form = h('form', {
        class: 'desk-classify-form no-print',
        novalidate: true,
        onsubmit: async (e) => {
          e.preventDefault();
          err.clear();
          // Only what changed; nothing changed is the server's to refuse (case.nothing_to_classify).
          const body = {};
          if (respSel.value && respSel.value !== (resp || '')) body.repair_responsibility = respSel.value;
          if (classSel.value && classSel.value !== (rc || '')) body.repair_class = classSel.value;
          if (!feeField.hidden && fee.value.trim() !== '') {
            const cents = Math.round(Number(fee.value) * 100);
            if (cents !== c.fee_quote_cents) body.fee_quote_cents = cents; // a negative fee: case.negative_fee
          }
          save.disabled = true;
          await runQuiet(() => post('/classify', body), err);
          save.disabled = false;
        },
      },
      h('div', { class: 'desk-form-grid' },
        field(h, t('cls.responsibility'), respSel), field(h, t('cls.repair_class'), classSel), feeField),
      err.el,
      h('div', { class: 'desk-btn-row' }, save));
    }
    return h('section', { class: 'card desk-info desk-classify', 'data-testid': 'repair-classify' },
      h('h2', { text: t('cls.title'), title: 'R-IN-6' }), facts, form);
  }

  function clocksCard() {
    return h('section', { class: 'card desk-clocks', 'data-testid': 'case-clocks' },
      h('h2', { text: t('detail.clocks') }),
      view.clocks.length ? h('ul', { class: 'desk-clock-list' }, sortedClocks(view.clocks).map((c) => h('li', {
        class: ['desk-clock', c.running ? 'is-running' : 'is-stopped', c.running && c.overdue ? 'is-overdue' : ''],
        dataset: { code: c.code, ...(c.running ? { dueRow: '' } : {}) },
      },
      h('div', { class: 'desk-clock-head' },
        h('span', { class: 'desk-clock-label', text: clockText(c), title: c.rule })),
      h('div', { class: 'desk-clock-foot small' },
        h('span', { class: 'muted' }, withWhen(h, (time) => t('detail.due', { t: time(c.due_at) }))),
        // Stopped unmet by the close is not done (D90): it reads so, muted unless it was missed.
        c.running ? countdownEl(h, c.due_at, '', { dueShown: true }) : h('span', {
          class: c.overdue ? 'warn-text' : c.satisfied_at ? 'ok-text' : 'muted',
        }, withWhen(h, (time) => stoppedClockText(c, t, time)))),
      // R-IN-5 (D89): the help request's answer is recorded right at the clock that counts it.
      c.code === HELP_REPLY_CLOCK ? helpReplyButton(ctx, view, () => reload()) : null))) :
        h('p', { class: 'muted small', text: t('desk.none') }));
  }

  function missingCard() {
    const sep = isEn() ? ', ' : '、';
    if (TERMINAL.includes(view.case.state)) return null;
    const m = view.missing_to_close;
    return h('section', { class: ['card', 'desk-missing', m.length ? '' : 'is-ready'], 'data-testid': 'missing-to-close' },
      h('h2', { text: t('detail.missing_to_close') }),
      m.length ? h('p', { text: m.map((x) => label('missing', x)).join(sep) }) : h('p', { class: 'ok-text', text: t('detail.can_close') }));
  }

  // Kinds whose work is done on site by someone dispatched: an open one without a work order says
  // it has not been dispatched yet, rather than the card being missing or titled over nothing.
  const DISPATCHED_KINDS = ['repair', 'help', 'special_service'];

  function workOrdersCard() {
    const c = view.case;
    const awaiting = !c.work_orders.length && !TERMINAL.includes(c.state) && c.state !== 'cannot_handle'
      && DISPATCHED_KINDS.includes(c.kind) && !!c.opening?.opened;
    if (!c.work_orders.length && !c.dispatches.length && !awaiting) return null;
    return h('section', { class: 'card desk-wos', 'data-testid': 'work-orders-card' },
      h('h2', { text: t('detail.work_orders') }),
      c.work_orders.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-testid': 'work-orders' },
        h('thead', null, h('tr', null, ['detail.wo_job', 'detail.wo_assignee', 'detail.wo_assigned', 'detail.wo_deadline', 'detail.wo_state',
          'detail.wo_accepted', 'detail.wo_arrived', 'detail.wo_completed'].map((k) => h('th', { text: t(k) })))),
        h('tbody', null, c.work_orders.map((w) => {
          const active = ['dispatched', 'accepted', 'on_site'].includes(w.state);
          return h('tr', { dataset: active ? { dueRow: '' } : {} },
            // R-DI-3: each order prints as its own sheet; the link is not printed with the page.
            h('td', { class: 'desk-wo-job' }, h('div', { text: w.job }), workOrderPrintLink(h, t, c.id, w)),
            // A lead by post by the post (韩队长（保安队长）), as the 派工 dialog titled him (D144).
            h('td', { 'data-testid': 'wo-assignee', text: paren(staffName(staff, w.assignee_id), toldTitle(staff, w.assignee_id, w.assignee_role, w.lead_post)) }),
            h('td', null, whenEl(h, w.assigned_at)),
            h('td', null, whenEl(h, w.deadline_at), active ? h('div', null, countdownEl(h, w.deadline_at, '', { dueShown: true })) : null),
            h('td', null, h('span', { class: `badge desk-state desk-state-${w.state}`, text: label('wo_state', w.state) }),
              w.unable_reason ? h('div', { class: 'small warn-text', text: w.unable_reason }) : null),
            h('td', null, whenEl(h, w.accepted_at)),
            h('td', null, whenEl(h, w.arrived_at)),
            h('td', null, whenEl(h, w.completed_at)));
        })))) : h('p', { class: 'muted small', 'data-testid': 'work-orders-none', text: t('detail.not_dispatched') }),
      c.dispatches.length ? [h('h3', { text: t('detail.dispatches') }), h('ul', { class: 'plain-list small' }, c.dispatches.map((d) => h('li', null,
        whenEl(h, d.at), ` · ${paren(staffName(staff, d.told_id) || label('role', d.told_role), toldTitle(staff, d.told_id, d.told_role, d.lead_post))} · ${label('means', d.means)} · `,
        d.reached ? h('span', { class: 'ok-text', text: t('detail.reached') }) : h('span', { class: 'warn-text', text: t('detail.unreached') }))))] : null);
  }

  // R-DI-2: who the matter was reported up to is not a work order: its own card, under its own title.
  function reportsUpCard() {
    const c = view.case;
    if (!c.reports_up.length) return null;
    return h('section', { class: 'card desk-reports-up', 'data-testid': 'reports-up' },
      h('h2', { text: t('detail.reports_up') }),
      h('ul', { class: 'plain-list small' }, c.reports_up.map((r) => h('li', null,
        whenEl(h, r.at), ` · ${label('role', r.to_role)} ${r.to_id ? staffName(staff, r.to_id) : ''} · ${label('means', r.means)}`))));
  }

  function slipCard() {
    const c = view.case;
    if (!['repair', 'special_service'].includes(c.kind) && !c.slip) return null;
    const slip = c.slip;
    const img = h('img', { class: 'desk-signature-img', alt: t('dlg.signature') });
    img.hidden = true;
    if (slip?.signature_sha256) {
      blobObjectUrl(ctx, slip.signature_sha256).then((url) => {
        img.src = url;
        img.hidden = false;
      }).catch(() => {});
    }
    return h('section', { class: 'card desk-slip-card', 'data-testid': 'slip' },
      h('div', { class: 'desk-section-head' }, h('h2', { text: t('detail.slip') }),
        slip ? h('a', { class: 'btn btn-small desk-head-btn', href: `#/case/${c.id}/slip` }, t('detail.slip_print')) : null),
      slip ? [
        !view.slip_valid && slip.signature_sha256 ? h('p', { class: 'notice notice-error', text: t('detail.slip_invalid') }) : null,
        kv(h, t('slip.work_done'), slip.work_done),
        kv(h, t('slip.materials'), slip.materials),
        kv(h, t('slip.fee'), `¥${((slip.fee_cents || 0) / 100).toFixed(2)}`),
        kv(h, t('slip.executor'), staffName(staff, slip.executor_id)),
        kv(h, t('slip.signer'), slip.signer_name ? paren(slip.signer_name, label('relation', slip.signer_relation)) : t('slip.not_signed')),
        kv(h, t('slip.signed_at'), whenEl(h, slip.signed_at)),
        slip.resident_grade === 'C' ? h('p', { class: 'notice notice-warn', 'data-testid': 'resident-unsatisfied', text: t('slip.resident_unsatisfied') }) : null,
        ...ratingRows(slip, (g) => label('resident_grade', g)).map(([k, v]) => kv(h, k, v)),
        slip.signature_sha256 ? h('div', { class: 'desk-signature-wrap' }, img) : null,
        kv(h, t('slip.hash'), slip.content_hash ? h('code', { class: 'desk-hash', text: slip.content_hash }) : ''),
        kv(h, t('slip.returned'), whenEl(h, slip.slip_returned_at)),
        kv(h, t('slip.countersigned'), slip.countersigned_by ? [`${staffName(staff, slip.countersigned_by)} · `, whenEl(h, slip.countersigned_at)] : ''),
      ] : h('p', { class: 'muted small', text: t('detail.no_slip') }));
  }

  // A linked case is named by its number, which the link's timeline entry carries (older entries
  // have only the id).
  function linkedNo(id) {
    const ev = view.timeline.find((e) => e.action === 'case.linked_case_created' && e.data?.child_id === id);
    return ev?.data?.child_no || id;
  }

  function extrasCard() {
    const c = view.case;
    const parts = [];
    if (c.feedback_promises.length) {
      parts.push(h('h3', { text: t('detail.feedback') }), h('ul', { class: 'plain-list small' }, c.feedback_promises.map((p, i) => h('li', {
        class: i === c.feedback_promises.length - 1 ? '' : 'desk-struck',
      }, withWhen(h, (time, day) => `${day(p.promised)}${p.reason ? ' · ' + p.reason : ''} · ${time(p.set_at)}`)))), h('p', { class: 'muted small', text: t('detail.changes_left', { n: Math.max(0, 3 - c.feedback_promises.length) }) }));
    }
    if (c.follow_ups.length) {
      const pending = view.summary?.review_referral;
      parts.push(h('h3', { text: t('detail.follow_ups') }), h('ul', { class: 'plain-list small' }, c.follow_ups.map((f) => {
        const { manager, answer } = followUpLine(f, staff, c.review_answers);
        const line = (part) => withWhen(h, (time) => followUpLine(f, staff, c.review_answers, time)[part]);
        const waits = !answer && f.reported_to_manager_id && pending && sameInstant(pending.at, f.at);
        return h('li', { 'data-testid': 'follow-up' }, line('text'),
          manager ? [' · ', h('strong', { class: 'warn-text', 'data-testid': 'follow-up-manager', text: manager })] : null,
          answer ? h('div', { class: 'ok-text', 'data-testid': 'follow-up-answer' }, line('answer')) : null,
          waits ? h('div', { class: 'warn-text', 'data-testid': 'follow-up-pending', text: t('detail.review_pending') }) : null);
      })));
    }
    if (c.plan) {
      const p = c.plan;
      parts.push(h('h3', { text: t('detail.plan'), title: 'R-FU-5' }), h('p', { class: 'small', text: `${t('detail.plan_days', { n: p.expected_days })} · ${p.text}` }),
        h('p', { class: 'small muted', text: [p.engineering_approved_by ? `${label('role', 'engineering')} ✓` : '', p.manager_approved_by ? `${label('role', 'manager')} ✓` : ''].filter(Boolean).join(' · ') || t('detail.plan_pending') }));
    }
    if (c.progress.length) {
      parts.push(h('h3', { text: t('detail.progress') }), h('ul', { class: 'plain-list small' }, c.progress.map((p) => h('li', null, whenEl(h, p.at), ` · ${p.text}`))));
    }
    if (c.linked_problems.length || c.linked_case_ids.length) {
      parts.push(h('h3', { text: t('detail.linked') }), h('ul', { class: 'plain-list small' },
        c.linked_problems.map((lp) => h('li', null, `${lp.description} · `, whenEl(h, lp.found_at), ' ',
          lp.resolved_at ? h('span', { class: 'ok-text' }, '✓ ', whenEl(h, lp.resolved_at)) :
            h('button', { type: 'button', class: 'btn btn-small', onclick: () => runQuiet(() => post(`/linked-problem/${encodeURIComponent(lp.id)}/resolve`)) }, t('detail.resolve')))),
        c.linked_case_ids.map((id) => h('li', null, h('a', { href: `#/case/${id}`, text: linkedNo(id) })))));
    }
    if (c.notes.length) {
      parts.push(h('h3', { text: t('detail.notes') }), h('ul', { class: 'plain-list small' }, c.notes.map((n) => h('li', null, whenEl(h, n.at), ` · ${staffName(staff, n.by)} · ${noteText(n)}`))));
    }
    // What the executors wrote and photographed on site (R-CL-1's record of the work): the desk checks it
    // before closing, so each work order's notes show here with their photos, oldest first.
    const siteNotes = c.work_orders.flatMap((w) => (w.notes || []).map((n) => ({ ...n, by: n.by || w.assignee_id })))
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    if (siteNotes.length) {
      parts.push(h('h3', { text: t('detail.site_notes') }), h('ul', { class: 'plain-list small', 'data-testid': 'site-notes' }, siteNotes.map((n) => {
        const words = noteText(n);
        const img = n.photo_sha256 ? h('img', { class: 'rf-img site-photo', alt: t('detail.photo'), loading: 'lazy' }) : null;
        if (img) {
          blobObjectUrl(ctx, n.photo_sha256).then((url) => {
            img.src = url;
            img.addEventListener('click', () => window.open(url, '_blank', 'noopener'));
          }).catch(() => { img.alt = `${t('detail.photo')} (${n.photo_sha256.slice(0, 12)}…)`; });
        }
        return h('li', null, whenEl(h, n.at), ` · ${staffName(staff, n.by)}${words ? ` · ${words}` : ''}`, img ? h('div', null, img) : null);
      })));
    }
    if (!parts.length) return null;
    return h('section', { class: 'card desk-extras' }, parts);
  }

  function timelineCard() {
    return h('section', { class: 'card desk-timeline' },
      h('h2', { text: t('detail.timeline') }),
      // A phone's step shows when it was done, with when it synced, in the order done (D97, D124).
      view.timeline.length ? h('ol', { class: 'desk-timeline-list' }, inActedOrder(view.timeline).map((e) => h('li', null,
        whenEl(h, actedAt(e), { class: 'desk-tl-time', title: fmtExact(actedAt(e)) }),
        syncedNote(e) ? h('span', { class: 'muted small', 'data-testid': 'tl-synced', title: fmtExact(e.at) }, withWhen(h, (time) => syncedNote(e, time))) : null,
        // The phone's clock moved between the step and its sync: the time shown is the phone's own
        // server-time estimate; its raw reading is in the title (D128).
        clockChangedNote(e) ? h('span', { class: 'muted small', 'data-testid': 'tl-clock-changed',
          title: e.data?.device_at ? t('tl.phone_read', { t: fmtExact(e.data.device_at) }) : undefined, text: clockChangedNote(e) }) : null,
        h('strong', { text: label('action', e.action) }),
        h('span', { class: 'muted small', text: ` ${paren(staffName(staff, e.actor_id), e.actor_role ? label('role', e.actor_role) : '')}` }),
        timelineSentence(e, staff) ? h('div', { class: 'small muted', 'data-testid': 'tl-sentence' },
          withWhen(h, (time) => timelineSentence(e, staff, time))) : null))) :
        h('p', { class: 'muted small', text: t('desk.none') }));
  }

  function draw() {
    const c = view.case;
    const scroll = window.scrollY;
    mount(body,
      h('div', { class: 'desk-case-head', 'data-testid': 'case-head', dataset: { caseId: c.id, state: c.state } },
        h('a', { href: '#/', class: 'small no-print', text: t('detail.back') }),
        h('h1', null, h('span', { class: 'desk-case-no', text: c.no }), ' ',
          h('span', { class: `badge desk-state desk-state-${c.state}`, 'data-testid': 'case-state', text: label('state', c.state) }), ' ',
          c.is_emergency ? h('span', { class: 'badge desk-badge-emergency', text: t('list.emergency_badge') }) : null, ' ',
          c.is_major ? h('span', { class: 'badge badge-warn', text: t('list.major_badge') }) : null,
          view.summary.overdue ? h('span', { class: 'badge desk-badge-overdue', text: t('list.overdue_badge') }) : null, ' ',
          // R-OP-3: passed up, the case waits for the named supervisor's decision.
          view.summary.awaiting_decision ? h('span', { class: 'badge badge-warn', 'data-testid': 'awaiting-decision',
            text: t('detail.awaiting', { who: staffName(staff, view.summary.awaiting_decision.to_id) }) }) : null, ' ',
          contactSlipBadge(ctx, view.summary))),
      actionsBar(),
      h('div', { class: 'desk-case-grid' },
        h('div', { class: 'desk-case-main' },
          c.emergency ? emergencyPanel(ctx, view, staff, runQuiet, { onReplied: () => reload() }) : null,
          infoCard(), classifyCard(), contactSlipCard(ctx, view, staff, reload), workOrdersCard(), reportsUpCard(),
          refusalsPanel(ctx, refused, { inCase: true, onChanged: reload, staffName: (id) => staffName(staff, id), selection: refusalsSelection }),
          slipCard(), timelineCard()),
        h('div', { class: 'desk-case-side' }, clocksCard(), callBackCards(), missingCard(), extrasCard())));
    window.scrollTo(0, scroll);
  }

  draw();
  // #/case/<id>?focus=ack (the home's 请确认接手): the confirm button sits far down on a phone, so
  // bring it into view and focus it. After the shell focuses its view (a macrotask later), which
  // would otherwise take the focus back (D125).
  if (/[?&]focus=ack\b/.test(ctx.route || '')) {
    setTimeout(() => {
      const ack = body.querySelector('[data-testid="em-ack"]');
      if (!ack) return;
      ack.scrollIntoView({ block: 'center' });
      ack.focus({ preventScroll: true });
    }, 0);
  }
  const refresh = setInterval(() => {
    if (document.querySelector('dialog[open]')) return;
    api.get(`/api/cases/${encodeURIComponent(caseId)}`).then((v) => {
      if (JSON.stringify(v.case) !== JSON.stringify(view.case)) {
        view = v;
        draw();
      }
    }).catch(() => {});
  }, 30000);
  return () => clearInterval(refresh);
}
