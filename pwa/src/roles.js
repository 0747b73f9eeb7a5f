// The front end's role sets, in one place; each mirrors a set in server/domain/roles.py, whose
// routes decide what is really allowed (the app only avoids offering what would answer 403).

/** The service-centre desk (server DESK): intake, dispatch, follow-up, slips, keys. */
export const DESK = ['dispatcher', 'front_desk', 'control_room', 'manager'];
/** Company leadership (server LEADERSHIP): reads the desk and the reports. */
export const LEADERSHIP = ['deputy_gm', 'general_manager'];
/** Roles whose home is the desk app rather than the job list or the gate. */
export const DESK_HOME_ROLES = [...DESK, ...LEADERSHIP, 'cashier', 'engineering', 'team_lead'];
/** Roles a work order can be assigned to (server EXECUTORS plus team leads): they get "my jobs". */
export const JOB_ROLES = ['technician', 'cleaner', 'guard', 'team_lead'];
