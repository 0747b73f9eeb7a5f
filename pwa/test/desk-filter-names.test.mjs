// The case list's filters say which filter a chosen value belongs to: a closed select showed only
// "报修" or "已完工", and 分类's "投诉" (a help request about a complaint) read like the kind 投诉.
// The chosen option reads "类别：报修" / "Kind: Repair", as the unset one reads "类别：全部".
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { registerStrings, setLang } from '../src/i18n.js';
import { registerDeskStrings } from '../src/desk/strings.js';
import { filterOptionText, nameChosenOption } from '../src/desk/case-filters.js';

registerDeskStrings(registerStrings);

// What the browser's <select> gives the page: options with value, selected and text.
function fakeSelect(values, chosen) {
  return { options: values.map(([value, text]) => ({ value, selected: value === chosen, textContent: text, dataset: {} })) };
}
const texts = (sel) => sel.options.map((o) => o.textContent);

test('a chosen filter value is shown with the name of its filter, in either language', () => {
  setLang('zh');
  assert.equal(filterOptionText('类别', '报修', true), '类别：报修');
  assert.equal(filterOptionText('类别', '报修', false), '报修');
  setLang('en');
  assert.equal(filterOptionText('State', 'Completed', true), 'State: Completed');
  setLang('zh');
});

test('only the chosen option carries the name; the open list reads values, and a new choice moves it', () => {
  setLang('zh');
  const sel = fakeSelect([['', '状态：全部'], ['completed', '已完工'], ['closed', '已销项']], 'completed');
  nameChosenOption(sel, '状态');
  assert.deepEqual(texts(sel), ['状态：全部', '状态：已完工', '已销项']);
  assert.equal(sel.title, '状态：已完工'); // the whole choice, should the bar clip it
  sel.options[1].selected = false;
  sel.options[2].selected = true;
  nameChosenOption(sel, '状态');
  assert.deepEqual(texts(sel), ['状态：全部', '已完工', '状态：已销项']); // never "状态：状态：…"
  sel.options[2].selected = false;
  sel.options[0].selected = true;
  nameChosenOption(sel, '状态');
  assert.deepEqual(texts(sel), ['状态：全部', '已完工', '已销项']);
});
