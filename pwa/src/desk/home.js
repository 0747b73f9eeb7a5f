// Desk home: open emergencies on top, the follow-up queue with live countdowns (R-FU-1..9) beside
// the filterable case list; managers also get the close-approval queue (R-CL-2 E, R-EM-4), the
// desk the field records the server refused, until it has dealt with them, and the keys overdue.
import { mount, toast } from '../dom.js';
import { colon, joinList } from '../i18n.js';
import {
  canOpen, clockText, countdownEl, errorBox, errorText, fmtTime, label, loadStaff, loadUnits, options, select, serverNow,
  staffName, waitedText,
} from './common.js';
import { DESK, LEADERSHIP } from '../roles.js';
import { nameChosenOption } from './case-filters.js';
import { categoryGroups, categoryKind, categoryLabel } from './categories.js';
import { contactSlipBadge } from './contact-slip.js';
import { loadRefusals, refusalsPanel } from './refusals.js';
import { approvalsPanel, approvesSomething } from './approvals.js';
import { CALLER_ROLES, callBackPanel } from './callback.js';
import { splitQueue } from './queue.js';


/**
 * A label of parts joined by '/' may break after each '/': "Flood/fire/disaster" was one unbreakable
 * word that widened the English case list past its card at 1024 px (<wbr>, so the text is unchanged).
 */
export function slashBreaks(h, text) {
  return String(text).split('/').flatMap((part, i) => (i ? ['/', h('wbr'), part] : [part]));
}

function kindBadges(ctx, c) {
  const { h, t } = ctx;
  return [
    c.is_emergency ? h('span', { class: 'badge desk-badge-emergency', text: t('list.emergency_badge') }) : null,
    c.is_major ? h('span', { class: 'badge badge-warn', text: t('list.major_badge') }) : null,
  ];
}

/**
 * The open emergencies in the banner's order. One raised on a staff phone that the desk has not yet
 * answered heads it, the newest first: the guard on site is waiting for the desk's word (R-IN-5) and the
 * desk has not started its chain (R-EM-2). Then the most urgent: the one whose next clock runs out
 * soonest (no clock: last).
 */
export function bannerOrder(cases) {
  const due = (c) => (c.next_due ? Date.parse(c.next_due.due_at) : Infinity);
  const waiting = (c) => (c.field_report?.unanswered ? 1 : 0);
  return cases.filter((c) => c.is_emergency && !['closed', 'not_opened'].includes(c.state))
    .sort((a, b) => waiting(b) - waiting(a)
      || (waiting(a) ? Date.parse(b.received_at) - Date.parse(a.received_at) : due(a) - due(b)));
}

// R-IN-1: who reported it from their phone, with the number to call them back on.
function reporter(ctx, c) {
  const { h, t } = ctx;
  if (!c.field_report) return null;
  return h('span', { class: 'desk-em-reporter', 'data-testid': 'em-reporter' },
    h('span', { class: 'badge desk-em-field', text: t(c.field_report.unanswered ? 'home.em_field_waiting' : 'home.em_field') }), ' ',
    t('home.em_reporter', { who: c.contact_name }), ' ',
    c.phone ? h('a', { class: 'desk-em-tel', href: `tel:${c.phone}`, text: c.phone }) : null);
}

/** Whether `roles` may take emergency summary `c` here: nobody has taken it and the user is at the desk. */
export function mayTake(c, roles) {
  return Boolean(c.field_report?.unowned) && (roles || []).some((r) => DESK.includes(r));
}

// R-IN-9, R-EM-3: raised on a staff phone, nobody at the desk follows it or holds its post (D138). Anyone at
// the desk takes it here (接手): they follow it and hold its post. Until someone does, the dispatchers and
// the control room are pushed every 15 minutes; leadership reading the desk sees that nobody has it.
function takePrompt(ctx, c, onTaken) {
  const { h, t } = ctx;
  if (!c.field_report?.unowned) return null;
  const badge = h('span', { class: 'badge badge-warn desk-em-unowned', 'data-testid': 'em-unowned', text: t('home.em_unowned') });
  if (!mayTake(c, ctx.user?.roles)) return badge;
  const err = errorBox(h);
  const button = h('button', {
    type: 'button', class: 'btn btn-small btn-primary desk-em-take', 'data-testid': 'em-take',
    onclick: async () => {
      button.disabled = true;
      err.clear();
      try {
        await ctx.api.post(`/api/cases/${encodeURIComponent(c.id)}/emergency/take`, {});
        toast(t('home.em_taken', { no: c.no }), 'ok');
        await onTaken();
      } catch (e) {
        // Taken by someone else meanwhile: say so, and redraw the banner without the button.
        if (e?.code === 'case.already_taken') {
          toast(errorText(e, t), 'info');
          await onTaken();
          return;
        }
        err.show(e, t);
        button.disabled = false;
      }
    },
  }, t('home.em_take'));
  return h('span', { class: 'desk-em-take-wrap' }, badge, ' ', button, err.el);
}

function emergencyBanner(ctx, cases, onTaken) {
  const { h, t } = ctx;
  const open = bannerOrder(cases);
  if (!open.length) return null;
  return h('section', { class: 'desk-em-banner', 'aria-label': t('home.emergencies') },
    h('h2', { text: t('home.emergency_open', { n: open.length }) }),
    h('ul', { class: 'desk-em-list' }, open.map((c) => h('li', { dataset: { case: c.id } },
      h('a', { href: `#/case/${c.id}`, class: 'desk-em-link' },
        h('strong', { text: c.no }), ' ', c.content, ' · ', c.address || ''),
      reporter(ctx, c),
      // What the countdown counts down to: the help reply's 5 minutes and the first follow-up's 2
      // hours read alike without it (D90).
      c.next_due ? h('span', { class: 'desk-em-due' },
        h('span', { class: 'desk-em-clock', 'data-testid': 'em-clock-label', title: c.next_due.rule }, clockText(c.next_due)),
        ' ', countdownEl(h, c.next_due.due_at)) : null,
      takePrompt(ctx, c, onTaken),
      ackPrompt(ctx, c)))));
}

// R-EM-2: the person the desk reached must confirm taking charge; until someone does, the chain
// keeps climbing. The one reached is asked here, on whatever desk page they open first.
function ackPrompt(ctx, c) {
  const { h, t } = ctx;
  const waiting = c.awaiting_ack || [];
  if (!waiting.length) return null;
  const me = ctx.user || {};
  const mine = waiting.some((a) => (a.target_id ? a.target_id === me.id : (me.roles || []).includes(a.role)));
  if (mine) {
    // Straight to the confirm button, far down the case page on a phone (D125).
    return h('a', { href: `#/case/${c.id}?focus=ack`, class: 'btn btn-small btn-primary desk-em-ack', 'data-testid': 'em-ack-prompt' },
      t('home.em_ack_mine'));
  }
  const roles = joinList([...new Set(waiting.map((a) => label('role', a.role)))]);
  return h('span', { class: 'small desk-em-waiting', text: t('home.em_ack_waiting', { roles }) });
}

// R-OP-3: the openings a dispatcher passed up to this user, waiting for their decision, in any
// open state (a case dispatched first under R-IN-7 can wait too) and however old: the server
// filters on the referral itself. Any supervisor may decide (D50), so a supervisor also sees those
// passed to another and still undecided, with whom, since when and how long (D77): the one named may
// be off shift. Other desk users see only their own (none: only supervisors are asked).
const SUPERVISORS = ['team_lead', 'manager', ...LEADERSHIP]; // whom POST /decide admits beyond the desk
const awaitingUrl = (ctx) => ((ctx.user?.roles || []).some((r) => SUPERVISORS.includes(r))
  ? '/api/cases?awaiting_any=true&limit=1000' : '/api/cases?awaiting_me=true&limit=1000');

function decideMinePanel(ctx, cases, staff) {
  const { h, t } = ctx;
  const me = ctx.user?.id;
  const mine = cases.filter((c) => c.awaiting_decision?.to_id === me);
  // Passed to another supervisor, still undecided: the longest waiting first.
  const others = cases.filter((c) => c.awaiting_decision?.to_id && c.awaiting_decision.to_id !== me)
    .sort((a, b) => Date.parse(a.awaiting_decision.at) - Date.parse(b.awaiting_decision.at));
  const item = (c, extra) => h('li', { dataset: { case: c.id } },
    h('a', { href: `#/case/${c.id}`, class: 'desk-case-no', text: c.no }), ' ', c.content,
    c.address ? h('span', { class: 'muted small', text: ` · ${c.address}` }) : null, extra ? extra(c) : null);
  const section = (testid, title, list, extra) => h('section', { class: 'card desk-decide-mine', 'data-testid': testid },
    h('div', { class: 'desk-section-head' }, h('h2', { text: t(title) }),
      h('span', { class: 'muted small', text: String(list.length) })),
    h('ul', { class: 'plain-list' }, list.map((c) => item(c, extra))));
  return [
    mine.length ? section('decide-mine', 'home.decide_mine', mine) : '',
    others.length ? section('decide-others', 'home.decide_others', others, (c) => {
      const a = c.awaiting_decision;
      return h('div', { class: 'muted small', 'data-testid': 'decide-others-who', text: t('home.decide_others_who', {
        who: staffName(staff, a.to_id), by: staffName(staff, a.by), at: fmtTime(a.at),
        d: waitedText(serverNow(ctx) - Date.parse(a.at), t) }) });
    }) : '',
  ];
}

// R-KY-1: a key past its time due back is chased from the desk home too, not only when someone
// happens to open the keys page; the panel links there. Only for the roles that lend keys.
function keysOverduePanel(ctx, overdue) {
  const { h, t } = ctx;
  if (!overdue?.length) return '';
  // One line: the desk's own work (queue, cases) stays where it was, below it.
  return h('section', { class: 'card desk-keys-overdue', 'data-testid': 'keys-overdue' },
    h('div', { class: 'desk-section-head' }, h('h2', { text: t('home.keys_overdue') }),
      h('span', { class: 'badge desk-badge-overdue', 'data-testid': 'keys-overdue-count', text: String(overdue.length) }),
      h('span', { class: 'small', text: t('home.keys_overdue_n', { n: overdue.length }) }),
      h('a', { href: '#/keys', class: 'btn btn-small desk-head-btn', 'data-testid': 'keys-overdue-link' }, t('home.keys_open'))));
}

// Whether the desk opened the "later" group: the 30-s refresh re-draws the panel and must not fold it.
let laterOpen = false;

function queueItem(ctx, it) {
  const { h } = ctx;
  return h('li', {
    class: ['desk-queue-item', it.overdue ? 'is-overdue' : '', it.is_emergency ? 'is-emergency' : ''],
    dataset: { dueRow: '', case: it.case_id, clock: it.clock.code },
  },
  h('a', { href: `#/case/${it.case_id}`, class: 'desk-queue-link' },
    h('span', { class: 'desk-queue-top' },
      h('span', { class: 'desk-case-no', text: it.case_no }),
      countdownEl(h, it.due_at, 'desk-queue-countdown')),
    h('span', { class: 'desk-queue-clock', title: it.clock.rule }, clockText(it.clock)),
    h('span', { class: 'desk-queue-content muted small', text: `${it.content}${it.address ? ' · ' + it.address : ''}` })));
}

// What needs the desk now (overdue, due today in the compound's zone or within 2 hours) is listed and
// counted; the clocks due later (a Monday review, a 15-day limit) are folded into one group (D90).
function queuePanel(ctx, items) {
  const { h, t } = ctx;
  const { now, later } = splitQueue(items, serverNow(ctx));
  const laterGroup = later.length ? h('details', {
    class: 'desk-queue-later', 'data-testid': 'followup-queue-later', open: laterOpen,
    ontoggle: (e) => { laterOpen = e.target.open; },
  },
  h('summary', { class: 'small', text: t('home.queue_later', { n: later.length }) }),
  h('ol', { class: 'desk-queue-list' }, later.map((it) => queueItem(ctx, it)))) : null;
  return h('section', { class: 'card desk-queue', 'aria-label': t('home.queue') },
    h('div', { class: 'desk-section-head' },
      h('h2', { text: t('home.queue') }),
      h('span', { class: ['badge', now.some((it) => it.overdue) ? 'desk-badge-overdue' : 'desk-queue-badge'],
        'data-testid': 'followup-queue-count', title: t('home.queue_count', { n: now.length }), text: String(now.length) })),
    !items.length ? h('p', { class: 'empty', text: t('home.queue_empty') })
      : now.length ? h('ol', { class: 'desk-queue-list', 'data-testid': 'followup-queue' }, now.map((it) => queueItem(ctx, it)))
        : h('p', { class: 'empty', 'data-testid': 'followup-queue-none-now', text: t('home.queue_none_now') }),
    laterGroup);
}

function caseTable(ctx, cases, staff) {
  const { h, t } = ctx;
  if (!cases.length) return h('p', { class: 'empty', text: t('list.empty') });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table desk-table', 'data-testid': 'case-list' },
    h('thead', null, h('tr', null,
      ['list.no', 'list.received', 'list.kind', 'list.content', 'list.address', 'list.state', 'list.next_due'].map((k) => h('th', { text: t(k) })))),
    h('tbody', null, cases.map((c) => h('tr', {
      class: ['desk-row', c.overdue ? 'is-overdue' : '', c.is_emergency ? 'is-emergency' : ''],
      dataset: { case: c.id },
      onclick: (e) => {
        if (e.target.closest('a')) return;
        ctx.navigate(`#/case/${c.id}`);
      },
    },
    h('td', null, h('a', { href: `#/case/${c.id}`, class: 'desk-case-no', text: c.no })),
    h('td', { class: 'nowrap desk-cell-received', text: fmtTime(c.received_at) }),
    h('td', { class: 'desk-cell-kind' }, label('kind', c.kind), c.category ? h('div', { class: 'muted small' }, slashBreaks(h, categoryLabel(c.kind, c.category))) : null),
    h('td', { class: 'desk-cell-content' }, kindBadges(ctx, c), ' ', c.content),
    h('td', { class: 'desk-cell-address', text: c.address || '' }),
    h('td', { class: 'desk-cell-state' }, h('span', { class: `badge desk-state desk-state-${c.state}`, text: label('state', c.state) }),
      c.overdue ? h('span', { class: 'badge desk-badge-overdue', text: t('list.overdue_badge') }) : null,
      // R-OP-3: passed up and waiting for the named supervisor's decision.
      c.awaiting_decision ? h('span', { class: 'badge badge-warn', 'data-testid': 'badge-awaiting-decision',
        text: t('detail.awaiting', { who: staffName(staff, c.awaiting_decision.to_id) }) }) : null,
      c.resident_grade === 'C' ? h('span', { class: 'badge desk-badge-overdue', 'data-testid': 'badge-unsatisfied', text: t('list.unsatisfied') }) : null,
      contactSlipBadge(ctx, c)), // R-IN-6 d: a work-contact slip still waiting for the developer
    h('td', null, c.next_due ? [h('div', { class: 'small', text: clockText(c.next_due) }),
      countdownEl(h, c.next_due.due_at)] : null))))));
}

// The 分类 filter: one <optgroup> per kind, values `kind:code` (categories.js), only the chosen
// kind's categories once a 类别 is chosen; a kind without categories leaves it disabled.
function fillCategorySelect(h, t, sel, kind, value) {
  const groups = categoryGroups(kind);
  mount(sel,
    h('option', { value: '' }, colon(t('filter.category'), t('filter.all'))),
    groups.map((g) => h('optgroup', { label: t(g.title) },
      g.options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)))));
  sel.value = groups.some((g) => g.options.some(([v]) => v === value)) ? value : '';
  sel.disabled = !groups.length;
  nameChosenOption(sel, t('filter.category')); // the options were rebuilt
  return sel.value;
}

const PAGE = 200;
// Open emergencies and major cases however old and however many other cases are open: the
// banner and the manager's approvals read only these (D31).
const OPEN_CASES = '/api/cases?open=true&attention=true&limit=1000';

// Filters survive navigation to a case and back.
const filters = { state: '', kind: '', category: '', building_id: '', overdue: false, q: '' };

export async function renderHome(body, ctx) {
  const { h, t, api } = ctx;
  const err = errorBox(h);
  const emSlot = h('div');
  const queueSlot = h('div');
  // Call-backs due (R-FU-6) head the follow-up column rather than taking a full-width card above
  // it: with emergencies and refused records on screen, a card more pushed the queue and the case
  // list below a 768 px screen (D28).
  const callBacksSlot = h('div');
  const listSlot = h('div');
  const countEl = h('span', { class: 'muted small' });
  const approvalsSlot = h('div');
  const decideSlot = h('div');
  const keysSlot = h('div');
  const refusalsSlot = h('div');
  let units = [];
  const staff = await loadStaff(ctx).catch(() => []);
  try {
    units = await loadUnits(ctx);
  } catch {
    /* the building filter is optional */
  }

  const onFilter = (key) => (e) => {
    filters[key] = e.target.type === 'checkbox' ? e.target.checked : e.target.value;
    // A category of another kind would match nothing: the category list follows the kind.
    if (key === 'kind') filters.category = fillCategorySelect(h, t, categorySel, filters.kind, filters.category);
    loadList();
  };
  // Only kind-qualified categories are offered; a plain code left in the filters is dropped.
  if (filters.category && !categoryKind(filters.category)) filters.category = '';
  const categorySel = h('select', { name: 'category', 'data-testid': 'filter-category' });
  filters.category = fillCategorySelect(h, t, categorySel, filters.kind, filters.category);
  let searchTimer = null;
  const filterBar = h('form', { class: 'desk-filters', role: 'search', onsubmit: (e) => e.preventDefault() },
    h('input', { type: 'search', name: 'q', placeholder: t('filter.search'), value: filters.q, 'aria-label': t('filter.search_label'),
      oninput: (e) => {
        filters.q = e.target.value;
        clearTimeout(searchTimer);
        searchTimer = setTimeout(loadList, 300);
      } }),
    filterSelect(h, t('filter.state'), select(h, 'state', options('state'), { value: filters.state, empty: colon(t('filter.state'), t('filter.all')) }), onFilter('state')),
    filterSelect(h, t('filter.kind'), select(h, 'kind', options('kind'), { value: filters.kind, empty: colon(t('filter.kind'), t('filter.all')) }), onFilter('kind')),
    filterSelect(h, t('filter.category'), categorySel, onFilter('category')),
    filterSelect(h, t('filter.building'), select(h, 'building_id', units.map((b) => [b.id, b.name]), { value: filters.building_id, empty: colon(t('filter.building'), t('filter.all')) }), onFilter('building_id')),
    h('label', { class: 'desk-check' }, h('input', { type: 'checkbox', name: 'overdue', checked: filters.overdue, onchange: onFilter('overdue') }), t('filter.overdue')));

  mount(body,
    err.el,
    emSlot,
    decideSlot,
    keysSlot,
    approvalsSlot,
    refusalsSlot,
    h('div', { class: 'desk-home-grid' },
      h('div', { class: 'desk-col-queue' }, callBacksSlot, queueSlot),
      h('section', { class: 'card desk-cases' },
        h('div', { class: 'desk-section-head' },
          h('h2', { text: t('home.cases') }), countEl,
          canOpen(ctx, 'intake') ? h('a', { class: 'btn btn-primary btn-small desk-head-btn', href: '#/intake' }, t('home.new_intake')) : null),
        filterBar,
        listSlot)));

  // The server answers a page of the newest matching cases; older ones come a page at a time
  // after the last case shown (`before`), so a year of cases never arrives at once (D31).
  // mode: 'reset' (first page, filters changed), 'more' (the page after the last case shown) or
  // 'refresh' (the 30-s tick: the first page again, merged in front of the older pages the
  // dispatcher asked for, so new cases and changed states show without losing those pages).
  let seq = 0;
  let shown = [];
  let hasMore = false;
  let loadingMore = false;
  const older = (a, b) => a.received_at < b.received_at || (a.received_at === b.received_at && a.id < b.id);
  async function loadList(mode = 'reset') {
    if (mode === 'refresh' && loadingMore) return; // the page on its way would be thrown away
    const my = ++seq;
    const p = new URLSearchParams();
    for (const k of ['state', 'kind', 'category', 'building_id', 'q']) if (filters[k]) p.set(k, filters[k]);
    if (filters.overdue) p.set('overdue', 'true');
    p.set('limit', String(PAGE));
    if (mode === 'more' && shown.length) p.set('before', shown[shown.length - 1].id);
    loadingMore = mode === 'more';
    try {
      const page = await api.get(`/api/cases?${p}`);
      if (my !== seq) return;
      if (mode === 'more') {
        shown = shown.concat(page);
        hasMore = page.length === PAGE;
      } else if (mode === 'refresh' && shown.length > PAGE && page.length === PAGE) {
        const fresh = new Set(page.map((c) => c.id));
        const last = page[page.length - 1];
        shown = page.concat(shown.filter((c) => !fresh.has(c.id) && older(c, last)));
      } else {
        shown = page;
        hasMore = page.length === PAGE;
      }
      const moreBtn = hasMore ? h('button', {
        type: 'button', class: 'btn btn-small desk-list-more', 'data-testid': 'case-list-more',
        onclick: (e) => { e.target.disabled = true; loadList('more'); },
      }, t('list.more')) : null;
      mount(listSlot, caseTable(ctx, shown, staff), moreBtn);
      countEl.textContent = t(moreBtn ? 'list.count_more' : 'list.count', { n: shown.length });
      err.clear();
    } catch (e) {
      err.show(e, t);
      // A failed "load older" can be pressed again.
      listSlot.querySelector('[data-testid=case-list-more]')?.removeAttribute('disabled');
    } finally {
      if (my === seq) loadingMore = false;
    }
  }

  let refusalsSeen = null;
  const refusalsSelection = new Set();
  async function loadQueueAndEmergencies() {
    try {
      // Open cases only, however old: an emergency open for weeks stays on the banner (D31).
      const [items, all, received, keysOverdue, callBacksDue] = await Promise.all([api.get('/api/followups'), api.get(OPEN_CASES), api.get(awaitingUrl(ctx)),
        canOpen(ctx, 'keys') ? api.get('/api/keys/overdue') : [],
        // R-FU-6: the call-backs due, for those who make them (D100); each case is a click away.
        (ctx.user?.roles || []).some((r) => CALLER_ROLES.includes(r)) ? api.get('/api/callbacks?status=due') : []]);
      mount(queueSlot, queuePanel(ctx, items));
      mount(decideSlot, ...decideMinePanel(ctx, received, staff));
      mount(keysSlot, keysOverduePanel(ctx, keysOverdue));
      mount(callBacksSlot, callBackPanel(ctx, callBacksDue));
      mount(emSlot, emergencyBanner(ctx, all, loadQueueAndEmergencies) || '');
      if (approvesSomething(ctx)) mount(approvalsSlot, await approvalsPanel(ctx, all, true));
      // Re-drawn only when the open refusals change: the 30-s tick would otherwise fetch every
      // signature again and throw the panel's scroll back to the top while the desk reads it.
      // The case's state and who holds its job now are part of what is seen: the panel says whom to
      // call, and a stale name would send the desk to the wrong person. A re-draw keeps the ticked
      // records (refusalsSelection) and where the list was scrolled to.
      const refused = await loadRefusals(ctx);
      const seen = refused.map((r) => `${r.client_id}/${r.mutation_id}:${r.case_state}:${r.holder?.user_id}:${r.holder?.work_order_state}`).join(' ');
      if (seen !== refusalsSeen) {
        refusalsSeen = seen;
        const top = refusalsSlot.querySelector('[data-testid=field-refusals-list]')?.scrollTop || 0;
        mount(refusalsSlot, refusalsPanel(ctx, refused, { onChanged: loadQueueAndEmergencies, staffName: (id) => staffName(staff, id), selection: refusalsSelection }));
        const list = refusalsSlot.querySelector('[data-testid=field-refusals-list]');
        if (list) list.scrollTop = top;
      }
    } catch (e) {
      err.show(e, t);
    }
  }

  await Promise.all([loadList(), loadQueueAndEmergencies()]);
  const refresh = setInterval(() => {
    loadQueueAndEmergencies();
    loadList('refresh'); // pages the dispatcher asked for are kept behind the fresh first page
  }, 30000);
  return () => {
    clearInterval(refresh);
    clearTimeout(searchTimer);
  };
}

// A chosen value says which filter it is ("状态：已完工"), as the unset one does ("状态：全部").
function filterSelect(h, name, sel, onchange) {
  nameChosenOption(sel, name);
  sel.addEventListener('change', (e) => {
    nameChosenOption(sel, name);
    onchange(e);
  });
  sel.setAttribute('aria-label', name);
  return sel;
}

export async function renderApprovals(body, ctx) {
  const all = await ctx.api.get(OPEN_CASES);
  mount(body, await approvalsPanel(ctx, all, false));
}
