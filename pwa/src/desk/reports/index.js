// Monthly report (charts, rate definitions, submit/sign, XLSX, print view) and special services
// (catalogue, bookings, cashier settlement, call-backs). The desk links to renderReports /
// renderServices at #/reports, #/services, and to the yearly complaint report (yearly.js, the same
// chunk) at #/reports/yearly; the key cabinet is desk/keys.js. What both reports draw with is parts.js.
import { confirmDialog, ensureStylesheet, missingRequired, mount } from '../../dom.js';
import { zonedParts, zonedToIso } from '../../zone.js';
import { errorBox, errorText, field, fmtFull, fmtTime, isEn, label, loadStaff, loadUnits, select, serverNow, unitPicker } from '../common.js';
import { colon, joinClauses, joinList, paren } from '../../i18n.js';
import { assigneeChooser } from '../assignee.js';
import { actionDialog } from '../action-dialog.js';
import { callBackAbout, callBackDue, callBackForm, callBackResident } from '../callback.js';
import { STRINGS } from './strings.js';
import { actThenReload, barBoxHeight, chartCanvas, downloadXlsx, drawBar, drawDoughnut, has, inLang, paperBarHeight, pct, rateCard, reportTabs, table, wrapLabel } from './parts.js';
import { notGradedMarks, satisfactionText } from '../satisfaction.js';
import { CATALOGUE_STRINGS, announceItem, announceText, approveItem, bookingSelect, itemBody, itemFields, reviseItem, sendBackItem, sentBackText } from '../catalogue.js';

// The chart helpers' tests (pwa/test) import them from here, where they were first written.
export { PAPER, barBoxHeight, paperBarHeight, wrapLabel } from './parts.js';
export { renderYearly } from './yearly.js';

let stringsDone = false;

function setup(ctx) {
  if (!stringsDone) {
    ctx.registerStrings(STRINGS);
    ctx.registerStrings(CATALOGUE_STRINGS);
    stringsDone = true;
  }
  ensureStylesheet('/reports.css');
}

const yuan = (cents) => (cents === null || cents === undefined ? '—' : `¥${(cents / 100).toFixed(2)}`);

// The server's month, not the device's: a desk whose clock is a day off opened a month not begun.
function thisMonth(ctx) {
  const d = zonedParts(new Date(serverNow(ctx)));
  return `${d.year}-${String(d.month).padStart(2, '0')}`;
}

// A day the server names '2026-11-23' as printed: always with the year (a report is a signed paper).
const dayText = (day) => String(day).replace(/-/g, '/');

/**
 * 统计截止: how far the figures run. A live draft (or one handed in before the month ended) is
 * counted up to the moment it was computed; a whole month up to its last day. Page 1 of a printed
 * live draft said only 草稿（实时计算）, with no time to read the figures against.
 */
export function asOfText(t, rep) {
  if (rep.covers_whole_month !== false) {
    const last = new Date(Date.UTC(rep.year, rep.month, 0)).getUTCDate();
    return t('rpt.as_of_month', { d: `${rep.year}/${String(rep.month).padStart(2, '0')}/${String(last).padStart(2, '0')}` });
  }
  return t('rpt.as_of_live', { at: fmtFull(rep.period_end) });
}

/**
 * What the manager is told before signing (R-RV-4): weeks with no quality check, poor quality with no
 * corrective-and-preventive-action report. A warning to confirm, not a refusal (D134).
 */
export function signWarnings(t, rep) {
  const q = rep.quality;
  if (!q) return [];
  const out = [];
  if (q.sign_warnings.includes('weeks_unchecked')) {
    out.push(t('rpt.warn_unchecked', { n: q.unchecked_weeks.length, list: joinList(q.unchecked_weeks.map(dayText)) }));
  }
  if (q.sign_warnings.includes('capa_missing')) {
    out.push(q.capa_owed.length ? t('rpt.warn_capa_owed', { n: q.capa_owed.length, list: joinList(q.capa_owed.map(dayText)) })
      : t('rpt.warn_capa_needed'));
  }
  return out;
}

/** A refused month (before the compound's first, or not begun) as the page labels it; null for others. */
export function unavailableMonthText(t, e) {
  if (e?.code === 'monthly_report.before_compound') {
    const [y, m] = String(e.details?.first_month || '').split('-').map(Number);
    return t('rpt.before_compound', { first: y && m ? t('rpt.period', { y, m }) : '' });
  }
  if (e?.code === 'monthly_report.month_not_begun') return t('rpt.month_not_begun');
  return null;
}

/** A month input's value ('2026-11') as the instants it starts and ends at in the compound's zone. */
export function monthRange(value) {
  const [y, m] = value.split('-').map(Number);
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  return { start: zonedToIso(`${value}-01T00:00`), end: zonedToIso(`${next}-01T00:00`) };
}


// ---- monthly report -------------------------------------------------------------------------

/**
 * R-IN-5: the month's help requests and their reply within 5 minutes (its rate card, the counts behind
 * it and the late ones). A report handed in before the figure existed carries none, and says so.
 */
function helpSection(h, t, rep) {
  const fig = rep.help_replies;
  const title = h('h2', { class: 'section-title', text: t('rpt.help_title') });
  if (!fig) return [title, h('p', { class: 'muted', 'data-testid': 'help-replies-none', text: t('rpt.help_none') })];
  return [title,
    h('div', { class: 'rpt-rates rpt-help-rate', 'data-testid': 'help-replies' }, rateCard(h, t, fig.rate)),
    h('p', { class: 'small', 'data-testid': 'help-counts', text: t('rpt.help_counts', { received: fig.received, in_time: fig.in_time, late: fig.late, pending: fig.pending, not_opened: fig.not_opened }) }),
    h('h3', { class: 'rpt-subtitle', text: t('rpt.help_late') }),
    h('div', { 'data-testid': 'help-late' }, table(h, [t('rpt.case_no'), t('rpt.received'), t('rpt.help_due'), t('rpt.help_replied'), t('rpt.receiver'), t('rpt.late_min')],
      (rep.help_late || []).map((l) => [l.case_no, fmtFull(l.received_at), fmtFull(l.due_at), l.replied_at ? fmtFull(l.replied_at) : t('rpt.help_not_replied'), l.receiver, String(l.late_minutes)]),
      t('rpt.none'), ['code', 'words', 'words', 'words', 'words', 'code']))];
}

/**
 * R-RV-4: the month's weekly checks of handling quality (who checked, when, how many cases, the
 * verdict and where its CAPA report stands), each week with no check flagged as such. Read live
 * beside the figures: a CAPA report filed after the summary was handed in shows as it stands.
 */
function qualitySection(h, t, rep) {
  const q = rep.quality;
  if (!q) return [];
  const capa = (w) => (w.capa_state ? [t(`rpt.capa.${w.capa_state}`), w.capa_report_no || ''].filter(Boolean).join(' ') : '');
  return [
    h('h2', { class: 'section-title', text: t('rpt.quality') }),
    h('div', { 'data-testid': 'quality-weeks' }, table(h, [t('rpt.q_week'), t('rpt.q_checked_by'), t('rpt.q_checked_at'), t('rpt.q_cases'), t('rpt.q_result'), t('rpt.q_capa')],
      q.weeks.map((w) => (w.checked
        ? [dayText(w.week_start), w.checked_by, fmtFull(w.checked_at), String(w.cases_checked),
          h('span', { class: w.poor_quality ? 'rpt-overdue' : null, text: t(w.poor_quality ? 'rpt.q_poor' : 'rpt.q_ok') }),
          h('span', { class: ['owed', 'returned'].includes(w.capa_state) ? 'rpt-overdue' : null, 'data-testid': 'quality-capa', text: capa(w) })]
        : [dayText(w.week_start), '', '', '', h('strong', { class: 'rpt-overdue', 'data-testid': 'quality-unchecked', text: t('rpt.q_unchecked') }), ''])),
      t('rpt.q_none'), ['code', 'words', 'words', 'code', 'words', 'words'])),
  ];
}

/**
 * What the month's figures and checks ask of the manager, at the top of the report: the R-FU-10
 * targets missed, the weeks never checked, and the CAPA report poor quality calls for, with the way
 * to it (the weekly checks on the review page, #/review?focus=quality).
 */
function qualityNotes(h, t, ctx, rep) {
  const q = rep.quality;
  if (!q) return [];
  const missed = rep.rates.filter((r) => q.targets_missed.includes(r.key));
  const target = (r) => `${t('rpt.target')} ${r.target_is_ceiling ? '≤' : '≥'} ${r.target_percent}%`;
  const capaText = q.capa_owed.length ? t('rpt.warn_capa_owed', { n: q.capa_owed.length, list: joinList(q.capa_owed.map(dayText)) })
    : q.capa_needed ? t('rpt.warn_capa_needed') : '';
  return [
    missed.length ? h('div', { class: 'rpt-quality-note rpt-overdue', 'data-testid': 'targets-missed' },
      colon(t('rpt.targets_missed'), joinList(missed.map((r) => paren(`${inLang(r, 'label')} ${pct(r.value)}`, target(r)))))) : null,
    q.unchecked_weeks.length ? h('div', { class: 'rpt-quality-note rpt-overdue', 'data-testid': 'weeks-unchecked' },
      t('rpt.warn_unchecked', { n: q.unchecked_weeks.length, list: joinList(q.unchecked_weeks.map(dayText)) })) : null,
    capaText ? h('div', { class: 'rpt-quality-note rpt-overdue', 'data-testid': 'capa-prompt' }, capaText,
      has(ctx, 'manager') ? [' ', h('a', { href: '#/review?focus=quality', class: 'btn btn-small no-print', 'data-testid': 'capa-link', text: t('rpt.capa_go') })] : null) : null,
  ];
}

/**
 * A form that says what is missing in the app's words, next to its own button (the page's error box
 * sits at the top, out of sight under a long phone page), and otherwise posts through act().
 */
function checkedForm(h, t, props, fields, submitText, send, load) {
  const err = errorBox(h);
  const act = actThenReload(err, t, load);
  const form = h('form', { ...props, novalidate: true }, fields, err.el, h('button', { type: 'submit', class: 'btn btn-primary' }, submitText));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    err.clear();
    const missing = missingRequired(form);
    if (missing.length) return err.show(t('desk.missing', { list: joinList(missing) }), t);
    return act(() => send(form));
  });
  return form;
}

/**
 * A row's own error box and a runner for the row's buttons: a refusal (a settlement without its
 * receipt number, a fee the resident was not told) shows beside the button that caused it. The
 * page's error box sits above the tables, off screen once the desk or the cashier's phone has
 * scrolled down to the row, so a tap there seemed to do nothing.
 */
function rowAction(h, t, pageErr, load) {
  const rowErr = errorBox(h);
  rowErr.el.classList.add('rpt-row-error');
  const run = async (fn) => {
    pageErr.clear();
    rowErr.clear();
    try {
      await fn();
    } catch (e) {
      rowErr.show(e, t);
      rowErr.el.scrollIntoView({ block: 'nearest' });
      return;
    }
    await load().catch((e) => pageErr.show(e, t));
  };
  return { el: rowErr.el, run };
}


export async function renderReports(root, ctx) {
  setup(ctx);
  const { h, t } = ctx;
  const charts = [];
  const destroyCharts = () => charts.splice(0).forEach((c) => c.destroy());
  const monthInput = h('input', { type: 'month', name: 'month', value: thisMonth(ctx), max: thisMonth(ctx), 'aria-label': t('rpt.month') });
  const body = h('div', { class: 'rpt-body' });
  const err = errorBox(h);
  const actions = h('div', { class: 'rpt-actions no-print' });
  mount(root, h('section', { class: 'rpt', 'data-view': 'reports' },
    reportTabs(h, t, 'monthly'),
    h('div', { class: 'view-head no-print' }, h('h1', { text: t('rpt.title') }), monthInput, actions),
    h('h1', { class: 'print-only', text: t('rpt.title') }),
    err.el, body));

  // Months picked in quick succession race: only the answer to the newest request is drawn, or a
  // slower March could land after April and show March under April's picker.
  let loadSeq = 0;
  async function load() {
    const mine = ++loadSeq;
    err.clear();
    destroyCharts();
    const [y, m] = monthInput.value.split('-').map(Number);
    if (!y || !m) return;
    let rep;
    try {
      rep = await ctx.api.get(`/api/reports/monthly/${y}/${m}`);
    } catch (e) {
      if (mine !== loadSeq) return;
      // A month before the compound's first or not begun has no report: say so in place of figures,
      // rather than the previous month's under this month's picker (R-RV-4).
      const why = unavailableMonthText(t, e);
      if (!why) {
        err.show(e, t);
        return;
      }
      if (e.details?.first_month) monthInput.min = e.details.first_month;
      mount(actions);
      mount(body, h('p', { class: 'card empty', 'data-testid': 'month-unavailable', text: why }));
      return;
    }
    if (mine !== loadSeq) return;
    if (rep.first_month) monthInput.min = rep.first_month;
    const labels = (isEn() && rep.labels_en) || rep.labels;
    const status = t(`rpt.status.${rep.status}`);
    const act = actThenReload(err, t, load);
    const comment = h('textarea', { name: 'comment', rows: 2, placeholder: t('rpt.comment_ph') });
    const period = t('rpt.period', { y, m });
    const post = (step, body) => ctx.api.post(`/api/reports/monthly/${y}/${m}/${step}`, body);
    // Submitting and signing each close a step of the month's sign-off: both ask first, naming the
    // month (D103). The server refuses a month before its 30th, and a signature before the month ends.
    const submit = () => act(async () => {
      if (await confirmDialog({ title: t('rpt.submit_confirm', { period }), body: t('rpt.submit_confirm_body', { period }),
        ok: t('rpt.submit'), cancel: t('desk.cancel') })) await post('submit', {});
    });
    // Weeks unchecked or poor quality without a CAPA report are said before the confirmation: the
    // manager may sign regardless, and the signature records them (R-RV-4, D134).
    const warnings = signWarnings(t, rep);
    const sign = () => act(async () => {
      if (!comment.value.trim()) throw t('rpt.comment_needed');
      const confirmBody = t('rpt.sign_confirm_body', { period });
      const body = warnings.length ? t('rpt.sign_warn_body', { warnings: joinClauses(warnings), body: confirmBody }) : confirmBody;
      if (await confirmDialog({ title: t('rpt.sign_confirm', { period }), body,
        ok: t(warnings.length ? 'rpt.sign_anyway' : 'rpt.sign'), cancel: t('desk.cancel') })) await post('sign', { comment: comment.value });
    });
    // The manager sends a submitted report back; the GM takes back a signature: each with a reason.
    const withReason = (title, hint, step, testid) => h('button', { type: 'button', class: 'btn', 'data-testid': testid, onclick: () => {
      const reason = h('textarea', { name: 'reason', rows: 3, required: true });
      actionDialog(ctx, title, [field(h, t('rpt.reason'), reason)], () => post(step, { reason: reason.value.trim() }), { hint, danger: true, submitText: title })
        .then((out) => (out ? load() : null)).catch((e) => err.show(e, t));
    } }, title);
    mount(actions,
      h('button', { type: 'button', class: 'btn', 'data-testid': 'download-xlsx', onclick: () => act(() => downloadXlsx(ctx, `/api/reports/monthly/${y}/${m}/xlsx`, `monthly-report-${y}-${String(m).padStart(2, '0')}.xlsx`)) }, t('rpt.xlsx')),
      h('button', { type: 'button', class: 'btn', onclick: () => window.print() }, t('rpt.print')),
      rep.status === 'draft' && has(ctx, 'dispatcher', 'front_desk') && rep.submission_open
        ? h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'report-submit', onclick: submit }, t('rpt.submit'))
        : null,
      rep.status === 'submitted' && has(ctx, 'manager')
        ? withReason(t('rpt.return'), t('rpt.return_hint', { period }), 'return', 'report-return') : null,
      rep.status === 'submitted' && has(ctx, 'manager') && rep.signing_open
        ? h('span', { class: 'rpt-sign' }, comment,
          h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'report-sign', onclick: sign }, t('rpt.sign')))
        : null,
      rep.status === 'signed' && has(ctx, 'general_manager')
        ? withReason(t('rpt.reopen'), t('rpt.reopen_hint', { period }), 'reopen', 'report-reopen') : null);

    const kind = chartCanvas(h, t('rpt.chart_kind'), 'chart-kind');
    const channel = chartCanvas(h, t('rpt.chart_channel'), 'chart-channel');
    const satRates = rep.satisfaction;
    // No ballot returned: every item rate is undefined (R-RV-3), so an empty chart and fourteen rows
    // of "0 / 0 —" said nothing; one sentence says why there are no figures.
    const surveyed = rep.ballots_returned > 0;
    const satLabels = satRates.map((r) => wrapLabel(inLang(r, 'label')));
    // 10 px paper type fits about 20 Latin (10 Chinese) characters a line in the label column.
    const satPaperLabels = satRates.map((r) => wrapLabel(inLang(r, 'label'), 20));
    const sat = surveyed ? chartCanvas(h, t('rpt.chart_satisfaction'), 'chart-satisfaction',
      { boxClass: 'rpt-chart-tall', paperHeight: paperBarHeight(satPaperLabels) }) : null;
    if (sat) sat.canvas.parentElement.style.height = `${barBoxHeight(satLabels)}px`;
    const noSurvey = h('p', { class: 'muted', 'data-testid': 'no-survey', text: t('rpt.no_survey') });
    // The manager signs what the dispatcher handed in (R-RV-4): until then say so, not a blank bar.
    const waiting = rep.status === 'draft' && has(ctx, 'manager') && !has(ctx, 'dispatcher', 'front_desk')
      ? h('div', { class: 'small muted no-print', 'data-testid': 'awaiting-submit', text: t('rpt.awaiting_submit') }) : null;
    mount(body,
      h('div', { class: 'card rpt-meta' },
        h('div', null, t('rpt.period', { y, m }), ' · ', colon(t('rpt.status'), ''), h('strong', { 'data-testid': 'report-status', text: status })),
        // How far the figures run, and on paper when it was printed (refreshed as the print starts).
        h('div', { class: 'small' }, h('span', { 'data-testid': 'report-as-of', text: asOfText(t, rep) }),
          h('span', { class: 'print-only', 'data-testid': 'report-printed-at', text: ` · ${printedAt()}` })),
        h('div', { class: 'small muted' }, t('rpt.due', { d: rep.due_on }), rep.submitted_late ? ` · ${t('rpt.late')}` : ''),
        rep.submitted_by_name ? h('div', { class: 'small' }, t('rpt.submitted_by', { name: rep.submitted_by_name, at: fmtFull(rep.submitted_at) })) : null,
        waiting,
        // When the month's sign-off opens, and why the figures still move (D103).
        rep.status === 'draft' && !rep.submission_open
          ? h('div', { class: 'small muted no-print', 'data-testid': 'submit-opens', text: t('rpt.submit_opens', { d: rep.submission_opens_on }) }) : null,
        rep.status === 'submitted' && !rep.signing_open
          ? h('div', { class: 'small muted no-print', 'data-testid': 'sign-opens', text: t('rpt.sign_opens') }) : null,
        rep.covers_whole_month === false && rep.status !== 'draft'
          ? h('div', { class: 'small muted', 'data-testid': 'figures-live', text: t('rpt.figures_live') }) : null,
        rep.history?.length ? h('ul', { class: 'small rpt-history', 'data-testid': 'report-history' }, rep.history.map((e) => h('li', null,
          t(`rpt.event.${e.action}`, { name: rep.people?.[e.by] || e.by, at: fmtFull(e.at) }),
          e.reason ? ` ${paren(colon(t('rpt.reason'), e.reason))}` : '',
          e.action === 'signed' && e.comment ? ` ${paren(colon(t('rpt.comment'), e.comment))}` : '',
          // What the signature was given knowing (R-RV-4).
          e.warnings?.length ? ` ${paren(colon(t('rpt.signed_warned'), joinList(e.warnings.map((w) => t(`rpt.warning.${w}`)))))}` : ''))) : null,
        // On paper the comment prints after the charts (below): however long, it cannot push them off page 1.
        rep.manager_comment ? h('div', { class: 'no-print rpt-comment' }, colon(t('rpt.comment'), rep.manager_comment)) : null,
        h('div', null, colon(t('rpt.revenue'), ''), h('strong', { text: yuan(rep.special_service_revenue_cents) })),
        ...qualityNotes(h, t, ctx, rep)),
      h('h2', { class: 'section-title', text: t('rpt.rates') }),
      h('div', { class: 'rpt-rates' }, rep.rates.map((r) => rateCard(h, t, r))),
      h('div', { class: 'rpt-charts' }, kind.el, channel.el, sat ? sat.el : null),
      // D65 keeps the charts whole on page 1 with the summary; a long comment at the top moved them all
      // to page 2. Printed after them, in its own section, it flows onto page 2 when it must, whole.
      rep.manager_comment ? h('section', { class: 'print-only rpt-print-comment-section', 'data-testid': 'report-print-comment' },
        h('h2', { class: 'section-title', text: t('rpt.comment') }),
        h('p', { class: 'rpt-comment-text', text: rep.manager_comment })) : null,
      // On paper the rate cards hold the figures; their definitions print here, after the charts (D65).
      h('section', { class: 'print-only rpt-print-definitions', 'data-testid': 'report-print-definitions' },
        h('h2', { class: 'section-title', text: t('rpt.definitions') }),
        h('dl', null, rep.rates.flatMap((r) => [
          h('dt', { text: inLang(r, 'label') }),
          h('dd', { text: inLang(r, 'definition') }),
          h('dd', { class: 'muted', lang: isEn() ? 'zh-CN' : 'en', text: isEn() ? r.definition_zh : r.definition_en })]))),
      ...helpSection(h, t, rep),
      ...qualitySection(h, t, rep),
      h('h2', { class: 'section-title', text: t('rpt.satisfaction') }),
      h('p', null, t('rpt.ballots', { issued: rep.ballots_issued, back: rep.ballots_returned })),
      h('p', { class: 'rpt-definition small', 'data-testid': 'rate-definition', text: satRates[0] ? inLang(satRates[0], 'definition') : '' }),
      // An area no returned ballot graded reads 未评, apart from a graded 0 % (R-RV-3, D139).
      surveyed ? h('div', { 'data-testid': 'satisfaction-table' }, table(h, [t('rpt.area'), 'A+B', t('rpt.returned'), t('rpt.rate')],
        satRates.map((r) => [inLang(r, 'label'), String(r.numerator), String(r.denominator),
          h('span', { 'data-testid': 'sat-rate', dataset: { area: r.key.replace('satisfaction.', '') }, text: satisfactionText(r) })]), '')) : noSurvey,
      h('h2', { class: 'section-title', text: t('rpt.by_category') }),
      table(h, [t('rpt.category'), t('rpt.count')],
        Object.entries(rep.counts_by_category).map(([k, v]) => [labels.category[k] || k, String(v)]), t('rpt.none')),
      h('h2', { class: 'section-title', text: t('rpt.overdue') }),
      table(h, [t('rpt.case_no'), t('rpt.kind'), t('rpt.received'), t('rpt.due_at'), t('rpt.closed'), t('rpt.reply_signer'), t('rpt.handler'), t('rpt.late_min')],
        // A written inquiry is on the list for its written reply (R-IN-5): its "done" is that reply, and
        // the reply names who signed it (签发人, D74).
        rep.overdue.map((o) => [o.case_no, labels.kind[o.kind] || o.kind, fmtFull(o.received_at), o.due_at ? fmtFull(o.due_at) : '', o.closed_at ? fmtFull(o.closed_at) : t(o.kind === 'inquiry' ? 'rpt.not_replied' : 'rpt.open'), o.signer || '', o.handler, o.late_minutes ?? '']),
        t('rpt.none'), ['code', 'words', 'words', 'words', 'words', 'words', 'words', 'code']),
      h('h2', { class: 'section-title', text: t('rpt.complaints') }),
      table(h, [t('rpt.case_no'), t('rpt.received'), t('rpt.complainant'), t('rpt.category'), t('rpt.receiver'), t('rpt.handler'), t('rpt.method'), t('rpt.result'), t('rpt.sat'), t('rpt.valid')],
        rep.complaints.map((c) => [c.case_no, fmtFull(c.received_at), c.complainant, labels.category[c.category] || c.category || '', c.receiver, c.handler, isEn() ? c.method_en || c.method : c.method, c.result, c.satisfaction ? t(`grade.${c.satisfaction}`) : '', c.valid === null ? '' : c.valid ? t('rpt.yes') : t('rpt.no')]),
        t('rpt.none'), ['code', 'words', 'words', 'words', 'words', 'words', 'words', '', 'words', 'words']),
      rep.signed_by ? h('p', { class: 'rpt-signature', 'data-testid': 'report-signature' },
        t('rpt.signed', { name: rep.signed_by_name || '', at: fmtFull(rep.signed_at) })) : null,
      // R-RV-4: the paper copy is filled by the dispatcher and commented and signed by the manager;
      // until the system holds those, the printout leaves lines for them instead of ending blank.
      h('div', { class: 'print-only rpt-print-signs', 'data-testid': 'report-print-signs' },
        h('p', null, colon(t('rpt.print_filled_by'), ''), h('span', { class: 'rpt-sign-line', text: rep.submitted_by_name || '' })),
        rep.manager_comment ? null : h('p', { class: 'rpt-print-comment' }, colon(t('rpt.comment'), ''), h('span', { class: 'rpt-sign-line rpt-sign-line-wide' })),
        h('p', null, colon(t('rpt.print_signed_by'), ''), h('span', { class: 'rpt-sign-line', text: rep.signed_by_name || '' }),
          ' ', colon(t('rpt.print_date'), ''), h('span', { class: 'rpt-sign-line', text: rep.signed_at ? fmtFull(rep.signed_at).slice(0, 10) : '' }))));

    const kindLabels = Object.keys(rep.counts_by_kind).map((k) => labels.kind[k] || k);
    const channelLabels = Object.keys(rep.counts_by_channel).map((k) => labels.channel[k] || k);
    for (const paper of [false, true]) {
      const on = (c) => (paper ? c.paper : c.canvas);
      // Six kinds under a 320 px column: "Other daily affairs" goes on three short lines.
      charts.push(drawBar(on(kind), paper ? kindLabels.map((l) => wrapLabel(l, 8)) : kindLabels, Object.values(rep.counts_by_kind), t('rpt.count'), { paper }));
      charts.push(drawDoughnut(on(channel), channelLabels, Object.values(rep.counts_by_channel), paper));
      // An undefined rate ("—") is left out of the bar, never drawn as 0 %.
      // An area no ballot graded has no bar: 未评 is written where it would be (R-RV-3).
      if (sat) charts.push(drawBar(on(sat), paper ? satPaperLabels : satLabels, satRates.map((r) => r.value), t('rpt.rate'),
        { horizontal: true, paper, plugins: [notGradedMarks(satRates, paper ? 10 : 11)] }));
    }
  }

  // 打印于: the moment the paper is printed, not when the page was opened (it may stay open for hours).
  const stampPrint = () => {
    for (const el of root.querySelectorAll('[data-testid="report-printed-at"]')) el.textContent = ` · ${printedAt()}`;
  };
  window.addEventListener('beforeprint', stampPrint);
  monthInput.addEventListener('change', load);
  await load();
  return () => {
    window.removeEventListener('beforeprint', stampPrint);
    destroyCharts();
  };

  function printedAt() {
    return t('rpt.printed_at', { at: fmtFull(new Date(serverNow(ctx)).toISOString()) });
  }
}

// ---- special services -----------------------------------------------------------------------

/** What the desk tells the resident before dispatch (R-SS-2, D100): the total, and how it is made up
 *  when more than one unit was quoted ('¥360.00（¥120.00/件 × 3）'). The server computed the total. */
export function toldFeeText(t, v, unit) {
  const b = v.booking;
  const total = v.told_fee_cents ?? b.unit_fee_cents;
  const qty = b.quoted_quantity || 1;
  const per = unit ? `${yuan(b.unit_fee_cents)}/${unit}` : yuan(b.unit_fee_cents);
  return qty > 1 ? t('svc.told_total', { total: yuan(total), per, qty }) : per;
}

/** A unit fee is quoted for a number of units unless it is charged per visit. */
export function takesQuantity(item) {
  return Boolean(item) && item.unit !== 'per_visit';
}

export async function renderServices(root, ctx) {
  setup(ctx);
  const { h, t } = ctx;
  const err = errorBox(h);
  const body = h('div');
  mount(root, h('section', { class: 'rpt', 'data-view': 'services' }, h('div', { class: 'view-head' }, h('h1', { text: t('svc.title') })), err.el, body));
  const booker = has(ctx, 'dispatcher', 'front_desk', 'control_room', 'manager');
  // Only the desk dispatches; a cashier may not read the staff list (the server answers 403).
  const staff = booker ? await loadStaff(ctx).catch(() => []) : [];
  // The booking's unit is a registered one, picked as at intake (D41); the server refuses any other.
  const units = booker ? await loadUnits(ctx).catch(() => []) : [];
  const agreementReader = booker || has(ctx, 'cashier', 'general_manager', 'deputy_gm');

  const prompt = (ph, type = 'text') => h('input', { type, placeholder: ph, class: 'rpt-inline' });

  /** The resident's arrival promise (R-FU-7), before and after dispatch, with where it stands (D100):
   *  the server reads it off the case's clock once dispatched (a delay notice's new time moves it). */
  function promiseText(v) {
    const b = v.booking;
    const p = v.promise;
    if (!p) {
      return b.state === 'booked' ? h('span', { class: 'small muted', text: t('svc.promise_after_consent', { min: b.promise_minutes }) }) : '';
    }
    const at = t(p.agreed ? 'svc.arrive_by_agreed' : 'svc.arrive_by', { at: fmtTime(p.due_at) });
    const state = p.state === 'running' ? t('svc.promise.running')
      : t(`svc.promise.${p.state}${p.arrived_at ? '_at' : ''}`, { at: fmtTime(p.arrived_at) });
    return h('span', { class: 'small', 'data-testid': 'svc-promise', dataset: { state: p.state } },
      h('span', { 'data-testid': 'svc-arrive-by', text: at }), h('br'),
      h('span', { class: ['svc-promise-state', p.state === 'missed' ? 'rpt-overdue' : p.state === 'met' ? 'ok-text' : 'muted'], text: state }));
  }

  // R-DI-1: a lead first; straight to a technician only when no lead could be reached, and
  // then the desk says which leads it tried, asked beside the choice as in the case's 派工 dialog
  // (desk/assignee.js, D100). Nothing is recorded as tried that the desk did not tick. The leads are the
  // server's for the booking (`v.leads`, every lead: the guard captain too, D144), as its dispatch takes them.
  function dispatchControls(v) {
    const b = v.booking;
    const who = assigneeChooser(h, t, staff, { name: 'assignee', empty: t('svc.assignee'), executorRoles: ['technician', 'cleaner'], leads: v.leads ?? null });
    who.select.setAttribute('aria-label', t('svc.assignee'));
    who.tried.classList.add('svc-tried-leads');
    // The refusal shows beside this row's button: the page's error box sits above the tables, off
    // screen once the desk has scrolled down to the bookings, so a click seemed to do nothing.
    const rowErr = errorBox(h);
    rowErr.el.classList.add('rpt-row-error');
    const go = async () => {
      err.clear();
      rowErr.clear();
      if (!who.select.value) {
        rowErr.show(t('svc.need_assignee'), t);
        who.select.focus();
        return;
      }
      try {
        await ctx.api.post(`/api/services/bookings/${b.id}/dispatch`, { assignee_id: who.select.value, unreached_lead_ids: who.unreached() });
      } catch (e) {
        rowErr.show(e, t);
        rowErr.el.scrollIntoView({ block: 'nearest' });
        return;
      }
      await load().catch((e) => err.show(e, t));
    };
    return [who.select, who.tried, h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'svc-dispatch', onclick: go }, t('svc.dispatch')), rowErr.el];
  }

  /** R-SS-2 / R-FU-7: the desk tells the total and the arrival promise, and records the resident's yes
   *  only after confirming what was said (D100); the server checks the total against the approved fee. */
  function consentButton(v, item, row) {
    const b = v.booking;
    const told = toldFeeText(t, v, item ? unitLabel(item) : '');
    const total = v.told_fee_cents ?? b.unit_fee_cents;
    const ask = async () => {
      const yes = await confirmDialog({
        title: t('svc.consent_title'),
        body: t('svc.consent_body', { resident: `${b.resident_name} ${b.unit}`, fee: told, min: b.promise_minutes }),
        ok: t('svc.consent_ok'), cancel: t('desk.cancel'),
      });
      if (!yes) return;
      await row.run(async () => {
        const out = await ctx.api.post(`/api/services/bookings/${b.id}/consent`, { shown_fee_cents: total });
        ctx.toast?.(t('svc.consent_recorded', { fee: toldFeeText(t, out, item ? unitLabel(item) : ''), at: fmtTime(out.booking.arrive_by) }), 'ok');
      });
    };
    return h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'svc-consent', onclick: ask },
      t('svc.consent', { fee: told, min: b.promise_minutes }));
  }

  // One call-back due (R-FU-6): the resident, the unit and a phone to tap; what the case was about,
  // who did the work and when; what the resident already said on the slip they signed (D33). The
  // form (desk/callback.js) starts on the case's own survey area and on no grade.
  function callBackRow(c) {
    const caseNo = h('a', { href: `#/case/${encodeURIComponent(c.case_id)}`, class: 'nowrap', 'data-testid': 'cb-case', text: c.case_no });
    return [caseNo, callBackResident(ctx, c), callBackAbout(ctx, c), callBackDue(ctx, c),
      callBackForm(ctx, c, () => load().catch((e) => err.show(e, t)))];
  }

  // Long-term agreements (R-SS-2): the resident consented to the fee once, when signing. The unit is
  // a registered one, picked as for a booking (D41), so every case booked under the agreement has the
  // door; typed text would have been kept for the whole term.
  function agreementSection(agreements, items, itemsByCode) {
    const now = Date.now();
    const rows = [...agreements].sort((a, b) => b.signed_at.localeCompare(a.signed_at)).map((a) => {
      const item = itemsByCode.get(a.item_code);
      const active = Date.parse(a.valid_until) > now;
      const rowErr = errorBox(h);
      rowErr.el.classList.add('rpt-row-error');
      const book = async () => {
        rowErr.clear();
        try {
          await ctx.api.post('/api/services/bookings', { item_code: a.item_code, agreement_id: a.id });
        } catch (e) {
          rowErr.show(e, t);
          return;
        }
        await load().catch((e) => err.show(e, t));
      };
      return [
        item ? itemName(item) : a.item_code,
        h('span', null, `${a.resident_name} `, h('span', { class: 'nowrap', 'data-testid': 'svc-agreement-unit', text: a.unit }),
          h('br'), h('span', { class: 'small muted', text: a.phone })),
        item ? `${yuan(a.fee_cents)}/${unitLabel(item)}` : yuan(a.fee_cents),
        h('span', { class: active ? '' : 'muted', text: active ? fmtTime(a.valid_until) : `${fmtTime(a.valid_until)} ${t('svc.agreement_expired')}` }),
        h('span', { class: 'rpt-controls' }, active && booker && item?.bookable
          ? h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'svc-agreement-book', onclick: book }, t('svc.agreement_book')) : null,
        rowErr.el),
      ];
    });
    const out = [h('h2', { class: 'section-title', text: t('svc.agreements') }),
      h('div', { 'data-testid': 'svc-agreements' }, table(h, [t('svc.item'), t('svc.resident'), t('svc.agreement_fee_col'), t('svc.valid_until'), ''], rows, t('rpt.none')))];
    if (booker) out.push(agreementForm(items));
    return out;
  }

  /** Signing is rare beside the day's bookings: the form opens on request, under the agreements. */
  function agreementForm(items) {
    const slot = h('div', { class: 'rpt-agreement-new' });
    const open = () => {
      const picker = unitPicker(h, t, units, { required: true });
      const bookable = items.filter((i) => i.bookable);
      // Approved and announced only, at the fee residents were told (R-SS-1, D112).
      const item = bookingSelect(h, t, items, { empty: t('svc.choose_item') });
      const fee = h('input', { name: 'fee', type: 'number', min: '0.01', step: '0.01', required: true });
      // The announced fee is where the agreed one starts and its ceiling: the desk may agree less for a
      // long term, never more (R-SS-1, D123; the server refuses a higher one). The hint names it.
      const feeField = field(h, t('svc.agreement_fee'), fee, t('svc.agreement_fee_rule'));
      const feeHint = feeField.querySelector('.field-hint');
      feeHint.dataset.testid = 'svc-agreement-fee-max';
      item.addEventListener('change', () => {
        const i = bookable.find((x) => x.code === item.value);
        if (!i) return;
        fee.max = (i.quoted_fee_cents / 100).toFixed(2);
        feeHint.textContent = t('svc.agreement_fee_max', { fee: `${yuan(i.quoted_fee_cents)}/${unitLabel(i)}` });
        if (!fee.value || Number(fee.value) > Number(fee.max)) fee.value = fee.max;
      });
      const f = checkedForm(h, t, { class: 'card rpt-form', 'data-testid': 'svc-agreement-form' }, [
        field(h, t('svc.item'), item),
        field(h, t('svc.resident'), h('input', { name: 'resident_name', required: true })),
        field(h, t('intake.building'), picker.building),
        field(h, t('svc.unit'), picker.unit),
        field(h, t('svc.phone'), h('input', { name: 'phone', type: 'tel', required: true })),
        feeField,
        field(h, t('svc.valid_until'), h('input', { name: 'valid_until', type: 'date', required: true })),
      ], t('svc.agreement_sign'), (form) => {
        const d = new FormData(form);
        return ctx.api.post('/api/services/agreements', {
          item_code: d.get('item_code'), resident_name: d.get('resident_name'), unit_id: d.get('unit_id'), phone: d.get('phone'),
          // The whole of the last day, in the compound's zone.
          fee_cents: Math.round(Number(d.get('fee')) * 100), valid_until: zonedToIso(`${d.get('valid_until')}T23:59:59`),
        });
      }, load);
      slot.replaceChildren(h('h3', { text: t('svc.agreement_new') }), f);
      item.focus();
    };
    slot.append(h('button', { type: 'button', class: 'btn', 'data-testid': 'svc-agreement-new', onclick: open }, t('svc.agreement_new')));
    return slot;
  }

  // R-SS-4: a service losing money goes to the manager, who attracts more users, asks the GM for a
  // higher fee, or stops it. The month's settled revenue is the server's; the manager enters the cost.
  function lossSection(items) {
    const approved = items.filter((i) => i.status === 'approved');
    const item = select(h, 'loss_item', approved.map((i) => [i.code, itemName(i)]), { required: true, empty: t('svc.choose_item') });
    const month = h('input', { type: 'month', name: 'loss_month', value: thisMonth(), required: true });
    const cost = h('input', { type: 'number', name: 'loss_cost', min: '0', step: '0.01', required: true });
    const result = h('div', { 'data-testid': 'svc-loss-result' });
    const lossErr = errorBox(h);
    const asked = () => ({ ...monthRange(month.value), cost_cents: Math.round(Number(cost.value) * 100) });
    const decide = (r, q) => {
      const kind = select(h, 'loss_decision', ['promote', 'raise_price', 'stop'].map((k) => [k, t(`svc.loss.${k}`)]), { value: 'promote' });
      const fee = h('input', { type: 'number', name: 'loss_new_fee', min: '0.01', step: '0.01' });
      const feeField = field(h, t('svc.loss.new_fee'), fee);
      feeField.hidden = true;
      kind.addEventListener('change', () => { feeField.hidden = kind.value !== 'raise_price'; });
      const note = h('input', { name: 'loss_note' });
      // A refused decision (a raise with no new fee) is told under its own button, not at the page top.
      const row = rowAction(h, t, err, load);
      const go = () => row.run(() => ctx.api.post(`/api/services/items/${encodeURIComponent(r.item_code)}/loss-decision`, {
        ...q, decision: kind.value, note: note.value,
        new_fee_cents: kind.value === 'raise_price' && fee.value ? Math.round(Number(fee.value) * 100) : null,
      }));
      return h('div', { class: 'rpt-form' }, field(h, t('svc.loss.decision'), kind), feeField, field(h, t('svc.comment'), note),
        h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'svc-loss-decide', onclick: go }, t('svc.loss.decide')), row.el);
    };
    const review = async () => {
      lossErr.clear();
      result.replaceChildren();
      const missing = [[item, t('svc.item')], [month, t('rpt.month')], [cost, t('svc.loss.cost')]].filter(([el]) => !el.value).map(([, n]) => n);
      if (missing.length) return lossErr.show(t('desk.missing', { list: joinList(missing) }), t);
      const q = asked();
      let r;
      try {
        r = await ctx.api.get(`/api/services/items/${encodeURIComponent(item.value)}/loss-review?${new URLSearchParams({ ...q, cost_cents: String(q.cost_cents) })}`);
      } catch (e) {
        return lossErr.show(e, t);
      }
      result.replaceChildren(
        h('p', { 'data-testid': 'svc-loss-figures', text: t('svc.loss.figures', { n: r.settled_count, revenue: yuan(r.revenue_cents), cost: yuan(r.cost_cents),
          margin: r.margin_cents < 0 ? `-${yuan(-r.margin_cents)}` : yuan(r.margin_cents) }) }),
        r.loss_making ? h('p', { class: 'rpt-overdue', text: t('svc.loss.losing') }) : h('p', { class: 'muted', text: t('svc.loss.not_losing') }),
        r.loss_making ? decide(r, q) : null);
      return undefined;
    };
    return [h('h2', { class: 'section-title', text: t('svc.loss.title') }),
      h('div', { class: 'card', 'data-testid': 'svc-loss' },
        h('p', { class: 'small muted', text: t('svc.loss.rule') }),
        h('div', { class: 'rpt-form' }, field(h, t('svc.item'), item), field(h, t('rpt.month'), month), field(h, t('svc.loss.cost'), cost),
          h('button', { type: 'button', class: 'btn', 'data-testid': 'svc-loss-review', onclick: review }, t('svc.loss.review'))),
        lossErr.el, result)];
  }

  // R-SS-1: a fee is changed as it was set — the manager proposes, the general manager approves —
  // and until then the approved fee stays the one quoted. Without this the only way to ask for a new
  // fee was a loss review (R-SS-4), so a cost rise with no loss had no path.
  function priceControls(i, row) {
    if (i.pending_fee_cents) {
      return h('span', { class: 'small muted', 'data-testid': 'svc-pending-fee', text: t('svc.pending_fee', { fee: yuan(i.pending_fee_cents) }) });
    }
    const fee = h('input', { type: 'number', name: 'new_fee', min: '0.01', step: '0.01', class: 'rpt-inline rpt-fee', placeholder: t('svc.new_fee'), 'aria-label': t('svc.new_fee') });
    const go = () => {
      row.run(async () => {
        if (!(Number(fee.value) > 0)) throw new Error(t('svc.need_new_fee'));
        await ctx.api.post(`/api/services/items/${encodeURIComponent(i.code)}/price`, { fee_cents: Math.round(Number(fee.value) * 100) });
      });
    };
    return h('span', { class: 'rpt-controls' }, fee,
      h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'svc-propose-price', onclick: go }, t('svc.propose_price')));
  }

  // R-SS-1: an approved item (or fee) is offered once residents were told; the status says whether
  // they were, and the management announces it here once the notice is up.
  function statusCell(i) {
    const status = t(`svc.item_status.${i.status}`);
    // The GM's reason, until the manager answers it (D112).
    const back = i.sent_back ? h('div', { class: 'small warn-text', 'data-testid': 'svc-sent-back', text: sentBackText(i, t) }) : null;
    if (i.status !== 'approved') return h('span', null, status, back);
    return h('span', null, status, h('div', { class: i.announced_at ? 'small muted' : 'small warn-text', 'data-testid': 'svc-announced',
      text: i.announced_at ? t('svc.announced_at', { at: fmtTime(i.announced_at) }) : t('svc.not_announced') }), back);
  }

  function announceButton(i, row) {
    if (i.status !== 'approved' || i.announced_at || i.pending_fee_cents) return '';
    return h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'svc-announce',
      // Confirmed naming the item and the fee: the desk books it at once (D112, D123).
      onclick: () => row.run(() => announceItem(ctx, i)) }, t('svc.announce'));
  }

  /** The manager's controls on an approved item: announce it, propose a new fee; one error box. */
  function managerControls(i) {
    const row = rowAction(h, t, err, load);
    if (i.status === 'returned') {
      // Sent back by the GM: revised and proposed again in a dialog (D112).
      return h('span', { class: 'rpt-controls' }, h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'svc-revise',
        onclick: () => row.run(async () => {
          if (await reviseItem(ctx, i)) ctx.toast?.(t('cat.revised'), 'ok');
        }) }, t('cat.revise')), row.el);
    }
    return h('span', { class: 'rpt-controls' }, announceButton(i, row), priceControls(i, row), row.el);
  }

  /** The GM's word on a proposal: approve after a confirmation naming item and fee, or send back (D112). */
  function gmControls(i) {
    const row = rowAction(h, t, err, load);
    return h('span', { class: 'rpt-controls' },
      h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'svc-approve', onclick: () => row.run(() => approveItem(ctx, i)) }, t('svc.approve')),
      h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'svc-send-back', onclick: () => row.run(() => sendBackItem(ctx, i)) }, t('cat.send_back')),
      row.el);
  }

  function announceControls(i) {
    const row = rowAction(h, t, err, load);
    const btn = announceButton(i, row);
    return btn ? h('span', { class: 'rpt-controls' }, btn, row.el) : '';
  }

  async function load() {
    const [items, bookings, callbacks, agreements] = await Promise.all([
      ctx.api.get('/api/services/items'),
      ctx.api.get('/api/services/bookings'),
      has(ctx, 'dispatcher', 'front_desk', 'control_room', 'manager') ? ctx.api.get('/api/callbacks?status=due') : [],
      agreementReader ? ctx.api.get('/api/services/agreements') : null,
    ]);
    const sections = [];
    // Catalogue with its price history (R-SS-1).
    sections.push(h('h2', { class: 'section-title', text: t('svc.catalogue') }),
      table(h, [t('svc.item'), t('svc.fee'), t('svc.promise'), t('svc.status'), t('svc.history'), ''],
        items.map((i) => [
          // An approved fee awaiting its notice says what bookings quote until then (D112).
          itemName(i), `${i.status === 'approved' ? announceText(i, t) : `${yuan(i.fee_cents)}/${unitLabel(i)}`}${i.pending_fee_cents ? ` → ${yuan(i.pending_fee_cents)}?` : ''}`,
          `${i.promise_minutes} ${t('svc.min')}`, statusCell(i),
          // One approved fee a line, newest last: '¥20.00 · 12/07 16:50'.
          h('span', { 'data-testid': 'svc-price-history' }, i.price_history.map((p) => h('div', { class: 'nowrap', text: `${yuan(p.fee_cents)} · ${fmtTime(p.approved_at)}` }))),
          has(ctx, 'manager') && (i.status === 'approved' || i.status === 'returned') ? managerControls(i)
            : has(ctx, 'general_manager') && (i.status === 'proposed' || i.pending_fee_cents) ? gmControls(i)
              : has(ctx, 'general_manager', 'deputy_gm') ? announceControls(i) : '',
        ]), t('rpt.none')));
    if (has(ctx, 'manager')) {
      // The English name, the fee's unit and any advance are asked for (R-SS-2, D112).
      const f = checkedForm(h, t, { class: 'card rpt-form', 'data-testid': 'svc-propose-form' }, itemFields(h, t), t('svc.propose'), (form) => {
        const d = new FormData(form);
        return ctx.api.post('/api/services/items', itemBody((n) => d.get(n)));
      }, load);
      sections.push(h('h3', { text: t('svc.propose') }), f, ...lossSection(items));
    }
    // Booking (R-SS-2).
    if (has(ctx, 'dispatcher', 'front_desk', 'control_room', 'manager')) {
      const picker = unitPicker(h, t, units, { required: true });
      const bookable = items.filter((i) => i.bookable);
      // Approved and announced items at the fee residents were told; one awaiting its notice is
      // listed disabled as 待公告 (R-SS-1, D112).
      const itemSel = bookingSelect(h, t, items, { empty: t('svc.choose_item') });
      // A per-piece or per-hour fee is quoted for a number of units (R-SS-2, D100); a per-visit one for one.
      const qty = h('input', { name: 'quantity', type: 'number', min: '1', max: '99', step: '1', value: '1', required: true });
      const qtyField = field(h, t('svc.quantity'), qty);
      const qtyLabel = qtyField.querySelector('.field-label');
      const showQty = () => {
        const i = bookable.find((x) => x.code === itemSel.value);
        qtyField.hidden = !takesQuantity(i);
        qty.disabled = qtyField.hidden;
        if (qtyField.hidden) qty.value = '1';
        qtyLabel.textContent = i && takesQuantity(i) ? paren(t('svc.quantity'), unitLabel(i)) : t('svc.quantity');
      };
      itemSel.addEventListener('change', showQty);
      showQty();
      const notes = h('textarea', { name: 'content', rows: 1, maxlength: 2000, placeholder: t('svc.notes_hint'), class: 'svc-notes' });
      const f = checkedForm(h, t, { class: 'card rpt-form' }, [
        field(h, t('svc.item'), itemSel),
        qtyField,
        field(h, t('svc.resident'), h('input', { name: 'resident_name', required: true })),
        field(h, t('intake.building'), picker.building),
        field(h, t('svc.unit'), picker.unit),
        field(h, t('svc.phone'), h('input', { name: 'phone', type: 'tel', required: true })),
        field(h, t('svc.notes'), notes),
      ], t('svc.book'), (form) => {
        const d = new FormData(form);
        return ctx.api.post('/api/services/bookings', {
          item_code: d.get('item_code'), resident_name: d.get('resident_name'), unit_id: d.get('unit_id'), phone: d.get('phone'),
          quantity: Number(d.get('quantity') || 1), content: String(d.get('content') || '').trim(),
        });
      }, load);
      sections.push(h('h2', { class: 'section-title', text: t('svc.book') }), f);
    }
    const itemsByCode = new Map(items.map((i) => [i.code, i]));
    sections.push(h('h2', { class: 'section-title', text: t('svc.bookings') }), h('div', { 'data-testid': 'svc-bookings' },
      table(h, [t('svc.booking_no'), t('svc.item'), t('svc.resident'), t('svc.fee'), t('svc.status'), t('svc.promise'), ''], bookings.map((v) => {
        const b = v.booking;
        const item = itemsByCode.get(b.item_code);
        const controls = [];
        const row = rowAction(h, t, err, load);
        let usesRow = false;
        if (b.state === 'booked' && booker) {
          if (!b.consent_at) {
            // R-FU-7: the resident hears the fee and the arrival promise in the same breath (R-SS-2).
            usesRow = true;
            controls.push(consentButton(v, item, row));
          } else {
            controls.push(...dispatchControls(v));
          }
        }
        if (has(ctx, 'cashier') && (b.state === 'completed' || (b.state === 'booked' && b.advance_required_cents > b.advance_paid_cents))) {
          usesRow = true;
          const receipt = prompt(t('svc.receipt'));
          receipt.setAttribute('aria-label', t('svc.receipt'));
          receipt.name = 'receipt_no';
          const settle = b.state === 'completed';
          const amount = settle ? v.balance_due_cents : b.advance_required_cents;
          controls.push(receipt, h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': settle ? 'svc-settle' : 'svc-advance', onclick: () => row.run(() => ctx.api.post(`/api/services/bookings/${b.id}/${settle ? 'settle' : 'advance'}`, { amount_cents: amount, receipt_no: receipt.value })) }, t(settle ? 'svc.settle' : 'svc.advance', { amount: yuan(amount) })));
        }
        // The consent and cashier buttons report into the row's box (dispatch brings its own).
        if (usesRow) controls.push(row.el);
        const status = `${paren(t(`svc.state.${b.state}`), v.missing_to_dispatch.length
          ? t('desk.missing', { list: joinList(v.missing_to_dispatch.map((m) => label('missing', m))) }) : '')}${b.receipt_no ? ` #${b.receipt_no}` : ''}`;
        // The desk closes the booking's case (销项): one click from here to it.
        const caseLink = v.case_id && booker ? h('a', { href: `#/case/${encodeURIComponent(v.case_id)}`, class: 'small', 'data-testid': 'svc-case-link' }, t('svc.case')) : null;
        // Once money has passed the cashier, its statement is one click away (R-SS-3).
        const statementLink = hasStatement(b) ? h('a', { href: `#/services/${encodeURIComponent(b.id)}/statement`, class: 'small', 'data-testid': 'svc-statement-link' }, t('svc.statement')) : null;
        return [
          h('span', { class: 'nowrap', 'data-testid': 'svc-booking-no', text: bookingNo(t, b) }),
          // A label breaks between words only (疏通下/水道 split in a narrow column); notes wrap freely.
          h('span', null, h('span', { class: 'svc-label', text: isEn() ? v.item_name_en : v.item_name_zh }),
            v.content ? [h('br'), h('span', { class: 'small muted svc-booking-notes', 'data-testid': 'svc-booking-notes', text: v.content })] : null),
          // The unit is never split (陈先生 1 / 栋-102 at 1366 px); the name is a label too (D123).
          h('span', null, h('span', { class: 'svc-label', text: b.resident_name }), ' ',
            h('span', { class: 'nowrap', 'data-testid': 'svc-booking-unit', text: b.unit }), h('br'), h('span', { class: 'small muted', text: b.phone })),
          // The signed slip's fee once done; before that the total told, with its make-up (D100).
          b.slip_fee_cents !== null && b.slip_fee_cents !== undefined ? yuan(b.slip_fee_cents)
            : h('span', { 'data-testid': 'svc-told-fee', text: toldFeeText(t, v, item ? unitLabel(item) : '') }),
          h('span', null, status, caseLink ? [h('br'), caseLink] : null, statementLink ? [h('br'), statementLink] : null),
          promiseText(v),
          h('span', { class: 'rpt-controls' }, controls),
        ];
      }), t('rpt.none'))));
    if (agreements) sections.push(...agreementSection(agreements, items, itemsByCode));
    // Call-backs due (R-FU-6, R-RV-2): each row says whom to ring and about what.
    if (callbacks.length) {
      sections.push(h('h2', { class: 'section-title', id: 'callbacks', text: t('svc.callbacks') }),
        h('div', { 'data-testid': 'callbacks' }, table(h, [t('rpt.case_no'), t('cb.resident'), t('cb.about'), t('cb.due'), ''],
          callbacks.map(callBackRow), '')));
    }
    mount(body, ...sections);
  }
  try {
    await load();
  } catch (e) {
    err.show(errorText(e, t), t);
  }
}

/** The number a booking is quoted by (TY20261123-001, D39). Every booking has one since migration
 *  0011; should one still lack it, its booking time says which it is, labelled as such. */
function bookingNo(t, b) {
  return b.booking_no || t('svc.booked_on', { at: fmtFull(b.booked_at) });
}

/** A booking's money has been through the cashier: an advance taken or the settlement made (R-SS-3). */
function hasStatement(b) {
  return Boolean(b.settled_at || b.advance_paid_at || b.advance_paid_cents > 0);
}

/**
 * The settlement statement 结算单 of one booking (R-SS-3), printable on A5 or A4 like the service slip
 * (desk/slip.js: the shell's @media print rules, the tools bar hidden). Every amount is one the
 * server recorded (the quoted fee, the signed slip's fee, the advance, the settlement): the page
 * formats them and computes none.
 */
export async function renderStatement(root, ctx, bookingId) {
  setup(ctx);
  const { h, t } = ctx;
  const err = errorBox(h);
  mount(root, err.el);
  let v;
  let items;
  let me;
  const back = h('a', { href: '#/services', class: 'small', text: t('stmt.back') });
  try {
    // The booking by its id, however old (the bookings list holds only the newest 500).
    [v, items, me] = await Promise.all([
      ctx.api.get(`/api/services/bookings/${encodeURIComponent(bookingId)}`).catch((e) => {
        if (e?.status === 404) return null;
        throw e;
      }),
      ctx.api.get('/api/services/items'), ctx.api.get('/api/me').catch(() => ctx.user),
    ]);
  } catch (e) {
    err.show(e, t);
    return;
  }
  if (!v) {
    mount(root, h('div', { class: 'desk-slip-tools no-print' }, back), h('p', { class: 'empty', text: t('stmt.not_found') }));
    return;
  }
  const b = v.booking;
  const item = items.find((i) => i.code === b.item_code);
  const unit = item ? unitLabel(item) : '';
  // A fresh node per use: one node placed in two rows would move to the last of them.
  const none = () => h('span', { class: 'muted', text: t('stmt.none') });
  const row = (k, value, testid) => h('tr', null, h('th', { text: k }), h('td', testid ? { 'data-testid': testid } : null, value ?? ''));
  const who = (name, at) => (name || at ? t('stmt.taken_by', { name: name || '—', at: fmtFull(at) }) : '');

  let balance;
  if (b.settled_cents === null || b.settled_cents === undefined) balance = h('span', { class: 'muted', text: t('stmt.not_settled') });
  else if (b.settled_cents > 0) balance = t('stmt.collected', { amount: yuan(b.settled_cents) });
  else if (b.settled_cents < 0) balance = t('stmt.refunded', { amount: yuan(-b.settled_cents) });
  else balance = t('stmt.nothing_due', { amount: yuan(0) });

  const advanceLabel = b.advance === 'deposit' ? t('stmt.deposit') : t('stmt.advance');
  mount(root,
    h('div', { class: 'desk-slip-tools no-print' }, back,
      h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => window.print() }, t('stmt.print'))),
    h('article', { class: 'slip desk-slip-print svc-statement', 'data-testid': 'settlement-statement' },
      h('div', { class: 'slip-head' },
        h('div', null,
          h('h1', { 'data-testid': 'stmt-title', text: `${me?.compound_name || t('app.full_name')} · ${t('stmt.title')}` }))),
      h('table', { class: 'slip-table' }, h('tbody', null,
        // The booking's own number, given when it was booked, names it from the first receipt on
        // (D39); the case number joins it once the dispatch opened a case. The internal id (bkg_…)
        // means nothing on paper.
        row(t('stmt.booking_no'), bookingNo(t, b), 'stmt-booking-no'),
        row(t('stmt.case_no'), b.case_no || none(), 'stmt-case-no'),
        row(t('stmt.item'), isEn() ? v.item_name_en : v.item_name_zh, 'stmt-item'),
        row(t('stmt.resident'), `${b.resident_name} ${b.unit} ${b.phone}`),
        row(t('stmt.unit_fee'), `${yuan(b.unit_fee_cents)}/${unit}`, 'stmt-unit-fee'),
        // What the resident was told and accepted before dispatch (R-SS-2, D100), beside what was done.
        b.told_fee_cents !== null && b.told_fee_cents !== undefined
          ? row(t('stmt.told'), t('stmt.fee_line', { fee: yuan(b.unit_fee_cents), unit, qty: b.quoted_quantity || 1, total: yuan(b.told_fee_cents) }), 'stmt-told') : null,
        row(t('stmt.quantity'), b.quantity ? t('stmt.qty', { qty: b.quantity, unit }) : h('span', { class: 'muted', text: t('stmt.not_done') }), 'stmt-quantity'),
        row(t('stmt.slip_fee'), b.slip_fee_cents === null || b.slip_fee_cents === undefined ? h('span', { class: 'muted', text: t('stmt.not_done') })
          : t('stmt.fee_line', { fee: yuan(b.unit_fee_cents), unit, qty: b.quantity, total: yuan(b.slip_fee_cents) }), 'stmt-slip-fee'),
        // Completed by hand at the desk: what the resident signed is printed beside what is due.
        b.signed_fee_cents !== null && b.signed_fee_cents !== undefined && b.signed_fee_cents !== b.slip_fee_cents
          ? row(t('stmt.signed_fee'), h('span', { class: 'stmt-differs', text: t('stmt.signed_differs', { amount: yuan(b.signed_fee_cents) }) }), 'stmt-signed-fee') : null,
        row(t('stmt.signed'), b.signer_name ? t('stmt.signed_by', { name: b.signer_name, at: fmtFull(b.completed_at) }) : ''),
        row(t('stmt.slip_hash'), b.slip_hash ? h('code', { class: 'desk-hash', text: b.slip_hash }) : none(), 'stmt-slip-hash'),
        row(advanceLabel, b.advance_paid_cents > 0
          ? [t('stmt.advance_line', { amount: yuan(b.advance_paid_cents), receipt: b.advance_receipt_no || '—' }), h('br'),
            h('span', { class: 'small', text: who(b.advance_paid_by_name, b.advance_paid_at) })]
          : none(), 'stmt-advance'),
        row(t('stmt.balance'), balance, 'stmt-balance'),
        row(t('stmt.receipt'), b.receipt_no || '', 'stmt-receipt'),
        row(t('stmt.cashier'), b.settled_by_name || '', 'stmt-cashier'),
        row(t('stmt.settled_at'), fmtFull(b.settled_at)))),
      h('p', { class: 'small muted', text: t('stmt.rule') }),
      h('div', { class: 'svc-statement-signs' },
        h('p', null, colon(t('stmt.cashier_sign'), ''), h('span', { class: 'svc-sign-line' })),
        h('p', null, colon(t('stmt.resident_sign'), ''), h('span', { class: 'svc-sign-line' }))),
      h('p', { class: 'small muted', text: t('stmt.printed_at', { at: fmtFull(new Date().toISOString()) }) })));
  return undefined;
}

/** The unit a fee is charged per (次 / 件 / 小时), in the reader's language. */
function unitLabel(i) {
  return isEn() ? i.unit_label_en : i.unit_label;
}

/** A service item as the person reads it: its name in their language (the code stays internal). */
function itemName(i) {
  return isEn() ? i.name_en || i.name_zh : i.name_zh;
}
