"""A release at a gate the compound's directory does not list is kept and flagged (R-RS-1, D47): the
goods have left, so the fact the gate phone recorded is not refused; the desk sees an `unknown_gate`
incident instead."""

from __future__ import annotations

from datetime import timedelta

from server.domain.release_slips import IncidentKind, SlipState, apply_release
from tests.unit.test_release_slips import GUARD, NOW, _slip

DIRECTORY = ("N", "S", "E", "B1")


def test_a_release_at_a_gate_the_directory_does_not_list_is_kept_and_flagged():  # R-RS-1
    slip, incident = apply_release(_slip(gates=("N", "S")), "M", GUARD, NOW + timedelta(minutes=5),
                                   known_gates=DIRECTORY)
    assert slip.state is SlipState.RELEASED and slip.released_gate == "M"  # the goods left: a fact
    assert incident is not None
    assert incident.kinds == (IncidentKind.WRONG_GATE, IncidentKind.UNKNOWN_GATE)
    assert incident.gate == "M"


def test_a_listed_gate_the_slip_does_not_name_is_only_the_wrong_gate():  # R-RS-1
    incident = apply_release(_slip(gates=("N", "S")), "E", GUARD, NOW, known_gates=DIRECTORY)[1]
    assert incident is not None and incident.kinds == (IncidentKind.WRONG_GATE,)


def test_a_listed_gate_the_slip_names_is_no_incident():  # R-RS-1
    assert apply_release(_slip(gates=("N", "S")), "N", GUARD, NOW, known_gates=DIRECTORY)[1] is None


def test_with_no_gates_named_any_code_is_taken_as_before():  # R-RS-1, D46
    # A compound whose directory is empty names no gates, so no code can be unknown (as at issue).
    incident = apply_release(_slip(gates=("N", "S")), "N", GUARD, NOW, known_gates=())[1]
    assert incident is None
    elsewhere = apply_release(_slip(gates=("N", "S")), "M", GUARD, NOW, known_gates=())[1]
    assert elsewhere is not None and elsewhere.kinds == (IncidentKind.WRONG_GATE,)


def test_a_second_release_at_an_unknown_gate_keeps_the_first_and_names_both_faults():  # R-RS-1
    first, _ = apply_release(_slip(gates=("N", "S")), "N", GUARD, NOW, known_gates=DIRECTORY)
    again, incident = apply_release(first, "M", GUARD, NOW + timedelta(minutes=1), known_gates=DIRECTORY)
    assert again == first
    assert incident is not None
    assert incident.kinds == (IncidentKind.DOUBLE_RELEASE, IncidentKind.WRONG_GATE, IncidentKind.UNKNOWN_GATE)
    assert (incident.gate, incident.first_gate) == ("M", "N")
