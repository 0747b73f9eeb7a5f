"""Handling a refused field record: once, by someone, with what was done (domain/field_refusals.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.domain.errors import DomainError
from server.domain.field_refusals import NOTE_MAX, FieldRefusal, handle

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
