"""The phone shows each of a job's clocks as running, met on time, or missed by so many minutes (D106)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.domain import deadlines as dl
from server.domain.roles import Role

T0 = datetime(2026, 12, 7, 11, 39, tzinfo=UTC)
M = timedelta(minutes=1)


def _on_site(**kw) -> dl.Clock:  # noqa: ANN003
    return dl.Clock(code=dl.ClockCode.FU4_ON_SITE_15M, rule="R-FU-4", label_zh="派工后 15 分钟到场",
                    label_en="On site 15 min after the work order", started_at=T0, due_at=T0 + 15 * M,
                    responsible_role=Role.TECHNICIAN, responsible_id="t1", **kw)


def test_a_clock_met_on_time_stays_on_the_phone_as_met():  # R-FU-4
    met = _on_site(satisfied_at=T0 + 10 * M, running=False)
    assert dl.shown_on_phone(met, "t1")
    assert dl.phone_clock_state(met) == ("met", None)


def test_an_arrival_twenty_minutes_after_dispatch_missed_the_fifteen_minute_clock_by_five():  # R-FU-4
    late = _on_site(satisfied_at=T0 + 20 * M, running=False, overdue=True)
    assert dl.shown_on_phone(late, "t1")
    assert dl.phone_clock_state(late) == ("missed", 5)


def test_a_part_minute_late_counts_as_a_whole_minute_late():  # R-FU-4
    assert dl.phone_clock_state(_on_site(satisfied_at=T0 + 15 * M + timedelta(seconds=20), running=False,
                                         overdue=True)) == ("missed", 1)


def test_a_clock_still_running_counts_down_on_the_phone():  # R-FU-4
    assert dl.phone_clock_state(_on_site()) == ("running", None)
    assert dl.phone_clock_state(_on_site(overdue=True)) == ("running", None)


def test_a_clock_stopped_by_the_close_is_not_on_the_phone():  # D90
    stopped = _on_site(running=False, stopped_at=T0 + 60 * M, stopped_by=dl.ClockStop.CLOSED)
    assert not dl.shown_on_phone(stopped, "t1")
