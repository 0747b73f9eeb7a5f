"""Every list of a case's clocks reads soonest due first, then by rule (R-FU-1, R-FU-2).

`deadlines.clocks` built them in rule order, so a morning case's end-of-day follow-up (R-FU-2) and
its 2-hour one (R-FU-1) came in whatever order the rules are written, not the order they fall due;
the phone's job lists them as the server sends them.
"""

from __future__ import annotations

from datetime import timedelta

from server.domain import cases as c
from server.domain.cases import FollowUpKind, Kind
from server.domain.deadlines import ClockCode, clocks
from server.services.cases import job_doc
from tests.unit.test_cases import CAL, dispatched, ok, opened, sh

H = timedelta(hours=1)


def _order(all_clocks) -> list:  # noqa: ANN001
    return [(k.due_at, k.code) for k in all_clocks]


def test_clocks_come_soonest_due_first_for_a_late_afternoon_case():  # R-FU-1 R-FU-2
    # Wednesday 16:45: the 2-hour follow-up (18:45) falls after the day, so the second one is due at
    # the end of Thursday and still comes after it (D90), and after the complaint's own clocks due sooner.
    at = sh(2026, 5, 6, 16, 45)
    ks = clocks(opened(Kind.COMPLAINT, now=at), CAL, at)
    assert _order(ks) == sorted(_order(ks), key=lambda p: p[0])
    codes = [k.code for k in ks]
    assert codes.index(ClockCode.FU1_FIRST_FOLLOW_UP) < codes.index(ClockCode.FU2_END_OF_DAY)


def test_clocks_come_soonest_due_first_for_a_morning_case_with_a_met_follow_up():  # R-FU-1 R-FU-2
    at = sh(2026, 5, 6, 9, 0)
    case = ok(c.record_follow_up(opened(Kind.REPAIR, now=at), kind=FollowUpKind.FIRST, by="d1", now=at + H)).case
    ks = clocks(case, CAL, at + 2 * H)
    assert [k.due_at for k in ks] == sorted(k.due_at for k in ks)
    codes = [k.code for k in ks]
    assert codes.index(ClockCode.FU1_FIRST_FOLLOW_UP) < codes.index(ClockCode.FU2_END_OF_DAY)


def test_the_phones_job_lists_its_clocks_soonest_due_first():  # R-FU-4
    # Dispatched late: the small repair's 2 hours (from the report) end before the 15 minutes to
    # be on site (from the work order), so rule order and due order differ.
    at = sh(2026, 5, 6, 9, 0)
    late = at + 110 * timedelta(minutes=1)
    case = dispatched(opened(Kind.REPAIR, now=at), late)
    shown = job_doc(case, case.work_orders[-1], clocks(case, CAL, late))["clocks"]
    codes = [d["code"] for d in shown]
    assert codes.index(ClockCode.FU4_REPAIR_2H) < codes.index(ClockCode.FU4_ON_SITE_15M)
    assert [d["due_at"] for d in shown] == sorted(d["due_at"] for d in shown)
