"""Accepting a refused signed completion at the desk (domain/field_refusals.py `accept_completion`).

A technician completed a job offline with the resident's signature while the desk gave the job to someone
else; the push refused it (case.work_order_withdrawn, D28). The dispatcher or the manager may put it on the
case as the work done, at the time the phone recorded it (D35, D97, D128), by the technician who did it,
with the signed slip (R-CL-1 A, R-CL-6); the order held now is withdrawn. Refused when the case has moved on.
"""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from server.domain import cases as c
from server.domain.cases import CaseState, ServiceSlip, SignerRelation, WorkOrderState
from server.domain.field_refusals import (
    FieldRefusal,
    accept_completion,
    acceptance_refusal,
    job_holder,
    lead_up_of,
)
from server.domain.roles import Role
from server.domain.service_slips import signature_covers_slip, slip_hash
from server.services.cases import job_removal
from tests.unit.test_cases import DISPATCHER, MANAGER, T0, dispatched, ok, opened, refused

M = timedelta(minutes=1)
SIG = "5" * 64
RECEIVED = T0 + 40 * M  # the phone came back upstairs and synced: everything refused
ACCEPTED_AT = T0 + 90 * M  # the dispatcher accepts the completion


def _reassigned_while_offline() -> c.Case:
    """Sent to lead1, who gives it to technician t1 (wo2); t1 accepts online; at +10 min the control room
    gives the job to t2 (wo3) while t1's phone is in the basement."""
    case = dispatched(opened(now=T0), T0 + 2 * M)
    case = ok(c.dispatch(case, work_order_id="wo2", job="修水管", assignee_id="t1", assignee_role=Role.TECHNICIAN,
                         deadline_at=T0 + 2 * timedelta(hours=1), by="lead1", roles={Role.TEAM_LEAD},
                         now=T0 + 3 * M)).case
    case = ok(c.accept(case, work_order_id="wo2", by="t1", now=T0 + 4 * M)).case
    return ok(c.dispatch(case, work_order_id="wo3", job="修水管", assignee_id="t2", assignee_role=Role.TECHNICIAN,
                         deadline_at=T0 + 2 * timedelta(hours=1), by="d1", roles={Role.CONTROL_ROOM},
                         now=T0 + 10 * M)).case


def _record(mutation_id: int, type_: str, acted_min: int | None, **args) -> FieldRefusal:  # noqa: ANN003
    return FieldRefusal(client_id="cphone0001", mutation_id=mutation_id, user_id="t1", case_id="c1", type=type_,
                        code="case.work_order_withdrawn", message="该派工单已被调度改派或取消，本条记录未记入该工单",
                        message_en="The desk reassigned or cancelled this work order", args={"job_id": "wo2", **args},
                        device_time=None, received_at=RECEIVED,
                        acted_at=None if acted_min is None else T0 + acted_min * M)


ARRIVAL = _record(2, "job.arrive", 12)
COMPLETION = _record(3, "job.complete", 30, work_done="更换水管接头", signature_sha256=SIG, signer_name="王先生",
                     signer_relation="owner")


def _slip() -> ServiceSlip:
    """The record's slip as the phone sent it: no time and no hash yet (the server signs it, D97)."""
    return ServiceSlip(work_done="更换水管接头", signer_name="王先生", signer_relation=SignerRelation.OWNER,
                       signature_sha256=SIG)


def _accept(case: c.Case, completion: FieldRefusal = COMPLETION, *, lead_up: tuple = (ARRIVAL,),
            signature_case_id: str | None = None, roles=DISPATCHER, **kw):  # noqa: ANN001, ANN003, ANN202
    return accept_completion(case, completion, slip=_slip(), lead_up=list(lead_up),
                             signature_case_id=signature_case_id, by="d1", roles=roles, now=ACCEPTED_AT, **kw)


def test_an_accepted_completion_is_the_technicians_at_the_time_the_phone_recorded_it():  # R-CL-1 R-FU-4 R-CL-6
    out = ok(_accept(_reassigned_while_offline()))
    case = out.case
    wo2 = next(w for w in case.work_orders if w.id == "wo2")
    assert case.state == CaseState.COMPLETED
    assert (wo2.state, wo2.assignee_id, wo2.cancelled_at) == (WorkOrderState.COMPLETED, "t1", None)
    # Arrival and completion count when the phone recorded them, not at the sync or the acceptance.
    assert (wo2.accepted_at, wo2.arrived_at, wo2.completed_at) == (T0 + 4 * M, T0 + 12 * M, T0 + 30 * M)
    assert case.first_completed_at == T0 + 30 * M  # what timeliness judges (D133)
    # The slip is t1's, signed at the completion's time, and the signature covers it (R-CL-6).
    assert case.slip is not None
    assert (case.slip.executor_id, case.slip.signature_sha256, case.slip.signed_at) == ("t1", SIG, T0 + 30 * M)
    assert case.slip.content_hash == slip_hash(case, wo2, msgspec.structs.replace(case.slip, content_hash=None))
    assert signature_covers_slip(case)


def test_the_order_held_now_is_withdrawn_and_leaves_its_phone_saying_the_work_was_done_earlier():  # R-DI-1 R-DI-3
    case = ok(_accept(_reassigned_while_offline())).case
    wo3 = next(w for w in case.work_orders if w.id == "wo3")
    assert (wo3.state, wo3.cancelled_at, wo3.withdrawn_for) == (WorkOrderState.CANCELLED, ACCEPTED_AT, "wo2")
    assert job_removal(case, wo3) == {"reason": "done_earlier", "case_no": case.no, "new_job_id": None}
    # t1's completed order is back on t1's phone (no removal), and the holder is who did the work.
    wo2 = next(w for w in case.work_orders if w.id == "wo2")
    assert job_removal(case, wo2) is None
    holder = job_holder(case)
    assert holder is not None and holder.id == "wo2"


def test_every_step_says_when_it_was_done_heard_and_accepted_and_by_whom():  # R-DI-3 R-CL-1
    out = ok(_accept(_reassigned_while_offline()))
    names = [(e.name, e.by, e.at) for e in out.events]
    assert names == [("work_order.withdrawn", "d1", ACCEPTED_AT), ("work_order.arrived", "t1", T0 + 12 * M),
                     ("work_order.completed", "t1", T0 + 30 * M)]
    withdrawn, arrived, completed = out.events
    assert withdrawn.data == {"work_order_id": "wo3", "assignee_id": "t2", "assignee_role": "technician",
                              "was": "dispatched", "for_work_order_id": "wo2", "done_by": "t1"}
    for ev, rec in ((arrived, ARRIVAL), (completed, COMPLETION)):
        assert ev.data["received_at"] == RECEIVED.isoformat()
        assert (ev.data["accepted_by"], ev.data["accepted_at"]) == ("d1", ACCEPTED_AT.isoformat())
        assert ev.data["refusal"] == f"cphone0001:{rec.mutation_id}"
    assert completed.data["signed"] is True


def test_the_same_bounds_as_a_synced_completion_hold():  # R-CL-3 design 4
    # A phone clock claiming the completion before the arrival counts at the arrival; a record kept before
    # the acted time was stored (None) counts at its receipt, as a step from an app without a clock does.
    early = msgspec.structs.replace(COMPLETION, acted_at=T0 + 5 * M)
    wo2 = next(w for w in ok(_accept(_reassigned_while_offline(), early)).case.work_orders if w.id == "wo2")
    assert wo2.completed_at == T0 + 12 * M
    unknown = msgspec.structs.replace(COMPLETION, acted_at=None)
    wo2 = next(w for w in ok(_accept(_reassigned_while_offline(), unknown)).case.work_orders if w.id == "wo2")
    assert wo2.completed_at == RECEIVED


def test_the_slip_rules_of_a_synced_completion_still_apply():  # R-IN-6 R-SS-3
    # A fee on a common-facility repair is refused as it would be from the phone.
    case = _reassigned_while_offline()
    with_fee = msgspec.structs.replace(_slip(), fee_cents=3000)
    out = accept_completion(case, COMPLETION, slip=with_fee, lead_up=[ARRIVAL], signature_case_id=None, by="d1",
                            roles=DISPATCHER, now=ACCEPTED_AT)
    refused(out, "case.fee_not_chargeable")


def test_the_manager_may_accept_the_front_desk_may_not():  # R-CL-6
    assert acceptance_refusal(_reassigned_while_offline(), COMPLETION, roles=MANAGER, lead_up=[ARRIVAL],
                              signature_case_id=None) is None
    out = _accept(_reassigned_while_offline(), roles={Role.FRONT_DESK})
    assert refused(out, "refusal.accept_forbidden").kind == "forbidden"


def test_only_a_completion_refused_because_its_order_was_withdrawn_is_accepted():  # D28
    case = _reassigned_while_offline()
    refused(_accept(case, ARRIVAL), "refusal.not_acceptable")
    someone_elses = msgspec.structs.replace(COMPLETION, code="scope.not_assigned")
    refused(_accept(case, someone_elses), "refusal.not_acceptable")
    other_job = msgspec.structs.replace(COMPLETION, args={**COMPLETION.args, "job_id": "wo9"})
    refused(_accept(case, other_job), "refusal.not_acceptable")


def test_a_completion_is_accepted_once():  # R-CL-1
    done = msgspec.structs.replace(COMPLETION, handled_at=ACCEPTED_AT, handled_by="d1", accepted=True)
    r = refused(_accept(_reassigned_while_offline(), done), "refusal.already_handled")
    assert r.details["accepted"] is True and r.details["handled_by"] == "d1"
    # Its order is no longer withdrawn once accepted, so the same record can never apply twice either.
    accepted_case = ok(_accept(_reassigned_while_offline())).case
    refused(_accept(accepted_case), "refusal.already_completed")


def test_not_once_the_case_is_closed_or_parked_as_cannot_handle():  # R-CL-3 R-CL-4
    case = _reassigned_while_offline()
    refused(_accept(msgspec.structs.replace(case, state=CaseState.CLOSED)), "refusal.case_closed")
    parked = ok(c.mark_cannot_handle(case, reason="业主拒绝入户", by="m1", roles=MANAGER, now=T0 + 20 * M)).case
    refused(_accept(parked), "refusal.case_cannot_handle")


def test_not_once_the_person_holding_the_job_now_completed_it():  # R-CL-1
    case = _reassigned_while_offline()
    case = ok(c.arrive(case, work_order_id="wo3", by="t2", now=T0 + 20 * M)).case
    case = ok(c.complete(case, work_order_id="wo3", by="t2", now=T0 + 50 * M, slip=msgspec.structs.replace(
        _slip(), signature_sha256="6" * 64, signed_at=T0 + 50 * M, content_hash="7" * 64))).case
    r = refused(_accept(case), "refusal.already_completed")
    assert r.details["completed_by"] == "t2"


def test_not_with_a_signature_already_on_a_slip():  # R-CL-6
    r = refused(_accept(_reassigned_while_offline(), signature_case_id="c7"), "slip.signature_reused")
    assert r.kind == "forbidden"


def test_not_without_an_arrival_to_follow():  # R-CL-3
    refused(_accept(_reassigned_while_offline(), lead_up=()), "refusal.no_arrival")


def test_an_arrival_synced_before_the_reassignment_is_the_one_that_counts():  # R-CL-3
    case = dispatched(opened(now=T0), T0 + 2 * M)
    case = ok(c.dispatch(case, work_order_id="wo2", job="修水管", assignee_id="t1", assignee_role=Role.TECHNICIAN,
                         deadline_at=T0 + 2 * timedelta(hours=1), by="lead1", roles={Role.TEAM_LEAD},
                         now=T0 + 3 * M)).case
    case = ok(c.arrive(case, work_order_id="wo2", by="t1", now=T0 + 8 * M)).case
    case = ok(c.dispatch(case, work_order_id="wo3", job="修水管", assignee_id="lead2", assignee_role=Role.TEAM_LEAD,
                         deadline_at=T0 + 2 * timedelta(hours=1), by="d1", roles=DISPATCHER, now=T0 + 10 * M)).case
    case = ok(_accept(case, lead_up=())).case
    wo2 = next(w for w in case.work_orders if w.id == "wo2")
    assert (wo2.arrived_at, wo2.completed_at) == (T0 + 8 * M, T0 + 30 * M)


def test_an_unable_order_waiting_for_the_desk_is_set_aside_too():  # R-DI-1
    case = ok(c.mark_unable(_reassigned_while_offline(), work_order_id="wo3", reason="缺配件", by="t2",
                            now=T0 + 25 * M)).case
    assert case.state == CaseState.OPENED
    case = ok(_accept(case)).case
    wo3 = next(w for w in case.work_orders if w.id == "wo3")
    assert (wo3.state, wo3.withdrawn_for) == (WorkOrderState.UNABLE, "wo2")
    assert job_removal(case, wo3) == {"reason": "done_earlier", "case_no": case.no, "new_job_id": None}


def test_a_job_dispatched_again_to_the_same_technician_links_to_the_work_done():  # R-DI-1
    case = dispatched(opened(now=T0), T0 + 2 * M)
    case = ok(c.dispatch(case, work_order_id="wo2", job="修水管", assignee_id="t1", assignee_role=Role.TECHNICIAN,
                         deadline_at=T0 + 2 * timedelta(hours=1), by="lead1", roles={Role.TEAM_LEAD},
                         now=T0 + 3 * M)).case
    case = ok(c.dispatch(case, work_order_id="wo3", job="修水管（重派）", assignee_id="t1",
                         assignee_role=Role.TECHNICIAN, deadline_at=T0 + 3 * timedelta(hours=1), by="d1",
                         roles={Role.CONTROL_ROOM}, now=T0 + 10 * M)).case
    case = ok(_accept(case)).case
    wo3 = next(w for w in case.work_orders if w.id == "wo3")
    assert job_removal(case, wo3) == {"reason": "done_earlier", "case_no": case.no, "new_job_id": "wo2"}


@pytest.mark.parametrize("handled", [False, True])
def test_the_lead_up_is_the_same_phones_steps_on_that_job_refused_for_the_same_reason(handled):  # noqa: ANN001
    note = _record(1, "job.note", 11, text="阀门锈死")
    other_phone = msgspec.structs.replace(ARRIVAL, client_id="cphone0002")
    other_job = msgspec.structs.replace(ARRIVAL, mutation_id=1, args={"job_id": "wo9"})
    later = msgspec.structs.replace(ARRIVAL, mutation_id=5)
    arrival = msgspec.structs.replace(ARRIVAL, handled_at=RECEIVED if handled else None)
    accept = _record(1, "job.accept", 4)
    got = lead_up_of(COMPLETION, [later, note, arrival, other_phone, other_job, accept])
    assert [(r.mutation_id, r.type) for r in got] == [(1, "job.accept"), (2, "job.arrive")]


def test_the_completed_order_names_the_phones_records_the_desk_accepted():  # D141 design 1
    # The technician's phone kept the completion in its outbox as 被拒 until dismissed, though the job came back
    # completed: the order now names the records accepted onto it, and the phone's job (or its removal once the
    # case is closed) carries them, so the phone can say 已由服务台接受 of exactly those entries.
    from server.services.cases import job_doc

    accept = _record(1, "job.accept", 4)
    handled = msgspec.structs.replace(_record(0, "job.accept", 3), handled_at=RECEIVED)  # handled with a note before
    case = ok(_accept(_reassigned_while_offline(), lead_up=(handled, accept, ARRIVAL))).case
    wo2 = next(w for w in case.work_orders if w.id == "wo2")
    assert wo2.accepted_refusals == ("cphone0001:3", "cphone0001:1", "cphone0001:2")
    want = [{"client_id": "cphone0001", "mutation_id": n} for n in (3, 1, 2)]
    assert job_doc(case, wo2, [])["accepted_refusals"] == want
    closed = msgspec.structs.replace(case, state=CaseState.CLOSED)
    assert job_removal(closed, wo2) == {"reason": "closed", "case_no": case.no, "new_job_id": None,
                                        "accepted_refusals": want}
    # An order the desk accepted nothing onto says nothing of it.
    wo3 = next(w for w in case.work_orders if w.id == "wo3")
    assert "accepted_refusals" not in job_removal(case, wo3)
