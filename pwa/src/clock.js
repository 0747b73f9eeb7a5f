// Server time on the phone (guarantee 4): every deadline and countdown is measured against
// serverNow(), built from the offset that sync.js estimates from server_time; an outbox entry keeps
// serverNow() at the tap, which places the step on the server (D128).
import { on } from './bus.js';
import { kvGet } from './db.js';
import { t, registerStrings } from './i18n.js';
import { formatInstant } from './zone.js';

let offsetMs = 0;
// Whether this phone has ever measured its offset (a sync reached the server, here or before a reload).
let offsetKnown = false;
// This page load's last sync, on the monotonic clock: {serverMs, monoMs}. In memory only, since
// performance.now() starts again with each page.
let anchor = null;

const monoNow = () => globalThis.performance?.now?.();

export async function loadOffset() {
  const stored = await kvGet('serverOffsetMs');
  if (Number.isFinite(stored) && !anchor) {
    offsetMs = stored;
    offsetKnown = true;
  }
  return offsetMs;
}
// sync.js (here, in another tab or in the SW) publishes each new estimate the moment it makes it, so
// the wall clock read here is the one it was measured against.
on('clock', (d) => {
  if (!Number.isFinite(d.offsetMs)) return;
  offsetMs = d.offsetMs;
  offsetKnown = true;
  const mono = monoNow();
  anchor = Number.isFinite(mono) ? { serverMs: Date.now() + offsetMs, monoMs: mono } : null;
});

/** A device-clock ISO time as the server clock would have read it (for optimistic display). */
export function toServerTime(deviceIso) {
  const ms = Date.parse(deviceIso);
  return Number.isFinite(ms) ? new Date(ms + offsetMs).toISOString() : deviceIso;
}

/**
 * Server time now, as well as this phone can tell (design guarantee 4). Two readings:
 * - the anchor of this page load's last sync moved on by performance.now(): immune to anyone changing
 *   the wall clock, but performance.now() may pause while the device sleeps, so it can lag (read too
 *   early), never run ahead;
 * - the wall clock plus the offset: right unless the wall clock was changed since the last sync.
 * The later of the two is right in both cases: asleep, the wall clock wins; a wall clock set back
 * (to tap "arrived" as if on time, or a fast clock corrected) cannot pull the estimate earlier while
 * the page lives. What it cannot catch: a clock set forward since the sync (then it reads late, which
 * counts against the phone, and the server never places a step after it heard of it), and a clock set
 * back before a reload (no anchor; the server's D35 reading is no better then).
 */
export function serverNow() {
  const wall = Date.now() + offsetMs;
  if (!anchor) return wall;
  return Math.max(wall, anchor.serverMs + (monoNow() - anchor.monoMs));
}

/** Whether serverNow() is more than the bare wall clock: an offset was measured on this phone. */
export function hasOffset() {
  return offsetKnown;
}

/**
 * When an outbox entry's step happened, on the server's clock: the phone's estimate at the tap when
 * it made one (what the server counts, D128), else its device_time moved by today's offset.
 */
export function entryTime(entry) {
  return entry?.server_time_est || toServerTime(entry?.device_time);
}

export function getOffsetMs() {
  return offsetMs;
}

registerStrings({
  zh: {
    'clock.left': '剩余 {d}',
    'clock.overdue': '已超时 {d}',
    'clock.days': '{n} 天',
    'clock.hours': '{n} 小时',
    'clock.minutes': '{n} 分钟',
    'clock.just_now': '刚刚',
    'clock.ago': '{d}前',
  },
  en: {
    'clock.left': '{d} left',
    'clock.overdue': 'Overdue by {d}',
    'clock.days': '{n} d',
    'clock.hours': '{n} h',
    'clock.minutes': '{n} min',
    'clock.just_now': 'just now',
    'clock.ago': '{d} ago',
  },
});

/**
 * '2 小时 5 分钟' / '2 h 5 min' — the two largest units, each number spaced from its unit as the desk
 * writes a span ('20 min', D81); the countdown shown on its own starts with a capital (D83, D84).
 */
export function formatDuration(ms) {
  const m = Math.max(0, Math.floor(Math.abs(ms) / 60000));
  const days = Math.floor(m / 1440);
  const hours = Math.floor((m % 1440) / 60);
  const mins = m % 60;
  const parts = [];
  if (days) parts.push(t('clock.days', { n: days }));
  if (hours || days) parts.push(t('clock.hours', { n: hours }));
  if (!days) parts.push(t('clock.minutes', { n: mins }));
  return parts.slice(0, 2).join(' ');
}

/** {text, overdue, ms} for a deadline given as an ISO string, against server time. */
export function countdown(dueIso, now = serverNow()) {
  const due = Date.parse(dueIso);
  if (!Number.isFinite(due)) return null;
  const ms = due - now;
  return ms >= 0
    ? { ms, overdue: false, text: t('clock.left', { d: formatDuration(ms) }) }
    : { ms, overdue: true, text: t('clock.overdue', { d: formatDuration(ms) }) };
}

/** A time as the desk writes it (zone.js formatInstant, D81): '12/07 16:50', another year '2025/12/07 16:50'. */
export function formatDateTime(iso) {
  return formatInstant(iso, { nowMs: serverNow() });
}

/** A time on a document the resident signs or keeps (the service slip): always with the year. */
export function formatFullDateTime(iso) {
  return formatInstant(iso, { nowMs: serverNow(), year: true });
}

/** '3分钟前' for the sync bar (device clock is fine here: both times are the device's). */
export function formatAgo(iso) {
  if (!iso) return '';
  const ms = Date.now() - Date.parse(iso);
  if (!Number.isFinite(ms)) return '';
  if (ms < 60000) return t('clock.just_now');
  return t('clock.ago', { d: formatDuration(ms) });
}

export function formatFee(cents) {
  if (cents === null || cents === undefined || cents === '') return '';
  return `¥${(Number(cents) / 100).toFixed(2)}`;
}
