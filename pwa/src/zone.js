// Wall-clock times are shown and entered in the compound's time zone (the server's business
// calendar), not the device's: a desk PC or phone set to another zone must still show the same
// 09:00 as the case number, the slips and the reports. Until the server has told us the zone
// (a session from an older version), the device's own zone is used.

let zone; // IANA name, or undefined = the device's zone

function valid(tz) {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function setDisplayZone(tz) {
  zone = typeof tz === 'string' && tz && valid(tz) ? tz : undefined;
}

/** The zone for Intl/toLocaleString options (`{ timeZone: displayZone() }`). */
export function displayZone() {
  return zone;
}

const partsFormatters = new Map();

/** Calendar fields of an instant in the display zone: {year, month (1–12), day, hour, minute, second}. */
export function zonedParts(date) {
  const key = zone || '';
  let fmt = partsFormatters.get(key);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    partsFormatters.set(key, fmt);
  }
  const out = {};
  for (const p of fmt.formatToParts(date)) {
    if (p.type !== 'literal' && p.type !== 'dayPeriod') out[p.type] = Number(p.value);
  }
  return { year: out.year, month: out.month, day: out.day, hour: out.hour, minute: out.minute, second: out.second };
}

const pad = (n) => String(n).padStart(2, '0');

/** An instant as the value of a `datetime-local` input, in the display zone ('2026-11-23T09:05'). */
export function toZonedInput(ms) {
  const p = zonedParts(new Date(ms));
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/** An instant's date in the display zone, as the value of a `date` input ('2026-11-23'). */
export function toZonedDate(ms) {
  const p = zonedParts(new Date(ms));
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/**
 * The instant a wall-clock time in the display zone names ('2026-11-23T09:05' or '2026-11-23'),
 * or null. The zone's offset is read at the instant itself, twice, so a DST change between the
 * guess and the answer is followed.
 */
export function zonedToDate(local) {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(local || '');
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0));
  let t = wall;
  for (let i = 0; i < 2; i += 1) {
    const p = zonedParts(new Date(t));
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    t = wall - (shown - t);
  }
  return new Date(t);
}

/** `datetime-local` value in the display zone → ISO UTC string, or null. */
export function zonedToIso(local) {
  const d = zonedToDate(local);
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : null;
}

// How the app writes a time, the same in Chinese and English (D81): '12/07 16:50' in the current
// year, '2025/12/07 16:50' in another one, month before day as both languages' screens already had
// it, 24-hour, no seconds and no locale commas. A printed document (`year: true`) always carries the
// year: paper is filed and read years later. "The current year" is the display zone's year at
// `nowMs`, which callers pass as the server's clock (guarantee 4).
function dayText(y, m, d, nowMs, year) {
  const sameYear = !year && y === zonedParts(new Date(nowMs)).year;
  return sameYear ? `${pad(m)}/${pad(d)}` : `${y}/${pad(m)}/${pad(d)}`;
}

/** An instant as shown: '12/07 16:50', '2025/12/07 16:50'; `year: true` always with the year. '' for none. */
export function formatInstant(iso, { nowMs = Date.now(), year = false, seconds = false } = {}) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const p = zonedParts(date);
  const time = `${pad(p.hour)}:${pad(p.minute)}${seconds ? `:${pad(p.second)}` : ''}`;
  return `${dayText(p.year, p.month, p.day, nowMs, year)} ${time}`;
}

/** A calendar day ('2026-11-21', as the server names days) as shown: '11/21', '2025/11/21'. */
export function formatDay(day, { nowMs = Date.now(), year = false } = {}) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  if (!m) return day ? String(day) : '';
  return dayText(+m[1], +m[2], +m[3], nowMs, year);
}
