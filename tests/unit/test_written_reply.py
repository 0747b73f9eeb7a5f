"""R-IN-5: a written inquiry is answered in writing within 2 days; a reply records how it was given.

The seed (002 篇2 四3(1)) asks for a reply "以书面形式": a call to a written inquirer is worth
recording, but it is not the written reply, so the 2-day clock stays open and says why (D62).
"""

from __future__ import annotations

from datetime import timedelta

import msgspec

from server.domain import cases as c
from server.domain.cases import Case, Channel, FollowUp, FollowUpKind, Kind, ReplyMedium
from server.domain.deadlines import ClockCode
from tests.unit.test_cases import T0, make_case, ok, opened, refused
from tests.unit.test_deadlines import clock

M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)


def written_inquiry() -> Case:
    return opened(Kind.INQUIRY, now=T0, channel=Channel.WRITTEN)


def reply(case: Case, medium: ReplyMedium | None, at: timedelta, note: str = "") -> Case:
    return ok(c.record_follow_up(case, kind=FollowUpKind.REPLY, medium=medium, note=note, by="d1", now=T0 + at)).case


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
                              now=T0 + H))
    assert t.case.follow_ups[-1].medium is ReplyMedium.WRITTEN
    assert t.events[0].data == {"kind": "reply", "medium": "written"}
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
