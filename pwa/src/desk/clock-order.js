// The order of a case's clocks wherever the desk lists them (R-FU-1..9): by due time, then by rule
// (R-FU-4 before R-FU-10), met and stopped ones in their place, so the end-of-day follow-up
// (R-FU-2) of a morning case comes after its 2-hour one (R-FU-1) even once that one is met.
// Instants are compared as times, not as strings (an offset or a fraction changes the string).
export function sortedClocks(clocks) {
  return [...clocks].sort((a, b) => (Date.parse(a.due_at) - Date.parse(b.due_at))
    || String(a.rule).localeCompare(String(b.rule), 'en', { numeric: true }) || String(a.code).localeCompare(String(b.code)));
}

/**
 * What a clock that no longer runs says on the case page: met when its event was recorded, or stopped
 * unmet by the case's close or cannot-handle (D90). Closing stopped the second follow-up of a case and
 * the page called it 已完成 at the close, though none was ever recorded.
 */
export function stoppedClockText(c, t, fmt) {
  if (c.satisfied_at) return t('detail.clock_done', { t: fmt(c.satisfied_at) });
  if (c.stopped_at) {
    // D109: finished work stops the first and second follow-ups (nothing left to press).
    const key = { cannot_handle: 'detail.clock_stopped_cannot_handle', completed: 'detail.clock_stopped_completed' }[c.stopped_by]
      || 'detail.clock_stopped_closed';
    return t(key, { t: fmt(c.stopped_at) });
  }
  return t('detail.clock_stopped');
}
