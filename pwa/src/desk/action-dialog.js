// The desk's form dialog: fields, a submit that posts and resolves with the case's new view, and the
// missing required fields named in the app's words. Shared by the case page and the intake's done panel.
import { missingRequired, openDialog } from '../dom.js';
import { joinList } from '../i18n.js';
import { errorBox } from './common.js';

/**
 * A form dialog. build() returns {fields, body()}; body() gives the JSON to send or throws a
 * string to show. submit(body) posts and resolves with the new view. `rule` names the rules the
 * dialog serves as the title's tooltip only: desk staff do not read rule numbers.
 */
export function actionDialog(ctx, title, fields, submit, { hint, rule, submitText, danger } = {}) {
  const { h, t } = ctx;
  return openDialog((close) => {
    const err = errorBox(h);
    const btn = h('button', { type: 'submit', class: ['btn', danger ? 'btn-danger' : 'btn-primary'], 'data-testid': 'dialog-submit' }, submitText || t('desk.submit'));
    const form = h('form', {
      class: 'desk-dialog-form',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        err.clear();
        const missing = missingRequired(form);
        if (missing.length) {
          err.show(t('desk.missing', { list: joinList(missing) }), t);
          return;
        }
        btn.disabled = true;
        try {
          close(await submit());
        } catch (ex) {
          err.show(typeof ex === 'string' ? ex : ex, t);
          btn.disabled = false;
        }
      },
    },
    h('h2', { class: 'dialog-title', text: title, title: rule }),
    hint ? h('p', { class: 'muted small', text: hint }) : null,
    fields,
    err.el,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => close(undefined) }, t('desk.cancel')),
      btn));
    return form;
  }, { className: 'desk-dialog' });
}
