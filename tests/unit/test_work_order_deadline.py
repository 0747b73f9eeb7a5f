"""The deadline a work order gets when the desk sets none: the repair class's R-FU-4 limit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from server.domain.cases import Kind, RepairClass
from server.domain.deadlines import DeadlinePolicy, work_order_deadline
from tests.unit.test_cases import make_case

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
    case = make_case(kind=Kind.REPAIR, repair_class=repair_class)
    assert work_order_deadline(case, T0) == T0 + timedelta(hours=hours)


def test_the_default_deadline_follows_the_compounds_policy():  # R-FU-4
    case = make_case(kind=Kind.REPAIR, repair_class=RepairClass.SMALL)
    assert work_order_deadline(case, T0, DeadlinePolicy(repair_aim_hours=4)) == T0 + timedelta(hours=4)
    # No rule limits a complaint's order: a day.
    assert work_order_deadline(make_case(kind=Kind.COMPLAINT), T0) == T0 + timedelta(hours=24)
