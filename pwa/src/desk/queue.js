// The desk home's follow-up queue (R-FU-1..9, D90): what needs the desk now, with the clocks due later
// folded away. Every running clock used to be listed, so a case's Monday review six days off and a
// complaint's 15-day limit took the places of the clocks due this evening, and the badge counted them.
import { zonedParts, zonedToDate } from '../zone.js';

// However late in the day, a clock due within this long is the desk's now: at 23:30 the first
// follow-up of a case opened at 23:00 is due after midnight, and must not hide among "later".
// Two hours: a newly opened case's first follow-up (R-FU-1) is always there.
export const NOW_WINDOW_MS = 2 * 60 * 60 * 1000;

const pad = (n) => String(n).padStart(2, '0');

/** The end of the calendar day containing `nowMs` in the compound's zone (its next local midnight), as ms. */
export function endOfLocalDay(nowMs) {
  const p = zonedParts(new Date(nowMs));
  const next = new Date(Date.UTC(p.year, p.month - 1, p.day + 1));
  return zonedToDate(`${next.getUTCFullYear()}-${pad(next.getUTCMonth() + 1)}-${pad(next.getUTCDate())}`).getTime();
}

/**
 * Split the queue's items (`{due_at, overdue, ...}`, soonest first) into what needs the desk now —
 * overdue, due before the compound's day ends, or within NOW_WINDOW_MS — and what comes later.
 * Both keep the server's order. An item whose due time cannot be read is kept in `now`.
 */
export function splitQueue(items, nowMs) {
  const cutoff = Math.max(endOfLocalDay(nowMs), nowMs + NOW_WINDOW_MS);
  const now = [];
  const later = [];
  for (const it of items) {
    const due = Date.parse(it.due_at);
    (it.overdue || !(due >= cutoff) ? now : later).push(it);
  }
  return { now, later };
}
