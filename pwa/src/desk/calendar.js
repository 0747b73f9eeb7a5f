// Business calendar 工作日历 (deadlines R-FU-2/R-FU-3 count in it): working hours, lunch break,
// working weekdays, public holidays and make-up working days (调休). The manager keeps it; others read it.
import { missingRequired, mount } from '../dom.js';
import { errorBox } from './common.js';
import { joinList } from '../i18n.js';

const WEEKDAYS = ['一', '二', '三', '四', '五', '六', '日'];
const WEEKDAYS_EN = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

let stringsDone = false;
function registerStrings(ctx) {
  if (stringsDone) return;
  stringsDone = true;
  ctx.registerStrings({
    zh: {
      'cal.title': '工作日历', 'cal.tz': '时区', 'cal.work': '上班时间', 'cal.lunch': '午休',
      'cal.no_lunch': '不午休（午间有人值守）', 'cal.weekdays': '工作日', 'cal.holidays': '法定节假日',
      'cal.makeup': '调休上班日（周末上班）', 'cal.dates_hint': '每行一个日期，格式 2026-10-01',
      'cal.save': '保存', 'cal.saved': '工作日历已保存', 'cal.readonly': '仅管理处经理可修改工作日历',
      'cal.bad_date': '日期格式不正确：{d}', 'cal.explain': '跟进时限（当日下班前、每周一回顾）按此日历计算。',
      'cal.work_start': '上班时间', 'cal.work_end': '下班时间', 'cal.lunch_start': '午休开始', 'cal.lunch_end': '午休结束',
    },
    en: {
      'cal.title': 'Business calendar', 'cal.tz': 'Time zone', 'cal.work': 'Working hours', 'cal.lunch': 'Lunch break',
      'cal.no_lunch': 'No lunch break (desk staffed at noon)', 'cal.weekdays': 'Working days', 'cal.holidays': 'Public holidays',
      'cal.makeup': 'Make-up working days (weekends worked)', 'cal.dates_hint': 'One date per line, e.g. 2026-10-01',
      'cal.save': 'Save', 'cal.saved': 'Calendar saved', 'cal.readonly': 'Only the manager may change the calendar',
      'cal.bad_date': 'Not a date: {d}', 'cal.explain': 'Follow-up limits (end of day, Monday review) count in this calendar.',
      'cal.work_start': 'Work starts', 'cal.work_end': 'Work ends', 'cal.lunch_start': 'Lunch starts', 'cal.lunch_end': 'Lunch ends',
    },
  });
}

const hhmm = (v) => (v || '').slice(0, 5);
const withSeconds = (v) => (v ? `${v}:00` : null);

function parseDates(text, t) {
  const out = [];
  for (const line of text.split(/[\s,，]+/)) {
    const d = line.trim();
    if (!d) continue;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(Date.parse(d))) throw new Error(t('cal.bad_date', { d }));
    out.push(d);
  }
  return [...new Set(out)].sort();
}

export async function renderCalendar(body, ctx) {
  const { h, t, api } = ctx;
  registerStrings(ctx);
  const isManager = (ctx.user?.roles || []).includes('manager');
  const cal = await api.get('/api/calendar');
  const err = errorBox(h);
  const dis = isManager ? null : true;
  const tz = h('input', { name: 'tz', value: cal.tz, disabled: dis });
  // Two times share one field label ("上班时间 08:30 – 17:30"): each says which end it is, for a
  // screen reader and for anyone told "set the lunch end".
  const time = (name, value, required) => h('input', {
    type: 'time', name, value: hhmm(value), required, disabled: dis, 'aria-label': t(`cal.${name}`),
  });
  const ws = time('work_start', cal.work_start, true);
  const we = time('work_end', cal.work_end, true);
  const ls = time('lunch_start', cal.lunch_start, false);
  const le = time('lunch_end', cal.lunch_end, false);
  const noLunch = h('input', { type: 'checkbox', name: 'no_lunch', checked: !cal.lunch_start, disabled: dis });
  // A lunch break needs both ends; with "no lunch" ticked its times are not asked for (nor sent).
  const lunchRequired = () => {
    ls.required = !noLunch.checked;
    le.required = !noLunch.checked;
  };
  noLunch.addEventListener('change', lunchRequired);
  lunchRequired();
  const days = new Set(cal.working_weekdays);
  const dayBoxes = WEEKDAYS.map((label, i) => h('label', { class: 'chip' },
    h('input', { type: 'checkbox', value: String(i), checked: days.has(i), disabled: dis }),
    ` ${document.documentElement.lang === 'en' ? WEEKDAYS_EN[i] : `周${label}`}`));
  const holidays = h('textarea', { name: 'holidays', rows: 8, disabled: dis, placeholder: t('cal.dates_hint') });
  holidays.value = [...cal.holidays].sort().join('\n');
  const makeup = h('textarea', { name: 'makeup_workdays', rows: 4, disabled: dis, placeholder: t('cal.dates_hint') });
  makeup.value = [...cal.makeup_workdays].sort().join('\n');

  async function save(e) {
    e.preventDefault();
    err.clear();
    // The app names what is missing in its own language (the browser's tooltip would not).
    const missing = [...new Set(missingRequired(e.target))];
    if (missing.length) return err.show(t('desk.missing', { list: joinList(missing) }), t);
    try {
      const payload = {
        tz: tz.value.trim() || 'Asia/Shanghai',
        work_start: withSeconds(ws.value),
        work_end: withSeconds(we.value),
        lunch_start: noLunch.checked ? null : withSeconds(ls.value),
        lunch_end: noLunch.checked ? null : withSeconds(le.value),
        working_weekdays: dayBoxes.map((l) => l.querySelector('input')).filter((c) => c.checked).map((c) => Number(c.value)),
        holidays: parseDates(holidays.value, t),
        makeup_workdays: parseDates(makeup.value, t),
      };
      await api.put('/api/calendar', payload);
      ctx.toast(t('cal.saved'), 'ok');
    } catch (ex) {
      err.show(ex.message && !ex.code ? ex.message : ex, t);
    }
  }

  mount(body, h('form', { class: 'card desk-form cal-form', 'data-testid': 'calendar-form', novalidate: true, onsubmit: save },
    h('h2', { text: t('cal.title') }),
    h('p', { class: 'muted', text: t('cal.explain') }),
    isManager ? null : h('p', { class: 'notice-info', text: t('cal.readonly') }),
    err.el,
    h('label', { class: 'field' }, h('span', { text: t('cal.tz') }), tz),
    h('div', { class: 'field' }, h('span', { class: 'field-label', text: t('cal.work') }), h('div', { class: 'cal-row' }, ws, ' – ', we)),
    h('div', { class: 'field' }, h('span', { class: 'field-label', text: t('cal.lunch') }), h('div', { class: 'cal-row' }, ls, ' – ', le),
      h('label', null, noLunch, ` ${t('cal.no_lunch')}`)),
    h('div', { class: 'field' }, h('span', { text: t('cal.weekdays') }), h('div', { class: 'cal-row' }, dayBoxes)),
    h('label', { class: 'field' }, h('span', { text: t('cal.holidays') }), holidays),
    h('label', { class: 'field' }, h('span', { text: t('cal.makeup') }), makeup),
    isManager ? h('button', { type: 'submit', class: 'btn btn-primary' }, t('cal.save')) : null));
  return null;
}
