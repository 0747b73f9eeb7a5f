// The in-app inbox: reminders from the change feed (entity 'reminder'). It is the fallback for
// phones where Web Push is unavailable, so it must show everything push would have.
import { formatDateTime } from '../clock.js';
import { h, mount } from '../dom.js';
import { getLang, registerStrings, t } from '../i18n.js';
import { listReminders } from '../db.js';
import { loadJobs } from '../jobs.js';
import { zonedParts } from '../zone.js';

registerStrings({
  zh: {
    'reminders.title': '提醒', 'reminders.empty': '暂无提醒。', 'reminders.open': '打开',
    'reminders.met_clock': '已达成', 'reminders.met_job': '已完成',
  },
  en: {
    'reminders.title': 'Inbox', 'reminders.empty': 'No reminders.', 'reminders.open': 'Open',
    'reminders.met_clock': 'Met', 'reminders.met_job': 'Done',
  },
});

// The server's title of a reminder before its deadline, and of one past it (server/notify/reminders.py).
// Since D102 the server words a late one as overdue itself when it sends it; relabelling here still
// fixes the reminders stored before, and leaves an already overdue title as it is.
const DUE_SOON = { zh: '即将到期：', en: 'Due soon: ' };
const OVERDUE = { zh: '已超时：', en: 'Overdue: ' };

/**
 * What the inbox knows beyond the reminder's text (D93). late: a "due soon" sent at or after its
 * deadline (a scheduler that was down, a job dispatched already late) — both times the server's:
 * due_at is the clock's deadline, created_at when the server sent it. met: 'clock' when the job on
 * this phone shows that clock satisfied, 'job' when the job is done, null when the phone cannot tell.
 */
export function reminderState(r, job) {
  const due = Date.parse(r.due_at || '');
  const sent = Date.parse(r.created_at || r.sent_at || '');
  const late = r.kind === 'before_due' && Number.isFinite(due) && Number.isFinite(sent) && sent >= due;
  let met = null;
  if (job?.is_done) met = 'job';
  else if (job && r.code && (job.clocks || []).some((c) => c.code === r.code && c.satisfied_at)) met = 'clock';
  return { late, met };
}

function link(r) {
  if (r.url) {
    try {
      const u = new URL(r.url, location.href);
      if (u.origin === location.origin) return u.hash || '#/';
    } catch {
      /* ignore malformed */
    }
  }
  if (r.job_id) return `#/job/${encodeURIComponent(r.job_id)}`;
  return null;
}

const pad = (n) => String(n).padStart(2, '0');

/**
 * Reminders stored before D137 carry the deadline in the server's old short form ("11-23 08:01",
 * the compound's zone); shown here the way the rest of the app writes times (formatDateTime:
 * "11/23 08:01"). The server now writes that form itself, so a newer body has nothing to replace.
 */
function restamp(text, dueIso) {
  const due = new Date(dueIso || '');
  if (!text || Number.isNaN(due.getTime())) return text;
  const p = zonedParts(due);
  return text.split(`${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`).join(formatDateTime(dueIso));
}

/** The reminder's title and body in `lang`; reminders from before the English text carry Chinese only. */
export function reminderText(r, lang, state = null) {
  const en = lang === 'en';
  let title = (en && r.title_en) || r.title || r.kind || '';
  if (state?.late) {
    const [soon, over] = title.startsWith(DUE_SOON.zh) ? [DUE_SOON.zh, OVERDUE.zh] : [DUE_SOON.en, OVERDUE.en];
    if (title.startsWith(soon)) title = over + title.slice(soon.length);
  }
  return { title, body: restamp((en && r.body_en) || r.body || '', r.due_at) };
}

export async function render(root) {
  const [items, jobs] = await Promise.all([listReminders(), loadJobs().catch(() => [])]);
  const jobOf = new Map(jobs.map((j) => [String(j.id), j]));
  const when = (r) => Date.parse(r.created_at || r.sent_at || r.due_at || 0) || 0;
  items.sort((a, b) => when(b) - when(a));
  mount(root,
    h('div', { class: 'view-head' }, h('h1', { text: t('reminders.title') })),
    items.length ? null : h('p', { class: 'empty', text: t('reminders.empty') }),
    h('ul', { class: 'reminder-list' }, items.map((r) => {
      const href = link(r);
      const state = reminderState(r, r.job_id ? jobOf.get(String(r.job_id)) : null);
      const { title, body } = reminderText(r, getLang(), state);
      return h('li', {
        class: ['card', 'reminder', r.read_at ? 'is-read' : '', state.met ? 'is-met' : ''],
        dataset: { late: String(state.late), met: state.met || '' },
      },
        h('div', { class: 'reminder-top' },
          h('strong', { class: state.late && !state.met ? 'warn-text' : '', text: title }),
          state.met ? h('span', { class: 'badge', 'data-testid': 'reminder-met', text: t(`reminders.met_${state.met}`) }) : null,
          h('span', { class: 'muted small', text: formatDateTime(r.created_at || r.sent_at || r.due_at) })),
        body ? h('p', { class: 'pre', text: body }) : null,
        href ? h('a', { class: 'btn btn-small', href }, t('reminders.open')) : null);
    })));
  return null;
}
