// The resident's rating on a service slip (R-RV-3's grade, and their words), as the phone's slip and the
// desk's slip card and print show it: the grade on its row — 未评价 when the resident gave none — and the
// words on a row of their own (D145). Words alone under 住户评价 read as if they were the grade.
import { registerStrings, t } from './i18n.js';

registerStrings({
  zh: { 'slip.rating': '住户评价', 'slip.not_rated': '未评价', 'slip.opinion': '住户意见' },
  en: { 'slip.rating': "Resident's rating", 'slip.not_rated': 'Not rated', 'slip.opinion': "Resident's comments" },
});

/**
 * [[label, value], …] for a slip: the grade by `gradeName(grade)` (each screen names it its own way) or
 * 未评价, then the words when there are any. None for no slip.
 */
export function ratingRows(slip, gradeName) {
  if (!slip) return [];
  const words = String(slip.resident_opinion || '').trim();
  return [
    [t('slip.rating'), slip.resident_grade ? gradeName(slip.resident_grade) : t('slip.not_rated')],
    ...(words ? [[t('slip.opinion'), words]] : []),
  ];
}
