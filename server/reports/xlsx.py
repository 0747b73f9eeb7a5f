"""Export a monthly report to an XLSX workbook (bytes) for the manager and company leadership."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, DoughnutChart, Reference
from openpyxl.chart.axis import NumericAxis, TextAxis
from openpyxl.chart.data_source import AxDataSource, NumFmt, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from server.domain.cases import Kind as CaseKind
from server.domain.monthly_report import (
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    KIND_LABELS,
    OVERDUE_TITLE,
    MonthlyReport,
    Rate,
)
from server.domain.surveys import Grade

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.00%"
MONEY_FORMAT = "#,##0.00"
UNDEFINED = "—"  # a rate with nothing to measure; never 0 % or 100 %

SHEET_SUMMARY = "概要"
SHEET_COUNTS = "分类统计"
SHEET_OVERDUE = "超时清单"
SHEET_SATISFACTION = "满意度"
SHEET_COMPLAINTS = "投诉明细"

# The same three charts as the desk's report page (pwa/src/desk/reports/index.js), titled as it titles
# them: leadership reads the workbook, not the page. The workbook is Chinese only, as its sheets are.
CHART_KIND = "按类型统计"
CHART_CHANNEL = "按受理渠道统计"
CHART_SATISFACTION = "各项满意率（%）"

STATUS_ZH = {"draft": "草稿", "submitted": "已提交", "signed": "已签批"}
GRADE_ZH = {Grade.A: "A 满意", Grade.B: "B 一般满意", Grade.C: "C 不满意"}
BOLD = Font(bold=True)


def monthly_report_xlsx(report: MonthlyReport, *, tz: tzinfo = UTC, names: Mapping[str, str] | None = None) -> bytes:
    """Times are written in `tz` (the compound's zone) because Excel cells cannot hold a zone.

    `names` maps the filler's and signer's account ids to their names: the sheet goes to leadership
    on paper, where "usr_manager" names nobody.
    """
    book = Workbook()
    _summary(book.active, report, tz, names or {})
    _counts(book.create_sheet(SHEET_COUNTS), report)
    _overdue(book.create_sheet(SHEET_OVERDUE), report, tz)
    _satisfaction(book.create_sheet(SHEET_SATISFACTION), report)
    _complaints(book.create_sheet(SHEET_COMPLAINTS), report, tz)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _cell_value(value: Any, tz: tzinfo) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(tz).replace(tzinfo=None)
    return value


def _append(sheet: Worksheet, values: Sequence[Any], tz: tzinfo = UTC) -> None:
    sheet.append([_cell_value(v, tz) for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(cell.value, date):
            cell.number_format = DATE_FORMAT


def _header(sheet: Worksheet, titles: Iterable[str]) -> None:
    sheet.append(list(titles))
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD


def _widths(sheet: Worksheet, widths: Sequence[int]) -> None:
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width


def _label(labels: dict[str, tuple[str, str]], key: str | None) -> str:
    """The Chinese label of a code; an unknown code is shown as it is rather than dropped."""
    if not key:
        return ""
    return labels.get(key, (key,))[0]


def _rate_cells(rate: Rate) -> list[Any]:
    value = UNDEFINED if rate.value is None else rate.value / 100
    if rate.target_percent is None:
        target = ""
    else:
        target = f"{'≤' if rate.target_is_ceiling else '≥'} {rate.target_percent:g}%"
    met = {True: "达标", False: "未达标", None: UNDEFINED}[rate.met]
    return [
        rate.label_zh,
        rate.numerator,
        rate.denominator,
        value,
        target,
        met,
        rate.definition_zh,
        rate.definition_en,
    ]


def _write_rates(sheet: Worksheet, rates: Iterable[Rate]) -> int:
    """Writes the rate table and returns its header row."""
    _header(sheet, ["指标", "分子", "分母", "数值", "目标", "达标", "定义", "Definition"])
    header = sheet.max_row
    for rate in rates:
        sheet.append(_rate_cells(rate))
        value_cell = sheet.cell(row=sheet.max_row, column=4)
        if rate.value is not None:
            value_cell.number_format = PERCENT_FORMAT
        else:
            value_cell.alignment = Alignment(horizontal="center")
        for col in (7, 8):
            sheet.cell(row=sheet.max_row, column=col).alignment = Alignment(wrap_text=True, vertical="top")
    return header


def _person(names: Mapping[str, str], user_id: str | None) -> str:
    return names.get(user_id, user_id) if user_id else ""


def _summary(sheet: Worksheet, report: MonthlyReport, tz: tzinfo, names: Mapping[str, str]) -> None:
    sheet.title = SHEET_SUMMARY
    sheet.append([f"{report.year}年{report.month}月 投诉调度记录月总结"])
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in (
        ("统计期间起", report.period_start),
        ("统计截止", report.period_end),
        ("上报期限", report.due_on),
        ("状态", STATUS_ZH.get(report.status, report.status)),
        ("填报人", _person(names, report.submitted_by)),
        ("填报时间", report.submitted_at or ""),
        ("逾期上报", "是" if report.submitted_late else "否"),
        ("负责人评语", report.manager_comment),
        ("签名", _person(names, report.signed_by)),
        ("签名时间", report.signed_at or ""),
    ):
        _append(sheet, [label, value], tz)
    sheet.append(["特约服务收入(元)", report.special_service_revenue_cents / 100])
    sheet.cell(row=sheet.max_row, column=2).number_format = MONEY_FORMAT
    sheet.append([])
    _write_rates(sheet, report.rates)
    _widths(sheet, [22, 10, 10, 12, 10, 10, 60, 70])


def _counts(sheet: Worksheet, report: MonthlyReport) -> None:
    rows: dict[str, tuple[int, int]] = {}  # table -> (its header row, its last figure row)
    for key, title, counts, labels in (
        ("kind", "按类型", report.counts_by_kind, KIND_LABELS),
        ("category", "按投诉类别", report.counts_by_category, CATEGORY_LABELS),
        ("channel", "按受理渠道", report.counts_by_channel, CHANNEL_LABELS),
    ):
        _header(sheet, [title, "数量"])
        header = sheet.max_row
        for code, count in counts.items():
            sheet.append([_label(labels, code), count])
        rows[key] = (header, sheet.max_row)
        sheet.append(["合计", sum(counts.values())])
        sheet.append([])
    _widths(sheet, [20, 10])
    # Beside their tables (columns A-B), from the figure rows only: a 合计 bar would dwarf the rest.
    header, last = rows["kind"]
    sheet.add_chart(_kind_chart(sheet, header, last), f"D{header}")
    header, last = rows["channel"]
    if last > header:  # channels are listed only when used: a month with no case has none to draw
        sheet.add_chart(_channel_chart(sheet, header, last), f"D{header}")


def _categories(chart: BarChart | DoughnutChart, labels: Reference) -> None:
    # set_categories() files the labels as a number reference; they are text (kind, channel and area
    # names), which Excel itself files as a string reference.
    chart.series[0].cat = AxDataSource(strRef=StrRef(f=str(labels)))


def _axis_titles(chart: BarChart, category: str, value: str) -> None:
    chart.x_axis.title = category
    chart.y_axis.title = value
    # openpyxl 3.1 writes no <c:delete> unless told, and Excel then hides both axes: bars with no
    # names and no scale.
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _kind_chart(sheet: Worksheet, header: int, last: int) -> BarChart:
    chart = BarChart()
    chart.type = "col"
    chart.title = CHART_KIND
    _axis_titles(chart, "类型", "数量")
    chart.add_data(Reference(sheet, min_col=2, min_row=header, max_row=last), titles_from_data=True)
    _categories(chart, Reference(sheet, min_col=1, min_row=header + 1, max_row=last))
    chart.legend = None  # one series, named by the value axis (the page hides it too)
    chart.x_axis.axPos = "b"
    counts: NumericAxis = chart.y_axis
    counts.scaling.min = 0
    counts.numFmt = NumFmt(formatCode="0", sourceLinked=False)  # counts: no 0.5 on the scale
    chart.width, chart.height = 15, 7.5  # cm; fits above the category table's end
    return chart


def _channel_chart(sheet: Worksheet, header: int, last: int) -> DoughnutChart:
    chart = DoughnutChart(holeSize=50)
    chart.title = CHART_CHANNEL
    chart.add_data(Reference(sheet, min_col=2, min_row=header, max_row=last), titles_from_data=True)
    _categories(chart, Reference(sheet, min_col=1, min_row=header + 1, max_row=last))
    # On paper there is no hovering for a figure: each ring segment carries its count.
    chart.dataLabels = DataLabelList(showVal=True, showCatName=False, showSerName=False, showLegendKey=False,
                                     showPercent=False)
    chart.legend.position = "r"
    chart.width, chart.height = 15, 7.5
    return chart


def _overdue(sheet: Worksheet, report: MonthlyReport, tz: tzinfo) -> None:
    # The title says what the list is read against, as the page's heading does: a written inquiry's
    # written reply (R-IN-5) as well as the repair and complaint limits.
    sheet.append([OVERDUE_TITLE[0]])
    sheet["A1"].font = BOLD
    _header(sheet, ["案件编号", "类型", "投诉类别", "受理时间", "时限", "完成或书面答复时间", "处理人", "超时(分钟)"])
    for line in report.overdue:
        _append(
            sheet,
            [
                line.case_no,
                _label(KIND_LABELS, line.kind),
                _label(CATEGORY_LABELS, line.category),
                line.received_at,
                line.due_at or "",
                line.closed_at or ("未书面答复" if line.kind == CaseKind.INQUIRY else "未完成"),
                line.handler,
                line.late_minutes if line.late_minutes is not None else "",
            ],
            tz,
        )
    sheet.freeze_panes = "A3"
    _widths(sheet, [14, 10, 12, 18, 18, 20, 12, 12])


def _satisfaction(sheet: Worksheet, report: MonthlyReport) -> None:
    sheet.append(["发出票数", report.ballots_issued])
    sheet.append(["回收票数", report.ballots_returned])
    sheet.append([])
    header = _write_rates(sheet, report.satisfaction)
    last = sheet.max_row
    _widths(sheet, [26, 10, 10, 12, 10, 10, 60, 70])
    # No ballot back: every rate is "—" (R-RV-3) and the page shows a sentence, not a chart; a chart
    # over "—" cells would draw every area at 0 %.
    if report.ballots_returned > 0:
        # Below the table: beside it is past the two wide definition columns, off any screen.
        sheet.add_chart(_satisfaction_chart(sheet, header, last), f"A{last + 2}")


def _satisfaction_chart(sheet: Worksheet, header: int, last: int) -> BarChart:
    chart = BarChart()
    chart.type = "bar"  # horizontal: fourteen area names read across, as on the page
    chart.title = CHART_SATISFACTION
    _axis_titles(chart, "项目", "满意率")
    chart.add_data(Reference(sheet, min_col=4, min_row=header + 1, max_row=last))
    chart.series[0].tx = SeriesLabel(v="满意率")
    _categories(chart, Reference(sheet, min_col=1, min_row=header + 1, max_row=last))
    chart.legend = None
    areas: TextAxis = chart.x_axis
    rates: NumericAxis = chart.y_axis
    # Excel lists a bar chart's categories bottom-up; the table (and the page) list them top-down.
    # Reversed, the value axis would move to the top unless it crosses at the far end.
    areas.scaling.orientation = "maxMin"
    rates.crosses = "max"
    rates.axPos = "b"
    # The cells hold fractions shown as per cent: the scale runs 0-100 %, never auto-zoomed to 60-80 %.
    rates.scaling.min, rates.scaling.max = 0, 1
    rates.numFmt = NumFmt(formatCode="0%", sourceLinked=False)
    chart.width, chart.height = 16, 12
    return chart


def _complaints(sheet: Worksheet, report: MonthlyReport, tz: tzinfo) -> None:
    _header(
        sheet,
        [
            "案件编号",
            "受理时间",
            "投诉人",
            "类别",
            "受理人",
            "处理人",
            "处理方式",
            "处理结果",
            "满意程度",
            "有效投诉",
        ],
    )
    for line in report.complaints:
        _append(
            sheet,
            [
                line.case_no,
                line.received_at,
                line.complainant,
                _label(CATEGORY_LABELS, line.category),
                line.receiver,
                line.handler,
                line.method,
                line.result,
                GRADE_ZH.get(line.satisfaction, "") if line.satisfaction else "",
                {True: "是", False: "否", None: ""}[line.valid],
            ],
            tz,
        )
    sheet.freeze_panes = "A2"
    _widths(sheet, [14, 18, 12, 12, 12, 12, 16, 24, 12, 10])
