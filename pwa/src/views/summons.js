// #/summons/<case id>/<post>: an emergency this person was summoned to (R-EM-2). Where, what, who
// reported it (tap to call), and the two things the procedure asks of them: be there (已到场) and report
// back. Both go through the outbox (summons.arrive, summons.report) and show at once, offline, marked
// 待同步; the server counts them when they were tapped (D35, D128) and the desk's emergency panel shows
// them. The push and the inbox item open this page.
import { entryTime, formatDateTime } from '../clock.js';
import { getSummonsGone, listDocs } from '../db.js';
import { h, mount, toast } from '../dom.js';
import { localErrorText, registerStrings, serverMessage, t } from '../i18n.js';
import { cachedEmergencyInfo, summonsGoneText, summonsState, telLink } from '../emergency.js';
import { entriesOfUser, enqueue } from '../outbox.js';
import { currentUser } from '../session.js';

registerStrings({
  zh: {
    'sm.title': '紧急召集',
    'sm.heading': '你被召集到 {where} 现场',
    'sm.as': '召集身份',
    'sm.case': '案件编号',
    'sm.what': '情况',
    'sm.where': '地点',
    'sm.contact': '联系人',
    'sm.summoned_at': '召集时间',
    'sm.arrive': '已到场',
    'sm.arrived': '已到场 {t}',
    'sm.report': '现场报告',
    'sm.report_text': '报告内容',
    'sm.report_ph': '如：B2 配电间冒烟，已断电，人员已疏散',
    'sm.send': '发送报告',
    'sm.reports': '已报告',
    'sm.report_missing': '请填写报告内容',
    'sm.saved': '已记录，正在发送给服务中心',
    'sm.saved_offline': '已保存在本机，联网后发送给服务中心',
    'sm.settled': '服务中心已记录事态平息 {t}',
    'sm.closed': '此事件已销项',
    'sm.gone': '本机没有这次召集：可能事件已销项，或尚未同步。',
    'sm.call': '联系服务中心',
    'sm.back': '‹ 返回',
  },
  en: {
    'sm.title': 'Emergency call-out',
    'sm.heading': 'You are summoned to the scene: {where}',
    'sm.as': 'Summoned as',
    'sm.case': 'Case',
    'sm.what': 'What',
    'sm.where': 'Where',
    'sm.contact': 'Contact',
    'sm.summoned_at': 'Summoned',
    'sm.arrive': 'I am on site',
    'sm.arrived': 'On site {t}',
    'sm.report': 'Report from the scene',
    'sm.report_text': 'What you found',
    'sm.report_ph': 'e.g. Smoke in the B2 switch room; power off; everyone out',
    'sm.send': 'Send report',
    'sm.reports': 'Reported',
    'sm.report_missing': 'Write what you found',
    'sm.saved': 'Recorded; sending to the service centre',
    'sm.saved_offline': 'Saved on this phone; sent to the service centre once online',
    'sm.settled': 'The service centre recorded the event settled {t}',
    'sm.closed': 'This case is closed',
    'sm.gone': 'This call-out is not on this phone: the case may be closed, or not synced yet.',
    'sm.call': 'Call the desk',
    'sm.back': '‹ Back',
  },
});

function row(label, ...value) {
  return h('div', { class: 'kv-row' }, h('span', { class: 'kv-label', text: label }), h('span', { class: 'kv-value' }, ...value));
}

// The outbox's own event redraws this page and the strip at once.
const step = (type, args) => enqueue(currentUser().id, type, args);

export async function render(root, [caseId, role]) {
  const user = currentUser();
  const id = `${caseId}:${role}`;
  const [rec, entries, info, gone] = await Promise.all([
    (await listDocs('summons')).find((d) => d.id === id), entriesOfUser(user.id), cachedEmergencyInfo(),
    getSummonsGone(id)]);
  const back = h('a', { class: 'back-link', href: '#/', text: t('sm.back') });
  if (!rec?.doc) {
    // Why it left, as the pull said (the post passed to someone else, the case closed), else the guess.
    mount(root, back, h('p', { class: 'empty', 'data-testid': 'summons-gone', dataset: { reason: gone?.reason || '' },
      text: summonsGoneText(gone) || t('sm.gone') }));
    return null;
  }
  const s = summonsState(rec.doc, entries, entryTime);
  const open = !s.settled_at && s.case_state !== 'closed';
  const report = h('textarea', { name: 'report', rows: 3, maxlength: 2000, placeholder: t('sm.report_ph') });
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const run = async (fn, button) => {
    if (button) button.disabled = true;
    try {
      await fn();
      toast(t(globalThis.navigator?.onLine === false ? 'sm.saved_offline' : 'sm.saved'), 'ok');
    } catch (e) {
      toast(localErrorText(e), 'error');
      if (button) button.disabled = false;
    }
  };
  const reports = [
    ...(s.report ? [{ text: s.report, at: s.reported_at, pending: false }] : []),
    ...s.pending_reports.map((r) => ({ ...r, pending: true })),
  ];
  const phones = info.phones || {};
  mount(root,
    back,
    h('section', { class: 'card summons-card', 'data-testid': 'summons-page', dataset: { role: s.role } },
      h('p', { class: 'muted small', text: t('sm.title') }),
      h('h1', { class: 'job-title', text: t('sm.heading', { where: s.address || s.case_no }) }),
      row(t('sm.as'), t(`sm.role.${s.role}`)),
      row(t('sm.what'), h('span', { class: 'pre', text: s.content || '' })),
      row(t('sm.where'), s.address || ''),
      s.contact_name ? row(t('sm.contact'), s.contact_name, ' ',
        s.phone ? h('a', { href: `tel:${s.phone}`, text: s.phone }) : null) : null,
      row(t('sm.case'), s.case_no || ''),
      row(t('sm.summoned_at'), formatDateTime(s.summoned_at)),
      s.settled_at ? h('p', { class: 'notice', text: t('sm.settled', { t: formatDateTime(s.settled_at) }) }) : null,
      s.case_state === 'closed' ? h('p', { class: 'notice', text: t('sm.closed') }) : null,
      s.refused.map((e) => h('p', { class: 'notice notice-error', 'data-testid': 'summons-refused', text: serverMessage(e) || e.code })),
      s.arrived_at
        ? h('p', { class: 'ok-text', 'data-testid': 'summons-arrived' }, t('sm.arrived', { t: formatDateTime(s.arrived_at) }),
          s.arrived_pending ? h('span', { class: 'badge badge-pending', text: t('common.pending_sync') }) : null)
        : open ? h('button', {
          type: 'button', class: 'btn btn-primary btn-block btn-action', 'data-action': 'summons-arrive',
          onclick: (e) => run(() => step('summons.arrive', { case_id: s.case_id, role: s.role }), e.currentTarget),
        }, t('sm.arrive')) : null),
    h('section', { class: 'card' },
      h('h2', { text: t('sm.report') }),
      reports.length ? h('ul', { class: 'summons-reports', 'data-testid': 'summons-reports' }, reports.map((r) => h('li', null,
        h('div', { class: 'pre', text: r.text }),
        h('span', { class: 'muted small', text: formatDateTime(r.at) }), ' ',
        r.pending ? h('span', { class: 'badge badge-pending', text: t('common.pending_sync') }) : null))) : null,
      s.case_state !== 'closed' ? h('form', {
        class: 'form', novalidate: true,
        onsubmit: (e) => {
          e.preventDefault();
          const text = report.value.trim();
          if (!text) {
            err.textContent = t('sm.report_missing');
            err.hidden = false;
            return;
          }
          run(() => step('summons.report', { case_id: s.case_id, role: s.role, text }), e.submitter);
        },
      },
      h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('sm.report_text') }), report),
      err,
      h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-action': 'summons-report' }, t('sm.send'))) : null),
    // The compound's own numbers, as the ☎ sheet lists them (kept on the phone for a basement).
    h('section', { class: 'card' },
      h('h2', { text: t('sm.call') }),
      h('div', { class: 'emergency-grid emergency-grid-compound' },
        telLink(phones.service_centre_phone, t('emergency.service_centre'), 'summons-tel-service-centre'),
        telLink(phones.control_room_phone, t('emergency.control_room'), 'summons-tel-control-room'))));
  return null;
}
