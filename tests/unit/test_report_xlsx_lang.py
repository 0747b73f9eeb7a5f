"""The XLSX export in the desk's language (D71), and its help-reply sheet (R-IN-5), read back with openpyxl."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook

from server.domain import monthly_report as mr
from server.domain import surveys as sv
from server.domain.roles import Role
from server.domain.surveys import Ballot, Grade, SurveyArea
from server.reports.xlsx import monthly_report_xlsx
from tests.unit.test_report_xlsx import CST, ROWS, at, find, rows_of

CJK = re.compile(r"[\u3400-\u9fff]")
HELP = [
    # Replied at 2 minutes: in time. Replied at 8 minutes: 3 late. Never replied: late to the report's time.
    mr.CaseRow(case_no="H1", kind="help", channel="phone", received_at=at(11, 8, 9), receiver="王调度",
               help_reply_due_at=at(11, 8, 9) + timedelta(minutes=5),
               help_replied_at=at(11, 8, 9) + timedelta(minutes=2)),
    mr.CaseRow(case_no="H2", kind="help", channel="phone", received_at=at(11, 9, 9), receiver="王调度",
               help_reply_due_at=at(11, 9, 9) + timedelta(minutes=5),
               help_replied_at=at(11, 9, 9) + timedelta(minutes=8)),
    mr.CaseRow(case_no="H3", kind="help", channel="walk_in", received_at=at(11, 30, 23), receiver="李前台",
               help_reply_due_at=at(11, 30, 23) + timedelta(minutes=5)),
]


def report(lang_rows=(), survey: sv.PeriodicSurvey | None = None) -> mr.MonthlyReport:
    rep = mr.build_monthly_report([*ROWS, *HELP, *lang_rows], year=2026, month=11, tz=CST, as_of=at(12, 1, 10),
                                  survey=survey)
    rep = mr.submit_report(rep, by_role=Role.DISPATCHER, by_id="disp-1", now=at(11, 30, 17))
    return mr.sign_report(rep, by_role=Role.MANAGER, by_id="mgr-1", comment="本月处理及时", now=at(12, 1, 9))  # signed after the month ends (D103)


def book_of(rep: mr.MonthlyReport, **kw):  # noqa: ANN003, ANN201
    return load_workbook(BytesIO(monthly_report_xlsx(rep, tz=CST, **kw)))


def _survey() -> sv.PeriodicSurvey:
    s = sv.open_survey(id="s", title="t", issued=4, by_role=Role.MANAGER, by_id="m", now=at(11, 1))
    for g in (Grade.A, Grade.B, Grade.C):
        s = sv.record_ballot(s, Ballot(grades={SurveyArea.OVERALL: g}))
    return s


def _chart_texts(book) -> dict[str, list[str]]:  # noqa: ANN001
    """Every chart's title and axis titles, per sheet."""
    def text(title) -> str:  # noqa: ANN001
        return "" if title is None else "".join(r.t for p in title.tx.rich.p for r in (p.r or []))
    out: dict[str, list[str]] = {}
    for ws in book.worksheets:
        for c in ws._charts:
            out.setdefault(ws.title, []).append(text(c.title))
            for axis in (getattr(c, "x_axis", None), getattr(c, "y_axis", None)):
                if axis is not None and axis.title is not None:
                    out[ws.title].append(text(axis.title))
    return out


def test_the_workbook_is_chinese_unless_english_is_asked_for():  # R-RV-5
    rep = report()
    default = book_of(rep)
    assert default.sheetnames == book_of(rep, lang="zh").sheetnames == [
        "概要", "分类统计", "超时清单", "求助答复", "满意度", "投诉明细"]
    assert default["概要"]["A1"].value == "2026年11月 投诉调度记录月总结"
    with pytest.raises(ValueError):
        book_of(rep, lang="fr")


def test_the_english_workbook_names_sheets_headers_labels_and_charts_in_english():  # R-RV-5 R-RV-3
    book = book_of(report(survey=_survey()), names={"disp-1": "王调度", "mgr-1": "陈经理"}, lang="en")
    assert book.sheetnames == ["Summary", "Counts", "Late cases", "Help replies", "Satisfaction", "Complaints"]
    summary = book["Summary"]
    assert summary["A1"].value == "Monthly complaint and dispatch summary, November 2026"
    assert find(summary, "Status")[1] == "Signed" and find(summary, "Submitted late")[1] == "No"
    assert find(summary, "Filled in by")[1] == "王调度"  # names as written
    assert find(summary, "Manager's comment")[1] == "本月处理及时"  # free text as written
    assert find(summary, "Special-service revenue (yuan)")[1] == pytest.approx(123.45)
    header = find(summary, "Rate")
    assert header == ("Rate", "Numerator", "Denominator", "Value", "Target", "Met", "Definition",
                      "Definition (Chinese)")
    label, num, den, value, target, met, definition, other = find(summary, "Timely-repair rate")
    assert (num, den, value, target, met) == (1, 1, 1.0, "≥ 98%", "Met")
    # The chosen language's definition first; the Chinese one beside it, as the printed report does.
    assert definition.startswith("Timely-repair rate =") and other.startswith("维修及时率 =")
    assert find(summary, "Help replies within 5 minutes")[1:4] == (1, 3, pytest.approx(0.3333))

    counts = book["Counts"]
    assert find(counts, "Complaint")[1] == 2 and find(counts, "Repair")[1] == 1 and find(counts, "Help")[1] == 3
    assert find(counts, "Cleaning")[1] == 1 and find(counts, "Security")[1] == 1
    assert find(counts, "Phone")[1] == 4 and find(counts, "Walk-in")[1] == 2
    assert find(counts, "By kind")[1] == "Count" and find(counts, "Total")[1] == 6

    late = rows_of(book["Late cases"])
    assert late[0][0] == mr.OVERDUE_TITLE[1]
    assert late[1][:3] == ("Case no.", "Kind", "Complaint category")
    assert late[2][:3] == ("C2", "Complaint", "Security") and late[2][5] == "Open"

    sat = book["Satisfaction"]
    assert find(sat, "Ballots issued")[1] == 4 and find(sat, "Ballots returned")[1] == 3
    assert find(sat, "Overall")[1:3] == (2, 3)

    complaints = rows_of(book["Complaints"])
    assert complaints[0] == ("Case no.", "Received", "Complainant", "Category", "Receiver", "Handler", "Method",
                             "Result", "Satisfaction", "Valid")
    assert complaints[1][3] == "Cleaning" and complaints[1][8] == "A satisfied" and complaints[2][9] == "No"

    assert _chart_texts(book) == {
        "Counts": ["By kind", "Kind", "Count", "By channel"],
        "Satisfaction": ["Satisfaction by area (%)", "Area", "Satisfaction rate"],
    }
    # Nothing the workbook itself words is left in Chinese: only names, free text and the second
    # definition column (the Chinese original, as printed) are.
    free = {"王调度", "陈经理", "本月处理及时", "王女士", "清洁班", "李前台"}
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and CJK.search(cell.value):
                    assert cell.value in free or ws.cell(row=cell.row, column=8).value == cell.value, (
                        ws.title, cell.coordinate, cell.value)


def test_the_chinese_workbook_names_its_charts_and_axes_in_chinese():  # R-RV-5 R-RV-3
    assert _chart_texts(book_of(report(survey=_survey()))) == {
        "分类统计": ["按类型统计", "类型", "数量", "按受理渠道统计"],
        "满意度": ["各项满意率（%）", "项目", "满意率"],
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_help_reply_sheet_counts_the_months_help_requests_and_lists_the_late_ones(lang):  # R-IN-5
    book = book_of(report(), lang=lang)
    words = {
        "zh": ("求助答复", "求助 5 分钟内答复", "当月受理求助", "5 分钟内答复", "超过 5 分钟答复或未答复",
               "未答复，未满 5 分钟", "不立项（不计时）", "求助 5 分钟内答复率", "求助超时答复清单", "未答复"),
        "en": ("Help replies", "Help requests: reply within 5 minutes", "Help requests received",
               "Replied within 5 minutes", "Replied after 5 minutes, or not replied",
               "Not replied, 5 minutes not over yet", "Left unopened (no clock)", "Help replies within 5 minutes",
               "Help requests replied to late", "Not replied"),
    }[lang]
    sheet, title, received, in_time, late, pending, unopened, rate, list_title, not_replied = words
    rows = rows_of(book[sheet])
    assert rows[0][0] == title
    assert find(book[sheet], received)[1] == 3 and find(book[sheet], in_time)[1] == 1
    assert find(book[sheet], late)[1] == 2 and find(book[sheet], pending)[1] == 0
    assert find(book[sheet], unopened)[1] == 0
    assert find(book[sheet], rate)[1] == pytest.approx(0.3333)
    start = next(i for i, r in enumerate(rows) if r[0] == list_title)
    listed = rows[start + 2:]
    # H2 replied at 8 min: 3 late; H3 (30 Nov 23:00) never replied, due 23:05, report at 1 Dec 10:00: 655 min.
    assert [r[0] for r in listed] == ["H2", "H3"]
    assert listed[0][3] == datetime(2026, 11, 9, 9, 8) and listed[0][5] == 3
    assert listed[1][2:] == (datetime(2026, 11, 30, 23, 5), not_replied, "李前台", 655)


def test_a_report_frozen_before_the_help_figure_has_no_help_sheet_or_rate():  # R-IN-5 R-RV-4
    import msgspec

    old = msgspec.to_builtins(report())
    del old["help_replies"], old["help_late"]
    book = book_of(msgspec.convert(old, mr.MonthlyReport))
    assert "求助答复" not in book.sheetnames
    assert all(r[0] != "求助 5 分钟内答复率" for r in rows_of(book["概要"]))
