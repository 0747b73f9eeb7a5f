// Boot and routing: opens the store, restores the session, registers the service worker, starts
// the sync triggers, and sends each hash route to its view. Field staff (technician, cleaner)
// get the job list as home; desk roles get desk/index.js and guards gate/index.js (lazy chunks).
//
// Routes owned here (for every role): #/login, #/jobs, #/job/<id>, #/job/<id>/complete,
// #/job/<id>/slip (and /slip/server), #/outbox, #/outbox/<mutation id>, #/reminders, #/settings, #/summons/<case>/<post>.
// Every other hash — including #/ — is the role home: renderDesk / renderGate is called again on each
// such hash change with ctx.route set.
import { api, setUnauthorizedHandler } from './api.js';
import { on } from './bus.js';
import { loadOffset, serverNow } from './clock.js';
import { dbApi, kvGet, kvSet } from './db.js';
import { dismissToast, h, mount, toast } from './dom.js';
import { getLang, onLangChange, registerStrings, serverMessage, setLang, t } from './i18n.js';
import { enqueue } from './outbox.js';
import { DESK_HOME_ROLES, JOB_ROLES } from './roles.js';
import { currentSession, currentUser, loadSession, markRevoked } from './session.js';
import { buildShell } from './shell.js';
import { chunkFailedNotice, isChunkLoadError } from './lazy.js';
import { followOthers, getStatus, loadStatus, syncNow } from './sync.js';
import * as completeView from './views/complete.js';
import * as jobView from './views/job.js';
import * as jobsView from './views/jobs.js';
import * as loginView from './views/login.js';
import * as outboxView from './views/outbox.js';
import * as remindersView from './views/reminders.js';
import * as settingsView from './views/settings.js';
import * as slipView from './views/slip.js';
import * as summonsView from './views/summons.js';

const DESK_HOME = new Set(DESK_HOME_ROLES);
const JOB_ROLE_SET = new Set(JOB_ROLES);

registerStrings({
  zh: { 'boot.failed': '无法启动：{msg}', 'auth.revoked': '登录已失效，请重新登录。未发送的记录仍保留在本机。' },
  en: { 'boot.failed': 'Could not start: {msg}', 'auth.revoked': 'Your sign-in has expired. Please sign in again; unsent records are kept on this phone.' },
});

export function homeKind(user) {
  const roles = new Set(user?.roles || []);
  if ([...roles].some((r) => DESK_HOME.has(r))) return 'desk';
  if (roles.has('guard')) return 'gate';
  return 'field';
}

// Field views are small and must all work offline, so they are in the main bundle; only the desk
// and gate modules (chart.js, the QR decoder, curve code) are lazy chunks.
const ROUTES = [
  { re: /^login$/, mod: loginView },
  { re: /^jobs$/, mod: jobsView, live: true },
  { re: /^job\/([^/]+)$/, mod: jobView, live: true },
  { re: /^job\/([^/]+)\/complete$/, mod: completeView },
  { re: /^job\/([^/]+)\/slip(?:\/(server))?$/, mod: slipView }, // /server: the server's slip beside a refused one
  { re: /^outbox$/, mod: outboxView, live: true },
  { re: /^outbox\/(\d+)$/, mod: outboxView, live: true }, // one entry picked out (a job's page links to it, D105)
  { re: /^reminders$/, mod: remindersView, live: true },
  { re: /^settings$/, mod: settingsView },
  // An emergency this person was summoned to (R-EM-2), whatever their home: the push and the strip open it.
  { re: /^summons\/([^/]+)\/([^/]+)$/, mod: summonsView, live: true },
];

let shell = null;
let cleanup = null;
let renderSeq = 0;
// Scroll position per field route: a new screen opens at its top, not at the height the previous
// one was scrolled to (a job tapped low in the list opened with its title, countdown and address
// above the fold); going back to a list returns to where it was.
let shownPath = null;
const scrollOf = new Map();
const KEEPS_SCROLL = new Set(['jobs', 'outbox', 'reminders']);

export function navigate(hash, { replace = false } = {}) {
  const target = hash.startsWith('#') ? hash : `#${hash}`;
  if (replace) {
    history.replaceState(null, '', target);
    route();
  } else if (location.hash === target) route();
  else location.hash = target;
}

function currentPath() {
  return decodeURIComponent((location.hash || '#/').replace(/^#\/?/, '')).replace(/\/+$/, '');
}

export function navLinks(user) {
  const links = homeKind(user) === 'field' ? [] : [['#/', 'nav.home']];
  // Only assignable roles get "my jobs": a dispatcher or manager would only ever see an empty list.
  if ((user?.roles || []).some((r) => JOB_ROLE_SET.has(r))) links.push(['#/jobs', 'nav.jobs']);
  return [...links, ['#/reminders', 'nav.reminders'], ['#/settings', 'nav.settings']];
}

function buildFrame() {
  shell?.destroy();
  const user = currentUser();
  shell = buildShell(document.getElementById('app'), {
    homeLinks: user ? navLinks(user) : [],
    onToggleLang: () => setLang(getLang() === 'zh' ? 'en' : 'zh'),
  });
  showUpdateBanner();
}

function makeCtx(path) {
  const user = currentUser();
  return {
    api,
    db: dbApi,
    t,
    registerStrings,
    user,
    route: path,
    navigate,
    serverNow,
    sync: { syncNow, getStatus, on },
    outbox: { enqueue: (type, args, opts) => enqueue(user.id, type, args, opts) },
    h,
    toast,
  };
}

let lastToastPath = null;

export async function route() {
  const seq = ++renderSeq;
  const path = currentPath();
  const user = currentUser();
  const session = currentSession();
  if ((!user || session?.revoked) && path !== 'login') return navigate('#/login', { replace: true });
  if (user && !session?.revoked && path === 'login') return navigate('#/', { replace: true });

  if (!shell || shell.user !== user || shell.lang !== getLang()) {
    buildFrame();
    shell.user = user;
  }
  shell.markNav();
  // A toast belongs to the screen it was about: it does not follow onto the next one (D94), unless it
  // was raised just now by the action that opened this screen. Drawing the same screen again (a save
  // that re-renders the case) is not a new screen, so its toast stays.
  if (path !== lastToastPath) dismissToast({ olderThanMs: 800 });
  lastToastPath = path;
  if (cleanup) {
    try {
      cleanup();
    } catch {
      /* a view's teardown must not block the next one */
    }
    cleanup = null;
  }

  let match = null;
  let params = [];
  for (const r of ROUTES) {
    const m = path.match(r.re);
    if (m) {
      match = r;
      params = m.slice(1);
      break;
    }
  }
  const view = shell.view;
  // The desk's own views use the full width of a desktop screen (≥1024 px, see styles.css).
  document.body.classList.toggle('layout-wide', !match && homeKind(user) === 'desk');
  const app = { navigate, user, ctx: () => makeCtx(path), syncSoon };
  try {
    if (match) {
      const mod = match.mod;
      // Each render fills a detached container that is shown only if it is still the current
      // route when its data has loaded, so a slow render can never paint over a newer one.
      const renderInto = async () => {
        const box = h('div', { class: 'view-body' });
        const done = (await mod.render(box, params, app)) || null;
        if (seq !== renderSeq) {
          if (typeof done === 'function') done();
          return { stale: true };
        }
        mount(view, box);
        box.dispatchEvent(new CustomEvent('view-attached'));
        return { stale: false, done };
      };
      if (shownPath !== null) scrollOf.set(shownPath, window.scrollY);
      const first = await renderInto();
      if (first.stale) return;
      if (path !== shownPath) window.scrollTo(0, KEEPS_SCROLL.has(path) ? scrollOf.get(path) || 0 : 0);
      shownPath = path;
      let viewCleanup = typeof first.done === 'function' ? first.done : null;
      let offs = [];
      if (match.live) {
        // Re-render on new data; renders are serialised so a burst of events gives one final view.
        let running = false;
        let queued = false;
        const rerender = async () => {
          if (running) {
            queued = true;
            return;
          }
          running = true;
          try {
            do {
              queued = false;
              if (seq !== renderSeq) return;
              const next = await renderInto();
              if (next.stale) return;
              viewCleanup?.();
              viewCleanup = typeof next.done === 'function' ? next.done : null;
            } while (queued);
          } finally {
            running = false;
          }
        };
        offs = [on('data', rerender), on('job', rerender), on('outbox', rerender), on('clock', rerender)];
      }
      cleanup = () => {
        offs.forEach((f) => f());
        viewCleanup?.();
      };
    } else {
      shownPath = null; // the desk and gate keep their own scrolling
      const kind = homeKind(user);
      if (kind === 'field') return navigate('#/jobs', { replace: true });
      const mod = kind === 'desk' ? await import('./desk/index.js') : await import('./gate/index.js');
      await mod.ready?.(); // its stylesheet, so the first paint is already laid out
      if (seq !== renderSeq) return;
      mount(view);
      // Desk and gate modules own their container for as long as their routes are shown.
      const fn = kind === 'desk' ? mod.renderDesk : mod.renderGate;
      const result = await fn(view, makeCtx(path));
      if (seq !== renderSeq) {
        // A newer route rendered while this one was loading and owns `cleanup` now: stop this
        // view's timers and observers at once instead of overwriting (and leaking) the newer ones.
        if (typeof result === 'function') result();
        return;
      }
      cleanup = typeof result === 'function' ? result : null;
    }
  } catch (e) {
    console.error(e);
    // The desk or gate chunk of the build this page runs is gone (a new build since it opened, D127).
    if (isChunkLoadError(e)) mount(view, chunkFailedNotice());
    else mount(view, h('div', { class: 'card error-card' }, t('error.unknown', { msg: e?.message || String(e) })));
  }
  if (seq === renderSeq && location.hash !== '') view.focus({ preventScroll: true });
}

// ---- sync triggers ----------------------------------------------------------------------------
let syncTimer = null;
/** Sync shortly (coalesces bursts of actions); registers Background Sync when offline. */
export function syncSoon(delay = 300) {
  clearTimeout(syncTimer);
  syncTimer = setTimeout(async () => {
    const st = await syncNow();
    if (st.state === 'offline' || st.state === 'error') registerBackgroundSync();
  }, delay);
  if (navigator.onLine === false) registerBackgroundSync();
}

async function registerBackgroundSync() {
  try {
    const reg = await navigator.serviceWorker?.ready;
    if (reg?.sync) await reg.sync.register('outbox');
  } catch {
    /* Background Sync unsupported (Safari, Firefox): the page triggers cover it */
  }
}

function startTriggers() {
  // The bar says what the service worker's Background Sync (or another tab) did, and the network's state,
  // not only this page's last run (D145).
  followOthers(window);
  window.addEventListener('online', () => syncSoon(0));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') syncSoon(0);
  });
  setInterval(() => {
    if (document.visibilityState === 'visible' && currentUser()) syncNow();
  }, 60000);
  // A new intent in this tab: send it now if we can (the SW's Background Sync covers a closed tab).
  on('outbox', (d) => {
    if (d.enqueued && !d.remote) syncSoon();
  });
}

// ---- service worker ---------------------------------------------------------------------------
let updateReady = false;

/** The 新版本已就绪 / 刷新 banner, in the current shell (a rebuilt frame shows it again). */
function showUpdateBanner() {
  if (!updateReady || !shell) return;
  mount(shell.banner, h('span', { text: t('update.ready') }),
    h('button', { type: 'button', class: 'btn btn-small', onclick: () => location.reload() }, t('update.reload')));
  shell.banner.hidden = false;
}

async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('message', (ev) => {
    if (ev.data?.type === 'navigate' && ev.data.url) {
      const url = new URL(ev.data.url, location.href);
      if (url.origin === location.origin && url.pathname === location.pathname) location.hash = url.hash || '#/';
      else location.href = url.href;
    }
  });
  // The first worker ever installed claims this page too (a controllerchange), but the page already
  // runs that build: nothing to reload for. Every later controllerchange is a new build. A page with
  // no controller at load is a first visit only if no worker was active either (a shift-reload also
  // loads a page uncontrolled), and it must still get the banner for any later update (D127).
  const before = await navigator.serviceWorker.getRegistration().catch(() => undefined);
  let firstInstall = !navigator.serviceWorker.controller && !before?.active;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (firstInstall) {
      firstInstall = false;
      return;
    }
    updateReady = true;
    showUpdateBanner();
  });
  try {
    await navigator.serviceWorker.register('/service-worker.js', { scope: '/', updateViaCache: 'none' });
  } catch (e) {
    console.warn('service worker registration failed', e);
  }
}

async function boot() {
  const savedLang = await kvGet('lang');
  if (savedLang && savedLang !== getLang()) setLang(savedLang);
  document.documentElement.lang = getLang() === 'en' ? 'en' : 'zh-CN';
  onLangChange((lang) => {
    kvSet('lang', lang);
    route();
  });
  await Promise.all([loadSession(), loadOffset(), loadStatus()]);
  setUnauthorizedHandler(async () => {
    await markRevoked();
    toast(t('auth.revoked'), 'error');
    navigate('#/login');
  });
  on('session', (d) => {
    if (d.remote) return; // another tab signed in or out: this tab keeps its own view until reload
    buildFrame();
    shell.user = currentUser();
    if (currentUser()) syncSoon(0);
  });
  window.addEventListener('hashchange', route);
  registerServiceWorker();
  startTriggers();
  await route();
  if (currentUser()) syncSoon(0);
}

boot().catch((e) => {
  console.error(e);
  const app = document.getElementById('app');
  mount(app, h('div', { class: 'card error-card' }, t('boot.failed', { msg: serverMessage(e.wire) || e.message || String(e) })));
});

