"""The XLSX export draws the page's charts as native Excel charts over the workbook's own cells.

The desk's report page charts three things (pwa/src/desk/reports/index.js): cases by kind (bars),
cases by channel (a doughnut) and, once ballots came back, the item satisfaction rates (horizontal
bars). Leadership reads the workbook, not the page: the same charts must be there, and each must be
drawn from the cells that hold the report's figures, so that what the chart shows and what the table
says cannot differ.
"""

from __future__ import annotations

import io

from openpyxl import load_workbook
from openpyxl.chart import BarChart, DoughnutChart
from openpyxl.utils.cell import range_boundaries

from tests.conftest import login
from tests.integration.test_reports_monthly import _november


def _text(title) -> str:  # noqa: ANN001
    """A chart or axis title's rich text, as Excel shows it."""
    if title is None or title.tx is None or title.tx.rich is None:
        return ""
    return "".join(run.t for p in title.tx.rich.p for run in (p.r or []))


def _cells(book, ref: str) -> list:  # noqa: ANN001
    """The values a chart formula such as '分类统计'!$B$2:$B$7 points at, in order."""
    sheet, _, area = ref.rpartition("!")
    min_col, min_row, max_col, max_row = range_boundaries(area.replace("$", ""))
    ws = book[sheet.strip("'")]
    return [ws.cell(row=r, column=c).value for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]


def _category_ref(series) -> str:  # noqa: ANN001
    return (series.cat.strRef or series.cat.numRef).f


async def _xlsx_and_report(client) -> tuple:  # noqa: ANN001
    mgr = await login(client, "manager")
    desk = await login(client, "dispatcher")
    sid = (await client.post("/api/surveys", headers=mgr, json={"title": "11月综合回访", "issued": 10})).json()["id"]
    for grades in ({"overall": "A", "cleaning": "A", "parking": "B"}, {"overall": "A", "cleaning": "C"},
                   {"overall": "B", "security": "A"}, {"overall": "C"}):
        r = await client.post(f"/api/surveys/{sid}/ballots", headers=desk, json={"grades": grades})
        assert r.status_code == 200, r.text
    rep = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    r = await client.get("/api/reports/monthly/2026/11/xlsx", headers=mgr)
    assert r.status_code == 200, r.text
    return load_workbook(io.BytesIO(r.content)), rep


async def test_the_xlsx_charts_what_the_page_charts_from_the_cells_holding_the_figures(client, clock):  # R-RV-5 R-RV-3
    await _november(client, clock)
    book, rep = await _xlsx_and_report(client)
    charts = {_text(chart.title): (ws, chart) for ws in book.worksheets for chart in ws._charts}
    assert set(charts) == {"按类型统计", "按受理渠道统计", "各项满意率（%）"}, set(charts)

    # Cases by kind: upright bars, one per kind, over the counts sheet's kind table.
    ws, kind = charts["按类型统计"]
    assert ws.title == "分类统计"
    assert isinstance(kind, BarChart) and kind.type == "col"
    (series,) = kind.series
    assert _cells(book, _category_ref(series)) == [rep["labels"]["kind"][k] for k in rep["counts_by_kind"]]
    assert _cells(book, series.val.numRef.f) == list(rep["counts_by_kind"].values())
    assert (_text(kind.x_axis.title), _text(kind.y_axis.title)) == ("类型", "数量")
    # openpyxl 3.1 leaves axes "deleted" unless told otherwise: Excel then draws bars with no scale.
    assert kind.x_axis.delete is False and kind.y_axis.delete is False

    # Cases by channel: a doughnut, as on the page, over the channel table (no total row in it).
    ws, channel = charts["按受理渠道统计"]
    assert ws.title == "分类统计"
    assert isinstance(channel, DoughnutChart)
    (series,) = channel.series
    assert rep["counts_by_channel"] == {"phone": 4, "walk_in": 1}  # the hand-worked November
    assert _cells(book, _category_ref(series)) == [rep["labels"]["channel"][k] for k in rep["counts_by_channel"]]
    assert _cells(book, series.val.numRef.f) == list(rep["counts_by_channel"].values())

    # Item satisfaction: horizontal bars, one per survey area (R-RV-2), the rate cells being fractions.
    ws, sat = charts["各项满意率（%）"]
    assert ws.title == "满意度"
    assert isinstance(sat, BarChart) and sat.type == "bar"
    (series,) = sat.series
    assert _cells(book, _category_ref(series)) == [r["label_zh"] for r in rep["satisfaction"]]
    values = _cells(book, series.val.numRef.f)
    # An area no ballot graded holds 未评, not a 0 (R-RV-3): Excel draws it no bar, as the page does.
    assert [v if isinstance(v, str) else round(v * 100, 2) for v in values] == [
        "未评" if r["graded"] == 0 else r["value"] for r in rep["satisfaction"]]
    assert values.count("未评") == 10  # four of the fourteen areas were graded
    overall = next(r for r in rep["satisfaction"] if r["key"] == "satisfaction.overall")
    assert overall["value"] == 75.0  # (A + B) / returned = 3 / 4
    assert (_text(sat.x_axis.title), _text(sat.y_axis.title)) == ("项目", "满意率")
    assert (sat.y_axis.scaling.min, sat.y_axis.scaling.max) == (0, 1)  # 0–100 %, as on the page
    assert sat.x_axis.delete is False and sat.y_axis.delete is False

    # Each chart sits beside its table (right of every filled column) or below its data, never over
    # the figures it draws.
    for ws, chart in charts.values():
        start = chart.anchor._from  # 0-based: col 3 is D
        _, _, _, last_row = range_boundaries(chart.series[0].val.numRef.f.rpartition("!")[2].replace("$", ""))
        assert start.col >= ws.max_column or start.row >= last_row, (ws.title, _text(chart.title), start.col, start.row)
