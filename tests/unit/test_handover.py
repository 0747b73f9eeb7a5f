"""Shift handover sheet: open work listed, both sides sign, emergencies explicitly taken over."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from server.domain import cases as c
from server.domain import handover as ho
from server.domain.cases import HelpKind, Kind
from server.domain.errors import Refusal
from server.domain.handover import HandoverReason, HandoverSheet
from server.domain.roles import Role
from tests.unit.test_cases import DISPATCHER, T0, make_case, ok, opened, refused

H = timedelta(hours=1)


def sheet_of(*cases: c.Case) -> HandoverSheet:
    s = ho.build_handover(
        sheet_id="h1", compound_id="cp1", outgoing_id="d1", incoming_id="d2", cases=cases, now=T0
    )
    assert isinstance(s, HandoverSheet), s
    return s


def good(s: HandoverSheet | Refusal) -> HandoverSheet:
    assert isinstance(s, HandoverSheet), s
    return s


def test_handover_lists_open_work_emergencies_first() -> None:  # R-SH-1
    routine = opened()
    fire = msgspec.structs.replace(
        opened(Kind.HELP, help_kind=HelpKind.DISASTER), id="c2", received_at=T0 + H
    )
    unopened = ok(
        c.decide_opening(
            make_case(Kind.INQUIRY), open=False, note="已解释", by="d1", roles=DISPATCHER, now=T0
        )
    ).case
    unopened = msgspec.structs.replace(unopened, id="c3")
    other_compound = msgspec.structs.replace(opened(), id="c4", compound_id="cp2")
    sheet = sheet_of(routine, fire, unopened, other_compound)
    assert [(i.case_id, i.is_emergency) for i in sheet.items] == [("c2", True), ("c1", False)]


def test_handover_needs_both_signatures_outgoing_first() -> None:  # R-SH-1
    sheet = sheet_of(opened())
    refused(
        ho.sign_incoming(sheet, by="d2", signature_sha256="i" * 64, now=T0), HandoverReason.OUTGOING_FIRST
    )
    refused(ho.sign_outgoing(sheet, by="d2", signature_sha256="o" * 64, now=T0), HandoverReason.NOT_OUTGOING)
    refused(ho.sign_outgoing(sheet, by="d1", signature_sha256="", now=T0), HandoverReason.SIGNATURE_REQUIRED)
    sheet = good(ho.sign_outgoing(sheet, by="d1", signature_sha256="o" * 64, now=T0))
    assert not sheet.complete
    refused(ho.sign_incoming(sheet, by="d3", signature_sha256="i" * 64, now=T0), HandoverReason.NOT_INCOMING)
    sheet = good(ho.sign_incoming(sheet, by="d2", signature_sha256="i" * 64, now=T0 + H))
    assert sheet.complete
    assert msgspec.json.decode(msgspec.json.encode(sheet), type=HandoverSheet) == sheet


def test_handover_to_oneself_is_refused() -> None:  # R-SH-1
    r = ho.build_handover(
        sheet_id="h1", compound_id="cp1", outgoing_id="d1", incoming_id="d1", cases=[], now=T0
    )
    refused(r, HandoverReason.SAME_PERSON)


def test_morning_review_by_supervisor_of_a_signed_sheet() -> None:  # R-SH-1
    case = opened()
    sheet = sheet_of(case)
    r = ho.review(sheet, by="m1", roles={Role.MANAGER}, now=T0)
    assert refused(r, HandoverReason.NOT_COMPLETE).details["missing"] == [
        "outgoing_signature",
        "incoming_signature",
    ]
    sheet = good(ho.sign_outgoing(sheet, by="d1", signature_sha256="o" * 64, now=T0))
    sheet = good(ho.sign_incoming(sheet, by="d2", signature_sha256="i" * 64, now=T0))
    refused(ho.review(sheet, by="d3", roles={Role.DISPATCHER}, now=T0), HandoverReason.NOT_SUPERVISOR)
    sheet = good(ho.review(sheet, by="lead1", roles={Role.TEAM_LEAD}, now=T0 + 10 * H, note="催办"))
    assert sheet.reviewed_by == "lead1"
    assert [i.case_id for i in ho.unfinished_items(sheet, [case])] == ["c1"]


def test_open_emergency_must_be_taken_over_explicitly() -> None:  # R-EM-3
    fire = opened(Kind.HELP, help_kind=HelpKind.DISASTER)
    sheet = good(ho.sign_outgoing(sheet_of(fire), by="d1", signature_sha256="o" * 64, now=T0))
    r = ho.sign_incoming(sheet, by="d2", signature_sha256="i" * 64, now=T0)
    assert refused(r, HandoverReason.EMERGENCY_NOT_TAKEN_OVER).details["missing"] == ["c1"]
    sheet = good(
        ho.sign_incoming(sheet, by="d2", signature_sha256="i" * 64, now=T0, takes_over_case_ids=["c1"])
    )
    assert sheet.taken_over_case_ids == ("c1",)


def test_a_sheet_is_reviewed_once_and_the_first_review_stands() -> None:  # R-SH-1
    sheet = good(ho.sign_outgoing(sheet_of(opened()), by="d1", signature_sha256="o" * 64, now=T0))
    sheet = good(ho.sign_incoming(sheet, by="d2", signature_sha256="i" * 64, now=T0))
    sheet = good(ho.review(sheet, by="m1", roles={Role.MANAGER}, now=T0 + 9 * H, note=" 催办水管 "))
    assert (sheet.reviewed_by, sheet.reviewed_at, sheet.review_note) == ("m1", T0 + 9 * H, "催办水管")
    again = ho.review(sheet, by="gm", roles={Role.GENERAL_MANAGER}, now=T0 + 10 * H)
    assert refused(again, HandoverReason.ALREADY_REVIEWED).details["reviewed_by"] == "m1"


def test_unfinished_items_leave_out_cases_closed_since_the_handover() -> None:  # R-SH-1
    first, second = opened(), opened(case_id="c2", no="2026-0002")
    sheet = sheet_of(first, second)
    closed = msgspec.structs.replace(second, state=c.CaseState.CLOSED)
    assert [i.case_id for i in ho.unfinished_items(sheet, [first, closed])] == ["c1"]



def test_review_records_the_items_still_open_on_the_sheet() -> None:  # R-SH-1
    still_open = opened()
    settled = msgspec.structs.replace(opened(), id="c2", state=c.CaseState.CLOSED)
    sheet = sheet_of(still_open, msgspec.structs.replace(opened(), id="c2"))
    sheet = good(ho.sign_outgoing(sheet, by="d1", signature_sha256="o" * 64, now=T0))
    sheet = good(ho.sign_incoming(sheet, by="d2", signature_sha256="i" * 64, now=T0))
    reviewed = good(ho.review(sheet, by="m1", roles={Role.MANAGER}, now=T0 + 9 * H, cases=[still_open, settled]))
    assert reviewed.unfinished_case_ids == ("c1",)
    # A sheet stored before the field existed still decodes.
    doc = msgspec.json.decode(msgspec.json.encode(sheet))
    doc.pop("unfinished_case_ids")
    assert msgspec.json.decode(msgspec.json.encode(doc), type=HandoverSheet).unfinished_case_ids == ()


def test_a_written_inquiry_left_unopened_is_handed_over_until_its_written_reply() -> None:  # R-SH-1, R-IN-5
    # Explained and not opened (R-OP-2), a written inquiry still owes its written reply within 2 days:
    # the shift that took it hands that duty over; a phone inquiry left unopened owes nothing.
    def unopened(case: c.Case, cid: str) -> c.Case:
        t = c.decide_opening(case, open=False, note="已解释，业主接受", by="d1", roles=DISPATCHER, now=T0)
        return msgspec.structs.replace(ok(t).case, id=cid)

    letter = unopened(make_case(Kind.INQUIRY, channel=c.Channel.WRITTEN), "c5")
    phoned = unopened(make_case(Kind.INQUIRY), "c6")
    routine = opened()
    sheet = sheet_of(routine, letter, phoned)
    assert [(i.case_id, i.state, i.written_reply_due) for i in sheet.items] == [
        ("c1", c.CaseState.OPENED, False), ("c5", c.CaseState.NOT_OPENED, True)]
    # The morning review presses on it while the reply is still owed, and not once it is written.
    sheet = good(ho.sign_outgoing(sheet, by="d1", signature_sha256="o" * 64, now=T0))
    sheet = good(ho.sign_incoming(sheet, by="d2", signature_sha256="i" * 64, now=T0 + H))
    assert [i.case_id for i in ho.unfinished_items(sheet, [routine, letter])] == ["c1", "c5"]
    answered = ok(c.record_follow_up(letter, kind=c.FollowUpKind.REPLY, medium=c.ReplyMedium.WRITTEN,
                                     signer="钱经理", note="书面答复已送达", by="d2", now=T0 + 2 * H)).case
    assert [i.case_id for i in ho.unfinished_items(sheet, [routine, answered])] == ["c1"]
    assert [i.case_id for i in sheet_of(routine, answered).items] == ["c1"]
    # An older sheet, stored before the flag, still reads.
    old = msgspec.json.encode(sheet).replace(b',"written_reply_due":true', b"").replace(b',"written_reply_due":false', b"")
    assert b"written_reply_due" not in old
    assert [i.written_reply_due for i in msgspec.json.decode(old, type=HandoverSheet).items] == [False, False]
