// The printable work order 派工单 (R-DI-3): one A5 sheet per work order, at
// #/case/<case id>/work-order/<work order id>, opened from the case page's work-order table. It names
// the job, the unit, the executor and the deadline, which leads were told, and the receiving
// side's confirmation of receipt (accepted on the phone, and a line to sign on paper). Every time is
// written with its year, as on any printed sheet (D136). Strings are registered here.
import { mount } from '../dom.js';
import { colon, paren, registerStrings } from '../i18n.js';
import { toldTitle } from './assignee.js';
import { fmtFull, label, loadStaff, staffName } from './common.js';

registerStrings({
  zh: {
    'wo.print': '打印派工单', 'wo.title': '派工单', 'wo.back': '← 返回案件', 'wo.print_now': '打印',
    'wo.seq': '第 {n} 次派工', 'wo.case_no': '工单编号', 'wo.unit': '房号 / 地址', 'wo.contact': '联系人',
    'wo.classification': '分类', 'wo.job': '工作内容', 'wo.executor': '实施人', 'wo.lead': '通知班组负责人',
    'wo.lead_is_executor': '派给班组负责人本人', 'wo.dispatched_by': '派工人', 'wo.assigned': '派工时间',
    'wo.deadline': '完成时限', 'wo.accepted': '接单时间（确认收到）', 'wo.arrived': '到场时间', 'wo.completed': '完工时间',
    'wo.state': '状态', 'wo.not_found': '此案件没有这张派工单。', 'wo.sign_dispatcher': '派工人签字',
    'wo.sign_receiver': '接单人签字（确认收到）', 'wo.sign_date': '日期',
  },
  en: {
    'wo.print': 'Print work order', 'wo.title': 'Work order', 'wo.back': '← Back to the case', 'wo.print_now': 'Print',
    'wo.seq': 'dispatch {n}', 'wo.case_no': 'Case no.', 'wo.unit': 'Unit / address', 'wo.contact': 'Contact',
    'wo.classification': 'Classification', 'wo.job': 'Job', 'wo.executor': 'Executor', 'wo.lead': 'Lead told',
    'wo.lead_is_executor': 'the lead is the executor', 'wo.dispatched_by': 'Dispatched by', 'wo.assigned': 'Dispatched at',
    'wo.deadline': 'Deadline', 'wo.accepted': 'Accepted (receipt confirmed)', 'wo.arrived': 'On site', 'wo.completed': 'Completed',
    'wo.state': 'State', 'wo.not_found': 'This case has no such work order.', 'wo.sign_dispatcher': "Dispatcher's signature",
    'wo.sign_receiver': 'Received by (signature)', 'wo.sign_date': 'Date',
  },
});

const enc = encodeURIComponent;

/** The work order's id when the route is #/case/<id>/work-order/<work order id>, else null. */
export function workOrderPrintId(route) {
  const parts = String(route || '').split('?')[0].split('/').filter(Boolean);
  const i = parts.indexOf('work-order');
  return i >= 2 && parts[i + 1] ? decodeURIComponent(parts[i + 1]) : null;
}

/** The case page's link to a work order's sheet (hidden when the case page itself is printed). */
export function workOrderPrintLink(h, t, caseId, wo) {
  return h('a', { class: 'btn btn-small no-print', 'data-testid': 'wo-print', href: `#/case/${enc(caseId)}/work-order/${enc(wo.id)}` },
    t('wo.print'));
}

/**
 * The leads told when this order was made (R-DI-1): the dispatch records of that same instant
 * other than the executor's own, with how and whether they were reached. A lead who took the order
 * themselves is its executor. A lead by post (the guard captain) is told as a team lead and titled by
 * the post (D144): the row says 班组负责人, which both are.
 */
export function leadsTold(c, wo) {
  const at = Date.parse(wo.assigned_at);
  return c.dispatches.filter((d) => Date.parse(d.at) === at && d.told_role === 'team_lead' && d.told_id !== wo.assignee_id);
}

export async function renderWorkOrderPrint(body, ctx, caseId, woId) {
  const { h, t, api } = ctx;
  const [view, staff, me] = await Promise.all([api.get(`/api/cases/${enc(caseId)}`), loadStaff(ctx).catch(() => []),
    ctx.user?.compound_name ? ctx.user : api.get('/api/me').catch(() => ctx.user)]);
  const c = view.case;
  const n = c.work_orders.findIndex((w) => w.id === woId);
  const tools = h('div', { class: 'desk-slip-tools no-print' },
    h('a', { href: `#/case/${enc(c.id)}`, class: 'small', text: t('wo.back') }),
    n >= 0 ? h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => window.print() }, t('wo.print_now')) : null);
  if (n < 0) {
    mount(body, tools, h('p', { class: 'notice notice-error', text: t('wo.not_found') }));
    return;
  }
  const wo = c.work_orders[n];
  const row = (k, v, testid) => h('tr', null, h('th', { text: k }), h('td', { class: 'pre', 'data-testid': testid }, v ?? ''));
  // A time not yet on record is a line to write on: the executor fills in arrival and completion.
  const time = (iso) => (iso ? h('span', { class: 'wo-time', text: fmtFull(iso) }) : h('span', { class: 'wo-blank' }));
  const leads = leadsTold(c, wo).map((d) => [paren(staffName(staff, d.told_id) || label('role', d.told_role), toldTitle(staff, d.told_id, d.told_role, d.lead_post)), label('means', d.means),
    t(d.reached ? 'detail.reached' : 'detail.unreached'), fmtFull(d.at)].join(' · '));
  // An executor told with no lead tried at that dispatch says why, as the history does (D144): nobody leads this
  // kind of work, or a lead was already reached on the case. A bare dash would read as R-DI-1 skipped.
  const direct = (view.timeline || []).find((e) => e.action === 'case.dispatched' && e.data?.work_order_id === wo.id)?.data?.direct;
  const basis = direct === 'no_lead' ? t('tl.no_lead') : direct === 'lead_reached' ? t('tl.lead_reached') : '—';
  const lead = leads.length ? leads.join('\n') : (wo.assignee_role === 'team_lead' ? t('wo.lead_is_executor') : basis);
  const kinds = [label('kind', c.kind), label('repair_responsibility', c.repair_responsibility), label('repair_class', c.repair_class),
    label('service_code', c.service_code)].filter(Boolean).join(' · ');
  const sign = (key, testid) => h('p', { class: 'wo-sign', 'data-testid': testid },
    h('span', { class: 'wo-sign-part' }, colon(t(key), ''), h('span', { class: 'wo-blank wo-blank-long' })),
    ' ', h('span', { class: 'wo-sign-part' }, colon(t('wo.sign_date'), ''), h('span', { class: 'wo-blank' })));
  mount(body, tools,
    h('article', { class: 'slip desk-slip-print wo-sheet', 'data-testid': 'wo-sheet' },
      h('div', { class: 'slip-head' },
        h('div', null, h('h1', { text: `${me?.compound_name || t('app.full_name')} · ${t('wo.title')}` }),
          h('p', { class: 'muted' }, `${t('wo.case_no')} ${c.no} · ${t('wo.seq', { n: n + 1 })}`))),
      h('table', { class: 'slip-table wo-table' }, h('tbody', null,
        row(t('wo.case_no'), c.no, 'wo-case-no'),
        row(t('wo.unit'), c.address, 'wo-unit'),
        row(t('wo.contact'), [c.contact_name, c.phone].filter(Boolean).join('  '), 'wo-contact'),
        row(t('wo.classification'), kinds, 'wo-classification'),
        row(t('wo.job'), wo.job, 'wo-job'),
        // A lead by post by the post that made him the lead (韩队长（保安队长）, D144), as the dialog offered him.
        row(t('wo.executor'), paren(staffName(staff, wo.assignee_id), toldTitle(staff, wo.assignee_id, wo.assignee_role, wo.lead_post)), 'wo-executor'),
        row(t('wo.lead'), lead, 'wo-lead'),
        row(t('wo.dispatched_by'), staffName(staff, wo.assigned_by), 'wo-dispatched-by'),
        row(t('wo.assigned'), time(wo.assigned_at), 'wo-assigned'),
        row(t('wo.deadline'), time(wo.deadline_at), 'wo-deadline'),
        row(t('wo.accepted'), time(wo.accepted_at), 'wo-accepted'),
        row(t('wo.arrived'), time(wo.arrived_at), 'wo-arrived'),
        row(t('wo.completed'), time(wo.completed_at), 'wo-completed'),
        row(t('wo.state'), [label('wo_state', wo.state), wo.unable_reason].filter(Boolean).join(' · '), 'wo-state'))),
      h('div', { class: 'wo-signs' }, sign('wo.sign_dispatcher', 'wo-sign-dispatcher'), sign('wo.sign_receiver', 'wo-sign-receiver'))));
}
