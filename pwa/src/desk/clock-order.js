// The order of a case's clocks wherever the desk lists them (R-FU-1..9): by due time, then by rule
// (R-FU-4 before R-FU-10), met and stopped ones in their place, so the end-of-day follow-up
// (R-FU-2) of a morning case comes after its 2-hour one (R-FU-1) even once that one is met.
// Instants are compared as times, not as strings (an offset or a fraction changes the string).
export function sortedClocks(clocks) {
  return [...clocks].sort((a, b) => (Date.parse(a.due_at) - Date.parse(b.due_at))
    || String(a.rule).localeCompare(String(b.rule), 'en', { numeric: true }) || String(a.code).localeCompare(String(b.code)));
}
