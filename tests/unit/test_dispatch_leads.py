"""Which lead the desk tells first about a case's work, and when it may go to the executor directly (R-DI-1):
the repair lead for repairs, the duty guard captain for security, a supervisor of no one trade for any work;
a lead reached on the case already answers for a reassignment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from server.domain import cases as c
from server.domain import leads
from server.domain.cases import CaseReason, ComplaintCategory, DispatchRecord, HelpKind, Kind, PaidService
from server.domain.leads import StaffMember, WorkLine
from server.domain.roles import Role
from tests.unit.test_cases import DISPATCHER, T0, make_case, ok, opened, refused

# The demo compound's people who matter here: 陈班长 is the repair lead, 韩队长 a guard holding the guard
# captain's post, 孙护卫 a guard holding the shift lead's, 蒋保安经理 the security manager.
DEMO = (
    StaffMember(id="usr_lead", roles=frozenset({Role.TEAM_LEAD}), posts=frozenset({"repair_lead"})),
    StaffMember(id="usr_tech", roles=frozenset({Role.TECHNICIAN})),
    StaffMember(id="usr_cleaner", roles=frozenset({Role.CLEANER})),
    StaffMember(id="usr_guard", roles=frozenset({Role.GUARD}), posts=frozenset({"guard_shift_lead"})),
    StaffMember(id="usr_security", roles=frozenset({Role.GUARD}), posts=frozenset({"security_manager"})),
    StaffMember(id="usr_guardcap", roles=frozenset({Role.GUARD}), posts=frozenset({"guard_captain"})),
    StaffMember(id="usr_manager", roles=frozenset({Role.MANAGER})),
)
SUPERVISOR = StaffMember(id="usr_sup", roles=frozenset({Role.TEAM_LEAD}))


def complaint(category: ComplaintCategory) -> c.Case:
    return make_case(Kind.COMPLAINT, complaint_category=category)


def help_case(kind: HelpKind) -> c.Case:
    return make_case(Kind.HELP, help_kind=kind)


def open_(case: c.Case) -> c.Case:
    return ok(c.decide_opening(case, open=True, by="d1", roles=DISPATCHER, now=T0,
                               reason=c.OpenReason.A_SITE_FOLLOW_UP)).case


def send(case: c.Case, to: str, role: Role, *, lead_ids: Any = None, tried: tuple[str, ...] = (),
         wo: str = "wo1", minutes: int = 0) -> c.Transition | c.Refusal:
    at = T0 + timedelta(minutes=minutes)
    return c.dispatch(
        case, work_order_id=wo, job="x", assignee_id=to, assignee_role=role, deadline_at=at + timedelta(hours=1),
        by="d1", roles=DISPATCHER, now=at, leads=lead_ids,
        attempts=[DispatchRecord(told_id=i, told_role=Role.TEAM_LEAD, at=at, by="d1", reached=False) for i in tried],
    )


def test_each_line_of_work_has_its_own_lead() -> None:  # R-DI-1
    assert leads.work_line(make_case(Kind.REPAIR)) == WorkLine.REPAIR
    assert leads.leads_for(make_case(Kind.REPAIR), DEMO) == ("usr_lead",)
    assert leads.leads_for(complaint(ComplaintCategory.ENGINEERING_REPAIR), DEMO) == ("usr_lead",)
    # Security work goes to the duty guard captain, not to the repair lead, nor to the guard shift lead.
    assert leads.leads_for(complaint(ComplaintCategory.SECURITY), DEMO) == ("usr_guardcap",)
    assert leads.leads_for(help_case(HelpKind.CRIME), DEMO) == ("usr_guardcap",)
    assert leads.leads_for(help_case(HelpKind.TRAFFIC_ACCIDENT), DEMO) == ("usr_guardcap",)
    # Cleaning and greening: the demo has no supervisor for them, so nobody is to be told first.
    assert leads.work_line(complaint(ComplaintCategory.CLEANING)) == WorkLine.CLEANING
    assert leads.leads_for(complaint(ComplaintCategory.CLEANING), DEMO) == ()
    assert leads.leads_for(complaint(ComplaintCategory.GREENING), DEMO) == ()
    # Work of no one trade: any lead the desk judges to be the one.
    assert leads.leads_for(complaint(ComplaintCategory.DECORATION), DEMO) == ("usr_lead", "usr_guardcap")
    assert leads.leads_for(make_case(Kind.INQUIRY), DEMO) == ("usr_lead", "usr_guardcap")


def test_a_supervisor_of_no_one_trade_leads_every_line() -> None:  # R-DI-1
    staff = (*DEMO, SUPERVISOR)
    assert leads.leads_for(complaint(ComplaintCategory.CLEANING), staff) == ("usr_sup",)
    assert leads.leads_for(make_case(Kind.REPAIR), staff) == ("usr_lead", "usr_sup")
    assert leads.leads_for(complaint(ComplaintCategory.SECURITY), staff) == ("usr_guardcap", "usr_sup")


def test_a_special_service_is_offered_every_lead() -> None:  # R-DI-1 R-SS-2
    case = make_case(Kind.SPECIAL_SERVICE, service_code=PaidService.HOME_CLEANING)
    assert leads.work_line(case) == WorkLine.GENERAL
    assert leads.leads_for(case, DEMO) == ("usr_lead", "usr_guardcap")


def test_a_security_job_goes_to_the_guard_captain_as_its_lead() -> None:  # R-DI-1
    case = open_(complaint(ComplaintCategory.SECURITY))
    ids = leads.leads_for(case, DEMO)
    done = ok(send(case, "usr_guardcap", Role.GUARD, lead_ids=ids)).case
    # The guard captain took it as the lead (保安队长 is a team lead, roles table): nobody else was tried.
    [wo] = done.work_orders
    assert (wo.assignee_id, wo.assignee_role) == ("usr_guardcap", Role.TEAM_LEAD)
    assert [(d.told_id, d.told_role, d.reached) for d in done.dispatches] == [("usr_guardcap", Role.TEAM_LEAD, True)]


def test_a_guard_gets_a_security_job_once_the_guard_captain_was_not_reached() -> None:  # R-DI-1
    case = open_(complaint(ComplaintCategory.SECURITY))
    ids = leads.leads_for(case, DEMO)
    refused(send(case, "usr_guard", Role.GUARD, lead_ids=ids), CaseReason.TEAM_LEAD_FIRST)
    done = ok(send(case, "usr_guard", Role.GUARD, lead_ids=ids, tried=("usr_guardcap",))).case
    assert [(d.told_id, d.reached) for d in done.dispatches] == [("usr_guardcap", False), ("usr_guard", True)]


def test_a_lead_of_other_work_is_not_recorded_as_tried() -> None:  # R-DI-1
    # Ticking the repair lead as not reached about a security job would be a false entry in the log.
    case = open_(complaint(ComplaintCategory.SECURITY))
    r = refused(send(case, "usr_guard", Role.GUARD, lead_ids=leads.leads_for(case, DEMO), tried=("usr_lead",)),
                CaseReason.NOT_A_LEAD)
    assert r.details["told_ids"] == ["usr_lead"]
    assert r.kind == "invalid"


def test_cleaning_goes_straight_to_the_cleaner_where_nobody_leads_it() -> None:  # R-DI-1
    case = open_(complaint(ComplaintCategory.CLEANING))
    t = ok(send(case, "usr_cleaner", Role.CLEANER, lead_ids=leads.leads_for(case, DEMO)))
    # Only the cleaner was told: no lead ticked as not reached, and the history says why none was.
    assert [(d.told_id, d.reached) for d in t.case.dispatches] == [("usr_cleaner", True)]
    assert t.events[0].data["direct"] == "no_lead"
    # With a supervisor for it, the cleaning supervisor is tried first.
    staff = (*DEMO, SUPERVISOR)
    refused(send(case, "usr_cleaner", Role.CLEANER, lead_ids=leads.leads_for(case, staff)), CaseReason.TEAM_LEAD_FIRST)


def test_a_reassignment_from_a_lead_reached_on_the_case_needs_no_lead_ticked() -> None:  # R-DI-1
    # 派给 陈班长 (reached), then 改派 to 刘师傅: the lead was reached about this case; the log must not be made
    # to say he was not.
    for ids in (None, ("usr_lead",)):
        case = ok(send(opened(), "usr_lead", Role.TEAM_LEAD, lead_ids=ids)).case
        t = ok(send(case, "usr_tech2", Role.TECHNICIAN, lead_ids=ids, wo="wo2", minutes=10))
        assert [(d.told_id, d.reached) for d in t.case.dispatches] == [("usr_lead", True), ("usr_tech2", True)]
        assert t.events[0].data["direct"] == "lead_reached"
        assert t.events[0].data["removed_assignee_id"] == "usr_lead"


def test_a_lead_not_reached_in_an_earlier_round_is_tried_again() -> None:  # R-DI-1
    case = ok(send(opened(), "usr_tech", Role.TECHNICIAN, lead_ids=("usr_lead",), tried=("usr_lead",))).case
    refused(send(case, "usr_tech2", Role.TECHNICIAN, lead_ids=("usr_lead",), wo="wo2", minutes=30),
            CaseReason.TEAM_LEAD_FIRST)


def test_a_team_lead_of_other_work_may_still_be_sent_the_job() -> None:  # R-DI-1
    # The repair lead given a cleaning job takes it as a lead, as before: he passes it on.
    case = open_(complaint(ComplaintCategory.CLEANING))
    done = ok(send(case, "usr_lead", Role.TEAM_LEAD, lead_ids=leads.leads_for(case, DEMO))).case
    assert done.work_orders[0].assignee_role == Role.TEAM_LEAD


def test_a_lead_by_post_is_recorded_with_the_post_that_made_him_the_lead() -> None:  # R-DI-1
    # 韩队长 leads security work as the guard captain, not as a team lead by his account: the work order, the
    # dispatch list and the history title him 保安队长, so each record keeps the post he was told in.
    case = open_(complaint(ComplaintCategory.SECURITY))
    ids = leads.leads_for(case, DEMO)
    posts = leads.lead_posts_for(case, DEMO)
    assert posts == {"usr_guardcap": "guard_captain"}
    t = ok(c.dispatch(case, work_order_id="wo1", job="x", assignee_id="usr_guardcap", assignee_role=Role.GUARD,
                      deadline_at=T0 + timedelta(hours=1), by="d1", roles=DISPATCHER, now=T0, leads=ids,
                      lead_posts=posts))
    [wo] = t.case.work_orders
    assert (wo.assignee_role, wo.lead_post) == (Role.TEAM_LEAD, "guard_captain")
    assert [(d.told_role, d.lead_post) for d in t.case.dispatches] == [(Role.TEAM_LEAD, "guard_captain")]
    assert t.events[0].data["assignee_post"] == "guard_captain"
    # Tried and not reached, he is recorded so too; the guard given the job holds no lead's post.
    tried = [DispatchRecord(told_id="usr_guardcap", told_role=Role.TEAM_LEAD, at=T0, by="d1", reached=False)]
    t = ok(c.dispatch(case, work_order_id="wo1", job="x", assignee_id="usr_guard", assignee_role=Role.GUARD,
                      deadline_at=T0 + timedelta(hours=1), by="d1", roles=DISPATCHER, now=T0, leads=ids,
                      lead_posts=posts, attempts=tried))
    assert [(d.told_id, d.lead_post) for d in t.case.dispatches] == [("usr_guardcap", "guard_captain"), ("usr_guard", None)]
    assert t.case.work_orders[0].lead_post is None and "assignee_post" not in t.events[0].data


def test_a_team_lead_by_role_keeps_the_team_leads_title() -> None:  # R-DI-1
    # 陈班长 is a team lead by his account (and holds the repair lead's post): the dialog titles him 班组主管,
    # and so do the records, whatever the work.
    for case in (opened(), open_(complaint(ComplaintCategory.DECORATION))):
        assert "usr_lead" not in leads.lead_posts_for(case, DEMO)
    # Work of no one trade is led by the guard captain too, as the guard captain.
    assert leads.lead_posts_for(open_(complaint(ComplaintCategory.DECORATION)), DEMO) == {"usr_guardcap": "guard_captain"}
