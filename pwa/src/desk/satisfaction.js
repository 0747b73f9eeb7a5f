// A satisfaction rate's figure, shared by the monthly report and the desk's survey page (R-RV-3,
// DNEW-survey). An area no returned ballot graded has no rate: the server sends it with `graded: 0` and
// no value, and it reads 未评 / not graded — 0.00 % would say every resident was unsatisfied, and the
// chart's missing bar looks like a 0 % one, so its label says it too. With no ballot back at all every
// area is "—". A report signed before the graded count existed (D103) carries none: shown as it was.
import { registerStrings, t } from '../i18n.js';

registerStrings({
  zh: { 'sat.not_graded': '未评', 'sat.not_graded_mark': '（未评）', 'sat.not_graded_label': '{name}（未评）' },
  en: { 'sat.not_graded': 'not graded', 'sat.not_graded_mark': '(not graded)', 'sat.not_graded_label': '{name} (not graded)' },
});

/** Ballots came back and none graded this area. */
export function notGraded(rate) {
  return rate.graded === 0 && rate.denominator > 0;
}

/** '87.50%', '—' (no ballot back) or '未评' (none graded it). */
export function satisfactionText(rate) {
  if (notGraded(rate)) return t('sat.not_graded');
  return rate.value === null || rate.value === undefined ? '—' : `${rate.value.toFixed(2)}%`;
}

/**
 * The area's chart label, made into lines by `wrap` (the chart's wrapLabel), saying 未评 when nobody
 * graded it: its bar is missing, which would otherwise read as 0 %. The mark goes on the name's last
 * line when it fits there (paper counts every line: the chart must stay on page 1), else on its own.
 */
export function satisfactionLabel(rate, name, wrap = (x) => x) {
  const plain = wrap(name);
  if (!notGraded(rate)) return plain;
  const lines = (x) => [].concat(x).length;
  const joined = wrap(t('sat.not_graded_label', { name }));
  return lines(joined) === lines(plain) ? joined : [...[].concat(plain), t('sat.not_graded_mark')];
}
