"""Emergencies: classification, escalation chain, summons, the dispatcher's post, instructions."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from server.domain import cases as c
from server.domain import emergencies as em
from server.domain.cases import CaseReason, HelpKind, Kind
from server.domain.emergencies import EmergencyReason, EmergencyTrigger, Means, SummonedRole
from server.domain.errors import Refusal
from server.domain.roles import Role
from tests.unit.test_cases import DISPATCHER, MANAGER, T0, make_case, ok, opened, refused

M = timedelta(minutes=1)


def state() -> em.EmergencyState:
    return em.declare(trigger=EmergencyTrigger.FIRE, by="d1", now=T0)


def step(s: em.EmergencyState | Refusal) -> em.EmergencyState:
    assert isinstance(s, em.EmergencyState), s
    return s


@pytest.mark.parametrize(
    ("help_kind", "trigger", "expected"),
    [
        (HelpKind.MEDICAL_EMERGENCY, None, EmergencyTrigger.MEDICAL),
        (HelpKind.CRIME, None, EmergencyTrigger.CRIME),
        (HelpKind.DISASTER, None, EmergencyTrigger.DISASTER),
        (HelpKind.REPAIR, None, None),
        (HelpKind.OTHER, None, None),
        (None, EmergencyTrigger.GOVERNMENT_ORDER, EmergencyTrigger.GOVERNMENT_ORDER),
        (None, EmergencyTrigger.TRAFFIC_ACCIDENT, EmergencyTrigger.TRAFFIC_ACCIDENT),
        (None, None, None),
    ],
)
def test_emergency_classification(help_kind, trigger, expected) -> None:  # R-EM-1
    assert em.classify_emergency(help_kind=help_kind, trigger=trigger) == expected
    assert em.is_emergency(help_kind=help_kind, trigger=trigger) is (expected is not None)


def test_fire_alarm_reported_as_daily_affair_is_an_emergency() -> None:  # R-EM-1
    case = make_case(Kind.DAILY_AFFAIR, emergency_trigger=EmergencyTrigger.FIRE)
    assert case.is_emergency and case.emergency is not None and case.emergency.at_post_id == "d1"


def test_escalation_goes_manager_then_deputy_then_general_manager() -> None:  # R-EM-2
    s = state()
    assert em.next_escalation_target(s, T0) == Role.MANAGER
    refused(
        em.record_attempt(
            s, target_role=Role.DEPUTY_GM, target_id="v1", means=Means.PHONE, reached=True, now=T0
        ),
        EmergencyReason.CHAIN_ORDER,
    )
    s = step(
        em.record_attempt(
            s, target_role=Role.MANAGER, target_id="m1", means=Means.PHONE, reached=False, now=T0
        )
    )
    assert em.next_escalation_target(s, T0 + M) == Role.DEPUTY_GM
    s = step(
        em.record_attempt(
            s, target_role=Role.DEPUTY_GM, target_id="v1", means=Means.PHONE, reached=True, now=T0 + M
        )
    )
    # Reached but not yet acknowledged: wait a while before going higher.
    assert em.next_escalation_target(s, T0 + 3 * M) is None
    assert em.next_escalation_target(s, T0 + 7 * M) == Role.GENERAL_MANAGER
    s = step(em.acknowledge(s, by="v1", by_roles=frozenset({Role.DEPUTY_GM}), now=T0 + 4 * M))
    assert em.next_escalation_target(s, T0 + 30 * M) is None


def test_escalation_only_within_the_chain() -> None:  # R-EM-2
    r = em.record_attempt(
        state(), target_role=Role.TEAM_LEAD, target_id="x", means=Means.PHONE, reached=True, now=T0
    )
    refused(r, EmergencyReason.OUT_OF_CHAIN)


def test_an_emergency_nobody_was_summoned_to_cannot_close() -> None:  # R-EM-2
    assert "responsible_summoned" in em.missing_to_close(state())
    s = step(em.summon(state(), role=SummonedRole.GUARD_CAPTAIN, person_id=None, now=T0))
    assert "responsible_summoned" not in em.missing_to_close(s)


def test_only_the_reached_person_can_confirm_taking_charge() -> None:  # R-EM-2
    s = step(em.record_attempt(state(), target_role=Role.MANAGER, target_id=None, means=Means.PHONE,
                               reached=True, now=T0))
    # The dispatcher who made the call cannot confirm for the manager.
    refused(em.acknowledge(s, by="d1", by_roles=frozenset({Role.DISPATCHER}), now=T0 + M), EmergencyReason.ACK_BY_OTHER)
    named = step(em.record_attempt(state(), target_role=Role.MANAGER, target_id="m1", means=Means.PHONE,
                                   reached=True, now=T0))
    # Nor can another manager when the desk named who it reached.
    refused(em.acknowledge(named, by="m2", by_roles=frozenset({Role.MANAGER}), now=T0 + M),
            EmergencyReason.ACK_BY_OTHER)
    acked = step(em.acknowledge(s, by="m2", by_roles=frozenset({Role.MANAGER}), now=T0 + M))
    assert acked.attempts[0].acknowledged_at == T0 + M and acked.attempts[0].target_id == "m2"
    refused(em.acknowledge(state(), by="m1", by_roles=frozenset({Role.MANAGER}), now=T0),
            EmergencyReason.NO_REACHED_ATTEMPT)


def test_summoned_people_must_report_back() -> None:  # R-EM-2
    s = step(em.summon(state(), role=SummonedRole.SECURITY_MANAGER, person_id="s1", now=T0))
    refused(
        em.summon(s, role=SummonedRole.SECURITY_MANAGER, person_id="s1", now=T0),
        EmergencyReason.ALREADY_SUMMONED,
    )
    refused(
        em.report_arrival(s, role=SummonedRole.GUARD_CAPTAIN, report="x", now=T0),
        EmergencyReason.NOT_SUMMONED,
    )
    assert "summons_reported" in em.missing_to_close(s)
    s = step(em.report_arrival(s, role=SummonedRole.SECURITY_MANAGER, report="已封锁现场", now=T0 + 5 * M))
    assert s.summons[0].arrived_at == T0 + 5 * M
    assert "summons_reported" not in em.missing_to_close(s)
    assert {r.value for r in SummonedRole} == {
        "security_manager",
        "engineering_manager",
        "guard_captain",
        "elevator_captain",
        "repair_lead",
        "guard_shift_lead",
    }


def test_dispatcher_is_held_at_post_until_settled_or_taken_over() -> None:  # R-EM-3
    s = state()
    assert em.holds_post(s, "d1")
    assert "event_settled" in em.missing_to_close(s)
    refused(em.take_over(s, by="d1", now=T0), EmergencyReason.TAKEOVER_BY_SELF)
    s = step(em.take_over(s, by="d2", now=T0 + M))
    assert not em.holds_post(s, "d1") and em.holds_post(s, "d2")
    s = step(em.settle(s, by="d2", now=T0 + 9 * M))
    assert not em.holds_post(s, "d2")
    assert "event_settled" not in em.missing_to_close(s)


@pytest.mark.parametrize("giver", ["", "   "])
def test_an_instruction_without_the_leader_who_gave_it_is_refused(giver) -> None:  # R-EM-4
    refused(
        em.add_instruction(state(), instruction_id="i1", text="疏散3栋2楼住户", given_by=giver, now=T0),
        EmergencyReason.NO_GIVER,
    )


def test_each_leadership_instruction_is_tracked_to_completion() -> None:  # R-EM-4
    s = step(em.add_instruction(state(), instruction_id="i1", text="疏散3栋", given_by="gm", now=T0))
    s = step(em.add_instruction(s, instruction_id="i2", text="通知业主", given_by="gm", now=T0))
    refused(
        em.add_instruction(s, instruction_id="i1", text="x", given_by="gm", now=T0),
        EmergencyReason.DUPLICATE_INSTRUCTION,
    )
    s = step(em.complete_instruction(s, instruction_id="i1", by="g1", result="已疏散", now=T0 + M))
    assert "instructions_done" in em.missing_to_close(s)
    s = step(em.complete_instruction(s, instruction_id="i2", by="d1", result="已通知", now=T0 + M))
    assert "instructions_done" not in em.missing_to_close(s)
    refused(
        em.complete_instruction(s, instruction_id="i2", by="d1", result="x", now=T0),
        EmergencyReason.INSTRUCTION_DONE,
    )


def test_an_instructions_history_entries_say_what_was_instructed_and_by_whom() -> None:  # R-EM-4
    # The case's timeline reads these entries: an id alone told the reader nothing.
    case = opened(Kind.HELP, help_kind=HelpKind.DISASTER)
    given = ok(c.give_instruction(case, instruction_id="i1", text="疏散3栋2楼住户", given_by=" 郑总 ", by="d1", now=T0))
    [ev] = given.events
    assert (ev.name, ev.data) == (
        "emergency.instruction", {"instruction_id": "i1", "text": "疏散3栋2楼住户", "given_by": "郑总"})
    done = ok(c.finish_instruction(given.case, instruction_id="i1", result="已疏散", by="d1", now=T0 + M))
    [ev] = done.events
    assert (ev.name, ev.data) == ("emergency.instruction_done", {
        "instruction_id": "i1", "text": "疏散3栋2楼住户", "given_by": "郑总", "result": "已疏散"})
    refused(c.finish_instruction(done.case, instruction_id="i9", result="x", by="d1", now=T0),
            EmergencyReason.UNKNOWN_INSTRUCTION)


def test_emergency_case_close_needs_instructions_done_post_released_and_manager() -> None:  # R-EM-4 R-EM-3
    case = opened(Kind.HELP, help_kind=HelpKind.DISASTER)
    case = ok(c.verify(case, note="现场已处理", by="d1", roles=DISPATCHER, now=T0)).case
    case = ok(c.report_up(case, to_id="m1", to_role=Role.MANAGER, by="d1", now=T0)).case

    def do(fn, name: str) -> None:
        nonlocal case
        case = ok(c.emergency_step(case, fn, name=name, by="d1", now=T0)).case

    do(
        lambda s: em.record_attempt(
            s, target_role=Role.MANAGER, target_id="m1", means=Means.PHONE, reached=True, now=T0
        ),
        "attempt",
    )
    do(lambda s: em.acknowledge(s, by="m1", by_roles=frozenset({Role.MANAGER}), now=T0), "ack")
    do(
        lambda s: em.add_instruction(s, instruction_id="i1", text="排查隐患", given_by="gm", now=T0),
        "instruction",
    )
    r = c.close(
        case, result="完", by="d1", roles=DISPATCHER, now=T0, approver_id="m1", approver_roles=MANAGER
    )
    assert refused(r, CaseReason.CLOSE_MISSING).details["missing"] == [
        "event_settled", "responsible_summoned", "instructions_done"]
    do(lambda s: em.summon(s, role=SummonedRole.ENGINEERING_MANAGER, person_id="e1", now=T0), "summoned")
    do(lambda s: em.report_arrival(s, role=SummonedRole.ENGINEERING_MANAGER, report="已到场", now=T0), "arrived")
    do(lambda s: em.complete_instruction(s, instruction_id="i1", by="e1", result="已排查", now=T0), "done")
    do(lambda s: em.settle(s, by="d1", now=T0), "settled")
    r = c.close(case, result="完", by="d1", roles=DISPATCHER, now=T0)
    assert refused(r, CaseReason.CLOSE_MISSING).details["missing"] == ["manager_approval"]
    closed = ok(
        c.close(
            case, result="完", by="d1", roles=DISPATCHER, now=T0, approver_id="m1", approver_roles=MANAGER
        )
    )
    assert closed.case.close is not None and closed.case.close.approver_id == "m1"


def test_emergency_step_on_ordinary_case_is_refused() -> None:  # R-EM-1
    r = c.emergency_step(opened(), lambda s: em.settle(s, by="d1", now=T0), name="x", by="d1", now=T0)
    refused(r, CaseReason.NOT_EMERGENCY)


def test_emergency_numbers() -> None:  # R-EM-5
    assert dict(em.EMERGENCY_NUMBERS) == {
        "police": "110",
        "fire": "119",
        "ambulance": "120",
        "traffic": "122",
    }
    with pytest.raises(TypeError):
        em.EMERGENCY_NUMBERS["police"] = "999"  # type: ignore[index]


# --- which public service to call (R-EM-5 against the help kinds of R-IN-4) ----------------------


@pytest.mark.parametrize(
    ("help_kind", "numbers"),
    [
        (HelpKind.MEDICAL_EMERGENCY, ("120",)),  # ambulance
        (HelpKind.DISASTER, ("119",)),  # flood, fire, disaster: the fire brigade
        (HelpKind.CRIME, ("110",)),  # theft, fight, robbery, homicide, poisoning: the police
        (HelpKind.TRAFFIC_ACCIDENT, ("122", "110")),  # traffic police first, then the police
        (HelpKind.REPAIR, ()),
        (HelpKind.COMPLAINT, ()),
        (HelpKind.INQUIRY, ()),
        (HelpKind.OTHER, ()),
    ],
)
def test_each_help_kind_calls_for_its_public_emergency_numbers(help_kind, numbers) -> None:  # R-EM-5 R-IN-4
    assert em.numbers_to_call(help_kind=help_kind) == numbers


@pytest.mark.parametrize(
    ("trigger", "numbers"),
    [
        (EmergencyTrigger.MEDICAL, ("120",)),
        (EmergencyTrigger.INJURY, ("120",)),
        (EmergencyTrigger.FIRE, ("119",)),
        (EmergencyTrigger.DISASTER, ("119",)),
        (EmergencyTrigger.CRIME, ("110",)),
        (EmergencyTrigger.TRAFFIC_ACCIDENT, ("122", "110")),
        # Orders come from the authorities; a public-safety event names no one service.
        (EmergencyTrigger.GOVERNMENT_ORDER, ()),
        (EmergencyTrigger.LEADERSHIP_ORDER, ()),
        (EmergencyTrigger.PUBLIC_SAFETY, ()),
    ],
)
def test_an_emergency_declared_by_its_type_calls_for_the_same_services(trigger, numbers) -> None:  # R-EM-5 R-EM-1
    assert em.numbers_to_call(trigger=trigger) == numbers


def test_a_help_kind_and_an_emergency_type_together_call_each_number_once_the_help_kinds_first() -> None:  # R-EM-5
    assert em.numbers_to_call(help_kind=HelpKind.MEDICAL_EMERGENCY, trigger=EmergencyTrigger.FIRE) == ("120", "119")
    assert em.numbers_to_call(help_kind=HelpKind.CRIME, trigger=EmergencyTrigger.TRAFFIC_ACCIDENT) == ("110", "122")
    assert em.numbers_to_call(help_kind=HelpKind.TRAFFIC_ACCIDENT, trigger=EmergencyTrigger.TRAFFIC_ACCIDENT) == ("122", "110")
    assert em.numbers_to_call() == ()


def test_the_numbers_to_call_are_the_four_public_numbers_of_the_rules() -> None:  # R-EM-5
    every = {n for k in HelpKind for n in em.numbers_to_call(help_kind=k)}
    every |= {n for t in EmergencyTrigger for n in em.numbers_to_call(trigger=t)}
    assert every == set(em.EMERGENCY_NUMBERS.values()) == {str(n) for n in em.PublicNumber}


def test_a_traffic_accident_is_an_emergency_help_kind_of_its_own() -> None:  # R-IN-4 R-EM-1
    case = make_case(Kind.HELP, help_kind=HelpKind.TRAFFIC_ACCIDENT)
    assert case.is_emergency and case.emergency is not None
    assert case.emergency.trigger == EmergencyTrigger.TRAFFIC_ACCIDENT


def test_a_public_number_called_is_recorded_with_who_and_when() -> None:  # R-EM-5
    s = step(em.record_public_call(state(), number=em.PublicNumber.FIRE, by="d1", now=T0 + M))
    s = step(em.record_public_call(s, number="110", by="d2", now=T0 + 2 * M))
    assert [(str(x.number), x.by, x.at) for x in s.public_calls] == [("119", "d1", T0 + M), ("110", "d2", T0 + 2 * M)]
    # Called again (a second fire engine, an update to the police): each call is its own record.
    s = step(em.record_public_call(s, number="119", by="d1", now=T0 + 3 * M))
    assert [str(x.number) for x in s.public_calls] == ["119", "110", "119"]


def test_only_the_four_public_numbers_can_be_recorded_as_called() -> None:  # R-EM-5
    r = em.record_public_call(state(), number="999", by="d1", now=T0)
    assert isinstance(r, Refusal) and r.code == EmergencyReason.UNKNOWN_NUMBER
    assert r.details["number"] == "999"


def test_the_call_goes_into_the_case_history_and_only_on_an_emergency() -> None:  # R-EM-5
    case = make_case(Kind.HELP, help_kind=HelpKind.MEDICAL_EMERGENCY)
    t = ok(c.record_public_call(case, number="120", by="d1", now=T0 + M))
    assert t.case.emergency is not None and [str(x.number) for x in t.case.emergency.public_calls] == ["120"]
    [ev] = t.events
    assert (ev.name, ev.by, ev.at, ev.data) == ("emergency.public_called", "d1", T0 + M, {"number": "120"})
    refused(c.record_public_call(opened(), number="120", by="d1", now=T0), CaseReason.NOT_EMERGENCY)


def test_an_emergency_stored_before_calls_were_recorded_still_reads() -> None:  # R-EM-5
    old = msgspec.json.encode(state())
    doc = msgspec.json.decode(old)
    doc.pop("public_calls", None)
    assert msgspec.json.decode(msgspec.json.encode(doc), type=em.EmergencyState).public_calls == ()


# --- calls marked while the intake form was open (R-EM-5, D73) ----------------------------------

# The desk's clock runs 7 minutes fast: the server places the calls by differences on that clock.
DESK_SKEW = timedelta(minutes=7)


def intake_with_calls(*calls: tuple[str, timedelta], opened: timedelta = -5 * M, sent: timedelta = timedelta(0),
                      help_kind: HelpKind = HelpKind.DISASTER, **kw) -> c.Transition | Refusal:  # noqa: ANN003
    """A help request registered at T0; the form opened `opened` and was sent `sent` from T0, and each
    call marked at its offset from T0, all as the desk's (fast) clock read them."""
    desk = T0 + DESK_SKEW
    return c.intake(
        case_id="c1", no="2026-0001", compound_id="cp1", kind=Kind.HELP, channel=c.Channel.PHONE,
        contact_name="罗业主", phone="13800000009", unit_id="u-3-104", content="地下车库有烟雾",
        receiver_id="d1", now=T0, help_kind=help_kind,
        public_calls=[em.CallAtIntake(number=em.PublicNumber(n), at=desk + off) for n, off in calls],
        form_opened_at=desk + opened, sent_at=desk + sent, **kw)


def test_a_call_marked_on_the_intake_form_is_recorded_when_it_was_made_not_when_registered() -> None:  # R-EM-5
    # 119 pressed 3½ minutes before the form was sent: the call counts 3½ minutes before the receipt,
    # whatever the desk's clock said, and the history says when it was made.
    t = ok(intake_with_calls(("119", -4 * M), sent=-30 * timedelta(seconds=1)))
    assert t.case.emergency is not None and t.case.received_at == T0
    [call] = t.case.emergency.public_calls
    assert (str(call.number), call.by, call.at) == ("119", "d1", T0 - 4 * M + 30 * timedelta(seconds=1))
    assert [e.name for e in t.events] == ["case.received", "emergency.public_called"]
    assert t.events[1].data == {"number": "119", "called_at": call.at}


def test_calls_at_intake_are_kept_in_the_order_made_each_its_own_record() -> None:  # R-EM-5
    t = ok(intake_with_calls(("122", -1 * M), ("110", -3 * M), ("122", -2 * M), help_kind=HelpKind.TRAFFIC_ACCIDENT))
    assert t.case.emergency is not None
    assert [(str(x.number), x.at) for x in t.case.emergency.public_calls] == [
        ("110", T0 - 3 * M), ("122", T0 - 2 * M), ("122", T0 - 1 * M)]
    assert [e.data["number"] for e in t.events[1:]] == ["110", "122", "122"]


def test_an_intake_without_calls_needs_no_form_times() -> None:  # R-EM-5 R-IN-1
    t = ok(c.intake(case_id="c1", no="n", compound_id="cp1", kind=Kind.HELP, channel=c.Channel.PHONE,
                    contact_name="罗业主", phone="1", unit_id="u", content="烟雾", receiver_id="d1", now=T0,
                    help_kind=HelpKind.DISASTER))
    assert t.case.emergency is not None and t.case.emergency.public_calls == ()
    assert [e.name for e in t.events] == ["case.received"]


def test_only_a_number_the_matter_calls_for_is_taken_at_intake() -> None:  # R-EM-5 R-IN-4
    r = intake_with_calls(("110", -1 * M))  # a fire: 119 only
    assert isinstance(r, Refusal) and r.code == EmergencyReason.CALL_NOT_CALLED_FOR and r.kind == "invalid"
    assert (r.details["number"], r.details["numbers"]) == ("110", ["119"])
    # An emergency type adds its service: a fire with an injury calls for 119 and 120.
    ok(intake_with_calls(("119", -2 * M), ("120", -1 * M), emergency_trigger=EmergencyTrigger.INJURY))
    # A matter that calls for no public service takes none at intake.
    r = intake_with_calls(("110", -1 * M), help_kind=HelpKind.REPAIR)
    assert isinstance(r, Refusal) and r.code == EmergencyReason.CALL_NOT_CALLED_FOR and r.details["numbers"] == []


def test_a_call_after_the_form_was_sent_is_in_the_future() -> None:  # R-EM-5
    r = intake_with_calls(("119", 1 * M))
    assert isinstance(r, Refusal) and r.code == EmergencyReason.CALL_IN_FUTURE and r.kind == "invalid"
    ok(intake_with_calls(("119", timedelta(0))))  # pressed as the form was sent: now


def test_a_call_before_the_form_was_opened_is_refused() -> None:  # R-EM-5
    r = intake_with_calls(("119", -6 * M), opened=-5 * M)
    assert isinstance(r, Refusal) and r.code == EmergencyReason.CALL_BEFORE_FORM and r.kind == "invalid"
    t = ok(intake_with_calls(("119", -5 * M), opened=-5 * M))  # pressed as the form opened
    assert t.case.emergency is not None and t.case.emergency.public_calls[0].at == T0 - 5 * M


def test_calls_at_intake_need_the_form_times() -> None:  # R-EM-5
    r = c.intake(case_id="c1", no="n", compound_id="cp1", kind=Kind.HELP, channel=c.Channel.PHONE,
                 contact_name="罗业主", phone="1", unit_id="u", content="烟雾", receiver_id="d1", now=T0,
                 help_kind=HelpKind.DISASTER, public_calls=[em.CallAtIntake(number=em.PublicNumber.FIRE, at=T0)],
                 sent_at=T0)
    assert isinstance(r, Refusal) and r.code == EmergencyReason.CALL_TIME_MISSING
    assert r.details["missing"] == ["form_opened_at"]


def test_an_incomplete_intake_with_calls_is_refused_whole() -> None:  # R-IN-1 R-EM-5
    r = c.intake(
        case_id="c1", no="n", compound_id="cp1", kind=Kind.HELP, channel=c.Channel.PHONE, contact_name="",
        phone="1", unit_id="u", content="烟雾", receiver_id="d1", now=T0, help_kind=HelpKind.DISASTER,
        public_calls=[em.CallAtIntake(number=em.PublicNumber.FIRE, at=T0)], form_opened_at=T0 - M, sent_at=T0)
    assert isinstance(r, Refusal) and r.code == CaseReason.INTAKE_INCOMPLETE


# --- a call marked long before the form was sent (R-EM-5, D73, D85) ---------------------------

H = timedelta(hours=1)


def confirmed_call(n: str, off: timedelta) -> em.CallAtIntake:
    return em.CallAtIntake(number=em.PublicNumber(n), at=T0 + DESK_SKEW + off, confirmed=True)


def test_a_call_marked_up_to_30_minutes_before_sending_needs_no_confirming() -> None:  # R-EM-5 R-IN-1
    t = ok(intake_with_calls(("119", -30 * M), opened=-40 * M))
    assert t.case.emergency is not None and t.case.emergency.public_calls[0].at == T0 - 30 * M
    assert "confirmed" not in t.events[1].data


def test_a_call_marked_more_than_30_minutes_before_sending_is_refused_unless_the_desk_confirmed_it() -> None:  # R-EM-5
    # The dispatcher marked 119 and went to lunch: the mark may belong to the next request, not this one.
    r = intake_with_calls(("119", -2 * H), opened=-3 * H)
    assert isinstance(r, Refusal) and r.code == EmergencyReason.CALL_NOT_CONFIRMED and r.kind == "invalid"
    assert (r.details["number"], r.details["minutes_ago"], r.details["confirm_after_minutes"]) == ("119", 120, 30)
    # Asked, the desk says it was this request's call: recorded when it was made, and the history says
    # the desk confirmed it (R-EM-2 has the desk escalate first and record after, which can take a while).
    desk = T0 + DESK_SKEW
    t = ok(c.intake(
        case_id="c1", no="2026-0001", compound_id="cp1", kind=Kind.HELP, channel=c.Channel.PHONE,
        contact_name="罗业主", phone="13800000009", unit_id="u-3-104", content="地下车库有烟雾",
        receiver_id="d1", now=T0, help_kind=HelpKind.DISASTER, public_calls=[confirmed_call("119", -2 * H)],
        form_opened_at=desk - 3 * H, sent_at=desk))
    assert t.case.emergency is not None and t.case.emergency.public_calls[0].at == T0 - 2 * H
    assert t.events[1].data == {"number": "119", "called_at": T0 - 2 * H, "confirmed": True}


def test_a_call_marked_more_than_12_hours_before_sending_is_refused_even_confirmed() -> None:  # R-EM-5
    # Past a shift (R-SH-1) a mark is not placed at its time on the desk's say-so: the desk's clock may
    # have been reset in between, and the shift that pressed it has handed over.
    desk = T0 + DESK_SKEW
    r = c.intake(
        case_id="c1", no="2026-0001", compound_id="cp1", kind=Kind.HELP, channel=c.Channel.PHONE,
        contact_name="罗业主", phone="13800000009", unit_id="u-3-104", content="地下车库有烟雾",
        receiver_id="d1", now=T0, help_kind=HelpKind.DISASTER, public_calls=[confirmed_call("119", -12 * H - M)],
        form_opened_at=desk - 20 * H, sent_at=desk)
    assert isinstance(r, Refusal) and r.code == EmergencyReason.CALL_TOO_OLD and r.kind == "invalid"
    assert (r.details["number"], r.details["max_hours"]) == ("119", 12)
    ok(c.intake(
        case_id="c1", no="2026-0001", compound_id="cp1", kind=Kind.HELP, channel=c.Channel.PHONE,
        contact_name="罗业主", phone="13800000009", unit_id="u-3-104", content="地下车库有烟雾",
        receiver_id="d1", now=T0, help_kind=HelpKind.DISASTER, public_calls=[confirmed_call("119", -12 * H)],
        form_opened_at=desk - 20 * H, sent_at=desk))


def test_a_form_open_for_days_still_records_a_call_just_made() -> None:  # R-EM-5 R-IN-1
    # The form's opening only bounds its calls; how long it stood open refuses nothing by itself.
    t = ok(intake_with_calls(("119", -5 * M), opened=-3 * 24 * H))
    assert t.case.emergency is not None and t.case.emergency.public_calls[0].at == T0 - 5 * M
    assert t.case.received_at == T0


def test_a_form_sent_before_it_was_opened_records_no_call() -> None:  # R-EM-5
    r = intake_with_calls(("119", -1 * M), opened=1 * M)
    assert isinstance(r, Refusal) and r.code in (EmergencyReason.CALL_IN_FUTURE, EmergencyReason.CALL_BEFORE_FORM)


def test_a_person_named_on_a_rung_must_hold_that_rungs_role() -> None:  # R-EM-2
    # The desk calls people by name from the directory (D89); a name on the manager's rung that is not
    # a manager's would leave the rung waiting for a confirmation nobody may give.
    refused(em.record_attempt(state(), target_role=Role.MANAGER, target_id="v1", means=Means.PHONE, reached=True,
                              now=T0, target_roles=frozenset({Role.DEPUTY_GM})), EmergencyReason.TARGET_NOT_IN_ROLE)
    refused(em.record_attempt(state(), target_role=Role.MANAGER, target_id="gone", means=Means.PHONE, reached=False,
                              now=T0, target_roles=frozenset()), EmergencyReason.TARGET_NOT_IN_ROLE)
    s = step(em.record_attempt(state(), target_role=Role.MANAGER, target_id="m1", means=Means.PHONE, reached=False,
                               now=T0, target_roles=frozenset({Role.MANAGER})))
    assert s.attempts[0].target_id == "m1"
