"""The R-FU-6 call-back clock follows the stored call-back, not the case's close (pure, no I/O)."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from server.domain import cases as c
from server.domain import surveys as sv
from server.domain.deadlines import Clock, ClockCode, clocks
from tests.unit.test_cases import CAL, DISPATCHER, T0, closable_repair, ok

H = timedelta(hours=1)
RETURNED = T0 + 3 * H  # closable_repair returns the slip three hours in


def _closed_case_and_task() -> tuple[c.Case, sv.CallBackTask]:
    case = closable_repair(T0)
    case = ok(c.close(case, result="已修好", by="d1", roles=DISPATCHER, now=T0 + 4 * H)).case
    task = sv.open_call_back(id="cbk1", subject=sv.CallBackSubject.REPAIR, subject_id=case.id,
                             completed_at=case.last_completed_at)
    return case, sv.record_slip_returned(task, at=RETURNED)


def _call_back_clock(case: c.Case, task: sv.CallBackTask, now) -> Clock:  # noqa: ANN001
    found = [k for k in clocks(case, CAL, now, call_back=task) if k.code == ClockCode.FU6_CALLBACK_72H]
    assert len(found) == 1
    return found[0]


def test_closing_the_case_does_not_stop_the_pending_call_back_clock() -> None:  # R-FU-6
    case, task = _closed_case_and_task()
    k = _call_back_clock(case, task, T0 + 10 * H)
    assert k.running and k.satisfied_at is None and not k.overdue
    assert k.due_at == RETURNED + 72 * H
    # Past the 72 h it is late, judged at now rather than frozen at the close.
    late = _call_back_clock(case, task, RETURNED + 73 * H)
    assert late.running and late.overdue


def test_recording_the_call_back_meets_the_clock_with_its_time() -> None:  # R-FU-6
    case, task = _closed_case_and_task()
    at = RETURNED + 20 * H
    task = msgspec.structs.replace(task, called_back_at=at, called_back_by="m1")
    k = _call_back_clock(case, task, RETURNED + 200 * H)
    assert not k.running and k.satisfied_at == at and not k.overdue
    late_at = RETURNED + 80 * H
    k = _call_back_clock(case, msgspec.structs.replace(task, called_back_at=late_at), RETURNED + 200 * H)
    assert not k.running and k.satisfied_at == late_at and k.overdue  # met, but late
