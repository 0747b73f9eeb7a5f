"""Special-service bookings set up through the API, for e2e tests of what the cashier does next.

The desk's own booking and dispatch screens are driven in test_special_service.py; tests of the
cashier start from a booking the resident has already signed for on the technician's phone.
"""

from __future__ import annotations

import hashlib
import urllib.request
import uuid

from e2e.api import Api
from tests.images import signature_png


def _upload(base: str, api: Api, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    req = urllib.request.Request(f"{base}/api/blobs/{sha}", data=data, method="PUT")
    req.add_header("content-type", "image/png")
    req.add_header("authorization", f"Bearer {api.token}")
    with urllib.request.urlopen(req, timeout=20) as r:
        assert r.status in (200, 201), r.status
    return sha


def approved_item(base: str, code: str, fee_cents: int, *, announced: bool = True, **extra) -> None:  # noqa: ANN003
    """A catalogue item proposed by the manager, approved by the general manager and, unless told
    otherwise, announced to residents, so the desk may book it (R-SS-1, D112)."""
    Api(base, "manager").call("POST", "/api/services/items", {
        "code": code, "name_zh": "搬家协助", "name_en": "Moving help", "fee_cents": fee_cents,
        "unit": "per_hour", "promise_minutes": 25, **extra})
    Api(base, "gm").call("POST", f"/api/services/items/{code}/approve", {})
    if announced:
        Api(base, "manager").call("POST", f"/api/services/items/{code}/announce", {})


def booked(base: str, resident: str, item_code: str = "appliance_cleaning") -> dict:
    """Booked at the front desk with the resident's consent to the quoted fee (R-SS-2)."""
    desk = Api(base, "frontdesk")
    view = desk.call("POST", "/api/services/bookings", {
        "item_code": item_code, "resident_name": resident, "unit_id": "unit_2_201", "phone": "13700007777"})
    b = view["booking"]
    return desk.call("POST", f"/api/services/bookings/{b['id']}/consent", {"shown_fee_cents": b["unit_fee_cents"]})


def complete(base: str, booking_id: str, quantity: int, fee_cents: int | None = None) -> dict:
    """Dispatched to the technician, who completes it on the phone with the resident's signature.

    `fee_cents` is what the slip says when it is not `quantity` whole units (the desk then completes
    the booking by hand).
    """
    desk = Api(base, "frontdesk")
    view = desk.call("POST", f"/api/services/bookings/{booking_id}/dispatch",
                     {"assignee_id": "usr_tech", "unreached_lead_ids": ["usr_lead"]})
    case_id = view["case_id"]
    fee = view["booking"]["unit_fee_cents"] * quantity if fee_cents is None else fee_cents
    tech = Api(base, "tech")
    client_id = "c" + uuid.uuid4().hex
    docs = tech.call("GET", "/api/sync/pull?cursor=0")
    changes = list(docs["changes"])
    while docs["more"]:
        docs = tech.call("GET", f"/api/sync/pull?cursor={docs['cursor']}")
        changes += docs["changes"]
    job_id = next(c["id"] for c in changes if c["entity"] == "job" and c["op"] != "remove"
                  and c["doc"]["case_id"] == case_id)
    sig = _upload(base, tech, signature_png(booking_id))
    steps = [("job.accept", {}), ("job.arrive", {}),
             ("job.complete", {"work_done": "服务完毕", "fee_cents": fee, "signature_sha256": sig,
                               "signer_name": "住户本人", "signer_relation": "owner"})]
    res = tech.call("POST", "/api/sync/push", {"client_id": client_id, "mutations": [
        {"mutation_id": i + 1, "type": t, "args": {"job_id": job_id, **a}, "device_time": "2026-11-23T02:00:00Z"}
        for i, (t, a) in enumerate(steps)]})
    assert [r["status"] for r in res["results"]] == ["applied"] * 3, res
    return next(v for v in desk.call("GET", "/api/services/bookings") if v["booking"]["id"] == booking_id)
