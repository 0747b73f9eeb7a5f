// Which of the case page's actions each role may take: the desk-home users among the roles of the
// server route the action posts to. ACTION_ANCHORS names that route; pwa/test/case-actions.test.mjs
// holds ACTION_ROLES to it through docs/api-contract.md (itself held to the app's route table), so
// a team lead, an engineer or a deputy GM is never offered a button that can only answer 403.
import { DESK, LEADERSHIP } from '../roles.js';

const CASE = 'POST /api/cases/{case_id:str}';
export const ACTION_ANCHORS = {
  decide: `${CASE}/decide`,
  dispatch: `${CASE}/dispatch`,
  redispatch: `${CASE}/dispatch`,
  report_up: `${CASE}/report-up`,
  follow_up: `${CASE}/follow-up`,
  reply: `${CASE}/follow-up`,
  delay_notice: `${CASE}/follow-up`,
  feedback: `${CASE}/feedback-date`,
  judge: `${CASE}/judge`,
  return_slip: `${CASE}/return-slip`,
  countersign: `${CASE}/countersign`,
  verify: `${CASE}/verify`,
  close: `${CASE}/close`,
  approve_close: `${CASE}/approve-close`,
  cannot_handle: `${CASE}/cannot-handle`,
  quarterly_close: `${CASE}/quarterly-close`,
  review_answer: `${CASE}/review-answer`,
  linked: `${CASE}/linked-problem`,
  plan: `${CASE}/plan`,
  plan_approve: `${CASE}/plan/approve`,
  progress: `${CASE}/progress`,
  note: `${CASE}/note`,
  hand_over_follow: `${CASE}/hand-over-follow`,
  declare_emergency: `${CASE}/emergency`,
  public_call: `${CASE}/emergency/public-call`,
};

const LEAD = 'team_lead';
const ENG = 'engineering';
export const ACTION_ROLES = {
  decide: [...DESK, LEAD, ...LEADERSHIP],
  dispatch: [...DESK, LEAD],
  redispatch: [...DESK, LEAD],
  report_up: DESK,
  follow_up: DESK,
  reply: DESK,
  delay_notice: DESK,
  feedback: DESK,
  judge: DESK,
  return_slip: DESK,
  countersign: DESK,
  verify: DESK,
  close: DESK,
  approve_close: ['manager'],
  cannot_handle: DESK,
  quarterly_close: ['manager'],
  review_answer: ['manager'],
  linked: DESK,
  plan: [...DESK, LEAD, ENG],
  plan_approve: ['manager', ENG],
  progress: [...DESK, LEAD, ENG],
  note: DESK,
  hand_over_follow: DESK,
  declare_emergency: DESK,
  public_call: DESK,
};

/** mayAct(['team_lead'], 'close') → false: is any of these roles admitted by the action's route? */
export function mayAct(roles, action) {
  const allowed = ACTION_ROLES[action];
  return !!allowed && (roles || []).some((r) => allowed.includes(r));
}

// The states the server dispatches from (server/domain/cases.py dispatch): a case still 已受理 only when it
// goes before its opening (R-IN-7: an urgent repair, an emergency, a call the control room took, or the
// control room itself dispatching); a special service only through its booking (R-SS-2). The case view
// carries no list of what the caller may do, so this mirrors the server's rule; the test holds it.
const DISPATCHABLE = ['opened', 'dispatched', 'accepted', 'on_site'];

/** dispatchAllowed(case, ['dispatcher']): would the server take a dispatch of this case from these roles? */
export function dispatchAllowed(c, roles) {
  if (c.kind === 'special_service' && !c.booking_id) return false;
  if (DISPATCHABLE.includes(c.state)) return true;
  return c.state === 'received'
    && (c.repair_class === 'urgent' || !!c.is_emergency || c.channel === 'control_room' || (roles || []).includes('control_room'));
}
