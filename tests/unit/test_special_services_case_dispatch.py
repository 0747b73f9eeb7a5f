"""A special-service case is dispatched only from its booking; its orders follow the booking's promise."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from server.domain import cases as c
from server.domain.cases import Case, CaseReason, Kind, PaidService, Transition
from server.domain.deadlines import work_order_deadline
from server.domain.errors import Refusal
from server.domain.roles import Role
from tests.unit.test_cases import make_case, ok

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=CST)
M = timedelta(minutes=1)
DESK = (Role.DISPATCHER,)


def special_case(
    *,
    booking_id: str | None,
    service: PaidService = PaidService.HOME_REPAIR,
    now: datetime = T0,
    opened: bool = True,
) -> Case:
    """A special-service case; the ordinary intake form lets the desk type a fee quote."""
    case = make_case(Kind.SPECIAL_SERVICE, now=now, service_code=service, booking_id=booking_id)
    if not opened:
        return case
    return ok(
        c.decide_opening(case, open=True, reason=c.OpenReason.A_SITE_FOLLOW_UP, by="d1", roles=DESK, now=now)
    ).case


def send(case: Case, *, to: str, role: Role, by: str, roles: tuple[Role, ...], now: datetime, wo: str):
    return c.dispatch(
        case,
        work_order_id=wo,
        job="水龙头更换",
        assignee_id=to,
        assignee_role=role,
        deadline_at=now + 20 * M,
        by=by,
        roles=roles,
        now=now,
        attempts=[c.DispatchRecord(told_id="lead1", told_role=Role.TEAM_LEAD, at=now, by=by, reached=False)],
    )


@pytest.mark.parametrize("roles", [(Role.DISPATCHER,), (Role.CONTROL_ROOM,), (Role.MANAGER, Role.DISPATCHER)])
def test_special_service_without_booking_cannot_be_dispatched(roles):  # R-SS-2
    case = special_case(booking_id=None)
    out = send(case, to="tech-7", role=Role.TECHNICIAN, by="d1", roles=roles, now=T0 + M, wo="wo1")
    assert isinstance(out, Refusal)
    assert out.code == CaseReason.SPECIAL_SERVICE_NEEDS_BOOKING == "case.special_service_needs_booking"
    assert out.details["missing"] == ["booking"] and out.kind == "conflict"
    assert "特约服务" in out.zh and "book" in out.en.lower()


def test_special_service_needs_booking_is_the_reason_even_before_opening():  # R-SS-1 R-SS-2
    case = special_case(booking_id=None, opened=False)
    assert case.fee_quote_cents == 5000  # a fee typed at intake is no approved fee and no consent
    out = send(case, to="tech-7", role=Role.TECHNICIAN, by="d1", roles=DESK, now=T0 + M, wo="wo1")
    assert isinstance(out, Refusal) and out.code == CaseReason.SPECIAL_SERVICE_NEEDS_BOOKING


def test_special_service_case_of_a_booking_is_dispatched_and_passed_on_by_the_lead():  # R-SS-2 R-DI-1
    case = special_case(booking_id="bkg-1")
    assert case.booking_id == "bkg-1"
    case = ok(
        c.dispatch(
            case,
            work_order_id="wo1",
            job="水龙头更换",
            assignee_id="lead1",
            assignee_role=Role.TEAM_LEAD,
            deadline_at=T0 + 20 * M,
            by="d1",
            roles=DESK,
            now=T0,
        )
    ).case
    case = ok(
        send(
            case,
            to="tech-7",
            role=Role.TECHNICIAN,
            by="lead1",
            roles=(Role.TEAM_LEAD,),
            now=T0 + 2 * M,
            wo="wo2",
        )
    ).case
    assert case.active_work_order.assignee_id == "tech-7"


def test_other_kinds_are_not_affected():  # R-SS-2
    repair = make_case(Kind.REPAIR, case_id="c2")
    repair = ok(
        c.decide_opening(repair, open=True, reason=c.OpenReason.A_SITE_FOLLOW_UP, by="d1", roles=DESK, now=T0)
    ).case
    assert isinstance(
        send(repair, to="tech-7", role=Role.TECHNICIAN, by="d1", roles=DESK, now=T0, wo="w"), Transition
    )


@pytest.mark.parametrize(
    ("service", "dispatched_after", "due_after"),
    [
        (PaidService.HOME_REPAIR, 2, 22),  # the team's 20 minutes from the order
        (PaidService.HOME_REPAIR, 10, 25),  # capped by the 25-minute promise made at acceptance
        (PaidService.HOME_CLEANING, 40, 60),  # promise already missed: still 20 minutes, never in the past
        (PaidService.LAUNDRY, 2, 15),  # laundry pick-up promised within 15
        (PaidService.GAMES, 2, 10),  # games delivered within 10
    ],
)
def test_desk_order_on_a_booking_case_is_due_20_minutes_capped_by_the_promise(
    service, dispatched_after, due_after
):  # R-FU-7
    # The booking's case is received when the resident accepted the fee (T0).
    case = special_case(booking_id="bkg-1", service=service)
    assert work_order_deadline(case, T0 + dispatched_after * M) == T0 + due_after * M

