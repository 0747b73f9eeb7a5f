"""Release-slip issuing rules, single use at the gate and the ten-day hand-in (R-RS-1..6)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.errors import DomainError, Refusal
from server.domain.release_slips import (
    Authorisation,
    AuthorisationKind,
    ConfirmationChannel,
    CopyHolder,
    EngineeringConfirmation,
    IdCheck,
    IdType,
    IncidentKind,
    IssueOutcome,
    IssuePath,
    Item,
    OwnerConfirmation,
    Relation,
    ReleaseSlip,
    SignatureSource,
    SlipReason,
    SlipRequest,
    SlipState,
    StaffRef,
    apply_release,
    archive_security_copy,
    confirm_handin,
    handin_lists,
    issue_slip,
    needs_slip,
    revoke,
    route,
    state_at,
    ten_day_period,
)
from server.domain.roles import Role

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 5, 10, 0, tzinfo=TZ)
DESK = StaffRef(id="fd-1", role=Role.FRONT_DESK, name="王敏")
GUARD = StaffRef(id="g-7", role=Role.GUARD)
ENGINEER = StaffRef(id="eng-2", role=Role.ENGINEERING)
SIG_REQ = "a" * 64
SIG_OWNER = "b" * 64
ID_COPY = "c" * 64

SOFA = Item(name="旧沙发", large=True)
BOXES = Item(name="纸箱", quantity=4)
DRILL = Item(name="电钻", tool=True)
LADDER = Item(name="人字梯", tool=True, large=True)


def _id(last4: str = "123X") -> IdCheck:
    return IdCheck(id_type=IdType.RESIDENT_ID_CARD, last4=last4, checked_by=DESK.id, checked_at=NOW)


def _letter(**kw) -> Authorisation:
    fields = dict(
        kind=AuthorisationKind.WRITTEN,
        delegate_name="李华",
        visit_date=date(2026, 3, 5),
        items=("纸箱", "旧沙发"),
        owner_signature_sha256=SIG_OWNER,
        owner_signature_source=SignatureSource.SCANNED,
        owner_id_copy_sha256=ID_COPY,
    )
    fields.update(kw)
    return Authorisation(**fields)


def _request(relation: Relation = Relation.OWNER, **kw) -> SlipRequest:
    fields = dict(
        unit_label="3栋2单元1501",
        requester_name="张伟",
        relation=relation,
        registered_on_owner_record=relation in (Relation.OWNER, Relation.HOUSEHOLD_MEMBER),
        items=(BOXES,),
        gates=("N",),
        valid_from=NOW,
        valid_until=NOW + timedelta(hours=12),
        requester_signature_sha256=SIG_REQ,
        id_check=_id(),
    )
    fields.update(kw)
    return SlipRequest(**fields)


def _delegate(relation: Relation = Relation.TENANT, **kw) -> SlipRequest:
    fields = dict(requester_name="李华", authorisation=_letter(), items=(BOXES, SOFA))
    fields.update(kw)
    return _request(relation, **fields)


def _issue(request: SlipRequest, *, by: StaffRef = DESK, now: datetime = NOW) -> IssueOutcome | Refusal:
    return issue_slip(request, slip_id="S-1", issued_by=by, now=now, tz=TZ)


def _ok(request: SlipRequest, **kw) -> IssueOutcome:
    outcome = _issue(request, **kw)
    assert isinstance(outcome, IssueOutcome), outcome
    return outcome


def _refused(request: SlipRequest, code: SlipReason, **kw) -> Refusal:
    outcome = _issue(request, **kw)
    assert isinstance(outcome, Refusal), outcome
    assert outcome.code == code, outcome
    assert outcome.code in set(SlipReason)
    assert outcome.zh and outcome.en and any("\u4e00" <= ch <= "\u9fff" for ch in outcome.zh)
    return outcome


def _slip(**kw) -> ReleaseSlip:
    slip = _ok(_request(**kw)).slip
    return slip


# --- R-RS-1 ------------------------------------------------------------------------------------------


def test_recognised_owner_carries_small_items_without_a_slip():  # R-RS-1
    assert needs_slip([BOXES], guard_recognises_owner=True) is False


def test_valuable_or_large_items_need_a_slip_even_for_a_recognised_owner():  # R-RS-1
    assert needs_slip([BOXES, SOFA], guard_recognises_owner=True) is True
    assert needs_slip([Item(name="笔记本电脑", valuable=True)], guard_recognises_owner=True) is True


def test_guard_who_cannot_confirm_identity_needs_a_slip_for_anything():  # R-RS-1
    assert needs_slip([BOXES], guard_recognises_owner=False) is True


def test_household_member_with_large_item_needs_the_owners_signature():  # R-RS-1
    refusal = _refused(
        _request(Relation.HOUSEHOLD_MEMBER, items=(BOXES, SOFA)), SlipReason.OWNER_SIGNATURE_REQUIRED
    )
    assert refusal.details["items"] == ["旧沙发"]


def test_household_member_with_large_item_and_owners_signature_gets_slip():  # R-RS-1
    slip = _ok(_request(Relation.HOUSEHOLD_MEMBER, items=(SOFA,), owner_signature_sha256=SIG_OWNER)).slip
    assert slip.owner_signature_sha256 == SIG_OWNER


def test_owner_signing_own_slip_is_the_owners_signature():  # R-RS-1
    slip = _ok(_request(Relation.OWNER, items=(SOFA,))).slip
    assert slip.owner_signature_sha256 == SIG_REQ


# --- R-RS-2 ------------------------------------------------------------------------------------------


def test_owner_with_checked_id_and_signature_gets_slip():  # R-RS-2
    slip = _ok(_request()).slip
    assert slip.path is IssuePath.SELF
    assert slip.state is SlipState.ISSUED
    assert slip.id_check == _id()
    assert slip.requester_signature_sha256 == SIG_REQ


def test_registered_household_member_gets_slip():  # R-RS-2
    assert _ok(_request(Relation.HOUSEHOLD_MEMBER)).slip.path is IssuePath.SELF


def test_nanny_cannot_get_slip_even_if_registered():  # R-RS-2
    request = _request(Relation.NANNY, registered_on_owner_record=True)
    assert route(request) is IssuePath.DELEGATE
    refusal = _refused(request, SlipReason.AUTHORISATION_REQUIRED)
    assert refusal.details["relation"] == "nanny"
    assert "保姆" in refusal.zh


def test_unregistered_household_member_is_not_household():  # R-RS-2
    request = _request(Relation.HOUSEHOLD_MEMBER, registered_on_owner_record=False)
    _refused(request, SlipReason.AUTHORISATION_REQUIRED)


def test_slip_refused_without_id_check():  # R-RS-2
    _refused(_request(id_check=None), SlipReason.ID_NOT_CHECKED)


def test_full_id_number_is_refused():  # R-RS-2
    refusal = _refused(_request(id_check=_id("11010519491231002X")), SlipReason.FULL_ID_NUMBER)
    assert "11010519491231002X" not in repr(refusal)
    _refused(_request(id_check=_id("1234 5")), SlipReason.FULL_ID_NUMBER)


@pytest.mark.parametrize("last4", ["", "123", "12-4", "１２３４"])
def test_id_last4_must_be_four_letters_or_digits(last4):  # R-RS-2
    _refused(_request(id_check=_id(last4)), SlipReason.BAD_ID_LAST4)


def test_slip_refused_without_requester_signature():  # R-RS-2
    _refused(_request(requester_signature_sha256=None), SlipReason.NOT_SIGNED)


# --- R-RS-3 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "relation",
    [Relation.TENANT, Relation.NANNY, Relation.FRIEND, Relation.EMPLOYEE, Relation.UNREGISTERED_RELATIVE],
)
def test_anyone_else_needs_owners_written_authorisation(relation):  # R-RS-3
    _refused(_request(relation, requester_name="李华"), SlipReason.AUTHORISATION_REQUIRED)
    assert _ok(_delegate(relation)).slip.path is IssuePath.DELEGATE


def test_owner_phone_call_is_not_authorisation():  # R-RS-3
    phone = Authorisation(
        kind=AuthorisationKind.PHONE_CALL, delegate_name="李华", visit_date=date(2026, 3, 5)
    )
    refusal = _refused(_delegate(authorisation=phone), SlipReason.PHONE_CALL_NOT_AUTHORISATION)
    assert refusal.code == "slip.phone_call_not_authorisation"


def test_written_authorisation_is_attached_to_the_slip():  # R-RS-3
    slip = _ok(_delegate()).slip
    assert slip.authorisation == _letter()
    assert slip.id_check == _id()


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        ({"delegate_name": " "}, "delegate_name"),
        ({"visit_date": None}, "visit_date"),
        ({"items": ()}, "items"),
        ({"owner_signature_sha256": None, "owner_signature_source": SignatureSource.DEVICE}, "owner_signature_sha256"),
        ({"owner_signature_sha256": None}, "letter_sha256"),  # on paper: the scan shows it (D108)
        ({"owner_signature_source": None}, "owner_signature_source"),
        ({"owner_id_copy_sha256": None}, "owner_id_copy_sha256"),
    ],
)
def test_incomplete_authorisation_is_refused(change, missing):  # R-RS-3
    refusal = _refused(_delegate(authorisation=_letter(**change)), SlipReason.AUTHORISATION_INCOMPLETE)
    assert missing in refusal.details["missing"]


def test_authorisation_names_the_person_at_the_desk():  # R-RS-3
    _refused(_delegate(requester_name="赵六"), SlipReason.AUTHORISATION_NAME_MISMATCH)
    # Spacing differences are not a different person.
    assert isinstance(_issue(_delegate(requester_name=" 李华 ")), IssueOutcome)


def test_authorisation_for_another_day_is_refused():  # R-RS-3
    _refused(
        _delegate(authorisation=_letter(visit_date=date(2026, 3, 4))), SlipReason.AUTHORISATION_DATE_MISMATCH
    )


def test_authorisation_day_is_the_compounds_local_day():  # R-RS-3
    # 2026-03-05 00:30 in Shanghai is still the 4th in UTC.
    just_after_midnight = datetime(2026, 3, 5, 0, 30, tzinfo=TZ)
    request = _delegate(valid_from=just_after_midnight, valid_until=just_after_midnight + timedelta(hours=8))
    assert isinstance(_issue(request, now=just_after_midnight), IssueOutcome)


def test_items_not_on_the_authorisation_are_refused():  # R-RS-3
    refusal = _refused(
        _delegate(items=(BOXES, Item(name="钢琴", large=True))), SlipReason.AUTHORISATION_ITEMS_NOT_COVERED
    )
    assert refusal.details["items"] == ["钢琴"]


def test_delegate_must_show_id():  # R-RS-3
    _refused(_delegate(id_check=None), SlipReason.ID_NOT_CHECKED)
    _refused(_delegate(id_check=_id("440301199001011234")), SlipReason.FULL_ID_NUMBER)


def test_attachment_references_must_be_sha256():  # R-RS-3
    refusal = _refused(_delegate(authorisation=_letter(owner_id_copy_sha256="copy.jpg")), SlipReason.BAD_HASH)
    assert refusal.details["fields"] == ["authorisation.owner_id_copy_sha256"]


# --- R-RS-4 ------------------------------------------------------------------------------------------


def test_slip_is_made_in_two_copies():  # R-RS-4
    slip = _slip()
    assert [c.holder for c in slip.copies] == [CopyHolder.SERVICE_CENTRE, CopyHolder.SECURITY]


@pytest.mark.parametrize(
    ("local", "index", "first", "last"),
    [
        (datetime(2026, 3, 1, 0, 0), 1, 1, 10),
        (datetime(2026, 3, 10, 23, 59), 1, 1, 10),
        (datetime(2026, 3, 11, 0, 0), 2, 11, 20),
        (datetime(2026, 3, 20, 12, 0), 2, 11, 20),
        (datetime(2026, 3, 21, 0, 0), 3, 21, 31),
        (datetime(2026, 3, 31, 23, 59), 3, 21, 31),
        (datetime(2026, 2, 25, 8, 0), 3, 21, 28),
        (datetime(2028, 2, 29, 8, 0), 3, 21, 29),
        (datetime(2026, 4, 30, 8, 0), 3, 21, 30),
    ],
)
def test_ten_day_period(local, index, first, last):  # R-RS-4
    period = ten_day_period(local.replace(tzinfo=TZ), TZ)
    assert (period.index, period.first_day.day, period.last_day.day) == (index, first, last)
    assert period.start <= local.replace(tzinfo=TZ) < period.end


def test_ten_day_period_uses_the_compound_time_zone():  # R-RS-4
    # 16:30 UTC on the 10th is 00:30 on the 11th in Shanghai: the second period.
    period = ten_day_period(datetime(2026, 3, 10, 16, 30, tzinfo=UTC), TZ)
    assert period.index == 2
    assert period.start == datetime(2026, 3, 11, tzinfo=TZ)
    assert period.end == datetime(2026, 3, 21, tzinfo=TZ)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
def test_ten_day_periods_tile_time(naive):  # R-RS-4
    instant = naive.replace(tzinfo=UTC)
    period = ten_day_period(instant, TZ)
    assert period.start <= instant < period.end
    assert ten_day_period(period.end, TZ).start == period.end
    assert 8 <= (period.last_day - period.first_day).days + 1 <= 11


def _released(slip_id: str, gate: str, at: datetime) -> ReleaseSlip:
    slip = msgspec.structs.replace(_slip(gates=("N", "S")), id=slip_id)
    return apply_release(slip, gate, GUARD, at)[0]


def test_handin_lists_per_gate_the_slips_released_in_the_period():  # R-RS-4
    period = ten_day_period(NOW, TZ)
    slips = [
        _released("S-2", "S", NOW + timedelta(hours=2)),
        _released("S-1", "N", NOW + timedelta(hours=1)),
        _released("S-3", "N", NOW + timedelta(minutes=30)),
        _released("S-4", "N", datetime(2026, 3, 11, 0, 1, tzinfo=TZ)),  # next period
        _slip(),  # issued, never released
    ]
    lists = handin_lists(slips, period)
    assert [(h.gate, h.slip_ids) for h in lists] == [("N", ("S-3", "S-1")), ("S", ("S-2",))]


def test_desk_confirms_hand_in_and_missing_copies_are_listed():  # R-RS-4
    period = ten_day_period(NOW, TZ)
    slips = [_released("S-1", "N", NOW), _released("S-2", "N", NOW + timedelta(hours=1))]
    (hand_in,) = handin_lists(slips, period)
    receipt = confirm_handin(hand_in, ["S-2"], by=DESK, at=period.end)
    assert not isinstance(receipt, Refusal)
    assert receipt.received_ids == ("S-2",) and receipt.missing_ids == ("S-1",)
    assert not receipt.complete
    archived = archive_security_copy(slips[1], receipt)
    security = next(c for c in archived.copies if c.holder is CopyHolder.SECURITY)
    assert security.handed_in_at == period.end
    assert archive_security_copy(slips[0], receipt) == slips[0]


def test_hand_in_is_received_by_the_desk_after_the_period():  # R-RS-4
    period = ten_day_period(NOW, TZ)
    (hand_in,) = handin_lists([_released("S-1", "N", NOW)], period)
    early = confirm_handin(hand_in, ["S-1"], by=DESK, at=period.end - timedelta(minutes=1))
    assert isinstance(early, Refusal) and early.code == SlipReason.HANDIN_TOO_EARLY
    guard = confirm_handin(hand_in, ["S-1"], by=GUARD, at=period.end)
    assert isinstance(guard, Refusal) and guard.code == SlipReason.HANDIN_RECEIVER_NOT_DESK
    stray = confirm_handin(hand_in, ["S-1", "S-9"], by=DESK, at=period.end)
    assert isinstance(stray, Refusal) and stray.details["slip_ids"] == ["S-9"]


# --- R-RS-5 ------------------------------------------------------------------------------------------


def _contractor(**kw) -> SlipRequest:
    fields = dict(
        requester_name="陈工",
        handover_period=True,
        id_check=None,
        requester_signature_sha256=None,
        items=(Item(name="剩余瓷砖", quantity=20, large=True),),
        engineering_confirmation=EngineeringConfirmation(confirmed_by=ENGINEER, confirmed_at=NOW),
    )
    fields.update(kw)
    return _request(Relation.CONTRACTOR, **fields)


def test_contractor_during_handover_needs_engineering_confirmation():  # R-RS-5
    _refused(_contractor(engineering_confirmation=None), SlipReason.ENGINEERING_CONFIRMATION_REQUIRED)


def test_engineering_confirmation_must_come_from_engineering_staff():  # R-RS-5
    by_lead = EngineeringConfirmation(confirmed_by=StaffRef(id="tl", role=Role.TEAM_LEAD), confirmed_at=NOW)
    refusal = _refused(_contractor(engineering_confirmation=by_lead), SlipReason.CONFIRMER_NOT_ENGINEERING)
    assert refusal.kind == "forbidden"


def test_engineering_confirmation_cannot_postdate_the_slip():  # R-RS-5
    later = EngineeringConfirmation(confirmed_by=ENGINEER, confirmed_at=NOW + timedelta(minutes=5))
    _refused(_contractor(engineering_confirmation=later), SlipReason.CONFIRMATION_AFTER_ISSUE)


def test_confirmed_contractor_release_is_written_to_the_duty_log():  # R-RS-5
    outcome = _ok(_contractor())
    assert outcome.slip.path is IssuePath.HANDOVER_CONTRACTOR
    entry = outcome.duty_log_entry
    assert entry is not None
    assert (entry.confirmed_by, entry.confirmed_at) == (ENGINEER, NOW)
    assert entry.items == ("剩余瓷砖",) and entry.slip_id == "S-1" and entry.recorded_by == DESK.id


def test_contractor_outside_handover_needs_owners_authorisation():  # R-RS-5
    _refused(_contractor(handover_period=False), SlipReason.AUTHORISATION_REQUIRED)


# --- R-RS-6 ------------------------------------------------------------------------------------------


def _worker(**kw) -> SlipRequest:
    fields = dict(
        requester_name="刘师傅",
        id_check=None,
        requester_signature_sha256=None,
        items=(DRILL, LADDER),
        owner_confirmation=OwnerConfirmation(
            owner_name="张伟", channel=ConfirmationChannel.PHONE, confirmed_at=NOW, recorded_by=DESK.id
        ),
    )
    fields.update(kw)
    return _request(Relation.RENOVATION_WORKER, **fields)


def test_renovation_tools_need_the_owners_confirmation():  # R-RS-6
    _refused(_worker(owner_confirmation=None), SlipReason.OWNER_CONFIRMATION_REQUIRED)


def test_confirmed_tools_are_notified_to_the_gate_by_name():  # R-RS-6
    outcome = _ok(_worker(gates=("N", "S")))
    assert outcome.slip.path is IssuePath.RENOVATION_TOOLS
    notice = outcome.gate_notice
    assert notice is not None
    assert notice.tool_names == ("电钻", "人字梯")
    assert notice.gates == ("N", "S") and notice.notified_by == DESK.id and notice.notified_at == NOW
    assert notice.owner_confirmed_at == NOW


def test_renovation_worker_taking_non_tools_needs_written_authorisation():  # R-RS-6
    _refused(_worker(items=(DRILL, BOXES)), SlipReason.AUTHORISATION_REQUIRED)


# --- issuing in general ---------------------------------------------------------------------------


def test_only_the_desk_issues_slips():
    refusal = _refused(_request(), SlipReason.ISSUER_NOT_DESK, by=GUARD)
    assert refusal.kind == "forbidden"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"items": ()}, SlipReason.NO_ITEMS),
        ({"items": (Item(name="  "),)}, SlipReason.BAD_ITEM),
        ({"items": (Item(name="箱", quantity=0),)}, SlipReason.BAD_ITEM),
        ({"gates": ()}, SlipReason.BAD_GATES),
        ({"gates": ("N", "N")}, SlipReason.BAD_GATES),
        ({"gates": ("north",)}, SlipReason.BAD_GATES),
        ({"valid_until": NOW}, SlipReason.BAD_VALIDITY),
        ({"valid_until": NOW + timedelta(days=8)}, SlipReason.BAD_VALIDITY),
        ({"requester_signature_sha256": "A" * 64}, SlipReason.BAD_HASH),
    ],
)
def test_slip_fields_are_checked(change, code):
    _refused(_request(**change), code)


# --- single use at the gate --------------------------------------------------------------------------------


def test_first_release_marks_the_slip_used():
    slip, incident = apply_release(_slip(), "N", GUARD, NOW + timedelta(minutes=5))
    assert incident is None
    assert slip.state is SlipState.RELEASED
    assert (slip.released_gate, slip.released_by) == ("N", GUARD.id)


def test_second_release_is_an_incident_not_silently_accepted():
    slip = _slip(gates=("N", "S"))
    first, _ = apply_release(slip, "N", GUARD, NOW + timedelta(minutes=5))
    other_guard = StaffRef(id="g-9", role=Role.GUARD)
    again, incident = apply_release(first, "S", other_guard, NOW + timedelta(minutes=6))
    assert again == first  # the first release stands
    assert incident is not None and incident.kinds == (IncidentKind.DOUBLE_RELEASE,)
    assert (incident.gate, incident.released_by, incident.first_gate, incident.first_released_by) == (
        "S",
        "g-9",
        "N",
        GUARD.id,
    )


def test_release_of_a_revoked_slip_is_an_incident():
    revoked = revoke(_slip(), by=DESK, at=NOW, reason="业主取消")
    assert isinstance(revoked, ReleaseSlip)
    slip, incident = apply_release(revoked, "N", GUARD, NOW + timedelta(minutes=1))
    assert incident is not None and IncidentKind.RELEASED_WHILE_REVOKED in incident.kinds
    assert slip.state is SlipState.REVOKED and slip.released_at is not None


def test_release_outside_the_window_or_at_another_gate_is_an_incident():
    late = apply_release(_slip(), "N", GUARD, NOW + timedelta(hours=13))[1]
    assert late is not None and late.kinds == (IncidentKind.RELEASED_OUTSIDE_VALIDITY,)
    elsewhere = apply_release(_slip(), "E", GUARD, NOW)[1]
    assert elsewhere is not None and elsewhere.kinds == (IncidentKind.WRONG_GATE,)


def test_only_a_guard_records_a_release():
    with pytest.raises(DomainError) as err:
        apply_release(_slip(), "N", DESK, NOW)
    assert err.value.refusal.code == SlipReason.RELEASER_NOT_GUARD


def test_issued_slip_expires_after_its_window():
    slip = _slip()
    assert state_at(slip, NOW + timedelta(hours=11)) is SlipState.ISSUED
    assert state_at(slip, NOW + timedelta(hours=12)) is SlipState.EXPIRED
    released, _ = apply_release(slip, "N", GUARD, NOW)
    assert state_at(released, NOW + timedelta(days=1)) is SlipState.RELEASED


def test_only_an_unused_slip_is_revoked_and_only_by_the_desk():
    released, _ = apply_release(_slip(), "N", GUARD, NOW)
    refusal = revoke(released, by=DESK, at=NOW, reason="x")
    assert isinstance(refusal, Refusal) and refusal.code == SlipReason.NOT_REVOCABLE
    by_guard = revoke(_slip(), by=GUARD, at=NOW, reason="x")
    assert isinstance(by_guard, Refusal) and by_guard.kind == "forbidden"


# --- R-RS-3: the owner's signature on the paper letter (D108) --------------------------------------

LETTER_SCAN = "d" * 64


def test_letter_signed_on_paper_with_the_scan_attached_is_enough():  # R-RS-3
    # The owner signed the letter at home: the desk attaches the scan, nobody signs the tablet.
    letter = _letter(owner_signature_sha256=None, letter_sha256=LETTER_SCAN)
    slip = _ok(_delegate(authorisation=letter)).slip
    assert slip.authorisation == letter


def test_letter_signed_on_paper_needs_the_scan():  # R-RS-3
    letter = _letter(owner_signature_sha256=None, letter_sha256=None)
    refusal = _refused(_delegate(authorisation=letter), SlipReason.AUTHORISATION_INCOMPLETE)
    # The form's own field, not "signature source", which no form shows.
    assert refusal.details["missing"] == ["letter_sha256"]


def test_owner_signing_on_the_device_needs_the_drawn_signature():  # R-RS-3
    letter = _letter(owner_signature_sha256=None, owner_signature_source=SignatureSource.DEVICE,
                     letter_sha256=LETTER_SCAN)
    refusal = _refused(_delegate(authorisation=letter), SlipReason.AUTHORISATION_INCOMPLETE)
    assert refusal.details["missing"] == ["owner_signature_sha256"]


def test_no_owner_signature_at_all_names_only_the_signature():  # R-RS-3
    letter = _letter(owner_signature_sha256=None, owner_signature_source=None)
    refusal = _refused(_delegate(authorisation=letter), SlipReason.AUTHORISATION_INCOMPLETE)
    assert refusal.details["missing"] == ["owner_signature_sha256"]


def test_signature_on_the_paper_letter_is_listed_as_on_paper():  # R-RS-3
    from server.domain.release_slips import Signer, signatures

    on_paper = _ok(_delegate(authorisation=_letter(owner_signature_sha256=None, letter_sha256=LETTER_SCAN))).slip
    (ref,) = [r for r in signatures(on_paper) if r.signer is Signer.LETTER_OWNER]
    assert ref.on_paper and ref.sha256 == LETTER_SCAN  # the guard sees the signed letter
    drawn = _ok(_delegate(authorisation=_letter(owner_signature_source=SignatureSource.DEVICE))).slip
    (ref,) = [r for r in signatures(drawn) if r.signer is Signer.LETTER_OWNER]
    assert not ref.on_paper and ref.sha256 == SIG_OWNER
