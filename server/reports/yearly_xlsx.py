"""Export a yearly complaint analysis report (客户投诉报告, R-RV-5) to an XLSX workbook (bytes) for leadership.

In the desk's language (`lang`, "zh" by default, or "en"), as the monthly report's workbook (D71), whose
helpers it uses: the summary with the year's rates and the manager's analysis, the months with their chart,
the categories and places, the repeat units, the complaints open at the year's end, and the register. Free
text (names, the analysis, results) is written as it was entered.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, tzinfo
from io import BytesIO

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.axis import NumericAxis
from openpyxl.chart.data_source import NumFmt
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from server.domain.complaint_report import REPEAT_AT, YearlyComplaintReport
from server.domain.monthly_report import CATEGORY_LABELS
from server.reports.xlsx import (
    BOLD,
    MONTHS_EN,
    PERCENT_FORMAT,
    UNDEFINED,
    _append,
    _axis_titles,
    _categories,
    _header,
    _Lang,
    _person,
    _widths,
    _write_rates,
)
from server.reports.xlsx import TEXT as MONTHLY_TEXT

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "sheet.summary": "概要", "sheet.months": "按月统计", "sheet.places": "类别与部位", "sheet.repeat": "重复投诉",
        "sheet.open": "年末未结投诉", "sheet.register": "投诉登记",
        "title": "{y}年度客户投诉报告", "period_start": "统计期间起", "period_end": "统计截止", "status": "状态",
        "status.draft": "草稿（实时计算）", "status.submitted": "已提交分管副总经理", "status.acknowledged": "分管副总经理已签收",
        "received": "全年受理投诉", "author": "报告人", "submitted_at": "提交时间", "acknowledged_by": "签收人（分管副总经理）",
        "acknowledged_at": "签收时间", "ack_comment": "签收意见", "cause": "原因分析", "actions": "整改措施",
        "call_backs": "投诉回访评价", "grade.A": "A 满意", "grade.B": "B 一般满意", "grade.C": "C 不满意",
        "not_graded": "未回访或未评价",
        "month": "月份", "month_n": "{m}月", "complaints": "投诉数", "valid": "有效投诉", "judged": "已判定责任",
        "validity": "有效投诉率", "timely": "时限内处理", "due": "到期", "timely_rate": "处理及时率",
        "satisfied": "满意及一般满意", "graded": "有回访评价", "sat_rate": "回访满意率", "total": "全年",
        "chart.months": "各月投诉数", "axis.month": "月份", "axis.count": "投诉数",
        "by_category": "按投诉类别", "category": "类别", "count": "数量", "top_buildings": "投诉最多的楼栋",
        "building": "楼栋", "top_units": "投诉最多的房号", "unit": "房号", "repeat_rule": "同一房号全年投诉 {n} 次及以上",
        "case_nos": "案件编号", "none": "无",
        "case_no": "案件编号", "received_at": "受理时间", "complainant": "投诉人", "handler": "处理人",
        "days_open": "已开放天数", "receiver": "受理人", "method": "处理方式", "result": "处理结果", "sat": "满意程度",
        "yes": "是", "no": "否",
    },
    "en": {
        "sheet.summary": "Summary", "sheet.months": "By month", "sheet.places": "Categories and places",
        "sheet.repeat": "Repeat complaints", "sheet.open": "Open at year end", "sheet.register": "Register",
        "title": "Yearly complaint report {y}", "period_start": "Period from", "period_end": "Counted up to",
        "status": "Status", "status.draft": "Draft (live figures)", "status.submitted": "Handed to the deputy GM",
        "status.acknowledged": "Acknowledged by the deputy GM",
        "received": "Complaints received in the year", "author": "Written by", "submitted_at": "Handed in at",
        "acknowledged_by": "Acknowledged by (deputy GM)", "acknowledged_at": "Acknowledged at",
        "ack_comment": "Deputy GM's comment", "cause": "Cause analysis", "actions": "Corrective measures",
        "call_backs": "Complaint call-back grades", "grade.A": "A satisfied", "grade.B": "B fairly satisfied",
        "grade.C": "C unsatisfied", "not_graded": "Not called back or not graded",
        "month": "Month", "month_n": "{month_en}", "complaints": "Complaints", "valid": "Valid", "judged": "Judged",
        "validity": "Validity rate", "timely": "Handled in time", "due": "Due", "timely_rate": "Timely-handling rate",
        "satisfied": "A + B", "graded": "Graded", "sat_rate": "Call-back satisfaction", "total": "Year",
        "chart.months": "Complaints by month", "axis.month": "Month", "axis.count": "Complaints",
        "by_category": "By complaint category", "category": "Category", "count": "Count",
        "top_buildings": "Buildings with most complaints", "building": "Building",
        "top_units": "Units with most complaints", "unit": "Unit", "repeat_rule": "One unit, {n} or more complaints in the year",
        "case_nos": "Case nos.", "none": "None",
        "case_no": "Case no.", "received_at": "Received", "complainant": "Complainant", "handler": "Handler",
        "days_open": "Days open", "receiver": "Receiver", "method": "Method", "result": "Result", "sat": "Satisfaction",
        "yes": "Yes", "no": "No",
    },
}


class _YearLang(_Lang):
    """The monthly workbook's language helper over this workbook's words (and its rate table's)."""

    def __init__(self, lang: str) -> None:
        super().__init__(lang)
        # The rate table's headings are the monthly workbook's; the rest are this workbook's own.
        self.text = {**MONTHLY_TEXT[lang], **TEXT[lang]}


def yearly_report_xlsx(report: YearlyComplaintReport, *, tz: tzinfo = UTC, names: Mapping[str, str] | None = None,
                       lang: str = "zh") -> bytes:
    """Times in `tz` (the compound's zone; Excel cells hold none); `names` maps account ids to names."""
    lg = _YearLang(lang)
    book = Workbook()
    _summary(book.active, report, tz, names or {}, lg)
    _months(book.create_sheet(lg.t("sheet.months")), report, lg)
    _places(book.create_sheet(lg.t("sheet.places")), report, lg)
    _repeats(book.create_sheet(lg.t("sheet.repeat")), report, lg)
    _open(book.create_sheet(lg.t("sheet.open")), report, tz, lg)
    _register(book.create_sheet(lg.t("sheet.register")), report, tz, lg)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _wrap(sheet: Worksheet) -> None:
    sheet.cell(row=sheet.max_row, column=2).alignment = Alignment(wrap_text=True, vertical="top")


def _summary(sheet: Worksheet, report: YearlyComplaintReport, tz: tzinfo, names: Mapping[str, str],
             lg: _YearLang) -> None:
    sheet.title = lg.t("sheet.summary")
    sheet.append([lg.t("title", y=report.year)])
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in (
        ("period_start", report.period_start),
        ("period_end", report.period_end),
        ("status", lg.t(f"status.{report.status}")),
        ("received", report.received),
        ("author", _person(names, report.submitted_by or report.analysis_saved_by)),
        ("submitted_at", report.submitted_at or ""),
        ("acknowledged_by", _person(names, report.acknowledged_by)),
        ("acknowledged_at", report.acknowledged_at or ""),
        ("ack_comment", report.acknowledgement_comment),
    ):
        _append(sheet, [lg.t(label), value], tz)
    sheet.append([])
    # The analysis is the report's substance (seed 001 八): each in a tall wrapped cell of its own.
    for label, text in (("cause", report.analysis.cause_analysis), ("actions", report.analysis.corrective_actions)):
        sheet.append([lg.t(label), text])
        sheet.cell(row=sheet.max_row, column=1).font = BOLD
        _wrap(sheet)
    sheet.append([])
    grades = report.call_backs
    sheet.append([lg.t("call_backs")])
    sheet.cell(row=sheet.max_row, column=1).font = BOLD
    for key, count in (("grade.A", grades.a), ("grade.B", grades.b), ("grade.C", grades.c),
                       ("not_graded", grades.not_graded)):
        sheet.append([lg.t(key), count])
    sheet.append([])
    _write_rates(sheet, (report.validity, report.timely_handling, grades.rate), lg)
    _widths(sheet, [22, 60, 10, 12, 10, 10, 60, 70])


def _pct(sheet: Worksheet, column: int, value: float | None) -> None:
    cell = sheet.cell(row=sheet.max_row, column=column)
    cell.value = UNDEFINED if value is None else value / 100
    if value is not None:
        cell.number_format = PERCENT_FORMAT
    else:
        cell.alignment = Alignment(horizontal="center")


def _months(sheet: Worksheet, report: YearlyComplaintReport, lg: _YearLang) -> None:
    _header(sheet, [lg.t(k) for k in ("month", "complaints", "valid", "judged", "validity", "timely", "due",
                                      "timely_rate", "satisfied", "graded", "sat_rate")])
    header = sheet.max_row
    for m in report.months:
        sheet.append([lg.t("month_n", m=m.month, month_en=MONTHS_EN[m.month - 1]), m.received,
                      m.validity.numerator, m.validity.denominator, None, m.timely_handling.numerator,
                      m.timely_handling.denominator, None, m.call_back_satisfaction.numerator,
                      m.call_back_satisfaction.denominator, None])
        for col, rate in ((5, m.validity), (8, m.timely_handling), (11, m.call_back_satisfaction)):
            _pct(sheet, col, rate.value)
    last = sheet.max_row
    rates = (report.validity, report.timely_handling, report.call_backs.rate)
    sheet.append([lg.t("total"), report.received, rates[0].numerator, rates[0].denominator, None, rates[1].numerator,
                  rates[1].denominator, None, rates[2].numerator, rates[2].denominator, None])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    for col, rate in zip((5, 8, 11), rates, strict=True):
        _pct(sheet, col, rate.value)
    _widths(sheet, [12, 10, 10, 12, 12, 12, 10, 14, 14, 12, 14])
    sheet.freeze_panes = "B2"
    sheet.add_chart(_month_chart(sheet, header, last, lg), f"A{sheet.max_row + 2}")


def _month_chart(sheet: Worksheet, header: int, last: int, lg: _YearLang) -> BarChart:
    chart = BarChart()
    chart.type = "col"
    chart.title = lg.t("chart.months")
    _axis_titles(chart, lg.t("axis.month"), lg.t("axis.count"))
    chart.add_data(Reference(sheet, min_col=2, min_row=header, max_row=last), titles_from_data=True)
    _categories(chart, Reference(sheet, min_col=1, min_row=header + 1, max_row=last))
    chart.legend = None  # one series, named by the value axis, as on the page
    counts: NumericAxis = chart.y_axis
    counts.scaling.min = 0
    counts.numFmt = NumFmt(formatCode="0", sourceLinked=False)  # counts: no 0.5 on the scale
    chart.width, chart.height = 18, 8
    return chart


def _places(sheet: Worksheet, report: YearlyComplaintReport, lg: _YearLang) -> None:
    _header(sheet, [lg.t("by_category"), lg.t("count")])
    for code, count in report.counts_by_category.items():
        sheet.append([lg.label(CATEGORY_LABELS, code), count])
    sheet.append([lg.t("total"), sum(report.counts_by_category.values())])
    for title, column, tallies in (("top_buildings", "building", report.top_buildings),
                                   ("top_units", "unit", report.top_units)):
        sheet.append([])
        sheet.append([lg.t(title)])
        sheet.cell(row=sheet.max_row, column=1).font = BOLD
        _header(sheet, [lg.t(column), lg.t("count")])
        for tally in tallies:
            sheet.append([tally.key, tally.count])
        if not tallies:
            sheet.append([lg.t("none")])
    _widths(sheet, [24, 10])


def _repeats(sheet: Worksheet, report: YearlyComplaintReport, lg: _YearLang) -> None:
    sheet.append([lg.t("repeat_rule", n=REPEAT_AT)])
    sheet["A1"].font = BOLD
    _header(sheet, [lg.t(k) for k in ("unit", "building", "count", "case_nos")])
    for unit in report.repeat_units:
        sheet.append([unit.unit, unit.building, unit.count, "、".join(unit.case_nos) if lg.lang == "zh"
                      else ", ".join(unit.case_nos)])
    if not report.repeat_units:
        sheet.append([lg.t("none")])
    _widths(sheet, [16, 12, 10, 60])


def _open(sheet: Worksheet, report: YearlyComplaintReport, tz: tzinfo, lg: _YearLang) -> None:
    _header(sheet, [lg.t(k) for k in ("case_no", "received_at", "category", "unit", "complainant", "handler",
                                      "days_open")])
    for line in report.open_at_year_end:
        _append(sheet, [line.case_no, line.received_at, lg.label(CATEGORY_LABELS, line.category), line.unit,
                        line.complainant, line.handler, line.days_open], tz)
    sheet.freeze_panes = "A2"
    _widths(sheet, [16, 18, 12, 14, 12, 12, 12])


def _register(sheet: Worksheet, report: YearlyComplaintReport, tz: tzinfo, lg: _YearLang) -> None:
    _header(sheet, [lg.t(k) for k in ("case_no", "received_at", "complainant", "unit", "category", "receiver",
                                      "handler", "method", "result", "sat", "valid")])
    for line in report.complaints:
        _append(sheet, [line.case_no, line.received_at, line.complainant, line.unit,
                        lg.label(CATEGORY_LABELS, line.category), line.receiver, line.handler,
                        line.method_en if lg.lang == "en" else line.method, line.result,
                        lg.t(f"grade.{line.satisfaction}") if line.satisfaction else "",
                        {True: lg.t("yes"), False: lg.t("no"), None: ""}[line.valid]], tz)
    sheet.freeze_panes = "A2"
    _widths(sheet, [16, 18, 12, 14, 12, 12, 12, 16, 24, 12, 10])
