// Release slips 放行通知单 at the desk (R-RS-1..6): the list with incidents and the ten-day hand-in of
// the security copies (#/slips), the issue form (#/slips/new) and one slip with its QR, print and
// revoke (#/slips/<id>). The rules are the server's (server/domain/release_slips.py); this page
// collects the evidence, shows the refusals in words and never keeps a full ID number.
import { downscalePhoto, sha256Hex } from '../blobs.js';
import { colon, getLang, joinList, paren } from '../i18n.js';
import { ensureStylesheet, openDialog, mount } from '../dom.js';
import { toZonedDate, toZonedInput, zonedParts, zonedToIso } from '../zone.js';
import { blobObjectUrl, field, fmtDay, fmtTime, loadStaff, loadUnits, serverNow } from './common.js';
import { slipGateChoices, unknownGates } from './gate-list.js';
import { gatesCard } from './gates.js';
import { signatureDialog } from './signature.js';
import { RS_CODES, RS_ENUMS, registerSlipStrings } from './slips-strings.js';

const ISSUER_ROLES = ['dispatcher', 'front_desk', 'manager']; // who issues and revokes (server/api/gate.py)
const RELATIONS = ['owner', 'household_member', 'tenant', 'nanny', 'friend', 'employee', 'unregistered_relative', 'contractor', 'renovation_worker'];
const DELEGATES = ['tenant', 'nanny', 'friend', 'employee', 'unregistered_relative']; // R-RS-3
const GATE_RE = /^[A-Z0-9]{1,6}$/;
const LAST4_RE = /^[0-9A-Za-z]{4}$/;
const DAY = 86400000;

let stringsDone = false;

function ensureSetup(ctx) {
  if (!stringsDone) {
    registerSlipStrings(ctx.registerStrings);
    stringsDone = true;
  }
  ensureStylesheet('/slips.css');
}

const en = () => getLang() === 'en';

function lbl(group, value) {
  if (value === null || value === undefined || value === '') return '';
  const pair = RS_ENUMS[group]?.[value];
  if (!pair) return String(value);
  return en() ? pair[1] : pair[0];
}

const opts = (group) => Object.keys(RS_ENUMS[group]).map((v) => [v, lbl(group, v)]);

function canIssue(ctx) {
  return (ctx.user?.roles || []).some((r) => ISSUER_ROLES.includes(r));
}

// Only the manager names the gates (PUT /api/gates, server/api/gate.py).
const canNameGates = (ctx) => (ctx.user?.roles || []).includes('manager');

/** A refusal in words: the server's message (or ours for the code), then 缺少：… from details.missing. */
function refusalText(err, t) {
  if (!err) return '';
  if (typeof err === 'string') return err;
  const ours = RS_CODES[err.code];
  const zhMsg = err.message_zh ?? err.message;
  const msg = en() ? err.message_en || ours?.[1] || zhMsg : zhMsg || ours?.[0] || err.message_en;
  const parts = [msg || err.code || String(err)];
  const d = err.details || {};
  const sep = en() ? ', ' : '、';
  // A name the unit's register does not have (R-RS-2): the message says what to do; "missing: the
  // owner's letter" would point at a section the form does not show for 业主本人.
  if (Array.isArray(d.missing) && d.missing.length && d.on_record !== false) {
    const names = d.missing.map((m) => (/^[0-9a-f]{64}$/.test(m) ? `${t('rs.form.uploaded')}? ${m.slice(0, 8)}…` : lbl('missing', m)));
    parts.push(t('desk.missing', { list: names.join(sep) }));
  }
  if (Array.isArray(d.items) && d.items.length) parts.push(d.items.join(sep));
  if (Array.isArray(d.errors) && d.errors.length) parts.push(d.errors.map((e) => `${e.key}: ${e.message}`).join('; '));
  return parts.join(' — ');
}

function alertBox(h) {
  const el = h('div', { class: 'desk-error rs-error', role: 'alert', hidden: true });
  return {
    el,
    show(err, t) {
      el.textContent = refusalText(err, t);
      el.dataset.code = err?.code || '';
      el.hidden = false;
    },
    clear() {
      el.textContent = '';
      el.dataset.code = '';
      el.hidden = true;
    },
  };
}

const pad = (n) => String(n).padStart(2, '0');

function stateBadge(h, state) {
  return h('span', { class: ['badge', 'rs-state', `rs-state-${state}`], dataset: { state }, text: lbl('state', state) });
}

// ---- the compound's gates by name ------------------------------------------------------------------

// code -> name from GET /api/gates. The code is what slips carry and what the desk types; people read
// "北门（N）". A code the compound has not named is shown as "N 岗" / "gate N".
let gateNameMap = new Map();
let gateList = []; // [{code, name}] in the manager's order

function setGates(gates) {
  gateList = gates.map((g) => ({ code: g.code, name: g.name }));
  gateNameMap = new Map(gateList.map((g) => [g.code, g.name]));
}

async function loadGates(ctx) {
  try {
    setGates((await ctx.api.get('/api/gates')).gates || []);
  } catch {
    // Names are a reading aid: without them every gate shows as its code.
  }
  return gateNameMap;
}

function gateText(t, code) {
  const name = gateNameMap.get(code);
  return name ? paren(name, code) : t('rs.gate_code', { code });
}

const gatesText = (t, codes) => joinList((codes || []).map((g) => gateText(t, g)));

// ---- routing ------------------------------------------------------------------------------------

export async function renderSlips(body, ctx, id) {
  ensureSetup(ctx);
  await loadGates(ctx);
  if (id === 'new') return renderIssue(body, ctx);
  if (id) return renderDetail(body, ctx, id);
  return renderList(body, ctx);
}

// ---- the list, incidents and hand-ins -----------------------------------------------------------

function slipTable(ctx, slips) {
  const { h, t } = ctx;
  if (!slips.length) return h('p', { class: 'empty', text: t('rs.empty') });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table desk-table rs-table', 'data-testid': 'slip-list' },
    h('thead', null, h('tr', null,
      ['rs.col.code', 'rs.col.unit', 'rs.col.requester', 'rs.col.items', 'rs.col.validity', 'rs.col.state', 'rs.col.released', 'rs.col.issued']
        .map((k) => h('th', { text: t(k) })))),
    h('tbody', null, slips.map((s) => h('tr', {
      class: ['desk-row', 'rs-row', `rs-row-${s.state}`],
      dataset: { id: s.id, state: s.state },
      onclick: (e) => {
        if (e.target.closest('a')) return;
        ctx.navigate(`#/slips/${s.id}`);
      },
    },
    h('td', null, h('a', { href: `#/slips/${s.id}`, class: 'rs-code', text: s.short_code })),
    h('td', { class: 'nowrap', text: s.unit_label }),
    h('td', null, s.requester_name, h('span', { class: 'muted small rs-sub', text: ` ${lbl('relation', s.relation)} · ${lbl('path', s.path)}` })),
    h('td', { class: 'nowrap', text: t('rs.items_n', { n: s.item_count }) }),
    // Each end of the validity keeps its line; the range (and the gates under it) may wrap, so in
    // English at 1280 px the last column (开单时间 / Issued) is not cut off at the card's edge.
    h('td', { class: 'small' }, h('span', { class: 'nowrap', text: `${fmtTime(s.valid_from)} –` }), ' ',
      h('span', { class: 'nowrap', text: fmtTime(s.valid_until) }), h('div', { class: 'muted', text: gatesText(t, s.gates) })),
    h('td', null, stateBadge(h, s.state)),
    h('td', { class: 'small' }, s.released_at ? t('rs.released_at', { gate: gateText(t, s.released_gate), time: fmtTime(s.released_at) }) : h('span', { class: 'muted', text: t('rs.not_released') })),
    h('td', { class: 'small nowrap', text: fmtTime(s.issued_at) }))))));
}

function incidentList(ctx, incidents) {
  const { h, t } = ctx;
  if (!incidents.length) return h('p', { class: 'muted small rs-empty-line', text: t('rs.incidents_empty') });
  return h('ul', { class: 'rs-incidents', 'data-testid': 'slip-incidents' }, incidents.map((i) => h('li', { class: 'rs-incident' },
    h('div', { class: 'rs-incident-head' },
      i.kinds.map((k) => h('span', { class: ['badge', 'rs-inc-kind', `rs-inc-${k}`], text: lbl('incident', k) })),
      h('a', { href: `#/slips/${i.slip_id}`, class: 'rs-code', text: i.short_code }),
      h('span', { text: i.unit_label })),
    h('div', { class: 'small' }, t('rs.inc.at', { gate: gateText(t, i.gate), time: fmtTime(i.released_at) }),
      i.first_gate ? h('span', { class: 'muted', text: ` · ${t('rs.inc.first', { gate: gateText(t, i.first_gate), time: fmtTime(i.first_released_at) })}` }) : null))));
}

/** Ten-day periods (1–10, 11–20, 21–end) in the desk's zone: key 'YYYY-MM-i' (R-RS-4). */
function periodKeys(nowMs) {
  const d = zonedParts(new Date(nowMs));
  let y = d.year;
  let m = d.month;
  const i = Math.min(Math.floor((d.day - 1) / 10) + 1, 3);
  const cur = `${y}-${pad(m)}-${i}`;
  let pi = i - 1;
  if (pi < 1) {
    pi = 3;
    m -= 1;
    if (m < 1) {
      m = 12;
      y -= 1;
    }
  }
  return { prev: `${y}-${pad(m)}-${pi}`, cur };
}

/** 'YYYY-MM-i' → its first and last day ('2026-11-11', '2026-11-20'), as the server's views name them. */
export function periodDays(key) {
  const [y, m, i] = key.split('-').map(Number);
  const last = i === 3 ? new Date(Date.UTC(y, m, 0)).getUTCDate() : i * 10;
  return { from: `${y}-${pad(m)}-${pad((i - 1) * 10 + 1)}`, to: `${y}-${pad(m)}-${pad(last)}` };
}

/** A ten-day period's days as the desk writes days: '11/21 至 11/30' (fmtDay). */
function periodText(t, { from, to }) {
  return t('rs.period', { from: fmtDay(from), to: fmtDay(to) });
}

function handinBlock(ctx, titleKey, periodKey, views, codes, reload) {
  const { h, t, api } = ctx;
  const err = alertBox(h);
  const first = views[0];
  // A period with no slips has no view to name its days: work them out from the key rather than show
  // the key ('2026-11-2' reads as a date in Chinese, 2 November).
  const head = h('div', { class: 'rs-period-head' },
    h('h3', { text: t(titleKey) }),
    h('span', { class: 'muted small', text: periodText(t, first ? { from: first.first_day, to: first.last_day } : periodDays(periodKey)) }));
  if (!views.length) return h('div', { class: 'rs-period', dataset: { period: periodKey } }, head, h('p', { class: 'muted small rs-empty-line', text: t('rs.handin_none') }));
  return h('div', { class: 'rs-period', dataset: { period: periodKey } }, head, err.el, views.map((v) => {
    const boxes = v.slip_ids.map((sid) => {
      const already = v.receipt?.received_ids?.includes(sid);
      return h('label', { class: ['rs-handin-slip', already ? 'is-received' : ''] },
        h('input', { type: 'checkbox', value: sid, checked: true, disabled: already || !v.period_over }),
        h('span', { class: 'rs-code', text: codes.get(sid) || sid.slice(-8) }));
    });
    const r = v.receipt;
    const btn = canIssue(ctx) && v.period_over && !(r && r.complete)
      ? h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-action': 'handin-confirm', onclick: async (e) => {
        err.clear();
        const received = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
        e.target.disabled = true;
        try {
          await api.post('/api/slips/handins/confirm', { period: v.period, gate: v.gate, received_ids: received }); // R-RS-4
          ctx.toast(t('rs.handin_done'), 'ok');
          reload();
        } catch (ex) {
          err.show(ex, t);
          e.target.disabled = false;
        }
      } }, t('rs.handin_confirm'))
      : null;
    return h('div', { class: 'rs-handin', dataset: { gate: v.gate } },
      h('div', { class: 'rs-handin-top' },
        h('strong', { text: t('rs.handin_gate', { gate: gateText(t, v.gate) }) }),
        h('span', { class: 'small', text: t('rs.handin_count', { n: v.slip_ids.length }) }),
        r ? h('span', { class: ['badge', r.complete ? 'badge-completed' : 'badge-warn'], text: r.complete ? t('rs.handin_complete') : `${t('rs.handin_received', { n: r.received_ids.length })} · ${t('rs.handin_missing', { n: r.missing_ids.length })}` }) : null,
        btn),
      boxes.length ? h('div', { class: 'rs-handin-slips' }, boxes) : null,
      !v.period_over ? h('p', { class: 'muted small rs-empty-line', text: t('rs.period_open') }) : null,
      r ? h('p', { class: 'muted small rs-empty-line', text: t('rs.handin_by', { time: fmtTime(r.received_at) }) }) : null);
  }));
}

async function renderList(body, ctx) {
  const { h, t, api } = ctx;
  const units = await loadUnits(ctx).catch(() => []);
  const err = alertBox(h);
  const filters = { state: '', unit_id: '' };
  const listSlot = h('div', { class: 'rs-list-slot' }, h('p', { class: 'muted', text: t('desk.loading') }));
  const countEl = h('span', { class: 'muted small' });
  const incSlot = h('div');
  const handSlot = h('div');

  const stateSel = h('select', { name: 'state', 'aria-label': t('rs.filter.state') },
    h('option', { value: '' }, colon(t('rs.filter.state'), t('rs.filter.all'))),
    opts('state').map(([v, text]) => h('option', { value: v }, text)));
  const unitSel = h('select', { name: 'unit_id', 'aria-label': t('rs.filter.unit') },
    h('option', { value: '' }, colon(t('rs.filter.unit'), t('rs.filter.all'))),
    units.map((b) => h('optgroup', { label: b.name }, b.units.map((u) => h('option', { value: u.id }, u.label)))));
  stateSel.addEventListener('change', () => { filters.state = stateSel.value; loadList(); });
  unitSel.addEventListener('change', () => { filters.unit_id = unitSel.value; loadList(); });

  mount(body, h('div', { class: 'rs-page' },
    err.el,
    h('div', { class: 'rs-grid' },
      h('section', { class: 'card rs-list' },
        h('div', { class: 'desk-section-head' },
          h('h2', { text: t('rs.list') }), countEl,
          canIssue(ctx) ? h('a', { class: 'btn btn-primary btn-small desk-head-btn', href: '#/slips/new', 'data-testid': 'slip-new' }, t('rs.issue')) : null),
        h('div', { class: 'desk-filters' }, stateSel, unitSel),
        listSlot),
      h('div', { class: 'rs-side' },
        h('section', { class: 'card rs-incidents-card' },
          h('h2', { text: t('rs.incidents') }),
          h('p', { class: 'muted small', text: t('rs.incidents_hint') }),
          incSlot),
        h('section', { class: 'card rs-handins-card', 'data-testid': 'slip-handins' },
          h('h2', { text: t('rs.handins') }),
          h('p', { class: 'muted small', text: t('rs.handins_hint'), title: 'R-RS-4' }),
          handSlot),
        // The manager names the gates where the slips that use them are (D42, D46).
        canNameGates(ctx) ? gatesCard(ctx, { gates: gateList, onSaved: (gates) => { setGates(gates); loadList(); loadSide(); } }) : null))));

  let seq = 0;
  async function loadList() {
    const my = ++seq;
    const p = new URLSearchParams();
    if (filters.state) p.set('state', filters.state);
    if (filters.unit_id) p.set('unit_id', filters.unit_id);
    try {
      const slips = await api.get(`/api/slips${p.toString() ? `?${p}` : ''}`);
      if (my !== seq) return;
      mount(listSlot, slipTable(ctx, slips));
      countEl.textContent = t('rs.count', { n: slips.length });
      err.clear();
    } catch (e) {
      err.show(e, t);
    }
  }

  async function loadSide() {
    try {
      const { prev, cur } = periodKeys(serverNow(ctx));
      const [incidents, prevViews, curViews, released] = await Promise.all([
        api.get('/api/slips/incidents?limit=50'),
        api.get(`/api/slips/handins?period=${prev}`),
        api.get(`/api/slips/handins?period=${cur}`),
        api.get('/api/slips?limit=1000&state=released').catch(() => []),
      ]);
      const codes = new Map(released.map((s) => [s.id, s.short_code]));
      mount(incSlot, incidentList(ctx, incidents));
      mount(handSlot,
        handinBlock(ctx, 'rs.period_prev', prev, prevViews, codes, loadSide),
        handinBlock(ctx, 'rs.period_cur', cur, curViews, codes, loadSide));
    } catch (e) {
      err.show(e, t);
    }
  }

  await Promise.all([loadList(), loadSide()]);
  const timer = setInterval(() => {
    loadList();
    loadSide();
  }, 30000);
  return () => clearInterval(timer);
}

// ---- the issue form -----------------------------------------------------------------------------

// The half-filled form, kept in memory only (never in localStorage: it holds residents' names and ID
// digits) so that a re-render of the same form — the shell's 中文/English switch re-renders the
// page — gives it back. Signatures and photos are already uploaded and are kept by their sha. It is
// dropped once the slip is issued or the desk leaves the form, and is never restored for another user.
let issueDraft = null; // { userId, data }

async function uploadBlob(ctx, blob, type) {
  const sha = await sha256Hex(blob);
  await ctx.api.request('PUT', `/api/blobs/${sha}`, { body: blob, contentType: type });
  return sha;
}

function signButton(ctx, { label, title, note, testid, name, onChange = () => {} }) {
  const { h, t } = ctx;
  const state = { sha: null };
  const img = h('img', { class: 'rs-sig-thumb', alt: label, hidden: true });
  const btn = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': testid }, label);
  const mark = h('span', { class: 'ok-text small', hidden: true, text: `✓ ${t('rs.form.signed')}` });
  /** Shows an uploaded signature (just drawn, or kept by sha from the draft across a re-render). */
  const set = (sha) => {
    if (!sha) return;
    state.sha = sha;
    mark.hidden = false;
    btn.textContent = t('rs.form.resign');
    blobObjectUrl(ctx, sha).then((url) => { img.src = url; img.hidden = false; }).catch(() => {});
  };
  btn.addEventListener('click', async () => {
    const sha = await signatureDialog(ctx, title, note);
    if (!sha) return;
    set(sha);
    onChange();
  });
  const el = h('div', { class: 'desk-field rs-sign', dataset: { field: name } },
    h('span', { class: 'field-label', text: label }),
    h('div', { class: 'desk-inline' }, btn, mark), img);
  return { el, set, get sha() { return state.sha; } };
}

function photoInput(ctx, { label, name, testid, onChange = () => {} }) {
  const { h, t } = ctx;
  const state = { sha: null };
  const img = h('img', { class: 'rs-photo-thumb', alt: label, hidden: true });
  const status = h('span', { class: 'small muted' });
  const err = alertBox(h);
  const input = h('input', { type: 'file', accept: 'image/*', name, class: 'file-input', 'data-testid': testid });
  input.addEventListener('change', async () => {
    err.clear();
    state.sha = null;
    const file = input.files?.[0];
    if (!file) return;
    status.textContent = t('rs.form.uploading');
    try {
      const jpeg = await downscalePhoto(file);
      state.sha = await uploadBlob(ctx, jpeg, 'image/jpeg');
      img.src = URL.createObjectURL(jpeg);
      img.hidden = false;
      status.textContent = `✓ ${t('rs.form.uploaded')}`;
      onChange();
    } catch (e) {
      status.textContent = '';
      err.show(e, t);
    }
  });
  /** A photo already uploaded (kept by sha from the draft across a re-render). */
  const set = (sha) => {
    if (!sha) return;
    state.sha = sha;
    status.textContent = `✓ ${t('rs.form.uploaded')}`;
    blobObjectUrl(ctx, sha).then((url) => { img.src = url; img.hidden = false; }).catch(() => {});
  };
  const el = h('div', { class: 'desk-field rs-photo', dataset: { field: name } },
    h('span', { class: 'field-label', text: label }),
    h('div', { class: 'desk-inline' }, h('label', { class: 'btn btn-small btn-file' }, t('rs.form.choose_photo'), input), status),
    err.el, img);
  return { el, set, get sha() { return state.sha; } };
}

async function renderIssue(body, ctx) {
  const { h, t, api } = ctx;
  if (!canIssue(ctx)) {
    mount(body, h('div', { class: 'notice notice-info', text: t('rs.form.no_role') }));
    return null;
  }
  const [units, engineers, recent] = await Promise.all([
    loadUnits(ctx).catch(() => []),
    loadStaff(ctx).then((s) => s.filter((p) => (p.roles || []).includes('engineering'))).catch(() => []),
    api.get('/api/slips?limit=50').catch(() => []),
  ]);
  const err = alertBox(h);
  const now = serverNow(ctx);
  const sel = (name, pairs, { value = '', empty = null } = {}) => h('select', { name },
    empty !== null ? h('option', { value: '' }, empty) : null,
    pairs.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));

  const c = {
    building: sel('building', units.map((b) => [b.id, b.name]), { empty: t('rs.form.choose') }),
    unit: sel('unit_id', [], { empty: t('rs.form.unit_pick') }),
    relation: sel('relation', opts('relation'), { value: 'owner' }),
    requester: h('input', { type: 'text', name: 'requester_name', autocomplete: 'off', maxlength: '50' }),
    unregistered: h('input', { type: 'checkbox', name: 'unregistered' }),
    id_type: sel('id_type', opts('id_type'), { value: 'resident_id_card' }),
    last4: h('input', { type: 'text', name: 'id_last4', autocomplete: 'off', inputmode: 'text', placeholder: '1234', spellcheck: 'false' }),
    valid_from: h('input', { type: 'datetime-local', name: 'valid_from', value: toZonedInput(now) }),
    valid_until: h('input', { type: 'datetime-local', name: 'valid_until', value: toZonedInput(now + DAY) }),
    gates: h('input', { type: 'text', name: 'gates', autocomplete: 'off', placeholder: 'N S' }),
    // R-RS-3: only the written letter is offered; the owner's phone call is never enough, so it is not
    // a choice (the server still refuses a client that sends it: slip.phone_call_not_authorisation).
    auth_kind: sel('auth_kind', [['written', lbl('auth_kind', 'written')]], { value: 'written' }),
    delegate_name: h('input', { type: 'text', name: 'delegate_name', autocomplete: 'off', maxlength: '50' }),
    visit_date: h('input', { type: 'date', name: 'visit_date', value: toZonedDate(now) }),
    auth_items: h('input', { type: 'text', name: 'auth_items', autocomplete: 'off' }),
    // R-RS-3 (D108): the owner signs the tablet, or has already signed the paper letter, whose scan then
    // carries the signature (the server's SignatureSource.SCANNED).
    owner_sig_how: sel('owner_sig_how', [['device', t('rs.form.sig_how_device')], ['scanned', t('rs.form.sig_how_paper')]], { value: 'device' }),
    handover: h('input', { type: 'checkbox', name: 'handover_period' }),
    eng_by: sel('engineering_by', engineers.map((p) => [p.id, p.display_name || p.username]), { empty: t('rs.form.choose') }),
    eng_at: h('input', { type: 'datetime-local', name: 'engineering_at', value: toZonedInput(now) }),
    eng_note: h('input', { type: 'text', name: 'engineering_note', autocomplete: 'off', maxlength: '200' }),
    owner_name: h('input', { type: 'text', name: 'owner_name', autocomplete: 'off', maxlength: '50' }),
    owner_channel: sel('owner_channel', opts('channel'), { value: 'phone' }),
    owner_at: h('input', { type: 'datetime-local', name: 'owner_at', value: toZonedInput(now) }),
  };
  c.building.addEventListener('change', () => {
    const b = units.find((x) => x.id === c.building.value);
    mount(c.unit, h('option', { value: '' }, t('rs.form.unit_pick')),
      ...(b ? b.units.map((u) => h('option', { value: u.id }, u.label)) : []));
    loadRegister();
  });

  // Privacy: the full ID number never stays in the form — more than four characters are refused
  // and cleared at once (the server refuses them too: slip.full_id_number_refused).
  const last4Err = h('span', { class: 'field-hint rs-field-error', role: 'alert', hidden: true });
  c.last4.addEventListener('input', () => {
    if (c.last4.value.length > 4) {
      c.last4.value = '';
      last4Err.textContent = t('rs.form.last4_too_long');
      last4Err.hidden = false;
    } else if (LAST4_RE.test(c.last4.value.trim())) {
      last4Err.hidden = true; // the warning stays until four valid characters are in
    }
  });

  // Gates: a chip per gate of the compound, by name, in the manager's order (GET /api/gates) — only
  // those, since a slip may name no other (slip.unknown_gate, D46); a compound that has named none yet
  // gets the codes seen on recent slips. Under the field, the typed codes read back as names.
  const named = gateList.map((g) => g.code);
  const known = slipGateChoices(named, recent.flatMap((s) => s.gates || []));
  const gateNamesLine = h('p', { class: 'small muted rs-gate-names', 'data-testid': 'gate-names', 'aria-live': 'polite' });
  const showGateNames = () => {
    const codes = parseGates(c.gates.value).filter((g) => GATE_RE.test(g));
    gateNamesLine.textContent = codes.length ? gatesText(t, codes) : '';
    gateNamesLine.hidden = !codes.length;
    for (const b of gateChips?.querySelectorAll('[data-gate]') || []) b.setAttribute('aria-pressed', String(codes.includes(b.dataset.gate)));
  };
  const gateChips = known.length ? h('div', { class: 'rs-chips' }, known.map((g) => h('button', {
    type: 'button', class: 'btn btn-small rs-chip', dataset: { gate: g }, 'aria-pressed': 'false', onclick: () => {
      const cur = parseGates(c.gates.value);
      c.gates.value = (cur.includes(g) ? cur.filter((x) => x !== g) : [...cur, g]).join(' ');
      showGateNames();
      saveDraft();
    },
  }, gateNameMap.has(g) ? gateText(t, g) : g))) : null;
  c.gates.addEventListener('input', showGateNames);

  // Items: name, quantity, valuable / large (R-RS-1), renovation tool (R-RS-6).
  const itemsBody = h('tbody');
  function addItem(name = '') {
    const tr = h('tr', { class: 'rs-item' },
      h('td', null, h('input', { type: 'text', name: 'item_name', value: name, maxlength: '50', 'aria-label': t('rs.form.item_name'), autocomplete: 'off' })),
      h('td', { class: 'rs-qty' }, h('input', { type: 'number', name: 'item_qty', min: '1', max: '9999', value: '1', 'aria-label': t('rs.form.qty') })),
      h('td', null, h('label', { class: 'desk-check' }, h('input', { type: 'checkbox', name: 'item_valuable' }), t('rs.form.valuable'))),
      h('td', null, h('label', { class: 'desk-check' }, h('input', { type: 'checkbox', name: 'item_large' }), t('rs.form.large'))),
      h('td', { class: 'rs-tool-cell' }, h('label', { class: 'desk-check' }, h('input', { type: 'checkbox', name: 'item_tool', onchange: sync }), t('rs.form.tool'))),
      h('td', null, h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', onclick: () => {
        tr.remove();
        if (!itemsBody.children.length) addItem();
        sync();
      } }, t('rs.form.remove_item'))));
    tr.querySelector('input[name=item_name]').addEventListener('input', syncAuthItems);
    itemsBody.append(tr);
    sync();
    return tr;
  }
  function readItems() {
    return [...itemsBody.querySelectorAll('tr.rs-item')].map((tr) => ({
      name: tr.querySelector('[name=item_name]').value.trim(),
      quantity: Math.max(1, Math.floor(Number(tr.querySelector('[name=item_qty]').value) || 1)),
      valuable: tr.querySelector('[name=item_valuable]').checked,
      large: tr.querySelector('[name=item_large]').checked,
      tool: tr.querySelector('[name=item_tool]').checked,
    })).filter((i) => i.name);
  }
  // The letter's item list follows the slip's items until the desk edits it.
  let authItemsTouched = false;
  c.auth_items.addEventListener('input', () => { authItemsTouched = true; });
  function syncAuthItems() {
    if (!authItemsTouched) c.auth_items.value = joinList(readItems().map((i) => i.name));
  }
  let delegateTouched = false;
  c.delegate_name.addEventListener('input', () => { delegateTouched = true; });
  c.requester.addEventListener('input', () => {
    if (!delegateTouched) c.delegate_name.value = c.requester.value;
  });

  const onChange = () => saveDraft();
  const sigRequester = signButton(ctx, { label: t('rs.form.sign_requester'), title: t('rs.form.sign_requester'), note: t('rs.form.sign_note'), testid: 'sign-requester', name: 'requester_signature_sha256', onChange });
  const sigOwnerSlip = signButton(ctx, { label: t('rs.form.sign_owner_slip'), title: t('rs.form.sign_owner_slip'), note: t('rs.form.sign_owner_note'), testid: 'sign-owner-slip', name: 'owner_signature_sha256', onChange });
  const sigOwnerAuth = signButton(ctx, { label: t('rs.form.owner_sig_draw'), title: t('rs.form.owner_sig'), note: t('rs.form.sign_owner_note'), testid: 'sign-owner-auth', name: 'auth_owner_signature_sha256', onChange });
  const idCopy = photoInput(ctx, { label: t('rs.form.owner_id_copy'), name: 'owner_id_copy_sha256', testid: 'owner-id-copy', onChange });
  const letter = photoInput(ctx, { label: t('rs.form.letter'), name: 'letter_sha256', testid: 'letter-scan', onChange });

  // R-RS-2: who is on the chosen unit's household register — the registered owner(s) and household
  // members, the people served in person. A click fills the name and the relation; anyone else comes
  // with the owner's written authorisation (R-RS-3). The server checks the name again when issuing.
  const registerBox = h('div', { class: 'desk-span2 notice notice-info small rs-register', 'data-testid': 'unit-register', dataset: { field: 'register' }, 'aria-live': 'polite' }, t('rs.form.register_pick_unit'));
  const nameWarn = h('span', { class: 'field-hint rs-field-error', 'data-testid': 'not-on-register', hidden: true });
  let register = null; // the unit's register once loaded: { unit_id, unit_label, people: [{ name, relation }] }
  let registerSeq = 0;
  const cleanName = (s) => s.trim().split(/\s+/).join(' ');
  function usePerson(p) {
    c.relation.value = p.relation;
    c.requester.value = p.name;
    c.unregistered.checked = false;
    if (!delegateTouched) c.delegate_name.value = p.name;
    sync();
    checkName();
    saveDraft();
  }
  function renderRegister() {
    const people = register.people;
    if (!people.length) return mount(registerBox, t('rs.form.register_none'));
    const group = (relation, key, sep) => {
      const list = people.filter((p) => p.relation === relation);
      if (!list.length) return null;
      // The "·" opens the second group, so on a narrow screen it wraps with it instead of dangling.
      return h('span', { class: 'desk-inline', dataset: { relation } },
        sep ? h('span', { 'aria-hidden': 'true', text: '·' }) : null, h('span', { text: colon(t(key), '') }),
        list.map((p) => h('button', { type: 'button', class: 'btn btn-small', title: t('rs.form.register_use'), dataset: { name: p.name, relation: p.relation }, onclick: () => usePerson(p) }, p.name)));
    };
    const owners = group('owner', 'rs.form.register_owner', false);
    return mount(registerBox, h('div', { class: 'desk-inline' }, owners, group('household_member', 'rs.form.register_household', Boolean(owners))));
  }
  async function loadRegister() {
    const my = ++registerSeq;
    const unitId = c.unit.value;
    register = null;
    checkName();
    if (!unitId) return mount(registerBox, t('rs.form.register_pick_unit'));
    mount(registerBox, t('desk.loading'));
    try {
      const view = await api.get(`/api/units/${encodeURIComponent(unitId)}/register`);
      if (my !== registerSeq) return null;
      register = view;
      renderRegister();
    } catch (e) {
      if (my !== registerSeq) return null;
      mount(registerBox, t('rs.form.register_failed', { msg: refusalText(e, t) }));
    }
    return checkName();
  }
  /** Warns, before submitting, that an owner / household name is not on the register (R-RS-2). */
  function checkName() {
    const rel = c.relation.value;
    const name = cleanName(c.requester.value);
    const self = rel === 'owner' || (rel === 'household_member' && !c.unregistered.checked);
    const listed = register?.people.some((p) => p.relation === rel && cleanName(p.name) === name);
    nameWarn.hidden = !(register && self && name && !listed);
    nameWarn.textContent = nameWarn.hidden ? '' : t(rel === 'owner' ? 'rs.form.not_registered_owner' : 'rs.form.not_registered_household', { name });
  }
  c.unit.addEventListener('change', loadRegister);
  c.requester.addEventListener('input', checkName);
  c.relation.addEventListener('change', checkName);
  c.unregistered.addEventListener('change', checkName);

  const wrap = (name, key, control, hint) => {
    const f = field(h, t(key), control, hint);
    f.dataset.field = name;
    return f;
  };
  const secAuth = h('fieldset', { class: 'desk-fieldset rs-section', dataset: { field: 'authorisation', section: 'delegate' } },
    h('legend', { text: t('rs.form.auth'), title: 'R-RS-3' }),
    h('p', { class: 'muted small', text: t('rs.form.auth_hint') }),
    h('div', { class: 'desk-form-grid' },
      wrap('auth_kind', 'rs.form.auth_kind', c.auth_kind, t('rs.form.no_phone_call')),
      wrap('delegate_name', 'rs.form.delegate_name', c.delegate_name),
      wrap('visit_date', 'rs.form.visit_date', c.visit_date),
      wrap('items', 'rs.form.auth_items', c.auth_items, t('rs.form.auth_items_hint')),
      wrap('owner_signature_source', 'rs.form.sig_how', c.owner_sig_how),
      sigOwnerAuth.el, idCopy.el, letter.el));
  c.owner_sig_how.addEventListener('change', sync);
  const engFields = h('div', { class: 'desk-form-grid' },
    wrap('engineering_confirmation', 'rs.form.eng_by', c.eng_by),
    wrap('engineering_at', 'rs.form.eng_at', c.eng_at),
    h('div', { class: 'desk-span2' }, wrap('engineering_note', 'rs.form.eng_note', c.eng_note)));
  const secHandover = h('fieldset', { class: 'desk-fieldset rs-section', dataset: { section: 'handover' } },
    h('legend', { text: t('rs.form.handover'), title: 'R-RS-5' }),
    h('label', { class: 'desk-check' }, c.handover, t('rs.form.handover_period')),
    engFields);
  c.handover.addEventListener('change', sync);
  const secTools = h('fieldset', { class: 'desk-fieldset rs-section', dataset: { section: 'tools', field: 'owner_confirmation' } },
    h('legend', { text: t('rs.form.tools'), title: 'R-RS-6' }),
    h('p', { class: 'muted small', text: t('rs.form.tools_hint') }),
    h('div', { class: 'desk-form-grid' },
      wrap('owner_name', 'rs.form.owner_name', c.owner_name),
      wrap('owner_channel', 'rs.form.owner_channel', c.owner_channel),
      wrap('owner_at', 'rs.form.owner_at', c.owner_at)));
  const unregisteredRow = h('label', { class: 'desk-check desk-span2', dataset: { field: 'unregistered' } }, c.unregistered, t('rs.form.unregistered'));
  c.unregistered.addEventListener('change', sync);

  /** Which rule the desk is collecting evidence for; the server decides for itself (route()). */
  function path() {
    const rel = c.relation.value;
    if (rel === 'owner') return 'self';
    if (rel === 'household_member') return c.unregistered.checked ? 'delegate' : 'self';
    if (rel === 'contractor' && c.handover.checked) return 'handover_contractor';
    const items = readItems();
    if (rel === 'renovation_worker' && items.length && items.every((i) => i.tool)) return 'renovation_tools';
    return 'delegate';
  }
  function sync() {
    if (!c.relation) return;
    const rel = c.relation.value;
    const p = path();
    unregisteredRow.hidden = rel !== 'household_member';
    secHandover.hidden = rel !== 'contractor';
    engFields.hidden = !c.handover.checked;
    secTools.hidden = rel !== 'renovation_worker';
    secAuth.hidden = p !== 'delegate';
    // Signed on paper: nothing to draw, and the scan is no longer optional.
    const onPaper = c.owner_sig_how.value === 'scanned';
    sigOwnerAuth.el.hidden = onPaper;
    letter.el.querySelector('.field-label').textContent = t(onPaper ? 'rs.form.letter_required' : 'rs.form.letter');
    sigOwnerSlip.el.hidden = !(rel === 'household_member' && p === 'self');
    for (const cell of itemsBody.querySelectorAll('.rs-tool-cell')) cell.hidden = rel !== 'renovation_worker';
    headTool.hidden = rel !== 'renovation_worker';
    form.dataset.path = p;
    syncAuthItems();
  }
  c.relation.addEventListener('change', sync);

  const headTool = h('th', { text: t('rs.form.tool') });
  const itemsTable = h('table', { class: 'table rs-items' },
    h('thead', null, h('tr', null, h('th', { text: t('rs.form.item_name') }), h('th', { text: t('rs.form.qty') }), h('th'), h('th'), headTool, h('th'))),
    itemsBody);

  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'slip-submit' }, t('rs.form.submit'));
  const form = h('form', { class: 'card rs-form', novalidate: true, 'aria-label': t('rs.form.title'), onsubmit: onSubmit },
    h('h1', { text: t('rs.form.title') }),
    h('div', { class: 'desk-form-grid' },
      wrap('building', 'rs.form.building', c.building),
      wrap('unit_id', 'rs.form.unit', c.unit),
      registerBox,
      wrap('relation', 'rs.form.relation', c.relation),
      (() => {
        const f = wrap('requester_name', 'rs.form.requester', c.requester, t('rs.form.requester_hint'));
        f.append(nameWarn);
        return f;
      })(),
      unregisteredRow,
      wrap('id_type', 'rs.form.id_type', c.id_type),
      (() => {
        const f = wrap('id_check', 'rs.form.last4', c.last4, t('rs.form.last4_hint'));
        f.append(last4Err);
        return f;
      })()),
    h('fieldset', { class: 'desk-fieldset rs-section', dataset: { field: 'items_list' } },
      h('legend', { text: t('rs.form.items') }),
      h('div', { class: 'table-wrap' }, itemsTable),
      h('div', { class: 'desk-inline' },
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => addItem().querySelector('input')?.focus() }, t('rs.form.add_item')),
        h('span', { class: 'muted small', text: t('rs.form.valuable_hint'), title: 'R-RS-1' }))),
    h('div', { class: 'desk-form-grid' },
      wrap('valid_from', 'rs.form.valid_from', c.valid_from),
      wrap('valid_until', 'rs.form.valid_until', c.valid_until, t('rs.form.validity_hint')),
      h('div', { class: 'desk-span2' }, (() => {
        const f = wrap('gates', 'rs.form.gates', c.gates, t(named.length ? 'rs.form.gates_hint_named' : 'rs.form.gates_hint'));
        f.append(gateNamesLine);
        if (gateChips) f.append(gateChips);
        return f;
      })())),
    secHandover, secTools, secAuth,
    h('fieldset', { class: 'desk-fieldset rs-section' },
      h('legend', { text: t('rs.form.signatures') }),
      h('div', { class: 'desk-form-grid' }, sigRequester.el, sigOwnerSlip.el)),
    h('div', { class: 'dialog-actions' }, submit));

  const side = h('aside', { class: 'rs-form-side' },
    h('div', { class: 'card rs-refusal-card' }, err.el,
      h('h2', { text: t('rs.form.rules') }),
      // People at the desk do not know rule numbers: the reference is only a tooltip.
      h('ul', { class: 'rs-rules small' }, [['rs.form.rule1', 'R-RS-2'], ['rs.form.rule2', 'R-RS-3'], ['rs.form.rule3', 'R-RS-5'], ['rs.form.rule4', 'R-RS-6']]
        .map(([k, ref]) => h('li', { text: t(k), title: ref }))),
      h('p', { class: 'muted small', text: t('rs.form.register_note') })));

  function parseGates(text) {
    return [...new Set(text.toUpperCase().split(/[\s,，、;；]+/).filter(Boolean))];
  }

  function markMissing(list) {
    const map = {
      id_check: ['id_check'], requester_signature_sha256: ['requester_signature_sha256'],
      owner_signature_sha256: ['owner_signature_sha256', 'auth_owner_signature_sha256'], owner_signature_source: ['owner_signature_source'],
      authorisation: ['authorisation'], delegate_name: ['delegate_name'], visit_date: ['visit_date'], items: ['items'],
      gates_unknown: ['gates'],
      owner_id_copy_sha256: ['owner_id_copy_sha256'], engineering_confirmation: ['engineering_confirmation'], owner_confirmation: ['owner_confirmation'],
    };
    for (const m of list) for (const name of map[m] || [m]) form.querySelector(`[data-field="${name}"]`)?.classList.add('is-missing');
  }

  async function onSubmit(e) {
    e.preventDefault();
    err.clear();
    form.querySelectorAll('.is-missing').forEach((el) => el.classList.remove('is-missing'));
    const localMissing = [];
    const items = readItems();
    const gates = parseGates(c.gates.value);
    const last4 = c.last4.value.trim();
    if (!c.unit.value) localMissing.push('unit_id');
    if (!c.requester.value.trim()) localMissing.push('requester_name');
    if (!items.length) localMissing.push('items_list');
    if (!gates.length || !gates.every((g) => GATE_RE.test(g))) localMissing.push('gates');
    else if (unknownGates(gates, named).length) localMissing.push('gates_unknown');
    if (last4 && !LAST4_RE.test(last4)) localMissing.push('id_check');
    const onPaper = c.owner_sig_how.value === 'scanned';
    if (path() === 'delegate' && onPaper && !letter.sha) localMissing.push('letter_sha256'); // R-RS-3
    if (localMissing.length) {
      markMissing(localMissing);
      const words = { unit_id: t('rs.form.unit'), requester_name: t('rs.form.requester'), items_list: t('rs.form.items'), gates: t('rs.form.gates_bad'), gates_unknown: t('rs.form.gates_unknown', { codes: joinList(unknownGates(gates, named)) }), id_check: t('rs.form.last4_bad'), letter_sha256: t('rs.form.letter_required') };
      err.show(t('rs.form.check', { list: localMissing.map((m) => words[m]).join(en() ? '; ' : '；') }), t);
      return;
    }
    const p = path();
    const data = {
      unit_id: c.unit.value,
      requester_name: c.requester.value.trim(),
      relation: c.relation.value,
      items,
      gates,
      valid_from: zonedToIso(c.valid_from.value) || undefined,
      valid_until: zonedToIso(c.valid_until.value),
    };
    if (last4) data.id_check = { id_type: c.id_type.value, last4 }; // only the type and the last four (R-RS-2/3)
    if (sigRequester.sha) data.requester_signature_sha256 = sigRequester.sha;
    if (p === 'self' && sigOwnerSlip.sha && c.relation.value === 'household_member') data.owner_signature_sha256 = sigOwnerSlip.sha; // R-RS-1
    if (c.relation.value === 'contractor') {
      data.handover_period = c.handover.checked;
      if (c.handover.checked && c.eng_by.value) { // R-RS-5
        data.engineering_confirmation = { confirmed_by_id: c.eng_by.value, confirmed_at: zonedToIso(c.eng_at.value), note: c.eng_note.value.trim() };
      }
    }
    if (p === 'renovation_tools' && c.owner_name.value.trim()) { // R-RS-6
      data.owner_confirmation = { owner_name: c.owner_name.value.trim(), channel: c.owner_channel.value, confirmed_at: zonedToIso(c.owner_at.value) };
    }
    if (p === 'delegate') { // R-RS-3: sent only when the desk has something of the letter
      const letterItems = c.auth_items.value.split(/[,，、;；\n]+/).map((s) => s.trim()).filter(Boolean);
      const anything = sigOwnerAuth.sha || idCopy.sha || letter.sha || delegateTouched || onPaper;
      if (anything) {
        data.authorisation = {
          kind: c.auth_kind.value,
          delegate_name: c.delegate_name.value.trim(),
          visit_date: c.visit_date.value || null,
          items: letterItems,
          owner_signature_sha256: onPaper ? null : sigOwnerAuth.sha,
          owner_signature_source: onPaper ? 'scanned' : 'device',
          owner_id_copy_sha256: idCopy.sha,
          letter_sha256: letter.sha,
        };
      }
    }
    submit.disabled = true;
    try {
      const view = await api.post('/api/slips', data);
      issueDraft = null;
      ctx.toast(t('rs.form.issued', { code: view.short_code }), 'ok');
      ctx.navigate(`#/slips/${view.id}`);
    } catch (ex) {
      err.show(ex, t);
      // R-RS-2: a name not on the unit's register — the name is what to correct (or pick from the register).
      if (ex.details?.on_record === false) markMissing(['requester_name']);
      else markMissing(ex.details?.missing || []);
      if (ex.code === 'slip.full_id_number_refused' || ex.code === 'slip.bad_id_last4') markMissing(['id_check']);
      if (ex.code === 'slip.unknown_gate' || ex.code === 'slip.bad_gates') markMissing(['gates']);
      err.el.scrollIntoView({ block: 'nearest' });
    } finally {
      submit.disabled = false;
    }
  }

  function snapshot() {
    return {
      fields: Object.fromEntries(Object.entries(c).map(([k, el]) => [k, el.type === 'checkbox' ? el.checked : el.value])),
      items: [...itemsBody.querySelectorAll('tr.rs-item')].map((tr) => ({
        name: tr.querySelector('[name=item_name]').value,
        qty: tr.querySelector('[name=item_qty]').value,
        valuable: tr.querySelector('[name=item_valuable]').checked,
        large: tr.querySelector('[name=item_large]').checked,
        tool: tr.querySelector('[name=item_tool]').checked,
      })),
      authItemsTouched,
      delegateTouched,
      shas: { sigRequester: sigRequester.sha, sigOwnerSlip: sigOwnerSlip.sha, sigOwnerAuth: sigOwnerAuth.sha, idCopy: idCopy.sha, letter: letter.sha },
    };
  }
  function saveDraft() {
    issueDraft = { userId: ctx.user?.id, data: snapshot() };
  }
  function restore(d) {
    const set = (k, v) => {
      const el = c[k];
      if (!el || v === undefined) return;
      if (el.type === 'checkbox') el.checked = Boolean(v);
      else el.value = v;
    };
    set('building', d.fields.building);
    c.building.dispatchEvent(new Event('change')); // the building's units
    for (const [k, v] of Object.entries(d.fields)) if (k !== 'building') set(k, v);
    for (const it of d.items) {
      const tr = addItem(it.name);
      tr.querySelector('[name=item_qty]').value = it.qty;
      tr.querySelector('[name=item_valuable]').checked = it.valuable;
      tr.querySelector('[name=item_large]').checked = it.large;
      tr.querySelector('[name=item_tool]').checked = it.tool;
    }
    authItemsTouched = d.authItemsTouched;
    delegateTouched = d.delegateTouched;
    c.auth_items.value = d.fields.auth_items; // after the rows, which re-derive it while untouched
    const widgets = { sigRequester, sigOwnerSlip, sigOwnerAuth, idCopy, letter };
    for (const [k, sha] of Object.entries(d.shas)) widgets[k].set(sha);
    loadRegister();
  }

  const draft = issueDraft && issueDraft.userId === ctx.user?.id ? issueDraft.data : null;
  if (draft?.items.length) restore(draft);
  else addItem();
  showGateNames();
  sync();
  checkName();
  form.addEventListener('input', saveDraft);
  form.addEventListener('change', saveDraft);
  mount(body, h('div', { class: 'rs-page' },
    h('a', { href: '#/slips', class: 'small rs-back', text: t('rs.form.back') }),
    h('div', { class: 'rs-form-grid' }, form, side)));
  if (!draft) c.building.focus();
  return () => {
    // Still on the form (a re-render, e.g. the language switch): keep the draft; anywhere else: drop it.
    if (location.hash === '#/slips/new') saveDraft();
    else issueDraft = null;
  };
}

// ---- one slip: QR, print, revoke ----------------------------------------------------------------

const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_ATTRS = ['width', 'height', 'viewBox', 'class', 'transform', 'stroke', 'fill', 'd'];

/** Rebuilds the server's QR <svg> element by element: only <svg>/<path> and drawing attributes pass. */
function cleanSvg(src) {
  const copy = (node) => {
    const name = node.localName;
    if (name !== 'svg' && name !== 'path') return null;
    const el = document.createElementNS(SVG_NS, name);
    for (const a of SVG_ATTRS) if (node.hasAttribute(a)) el.setAttribute(a, node.getAttribute(a));
    for (const child of node.children) {
      const c = copy(child);
      if (c) el.append(c);
    }
    return el;
  };
  const svg = copy(src);
  if (svg && !svg.hasAttribute('viewBox') && svg.getAttribute('width')) {
    svg.setAttribute('viewBox', `0 0 ${svg.getAttribute('width')} ${svg.getAttribute('height') || svg.getAttribute('width')}`);
  }
  svg?.classList.add('rs-qr-svg');
  return svg;
}

async function fetchPrintHtml(ctx, id) {
  // In the language the desk shows, like the service slip (the server's default is Chinese).
  const lang = getLang() === 'en' ? 'en' : 'zh';
  const res = await ctx.api.request('GET', `/api/slips/${encodeURIComponent(id)}/print?lang=${lang}`, { raw: true });
  return res.text();
}

/**
 * Opens the server's print page, a copy per A6 page (it needs the bearer token, so it is fetched, not
 * linked), as a blob URL in a new window and prints it. A blob document has no base URL of its own, so the
 * stylesheet link is made absolute (still same-origin, as the inherited CSP requires).
 */
async function printSlip(ctx, id, errBox) {
  const { t } = ctx;
  const win = window.open('', '_blank'); // opened inside the click, so no pop-up blocker
  if (!win) return errBox.show(t('rs.detail.popup_blocked'), t);
  try {
    const html = (await fetchPrintHtml(ctx, id))
      .replace(/href="\/print-slip\.css"/, `href="${location.origin}/print-slip.css"`)
      // The server's QR <svg> has a pixel size but no viewBox, so print-slip.css's 30 mm box crops it
      // (reported to the lead); a viewBox makes it scale to the box instead.
      .replace(/<svg width="(\d+)" height="(\d+)"(?![^>]*viewBox)/g, '<svg width="$1" height="$2" viewBox="0 0 $1 $2"');
    const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
    win.location.href = url;
    const started = Date.now();
    const poll = setInterval(() => {
      let ready = false;
      try {
        ready = win.closed || (win.location.href === url && win.document.readyState === 'complete');
      } catch {
        ready = true;
      }
      if (ready || Date.now() - started > 10000) {
        clearInterval(poll);
        if (!win.closed) {
          win.focus();
          win.print();
        }
        setTimeout(() => URL.revokeObjectURL(url), 60000);
      }
    }, 100);
  } catch (e) {
    win.close();
    errBox.show(e, t);
  }
}

function revokeDialog(ctx, slip) {
  const { h, t, api } = ctx;
  return openDialog((close) => {
    const err = alertBox(h);
    const reason = h('textarea', { name: 'revoke_reason', rows: 3, maxlength: '200', required: true });
    const ok = h('button', { type: 'button', class: 'btn btn-danger', 'data-testid': 'revoke-ok' }, t('rs.detail.revoke'));
    ok.addEventListener('click', async () => {
      err.clear();
      if (!reason.value.trim()) return err.show(t('rs.detail.reason_needed'), t);
      ok.disabled = true;
      try {
        close(await api.post(`/api/slips/${slip.id}/revoke`, { reason: reason.value.trim() }));
      } catch (e) {
        err.show(e, t);
        ok.disabled = false;
      }
    });
    return [
      h('h2', { class: 'dialog-title', text: `${t('rs.detail.revoke_title')} ${slip.short_code}` }),
      field(h, t('rs.detail.revoke_reason'), reason),
      err.el,
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => close(undefined) }, t('desk.cancel')), ok),
    ];
  }, { className: 'desk-dialog' });
}

async function renderDetail(body, ctx, id) {
  const { h, t, api } = ctx;
  const [view, incidents, staff] = await Promise.all([
    api.get(`/api/slips/${encodeURIComponent(id)}`),
    api.get(`/api/slips/incidents?slip_id=${encodeURIComponent(id)}`).catch(() => []),
    loadStaff(ctx).catch(() => []),
  ]);
  const s = view.slip;
  const err = alertBox(h);
  const staffName = (sid) => staff.find((p) => p.id === sid)?.display_name || sid || '';
  const qrBox = h('div', { class: 'rs-qr', 'data-testid': 'slip-qr', 'aria-label': t('rs.detail.qr') }, h('span', { class: 'muted small', text: t('desk.loading') }));
  fetchPrintHtml(ctx, id).then((html) => {
    const doc = new DOMParser().parseFromString(html, 'text/html');
    const svg = doc.querySelector('.qr svg');
    mount(qrBox, svg ? cleanSvg(svg) : '');
  }).catch((e) => mount(qrBox, h('span', { class: 'small warn-text', text: t('rs.detail.qr_failed', { msg: refusalText(e, t) }) })));

  const row = (k, v, testid) => h('tr', { 'data-testid': testid || null }, h('th', { text: t(k) }), h('td', null, v ?? ''));
  const sep = en() ? ', ' : '、';
  const security = s.copies?.find((cp) => cp.holder === 'security');
  const a = s.authorisation;
  const images = [];
  const addImg = (key, sha) => {
    if (!sha) return;
    const img = h('img', { class: 'rs-sig-thumb', alt: t(key), hidden: true });
    blobObjectUrl(ctx, sha).then((url) => { img.src = url; img.hidden = false; }).catch(() => {});
    images.push(h('figure', { class: 'rs-figure' }, img, h('figcaption', { class: 'small muted', text: t(key) })));
  };
  addImg('rs.detail.sig_requester', s.requester_signature_sha256);
  if (s.owner_signature_sha256 && s.owner_signature_sha256 !== s.requester_signature_sha256) addImg('rs.detail.sig_owner', s.owner_signature_sha256);
  if (a) {
    addImg('rs.detail.sig_auth_owner', a.owner_signature_sha256);
    addImg('rs.detail.id_copy', a.owner_id_copy_sha256);
    addImg('rs.detail.letter', a.letter_sha256);
  }

  const tools = h('div', { class: 'desk-actions rs-actions no-print' },
    h('button', { type: 'button', class: 'btn btn-primary btn-small', 'data-action': 'print', onclick: () => printSlip(ctx, id, err) }, t('rs.detail.print')),
    canIssue(ctx) && view.state === 'issued'
      ? h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', 'data-action': 'revoke', onclick: async () => {
        const done = await revokeDialog(ctx, view);
        if (done) {
          ctx.toast(t('rs.detail.revoke_done'), 'ok');
          renderDetail(body, ctx, id);
        }
      } }, t('rs.detail.revoke'))
      : null);

  mount(body, h('div', { class: 'rs-page rs-detail', dataset: { state: view.state } },
    h('a', { href: '#/slips', class: 'small rs-back', text: t('rs.detail.back') }),
    h('div', { class: 'rs-detail-head' },
      h('h1', null, `${t('rs.title')} `, h('span', { class: 'rs-code rs-code-big', 'data-testid': 'slip-code', text: view.short_code })),
      stateBadge(h, view.state)),
    tools,
    err.el,
    h('div', { class: 'rs-detail-grid' },
      h('section', { class: 'card' },
        h('table', { class: 'slip-table rs-fields' }, h('tbody', null,
          row('rs.detail.unit', s.unit_label),
          row('rs.detail.requester', paren(s.requester_name, lbl('relation', s.relation))),
          row('rs.detail.path', lbl('path', s.path)),
          row('rs.detail.gates', gatesText(t, s.gates)),
          row('rs.detail.validity', `${fmtTime(s.valid_from)} – ${fmtTime(s.valid_until)}`),
          row('rs.detail.issued', `${s.issued_by?.name || ''} · ${fmtTime(s.issued_at)}`),
          s.id_check ? row('rs.detail.id_check', `${lbl('id_type', s.id_check.id_type)} ****${s.id_check.last4}`) : null,
          s.released_at ? row('rs.detail.released', t('rs.released_at', { gate: gateText(t, s.released_gate), time: fmtTime(s.released_at) })) : null,
          s.revoked_at ? row('rs.detail.revoked', `${fmtTime(s.revoked_at)} · ${staffName(s.revoked_by)} · ${s.revoke_reason || ''}`) : null,
          row('rs.detail.copies', security?.handed_in_at ? t('rs.detail.copy_security_in', { time: fmtTime(security.handed_in_at) }) : t('rs.detail.copy_security_out')),
          a ? row('rs.detail.auth', t('rs.detail.auth_line', { name: a.delegate_name, date: fmtDay(a.visit_date), items: (a.items || []).join(sep) })) : null,
          s.engineering_confirmation ? row('rs.detail.eng', `${s.engineering_confirmation.confirmed_by?.name || ''} · ${fmtTime(s.engineering_confirmation.confirmed_at)} ${s.engineering_confirmation.note || ''}`) : null,
          s.owner_confirmation ? row('rs.detail.owner_conf', `${s.owner_confirmation.owner_name} · ${lbl('channel', s.owner_confirmation.channel)} · ${fmtTime(s.owner_confirmation.confirmed_at)}`) : null)),
        h('h3', { text: t('rs.detail.items') }),
        h('div', { class: 'table-wrap' }, h('table', { class: 'table rs-items-view' },
          h('thead', null, h('tr', null, h('th', { text: t('rs.form.item_name') }), h('th', { text: t('rs.form.qty') }), h('th'))),
          h('tbody', null, s.items.map((i) => h('tr', null,
            h('td', { text: i.name }), h('td', { text: String(i.quantity) }),
            h('td', null, [i.valuable ? t('rs.form.valuable') : '', i.large ? t('rs.form.large') : '', i.tool ? t('rs.form.tool') : ''].filter(Boolean).map((x) => h('span', { class: 'badge badge-warn rs-flag', text: x })))))))),
        images.length ? [h('h3', { text: t('rs.detail.signatures') }), h('div', { class: 'rs-figures' }, images)] : null),
      h('aside', { class: 'rs-detail-side' },
        h('section', { class: 'card rs-qr-card' },
          h('h2', { text: t('rs.detail.qr') }), qrBox,
          h('p', { class: 'rs-code rs-code-big', text: view.short_code })),
        incidents.length ? h('section', { class: 'card rs-incidents-card' },
          h('h2', { text: t('rs.detail.incidents') }), incidentList(ctx, incidents)) : null))));
  return null;
}
