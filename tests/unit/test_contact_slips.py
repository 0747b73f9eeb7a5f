"""The work-contact slip 工作联系单 to the developer for a legacy defect (R-IN-6 d, D44): pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from server.domain import contact_slips as cs
from server.domain.cases import Case, Channel, Kind, RepairResponsibility
from server.domain.errors import DomainError

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TODAY = date(2026, 11, 23)


def repair(responsibility: RepairResponsibility | None = RepairResponsibility.DEVELOPER_DEFECT,
           kind: Kind = Kind.REPAIR) -> Case:
    return Case(id="c1", no="GD20261123-0001", compound_id="cp1", kind=kind, channel=Channel.PHONE,
                received_at=T0, receiver_id="d1", contact_name="王业主", address="3栋1201", content="外墙渗水",
                follower_id="d1", repair_responsibility=responsibility)


def draft(case: Case | None = None, **kw: object) -> cs.ContactSlip:
    args = dict(id="s1", addressee="开发商售后服务部", description="外墙渗水，卧室墙面发霉", location="3栋1201",
                requested_action="请派人查明渗水原因并修复", reply_by=TODAY + timedelta(days=3), by="d1", now=T0)
    args.update(kw)
    return cs.create(case or repair(), [], **args)


def verified(slip: cs.ContactSlip) -> cs.ContactSlip:
    return cs.record_verification(slip, verified_by="陈班长", verified_at=T0 - timedelta(hours=1),
                                  note="卧室外墙窗框下方渗水，墙面起霉", by="d1", now=T0)


def sent(slip: cs.ContactSlip | None = None) -> cs.ContactSlip:
    return cs.issue(slip or verified(draft()), repair(), no="LX20261123-001", today=TODAY, by="d1", now=T0)


def code_of(exc: pytest.ExceptionInfo[DomainError]) -> str:
    return exc.value.refusal.code


@pytest.mark.parametrize("case", [
    repair(RepairResponsibility.COMMON), repair(RepairResponsibility.OWNER_PRIVATE),
    repair(RepairResponsibility.OWNER_PAYS_DEFECT), repair(None), repair(None, kind=Kind.COMPLAINT),
])
def test_only_a_developer_defect_repair_gets_a_contact_slip(case: Case) -> None:  # R-IN-6
    with pytest.raises(DomainError) as e:
        draft(case)
    assert code_of(e) == "contact_slip.not_developer_defect"


def test_a_new_slip_is_an_unnumbered_draft_carrying_the_case() -> None:  # R-IN-6
    slip = draft()
    assert (slip.state, slip.no, slip.case_id, slip.case_no) == ("draft", None, "c1", "GD20261123-0001")
    assert slip.verification is None and cs.is_open(slip) and not cs.is_overdue(slip, TODAY + timedelta(days=9))


def test_a_draft_needs_a_description() -> None:  # R-IN-6
    with pytest.raises(DomainError) as e:
        draft(description="   ")
    assert code_of(e) == "contact_slip.fields_missing"
    assert e.value.refusal.details["missing"] == ["description"]


def test_a_second_slip_is_refused_while_one_is_unanswered() -> None:  # R-IN-6
    first = sent()
    with pytest.raises(DomainError) as e:
        cs.create(repair(), [first], id="s2", addressee="x", description="y", location="", requested_action="",
                  reply_by=None, by="d1", now=T0)
    assert code_of(e) == "contact_slip.already_open"
    answered = cs.record_reply(first, text="已安排", replied_on=TODAY, issued_day=TODAY, today=TODAY, by="d1", now=T0)
    assert cs.create(repair(), [answered], id="s2", addressee="x", description="y", location="",
                     requested_action="", reply_by=None, by="d1", now=T0).state == "draft"


def test_a_slip_cannot_be_issued_before_the_on_site_verification() -> None:  # R-IN-6 (d): verify on site
    with pytest.raises(DomainError) as e:
        cs.issue(draft(), repair(), no="LX20261123-001", today=TODAY, by="d1", now=T0)
    assert code_of(e) == "contact_slip.not_verified"


def test_the_verification_names_who_looked_and_cannot_be_in_the_future() -> None:  # R-IN-6
    with pytest.raises(DomainError) as e:
        cs.record_verification(draft(), verified_by=" ", verified_at=T0, note="", by="d1", now=T0)
    assert code_of(e) == "contact_slip.fields_missing"
    assert e.value.refusal.details["missing"] == ["verified_by", "note"]
    with pytest.raises(DomainError) as e:
        cs.record_verification(draft(), verified_by="陈班长", verified_at=T0 + timedelta(minutes=5), note="渗水",
                               by="d1", now=T0)
    assert code_of(e) == "contact_slip.verified_in_future"


def test_issuing_numbers_the_slip_and_needs_every_field_and_a_reply_date_not_past() -> None:  # R-IN-6
    incomplete = verified(draft(requested_action="", reply_by=None))
    with pytest.raises(DomainError) as e:
        sent(incomplete)
    assert code_of(e) == "contact_slip.fields_missing"
    assert e.value.refusal.details["missing"] == ["requested_action", "reply_by"]
    with pytest.raises(DomainError) as e:
        sent(verified(draft(reply_by=TODAY - timedelta(days=1))))
    assert code_of(e) == "contact_slip.reply_by_passed"
    slip = sent()
    assert (slip.state, slip.no, slip.issued_by, slip.issued_at) == ("sent", "LX20261123-001", "d1", T0)


def test_a_slip_is_not_issued_once_the_repair_is_no_longer_the_developers() -> None:  # R-IN-6
    with pytest.raises(DomainError) as e:
        cs.issue(verified(draft()), repair(RepairResponsibility.COMMON), no="LX1", today=TODAY, by="d1", now=T0)
    assert code_of(e) == "contact_slip.not_developer_defect"


def test_a_sent_slip_is_immutable_except_for_the_reply() -> None:  # R-IN-6
    slip = sent()
    for attempt in (lambda: cs.edit(slip, by="d1", now=T0, description="改"),
                    lambda: verified(slip),
                    lambda: sent(slip)):
        with pytest.raises(DomainError) as e:
            attempt()
        assert code_of(e) == "contact_slip.already_issued"
    answered = cs.record_reply(slip, text="下周一派人处理", replied_on=TODAY, issued_day=TODAY, today=TODAY,
                               by="d1", now=T0)
    assert answered.state == "answered" and answered.reply.text == "下周一派人处理"
    assert answered.no == slip.no and answered.description == slip.description
    with pytest.raises(DomainError) as e:
        cs.record_reply(answered, text="再次", replied_on=TODAY, issued_day=TODAY, today=TODAY, by="d1", now=T0)
    assert code_of(e) == "contact_slip.already_answered"


def test_a_draft_can_be_edited_but_not_to_no_change() -> None:  # R-IN-6
    slip = cs.edit(draft(), by="d1", now=T0 + timedelta(minutes=1), addressee="某某地产客服中心")
    assert slip.addressee == "某某地产客服中心" and slip.updated_at == T0 + timedelta(minutes=1)
    with pytest.raises(DomainError) as e:
        cs.edit(slip, by="d1", now=T0, addressee="某某地产客服中心")
    assert code_of(e) == "contact_slip.nothing_to_change"


def test_a_reply_needs_text_and_a_date_between_sending_and_today() -> None:  # R-IN-6
    with pytest.raises(DomainError) as e:
        cs.record_reply(draft(), text="x", replied_on=TODAY, issued_day=TODAY, today=TODAY, by="d1", now=T0)
    assert code_of(e) == "contact_slip.not_issued"
    slip = sent()
    with pytest.raises(DomainError) as e:
        cs.record_reply(slip, text=" ", replied_on=TODAY, issued_day=TODAY, today=TODAY, by="d1", now=T0)
    assert code_of(e) == "contact_slip.fields_missing"
    for day in (TODAY - timedelta(days=1), TODAY + timedelta(days=1)):
        with pytest.raises(DomainError) as e:
            cs.record_reply(slip, text="好", replied_on=day, issued_day=TODAY, today=TODAY, by="d1", now=T0)
        assert code_of(e) == "contact_slip.reply_date_invalid"


def test_a_sent_slip_past_its_reply_date_without_a_reply_is_overdue() -> None:  # R-IN-6
    slip = sent()  # reply asked by TODAY + 3
    assert not cs.is_overdue(slip, TODAY + timedelta(days=3))
    assert cs.is_overdue(slip, TODAY + timedelta(days=4))
    answered = cs.record_reply(slip, text="好", replied_on=TODAY, issued_day=TODAY, today=TODAY, by="d1", now=T0)
    assert not cs.is_overdue(answered, TODAY + timedelta(days=30)) and not cs.is_open(answered)
