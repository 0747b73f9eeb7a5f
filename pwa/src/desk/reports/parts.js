// The pieces both report pages draw with: the monthly report (index.js) and the yearly complaint report
// (yearly.js) — tables that stack on a phone, rate cards with their definitions, Chart.js charts drawn once
// for the screen and once for paper, the desk-language XLSX download, and the act-then-reload runner.
import Chart from 'chart.js/auto';
import { isEn } from '../common.js';

export const has = (ctx, ...roles) => (ctx.user?.roles || []).some((r) => roles.includes(r));
// A rate's name or definition in the desk's language (the API sends both: label_zh / label_en …).
export const inLang = (r, field) => (isEn() ? r[`${field}_en`] : r[`${field}_zh`]);
export const pct = (v) => (v === null || v === undefined ? '—' : `${v.toFixed(2)}%`);

// Each cell carries its column's header (data-label): on a phone the rows stack into cards that
// show it beside the value (desk.css, desk/tables.js).
// `keep`: per column, how a cell may wrap on a narrow (printed) column: 'code' never (a case
// number), 'words' only between words (names, times, categories: 周业/主 split a name), else freely.
const KEEP = { code: 'rpt-nowrap', words: 'rpt-words' };
export function table(h, head, rows, empty, keep = []) {
  if (!rows.length) return h('p', { class: 'muted', text: empty });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'rpt-table' },
    h('thead', null, h('tr', null, head.map((x) => h('th', { text: x })))),
    h('tbody', null, rows.map((r) => h('tr', null, r.map((c, i) => h('td', { 'data-label': head[i] ?? '', class: KEEP[keep[i]] || null }, c)))))));
}

export function rateCard(h, t, r) {
  const target = r.target_percent === null || r.target_percent === undefined ? null
    : `${t('rpt.target')} ${r.target_is_ceiling ? '≤' : '≥'} ${r.target_percent}%`;
  const met = r.met === true ? t('rpt.met') : r.met === false ? t('rpt.missed') : null;
  return h('div', { class: ['card', 'rpt-rate', r.met === false ? 'rpt-missed' : ''], dataset: { rate: r.key } },
    h('div', { class: 'rpt-rate-head' },
      h('strong', { text: inLang(r, 'label') }),
      h('span', { class: 'rpt-rate-value', 'data-testid': 'rate-value', text: pct(r.value) })),
    h('div', { class: 'muted small' }, `${r.numerator} / ${r.denominator}`, target ? ` · ${target}` : '', met ? ` · ${met}` : ''),
    // The definition in the desk's language; the printed report, which goes to people who read
    // either, adds the other one (on screen it only doubled every card's height).
    h('p', { class: 'rpt-definition small', 'data-testid': 'rate-definition', text: inLang(r, 'definition') }),
    h('p', { class: 'rpt-definition small muted print-only', lang: isEn() ? 'zh-CN' : 'en', text: isEn() ? r.definition_zh : r.definition_en }));
}

// On paper a chart is a drawing of its own. The screen's canvas is drawn for the screen's width and
// was shrunk into an A4 column: it filled the top half of its box, in about 5 pt type. Each chart is
// drawn once more, not responsive, at the size it prints (CSS px of a column of A4's 186 mm text
// width, twice the pixels for the printer), and only that copy prints; reports.css scales it to the
// column, keeping its shape, so the printed box is as tall as the drawing and no taller.
export const PAPER = { width: 320, height: 150, dpr: 2 };

// A chart that prints alone across the page's width (the yearly report's months) passes a wider `paperWidth`.
export function chartCanvas(h, title, testid, { boxClass = '', paperHeight = PAPER.height, paperWidth = PAPER.width } = {}) {
  const canvas = h('canvas', { 'data-testid': testid, role: 'img', 'aria-label': title });
  const paper = h('canvas', { 'data-testid': `${testid}-print`, width: paperWidth, height: paperHeight, role: 'img', 'aria-label': title });
  return {
    canvas,
    paper,
    el: h('div', { class: ['card', 'rpt-chart', boxClass ? `${boxClass}-card` : ''] }, h('h3', { text: title }),
      h('div', { class: ['rpt-chart-box', 'no-print', boxClass] }, canvas),
      h('div', { class: 'rpt-chart-paper print-only' }, paper)),
  };
}

// Chart.js gives a category axis at most a share of the canvas and clips longer labels at the edge:
// on a phone "Security and disaster prevention" lost its first letters, and so did
// "管理人员文明程度与应变能力". Labels with spaces (English) break between words into lines of about
// `width` characters (an array is Chart.js's multi-line label); labels without spaces (Chinese,
// whose characters are about twice as wide) break into lines of `width / 2` characters.
export function wrapLabel(text, width = 16) {
  // Only Chinese breaks between characters: one English word ("Equipment") was cut into "Equipmen" / "t".
  if (/[\u3400-\u9fff]/.test(text) && !text.includes(' ')) {
    const per = Math.max(1, Math.floor(width / 2));
    if (text.length <= per) return text;
    const lines = [];
    for (let i = 0; i < text.length; i += per) lines.push(text.slice(i, i + per));
    return lines;
  }
  if (text.length <= width) return text;
  const lines = [];
  let cur = '';
  for (const word of text.split(' ')) {
    if (cur && cur.length + 1 + word.length > width) {
      lines.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) lines.push(cur);
  return lines;
}

// Each category of a horizontal bar chart needs room for all of its label's lines: 14 survey areas in a
// fixed 400 px box drew the wrapped English names ("Service and / complaint / handling") over each
// other. The box grows with the lines it must show (about 14 px a line, 10 px between areas).
export function barBoxHeight(labels, min = 400) {
  const lines = labels.reduce((n, l) => n + (Array.isArray(l) ? l.length : 1), 0);
  return Math.max(min, lines * 14 + labels.length * 10 + 60);
}

// The same on paper, in 10 px type and tighter: the satisfaction chart sits beside the other two,
// and together they must fit under the rates on page 1 of a busy month.
export function paperBarHeight(labels, min = 300) {
  const lines = labels.reduce((n, l) => n + (Array.isArray(l) ? l.length : 1), 0);
  return Math.max(min, lines * 12 + labels.length * 6 + 40);
}

// A screen chart follows its box; a paper chart keeps the size it was given (see PAPER).
const sizing = (paper) => (paper
  ? { responsive: false, devicePixelRatio: PAPER.dpr, animation: false }
  : { responsive: true, maintainAspectRatio: false, animation: false });

export function drawBar(canvas, labels, data, label, { horizontal = false, paper = false, plugins = [] } = {}) {
  const font = paper ? { size: 10 } : horizontal ? { size: 11 } : undefined;
  return new Chart(canvas, {
    type: 'bar',
    plugins,
    data: { labels, datasets: [{ label, data, backgroundColor: '#0e7490' }] },
    options: {
      ...sizing(paper),
      indexAxis: horizontal ? 'y' : 'x',
      plugins: { legend: { display: false } },
      // Every survey area is named: Chart.js would otherwise skip every other label on a phone. On
      // paper every kind is named too, level (the labels come wrapped), not tilted into the plot.
      scales: horizontal ? { x: { min: 0, max: 100, ticks: { font } }, y: { ticks: { autoSkip: false, font } } }
        : { x: { ticks: paper ? { autoSkip: false, maxRotation: 0, font } : {} }, y: { beginAtZero: true, ticks: { precision: 0, font } } },
    },
  });
}

export function drawDoughnut(canvas, labels, data, paper = false) {
  return new Chart(canvas, {
    type: 'doughnut',
    data: { labels, datasets: [{ data }] },
    // On a paper column the legend goes beside the ring: above it, seven channels left a thumbnail.
    options: { ...sizing(paper), plugins: paper ? { legend: { position: 'right', labels: { boxWidth: 10, font: { size: 10 } } } } : {} },
  });
}

// The workbook is written in the language the desk shows (D71); the server's default is Chinese.
// `path` is the report's own (…/xlsx), `filename` what the browser saves it as.
export async function downloadXlsx(ctx, path, filename) {
  const res = await ctx.api.request('GET', `${path}?lang=${isEn() ? 'en' : 'zh'}`, { raw: true, timeoutMs: 60000 });
  const url = URL.createObjectURL(await res.blob());
  const a = ctx.h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Runs an action, then reloads the page's data; a failure is shown in the page's error box. */
export function actThenReload(err, t, load) {
  return async (fn) => {
    err.clear();
    try {
      await fn();
      await load();
    } catch (e) {
      err.show(e, t);
    }
  };
}

/**
 * The two reports of the desk's 报表 page, side by side: the monthly summary (R-RV-4) and the yearly
 * complaint report (R-RV-5). `active` is 'monthly' or 'yearly'.
 */
export function reportTabs(h, t, active) {
  const tab = (key, href, text) => h('a', {
    href, class: ['rpt-tab', active === key ? 'active' : ''], 'aria-current': active === key ? 'page' : null,
    'data-testid': `report-tab-${key}`,
  }, text);
  return h('nav', { class: 'rpt-tabs no-print', 'aria-label': t('rpt.tabs') },
    tab('monthly', '#/reports', t('rpt.tab_monthly')), tab('yearly', '#/reports/yearly', t('yr.tab')));
}
