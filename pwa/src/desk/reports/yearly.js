// The yearly complaint analysis report 客户投诉报告 (R-RV-5, R-RV-3; seed 001 八) at #/reports/yearly, beside the
// monthly report: the year's complaints month by month (chart and table), the rates, the call-backs' grades, the
// categories and places, repeat units, the complaints open at the year's end, the register, and the manager's
// analysis with its hand-in to the deputy GM, who acknowledges or returns it. Printable on A4 (reports.css).
import { confirmDialog, ensureStylesheet, mount } from '../../dom.js';
import { zonedParts } from '../../zone.js';
import { colon, paren } from '../../i18n.js';
import { errorBox, field, fmtFull, isEn } from '../common.js';
import { actionDialog } from '../action-dialog.js';
import { STRINGS } from './strings.js';
import { actThenReload, chartCanvas, downloadXlsx, drawBar, has, pct, rateCard, reportTabs, table } from './parts.js';

const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// The years offered: this one and the five before it (a compound's complaints from before the system are on paper).
const YEARS_BACK = 5;

let stringsDone = false;

/** A month of the year as the desk reads it: 3月 / Mar. */
export function monthName(t, m) {
  return isEn() ? MONTHS_EN[m - 1] : t('yr.month_n', { m });
}

/** A rate's count and percentage in one cell: '3 / 4 · 75.00%', or '—' with nothing to measure. */
export function rateCell(r) {
  return r.denominator ? `${r.numerator} / ${r.denominator} · ${pct(r.value)}` : '—';
}

function yearChoice(h, t, current) {
  const sel = h('select', { name: 'year', 'aria-label': t('yr.year') });
  for (let y = current; y >= current - YEARS_BACK; y -= 1) sel.append(h('option', { value: String(y), text: t('yr.period', { y }) }));
  return sel;
}

export async function renderYearly(root, ctx) {
  if (!stringsDone) {
    ctx.registerStrings(STRINGS);
    stringsDone = true;
  }
  ensureStylesheet('/reports.css');
  const { h, t } = ctx;
  const charts = [];
  const destroyCharts = () => charts.splice(0).forEach((c) => c.destroy());
  const yearInput = yearChoice(h, t, zonedParts(new Date()).year);
  const body = h('div', { class: 'rpt-body' });
  const err = errorBox(h);
  const actions = h('div', { class: 'rpt-actions no-print' });
  mount(root, h('section', { class: 'rpt', 'data-view': 'yearly' },
    reportTabs(h, t, 'yearly'),
    h('div', { class: 'view-head no-print' }, h('h1', { text: t('yr.title') }), yearInput, actions),
    err.el, body));

  // Years picked in quick succession race as months do on the monthly page: only the newest answer is drawn.
  let loadSeq = 0;
  async function load() {
    const mine = ++loadSeq;
    err.clear();
    const y = Number(yearInput.value);
    let rep;
    try {
      rep = await ctx.api.get(`/api/reports/yearly/${y}`);
    } catch (e) {
      if (mine === loadSeq) err.show(e, t);
      return;
    }
    if (mine !== loadSeq) return;
    destroyCharts();
    draw(rep, y);
  }

  function draw(rep, y) {
    const period = t('yr.period', { y });
    const labels = (isEn() && rep.labels_en) || rep.labels;
    const category = (k) => labels[k] || k || '';
    const act = actThenReload(err, t, load);
    const post = (step, data) => ctx.api.post(`/api/reports/yearly/${y}/${step}`, data);
    const author = rep.status === 'draft' && has(ctx, 'manager');
    const deputy = rep.status === 'submitted' && has(ctx, 'deputy_gm');
    const name = (id) => rep.people?.[id] || id;

    // The analysis: the manager edits a draft; everyone else (and the paper) reads it as written.
    const cause = h('textarea', { name: 'cause_analysis', rows: 5, maxlength: 10000, placeholder: t('yr.cause_ph') });
    const actionsText = h('textarea', { name: 'corrective_actions', rows: 5, maxlength: 10000, placeholder: t('yr.actions_ph') });
    cause.value = rep.analysis.cause_analysis;
    actionsText.value = rep.analysis.corrective_actions;
    const text = () => ({ cause_analysis: cause.value, corrective_actions: actionsText.value });
    // A refusal (an empty analysis) shows under the editor's own buttons: the page's box is a screen above.
    const editorErr = errorBox(h);
    editorErr.el.setAttribute('data-testid', 'yearly-editor-error');
    const edit = actThenReload(editorErr, t, load);
    const save = () => edit(() => post('analysis', text()));
    // Handing in closes the figures: ask first, naming the year. The server refuses an empty analysis.
    const submit = () => edit(async () => {
      if (await confirmDialog({ title: t('yr.submit_confirm', { period }), body: t('yr.submit_confirm_body', { period }),
        ok: t('yr.submit'), cancel: t('desk.cancel') })) await post('submit', text());
    });
    // Each asks once, naming the year, as the monthly sign-off does (D103).
    const dialogButton = (label, title, testid, fieldEl, hint, step, bodyOf, danger) => h('button', { type: 'button', class: ['btn', danger ? '' : 'btn-primary'], 'data-testid': testid, onclick: () => {
      actionDialog(ctx, title, [fieldEl()], () => post(step, bodyOf()), { hint, danger, submitText: label })
        .then((out) => (out ? load() : null)).catch((e) => err.show(e, t));
    } }, label);
    let ackComment;
    let reason;
    mount(actions,
      h('button', { type: 'button', class: 'btn', 'data-testid': 'download-xlsx', onclick: () => act(() => downloadXlsx(ctx, `/api/reports/yearly/${y}/xlsx`, `complaint-report-${y}.xlsx`)) }, t('rpt.xlsx')),
      h('button', { type: 'button', class: 'btn', onclick: () => window.print() }, t('rpt.print')),
      deputy ? dialogButton(t('yr.acknowledge'), t('yr.ack_title', { period }), 'yearly-acknowledge', () => {
        ackComment = h('textarea', { name: 'comment', rows: 3, maxlength: 2000 });
        return field(h, t('yr.ack_comment'), ackComment);
      }, t('yr.ack_hint', { period }), 'acknowledge', () => ({ comment: ackComment.value.trim() }), false) : null,
      deputy ? dialogButton(t('yr.return'), t('yr.return_title', { period }), 'yearly-return', () => {
        reason = h('textarea', { name: 'reason', rows: 3, required: true, maxlength: 2000 });
        return field(h, t('yr.reason'), reason);
      }, t('yr.return_hint', { period }), 'return', () => ({ reason: reason.value.trim() }), true) : null);

    // Twelve months across the width of A4's text (about 700 CSS px), not in a half-page column.
    const months = chartCanvas(h, t('yr.chart_months'), 'chart-months', { paperWidth: 640, paperHeight: 170 });
    const written = (value) => (value ? h('p', { class: 'rpt-comment-text', text: value }) : h('p', { class: 'muted', text: t('yr.not_written') }));
    const analysis = author
      ? h('div', { class: 'card rpt-analysis no-print', 'data-testid': 'yearly-editor' },
        field(h, t('yr.cause'), cause), field(h, t('yr.actions'), actionsText), editorErr.el,
        h('div', { class: 'rpt-actions' },
          h('button', { type: 'button', class: 'btn', 'data-testid': 'yearly-save', onclick: save }, t('yr.save')),
          rep.year_over ? h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'yearly-submit', onclick: submit }, t('yr.submit'))
            : h('span', { class: 'small muted', 'data-testid': 'yearly-opens', text: t('yr.opens', { y, d: fmtFull(rep.opens_at).slice(0, 10) }) })),
        rep.analysis_saved_by_name ? h('p', { class: 'small muted', text: t('yr.saved', { name: rep.analysis_saved_by_name, at: fmtFull(rep.analysis_saved_at) }) }) : null)
      : null;
    // On paper (and for every reader but the author of a draft) the text as written.
    const analysisText = h('div', { class: ['rpt-analysis-text', author ? 'print-only' : ''], 'data-testid': 'yearly-analysis' },
      h('h3', { class: 'rpt-subtitle', text: t('yr.cause') }), written(rep.analysis.cause_analysis),
      h('h3', { class: 'rpt-subtitle', text: t('yr.actions') }), written(rep.analysis.corrective_actions));
    const grades = rep.call_backs;
    const tally = (head, rows) => table(h, [head, t('yr.count')], rows.map((x) => [x.key, String(x.count)]), t('rpt.none'), ['words', 'code']);

    mount(body,
      h('h1', { class: 'print-only', text: `${period} ${t('yr.title')}` }),
      h('div', { class: 'card rpt-meta' },
        h('div', null, period, ' · ', colon(t('yr.status'), ''), h('strong', { 'data-testid': 'yearly-status', text: t(`yr.status.${rep.status}`) })),
        h('div', { 'data-testid': 'yearly-received', text: t('yr.received', { n: rep.received }) }),
        !rep.covers_whole_year ? h('div', { class: 'small muted', 'data-testid': 'yearly-live', text: t('yr.live', { y }) }) : null,
        rep.status === 'draft' && !has(ctx, 'manager') ? h('div', { class: 'small muted no-print', text: t('yr.awaiting_author') }) : null,
        rep.status === 'submitted' && !has(ctx, 'deputy_gm') ? h('div', { class: 'small muted no-print', text: t('yr.awaiting_ack') }) : null,
        rep.history?.length ? h('ul', { class: 'small rpt-history', 'data-testid': 'yearly-history' }, rep.history.map((e) => h('li', null,
          t(`yr.event.${e.action}`, { name: name(e.by), at: fmtFull(e.at) }),
          e.reason ? ` ${paren(colon(t('yr.reason'), e.reason))}` : '',
          e.comment ? ` ${paren(colon(t('yr.comment'), e.comment))}` : ''))) : null),
      h('h2', { class: 'section-title', text: t('yr.rates') }),
      h('div', { class: 'rpt-rates' }, [rep.validity, rep.timely_handling, grades.rate].map((r) => rateCard(h, t, r))),
      h('p', { class: 'small', 'data-testid': 'yearly-grades' }, colon(t('yr.call_backs'), ''),
        t('yr.grades', { a: grades.a, b: grades.b, c: grades.c, none: grades.not_graded })),
      h('div', { class: 'rpt-charts rpt-charts-one' }, months.el),
      h('h2', { class: 'section-title', text: t('yr.months') }),
      h('div', { 'data-testid': 'yearly-months' }, table(h, [t('yr.month'), t('yr.count'), t('yr.validity'), t('yr.timely'), t('yr.call_back')],
        [...rep.months.map((m) => [monthName(t, m.month), String(m.received), rateCell(m.validity), rateCell(m.timely_handling), rateCell(m.call_back_satisfaction)]),
          [h('strong', { text: t('yr.total') }), String(rep.received), rateCell(rep.validity), rateCell(rep.timely_handling), rateCell(grades.rate)]],
        t('rpt.none'), ['words', 'code', 'words', 'words', 'words'])),
      h('h2', { class: 'section-title', text: t('yr.analysis') }),
      analysis, analysisText,
      h('h2', { class: 'section-title', text: t('yr.places') }),
      h('div', { class: 'rpt-tallies' },
        h('div', null, h('h3', { class: 'rpt-subtitle', text: t('yr.by_category') }),
          table(h, [t('rpt.category'), t('yr.count')], Object.entries(rep.counts_by_category).map(([k, v]) => [category(k), String(v)]), t('rpt.none'), ['words', 'code'])),
        h('div', { 'data-testid': 'yearly-top-buildings' }, h('h3', { class: 'rpt-subtitle', text: t('yr.top_buildings') }), tally(t('yr.building'), rep.top_buildings)),
        h('div', { 'data-testid': 'yearly-top-units' }, h('h3', { class: 'rpt-subtitle', text: t('yr.top_units') }), tally(t('yr.unit'), rep.top_units))),
      h('h2', { class: 'section-title', text: t('yr.repeat', { n: 3 }) }),
      h('div', { 'data-testid': 'yearly-repeats' }, table(h, [t('yr.unit'), t('yr.building'), t('yr.count'), t('yr.case_nos')],
        rep.repeat_units.map((u) => [u.unit, u.building, String(u.count), u.case_nos.join(isEn() ? ', ' : '、')]), t('rpt.none'), ['code', 'words', 'code', ''])),
      h('h2', { class: 'section-title', text: t('yr.open') }),
      h('div', { 'data-testid': 'yearly-open' }, table(h, [t('rpt.case_no'), t('rpt.received'), t('rpt.category'), t('yr.unit'), t('rpt.complainant'), t('rpt.handler'), t('yr.days_open')],
        rep.open_at_year_end.map((o) => [o.case_no, fmtFull(o.received_at), category(o.category), o.unit, o.complainant, o.handler, String(o.days_open)]),
        t('rpt.none'), ['code', 'words', 'words', 'code', 'words', 'words', 'code'])),
      h('h2', { class: 'section-title', text: t('yr.register') }),
      h('div', { 'data-testid': 'yearly-register' }, table(h, [t('rpt.case_no'), t('rpt.received'), t('rpt.complainant'), t('yr.unit'), t('rpt.category'), t('rpt.receiver'), t('rpt.handler'), t('rpt.method'), t('rpt.result'), t('rpt.sat'), t('rpt.valid')],
        rep.complaints.map((c) => [c.case_no, fmtFull(c.received_at), c.complainant, c.unit || '', category(c.category), c.receiver, c.handler, isEn() ? c.method_en || c.method : c.method, c.result, c.satisfaction ? t(`grade.${c.satisfaction}`) : '', c.valid === null ? '' : c.valid ? t('rpt.yes') : t('rpt.no')]),
        t('rpt.none'), ['code', 'words', 'words', 'code', 'words', 'words', 'words', 'words', '', 'words', 'words'])),
      rep.acknowledged_by ? h('p', { class: 'rpt-signature', 'data-testid': 'yearly-acknowledged' },
        t('yr.acknowledged', { name: rep.acknowledged_by_name || '', at: fmtFull(rep.acknowledged_at) }),
        rep.acknowledgement_comment ? ` ${paren(colon(t('yr.comment'), rep.acknowledgement_comment))}` : '') : null,
      // The paper copy carries the author's and the deputy GM's lines, filled once the system holds them.
      h('div', { class: 'print-only rpt-print-signs', 'data-testid': 'yearly-print-signs' },
        h('p', null, colon(t('yr.print_author'), ''), h('span', { class: 'rpt-sign-line', text: rep.submitted_by_name || '' })),
        h('p', null, colon(t('yr.print_ack'), ''), h('span', { class: 'rpt-sign-line', text: rep.acknowledged_by_name || '' }),
          ' ', colon(t('yr.print_date'), ''), h('span', { class: 'rpt-sign-line', text: rep.acknowledged_at ? fmtFull(rep.acknowledged_at).slice(0, 10) : '' }))));

    const monthLabels = rep.months.map((m) => monthName(t, m.month));
    const counts = rep.months.map((m) => m.received);
    for (const paper of [false, true]) {
      charts.push(drawBar(paper ? months.paper : months.canvas, monthLabels, counts, t('yr.count'), { paper }));
    }
  }

  yearInput.addEventListener('change', load);
  await load();
  return destroyCharts;
}
