// The case history in words: each audit entry's data told as a short sentence a person reads
// ("按 A 立项，经主管决定（陈班长）" / "Opened under A …; decided by a supervisor (Chen)"), not as
// key/value pairs. False flags say nothing and are left out; ids become names. Entries written before
// a key existed simply lack it (the intake's repair responsibility, say) and then say nothing of it.
import { getLang, joinList, paren, t } from '../i18n.js';
import { toldTitle } from './assignee.js';
import { fmtTime, label, staffName } from './common.js';
import { STRINGS as REPORT_STRINGS } from './reports/strings.js'; // the call-back survey areas' names

const has = (d, k) => d[k] !== null && d[k] !== undefined && d[k] !== '';

/** The repair's responsibility class at intake or reclassification: a–d, or "to be judged on site". */
function responsibility(d) {
  if (!('repair_responsibility' in d)) return '';
  return t('tl.responsibility', { r: d.repair_responsibility ? label('repair_responsibility', d.repair_responsibility) : t('cls.undecided') });
}

/**
 * Whom a referral named, and — when someone else acted on it (any supervisor may decide an opening,
 * D50; any manager may answer a Monday review, D58) — who did, in their place. Entries without an
 * actor read as the named person's.
 */
function referredTo(d, s, entry, same, instead) {
  const actor = entry?.actor_id;
  if (actor && actor !== d.referred_to_id) return t(instead, { who: staffName(s, d.referred_to_id), by: staffName(s, actor) });
  return same ? t(same, { who: staffName(s, d.referred_to_id) }) : '';
}

const SENTENCES = {
  'case.received': (d) => [
    has(d, 'kind') ? t('tl.received', { kind: label('kind', d.kind) }) : '',
    d.emergency ? t('tl.as_emergency') : '',
    // R-IN-1: raised on a staff phone (the reporter is the entry's author, its time when they tapped).
    d.field_report ? t('tl.field_report') : '',
    responsibility(d),
    // R-IN-6 a: the fee told at intake, as a reclassification's entry says it (D96).
    has(d, 'fee_quote_cents') ? t('tl.fee', { fee: (Number(d.fee_quote_cents) / 100).toFixed(2) }) : '',
  ],
  'case.opened': (d, s, e) => [
    has(d, 'reason') ? t('tl.opened', { reason: label('open_reason', d.reason) }) : '',
    // Passed up (R-OP-3): whom the desk asked; any supervisor may decide (D50), so another who did
    // says so. Else a supervisor decided it directly.
    has(d, 'referred_to_id') ? referredTo(d, s, e, 'tl.was_referred', 'tl.decided_instead') : d.escalated ? t('tl.by_supervisor') : '',
  ],
  'case.not_opened': (d, s, e) => [
    t('tl.not_opened', { reason: label('open_reason', d.reason || 'F') }),
    // Passed up (R-OP-3): whom the desk asked; any supervisor may decide (D50), so another who did
    // says so. Else a supervisor decided it directly.
    has(d, 'referred_to_id') ? referredTo(d, s, e, 'tl.was_referred', 'tl.decided_instead') : d.escalated ? t('tl.by_supervisor') : '',
  ],
  'case.opening_referred': (d, s) => [
    t('tl.referred', { who: whoWithRole(d.to_id, d.to_role, s) }),
    has(d, 'note') ? t('tl.note', { text: d.note }) : '',
  ],
  'case.dispatched': (d, s) => [
    // A lead by post is titled by it (韩队长（保安队长）), as the dispatch dialog offered him (D144).
    has(d, 'assignee_id') ? t('tl.dispatched', { who: whoWithRole(d.assignee_id, d.assignee_role, s, d.assignee_post) }) : '',
    has(d, 'removed_assignee_id') ? t('tl.replaces', { who: staffName(s, d.removed_assignee_id) }) : '',
    // R-DI-1: why the executor was told with no lead tried this time.
    d.direct === 'no_lead' ? t('tl.no_lead') : d.direct === 'lead_reached' ? t('tl.lead_reached') : '',
  ],
  'case.reported_up': (d, s) => [t('tl.reported_up', { who: whoWithRole(d.to_id, d.to_role, s) })],
  // R-IN-5: a reply says how it was given (entries before the medium was recorded say nothing of it).
  'case.followed_up': (d) => [
    has(d, 'kind') ? t('tl.followed_up', { kind: label('follow_up', d.kind) }) : '',
    has(d, 'medium') ? t('tl.reply_medium', { medium: label('reply_medium', d.medium) }) : '',
    has(d, 'signer') ? t('tl.reply_signer', { who: d.signer }) : '', // a written reply's 签发人 (D74)
  ],
  'case.complaint_judged': (d) => [has(d, 'fault') ? t('tl.judged', { fault: label('fault', d.fault) }) : ''],
  'case.closed': (d, s) => [
    d.quarterly ? t('tl.quarterly') : '',
    has(d, 'approver_id') ? t('tl.approved_by', { who: staffName(s, d.approver_id) }) : '',
  ],
  // Confirming cannot-handle is also the manager's other answer to a passed-up Monday review (D116).
  'case.cannot_handle': (d, s, e) => [
    has(d, 'reason') ? t('tl.reason', { text: d.reason }) : '',
    has(d, 'referred_by') ? t('tl.answers_review') : '',
    has(d, 'referred_to_id') ? referredTo(d, s, e, '', 'tl.answered_instead') : '',
  ],
  // R-FU-3: the new approach; a manager answering for the one the review named says so.
  'case.review_answered': (d, s, e) => [
    has(d, 'note') ? t('tl.note', { text: d.note }) : '',
    has(d, 'referred_to_id') ? referredTo(d, s, e, '', 'tl.answered_instead') : '',
  ],
  'case.reopened': (d) => [
    has(d, 'from_state') ? t('tl.reopened_from', { state: label('state', d.from_state) }) : '',
    has(d, 'reason') ? t('tl.reason', { text: d.reason }) : '',
  ],
  'case.plan_submitted': (d) => [has(d, 'expected_days') ? t('tl.plan_days', { n: d.expected_days }) : ''],
  'case.plan_approved': (d) => [d.fully_approved ? t('tl.plan_full') : t('tl.plan_partial')],
  'case.follower_changed': (d, s) => [has(d, 'to_id') ? t('tl.follower', { from: staffName(s, d.from_id) || '—', to: staffName(s, d.to_id) }) : ''],
  'case.linked_case_created': (d) => [
    has(d, 'child_no') ? t('tl.child', { no: d.child_no }) : '',
    has(d, 'parent_case_no') ? t('tl.parent', { no: d.parent_case_no }) : '',
  ],
  'case.feedback_date_set': (d) => [
    has(d, 'promised') ? t('tl.promised', { date: d.promised }) : '',
    d.change ? t('tl.change', { n: d.change }) : '',
    has(d, 'reason') ? t('tl.reason', { text: d.reason }) : '',
  ],
  'case.classified': (d) => [
    responsibility(d),
    has(d, 'repair_class') ? t('tl.repair_class', { c: label('repair_class', d.repair_class) }) : '',
    has(d, 'fee_quote_cents') ? t('tl.fee', { fee: (Number(d.fee_quote_cents) / 100).toFixed(2) }) : '',
    d.is_major === 'True' || d.is_major === true ? t('tl.major') : '',
    d.is_major === 'False' || d.is_major === false ? t('tl.not_major') : '',
  ],
  'work_order.accepted': (d, s, e, fmt) => [acceptedAtDesk(d, s, fmt)],
  'work_order.arrived': (d, s, e, fmt) => [acceptedAtDesk(d, s, fmt)],
  'work_order.completed': (d, s, e, fmt) => [d.signed ? t('tl.signed') : '', acceptedAtDesk(d, s, fmt)],
  // The order held when the desk accepted an earlier completion of the work (D141).
  'work_order.withdrawn': (d, s) => [has(d, 'assignee_id')
    ? t('tl.withdrawn', { who: staffName(s, d.assignee_id), done: staffName(s, d.done_by) || '—' }) : ''],
  'refusal.accepted': (d, s, e, fmt) => [has(d, 'done_by')
    ? t('tl.refusal_accepted', { who: staffName(s, d.done_by), t: has(d, 'completed_at') ? fmt(d.completed_at) : '—' }) : ''],
  'work_order.unable': (d) => [has(d, 'reason') ? t('tl.reason', { text: d.reason }) : ''],
  'emergency.declared': (d) => [has(d, 'trigger') ? t('tl.trigger', { trigger: label('trigger', d.trigger) }) : ''],
  // D89: the person tried, when the desk named one from the directory (entries before name only the level).
  'emergency.attempt': (d, s) => [
    has(d, 'target_role') ? t(d.reached ? 'tl.reached' : 'tl.not_reached', {
      who: has(d, 'target_id') ? paren(label('role', d.target_role), staffName(s, d.target_id)) : label('role', d.target_role),
    }) : '',
  ],
  // R-EM-5: which public number; who called and when are the entry's own author and time.
  // A call marked on the intake form carries when it was made, before the entry's own time (D73).
  'emergency.public_called': (d, s, e, fmt) => [has(d, 'number') ? (has(d, 'called_at')
    ? t('tl.public_called_at', { label: t(`desk.em.${d.number}`), t: fmt(d.called_at) })
    : t('tl.public_called', { label: t(`desk.em.${d.number}`) })) : ''],
  'emergency.summoned': (d) => [has(d, 'role') ? t('tl.summoned', { who: label('summoned', d.role) }) : ''],
  // R-EM-2: a report back from the scene carries its words (from the phone, the author is the person summoned).
  'emergency.arrived': (d) => [has(d, 'role') ? t('tl.arrived', { who: label('summoned', d.role) }) : '',
    has(d, 'report') ? t('tl.scene_report', { text: d.report }) : ''],
  // R-EM-2: a summons naming nobody followed its post when the staff page changed who holds it: to whom, who
  // it left, and who kept it as they were already on the scene.
  'emergency.summons_passed': (d, s) => {
    const names = (ids) => joinList((ids || []).map((id) => staffName(s, id) || id));
    return [
      d.to_ids?.length ? t('tl.summons_passed_to', { who: label('summoned', d.role), to: names(d.to_ids) }) : '',
      d.from_ids?.length ? t('tl.summons_passed_from', { from: names(d.from_ids) }) : '',
      d.kept_ids?.length ? t('tl.summons_kept', { kept: names(d.kept_ids) }) : '',
    ];
  },
  // R-EM-4: the instruction's words and the leader who gave it (entries before they were recorded
  // carry only an id and say nothing, or only the result).
  'emergency.instruction': (d) => [
    has(d, 'text') ? t(has(d, 'given_by') ? 'tl.instruction' : 'tl.note', { who: d.given_by, text: d.text }) : '',
  ],
  'emergency.instruction_done': (d) => [
    has(d, 'text') ? t('tl.instruction_done', { text: d.text }) : '',
    has(d, 'result') ? t('tl.result', { text: d.result }) : '',
  ],
  // R-IN-6 (d): the work-contact slip to the developer.
  'contact_slip.created': (d) => [has(d, 'addressee') ? t('tl.lx_to', { to: d.addressee }) : ''],
  'contact_slip.verified': (d) => [
    has(d, 'verified_by') ? t('tl.lx_verified_by', { who: d.verified_by }) : '',
    has(d, 'note') ? t('tl.note', { text: d.note }) : '',
  ],
  'contact_slip.issued': (d) => [
    has(d, 'addressee') ? [d.no, t('tl.lx_to', { to: d.addressee })].filter(Boolean).join(' ') : d.no || '',
    has(d, 'reply_by') ? t('tl.lx_reply_by', { date: d.reply_by }) : '',
  ],
  'contact_slip.answered': (d) => [has(d, 'text') ? t('tl.lx_reply', { text: d.text }) : ''],
  // R-SS-2, R-SS-3: a paid service's booking.
  'service_booking.dispatched': (d, s) => [has(d, 'assignee_id') ? t('tl.dispatched', { who: staffName(s, d.assignee_id) }) : ''],
  'service_booking.completed': (d) => [
    has(d, 'quantity') ? t('tl.quantity', { n: d.quantity }) : '',
    has(d, 'slip_fee_cents') ? t('tl.slip_fee', { fee: (Number(d.slip_fee_cents) / 100).toFixed(2) }) : '',
  ],
  // R-FU-6: the call-back's grades by survey area. A C on the work itself sends it back to be redone; a C
  // on another area (the technician's attitude) only to the manager's review (D133).
  'call_back.recorded': (d) => [
    d.grades && Object.keys(d.grades).length
      ? t('tl.grades', { list: joinList(Object.entries(d.grades).map(([area, g]) => `${areaLabel(area)} ${g}`)) }) : '',
    d.reopen_for_review ? t('tl.to_rework') : d.review_opened ? t('tl.to_review') : '',
  ],
  // The manager's conclusion on the review a C opened (entries before it was recorded say nothing).
  'call_back.review_closed': (d, s) => [
    has(d, 'conclusion') ? t('tl.review_closed', { who: staffName(s, d.reviewed_by) || '—', text: d.conclusion }) : '',
  ],
};

/**
 * A phone's step refused at its sync because the desk had reassigned the job, and accepted at the desk later
 * (D141): when the phone synced and who accepted it when. The entry's own time is the acceptance.
 */
function acceptedAtDesk(d, s, fmt = fmtTime) {
  if (!has(d, 'accepted_by')) return '';
  return t('tl.accepted_refused', { synced: has(d, 'received_at') ? fmt(d.received_at) : '—',
    who: staffName(s, d.accepted_by), t: has(d, 'accepted_at') ? fmt(d.accepted_at) : '—' });
}

function areaLabel(area) {
  return (REPORT_STRINGS[getLang()] || REPORT_STRINGS.zh)[`area.${area}`] || area;
}

function whoWithRole(id, role, staff, post = null) {
  const name = staffName(staff, id);
  const roleText = role ? toldTitle(staff, id, role, post) : '';
  if (name && roleText) return t('fmt.paren', { main: name, aside: roleText });
  return name || roleText;
}

// Other entries (a booking's, a call-back's, a contact slip's): the few keys that read well alone.
const PLAIN = { text: 'tl.note', note: 'tl.note', reason: 'tl.reason', result: 'tl.result' };

/**
 * The sentence under an audit entry's title, '' when its data says nothing worth reading. `fmt` writes a
 * time it names (the case page passes withWhen's, so that it prints with the year).
 */
export function timelineSentence(entry, staff, fmt = fmtTime) {
  const d = entry?.data;
  if (!d || typeof d !== 'object') return '';
  const make = SENTENCES[entry.action];
  const parts = make ? make(d, staff, entry, fmt) : Object.entries(PLAIN).filter(([k]) => has(d, k) && typeof d[k] === 'string').map(([k, key]) => t(key, { text: d[k] }));
  const text = parts.filter(Boolean).join(t('tl.sep'));
  return text.charAt(0).toUpperCase() + text.slice(1); // English reads as a sentence; Chinese has no case
}

// A phone's step synced late happened before the server heard of it: the entry's `at` is the receipt
// (D97) and its data carries when it was done (D124). The history shows and orders by the act.
const MINUTE_MS = 60 * 1000;

/** When the entry happened: the act for a phone's step placed earlier, else the entry's own time. */
export function actedAt(entry) {
  return entry?.data?.acted_at || entry?.at;
}

/** "（同步于 12/07 21:32）" when the server heard of the step a minute or more after it was done, else ''. */
export function syncedNote(entry, fmt = fmtTime) {
  // Refused at its sync and accepted later: the sentence says when it synced (acceptedAtDesk), and the
  // entry's own time is the acceptance, not a sync.
  if (has(entry?.data || {}, 'accepted_by')) return '';
  const acted = Date.parse(actedAt(entry));
  const received = Date.parse(entry?.at);
  if (!(received - acted >= MINUTE_MS)) return '';
  return paren('', t('tl.synced', { t: fmt(entry.at) }));
}

/**
 * "（手机时钟在离线期间被调整）" when the phone's clock moved between the step and its sync (the server kept
 * `clock_changed_s`, D128): the step counts at the phone's own server-time estimate, and its raw
 * clock reading (device_at) no longer agrees with it. Else ''.
 */
export function clockChangedNote(entry) {
  return has(entry?.data || {}, 'clock_changed_s') ? paren('', t('tl.clock_changed')) : '';
}

/** The history in the order things were done; entries done at the same instant keep the server's order. */
export function inActedOrder(timeline) {
  return (timeline || []).map((e, i) => [Date.parse(actedAt(e)), i, e])
    .sort((a, b) => (a[0] - b[0]) || (a[1] - b[1])).map(([, , e]) => e);
}
