// Boot and routing: opens the store, restores the session, registers the service worker, starts
// the sync triggers, and sends each hash route to its view. Field staff (technician, cleaner)
// get the job list as home; desk roles get desk/index.js and guards gate/index.js (lazy chunks).
//
// Routes owned here (for every role): #/login, #/jobs, #/job/<id>, #/job/<id>/complete,
// #/job/<id>/slip, #/outbox, #/reminders, #/settings. Every other hash — including #/ — is the
// role home: renderDesk / renderGate is called again on each such hash change with ctx.route set.
import { api, setUnauthorizedHandler } from './api.js';
import { emit, on } from './bus.js';
import { loadOffset, serverNow } from './clock.js';
import { dbApi, kvGet, kvSet } from './db.js';
import { h, mount, toast } from './dom.js';
import { getLang, onLangChange, registerStrings, serverMessage, setLang, t } from './i18n.js';
import { enqueue } from './outbox.js';
import { currentSession, currentUser, loadSession, markRevoked } from './session.js';
import { buildShell } from './shell.js';
import { getStatus, loadStatus, syncNow } from './sync.js';

const DESK_ROLES = new Set(['dispatcher', 'front_desk', 'control_room', 'manager', 'deputy_gm', 'general_manager', 'cashier', 'engineering', 'team_lead']);

registerStrings({
  zh: { 'boot.failed': '无法启动：{msg}', 'auth.revoked': '登录已失效，请重新登录。未发送的记录仍保留在本机。' },
  en: { 'boot.failed': 'Could not start: {msg}', 'auth.revoked': 'Your sign-in has expired. Please sign in again; unsent records are kept on this phone.' },
});

export function homeKind(user) {
  const roles = new Set(user?.roles || []);
  if ([...roles].some((r) => DESK_ROLES.has(r))) return 'desk';
  if (roles.has('guard')) return 'gate';
  return 'field';
}

const ROUTES = [
  { re: /^login$/, load: () => import('./views/login.js'), public: true },
  { re: /^jobs$/, load: () => import('./views/jobs.js'), live: true },
  { re: /^job\/([^/]+)$/, load: () => import('./views/job.js'), live: true },
  { re: /^job\/([^/]+)\/complete$/, load: () => import('./views/complete.js') },
  { re: /^job\/([^/]+)\/slip$/, load: () => import('./views/slip.js') },
  { re: /^outbox$/, load: () => import('./views/outbox.js'), live: true },
  { re: /^reminders$/, load: () => import('./views/reminders.js'), live: true },
  { re: /^settings$/, load: () => import('./views/settings.js') },
];

let shell = null;
let cleanup = null;
let renderSeq = 0;

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

function navLinks(user) {
  const kind = homeKind(user);
  const links = kind === 'field' ? [['#/jobs', 'nav.jobs']] : [['#/', 'nav.home'], ['#/jobs', 'nav.jobs']];
  return [...links, ['#/reminders', 'nav.reminders'], ['#/settings', 'nav.settings']];
}

function buildFrame() {
  shell?.destroy();
  const user = currentUser();
  shell = buildShell(document.getElementById('app'), {
    homeLinks: user ? navLinks(user) : [],
    onToggleLang: () => setLang(getLang() === 'zh' ? 'en' : 'zh'),
  });
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
    outbox: { enqueue: (type, args, opts) => enqueue(user.id, type, args, opts).then((e) => (syncSoon(), e)) },
    h,
    toast,
  };
}

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
  const app = { navigate, user, ctx: () => makeCtx(path), syncSoon };
  try {
    if (match) {
      const mod = await match.load();
      if (seq !== renderSeq) return;
      mount(view);
      cleanup = (await mod.render(view, params, app)) || null;
      if (match.live) {
        const rerender = async () => {
          if (seq !== renderSeq) return;
          const next = (await mod.render(view, params, app, { refresh: true })) || null;
          if (seq === renderSeq && typeof next === 'function') {
            cleanup?.();
            cleanup = next;
          }
        };
        const offs = [on('data', rerender), on('job', rerender), on('outbox', rerender)];
        const prev = cleanup;
        cleanup = () => {
          offs.forEach((f) => f());
          prev?.();
        };
      }
    } else {
      const kind = homeKind(user);
      if (kind === 'field') return navigate('#/jobs', { replace: true });
      const mod = kind === 'desk' ? await import('./desk/index.js') : await import('./gate/index.js');
      if (seq !== renderSeq) return;
      mount(view);
      const fn = kind === 'desk' ? mod.renderDesk : mod.renderGate;
      const result = await fn(view, makeCtx(path));
      cleanup = typeof result === 'function' ? result : null;
    }
  } catch (e) {
    console.error(e);
    mount(view, h('div', { class: 'card error-card' }, t('error.unknown', { msg: e?.message || String(e) })));
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
  window.addEventListener('online', () => syncSoon(0));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') syncSoon(0);
  });
  setInterval(() => {
    if (document.visibilityState === 'visible' && currentUser()) syncNow();
  }, 60000);
  on('outbox', (d) => {
    if (!d.remote) syncSoon();
  });
}

// ---- service worker ---------------------------------------------------------------------------
async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  const hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener('message', (ev) => {
    if (ev.data?.type === 'navigate' && ev.data.url) {
      const url = new URL(ev.data.url, location.href);
      if (url.origin === location.origin && url.pathname === location.pathname) location.hash = url.hash || '#/';
      else location.href = url.href;
    }
  });
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (!hadController || !shell) return; // first install: nothing to refresh
    mount(shell.banner, h('span', { text: t('update.ready') }),
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => location.reload() }, t('update.reload')));
    shell.banner.hidden = false;
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
  on('session', () => {
    buildFrame();
    shell.user = currentUser();
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

export { emit };
