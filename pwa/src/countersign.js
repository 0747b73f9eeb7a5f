// R-CL-6: the dispatcher countersigns the signed service slip and archives it (the basis for
// billing). The 调度员复核签字 line of every printed 服务单, the desk's and the phone's: who and when
// once countersigned in the system, otherwise blanks to sign on the paper.
import { colon, registerStrings } from './i18n.js';

registerStrings({
  zh: { 'slip.countersign_line': '调度员复核签字', 'slip.countersign_date': '日期' },
  en: { 'slip.countersign_line': "Dispatcher's countersignature", 'slip.countersign_date': 'Date' },
});

const BLANK = '________';

/**
 * The countersign line. `signed` is { by, at } as shown (a name, a formatted time), or null while
 * nobody has countersigned. With `lineClass` a blank is an empty span the page's CSS draws as a line
 * to write on (the desk's print); without, it is printed as underscores after the label's colon.
 */
export function countersignLine(h, t, signed, { cls = 'slip-countersign', lineClass = null } = {}) {
  const done = Boolean(signed?.by);
  const value = (text) => (lineClass
    ? h('span', { class: [lineClass, done ? 'is-filled' : ''], text })
    : h('span', { class: 'slip-countersign-value', text: text || BLANK }));
  // A no-break space after an English colon (the CSS keeps a Chinese one with its blank): a label
  // wider than the line wraps before its last word, never between the colon and the blank.
  const head = (key) => h('span', { text: lineClass ? t(key) : colon(t(key), '').replace(/ $/, '\u00a0') });
  const gap = lineClass ? ' ' : ''; // the colon already parts label and value
  // Each label travels with its blank: on a 360 px phone "日期：" was left at the end of one line and
  // its blank started the next, so the date could be written under the wrong label.
  const part = (key, text) => h('span', { class: 'countersign-part' }, head(key), gap, value(text));
  return h('p', { class: cls, 'data-testid': 'slip-countersign', title: 'R-CL-6' },
    part('slip.countersign_line', done ? signed.by : ''),
    ' ', part('slip.countersign_date', done ? signed.at || '' : ''));
}
