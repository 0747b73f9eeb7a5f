"""The deadline a work order gets when the desk sets none: the repair class's R-FU-4 limit, counted
from the report as the case's clocks count it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from server.domain.cases import Kind, RepairClass
from server.domain.deadlines import ClockCode, DeadlinePolicy, clocks, work_order_deadline
from tests.unit.test_cases import CAL, make_case

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone(timedelta(hours=8)))


@pytest.mark.parametrize(
    ("repair_class", "hours"),
    [
        (RepairClass.SMALL, 2), (RepairClass.URGENT, 2), (RepairClass.COMMON_FACILITY, 2),
        (RepairClass.MAJOR, 48), (RepairClass.OUTSOURCED, 48), (RepairClass.PARTS_ELSEWHERE, 48),
        (RepairClass.GENERAL, 72),
        # An unclassified repair is held to the general limit by its clock; its order says the same.
        (None, 72),
    ],
)
def test_a_repair_orders_default_deadline_is_its_classes_limit(repair_class, hours):  # R-FU-4
    case = make_case(kind=Kind.REPAIR, repair_class=repair_class, now=T0)
    assert work_order_deadline(case, T0) == T0 + timedelta(hours=hours)


def test_the_default_deadline_follows_the_compounds_policy():  # R-FU-4
    case = make_case(kind=Kind.REPAIR, repair_class=RepairClass.SMALL, now=T0)
    assert work_order_deadline(case, T0, DeadlinePolicy(repair_aim_hours=4)) == T0 + timedelta(hours=4)
    # No rule limits a complaint's order: a day.
    assert work_order_deadline(make_case(kind=Kind.COMPLAINT, now=T0), T0) == T0 + timedelta(hours=24)


@pytest.mark.parametrize(
    ("repair_class", "dispatched_after", "due_after"),
    [
        # Dispatched an hour after the report: the 2-hour aim still runs from the report.
        (RepairClass.SMALL, 1, 2),
        # The aim already missed at dispatch: the order is held to the 24-hour cap, not 2 h more.
        (RepairClass.URGENT, 3, 24),
        (RepairClass.MAJOR, 5, 48),
        (None, 10, 72),
        # Every limit passed (a late 补单): the last limit stands and the order is overdue at once.
        (RepairClass.GENERAL, 80, 72),
    ],
)
def test_a_late_dispatch_does_not_move_the_repairs_deadline(repair_class, dispatched_after, due_after):  # R-FU-4
    case = make_case(kind=Kind.REPAIR, repair_class=repair_class, now=T0)
    deadline = work_order_deadline(case, T0 + timedelta(hours=dispatched_after))
    assert deadline == T0 + timedelta(hours=due_after)


def test_the_orders_deadline_is_the_case_clocks_due():  # R-FU-4
    case = make_case(kind=Kind.REPAIR, repair_class=RepairClass.SMALL, now=T0)
    aim = next(k for k in clocks(case, CAL, T0 + timedelta(hours=1)) if k.code == ClockCode.FU4_REPAIR_2H)
    assert work_order_deadline(case, T0 + timedelta(hours=1)) == aim.due_at
