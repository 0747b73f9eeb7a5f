// Entry point of dist/sw-lib.js, which service-worker.js loads with importScripts(): the app's own
// IndexedDB, outbox and sync code, so Background Sync and pushsubscriptionchange reuse it instead
// of a second implementation. Exposes self.EstateDeskSW.
import { setToken } from './api.js';
import { getSession, kvGet } from './db.js';
import { fetchVapidKey, registerSubscription, urlBase64ToUint8Array } from './push.js';
import { syncNow } from './sync.js';

async function withSession(fn) {
  const session = await getSession();
  if (!session?.token || session.revoked) return null;
  setToken(session.token);
  return fn(session);
}

self.EstateDeskSW = {
  /** The language the person chose in the app ('zh' unless they switched to English). */
  lang: async () => ((await kvGet('lang')) === 'en' ? 'en' : 'zh'),

  /** Background Sync 'outbox': throws on failure so the browser schedules a retry. */
  flushOutbox: () => syncNow({ throwOnFailure: true }),

  /** pushsubscriptionchange: subscribe again with the server's key and report the new endpoint. */
  async resubscribe(registration, oldSubscription) {
    return withSession(async () => {
      let key = oldSubscription?.options?.applicationServerKey || null;
      if (!key) key = urlBase64ToUint8Array(await fetchVapidKey());
      const sub = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      await registerSubscription(sub);
      return sub;
    });
  },
};
