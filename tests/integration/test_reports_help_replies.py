"""R-IN-5 in the monthly report through the API: a help request's reply within 5 minutes (D71).

November 2026, the clock starting Monday 23rd 10:00 Shanghai. Five help requests come in at 10:00:
  H1 replied at 10:03                 -> in time
  H2 replied at 10:05 exactly         -> in time (the clock is met at its due time)
  H3 replied at 10:07                 -> late, 2 minutes
  H4 never replied                    -> late, counted to the report's time
  H5 explained and left unopened      -> no clock, not in the rate
and H6 at 23:58 on the 30th, replied at 00:02 on 1 December -> in time, in November.
Hand-computed, as of 1 December 10:00: received 6, in time 3, late 2, unopened 1; rate 3/5 = 60 %.
The overdue list keeps its own limits: no help request is on it. The workbook says the same in the
language asked for, Chinese by default.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from tests.conftest import login


async def _help(client, desk, content: str) -> str:  # noqa: ANN001
    r = await client.post("/api/cases", headers=desk, json={
        "kind": "help", "channel": "phone", "contact_name": "赵业主", "phone": "13800000031",
        "unit_id": "unit_1_101", "content": content, "help_kind": "inquiry"})
    assert r.status_code == 201, r.text
    return r.json()["case"]["id"]


async def _reply(client, desk, cid: str) -> None:  # noqa: ANN001
    r = await client.post(f"/api/cases/{cid}/follow-up", headers=desk,
                          json={"kind": "reply", "note": "已电话答复", "medium": "phone"})
    assert r.status_code == 200, r.text


async def _no(client, desk, cid: str) -> str:  # noqa: ANN001
    return (await client.get(f"/api/cases/{cid}", headers=desk)).json()["case"]["no"]


async def _month(client, clock) -> dict[str, str]:  # noqa: ANN001
    desk = await login(client, "dispatcher")
    ids = {name: await _help(client, desk, f"求助 {name}") for name in ("h1", "h2", "h3", "h4", "h5")}
    r = await client.post(f"/api/cases/{ids['h5']}/decide", headers=desk,
                          json={"open": False, "reason": "F", "note": "已当场解释，住户接受"})
    assert r.status_code == 200, r.text
    clock.advance(minutes=3)
    await _reply(client, desk, ids["h1"])
    clock.advance(minutes=2)
    await _reply(client, desk, ids["h2"])
    clock.advance(minutes=2)
    await _reply(client, desk, ids["h3"])
    clock.set(datetime(2026, 11, 30, 15, 58, tzinfo=UTC))  # 23:58 on the 30th in Shanghai
    ids["h6"] = await _help(client, desk, "求助 h6")
    clock.advance(minutes=4)  # 00:02 on 1 December
    await _reply(client, desk, ids["h6"])
    clock.set(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # 10:00 on 1 December
    return {name: await _no(client, desk, cid) for name, cid in ids.items()}


async def test_the_report_counts_the_months_help_requests_replied_to_within_five_minutes(client, clock):  # R-IN-5
    nos = await _month(client, clock)
    mgr = await login(client, "manager")
    r = await client.get("/api/reports/monthly/2026/11", headers=mgr)
    assert r.status_code == 200, r.text
    rep = r.json()
    fig = rep["help_replies"]
    assert (fig["received"], fig["in_time"], fig["late"], fig["pending"], fig["not_opened"]) == (6, 3, 2, 0, 1)
    assert rep["counts_by_kind"]["help"] == fig["received"]
    rate = fig["rate"]
    assert (rate["key"], rate["numerator"], rate["denominator"], rate["value"]) == ("help_reply_5m", 3, 5, 60.0)
    assert rate["definition_zh"].startswith("求助 5 分钟内答复率 =") and rate["definition_en"]
    late = {line["case_no"]: line for line in rep["help_late"]}
    assert list(late) == [nos["h3"], nos["h4"]]
    assert late[nos["h3"]]["late_minutes"] == 2 and late[nos["h3"]]["replied_at"]
    # H4: due 10:05 on 23 November, still unanswered at 10:00 on 1 December: 8 days less 5 minutes.
    assert late[nos["h4"]]["replied_at"] is None and late[nos["h4"]]["late_minutes"] == 8 * 24 * 60 - 5
    assert late[nos["h4"]]["receiver"] == "王调度"
    # The overdue list is read against its own limits: no help request joins it.
    assert not {o["case_no"] for o in rep["overdue"]} & set(nos.values())
    # December: H6 was received in November, where it counts.
    dec = (await client.get("/api/reports/monthly/2026/12", headers=mgr)).json()
    assert dec["help_replies"]["received"] == 0 and dec["help_late"] == []


async def test_the_help_figure_is_frozen_with_the_submitted_report(client, clock):  # R-IN-5 R-RV-4
    nos = await _month(client, clock)
    desk, mgr = await login(client, "dispatcher"), await login(client, "manager")
    r = await client.post("/api/reports/monthly/2026/11/submit", headers=desk)
    assert r.status_code == 200, r.text
    # H4 answered after the report was handed in: the submitted figures stay as they were.
    h4 = next(c["id"] for c in (await client.get("/api/cases?kind=help", headers=desk)).json()
              if c["no"] == nos["h4"])
    await _reply(client, desk, h4)
    rep = (await client.get("/api/reports/monthly/2026/11", headers=mgr)).json()
    assert rep["status"] == "submitted"
    assert rep["help_replies"]["late"] == 2 and rep["help_late"][-1]["replied_at"] is None


async def test_the_workbook_follows_the_language_asked_for_and_is_chinese_by_default(client, clock):  # R-IN-5 R-RV-5
    nos = await _month(client, clock)
    mgr = await login(client, "manager")
    books = {}
    for lang, query in (("default", ""), ("zh", "?lang=zh"), ("en", "?lang=en")):
        r = await client.get(f"/api/reports/monthly/2026/11/xlsx{query}", headers=mgr)
        assert r.status_code == 200, r.text
        books[lang] = load_workbook(io.BytesIO(r.content))
    assert books["default"].sheetnames == books["zh"].sheetnames == [
        "概要", "分类统计", "超时清单", "求助答复", "满意度", "投诉明细", "质量检查"]
    assert books["en"].sheetnames == ["Summary", "Counts", "Late cases", "Help replies", "Satisfaction", "Complaints",
                                      "Quality checks"]
    for lang, sheet, rate_label in (("zh", "求助答复", "求助 5 分钟内答复率"),
                                    ("en", "Help replies", "Help replies within 5 minutes")):
        rows = list(books[lang][sheet].iter_rows(values_only=True))
        assert next(r for r in rows if r[0] == rate_label)[1] == 0.6
        assert [r[0] for r in rows if r[0] in nos.values()] == [nos["h3"], nos["h4"]]
        summary = list(books[lang].worksheets[0].iter_rows(values_only=True))
        assert next(r for r in summary if r[0] == rate_label)[1:4] == (3, 5, 0.6)
    r = await client.get("/api/reports/monthly/2026/11/xlsx?lang=fr", headers=mgr)
    assert (r.status_code, r.json()["code"]) == (400, "request.invalid"), r.text


async def test_the_help_reply_definition_is_published(client):  # R-IN-5
    desk = await login(client, "dispatcher")
    defs = {d["key"]: d for d in (await client.get("/api/reports/definitions", headers=desk)).json()}
    assert defs["help_reply_5m"]["label_zh"] == "求助 5 分钟内答复率"
    assert defs["help_reply_5m"]["definition_en"].startswith("Help-reply rate =")
