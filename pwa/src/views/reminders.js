// The in-app inbox: reminders from the change feed (entity 'reminder'). It is the fallback for
// phones where Web Push is unavailable, so it must show everything push would have.
import { formatDateTime } from '../clock.js';
import { h, mount } from '../dom.js';
import { getLang, registerStrings, t } from '../i18n.js';
import { listReminders } from '../db.js';
import { zonedParts } from '../zone.js';

registerStrings({
  zh: { 'reminders.title': '提醒', 'reminders.empty': '暂无提醒。', 'reminders.open': '打开' },
  en: { 'reminders.title': 'Inbox', 'reminders.empty': 'No reminders.', 'reminders.open': 'Open' },
});

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
 * The server writes the deadline into the body in its own short form ("11-23 08:01", the compound's
 * zone); shown here the way the rest of the app writes times (formatDateTime: "11/23 08:01").
 */
function restamp(text, dueIso) {
  const due = new Date(dueIso || '');
  if (!text || Number.isNaN(due.getTime())) return text;
  const p = zonedParts(due);
  return text.split(`${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`).join(formatDateTime(dueIso));
}

/** The reminder's title and body in `lang`; reminders from before the English text carry Chinese only. */
export function reminderText(r, lang) {
  const en = lang === 'en';
  return { title: (en && r.title_en) || r.title || r.kind || '', body: restamp((en && r.body_en) || r.body || '', r.due_at) };
}

export async function render(root) {
  const items = await listReminders();
  const when = (r) => Date.parse(r.created_at || r.sent_at || r.due_at || 0) || 0;
  items.sort((a, b) => when(b) - when(a));
  mount(root,
    h('div', { class: 'view-head' }, h('h1', { text: t('reminders.title') })),
    items.length ? null : h('p', { class: 'empty', text: t('reminders.empty') }),
    h('ul', { class: 'reminder-list' }, items.map((r) => {
      const href = link(r);
      const { title, body } = reminderText(r, getLang());
      return h('li', { class: ['card', 'reminder', r.read_at ? 'is-read' : ''] },
        h('div', { class: 'reminder-top' },
          h('strong', { text: title }),
          h('span', { class: 'muted small', text: formatDateTime(r.created_at || r.sent_at || r.due_at) })),
        body ? h('p', { class: 'pre', text: body }) : null,
        href ? h('a', { class: 'btn btn-small', href }, t('reminders.open')) : null);
    })));
  return null;
}
