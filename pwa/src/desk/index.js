// The dispatcher's desk (wide layout): home with the follow-up queue and case list, intake,
// case detail with every desk action, emergencies, Monday review, shift handover, and the
// manager's approvals. main.js calls renderDesk(root, ctx) for every hash it does not own.
import { ensureStylesheet, mount } from '../dom.js';
import { chunkFailedNotice, isChunkLoadError } from '../lazy.js';
import { canOpen, errorText, loadServerOffset, startTicker } from './common.js';
import { registerSlipStrings } from './slips-strings.js';
import { registerDeskStrings } from './strings.js';
import { watchTables } from './tables.js';

let stringsDone = false;


const EMERGENCY_NUMBERS = ['110', '119', '120', '122']; // R-EM-5

function isManager(ctx) {
  return (ctx.user?.roles || []).includes('manager');
}

/** The desk's name as its user knows it: a cashier works at the 收银台, a team lead at the 班组台, not the 调度台. */
function deskTitle(ctx) {
  const roles = ctx.user?.roles || [];
  if (isManager(ctx)) return 'desk.title_manager';
  const only = (...group) => roles.length && roles.every((r) => group.includes(r));
  if (only('cashier')) return 'desk.title_cashier';
  if (only('team_lead', 'technician', 'cleaner', 'guard')) return 'desk.title_team';
  if (only('engineering')) return 'desk.title_engineering';
  if (only('deputy_gm', 'general_manager')) return 'desk.title_leadership';
  // The front desk (客服/前台接待) and the control room (中控室) are not the 调度台; one person who
  // also dispatches works at the 调度台 (roles of the front desk and dispatcher may be combined).
  if (only('front_desk')) return 'desk.title_front_desk';
  if (only('control_room')) return 'desk.title_control_room';
  return 'desk.title';
}

const NAV = [
  ['', 'desk.nav.home'],
  ['intake', 'desk.nav.intake'],
  ['review', 'desk.nav.review'],
  ['handover', 'desk.nav.handover'],
  ['slips', 'desk.nav.slips'], // 放行条 R-RS-1..6
  ['approvals', 'desk.nav.approvals'],
  ['calendar', 'desk.nav.calendar'],
  ['reports', 'desk.nav.reports'],
  ['surveys', 'desk.nav.surveys'], // 满意度调查 R-RV-1..3
  ['services', 'desk.nav.services'],
  ['keys', 'desk.nav.keys'],
  ['staff', 'desk.nav.staff'], // 员工: the manager's people, phones and emergency posts (D129)
];

/** Only the pages this user's roles may open: a link the server would answer with 403 is not offered. */
function navItems(ctx) {
  return NAV.filter(([route]) => canOpen(ctx, route || 'home'));
}

function header(ctx, page) {
  const { h, t } = ctx;
  return h('div', { class: 'desk-header no-print' },
    h('div', { class: 'desk-title' },
      h('strong', { 'data-testid': 'desk-title', text: t(deskTitle(ctx)) }),
      h('span', { class: 'muted small', text: ctx.user?.display_name || ctx.user?.username || '' })),
    h('nav', { class: 'desk-nav', 'aria-label': t(deskTitle(ctx)) },
      navItems(ctx).map(([route, key]) => h('a', {
        href: `#/${route}`,
        class: ['desk-nav-link', page === (route || 'home') ? 'active' : ''],
        'aria-current': page === (route || 'home') ? 'page' : null,
      }, t(key)))),
    h('div', { class: 'desk-tels', 'aria-label': t('desk.em_numbers') },
      // The number large and what it is for small under it: four of them beside the nav on one line
      // at 1280 px in English too, where "Ambulance 120" in a row pushed them onto a line of their own.
      EMERGENCY_NUMBERS.map((n) => h('a', {
        class: 'desk-tel desk-tel-compact', href: `tel:${n}`, dataset: { number: n }, 'aria-label': t(`desk.em.${n}`), title: t(`desk.em.${n}`),
      }, h('span', { class: 'desk-tel-no', text: n }), h('span', { class: 'desk-tel-word', text: t(`desk.em_word.${n}`) })))));
}

async function loadReports(ctx, body, fnName, ...args) {
  const { h, t } = ctx;
  // Loaded on demand: the reports screens carry Chart.js, which the other desk pages do not need
  // (esbuild splits it into its own chunk; the service worker precaches it for offline use).
  let mod;
  try {
    mod = await import('./reports/index.js');
  } catch (e) {
    // Never the browser's message: it is English and carries the chunk's URL (D127).
    console.error(e);
    mount(body, chunkFailedNotice(fnName === 'renderReports' || fnName === 'renderYearly' ? t('desk.module_failed') : undefined));
    return null;
  }
  return mod[fnName](body, ctx, ...args);
}

function parseRoute(route) {
  // A query (#/case/<id>?focus=ack) is the page's own business: the page reads ctx.route (D125).
  const parts = (route || '').split('?')[0].split('/').filter(Boolean);
  if (!parts.length) return { page: 'home' };
  if (parts[0] === 'slips') return { page: 'slips', id: parts[1] };
  // #/services/<booking id>/statement: the booking's printable settlement statement (结算单).
  if (parts[0] === 'services' && parts[1] && parts[2] === 'statement') return { page: 'services', id: decodeURIComponent(parts[1]) };
  if (parts[0] === 'case' && parts[1]) return { page: parts[2] === 'slip' ? 'slip' : 'case', id: parts[1] };
  // #/reports/yearly: the yearly complaint report, the reports page's second tab (R-RV-5).
  if (parts[0] === 'reports' && parts[1]) return { page: 'reports', id: parts[1] };
  // #/keys/<key id>: a key's loans; #/keys/month/2026-11: an ended month's count sheet.
  if (parts[0] === 'keys' && parts[1]) return { page: 'keys', id: parts.slice(1).map(decodeURIComponent).join('/') };
  // #/surveys/<id>: one survey; #/surveys/<id>/ballot: its blank ballot to print.
  if (parts[0] === 'surveys' && parts[1]) return { page: 'surveys', id: parts.slice(1).map(decodeURIComponent).join('/') };
  return { page: parts[0] };
}

/**
 * Resolves once desk.css applies. The header and the home are laid out by it: drawn before, they
 * flash unstyled (the emergency numbers on a line of their own, the nav unwrapped) and jump when it
 * lands. The shell awaits this before it mounts, so a newer route still wins the race (renderSeq).
 */
export function ready() {
  return ensureStylesheet('/desk.css');
}

export async function renderDesk(root, ctx) {
  if (!stringsDone) {
    registerDeskStrings(ctx.registerStrings);
    registerSlipStrings(ctx.registerStrings);
    stringsDone = true;
  }
  ensureStylesheet('/desk.css');
  root.classList.add('view-wide');
  const { page, id } = parseRoute(ctx.route);
  const first = navItems(ctx)[0];
  if (!canOpen(ctx, page) && first) {
    // A page this person's roles cannot open (a cashier's desk home): go to the first one they can.
    location.replace(`#/${first[0]}`);
    return undefined;
  }
  const body = ctx.h('div', { class: 'desk-body' });
  const wrap = ctx.h('div', { class: ['desk', `desk-page-${page}`], 'data-view': 'desk', dataset: { page } }, header(ctx, page), body);
  mount(root, wrap);
  // Every desk table stacks into labelled cards on a phone (tables.js, desk.css).
  const cleanups = [watchTables(body)];
  await loadServerOffset(ctx);

  let pageCleanup = null;
  try {
    switch (page) {
      case 'home':
        pageCleanup = await (await import('./home.js')).renderHome(body, ctx);
        break;
      case 'intake':
        pageCleanup = await (await import('./intake.js')).renderIntake(body, ctx);
        break;
      case 'case':
        pageCleanup = await (await import('./detail.js')).renderCase(body, ctx, id);
        break;
      case 'slip':
        pageCleanup = await (await import('./slip.js')).renderSlip(body, ctx, id);
        break;
      case 'slips':
        pageCleanup = await (await import('./slips.js')).renderSlips(body, ctx, id);
        break;
      case 'review':
        pageCleanup = await (await import('./review.js')).renderReview(body, ctx);
        break;
      case 'handover':
        pageCleanup = await (await import('./handover.js')).renderHandover(body, ctx);
        break;
      case 'calendar':
        pageCleanup = await (await import('./calendar.js')).renderCalendar(body, ctx);
        break;
      case 'approvals':
        pageCleanup = await (await import('./home.js')).renderApprovals(body, ctx);
        break;
      case 'reports':
        pageCleanup = await loadReports(ctx, body, id === 'yearly' ? 'renderYearly' : 'renderReports');
        break;
      case 'services':
        pageCleanup = await (id ? loadReports(ctx, body, 'renderStatement', id) : loadReports(ctx, body, 'renderServices'));
        break;
      case 'keys':
        pageCleanup = await (await import('./keys.js')).renderKeys(body, ctx, id);
        break;
      case 'staff':
        pageCleanup = await (await import('./staff.js')).renderStaff(body, ctx);
        break;
      case 'surveys':
        pageCleanup = await (await import('./surveys.js')).renderSurveys(body, ctx, id);
        break;
      default:
        mount(body, ctx.h('p', { class: 'empty' }, ctx.t('desk.not_found')));
    }
  } catch (e) {
    console.error(e);
    // A page's chunk that cannot be loaded (a new build since this page was opened): reload, not an error text (D127).
    if (isChunkLoadError(e)) mount(body, chunkFailedNotice());
    else mount(body, ctx.h('div', { class: 'notice notice-error' }, ctx.t('desk.error', { msg: errorText(e, ctx.t) })));
  }
  cleanups.push(startTicker(wrap, ctx));
  return () => {
    root.classList.remove('view-wide');
    if (typeof pageCleanup === 'function') pageCleanup();
    cleanups.forEach((f) => f());
  };
}
