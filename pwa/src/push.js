// Web Push opt-in. The subscription is only ever reported as working when the browser's push
// service really returned one and the server stored it; otherwise the person is told that push
// is unavailable and reminders arrive through the in-app inbox (entity 'reminder' in the feed).
import { get, post } from './api.js';

export function urlBase64ToUint8Array(base64) {
  const pad = '='.repeat((4 - (base64.length % 4)) % 4);
  const raw = atob((base64 + pad).replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/** GET /api/push/vapid-key; accepts {public_key} | {key} | {vapid_public_key} | a bare string. */
export async function fetchVapidKey() {
  const data = await get('/api/push/vapid-key');
  const key = typeof data === 'string' ? data : data?.public_key || data?.key || data?.vapid_public_key || data?.publicKey;
  if (!key) throw new Error('no VAPID key in server answer');
  return key;
}

/** POST {endpoint, keys: {p256dh, auth}} to the server (used by the page and by the SW). */
export async function registerSubscription(sub) {
  const json = sub.toJSON();
  return post('/api/push/subscriptions', { endpoint: json.endpoint, keys: { p256dh: json.keys?.p256dh, auth: json.keys?.auth } });
}

export function pushEnvironment() {
  const nav = globalThis.navigator || {};
  const ua = nav.userAgent || '';
  const isIOS = /iPad|iPhone|iPod/.test(ua) || (ua.includes('Macintosh') && nav.maxTouchPoints > 1);
  const standalone = globalThis.matchMedia?.('(display-mode: standalone)').matches || nav.standalone === true;
  const supported = 'serviceWorker' in nav && 'PushManager' in globalThis && 'Notification' in globalThis;
  const permission = 'Notification' in globalThis ? Notification.permission : 'unsupported';
  return { isIOS, standalone, supported, permission };
}

/** Current state: 'subscribed' | 'not_subscribed' | 'denied' | 'unsupported'. */
export async function pushState() {
  const env = pushEnvironment();
  if (!env.supported) return 'unsupported';
  if (env.permission === 'denied') return 'denied';
  const reg = await navigator.serviceWorker.getRegistration();
  const sub = reg ? await reg.pushManager.getSubscription() : null;
  return sub ? 'subscribed' : 'not_subscribed';
}

/**
 * Must be called from a user gesture (a button click). Resolves to {ok: true} or
 * {ok: false, reason: 'unsupported'|'denied'|'dismissed'|'subscribe_failed'|'server', error, wire?}.
 * 'dismissed': the permission prompt was closed without an answer ('default'); asking again works,
 * unlike 'denied', which only the browser's site settings undo.
 */
export async function enablePush() {
  const env = pushEnvironment();
  if (!env.supported) return { ok: false, reason: 'unsupported' };
  const permission = await Notification.requestPermission();
  if (permission === 'denied') return { ok: false, reason: 'denied' };
  if (permission !== 'granted') return { ok: false, reason: 'dismissed' };
  const reg = await navigator.serviceWorker.ready;
  let sub;
  try {
    const key = await fetchVapidKey();
    sub = (await reg.pushManager.getSubscription()) ||
      (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlBase64ToUint8Array(key) }));
  } catch (error) {
    return { ok: false, reason: 'subscribe_failed', error: String(error?.message || error) };
  }
  try {
    await registerSubscription(sub);
  } catch (error) {
    // wire: the server's answer in both languages, so the page says it in its own (not the English one).
    return { ok: false, reason: 'server', error: String(error?.message || error), wire: error?.wire || null };
  }
  return { ok: true };
}
