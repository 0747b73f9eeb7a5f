// R-IN-5: a help request is answered within 5 minutes. The desk records that answer next to the clock
// that counts those minutes (case page, emergency panel, the intake's done panel), as the existing
// reply follow-up (POST …/follow-up, kind reply): one way to record a reply, reached in one click (D89).
// A public number called or a leader reached is not the answer to the person asking, and does not
// stop the clock; the dialog says so.
import { actionDialog } from './action-dialog.js';
import { mayAct } from './case-actions.js';
import { countdownEl, field, label, select, withWhen } from './common.js';

export const HELP_REPLY_CLOCK = 'IN5_HELP_REPLY_5M';
// Said on the spot or on the phone: a help request is answered at once, not in writing (R-IN-5).
export const HELP_REPLY_MEDIA = ['phone', 'in_person'];

/** The help request's 5-minute reply clock of a case view, or null when the case has none. */
export function helpReplyClock(view) {
  return (view?.clocks || []).find((k) => k.code === HELP_REPLY_CLOCK) || null;
}

/** Whether the desk still owes the caller the answer: the 5-minute clock runs (late or not). */
export function helpReplyOwed(view) {
  return Boolean(helpReplyClock(view)?.running);
}

/** How the reply was most likely given: in person to someone at the counter, else by phone. */
export function helpReplyMedium(c) {
  return c?.channel === 'walk_in' ? 'in_person' : 'phone';
}

/** The first reply recorded on the case (the one that met or missed the clock), or null. */
export function firstReply(c) {
  return (c?.follow_ups || []).find((f) => f.kind === 'reply') || null;
}

/**
 * The reply preset: kind reply, phone or in person, and what was said (required: the record shows the
 * caller got an answer, not only that someone pressed a button). Resolves with the case's new view,
 * or undefined when cancelled.
 */
export function helpReplyDialog(ctx, view) {
  const { h, t } = ctx;
  const medium = select(h, 'medium', HELP_REPLY_MEDIA.map((m) => [m, label('reply_medium', m)]),
    { value: helpReplyMedium(view.case), required: true });
  const note = h('textarea', { name: 'note', rows: 3, required: true, maxlength: 500, placeholder: t('hr.note_hint') });
  return actionDialog(ctx, t('hr.title'), [field(h, t('dlg.reply_medium'), medium), field(h, t('hr.note'), note)],
    () => ctx.api.post(`/api/cases/${view.case.id}/follow-up`, { kind: 'reply', medium: medium.value, note: note.value.trim() }),
    { hint: t('hr.hint'), rule: 'R-IN-5', submitText: t('hr.submit') });
}

/** The "已答复求助人" button, for whoever may record a reply; `onDone(view)` gets the new case view. */
export function helpReplyButton(ctx, view, onDone, { primary = true } = {}) {
  if (!helpReplyOwed(view) || !mayAct(ctx.user?.roles, 'reply')) return null;
  return ctx.h('button', {
    type: 'button', class: ['btn', 'btn-small', primary ? 'btn-primary' : ''], 'data-testid': 'help-reply',
    onclick: async () => {
      const next = await helpReplyDialog(ctx, view);
      if (next) {
        ctx.toast(ctx.t('hr.done'), 'ok');
        onDone(next);
      }
    },
  }, ctx.t('hr.button'));
}

/**
 * The clock and its action together, for the emergency panel and the intake's done panel: the
 * countdown and 已答复求助人 while owed; once answered, when and how. Null for a case with no such clock.
 */
export function helpReplyStrip(ctx, view, onDone) {
  const { h, t } = ctx;
  const clock = helpReplyClock(view);
  if (!clock) return null;
  const reply = firstReply(view.case);
  const owed = clock.running;
  return h('div', { class: ['desk-help-reply', owed ? 'is-owed' : 'is-done'], 'data-testid': 'help-reply-strip', dataset: owed ? { dueRow: '' } : {} },
    h('span', { class: 'desk-help-reply-label', text: t('hr.clock') }),
    owed ? countdownEl(h, clock.due_at, '', { dueShown: false }) : h('span', {
      class: clock.overdue ? 'warn-text' : 'ok-text', 'data-testid': 'help-replied',
    }, withWhen(h, (time) => (reply ? t('hr.replied', { t: time(reply.at), how: reply.medium ? label('reply_medium', reply.medium) : t('detail.medium_unknown') })
      : clock.satisfied_at ? t('detail.clock_done', { t: time(clock.satisfied_at) }) : t('detail.clock_stopped')))),
    helpReplyButton(ctx, view, onDone));
}
