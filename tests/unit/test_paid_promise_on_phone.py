"""R-FU-7 on the technician's phone: the resident's promise, and the new time agreed after a delay."""

from __future__ import annotations

from datetime import timedelta

from server.domain import cases as c
from server.domain.cases import FollowUpKind, Kind
from server.domain.deadlines import ClockCode, clocks
from server.domain.roles import Role
from server.services.cases import job_doc
from tests.unit.test_cases import CAL, T0, dispatched, ok, opened

M = timedelta(minutes=1)


def _job_clocks(case, now):  # noqa: ANN001, ANN202
    wo = case.active_work_order
    return {d["code"]: d for d in job_doc(case, wo, clocks(case, CAL, now))["clocks"]}


def test_the_phone_shows_the_team_20_minutes_and_the_residents_25() -> None:  # R-FU-7
    case = dispatched(opened(Kind.SPECIAL_SERVICE, now=T0), T0 + 2 * M, to="t1")
    shown = _job_clocks(case, T0 + 3 * M)
    assert shown[ClockCode.FU7_PAID_ARRIVE_20M]["due_at"] == T0 + 22 * M
    promise = shown[ClockCode.FU7_PAID_PROMISE_25M]
    assert promise["due_at"] == T0 + 25 * M and promise["label"] == "向住户承诺 25 分钟内到达"
    # Still the desk's clock: the desk owes the resident the delay notice.
    assert promise["responsible_role"] == str(Role.FRONT_DESK)


def test_after_a_delay_notice_the_phone_shows_the_new_agreed_time() -> None:  # R-FU-7
    case = dispatched(opened(Kind.SPECIAL_SERVICE, now=T0), T0 + 2 * M, to="t1")
    case = ok(c.record_follow_up(case, kind=FollowUpKind.DELAY_NOTICE, by="d1", now=T0 + 10 * M,
                                 new_due_at=T0 + 60 * M)).case
    promise = _job_clocks(case, T0 + 11 * M)[ClockCode.FU7_PAID_PROMISE_25M]
    assert promise["due_at"] == T0 + 60 * M
    assert promise["label"] == "与住户约定的新到达时间"  # no longer reads "25 minutes"
    assert "new time agreed" in promise["label_en"]


def test_other_desk_clocks_stay_off_the_phone() -> None:
    case = dispatched(opened(Kind.SPECIAL_SERVICE, now=T0), T0 + 2 * M, to="t1")
    shown = _job_clocks(case, T0 + 3 * M)
    assert not any(code.startswith("FU1") or code.startswith("FU2") for code in shown)


def test_after_arrival_the_promise_stops_counting_and_stays_on_the_phone_as_met() -> None:  # R-FU-7
    # A met clock stays listed with when it was met, no longer counted down (D106; it used to vanish).
    case = dispatched(opened(Kind.SPECIAL_SERVICE, now=T0), T0 + 2 * M, to="t1")
    case = ok(c.arrive(case, work_order_id="wo1", by="t1", now=T0 + 15 * M)).case
    promise = _job_clocks(case, T0 + 16 * M)[ClockCode.FU7_PAID_PROMISE_25M]
    assert (promise["running"], promise["state"], promise["satisfied_at"]) == (False, "met", T0 + 15 * M)
