// Monday review 周一回顾 (R-FU-3): last week's cases still open; each can be recorded as reviewed
// (a weekly_review follow-up) or opened to pass it to the manager. For the manager, the same screen
// records the week's quality check and files the CAPA report a poor week calls for (R-RV-4).
import { missingRequired, mount } from '../dom.js';
import { colon, joinList, registerStrings } from '../i18n.js';
import { toZonedDate } from '../zone.js';
import { clockText, countdownEl, errorBox, errorText, field, fmtDay, fmtTime, label, loadStaff, serverNow, staffName } from './common.js';

// The quality check's own strings beyond strings.js (the approvals page files the CAPA number too).
registerStrings({
  zh: {
    'wq.capa_need_no': '请填写纠正预防措施报告编号',
    'review.answer': '经理答复：{approach}（{who} · {t}）',
    'review.answer_cannot': '经理确认无法处理：{reason}（{who} · {t}）',
    'review.on_behalf': '{who}代{named}',
    'wq.verdict': '本周处理质量',
    'wq.verdict_ok': '合格',
    'wq.verdict_poor': '不合格',
    'wq.verdict_poor_hint': '须写明问题，并提交纠正预防措施报告',
    'wq.verdict_need': '请选择本周处理质量：合格或不合格',
    'wq.capa_problem': '发现的问题',
    'wq.capa_cause': '原因分析',
    'wq.capa_corrective': '纠正措施',
    'wq.capa_preventive': '预防措施',
    'wq.capa_owner': '责任人',
    'wq.capa_owner_pick': '选择责任人',
    'wq.capa_due': '完成期限',
    'wq.capa_waiting': '待总经理审批',
    'wq.capa_accepted': '总经理已审批通过（{who} · {t}）',
    'wq.capa_returned': '总经理退回：{reason}。请修改后重新提交',
    'wq.checked_need': '抽查单数至少为 1',
    // Carrying the actions out (D140): their owner is reminded on the due day, the managers after it.
    'wq.capa_actions_open': '措施待落实，完成期限 {d}',
    'wq.capa_actions_overdue': '已过完成期限 {d}，措施尚未落实',
    'wq.capa_actions_done': '措施已落实：{note}（{who} · {t}）',
    'wq.capa_done_note': '落实情况',
    'wq.capa_done_record': '记录措施已落实',
    'wq.capa_done_need': '请写明措施的落实情况',
    'wq.capa_done_saved': '已记录措施落实，相关提醒不再发送',
  },
  en: {
    'wq.capa_need_no': 'Enter the CAPA report number',
    'review.answer': 'Manager\'s answer: {approach} ({who}, {t})',
    'review.answer_cannot': 'Manager confirmed it cannot be handled: {reason} ({who}, {t})',
    'review.on_behalf': '{who} for {named}',
    'wq.verdict': 'This week\'s handling quality',
    'wq.verdict_ok': 'Good',
    'wq.verdict_poor': 'Poor',
    'wq.verdict_poor_hint': 'needs the findings and a CAPA report',
    'wq.verdict_need': 'Choose this week\'s handling quality: good or poor',
    'wq.capa_problem': 'Problem found',
    'wq.capa_cause': 'Cause',
    'wq.capa_corrective': 'Corrective action',
    'wq.capa_preventive': 'Preventive action',
    'wq.capa_owner': 'Owner',
    'wq.capa_owner_pick': 'Choose the owner',
    'wq.capa_due': 'Due date',
    'wq.capa_waiting': 'Waiting for the general manager\'s sign-off',
    'wq.capa_accepted': 'Accepted by the general manager ({who}, {t})',
    'wq.capa_returned': 'Sent back by the general manager: {reason}. Revise it and file it again',
    'wq.checked_need': 'Check at least one case',
    'wq.capa_actions_open': 'Actions to carry out by {d}',
    'wq.capa_actions_overdue': 'Past the due date {d}: the actions are not recorded as done',
    'wq.capa_actions_done': 'Actions done: {note} ({who}, {t})',
    'wq.capa_done_note': 'How they were carried out',
    'wq.capa_done_record': 'Record the actions as done',
    'wq.capa_done_need': 'Say how the actions were carried out',
    'wq.capa_done_saved': 'Actions recorded as done; their reminders stop',
  },
});

/**
 * R-RV-4: the CAPA report number a poor week waits for, filed in place (the review page's table and
 * the approvals page share it). A refusal shows under this row's own input, not at the top of the
 * section where the manager would not connect it to the week; an empty number is caught here, so the
 * server's "须填写…编号" is not followed by the same words again as its missing-field list.
 */
export function capaFiler(ctx, c, done) {
  const { h, t, api } = ctx;
  const err = errorBox(h);
  const no = h('input', { type: 'text', name: 'capa_report_no', class: 'desk-inline-input desk-input-short', maxlength: '60',
    placeholder: t('wq.capa_no'), 'aria-label': t('wq.capa_no'), value: c.capa_report_no || '' });
  // What the report says (D117): the problem found starts from the week's findings.
  const prev = c.capa || {};
  const area = (name, key, value) => field(h, t(key), h('textarea', { name, rows: 2, maxlength: '4000', required: true, value: value || '' }));
  const owner = h('select', { name: 'capa_owner', required: true }, h('option', { value: '', text: t('wq.capa_owner_pick') }));
  loadStaff(ctx).then((staff) => {
    for (const p of staff || []) owner.append(h('option', { value: p.id, text: p.display_name }));
    owner.value = prev.owner_id || '';
  }).catch(() => {});
  const due = h('input', { type: 'date', name: 'capa_due_on', required: true, value: prev.due_on || '' });
  const fields = h('div', { class: 'desk-capa-fields' },
    area('capa_problem', 'wq.capa_problem', prev.problem || c.findings), area('capa_cause', 'wq.capa_cause', prev.cause),
    area('capa_corrective', 'wq.capa_corrective', prev.corrective_action), area('capa_preventive', 'wq.capa_preventive', prev.preventive_action),
    field(h, t('wq.capa_owner'), owner), field(h, t('wq.capa_due'), due));
  const val = (name) => fields.querySelector(`[name=${name}]`).value.trim();
  const button = h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'capa-file', onclick: async () => {
    err.clear();
    if (!no.value.trim()) {
      err.show(t('wq.capa_need_no'), t);
      no.focus();
      return;
    }
    const missing = missingRequired(fields);
    if (missing.length) return err.show(t('desk.missing', { list: joinList(missing) }), t);
    button.disabled = true;
    try {
      await api.post(`/api/quality/weekly-checks/${c.id}/capa`, {
        report_no: no.value.trim(), problem: val('capa_problem'), cause: val('capa_cause'),
        corrective_action: val('capa_corrective'), preventive_action: val('capa_preventive'),
        owner_id: owner.value, due_on: due.value || null,
      });
      ctx.toast(t('wq.capa_done'), 'ok');
      await done();
    } catch (ex) {
      err.show(ex, t);
      button.disabled = false;
    }
  } }, t('wq.capa_file'));
  return h('div', { 'data-testid': 'capa-filer' },
    c.capa_status === 'returned' ? h('div', { class: 'small warn-text', 'data-testid': 'capa-returned', text: t('wq.capa_returned', { reason: c.capa_return_reason }) }) : null,
    h('div', { class: 'desk-inline' }, h('span', { class: 'badge desk-badge-emergency', text: t('wq.capa_open') }), no), fields,
    h('div', { class: 'desk-inline' }, button), err.el);
}

/**
 * Where a filed CAPA report's actions stand (D140), as the server's capa_actions_open decides
 * its reminders: 'done' once the manager recorded them, else 'overdue' after the due day ('YYYY-MM-DD'
 * `today` in the compound's zone) or 'open'; null while there is nothing to carry out on record (no
 * report, one sent back, or one filed before D117 with a number only).
 */
export function capaActionsState(c, today) {
  const r = c.capa;
  if (!r || !r.due_on || !['submitted', 'accepted'].includes(c.capa_status)) return null;
  if (c.capa_done_at) return 'done';
  return today > r.due_on ? 'overdue' : 'open';
}

// A filed CAPA report's content and where it stands (D117): waiting for the general manager, or accepted;
// and whether its actions were carried out. `onDone` (the manager's weekly checks) offers recording them.
export function capaSummary(ctx, c, staff, { onDone = null } = {}) {
  const { h, t } = ctx;
  const r = c.capa;
  const status = c.capa_status === 'accepted' ? t('wq.capa_accepted', { who: staffName(staff, c.capa_decided_by), t: fmtTime(c.capa_decided_at) })
    : c.capa_status === 'submitted' ? t('wq.capa_waiting') : '';
  return h('div', { class: 'small', 'data-testid': 'capa-summary' },
    h('div', { text: t('wq.capa_filed', { no: c.capa_report_no, t: fmtTime(c.capa_filed_at) }) }),
    status ? h('div', { class: c.capa_status === 'accepted' ? 'muted' : 'warn-text', 'data-testid': 'capa-status', text: status }) : null,
    r ? h('dl', { class: 'desk-capa-content' }, ...[['wq.capa_problem', r.problem], ['wq.capa_cause', r.cause],
      ['wq.capa_corrective', r.corrective_action], ['wq.capa_preventive', r.preventive_action],
      ['wq.capa_owner', staffName(staff, r.owner_id) || r.owner_id], ['wq.capa_due', r.due_on ? fmtDay(r.due_on) : '']]
      .map(([k, v]) => h('div', { class: 'pre', text: colon(t(k), v) }))) : null,
    capaActions(ctx, c, staff, onDone));
}

/** The actions' state under the report, and for the manager the step that records them done. */
function capaActions(ctx, c, staff, onDone) {
  const { h, t, api } = ctx;
  const state = capaActionsState(c, toZonedDate(serverNow(ctx)));
  if (!state) return null;
  if (state === 'done') {
    return h('div', { class: 'pre', 'data-testid': 'capa-actions', dataset: { state },
      text: t('wq.capa_actions_done', { note: c.capa_done_note, who: staffName(staff, c.capa_done_by), t: fmtTime(c.capa_done_at) }) });
  }
  const line = h('div', { class: state === 'overdue' ? 'warn-text' : 'muted', 'data-testid': 'capa-actions', dataset: { state },
    text: t(state === 'overdue' ? 'wq.capa_actions_overdue' : 'wq.capa_actions_open', { d: fmtDay(c.capa.due_on) }) });
  if (!onDone) return line;
  const err = errorBox(h);
  const note = h('textarea', { name: 'capa_done_note', rows: 2, maxlength: '4000', required: true });
  const button = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'capa-done', onclick: async () => {
    err.clear();
    if (!note.value.trim()) {
      note.focus();
      return err.show(t('wq.capa_done_need'), t);
    }
    button.disabled = true;
    try {
      await api.post(`/api/quality/weekly-checks/${c.id}/capa/done`, { note: note.value.trim() });
      ctx.toast(t('wq.capa_done_saved'), 'ok');
      await onDone();
    } catch (ex) {
      err.show(ex, t);
      button.disabled = false;
    }
    return undefined;
  } }, t('wq.capa_done_record'));
  return h('div', { class: 'desk-capa-done', 'data-testid': 'capa-done-form' }, line,
    field(h, t('wq.capa_done_note'), note), h('div', { class: 'desk-inline' }, button), err.el);
}

// R-RV-4: the manager's weekly look at handling quality; a poor week needs a CAPA report number.
// The verdict is an explicit 合格 / 不合格 choice with nothing chosen, refused until one is: it is the
// only way a week is marked poor, and a box left unticked (or a default of 合格) would record a good
// week for a manager who never decided. A refusal of the form shows beside its button; a week list
// that fails to load says so above the list.
function weeklyChecks(ctx) {
  const { h, t, api } = ctx;
  const err = errorBox(h);
  const listErr = errorBox(h);
  const list = h('div');
  const week = h('input', { type: 'date', name: 'week_start', required: true, value: toZonedDate(serverNow(ctx)) });
  // A check looks at one case at least (the server refuses 0, D117): the box starts empty, not at 0.
  const checked = h('input', { type: 'number', name: 'cases_checked', min: '1', step: '1', required: true, value: '' });
  const choice = (value, text, hint) => h('label', { class: `desk-verdict-choice desk-verdict-${value}` },
    h('input', { type: 'radio', name: 'quality_verdict', value }), h('span', { class: 'desk-verdict-text', text }),
    hint ? h('span', { class: 'small muted', text: hint }) : null);
  const verdict = h('fieldset', { class: 'desk-field desk-span2 desk-verdict', 'data-testid': 'quality-verdict' },
    h('legend', { class: 'field-label', text: t('wq.verdict') }),
    h('div', { class: 'desk-verdict-choices' }, choice('ok', t('wq.verdict_ok')), choice('poor', t('wq.verdict_poor'), t('wq.verdict_poor_hint'))));
  const chosen = () => verdict.querySelector('input:checked')?.value || '';
  const findings = h('textarea', { name: 'findings', rows: 2, maxlength: '4000' });
  // The findings are required for a poor week (the server refuses one without them).
  verdict.addEventListener('change', () => {
    findings.required = chosen() === 'poor';
    verdict.classList.remove('is-missing');
  });
  const form = h('form', { class: 'desk-form-grid', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    err.clear();
    const missing = missingRequired(form);
    if (!chosen()) {
      verdict.classList.add('is-missing');
      return err.show(missing.length ? `${t('wq.verdict_need')} — ${t('desk.missing', { list: joinList(missing) })}` : t('wq.verdict_need'), t);
    }
    if (missing.length) return err.show(t('desk.missing', { list: joinList(missing) }), t);
    if (!(Number(checked.value) >= 1)) return err.show(t('wq.checked_need'), t);
    try {
      await api.post('/api/quality/weekly-checks', {
        week_start: week.value, cases_checked: Number(checked.value), poor_quality: chosen() === 'poor', findings: findings.value.trim(),
      });
      ctx.toast(t('wq.recorded'), 'ok');
      findings.value = '';
      findings.required = false;
      for (const r of verdict.querySelectorAll('input')) r.checked = false; // next week is decided afresh
      await load();
    } catch (ex) {
      err.show(ex, t);
    }
  } },
  field(h, t('wq.week'), week, t('wq.week_hint')),
  field(h, t('wq.cases_checked'), checked),
  verdict,
  h('div', { class: 'desk-span2' }, field(h, t('wq.findings'), findings, t('wq.findings_hint'))),
  // A refusal shows beside the button that caused it, not above the form.
  h('div', { class: 'desk-span2' }, err.el,
    h('div', { class: 'dialog-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('wq.record')))));

  function capaCell(c) {
    if (!c.capa_required) return h('span', { class: 'muted small', text: t('wq.capa_none') });
    if (c.capa_report_no && c.capa_status !== 'returned') return capaSummary(ctx, c, staffList, { onDone: load });
    return capaFiler(ctx, c, load);
  }

  let staffList = [];
  async function load() {
    listErr.clear();
    staffList = await loadStaff(ctx).catch(() => []);
    const checks = await api.get('/api/quality/weekly-checks');
    mount(list, checks.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table desk-table', 'data-testid': 'weekly-checks' },
      h('thead', null, h('tr', null, ['wq.week', 'wq.cases_checked', 'wq.result', 'wq.findings', 'wq.capa'].map((k) => h('th', { text: t(k) })))),
      h('tbody', null, checks.map((c) => h('tr', { class: c.poor_quality ? 'is-overdue' : '' },
        h('td', { text: t('wq.week_of', { d: fmtDay(c.week_start) }) }),
        h('td', { text: String(c.cases_checked) }),
        h('td', { text: t(c.poor_quality ? 'wq.result_poor' : 'wq.result_ok') }),
        h('td', { class: 'pre small', text: c.findings }),
        h('td', null, capaCell(c))))))) : h('p', { class: 'empty', text: t('wq.empty') }));
  }

  const section = h('section', { class: 'card', 'data-testid': 'weekly-quality', tabindex: '-1' },
    h('h2', { text: t('wq.title') }), h('p', { class: 'muted small', text: t('wq.hint') }), form, listErr.el, list);
  return { section, load, listErr };
}

// R-FU-3: what this week's review of a case said: who, when, and whether it went to a manager.
function reviewedCell(ctx, r, staff) {
  const { h, t } = ctx;
  return h('div', { class: 'desk-reviewed', 'data-testid': 'reviewed' },
    h('span', { class: 'badge badge-completed', text: t('review.done') }),
    h('div', { class: 'small', text: t('review.done_by', { who: staffName(staff, r.by), t: fmtTime(r.at) }) }),
    h('div', { class: r.reported_to_manager_id ? 'small warn-text' : 'small muted',
      text: r.reported_to_manager_id ? t('review.passed', { who: staffName(staff, r.reported_to_manager_id) }) : t('review.kept') }),
    r.note ? h('div', { class: 'small pre', text: r.note }) : null,
    // The manager's answer (R-FU-3), so the desk knows how to go on with the case: a new approach,
    // or the confirmation that it cannot be handled; by whom, and for whom when another manager
    // answered in place of the one named (any manager may, D58).
    r.answer ? h('div', { class: 'small', 'data-testid': 'review-answer', text: t(r.answer.approach ? 'review.answer' : 'review.answer_cannot', {
      approach: r.answer.approach, reason: r.answer.cannot_handle_reason, t: fmtTime(r.answer.at),
      who: r.reported_to_manager_id && r.answer.by !== r.reported_to_manager_id
        ? t('review.on_behalf', { who: staffName(staff, r.answer.by), named: staffName(staff, r.reported_to_manager_id) })
        : staffName(staff, r.answer.by) }) }) : null);
}

// Not yet reviewed this week: the dispatcher keeps the case, or passes it to a named manager to
// confirm or set a new approach (saying why, which the manager needs).
// Its errors show on its own row, naming the case (D104): at the top of a long list they named nothing.
function reviewForm(ctx, c, staff, done) {
  const { h, t, api } = ctx;
  const err = errorBox(h);
  err.el.dataset.testid = 'review-row-error';
  const outcome = h('select', { name: 'reported_to_manager_id', 'aria-label': t('review.outcome') },
    h('option', { value: '' }, t('review.keep')),
    staff.filter((s) => s.roles.includes('manager')).map((s) => h('option', { value: s.id }, t('review.pass_to', { who: s.display_name }))));
  const note = h('input', { type: 'text', name: 'note', maxlength: '500', class: 'desk-inline-input', placeholder: t('review.note') });
  const sync = () => { note.required = !!outcome.value; };
  outcome.addEventListener('change', sync);
  const button = h('button', { type: 'button', class: 'btn btn-small', onclick: async () => {
    err.clear();
    sync();
    if (note.required && !note.value.trim()) {
      note.focus();
      return err.show(t('review.note_missing', { no: c.no }), t);
    }
    button.disabled = true;
    try {
      const body = { kind: 'weekly_review', note: note.value.trim() }; // R-FU-3
      if (outcome.value) body.reported_to_manager_id = outcome.value;
      await api.post(`/api/cases/${c.id}/follow-up`, body);
      ctx.toast(t('desk.saved'), 'ok');
      await done();
    } catch (ex) {
      err.show(colon(c.no, errorText(ex, t)), t);
      button.disabled = false;
    }
  } }, t('review.record'));
  return h('div', { class: 'desk-review-form' }, outcome, note, button, err.el);
}

export async function renderReview(body, ctx) {
  const { h, t, api } = ctx;
  const err = errorBox(h);
  const list = h('div');
  const staff = await loadStaff(ctx).catch(() => []);
  async function load() {
    const cases = await api.get('/api/review/monday');
    const left = cases.filter((c) => !c.reviewed).length;
    mount(list, cases.length ? [h('p', { class: 'small', 'data-testid': 'review-count', text: t('review.count', { done: cases.length - left, n: cases.length }) }),
      h('div', { class: 'table-wrap' }, h('table', { class: 'table desk-table', 'data-testid': 'monday-review' },
        h('thead', null, h('tr', null, ['list.no', 'list.received', 'list.kind', 'list.content', 'list.state', 'list.next_due', 'review.result'].map((k) => h('th', { text: t(k) })))),
        h('tbody', null, cases.map((c) => h('tr', { class: ['desk-row', c.overdue ? 'is-overdue' : '', c.reviewed ? 'is-reviewed' : ''], dataset: { case: c.id } },
          h('td', null, h('a', { href: `#/case/${c.id}`, class: 'desk-case-no', text: c.no })),
          h('td', { text: fmtTime(c.received_at) }),
          h('td', { text: label('kind', c.kind) }),
          h('td', { text: `${c.content} · ${c.address || ''}` }),
          h('td', null, h('span', { class: `badge desk-state desk-state-${c.state}`, text: label('state', c.state) })),
          h('td', null, c.next_due ? [h('div', { class: 'small', text: clockText(c.next_due) }), countdownEl(h, c.next_due.due_at)] : null),
          h('td', { class: 'desk-review-cell' }, c.reviewed ? reviewedCell(ctx, c.reviewed, staff) : reviewForm(ctx, c, staff, load)))))))]
      : h('p', { class: 'empty', text: t('review.empty') }));
  }
  const quality = (ctx.user?.roles || []).includes('manager') ? weeklyChecks(ctx) : null;
  mount(body, h('section', { class: 'card' }, h('h1', { text: t('review.title') }), h('p', { class: 'muted small', text: t('review.hint') }), err.el, list),
    quality?.section);
  try {
    await load();
  } catch (e) {
    err.show(e, t);
  }
  if (quality) {
    try {
      await quality.load();
    } catch (e) {
      quality.listErr.show(e, t);
    }
    // #/review?focus=quality: the monthly report's 填写纠正预防措施报告 lands on the weekly checks, where
    // a poor week's CAPA report is filed, below the Monday review (R-RV-4). After the shell focuses
    // its view (a macrotask later), which would otherwise take the focus back (as D125).
    if (/[?&]focus=quality\b/.test(ctx.route || '')) {
      setTimeout(() => {
        quality.section.scrollIntoView({ block: 'start' });
        quality.section.focus({ preventScroll: true });
      }, 0);
    }
  }
}
