// The manager's periodic satisfaction survey (R-RV-1..3, D139): the surveys with their figures,
// opening one for the month whose report counts it, entering the returned ballots one by one (a grade
// A/B/C or blank per area, the comment, the unit when the ballot gives it), the running tally and rates,
// withdrawing a ballot typed by mistake, closing the survey; a blank A4 ballot to print for paper
// distribution and the survey's result sheet.
// Routes: #/surveys, #/surveys/<id>, #/surveys/<id>/ballot (the blank ballot).
import { confirmDialog, ensureStylesheet, missingRequired, mount } from '../dom.js';
import { colon, joinList } from '../i18n.js';
import { DESK } from '../roles.js';
import { zonedParts } from '../zone.js';
import { errorBox, field, fmtFull, isEn, loadUnits } from './common.js';
import { satisfactionText } from './satisfaction.js';
import { STRINGS } from './surveys-strings.js';

let stringsDone = false;

function setup(ctx) {
  if (!stringsDone) {
    ctx.registerStrings(STRINGS);
    stringsDone = true;
  }
  // Tables, forms and the A4 print sheets are the reports' (reports.css).
  return ensureStylesheet('/reports.css');
}

// Who may do what, as the server decides it: the manager opens and closes a survey (R-RV-1, the domain's
// SURVEY_ROLES); the desk enters and withdraws ballots (the ballot routes' roles in docs/api-contract.md).
export const SURVEY_ACTION_ROLES = {
  open: ['manager'],
  close: ['manager'],
  enter: DESK,
  withdraw: DESK,
};
const mayDo = (ctx, action) => (ctx.user?.roles || []).some((r) => SURVEY_ACTION_ROLES[action].includes(r));

const GRADES = ['A', 'B', 'C'];
// A rate's name or definition in the desk's language (the API sends label_zh / label_en …).
const inLang = (r, name) => (isEn() ? r[`${name}_en`] : r[`${name}_zh`]);

/** '2026-11' as the desk says a month: 2026年11月 / 2026-11. */
export function periodText(t, period) {
  const [y, m] = String(period || '').split('-');
  return y && m ? t('srv.period', { y, m: isEn() ? m : String(Number(m)) }) : '';
}

/** The closed month `period` names, from GET /api/surveys/closed-months, or null. */
export function closedMonthOf(closed, period) {
  return (closed || []).find((c) => c.period === period) || null;
}

/**
 * Why a month takes no survey and no ballot (its report is frozen, D140), and who can open it
 * again: for a signed one the general manager (reopening) and then the manager (returning it); for one
 * handed in, the manager. '' when the month is open.
 */
export function monthClosedText(t, closed) {
  if (!closed) return '';
  return t(closed.state === 'signed' ? 'srv.month_signed' : 'srv.month_handed_in', { month: periodText(t, closed.period) });
}

function thisMonth() {
  const d = zonedParts(new Date());
  return `${d.year}-${String(d.month).padStart(2, '0')}`;
}

function table(h, head, rows, { empty, cls = null } = {}) {
  if (!rows.length) return h('p', { class: 'muted', text: empty });
  return h('div', { class: 'table-wrap' }, h('table', { class: ['rpt-table', cls] },
    h('thead', null, h('tr', null, head.map((x) => h('th', { text: x })))),
    h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, c)))))));
}

/** A ballot id of the desk's own: the same ballot posted again (an answer lost) is recorded once. */
function ballotId() {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID();
  return `b-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export async function renderSurveys(root, ctx, sub) {
  await setup(ctx);
  const [id, view] = (sub || '').split('/');
  if (id && view === 'ballot') return renderBlankBallot(root, ctx, id);
  if (id) return renderSurvey(root, ctx, id);
  return renderList(root, ctx);
}

// ---- the list ---------------------------------------------------------------------------------

async function renderList(root, ctx) {
  const { h, t } = ctx;
  const err = errorBox(h);
  const body = h('div');
  mount(root, h('section', { class: 'rpt', 'data-view': 'surveys' },
    h('div', { class: 'view-head' }, h('h1', { text: t('srv.title') })), err.el, body));

  function openForm() {
    if (!mayDo(ctx, 'open')) return h('p', { class: 'muted small', 'data-testid': 'survey-open-manager-only', text: t('srv.only_manager') });
    const formErr = errorBox(h);
    const title = h('input', { name: 'title', required: true, maxlength: 100, placeholder: t('srv.f.title_ph') });
    const period = h('input', { name: 'period', type: 'month', required: true, value: thisMonth() });
    const issued = h('input', { name: 'issued', type: 'number', min: '1', step: '1', required: true, class: 'rpt-short' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('srv.open'));
    // A month whose report is frozen is not offered: the picker cannot hide one month, so the form says
    // why beside it and its button waits for another month (the server refuses it all the same).
    const closedNote = h('p', { class: 'small warn-text srv-month-closed', role: 'status', 'data-testid': 'survey-period-closed', hidden: true });
    const checkMonth = () => {
      const text = monthClosedText(t, closedMonthOf(closed, period.value));
      closedNote.textContent = text;
      closedNote.hidden = !text;
      submit.disabled = !!text;
    };
    period.addEventListener('input', checkMonth);
    period.addEventListener('change', checkMonth);
    const form = h('form', { class: 'card rpt-form srv-open-form', novalidate: true, 'data-testid': 'survey-open-form' },
      field(h, t('srv.f.title'), title), field(h, t('srv.f.period'), period), field(h, t('srv.f.issued'), issued),
      submit, closedNote,
      h('p', { class: 'small muted srv-form-hint', text: t('srv.f.hint') }), formErr.el);
    checkMonth();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      formErr.clear();
      if (closedMonthOf(closed, period.value)) return undefined;
      const missing = missingRequired(form);
      if (missing.length) return formErr.show(t('desk.missing', { list: joinList(missing) }), t);
      try {
        const s = await ctx.api.post('/api/surveys', { title: title.value.trim(), period: period.value, issued: Number(issued.value) });
        location.hash = `#/surveys/${encodeURIComponent(s.id)}`;
      } catch (ex) {
        formErr.show(ex, t);
      }
      return undefined;
    });
    return form;
  }

  const [list, closed] = await Promise.all([ctx.api.get('/api/surveys'), ctx.api.get('/api/surveys/closed-months')]);
  mount(body,
    h('h2', { class: 'section-title', text: t('srv.open') }), openForm(),
    h('h2', { class: 'section-title', text: t('srv.list') }),
    h('div', { 'data-testid': 'survey-list' }, table(h,
      [t('srv.col.title'), t('srv.col.period'), t('srv.col.issued'), t('srv.col.returned'), t('srv.col.overall'), t('srv.col.state')],
      list.map((s) => [
        h('a', { href: `#/surveys/${encodeURIComponent(s.id)}`, 'data-testid': 'survey-link' }, s.title),
        h('span', null, periodText(t, s.period),
          s.in_report ? null : h('span', { class: 'small muted srv-aside', text: t('srv.not_in_report') }),
          s.month_closed ? h('span', { class: 'small muted srv-aside', 'data-testid': 'survey-month-closed-aside',
            text: t(s.month_closed.state === 'signed' ? 'srv.aside_signed' : 'srv.aside_handed_in') }) : null),
        String(s.issued), String(s.returned),
        h('span', { 'data-testid': 'survey-overall', text: satisfactionText(s.overall) }),
        t(s.closed_at ? 'srv.state.closed' : 'srv.state.open'),
      ]), { empty: t('srv.none') })));
  return undefined;
}

// ---- one survey -------------------------------------------------------------------------------

/** '综合评议 A · 清洁卫生 C' in R-RV-2's order (the tally's), for the ballots entered. */
function gradesText(s, grades) {
  return s.rates.map((r) => [r.key.replace('satisfaction.', ''), r])
    .filter(([area]) => grades[area]).map(([area, r]) => `${inLang(r, 'label')} ${grades[area]}`).join(' · ');
}

/** One area's A / B / C / blank as radio buttons: arrow keys move within it, Tab to the next area. */
function areaPicker(h, t, area, name, index) {
  const group = `g-${area}`;
  const pick = (value, text, title) => h('label', { class: 'srv-pick', title },
    h('input', { type: 'radio', name: group, value, checked: value === '', 'data-testid': `grade-${area}-${value || 'blank'}` }),
    h('span', { text }));
  return h('fieldset', { class: 'srv-area', dataset: { area } },
    h('legend', { class: 'srv-area-name' }, h('span', { class: 'muted small', text: `${index + 1}. ` }), name),
    h('div', { class: 'srv-picks' },
      GRADES.map((g) => pick(g, g, t(`srv.grade.${g}`))),
      pick('', t('srv.blank'), t('srv.blank'))));
}

async function renderSurvey(root, ctx, id) {
  const { h, t } = ctx;
  const err = errorBox(h);
  const head = h('div', { class: 'view-head no-print' },
    h('a', { href: '#/surveys', class: 'btn btn-small' }, t('srv.back')));
  const body = h('div');
  mount(root, h('section', { class: 'rpt', 'data-view': 'survey' }, head, err.el, body));
  let units = [];
  try {
    units = (await loadUnits(ctx)).flatMap((b) => b.units.map((u) => u.label));
  } catch {
    /* the unit box still takes typed text */
  }
  // The entry form survives redraws: a ballot being typed is not lost when the tally refreshes.
  let entry = null;
  let lastEntered = '';

  const draw = (s) => {
    const people = s.people || {};
    const overall = s.rates.find((r) => r.key === 'satisfaction.overall');
    const open = !s.closed_at;
    const full = s.returned >= s.issued;
    // Its month's report is frozen: a ballot entered or withdrawn now would not reach it (D140).
    const frozen = !!s.month_closed;
    const closeBtn = open && mayDo(ctx, 'close') ? h('button', { type: 'button', class: 'btn', 'data-testid': 'survey-close', onclick: async () => {
      err.clear();
      const ok = await confirmDialog({ title: t('srv.close_title', { title: s.title }), body: t('srv.close_body', s),
        ok: t('srv.close'), cancel: t('srv.cancel') });
      if (!ok) return;
      try {
        draw(await ctx.api.post(`/api/surveys/${encodeURIComponent(s.id)}/close`, {}));
      } catch (e) {
        err.show(e, t);
      }
    } }, t('srv.close')) : null;

    const tallyRows = s.tally.map((row, i) => {
      const r = s.rates[i];
      return [inLang(r, 'label'), String(row.a), String(row.b), String(row.c), String(row.graded),
        h('span', { 'data-testid': 'survey-rate', dataset: { area: row.area }, text: satisfactionText(r) })];
    });
    const comments = s.ballots.filter((b) => b.comment);

    if (open && !full && !frozen && mayDo(ctx, 'enter')) entry ??= entryForm(s);
    else entry = null;
    mount(body,
      h('h1', { class: 'print-only', text: t('srv.sheet_title') }),
      h('div', { class: 'card rpt-meta srv-meta' },
        h('h2', { class: 'srv-title', 'data-testid': 'survey-title', text: s.title }),
        h('div', null, periodText(t, s.period), ' · ', h('strong', { 'data-testid': 'survey-state', text: t(open ? 'srv.state.open' : 'srv.state.closed') })),
        h('div', { 'data-testid': 'survey-summary', text: t('srv.summary', s) }),
        h('div', { class: 'small muted', text: t('srv.opened', { name: people[s.opened_by] || s.opened_by, at: fmtFull(s.opened_at) }) }),
        s.closed_at ? h('div', { class: 'small muted', 'data-testid': 'survey-closed-by',
          text: t('srv.closed_by', { name: people[s.closed_by] || s.closed_by, at: fmtFull(s.closed_at) }) }) : null,
        h('div', { class: 'srv-overall' }, h('span', { text: t('srv.overall') }),
          h('strong', { class: 'rpt-rate-value', 'data-testid': 'survey-overall-rate', text: satisfactionText(overall) })),
        h('div', { class: 'rpt-actions no-print' },
          h('button', { type: 'button', class: 'btn', 'data-testid': 'survey-print-sheet', onclick: () => window.print() }, t('srv.print_sheet')),
          h('a', { class: 'btn', href: `#/surveys/${encodeURIComponent(s.id)}/ballot`, 'data-testid': 'survey-print-ballot' }, t('srv.print_ballot')),
          closeBtn)),
      // Entering ballots first (the desk's work here), the running tally under it; the form while there
      // is a ballot to enter, otherwise why not.
      mayDo(ctx, 'enter') ? h('div', { class: 'no-print' },
        h('h2', { class: 'section-title', text: t('srv.enter') }),
        !open ? h('p', { class: 'muted', 'data-testid': 'survey-closed-note', text: t('srv.closed_note') })
          : frozen ? h('p', { class: 'warn-text', 'data-testid': 'survey-month-closed', text: monthClosedText(t, s.month_closed) })
          : full ? h('p', { class: 'muted', 'data-testid': 'survey-full', text: t('srv.full', s) })
            : entry ? entry.el : null,
        lastEntered ? h('p', { class: 'small srv-entered', role: 'status', 'data-testid': 'survey-entered', text: lastEntered }) : null) : null,
      // The rates as the monthly report computes them, with R-RV-3's definition beside them.
      h('h2', { class: 'section-title', text: t('srv.tally') }),
      // Six short columns stay a table on a phone too (not the desk's stacked cards: fourteen cards of six
      // lines each ran to four screens), scrolling sideways inside its box if it must.
      h('div', { class: 'srv-tally-wrap', 'data-testid': 'survey-tally' }, h('table', { class: 'rpt-table srv-tally' },
        h('thead', null, h('tr', null, [t('srv.col.area'), 'A', 'B', 'C', t('srv.col.graded'), t('srv.col.rate')].map((x) => h('th', { text: x })))),
        h('tbody', null, tallyRows.map((r) => h('tr', null, r.map((c) => h('td', null, c))))))),
      h('p', { class: 'rpt-definition small', text: overall ? inLang(overall, 'definition') : '' }),
      h('p', { class: 'small muted no-print', text: t('srv.legend') }),
      h('div', { class: 'no-print' },
        h('h2', { class: 'section-title', text: t('srv.ballots') }),
        h('div', { 'data-testid': 'survey-ballots' }, table(h,
          [t('srv.col.no'), t('srv.col.unit'), t('srv.col.grades'), t('srv.col.comment'), t('srv.col.entered'), ''],
          s.ballots.map((b, i) => [String(i + 1), b.unit || '', gradesText(s, b.grades), b.comment || '',
            b.entered_at ? `${people[b.entered_by] || b.entered_by || ''} ${fmtFull(b.entered_at)}` : '',
            open && !frozen && b.id && mayDo(ctx, 'withdraw') ? h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'ballot-withdraw', onclick: async () => {
              err.clear();
              const ok = await confirmDialog({ title: t('srv.withdraw_title', { n: i + 1 }), body: t('srv.withdraw_body'),
                ok: t('srv.withdraw'), cancel: t('srv.cancel'), danger: true });
              if (!ok) return;
              try {
                lastEntered = '';
                draw(await ctx.api.post(`/api/surveys/${encodeURIComponent(s.id)}/ballots/${encodeURIComponent(b.id)}/withdraw`, {}));
              } catch (e) {
                err.show(e, t);
              }
            } }, t('srv.withdraw')) : '']),
          { empty: t('srv.no_ballots') }))),
      // On paper: the residents' own words, and the lines the sheet is signed on.
      h('section', { class: 'print-only srv-print-comments' },
        h('h2', { class: 'section-title', text: t('srv.comments') }),
        comments.length ? h('ol', null, comments.map((b) => h('li', null, b.unit ? colon(b.unit, b.comment) : b.comment)))
          : h('p', { text: t('srv.no_comments') })),
      h('div', { class: 'print-only rpt-print-signs' },
        h('p', null, t('srv.sign_counted'), h('span', { class: 'rpt-sign-line' }), ' ', t('srv.sign_date'), h('span', { class: 'rpt-sign-line' })),
        h('p', null, t('srv.sign_manager'), h('span', { class: 'rpt-sign-line' }), ' ', t('srv.sign_date'), h('span', { class: 'rpt-sign-line' }))));
    if (entry) entry.update(s);
  };

  /** The ballot form: one picker per area, the unit and the comment; cleared after each ballot. */
  function entryForm(first) {
    let current = first;
    let id = ballotId();
    const formErr = errorBox(h);
    const unit = h('input', { name: 'unit', maxlength: 40, list: 'srv-units', autocomplete: 'off', class: 'srv-unit' });
    const comment = h('textarea', { name: 'comment', rows: 2, maxlength: 2000 });
    const button = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'ballot-save' }, t('srv.save_ballot'));
    const pickers = h('div', { class: 'srv-areas' },
      first.rates.map((r, i) => areaPicker(h, t, r.key.replace('satisfaction.', ''), inLang(r, 'label'), i)));
    const form = h('form', { class: 'card srv-ballot-form', novalidate: true, 'data-testid': 'ballot-form' },
      h('p', { class: 'small muted', text: t('srv.enter_hint') }), pickers,
      h('div', { class: 'srv-ballot-extra' }, field(h, t('srv.unit'), unit), field(h, t('srv.comment'), comment)),
      h('datalist', { id: 'srv-units' }, units.map((u) => h('option', { value: u }))),
      formErr.el, button);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      formErr.clear();
      const grades = {};
      for (const el of form.querySelectorAll('input[type=radio]:checked')) {
        if (el.value) grades[el.name.slice(2)] = el.value;
      }
      button.disabled = true;
      try {
        const next = await ctx.api.post(`/api/surveys/${encodeURIComponent(current.id)}/ballots`,
          { id, grades, unit: unit.value.trim(), comment: comment.value.trim() });
        // Ready for the next ballot: every area back to blank, a new id, the first area focused.
        id = ballotId();
        form.reset();
        lastEntered = t('srv.entered', { n: next.returned });
        draw(next);
        form.querySelector('input[type=radio]:checked')?.focus();
      } catch (ex) {
        formErr.show(ex, t);
      } finally {
        button.disabled = false;
      }
    });
    return { el: form, update: (s) => { current = s; } };
  }

  draw(await ctx.api.get(`/api/surveys/${encodeURIComponent(id)}`));
  return undefined;
}

// ---- the blank ballot ------------------------------------------------------------------------

async function renderBlankBallot(root, ctx, id) {
  const { h, t } = ctx;
  const s = await ctx.api.get(`/api/surveys/${encodeURIComponent(id)}`);
  const box = () => h('span', { class: 'srv-box', 'aria-hidden': 'true' });
  mount(root, h('section', { class: 'rpt srv-blank', 'data-view': 'survey-ballot' },
    h('div', { class: 'view-head no-print' },
      h('a', { href: `#/surveys/${encodeURIComponent(s.id)}`, class: 'btn btn-small' }, t('srv.b.back')),
      h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'ballot-print', onclick: () => window.print() }, t('srv.b.print'))),
    h('div', { class: 'srv-sheet' },
      h('h1', { class: 'srv-sheet-title', text: t('srv.b.title') }),
      h('p', { class: 'srv-sheet-sub', text: `${s.title} · ${periodText(t, s.period)}` }),
      h('p', { class: 'srv-sheet-intro', text: t('srv.b.intro') }),
      h('table', { class: 'rpt-table srv-sheet-table', 'data-testid': 'blank-ballot' },
        h('thead', null, h('tr', null, [t('srv.b.no'), t('srv.b.area'), ...GRADES.map((g) => t(`srv.grade.${g}`))].map((x) => h('th', { text: x })))),
        h('tbody', null, s.rates.map((r, i) => h('tr', null,
          h('td', { text: String(i + 1) }), h('td', { text: inLang(r, 'label') }),
          GRADES.map(() => h('td', { class: 'srv-box-cell' }, box())))))),
      h('p', { class: 'srv-sheet-label', text: t('srv.b.comments') }),
      h('div', { class: 'srv-sheet-lines' }, [0, 1, 2, 3].map(() => h('div', { class: 'srv-sheet-line' }))),
      h('p', { class: 'srv-sheet-foot' },
        t('srv.b.unit'), h('span', { class: 'rpt-sign-line' }), ' ', t('srv.b.date'), h('span', { class: 'rpt-sign-line' })))));
  return undefined;
}
