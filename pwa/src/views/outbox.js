// Everything this user queued on this phone, newest first: waiting, sent, or refused with the
// server's reason (in the current language), or refused and then accepted at the desk (D141). Refusals
// stay until dismissed (guarantee 1 and 6).
import { entryTime, formatAgo, formatDateTime } from '../clock.js';
import { listJobs } from '../db.js';
import { h, mount, toast } from '../dom.js';
import { registerStrings, serverMessage, t } from '../i18n.js';
import { dismiss, entriesOfUser, isIncident, othersPendingCount } from '../outbox.js';
import { currentUser } from '../session.js';
import { getStatus, syncNow } from '../sync.js';

registerStrings({
  zh: {
    'outbox.title': '待发送记录',
    'outbox.explain': '所有操作先保存在本机，联网后按顺序发送到服务器。退出登录不会删除未发送的记录。',
    'outbox.empty': '你的记录都已发送，没有待发送的。',
    'outbox.sync_now': '立即同步',
    'outbox.state.waiting': '待发送',
    'outbox.state.sent': '已发送',
    'outbox.state.refused': '被拒绝',
    'outbox.state.accepted': '已由服务台接受',
    'outbox.state.notice': '已发送 · 记为异常',
    'outbox.state.recorded_before': '已发送 · 此前已记录',
    'outbox.attempts': '已尝试 {n} 次',
    'outbox.last_error': '上次失败：{msg}',
    'outbox.dismiss': '知道了',
    'outbox.desk_has_it': '服务中心也收到了这条记录的内容，会跟进处理。',
    'outbox.accepted_note': '同步时被拒绝（{reason}），服务台随后接受为已完成的工作，按本机记录的时间计。',
    'outbox.others': '本机另有其他账号的 {n} 条未发送记录，将在该账号登录后发送。',
    'outbox.job': '{id}',
    'outbox.job_gone': '{id}（已不在本机）',
    'outbox.sync_error': '同步失败：{msg}',
    'outbox.offline_now': '当前离线：记录都已保存在本机，联网后会自动发送和刷新。',
    'outbox.sync_done': '已同步',
    'outbox.last_sync': '上次同步：{ago}',
    'outbox.never_synced': '本机尚未同步过',
    'mut.job.accept': '接单',
    'mut.job.arrive': '到场',
    'mut.job.note': '备注 / 照片',
    'mut.job.linked_problem': '关联问题',
    'mut.job.unable': '无法完成',
    'mut.job.complete': '完工签字',
    'mut.slip.release': '放行',
    'mut.emergency.report': '报告紧急情况',
    'mut.summons.arrive': '紧急召集：已到场',
    'mut.summons.report': '紧急召集：现场报告',
  },
  en: {
    'outbox.title': 'Outbox',
    'outbox.explain': 'Every action is saved on this phone first and sent in order when online. Signing out never deletes unsent records.',
    'outbox.empty': 'All your records have been sent; nothing is waiting.',
    'outbox.sync_now': 'Sync now',
    'outbox.state.waiting': 'Waiting',
    'outbox.state.sent': 'Sent',
    'outbox.state.refused': 'Refused',
    'outbox.state.accepted': 'Accepted by the desk',
    'outbox.state.notice': 'Sent · incident',
    'outbox.state.recorded_before': 'Sent · recorded before',
    'outbox.attempts': '{n, plural, one {# attempt} other {# attempts}}',
    'outbox.last_error': 'Last failure: {msg}',
    'outbox.dismiss': 'Dismiss',
    'outbox.desk_has_it': 'The service centre has this record too and will follow it up.',
    'outbox.accepted_note': 'Refused at sync ({reason}); the desk then accepted it as work done, counted at the time this phone recorded it.',
    'outbox.others': '{n, plural, one {# unsent record of another account is} other {# unsent records of another account are}} on this phone; they are sent when it signs in.',
    'outbox.job': '{id}',
    'outbox.job_gone': '{id} (no longer on this phone)',
    'outbox.sync_error': 'Sync failed: {msg}',
    'outbox.offline_now': 'Offline: everything is saved on this phone; it is sent and refreshed by itself once online.',
    'outbox.sync_done': 'Synced',
    'outbox.last_sync': 'Last sync: {ago}',
    'outbox.never_synced': 'This phone has not synced yet',
    'mut.job.accept': 'Accept',
    'mut.job.arrive': 'Arrival',
    'mut.job.note': 'Note / photo',
    'mut.job.linked_problem': 'Linked problem',
    'mut.job.unable': 'Unable',
    'mut.job.complete': 'Completion & signature',
    'mut.slip.release': 'Release',
    'mut.emergency.report': 'Emergency report',
    'mut.summons.arrive': 'Call-out: on site',
    'mut.summons.report': 'Call-out: report from the scene',
  },
});

export function mutationLabel(type) {
  const key = `mut.${type}`;
  const s = t(key);
  return s === key ? type : s;
}

/**
 * A button that syncs now (the outbox's 立即同步, the job list's 刷新). Offline, a sync cannot start:
 * it says so and that nothing is lost, instead of a tap that visibly does nothing.
 */
export function syncButton(label, className) {
  const say = (st) => {
    if (st.state === 'offline') toast(t('outbox.offline_now'));
    else if (st.state === 'error' && st.error) toast(t('outbox.sync_error', { msg: serverMessage(st.error) }), 'error');
    else if (st.state === 'idle') toast(t('outbox.sync_done'), 'ok');
  };
  const button = h('button', {
    type: 'button',
    class: className,
    'data-action': 'sync-now',
    onclick: async () => {
      if (navigator.onLine === false) return say({ state: 'offline' });
      button.disabled = true;
      try {
        say(await syncNow());
      } finally {
        button.disabled = false;
      }
      return null;
    },
  }, label);
  return button;
}

/** The job an entry is about: a link while the job is on this phone, its case number once it is gone. */
function jobRef(e, onPhone) {
  const jobId = e.args?.job_id;
  if (!jobId) return null;
  const no = onPhone.get(String(jobId));
  if (no) return h('a', { href: `#/job/${encodeURIComponent(jobId)}`, text: t('outbox.job', { id: no }) });
  // A job completed here and since closed: its signed slip is still on this phone (views/slip.js).
  if (e.type === 'job.complete' && e.state !== 'refused') {
    return h('a', { href: `#/job/${encodeURIComponent(jobId)}/slip`, text: t('outbox.job_gone', { id: e.case_no || jobId }) });
  }
  return h('span', { class: 'muted', text: t('outbox.job_gone', { id: e.case_no || jobId }) });
}

const noticed = isIncident;
// A step the person's other phone had already recorded (D145): said on the line, nothing to acknowledge.
const informed = (e) => e.state === 'sent' && Boolean(e.notice) && !isIncident(e);
const badgeState = (e) => (noticed(e) ? 'notice' : informed(e) ? 'recorded_before' : e.state);

// The entry a job's page linked to (#/outbox/<mutation id>, D105) is brought into view once, not on
// every redraw a sync causes while the page is open.
let shownTarget = null;

export async function render(root, [target] = []) {
  const user = currentUser();
  if (!target) shownTarget = null;
  else if (target !== shownTarget) {
    root.addEventListener('view-attached', () => {
      shownTarget = target;
      // After the router's own scroll to the top of a new screen.
      setTimeout(() => root.querySelector('.outbox-item.is-target')?.scrollIntoView({ block: 'center' }), 0);
    }, { once: true });
  }
  const entries = (await entriesOfUser(user.id)).filter((e) => !(e.state === 'refused' && e.dismissed_at)).reverse();
  const others = await othersPendingCount(user.id);
  const caseNo = new Map((await listJobs()).map((j) => [String(j.id), j.case_no || j.id]));
  const st = getStatus();
  mount(root,
    h('div', { class: 'view-head' }, h('h1', { text: t('outbox.title') }),
      syncButton(t('outbox.sync_now'), 'btn btn-small btn-primary')),
    h('p', { class: 'muted', text: t('outbox.explain') }),
    // The sync bar drops its last-sync time when a narrow screen has no room for it (styles.css).
    h('p', { class: 'muted small', 'data-testid': 'outbox-last-sync', text: st.lastSyncAt ? t('outbox.last_sync', { ago: formatAgo(st.lastSyncAt) }) : t('outbox.never_synced') }),
    st.state === 'error' && st.error ? h('p', { class: 'notice notice-error', text: t('outbox.sync_error', { msg: serverMessage(st.error) }) }) : null,
    others ? h('p', { class: 'notice notice-warn', text: t('outbox.others', { n: others }) }) : null,
    entries.length ? null : h('p', { class: 'empty', text: t('outbox.empty') }),
    h('ul', { class: 'outbox-list' }, entries.map((e) => h('li', { class: ['card', 'outbox-item', `outbox-${e.state}`, noticed(e) ? 'has-notice' : '', String(e.mutation_id) === target ? 'is-target' : ''], dataset: { state: e.state, mutationId: String(e.mutation_id) } },
      h('div', { class: 'outbox-top' },
        h('span', { class: 'outbox-what' }, h('strong', { text: mutationLabel(e.type) }), jobRef(e, caseNo)),
        h('span', { class: ['badge', `badge-outbox-${badgeState(e)}`], text: t(`outbox.state.${badgeState(e)}`) })),
      h('div', { class: 'muted small', text: `#${e.mutation_id} · ${formatDateTime(entryTime(e))}${e.attempts ? ` · ${t('outbox.attempts', { n: e.attempts })}` : ''}` }),
      e.state === 'waiting' && e.last_error ? h('div', { class: 'small warn-text', text: t('outbox.last_error', { msg: serverMessage(e.last_error) }) }) : null,
      e.state === 'refused'
        ? h('div', { class: 'refusal' },
          h('p', { class: 'refusal-reason', text: serverMessage(e) || e.code }),
          h('p', { class: 'muted small', text: t('outbox.desk_has_it') }),
          h('button', { type: 'button', class: 'btn btn-small', onclick: () => dismiss(e.client_id, e.mutation_id) }, t('outbox.dismiss')))
        : null,
      // Refused at the sync, then accepted at the desk (D141): what happened is said, nothing to dismiss.
      e.state === 'accepted'
        ? h('p', { class: 'muted small', 'data-testid': 'outbox-accepted-note', text: t('outbox.accepted_note', { reason: serverMessage(e) || e.code }) })
        : null,
      // Sent and recorded, but the server said more (a release recorded as an incident, R-RS-1): what it
      // said stays on the line; 知道了 stops it being counted in the sync bar.
      noticed(e)
        ? h('div', { class: 'refusal' },
          h('p', { class: 'notice-reason', text: serverMessage(e.notice) || e.notice.code }),
          e.dismissed_at ? null
            : h('button', { type: 'button', class: 'btn btn-small', onclick: () => dismiss(e.client_id, e.mutation_id) }, t('outbox.dismiss')))
        : null,
      informed(e) ? h('p', { class: 'muted small notice-reason', text: serverMessage(e.notice) || e.notice.code }) : null))));
  return null;
}
