// The work-contact slip 工作联系单 to the developer for a legacy defect (R-IN-6 d, D44): the case
// page's card (draft pre-filled from the case, on-site verification, issue, the developer's reply)
// and the A4 print view at #/case/<case id>/contact-slip/<slip id>. Strings are registered here.
import { ensureStylesheet, mount } from '../dom.js';
import { colon, registerStrings } from '../i18n.js';
import { formatDay, toZonedDate, toZonedInput, zonedToIso } from '../zone.js';
import { errorBox, field, fmtFull, isEn, loadStaff, staffName, withWhen } from './common.js';

const STRINGS = {
  zh: {
    'lx.title': '工作联系单',
    'lx.hint': '开发商遗留问题：向住户致歉，现场核实后向开发商发工作联系单，工单仍须 5 分钟内送达维修班组。',
    'lx.none': '尚未发工作联系单。',
    'lx.new': '新建工作联系单', 'lx.create': '保存草稿', 'lx.edit': '修改', 'lx.save': '保存修改', 'lx.cancel': '取消',
    'lx.verify': '登记现场核实', 'lx.verify_save': '保存核实情况', 'lx.issue': '发出', 'lx.reply': '登记开发商回复',
    'lx.reply_save': '保存回复', 'lx.print': '打印', 'lx.no': '编号', 'lx.draft_no': '草稿（发出时编号）',
    'lx.addressee': '致（开发商）', 'lx.location': '位置/房号', 'lx.description': '问题描述',
    'lx.requested_action': '要求事项', 'lx.reply_by': '要求回复日期', 'lx.verification': '现场核实',
    'lx.verified_by': '核实人', 'lx.verified_at': '核实时间', 'lx.verify_note': '核实情况',
    'lx.not_verified': '尚未现场核实，核实后才能发出。', 'lx.issued': '发出', 'lx.reply_text': '开发商回复',
    'lx.replied_on': '回复日期', 'lx.state.draft': '草稿', 'lx.state.sent': '已发出，待回复', 'lx.state.answered': '已回复',
    'lx.overdue': '回复逾期', 'lx.badge_open': '联系单待回复 {no}', 'lx.badge_overdue': '联系单回复逾期 {no}',
    'lx.default_action': '请贵司派人现场查明原因并予以修复，并书面回复处理意见及完成时间。',
    'lx.case_no': '工单编号', 'lx.contact': '报修人', 'lx.print_title': '工作联系单', 'lx.from': '发件单位',
    'lx.issuer_sign': '发件人（签字）', 'lx.receipt_sign': '开发商签收（签字/盖章）', 'lx.date_line': '日期：',
    'lx.back': '← 返回工单', 'lx.draft_mark': '草稿，未发出', 'lx.issued_by': '发出人', 'lx.issued_at': '发出时间',
    'lx.confirm_issue': '发出后内容不能再修改，确定发出？',
  },
  en: {
    'lx.title': 'Work-contact slip',
    'lx.hint': "Developer's legacy defect: apologise to the resident, verify on site, then send the developer a work-contact slip; the work order still reaches the repair team within 5 minutes.",
    'lx.none': 'No work-contact slip yet.',
    'lx.new': 'New work-contact slip', 'lx.create': 'Save draft', 'lx.edit': 'Edit', 'lx.save': 'Save changes', 'lx.cancel': 'Cancel',
    'lx.verify': 'Record on-site verification', 'lx.verify_save': 'Save verification', 'lx.issue': 'Send', 'lx.reply': "Record developer's reply",
    'lx.reply_save': 'Save reply', 'lx.print': 'Print', 'lx.no': 'Number', 'lx.draft_no': 'Draft (numbered when sent)',
    'lx.addressee': 'To (developer)', 'lx.location': 'Location / unit', 'lx.description': 'Defect',
    'lx.requested_action': 'Requested action', 'lx.reply_by': 'Reply requested by', 'lx.verification': 'On-site verification',
    'lx.verified_by': 'Verified by', 'lx.verified_at': 'Verified at', 'lx.verify_note': 'Findings',
    'lx.not_verified': 'Not verified on site yet; it can be sent once verified.', 'lx.issued': 'Sent', 'lx.reply_text': "Developer's reply",
    'lx.replied_on': 'Reply date', 'lx.state.draft': 'Draft', 'lx.state.sent': 'Sent, awaiting reply', 'lx.state.answered': 'Answered',
    'lx.overdue': 'Reply overdue', 'lx.badge_open': 'Contact slip awaiting reply {no}', 'lx.badge_overdue': 'Contact slip reply overdue {no}',
    'lx.default_action': 'Please send someone to find the cause on site and repair it, and reply in writing with your plan and completion date.',
    'lx.case_no': 'Case no.', 'lx.contact': 'Reported by', 'lx.print_title': 'Work-contact slip', 'lx.from': 'From',
    'lx.issuer_sign': 'Issued by (signature)', 'lx.receipt_sign': "Developer's receipt (signature/seal)", 'lx.date_line': 'Date:',
    'lx.back': '← Back to the case', 'lx.draft_mark': 'Draft, not sent', 'lx.issued_by': 'Sent by', 'lx.issued_at': 'Sent at',
    'lx.confirm_issue': 'Once sent the slip cannot change. Send it?',
  },
};
registerStrings(STRINGS);

const DAY = 86400000;
const enc = encodeURIComponent;

function kv(h, k, v, testid) {
  if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)) return null;
  return h('div', { class: 'kv-row', 'data-testid': testid }, h('div', { class: 'kv-label', text: k }), h('div', { class: 'kv-value pre' }, v));
}

/** The print view's slip id when the route is #/case/<id>/contact-slip/<slip id>, else null. */
export function contactSlipPrintId(route) {
  const parts = String(route || '').split('/').filter(Boolean);
  const i = parts.indexOf('contact-slip');
  return i >= 2 && parts[i + 1] ? decodeURIComponent(parts[i + 1]) : null;
}

/** The case header's follow-up badge for a sent, unanswered slip (view.summary.contact_slip). */
export function contactSlipBadge(ctx, summary) {
  const s = summary?.contact_slip;
  if (!s) return null;
  const { h, t } = ctx;
  return h('span', {
    class: ['badge', s.overdue ? 'desk-badge-overdue' : 'badge-warn'], 'data-testid': 'contact-slip-badge', title: 'R-IN-6',
    text: t(s.overdue ? 'lx.badge_overdue' : 'lx.badge_open', { no: s.no || '' }),
  });
}

/**
 * The 工作联系单 card of a repair classified as the developer's legacy defect (or one that already
 * has slips). Loads its slips itself; onChanged() re-reads the case (timeline, header badge).
 */
export function contactSlipCard(ctx, view, staff, onChanged) {
  const { h, t, api } = ctx;
  const c = view.case;
  if (c.kind !== 'repair') return null;
  const isDefect = c.repair_responsibility === 'developer_defect';
  const canEdit = (ctx.user?.roles || []).some((r) => ['dispatcher', 'front_desk', 'control_room', 'manager'].includes(r));
  if (!canEdit) return null; // the desk's own follow-up; other roles are refused by the server
  ensureStylesheet('/contact-slip.css');
  const content = h('div', { class: 'lx-body' }, h('p', { class: 'muted small', text: '…' }));
  const section = h('section', { class: 'card desk-info lx-card', 'data-testid': 'contact-slip' },
    h('h2', { text: t('lx.title'), title: 'R-IN-6' }),
    isDefect ? h('p', { class: 'muted small', text: t('lx.hint') }) : null,
    content);
  // A work-contact slip is for a developer's defect (d) only: on any other repair the card said
  // "尚未发工作联系单" about a slip nobody would send. It shows there only when one was sent before
  // the repair was classed otherwise (the slip stays on record, D44) (D96).
  section.hidden = !isDefect;

  const base = `/api/contact-slips`;
  async function act(fn, err, btn) {
    err.clear();
    if (btn) btn.disabled = true;
    try {
      await fn();
      ctx.toast(t('desk.saved'), 'ok');
      await onChanged();
    } catch (ex) {
      err.show(ex, t);
      if (btn) btn.disabled = false;
    }
  }

  function textArea(name, value, rows = 2) {
    return h('textarea', { name, rows, text: value || '' });
  }

  // The draft's content fields; `s` is the slip being edited, or the defaults for a new one.
  function contentForm(s, submitText, testid, submit) {
    const err = errorBox(h);
    const inputs = {
      addressee: h('input', { name: 'addressee', value: s.addressee || '', required: true }),
      location: h('input', { name: 'location', value: s.location || '' }),
      description: textArea('description', s.description, 3),
      requested_action: textArea('requested_action', s.requested_action, 2),
      reply_by: h('input', { type: 'date', name: 'reply_by', value: s.reply_by || '' }),
    };
    inputs.description.required = true;
    const btn = h('button', { type: 'submit', class: 'btn btn-small btn-primary', 'data-testid': `${testid}-submit` }, submitText);
    const form = h('form', {
      class: 'lx-form no-print', novalidate: true, 'data-testid': testid,
      onsubmit: (e) => {
        e.preventDefault();
        const body = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()]));
        if (!body.reply_by) delete body.reply_by;
        act(() => submit(body), err, btn);
      },
    },
    h('div', { class: 'desk-form-grid' },
      field(h, t('lx.addressee'), inputs.addressee), field(h, t('lx.location'), inputs.location)),
    field(h, t('lx.description'), inputs.description),
    field(h, t('lx.requested_action'), inputs.requested_action),
    h('div', { class: 'desk-form-grid' }, field(h, t('lx.reply_by'), inputs.reply_by)),
    err.el,
    h('div', { class: 'desk-btn-row' }, btn));
    return form;
  }

  function verifyForm(s) {
    const err = errorBox(h);
    const v = s.verification;
    const by = h('input', { name: 'verified_by', value: v?.verified_by || '', required: true });
    const at = h('input', { type: 'datetime-local', name: 'verified_at', value: toZonedInput(v ? Date.parse(v.verified_at) : Date.now()) });
    const note = textArea('note', v?.note || '', 2);
    note.required = true;
    const btn = h('button', { type: 'submit', class: 'btn btn-small btn-primary', 'data-testid': 'lx-verify-submit' }, t('lx.verify_save'));
    return h('form', {
      class: 'lx-form no-print', novalidate: true, 'data-testid': 'lx-verify-form',
      onsubmit: (e) => {
        e.preventDefault();
        act(() => api.post(`${base}/${enc(s.id)}/verification`, {
          verified_by: by.value.trim(), verified_at: zonedToIso(at.value), note: note.value.trim(),
        }), err, btn);
      },
    },
    h('div', { class: 'desk-form-grid' }, field(h, t('lx.verified_by'), by), field(h, t('lx.verified_at'), at)),
    field(h, t('lx.verify_note'), note), err.el, h('div', { class: 'desk-btn-row' }, btn));
  }

  function replyForm(s) {
    const err = errorBox(h);
    const on = h('input', { type: 'date', name: 'replied_on', value: toZonedDate(Date.now()) });
    const text = textArea('text', '', 3);
    const btn = h('button', { type: 'submit', class: 'btn btn-small btn-primary', 'data-testid': 'lx-reply-submit' }, t('lx.reply_save'));
    return h('form', {
      class: 'lx-form no-print', novalidate: true, 'data-testid': 'lx-reply-form',
      onsubmit: (e) => {
        e.preventDefault();
        act(() => api.post(`${base}/${enc(s.id)}/reply`, { replied_on: on.value, text: text.value.trim() }), err, btn);
      },
    },
    h('div', { class: 'desk-form-grid' }, field(h, t('lx.replied_on'), on)),
    field(h, t('lx.reply_text'), text), err.el, h('div', { class: 'desk-btn-row' }, btn));
  }

  function slipBlock(s) {
    const err = errorBox(h);
    const slot = h('div', { class: 'lx-slot' });
    // One form open under the slip at a time; its button again closes it.
    let openKind = null;
    const toggle = (kind, make) => () => {
      openKind = openKind === kind ? null : kind;
      mount(slot, openKind ? make() : null);
    };
    const editForm = () => contentForm(s, t('lx.save'), 'lx-edit-form', (body) => {
      const changed = Object.fromEntries(Object.entries(body).filter(([k, v]) => (s[k] || '') !== v));
      return api.put(`${base}/${enc(s.id)}`, changed);
    });
    // Sending is final (the developer holds the paper): asked once more beside the button.
    const issueConfirm = () => {
      const ok = h('button', {
        type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'lx-issue-confirm',
        onclick: () => act(() => api.post(`${base}/${enc(s.id)}/issue`), err, ok),
      }, t('lx.issue'));
      return h('div', { class: 'notice notice-warn lx-confirm' }, h('p', { class: 'small', text: t('lx.confirm_issue') }),
        h('div', { class: 'desk-btn-row' }, ok, h('button', { type: 'button', class: 'btn btn-small', onclick: toggle('issue') }, t('lx.cancel'))));
    };
    const issueBtn = h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'lx-issue', onclick: toggle('issue', issueConfirm) }, t('lx.issue'));
    const v = s.verification;
    const buttons = s.state === 'draft'
      ? [h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'lx-edit', onclick: toggle('edit', editForm) }, t('lx.edit')),
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'lx-verify', onclick: toggle('verify', () => verifyForm(s)) }, t('lx.verify')),
        issueBtn]
      : s.state === 'sent'
        ? [h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'lx-reply', onclick: toggle('reply', () => replyForm(s)) }, t('lx.reply'))]
        : [];
    return h('div', { class: 'lx-slip', 'data-testid': 'lx-slip', dataset: { state: s.state, slipId: s.id } },
      h('div', { class: 'desk-section-head' },
        h('h3', { 'data-testid': 'lx-no', text: s.no || t('lx.draft_no') }),
        h('span', { class: ['badge', s.state === 'answered' ? 'badge-done' : 'badge-warn'], 'data-testid': 'lx-state', text: t(`lx.state.${s.state}`) }),
        s.overdue ? h('span', { class: 'badge desk-badge-overdue', 'data-testid': 'lx-overdue', text: t('lx.overdue') }) : null),
      kv(h, t('lx.addressee'), s.addressee),
      kv(h, t('lx.location'), s.location),
      kv(h, t('lx.description'), s.description),
      kv(h, t('lx.requested_action'), s.requested_action),
      kv(h, t('lx.reply_by'), withWhen(h, (time, day) => day(s.reply_by))),
      v ? kv(h, t('lx.verification'), withWhen(h, (time) => `${v.verified_by} · ${time(v.verified_at)} · ${v.note}`), 'lx-verification')
        : (s.state === 'draft' ? h('p', { class: 'notice notice-warn small', 'data-testid': 'lx-not-verified', text: t('lx.not_verified') }) : null),
      s.issued_at ? kv(h, t('lx.issued'), withWhen(h, (time) => `${staffName(staff, s.issued_by)} · ${time(s.issued_at)}`)) : null,
      s.reply ? kv(h, t('lx.reply_text'), withWhen(h, (time, day) => `${day(s.reply.replied_on)} · ${s.reply.text}`), 'lx-reply-text') : null,
      h('div', { class: 'desk-btn-row no-print' }, ...buttons,
        h('a', { class: 'btn btn-small', 'data-testid': 'lx-print', href: `#/case/${enc(c.id)}/contact-slip/${enc(s.id)}` }, t('lx.print'))),
      err.el, slot);
  }

  api.get(`/api/cases/${enc(c.id)}/contact-slips`).then((data) => {
    const slips = [...data.slips].reverse(); // newest first
    const anyOpen = slips.some((s) => s.open);
    if (!isDefect && !slips.length) {
      section.remove();
      return;
    }
    section.hidden = false;
    const parts = slips.map(slipBlock);
    if (!slips.length) parts.push(h('p', { class: 'muted small', text: t('lx.none') }));
    if (isDefect && !anyOpen && !['closed', 'not_opened'].includes(c.state)) {
      // Pre-filled from the case: where, what was reported; a reply asked within a week.
      const defaults = {
        addressee: data.default_addressee, location: c.address, description: c.content,
        requested_action: t('lx.default_action'), reply_by: toZonedDate(Date.now() + 7 * DAY),
      };
      const slot = h('div');
      const open = h('button', {
        type: 'button', class: 'btn btn-small btn-primary no-print', 'data-testid': 'lx-new',
        onclick: () => {
          open.hidden = true;
          mount(slot, contentForm(defaults, t('lx.create'), 'lx-new-form',
            (body) => api.post(`/api/cases/${enc(c.id)}/contact-slips`, body)));
        },
      }, t('lx.new'));
      parts.push(open, slot);
    }
    mount(content, ...parts);
  }).catch((ex) => {
    const err = errorBox(h);
    err.show(ex, t);
    mount(content, err.el);
  });
  return section;
}

/** The A4 print view of one slip, with the compound's header and the two signature lines. */
export async function renderContactSlipPrint(body, ctx, caseId, slipId) {
  const { h, t, api } = ctx;
  ensureStylesheet('/contact-slip.css');
  const [view, s, me, staff] = await Promise.all([
    api.get(`/api/cases/${enc(caseId)}`), api.get(`/api/contact-slips/${enc(slipId)}`),
    ctx.user?.compound_name ? ctx.user : api.get('/api/me').catch(() => ctx.user),
    loadStaff(ctx).catch(() => [])]);
  const c = view.case;
  const company = me?.compound_name || t('app.full_name');
  const row = (k, v, testid) => h('tr', null, h('th', { text: k }), h('td', { class: 'pre', 'data-testid': testid }, v ?? ''));
  const v = s.verification;
  const sign = (labelKey, name) => h('div', { class: 'lx-sign' },
    h('p', null, t(labelKey), h('span', { class: 'lx-line', text: name || '' })),
    h('p', null, t('lx.date_line'), h('span', { class: 'lx-line lx-line-short' })));
  mount(body,
    h('div', { class: 'desk-slip-tools no-print' },
      h('a', { href: `#/case/${enc(c.id)}`, class: 'small', text: t('lx.back') }),
      h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => window.print() }, t('lx.print'))),
    h('article', { class: 'slip lx-print', 'data-testid': 'contact-slip-print', lang: isEn() ? 'en' : 'zh-CN' },
      h('div', { class: 'lx-print-head' },
        h('p', { class: 'lx-company', 'data-testid': 'lx-print-company', text: company }),
        h('h1', { text: t('lx.print_title') }),
        h('p', { class: 'lx-print-no' }, colon(t('lx.no'), ''), h('strong', { 'data-testid': 'lx-print-no', text: s.no || t('lx.draft_mark') }))),
      s.state === 'draft' ? h('p', { class: 'notice notice-warn', text: t('lx.draft_mark') }) : null,
      h('table', { class: 'slip-table lx-table' }, h('tbody', null,
        row(t('lx.addressee'), s.addressee, 'lx-print-addressee'),
        row(t('lx.from'), company),
        row(t('lx.case_no'), c.no),
        row(t('lx.location'), s.location),
        row(t('lx.contact'), [c.contact_name, c.phone].filter(Boolean).join('  ')),
        row(t('lx.description'), s.description),
        row(t('lx.verification'), v ? `${v.verified_by} · ${fmtFull(v.verified_at)}\n${v.note}` : ''),
        row(t('lx.requested_action'), s.requested_action),
        row(t('lx.reply_by'), formatDay(s.reply_by, { year: true }), 'lx-print-reply-by'),
        row(t('lx.issued_at'), fmtFull(s.issued_at)),
        s.reply ? row(t('lx.reply_text'), `${formatDay(s.reply.replied_on, { year: true })} · ${s.reply.text}`) : null)),
      h('div', { class: 'lx-signs' },
        sign('lx.issuer_sign', s.issued_by ? staffName(staff, s.issued_by) : ''),
        sign('lx.receipt_sign', ''))));
}
