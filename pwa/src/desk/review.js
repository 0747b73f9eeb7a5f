// Monday review 周一回顾 (R-FU-3): last week's cases still open; each can be recorded as reviewed
// (a weekly_review follow-up) or opened to pass it to the manager.
import { mount } from '../dom.js';
import { clockText, countdownEl, errorBox, fmtTime, label } from './common.js';

export async function renderReview(body, ctx) {
  const { h, t, api } = ctx;
  const err = errorBox(h);
  const list = h('div');
  async function load() {
    const cases = await api.get('/api/review/monday');
    mount(list, cases.length ? h('table', { class: 'table desk-table', 'data-testid': 'monday-review' },
      h('thead', null, h('tr', null, ['list.no', 'list.received', 'list.kind', 'list.content', 'list.state', 'list.next_due', 'detail.actions'].map((k) => h('th', { text: t(k) })))),
      h('tbody', null, cases.map((c) => h('tr', { class: ['desk-row', c.overdue ? 'is-overdue' : ''] },
        h('td', null, h('a', { href: `#/case/${c.id}`, class: 'desk-case-no', text: c.no })),
        h('td', { text: fmtTime(c.received_at) }),
        h('td', { text: label('kind', c.kind) }),
        h('td', { text: `${c.content} · ${c.address || ''}` }),
        h('td', null, h('span', { class: `badge desk-state desk-state-${c.state}`, text: label('state', c.state) })),
        h('td', null, c.next_due ? [h('div', { class: 'small', text: clockText(c.next_due) }), countdownEl(h, c.next_due.due_at)] : null),
        h('td', null, h('button', { type: 'button', class: 'btn btn-small', onclick: async (e) => {
          e.target.disabled = true;
          try {
            await api.post(`/api/cases/${c.id}/follow-up`, { kind: 'weekly_review', note: '' }); // R-FU-3
            ctx.toast(t('desk.saved'), 'ok');
            await load();
          } catch (ex) {
            err.show(ex, t);
            e.target.disabled = false;
          }
        } }, t('review.record'))))))) : h('p', { class: 'empty', text: t('review.empty') }));
  }
  mount(body, h('section', { class: 'card' }, h('h1', { text: t('review.title') }), h('p', { class: 'muted small', text: t('review.hint') }), err.el, list));
  try {
    await load();
  } catch (e) {
    err.show(e, t);
  }
}
