// Change notifications between modules, tabs and the service worker: emit() reaches listeners in
// this context and, through a BroadcastChannel, every other page and the SW of this origin.
// Event types: 'outbox' (entries added or changed), 'data' (pull applied), 'sync' (status).

const target = new EventTarget();
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('estatedesk') : null;
// Node (the unit tests import view modules) would otherwise stay alive for the open channel.
channel?.unref?.();

if (channel) {
  channel.onmessage = (ev) => {
    const { type, detail } = ev.data || {};
    if (type) target.dispatchEvent(new CustomEvent(type, { detail: { ...detail, remote: true } }));
  };
}

/** `local`: for this context's listeners only (a state taken over from another context, not to echo back). */
export function emit(type, detail = {}, { local = false } = {}) {
  target.dispatchEvent(new CustomEvent(type, { detail }));
  if (local) return;
  try {
    channel?.postMessage({ type, detail });
  } catch {
    /* detail not cloneable: local listeners still got it */
  }
}

/** on('outbox', fn) → unsubscribe function. */
export function on(type, fn) {
  const handler = (ev) => fn(ev.detail || {});
  target.addEventListener(type, handler);
  return () => target.removeEventListener(type, handler);
}
