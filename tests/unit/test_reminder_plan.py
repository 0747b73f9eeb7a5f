"""Which reminders a case needs (server/notify/reminders.plan): who, about what, and when."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from server.domain import cases as c
from server.domain import emergencies as em
from server.domain.cases import Case, CaseState, FollowUpKind, HelpKind, Kind
from server.domain.deadlines import ClockCode, DeadlinePolicy, clocks
from server.domain.roles import Role
from server.notify.reminders import (
    ACK_CODE,
    BEFORE_DUE,
    ESCALATION,
    ESCALATION_CODE,
    OVERDUE,
    Planned,
    lead_time,
    payload_for,
    plan,
    text_at_send,
)
from tests.unit.test_cases import CAL, T0, make_case, ok, opened, sh

M = timedelta(minutes=1)
POLICY = DeadlinePolicy()


def planned(case: Case, now: datetime) -> list[Planned]:
    return plan(case, clocks(case, CAL, now, POLICY), now, CAL, POLICY)


def find(ps: list[Planned], code: str, kind: str) -> list[Planned]:
    return [p for p in ps if p.code == code and p.kind == kind]


def with_technician(now: datetime = T0) -> Case:
    """Opened and sent to technician t1 (the team lead could not be reached)."""
    lead_unreachable = c.DispatchRecord(told_id="lead1", told_role=Role.TEAM_LEAD, at=now, by="d1", reached=False)
    return ok(c.dispatch(
        opened(now=now), work_order_id="wo1", job="修水管", assignee_id="t1", assignee_role=Role.TECHNICIAN,
        deadline_at=now + timedelta(hours=2), by="d1", roles={Role.DISPATCHER}, now=now,
        attempts=[lead_unreachable])).case


def test_technician_is_reminded_5_minutes_before_the_15_minute_arrival_limit() -> None:  # R-FU-4
    [p] = find(planned(with_technician(), T0), ClockCode.FU4_ON_SITE_15M, BEFORE_DUE)
    assert (p.recipient_role, p.recipient_id, p.job_id) == (Role.TECHNICIAN, "t1", "wo1")
    assert (p.send_at, p.due_at) == (T0 + 10 * M, T0 + 15 * M)
    assert p.title == "即将到期：派工后 15 分钟到场"


def test_lead_is_a_third_of_the_span_at_most_the_policy_lead() -> None:
    case = with_technician()
    by_code = {k.code: k for k in clocks(case, CAL, T0, POLICY)}
    assert lead_time(by_code[ClockCode.FU4_ON_SITE_15M], POLICY) == 5 * M
    assert lead_time(by_code[ClockCode.FU1_FIRST_FOLLOW_UP], POLICY) == 15 * M


def test_the_follower_is_reminded_of_the_first_and_second_follow_up() -> None:  # R-FU-1, R-FU-2
    ps = planned(opened(), T0)
    [fu1] = find(ps, ClockCode.FU1_FIRST_FOLLOW_UP, BEFORE_DUE)
    [fu2] = find(ps, ClockCode.FU2_END_OF_DAY, BEFORE_DUE)
    assert (fu1.recipient_role, fu1.recipient_id, fu1.send_at) == (Role.DISPATCHER, "d1", T0 + 105 * M)
    assert fu2.recipient_id == "d1" and fu2.send_at == fu2.due_at - 15 * M
    assert fu1.job_id is None


def test_managers_are_told_when_a_limit_passes() -> None:
    [p] = find(planned(with_technician(), T0), ClockCode.FU4_ON_SITE_15M, OVERDUE)
    assert (p.recipient_role, p.recipient_id, p.send_at) == (Role.MANAGER, None, T0 + 15 * M)
    assert p.title == "已超时：派工后 15 分钟到场"


def test_a_passed_limit_gets_no_before_reminder_and_a_long_passed_one_no_overdue_one() -> None:
    case = with_technician()
    late = planned(case, T0 + 20 * M)
    assert find(late, ClockCode.FU4_ON_SITE_15M, BEFORE_DUE) == []
    assert len(find(late, ClockCode.FU4_ON_SITE_15M, OVERDUE)) == 1
    assert find(planned(case, T0 + timedelta(days=2)), ClockCode.FU4_ON_SITE_15M, OVERDUE) == []


def test_a_satisfied_clock_needs_no_reminder() -> None:
    case = ok(c.arrive(with_technician(), work_order_id="wo1", by="t1", now=T0 + 3 * M)).case
    ps = planned(case, T0 + 3 * M)
    assert [p for p in ps if p.code == ClockCode.FU4_ON_SITE_15M] == []
    case = ok(c.record_follow_up(case, kind=FollowUpKind.FIRST, note="已联系住户", by="d1", now=T0 + 4 * M)).case
    assert find(planned(case, T0 + 4 * M), ClockCode.FU1_FIRST_FOLLOW_UP, BEFORE_DUE) == []


def test_an_ended_case_needs_no_reminders() -> None:
    case = with_technician()
    for state in (CaseState.CLOSED, CaseState.CANNOT_HANDLE, CaseState.NOT_OPENED):
        ended = msgspec.structs.replace(case, state=state)
        assert plan(ended, clocks(case, CAL, T0, POLICY), T0, CAL, POLICY) == []


def emergency() -> Case:
    return make_case(Kind.HELP, help_kind=HelpKind.MEDICAL_EMERGENCY)


def attempt(case: Case, role: Role, *, reached: bool, at: datetime, ack: bool = False) -> Case:
    case = ok(c.emergency_step(
        case, lambda s: em.record_attempt(s, target_role=role, target_id=None, means=em.Means.PHONE,
                                          reached=reached, now=at),
        name="emergency.attempted", by="d1", now=at)).case
    if ack:
        case = ok(c.emergency_step(case, lambda s: em.acknowledge(s, by="m1", by_roles=frozenset({Role.MANAGER}), now=at), name="emergency.ack",
                                   by="d1", now=at)).case
    return case


def test_a_new_emergency_goes_to_the_manager_at_once() -> None:  # R-EM-2
    [p] = [p for p in planned(emergency(), T0) if p.kind == ESCALATION]
    assert (p.recipient_role, p.send_at) == (Role.MANAGER, T0)


def test_an_unacknowledged_escalation_passes_to_the_next_person_after_5_minutes() -> None:  # R-EM-2
    case = attempt(emergency(), Role.MANAGER, reached=True, at=T0 + M)
    [p] = [p for p in planned(case, T0 + M) if p.kind == ESCALATION and p.code == ESCALATION_CODE]
    assert (p.recipient_role, p.send_at) == (Role.DEPUTY_GM, T0 + 6 * M)
    assert "5 分钟内未确认" in p.body


def test_the_person_reached_is_asked_at_once_to_confirm_taking_charge() -> None:  # R-EM-2
    case = attempt(emergency(), Role.MANAGER, reached=True, at=T0 + M)
    [p] = [p for p in planned(case, T0 + M) if p.code == ACK_CODE]
    assert (p.recipient_role, p.send_at, p.kind) == (Role.MANAGER, T0 + M, ESCALATION)
    assert "确认接手" in p.body and "confirm" in p.body_en
    acked = attempt(emergency(), Role.MANAGER, reached=True, at=T0 + M, ack=True)
    assert [p for p in planned(acked, T0 + 2 * M) if p.code == ACK_CODE] == []
    unreached = attempt(emergency(), Role.MANAGER, reached=False, at=T0 + M)
    assert [p for p in planned(unreached, T0 + M) if p.code == ACK_CODE] == []


def test_an_unreached_person_passes_the_emergency_on_at_once() -> None:  # R-EM-2
    case = attempt(emergency(), Role.MANAGER, reached=False, at=T0 + M)
    [p] = [p for p in planned(case, T0 + M) if p.kind == ESCALATION]
    assert (p.recipient_role, p.send_at) == (Role.DEPUTY_GM, T0 + M)


def test_an_acknowledged_emergency_needs_no_escalation_reminder() -> None:  # R-EM-2
    case = attempt(emergency(), Role.MANAGER, reached=True, at=T0 + M, ack=True)
    assert [p for p in planned(case, T0 + M) if p.kind == ESCALATION] == []


def test_payload_opens_the_job_for_field_staff_and_the_inbox_for_the_desk() -> None:
    ps = planned(with_technician(), T0)
    [tech] = find(ps, ClockCode.FU4_ON_SITE_15M, BEFORE_DUE)
    [desk] = find(ps, ClockCode.FU1_FIRST_FOLLOW_UP, BEFORE_DUE)
    assert payload_for("c1", tech)["url"] == "/#/job/wo1"
    assert payload_for("c1", tech)["tag"] == "case-c1"
    assert payload_for("c1", desk)["url"] == "/#/reminders"
    assert payload_for("c1", desk)["job_id"] is None


def test_notes_change_no_clock_and_no_reminder() -> None:  # R-FU-4
    # schedule_for_change skips the planner when two cases differ only in notes (without_notes);
    # that is exact only while neither the deadline engine nor the planner reads a note.
    arrived = ok(c.arrive(with_technician(), work_order_id="wo1", by="t1", now=T0 + 3 * M)).case
    for before in (opened(), with_technician(), arrived):
        after = before
        for i in range(3):
            wo = "wo1" if after.work_orders else None
            after = ok(c.add_note(after, text=f"第{i}条记录", by="t1", now=T0 + (5 + i) * M, work_order_id=wo)).case
        after = ok(c.add_note(after, text="台账", by="d1", now=T0 + 9 * M)).case
        assert after != before and c.without_notes(after) == c.without_notes(before)
        for now in (T0 + 10 * M, T0 + timedelta(hours=3), T0 + timedelta(days=1)):
            assert clocks(after, CAL, now, POLICY) == clocks(before, CAL, now, POLICY)
            assert planned(after, now) == planned(before, now)


def test_every_reminder_reads_in_english_apart_from_the_residents_own_words() -> None:  # R-FU-4, R-EM-2
    # A phone or desk switched to English shows title_en/body_en; only the case's content and
    # address (as the resident gave them) may stay Chinese.
    import re

    cjk = re.compile(r"[\u4e00-\u9fff]")
    samples = [
        (with_technician(), T0), (with_technician(), T0 + 20 * M), (opened(), T0), (emergency(), T0),
        (attempt(emergency(), Role.MANAGER, reached=True, at=T0 + M), T0 + M),
        (attempt(emergency(), Role.MANAGER, reached=False, at=T0 + M), T0 + M),
    ]
    kinds = set()
    for case, now in samples:
        for p in planned(case, now):
            kinds.add(p.kind)
            own_words = [w for w in (case.content, case.address) if w]
            for text in (p.title_en, p.body_en):
                for w in own_words:
                    text = text.replace(w, "")
                assert text.strip() and not cjk.search(text), (p.code, p.kind, p.title_en, p.body_en)
            payload = payload_for("c1", p)
            assert (payload["title_en"], payload["body_en"]) == (p.title_en, p.body_en)
    assert kinds == {BEFORE_DUE, OVERDUE, ESCALATION}


def test_a_due_soon_sent_at_or_after_its_deadline_says_overdue_and_before_it_due_soon() -> None:  # R-FU-4
    # Chosen at send time by the server's clock (D102), the comparison the inbox makes (D93): at the
    # deadline itself it is already late.
    [p] = find(planned(with_technician(), T0), ClockCode.FU4_ON_SITE_15M, BEFORE_DUE)
    stored = payload_for("cs1", p)
    on_time = text_at_send(stored, BEFORE_DUE, p.due_at, p.send_at)
    assert (on_time["title"], on_time["title_en"]) == ("即将到期：派工后 15 分钟到场", "Due soon: On site 15 min after the work order")
    assert "late" not in on_time and on_time["body"] == stored["body"]
    for at in (p.due_at, p.due_at + 30 * M):
        late = text_at_send(stored, BEFORE_DUE, p.due_at, at)
        assert (late["title"], late["title_en"]) == ("已超时：派工后 15 分钟到场", "Overdue: On site 15 min after the work order")
        due = on_time["body_en"].rsplit("(due ", 1)[1].rstrip(")")
        assert late["body"].endswith(f"（已超时，截止 {due}）") and late["body_en"].endswith(f"(overdue, was due {due})")
        assert "late" not in late and (late["url"], late["tag"], late["kind"]) == (stored["url"], stored["tag"], BEFORE_DUE)
    # The managers' overdue reminder is sent at the limit and already says so: left as it is.
    [o] = find(planned(with_technician(), T0), ClockCode.FU4_ON_SITE_15M, OVERDUE)
    assert text_at_send(payload_for("cs1", o), OVERDUE, o.due_at, o.due_at + M) == payload_for("cs1", o)


def test_a_due_soon_planned_before_the_late_text_was_kept_has_its_title_relabelled() -> None:  # R-FU-4
    [p] = find(planned(with_technician(), T0), ClockCode.FU4_ON_SITE_15M, BEFORE_DUE)
    stored = {k: v for k, v in payload_for("cs1", p).items() if k != "late"}
    late = text_at_send(stored, BEFORE_DUE, p.due_at, p.due_at + M)
    assert (late["title"], late["title_en"]) == ("已超时：派工后 15 分钟到场", "Overdue: On site 15 min after the work order")


def test_a_reminder_writes_its_times_as_every_screen_does() -> None:  # R-FU-4 (D81)
    # "due 05-06 10:15" beside screens that write "05/06 10:15": the push said one thing, the app another.
    [p] = find(planned(with_technician(), T0), ClockCode.FU4_ON_SITE_15M, BEFORE_DUE)
    assert p.body.endswith("（截止 05/06 10:15）") and p.body_en.endswith("(due 05/06 10:15)")
    assert p.late is not None and p.late.body.endswith("（已超时，截止 05/06 10:15）")
    [o] = find(planned(with_technician(), T0), ClockCode.FU4_ON_SITE_15M, OVERDUE)
    assert "（时限 05/06 10:15，" in o.body and "(limit 05/06 10:15, " in o.body_en
    # A time in another year than the server's now carries its year, as on a screen.
    eve = sh(2026, 12, 31, 23, 50)
    [p] = find(planned(with_technician(eve), eve), ClockCode.FU4_ON_SITE_15M, BEFORE_DUE)
    assert p.body.endswith("（截止 2027/01/01 00:05）") and p.body_en.endswith("(due 2027/01/01 00:05)")
    [e] = [p for p in planned(attempt(emergency(), Role.MANAGER, reached=False, at=T0 + M), T0 + M)
           if p.code == ESCALATION_CODE]
    assert e.body.endswith("（05/06 10:01）") and e.body_en.endswith("(05/06 10:01)")


def test_an_emergency_keeps_its_own_notification_beside_the_cases_routine_ones() -> None:  # R-EM-2
    # A phone shows one notification per tag: an escalation tagged like every reminder of its case was
    # replaced minutes later by that case's routine "已超时：求助 5 分钟内答复".
    help_case = emergency()
    ps = planned(help_case, T0)
    [esc] = [p for p in ps if p.kind == ESCALATION]
    [routine] = find(ps, ClockCode.IN5_HELP_REPLY_5M, BEFORE_DUE)
    [over] = find(ps, ClockCode.IN5_HELP_REPLY_5M, OVERDUE)
    assert payload_for("c1", esc)["tag"] == "emergency-c1"
    assert payload_for("c1", routine)["tag"] == payload_for("c1", over)["tag"] == "case-c1"
    reached = attempt(help_case, Role.MANAGER, reached=True, at=T0 + M)
    [ack] = [p for p in planned(reached, T0 + M) if p.code == ACK_CODE]
    assert payload_for("c1", ack)["tag"] == "emergency-c1"
