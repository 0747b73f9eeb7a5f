"""Minutes late count a started minute, in one function for every list (R-RV-5, R-IN-5, R-FU-4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec

from server.domain import monthly_report as mr
from server.domain.deadlines import minutes_late

SH = ZoneInfo("Asia/Shanghai")
S = timedelta(seconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)


def test_late_minutes_count_a_started_minute_on_every_list():  # R-RV-5 R-IN-5
    due = datetime(2026, 12, 1, 22, 10, tzinfo=SH)
    assert minutes_late(due, due + 30 * S) == 1
    # Received at 22:10:20, redone at 09:00:05 the day after next: 649 minutes 45 seconds late.
    assert minutes_late(due + 20 * S, datetime(2026, 12, 2, 9, 0, 5, tzinfo=SH)) == 650
    assert minutes_late(due, due) == 0
    late = mr.CaseRow(case_no="R1", kind="repair", channel="phone", received_at=due - 24 * H, deadline_at=due,
                      closed_at=due + 30 * S)
    hour_late = msgspec.structs.replace(late, case_no="R2", deadline_at=due + 20 * S,
                                        closed_at=datetime(2026, 12, 2, 9, 0, 5, tzinfo=SH))
    help_row = mr.CaseRow(case_no="H1", kind="help", channel="phone", received_at=due - 5 * M,
                          help_reply_due_at=due, help_replied_at=due + 30 * S)
    report = mr.build_monthly_report([late, hour_late, help_row], year=2026, month=12, tz=SH,
                                     as_of=datetime(2026, 12, 10, tzinfo=SH))
    assert {o.case_no: o.late_minutes for o in report.overdue} == {"R1": 1, "R2": 650}
    assert [h.late_minutes for h in report.help_late] == [1]
