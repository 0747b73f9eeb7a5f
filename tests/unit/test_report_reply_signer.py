"""The monthly report's overdue list names who signed a late written reply (签发人, R-IN-5, D74).

The row shows the time of the written reply that met (late) the 2 days' clock; beside it, the signer
as the letter names them — on the page, on paper and in the workbook, in Chinese and in English.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO

import msgspec
from openpyxl import load_workbook

from server.domain import cases as c
from server.domain import monthly_report as mr
from server.domain.cases import Case, Channel, FollowUpKind, Kind, ReplyMedium
from server.domain.deadlines import DeadlinePolicy
from server.reports.xlsx import monthly_report_xlsx
from server.services.reports import case_row
from tests.unit.test_cases import CAL, ok, opened, sh
from tests.unit.test_report_xlsx import rows_of

RECEIVED = sh(2026, 5, 6, 10)  # Wednesday; the written reply is due Friday 8 May 10:00
NOW = sh(2026, 6, 1, 0)


def letter(n: int) -> Case:
    case = opened(Kind.INQUIRY, now=RECEIVED, channel=Channel.WRITTEN)
    return msgspec.structs.replace(case, id=f"c{n}", no=f"2026-000{n}")


def replied(case: Case, at: datetime, medium: ReplyMedium = ReplyMedium.WRITTEN, signer: str | None = "钱经理") -> Case:
    return ok(c.record_follow_up(case, kind=FollowUpKind.REPLY, medium=medium, note="答复", by="d1", now=at,
                                 signer=signer if medium == ReplyMedium.WRITTEN else None)).case


def report(*cases: Case) -> mr.MonthlyReport:
    rows = [case_row(k, calendar=CAL, policy=DeadlinePolicy(), now=NOW, names={"d1": "王调度"}, call_backs=(),
                     booking=None) for k in cases]
    return mr.build_monthly_report(rows, year=2026, month=5, tz=CAL.zone, as_of=NOW)


def test_a_late_written_reply_is_listed_with_who_signed_it():  # R-IN-5, R-RV-5
    late = replied(letter(1), sh(2026, 5, 9, 12, 30), signer="钱经理")
    # A second letter later, signed by someone else, does not change who answered the 2 days' clock.
    late = replied(late, sh(2026, 5, 12, 9), signer="孙主任")
    unanswered = letter(2)
    phoned = replied(letter(3), RECEIVED + timedelta(hours=1), medium=ReplyMedium.PHONE)
    rep = report(late, unanswered, phoned)
    assert [(o.case_no, o.closed_at, o.signer) for o in rep.overdue] == [
        ("2026-0001", sh(2026, 5, 9, 12, 30), "钱经理"),
        ("2026-0002", None, None),  # no written reply yet: nobody signed anything
        ("2026-0003", None, None),  # answered by phone only: still no written reply, no signer
    ]


def test_a_reply_recorded_before_signers_were_asked_shows_none():  # R-IN-5
    # D74's replies before it read signer None; the medium-less reply before D62 met the clock too.
    old = replied(letter(1), sh(2026, 5, 9, 12, 30), signer="钱经理")
    doc = msgspec.to_builtins(old)
    for f in doc["follow_ups"]:
        f.pop("signer", None)
        f.pop("medium", None)
    old = msgspec.convert(doc, Case)
    [line] = report(old).overdue
    assert (line.closed_at, line.signer) == (sh(2026, 5, 9, 12, 30), None)


def test_a_report_frozen_before_the_signer_existed_still_decodes():  # R-IN-5, R-RV-4
    rep = report(replied(letter(1), sh(2026, 5, 9, 12, 30)))
    doc = msgspec.to_builtins(rep)
    for line in doc["overdue"]:
        del line["signer"]
    frozen = msgspec.json.decode(msgspec.json.encode(doc), type=mr.MonthlyReport)
    assert frozen.overdue[0].signer is None and frozen.overdue[0].case_no == "2026-0001"


def test_the_workbook_names_the_signer_under_its_heading_in_either_language():  # R-IN-5, R-RV-5
    rep = report(replied(letter(1), sh(2026, 5, 9, 12, 30), signer="钱经理"), letter(2))
    zh = rows_of(load_workbook(BytesIO(monthly_report_xlsx(rep, tz=CAL.zone)))["超时清单"])
    assert zh[1] == ("案件编号", "类型", "投诉类别", "受理时间", "时限", "完成或书面答复时间", "签发人", "处理人",
                     "超时（分钟）")
    # 9 May 12:30 against 8 May 10:00: 1 d 2 h 30 min = 1,590 min late.
    assert zh[2][5:] == (datetime(2026, 5, 9, 12, 30), "钱经理", "王调度", 1590)
    assert zh[3][5:7] == ("未书面答复", None)
    en = rows_of(load_workbook(BytesIO(monthly_report_xlsx(rep, tz=CAL.zone, lang="en")))["Late cases"])
    assert en[1][5:8] == ("Done or answered in writing", "Reply signed by", "Handler")
    assert en[2][6] == "钱经理"  # a name is written as it stands on the letter
