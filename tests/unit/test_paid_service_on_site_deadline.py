"""R-FU-7: a paid service's on-site deadline is the team's 20 minutes from the order, never past the
resident's promise while that is still ahead; the stored order, its arrival clock and the phone's job
document all say the same time (D41)."""

from __future__ import annotations

from datetime import datetime, timedelta

from server.domain import cases as c
from server.domain.cases import Case, FollowUpKind, Kind, PaidService
from server.domain.deadlines import (
    ClockCode,
    DeadlinePolicy,
    clocks,
    order_deadline,
    paid_order_deadline,
    work_order_deadline,
)
from server.domain.roles import Role
from server.services.cases import job_doc
from tests.unit.test_cases import CAL, T0, make_case, ok

M = timedelta(minutes=1)
DESK = (Role.DISPATCHER,)


def _booked_case(service: PaidService = PaidService.HOME_REPAIR) -> Case:
    # A booking's case is received when the resident accepted the fee: T0, told "within 25 minutes".
    case = make_case(Kind.SPECIAL_SERVICE, now=T0, service_code=service, booking_id="bkg-1")
    return ok(c.decide_opening(case, open=True, reason=c.OpenReason.A_SITE_FOLLOW_UP, by="d1", roles=DESK,
                               now=T0)).case


def _send(case: Case, at: datetime, *, to: str = "t1", wo: str = "wo1", asked: datetime | None = None) -> Case:
    """Dispatch as the services do: the deadline comes from `order_deadline`."""
    return ok(c.dispatch(
        case, work_order_id=wo, job="疏通下水道", assignee_id=to, assignee_role=Role.TECHNICIAN,
        deadline_at=order_deadline(case, at, asked=asked), by="d1", roles=DESK, now=at,
        attempts=[c.DispatchRecord(told_id="lead1", told_role=Role.TEAM_LEAD, at=at, by="d1", reached=False)],
    )).case


def _on_phone(case: Case, now: datetime) -> tuple[datetime, dict[str, datetime]]:
    doc = job_doc(case, case.active_work_order, clocks(case, CAL, now))
    return doc["deadline_at"], {k["code"]: k["due_at"] for k in doc["clocks"]}


def test_an_order_sent_10_minutes_after_consent_is_due_at_the_promise_not_20_minutes_later() -> None:  # R-FU-7
    # The walk-through: accepted 10:00, dispatched 10:10; the phone said 10:30 while the promise was 10:25.
    case = _send(_booked_case(), T0 + 10 * M)
    deadline, shown = _on_phone(case, T0 + 11 * M)
    assert deadline == T0 + 25 * M
    assert shown[ClockCode.FU7_PAID_ARRIVE_20M] == T0 + 25 * M
    assert shown[ClockCode.FU7_PAID_PROMISE_25M] == T0 + 25 * M


def test_an_early_order_gets_the_teams_full_20_minutes() -> None:  # R-FU-7
    case = _send(_booked_case(), T0 + 2 * M)
    deadline, shown = _on_phone(case, T0 + 3 * M)
    assert deadline == shown[ClockCode.FU7_PAID_ARRIVE_20M] == T0 + 22 * M


def test_a_promise_already_missed_still_gives_the_team_20_minutes() -> None:  # R-FU-7
    case = _send(_booked_case(), T0 + 40 * M)
    deadline, shown = _on_phone(case, T0 + 41 * M)
    assert deadline == shown[ClockCode.FU7_PAID_ARRIVE_20M] == T0 + 60 * M


def test_a_deadline_typed_at_the_desk_cannot_pass_the_promise() -> None:  # R-FU-7
    case = _booked_case()
    assert order_deadline(case, T0 + 10 * M, asked=T0 + 2 * 60 * M) == T0 + 25 * M
    # Less time than the cap is the desk's to give.
    assert order_deadline(case, T0 + 10 * M, asked=T0 + 18 * M) == T0 + 18 * M
    case = _send(case, T0 + 10 * M, asked=T0 + 18 * M)
    deadline, shown = _on_phone(case, T0 + 11 * M)
    assert deadline == shown[ClockCode.FU7_PAID_ARRIVE_20M] == T0 + 18 * M


def test_the_time_agreed_after_a_delay_notice_counts_as_the_promise() -> None:  # R-FU-7
    case = _send(_booked_case(), T0 + 2 * M)
    # The technician cannot come; within 20 minutes the resident is told why and agrees 10:40.
    case = ok(c.record_follow_up(case, kind=FollowUpKind.DELAY_NOTICE, by="d1", now=T0 + 15 * M,
                                 new_due_at=T0 + 40 * M)).case
    # The order sent before the notice keeps its deadline (the promise as it stood then).
    deadline, shown = _on_phone(case, T0 + 16 * M)
    assert deadline == shown[ClockCode.FU7_PAID_ARRIVE_20M] == T0 + 22 * M
    # Re-sent at 10:30: 20 minutes would be 10:50, past the agreed 10:40.
    case = _send(case, T0 + 30 * M, to="t2", wo="wo2")
    deadline, shown = _on_phone(case, T0 + 31 * M)
    assert deadline == shown[ClockCode.FU7_PAID_ARRIVE_20M] == T0 + 40 * M
    assert shown[ClockCode.FU7_PAID_PROMISE_25M] == T0 + 40 * M


def test_the_default_deadline_is_the_arrival_clocks_due_for_every_service() -> None:  # R-FU-7
    for service, promise in ((PaidService.HOME_CLEANING, 25), (PaidService.LAUNDRY, 15), (PaidService.GAMES, 10)):
        case = _booked_case(service)
        at = T0 + 8 * M
        assert work_order_deadline(case, at) == paid_order_deadline(case, at) == min(at + 20 * M, T0 + promise * M)


def test_the_compounds_policy_sets_both_the_order_and_its_clock() -> None:  # R-FU-7
    policy = DeadlinePolicy(paid_arrive_minutes=15, paid_promise_minutes=30)
    case = _booked_case()
    assert work_order_deadline(case, T0 + 2 * M, policy) == T0 + 17 * M
    assert work_order_deadline(case, T0 + 20 * M, policy) == T0 + 30 * M
