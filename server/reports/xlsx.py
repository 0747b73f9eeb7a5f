"""Export a monthly report to an XLSX workbook (bytes) for the manager and company leadership.

The workbook is in the language the desk shows (`lang`, "zh" by default, or "en"): sheet names, headings,
labels, kind/channel/category/area names, chart and axis titles. Free text (names, results, the
manager's comment) is written as it was entered. Each rate's definition is given in both languages,
the chosen one first, as the printed report does (D71).
"""

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
    NOT_GRADED,
    OVERDUE_TITLE,
    MonthlyReport,
    MonthQuality,
    Rate,
    not_graded,
)

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.00%"
MONEY_FORMAT = "#,##0.00"
UNDEFINED = "—"  # a rate with nothing to measure; never 0 % or 100 %

LANGS = ("zh", "en")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")

# Every word the workbook writes, per language (Chinese first, the report form's own wording). The three
# charts are titled as the desk's report page titles them (pwa/src/desk/reports/strings.js): leadership
# reads the workbook, not the page.
TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "sheet.summary": "概要", "sheet.counts": "分类统计", "sheet.overdue": "超时清单", "sheet.help": "求助答复",
        "sheet.satisfaction": "满意度", "sheet.complaints": "投诉明细",
        "title": "{y}年{m}月 投诉调度记录月总结",
        "period_start": "统计期间起", "period_end": "统计截止", "due_on": "上报期限", "status": "状态",
        "submitted_by": "填报人", "submitted_at": "填报时间", "submitted_late": "逾期上报", "comment": "负责人评语",
        "signed_by": "签名", "signed_at": "签名时间", "revenue": "特约服务收入（元）", "yes": "是", "no": "否",
        "status.draft": "草稿", "status.submitted": "已提交", "status.signed": "已签批",
        "rate": "指标", "numerator": "分子", "denominator": "分母", "value": "数值", "target": "目标", "met": "达标",
        "definition": "定义", "definition_other": "Definition", "is_met": "达标", "missed": "未达标",
        "by_kind": "按类型", "by_category": "按投诉类别", "by_channel": "按受理渠道", "count": "数量", "total": "合计",
        "chart.kind": "按类型统计", "chart.channel": "按受理渠道统计", "chart.satisfaction": "各项满意率（%）",
        "axis.kind": "类型", "axis.count": "数量", "axis.area": "项目", "axis.rate": "满意率",
        "case_no": "案件编号", "kind": "类型", "category": "投诉类别", "received": "受理时间", "due": "时限",
        "done": "完成或书面答复时间", "reply_signer": "签发人", "handler": "处理人", "late_min": "超时（分钟）",
        "not_replied_written": "未书面答复", "open": "未完成",
        "ballots_issued": "发出票数", "ballots_returned": "回收票数",
        "complainant": "投诉人", "complaint_category": "类别", "receiver": "受理人", "method": "处理方式",
        "result": "处理结果", "sat": "满意程度", "valid": "有效投诉",
        "grade.A": "A 满意", "grade.B": "B 一般满意", "grade.C": "C 不满意",
        "help.title": "求助 5 分钟内答复", "help.received": "当月受理求助", "help.in_time": "5 分钟内答复",
        "help.late": "超过 5 分钟答复或未答复", "help.pending": "未答复，未满 5 分钟", "help.not_opened": "不立项（不计时）",
        "help.list": "求助超时答复清单", "help.due": "答复时限", "help.replied": "答复时间",
        "help.not_replied": "未答复",
        "sheet.quality": "质量检查", "quality.title": "每周处理质量检查", "quality.week": "周（周一）",
        "quality.checked_by": "检查人", "quality.checked_at": "检查时间", "quality.cases": "抽查单数",
        "quality.result": "结果", "quality.ok": "合格", "quality.poor": "不合格", "quality.unchecked": "未检查",
        "quality.findings": "发现的问题", "quality.capa": "纠正预防措施报告", "quality.capa_no": "报告编号",
        "capa.not_required": "无需", "capa.owed": "待提交", "capa.returned": "已退回，待重新提交",
        "capa.submitted": "待总经理审批", "capa.accepted": "已审批通过", "capa.filed": "已提交",
        "quality.targets": "未达标指标", "quality.targets_none": "无",
        "quality.capa_needed": "指标未达标，本月尚无纠正预防措施报告",
        "quality.unchecked_weeks": "未做质量检查的周",
    },
    "en": {
        "sheet.summary": "Summary", "sheet.counts": "Counts", "sheet.overdue": "Late cases", "sheet.help": "Help replies",
        "sheet.satisfaction": "Satisfaction", "sheet.complaints": "Complaints",
        "title": "Monthly complaint and dispatch summary, {month_en} {y}",
        "period_start": "Period from", "period_end": "Counted up to", "due_on": "Due on", "status": "Status",
        "submitted_by": "Filled in by", "submitted_at": "Submitted at", "submitted_late": "Submitted late",
        "comment": "Manager's comment", "signed_by": "Signed by", "signed_at": "Signed at",
        "revenue": "Special-service revenue (yuan)", "yes": "Yes", "no": "No",
        "status.draft": "Draft", "status.submitted": "Submitted", "status.signed": "Signed",
        "rate": "Rate", "numerator": "Numerator", "denominator": "Denominator", "value": "Value", "target": "Target",
        "met": "Met", "definition": "Definition", "definition_other": "Definition (Chinese)", "is_met": "Met",
        "missed": "Missed",
        "by_kind": "By kind", "by_category": "By complaint category", "by_channel": "By channel", "count": "Count",
        "total": "Total",
        "chart.kind": "By kind", "chart.channel": "By channel", "chart.satisfaction": "Satisfaction by area (%)",
        "axis.kind": "Kind", "axis.count": "Count", "axis.area": "Area", "axis.rate": "Satisfaction rate",
        "case_no": "Case no.", "kind": "Kind", "category": "Complaint category", "received": "Received", "due": "Due",
        "done": "Done or answered in writing", "reply_signer": "Reply signed by", "handler": "Handler",
        "late_min": "Late (min)",
        "not_replied_written": "No written reply", "open": "Open",
        "ballots_issued": "Ballots issued", "ballots_returned": "Ballots returned",
        "complainant": "Complainant", "complaint_category": "Category", "receiver": "Receiver", "method": "Method",
        "result": "Result", "sat": "Satisfaction", "valid": "Valid",
        "grade.A": "A satisfied", "grade.B": "B fairly satisfied", "grade.C": "C unsatisfied",
        "help.title": "Help requests: reply within 5 minutes", "help.received": "Help requests received",
        "help.in_time": "Replied within 5 minutes", "help.late": "Replied after 5 minutes, or not replied",
        "help.pending": "Not replied, 5 minutes not over yet", "help.not_opened": "Left unopened (no clock)",
        "help.list": "Help requests replied to late", "help.due": "Reply due", "help.replied": "Replied at",
        "help.not_replied": "Not replied",
        "sheet.quality": "Quality checks", "quality.title": "Weekly checks of handling quality",
        "quality.week": "Week (Monday)", "quality.checked_by": "Checked by", "quality.checked_at": "Checked at",
        "quality.cases": "Cases checked", "quality.result": "Result", "quality.ok": "Good", "quality.poor": "Poor",
        "quality.unchecked": "Not checked", "quality.findings": "Findings", "quality.capa": "CAPA report",
        "quality.capa_no": "Report no.",
        "capa.not_required": "Not required", "capa.owed": "Owed", "capa.returned": "Sent back, owed again",
        "capa.submitted": "Waiting for the general manager", "capa.accepted": "Accepted", "capa.filed": "Filed",
        "quality.targets": "Targets missed", "quality.targets_none": "None",
        "quality.capa_needed": "Targets missed and no CAPA report filed this month",
        "quality.unchecked_weeks": "Weeks not checked",
    },
}
BOLD = Font(bold=True)


class _Lang:
    """The workbook's words in one language: `t(key)` a fixed text, `label(table, code)` a code's name."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGS:
            raise ValueError(f"no workbook language {lang!r}")
        self.lang = lang
        self.index = LANGS.index(lang)
        self.text = TEXT[lang]

    def t(self, key: str, **values: Any) -> str:
        return self.text[key].format(**values) if values else self.text[key]

    def label(self, labels: Mapping[str, tuple[str, str]], key: str | None) -> str:
        """The label of a code; an unknown code is shown as it is rather than dropped."""
        if not key:
            return ""
        names = labels.get(key)
        return names[self.index] if names else key

    def pick(self, pair: tuple[str, str]) -> str:
        return pair[self.index]


def monthly_report_xlsx(report: MonthlyReport, *, tz: tzinfo = UTC, names: Mapping[str, str] | None = None,
                        lang: str = "zh", quality: MonthQuality | None = None) -> bytes:
    """Times are written in `tz` (the compound's zone) because Excel cells cannot hold a zone.

    `names` maps the filler's and signer's account ids to their names: the sheet goes to leadership
    on paper, where "usr_manager" names nobody. `lang` is the desk's language ("zh" or "en").
    `quality`, the month's weekly checks (R-RV-4), adds their sheet.
    """
    lg = _Lang(lang)
    book = Workbook()
    _summary(book.active, report, tz, names or {}, lg)
    _counts(book.create_sheet(lg.t("sheet.counts")), report, lg)
    _overdue(book.create_sheet(lg.t("sheet.overdue")), report, tz, lg)
    if report.help_replies is not None:  # a report frozen before the figure existed has none
        _help_replies(book.create_sheet(lg.t("sheet.help")), report, tz, lg)
    _satisfaction(book.create_sheet(lg.t("sheet.satisfaction")), report, lg)
    _complaints(book.create_sheet(lg.t("sheet.complaints")), report, tz, lg)
    if quality is not None:
        _quality(book.create_sheet(lg.t("sheet.quality")), report, quality, tz, lg)
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


def _rate_cells(rate: Rate, lg: _Lang) -> list[Any]:
    value = UNDEFINED if rate.value is None else rate.value / 100
    if not_graded(rate):
        value = lg.pick(NOT_GRADED)  # ballots back, none graded the item: not a 0 % (D139)
    if rate.target_percent is None:
        target = ""
    else:
        target = f"{'≤' if rate.target_is_ceiling else '≥'} {rate.target_percent:g}%"
    met = {True: lg.t("is_met"), False: lg.t("missed"), None: UNDEFINED}[rate.met]
    definitions = (rate.definition_zh, rate.definition_en)
    return [
        lg.pick((rate.label_zh, rate.label_en)),
        rate.numerator,
        rate.denominator,
        value,
        target,
        met,
        definitions[lg.index],  # the workbook's language first, the other beside it (as on paper)
        definitions[1 - lg.index],
    ]


def _write_rates(sheet: Worksheet, rates: Iterable[Rate], lg: _Lang) -> int:
    """Writes the rate table and returns its header row."""
    _header(sheet, [lg.t(k) for k in ("rate", "numerator", "denominator", "value", "target", "met", "definition",
                                      "definition_other")])
    header = sheet.max_row
    for rate in rates:
        sheet.append(_rate_cells(rate, lg))
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


def _summary(sheet: Worksheet, report: MonthlyReport, tz: tzinfo, names: Mapping[str, str], lg: _Lang) -> None:
    sheet.title = lg.t("sheet.summary")
    sheet.append([lg.t("title", y=report.year, m=report.month, month_en=MONTHS_EN[report.month - 1])])
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in (
        ("period_start", report.period_start),
        ("period_end", report.period_end),
        ("due_on", report.due_on),
        ("status", lg.t(f"status.{report.status}") if f"status.{report.status}" in lg.text else report.status),
        ("submitted_by", _person(names, report.submitted_by)),
        ("submitted_at", report.submitted_at or ""),
        ("submitted_late", lg.t("yes") if report.submitted_late else lg.t("no")),
        ("comment", report.manager_comment),
        ("signed_by", _person(names, report.signed_by)),
        ("signed_at", report.signed_at or ""),
    ):
        _append(sheet, [lg.t(label), value], tz)
    sheet.append([lg.t("revenue"), report.special_service_revenue_cents / 100])
    sheet.cell(row=sheet.max_row, column=2).number_format = MONEY_FORMAT
    sheet.append([])
    # The report's rates in one table; the help-reply rate (R-IN-5) after the four R-RV-5 / R-FU-10 ones.
    help_rate = (report.help_replies.rate,) if report.help_replies is not None else ()
    _write_rates(sheet, (*report.rates, *help_rate), lg)
    _widths(sheet, [22, 10, 10, 12, 10, 10, 60, 70])


def _counts(sheet: Worksheet, report: MonthlyReport, lg: _Lang) -> None:
    rows: dict[str, tuple[int, int]] = {}  # table -> (its header row, its last figure row)
    for key, title, counts, labels in (
        ("kind", "by_kind", report.counts_by_kind, KIND_LABELS),
        ("category", "by_category", report.counts_by_category, CATEGORY_LABELS),
        ("channel", "by_channel", report.counts_by_channel, CHANNEL_LABELS),
    ):
        _header(sheet, [lg.t(title), lg.t("count")])
        header = sheet.max_row
        for code, count in counts.items():
            sheet.append([lg.label(labels, code), count])
        rows[key] = (header, sheet.max_row)
        sheet.append([lg.t("total"), sum(counts.values())])
        sheet.append([])
    _widths(sheet, [20, 10])
    # Beside their tables (columns A-B), from the figure rows only: a 合计 bar would dwarf the rest.
    header, last = rows["kind"]
    sheet.add_chart(_kind_chart(sheet, header, last, lg), f"D{header}")
    header, last = rows["channel"]
    if last > header:  # channels are listed only when used: a month with no case has none to draw
        sheet.add_chart(_channel_chart(sheet, header, last, lg), f"D{header}")


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


def _kind_chart(sheet: Worksheet, header: int, last: int, lg: _Lang) -> BarChart:
    chart = BarChart()
    chart.type = "col"
    chart.title = lg.t("chart.kind")
    _axis_titles(chart, lg.t("axis.kind"), lg.t("axis.count"))
    chart.add_data(Reference(sheet, min_col=2, min_row=header, max_row=last), titles_from_data=True)
    _categories(chart, Reference(sheet, min_col=1, min_row=header + 1, max_row=last))
    chart.legend = None  # one series, named by the value axis (the page hides it too)
    chart.x_axis.axPos = "b"
    counts: NumericAxis = chart.y_axis
    counts.scaling.min = 0
    counts.numFmt = NumFmt(formatCode="0", sourceLinked=False)  # counts: no 0.5 on the scale
    chart.width, chart.height = 15, 7.5  # cm; fits above the category table's end
    return chart


def _channel_chart(sheet: Worksheet, header: int, last: int, lg: _Lang) -> DoughnutChart:
    chart = DoughnutChart(holeSize=50)
    chart.title = lg.t("chart.channel")
    chart.add_data(Reference(sheet, min_col=2, min_row=header, max_row=last), titles_from_data=True)
    _categories(chart, Reference(sheet, min_col=1, min_row=header + 1, max_row=last))
    # On paper there is no hovering for a figure: each ring segment carries its count.
    chart.dataLabels = DataLabelList(showVal=True, showCatName=False, showSerName=False, showLegendKey=False,
                                     showPercent=False)
    chart.legend.position = "r"
    chart.width, chart.height = 15, 7.5
    return chart


def _overdue(sheet: Worksheet, report: MonthlyReport, tz: tzinfo, lg: _Lang) -> None:
    # The title says what the list is read against, as the page's heading does: a written inquiry's
    # written reply (R-IN-5) as well as the repair and complaint limits.
    sheet.append([lg.pick(OVERDUE_TITLE)])
    sheet["A1"].font = BOLD
    # A late written reply names who signed it (签发人, D74) beside its time.
    _header(sheet, [lg.t(k) for k in ("case_no", "kind", "category", "received", "due", "done", "reply_signer",
                                      "handler", "late_min")])
    for line in report.overdue:
        _append(
            sheet,
            [
                line.case_no,
                lg.label(KIND_LABELS, line.kind),
                lg.label(CATEGORY_LABELS, line.category),
                line.received_at,
                line.due_at or "",
                line.closed_at or lg.t("not_replied_written" if line.kind == CaseKind.INQUIRY else "open"),
                line.signer or "",
                line.handler,
                line.late_minutes if line.late_minutes is not None else "",
            ],
            tz,
        )
    sheet.freeze_panes = "A3"
    _widths(sheet, [14, 10, 12, 18, 18, 20, 12, 12, 12])


def _help_replies(sheet: Worksheet, report: MonthlyReport, tz: tzinfo, lg: _Lang) -> None:
    """R-IN-5: the month's help requests, how many were replied to within 5 minutes, and the late ones.
    The rate itself, with its definition, is in the summary's rate table."""
    figure = report.help_replies
    assert figure is not None
    sheet.append([lg.t("help.title")])
    sheet["A1"].font = BOLD
    for key, count in (("help.received", figure.received), ("help.in_time", figure.in_time),
                       ("help.late", figure.late), ("help.pending", figure.pending),
                       ("help.not_opened", figure.not_opened)):
        sheet.append([lg.t(key), count])
    sheet.append([lg.pick((figure.rate.label_zh, figure.rate.label_en)),
                  UNDEFINED if figure.rate.value is None else figure.rate.value / 100])
    if figure.rate.value is not None:
        sheet.cell(row=sheet.max_row, column=2).number_format = PERCENT_FORMAT
    sheet.append([])
    sheet.append([lg.t("help.list")])
    sheet.cell(row=sheet.max_row, column=1).font = BOLD
    _header(sheet, [lg.t(k) for k in ("case_no", "received", "help.due", "help.replied", "receiver", "late_min")])
    for line in report.help_late:
        _append(sheet, [line.case_no, line.received_at, line.due_at, line.replied_at or lg.t("help.not_replied"),
                        line.receiver, line.late_minutes], tz)
    _widths(sheet, [30, 18, 18, 18, 12, 12])


def _satisfaction(sheet: Worksheet, report: MonthlyReport, lg: _Lang) -> None:
    sheet.append([lg.t("ballots_issued"), report.ballots_issued])
    sheet.append([lg.t("ballots_returned"), report.ballots_returned])
    sheet.append([])
    header = _write_rates(sheet, report.satisfaction, lg)
    last = sheet.max_row
    _widths(sheet, [26, 10, 10, 12, 10, 10, 60, 70])
    # No ballot back: every rate is "—" (R-RV-3) and the page shows a sentence, not a chart; a chart
    # over "—" cells would draw every area at 0 %.
    if report.ballots_returned > 0:
        # Below the table: beside it is past the two wide definition columns, off any screen.
        sheet.add_chart(_satisfaction_chart(sheet, header, last, lg), f"A{last + 2}")


def _satisfaction_chart(sheet: Worksheet, header: int, last: int, lg: _Lang) -> BarChart:
    chart = BarChart()
    chart.type = "bar"  # horizontal: fourteen area names read across, as on the page
    chart.title = lg.t("chart.satisfaction")
    _axis_titles(chart, lg.t("axis.area"), lg.t("axis.rate"))
    chart.add_data(Reference(sheet, min_col=4, min_row=header + 1, max_row=last))
    chart.series[0].tx = SeriesLabel(v=lg.t("axis.rate"))
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


def _complaints(sheet: Worksheet, report: MonthlyReport, tz: tzinfo, lg: _Lang) -> None:
    _header(sheet, [lg.t(k) for k in ("case_no", "received", "complainant", "complaint_category", "receiver",
                                      "handler", "method", "result", "sat", "valid")])
    for line in report.complaints:
        _append(
            sheet,
            [
                line.case_no,
                line.received_at,
                line.complainant,
                lg.label(CATEGORY_LABELS, line.category),
                line.receiver,
                line.handler,
                line.method_en if lg.lang == "en" else line.method,
                line.result,
                lg.t(f"grade.{line.satisfaction}") if line.satisfaction else "",
                {True: lg.t("yes"), False: lg.t("no"), None: ""}[line.valid],
            ],
            tz,
        )
    sheet.freeze_panes = "A2"
    _widths(sheet, [14, 18, 12, 12, 12, 12, 16, 24, 12, 10])


def _quality(sheet: Worksheet, report: MonthlyReport, quality: MonthQuality, tz: tzinfo, lg: _Lang) -> None:
    """R-RV-4: the month's weekly checks, each week never checked flagged, the CAPA report of each poor
    week as it stands, and the R-FU-10 targets the month missed, as the page lists them."""
    sheet.append([lg.t("quality.title")])
    sheet["A1"].font = BOLD
    _header(sheet, [lg.t(k) for k in ("quality.week", "quality.checked_by", "quality.checked_at", "quality.cases",
                                      "quality.result", "quality.findings", "quality.capa", "quality.capa_no")])
    for week in quality.weeks:
        if not week.checked:
            _append(sheet, [week.week_start, "", "", "", lg.t("quality.unchecked")], tz)
            continue
        _append(sheet, [week.week_start, week.checked_by, week.checked_at or "", week.cases_checked,
                        lg.t("quality.poor" if week.poor_quality else "quality.ok"), week.findings,
                        lg.t(f"capa.{week.capa_state}") if week.capa_state else "", week.capa_report_no or ""], tz)
    sheet.append([])
    sheet.append([lg.t("quality.unchecked_weeks"), ", ".join(d.isoformat() for d in quality.unchecked_weeks)
                  or lg.t("quality.targets_none")])
    sheet.append([])
    sheet.append([lg.t("quality.targets")])
    sheet.cell(row=sheet.max_row, column=1).font = BOLD
    missed = [r for r in report.rates if r.key in quality.targets_missed]
    for rate in missed:
        cells = _rate_cells(rate, lg)
        sheet.append(cells[:6])
        if rate.value is not None:
            sheet.cell(row=sheet.max_row, column=4).number_format = PERCENT_FORMAT
    if not missed:
        sheet.append([lg.t("quality.targets_none")])
    if quality.capa_needed:
        sheet.append([lg.t("quality.capa_needed")])
    sheet.freeze_panes = "A3"
    _widths(sheet, [16, 12, 18, 10, 10, 30, 22, 16])
