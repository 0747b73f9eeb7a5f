"""Reopening finished work after an unsatisfied call-back (R-RV-3 grades, R-FU-6 call-back)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from msgspec.structs import replace

from server.domain import cases as dc
from server.domain.errors import Refusal
from tests.unit.test_cases import T0, make_case


def test_a_closed_case_reopens_for_review_and_keeps_its_earlier_close():  # R-RV-3
    case = make_case()
    close = dc.CloseRecord(result="已修复", dispatcher_id="disp", closed_at=T0)
    closed = replace(case, state=dc.CaseState.CLOSED, close=close)
    out = dc.reopen_for_review(closed, reason="回访：维修质量 C", by="disp", now=T0 + timedelta(days=3))
    assert not isinstance(out, Refusal)
    assert out.case.state == dc.CaseState.OPENED
    assert out.case.close is None
    assert out.case.reopenings[-1].previous_close == close
    assert [e.name for e in out.events] == ["case.reopened"]


@pytest.mark.parametrize("state", ["received", "opened", "dispatched", "accepted", "on_site"])
def test_work_still_in_progress_cannot_be_reopened(state):  # R-OP-4
    out = dc.reopen_for_review(replace(make_case(), state=dc.CaseState(state)), reason="x", by="disp", now=T0)
    assert isinstance(out, Refusal) and out.code == dc.CaseReason.WRONG_STATE


def test_reopening_needs_a_reason():  # R-RV-3
    case = make_case()
    done = replace(case, state=dc.CaseState.COMPLETED)
    out = dc.reopen_for_review(done, reason="  ", by="disp", now=T0)
    assert isinstance(out, Refusal)
