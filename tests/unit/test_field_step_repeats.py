"""One technician on two phones: a step already on the work order, sent again from the other phone.

A completion on an order that is no longer on site says the order's real state ("已完工"), not "record the
arrival first" (R-CL-3 is about a missing arrival, not a finished job). An acceptance or an arrival the same
person already recorded (the assignee is the only one who takes these steps) is answered as recorded, with a
word for the phone, not refused for the desk to handle.
"""

from __future__ import annotations

from datetime import timedelta

from server.domain import cases as c
from server.domain.cases import CaseReason, WorkOrderState
from tests.unit.test_cases import T0, dispatched, ok, opened, refused, signed_slip


def _on_site():  # noqa: ANN202
    case = dispatched(opened(), T0, to="t1")
    case = ok(c.accept(case, work_order_id="wo1", by="t1", now=T0 + timedelta(minutes=1))).case
    return ok(c.arrive(case, work_order_id="wo1", by="t1", now=T0 + timedelta(minutes=5))).case


def _completed():  # noqa: ANN202
    return ok(c.complete(_on_site(), work_order_id="wo1", by="t1", now=T0 + timedelta(minutes=40),
                         slip=signed_slip(T0 + timedelta(minutes=40)))).case


def test_a_second_completion_of_a_completed_order_names_its_state_not_a_missing_arrival() -> None:  # R-CL-3
    r = refused(c.complete(_completed(), work_order_id="wo1", by="t1", now=T0 + timedelta(minutes=45),
                           slip=signed_slip(T0 + timedelta(minutes=30))), CaseReason.WRONG_STATE)
    assert "已完工" in r.zh and "completed" in r.en
    assert "到场" not in r.zh
    assert r.details["work_order_state"] == "completed"


def test_a_completion_of_an_order_reported_unable_names_that_state() -> None:  # R-CL-3
    case = ok(c.mark_unable(_on_site(), work_order_id="wo1", reason="缺配件", by="t1",
                            now=T0 + timedelta(minutes=20))).case
    r = refused(c.complete(case, work_order_id="wo1", by="t1", now=T0 + timedelta(minutes=45),
                           slip=signed_slip(T0 + timedelta(minutes=30))), CaseReason.WRONG_STATE)
    assert "已报无法完成" in r.zh and "unable" in r.en
    assert r.details["work_order_state"] == "unable"


def test_a_completion_before_any_arrival_still_asks_for_the_arrival() -> None:  # R-CL-3
    case = dispatched(opened(), T0, to="t1")
    for step in (case, ok(c.accept(case, work_order_id="wo1", by="t1", now=T0)).case):
        r = refused(c.complete(step, work_order_id="wo1", by="t1", now=T0, slip=signed_slip(T0)),
                    CaseReason.NOT_ON_SITE)
        assert r.details["missing"] == ["arrival"]


def test_an_acceptance_or_arrival_already_recorded_is_answered_as_recorded() -> None:  # R-DI-3, R-CL-3
    done = _completed()
    wo = done.work_orders[0]
    for step in ("accept", "arrive"):
        said = c.step_already_recorded(wo, step)
        assert said is not None and said.code == c.STEP_ALREADY_RECORDED
        assert "已完工" in said.zh and "completed" in said.en
        assert said.details == {"work_order_state": "completed", "step": step}
    on_site = _on_site().work_orders[0]
    assert c.step_already_recorded(on_site, "accept") is not None
    assert c.step_already_recorded(on_site, "arrive") is not None


def test_a_step_not_yet_taken_or_one_the_desk_must_see_is_not_a_repeat() -> None:  # R-DI-3
    case = dispatched(opened(), T0, to="t1")
    assert c.step_already_recorded(case.work_orders[0], "accept") is None
    accepted = ok(c.accept(case, work_order_id="wo1", by="t1", now=T0)).case
    assert c.step_already_recorded(accepted.work_orders[0], "accept") is not None
    assert c.step_already_recorded(accepted.work_orders[0], "arrive") is None
    # The other phone said the job cannot be done: an arrival from this one contradicts it, and the
    # desk must hear of it (refused as before). A withdrawn order is refused as withdrawn.
    unable = ok(c.mark_unable(accepted, work_order_id="wo1", reason="缺配件", by="t1", now=T0)).case
    assert unable.work_orders[0].state == WorkOrderState.UNABLE
    assert c.step_already_recorded(unable.work_orders[0], "accept") is None
    assert c.step_already_recorded(unable.work_orders[0], "arrive") is None
    cancelled = dispatched(accepted, T0 + timedelta(minutes=3), to="t2", wo="wo2")
    assert cancelled.work_orders[0].state == WorkOrderState.CANCELLED
    assert c.step_already_recorded(cancelled.work_orders[0], "accept") is None
