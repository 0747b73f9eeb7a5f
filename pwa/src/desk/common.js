// Shared desk plumbing: server-time offset, live countdowns, enum labels, error display, the
// staff and unit directories, authorised blob images and small form builders.
import { formatDuration } from '../clock.js';
import { getLang } from '../i18n.js';
import { DESK, LEADERSHIP } from '../roles.js';
import { formatDay, formatInstant } from '../zone.js';
import { ENUMS } from './strings.js';

// Who may open each desk page: the desk-home users among the roles of the server route the page
// loads or exists to post to. PAGE_ANCHORS names that route; pwa/test/page-roles.test.mjs holds
// PAGE_ROLES to it through docs/api-contract.md (which a pytest holds to the app's route table), so
// a role change on the server that the nav does not follow fails a test instead of showing a page
// that answers 403. Pages not listed are open to every desk user.
export const PAGE_ANCHORS = {
  home: 'GET /api/cases',
  intake: 'POST /api/cases',
  review: 'GET /api/review/monday',
  handover: 'GET /api/handovers',
  slips: 'GET /api/slips',
  approvals: 'POST /api/services/items/{code:str}/announce', // the widest approval route: manager, GM, deputy GM
  calendar: 'GET /api/calendar',
  reports: 'GET /api/reports/monthly/{year:int}/{month:int}',
  services: 'GET /api/services/bookings',
  keys: 'GET /api/keys',
  staff: 'GET /api/staff/accounts',
  surveys: 'GET /api/surveys',
};
export const PAGE_ROLES = {
  home: [...DESK, ...LEADERSHIP, 'team_lead', 'engineering'],
  intake: DESK,
  review: [...DESK, ...LEADERSHIP],
  handover: [...DESK, 'team_lead', ...LEADERSHIP],
  slips: DESK,
  approvals: ['manager', ...LEADERSHIP],
  calendar: [...DESK, ...LEADERSHIP, 'engineering', 'team_lead'],
  reports: [...DESK, ...LEADERSHIP],
  services: [...DESK, ...LEADERSHIP, 'cashier'],
  keys: DESK,
  staff: ['manager'],
  surveys: [...DESK, ...LEADERSHIP],
};

/** canOpen(ctx, 'keys'): may this user's roles open the desk page (nav links, page buttons)? */
export function canOpen(ctx, page) {
  const allowed = PAGE_ROLES[page];
  return !allowed || (ctx.user?.roles || []).some((r) => allowed.includes(r));
}

let offsetMs = null;
let offsetPromise = null;

/**
 * Server clock offset from GET /api/health (guarantee 4: deadlines are the server's). The request's
 * round trip is split evenly; a failed probe keeps the shell's own estimate (ctx.serverNow).
 */
export function loadServerOffset(ctx) {
  if (offsetPromise) return offsetPromise;
  offsetPromise = (async () => {
    try {
      const t0 = Date.now();
      const health = await ctx.api.get('/api/health', { auth: false });
      const t1 = Date.now();
      const server = Date.parse(health?.server_time);
      if (Number.isFinite(server)) offsetMs = server - (t0 + t1) / 2;
    } catch {
      offsetPromise = null; // try again on the next render
    }
    return offsetMs;
  })();
  return offsetPromise;
}

export function serverNow(ctx) {
  if (offsetMs !== null) return Date.now() + offsetMs;
  return ctx?.serverNow ? ctx.serverNow() : Date.now();
}

/** Label of an enum value in the current language. */
export function label(group, value) {
  if (value === null || value === undefined || value === '') return '';
  const pair = ENUMS[group]?.[value];
  if (!pair) return String(value);
  return getLang() === 'en' ? pair[1] : pair[0];
}

export function options(group) {
  return Object.keys(ENUMS[group]).map((v) => [v, label(group, v)]);
}

const pad = (n) => String(n).padStart(2, '0');

/** '1 天 02:03:04' / '12:34' — second resolution for the live countdowns. */
export function formatCountdown(ms, t) {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const body = hh || d ? `${pad(hh)}:${pad(mm)}:${pad(ss)}` : `${pad(mm)}:${pad(ss)}`;
  return (d ? t('desk.days', { n: d }) : '') + body;
}

/**
 * How long something has waited ('2 天 3 小时', '5 小时 3 分钟', '40 分钟'): a referral waiting for its
 * supervisor is judged in days and hours, not seconds. The phone's span formatter (clock.js), so the
 * desk and the phone write a span one way (D84, D114); callers may still pass their t, it is the same
 * one. A negative span (clock skew) reads as 0.
 */
export function waitedText(ms) {
  return formatDuration(Math.max(0, ms));
}

/**
 * A floor as it is read aloud: '1' → '1层' / 'Floor 1', 'B1' → 'B1层' / 'Floor B1'. The key cabinet
 * files a floor as typed, so one already written as a floor ('3层', '1F', 'Floor 2', '地下一层') is
 * left as it is rather than doubled.
 */
export function floorText(floor, t) {
  const f = String(floor ?? '').trim();
  if (!f) return '';
  return /[层楼]|^B?\d+F$|floor/i.test(f) ? f : t('desk.floor_n', { f });
}

/** A <span> the ticker keeps current: data-due carries the ISO due time. */
export function countdownEl(h, dueIso, extraClass = '', { dueShown = false } = {}) {
  // On paper a ticking "超时 03:13" is meaningless: print shows the due time itself (unless the
  // caller already shows it beside) and whether it had passed when printed. startTicker keeps the
  // print text's late/not-late in step with the live one.
  return h('span', { class: 'desk-due' },
    h('span', { class: ['countdown', 'desk-countdown', extraClass], dataset: { due: dueIso } }),
    h('span', { class: 'desk-due-print', dataset: { printDue: dueIso, dueShown: dueShown ? '1' : '' } }));
}

/**
 * The printed form of a countdown: '截止 2026/12/07 12:02 · 已超时' / 'Due 2026/12/07 12:02 · Not yet due when
 * printed'. It is only ever on paper, so its time carries the year, as every printed time does.
 */
export function printedDue(t, dueIso, overdue, dueShown) {
  const status = t(overdue ? 'desk.print_late' : 'desk.print_open');
  return dueShown ? status : t('desk.print_due', { t: fmtFull(dueIso), status });
}

/** Updates every [data-due] under `root` once a second (and right away). Returns the stop function. */
export function startTicker(root, ctx) {
  const tick = () => {
    const now = serverNow(ctx);
    for (const el of root.querySelectorAll('[data-due]')) {
      const due = Date.parse(el.dataset.due);
      if (!Number.isFinite(due)) continue;
      const ms = due - now;
      const overdue = ms < 0;
      el.textContent = ctx.t(overdue ? 'desk.overdue' : 'desk.left', { d: formatCountdown(ms, ctx.t) });
      el.classList.toggle('overdue', overdue);
      const printed = el.nextElementSibling;
      if (printed?.dataset.printDue) {
        printed.textContent = printedDue(ctx.t, printed.dataset.printDue, overdue, !!printed.dataset.dueShown);
        printed.classList.toggle('warn-text', overdue);
      }
      const row = el.closest('[data-due-row]');
      if (row) row.classList.toggle('is-overdue', overdue);
    }
  };
  tick();
  const id = setInterval(tick, 1000);
  return () => clearInterval(id);
}

/**
 * A time on a screen: '12/07 16:50', with the year only when it is not this year ('2025/12/07
 * 16:50'); the same in both languages (zone.js formatInstant, D81).
 */
export function fmtTime(iso) {
  return formatInstant(iso, { nowMs: serverNow() });
}

/** A time on a printed document (a slip, a statement, a signed sheet): always with the year. */
export function fmtFull(iso) {
  return formatInstant(iso, { nowMs: serverNow(), year: true });
}

// What the year-less screen form leaves out: '2026/' when `full` is `shown` with the year before it.
function yearBefore(full, shown) {
  return full !== shown && full.endsWith(shown) ? { year: full.slice(0, full.length - shown.length) } : {};
}

/**
 * A time on a page that is also printed (the case page and its cards): '12/07 16:50' on screen, as every
 * desk time this year (D81, D137); on paper '2026/12/07 16:50'. The year rides in data-year and only the
 * print stylesheet writes it before the time (desk.css .desk-when), so the text on screen — what is read,
 * copied and matched — stays the screen's. `attrs` adds the caller's class, title or test id.
 */
export function whenEl(h, iso, attrs = {}) {
  if (!iso) return '';
  const shown = fmtTime(iso);
  return h('time', { ...attrs, class: ['desk-when', attrs.class], datetime: iso, dataset: yearBefore(fmtFull(iso), shown), text: shown });
}

/** A calendar day ('2026-11-21') on a printed page, as `whenEl` writes a time: '11/21' on screen, '2026/11/21' on paper. */
export function dayEl(h, day, attrs = {}) {
  if (!day) return '';
  const shown = fmtDay(day);
  return h('time', { ...attrs, class: ['desk-when', attrs.class], datetime: day,
    dataset: yearBefore(formatDay(day, { nowMs: serverNow(), year: true }), shown), text: shown });
}

/**
 * A sentence with times or days in it, each written by `whenEl` / `dayEl` so that on paper it carries its
 * year. `build(time, day)` writes the sentence with the two formatters it is given (the same callers use
 * with fmtTime and fmtDay), which leave a mark where each value goes, so a translation keeps its own word
 * order; the marks become the elements. Returns the parts to put in an element.
 */
export function withWhen(h, build) {
  const marks = [];
  const mark = (el) => (v) => {
    if (!v) return '';
    marks.push(el(h, v));
    return `\u0000${marks.length - 1}\u0000`;
  };
  return String(build(mark(whenEl), mark(dayEl)) ?? '').split('\u0000').map((part, i) => (i % 2 ? marks[Number(part)] : part))
    .filter((part) => part !== '');
}

/** The exact instant, to the second: only where a record is examined (the case history's tooltip). */
export function fmtExact(iso) {
  return formatInstant(iso, { nowMs: serverNow(), year: true, seconds: true });
}

/** A calendar day the server names as '2026-11-21': '11/21' this year, '2025/11/21' another. */
export function fmtDay(day) {
  return formatDay(day, { nowMs: serverNow() });
}

/** The text of a refused request: the server's message plus "缺少：…" for the details.missing it does not name. */
export function errorText(err, t) {
  if (!err) return '';
  const zhMsg = err.message_zh ?? err.message;
  const msg = getLang() === 'en' ? err.message_en || zhMsg : zhMsg || err.message_en;
  const missing = err.details?.missing;
  let head = msg || err.code || String(err);
  // Refusals with details.missing may repeat the raw codes after a colon: the list below says it in words.
  if (Array.isArray(missing) && missing.length && missing.some((m) => head.includes(m))) head = head.split(/[：:]/)[0];
  const parts = [head];
  if (Array.isArray(missing) && missing.length) {
    const sep = getLang() === 'en' ? ', ' : '、';
    // A message that already names a field ("须填写纠正预防措施报告编号") says it once: only the
    // fields it does not name are listed after it, and nothing when it names them all.
    const said = head.toLowerCase();
    const unsaid = missing.map((m) => label('missing', m)).filter((w) => !said.includes(String(w).toLowerCase()));
    if (unsaid.length) parts.push(t('desk.missing', { list: unsaid.join(sep) }));
  }
  const invalid = err.details?.errors;
  if (Array.isArray(invalid) && invalid.length) parts.push(invalid.map((e) => `${e.key}: ${e.message}`).join('; '));
  return parts.join(' — ');
}

/** A live error box (role=alert) that forms and dialogs put next to their buttons. */
export function errorBox(h) {
  const el = h('div', { class: 'desk-error', role: 'alert', hidden: true });
  return {
    el,
    show(err, t) {
      el.textContent = typeof err === 'string' ? err : errorText(err, t);
      el.hidden = false;
    },
    clear() {
      el.textContent = '';
      el.hidden = true;
    },
  };
}

let staffCache = null;
let unitsCache = null;

export async function loadStaff(ctx, { fresh = false } = {}) {
  if (!staffCache || fresh) staffCache = await ctx.api.get('/api/staff');
  return staffCache;
}

/**
 * The directory changed (the manager's staff page saved a phone, a post, a person): the next page
 * reads it afresh, so the emergency panel dials the number just saved, not the one this page loaded.
 */
export function forgetStaff() {
  staffCache = null;
}

export async function loadUnits(ctx) {
  if (!unitsCache) unitsCache = await ctx.api.get('/api/units');
  return unitsCache;
}

export function staffName(staff, id) {
  if (!id) return '';
  const s = (staff || []).find((p) => p.id === id);
  return s ? s.display_name || s.username : id;
}

const blobUrls = new Map();
/** An object URL for a stored blob; GET /api/blobs needs the Authorization header, so no plain <img src>. */
export async function blobObjectUrl(ctx, sha256) {
  if (blobUrls.has(sha256)) return blobUrls.get(sha256);
  const res = await ctx.api.request('GET', `/api/blobs/${sha256}`, { raw: true });
  const url = URL.createObjectURL(await res.blob());
  blobUrls.set(sha256, url);
  return url;
}

// ---- form builders ----------------------------------------------------------------------------

export function field(h, labelText, control, hint) {
  return h('label', { class: 'field desk-field' },
    h('span', { class: 'field-label', text: labelText }),
    control,
    hint ? h('span', { class: 'field-hint', text: hint }) : null);
}

export function select(h, name, opts, { value = '', empty = null, required = false } = {}) {
  return h('select', { name, required },
    empty !== null ? h('option', { value: '' }, empty) : null,
    opts.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
}

/**
 * A registered unit, picked building first (loadUnits' list): the intake's picker, shared with the
 * special-service booking (D41) so a unit is never typed. `unit` posts as unit_id.
 */
export function unitPicker(h, t, units, { required = false } = {}) {
  const building = select(h, 'building', units.map((b) => [b.id, b.name]), { empty: t('intake.choose') });
  const unit = select(h, 'unit_id', [], { empty: t('intake.unit_pick'), required });
  building.addEventListener('change', () => {
    const b = units.find((x) => x.id === building.value);
    unit.replaceChildren(h('option', { value: '' }, t('intake.unit_pick')),
      ...(b ? b.units.map((u) => h('option', { value: u.id }, u.label)) : []));
  });
  return { building, unit };
}

/** Whether the manager's close approval on this case view still stands (D22: a reopening withdraws it). */
export function closeApproved(view) {
  const actions = view.timeline.map((e) => e.action);
  return actions.lastIndexOf('case.close_approved') > actions.lastIndexOf('case.reopened');
}

export function isEn() {
  return getLang() === 'en';
}

/** A clock's or next_due's label in the current language. */
export function clockText(clock) {
  if (!clock) return '';
  return isEn() ? clock.label_en || clock.label : clock.label;
}
