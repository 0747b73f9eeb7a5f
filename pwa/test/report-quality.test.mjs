// The monthly report's as-of line, what signing warns of, and how a month without a report is labelled
// (R-RV-4, R-RV-5, R-FU-10).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { registerStrings, setLang, t } from '../src/i18n.js';
import { asOfText, signWarnings, unavailableMonthText } from '../src/desk/reports/index.js';
import { STRINGS } from '../src/desk/reports/strings.js';
import { setDisplayZone } from '../src/zone.js';

registerStrings(STRINGS);
setDisplayZone('Asia/Shanghai'); // the compound's zone, as the desk sets it

const quality = (over = {}) => ({
  weeks: [], unchecked_weeks: [], targets_missed: [], capa_owed: [], capa_needed: false, sign_warnings: [], ...over,
});

test('a whole month is counted to its last day; a live draft to the moment it was computed', () => {
  const whole = { year: 2026, month: 12, covers_whole_month: true };
  assert.equal(asOfText(t, whole), '统计截止：2026/12/31 月末（整月）');
  assert.equal(asOfText(t, { year: 2027, month: 2, covers_whole_month: true }), '统计截止：2027/02/28 月末（整月）');
  const live = asOfText(t, { year: 2027, month: 1, covers_whole_month: false, period_end: '2027-01-07T07:30:00Z' });
  assert.equal(live, '统计截止：2027/01/07 15:30（实时计算，至当前）');
});

test('signing a month with unchecked weeks and an owed CAPA report is warned of, naming the weeks', () => {
  const rep = { quality: quality({ unchecked_weeks: ['2026-12-14', '2026-12-28'], capa_owed: ['2026-12-07'],
    sign_warnings: ['weeks_unchecked', 'capa_missing'] }) };
  assert.deepEqual(signWarnings(t, rep), [
    '有 2 周未做质量检查（2026/12/14、2026/12/28 起的一周）',
    '1 周质量不合格，纠正预防措施报告未提交（2026/12/07 起的一周）',
  ]);
  setLang('en');
  try {
    assert.deepEqual(signWarnings(t, rep), [
      'No quality check for 2 weeks (starting 2026/12/14, 2026/12/28)',
      '1 poor week without a CAPA report filed (starting 2026/12/07)',
    ]);
  } finally {
    setLang('zh');
  }
});

test('missed targets with no CAPA report filed are warned of; a month with nothing outstanding is not', () => {
  assert.deepEqual(signWarnings(t, { quality: quality({ capa_needed: true, sign_warnings: ['capa_missing'] }) }),
    ['指标未达标，本月尚无纠正预防措施报告']);
  assert.deepEqual(signWarnings(t, { quality: quality() }), []);
  assert.deepEqual(signWarnings(t, {}), []);
});

test('a month before the compound or not begun is labelled; any other refusal is left to the error box', () => {
  assert.equal(unavailableMonthText(t, { code: 'monthly_report.before_compound', details: { first_month: '2026-11' } }),
    '该月早于本管理处启用的月份（2026年11月），没有月报。');
  assert.equal(unavailableMonthText(t, { code: 'monthly_report.month_not_begun', details: { opens_on: '2027-02-01' } }),
    '该月尚未开始，还没有月报。');
  assert.equal(unavailableMonthText(t, { code: 'auth.forbidden' }), null);
});
