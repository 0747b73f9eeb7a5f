// A call-back owed after a job (R-FU-6, R-RV-1..3): whom to ring, about what, and the form that
// records the resident's grade. One form for the special-services page's 待回访 list, the case page of
// the case it belongs to and the desk home's count (D100), so the area it asks about first is the one
// the server chose from the case (a repair's is 房屋维修保养), wherever the call is recorded.
import { colon, joinList } from '../i18n.js';
import { errorBox, withWhen } from './common.js';
import { STRINGS } from './reports/strings.js'; // the survey areas, grades and call-back words

/** The survey areas in the seed's order (R-RV-2). */
export const AREAS = ['complaint_handling', 'equipment', 'building_repair', 'security', 'fire_safety', 'cleaning', 'greening',
  'parking', 'clubhouse', 'staff_efficiency', 'staff_attitude', 'manager_courtesy', 'overall', 'other'];

/** Who may record a call-back (server CALL_BACK_ROLES): the desk and the team lead sampling his own. */
export const CALLER_ROLES = ['dispatcher', 'front_desk', 'control_room', 'manager', 'team_lead'];

let stringsDone = false;
export function callBackStrings(ctx) {
  if (!stringsDone) {
    ctx.registerStrings(STRINGS);
    stringsDone = true;
  }
}

/** The area the form starts on: the server's choice for the case, else 综合评议 (an older server). */
export function presetArea(c) {
  return AREAS.includes(c?.area) ? c.area : 'overall';
}

/** Due call-backs and how many of them are overdue: the desk home's line (D100). */
export function callBackCounts(list) {
  const due = (list || []).filter((c) => !c.called_back_at);
  return { due: due.length, overdue: due.filter((c) => c.overdue).length };
}

/**
 * The grade form of one call-back: the area (preset from the case), a grade that starts unchosen,
 * a comment and the record button, refusals beside the button. `onDone(view)` runs once recorded.
 */
export function callBackForm(ctx, c, onDone) {
  const { h, t } = ctx;
  callBackStrings(ctx);
  const sel = (name, opts, value, empty) => h('select', { name },
    empty ? h('option', { value: '' }, empty) : null,
    opts.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  const area = sel('area', AREAS.map((a) => [a, t(`area.${a}`)]), presetArea(c));
  area.setAttribute('aria-label', t('rpt.area'));
  // No grade is chosen for the caller: a careless click must not record "satisfied" (D39).
  const grade = sel('grade', [['A', t('grade.A')], ['B', t('grade.B')], ['C', t('grade.C')]], '', t('cb.choose_grade'));
  grade.setAttribute('aria-label', t('cb.grade'));
  const note = h('input', { type: 'text', placeholder: t('svc.comment'), class: 'rpt-inline', name: 'comment' });
  note.setAttribute('aria-label', t('svc.comment'));
  const rowErr = errorBox(h);
  rowErr.el.classList.add('rpt-row-error');
  grade.addEventListener('change', () => rowErr.clear());
  const go = async () => {
    rowErr.clear();
    if (!grade.value) {
      rowErr.show(t('cb.need_grade'), t);
      grade.focus();
      return;
    }
    // A C sends the work back for review: the resident's words are required (the server says so too).
    if (grade.value === 'C' && !note.value.trim()) {
      rowErr.show(t('cb.need_comment'), t);
      note.focus();
      return;
    }
    let view;
    try {
      view = await ctx.api.post(`/api/callbacks/${encodeURIComponent(c.id)}`, { grades: { [area.value]: grade.value }, comment: note.value });
    } catch (e) {
      rowErr.show(e, t);
      return;
    }
    ctx.toast?.(t('cb.recorded', { area: t(`area.${area.value}`), grade: t(`grade.${grade.value}`) }), 'ok');
    await onDone(view);
  };
  return h('span', { class: 'rpt-controls rpt-callback-controls', 'data-testid': 'cb-form' }, area, grade, note,
    h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'cb-record', onclick: go }, t('svc.record')), rowErr.el);
}

/** What the caller reads before ringing: the resident, what was done, by whom, the slip's rating (D33). */
export function callBackAbout(ctx, c) {
  const { h, t } = ctx;
  callBackStrings(ctx);
  const names = joinList((c.executors || []).map((x) => x.name));
  const slipGrade = c.resident_grade
    ? h('span', { class: ['small', c.resident_grade === 'C' ? 'rpt-overdue' : ''], 'data-testid': 'cb-slip-grade',
      text: colon(t('cb.slip_grade'), [t(`grade.${c.resident_grade}`), c.resident_opinion].filter(Boolean).join(' — ')) })
    : h('span', { class: 'small muted', 'data-testid': 'cb-slip-grade', text: t('cb.slip_no_grade') });
  return h('span', null,
    h('span', { 'data-testid': 'cb-content', text: c.content }),
    c.work_done ? [h('br'), h('span', { class: 'small', text: colon(t('cb.work_done'), c.work_done) })] : null,
    h('br'), h('span', { class: 'small muted', 'data-testid': 'cb-done-by' }, withWhen(h, (time) => t('cb.done_by', { at: time(c.completed_at), names: names || '—' }))),
    h('br'), slipGrade);
}

/** The resident to ring: name, unit and a phone to tap, each on its own line. */
export function callBackResident(ctx, c) {
  const { h, t } = ctx;
  return h('span', { 'data-testid': 'cb-resident' },
    h('span', { text: c.resident_name || '—' }), c.unit ? [h('br'), h('span', { class: 'nowrap', text: c.unit })] : null, h('br'),
    c.phone ? h('a', { href: `tel:${c.phone}`, 'data-testid': 'cb-phone', text: c.phone }) : h('span', { class: 'small muted', text: t('cb.no_phone') }));
}

/** The call-back's due time, marked when overdue. */
export function callBackDue(ctx, c) {
  const { h, t } = ctx;
  return h('span', { class: c.overdue ? 'rpt-overdue' : '', 'data-testid': 'cb-due' }, withWhen(h, (time) => `${time(c.due_at)}${c.overdue ? ` ${t('svc.overdue')}` : ''}`));
}

/** The case page's card (D100): the call-back this case is owed, recorded right there; once made, what
 *  the resident said. `canCall` is whether this user may record it (CALLER_ROLES). A round of work redone
 *  after an unsatisfied call-back has a call-back of its own, titled as such (D133). */
export function callBackCard(ctx, c, { canCall, onDone }) {
  const { h, t } = ctx;
  callBackStrings(ctx);
  const done = Boolean(c.called_back_at);
  const grades = Object.entries(c.grades || {}).map(([a, g]) => `${t(`area.${a}`)} ${g}`).join(' · ');
  return h('section', { class: 'card desk-callback', 'data-testid': 'case-callback', dataset: { done: done ? 'yes' : 'no' } },
    h('h2', { text: t(c.completion_round > 0 ? 'cb.title_rework' : 'cb.title'), title: 'R-FU-6' }),
    done
      ? [h('p', { class: 'small', 'data-testid': 'cb-done' }, withWhen(h, (time) => t('cb.done', { at: time(c.called_back_at), grades }))),
        c.comment ? h('p', { class: 'small muted', text: c.comment }) : null,
        c.reopen_for_review ? h('p', { class: 'small warn-text', 'data-testid': 'cb-sent-back', text: t('cb.sent_back') }) : null,
        c.review === 'open' ? h('p', { class: 'small warn-text', text: t('cb.review_open') }) : null]
      : [h('p', { class: 'small' }, colon(t('cb.due'), ''), callBackDue(ctx, c)),
        h('p', { class: 'small' }, callBackResident(ctx, c)),
        canCall ? callBackForm(ctx, c, onDone) : null]);
}

/** The desk home's line (D100): how many call-backs are due and overdue, each case one click away. */
export function callBackPanel(ctx, list) {
  const { h, t } = ctx;
  callBackStrings(ctx);
  const due = (list || []).filter((c) => !c.called_back_at);
  if (!due.length) return '';
  const { overdue } = callBackCounts(due);
  const shown = [...due].sort((a, b) => Date.parse(a.due_at) - Date.parse(b.due_at)).slice(0, 5);
  return h('section', { class: 'card desk-callbacks-due', 'data-testid': 'callbacks-due' },
    h('div', { class: 'desk-section-head' }, h('h2', { text: t('cb.home_title') }),
      h('span', { class: ['badge', overdue ? 'desk-badge-overdue' : ''], 'data-testid': 'callbacks-due-count', text: String(due.length) }),
      h('span', { class: 'small', text: t('cb.home_n', { n: due.length, overdue }) }),
      h('a', { href: '#/services', class: 'btn btn-small desk-head-btn', 'data-testid': 'callbacks-due-link' }, t('cb.home_all'))),
    h('ul', { class: 'plain-list small' }, shown.map((c) => h('li', null,
      h('a', { href: `#/case/${encodeURIComponent(c.case_id)}`, class: 'nowrap', 'data-testid': 'callbacks-due-case', text: c.case_no }), ' ',
      callBackDue(ctx, c), ' · ', h('span', { class: 'muted', text: [c.resident_name, c.content].filter(Boolean).join(' · ') })))));
}
