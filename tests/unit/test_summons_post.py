"""A summons naming nobody follows its post; an emergency raised on a staff phone is taken at the desk.

R-EM-2: the desk summons the responsible people to the scene — a post (保安队长), reaching whoever holds it
(D89). When the post changes hands the summons goes with it: the new holder is called, the former one is
no longer, unless they already said they were on the scene (their report counts). A summons naming a
person stays with that person.

R-IN-9, R-EM-3: an emergency a guard raised on their phone reaches the desk with nobody following it and
nobody at its post (D138). Someone at the desk takes it (接手): they follow it and hold its post. Until
someone does, the dispatchers and the control room are reminded 5 minutes after it reached the desk and
every 15 minutes after, the managers from the second reminder on.
"""

from __future__ import annotations

from datetime import timedelta

from server.domain import cases as c
from server.domain import emergencies as em
from server.domain.cases import CaseReason, CaseState
from server.domain.deadlines import DeadlinePolicy, clocks
from server.domain.emergencies import EmergencyTrigger, SummonedRole
from server.domain.roles import Role
from server.notify.reminders import UNOWNED, UNOWNED_CODE, payload_for, plan
from tests.unit.test_cases import CAL, DISPATCHER, T0, ok, refused

M = timedelta(minutes=1)
LEAD = SummonedRole.GUARD_SHIFT_LEAD
CAPTAIN = SummonedRole.GUARD_CAPTAIN


def reported() -> c.Case:
    """A guard's report of a fire, tapped at T0+5 and heard of by the server at T0+20."""
    return ok(c.report_emergency(
        case_id="c9", no="GD20260506-0009", compound_id="cp1", what=EmergencyTrigger.FIRE,
        reporter_id="g1", reporter_name="孙护卫", reporter_phone="13900000008",
        building_id="b2", building_name="2栋", where="B2 配电间", note="配电间冒烟，有焦味",
        photo_sha256=None, now=T0 + 20 * M, acted_at=T0 + 5 * M,
    )).case


def summoned() -> c.Case:
    """The shift lead's post summoned at T0+23 (nobody named), the captain by name at T0+22."""
    case = reported()
    for role, person, at in ((CAPTAIN, "cap1", 22), (LEAD, None, 23)):
        case = ok(c.emergency_step(case, lambda s, r=role, p=person, a=at: em.summon(s, role=r, person_id=p, now=T0 + a * M),
                                   name="emergency.summoned", by="d1", now=T0 + at * M)).case
    return case


def _summons(case: c.Case, role: SummonedRole) -> em.Summons:
    return next(s for s in case.emergency.summons if s.role == role)


# --- 1. a summons naming nobody follows its post ------------------------------------------------------


def test_the_post_passing_on_passes_the_summons_to_the_new_holder_and_says_so_in_the_history() -> None:  # R-EM-2
    case = summoned()
    out = c.pass_summons(case, post=LEAD, gained=["g2"], lost=["g1"], by="m1", now=T0 + 30 * M)
    assert out is not None
    [ev] = out.events
    assert (ev.name, ev.at, ev.by) == ("emergency.summons_passed", T0 + 30 * M, "m1")
    assert ev.data == {"role": "guard_shift_lead", "to_ids": ["g2"], "from_ids": ["g1"], "kept_ids": []}
    s = out.case.emergency
    # The new holder answers it; the former one no longer does, for anything done from now on.
    assert [x.role for x in em.summons_for(s, user_id="g2", posts=["guard_shift_lead"])] == [LEAD]
    assert em.summons_for(s, user_id="g1", posts=[]) == ()
    assert em.summons_for(s, user_id="g1", posts=[], at=T0 + 31 * M) == ()
    # Who its phones are: the holders now.
    assert em.summons_recipients(_summons(out.case, LEAD), ["g2"]) == ("g2",)


def test_a_step_tapped_while_the_post_was_still_theirs_counts_when_it_syncs_later() -> None:  # R-EM-2 design 4
    # The former holder marked 已到场 in the basement at T0+27; the post passed at T0+30; it synced at T0+40.
    case = ok(c.pass_summons(summoned(), post=LEAD, gained=["g2"], lost=["g1"], by="m1", now=T0 + 30 * M)).case
    assert [x.role for x in em.summons_for(case.emergency, user_id="g1", posts=[], at=T0 + 27 * M)] == [LEAD]
    assert em.summons_for(case.emergency, user_id="g1", posts=[], at=T0 + 33 * M) == ()
    # The new holder answers from the moment they took it up, not before.
    assert em.summons_for(case.emergency, user_id="g2", posts=["guard_shift_lead"], at=T0 + 27 * M) == ()
    # Given back later, it is theirs again.
    back = ok(c.pass_summons(case, post=LEAD, gained=["g1"], lost=["g2"], by="m1", now=T0 + 50 * M)).case
    assert [x.role for x in em.summons_for(back.emergency, user_id="g1", posts=["guard_shift_lead"], at=T0 + 55 * M)] == [LEAD]
    assert em.summons_for(back.emergency, user_id="g1", posts=["guard_shift_lead"], at=T0 + 40 * M) == ()


def test_a_former_holder_already_on_the_scene_keeps_the_summons_and_their_report_counts() -> None:  # R-EM-2
    case = ok(c.report_from_scene(summoned(), role=LEAD, by="g1", report=None, now=T0 + 28 * M)).case
    assert _summons(case, LEAD).on_scene == ("g1",)
    out = ok(c.pass_summons(case, post=LEAD, gained=["g2"], lost=["g1"], by="m1", now=T0 + 30 * M))
    assert out.events[0].data == {"role": "guard_shift_lead", "to_ids": ["g2"], "from_ids": [], "kept_ids": ["g1"]}
    s = _summons(out.case, LEAD)
    assert em.summons_recipients(s, ["g2"]) == ("g2", "g1")
    assert [x.role for x in em.summons_for(out.case.emergency, user_id="g1", posts=[], at=T0 + 45 * M)] == [LEAD]
    reported_back = ok(c.report_from_scene(out.case, role=LEAD, by="g1", report="已断电，人员已疏散",
                                           now=T0 + 45 * M)).case
    s = _summons(reported_back, LEAD)
    assert (s.report, s.reported_by, s.arrived_at) == ("已断电，人员已疏散", "g1", T0 + 28 * M)


def test_the_desk_writing_down_an_arrival_puts_nobody_on_the_scene() -> None:  # R-EM-2
    # The desk records what it heard on the radio: it is not the desk person who is on the scene.
    case = ok(c.emergency_step(summoned(), lambda s: em.report_arrival(s, role=LEAD, report=None, now=T0 + 28 * M),
                               name="emergency.arrived", by="d1", now=T0 + 28 * M)).case
    assert _summons(case, LEAD).on_scene == ()


def test_a_summons_naming_a_person_stays_with_that_person_whoever_holds_the_post() -> None:  # R-EM-2
    case = summoned()
    assert c.pass_summons(case, post=CAPTAIN, gained=["g5"], lost=["cap1"], by="m1", now=T0 + 30 * M) is None
    assert [x.role for x in em.summons_for(case.emergency, user_id="cap1", posts=[])] == [CAPTAIN]
    assert em.summons_recipients(_summons(case, CAPTAIN), ["g5"]) == ("cap1",)
    # A post nobody was summoned as, or a closed case: nothing to pass.
    assert c.pass_summons(case, post=SummonedRole.REPAIR_LEAD, gained=["l1"], lost=[], by="m1", now=T0) is None
    closed = c.Case(**{**{f: getattr(case, f) for f in case.__struct_fields__}, "state": CaseState.CLOSED})
    assert c.pass_summons(closed, post=LEAD, gained=["g2"], lost=["g1"], by="m1", now=T0 + 30 * M) is None


def test_a_post_taken_up_by_one_more_person_calls_them_too() -> None:  # R-EM-2 D89
    out = ok(c.pass_summons(summoned(), post=LEAD, gained=["g2"], lost=[], by="m1", now=T0 + 30 * M))
    assert out.events[0].data == {"role": "guard_shift_lead", "to_ids": ["g2"], "from_ids": [], "kept_ids": []}
    assert em.summons_recipients(_summons(out.case, LEAD), ["g1", "g2"]) == ("g1", "g2")


# --- 2. an emergency nobody at the desk has taken -------------------------------------------------------


def test_a_field_report_is_nobodys_until_someone_at_the_desk_takes_it_and_then_they_follow_it_and_hold_its_post() -> None:  # R-IN-9 R-EM-3
    case = reported()
    assert c.unowned_emergency(case)
    out = ok(c.take_emergency(case, by="d1", roles=DISPATCHER, now=T0 + 24 * M))
    assert [e.name for e in out.events] == ["case.follower_changed", "emergency.taken_over"]
    assert all(e.by == "d1" and e.at == T0 + 24 * M for e in out.events)
    assert out.events[0].data == {"from_id": "", "to_id": "d1"}
    taken = out.case
    assert taken.follower_id == "d1" and em.holds_post(taken.emergency, "d1")
    assert not c.unowned_emergency(taken)
    # The second to press it is told who has it.
    r = refused(c.take_emergency(taken, by="d2", roles=DISPATCHER, now=T0 + 25 * M), CaseReason.ALREADY_TAKEN)
    assert r.details["follower_id"] == "d1" and r.kind == "conflict"


def test_only_the_desk_takes_an_emergency_and_a_case_someone_follows_is_not_nobodys() -> None:  # R-IN-9
    case = reported()
    refused(c.take_emergency(case, by="g1", roles={Role.GUARD}, now=T0 + 24 * M), CaseReason.FORBIDDEN_ROLE)
    followed = ok(c.hand_over_follow(case, to_id="d1", by="d1", roles=DISPATCHER, now=T0 + 24 * M)).case
    assert not c.unowned_emergency(followed)
    # After a handover someone holds the post of every open emergency: it is theirs too.
    held = ok(c.emergency_step(case, lambda s: em.take_over(s, by="d3", now=T0 + 24 * M),
                               name="emergency.taken_over", by="d3", now=T0 + 24 * M)).case
    assert not c.unowned_emergency(held)
    closed = c.Case(**{**{f: getattr(case, f) for f in case.__struct_fields__}, "state": CaseState.CLOSED})
    assert not c.unowned_emergency(closed)
    refused(c.take_emergency(closed, by="d1", roles=DISPATCHER, now=T0 + 24 * M), CaseReason.ALREADY_TAKEN)


def _unowned(case: c.Case, now):  # noqa: ANN001, ANN202
    policy = DeadlinePolicy()
    return [p for p in plan(case, clocks(case, CAL, now, policy), now, CAL, policy) if p.kind == UNOWNED]


def test_nobody_taking_it_reminds_the_dispatchers_and_control_room_at_5_minutes_then_every_15_with_the_managers() -> None:  # R-IN-9 R-EM-2
    case = reported()  # reached the desk at T0+20 (tapped at T0+5, offline)
    # Counted from when it reached the desk: the desk could not take it before.
    first = _unowned(case, T0 + 20 * M)
    assert {(p.recipient_role, p.send_at) for p in first} == {
        (Role.DISPATCHER, T0 + 25 * M), (Role.CONTROL_ROOM, T0 + 25 * M)}
    assert {p.code for p in first} == {UNOWNED_CODE} and all(p.recipient_id is None for p in first)
    p = first[0]
    assert p.title == "紧急事件无人接手：GD20260506-0009" and p.title_en == "Emergency nobody has taken: GD20260506-0009"
    assert "孙护卫" in p.body and "5 分钟" in p.body and "接手" in p.body
    assert "5 min" in p.body_en and "Take it" in p.body_en
    assert payload_for(case.id, p)["url"] == "/#/"
    assert payload_for(case.id, p)["tag"] == f"unowned-{case.id}"
    # Once the first is due: it, and the next, 15 minutes on, to the managers as well.
    at_26 = _unowned(case, T0 + 26 * M)
    assert {(p.send_at, p.recipient_role) for p in at_26} == {
        (T0 + 25 * M, Role.DISPATCHER), (T0 + 25 * M, Role.CONTROL_ROOM),
        (T0 + 40 * M, Role.DISPATCHER), (T0 + 40 * M, Role.CONTROL_ROOM), (T0 + 40 * M, Role.MANAGER)}
    assert all(p.due_at == p.send_at for p in at_26)
    assert "20 分钟" in next(p for p in at_26 if p.send_at == T0 + 40 * M).body
    # Never more than the one due and the next: a scheduler down for an hour sends one, not four.
    late = _unowned(case, T0 + 90 * M)
    assert sorted({p.send_at for p in late}) == [T0 + 85 * M, T0 + 100 * M]


def test_taken_it_reminds_nobody_and_the_desks_own_intake_never() -> None:  # R-IN-9
    taken = ok(c.take_emergency(reported(), by="d1", roles=DISPATCHER, now=T0 + 24 * M)).case
    assert _unowned(taken, T0 + 26 * M) == []
    desk_intake = ok(c.intake(case_id="c1", no="n1", compound_id="cp1", kind=c.Kind.HELP, channel=c.Channel.PHONE,
                              contact_name="王", phone="1", unit_id="u1", content="x", receiver_id="d1", now=T0,
                              help_kind=c.HelpKind.DISASTER)).case
    assert _unowned(desk_intake, T0 + 26 * M) == []
