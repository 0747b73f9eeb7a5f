"""R-IN-5: a written inquiry is answered in writing within 2 days; a reply records how it was given.

The seed (002 篇2 四3(1)) asks for a reply "以书面形式": a call to a written inquirer is worth
recording, but it is not the written reply, so the 2-day clock stays open and says why (D62). The
duty holds whatever the opening decision: a written inquiry explained and left unopened (R-OP-2 F)
still gets its written reply within 2 days, recorded on the intake (D69).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from server.domain import cases as c
from server.domain.cases import Case, Channel, FollowUp, FollowUpKind, Kind, ReplyMedium
from server.domain.deadlines import ClockCode, DeadlinePolicy, clocks
from server.domain.roles import Role
from server.notify.reminders import BEFORE_DUE, OVERDUE, plan
from tests.unit.test_cases import CAL, T0, make_case, ok, opened, refused
from tests.unit.test_deadlines import clock

M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)


def written_inquiry() -> Case:
    return opened(Kind.INQUIRY, now=T0, channel=Channel.WRITTEN)


def reply(case: Case, medium: ReplyMedium | None, at: timedelta, note: str = "") -> Case:
    signer = "钱经理" if medium == ReplyMedium.WRITTEN else None
    return ok(c.record_follow_up(case, kind=FollowUpKind.REPLY, medium=medium, signer=signer, note=note, by="d1",
                                 now=T0 + at)).case


def test_written_inquiry_clock_is_met_only_by_a_written_reply() -> None:  # R-IN-5
    case = reply(written_inquiry(), ReplyMedium.PHONE, H, note="电话告知物业费标准，书面答复随后送达")
    k = clock(case, ClockCode.IN5_WRITTEN_REPLY_2D, now=T0 + 2 * H)
    assert (k.running, k.satisfied_at, k.overdue) == (True, None, False)
    case = reply(case, ReplyMedium.WRITTEN, D)
    k = clock(case, ClockCode.IN5_WRITTEN_REPLY_2D, now=T0 + 3 * D)
    assert (k.running, k.satisfied_at, k.overdue) == (False, T0 + D, False)


def test_an_oral_reply_leaves_the_written_inquiry_overdue_after_two_days() -> None:  # R-IN-5
    case = reply(reply(written_inquiry(), ReplyMedium.IN_PERSON, H), ReplyMedium.PHONE, 3 * H)
    k = clock(case, ClockCode.IN5_WRITTEN_REPLY_2D, now=T0 + 2 * D + M)
    assert (k.running, k.satisfied_at, k.overdue) == (True, None, True)


def test_the_open_written_reply_clock_says_an_oral_reply_does_not_meet_it() -> None:  # R-IN-5
    plain = clock(written_inquiry(), ClockCode.IN5_WRITTEN_REPLY_2D)
    assert (plain.label_zh, plain.label_en) == ("书面咨询两日内书面答复", "Written inquiry: written reply in 2 days")
    by_phone = clock(reply(written_inquiry(), ReplyMedium.PHONE, H), ClockCode.IN5_WRITTEN_REPLY_2D)
    assert "已电话答复" in by_phone.label_zh and "书面答复" in by_phone.label_zh
    assert "by phone" in by_phone.label_en and "written reply" in by_phone.label_en
    in_person = clock(reply(written_inquiry(), ReplyMedium.IN_PERSON, H), ClockCode.IN5_WRITTEN_REPLY_2D)
    assert "已当面答复" in in_person.label_zh and "in person" in in_person.label_en
    # Once the written reply is given the clock reads as the rule again.
    done = clock(reply(reply(written_inquiry(), ReplyMedium.PHONE, H), ReplyMedium.WRITTEN, 2 * H),
                 ClockCode.IN5_WRITTEN_REPLY_2D)
    assert (done.label_zh, done.satisfied_at) == ("书面咨询两日内书面答复", T0 + 2 * H)


def test_a_help_request_is_answered_in_any_medium_within_5_minutes() -> None:  # R-IN-5
    case = reply(make_case(Kind.HELP, now=T0), ReplyMedium.PHONE, 3 * M)
    k = clock(case, ClockCode.IN5_HELP_REPLY_5M, now=T0 + 6 * M)
    assert (k.satisfied_at, k.overdue) == (T0 + 3 * M, False)


def test_a_reply_must_say_how_it_was_given() -> None:  # R-IN-5
    r = refused(c.record_follow_up(written_inquiry(), kind=FollowUpKind.REPLY, by="d1", now=T0 + H),
                "case.reply_medium_required")
    assert r.kind == "invalid" and r.details["missing"] == ["medium"] and r.zh and r.en


def test_only_a_reply_records_a_medium() -> None:  # R-IN-5
    refused(c.record_follow_up(opened(now=T0), kind=FollowUpKind.FIRST, medium=ReplyMedium.PHONE, by="d1", now=T0 + H),
            "case.medium_only_for_reply")


def test_the_recorded_reply_and_its_event_carry_the_medium() -> None:  # R-IN-5
    t = ok(c.record_follow_up(written_inquiry(), kind=FollowUpKind.REPLY, medium=ReplyMedium.WRITTEN, by="d1",
                              signer="钱经理", now=T0 + H))
    assert t.case.follow_ups[-1].medium is ReplyMedium.WRITTEN
    assert t.events[0].data == {"kind": "reply", "medium": "written", "signer": "钱经理"}
    # Other follow-ups say nothing of a medium.
    t = ok(c.record_follow_up(opened(now=T0), kind=FollowUpKind.FIRST, by="d1", now=T0 + H))
    assert t.case.follow_ups[-1].medium is None and t.events[0].data == {"kind": "first"}


def test_a_reply_stored_before_media_were_recorded_still_reads_and_counts() -> None:  # R-IN-5
    # Replies recorded before the medium existed have none; they met the clock when recorded, and the
    # monthly figures already reported them so: the medium is unknown, not oral (D62).
    old = msgspec.json.decode(b'{"kind":"reply","at":"2026-05-06T02:00:00Z","by":"d1","note":""}', type=FollowUp)
    assert old.medium is None
    case = msgspec.structs.replace(written_inquiry(), follow_ups=(old,))
    k = clock(case, ClockCode.IN5_WRITTEN_REPLY_2D, now=T0 + 3 * D)
    assert (k.running, k.satisfied_at) == (False, old.at)


# --- a written inquiry left unopened still owes its written reply (D69) ----------------------------


def not_opened_written_inquiry() -> Case:
    case = make_case(Kind.INQUIRY, now=T0, channel=Channel.WRITTEN)
    return ok(c.decide_opening(case, open=False, note="已当面解释物业费标准，业主接受，无需立项", by="d1",
                               roles={Role.DISPATCHER}, now=T0 + H)).case


def test_a_written_inquiry_not_opened_keeps_its_two_day_written_reply_clock() -> None:  # R-IN-5, R-OP-2
    case = not_opened_written_inquiry()
    k = clock(case, ClockCode.IN5_WRITTEN_REPLY_2D, now=T0 + 2 * H)
    assert (k.due_at, k.running, k.overdue, k.satisfied_at) == (T0 + 2 * D, True, False, None)
    assert (k.responsible_role, k.responsible_id) == (Role.FRONT_DESK, "d1")
    # Nothing else is followed up on an intake left unopened (R-OP-2): only the written reply runs.
    assert [k.code for k in clocks(case, CAL, T0 + 2 * H)] == [ClockCode.IN5_WRITTEN_REPLY_2D]
    late = clock(case, ClockCode.IN5_WRITTEN_REPLY_2D, now=T0 + 2 * D + M)
    assert (late.running, late.overdue) == (True, True)


def test_the_desk_records_the_written_reply_on_a_written_inquiry_not_opened() -> None:  # R-IN-5, R-OP-2
    t = ok(c.record_follow_up(not_opened_written_inquiry(), kind=FollowUpKind.REPLY, medium=ReplyMedium.WRITTEN,
                              signer="钱经理", note="书面答复已邮寄", by="d1", now=T0 + D))
    assert t.case.state == c.CaseState.NOT_OPENED  # recording the reply opens nothing
    assert t.events[0].data == {"kind": "reply", "medium": "written", "signer": "钱经理"}
    k = clock(t.case, ClockCode.IN5_WRITTEN_REPLY_2D, now=T0 + 3 * D)
    assert (k.running, k.satisfied_at, k.overdue) == (False, T0 + D, False)


def test_a_phone_reply_to_a_written_inquiry_not_opened_leaves_the_written_reply_due() -> None:  # R-IN-5
    case = reply(not_opened_written_inquiry(), ReplyMedium.PHONE, 2 * H, note="电话告知，书面答复随后")
    k = clock(case, ClockCode.IN5_WRITTEN_REPLY_2D, now=T0 + 3 * H)
    assert k.running and k.satisfied_at is None and "已电话答复" in k.label_zh


def test_an_unopened_intake_takes_no_other_follow_up() -> None:  # R-OP-2
    # The written inquiry takes its reply, nothing else; any other unopened intake takes none at all.
    refused(c.record_follow_up(not_opened_written_inquiry(), kind=FollowUpKind.FIRST, by="d1", now=T0 + D),
            "case.wrong_state")
    phoned = ok(c.decide_opening(make_case(Kind.INQUIRY, now=T0), open=False, note="已解释", by="d1",
                                 roles={Role.DISPATCHER}, now=T0 + H)).case
    refused(c.record_follow_up(phoned, kind=FollowUpKind.REPLY, medium=ReplyMedium.PHONE, by="d1", now=T0 + D),
            "case.wrong_state")
    assert clocks(phoned, CAL, T0 + D) == []


def test_the_front_desk_is_reminded_of_the_written_reply_an_unopened_inquiry_owes() -> None:  # R-IN-5
    case = not_opened_written_inquiry()
    now = T0 + 2 * H
    ps = plan(case, clocks(case, CAL, now), now, CAL, DeadlinePolicy())
    # The receiver before the limit, the managers once it passes, as for the clock on an opened inquiry.
    assert [(p.code, p.kind, p.recipient_role, p.recipient_id, p.due_at) for p in ps] == [
        (ClockCode.IN5_WRITTEN_REPLY_2D, BEFORE_DUE, Role.FRONT_DESK, "d1", T0 + 2 * D),
        (ClockCode.IN5_WRITTEN_REPLY_2D, OVERDUE, Role.MANAGER, None, T0 + 2 * D)]
    answered = reply(case, ReplyMedium.WRITTEN, 3 * H)
    assert plan(answered, clocks(answered, CAL, now), now, CAL, DeadlinePolicy()) == []


def test_late_written_replies_are_on_the_months_overdue_list_and_in_no_rate() -> None:  # R-IN-5, R-RV-5
    # May 2026 in Shanghai, seen at 1 June 00:00 (the period's end). Every written inquiry's written reply
    # is due 2 days after receipt; those received Wed 6 May 10:00 are due Fri 8 May 10:00.
    from server.domain.monthly_report import build_monthly_report, rate
    from server.services.reports import case_row
    from tests.unit.test_cases import sh

    def numbered(case: Case, n: int) -> Case:
        return msgspec.structs.replace(case, id=f"c{n}", no=f"2026-000{n}")

    def written(case: Case, at: datetime) -> Case:
        return ok(c.record_follow_up(case, kind=FollowUpKind.REPLY, medium=ReplyMedium.WRITTEN, note="书面答复",
                                     signer="钱经理", by="d1", now=at)).case

    # 1: opened, answered by phone only: still unanswered at the period's end (8 May 10:00 -> 1 June
    #    00:00 = 23 d 14 h = 33,960 min late).
    phone_only = numbered(reply(written_inquiry(), ReplyMedium.PHONE, H), 1)
    # 2: left unopened, answered in writing on Sat 9 May 12:30: 1 d 2 h 30 min = 1,590 min late.
    late = numbered(written(not_opened_written_inquiry(), sh(2026, 5, 9, 12, 30)), 2)
    # 3: answered in writing the next day: in time, not listed.
    in_time = numbered(written(written_inquiry(), T0 + D), 3)
    # 4: an inquiry by phone owes no written reply: not listed, however it was answered.
    phoned = numbered(opened(Kind.INQUIRY, now=T0), 4)
    # 5: received Sat 30 May 10:00, due 1 June 10:00: after May's end, not listed in May.
    next_month = numbered(opened(Kind.INQUIRY, now=sh(2026, 5, 30, 10), channel=Channel.WRITTEN), 5)
    # 6: received 20 April, answered late on 25 April: late in April, answered before May began.
    april = numbered(written(opened(Kind.INQUIRY, now=sh(2026, 4, 20, 10), channel=Channel.WRITTEN),
                             sh(2026, 4, 25, 9)), 6)
    now = sh(2026, 6, 1, 0)
    rows = [case_row(k, calendar=CAL, policy=DeadlinePolicy(), now=now, names={"d1": "王调度"}, call_backs=(),
                     booking=None) for k in (phone_only, late, in_time, phoned, next_month, april)]
    assert [(r.deadline_at, r.closed_at) for r in rows[:4]] == [
        (sh(2026, 5, 8, 10), None), (sh(2026, 5, 8, 10), sh(2026, 5, 9, 12, 30)),
        (sh(2026, 5, 8, 10), T0 + D), (None, None)]
    report = build_monthly_report(rows, year=2026, month=5, tz=CAL.zone, as_of=now)
    assert [(o.case_no, o.kind, o.due_at, o.closed_at, o.handler, o.late_minutes) for o in report.overdue] == [
        ("2026-0001", "inquiry", sh(2026, 5, 8, 10), None, "王调度", 33960),
        ("2026-0002", "inquiry", sh(2026, 5, 8, 10), sh(2026, 5, 9, 12, 30), "王调度", 1590)]
    # Counted by kind and channel like any case received in May (5 of the 6); no rate counts the replies.
    assert (report.counts_by_kind["inquiry"], report.counts_by_channel["written"]) == (5, 4)
    assert all(r.denominator == 0 for r in report.rates)
    assert rate(report, "timely_handling").denominator == 0
    # June, seen at Wed 3 June 00:00: no. 5 is still unanswered, 38 h past 1 June 10:00; no. 1 is still late.
    june = build_monthly_report(rows, year=2026, month=6, tz=CAL.zone, as_of=sh(2026, 6, 3, 0))
    assert [(o.case_no, o.late_minutes) for o in june.overdue] == [("2026-0001", 36840), ("2026-0005", 2280)]


# --- closing waits for the written reply (D70) -----------------------------------------------------


def verified_written_inquiry() -> Case:
    return ok(c.verify(written_inquiry(), note="来信所问已核实", by="d1", roles={Role.DISPATCHER}, now=T0 + H)).case


def test_a_written_inquiry_cannot_close_before_its_written_reply() -> None:  # R-IN-5, R-CL-1, R-CL-3
    # A phone call answered the question, but the written reply is still owed: closing would stop its
    # clock unseen, so the close is refused and names what is missing, as every other missing item.
    case = reply(verified_written_inquiry(), ReplyMedium.PHONE, 2 * H, note="电话告知，书面答复随后")
    assert c.missing_to_close(case) == ["written_reply"]
    r = refused(c.close(case, result="已答复", by="d1", roles={Role.DISPATCHER}, now=T0 + 3 * H),
                c.CaseReason.CLOSE_MISSING)
    assert r.details["missing"] == ["written_reply"]
    case = reply(case, ReplyMedium.WRITTEN, D, note="书面答复已送达")
    assert c.missing_to_close(case) == []
    closed = ok(c.close(case, result="已书面答复", by="d1", roles={Role.DISPATCHER}, now=T0 + D + H)).case
    assert closed.state == c.CaseState.CLOSED
    k = clock(closed, ClockCode.IN5_WRITTEN_REPLY_2D, now=T0 + 3 * D)
    assert (k.running, k.satisfied_at, k.overdue) == (False, T0 + D, False)


def test_the_written_reply_is_listed_beside_the_other_missing_items() -> None:  # R-IN-5, R-CL-1
    # Before verification both are missing, in the stable order the close dialog shows.
    assert c.missing_to_close(written_inquiry()) == ["verification", "written_reply"]
    # A reply stored before replies had a medium met the clock then, and still lets the case close (D62).
    old = FollowUp(kind=FollowUpKind.REPLY, at=T0 + H, by="d1")
    assert c.missing_to_close(msgspec.structs.replace(verified_written_inquiry(), follow_ups=(old,))) == []
    # Any other inquiry owes no written reply: nothing new is asked of it.
    phoned = ok(c.verify(opened(Kind.INQUIRY, now=T0), note="已核实", by="d1", roles={Role.DISPATCHER}, now=T0 + H)).case
    assert c.missing_to_close(phoned) == []


def test_a_written_inquiry_that_cannot_be_handled_still_gets_its_written_reply_first() -> None:  # R-IN-5, R-CL-4
    # Parked as cannot-handle, the case waits for the quarterly review, but the resident's written reply
    # does not wait with it: the clock runs on (and reminds), and the review cannot close without it.
    from server.domain.cases import QuarterlyReview
    from tests.unit.test_cases import sh

    case = ok(c.mark_cannot_handle(written_inquiry(), reason="涉及产权，物业无权答复", by="m1",
                                   roles={Role.MANAGER}, now=T0 + H)).case
    k = clock(case, ClockCode.IN5_WRITTEN_REPLY_2D, now=T0 + 3 * D)
    assert (k.running, k.overdue) == (True, True)
    ps = plan(case, clocks(case, CAL, T0 + 2 * H), T0 + 2 * H, CAL, DeadlinePolicy())
    assert {(p.code, p.kind) for p in ps} == {(ClockCode.IN5_WRITTEN_REPLY_2D, BEFORE_DUE),
                                             (ClockCode.IN5_WRITTEN_REPLY_2D, OVERDUE)}
    at = sh(2026, 6, 26, 10)
    review = QuarterlyReview(at=at, approver_id="m1", approver_roles=frozenset({Role.MANAGER}),
                             approver_signature_sha256="s" * 64)
    r = refused(c.close_in_quarterly_review(case, review=review, calendar=CAL, result="转业委会", by="d1",
                                            roles={Role.DISPATCHER}, now=at), c.CaseReason.CLOSE_MISSING)
    assert r.details["missing"] == ["written_reply"] and "书面答复" in r.zh and "written reply" in r.en
    answered = reply(case, ReplyMedium.WRITTEN, 3 * D, note="书面告知须由业委会决定")
    assert not clock(answered, ClockCode.IN5_WRITTEN_REPLY_2D, now=at).running
    closed = ok(c.close_in_quarterly_review(answered, review=review, calendar=CAL, result="转业委会", by="d1",
                                            roles={Role.DISPATCHER}, now=at)).case
    assert closed.state == c.CaseState.CLOSED


def test_a_written_reply_names_who_signed_and_issued_it() -> None:  # R-IN-5
    t = ok(c.record_follow_up(written_inquiry(), kind=FollowUpKind.REPLY, medium=ReplyMedium.WRITTEN, by="d1",
                              signer="  钱经理 ", note="书面答复已送达", now=T0 + H))
    assert t.case.follow_ups[-1].signer == "钱经理"  # as on the letter, without stray spaces
    for blank in (None, "", "   "):
        r = refused(c.record_follow_up(written_inquiry(), kind=FollowUpKind.REPLY, medium=ReplyMedium.WRITTEN,
                                       by="d1", signer=blank, now=T0 + H), "case.written_reply_signer_required")
        assert r.kind == "invalid" and r.details["missing"] == ["signer"]


def test_only_a_written_reply_records_a_signer() -> None:  # R-IN-5
    for kind, medium in ((FollowUpKind.REPLY, ReplyMedium.PHONE), (FollowUpKind.REPLY, ReplyMedium.IN_PERSON),
                         (FollowUpKind.FIRST, None)):
        r = refused(c.record_follow_up(written_inquiry(), kind=kind, medium=medium, by="d1", signer="钱经理",
                                       now=T0 + H), "case.signer_only_for_written_reply")
        assert r.kind == "invalid"
    # An oral reply without a signer is recorded as before.
    t = ok(c.record_follow_up(written_inquiry(), kind=FollowUpKind.REPLY, medium=ReplyMedium.PHONE, by="d1", now=T0 + H))
    assert t.case.follow_ups[-1].signer is None and "signer" not in t.events[0].data


def test_a_reply_stored_before_signers_were_recorded_still_reads_without_one() -> None:  # R-IN-5
    case = reply(written_inquiry(), ReplyMedium.WRITTEN, H)
    doc = msgspec.json.decode(msgspec.json.encode(case))
    for f in doc["follow_ups"]:
        f.pop("signer", None)
    old = msgspec.json.decode(msgspec.json.encode(doc), type=Case)
    assert old.follow_ups[-1].signer is None and c.written_replies(old) == [T0 + H]
