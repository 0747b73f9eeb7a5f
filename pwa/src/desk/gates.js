// 出入口 / Gates: the manager names the compound's gates on the release-slip page (#/slips). Codes are
// what slips and their QR carry and cannot be edited here (a new code is a new gate); names and order
// are what people read. Saved as a whole with PUT /api/gates; the server refuses a gate that an
// issued, unexpired slip still names (gate.in_use, D46) and the refusal is shown beside the list,
// with the draft kept so the manager can put the gate back or rename it instead.
import { getLang, paren } from '../i18n.js';
import { mount } from '../dom.js';
import {
  MAX_NAME, addGate, addProblem, gatesBody, listProblems, moveGate, removeGate, renameGate, sameGates,
} from './gate-list.js';

const en = () => getLang() === 'en';

/** The server's refusal as the manager reads it: the message in the page's language, then its code. */
function refusalParts(err) {
  if (typeof err === 'string') return { text: err, code: '' };
  const zh = err?.message_zh ?? err?.message;
  const text = (en() ? err?.message_en || zh : zh || err?.message_en) || String(err);
  return { text, code: err?.code || '' };
}

/**
 * The card. `onSaved(gates)` runs after a save the server accepted, with the list it stored.
 * Returns the element; it keeps its own draft, so the slip page's refresh timer does not touch it.
 */
export function gatesCard(ctx, { gates, onSaved }) {
  const { h, t, api } = ctx;
  let saved = gates.map((g) => ({ ...g }));
  let draft = saved.map((g) => ({ ...g }));

  const errText = h('span', { class: 'rs-gates-error-text' });
  const errCode = h('code', { class: 'rs-gates-error-code' });
  const err = h('div', { class: 'desk-error rs-error rs-gates-error', role: 'alert', 'data-testid': 'gates-error', hidden: true }, errText, ' ', errCode);
  const showError = (e) => {
    const { text, code } = refusalParts(e);
    errText.textContent = text;
    errCode.textContent = code;
    errCode.hidden = !code;
    err.dataset.code = code;
    err.hidden = false;
  };
  const clearError = () => {
    err.hidden = true;
    err.dataset.code = '';
    errText.textContent = '';
    errCode.textContent = '';
  };

  const rowsBody = h('tbody');
  const status = h('span', { class: 'muted small rs-gates-status', 'data-testid': 'gates-status', 'aria-live': 'polite' });
  const saveBtn = h('button', { type: 'button', class: 'btn btn-primary btn-small', 'data-action': 'gates-save' }, t('rs.gates.save'));
  const discardBtn = h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'gates-discard' }, t('rs.gates.discard'));
  const newCode = h('input', { type: 'text', name: 'new_gate_code', maxlength: '6', autocomplete: 'off', class: 'rs-gates-code-input', placeholder: 'W', 'aria-label': t('rs.gates.new_code') });
  const newName = h('input', { type: 'text', name: 'new_gate_name', maxlength: String(MAX_NAME), autocomplete: 'off', placeholder: t('rs.gates.new_name_ph'), 'aria-label': t('rs.gates.new_name') });
  const addBtn = h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'gates-add' }, t('rs.gates.add'));

  const problemText = (problem, code) => t(`rs.gates.problem.${problem}`, { code });

  function refresh() {
    const dirty = !sameGates(draft, saved);
    status.textContent = dirty ? t('rs.gates.dirty') : '';
    saveBtn.disabled = !dirty;
    discardBtn.hidden = !dirty;
    const label = (g) => paren(g.name.trim() || g.code, g.code);
    mount(rowsBody, draft.length ? draft.map((g, i) => h('tr', { class: 'rs-gate-row', dataset: { gate: g.code } },
      h('td', { class: 'num muted', text: String(i + 1) }),
      h('td', null, h('span', { class: 'rs-code', text: g.code })),
      h('td', null, h('input', {
        type: 'text', name: 'gate_name', value: g.name, maxlength: String(MAX_NAME), autocomplete: 'off',
        'aria-label': t('rs.gates.name_of', { code: g.code }),
        oninput: (e) => {
          draft = renameGate(draft, i, e.target.value);
          const d = !sameGates(draft, saved);
          status.textContent = d ? t('rs.gates.dirty') : '';
          saveBtn.disabled = !d;
          discardBtn.hidden = !d;
        },
      })),
      h('td', { class: 'rs-gate-actions nowrap' },
        h('button', { type: 'button', class: 'btn btn-small rs-gate-move', 'data-action': 'gate-up', disabled: i === 0, title: t('rs.gates.up'), 'aria-label': `${t('rs.gates.up')} ${label(g)}`, onclick: () => { draft = moveGate(draft, i, -1); refresh(); } }, '↑'),
        h('button', { type: 'button', class: 'btn btn-small rs-gate-move', 'data-action': 'gate-down', disabled: i === draft.length - 1, title: t('rs.gates.down'), 'aria-label': `${t('rs.gates.down')} ${label(g)}`, onclick: () => { draft = moveGate(draft, i, 1); refresh(); } }, '↓'),
        h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', 'data-action': 'gate-remove', 'aria-label': `${t('rs.gates.remove')} ${label(g)}`, onclick: () => { draft = removeGate(draft, i); refresh(); } }, t('rs.gates.remove'))))) : h('tr', null, h('td', { colspan: '4', class: 'muted small', text: t('rs.gates.empty') })));
  }

  addBtn.addEventListener('click', () => {
    clearError();
    const problem = addProblem(draft, newCode.value, newName.value);
    if (problem) {
      showError(problemText(problem, newCode.value.trim().toUpperCase()));
      (problem === 'no_name' || problem === 'long_name' ? newName : newCode).focus();
      return;
    }
    draft = addGate(draft, newCode.value, newName.value);
    newCode.value = '';
    newName.value = '';
    refresh();
    newCode.focus();
  });
  for (const input of [newCode, newName]) {
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        addBtn.click();
      }
    });
  }
  discardBtn.addEventListener('click', () => {
    clearError();
    draft = saved.map((g) => ({ ...g }));
    refresh();
  });
  saveBtn.addEventListener('click', async () => {
    clearError();
    const [first] = listProblems(draft);
    if (first) {
      showError(problemText(first.problem, draft[first.index]?.code || ''));
      return;
    }
    saveBtn.disabled = true;
    try {
      const view = await api.put('/api/gates', gatesBody(draft));
      saved = view.gates.map((g) => ({ ...g }));
      draft = saved.map((g) => ({ ...g }));
      refresh();
      ctx.toast(t('rs.gates.saved'), 'ok');
      onSaved?.(saved);
    } catch (e) {
      // Refused: the server changed nothing; the draft stays, marked unsaved, beside the reason.
      showError(e);
      refresh();
    }
  });

  refresh();
  return h('section', { class: 'card rs-gates-card', 'data-testid': 'gates-card' },
    h('h2', { text: t('rs.gates.title') }),
    h('p', { class: 'muted small', text: t('rs.gates.hint') }),
    err,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table rs-gates-table' },
      h('thead', null, h('tr', null,
        h('th', { text: t('rs.gates.col.order') }), h('th', { text: t('rs.gates.col.code') }),
        h('th', { text: t('rs.gates.col.name') }), h('th', { text: t('rs.gates.col.actions') }))),
      rowsBody)),
    h('div', { class: 'rs-gates-add' }, newCode, newName, addBtn),
    h('p', { class: 'muted small rs-gates-note', text: t('rs.gates.code_hint') }),
    h('div', { class: 'rs-gates-foot' }, status, discardBtn, saveBtn));
}
