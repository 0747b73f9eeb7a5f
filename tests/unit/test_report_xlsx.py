"""XLSX export of the monthly report, read back in memory with openpyxl."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
from openpyxl import load_workbook

from server.domain import monthly_report as mr
from server.domain import surveys as sv
from server.domain.roles import Role
from server.domain.surveys import Ballot, Grade, SurveyArea
from server.reports.xlsx import monthly_report_xlsx

CST = timezone(timedelta(hours=8))


def at(m: int, d: int, h: int = 0) -> datetime:
    return datetime(2026, m, d, h, tzinfo=CST)


ROWS = [
    mr.CaseRow(
        case_no="C1",
        kind="complaint",
        channel="phone",
        received_at=at(11, 3, 9),
        complaint_category="cleaning",
        valid_complaint=True,
        deadline_at=at(11, 5, 9),
        closed_at=at(11, 4, 10),
        satisfaction=Grade.A,
        complainant="王女士",
        handler="清洁班",
    ),
    mr.CaseRow(
        case_no="C2",
        kind="complaint",
        channel="walk_in",
        received_at=at(11, 10, 14),
        complaint_category="security",
        valid_complaint=False,
        deadline_at=at(11, 12, 14),
    ),  # open, late
    mr.CaseRow(
        case_no="R1",
        kind="repair",
        channel="phone",
        received_at=at(11, 6, 8),
        deadline_at=at(11, 7, 8),
        closed_at=at(11, 6, 11),
        revenue_cents=12345,
    ),
]


def workbook(survey: sv.PeriodicSurvey | None = None):
    rep = mr.build_monthly_report(ROWS, year=2026, month=11, tz=CST, as_of=at(12, 1, 10), survey=survey)
    rep = mr.submit_report(rep, by_role=Role.DISPATCHER, by_id="disp-1", now=at(11, 30, 17))
    data = monthly_report_xlsx(rep, tz=CST)
    assert data[:2] == b"PK"  # a zip container
    return load_workbook(BytesIO(data))


def rows_of(sheet) -> list[tuple]:
    return [r for r in sheet.iter_rows(values_only=True)]


def find(sheet, first: str) -> tuple:
    return next(r for r in rows_of(sheet) if r and r[0] == first)


def test_workbook_has_the_report_sheets():  # R-RV-5 R-IN-5
    assert workbook().sheetnames == ["概要", "分类统计", "超时清单", "求助答复", "满意度", "投诉明细"]


def test_summary_shows_each_rate_with_numerator_denominator_and_definition():  # R-RV-5
    book = workbook()
    summary = book["概要"]
    # validity: C1 valid of C1, C2 → 1 / 2 = 50 %
    label, num, den, value, target, met, def_zh, def_en = find(summary, "有效投诉率")
    assert (num, den, value, target, met) == (1, 2, 0.5, None, "—")  # no target: empty cell
    assert def_zh.startswith("有效投诉率 =") and def_en.startswith("Complaint validity rate =")
    # timely repair: R1 in time, 1 / 1 = 100 % ≥ 98 %
    assert find(summary, "维修及时率")[1:6] == (1, 1, 1.0, "≥ 98%", "达标")
    # rework: 0 / 1 = 0 % ≤ 1 %
    assert find(summary, "返修率")[1:6] == (0, 1, 0.0, "≤ 1%", "达标")
    value_cell = next(row[3] for row in summary.iter_rows() if row[0].value == "有效投诉率")
    assert value_cell.number_format == "0.00%"
    assert find(summary, "特约服务收入（元）")[1] == pytest.approx(123.45)
    assert find(summary, "填报人")[1] == "disp-1"
    # times are written in the compound's zone, without a zone (Excel has none)
    assert find(summary, "填报时间")[1] == datetime(2026, 11, 30, 17, 0)


def test_counts_sheet_lists_kinds_categories_and_channels():  # R-RV-5
    counts = workbook()["分类统计"]
    assert find(counts, "投诉")[1] == 2 and find(counts, "报修")[1] == 1
    assert find(counts, "清洁")[1] == 1 and find(counts, "安保")[1] == 1
    assert find(counts, "电话")[1] == 2 and find(counts, "来访")[1] == 1


def test_overdue_sheet_lists_late_cases():  # R-RV-5
    overdue = rows_of(workbook()["超时清单"])
    # Titled with what the list is read against, as on the page; then the column heads.
    assert overdue[0][0] == "超时清单（维修、投诉时限及书面咨询两日内书面答复）"
    assert overdue[1][0] == "案件编号" and overdue[1][5] == "完成或书面答复时间"
    # C2 due 12 Nov 14:00, open at 1 Dec 00:00: 18 d 10 h = 25920 + 600 = 26520 min
    assert overdue[2][:3] == ("C2", "投诉", "安保")
    assert (
        overdue[2][4] == datetime(2026, 11, 12, 14, 0)
        and overdue[2][5] == "未完成"
        and overdue[2][6] is None  # a complaint has no written reply to sign
        and overdue[2][8] == 26520
    )
    assert len(overdue) == 3


def test_overdue_sheet_lists_a_late_written_reply():  # R-IN-5, R-RV-5
    # A written inquiry received 20 Nov 09:00 is due 22 Nov 09:00; unanswered at 1 Dec 00:00 it is
    # 8 d 15 h = 11520 + 900 = 12420 min late, and says it has no written reply rather than "not done".
    letter = mr.CaseRow(case_no="Q1", kind="inquiry", channel="written", received_at=at(11, 20, 9),
                        deadline_at=at(11, 22, 9), handler="王调度")
    rep = mr.build_monthly_report([*ROWS, letter], year=2026, month=11, tz=CST, as_of=at(12, 1, 10))
    overdue = rows_of(load_workbook(BytesIO(monthly_report_xlsx(rep, tz=CST)))["超时清单"])
    assert [r[0] for r in overdue[2:]] == ["C2", "Q1"]
    assert overdue[3][1:3] == ("咨询", None) and overdue[3][5:] == ("未书面答复", None, "王调度", 12420)


def test_satisfaction_sheet_shows_dash_when_no_ballot_came_back():  # R-RV-3
    sat = workbook(
        sv.open_survey(id="s", title="t", issued=25, by_role=Role.MANAGER, by_id="m", now=at(11, 1))
    )
    sheet = sat["满意度"]
    assert find(sheet, "发出票数")[1] == 25 and find(sheet, "回收票数")[1] == 0
    overall = find(sheet, "综合评议")
    assert overall[1:4] == (0, 0, "—")


def test_satisfaction_sheet_shows_rates_from_returned_ballots():  # R-RV-3
    s = sv.open_survey(id="s", title="t", issued=4, by_role=Role.MANAGER, by_id="m", now=at(11, 1))
    for g in (Grade.A, Grade.B, Grade.C):
        s = sv.record_ballot(s, Ballot(grades={SurveyArea.OVERALL: g}))
    # overall: A 1 + B 1 = 2 of 3 returned → 66.67 %
    overall = find(workbook(s)["满意度"], "综合评议")
    assert overall[1:3] == (2, 3) and overall[3] == pytest.approx(0.6667)


@pytest.mark.parametrize(("lang", "sheet_name", "not_graded"), [("zh", "满意度", "未评"), ("en", "Satisfaction", "not graded")])
def test_satisfaction_sheet_marks_an_area_nobody_graded_apart_from_a_graded_zero(lang, sheet_name, not_graded):  # R-RV-3
    s = sv.open_survey(id="s", title="t", issued=4, by_role=Role.MANAGER, by_id="m", now=at(11, 1))
    for g in (Grade.A, Grade.C):
        s = sv.record_ballot(s, Ballot(grades={SurveyArea.OVERALL: g, SurveyArea.PARKING: Grade.C}))
    rep = mr.build_monthly_report(ROWS, year=2026, month=11, tz=CST, as_of=at(12, 1, 10), survey=s)
    sheet = load_workbook(BytesIO(monthly_report_xlsx(rep, tz=CST, lang=lang)))[sheet_name]
    label = 1 if lang == "en" else 0
    row = {r[0]: r for r in rows_of(sheet) if r and r[0]}
    parking, clubhouse = (row[sv.AREA_LABELS[a][label]] for a in (SurveyArea.PARKING, SurveyArea.CLUBHOUSE))
    assert parking[1:4] == (0, 2, 0)  # graded C on both ballots: a real 0 %
    assert clubhouse[1:4] == (0, 2, not_graded)  # on neither ballot: not graded, not 0 %


def test_complaint_sheet_lists_each_complaint():  # R-RV-5
    lines = rows_of(workbook()["投诉明细"])
    assert [r[0] for r in lines[1:]] == ["C1", "C2"]
    assert lines[1][1] == datetime(2026, 11, 3, 9, 0) and lines[1][2] == "王女士" and lines[1][8] == "A 满意"
    assert lines[2][9] == "否"


def _chart_titles(book) -> dict[str, list[str]]:  # noqa: ANN001
    return {
        ws.title: ["".join(r.t for p in c.title.tx.rich.p for r in p.r) for c in ws._charts]
        for ws in book.worksheets
        if ws._charts
    }


def test_the_satisfaction_chart_is_left_out_when_no_ballot_came_back():  # R-RV-3
    # Every rate is "—": the page says so in a sentence; a chart would draw each area at 0 %.
    survey = sv.open_survey(id="s", title="t", issued=25, by_role=Role.MANAGER, by_id="m", now=at(11, 1))
    assert _chart_titles(workbook(survey)) == {"分类统计": ["按类型统计", "按受理渠道统计"]}
    survey = sv.record_ballot(survey, Ballot(grades={SurveyArea.OVERALL: Grade.A}))
    assert _chart_titles(workbook(survey))["满意度"] == ["各项满意率（%）"]


def test_a_month_with_no_case_charts_the_kinds_at_zero_and_no_channel():  # R-RV-5
    # Kinds are listed at 0 and drawn so; channels are listed only when used, so there is nothing to ring.
    rep = mr.build_monthly_report([], year=2026, month=11, tz=CST, as_of=at(12, 1, 10))
    book = load_workbook(BytesIO(monthly_report_xlsx(rep, tz=CST)))
    assert _chart_titles(book) == {"分类统计": ["按类型统计"]}
    assert find(book["分类统计"], "合计")[1] == 0
