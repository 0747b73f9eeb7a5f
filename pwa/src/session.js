// Who is signed in on this phone: login, logout and the in-memory copy of the session that
// views read synchronously. The session itself lives in IndexedDB (kv 'session').
import { del, post, setToken } from './api.js';
import { emit } from './bus.js';
import { claimDataFor, clearSession, getSession, rememberAccount, setSession } from './db.js';
import { setDisplayZone } from './zone.js';

let current = null;

export function currentSession() {
  return current;
}

export function currentUser() {
  return current?.user || null;
}

export async function loadSession() {
  current = (await getSession()) || null;
  setToken(current && !current.revoked ? current.token : null);
  setDisplayZone(current?.user?.time_zone);
  return current;
}

export async function login(username, password, deviceName) {
  const res = await post('/api/auth/login', { username, password, device_name: deviceName }, { auth: false });
  await claimDataFor(res.user.id);
  current = { token: res.token, device_id: res.device_id, user: res.user, logged_in_at: new Date().toISOString() };
  setDisplayZone(res.user.time_zone);
  await setSession(current);
  await rememberAccount(res.user);
  setToken(current.token);
  emit('session', { user_id: res.user.id });
  requestPersistentStorage();
  return current;
}

/** The server revoked our token: keep the user (and the outbox) but ask for a new login. */
export async function markRevoked() {
  const s = await getSession();
  if (!s) return;
  s.revoked = true;
  await setSession(s);
  current = s;
  setToken(null);
  emit('session', { revoked: true });
}

/**
 * Ends the session on this phone. The outbox is NOT touched: unsent intents stay and are sent
 * with this user's next session. Server-side revocation is best effort (offline logout works).
 */
export async function logout() {
  try {
    if (current?.token && !current.revoked) {
      // Stop pushes to this device first; the token is still valid for this one call.
      await del('/api/push/subscriptions', { timeoutMs: 5000 }).catch(() => null);
      await post('/api/auth/logout', {}, { timeoutMs: 5000 });
    }
  } catch {
    /* offline or already revoked: the token is forgotten locally either way */
  }
  // Also here, not only at sign-in: a session begun before accounts were recorded still leaves its
  // name for the sign-in page to say whose unsent records wait (D113).
  if (current?.user) await rememberAccount(current.user).catch(() => null);
  await clearSession();
  current = null;
  setToken(null);
  emit('session', { user_id: null });
}

/** Guarantee 6: ask the browser not to evict our IndexedDB under storage pressure. */
export async function requestPersistentStorage() {
  try {
    if (navigator.storage?.persist && !(await navigator.storage.persisted())) return await navigator.storage.persist();
    return true;
  } catch {
    return false;
  }
}
