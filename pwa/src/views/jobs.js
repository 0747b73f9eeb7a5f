// My jobs: open ones first, the nearest deadline first (jobs.js compareJobs), each with a
// countdown measured on server time (overdue in red) and a 待同步 mark while local changes are unsent.
import { countdown, formatDateTime } from '../clock.js';
import { h, mount } from '../dom.js';
import { registerStrings, t } from '../i18n.js';
import { loadJobs, nextDue } from '../jobs.js';
import { syncButton } from './outbox.js';

registerStrings({
  zh: {
    'jobs.title': '我的工单',
    'jobs.empty': '暂无工单。联网后会自动获取新派的工单。',
    'jobs.refresh': '刷新',
    'jobs.open': '进行中 {n}',
    'jobs.done': '已结束',
    'jobs.deadline': '期限 {at}',
    'state.assigned': '待接单',
    'state.dispatched': '待接单',
    'state.pending': '待接单',
    'state.new': '待接单',
    'state.accepted': '已接单',
    'state.arrived': '已到场',
    'state.on_site': '已到场',
    'state.in_progress': '处理中',
    'state.completed': '已完工',
    'state.done': '已完工',
    'state.unable': '无法完成',
    'state.cancelled': '已取消',
    'state.closed': '已关闭',
  },
  en: {
    'jobs.title': 'My jobs',
    'jobs.empty': 'No jobs. New assignments arrive automatically when online.',
    'jobs.refresh': 'Refresh',
    'jobs.open': '{n} open',
    'jobs.done': 'Finished',
    'jobs.deadline': 'Due {at}',
    'state.assigned': 'To accept',
    'state.dispatched': 'To accept',
    'state.pending': 'To accept',
    'state.new': 'To accept',
    'state.accepted': 'Accepted',
    'state.arrived': 'On site',
    'state.on_site': 'On site',
    'state.in_progress': 'In progress',
    'state.completed': 'Completed',
    'state.done': 'Completed',
    'state.unable': 'Unable',
    'state.cancelled': 'Cancelled',
    'state.closed': 'Closed',
  },
});

export function stateLabel(state) {
  const key = `state.${state}`;
  const label = t(key);
  return label === key ? String(state || '') : label;
}

function card(job) {
  const due = job.is_done || job.awaiting_desk ? null : nextDue(job); // the desk owns the deadline now (D99)
  const cd = due ? countdown(due) : null;
  return h('a', { class: ['card', 'job-card', job.is_done ? 'is-done' : '', cd?.overdue ? 'is-overdue' : ''], href: `#/job/${encodeURIComponent(job.id)}`, dataset: { jobId: job.id } },
    h('div', { class: 'job-card-top' },
      h('span', { class: 'job-no', text: job.case_no || job.id }),
      h('span', { class: ['badge', `badge-${job.state}`], text: stateLabel(job.state) }),
      job.local ? h('span', { class: 'badge badge-pending', text: t('common.pending_sync') }) : null),
    h('div', { class: 'job-title', text: job.title || job.content || '' }),
    h('div', { class: 'job-meta' },
      job.unit_label || job.address ? h('span', { class: 'job-unit', text: job.unit_label || job.address }) : null,
      cd ? h('span', { class: ['countdown', cd.overdue ? 'overdue' : ''], dataset: { due }, text: cd.text }) : null),
    due ? h('div', { class: 'job-deadline muted', text: t('jobs.deadline', { at: formatDateTime(due) }) }) : null);
}

export async function render(root) {
  const jobs = await loadJobs();
  const open = jobs.filter((j) => !j.is_done);
  const done = jobs.filter((j) => j.is_done);
  const refresh = syncButton(t('jobs.refresh'), 'btn btn-small');
  mount(root,
    h('div', { class: 'view-head', 'data-view': 'jobs' }, h('h1', { text: t('jobs.title') }), h('span', { class: 'muted', text: t('jobs.open', { n: open.length }) }), refresh),
    jobs.length ? null : h('p', { class: 'empty', text: t('jobs.empty') }),
    h('div', { class: 'job-list' }, open.map(card)),
    done.length ? h('h2', { class: 'section-title', text: t('jobs.done') }) : null,
    done.length ? h('div', { class: 'job-list' }, done.map(card)) : null);
  // Countdowns move with (server) time, not only with data.
  const timer = setInterval(() => {
    for (const el of root.querySelectorAll('.countdown[data-due]')) {
      const cd = countdown(el.dataset.due);
      if (!cd) continue;
      el.textContent = cd.text;
      el.classList.toggle('overdue', cd.overdue);
      el.closest('.job-card')?.classList.toggle('is-overdue', cd.overdue);
    }
  }, 30000);
  return () => clearInterval(timer);
}
