"""A linked problem found on the job becomes a case the service centre follows, not the technician."""

from __future__ import annotations

from datetime import timedelta

from server.domain import cases as c
from server.domain import deadlines as dl
from server.domain.cases import Channel
from tests.unit.test_cases import CAL, DISPATCHER, T0, dispatched, ok, opened


def _child_found_by_technician() -> c.Case:
    case = dispatched(opened(), T0)  # followed by the dispatcher d1
    t = ok(c.report_linked_problem(case, description="楼上卫生间防水层破损", by="t1", now=T0 + timedelta(minutes=30),
                                   child_id="c2", child_no="2026-0002"))
    return t.new_cases[0]


def test_a_linked_case_is_followed_by_the_original_cases_follower() -> None:  # R-CL-1 C, R-IN-9
    child = _child_found_by_technician()
    assert (child.receiver_id, child.channel) == ("t1", Channel.STAFF_FOUND)  # who found it stays on record
    assert child.follower_id == "d1"
    # The desk, following it, may hand it on; the technician's say is not needed.
    moved = c.hand_over_follow(child, to_id="d2", by="d1", roles=DISPATCHER, now=T0 + timedelta(hours=1))
    assert ok(moved).case.follower_id == "d2"


def test_the_desk_not_the_technician_owns_a_linked_repairs_five_minute_order_clock() -> None:  # R-IN-6
    child = _child_found_by_technician()
    order = next(k for k in dl.clocks(child, CAL, T0 + timedelta(minutes=31)) if k.code == dl.ClockCode.IN6_ORDER_TO_TEAM_5M)
    assert order.responsible_id == "d1"
    assert not dl.shown_on_phone(order, "t1")
