"""A CAPA report's owner is reminded of its due date, and the owner and the managers once it has passed with
the actions not recorded as done (R-RV-4, D117, D140). The plan is pure: who, what, when."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import msgspec
import pytest

from server.domain import monthly_report as mr
from server.domain.calendar import BusinessCalendar
from server.domain.errors import DomainError
from server.domain.roles import Role
from server.notify import capa as cr
from server.notify.reminders import BEFORE_DUE, OVERDUE, payload_for, text_at_send

CST = timezone(timedelta(hours=8))
CAL = BusinessCalendar.build()  # Shanghai, Monday to Friday, 08:30–17:30
R = mr.ReportRefusal
NAMES = {"usr_dispatcher": "王调度", "usr_manager": "钱经理"}


def at(m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(2026, m, d, h, mi, tzinfo=CST)


FILED_AT = at(11, 23, 10)  # Monday


def filed(due_on: date = date(2026, 11, 30), owner: str = "usr_dispatcher") -> mr.WeeklyCheck:
    check = mr.record_weekly_check(week_start=date(2026, 11, 16), cases_checked=9, poor_quality=True,
                                   findings="两单未按时回访", by_role=Role.MANAGER, by_id="usr_manager",
                                   now=FILED_AT, checked_weeks=set())
    content = mr.CapaContent(problem="两单派工后未按时回访", cause="回访任务无人跟进",
                             corrective_action="本周补做两单回访", preventive_action="回访列入每日交接班检查",
                             owner_id=owner, due_on=due_on)
    return mr.file_capa(check, report_no="CAPA-2026-47", content=content, today=date(2026, 11, 23),
                        by_role=Role.MANAGER, by_id="usr_manager", now=FILED_AT)


def plan(check: mr.WeeklyCheck, now: datetime = FILED_AT):  # noqa: ANN201
    return cr.capa_plan("wck_1", check, CAL, now, names=NAMES)


def test_the_owner_is_reminded_on_the_morning_of_the_due_day_and_the_managers_the_morning_after():  # R-RV-4
    before, owner_late, managers_late = plan(filed())
    # Due on Monday 30 November: by the end of that day.
    due = at(12, 1)
    assert (before.kind, before.recipient_id, before.recipient_role, before.send_at, before.due_at) == (
        BEFORE_DUE, "usr_dispatcher", None, at(11, 30, 8, 30), due)
    assert before.code == cr.CAPA_CODE and before.tag == "capa-wck_1"
    assert before.title == "即将到期：纠正预防措施"
    assert before.body == "纠正预防措施报告 CAPA-2026-47：本周补做两单回访（完成期限 11/30，责任人：王调度）"
    assert before.title_en == "Due soon: corrective and preventive action"
    assert before.body_en == "CAPA report CAPA-2026-47: 本周补做两单回访 (due 11/30, owner: 王调度)"
    # Not done by then: the owner and every manager, once, when the desk opens the next working morning.
    assert (owner_late.kind, owner_late.recipient_id, owner_late.send_at, owner_late.due_at) == (
        OVERDUE, "usr_dispatcher", at(12, 1, 8, 30), due)
    assert (managers_late.kind, managers_late.recipient_id, managers_late.recipient_role, managers_late.send_at) == (
        OVERDUE, None, Role.MANAGER, at(12, 1, 8, 30))
    for p in (owner_late, managers_late):
        assert p.title == "已超时：纠正预防措施"
        assert p.body == "纠正预防措施报告 CAPA-2026-47：本周补做两单回访（完成期限 11/30，责任人：王调度，尚未落实）"
        assert p.body_en == ("CAPA report CAPA-2026-47: 本周补做两单回访 (was due 11/30, owner: 王调度; "
                             "not recorded as done)")
    assert managers_late.url == "/#/review?focus=quality"


def test_a_due_date_on_a_day_off_is_reminded_the_working_day_before_and_chased_the_next_one():  # R-RV-4
    before, *late = plan(filed(due_on=date(2026, 11, 29)))  # a Sunday
    assert before.send_at == at(11, 27, 8, 30) and before.due_at == at(11, 30)  # Friday's morning
    assert {p.send_at for p in late} == {at(11, 30, 8, 30)}  # Monday's
    # Filed on the due day itself, after the desk opened: the owner is told at once.
    [now_due, *_] = plan(filed(due_on=date(2026, 11, 23)))
    assert now_due.send_at == at(11, 23, 8, 30) and now_due.send_at < FILED_AT


def test_no_reminder_once_the_actions_are_done_or_while_the_report_is_sent_back():  # R-RV-4
    check = filed()
    accepted = mr.decide_capa(check, accept=True, reason="", by_role=Role.GENERAL_MANAGER, by_id="usr_gm",
                              now=at(11, 24, 9))
    assert len(plan(accepted)) == 3  # the GM's sign-off approves the plan; the actions are still to do
    done = mr.complete_capa(accepted, note="两单已回访，交接班检查表已加回访一栏", by_role=Role.MANAGER,
                            by_id="usr_manager", now=at(11, 27, 15))
    assert plan(done) == []
    returned = mr.decide_capa(check, accept=False, reason="原因分析不够具体", by_role=Role.GENERAL_MANAGER,
                              by_id="usr_gm", now=at(11, 24, 9))
    assert plan(returned) == []  # the manager files it anew, with its own owner and date
    # A poor week with no report yet, a good week, and a report filed before D117 (a number only).
    owed = mr.record_weekly_check(week_start=date(2026, 11, 16), cases_checked=3, poor_quality=True, findings="x",
                                  by_role=Role.MANAGER, by_id="usr_manager", now=FILED_AT, checked_weeks=set())
    legacy = msgspec.structs.replace(owed, capa_report_no="CAPA-OLD")
    assert plan(owed) == [] and plan(legacy) == []


def test_each_stage_is_planned_while_it_is_news_and_not_after():  # R-RV-4
    check = filed()
    # After the due day's end the morning reminder is no longer planned (one sent stays sent).
    assert [p.kind for p in plan(check, at(12, 1, 0, 1))] == [OVERDUE, OVERDUE]
    # A day after the overdue one was due to go out it is stale news, as every overdue reminder (D137).
    assert [p.kind for p in plan(check, at(12, 2, 8, 30))] == [OVERDUE, OVERDUE]
    assert plan(check, at(12, 2, 8, 31)) == []


def test_the_payload_opens_the_inbox_or_the_quality_check_and_turns_overdue_if_sent_late():  # R-RV-4 D102
    before, _, managers_late = plan(filed())
    p = payload_for(None, before)
    assert (p["case_id"], p["job_id"], p["tag"], p["url"], p["code"]) == (None, None, "capa-wck_1", "/#/reminders",
                                                                            cr.CAPA_CODE)
    late = text_at_send(p, BEFORE_DUE, before.due_at, before.due_at + timedelta(hours=9))
    assert late["title"] == "已超时：纠正预防措施"
    assert late["body"] == "纠正预防措施报告 CAPA-2026-47：本周补做两单回访（已超时，完成期限 11/30，责任人：王调度）"
    assert late["body_en"] == "CAPA report CAPA-2026-47: 本周补做两单回访 (overdue, was due 11/30, owner: 王调度)"
    assert payload_for(None, managers_late)["url"] == "/#/review?focus=quality"
    # An owner whose name is not known is named by the account, and a long action is cut.
    long = msgspec.structs.replace(filed(), capa=msgspec.structs.replace(filed().capa, corrective_action="补" * 80))
    [b, *_] = cr.capa_plan("wck_1", long, CAL, FILED_AT, names={})
    assert b.body == f"纠正预防措施报告 CAPA-2026-47：{'补' * 60}…（完成期限 11/30，责任人：usr_dispatcher）"


def test_the_manager_records_the_actions_done_once_with_what_was_done():  # R-RV-4
    check = filed()
    with pytest.raises(DomainError) as e:
        mr.complete_capa(check, note="已完成", by_role=Role.DISPATCHER, by_id="usr_dispatcher", now=at(11, 27))
    assert (e.value.refusal.code, e.value.refusal.kind) == (R.NOT_MANAGER, "forbidden")
    with pytest.raises(DomainError) as e:
        mr.complete_capa(check, note="  ", by_role=Role.MANAGER, by_id="usr_manager", now=at(11, 27))
    assert e.value.refusal.code == R.CAPA_DONE_NOTE_REQUIRED and e.value.refusal.details["missing"] == ["note"]
    done = mr.complete_capa(check, note=" 两单已回访 ", by_role=Role.MANAGER, by_id="usr_manager", now=at(11, 27))
    assert (done.capa_done_at, done.capa_done_by, done.capa_done_note) == (at(11, 27), "usr_manager", "两单已回访")
    assert done.capa_status is mr.CapaStatus.SUBMITTED  # the GM's sign-off is its own step
    with pytest.raises(DomainError) as e:
        mr.complete_capa(done, note="再次", by_role=Role.MANAGER, by_id="usr_manager", now=at(11, 28))
    assert e.value.refusal.code == R.CAPA_ALREADY_DONE
    returned = mr.decide_capa(check, accept=False, reason="原因分析不够具体", by_role=Role.GENERAL_MANAGER,
                              by_id="usr_gm", now=at(11, 24, 9))
    with pytest.raises(DomainError) as e:
        mr.complete_capa(returned, note="已完成", by_role=Role.MANAGER, by_id="usr_manager", now=at(11, 27))
    assert e.value.refusal.code == R.CAPA_NOT_FILED and e.value.refusal.details["status"] == "returned"
    owed = mr.record_weekly_check(week_start=date(2026, 11, 16), cases_checked=3, poor_quality=True, findings="x",
                                  by_role=Role.MANAGER, by_id="usr_manager", now=FILED_AT, checked_weeks=set())
    with pytest.raises(DomainError) as e:
        mr.complete_capa(owed, note="已完成", by_role=Role.MANAGER, by_id="usr_manager", now=at(11, 27))
    assert e.value.refusal.code == R.CAPA_NOT_FILED


def test_a_report_filed_again_after_it_was_sent_back_starts_with_its_actions_not_done():  # R-RV-4
    accepted_done = mr.complete_capa(filed(), note="已完成", by_role=Role.MANAGER, by_id="usr_manager",
                                     now=at(11, 24, 8))
    returned = mr.decide_capa(accepted_done, accept=False, reason="措施不够具体", by_role=Role.GENERAL_MANAGER,
                              by_id="usr_gm", now=at(11, 24, 9))
    again = mr.file_capa(returned, report_no="CAPA-2026-47", content=filed(due_on=date(2026, 12, 4)).capa,
                         today=date(2026, 11, 24), by_role=Role.MANAGER, by_id="usr_manager", now=at(11, 24, 10))
    assert (again.capa_done_at, again.capa_done_by, again.capa_done_note) == (None, None, None)
    assert [p.due_at for p in plan(again, at(11, 24, 10))] == [at(12, 5)] * 3
