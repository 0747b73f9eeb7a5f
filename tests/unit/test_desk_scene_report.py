"""The desk writing down what a person summoned to the scene said on the radio (R-EM-2): the case's history
carries the report's words, as it does for one sent from the phone."""

from __future__ import annotations

from server.domain import cases as c
from server.domain.emergencies import SummonedRole
from tests.unit.test_cases import T0, ok, refused
from tests.unit.test_field_emergency import M, summoned


def test_a_scene_report_recorded_at_the_desk_is_in_the_history() -> None:  # R-EM-2
    out = ok(c.record_scene_report(summoned(), role=SummonedRole.GUARD_CAPTAIN, report="  地库已疏散，消防已到  ",
                                   by="d1", now=T0 + 30 * M))
    [ev] = out.events
    assert (ev.name, ev.at, ev.by) == ("emergency.arrived", T0 + 30 * M, "d1")
    assert ev.data == {"role": "guard_captain", "report": "地库已疏散，消防已到"}
    s = next(x for x in out.case.emergency.summons if x.role == SummonedRole.GUARD_CAPTAIN)
    # Who wrote it down: the desk, from what the captain said.
    assert (s.arrived_at, s.report, s.reported_at, s.reported_by) == (T0 + 30 * M, "地库已疏散，消防已到", T0 + 30 * M, "d1")


def test_an_arrival_without_words_records_the_arrival_only() -> None:  # R-EM-2
    for words in (None, "", "   "):
        out = ok(c.record_scene_report(summoned(), role=SummonedRole.GUARD_CAPTAIN, report=words, by="d1",
                                       now=T0 + 30 * M))
        assert out.events[0].data == {"role": "guard_captain"}
        s = next(x for x in out.case.emergency.summons if x.role == SummonedRole.GUARD_CAPTAIN)
        assert (s.arrived_at, s.report, s.reported_at) == (T0 + 30 * M, None, None)


def test_only_someone_summoned_reports_from_the_scene() -> None:  # R-EM-2
    refused(c.record_scene_report(summoned(), role=SummonedRole.ELEVATOR_CAPTAIN, report="x", by="d1",
                                  now=T0 + 30 * M), "emergency.not_summoned")
