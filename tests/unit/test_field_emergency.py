"""An emergency raised from a field phone, and the people summoned to it reporting back from theirs.

R-IN-1: a request found by staff is recorded at once with its channel, reporter and phone. R-EM-1: it is
an emergency. R-EM-2: the people summoned to the scene report back. Both count when they were tapped
on the phone (D35, D128), within bounds.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.domain import cases as c
from server.domain import emergencies as em
from server.domain.cases import CaseReason, CaseState, Channel, FollowUpKind, HelpKind, Kind
from server.domain.deadlines import ClockCode, DeadlinePolicy, clocks
from server.domain.emergencies import EmergencyReason, EmergencyTrigger, SummonedRole
from server.notify.reminders import SUMMONS, payload_for, plan
from tests.unit.test_cases import CAL, DISPATCHER, T0, ok, refused

M = timedelta(minutes=1)


def report(**kw) -> c.Transition:  # noqa: ANN003
    args = dict(
        case_id="c9", no="GD20260506-0009", compound_id="cp1", what=EmergencyTrigger.FIRE,
        reporter_id="g1", reporter_name="孙护卫", reporter_phone="13900000008",
        building_id="b2", building_name="2栋", where="B2 配电间", note="配电间冒烟，有焦味",
        photo_sha256=None, now=T0 + 20 * M, acted_at=T0 + 5 * M,
    )
    args.update(kw)
    return ok(c.report_emergency(**args))


def test_a_guards_report_is_an_intake_found_by_staff_flagged_emergency_received_when_tapped() -> None:  # R-IN-1 R-EM-1
    out = report()
    case = out.case
    assert (case.kind, case.channel, case.help_kind) == (Kind.HELP, Channel.STAFF_FOUND, HelpKind.DISASTER)
    assert case.is_emergency and case.emergency is not None and case.emergency.trigger == EmergencyTrigger.FIRE
    # R-IN-1: the reporter, their phone, where and what; received when the guard tapped, not at the sync.
    assert (case.contact_name, case.phone, case.address, case.content) == (
        "孙护卫", "13900000008", "2栋 B2 配电间", "配电间冒烟，有焦味")
    assert case.received_at == T0 + 5 * M and case.emergency.declared_at == T0 + 5 * M
    assert case.receiver_id == "g1"  # who recorded it
    fr = case.field_report
    assert fr is not None and (fr.by, fr.reported_at, fr.received_at, fr.building_id, fr.where) == (
        "g1", T0 + 5 * M, T0 + 20 * M, "b2", "B2 配电间")
    # R-EM-5: the fire brigade is the number it calls for, as at the desk's intake.
    assert em.numbers_to_call(help_kind=case.help_kind, trigger=case.emergency.trigger) == (em.PublicNumber.FIRE,)
    # The history says when it was reported and when the server heard of it.
    received = out.events[0]
    assert (received.name, received.at, received.by) == ("case.received", T0 + 5 * M, "g1")
    assert received.data["field_report"] is True and received.data["received_at"] == (T0 + 20 * M).isoformat()


def test_nobody_at_the_desk_follows_a_field_report_or_holds_its_post_until_someone_takes_it() -> None:  # R-IN-9 R-EM-3
    case = report().case
    assert case.follower_id == "" and case.emergency.at_post_id == ""
    assert not em.holds_post(case.emergency, "g1")
    # Any desk person may take the follow-up of a case nobody follows (R-IN-9: a named person).
    taken = ok(c.hand_over_follow(case, to_id="d1", by="d1", roles=DISPATCHER, now=T0 + 21 * M)).case
    assert taken.follower_id == "d1"
    refused(c.hand_over_follow(taken, to_id="d2", by="d2", roles=DISPATCHER, now=T0 + 22 * M), CaseReason.NOT_FOLLOWER)


def test_a_field_reports_desk_clocks_remind_every_dispatcher_not_the_guard() -> None:  # R-IN-5 R-FU-1
    case = report().case
    reply = next(k for k in clocks(case, CAL, T0 + 20 * M) if k.code == ClockCode.IN5_HELP_REPLY_5M)
    # R-IN-5: the reporter is answered within 5 minutes of the tap; the desk, any dispatcher, answers.
    assert reply.due_at == T0 + 10 * M and reply.responsible_id is None
    opened = ok(c.decide_opening(case, open=True, reason=c.OpenReason.D_EMERGENCY, by="d1", roles=DISPATCHER,
                                 now=T0 + 21 * M)).case
    first = next(k for k in clocks(opened, CAL, T0 + 21 * M) if k.code == ClockCode.FU1_FIRST_FOLLOW_UP)
    assert first.responsible_id is None


def test_a_field_report_waits_at_the_top_of_the_desk_until_the_reporter_is_answered() -> None:  # R-IN-5 R-EM-2
    case = report().case
    assert c.field_report_unanswered(case)
    answered = ok(c.record_follow_up(case, kind=FollowUpKind.REPLY, by="d1", now=T0 + 22 * M, note="收到，已报 119",
                                     medium=c.ReplyMedium.PHONE)).case
    assert not c.field_report_unanswered(answered)
    desk_intake = ok(c.intake(case_id="c1", no="n1", compound_id="cp1", kind=Kind.HELP, channel=Channel.PHONE,
                              contact_name="王", phone="1", unit_id="u1", content="x", receiver_id="d1", now=T0,
                              help_kind=HelpKind.DISASTER)).case
    assert not c.field_report_unanswered(desk_intake)


def test_a_photo_taken_with_the_report_is_kept_on_the_case_when_taken() -> None:  # R-IN-1
    case = report(photo_sha256="a" * 64).case
    [note] = case.notes
    assert (note.photo_sha256, note.at, note.by, note.received_at) == ("a" * 64, T0 + 5 * M, "g1", T0 + 20 * M)
    # Words of no language: the desk labels the photo in its own (D145).
    assert note.text == ""


@pytest.mark.parametrize(("what", "help_kind", "numbers"), [
    (EmergencyTrigger.MEDICAL, HelpKind.MEDICAL_EMERGENCY, ("120",)),
    (EmergencyTrigger.INJURY, HelpKind.MEDICAL_EMERGENCY, ("120",)),
    (EmergencyTrigger.CRIME, HelpKind.CRIME, ("110",)),
    (EmergencyTrigger.TRAFFIC_ACCIDENT, HelpKind.TRAFFIC_ACCIDENT, ("122", "110")),
    (EmergencyTrigger.DISASTER, HelpKind.DISASTER, ("119",)),
    (EmergencyTrigger.PUBLIC_SAFETY, HelpKind.OTHER, ()),
])
def test_each_kind_a_guard_can_report_is_a_help_kind_and_an_emergency(what, help_kind, numbers) -> None:  # R-IN-4 R-EM-1
    case = report(what=what).case
    assert case.help_kind == help_kind and case.emergency.trigger == what
    assert tuple(str(n) for n in em.numbers_to_call(help_kind=case.help_kind, trigger=what)) == numbers


def test_orders_from_government_or_leadership_are_not_reported_from_the_field() -> None:  # R-EM-1
    for what in (EmergencyTrigger.GOVERNMENT_ORDER, EmergencyTrigger.LEADERSHIP_ORDER):
        refused(c.report_emergency(
            case_id="c9", no="n", compound_id="cp1", what=what, reporter_id="g1", reporter_name="孙护卫",
            reporter_phone="", building_id=None, building_name="", where="北门", note="", photo_sha256=None,
            now=T0, acted_at=None), CaseReason.NOT_FIELD_EMERGENCY)


def test_a_report_says_where_and_without_a_note_its_kind_is_its_content() -> None:  # R-IN-1
    r = c.report_emergency(case_id="c9", no="n", compound_id="cp1", what=EmergencyTrigger.FIRE, reporter_id="g1",
                           reporter_name="孙护卫", reporter_phone="", building_id=None, building_name="", where="  ",
                           note="", photo_sha256=None, now=T0, acted_at=None)
    assert refused(r, CaseReason.INTAKE_INCOMPLETE).details["missing"] == ["address"]
    case = report(note="  ", building_id=None, building_name="", where="北门岗亭").case
    assert (case.content, case.address) == ("火警 / 火灾", "北门岗亭")


def test_a_report_counts_when_tapped_never_after_the_server_heard_of_it_nor_more_than_a_shift_before() -> None:  # R-IN-1 design 4
    assert report(acted_at=T0 + 30 * M).case.received_at == T0 + 20 * M
    assert report(acted_at=None).case.received_at == T0 + 20 * M
    # A phone claiming a tap more than a shift (12 h) before the sync is placed at that bound.
    assert report(acted_at=T0 - timedelta(days=3)).case.received_at == T0 + 20 * M - timedelta(hours=12)
    on_time = report(acted_at=T0 + 20 * M)
    assert "received_at" not in on_time.events[0].data


# --- the people summoned report back from their phones (R-EM-2) ---------------------------------


def summoned() -> c.Case:
    case = report().case
    case = ok(c.emergency_step(case, lambda s: em.summon(s, role=SummonedRole.GUARD_CAPTAIN, person_id="cap1",
                                                        now=T0 + 22 * M), name="emergency.summoned", by="d1",
                               now=T0 + 22 * M)).case
    return ok(c.emergency_step(case, lambda s: em.summon(s, role=SummonedRole.GUARD_SHIFT_LEAD, person_id=None,
                                                        now=T0 + 23 * M), name="emergency.summoned", by="d1",
                               now=T0 + 23 * M)).case


def test_a_summons_is_answered_by_the_person_named_or_when_none_by_whoever_holds_the_post() -> None:  # R-EM-2
    s = summoned().emergency
    assert [x.role for x in em.summons_for(s, user_id="cap1", posts=())] == [SummonedRole.GUARD_CAPTAIN]
    assert [x.role for x in em.summons_for(s, user_id="g1", posts=["guard_shift_lead"])] == [SummonedRole.GUARD_SHIFT_LEAD]
    # Holding the captain's post is not being the captain the desk named.
    assert em.summons_for(s, user_id="g7", posts=["guard_captain"]) == ()
    assert em.summons_for(s, user_id="t1", posts=[]) == ()


def test_arrival_and_a_report_from_the_scene_count_when_tapped_and_say_who_sent_them() -> None:  # R-EM-2
    case = summoned()
    out = ok(c.report_from_scene(case, role=SummonedRole.GUARD_SHIFT_LEAD, by="g1", report=None,
                                 now=T0 + 40 * M, acted_at=T0 + 27 * M))
    s = next(x for x in out.case.emergency.summons if x.role == SummonedRole.GUARD_SHIFT_LEAD)
    assert (s.arrived_at, s.report, s.reported_at) == (T0 + 27 * M, None, None)
    [ev] = out.events
    assert (ev.name, ev.at, ev.by, ev.data["role"]) == ("emergency.arrived", T0 + 27 * M, "g1", "guard_shift_lead")
    assert ev.data["received_at"] == (T0 + 40 * M).isoformat()
    out = ok(c.report_from_scene(out.case, role=SummonedRole.GUARD_SHIFT_LEAD, by="g1",
                                 report="B2 配电间冒烟，已断电", now=T0 + 41 * M, acted_at=T0 + 31 * M))
    s = next(x for x in out.case.emergency.summons if x.role == SummonedRole.GUARD_SHIFT_LEAD)
    assert (s.arrived_at, s.report, s.reported_at, s.reported_by) == (T0 + 27 * M, "B2 配电间冒烟，已断电", T0 + 31 * M, "g1")
    assert out.events[0].data["report"] == "B2 配电间冒烟，已断电"
    assert "summons_reported" in em.missing_to_close(out.case.emergency)  # the captain has not reported yet


def test_a_step_from_the_scene_is_never_before_the_summons_nor_after_the_server_heard_of_it() -> None:  # R-EM-2 design 4
    case = summoned()
    early = ok(c.report_from_scene(case, role=SummonedRole.GUARD_CAPTAIN, by="cap1", report=None,
                                   now=T0 + 40 * M, acted_at=T0)).case
    assert early.emergency.summons[0].arrived_at == T0 + 22 * M
    late = ok(c.report_from_scene(case, role=SummonedRole.GUARD_CAPTAIN, by="cap1", report=None,
                                  now=T0 + 40 * M, acted_at=T0 + 90 * M)).case
    assert late.emergency.summons[0].arrived_at == T0 + 40 * M


def test_a_report_written_earlier_and_synced_later_does_not_replace_a_newer_one() -> None:  # R-EM-2
    case = summoned()
    newer = ok(c.report_from_scene(case, role=SummonedRole.GUARD_CAPTAIN, by="cap1", report="已疏散，火已扑灭",
                                   now=T0 + 50 * M)).case
    older = ok(c.report_from_scene(newer, role=SummonedRole.GUARD_CAPTAIN, by="cap1", report="正在疏散",
                                   now=T0 + 55 * M, acted_at=T0 + 30 * M))
    s = older.case.emergency.summons[0]
    assert (s.report, s.reported_at) == ("已疏散，火已扑灭", T0 + 50 * M)
    # Kept in the history, where it is told at the time it was written.
    assert (older.events[0].at, older.events[0].data["report"]) == (T0 + 30 * M, "正在疏散")
    # An earlier arrival tapped on the phone is the arrival (the desk wrote down the later report first).
    assert s.arrived_at == T0 + 30 * M


def test_only_someone_summoned_reports_from_the_scene_and_not_on_a_closed_case() -> None:  # R-EM-2
    case = summoned()
    refused(c.report_from_scene(case, role=SummonedRole.ELEVATOR_CAPTAIN, by="e1", report=None, now=T0 + 40 * M),
            EmergencyReason.NOT_SUMMONED)
    refused(c.report_from_scene(case, role=SummonedRole.GUARD_CAPTAIN, by="cap1", report="   ", now=T0 + 40 * M),
            CaseReason.TEXT_REQUIRED)
    closed = c.Case(**{**{f: getattr(case, f) for f in case.__struct_fields__}, "state": CaseState.CLOSED})
    refused(c.report_from_scene(closed, role=SummonedRole.GUARD_CAPTAIN, by="cap1", report=None, now=T0 + 40 * M),
            CaseReason.WRONG_STATE)
    ordinary = ok(c.intake(case_id="c1", no="n1", compound_id="cp1", kind=Kind.HELP, channel=Channel.PHONE,
                           contact_name="王", phone="1", unit_id="u1", content="x", receiver_id="d1", now=T0,
                           help_kind=HelpKind.OTHER)).case
    refused(c.report_from_scene(ordinary, role=SummonedRole.GUARD_CAPTAIN, by="cap1", report=None, now=T0),
            CaseReason.NOT_EMERGENCY)


def test_each_person_summoned_is_told_at_once_until_they_arrive() -> None:  # R-EM-2
    case = summoned()
    policy = DeadlinePolicy()
    now = T0 + 23 * M
    ps = [p for p in plan(case, clocks(case, CAL, now, policy), now, CAL, policy) if p.kind == SUMMONS]
    by_role = {p.code: p for p in ps}
    cap = by_role["EM_SUMMONS:guard_captain"]
    lead = by_role["EM_SUMMONS:guard_shift_lead"]
    assert (cap.recipient_id, cap.recipient_post, cap.send_at) == ("cap1", None, T0 + 22 * M)
    # Nobody named: everyone holding the post is told.
    assert (lead.recipient_id, lead.recipient_post, lead.send_at) == (None, "guard_shift_lead", T0 + 23 * M)
    assert cap.body.startswith("你被召集到 2栋 B2 配电间 现场") and "summoned to the scene" in cap.body_en
    # It opens the summons on the phone, where arrival and the report are recorded.
    assert payload_for(case.id, cap)["url"] == f"/#/summons/{case.id}/guard_captain"
    arrived = ok(c.report_from_scene(case, role=SummonedRole.GUARD_CAPTAIN, by="cap1", report=None, now=now)).case
    left = [p.code for p in plan(arrived, clocks(arrived, CAL, now, policy), now, CAL, policy) if p.kind == SUMMONS]
    assert left == ["EM_SUMMONS:guard_shift_lead"]
    settled = ok(c.emergency_step(arrived, lambda s: em.settle(s, by="d1", now=now), name="emergency.settled",
                                  by="d1", now=now)).case
    assert [p for p in plan(settled, clocks(settled, CAL, now, policy), now, CAL, policy) if p.kind == SUMMONS] == []
