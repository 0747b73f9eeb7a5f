// A satisfaction rate's figure, shared by the monthly report and the desk's survey page (R-RV-3,
// D139). An area no returned ballot graded has no rate: the server sends it with `graded: 0` and
// no value, and it reads 未评 / not graded — 0.00 % would say every resident was unsatisfied, and the
// chart's missing bar looks like a 0 % one, so the chart writes it there too. With no ballot back at all every
// area is "—". A report signed before the graded count existed (D103) carries none: shown as it was.
import { registerStrings, t } from '../i18n.js';

registerStrings({
  zh: { 'sat.not_graded': '未评' },
  en: { 'sat.not_graded': 'not graded' },
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
 * A Chart.js plugin for the horizontal satisfaction chart: where an area nobody graded has no bar, it
 * writes 未评 / not graded at the start of the bar's row, so the gap does not read as 0 % (R-RV-3). Drawn
 * in the plot, not added to the labels: the chart keeps its height (on paper it must stay on page 1).
 * `rates` are the chart's rows in order; `size` the label type's px.
 */
export function notGradedMarks(rates, size = 11) {
  return {
    id: 'notGradedMarks',
    afterDatasetsDraw(chart) {
      const { ctx, scales } = chart;
      const text = t('sat.not_graded');
      ctx.save();
      ctx.fillStyle = '#5f6b7a';
      ctx.font = `${size}px ${globalThis.getComputedStyle?.(chart.canvas).fontFamily || 'sans-serif'}`;
      ctx.textBaseline = 'middle';
      ctx.textAlign = 'left';
      rates.forEach((r, i) => {
        if (notGraded(r)) ctx.fillText(text, scales.x.getPixelForValue(0) + 4, scales.y.getPixelForValue(i));
      });
      ctx.restore();
    },
  };
}
