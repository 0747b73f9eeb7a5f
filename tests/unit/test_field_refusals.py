"""Handling refused field records: once, by someone, with what was done; whom to call (domain/field_refusals.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from server.domain.cases import WorkOrderState
from server.domain.errors import DomainError
from server.domain.field_refusals import (
    BATCH_MAX,
    NOTE_MAX,
    FieldRefusal,
    check_selection,
    handle,
    handle_many,
    job_holder,
)
from server.domain.roles import Role
from tests.unit.test_cases import T0, completed_repair, dispatched, opened

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def _refusal(**kw) -> FieldRefusal:  # noqa: ANN003
    return FieldRefusal(client_id="cphone0001", mutation_id=7, user_id="usr_tech", case_id="case_1",
                        type="job.complete", code="scope.not_assigned", message="该工单未派给您",
                        message_en="This job is not assigned to you", args={"job_id": "case_1-w1"},
                        device_time=None, received_at=NOW, **kw)


def test_handling_records_who_when_and_the_trimmed_note():
    done = handle(_refusal(), by="usr_dispatcher", note="  已由二号维修工补签 ", now=NOW)
    assert (done.handled_at, done.handled_by, done.handled_note) == (NOW, "usr_dispatcher", "已由二号维修工补签")
    assert done.args == {"job_id": "case_1-w1"}  # the record itself is untouched


@pytest.mark.parametrize(("note", "code"), [("", "refusal.note_required"), (" \n ", "refusal.note_required"),
                                            ("x" * (NOTE_MAX + 1), "refusal.note_too_long")])
def test_a_handling_needs_a_note_of_sensible_length(note, code):
    with pytest.raises(DomainError) as e:
        handle(_refusal(), by="usr_dispatcher", note=note, now=NOW)
    assert e.value.refusal.code == code and e.value.refusal.kind == "invalid"


def test_a_refusal_is_handled_only_once():
    done = handle(_refusal(), by="usr_dispatcher", note="已处理", now=NOW)
    with pytest.raises(DomainError) as e:
        handle(done, by="usr_manager", note="再次处理", now=NOW)
    assert e.value.refusal.code == "refusal.already_handled"
    assert e.value.refusal.details["handled_by"] == "usr_dispatcher"


# --- whom to call: who holds the job now (R-IN-9) ------------------------------------------------


def test_the_job_holder_is_whoever_holds_the_active_work_order_after_a_reassign():  # R-IN-9
    case = dispatched(opened(now=T0), T0, to="lead1", wo="wo1")
    case = dispatched(case, T0 + timedelta(minutes=5), to="lead2", wo="wo2")
    holder = job_holder(case)
    assert holder is not None and (holder.id, holder.assignee_id, holder.assignee_role) == ("wo2", "lead2", Role.TEAM_LEAD)


def test_with_no_order_in_hand_the_holder_is_who_completed_the_job_last():  # R-IN-9
    holder = job_holder(completed_repair(T0))
    assert holder is not None and (holder.assignee_id, holder.state) == ("t1", WorkOrderState.COMPLETED)


def test_a_case_never_dispatched_has_no_job_holder():  # R-IN-9
    assert job_holder(opened(now=T0)) is None


# --- several records, one note: all or none (D28) ------------------------------------------------


def _several(**kw) -> list[FieldRefusal]:  # noqa: ANN003
    return [msgspec.structs.replace(_refusal(**kw), mutation_id=i, type=t)
            for i, t in ((1, "job.arrive"), (2, "job.note"), (3, "job.complete"))]


def test_records_refused_for_one_reason_are_handled_together_with_one_note():
    done = handle_many(_several(), by="usr_dispatcher", note=" 已改派，明早补签 ", now=NOW)
    assert [(d.mutation_id, d.handled_at, d.handled_by, d.handled_note) for d in done] == [
        (i, NOW, "usr_dispatcher", "已改派，明早补签") for i in (1, 2, 3)]


def test_one_record_already_handled_stops_the_whole_selection_and_is_named():
    records = _several()
    records[1] = handle(records[1], by="usr_frontdesk", note="已转告", now=NOW)
    with pytest.raises(DomainError) as e:
        handle_many(records, by="usr_dispatcher", note="已改派", now=NOW)
    assert e.value.refusal.code == "refusal.already_handled" and e.value.refusal.kind == "conflict"
    assert e.value.refusal.details["items"] == [
        {"client_id": "cphone0001", "mutation_id": 2, "handled_at": NOW.isoformat(), "handled_by": "usr_frontdesk"}]


def test_records_refused_for_different_reasons_are_not_handled_with_one_note():
    records = [*_several(), msgspec.structs.replace(_refusal(), mutation_id=9, code="case.wrong_state")]
    with pytest.raises(DomainError) as e:
        handle_many(records, by="usr_dispatcher", note="已处理", now=NOW)
    assert e.value.refusal.code == "refusal.mixed_reasons" and e.value.refusal.kind == "invalid"
    assert e.value.refusal.details["codes"] == ["case.wrong_state", "scope.not_assigned"]


def test_a_batch_needs_a_note_like_a_single_handling():
    with pytest.raises(DomainError) as e:
        handle_many(_several(), by="usr_dispatcher", note="  ", now=NOW)
    assert e.value.refusal.code == "refusal.note_required"


@pytest.mark.parametrize(("keys", "code"), [
    ([], "refusal.none_selected"),
    ([("cphone0001", 1), ("cphone0001", 2), ("cphone0001", 1)], "refusal.listed_twice"),
    ([("cphone0001", i) for i in range(1, BATCH_MAX + 2)], "refusal.too_many"),
])
def test_a_selection_names_some_records_each_once(keys, code):  # noqa: ANN001
    with pytest.raises(DomainError) as e:
        check_selection(keys)
    assert e.value.refusal.code == code and e.value.refusal.kind == "invalid"
