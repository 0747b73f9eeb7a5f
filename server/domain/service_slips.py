"""Service-slip evidence: the canonical document a resident signs, and its SHA-256.

The signature is bound to this hash. Anything on the slip changing afterwards (work done, fee,
photos, signer, times) gives a different hash, so the stored signature no longer covers the slip.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import msgspec

from server.domain.cases import Case, ServiceSlip, WorkOrder, field_step_time


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def canonical_slip(case: Case, wo: WorkOrder, slip: ServiceSlip) -> dict[str, Any]:
    doc = {
        "v": 1,
        "case_id": case.id,
        "case_no": case.no,
        "address": case.address,
        "content": case.content,
        "work_order_id": wo.id,
        "executor_id": wo.assignee_id,
        "arrived_at": _iso(wo.arrived_at),
        "work_done": slip.work_done,
        "materials": slip.materials,
        "fee_cents": slip.fee_cents,
        "photo_sha256s": list(slip.photo_sha256s),
        "signer_name": slip.signer_name,
        "signer_relation": None if slip.signer_relation is None else str(slip.signer_relation),
        "signature_sha256": slip.signature_sha256,
        "signed_at": _iso(slip.signed_at),
    }
    # Present only when the resident gave one: slips signed before the rating existed (or without
    # one) keep exactly the document, and so the hash, they were signed with.
    if slip.resident_grade is not None or slip.resident_opinion:
        doc["resident_grade"] = None if slip.resident_grade is None else str(slip.resident_grade)
        doc["resident_opinion"] = slip.resident_opinion
    if slip.fee_over_reason:  # likewise: only slips whose fee went above the one told carry it
        doc["fee_over_reason"] = slip.fee_over_reason
    return doc


def slip_hash(case: Case, wo: WorkOrder, slip: ServiceSlip) -> str:
    body = msgspec.json.encode(canonical_slip(case, wo, slip), order="sorted")
    return hashlib.sha256(body).hexdigest()


def signed_on_site(case: Case, wo: WorkOrder, slip: ServiceSlip, *, acted_at: datetime | None,
                   now: datetime) -> ServiceSlip:
    """The slip as the resident signed it on the phone: at the time the completion counts (D35, D97: the
    phone's act in server time, never before the order's last step nor after `now`, the receipt), its
    hash over that document. A completion synced and one accepted later from the desk's field refusals
    are signed here alike, so the slip the phone showed and the stored one agree either way."""
    slip = msgspec.structs.replace(slip, signed_at=field_step_time(wo, acted_at=acted_at, now=now))
    return msgspec.structs.replace(slip, content_hash=slip_hash(case, wo, slip))


def signed_work_order(case: Case) -> WorkOrder | None:
    if case.slip is None:
        return None
    for wo in reversed(case.work_orders):
        if wo.completed_at is not None and wo.assignee_id == case.slip.executor_id:
            return wo
    return None


def signature_covers_slip(case: Case) -> bool:
    """True when the slip carries a signature whose hash still matches the slip's content."""
    slip = case.slip
    if slip is None or not slip.signature_sha256 or not slip.content_hash:
        return False
    wo = signed_work_order(case)
    return wo is not None and slip_hash(case, wo, slip) == slip.content_hash
