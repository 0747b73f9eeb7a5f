// 员工 / Staff (D129): the manager keeps the compound's people — adds a person with an initial
// password, edits a name, phone and emergency posts in the row (R-EM-2, D89: what the emergency panel
// lists and dials), deactivates or reactivates an account and sets a new password. The server decides
// (/api/staff/accounts): a person holding open work orders, or the last active manager, is refused, and
// the refusal is shown beside the table. Every change drops the desk's cached directory, so the
// emergency panel opened next shows the new phone.
import { confirmDialog, mount } from '../dom.js';
import { joinList } from '../i18n.js';
import { actionDialog } from './action-dialog.js';
import { errorBox, field, fmtTime, forgetStaff, label } from './common.js';
import { STRINGS } from './staff-strings.js';

// The roles a manager may give (server/domain/accounts.py: not the company's deputy GM or GM).
export const ROLES_GIVEN = ['dispatcher', 'front_desk', 'control_room', 'team_lead', 'technician', 'cleaner', 'guard',
  'engineering', 'cashier', 'manager'];
// R-EM-2's people summoned to the scene (server SummonedRole), in the panel's order.
export const POSTS = ['security_manager', 'engineering_manager', 'guard_captain', 'elevator_captain', 'repair_lead',
  'guard_shift_lead'];

let stringsDone = false;

/** Active people first, then those deactivated; each group as the server listed it (by login name). */
export function staffOrder(people) {
  return [...people.filter((p) => p.active), ...people.filter((p) => !p.active)];
}

/** The posts ticked in `root` (checkboxes named `post`), in the panel's order. */
function tickedPosts(root) {
  const ticked = new Set([...root.querySelectorAll('input[name=post]:checked')].map((c) => c.value));
  return POSTS.filter((p) => ticked.has(p));
}

function postBoxes(h, held, name) {
  return h('div', { class: 'staff-posts-edit', role: 'group', 'aria-label': name },
    POSTS.map((p) => h('label', { class: 'desk-check' },
      h('input', { type: 'checkbox', name: 'post', value: p, checked: held.includes(p) }), label('summoned', p))));
}

function passwordInput(h, t, name, labelKey) {
  const input = h('input', { type: 'password', name, required: true, minlength: '8', maxlength: '200', autocomplete: 'new-password' });
  const show = h('label', { class: 'desk-check' },
    h('input', { type: 'checkbox', name: `${name}_show`, onchange: (e) => { input.type = e.target.checked ? 'text' : 'password'; } }),
    t('staff.f.show_password'));
  return { input, el: [field(h, t(labelKey), input, t('staff.f.password_hint')), show] };
}

export async function renderStaff(body, ctx) {
  const { h, t, api } = ctx;
  if (!stringsDone) {
    ctx.registerStrings(STRINGS);
    stringsDone = true;
  }
  const err = errorBox(h);
  err.el.dataset.testid = 'staff-error';
  const tbody = h('tbody');
  let people = [];
  let editing = null; // the id of the row being edited in place

  const nameOf = (p) => p.display_name || p.username;
  const isSelf = (p) => p.id === ctx.user?.id;

  async function reload() {
    people = staffOrder(await api.get('/api/staff/accounts'));
    draw();
  }

  /** After a change the server accepted: the desk's directory (emergency panel, pickers) is read afresh. */
  function changed(person) {
    forgetStaff();
    const i = people.findIndex((p) => p.id === person.id);
    if (i >= 0) people[i] = person;
    else people.push(person);
    people = staffOrder(people);
    draw();
  }

  function statusCell(p) {
    return h('td', { class: 'staff-status' },
      h('span', { class: ['badge', p.active ? 'badge-done' : 'badge-unable'], text: t(p.active ? 'staff.active' : 'staff.inactive') }),
      h('div', { class: 'muted small', text: p.last_seen_at ? `${t('staff.devices', { n: p.devices })} · ${t('staff.last_seen', { t: fmtTime(p.last_seen_at) })}` : t('staff.never') }),
      p.open_cases.length ? h('div', { class: 'small', 'data-testid': 'staff-open-cases' }, t('staff.open_cases'),
        p.open_cases.map((c, i) => [i ? joinList(['', '']) : null, h('a', { href: `#/case/${encodeURIComponent(c.id)}`, class: 'desk-case-no', text: c.no })])) : null);
  }

  function nameCell(p, input) {
    return h('td', { class: 'staff-name' },
      input || h('strong', { text: nameOf(p) }),
      isSelf(p) ? h('span', { class: 'badge badge-kind staff-you', text: t('staff.you') }) : null,
      h('div', { class: 'muted small', text: t('staff.login', { u: p.username }) }));
  }

  const rolesText = (p) => joinList(p.roles.map((r) => label('role', r)));

  function viewRow(p) {
    const actions = [h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'staff-edit', onclick: () => { editing = p.id; err.clear(); draw(); } }, t('staff.edit'))];
    if (p.company_account) {
      actions.push(h('span', { class: 'muted small', text: t('staff.company') }));
    } else {
      actions.push(h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'staff-password', onclick: () => resetPassword(p) }, t('staff.password')));
      actions.push(p.active
        ? h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', 'data-action': 'staff-deactivate', onclick: () => deactivate(p) }, t('staff.deactivate'))
        : h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'staff-reactivate', onclick: () => reactivate(p) }, t('staff.reactivate')));
    }
    return h('tr', { class: ['staff-row', p.active ? '' : 'is-inactive'], dataset: { userId: p.id, username: p.username } },
      nameCell(p),
      h('td', { class: 'staff-roles', text: rolesText(p) }),
      h('td', { class: 'staff-phone' }, p.phone ? h('a', { href: `tel:${p.phone}`, text: p.phone }) : h('span', { class: 'muted', text: t('staff.no_phone') })),
      h('td', { class: 'staff-posts' }, p.posts.length ? joinList(p.posts.map((x) => label('summoned', x)))
        : h('span', { class: 'muted', text: t('staff.no_posts') })),
      statusCell(p),
      h('td', { class: 'staff-actions' }, h('div', { class: 'staff-action-list' }, actions)));
  }

  function editRow(p) {
    const who = nameOf(p);
    const name = h('input', { type: 'text', name: 'display_name', value: p.display_name, maxlength: '100', required: true, 'aria-label': t('staff.name_of', { name: who }) });
    const phone = h('input', { type: 'tel', name: 'phone', value: p.phone, maxlength: '40', inputmode: 'tel', autocomplete: 'off', 'aria-label': t('staff.phone_of', { name: who }) });
    const posts = postBoxes(h, p.posts, t('staff.posts_of', { name: who }));
    const row = h('tr', { class: 'staff-row is-editing', dataset: { userId: p.id, username: p.username } },
      nameCell(p, name),
      h('td', { class: 'staff-roles', text: rolesText(p) }),
      h('td', { class: 'staff-phone' }, phone),
      h('td', { class: 'staff-posts' }, posts),
      statusCell(p),
      h('td', { class: 'staff-actions' }, h('div', { class: 'staff-action-list' },
        h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-action': 'staff-save', onclick: save }, t('staff.save')),
        h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'staff-cancel', onclick: () => { editing = null; err.clear(); draw(); } }, t('staff.cancel')))));
    async function save(e) {
      err.clear();
      e.target.disabled = true;
      try {
        const person = await api.put(`/api/staff/accounts/${encodeURIComponent(p.id)}`, {
          display_name: name.value.trim(), phone: phone.value.trim(), posts: tickedPosts(posts) });
        editing = null;
        changed(person);
        ctx.toast(t('staff.saved', { name: nameOf(person) }), 'ok');
      } catch (ex) {
        // Refused: nothing changed; the row stays open with what was typed, the reason above the table.
        err.show(ex, t);
        e.target.disabled = false;
      }
    }
    return row;
  }

  function draw() {
    mount(tbody, people.length ? people.map((p) => (p.id === editing ? editRow(p) : viewRow(p)))
      : h('tr', null, h('td', { colspan: '6', class: 'muted', text: t('staff.empty') })));
  }

  async function deactivate(p) {
    err.clear();
    const who = nameOf(p);
    const ok = await confirmDialog({
      title: t('staff.deactivate_title', { name: who }),
      body: [t('staff.deactivate_body', { name: who, n: p.devices }), isSelf(p) ? t('staff.deactivate_self') : ''].filter(Boolean).join(' '),
      ok: t('staff.deactivate'), cancel: t('staff.cancel'), danger: true,
    });
    if (!ok) return;
    try {
      changed(await api.post(`/api/staff/accounts/${encodeURIComponent(p.id)}/deactivate`));
      ctx.toast(t('staff.deactivated', { name: who }), 'ok');
      if (isSelf(p)) await api.get('/api/me').catch(() => {}); // signed out: the shell goes to the sign-in page
    } catch (ex) {
      err.show(ex, t);
    }
  }

  async function reactivate(p) {
    err.clear();
    const who = nameOf(p);
    const ok = await confirmDialog({
      title: t('staff.reactivate_title', { name: who }), body: t('staff.reactivate_body', { name: who }),
      ok: t('staff.reactivate'), cancel: t('staff.cancel'),
    });
    if (!ok) return;
    try {
      changed(await api.post(`/api/staff/accounts/${encodeURIComponent(p.id)}/reactivate`));
      ctx.toast(t('staff.reactivated', { name: who }), 'ok');
    } catch (ex) {
      err.show(ex, t);
    }
  }

  async function resetPassword(p) {
    err.clear();
    const who = nameOf(p);
    const pw = passwordInput(h, t, 'new_password', 'staff.f.new_password');
    const hint = [t('staff.password_hint'), isSelf(p) ? t('staff.password_self') : ''].filter(Boolean).join(' ');
    const person = await actionDialog(ctx, t('staff.password_title', { name: who }), pw.el,
      () => api.post(`/api/staff/accounts/${encodeURIComponent(p.id)}/password`, { password: pw.input.value }),
      { hint, submitText: t('staff.password') });
    if (!person) return;
    changed(person);
    ctx.toast(t('staff.password_done', { name: who }), 'ok');
  }

  async function addPerson() {
    err.clear();
    const name = h('input', { type: 'text', name: 'display_name', required: true, maxlength: '100', autocomplete: 'off' });
    const username = h('input', { type: 'text', name: 'username', required: true, maxlength: '64', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' });
    const pw = passwordInput(h, t, 'password', 'staff.f.password');
    const roles = h('div', { class: 'staff-roles-edit', role: 'group', 'aria-label': t('staff.f.roles') },
      ROLES_GIVEN.map((r) => h('label', { class: 'desk-check' }, h('input', { type: 'checkbox', name: 'role', value: r }), label('role', r))));
    const phone = h('input', { type: 'tel', name: 'phone', maxlength: '40', inputmode: 'tel', autocomplete: 'off' });
    const posts = postBoxes(h, [], t('staff.f.posts'));
    const fields = h('div', { class: 'desk-form-grid staff-add-grid' },
      field(h, t('staff.f.name'), name),
      field(h, t('staff.f.username'), username, t('staff.f.username_hint')),
      h('div', { class: 'desk-span2' }, pw.el),
      h('div', { class: 'field desk-field desk-span2' }, h('span', { class: 'field-label', text: t('staff.f.roles') }), roles),
      field(h, t('staff.f.phone'), phone, t('staff.f.phone_hint')),
      h('div', { class: 'field desk-field desk-span2' }, h('span', { class: 'field-label', text: t('staff.f.posts') }), posts));
    const person = await actionDialog(ctx, t('staff.add_title'), fields, () => {
      const chosen = [...roles.querySelectorAll('input[name=role]:checked')].map((c) => c.value);
      if (!chosen.length) throw t('staff.need_role');
      return api.post('/api/staff/accounts', {
        username: username.value.trim(), display_name: name.value.trim(), password: pw.input.value,
        roles: chosen, phone: phone.value.trim(), posts: tickedPosts(posts) });
    }, { hint: t('staff.add_hint'), submitText: t('staff.add') });
    if (!person) return;
    changed(person);
    ctx.toast(t('staff.added', { name: nameOf(person) }), 'ok');
  }

  // The compound's own numbers every phone's emergency sheet lists (R-EM-2; the control room at night, R-SH-1).
  const phonesErr = errorBox(h);
  const centre = h('input', { type: 'tel', name: 'service_centre_phone', maxlength: '40', inputmode: 'tel', autocomplete: 'off' });
  const control = h('input', { type: 'tel', name: 'control_room_phone', maxlength: '40', inputmode: 'tel', autocomplete: 'off' });
  api.get('/api/compound/phones').then((p) => {
    centre.value = p.service_centre_phone || '';
    control.value = p.control_room_phone || '';
  }).catch((ex) => phonesErr.show(ex, t));
  const phonesCard = h('section', { class: 'card staff-phones', 'data-testid': 'compound-phones' },
    h('h2', { text: t('staff.phones.title') }),
    h('p', { class: 'muted small', text: t('staff.phones.hint') }),
    h('form', { class: 'desk-form-grid', novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      phonesErr.clear();
      try {
        await api.put('/api/compound/phones', { service_centre_phone: centre.value.trim(), control_room_phone: control.value.trim() });
        ctx.toast(t('staff.phones.saved'), 'ok');
      } catch (ex) {
        phonesErr.show(ex, t);
      }
    } },
    field(h, t('staff.phones.service_centre'), centre),
    field(h, t('staff.phones.control_room'), control),
    h('div', { class: 'desk-span2' }, phonesErr.el, h('button', { type: 'submit', class: 'btn btn-small', 'data-action': 'save-phones' }, t('staff.phones.save')))));

  const head = ['staff.col.name', 'staff.col.roles', 'staff.col.phone', 'staff.col.posts', 'staff.col.status', 'staff.col.actions'];
  mount(body, phonesCard, h('section', { class: 'card staff-card', 'data-testid': 'staff-page' },
    h('div', { class: 'desk-section-head' },
      h('h2', { text: t('staff.title') }),
      h('button', { type: 'button', class: 'btn btn-primary btn-small desk-head-btn', 'data-action': 'staff-add', onclick: addPerson }, t('staff.add'))),
    h('p', { class: 'muted small', text: t('staff.hint') }),
    err.el,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table staff-table' },
      h('thead', null, h('tr', null, head.map((k) => h('th', { text: t(k) })))), tbody))));
  await reload();
  return null;
}
