// Whom a job goes to (R-DI-1): the lead of the case's own line of work first; straight to an executor
// only when no lead could be reached, and then the desk ticks the leads it tried. One chooser for the case
// page's 派工 dialog and a special-service booking's row (D100): the leads it tried are asked for up front,
// beside the choice, whenever the one chosen is not a lead, never only after the server refused the
// dispatch — and not at all when nobody leads the work or a lead was reached about the case already.
import { joinList, paren } from '../i18n.js';
import { label } from './common.js';

/** The roles a case's work order goes to besides the team leads (server EXECUTORS). */
export const EXECUTOR_ROLES = ['technician', 'cleaner', 'guard'];

// The posts that make their holder the lead of a line of work (server/domain/leads.py LINE_POSTS).
const LEAD_POSTS = ['repair_lead', 'guard_captain'];

/**
 * The ids of the people to tell first, in directory order: those the server names as the case's leads
 * (`summary.leads`, the lead of its own line of work: the repair lead, the guard captain, a supervisor
 * of no one trade; a booking's `leads`, every lead), or, where none are given, every team lead.
 */
export function leadIds(staff, leads = null) {
  return (staff || []).filter((s) => (leads ? leads.includes(s.id) : (s.roles || []).includes('team_lead'))).map((s) => s.id);
}

export function isLead(staff, id, leads = null) {
  return !!id && leadIds(staff, leads).includes(id);
}

/** The leads already reached about this case (R-DI-1): they answer for a reassignment. */
export function leadsReached(c) {
  return [...new Set((c?.dispatches || []).filter((d) => d.reached && d.told_role === 'team_lead' && d.told_id).map((d) => d.told_id))];
}

/**
 * Whether the desk is asked which leads it tried: unless the one chosen is a lead (then nobody is "not
 * reached"), nobody leads this work, or a lead was reached about this case already — so the question
 * stands before anyone is picked too.
 */
export function asksTriedLeads(staff, assigneeId, { leads = null, reached = [] } = {}) {
  return leadIds(staff, leads).length > 0 && !reached.length && !isLead(staff, assigneeId, leads);
}

/** The leads ticked as tried and not reached, never the one the job goes to (R-DI-1). */
export function unreachedLeadIds(ticked, assigneeId) {
  return [...new Set(ticked)].filter((id) => id && id !== assigneeId);
}

/** A lead's title beside their name: a team lead, or the post that makes them one (保安队长). */
function leadTitle(s) {
  if ((s.roles || []).includes('team_lead')) return label('role', 'team_lead');
  const post = LEAD_POSTS.find((p) => (s.posts || []).includes(p));
  return post ? label('summoned', post) : label('role', 'team_lead');
}

/**
 * How a record titles the person it names as told or sent the job (the work-order table, the dispatch list,
 * the printed 派工单, the history): by the post that made them the case's lead when the record names one
 * (韩队长 took a security job as 保安队长, D144), else by the capacity recorded (班组主管, 维修工). A lead's
 * record kept before the post was recorded names the capacity only: a lead who is no team lead by account
 * then takes the title the dialog gives them.
 */
export function toldTitle(staff, id, role, post) {
  if (post) return label('summoned', post);
  const person = role === 'team_lead' ? (staff || []).find((s) => s.id === id) : null;
  return person ? leadTitle(person) : label('role', role);
}

/**
 * The select (leads, then executors, each with their title) and the tried-leads fieldset, with a note
 * saying why none is asked when nobody leads the work or a lead was reached about the case already.
 * `executorRoles` narrows who besides the leads may be chosen (a paid service goes to a technician or a
 * cleaner); `leads` are the server's leads of the case's work, `reached` the leads reached on it.
 * Returns { select, tried, note, unreached() }; the caller places the elements.
 */
export function assigneeChooser(h, t, staff, { name = 'assignee_id', empty = t('intake.choose'), executorRoles = EXECUTOR_ROLES, leads = null, reached = [] } = {}) {
  const ids = leadIds(staff, leads);
  const leadStaff = ids.map((id) => staff.find((s) => s.id === id));
  // A team lead of other work is no one to send this job to, nor to tick (the server refuses it).
  const execs = staff.filter((s) => !ids.includes(s.id) && !s.roles.includes('team_lead') && s.roles.some((r) => executorRoles.includes(r)));
  const roleText = (s) => s.roles.filter((r) => executorRoles.includes(r)).map((r) => label('role', r)).join('/');
  const chosen = h('select', { name, required: true },
    h('option', { value: '' }, empty),
    leadStaff.length ? h('optgroup', { label: t('dlg.leads') }, leadStaff.map((s) => h('option', { value: s.id }, paren(s.display_name, leadTitle(s))))) : null,
    h('optgroup', { label: t('dlg.executors') }, execs.map((s) => h('option', { value: s.id }, paren(s.display_name, roleText(s))))));
  const boxes = leadStaff.map((s) => h('label', { class: 'desk-check' }, h('input', { type: 'checkbox', name: 'unreached', value: s.id }), s.display_name));
  const tried = h('fieldset', { class: 'desk-fieldset', 'data-testid': 'tried-leads' },
    h('legend', { text: t('dlg.unreached') }), boxes);
  const reachedNames = joinList(reached.map((id) => staff.find((s) => s.id === id)?.display_name || id));
  const note = h('p', { class: 'muted small', 'data-testid': 'lead-note',
    text: reached.length ? t('dlg.lead_reached', { who: reachedNames }) : t('dlg.no_lead') });
  const opts = { leads, reached };
  const sync = () => {
    tried.hidden = !asksTriedLeads(staff, chosen.value, opts);
    // Why nothing is asked, unless a lead is the one chosen (then the choice says it).
    note.hidden = isLead(staff, chosen.value, leads) || (ids.length > 0 && !reached.length);
  };
  chosen.addEventListener('change', sync);
  sync();
  return {
    select: chosen,
    tried,
    note,
    unreached: () => (tried.hidden ? [] : unreachedLeadIds([...tried.querySelectorAll('input:checked')].map((i) => i.value), chosen.value)),
  };
}
