// Whom a job goes to (R-DI-1): the team lead first; straight to an executor only when no lead could be
// reached, and then the desk ticks the leads it tried. One chooser for the case page's 派工 dialog and a
// special-service booking's row (D100): the leads it tried are asked for up front, beside the choice,
// whenever the one chosen is not a team lead, never only after the server refused the dispatch.
import { paren } from '../i18n.js';
import { label } from './common.js';

/** The roles a case's work order goes to besides the team leads (server EXECUTORS). */
export const EXECUTOR_ROLES = ['technician', 'cleaner', 'guard'];

export function isLead(staff, id) {
  return (staff || []).some((s) => s.id === id && (s.roles || []).includes('team_lead'));
}

/**
 * Whether the desk is asked which leads it tried: unless the one chosen is a team lead (then nobody
 * is "not reached"), so the question stands before anyone is picked too.
 */
export function asksTriedLeads(staff, assigneeId) {
  return !isLead(staff, assigneeId);
}

/** The leads ticked as tried and not reached, never the one the job goes to (R-DI-1). */
export function unreachedLeadIds(ticked, assigneeId) {
  return [...new Set(ticked)].filter((id) => id && id !== assigneeId);
}

/**
 * The select (leads, then executors, each with their role) and the tried-leads fieldset.
 * `executorRoles` narrows who besides the leads may be chosen (a paid service goes to a technician or
 * a cleaner). Returns { select, tried, unreached() }; the caller places both elements.
 */
export function assigneeChooser(h, t, staff, { name = 'assignee_id', empty = t('intake.choose'), executorRoles = EXECUTOR_ROLES } = {}) {
  const leads = staff.filter((s) => s.roles.includes('team_lead'));
  const execs = staff.filter((s) => !s.roles.includes('team_lead') && s.roles.some((r) => executorRoles.includes(r)));
  const roleText = (s) => s.roles.filter((r) => executorRoles.includes(r)).map((r) => label('role', r)).join('/');
  const chosen = h('select', { name, required: true },
    h('option', { value: '' }, empty),
    h('optgroup', { label: t('dlg.leads') }, leads.map((s) => h('option', { value: s.id }, paren(s.display_name, label('role', 'team_lead'))))),
    h('optgroup', { label: t('dlg.executors') }, execs.map((s) => h('option', { value: s.id }, paren(s.display_name, roleText(s))))));
  const boxes = leads.map((s) => h('label', { class: 'desk-check' }, h('input', { type: 'checkbox', name: 'unreached', value: s.id }), s.display_name));
  const tried = h('fieldset', { class: 'desk-fieldset', 'data-testid': 'tried-leads' },
    h('legend', { text: t('dlg.unreached') }), boxes);
  const sync = () => {
    tried.hidden = !leads.length || !asksTriedLeads(staff, chosen.value);
  };
  chosen.addEventListener('change', sync);
  sync();
  return {
    select: chosen,
    tried,
    unreached: () => (tried.hidden ? [] : unreachedLeadIds([...tried.querySelectorAll('input:checked')].map((i) => i.value), chosen.value)),
  };
}
