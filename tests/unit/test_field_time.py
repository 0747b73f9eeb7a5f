"""When a step recorded on an offline phone counts (D35): the phone's act in server time, bounded."""

from __future__ import annotations

from datetime import timedelta

from server.domain import cases as c
from server.domain.cases import Kind
from server.sync.push import acted_at
from tests.unit.test_cases import T0, dispatched, make_case, ok, opened

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
