"""When a step recorded on an offline phone counts (D35): the phone's act in server time, bounded."""

from __future__ import annotations

from datetime import timedelta

from server.domain import cases as c
from server.domain.cases import Kind
from server.sync.push import acted_at
from tests.unit.test_cases import T0, dispatched, make_case, ok, opened, signed_slip

M = timedelta(minutes=1)


def _dispatched_repair():
    return dispatched(opened(make_case(Kind.REPAIR), T0), T0, to="t1")


def test_an_arrival_tapped_offline_counts_when_it_was_tapped() -> None:  # R-FU-4
    case = ok(c.arrive(_dispatched_repair(), work_order_id="wo1", by="t1", now=T0 + 40 * M,
                       acted_at=T0 + 9 * M)).case
    wo = case.work_orders[-1]
    assert (wo.accepted_at, wo.arrived_at) == (T0 + 9 * M, T0 + 9 * M)  # arriving is accepting


def test_an_arrival_is_never_placed_before_the_acceptance_nor_after_the_server_heard_of_it() -> None:  # R-FU-4
    case = ok(c.accept(_dispatched_repair(), work_order_id="wo1", by="t1", now=T0 + 5 * M,
                       acted_at=T0 - 60 * M)).case
    assert case.work_orders[-1].accepted_at == T0  # not before the dispatch
    case = ok(c.accept(_dispatched_repair(), work_order_id="wo1", by="t1", now=T0 + 12 * M,
                       acted_at=T0 + 10 * M)).case
    before = ok(c.arrive(case, work_order_id="wo1", by="t1", now=T0 + 30 * M, acted_at=T0 + 3 * M)).case
    assert before.work_orders[-1].arrived_at == T0 + 10 * M  # not before the acceptance
    after = ok(c.arrive(case, work_order_id="wo1", by="t1", now=T0 + 30 * M, acted_at=T0 + 90 * M)).case
    assert after.work_orders[-1].arrived_at == T0 + 30 * M  # not after the receive time


def test_without_a_placed_time_a_step_counts_at_the_receive_time() -> None:  # R-FU-4
    case = ok(c.arrive(_dispatched_repair(), work_order_id="wo1", by="t1", now=T0 + 40 * M)).case
    assert case.work_orders[-1].arrived_at == T0 + 40 * M


def test_a_phone_clock_error_cancels_out_and_only_the_wire_time_counts_against_it() -> None:  # design 4
    skew = timedelta(hours=-7, minutes=13)  # a phone set to the wrong zone and a bit off
    tapped, sent, received = T0, T0 + 30 * M, T0 + 30 * M + timedelta(seconds=4)
    assert acted_at(tapped + skew, sent + skew, received) == tapped + timedelta(seconds=4)
    assert acted_at(tapped + skew, None, received) is None
    assert acted_at(None, sent + skew, received) is None
    # A device_time after its own batch's send time cannot land after the receive time.
    assert acted_at(sent + skew + 60 * M, sent + skew, received) == received


def _on_site(arrived_min: int = 10):
    case = ok(c.arrive(_dispatched_repair(), work_order_id="wo1", by="t1", now=T0 + arrived_min * M)).case
    assert case.work_orders[-1].arrived_at == T0 + arrived_min * M
    return case


def test_a_completion_signed_offline_counts_when_the_resident_signed() -> None:  # R-CL-1 R-FU-6
    # Signed at 30 minutes, synced at 43 (D97): the work order, its event and the slip's signed_at all
    # say 30; the receive time stays in the event's data.
    at = c.field_step_time(_on_site().work_orders[-1], acted_at=T0 + 30 * M, now=T0 + 43 * M)
    assert at == T0 + 30 * M
    t = ok(c.complete(_on_site(), work_order_id="wo1", by="t1", now=T0 + 43 * M,
                      slip=signed_slip(at), acted_at=T0 + 30 * M))
    assert t.case.work_orders[-1].completed_at == T0 + 30 * M
    assert t.case.slip is not None and t.case.slip.signed_at == T0 + 30 * M
    [ev] = t.events
    assert ev.at == T0 + 30 * M and ev.data["received_at"] == (T0 + 43 * M).isoformat()


def test_a_completion_is_never_placed_before_the_arrival_nor_after_the_receive_time() -> None:  # R-CL-3 design 4
    wo = _on_site(arrived_min=10).work_orders[-1]
    assert c.field_step_time(wo, acted_at=T0 + 2 * M, now=T0 + 43 * M) == T0 + 10 * M
    assert c.field_step_time(wo, acted_at=T0 + 90 * M, now=T0 + 43 * M) == T0 + 43 * M
    assert c.field_step_time(wo, acted_at=None, now=T0 + 43 * M) == T0 + 43 * M
    early = ok(c.complete(_on_site(), work_order_id="wo1", by="t1", now=T0 + 43 * M,
                          slip=signed_slip(T0 + 10 * M), acted_at=T0 - 60 * M)).case
    assert early.work_orders[-1].completed_at == T0 + 10 * M
    # Counted at the receive time, the event carries no second time.
    [ev] = ok(c.complete(_on_site(), work_order_id="wo1", by="t1", now=T0 + 43 * M,
                         slip=signed_slip(T0 + 43 * M))).events
    assert ev.at == T0 + 43 * M and "received_at" not in ev.data


def test_a_note_written_offline_keeps_its_time_and_its_receipt() -> None:  # R-FU-4 design 4
    case = _on_site(arrived_min=10)
    t = ok(c.add_note(case, text="等物业开水阀", by="t1", now=T0 + 50 * M, work_order_id="wo1",
                      acted_at=T0 + 20 * M))
    note = t.case.work_orders[-1].notes[-1]
    assert (note.at, note.received_at) == (T0 + 20 * M, T0 + 50 * M)
    assert t.events[0].at == T0 + 20 * M
    # Not before the arrival it follows; a note heard at once has no separate receipt.
    t = ok(c.add_note(case, text="x", by="t1", now=T0 + 50 * M, work_order_id="wo1", acted_at=T0))
    assert t.case.work_orders[-1].notes[-1].at == T0 + 10 * M
    note = ok(c.add_note(case, text="x", by="t1", now=T0 + 50 * M, work_order_id="wo1")).case.work_orders[-1].notes[-1]
    assert (note.at, note.received_at) == (T0 + 50 * M, None)


def test_unable_and_a_linked_problem_found_offline_count_when_reported() -> None:  # R-CL-1 R-CL-2
    case = _on_site(arrived_min=10)
    t = ok(c.mark_unable(case, work_order_id="wo1", reason="缺配件", by="t1", now=T0 + 50 * M,
                         acted_at=T0 + 25 * M))
    assert t.events[0].at == T0 + 25 * M and t.case.work_orders[-1].unable_at == T0 + 25 * M
    t = ok(c.report_linked_problem(case, description="楼上渗水", by="t1", now=T0 + 50 * M, separately=False,
                                   problem_id="lp1", work_order_id="wo1", acted_at=T0 + 3 * M))
    assert t.case.linked_problems[-1].found_at == T0 + 10 * M  # not before the arrival
    t = ok(c.report_linked_problem(case, description="楼上渗水", by="t1", now=T0 + 50 * M, child_id="case_c",
                                   child_no="GD20260506-0002", work_order_id="wo1", acted_at=T0 + 30 * M))
    [ev] = t.events
    assert ev.at == T0 + 30 * M and ev.data["received_at"] == (T0 + 50 * M).isoformat()
    # The new case is received when the service centre heard of it: its own clocks cannot start earlier.
    assert t.new_cases[0].received_at == T0 + 50 * M


def test_a_note_after_an_unable_report_is_never_placed_before_the_report() -> None:  # R-CL-3 design 4
    # An unable job still takes notes (D99): one the phone claims before the unable report follows it all
    # the same, as a note follows the arrival (D97).
    case = ok(c.mark_unable(_on_site(arrived_min=10), work_order_id="wo1", reason="缺配件", by="t1",
                            now=T0 + 50 * M, acted_at=T0 + 25 * M)).case
    wo = case.work_orders[-1]
    assert c.field_step_time(wo, acted_at=T0 + 15 * M, now=T0 + 60 * M) == T0 + 25 * M
    t = ok(c.add_note(case, text="配件型号 DN20", by="t1", now=T0 + 60 * M, work_order_id="wo1",
                      acted_at=T0 + 15 * M))
    assert t.case.work_orders[-1].notes[-1].at == T0 + 25 * M


def test_a_linked_problem_stays_on_the_job_it_was_found_on_with_its_new_case_number() -> None:  # R-CL-1 C R-CL-2 D
    # The technician must be able to tell the resident the new number (D98): the work order keeps it.
    case = _on_site(arrived_min=10)
    case = ok(c.report_linked_problem(case, description="楼上渗水", by="t1", now=T0 + 50 * M, child_id="case_c",
                                      child_no="GD20260506-0002", work_order_id="wo1", acted_at=T0 + 30 * M)).case
    case = ok(c.report_linked_problem(case, description="墙面空鼓", by="t1", now=T0 + 55 * M, separately=False,
                                      problem_id="lp1", work_order_id="wo1")).case
    [opened_, held] = case.work_orders[-1].linked
    assert (opened_.description, opened_.at, opened_.case_id, opened_.case_no, opened_.problem_id) == (
        "楼上渗水", T0 + 30 * M, "case_c", "GD20260506-0002", None)
    assert (held.description, held.at, held.case_no, held.problem_id) == ("墙面空鼓", T0 + 55 * M, None, "lp1")
