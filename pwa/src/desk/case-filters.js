// The case list's filter selects say which filter a chosen value belongs to. A closed <select>
// shows only its chosen option's text, so 状态 set to 已完工 read "已完工", and 分类's 投诉 (a help
// request about a complaint) looked like the kind 投诉. The chosen option reads "类别：报修" /
// "Kind: Repair", as the unset one already reads "类别：全部"; the open list keeps the bare values.
import { colon } from '../i18n.js';

/** An option's text: the chosen one names its filter ("状态：已完工"), the others read their value. */
export function filterOptionText(filterName, text, chosen) {
  return chosen ? colon(filterName, text) : text;
}

/**
 * Name the filter on the select's chosen option, and only there: call after every choice and after
 * the options are rebuilt. The bare text is kept on the option (data-text), so a later choice moves
 * the name instead of stacking it. The empty option ("类别：全部") names its filter already.
 */
export function nameChosenOption(sel, filterName) {
  let shown = '';
  for (const o of sel.options) {
    if (o.dataset.text === undefined) o.dataset.text = o.textContent;
    o.textContent = filterOptionText(filterName, o.dataset.text, o.selected && o.value !== '');
    if (o.selected) shown = o.textContent;
  }
  // A long value (a help kind listing six crimes) is clipped in the bar: the tooltip says it whole.
  sel.title = shown;
}
