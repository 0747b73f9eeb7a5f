"""What a guard's phone is told when the server records its release as an incident (R-RS-1): the release
stands — the goods left — and the guard learns why the desk will follow it up, in Chinese and English."""

from __future__ import annotations

from datetime import UTC, datetime

from server.domain.release_slips import (
    RELEASE_INCIDENT_NOTICE,
    IncidentKind,
    ReleaseIncident,
    incident_notice,
)

AT = datetime(2026, 12, 7, 15, 22, 8, tzinfo=UTC)


def _incident(*kinds: IncidentKind) -> ReleaseIncident:
    return ReleaseIncident(slip_id="rs-1", kinds=kinds, gate="N", released_by="usr_guard", released_at=AT)


def test_a_release_of_a_revoked_slip_tells_the_guard_it_is_an_incident_and_why():  # R-RS-1
    code, zh, en, details = incident_notice(_incident(IncidentKind.RELEASED_WHILE_REVOKED))
    assert code == RELEASE_INCIDENT_NOTICE == "slip.release_incident"
    assert zh == "服务中心已将此次放行记为异常：放行时该单已作废。请向服务中心说明情况。"
    assert en == ("The service centre has recorded this release as an incident: the slip had been revoked. "
                  "Tell the service centre what happened.")
    assert details == {"kinds": ["released_while_revoked"]}


def test_every_kind_is_named_and_several_are_listed_in_order():  # R-RS-1
    for kind in IncidentKind:
        _, zh, en, _ = incident_notice(_incident(kind))
        assert kind.value not in zh and kind.value not in en  # words, not codes
    _, zh, en, details = incident_notice(
        _incident(IncidentKind.RELEASED_OUTSIDE_VALIDITY, IncidentKind.WRONG_GATE))
    assert "放行时不在该单的有效期内；该单不能在本出入口放行" in zh
    assert "it was outside the slip's validity; the slip does not name this gate" in en
    assert details == {"kinds": ["released_outside_validity", "wrong_gate"]}
