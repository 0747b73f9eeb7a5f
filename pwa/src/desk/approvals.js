// Everything that waits for the manager's or the general manager's word, in one place: the close
// approval of emergencies and major cases (R-CL-2 E, R-EM-4), cases that cannot be handled, closed
// only at the quarterly review with the manager's approval and signature (R-CL-4), repair plans over
// 3 days (R-FU-5), call-backs the resident graded C, whose review only the manager closes (R-RV-2,
// R-FU-6), and special-service items and fees awaiting the GM (R-SS-1), then their announcement to
// residents. A row is acted on in place where the server has a plain route for it;
// the quarterly close needs a result and a drawn signature, so its row links to the case page.
// Cases the dispatcher's Monday review passed to this manager (R-FU-3) wait for the manager to set a
// new approach or to confirm that the case cannot be handled, both in place; the case page has the rest.
// They are read with the case list's `review_to_any` filter, not from this week's Monday review: a
// referral still unanswered the next Monday waits for the manager all the same. Any manager may
// answer (D58), so the ones passed to another manager and still unanswered follow, as a group of their
// own, with whom they were passed to, when, and how long they have waited: a manager on leave or off
// shift would otherwise leave them waiting unseen (D77).
// A poor week of the manager's quality check waits here for its corrective-and-preventive-action
// report number (R-RV-4) and is filed in place, as on the Monday review page.
// Loss-making services (R-SS-4) are not listed: the server knows a loss only when the manager enters
// the month's cost in the loss review on the services page, so there is nothing here to wait on.
// The deputy GM may announce an approved item (the route admits them) and sees that group only.
// All groups share one table, so their columns line up: a group is a header row over its rows.
import { errorBox, closeApproved, fmtDay, fmtTime, isEn, label, loadStaff, serverNow, staffName, waitedText } from './common.js';
import { STRINGS as REPORT_STRINGS } from './reports/strings.js'; // the call-back survey areas' names
import { capaFiler, capaSummary } from './review.js';
import { confirmDialog } from '../dom.js';
import { CATALOGUE_STRINGS, announceItem, announceText, approveItem, proposalText, sendBackItem, sentBackText } from './catalogue.js';

const STRINGS = {
  zh: {
    'apq.title': '待审批事项',
    'apq.close': '重大/紧急事件销项审批',
    'apq.quarterly': '无法处理的案件 · 季度评审销项',
    'apq.quarterly_hint': '须在季度评审时由经理审批并签名后销项',
    'apq.quarterly_go': '去季度评审销项',
    'apq.quarterly_reason': '无法处理原因：{reason}',
    'apq.capa': '每周质量检查不合格 · 待提交纠正预防措施报告',
    'apq.capa_signoff': '纠正预防措施报告 · 待总经理审批',
    'apq.capa_by': '{who}提交',
    'apq.capa_accept': '审批通过',
    'apq.capa_accepted': '纠正预防措施报告已审批通过',
    'apq.capa_return': '退回',
    'apq.capa_returned': '纠正预防措施报告已退回',
    'apq.capa_return_reason': '退回原因',
    'apq.capa_return_need': '请填写退回原因',
    'apq.capa_checked': '抽查{n}单 · {at}记录',
    'apq.plans': '超过 3 天的维修方案 · 待审批',
    'apq.plan_days': '预计 {n} 天',
    'apq.plan_approve': '批准方案',
    'apq.plan_approved': '方案已批准',
    'apq.plan_confirm_title': '批准 {no} 的维修方案？',
    'apq.plan_confirm_body': '{content}：预计 {n} 天，{text}。批准后按此方案施工。',
    'apq.close_confirm_title': '批准 {no} 销项？',
    'apq.close_confirm_body': '{content}：确认处理结果，同意服务中心销项。',
    'apq.plan_waiting_other': '您已批准，待{role}审批',
    'apq.reviews': '回访不满意 · 待经理复查',
    'apq.review_note': '复查结论',
    'apq.review_close': '复查完毕',
    'apq.review_closed': '复查已记录',
    'apq.review_need_note': '请填写复查结论',
    'apq.called': '{at} 回访',
    'apq.called_by': '{who} {at} 回访',
    'apq.review_sent_back': '工作本身不满意，已退回重新处理',
    'apq.review_not_sent_back': '工作本身未评不满意，未退回',
    'apq.items': '特约服务项目及收费 · 待总经理审批',
    'apq.item_approve': '批准',
    'apq.item_approved': '已批准',
    'apq.announce': '特约服务 · 已批准待公告',
    'apq.announce_btn': '向住户公告',
    'apq.announced': '已公告，可以预约',
    'apq.announce_hint': '向住户公告后才能预约',
    'apq.announce_fee_hint': '向住户公告后才按新收费预约',
    'apq.since': '自{at}',
    'apq.passed': '周一回顾转交经理 · 待确认或定新的处理方式',
    'apq.passed_by': '{who}于{at}转交',
    'apq.passed_others': '周一回顾转交其他经理 · 尚未答复',
    'apq.passed_to': '转交{who} · 尚未答复',
    'apq.waited': '已等待 {d}',
    'apq.approach': '新的处理方式',
    'apq.approach_set': '设定新的处理方式',
    'apq.approach_done': '处理方式已记录',
    'apq.cannot_handle': '确认无法处理',
    'apq.cannot_handle_done': '已确认无法处理，待季度评审销项',
    'apq.approach_need': '请填写新的处理方式',
    'apq.cannot_reason': '无法处理的原因',
    'apq.cannot_reason_need': '请填写无法处理的原因',
  },
  en: {
    'apq.title': 'Waiting for your approval',
    'apq.close': 'Emergencies and major cases: close approval',
    'apq.quarterly': 'Cases that cannot be handled: quarterly close',
    'apq.quarterly_hint': 'Closed only at the quarterly review, with the manager\'s approval and signature',
    'apq.quarterly_go': 'Quarterly close',
    'apq.quarterly_reason': 'Cannot be handled: {reason}',
    'apq.capa': 'Poor weekly quality checks awaiting the CAPA report',
    'apq.capa_signoff': 'CAPA reports awaiting the general manager\'s sign-off',
    'apq.capa_by': 'filed by {who}',
    'apq.capa_accept': 'Accept',
    'apq.capa_accepted': 'CAPA report accepted',
    'apq.capa_return': 'Send back',
    'apq.capa_returned': 'CAPA report sent back',
    'apq.capa_return_reason': 'Reason for sending it back',
    'apq.capa_return_need': 'Enter why it is sent back',
    'apq.capa_checked': '{n} cases checked · recorded {at}',
    'apq.plans': 'Repair plans over 3 days awaiting approval',
    'apq.plan_days': '{n} days expected',
    'apq.plan_approve': 'Approve plan',
    'apq.plan_approved': 'Plan approved',
    'apq.plan_confirm_title': 'Approve the repair plan of {no}?',
    'apq.plan_confirm_body': '{content}: {n} days expected, {text}. The work goes ahead on this plan.',
    'apq.close_confirm_title': 'Approve closing {no}?',
    'apq.close_confirm_body': '{content}: you accept the handled outcome and the service desk may close the case.',
    'apq.plan_waiting_other': 'You approved; waiting for {role}',
    'apq.reviews': 'Unsatisfied call-backs awaiting the manager\'s review',
    'apq.review_note': 'Review conclusion',
    'apq.review_close': 'Review done',
    'apq.review_closed': 'Review recorded',
    'apq.review_need_note': 'Enter the review conclusion',
    'apq.called': 'called {at}',
    'apq.called_by': 'called by {who} {at}',
    'apq.review_sent_back': 'The work itself was graded unsatisfied and sent back to be redone',
    'apq.review_not_sent_back': 'The work itself was not graded unsatisfied: not sent back',
    'apq.items': 'Special-service items and fees awaiting the GM',
    'apq.item_approve': 'Approve',
    'apq.item_approved': 'Approved',
    'apq.announce': 'Special services approved, not yet announced',
    'apq.announce_btn': 'Announce to residents',
    'apq.announced': 'Announced; it can be booked',
    'apq.announce_hint': 'Bookable once announced to residents',
    'apq.announce_fee_hint': 'The new fee applies once announced to residents',
    'apq.since': 'since {at}',
    'apq.passed': 'Passed to you in the Monday review: confirm or set a new approach',
    'apq.passed_by': 'passed by {who}, {at}',
    'apq.passed_others': 'Passed to other managers in the Monday review, not yet answered',
    'apq.passed_to': 'passed to {who}, not yet answered',
    'apq.waited': 'waiting {d}',
    'apq.approach': 'New approach',
    'apq.approach_set': 'Set a new approach',
    'apq.approach_done': 'Approach recorded',
    'apq.cannot_handle': 'Confirm it cannot be handled',
    'apq.cannot_handle_done': 'Confirmed as not possible to handle; closed at the quarterly review',
    'apq.approach_need': 'Enter the new approach',
    'apq.cannot_reason': 'Why it cannot be handled',
    'apq.cannot_reason_need': 'Enter why the case cannot be handled',
  },
};

let stringsDone = false;
const has = (ctx, ...roles) => (ctx.user?.roles || []).some((r) => roles.includes(r));
const itemName = (i) => (isEn() ? i.name_en || i.name_zh : i.name_zh);

/** Does this login have anything the approvals panel would list (the home page asks before loading)? */
export function approvesSomething(ctx) {
  return has(ctx, 'manager', 'general_manager', 'deputy_gm');
}

/**
 * The rows waiting for this login's word, grouped by what is asked (pure: the panel and the tests
 * share it). `data`: {attention: open emergency/major case views, cannotHandle: case summaries,
 * plans: case views whose R-FU-5 plan clock runs, items: the service catalogue, reviews: call-backs
 * in review, checks: the weekly quality checks, passed: case summaries whose unanswered Monday-review
 * referral (`review_referral`, any week) names a manager, me: this login's
 * user id}.
 */
export function approvalGroups(roles, data) {
  const mgr = roles.includes('manager');
  const gm = roles.includes('general_manager');
  const deputy = roles.includes('deputy_gm');
  const groups = [];
  if (mgr) {
    groups.push({ key: 'close', rows: (data.attention || []) });
    // R-FU-3: passed to this manager and not answered yet; a case confirmed as cannot-handle is
    // answered (it then waits in the quarterly group).
    const passed = (data.passed || []).filter((c) => c.review_referral?.to_id && c.state !== 'cannot_handle');
    groups.push({ key: 'passed', rows: passed.filter((c) => c.review_referral.to_id === data.me) });
    // Any manager may answer (D58): passed to another and unanswered, the longest waiting first.
    groups.push({ key: 'passed_others', rows: passed.filter((c) => c.review_referral.to_id !== data.me)
      .sort((a, b) => Date.parse(a.review_referral.at) - Date.parse(b.review_referral.at)) });
    groups.push({ key: 'quarterly', rows: (data.cannotHandle || []) });
    // A plan the manager already approved waits for engineering, not for the manager.
    groups.push({ key: 'plans', rows: (data.plans || []).filter((v) => v.case.plan && !v.case.plan.manager_approved_by) });
    groups.push({ key: 'reviews', rows: (data.reviews || []).filter((c) => c.review === 'open') });
    // R-RV-4: only the manager files the CAPA report (server: monthly_report.file_capa).
    // Never filed, or sent back by the general manager (D117).
    groups.push({ key: 'capa', rows: (data.checks || []).filter((c) => c.capa_required && (!c.capa_report_no || c.capa_status === 'returned')) });
    // R-SS-1 (D112): what the GM sent back waits for the manager to revise it (a refused fee until a new one is proposed).
    groups.push({ key: 'returned', rows: (data.items || []).filter((i) => i.sent_back && i.status !== 'withdrawn') });
  }
  if (gm) {
    // R-RV-4: the report goes to the company (上报公司): the general manager signs it off (D117).
    groups.push({ key: 'capa_signoff', rows: (data.checks || []).filter((c) => c.capa_status === 'submitted') });
    groups.push({ key: 'items', rows: (data.items || []).filter((i) => i.status === 'proposed' || (i.status === 'approved' && i.pending_fee_cents)) });
  }
  if (mgr || gm || deputy) {
    // R-SS-1: approved items are offered only once residents were told.
    groups.push({ key: 'announce', rows: (data.items || []).filter((i) => i.status === 'approved' && !i.announced_at && !i.pending_fee_cents) });
  }
  return groups;
}

async function loadData(ctx, attentionCases) {
  const { api } = ctx;
  const mgr = has(ctx, 'manager');
  const gm = has(ctx, 'general_manager');
  const caseView = (id) => api.get(`/api/cases/${id}`).catch(() => null);
  const [attention, cannotHandle, followups, items, reviews, checks, passed, staff] = await Promise.all([
    mgr ? Promise.all(attentionCases
      .filter((c) => (c.is_emergency || c.is_major) && !['closed', 'not_opened', 'cannot_handle'].includes(c.state))
      .map((c) => caseView(c.id))) : [],
    mgr ? api.get('/api/cases?state=cannot_handle&limit=1000') : [],
    mgr ? api.get('/api/followups') : [],
    api.get('/api/services/items').catch(() => []),
    mgr ? api.get('/api/callbacks?status=review') : [],
    mgr || gm ? api.get('/api/quality/weekly-checks') : [],
    mgr ? api.get('/api/cases?review_to_any=true&limit=1000') : [],
    mgr || gm ? loadStaff(ctx).catch(() => []) : [],
  ]);
  // The R-FU-5 plan clock runs from submission until both approvals are in.
  const planIds = [...new Set(followups.filter((f) => f.clock.code === 'FU5_PLAN').map((f) => f.case_id))];
  const plans = await Promise.all(planIds.map(caseView));
  return { attention: attention.filter(Boolean), cannotHandle, plans: plans.filter(Boolean), items, reviews, checks,
    passed, staff, me: ctx.user?.id };
}

function kindBadges(ctx, c) {
  const { h, t } = ctx;
  return [
    c.is_emergency ? h('span', { class: 'badge desk-badge-emergency', text: t('list.emergency_badge') }) : null,
    c.is_major ? h('span', { class: 'badge badge-warn', text: t('list.major_badge') }) : null,
  ];
}

/** One button that posts, says so, and reloads the page; a refusal shows in the button's row (`err`). */
// `ask` ({title, body}): an approval that cannot be taken back is confirmed once, naming the case
// and what is approved, as the GM's fee approval is (D126); the dialog's button says the action.
function postButton(ctx, err, text, path, testid, done, ask = null) {
  const { h, t, api } = ctx;
  return h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': testid, onclick: async (e) => {
    if (ask && !(await confirmDialog({ ...ask, ok: text, cancel: t('desk.cancel') }))) return;
    e.target.disabled = true;
    err.clear();
    try {
      await api.post(path, {});
      ctx.toast(done, 'ok');
      ctx.navigate(location.hash || '#/');
    } catch (ex) {
      err.show(ex, t);
      e.target.disabled = false;
    }
  } }, text);
}

function closeRow(ctx, err, v) {
  const { h, t } = ctx;
  const sep = isEn() ? ', ' : '、';
  const approved = closeApproved(v);
  const other = v.missing_to_close.filter((m) => m !== 'manager_approval');
  return h('tr', { dataset: { approval: 'close', case: v.case.id } },
    h('td', null, h('a', { href: `#/case/${v.case.id}`, class: 'desk-case-no', text: v.case.no })),
    h('td', null, kindBadges(ctx, v.summary), ' ', v.case.content),
    h('td', { class: 'small' }, other.length ? t('desk.missing', { list: other.map((m) => label('missing', m)).join(sep) }) : h('span', { class: 'ok-text', text: t('detail.can_close') })),
    // The manager approves the handled outcome (R-EM-4), so not before the rest is done.
    h('td', null, approved ? h('span', { class: 'badge badge-completed', text: t('ap.approved') }) :
      other.length ? h('span', { class: 'small muted', text: t('ap.after_rest') }) :
        postButton(ctx, err, t('ap.approve'), `/api/cases/${v.case.id}/approve-close`, 'approve-close', t('ap.approved'), {
          title: t('apq.close_confirm_title', { no: v.case.no }), body: t('apq.close_confirm_body', { content: v.case.content }) })));
}

function quarterlyRow(ctx, c) {
  const { h, t } = ctx;
  return h('tr', { dataset: { approval: 'quarterly', case: c.id } },
    h('td', null, h('a', { href: `#/case/${c.id}`, class: 'desk-case-no', text: c.no })),
    h('td', null, c.content, c.address ? h('div', { class: 'muted small', text: c.address }) : null),
    // Why it could not be handled is what the quarterly review judges.
    h('td', { class: 'small' }, c.cannot_handle_reason ? h('div', { text: t('apq.quarterly_reason', { reason: c.cannot_handle_reason }) }) : null,
      h('div', { class: 'muted', title: 'R-CL-4', text: t('apq.quarterly_hint') })),
    h('td', null, h('a', { href: `#/case/${c.id}`, class: 'btn btn-small btn-primary', 'data-testid': 'approval-quarterly-go' }, t('apq.quarterly_go'))));
}

function planRow(ctx, err, v) {
  const { h, t } = ctx;
  const p = v.case.plan;
  return h('tr', { dataset: { approval: 'plan', case: v.case.id } },
    h('td', null, h('a', { href: `#/case/${v.case.id}`, class: 'desk-case-no', text: v.case.no })),
    h('td', null, v.case.content, h('div', { class: 'muted small', text: `${t('apq.plan_days', { n: p.expected_days })} · ${p.text}` })),
    h('td', { class: 'small muted', text: [
      p.engineering_approved_by ? `${label('role', 'engineering')} ✓` : '',
      t('apq.since', { at: fmtTime(p.submitted_at) }),
    ].filter(Boolean).join(' · ') }),
    h('td', null, postButton(ctx, err, t('apq.plan_approve'), `/api/cases/${v.case.id}/plan/approve`, 'approval-plan-approve', t('apq.plan_approved'), {
      title: t('apq.plan_confirm_title', { no: v.case.no }),
      body: t('apq.plan_confirm_body', { content: v.case.content, n: p.expected_days, text: p.text }) })));
}

// A C on a call-back sent the work back for review (counted as rework); the manager closes that
// review with a conclusion, here — no other screen offers it.
function reviewRow(ctx, err, c, data) {
  const { h, t, api } = ctx;
  const grades = Object.entries(c.grades || {}).map(([area, g]) => `${t(`area.${area}`)} ${g}`).join(' · ');
  const note = h('input', { type: 'text', name: 'review_note', class: 'desk-inline-input', maxlength: '500',
    placeholder: t('apq.review_note'), 'aria-label': t('apq.review_note') });
  const button = h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'approval-review-close', onclick: async () => {
    err.clear();
    if (!note.value.trim()) {
      err.show(t('apq.review_need_note'), t);
      note.focus();
      return;
    }
    button.disabled = true;
    try {
      await api.post(`/api/callbacks/${encodeURIComponent(c.id)}/review`, { note: note.value.trim() });
      ctx.toast(t('apq.review_closed'), 'ok');
      ctx.navigate(location.hash || '#/');
    } catch (ex) {
      err.show(ex, t);
      button.disabled = false;
    }
  } }, t('apq.review_close'));
  return h('tr', { dataset: { approval: 'review', case: c.case_id } },
    h('td', null, h('a', { href: `#/case/${c.case_id}`, class: 'desk-case-no', text: c.case_no })),
    h('td', null, c.content || '', h('div', { class: 'muted small', text: [c.resident_name, c.unit].filter(Boolean).join(' · ') })),
    h('td', { class: 'small' }, grades, c.comment ? h('div', { class: 'muted', text: c.comment }) : null,
      // A C on the work itself reopened the case; a C elsewhere (attitude) is the manager's alone (D133).
      h('div', { class: c.reopen_for_review ? 'warn-text' : 'muted', 'data-testid': 'approval-review-rework',
        text: t(c.reopen_for_review ? 'apq.review_sent_back' : 'apq.review_not_sent_back') }),
      // Who called and when: the manager asks that person about the resident's words (D111).
      c.called_back_at ? h('div', { class: 'muted', 'data-testid': 'approval-review-caller', text: c.called_back_by
        ? t('apq.called_by', { at: fmtTime(c.called_back_at), who: staffName(data?.staff || [], c.called_back_by) })
        : t('apq.called', { at: fmtTime(c.called_back_at) }) }) : null),
    h('td', null, h('div', { class: 'desk-inline' }, note, button)));
}

// R-FU-3: the Monday review passed this case up; the manager answers with one of two outcomes, each
// with its own text: a new approach, or confirming that it cannot be handled (its reason then goes to
// the quarterly review, R-CL-4). One shared "new approach" box hid the second outcome (D116).
// Where the server takes cannot-handle: a case passed up may still be 已受理 (D116).
const CAN_CONFIRM = ['received', 'opened', 'dispatched', 'accepted', 'on_site'];
// A refusal shows in the row that caused it.
function passedRow(ctx, c, staff, others) {
  const { h, t, api } = ctx;
  const err = errorBox(h);
  const r = c.review_referral;
  const box = (name, key) => h('input', { type: 'text', name, class: 'desk-inline-input', maxlength: '1000',
    placeholder: t(key), 'aria-label': t(key) });
  const approach = box('approach', 'apq.approach');
  const reason = box('cannot_reason', 'apq.cannot_reason');
  const send = (input, need, path, body, done) => async (e) => {
    err.clear();
    if (!input.value.trim()) {
      err.show(t(need), t);
      input.focus();
      return;
    }
    e.target.disabled = true;
    try {
      await api.post(`/api/cases/${c.id}/${path}`, body(input.value.trim()));
      ctx.toast(done, 'ok');
      ctx.navigate(location.hash || '#/');
    } catch (ex) {
      err.show(ex, t);
      e.target.disabled = false;
    }
  };
  return h('tr', { dataset: { approval: others ? 'passed-others' : 'passed', case: c.id } },
    h('td', null, h('a', { href: `#/case/${c.id}`, class: 'desk-case-no', text: c.no }),
      h('div', null, h('span', { class: `badge desk-state desk-state-${c.state}`, text: label('state', c.state) }))),
    h('td', null, c.content, c.address ? h('div', { class: 'muted small', text: c.address }) : null),
    h('td', { class: 'small' },
      // Covering for another manager: whom it waits for comes first, then who passed it and when.
      others ? h('div', { class: 'warn-text', 'data-testid': 'approval-passed-to', text: t('apq.passed_to', { who: staffName(staff, r.to_id) }) }) : null,
      h('div', { class: 'muted', text: t('apq.passed_by', { who: staffName(staff, r.by), at: fmtTime(r.at) }) }),
      h('div', { class: 'muted', 'data-testid': 'approval-waited', text: t('apq.waited', { d: waitedText(serverNow(ctx) - Date.parse(r.at), t) }) }),
      r.note ? h('div', { class: 'pre', text: r.note }) : null),
    h('td', null,
      h('div', { class: 'desk-inline' }, approach,
        h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'approval-approach',
          onclick: send(approach, 'apq.approach_need', 'review-answer', (v) => ({ approach: v }), t('apq.approach_done')) }, t('apq.approach_set'))),
      CAN_CONFIRM.includes(c.state) ? h('div', { class: 'desk-inline' }, reason,
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'approval-cannot-handle',
          onclick: send(reason, 'apq.cannot_reason_need', 'cannot-handle', (v) => ({ reason: v }), t('apq.cannot_handle_done')) }, t('apq.cannot_handle'))) : null,
      err.el));
}

// A button whose act asks first (a dialog); `act` resolves with a falsy value when cancelled.
function actButton(ctx, err, text, testid, act, done, cls = 'btn-primary') {
  const { h, t } = ctx;
  return h('button', { type: 'button', class: `btn btn-small ${cls}`, 'data-testid': testid, onclick: async (e) => {
    e.target.disabled = true;
    err.clear();
    try {
      if (await act()) {
        ctx.toast(done, 'ok');
        ctx.navigate(location.hash || '#/');
        return;
      }
    } catch (ex) {
      err.show(ex, t);
    }
    e.target.disabled = false;
  } }, text);
}

// R-SS-1 (D112): the GM approves after a confirmation naming the item and the fee, or sends it back
// with a reason; the rule's number is a tooltip, not row text.
function itemRow(ctx, err, i) {
  const { h, t } = ctx;
  return h('tr', { dataset: { approval: 'item', item: i.code } },
    h('td', null, h('a', { href: '#/services', text: itemName(i) })),
    h('td', { 'data-testid': 'approval-item-what' }, proposalText(i, t)),
    h('td', { class: 'small muted', title: 'R-SS-1', text: t('cat.rule_hint') }),
    h('td', null, h('div', { class: 'desk-inline' },
      actButton(ctx, err, t('apq.item_approve'), 'approval-item-approve', () => approveItem(ctx, i), t('cat.approved')),
      actButton(ctx, err, t('cat.send_back'), 'approval-item-send-back', () => sendBackItem(ctx, i), t('cat.sent_back'), ''))));
}

function announceRow(ctx, err, i) {
  const { h, t } = ctx;
  return h('tr', { dataset: { approval: 'announce', item: i.code } },
    h('td', null, h('a', { href: '#/services', text: itemName(i) })),
    h('td', null, announceText(i, t)),
    h('td', { class: 'small muted', title: 'R-SS-1', text: i.announced_fee_cents ? t('apq.announce_fee_hint') : t('apq.announce_hint') }),
    // Confirmed naming the item and the fee: the desk books it at once (D112, D123).
    h('td', null, actButton(ctx, err, t('apq.announce_btn'), 'approval-announce', () => announceItem(ctx, i), t('apq.announced'))));
}

// The GM's reason, for the manager to revise against on the services page (D112).
function returnedRow(ctx, err, i) {
  const { h, t } = ctx;
  return h('tr', { dataset: { approval: 'returned', item: i.code } },
    h('td', null, h('a', { href: '#/services', text: itemName(i) })),
    h('td', { class: 'warn-text', 'data-testid': 'approval-sent-back', text: sentBackText(i, t) }),
    h('td', { class: 'small muted', text: fmtTime(i.sent_back.at) }),
    h('td', null, h('a', { href: '#/services', class: 'btn btn-small', 'data-testid': 'approval-go-revise', text: t('cat.go_revise') })));
}

// R-RV-4: a poor week's check, its CAPA report number filed in place (the refusal shows in the row).
function capaRow(ctx, c) {
  const { h, t } = ctx;
  return h('tr', { dataset: { approval: 'capa', check: c.id } },
    h('td', null, h('a', { href: '#/review', text: t('wq.week_of', { d: fmtDay(c.week_start) }) })),
    h('td', { class: 'pre small', text: c.findings }),
    h('td', { class: 'small muted', text: t('apq.capa_checked', { n: c.cases_checked, at: fmtTime(c.checked_at) }) }),
    h('td', null, capaFiler(ctx, c, () => ctx.navigate(location.hash || '#/'))));
}

// R-RV-4: a filed CAPA report, for the general manager to accept or send back with a reason (D117).
function capaSignoffRow(ctx, c, staff) {
  const { h, t, api } = ctx;
  const err = errorBox(h);
  const reason = h('input', { type: 'text', name: 'capa_return_reason', class: 'desk-inline-input', maxlength: '2000',
    placeholder: t('apq.capa_return_reason'), 'aria-label': t('apq.capa_return_reason') });
  const decide = (accept) => async (e) => {
    err.clear();
    if (!accept && !reason.value.trim()) {
      err.show(t('apq.capa_return_need'), t);
      reason.focus();
      return;
    }
    e.target.disabled = true;
    try {
      await api.post(`/api/quality/weekly-checks/${c.id}/capa/decision`, { accept, reason: accept ? '' : reason.value.trim() });
      ctx.toast(t(accept ? 'apq.capa_accepted' : 'apq.capa_returned'), 'ok');
      ctx.navigate(location.hash || '#/');
    } catch (ex) {
      err.show(ex, t);
      e.target.disabled = false;
    }
  };
  return h('tr', { dataset: { approval: 'capa-signoff', check: c.id } },
    h('td', null, t('wq.week_of', { d: fmtDay(c.week_start) })),
    h('td', { class: 'pre small', text: c.findings }),
    h('td', null, capaSummary(ctx, c, staff),
      h('div', { class: 'small muted', text: t('apq.capa_by', { who: staffName(staff, c.capa_filed_by) }) })),
    h('td', null,
      h('div', { class: 'desk-inline' }, h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'capa-accept',
        onclick: decide(true) }, t('apq.capa_accept'))),
      h('div', { class: 'desk-inline' }, reason, h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'capa-return',
        onclick: decide(false) }, t('apq.capa_return'))),
      err.el));
}

const ROWS = { capa_signoff: (ctx, err, c, data) => capaSignoffRow(ctx, c, data.staff), passed: (ctx, err, c, data) => passedRow(ctx, c, data.staff, false),
  passed_others: (ctx, err, c, data) => passedRow(ctx, c, data.staff, true), close: closeRow, quarterly: (ctx, err, c) => quarterlyRow(ctx, c), plans: planRow, reviews: reviewRow, capa: (ctx, err, c) => capaRow(ctx, c), items: itemRow, announce: announceRow, returned: returnedRow };
const TITLES = { capa_signoff: 'apq.capa_signoff', passed: 'apq.passed', passed_others: 'apq.passed_others', close: 'apq.close', quarterly: 'apq.quarterly', plans: 'apq.plans', reviews: 'apq.reviews', capa: 'apq.capa', items: 'apq.items', announce: 'apq.announce', returned: 'cat.returned_group' };

/**
 * The approvals panel. `attentionCases`: the open emergency and major case summaries the home page
 * already loaded; `compact` (the home page): nothing at all when nothing waits.
 */
export async function approvalsPanel(ctx, attentionCases, compact) {
  const { h, t } = ctx;
  if (!stringsDone) {
    ctx.registerStrings(REPORT_STRINGS);
    ctx.registerStrings(STRINGS);
    ctx.registerStrings(CATALOGUE_STRINGS);
    stringsDone = true;
  }
  const data = await loadData(ctx, attentionCases);
  const groups = approvalGroups(ctx.user?.roles || [], data).filter((g) => g.rows.length);
  if (compact && !groups.length) return '';
  // Each row gets its own error box under its action: a refusal shown above the tables left the
  // manager guessing which of several items it was about.
  const row = (key, r) => {
    const err = errorBox(h);
    const tr = ROWS[key](ctx, err, r, data);
    if (!tr.querySelector('.desk-error')) tr.lastElementChild.append(err.el);
    return tr;
  };
  return h('section', { class: 'card desk-approvals', 'aria-label': t('apq.title'), 'data-testid': 'approvals' },
    h('h2', { text: t('apq.title') }),
    groups.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table desk-approvals-table' },
      h('colgroup', null, ['no', 'what', 'state', 'act'].map((c) => h('col', { class: `desk-approvals-col-${c}` }))),
      groups.map((g) => h('tbody', { class: 'desk-approvals-group', dataset: { group: g.key } },
        h('tr', { class: 'desk-approvals-head' }, h('th', { colspan: 4, scope: 'colgroup', text: `${t(TITLES[g.key])} (${g.rows.length})` })),
        g.rows.map((r) => row(g.key, r))))))
      : h('p', { class: 'empty', text: t('home.approvals_empty') }));
}
