"""Field records the server refused: kept for the service centre, which looks at each and says what it did.

A phone's refused mutation (a completion on a job reassigned meanwhile, a note on a closed case)
is shown on that phone with its reason (design guarantee 1), but the phone is not where it can be
put right: the resident's signature, the note or the photos must reach the desk, which re-records
what still matters on the case and marks the refusal handled with a note. Nothing a phone recorded
is lost because the person holding it pressed "dismiss".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from server.domain import cases as dc
from server.domain.cases import (
    ACTIVE_WORK_ORDER_STATES,
    Case,
    CaseReason,
    CaseState,
    Event,
    ServiceSlip,
    Transition,
    WorkOrder,
    WorkOrderState,
)
from server.domain.errors import DomainError, Refusal, fail, refuse
from server.domain.roles import Role
from server.domain.service_slips import signed_on_site

NOTE_MAX = 500
# At most this many records are handled in one step: the desk's list shows no more at once.
BATCH_MAX = 200


class FieldRefusalRefusal(StrEnum):
    ALREADY_HANDLED = "refusal.already_handled"
    NOTE_REQUIRED = "refusal.note_required"
    NOTE_TOO_LONG = "refusal.note_too_long"
    NOT_FOUND = "refusal.not_found"
    MIXED_REASONS = "refusal.mixed_reasons"
    LISTED_TWICE = "refusal.listed_twice"
    NONE_SELECTED = "refusal.none_selected"
    TOO_MANY = "refusal.too_many"
    # Accepting a refused completion (D141).
    ACCEPT_FORBIDDEN = "refusal.accept_forbidden"
    NOT_ACCEPTABLE = "refusal.not_acceptable"
    CASE_CLOSED = "refusal.case_closed"
    CASE_CANNOT_HANDLE = "refusal.case_cannot_handle"
    ALREADY_COMPLETED = "refusal.already_completed"
    NO_ARRIVAL = "refusal.no_arrival"
    # The push's own code for a drawn signature already on a slip (services/field.py): the same words here.
    SIGNATURE_REUSED = "slip.signature_reused"


class FieldRefusal(msgspec.Struct, kw_only=True):
    client_id: str
    mutation_id: int
    user_id: str
    case_id: str | None
    type: str
    code: str
    message: str
    message_en: str
    # The mutation's arguments exactly as the phone sent them (the record itself).
    args: dict[str, Any]
    device_time: datetime | None
    received_at: datetime
    handled_at: datetime | None = None
    handled_by: str | None = None
    handled_note: str | None = None
    # When the person acted, in server time, as the push placed it (D35, D128); None for records kept
    # before it was stored, which then count at their receipt, like a step from an app without a clock.
    acted_at: datetime | None = None
    # How far the phone's clock moved between the act and the send, when beyond drift (D128 evidence).
    clock_changed_s: int | None = None
    # Handled by applying the record to its case (a completion accepted as done), not with a note.
    accepted: bool = False


def key_of(refusal: FieldRefusal) -> tuple[str, int]:
    return refusal.client_id, refusal.mutation_id


def job_holder(case: Case) -> WorkOrder | None:
    """Whose job the case is now, the person the desk calls about a refused record.

    The work order still being worked (dispatched, accepted, on site) is the holder; when none is,
    the last one not withdrawn (it was completed, or its executor could not complete it) says who
    had the job last. None: nobody was ever given the job, or every order was withdrawn.
    """
    active = case.active_work_order
    if active is not None:
        return active
    for wo in reversed(case.work_orders):
        # An unable order made unnecessary by an accepted earlier completion holds nothing any more.
        if wo.state != WorkOrderState.CANCELLED and wo.withdrawn_for is None:
            return wo
    return None


def _note(note: str) -> str:
    text = note.strip()
    if not text:
        raise fail(FieldRefusalRefusal.NOTE_REQUIRED, "请写明如何处理了这条记录", "Say what was done about this record",
                   kind="invalid")
    if len(text) > NOTE_MAX:
        raise fail(FieldRefusalRefusal.NOTE_TOO_LONG, f"处理说明不能超过 {NOTE_MAX} 字",
                   f"The note may not exceed {NOTE_MAX} characters", kind="invalid")
    return text


def handle(refusal: FieldRefusal, *, by: str, note: str, now: datetime) -> FieldRefusal:
    """The desk has dealt with a refused record: who, when, and what was done (once only)."""
    if refusal.handled_at is not None:
        raise fail(FieldRefusalRefusal.ALREADY_HANDLED, "该记录已处理", "This record has already been handled",
                   handled_at=refusal.handled_at.isoformat(), handled_by=refusal.handled_by)
    text = _note(note)
    return msgspec.structs.replace(refusal, handled_at=now, handled_by=by, handled_note=text)


def check_selection(keys: list[tuple[str, int]]) -> None:
    """The records the desk ticked, before any is read: some, none twice, no more than one screen."""
    if not keys:
        raise fail(FieldRefusalRefusal.NONE_SELECTED, "请选择要标记为已处理的记录", "Select the records to mark handled",
                   kind="invalid")
    if len(keys) > BATCH_MAX:
        raise fail(FieldRefusalRefusal.TOO_MANY, f"一次最多处理 {BATCH_MAX} 条记录",
                   f"At most {BATCH_MAX} records can be handled at once", kind="invalid", max=BATCH_MAX)
    seen: set[tuple[str, int]] = set()
    twice = []
    for k in keys:
        if k in seen:
            twice.append(k)
        seen.add(k)
    if twice:
        raise fail(FieldRefusalRefusal.LISTED_TWICE, "同一条记录被选了两次", "A record is listed twice",
                   kind="invalid", items=[_key_doc(k) for k in twice])


def not_found(keys: list[tuple[str, int]]) -> DomainError:
    """Records the caller cannot see (another compound's, or none such): named, so none is handled."""
    return fail(FieldRefusalRefusal.NOT_FOUND, "未找到该被拒记录", "No such refused record", kind="not_found",
                items=[_key_doc(k) for k in keys])


def _key_doc(key: tuple[str, int]) -> dict[str, Any]:
    return {"client_id": key[0], "mutation_id": key[1]}


def handle_many(refusals: list[FieldRefusal], *, by: str, note: str, now: datetime) -> list[FieldRefusal]:
    """Several refused records dealt with in one step, with one note: all of them, or none.

    One note has to be true of every record it is kept with, so the records must have been refused
    for the same reason (their code: the job was withdrawn, the case was closed, ...), whatever kind
    of record each was; the arrival, the note and the signed completion of one job reassigned while
    its phone was offline are put right by the same call. A record handled already (by someone else
    a moment ago) is named and nothing is written: the desk reloads and sees what that person wrote.
    """
    handled = [r for r in refusals if r.handled_at is not None]
    if handled:
        raise fail(FieldRefusalRefusal.ALREADY_HANDLED,
                   f"所选记录中有 {len(handled)} 条已处理，本次未作任何标记",
                   f"{len(handled)} of the selected records have already been handled; none was marked",
                   items=[{**_key_doc(key_of(r)), "handled_at": r.handled_at.isoformat() if r.handled_at else None,
                           "handled_by": r.handled_by} for r in handled])
    codes = sorted({r.code for r in refusals})
    if len(codes) > 1:
        raise fail(FieldRefusalRefusal.MIXED_REASONS, "一次只能处理拒绝原因相同的记录，请分开处理",
                   "Records handled together must have been refused for the same reason; handle them separately",
                   kind="invalid", codes=codes)
    text = _note(note)
    return [msgspec.structs.replace(r, handled_at=now, handled_by=by, handled_note=text) for r in refusals]


# --- accepting a refused completion (D141) ---------------------------------------

# Who may put a refused completion on the case as the work done: the dispatcher, who countersigns the
# slip (R-CL-6), and the manager. The front desk and the control room handle it with a note, as before.
ACCEPTORS = frozenset({Role.DISPATCHER, Role.MANAGER})
COMPLETION = "job.complete"
# The steps the same phone sent on the same job before its completion, refused for the same reason: they
# are applied with it, so the order has its acceptance and arrival (R-DI-3, R-CL-3) at their own times.
LEAD_UP = ("job.accept", "job.arrive")
_WITHDRAWN = str(CaseReason.WORK_ORDER_WITHDRAWN)


def job_of(refusal: FieldRefusal) -> str | None:
    job = refusal.args.get("job_id")
    return job if isinstance(job, str) else None


def is_withdrawn_completion(refusal: FieldRefusal) -> bool:
    """A signed completion refused only because the desk withdrew its order meanwhile: the one record a
    desk can accept as done. Anything else refused (a closed case, another person's job) it cannot."""
    return refusal.type == COMPLETION and refusal.code == _WITHDRAWN


def lead_up_of(completion: FieldRefusal, records: Iterable[FieldRefusal]) -> list[FieldRefusal]:
    """The same phone's acceptance and arrival on the completion's job, refused because the order was
    withdrawn, in the order sent. Handled ones count too: a note does not change when someone arrived."""
    job = job_of(completion)
    return sorted((r for r in records
                   if r.client_id == completion.client_id and r.user_id == completion.user_id
                   and r.type in LEAD_UP and r.code == _WITHDRAWN and r.mutation_id < completion.mutation_id
                   and job_of(r) == job), key=lambda r: r.mutation_id)


def _order_index(case: Case, completion: FieldRefusal) -> int | None:
    job = job_of(completion)
    return next((i for i, wo in enumerate(case.work_orders) if wo.id == job), None)


def acceptance_refusal(case: Case | None, completion: FieldRefusal, *, roles: Iterable[Role | str],
                       lead_up: Sequence[FieldRefusal], signature_case_id: str | None) -> Refusal | None:
    """Why this refused completion cannot be accepted now, or None when it can.

    The desk's list offers 接受完工 only where this is None, and the acceptance runs it again inside its
    transaction, so the button and the server cannot disagree. The case must not have moved on: still
    open (not closed, not parked as cannot-handle), the work not completed since by whoever took the job
    over (nor the case reopened after it, D133), the resident's drawn signature on no slip yet (one
    drawing, one slip), and an arrival on record for the completion to follow (R-CL-3).
    """
    if not {str(r) for r in roles} & ACCEPTORS:
        return refuse(FieldRefusalRefusal.ACCEPT_FORBIDDEN, "只有调度员或管理处经理可以接受被拒的完工记录",
                      "Only the dispatcher or the manager may accept a refused completion", kind="forbidden")
    i = _order_index(case, completion) if case is not None else None
    if case is None or i is None or not is_withdrawn_completion(completion) \
            or case.work_orders[i].assignee_id != completion.user_id:
        return refuse(FieldRefusalRefusal.NOT_ACCEPTABLE,
                      "只有因工单被改派而被拒的完工签字记录可以接受；其他记录请在案件上补录后标记已处理",
                      "Only a signed completion refused because its work order was reassigned can be accepted; "
                      "re-record anything else on the case and mark it handled",
                      kind="invalid", type=completion.type, refused_code=completion.code)
    if completion.handled_at is not None:
        return refuse(FieldRefusalRefusal.ALREADY_HANDLED,
                      "该记录已接受" if completion.accepted else "该记录已处理",
                      "This record has already been accepted" if completion.accepted
                      else "This record has already been handled",
                      handled_at=completion.handled_at.isoformat(), handled_by=completion.handled_by,
                      accepted=completion.accepted)
    wo = case.work_orders[i]
    if case.state in (CaseState.CLOSED, CaseState.NOT_OPENED):
        return refuse(FieldRefusalRefusal.CASE_CLOSED, "案件已销项，不能再接受这条完工记录",
                      "The case is closed; this completion can no longer be accepted", state=str(case.state))
    if case.state == CaseState.CANNOT_HANDLE:
        return refuse(FieldRefusalRefusal.CASE_CANNOT_HANDLE, "案件已确认无法处理，不能再接受这条完工记录",
                      "The case was marked cannot-handle; this completion can no longer be accepted",
                      state=str(case.state))
    later = case.work_orders[i + 1:]
    if (wo.state != WorkOrderState.CANCELLED or case.state == CaseState.COMPLETED
            or any(w.completed_at is not None for w in later)
            or any(r.at > wo.assigned_at for r in case.reopenings)):
        done_by = next((w.assignee_id for w in reversed(later) if w.completed_at is not None), None)
        return refuse(FieldRefusalRefusal.ALREADY_COMPLETED,
                      "此案件的工作在此之后已由接手的人完工，不能再接受这条完工记录",
                      "The work on this case has since been completed by whoever took the job over; "
                      "this completion can no longer be accepted", state=str(case.state), completed_by=done_by)
    sig = completion.args.get("signature_sha256")
    if signature_case_id is not None:
        return refuse(FieldRefusalRefusal.SIGNATURE_REUSED,
                      "这份住户签字已用于另一张服务单，不能再用于此次完工",
                      "This resident's signature is already on another service slip and cannot be used for "
                      "this completion", kind="forbidden", signature_sha256=sig)
    if wo.arrived_at is None and not any(r.type == "job.arrive" for r in lead_up):
        return refuse(FieldRefusalRefusal.NO_ARRIVAL, "没有该工单的到场记录，不能确认完工",
                      "There is no arrival on record for this work order, so its completion cannot be accepted",
                      missing=["arrival"])
    return None


def _state_before_withdrawal(wo: WorkOrder) -> WorkOrderState:
    if wo.arrived_at is not None:
        return WorkOrderState.ON_SITE
    return WorkOrderState.ACCEPTED if wo.accepted_at is not None else WorkOrderState.DISPATCHED


def _geo(args: dict[str, Any]) -> tuple[float, float] | None:
    g = args.get("geo")
    if isinstance(g, list | tuple) and len(g) == 2 and all(isinstance(x, int | float) for x in g):
        return float(g[0]), float(g[1])
    return None


def _as_accepted(events: Iterable[Event], record: FieldRefusal, by: str, now: datetime) -> list[Event]:
    """A phone's step applied from the desk: when the phone was heard (the refused sync) and who accepted it
    when, beside the time the step counts, so the history tells all three."""
    return [msgspec.structs.replace(ev, data={**ev.data, "received_at": record.received_at.isoformat(),
                                             "accepted_by": by, "accepted_at": now.isoformat(),
                                             "refusal": f"{record.client_id}:{record.mutation_id}"})
            for ev in events]


def accepted_with(completion: FieldRefusal, lead_up: Iterable[FieldRefusal]) -> list[FieldRefusal]:
    """The records an acceptance marks accepted: the completion, and its lead-up not handled with a note before."""
    return [completion, *(r for r in lead_up if r.handled_at is None)]


def accept_completion(case: Case, completion: FieldRefusal, *, slip: ServiceSlip, lead_up: Sequence[FieldRefusal],
                      signature_case_id: str | None, by: str, roles: Iterable[Role | str], now: datetime,
                      fee_unit: str | None = None) -> Transition | Refusal:
    """Put a refused signed completion on its case as the work done, when and by whom it was done.

    The order the technician completed comes back as it stood before the desk withdrew it; the order
    given to someone else meanwhile (or reported unable and waiting for the desk) is withdrawn, naming the
    order whose work made it unnecessary (`withdrawn_for`), so the phone holding it is told why. The
    phone's own acceptance and arrival on the job, refused with it, are applied first, then the completion,
    each through the step a synced phone goes through (`dc.accept`, `dc.arrive`, `dc.complete`) with the
    phone's receipt as `now`: so every step counts when the person acted (D35, D97, D128), bounded by the
    step before and by the receipt — never by the acceptance — and the slip is signed at that time, its
    hash over the document (`signed_on_site`). Timeliness then judges this first completion (D133).
    `slip` is the record's slip unsigned (no time, no hash).
    """
    why = acceptance_refusal(case, completion, roles=roles, lead_up=lead_up, signature_case_id=signature_case_id)
    if why is not None:
        return why
    i = _order_index(case, completion)
    assert i is not None  # acceptance_refusal found it
    done = case.work_orders[i]
    orders = list(case.work_orders)
    events: list[Event] = []
    for j in range(i + 1, len(orders)):
        w = orders[j]
        if w.state == WorkOrderState.CANCELLED:
            continue  # withdrawn already, by an earlier reassignment: its phone was told then
        was = w.state
        if w.state in ACTIVE_WORK_ORDER_STATES:
            w = msgspec.structs.replace(w, state=WorkOrderState.CANCELLED, cancelled_at=now)
        orders[j] = msgspec.structs.replace(w, withdrawn_for=done.id)
        events.append(Event(name="work_order.withdrawn", at=now, by=by, data={
            "work_order_id": w.id, "assignee_id": w.assignee_id, "assignee_role": str(w.assignee_role),
            "was": str(was), "for_work_order_id": done.id, "done_by": done.assignee_id}))
    orders[i] = msgspec.structs.replace(done, state=_state_before_withdrawal(done), cancelled_at=None)
    work = msgspec.structs.replace(case, work_orders=tuple(orders))
    tech = done.assignee_id
    for r in lead_up:
        cur = work.work_orders[i]
        if r.type == "job.accept" and cur.accepted_at is None:
            step = dc.accept(work, work_order_id=cur.id, by=tech, now=r.received_at, acted_at=r.acted_at)
        elif r.type == "job.arrive" and cur.arrived_at is None:
            step = dc.arrive(work, work_order_id=cur.id, by=tech, now=r.received_at, device_at=r.device_time,
                             geo=_geo(r.args), acted_at=r.acted_at)
        else:
            continue  # on the order already (synced before the desk withdrew it)
        if isinstance(step, Refusal):
            return step
        work = step.case
        events.extend(_as_accepted(step.events, r, by, now))
    cur = work.work_orders[i]
    signed = signed_on_site(work, cur, slip, acted_at=completion.acted_at, now=completion.received_at)
    out = dc.complete(work, work_order_id=cur.id, by=tech, now=completion.received_at, slip=signed,
                      fee_unit=fee_unit, acted_at=completion.acted_at)
    if isinstance(out, Refusal):
        return out
    events.extend(_as_accepted(out.events, completion, by, now))
    # The phone that sent them learns from its job which of its refused records now stand (design 1).
    refs = tuple(f"{r.client_id}:{r.mutation_id}" for r in accepted_with(completion, lead_up))
    orders = tuple(msgspec.structs.replace(w, accepted_refusals=(*w.accepted_refusals, *refs)) if w.id == cur.id else w
                   for w in out.case.work_orders)
    return Transition(case=msgspec.structs.replace(out.case, work_orders=orders), events=tuple(events))


def mark_accepted(records: Iterable[FieldRefusal], *, by: str, now: datetime) -> list[FieldRefusal]:
    """The completion and the steps applied with it, handled by being accepted: who, when (no note)."""
    return [msgspec.structs.replace(r, handled_at=now, handled_by=by, accepted=True) for r in records]
