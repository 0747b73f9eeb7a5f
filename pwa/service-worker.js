// EstateDesk service worker (root scope): app-shell cache, blob cache, push notifications and the
// Background Sync flush of the outbox.
//
// Versioning: this file is static. scripts/build_pwa.mjs writes /dist/sw-version.js, which sets
// self.ESTATEDESK_BUILD = {version, precache}; the page registers this worker with
// updateViaCache:'none', so the browser byte-compares the imported scripts on every update check
// and a new build (new version hash) installs a new worker with a new cache name. On activate the
// previous build's shell cache is kept and only older ones are deleted: the new worker takes over
// pages still running the previous build, and their lazy chunks (hashed names the server no longer
// has) are answered from it until the user reloads (D127). /dist/sw-lib.js is the app's own db/outbox/sync code (same source as
// the page bundle), used for the 'sync' and 'pushsubscriptionchange' events.
/* global self, caches, clients */
importScripts('/dist/sw-version.js', '/dist/sw-lib.js');

const BUILD = self.ESTATEDESK_BUILD || { version: 'dev', precache: ['/', '/index.html', '/styles.css'] };
const SHELL_PREFIX = 'estatedesk-shell-';
const SHELL_CACHE = `${SHELL_PREFIX}${BUILD.version}`;
const BLOB_CACHE = 'estatedesk-blobs-v1'; // content-addressed, so never needs a version bump
const NAV_TIMEOUT_MS = 3000;
const BLOB_PATH = /^\/api\/blobs\/[0-9a-f]{64}$/;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      // cache:'reload' bypasses the HTTP cache so a new version never precaches stale files.
      await cache.addAll(BUILD.precache.map((url) => new Request(url, { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      // caches.keys() lists names in the order the caches were created (Cache Storage spec), so the
      // last shell cache other than ours is the build the pages we are about to claim were loaded
      // from. It stays; anything older has no page left to serve (a page open across two deploys gets
      // the reload notice instead, D127).
      const older = (await caches.keys()).filter((n) => n.startsWith(SHELL_PREFIX) && n !== SHELL_CACHE);
      older.pop();
      await Promise.all(older.map((n) => caches.delete(n)));
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return; // nothing cross-origin is ours to cache
  if (req.mode === 'navigate') return event.respondWith(handleNavigation(event));
  if (req.method !== 'GET') return; // writes go straight to the network, untouched
  if (BLOB_PATH.test(url.pathname)) return event.respondWith(handleBlob(req));
  if (url.pathname.startsWith('/api/')) return event.respondWith(handleApiGet(req));
  if (url.pathname.startsWith('/schema')) return; // OpenAPI pages: plain network
  return event.respondWith(handleShellAsset(req));
});

/** Network first with a short timeout (fresh index.html when online); cached shell when not. */
async function handleNavigation(event) {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const res = await fetchWithTimeout(event.request, NAV_TIMEOUT_MS);
    if (res.ok || res.status < 500) return res;
    throw new Error(`navigation ${res.status}`);
  } catch {
    const cached = (await cache.match('/index.html')) || (await cache.match('/'));
    return cached || new Response('<h1>离线 Offline</h1>', { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
  }
}

/**
 * Cache first: shell files are versioned as a set by the cache name. A miss in this build's cache is
 * looked up in the previous build's kept cache before the network: a page still running that build
 * asks for its own hashed chunks, which this build does not have and the server no longer serves
 * (D127). Files both builds have are always answered from this build's cache, so only names unique to
 * the old build are served from it.
 */
async function handleShellAsset(req) {
  const cache = await caches.open(SHELL_CACHE);
  const hit = await cache.match(req, { ignoreSearch: true });
  if (hit) return hit;
  const old = await matchPreviousBuild(req);
  if (old) return old;
  const res = await fetch(req);
  // Lazy chunks and source maps that were not precached are kept once fetched.
  if (res.ok && res.type === 'basic') cache.put(req, res.clone());
  return res;
}

/** The request in a shell cache of an earlier build, if one is kept (only names that exist: caches.open would create one). */
async function matchPreviousBuild(req) {
  const names = (await caches.keys()).filter((n) => n.startsWith(SHELL_PREFIX) && n !== SHELL_CACHE).reverse();
  for (const name of names) {
    const hit = await (await caches.open(name)).match(req, { ignoreSearch: true });
    if (hit) return hit;
  }
  return undefined;
}

/** Network only: the app keeps its own data in IndexedDB, so API reads are never served stale. */
async function handleApiGet(req) {
  return fetch(req);
}

/** Cache first for GET /api/blobs/<sha256>: the name is the content, so a hit is always right. */
async function handleBlob(req) {
  const cache = await caches.open(BLOB_CACHE);
  const hit = await cache.match(req.url);
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok) await cache.put(req.url, res.clone());
  return res;
}

function fetchWithTimeout(req, ms) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), ms);
  return fetch(req, { signal: ctrl.signal }).finally(() => clearTimeout(timer));
}

// ---- push -------------------------------------------------------------------------------------
self.addEventListener('push', (event) => event.waitUntil(showReminder(event)));

// A phone shows one notification per tag, a new one replacing the one before (renotify: it still
// alerts). The server tags a case's clock reminders case-<id> (the overdue one replaces its due-soon),
// an emergency emergency-<id> and a decision asked of someone referral-<id> (server/notify/reminders.py
// payload_for), so a routine reminder about the same case never takes an urgent one's place. The kinds
// are kept apart here too, whatever tag a reminder stored before that came with.
const URGENT_TAG = { escalation: 'emergency', summons: 'summons', referral: 'referral', referral_others: 'referral' };

function reminderTag(data) {
  const urgent = URGENT_TAG[data.kind];
  if (urgent && data.case_id) return `${urgent}-${data.case_id}`;
  return data.tag || (data.case_id ? `case-${data.case_id}` : data.job_id ? `job-${data.job_id}` : 'estatedesk');
}

/** One notification per reminder, in the language the person chose in the app. */
async function showReminder(event) {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : '' };
  }
  let lang = 'zh';
  try {
    lang = await self.EstateDeskSW.lang();
  } catch {
    /* IndexedDB unavailable: Chinese, the app's default */
  }
  const en = lang === 'en';
  const tag = reminderTag(data);
  const url = data.url || (data.job_id ? `/#/job/${encodeURIComponent(data.job_id)}` : '/#/reminders');
  return self.registration.showNotification((en && data.title_en) || data.title || (en ? 'EstateDesk reminder' : '物业服务台提醒'), {
    body: (en && data.body_en) || data.body || (en ? 'You have a new job message' : '您有新的工单消息'),
    tag, // one per case, emergency or referral (reminderTag): a repeat replaces the previous one
    renotify: true,
    icon: '/icons/icon-192.png',
    badge: '/icons/badge-96.png',
    lang: en ? 'en' : 'zh-CN',
    data: { ...data, url },
    actions: [{ action: 'open', title: en ? 'Open' : '打开工单' }],
  });
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || '/', self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await clients.matchAll({ type: 'window', includeUncontrolled: true });
      const client = windows.find((c) => c.focused) || windows[0];
      if (client) {
        const onApp = new URL(client.url).pathname === new URL(target).pathname;
        // Inside the app a hash change keeps it running (and its state); elsewhere, navigate.
        // Navigate before focusing: a refused focus() must not lose the navigation.
        if (onApp) client.postMessage({ type: 'navigate', url: target });
        else if (client.navigate) await client.navigate(target);
        else await clients.openWindow(target);
        await client.focus().catch(() => {});
        return;
      }
      await clients.openWindow(target);
    })(),
  );
});

self.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil(self.EstateDeskSW.resubscribe(self.registration, event.oldSubscription).catch(() => null));
});

// ---- Background Sync --------------------------------------------------------------------------
self.addEventListener('sync', (event) => {
  if (event.tag === 'outbox') event.waitUntil(self.EstateDeskSW.flushOutbox());
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'skip-waiting') self.skipWaiting();
});
